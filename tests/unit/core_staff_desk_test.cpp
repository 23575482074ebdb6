// StaffDesk (issue 11) over in-memory ports and a fake clock: staff sign-in and lockout, rehash,
// overrides and what can never be overridden, ending sessions, enrolment (TR-5), the TR-9 briefing
// queue, records, sync now, the audit view and the trainee look-up. The real SQLite stores are
// covered by db_staff_desk_test.cpp.
#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core_staff_world.h"
#include "kiosk/session_desk.h"
#include "kiosk/staff_desk.h"

namespace kiosk {
namespace {

using testing::cert;
using testing::D;
using testing::plain_start;
using testing::T;
using testing::World;

class StaffDeskTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_GE(sodium_init(), 0);
        secret.fill(7);
        // Cheap hashing keeps the tests fast; the benchmark measures the configured cost.
        config.pin_hash_passes = 1;
        config.pin_hash_memory_mib = 8;
        w.feed =
            FeedState{1, T("2026-11-24T02:00:00+09:00"), "K", T("2026-11-24T03:00:00+09:00"), 3, 5};
        Trainee ok{"A-1",
                   "Taro",
                   "",
                   std::nullopt,
                   D("2023-04-01"),
                   {cert("C1", Course::Overview, "2024-05-01"),
                    cert("C2", Course::SystemOperation, "2024-06-01")}};
        Trainee missing{
            "M-1",
            "Jiro",
            "",
            std::nullopt,
            D("2023-04-01"),
            {cert("C3", Course::Overview, "2024-05-01"),
             cert("C4", Course::SystemOperation, "2024-06-01", CertificateStatus::Lost)}};
        Trainee newcomer{"N-1",
                         "Hanako",
                         "",
                         std::nullopt,
                         std::nullopt,
                         {cert("C5", Course::Overview, "2024-05-01"),
                          cert("C6", Course::SystemOperation, "2024-06-01")}};
        for (auto* t : {&ok, &missing, &newcomer}) w.trainees[t->trainee_no] = *t;
        bind("04000000000001", "A-1");
        bind("04000000000002", "M-1");
        bind("04000000000003", "N-1");
        add_staff("S-1", "Sato", "05000000000001", "123456");
        rebuild();
    }

    void rebuild() {
        gate = std::make_unique<Gatekeeper>(w, w, w, secret, Policy{});
        desk = std::make_unique<StaffDesk>(*gate, w, w, w, w, secret, config, 120, Policy{});
    }
    CardUid uid(const char* hex) {
        std::string err;
        return *parse_card_uid(hex, &err);
    }
    void bind(const char* hex, const char* no) {
        std::string h = card_hash(secret, uid(hex));
        w.cards[h] = CardBinding{h, no, false, now, std::nullopt};
    }
    void add_staff(const char* id, const char* name, const char* hex, const char* pin,
                   PinHashCost cost = {1, 8u << 20}) {
        std::string hash, err;
        ASSERT_TRUE(hash_pin(secret, pin, cost, &hash, &err)) << err;
        w.staff[id] = StaffAccount{id, name, card_hash(secret, uid(hex)), hash, 0, std::nullopt};
    }
    StaffSignIn sign_in() {
        auto r = desk->sign_in(uid("05000000000001"), "123456", now, "reader");
        EXPECT_TRUE(r.outcome.ok()) << r.outcome.message;
        return *r.staff;
    }

    World w;
    SiteSecret secret{};
    StaffConfig config;
    std::unique_ptr<Gatekeeper> gate;
    std::unique_ptr<StaffDesk> desk;
    Instant now = T("2026-11-24T10:00:00+09:00");
};

// ---- Sign-in -----------------------------------------------------------------------------------

TEST_F(StaffDeskTest, StaffCardAndRightPinSignInAndAreAudited) {
    auto r = desk->sign_in(uid("05000000000001"), "123456", now, "reader");
    ASSERT_TRUE(r.outcome.ok()) << r.outcome.message;
    EXPECT_EQ(r.staff->staff_id, "S-1");
    EXPECT_EQ(r.staff->actor(), "staff:S-1");
    ASSERT_EQ(w.audit.size(), 1u);
    EXPECT_EQ(w.audit[0].event.kind, "staff.signin");
    EXPECT_EQ(w.audit[0].event.outcome, "ok");
    EXPECT_EQ(w.audit[0].event.card_prefix, card_hash_prefix(w.staff["S-1"].card_hash));
    EXPECT_EQ(w.audit[0].event.detail.find("123456"), std::string::npos);  // never the PIN
}

