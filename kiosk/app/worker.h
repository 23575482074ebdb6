// The kiosk program's worker: carries out the state machine's effects (decisions, session start and
// end, audited notes, the records' status) on a thread of its own, so a slow disk never freezes a
// frame, and hands the answers back as events. All database work of the program happens here.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "kiosk/gatekeeper.h"
#include "kiosk/kiosk_machine.h"
#include "kiosk/staff_desk.h"

namespace kiosk::db {
class DataDir;
}

namespace kiosk::app {

class Worker {
public:
    using Clock = std::function<Now()>;
    using WakeUp = std::function<void()>;

    Worker(db::DataDir& data, Gatekeeper& gatekeeper, int seats, Clock clock, WakeUp wake_up);
    ~Worker();  // finishes the effect in progress, drops the rest, joins

    // Staff mode (issue 11): its effects go to `desk`; DecideCard asks it first whether the card is
    // a staff card. Set before the first submit(); `sync` may be empty ("sync now" is then
    // refused).
    void set_staff_desk(StaffDesk* desk, SyncRunner sync);

    void submit(Effect e);
    // The answers since the last call.
    std::vector<Event> take_events();
    // No effect queued or running and no answer waiting.
    bool idle();

private:
    void run();
    Event carry_out(const Effect& e);

    db::DataDir& data_;
    Gatekeeper& gate_;
    int seats_;
    StaffDesk* staff_ = nullptr;
    SyncRunner sync_;
    Clock clock_;
    WakeUp wake_up_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Effect> todo_;
    std::vector<Event> done_;
    bool running_ = false;  // an effect is being carried out
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace kiosk::app
