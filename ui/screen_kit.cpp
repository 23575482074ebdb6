// The screens' building blocks (see screen_kit.h).
#include "ui/screen_kit.h"

#include <algorithm>
#include <cmath>

#include "imgui.h"
#include "imgui_internal.h"
#include "ui/line_breaks.h"

namespace ui {

using kiosk::Intent;

namespace {

ImVec4 vec(Rgb c) { return ImVec4(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1.0f); }

std::string two(unsigned v) {
    std::string s = std::to_string(v);
    return v < 10 ? "0" + s : s;
}

}  // namespace

ScreenKit::ScreenKit(const kiosk::KioskState& state_, const UiContext& ctx_)
    : state(state_), ctx(ctx_), s(strings(state_.lang)), theme(*ctx_.theme), fonts(*ctx_.fonts) {
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    left = theme.px(Theme::kMarginMm);
    right = display.x - left;
    top = theme.px(Theme::kMarginMm * 0.6);
    bottom = display.y - theme.px(Theme::kMarginMm * 0.6);
    y = top;
}

void ScreenKit::note_text(std::string_view t) {
    if (ctx.record) ctx.record->texts.emplace_back(t);
}

void ScreenKit::line(std::string_view t, ImFont* font, Rgb colour, float x) {
    ImGui::SetCursorScreenPos(ImVec2(x, y));
    ImGui::PushStyleColor(ImGuiCol_Text, vec(colour));
    ImGui::TextUnformatted(t.data(), t.data() + t.size());
    ImGui::PopStyleColor();
    y += font->FontSize * kLine;
}

void ScreenKit::text(std::string_view t, ImFont* font, Rgb colour, Align align) {
    note_text(t);
    ImGui::PushFont(font);
    for (std::string_view l : break_lines(*font, t, width())) {
        float x = left;
        if (align == Align::Center) {
            float w =
                font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, l.data(), l.data() + l.size()).x;
            x = left + std::max(0.0f, (width() - w) / 2);
        }
        line(l, font, colour, std::floor(x));
    }
    ImGui::PopFont();
}

void ScreenKit::banner(Tone tone, std::string_view t) {
    const Palette& p = theme.palette;
    Rgb bg = p.strip, fg = p.text;
    switch (tone) {
        case Tone::Granted:
            bg = p.granted, fg = p.banner_text;
            break;
        case Tone::Refused:
            bg = p.refused, fg = p.banner_text;
            break;
        case Tone::Warning:
            bg = p.warning, fg = p.text;
            break;
        case Tone::Neutral:
            break;
    }
    ImFont* font = fonts.heading;
    const float pad = theme.px(4);
    std::vector<std::string_view> lines = break_lines(*font, t, width() - 2 * pad);
    const float h = lines.size() * font->FontSize * kLine + 2 * pad - font->FontSize * (kLine - 1);
    ImGui::GetWindowDrawList()->AddRectFilled(
        ImVec2(0, y), ImVec2(ImGui::GetIO().DisplaySize.x, y + h), to_imu32(bg));
    note_text(t);
    ImGui::PushFont(font);
    float saved = y;
    y += pad;
    for (std::string_view l : lines) {
        float w = font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, l.data(), l.data() + l.size()).x;
        line(l, font, fg, std::floor(left + std::max(0.0f, (width() - w) / 2)));
    }
    ImGui::PopFont();
    y = saved + h;
}

ImVec2 ScreenKit::button_size(const ButtonSpec& b) const {
    ImFont* font = b.primary ? fonts.heading : fonts.body;
    ImVec2 t = font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, b.label.data(),
                                   b.label.data() + b.label.size());
    const float control = theme.control_px();
    float w = std::max(t.x + 2 * theme.px(8), b.primary ? theme.px(70) : control);
    float h = std::max(t.y + 2 * theme.px(3), control);
    return ImVec2(std::ceil(w), std::ceil(h));
}

