// Every staff screen (issue 11) drawn headless from states the real state machine reached: the PIN
// keypad never shows the digits (one dot each), its keys are >= 20 mm and answer a touch, the
// physical keyboard's digits and Enter work; each panel page shows what it is about; the override
// page's reasons and OK answer; nothing runs below the display.
#include <gtest/gtest.h>

#include "kiosk/kiosk_machine.h"
#include "ui/screens.h"
#include "ui/staff_screens.h"
#include "ui_harness.h"

namespace {

using kiosk::Intent;
using kiosk::Screen;
using kiosk::StaffInput;
using kiosk::StaffPage;
using K = kiosk::StaffInput::Kind;
using namespace std::chrono_literals;

kiosk::CardUid card(std::string_view hex) {
    std::string err;
    return *kiosk::parse_card_uid(hex, &err);
}

// A machine in staff mode over a refused tap, as the worker's answers would bring it there.
struct StaffJourney {
    kiosk::MachineSettings settings;
    kiosk::Now now{kiosk::MonoTime{100'000}, *kiosk::parse_instant("2026-12-01T10:00:00+09:00")};
    kiosk::KioskState st;
    std::vector<kiosk::Effect> effects;

    StaffJourney() {
        settings.override_reasons = kiosk::StaffConfig{}.override_reasons;
        st = kiosk::initial_state(settings, now);
        apply(kiosk::RecordsStatus{now.wall - 3h, 3, 4});
        // A refused tap.
        apply(kiosk::CardPresented{card("04000000000002"), "R"});
        auto* d = std::get_if<kiosk::DecideCard>(&effects.front());
        kiosk::TapResult r;
        r.decision.trainee_no = "L-1";
        r.decision.reasons.push_back(
            {kiosk::Code::CertLost, kiosk::Course::SystemOperation, {"TR-4"}});
        r.card_hash = "ab";
        apply(kiosk::Decided{d->request, r});
        // The staff card: the worker answers that it is one.
        apply(kiosk::CardPresented{card("05000000000001"), "R"});
        d = std::get_if<kiosk::DecideCard>(&effects.front());
        kiosk::StaffReply staff;
        staff.request = d->request;
        staff.kind = kiosk::StaffEffect::Kind::Classify;
        staff.role = kiosk::CardRole::Staff;
        staff.card = d->uid;
        apply(staff);
    }
    void apply(const kiosk::Event& e) {
        kiosk::Step s = kiosk::step(st, e, now);
        st = std::move(s.state);
        effects = std::move(s.effects);
    }
    void signed_in(StaffPage page) {
        st.staff->who = kiosk::StaffSignIn{"S-1", "佐藤", "cd", now.wall};
        st.staff->page = page;
    }
};

class StaffScreens : public ::testing::TestWithParam<kiosk::Lang> {
protected:
    ui_test::Headless ui;
    ui::FrameRecord record;
    ui::StaffFrame staff;

    ui::UiContext context(const StaffJourney& j) {
        ui::UiContext c;
        c.fonts = &ui.fonts();
        c.theme = &ui.theme();
        c.now = j.now;
        c.record = &record;
        c.staff = &staff;
        return c;
    }
    std::vector<Intent> draw(StaffJourney& j) {
        j.st.lang = GetParam();
        ui::UiContext c = context(j);
        std::vector<Intent> got;
        for (int i = 0; i < 2; ++i) {
            staff = {};
            ui.frame([&] { got = ui::draw_screen(j.st, c); });
        }
        EXPECT_LE(record.content_bottom, ImGui::GetIO().DisplaySize.y);
        return got;
    }
    std::vector<StaffInput> touch(StaffJourney& j, std::string_view label) {
        draw(j);
        const ui::StaffControl* c = staff.control(label);
        EXPECT_TRUE(c) << "no control " << label;
        if (!c) return {};
        ImVec2 at = c->center();
        std::vector<StaffInput> inputs;
        ui::UiContext ctx = context(j);
        ui.touch<int>(at, [&] {
            staff = {};
            ui::draw_screen(j.st, ctx);
            inputs.insert(inputs.end(), staff.inputs.begin(), staff.inputs.end());
            return std::vector<int>{};
        });
        return inputs;
    }
    bool ja() const { return GetParam() == kiosk::Lang::Ja; }
};

TEST_P(StaffScreens, PinKeypadShowsDotsNeverDigitsAndHasLargeKeys) {
    StaffJourney j;
    ASSERT_EQ(j.st.screen, Screen::Staff);
    for (int d : {4, 7, 1}) j.apply(kiosk::StaffInputEvent{{K::Digit, d, ""}});
    draw(j);
    EXPECT_TRUE(record.has_text("● ● ●"));
    EXPECT_FALSE(record.has_text("471"));
    EXPECT_TRUE(record.has_text(ja() ? "スタッフPINを入力してください" : "Enter your staff PIN"));
    const float min_px = ui.theme().control_px() - 0.5f;
    int keys = 0;
    for (auto& c : staff.controls) {
        EXPECT_GE(c.max.x - c.min.x, min_px) << c.label;
        EXPECT_GE(c.max.y - c.min.y, min_px) << c.label;
        keys += c.input.kind == K::Digit;
    }
    EXPECT_EQ(keys, 10);
    EXPECT_EQ(touch(j, "7"), (std::vector<StaffInput>{{K::Digit, 7, ""}}));
    EXPECT_EQ(touch(j, "OK"), (std::vector<StaffInput>{{K::Submit, 0, ""}}));
}

TEST_P(StaffScreens, ThePhysicalKeyboardTypesThePin) {
    StaffJourney j;
    ImGuiIO& io = ImGui::GetIO();
    io.AddInputCharactersUTF8("12a3");
    draw(j);  // the first of the two frames takes the characters
    ui::UiContext c = context(j);
    staff = {};
    io.AddInputCharactersUTF8("45");
    ui.frame([&] { ui::draw_screen(j.st, c); });
    EXPECT_EQ(staff.inputs, (std::vector<StaffInput>{{K::Digit, 4, ""}, {K::Digit, 5, ""}}));
}

TEST_P(StaffScreens, AWrongPinSaysSoWithoutTheDigits) {
    StaffJourney j;
    j.st.staff->issue = kiosk::StaffIssue::PinWrong;
    j.st.staff->message = "Wrong PIN: 4 tries left";
    draw(j);
    EXPECT_TRUE(record.has_text("Wrong PIN: 4 tries left"));
}

TEST_P(StaffScreens, OverridePageShowsTheRefusalReasonsDurationAndOk) {
    StaffJourney j;
    j.signed_in(StaffPage::Override);
    std::vector<Intent> none = draw(j);
    EXPECT_TRUE(none.empty());
    EXPECT_TRUE(record.has_text("CERT_LOST"));
    EXPECT_TRUE(record.has_text("L-1"));
    EXPECT_TRUE(record.has_text(ja() ? "佐藤" : "佐藤"));
    ASSERT_TRUE(record.control(Intent::Ok));
    ASSERT_TRUE(record.control(Intent::Cancel));
    EXPECT_EQ(touch(j, j.settings.override_reasons[1]),
              (std::vector<StaffInput>{{K::Reason, 1, ""}}));
    EXPECT_EQ(touch(j, "60"), (std::vector<StaffInput>{{K::Minutes, 60, ""}}));
    // Typed text goes into the reason.
    ui::UiContext c = context(j);
    staff = {};
    ImGui::GetIO().AddInputCharactersUTF8("電話で確認");
    ui.frame([&] { ui::draw_screen(j.st, c); });
    EXPECT_EQ(staff.inputs, (std::vector<StaffInput>{{K::ReasonText, 0, "電話で確認"}}));
}

TEST_P(StaffScreens, SessionsPageListsEachWithEnd) {
    StaffJourney j;
    j.signed_in(StaffPage::Sessions);
    kiosk::SessionRecord s;
    s.id = 12;
    s.trainee_no = "A-1";
    s.started_at = j.now.wall;
    s.ends_at = j.now.wall + 2h;
    s.override_by = "S-1";
    j.st.staff->sessions = {s};
    draw(j);
    EXPECT_TRUE(record.has_text("#12  A-1"));
    EXPECT_TRUE(record.has_text("override S-1"));
    EXPECT_EQ(touch(j, ja() ? "終了 #12" : "End #12"),
              (std::vector<StaffInput>{{K::EndSession, 12, ""}}));
}

TEST_P(StaffScreens, EnrolBriefingsRecordsAuditAndLookUpPages) {
    StaffJourney j;
    j.signed_in(StaffPage::Enrol);
    draw(j);
    EXPECT_TRUE(
        record.has_text(ja() ? "受講者のカードをタッチしてください" : "Tap the trainee's card"));

    j.st.staff->page = StaffPage::Briefings;
    j.st.staff->briefings = {{"N-1", j.now.wall}};
    draw(j);
    EXPECT_TRUE(record.has_text("N-1"));
    EXPECT_EQ(touch(j, ja() ? "説明済み" : "Briefed"),
              (std::vector<StaffInput>{{K::Briefed, 0, "N-1"}}));

    j.st.staff->page = StaffPage::Records;
    kiosk::RecordsSummary r;
    r.feed = kiosk::FeedState{};
    r.feed->sequence = 42;
    r.age_hours = 3;
    r.state = "fresh";
    r.last_error = "signature does not verify";
    j.st.staff->records = r;
    draw(j);
    EXPECT_TRUE(record.has_text("42"));
    EXPECT_TRUE(record.has_text("signature does not verify"));
    EXPECT_EQ(touch(j, ja() ? "今すぐ同期" : "Sync now"),
              (std::vector<StaffInput>{{K::SyncNow, 0, ""}}));

    j.st.staff->page = StaffPage::Audit;
    kiosk::AuditView a;
    a.chain = {true, 3, ""};
    a.latest = {{3, {j.now.wall, "session.start", "staff:S-1", "L-1", "", "override", "{}"}, "h"}};
    j.st.staff->audit = a;
    draw(j);
    EXPECT_TRUE(record.has_text(ja() ? "監査チェーンは正常" : "The audit chain verifies"));
    EXPECT_TRUE(record.has_text("session.start override"));

    j.st.staff->page = StaffPage::Lookup;
    kiosk::TraineeLookup l;
    l.explanation = {"The rules refuse a session"};
    kiosk::Certificate cert;
    cert.certificate_no = "C-4";
    cert.course_code = "SYSOP";
    l.certificates = {{cert, false, "reported lost: the course must be retaken (TR-4)"}};
    j.st.staff->lookup = l;
    draw(j);
    EXPECT_TRUE(record.has_text("The rules refuse a session"));
    EXPECT_TRUE(record.has_text("reported lost"));
}

// "Sync now" on the Records page: while it runs, its step, a bar and the rows read, and no second
// "sync now" to press; then its report (the sequence applied) or the clear reason it failed, with
// "sync now" back. The states come from the machine: the worker's answer, then the sync's news.
TEST_P(StaffScreens, RecordsPageShowsSyncProgressThenItsReport) {
    StaffJourney j;
    j.signed_in(StaffPage::Records);
    kiosk::RecordsSummary r;
    r.feed = kiosk::FeedState{};
    r.feed->sequence = 1;
    r.state = "fresh";
    j.st.staff->records = r;
    kiosk::SyncStatus st;
    st.state = kiosk::SyncStatus::State::Running;
    st.run = 1;
    st.version = 1;
    st.staff_id = "S-1";
    st.started_at = j.now.wall;
    st.phase = "starting";
    kiosk::StaffReply started;
    started.request = j.st.staff->pending = 77;
    started.kind = kiosk::StaffEffect::Kind::SyncNow;
    started.outcome = {kiosk::StaffIssue::None, "Sync started", {}};
    started.sync = st;
    started.records = r;
    j.apply(started);
    st.phase = "reading";
    st.rows = 16384;
    st.version = 2;
    j.apply(kiosk::StaffSyncUpdate{st});
    draw(j);
    EXPECT_TRUE(record.has_text(ja() ? "同期中 4 / 7: 行を読み込み中  (16384 行)"
                                     : "Syncing 4 / 7: reading the rows  (16384 rows)"));
    EXPECT_FALSE(staff.control(ja() ? "今すぐ同期" : "Sync now"));

    st.state = kiosk::SyncStatus::State::Applied;
    st.phase.clear();
    st.rows = 20;
    st.sequence_from = 1;
    st.sequence_to = 2;
    st.trainees_changed = 1;
    st.version = 3;
    j.apply(kiosk::StaffSyncUpdate{st});
    j.st.staff->pending = 0;  // the records' reload, answered below
    j.st.staff->records->feed->sequence = 2;
    draw(j);
    EXPECT_TRUE(record.has_text(ja() ? "✓ 同期しました: 連番 1 → 2  (20 行)"
                                     : "✓ Synced: sequence 1 → 2  (20 rows)"));
    EXPECT_TRUE(record.has_text(ja() ? "受講者: 追加 0 · 変更 1 · 削除 0"
                                     : "Trainees: added 0 · changed 1 · removed 0"));
    EXPECT_TRUE(record.has_text(ja() ? "連番 2  ·  経過 0.0 h (fresh)"
                                     : "Sequence 2  ·  age 0.0 h (fresh)"));
    EXPECT_EQ(touch(j, ja() ? "今すぐ同期" : "Sync now"),
              (std::vector<StaffInput>{{K::SyncNow, 0, ""}}));

    st.state = kiosk::SyncStatus::State::Failed;
    st.error = "signature verification failed";
    st.version = 4;
    j.apply(kiosk::StaffSyncUpdate{st});
    j.st.staff->pending = 0;
    // The reload: the same failure as the last error, said once.
    j.st.staff->records->last_error = "signature does not verify";
    j.st.staff->records->last_error_at = st.started_at;
    draw(j);
    EXPECT_FALSE(record.has_text(ja() ? "最後のエラー:" : "Last error:"));
    EXPECT_TRUE(record.has_text(ja() ? "× 同期できませんでした: signature verification failed"
                                     : "× Sync failed: signature verification failed"));
    EXPECT_TRUE(
        record.has_text(ja() ? "記録は変更されていません" : "The records were not changed"));
}

TEST_P(StaffScreens, TabsSwitchPages) {
    StaffJourney j;
    j.signed_in(StaffPage::Sessions);
    EXPECT_EQ(touch(j, ja() ? "監査" : "Audit"),
              (std::vector<StaffInput>{{K::Page, static_cast<int>(StaffPage::Audit), ""}}));
}

TEST(StaffStrings, EveryFixedStringHasGlyphsInTheBodyFont) {
    ui_test::Headless ui;
    for (std::string_view s : ui::staff_strings()) {
        std::string t(s);
        for (size_t i = 0; i < t.size();) {
            auto b = static_cast<unsigned char>(t[i]);
            int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
            unsigned int c = n == 1 ? b : b & (0xFF >> (n + 1));
            for (int k = 1; k < n && i + k < t.size(); ++k)
                c = (c << 6) | (static_cast<unsigned char>(t[i + k]) & 0x3F);
            i += n;
            EXPECT_TRUE(ui.fonts().body->FindGlyphNoFallback(static_cast<ImWchar>(c)))
                << "no glyph for U+" << std::hex << c << " in '" << t << "'";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(BothLanguages, StaffScreens,
                         ::testing::Values(kiosk::Lang::Ja, kiosk::Lang::En));

}  // namespace
