// The workspace gate (see workspace_gate.h): a read-only probe of the test database on open.
#include "db/workspace_gate.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace kiosk::db {

namespace {

// Opens the test database read-only and reads its schema: false + *err when it cannot.
bool probe(const std::string& path, std::string* err) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        *err = fmt::format("the workspace's test database {} cannot be opened: {}", path,
                           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return rc == SQLITE_OK;
}

}  // namespace

GateOpened WorkspaceGate::open(const GateSession& s, Instant) {
    GateOpened out;
    if (!probe(path_, &out.error)) {
        out.refusal = GateRefusal::Unavailable;
        return out;
    }
    out.ok = true;
    out.ticket.backend = "workspace";
    out.ticket.database = path_;
    out.ticket.valid_until = s.ends_at;
    return out;
}

bool WorkspaceGate::extend(const GateSession&, Instant new_ends_at, Instant now, std::string* err) {
    if (new_ends_at <= now) {
        *err = "the new end is not after now";
        return false;
    }
    return probe(path_, err);
}

bool WorkspaceGate::close(const GateSession&, EndCause, Instant, std::string*) {
    return true;  // the screen closes the workspace and clears it (sql_workspace)
}

bool WorkspaceGate::recover(Instant, std::span<const GateSession>, std::vector<GateClosure>*,
                            std::vector<std::int64_t>*, std::string*) {
    return true;  // nothing of a workspace outlives the process
}

}  // namespace kiosk::db
