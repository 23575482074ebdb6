// The core's view of storage: the mirror of training records, the kiosk's local state and the
// audit trail, as small interfaces. db/ implements them over SQLite; tests may implement them in
// memory. Every call reports failure explicitly (false + *err) so that callers can fail secure.
// Every change to the local state is made inside AuditTrail::transact() together with the audit
// row that records it: both commit, or neither does (issue 9 item 2).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/domain.h"
#include "kiosk/time.h"

namespace kiosk {

// What the mirror holds about the snapshot it was built from.
struct FeedState {
    std::int64_t sequence = 0;
    Instant generated_at{};
    std::string key_id;  // minisign key id, upper-case hex as minisign prints it
    Instant applied_at{};
    std::int64_t trainees = 0;
    std::int64_t certificates = 0;
};

// A card bound to a trainee number (TR-5). card_hash is the keyed hash, never the UID.
struct CardBinding {
    std::string card_hash;
    std::string trainee_no;
    bool revoked = false;
    Instant enrolled_at{};
    std::optional<Instant> revoked_at;
};

// A test-database session. Active while ended_at is empty and now < ends_at.
struct SessionRecord {
    std::int64_t id = 0;
    std::string trainee_no;
    std::string card_hash;  // empty when started by trainee number
    Instant started_at{};
    Instant ends_at{};
    std::optional<Instant> ended_at;
    std::string end_reason;       // "ended", "expired", "staff"
    std::string override_by;      // staff id when a staff override granted it
    std::string override_reason;  // with the refusal codes it overrode
    bool active_at(Instant now) const { return !ended_at && now < ends_at; }
};

// A read of a store held open across several calls (a decision's): they see one committed state
// and take the store's read lock once. Ends when destroyed.
class ReadHold {
public:
    virtual ~ReadHold() = default;
};

class Mirror {
public:
    virtual ~Mirror() = default;
    // Holds one read across the calls that follow until the hold is destroyed; nullptr when the
    // store has nothing to hold (each call then reads on its own, as it would anyway).
    virtual std::unique_ptr<ReadHold> hold_read() { return nullptr; }
    // *out = nullopt when the trainee number is not in the mirror. false on a read error.
    virtual bool find_trainee(std::string_view trainee_no, std::optional<Trainee>* out,
                              std::string* err) = 0;
    // *out = nullopt when no snapshot was ever applied.
    virtual bool feed_state(std::optional<FeedState>* out, std::string* err) = 0;
};

class LocalState {
public:
    virtual ~LocalState() = default;
    virtual bool find_binding(std::string_view card_hash, std::optional<CardBinding>* out,
                              std::string* err) = 0;
    // Sessions active at `now` (ended_at empty, ends_at > now).
    virtual bool active_sessions(Instant now, std::vector<SessionRecord>* out,
                                 std::string* err) = 0;
    // Has this trainee ever had a test-database session before `now`? (TR-9)
    virtual bool had_session(std::string_view trainee_no, Instant now, bool* out,
                             std::string* err) = 0;
    virtual bool revisions(std::vector<Revision>* out, std::string* err) = 0;
    // Starts rec (sets rec.id) unless the trainee already has an open session (TR-5): one still
    // running is refused (TR-5), one past its end must first be closed with close_expired().
    // Touches no other trainee's sessions.
    virtual bool start_session(SessionRecord& rec, Instant now, std::string* err) = 0;
    // Ends a running session; an unknown, ended or expired one is an error and nothing changes.
    virtual bool end_session(std::int64_t id, Instant now, std::string reason,
                             std::string* err) = 0;
    // Closes this trainee's open sessions whose ends_at <= now as "expired" (ended_at = ends_at)
    // and returns them in *closed, so that the caller audits each in the same transaction.
    virtual bool close_expired(std::string_view trainee_no, Instant now,
                               std::vector<SessionRecord>* closed, std::string* err) = 0;
    // Moves the end of a running session from `old_ends_at` to `new_ends_at` (an extension):
    // only when the session is not ended, still ends at old_ends_at (compare-and-set: a second
    // extension or an end meanwhile makes this fail) and old_ends_at > now. Otherwise an error
    // and nothing changes. A store that cannot move an end keeps this default and refuses.
    virtual bool extend_session(std::int64_t id, Instant old_ends_at, Instant new_ends_at,
                                Instant now, std::string* err) {
        (void)id, (void)old_ends_at, (void)new_ends_at, (void)now;
        *err = "this session store cannot extend a session";
        return false;
    }
    // Queues a trainee for a staff briefing (TR-9); no-op when already queued or briefed.
    virtual bool mark_briefing_needed(std::string_view trainee_no, Instant now,
                                      std::string* err) = 0;
};

// One audited event. `detail` is a JSON object text. Never holds names or raw card UIDs.
struct AuditEvent {
    Instant at{};
    std::string kind;         // "decision", "session.start", "sync.applied", "sync.rejected", ...
    std::string actor;        // "kioskctl", a reader name, "staff:ID"
    std::string trainee_no;   // may be empty
    std::string card_prefix;  // card_hash_prefix(), may be empty
    std::string outcome;      // "grant", "deny", "ok", "rejected", ...
    std::string detail = "{}";
};

struct AuditReceipt {
    std::int64_t seq = 0;
    std::string row_hash;  // hex
};

// h2 (issue 9 item 5): the highest snapshot the trail records as applied ("sync.applied"): kept
// outside the mirror, it is the floor below which a mirror or a snapshot is a rollback.
struct AppliedSnapshot {
    std::int64_t sequence = 0;
    Instant generated_at{};
    std::int64_t audit_seq = 0;  // the audit row that recorded it
    Instant applied_at{};
};

class AuditTrail {
public:
    virtual ~AuditTrail() = default;
    // Appends durably: returns true only after the row's COMMIT returned (inside transact():
    // the row commits with the transaction; its receipt is valid once transact returned true).
    virtual bool append(const AuditEvent& e, AuditReceipt* out, std::string* err) = 0;
    // h2: the applied snapshot with the highest sequence; nullopt when none was ever applied.
    // A trail that records no syncs (an in-memory one in a test) has none: the default says so.
    // db::AuditStore answers from its "sync.applied" rows.
    virtual bool highest_applied_snapshot(std::optional<AppliedSnapshot>* out, std::string*) {
        out->reset();
        return true;
    }

    // All-or-nothing: runs `work` in one write transaction of the store that holds this trail
    // and the kiosk's local state (kiosk.db). Every append() and every LocalState write made
    // inside `work` joins it, and they commit together when `work` returns true — or none of
    // them stays: `work` returned false (its *err is returned) or threw, or the commit failed
    // (full disk, read-only file, the process killed before COMMIT). The write lock is taken
    // before `work` runs, so what it reads stays true until it commits (check and claim in one
    // transaction; concurrent callers wait their turn). True only after COMMIT returned. A
    // transact() inside `work` joins the outer one. Example (kiosk/gatekeeper.cpp):
    //     audit.transact([&](std::string* e) {
    //         return local.end_session(id, now, "ended", e) && audit.append(event, &rc, e);
    //     }, &err);
    // A trail that cannot share a transaction with the local state (a test double that only
    // appends) keeps this default: it refuses, so nothing is ever changed unaudited.
    virtual bool transact(const std::function<bool(std::string* err)>& work, std::string* err) {
        (void)work;
        *err = "this audit trail cannot commit a change together with its audit row";
        return false;
    }
};

}  // namespace kiosk
