// The kiosk's window: GLFW + an OpenGL 3 context + Dear ImGui's GLFW and OpenGL3 backends (compiled
// from Debian's libimgui-dev examples). Full screen with the cursor hidden by default, windowed for
// development. Made for an event-driven loop: wait() sleeps until input, a wake_up() from another
// thread (reader, worker) or a timeout; take_input() says whether anything arrived. No display or
// no GL context is a clear error from open(), never a crash.
#pragma once

#include <memory>
#include <string>

#include "ui/fonts.h"

struct GLFWwindow;

namespace ui {

struct WindowOptions {
    bool full_screen = true;  // the primary monitor's current mode
    int width = 1920;         // windowed size (screen coordinates)
    int height = 1080;
    bool hide_cursor = true;  // a touch kiosk shows no pointer
    bool visible = true;
    std::string title = "Onsite Kiosk";
};

class Platform {
public:
    // Opens the window, makes its GL context current and creates the Dear ImGui context with the
    // backends attached (no .ini file, text cursor not blinking). nullptr + *err when there is no
    // display or no OpenGL 3 context.
    static std::unique_ptr<Platform> open(const WindowOptions& options, std::string* err);
    ~Platform();
    Platform(const Platform&) = delete;
    Platform& operator=(const Platform&) = delete;

    GLFWwindow* window() const { return window_; }
    bool should_close() const;

    // Sleeps until input, wake_up() or `timeout_seconds` (<= 0: only handles what is pending).
    void wait(double timeout_seconds);
    // Thread-safe: makes a wait() in progress return (glfwPostEmptyEvent). A no-op when no
    // Platform is open.
    static void wake_up();
    // Whether input (pointer, touch, key, text, scroll, focus, resize, expose) arrived since the
    // last call; clears it.
    bool take_input();

    // After ui::load_fonts into ImGui::GetIO().Fonts: uploads the atlas as a one-byte-a-pixel GL
    // texture (in place of the previous one), then frees the CPU-side pixels and the build's
    // inputs (release_font_sources).
    bool upload_fonts(std::string* err);
    // Between frames: makes `atlas` (ui::AtlasBuild::take) the context's io.Fonts, deletes the
    // previous atlas and its texture, and uploads the new one as upload_fonts does.
    bool replace_fonts(AtlasPtr atlas, std::string* err);

    void begin_frame();  // the backends' NewFrame, then ImGui::NewFrame
    // ImGui::Render, then clears and draws the frame; with a non-empty `screenshot` path writes the
    // frame as PNG before the swap. false + *err when the screenshot could not be written (the
    // frame is still shown).
    bool end_frame(const std::string& screenshot, std::string* err);

    int framebuffer_width() const;
    int framebuffer_height() const;

private:
    Platform() = default;
    GLFWwindow* window_ = nullptr;
    bool imgui_glfw_ = false;
    bool imgui_gl_ = false;
    unsigned font_texture_ = 0;  // the atlas's texture (made here, not by the backend)
};

}  // namespace ui
