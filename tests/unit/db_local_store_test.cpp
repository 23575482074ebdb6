// Tests of the kiosk's local state (db/local_store.h): card enrolment (TR-5), one session per
// trainee (TR-5) and session expiry, staff PINs with lockout, the briefing queue (TR-9) and the
// seeded revisions (TR-7).
#include <gtest/gtest.h>

#include "db/local_store.h"
#include "db/sqlite.h"
#include "db_test_dir.h"
#include "kiosk/domain.h"

namespace kiosk::db {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

const Instant kT0 = *parse_instant("2026-11-24T10:00:00+09:00");
const std::string kCardA(64, 'a');
const std::string kCardB(64, 'b');
const std::string kStaffCard(64, 'c');

SiteSecret pepper() {
    SiteSecret s{};
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return s;
}

struct LocalStoreTest : ::testing::Test {
    TempDir dir;
    LocalStore store{dir / "local.db", true, pepper()};
    std::string err;

    SessionRecord session_for(const std::string& trainee, Instant ends) {
        SessionRecord r;
        r.trainee_no = trainee;
        r.card_hash = kCardA;
        r.ends_at = ends;
        return r;
    }
};

// ---- Cards (TR-5) ----------------------------------------------------------------------------

TEST_F(LocalStoreTest, EnrolledCardIsFoundWithItsTrainee_TR5) {
    ASSERT_TRUE(store.enroll(kCardA, "T-1", kT0, &err)) << err;
    std::optional<CardBinding> b;
    ASSERT_TRUE(store.find_binding(kCardA, &b, &err)) << err;
    ASSERT_TRUE(b);
    EXPECT_EQ(b->trainee_no, "T-1");
    EXPECT_FALSE(b->revoked);
    EXPECT_EQ(b->enrolled_at, kT0);
    EXPECT_FALSE(b->revoked_at);

    ASSERT_TRUE(store.find_binding(kCardB, &b, &err)) << err;
    EXPECT_FALSE(b);
}

TEST_F(LocalStoreTest, CardBoundToOneTraineeCannotBeRebound_TR5) {
    ASSERT_TRUE(store.enroll(kCardA, "T-1", kT0, &err)) << err;
    EXPECT_FALSE(store.enroll(kCardA, "T-2", kT0 + 1s, &err));
    EXPECT_EQ(err, "card is already enrolled to trainee T-1; unenroll it first (TR-5)");
    EXPECT_FALSE(store.enroll(kCardA, "T-1", kT0 + 1s, &err));
    EXPECT_NE(err.find("already enrolled to trainee T-1"), std::string::npos) << err;
    std::optional<CardBinding> b;
    ASSERT_TRUE(store.find_binding(kCardA, &b, &err)) << err;
    EXPECT_EQ(b->trainee_no, "T-1");
}

TEST_F(LocalStoreTest, RebindingMeansRevokingFirst_TR5) {
    ASSERT_TRUE(store.enroll(kCardA, "T-1", kT0, &err)) << err;
    ASSERT_TRUE(store.unenroll(kCardA, kT0 + 1min, &err)) << err;
    std::optional<CardBinding> b;
    ASSERT_TRUE(store.find_binding(kCardA, &b, &err)) << err;
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->revoked);
    EXPECT_EQ(b->revoked_at, kT0 + 1min);

    ASSERT_TRUE(store.enroll(kCardA, "T-2", kT0 + 2min, &err)) << err;
    ASSERT_TRUE(store.find_binding(kCardA, &b, &err)) << err;
    EXPECT_EQ(b->trainee_no, "T-2");
    EXPECT_FALSE(b->revoked);
    EXPECT_FALSE(b->revoked_at);
    EXPECT_EQ(b->enrolled_at, kT0 + 2min);
}

