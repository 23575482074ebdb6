// Loading Noto Sans CJK JP into Dear ImGui's atlas: the file is mapped and checked first (Dear
// ImGui asserts, and so aborts, on a file it cannot open or a face it cannot find), then the glyphs
// are rasterised by stb_truetype into plain memory (bake: no Dear ImGui call, any thread), then
// fill_atlas makes the ImFontAtlas from them on the ImGui thread, the way Dear ImGui 1.86's own
// stb_truetype builder lays them out (same packing, metrics and custom rectangles).
#include "ui/fonts.h"

#include <fcntl.h>
#include <iconv.h>
#include <malloc.h>
#include <stb_rect_pack.h>
#include <stb_truetype.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "imgui_internal.h"

namespace ui {

// Glyphs rasterised into plain memory, ready for fill_atlas.
struct BakedGlyph {
    int codepoint = 0;
    stbtt_packedchar packed{};
};
struct BakedFont {
    float size = 0, ascent = 0, descent = 0;
    std::vector<BakedGlyph> glyphs;
};
struct BakedFonts {
    int width = 0, height = 0;
    std::vector<unsigned char> pixels;  // Alpha8, width * height
    std::vector<stbrp_rect> custom;     // Dear ImGui's own rectangles, placed
    std::array<BakedFont, 4> fonts;     // body, heading, title, countdown
};

namespace {

constexpr int kGlyphPadding = 1;          // ImFontAtlas::TexGlyphPadding's default
constexpr int kTexHeightMax = 1024 * 32;  // as Dear ImGui's builder
// No software mouse cursors (the kiosk draws none; io.MouseDrawCursor stays off); the height is
// not rounded up to a power of two (GL 3 takes any size).
constexpr ImFontAtlasFlags kAtlasFlags =
    ImFontAtlasFlags_NoPowerOfTwoHeight | ImFontAtlasFlags_NoMouseCursors;

// Refuses to rasterise again: the atlas's input is baked glyphs, not font data.
bool refuse_rebuild(ImFontAtlas*) { return false; }
const ImFontBuilderIO kPrebaked{refuse_rebuild};

// What a bake needs besides the file: all plain data, copied on the ImGui thread.
struct BakeRequest {
    float sizes[4] = {};  // body, heading, title, countdown, in pixels
    BodyGlyphs body = BodyGlyphs::Full;
    std::vector<std::string> texts;
    std::vector<ImWchar> japanese;           // Dear ImGui's Japanese ranges (pairs, 0-terminated)
    std::vector<std::array<int, 2>> custom;  // the atlas's own rectangles (w, h)
};

BakeRequest make_request(ImFontAtlas& atlas, const Theme& theme, BodyGlyphs body,
                         std::span<const std::string_view> texts) {
    BakeRequest r;
    r.sizes[0] = theme.px(Theme::kBodyMm);
    r.sizes[1] = theme.px(Theme::kHeadingMm);
    r.sizes[2] = theme.px(Theme::kTitleMm);
    r.sizes[3] = theme.px(Theme::kCountdownMm);
    r.body = body;
    r.texts.assign(texts.begin(), texts.end());
    if (body == BodyGlyphs::Full)
        for (const ImWchar* p = atlas.GetGlyphRangesJapanese(); *p; ++p) r.japanese.push_back(*p);
    r.japanese.push_back(0);
    atlas.Flags |= kAtlasFlags;
    ImFontAtlasBuildInit(&atlas);  // registers the white pixel and the baked lines
    for (const ImFontAtlasCustomRect& c : atlas.CustomRects)
        r.custom.push_back({c.Width, c.Height});
    return r;
}

// A set of BMP code points (Dear ImGui 1.86's ImWchar is 16-bit).
class CodeSet {
public:
    void add(unsigned c) {
        if (c < bits_.size()) bits_[c] = true;
    }
    void add_range(unsigned lo, unsigned hi) {
        for (unsigned c = lo; c <= hi; ++c) add(c);
    }
    void add_utf8(std::string_view s) {
        std::size_t i = 0;
        while (i < s.size()) {
            const auto b = static_cast<unsigned char>(s[i]);
            int n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
            if (n == 0 || i + n > s.size()) {
                ++i;  // not UTF-8: skipped
                continue;
            }
            unsigned c = n == 1 ? b : b & (0x7F >> n);
            bool ok = true;
            for (int k = 1; k < n; ++k) {
                const auto t = static_cast<unsigned char>(s[i + k]);
                ok = ok && (t & 0xC0) == 0x80;
                c = (c << 6) | (t & 0x3F);
            }
            i += ok ? n : 1;
            if (ok) add(c);
        }
    }
    // The code points the font has a glyph for, ascending.
    std::vector<int> present_in(const stbtt_fontinfo& info) const {
        std::vector<int> out;
        for (unsigned c = 1; c < bits_.size(); ++c)
            if (bits_[c] && stbtt_FindGlyphIndex(&info, static_cast<int>(c)) != 0)
                out.push_back(static_cast<int>(c));
        return out;
    }

private:
    std::vector<bool> bits_ = std::vector<bool>(0x10000);
};

// Every character CP932 (the feed's Japanese encoding, kioskctl sync --encoding cp932) can carry:
// JIS X 0208 levels 1 and 2 and the NEC/IBM extensions, so names such as 髙橋 or 渡邊, outside
// Dear ImGui's 2,999 common kanji, draw as themselves. Decoded by glibc's iconv, as the feed is.
void add_cp932_repertoire(CodeSet& set) {
    iconv_t cd = iconv_open("UTF-32LE", "CP932");
    if (cd == reinterpret_cast<iconv_t>(-1)) return;  // the Japanese range alone still works
    auto add = [&](char* in, std::size_t n) {
        char32_t out[2] = {};
        char* op = reinterpret_cast<char*>(out);
        std::size_t in_left = n, out_left = sizeof out;
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        if (iconv(cd, &in, &in_left, &op, &out_left) != static_cast<std::size_t>(-1) &&
            out_left == sizeof out - 4 && out[0] >= 0x80 && out[0] <= 0xFFFF)
            set.add(out[0]);
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

// Rasterises the four sizes into one Alpha8 page laid out as Dear ImGui 1.86's stb_truetype
// builder does: its own rectangles first, then each font's glyphs (skyline packing), one pixel of
// padding, no oversampling (CJK at these sizes needs none). Plain memory only: any thread.
std::unique_ptr<BakedFonts> bake(const FontFile& file, const BakeRequest& req, std::string* err) {
    stbtt_fontinfo info;
    if (!stbtt_InitFont(&info, file.data(), file.face_offset())) {
        *err = "font file " + file.path() + ": face " + std::to_string(file.face()) +
               " cannot be read";
        return nullptr;
    }
    std::array<CodeSet, 4> sets;
    if (req.body == BodyGlyphs::Full) {
        for (std::size_t i = 0; i + 1 < req.japanese.size(); i += 2)
            sets[0].add_range(req.japanese[i], req.japanese[i + 1]);
        add_cp932_repertoire(sets[0]);
    } else {
        // ASCII, Latin-1, general punctuation, CJK punctuation + kana, full-width forms.
        sets[0].add_range(0x0020, 0x00FF);
        sets[0].add_range(0x2000, 0x206F);
        sets[0].add_range(0x3000, 0x30FF);
        sets[0].add_range(0xFF00, 0xFFEF);
    }
    for (CodeSet* s : {&sets[1], &sets[2]}) s->add_range(0x0020, 0x007E);
    for (const std::string& t : req.texts)
        for (int i = 0; i < 3; ++i) sets[i].add_utf8(t);
    sets[3].add_utf8("0123456789:- ");

    auto out = std::make_unique<BakedFonts>();
    std::array<std::vector<int>, 4> codepoints;
    std::array<std::vector<stbrp_rect>, 4> rects;
    long total_surface = 0;
    for (int i = 0; i < 4; ++i) {
        BakedFont& f = out->fonts[i];
        f.size = req.sizes[i];
        const float scale = stbtt_ScaleForPixelHeight(&info, f.size);
        int ascent = 0, descent = 0, gap = 0;
        stbtt_GetFontVMetrics(&info, &ascent, &descent, &gap);
        // As Dear ImGui: ImFloor truncates towards zero.
        f.ascent = std::trunc(ascent * scale + (ascent > 0 ? 1.0f : -1.0f));
        f.descent = std::trunc(descent * scale + (descent > 0 ? 1.0f : -1.0f));
        codepoints[i] = sets[i].present_in(info);
        rects[i].resize(codepoints[i].size());
        for (std::size_t g = 0; g < codepoints[i].size(); ++g) {
            int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            stbtt_GetGlyphBitmapBoxSubpixel(&info, stbtt_FindGlyphIndex(&info, codepoints[i][g]),
                                            scale, scale, 0, 0, &x0, &y0, &x1, &y1);
            stbrp_rect& r = rects[i][g];
            r.id = static_cast<int>(g);
            r.w = x1 - x0 + kGlyphPadding;
            r.h = y1 - y0 + kGlyphPadding;
            total_surface += static_cast<long>(r.w) * r.h;
        }
    }

    // The width as Dear ImGui picks it: the smallest that makes a roughly square page.
    const float side = std::sqrt(static_cast<float>(total_surface)) + 1;
    const int width = side >= 4096 * 0.7f   ? 4096
                      : side >= 2048 * 0.7f ? 2048
                      : side >= 1024 * 0.7f ? 1024
                                            : 512;
    stbtt_pack_context spc{};
    if (!stbtt_PackBegin(&spc, nullptr, width, kTexHeightMax, 0, kGlyphPadding, nullptr)) {
        *err = "font atlas: out of memory";
        return nullptr;
    }
    int height = 0;
    bool packed = true;
    auto pack = [&](std::vector<stbrp_rect>& rs) {
        if (rs.empty()) return;
        stbtt_PackFontRangesPackRects(&spc, rs.data(), static_cast<int>(rs.size()));
        for (const stbrp_rect& r : rs) {
            packed = packed && r.was_packed;
            if (r.was_packed) height = std::max(height, r.y + r.h);
        }
    };
    out->custom.resize(req.custom.size());
    for (std::size_t i = 0; i < req.custom.size(); ++i) {
        out->custom[i] = stbrp_rect{};
        out->custom[i].id = static_cast<int>(i);
        out->custom[i].w = req.custom[i][0];
        out->custom[i].h = req.custom[i][1];
    }
    pack(out->custom);
    for (auto& rs : rects) pack(rs);
    if (!packed) {
        stbtt_PackEnd(&spc);
        *err = "font file " + file.path() + ": the glyphs do not fit in a font atlas";
        return nullptr;
    }
    out->width = width;
    out->height = height + 1;  // ImFontAtlasFlags_NoPowerOfTwoHeight, as Dear ImGui
    out->pixels.assign(static_cast<std::size_t>(out->width) * out->height, 0);
    spc.pixels = out->pixels.data();
    spc.height = out->height;
    for (int i = 0; i < 4; ++i) {
        BakedFont& f = out->fonts[i];
        if (codepoints[i].empty()) continue;
        std::vector<stbtt_packedchar> chars(codepoints[i].size());
        stbtt_pack_range range{};
        range.font_size = f.size;
        range.array_of_unicode_codepoints = codepoints[i].data();
        range.num_chars = static_cast<int>(codepoints[i].size());
        range.chardata_for_range = chars.data();
        range.h_oversample = 1;
        range.v_oversample = 1;
        stbtt_PackFontRangesRenderIntoRects(&spc, &info, &range, 1, rects[i].data());
        f.glyphs.resize(chars.size());
        for (std::size_t g = 0; g < chars.size(); ++g) f.glyphs[g] = {codepoints[i][g], chars[g]};
    }
    stbtt_PackEnd(&spc);
    return out;
}

// On the thread that owns the ImGui context: the ImFontAtlas (prepared by make_request) from
// baked glyphs, as Dear ImGui's builder would have left it.
bool fill_atlas(ImFontAtlas& atlas, const BakedFonts& baked, FontSet* out, std::string* err) {
    if (baked.custom.size() != static_cast<std::size_t>(atlas.CustomRects.Size)) {
        *err = "font atlas: Dear ImGui's own rectangles changed while the glyphs were rasterised";
        return false;
    }
    atlas.ClearTexData();
    atlas.TexWidth = baked.width;
    atlas.TexHeight = baked.height;
    atlas.TexUvScale = ImVec2(1.0f / baked.width, 1.0f / baked.height);
    const std::size_t bytes = baked.pixels.size();
    atlas.TexPixelsAlpha8 = static_cast<unsigned char*>(IM_ALLOC(bytes));
    std::memcpy(atlas.TexPixelsAlpha8, baked.pixels.data(), bytes);
    for (int i = 0; i < atlas.CustomRects.Size; ++i) {
        atlas.CustomRects[i].X = static_cast<unsigned short>(baked.custom[i].x);
        atlas.CustomRects[i].Y = static_cast<unsigned short>(baked.custom[i].y);
    }
    // The configs first (the fonts point into ConfigData), then the fonts and their glyphs.
    atlas.ConfigData.reserve(static_cast<int>(baked.fonts.size()));
    for (const BakedFont& f : baked.fonts) {
        ImFontConfig cfg;
        cfg.FontData = nullptr;  // nothing to rasterise again (kPrebaked)
        cfg.FontDataOwnedByAtlas = false;
        cfg.SizePixels = f.size;
        cfg.OversampleH = 1;
        cfg.OversampleV = 1;
        cfg.PixelSnapH = true;
        ImFormatString(cfg.Name, IM_ARRAYSIZE(cfg.Name), "Noto Sans CJK JP %.0fpx", f.size);
        atlas.ConfigData.push_back(cfg);
    }
    ImFont* fonts[4] = {};
    for (std::size_t i = 0; i < baked.fonts.size(); ++i) {
        const BakedFont& f = baked.fonts[i];
        ImFontConfig& cfg = atlas.ConfigData[static_cast<int>(i)];
        ImFont* font = IM_NEW(ImFont);
        atlas.Fonts.push_back(font);
        cfg.DstFont = font;
        ImFontAtlasBuildSetupFont(&atlas, font, &cfg, f.ascent, f.descent);
        const float off_y = IM_ROUND(font->Ascent);
        for (const BakedGlyph& g : f.glyphs) {
            stbtt_aligned_quad q;
            float x = 0, y = 0;
            stbtt_GetPackedQuad(&g.packed, baked.width, baked.height, 0, &x, &y, &q, 0);
            font->AddGlyph(&cfg, static_cast<ImWchar>(g.codepoint), q.x0, q.y0 + off_y, q.x1,
                           q.y1 + off_y, q.s0, q.t0, q.s1, q.t1, g.packed.xadvance);
        }
        fonts[i] = font;
    }
    ImFontAtlasBuildFinish(&atlas);  // white pixel, lines, lookup tables, ellipsis
    atlas.FontBuilderIO = &kPrebaked;
    out->body = fonts[0];
    out->heading = fonts[1];
    out->title = fonts[2];
    out->countdown = fonts[3];
    return true;
}

}  // namespace

std::shared_ptr<const FontFile> FontFile::open(const std::string& path, int face,
                                               std::string* err) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = "font file " + path + ": " + std::strerror(errno) +
               " (install Debian's fonts-noto-cjk)";
        return nullptr;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *err = "font file " + path + ": not a regular file";
        ::close(fd);
        return nullptr;
    }
    std::shared_ptr<FontFile> f(new FontFile);
    f->path_ = path;
    f->face_ = face;
    if (st.st_size >= 12) {
        void* p =
            ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            *err = "font file " + path + ": " + std::strerror(errno);
            ::close(fd);
            return nullptr;
        }
        f->data_ = static_cast<const unsigned char*>(p);
        f->size_ = static_cast<std::size_t>(st.st_size);
    }
    ::close(fd);
    const int faces = f->size_ < 12 ? 0 : stbtt_GetNumberOfFonts(f->data_);
    if (faces <= 0) {
        *err = "font file " + path + ": not a TrueType/OpenType font or collection";
        return nullptr;
    }
    if (face < 0 || face >= faces) {
        *err = "font file " + path + ": has " + std::to_string(faces) + " faces, no face " +
               std::to_string(face);
        return nullptr;
    }
    const int offset = stbtt_GetFontOffsetForIndex(f->data_, face);
    stbtt_fontinfo info;
    if (offset < 0 || static_cast<std::size_t>(offset) >= f->size_ ||
        !stbtt_InitFont(&info, f->data_, offset)) {
        *err = "font file " + path + ": face " + std::to_string(face) + " cannot be read";
        return nullptr;
    }
    f->offset_ = offset;
    return f;
}

