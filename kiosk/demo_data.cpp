// The demo snapshot and demo cards (see demo_data.h).
#include "kiosk/demo_data.h"

#include <fmt/format.h>

#include <array>
#include <random>

namespace kiosk {
namespace {

using Setup = DemoCard::Setup;

struct Row {
    const char* trainee_no;
    const char* name;
    const char* affiliation;
    const char* course;
    const char* provider;
    const char* completed_on;
    const char* status;
    const char* accepted;
    const char* user_since;
};

// Scenario trainees: each demonstrates one decision at the demo time (any day after 2024-09).
constexpr Row kScenarioRows[] = {
    // granted, existing MID-NET user
    {"D-0001", "山田 太郎", "Example Pharma", "OVERVIEW", "PMDA", "2024-05-01", "issued",
     "2024-04-01", "2023-04-01"},
    {"D-0001", "山田 太郎", "Example Pharma", "SYSOP", "PMDA", "2024-06-01", "issued", "2024-04-01",
     "2023-04-01"},
    // granted newcomer: BRIEFING_NEEDED (TR-9)
    {"D-0002", "鈴木 花子", "Example University", "概論", "PMDA", "2024-07-01", "交付",
     "2024-06-01", ""},
    {"D-0002", "鈴木 花子", "Example University", "システム操作", "PMDA", "2024-08-01", "交付",
     "2024-06-01", ""},
    // granted existing user on legacy certificates: RETAKE_ADVISED (TR-6)
    {"D-0003", "佐藤 健", "Example CRO", "MID-NET研修（概論）", "PMDA", "2022-05-10", "issued", "",
     "2022-04-01"},
    {"D-0003", "佐藤 健", "Example CRO", "MID-NET研修（システム操作）", "PMDA", "2022-06-10",
     "issued", "", "2022-04-01"},
    // COURSE_MISSING SYSOP (TR-1)
    {"D-0004", "Jane Doe", "Example CRO", "OVERVIEW", "PMDA", "2024-05-01", "issued", "", ""},
    // ORDER_VIOLATION (TR-2)
    {"D-0005", "高橋 誠", "Example Hospital", "OVERVIEW", "PMDA", "2024-06-01", "issued", "",
     "2023-01-01"},
    {"D-0005", "高橋 誠", "Example Hospital", "SYSOP", "PMDA", "2024-05-01", "issued", "",
     "2023-01-01"},
    // CERT_LOST (TR-4)
    {"D-0006", "田中 愛", "Example Pharma", "OVERVIEW", "PMDA", "2024-05-01", "issued", "",
     "2023-01-01"},
    {"D-0006", "田中 愛", "Example Pharma", "SYSOP", "PMDA", "2024-06-01", "lost", "",
     "2023-01-01"},
    // CERT_NOT_OBTAINED (TR-4)
    {"D-0007", "伊藤 翔", "Example Pharma", "OVERVIEW", "PMDA", "2024-05-01", "issued", "",
     "2023-01-01"},
    {"D-0007", "伊藤 翔", "Example Pharma", "SYSOP", "PMDA", "2024-06-01", "not_obtained", "",
     "2023-01-01"},
    // CERT_REVOKED (TR-4)
    {"D-0008", "渡辺 結衣", "Example CRO", "OVERVIEW", "PMDA", "2024-05-01", "issued", "",
     "2023-01-01"},
    {"D-0008", "渡辺 結衣", "Example CRO", "SYSOP", "PMDA", "2024-06-01", "revoked", "",
     "2023-01-01"},
    // RETAKE_REQUIRED: a new user (2024-03) on legacy certificates (TR-6)
    {"D-0009", "中村 大輔", "Example University", "OVERVIEW", "PMDA", "2023-05-01", "issued", "",
     "2024-03-01"},
    {"D-0009", "中村 大輔", "Example University", "SYSOP", "PMDA", "2023-06-01", "issued", "",
     "2024-03-01"},
    // COURSE_MISSING with TR-3: the System-operation record is not PMDA's own course
    {"D-0010", "小林 さくら", "Example Pharma", "OVERVIEW", "PMDA", "2024-05-01", "issued", "",
     "2023-01-01"},
    {"D-0010", "小林 さくら", "Example Pharma", "SYSOP", "Example Training Co.", "2024-06-01",
     "issued", "", "2023-01-01"},
    // COURSE_MISSING with TR-8: completed before the information request was accepted
    {"D-0011", "加藤 陽介", "Example Hospital", "OVERVIEW", "PMDA", "2024-05-01", "issued",
     "2024-05-20", "2023-01-01"},
    {"D-0011", "加藤 陽介", "Example Hospital", "SYSOP", "PMDA", "2024-06-01", "issued",
     "2024-05-20", "2023-01-01"},
    // ALREADY_IN_SESSION (TR-5): qualified, demo data starts a session for them
    {"D-0012", "吉田 美咲", "Example CRO", "OVERVIEW", "PMDA", "2024-05-01", "issued", "",
     "2023-01-01"},
    {"D-0012", "吉田 美咲", "Example CRO", "SYSOP", "PMDA", "2024-06-01", "issued", "",
     "2023-01-01"},
};

constexpr std::array kFamily{"山田", "鈴木", "佐藤", "高橋", "田中", "伊藤", "渡辺", "中村",
                             "小林", "加藤", "吉田", "山本", "松本", "井上", "木村", "林"};
constexpr std::array kGiven{"太郎",   "花子", "健",   "誠", "愛",   "翔", "結衣", "大輔",
                            "さくら", "陽介", "美咲", "蓮", "陽菜", "湊", "凛",   "悠真"};
constexpr std::array kAffiliation{"Example Pharma",   "Example CRO",     "Example University",
                                  "Example Hospital", "Example Biotech", "Example Institute"};

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

}  // namespace

const std::vector<DemoCard>& demo_cards() {
    static const std::vector<DemoCard> cards{
        {"04D0000000000001", "D-0001", "qualified MID-NET user", "grant", Setup::Enrolled},
        {"012E4CD2A1B2C302", "D-0002", "newcomer (FeliCa IDm)", "grant +BRIEFING_NEEDED",
         Setup::Enrolled},
        {"04D0000000000003", "D-0003", "existing user on legacy certificates",
         "grant +RETAKE_ADVISED", Setup::Enrolled},
        {"04D0000000000004", "D-0004", "Overview only", "deny COURSE_MISSING", Setup::Enrolled},
        {"04D0000000000005", "D-0005", "courses in the wrong order", "deny ORDER_VIOLATION",
         Setup::Enrolled},
        {"04D0000000000006", "D-0006", "certificate lost", "deny CERT_LOST", Setup::Enrolled},
        {"04D0000000000007", "D-0007", "System-operation cert not obtained",
         "deny CERT_NOT_OBTAINED", Setup::Enrolled},
        {"04D0000000000008", "D-0008", "certificate revoked", "deny CERT_REVOKED", Setup::Enrolled},
        {"04D0000000000009", "D-0009", "new user on legacy certificates", "deny RETAKE_REQUIRED",
         Setup::Enrolled},
        {"04D0000000000010", "D-0010", "external course", "deny COURSE_MISSING", Setup::Enrolled},
        {"04D0000000000011", "D-0011", "completed before request accepted", "deny COURSE_MISSING",
         Setup::Enrolled},
        {"04D0000000000012", "D-0012", "already in a session", "deny ALREADY_IN_SESSION",
         Setup::InSession},
        {"04D0000000000013", "D-0099", "trainee no longer in the records", "deny TRAINEE_UNKNOWN",
         Setup::BoundToUnknownTrainee},
        {"04D0000000000014", "D-0001", "card revoked (replaced)", "deny CARD_REVOKED",
         Setup::Revoked},
        {"04D0000000000015", "", "card never enrolled", "deny CARD_UNKNOWN", Setup::NotEnrolled},
    };
    return cards;
}

std::int64_t write_demo_feed(std::ostream& out, std::int64_t bulk_trainees) {
    out << "trainee_no,name,affiliation,course,provider,certificate_no,completed_on,status,"
           "request_accepted_on,user_since\n";
    std::int64_t rows = 0, cert = 0;
    auto row = [&](std::string_view no, std::string_view name, std::string_view aff,
                   std::string_view course, std::string_view provider, std::string_view date,
                   std::string_view status, std::string_view accepted, std::string_view since) {
        out << no << ',' << csv_field(name) << ',' << csv_field(aff) << ',' << course << ','
            << csv_field(provider) << ',' << fmt::format("MC-{:07}", ++cert) << ',' << date << ','
            << status << ',' << accepted << ',' << since << '\n';
        ++rows;
    };
    for (const Row& r : kScenarioRows)
        row(r.trainee_no, r.name, r.affiliation, r.course, r.provider, r.completed_on, r.status,
            r.accepted, r.user_since);

    // Bulk trainees: mostly qualified, with the mix of histories a records office really has.
    std::mt19937_64 rng(20240131);
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    for (std::int64_t i = 1; i <= bulk_trainees; ++i) {
        std::string no = fmt::format("T-{:06}", i);
        std::string name =
            fmt::format("{} {}", kFamily[pick(kFamily.size())], kGiven[pick(kGiven.size())]);
        std::string aff = kAffiliation[pick(kAffiliation.size())];
        int year = 2024 + static_cast<int>(pick(3));
        int month = 1 + static_cast<int>(pick(9));
        std::string since =
            pick(3) == 0 ? "" : fmt::format("{}-04-01", year - 1 - static_cast<int>(pick(3)));
        auto date = [&](int m, int d) { return fmt::format("{}-{:02}-{:02}", year, m, d); };
        switch (i % 4) {
            case 0:  // straightforward: both courses
                row(no, name, aff, "OVERVIEW", "PMDA", date(month, 10), "issued", "", since);
                row(no, name, aff, "SYSOP", "PMDA", date(month + 1, 12), "issued", "", since);
                row(no, name, aff, "ADVANCED", "PMDA", date(month + 2, 5), "issued", "", since);
                row(no, name, aff, "SYSOP", "Example Training Co.", date(month + 2, 20), "issued",
                    "", since);
                break;
            case 1:  // lost System-operation certificate, retaken
                row(no, name, aff, "OVERVIEW", "PMDA", date(month, 3), "issued", "", since);
                row(no, name, aff, "SYSOP", "PMDA", date(month, 25), "lost", "", since);
                row(no, name, aff, "SYSOP", "PMDA", date(month + 2, 8), "issued", "", since);
                row(no, name, aff, "OVERVIEW", "PMDA", date(month + 3, 8), "issued", "", since);
                break;
            case 2:  // Japanese course names and statuses
                row(no, name, aff, "概論", "PMDA", date(month, 1), "交付", "", since);
                row(no, name, aff, "システム操作", "PMDA", date(month + 1, 1), "交付", "", since);
                row(no, name, aff, "概論", "PMDA", date(month + 3, 1), "交付", "", since);
                row(no, name, aff, "ADVANCED", "PMDA", date(month + 3, 2), "未取得", "", since);
                break;
            default:  // not finished yet
                row(no, name, aff, "OVERVIEW", "PMDA", date(month, 15), "issued", "", since);
                row(no, name, aff, "SYSOP", "PMDA", date(month + 1, 15), "not_obtained", "", since);
                row(no, name, aff, "ADVANCED", "Example Training Co.", date(month + 1, 16),
                    "issued", "", since);
                row(no, name, aff, "OVERVIEW", "Example Training Co.", date(month + 1, 17),
                    "issued", "", since);
                break;
        }
    }
    return rows;
}

}  // namespace kiosk
