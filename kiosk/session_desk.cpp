// SessionDesk: decision → gate → session record → audit, and the sweeps that close sessions at
// their time or after a restart (see session_desk.h).
#include "kiosk/session_desk.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace kiosk {

using json = nlohmann::json;

std::string_view end_cause_name(EndCause c) {
    switch (c) {
        case EndCause::Expired:
            return "expired";
        case EndCause::EndedByTrainee:
            return "trainee";
        case EndCause::EndedByStaff:
            return "staff";
        case EndCause::KioskRestart:
            return "restart";
        case EndCause::GateFailure:
            return "gate-failure";
    }
    return "unknown";
}

std::optional<EndCause> end_cause_from_name(std::string_view name) {
    for (auto c : {EndCause::Expired, EndCause::EndedByTrainee, EndCause::EndedByStaff,
                   EndCause::KioskRestart, EndCause::GateFailure})
        if (end_cause_name(c) == name) return c;
    return std::nullopt;
}

std::string gate_ticket_json(const GateTicket& t) {
    json j{{"backend", t.backend}, {"valid_until", format_instant(t.valid_until)}};
    if (t.backend == "postgres") {
        j["host"] = t.host;
        j["port"] = t.port;
        j["database"] = t.database;
        j["role"] = t.role;
        j["password"] = t.password;
    }
    return j.dump();
}

namespace {

std::string_view refusal_name(GateRefusal r) {
    switch (r) {
        case GateRefusal::None:
            return "none";
        case GateRefusal::AlreadyInSession:
            return "ALREADY_IN_SESSION";
        case GateRefusal::NoSeat:
            return "NO_SEAT";
        case GateRefusal::Unavailable:
            return "unavailable";
    }
    return "unknown";
}

GateSession gate_session(const SessionRecord& s) {
    return {s.id, s.trainee_no, s.started_at, s.ends_at};
}

}  // namespace

SessionDesk::SessionDesk(Gatekeeper& gatekeeper, LocalState& local, AuditTrail& audit,
                         SessionGate& gate)
    : gatekeeper_(gatekeeper), local_(local), audit_(audit), gate_(gate) {}

bool SessionDesk::audit(AuditEvent e, std::string* err) {
    AuditReceipt receipt;
    std::string why;
    if (audit_.append(e, &receipt, &why)) return true;
    if (err) *err = "audit: " + why;
    return false;
}

bool SessionDesk::open_sessions(std::vector<SessionRecord>* out, std::string* err) {
    // Every session not yet marked ended, including those whose time is up (ends_at > epoch).
    return local_.active_sessions(Instant{}, out, err);
}

SessionStart SessionDesk::start(Gatekeeper::StartRequest req, Instant now, std::string_view actor) {
    SessionStart out;
    bool opened = false;
    GateSession gs;
    GateOpened go;
    req.before_start = [&](const SessionRecord& s, std::optional<Code>* code, std::string* err) {
        gs = gate_session(s);
        go = gate_.open(gs, now);
        if (go.ok) {
            opened = true;
            return true;
        }
        if (go.refusal == GateRefusal::AlreadyInSession) *code = Code::AlreadyInSession;
        if (go.refusal == GateRefusal::NoSeat) *code = Code::NoSeat;
        *err = "test database: " + go.error;
        return false;
    };
    out.tap = gatekeeper_.start_session(req, now, actor);
    const std::string trainee = out.tap.decision.trainee_no;
    const std::string prefix = card_hash_prefix(out.tap.card_hash);

    if (!opened && !go.ok && !go.error.empty()) {
        // The gate refused or failed: nothing was recorded, no seat is held. The decision is
        // already in the audit; this row says what the gate answered.
        out.unavailable = go.refusal == GateRefusal::Unavailable;
        out.gate_error = go.error;
        std::string err;
        if (!audit({now, "gate.open", std::string(actor), trainee, prefix,
                    out.unavailable ? "failed" : "refused",
                    json{{"backend", gate_.backend()},
                         {"refusal", refusal_name(go.refusal)},
                         {"cause", end_cause_name(EndCause::GateFailure)},
                         {"error", go.error}}
                        .dump()},
                   &err))
            out.tap.fault += (out.tap.fault.empty() ? "" : "; ") + err;
        return out;
    }
    if (!opened) return out;  // refused by the rules before the gate was asked

    bool recorded = out.tap.session && out.tap.session->id > 0 &&
                    !out.tap.decision.has_reason(Code::KioskFault);
    std::string err;
    if (recorded) {
        gs.id = out.tap.session->id;
        if (audit({now, "gate.open", std::string(actor), trainee, prefix, "ok",
                   json{{"session", gs.id},
                        {"backend", go.ticket.backend},
                        {"role", go.ticket.role},
                        {"valid_until", format_instant(go.ticket.valid_until)}}
                       .dump()},
                  &err)) {
            out.ticket = go.ticket;
            return out;
        }
        // The open may not stand unaudited: end the session again.
        out.tap.fault += (out.tap.fault.empty() ? "" : "; ") + err;
        std::string ignored;
        local_.end_session(gs.id, now, std::string(end_cause_name(EndCause::GateFailure)),
                           &ignored);
    }
    // The gate opened but the session could not be recorded (or audited): close the gate again.
    out.tap.decision.granted = false;
    if (!out.tap.decision.has_reason(Code::KioskFault))
        out.tap.decision.reasons.push_back({Code::KioskFault, std::nullopt, {}});
    out.tap.session.reset();
    std::string close_err;
    bool closed = gate_.close(gs, EndCause::GateFailure, now, &close_err);
    json detail{{"backend", gate_.backend()},
                {"cause", end_cause_name(EndCause::GateFailure)},
                {"error", out.tap.fault}};
    if (!closed) detail["close_error"] = close_err;
    audit({now, "gate.close", std::string(actor), trainee, prefix, closed ? "ok" : "failed",
           detail.dump()},
          nullptr);
    out.gate_error = closed ? "" : close_err;
    return out;
}

