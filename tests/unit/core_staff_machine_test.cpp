// Staff mode in the kiosk state machine (issue 11) on a fake clock, with the effects carried out
// by the real StaffDesk and Gatekeeper over the in-memory world: a staff card opens the PIN keypad
// on any screen (over a running session too) and never starts a trainee session; the PIN signs in
// and the override puts the session on screen; staff mode leaves after 60 s without input or on a
// re-tap of the staff card; five wrong PINs lock the card.
#include <gtest/gtest.h>
#include <sodium.h>

#include "core_staff_world.h"
#include "kiosk/staff_machine.h"

namespace kiosk {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::cert;
using testing::D;
using testing::T;
using testing::World;

class StaffMachineTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_GE(sodium_init(), 0);
        secret.fill(7);
        config.pin_hash_passes = 1;
        config.pin_hash_memory_mib = 8;
        w.feed =
            FeedState{1, T("2026-11-24T02:00:00+09:00"), "K", T("2026-11-24T03:00:00+09:00"), 2, 4};
        w.trainees["A-1"] = Trainee{"A-1",
                                    "Taro",
                                    "",
                                    std::nullopt,
                                    D("2023-04-01"),
                                    {cert("C1", Course::Overview, "2024-05-01"),
                                     cert("C2", Course::SystemOperation, "2024-06-01")}};
        w.trainees["L-1"] =
            Trainee{"L-1",
                    "Jiro",
                    "",
                    std::nullopt,
                    D("2023-04-01"),
                    {cert("C3", Course::Overview, "2024-05-01"),
                     cert("C4", Course::SystemOperation, "2024-06-01", CertificateStatus::Lost)}};
        bind(trainee, "A-1");
        bind(refused, "L-1");
        std::string hash, err;
        ASSERT_TRUE(hash_pin(secret, "123456", {1, 8u << 20}, &hash, &err));
        w.staff["S-1"] =
            StaffAccount{"S-1", "Sato", card_hash(secret, staff), hash, 0, std::nullopt};
        gate = std::make_unique<Gatekeeper>(w, w, w, secret, Policy{});
        desk = std::make_unique<StaffDesk>(*gate, w, w, w, w, secret, config, 120, Policy{});
        settings.override_reasons = config.override_reasons;
        state = initial_state(settings, clock);
    }

    static CardUid uid(const char* hex) {
        std::string err;
        return *parse_card_uid(hex, &err);
    }
    void bind(const CardUid& c, const char* no) {
        std::string h = card_hash(secret, c);
        w.cards[h] = CardBinding{h, no, false, clock.wall, std::nullopt};
    }

    // Applies an event and carries out the effects as the program's worker does, answering each.
    void feed(Event e) {
        std::vector<Event> queue{std::move(e)};
        while (!queue.empty()) {
            Event next = std::move(queue.front());
            queue.erase(queue.begin());
            Step s = step(state, next, clock);
            state = std::move(s.state);
            for (auto& fx : s.effects) {
                if (auto* d = std::get_if<DecideCard>(&fx)) {
                    if (auto r = staff_card_reply(*desk, *d)) {
                        queue.push_back(*r);
                    } else {
                        queue.push_back(
                            Decided{d->request, gate->decide_card(d->uid, clock.wall, d->reader)});
                    }
                } else if (auto* st = std::get_if<StartSession>(&fx)) {
                    Gatekeeper::StartRequest req;
                    req.card = st->uid;
                    req.minutes = st->minutes;
                    queue.push_back(SessionStarted{
                        st->request, gate->start_session(req, clock.wall, "r"), std::nullopt, ""});
                } else if (auto* se = std::get_if<StaffEffect>(&fx)) {
                    queue.push_back(run_staff_effect(*desk, *se, clock.wall, sync));
                } else if (std::get_if<RecordInUse>(&fx)) {
                    in_use_recorded++;
                }
            }
        }
    }
    void tap(const CardUid& c) { feed(CardPresented{c, "reader"}); }
    void type_pin(const char* pin) {
        for (const char* p = pin; *p; ++p)
            feed(StaffInputEvent{{StaffInput::Kind::Digit, *p - '0', ""}});
        feed(IntentEvent{Intent::Ok});
    }
    void wait(milliseconds d) {
        clock.mono += d;
        clock.wall += std::chrono::duration_cast<seconds>(d);
        feed(Tick{});
    }
    int decisions_for(const CardUid& c) {
        int n = 0;
        for (auto& a : w.audit)
            n += a.event.kind == "decision" &&
                 a.event.card_prefix == card_hash_prefix(card_hash(secret, c));
        return n;
    }

    World w;
    SiteSecret secret{};
    StaffConfig config;
    MachineSettings settings;
    std::unique_ptr<Gatekeeper> gate;
    std::unique_ptr<StaffDesk> desk;
    Now clock{milliseconds{1'000'000}, T("2026-11-24T10:00:00+09:00")};
    KioskState state;
    int in_use_recorded = 0;
    RecordsSync* sync = nullptr;  // "sync now" (nullptr: not available)
    CardUid trainee = uid("04000000000001"), refused = uid("04000000000002"),
            staff = uid("05000000000001");
};

