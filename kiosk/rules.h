// The eligibility rules TR-1…TR-10 (training-rules.md) as one pure function. The screen, the card
// reader path and `kioskctl decide` all reach a decision through decide() — never a second copy.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "kiosk/decision.h"
#include "kiosk/domain.h"
#include "kiosk/time.h"

namespace kiosk {

// What the card's binding says (local state). A lookup by trainee number counts as Active.
enum class CardState { Unknown, Active, Revoked };

// The site's own policy (training-rules.md, "left to the onsite center").
struct Policy {
    double max_age_hours = 48;   // mirror older than this: MIRROR_STALE
    double warn_age_hours = 26;  // older than this: MIRROR_AGING
    int seats = 4;               // concurrent test-database sessions
};

// Everything decide() reads. Pointers are borrowed for the call.
struct DecisionInput {
    CardState card = CardState::Active;
    std::string trainee_no;                      // from the binding or given directly
    const Trainee* trainee = nullptr;            // the mirror's record; null when not in the mirror
    std::optional<Instant> mirror_generated_at;  // null when no snapshot was ever applied
    bool has_active_session = false;             // TR-5
    bool had_earlier_session = false;            // TR-9
    int sessions_in_use = 0;                     // seats taken now
    std::span<const Revision> revisions;         // TR-6/TR-7, oldest first
    Policy policy;
    Instant now{};
};

// The one decision function. Pure: same input, same Decision.
Decision decide(const DecisionInput& in);

// Does this certificate count for this person? (TR-3, TR-4 status, TR-8, TR-6/7; not "newest")
// Exposed for the sync report and tests.
bool excluded_by_revision(const Certificate& c, const Trainee& t, std::span<const Revision> revs,
                          const Revision** which = nullptr);

}  // namespace kiosk
