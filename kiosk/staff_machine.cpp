// Staff mode's transitions (see staff_machine.h) and the worker side of its effects
// (run_staff_effect, staff_view.h).
#include "kiosk/staff_machine.h"

#include <algorithm>

namespace kiosk {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

Screen resting_screen(const KioskState& s, Instant wall) {
    if (s.session && s.settings.single_seat) return Screen::Session;
    if (s.reader.known && !s.reader.connected) return Screen::ReaderProblem;
    if (records_stale(s, wall)) return Screen::RecordsStale;
    return Screen::Idle;
}

void open_staff(KioskState& s, const CardUid& card, Now now) {
    StaffView v;
    v.card = card;
    v.last_input = now.mono;
    v.idle_timeout = s.settings.staff_idle;
    v.override_reasons = s.settings.override_reasons;
    v.override_max_minutes = s.settings.override_max_minutes;
    if (s.screen == Screen::Refused && s.result) {
        v.refused = s.result->result;
        v.refused_card = s.result->uid;
    }
    s.staff = std::move(v);
    s.screen = Screen::Staff;
    s.screen_until = MonoTime{0};
    s.overlay = Overlay::None;
    s.pending_request = 0;
}

void leave_staff(KioskState& s, Now now) {
    s.staff.reset();
    s.result.reset();
    s.screen_until = MonoTime{0};
    s.screen = resting_screen(s, now.wall);
}

struct StaffApply {
    KioskState& s;
    Now now;
    std::vector<Effect>& fx;

    StaffView& v() { return *s.staff; }

    void ask(StaffEffect e) {
        e.request = s.next_request++;
        if (s.staff) {
            e.who = v().who;
            v().pending = e.request;
        }
        fx.push_back(std::move(e));
    }
    void load(StaffPage page) {
        if (page == StaffPage::Override || page == StaffPage::Lookup || page == StaffPage::Pin)
            return;
        StaffEffect e;
        e.kind = StaffEffect::Kind::Load;
        e.page = page;
        ask(std::move(e));
    }
    void say(StaffIssue i, std::string m) {
        v().issue = i;
        v().message = std::move(m);
    }

    std::optional<bool> operator()(const CardPresented& e) {
        if (!s.staff) {
            // The single seat is in use and another card is tapped: it may be a staff card, which
            // opens staff mode over the session. Ask before treating it as "in use".
            if (s.session && s.settings.single_seat && !(e.uid == s.session->uid)) {
                StaffEffect c;
                c.kind = StaffEffect::Kind::Classify;
                c.card = e.uid;
                c.reader = e.reader;
                ask(std::move(c));
                return false;
            }
            return std::nullopt;
        }
        v().last_input = now.mono;
        if (e.uid == v().card) {  // the staff card again: leave
            leave_staff(s, now);
            return true;
        }
        if (v().who && v().page == StaffPage::Enrol) {
            v().enrol_card = e.uid;
            say(StaffIssue::None, "");
            return true;
        }
        return false;  // other cards are ignored in staff mode (and start nothing)
    }

    std::optional<bool> operator()(const IntentEvent& e) {
        if (!s.staff) {
            return std::nullopt;
        }
        switch (e.intent) {
            case Intent::Cancel:
                leave_staff(s, now);
                return true;
            case Intent::Ok:
                return input({StaffInput::Kind::Submit, 0, ""});
            case Intent::Override:
                return input({StaffInput::Kind::Page, static_cast<int>(StaffPage::Override), ""});
            case Intent::Language:
                return std::nullopt;
            default:
                return false;
        }
    }

    std::optional<bool> operator()(const StaffInputEvent& e) {
        if (!s.staff) return false;
        return input(e.input);
    }