TEST_F(LocalStoreTest, UnenrollUnknownOrRevokedCardIsAnError_TR5) {
    EXPECT_FALSE(store.unenroll(kCardA, kT0, &err));
    EXPECT_NE(err.find("not enrolled"), std::string::npos) << err;
    ASSERT_TRUE(store.enroll(kCardA, "T-1", kT0, &err)) << err;
    ASSERT_TRUE(store.unenroll(kCardA, kT0, &err)) << err;
    EXPECT_FALSE(store.unenroll(kCardA, kT0, &err));
    EXPECT_NE(err.find("already unenrolled"), std::string::npos) << err;
}

TEST_F(LocalStoreTest, EnrollRefusesInvalidTraineeNumber) {
    EXPECT_FALSE(store.enroll(kCardA, "T 1", kT0, &err));
    EXPECT_NE(err.find("not a trainee number"), std::string::npos) << err;
    EXPECT_FALSE(store.enroll("", "T-1", kT0, &err));
}

TEST_F(LocalStoreTest, TwoCardsMayBelongToOneTrainee_TR5) {
    ASSERT_TRUE(store.enroll(kCardA, "T-1", kT0, &err)) << err;
    EXPECT_TRUE(store.enroll(kCardB, "T-1", kT0, &err)) << err;
}

// ---- Sessions (TR-5) -------------------------------------------------------------------------

TEST_F(LocalStoreTest, StartSessionSetsIdAndIsActive) {
    SessionRecord rec = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(rec, kT0, &err)) << err;
    EXPECT_GT(rec.id, 0);
    EXPECT_EQ(rec.started_at, kT0);
    std::vector<SessionRecord> active;
    ASSERT_TRUE(store.active_sessions(kT0 + 1min, &active, &err)) << err;
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0].id, rec.id);
    EXPECT_EQ(active[0].trainee_no, "T-1");
    EXPECT_EQ(active[0].card_hash, kCardA);
    EXPECT_EQ(active[0].ends_at, kT0 + 1h);
    EXPECT_FALSE(active[0].ended_at);
}

TEST_F(LocalStoreTest, OneActiveSessionPerTrainee_TR5) {
    SessionRecord first = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(first, kT0, &err)) << err;
    SessionRecord second = session_for("T-1", kT0 + 2h);
    EXPECT_FALSE(store.start_session(second, kT0 + 10min, &err));
    EXPECT_NE(err.find("trainee T-1 already has an active session"), std::string::npos) << err;
    EXPECT_NE(err.find("TR-5"), std::string::npos) << err;
    EXPECT_EQ(second.id, 0);

    SessionRecord other = session_for("T-2", kT0 + 1h);
    EXPECT_TRUE(store.start_session(other, kT0 + 10min, &err)) << err;

    ASSERT_TRUE(store.end_session(first.id, kT0 + 20min, "ended", &err)) << err;
    EXPECT_TRUE(store.start_session(second, kT0 + 21min, &err)) << err;
}

TEST_F(LocalStoreTest, PartialUniqueIndexEnforcesOneOpenSessionPerTrainee_TR5) {
    SessionRecord first = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(first, kT0, &err)) << err;
    Database db(dir / "local.db", Database::Mode::ReadWrite);
    EXPECT_THROW(db.exec("INSERT INTO sessions(trainee_no, started_at, ends_at) VALUES ('T-1', 1, "
                         "99999999999)"),
                 SqliteError);
    db.exec(
        "INSERT INTO sessions(trainee_no, started_at, ends_at, ended_at) VALUES ('T-1', 1, 2, "
        "2)");
}

