// The session screens: the running session (time left, the end warning, "End session", "Extend"
// when the site allows it, the PostgreSQL gate's one-time credentials), the session's end, and the
// messages shown over a running single-seat session (in use by another card, time left). With the
// built-in workspace the session screen is one compact row (time left, "End session") over the
// workspace (ui/workspace_screen.h).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "imgui.h"
#include "ui/screen_kit.h"
#include "ui/workspace_screen.h"

namespace ui {

using kiosk::Intent;

namespace {

// Why an extension did not happen, when the rules did not refuse it: one sentence saying what to
// do next, in the screen's language (the desk's English detail goes to the log, never here).
Text extend_problem_text(kiosk::ExtendProblem p) {
    switch (p) {
        case kiosk::ExtendProblem::NoSession:
            return Text::ExtendNoSession;
        case kiosk::ExtendProblem::NotYours:
            return Text::ExtendNotYours;
        case kiosk::ExtendProblem::Ended:
            return Text::ExtendEnded;
        case kiosk::ExtendProblem::Off:
            return Text::ExtendOff;
        case kiosk::ExtendProblem::Minutes:
            return Text::ExtendMinutes;
        case kiosk::ExtendProblem::LongestTotal:
            return Text::ExtendLongestTotal;
        case kiosk::ExtendProblem::Unavailable:
            return Text::ExtendUnavailable;
        case kiosk::ExtendProblem::None:
        case kiosk::ExtendProblem::Failed:
            break;
    }
    return Text::ExtendFailed;
}

bool extend_not_done(const kiosk::SessionView& v) {
    return v.extend_refused || v.extend_problem != kiosk::ExtendProblem::None ||
           !v.extend_error.empty();
}

// An extension's refusal, as the refused screen says it: the heading, then each reason's sentence
// with its rule ids (muted), or the one sentence for a problem that is not a rule.
void extend_refusal(ScreenKit& kit, const kiosk::SessionView& v, Align align) {
    const Palette& p = kit.theme.palette;
    kit.text(kit.s[Text::ExtendRefused], kit.fonts.body, p.text, align);
    if (v.extend_refused && !v.extend_refused->reasons.empty()) {
        for (const kiosk::Finding& f : v.extend_refused->reasons) {
            kit.text(kit.s.finding(f), kit.fonts.body, p.text, align);
            kit.text(fill(kit.s[Text::RulesLabel], {{"rules", kit.s.rules(f)}}), kit.fonts.body,
                     p.muted_text, align);
        }
        return;
    }
    kit.text(kit.s[extend_problem_text(v.extend_problem)], kit.fonts.body, p.text, align);
}

// The one-time credentials as a table in the area [kit.left, kit.right]: labels right-aligned
// against a column line, values after it.
void credentials(ScreenKit& kit, const kiosk::GateCredentials& c) {
    kit.text(kit.s[Text::CredentialsIntro], kit.fonts.body, kit.theme.palette.text, Align::Left);
    kit.gap(Theme::kGapMm * 0.5);
    const std::pair<Text, std::string> rows[] = {
        {Text::CredHost, c.host},         {Text::CredPort, std::to_string(c.port)},
        {Text::CredDatabase, c.database}, {Text::CredUser, c.role},
        {Text::CredPassword, c.password}, {Text::CredValidUntil, kit.clock(c.valid_until)},
    };
    const float saved_left = kit.left, saved_right = kit.right;
    const float column = saved_left + (saved_right - saved_left) * 0.38f;
    ImFont* body = kit.fonts.body;
    for (const auto& [label, value] : rows) {
        const float row_y = kit.y;
        ImFont* vf = kit.name_font(value);
        std::string_view l = kit.s[label];
        float w = body->CalcTextSizeA(body->FontSize, FLT_MAX, 0, l.data(), l.data() + l.size()).x;
        kit.left = std::max(saved_left, column - kit.theme.px(3) - w);
        kit.right = column - kit.theme.px(3);
        kit.y = row_y + (vf->FontSize - body->FontSize) * 0.8f;  // on the value's baseline
        kit.text(l, body, kit.theme.palette.muted_text, Align::Left);
        kit.left = column + kit.theme.px(3);
        kit.right = saved_right;
        kit.y = row_y;
        kit.text(value, vf, kit.theme.palette.text, Align::Left);
    }
    kit.left = saved_left;
    kit.right = saved_right;
}

// The session with the built-in workspace: one row (state, name, time left and end on the left;
// the language toggle, "Close" for the warning, "Extend" and "End session" on the right), then
// the workspace down to the bottom of the screen.
void session_with_workspace(ScreenKit& kit, WorkspaceFrame& wf) {
    const kiosk::KioskState& st = kit.state;
    const kiosk::SessionView& v = *st.session;
    const Theme& t = kit.theme;
    const bool warning = v.warning && !v.warning_dismissed;
    const float row_top = kit.y, h = t.control_px();
    const Palette& p = t.palette;
    ImGui::GetWindowDrawList()->AddRectFilled(
        ImVec2(0, 0),  // the band is the screen's header: from the top edge, no stripe above
        ImVec2(ImGui::GetIO().DisplaySize.x, row_top + h + t.px(Theme::kGapMm * 0.5)),
        to_imu32(warning ? p.warning : p.strip));

    // Right: the controls, from the right edge leftwards.
    std::vector<ButtonSpec> row{{Intent::EndSession, kit.s[Text::EndSession], true}};
    const std::string extend =
        fill(kit.s[Text::Extend], {{"min", std::to_string(st.settings.extend_minutes)}});
    if (kiosk::can_extend(st)) row.push_back({Intent::Extend, extend, true});
    if (warning || extend_not_done(v)) row.push_back({Intent::Ok, kit.s[Text::Ok], false});
    row.push_back({Intent::Language, kit.s[Text::LanguageToggle], false});
    float x = kit.right;
    for (const ButtonSpec& b : row) {
        const ImVec2 sz = kit.button_size(b);
        x -= sz.x;
        kit.button_at(ImVec2(x, row_top), b, ImVec2(sz.x, h));
        x -= t.px(Theme::kGapMm);
    }

    // Left: two lines in the body font.
    const float saved_right = kit.right;
    kit.right = x - t.px(Theme::kGapMm);
    kit.y = row_top + std::max(0.0f, (h - 2 * kit.fonts.body->FontSize * kLine) / 2);
    std::string first(kit.s[warning ? Text::WarningBanner : Text::SessionBanner]);
    if (!v.trainee_name.empty())
        first += "  " + fill(kit.s[Text::TraineeName], {{"name", v.trainee_name}});
    if (v.extended_until != kiosk::MonoTime{0}) {  // a few seconds after an extension
        kit.text(fill(kit.s[Text::ExtendedNotice], {{"time", kit.clock(v.record.ends_at)}}),
                 kit.fonts.body, p.granted, Align::Left);
    } else {
        kit.text(first, kit.fonts.body, p.text, Align::Left);
    }
    std::string second = std::string(kit.s[Text::TimeLeft]) + " " +
                         ScreenKit::duration(kiosk::session_time_left(st, kit.ctx.now)) + "  ·  " +
                         fill(kit.s[Text::SessionEndsAt], {{"time", kit.clock(v.record.ends_at)}});
    kit.text(second, kit.fonts.body, p.text, Align::Left);
    kit.right = saved_right;
    kit.y = row_top + h + t.px(Theme::kGapMm);

    // What went wrong with the session or its extension, in one line each.
    if (v.extending) kit.text(kit.s[Text::Extending], kit.fonts.body, p.text, Align::Left);
    if (!v.extending && extend_not_done(v)) extend_refusal(kit, v, Align::Left);
    if (!st.problem.empty())
        kit.text(fill(kit.s[Text::ProblemDetail], {{"detail", st.problem}}), kit.fonts.body,
                 p.muted_text, Align::Left);

    if (!wf.workspace || !wf.view || !wf.examples) {
        // The session runs but its workspace could not be opened: say so, as a failed gate does.
        kit.gap(Theme::kGapMm);
        kit.banner(Tone::Warning, kit.s[Text::TestDbUnavailableBanner]);
        kit.gap(Theme::kGapMm);
        kit.text(kit.s[Text::TestDbUnavailableBody], kit.fonts.heading);
        if (!wf.problem.empty())
            kit.text(fill(kit.s[Text::ProblemDetail], {{"detail", wf.problem}}), kit.fonts.body,
                     p.muted_text);
        return;
    }
    wf.action = draw_workspace(kit, *wf.view, *wf.workspace, *wf.examples);
}

}  // namespace

void draw_session(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    if (st.session && kit.ctx.workspace) {
        session_with_workspace(kit, *kit.ctx.workspace);
        return;
    }
    kit.top_bar(true);
    if (!st.session) return;
    const kiosk::SessionView& v = *st.session;
    const bool warning = v.warning && !v.warning_dismissed;
    kit.banner(warning ? Tone::Warning : Tone::Neutral,
               kit.s[warning ? Text::WarningBanner : Text::SessionBanner]);
    kit.gap(Theme::kGapMm);
    if (warning) {
        kit.text(kit.s[Text::WarningHint], kit.fonts.body);
        kit.gap(Theme::kGapMm * 0.5);
    }
    if (!v.trainee_name.empty()) {
        std::string name = fill(kit.s[Text::TraineeName], {{"name", v.trainee_name}});
        kit.text(name, kit.name_font(name));
        kit.gap(Theme::kGapMm);
    }
    // The time left; with the PostgreSQL gate's credentials, the two side by side.
    const float block_top = kit.y, saved_left = kit.left, saved_right = kit.right;
    const float mid = (saved_left + saved_right) / 2;
    if (v.credentials) kit.right = mid - kit.theme.px(Theme::kGapMm);
    kit.text(kit.s[Text::TimeLeft], kit.fonts.body, kit.theme.palette.muted_text);
    kit.text(ScreenKit::duration(kiosk::session_time_left(st, kit.ctx.now)), kit.fonts.countdown);
    kit.text(fill(kit.s[Text::SessionEndsAt], {{"time", kit.clock(v.record.ends_at)}}),
             kit.fonts.body);
    if (v.credentials) {
        const float time_bottom = kit.y;
        kit.left = mid;
        kit.right = saved_right;
        kit.y = block_top;
        credentials(kit, *v.credentials);
        kit.y = std::max(kit.y, time_bottom);
        kit.left = saved_left;
    }
    if (v.extending) {
        kit.gap(Theme::kGapMm * 0.5);
        kit.text(kit.s[Text::Extending], kit.fonts.body);
    } else if (extend_not_done(v)) {
        kit.gap(Theme::kGapMm * 0.5);
        extend_refusal(kit, v, Align::Center);
    } else if (v.extended_until != kiosk::MonoTime{0}) {  // a few seconds after an extension
        kit.gap(Theme::kGapMm * 0.5);
        kit.text(fill(kit.s[Text::ExtendedNotice], {{"time", kit.clock(v.record.ends_at)}}),
                 kit.fonts.body, kit.theme.palette.granted);
    }
    if (!st.problem.empty())
        kit.text(fill(kit.s[Text::ProblemDetail], {{"detail", st.problem}}), kit.fonts.body,
                 kit.theme.palette.muted_text);
    const float h = kit.theme.control_px();
    kit.y = std::max(kit.y + kit.theme.px(Theme::kGapMm), kit.bottom - h);
    const std::string extend =
        fill(kit.s[Text::Extend], {{"min", std::to_string(st.settings.extend_minutes)}});
    // "Close" dismisses the warning or an extension's refusal (the machine's ok), and, where the
    // trainee works at another terminal (PostgreSQL), the credentials once read.
    const bool dismissable = warning || extend_not_done(v) || !st.settings.single_seat;
    std::vector<ButtonSpec> row{{Intent::EndSession, kit.s[Text::EndSession], true}};
    if (kiosk::can_extend(st)) row.push_back({Intent::Extend, extend, true});
    if (dismissable) row.push_back({Intent::Ok, kit.s[Text::Ok], false});
    kit.buttons(row);
}

void draw_session_ended(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    kit.top_bar(true);
    kit.banner(Tone::Neutral, kit.s[Text::SessionEndedBanner]);
    kit.gap(Theme::kGapMm * 2);
    Text why = Text::SessionEndedByTrainee;
    if (st.ended_reason == "expired") why = Text::SessionEndedExpired;
    if (st.ended_reason == "staff") why = Text::SessionEndedByStaff;
    kit.text(kit.s[why], kit.fonts.heading);
    if (!st.problem.empty()) {
        kit.gap(Theme::kGapMm);
        kit.text(fill(kit.s[Text::ProblemDetail], {{"detail", st.problem}}), kit.fonts.body,
                 kit.theme.palette.muted_text);
    }
    kit.y = std::max(kit.y + kit.theme.px(Theme::kGapMm), kit.bottom - kit.theme.control_px());
    kit.buttons({{Intent::Ok, kit.s[Text::Ok], false}});
}

void draw_overlay(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    if (!st.session) return;
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    const Theme& t = kit.theme;
    // The panel: most of the width, centred vertically.
    const float panel_w = std::min(display.x - 2 * t.px(Theme::kMarginMm), t.px(260));
    const float panel_h = t.px(95);
    const ImVec2 a(std::floor((display.x - panel_w) / 2), std::floor((display.y - panel_h) / 2));
    const ImVec2 b(a.x + panel_w, a.y + panel_h);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(a, b, to_imu32(t.palette.background), t.px(2));
    dl->AddRect(a, b, to_imu32(t.palette.border), t.px(2), 0, 2);
    kit.left = a.x + t.px(Theme::kGapMm * 2);
    kit.right = b.x - t.px(Theme::kGapMm * 2);
    kit.y = a.y + t.px(Theme::kGapMm * 2);
    const std::string until = kit.clock(st.session->record.ends_at);
    if (st.overlay == kiosk::Overlay::InUse) {
        kit.text(kit.s[Text::InUseBanner], kit.fonts.heading);
        kit.gap(Theme::kGapMm);
        kit.text(fill(kit.s[Text::InUseUntil], {{"time", until}}), kit.fonts.body);
    } else {
        kit.text(kit.s[Text::SessionBanner], kit.fonts.heading);
        kit.gap(Theme::kGapMm);
        kit.text(fill(kit.s[Text::TimeLeftOverlay],
                      {{"left", ScreenKit::duration(kiosk::session_time_left(st, kit.ctx.now))},
                       {"time", until}}),
                 kit.fonts.body);
    }
    kit.y = b.y - t.control_px() - t.px(Theme::kGapMm * 2);
    kit.buttons({{Intent::Ok, kit.s[Text::Ok], true}});
}

}  // namespace ui
