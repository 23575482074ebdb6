// The fonts: every string of both tables has its glyphs in every size it can be drawn at (no "?"
// boxes), the body size holds the whole Japanese range for names, and a missing or broken font
// file is a clear error instead of Dear ImGui's abort.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
