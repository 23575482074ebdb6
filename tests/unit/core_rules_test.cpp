// The eligibility rules, one scenario table per rule (training-rules.md TR-1…TR-10). Each test
// names the rule it checks; each rule has a scenario that fails if the rule is removed.
#include <gtest/gtest.h>

#include "kiosk/rules.h"

namespace kiosk {
namespace {

Date D(const char* s) { return *parse_date(s); }
Instant T(const char* s) { return *parse_instant(s); }

struct Rec {
    const char* course;
    const char* completed_on;
    CertificateStatus status = CertificateStatus::Issued;
    const char* provider = "PMDA";
};

constexpr auto Issued = CertificateStatus::Issued;
constexpr auto Lost = CertificateStatus::Lost;
constexpr auto NotObtained = CertificateStatus::NotObtained;
constexpr auto Revoked = CertificateStatus::Revoked;

Trainee trainee(std::vector<Rec> recs, std::optional<const char*> user_since = "2023-04-01",
                std::optional<const char*> accepted = std::nullopt) {
    Trainee t;
    t.trainee_no = "T-1";
    t.name = "Test Trainee";
    if (user_since) t.user_since = D(*user_since);
    if (accepted) t.request_accepted_on = D(*accepted);
    int order = 0;
    for (auto& r : recs) {
        Certificate c;
        c.certificate_no = "C-" + std::to_string(order);
        c.course_code = r.course;
        c.course = course_from_feed(r.course);
        c.provider = r.provider;
        c.completed_on = D(r.completed_on);
        c.status = r.status;
        c.file_order = order++;
        t.certificates.push_back(c);
    }
    return t;
}

const std::vector<Revision> kRevisions{revision_2024()};

struct Scenario {
    Trainee t;
    CardState card = CardState::Active;
    const char* now = "2026-11-24T10:00:00+09:00";
    const char* generated_at = "2026-11-24T02:00:00+09:00";
    bool in_session = false;
    bool had_session = false;
    int in_use = 0;
};

Decision run(const Scenario& s) {
    DecisionInput in;
    in.card = s.card;
    in.trainee_no = s.t.trainee_no;
    in.trainee = &s.t;
    in.mirror_generated_at = T(s.generated_at);
    in.has_active_session = s.in_session;
    in.had_earlier_session = s.had_session;
    in.sessions_in_use = s.in_use;
    in.revisions = kRevisions;
    in.now = T(s.now);
    return decide(in);
}

Finding F(Code c, std::optional<Course> course, std::vector<std::string> rules) {
    return Finding{c, course, std::move(rules)};
}

constexpr auto OV = Course::Overview;
constexpr auto SY = Course::SystemOperation;

// A fully qualified existing user: granted with no reasons.
Trainee qualified() { return trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}}); }

TEST(Rules, QualifiedTraineeIsGranted) {
    auto d = run({qualified()});
    EXPECT_TRUE(d.granted);
    EXPECT_TRUE(d.reasons.empty());
    EXPECT_TRUE(d.notices.empty());
    EXPECT_EQ(d.trainee_no, "T-1");
}

// --- TR-1: both courses ---------------------------------------------------------------------
TEST(TR1_BothCourses, OnlyOverviewIsRefusedForSysop) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}})});
    EXPECT_FALSE(d.granted);
    ASSERT_EQ(d.reasons.size(), 1u);
    EXPECT_EQ(d.reasons[0], F(Code::CourseMissing, SY, {"TR-1"}));
}
TEST(TR1_BothCourses, OnlySysopIsRefusedForOverview) {
    auto d = run({trainee({{"SYSOP", "2024-05-01"}})});
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons[0], F(Code::CourseMissing, OV, {"TR-1"}));
}
TEST(TR1_BothCourses, NoRecordsRefusesBothCourses) {
    auto d = run({trainee({})});
    ASSERT_EQ(d.reasons.size(), 2u);
    EXPECT_EQ(d.reasons[0], F(Code::CourseMissing, OV, {"TR-1"}));
    EXPECT_EQ(d.reasons[1], F(Code::CourseMissing, SY, {"TR-1"}));
}
TEST(TR1_BothCourses, TraineeNotInMirrorIsRefused) {
    DecisionInput in;
    in.trainee_no = "T-9";
    in.mirror_generated_at = T("2026-11-24T02:00:00+09:00");
    in.now = T("2026-11-24T10:00:00+09:00");
    auto d = decide(in);
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons[0], F(Code::TraineeUnknown, std::nullopt, {"TR-1"}));
}

