// The kiosk program's loop (see kiosk_app.h). Event-driven: it sleeps in glfwWaitEventsTimeout
// until input, a reader or worker wake-up (glfwPostEmptyEvent) or the next thing the state machine
// or the screen's clock needs, and draws only when something changed (plus two settle frames after
// input). Card events and worker answers become state machine events; the machine's effects go to
// the worker; the screen's intents go back into the machine. Sessions start and end through one
// SessionDesk over the gate `[sessions] backend` names (recovered at start-up, expired every few
// seconds, on the worker); a workspace session's SQL workspace lives on this thread from the
// session's start to its end.
#include "kiosk/app/kiosk_app.h"

#include <GLFW/glfw3.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "db/audit_store.h"
#include "db/data_dir.h"
#include "db/mirror_store.h"
#include "db/session_gates.h"
#include "db/sql_workspace.h"
#include "db/staff_records.h"
#include "db/testdb.h"
#include "drivers/pcsc_reader.h"
#include "drivers/simulated_reader.h"
#include "imgui.h"
#include "kiosk/app/records_sync.h"
#include "kiosk/app/script.h"
#include "kiosk/app/worker.h"
#include "kiosk/config.h"
#include "kiosk/demo_data.h"
#include "kiosk/gatekeeper.h"
#include "kiosk/kiosk_machine.h"
#include "kiosk/session_desk.h"
#include "ui/fonts.h"
#include "ui/platform.h"
#include "ui/screens.h"
#include "ui/staff_screens.h"
#include "ui/strings.h"
#include "ui/theme.h"
#include "ui/workspace_screen.h"

namespace kiosk::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

std::atomic<bool> g_quit{false};

// The windowed kiosk: 1280x720 (the panel scaled by 2/3), plus the demo's tray right of it.
constexpr int kWindowWidth = 1280;
constexpr int kWindowHeight = 720;
constexpr float kTrayLeft = kWindowWidth;
constexpr int kTrayWidth = 360;
// How often the worker closes sessions whose time is up (SessionDesk::expire_due).
constexpr auto kSweepEvery = std::chrono::seconds(5);
// Frames while a workspace query runs (its progress and rows are polled by the screen).
constexpr auto kQueryFrame = std::chrono::milliseconds(33);

std::int64_t steady_ns(SteadyClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The kiosk's clock: monotonic time for timeouts, wall time for display and decisions; `advance`
// (scripts and the demo) moves both forward.
class KioskClock {
public:
    Now now() const {
        auto adv = std::chrono::milliseconds(advanced_ms_.load());
        Now n;
        n.mono = std::chrono::duration_cast<MonoTime>(SteadyClock::now() - start_) + adv;
        n.wall = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + adv);
        return n;
    }
    void advance(std::chrono::milliseconds d) { advanced_ms_ += d.count(); }

private:
    SteadyClock::time_point start_ = SteadyClock::now();
    std::atomic<std::int64_t> advanced_ms_{0};
};

// SIGINT/SIGTERM end the loop through a thread of their own (no GLFW call in a signal handler).
void watch_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
        int sig = 0;
        sigwait(&set, &sig);
        g_quit = true;
        ui::Platform::wake_up();
    }).detach();
}

// The demo tray's keys 1-9. Dear ImGui 1.86 has no input queue: a key pressed and released within
// one frame (xdotool, a quick typist) never shows as down, so the presses are caught here.
GLFWkeyfun g_previous_key_callback = nullptr;
std::vector<int> g_digit_presses;  // main thread only (GLFW calls back from glfwWaitEvents*)

void on_key(GLFWwindow* w, int key, int scancode, int action, int mods) {
    // Not while a text field has the keyboard (the workspace's SQL editor: "LIMIT 10", or '(',
    // which is Shift+9): those keys are the trainee's typing, not card taps.
    const bool typing = ImGui::GetCurrentContext() && ImGui::GetIO().WantTextInput;
    if (!typing && action == GLFW_PRESS) {
        if (key >= GLFW_KEY_1 && key <= GLFW_KEY_9)
            g_digit_presses.push_back(key - GLFW_KEY_1);
        else if (key >= GLFW_KEY_KP_1 && key <= GLFW_KEY_KP_9)
            g_digit_presses.push_back(key - GLFW_KEY_KP_1);
    }
    if (g_previous_key_callback) g_previous_key_callback(w, key, scancode, action, mods);
}

std::string self_dir() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : p.parent_path().string();
}

// `kiosk --demo` without --config: sessions may be extended by this much (the shipped default,
// config/kiosk.toml's extend_minutes = 0, leaves extensions off).
constexpr int kDemoExtendMinutes = 30;

// `kiosk --demo` without --data-dir: the demo data of `kioskctl demo-data` in a fresh directory.
bool make_demo_data(std::string* data_dir, std::string* err) {
    char tmpl[] = "/tmp/onsite-kiosk-demo-XXXXXX";
    if (!mkdtemp(tmpl)) {
        *err = fmt::format("cannot create a directory for the demo data: {}", strerror(errno));
        return false;
    }
    std::string ctl = self_dir() + "/kioskctl";
    std::string cmd = fmt::format("'{}' demo-data --out '{}' >&2", ctl, tmpl);
    int rc = std::system(cmd.c_str());
    if (rc != 0) {
        *err = fmt::format("the demo data could not be generated ({} exited with {})", ctl, rc);
        return false;
    }
    *data_dir = std::string(tmpl) + "/data";
    return true;
}

