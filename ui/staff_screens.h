// The staff screens (issue 11): the PIN keypad (large keys, digits never shown: one dot per digit;
// the physical keyboard's digits, Backspace and Enter work too) and the staff panel's pages
// (sessions, override, enrol, briefings, records, audit, look-up), drawn from state.staff. They
// return StaffInputs through UiContext::staff (and OK / Cancel / Override as intents, so scripts
// can `press ok`, `press cancel`, `press override`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imgui.h"
#include "kiosk/staff_view.h"

namespace ui {

class ScreenKit;

// A staff control as drawn this frame (tests touch it).
struct StaffControl {
    kiosk::StaffInput input;
    std::string label;
    ImVec2 min, max;
    ImVec2 center() const { return ImVec2((min.x + max.x) / 2, (min.y + max.y) / 2); }
};

// What the staff screens return each frame.
struct StaffFrame {
    std::vector<kiosk::StaffInput> inputs;
    std::vector<StaffControl> controls;
    const StaffControl* control(std::string_view label) const;
};

// Every fixed string the staff screens draw (for the font atlas's large sizes).
const std::vector<std::string_view>& staff_strings();

// Screen::Staff: the page state.staff names.
void draw_staff(ScreenKit& kit);

}  // namespace ui
