// Whether the kiosk can trust its records and its clock (issue 9 items 5 and 11), as pure checks
// shared by the Gatekeeper, the sync and `kioskctl status`: a mirror older than the highest
// snapshot the audit trail says was applied (an old mirror.db copied back, or re-created and fed
// an older snapshot), and a clock clearly behind the newest snapshot or the latest audit row. Each
// returns the one-line fault, naming how to recover, or nullopt when all is well.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kiosk/ports.h"
#include "kiosk/time.h"

namespace kiosk {

// How far the clock may be behind a time the kiosk has already seen (the sync's allowance for a
// snapshot from the future is the same hour): beyond it the clock is wrong, not just drifting.
inline constexpr std::chrono::hours kMaxClockBehind{1};

// The mirror (nullopt: no snapshot applied) against the highest applied snapshot on record.
std::optional<std::string> mirror_rollback_fault(const std::optional<FeedState>& mirror,
                                                 const std::optional<AppliedSnapshot>& floor);

// `now` against the mirror's snapshot time and the latest audit row's time (either may be
// unknown). A clock more than kMaxClockBehind behind either is a fault.
std::optional<std::string> clock_fault(Instant now, std::optional<Instant> snapshot_generated_at,
                                       std::optional<Instant> newest_audit_at);

}  // namespace kiosk