TEST_F(LocalStoreTest, ExpiredSessionIsClosedOnlyByCloseExpiredOfItsTrainee) {
    SessionRecord first = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(first, kT0, &err)) << err;
    SessionRecord other = session_for("T-2", kT0 + 1h);
    ASSERT_TRUE(store.start_session(other, kT0, &err)) << err;
    std::vector<SessionRecord> active;
    ASSERT_TRUE(store.active_sessions(kT0 + 1h, &active, &err)) << err;
    EXPECT_TRUE(active.empty());  // ends_at <= now: not active, although not closed

    // A start does not close it behind the caller's back: the caller closes and audits it.
    SessionRecord again = session_for("T-1", kT0 + 3h);
    EXPECT_FALSE(store.start_session(again, kT0 + 1h, &err));
    EXPECT_NE(err.find("past its end"), std::string::npos) << err;
    std::vector<SessionRecord> closed;
    ASSERT_TRUE(store.close_expired("T-1", kT0 + 1h, &closed, &err)) << err;
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].id, first.id);
    EXPECT_EQ(closed[0].end_reason, "expired");
    ASSERT_TRUE(store.start_session(again, kT0 + 1h, &err)) << err;
    std::vector<SessionRecord> all;
    ASSERT_TRUE(store.list_sessions(false, kT0 + 1h, &all, &err)) << err;
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].ended_at, kT0 + 1h);
    EXPECT_EQ(all[0].end_reason, "expired");
    EXPECT_FALSE(all[1].ended_at);  // T-2's: another trainee's session is not touched
    EXPECT_FALSE(all[2].ended_at);
}

// Issue 9 item 8: a time far ahead ending one session changes no other session.
TEST_F(LocalStoreTest, EndSessionAtAFutureTimeChangesNothingElse) {
    SessionRecord a = session_for("T-1", kT0 + 2h);
    SessionRecord b = session_for("T-2", kT0 + 2h);
    ASSERT_TRUE(store.start_session(a, kT0, &err)) << err;
    ASSERT_TRUE(store.start_session(b, kT0, &err)) << err;
    EXPECT_FALSE(store.end_session(a.id, kT0 + 24h * 365, "ended", &err));
    std::vector<SessionRecord> active;
    ASSERT_TRUE(store.active_sessions(kT0 + 1h, &active, &err)) << err;
    EXPECT_EQ(active.size(), 2u);
    std::vector<SessionRecord> all;
    ASSERT_TRUE(store.list_sessions(false, kT0, &all, &err)) << err;
    for (auto& s : all) EXPECT_FALSE(s.ended_at) << s.id;
}

// Issue 9 item 12: a staff card is not a trainee card, and the reverse.
TEST_F(LocalStoreTest, StaffCardCannotBeEnrolledAsATraineeCard) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kCardA, "1234", &err)) << err;
    EXPECT_FALSE(store.enroll(kCardA, "T-1", kT0, &err));
    EXPECT_NE(err.find("staff card of S-1"), std::string::npos) << err;
    std::optional<CardBinding> b;
    ASSERT_TRUE(store.find_binding(kCardA, &b, &err)) << err;
    EXPECT_FALSE(b);
    ASSERT_TRUE(store.enroll(kCardB, "T-1", kT0, &err)) << err;
    EXPECT_FALSE(store.add_staff("S-2", "Suzuki", kCardB, "1234", &err));
    EXPECT_NE(err.find("enrolled as a trainee card"), std::string::npos) << err;
}

// Issue 9 item 14: names are one printable line of 1-100 characters.
TEST_F(LocalStoreTest, StaffNamesAreOnePrintableLineOfAtMost100Characters) {
    EXPECT_FALSE(store.add_staff("S-1", "Sato\nS-9  Admin  card 00", kCardA, "1234", &err));
    EXPECT_NE(err.find("control character (U+000A)"), std::string::npos) << err;
    EXPECT_FALSE(store.add_staff("S-1", "Sato\x1b[2J", kCardA, "1234", &err));
    EXPECT_NE(err.find("U+001B"), std::string::npos) << err;
    EXPECT_FALSE(store.add_staff("S-1", "Sato\u202Eevil", kCardA, "1234", &err));
    EXPECT_FALSE(store.add_staff("S-1", "Sato\xff", kCardA, "1234", &err));
    EXPECT_NE(err.find("not valid UTF-8"), std::string::npos) << err;
    EXPECT_FALSE(store.add_staff("S-1", "", kCardA, "1234", &err));
    EXPECT_NE(err.find("1-100 characters"), std::string::npos) << err;
    // The limit is 100 characters, counted as characters, not bytes.
    std::string kanji;
    for (int i = 0; i < 100; ++i) kanji += "\u4f50";  // 3 bytes each
    ASSERT_TRUE(store.add_staff("S-1", kanji, kCardA, "1234", &err)) << err;
    EXPECT_FALSE(store.add_staff("S-2", std::string(101, 'a'), kCardB, "1234", &err));
    EXPECT_EQ(err, "the staff name is 101 characters long: at most 100");
}

