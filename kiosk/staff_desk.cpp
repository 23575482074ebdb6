// The staff service (see staff_desk.h). Contents: names and sentences; sign-in; override;
// sessions; cards; briefings; records and sync; audit; look-up.
#include "kiosk/staff_desk.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "kiosk/session_desk.h"

namespace kiosk {
namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<StaffIssue, std::string_view>, 23> kIssueNames{{
    {StaffIssue::None, "OK"},
    {StaffIssue::PinMalformed, "PIN_MALFORMED"},
    {StaffIssue::PinWrong, "PIN_WRONG"},
    {StaffIssue::StaffLocked, "STAFF_LOCKED"},
    {StaffIssue::NotStaffCard, "NOT_STAFF_CARD"},
    {StaffIssue::StaffCardGiven, "STAFF_CARD_GIVEN"},
    {StaffIssue::NotSignedIn, "NOT_SIGNED_IN"},
    {StaffIssue::NothingToOverride, "NOTHING_TO_OVERRIDE"},
    {StaffIssue::UnknownCard, "CARD_UNKNOWN"},
    {StaffIssue::CardRevoked, "CARD_REVOKED"},
    {StaffIssue::AlreadyInSession, "ALREADY_IN_SESSION"},
    {StaffIssue::ReasonMissing, "REASON_MISSING"},
    {StaffIssue::ReasonInvalid, "REASON_INVALID"},
    {StaffIssue::DurationOutOfRange, "DURATION_OUT_OF_RANGE"},
    {StaffIssue::TraineeNoMalformed, "TRAINEE_NO_MALFORMED"},
    {StaffIssue::TraineeUnknown, "TRAINEE_UNKNOWN"},
    {StaffIssue::CardBoundElsewhere, "CARD_BOUND_ELSEWHERE"},
    {StaffIssue::CardAlreadyEnrolled, "CARD_ALREADY_ENROLLED"},
    {StaffIssue::CardNotEnrolled, "CARD_NOT_ENROLLED"},
    {StaffIssue::SessionNotActive, "SESSION_NOT_ACTIVE"},
    {StaffIssue::NotQueued, "NOT_QUEUED"},
    {StaffIssue::SyncFailed, "SYNC_FAILED"},
    {StaffIssue::Fault, "FAULT"},
}};

StaffOutcome refusal(StaffIssue i, std::string message) { return {i, std::move(message), {}}; }

// Japan time HH:MM for messages.
std::string clock_time(Instant t) { return format_instant(t).substr(11, 5); }

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

}  // namespace

std::string_view staff_issue_name(StaffIssue i) {
    for (auto& [k, v] : kIssueNames)
        if (k == i) return v;
    return "UNKNOWN";
}

std::string finding_sentence(const Finding& f) {
    std::string course =
        f.course ? (*f.course == Course::Overview          ? "the Overview course"
                    : *f.course == Course::SystemOperation ? "the System-operation course"
                                                           : "a course")
                 : "a course";
    std::string rules;
    for (auto& r : f.rules) rules += (rules.empty() ? "" : ", ") + r;
    std::string s;
    switch (f.code) {
        case Code::CardUnknown:
            s = "This card is not registered: enrol it first";
            break;
        case Code::CardRevoked:
            s = "This card was revoked: enrol a new card";
            break;
        case Code::TraineeUnknown:
            s = "The trainee number is not in the training records";
            break;
        case Code::CourseMissing:
            s = fmt::format("No certificate of {} that counts", course);
            break;
        case Code::CertLost:
            s = fmt::format("The certificate of {} was reported lost: retake the course", course);
            break;
        case Code::CertNotObtained:
            s = fmt::format("The certificate of {} was not obtained: retake the course", course);
            break;
        case Code::CertRevoked:
            s = fmt::format("The certificate of {} was revoked: retake the course", course);
            break;
        case Code::RetakeRequired:
            s = fmt::format("The certificate of {} predates the 2024 revision: retake it", course);
            break;
        case Code::OrderViolation:
            s = "The System-operation course was taken before the Overview course";
            break;
        case Code::AlreadyInSession:
            s = "This trainee already holds a running session";
            break;
        case Code::MirrorStale:
            s = "The training records are out of date: sync them";
            break;
        case Code::NoSeat:
            s = "All seats are taken";
            break;
        case Code::KioskFault:
            s = "The kiosk could not read its records or write its audit";
            break;
        case Code::RetakeAdvised:
            s = "Please retake the courses where possible";
            break;
        case Code::BriefingNeeded:
            s = "A first session: give a briefing";
            break;
        case Code::MirrorAging:
            s = "The training records are getting old";
            break;
    }
    return rules.empty() ? s : fmt::format("{} ({})", s, rules);
}