// --- TR-2: order --------------------------------------------------------------------------
TEST(TR2_Order, SysopBeforeOverviewIsAnOrderViolation) {
    auto d = run({trainee({{"OVERVIEW", "2024-06-01"}, {"SYSOP", "2024-05-01"}})});
    EXPECT_FALSE(d.granted);
    ASSERT_EQ(d.reasons.size(), 1u);
    EXPECT_EQ(d.reasons[0], F(Code::OrderViolation, SY, {"TR-2"}));
}
TEST(TR2_Order, SameDayCountsAsInOrder) {
    auto d = run({trainee({{"OVERVIEW", "2024-06-01"}, {"SYSOP", "2024-06-01"}})});
    EXPECT_TRUE(d.granted);
}
TEST(TR2_Order, LaterLossOfOverviewDoesNotUndoTheOrder) {
    // Overview taken, SYSOP after it; Overview later lost, then retaken after SYSOP.
    auto d = run({trainee(
        {{"OVERVIEW", "2024-03-01", Lost}, {"SYSOP", "2024-04-01"}, {"OVERVIEW", "2024-09-01"}})});
    EXPECT_TRUE(d.granted) << decision_json(d);
}
TEST(TR2_Order, OverviewRetakenAfterSysopWithoutEarlierOverviewIsViolation) {
    auto d = run({trainee({{"OVERVIEW", "2024-03-01", NotObtained},
                           {"SYSOP", "2024-04-01"},
                           {"OVERVIEW", "2024-09-01"}})});
    EXPECT_FALSE(d.granted);
    EXPECT_TRUE(d.has_reason(Code::OrderViolation));
}
TEST(TR2_Order, ExternalOverviewDoesNotEstablishOrder) {
    auto d = run({trainee({{"OVERVIEW", "2024-03-01", Issued, "Other Org"},
                           {"SYSOP", "2024-04-01"},
                           {"OVERVIEW", "2024-09-01"}})});
    EXPECT_TRUE(d.has_reason(Code::OrderViolation));
}

// --- TR-3: PMDA's own courses only --------------------------------------------------------
TEST(TR3_PmdaOnly, ExternalProviderNeverCounts) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01", Issued, "ACME"}})});
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons[0], F(Code::CourseMissing, SY, {"TR-1", "TR-3"}));
}
TEST(TR3_PmdaOnly, OtherCourseCodeIsKeptButNeverCounts) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP_EQUIVALENT", "2024-06-01"}})});
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons[0], F(Code::CourseMissing, SY, {"TR-1", "TR-3"}));
}
TEST(TR3_PmdaOnly, JapaneseCourseNamesCount) {
    auto d =
        run({trainee({{"MID-NET研修（概論）", "2024-05-01"}, {"システム操作", "2024-06-01"}})});
    EXPECT_TRUE(d.granted);
}

