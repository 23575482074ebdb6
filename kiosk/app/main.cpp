// kiosk: the full-screen program a trainee meets (product.md sections 1 and 6). Parses the flags
// and runs the kiosk (kiosk_app.cpp). Exit status: 0 done, 1 failed (message on stderr), 2 usage.
#include <fmt/format.h>
#include <sodium.h>

#include <CLI/CLI.hpp>

#include "kiosk/app/kiosk_app.h"

int main(int argc, char** argv) {
    if (sodium_init() < 0) {
        fmt::print(stderr, "kiosk: libsodium failed to initialise\n");
        return 1;
    }
    kiosk::app::KioskOptions o;
    o.self_path = argv[0];
    CLI::App app{"kiosk — the Onsite Kiosk screen", "kiosk"};
    app.add_option("--config", o.config_path, "TOML configuration file");
    app.add_option("--data-dir", o.data_dir, "directory of the kiosk's databases");
    app.add_flag("--demo", o.demo,
                 "demo data (generated unless --data-dir) with the simulated reader and a tray "
                 "of demo cards (keys 1-9)");
    app.add_flag("--windowed", o.windowed, "a 1280x720 window instead of full screen");
    app.add_option("--lang", o.lang, "the idle screen's language")
        ->check(CLI::IsMember({"ja", "en"}));
    app.add_option("--script", o.script_path,
                   "scripted input (tap, hold, remove, press, type, wait, advance, shot, quit) "
                   "through the simulated reader");
    app.add_option("--screenshot", o.screenshot,
                   "write the screen reached after the script (or the idle screen) as PNG, exit");
    app.add_flag("--trace", o.trace, "print timing lines (first frame, decision frames) on stdout");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    return kiosk::app::run_kiosk(o);
}