class KioskApp {
public:
    explicit KioskApp(const KioskOptions& o) : opt_(o) {}
    int run();

private:
    bool setup(std::string* err);
    void feed(const Event& e);
    // The SQL workspace follows the machine's session (workspace backend): opened when a session
    // appears, closed (running query cancelled, last query audited) and the view dropped when it
    // goes - before the session's end reaches the worker.
    void sync_workspace();
    void open_workspace(const SessionView& session);
    void close_workspace();
    std::string workspace_trace() const;
    void feed_card_event(const CardEvent& ce);
    void frame(const std::string& shot);
    void draw_tray();
    bool settled() const;
    // Applies the next script step when the previous one has settled. Returns an exit status when
    // the program should end, -1 otherwise.
    int run_script();
    double wait_seconds();

    KioskOptions opt_;
    Config cfg_;
    KioskClock clock_;
    std::unique_ptr<db::DataDir> data_;
    std::unique_ptr<Gatekeeper> gate_;
    std::unique_ptr<SessionGate> session_gate_;
    std::unique_ptr<SessionDesk> session_desk_;
    std::unique_ptr<db::StaffRecordsStore> staff_records_;
    std::unique_ptr<StaffDesk> staff_desk_;
    // "Sync now": its thread's news waits here for the main loop (declared first, so it outlives
    // both the worker, which starts syncs, and the sync's thread, which reports).
    std::mutex sync_news_mu_;
    std::vector<SyncStatus> sync_news_;
    std::unique_ptr<SourceRecordsSync> records_sync_;
    bool wait_sync_ = false;                        // script `wait sync`
    bool sync_quiet();                              // no sync running and its news all fed
    std::vector<ui::StaffControl> staff_controls_;  // as drawn last frame (script `staff WORD`)
    // --trace: a staff form submitted (the PIN's Enter, the override's OK) -> the first frame
    // presented showing what it led to (issue 11's "PIN entered -> override session on screen").
    struct StaffSubmit {
        std::string from;  // "staff/pin", "staff/override"
        SteadyClock::time_point at;
        SteadyClock::time_point answered{};  // the worker's answer reached the loop
    };
    std::optional<StaffSubmit> staff_submit_;
    std::string drawn_view() const;
    std::unique_ptr<Worker> worker_;
    // The workspace of the running session (UI thread): its audit rows go through a connection of
    // its own (the worker's store is the worker's alone).
    std::unique_ptr<db::AuditStore> ws_audit_;
    std::unique_ptr<db::SqlWorkspace> ws_;
    std::unique_ptr<ui::WorkspaceView> ws_view_;
    std::vector<ui::WorkspaceExample> ws_examples_;
    std::int64_t ws_session_ = 0;  // the session the workspace belongs to; 0: none
    std::string ws_problem_;       // why it could not be opened
    bool ws_running_ = false;      // a query ran at the last frame
    std::string ws_last_query_;    // trace: the last query status printed
    SteadyClock::time_point next_sweep_{};
    SteadyClock::time_point last_frame_{};
    CardEventQueue queue_;
    std::unique_ptr<CardReader> reader_;
    drivers::SimulatedReader* simulated_ = nullptr;
    std::unique_ptr<ui::Platform> platform_;
    ui::Theme theme_;
    ui::FontSet fonts_;
    // f: the full atlas (names' kanji) builds while the first frames use a quick one; worker
    // events wait from a decision on until it is in (no name drawn as "?"). Declared after
    // platform_: joined before the ImGui context goes. perf8: the quick atlas is rasterised while
    // the data directory and the window open; the full one starts after the first frame.
    std::unique_ptr<ui::AtlasBuild> full_fonts_;
    std::shared_ptr<const ui::FontFile> font_file_;  // mapped once, shared by both builds
    std::vector<std::string> font_texts_;
    bool fonts_final_ = false;  // the full atlas is in (or could not be built)
    std::vector<Event> held_;
    void start_full_fonts();
    bool install_full_fonts(std::string* err);
    KioskState state_;

    std::vector<ScriptStep> script_;
    size_t next_step_ = 0;
    bool script_running_ = false;
    SteadyClock::time_point resume_at_{};  // `wait`
    std::string typed_;                    // `type`: text for the next frame
    bool enter_down_ = false;

    int need_frames_ = 1;
    std::string pending_shot_;
    std::string pending_shot_error_;
    std::int64_t display_key_ = -1;  // the clock's minute / the countdown's second last drawn
    ui::FrameRecord last_record_;
    bool first_frame_done_ = false;
    SteadyClock::time_point start_ = SteadyClock::now();
    SteadyClock::time_point next_refresh_{};
    std::map<std::uint64_t, SteadyClock::time_point> queued_at_;  // decide request -> card queued
    std::optional<SteadyClock::time_point> presenting_;           // a decision to trace
    std::string last_trace_;
    SteadyClock::time_point answered_{};  // when the worker's answer reached the loop
};

