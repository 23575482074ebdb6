// GLFW window, OpenGL 3 context and Dear ImGui backends for the kiosk (see platform.h).
#include "ui/platform.h"

#include <GL/gl.h>
#include <GL/glext.h>
#include <GLFW/glfw3.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "ui/fonts.h"
#include "ui/screenshot.h"

namespace ui {

namespace {

std::string g_glfw_error;  // the last GLFW error (set on the main thread, read by open())
std::atomic<bool> g_open{false};
std::atomic<bool> g_input{false};

void on_glfw_error(int code, const char* description) {
    g_glfw_error = "GLFW error " + std::to_string(code) + ": " + (description ? description : "?");
}

// Installed before Dear ImGui's backend, which chains to them: they only note that input came.
void on_cursor(GLFWwindow*, double, double) { g_input = true; }
void on_button(GLFWwindow*, int, int, int) { g_input = true; }
void on_scroll(GLFWwindow*, double, double) { g_input = true; }
void on_key(GLFWwindow*, int, int, int, int) { g_input = true; }
void on_char(GLFWwindow*, unsigned) { g_input = true; }
void on_focus(GLFWwindow*, int) { g_input = true; }
void on_enter(GLFWwindow*, int) { g_input = true; }
void on_size(GLFWwindow*, int, int) { g_input = true; }
void on_refresh(GLFWwindow*) { g_input = true; }

// Dear ImGui's OpenGL3 backend creates its shaders together with the font texture, which it
// makes from the atlas as RGBA32 (4 bytes a pixel, converted on the CPU). The kiosk uploads its
// atlas itself as one byte a pixel (upload_atlas_texture), so the backend's device objects are
// made with a 1x1 stand-in atlas whose texture is dropped at once.
bool create_device_objects() {
    ImGuiIO& io = ImGui::GetIO();
    ImFontAtlas* real = io.Fonts;
    ImFontAtlas stand_in;
    stand_in.TexPixelsRGBA32 = static_cast<unsigned int*>(IM_ALLOC(sizeof(unsigned int)));
    *stand_in.TexPixelsRGBA32 = 0xFFFFFFFFu;
    stand_in.TexWidth = stand_in.TexHeight = 1;
    io.Fonts = &stand_in;
    const bool ok = ImGui_ImplOpenGL3_CreateDeviceObjects();
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    io.Fonts = real;
    return ok;
}

// Whether textures can answer (1, 1, 1, red) from a one-channel texture: GL 3.3 or
// ARB_texture_swizzle (Mesa's llvmpipe and every current driver have it).
bool has_texture_swizzle() {
    const char* version = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    int major = 0, minor = 0;
    if (version && std::sscanf(version, "%d.%d", &major, &minor) == 2 &&
        (major > 3 || (major == 3 && minor >= 3)))
        return true;
    const char* ext = reinterpret_cast<const char*>(glGetString(GL_EXTENSIONS));
    return ext && std::strstr(ext, "GL_ARB_texture_swizzle");
}

// Uploads the atlas's Alpha8 pixels as the font texture: GL_R8 read as (1, 1, 1, alpha), what the
// backend's shader expects from its RGBA32 upload, at a quarter of the memory (the driver keeps
// its own copy: 6.6 MB instead of 26.5 MB for the full atlas). Without swizzle, RGBA32 built
// here and freed at once.
bool upload_atlas_texture(ImFontAtlas& atlas, unsigned* texture, std::string* err) {
    unsigned char* alpha = nullptr;
    int w = 0, h = 0;
    atlas.GetTexDataAsAlpha8(&alpha, &w, &h);
    if (!alpha || w <= 0 || h <= 0) {
        *err = "the font atlas has no pixels to upload";
        return false;
    }
    GLint last_texture = 0, last_alignment = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &last_texture);
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &last_alignment);
    GLuint tex = 0;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    while (glGetError() != GL_NO_ERROR) {
    }
    if (has_texture_swizzle()) {
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, w, h, 0, GL_RED, GL_UNSIGNED_BYTE, alpha);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_R, GL_ONE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_G, GL_ONE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_B, GL_ONE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_A, GL_RED);
    } else {
        std::vector<unsigned int> rgba(static_cast<std::size_t>(w) * h);
        for (std::size_t i = 0; i < rgba.size(); ++i)
            rgba[i] = IM_COL32(255, 255, 255, static_cast<unsigned>(alpha[i]));
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
    }
    const GLenum gl_err = glGetError();
    glPixelStorei(GL_UNPACK_ALIGNMENT, last_alignment);
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(last_texture));
    if (gl_err != GL_NO_ERROR) {
        glDeleteTextures(1, &tex);
        *err = "the font texture (" + std::to_string(w) + "x" + std::to_string(h) +
               ") could not be uploaded to the OpenGL context (GL error " + std::to_string(gl_err) +
               ")";
        return false;
    }
    *texture = tex;
    atlas.SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)));
    return true;
}

std::string display_name() {
    const char* d = std::getenv("DISPLAY");
    return d && *d ? d : "(DISPLAY is not set)";
}

}  // namespace

