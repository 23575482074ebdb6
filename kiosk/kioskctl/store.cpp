// kioskctl commands over the stores: init, enroll/unenroll, decide, session start/end, sessions,
// staff add/remove/list, status (product.md section 6). The audit commands are in audit.cpp.
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "db/audit_store.h"
#include "db/data_dir.h"
#include "db/feed_fetch.h"
#include "db/local_store.h"
#include "db/mirror_store.h"
#include "kiosk/kioskctl/kioskctl.h"
#include "kiosk/staff_pin.h"
#include "kiosk/trust_checks.h"

namespace kiosk {
namespace {

using json = nlohmann::json;

// --minutes takes the range config.cpp allows for sessions.minutes.
constexpr int kMinSessionMinutes = 1;
constexpr int kMaxSessionMinutes = 24 * 60;

std::string findings_text(const std::vector<Finding>& fs) {
    std::string out;
    for (auto& f : fs) {
        std::string rules;
        for (auto& r : f.rules) rules += (rules.empty() ? "" : ",") + r;
        out += fmt::format("\n  {}{}{}", code_name(f.code),
                           f.course ? fmt::format(" {}", course_code(*f.course)) : "",
                           rules.empty() ? "" : fmt::format(" ({})", rules));
    }
    return out;
}

std::string decision_text(const TapResult& r) {
    const Decision& d = r.decision;
    std::string s = fmt::format("{} {}", d.granted ? "grant" : "deny",
                                d.trainee_no.empty() ? "(unknown card)" : d.trainee_no);
    if (!d.reasons.empty()) s += "\nreasons:" + findings_text(d.reasons);
    if (!d.notices.empty()) s += "\nnotices:" + findings_text(d.notices);
    if (!r.fault.empty()) s += "\nfault: " + r.fault;
    return s;
}

json session_json(const SessionRecord& s, Instant now) {
    json j{{"id", s.id},
           {"trainee_no", s.trainee_no},
           {"started_at", format_instant(s.started_at)},
           {"ends_at", format_instant(s.ends_at)},
           {"active", s.active_at(now)}};
    j["ended_at"] = s.ended_at ? json(format_instant(*s.ended_at)) : json(nullptr);
    if (!s.end_reason.empty()) j["end_reason"] = s.end_reason;
    if (!s.override_by.empty()) {
        j["override_by"] = s.override_by;
        j["override_reason"] = s.override_reason;
    }
    return j;
}

// Runs `change` and appends `e` in one transaction of kiosk.db: both commit, or neither does.
void change_audited(Ctl& ctl, const std::function<bool(std::string*)>& change, AuditEvent e) {
    auto& d = ctl.data();
    std::string err;
    AuditReceipt r;
    if (!d.transact(
            [&](std::string* why) {
                if (!change(why)) return false;
                if (d.audit().append(e, &r, why)) return true;
                *why = "audit: " + *why + " (nothing was changed)";
                return false;
            },
            &err))
        throw CtlError(err);
}

// A name as one printable line: control characters and invalid UTF-8 shown as \xNN escapes.
std::string printable(std::string_view s) {
    if (db::staff_name_problem(s).empty()) return std::string(s);
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f || c >= 0x80)
            out += fmt::format("\\x{:02X}", c);
        else
            out += static_cast<char>(c);
    }
    return out;
}

// Reads the PIN: from a terminal without echo (prompting on stderr), else one line of stdin.
std::string read_pin() {
    std::string pin;
    bool tty = ::isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (tty && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        // Echo off first, then the prompt (as getpass(3) does): what is typed once the prompt
        // shows is never echoed, and never discarded by the switch (TCSAFLUSH drops typed-ahead
        // input, which a prompt printed first invites).
        if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
            throw CtlError("cannot switch off the terminal's echo: the PIN would be shown");
        fmt::print(stderr, "PIN (6-12 digits, not shown): ");
        std::fflush(stderr);
        bool got = static_cast<bool>(std::getline(std::cin, pin));
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        if (!got) throw CtlError("no PIN entered");
    } else if (!std::getline(std::cin, pin)) {
        throw CtlError("no PIN on stdin");
    }
    while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' ')) pin.pop_back();
    return pin;
}

void check_trainee_no(const std::string& no) {
    if (!valid_trainee_no(no))
        throw CtlError(fmt::format(
            "trainee number '{}' is malformed: 1-32 characters of 0-9, A-Z, a-z and '-'",
            printable_excerpt(no)));
}

