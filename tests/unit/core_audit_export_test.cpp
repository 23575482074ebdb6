// The audit export for people (kiosk/audit_export.h): Japan time, subject and readable detail;
// CSV that a spreadsheet cannot run as formulas (= + - @, tab, CR), quoted per RFC 4180, UTF-8
// with a BOM; JSON with the detail as an object.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "kiosk/audit_export.h"

namespace kiosk {
namespace {

AuditEntry entry(std::int64_t seq, std::string actor, std::string kind, std::string trainee,
                 std::string detail) {
    AuditEntry e;
    e.seq = seq;
    e.event = AuditEvent{*parse_instant("2026-11-24T01:02:03Z"),
                         std::move(kind),
                         std::move(actor),
                         std::move(trainee),
                         "1a2b3c4d5e6f",
                         "override",
                         std::move(detail)};
    e.row_hash = "ab";
    return e;
}

TEST(AuditExport, SpreadsheetFormulasAreNeutralised) {
    for (const char* bad : {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"})
        EXPECT_EQ(spreadsheet_safe(bad), std::string("'") + bad) << bad;
    EXPECT_EQ(spreadsheet_safe("A-1"), "A-1");
    EXPECT_EQ(spreadsheet_safe(""), "");
    EXPECT_EQ(csv_cell("=HYPERLINK(\"http://x\",\"y\")"),
              "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_cell("two\nlines"), "\"two\nlines\"");
}

TEST(AuditExport, CsvHasABomAHeaderJapanTimeAndReadableCells) {
    std::ostringstream os;
    AuditExportWriter w(os, AuditExportFormat::Csv);
    w.row(entry(7, "staff:S-1", "session.start", "A-1",
                R"({"override_by":"S-1","override_reason":"=cmd|' /C calc'!A0","minutes":30})"));
    w.row(entry(8, "=evil", "decision", "", R"({"reasons":["CERT_LOST","COURSE_MISSING"]})"));
    w.finish();
    std::string s = os.str();
    ASSERT_EQ(s.substr(0, 3), "\xEF\xBB\xBF");
    std::istringstream in(s.substr(3));
    std::string header, one, two;
    std::getline(in, header);
    std::getline(in, one);
    std::getline(in, two);
    EXPECT_EQ(header, "seq,time_jst,actor,event,outcome,subject,detail,row_hash\r");
    EXPECT_EQ(one,
              "7,2026-11-24T10:02:03+09:00,staff:S-1,session.start,override,\"trainee A-1, card "
              "1a2b3c4d5e6f\",minutes: 30; override_by: S-1; override_reason: =cmd|' /C "
              "calc'!A0,ab\r");
    EXPECT_EQ(two,
              "8,2026-11-24T10:02:03+09:00,'=evil,decision,override,card 1a2b3c4d5e6f,\"reasons: "
              "CERT_LOST, COURSE_MISSING\",ab\r");
}

TEST(AuditExport, ADetailCellStartingWithAFormulaCharacterIsNeutralised) {
    std::ostringstream os;
    AuditExportWriter w(os, AuditExportFormat::Csv);
    w.row(entry(1, "kioskctl", "note", "", R"("-2+3")"));
    w.finish();
    EXPECT_NE(os.str().find(",'-2+3,"), std::string::npos) << os.str();
}

TEST(AuditExport, JsonIsAnArrayOfTheStoredFieldsPlusReadableOnesAndNoBom) {
    std::ostringstream os;
    AuditExportWriter w(os, AuditExportFormat::Json);
    w.row(entry(1, "staff:S-1", "session.start", "受講-1", R"({"override_by":"S-1"})"));
    w.row(entry(2, "kioskctl", "odd", "", "not json"));
    w.finish();
    auto j = nlohmann::json::parse(os.str());
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["at"], "2026-11-24T10:02:03+09:00");
    EXPECT_EQ(nlohmann::json::parse(j[0]["detail"].get<std::string>())["override_by"], "S-1");
    EXPECT_EQ(j[0]["detail_text"], "override_by: S-1");
    EXPECT_EQ(j[0]["actor"], "staff:S-1");
    EXPECT_EQ(j[0]["kind"], "session.start");
    EXPECT_EQ(j[0]["subject"], "trainee 受講-1, card 1a2b3c4d5e6f");
    EXPECT_EQ(j[1]["detail"], "not json");
    std::ostringstream empty;
    AuditExportWriter(empty, AuditExportFormat::Json).finish();
    EXPECT_EQ(empty.str(), "[]\n");
}

TEST(AuditExport, FormatNames) {
    EXPECT_EQ(audit_export_format("csv"), AuditExportFormat::Csv);
    EXPECT_EQ(audit_export_format("json"), AuditExportFormat::Json);
    EXPECT_FALSE(audit_export_format("xlsx"));
}

}  // namespace
}  // namespace kiosk
