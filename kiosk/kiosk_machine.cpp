// The kiosk state machine (see kiosk_machine.h): the trainee's journey as a pure function of
// (state, event, now). Every event first lets time pass (timeouts, the warning, the session end),
// then applies the event itself.
#include "kiosk/kiosk_machine.h"

#include <algorithm>
#include <array>

#include "kiosk/session_desk.h"
#include "kiosk/staff_machine.h"

namespace kiosk {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr std::array<std::pair<Intent, std::string_view>, 8> kIntents{{
    {Intent::Start, "start"},
    {Intent::EndSession, "end_session"},
    {Intent::CallStaff, "call_staff"},
    {Intent::Language, "language"},
    {Intent::Ok, "ok"},
    {Intent::Cancel, "cancel"},
    {Intent::Extend, "extend"},
    {Intent::Override, "override"},
}};

MonoTime wall_left(const SessionView& s, Instant wall) {
    return duration_cast<milliseconds>(s.record.ends_at - wall);
}

// Time left of a session: the earlier of the monotonic deadline and the wall-clock end. A wall
// clock set backwards cannot lengthen a session (the monotonic deadline holds); set forwards (a
// correction), the session ends at its stored end time, as the stores and gates see it.
MonoTime effective_left(const SessionView& s, Now now) {
    return std::min(s.deadline - now.mono, wall_left(s, now.wall));
}

Screen base_screen(const KioskState& s, Instant wall) {
    if (s.reader.known && !s.reader.connected) return Screen::ReaderProblem;
    if (records_stale(s, wall)) return Screen::RecordsStale;
    return Screen::Idle;
}

bool is_idle_screen(Screen sc) {
    return sc == Screen::Idle || sc == Screen::RecordsStale || sc == Screen::ReaderProblem;
}

void go_idle(KioskState& s, Now now) {
    s.result.reset();
    s.ended_session.reset();
    s.ended_reason.clear();
    s.problem.clear();
    s.overlay = Overlay::None;
    s.screen_until = MonoTime{0};
    s.lang = s.settings.default_lang;  // the next trainee starts in the site's language
    if (!s.session || !s.settings.single_seat) s.session.reset();
    s.screen = s.session ? Screen::Session : base_screen(s, now.wall);
}

void end_session(KioskState& s, Now now, std::string reason, std::vector<Effect>& fx) {
    fx.push_back(EndSession{s.session->record.id, reason});
    s.ended_session = s.session->record;
    s.ended_reason = std::move(reason);
    s.session.reset();
    s.result.reset();
    s.overlay = Overlay::None;
    s.screen = Screen::SessionEnded;
    s.screen_until = now.mono + s.settings.notice_timeout;
}

// The session's warning and end. True when something changed.
bool check_session(KioskState& s, Now now, std::vector<Effect>& fx) {
    if (!s.session) return false;
    SessionView& v = *s.session;
    bool changed = false;
    MonoTime left = effective_left(v, now);
    if (!v.warning && left <= s.settings.warning_before) {
        v.warning = true;
        v.warned_at = now.mono;
        v.warning_dismissed = false;
        changed = true;
    }
    // The end comes at its time, but never less than min_warning after the warning first showed
    // (a forward clock jump or a late tick must not end a session nobody was warned about).
    if (left <= MonoTime{0} && now.mono - v.warned_at >= s.settings.min_warning) {
        if (s.settings.single_seat || s.screen == Screen::Session) {
            end_session(s, now, "expired", fx);
        } else {
            s.session.reset();  // not on screen: the gate's own expiry ends it
        }
        return true;
    }
    return changed;
}

// Lets time pass: "checking", result and overlay timeouts, the session's warning and end, the
// idle screen following the records' age. True when something changed.
bool advance_time(KioskState& s, Now now, std::vector<Effect>& fx) {
    bool changed = false;
    if (s.pending_request != 0 && s.screen != Screen::Checking &&
        now.mono - s.pending_since >= s.settings.checking_after && !s.session) {
        s.screen = Screen::Checking;
        changed = true;
    }
    if (s.overlay != Overlay::None && now.mono >= s.overlay_until) {
        s.overlay = Overlay::None;
        changed = true;
    }
    if (s.session && s.session->extended_until != MonoTime{0} &&
        now.mono >= s.session->extended_until) {
        s.session->extended_until = MonoTime{0};
        changed = true;
    }
    if (check_session(s, now, fx)) changed = true;
    if (s.screen_until != MonoTime{0} && now.mono >= s.screen_until &&
        (s.screen == Screen::Granted || s.screen == Screen::Refused ||
         s.screen == Screen::SessionEnded ||
         (s.screen == Screen::Session && !s.settings.single_seat))) {
        go_idle(s, now);
        changed = true;
    }
    if (is_idle_screen(s.screen) && s.pending_request == 0) {
        Screen b = base_screen(s, now.wall);
        if (b != s.screen) {
            s.screen = b;
            changed = true;
        }
    }
    return changed;
}

std::uint64_t new_request(KioskState& s, Now now, const CardUid& uid) {
    std::uint64_t id = s.next_request++;
    s.pending_request = id;
    s.pending_since = now.mono;
    s.pending_from = s.screen;
    s.pending_uid = uid;
    return id;
}

void show_result(KioskState& s, Now now, TapResult r, CardUid uid) {
    s.screen = r.decision.granted ? Screen::Granted : Screen::Refused;
    s.result = ResultView{std::move(r), std::move(uid), false, now.mono};
    s.ended_session.reset();
    s.problem.clear();
    s.screen_until = now.mono + s.settings.result_timeout;
}

struct Apply {
    KioskState& s;
    Now now;
    std::vector<Effect>& fx;