// A session id as `sessions` lists it: a whole number from 1, checked before any store is read
// (never clamped: 99999999999999999999999 is not session 9223372036854775807).
std::int64_t session_id(const std::string& text) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec == std::errc::invalid_argument || p != text.data() + text.size())
        throw CtlError(fmt::format(
            "session id '{}' is not a number: give the id that `kioskctl sessions` lists",
            printable_excerpt(text)));
    if (ec == std::errc::result_out_of_range || id < 1)
        throw CtlError(fmt::format(
            "session id {} is out of range: ids are whole numbers from 1 (see `kioskctl "
            "sessions`)",
            printable_excerpt(text)));
    return id;
}

}  // namespace

void add_store_commands(CLI::App& app, Ctl& ctl) {
    // ---- init ----------------------------------------------------------------------------
    auto* init = app.add_subcommand("init", "create, migrate and make private the data directory");
    static bool i_afresh = false;
    init->add_flag("--start-afresh", i_afresh,
                   "create a missing site.key or kiosk.db although other stores exist (audited; "
                   "restore from backup instead whenever you can)");
    init->callback([&ctl] {
        std::string report, err;
        db::DataDir::InitOptions opt;
        opt.start_afresh = i_afresh;
        if (!db::DataDir::init(ctl.data_dir(), opt, &report, &err)) throw CtlError(err);
        fmt::print("{}\n", report);
    });

    // ---- enroll / unenroll ---------------------------------------------------------------
    auto* enroll = app.add_subcommand("enroll", "bind a card to a trainee number (TR-5)");
    static std::string e_card, e_trainee, e_at;
    enroll->add_option("--card", e_card, "card UID (hex)")->required();
    enroll->add_option("--trainee", e_trainee, "trainee number")->required();
    enroll->add_option("--at", e_at, "time of the enrolment (default: now)");
    enroll->callback([&ctl] {
        auto uid = ctl.card(e_card);
        check_trainee_no(e_trainee);
        Instant now = ctl.at(e_at);
        auto& d = ctl.data();
        std::optional<Trainee> t;
        std::string err;
        if (!d.mirror().find_trainee(e_trainee, &t, &err)) throw CtlError(err);
        if (!t)
            throw CtlError(fmt::format(
                "trainee number {} is not in the mirror: check the number, or sync a snapshot "
                "that contains it",
                e_trainee));
        std::string hash = card_hash(d.secret(), uid);
        change_audited(
            ctl, [&](std::string* why) { return d.local().enroll(hash, e_trainee, now, why); },
            {now, "card.enroll", "kioskctl", e_trainee, card_hash_prefix(hash), "ok", "{}"});
        fmt::print("card {} enrolled to trainee {}\n", card_hash_prefix(hash), e_trainee);
    });
    auto* unenroll = app.add_subcommand("unenroll", "revoke a card's binding");
    static std::string u_card, u_at;
    unenroll->add_option("--card", u_card, "card UID (hex)")->required();
    unenroll->add_option("--at", u_at, "time (default: now)");
    unenroll->callback([&ctl] {
        auto uid = ctl.card(u_card);
        Instant now = ctl.at(u_at);
        auto& d = ctl.data();
        std::string hash = card_hash(d.secret(), uid), err;
        std::optional<CardBinding> b;
        if (!d.local().find_binding(hash, &b, &err)) throw CtlError(err);
        change_audited(ctl, [&](std::string* why) { return d.local().unenroll(hash, now, why); },
                       {now, "card.unenroll", "kioskctl", b ? b->trainee_no : "",
                        card_hash_prefix(hash), "ok", "{}"});
        fmt::print("card {} revoked\n", card_hash_prefix(hash));
    });

    // ---- decide --------------------------------------------------------------------------
    auto* decide_cmd = app.add_subcommand("decide", "print one decision (audited; starts nothing)");
    static std::string d_card, d_trainee, d_at;
    static bool d_json = false;
    auto* oc = decide_cmd->add_option("--card", d_card, "card UID (hex)");
    auto* ot = decide_cmd->add_option("--trainee", d_trainee, "trainee number");
    oc->excludes(ot);
    decide_cmd->add_option("--at", d_at, "decide as at this time (ISO 8601)");
    decide_cmd->add_flag("--json", d_json, "print the decision as JSON");
    decide_cmd->callback([&ctl, decide_cmd] {
        if (decide_cmd->count("--card") == 0 && decide_cmd->count("--trainee") == 0)
            throw CLI::RequiredError("decide needs --card UID or --trainee NO",
                                     CLI::ExitCodes::RequiredError);
        Instant now = ctl.at(d_at);
        TapResult r;
        if (decide_cmd->count("--card") > 0) {
            r = ctl.gatekeeper().decide_card(ctl.card(d_card), now, "kioskctl");
        } else {
            check_trainee_no(d_trainee);
            r = ctl.gatekeeper().decide_trainee(d_trainee, now, "kioskctl");
        }
        if (d_json)
            fmt::print("{}\n", decision_json(r.decision));
        else
            fmt::print("{}\n", decision_text(r));
        if (r.decision.has_reason(Code::KioskFault)) throw CtlError("kiosk fault: " + r.fault);
    });

    // ---- sessions ------------------------------------------------------------------------
    auto* session = app.add_subcommand("session", "start or end a test-database session");
    session->require_subcommand(1);
    auto* start = session->add_subcommand("start", "decide for a card and start a session");
    static std::string s_card, s_trainee, s_at, s_override_by, s_reason;
    static int s_minutes = 0;
    static bool s_json = false;
    auto* sc = start->add_option("--card", s_card, "card UID (hex)");
    auto* st = start->add_option("--trainee", s_trainee, "trainee number (staff)");
    sc->excludes(st);
    start->add_option("--at", s_at, "start time (default: now)");
    static bool s_minutes_set = false;
    start
        ->add_option("--minutes", s_minutes,
                     fmt::format("session length, {}-{} (default: sessions.minutes)",
                                 kMinSessionMinutes, kMaxSessionMinutes))
        ->each([](const std::string&) { s_minutes_set = true; });
    auto* ob = start->add_option("--override-by", s_override_by, "staff id overriding a refusal");
    start->add_option("--reason", s_reason, "the override's written reason")->needs(ob);
    start->add_flag("--json", s_json, "print JSON");
    start->callback([&ctl, start] {
        if (start->count("--card") == 0 && start->count("--trainee") == 0)
            throw CLI::RequiredError("session start needs --card UID or --trainee NO",
                                     CLI::ExitCodes::RequiredError);
        if (!s_override_by.empty() && s_reason.empty())
            throw CtlError("an override needs --reason: say why the rules are set aside");
        Gatekeeper::StartRequest req;
        if (start->count("--card") > 0) req.card = ctl.card(s_card);
        if (start->count("--trainee") > 0) check_trainee_no(s_trainee);
        req.trainee_no = s_trainee;
        if (s_minutes_set && (s_minutes < kMinSessionMinutes || s_minutes > kMaxSessionMinutes))
            throw CtlError(fmt::format(
                "--minutes {} is out of range: a session is {} to {} minutes (the range of "
                "sessions.minutes)",
                s_minutes, kMinSessionMinutes, kMaxSessionMinutes));
        req.minutes = s_minutes_set ? s_minutes : ctl.config().session_minutes;
        req.override_by = s_override_by;
        req.override_reason = s_reason;
        Instant now = ctl.at(s_at);
        if (!s_override_by.empty()) {
            std::vector<db::StaffMember> staff;
            std::string err;
            if (!ctl.data().local().list_staff(&staff, &err)) throw CtlError(err);
            bool known = false;
            for (auto& m : staff) known |= m.id == s_override_by;
            if (!known)
                throw CtlError(
                    fmt::format("--override-by {}: no such staff member", s_override_by));
        }
        // The SessionDesk decides, opens the test-database gate and records the session.
        SessionStart st = ctl.desk().start(req, now, "kioskctl");
        TapResult& r = st.tap;
        if (!r.warning.empty()) fmt::print(stderr, "kioskctl: warning: {}\n", r.warning);
        bool started = st.started() && r.session && r.session->id > 0;
        if (s_json) {
            json j = json::parse(decision_json(r.decision));
            j["session"] = started ? session_json(*r.session, now) : json(nullptr);
            j["gate"] = started ? json::parse(gate_ticket_json(*st.ticket)) : json(nullptr);
            fmt::print("{}\n", j.dump());
        } else if (started) {
            fmt::print("session {} started for {} until {}\n", r.session->id, r.session->trainee_no,
                       format_instant(r.session->ends_at));
            const GateTicket& t = *st.ticket;
            if (t.backend == "postgres")
                fmt::print(
                    "PostgreSQL: host {} port {} database {} role {} password {} (valid "
                    "until {})\n",
                    t.host, t.port, t.database, t.role, t.password, format_instant(t.valid_until));
            else
                fmt::print("workspace: Start\n");
        }
        if (!started) {
            if (!s_json) fmt::print("{}\n", decision_text(r));
            if (st.unavailable)
                throw CtlError(fmt::format("no session started: {} ({})", kGateUnavailableMessage,
                                           st.gate_error));
            throw CtlError(fmt::format("no session started: the decision is deny{}",
                                       st.gate_error.empty() ? "" : " (" + st.gate_error + ")"));
        }
    });
    auto* end = session->add_subcommand("end", "end a session");
    static std::string e_id_text, e_end_at, e_cause = "staff";
    end->add_option("ID", e_id_text, "session id (as `sessions` lists it)")->required();
    end->add_option("--at", e_end_at, "time (default: now)");
    end->add_option("--cause", e_cause, "who ended it (audited)")
        ->check(CLI::IsMember({"staff", "trainee"}));
    end->callback([&ctl] {
        const std::int64_t e_id = session_id(e_id_text);
        std::string err;
        if (!ctl.desk().end(e_id, *end_cause_from_name(e_cause), ctl.at(e_end_at), "kioskctl",
                            &err))
            throw CtlError(err);
        fmt::print("session {} ended\n", e_id);
    });
    auto* extend = session->add_subcommand(
        "extend", "extend a running session after a fresh decision (sessions.extend_minutes)");
    static std::string x_id_text, x_card, x_at;
    static int x_minutes = 0;
    static bool x_json = false;
    extend->add_option("ID", x_id_text, "session id (as `sessions` lists it)")->required();
    extend->add_option("--card", x_card, "the card UID (hex) that started it")->required();
    extend->add_option("--minutes", x_minutes,
                       "minutes to add, 1..sessions.extend_minutes (default: extend_minutes)");
    extend->add_option("--at", x_at, "time (default: now)");
    extend->add_flag("--json", x_json, "print JSON");
    extend->callback([&ctl] {
        const std::int64_t x_id = session_id(x_id_text);
        const Config& cfg = ctl.config();
        ctl.desk().set_extension_limits(
            extension_limits_for(cfg.session_minutes, cfg.extend_minutes));
        if (cfg.extend_minutes <= 0)
            throw CtlError("this site does not extend sessions (sessions.extend_minutes = 0)");
        const int minutes = x_minutes != 0 ? x_minutes : cfg.extend_minutes;
        if (minutes < 1 || minutes > cfg.extend_minutes)
            throw CtlError(
                fmt::format("--minutes {} is out of range: an extension is 1 to {} minutes "
                            "(sessions.extend_minutes)",
                            minutes, cfg.extend_minutes));
        SessionExtension x =
            ctl.desk().extend(x_id, ctl.card(x_card), minutes, ctl.at(x_at), "kioskctl");
        if (x_json) {
            json j = json::parse(decision_json(x.tap.decision));
            j["extended"] = x.extended;
            j["session"] = x_id;
            j["ends_at"] = x.extended ? json(format_instant(x.new_ends_at)) : json(nullptr);
            j["error"] = x.error.empty() ? json(nullptr) : json(x.error);
            j["problem"] = x.problem == ExtendProblem::None
                               ? json(nullptr)
                               : json(std::string(extend_problem_name(x.problem)));
            fmt::print("{}\n", j.dump());
        } else if (x.extended) {
            fmt::print("session {} extended by {} minutes: until {} (was {})\n", x_id, minutes,
                       format_instant(x.new_ends_at), format_instant(x.old_ends_at));
        } else if (x.error.empty()) {
            fmt::print("{}\n", decision_text(x.tap));
        }
        if (!x.extended)
            throw CtlError(fmt::format(
                "session {} not extended: {}", x_id,
                x.error.empty() ? "the decision is deny"
                                : x.error + (x.unavailable ? " (" + x.tap.fault + ")" : "")));
    });
    auto* sessions = app.add_subcommand("sessions", "list active sessions");
    static bool ss_json = false, ss_all = false;
    static std::string ss_at;
    sessions->add_flag("--json", ss_json, "print JSON");
    sessions->add_flag("--all", ss_all, "include ended sessions");
    sessions->add_option("--at", ss_at, "as at this time (default: now)");
    sessions->callback([&ctl] {
        Instant now = ctl.at(ss_at);
        std::vector<SessionRecord> list;
        std::string err;
        if (!ctl.data().local().list_sessions(!ss_all, now, &list, &err)) throw CtlError(err);
        if (ss_json) {
            json arr = json::array();
            for (auto& s : list) arr.push_back(session_json(s, now));
            fmt::print("{}\n", arr.dump());
            return;
        }
        if (list.empty()) fmt::print("no {}sessions\n", ss_all ? "" : "active ");
        for (auto& s : list)
            fmt::print("{:>5}  {:<32}  {} -> {}{}{}\n", s.id, s.trainee_no,
                       format_instant(s.started_at), format_instant(s.ends_at),
                       s.active_at(now) ? "  active"
                       : s.ended_at     ? "  " + s.end_reason
                                        : std::string("  expired"),
                       s.override_by.empty() ? "" : "  override by " + s.override_by);
    });

    // ---- staff ---------------------------------------------------------------------------
    auto* staff = app.add_subcommand("staff", "staff members (PIN on stdin)");
    staff->require_subcommand(1);
    auto* sadd = staff->add_subcommand("add", "add a staff member; reads the PIN from stdin");
    static std::string sa_id, sa_name, sa_card;
    sadd->add_option("--id", sa_id, "staff id")->required();
    sadd->add_option("--name", sa_name, "name")->required();
    sadd->add_option("--card", sa_card, "staff card UID (hex)")->required();
    sadd->callback([&ctl] {
        auto uid = ctl.card(sa_card);
        if (std::string problem = db::staff_name_problem(sa_name); !problem.empty())
            throw CtlError(problem);
        std::string pin = read_pin();
        if (std::string p = pin_problem(pin); !p.empty())
            throw CtlError(fmt::format("the PIN is not usable: {} (6 to 12 digits)", p));
        auto& d = ctl.data();
        std::string hash = card_hash(d.secret(), uid);
        change_audited(
            ctl,
            [&](std::string* why) { return d.local().add_staff(sa_id, sa_name, hash, pin, why); },
            {now(), "staff.add", "kioskctl", "", card_hash_prefix(hash), "ok",
             json{{"staff", sa_id}}.dump()});
        fmt::print("staff {} added\n", sa_id);
    });
    auto* srm = staff->add_subcommand("remove", "remove a staff member");
    static std::string sr_id;
    srm->add_option("--id", sr_id, "staff id")->required();
    srm->callback([&ctl] {
        change_audited(
            ctl, [&](std::string* why) { return ctl.data().local().remove_staff(sr_id, why); },
            {now(), "staff.remove", "kioskctl", "", "", "ok", json{{"staff", sr_id}}.dump()});
        fmt::print("staff {} removed\n", sr_id);
    });
    staff->add_subcommand("list", "list staff members")->callback([&ctl] {
        std::vector<db::StaffMember> list;
        std::string err;
        if (!ctl.data().local().list_staff(&list, &err)) throw CtlError(err);
        for (auto& m : list)
            fmt::print("{}  {}  card {}{}\n", m.id, printable(m.name),
                       card_hash_prefix(m.card_hash),
                       m.locked_until && *m.locked_until > now()
                           ? "  locked until " + format_instant(*m.locked_until)
                           : "");
    });

    // ---- status --------------------------------------------------------------------------
    auto* status = app.add_subcommand("status", "mirror age and sequence, counts, sessions");
    static bool st_json = false;
    static std::string st_at;
    status->add_flag("--json", st_json, "print JSON");
    status->add_option("--at", st_at, "as at this time (default: now)");
    status->callback([&ctl] {
        Instant now = ctl.at(st_at);
        auto& d = ctl.data();
        const Policy& p = ctl.config().policy;
        std::string err;
        std::optional<FeedState> fs;
        if (!d.mirror().feed_state(&fs, &err)) throw CtlError(err);
        std::vector<SessionRecord> active;
        if (!d.local().active_sessions(now, &active, &err)) throw CtlError(err);
        std::int64_t audit_seq = 0;
        std::string audit_head;
        if (!d.audit().head(&audit_seq, &audit_head, &err)) throw CtlError(err);
        json j;
        j["data_dir"] = d.dir();
        j["now"] = format_instant(now);
        json m;
        if (fs) {
            double age =
                std::chrono::duration<double, std::ratio<3600>>(now - fs->generated_at).count();
            m = json{{"sequence", fs->sequence},
                     {"generated_at", format_instant(fs->generated_at)},
                     {"applied_at", format_instant(fs->applied_at)},
                     {"key_id", fs->key_id},
                     {"age_hours", std::round(age * 100) / 100},
                     {"state", age > p.max_age_hours    ? "stale"
                               : age > p.warn_age_hours ? "aging"
                                                        : "fresh"},
                     {"trainees", fs->trainees},
                     {"certificates", fs->certificates}};
        } else {
            m = json{
                {"state", "empty"}, {"sequence", nullptr}, {"trainees", 0}, {"certificates", 0}};
        }
        j["mirror"] = m;
        j["sessions"] = json{{"active", active.size()},
                             {"seats", p.seats},
                             {"free", std::max<int>(0, p.seats - static_cast<int>(active.size()))}};
        j["audit"] = json{{"rows", audit_seq}, {"head", audit_head}};
        // The last sync applied and the last refused, from the audit trail's newest
        // sync.applied / sync.rejected rows (by index).
        std::optional<db::AuditRow> applied, rejected;
        if (!d.audit().latest_of_kind("sync.applied", &applied, &err)) throw CtlError(err);
        if (!d.audit().latest_of_kind("sync.rejected", &rejected, &err)) throw CtlError(err);
        auto detail_of = [](const db::AuditRow& r) {
            json x = json::parse(r.event.detail, nullptr, /*allow_exceptions=*/false);
            return x.is_object() ? x : json::object();
        };
        json last_applied = nullptr, last_rejected = nullptr;
        if (applied) {
            json x = detail_of(*applied);
            last_applied = json{{"at", format_instant(applied->event.at)},
                                {"sequence", x.value("sequence", json(nullptr))},
                                {"source", db::url_for_record(x.value("file", ""))},
                                {"audit_seq", applied->seq}};
        }
        if (rejected) {
            json x = detail_of(*rejected);
            last_rejected = json{{"at", format_instant(rejected->event.at)},
                                 {"reason", x.value("reason", "")},
                                 {"source", db::url_for_record(x.value("file", ""))},
                                 {"dry_run", x.value("dry_run", false)},
                                 {"audit_seq", rejected->seq}};
        }
        j["sync"] = json{{"last_applied", last_applied}, {"last_rejected", last_rejected}};
        // h2 (issue 9 items 5, 11): what makes every decision a KIOSK_FAULT, said to staff here.
        // The clock is checked against the newest audit row only without --at.
        json faults = json::array();
        {
            std::optional<AppliedSnapshot> floor;
            if (!d.audit().highest_applied_snapshot(&floor, &err)) throw CtlError(err);
            if (auto f = mirror_rollback_fault(fs, floor)) faults.push_back(*f);
            std::optional<Instant> newest_row;
            if (st_at.empty() && !d.audit().latest_time(&newest_row, &err)) throw CtlError(err);
            if (auto c = clock_fault(
                    now, fs ? std::optional<Instant>(fs->generated_at) : std::nullopt, newest_row))
                faults.push_back(*c);
        }
        j["faults"] = faults;
        if (st_json) {
            fmt::print("{}\n", j.dump(2));
            return;
        }
        for (const auto& f : faults) fmt::print("FAULT      {}\n", f.get<std::string>());
        fmt::print("data dir   {}\n", d.dir());
        if (fs)
            fmt::print(
                "mirror     sequence {}, generated {} ({} h old, {}), {} trainees, {} "
                "certificates\n",
                fs->sequence, format_instant(fs->generated_at), m["age_hours"].get<double>(),
                m["state"].get<std::string>(), fs->trainees, fs->certificates);
        else
            fmt::print(
                "mirror     empty: no snapshot applied yet (every tap is refused: MIRROR_STALE)\n");
        fmt::print("sessions   {} active of {} seats\n", active.size(), p.seats);
        if (applied)
            fmt::print("last sync  applied {}: sequence {} from {}\n",
                       last_applied["at"].get<std::string>(), last_applied["sequence"].dump(),
                       last_applied["source"].get<std::string>());
        else
            fmt::print("last sync  none applied yet\n");
        if (rejected)
            fmt::print("last fail  {}: {}\n", last_rejected["at"].get<std::string>(),
                       last_rejected["reason"].get<std::string>());
        fmt::print("audit      {} rows, head {}\n", audit_seq, audit_head);
    });
}

}  // namespace kiosk