FontFile::~FontFile() {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
}

bool load_fonts(ImFontAtlas& atlas, const Theme& theme, const FontOptions& options,
                std::span<const std::string_view> ui_texts, FontSet* out, std::string* err) {
    if (!atlas.Fonts.empty()) {
        *err = "font atlas already holds fonts";
        return false;
    }
    auto file = FontFile::open(options.path, options.face, err);
    if (!file) return false;
    BakeRequest req = make_request(atlas, theme, options.body, ui_texts);
    std::unique_ptr<BakedFonts> baked = bake(*file, req, err);
    if (!baked || !fill_atlas(atlas, *baked, out, err)) {
        atlas.Clear();
        *out = FontSet{};
        return false;
    }
    return true;
}

void AtlasDelete::operator()(ImFontAtlas* a) const { IM_DELETE(a); }

// The thread touches only the request, the mapped file and its own BakedFonts; the atlas is made
// and filled on the caller's thread (make_request here, fill_atlas in take()).
AtlasBuild::AtlasBuild(const Theme& theme, FontOptions options, std::vector<std::string> ui_texts,
                       std::function<void()> done, std::shared_ptr<const FontFile> file)
    : atlas_(IM_NEW(ImFontAtlas)()), file_(std::move(file)) {
    if (!file_) file_ = FontFile::open(options.path, options.face, &err_);
    if (!file_) {
        ready_ = true;
        if (done) done();
        return;
    }
    std::vector<std::string_view> views(ui_texts.begin(), ui_texts.end());
    BakeRequest req = make_request(*atlas_, theme, options.body, views);
    thread_ = std::thread([this, req = std::move(req), done = std::move(done)] {
        const auto start = std::chrono::steady_clock::now();
        baked_ = bake(*file_, req, &err_);
        bake_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        ready_ = true;
        if (done) done();
    });
}

AtlasBuild::~AtlasBuild() {
    if (thread_.joinable()) thread_.join();
}

AtlasPtr AtlasBuild::take(FontSet* fonts, std::string* err) {
    if (thread_.joinable()) thread_.join();
    if (!atlas_ || !baked_) {
        *err = !atlas_        ? "the font atlas was already taken"
               : err_.empty() ? "the font atlas could not be built"
                              : err_;
        return nullptr;
    }
    const bool ok = fill_atlas(*atlas_, *baked_, fonts, err);
    baked_.reset();
    if (!ok) {
        atlas_.reset();
        return nullptr;
    }
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
    // The freed pixels and the rasteriser's scratch sit in malloc's arenas (one per thread that
    // baked): give whole free pages back, or the resident size keeps them.
    ::malloc_trim(0);
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
