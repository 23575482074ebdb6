// The kiosk's fonts: Noto Sans CJK JP (Debian's fonts-noto-cjk) at the theme's sizes. The body size
// holds the whole Japanese range plus every character CP932 can carry (names, typed text); the
// large sizes hold only the glyphs of the UI's own strings, which keeps the atlas small (field
// notes: full range at every size ~285 MB RSS; this approach ~115 MB).
// Start-up: the first frame is drawn with a quick atlas (the UI's own strings, ASCII and kana at
// every size: tens of milliseconds), while FullAtlasBuild rasterises the full one on a thread of
// its own; the program swaps it in between frames (Platform::replace_fonts -> install_atlas). A
// missing or unusable font file is a clear error, never Dear ImGui's assert.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "imgui.h"
#include "ui/theme.h"

namespace ui {

inline constexpr const char* kNotoSansCjkPath =
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
inline constexpr int kNotoSansCjkJpFace = 0;  // face 0 of the collection is the JP one

// What the body size holds besides the UI's own strings.
enum class BodyGlyphs {
    Full,  // Dear ImGui's Japanese range + CP932's repertoire (names from the feed): ~0.65 s of CPU
    Quick,  // ASCII, Latin-1, punctuation and kana only: for the first frame, before Full is ready
};

struct FontOptions {
    std::string path = kNotoSansCjkPath;
    int face = kNotoSansCjkJpFace;
    BodyGlyphs body = BodyGlyphs::Full;
};

struct FontSet {
    ImFont* body = nullptr;       // Japanese range + CP932's repertoire + the UI's strings (Full)
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

// An atlas made with IM_NEW (Dear ImGui's context deletes its io.Fonts with IM_DELETE).
struct AtlasDelete {
    void operator()(ImFontAtlas* a) const;
};
using AtlasPtr = std::unique_ptr<ImFontAtlas, AtlasDelete>;

// Builds the atlas with BodyGlyphs::Full on a thread of its own (ImFontAtlas::Build only rasterises
// in memory; the texture upload stays on the GL thread). `done` runs on that thread when the build
// has ended (the program passes Platform::wake_up).
class FullAtlasBuild {
public:
    FullAtlasBuild(const Theme& theme, FontOptions options, std::vector<std::string> ui_texts,
                   std::function<void()> done);
    ~FullAtlasBuild();  // waits for the thread
    FullAtlasBuild(const FullAtlasBuild&) = delete;
    FullAtlasBuild& operator=(const FullAtlasBuild&) = delete;

    bool ready() const { return ready_.load(); }
    // Waits for the build, then hands over the atlas and its fonts (once). nullptr + *err when the
    // build failed (the quick atlas stays in use).
    AtlasPtr take(FontSet* fonts, std::string* err);

private:
    AtlasPtr atlas_;
    FontSet fonts_;
    std::string err_;
    std::atomic<bool> ready_{false};
    std::thread thread_;
};

// Between frames (not between NewFrame and Render): makes `atlas` the current context's io.Fonts
// (owned by the context) and deletes the previous one if the context owned it. The renderer's
// texture is the caller's (Platform::replace_fonts).
void install_atlas(ImGuiIO& io, AtlasPtr atlas);

// Once the renderer has uploaded the atlas texture: frees its CPU-side pixels and the font file.
void release_font_sources(ImFontAtlas& atlas);

// The characters of `utf8` that `font` has no glyph for ("?" boxes on screen), as code points.
std::vector<unsigned> missing_glyphs(const ImFont& font, std::string_view utf8);

}  // namespace ui
