// The waiting screens: idle (the call to tap), records too old, reader problem, and "checking".
#include <algorithm>
#include <cmath>
#include <numbers>

#include "imgui.h"
#include "ui/screen_kit.h"

namespace ui {

namespace {

// A card over a reader with the contactless waves: the picture says "touch here" without words.
void draw_card_picture(ScreenKit& kit, float centre_x, float top) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Theme& t = kit.theme;
    const ImU32 ink = to_imu32(t.palette.button);
    const float w = t.px(48), h = t.px(30), r = t.px(3), thick = t.px(0.9);
    ImVec2 a(std::floor(centre_x - w / 2), std::floor(top));
    ImVec2 b(a.x + w, a.y + h);
    dl->AddRectFilled(a, b, to_imu32(t.palette.quiet_button), r);
    dl->AddRect(a, b, ink, r, 0, thick);
    // The chip and a name line.
    dl->AddRectFilled(ImVec2(a.x + t.px(5), a.y + t.px(8)), ImVec2(a.x + t.px(13), a.y + t.px(14)),
                      ink, t.px(1));
    dl->AddRectFilled(ImVec2(a.x + t.px(5), b.y - t.px(8)), ImVec2(a.x + t.px(30), b.y - t.px(6)),
                      ink);
    // Waves to the right of the card.
    const ImVec2 c(b.x + t.px(4), (a.y + b.y) / 2);
    for (int i = 1; i <= 3; ++i) {
        dl->PathArcTo(c, t.px(4.5f * i), -std::numbers::pi_v<float> / 4,
                      std::numbers::pi_v<float> / 4, 16);
        dl->PathStroke(ink, 0, thick);
    }
    ImGui::SetCursorScreenPos(a);
    ImGui::Dummy(ImVec2(w, h));
}

// The idle screens' common frame: top bar, a banner or nothing, the body, the status strip.
void waiting_screen(ScreenKit& kit, Tone tone, Text banner, std::string_view body) {
    kit.top_bar(true);
    const float strip = kit.status_strip_height();
    kit.bottom = ImGui::GetIO().DisplaySize.y - strip - kit.theme.px(Theme::kGapMm);
    if (tone != Tone::Neutral) {
        kit.gap(Theme::kGapMm);
        kit.banner(tone, kit.s[banner]);
        kit.gap(Theme::kGapMm * 2);
        kit.text(body, kit.fonts.body);
    }
    kit.status_strip();
}

}  // namespace

void draw_idle(ScreenKit& kit) {
    kit.top_bar(true);
    const Theme& t = kit.theme;
    const float strip = kit.status_strip_height();
    kit.bottom = ImGui::GetIO().DisplaySize.y - strip - t.px(Theme::kGapMm);
    // The call to tap, the hint and the picture, centred in the space between bar and strip.
    const float title_h = kit.fonts.title->FontSize * kLine;
    const float hint_h = kit.fonts.body->FontSize * kLine;
    const float block = title_h + t.px(Theme::kGapMm) + hint_h + t.px(Theme::kGapMm * 2) + t.px(30);
    kit.y = std::floor(kit.y + std::max(0.0f, (kit.bottom - kit.y - block) / 2));
    kit.text(kit.s[Text::TapCard], kit.fonts.title);
    kit.gap(Theme::kGapMm);
    kit.text(kit.s[Text::TapCardHint], kit.fonts.body, t.palette.muted_text);
    kit.gap(Theme::kGapMm * 2);
    draw_card_picture(kit, (kit.left + kit.right) / 2 - t.px(4), kit.y);
    kit.status_strip();
}

void draw_records_stale(ScreenKit& kit) {
    const auto hours = static_cast<int>(std::lround(kit.state.settings.records_max_age_hours));
    waiting_screen(kit, Tone::Warning, Text::RecordsStaleBanner,
                   fill(kit.s[Text::RecordsStaleBody], {{"hours", std::to_string(hours)}}));
}

void draw_reader_problem(ScreenKit& kit) {
    waiting_screen(kit, Tone::Warning, Text::ReaderProblemBanner, kit.s[Text::ReaderProblemBody]);
}

void draw_checking(ScreenKit& kit) {
    kit.top_bar(false);
    const float h = kit.fonts.heading->FontSize * kLine;
    kit.y = std::floor(kit.y + std::max(0.0f, (kit.bottom - kit.y - h) / 2));
    kit.text(kit.s[Text::Checking], kit.fonts.heading);
}

}  // namespace ui