    bool operator()(const Tick&) { return false; }

    bool operator()(const CardPresented& e) {
        if (s.session && s.settings.single_seat) {
            // The single seat is in use: the trainee's own card shows the time left; another
            // card is told the terminal is in use (and until when), and that tap is audited.
            if (e.uid == s.session->uid) {
                s.overlay = Overlay::TimeLeft;
            } else {
                s.overlay = Overlay::InUse;
                fx.push_back(RecordInUse{e.uid, e.reader, s.session->record.id});
            }
            s.overlay_until = now.mono + s.settings.notice_timeout;
            return true;
        }
        // Any other screen: decide this card (a new tap supersedes a pending one and replaces a
        // result on screen). The screen stays until the answer, or shows "checking" after 150 ms.
        fx.push_back(DecideCard{new_request(s, now, e.uid), e.uid, e.reader});
        return true;
    }

    bool operator()(const CardRemoved&) { return false; }

    bool operator()(const ReaderLost& e) {
        s.reader.known = true;
        s.reader.connected = false;
        s.reader.message = e.message;
        // A running session goes on; the status strip says the reader is gone.
        if (is_idle_screen(s.screen)) s.screen = base_screen(s, now.wall);
        return true;
    }

    bool operator()(const ReaderBack& e) {
        s.reader.known = true;
        s.reader.connected = true;
        s.reader.name = e.reader;
        s.reader.message.clear();
        if (is_idle_screen(s.screen) && s.pending_request == 0) s.screen = base_screen(s, now.wall);
        return true;
    }

