// The workspace screen (ui/workspace_screen.h) drawn headless over the real query engine on a
// generated test database, in both languages: an example touched goes into the editor, Run runs it
// off the UI thread and the grid shows its rows, the count and the duration; Next/Previous page;
// a refused query shows SQLite's own words; Cancel stops a runaway query.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "db/audit_store.h"
#include "db/sql_workspace.h"
#include "db/testdb.h"
#include "ui/screen_kit.h"
#include "ui/screens.h"
#include "ui/workspace_screen.h"
#include "ui_harness.h"

namespace {

using namespace std::chrono_literals;
using ui::WorkspaceAction;

class WorkspaceScreen : public ::testing::TestWithParam<kiosk::Lang> {
protected:
    static void SetUpTestSuite() {
        dir_ = (std::filesystem::temp_directory_path() / "kiosk-ui-ws-XXXXXX").string();
        ASSERT_TRUE(::mkdtemp(dir_.data()));
        std::string err;
        ASSERT_TRUE(kiosk::db::generate_test_database(dir_ + "/testdb.sqlite", 300, 7, &err))
            << err;
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

    void SetUp() override {
        audit_ = std::make_unique<kiosk::db::AuditStore>(
            dir_ + "/audit-" + std::to_string(counter_++) + ".db", true);
        std::string err;
        ws_ = kiosk::db::SqlWorkspace::open(dir_ + "/testdb.sqlite", {},
                                            {audit_.get(), "workspace", "T-1"}, &err);
        ASSERT_TRUE(ws_) << err;
        for (auto& q : kiosk::db::sample_queries())
            examples_.push_back({q.title_ja, q.title_en, q.sql});
        state_.lang = GetParam();
    }

    ui::UiContext context() {
        ui::UiContext c;
        c.fonts = &ui_.fonts();
        c.theme = &ui_.theme();
        c.record = &record_;
        return c;
    }
    std::vector<WorkspaceAction> draw() {
        record_ = {};
        ui::UiContext c = context();
        // The full-screen window draw_screen() opens around every screen.
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
        ImGui::Begin("##screen", nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                         ImGuiWindowFlags_NoSavedSettings);
        ui::ScreenKit kit(state_, c);
        const auto a = ui::draw_workspace(kit, view_, *ws_, examples_);
        ImGui::End();
        return a == WorkspaceAction::None ? std::vector<WorkspaceAction>{}
                                          : std::vector<WorkspaceAction>{a};
    }
    void frame() {
        ui_.frame([&] { draw(); });
    }
    std::vector<WorkspaceAction> touch(WorkspaceAction a, int example = -1) {
        frame();
        const ui::WorkspaceControl* c = view_.control(a, example);
        EXPECT_TRUE(c) << "no enabled control " << static_cast<int>(a);
        if (!c) return {};
        const ImVec2 at = c->center();
        return ui_.touch<WorkspaceAction>(at, [&] { return draw(); });
    }
    // Frames until the query has ended (as the screen would, ~60 a second).
    void until_done() {
        auto until = std::chrono::steady_clock::now() + 20s;
        do {
            frame();
            std::this_thread::sleep_for(5ms);
        } while (ws_->poll().running() && std::chrono::steady_clock::now() < until);
        frame();
    }
    const ui::Strings& s() const { return ui::strings(GetParam()); }

    static std::string dir_;
    static int counter_;
    ui_test::Headless ui_;
    ui::FrameRecord record_;
    kiosk::KioskState state_;
    ui::WorkspaceView view_;
    std::vector<ui::WorkspaceExample> examples_;
    std::unique_ptr<kiosk::db::AuditStore> audit_;
    std::unique_ptr<kiosk::db::SqlWorkspace> ws_;
};
std::string WorkspaceScreen::dir_;
int WorkspaceScreen::counter_ = 0;

TEST_P(WorkspaceScreen, AnExampleRunsAndItsRowsArePaged) {
    frame();
    EXPECT_TRUE(record_.has_text(s()[ui::Text::WorkspaceExamples]));
    EXPECT_TRUE(record_.has_text(GetParam() == kiosk::Lang::Ja ? examples_[0].title_ja
                                                               : examples_[0].title_en));
    // The HbA1c-trend example returns hundreds of rows: touch it, then Run.
    int trend = -1;
    for (size_t i = 0; i < examples_.size(); ++i)
        if (examples_[i].sql.find("LAG(l.value)") != std::string::npos) trend = static_cast<int>(i);
    ASSERT_GE(trend, 0);
    // The examples list may need scrolling to show it; put its SQL in directly if it is not shown.
    if (view_.control(WorkspaceAction::Example, trend)) {
        EXPECT_EQ(touch(WorkspaceAction::Example, trend),
                  std::vector<WorkspaceAction>{WorkspaceAction::Example});
    } else {
        view_.set_sql(examples_[static_cast<size_t>(trend)].sql);
    }
    EXPECT_EQ(view_.sql(), examples_[static_cast<size_t>(trend)].sql);
    EXPECT_EQ(touch(WorkspaceAction::Run), std::vector<WorkspaceAction>{WorkspaceAction::Run});
    until_done();
    const auto st = ws_->poll();
    ASSERT_EQ(st.outcome, kiosk::QueryOutcome::Done) << st.message;
    ASSERT_GT(st.rows, 40);
    const std::string n = std::to_string(st.rows);
    // A page is what the grid shows at this screen size, with no scrolling inside it.
    const int page = view_.page_rows;
    ASSERT_GE(page, 5) << "the grid shows a useful page at 1920x1080";
    ASSERT_GT(st.rows, 2 * page);
    EXPECT_TRUE(record_.has_text(ui::fill(
        s()[ui::Text::WorkspaceRange], {{"from", "1"}, {"to", std::to_string(page)}, {"n", n}})));
    EXPECT_TRUE(record_.has_text("change_since_previous")) << "column headers";
    EXPECT_EQ(touch(WorkspaceAction::NextPage),
              std::vector<WorkspaceAction>{WorkspaceAction::NextPage});
    EXPECT_TRUE(record_.has_text(ui::fill(
        s()[ui::Text::WorkspaceRange],
        {{"from", std::to_string(page + 1)}, {"to", std::to_string(2 * page)}, {"n", n}})));
    EXPECT_EQ(touch(WorkspaceAction::PreviousPage),
              std::vector<WorkspaceAction>{WorkspaceAction::PreviousPage});
    EXPECT_EQ(view_.first_row, 0);
    EXPECT_FALSE(view_.control(WorkspaceAction::PreviousPage)) << "no page before the first";
}

TEST_P(WorkspaceScreen, ARefusedQueryShowsWhyAndAnErrorShowsSqlitesMessage) {
    view_.set_sql("ATTACH '/tmp/x.db' AS x");
    touch(WorkspaceAction::Run);
    until_done();
    EXPECT_TRUE(record_.has_text(s()[ui::Text::WorkspaceRefused]));
    EXPECT_TRUE(record_.has_text("not authorized: ATTACH"));
    view_.set_sql("SELECT * FROM nonesuch");
    touch(WorkspaceAction::Run);
    until_done();
    EXPECT_TRUE(record_.has_text(s()[ui::Text::WorkspaceFailed]));
    EXPECT_TRUE(record_.has_text("no such table: nonesuch"));
}

TEST_P(WorkspaceScreen, CancelStopsARunawayQuery) {
    view_.set_sql(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c");
    touch(WorkspaceAction::Run);
    EXPECT_TRUE(ws_->poll().running());
    EXPECT_FALSE(view_.control(WorkspaceAction::Run)) << "Run is off while a query runs";
    frame();
    EXPECT_TRUE(ws_->poll().running()) << "the screen keeps drawing while the query runs";
    EXPECT_EQ(touch(WorkspaceAction::Cancel),
              std::vector<WorkspaceAction>{WorkspaceAction::Cancel});
    until_done();
    EXPECT_EQ(ws_->poll().outcome, kiosk::QueryOutcome::Cancelled);
    EXPECT_TRUE(record_.has_text(s()[ui::Text::WorkspaceCancelled]));
}

// The session screen with the workspace (UiContext::workspace, as the kiosk program hands it):
// one row with the time left and "End session" over the workspace, which fills the rest of the
// screen without scrolling; End session is touchable; without a workspace (it could not be opened)
// the screen says the test database is unavailable and End session stays.
TEST_P(WorkspaceScreen, TheSessionScreenCarriesTheWorkspace) {
    const kiosk::Now now{std::chrono::minutes(1),
                         kiosk::Instant{std::chrono::seconds(1'780'000'000)}};
    state_.screen = kiosk::Screen::Session;
    kiosk::SessionView v;
    v.record.id = 7;
    v.record.trainee_no = "T-1";
    v.record.started_at = now.wall;
    v.record.ends_at = now.wall + std::chrono::minutes(120);
    v.trainee_name = "Suzuki Hanako";
    v.deadline = now.mono + std::chrono::minutes(120);
    state_.session = v;
    ui::WorkspaceFrame wf;
    wf.workspace = ws_.get();
    wf.view = &view_;
    wf.examples = &examples_;
    auto draw_session = [&] {
        record_ = {};
        ui::UiContext c = context();
        c.now = now;
        c.workspace = &wf;
        return ui::draw_screen(state_, c);
    };
    ui_.frame([&] { draw_session(); });
    EXPECT_TRUE(record_.has_text(s()[ui::Text::WorkspaceExamples]));
    EXPECT_TRUE(record_.has_text("2:00:00")) << "time left";
    EXPECT_TRUE(record_.has_text("Suzuki Hanako"));
    ASSERT_TRUE(view_.control(WorkspaceAction::Run));
    EXPECT_GT(view_.editor_max.x, view_.editor_min.x);
    EXPECT_LE(record_.content_bottom, ImGui::GetIO().DisplaySize.y) << "no scrolling";
    const ui::Control* end = record_.control(kiosk::Intent::EndSession);
    ASSERT_TRUE(end);
    EXPECT_LT(end->max.y, view_.editor_min.y) << "the session row is above the workspace";
    EXPECT_EQ(ui_.touch<kiosk::Intent>(end->center(), draw_session),
              std::vector<kiosk::Intent>{kiosk::Intent::EndSession});

    wf.workspace = nullptr;
    wf.problem = "cannot open testdb.sqlite";
    ui_.frame([&] { draw_session(); });
    EXPECT_TRUE(record_.has_text(s()[ui::Text::TestDbUnavailableBody]));
    EXPECT_TRUE(record_.has_text("cannot open testdb.sqlite"));
    EXPECT_TRUE(record_.control(kiosk::Intent::EndSession));
}

INSTANTIATE_TEST_SUITE_P(BothLanguages, WorkspaceScreen,
                         ::testing::Values(kiosk::Lang::Ja, kiosk::Lang::En), [](const auto& info) {
                             return std::string(kiosk::lang_code(info.param));
                         });

}  // namespace

TEST(WorkspacePageRows, APageIsTheWholeRowsUnderTheHeader) {
    EXPECT_EQ(ui::workspace_page_rows(400, 40), 9);  // 10 rows' height: the header and 9
    EXPECT_EQ(ui::workspace_page_rows(439, 40), 9);  // a part row is not shown
    EXPECT_EQ(ui::workspace_page_rows(440, 40), 10);
    EXPECT_EQ(ui::workspace_page_rows(50, 40), 1);  // always at least one row
    EXPECT_EQ(ui::workspace_page_rows(0, 40), 1);
    EXPECT_EQ(ui::workspace_page_rows(400, 0), 1);
    EXPECT_EQ(ui::workspace_page_rows(1e9f, 1), ui::kWorkspaceMaxPageRows);
}
