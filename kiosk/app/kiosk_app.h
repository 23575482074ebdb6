// The kiosk program's wiring: the window (ui/), the card reader (drivers/), the stores and the one
// Gatekeeper on a worker (db/), the state machine (kiosk/) and the event-driven loop that joins
// them. main.cpp parses the flags into KioskOptions and calls run_kiosk().
#pragma once

#include <string>

namespace kiosk::app {

struct KioskOptions {
    std::string config_path;  // empty: defaults
    std::string data_dir;     // overrides the config's data_dir
    bool demo = false;        // demo data (generated when no --data-dir) + simulated reader + tray
    bool windowed = false;
    std::string lang;         // "ja" / "en"; empty: the config's [ui] language
    std::string script_path;  // scripted input through the simulated reader
    std::string screenshot;   // after the script (or at idle): write this PNG and exit
    bool trace = false;       // timing lines on stdout (tests/bench/kiosk_perf.py)
    std::string self_path;    // argv[0], to find kioskctl beside it for --demo
};

// Runs the kiosk until quit. Returns the exit status: 0 done, 1 failed (one message on stderr),
// 2 usage error (a bad script line).
int run_kiosk(const KioskOptions& options);

}  // namespace kiosk::app
