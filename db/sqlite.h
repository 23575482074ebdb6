// A thin RAII layer over the SQLite C API for the kiosk's stores: a Database (one connection,
// opened with the kiosk's durability pragmas), prepared Statements and Transactions. Failures
// throw SqliteError inside db/ only; store classes turn them into explicit errors at their edge.
// No sqlite3.h here: the rest of the program never sees SQLite types.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace kiosk::db {

class SqliteError : public std::runtime_error {
public:
    SqliteError(std::string msg, int code) : std::runtime_error(std::move(msg)), code_(code) {}
    int code() const { return code_; }  // the SQLite (extended) result code

private:
    int code_;
};

class Statement;
class CachedStatement;

class Database {
public:
    enum class Mode { ReadWriteCreate, ReadWrite, ReadOnly };
    // Opens `path`; for writable modes sets journal_mode=WAL, synchronous=FULL, foreign_keys=ON
    // and a busy timeout. Throws SqliteError naming the file on failure.
    Database(const std::string& path, Mode mode = Mode::ReadWrite);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(std::string_view sql);  // one or more statements, no results
    Statement prepare(std::string_view sql);
    // A statement prepared once per connection and kept for its life (for hot paths: a lookup
    // pays no prepare cost). The guard resets it (ending its read) when it goes out of scope.
    CachedStatement cached(std::string_view sql);
    std::int64_t last_insert_rowid() const;
    int changes() const;
    int user_version();
    void set_user_version(int v);
    const std::string& path() const { return path_; }
    sqlite3* handle() { return db_; }
    // Open Transactions on this connection (0: autocommit). A Transaction begun inside another
    // is a SAVEPOINT of it: its writes commit with the outermost one, or not at all.
    int transaction_depth() const { return depth_; }

private:
    friend class Transaction;
    friend class Statement;
    sqlite3* db_ = nullptr;
    int depth_ = 0;
    std::string path_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

class Statement {
public:
    Statement(Database& db, std::string_view sql);
    ~Statement();
    Statement(Statement&& o) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Binding: 1-based indexes. Empty optional binds NULL.
    Statement& bind(int i, std::int64_t v);
    Statement& bind(int i, int v) { return bind(i, std::int64_t{v}); }
    Statement& bind(int i, double v);
    Statement& bind(int i, std::string_view v);
    Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Statement& bind_blob(int i, const void* data, int size);
    // Binds without copying: `v` must stay alive and unchanged until the statement is reset
    // (hot loops that bind from buffers they own).
    Statement& bind_static(int i, std::string_view v);
    Statement& bind_static_blob(int i, const void* data, int size);
    Statement& bind_null(int i);
    // Binds column `col` of `from`'s current row, as it is (type and value; copied).
    Statement& bind_column(int i, const Statement& from, int col);
    template <class T>
    Statement& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bind_null(i);
    }

    bool step();   // true: a row is ready; false: done. Throws on error.
    void run();    // step to completion, ignoring rows
    void reset();  // reset and clear bindings for reuse

    bool is_null(int col) const;
    std::int64_t column_int(int col) const;
    double column_double(int col) const;
    std::string column_text(int col) const;
    // The column as text without a copy: valid until the statement steps or is reset.
    std::string_view column_view(int col) const;
    std::optional<std::string> column_opt_text(int col) const;
    std::string column_blob(int col) const;
    int column_count() const;

private:
    Database* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// A borrowed cached statement; resets it on destruction so no read stays open.
class CachedStatement {
public:
    explicit CachedStatement(Statement& s) : s_(&s) {}
    ~CachedStatement();
    CachedStatement(const CachedStatement&) = delete;
    CachedStatement& operator=(const CachedStatement&) = delete;
    Statement* operator->() { return s_; }
    Statement& operator*() { return *s_; }
    // The Statement API, forwarded, so a cached statement reads like a prepared one.
    template <class... A>
    CachedStatement& bind(A&&... a) {
        s_->bind(std::forward<A>(a)...);
        return *this;
    }
    bool step() { return s_->step(); }
    void run() { s_->run(); }
    bool is_null(int col) const { return s_->is_null(col); }
    std::int64_t column_int(int col) const { return s_->column_int(col); }
    double column_double(int col) const { return s_->column_double(col); }
    std::string column_text(int col) const { return s_->column_text(col); }
    std::optional<std::string> column_opt_text(int col) const { return s_->column_opt_text(col); }
    std::string column_blob(int col) const { return s_->column_blob(col); }

private:
    Statement* s_;
};

// BEGIN (IMMEDIATE by default) ... COMMIT; rolls back if destroyed before commit(). Inside another
// Transaction on the same connection it is a SAVEPOINT: commit() releases it into the outer one
// (nothing is durable until the outermost commits) and destruction rolls back only its own writes.
// If SQLite rolled the outer transaction back by itself (a full disk, an I/O error), every later
// statement and commit() of it throws instead of running in autocommit mode.
class Transaction {
public:
    explicit Transaction(Database& db, bool immediate = true);
    ~Transaction();
    void commit();

private:
    Database& db_;
    int level_ = 0;  // 1: BEGIN; > 1: SAVEPOINT
    bool done_ = false;
};

}  // namespace kiosk::db
