// TOML configuration loading with toml++ (see config.h).
#include "kiosk/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace kiosk {
namespace {

struct Reader {
    const std::string& origin;
    std::string* err;

    template <class T>
    bool read(const toml::table& tbl, std::string_view section, std::string_view key, T* out) {
        const toml::node* n = tbl.get(key);
        if (!n) return true;
        std::string name = section.empty() ? std::string(key) : fmt::format("{}.{}", section, key);
        auto where = [&] {
            auto s = n->source().begin;
            return fmt::format("config {}: line {}, column {}: ", origin, s.line, s.column);
        };
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (auto* a = n->as_array()) {
                std::vector<std::string> v;
                for (auto&& e : *a) {
                    auto x = e.value<std::string>();
                    if (!x) {
                        *err = where() + fmt::format("{} must be an array of strings", name);
                        return false;
                    }
                    v.push_back(*x);
                }
                *out = std::move(v);
                return true;
            }
            *err = where() + fmt::format("{} must be an array of strings", name);
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (auto v = n->value<std::string>()) {
                *out = *v;
                return true;
            }
            *err = where() + fmt::format("{} must be a string", name);
        } else if constexpr (std::is_same_v<T, double>) {
            if (auto v = n->value<double>()) {  // integers convert
                // Found by fuzzing: TOML's nan and inf are floats too. A NaN limit compares false
                // with everything, so `max_age_hours = nan` passed the range checks below and
                // turned the stale-mirror check off; neither is a usable limit.
                if (std::isfinite(*v)) {
                    *out = *v;
                    return true;
                }
                *err = where() + fmt::format("{} must be a finite number", name);
                return false;
            }
            *err = where() + fmt::format("{} must be a number", name);
        } else {
            if (auto v = n->as_integer()) {
                // Out of T's range is an error, not a wrapped value (seats = 4294967300 read as 4).
                if (v->get() >= std::numeric_limits<T>::min() &&
                    v->get() <= std::numeric_limits<T>::max()) {
                    *out = static_cast<T>(v->get());
                    return true;
                }
                *err = where() + fmt::format("{} is out of range", name);
                return false;
            }
            *err = where() + fmt::format("{} must be an integer", name);
        }
        return false;
    }

    bool only(const toml::table& tbl, std::string_view section, std::set<std::string> keys) {
        for (auto&& [k, v] : tbl) {
            if (keys.count(std::string(k.str()))) continue;
            auto s = k.source().begin;
            *err = fmt::format("config {}: line {}, column {}: unknown key '{}{}{}'", origin,
                               s.line, s.column, section, section.empty() ? "" : ".", k.str());
            return false;
        }
        return true;
    }

    const toml::table* section(const toml::table& root, std::string_view name, bool* ok) {
        const toml::node* n = root.get(name);
        if (!n) return nullptr;
        if (!n->is_table()) {
            auto s = n->source().begin;
            *err = fmt::format("config {}: line {}, column {}: [{}] must be a table", origin,
                               s.line, s.column, name);
            *ok = false;
            return nullptr;
        }
        return n->as_table();
    }
};

}  // namespace

