// The kiosk state machine: the trainee's journey (product.md section 1) as a pure function
// (state, event, now) -> (new state, effects). No ImGui, GLFW, PC/SC or SQLite: the program
// (kiosk/app/) turns card events, screen intents and worker results into Events, carries out the
// Effects (decisions and sessions through the Gatekeeper, on a worker), and ui/ draws the state.
// Data flows one way: card event -> decision -> audit -> effect -> screen.
//
// Two clocks: `Now::mono` (monotonic, for every timeout: a wall clock set backwards never makes a
// screen or a session last forever) and `Now::wall` (for display, decisions and session end times).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kiosk/card_id.h"
#include "kiosk/gatekeeper.h"
#include "kiosk/session_desk.h"
#include "kiosk/session_gate.h"
#include "kiosk/staff_view.h"
#include "kiosk/time.h"

namespace kiosk {

using MonoTime = std::chrono::milliseconds;  // monotonic time since an arbitrary start

struct Now {
    MonoTime mono{0};
    Instant wall{};
};

enum class Lang { Ja, En };
std::string_view lang_code(Lang l);  // "ja" / "en"

// The site's settings the machine reads (from the config; fixed while it runs).
struct MachineSettings {
    std::string site_name = "MID-NET Onsite Center";
    Lang default_lang = Lang::Ja;
    int session_minutes = 120;            // [sessions] minutes
    int extend_minutes = 0;               // [sessions] extend_minutes; 0: no extension
    bool single_seat = true;              // built-in workspace: the kiosk is the terminal
    double records_max_age_hours = 48;    // [mirror] max_age_hours: the "records stale" screen
    double records_warn_age_hours = 26;   // [mirror] warn_age_hours: the status strip says "late"
    MonoTime checking_after{150};         // "checking" shows only when a decision takes longer
    MonoTime result_timeout{20'000};      // a result goes back to idle after this
    MonoTime notice_timeout{10'000};      // "in use", "time left", "session ended" overlays
    MonoTime extended_notice{6'000};      // "Extended: now ends at HH:MM" on the session band
    MonoTime warning_before{5 * 60'000};  // the session-end warning
    MonoTime min_warning{20'000};         // the warning always gives at least this to react
    // Staff mode (issue 11; [staff] in the config).
    MonoTime staff_idle{60'000};  // staff.idle_seconds: staff mode leaves after this without input
    std::vector<std::string> override_reasons;  // staff.override_reasons
    int override_max_minutes = 120;             // staff.override_max_minutes
};

// What the screen shows. ui/ has one draw function per screen.
enum class Screen {
    Idle,           // call to tap, site name, clock, language toggle, status strip
    RecordsStale,   // idle, but the records are older than mirror.max_age_hours
    ReaderProblem,  // no reader: says so, and what to do
    Checking,       // a decision has taken more than settings.checking_after
    Granted,        // result.decision granted: name, end time, notices, "Start"
    Refused,        // result.decision refused: a sentence per reason, rule ids, "Call staff"
    Session,        // countdown, warning (session.warning), "End session"; overlay below
    SessionEnded,   // the session ended (trainee, expiry or staff): screen cleared
    Staff,          // staff mode (kiosk/staff_machine.h): state.staff says which page
};
std::string_view screen_name(Screen s);  // "idle", "records_stale", ... (logs, tests, scripts)

// What the on-screen controls ask for. Names are the script's `press INTENT` words.
enum class Intent {
    Start,       // "start": start the granted session
    EndSession,  // "end_session"
    CallStaff,   // "call_staff"
    Language,    // "language": toggles 日本語 / English
    Ok,          // "ok": dismiss (result, warning, overlay, session ended)
    Cancel,      // "cancel": same as ok on trainee screens; leaves staff screens
    Extend,    // "extend": extend the session (sessions.extend_minutes > 0), after a fresh decision
    Override,  // "override": staff override of the last refusal (staff mode; ignored until then)
};
std::string_view intent_name(Intent i);
std::optional<Intent> intent_from_name(std::string_view name);
const std::vector<Intent>& all_intents();

// The PostgreSQL gate's one-time credentials shown on the session screen (product.md section 7).
struct GateCredentials {
    std::string host;
    int port = 0;
    std::string database;
    std::string role;
    std::string password;
    Instant valid_until{};
};

// What the screen shows of a gate's ticket: the credentials of a PostgreSQL login; nullopt for
// the built-in workspace (the kiosk is the terminal).
std::optional<GateCredentials> credentials_of(const GateTicket& ticket);

// ---- Events (into the machine) ----
struct Tick {};  // time passed (the loop's timer); `now` carries the time
struct CardPresented {
    CardUid uid;
    std::string reader;
};
struct CardRemoved {};
struct ReaderLost {
    std::string message;
};
struct ReaderBack {
    std::string reader;
};
struct IntentEvent {
    Intent intent;
};
// The answer to Effect DecideCard.
struct Decided {
    std::uint64_t request = 0;
    TapResult result;
};
// The answer to Effect StartSession: result.decision granted and result.session set on success;
// a refusal of the fresh decision shows as a result; `error` (the test database or its gate
// failed) keeps the Granted screen with state.problem = error.
struct SessionStarted {
    std::uint64_t request = 0;
    TapResult result;
    std::optional<GateCredentials> credentials;  // PostgreSQL gate only
    std::string error;
};
// The answer to Effect EndSession.
struct SessionEndDone {
    std::int64_t session_id = 0;
    bool ok = true;
    std::string error;
};
// A session found closed by someone else (the periodic sweep at its time, staff at another
// terminal, the gate losing it): the program's sweep reports it. When it is the session on this
// kiosk's screen, the screen is cleared (nothing to end: it is already closed and audited).
struct SessionClosed {
    std::int64_t session_id = 0;
    std::string reason;  // the record's end reason: "expired", "staff", "trainee", ...
};
// The answer to Effect ExtendSession: ok and the new end, or the fresh decision that refused it.
struct Extended {
    std::uint64_t request = 0;
    bool ok = false;
    Instant new_ends_at{};
    Decision decision;  // the fresh decision (refusal reasons when !ok)
    std::string error;  // a failure other than a refusal (logs, traces; never shown as is)
    ExtendProblem problem = ExtendProblem::None;  // its kind, which the screen shows
};
// The records and seats, refreshed by the program (on start and periodically, on the worker).
struct RecordsStatus {
    std::optional<Instant> generated_at;  // the mirror's snapshot time; nullopt: never synced
    int free_seats = 0;
    int seats = 0;
};

using Event = std::variant<Tick, CardPresented, CardRemoved, ReaderLost, ReaderBack, IntentEvent,
                           Decided, SessionStarted, SessionEndDone, Extended, RecordsStatus,
                           StaffInputEvent, StaffReply, SessionClosed, StaffSyncUpdate>;
std::string_view event_name(const Event& e);

// ---- Effects (out of the machine; the program carries them out, answers come back as Events) --
struct DecideCard {  // Gatekeeper::decide_card on the worker -> Decided
    std::uint64_t request = 0;
    CardUid uid;
    std::string reader;
};
struct StartSession {  // a fresh decision + session start on the worker -> SessionStarted
    std::uint64_t request = 0;
    CardUid uid;
    int minutes = 0;
};
struct EndSession {  // -> SessionEndDone
    std::int64_t session_id = 0;
    std::string reason;  // "ended" (the trainee), "expired" (its time came)
};
struct ExtendSession {  // a fresh decision, then the session's end moved (audited) -> Extended
    std::uint64_t request = 0;
    std::int64_t session_id = 0;
    CardUid uid;
    int minutes = 0;
};
struct RecordInUse {  // another card tapped while the single seat is in use: audited as such
    CardUid uid;
    std::string reader;
    std::int64_t session_id = 0;
};
struct CallStaff {  // "call staff" pressed on a refusal: audited (and signalled, where wired)
    std::string trainee_no;
    std::vector<std::string> codes;
};
struct RefreshRecords {};  // -> RecordsStatus (after a decision or session change)

using Effect = std::variant<DecideCard, StartSession, EndSession, ExtendSession, RecordInUse,
                            CallStaff, RefreshRecords, StaffEffect>;
std::string_view effect_name(const Effect& e);

// ---- State (what ui/ draws; all of it) ----
// The decision on screen (Granted / Refused).
struct ResultView {
    TapResult result;           // decision, trainee (name), running session, audit receipt
    CardUid uid;                // the card it is for (kept in memory only, for "Start")
    bool staff_called = false;  // "call staff" was pressed
    MonoTime shown_at{0};
};

// The running session on this kiosk (Screen::Session).
struct SessionView {
    SessionRecord record;      // id, trainee_no, started_at, ends_at (wall)
    std::string trainee_name;  // from the mirror, for the screen
    CardUid uid;               // the trainee's card (in memory only): a re-tap shows time left
    std::optional<GateCredentials> credentials;
    MonoTime deadline{0};   // monotonic end: ends_at measured on the monotonic clock
    bool warning = false;   // the 5-minute warning is showing
    MonoTime warned_at{0};  // when the warning first showed
    bool warning_dismissed = false;
    bool extending = false;  // an ExtendSession is on the worker
    std::uint64_t extend_request = 0;
    int extensions = 0;
    std::optional<Decision> extend_refused;  // the fresh decision that refused an extension
    std::string extend_error;                // a failure other than the rules (not shown)
    ExtendProblem extend_problem = ExtendProblem::None;  // its kind: the screen says this
    MonoTime extended_until{0};  // the "extended" notice shows until then; 0: not showing
};

// A short message over the session screen (single seat), closed by ok/cancel or after a while.
enum class Overlay { None, InUse, TimeLeft };

struct ReaderStatus {
    bool known = false;  // a reader event arrived (until then the screen assumes it is fine)
    bool connected = false;
    std::string name;
    std::string message;  // why it is not connected
};

struct KioskState {
    MachineSettings settings;
    Screen screen = Screen::Idle;
    Lang lang = Lang::Ja;

    // Status strip.
    ReaderStatus reader;
    std::optional<Instant> records_generated_at;
    bool records_known = false;  // a RecordsStatus arrived
    int free_seats = 0;
    int seats = 0;

    // A decision or session start on the worker.
    std::uint64_t next_request = 1;
    std::uint64_t pending_request = 0;  // 0: none
    MonoTime pending_since{0};
    Screen pending_from = Screen::Idle;  // the screen shown while waiting (< checking_after)
    CardUid pending_uid;                 // the card the pending request is for

    std::optional<ResultView> result;
    std::optional<SessionView> session;
    Overlay overlay = Overlay::None;
    MonoTime overlay_until{0};
    std::optional<SessionRecord> ended_session;  // on Screen::SessionEnded
    std::string ended_reason;                    // "ended", "expired", "staff"
    std::string problem;  // a failure the screen reports (e.g. a session that could not end)
    std::optional<StaffView> staff;  // staff mode is open (Screen::Staff)

    MonoTime screen_until{
        0};  // Granted/Refused/SessionEnded go back to idle at this time; 0: never
};

KioskState initial_state(const MachineSettings& settings, Now now);

struct Step {
    KioskState state;
    std::vector<Effect> effects;
    bool changed = false;  // the state differs (the screen needs a redraw)
};

// The machine: pure, deterministic. Unexpected events (a stale worker answer, an intent that does
// not apply to the screen) leave the state as it is.
Step step(const KioskState& state, const Event& event, Now now);

// When the machine next needs a Tick (a timeout, the warning, the session end, "checking");
// nullopt when nothing is due. The loop waits until then (or input), never busy-polls.
std::optional<MonoTime> next_deadline(const KioskState& state);

// Time left of the running session, on the monotonic clock (never negative).
std::chrono::seconds session_time_left(const KioskState& state, Now now);

// "Extend" is offered now: extensions allowed (settings.extend_minutes > 0), the warning is
// showing, no extension is on the worker, no refused one is showing, and one more stays within the
// longest total SessionDesk allows (extension_limits_for: session_minutes + 2 x extend_minutes).
bool can_extend(const KioskState& state);

// The records are older than settings.records_max_age_hours at `wall` (or were never synced).
bool records_stale(const KioskState& state, Instant wall);

}  // namespace kiosk
