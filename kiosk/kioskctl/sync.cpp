// kioskctl sync: verify a signed snapshot against the pinned records-office key and apply it to
// the mirror as one atomic swap (product.md section 3). The key is pinned: --pubkey, else the
// config's sync.public_key, else DATA_DIR/feed.pub, which the first successful sync with --pubkey
// writes. A --pubkey that differs from the pinned key is refused. An http(s) SOURCE is downloaded
// next to the mirror first (db/feed_fetch.h). After every sync, applied or rejected, the audit
// chain head is printed and written to DATA_DIR/audit-head.txt (db/audit_head.h). The sync itself
// is db/source_sync.h, the same one the kiosk's staff "sync now" runs.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "db/audit_head.h"
#include "db/data_dir.h"
#include "db/source_sync.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {
namespace {

struct SyncOptions {
    db::SourceSyncOptions sync;
    std::string at;
    bool json = false;
};

void run_sync(Ctl& ctl, SyncOptions o) {
    auto& d = ctl.data();  // a data dir that cannot be opened fails here, before any head export
    o.sync.now = ctl.at(o.at);
    o.sync.now_is_clock = o.at.empty();
    o.sync.actor = "kioskctl";
    db::SourceSyncResult res;
    std::string err;
    const bool ok = db::sync_from_source(ctl.config(), d, o.sync, &res, &err);
    if (o.json) {
        auto j = nlohmann::json::parse(res.report.to_json());
        if (res.head) j["audit_head"] = {{"seq", res.head->seq}, {"hash", res.head->hash}};
        fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
        if (ok) fmt::print("{}\n", res.report.to_text());
        if (res.head) fmt::print("{}\n", db::format_audit_head(*res.head));
    }
    if (!ok) {
        if (!o.json && res.imported) fmt::print(stderr, "{}\n", res.report.to_text());
        throw CtlError(err);
    }
}

}  // namespace

void add_sync_commands(CLI::App& app, Ctl& ctl) {
    auto o = std::make_shared<SyncOptions>();
    auto* sync = app.add_subcommand("sync", "verify and apply a signed snapshot");
    sync->add_option("SOURCE", o->sync.source,
                     "snapshot CSV: a path or an http(s) URL (default: sync.source)");
    sync->add_option("--sig", o->sync.sig,
                     "signature: a path or an http(s) URL (default: SOURCE.minisig)");
    sync->add_option("--pubkey", o->sync.pubkey,
                     "records office's minisign public key (pinned at first use)");
    sync->add_option("--encoding", o->sync.encoding,
                     "utf-8, cp932 (Shift_JIS, as Excel saves it) or auto; default: detected");
    sync->add_flag("--dry-run", o->sync.dry_run,
                   "validate and report what would change; change nothing");
    sync->add_flag("--allow-mass-removal", o->sync.allow_mass_removal,
                   "accept a snapshot removing more than sync.max_removed_fraction of trainees");
    sync->add_flag("--full-compare", o->sync.full_compare,
                   "compare every row with the mirror instead of trusting its per-trainee "
                   "digests, and rewrite what differs (repairs a mirror changed outside a sync; "
                   "may re-apply the snapshot it already holds)");
    sync->add_flag("--json", o->json, "print the report as JSON");
    sync->add_option("--at", o->at, "the time to check the snapshot against (default: now)");
    sync->callback([&ctl, o] { run_sync(ctl, *o); });
}

}  // namespace kiosk