bool SessionDesk::end(std::int64_t id, EndCause cause, Instant now, std::string_view actor,
                      std::string* err) {
    std::vector<SessionRecord> open;
    if (!open_sessions(&open, err)) return false;
    auto it = std::find_if(open.begin(), open.end(), [&](auto& s) { return s.id == id; });
    if (it == open.end()) {
        *err = fmt::format("there is no open session #{}", id);
        return false;
    }
    SessionRecord s = *it;
    if (s.ends_at <= now &&
        (cause == EndCause::EndedByTrainee || cause == EndCause::EndedByStaff)) {
        // Its time ran out before this end: it is closed as expired by the sweep (expire_due),
        // not recorded as ended by a person at a time after its end.
        *err = fmt::format(
            "session #{} already ended at {} (expired); the expiry sweep closes it (kioskctl "
            "session expire)",
            id, format_instant(s.ends_at));
        return false;
    }
    std::string gate_err;
    bool gate_closed = gate_.close(gate_session(s), cause, now, &gate_err);

    json detail{{"session", id},
                {"reason", end_cause_name(cause)},
                {"cause", end_cause_name(cause)},
                {"backend", gate_.backend()},
                {"ends_at", format_instant(s.ends_at)}};
    if (!gate_closed) detail["gate_error"] = gate_err;
    // The end and its audit row commit together (AuditTrail::transact): a session is never
    // marked ended unaudited, nor audited as ended while it still holds its seat.
    std::string tx_err;
    bool ok = audit_.transact(
        [&](std::string* why) {
            std::vector<SessionRecord> now_open;
            if (!open_sessions(&now_open, why)) return false;
            if (std::none_of(now_open.begin(), now_open.end(), [&](auto& x) { return x.id == id; }))
                return true;  // ended meanwhile by another kiosk or kioskctl, which audited it
            if (s.ends_at <= now) {
                // Past its time: the store closes it as expired at its end time.
                std::vector<SessionRecord> closed;
                if (!local_.close_expired(s.trainee_no, now, &closed, why)) return false;
                for (auto& c : closed) {
                    json d = detail;
                    d["session"] = c.id;
                    d["ends_at"] = format_instant(c.ends_at);
                    if (c.id != id) d["reason"] = d["cause"] = end_cause_name(EndCause::Expired);
                    AuditReceipt rc;
                    if (!audit_.append({now, "session.end", std::string(actor), c.trainee_no,
                                        card_hash_prefix(c.card_hash),
                                        gate_closed ? "ok" : "gate-failed", d.dump()},
                                       &rc, why))
                        return false;
                }
                return true;
            }
            if (!local_.end_session(id, now, std::string(end_cause_name(cause)), why)) return false;
            AuditReceipt rc;
            return audit_.append(
                {now, "session.end", std::string(actor), s.trainee_no,
                 card_hash_prefix(s.card_hash), gate_closed ? "ok" : "gate-failed", detail.dump()},
                &rc, why);
        },
        &tx_err);
    if (!ok) {
        *err = fmt::format("session #{} could not be ended (nothing changed): {}", id, tx_err);
        return false;
    }
    if (!gate_closed) {
        *err = fmt::format(
            "session #{} ended here, but the test database did not confirm the close: {} (the next "
            "sweep retries)",
            id, gate_err);
        return false;
    }
    return true;
}

ExtensionLimits extension_limits_for(int session_minutes, int extend_minutes) {
    if (extend_minutes <= 0) return {};
    return {extend_minutes, std::min(24 * 60, session_minutes + 2 * extend_minutes)};
}

