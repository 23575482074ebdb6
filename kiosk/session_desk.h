// SessionDesk: the one place that starts and ends test-database sessions, for the kiosk program
// and kioskctl alike. It joins the Gatekeeper's decision (and its local session record) to the
// SessionGate (the workspace or the PostgreSQL gate) and audits every open and close with its
// cause. A gate that fails to open leaves no session and no seat: the start is refused, the trainee
// sees kGateUnavailableMessage and the audit keeps the decision and what failed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/gatekeeper.h"
#include "kiosk/session_gate.h"

namespace kiosk {

struct SessionStart {
    TapResult tap;                     // the decision (audited) and, when started, the session
    std::optional<GateTicket> ticket;  // what the trainee is shown, when started
    bool unavailable = false;          // the gate failed: the screen shows kGateUnavailableMessage
    std::string gate_error;            // what failed (for staff and the audit, not the trainee)
    bool started() const { return ticket.has_value(); }
};

// How far a session may be extended ([sessions] extend_minutes; 0 = off). An extension adds
// 1..extend_minutes minutes, and a session never lasts longer in all than max_total_minutes
// from its start (extension_limits_for() below: minutes + 2 x extend_minutes, at most 1440).
struct ExtensionLimits {
    int extend_minutes = 0;
    int max_total_minutes = 0;
};
ExtensionLimits extension_limits_for(int session_minutes, int extend_minutes);

// Why an extension did not happen when the rules did not refuse it: a stable kind for the screen
// (ui/ maps each to a sentence in the trainee's language; SessionExtension::error is for logs,
// staff and the audit, never shown to a trainee).
enum class ExtendProblem {
    None,          // extended, or refused by the rules (the decision's reasons say why)
    NoSession,     // no such open session (it ended meanwhile)
    NotYours,      // the session is not this card's trainee's
    Ended,         // the session's end has passed
    Off,           // this site does not extend sessions (extend_minutes = 0)
    Minutes,       // the minutes asked are outside 1..extend_minutes
    LongestTotal,  // one more would pass the longest total time
    Unavailable,   // the test database's gate could not move the end
    Failed,        // the store or the audit failed: nothing changed
};
std::string_view extend_problem_name(ExtendProblem p);  // "longest_total", ... (logs, traces)

// The outcome of SessionDesk::extend.
struct SessionExtension {
    TapResult tap;  // the fresh decision (audited); its refusal reasons say why when refused
    bool extended = false;
    Instant old_ends_at{};
    Instant new_ends_at{};  // when extended
    // Why nothing was extended when the rules did not refuse (no such open session, not the
    // card's, past its end, beyond the limit, the store or the gate failed). Empty otherwise.
    std::string error;
    ExtendProblem problem = ExtendProblem::None;  // the kind of `error` (None when it is empty)
    bool unavailable = false;                     // the gate failed (problem == Unavailable)
    bool refused_by_rules() const { return !extended && error.empty(); }
};

// What a sweep (recover, expire_due) closed, one line each, for logs and kioskctl.
struct SweepReport {
    std::vector<std::string> lines;
    int closed = 0;
};

class SessionDesk {
public:
    SessionDesk(Gatekeeper& gatekeeper, LocalState& local, AuditTrail& audit, SessionGate& gate);

    // Decides (audited) and, when the rules allow it, opens the gate and records the session.
    // req.before_start is the desk's own; any value passed in is replaced.
    SessionStart start(Gatekeeper::StartRequest req, Instant now, std::string_view actor);

    // Ends an open session: the gate first (access ends), then the record and its audit row.
    // false + *err when there is no such open session, or when the gate could not confirm the
    // close (the session is ended here all the same, and the gate's leftovers are closed by the
    // next sweep; the server's own VALID UNTIL still ends a PostgreSQL login at its time).
    bool end(std::int64_t id, EndCause cause, Instant now, std::string_view actor,
             std::string* err);

    // Extends running session `id` by `minutes`, for the trainee of `card` (the card that
    // started it), in one audited transaction: the session must be open, be that card's
    // trainee's and not be past its end; the total stays within the limits; and a FRESH decision
    // (Gatekeeper::decide_continuation: the rules, revocations and seats as they are now) must
    // grant it — a session a staff override started goes on only after such a grant. Then the
    // gate's end moves first (PostgreSQL: the role's VALID UNTIL), then the record's ends_at, with
    // a "session.extended" audit row (old and new end, minutes, the decision's audit row). A
    // refusal changes nothing and is audited ("session.extend", outcome "refused", its codes or
    // its error). When the gate or the store fails nothing changes: the gate's end is put back.
    SessionExtension extend(std::int64_t id, const CardUid& card, int minutes, Instant now,
                            std::string_view actor);
    void set_extension_limits(ExtensionLimits limits) { limits_ = limits; }
    const ExtensionLimits& extension_limits() const { return limits_; }

    // Periodic: closes sessions whose time is up (here and, through the gate, any kiosk's), and
    // the gate's leftovers. Call it every few seconds while the kiosk runs.
    bool expire_due(Instant now, std::string_view actor, SweepReport* report, std::string* err);

    // At start-up: as expire_due, and also closes (cause "restart") the sessions a restart ends:
    // all open ones when the gate does not survive a restart (the workspace). A failure is audited.
    bool recover(Instant now, std::string_view actor, SweepReport* report, std::string* err);

    SessionGate& gate() { return gate_; }

private:
    bool sweep(Instant now, bool restart, std::string_view actor, SweepReport* report,
               std::string* err);
    bool open_sessions(std::vector<SessionRecord>* out, std::string* err);
    bool audit(AuditEvent e, std::string* err);

    Gatekeeper& gatekeeper_;
    LocalState& local_;
    AuditTrail& audit_;
    SessionGate& gate_;
    ExtensionLimits limits_;  // extensions are off until set
};

// The ticket as JSON for `kioskctl session start --json` and the screen:
// {"backend", "valid_until"} plus, for postgres, "host", "port", "database", "role", "password".
std::string gate_ticket_json(const GateTicket& t);

}  // namespace kiosk
