// PNG screenshots: glReadPixels (bottom row first) flipped to top-first, written by stb.
#include "ui/screenshot.h"

#include <GL/gl.h>
#include <stb_image_write.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ui {

namespace {

void write_to_file(void* context, void* data, int size) {
    std::fwrite(data, 1, static_cast<std::size_t>(size), static_cast<std::FILE*>(context));
}

}  // namespace

bool write_png(const std::string& path, const unsigned char* rgba, int width, int height,
               std::string* err) {
    if (width <= 0 || height <= 0) {
        *err = "screenshot " + path + ": empty image (" + std::to_string(width) + "x" +
               std::to_string(height) + ")";
        return false;
    }
    const std::string partial = path + ".partial";
    std::FILE* f = std::fopen(partial.c_str(), "wb");
    if (!f) {
        *err = "cannot write screenshot " + path + ": " + std::strerror(errno);
        return false;
    }
    int ok = stbi_write_png_to_func(write_to_file, f, width, height, 4, rgba, width * 4);
    bool failed = !ok || std::ferror(f);
    int saved_errno = errno;
    if (std::fclose(f) != 0 && !failed) {
        failed = true;
        saved_errno = errno;
    }
    if (failed) {
        std::remove(partial.c_str());
        *err = "cannot write screenshot " + path + ": " +
               (ok ? std::strerror(saved_errno) : "PNG encoding failed");
        return false;
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0) {
        saved_errno = errno;
        std::remove(partial.c_str());
        *err = "cannot write screenshot " + path + ": " + std::strerror(saved_errno);
        return false;
    }
    return true;
}

bool write_framebuffer_png(const std::string& path, int width, int height, std::string* err) {
    if (width <= 0 || height <= 0) {
        *err = "screenshot " + path + ": the window has no pixels";
        return false;
    }
    const std::size_t row = static_cast<std::size_t>(width) * 4;
    std::vector<unsigned char> pixels(row * static_cast<std::size_t>(height));
    while (glGetError() != GL_NO_ERROR) {
    }  // errors of earlier calls are not this read's
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    if (GLenum e = glGetError(); e != GL_NO_ERROR) {
        *err = "screenshot " + path + ": glReadPixels failed (GL error " + std::to_string(e) + ")";
        return false;
    }
    // GL's rows run bottom up; PNG's top down.
    std::vector<unsigned char> flipped(pixels.size());
    for (int y = 0; y < height; ++y)
        std::memcpy(&flipped[static_cast<std::size_t>(y) * row],
                    &pixels[static_cast<std::size_t>(height - 1 - y) * row], row);
    // The window is opaque: force alpha to 255 so viewers do not show a see-through picture.
    for (std::size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;
    return write_png(path, flipped.data(), width, height, err);
}

}  // namespace ui
