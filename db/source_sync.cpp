// One sync from a source (see source_sync.h): key pinning, download, verify-and-apply, audit head.
#include "db/source_sync.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "db/data_dir.h"
#include "db/feed_fetch.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db/regular_file.h"

namespace kiosk::db {
namespace {

namespace fs = std::filesystem;

void audit_rejection(DataDir& d, const SourceSyncOptions& o, const std::string& file,
                     const std::string& why, const char* stage = nullptr) {
    AuditReceipt r;
    std::string err;
    nlohmann::json detail{{"file", file}, {"reason", why}};
    if (stage) detail["stage"] = stage;
    d.audit().append({o.now, "sync.rejected", o.actor, "", "", "rejected", detail.dump()}, &r,
                     &err);
}

// Verifies and applies one snapshot (downloading it first when the source is a URL). false +
// *err one line on any failure, after auditing it; *imported once the import ran.
bool sync_once(const Config& cfg, DataDir& d, const SourceSyncOptions& o, SyncReport* report,
               bool* imported, std::string* err) {
    const std::string source = o.source.empty() ? cfg.sync.source : o.source;
    if (source.empty()) {
        *err = "sync needs a SOURCE (or sync.source in the config)";
        report->rejected = *err;
        return false;
    }
    // What may be recorded of the source: no user:password@, no ?query (a token).
    const std::string recorded = url_for_record(source);
    report->csv_path = recorded;
    auto fail = [&](const std::string& why) {
        report->rejected = why;
        *err = why;
        return false;
    };
    auto progress = [&](std::string_view phase) {
        if (o.progress) o.progress(phase, 0);
    };

    const std::string pinned = d.path_of("feed.pub");
    std::string key = !o.pubkey.empty() ? o.pubkey : cfg.sync.public_key;
    if (key.empty()) {
        if (!fs::exists(pinned)) {
            return fail(
                "no public key is pinned: pass --pubkey FILE (the records office's minisign "
                "public key) or set sync.public_key");
        }
        key = pinned;
    }
    std::string e;
    MinisignPublicKey given;
    if (!read_minisign_public_key(key, &given, &e)) {
        audit_rejection(d, o, recorded, e);
        return fail(e);
    }
    bool pin_after = false;
    if (!o.pubkey.empty() && key != pinned) {
        if (fs::exists(pinned)) {
            MinisignPublicKey have;
            if (!read_minisign_public_key(pinned, &have, &e)) return fail(e);
            if (have.key_id != given.key_id || have.pk != given.pk) {
                std::string why = fmt::format(
                    "public key {} (key id {}) is not the pinned key {} (key id {}): to rotate the "
                    "records office's key, replace {} deliberately",
                    key, minisign_key_id_hex(given.key_id), pinned,
                    minisign_key_id_hex(have.key_id), pinned);
                audit_rejection(d, o, recorded, why);
                return fail(why);
            }
        } else {
            pin_after = true;
        }
    }

    SyncRequest req;
    req.csv_path = source;
    req.sig_path = o.sig.empty() ? source + ".minisig" : o.sig;
    req.source = recorded;
    req.actor = o.actor;
    req.progress = o.progress;
    // A URL is downloaded next to the mirror first; `fetched` removes the temporaries on return.
    FetchedSnapshot fetched;
    if (is_fetch_url(source)) {
        progress("downloading");
        FetchRequest fr;
        fr.url = source;
        fr.sig = o.sig;
        fr.temp_dir = d.dir();
        fr.connect_timeout_seconds = cfg.sync.connect_timeout_seconds;
        fr.total_timeout_seconds = cfg.sync.total_timeout_seconds;
        fr.retries = cfg.sync.retries;
        fr.credentials_file = cfg.sync.credentials_file;
        if (!fetch_snapshot(fr, &fetched, &e)) {
            audit_rejection(d, o, recorded, e, "fetch");
            return fail(e);
        }
        req.csv_path = fetched.csv_path;
        req.sig_path = fetched.sig_path;
    } else if (is_fetch_url(o.sig)) {
        return fail(
            fmt::format("--sig {} is a URL but SOURCE {} is a local file: give both as URLs",
                        url_for_record(o.sig), recorded));
    }
    req.public_key_path = key;
    if (!o.encoding.empty()) req.encoding = o.encoding;
    req.dry_run = o.dry_run;
    req.allow_mass_removal = o.allow_mass_removal;
    req.full_compare = o.full_compare;
    req.max_invalid_rows = cfg.sync.max_invalid_rows;
    req.max_removed_fraction = cfg.sync.max_removed_fraction;
    req.now = o.now;
    // The clock is checked against the newest audit row only when it is the system clock: an
    // operator's --at is a deliberate "as at" (the snapshot's time is checked either way).
    if (o.now_is_clock && !d.audit().latest_time(&req.newest_audit_at, &e)) {
        audit_rejection(d, o, recorded, e);
        return fail(e);
    }
    *imported = true;
    if (!sync_snapshot(req, d.mirror(), d.audit(), report, err)) {
        // The mirror's write lock is held by another sync (the nightly one, or staff's "sync
        // now" on the kiosk) for longer than the lock timeout: say so plainly (the audited
        // sync.rejected row keeps SQLite's words and the file).
        if (err->find("cannot start the import") != std::string::npos &&
            (err->find("locked") != std::string::npos || err->find("busy") != std::string::npos))
            *err =
                "another sync is writing the records now (the nightly kioskctl sync, or sync now "
                "on the kiosk): nothing was changed; sync again once it has finished";
        return false;
    }
    if (pin_after && !o.dry_run) {
        std::string text;
        if (!read_regular_file(key, "public key", 64 * 1024, &text, err)) return false;
        std::ofstream f(pinned, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) {
            *err = fmt::format("cannot pin the public key to {}", pinned);
            return false;
        }
    }
    return true;
}

}  // namespace

bool sync_from_source(const Config& cfg, DataDir& d, const SourceSyncOptions& o,
                      SourceSyncResult* out, std::string* err) {
    *out = SourceSyncResult{};
    std::string e;
    // The head exported last time must still be in the chain: if kiosk.db was rolled back, the
    // sync refuses, and the evidence (audit-head.txt) is kept, not overwritten.
    const std::string head_path = d.path_of(kAuditHeadFile);
    std::string head_problem;
    if (!check_exported_head(d.audit(), head_path, &head_problem, &e)) head_problem = e;
    if (!head_problem.empty()) {
        out->report.csv_path = url_for_record(o.source.empty() ? cfg.sync.source : o.source);
        out->report.rejected = head_problem;
        audit_rejection(d, o, out->report.csv_path, head_problem, "audit-head");
        *err = head_problem;
        return false;
    }
    std::string failure;
    const bool ok = sync_once(cfg, d, o, &out->report, &out->imported, &failure);
    // Applied or rejected: the chain head is exported, so that the newest rows cannot be removed
    // unnoticed.
    AuditHead head;
    const bool head_ok = export_audit_head(d.audit(), head_path, &head, &e);
    if (head_ok) out->head = head;
    if (!ok) {
        *err = failure;
        if (!head_ok) *err += fmt::format(" (and {})", e);
        return false;
    }
    if (!head_ok) {
        *err = e;
        return false;
    }
    return true;
}

}  // namespace kiosk::db