    bool input(const StaffInput& in) {
        StaffView& sv = v();
        sv.last_input = now.mono;
        using K = StaffInput::Kind;
        if (in.kind == K::Leave) {
            leave_staff(s, now);
            return true;
        }
        if (sv.pending != 0) return false;  // one action at a time
        if (sv.page == StaffPage::Pin) {
            switch (in.kind) {
                case K::Digit:
                    if (in.number < 0 || in.number > 9 ||
                        sv.pin.size() >= static_cast<size_t>(kPinMaxDigits))
                        return false;
                    sv.pin += static_cast<char>('0' + in.number);
                    return true;
                case K::Backspace:
                    if (sv.pin.empty()) return false;
                    sv.pin.pop_back();
                    return true;
                case K::Submit: {
                    StaffEffect e;
                    e.kind = StaffEffect::Kind::SignIn;
                    e.card = sv.card;
                    e.pin = std::move(sv.pin);
                    sv.pin.clear();
                    ask(std::move(e));
                    return true;
                }
                default:
                    return false;
            }
        }
        switch (in.kind) {
            case K::Page: {
                auto page = static_cast<StaffPage>(in.number);
                if (page == StaffPage::Pin) return false;
                if (page == StaffPage::Override && !sv.refused) {
                    say(StaffIssue::NothingToOverride, "There is no refused tap to override");
                    return true;
                }
                sv.page = page;
                say(StaffIssue::None, "");
                sv.trainee_text.clear();
                sv.lookup.reset();
                sv.enrol_card.reset();
                load(page);
                return true;
            }
            case K::Digit:
                if (sv.page == StaffPage::Override) return false;
                sv.trainee_text +=
                    static_cast<char>('0' + std::clamp<std::int64_t>(in.number, 0, 9));
                return true;
            case K::Backspace:
                if (sv.page == StaffPage::Override && !sv.reason_text.empty())
                    sv.reason_text.pop_back();
                else if (!sv.trainee_text.empty())
                    sv.trainee_text.pop_back();
                return true;
            case K::Reason:
                sv.reason_index = static_cast<int>(in.number);
                return true;
            case K::ReasonText:
                sv.reason_text = in.text;
                return true;
            case K::Minutes:
                sv.minutes = static_cast<int>(in.number);
                return true;
            case K::TraineeText:
                sv.trainee_text = in.text;
                return true;
            case K::EndSession: {
                StaffEffect e;
                e.kind = StaffEffect::Kind::EndSession;
                e.session_id = in.number;
                ask(std::move(e));
                return true;
            }
            case K::Revoke: {
                if (!sv.enrol_card) {
                    say(StaffIssue::CardNotEnrolled, "Tap the card to revoke first");
                    return true;
                }
                StaffEffect e;
                e.kind = StaffEffect::Kind::Revoke;
                e.card = *sv.enrol_card;
                ask(std::move(e));
                return true;
            }
            case K::Briefed: {
                StaffEffect e;
                e.kind = StaffEffect::Kind::Briefed;
                e.trainee_no = in.text;
                ask(std::move(e));
                return true;
            }
            case K::SyncNow: {
                StaffEffect e;
                e.kind = StaffEffect::Kind::SyncNow;
                ask(std::move(e));
                return true;
            }
            case K::Submit:
                return submit();
            default:
                return false;
        }
    }

    bool submit() {
        StaffView& sv = v();
        StaffEffect e;
        switch (sv.page) {
            case StaffPage::Override: {
                if (!sv.refused) return false;
                e.kind = StaffEffect::Kind::Override;
                OverrideRequest& r = e.override_request;
                if (!sv.refused->card_hash.empty())
                    r.card = sv.refused_card;
                else
                    r.trainee_no = sv.refused->decision.trainee_no;
                if (sv.reason_index >= 0 &&
                    sv.reason_index < static_cast<int>(sv.override_reasons.size()))
                    r.reason_choice = sv.override_reasons[sv.reason_index];
                r.reason_text = sv.reason_text;
                r.minutes = sv.minutes;
                break;
            }
            case StaffPage::Enrol:
                if (!sv.enrol_card) {
                    say(StaffIssue::NothingToOverride, "Tap the trainee's card first");
                    return true;
                }
                e.kind = StaffEffect::Kind::Enrol;
                e.card = *sv.enrol_card;
                e.trainee_no = sv.trainee_text;
                break;
            case StaffPage::Lookup:
                e.kind = StaffEffect::Kind::Lookup;
                e.trainee_no = sv.trainee_text;
                break;
            default:
                return false;
        }
        ask(std::move(e));
        return true;
    }