TEST_F(LocalStoreTest, StartSessionRefusesAnEndNotInTheFuture) {
    SessionRecord rec = session_for("T-1", kT0);
    EXPECT_FALSE(store.start_session(rec, kT0, &err));
    EXPECT_NE(err.find("not after now"), std::string::npos) << err;
}

TEST_F(LocalStoreTest, EndSessionRecordsReasonAndRefusesUnknownOrEnded) {
    SessionRecord rec = session_for("T-1", kT0 + 1h);
    rec.override_by = "S-1";
    rec.override_reason = "network check; overrode ORDER_VIOLATION";
    ASSERT_TRUE(store.start_session(rec, kT0, &err)) << err;
    ASSERT_TRUE(store.end_session(rec.id, kT0 + 5min, "staff", &err)) << err;
    EXPECT_FALSE(store.end_session(rec.id, kT0 + 6min, "staff", &err));
    EXPECT_NE(err.find("already ended"), std::string::npos) << err;
    EXPECT_FALSE(store.end_session(999, kT0, "ended", &err));
    EXPECT_EQ(err, "there is no session #999");

    std::vector<SessionRecord> all;
    ASSERT_TRUE(store.list_sessions(false, kT0 + 1h, &all, &err)) << err;
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].ended_at, kT0 + 5min);
    EXPECT_EQ(all[0].end_reason, "staff");
    EXPECT_EQ(all[0].override_by, "S-1");
    EXPECT_EQ(all[0].override_reason, "network check; overrode ORDER_VIOLATION");
}

// An extension moves a running session's end only from the end the caller saw (compare-and-set):
// never an ended or expired session, never twice from the same old end, never backwards.
TEST_F(LocalStoreTest, ExtendSessionMovesOnlyARunningSessionsEndFromTheEndSeen) {
    SessionRecord rec = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(rec, kT0, &err)) << err;
    ASSERT_TRUE(store.extend_session(rec.id, kT0 + 1h, kT0 + 90min, kT0 + 56min, &err)) << err;
    std::vector<SessionRecord> active;
    ASSERT_TRUE(store.list_sessions(true, kT0 + 70min, &active, &err)) << err;
    ASSERT_EQ(active.size(), 1u);  // running past its old end
    EXPECT_EQ(active[0].ends_at, kT0 + 90min);
    EXPECT_FALSE(store.extend_session(rec.id, kT0 + 1h, kT0 + 2h, kT0 + 57min, &err));
    EXPECT_NE(err.find("changed meanwhile"), std::string::npos) << err;
    EXPECT_FALSE(store.extend_session(rec.id, kT0 + 90min, kT0 + 80min, kT0 + 57min, &err));
    EXPECT_FALSE(store.extend_session(rec.id, kT0 + 90min, kT0 + 2h, kT0 + 91min, &err));
    EXPECT_NE(err.find("expired"), std::string::npos) << err;
    EXPECT_FALSE(store.extend_session(999, kT0 + 90min, kT0 + 2h, kT0 + 57min, &err));
    ASSERT_TRUE(store.end_session(rec.id, kT0 + 60min, "ended", &err)) << err;
    EXPECT_FALSE(store.extend_session(rec.id, kT0 + 90min, kT0 + 2h, kT0 + 61min, &err));
    EXPECT_NE(err.find("already ended"), std::string::npos) << err;
    std::vector<SessionRecord> all;
    ASSERT_TRUE(store.list_sessions(false, kT0, &all, &err)) << err;
    EXPECT_EQ(all[0].ends_at, kT0 + 90min);
}

