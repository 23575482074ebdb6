// The kiosk's data directory: mirror.db, local.db, audit.db and site.key (later feed.pub) side by
// side, mode 0700. DataDir::init creates or migrates all of them (`kioskctl init`); DataDir::open
// opens an initialised directory for the kiosk and kioskctl, refusing with a clear message (and
// modifying nothing) when it is missing, unreadable, not initialised, from a newer version of the
// software, or has a bad site secret.
#pragma once

#include <memory>
#include <string>

#include "db/audit_store.h"
#include "db/local_store.h"
#include "kiosk/card_id.h"

namespace kiosk::db {

class MirrorStore;

class DataDir {
public:
    static constexpr const char* kMirrorDb = "mirror.db";
    static constexpr const char* kLocalDb = "local.db";
    static constexpr const char* kAuditDb = "audit.db";
    static constexpr const char* kSiteKey = "site.key";

    // Creates the directory (0700) if missing, the site secret if missing, and creates or migrates
    // the three databases. Idempotent. *report lists, one line each, what was created, migrated or
    // already up to date. false + *err on failure (a newer schema is refused before any write).
    static bool init(const std::string& dir, std::string* report, std::string* err);

    // Opens an initialised directory. nullptr + *err on failure; nothing is modified then.
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

private:
    DataDir() = default;

    std::string dir_;
    SiteSecret secret_{};
    std::unique_ptr<MirrorStore> mirror_;
    std::unique_ptr<LocalStore> local_;
    std::unique_ptr<AuditStore> audit_;
};

}  // namespace kiosk::db