bool KioskApp::setup(std::string* err) {
    if (!opt_.config_path.empty() && !load_config(opt_.config_path, &cfg_, err)) return false;
    // The shipped default leaves extensions off (a site opts in); the demo shows them.
    if (opt_.demo && opt_.config_path.empty()) cfg_.extend_minutes = kDemoExtendMinutes;
    std::string data_dir = opt_.data_dir.empty() ? cfg_.data_dir : opt_.data_dir;
    std::string lang = opt_.lang.empty() ? cfg_.ui.language : opt_.lang;

    ui::WindowOptions w;
    w.full_screen = !opt_.windowed;
    if (opt_.windowed) {
        w.width = kWindowWidth + (opt_.demo && opt_.script_path.empty() ? kTrayWidth : 0);
        w.height = kWindowHeight;
        theme_.px_per_mm = cfg_.ui.px_per_mm * kWindowWidth / 1920.0;  // the panel, scaled
    } else {
        theme_.px_per_mm = cfg_.ui.px_per_mm;
    }
    w.hide_cursor = !opt_.windowed;

    // perf8: the quick atlas is rasterised on a thread of its own (no Dear ImGui call there)
    // while the data directory and the window open.
    auto fonts_start = SteadyClock::now();
    ui::FontOptions fo;
    fo.path = cfg_.ui.font;
    fo.body = ui::BodyGlyphs::Quick;
    for (std::string_view t : ui::all_strings()) font_texts_.emplace_back(t);
    for (std::string_view t : ui::staff_strings()) font_texts_.emplace_back(t);
    for (const std::string& r : cfg_.staff.override_reasons) font_texts_.push_back(r);
    if (opt_.demo)
        for (const DemoCard& c : demo_cards()) font_texts_.push_back(c.label);
    font_texts_.push_back(cfg_.site_name);  // drawn on the first frame
    font_file_ = ui::FontFile::open(fo.path, fo.face, err);
    if (!font_file_) return false;
    ui::AtlasBuild quick(theme_, fo, font_texts_, nullptr, font_file_);

    auto data_start = SteadyClock::now();
    if (opt_.demo && opt_.data_dir.empty() && !make_demo_data(&data_dir, err)) return false;
    data_ = db::DataDir::open(data_dir, err);
    if (!data_) return false;
    gate_ = std::make_unique<Gatekeeper>(data_->mirror(), data_->local(), data_->audit(),
                                         data_->secret(), cfg_.policy);
    try {
        staff_records_ = std::make_unique<db::StaffRecordsStore>(data_->local(), data_->audit());
    } catch (const std::exception& e) {
        *err = e.what();
        return false;
    }
    staff_desk_ = std::make_unique<StaffDesk>(*gate_, data_->mirror(), data_->local(),
                                              data_->audit(), *staff_records_, data_->secret(),
                                              cfg_.staff, cfg_.session_minutes, cfg_.policy);
    // The test database's gate: every start and end (trainee, expiry, staff) goes through it.
    session_gate_ = db::make_session_gate(cfg_, *data_, err);
    if (!session_gate_) return false;
    session_desk_ =
        std::make_unique<SessionDesk>(*gate_, data_->local(), data_->audit(), *session_gate_);
    session_desk_->set_extension_limits(
        extension_limits_for(cfg_.session_minutes, cfg_.extend_minutes));
    staff_desk_->set_session_desk(session_desk_.get());
    for (const db::SampleQuery& q : db::sample_queries())
        ws_examples_.push_back({q.title_ja, q.title_en, q.sql});

    auto window_start = SteadyClock::now();
    platform_ = ui::Platform::open(w, err);
    if (!platform_) return false;
    theme_.apply(ImGui::GetStyle());
    auto upload_start = SteadyClock::now();
    ui::AtlasPtr atlas = quick.take(&fonts_, err);
    if (!atlas || !platform_->replace_fonts(std::move(atlas), err)) return false;
    if (opt_.trace) {
        auto ms = [](SteadyClock::time_point a, SteadyClock::time_point b) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
        };
        fmt::print(
            "trace setup config_ms={} data_ms={} window_ms={} fonts_wait_upload_ms={} "
            "quick_bake_ms={}\n",
            ms(start_, fonts_start), ms(data_start, window_start), ms(window_start, upload_start),
            ms(upload_start, SteadyClock::now()), quick.bake_time().count());
    }
    g_previous_key_callback = glfwSetKeyCallback(platform_->window(), on_key);

    MachineSettings ms;
    ms.site_name = cfg_.site_name;
    ms.default_lang = lang == "en" ? Lang::En : Lang::Ja;
    ms.session_minutes = cfg_.session_minutes;
    ms.extend_minutes = cfg_.extend_minutes;
    // The workspace makes the kiosk the trainee's terminal (one seat); with PostgreSQL the
    // trainee works elsewhere and the kiosk shows the credentials, then the next trainee.
    ms.single_seat = session_gate_->backend() == "workspace";
    ms.records_max_age_hours = cfg_.policy.max_age_hours;
    ms.records_warn_age_hours = cfg_.policy.warn_age_hours;
    ms.staff_idle = std::chrono::seconds(cfg_.staff.idle_seconds);
    ms.override_reasons = cfg_.staff.override_reasons;
    ms.override_max_minutes = cfg_.staff.override_max_minutes;
    state_ = initial_state(ms, clock_.now());

    worker_ = std::make_unique<Worker>(
        *data_, *gate_, *session_desk_, cfg_.policy.seats, [this] { return clock_.now(); },
        [] { ui::Platform::wake_up(); });
    records_sync_ =
        std::make_unique<SourceRecordsSync>(cfg_, data_dir, [this](const SyncStatus& s) {
            {
                std::lock_guard lock(sync_news_mu_);
                sync_news_.push_back(s);
            }
            ui::Platform::wake_up();
        });
    worker_->set_staff_desk(staff_desk_.get(), records_sync_.get());
    // First of all: close what a crash or the last run left open, and what outlived its time.
    worker_->sweep_sessions(true);
    next_sweep_ = SteadyClock::now() + kSweepEvery;
    queue_.set_wake_up([] { ui::Platform::wake_up(); });
    if (opt_.demo || !opt_.script_path.empty()) {
        auto sim = std::make_unique<drivers::SimulatedReader>();
        simulated_ = sim.get();
        reader_ = std::move(sim);
    } else {
        drivers::PcscReaderConfig rc;
        rc.reader_filter = cfg_.reader.name;
        rc.apdu_timeout = std::chrono::milliseconds(cfg_.reader.apdu_timeout_ms);
        reader_ = std::make_unique<drivers::PcscReader>(rc);
    }
    reader_->start(queue_);
    worker_->submit(RefreshRecords{});
    next_refresh_ = SteadyClock::now() + 60s;
    script_running_ = !script_.empty();
    return true;
}

