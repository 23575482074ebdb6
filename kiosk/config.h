// The kiosk's configuration: one TOML file (config/kiosk.toml documents every key and default).
// Missing keys take the defaults below; unknown keys and wrong types are errors naming the key.
#pragma once

#include <string>

#include "kiosk/rules.h"

namespace kiosk {

struct SyncConfig {
    std::string public_key;  // pinned minisign public key file; empty: DATA_DIR/feed.pub
    std::string source;      // default snapshot path or URL for `kioskctl sync` without SOURCE
    int max_invalid_rows = 0;
    double max_removed_fraction = 0.10;
    int connect_timeout_seconds = 10;
    int total_timeout_seconds = 600;
    int retries = 3;
};

struct ReaderConfig {
    std::string name;  // substring of the PC/SC reader name; empty: first contactless reader
    int apdu_timeout_ms = 1000;
};

struct Config {
    std::string site_name = "MID-NET Onsite Center";
    std::string data_dir = "/var/lib/onsite-kiosk";
    Policy policy;              // [mirror] max_age_hours, warn_age_hours; [sessions] seats
    int session_minutes = 120;  // [sessions] minutes
    SyncConfig sync;
    ReaderConfig reader;
};

// Reads `path` over the defaults. false + *err ("config FILE: line L, column C: ...") on failure.
bool load_config(const std::string& path, Config* out, std::string* err);
// Parses TOML text (for tests); `origin` names it in messages.
bool parse_config(std::string_view text, const std::string& origin, Config* out, std::string* err);

}  // namespace kiosk
