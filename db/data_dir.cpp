// The kiosk's data directory (see data_dir.h).
#include "db/data_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>

#include "db/migrations.h"
#include "db/mirror_store.h"
#include "db/site_secret.h"
#include "db/sqlite.h"

namespace kiosk::db {
namespace fs = std::filesystem;
namespace {

std::string join(const std::string& dir, const std::string& name) {
    return (fs::path(dir) / name).string();
}

// Creates or migrates one database through `construct` and says what happened.
bool init_database(const std::string& path, const std::string& name,
                   const std::function<void()>& construct, std::string* report, std::string* err) {
    try {
        std::optional<int> before = peek_schema_version(path);
        construct();
        std::optional<int> after = peek_schema_version(path);
        int now_at = after.value_or(0);
        if (!before) {
            *report += fmt::format("created {} (schema version {})\n", name, now_at);
        } else if (*before != now_at) {
            *report +=
                fmt::format("migrated {} from schema version {} to {}\n", name, *before, now_at);
        } else {
            *report += fmt::format("{} is up to date (schema version {})\n", name, now_at);
        }
        return true;
    } catch (const std::exception& e) {
        *err = fmt::format("cannot initialise {}: {}", path, e.what());
        return false;
    }
}

}  // namespace

DataDir::~DataDir() = default;

std::string DataDir::path_of(const std::string& name) const { return join(dir_, name); }

bool DataDir::init(const std::string& dir, std::string* report, std::string* err) {
    report->clear();
    std::error_code ec;
    auto status = fs::status(dir, ec);
    if (!fs::exists(status)) {
        if (!fs::create_directories(dir, ec) && ec) {
            *err = fmt::format("cannot create data directory {}: {}", dir, ec.message());
            return false;
        }
        if (::chmod(dir.c_str(), 0700) != 0) {
            *err = fmt::format("cannot set mode 0700 on data directory {}: {}", dir,
                               std::strerror(errno));
            return false;
        }
        *report += fmt::format("created data directory {} (mode 0700)\n", dir);
    } else if (!fs::is_directory(status)) {
        *err = fmt::format("data directory {} exists but is not a directory", dir);
        return false;
    }

    // Refuse databases from a newer program before anything is written.
    try {
        preflight_schema(join(dir, kLocalDb), LocalStore::kSchemaVersion, kLocalDb, true);
        preflight_schema(join(dir, kAuditDb), AuditStore::kSchemaVersion, kAuditDb, true);
        preflight_schema(join(dir, kMirrorDb), MirrorStore::kSchemaVersion, kMirrorDb, true);
    } catch (const std::exception& e) {
        *err = fmt::format("data directory {}: {}", dir, e.what());
        return false;
    }

    const std::string key_path = join(dir, kSiteKey);
    bool key_existed = fs::exists(key_path, ec);
    if (!create_site_secret(key_path, err)) return false;
    std::string key_err;
    if (!load_site_secret(key_path, &key_err)) {
        *err = key_err;
        return false;
    }
    *report += key_existed ? fmt::format("{} exists (kept)\n", kSiteKey)
                           : fmt::format("created {} (32 random bytes, mode 0600)\n", kSiteKey);

    const std::string mirror_path = join(dir, kMirrorDb);
    if (!init_database(
            mirror_path, kMirrorDb, [&] { MirrorStore store(mirror_path, /*create=*/true); },
            report, err))
        return false;
    const std::string local_path = join(dir, kLocalDb);
    if (!init_database(
            local_path, kLocalDb, [&] { LocalStore store(local_path, /*create=*/true); }, report,
            err))
        return false;
    const std::string audit_path = join(dir, kAuditDb);
    if (!init_database(
            audit_path, kAuditDb, [&] { AuditStore store(audit_path, /*create=*/true); }, report,
            err))
        return false;
    return true;
}

std::unique_ptr<DataDir> DataDir::open(const std::string& dir, std::string* err) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            *err = fmt::format("data directory {} does not exist: run kioskctl init", dir);
        } else {
            *err = fmt::format("cannot read data directory {}: {}", dir, std::strerror(errno));
        }
        return nullptr;
    }
    if (!S_ISDIR(st.st_mode)) {
        *err = fmt::format("data directory {} is not a directory", dir);
        return nullptr;
    }
    if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
        *err = fmt::format(
            "cannot use data directory {}: {} (it must be readable and writable by "
            "the kiosk's user)",
            dir, std::strerror(errno));
        return nullptr;
    }
    for (const char* name : {kSiteKey, kMirrorDb, kLocalDb, kAuditDb}) {
        std::error_code ec;
        if (!fs::exists(join(dir, name), ec)) {
            *err = fmt::format(
                "data directory {} is not initialised ({} is missing): run "
                "kioskctl init",
                dir, name);
            return nullptr;
        }
    }

    std::unique_ptr<DataDir> d(new DataDir());
    d->dir_ = dir;
    std::string key_err;
    auto secret = load_site_secret(join(dir, kSiteKey), &key_err);
    if (!secret) {
        *err = key_err;
        return nullptr;
    }
    d->secret_ = *secret;

    try {
        // Read-only checks first, so that a refusal leaves every file untouched.
        preflight_schema(join(dir, kLocalDb), LocalStore::kSchemaVersion, kLocalDb, false);
        preflight_schema(join(dir, kAuditDb), AuditStore::kSchemaVersion, kAuditDb, false);
        preflight_schema(join(dir, kMirrorDb), MirrorStore::kSchemaVersion, kMirrorDb, false);
        d->mirror_ = std::make_unique<MirrorStore>(join(dir, kMirrorDb), /*create=*/false);
        d->local_ = std::make_unique<LocalStore>(join(dir, kLocalDb), false, d->secret_);
        d->audit_ = std::make_unique<AuditStore>(join(dir, kAuditDb), false);
    } catch (const std::exception& e) {
        *err = fmt::format("data directory {}: {}", dir, e.what());
        return nullptr;
    }
    return d;
}

}  // namespace kiosk::db