void KioskApp::feed(const Event& e) {
    if (staff_submit_ && std::holds_alternative<StaffReply>(e))
        staff_submit_->answered = SteadyClock::now();
    Step s = step(state_, e, clock_.now());
    if (auto* d = std::get_if<Decided>(&e)) {
        auto it = queued_at_.find(d->request);
        if (it != queued_at_.end()) {
            if (s.changed) {
                presenting_ = it->second;
                answered_ = SteadyClock::now();
            }
            queued_at_.erase(it);
        }
    }
    state_ = std::move(s.state);
    if (s.changed) need_frames_ = std::max(need_frames_, 2);
    sync_workspace();  // closed (and its last query audited) before the end reaches the worker
    for (Effect& fx : s.effects) worker_->submit(std::move(fx));
}

void KioskApp::sync_workspace() {
    if (session_gate_->backend() != "workspace") return;
    const std::int64_t want = state_.session ? state_.session->record.id : 0;
    if (want == ws_session_) return;
    if (ws_session_ != 0) close_workspace();
    if (want != 0) open_workspace(*state_.session);
}

void KioskApp::open_workspace(const SessionView& session) {
    ws_session_ = session.record.id;
    ws_problem_.clear();
    std::string err;
    try {
        // A second connection to the worker's audit file (whatever DataDir names it).
        ws_audit_ = std::make_unique<db::AuditStore>(data_->audit().path(), false);
    } catch (const std::exception& e) {
        err = std::string("the audit trail cannot be opened for the workspace: ") + e.what();
    }
    if (ws_audit_)
        ws_ =
            db::SqlWorkspace::open(db::workspace_db_path(cfg_, *data_), QueryLimits{},
                                   {ws_audit_.get(), "workspace", session.record.trainee_no}, &err);
    if (!ws_) {
        // Fail secure: no workspace without its audit; the screen says the test database is
        // unavailable and the session can still be ended.
        ws_audit_.reset();
        ws_problem_ = err;
        spdlog::error("session {}: the workspace could not be opened: {}", ws_session_, err);
    } else {
        ws_view_ = std::make_unique<ui::WorkspaceView>();
    }
    if (opt_.trace)
        fmt::print("trace workspace {} session={}\n", ws_ ? "opened" : "unavailable", ws_session_);
    need_frames_ = std::max(need_frames_, 2);
}

void KioskApp::close_workspace() {
    ws_.reset();  // cancels a running query, joins its thread, audits the last query
    ws_view_.reset();
    ws_audit_.reset();
    ws_running_ = false;
    ws_last_query_.clear();
    if (opt_.trace) fmt::print("trace workspace closed session={}\n", ws_session_);
    ws_session_ = 0;
    ws_problem_.clear();
    need_frames_ = std::max(need_frames_, 2);
}

// The workspace's controls as drawn (tests click them): " ws_run@x,y ws_editor@x,y ...".
std::string KioskApp::workspace_trace() const {
    if (!ws_view_) return "";
    static constexpr const char* names[] = {"none", "run", "cancel", "example", "previous", "next"};
    std::string out;
    for (const ui::WorkspaceControl& c : ws_view_->controls)
        if (c.action != ui::WorkspaceAction::Example)
            out += fmt::format(" ws_{}@{},{}", names[static_cast<int>(c.action)],
                               static_cast<int>(c.center().x), static_cast<int>(c.center().y));
    if (ws_view_->editor_max.x > ws_view_->editor_min.x)
        out += fmt::format(" ws_editor@{},{}",
                           static_cast<int>((ws_view_->editor_min.x + ws_view_->editor_max.x) / 2),
                           static_cast<int>((ws_view_->editor_min.y + ws_view_->editor_max.y) / 2));
    return out;
}

void KioskApp::feed_card_event(const CardEvent& ce) {
    switch (ce.kind) {
        case CardEvent::Kind::ReaderAvailable:
            feed(ReaderBack{ce.reader});
            break;
        case CardEvent::Kind::ReaderLost:
            spdlog::warn("reader lost: {}", ce.message);
            feed(ReaderLost{ce.message});
            break;
        case CardEvent::Kind::ReaderError:
            spdlog::warn("reader {}: {}", ce.reader, ce.message);
            break;
        case CardEvent::Kind::CardRemoved:
            feed(CardRemoved{});
            break;
        case CardEvent::Kind::CardPresented: {
            if (!ce.uid) break;
            std::uint64_t req = state_.next_request;
            feed(CardPresented{*ce.uid, ce.reader});
            if (state_.pending_request == req) queued_at_[req] = ce.queued_at;
            break;
        }
    }
}