bool ScreenKit::button_at(ImVec2 pos, const ButtonSpec& b, ImVec2 size) {
    ImVec2 need = button_size(b);
    size = ImVec2(std::max(size.x, need.x), std::max(size.y, need.y));
    const Palette& p = theme.palette;
    ImGui::PushID(static_cast<int>(b.intent));
    ImGui::PushFont(b.primary ? fonts.heading : fonts.body);
    if (b.primary) {
        ImGui::PushStyleColor(ImGuiCol_Button, vec(p.button));
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, vec(p.button_hovered));
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, vec(p.button_pressed));
        ImGui::PushStyleColor(ImGuiCol_Text, vec(p.button_text));
    } else {
        ImGui::PushStyleColor(ImGuiCol_Button, vec(p.quiet_button));
        ImGui::PushStyleColor(ImGuiCol_ButtonHovered, vec(p.quiet_button));
        ImGui::PushStyleColor(ImGuiCol_ButtonActive, vec(p.quiet_button_pressed));
        ImGui::PushStyleColor(ImGuiCol_Text, vec(p.text));
    }
    ImGui::SetCursorScreenPos(pos);
    std::string label(b.label);
    note_text(label);
    bool pressed = ImGui::Button(label.c_str(), size);
    ImGui::PopStyleColor(4);
    ImGui::PopFont();
    ImGui::PopID();
    if (ctx.record)
        ctx.record->controls.push_back(
            {b.intent, label, pos, ImVec2(pos.x + size.x, pos.y + size.y)});
    if (pressed) intents.push_back(b.intent);
    return pressed;
}

void ScreenKit::buttons(const std::vector<ButtonSpec>& row) {
    const float gap_px = theme.px(Theme::kGapMm * 2);
    float total = 0, h = 0;
    for (const ButtonSpec& b : row) {
        ImVec2 sz = button_size(b);
        total += sz.x;
        h = std::max(h, sz.y);
    }
    total += gap_px * (row.size() > 0 ? row.size() - 1 : 0);
    float x = std::floor(left + std::max(0.0f, (width() - total) / 2));
    for (const ButtonSpec& b : row) {
        ImVec2 sz = button_size(b);
        button_at(ImVec2(x, y), b, ImVec2(sz.x, h));
        x += sz.x + gap_px;
    }
    y += h;
}

ImFont* ScreenKit::name_font(std::string_view name) const {
    return missing_glyphs(*fonts.heading, name).empty() ? fonts.heading : fonts.body;
}

std::string ScreenKit::clock(kiosk::Instant t) const {
    auto local = t + kiosk::kTokyoOffset;
    auto day = std::chrono::floor<std::chrono::days>(local);
    std::chrono::hh_mm_ss hms{local - day};
    return two(static_cast<unsigned>(hms.hours().count())) + ":" +
           two(static_cast<unsigned>(hms.minutes().count()));
}

std::string ScreenKit::date_line(kiosk::Instant t) const {
    auto local = t + kiosk::kTokyoOffset;
    auto day = std::chrono::floor<std::chrono::days>(local);
    std::chrono::year_month_day ymd{day};
    std::chrono::weekday wd{day};
    const auto wd_text = s[static_cast<Text>(static_cast<int>(Text::Sun) + wd.c_encoding())];
    const auto mon_text =
        s[static_cast<Text>(static_cast<int>(Text::Jan) + static_cast<unsigned>(ymd.month()) - 1)];
    return fill(s[Text::DateFormat], {{"y", std::to_string(static_cast<int>(ymd.year()))},
                                      {"m", std::to_string(static_cast<unsigned>(ymd.month()))},
                                      {"d", std::to_string(static_cast<unsigned>(ymd.day()))},
                                      {"wd", wd_text},
                                      {"mon", mon_text}});
}

std::string ScreenKit::duration(std::chrono::seconds left) {
    long long v = std::max<long long>(0, left.count());
    long long h = v / 3600, m = v / 60 % 60, sec = v % 60;
    std::string out =
        h > 0 ? std::to_string(h) + ":" + two(static_cast<unsigned>(m)) : std::to_string(m);
    return out + ":" + two(static_cast<unsigned>(sec));
}

