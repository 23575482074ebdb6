// The fonts: every string of both tables has its glyphs in every size it can be drawn at (no "?"
// boxes), in the quick start-up atlas too; the body size holds the whole Japanese range for names,
// also in the full atlas built on a thread and swapped in; the thread makes no Dear ImGui
// allocation (1.86 counts them in the GL thread's context, unsynchronised); and a missing or
// broken font file is a clear error instead of Dear ImGui's abort.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ui_harness.h"

namespace {

namespace fs = std::filesystem;

std::string hex(const std::vector<unsigned>& cps) {
    std::string out;
    char buf[16];
    for (unsigned c : cps) {
        std::snprintf(buf, sizeof buf, "U+%04X ", c);
        out += buf;
    }
    return out;
}

TEST(UiFonts, EveryStringOfBothTablesHasItsGlyphs) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    for (kiosk::Lang lang : {kiosk::Lang::Ja, kiosk::Lang::En}) {
        for (std::string_view text : ui::strings(lang).all()) {
            for (const ImFont* font : {f.fonts.body, f.fonts.heading, f.fonts.title}) {
                EXPECT_EQ(hex(ui::missing_glyphs(*font, text)), "")
                    << "\"" << text << "\" in " << font->FontSize << " px";
            }
        }
    }
}

TEST(UiFonts, BodyHoldsTheJapaneseRangeForNames) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    // Names and typed text come from outside the tables: common kanji and kana must be there.
    EXPECT_EQ(
        hex(ui::missing_glyphs(*f.fonts.body, "山田 太郎 佐藤花子 鈴木 髙橋 渡邊 ヤマダ タロウ")),
        "");
    EXPECT_EQ(hex(ui::missing_glyphs(*f.fonts.countdown, "1:59:09")), "");
    // The large sizes hold the UI's own strings only (a small atlas): a name's rare kanji is not
    // there, which is why names fall back to the body size (ScreenKit::name_font).
    EXPECT_NE(hex(ui::missing_glyphs(*f.fonts.title, "髙橋")), "");
}

// Every string of both tables in the body, heading and title sizes of `fonts`.
void expect_every_string(const ui::FontSet& fonts, const char* which) {
    for (kiosk::Lang lang : {kiosk::Lang::Ja, kiosk::Lang::En})
        for (std::string_view text : ui::strings(lang).all())
            for (const ImFont* font : {fonts.body, fonts.heading, fonts.title})
                EXPECT_EQ(hex(ui::missing_glyphs(*font, text)), "")
                    << which << ": \"" << text << "\" in " << font->FontSize << " px";
}

// Draws one headless frame with `font`, as the kiosk does between its atlas swaps.
void draw_frame(ImFont* font, const char* text) {
    ImGui::NewFrame();
    ImGui::Begin("w");
    ImGui::PushFont(font);
    ImGui::TextUnformatted(text);
    ImGui::PopFont();
    ImGui::End();
    ImGui::Render();
}

// Names from the feed (CP932) outside Dear ImGui's 2,999 kanji: IBM/NEC extensions and level 2.
constexpr const char* kCp932Names = "髙橋 渡邊 山﨑 德永 ① ｶﾀｶﾅ";

TEST(UiFonts, SwappedInFullAtlasHoldsTheCp932Names) {
    ImGuiContext* ctx = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1920, 1080);
    io.DeltaTime = 1.0f / 60;
    io.IniFilename = nullptr;
    const ui::Theme theme;
    const std::vector<std::string_view> texts = ui::all_strings();
    ui::FontSet quick;
    std::string err;
    ASSERT_TRUE(
        ui::load_fonts(*io.Fonts, theme, {.body = ui::BodyGlyphs::Quick}, texts, &quick, &err))
        << err;
    // The first frame's atlas: every UI string, not yet the names' rarer kanji.
    expect_every_string(quick, "quick atlas");
    EXPECT_NE(hex(ui::missing_glyphs(*quick.body, "髙橋")), "");

    std::atomic<int> done{0};
    ui::AtlasBuild build(theme, {}, std::vector<std::string>(texts.begin(), texts.end()),
                         [&] { ++done; });
    draw_frame(quick.body, "待ち受け");  // frames go on while the full atlas builds
    ui::FontSet full;
    ui::AtlasPtr atlas = build.take(&full, &err);
    ASSERT_TRUE(atlas) << err;
    EXPECT_TRUE(build.ready());
    EXPECT_EQ(done.load(), 1);
    EXPECT_TRUE(atlas->IsBuilt());
    EXPECT_FALSE(build.take(&full, &err)) << "handed over once";

    ImFontAtlas* built = atlas.get();
    ui::install_atlas(io, std::move(atlas));
    EXPECT_EQ(io.Fonts, built);
    EXPECT_EQ(full.body->ContainerAtlas, io.Fonts);
    EXPECT_EQ(hex(ui::missing_glyphs(*full.body, kCp932Names)), "");
    EXPECT_EQ(hex(ui::missing_glyphs(*full.body, "山田 太郎 佐藤花子 ヤマダ タロウ")), "");
    expect_every_string(full, "full atlas");
    ui::release_font_sources(*io.Fonts);  // what Platform::replace_fonts does after the upload
    draw_frame(full.body, kCp932Names);
    ASSERT_NE(ImGui::GetDrawData(), nullptr);
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 0);
    ImGui::DestroyContext(ctx);  // deletes the installed atlas
}

