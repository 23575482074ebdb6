// The kiosk state machine (kiosk/kiosk_machine.h): every transition of the trainee's journey
// (product.md section 1, issue 8 item 2) driven by events and a fake clock, no window.
#include <gtest/gtest.h>

#include <chrono>

#include "kiosk/config.h"
#include "kiosk/kiosk_machine.h"

namespace kiosk {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// A fake clock: monotonic and wall time move together unless a test jumps the wall clock.
struct FakeClock {
    Now now{MonoTime{1'000'000}, Instant{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1}} +
                                     std::chrono::hours{1}};
    void advance(milliseconds d) {
        now.mono += d;
        now.wall += std::chrono::duration_cast<std::chrono::seconds>(d);
    }
    void jump_wall(std::chrono::seconds d) { now.wall += d; }
};

CardUid uid(std::uint8_t last) { return CardUid{{0x04, 0xA1, 0xB2, last}}; }

TapResult granted(std::string trainee_no = "T-1001", std::string name = "Yamada Hanako") {
    TapResult r;
    r.decision.granted = true;
    r.decision.trainee_no = trainee_no;
    r.trainee = Trainee{};
    r.trainee->trainee_no = trainee_no;
    r.trainee->name = name;
    return r;
}

TapResult refused(Code code, std::vector<std::string> rules = {}) {
    TapResult r;
    r.decision.granted = false;
    r.decision.trainee_no = "T-2002";
    r.decision.reasons.push_back(Finding{code, std::nullopt, rules});
    return r;
}

class Machine : public ::testing::Test {
protected:
    MachineSettings settings;
    FakeClock clock;
    KioskState st;
    std::vector<Effect> fx;
    bool changed = false;

    void SetUp() override {
        settings.session_minutes = 30;
        st = initial_state(settings, clock.now);
        feed(ReaderBack{"Simulated Reader"});
        feed(RecordsStatus{clock.now.wall - std::chrono::hours{2}, 4, 4});
    }
    void restart(MachineSettings s) {
        settings = s;
        SetUp();
    }

    void feed(const Event& e) {
        Step s = step(st, e, clock.now);
        st = std::move(s.state);
        fx = std::move(s.effects);
        changed = s.changed;
    }
    void tick() { feed(Tick{}); }
    void pass(milliseconds d) {
        clock.advance(d);
        tick();
    }
    void press(Intent i) { feed(IntentEvent{i}); }

    template <class T>
    const T& only_effect() {
        EXPECT_EQ(fx.size(), 1u);
        const T* p = fx.empty() ? nullptr : std::get_if<T>(&fx.front());
        if (!p) {
            ADD_FAILURE() << "expected effect not found; got "
                          << (fx.empty() ? "none" : std::string(effect_name(fx.front())));
            static T empty{};
            return empty;
        }
        return *p;
    }
    template <class T>
    bool has_effect() const {
        for (const Effect& e : fx)
            if (std::holds_alternative<T>(e)) return true;
        return false;
    }

    // Taps `card` and answers the DecideCard with `r` after `delay`.
    void tap_and_decide(CardUid card, TapResult r, milliseconds delay = 20ms) {
        feed(CardPresented{card, "Simulated Reader"});
        std::uint64_t req = only_effect<DecideCard>().request;
        clock.advance(delay);
        feed(Decided{req, std::move(r)});
    }

    // Tap, grant, Start, session started with ends_at = now + minutes.
    void start_session(CardUid card, int minutes = 30, std::int64_t id = 7) {
        tap_and_decide(card, granted());
        ASSERT_EQ(st.screen, Screen::Granted);
        press(Intent::Start);
        auto req = only_effect<StartSession>();
        EXPECT_EQ(req.uid, card);
        EXPECT_EQ(req.minutes, settings.session_minutes);
        TapResult r = granted();
        r.session = SessionRecord{};
        r.session->id = id;
        r.session->trainee_no = "T-1001";
        r.session->started_at = clock.now.wall;
        r.session->ends_at = clock.now.wall + std::chrono::minutes{minutes};
        feed(SessionStarted{req.request, r, std::nullopt, ""});
        ASSERT_EQ(st.screen, Screen::Session);
    }
};