void KioskApp::frame(const std::string& shot) {
    ImGuiIO& io = ImGui::GetIO();
    if (!typed_.empty()) {
        io.AddInputCharactersUTF8(typed_.c_str());
        typed_.clear();
    }
    const int enter = io.KeyMap[ImGuiKey_Enter];
    if (enter >= 0 && enter < IM_ARRAYSIZE(io.KeysDown)) io.KeysDown[enter] = enter_down_;
    enter_down_ = false;

    const auto frame_start = SteadyClock::now();
    const std::string view = opt_.trace ? drawn_view() : std::string();
    platform_->begin_frame();
    Now now = clock_.now();
    ui::FrameRecord record;
    ui::UiContext ctx;
    ctx.fonts = &fonts_;
    ctx.theme = &theme_;
    ctx.now = now;
    ctx.record = &record;
    ui::StaffFrame staff_frame;
    ctx.staff = &staff_frame;
    ui::WorkspaceFrame ws_frame;
    ws_frame.workspace = ws_.get();
    ws_frame.view = ws_view_.get();
    ws_frame.examples = &ws_examples_;
    ws_frame.problem = ws_problem_;
    const bool ws_drawn = ws_session_ != 0 && state_.screen == Screen::Session;
    if (ws_session_ != 0) ctx.workspace = &ws_frame;
    const bool tray = opt_.demo && opt_.windowed && !script_running_;
    std::vector<Intent> intents;
    if (tray) {  // the kiosk's screen on the left, the demo's card tray right of it
        const float full = io.DisplaySize.x;
        io.DisplaySize.x = kTrayLeft;
        intents = ui::draw_screen(state_, ctx);
        io.DisplaySize.x = full;
        draw_tray();
    } else {
        intents = ui::draw_screen(state_, ctx);
    }
    const auto drawn_at = SteadyClock::now();
    std::string err;
    if (!platform_->end_frame(shot, &err)) pending_shot_error_ = err;
    const auto frame_end = SteadyClock::now();
    last_frame_ = frame_end;
    last_record_ = std::move(record);
    if (ws_frame.action != ui::WorkspaceAction::None) need_frames_ = std::max(need_frames_, 2);
    kiosk::QueryStatus qs;
    if (ws_) qs = ws_->poll();
    ws_running_ = ws_drawn && qs.running();
    if (opt_.trace && ws_drawn) {
        // Each frame's time while the workspace is on screen (issue 10: under 33 ms while a
        // query runs and while the grid pages), and each query's outcome as it changes.
        fmt::print(
            "trace frame_us={} draw_us={} workspace running={} first_row={}\n",
            std::chrono::duration_cast<std::chrono::microseconds>(frame_end - frame_start).count(),
            std::chrono::duration_cast<std::chrono::microseconds>(drawn_at - frame_start).count(),
            qs.running() ? 1 : 0, ws_view_ ? ws_view_->first_row : 0);
        std::string q = fmt::format("trace workspace query id={} outcome={} rows={}", qs.id,
                                    kiosk::query_outcome_name(qs.outcome), qs.rows);
        if (qs.id != 0 && q != ws_last_query_) {
            ws_last_query_ = q;
            fmt::print("{} ms={:.1f}\n", q, qs.elapsed.count() / 1000.0);
        }
    }
    if (opt_.trace) {  // the screen and where its controls are, when they change (tests click them)
        std::string sig = fmt::format(
            "trace screen {} lang {} reader {}", screen_name(state_.screen), lang_code(state_.lang),
            state_.reader.known && !state_.reader.connected ? "lost" : "ok");
        for (const ui::Control& c : last_record_.controls)
            sig += fmt::format(" {}@{},{}", intent_name(c.intent), static_cast<int>(c.center().x),
                               static_cast<int>(c.center().y));
        if (ws_drawn) sig += workspace_trace();
        if (state_.screen == Screen::Staff && state_.staff) {
            // The staff page, and on Records what it shows: the records' sequence, "sync now".
            const StaffView& v = *state_.staff;
            sig += fmt::format(" page={}", staff_page_name(v.page));
            if (v.page == StaffPage::Records) {
                if (v.records && v.records->feed)
                    sig += fmt::format(" records_sequence={}", v.records->feed->sequence);
                if (v.sync)
                    sig += fmt::format(" sync={} phase={}", sync_state_name(v.sync->state),
                                       v.sync->phase.empty() ? "-" : v.sync->phase);
            }
            if (!v.message.empty()) sig += fmt::format(" message=\"{}\"", v.message);
        }
        if (state_.screen == Screen::Session && state_.session && state_.session->credentials) {
            // The PostgreSQL credentials on screen: which of them were drawn (never the password
            // itself: it is shown once and never logged).
            const GateCredentials& c = *state_.session->credentials;
            const ui::Strings& st = ui::strings(state_.lang);
            std::string drawn;
            auto note = [&](const char* what, ui::Text label, const std::string& value) {
                if (last_record_.has_text(st[label]) && last_record_.has_text(value))
                    drawn += (drawn.empty() ? "" : ",") + std::string(what);
            };
            note("host", ui::Text::CredHost, c.host);
            note("port", ui::Text::CredPort, std::to_string(c.port));
            note("database", ui::Text::CredDatabase, c.database);
            note("user", ui::Text::CredUser, c.role);
            note("password", ui::Text::CredPassword, c.password);
            note("valid_until", ui::Text::CredValidUntil, "");
            sig += fmt::format(" credentials role={} drawn={}", c.role, drawn);
        }
        if (sig != last_trace_) {
            fmt::print("{}\n", sig);
            last_trace_ = sig;
        }
    }
    if (!first_frame_done_) {
        first_frame_done_ = true;
        if (opt_.trace) fmt::print("trace first_frame_ns={}\n", steady_ns(SteadyClock::now()));
        std::fflush(stdout);
    }
    if (staff_submit_ && view != staff_submit_->from &&
        !(state_.staff && state_.staff->pending != 0)) {
        fmt::print(
            "trace staff_submit from={} to={} submitted_ns={} answered_ns={} presented_ns={}\n",
            staff_submit_->from, view, steady_ns(staff_submit_->at),
            steady_ns(staff_submit_->answered), steady_ns(SteadyClock::now()));
        staff_submit_.reset();
    }
    if (presenting_) {
        auto done = SteadyClock::now();
        if (opt_.trace)
            fmt::print(
                "trace decision_frame queued_ns={} answered_ns={} presented_ns={} screen={}\n",
                steady_ns(*presenting_), steady_ns(answered_), steady_ns(done),
                screen_name(state_.screen));
        std::fflush(stdout);
        presenting_.reset();
    }
    if (opt_.trace) std::fflush(stdout);
    for (Intent i : intents) {
        need_frames_ = std::max(need_frames_, 2);
        feed(IntentEvent{i});
    }
    staff_controls_ = std::move(staff_frame.controls);
    for (StaffInput& in : staff_frame.inputs) {
        if (opt_.trace && in.kind == StaffInput::Kind::Submit) staff_submit_ = {view, frame_start};
        need_frames_ = std::max(need_frames_, 2);
        feed(StaffInputEvent{std::move(in)});
    }
}

