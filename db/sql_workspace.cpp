// The workspace's guarded query engine over SQLite (see sql_workspace.h): opening with the guard
// layers, the authorizer, the one-statement and read-only checks, the worker thread that runs a
// query within its limits while the owner pages its rows, and the audit row of each query.
#include "db/sql_workspace.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "kiosk/time.h"

namespace kiosk::db {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPublishEvery{10};  // rows reach page() at least this often

// Functions a query may call: SQLite's core, date, math, aggregate, window and JSON functions.
// Not: load_extension, fts3_tokenizer, the FTS/R-Tree helpers, sqlite_log and the connection
// counters (nothing to practise there).
const std::unordered_set<std::string>& allowed_functions() {
    static const std::unordered_set<std::string> names = {"->",
                                                          "->>",
                                                          "abs",
                                                          "acos",
                                                          "acosh",
                                                          "asin",
                                                          "asinh",
                                                          "atan",
                                                          "atan2",
                                                          "atanh",
                                                          "avg",
                                                          "ceil",
                                                          "ceiling",
                                                          "char",
                                                          "coalesce",
                                                          "cos",
                                                          "cosh",
                                                          "count",
                                                          "cume_dist",
                                                          "current_date",
                                                          "current_time",
                                                          "current_timestamp",
                                                          "date",
                                                          "datetime",
                                                          "degrees",
                                                          "dense_rank",
                                                          "exp",
                                                          "first_value",
                                                          "floor",
                                                          "format",
                                                          "glob",
                                                          "group_concat",
                                                          "hex",
                                                          "ifnull",
                                                          "iif",
                                                          "instr",
                                                          "json",
                                                          "json_array",
                                                          "json_array_length",
                                                          "json_extract",
                                                          "json_group_array",
                                                          "json_group_object",
                                                          "json_insert",
                                                          "json_object",
                                                          "json_patch",
                                                          "json_quote",
                                                          "json_remove",
                                                          "json_replace",
                                                          "json_set",
                                                          "json_type",
                                                          "json_valid",
                                                          "json_each",
                                                          "json_tree",
                                                          "julianday",
                                                          "lag",
                                                          "last_value",
                                                          "lead",
                                                          "length",
                                                          "like",
                                                          "likelihood",
                                                          "likely",
                                                          "ln",
                                                          "log",
                                                          "log10",
                                                          "log2",
                                                          "lower",
                                                          "ltrim",
                                                          "max",
                                                          "min",
                                                          "mod",
                                                          "nth_value",
                                                          "ntile",
                                                          "nullif",
                                                          "percent_rank",
                                                          "pi",
                                                          "pow",
                                                          "power",
                                                          "printf",
                                                          "quote",
                                                          "radians",
                                                          "random",
                                                          "randomblob",
                                                          "rank",
                                                          "replace",
                                                          "round",
                                                          "row_number",
                                                          "rtrim",
                                                          "sign",
                                                          "sin",
                                                          "sinh",
                                                          "soundex",
                                                          "sqlite_version",
                                                          "sqrt",
                                                          "strftime",
                                                          "substr",
                                                          "substring",
                                                          "sum",
                                                          "tan",
                                                          "tanh",
                                                          "time",
                                                          "total",
                                                          "trim",
                                                          "trunc",
                                                          "typeof",
                                                          "unicode",
                                                          "unixepoch",
                                                          "unlikely",
                                                          "upper",
                                                          "zeroblob"};
    return names;
}

// PRAGMAs that describe the schema (any argument: a table or index name) ...
const std::unordered_set<std::string>& describing_pragmas() {
    static const std::unordered_set<std::string> names = {
        "table_info",    "table_xinfo", "table_list",       "index_list",
        "index_info",    "index_xinfo", "foreign_key_list", "collation_list",
        "function_list", "pragma_list", "database_list"};
    return names;
}
// ... and PRAGMAs that only report a value when given none.
const std::unordered_set<std::string>& reporting_pragmas() {
    static const std::unordered_set<std::string> names = {
        "user_version", "schema_version", "application_id", "encoding",       "page_count",
        "page_size",    "freelist_count", "data_version",   "compile_options"};
    return names;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// What an authorizer action code does, for the refusal message.
std::string action_text(int code, const char* a1, const char* a2) {
    auto s = [](const char* p) { return std::string(p ? p : ""); };
    // Writing a schema table is how SQLite asks about creating something (the first question it
    // asks, and the only one answered once it is denied).
    if ((code == SQLITE_INSERT || code == SQLITE_UPDATE || code == SQLITE_DELETE) && a1) {
        const std::string_view table(a1);
        if (table.starts_with("sqlite_temp_"))
            return "CREATE TEMP or DROP of a temporary object (" + s(a1) + ")";
        if (table.starts_with("sqlite_"))
            return "CREATE, DROP or ALTER (changing the schema, " + s(a1) + ")";
    }
    switch (code) {
        case SQLITE_ATTACH:
            return "ATTACH (including VACUUM INTO, which attaches its target)";
        case SQLITE_DETACH:
            return "DETACH";
        case SQLITE_INSERT:
            return "INSERT into " + s(a1);
        case SQLITE_UPDATE:
            return "UPDATE of " + s(a1);
        case SQLITE_DELETE:
            return "DELETE from " + s(a1);
        case SQLITE_CREATE_TABLE:
        case SQLITE_CREATE_INDEX:
        case SQLITE_CREATE_TRIGGER:
        case SQLITE_CREATE_VIEW:
        case SQLITE_CREATE_VTABLE:
            return "CREATE " + s(a1);
        case SQLITE_CREATE_TEMP_TABLE:
        case SQLITE_CREATE_TEMP_INDEX:
        case SQLITE_CREATE_TEMP_TRIGGER:
        case SQLITE_CREATE_TEMP_VIEW:
            return "CREATE TEMP " + s(a1) + " (temporary objects)";
        case SQLITE_DROP_TABLE:
        case SQLITE_DROP_INDEX:
        case SQLITE_DROP_TRIGGER:
        case SQLITE_DROP_VIEW:
        case SQLITE_DROP_VTABLE:
        case SQLITE_DROP_TEMP_TABLE:
        case SQLITE_DROP_TEMP_INDEX:
        case SQLITE_DROP_TEMP_TRIGGER:
        case SQLITE_DROP_TEMP_VIEW:
            return "DROP " + s(a1);
        case SQLITE_ALTER_TABLE:
            return "ALTER TABLE " + s(a2);
        case SQLITE_TRANSACTION:
            return s(a1) + " (transactions)";
        case SQLITE_SAVEPOINT:
            return "SAVEPOINT " + s(a2);
        case SQLITE_PRAGMA:
            return "PRAGMA " + s(a1) + (a2 ? " = " + s(a2) : std::string()) +
                   " (only PRAGMAs that describe the schema or report a value)";
        case SQLITE_FUNCTION:
            return "the function " + s(a2) + "()";
        case SQLITE_ANALYZE:
            return "ANALYZE";
        case SQLITE_REINDEX:
            return "REINDEX";
        default:
            return "this statement (authorizer action " + std::to_string(code) + ")";
    }
}

// True when `tail` holds only blanks, ';' and comments.
bool only_blanks(std::string_view tail) {
    size_t i = 0;
    while (i < tail.size()) {
        const char c = tail[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ';') {
            ++i;
        } else if (tail.compare(i, 2, "--") == 0) {
            const size_t nl = tail.find('\n', i);
            i = nl == std::string_view::npos ? tail.size() : nl + 1;
        } else if (tail.compare(i, 2, "/*") == 0) {
            const size_t end = tail.find("*/", i + 2);
            i = end == std::string_view::npos ? tail.size() : end + 2;
        } else {
            return false;
        }
    }
    return true;
}

std::string percent_encode_path(const std::string& path) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The process-wide SQLite heap bound, held while any workspace is open and restored after.
std::mutex g_heap_mu;
int g_heap_users = 0;
sqlite3_int64 g_heap_previous = 0;

void acquire_heap_limit() {
    std::lock_guard lk(g_heap_mu);
    if (g_heap_users++ == 0) {
        g_heap_previous = sqlite3_hard_heap_limit64(-1);
        if (g_heap_previous == 0 || g_heap_previous > kWorkspaceHeapLimitBytes)
            sqlite3_hard_heap_limit64(kWorkspaceHeapLimitBytes);
    }
}
void release_heap_limit() {
    std::lock_guard lk(g_heap_mu);
    if (--g_heap_users == 0) sqlite3_hard_heap_limit64(g_heap_previous);
}

std::chrono::microseconds micros(Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d);
}

}  // namespace