TEST_F(Machine, StartsIdleInTheSiteLanguageWithTheStatusStrip) {
    EXPECT_EQ(st.screen, Screen::Idle);
    EXPECT_EQ(st.lang, Lang::Ja);
    EXPECT_TRUE(st.reader.connected);
    EXPECT_EQ(st.free_seats, 4);
    EXPECT_FALSE(next_deadline(st).has_value());  // nothing due: the loop may sleep
}

TEST_F(Machine, TapDecidesOnTheWorkerAndShowsTheGrantWithoutCheckingWhenFast) {
    feed(CardPresented{uid(1), "R"});
    auto d = only_effect<DecideCard>();
    EXPECT_EQ(d.uid, uid(1));
    EXPECT_EQ(d.reader, "R");
    EXPECT_EQ(st.screen, Screen::Idle);  // nothing new shows before 150 ms
    ASSERT_TRUE(next_deadline(st));
    EXPECT_EQ(*next_deadline(st), clock.now.mono + 150ms);
    pass(149ms);
    EXPECT_EQ(st.screen, Screen::Idle);
    feed(Decided{d.request, granted()});
    EXPECT_EQ(st.screen, Screen::Granted);
    ASSERT_TRUE(st.result);
    EXPECT_EQ(st.result->result.trainee->name, "Yamada Hanako");
    EXPECT_TRUE(changed);
}

TEST_F(Machine, CheckingShowsOnlyAfter150ms) {
    feed(CardPresented{uid(1), "R"});
    auto req = only_effect<DecideCard>().request;
    pass(150ms);
    EXPECT_EQ(st.screen, Screen::Checking);
    EXPECT_TRUE(changed);
    pass(2000ms);  // a slow disk: still checking, never stuck elsewhere
    EXPECT_EQ(st.screen, Screen::Checking);
    feed(Decided{req, refused(Code::CardUnknown)});
    EXPECT_EQ(st.screen, Screen::Refused);
}

