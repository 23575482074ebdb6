// The kiosk program's "sync now" (issue 11, staff panel): the one sync `kioskctl sync` runs
// (db/source_sync.h: the configured source, the pinned key, all or nothing, audited), started by a
// staff member and run on a thread of its own under the idle scheduling policy (SCHED_IDLE,
// kiosk/background_thread.h) with its own connections to the data directory, so frames and
// decisions go on meanwhile. Its progress (phase, rows read) and its end (sequence applied, or
// the clear reason) go to `on_update` as they happen. A sync running in another process
// (kioskctl's nightly one) is met by the mirror's write lock and the import's checks: this one
// then fails with their message.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "kiosk/config.h"
#include "kiosk/kiosk_machine.h"
#include "kiosk/staff_desk.h"

namespace kiosk::app {

class SourceRecordsSync final : public RecordsSync {
public:
    using OnUpdate = std::function<void(const SyncStatus&)>;

    SourceRecordsSync(Config config, std::string data_dir, OnUpdate on_update);
    ~SourceRecordsSync() override;  // waits for a running sync to end (it is all or nothing)

    bool start(const StaffSignIn& who, Instant now, std::string* refusal) override;
    SyncStatus status() const override;

private:
    void run(StaffSignIn who, Instant now);
    void update(const std::function<void(SyncStatus&)>& change, bool tell = true);

    const Config config_;
    const std::string data_dir_;
    OnUpdate on_update_;
    mutable std::mutex mu_;
    SyncStatus status_;
    std::thread thread_;
};

}  // namespace kiosk::app
