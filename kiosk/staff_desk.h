// StaffDesk: what staff do at the kiosk (product.md section 1, "Staff"; issue 11), as one pure
// service over ports, for the kiosk's staff screens and for tests alike: sign in with a staff card
// and PIN (with lockout), override a refused tap, end any session, enrol and revoke cards, the TR-9
// briefing queue, the records summary with "sync now", the latest audit events and whether the
// chain verifies, and a trainee look-up in plain words.
//
// Every action is audited with the actor "staff:ID" and returns a StaffOutcome: ok, or a refusal
// code with one plain sentence saying what is wrong and what to do. Fail-secure: when a store
// cannot be read or the audit row cannot be written, the action is refused (FAULT).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/card_id.h"
#include "kiosk/config.h"
#include "kiosk/gatekeeper.h"
#include "kiosk/ports.h"
#include "kiosk/session_gate.h"
#include "kiosk/staff_pin.h"

namespace kiosk {

class SessionDesk;

// ---- Ports (the staff-facing part of local state and the audit trail) -----------------------

// A staff member as stored: the card hash (never the UID) and the PIN hash (never the PIN).
struct StaffAccount {
    std::string id;
    std::string name;
    std::string card_hash;
    std::string pin_hash;
    int failed_attempts = 0;
    std::optional<Instant> locked_until;
    bool operator==(const StaffAccount&) const = default;
};

struct BriefingItem {
    std::string trainee_no;
    Instant needed_since{};
};

// One stored audit row, as the staff screen shows it.
struct AuditEntry {
    std::int64_t seq = 0;
    AuditEvent event;
    std::string row_hash;
};

struct AuditChainState {
    bool ok = false;
    std::int64_t rows = 0;
    std::string problem;  // empty when ok
};

class StaffRecords {
public:
    virtual ~StaffRecords() = default;
    // nullopt when no staff member has this card.
    virtual bool find_staff_by_card(std::string_view card_hash, std::optional<StaffAccount>* out,
                                    std::string* err) = 0;
    // Compare-and-set of one PIN attempt: writes `after`'s failed_attempts, locked_until and
    // pin_hash only if the stored row still equals `before` in those three; *applied says whether
    // it did (false: another attempt came first; the caller reads again and retries).
    virtual bool update_staff_attempt(const StaffAccount& before, const StaffAccount& after,
                                      bool* applied, std::string* err) = 0;
    // TR-5: refuses a card actively bound to any trainee number.
    virtual bool enroll(std::string_view card_hash, std::string_view trainee_no, Instant now,
                        std::string* err) = 0;
    virtual bool unenroll(std::string_view card_hash, Instant now, std::string* err) = 0;
    virtual bool briefing_queue(std::vector<BriefingItem>* out, std::string* err) = 0;
    virtual bool mark_briefed(std::string_view trainee_no, std::string_view staff_id, Instant now,
                              std::string* err) = 0;
    // Newest first.
    virtual bool latest_audit(int n, std::vector<AuditEntry>* out, std::string* err) = 0;
    virtual bool latest_audit_of_kind(std::string_view kind, std::optional<AuditEntry>* out,
                                      std::string* err) = 0;
    virtual bool verify_audit(AuditChainState* out, std::string* err) = 0;
};

// ---- Outcomes ------------------------------------------------------------------------------

enum class StaffIssue {
    None,
    PinMalformed,        // not 6–12 digits (not counted as an attempt: it can never be right)
    PinWrong,            // counted; the message says how many tries are left
    StaffLocked,         // too many wrong PINs: locked until a time
    NotStaffCard,        // a trainee card (or an unknown card) where a staff card is expected
    StaffCardGiven,      // a staff card where a trainee card is expected
    NotSignedIn,         // the staff member is gone (removed) since signing in
    NothingToOverride,   // no refused tap to override
    UnknownCard,         // CARD_UNKNOWN can never be overridden: enrol the card first
    CardRevoked,         // CARD_REVOKED can never be overridden: enrol a new card
    AlreadyInSession,    // TR-5 holds even for staff
    ReasonMissing,       // an override needs a reason
    ReasonInvalid,       // not one of the listed reasons, too long, or control characters
    DurationOutOfRange,  // 1..staff.override_max_minutes
    TraineeNoMalformed,
    TraineeUnknown,       // not in the mirror: cannot enrol
    CardBoundElsewhere,   // TR-5: the card is bound to another trainee number
    CardAlreadyEnrolled,  // bound to this same trainee number already
    CardNotEnrolled,      // nothing to revoke
    SessionNotActive,     // unknown, already ended or expired (another staff action came first)
    NotQueued,            // briefed: the trainee is not in the briefing queue
    SyncFailed,
    Fault,  // a store could not be read or the audit row could not be written
};
std::string_view staff_issue_name(StaffIssue i);  // e.g. "PIN_WRONG"

struct StaffOutcome {
    StaffIssue issue = StaffIssue::None;
    std::string message;  // one plain English sentence (the screen shows its own translation)
    AuditReceipt audit;   // the action's audit row
    bool ok() const { return issue == StaffIssue::None; }
};

// Who is signed in. Handed back to every staff action; the actions re-check nothing of the PIN.
struct StaffSignIn {
    std::string staff_id;
    std::string name;
    std::string card_hash;
    Instant at{};
    std::string actor() const { return "staff:" + staff_id; }
};

struct SignInResult {
    StaffOutcome outcome;
    std::optional<StaffSignIn> staff;     // set on success
    int tries_left = 0;                   // after a wrong PIN
    std::optional<Instant> locked_until;  // when locked
    bool rehashed = false;                // the PIN hash was upgraded to the configured cost
};

enum class CardRole { Unknown, Trainee, RevokedTrainee, Staff };

struct OverrideRequest {
    std::optional<CardUid> card;  // the refused tap's card, or
    std::string trainee_no;       // the trainee number (look-up)
    std::string reason_choice;    // one of staff.override_reasons, or empty
    std::string reason_text;      // typed, or empty
    int minutes = 0;              // 0: the configured sessions.minutes, capped at the maximum
};

struct OverrideResult {
    StaffOutcome outcome;
    TapResult tap;                        // the decision made at the override and its session
    std::vector<std::string> overridden;  // the refusal codes set aside, e.g. "COURSE_MISSING"
    std::string reason;                   // the recorded reason
    int minutes = 0;
    std::optional<GateTicket> ticket;  // what the test database's gate opened (with a SessionDesk)
};

struct RecordsSummary {
    std::optional<FeedState> feed;  // nullopt: no snapshot applied yet
    double age_hours = 0;
    std::string state;  // "fresh", "aging", "stale", "empty"
    std::optional<Instant> last_sync_at;
    std::optional<Instant> last_error_at;
    std::string last_error;  // the newest sync.rejected reason when newer than the last applied
};

// "Sync now": where a sync started from the staff panel is, and how it ended.
struct SyncStatus {
    enum class State { Idle, Running, Applied, Failed };
    State state = State::Idle;
    std::uint64_t run = 0;      // counts the syncs started here (0: none yet)
    std::uint64_t version = 0;  // counts every change: a newer status replaces an older one
    std::string staff_id;       // who started it
    Instant started_at{};
    std::string phase;  // running: "starting", "downloading", "verifying", "reading", ...
    std::int64_t rows = 0;
    // Applied: the sequence went from -> to, the rows read, the trainees added / changed /
    // removed. Failed: `error` is the clear reason (no source configured, signature bad, older
    // snapshot, another sync first).
    std::int64_t sequence_from = 0, sequence_to = 0;
    std::int64_t trainees_added = 0, trainees_changed = 0, trainees_removed = 0;
    std::string error;
    bool running() const { return state == State::Running; }
    bool operator==(const SyncStatus&) const = default;
};
std::string_view sync_state_name(SyncStatus::State s);  // "idle", "running", "applied", "failed"

// The port "sync now" runs through: the same sync as `kioskctl sync` from the configured source,
// on a thread of its own (decisions go on meanwhile). Its result is audited by the sync itself
// ("sync.applied" / "sync.rejected", actor = the staff member).
class RecordsSync {
public:
    virtual ~RecordsSync() = default;
    // Starts a sync for `who`; false + *refusal (one line) when none can start: no source is
    // configured, or a sync started here is still running.
    virtual bool start(const StaffSignIn& who, Instant now, std::string* refusal) = 0;
    virtual SyncStatus status() const = 0;
};

struct AuditView {
    std::vector<AuditEntry> latest;  // newest first
    AuditChainState chain;
};

// One certificate of a looked-up trainee, in plain words.
struct CertificateLine {
    Certificate certificate;
    bool counts = false;
    std::string why;  // "counts", or why it does not (with the rule)
};

struct TraineeLookup {
    StaffOutcome outcome;
    TapResult tap;  // the decision (audited with the staff actor)
    std::vector<CertificateLine> certificates;
    std::vector<std::string> explanation;  // one plain sentence per reason and notice
};

// ---- The service ---------------------------------------------------------------------------

class StaffDesk {
public:
    StaffDesk(Gatekeeper& gatekeeper, Mirror& mirror, LocalState& local, AuditTrail& audit,
              StaffRecords& records, const SiteSecret& pepper, StaffConfig config,
              int session_minutes, Policy policy);