StaffDesk::StaffDesk(Gatekeeper& gatekeeper, Mirror& mirror, LocalState& local, AuditTrail& audit,
                     StaffRecords& records, const SiteSecret& pepper, StaffConfig config,
                     int session_minutes, Policy policy)
    : gatekeeper_(gatekeeper),
      mirror_(mirror),
      local_(local),
      audit_(audit),
      records_(records),
      pepper_(pepper),
      config_(std::move(config)),
      session_minutes_(session_minutes),
      policy_(policy) {}

// Appends `e`; the outcome is `issue`/`message` once the row is committed, FAULT otherwise.
StaffOutcome StaffDesk::audited(StaffIssue issue, std::string message, AuditEvent e) {
    StaffOutcome o{issue, std::move(message), {}};
    std::string err;
    if (!audit_.append(e, &o.audit, &err))
        return refusal(StaffIssue::Fault, "The audit trail cannot be written: " + err);
    return o;
}

StaffOutcome StaffDesk::change_audited(const std::function<bool(std::string*)>& change,
                                       StaffIssue issue, std::string message, AuditEvent e,
                                       std::string_view what, bool* change_failed) {
    StaffOutcome o{issue, std::move(message), {}};
    bool failed_change = false;
    std::string err;
    bool ok = audit_.transact(
        [&](std::string* why) {
            if (!change(why)) {
                failed_change = true;
                return false;
            }
            return audit_.append(e, &o.audit, why);
        },
        &err);
    if (change_failed) *change_failed = failed_change;
    if (ok) return o;
    if (failed_change) return refusal(StaffIssue::Fault, fmt::format("{}: {}", what, err));
    return refusal(StaffIssue::Fault,
                   "The audit trail cannot be written (nothing was changed): " + err);
}

// The signed-in staff member must still exist with the same card (a removal takes effect at once).
bool StaffDesk::still_staff(const StaffSignIn& who, StaffOutcome* out) {
    std::optional<StaffAccount> a;
    std::string err;
    if (!records_.find_staff_by_card(who.card_hash, &a, &err)) {
        *out = refusal(StaffIssue::Fault, "Cannot read the staff records: " + err);
        return false;
    }
    if (!a || a->id != who.staff_id) {
        *out = refusal(StaffIssue::NotSignedIn,
                       "This staff member is no longer registered: sign in again");
        return false;
    }
    return true;
}

bool StaffDesk::card_role(const CardUid& card, CardRole* out, std::string* err) {
    std::string hash = card_hash(pepper_, card);
    std::optional<StaffAccount> staff;
    if (!records_.find_staff_by_card(hash, &staff, err)) return false;
    if (staff) {
        *out = CardRole::Staff;
        return true;
    }
    std::optional<CardBinding> b;
    if (!local_.find_binding(hash, &b, err)) return false;
    *out = !b ? CardRole::Unknown : b->revoked ? CardRole::RevokedTrainee : CardRole::Trainee;
    return true;
}

// ---- Sign-in ---------------------------------------------------------------------------------