struct SqlWorkspace::Impl {
    std::string path;
    QueryLimits limits;
    WorkspaceAudit audit;
    WorkspaceGuards guards;
    sqlite3* db = nullptr;
    bool heap_limit_held = false;

    std::mutex mu;               // guards everything below except the worker-only fields
    std::condition_variable cv;  // notified when a query ends
    std::thread worker;
    std::uint64_t next_id = 1;
    QueryStatus status;  // status.outcome == Running while the worker runs
    Clock::time_point started{};
    std::deque<QueryRow> rows;
    bool audited = true;
    bool closing = false;

    // Read by the progress handler on the worker thread, set from any thread.
    std::atomic<bool> cancel_requested{false};
    std::atomic<bool> deadline_hit{false};
    Clock::time_point deadline{};  // written before the worker starts
    // Worker-only: what the authorizer refused during the last prepare; rows not yet published.
    std::string denial;
    std::vector<QueryRow> batch;
    Clock::time_point last_publish{};

    ~Impl() {
        if (db) sqlite3_close_v2(db);
        if (heap_limit_held) release_heap_limit();
    }

    static int authorize(void* self, int code, const char* a1, const char* a2, const char*,
                         const char*) {
        auto* impl = static_cast<Impl*>(self);
        switch (code) {
            case SQLITE_SELECT:
            case SQLITE_READ:
            case SQLITE_RECURSIVE:
                return SQLITE_OK;
            case SQLITE_FUNCTION:
                if (a2 && allowed_functions().count(lower(a2))) return SQLITE_OK;
                break;
            case SQLITE_PRAGMA: {
                const std::string name = lower(a1 ? a1 : "");
                if (describing_pragmas().count(name)) return SQLITE_OK;
                if (!a2 && reporting_pragmas().count(name)) return SQLITE_OK;
                break;
            }
            default:
                break;
        }
        if (impl->denial.empty()) impl->denial = action_text(code, a1, a2);
        return SQLITE_DENY;
    }