    std::optional<bool> operator()(const StaffReply& r) {
        using K = StaffEffect::Kind;
        if (r.kind == K::Classify) return classified(r);
        if (!s.staff) return false;  // stale
        if (r.request != v().pending || r.request == 0) {
            // Late, but "sync now"'s state is news whatever else was asked meanwhile.
            if (r.sync && (!v().sync || r.sync->version > v().sync->version)) {
                v().sync = r.sync;
                return true;
            }
            return false;
        }
        StaffView& sv = v();
        sv.pending = 0;
        if (r.kind == K::SignIn) {
            const SignInResult& si = r.sign_in;
            sv.issue = si.outcome.issue;
            sv.message = si.outcome.message;
            sv.tries_left = si.tries_left;
            sv.locked_until = si.locked_until;
            if (si.staff) {
                sv.who = si.staff;
                sv.page = sv.refused ? StaffPage::Override : StaffPage::Sessions;
                load(sv.page);
            }
            return true;
        }
        if (r.kind == K::Override && r.override_result.outcome.ok() &&
            r.override_result.tap.session) {
            // The override's session goes on screen like any started session.
            const TapResult& tap = r.override_result.tap;
            SessionView view;
            view.record = *tap.session;
            if (tap.trainee) view.trainee_name = tap.trainee->name;
            view.uid = sv.refused_card;
            if (r.override_result.ticket)
                view.credentials = credentials_of(*r.override_result.ticket);
            view.deadline =
                now.mono +
                std::max(MonoTime{0}, duration_cast<milliseconds>(tap.session->ends_at - now.wall));
            s.staff.reset();
            s.result.reset();
            s.session = std::move(view);
            s.overlay = Overlay::None;
            s.problem.clear();
            s.screen = Screen::Session;
            s.screen_until =
                s.settings.single_seat ? MonoTime{0} : now.mono + 3 * s.settings.result_timeout;
            fx.push_back(RefreshRecords{});
            return true;
        }
        const StaffOutcome& o = r.kind == K::Override ? r.override_result.outcome : r.outcome;
        sv.issue = o.issue;
        sv.message = r.error.empty() ? o.message : r.error;
        if (r.kind != K::Load || sv.page == StaffPage::Sessions) sv.sessions = r.sessions;
        if (!r.briefings.empty() || r.kind == K::Briefed || sv.page == StaffPage::Briefings)
            sv.briefings = r.briefings;
        if (r.records) sv.records = r.records;
        if (r.audit) sv.audit = r.audit;
        if (r.lookup) sv.lookup = r.lookup;
        if (r.sync && (!sv.sync || r.sync->version >= sv.sync->version)) sv.sync = r.sync;
        if (r.kind == K::Enrol && o.ok()) {
            sv.enrol_card.reset();
            sv.trainee_text.clear();
        }
        if (r.kind == K::EndSession && o.ok() && s.session) {
            // Staff ended the session on this kiosk's screen: it is gone from under staff mode.
            bool gone = std::none_of(r.sessions.begin(), r.sessions.end(),
                                     [&](auto& x) { return x.id == s.session->record.id; });
            if (gone) s.session.reset();
        }
        return true;
    }

    std::optional<bool> operator()(const StaffSyncUpdate& u) {
        const bool ended = !u.status.running();
        // The sync ended: the status strip's records age, and the Records page, are news.
        if (ended && u.status.state == SyncStatus::State::Applied) fx.push_back(RefreshRecords{});
        if (!s.staff) return ended;
        StaffView& sv = v();
        if (sv.sync && u.status.version <= sv.sync->version) return false;  // not news
        sv.sync = u.status;
        if (ended && sv.who && sv.page == StaffPage::Records && sv.pending == 0)
            load(StaffPage::Records);
        return true;
    }

    bool classified(const StaffReply& r) {
        if (r.role == CardRole::Staff) {
            if (s.staff) return false;
            if (r.request != 0 && r.request == s.pending_request) s.pending_request = 0;
            open_staff(s, r.card, now);
            return true;
        }
        // Not a staff card, tapped while the single seat is in use: "in use" (and audited).
        if (!s.session || !s.settings.single_seat || s.staff) return false;
        s.overlay = Overlay::InUse;
        fx.push_back(RecordInUse{r.card, r.reader, s.session->record.id});
        s.overlay_until = now.mono + s.settings.notice_timeout;
        return true;
    }

    template <class T>
    std::optional<bool> operator()(const T&) {
        return std::nullopt;
    }
};

// The lists a page shows, loaded after every action so the panel never shows stale ones.
void load_lists(StaffDesk& desk, StaffPage page, Instant now, StaffReply& r) {
    std::string err;
    if (!desk.active_sessions(now, &r.sessions, &err)) r.error = "Cannot read the sessions: " + err;
    if (!desk.briefing_queue(&r.briefings, &err))
        r.error = "Cannot read the briefing queue: " + err;
    if (page == StaffPage::Records) {
        RecordsSummary rs;
        if (desk.records(now, &rs, &err))
            r.records = std::move(rs);
        else
            r.error = "Cannot read the records state: " + err;
    }
    if (page == StaffPage::Audit) {
        AuditView av;
        if (desk.audit_view(50, &av, &err))
            r.audit = std::move(av);
        else
            r.error = "Cannot read the audit trail: " + err;
    }
}

}  // namespace

