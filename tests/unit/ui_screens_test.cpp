// Every trainee screen drawn headless from states the real state machine reached (kiosk::step),
// in both languages: the right strings are on it, its buttons answer a simulated touch (hover,
// press, release over three frames, then the finger lifted), every control is at least 20 mm
// square, and nothing runs below the display (no scrolling on a trainee's screen).
#include <gtest/gtest.h>

#include "kiosk/kiosk_machine.h"
#include "ui/screens.h"
#include "ui_harness.h"

namespace {

using kiosk::Code;
using kiosk::Course;
using kiosk::Intent;
using kiosk::Lang;
using kiosk::Screen;
using ui::Text;
using namespace std::chrono_literals;

kiosk::CardUid card(std::string_view hex) {
    std::string err;
    return *kiosk::parse_card_uid(hex, &err);
}

// A trainee's journey through the real machine, on a fake clock.
struct Journey {
    kiosk::MachineSettings settings;
    kiosk::Now now{kiosk::MonoTime{100'000}, *kiosk::parse_instant("2026-12-01T10:00:00+09:00")};
    kiosk::KioskState st;
    std::vector<kiosk::Effect> effects;

    explicit Journey(int extend_minutes = 0) {
        settings.site_name = "MID-NET Onsite Center";
        settings.extend_minutes = extend_minutes;
        st = kiosk::initial_state(settings, now);
        apply(kiosk::ReaderBack{"ACS ACR1252 PICC"});
        apply(kiosk::RecordsStatus{now.wall - 3h, 3, 4});
    }
    void apply(const kiosk::Event& e) {
        kiosk::Step s = kiosk::step(st, e, now);
        st = std::move(s.state);
        effects = std::move(s.effects);
    }
    void pass(std::chrono::milliseconds d) {
        now.mono += d;
        now.wall += std::chrono::duration_cast<std::chrono::seconds>(d);
        apply(kiosk::Tick{});
    }
    kiosk::TapResult result(bool granted) {
        kiosk::TapResult r;
        r.decision.granted = granted;
        r.decision.trainee_no = "T-1001";
        r.trainee = kiosk::Trainee{};
        r.trainee->trainee_no = "T-1001";
        r.trainee->name = "山田 花子";
        return r;
    }
    void tap(const kiosk::TapResult& r, std::string_view uid = "04A1B2C3D4E5F6") {
        apply(kiosk::CardPresented{card(uid), "ACS ACR1252 PICC"});
        apply(kiosk::Decided{st.pending_request, r});
    }
    void granted(std::vector<kiosk::Finding> notices = {}) {
        kiosk::TapResult r = result(true);
        r.decision.notices = std::move(notices);
        tap(r);
    }
    void refused(std::vector<kiosk::Finding> reasons) {
        kiosk::TapResult r = result(false);
        r.decision.reasons = std::move(reasons);
        tap(r);
    }
    void session() {
        granted();
        apply(kiosk::IntentEvent{Intent::Start});
        kiosk::TapResult r = result(true);
        kiosk::SessionRecord rec;
        rec.id = 7;
        rec.trainee_no = "T-1001";
        rec.started_at = now.wall;
        rec.ends_at = now.wall + 120min;
        r.session = rec;
        apply(kiosk::SessionStarted{st.pending_request, r, std::nullopt, ""});
    }
};

class UiScreens : public ::testing::TestWithParam<Lang> {
protected:
    ui_test::Headless ui;
    ui::FrameRecord record;

    const ui::Strings& s() const { return ui::strings(GetParam()); }

    ui::UiContext context(const Journey& j) {
        ui::UiContext c;
        c.fonts = &ui.fonts();
        c.theme = &ui.theme();
        c.now = j.now;
        c.record = &record;
        return c;
    }
    void in_language(Journey& j) {
        if (j.st.lang != GetParam()) j.apply(kiosk::IntentEvent{Intent::Language});
        ASSERT_EQ(j.st.lang, GetParam());
    }
    // Draws the screen (two frames, as after any change) and checks what holds for every screen.
    void draw(Journey& j) {
        in_language(j);
        ui::UiContext c = context(j);
        std::vector<Intent> got;
        for (int i = 0; i < 2; ++i) ui.frame([&] { got = ui::draw_screen(j.st, c); });
        EXPECT_TRUE(got.empty()) << "an intent without a touch";
        const float min = ui.theme().control_px() - 0.5f;
        for (const ui::Control& ctl : record.controls) {
            EXPECT_GE(ctl.max.x - ctl.min.x, min) << ctl.label;
            EXPECT_GE(ctl.max.y - ctl.min.y, min) << ctl.label;
            EXPECT_GE(ctl.min.x, 0) << ctl.label;
            EXPECT_LE(ctl.max.x, 1920) << ctl.label;
            EXPECT_LE(ctl.max.y, 1080) << ctl.label;
        }
        EXPECT_LE(record.content_bottom, 1080.5f) << "the screen would need scrolling";
        if (j.st.overlay != kiosk::Overlay::None)
            return;  // an overlay covers the session on purpose
        for (const ui::Control& a : record.controls) {
            for (const ui::Control& b : record.controls) {
                if (&a == &b) continue;
                EXPECT_TRUE(a.max.x <= b.min.x || b.max.x <= a.min.x || a.max.y <= b.min.y ||
                            b.max.y <= a.min.y)
                    << a.label << " overlaps " << b.label;
            }
        }
    }
    // Touches the control of `intent` as a finger does; returns the intents the frames reported.
    std::vector<Intent> touch(Journey& j, Intent intent) {
        const ui::Control* ctl = record.control(intent);
        EXPECT_NE(ctl, nullptr) << kiosk::intent_name(intent) << " is not on screen";
        if (!ctl) return {};
        ImVec2 at = ctl->center();
        ui::UiContext c = context(j);
        return ui.touch<Intent>(at, [&] { return ui::draw_screen(j.st, c); });
    }
    void expect_text(std::string_view t) { EXPECT_TRUE(record.has_text(t)) << "missing: " << t; }
    void expect_no_text(std::string_view t) {
        EXPECT_FALSE(record.has_text(t)) << "present: " << t;
    }
    void expect_touch(Journey& j, Intent intent) {
        EXPECT_EQ(touch(j, intent), std::vector<Intent>{intent}) << kiosk::intent_name(intent);
    }
};

TEST_P(UiScreens, IdleShowsCallToTapSiteClockAndStatusStrip) {
    Journey j;
    ASSERT_EQ(j.st.screen, Screen::Idle);
    draw(j);
    expect_text(s()[Text::TapCard]);
    expect_text(s()[Text::TapCardHint]);
    expect_text("MID-NET Onsite Center");
    expect_text("10:00");  // Japan time of the fake clock
    expect_text(s()[Text::ReaderOk]);
    expect_text(
        ui::fill(s()[Text::RecordsFresh], {{"age", ui::fill(s()[Text::AgeHours], {{"n", "3"}})}}));
    expect_text(ui::fill(s()[Text::SeatsFree], {{"free", "3"}, {"seats", "4"}}));
    expect_text(s()[Text::LanguageToggle]);
    ASSERT_EQ(record.controls.size(), 1u);  // only the language toggle
    expect_touch(j, Intent::Language);
}

TEST_P(UiScreens, IdleStatusStripSaysLateTooOldAndNoSeatsInWords) {
    Journey j;
    j.apply(kiosk::RecordsStatus{j.now.wall - 30h, 0, 4});
    draw(j);
    expect_text(
        ui::fill(s()[Text::RecordsAging], {{"age", ui::fill(s()[Text::AgeHours], {{"n", "30"}})}}));
    expect_text(ui::fill(s()[Text::SeatsNone], {{"seats", "4"}}));
    j.apply(kiosk::ReaderLost{"reader unplugged"});
    draw(j);
    EXPECT_EQ(j.st.screen, Screen::ReaderProblem);
    expect_text(s()[Text::ReaderMissing]);
}

TEST_P(UiScreens, CheckingShowsOnlyTheWord) {
    Journey j;
    j.apply(kiosk::CardPresented{card("04A1B2C3D4E5F6"), "r"});
    j.pass(200ms);
    ASSERT_EQ(j.st.screen, Screen::Checking);
    draw(j);
    expect_text(s()[Text::Checking]);
    EXPECT_TRUE(record.controls.empty());
}

TEST_P(UiScreens, GrantedShowsNameEndTimeNoticesAndStart) {
    Journey j;
    j.granted({{Code::RetakeAdvised, Course::Overview, {"TR-6"}},
               {Code::BriefingNeeded, std::nullopt, {"TR-9"}},
               {Code::MirrorAging, std::nullopt, {}}});
    ASSERT_EQ(j.st.screen, Screen::Granted);
    draw(j);
    expect_text(s()[Text::GrantedBanner]);
    expect_text("山田 花子");
    expect_text(ui::fill(s()[Text::SessionEndsAt], {{"time", "12:00"}}));  // 120 min from 10:00
    expect_text(s().finding({Code::RetakeAdvised, Course::Overview, {"TR-6"}}));
    expect_text(s().finding({Code::BriefingNeeded, std::nullopt, {"TR-9"}}));
    expect_text(s().finding({Code::MirrorAging, std::nullopt, {}}));
    expect_text(s()[Text::NextStepStart]);
    expect_touch(j, Intent::Start);
    expect_touch(j, Intent::Cancel);
    expect_touch(j, Intent::Language);
}

TEST_P(UiScreens, RefusedShowsASentenceAndRulePerReasonAndCallStaff) {
    Journey j;
    const std::vector<kiosk::Finding> reasons = {
        {Code::CertLost, Course::Overview, {"TR-4"}},
        {Code::OrderViolation, Course::SystemOperation, {"TR-2"}},
        {Code::CourseMissing, Course::SystemOperation, {"TR-1", "TR-3"}},
        {Code::NoSeat, std::nullopt, {}},
    };
    j.refused(reasons);
    ASSERT_EQ(j.st.screen, Screen::Refused);
    draw(j);
    expect_text(s()[Text::RefusedBanner]);
    for (const kiosk::Finding& f : reasons) {
        expect_text(s().finding(f));
        expect_text(ui::fill(s()[Text::RulesLabel], {{"rules", s().rules(f)}}));
    }
    expect_text("TR-2");
    expect_text("TR-1, TR-3");
    expect_text(s()[Text::SitePolicy]);
    expect_text(ui::fill(s()[Text::ClosesByItself], {{"s", "20"}}));
    expect_touch(j, Intent::CallStaff);
    expect_touch(j, Intent::Ok);
    // Once called, the screen says so and offers only "back".
    j.apply(kiosk::IntentEvent{Intent::CallStaff});
    draw(j);
    expect_text(s()[Text::StaffCalled]);
    EXPECT_EQ(record.control(Intent::CallStaff), nullptr);
    EXPECT_NE(record.control(Intent::Ok), nullptr);
}

TEST_P(UiScreens, RefusedUnknownCardAsksForStaff) {
    Journey j;
    j.refused({{Code::CardUnknown, std::nullopt, {"TR-5"}}});
    draw(j);
    expect_text(s().finding({Code::CardUnknown, std::nullopt, {"TR-5"}}));
    expect_text("TR-5");
}

TEST_P(UiScreens, SessionShowsCountdownEndTimeAndEndSession) {
    Journey j;
    j.session();
    ASSERT_EQ(j.st.screen, Screen::Session);
    j.pass(65s);
    draw(j);
    expect_text(s()[Text::SessionBanner]);
    expect_text(s()[Text::TimeLeft]);
    expect_text("1:58:55");
    expect_text(ui::fill(s()[Text::SessionEndsAt], {{"time", "12:00"}}));
    expect_no_text(s()[Text::WarningBanner]);
    EXPECT_EQ(record.control(Intent::Extend), nullptr);  // extensions are off
    expect_touch(j, Intent::EndSession);
}

TEST_P(UiScreens, SessionWarningAndExtendWhenTheSiteAllowsIt) {
    Journey j(30);
    j.session();
    j.pass(116min);
    ASSERT_TRUE(j.st.session && j.st.session->warning);
    draw(j);
    expect_text(s()[Text::WarningBanner]);
    expect_text(s()[Text::WarningHint]);
    expect_text("4:00");
    expect_text(ui::fill(s()[Text::Extend], {{"min", "30"}}));
    expect_touch(j, Intent::Extend);
    expect_touch(j, Intent::EndSession);
    // The fresh decision refused the extension: the reasons show, "close" dismisses them.
    j.apply(kiosk::IntentEvent{Intent::Extend});
    draw(j);
    expect_text(s()[Text::Extending]);
    kiosk::Decision no;
    no.reasons = {{Code::NoSeat, std::nullopt, {}}};
    j.apply(kiosk::Extended{j.st.session->extend_request, false, {}, no, ""});
    draw(j);
    expect_text(s()[Text::ExtendRefused]);
    expect_text(s().finding({Code::NoSeat, std::nullopt, {}}));
    expect_touch(j, Intent::Ok);
}

TEST_P(UiScreens, ExtendProblemsAreSentencesOfTheScreensLanguageAndSuccessIsConfirmed) {
    Journey j(30);
    j.session();
    j.pass(116min);
    // Not the rules: the desk's English detail never reaches the screen; its kind's sentence does.
    const std::pair<kiosk::ExtendProblem, Text> kinds[] = {
        {kiosk::ExtendProblem::LongestTotal, Text::ExtendLongestTotal},
        {kiosk::ExtendProblem::Unavailable, Text::ExtendUnavailable},
        {kiosk::ExtendProblem::Ended, Text::ExtendEnded},
        {kiosk::ExtendProblem::Failed, Text::ExtendFailed},
    };
    const std::string detail =
        "session #7 has reached its longest time: 180 minutes in all at most";
    for (const auto& [kind, text] : kinds) {
        j.apply(kiosk::IntentEvent{Intent::Extend});
        j.apply(kiosk::Extended{j.st.session->extend_request, false, {}, {}, detail, kind});
        draw(j);
        expect_text(s()[Text::ExtendRefused]);
        expect_text(s()[text]);
        expect_no_text(detail);
        expect_no_text(ui::fill(s()[Text::ProblemDetail], {{"detail", detail}}));
        EXPECT_EQ(record.control(Intent::Extend), nullptr);  // read first
        expect_touch(j, Intent::Ok);
        j.apply(kiosk::IntentEvent{Intent::Ok});
    }
    // Extended: the new end, said calmly for a few seconds, then the session as usual.
    j.apply(kiosk::IntentEvent{Intent::Extend});
    j.apply(kiosk::Extended{
        j.st.session->extend_request, true, j.st.session->record.ends_at + 30min, {}, ""});
    draw(j);
    const std::string notice = ui::fill(s()[Text::ExtendedNotice], {{"time", "12:30"}});
    expect_text(notice);
    expect_no_text(s()[Text::ExtendRefused]);
    j.pass(j.settings.extended_notice);
    draw(j);
    expect_no_text(notice);
    expect_text(ui::fill(s()[Text::SessionEndsAt], {{"time", "12:30"}}));
}

TEST_P(UiScreens, SessionShowsTheGateCredentials) {
    Journey j;
    j.granted();
    j.apply(kiosk::IntentEvent{Intent::Start});
    kiosk::TapResult r = j.result(true);
    kiosk::SessionRecord rec;
    rec.id = 8;
    rec.started_at = j.now.wall;
    rec.ends_at = j.now.wall + 120min;
    r.session = rec;
    kiosk::GateCredentials cred{"db.center.local", 5432,       "testdb", "kiosk_t1001",
                                "Xk3-9pQ2-vT7w",   rec.ends_at};
    j.apply(kiosk::SessionStarted{j.st.pending_request, r, cred, ""});
    draw(j);
    for (std::string_view t : {"db.center.local", "5432", "testdb", "kiosk_t1001", "Xk3-9pQ2-vT7w"})
        expect_text(t);
    expect_text(s()[Text::CredPassword]);
    expect_text(s()[Text::CredentialsIntro]);
}

TEST_P(UiScreens, AnotherCardOverTheSingleSeatSaysInUseUntil) {
    Journey j;
    j.session();
    j.apply(kiosk::CardPresented{card("04FFFFFFFFFFFF"), "r"});
    // The program is asked first whether it is a staff card (staff mode opens over a session);
    // it answers that it is not.
    auto* fx = std::get_if<kiosk::StaffEffect>(&j.effects.front());
    ASSERT_NE(fx, nullptr);
    kiosk::StaffReply not_staff;
    not_staff.request = fx->request;
    not_staff.kind = kiosk::StaffEffect::Kind::Classify;
    not_staff.role = kiosk::CardRole::Trainee;
    not_staff.card = fx->card;
    not_staff.reader = fx->reader;
    j.apply(not_staff);
    ASSERT_EQ(j.st.overlay, kiosk::Overlay::InUse);
    draw(j);
    expect_text(s()[Text::InUseBanner]);
    expect_text(ui::fill(s()[Text::InUseUntil], {{"time", "12:00"}}));
    // The overlay covers the session: only its own button answers.
    ASSERT_NE(record.control(Intent::Ok), nullptr);
    expect_touch(j, Intent::Ok);
    const ui::Control* end = record.control(Intent::EndSession);
    ASSERT_NE(end, nullptr);
    ui::UiContext c = context(j);
    EXPECT_TRUE(ui.touch<Intent>(end->center(), [&] { return ui::draw_screen(j.st, c); }).empty());
}

TEST_P(UiScreens, OwnCardOverTheSessionShowsTimeLeft) {
    Journey j;
    j.session();
    j.apply(kiosk::CardPresented{card("04A1B2C3D4E5F6"), "r"});
    ASSERT_EQ(j.st.overlay, kiosk::Overlay::TimeLeft);
    draw(j);
    expect_text(ui::fill(s()[Text::TimeLeftOverlay], {{"left", "2:00:00"}, {"time", "12:00"}}));
}

TEST_P(UiScreens, SessionEndedThanksAndCloses) {
    Journey j;
    j.session();
    j.apply(kiosk::IntentEvent{Intent::EndSession});
    ASSERT_EQ(j.st.screen, Screen::SessionEnded);
    draw(j);
    expect_text(s()[Text::SessionEndedBanner]);
    expect_text(s()[Text::SessionEndedByTrainee]);
    expect_touch(j, Intent::Ok);
}

TEST_P(UiScreens, ReaderProblemSaysWhatToDo) {
    Journey j;
    j.apply(kiosk::ReaderLost{"no reader"});
    ASSERT_EQ(j.st.screen, Screen::ReaderProblem);
    draw(j);
    expect_text(s()[Text::ReaderProblemBanner]);
    expect_text(s()[Text::ReaderProblemBody]);
    expect_text(s()[Text::ReaderMissing]);
}

TEST_P(UiScreens, RecordsStaleSaysWhyAndWhatToDo) {
    Journey j;
    j.apply(kiosk::RecordsStatus{j.now.wall - 50h, 4, 4});
    ASSERT_EQ(j.st.screen, Screen::RecordsStale);
    draw(j);
    expect_text(s()[Text::RecordsStaleBanner]);
    expect_text(ui::fill(s()[Text::RecordsStaleBody], {{"hours", "48"}}));
    expect_text(
        ui::fill(s()[Text::RecordsOld], {{"age", ui::fill(s()[Text::AgeDays], {{"n", "2"}})}}));
}

TEST_P(UiScreens, TestDatabaseUnavailableWhenTheSessionCannotStart) {
    Journey j;
    j.granted();
    j.apply(kiosk::IntentEvent{Intent::Start});
    j.apply(kiosk::SessionStarted{j.st.pending_request, j.result(true), std::nullopt,
                                  "postgres: connection refused"});
    ASSERT_EQ(j.st.screen, Screen::Granted);
    draw(j);
    expect_text(s()[Text::TestDbUnavailableBanner]);
    expect_text(s()[Text::TestDbUnavailableBody]);
    expect_text("postgres: connection refused");
    expect_touch(j, Intent::Ok);
}

TEST_P(UiScreens, NoTouchNoIntentAndAFingerLiftedLeavesNoHover) {
    Journey j;
    j.granted();
    draw(j);
    const ui::Control* start = record.control(Intent::Start);
    ASSERT_NE(start, nullptr);
    touch(j, Intent::Start);
    // After the lift the pointer is off-screen: nothing is hovered on the next frame.
    ui::UiContext c = context(j);
    ui.frame([&] { ui::draw_screen(j.st, c); });
    EXPECT_FALSE(ImGui::IsAnyItemHovered());
}

INSTANTIATE_TEST_SUITE_P(BothLanguages, UiScreens, ::testing::Values(Lang::Ja, Lang::En),
                         [](const auto& info) {
                             return std::string(kiosk::lang_code(info.param));
                         });

}  // namespace
