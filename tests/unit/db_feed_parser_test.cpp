// Feed validation (product.md section 3): header mapping with Japanese and legacy (TR-10)
// aliases, each per-field rule with its `line N, column C:` message, rules across rows, the
// error cap, max_invalid_rows, and the TR-3 / TR-8 cases that are kept rather than refused.
#include <gtest/gtest.h>

#include <sstream>

#include "db/feed_parser.h"

namespace kiosk::db {
namespace {

const std::string kHeader =
    "trainee_no,name,affiliation,course,provider,certificate_no,completed_on,status,"
    "request_accepted_on,user_since\n";

struct Outcome {
    bool rejected = false;
    std::string first_error;
    std::vector<FeedRow> rows;
    std::vector<std::string> errors, warnings;
    std::vector<std::int64_t> skipped;
};

Outcome parse(const std::string& text, FeedParseOptions options = {}) {
    std::istringstream in(text);
    StreamByteSource src(in);
    CsvReader reader(src);
    FeedParser parser(reader, options);
    Outcome o;
    for (;;) {
        FeedRow row;
        auto r = parser.next(&row, &o.first_error);
        if (r == FeedParser::Result::Row) {
            o.rows.push_back(row);
            continue;
        }
        o.rejected = r == FeedParser::Result::Rejected;
        break;
    }
    o.errors = parser.errors();
    o.warnings = parser.warnings();
    o.skipped = parser.skipped_lines();
    return o;
}

// One full valid row; `override` replaces the field at `index`.
std::string row(std::string no = "T-1", std::string cert = "C-1", std::string course = "OVERVIEW",
                std::string date = "2024-03-01") {
    return no + ",Yamada Taro,PMDA," + course + ",PMDA," + cert + "," + date +
           ",issued,2024-01-10,\n";
}

TEST(FeedParser, ValidRowsBecomeCertificates) {
    auto o = parse(kHeader + row("T-1", "C-1") + row("T-1", "C-2", "SYSOP", "2024-03-05") +
                   row("T-2", "C-3"));
    ASSERT_FALSE(o.rejected) << o.first_error;
    ASSERT_EQ(o.rows.size(), 3u);
    const FeedRow& r = o.rows[1];
    EXPECT_EQ(r.line, 3);
    EXPECT_EQ(r.trainee_no, "T-1");
    EXPECT_EQ(r.name, "Yamada Taro");
    EXPECT_EQ(r.cert.course, Course::SystemOperation);
    EXPECT_EQ(r.cert.course_code, "SYSOP");
    EXPECT_EQ(r.cert.provider, "PMDA");
    EXPECT_EQ(r.cert.status, CertificateStatus::Issued);
    EXPECT_EQ(format_date(r.cert.completed_on), "2024-03-05");
    EXPECT_EQ(format_date(*r.request_accepted_on), "2024-01-10");
    EXPECT_FALSE(r.user_since.has_value());
    // file_order is the position among the trainee's rows.
    EXPECT_TRUE(o.rows[0].first_of_trainee);
    EXPECT_FALSE(o.rows[1].first_of_trainee);
    EXPECT_EQ(o.rows[1].cert.file_order, 1);
    EXPECT_EQ(o.rows[2].cert.file_order, 0);
    EXPECT_TRUE(o.rows[2].first_of_trainee);
}

TEST(FeedParser, JapaneseHeadersInAnyOrderWithBomAndJapaneseValues) {
    std::string text =
        "\xEF\xBB\xBF状態,修了日,修了証番号,研修,氏名,受講者番号,所属,実施者,依頼書受付日,"
        "利活用者登録日\n"
        "交付,2024-03-01,C-1,MID-NET研修（概論）,山田 太郎,T-1,大学,,2024-01-01,2023-05-01\n"
        "紛失,2024-03-02,C-2,システム操作,山田 太郎,T-1,大学,,2024-01-01,2023-05-01\n";
    auto o = parse(text);
    ASSERT_FALSE(o.rejected) << o.first_error;
    ASSERT_EQ(o.rows.size(), 2u);
    EXPECT_EQ(o.rows[0].cert.course, Course::Overview);
    EXPECT_EQ(o.rows[0].name, "山田 太郎");
    EXPECT_EQ(o.rows[0].cert.provider, "PMDA");  // empty provider = PMDA
    EXPECT_EQ(o.rows[1].cert.course, Course::SystemOperation);
    EXPECT_EQ(o.rows[1].cert.status, CertificateStatus::Lost);
    EXPECT_EQ(format_date(*o.rows[1].user_since), "2023-05-01");
    EXPECT_TRUE(o.warnings.empty());
}

TEST(FeedParser, TR10_LegacyHeaders_受講番号_受講証番号_受講日_AreRead) {
    std::string text =
        "受講番号,氏名,研修,受講証番号,受講日,状態\n"
        "T-9,佐藤,概論,OLD-1,2023-01-05,交付\n";
    auto o = parse(text);
    ASSERT_FALSE(o.rejected) << o.first_error;
    ASSERT_EQ(o.rows.size(), 1u);
    EXPECT_EQ(o.rows[0].trainee_no, "T-9");
    EXPECT_EQ(o.rows[0].cert.certificate_no, "OLD-1");
    EXPECT_EQ(format_date(o.rows[0].cert.completed_on), "2023-01-05");
}

TEST(FeedParser, TR3_OtherCourseCodesAndProvidersAreKept) {
    auto o = parse(kHeader + row("T-1", "C-1", "ADVANCED") +
                   "T-1,Yamada Taro,PMDA,OVERVIEW,Other Org,C-2,2024-03-01,issued,2024-01-10,\n");
    ASSERT_FALSE(o.rejected) << o.first_error;
    ASSERT_EQ(o.rows.size(), 2u);
    EXPECT_EQ(o.rows[0].cert.course, Course::Other);
    EXPECT_EQ(o.rows[0].cert.course_code, "ADVANCED");
    EXPECT_EQ(o.rows[1].cert.provider, "Other Org");
}

TEST(FeedParser, TR8_CompletionBeforeRequestAcceptedIsAWarningAndKept) {
    auto o = parse(kHeader + row("T-1", "C-1", "OVERVIEW", "2024-01-05"));
    ASSERT_FALSE(o.rejected) << o.first_error;
    ASSERT_EQ(o.rows.size(), 1u);
    ASSERT_EQ(o.warnings.size(), 1u);
    EXPECT_NE(o.warnings[0].find("line 2: trainee T-1"), std::string::npos) << o.warnings[0];
    EXPECT_NE(o.warnings[0].find("TR-8"), std::string::npos);
}

TEST(FeedParser, UnknownColumnsAreIgnoredWithAWarning) {
    auto o = parse(
        "trainee_no,name,course,certificate_no,completed_on,status,remarks\n"
        "T-1,A,SYSOP,C-1,2024-01-01,issued,anything\n");
    ASSERT_FALSE(o.rejected) << o.first_error;
    ASSERT_EQ(o.warnings.size(), 1u);
    EXPECT_EQ(o.warnings[0], "column 7 'remarks' is not a feed column: ignored");
}

TEST(FeedParser, MissingRequiredColumnIsNamed) {
    auto o = parse("trainee_no,name,course,completed_on,status\nT-1,A,SYSOP,2024-01-01,issued\n");
    ASSERT_TRUE(o.rejected);
    EXPECT_EQ(o.first_error,
              "line 1: the header has no certificate_no column (certificate_no / 修了証番号 / "
              "受講証番号)");
}

TEST(FeedParser, ColumnGivenTwiceIsAnError) {
    auto o = parse("trainee_no,受講者番号,name,course,certificate_no,completed_on,status\n");
    ASSERT_TRUE(o.rejected);
    EXPECT_NE(o.first_error.find("gives trainee_no twice"), std::string::npos);
}

TEST(FeedParser, EmptyAndHeaderOnlyFilesAreErrors) {
    auto empty = parse("");
    EXPECT_TRUE(empty.rejected);
    EXPECT_EQ(empty.first_error, "the file is empty: no header row");
    auto header_only = parse(kHeader);
    EXPECT_TRUE(header_only.rejected);
    EXPECT_NE(header_only.first_error.find("header row but no data rows"), std::string::npos);
}

// Each per-field rule, with the exact message shape `line N, column C: what`.
TEST(FeedParser, EachFieldRuleHasItsMessage) {
    struct Case {
        std::string line, expect;
    };
    std::string long_name(101, 'n'), long_aff(201, 'a'), long_cert(41, 'c');
    std::string jp_name_100;
    for (int i = 0; i < 100; ++i) jp_name_100 += "山";   // 100 characters, 300 bytes: fine
    const std::string jp_name_101 = jp_name_100 + "川";  // 101 characters: counted, too long
    std::vector<Case> cases = {
        {"T_1,A,,SYSOP,,C-1,2024-01-01,issued,,",
         "line 2, column trainee_no: 'T_1' is not a trainee number (1–32 of 0-9 A-Z a-z -)"},
        {",A,,SYSOP,,C-1,2024-01-01,issued,,", "line 2, column trainee_no: is empty"},
        {std::string(33, '1') + ",A,,SYSOP,,C-1,2024-01-01,issued,,",
         "line 2, column trainee_no: '" + std::string(33, '1').substr(0, 33) + "'"},
        {"T-1,,,SYSOP,,C-1,2024-01-01,issued,,", "line 2, column name: is empty"},
        {"T-1," + long_name + ",,SYSOP,,C-1,2024-01-01,issued,,",
         "line 2, column name: '" + std::string(40, 'n') + "…' is longer than 100 characters"},
        {"T-1," + jp_name_101 + ",,SYSOP,,C-1,2024-01-01,issued,,", "line 2, column name: '"},
        {"T-1,A," + long_aff + ",SYSOP,,C-1,2024-01-01,issued,,", "line 2, column affiliation: '"},
        {"T-1,A,,,,C-1,2024-01-01,issued,,", "line 2, column course: is empty"},
        {"T-1,A,,SYSOP,,,2024-01-01,issued,,", "line 2, column certificate_no: is empty"},
        {"T-1,A,,SYSOP,," + long_cert + ",2024-01-01,issued,,", "line 2, column certificate_no: '"},
        {"T-1,A,,SYSOP,,C-1,2024-13-01,issued,,",
         "line 2, column completed_on: '2024-13-01' is not a date (YYYY-MM-DD)"},
        {"T-1,A,,SYSOP,,C-1,2024/01/01,issued,,",
         "line 2, column completed_on: '2024/01/01' is not a date (YYYY-MM-DD)"},
        {"T-1,A,,SYSOP,,C-1,,issued,,",
         "line 2, column completed_on: is empty: a date (YYYY-MM-DD) is required"},
        {"T-1,A,,SYSOP,,C-1,2024-01-01,valid,,", "line 2, column status: 'valid' is not a status"},
        {"T-1,A,,SYSOP,,C-1,2024-01-01,issued,2024-02-30,",
         "line 2, column request_accepted_on: '2024-02-30' is not a date"},
        {"T-1,A,,SYSOP,,C-1,2024-01-01,issued,,01/02/2023",
         "line 2, column user_since: '01/02/2023' is not a date"},
        {"T-1,A,,SYSOP,,C-1,2024-01-01,issued,", "line 2: the row has 9 fields, the header has 10"},
    };
    for (const auto& c : cases) {
        auto o = parse(kHeader + c.line + "\n");
        EXPECT_TRUE(o.rejected) << c.line;
        EXPECT_EQ(o.first_error.substr(0, c.expect.size()), c.expect) << c.line;
    }
    auto ok = parse(kHeader + "T-1," + jp_name_100 + ",,SYSOP,,C-1,2024-01-01,issued,,\n");
    EXPECT_FALSE(ok.rejected) << "a name's length counts characters, not bytes: " << ok.first_error;
}

TEST(FeedParser, ColumnIsNamedAsTheHeaderWritesIt) {
    auto o =
        parse("受講者番号,氏名,研修,修了証番号,修了日,状態\nT-1,A,SYSOP,C-1,2024-13-01,交付\n");
    ASSERT_TRUE(o.rejected);
    EXPECT_EQ(o.first_error, "line 2, column 修了日: '2024-13-01' is not a date (YYYY-MM-DD)");
}

TEST(FeedParser, DuplicateCertificateNumberNamesBothLines) {
    auto o = parse(kHeader + row("T-1", "C-1") + row("T-2", "C-2") + row("T-3", "C-1"));
    ASSERT_TRUE(o.rejected);
    EXPECT_EQ(o.first_error, "line 4, column certificate_no: 'C-1' is already used on line 2");
}

TEST(FeedParser, TraineeLevelColumnsMustAgreeAcrossRows) {
    auto o = parse(kHeader + row("T-1", "C-1") +
                   "T-1,Yamada Hanako,PMDA,SYSOP,PMDA,C-2,2024-03-02,issued,2024-01-10,\n" +
                   "T-1,Yamada Taro,PMDA,SYSOP,PMDA,C-3,2024-03-02,issued,2024-01-11,\n");
    ASSERT_TRUE(o.rejected);
    ASSERT_GE(o.errors.size(), 2u);
    EXPECT_EQ(o.errors[0],
              "line 3, column name: 'Yamada Hanako' differs from line 2 ('Yamada Taro') for "
              "trainee T-1");
    EXPECT_EQ(o.errors[1],
              "line 4, column request_accepted_on: '2024-01-11' differs from line 2 "
              "('2024-01-10') for trainee T-1");
}

TEST(FeedParser, ErrorsAreCappedAtOneHundredThenMoreErrors) {
    std::string text = kHeader;
    for (int i = 0; i < 300; ++i)
        text += "T-" + std::to_string(i) + ",A,,SYSOP,,C-" + std::to_string(i) +
                ",2024-13-01,issued,,\n";
    auto o = parse(text);
    ASSERT_TRUE(o.rejected);
    ASSERT_EQ(o.errors.size(), 101u);
    EXPECT_EQ(o.errors.front().substr(0, 30), "line 2, column completed_on: '");
    EXPECT_EQ(o.errors[99].substr(0, 8), "line 101");
    EXPECT_EQ(o.errors.back(), "… more errors");
}

TEST(FeedParser, MaxInvalidRowsSkipsUpToNBadRowsAndListsThem) {
    std::string text = kHeader + row("T-1", "C-1") + "T-2,A,,SYSOP,,C-2,bad,issued,,\n" +
                       row("T-3", "C-3") + "T-4,,,SYSOP,,C-4,2024-01-01,issued,,\n";
    auto skipping = parse(text, FeedParseOptions{.max_invalid_rows = 2});
    ASSERT_FALSE(skipping.rejected) << skipping.first_error;
    EXPECT_EQ(skipping.rows.size(), 2u);
    EXPECT_EQ(skipping.skipped, (std::vector<std::int64_t>{3, 5}));
    ASSERT_EQ(skipping.errors.size(), 2u);
    EXPECT_EQ(skipping.errors[1], "line 5, column name: is empty");

    auto strict = parse(text, FeedParseOptions{.max_invalid_rows = 1});
    EXPECT_TRUE(strict.rejected);
    EXPECT_EQ(strict.errors.size(), 2u);
    auto default_strict = parse(text);
    EXPECT_TRUE(default_strict.rejected);
    EXPECT_EQ(default_strict.first_error,
              "line 3, column completed_on: 'bad' is not a date "
              "(YYYY-MM-DD)");
}

TEST(FeedParser, CsvSyntaxErrorRejectsEvenWhenSkippingIsAllowed) {
    auto o = parse(kHeader + row() + "T-2,\"open\n", FeedParseOptions{.max_invalid_rows = 10});
    EXPECT_TRUE(o.rejected);
    EXPECT_NE(o.first_error.find("line 3: a quoted field is never closed"), std::string::npos);
}

}  // namespace
}  // namespace kiosk::db
