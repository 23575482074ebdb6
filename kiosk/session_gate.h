// SessionGate: the core's view of the test database a session unlocks (product.md section 7).
// open() gives the trainee access until the session's end and says what to show; close() takes it
// away again; recover() closes whatever outlived its time or was left open by a crash. The built-in
// SQL workspace (db/workspace_gate.*) and the PostgreSQL gate (db/pg_gate.*) implement it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/time.h"

namespace kiosk {

// Why a session's access ends. Every close is audited with one of these.
enum class EndCause {
    Expired,         // its time ran out
    EndedByTrainee,  // the trainee pressed "end"
    EndedByStaff,    // staff ended it (staff mode, `kioskctl session end`)
    KioskRestart,    // the kiosk restarted and found it still open
    GateFailure,     // the gate failed while opening, or the session could not be recorded
};
std::string_view end_cause_name(
    EndCause c);  // "expired", "trainee", "staff", "restart", "gate-failure"
std::optional<EndCause> end_cause_from_name(std::string_view name);

// One session as the gate sees it.
struct GateSession {
    std::int64_t id = 0;  // the local session id (0 while the session is being opened)
    std::string trainee_no;
    Instant started_at{};
    Instant ends_at{};
};

// What the trainee is shown once the gate opened.
struct GateTicket {
    std::string backend;  // "workspace" or "postgres"
    // workspace: the screen offers "Start"; postgres: where and how to log in.
    std::string host;
    int port = 0;
    std::string database;
    std::string role;
    std::string password;  // one-time; shown once, never stored or audited
    Instant valid_until{};
};

// Why an open was refused. Unavailable covers every failure of the gate itself (server down, the
// gate's login refused, a missing privilege): the trainee sees kGateUnavailableMessage.
enum class GateRefusal { None, AlreadyInSession, NoSeat, Unavailable };

struct GateOpened {
    bool ok = false;
    GateTicket ticket;                        // when ok
    GateRefusal refusal = GateRefusal::None;  // when not ok
    std::string error;                        // when not ok: what failed, for staff and audit
};

// A session the gate closed on its own (recover): possibly another kiosk's.
struct GateClosure {
    std::string trainee_no;
    std::string role;      // backend's name for the trainee's access (postgres role), may be empty
    std::string kiosk_id;  // the kiosk that opened it, when the gate knows
    EndCause cause = EndCause::Expired;
    Instant ends_at{};
};

inline constexpr std::string_view kGateUnavailableMessage =
    "the test database is unavailable — please call staff";

class SessionGate {
public:
    virtual ~SessionGate() = default;
    virtual std::string_view backend() const = 0;
    // Does an open session survive a restart of the kiosk? (postgres: yes, the trainee works at
    // another terminal; workspace: no, the workspace was on this kiosk's screen.)
    virtual bool survives_restart() const = 0;
    // Gives s.trainee_no access until s.ends_at. On refusal nothing is left open or claimed.
    virtual GateOpened open(const GateSession& s, Instant now) = 0;
    // Moves the end of s's open access to `new_ends_at` (an extension, or putting the end back
    // after a failed one): the trainee keeps access until then. false + *err when the gate does
    // not hold s open or cannot move its end; the gate's end is then unchanged. A gate that
    // cannot move an end keeps this default and refuses.
    virtual bool extend(const GateSession& s, Instant new_ends_at, Instant now, std::string* err) {
        (void)s, (void)new_ends_at, (void)now;
        *err = "this test database cannot extend a session";
        return false;
    }
    // Takes the access away. Idempotent: closing what is already closed succeeds.
    virtual bool close(const GateSession& s, EndCause cause, Instant now, std::string* err) = 0;
    // Closes what outlived its end (any kiosk's), and what this kiosk opened that is not among
    // `open_here` (the sessions this kiosk still holds). *closed lists what it closed; *lost lists
    // the sessions of open_here the gate no longer holds (they cannot go on).
    virtual bool recover(Instant now, std::span<const GateSession> open_here,
                         std::vector<GateClosure>* closed, std::vector<std::int64_t>* lost,
                         std::string* err) = 0;
};

}  // namespace kiosk
