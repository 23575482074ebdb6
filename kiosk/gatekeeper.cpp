// The audited decision path (see gatekeeper.h).
#include "kiosk/gatekeeper.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

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
                               Instant now) {
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
        if (!trainee_no.empty() && s.trainee_no == trainee_no) {
            in.has_active_session = true;
            r.session = s;
        }
    }
    r.decision = decide(in);
    return r;
}

void Gatekeeper::audit_decision(TapResult& r, Instant now, std::string_view actor) {
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
    std::string err;
    if (!audit_.append(e, &r.audit, &err)) fail_secure(r, "audit: " + err);
}

TapResult Gatekeeper::decide_card(const CardUid& uid, Instant now, std::string_view actor) {
    std::string hash = card_hash(secret_, uid);
    std::optional<CardBinding> binding;
    std::string err;
    TapResult r;
    if (!local_.find_binding(hash, &binding, &err)) {
        r.card_hash = hash;
        fail_secure(r, err);
    } else if (!binding) {
        r = evaluate(CardState::Unknown, "", hash, now);
    } else {
        r = evaluate(binding->revoked ? CardState::Revoked : CardState::Active, binding->trainee_no,
                     hash, now);
    }
    audit_decision(r, now, actor);
    return r;
}

TapResult Gatekeeper::decide_trainee(std::string_view trainee_no, Instant now,
                                     std::string_view actor) {
    TapResult r = evaluate(CardState::Active, std::string(trainee_no), "", now);
    audit_decision(r, now, actor);
    return r;
}

TapResult Gatekeeper::start_session(const StartRequest& req, Instant now, std::string_view actor) {
    TapResult r =
        req.card ? decide_card(*req.card, now, actor) : decide_trainee(req.trainee_no, now, actor);
    bool override = !req.override_by.empty();
    if (r.decision.has_reason(Code::KioskFault)) return r;        // never over a fault
    if (r.decision.has_reason(Code::CardUnknown)) return r;       // nobody to start it for
    if (r.decision.has_reason(Code::CardRevoked)) return r;       // a revoked binding stays revoked
    if (r.decision.has_reason(Code::AlreadyInSession)) return r;  // TR-5 holds even for staff
    if (!r.decision.granted && !override) return r;

    SessionRecord s;
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
    std::string err;
    if (req.before_start) {
        std::optional<Code> code;
        if (!req.before_start(s, &code, &err)) {
            r.decision.granted = false;
            if (code)
                r.decision.reasons.push_back({*code, std::nullopt,
                                              *code == Code::AlreadyInSession
                                                  ? std::vector<std::string>{"TR-5"}
                                                  : std::vector<std::string>{}});
            else
                fail_secure(r, err);
            return r;
        }
    }
    if (!local_.start_session(s, now, &err)) {
        fail_secure(r, err);
        return r;
    }
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
    AuditReceipt receipt;
    if (!audit_.append(e, &receipt, &err)) {
        // The session may not run unaudited: close it again at once.
        std::string ignored;
        local_.end_session(s.id, now, "audit-failed", &ignored);
        fail_secure(r, "audit: " + err);
        return r;
    }
    if (r.decision.has_notice(Code::BriefingNeeded) &&
        !local_.mark_briefing_needed(s.trainee_no, now, &err))
        r.warning = "briefing queue: " + err;  // the session stands; staff see the notice
    if (override) r.decision.granted = true;
    r.session = s;
    return r;
}

bool Gatekeeper::end_session(std::int64_t id, Instant now, std::string_view actor,
                             std::string reason, std::string* err) {
    if (!local_.end_session(id, now, reason, err)) return false;
    AuditEvent e;
    e.at = now;
    e.kind = "session.end";
    e.actor = std::string(actor);
    e.outcome = "ok";
    e.detail = nlohmann::json{{"session", id}, {"reason", reason}}.dump();
    AuditReceipt receipt;
    return audit_.append(e, &receipt, err);
}

}  // namespace kiosk
