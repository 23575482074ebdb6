// The kiosk's domain: trainees, their completion certificates, and the rule revisions that decide
// which certificates count. Plain values, no storage: the mirror store and the feed importer
// produce them, the eligibility rules (rules.h) read them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/time.h"

namespace kiosk {

// The two courses PMDA requires (training-rules.md, terms). `Other` is any other course code in
// the feed: it is kept and never counts (TR-3).
enum class Course { Overview, SystemOperation, Other };

enum class CertificateStatus { Issued, Lost, NotObtained, Revoked };

// `OVERVIEW` / `SYSOP`, or the Japanese names of product.md section 3; anything else is Other.
Course course_from_feed(std::string_view code);
// `OVERVIEW` / `SYSOP` / `OTHER`.
std::string_view course_code(Course c);
// `issued` / `lost` / `not_obtained` / `revoked` or 交付 / 紛失 / 未取得 / 取消; nullopt otherwise.
std::optional<CertificateStatus> status_from_feed(std::string_view text);
std::string_view status_code(CertificateStatus s);

inline constexpr std::string_view kPmda = "PMDA";

// One row of the feed: a course record with its certificate.
struct Certificate {
    std::string certificate_no;
    Course course = Course::Other;
    std::string course_code;  // as written in the feed, kept for Other courses
    std::string provider{kPmda};
    Date completed_on{};
    CertificateStatus status = CertificateStatus::Issued;
    std::int64_t file_order = 0;  // row position in the snapshot: breaks ties of completed_on

    bool operator==(const Certificate&) const = default;
};

// A person with a trainee number (受講者番号) and all their course records.
struct Trainee {
    std::string trainee_no;
    std::string name;
    std::string affiliation;
    std::optional<Date> request_accepted_on;  // TR-8
    std::optional<Date> user_since;           // MID-NET user since (TR-6, TR-9)
    std::vector<Certificate> certificates;

    bool operator==(const Trainee&) const = default;
};

// A revision of the training rules (TR-7): revisions are data, the 2024-01-31 one is the first.
// A revision excludes a certificate dated before `effective_on` for a person whose user_since is
// empty or on/after `new_users_from`; existing users get RETAKE_ADVISED when `advise_existing`.
struct Revision {
    std::string id;  // e.g. "2024-01-31"
    Date effective_on{};
    Date new_users_from{};
    bool excludes_new_users = true;
    bool advise_existing = true;
    std::string rule;  // the rule id the revision implements, e.g. "TR-6"
};

// The 2024-01-31 revision of 薬機ＲＳ長発第19号: the seed row of the revisions table.
Revision revision_2024();

// A trainee number: 1–32 of `0-9 A-Z a-z -`.
bool valid_trainee_no(std::string_view no);

}  // namespace kiosk
