// The workspace gate (see workspace_gate.h): a read-only probe of the test database on open.
#include "db/workspace_gate.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace kiosk::db {

GateOpened WorkspaceGate::open(const GateSession& s, Instant) {
    GateOpened out;
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        out.refusal = GateRefusal::Unavailable;
        out.error = fmt::format("the workspace's test database {} cannot be opened: {}", path_,
                                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return out;
    }
    sqlite3_close(db);
    out.ok = true;
    out.ticket.backend = "workspace";
    out.ticket.database = path_;
    out.ticket.valid_until = s.ends_at;
    return out;
}

bool WorkspaceGate::close(const GateSession&, EndCause, Instant, std::string*) {
    return true;  // the screen closes the workspace and clears it (sql_workspace)
}

bool WorkspaceGate::recover(Instant, std::span<const GateSession>, std::vector<GateClosure>*,
                            std::vector<std::int64_t>*, std::string*) {
    return true;  // nothing of a workspace outlives the process
}

}  // namespace kiosk::db
