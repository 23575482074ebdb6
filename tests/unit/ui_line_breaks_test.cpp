// Line breaking: English at spaces, Japanese between characters but never with closing punctuation
// at a line start, every line within the width, nothing lost.
#include <gtest/gtest.h>

#include "ui/line_breaks.h"
#include "ui_harness.h"

namespace {

float width_of(const ImFont& f, std::string_view s) {
    return f.CalcTextSizeA(f.FontSize, FLT_MAX, 0, s.data(), s.data() + s.size()).x;
}

std::string joined(const std::vector<std::string_view>& lines, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i) out += sep;
        out += lines[i];
    }
    return out;
}

TEST(UiLineBreaks, EnglishBreaksAtSpaces) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    const ImFont& font = *f.fonts.body;
    std::string text =
        "Your Overview course certificate was reported lost: retake the course to "
        "get a new certificate.";
    float width = width_of(font, "Your Overview course certificate");
    auto lines = ui::break_lines(font, text, width);
    ASSERT_GE(lines.size(), 3u);
    for (std::string_view l : lines) {
        EXPECT_LE(width_of(font, l), width + 0.5f) << l;
        EXPECT_FALSE(l.starts_with(" ")) << l;
        EXPECT_FALSE(l.ends_with(" ")) << l;
    }
    EXPECT_EQ(joined(lines, " "), text);
}

TEST(UiLineBreaks, JapaneseKeepsPunctuationOffTheLineStart) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    const ImFont& font = *f.fonts.body;
    std::string text =
        "MID-"
        "NET研修（概論）の修了証は紛失の届けが出ています。再受講して、新しい修了証を受け取ってくだ"
        "さい。";
    // Every width from 6 to 30 characters: no line starts with closing punctuation.
    for (int chars = 6; chars <= 30; ++chars) {
        float width = font.FontSize * chars;
        auto lines = ui::break_lines(font, text, width);
        EXPECT_EQ(joined(lines, ""), text);
        for (std::string_view l : lines) {
            EXPECT_LE(width_of(font, l), width + 0.5f) << l;
            for (std::string_view bad : {"、", "。", "）", "ー"})
                EXPECT_FALSE(l.starts_with(bad)) << chars << ": " << l;
            EXPECT_FALSE(l.ends_with("（")) << l;
        }
    }
}

TEST(UiLineBreaks, ShortTextIsOneLineAndNewlinesBreak) {
    ui_test::SharedFonts& f = ui_test::shared_fonts();
    ASSERT_EQ(f.error, "");
    const ImFont& font = *f.fonts.body;
    EXPECT_EQ(ui::break_lines(font, "開始", 1000), (std::vector<std::string_view>{"開始"}));
    EXPECT_EQ(ui::break_lines(font, "a\nb", 1000), (std::vector<std::string_view>{"a", "b"}));
    EXPECT_TRUE(ui::break_lines(font, "", 1000).empty());
    // A word wider than the line is cut, not lost.
    auto lines = ui::break_lines(font, "ABCDEFGHIJKLMNOP", font.FontSize * 3);
    EXPECT_GT(lines.size(), 1u);
    EXPECT_EQ(joined(lines, ""), "ABCDEFGHIJKLMNOP");
}

}  // namespace
