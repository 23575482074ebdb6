// The audited decision path (see gatekeeper.h).
#include "kiosk/gatekeeper.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "kiosk/trust_checks.h"

namespace kiosk {
namespace {

void fail_secure(TapResult& r, std::string what) {
    r.decision.granted = false;
    if (!r.decision.has_reason(Code::KioskFault))
        r.decision.reasons.push_back({Code::KioskFault, std::nullopt, {}});
    if (!r.fault.empty()) r.fault += "; ";
    r.fault += what;
}

nlohmann::json codes(const std::vector<Finding>& fs) {
    auto out = nlohmann::json::array();
    for (auto& f : fs)
        out.push_back(f.course ? fmt::format("{}/{}", code_name(f.code), course_code(*f.course))
                               : std::string(code_name(f.code)));
    return out;
}

}  // namespace

Gatekeeper::Gatekeeper(Mirror& mirror, LocalState& local, AuditTrail& audit,
                       const SiteSecret& secret, Policy policy)
    : mirror_(mirror), local_(local), audit_(audit), secret_(secret), policy_(policy) {}

TapResult Gatekeeper::evaluate(CardState card, std::string trainee_no, std::string hash,
                               Instant now, std::int64_t continuing) {
    TapResult r;
    r.card_hash = std::move(hash);
    DecisionInput in;
    in.card = card;
    in.trainee_no = trainee_no;
    in.policy = policy_;
    in.now = now;
    std::string err;
    std::vector<Revision> revisions;
    std::optional<FeedState> feed;
    std::vector<SessionRecord> active;
    bool ok = true;
    // The mirror's snapshot stamp and the trainee's record are read in one read of the mirror: a
    // sync that commits between them cannot pair one snapshot's stamp with another's record.
    const auto mirror_read = mirror_.hold_read();
    if (!local_.revisions(&revisions, &err)) ok = false, fail_secure(r, err);
    if (ok && !mirror_.feed_state(&feed, &err)) ok = false, fail_secure(r, err);
    // h2 (issue 9 items 5, 11): a mirror older than the highest snapshot the trail says was
    // applied is a rollback, and a clock clearly behind the snapshot makes its age meaningless.
    if (ok) {
        std::optional<AppliedSnapshot> floor;
        if (!audit_.highest_applied_snapshot(&floor, &err)) {
            ok = false, fail_secure(r, err);
        } else if (auto f = mirror_rollback_fault(feed, floor)) {
            ok = false, fail_secure(r, *f);
        } else if (auto c = clock_fault(
                       now, feed ? std::optional<Instant>(feed->generated_at) : std::nullopt,
                       std::nullopt)) {
            ok = false, fail_secure(r, *c);
        }
    }
    if (ok && card == CardState::Active && !mirror_.find_trainee(trainee_no, &r.trainee, &err))
        ok = false, fail_secure(r, err);
    if (ok && !local_.active_sessions(now, &active, &err)) ok = false, fail_secure(r, err);
    if (ok && card == CardState::Active &&
        !local_.had_session(trainee_no, now, &in.had_earlier_session, &err))
        ok = false, fail_secure(r, err);
    if (!ok) {
        r.decision.trainee_no = card == CardState::Unknown ? "" : trainee_no;
        return r;
    }
    in.revisions = revisions;
    if (feed) in.mirror_generated_at = feed->generated_at;
    in.trainee = r.trainee ? &*r.trainee : nullptr;
    in.sessions_in_use = static_cast<int>(active.size());
    for (auto& s : active) {
        if (continuing != 0 && s.id == continuing && !trainee_no.empty() &&
            s.trainee_no == trainee_no) {
            // The session asking to go on: its own seat, and no second session (TR-5).
            --in.sessions_in_use;
            r.session = s;
            continue;
        }
        if (!trainee_no.empty() && s.trainee_no == trainee_no) {
            in.has_active_session = true;
            r.session = s;
        }
    }
    r.decision = decide(in);
    return r;
}

AuditEvent Gatekeeper::decision_event(const TapResult& r, Instant now, std::string_view actor) {
    AuditEvent e;
    e.at = now;
    e.kind = "decision";
    e.actor = std::string(actor);
    e.trainee_no = r.decision.trainee_no;
    e.card_prefix = card_hash_prefix(r.card_hash);
    e.outcome = r.decision.granted ? "grant" : "deny";
    nlohmann::json detail{{"reasons", codes(r.decision.reasons)},
                          {"notices", codes(r.decision.notices)}};
    if (!r.fault.empty()) detail["fault"] = r.fault;
    e.detail = detail.dump();
    return e;
}

TapResult Gatekeeper::decide_audited(const std::function<TapResult()>& evaluate_now, Instant now,
                                     std::string_view actor, const Effect& effect,
                                     const std::optional<Code>* refusal) {
    TapResult r;
    std::string err;
    bool ok = audit_.transact(
        [&](std::string* e) {
            r = evaluate_now();
            if (!audit_.append(decision_event(r, now, actor), &r.audit, e)) {
                *e = "audit: " + *e;
                return false;
            }
            return effect ? effect(r, e) : true;
        },
        &err);
    if (ok) return r;
    // Nothing of the attempt stayed (no decision row, no session). The answer is a refusal,
    // and that refusal is what gets audited, on its own, if the trail takes a row at all.
    TapResult f;
    f.card_hash = r.card_hash;
    f.trainee = r.trainee;
    f.decision.trainee_no = r.decision.trainee_no;
    if (refusal && *refusal) {
        f.decision.reasons.push_back({**refusal, std::nullopt,
                                      **refusal == Code::AlreadyInSession
                                          ? std::vector<std::string>{"TR-5"}
                                          : std::vector<std::string>{}});
    } else {
        fail_secure(f, err);
    }
    std::string err2;
    if (!audit_.append(decision_event(f, now, actor), &f.audit, &err2))
        fail_secure(f, "audit: " + err2);
    return f;
}

TapResult Gatekeeper::evaluate_card(const std::string& hash, Instant now, std::int64_t continuing) {
    std::optional<CardBinding> binding;
    std::string err;
    if (!local_.find_binding(hash, &binding, &err)) {
        TapResult r;
        r.card_hash = hash;
        fail_secure(r, err);
        return r;
    }
    if (!binding) return evaluate(CardState::Unknown, "", hash, now);
    return evaluate(binding->revoked ? CardState::Revoked : CardState::Active, binding->trainee_no,
                    hash, now, continuing);
}

TapResult Gatekeeper::decide_card(const CardUid& uid, Instant now, std::string_view actor) {
    std::string hash = card_hash(secret_, uid);
    return decide_audited([&] { return evaluate_card(hash, now); }, now, actor, nullptr);
}

TapResult Gatekeeper::decide_trainee(std::string_view trainee_no, Instant now,
                                     std::string_view actor) {
    std::string no(trainee_no);
    return decide_audited([&] { return evaluate(CardState::Active, no, "", now); }, now, actor,
                          nullptr);
}

TapResult Gatekeeper::decide_continuation(const CardUid& card, std::int64_t session_id, Instant now,
                                          std::string_view actor, const ContinueEffect& effect) {
    std::string hash = card_hash(secret_, card);
    return decide_audited([&] { return evaluate_card(hash, now, session_id); }, now, actor, effect);
}

TapResult Gatekeeper::start_session(const StartRequest& req, Instant now, std::string_view actor) {
    const bool override = !req.override_by.empty();
    std::string hash = req.card ? card_hash(secret_, *req.card) : "";
    SessionRecord s;
    bool started = false;
    std::optional<Code> gate_code;  // the gate refused with this code: the answer is that refusal
    // One transaction: the decision (seats and TR-5 read under the write lock), its audit row,
    // the session and its audit row commit together, or none of them does.
    Effect open = [&](TapResult& r, std::string* err) {
        if (r.decision.has_reason(Code::KioskFault)) return true;        // never over a fault
        if (r.decision.has_reason(Code::CardUnknown)) return true;       // nobody to start it for
        if (r.decision.has_reason(Code::CardRevoked)) return true;       // revoked stays revoked
        if (r.decision.has_reason(Code::AlreadyInSession)) return true;  // TR-5 holds for staff too
        if (!r.decision.granted && !override) return true;
        if (req.minutes < 1) {
            *err = fmt::format("a session of {} minutes cannot start", req.minutes);
            return false;
        }
        s = SessionRecord{};
        s.trainee_no = r.decision.trainee_no;
        s.card_hash = r.card_hash;
        s.started_at = now;
        s.ends_at = now + std::chrono::minutes(req.minutes);
        if (override) {
            s.override_by = req.override_by;
            std::string refused;
            for (auto& f : r.decision.reasons) refused += fmt::format(" {}", code_name(f.code));
            s.override_reason =
                req.override_reason + (refused.empty() ? "" : " [overrode:" + refused + "]");
        }
        // The trainee's own session past its end is closed, and audited, before the new one.
        std::vector<SessionRecord> expired;
        if (!local_.close_expired(s.trainee_no, now, &expired, err)) return false;
        AuditReceipt receipt;
        for (auto& x : expired)
            if (!audit_.append(session_end_event(x, now, actor), &receipt, err)) return false;
        if (req.before_start) {  // the session gate's claim (TR-5 across kiosks, the database)
            std::optional<Code> code;
            if (!req.before_start(s, &code, err)) {
                gate_code = code;
                return false;
            }
        }
        if (!local_.start_session(s, now, err)) return false;
        AuditEvent e;
        e.at = now;
        e.kind = "session.start";
        e.actor = std::string(actor);
        e.trainee_no = s.trainee_no;
        e.card_prefix = card_hash_prefix(s.card_hash);
        e.outcome = override ? "override" : "grant";
        e.detail = nlohmann::json{{"session", s.id},
                                  {"ends_at", format_instant(s.ends_at)},
                                  {"override_by", s.override_by},
                                  {"override_reason", s.override_reason}}
                       .dump();
        if (!audit_.append(e, &receipt, err)) return false;
        // TR-9: the briefing is queued with the session, or the session does not start.
        if (r.decision.has_notice(Code::BriefingNeeded) &&
            !local_.mark_briefing_needed(s.trainee_no, now, err))
            return false;
        started = true;
        return true;
    };
    TapResult r = decide_audited(
        [&] {
            started = false;
            return req.card ? evaluate_card(hash, now)
                            : evaluate(CardState::Active, req.trainee_no, "", now);
        },
        now, actor, open, &gate_code);
    if (started && !r.decision.has_reason(Code::KioskFault)) {
        if (override) r.decision.granted = true;
        r.session = s;
    }
    return r;
}

AuditEvent Gatekeeper::session_end_event(const SessionRecord& s, Instant at,
                                         std::string_view actor) {
    AuditEvent e;
    e.at = at;
    e.kind = "session.end";
    e.actor = std::string(actor);
    e.trainee_no = s.trainee_no;
    e.card_prefix = card_hash_prefix(s.card_hash);
    e.outcome = "ok";
    nlohmann::json detail{{"session", s.id}, {"reason", s.end_reason}};
    if (s.ended_at && *s.ended_at != at) detail["ended_at"] = format_instant(*s.ended_at);
    e.detail = detail.dump();
    return e;
}

bool Gatekeeper::end_session(std::int64_t id, Instant now, std::string_view actor,
                             std::string reason, std::string* err) {
    if (reason.empty()) reason = "ended";
    return audit_.transact(
        [&](std::string* e) {
            if (!local_.end_session(id, now, reason, e)) return false;
            SessionRecord s;
            s.id = id;
            s.end_reason = reason;
            AuditReceipt receipt;
            return audit_.append(session_end_event(s, now, actor), &receipt, e);
        },
        err);
}

}  // namespace kiosk
