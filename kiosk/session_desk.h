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
};

// The ticket as JSON for `kioskctl session start --json` and the screen:
// {"backend", "valid_until"} plus, for postgres, "host", "port", "database", "role", "password".
std::string gate_ticket_json(const GateTicket& t);

}  // namespace kiosk
