// One sync from a source (product.md section 3 and 7): the pinned records-office key (--pubkey,
// else sync.public_key, else DATA_DIR/feed.pub, pinned at the first --pubkey), the download of an
// http(s) source next to the mirror, the signed snapshot verified and applied all or nothing
// (db/feed_import.h), and — applied or rejected — the audit chain head written to
// DATA_DIR/audit-head.txt. The one implementation behind `kioskctl sync` and the kiosk's staff
// "sync now" (kiosk/app/records_sync.h).
#pragma once

#include <optional>
#include <string>

#include "db/audit_head.h"
#include "db/feed_import.h"
#include "kiosk/config.h"

namespace kiosk::db {

class DataDir;

struct SourceSyncOptions {
    std::string source;  // a path or an http(s) URL; empty: the config's sync.source
    std::string sig;     // empty: SOURCE.minisig
    std::string pubkey;  // a key to pin (kioskctl --pubkey); empty: the pinned one
    std::string encoding;
    bool dry_run = false, allow_mass_removal = false, full_compare = false;
    Instant now{};
    // false: `now` is an operator's deliberate "as at" (--at): the clock is then not checked
    // against the newest audit row (the snapshot's time is checked either way).
    bool now_is_clock = true;
    std::string actor = "kioskctl";  // who asked, in every audit row of this sync
    SyncProgressFn progress;         // phases and rows read; may be empty
};

struct SourceSyncResult {
    SyncReport report;
    bool imported = false;          // the import ran: the report has its findings
    std::optional<AuditHead> head;  // the chain head exported after the sync
};

// Runs one sync. true when applied (or a dry run passed) and the head was exported; false + *err
// one clear line otherwise (every refusal is audited as "sync.rejected" with o.actor). The head
// exported last time must still be in the chain: if kiosk.db was rolled back the sync is refused
// and audit-head.txt (the evidence) is kept.
bool sync_from_source(const Config& cfg, DataDir& d, const SourceSyncOptions& o,
                      SourceSyncResult* out, std::string* err);

}  // namespace kiosk::db
