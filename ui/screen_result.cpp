// The decision screens: granted (name, end time, notices, "Start"), refused (a sentence and the
// rule per reason, "Call staff"), and the test database being unavailable when a session could
// not start.
#include <algorithm>
#include <chrono>

#include "imgui.h"
#include "ui/screen_kit.h"

namespace ui {

using kiosk::Intent;

namespace {

// The action row sits at the bottom of the display, or right under the content when that is lower
// (then the frame's content_bottom shows the overflow to the tests).
void action_row(ScreenKit& kit, const std::vector<ButtonSpec>& row) {
    const float h = kit.theme.control_px();
    kit.y = std::max(kit.y + kit.theme.px(Theme::kGapMm), kit.bottom - h);
    kit.buttons(row);
}

// A narrower column for sentences: easier to read than lines across the whole panel.
void reading_column(ScreenKit& kit) {
    const float w = ImGui::GetIO().DisplaySize.x;
    kit.left = std::max(kit.left, w * 0.12f);
    kit.right = std::min(kit.right, w * 0.88f);
}

void findings(ScreenKit& kit, const std::vector<kiosk::Finding>& list) {
    for (const kiosk::Finding& f : list) {
        kit.text(kit.s.finding(f), kit.fonts.body);
        kit.gap(Theme::kGapMm * 0.4);
    }
}

// Refusal reasons: the sentence in a reading column, its rule ids beside it in a narrow one.
void reasons(ScreenKit& kit, const std::vector<kiosk::Finding>& list) {
    const float w = ImGui::GetIO().DisplaySize.x;
    const float saved_left = kit.left, saved_right = kit.right;
    for (const kiosk::Finding& f : list) {
        const float row = kit.y;
        kit.left = w * 0.08f;
        kit.right = w * 0.74f;
        kit.text(kit.s.finding(f), kit.fonts.body, kit.theme.palette.text, Align::Left);
        const float after = kit.y;
        kit.y = row;
        kit.left = w * 0.77f;
        kit.right = saved_right;
        kit.text(fill(kit.s[Text::RulesLabel], {{"rules", kit.s.rules(f)}}), kit.fonts.body,
                 kit.theme.palette.muted_text, Align::Left);
        kit.y = std::max(kit.y, after) + kit.theme.px(Theme::kGapMm * 0.5);
    }
    kit.left = saved_left;
    kit.right = saved_right;
}

void name_lines(ScreenKit& kit, const kiosk::TapResult& r) {
    if (r.trainee && !r.trainee->name.empty()) {
        std::string name = fill(kit.s[Text::TraineeName], {{"name", r.trainee->name}});
        kit.text(name, kit.name_font(name));
    }
    if (!r.decision.trainee_no.empty())
        kit.text(fill(kit.s[Text::TraineeNumber], {{"no", r.decision.trainee_no}}), kit.fonts.body,
                 kit.theme.palette.muted_text);
}

}  // namespace

void draw_granted(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    kit.top_bar(true);
    kit.banner(Tone::Granted, kit.s[Text::GrantedBanner]);
    kit.gap(Theme::kGapMm * 1.5);
    if (!st.result) return;
    const kiosk::TapResult& r = st.result->result;
    name_lines(kit, r);
    kit.gap(Theme::kGapMm);
    // The session's end: the running one's, or what a session started now would get.
    kiosk::Instant ends =
        r.session ? r.session->ends_at
                  : kit.ctx.now.wall + std::chrono::minutes(st.settings.session_minutes);
    kit.text(fill(kit.s[Text::SessionEndsAt], {{"time", kit.clock(ends)}}), kit.fonts.heading);
    if (!r.decision.notices.empty()) {
        kit.gap(Theme::kGapMm);
        reading_column(kit);
        kit.text(kit.s[Text::NoticesHeading], kit.fonts.body, kit.theme.palette.muted_text);
        findings(kit, r.decision.notices);
    }
    const float h = kit.theme.control_px();
    kit.y =
        std::max(kit.y + kit.theme.px(Theme::kGapMm),
                 kit.bottom - h - kit.fonts.body->FontSize * kLine - kit.theme.px(Theme::kGapMm));
    kit.left = kit.theme.px(Theme::kMarginMm);
    kit.right = ImGui::GetIO().DisplaySize.x - kit.left;
    kit.text(kit.s[Text::NextStepStart], kit.fonts.body);
    kit.gap(Theme::kGapMm);
    kit.buttons(
        {{Intent::Start, kit.s[Text::Start], true}, {Intent::Cancel, kit.s[Text::Back], false}});
}

void draw_refused(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    kit.top_bar(true);
    kit.banner(Tone::Refused, kit.s[Text::RefusedBanner]);
    kit.gap(Theme::kGapMm);
    if (!st.result) return;
    const kiosk::TapResult& r = st.result->result;
    if (r.trainee && !r.trainee->name.empty()) {
        std::string name = fill(kit.s[Text::TraineeName], {{"name", r.trainee->name}});
        kit.text(name, kit.name_font(name));
        kit.gap(Theme::kGapMm * 0.5);
    }
    reasons(kit, r.decision.reasons);
    // Above the buttons: that staff are coming, or that the screen closes by itself.
    const float h = kit.theme.control_px();
    kit.y = std::max(
        kit.y, kit.bottom - h - kit.fonts.body->FontSize * kLine - kit.theme.px(Theme::kGapMm));
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(st.settings.result_timeout);
    if (st.result->staff_called)
        kit.text(kit.s[Text::StaffCalled], kit.fonts.body);
    else
        kit.text(fill(kit.s[Text::ClosesByItself], {{"s", std::to_string(secs.count())}}),
                 kit.fonts.body, kit.theme.palette.muted_text);
    kit.gap(Theme::kGapMm);
    // A re-tap of a card whose session runs elsewhere shows it here, where it can be ended.
    const bool running = r.session && !r.session->ended_at;
    std::vector<ButtonSpec> row;
    if (running) row.push_back({Intent::EndSession, kit.s[Text::EndSession], true});
    if (!st.result->staff_called) row.push_back({Intent::CallStaff, kit.s[Text::CallStaff], true});
    row.push_back({Intent::Ok, kit.s[Text::Back], false});
    kit.buttons(row);
}

void draw_test_db_unavailable(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    kit.top_bar(true);
    kit.banner(Tone::Warning, kit.s[Text::TestDbUnavailableBanner]);
    kit.gap(Theme::kGapMm * 2);
    kit.text(kit.s[Text::TestDbUnavailableBody], kit.fonts.heading);
    // The worker's kGateUnavailableMessage is what the two lines above say in the screen's
    // language; any other detail (a store fault) is shown as it came.
    if (!st.problem.empty() && st.problem != kiosk::kGateUnavailableMessage) {
        kit.gap(Theme::kGapMm);
        kit.text(fill(kit.s[Text::ProblemDetail], {{"detail", st.problem}}), kit.fonts.body,
                 kit.theme.palette.muted_text);
    }
    action_row(kit, {{Intent::Ok, kit.s[Text::Ok], false}});
}

}  // namespace ui
