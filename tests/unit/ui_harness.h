// Headless Dear ImGui for the ui tests: no window, no GL (as Dear ImGui's examples/example_null).
// The real font atlas (Noto Sans CJK JP at the theme's sizes) is built once per test binary and
// shared by a fresh ImGui context per test; frames run NewFrame -> draw -> Render, and touches are
// fed as a touch screen does, over three frames (hover, press, release), then lifted off-screen.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "imgui.h"
#include "ui/fonts.h"
#include "ui/imgui_compat.h"
#include "ui/staff_screens.h"
#include "ui/strings.h"
#include "ui/theme.h"

namespace ui_test {

struct SharedFonts {
    ImFontAtlas atlas;
    ui::FontSet fonts;
    ui::Theme theme;
    std::string error;
};

// Built on first use; error non-empty when the font could not be loaded.
inline SharedFonts& shared_fonts() {
    static SharedFonts* s = [] {
        auto* f = new SharedFonts;
        // The texts the kiosk program gives its atlas: the string tables and the staff screens'.
        std::vector<std::string_view> texts = ui::all_strings();
        for (std::string_view t : ui::staff_strings()) texts.push_back(t);
        if (ui::load_fonts(f->atlas, f->theme, ui::FontOptions{}, texts, &f->fonts, &f->error)) {
            unsigned char* pixels = nullptr;
            int w = 0, h = 0;
            f->atlas.GetTexDataAsRGBA32(&pixels, &w, &h);  // as a renderer would upload it
            f->atlas.SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(1)));
        }
        return f;
    }();
    return *s;
}

// One ImGui context over the shared atlas, at a display size, for one test.
class Headless {
public:
    explicit Headless(ImVec2 display = ImVec2(1920, 1080)) {
        SharedFonts& f = shared_fonts();
        EXPECT_EQ(f.error, "");
        ctx_ = ImGui::CreateContext(&f.atlas);
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.LogFilename = nullptr;
        io.DisplaySize = display;
        io.DeltaTime = 1.0f / 60.0f;
        io.ConfigInputTextCursorBlink = false;
        f.theme.apply(ImGui::GetStyle());
        ui::compat::lift_pointer(io);
    }
    ~Headless() { ImGui::DestroyContext(ctx_); }
    Headless(const Headless&) = delete;
    Headless& operator=(const Headless&) = delete;

    const ui::FontSet& fonts() const { return shared_fonts().fonts; }
    const ui::Theme& theme() const { return shared_fonts().theme; }

    // One frame: NewFrame, draw, Render.
    void frame(const std::function<void()>& draw) {
        ImGui::NewFrame();
        draw();
        ImGui::Render();
    }

    // A finger on `pos`: hover, press, release (three frames), then lifted off-screen and one more
    // frame. Returns what draw() returned on each frame, concatenated.
    template <class T>
    std::vector<T> touch(ImVec2 pos, const std::function<std::vector<T>()>& draw) {
        std::vector<T> out;
        ImGuiIO& io = ImGui::GetIO();
        auto run = [&] {
            frame([&] {
                std::vector<T> got = draw();
                out.insert(out.end(), got.begin(), got.end());
            });
        };
        ui::compat::set_pointer(io, pos, false);
        run();
        ui::compat::set_pointer(io, pos, true);
        run();
        ui::compat::set_pointer(io, pos, false);
        run();
        ui::compat::lift_pointer(io);
        run();
        return out;
    }

private:
    ImGuiContext* ctx_ = nullptr;
};

}  // namespace ui_test