std::string ScreenKit::records_line() const {
    if (!state.records_generated_at) return std::string(s[Text::RecordsNever]);
    auto age = ctx.now.wall - *state.records_generated_at;
    double hours = std::chrono::duration<double, std::ratio<3600>>(age).count();
    std::string age_text;
    if (hours < 1)
        age_text = s[Text::AgeUnderHour];
    else if (hours < 48)
        age_text = fill(s[Text::AgeHours], {{"n", std::to_string(static_cast<int>(hours))}});
    else
        age_text = fill(s[Text::AgeDays], {{"n", std::to_string(static_cast<int>(hours / 24))}});
    Text which = Text::RecordsFresh;
    if (kiosk::records_stale(state, ctx.now.wall))
        which = Text::RecordsOld;
    else if (hours > state.settings.records_warn_age_hours)
        which = Text::RecordsAging;
    return fill(s[which], {{"age", age_text}});
}

void ScreenKit::top_bar(bool language_toggle) {
    const Rgb muted = theme.palette.muted_text;
    const float bar_top = y;
    const float control = theme.control_px();
    // Left: the site and the date.
    ImGui::PushFont(fonts.body);
    float saved_right = right;
    right = left + width() * 0.55f;
    y = bar_top + std::max(0.0f, (control - 2 * fonts.body->FontSize * kLine) / 2);
    text(state.settings.site_name, fonts.body, theme.palette.text, Align::Left);
    text(date_line(ctx.now.wall), fonts.body, muted, Align::Left);
    right = saved_right;
    ImGui::PopFont();
    // Right: the clock, then the language toggle.
    float x = right;
    if (language_toggle) {
        ButtonSpec b{Intent::Language, s[Text::LanguageToggle], false};
        ImVec2 sz = button_size(b);
        x -= sz.x;
        button_at(ImVec2(x, bar_top), b, sz);
        x -= theme.px(Theme::kGapMm * 2);
    }
    std::string now = clock(ctx.now.wall);
    ImGui::PushFont(fonts.heading);
    float w = fonts.heading->CalcTextSizeA(fonts.heading->FontSize, FLT_MAX, 0, now.c_str()).x;
    y = bar_top + (control - fonts.heading->FontSize) / 2;
    note_text(now);
    line(now, fonts.heading, theme.palette.text, std::floor(x - w));
    ImGui::PopFont();
    y = bar_top + control + theme.px(Theme::kGapMm);
}

float ScreenKit::status_strip_height() const {
    return fonts.body->FontSize * kLine + 2 * theme.px(3);
}

void ScreenKit::status_strip() {
    const float h = status_strip_height();
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const float strip_top = display.y - h;
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(0, strip_top), display,
                                              to_imu32(theme.palette.strip));
    std::string reader;
    if (!state.reader.known)
        reader = s[Text::ReaderStarting];
    else if (state.reader.connected)
        reader = s[Text::ReaderOk];
    else
        reader = s[Text::ReaderMissing];
    std::string seats;
    if (state.records_known) {
        seats = state.free_seats > 0
                    ? fill(s[Text::SeatsFree], {{"free", std::to_string(state.free_seats)},
                                                {"seats", std::to_string(state.seats)}})
                    : fill(s[Text::SeatsNone], {{"seats", std::to_string(state.seats)}});
    }
    const std::string records = records_line();
    const std::string* items[] = {&reader, &records, &seats};
    ImFont* font = fonts.body;
    ImGui::PushFont(font);
    float saved = y;
    const float third = (display.x - 2 * left) / 3;
    for (int i = 0; i < 3; ++i) {
        const std::string& t = *items[i];
        if (t.empty()) continue;
        note_text(t);
        float w = font->CalcTextSizeA(font->FontSize, FLT_MAX, 0, t.c_str()).x;
        float x = i == 0 ? left : i == 1 ? left + third + (third - w) / 2 : display.x - left - w;
        y = strip_top + theme.px(3);
        line(t, font, theme.palette.text, std::floor(x));
    }
    ImGui::PopFont();
    y = saved;
}

void ScreenKit::finish() {
    if (ctx.record)
        ctx.record->content_bottom =
            std::max(ctx.record->content_bottom, ImGui::GetCurrentWindow()->DC.CursorMaxPos.y);
}

}  // namespace ui
