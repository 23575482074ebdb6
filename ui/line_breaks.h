// Line breaking for the kiosk's mixed Japanese/English text. Dear ImGui 1.86 wraps only at ASCII
// spaces and cuts Japanese (which has none) anywhere, putting "。" or "）" at the start of a line;
// this breaks English at spaces and Japanese between characters, following the basic kinsoku rules
// (no closing punctuation or small kana at a line start, no opening bracket at a line end).
#pragma once

#include <string_view>
#include <vector>

struct ImFont;

namespace ui {

// Splits `text` into lines no wider than `width` pixels in `font` at its own size; a word or run
// wider than a whole line is cut where it must be. '\n' always ends a line. Lines are views into
// `text`, without the spaces at the break.
std::vector<std::string_view> break_lines(const ImFont& font, std::string_view text, float width);

}  // namespace ui