SignInResult StaffDesk::sign_in(const CardUid& card, std::string_view pin, Instant now,
                                std::string_view where) {
    SignInResult r;
    std::string hash = card_hash(pepper_, card), err;
    AuditEvent e;
    e.at = now;
    e.kind = "staff.signin";
    e.actor = std::string(where);
    e.card_prefix = card_hash_prefix(hash);
    const PinHashCost cost{static_cast<unsigned long long>(config_.pin_hash_passes),
                           static_cast<std::size_t>(config_.pin_hash_memory_mib) << 20};
    // A concurrent attempt on the same card (another kiosk) makes the compare-and-set fail: read
    // again and decide again, so every attempt is counted exactly once.
    for (int round = 0; round < 20; ++round) {
        std::optional<StaffAccount> acct;
        if (!records_.find_staff_by_card(hash, &acct, &err)) {
            r.outcome = refusal(StaffIssue::Fault, "Cannot read the staff records: " + err);
            return r;
        }
        if (!acct) {
            CardRole role = CardRole::Unknown;
            std::string ignored;
            card_role(card, &role, &ignored);
            e.outcome = "not_staff";
            bool trainee = role == CardRole::Trainee || role == CardRole::RevokedTrainee;
            e.detail = json{{"card", trainee ? "trainee" : "unknown"}}.dump();
            r.outcome = audited(StaffIssue::NotStaffCard,
                                trainee ? "This is a trainee card: tap a staff card to sign in"
                                        : "This card is not a staff card",
                                e);
            return r;
        }
        json detail{{"staff", acct->id}};
        if (acct->locked_until && now < *acct->locked_until) {
            e.outcome = "locked";
            detail["locked_until"] = format_instant(*acct->locked_until);
            e.detail = detail.dump();
            r.locked_until = acct->locked_until;
            r.outcome =
                audited(StaffIssue::StaffLocked,
                        fmt::format("This staff card is locked after {} wrong PINs until {}",
                                    config_.max_failed_pins, clock_time(*acct->locked_until)),
                        e);
            return r;
        }
        if (std::string p = pin_problem(pin); !p.empty()) {
            // Never right, so not counted; audited all the same.
            e.outcome = "malformed";
            e.detail = detail.dump();
            r.tries_left =
                config_.max_failed_pins - (acct->locked_until ? 0 : acct->failed_attempts);
            r.outcome =
                audited(StaffIssue::PinMalformed,
                        fmt::format("A PIN is {} to {} digits", kPinMinDigits, kPinMaxDigits), e);
            return r;
        }
        int failed = acct->locked_until ? 0 : acct->failed_attempts;  // a run-out lock: fresh count
        PinCheck check = check_pin(pepper_, pin, acct->pin_hash, cost);
        StaffAccount after = *acct;
        after.locked_until.reset();
        if (check == PinCheck::Wrong) {
            after.failed_attempts = failed + 1;
            if (after.failed_attempts >= config_.max_failed_pins)
                after.locked_until = now + std::chrono::minutes(config_.lockout_minutes);
        } else {
            after.failed_attempts = 0;
            if (check == PinCheck::RightNeedsRehash) {
                std::string rehashed;
                if (hash_pin(pepper_, pin, cost, &rehashed, &err)) {
                    after.pin_hash = rehashed;
                    r.rehashed = true;
                }  // else: keep the old hash; signing in does not depend on the upgrade
            }
        }
        // The attempt and its audit row commit together: a wrong PIN is never counted
        // unaudited, nor audited uncounted.
        detail["failed_attempts"] = after.failed_attempts;
        StaffIssue issue = StaffIssue::None;
        std::string message;
        if (check == PinCheck::Wrong) {
            r.tries_left = std::max(0, config_.max_failed_pins - after.failed_attempts);
            if (after.locked_until) {
                e.outcome = "lockout";
                detail["locked_until"] = format_instant(*after.locked_until);
                r.locked_until = after.locked_until;
                issue = StaffIssue::StaffLocked;
                message = fmt::format("Wrong PIN: {} wrong PINs lock this staff card until {}",
                                      config_.max_failed_pins, clock_time(*after.locked_until));
            } else {
                e.outcome = "wrong";
                issue = StaffIssue::PinWrong;
                message = fmt::format("Wrong PIN: {} {} left", r.tries_left,
                                      r.tries_left == 1 ? "try" : "tries");
            }
        } else {
            e.outcome = "ok";
            if (r.rehashed) detail["rehashed"] = true;
            message = fmt::format("Signed in as {}", acct->name);
        }
        e.detail = detail.dump();
        bool collided = false;  // another kiosk's attempt on this card came first
        r.outcome = change_audited(
            [&](std::string* why) {
                bool applied = false;
                if (!records_.update_staff_attempt(*acct, after, &applied, why)) return false;
                if (!applied) {
                    collided = true;
                    *why = "the staff card's row changed meanwhile";
                }
                return applied;
            },
            issue, std::move(message), e, "Cannot record the PIN attempt");
        if (collided) {  // rolled back: read again and decide again
            r.locked_until.reset();
            r.tries_left = 0;
            continue;
        }
        if (r.outcome.ok()) r.staff = StaffSignIn{acct->id, acct->name, hash, now};
        return r;
    }
    r.outcome = refusal(StaffIssue::Fault, "The PIN attempt kept colliding with others: try again");
    return r;
}

