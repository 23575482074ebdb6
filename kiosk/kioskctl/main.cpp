// kioskctl: the operator's and tests' command-line tool over the kiosk's stores and rules
// (product.md section 6). Exit status: 0 done, 1 failed (one line on stderr), 2 usage error.
#include <fmt/format.h>
#include <sodium.h>

#include "kiosk/kioskctl/kioskctl.h"

int main(int argc, char** argv) {
    if (sodium_init() < 0) {
        fmt::print(stderr, "kioskctl: libsodium failed to initialise\n");
        return 1;
    }
    kiosk::Ctl ctl;
    CLI::App app{"kioskctl — Onsite Kiosk operator tool", "kioskctl"};
    app.require_subcommand(1);
    app.option_defaults()->always_capture_default();
    app.add_option("--config", ctl.config_path, "TOML configuration file")
        ->check(CLI::ExistingFile);
    app.add_option("--data-dir", ctl.data_dir_flag, "directory of the kiosk's databases");
    kiosk::add_store_commands(app, ctl);
    kiosk::add_audit_commands(app, ctl);
    kiosk::add_sync_commands(app, ctl);
    kiosk::add_demo_commands(app, ctl);
    kiosk::add_reader_commands(app, ctl);
    kiosk::add_gate_commands(app, ctl);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    } catch (const kiosk::CtlError& e) {
        fmt::print(stderr, "kioskctl: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "kioskctl: {}\n", e.what());
        return 1;
    }
    return 0;
}
