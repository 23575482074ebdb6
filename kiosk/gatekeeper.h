// Gatekeeper: the one path from "this card / trainee number, now" to an audited Decision, used by
// the screen, the card-reader loop and kioskctl alike. It gathers the inputs of decide() from the
// stores, and returns a decision only after its audit row has committed. Fail-secure: when a store
// cannot be read or the audit row cannot be written, the answer is a refusal (KIOSK_FAULT).
// Each call is one AuditTrail::transact(): the decision is made under the write lock, and its
// audit row and effect (a session, its end) commit together or not at all — so two starts at
// once are decided one after the other (seats, TR-5), and what is audited is what was shown.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kiosk/card_id.h"
#include "kiosk/ports.h"
#include "kiosk/rules.h"

namespace kiosk {

struct TapResult {
    Decision decision;
    std::optional<Trainee> trainee;        // the mirror's record, for the screen (name)
    std::optional<SessionRecord> session;  // the trainee's running session, or the one started
    std::string card_hash;                 // empty when decided by trainee number
    std::string fault;                     // what failed, when decision has KIOSK_FAULT
    std::string warning;                   // a side effect that failed without changing the answer
    AuditReceipt audit;                    // the committed audit row of this decision
};

class Gatekeeper {
public:
    Gatekeeper(Mirror& mirror, LocalState& local, AuditTrail& audit, const SiteSecret& secret,
               Policy policy);

    // A card tap: the card's binding names the trainee. `actor` is the reader name or "kioskctl".
    TapResult decide_card(const CardUid& uid, Instant now, std::string_view actor);
    // A decision by trainee number (staff look-up, `kioskctl decide --trainee`).
    TapResult decide_trainee(std::string_view trainee_no, Instant now, std::string_view actor);

    // Decides for the card and, when granted, starts a session of `minutes` (audited as
    // "session.start"). A staff override passes `override_by` and `override_reason`: the session
    // starts although the rules refused, and the refusal codes are recorded with it.
    struct StartRequest {
        std::optional<CardUid> card;
        std::string trainee_no;  // used when card is empty
        int minutes = 120;
        std::string override_by;
        std::string override_reason;
        // Called once the rules allow the start and before the session is written (SessionDesk
        // opens the test-database gate here). false refuses the start: *code names the refusal
        // (ALREADY_IN_SESSION, NO_SEAT) or stays empty for a fault; *err says what failed.
        std::function<bool(const SessionRecord&, std::optional<Code>* code, std::string* err)>
            before_start;
    };
    TapResult start_session(const StartRequest& req, Instant now, std::string_view actor);

    // "May this running session go on?" — the fresh decision of an extension. The card's
    // decision is made by the same rules as a start, under the write lock, except that the
    // session `session_id` itself is not counted when it is the card's trainee's: it is no second
    // session of its trainee (TR-5) and it already holds its seat (so NO_SEAT means more sessions
    // than seats run beside it). Its audit row commits together with what `effect` does inside
    // the same transaction (SessionDesk moves the session's end there); `effect` returning false
    // rolls all of it back and the answer is a refusal (KIOSK_FAULT), audited on its own.
    // r.session is the session asking to go on, when it is the card's trainee's and running.
    using ContinueEffect = std::function<bool(TapResult& r, std::string* err)>;
    TapResult decide_continuation(const CardUid& card, std::int64_t session_id, Instant now,
                                  std::string_view actor, const ContinueEffect& effect);

    // Ends a session (audited as "session.end", in one transaction). false + *err when unknown,
    // already ended or expired; nothing changes then.
    bool end_session(std::int64_t id, Instant now, std::string_view actor, std::string reason,
                     std::string* err);

    const SiteSecret& secret() const { return secret_; }

private:
    // Runs inside the decision's transaction after its audit row: false + *err rolls back all.
    using Effect = std::function<bool(TapResult&, std::string*)>;
    // `continuing`: the id of a running session of this trainee that asks to go on (not counted).
    TapResult evaluate(CardState card, std::string trainee_no, std::string card_hash, Instant now,
                       std::int64_t continuing = 0);
    TapResult evaluate_card(const std::string& hash, Instant now, std::int64_t continuing = 0);
    // `refusal`: when set after a failed effect, the answer (and its audit row) is a refusal
    // with that code instead of KIOSK_FAULT.
    TapResult decide_audited(const std::function<TapResult()>& evaluate_now, Instant now,
                             std::string_view actor, const Effect& effect,
                             const std::optional<Code>* refusal = nullptr);
    static AuditEvent decision_event(const TapResult& r, Instant now, std::string_view actor);
    static AuditEvent session_end_event(const SessionRecord& s, Instant at, std::string_view actor);

    Mirror& mirror_;
    LocalState& local_;
    AuditTrail& audit_;
    SiteSecret secret_;
    Policy policy_;
};

}  // namespace kiosk