std::string_view extend_problem_name(ExtendProblem p) {
    switch (p) {
        case ExtendProblem::None:
            return "none";
        case ExtendProblem::NoSession:
            return "no_session";
        case ExtendProblem::NotYours:
            return "not_yours";
        case ExtendProblem::Ended:
            return "ended";
        case ExtendProblem::Off:
            return "off";
        case ExtendProblem::Minutes:
            return "minutes";
        case ExtendProblem::LongestTotal:
            return "longest_total";
        case ExtendProblem::Unavailable:
            return "unavailable";
        case ExtendProblem::Failed:
            return "failed";
    }
    return "failed";
}

SessionExtension SessionDesk::extend(std::int64_t id, const CardUid& card, int minutes, Instant now,
                                     std::string_view actor) {
    SessionExtension out;
    std::optional<SessionRecord> asked;  // the session, as it was when the decision was made
    bool gate_moved = false;
    std::string gate_err;
    // Everything below runs inside the decision's transaction (Gatekeeper::decide_continuation):
    // what it reads stays true until it commits, and false rolls back the decision row too.
    auto effect = [&](TapResult& r, std::string* err) {
        out.error.clear();
        asked.reset();
        std::vector<SessionRecord> open;
        if (!open_sessions(&open, err)) return false;
        auto it = std::find_if(open.begin(), open.end(), [&](auto& s) { return s.id == id; });
        if (it != open.end()) asked = *it;
        const int total = asked ? static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(
                                                       asked->ends_at - asked->started_at)
                                                       .count()) +
                                      minutes
                                : 0;
        out.problem = ExtendProblem::None;
        if (!asked) {
            out.problem = ExtendProblem::NoSession;
            out.error = fmt::format("there is no open session #{}", id);
        } else if (r.decision.trainee_no.empty() || asked->trainee_no != r.decision.trainee_no) {
            out.problem = ExtendProblem::NotYours;
            out.error = fmt::format("session #{} is not the session of this card's trainee", id);
        } else if (asked->ends_at <= now) {
            out.problem = ExtendProblem::Ended;
            out.error = fmt::format("session #{} already ended at {}: it cannot be extended", id,
                                    format_instant(asked->ends_at));
        } else if (limits_.extend_minutes <= 0) {
            out.problem = ExtendProblem::Off;
            out.error = "this site does not extend sessions (sessions.extend_minutes = 0)";
        } else if (minutes < 1 || minutes > limits_.extend_minutes) {
            out.problem = ExtendProblem::Minutes;
            out.error = fmt::format("an extension is 1..{} minutes, not {}", limits_.extend_minutes,
                                    minutes);
        } else if (total > limits_.max_total_minutes) {
            out.problem = ExtendProblem::LongestTotal;
            out.error =
                fmt::format("session #{} has reached its longest time: {} minutes in all at most",
                            id, limits_.max_total_minutes);
        }
        json detail{{"session", id}, {"minutes", minutes}, {"decision", r.audit.seq}};
        if (asked) detail["ends_at"] = format_instant(asked->ends_at);
        const std::string prefix = card_hash_prefix(r.card_hash);
        AuditReceipt rc;
        if (!out.error.empty() || !r.decision.granted) {
            // Refused: nothing changes; the refusal (its error, or the decision's codes) is
            // audited with the decision.
            if (!out.error.empty())
                detail["error"] = out.error;
            else
                detail["reasons"] = json::parse(decision_json(r.decision))["reasons"];
            if (!audit_.append({now, "session.extend", std::string(actor), r.decision.trainee_no,
                                prefix, "refused", detail.dump()},
                               &rc, err)) {
                *err = "audit: " + *err;
                return false;
            }
            return true;
        }
        const SessionRecord& s = *asked;
        out.old_ends_at = s.ends_at;
        out.new_ends_at = s.ends_at + std::chrono::minutes(minutes);
        // The gate first: when it cannot move the end, nothing here changes either.
        if (!gate_.extend(gate_session(s), out.new_ends_at, now, &gate_err)) {
            out.unavailable = true;
            *err = "test database: " + gate_err;
            return false;
        }
        gate_moved = true;
        if (!local_.extend_session(id, s.ends_at, out.new_ends_at, now, err)) return false;
        detail["old_ends_at"] = format_instant(s.ends_at);
        detail["new_ends_at"] = format_instant(out.new_ends_at);
        detail["ends_at"] = format_instant(out.new_ends_at);
        detail["backend"] = gate_.backend();
        detail["notices"] = json::parse(decision_json(r.decision))["notices"];
        if (!s.override_by.empty()) detail["started_by_override"] = s.override_by;
        if (!audit_.append({now, "session.extended", std::string(actor), s.trainee_no, prefix, "ok",
                            detail.dump()},
                           &rc, err)) {
            *err = "audit: " + *err;
            return false;
        }
        out.extended = true;
        return true;
    };
    bool effect_ok = false;
    out.tap = gatekeeper_.decide_continuation(
        card, id, now, actor,
        [&](TapResult& r, std::string* err) { return effect_ok = effect(r, err); });
    if (out.extended && !out.tap.decision.has_reason(Code::KioskFault)) {
        if (out.tap.session) out.tap.session->ends_at = out.new_ends_at;
        return out;
    }
    out.extended = false;
    if (effect_ok && !gate_moved) return out;  // refused (audited with its decision)
    // A failure rolled everything back (the Gatekeeper audits the decision as KIOSK_FAULT): put
    // the gate's end back and audit what failed.
    out.error = out.unavailable ? std::string(kGateUnavailableMessage)
                                : "the session could not be extended: " + out.tap.fault;
    out.problem = out.unavailable ? ExtendProblem::Unavailable : ExtendProblem::Failed;
    json detail{{"session", id},
                {"minutes", minutes},
                {"backend", gate_.backend()},
                {"error", out.tap.fault}};
    if (gate_moved && asked) {
        GateSession moved = gate_session(*asked);
        moved.ends_at = out.new_ends_at;
        std::string restore_err;
        bool restored = gate_.extend(moved, asked->ends_at, now, &restore_err);
        detail["gate_restored"] = restored;
        if (!restored) detail["restore_error"] = restore_err;
    }
    std::string ignored;
    audit({now, "session.extend", std::string(actor), out.tap.decision.trainee_no,
           card_hash_prefix(out.tap.card_hash), "failed", detail.dump()},
          &ignored);
    return out;
}