    bool operator()(const IntentEvent& e) {
        switch (e.intent) {
            case Intent::Language:
                s.lang = s.lang == Lang::Ja ? Lang::En : Lang::Ja;
                return true;
            case Intent::Ok:
            case Intent::Cancel:
                return dismiss();
            case Intent::Start:
                if (s.screen != Screen::Granted || !s.result ||
                    !s.result->result.decision.granted || s.pending_request != 0)
                    return false;
                fx.push_back(StartSession{new_request(s, now, s.result->uid), s.result->uid,
                                          s.settings.session_minutes});
                return true;
            case Intent::EndSession:
                if (s.session && s.screen == Screen::Session) {
                    end_session(s, now, "ended", fx);
                    return true;
                }
                // A re-tap shows a running session on the result screen: it can be ended there.
                if ((s.screen == Screen::Granted || s.screen == Screen::Refused) && s.result &&
                    s.result->result.session && !s.result->result.session->ended_at) {
                    fx.push_back(EndSession{s.result->result.session->id, "ended"});
                    s.ended_session = *s.result->result.session;
                    s.ended_reason = "ended";
                    s.result.reset();
                    s.screen = Screen::SessionEnded;
                    s.screen_until = now.mono + s.settings.notice_timeout;
                    return true;
                }
                return false;
            case Intent::CallStaff: {
                if (s.screen != Screen::Refused || !s.result || s.result->staff_called)
                    return false;
                s.result->staff_called = true;
                CallStaff c{s.result->result.decision.trainee_no, {}};
                for (const Finding& f : s.result->result.decision.reasons)
                    c.codes.emplace_back(code_name(f.code));
                fx.push_back(std::move(c));
                s.screen_until = now.mono + s.settings.result_timeout;  // time to wait for staff
                return true;
            }
            case Intent::Extend: {
                if (!can_extend(s)) return false;
                SessionView& v = *s.session;
                v.extending = true;
                v.extend_request = s.next_request++;
                v.extend_refused.reset();
                v.extend_error.clear();
                v.extend_problem = ExtendProblem::None;
                v.extended_until = MonoTime{0};
                fx.push_back(
                    ExtendSession{v.extend_request, v.record.id, v.uid, s.settings.extend_minutes});
                return true;
            }
            case Intent::Override:
                return false;  // staff mode
        }
        return false;
    }

    bool dismiss() {
        switch (s.screen) {
            case Screen::Granted:
            case Screen::Refused:
            case Screen::SessionEnded:
                go_idle(s, now);
                return true;
            case Screen::Session:
                if (!s.session) return false;
                if (s.overlay != Overlay::None) {
                    s.overlay = Overlay::None;
                    return true;
                }
                if (s.session->extend_refused || !s.session->extend_error.empty()) {
                    s.session->extend_refused.reset();
                    s.session->extend_error.clear();
                    s.session->extend_problem = ExtendProblem::None;
                    return true;
                }
                if (s.session->warning && !s.session->warning_dismissed) {
                    s.session->warning_dismissed = true;
                    return true;
                }
                if (!s.settings.single_seat) {  // the credentials were read: back to idle
                    go_idle(s, now);
                    return true;
                }
                return false;
            default:
                return false;
        }
    }

    bool operator()(const Decided& e) {
        if (e.request != s.pending_request || e.request == 0) return false;  // superseded
        s.pending_request = 0;
        if (s.session && s.settings.single_seat) return true;
        show_result(s, now, e.result, s.pending_uid);
        return true;
    }

    bool operator()(const SessionStarted& e) {
        bool current = e.request == s.pending_request && e.request != 0;
        const auto& rec = e.result.session;
        if (e.result.decision.granted && rec && rec->active_at(now.wall)) {
            // A session that started is always taken on, even if a later tap superseded it, so
            // that no session runs without the screen that ends it.
            SessionView v;
            v.record = *rec;
            if (e.result.trainee) v.trainee_name = e.result.trainee->name;
            v.uid = current ? s.pending_uid : (s.result ? s.result->uid : CardUid{});
            v.credentials = e.credentials;
            v.deadline = now.mono + std::max(MonoTime{0}, wall_left(v, now.wall));
            s.pending_request = 0;
            s.session = std::move(v);
            s.result.reset();
            s.overlay = Overlay::None;
            s.problem.clear();
            s.screen = Screen::Session;
            s.screen_until =
                s.settings.single_seat ? MonoTime{0} : now.mono + 3 * s.settings.result_timeout;
            fx.push_back(RefreshRecords{});
            check_session(s, now, fx);
            return true;
        }
        if (!current) return false;
        if (!e.error.empty()) {  // the gate failed: the grant stays, the screen says why
            s.pending_request = 0;
            if (s.screen == Screen::Checking) s.screen = s.pending_from;
            s.problem = e.error;
            return true;
        }
        // The fresh decision refused (rules, seats or audit changed since the tap).
        s.pending_request = 0;
        show_result(s, now, e.result, s.pending_uid);
        return true;
    }

