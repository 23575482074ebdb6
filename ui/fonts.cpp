// Loading Noto Sans CJK JP into Dear ImGui's atlas: the file is checked first (Dear ImGui asserts,
// and so aborts, on a file it cannot open or a face it cannot find), read once, and shared by the
// four sizes.
#include "ui/fonts.h"

#include <iconv.h>
#include <stb_truetype.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "imgui_internal.h"

namespace ui {

namespace {

bool read_font_file(const std::string& path, int face, std::vector<unsigned char>* bytes,
                    std::string* err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *err = "font file " + path + ": " + std::strerror(errno) +
               " (install Debian's fonts-noto-cjk)";
        return false;
    }
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    bytes->resize(size > 0 ? static_cast<std::size_t>(size) : 0);
    in.read(reinterpret_cast<char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    if (size < 0 || !in) {
        *err = "font file " + path + ": read error";
        return false;
    }
    int faces = bytes->size() < 12 ? 0 : stbtt_GetNumberOfFonts(bytes->data());
    if (faces <= 0) {
        *err = "font file " + path + ": not a TrueType/OpenType font or collection";
        return false;
    }
    if (face < 0 || face >= faces) {
        *err = "font file " + path + ": has " + std::to_string(faces) + " faces, no face " +
               std::to_string(face);
        return false;
    }
    int offset = stbtt_GetFontOffsetForIndex(bytes->data(), face);
    stbtt_fontinfo info;
    if (offset < 0 || static_cast<std::size_t>(offset) >= bytes->size() ||
        !stbtt_InitFont(&info, bytes->data(), offset)) {
        *err = "font file " + path + ": face " + std::to_string(face) + " cannot be read";
        return false;
    }
    return true;
}

// Every character CP932 (the feed's Japanese encoding, kioskctl sync --encoding cp932) can carry:
// JIS X 0208 levels 1 and 2 and the NEC/IBM extensions, so names such as 髙橋 or 渡邊, outside
// Dear ImGui's 2,999 common kanji, draw as themselves. Decoded by glibc's iconv, as the feed is.
void add_cp932_repertoire(ImFontGlyphRangesBuilder& b) {
    iconv_t cd = iconv_open("UTF-32LE", "CP932");
    if (cd == reinterpret_cast<iconv_t>(-1)) return;  // the Japanese range alone still works
    auto add = [&](char* in, std::size_t n) {
        char32_t out[2] = {};
        char* op = reinterpret_cast<char*>(out);
        std::size_t in_left = n, out_left = sizeof out;
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        if (iconv(cd, &in, &in_left, &op, &out_left) != static_cast<std::size_t>(-1) &&
            out_left == sizeof out - 4 && out[0] >= 0x80 && out[0] <= 0xFFFF)
            b.AddChar(static_cast<ImWchar>(out[0]));
    };
    for (int c = 0xA1; c <= 0xDF; ++c) {  // half-width katakana
        char in[1] = {static_cast<char>(c)};
        add(in, 1);
    }
    for (int lead = 0x81; lead <= 0xFC; ++lead) {
        if (lead > 0x9F && lead < 0xE0) continue;
        for (int trail = 0x40; trail <= 0xFC; ++trail) {
            if (trail == 0x7F) continue;
            char in[2] = {static_cast<char>(lead), static_cast<char>(trail)};
            add(in, 2);
        }
    }
    iconv_close(cd);
}

void add_texts(ImFontGlyphRangesBuilder& b, std::span<const std::string_view> texts) {
    for (std::string_view t : texts) b.AddText(t.data(), t.data() + t.size());
}

}  // namespace

bool load_fonts(ImFontAtlas& atlas, const Theme& theme, const FontOptions& options,
                std::span<const std::string_view> ui_texts, FontSet* out, std::string* err) {
    if (!atlas.Fonts.empty()) {
        *err = "font atlas already holds fonts";
        return false;
    }
    std::vector<unsigned char> bytes;
    if (!read_font_file(options.path, options.face, &bytes, err)) return false;

    static const ImWchar kAscii[] = {0x0020, 0x007E, 0};
    {
        ImFontGlyphRangesBuilder b;
        if (options.body == BodyGlyphs::Full) {
            b.AddRanges(atlas.GetGlyphRangesJapanese());
            add_cp932_repertoire(b);
        } else {
            // ASCII, Latin-1, general punctuation, CJK punctuation + kana, full-width forms.
            static const ImWchar kQuick[] = {0x0020, 0x00FF, 0x2000, 0x206F, 0x3000,
                                             0x30FF, 0xFF00, 0xFFEF, 0};
            b.AddRanges(kQuick);
        }
        add_texts(b, ui_texts);
        b.BuildRanges(&out->body_ranges);
    }
    {
        ImFontGlyphRangesBuilder b;
        b.AddRanges(kAscii);
        add_texts(b, ui_texts);
        b.BuildRanges(&out->large_ranges);
    }
    {
        ImFontGlyphRangesBuilder b;
        b.AddText("0123456789:- ");
        b.BuildRanges(&out->countdown_ranges);
    }

    // One copy of the file, shared: the atlas frees it once (the first font owns it).
    const int size = static_cast<int>(bytes.size());
    void* data = IM_ALLOC(bytes.size());
    std::memcpy(data, bytes.data(), bytes.size());
    bytes = {};
    auto add = [&](double mm, const ImVector<ImWchar>& ranges) {
        ImFontConfig cfg;
        cfg.FontData = data;
        cfg.FontDataSize = size;
        cfg.FontDataOwnedByAtlas = true;  // not copied by AddFont
        cfg.FontNo = options.face;
        cfg.SizePixels = theme.px(mm);
        cfg.GlyphRanges = ranges.Data;
        cfg.OversampleH = 1;  // CJK at these sizes needs no sub-pixel oversampling
        cfg.OversampleV = 1;
        cfg.PixelSnapH = true;
        ImFormatString(cfg.Name, IM_ARRAYSIZE(cfg.Name), "Noto Sans CJK JP %.0fpx", cfg.SizePixels);
        return atlas.AddFont(&cfg);
    };
    out->body = add(Theme::kBodyMm, out->body_ranges);
    out->heading = add(Theme::kHeadingMm, out->large_ranges);
    out->title = add(Theme::kTitleMm, out->large_ranges);
    out->countdown = add(Theme::kCountdownMm, out->countdown_ranges);
    for (int i = 1; i < atlas.ConfigData.Size; ++i)
        atlas.ConfigData[i].FontDataOwnedByAtlas = false;

    atlas.Flags |= ImFontAtlasFlags_NoPowerOfTwoHeight;
    if (!atlas.Build()) {
        *err = "font file " + options.path + ": the font atlas could not be built";
        atlas.Clear();
        *out = FontSet{};
        return false;
    }
    return true;
}

void AtlasDelete::operator()(ImFontAtlas* a) const { IM_DELETE(a); }

// Dear ImGui 1.86's allocator counts allocations in the current context's IO
// (MetricsActiveAllocations, a statistic only): the one thing this thread shares with the GL
// thread.
FullAtlasBuild::FullAtlasBuild(const Theme& theme, FontOptions options,
                               std::vector<std::string> ui_texts, std::function<void()> done)
    : thread_([this, theme, options = std::move(options), texts = std::move(ui_texts),
               done = std::move(done)]() mutable {
          options.body = BodyGlyphs::Full;
          std::vector<std::string_view> views(texts.begin(), texts.end());
          AtlasPtr atlas(IM_NEW(ImFontAtlas)());
          if (load_fonts(*atlas, theme, options, views, &fonts_, &err_)) atlas_ = std::move(atlas);
          ready_ = true;
          if (done) done();
      }) {}

FullAtlasBuild::~FullAtlasBuild() {
    if (thread_.joinable()) thread_.join();
}

AtlasPtr FullAtlasBuild::take(FontSet* fonts, std::string* err) {
    if (thread_.joinable()) thread_.join();
    if (!atlas_) {
        *err = err_.empty() ? "the full font atlas was already taken" : err_;
        return nullptr;
    }
    *fonts = std::move(fonts_);
    return std::move(atlas_);
}

void install_atlas(ImGuiIO& io, AtlasPtr atlas) {
    ImGuiContext& g = *ImGui::GetCurrentContext();
    ImFontAtlas* old = io.Fonts;
    const bool owned_old = g.FontAtlasOwnedByContext;
    io.Fonts = atlas.release();
    g.FontAtlasOwnedByContext = true;  // deleted by DestroyContext from here
    io.FontDefault = nullptr;          // it pointed into the old atlas
    if (old && old != io.Fonts && owned_old) IM_DELETE(old);
}

void release_font_sources(ImFontAtlas& atlas) {
    atlas.ClearTexData();
    atlas.ClearInputData();
}

std::vector<unsigned> missing_glyphs(const ImFont& font, std::string_view utf8) {
    std::vector<unsigned> out;
    const char* p = utf8.data();
    const char* end = p + utf8.size();
    while (p < end) {
        unsigned c = 0;
        int n = ImTextCharFromUtf8(&c, p, end);
        if (n <= 0) break;
        p += n;
        if (c == '\n' || c == '\r') continue;
        if (c > 0xFFFF || !font.FindGlyphNoFallback(static_cast<ImWchar>(c))) out.push_back(c);
    }
    return out;
}

}  // namespace ui
