// The kiosk's local state in kiosk.db (db/kiosk_db.h, beside the audit chain): card bindings
// (TR-5), staff with peppered Argon2id PIN hashes and lockout, test-database sessions (one active
// per trainee, TR-5), the briefing queue (TR-9) and the rule revisions (TR-7, seeded with the 2024
// revision). Never touched by a sync. Every write here runs in its own transaction, or inside the
// AuditTrail::transact() that is running on the same connection (then it commits with that one).
// Instants are stored as integer unix seconds (UTC); dates as `YYYY-MM-DD` text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/card_id.h"
#include "kiosk/ports.h"
#include "kiosk/time.h"

namespace kiosk::db {

class Database;

struct StaffMember {
    std::string id;
    std::string name;
    std::string card_hash;
    int failed_attempts = 0;
    std::optional<Instant> locked_until;
};

// The outcome of one staff PIN attempt, with what the caller needs to audit it.
struct StaffCheck {
    enum class Result { Ok, Wrong, Locked, Unknown };
    Result result = Result::Unknown;
    std::string staff_id;                 // empty when Unknown
    int failed_attempts = 0;              // consecutive wrong PINs after this attempt
    std::optional<Instant> locked_until;  // set when the card is locked (now or by this attempt)
    bool locked_now = false;              // this (wrong) attempt locked the card
};
std::string_view staff_check_code(StaffCheck::Result r);  // "ok", "wrong", "locked", "unknown"

inline constexpr size_t kMaxStaffNameChars = 100;
// Why `name` cannot be a staff name (empty when it can): 1-100 characters of valid UTF-8, no
// control characters (C0, DEL, C1), no line separators or bidirectional controls.
std::string staff_name_problem(std::string_view name);

struct BriefingEntry {
    std::string trainee_no;
    Instant needed_since{};
    std::optional<Instant> briefed_at;
    std::string briefed_by;
};

class LocalStore final : public LocalState {
public:
    static constexpr int kSchemaVersion = 3;  // kiosk.db's (KioskDb::kSchemaVersion)
    static constexpr int kMaxFailedPins = 5;
    static constexpr std::chrono::minutes kPinLockout{15};

    // Its own connection to a kiosk.db-format file at `path` (tests; DataDir shares one with the
    // AuditStore). create=true creates or migrates it; create=false opens an existing, current
    // one (refusing, without writing, a missing, uninitialised, older or newer one). Throws
    // std::runtime_error with a clear message. Staff PIN functions need the pepper (the site
    // secret): pass it here or with set_pin_pepper().
    LocalStore(const std::string& path, bool create);
    LocalStore(const std::string& path, bool create, const SiteSecret& pepper);
    // Over an open kiosk.db connection shared with the AuditStore (DataDir).
    LocalStore(std::shared_ptr<Database> db, const SiteSecret& pepper);
    ~LocalStore() override;
    void set_pin_pepper(const SiteSecret& pepper);

    // LocalState
    bool find_binding(std::string_view card_hash, std::optional<CardBinding>* out,
                      std::string* err) override;
    bool active_sessions(Instant now, std::vector<SessionRecord>* out, std::string* err) override;
    bool had_session(std::string_view trainee_no, Instant now, bool* out,
                     std::string* err) override;
    bool revisions(std::vector<Revision>* out, std::string* err) override;

    // Cards (TR-5): a card is bound to one trainee number; rebinding means unenrolling first.
    // enroll refuses a card actively bound to any trainee, and a staff card; a revoked card may
    // be enrolled again.
    // Whether the trainee number exists in the mirror is the caller's check.
    bool enroll(std::string_view card_hash, std::string_view trainee_no, Instant now,
                std::string* err);
    bool unenroll(std::string_view card_hash, Instant now, std::string* err);

    // Sessions. start_session: refuses when rec.trainee_no has an open session (a running one:
    // TR-5; one past its end: close_expired() first), inserts with started_at = now (rec.ends_at
    // must be after now) and sets rec.id. No other session is changed.
    bool start_session(SessionRecord& rec, Instant now, std::string* err) override;
    // Ends a running session; an unknown, ended or expired one is an error and changes nothing.
    bool end_session(std::int64_t id, Instant now, std::string reason, std::string* err) override;
    bool close_expired(std::string_view trainee_no, Instant now, std::vector<SessionRecord>* closed,
                       std::string* err) override;
    // Moves a running session's end (compare-and-set on old_ends_at, see LocalState).
    bool extend_session(std::int64_t id, Instant old_ends_at, Instant new_ends_at, Instant now,
                        std::string* err) override;
    // Sessions in id order; active_only: those active at `now`.
    bool list_sessions(bool active_only, Instant now, std::vector<SessionRecord>* out,
                       std::string* err);

    // Staff. Name: see staff_name_problem(). The card may not be an enrolled trainee card.
    // PIN: 4-12 digits. The hash is crypto_pwhash_str (Argon2id, INTERACTIVE) over a keyed
    // BLAKE2b of the PIN under the pepper, so the database alone does not allow a PIN search.
    bool add_staff(std::string_view id, std::string_view name, std::string_view card_hash,
                   std::string_view pin, std::string* err);
    bool remove_staff(std::string_view id, std::string* err);
    bool list_staff(std::vector<StaffMember>* out, std::string* err);
    // One PIN attempt for the staff card `card_hash`. kMaxFailedPins wrong PINs in a row lock the
    // card for kPinLockout; a locked card is refused without checking the PIN; a right PIN resets
    // the count. Returns false only on a storage error.
    bool verify_staff_pin(std::string_view card_hash, std::string_view pin, Instant now,
                          StaffCheck* out, std::string* err);

    // Briefings (TR-9). mark_briefing_needed queues a trainee (no-op when already queued or
    // briefed); mark_briefed records the briefing (queueing it first if needed); briefing_queue
    // lists the trainees still waiting, oldest first.
    bool mark_briefing_needed(std::string_view trainee_no, Instant now, std::string* err) override;
    bool mark_briefed(std::string_view trainee_no, std::string_view staff_id, Instant now,
                      std::string* err);
    bool briefing_queue(std::vector<BriefingEntry>* out, std::string* err);

    const std::string& path() const { return path_; }
    // The kiosk.db connection, shared with the AuditStore and StaffRecordsStore so that their
    // writes join one AuditTrail::transact().
    const std::shared_ptr<Database>& database() const { return db_; }

private:
    bool pin_password(std::string_view pin, std::string* password, std::string* err) const;

    std::string path_;
    std::shared_ptr<Database> db_;
    std::optional<SiteSecret> pepper_;
};

}  // namespace kiosk::db