// ---- Override --------------------------------------------------------------------------------

StaffOutcome StaffDesk::check_override_reason(const OverrideRequest& req,
                                              std::string* reason) const {
    if (req.reason_choice.empty() && req.reason_text.empty())
        return refusal(StaffIssue::ReasonMissing,
                       "An override needs a reason: pick one from the list or type one");
    if (!req.reason_choice.empty() &&
        std::find(config_.override_reasons.begin(), config_.override_reasons.end(),
                  req.reason_choice) == config_.override_reasons.end())
        return refusal(StaffIssue::ReasonInvalid, "That reason is not in the configured list");
    if (req.reason_text.size() > 200 || has_control(req.reason_text))
        return refusal(StaffIssue::ReasonInvalid,
                       "A typed reason is one line of at most 200 bytes");
    std::string text = req.reason_text;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    while (!text.empty() && text.front() == ' ') text.erase(0, 1);
    if (req.reason_choice.empty() && text.empty())
        return refusal(StaffIssue::ReasonMissing,
                       "An override needs a reason: pick one from the list or type one");
    *reason = req.reason_choice.empty() ? text
              : text.empty()            ? req.reason_choice
                                        : req.reason_choice + ": " + text;
    return {};
}

OverrideResult StaffDesk::override_refusal(const StaffSignIn& who, const OverrideRequest& req,
                                           Instant now) {
    OverrideResult r;
    AuditEvent e;
    e.at = now;
    e.kind = "staff.override";
    e.actor = who.actor();
    e.trainee_no = req.trainee_no;
    e.outcome = "refused";
    auto refuse = [&](StaffIssue i, std::string msg) {
        e.detail = json{{"staff", who.staff_id}, {"refused", staff_issue_name(i)}}.dump();
        r.outcome = audited(i, std::move(msg), e);
        return r;
    };
    if (!still_staff(who, &r.outcome)) return r;
    if (!req.card && req.trainee_no.empty())
        return refuse(StaffIssue::NothingToOverride, "There is no refused tap to override");
    if (!req.card && !valid_trainee_no(req.trainee_no))
        return refuse(StaffIssue::TraineeNoMalformed,
                      "A trainee number is 1-32 of 0-9, A-Z, a-z and '-'");
    StaffOutcome reason_check = check_override_reason(req, &r.reason);
    if (!reason_check.ok()) return refuse(reason_check.issue, reason_check.message);
    r.minutes =
        req.minutes == 0 ? std::min(session_minutes_, config_.override_max_minutes) : req.minutes;
    if (r.minutes < 1 || r.minutes > config_.override_max_minutes)
        return refuse(
            StaffIssue::DurationOutOfRange,
            fmt::format("An override lasts 1 to {} minutes", config_.override_max_minutes));
    if (req.card) {
        CardRole role = CardRole::Unknown;
        std::string err;
        if (!card_role(*req.card, &role, &err)) {
            r.outcome = refusal(StaffIssue::Fault, "Cannot read the card records: " + err);
            return r;
        }
        if (role == CardRole::Staff)
            return refuse(StaffIssue::StaffCardGiven,
                          "This is a staff card: a staff card never starts a trainee session");
    }
    Gatekeeper::StartRequest start;
    start.card = req.card;
    start.trainee_no = req.trainee_no;
    start.minutes = r.minutes;
    start.override_by = who.staff_id;
    start.override_reason = r.reason;
    if (sessions_) {
        SessionStart started = sessions_->start(start, now, who.actor());
        r.tap = std::move(started.tap);
        r.ticket = std::move(started.ticket);
        if (started.unavailable) {
            r.outcome = refusal(StaffIssue::Fault,
                                fmt::format("{}: {}", kGateUnavailableMessage, started.gate_error));
            return r;
        }
    } else {
        r.tap = gatekeeper_.start_session(start, now, who.actor());
    }
    const Decision& d = r.tap.decision;
    e.trainee_no = d.trainee_no;
    e.card_prefix = card_hash_prefix(r.tap.card_hash);
    if (d.has_reason(Code::KioskFault)) {
        // Another kiosk may have started a session for this trainee between the decision and
        // the start (the store refuses a second one, TR-5): say so rather than "fault".
        std::vector<SessionRecord> active;
        std::string err;
        if (!d.trainee_no.empty() && local_.active_sessions(now, &active, &err) &&
            std::any_of(active.begin(), active.end(),
                        [&](const SessionRecord& s) { return s.trainee_no == d.trainee_no; }))
            return refuse(StaffIssue::AlreadyInSession,
                          "This trainee already holds a session: one at a time, even for staff "
                          "(TR-5)");
        r.outcome =
            refusal(StaffIssue::Fault, "The kiosk could not start the session: " + r.tap.fault);
        return r;
    }
    if (d.has_reason(Code::CardUnknown))
        return refuse(StaffIssue::UnknownCard,
                      "An unknown card cannot be overridden: enrol the card first");
    if (d.has_reason(Code::CardRevoked))
        return refuse(StaffIssue::CardRevoked,
                      "A revoked card cannot be overridden: enrol a new card first");
    if (d.has_reason(Code::AlreadyInSession))
        return refuse(StaffIssue::AlreadyInSession,
                      "This trainee already holds a session: one at a time, even for staff (TR-5)");
    if (!r.tap.session) {
        r.outcome = refusal(StaffIssue::Fault, "No session was started");
        return r;
    }
    for (auto& f : d.reasons) r.overridden.emplace_back(code_name(f.code));
    r.outcome.message = fmt::format("Session started for {} until {} (override)", d.trainee_no,
                                    clock_time(r.tap.session->ends_at));
    r.outcome.audit = r.tap.audit;
    return r;
}

