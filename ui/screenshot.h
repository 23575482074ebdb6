// Screenshots of the kiosk's screen as PNG (the script runner's `shot FILE`, `--screenshot FILE`,
// the README's pictures). The framebuffer is read after Render and before the buffer swap.
#pragma once

#include <string>

namespace ui {

// Writes `rgba` (width*height*4 bytes, top row first) to `path` as PNG. The file appears whole or
// not at all (written beside it, then renamed). false + *err naming the path and the reason.
bool write_png(const std::string& path, const unsigned char* rgba, int width, int height,
               std::string* err);

// Reads the current GL framebuffer (width x height, as drawn: call after rendering, before the
// swap) and writes it with write_png. Needs a current OpenGL context.
bool write_framebuffer_png(const std::string& path, int width, int height, std::string* err);

}  // namespace ui
