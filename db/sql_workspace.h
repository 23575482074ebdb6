// The built-in workspace's guarded query engine (product.md section 7, issue 10): runs one
// trainee query at a time on the synthetic test database, reading only, off the caller's thread,
// within a time limit, a row cap and a memory bound, and audits every query. Shared by the kiosk's
// workspace screen and `kioskctl testdb query`.
//
// Reading only is enforced by layers that each hold alone (tests/unit/db_sql_workspace_test.cpp
// proves every one with the others switched off):
//   1. the file is opened read-only and immutable (URI mode=ro&immutable=1, SQLITE_OPEN_READONLY);
//   2. an authorizer allows SELECT, READ, RECURSIVE, known functions and the schema-describing
//      PRAGMAs, and denies everything else (ATTACH - so VACUUM INTO -, temp objects, writes,
//      transactions, setting PRAGMAs, ...);
//   3. exactly one statement: anything but blanks, comments and ';' after it is refused;
//   4. sqlite3_stmt_readonly() must say the statement reads only;
//   5. PRAGMA query_only=1.
// Hardening beside them: SQLITE_DBCONFIG_DEFENSIVE, extension loading off, untrusted schema,
// lowered sqlite3_limit()s (1 MB values, 100 KB SQL, no attached databases, ...), temp data in
// memory under a process-wide hard heap limit while a workspace is open, a time limit per query
// (progress handler with a deadline) and cancel() (sqlite3_interrupt from any thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiosk/ports.h"
#include "kiosk/query_workspace.h"

namespace kiosk::db {

// The guard layers. All on in every program; tests switch single layers off to show that each
// of the others still holds alone. Not reachable from configuration.
struct WorkspaceGuards {
    bool read_only_open = true;  // mode=ro&immutable=1 (off: the file is opened read-write)
    bool authorizer = true;
    bool single_statement = true;
    bool statement_readonly = true;
    bool query_only = true;
    bool hardening = true;  // defensive mode, sqlite3_limit()s, heap limit, temp in memory
    static WorkspaceGuards only_read_only_open() {
        return {true, false, false, false, false, false};
    }
    static WorkspaceGuards only_authorizer() { return {false, true, false, false, false, false}; }
    static WorkspaceGuards only_single_statement() {
        return {false, false, true, false, false, false};
    }
    static WorkspaceGuards only_statement_readonly() {
        return {false, false, false, true, false, false};
    }
    static WorkspaceGuards only_query_only() { return {false, false, false, false, true, false}; }
};

// Who is querying, for the audit row of each query. No trail: queries are not audited (kioskctl
// without a data directory; README).
struct WorkspaceAudit {
    AuditTrail* trail = nullptr;
    std::string actor = "workspace";  // "kioskctl", "workspace", ...
    std::string trainee_no;           // may be empty
};

// Values of the hardening layer (README, "Workspace"): per value/SQL text/expression limits and the
// SQLite heap bound that also caps sorting and temp b-trees (temp_store=MEMORY).
inline constexpr std::int64_t kWorkspaceHeapLimitBytes = 256ll << 20;
inline constexpr int kWorkspaceMaxValueBytes = 1'000'000;
inline constexpr int kWorkspaceMaxSqlBytes = 100'000;

class SqlWorkspace final : public QueryWorkspace {
public:
    // Opens the test database at `path`. nullptr + *err naming the file and the problem when it is
    // missing, not a database or cannot be opened; nothing is written anywhere.
    static std::unique_ptr<SqlWorkspace> open(const std::string& path, const QueryLimits& limits,
                                              WorkspaceAudit audit, std::string* err,
                                              const WorkspaceGuards& guards = {});
    // Stops a running query, waits for the worker, closes the database.
    ~SqlWorkspace() override;
    SqlWorkspace(const SqlWorkspace&) = delete;
    SqlWorkspace& operator=(const SqlWorkspace&) = delete;

    bool submit(const std::string& sql, std::string* err) override;
    QueryStatus poll() override;
    std::vector<QueryRow> page(std::int64_t first, std::int64_t count) override;
    void cancel() override;
    const QueryLimits& limits() const override;

    // Runs `sql` to its end on the worker and returns the final (audited) status: kioskctl's path.
    QueryStatus run(const std::string& sql);
    // Blocks until the current query has ended (or `timeout` passed); true when it has.
    bool wait(std::chrono::milliseconds timeout);
    const std::string& path() const;

    struct Impl;

private:
    explicit SqlWorkspace(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kiosk::db