// What the screen shows: its name, and the staff page ("staff/override").
std::string KioskApp::drawn_view() const {
    std::string v(screen_name(state_.screen));
    if (state_.screen == Screen::Staff && state_.staff)
        v += "/" + std::string(staff_page_name(state_.staff->page));
    return v;
}

// The demo's tray of cards (windowed demo only): a button per demo card labelled with what it
// shows, keys 1-9 for the first nine.
void KioskApp::draw_tray() {
    const auto& cards = demo_cards();
    ImGuiIO& io = ImGui::GetIO();
    for (int i : std::exchange(g_digit_presses, {})) {
        std::string e;
        if (i < static_cast<int>(cards.size()))
            if (auto uid = parse_card_uid(cards[i].uid, &e)) simulated_->tap(*uid);
    }
    // The tray is a column of its own right of the kiosk's screen (see frame()).
    ImGui::SetNextWindowPos(ImVec2(kTrayLeft, 0), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(io.DisplaySize.x - kTrayLeft, io.DisplaySize.y),
                             ImGuiCond_Always);
    ImGui::PushFont(fonts_.body);
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0, 0, 0, 1));
    ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(1, 1, 1, 1));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(0.85f, 0.88f, 1, 1));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(0.7f, 0.75f, 1, 1));
    ImGui::PushStyleVar(ImGuiStyleVar_FramePadding, ImVec2(8, 3));
    ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(4, 4));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(8, 8));
    ImGui::PushStyleVar(ImGuiStyleVar_ButtonTextAlign, ImVec2(0, 0.5f));
    if (ImGui::Begin("Demo cards (keys 1-9)", nullptr,
                     ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoMove |
                         ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                         ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                         ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse)) {
        ImGui::SetWindowFontScale(0.5f);
        const float w = ImGui::GetContentRegionAvail().x;
        ImGui::TextUnformatted("Demo cards: click one, or press 1-9");
        for (size_t i = 0; i < cards.size(); ++i) {
            std::string key = i < 9 ? fmt::format("{}", i + 1) : " ";
            std::string label =
                fmt::format("{}  {}\n    {}##card{}", key, cards[i].label, cards[i].expect, i);
            if (ImGui::Button(label.c_str(), ImVec2(w, 0))) {
                std::string e;
                if (auto uid = parse_card_uid(cards[i].uid, &e)) simulated_->tap(*uid);
            }
        }
        if (ImGui::Button("advance the clock 10 min##adv", ImVec2(w, 0))) {
            clock_.advance(10min);
            feed(Tick{});
        }
    }
    ImGui::End();
    ImGui::PopStyleVar(4);
    ImGui::PopStyleColor(4);
    ImGui::PopFont();
}

bool KioskApp::settled() const {
    // Settled: every answer back and drawn, the status strip filled (records, the reader's first
    // word), nothing queued.
    return need_frames_ == 0 && fonts_final_ && worker_->idle() && state_.pending_request == 0 &&
           state_.records_known && state_.reader.known &&
           !(state_.session && state_.session->extending);
}

bool KioskApp::sync_quiet() {
    if (records_sync_ && records_sync_->status().running()) return false;
    std::lock_guard lock(sync_news_mu_);
    return sync_news_.empty();
}

