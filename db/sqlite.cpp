// SQLite RAII layer (see sqlite.h).
#include "db/sqlite.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace kiosk::db {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
    throw SqliteError(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"), code);
}

}  // namespace

Database::Database(const std::string& path, Mode mode) : path_(path) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case Mode::ReadWriteCreate:
            flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            break;
        case Mode::ReadWrite:
            flags |= SQLITE_OPEN_READWRITE;
            break;
        case Mode::ReadOnly:
            flags |= SQLITE_OPEN_READONLY;
            break;
    }
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string msg = fmt::format("cannot open database {}: {}", path,
                                      db_ ? sqlite3_errmsg(db_) : "out of memory");
        int code = db_ ? sqlite3_extended_errcode(db_) : SQLITE_NOMEM;
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw SqliteError(msg, code);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    if (mode != Mode::ReadOnly) {
        try {
            exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        } catch (...) {
            sqlite3_close_v2(db_);
            db_ = nullptr;
            throw;
        }
    }
}

Database::~Database() {
    cache_.clear();  // finalize cached statements before closing
    sqlite3_close_v2(db_);
}

CachedStatement Database::cached(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end())
        it = cache_.emplace(std::string(sql), std::make_unique<Statement>(*this, sql)).first;
    return CachedStatement(*it->second);
}

CachedStatement::~CachedStatement() { s_->reset(); }

void Database::exec(std::string_view sql) {
    std::string s(sql);
    char* msg = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        std::string m = msg ? msg : "unknown error";
        sqlite3_free(msg);
        throw SqliteError(fmt::format("{}: {}", path_, m), sqlite3_extended_errcode(db_));
    }
}

Statement Database::prepare(std::string_view sql) { return Statement(*this, sql); }
std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

int Database::user_version() {
    auto st = prepare("PRAGMA user_version");
    st.step();
    return static_cast<int>(st.column_int(0));
}

void Database::set_user_version(int v) { exec(fmt::format("PRAGMA user_version={}", v)); }

Statement::Statement(Database& db, std::string_view sql) : db_(&db) {
    if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_,
                           nullptr) != SQLITE_OK)
        fail(db.handle(), fmt::format("{}: cannot prepare '{}'", db.path(), sql.substr(0, 60)));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }
Statement::Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

Statement& Statement::bind(int i, std::int64_t v) {
    if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) fail(db_->handle(), "bind");
    return *this;
}
Statement& Statement::bind(int i, double v) {
    if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) fail(db_->handle(), "bind");
    return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
    if (sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
        SQLITE_OK)
        fail(db_->handle(), "bind");
    return *this;
}
Statement& Statement::bind_blob(int i, const void* data, int size) {
    if (sqlite3_bind_blob(stmt_, i, data, size, SQLITE_TRANSIENT) != SQLITE_OK)
        fail(db_->handle(), "bind");
    return *this;
}
Statement& Statement::bind_static(int i, std::string_view v) {
    if (sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK)
        fail(db_->handle(), "bind");
    return *this;
}
Statement& Statement::bind_static_blob(int i, const void* data, int size) {
    if (sqlite3_bind_blob(stmt_, i, data, size, SQLITE_STATIC) != SQLITE_OK)
        fail(db_->handle(), "bind");
    return *this;
}
Statement& Statement::bind_null(int i) {
    if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) fail(db_->handle(), "bind");
    return *this;
}

Statement& Statement::bind_column(int i, const Statement& from, int col) {
    if (sqlite3_bind_value(stmt_, i, sqlite3_column_value(from.stmt_, col)) != SQLITE_OK)
        fail(db_->handle(), "bind");
    return *this;
}

bool Statement::step() {
    if (db_->depth_ > 0 && sqlite3_get_autocommit(db_->handle()))
        throw SqliteError(
            fmt::format("{}: the transaction was rolled back by an earlier error", db_->path()),
            SQLITE_ABORT);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_->handle(), db_->path());
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::column_text(int col) const {
    auto p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}
std::string_view Statement::column_view(int col) const {
    auto p = sqlite3_column_text(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
}
std::optional<std::string> Statement::column_opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return column_text(col);
}
std::string Statement::column_blob(int col) const {
    auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

Transaction::Transaction(Database& db, bool immediate) : db_(db) {
    if (db_.depth_ == 0) {
        db_.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN");
    } else {
        if (sqlite3_get_autocommit(db_.handle()))
            throw SqliteError(
                fmt::format("{}: the transaction was rolled back by an earlier error", db_.path()),
                SQLITE_ABORT);
        db_.exec(fmt::format("SAVEPOINT kiosk_sp{}", db_.depth_ + 1));
    }
    level_ = ++db_.depth_;
}
Transaction::~Transaction() {
    if (!done_) {
        try {
            if (level_ == 1) {
                db_.exec("ROLLBACK");
            } else if (!sqlite3_get_autocommit(db_.handle())) {
                db_.exec(fmt::format("ROLLBACK TO kiosk_sp{0}; RELEASE kiosk_sp{0}", level_));
            }
        } catch (...) {
        }
        --db_.depth_;
    }
}
void Transaction::commit() {
    if (level_ > 1 && sqlite3_get_autocommit(db_.handle()))
        throw SqliteError(
            fmt::format("{}: the transaction was rolled back by an earlier error", db_.path()),
            SQLITE_ABORT);
    db_.exec(level_ == 1 ? std::string("COMMIT") : fmt::format("RELEASE kiosk_sp{}", level_));
    done_ = true;
    --db_.depth_;
}

}  // namespace kiosk::db