std::string_view staff_page_name(StaffPage p) {
    switch (p) {
        case StaffPage::Pin:
            return "pin";
        case StaffPage::Sessions:
            return "sessions";
        case StaffPage::Override:
            return "override";
        case StaffPage::Enrol:
            return "enrol";
        case StaffPage::Briefings:
            return "briefings";
        case StaffPage::Records:
            return "records";
        case StaffPage::Audit:
            return "audit";
        case StaffPage::Lookup:
            return "lookup";
    }
    return "?";
}

bool staff_advance(KioskState& s, Now now) {
    if (!s.staff) return false;
    if (s.screen != Screen::Staff) {  // something else took the screen (the session ended)
        s.staff.reset();
        return true;
    }
    if (s.staff->pending != 0) return false;
    if (now.mono - s.staff->last_input < s.staff->idle_timeout) return false;
    leave_staff(s, now);
    return true;
}

std::optional<bool> staff_apply(KioskState& s, const Event& e, Now now, std::vector<Effect>& fx) {
    return std::visit(StaffApply{s, now, fx}, e);
}

std::optional<MonoTime> staff_deadline(const KioskState& s) {
    if (!s.staff) return std::nullopt;
    return s.staff->last_input + s.staff->idle_timeout;
}

std::optional<StaffReply> staff_card_reply(StaffDesk& desk, const DecideCard& d) {
    CardRole role = CardRole::Unknown;
    std::string err;
    // On a read error the decision path runs and fails secure (KIOSK_FAULT) on its own.
    if (!desk.card_role(d.uid, &role, &err) || role != CardRole::Staff) return std::nullopt;
    StaffReply r;
    r.request = d.request;
    r.kind = StaffEffect::Kind::Classify;
    r.role = role;
    r.card = d.uid;
    r.reader = d.reader;
    return r;
}

StaffReply run_staff_effect(StaffDesk& desk, const StaffEffect& e, Instant now, RecordsSync* sync) {
    using K = StaffEffect::Kind;
    StaffReply r;
    r.request = e.request;
    r.kind = e.kind;
    StaffPage page = e.page;
    auto who_or_refuse = [&]() -> const StaffSignIn* {
        if (e.who) return &*e.who;
        r.outcome = {StaffIssue::NotSignedIn, "Sign in first", {}};
        return nullptr;
    };
    switch (e.kind) {
        case K::Classify: {
            std::string err;
            r.card = e.card;
            r.reader = e.reader;
            if (!desk.card_role(e.card, &r.role, &err)) r.role = CardRole::Unknown;
            return r;
        }
        case K::SignIn:
            r.sign_in = desk.sign_in(e.card, e.pin, now, "kiosk");
            page = StaffPage::Sessions;
            break;
        case K::Load:
            break;
        case K::Override:
            if (auto* w = who_or_refuse())
                r.override_result = desk.override_refusal(*w, e.override_request, now);
            else
                r.override_result.outcome = r.outcome;
            break;
        case K::EndSession:
            if (auto* w = who_or_refuse()) r.outcome = desk.end_session(*w, e.session_id, now);
            page = StaffPage::Sessions;
            break;
        case K::Enrol:
            if (auto* w = who_or_refuse()) r.outcome = desk.enroll(*w, e.card, e.trainee_no, now);
            break;
        case K::Revoke:
            if (auto* w = who_or_refuse()) r.outcome = desk.revoke(*w, e.card, now);
            break;
        case K::Briefed:
            if (auto* w = who_or_refuse()) r.outcome = desk.briefed(*w, e.trainee_no, now);
            page = StaffPage::Briefings;
            break;
        case K::SyncNow:
            if (auto* w = who_or_refuse()) r.outcome = desk.sync_now(*w, sync, now);
            page = StaffPage::Records;
            break;
        case K::Lookup:
            if (auto* w = who_or_refuse()) {
                TraineeLookup l = desk.look_up(*w, e.trainee_no, now);
                r.outcome = l.outcome;
                r.lookup = std::move(l);
            }
            break;
    }
    if (e.kind != K::SignIn || r.sign_in.staff) load_lists(desk, page, now, r);
    if (sync && page == StaffPage::Records) r.sync = sync->status();
    return r;
}

}  // namespace kiosk