TEST_F(LocalStoreTest, EndingAnExpiredSessionIsAnError) {
    SessionRecord rec = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(rec, kT0, &err)) << err;
    EXPECT_FALSE(store.end_session(rec.id, kT0 + 2h, "ended", &err));
    EXPECT_NE(err.find("expired"), std::string::npos) << err;
}

TEST_F(LocalStoreTest, HadSessionLooksOnlyBeforeNow_TR9) {
    bool had = true;
    ASSERT_TRUE(store.had_session("T-1", kT0, &had, &err)) << err;
    EXPECT_FALSE(had);
    SessionRecord rec = session_for("T-1", kT0 + 1h);
    ASSERT_TRUE(store.start_session(rec, kT0, &err)) << err;
    ASSERT_TRUE(store.had_session("T-1", kT0, &had, &err)) << err;
    EXPECT_FALSE(had);
    ASSERT_TRUE(store.had_session("T-1", kT0 + 1s, &had, &err)) << err;
    EXPECT_TRUE(had);
    ASSERT_TRUE(store.had_session("T-2", kT0 + 1s, &had, &err)) << err;
    EXPECT_FALSE(had);
}

// ---- Staff -----------------------------------------------------------------------------------

TEST_F(LocalStoreTest, StaffPinMustBeFourToTwelveDigits) {
    for (const char* bad : {"123", "1234567890123", "12a4", "", "12 34"}) {
        EXPECT_FALSE(store.add_staff("S-1", "Sato", kStaffCard, bad, &err)) << bad;
        EXPECT_EQ(err, "the PIN must be 4 to 12 digits (0-9)");
    }
    EXPECT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "1234", &err)) << err;
    EXPECT_TRUE(store.add_staff("S-2", "Suzuki", kCardB, "123456789012", &err)) << err;
}

TEST_F(LocalStoreTest, StaffIdAndCardAreUnique) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    EXPECT_FALSE(store.add_staff("S-1", "Other", kCardB, "2468", &err));
    EXPECT_EQ(err, "staff id S-1 already exists");
    EXPECT_FALSE(store.add_staff("S-2", "Other", kStaffCard, "2468", &err));
    EXPECT_EQ(err, "this card is already the card of staff S-1");
}

TEST_F(LocalStoreTest, PinIsStoredOnlyAsArgon2idHash) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "246810", &err)) << err;
    Database db(dir / "local.db", Database::Mode::ReadOnly);
    auto st = db.prepare("SELECT pin_hash FROM staff");
    ASSERT_TRUE(st.step());
    std::string hash = st.column_text(0);
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
    EXPECT_EQ(hash.find("246810"), std::string::npos);
}

TEST_F(LocalStoreTest, StaffListAndRemove) {
    ASSERT_TRUE(store.add_staff("S-2", "Suzuki", kCardB, "2468", &err)) << err;
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    std::vector<StaffMember> staff;
    ASSERT_TRUE(store.list_staff(&staff, &err)) << err;
    ASSERT_EQ(staff.size(), 2u);
    EXPECT_EQ(staff[0].id, "S-1");
    EXPECT_EQ(staff[0].name, "Sato");
    EXPECT_EQ(staff[0].card_hash, kStaffCard);
    ASSERT_TRUE(store.remove_staff("S-1", &err)) << err;
    EXPECT_FALSE(store.remove_staff("S-1", &err));
    EXPECT_EQ(err, "there is no staff member with id S-1");
    ASSERT_TRUE(store.list_staff(&staff, &err)) << err;
    EXPECT_EQ(staff.size(), 1u);
}

