// kioskctl sync: verify a signed snapshot against the pinned records-office key and apply it to
// the mirror as one atomic swap (product.md section 3). The key is pinned: --pubkey, else the
// config's sync.public_key, else DATA_DIR/feed.pub, which the first successful sync with --pubkey
// writes. A --pubkey that differs from the pinned key is refused. An http(s) SOURCE is downloaded
// next to the mirror first (db/feed_fetch.h). After every sync, applied or rejected, the audit
// chain head is printed and written to DATA_DIR/audit-head.txt (db/audit_head.h).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "db/audit_head.h"
#include "db/data_dir.h"
#include "db/feed_fetch.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db/regular_file.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {
namespace {

namespace fs = std::filesystem;

struct SyncOptions {
    std::string source, sig, pubkey, encoding, at;
    bool dry_run = false, allow_mass_removal = false, json = false, full_compare = false;
};

void audit_rejection(db::DataDir& d, Instant now, const std::string& file, const std::string& why,
                     const char* stage = nullptr) {
    AuditReceipt r;
    std::string err;
    nlohmann::json detail{{"file", file}, {"reason", why}};
    if (stage) detail["stage"] = stage;
    d.audit().append({now, "sync.rejected", "kioskctl", "", "", "rejected", detail.dump()}, &r,
                     &err);
}

// Verifies and applies one snapshot (downloading it first when SOURCE is a URL). Fills *report;
// throws CtlError with one line on any failure, after auditing it.
void sync_once(Ctl& ctl, const SyncOptions& o, db::SyncReport* report, bool* imported) {
    const Config& cfg = ctl.config();
    std::string source = o.source.empty() ? cfg.sync.source : o.source;
    if (source.empty()) throw CtlError("sync needs a SOURCE (or sync.source in the config)");
    Instant now = ctl.at(o.at);
    auto& d = ctl.data();
    // What may be recorded of the source: no user:password@, no ?query (a token).
    const std::string recorded = db::url_for_record(source);
    report->csv_path = recorded;
    auto fail = [&](const std::string& why) {
        report->rejected = why;
        throw CtlError(why);
    };

    const std::string pinned = d.path_of("feed.pub");
    std::string key = !o.pubkey.empty() ? o.pubkey : cfg.sync.public_key;
    if (key.empty()) {
        if (!fs::exists(pinned))
            fail(
                "no public key is pinned: pass --pubkey FILE (the records office's minisign "
                "public key) or set sync.public_key");
        key = pinned;
    }
    std::string err;
    db::MinisignPublicKey given;
    if (!db::read_minisign_public_key(key, &given, &err)) {
        audit_rejection(d, now, recorded, err);
        fail(err);
    }
    bool pin_after = false;
    if (!o.pubkey.empty() && key != pinned) {
        if (fs::exists(pinned)) {
            db::MinisignPublicKey have;
            if (!db::read_minisign_public_key(pinned, &have, &err)) fail(err);
            if (have.key_id != given.key_id || have.pk != given.pk) {
                std::string why = fmt::format(
                    "public key {} (key id {}) is not the pinned key {} (key id {}): to rotate the "
                    "records office's key, replace {} deliberately",
                    key, db::minisign_key_id_hex(given.key_id), pinned,
                    db::minisign_key_id_hex(have.key_id), pinned);
                audit_rejection(d, now, recorded, why);
                fail(why);
            }
        } else {
            pin_after = true;
        }
    }

    db::SyncRequest req;
    req.csv_path = source;
    req.sig_path = o.sig.empty() ? source + ".minisig" : o.sig;
    req.source = recorded;
    // A URL is downloaded next to the mirror first; `fetched` removes the temporaries on return.
    db::FetchedSnapshot fetched;
    if (db::is_fetch_url(source)) {
        db::FetchRequest fr;
        fr.url = source;
        fr.sig = o.sig;
        fr.temp_dir = d.dir();
        fr.connect_timeout_seconds = cfg.sync.connect_timeout_seconds;
        fr.total_timeout_seconds = cfg.sync.total_timeout_seconds;
        fr.retries = cfg.sync.retries;
        fr.credentials_file = cfg.sync.credentials_file;
        if (!db::fetch_snapshot(fr, &fetched, &err)) {
            audit_rejection(d, now, recorded, err, "fetch");
            fail(err);
        }
        req.csv_path = fetched.csv_path;
        req.sig_path = fetched.sig_path;
    } else if (db::is_fetch_url(o.sig)) {
        fail(fmt::format("--sig {} is a URL but SOURCE {} is a local file: give both as URLs",
                         db::url_for_record(o.sig), recorded));
    }
    req.public_key_path = key;
    if (!o.encoding.empty()) req.encoding = o.encoding;
    req.dry_run = o.dry_run;
    req.allow_mass_removal = o.allow_mass_removal;
    req.full_compare = o.full_compare;
    req.max_invalid_rows = cfg.sync.max_invalid_rows;
    req.max_removed_fraction = cfg.sync.max_removed_fraction;
    req.now = now;
    // The clock is checked against the newest audit row only when it is the system clock: an
    // operator's --at is a deliberate "as at" (the snapshot's time is checked either way).
    if (o.at.empty() && !d.audit().latest_time(&req.newest_audit_at, &err)) {
        audit_rejection(d, now, recorded, err);
        fail(err);
    }
    *imported = true;
    bool ok = db::sync_snapshot(req, d.mirror(), d.audit(), report, &err);
    if (!ok) throw CtlError(err);
    if (pin_after && !o.dry_run) {
        std::string text;
        if (!db::read_regular_file(key, "public key", 64 * 1024, &text, &err)) throw CtlError(err);
        std::ofstream f(pinned, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) throw CtlError(fmt::format("cannot pin the public key to {}", pinned));
    }
}

// Runs the sync, then — applied or rejected — prints the audit chain head and writes it to
// DATA_DIR/audit-head.txt, so that the newest rows cannot be removed unnoticed.
void run_sync(Ctl& ctl, const SyncOptions& o) {
    auto& d = ctl.data();  // a data dir that cannot be opened fails here, before any head export
    db::SyncReport report;
    std::optional<std::string> failure;
    bool imported = false;
    std::string err;
    // The head exported last time must still be in the chain: if kiosk.db was rolled back, the
    // sync refuses, and the evidence (audit-head.txt) is kept, not overwritten.
    const std::string head_path = d.path_of(db::kAuditHeadFile);
    std::string head_problem;
    if (!db::check_exported_head(d.audit(), head_path, &head_problem, &err)) head_problem = err;
    if (!head_problem.empty()) {
        report.csv_path =
            db::url_for_record(o.source.empty() ? ctl.config().sync.source : o.source);
        report.rejected = head_problem;
        audit_rejection(d, ctl.at(o.at), report.csv_path, head_problem, "audit-head");
        if (o.json) fmt::print("{}\n", report.to_json());
        throw CtlError(head_problem);
    }
    try {
        sync_once(ctl, o, &report, &imported);
    } catch (const CtlError& e) {
        failure = e.what();
    }
    db::AuditHead head;
    const bool head_ok = db::export_audit_head(d.audit(), head_path, &head, &err);
    if (o.json) {
        auto j = nlohmann::json::parse(report.to_json());
        if (head_ok) j["audit_head"] = {{"seq", head.seq}, {"hash", head.hash}};
        fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
        if (!failure) fmt::print("{}\n", report.to_text());
        if (head_ok) fmt::print("{}\n", db::format_audit_head(head));
    }
    if (failure) {
        if (!o.json && imported) fmt::print(stderr, "{}\n", report.to_text());
        if (!head_ok) *failure += fmt::format(" (and {})", err);
        throw CtlError(*failure);
    }
    if (!head_ok) throw CtlError(err);
}

}  // namespace