TEST_F(StaffMachineTest, RefusedTapStaffCardPinOverrideSessionOnScreen) {
    tap(refused);
    ASSERT_EQ(state.screen, Screen::Refused);
    tap(staff);
    ASSERT_EQ(state.screen, Screen::Staff);
    ASSERT_TRUE(state.staff);
    EXPECT_EQ(state.staff->page, StaffPage::Pin);
    EXPECT_TRUE(state.staff->refused);
    EXPECT_EQ(decisions_for(staff), 0);  // a staff card is never decided as a trainee card
    for (char c : std::string("123456"))
        feed(StaffInputEvent{{StaffInput::Kind::Digit, c - '0', ""}});
    EXPECT_EQ(state.staff->pin.size(), 6u);
    feed(IntentEvent{Intent::Ok});
    ASSERT_TRUE(state.staff->who) << state.staff->message;
    EXPECT_TRUE(state.staff->pin.empty());  // wiped once submitted
    EXPECT_EQ(state.staff->page, StaffPage::Override);
    feed(StaffInputEvent{{StaffInput::Kind::Reason, 0, ""}});
    feed(StaffInputEvent{{StaffInput::Kind::ReasonText, 0, "office confirmed"}});
    feed(IntentEvent{Intent::Ok});
    ASSERT_EQ(state.screen, Screen::Session) << (state.staff ? state.staff->message : "");
    ASSERT_TRUE(state.session);
    EXPECT_EQ(state.session->record.trainee_no, "L-1");
    EXPECT_EQ(state.session->record.override_by, "S-1");
    EXPECT_EQ(state.session->trainee_name, "Jiro");
    EXPECT_FALSE(state.staff);
    EXPECT_EQ(w.audit.back().event.kind, "session.start");
    EXPECT_EQ(w.audit.back().event.outcome, "override");
}

TEST_F(StaffMachineTest, OverrideWithoutAReasonIsRefusedOnTheOverridePage) {
    tap(refused);
    tap(staff);
    type_pin("123456");
    feed(IntentEvent{Intent::Ok});
    ASSERT_EQ(state.screen, Screen::Staff);
    EXPECT_EQ(state.staff->page, StaffPage::Override);
    EXPECT_EQ(state.staff->issue, StaffIssue::ReasonMissing);
    EXPECT_TRUE(w.sessions.empty());
}