    bool operator()(const SessionClosed& e) {
        if (!s.session || s.session->record.id != e.session_id) return false;
        fx.push_back(RefreshRecords{});
        s.ended_session = s.session->record;
        s.ended_reason = e.reason == "expired" ? "expired" : "staff";
        s.session.reset();
        if (s.screen == Screen::Staff) return true;  // staff mode stays; the session is gone
        s.result.reset();
        s.overlay = Overlay::None;
        s.screen = Screen::SessionEnded;
        s.screen_until = now.mono + s.settings.notice_timeout;
        return true;
    }

    bool operator()(const SessionEndDone& e) {
        if (e.ok) {
            fx.push_back(RefreshRecords{});
            return false;
        }
        s.problem = "session " + std::to_string(e.session_id) + " could not be ended: " + e.error;
        return true;
    }

    bool operator()(const Extended& e) {
        if (!s.session || !s.session->extending || e.request != s.session->extend_request)
            return false;
        SessionView& v = *s.session;
        v.extending = false;
        if (e.ok) {
            v.deadline += duration_cast<milliseconds>(e.new_ends_at - v.record.ends_at);
            v.record.ends_at = e.new_ends_at;
            v.warning = false;
            v.warning_dismissed = false;
            v.warned_at = MonoTime{0};
            ++v.extensions;
            v.extended_until = now.mono + s.settings.extended_notice;
            check_session(s, now, fx);
        } else if (!e.error.empty() || e.problem != ExtendProblem::None) {
            v.extend_error =
                e.error.empty() ? std::string(extend_problem_name(e.problem)) : e.error;
            // A failure without its kind is shown as a failure (nothing changed), never as blank.
            v.extend_problem = e.problem != ExtendProblem::None ? e.problem : ExtendProblem::Failed;
        } else {
            v.extend_refused = e.decision;
        }
        return true;
    }

    // Staff mode's events are staff_apply()'s (kiosk/staff_machine.cpp); outside it, none apply.
    bool operator()(const StaffInputEvent&) { return false; }
    bool operator()(const StaffReply&) { return false; }
    bool operator()(const StaffSyncUpdate&) { return false; }

    bool operator()(const RecordsStatus& e) {
        s.records_known = true;
        s.records_generated_at = e.generated_at;
        s.free_seats = e.free_seats;
        s.seats = e.seats;
        if (is_idle_screen(s.screen) && s.pending_request == 0) s.screen = base_screen(s, now.wall);
        return true;
    }
};

}  // namespace

std::string_view lang_code(Lang l) { return l == Lang::Ja ? "ja" : "en"; }

std::string_view screen_name(Screen s) {
    switch (s) {
        case Screen::Idle:
            return "idle";
        case Screen::RecordsStale:
            return "records_stale";
        case Screen::ReaderProblem:
            return "reader_problem";
        case Screen::Checking:
            return "checking";
        case Screen::Granted:
            return "granted";
        case Screen::Refused:
            return "refused";
        case Screen::Session:
            return "session";
        case Screen::SessionEnded:
            return "session_ended";
        case Screen::Staff:
            return "staff";
    }
    return "?";
}

std::string_view intent_name(Intent i) {
    for (auto& [k, n] : kIntents)
        if (k == i) return n;
    return "?";
}

std::optional<Intent> intent_from_name(std::string_view name) {
    for (auto& [k, n] : kIntents)
        if (n == name) return k;
    return std::nullopt;
}

const std::vector<Intent>& all_intents() {
    static const std::vector<Intent> all = [] {
        std::vector<Intent> v;
        for (auto& [k, n] : kIntents) v.push_back(k);
        return v;
    }();
    return all;
}

