// A Decision and its findings (product.md section 4): grant or deny, with reasons and notices,
// each carrying a fixed code, the course it concerns and the rules it comes from.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/domain.h"

namespace kiosk {

enum class Code {
    // reasons
    CardUnknown,
    CardRevoked,
    TraineeUnknown,
    CourseMissing,
    CertLost,
    CertNotObtained,
    CertRevoked,
    RetakeRequired,
    OrderViolation,
    AlreadyInSession,
    MirrorStale,
    NoSeat,
    KioskFault,  // fail-secure: a store could not be read or the audit row could not be written
    // notices
    RetakeAdvised,
    BriefingNeeded,
    MirrorAging,
};

std::string_view code_name(Code c);  // e.g. "ORDER_VIOLATION"
std::optional<Code> code_from_name(std::string_view name);

struct Finding {
    Code code;
    std::optional<Course> course;    // the course it concerns, or none
    std::vector<std::string> rules;  // e.g. {"TR-2"}; empty for site policy (seats, mirror age)
    bool operator==(const Finding&) const = default;
};

struct Decision {
    bool granted = false;
    std::string trainee_no;  // empty when the card is unknown
    std::vector<Finding> reasons;
    std::vector<Finding> notices;

    bool has_reason(Code c) const;
    bool has_notice(Code c) const;
};

// {"decision": "grant"|"deny", "trainee_no": ..., "reasons": [...], "notices": [...]}
std::string decision_json(const Decision& d, int indent = -1);

}  // namespace kiosk