    static int progress(void* self) {
        auto* impl = static_cast<Impl*>(self);
        if (impl->cancel_requested.load(std::memory_order_relaxed)) return 1;
        const auto t = Clock::now();
        if (t >= impl->deadline) {
            impl->deadline_hit.store(true, std::memory_order_relaxed);
            return 1;
        }
        // Rows found before a long stretch without new ones are shown meanwhile.
        if (!impl->batch.empty() && t - impl->last_publish > kPublishEvery) impl->publish();
        return 0;
    }

    // Worker thread: hands the rows read so far to the owner (page()).
    void publish() {
        std::lock_guard lk(mu);
        if (!batch.empty() && status.first_row.count() < 0)
            status.first_row = micros(Clock::now() - started);
        for (auto& r : batch) rows.push_back(std::move(r));
        status.rows = static_cast<std::int64_t>(rows.size());
        batch.clear();
        last_publish = Clock::now();
    }

    bool setup(std::string* err) {
        auto fail = [&](const std::string& what) {
            if (err) *err = "test database " + path + ": " + what;
            return false;
        };
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return fail(std::strerror(errno));
        if (!S_ISREG(st.st_mode)) return fail("not a regular file");
        const std::string uri = "file:" + percent_encode_path(path) +
                                (guards.read_only_open ? "?mode=ro&immutable=1" : "?mode=rw");
        const int flags = (guards.read_only_open ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                          SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
        int rc = sqlite3_open_v2(uri.c_str(), &db, flags, nullptr);
        if (rc != SQLITE_OK) return fail(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_extended_result_codes(db, 1);
        sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
        if (guards.hardening) {
            sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
            sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
            sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kWorkspaceMaxValueBytes);
            sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, kWorkspaceMaxSqlBytes);
            sqlite3_limit(db, SQLITE_LIMIT_COLUMN, 200);
            sqlite3_limit(db, SQLITE_LIMIT_EXPR_DEPTH, 200);
            sqlite3_limit(db, SQLITE_LIMIT_COMPOUND_SELECT, 100);
            sqlite3_limit(db, SQLITE_LIMIT_VDBE_OP, 100'000);
            sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, 32);
            sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
            sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1'000);
            sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, 32);
            sqlite3_limit(db, SQLITE_LIMIT_TRIGGER_DEPTH, 1);
            sqlite3_limit(db, SQLITE_LIMIT_WORKER_THREADS, 0);
            // Sorts and temp b-trees stay in memory, bounded by the heap limit, never on disk.
            if (sqlite3_exec(db, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384", nullptr,
                             nullptr, nullptr) != SQLITE_OK)
                return fail(sqlite3_errmsg(db));
            acquire_heap_limit();
            heap_limit_held = true;
        }
        if (guards.query_only &&
            sqlite3_exec(db, "PRAGMA query_only=1", nullptr, nullptr, nullptr) != SQLITE_OK)
            return fail(sqlite3_errmsg(db));
        // Reading the schema now turns "not a database" into an open error, not a query error.
        if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) !=
            SQLITE_OK)
            return fail(sqlite3_errmsg(db));
        // Table-valued functions (json_each, pragma_table_info, ...) declare their table the
        // first time they are used, which asks the authorizer about writing sqlite_schema (the
        // statement that would do it is never run). Declaring them all now, before the
        // authorizer is installed, lets it deny every such request later.
        // Preparing a statement that names each is enough (nothing is run).
        std::vector<std::string> tables = {"json_each", "json_tree"};
        for (auto* set : {&describing_pragmas(), &reporting_pragmas()})
            for (auto& name : *set) tables.push_back("pragma_" + name);
        for (auto& table : tables) {
            const std::string sql = "SELECT * FROM " + table;
            sqlite3_stmt* warm = nullptr;
            const int wrc = sqlite3_prepare_v2(db, sql.c_str(), -1, &warm, nullptr);
            sqlite3_finalize(warm);
            if (wrc != SQLITE_OK) return fail(sqlite3_errmsg(db));
        }
        if (guards.authorizer) sqlite3_set_authorizer(db, &Impl::authorize, this);
        sqlite3_progress_handler(db, 1000, &Impl::progress, this);
        return true;
    }

    // The worker: prepares and steps one query, publishing rows in batches.
    void execute(std::string sql) {
        QueryOutcome outcome = QueryOutcome::Done;
        std::string message;
        std::int64_t kept = 0, bytes = 0;
        batch.clear();
        last_publish = Clock::now();

        sqlite3_stmt* stmt = nullptr;
        const char* tail = nullptr;
        denial.clear();
        const int prc =
            sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), 0, &stmt, &tail);
        if (prc != SQLITE_OK) {
            if (cancel_requested.load()) {
                // Cancel came while the statement was being prepared (a loaded machine may not
                // have reached sqlite3_step yet): SQLite answers "interrupted".
                outcome = QueryOutcome::Cancelled;
                message = "cancelled";
            } else if (!denial.empty()) {
                outcome = QueryOutcome::Refused;
                message = std::string(sqlite3_errmsg(db)) + ": " + denial +
                          " is not allowed; the workspace only reads";
            } else {
                outcome = QueryOutcome::Failed;
                message = sqlite3_errmsg(db);
            }
        } else if (!stmt) {
            outcome = QueryOutcome::Refused;
            message = "no SQL statement to run";
        } else if (guards.single_statement &&
                   !only_blanks(std::string_view(tail, sql.data() + sql.size() - tail))) {
            outcome = QueryOutcome::Refused;
            message =
                "exactly one statement per query: there is more SQL after the first statement "
                "(at character " +
                std::to_string(tail - sql.data() + 1) + ")";
        } else if (guards.statement_readonly && !sqlite3_stmt_readonly(stmt)) {
            outcome = QueryOutcome::Refused;
            message = "the statement would change the database; the workspace only reads";
        }
        if (outcome == QueryOutcome::Done) {
            const int ncol = sqlite3_column_count(stmt);
            // SQLite is never called with mu held: the progress handler takes mu inside SQLite.
            std::vector<std::string> columns;
            for (int c = 0; c < ncol; ++c) {
                const char* name = sqlite3_column_name(stmt, c);
                columns.emplace_back(name ? name : "");
            }
            {
                std::lock_guard lk(mu);
                status.columns = std::move(columns);
            }
            for (;;) {
                const int rc = sqlite3_step(stmt);
                if (rc == SQLITE_DONE) break;
                if (rc != SQLITE_ROW) {
                    if (deadline_hit.load()) {
                        outcome = QueryOutcome::TimedOut;
                        message = "stopped at the time limit of " +
                                  std::to_string(limits.time_limit.count()) + " ms";
                    } else if (cancel_requested.load()) {
                        outcome = QueryOutcome::Cancelled;
                        message = "cancelled";
                    } else {
                        outcome = QueryOutcome::Failed;
                        message = sqlite3_errmsg(db);
                    }
                    break;
                }
                if (kept >= limits.max_rows) {
                    outcome = QueryOutcome::Cut;
                    message = "the result was cut at the row cap of " +
                              std::to_string(limits.max_rows) + " rows; more rows match";
                    break;
                }
                QueryRow row(static_cast<size_t>(ncol));
                std::int64_t row_bytes = 0;
                for (int c = 0; c < ncol; ++c) {
                    QueryCell& cell = row[static_cast<size_t>(c)];
                    switch (sqlite3_column_type(stmt, c)) {
                        case SQLITE_NULL:
                            cell.type = QueryCell::Type::Null;
                            break;
                        case SQLITE_INTEGER:
                            cell.type = QueryCell::Type::Integer;
                            break;
                        case SQLITE_FLOAT:
                            cell.type = QueryCell::Type::Real;
                            break;
                        case SQLITE_BLOB:
                            cell.type = QueryCell::Type::Blob;
                            break;
                        default:
                            cell.type = QueryCell::Type::Text;
                    }
                    if (cell.type == QueryCell::Type::Blob) {
                        const auto* p =
                            static_cast<const unsigned char*>(sqlite3_column_blob(stmt, c));
                        const int n = sqlite3_column_bytes(stmt, c);
                        static const char* hex = "0123456789ABCDEF";
                        cell.blob_bytes = n;
                        cell.text = "X'";
                        for (int i = 0; i < std::min(n, 32); ++i) {
                            cell.text += hex[p[i] >> 4];
                            cell.text += hex[p[i] & 15];
                        }
                        cell.text += n > 32 ? "…'" : "'";
                    } else if (cell.type != QueryCell::Type::Null) {
                        // NULL only when SQLite ran out of memory converting the value.
                        if (const auto* p = sqlite3_column_text(stmt, c))
                            cell.text.assign(reinterpret_cast<const char*>(p),
                                             static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
                    }
                    row_bytes += static_cast<std::int64_t>(cell.text.size()) + 16;
                }
                if (bytes + row_bytes > limits.max_result_bytes) {
                    outcome = QueryOutcome::Cut;
                    message = "the result was cut at " + std::to_string(kept) +
                              " rows: it would hold more than " +
                              std::to_string(limits.max_result_bytes >> 20) + " MiB";
                    break;
                }
                bytes += row_bytes;
                batch.push_back(std::move(row));
                ++kept;
                // Publish the first rows at once (time to first page), then in batches.
                if (kept == 1 || batch.size() >= 256 || Clock::now() - last_publish > kPublishEvery)
                    publish();
            }
        }
        sqlite3_finalize(stmt);
        publish();
        std::lock_guard lk(mu);
        status.elapsed = micros(Clock::now() - started);
        status.outcome = outcome;
        status.message = message;
        audited = false;
        cv.notify_all();
    }

    // Appends the audit row of a query that has ended; withdraws its rows if that fails.
    // Called with mu held, on the owner's thread.
    void audit_ended_query() {
        if (audited || status.running() || status.id == 0) return;
        audited = true;
        if (!audit.trail) return;
        // The text as run (a refused over-long text: its first kWorkspaceMaxSqlBytes bytes).
        const bool cut = status.sql.size() > static_cast<size_t>(kWorkspaceMaxSqlBytes);
        nlohmann::json detail = {
            {"sql", cut ? status.sql.substr(0, kWorkspaceMaxSqlBytes) : status.sql},
            {"rows", status.rows},
            {"duration_ms", static_cast<double>(status.elapsed.count()) / 1000.0},
        };
        if (cut) detail["sql_truncated"] = true;
        if (!status.message.empty()) detail["message"] = status.message;
        AuditEvent e;
        e.at = now();
        e.kind = "workspace.query";
        e.actor = audit.actor;
        e.trainee_no = audit.trainee_no;
        e.outcome = query_outcome_name(status.outcome);
        e.detail = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        AuditReceipt receipt;
        std::string err;
        if (!audit.trail->append(e, &receipt, &err)) {
            rows.clear();
            status.rows = 0;
            status.outcome = QueryOutcome::Failed;
            status.message = "the query could not be audited, so its result is withheld: " + err;
        }
    }

    void join_worker() {
        if (worker.joinable()) worker.join();
    }
};