bool parse_config(std::string_view text, const std::string& origin, Config* out, std::string* err) {
    toml::table root;
    try {
        root = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        auto s = e.source().begin;
        *err = fmt::format("config {}: line {}, column {}: {}", origin, s.line, s.column,
                           e.description());
        return false;
    }
    Config c;
    Reader r{origin, err};
    bool ok = true;
    if (!r.only(root, "",
                {"site_name", "data_dir", "mirror", "sessions", "sync", "reader", "ui", "postgres",
                 "staff"}))
        return false;
    if (!r.read(root, "", "site_name", &c.site_name) || !r.read(root, "", "data_dir", &c.data_dir))
        return false;
    if (auto* m = r.section(root, "mirror", &ok)) {
        if (!r.only(*m, "mirror", {"max_age_hours", "warn_age_hours"}) ||
            !r.read(*m, "mirror", "max_age_hours", &c.policy.max_age_hours) ||
            !r.read(*m, "mirror", "warn_age_hours", &c.policy.warn_age_hours))
            return false;
    }
    if (auto* s = r.section(root, "sessions", &ok)) {
        if (!r.only(*s, "sessions",
                    {"seats", "minutes", "extend_minutes", "backend", "workspace_db"}) ||
            !r.read(*s, "sessions", "seats", &c.policy.seats) ||
            !r.read(*s, "sessions", "minutes", &c.session_minutes) ||
            !r.read(*s, "sessions", "extend_minutes", &c.extend_minutes) ||
            !r.read(*s, "sessions", "backend", &c.session_backend) ||
            !r.read(*s, "sessions", "workspace_db", &c.workspace_db))
            return false;
    }
    if (auto* s = r.section(root, "sync", &ok)) {
        if (!r.only(*s, "sync",
                    {"public_key", "source", "max_invalid_rows", "max_removed_fraction",
                     "connect_timeout_seconds", "total_timeout_seconds", "retries",
                     "credentials_file"}) ||
            !r.read(*s, "sync", "public_key", &c.sync.public_key) ||
            !r.read(*s, "sync", "source", &c.sync.source) ||
            !r.read(*s, "sync", "max_invalid_rows", &c.sync.max_invalid_rows) ||
            !r.read(*s, "sync", "max_removed_fraction", &c.sync.max_removed_fraction) ||
            !r.read(*s, "sync", "connect_timeout_seconds", &c.sync.connect_timeout_seconds) ||
            !r.read(*s, "sync", "total_timeout_seconds", &c.sync.total_timeout_seconds) ||
            !r.read(*s, "sync", "retries", &c.sync.retries) ||
            !r.read(*s, "sync", "credentials_file", &c.sync.credentials_file))
            return false;
    }
    if (auto* s = r.section(root, "postgres", &ok)) {
        auto& pg = c.postgres;
        if (!r.only(*s, "postgres",
                    {"admin_conninfo", "database", "trainee_host", "trainee_port", "reader_role",
                     "role_prefix", "connect_timeout_seconds"}) ||
            !r.read(*s, "postgres", "admin_conninfo", &pg.admin_conninfo) ||
            !r.read(*s, "postgres", "database", &pg.database) ||
            !r.read(*s, "postgres", "trainee_host", &pg.trainee_host) ||
            !r.read(*s, "postgres", "trainee_port", &pg.trainee_port) ||
            !r.read(*s, "postgres", "reader_role", &pg.reader_role) ||
            !r.read(*s, "postgres", "role_prefix", &pg.role_prefix) ||
            !r.read(*s, "postgres", "connect_timeout_seconds", &pg.connect_timeout_seconds))
            return false;
    }
    if (auto* s = r.section(root, "reader", &ok)) {
        if (!r.only(*s, "reader", {"name", "apdu_timeout_ms"}) ||
            !r.read(*s, "reader", "name", &c.reader.name) ||
            !r.read(*s, "reader", "apdu_timeout_ms", &c.reader.apdu_timeout_ms))
            return false;
    }
    if (auto* s = r.section(root, "ui", &ok)) {
        if (!r.only(*s, "ui", {"px_per_mm", "language", "font"}) ||
            !r.read(*s, "ui", "px_per_mm", &c.ui.px_per_mm) ||
            !r.read(*s, "ui", "language", &c.ui.language) || !r.read(*s, "ui", "font", &c.ui.font))
            return false;
    }
    if (auto* s = r.section(root, "staff", &ok)) {
        if (!r.only(*s, "staff",
                    {"max_failed_pins", "lockout_minutes", "idle_seconds", "override_max_minutes",
                     "override_reasons", "pin_hash_passes", "pin_hash_memory_mib"}) ||
            !r.read(*s, "staff", "max_failed_pins", &c.staff.max_failed_pins) ||
            !r.read(*s, "staff", "lockout_minutes", &c.staff.lockout_minutes) ||
            !r.read(*s, "staff", "idle_seconds", &c.staff.idle_seconds) ||
            !r.read(*s, "staff", "override_max_minutes", &c.staff.override_max_minutes) ||
            !r.read(*s, "staff", "override_reasons", &c.staff.override_reasons) ||
            !r.read(*s, "staff", "pin_hash_passes", &c.staff.pin_hash_passes) ||
            !r.read(*s, "staff", "pin_hash_memory_mib", &c.staff.pin_hash_memory_mib))
            return false;
    }
    if (!ok) return false;
    // Values that make no sense are errors, not silently clamped.
    auto bad = [&](std::string what) {
        *err = fmt::format("config {}: {}", origin, what);
        return false;
    };
    if (c.policy.max_age_hours <= 0) return bad("mirror.max_age_hours must be positive");
    if (c.policy.warn_age_hours <= 0 || c.policy.warn_age_hours > c.policy.max_age_hours)
        return bad("mirror.warn_age_hours must be positive and not above mirror.max_age_hours");
    if (c.policy.seats < 1 || c.policy.seats > 1000) return bad("sessions.seats must be 1..1000");
    if (c.session_minutes < 1 || c.session_minutes > 24 * 60)
        return bad("sessions.minutes must be 1..1440");
    if (c.extend_minutes < 0 || c.extend_minutes > 240)
        return bad("sessions.extend_minutes must be 0..240 (0: no extension)");
    if (c.ui.px_per_mm < 1 || c.ui.px_per_mm > 50) return bad("ui.px_per_mm must be 1..50");
    if (c.ui.language != "ja" && c.ui.language != "en")
        return bad("ui.language must be \"ja\" or \"en\"");
    if (c.ui.font.empty()) return bad("ui.font must not be empty");
    if (c.sync.max_invalid_rows < 0) return bad("sync.max_invalid_rows must not be negative");
    if (c.sync.max_removed_fraction < 0 || c.sync.max_removed_fraction > 1)
        return bad("sync.max_removed_fraction must be between 0 and 1");
    if (c.sync.retries < 0 || c.sync.retries > 20) return bad("sync.retries must be 0..20");
    if (c.sync.connect_timeout_seconds < 1 || c.sync.connect_timeout_seconds > 300)
        return bad("sync.connect_timeout_seconds must be 1..300");
    if (c.sync.total_timeout_seconds < 1 || c.sync.total_timeout_seconds > 6 * 3600)
        return bad("sync.total_timeout_seconds must be 1..21600 (6 hours)");
    if (c.sync.total_timeout_seconds < c.sync.connect_timeout_seconds)
        return bad("sync.total_timeout_seconds must not be below sync.connect_timeout_seconds");
    if (c.reader.apdu_timeout_ms < 50 || c.reader.apdu_timeout_ms > 10000)
        return bad("reader.apdu_timeout_ms must be 50..10000");
    if (c.data_dir.empty()) return bad("data_dir must not be empty");
    if (c.session_backend != "workspace" && c.session_backend != "postgres")
        return bad(fmt::format("sessions.backend must be \"workspace\" or \"postgres\", not \"{}\"",
                               c.session_backend.substr(0, 40)));
    const auto& pg = c.postgres;
    auto printable = [](const std::string& v) {
        for (unsigned char ch : v)
            if (ch < 0x20 || ch == 0x7f) return false;
        return true;
    };
    if (!printable(pg.admin_conninfo) || !printable(pg.database) || !printable(pg.trainee_host))
        return bad(
            "postgres.admin_conninfo, database and trainee_host must not hold control "
            "characters");
    if (pg.trainee_port < 0 || pg.trainee_port > 65535)
        return bad("postgres.trainee_port must be 1..65535 (or 0: the port of admin_conninfo)");
    if (pg.connect_timeout_seconds < 1 || pg.connect_timeout_seconds > 60)
        return bad("postgres.connect_timeout_seconds must be 1..60");
    if (!valid_pg_role_name(pg.reader_role))
        return bad(
            fmt::format("postgres.reader_role '{}' must be 1-63 characters of a-z, 0-9 and _, "
                        "not starting with a digit",
                        pg.reader_role.substr(0, 70)));
    // The prefix leaves room for a 32-character trainee number in PostgreSQL's 63 bytes.
    if (!valid_pg_role_name(pg.role_prefix, 31))
        return bad(
            fmt::format("postgres.role_prefix '{}' must be 1-31 characters of a-z, 0-9 and _, "
                        "not starting with a digit",
                        pg.role_prefix.substr(0, 40)));
    if (pg.reader_role.rfind(pg.role_prefix, 0) == 0)
        return bad(
            fmt::format("postgres.reader_role '{}' starts with postgres.role_prefix '{}': "
                        "the reader role would look like a trainee role",
                        pg.reader_role, pg.role_prefix));
    if (pg.role_prefix.rfind("pg_", 0) == 0)
        return bad("postgres.role_prefix must not start with pg_ (reserved by PostgreSQL)");
    if (c.session_backend == "postgres") {
        if (pg.admin_conninfo.empty())
            return bad(
                "sessions.backend is \"postgres\" but postgres.admin_conninfo is empty: "
                "give the gate role's libpq connection string");
        if (pg.database.empty())
            return bad(
                "sessions.backend is \"postgres\" but postgres.database is empty: name the "
                "database trainees connect to");
    }
    if (c.staff.max_failed_pins < 1 || c.staff.max_failed_pins > 20)
        return bad("staff.max_failed_pins must be 1..20");
    if (c.staff.lockout_minutes < 1 || c.staff.lockout_minutes > 24 * 60)
        return bad("staff.lockout_minutes must be 1..1440");
    if (c.staff.idle_seconds < 10 || c.staff.idle_seconds > 600)
        return bad("staff.idle_seconds must be 10..600");
    if (c.staff.override_max_minutes < 1 || c.staff.override_max_minutes > 24 * 60)
        return bad("staff.override_max_minutes must be 1..1440");
    for (auto& reason : c.staff.override_reasons)
        if (reason.empty() || reason.size() > 200)
            return bad("staff.override_reasons: each reason must be 1..200 bytes");
    if (c.staff.pin_hash_passes < 1 || c.staff.pin_hash_passes > 10)
        return bad("staff.pin_hash_passes must be 1..10");
    if (c.staff.pin_hash_memory_mib < 8 || c.staff.pin_hash_memory_mib > 1024)
        return bad("staff.pin_hash_memory_mib must be 8..1024");
    *out = std::move(c);
    return true;
}

bool valid_pg_role_name(std::string_view name, std::size_t max_len) {
    if (name.empty() || name.size() > max_len) return false;
    if (name[0] >= '0' && name[0] <= '9') return false;
    for (char ch : name)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
    return true;
}

bool load_config(const std::string& path, Config* out, std::string* err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *err = fmt::format("config {}: cannot be read: {}", path, std::strerror(errno));
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path, out, err);
}

}  // namespace kiosk