int KioskApp::run_script() {
    if (!settled()) return -1;
    if (wait_sync_) {
        if (!sync_quiet()) return -1;
        wait_sync_ = false;
        return -1;  // its last news is fed and drawn before the next step
    }
    if (resume_at_ != SteadyClock::time_point{} && SteadyClock::now() < resume_at_) return -1;
    resume_at_ = {};
    if (!pending_shot_error_.empty()) {
        fmt::print(stderr, "kiosk: {}\n", pending_shot_error_);
        return 1;
    }
    if (next_step_ >= script_.size()) {
        script_running_ = false;
        if (!opt_.screenshot.empty()) {
            pending_shot_ = opt_.screenshot;
            return -1;
        }
        return -1;  // the kiosk goes on with what the script left
    }
    const ScriptStep& s = script_[next_step_++];
    auto where = [&] {
        return fmt::format("script {} line {}: `{}`", opt_.script_path, s.line, s.source);
    };
    using K = ScriptStep::Kind;
    switch (s.kind) {
        case K::Tap:
            simulated_->tap(s.uid);
            simulated_->remove();
            break;
        case K::Hold:
            simulated_->tap(s.uid);
            break;
        case K::Remove:
            simulated_->remove();
            break;
        case K::Press: {
            // ok and cancel do the same on the trainee's screens: either control answers both.
            Intent want = s.intent;
            if (!last_record_.control(want) && (want == Intent::Ok || want == Intent::Cancel))
                want = want == Intent::Ok ? Intent::Cancel : Intent::Ok;
            if (!last_record_.control(want)) {
                std::string there;
                for (const ui::Control& c : last_record_.controls)
                    there += (there.empty() ? "" : ", ") + std::string(intent_name(c.intent));
                fmt::print(stderr, "kiosk: {}: no '{}' control on the {} screen (there: {})\n",
                           where(), intent_name(s.intent), screen_name(state_.screen),
                           there.empty() ? "none" : there);
                return 1;
            }
            feed(IntentEvent{want});
            break;
        }
        case K::Type: {
            std::string chunk;
            for (char c : s.text) {
                if (c == '\n') {
                    enter_down_ = true;
                    break;  // the rest after Enter is dropped: one line per `type`
                }
                chunk += c;
            }
            typed_ += chunk;
            need_frames_ = std::max(need_frames_, 2);
            break;
        }
        case K::Staff: {
            // Like `press`: the control must be on screen.
            bool drawn = std::any_of(staff_controls_.begin(), staff_controls_.end(),
                                     [&](const ui::StaffControl& c) { return c.input == s.staff; });
            if (!drawn) {
                fmt::print(stderr, "kiosk: {}: no such staff control on the {} screen\n", where(),
                           screen_name(state_.screen));
                return 1;
            }
            feed(StaffInputEvent{s.staff});
            break;
        }
        case K::WaitSync:
            wait_sync_ = true;
            break;
        case K::Wait:
            resume_at_ = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                  std::chrono::duration<double>(s.amount));
            break;
        case K::Advance:
            clock_.advance(std::chrono::milliseconds(static_cast<std::int64_t>(s.amount * 60'000)));
            feed(Tick{});
            worker_->submit(RefreshRecords{});
            need_frames_ = std::max(need_frames_, 1);
            break;
        case K::Shot:
            pending_shot_ = s.text;
            break;
        case K::Quit:
            if (!opt_.screenshot.empty()) {
                next_step_ = script_.size();
                pending_shot_ = opt_.screenshot;
                script_running_ = false;
                return -1;
            }
            return 0;
    }
    return -1;
}

// perf8: the full atlas is rasterised after the first frame, off the first frame's path.
void KioskApp::start_full_fonts() {
    ui::FontOptions fo;
    fo.path = cfg_.ui.font;
    fo.body = ui::BodyGlyphs::Full;
    full_fonts_ = std::make_unique<ui::AtlasBuild>(
        theme_, fo, font_texts_, [] { ui::Platform::wake_up(); }, font_file_);
}

// f: swaps the full atlas in between frames, then lets the held worker events through.
bool KioskApp::install_full_fonts(std::string* err) {
    auto started = SteadyClock::now();
    ui::FontSet full;
    ui::AtlasPtr atlas = full_fonts_->take(&full, err);
    if (atlas) {
        fonts_ = full;  // before the old atlas goes
        if (!platform_->replace_fonts(std::move(atlas), err)) return false;
        if (opt_.trace)
            fmt::print(
                "trace full_fonts installed_ns={} bake_ms={} upload_ms={}\n",
                steady_ns(SteadyClock::now()), full_fonts_->bake_time().count(),
                std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started)
                    .count());
    } else {
        spdlog::warn("names keep the quick font atlas: {}", *err);
    }
    full_fonts_.reset();
    font_file_.reset();  // perf8: unmapped (no atlas needs it any more)
    fonts_final_ = true;
    need_frames_ = std::max(need_frames_, 1);
    for (Event& e : std::exchange(held_, {})) feed(e);
    return true;
}

double KioskApp::wait_seconds() {
    if (need_frames_ > 0 || !pending_shot_.empty()) return 0;
    Now now = clock_.now();
    MonoTime wait = 60s;
    if (ws_running_)  // the query's progress and rows on screen
        wait = std::max(MonoTime{0}, std::chrono::duration_cast<MonoTime>(
                                         kQueryFrame - (SteadyClock::now() - last_frame_)));
    if (auto d = next_deadline(state_)) wait = std::min(wait, std::max(MonoTime{0}, *d - now.mono));
    // The screen's clock changes each minute; the countdown and the clock on screen each second.
    auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    if (state_.session)
        wait = std::min(wait, MonoTime{1000 - wall_ms % 1000 + 5});
    else
        wait = std::min(wait, MonoTime{60'000 - wall_ms % 60'000 + 5});
    auto to_refresh = std::chrono::duration_cast<MonoTime>(next_refresh_ - SteadyClock::now());
    wait = std::min(wait, std::max(MonoTime{0}, to_refresh));
    auto to_sweep = std::chrono::duration_cast<MonoTime>(next_sweep_ - SteadyClock::now());
    wait = std::min(wait, std::max(MonoTime{0}, to_sweep));
    if (script_running_ && resume_at_ != SteadyClock::time_point{}) {
        auto r = std::chrono::duration_cast<MonoTime>(resume_at_ - SteadyClock::now());
        wait = std::min(wait, std::max(MonoTime{0}, r));
    }
    return std::chrono::duration<double>(wait).count();
}

int KioskApp::run() {
    std::string err;
    // A bad script is a usage error, found before any window opens.
    if (!opt_.script_path.empty() && !load_script(opt_.script_path, &script_, &err)) {
        fmt::print(stderr, "kiosk: {}\n", err);
        return 2;
    }
    if (!setup(&err)) {
        fmt::print(stderr, "kiosk: {}\n", err);
        return 1;
    }
    int status = 0;
    for (;;) {
        if (g_quit || platform_->should_close()) break;
        if (platform_->take_input()) need_frames_ = std::max(need_frames_, 3);
        if (full_fonts_ && full_fonts_->ready() && !install_full_fonts(&err)) {  // f:
            fmt::print(stderr, "kiosk: {}\n", err);
            status = 1;
            break;
        }
        while (auto ce = queue_.try_pop()) feed_card_event(*ce);
        {
            std::vector<SyncStatus> news;
            {
                std::lock_guard lock(sync_news_mu_);
                news.swap(sync_news_);
            }
            for (SyncStatus& n : news) {
                if (opt_.trace)
                    fmt::print("trace sync {} phase={} rows={} sequence={}->{} at_ns={}{}\n",
                               sync_state_name(n.state), n.phase.empty() ? "-" : n.phase, n.rows,
                               n.sequence_from, n.sequence_to, steady_ns(SteadyClock::now()),
                               n.error.empty() ? "" : " error=" + n.error);
                feed(StaffSyncUpdate{std::move(n)});
            }
        }
        for (Event& e : worker_->take_events()) {
            if (!fonts_final_ && (std::holds_alternative<Decided>(e) || !held_.empty()))
                held_.push_back(std::move(e));  // f: shown once the names' glyphs are in
            else
                feed(e);
        }
        Now now = clock_.now();
        if (auto d = next_deadline(state_); d && *d <= now.mono) feed(Tick{});
        if (SteadyClock::now() >= next_sweep_) {  // sessions end at their time, kiosk or not
            worker_->sweep_sessions(false, state_.session ? state_.session->record.id : 0);
            next_sweep_ = SteadyClock::now() + kSweepEvery;
        }
        if (ws_running_ && SteadyClock::now() - last_frame_ >= kQueryFrame)
            need_frames_ = std::max(need_frames_, 1);  // the running query's progress and rows
        if (SteadyClock::now() >= next_refresh_) {
            worker_->submit(RefreshRecords{});
            next_refresh_ = SteadyClock::now() + 60s;
            feed(Tick{});  // records age, stale screen
        }
        // What the screen shows of the time: the countdown's second, or the clock's minute.
        std::int64_t key =
            state_.session
                ? session_time_left(state_, now).count()
                : std::chrono::floor<std::chrono::minutes>(now.wall).time_since_epoch().count();
        if (key != display_key_) {
            display_key_ = key;
            need_frames_ = std::max(need_frames_, 1);
        }
        if (script_running_) {
            int rc = run_script();
            if (rc >= 0) {
                status = rc;
                break;
            }
        } else if (!opt_.screenshot.empty() && pending_shot_.empty() && settled()) {
            pending_shot_ = opt_.screenshot;  // --screenshot without a script: the idle screen
        }
        if (!pending_shot_.empty() && need_frames_ == 0 && settled()) {
            std::string shot = std::exchange(pending_shot_, {});
            frame(shot);
            if (!pending_shot_error_.empty()) {
                fmt::print(stderr, "kiosk: {}\n", pending_shot_error_);
                status = 1;
                break;
            }
            if (opt_.trace) fmt::print("trace shot {}\n", shot);
            std::fflush(stdout);
            if (shot == opt_.screenshot && !script_running_) break;  // the final picture
            continue;
        }
        if (need_frames_ > 0) {
            frame("");
            --need_frames_;
            if (!full_fonts_ && !fonts_final_) start_full_fonts();  // perf8: after the first frame
            continue;
        }
        platform_->wait(wait_seconds());
    }
    full_fonts_.reset();
    if (ws_session_ != 0) close_workspace();  // the session itself is closed by the next recover()
    worker_.reset();                          // finishes what it is doing
    records_sync_.reset();  // a running sync ends (all or nothing) before the kiosk does
    reader_->stop();
    return status;
}

}  // namespace

int run_kiosk(const KioskOptions& options) {
    watch_signals();
    KioskApp app(options);
    return app.run();
}

}  // namespace kiosk::app