TEST_F(StaffDeskTest, FiveWrongPinsLockTheCardForFifteenMinutesThenTheRightPinWorks) {
    CardUid staff = uid("05000000000001");
    for (int i = 1; i <= 4; ++i) {
        auto r = desk->sign_in(staff, "654321", now, "reader");
        EXPECT_EQ(r.outcome.issue, StaffIssue::PinWrong);
        EXPECT_EQ(r.tries_left, 5 - i);
    }
    auto fifth = desk->sign_in(staff, "654321", now, "reader");
    EXPECT_EQ(fifth.outcome.issue, StaffIssue::StaffLocked);
    EXPECT_EQ(*fifth.locked_until, now + std::chrono::minutes(15));
    EXPECT_NE(fifth.outcome.message.find("10:15"), std::string::npos) << fifth.outcome.message;
    // The right PIN is refused while locked, and is not even checked.
    auto right_locked = desk->sign_in(staff, "123456", now + std::chrono::minutes(14), "reader");
    EXPECT_EQ(right_locked.outcome.issue, StaffIssue::StaffLocked);
    EXPECT_FALSE(right_locked.staff);
    auto after = desk->sign_in(staff, "123456", now + std::chrono::minutes(15), "reader");
    EXPECT_TRUE(after.outcome.ok()) << after.outcome.message;
    EXPECT_EQ(w.staff["S-1"].failed_attempts, 0);
    EXPECT_FALSE(w.staff["S-1"].locked_until);
    EXPECT_EQ(
        w.kinds_outcomes(),
        (std::vector<std::string>{"staff.signin/wrong", "staff.signin/wrong", "staff.signin/wrong",
                                  "staff.signin/wrong", "staff.signin/lockout",
                                  "staff.signin/locked", "staff.signin/ok"}));
}

TEST_F(StaffDeskTest, LockoutCountAndDurationComeFromTheConfig) {
    config.max_failed_pins = 2;
    config.lockout_minutes = 3;
    rebuild();
    CardUid staff = uid("05000000000001");
    EXPECT_EQ(desk->sign_in(staff, "000000", now, "r").outcome.issue, StaffIssue::PinWrong);
    auto r = desk->sign_in(staff, "000000", now, "r");
    EXPECT_EQ(r.outcome.issue, StaffIssue::StaffLocked);
    EXPECT_EQ(*r.locked_until, now + std::chrono::minutes(3));
    // After a lock runs out the count starts again.
    EXPECT_EQ(desk->sign_in(staff, "000000", now + std::chrono::minutes(3), "r").outcome.issue,
              StaffIssue::PinWrong);
}

TEST_F(StaffDeskTest, ARightPinResetsTheCount) {
    CardUid staff = uid("05000000000001");
    for (int i = 0; i < 4; ++i) desk->sign_in(staff, "999999", now, "r");
    EXPECT_TRUE(desk->sign_in(staff, "123456", now, "r").outcome.ok());
    EXPECT_EQ(desk->sign_in(staff, "999999", now, "r").tries_left, 4);
}

TEST_F(StaffDeskTest, ShortLongAndNonDigitPinsAreRefusedClearlyAndNotCounted) {
    CardUid staff = uid("05000000000001");
    for (const char* pin : {"", "12345", "1234567890123", "12345a", "１２３４５６", "123 456"}) {
        auto r = desk->sign_in(staff, pin, now, "r");
        EXPECT_EQ(r.outcome.issue, StaffIssue::PinMalformed) << pin;
        EXPECT_EQ(r.outcome.message, "A PIN is 6 to 12 digits");
    }
    EXPECT_EQ(w.staff["S-1"].failed_attempts, 0);
    EXPECT_EQ(w.audit.back().event.outcome, "malformed");
    EXPECT_EQ(pin_problem("12345"), "a PIN has at least 6 digits");
    EXPECT_EQ(pin_problem("1234567890123"), "a PIN has at most 12 digits");
    EXPECT_EQ(pin_problem("12a456"), "a PIN is digits only (0-9)");
    EXPECT_EQ(pin_problem("123456789012"), "");
}