std::string_view event_name(const Event& e) {
    static constexpr std::array<std::string_view, std::variant_size_v<Event>> names{
        "tick",           "card_presented", "card_removed",    "reader_lost",      "reader_back",
        "intent",         "decided",        "session_started", "session_end_done", "extended",
        "records_status", "staff_input",    "staff_reply",     "session_closed",   "staff_sync"};
    return names[e.index()];
}

std::string_view effect_name(const Effect& e) {
    static constexpr std::array<std::string_view, std::variant_size_v<Effect>> names{
        "decide_card",   "start_session", "end_session",     "extend_session",
        "record_in_use", "call_staff",    "refresh_records", "staff"};
    return names[e.index()];
}

std::optional<GateCredentials> credentials_of(const GateTicket& t) {
    if (t.backend != "postgres") return std::nullopt;
    return GateCredentials{t.host, t.port, t.database, t.role, t.password, t.valid_until};
}

KioskState initial_state(const MachineSettings& settings, Now now) {
    KioskState s;
    s.settings = settings;
    s.lang = settings.default_lang;
    s.screen = base_screen(s, now.wall);
    return s;
}

Step step(const KioskState& state, const Event& event, Now now) {
    Step out{state, {}, false};
    bool timed = advance_time(out.state, now, out.effects);
    if (staff_advance(out.state, now)) timed = true;
    std::optional<bool> staff = staff_apply(out.state, event, now, out.effects);
    bool applied = staff ? *staff : std::visit(Apply{out.state, now, out.effects}, event);
    out.changed = timed || applied;
    return out;
}

std::optional<MonoTime> next_deadline(const KioskState& s) {
    std::optional<MonoTime> next;
    auto consider = [&](MonoTime t) {
        if (!next || t < *next) next = t;
    };
    if (s.pending_request != 0 && s.screen != Screen::Checking && !s.session)
        consider(s.pending_since + s.settings.checking_after);
    if (s.screen_until != MonoTime{0}) consider(s.screen_until);
    if (s.overlay != Overlay::None) consider(s.overlay_until);
    if (s.session && s.session->extended_until != MonoTime{0}) consider(s.session->extended_until);
    if (auto t = staff_deadline(s)) consider(*t);
    if (s.session) {
        const SessionView& v = *s.session;
        if (!v.warning)
            consider(v.deadline - s.settings.warning_before);
        else
            consider(std::max(v.deadline, v.warned_at + s.settings.min_warning));
    }
    return next;
}

std::chrono::seconds session_time_left(const KioskState& s, Now now) {
    if (!s.session) return std::chrono::seconds{0};
    MonoTime left = effective_left(*s.session, now);
    if (left <= MonoTime{0}) return std::chrono::seconds{0};
    return std::chrono::ceil<std::chrono::seconds>(left);
}

bool can_extend(const KioskState& s) {
    // Not while a refusal is showing: the trainee reads why first (ok closes it; then a retry
    // is offered again, e.g. once a seat is free).
    if (!(s.settings.extend_minutes > 0 && s.session && s.session->warning &&
          !s.session->extending && !s.session->extend_refused && s.session->extend_error.empty() &&
          s.screen == Screen::Session))
        return false;
    // Nor when one more would pass the longest total the SessionDesk allows (it would refuse).
    const SessionRecord& r = s.session->record;
    const auto total =
        std::chrono::duration_cast<std::chrono::minutes>(r.ends_at - r.started_at).count() +
        s.settings.extend_minutes;
    return total <= extension_limits_for(s.settings.session_minutes, s.settings.extend_minutes)
                        .max_total_minutes;
}

bool records_stale(const KioskState& s, Instant wall) {
    if (!s.records_known) return false;
    if (!s.records_generated_at) return true;
    auto age = wall - *s.records_generated_at;
    return std::chrono::duration<double, std::ratio<3600>>(age).count() >
           s.settings.records_max_age_hours;
}

}  // namespace kiosk