// --- TR-4: a certificate must have been obtained; the newest decides -----------------------
TEST(TR4_Obtained, LostCertificateRefused) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01", Lost}})});
    EXPECT_EQ(d.reasons.at(0), F(Code::CertLost, SY, {"TR-4"}));
}
TEST(TR4_Obtained, NotObtainedRefused) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01", NotObtained}, {"SYSOP", "2024-06-01"}})});
    EXPECT_EQ(d.reasons.at(0), F(Code::CertNotObtained, OV, {"TR-4"}));
}
TEST(TR4_Obtained, RevokedRefused) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01", Revoked}})});
    EXPECT_EQ(d.reasons.at(0), F(Code::CertRevoked, SY, {"TR-4"}));
}
TEST(TR4_Obtained, RetakeAfterLossCounts) {
    auto d = run({trainee(
        {{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01", Lost}, {"SYSOP", "2024-08-01"}})});
    EXPECT_TRUE(d.granted);
}
TEST(TR4_Obtained, NewestRecordDecidesOverOlderIssued) {
    // An issued certificate superseded by a later lost one no longer counts.
    auto d = run({trainee(
        {{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}, {"SYSOP", "2024-08-01", Lost}})});
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons.at(0), F(Code::CertLost, SY, {"TR-4"}));
}
TEST(TR4_Obtained, SameDateTieIsBrokenByFileOrder) {
    auto d = run({trainee(
        {{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01", Lost}, {"SYSOP", "2024-06-01"}})});
    EXPECT_TRUE(d.granted);
    auto d2 = run({trainee(
        {{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}, {"SYSOP", "2024-06-01", Lost}})});
    EXPECT_FALSE(d2.granted);
}

// --- TR-5: not transferable: one card, one trainee, one session ----------------------------
TEST(TR5_NotTransferable, UnknownCardRefused) {
    Scenario s{qualified()};
    s.card = CardState::Unknown;
    auto d = run(s);
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.trainee_no, "");
    EXPECT_EQ(d.reasons, (std::vector<Finding>{F(Code::CardUnknown, std::nullopt, {"TR-5"})}));
}
TEST(TR5_NotTransferable, RevokedCardRefused) {
    Scenario s{qualified()};
    s.card = CardState::Revoked;
    auto d = run(s);
    EXPECT_EQ(d.reasons, (std::vector<Finding>{F(Code::CardRevoked, std::nullopt, {"TR-5"})}));
}
TEST(TR5_NotTransferable, SecondSessionForSameTraineeRefused) {
    Scenario s{qualified()};
    s.in_session = true;
    s.in_use = 1;
    auto d = run(s);
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons, (std::vector<Finding>{F(Code::AlreadyInSession, std::nullopt, {"TR-5"})}));
}

// --- TR-6: retake after the 2024 revision ---------------------------------------------------
TEST(TR6_Retake2024, NewUserWithLegacyCertificatesMustRetake) {
    auto d = run({trainee({{"OVERVIEW", "2023-05-01"}, {"SYSOP", "2023-06-01"}}, "2024-03-01")});
    EXPECT_FALSE(d.granted);
    ASSERT_EQ(d.reasons.size(), 2u);
    EXPECT_EQ(d.reasons[0], F(Code::RetakeRequired, OV, {"TR-6", "TR-7"}));
    EXPECT_EQ(d.reasons[1], F(Code::RetakeRequired, SY, {"TR-6", "TR-7"}));
}
TEST(TR6_Retake2024, NotYetAUserCountsAsNew) {
    auto d = run({trainee({{"OVERVIEW", "2023-05-01"}, {"SYSOP", "2024-06-01"}}, std::nullopt)});
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons.at(0), F(Code::RetakeRequired, OV, {"TR-6", "TR-7"}));
}
TEST(TR6_Retake2024, UserFromFirstOfFebruaryIsNew) {
    auto d = run({trainee({{"OVERVIEW", "2023-05-01"}, {"SYSOP", "2024-06-01"}}, "2024-02-01")});
    EXPECT_TRUE(d.has_reason(Code::RetakeRequired));
}
TEST(TR6_Retake2024, ExistingUserKeepsLegacyCertificatesWithNotice) {
    auto d = run({trainee({{"OVERVIEW", "2023-05-01"}, {"SYSOP", "2023-06-01"}}, "2024-01-31")});
    EXPECT_TRUE(d.granted);
    ASSERT_EQ(d.notices.size(), 2u);
    EXPECT_EQ(d.notices[0], F(Code::RetakeAdvised, OV, {"TR-6"}));
    EXPECT_EQ(d.notices[1], F(Code::RetakeAdvised, SY, {"TR-6"}));
}
TEST(TR6_Retake2024, CertificateOnEffectiveDateIsNotLegacy) {
    auto d = run({trainee({{"OVERVIEW", "2024-01-31"}, {"SYSOP", "2024-01-31"}}, "2024-05-01")});
    EXPECT_TRUE(d.granted);
    EXPECT_TRUE(d.notices.empty());
}
TEST(TR6_Retake2024, RetakenCourseCountsForNewUser) {
    auto d = run({trainee({{"OVERVIEW", "2023-05-01"},
                           {"SYSOP", "2023-06-01"},
                           {"OVERVIEW", "2024-04-01"},
                           {"SYSOP", "2024-05-01"}},
                          "2024-06-01")});
    EXPECT_TRUE(d.granted);
}

// --- TR-7: revisions are data -------------------------------------------------------------
TEST(TR7_RevisionsAreData, AFutureRevisionExcludesOlderCertificates) {
    Revision future{.id = "2026-04-01",
                    .effective_on = D("2026-04-01"),
                    .new_users_from = D("2026-05-01"),
                    .excludes_new_users = true,
                    .advise_existing = false,
                    .rule = "TR-7"};
    std::vector<Revision> revs{revision_2024(), future};
    Trainee t = trainee({{"OVERVIEW", "2025-05-01"}, {"SYSOP", "2025-06-01"}}, "2026-06-01");
    DecisionInput in;
    in.trainee_no = t.trainee_no;
    in.trainee = &t;
    in.mirror_generated_at = T("2026-11-24T02:00:00+09:00");
    in.now = T("2026-11-24T10:00:00+09:00");
    in.revisions = revs;
    auto d = decide(in);
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons.at(0), F(Code::RetakeRequired, OV, {"TR-7"}));
    in.revisions = std::span<const Revision>(revs).first(1);  // without the new revision
    EXPECT_TRUE(decide(in).granted);
}
TEST(TR7_RevisionsAreData, WithoutRevisionsLegacyCertificatesCount) {
    Trainee t = trainee({{"OVERVIEW", "2023-05-01"}, {"SYSOP", "2023-06-01"}}, "2024-03-01");
    DecisionInput in;
    in.trainee_no = t.trainee_no;
    in.trainee = &t;
    in.mirror_generated_at = T("2026-11-24T02:00:00+09:00");
    in.now = T("2026-11-24T10:00:00+09:00");
    EXPECT_TRUE(decide(in).granted);
}

// --- TR-8: eligibility to take the courses -------------------------------------------------
TEST(TR8_RequestAccepted, CompletionBeforeAcceptanceDoesNotCount) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}}, "2023-04-01",
                          "2024-05-15")});
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons.at(0), F(Code::CourseMissing, OV, {"TR-1", "TR-8"}));
}
TEST(TR8_RequestAccepted, CompletionOnAcceptanceDayCounts) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}}, "2023-04-01",
                          "2024-05-01")});
    EXPECT_TRUE(d.granted);
}

