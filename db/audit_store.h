// The audit trail: an append-only, hash-chained table of events in kiosk.db (db/kiosk_db.h, WAL +
// synchronous=FULL), beside the local state, so that transact() commits a change and its audit
// row together or not at all. Every decision and staff action is appended here, and the kiosk
// acts only after its row committed (fail-secure). verify() recomputes the chain and names the
// first row that was altered, removed or moved.
//
// Chain: row_hash = BLAKE2b-256(prev_hash ‖ seq ‖ at ‖ kind ‖ actor ‖ trainee_no ‖ card_prefix ‖
// outcome ‖ detail), where prev_hash is the previous row's row_hash as 64 lower-case hex ASCII
// bytes (64 '0's for row 1), seq and at (unix seconds) are 8-byte big-endian signed integers, and
// every text field is an 8-byte big-endian length followed by its UTF-8 bytes. Triggers abort any
// UPDATE or DELETE; the chain catches edits made after dropping them, except removal of the
// newest rows, which needs the head (head()) kept elsewhere.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/ports.h"
#include "kiosk/time.h"

namespace kiosk::db {

class Database;

// One stored event with its place in the chain.
struct AuditRow {
    std::int64_t seq = 0;
    AuditEvent event;
    std::string prev_hash;  // hex
    std::string row_hash;   // hex
};

struct AuditVerifyResult {
    bool ok = false;
    std::int64_t rows = 0;           // rows checked
    std::int64_t first_bad_seq = 0;  // 0 when ok
    std::string problem;             // "row 17: hash does not match its contents", ...
    std::string head_hash;           // row_hash of the last row (64 '0's when empty)
};

inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

class AuditStore final : public AuditTrail {
public:
    static constexpr int kSchemaVersion = 3;  // kiosk.db's (KioskDb::kSchemaVersion)

    // Its own connection to a kiosk.db-format file at `path` (tests; DataDir shares one). create
    // =true creates or migrates it; create=false opens an existing, current one (refusing,
    // without writing, a missing, uninitialised, older or newer one). Throws std::runtime_error
    // with a clear message on failure.
    AuditStore(const std::string& path, bool create);
    // Over an open kiosk.db connection shared with the LocalStore (DataDir).
    explicit AuditStore(std::shared_ptr<Database> db);
    ~AuditStore() override;

    // Reads the head and inserts in one BEGIN IMMEDIATE transaction (or inside the transact()
    // that is running); true only after COMMIT returned. Never throws: false + *err.
    bool append(const AuditEvent& e, AuditReceipt* out, std::string* err) override;
    // See AuditTrail::transact (kiosk/ports.h). Never throws: an exception from work or the
    // commit rolls everything back and becomes false + *err.
    bool transact(const std::function<bool(std::string* err)>& work, std::string* err) override;

    // Walks every row in seq order recomputing the chain. Returns false only when the database
    // cannot be read; a broken chain is reported in *out (ok=false, first_bad_seq, problem).
    bool verify(AuditVerifyResult* out, std::string* err);

    // The newest row's seq and row_hash (0 and the genesis hash when empty).
    bool head(std::int64_t* seq, std::string* hash, std::string* err);

    // Writes events at or after `since` (all when nullopt) in seq order: format "csv" (RFC 4180,
    // header row) or "json" (an array of objects). `at` is written as ISO 8601 (Japan time).
    bool export_events(std::ostream& os, std::string_view format, std::optional<Instant> since,
                       std::string* err);

    // The newest n rows, newest first (for the staff screen).
    bool latest(int n, std::vector<AuditRow>* out, std::string* err);

    // The newest row of `kind` (e.g. "sync.applied"), by index; nullopt when there is none.
    bool latest_of_kind(std::string_view kind, std::optional<AuditRow>* out, std::string* err);

    // The row at `seq`; nullopt when there is none (never written, or removed).
    bool row_at(std::int64_t seq, std::optional<AuditRow>* out, std::string* err);

    // h2 (issue 9 item 5): the "sync.applied" row with the highest "sequence" in its detail
    // (the rollback floor). Reads only the rows of that kind newer than those already seen (by the
    // (kind, seq) index), so that a decision pays one index probe.
    bool highest_applied_snapshot(std::optional<AppliedSnapshot>* out, std::string* err) override;
    // h2 (issue 9 item 11): the latest `at` of any row (by the events_at index), for the clock
    // check; nullopt when the trail is empty.
    bool latest_time(std::optional<Instant>* out, std::string* err);

    // The row hash of an event at `seq` after `prev_hash` (hex), as defined above.
    static std::string compute_row_hash(std::string_view prev_hash, std::int64_t seq,
                                        const AuditEvent& e);

    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::shared_ptr<Database> db_;
    // h2: highest_applied_snapshot's cache: the rows of kind "sync.applied" up to this seq are
    // folded into applied_floor_.
    std::int64_t applied_scanned_to_ = 0;
    std::optional<AppliedSnapshot> applied_floor_;
};

}  // namespace kiosk::db