// ---- Sessions --------------------------------------------------------------------------------

bool StaffDesk::active_sessions(Instant now, std::vector<SessionRecord>* out, std::string* err) {
    return local_.active_sessions(now, out, err);
}

StaffOutcome StaffDesk::end_session(const StaffSignIn& who, std::int64_t id, Instant now) {
    StaffOutcome o;
    if (!still_staff(who, &o)) return o;
    std::string err;
    const bool ended = sessions_
                           ? sessions_->end(id, EndCause::EndedByStaff, now, who.actor(), &err)
                           : gatekeeper_.end_session(id, now, who.actor(), "staff", &err);
    if (ended) {
        o.message = fmt::format("Session #{} ended", id);
        return o;
    }
    // Not ended by us: because it is not running (another kiosk or kioskctl came first), or a
    // fault.
    std::vector<SessionRecord> active;
    std::string err2;
    if (!local_.active_sessions(now, &active, &err2))
        return refusal(StaffIssue::Fault, "Cannot read the sessions: " + err2);
    bool running = std::any_of(active.begin(), active.end(),
                               [&](const SessionRecord& s) { return s.id == id; });
    if (!running)
        return refusal(StaffIssue::SessionNotActive,
                       fmt::format("Session #{} is not running any more: {}", id, err));
    return refusal(StaffIssue::Fault, fmt::format("Cannot end session #{}: {}", id, err));
}