TEST_F(StaffDeskTest, ATraineeCardOrUnknownCardCannotSignIn) {
    auto trainee = desk->sign_in(uid("04000000000001"), "123456", now, "r");
    EXPECT_EQ(trainee.outcome.issue, StaffIssue::NotStaffCard);
    EXPECT_EQ(trainee.outcome.message, "This is a trainee card: tap a staff card to sign in");
    auto unknown = desk->sign_in(uid("04999999999999"), "123456", now, "r");
    EXPECT_EQ(unknown.outcome.issue, StaffIssue::NotStaffCard);
    EXPECT_EQ(unknown.outcome.message, "This card is not a staff card");
    EXPECT_EQ(w.audit.back().event.outcome, "not_staff");
    CardRole role;
    std::string err;
    ASSERT_TRUE(desk->card_role(uid("05000000000001"), &role, &err));
    EXPECT_EQ(role, CardRole::Staff);
    ASSERT_TRUE(desk->card_role(uid("04000000000001"), &role, &err));
    EXPECT_EQ(role, CardRole::Trainee);
}

TEST_F(StaffDeskTest, SignInRehashesThePinWhenTheConfiguredCostRose) {
    std::string old_hash = w.staff["S-1"].pin_hash;
    config.pin_hash_passes = 2;
    config.pin_hash_memory_mib = 9;
    rebuild();
    auto r = desk->sign_in(uid("05000000000001"), "123456", now, "r");
    ASSERT_TRUE(r.outcome.ok());
    EXPECT_TRUE(r.rehashed);
    EXPECT_NE(w.staff["S-1"].pin_hash, old_hash);
    EXPECT_EQ(check_pin(secret, "123456", w.staff["S-1"].pin_hash, {2, 9u << 20}), PinCheck::Right);
    EXPECT_FALSE(desk->sign_in(uid("05000000000001"), "123456", now, "r").rehashed);
}

TEST_F(StaffDeskTest, ThePepperIsNeededToCheckAPin) {
    SiteSecret other;
    other.fill(8);
    EXPECT_EQ(check_pin(other, "123456", w.staff["S-1"].pin_hash, {1, 8u << 20}), PinCheck::Wrong);
}

TEST_F(StaffDeskTest, ConcurrentAttemptsAreEachCountedOnce) {
    CardUid staff = uid("05000000000001");
    // Another kiosk records a wrong PIN between our read and our write: ours is retried on top.
    w.before_cas = [&] { w.staff["S-1"].failed_attempts += 1; };
    auto r = desk->sign_in(staff, "000000", now, "r");
    EXPECT_EQ(r.outcome.issue, StaffIssue::PinWrong);
    EXPECT_EQ(w.staff["S-1"].failed_attempts, 2);
    EXPECT_EQ(r.tries_left, 3);
}

TEST_F(StaffDeskTest, NoAuditNoSignIn) {
    w.audit_fails = true;
    auto r = desk->sign_in(uid("05000000000001"), "123456", now, "r");
    EXPECT_EQ(r.outcome.issue, StaffIssue::Fault);
    EXPECT_FALSE(r.staff);
}

// ---- Override ----------------------------------------------------------------------------------

TEST_F(StaffDeskTest, OverrideOfARefusedTapStartsAMarkedSessionAndAuditsWhy) {
    StaffSignIn who = sign_in();
    auto refused = gate->decide_card(uid("04000000000002"), now, "reader");
    ASSERT_FALSE(refused.decision.granted);
    OverrideRequest req;
    req.card = uid("04000000000002");
    req.reason_choice = config.override_reasons[0];
    req.reason_text = "office confirmed by phone";
    req.minutes = 30;
    auto r = desk->override_refusal(who, req, now);
    ASSERT_TRUE(r.outcome.ok()) << r.outcome.message;
    ASSERT_TRUE(r.tap.session);
    EXPECT_EQ(r.tap.session->override_by, "S-1");
    EXPECT_EQ(r.tap.session->ends_at, now + std::chrono::minutes(30));
    EXPECT_EQ(r.overridden, (std::vector<std::string>{"CERT_LOST"}));
    const AuditEvent& e = w.audit.back().event;
    EXPECT_EQ(e.kind, "session.start");
    EXPECT_EQ(e.outcome, "override");
    EXPECT_EQ(e.actor, "staff:S-1");
    EXPECT_EQ(e.trainee_no, "M-1");
    auto d = nlohmann::json::parse(e.detail);
    EXPECT_EQ(d["override_by"], "S-1");
    std::string why = d["override_reason"];
    EXPECT_NE(why.find("office confirmed by phone"), std::string::npos) << why;
    EXPECT_NE(why.find("CERT_LOST"), std::string::npos) << why;
    EXPECT_EQ(d["ends_at"], format_instant(now + std::chrono::minutes(30)));
}

