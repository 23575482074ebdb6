// The kiosk's data directory (see data_dir.h).
#include "db/data_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "db/kiosk_db.h"
#include "db/migrations.h"
#include "db/mirror_store.h"
#include "db/site_secret.h"
#include "db/sqlite.h"

namespace kiosk::db {
namespace fs = std::filesystem;
namespace {

constexpr int kLegacyLocalVersion = 1;  // local.db's last schema before kiosk.db
constexpr int kLegacyAuditVersion = 2;  // audit.db's: steps 1-2 of kiosk.db
constexpr const char* kMigrating = "kiosk.db.migrating";

std::string join(const std::string& dir, const std::string& name) {
    return (fs::path(dir) / name).string();
}

bool exists(const std::string& path) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec));
}

void fsync_path(const std::string& path, bool directory) {
    int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(fmt::format("cannot open {}: {}", path, strerror(errno)));
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0) throw std::runtime_error(fmt::format("cannot sync {}: {}", path, strerror(saved)));
}

void rename_or_throw(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0)
        throw std::runtime_error(
            fmt::format("cannot rename {} to {}: {}", from, to, std::strerror(errno)));
}

// A database file and its -wal / -shm companions.
std::vector<std::string> with_companions(const std::string& path) {
    return {path, path + "-wal", path + "-shm", path + "-journal"};
}

// What a missing store means and how to get it back.
std::string missing_advice(const std::string& name) {
    if (name == DataDir::kSiteKey)
        return "site.key is missing: restore it from the backup of this data directory (without "
               "it no enrolled card and no staff PIN matches)";
    if (name == DataDir::kKioskDb)
        return "kiosk.db is missing: restore it from the backup of this data directory (it holds "
               "the card bindings, staff, sessions and the audit trail)";
    if (name == DataDir::kLegacyLocalDb)
        return "local.db is missing beside audit.db: restore it from the backup (it holds the "
               "card bindings, staff and sessions)";
    return "audit.db is missing beside local.db: restore it from the backup (it holds the audit "
           "trail)";
}

// Makes one existing file private; says so in the report when it was not.
void make_private(const std::string& path, const std::string& name, std::string* report) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISREG(st.st_mode))
        throw std::runtime_error(fmt::format("{} is not a regular file", path));
    if ((st.st_mode & 07777) == 0600) return;
    if (::chmod(path.c_str(), 0600) != 0)
        throw std::runtime_error(
            fmt::format("cannot make {} private (chmod 600): {}", path, std::strerror(errno)));
    *report += fmt::format("made {} private (mode 0600, was {:04o})\n", name, st.st_mode & 07777);
}

// local.db + audit.db of an earlier version -> kiosk.db, built aside and renamed into place
// only when complete, so that a crash leaves either the old pair or the new file.
void migrate_legacy(const std::string& dir, bool has_local, bool has_audit, Instant now,
                    std::string* report) {
    const std::string tmp = join(dir, kMigrating);
    for (auto& p : with_companions(tmp)) ::unlink(p.c_str());
    make_private_file(tmp);
    const std::string audit_path = join(dir, DataDir::kLegacyAuditDb);
    const std::string local_path = join(dir, DataDir::kLegacyLocalDb);
    if (has_audit) {
        // The chain is copied as it is (a consistent snapshot, the WAL's rows included).
        Database src(audit_path, Database::Mode::ReadOnly);
        auto st = src.prepare("VACUUM INTO ?");
        st.bind(1, tmp);
        st.run();
    }
    {
        auto db = KioskDb::open(tmp, /*create=*/true);
        AuditStore audit(db);
        nlohmann::json detail{{"from", nlohmann::json::array()}};
        if (has_audit) detail["from"].push_back(DataDir::kLegacyAuditDb);
        if (has_local) {
            detail["from"].push_back(DataDir::kLegacyLocalDb);
            auto attach = db->prepare("ATTACH DATABASE ? AS legacy");
            attach.bind(1, local_path);
            attach.run();
        }
        Transaction tx(*db);
        if (has_local) {
            db->exec(
                "DELETE FROM main.revisions;"
                "INSERT INTO main.revisions SELECT * FROM legacy.revisions;"
                "INSERT INTO main.cards SELECT * FROM legacy.cards;"
                "INSERT INTO main.staff SELECT * FROM legacy.staff;"
                "INSERT INTO main.sessions SELECT * FROM legacy.sessions;"
                "INSERT INTO main.briefings SELECT * FROM legacy.briefings;");
            for (const char* table : {"cards", "staff", "sessions", "briefings"}) {
                auto count = db->prepare(fmt::format("SELECT count(*) FROM main.{}", table));
                count.step();
                detail[table] = count.column_int(0);
            }
        }
        AuditReceipt receipt;
        std::string err;
        if (!audit.append(
                AuditEvent{now, "store.migrated", "kioskctl", "", "", "ok", detail.dump()},
                &receipt, &err))
            throw std::runtime_error(err);
        tx.commit();
        if (has_local) db->exec("DETACH DATABASE legacy");
    }
    fsync_path(tmp, false);
    rename_or_throw(tmp, join(dir, DataDir::kKioskDb));
    fsync_path(dir, true);
    *report += fmt::format("migrated {} into {} (schema version {})\n",
                           has_local && has_audit ? "local.db and audit.db"
                           : has_local            ? "local.db"
                                                  : "audit.db",
                           DataDir::kKioskDb, KioskDb::kSchemaVersion);
}

