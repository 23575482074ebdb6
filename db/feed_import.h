// The nightly sync: verifies a signed snapshot against the pinned key, checks its trusted comment
// against the mirror (no replay, no going back in time, not from the future), parses and
// validates the CSV, and applies it to the mirror as one transaction — or rejects it, leaving the
// mirror exactly as it was. Both outcomes are audited. Called by `kioskctl sync` and the kiosk's
// "sync now".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/csv_reader.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "kiosk/ports.h"
#include "kiosk/time.h"

namespace kiosk::db {

// A sync's progress, for a screen: the phase ("downloading", "verifying", "reading", "reading
// again", "comparing", "applying") and the snapshot's rows read so far (every 8192 rows and at
// each phase). Called on the syncing thread.
using SyncProgressFn = std::function<void(std::string_view phase, std::int64_t rows)>;

struct SyncRequest {
    std::string csv_path;
    std::string sig_path;  // empty: csv_path + ".minisig"
    // Where the snapshot came from, shown in the report and the audit trail instead of csv_path
    // (the URL of a downloaded snapshot, whose csv_path is a temporary file); empty: csv_path.
    std::string source;
    std::string public_key_path;
    // "utf-8", "cp932" (and aliases: see canonical_feed_encoding), or "auto"/"" to detect.
    std::string encoding;
    bool dry_run = false;  // verify, validate and diff; change nothing
    bool allow_mass_removal = false;
    // Compare every row with the mirror instead of trusting the per-trainee digests, rewriting
    // whatever differs: the repair after the mirror was changed outside a sync. May re-apply the
    // snapshot the mirror already holds (same sequence and generated_at).
    bool full_compare = false;
    std::int64_t max_invalid_rows = 0;
    double max_removed_fraction = 0.10;
    Instant now{};
    // The latest time of any audit row when `now` is the system clock (not an operator's --at): a
    // clock more than an hour behind it, or behind the mirror's snapshot, is refused as a clock
    // fault (kiosk/trust_checks.h) instead of freezing the records with "from the future".
    std::optional<Instant> newest_audit_at;
    // Largest snapshot file read from a path (a downloaded one is bounded by the fetch).
    std::int64_t max_snapshot_bytes = std::int64_t{2} << 30;
    std::string actor = "kioskctl";  // who asked, for the audit trail
    SyncProgressFn progress;         // may be empty
};

struct SyncReport {
    bool applied = false;  // committed to the mirror (never with dry_run)
    bool dry_run = false;
    bool full_compare = false;  // every row compared (--full-compare), not the digests trusted
    std::string csv_path;
    std::int64_t sequence_from = 0;  // the mirror's before (0: empty mirror)
    std::int64_t sequence_to = 0;
    Instant generated_at{};
    std::string key_id;
    std::string encoding;  // "utf-8" or "cp932" once known
    bool encoding_detected = false;
    SnapshotDiff diff;
    std::int64_t rows_read = 0;
    std::vector<std::int64_t> skipped_lines;  // invalid rows skipped under max_invalid_rows
    std::vector<std::string> errors;          // each `line N, column C: …` (skipped or rejecting)
    std::vector<std::string> warnings;        // unknown columns, TR-8
    std::string rejected;                     // the one-line reason when rejected, else empty

    std::string to_json() const;
    std::string to_text() const;
};

// The snapshot's bytes for parsing, checked against the pre-hash its signature was verified
// over: the file is read twice (verify, then parse), and whoever could write it in between must
// not get unverified rows applied. At the end of the input read() fails, naming the change, when
// the bytes read differ from the verified ones. The bytes are read and hashed a few chunks ahead
// on a thread of its own (PrehashingReader), not on the parser's: `in` must be left alone until
// the source is destroyed, which stops and joins that thread.
class VerifiedBytesSource final : public ByteSource {
public:
    VerifiedBytesSource(std::istream& in, const MinisignPrehash& verified)
        : ahead_(in), verified_(verified) {}
    bool read(char* buf, size_t cap, size_t* n, std::string* err) override;

private:
    PrehashingReader ahead_;
    MinisignPrehash verified_;
    std::string_view chunk_;  // what is left of the chunk being read
    bool done_ = false;
};

// Verifies and applies one snapshot. Order: read the pinned key; verify the signature (before a
// byte of the CSV is parsed); check the trusted comment against the mirror, the highest snapshot
// the audit trail records as applied (a lower one is a rollback) and `now`; then parse,
// validate, stage, diff and apply. The checks against the mirror are made again inside the
// import's write transaction, so that two syncs at once can never put an older snapshot back.
// Snapshot, signature and key must be regular files (a FIFO or a device is refused at once). On
// rejection returns false with *err one clear line (the rest of the errors in report->errors) and
// audits "sync.rejected"; on success audits "sync.applied". A dry run changes nothing and is not
// audited as applied; its rejections are audited (with "dry_run": true): a forged or replayed
// snapshot matters even when only tried. `now` defaults to the clock when left at the epoch.
// `report` may be null.
bool sync_snapshot(const SyncRequest& req, MirrorStore& mirror, AuditTrail& audit,
                   SyncReport* report, std::string* err);

}  // namespace kiosk::db