TEST_F(StaffDeskTest, AnOverrideNeedsAListedOrTypedReasonAndADurationWithinTheMaximum) {
    StaffSignIn who = sign_in();
    OverrideRequest req;
    req.card = uid("04000000000002");
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::ReasonMissing);
    req.reason_text = "   ";
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::ReasonMissing);
    req.reason_text = "two\nlines";
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::ReasonInvalid);
    req.reason_text = "";
    req.reason_choice = "not in the list";
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::ReasonInvalid);
    req.reason_choice = "";
    req.reason_text = "typed only";
    req.minutes = config.override_max_minutes + 1;
    auto r = desk->override_refusal(who, req, now);
    EXPECT_EQ(r.outcome.issue, StaffIssue::DurationOutOfRange);
    EXPECT_EQ(r.outcome.message, "An override lasts 1 to 120 minutes");
    req.minutes = -5;
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::DurationOutOfRange);
    EXPECT_TRUE(w.sessions.empty());  // nothing started by any of these
    EXPECT_EQ(w.audit.back().event.kind, "staff.override");
    EXPECT_EQ(w.audit.back().event.outcome, "refused");
    req.minutes = 0;  // the default: sessions.minutes capped at the maximum
    auto ok = desk->override_refusal(who, req, now);
    ASSERT_TRUE(ok.outcome.ok()) << ok.outcome.message;
    EXPECT_EQ(ok.minutes, 120);
}

TEST_F(StaffDeskTest, AnUnknownCardCannotBeOverriddenEnrolItFirst) {
    StaffSignIn who = sign_in();
    OverrideRequest req{uid("04777777777777"), "", "", "visitor", 10};
    auto r = desk->override_refusal(who, req, now);
    EXPECT_EQ(r.outcome.issue, StaffIssue::UnknownCard);
    EXPECT_EQ(r.outcome.message, "An unknown card cannot be overridden: enrol the card first");
    EXPECT_TRUE(w.sessions.empty());
}

TEST_F(StaffDeskTest, TR5_ATraineeInSessionCannotBeGivenASecondOneEvenByOverride) {
    StaffSignIn who = sign_in();
    OverrideRequest req{uid("04000000000002"), "", "", "phone check", 10};
    ASSERT_TRUE(desk->override_refusal(who, req, now).outcome.ok());
    auto again = desk->override_refusal(who, req, now + std::chrono::minutes(1));
    EXPECT_EQ(again.outcome.issue, StaffIssue::AlreadyInSession);
    EXPECT_NE(again.outcome.message.find("TR-5"), std::string::npos);
    EXPECT_EQ(w.sessions.size(), 1u);
}

TEST_F(StaffDeskTest, AStaffCardNeverStartsATraineeSession) {
    StaffSignIn who = sign_in();
    OverrideRequest req{uid("05000000000001"), "", "", "why not", 10};
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::StaffCardGiven);
    EXPECT_TRUE(w.sessions.empty());
}

TEST_F(StaffDeskTest, ARemovedStaffMemberCanNoLongerAct) {
    StaffSignIn who = sign_in();
    w.staff.erase("S-1");
    OverrideRequest req{uid("04000000000002"), "", "", "phone check", 10};
    EXPECT_EQ(desk->override_refusal(who, req, now).outcome.issue, StaffIssue::NotSignedIn);
    EXPECT_EQ(desk->end_session(who, 1, now).issue, StaffIssue::NotSignedIn);
}

// ---- Sessions ----------------------------------------------------------------------------------

