// The kiosk's theme: WCAG contrast, the palette's pairs, and Dear ImGui's style.
#include "ui/theme.h"

#include <algorithm>
#include <cmath>

#include "imgui.h"

namespace ui {

namespace {

double channel(std::uint8_t v) {
    double c = v / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double luminance(Rgb c) {
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

ImVec4 vec(Rgb c, float alpha = 1.0f) {
    return ImVec4(c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, alpha);
}

}  // namespace

double contrast_ratio(Rgb a, Rgb b) {
    double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

unsigned int to_imu32(Rgb c, std::uint8_t alpha) { return IM_COL32(c.r, c.g, c.b, alpha); }

std::vector<ColourPair> Theme::text_pairs() const {
    const Palette& p = palette;
    return {
        {"text on background", p.text, p.background},
        {"muted text on background", p.muted_text, p.background},
        {"text on status strip", p.text, p.strip},
        {"muted text on status strip", p.muted_text, p.strip},
        {"granted text on status strip", p.granted, p.strip},
        {"granted text on background", p.granted, p.background},
        {"banner text on granted", p.banner_text, p.granted},
        {"banner text on refused", p.banner_text, p.refused},
        {"text on warning", p.text, p.warning},
        {"button text on button", p.button_text, p.button},
        {"button text on hovered button", p.button_text, p.button_hovered},
        {"button text on pressed button", p.button_text, p.button_pressed},
        {"text on quiet button", p.text, p.quiet_button},
        {"text on pressed quiet button", p.text, p.quiet_button_pressed},
    };
}

void Theme::apply(ImGuiStyle& style) const {
    style = ImGuiStyle();
    const Palette& p = palette;
    style.WindowPadding = ImVec2(px(kMarginMm), px(kMarginMm * 0.6));
    style.WindowRounding = 0;
    style.WindowBorderSize = 0;
    style.FramePadding = ImVec2(px(4), px(3));
    style.FrameRounding = px(2);
    style.FrameBorderSize = 2;
    style.ItemSpacing = ImVec2(px(kGapMm), px(kGapMm * 0.6));
    style.ItemInnerSpacing = ImVec2(px(2), px(2));
    // Touch: a small extra padding only (overlapping areas: the first widget wins).
    style.TouchExtraPadding = ImVec2(0, 0);
    style.ScrollbarSize = 0;
    style.AntiAliasedLines = true;
    style.AntiAliasedFill = true;

    ImVec4* c = style.Colors;
    c[ImGuiCol_Text] = vec(p.text);
    c[ImGuiCol_TextDisabled] = vec(p.muted_text);
    c[ImGuiCol_WindowBg] = vec(p.background);
    c[ImGuiCol_ChildBg] = vec(p.background, 0);
    c[ImGuiCol_PopupBg] = vec(p.background);
    c[ImGuiCol_Border] = vec(p.border);
    c[ImGuiCol_FrameBg] = vec(p.quiet_button);
    c[ImGuiCol_FrameBgHovered] = vec(p.quiet_button);
    c[ImGuiCol_FrameBgActive] = vec(p.quiet_button_pressed);
    c[ImGuiCol_Button] = vec(p.button);
    c[ImGuiCol_ButtonHovered] = vec(p.button_hovered);
    c[ImGuiCol_ButtonActive] = vec(p.button_pressed);
    c[ImGuiCol_TextSelectedBg] = vec(p.warning);
    c[ImGuiCol_NavHighlight] = vec(p.border, 0);  // no keyboard-focus frame on a touch kiosk
    c[ImGuiCol_ModalWindowDimBg] = vec(p.text, 0.35f);
    // Tables (the workspace's results grid): the header on the strip's band, every other row
    // faintly banded (the others are not filled at all: a filled row costs software GL a frame's
    // worth of pixels), dark outer lines and light lines between cells.
    c[ImGuiCol_TableHeaderBg] = vec(p.strip);
    c[ImGuiCol_TableBorderStrong] = vec(p.border);
    c[ImGuiCol_TableBorderLight] = vec(p.border, 0.3f);
    c[ImGuiCol_TableRowBg] = vec(p.background, 0);
    c[ImGuiCol_TableRowBgAlt] = vec(p.strip, 0.5f);
    style.CellPadding = ImVec2(px(1.5), px(0.6));
}

}  // namespace ui