    const StaffConfig& config() const { return config_; }

    // The SessionDesk that opens and closes the test database (the kiosk program sets it): with
    // it an override's session and a staff end go through its gate, audited with their cause;
    // without it (tests of the rules alone) through the Gatekeeper directly.
    void set_session_desk(SessionDesk* desk) { sessions_ = desk; }

    // What a tapped card is. false + *err on a read error.
    bool card_role(const CardUid& card, CardRole* out, std::string* err);

    // A staff card and a PIN. Audited: "staff.signin" with outcome ok / wrong / locked /
    // lockout (the attempt that locked the card) / malformed / not_staff.
    SignInResult sign_in(const CardUid& card, std::string_view pin, Instant now,
                         std::string_view where);

    // Starts a session for a refused tap despite the rules. Never over CARD_UNKNOWN, CARD_REVOKED,
    // ALREADY_IN_SESSION (TR-5) or KIOSK_FAULT. The session.start row carries the staff id, the
    // trainee number, the overridden codes, the reason and the duration.
    OverrideResult override_refusal(const StaffSignIn& who, const OverrideRequest& req,
                                    Instant now);
    // The reason an override would record, or an issue (for the screen's "OK" button).
    StaffOutcome check_override_reason(const OverrideRequest& req, std::string* reason) const;