TEST_F(StaffDeskTest, StaffEndAnySessionAuditedWithTheirIdAndASecondEndIsRefusedClearly) {
    StaffSignIn who = sign_in();
    auto started = gate->start_session(plain_start(uid("04000000000001")), now, "reader");
    ASSERT_TRUE(started.session);
    std::vector<SessionRecord> active;
    std::string err;
    ASSERT_TRUE(desk->active_sessions(now, &active, &err));
    ASSERT_EQ(active.size(), 1u);
    auto done = desk->end_session(who, active[0].id, now + std::chrono::minutes(5));
    ASSERT_TRUE(done.ok()) << done.message;
    EXPECT_EQ(w.audit.back().event.kind, "session.end");
    EXPECT_EQ(w.audit.back().event.actor, "staff:S-1");
    auto twice = desk->end_session(who, active[0].id, now + std::chrono::minutes(6));
    EXPECT_EQ(twice.issue, StaffIssue::SessionNotActive);
    EXPECT_NE(twice.message.find("not running any more"), std::string::npos);
}

// With the kiosk program's SessionDesk set, staff's override and end go through the test database's
// gate like a trainee's start and end: opened (audited gate.open) with the ticket handed back for
// the screen, closed with cause "staff"; a gate that fails leaves no session and says so.
struct RecordingGate : SessionGate {
    bool fail = false;
    std::vector<std::string> opened;
    std::vector<std::pair<std::string, EndCause>> closed;
    std::string_view backend() const override { return "recording"; }
    bool survives_restart() const override { return true; }
    GateOpened open(const GateSession& s, Instant) override {
        GateOpened o;
        if (fail) {
            o.refusal = GateRefusal::Unavailable;
            o.error = "server down";
            return o;
        }
        opened.push_back(s.trainee_no);
        o.ok = true;
        o.ticket.backend = "recording";
        o.ticket.role = "r_" + s.trainee_no;
        o.ticket.valid_until = s.ends_at;
        return o;
    }
    bool close(const GateSession& s, EndCause cause, Instant, std::string*) override {
        closed.push_back({s.trainee_no, cause});
        return true;
    }
    bool recover(Instant, std::span<const GateSession>, std::vector<GateClosure>*,
                 std::vector<std::int64_t>*, std::string*) override {
        return true;
    }
};

TEST_F(StaffDeskTest, WithTheSessionDeskOverrideOpensTheGateAndStaffEndClosesItWithCauseStaff) {
    RecordingGate g;
    SessionDesk sessions(*gate, w, w, g);
    desk->set_session_desk(&sessions);
    StaffSignIn who = sign_in();
    OverrideRequest req;
    req.card = uid("04000000000002");
    req.reason_choice = config.override_reasons[0];
    req.minutes = 30;

    g.fail = true;  // the test database is down: no session, and staff are told why
    auto down = desk->override_refusal(who, req, now);
    EXPECT_EQ(down.outcome.issue, StaffIssue::Fault);
    EXPECT_NE(down.outcome.message.find(kGateUnavailableMessage), std::string::npos);
    EXPECT_NE(down.outcome.message.find("server down"), std::string::npos);
    std::vector<SessionRecord> active;
    std::string err;
    ASSERT_TRUE(desk->active_sessions(now, &active, &err));
    EXPECT_TRUE(active.empty()) << "a failed gate leaves no session";

    g.fail = false;
    auto r = desk->override_refusal(who, req, now);
    ASSERT_TRUE(r.outcome.ok()) << r.outcome.message;
    ASSERT_TRUE(r.tap.session && r.ticket);
    EXPECT_EQ(r.ticket->role, "r_M-1");
    EXPECT_EQ(g.opened, std::vector<std::string>{"M-1"});
    bool audited_open = false;
    for (auto& row : w.audit)
        if (row.event.kind == "gate.open" && row.event.outcome == "ok" &&
            row.event.actor == "staff:S-1")
            audited_open = true;
    EXPECT_TRUE(audited_open);

    auto done = desk->end_session(who, r.tap.session->id, now + std::chrono::minutes(5));
    ASSERT_TRUE(done.ok()) << done.message;
    ASSERT_EQ(g.closed.size(), 1u);
    EXPECT_EQ(g.closed[0].first, "M-1");
    EXPECT_EQ(g.closed[0].second, EndCause::EndedByStaff);
    EXPECT_EQ(w.audit.back().event.kind, "session.end");
    EXPECT_EQ(nlohmann::json::parse(w.audit.back().event.detail)["cause"], "staff");
}

// ---- Cards (TR-5) ------------------------------------------------------------------------------