TEST_F(StaffMachineTest, StaffModeLeavesAfterSixtySecondsWithoutInput) {
    tap(staff);
    ASSERT_EQ(state.screen, Screen::Staff);
    ASSERT_TRUE(next_deadline(state));
    EXPECT_EQ(*next_deadline(state), clock.mono + milliseconds{60'000});
    wait(milliseconds{59'000});
    EXPECT_EQ(state.screen, Screen::Staff);
    feed(StaffInputEvent{{StaffInput::Kind::Digit, 1, ""}});  // input restarts the minute
    wait(milliseconds{59'000});
    EXPECT_EQ(state.screen, Screen::Staff);
    wait(milliseconds{1'000});
    EXPECT_EQ(state.screen, Screen::Idle);
    EXPECT_FALSE(state.staff);
}

TEST_F(StaffMachineTest, AReTapOfTheStaffCardLeavesAndCancelLeaves) {
    tap(staff);
    type_pin("123456");
    ASSERT_TRUE(state.staff && state.staff->who);
    tap(staff);
    EXPECT_FALSE(state.staff);
    EXPECT_EQ(state.screen, Screen::Idle);
    tap(staff);
    feed(IntentEvent{Intent::Cancel});
    EXPECT_FALSE(state.staff);
}

TEST_F(StaffMachineTest, TraineeCardsTappedInStaffModeStartNothing) {
    tap(staff);
    tap(trainee);
    EXPECT_EQ(state.screen, Screen::Staff);
    EXPECT_EQ(decisions_for(trainee), 0);
    feed(IntentEvent{Intent::Start});
    EXPECT_TRUE(w.sessions.empty());
}

TEST_F(StaffMachineTest, FiveWrongPinsThenTheRightOneIsRefusedUntilTheLockEnds) {
    tap(staff);
    for (int i = 0; i < 5; ++i) type_pin("000000");
    EXPECT_EQ(state.staff->issue, StaffIssue::StaffLocked);
    type_pin("123456");
    EXPECT_EQ(state.staff->issue, StaffIssue::StaffLocked);
    EXPECT_FALSE(state.staff->who);
    clock.wall += std::chrono::minutes(15);
    type_pin("123456");
    EXPECT_TRUE(state.staff->who) << state.staff->message;
}

TEST_F(StaffMachineTest, AStaffCardOpensStaffModeOverARunningSessionAndOtherCardsSeeInUse) {
    tap(trainee);
    ASSERT_EQ(state.screen, Screen::Granted);
    feed(IntentEvent{Intent::Start});
    ASSERT_EQ(state.screen, Screen::Session);
    tap(refused);  // another trainee: "in use", audited through RecordInUse
    EXPECT_EQ(state.overlay, Overlay::InUse);
    EXPECT_EQ(in_use_recorded, 1);
    feed(IntentEvent{Intent::Ok});
    tap(staff);
    ASSERT_EQ(state.screen, Screen::Staff);
    type_pin("123456");
    ASSERT_TRUE(state.staff->who);
    EXPECT_EQ(state.staff->page, StaffPage::Sessions);
    ASSERT_EQ(state.staff->sessions.size(), 1u);
    // Ending the session on screen from the panel takes it away from under staff mode.
    feed(StaffInputEvent{{StaffInput::Kind::EndSession, state.staff->sessions[0].id, ""}});
    EXPECT_TRUE(state.staff->sessions.empty());
    EXPECT_FALSE(state.session);
    EXPECT_EQ(w.audit.back().event.actor, "staff:S-1");
    tap(staff);
    EXPECT_EQ(state.screen, Screen::Idle);
}

TEST_F(StaffMachineTest, PanelPagesLoadWhatTheyShow) {
    tap(staff);
    type_pin("123456");
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Records), ""}});
    ASSERT_TRUE(state.staff->records);
    EXPECT_EQ(state.staff->records->feed->sequence, 1);
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Audit), ""}});
    ASSERT_TRUE(state.staff->audit);
    EXPECT_TRUE(state.staff->audit->chain.ok);
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Lookup), ""}});
    feed(StaffInputEvent{{StaffInput::Kind::TraineeText, 0, "L-1"}});
    feed(IntentEvent{Intent::Ok});
    ASSERT_TRUE(state.staff->lookup);
    EXPECT_FALSE(state.staff->lookup->tap.decision.granted);
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Enrol), ""}});
    CardUid fresh = uid("04ABCDEF000001");
    tap(fresh);
    ASSERT_TRUE(state.staff->enrol_card);
    feed(StaffInputEvent{{StaffInput::Kind::TraineeText, 0, "A-1"}});
    feed(IntentEvent{Intent::Ok});
    EXPECT_EQ(state.staff->issue, StaffIssue::None) << state.staff->message;
    EXPECT_EQ(w.cards.at(card_hash(secret, fresh)).trainee_no, "A-1");
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Override), ""}});
    EXPECT_EQ(state.staff->issue, StaffIssue::NothingToOverride);  // no refused tap
    feed(StaffInputEvent{{StaffInput::Kind::SyncNow, 0, ""}});
    EXPECT_EQ(state.staff->issue, StaffIssue::SyncFailed);  // no sync available
}

