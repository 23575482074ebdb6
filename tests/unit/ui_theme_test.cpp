// The theme: text contrast at least 7:1 for every pair the screens draw, sizes from millimetres on
// the panel (a 20 mm control on the default 15.6-inch 1920x1080 panel), the style without
// scrollbars.
#include <gtest/gtest.h>

#include "imgui.h"
#include "ui/theme.h"

namespace {

TEST(UiTheme, ContrastRatioOfKnownColours) {
    EXPECT_NEAR(ui::contrast_ratio({0, 0, 0}, {255, 255, 255}), 21.0, 1e-9);
    EXPECT_NEAR(ui::contrast_ratio({255, 255, 255}, {255, 255, 255}), 1.0, 1e-9);
    // WCAG's example: #767676 on white is 4.54:1.
    EXPECT_NEAR(ui::contrast_ratio({0x76, 0x76, 0x76}, {255, 255, 255}), 4.54, 0.01);
}

TEST(UiTheme, EveryTextPairIsAtLeastSevenToOne) {
    ui::Theme theme;
    auto pairs = theme.text_pairs();
    ASSERT_GE(pairs.size(), 10u);
    for (const ui::ColourPair& p : pairs)
        EXPECT_GE(ui::contrast_ratio(p.text, p.background), 7.0) << p.what;
}

TEST(UiTheme, ControlsAreTwentyMillimetresOnTheDefaultPanel) {
    ui::Theme theme;
    // 15.6-inch 16:9: 345.4 mm wide; 1920 px across it.
    EXPECT_NEAR(theme.px_per_mm, 5.559, 0.001);
    EXPECT_NEAR(theme.control_px(), 111.2, 0.1);
    ui::Theme small;
    small.px_per_mm = 1280 / 345.4;
    EXPECT_NEAR(small.control_px(), 74.1, 0.1);
}

TEST(UiTheme, StyleHasNoScrollbarsAndNoKeyboardFocusFrame) {
    ImGuiContext* ctx = ImGui::CreateContext();
    ui::Theme theme;
    theme.apply(ImGui::GetStyle());
    EXPECT_EQ(ImGui::GetStyle().ScrollbarSize, 0.0f);
    EXPECT_EQ(ImGui::GetStyle().Colors[ImGuiCol_NavHighlight].w, 0.0f);
    EXPECT_EQ(ImGui::GetStyle().TouchExtraPadding.x, 0.0f);
    ImGui::DestroyContext(ctx);
}

}  // namespace