std::unique_ptr<Platform> Platform::open(const WindowOptions& options, std::string* err) {
    if (g_open) {
        *err = "a kiosk window is already open";
        return nullptr;
    }
    g_glfw_error.clear();
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) {
        *err = "no display: cannot open the X display " + display_name() + " (" + g_glfw_error +
               "); run inside a graphical session or under xvfb-run";
        return nullptr;
    }
    std::unique_ptr<Platform> p(new Platform);

    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    glfwWindowHint(GLFW_VISIBLE, options.visible ? GLFW_TRUE : GLFW_FALSE);
    glfwWindowHint(GLFW_RESIZABLE, options.full_screen ? GLFW_FALSE : GLFW_TRUE);
    GLFWmonitor* monitor = nullptr;
    int width = options.width, height = options.height;
    if (options.full_screen) {
        monitor = glfwGetPrimaryMonitor();
        const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
        if (!mode) {
            *err = "no display: the X display " + display_name() + " reports no monitor (" +
                   g_glfw_error + ")";
            glfwTerminate();
            return nullptr;
        }
        width = mode->width;
        height = mode->height;
        glfwWindowHint(GLFW_REFRESH_RATE, mode->refreshRate);
    }
    p->window_ = glfwCreateWindow(width, height, options.title.c_str(), monitor, nullptr);
    if (!p->window_) {
        *err = "no OpenGL 3 context on display " + display_name() + " (" + g_glfw_error +
               "); install Mesa's libgl1-mesa-dri";
        glfwTerminate();
        return nullptr;
    }
    g_open = true;
    glfwMakeContextCurrent(p->window_);
    glfwSwapInterval(1);
    if (options.hide_cursor) glfwSetInputMode(p->window_, GLFW_CURSOR, GLFW_CURSOR_HIDDEN);

    glfwSetCursorPosCallback(p->window_, on_cursor);
    glfwSetMouseButtonCallback(p->window_, on_button);
    glfwSetScrollCallback(p->window_, on_scroll);
    glfwSetKeyCallback(p->window_, on_key);
    glfwSetCharCallback(p->window_, on_char);
    glfwSetWindowFocusCallback(p->window_, on_focus);
    glfwSetCursorEnterCallback(p->window_, on_enter);
    glfwSetFramebufferSizeCallback(p->window_, on_size);
    glfwSetWindowRefreshCallback(p->window_, on_refresh);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // nothing written next to the program
    io.LogFilename = nullptr;
    io.ConfigInputTextCursorBlink = false;  // a blinking cursor would keep the loop awake
    if (options.hide_cursor) io.ConfigFlags |= ImGuiConfigFlags_NoMouseCursorChange;
    p->imgui_glfw_ = ImGui_ImplGlfw_InitForOpenGL(p->window_, true);
    p->imgui_gl_ =
        p->imgui_glfw_ && ImGui_ImplOpenGL3_Init("#version 130") && create_device_objects();
    if (!p->imgui_gl_) {
        *err = "no usable OpenGL 3 context on display " + display_name() +
               ": Dear ImGui's OpenGL3 backend could not start";
        return nullptr;  // the destructor closes what was opened
    }
    g_input = true;  // draw the first frame
    return p;
}

Platform::~Platform() {
    if (font_texture_) {
        GLuint tex = font_texture_;
        glDeleteTextures(1, &tex);
    }
    if (imgui_gl_) ImGui_ImplOpenGL3_Shutdown();
    if (imgui_glfw_) ImGui_ImplGlfw_Shutdown();
    if (ImGui::GetCurrentContext()) ImGui::DestroyContext();
    if (window_) {
        g_open = false;
        glfwDestroyWindow(window_);
        glfwTerminate();
    }
}

bool Platform::should_close() const { return glfwWindowShouldClose(window_); }

void Platform::wait(double timeout_seconds) {
    if (timeout_seconds <= 0)
        glfwPollEvents();
    else
        glfwWaitEventsTimeout(timeout_seconds);
}

void Platform::wake_up() {
    if (g_open) glfwPostEmptyEvent();
}

bool Platform::take_input() { return g_input.exchange(false); }

bool Platform::upload_fonts(std::string* err) {
    if (font_texture_) {
        GLuint tex = font_texture_;
        glDeleteTextures(1, &tex);
        font_texture_ = 0;
    }
    if (!upload_atlas_texture(*ImGui::GetIO().Fonts, &font_texture_, err)) return false;
    release_font_sources(*ImGui::GetIO().Fonts);
    return true;
}

bool Platform::replace_fonts(AtlasPtr atlas, std::string* err) {
    install_atlas(ImGui::GetIO(), std::move(atlas));  // the old atlas is deleted here
    return upload_fonts(err);
}

void Platform::begin_frame() {
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

bool Platform::end_frame(const std::string& screenshot, std::string* err) {
    ImGui::Render();
    int w = framebuffer_width(), h = framebuffer_height();
    glViewport(0, 0, w, h);
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(bg.x, bg.y, bg.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    bool ok = true;
    if (!screenshot.empty()) ok = write_framebuffer_png(screenshot, w, h, err);
    glfwSwapBuffers(window_);
    return ok;
}

int Platform::framebuffer_width() const {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    return w;
}

int Platform::framebuffer_height() const {
    int w = 0, h = 0;
    glfwGetFramebufferSize(window_, &w, &h);
    return h;
}

}  // namespace ui