// ---- Cards -----------------------------------------------------------------------------------

StaffOutcome StaffDesk::enroll(const StaffSignIn& who, const CardUid& card,
                               std::string_view trainee_no, Instant now) {
    StaffOutcome o;
    if (!still_staff(who, &o)) return o;
    std::string hash = card_hash(pepper_, card), err;
    AuditEvent e{
        now,       "card.enroll", who.actor(), std::string(trainee_no), card_hash_prefix(hash),
        "refused", "{}"};
    auto refuse = [&](StaffIssue i, std::string msg) {
        e.detail = json{{"staff", who.staff_id}, {"refused", staff_issue_name(i)}}.dump();
        return audited(i, std::move(msg), e);
    };
    if (!valid_trainee_no(trainee_no)) {
        e.trainee_no.clear();  // never audit what may be a name or garbage
        return refuse(StaffIssue::TraineeNoMalformed,
                      "A trainee number is 1-32 of 0-9, A-Z, a-z and '-'");
    }
    CardRole role = CardRole::Unknown;
    if (!card_role(card, &role, &err))
        return refusal(StaffIssue::Fault, "Cannot read the card records: " + err);
    if (role == CardRole::Staff)
        return refuse(StaffIssue::StaffCardGiven,
                      "This is a staff card: tap the trainee's card to enrol it");
    std::optional<CardBinding> b;
    if (!local_.find_binding(hash, &b, &err))
        return refusal(StaffIssue::Fault, "Cannot read the card records: " + err);
    if (b && !b->revoked) {
        if (b->trainee_no == trainee_no)
            return refuse(StaffIssue::CardAlreadyEnrolled,
                          fmt::format("This card is already enrolled to {}", trainee_no));
        return refuse(StaffIssue::CardBoundElsewhere,
                      "This card is bound to another trainee number: revoke it first (TR-5)");
    }
    std::optional<Trainee> t;
    if (!mirror_.find_trainee(trainee_no, &t, &err))
        return refusal(StaffIssue::Fault, "Cannot read the training records: " + err);
    if (!t)
        return refuse(
            StaffIssue::TraineeUnknown,
            fmt::format("Trainee number {} is not in the training records: check it", trainee_no));
    AuditEvent ok = e;
    ok.outcome = "ok";
    ok.detail = json{{"staff", who.staff_id}}.dump();
    bool change_failed = false;
    StaffOutcome done = change_audited(
        [&](std::string* why) { return records_.enroll(hash, trainee_no, now, why); },
        StaffIssue::None, fmt::format("Card enrolled to trainee {}", trainee_no), ok,
        "Cannot enrol the card", &change_failed);
    if (!done.ok() && change_failed) {
        // Another kiosk may have bound it in between: say so rather than "fault".
        std::optional<CardBinding> now_bound;
        std::string err2;
        if (local_.find_binding(hash, &now_bound, &err2) && now_bound && !now_bound->revoked)
            return refuse(StaffIssue::CardBoundElsewhere,
                          "This card was just bound to a trainee number: revoke it first (TR-5)");
    }
    return done;  // the binding stands only with its audit row
}

