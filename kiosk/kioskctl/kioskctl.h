// kioskctl's shared context: global options (--config, --data-dir), the loaded configuration,
// lazily opened stores and the Gatekeeper. Each kiosk/kioskctl/*.cpp file registers its commands
// with an add_*_commands() function; a command signals failure by throwing CtlError (exit 1, one
// line on stderr). Usage errors are CLI11's (exit 2).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "kiosk/config.h"
#include "kiosk/gatekeeper.h"
#include "kiosk/session_desk.h"

namespace kiosk::db {
class DataDir;
}

namespace kiosk {

struct CtlError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Ctl {
public:
    Ctl();
    ~Ctl();

    std::string config_path;    // --config
    std::string data_dir_flag;  // --data-dir

    const Config& config();    // loaded once; CtlError on a bad file
    std::string data_dir();    // --data-dir, else the config's data_dir
    db::DataDir& data();       // opened once; CtlError with a clear message
    Gatekeeper& gatekeeper();  // over data()
    SessionGate& gate();       // [sessions] backend: the workspace or the PostgreSQL gate
    SessionDesk& desk();       // starts and ends sessions through gatekeeper() and gate()
    // Parses --at (ISO 8601) or returns now.
    Instant at(const std::string& text);
    CardUid card(const std::string& text);  // CtlError naming what is wrong

private:
    std::optional<Config> config_;
    std::unique_ptr<db::DataDir> data_;
    std::unique_ptr<Gatekeeper> gatekeeper_;
    std::unique_ptr<SessionGate> gate_;
    std::unique_ptr<SessionDesk> desk_;
};

void add_store_commands(CLI::App& app,
                        Ctl& ctl);  // init, enroll, unenroll, decide, session(s), staff, status
void add_audit_commands(CLI::App& app, Ctl& ctl);   // audit verify, audit export
void add_sync_commands(CLI::App& app, Ctl& ctl);    // sync
void add_demo_commands(CLI::App& app, Ctl& ctl);    // demo-data, testdb
void add_reader_commands(CLI::App& app, Ctl& ctl);  // readers, watch
// session recover / expire, testdb pg-setup-sql / pg-check (after add_store/add_demo_commands)
void add_gate_commands(CLI::App& app, Ctl& ctl);

}  // namespace kiosk
