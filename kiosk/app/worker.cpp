// The kiosk program's worker thread (see worker.h). Each effect becomes one answer event; effects
// without an answer of their own (audited notes) answer with a RecordsStatus-free no-op Tick.
#include "kiosk/app/worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "db/data_dir.h"
#include "db/mirror_store.h"
#include "kiosk/session_gate.h"
#include "kiosk/staff_machine.h"

namespace kiosk::app {

Worker::Worker(db::DataDir& data, Gatekeeper& gatekeeper, SessionDesk& sessions, int seats,
               Clock clock, WakeUp wake_up)
    : data_(data),
      gate_(gatekeeper),
      sessions_(sessions),
      seats_(seats),
      clock_(std::move(clock)),
      wake_up_(std::move(wake_up)),
      thread_([this] { run(); }) {}

Worker::~Worker() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
        todo_.clear();
    }
    cv_.notify_all();
    thread_.join();
}

void Worker::set_staff_desk(StaffDesk* desk, RecordsSync* sync) {
    std::lock_guard lock(mu_);
    staff_ = desk;
    sync_ = sync;
}

void Worker::submit(Effect e) {
    {
        std::lock_guard lock(mu_);
        todo_.push_back(std::move(e));
    }
    cv_.notify_all();
}

void Worker::sweep_sessions(bool restart, std::int64_t on_screen) {
    {
        std::lock_guard lock(mu_);
        todo_.push_back(Sweep{restart, on_screen});
    }
    cv_.notify_all();
}

std::vector<Event> Worker::take_events() {
    std::lock_guard lock(mu_);
    return std::exchange(done_, {});
}

bool Worker::idle() {
    std::lock_guard lock(mu_);
    return todo_.empty() && !running_ && done_.empty();
}

void Worker::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        Job job = std::move(todo_.front());
        todo_.pop_front();
        running_ = true;
        lock.unlock();
        std::vector<Event> answers;
        if (auto* e = std::get_if<Effect>(&job))
            answers.push_back(carry_out(*e));
        else
            answers = sweep(std::get<Sweep>(job));
        lock.lock();
        running_ = false;
        for (Event& a : answers) done_.push_back(std::move(a));
        lock.unlock();
        // Woken even without an answer (a sweep that closed nothing): the main loop may be
        // waiting for the worker to be idle (a script step, a screenshot) until its next deadline.
        if (wake_up_) wake_up_();
        lock.lock();
    }
}