TEST_F(StaffDeskTest, EnrolBindsANewCardAndRevokeUnbindsIt) {
    StaffSignIn who = sign_in();
    CardUid fresh = uid("04123456789ABC");
    auto r = desk->enroll(who, fresh, "N-1", now);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(w.audit.back().event.kind, "card.enroll");
    EXPECT_EQ(w.audit.back().event.actor, "staff:S-1");
    EXPECT_EQ(gate->decide_card(fresh, now, "r").decision.trainee_no, "N-1");
    auto rv = desk->revoke(who, fresh, now);
    ASSERT_TRUE(rv.ok()) << rv.message;
    EXPECT_EQ(w.audit.back().event.kind, "card.unenroll");
    EXPECT_EQ(desk->revoke(who, fresh, now).issue, StaffIssue::CardNotEnrolled);
    EXPECT_EQ(desk->revoke(who, uid("04FFFFFFFFFFFF"), now).issue, StaffIssue::CardNotEnrolled);
}

TEST_F(StaffDeskTest, TR5_EnrolRefusesACardBoundElsewhereAnUnknownTraineeAndAStaffCard) {
    StaffSignIn who = sign_in();
    auto elsewhere = desk->enroll(who, uid("04000000000001"), "N-1", now);
    EXPECT_EQ(elsewhere.issue, StaffIssue::CardBoundElsewhere);
    EXPECT_NE(elsewhere.message.find("TR-5"), std::string::npos);
    EXPECT_EQ(desk->enroll(who, uid("04000000000001"), "A-1", now).issue,
              StaffIssue::CardAlreadyEnrolled);
    auto unknown = desk->enroll(who, uid("04123456789ABC"), "Z-9", now);
    EXPECT_EQ(unknown.issue, StaffIssue::TraineeUnknown);
    EXPECT_EQ(unknown.message, "Trainee number Z-9 is not in the training records: check it");
    EXPECT_EQ(desk->enroll(who, uid("04123456789ABC"), "bad no!", now).issue,
              StaffIssue::TraineeNoMalformed);
    EXPECT_EQ(desk->enroll(who, uid("05000000000001"), "N-1", now).issue,
              StaffIssue::StaffCardGiven);
    EXPECT_EQ(w.cards.at(card_hash(secret, uid("04000000000001"))).trainee_no, "A-1");
    EXPECT_FALSE(w.cards.count(card_hash(secret, uid("04123456789ABC"))));
}

TEST_F(StaffDeskTest, AFailedAuditUndoesTheEnrolment) {
    StaffSignIn who = sign_in();
    w.audit_fails = true;
    auto r = desk->enroll(who, uid("04123456789ABC"), "N-1", now);
    EXPECT_EQ(r.issue, StaffIssue::Fault);
    std::optional<CardBinding> b;
    std::string err;
    w.find_binding(card_hash(secret, uid("04123456789ABC")), &b, &err);
    EXPECT_TRUE(!b || b->revoked);
}

// ---- Briefings (TR-9) --------------------------------------------------------------------------

TEST_F(StaffDeskTest, TR9_ANewcomerQueuesABriefingAndStaffMarkItBriefed) {
    StaffSignIn who = sign_in();
    auto s = gate->start_session(plain_start(uid("04000000000003")), now, "reader");
    ASSERT_TRUE(s.session);
    std::vector<BriefingItem> q;
    std::string err;
    ASSERT_TRUE(desk->briefing_queue(&q, &err));
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].trainee_no, "N-1");
    auto done = desk->briefed(who, "N-1", now);
    ASSERT_TRUE(done.ok()) << done.message;
    EXPECT_EQ(w.audit.back().event.kind, "briefing.done");
    ASSERT_TRUE(desk->briefing_queue(&q, &err));
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(desk->briefed(who, "N-1", now).issue, StaffIssue::NotQueued);
}

// ---- Records, sync, audit ----------------------------------------------------------------------

