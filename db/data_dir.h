// The kiosk's data directory, mode 0700: mirror.db (the training records, replaced by syncs),
// kiosk.db (local state and the audit chain in one file, so that a change and its audit row
// commit together: db/kiosk_db.h) and site.key; every file mode 0600 whatever the umask.
// DataDir::init creates, migrates (local.db + audit.db of earlier versions become kiosk.db) and
// makes private (`kioskctl init`); it refuses to silently replace a missing store unless asked
// to start afresh, which is audited. DataDir::open opens an initialised directory for the kiosk
// and kioskctl, refusing with a clear message (and modifying nothing) when it is missing,
// unreadable, not initialised, from a newer version of the software, or has a bad site secret;
// a store found readable by others is made private again (mode 0600) before it is read.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/audit_store.h"
#include "db/local_store.h"
#include "kiosk/card_id.h"
#include "kiosk/time.h"

namespace kiosk::db {

class Database;
class MirrorStore;

class DataDir {
public:
    static constexpr const char* kMirrorDb = "mirror.db";
    static constexpr const char* kKioskDb = "kiosk.db";
    static constexpr const char* kSiteKey = "site.key";
    // The stores of earlier versions: init migrates them into kiosk.db, then renames them
    // `*.migrated` (kept, never read again).
    static constexpr const char* kLegacyLocalDb = "local.db";
    static constexpr const char* kLegacyAuditDb = "audit.db";

    struct InitOptions {
        // Create what is missing (site.key, kiosk.db, one half of a legacy pair) although other
        // stores exist. Audited as "init.start_afresh" naming what was created.
        bool start_afresh = false;
        Instant now = kiosk::now();
    };

    // Creates the directory (0700) if missing, the site secret and kiosk.db / mirror.db on a
    // fresh directory, migrates older stores, and makes every file private (dir 0700, files
    // 0600). Idempotent. *report lists, one line each, what was created, migrated or already up
    // to date. false + *err on failure: a newer schema, or a store missing beside existing ones
    // (the message names it and how to restore it), is refused before any write.
    static bool init(const std::string& dir, std::string* report, std::string* err);
    static bool init(const std::string& dir, const InitOptions& opt, std::string* report,
                     std::string* err);

    // Opens an initialised directory (making a store found readable by others private again).
    // nullptr + *err on failure; nothing is modified then.
    static std::unique_ptr<DataDir> open(const std::string& dir, std::string* err);

    ~DataDir();
    DataDir(const DataDir&) = delete;
    DataDir& operator=(const DataDir&) = delete;

    LocalStore& local() { return *local_; }
    AuditStore& audit() { return *audit_; }
    MirrorStore& mirror() { return *mirror_; }
    const SiteSecret& secret() const { return secret_; }
    const std::string& dir() const { return dir_; }
    // `dir`/`name`, e.g. path_of("mirror.db").
    std::string path_of(const std::string& name) const;
    // One all-or-nothing write over local() and audit(): AuditTrail::transact (kiosk/ports.h).
    bool transact(const std::function<bool(std::string* err)>& work, std::string* err) {
        return audit_->transact(work, err);
    }

private:
    DataDir() = default;

    std::string dir_;
    SiteSecret secret_{};
    std::unique_ptr<MirrorStore> mirror_;
    std::shared_ptr<Database> kiosk_;
    std::unique_ptr<LocalStore> local_;
    std::unique_ptr<AuditStore> audit_;
};

}  // namespace kiosk::db
