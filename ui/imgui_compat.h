// The few Dear ImGui calls whose form depends on the version: Debian 12 ships 1.86, newer Debian
// releases ship 1.90+. Everything in ui/ that differs between them goes through this header, so a
// port touches one file. (1.86 has no input queue, no AddKeyEvent/AddMouseButtonEvent, and its
// IsKeyPressed takes the backend's key index, not an ImGuiKey.)
#pragma once

#include <cfloat>

#include "imgui.h"

namespace ui::compat {

// Was `key` pressed this frame? In 1.86 IsKeyPressed(ImGuiKey_Enter) compiles and is always false:
// the key must go through GetKeyIndex.
inline bool key_pressed(ImGuiKey key) {
#if IMGUI_VERSION_NUM >= 18700
    return ImGui::IsKeyPressed(key, false);
#else
    return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key), false);
#endif
}

// The pointer as a touch screen reports it: at `pos`, pressed or not. Tests and the script runner
// feed touches through this (1.86: io.MousePos / io.MouseDown; 1.87+: the input queue).
inline void set_pointer(ImGuiIO& io, ImVec2 pos, bool down) {
#if IMGUI_VERSION_NUM >= 18700
    io.AddMousePosEvent(pos.x, pos.y);
    io.AddMouseButtonEvent(0, down);
#else
    io.MousePos = pos;
    io.MouseDown[0] = down;
#endif
}

// Where a lifted finger goes: off-screen, so that the last touched control does not stay
// "hovered" (touch screens' sticky hover).
inline void lift_pointer(ImGuiIO& io) { set_pointer(io, ImVec2(-FLT_MAX, -FLT_MAX), false); }

}  // namespace ui::compat
