// The core's view of the built-in SQL workspace (product.md section 7): submit one query, watch
// it run off the caller's thread, page through its rows, cancel it. db/sql_workspace.h implements
// it over SQLite with the read-only guards; the screen and the state machine see only this.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kiosk {

// Per-query limits. The defaults are for practising analysts on the bundled test database (a few
// MB): generous enough for a real cohort query or a 100,000-row extract to finish, tight enough
// that a runaway cross join or recursive CTE is stopped with a message (README, "Workspace").
struct QueryLimits {
    std::chrono::milliseconds time_limit{10'000};
    std::int64_t max_rows = 100'000;             // rows kept; more is cut and said so
    std::int64_t max_result_bytes = 64ll << 20;  // bytes kept (cell text), same
    static constexpr std::int64_t kMaxRowsCeiling = 1'000'000;
    static constexpr std::chrono::milliseconds kTimeLimitCeiling{600'000};
};

// How a query ended (Running while it runs).
enum class QueryOutcome {
    Running,
    Done,       // every row read
    Cut,        // stopped at the row cap or the result byte cap; the rows kept are valid
    Refused,    // not a single reading statement: never ran
    Failed,     // SQLite reported an error (syntax, out of memory, value too big, ...)
    TimedOut,   // stopped at the time limit
    Cancelled,  // stopped by cancel()
};

// "running", "done", "cut", "refused", "failed", "timed_out", "cancelled"
constexpr const char* query_outcome_name(QueryOutcome o) {
    switch (o) {
        case QueryOutcome::Running:
            return "running";
        case QueryOutcome::Done:
            return "done";
        case QueryOutcome::Cut:
            return "cut";
        case QueryOutcome::Refused:
            return "refused";
        case QueryOutcome::Failed:
            return "failed";
        case QueryOutcome::TimedOut:
            return "timed_out";
        case QueryOutcome::Cancelled:
            return "cancelled";
    }
    return "unknown";
}

struct QueryCell {
    enum class Type : std::uint8_t { Null, Integer, Real, Text, Blob };
    Type type = Type::Null;
    std::string text;  // the value as text; a blob as X'hex' (long blobs shortened, see size)
    std::int64_t blob_bytes = 0;
};
using QueryRow = std::vector<QueryCell>;

// A snapshot of the current (or last) query.
struct QueryStatus {
    std::uint64_t id = 0;  // 0: no query submitted yet
    QueryOutcome outcome = QueryOutcome::Done;
    std::string sql;
    std::vector<std::string> columns;
    std::int64_t rows = 0;  // rows available to page() so far
    std::chrono::microseconds elapsed{0};
    std::chrono::microseconds first_row{-1};  // when the first row arrived (-1: none yet)
    std::string message;  // Refused/Failed/TimedOut/Cancelled: why; Cut: what was cut
    bool running() const { return outcome == QueryOutcome::Running; }
};

class QueryWorkspace {
public:
    virtual ~QueryWorkspace() = default;
    // Starts `sql` on the workspace's worker thread and returns at once. false + *err when a
    // query is still running or the workspace is closed (nothing is started then).
    virtual bool submit(const std::string& sql, std::string* err) = 0;
    // The current query's state. Call from the owner's thread: when the query has just ended this
    // appends its audit row; if that fails the rows are withdrawn and the query reads Failed.
    virtual QueryStatus poll() = 0;
    // Up to `count` rows from row `first` (0-based) of the current query, also while it runs.
    virtual std::vector<QueryRow> page(std::int64_t first, std::int64_t count) = 0;
    // Stops the running query (no-op when none runs); poll() then reports Cancelled.
    virtual void cancel() = 0;
    virtual const QueryLimits& limits() const = 0;
};

}  // namespace kiosk
