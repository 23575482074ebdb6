// The Mesa/GL part of the kiosk's exec -> first frame, measured alone (kiosk_perf.py runs it): a
// program that only opens what the kiosk opens (GLFW, a full-screen OpenGL 3 window, Dear ImGui
// and its OpenGL3 backend through ui::Platform) and presents one frame of a line of text in Dear
// ImGui's built-in font, no data, no Noto fonts. `--bare`: GLFW window, clear and swap only.
// Prints "trace first_frame_ns=N" (steady clock) after the first swap, as `kiosk --trace` does.
#include <GLFW/glfw3.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "imgui.h"
#include "ui/platform.h"

namespace {

long long steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int bare() {
    if (!glfwInit()) return 1;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    GLFWmonitor* monitor = glfwGetPrimaryMonitor();
    const GLFWvidmode* mode = monitor ? glfwGetVideoMode(monitor) : nullptr;
    if (!mode) return 1;
    GLFWwindow* w = glfwCreateWindow(mode->width, mode->height, "gl_start_floor", monitor, nullptr);
    if (!w) return 1;
    glfwMakeContextCurrent(w);
    glClearColor(1, 1, 1, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    glfwSwapBuffers(w);
    fmt::print("trace first_frame_ns={}\n", steady_ns());
    glfwDestroyWindow(w);
    glfwTerminate();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "--bare") == 0) return bare();
    std::string err;
    auto platform = ui::Platform::open(ui::WindowOptions{}, &err);
    if (!platform) {
        fmt::print(stderr, "gl_start_floor: {}\n", err);
        return 1;
    }
    ImGui::GetIO().Fonts->AddFontDefault();
    ImGui::GetIO().Fonts->Build();
    if (!platform->upload_fonts(&err)) {
        fmt::print(stderr, "gl_start_floor: {}\n", err);
        return 1;
    }
    platform->begin_frame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin("floor", nullptr, ImGuiWindowFlags_NoDecoration);
    ImGui::TextUnformatted("exec -> first frame: the Mesa/GL floor");
    ImGui::End();
    if (!platform->end_frame("", &err)) return 1;
    fmt::print("trace first_frame_ns={}\n", steady_ns());
    return 0;
}
