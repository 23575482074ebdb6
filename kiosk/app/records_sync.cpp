// "Sync now" on a thread of its own (see records_sync.h).
#include "kiosk/app/records_sync.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "db/data_dir.h"
#include "db/source_sync.h"
#include "kiosk/background_thread.h"

namespace kiosk::app {

SourceRecordsSync::SourceRecordsSync(Config config, std::string data_dir, OnUpdate on_update)
    : config_(std::move(config)),
      data_dir_(std::move(data_dir)),
      on_update_(std::move(on_update)) {}

SourceRecordsSync::~SourceRecordsSync() {
    if (thread_.joinable()) thread_.join();
}

SyncStatus SourceRecordsSync::status() const {
    std::lock_guard lock(mu_);
    return status_;
}

void SourceRecordsSync::update(const std::function<void(SyncStatus&)>& change, bool tell) {
    SyncStatus copy;
    {
        std::lock_guard lock(mu_);
        change(status_);
        ++status_.version;
        copy = status_;
    }
    if (tell && on_update_) on_update_(copy);
}

bool SourceRecordsSync::start(const StaffSignIn& who, Instant now, std::string* refusal) {
    std::lock_guard lock(mu_);
    if (status_.running()) {
        *refusal = fmt::format(
            "A sync is already running on this kiosk (started by {} at {}): wait for its report",
            status_.staff_id, format_instant(status_.started_at));
        return false;
    }
    if (config_.sync.source.empty()) {
        *refusal =
            "No sync source is configured: set [sync] source (and public_key) in the kiosk's "
            "configuration";
        return false;
    }
    if (thread_.joinable()) thread_.join();  // the last one has ended
    SyncStatus s;
    s.state = SyncStatus::State::Running;
    s.run = status_.run + 1;
    s.version = status_.version + 1;
    s.staff_id = who.staff_id;
    s.started_at = now;
    s.phase = "starting";
    status_ = s;
    thread_ = std::thread([this, who, now] { run(who, now); });
    return true;
}

void SourceRecordsSync::run(StaffSignIn who, Instant now) {
    // The frames and the decisions come first on the kiosk's few cores: the idle scheduling
    // policy, as the systemd unit runs kioskctl's sync (the parser's worker inherits it).
    run_as_background_thread();
    using Clock = std::chrono::steady_clock;
    auto last_told = Clock::now() - std::chrono::seconds(1);
    db::SourceSyncOptions o;
    o.now = now;
    o.now_is_clock = true;
    o.actor = who.actor();
    o.progress = [&](std::string_view phase, std::int64_t rows) {
        // Each new phase, and rows at most ten times a second: a frame each, no more.
        bool tell = false;
        update(
            [&](SyncStatus& s) {
                tell =
                    s.phase != phase || Clock::now() - last_told >= std::chrono::milliseconds(100);
                s.phase = std::string(phase);
                s.rows = rows;
            },
            false);
        if (tell) {
            last_told = Clock::now();
            if (on_update_) on_update_(status());
        }
    };
    db::SourceSyncResult res;
    std::string err;
    bool ok = false;
    {
        // Its own connections: the worker's are never shared across threads.
        auto data = db::DataDir::open(data_dir_, &err);
        if (data) ok = db::sync_from_source(config_, *data, o, &res, &err);
    }
    const db::SyncReport& r = res.report;
    if (ok)
        spdlog::info("sync now by {}: sequence {} -> {} applied", who.staff_id, r.sequence_from,
                     r.sequence_to);
    else
        spdlog::warn("sync now by {} failed: {}", who.staff_id, err);
    update([&](SyncStatus& s) {
        s.state = ok ? SyncStatus::State::Applied : SyncStatus::State::Failed;
        s.phase.clear();
        s.rows = r.rows_read;
        s.sequence_from = r.sequence_from;
        s.sequence_to = r.sequence_to;
        s.error = ok ? "" : err;
        s.trainees_added = r.diff.trainees_added;
        s.trainees_changed = r.diff.trainees_changed;
        s.trainees_removed = r.diff.trainees_removed;
    });
}

}  // namespace kiosk::app
