// The kiosk's look for standing people: colours whose text contrast is at least 7:1, sizes given
// in millimetres on the panel (primary controls at least 20 mm square), no blinking, and status
// always told by a word and a symbol as well as a colour. Screens take every size and colour from
// here; apply() sets Dear ImGui's style to match.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

struct ImGuiStyle;

namespace ui {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

// WCAG 2 contrast ratio of two colours, 1..21.
double contrast_ratio(Rgb a, Rgb b);

struct Palette {
    Rgb background{0xF4, 0xF4, 0xEF};  // warm off-white: calm, no glare
    Rgb text{0x11, 0x11, 0x11};
    Rgb muted_text{0x3A, 0x3A, 0x3A};  // secondary lines (site name, status strip)
    Rgb strip{0xE2, 0xE2, 0xDA};       // the status strip's band
    Rgb granted{0x0F, 0x51, 0x32};     // banner backgrounds, white text on them
    Rgb refused{0x8B, 0x1A, 0x1A};
    Rgb warning{0xFF, 0xD5, 0x4F};  // dark text on it
    Rgb banner_text{0xFF, 0xFF, 0xFF};
    Rgb button{0x1F, 0x3A, 0x93};
    Rgb button_hovered{0x24, 0x44, 0xA8};
    Rgb button_pressed{0x14, 0x27, 0x66};
    Rgb button_text{0xFF, 0xFF, 0xFF};
    Rgb quiet_button{0xFF, 0xFF, 0xFF};  // secondary controls: white with a dark border
    Rgb quiet_button_pressed{0xD6, 0xD6, 0xCE};
    Rgb border{0x33, 0x33, 0x33};
};

// One text colour on one background, as the screens draw it (for the contrast test).
struct ColourPair {
    std::string_view what;
    Rgb text, background;
};

// A 15.6-inch 16:9 panel is 345.4 mm wide; at 1920×1080 that is 5.56 px per mm.
inline constexpr double kDefaultPanelWidthMm = 345.4;
inline constexpr double kDefaultPxPerMm = 1920.0 / kDefaultPanelWidthMm;

struct Theme {
    double px_per_mm = kDefaultPxPerMm;
    Palette palette;

    // Sizes on the panel, in millimetres.
    static constexpr double kControlMm = 20;    // smallest side of a primary control
    static constexpr double kBodyMm = 7;        // body text (em height)
    static constexpr double kHeadingMm = 11;    // banners, the clock
    static constexpr double kTitleMm = 16;      // the call to tap
    static constexpr double kCountdownMm = 32;  // the session's time left
    static constexpr double kMarginMm = 10;     // screen edges
    static constexpr double kGapMm = 5;         // between blocks

    float px(double mm) const { return static_cast<float>(mm * px_per_mm); }
    float control_px() const { return px(kControlMm); }

    // Every text/background pair the screens use.
    std::vector<ColourPair> text_pairs() const;

    // Dear ImGui's style: colours, roundings, paddings, no scrollbars.
    void apply(ImGuiStyle& style) const;
};

// ImGui colour (ImU32, ABGR) of an Rgb.
unsigned int to_imu32(Rgb c, std::uint8_t alpha = 0xFF);

}  // namespace ui