StaffOutcome StaffDesk::revoke(const StaffSignIn& who, const CardUid& card, Instant now) {
    StaffOutcome o;
    if (!still_staff(who, &o)) return o;
    std::string hash = card_hash(pepper_, card), err;
    std::optional<CardBinding> b;
    if (!local_.find_binding(hash, &b, &err))
        return refusal(StaffIssue::Fault, "Cannot read the card records: " + err);
    AuditEvent e{now,
                 "card.unenroll",
                 who.actor(),
                 b ? b->trainee_no : "",
                 card_hash_prefix(hash),
                 "refused",
                 "{}"};
    if (!b || b->revoked) {
        e.detail = json{{"staff", who.staff_id}, {"refused", "CARD_NOT_ENROLLED"}}.dump();
        return audited(StaffIssue::CardNotEnrolled, "This card is not enrolled: nothing to revoke",
                       e);
    }
    e.outcome = "ok";
    e.detail = json{{"staff", who.staff_id}}.dump();
    return change_audited([&](std::string* why) { return records_.unenroll(hash, now, why); },
                          StaffIssue::None, fmt::format("Card of {} revoked", b->trainee_no), e,
                          "Cannot revoke the card");
}

// ---- Briefings (TR-9) ------------------------------------------------------------------------

bool StaffDesk::briefing_queue(std::vector<BriefingItem>* out, std::string* err) {
    return records_.briefing_queue(out, err);
}

StaffOutcome StaffDesk::briefed(const StaffSignIn& who, std::string_view trainee_no, Instant now) {
    StaffOutcome o;
    if (!still_staff(who, &o)) return o;
    std::vector<BriefingItem> queue;
    std::string err;
    if (!records_.briefing_queue(&queue, &err))
        return refusal(StaffIssue::Fault, "Cannot read the briefing queue: " + err);
    if (std::none_of(queue.begin(), queue.end(),
                     [&](const BriefingItem& b) { return b.trainee_no == trainee_no; }))
        return refusal(StaffIssue::NotQueued,
                       fmt::format("{} is not waiting for a briefing", trainee_no));
    return change_audited(
        [&](std::string* why) { return records_.mark_briefed(trainee_no, who.staff_id, now, why); },
        StaffIssue::None, fmt::format("Briefing of {} recorded", trainee_no),
        {now, "briefing.done", who.actor(), std::string(trainee_no), "", "ok",
         json{{"staff", who.staff_id}, {"rule", "TR-9"}}.dump()},
        "Cannot record the briefing");
}

// ---- Records and sync ------------------------------------------------------------------------

bool StaffDesk::records(Instant now, RecordsSummary* out, std::string* err) {
    RecordsSummary s;
    if (!mirror_.feed_state(&s.feed, err)) return false;
    if (s.feed) {
        s.age_hours =
            std::chrono::duration<double, std::ratio<3600>>(now - s.feed->generated_at).count();
        s.state = s.age_hours > policy_.max_age_hours    ? "stale"
                  : s.age_hours > policy_.warn_age_hours ? "aging"
                                                         : "fresh";
    } else {
        s.state = "empty";
    }
    std::optional<AuditEntry> applied, rejected;
    if (!records_.latest_audit_of_kind("sync.applied", &applied, err)) return false;
    if (!records_.latest_audit_of_kind("sync.rejected", &rejected, err)) return false;
    if (applied) s.last_sync_at = applied->event.at;
    if (rejected && (!applied || rejected->seq > applied->seq)) {
        s.last_error_at = rejected->event.at;
        json x = json::parse(rejected->event.detail, nullptr, false);
        s.last_error = x.is_object() ? x.value("reason", std::string("refused")) : "refused";
    }
    *out = std::move(s);
    return true;
}

StaffOutcome StaffDesk::sync_now(const StaffSignIn& who, RecordsSync* sync, Instant now) {
    StaffOutcome o;
    if (!still_staff(who, &o)) return o;
    std::string refusal = "Sync now is not available on this kiosk";
    const bool started = sync && sync->start(who, now, &refusal);
    return audited(started ? StaffIssue::None : StaffIssue::SyncFailed,
                   started ? "Sync started" : refusal,
                   {now, "staff.sync", who.actor(), "", "", started ? "started" : "refused",
                    started ? json{{"staff", who.staff_id}}.dump()
                            : json{{"staff", who.staff_id}, {"reason", refusal}}.dump(
                                  -1, ' ', false, json::error_handler_t::replace)});
}