bool SessionDesk::sweep(Instant now, bool restart, std::string_view actor, SweepReport* report,
                        std::string* err) {
    std::vector<SessionRecord> open;
    if (!open_sessions(&open, err)) return false;
    std::vector<GateSession> still_open;
    std::string problems;
    for (auto& s : open) {
        std::optional<EndCause> cause;
        if (s.ends_at <= now)
            cause = EndCause::Expired;
        else if (restart && !gate_.survives_restart())
            cause = EndCause::KioskRestart;
        if (!cause) {
            still_open.push_back(gate_session(s));
            continue;
        }
        std::string e;
        if (end(s.id, *cause, now, actor, &e)) {
            report->closed++;
            report->lines.push_back(fmt::format("session #{} of {} closed ({})", s.id, s.trainee_no,
                                                end_cause_name(*cause)));
        } else {
            problems += (problems.empty() ? "" : "; ") + e;
        }
    }
    std::vector<GateClosure> closed;
    std::vector<std::int64_t> lost;
    std::string gate_err;
    if (!gate_.recover(now, still_open, &closed, &lost, &gate_err)) {
        problems += (problems.empty() ? "" : "; ") + ("test database: " + gate_err);
    }
    for (auto& c : closed) {
        report->closed++;
        report->lines.push_back(fmt::format(
            "{} access of {} closed ({}{})", gate_.backend(), c.trainee_no, end_cause_name(c.cause),
            c.kiosk_id.empty() ? "" : ", opened by kiosk " + c.kiosk_id));
        std::string e;
        if (!audit({now, "gate.close", std::string(actor), c.trainee_no, "", "ok",
                    json{{"backend", gate_.backend()},
                         {"cause", end_cause_name(c.cause)},
                         {"role", c.role},
                         {"kiosk", c.kiosk_id},
                         {"ends_at", format_instant(c.ends_at)}}
                        .dump()},
                   &e))
            problems += (problems.empty() ? "" : "; ") + e;
    }
    for (auto id : lost) {
        // The gate no longer holds it (closed by another kiosk, or lost on the server).
        std::string e;
        if (end(id, EndCause::GateFailure, now, actor, &e)) {
            report->closed++;
            report->lines.push_back(
                fmt::format("session #{} closed (gate-failure: the gate no longer held it)", id));
        } else {
            problems += (problems.empty() ? "" : "; ") + e;
        }
    }
    if (!problems.empty()) {
        *err = problems;
        return false;
    }
    return true;
}

bool SessionDesk::expire_due(Instant now, std::string_view actor, SweepReport* report,
                             std::string* err) {
    return sweep(now, false, actor, report, err);
}

bool SessionDesk::recover(Instant now, std::string_view actor, SweepReport* report,
                          std::string* err) {
    if (sweep(now, true, actor, report, err)) return true;
    std::string ignored;
    audit({now, "gate.recover", std::string(actor), "", "", "failed",
           json{{"backend", gate_.backend()}, {"error", *err}}.dump()},
          &ignored);
    return false;
}

}  // namespace kiosk
