// The kiosk's fonts: Noto Sans CJK JP (Debian's fonts-noto-cjk) at the theme's sizes. The body size
// holds the whole Japanese range plus every character CP932 can carry (names, typed text); the
// large sizes hold only the glyphs of the UI's own strings, which keeps the atlas small (field
// notes: full range at every size ~285 MB RSS; this approach ~115 MB).
// Start-up: the first frame is drawn with a quick atlas (the UI's own strings and ASCII at every
// size), while AtlasBuild rasterises the full one on a thread of its own; the program swaps it in
// between frames (Platform::replace_fonts -> install_atlas). The font file is mapped once and
// shared by both. Glyphs are rasterised by stb_truetype into plain memory (bake): no Dear ImGui
// call, because Dear ImGui 1.86 counts every allocation in the current context's
// IO.MetricsActiveAllocations without synchronisation, so a thread that allocates through Dear
// ImGui races with the GL thread. Only fill_atlas, on the thread that owns the ImGui context, turns
// the baked glyphs into an ImFontAtlas. A missing or unusable font file is a clear error, never
// Dear ImGui's assert.
#pragma once

#include <atomic>
#include <chrono>
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
    Full,   // Dear ImGui's Japanese range + CP932's repertoire (names from the feed)
    Quick,  // ASCII only: for the first frames, before Full is ready (the UI's strings are in both)
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
};

// The font file mapped read-only, checked (a font or collection holding the face). Shared by every
// atlas made from it; unmapped when the last holder lets go (after the full atlas is built).
class FontFile {
public:
    // nullptr + *err naming the file and what is wrong.
    static std::shared_ptr<const FontFile> open(const std::string& path, int face,
                                                std::string* err);
    ~FontFile();
    FontFile(const FontFile&) = delete;
    FontFile& operator=(const FontFile&) = delete;

    const unsigned char* data() const { return data_; }
    std::size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    int face() const { return face_; }
    int face_offset() const { return offset_; }

private:
    FontFile() = default;
    const unsigned char* data_ = nullptr;
    std::size_t size_ = 0;
    std::string path_;
    int face_ = 0;
    int offset_ = 0;
};

// Adds the kiosk's fonts to `atlas` (which must be empty) and builds it, on the thread that owns
// the ImGui context. `ui_texts` is every string the UI can draw (ui::all_strings()). false + *err
// naming the file and what is wrong. The atlas holds its pixels as Alpha8 only.
bool load_fonts(ImFontAtlas& atlas, const Theme& theme, const FontOptions& options,
                std::span<const std::string_view> ui_texts, FontSet* out, std::string* err);

// An atlas made with IM_NEW (Dear ImGui's context deletes its io.Fonts with IM_DELETE).
struct AtlasDelete {
    void operator()(ImFontAtlas* a) const;
};
using AtlasPtr = std::unique_ptr<ImFontAtlas, AtlasDelete>;

struct BakedFonts;  // glyphs rasterised into plain memory (fonts.cpp)

// Builds an atlas (options.body says which) with its glyphs rasterised on a thread of its own;
// take() turns them into the ImFontAtlas on the caller's thread, the one that owns the ImGui
// context. The texture upload stays on the GL thread. `done` runs on the build's thread when the
// rasterising has ended (the program passes Platform::wake_up). `file` (optional) is shared
// instead of mapping options.path again.
class AtlasBuild {
public:
    AtlasBuild(const Theme& theme, FontOptions options, std::vector<std::string> ui_texts,
               std::function<void()> done, std::shared_ptr<const FontFile> file = nullptr);
    ~AtlasBuild();  // waits for the thread
    AtlasBuild(const AtlasBuild&) = delete;
    AtlasBuild& operator=(const AtlasBuild&) = delete;

    bool ready() const { return ready_.load(); }
    // Waits for the thread, then fills and hands over the atlas and its fonts (once). nullptr +
    // *err when the build failed.
    AtlasPtr take(FontSet* fonts, std::string* err);
    // The thread's time from start to end (valid once ready()).
    std::chrono::milliseconds bake_time() const { return bake_time_; }
    // The mapped font file (for the next build), or nullptr if it could not be opened.
    std::shared_ptr<const FontFile> file() const { return file_; }

private:
    AtlasPtr atlas_;  // made on the caller's thread; the thread never touches it
    std::shared_ptr<const FontFile> file_;
    std::unique_ptr<BakedFonts> baked_;
    std::string err_;
    std::chrono::milliseconds bake_time_{0};
    std::atomic<bool> ready_{false};
    std::thread thread_;
};

// Between frames (not between NewFrame and Render): makes `atlas` the current context's io.Fonts
// (owned by the context) and deletes the previous one if the context owned it. The renderer's
// texture is the caller's (Platform::replace_fonts).
void install_atlas(ImGuiIO& io, AtlasPtr atlas);

// Once the renderer has uploaded the atlas texture: frees its CPU-side pixels and build inputs,
// then hands the freed memory back to the system (malloc_trim: the rasteriser's arena).
void release_font_sources(ImFontAtlas& atlas);

// The characters of `utf8` that `font` has no glyph for ("?" boxes on screen), as code points.
std::vector<unsigned> missing_glyphs(const ImFont& font, std::string_view utf8);

}  // namespace ui