void add_sync_commands(CLI::App& app, Ctl& ctl) {
    auto o = std::make_shared<SyncOptions>();
    auto* sync = app.add_subcommand("sync", "verify and apply a signed snapshot");
    sync->add_option("SOURCE", o->source,
                     "snapshot CSV: a path or an http(s) URL (default: sync.source)");
    sync->add_option("--sig", o->sig,
                     "signature: a path or an http(s) URL (default: SOURCE.minisig)");
    sync->add_option("--pubkey", o->pubkey,
                     "records office's minisign public key (pinned at first use)");
    sync->add_option("--encoding", o->encoding,
                     "utf-8, cp932 (Shift_JIS, as Excel saves it) or auto; default: detected");
    sync->add_flag("--dry-run", o->dry_run,
                   "validate and report what would change; change nothing");
    sync->add_flag("--allow-mass-removal", o->allow_mass_removal,
                   "accept a snapshot removing more than sync.max_removed_fraction of trainees");
    sync->add_flag("--full-compare", o->full_compare,
                   "compare every row with the mirror instead of trusting its per-trainee "
                   "digests, and rewrite what differs (repairs a mirror changed outside a sync; "
                   "may re-apply the snapshot it already holds)");
    sync->add_flag("--json", o->json, "print the report as JSON");
    sync->add_option("--at", o->at, "the time to check the snapshot against (default: now)");
    sync->callback([&ctl, o] { run_sync(ctl, *o); });
}

}  // namespace kiosk
