// kioskctl sync: verify a signed snapshot against the pinned records-office key and apply it to
// the mirror as one atomic swap (product.md section 3). The key is pinned: --pubkey, else the
// config's sync.public_key, else DATA_DIR/feed.pub, which the first successful sync with --pubkey
// writes. A --pubkey that differs from the pinned key is refused.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "kiosk/kioskctl.h"

namespace kiosk {
namespace {

namespace fs = std::filesystem;

struct SyncOptions {
    std::string source, sig, pubkey, encoding, at;
    bool dry_run = false, allow_mass_removal = false, json = false;
};

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void audit_rejection(db::DataDir& d, Instant now, const std::string& file, const std::string& why) {
    AuditReceipt r;
    std::string err;
    d.audit().append({now, "sync.rejected", "kioskctl", "", "", "rejected",
                      nlohmann::json{{"file", file}, {"reason", why}}.dump()},
                     &r, &err);
}

void run_sync(Ctl& ctl, const SyncOptions& o) {
    const Config& cfg = ctl.config();
    std::string source = o.source.empty() ? cfg.sync.source : o.source;
    if (source.empty()) throw CtlError("sync needs a SOURCE (or sync.source in the config)");
    Instant now = ctl.at(o.at);
    auto& d = ctl.data();

    const std::string pinned = d.path_of("feed.pub");
    std::string key = !o.pubkey.empty() ? o.pubkey : cfg.sync.public_key;
    if (key.empty()) {
        if (!fs::exists(pinned))
            throw CtlError(
                "no public key is pinned: pass --pubkey FILE (the records office's minisign "
                "public key) or set sync.public_key");
        key = pinned;
    }
    std::string err;
    db::MinisignPublicKey given;
    if (!db::read_minisign_public_key(key, &given, &err)) {
        audit_rejection(d, now, source, err);
        throw CtlError(err);
    }
    bool pin_after = false;
    if (!o.pubkey.empty() && key != pinned) {
        if (fs::exists(pinned)) {
            db::MinisignPublicKey have;
            if (!db::read_minisign_public_key(pinned, &have, &err)) throw CtlError(err);
            if (have.key_id != given.key_id || have.pk != given.pk) {
                std::string why = fmt::format(
                    "public key {} (key id {}) is not the pinned key {} (key id {}): to rotate the "
                    "records office's key, replace {} deliberately",
                    key, db::minisign_key_id_hex(given.key_id), pinned,
                    db::minisign_key_id_hex(have.key_id), pinned);
                audit_rejection(d, now, source, why);
                throw CtlError(why);
            }
        } else {
            pin_after = true;
        }
    }

    db::SyncRequest req;
    req.csv_path = source;
    req.sig_path = o.sig.empty() ? source + ".minisig" : o.sig;
    req.public_key_path = key;
    if (!o.encoding.empty()) req.encoding = o.encoding;
    req.dry_run = o.dry_run;
    req.allow_mass_removal = o.allow_mass_removal;
    req.max_invalid_rows = cfg.sync.max_invalid_rows;
    req.max_removed_fraction = cfg.sync.max_removed_fraction;
    req.now = now;
    db::SyncReport report;
    bool ok = db::sync_snapshot(req, d.mirror(), d.audit(), &report, &err);
    if (o.json)
        fmt::print("{}\n", report.to_json());
    else if (ok)
        fmt::print("{}\n", report.to_text());
    if (!ok) {
        std::string rest = o.json ? "" : report.to_text();
        if (!o.json && !rest.empty()) fmt::print(stderr, "{}\n", rest);
        throw CtlError(err);
    }
    if (pin_after && !o.dry_run) {
        std::string text = read_file(key);
        std::ofstream f(pinned, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f.flush()) throw CtlError(fmt::format("cannot pin the public key to {}", pinned));
    }
}

}  // namespace

void add_sync_commands(CLI::App& app, Ctl& ctl) {
    auto o = std::make_shared<SyncOptions>();
    auto* sync = app.add_subcommand("sync", "verify and apply a signed snapshot");
    sync->add_option("SOURCE", o->source, "snapshot CSV (path)");
    sync->add_option("--sig", o->sig, "signature file (default: SOURCE.minisig)");
    sync->add_option("--pubkey", o->pubkey,
                     "records office's minisign public key (pinned at first use)");
    sync->add_option("--encoding", o->encoding, "utf-8 (default)");
    sync->add_flag("--dry-run", o->dry_run,
                   "validate and report what would change; change nothing");
    sync->add_flag("--allow-mass-removal", o->allow_mass_removal,
                   "accept a snapshot removing more than sync.max_removed_fraction of trainees");
    sync->add_flag("--json", o->json, "print the report as JSON");
    sync->add_option("--at", o->at, "the time to check the snapshot against (default: now)");
    sync->callback([&ctl, o] { run_sync(ctl, *o); });
}

}  // namespace kiosk
