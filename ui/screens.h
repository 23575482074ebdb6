// The kiosk's screens: one draw function per kiosk::Screen, each reading the state machine's state
// and returning the intents the trainee's touches asked for. ui/ owns no business state: what to
// show comes from kiosk::KioskState, the time from UiContext::now, the words from ui/strings.
//
// draw_screen() is the dispatcher the program calls once per frame (between NewFrame and Render).
// Staff screens (ui/staff_*) and the workspace (ui/workspace_*) plug in there: a case in
// draw_screen() calling their own draw function, built from the same kit (ui/screen_kit.h).
#pragma once

#include <string>
#include <vector>

#include "imgui.h"
#include "kiosk/kiosk_machine.h"
#include "ui/fonts.h"
#include "ui/theme.h"

namespace ui {

struct StaffFrame;      // ui/staff_screens.h
struct WorkspaceFrame;  // ui/workspace_screen.h

// An on-screen control as drawn this frame: tests touch it, the script runner may press it.
struct Control {
    kiosk::Intent intent;
    std::string label;
    ImVec2 min, max;  // screen pixels
    ImVec2 center() const { return ImVec2((min.x + max.x) / 2, (min.y + max.y) / 2); }
};

// What a frame drew, for tests and scripted input: every text line and every control.
struct FrameRecord {
    std::vector<std::string> texts;
    std::vector<Control> controls;
    float content_bottom = 0;  // the lowest pixel row any item reached (no scrolling: <= height)
    bool has_text(std::string_view needle) const;  // a drawn line contains `needle`
    const Control* control(kiosk::Intent intent) const;
};

// What the program hands to the screens each frame besides the state.
struct UiContext {
    const FontSet* fonts = nullptr;
    const Theme* theme = nullptr;
    kiosk::Now now;                 // the kiosk's clock: wall for the clock and end times, mono for
                                    // the countdown (kiosk::session_time_left)
    FrameRecord* record = nullptr;  // optional: filled with what was drawn
    StaffFrame* staff = nullptr;    // optional: the staff screens' inputs and controls
    // The built-in workspace of the running session: the session screen draws it under a compact
    // row (time left, "End session"). nullptr: no workspace (the PostgreSQL gate, tests).
    WorkspaceFrame* workspace = nullptr;
};

// Draws the state's screen over the whole display (ImGui::GetIO().DisplaySize) and returns the
// intents touched this frame (usually none, at most one per control).
std::vector<kiosk::Intent> draw_screen(const kiosk::KioskState& state, const UiContext& ctx);

// The screens, one per kiosk::Screen (and the overlays over a session). Each draws the content
// area between the top bar and the bottom of the display; draw_screen() calls them.
class ScreenKit;
void draw_idle(ScreenKit& kit);
void draw_records_stale(ScreenKit& kit);
void draw_reader_problem(ScreenKit& kit);
void draw_checking(ScreenKit& kit);
void draw_granted(ScreenKit& kit);
void draw_refused(ScreenKit& kit);
void draw_session(ScreenKit& kit);
void draw_session_ended(ScreenKit& kit);
void draw_overlay(ScreenKit& kit);  // InUse / TimeLeft over the session
void draw_test_db_unavailable(ScreenKit& kit);

}  // namespace ui