// Renames the stores of an earlier version out of the way once kiosk.db holds their contents.
void retire_legacy(const std::string& dir, std::string* report) {
    for (const char* name : {DataDir::kLegacyLocalDb, DataDir::kLegacyAuditDb}) {
        const std::string path = join(dir, name);
        if (!exists(path)) continue;
        for (auto& p : with_companions(path))
            if (exists(p)) rename_or_throw(p, p + ".migrated");
        *report +=
            fmt::format("renamed {} to {}.migrated (kiosk.db holds its contents)\n", name, name);
    }
    fsync_path(dir, true);
}

std::string describe_version(const std::optional<int>& before, int after, const char* name) {
    if (!before) return fmt::format("created {} (schema version {})\n", name, after);
    if (*before != after)
        return fmt::format("migrated {} from schema version {} to {}\n", name, *before, after);
    return fmt::format("{} is up to date (schema version {})\n", name, after);
}

}  // namespace

DataDir::~DataDir() = default;

std::string DataDir::path_of(const std::string& name) const { return join(dir_, name); }

bool DataDir::init(const std::string& dir, std::string* report, std::string* err) {
    return init(dir, InitOptions{}, report, err);
}

bool DataDir::init(const std::string& dir, const InitOptions& opt, std::string* report,
                   std::string* err) {
    report->clear();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            *err = fmt::format("cannot read data directory {}: {}", dir, std::strerror(errno));
            return false;
        }
        std::error_code ec;
        fs::path parent = fs::path(dir).parent_path();
        if (!parent.empty()) fs::create_directories(parent, ec);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            *err = fmt::format("cannot create data directory {}: {}", dir, std::strerror(errno));
            return false;
        }
        if (::chmod(dir.c_str(), 0700) != 0) {
            *err = fmt::format("cannot set mode 0700 on data directory {}: {}", dir,
                               std::strerror(errno));
            return false;
        }
        *report += fmt::format("created data directory {} (mode 0700)\n", dir);
    } else if (!S_ISDIR(st.st_mode)) {
        *err = fmt::format("data directory {} exists but is not a directory", dir);
        return false;
    } else if ((st.st_mode & 07777) != 0700) {
        if (::chmod(dir.c_str(), 0700) != 0) {
            *err = fmt::format(
                "cannot make data directory {} private (chmod 700; it is mode {:04o}): {}", dir,
                st.st_mode & 07777, std::strerror(errno));
            return false;
        }
        *report += fmt::format("made data directory {} private (mode 0700, was {:04o})\n", dir,
                               st.st_mode & 07777);
    }

    const std::string key_path = join(dir, kSiteKey);
    const std::string kiosk_path = join(dir, kKioskDb);
    const std::string mirror_path = join(dir, kMirrorDb);
    const bool has_key = exists(key_path), has_kiosk = exists(kiosk_path);
    const bool has_local = exists(join(dir, kLegacyLocalDb));
    const bool has_audit = exists(join(dir, kLegacyAuditDb));
    const bool legacy = !has_kiosk && (has_local || has_audit);

    // Refuse databases from a newer program, and stores missing beside others, before any write.
    try {
        preflight_schema(kiosk_path, KioskDb::kSchemaVersion, kKioskDb, true);
        preflight_schema(mirror_path, MirrorStore::kSchemaVersion, kMirrorDb, true);
        if (legacy) {
            preflight_schema(join(dir, kLegacyLocalDb), kLegacyLocalVersion, kLegacyLocalDb, true);
            preflight_schema(join(dir, kLegacyAuditDb), kLegacyAuditVersion, kLegacyAuditDb, true);
        }
    } catch (const std::exception& e) {
        *err = fmt::format("data directory {}: {}", dir, e.what());
        return false;
    }
    const bool fresh = !has_key && !has_kiosk && !has_local && !has_audit;
    std::vector<std::string> missing;
    if (!fresh) {
        if (!has_key) missing.push_back(kSiteKey);
        if (legacy && !has_local) missing.push_back(kLegacyLocalDb);
        if (legacy && !has_audit) missing.push_back(kLegacyAuditDb);
        if (!has_kiosk && !legacy) missing.push_back(kKioskDb);
    }
    if (!missing.empty() && !opt.start_afresh) {
        std::string advice;
        for (auto& m : missing) advice += "; " + missing_advice(m);
        *err = fmt::format(
            "data directory {}: refusing to replace a missing store{} — or, to start afresh "
            "with a new one (audited), run kioskctl init --start-afresh",
            dir, advice);
        return false;
    }

    try {
        // Files that exist already are made private first, whatever the umask made them.
        for (const char* name : {kSiteKey, kKioskDb, kMirrorDb, kLegacyLocalDb, kLegacyAuditDb})
            for (auto& p : with_companions(join(dir, name)))
                make_private(p, fs::path(p).filename().string(), report);
    } catch (const std::exception& e) {
        *err = fmt::format("data directory {}: {}", dir, e.what());
        return false;
    }

    if (!create_site_secret(key_path, err)) return false;
    std::string key_err;
    if (!load_site_secret(key_path, &key_err)) {
        *err = key_err;
        return false;
    }
    *report += has_key ? fmt::format("{} exists (kept)\n", kSiteKey)
                       : fmt::format("created {} (32 random bytes, mode 0600)\n", kSiteKey);

    try {
        std::optional<int> before = peek_schema_version(mirror_path);
        make_private_file(mirror_path);
        { MirrorStore store(mirror_path, /*create=*/true); }
        *report +=
            describe_version(before, peek_schema_version(mirror_path).value_or(0), kMirrorDb);
    } catch (const std::exception& e) {
        *err = fmt::format("cannot initialise {}: {}", mirror_path, e.what());
        return false;
    }

    try {
        if (legacy) {
            migrate_legacy(dir, has_local, has_audit, opt.now, report);
        } else {
            std::optional<int> before = peek_schema_version(kiosk_path);
            KioskDb::open(kiosk_path, /*create=*/true);
            *report += describe_version(before, KioskDb::kSchemaVersion, kKioskDb);
        }
        if (has_local || has_audit) retire_legacy(dir, report);
        if (!missing.empty()) {
            AuditStore audit(kiosk_path, /*create=*/false);
            nlohmann::json created = missing;
            AuditReceipt receipt;
            std::string aerr;
            if (!audit.append(AuditEvent{opt.now, "init.start_afresh", "kioskctl", "", "", "ok",
                                         nlohmann::json{{"created", created}}.dump()},
                              &receipt, &aerr))
                throw std::runtime_error(aerr);
            std::string list;
            for (auto& m : missing) list += (list.empty() ? "" : ", ") + m;
            *report +=
                fmt::format("started afresh with a new {} (audit row {})\n", list, receipt.seq);
        }
    } catch (const std::exception& e) {
        *err = explain_storage_error(kiosk_path,
                                     fmt::format("cannot initialise {}: {}", kiosk_path, e.what()));
        return false;
    }
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
    if (!exists(join(dir, kKioskDb)) &&
        (exists(join(dir, kLegacyLocalDb)) || exists(join(dir, kLegacyAuditDb)))) {
        *err = fmt::format(
            "data directory {} holds the stores of an earlier version (local.db, audit.db): run "
            "kioskctl init to migrate them into kiosk.db",
            dir);
        return nullptr;
    }
    for (const char* name : {kSiteKey, kMirrorDb, kKioskDb}) {
        if (!exists(join(dir, name))) {
            *err = fmt::format(
                "data directory {} is not initialised ({} is missing): run "
                "kioskctl init",
                dir, name);
            return nullptr;
        }
    }
    // Stores that became readable by others (a copy, a restore under another umask) are made
    // private again before anything is read from them; refused if that is not possible.
    for (const char* name : {kMirrorDb, kKioskDb}) {
        for (auto& path : with_companions(join(dir, name))) {
            struct stat fst {};
            if (::stat(path.c_str(), &fst) != 0 || (fst.st_mode & 077) == 0) continue;
            if (::chmod(path.c_str(), fst.st_mode & 0700) != 0) {
                *err = fmt::format(
                    "{} is accessible by group or others (mode {:04o}) and cannot be made "
                    "private: {} (chmod 600 it, as its owner)",
                    path, fst.st_mode & 07777, std::strerror(errno));
                return nullptr;
            }
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
        preflight_schema(join(dir, kKioskDb), KioskDb::kSchemaVersion, kKioskDb, false);
        preflight_schema(join(dir, kMirrorDb), MirrorStore::kSchemaVersion, kMirrorDb, false);
        d->mirror_ = std::make_unique<MirrorStore>(join(dir, kMirrorDb), /*create=*/false);
        d->kiosk_ = KioskDb::open(join(dir, kKioskDb), /*create=*/false);
        d->local_ = std::make_unique<LocalStore>(d->kiosk_, d->secret_);
        d->audit_ = std::make_unique<AuditStore>(d->kiosk_);
    } catch (const std::exception& e) {
        *err = explain_storage_error(join(dir, kKioskDb),
                                     fmt::format("data directory {}: {}", dir, e.what()));
        return nullptr;
    }
    return d;
}

}  // namespace kiosk::db