TEST_F(LocalStoreTest, VerifyPinOkWrongUnknown) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    StaffCheck c;
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "2468", kT0, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Ok);
    EXPECT_EQ(c.staff_id, "S-1");
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "1357", kT0, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Wrong);
    EXPECT_EQ(c.staff_id, "S-1");
    EXPECT_EQ(c.failed_attempts, 1);
    ASSERT_TRUE(store.verify_staff_pin(kCardB, "2468", kT0, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Unknown);
    EXPECT_EQ(staff_check_code(c.result), "unknown");
}

TEST_F(LocalStoreTest, PinDependsOnThePepper) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    SiteSecret other = pepper();
    other[0] ^= 1;
    LocalStore elsewhere(dir / "local.db", false, other);
    StaffCheck c;
    ASSERT_TRUE(elsewhere.verify_staff_pin(kStaffCard, "2468", kT0, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Wrong);

    LocalStore unpeppered(dir / "local.db", false);
    EXPECT_FALSE(unpeppered.verify_staff_pin(kStaffCard, "2468", kT0, &c, &err));
    EXPECT_NE(err.find("site secret"), std::string::npos) << err;
}

TEST_F(LocalStoreTest, FiveWrongPinsLockTheStaffCardForFifteenMinutes) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    StaffCheck c;
    for (int i = 1; i <= 4; ++i) {
        ASSERT_TRUE(
            store.verify_staff_pin(kStaffCard, "0000", kT0 + std::chrono::seconds{i}, &c, &err))
            << err;
        EXPECT_EQ(c.result, StaffCheck::Result::Wrong);
        EXPECT_EQ(c.failed_attempts, i);
        EXPECT_FALSE(c.locked_now);
        EXPECT_FALSE(c.locked_until);
    }
    const Instant fifth = kT0 + 5s;
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "0000", fifth, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Wrong);
    EXPECT_TRUE(c.locked_now);
    EXPECT_EQ(c.locked_until, fifth + 15min);

    // Locked: even the right PIN is refused, without unlocking.
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "2468", fifth + 1min, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Locked);
    EXPECT_EQ(c.staff_id, "S-1");
    EXPECT_EQ(c.locked_until, fifth + 15min);
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "2468", fifth + 15min - 1s, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Locked);

    // After 15 minutes the right PIN works and the count is reset.
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "2468", fifth + 15min, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Ok);
    EXPECT_EQ(c.failed_attempts, 0);
    std::vector<StaffMember> staff;
    ASSERT_TRUE(store.list_staff(&staff, &err)) << err;
    EXPECT_EQ(staff[0].failed_attempts, 0);
    EXPECT_FALSE(staff[0].locked_until);
}

TEST_F(LocalStoreTest, LockoutSurvivesReopen) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    StaffCheck c;
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "9999", kT0, &c, &err)) << err;
    LocalStore reopened(dir / "local.db", false, pepper());
    ASSERT_TRUE(reopened.verify_staff_pin(kStaffCard, "2468", kT0 + 14min, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Locked);
}

TEST_F(LocalStoreTest, RightPinResetsTheCount) {
    ASSERT_TRUE(store.add_staff("S-1", "Sato", kStaffCard, "2468", &err)) << err;
    StaffCheck c;
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "9999", kT0, &c, &err)) << err;
    ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "2468", kT0, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Ok);
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(store.verify_staff_pin(kStaffCard, "9999", kT0, &c, &err)) << err;
    EXPECT_EQ(c.result, StaffCheck::Result::Wrong);
    EXPECT_FALSE(c.locked_until);
}

// ---- Briefings (TR-9) and revisions (TR-7) ---------------------------------------------------

