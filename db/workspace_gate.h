// The built-in workspace's gate (`[sessions] backend = "workspace"`, the default): the kiosk itself
// is the terminal. Opening checks that the bundled test database can be opened read-only and
// tells the screen to offer "Start"; the guarded query engine (db/sql_workspace.*) runs the
// queries while the session lasts, and the screen closes it at the end. Nothing outlives the
// kiosk process, so a restart ends every workspace session.
#pragma once

#include <string>

#include "kiosk/session_gate.h"

namespace kiosk::db {

class WorkspaceGate final : public SessionGate {
public:
    explicit WorkspaceGate(std::string testdb_path) : path_(std::move(testdb_path)) {}

    std::string_view backend() const override { return "workspace"; }
    bool survives_restart() const override { return false; }
    // Refuses (Unavailable) when the test database is missing or not an SQLite database.
    GateOpened open(const GateSession& s, Instant now) override;
    // The workspace keeps no deadline of its own (the screen closes it at the session's end):
    // an extension checks that the test database still opens, and the screen's session goes on.
    bool extend(const GateSession& s, Instant new_ends_at, Instant now, std::string* err) override;
    bool close(const GateSession& s, EndCause cause, Instant now, std::string* err) override;
    bool recover(Instant now, std::span<const GateSession> open_here,
                 std::vector<GateClosure>* closed, std::vector<std::int64_t>* lost,
                 std::string* err) override;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace kiosk::db
