// The dispatcher: one full-screen Dear ImGui window per frame, the state's screen drawn into it,
// and an overlay window over a running session. Staff and workspace screens add their cases here.
#include "ui/screens.h"

#include "imgui.h"
#include "ui/screen_kit.h"
#include "ui/staff_screens.h"

namespace ui {

using kiosk::Screen;

bool FrameRecord::has_text(std::string_view needle) const {
    for (const std::string& t : texts)
        if (t.find(needle) != std::string::npos) return true;
    return false;
}

const Control* FrameRecord::control(kiosk::Intent intent) const {
    for (const Control& c : controls)
        if (c.intent == intent) return &c;
    return nullptr;
}

namespace {

constexpr ImGuiWindowFlags kScreenFlags =
    ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
    ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoScrollbar |
    ImGuiWindowFlags_NoScrollWithMouse | ImGuiWindowFlags_NoNav;

void draw_content(ScreenKit& kit) {
    const kiosk::KioskState& st = kit.state;
    switch (st.screen) {
        case Screen::Idle:
            draw_idle(kit);
            break;
        case Screen::RecordsStale:
            draw_records_stale(kit);
            break;
        case Screen::ReaderProblem:
            draw_reader_problem(kit);
            break;
        case Screen::Checking:
            draw_checking(kit);
            break;
        case Screen::Granted:
            if (!st.problem.empty())
                draw_test_db_unavailable(kit);
            else
                draw_granted(kit);
            break;
        case Screen::Refused:
            draw_refused(kit);
            break;
        case Screen::Session:
            draw_session(kit);
            break;
        case Screen::SessionEnded:
            draw_session_ended(kit);
            break;
        case Screen::Staff:
            draw_staff(kit);
            break;
            // The workspace adds its screens here.
    }
}

}  // namespace

std::vector<kiosk::Intent> draw_screen(const kiosk::KioskState& state, const UiContext& ctx) {
    const ImVec2 display = ImGui::GetIO().DisplaySize;
    if (ctx.record) *ctx.record = FrameRecord{};
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(display);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    ImGui::Begin(
        "##screen", nullptr,
        kScreenFlags | ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
    ScreenKit kit(state, ctx);
    draw_content(kit);
    kit.finish();
    ImGui::End();

    if (state.screen == Screen::Session && state.overlay != kiosk::Overlay::None) {
        // Over the session: a full-screen window (so nothing under it can be touched), dimmed,
        // with the message in a panel.
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(display);
        ImGui::SetNextWindowFocus();
        ImGui::PushStyleColor(ImGuiCol_WindowBg,
                              ImGui::GetStyle().Colors[ImGuiCol_ModalWindowDimBg]);
        ImGui::Begin("##overlay", nullptr, kScreenFlags);
        ImGui::PopStyleColor();
        draw_overlay(kit);
        kit.finish();
        ImGui::End();
    }
    ImGui::PopStyleVar();
    return std::move(kit.intents);
}

}  // namespace ui