std::string_view sync_state_name(SyncStatus::State s) {
    switch (s) {
        case SyncStatus::State::Idle:
            return "idle";
        case SyncStatus::State::Running:
            return "running";
        case SyncStatus::State::Applied:
            return "applied";
        case SyncStatus::State::Failed:
            return "failed";
    }
    return "?";
}

// ---- Audit -----------------------------------------------------------------------------------

bool StaffDesk::audit_view(int n, AuditView* out, std::string* err) {
    AuditView v;
    if (!records_.latest_audit(n, &v.latest, err)) return false;
    if (!records_.verify_audit(&v.chain, err)) return false;
    *out = std::move(v);
    return true;
}

// ---- Look-up ---------------------------------------------------------------------------------

TraineeLookup StaffDesk::look_up(const StaffSignIn& who, std::string_view trainee_no, Instant now) {
    TraineeLookup r;
    if (!still_staff(who, &r.outcome)) return r;
    if (!valid_trainee_no(trainee_no)) {
        r.outcome = refusal(StaffIssue::TraineeNoMalformed,
                            "A trainee number is 1-32 of 0-9, A-Z, a-z and '-'");
        return r;
    }
    r.tap = gatekeeper_.decide_trainee(trainee_no, now, who.actor());
    if (r.tap.decision.has_reason(Code::KioskFault)) {
        r.outcome = refusal(StaffIssue::Fault, "The kiosk could not decide: " + r.tap.fault);
        return r;
    }
    r.outcome.audit = r.tap.audit;
    r.explanation.push_back(r.tap.decision.granted ? "The rules grant a session"
                                                   : "The rules refuse a session");
    for (auto& f : r.tap.decision.reasons) r.explanation.push_back(finding_sentence(f));
    for (auto& f : r.tap.decision.notices) r.explanation.push_back(finding_sentence(f));
    if (!r.tap.trainee) {
        r.outcome.message = fmt::format("{} is not in the training records", trainee_no);
        return r;
    }
    std::vector<Revision> revisions;
    std::string err;
    if (!local_.revisions(&revisions, &err)) {
        r.outcome = refusal(StaffIssue::Fault, "Cannot read the rule revisions: " + err);
        return r;
    }
    const Trainee& t = *r.tap.trainee;
    for (auto& c : t.certificates) {
        CertificateLine line{c, false, ""};
        const Revision* rev = nullptr;
        if (c.course == Course::Other)
            line.why = fmt::format("course {} is not a required PMDA course (TR-3)", c.course_code);
        else if (c.provider != kPmda)
            line.why = fmt::format("given by {}, not by PMDA (TR-3)", c.provider);
        else if (c.status == CertificateStatus::Lost)
            line.why = "reported lost: the course must be retaken (TR-4)";
        else if (c.status == CertificateStatus::NotObtained)
            line.why = "the certificate was not obtained (TR-4)";
        else if (c.status == CertificateStatus::Revoked)
            line.why = "the certificate was revoked (TR-4)";
        else if (t.request_accepted_on && c.completed_on < *t.request_accepted_on)
            line.why = "dated before the information request was accepted (TR-8)";
        else if (excluded_by_revision(c, t, revisions, &rev))
            line.why = fmt::format(
                "issued before the {} revision: does not count for a new user "
                "({})",
                rev ? rev->id : "", rev ? rev->rule : "TR-6");
        else
            line.counts = true, line.why = "valid";
        r.certificates.push_back(std::move(line));
    }
    r.outcome.message =
        fmt::format("{}: {}", trainee_no, r.tap.decision.granted ? "would be granted" : "refused");
    return r;
}

}  // namespace kiosk