// --- TR-9: briefing for newcomers -----------------------------------------------------------
TEST(TR9_Briefing, NoUserRecordAndNoEarlierSessionNeedsBriefing) {
    auto d = run({trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}}, std::nullopt)});
    EXPECT_TRUE(d.granted);
    EXPECT_EQ(d.notices, (std::vector<Finding>{F(Code::BriefingNeeded, std::nullopt, {"TR-9"})}));
}
TEST(TR9_Briefing, EarlierSessionMeansExperienced) {
    Scenario s{trainee({{"OVERVIEW", "2024-05-01"}, {"SYSOP", "2024-06-01"}}, std::nullopt)};
    s.had_session = true;
    EXPECT_TRUE(run(s).notices.empty());
}
TEST(TR9_Briefing, MidnetUserNeedsNoBriefing) {
    EXPECT_FALSE(run({qualified()}).has_notice(Code::BriefingNeeded));
}

// --- TR-10: legacy terminology ----------------------------------------------------------------
TEST(TR10_Terminology, JapaneseAndLegacyCourseNamesAndStatuses) {
    EXPECT_EQ(course_from_feed("概論"), Course::Overview);
    EXPECT_EQ(course_from_feed("MID-NET研修（システム操作）"), Course::SystemOperation);
    EXPECT_EQ(status_from_feed("交付"), CertificateStatus::Issued);
    EXPECT_EQ(status_from_feed("紛失"), CertificateStatus::Lost);
    EXPECT_EQ(status_from_feed("未取得"), CertificateStatus::NotObtained);
    EXPECT_EQ(status_from_feed("取消"), CertificateStatus::Revoked);
    EXPECT_EQ(status_from_feed("ISSUED"), std::nullopt);
}

// --- Site policy: mirror age and seats ------------------------------------------------------
TEST(SitePolicy, StaleMirrorRefuses) {
    Scenario s{qualified()};
    s.generated_at = "2026-11-22T09:59:00+09:00";  // 48 h 1 min old
    auto d = run(s);
    EXPECT_FALSE(d.granted);
    EXPECT_EQ(d.reasons, (std::vector<Finding>{F(Code::MirrorStale, std::nullopt, {})}));
}
TEST(SitePolicy, AgingMirrorGrantsWithNotice) {
    Scenario s{qualified()};
    s.generated_at = "2026-11-23T07:00:00+09:00";  // 27 h
    auto d = run(s);
    EXPECT_TRUE(d.granted);
    EXPECT_EQ(d.notices, (std::vector<Finding>{F(Code::MirrorAging, std::nullopt, {})}));
}
TEST(SitePolicy, NoSnapshotEverIsStale) {
    Trainee t = qualified();
    DecisionInput in;
    in.trainee_no = t.trainee_no;
    in.trainee = &t;
    in.now = T("2026-11-24T10:00:00+09:00");
    EXPECT_TRUE(decide(in).has_reason(Code::MirrorStale));
}
TEST(SitePolicy, AllSeatsTakenRefuses) {
    Scenario s{qualified()};
    s.in_use = 4;
    auto d = run(s);
    EXPECT_EQ(d.reasons, (std::vector<Finding>{F(Code::NoSeat, std::nullopt, {})}));
    s.in_use = 3;
    EXPECT_TRUE(run(s).granted);
}

TEST(DecisionJson, HasTheContractShape) {
    auto d = run({trainee({{"OVERVIEW", "2024-06-01"}, {"SYSOP", "2024-05-01"}})});
    EXPECT_EQ(
        decision_json(d),
        R"({"decision":"deny","notices":[],"reasons":[{"code":"ORDER_VIOLATION","course":"SYSOP","rules":["TR-2"]}],"trainee_no":"T-1"})");
}

}  // namespace
}  // namespace kiosk
