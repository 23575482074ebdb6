// The kiosk program's worker: carries out the state machine's effects (decisions, session start and
// end through the one SessionDesk and its test-database gate, audited notes, the records' status)
// on a thread of its own, so a slow disk or a slow database server never freezes a frame, and
// hands the answers back as events. All database work of the program happens here, and so do the
// session sweeps: recover() at start-up and expire_due() every few seconds.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "kiosk/gatekeeper.h"
#include "kiosk/kiosk_machine.h"
#include "kiosk/session_desk.h"
#include "kiosk/staff_desk.h"

namespace kiosk::db {
class DataDir;
}

namespace kiosk::app {

class Worker {
public:
    using Clock = std::function<Now()>;
    using WakeUp = std::function<void()>;

    // Sessions start and end through `sessions` (its gate is the one `[sessions] backend` names).
    Worker(db::DataDir& data, Gatekeeper& gatekeeper, SessionDesk& sessions, int seats, Clock clock,
           WakeUp wake_up);
    ~Worker();  // finishes the effect in progress, drops the rest, joins

    // Staff mode (issue 11): its effects go to `desk`; DecideCard asks it first whether the card is
    // a staff card. Set before the first submit(); `sync` starts "sync now" (nullptr: refused).
    void set_staff_desk(StaffDesk* desk, RecordsSync* sync);

    void submit(Effect e);
    // Queues a session sweep: restart=true is SessionDesk::recover (once, first thing at
    // start-up: closes what a crash or a restart left open, cause "restart", and what outlived
    // its time), false is SessionDesk::expire_due (periodic: sessions end at their time even with
    // nobody at the kiosk). Audited by the desk; answered with the records' status when it closed
    // something.
    // `on_screen` (0: none) is the session the kiosk's screen shows: when the sweep, or anyone
    // else (staff at another terminal), has closed it, the answer is a SessionClosed for it.
    void sweep_sessions(bool restart, std::int64_t on_screen = 0);
    // The answers since the last call.
    std::vector<Event> take_events();
    // No effect queued or running and no answer waiting.
    bool idle();

private:
    struct Sweep {
        bool restart = false;
        std::int64_t on_screen = 0;
    };
    using Job = std::variant<Effect, Sweep>;

    void run();
    Event carry_out(const Effect& e);
    std::vector<Event> sweep(const Sweep& s);
    RecordsStatus records_status(Instant at);

    db::DataDir& data_;
    Gatekeeper& gate_;
    SessionDesk& sessions_;
    int seats_;
    StaffDesk* staff_ = nullptr;
    RecordsSync* sync_ = nullptr;
    Clock clock_;
    WakeUp wake_up_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> todo_;
    std::vector<Event> done_;
    bool running_ = false;  // an effect is being carried out
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace kiosk::app
