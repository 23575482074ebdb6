// The record-rollback and clock checks (see trust_checks.h).
#include "kiosk/trust_checks.h"

#include <fmt/format.h>

namespace kiosk {

std::optional<std::string> mirror_rollback_fault(const std::optional<FeedState>& mirror,
                                                 const std::optional<AppliedSnapshot>& floor) {
    if (!floor) return std::nullopt;
    const std::int64_t have = mirror ? mirror->sequence : 0;
    if (have >= floor->sequence) return std::nullopt;
    return fmt::format(
        "the mirror holds {} but snapshot sequence {} (generated {}) was applied on {} (audit row "
        "{}): mirror.db was replaced by an older or new copy; run kioskctl sync with the records "
        "office's current snapshot (sequence {} or newer) to restore it",
        mirror ? fmt::format("snapshot sequence {}", have) : std::string("no snapshot"),
        floor->sequence, format_instant(floor->generated_at), format_instant(floor->applied_at),
        floor->audit_seq, floor->sequence);
}

std::optional<std::string> clock_fault(Instant now, std::optional<Instant> snapshot_generated_at,
                                       std::optional<Instant> newest_audit_at) {
    auto behind = [&](Instant seen, const char* what) -> std::optional<std::string> {
        if (now + kMaxClockBehind >= seen) return std::nullopt;
        return fmt::format(
            "the clock is wrong: it says {}, more than 1 hour before {} ({}); set the system "
            "clock (timedatectl) — until then decisions are refused and syncs rejected",
            format_instant(now), what, format_instant(seen));
    };
    if (snapshot_generated_at)
        if (auto f = behind(*snapshot_generated_at, "the snapshot the mirror holds was generated"))
            return f;
    if (newest_audit_at)
        if (auto f = behind(*newest_audit_at, "the latest audit row was written")) return f;
    return std::nullopt;
}

}  // namespace kiosk