// Dear ImGui's allocator, counting the calls made on threads other than the test's own.
std::thread::id g_imgui_thread;
std::atomic<int> g_foreign_allocations{0};
void* counting_alloc(size_t n, void*) {
    if (std::this_thread::get_id() != g_imgui_thread) ++g_foreign_allocations;
    return std::malloc(n);
}
void counting_free(void* p, void*) {
    if (p && std::this_thread::get_id() != g_imgui_thread) ++g_foreign_allocations;
    std::free(p);
}

// Dear ImGui 1.86's MemAlloc/MemFree add to GImGui->IO.MetricsActiveAllocations (a plain int) on
// every call, whatever the allocator: a thread allocating through Dear ImGui while the GL thread
// draws is a data race. The build's thread must make none (fill_atlas runs on the caller's).
TEST(UiFonts, AtlasBuildThreadMakesNoDearImGuiAllocation) {
    ImGuiMemAllocFunc old_alloc = nullptr;
    ImGuiMemFreeFunc old_free = nullptr;
    void* old_data = nullptr;
    ImGui::GetAllocatorFunctions(&old_alloc, &old_free, &old_data);
    g_imgui_thread = std::this_thread::get_id();
    g_foreign_allocations = 0;
    ImGui::SetAllocatorFunctions(counting_alloc, counting_free, nullptr);
    ImGuiContext* ctx = ImGui::CreateContext();

    // The counter sees an allocation made through Dear ImGui on another thread.
    std::thread([] { IM_FREE(IM_ALLOC(16)); }).join();
    EXPECT_EQ(g_foreign_allocations.load(), 2);
    g_foreign_allocations = 0;

    const std::vector<std::string_view> texts = ui::all_strings();
    ui::AtlasBuild build(ui::Theme{}, {}, std::vector<std::string>(texts.begin(), texts.end()),
                         nullptr);
    ui::FontSet full;
    std::string err;
    ui::AtlasPtr atlas = build.take(&full, &err);
    ASSERT_TRUE(atlas) << err;
    EXPECT_EQ(g_foreign_allocations.load(), 0);
    EXPECT_GT(build.bake_time().count(), 0);
    EXPECT_EQ(hex(ui::missing_glyphs(*full.body, kCp932Names)), "");
    atlas.reset();
    ImGui::DestroyContext(ctx);
    ImGui::SetAllocatorFunctions(old_alloc, old_free, old_data);
}

TEST(UiFonts, SizesFollowTheTheme) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    EXPECT_NEAR(f.fonts.body->FontSize, f.theme.px(ui::Theme::kBodyMm), 0.01);
    EXPECT_NEAR(f.fonts.title->FontSize, f.theme.px(ui::Theme::kTitleMm), 0.01);
    EXPECT_GT(f.fonts.heading->FontSize, f.fonts.body->FontSize);
}

TEST(UiFonts, MissingFontFileIsAClearError) {
    ImFontAtlas atlas;
    ui::FontSet fonts;
    std::string err;
    ui::FontOptions opt{.path = "/nonexistent/NotoSansCJK-Regular.ttc"};
    EXPECT_FALSE(ui::load_fonts(atlas, ui::Theme{}, opt, ui::all_strings(), &fonts, &err));
    EXPECT_NE(err.find("font file /nonexistent/NotoSansCJK-Regular.ttc: No such file or directory"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("fonts-noto-cjk"), std::string::npos) << err;
    EXPECT_EQ(fonts.body, nullptr);
}

TEST(UiFonts, NotAFontOrNoSuchFaceIsAClearError) {
    fs::path p = fs::temp_directory_path() / ("ui_fonts_test_" + std::to_string(::getpid()));
    std::ofstream(p) << "this is not a font file at all";
    ImFontAtlas atlas;
    ui::FontSet fonts;
    std::string err;
    EXPECT_FALSE(
        ui::load_fonts(atlas, ui::Theme{}, {.path = p.string()}, ui::all_strings(), &fonts, &err));
    EXPECT_NE(err.find("not a TrueType/OpenType font"), std::string::npos) << err;
    fs::remove(p);

    err.clear();
    EXPECT_FALSE(ui::load_fonts(atlas, ui::Theme{}, {.face = 99}, ui::all_strings(), &fonts, &err));
    EXPECT_NE(err.find("no face 99"), std::string::npos) << err;
    EXPECT_TRUE(atlas.Fonts.empty());
}

}  // namespace

namespace {

TEST(UiFonts, AtlasSizeIsReported) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    int glyphs = 0;
    for (const ImFont* font : f.atlas.Fonts) glyphs += font->Glyphs.Size;
    std::printf("font atlas: %d x %d px, %d glyphs (body %d)\n", f.atlas.TexWidth,
                f.atlas.TexHeight, glyphs, f.fonts.body->Glyphs.Size);
    EXPECT_LE(f.atlas.TexWidth, 8192);  // within every GL driver's texture limit
    EXPECT_LE(f.atlas.TexHeight, 8192);
}

}  // namespace