    bool active_sessions(Instant now, std::vector<SessionRecord>* out, std::string* err);
    StaffOutcome end_session(const StaffSignIn& who, std::int64_t session_id, Instant now);

    StaffOutcome enroll(const StaffSignIn& who, const CardUid& card, std::string_view trainee_no,
                        Instant now);
    StaffOutcome revoke(const StaffSignIn& who, const CardUid& card, Instant now);

    bool briefing_queue(std::vector<BriefingItem>* out, std::string* err);
    StaffOutcome briefed(const StaffSignIn& who, std::string_view trainee_no, Instant now);

    bool records(Instant now, RecordsSummary* out, std::string* err);
    // Starts "sync now" through `sync` (nullptr: not available here). Audited "staff.sync"
    // (started / refused) with the staff id; the sync's own rows follow when it ends.
    StaffOutcome sync_now(const StaffSignIn& who, RecordsSync* sync, Instant now);

    bool audit_view(int n, AuditView* out, std::string* err);

    TraineeLookup look_up(const StaffSignIn& who, std::string_view trainee_no, Instant now);

private:
    StaffOutcome audited(StaffIssue issue, std::string message, AuditEvent e);
    // `change` (a write to the kiosk's records) and its audit row `e` in one
    // AuditTrail::transact(): both commit or neither does. *change_failed says which part failed.
    StaffOutcome change_audited(const std::function<bool(std::string*)>& change, StaffIssue issue,
                                std::string message, AuditEvent e, std::string_view what,
                                bool* change_failed = nullptr);
    bool still_staff(const StaffSignIn& who, StaffOutcome* refusal);

    Gatekeeper& gatekeeper_;
    SessionDesk* sessions_ = nullptr;
    Mirror& mirror_;
    LocalState& local_;
    AuditTrail& audit_;
    StaffRecords& records_;
    SiteSecret pepper_;
    StaffConfig config_;
    int session_minutes_;
    Policy policy_;
};

// Plain English for a decision's finding (the staff look-up and kioskctl).
std::string finding_sentence(const Finding& f);

}  // namespace kiosk
