// The building blocks every kiosk screen is drawn with: a layout cursor running down the content
// area, wrapped and centred text in the theme's fonts and colours, banners (colour + symbol +
// word), touch-sized buttons that report intents, the top bar and the status strip. Each block
// also notes what it drew in the frame's FrameRecord (when one is given), for tests and scripts.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "ui/screens.h"
#include "ui/strings.h"

namespace ui {

enum class Tone { Granted, Refused, Warning, Neutral };

// Line height as a multiple of the font size.
inline constexpr float kLine = 1.2f;
enum class Align { Left, Center };

struct ButtonSpec {
    kiosk::Intent intent;
    std::string_view label;
    bool primary = true;  // filled; otherwise a quiet white button with a border
};

class ScreenKit {
public:
    ScreenKit(const kiosk::KioskState& state, const UiContext& ctx);

    const kiosk::KioskState& state;
    const UiContext& ctx;
    const Strings& s;
    const Theme& theme;
    const FontSet& fonts;
    std::vector<kiosk::Intent> intents;

    // The content area (screen pixels) and the cursor's row in it.
    float left = 0, right = 0, top = 0, bottom = 0, y = 0;
    float width() const { return right - left; }

    void gap(double mm) { y += theme.px(mm); }
    // Text wrapped to the content width (line breaks: ui/line_breaks.h).
    void text(std::string_view text, ImFont* font, Rgb colour, Align align = Align::Center);
    void text(std::string_view t, ImFont* font) { text(t, font, theme.palette.text); }
    // A full-width band: colour and the text's own symbol and word.
    void banner(Tone tone, std::string_view text);
    // A centred row of buttons; the touched ones' intents join `intents`.
    void buttons(const std::vector<ButtonSpec>& row);
    // A button at `pos` (screen pixels), at least `size` (and never under 20 mm square).
    bool button_at(ImVec2 pos, const ButtonSpec& b, ImVec2 size = ImVec2(0, 0));
    ImVec2 button_size(const ButtonSpec& b) const;
    // The font a name is drawn in: the heading size when it has every glyph, else the body size
    // (the body font holds the whole Japanese range).
    ImFont* name_font(std::string_view name) const;

    // The frame around the trainee screens.
    void top_bar(bool language_toggle);
    void status_strip();  // reader, records age, free seats; at the bottom of the display
    float status_strip_height() const;

    // Japan time: "14:05", the date line, "1:05:09".
    std::string clock(kiosk::Instant t) const;
    std::string date_line(kiosk::Instant t) const;
    static std::string duration(std::chrono::seconds left);
    std::string records_line() const;  // "✓ 受講記録: 3時間前に更新", ...

    void note_text(std::string_view t);
    void finish();  // records content_bottom

private:
    void line(std::string_view t, ImFont* font, Rgb colour, float x);
};

}  // namespace ui