TEST_F(LocalStoreTest, BriefingQueue_TR9) {
    ASSERT_TRUE(store.mark_briefing_needed("T-2", kT0 + 1min, &err)) << err;
    ASSERT_TRUE(store.mark_briefing_needed("T-1", kT0, &err)) << err;
    ASSERT_TRUE(store.mark_briefing_needed("T-1", kT0 + 5min, &err)) << err;  // no-op
    std::vector<BriefingEntry> q;
    ASSERT_TRUE(store.briefing_queue(&q, &err)) << err;
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].trainee_no, "T-1");
    EXPECT_EQ(q[0].needed_since, kT0);
    EXPECT_EQ(q[1].trainee_no, "T-2");

    ASSERT_TRUE(store.mark_briefed("T-1", "S-1", kT0 + 10min, &err)) << err;
    ASSERT_TRUE(store.briefing_queue(&q, &err)) << err;
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].trainee_no, "T-2");

    // A briefed trainee is not queued again.
    ASSERT_TRUE(store.mark_briefing_needed("T-1", kT0 + 1h, &err)) << err;
    ASSERT_TRUE(store.briefing_queue(&q, &err)) << err;
    EXPECT_EQ(q.size(), 1u);
}

TEST_F(LocalStoreTest, RevisionsAreSeededWith2024Revision_TR7) {
    std::vector<Revision> revs;
    ASSERT_TRUE(store.revisions(&revs, &err)) << err;
    ASSERT_EQ(revs.size(), 1u);
    Revision expected = revision_2024();
    EXPECT_EQ(revs[0].id, expected.id);
    EXPECT_EQ(revs[0].effective_on, expected.effective_on);
    EXPECT_EQ(revs[0].new_users_from, expected.new_users_from);
    EXPECT_EQ(revs[0].excludes_new_users, expected.excludes_new_users);
    EXPECT_EQ(revs[0].advise_existing, expected.advise_existing);
    EXPECT_EQ(revs[0].rule, expected.rule);
}

TEST_F(LocalStoreTest, RevisionsAreData_TR7) {
    {
        Database db(dir / "local.db", Database::Mode::ReadWrite);
        db.exec(
            "INSERT INTO revisions VALUES ('2030-04-01', '2030-04-01', '2030-04-01', 1, 0, "
            "'TR-6')");
    }
    std::vector<Revision> revs;
    ASSERT_TRUE(store.revisions(&revs, &err)) << err;
    ASSERT_EQ(revs.size(), 2u);
    EXPECT_EQ(revs[1].id, "2030-04-01");
    EXPECT_FALSE(revs[1].advise_existing);
}

// ---- Opening ---------------------------------------------------------------------------------

TEST(LocalStoreOpen, RefusesMissingAndUninitialisedFiles) {
    TempDir dir;
    try {
        LocalStore s(dir / "local.db", false);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("run kioskctl init"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "local.db"));
    { Database empty(dir / "local.db", Database::Mode::ReadWriteCreate); }
    try {
        LocalStore s(dir / "local.db", false);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "local.db is not initialised: run kioskctl init");
    }
}

TEST(LocalStoreOpen, NewerSchemaIsRefusedAndTheFileIsUnchanged) {
    TempDir dir;
    std::string path = dir / "local.db";
    { LocalStore s(path, true); }
    {
        Database db(path, Database::Mode::ReadWrite);
        db.set_user_version(7);
    }
    std::string before = testing::read_bytes(path);
    for (bool create : {false, true}) {
        try {
            LocalStore s(path, create);
            FAIL() << "opened a newer local.db";
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(std::string(e.what()),
                      "local.db has schema version 7, newer than this program supports (3): "
                      "upgrade the kiosk software");
        }
        EXPECT_EQ(testing::read_bytes(path), before);
    }
}

TEST(LocalStoreOpen, CreateIsIdempotentAndKeepsData) {
    TempDir dir;
    std::string path = dir / "local.db";
    std::string err;
    {
        LocalStore s(path, true);
        ASSERT_TRUE(s.enroll(kCardA, "T-1", kT0, &err)) << err;
    }
    LocalStore again(path, true);
    std::optional<CardBinding> b;
    ASSERT_TRUE(again.find_binding(kCardA, &b, &err)) << err;
    EXPECT_TRUE(b);
    std::vector<Revision> revs;
    ASSERT_TRUE(again.revisions(&revs, &err)) << err;
    EXPECT_EQ(revs.size(), 1u);
}

}  // namespace
}  // namespace kiosk::db