std::unique_ptr<SqlWorkspace> SqlWorkspace::open(const std::string& path, const QueryLimits& limits,
                                                 WorkspaceAudit audit, std::string* err,
                                                 const WorkspaceGuards& guards) {
    if (limits.max_rows < 1 || limits.max_rows > QueryLimits::kMaxRowsCeiling ||
        limits.time_limit.count() < 1 || limits.time_limit > QueryLimits::kTimeLimitCeiling ||
        limits.max_result_bytes < 1) {
        if (err)
            *err = "workspace limits out of range: the row cap must be 1.." +
                   std::to_string(QueryLimits::kMaxRowsCeiling) + " and the time limit 1.." +
                   std::to_string(QueryLimits::kTimeLimitCeiling.count()) + " ms";
        return nullptr;
    }
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->limits = limits;
    impl->audit = std::move(audit);
    impl->guards = guards;
    if (!impl->setup(err)) return nullptr;
    return std::unique_ptr<SqlWorkspace>(new SqlWorkspace(std::move(impl)));
}

SqlWorkspace::SqlWorkspace(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqlWorkspace::~SqlWorkspace() {
    cancel();
    impl_->join_worker();
    std::lock_guard lk(impl_->mu);
    impl_->closing = true;
    impl_->audit_ended_query();
}

bool SqlWorkspace::submit(const std::string& sql, std::string* err) {
    auto& m = *impl_;
    {
        std::lock_guard lk(m.mu);
        if (m.status.running()) {
            if (err) *err = "a query is still running: wait for it or cancel it";
            return false;
        }
        m.audit_ended_query();
    }
    m.join_worker();
    std::lock_guard lk(m.mu);
    if (m.closing) {
        if (err) *err = "the workspace is closed";
        return false;
    }
    m.status = QueryStatus{};
    m.status.id = m.next_id++;
    m.status.outcome = QueryOutcome::Running;
    m.status.sql = sql;
    m.rows.clear();
    m.audited = false;
    m.cancel_requested = false;
    m.deadline_hit = false;
    m.started = Clock::now();
    m.deadline = m.started + m.limits.time_limit;
    if (sql.size() > static_cast<size_t>(kWorkspaceMaxSqlBytes) ||
        sql.find('\0') != std::string::npos) {
        // Refused without running; the worker is not started.
        m.status.outcome = QueryOutcome::Refused;
        m.status.message =
            sql.find('\0') != std::string::npos
                ? "the SQL text contains a NUL character"
                : "the SQL text is longer than " + std::to_string(kWorkspaceMaxSqlBytes) + " bytes";
        m.cv.notify_all();
        return true;
    }
    m.worker = std::thread([&m, sql] {
        // The query yields to the screen: on a kiosk's few cores the frames (and their software
        // GL threads) come first, the query takes what is left (nice 10 for this thread only).
        setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
        m.execute(sql);
    });
    return true;
}

QueryStatus SqlWorkspace::poll() {
    auto& m = *impl_;
    std::lock_guard lk(m.mu);
    m.audit_ended_query();
    QueryStatus s = m.status;
    if (s.running()) s.elapsed = micros(Clock::now() - m.started);
    return s;
}

std::vector<QueryRow> SqlWorkspace::page(std::int64_t first, std::int64_t count) {
    auto& m = *impl_;
    std::lock_guard lk(m.mu);
    std::vector<QueryRow> out;
    const auto size = static_cast<std::int64_t>(m.rows.size());
    if (first < 0 || count <= 0 || first >= size) return out;
    const std::int64_t end = std::min(size, first + count);
    out.reserve(static_cast<size_t>(end - first));
    for (std::int64_t i = first; i < end; ++i) out.push_back(m.rows[static_cast<size_t>(i)]);
    return out;
}

void SqlWorkspace::cancel() {
    auto& m = *impl_;
    std::lock_guard lk(m.mu);
    if (!m.status.running()) return;
    m.cancel_requested = true;
    sqlite3_interrupt(m.db);
}

const QueryLimits& SqlWorkspace::limits() const { return impl_->limits; }
const std::string& SqlWorkspace::path() const { return impl_->path; }

bool SqlWorkspace::wait(std::chrono::milliseconds timeout) {
    auto& m = *impl_;
    std::unique_lock lk(m.mu);
    return m.cv.wait_for(lk, timeout, [&] { return !m.status.running(); });
}

QueryStatus SqlWorkspace::run(const std::string& sql) {
    std::string err;
    if (!submit(sql, &err)) {
        QueryStatus s;
        s.outcome = QueryOutcome::Refused;
        s.sql = sql;
        s.message = err;
        return s;
    }
    auto& m = *impl_;
    {
        std::unique_lock lk(m.mu);
        m.cv.wait(lk, [&] { return !m.status.running(); });
    }
    m.join_worker();
    return poll();
}

}  // namespace kiosk::db
