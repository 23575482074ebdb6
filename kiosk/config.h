// The kiosk's configuration: one TOML file (config/kiosk.toml documents every key and default).
// Missing keys take the defaults below; unknown keys and wrong types are errors naming the key.
#pragma once

#include <string>
#include <vector>

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
    // netrc-style file (`machine HOST login USER password SECRET`, mode 0600) with the login for
    // an http(s) source, so that no secret is written in the URL; empty: none.
    std::string credentials_file;
};

struct ReaderConfig {
    std::string name;  // substring of the PC/SC reader name; empty: first contactless reader
    int apdu_timeout_ms = 1000;
};

// [ui]: the kiosk screen.
struct UiConfig {
    // Pixels per millimetre of the panel (primary controls are at least 20 mm square). The default
    // is a 15.6-inch 16:9 panel at 1920x1080: 1920 px / 345.4 mm.
    double px_per_mm = 1920.0 / 345.4;
    std::string language = "ja";  // the idle screen's language: "ja" or "en"
    std::string font = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
};

// [postgres]: the PostgreSQL gate (product.md section 7; README "PostgreSQL gate").
struct PostgresConfig {
    std::string admin_conninfo;  // libpq connection string of the gate's own role
    std::string database;        // what trainees connect to
    std::string trainee_host;    // shown to trainees; empty: the host of admin_conninfo
    int trainee_port = 0;        // shown to trainees; 0: the port of admin_conninfo
    std::string reader_role = "kiosk_reader";  // granted to every trainee role
    std::string role_prefix = "trainee_";      // trainee role = prefix + trainee number
    int connect_timeout_seconds = 5;           // 1..60, for the gate's own connection
};

// [staff]: staff sign-in, lockout and overrides (issue 11; config/kiosk.toml).
struct StaffConfig {
    int max_failed_pins = 5;         // wrong PINs in a row that lock a staff card, 1..20
    int lockout_minutes = 15;        // how long, 1..1440
    int idle_seconds = 60;           // staff mode leaves after this long without input, 10..600
    int override_max_minutes = 120;  // longest override session, 1..1440
    // Reasons offered for an override; staff may also type one (or add text to the chosen one).
    std::vector<std::string> override_reasons{
        "証明書が記録に未反映 / Certificate not yet in the records",
        "カード交換中 / Card being replaced", "センター長の許可 / Approved by the center manager"};
    int pin_hash_passes = 2;       // Argon2id opslimit, 1..10 (raising it rehashes on sign-in)
    int pin_hash_memory_mib = 64;  // Argon2id memlimit in MiB, 8..1024
};

struct Config {
    std::string site_name = "MID-NET Onsite Center";
    std::string data_dir = "/var/lib/onsite-kiosk";
    Policy policy;              // [mirror] max_age_hours, warn_age_hours; [sessions] seats
    int session_minutes = 120;  // [sessions] minutes
    int extend_minutes = 0;     // [sessions] extend_minutes: one tap extends by this; 0: off
    std::string session_backend = "workspace";  // [sessions] backend: "workspace" or "postgres"
    std::string workspace_db;  // [sessions] workspace_db: the workspace's test database;
                               // empty: DATA_DIR/testdb.sqlite
    PostgresConfig postgres;
    SyncConfig sync;
    ReaderConfig reader;
    UiConfig ui;
    StaffConfig staff;
};

// A PostgreSQL role name the gate accepts: 1..max_len of a-z, 0-9, _ and not starting with a
// digit (so it never needs quoting and never collides by case).
bool valid_pg_role_name(std::string_view name, std::size_t max_len = 63);

// Reads `path` over the defaults. false + *err ("config FILE: line L, column C: ...") on failure.
bool load_config(const std::string& path, Config* out, std::string* err);
// Parses TOML text (for tests); `origin` names it in messages.
bool parse_config(std::string_view text, const std::string& origin, Config* out, std::string* err);

}  // namespace kiosk
