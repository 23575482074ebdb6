// The kiosk's fonts: Noto Sans CJK JP (Debian's fonts-noto-cjk) at the theme's sizes. The body size
// holds the whole Japanese range plus every character CP932 can carry (names, typed text); the
// large sizes hold only the glyphs of the UI's own strings, which keeps the atlas small (field
// notes: full range at every size ~285 MB RSS; this approach ~115 MB).
// A missing or unusable font file is a clear error, never Dear ImGui's assert.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imgui.h"
#include "ui/theme.h"

namespace ui {

inline constexpr const char* kNotoSansCjkPath =
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
inline constexpr int kNotoSansCjkJpFace = 0;  // face 0 of the collection is the JP one

struct FontOptions {
    std::string path = kNotoSansCjkPath;
    int face = kNotoSansCjkJpFace;
};

struct FontSet {
    ImFont* body = nullptr;       // Japanese range + CP932's repertoire + the UI's strings
    ImFont* heading = nullptr;    // the UI's strings only
    ImFont* title = nullptr;      // the UI's strings only
    ImFont* countdown = nullptr;  // digits and ':' only
    // Glyph ranges must outlive the atlas build; kept here.
    ImVector<ImWchar> body_ranges, large_ranges, countdown_ranges;
};

// Adds the kiosk's fonts to `atlas` (which must be empty) and builds it. `ui_texts` is every string
// the UI can draw (ui::all_strings()). false + *err naming the file and what is wrong.
bool load_fonts(ImFontAtlas& atlas, const Theme& theme, const FontOptions& options,
                std::span<const std::string_view> ui_texts, FontSet* out, std::string* err);

// Once the renderer has uploaded the atlas texture: frees its CPU-side pixels and the font file.
void release_font_sources(ImFontAtlas& atlas);

// The characters of `utf8` that `font` has no glyph for ("?" boxes on screen), as code points.
std::vector<unsigned> missing_glyphs(const ImFont& font, std::string_view utf8);

}  // namespace ui
