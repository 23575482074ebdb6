// The PNG writer behind `shot FILE` and `--screenshot FILE`: a picture that reads back pixel for
// pixel, top row first; a path that cannot be written is an error naming it, leaving nothing.
#include <gtest/gtest.h>
#include <stb_image.h>
#include <unistd.h>

#include <filesystem>

#include "ui/screenshot.h"

namespace {

namespace fs = std::filesystem;

fs::path temp_dir() {
    fs::path d = fs::temp_directory_path() / ("ui_screenshot_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

TEST(UiScreenshot, WritesAPngThatReadsBack) {
    const int w = 3, h = 2;
    std::vector<unsigned char> rgba;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            rgba.insert(rgba.end(), {static_cast<unsigned char>(x * 80),
                                     static_cast<unsigned char>(y * 200), 7, 255});
    fs::path p = temp_dir() / "shot.png";
    std::string err;
    ASSERT_TRUE(ui::write_png(p.string(), rgba.data(), w, h, &err)) << err;
    int rw = 0, rh = 0, n = 0;
    unsigned char* back = stbi_load(p.c_str(), &rw, &rh, &n, 4);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(rw, w);
    EXPECT_EQ(rh, h);
    EXPECT_EQ(std::vector<unsigned char>(back, back + w * h * 4), rgba);
    stbi_image_free(back);
    EXPECT_FALSE(fs::exists(p.string() + ".partial"));
    fs::remove_all(p.parent_path());
}

TEST(UiScreenshot, UnwritablePathIsAClearError) {
    unsigned char px[4] = {1, 2, 3, 255};
    std::string err;
    const std::string bad = "/nonexistent-dir/sub/shot.png";
    EXPECT_FALSE(ui::write_png(bad, px, 1, 1, &err));
    EXPECT_NE(err.find("cannot write screenshot /nonexistent-dir/sub/shot.png"), std::string::npos)
        << err;
    EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;

    fs::path dir = temp_dir();  // a directory where the file should be
    err.clear();
    EXPECT_FALSE(ui::write_png(dir.string(), px, 1, 1, &err));
    EXPECT_NE(err.find(dir.string()), std::string::npos) << err;
    EXPECT_TRUE(fs::is_directory(dir));
    EXPECT_FALSE(fs::exists(dir.string() + ".partial"));
    fs::remove_all(dir);
}

TEST(UiScreenshot, EmptyImageIsRefused) {
    std::string err;
    EXPECT_FALSE(ui::write_png("/tmp/never.png", nullptr, 0, 10, &err));
    EXPECT_NE(err.find("empty image"), std::string::npos) << err;
}

}  // namespace
