// The window platform without a display: one clear message naming the display, never a crash.
// (With a display, the kiosk's end-to-end test under Xvfb opens the real window.)
#include <gtest/gtest.h>

#include <cstdlib>

#include "ui/platform.h"

namespace {

TEST(UiPlatform, NoDisplayIsAClearError) {
    const char* saved = std::getenv("DISPLAY");
    std::string keep = saved ? saved : "";
    ::setenv("DISPLAY", ":97531", 1);  // a display nobody runs
    ::unsetenv("WAYLAND_DISPLAY");
    std::string err;
    std::unique_ptr<ui::Platform> p = ui::Platform::open(ui::WindowOptions{}, &err);
    EXPECT_EQ(p, nullptr);
    EXPECT_NE(err.find("no display"), std::string::npos) << err;
    EXPECT_NE(err.find(":97531"), std::string::npos) << err;
    if (saved)
        ::setenv("DISPLAY", keep.c_str(), 1);
    else
        ::unsetenv("DISPLAY");
}

}  // namespace