Event Worker::carry_out(const Effect& effect) {
    const Instant at = clock_().wall;
    std::string err;
    if (auto* e = std::get_if<DecideCard>(&effect)) {
        // A staff card is never decided as a trainee card: it opens staff mode.
        if (staff_)
            if (auto r = staff_card_reply(*staff_, *e)) return *r;
        return Decided{e->request, gate_.decide_card(e->uid, at, e->reader)};
    }
    if (auto* e = std::get_if<StaffEffect>(&effect)) {
        if (staff_) return run_staff_effect(*staff_, *e, at, sync_);
        StaffReply r;
        r.request = e->request;
        r.kind = e->kind;
        r.outcome = {StaffIssue::Fault, "Staff mode is not available", {}};
        r.sign_in.outcome = r.outcome;
        return r;
    }
    if (auto* e = std::get_if<StartSession>(&effect)) {
        // A fresh decision, then the test database's gate, then the session record (SessionDesk).
        Gatekeeper::StartRequest req;
        req.card = e->uid;
        req.minutes = e->minutes;
        SessionStart started = sessions_.start(std::move(req), at, "kiosk");
        SessionStarted answer{e->request, std::move(started.tap), std::nullopt, ""};
        if (started.ticket) answer.credentials = credentials_of(*started.ticket);
        if (started.unavailable) {
            spdlog::error("the test database is unavailable: {}", started.gate_error);
            answer.error = std::string(kGateUnavailableMessage);
        }
        return answer;
    }
    if (auto* e = std::get_if<EndSession>(&effect)) {
        // The machine ends a session when the trainee asks ("ended") or at its time
        // ("expired"); a sweep or staff may have closed it first: then there is nothing to do.
        const EndCause cause =
            e->reason == "expired"
                ? EndCause::Expired
                : end_cause_from_name(e->reason).value_or(EndCause::EndedByTrainee);
        std::vector<SessionRecord> open;
        if (!data_.local().active_sessions(Instant{}, &open, &err)) {
            spdlog::error("session {} could not be ended: {}", e->session_id, err);
            return SessionEndDone{e->session_id, false, err};
        }
        if (std::none_of(open.begin(), open.end(),
                         [&](const SessionRecord& s) { return s.id == e->session_id; }))
            return SessionEndDone{e->session_id, true, ""};
        bool ok = sessions_.end(e->session_id, cause, at, "kiosk", &err);
        if (!ok) spdlog::error("session {} could not be ended: {}", e->session_id, err);
        return SessionEndDone{e->session_id, ok, err};
    }
    if (auto* e = std::get_if<ExtendSession>(&effect)) {
        // A fresh decision, then the gate's end and the record's end moved, audited (SessionDesk).
        SessionExtension x = sessions_.extend(e->session_id, e->uid, e->minutes, at, "kiosk");
        if (!x.extended && !x.error.empty())
            spdlog::warn("session {} was not extended: {}", e->session_id,
                         x.unavailable ? x.tap.fault : x.error);
        return Extended{e->request,
                        x.extended,
                        x.new_ends_at,
                        std::move(x.tap.decision),
                        x.extended ? "" : std::move(x.error),
                        x.extended ? ExtendProblem::None : x.problem};
    }
    if (auto* e = std::get_if<RecordInUse>(&effect)) {
        AuditEvent a;
        a.at = at;
        a.kind = "tap.in_use";
        a.actor = e->reader;
        a.card_prefix = card_hash_prefix(card_hash(gate_.secret(), e->uid));
        a.outcome = "refused";
        a.detail = nlohmann::json{{"session", e->session_id}}.dump();
        AuditReceipt r;
        if (!data_.audit().append(a, &r, &err))
            spdlog::error("the in-use tap could not be audited: {}", err);
        return Tick{};
    }
    if (auto* e = std::get_if<CallStaff>(&effect)) {
        AuditEvent a;
        a.at = at;
        a.kind = "staff.called";
        a.actor = "kiosk";
        a.trainee_no = e->trainee_no;
        a.outcome = "ok";
        a.detail = nlohmann::json{{"codes", e->codes}}.dump();
        AuditReceipt r;
        if (!data_.audit().append(a, &r, &err))
            spdlog::error("the staff call could not be audited: {}", err);
        return Tick{};
    }
    // RefreshRecords: the mirror's age and the free seats for the status strip.
    return records_status(at);
}

std::vector<Event> Worker::sweep(const Sweep& sw) {
    const Instant at = clock_().wall;
    SweepReport report;
    std::string err;
    bool ok = sw.restart ? sessions_.recover(at, "kiosk", &report, &err)
                         : sessions_.expire_due(at, "kiosk", &report, &err);
    for (const std::string& line : report.lines) spdlog::info("sessions: {}", line);
    if (!ok)
        spdlog::error("sessions: {} failed: {}", sw.restart ? "recovery at start-up" : "expiry",
                      err);
    std::vector<Event> out;
    if (sw.on_screen != 0) {
        // The session on screen: closed by this sweep, or by anyone since the last one? The open
        // sessions are few; the whole list (for the end reason) is read only once it has closed.
        std::vector<SessionRecord> open, all;
        bool still_open = true;
        if (data_.local().active_sessions(Instant{}, &open, &err))
            still_open = std::any_of(open.begin(), open.end(),
                                     [&](const SessionRecord& s) { return s.id == sw.on_screen; });
        else
            spdlog::error("sessions: {}", err);
        if (!still_open && data_.local().list_sessions(false, at, &all, &err)) {
            for (const SessionRecord& s : all)
                if (s.id == sw.on_screen && s.ended_at) {
                    spdlog::info("sessions: session #{} on screen was closed ({})", s.id,
                                 s.end_reason);
                    out.push_back(SessionClosed{s.id, s.end_reason});
                }
        } else if (!still_open) {
            spdlog::error("sessions: {}", err);
        }
    }
    if (report.closed > 0 || !out.empty()) out.push_back(records_status(at));  // seats freed
    return out;
}

RecordsStatus Worker::records_status(Instant at) {
    std::string err;
    RecordsStatus s;
    s.seats = seats_;
    std::optional<FeedState> feed;
    if (data_.mirror().feed_state(&feed, &err)) {
        if (feed) s.generated_at = feed->generated_at;
    } else {
        spdlog::error("records status: {}", err);
    }
    std::vector<SessionRecord> active;
    if (data_.local().active_sessions(at, &active, &err))
        s.free_seats = std::max(0, seats_ - static_cast<int>(active.size()));
    else
        spdlog::error("records status: {}", err);
    return s;
}

}  // namespace kiosk::app