// "Sync now" as the program runs it: started on the worker, carried out elsewhere (here the test
// plays the sync's thread through the RecordsSync port), its news arriving as StaffSyncUpdate.
class HeldSync : public RecordsSync {
public:
    bool start(const StaffSignIn& who, Instant now, std::string* refusal) override {
        if (s.running()) {
            *refusal = "A sync is already running on this kiosk";
            return false;
        }
        SyncStatus next;
        next.state = SyncStatus::State::Running;
        next.run = s.run + 1;
        next.version = s.version + 1;
        next.staff_id = who.staff_id;
        next.started_at = now;
        next.phase = "starting";
        s = next;
        return true;
    }
    SyncStatus status() const override { return s; }
    SyncStatus move(SyncStatus::State state, std::string phase, std::int64_t rows) {
        s.state = state;
        s.phase = std::move(phase);
        s.rows = rows;
        ++s.version;
        return s;
    }
    SyncStatus s;
};

TEST_F(StaffMachineTest, SyncNowShowsItsProgressThenItsReportWhileDecisionsGoOn) {
    HeldSync held;
    sync = &held;
    tap(staff);
    type_pin("123456");
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Records), ""}});
    feed(StaffInputEvent{{StaffInput::Kind::SyncNow, 0, ""}});
    ASSERT_TRUE(state.staff->sync);
    EXPECT_TRUE(state.staff->sync->running());
    EXPECT_EQ(state.staff->sync->staff_id, "S-1");
    EXPECT_EQ(state.staff->pending, 0u);  // the panel is not held by the sync
    EXPECT_EQ(state.staff->message, "Sync started");
    EXPECT_EQ(w.audit.back().event.kind, "staff.sync");
    EXPECT_EQ(w.audit.back().event.actor, "staff:S-1");
    EXPECT_EQ(w.audit.back().event.outcome, "started");

    feed(StaffSyncUpdate{held.move(SyncStatus::State::Running, "reading", 8192)});
    EXPECT_EQ(state.staff->sync->phase, "reading");
    EXPECT_EQ(state.staff->sync->rows, 8192);
    // A second "sync now" while it runs: refused, plainly, and audited.
    feed(StaffInputEvent{{StaffInput::Kind::SyncNow, 0, ""}});
    EXPECT_EQ(state.staff->issue, StaffIssue::SyncFailed);
    EXPECT_EQ(state.staff->message, "A sync is already running on this kiosk");
    EXPECT_EQ(w.audit.back().event.outcome, "refused");

    // Staff leave; a trainee's tap is decided while the sync runs.
    feed(IntentEvent{Intent::Cancel});
    tap(trainee);
    EXPECT_EQ(state.screen, Screen::Granted);
    feed(IntentEvent{Intent::Cancel});
    feed(StaffSyncUpdate{held.move(SyncStatus::State::Running, "comparing", 9000)});
    EXPECT_FALSE(state.staff);

    // Back in: the Records page shows where the sync is.
    tap(staff);
    type_pin("123456");
    feed(StaffInputEvent{{StaffInput::Kind::Page, static_cast<int>(StaffPage::Records), ""}});
    ASSERT_TRUE(state.staff->sync);
    EXPECT_EQ(state.staff->sync->phase, "comparing");

    // It ends: the report replaces the progress, the records and the status strip reload.
    w.feed->sequence = 2;
    held.s.sequence_from = 1;
    held.s.sequence_to = 2;
    SyncStatus done = held.move(SyncStatus::State::Applied, "", 9000);
    Step st = step(state, StaffSyncUpdate{done}, clock);
    EXPECT_TRUE(st.changed);
    bool refresh = false, reload = false;
    for (auto& fx : st.effects) {
        refresh |= std::holds_alternative<RefreshRecords>(fx);
        if (auto* e = std::get_if<StaffEffect>(&fx))
            reload |= e->kind == StaffEffect::Kind::Load && e->page == StaffPage::Records;
    }
    EXPECT_TRUE(refresh);
    EXPECT_TRUE(reload);
    feed(StaffSyncUpdate{done});
    EXPECT_EQ(state.staff->sync->state, SyncStatus::State::Applied);
    EXPECT_EQ(state.staff->records->feed->sequence, 2);
    // An older word of the same run (delivered late) changes nothing.
    SyncStatus old = done;
    old.state = SyncStatus::State::Running;
    old.version -= 2;
    EXPECT_FALSE(step(state, StaffSyncUpdate{old}, clock).changed);
}

}  // namespace
}  // namespace kiosk