TEST_F(StaffDeskTest, RecordsShowSequenceAgeAndTheLastErrorAndSyncNowIsAudited) {
    StaffSignIn who = sign_in();
    AuditReceipt rc;
    std::string err;
    w.append({T("2026-11-24T02:10:00+09:00"), "sync.applied", "kioskctl", "", "", "ok",
              R"({"sequence":1})"},
             &rc, &err);
    w.append({T("2026-11-24T09:00:00+09:00"), "sync.rejected", "kioskctl", "", "", "rejected",
              R"({"reason":"signature does not verify"})"},
             &rc, &err);
    RecordsSummary s;
    ASSERT_TRUE(desk->records(now, &s, &err)) << err;
    EXPECT_EQ(s.feed->sequence, 1);
    EXPECT_DOUBLE_EQ(s.age_hours, 8.0);
    EXPECT_EQ(s.state, "fresh");
    EXPECT_EQ(*s.last_sync_at, T("2026-11-24T02:10:00+09:00"));
    EXPECT_EQ(s.last_error, "signature does not verify");
    ASSERT_TRUE(desk->records(now + std::chrono::hours(48), &s, &err));
    EXPECT_EQ(s.state, "stale");

    // "Sync now" starts through the RecordsSync port, audited with the staff id; without one, or
    // while one runs, it is refused with the port's words (audited too).
    auto none = desk->sync_now(who, nullptr, now);
    EXPECT_EQ(none.issue, StaffIssue::SyncFailed);
    EXPECT_EQ(w.audit.back().event.kind, "staff.sync");
    EXPECT_EQ(w.audit.back().event.outcome, "refused");
    struct OneAtATime : RecordsSync {
        bool start(const StaffSignIn& by, Instant at, std::string* refusal) override {
            if (s.running()) {
                *refusal = "A sync is already running on this kiosk";
                return false;
            }
            s.state = SyncStatus::State::Running;
            s.staff_id = by.staff_id;
            s.started_at = at;
            return true;
        }
        SyncStatus status() const override { return s; }
        SyncStatus s;
    } port;
    auto ok = desk->sync_now(who, &port, now);
    EXPECT_TRUE(ok.ok()) << ok.message;
    EXPECT_EQ(port.s.staff_id, who.staff_id);
    EXPECT_EQ(w.audit.back().event.actor, who.actor());
    EXPECT_EQ(w.audit.back().event.outcome, "started");
    EXPECT_NE(w.audit.back().event.detail.find(who.staff_id), std::string::npos);
    auto again = desk->sync_now(who, &port, now);
    EXPECT_EQ(again.issue, StaffIssue::SyncFailed);
    EXPECT_EQ(again.message, "A sync is already running on this kiosk");
    EXPECT_EQ(w.audit.back().event.outcome, "refused");
}

TEST_F(StaffDeskTest, AuditViewShowsTheLatest50NewestFirstAndTheChainState) {
    for (int i = 0; i < 60; ++i) gate->decide_card(uid("04000000000001"), now, "r");
    AuditView v;
    std::string err;
    ASSERT_TRUE(desk->audit_view(50, &v, &err));
    ASSERT_EQ(v.latest.size(), 50u);
    EXPECT_EQ(v.latest.front().seq, 60);
    EXPECT_TRUE(v.chain.ok);
}

// ---- Look-up -----------------------------------------------------------------------------------

TEST_F(StaffDeskTest, LookUpExplainsTheDecisionAndEachCertificateInPlainWords) {
    StaffSignIn who = sign_in();
    auto r = desk->look_up(who, "M-1", now);
    ASSERT_TRUE(r.outcome.ok()) << r.outcome.message;
    EXPECT_FALSE(r.tap.decision.granted);
    ASSERT_EQ(r.certificates.size(), 2u);
    EXPECT_TRUE(r.certificates[0].counts);
    EXPECT_EQ(r.certificates[0].why, "valid");
    EXPECT_FALSE(r.certificates[1].counts);
    EXPECT_EQ(r.certificates[1].why, "reported lost: the course must be retaken (TR-4)");
    ASSERT_GE(r.explanation.size(), 2u);
    EXPECT_EQ(r.explanation[0], "The rules refuse a session");
    EXPECT_NE(r.explanation[1].find("reported lost"), std::string::npos) << r.explanation[1];
    EXPECT_EQ(w.audit.back().event.actor, "staff:S-1");
    EXPECT_EQ(desk->look_up(who, "no such!", now).outcome.issue, StaffIssue::TraineeNoMalformed);
    auto unknown = desk->look_up(who, "Z-9", now);
    EXPECT_TRUE(unknown.outcome.ok());
    EXPECT_TRUE(unknown.tap.decision.has_reason(Code::TraineeUnknown));
}

}  // namespace
}  // namespace kiosk