TEST_F(Machine, RefusalShowsReasonsAndGoesBackToIdleAfter20s) {
    tap_and_decide(uid(2), refused(Code::OrderViolation, {"TR-2"}));
    ASSERT_EQ(st.screen, Screen::Refused);
    EXPECT_EQ(st.result->result.decision.reasons[0].rules[0], "TR-2");
    EXPECT_EQ(*next_deadline(st), clock.now.mono + 20s);
    pass(19'999ms);
    EXPECT_EQ(st.screen, Screen::Refused);
    pass(1ms);
    EXPECT_EQ(st.screen, Screen::Idle);
    EXPECT_FALSE(st.result);
}

TEST_F(Machine, GrantedAlsoGoesBackToIdleAfter20sWithoutStart) {
    tap_and_decide(uid(1), granted());
    pass(20s);
    EXPECT_EQ(st.screen, Screen::Idle);
}

TEST_F(Machine, OkAndCancelDismissAResult) {
    tap_and_decide(uid(2), refused(Code::CardUnknown));
    press(Intent::Ok);
    EXPECT_EQ(st.screen, Screen::Idle);
    tap_and_decide(uid(1), granted());
    press(Intent::Cancel);
    EXPECT_EQ(st.screen, Screen::Idle);
}

TEST_F(Machine, AnotherCardDuringAResultShowsTheNewResult) {
    tap_and_decide(uid(2), refused(Code::CertLost, {"TR-4"}));
    feed(CardPresented{uid(1), "R"});
    auto req = only_effect<DecideCard>().request;
    EXPECT_EQ(st.screen, Screen::Refused);  // old result until the new one is decided
    feed(Decided{req, granted()});
    EXPECT_EQ(st.screen, Screen::Granted);
    EXPECT_EQ(st.result->uid, uid(1));
}

TEST_F(Machine, ANewTapSupersedesAPendingDecision) {
    feed(CardPresented{uid(1), "R"});
    auto first = only_effect<DecideCard>().request;
    feed(CardPresented{uid(2), "R"});
    auto second = only_effect<DecideCard>().request;
    EXPECT_NE(first, second);
    feed(Decided{first, granted()});  // stale answer: ignored
    EXPECT_FALSE(changed);
    EXPECT_EQ(st.screen, Screen::Idle);
    feed(Decided{second, refused(Code::CardUnknown)});
    EXPECT_EQ(st.screen, Screen::Refused);
    EXPECT_EQ(st.result->uid, uid(2));
}

TEST_F(Machine, CallStaffOnARefusalIsRequestedOnceAndKeepsTheScreen) {
    tap_and_decide(uid(2), refused(Code::CourseMissing, {"TR-1"}));
    pass(15s);
    press(Intent::CallStaff);
    auto c = only_effect<CallStaff>();
    EXPECT_EQ(c.trainee_no, "T-2002");
    ASSERT_EQ(c.codes.size(), 1u);
    EXPECT_EQ(c.codes[0], "COURSE_MISSING");
    EXPECT_TRUE(st.result->staff_called);
    press(Intent::CallStaff);
    EXPECT_TRUE(fx.empty());
    pass(10s);  // the timeout restarted when staff was called
    EXPECT_EQ(st.screen, Screen::Refused);
    pass(10s);
    EXPECT_EQ(st.screen, Screen::Idle);
}

TEST_F(Machine, LanguageTogglesAnywhereAndResetsForTheNextTrainee) {
    press(Intent::Language);
    EXPECT_EQ(st.lang, Lang::En);
    tap_and_decide(uid(2), refused(Code::CardUnknown));
    EXPECT_EQ(st.lang, Lang::En);  // the trainee's choice holds through their result
    press(Intent::Ok);
    EXPECT_EQ(st.lang, Lang::Ja);
}

TEST_F(Machine, StartBeginsTheSessionAndTheCountdownRunsOnTheMonotonicClock) {
    start_session(uid(1), 30);
    EXPECT_TRUE(has_effect<RefreshRecords>());
    EXPECT_EQ(session_time_left(st, clock.now), 30min);
    pass(10min);
    EXPECT_EQ(session_time_left(st, clock.now), 20min);
    EXPECT_EQ(st.screen, Screen::Session);
    EXPECT_FALSE(st.session->warning);
}

TEST_F(Machine, StartOnlyFromAGrant) {
    tap_and_decide(uid(2), refused(Code::CardUnknown));
    press(Intent::Start);
    EXPECT_TRUE(fx.empty());
    EXPECT_FALSE(changed);
}

TEST_F(Machine, StartRefusedByTheFreshDecisionShowsTheRefusal) {
    tap_and_decide(uid(1), granted());
    press(Intent::Start);
    auto req = only_effect<StartSession>().request;
    feed(SessionStarted{req, refused(Code::NoSeat), std::nullopt, ""});
    EXPECT_EQ(st.screen, Screen::Refused);
    EXPECT_FALSE(st.session);
}

TEST_F(Machine, AGateFailureKeepsTheGrantAndSaysWhy) {
    tap_and_decide(uid(1), granted());
    press(Intent::Start);
    auto req = only_effect<StartSession>().request;
    pass(200ms);
    EXPECT_EQ(st.screen, Screen::Checking);
    feed(SessionStarted{req, granted(), std::nullopt, "test database unavailable"});
    EXPECT_EQ(st.screen, Screen::Granted);
    EXPECT_EQ(st.problem, "test database unavailable");
    EXPECT_FALSE(st.session);
    press(Intent::Start);  // it can be tried again
    EXPECT_TRUE(has_effect<StartSession>());
}

TEST_F(Machine, WarningFiveMinutesBeforeTheEndAndTheSessionEndsUntouched) {
    start_session(uid(1), 30);
    EXPECT_EQ(*next_deadline(st), clock.now.mono + 25min);
    pass(25min - 1s);
    EXPECT_FALSE(st.session->warning);
    pass(1s);
    EXPECT_TRUE(st.session->warning);
    EXPECT_TRUE(changed);
    EXPECT_FALSE(can_extend(st));  // extend_minutes = 0: off
    press(Intent::Ok);
    EXPECT_TRUE(st.session->warning_dismissed);
    EXPECT_EQ(*next_deadline(st), clock.now.mono + 5min);
    pass(5min);  // nobody touches the kiosk
    EXPECT_EQ(st.screen, Screen::SessionEnded);
    auto e = only_effect<EndSession>();
    EXPECT_EQ(e.session_id, 7);
    EXPECT_EQ(e.reason, "expired");
    EXPECT_FALSE(st.session);  // the screen is cleared
    EXPECT_EQ(st.ended_reason, "expired");
    pass(10s);
    EXPECT_EQ(st.screen, Screen::Idle);
}

TEST_F(Machine, ASessionEndsEvenWhenTheLoopOnlyTicksLate) {
    start_session(uid(1), 30);
    pass(31min);  // one late tick: the warning shows first and gives at least 20 s
    EXPECT_EQ(st.screen, Screen::Session);
    EXPECT_TRUE(st.session->warning);
    pass(19s);
    EXPECT_EQ(st.screen, Screen::Session);
    pass(1s);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
    EXPECT_EQ(only_effect<EndSession>().reason, "expired");
}

TEST_F(Machine, AShortSessionWarnsAtOnceWithAtLeast20sToReact) {
    start_session(uid(1), 1);
    EXPECT_TRUE(st.session->warning);  // under 5 minutes from the start
    pass(60s);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
}

TEST_F(Machine, WallClockSetBackwardsNeverMakesASessionLastForever) {
    start_session(uid(1), 30);
    clock.jump_wall(-std::chrono::hours{24});
    pass(25min);
    EXPECT_TRUE(st.session->warning);
    pass(5min);
    EXPECT_EQ(st.screen, Screen::SessionEnded);  // the monotonic deadline holds
}

TEST_F(Machine, WallClockSetBackwardsNeverMakesAResultLastForever) {
    tap_and_decide(uid(2), refused(Code::CardUnknown));
    clock.jump_wall(-std::chrono::hours{5});
    pass(20s);
    EXPECT_EQ(st.screen, Screen::Idle);
}

TEST_F(Machine, WallClockSetForwardsEndsTheSessionAtItsStoredEndAfterAWarning) {
    start_session(uid(1), 30);
    clock.jump_wall(std::chrono::hours{1});
    tick();
    EXPECT_EQ(st.screen, Screen::Session);  // warned first
    EXPECT_TRUE(st.session->warning);
    EXPECT_EQ(session_time_left(st, clock.now), 0s);
    pass(20s);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
}

TEST_F(Machine, EndSessionEndsItAndClearsTheScreen) {
    start_session(uid(1), 30);
    press(Intent::EndSession);
    auto e = only_effect<EndSession>();
    EXPECT_EQ(e.session_id, 7);
    EXPECT_EQ(e.reason, "ended");
    EXPECT_EQ(st.screen, Screen::SessionEnded);
    EXPECT_FALSE(st.session);
    feed(SessionEndDone{7, true, ""});
    EXPECT_TRUE(has_effect<RefreshRecords>());
    press(Intent::Ok);
    EXPECT_EQ(st.screen, Screen::Idle);
}

TEST_F(Machine, ASessionThatCannotEndIsReported) {
    start_session(uid(1), 30);
    press(Intent::EndSession);
    feed(SessionEndDone{7, false, "disk I/O error"});
    EXPECT_NE(st.problem.find("disk I/O error"), std::string::npos);
    EXPECT_EQ(st.screen, Screen::SessionEnded);  // the screen is cleared all the same
}

TEST_F(Machine, ASessionClosedElsewhereClearsTheScreenWithoutEndingItAgain) {
    start_session(uid(1), 30);
    feed(SessionClosed{8, "staff"});  // another session: nothing changes
    EXPECT_FALSE(changed);
    EXPECT_EQ(st.screen, Screen::Session);
    feed(SessionClosed{7, "staff"});  // staff ended this one at another terminal
    EXPECT_TRUE(changed);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
    EXPECT_FALSE(st.session);
    EXPECT_EQ(st.ended_reason, "staff");
    EXPECT_FALSE(has_effect<EndSession>()) << "already closed and audited";
    EXPECT_TRUE(has_effect<RefreshRecords>());
    pass(10s);
    EXPECT_EQ(st.screen, Screen::Idle);

    start_session(uid(1), 30, 9);
    feed(SessionClosed{9, "expired"});  // the sweep came first at its time
    EXPECT_EQ(st.screen, Screen::SessionEnded);
    EXPECT_EQ(st.ended_reason, "expired");
}

TEST_F(Machine, ReTapOfTheSameCardShowsTheTimeLeft) {
    start_session(uid(1), 30);
    feed(CardPresented{uid(1), "R"});
    EXPECT_TRUE(fx.empty());  // no new decision
    EXPECT_EQ(st.overlay, Overlay::TimeLeft);
    pass(10s);
    EXPECT_EQ(st.overlay, Overlay::None);
    EXPECT_EQ(st.screen, Screen::Session);
}

TEST_F(Machine, AnotherCardDuringTheSessionIsToldTheSeatIsInUseAndAudited) {
    start_session(uid(1), 30);
    feed(CardPresented{uid(9), "R"});
    // The program is asked first whether it is a staff card (staff mode opens over a session);
    // it is not.
    auto c = only_effect<StaffEffect>();
    EXPECT_EQ(c.kind, StaffEffect::Kind::Classify);
    StaffReply not_staff;
    not_staff.request = c.request;
    not_staff.kind = StaffEffect::Kind::Classify;
    not_staff.role = CardRole::Trainee;
    not_staff.card = c.card;
    not_staff.reader = c.reader;
    feed(not_staff);
    auto r = only_effect<RecordInUse>();
    EXPECT_EQ(r.uid, uid(9));
    EXPECT_EQ(r.session_id, 7);
    EXPECT_EQ(st.overlay, Overlay::InUse);
    EXPECT_EQ(st.screen, Screen::Session);
    press(Intent::Ok);  // closes the overlay, not the session
    EXPECT_EQ(st.overlay, Overlay::None);
    EXPECT_EQ(st.screen, Screen::Session);
}

TEST_F(Machine, ExtendAfterAFreshDecisionMovesTheEnd) {
    MachineSettings s;
    s.session_minutes = 30;
    s.extend_minutes = 15;
    restart(s);
    start_session(uid(1), 30);
    EXPECT_FALSE(can_extend(st));  // only once warned
    press(Intent::Extend);
    EXPECT_TRUE(fx.empty());
    pass(25min);
    ASSERT_TRUE(can_extend(st));
    press(Intent::Extend);
    auto x = only_effect<ExtendSession>();
    EXPECT_EQ(x.session_id, 7);
    EXPECT_EQ(x.minutes, 15);
    EXPECT_EQ(x.uid, uid(1));
    EXPECT_FALSE(can_extend(st));  // one request at a time
    Instant new_end = st.session->record.ends_at + std::chrono::minutes{15};
    feed(Extended{x.request, true, new_end, granted().decision, ""});
    EXPECT_FALSE(st.session->warning);
    EXPECT_EQ(st.session->extensions, 1);
    EXPECT_EQ(session_time_left(st, clock.now), 20min);
    pass(15min);
    EXPECT_TRUE(st.session->warning);
    pass(5min);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
}

TEST_F(Machine, ExtendIsNotOfferedPastTheLongestTotal) {
    MachineSettings s;
    s.session_minutes = 30;
    s.extend_minutes = 15;  // 30 + 2 x 15 = 60 minutes in all at most (extension_limits_for)
    restart(s);
    start_session(uid(1), 30);
    for (int i = 0; i < 2; ++i) {
        pass(i == 0 ? 26min : 15min);  // 4 minutes left each time
        ASSERT_TRUE(can_extend(st)) << i;
        press(Intent::Extend);
        auto x = only_effect<ExtendSession>();
        feed(Extended{x.request, true, st.session->record.ends_at + 15min, granted().decision, ""});
    }
    pass(15min);  // 4 minutes left of 60
    ASSERT_TRUE(st.session->warning);
    EXPECT_FALSE(can_extend(st));  // a third would make 75: the desk would refuse it
}

TEST_F(Machine, ExtendRefusedKeepsTheEndAndSaysWhy) {
    MachineSettings s;
    s.session_minutes = 30;
    s.extend_minutes = 15;
    restart(s);
    start_session(uid(1), 30);
    pass(26min);
    press(Intent::Extend);
    auto x = only_effect<ExtendSession>();
    feed(Extended{x.request, false, {}, refused(Code::CertRevoked).decision, ""});
    ASSERT_TRUE(st.session->extend_refused);
    EXPECT_TRUE(st.session->extend_refused->has_reason(Code::CertRevoked));
    EXPECT_EQ(session_time_left(st, clock.now), 4min);
    EXPECT_FALSE(can_extend(st));  // the refusal is read first
    press(Intent::Ok);
    EXPECT_FALSE(st.session->extend_refused);
    EXPECT_TRUE(can_extend(st));  // then a retry is offered again
    pass(4min);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
}

TEST_F(Machine, ExtendedNoticeShowsForAFewSecondsOnTheMonotonicClock) {
    MachineSettings s;
    s.session_minutes = 30;
    s.extend_minutes = 15;
    restart(s);
    start_session(uid(1), 30);
    pass(26min);
    press(Intent::Extend);
    auto x = only_effect<ExtendSession>();
    EXPECT_EQ(st.session->extended_until, MonoTime{0});  // not before the answer
    feed(Extended{x.request, true, st.session->record.ends_at + 15min, granted().decision, ""});
    const MonoTime until = st.session->extended_until;
    EXPECT_EQ(until, clock.now.mono + s.extended_notice);
    ASSERT_TRUE(next_deadline(st));
    EXPECT_LE(*next_deadline(st), until);  // the loop wakes to take it down
    clock.now.wall -= 1h;                  // a wall clock set back changes nothing
    pass(s.extended_notice - 1ms);
    EXPECT_EQ(st.session->extended_until, until);
    pass(1ms);
    EXPECT_EQ(st.session->extended_until, MonoTime{0});
    EXPECT_EQ(st.screen, Screen::Session);
}

TEST_F(Machine, ExtendFailureKeepsItsKindForTheScreen) {
    MachineSettings s;
    s.session_minutes = 30;
    s.extend_minutes = 15;
    restart(s);
    start_session(uid(1), 30);
    pass(26min);
    press(Intent::Extend);
    auto x = only_effect<ExtendSession>();
    feed(Extended{x.request,
                  false,
                  {},
                  granted().decision,
                  "session #7 has reached its longest time",
                  ExtendProblem::LongestTotal});
    EXPECT_EQ(st.session->extend_problem, ExtendProblem::LongestTotal);
    EXPECT_EQ(st.session->extended_until, MonoTime{0});
    EXPECT_FALSE(can_extend(st));  // read first
    press(Intent::Ok);
    EXPECT_EQ(st.session->extend_problem, ExtendProblem::None);
    EXPECT_TRUE(st.session->extend_error.empty());
    // A failure that arrives without its kind is still shown as a failure, never as nothing.
    press(Intent::Extend);
    x = only_effect<ExtendSession>();
    feed(Extended{x.request, false, {}, granted().decision, "audit: disk full"});
    EXPECT_EQ(st.session->extend_problem, ExtendProblem::Failed);
}

TEST_F(Machine, ReaderLostAtIdleShowsTheReaderProblemAndBackReturnsToIdle) {
    feed(ReaderLost{"pcscd stopped"});
    EXPECT_EQ(st.screen, Screen::ReaderProblem);
    EXPECT_EQ(st.reader.message, "pcscd stopped");
    feed(ReaderBack{"ACS ACR1252"});
    EXPECT_EQ(st.screen, Screen::Idle);
    EXPECT_EQ(st.reader.name, "ACS ACR1252");
}

TEST_F(Machine, ReaderLostMidSessionKeepsTheSessionAndTheStatusSaysSo) {
    start_session(uid(1), 30);
    feed(ReaderLost{"reader unplugged"});
    EXPECT_EQ(st.screen, Screen::Session);
    EXPECT_FALSE(st.reader.connected);
    pass(25min);
    pass(5min);
    EXPECT_EQ(st.screen, Screen::SessionEnded);  // it still ends at its time
    pass(10s);
    EXPECT_EQ(st.screen, Screen::ReaderProblem);
}

TEST_F(Machine, StaleRecordsShowTheirScreenAndASyncClearsIt) {
    feed(RecordsStatus{clock.now.wall - std::chrono::hours{49}, 4, 4});
    EXPECT_EQ(st.screen, Screen::RecordsStale);
    feed(RecordsStatus{clock.now.wall - std::chrono::hours{1}, 3, 4});
    EXPECT_EQ(st.screen, Screen::Idle);
    EXPECT_EQ(st.free_seats, 3);
    // The records age while the kiosk idles.
    clock.advance(std::chrono::hours{48});
    tick();
    EXPECT_EQ(st.screen, Screen::RecordsStale);
}

TEST_F(Machine, NeverSyncedRecordsAreStale) {
    feed(RecordsStatus{std::nullopt, 4, 4});
    EXPECT_EQ(st.screen, Screen::RecordsStale);
    EXPECT_TRUE(records_stale(st, clock.now.wall));
}

TEST_F(Machine, ATapOnTheStaleScreenStillDecides) {
    feed(RecordsStatus{clock.now.wall - std::chrono::hours{49}, 4, 4});
    tap_and_decide(uid(1), refused(Code::MirrorStale));
    EXPECT_EQ(st.screen, Screen::Refused);
    press(Intent::Ok);
    EXPECT_EQ(st.screen, Screen::RecordsStale);
}

TEST_F(Machine, PostgresGateShowsCredentialsThenReturnsToIdle) {
    MachineSettings s;
    s.single_seat = false;
    restart(s);
    tap_and_decide(uid(1), granted());
    press(Intent::Start);
    auto req = only_effect<StartSession>().request;
    TapResult r = granted();
    r.session = SessionRecord{};
    r.session->id = 3;
    r.session->ends_at = clock.now.wall + std::chrono::minutes{120};
    GateCredentials c{"db.example", 5432, "testdb", "kiosk_t1001", "one-time", r.session->ends_at};
    feed(SessionStarted{req, r, c, ""});
    EXPECT_EQ(st.screen, Screen::Session);
    EXPECT_EQ(st.session->credentials->role, "kiosk_t1001");
    // Another card at a multi-seat kiosk is decided normally.
    press(Intent::Ok);
    EXPECT_EQ(st.screen, Screen::Idle);
    EXPECT_FALSE(st.session);
}

TEST_F(Machine, ReTapShowingARunningSessionCanEndIt) {
    TapResult r = refused(Code::AlreadyInSession, {"TR-5"});
    r.session = SessionRecord{};
    r.session->id = 11;
    r.session->ends_at = clock.now.wall + std::chrono::minutes{50};
    tap_and_decide(uid(1), r);
    EXPECT_EQ(st.screen, Screen::Refused);
    press(Intent::EndSession);
    auto e = only_effect<EndSession>();
    EXPECT_EQ(e.session_id, 11);
    EXPECT_EQ(st.screen, Screen::SessionEnded);
}

TEST_F(Machine, ALateSessionStartIsStillTakenOn) {
    tap_and_decide(uid(1), granted());
    press(Intent::Start);
    auto req = only_effect<StartSession>().request;
    feed(CardPresented{uid(2), "R"});  // another tap supersedes while the start runs
    TapResult r = granted();
    r.session = SessionRecord{};
    r.session->id = 5;
    r.session->ends_at = clock.now.wall + std::chrono::minutes{30};
    feed(SessionStarted{req, r, std::nullopt, ""});
    EXPECT_EQ(st.screen, Screen::Session);  // never a session without the screen that ends it
    EXPECT_EQ(st.pending_request, 0u);
}

TEST_F(Machine, IntentsThatDoNotApplyChangeNothing) {
    for (Intent i : {Intent::Start, Intent::EndSession, Intent::CallStaff, Intent::Ok,
                     Intent::Cancel, Intent::Extend, Intent::Override}) {
        press(i);
        EXPECT_FALSE(changed) << intent_name(i);
        EXPECT_TRUE(fx.empty()) << intent_name(i);
        EXPECT_EQ(st.screen, Screen::Idle);
    }
}

TEST_F(Machine, IntentNamesRoundTripForScripts) {
    for (Intent i : all_intents()) EXPECT_EQ(intent_from_name(intent_name(i)), i);
    EXPECT_EQ(intent_from_name("end_session"), Intent::EndSession);
    EXPECT_FALSE(intent_from_name("explode"));
}

TEST_F(Machine, TicksWithNothingDueChangeNothing) {
    pass(1s);
    EXPECT_FALSE(changed);
    EXPECT_TRUE(fx.empty());
}

// The kiosk screen's config keys ([ui], sessions.extend_minutes): defaults, values, bad values.
TEST(KioskScreenConfig, DefaultsValuesAndBadValues) {
    Config c;
    std::string err;
    ASSERT_TRUE(parse_config("", "k.toml", &c, &err)) << err;
    EXPECT_NEAR(c.ui.px_per_mm, 5.559, 0.001);
    EXPECT_EQ(c.ui.language, "ja");
    EXPECT_EQ(c.extend_minutes, 0);
    ASSERT_TRUE(
        parse_config("[ui]\npx_per_mm = 4\nlanguage = \"en\"\n[sessions]\n"
                     "extend_minutes = 15\n",
                     "k.toml", &c, &err))
        << err;
    EXPECT_EQ(c.ui.px_per_mm, 4);
    EXPECT_EQ(c.ui.language, "en");
    EXPECT_EQ(c.extend_minutes, 15);
    const std::pair<const char*, const char*> cases[] = {
        {"[ui]\npx_per_mm = 0\n", "ui.px_per_mm must be 1..50"},
        {"[ui]\nlanguage = \"fr\"\n", "ui.language must be"},
        {"[ui]\nfont = \"\"\n", "ui.font must not be empty"},
        {"[ui]\ncolour = 1\n", "unknown key 'ui.colour'"},
        {"[sessions]\nextend_minutes = -1\n", "sessions.extend_minutes must be 0..240"},
    };
    for (const auto& [text, want] : cases) {
        EXPECT_FALSE(parse_config(text, "k.toml", &c, &err)) << text;
        EXPECT_NE(err.find(want), std::string::npos) << text << ": " << err;
    }
}

}  // namespace
}  // namespace kiosk
