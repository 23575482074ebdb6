// The PostgreSQL gate over libpq (see pg_gate.h). Every identifier goes through
// PQescapeIdentifier and every literal through PQescapeLiteral or a query parameter; the clear
// one-time password only ever leaves this file in the ticket shown to the trainee.
#include "db/pg_gate.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "kiosk/domain.h"

namespace kiosk::db {
namespace {

// The advisory lock every kiosk takes around opens, closes and sweeps ("OKSK" "GATE").
constexpr const char* kLockKey = "5713203040577004613";

struct Result {
    PGresult* r = nullptr;
    explicit Result(PGresult* p) : r(p) {}
    ~Result() {
        if (r) PQclear(r);
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    int rows() const { return PQntuples(r); }
    std::string text(int row, int col) const { return PQgetvalue(r, row, col); }
    bool null(int row, int col) const { return PQgetisnull(r, row, col); }
    long long integer(int row, int col) const { return std::stoll(PQgetvalue(r, row, col)); }
};

std::string first_line(const char* msg) {
    std::string s = msg ? msg : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    for (auto& c : s)
        if (c == '\n') c = ' ';
    return s;
}

std::string utc_text(Instant t) { return format_instant(t, std::chrono::minutes(0)); }

// A failed statement: its message, and the SQLSTATE's meaning when it is a missing privilege.
struct PgError {
    std::string state;
    std::string message;
};

}  // namespace

class PgSession {
public:
    explicit PgSession(PGconn* c) : c_(c) {}
    // Runs sql with text parameters; false + *e when it did not succeed.
    bool exec(const std::string& sql, const std::vector<std::string>& params, PgError* e,
              std::unique_ptr<Result>* out = nullptr) {
        std::vector<const char*> values;
        for (auto& p : params) values.push_back(p.c_str());
        auto res = std::make_unique<Result>(PQexecParams(
            c_, sql.c_str(), (int)values.size(), nullptr, values.data(), nullptr, nullptr, 0));
        auto st = PQresultStatus(res->r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            const char* code = PQresultErrorField(res->r, PG_DIAG_SQLSTATE);
            e->state = code ? code : "";
            e->message = first_line(res->r ? PQresultErrorMessage(res->r) : PQerrorMessage(c_));
            if (e->message.empty()) e->message = first_line(PQerrorMessage(c_));
            return false;
        }
        if (out) *out = std::move(res);
        return true;
    }
    bool exec(const std::string& sql, PgError* e) { return exec(sql, {}, e); }
    void rollback() {
        PGresult* r = PQexec(c_, "ROLLBACK");
        if (r) PQclear(r);
    }
    std::string ident(std::string_view name) {
        char* q = PQescapeIdentifier(c_, name.data(), name.size());
        std::string s = q ? q : "";
        PQfreemem(q);
        return s;
    }
    std::string literal(std::string_view v) {
        char* q = PQescapeLiteral(c_, v.data(), v.size());
        std::string s = q ? q : "";
        PQfreemem(q);
        return s;
    }

private:
    PGconn* c_;
};

namespace {

std::string describe(const PgError& e) {
    if (e.state == "42501")
        return "the gate role lacks a privilege: " + e.message +
               " (see `kioskctl testdb pg-setup-sql`)";
    return e.message + (e.state.empty() ? "" : " [SQLSTATE " + e.state + "]");
}

// A one-time password: 24 characters from an alphabet without look-alikes (~138 bits).
std::string one_time_password() {
    static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    constexpr std::uint32_t n = sizeof(kAlphabet) - 1;
    std::string pw;
    for (int i = 0; i < 24; ++i) pw += kAlphabet[randombytes_uniform(n)];
    return pw;
}

// The server's view of the claims, created by the gate in its own schema on first use.
constexpr const char* kTableSql = R"(
CREATE TABLE IF NOT EXISTS kiosk.sessions (
    id          bigserial PRIMARY KEY,
    role        text NOT NULL,
    trainee_no  text NOT NULL,
    kiosk_id    text NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    ends_at     timestamptz NOT NULL,
    closed_at   timestamptz,
    close_cause text,
    closed_by   text
))";
constexpr const char* kIndexSql = R"(
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_open ON kiosk.sessions (role)
    WHERE closed_at IS NULL;
)";

}  // namespace

PgGate::PgGate(PgGateOptions options) : opt_(std::move(options)) {}
PgGate::~PgGate() { disconnect(); }

std::unique_ptr<PgGate> PgGate::create(const PgGateOptions& options, std::string* err) {
    char* perr = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(options.pg.admin_conninfo.c_str(), &perr);
    if (!parsed) {
        *err = fmt::format("postgres.admin_conninfo cannot be parsed: {}",
                           first_line(perr ? perr : "out of memory"));
        if (perr) PQfreemem(perr);
        return nullptr;
    }
    PQconninfoFree(parsed);
    if (options.pg.database.empty()) {
        *err = "postgres.database is empty: name the database trainees connect to";
        return nullptr;
    }
    if (options.kiosk_id.empty()) {
        *err = "the PostgreSQL gate needs this kiosk's id";
        return nullptr;
    }
    return std::unique_ptr<PgGate>(new PgGate(options));
}

void PgGate::disconnect() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    checked_ = false;
}

bool PgGate::connect(std::string* err) {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
    disconnect();
    std::string timeout = std::to_string(opt_.pg.connect_timeout_seconds);
    // admin_conninfo is expanded; the later dbname names the test database (claims live there).
    const char* keys[] = {"dbname", "dbname", "connect_timeout", "application_name", nullptr};
    const char* values[] = {opt_.pg.admin_conninfo.c_str(), opt_.pg.database.c_str(),
                            timeout.c_str(), "onsite-kiosk-gate", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
        *err =
            fmt::format("cannot connect to PostgreSQL as the gate role (database {}): {}",
                        opt_.pg.database, first_line(conn_ ? PQerrorMessage(conn_) : "no memory"));
        disconnect();
        return false;
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // "already exists, skipping"
    if (!checked_) {
        if (!verify_privileges(err)) {
            disconnect();
            return false;
        }
    }
    return true;
}

bool PgGate::check(std::string* err) { return connect(err); }

bool PgGate::verify_privileges(std::string* err) {
    PgSession db(conn_);
    PgError e;
    std::unique_ptr<Result> r;
    const std::string& reader = opt_.pg.reader_role;
    if (!db.exec(R"(SELECT current_user, r.rolsuper, r.rolcreaterole,
                pg_has_role(current_user, 'pg_signal_backend', 'MEMBER'),
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1),
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND
                    pg_has_role(current_user, $1, 'MEMBER WITH ADMIN OPTION'),
                (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'kiosk')
             FROM pg_roles r WHERE r.rolname = current_user)",
                 {reader}, &e, &r) ||
        r->rows() != 1) {
        *err = "cannot read the gate role's privileges: " + describe(e);
        return false;
    }
    std::string me = r->text(0, 0);
    std::vector<std::string> missing;
    if (r->text(0, 1) == "t") {
        *err = fmt::format(
            "the gate role {} is a superuser: the gate refuses to run with more than it needs; "
            "create a least-privilege gate role (see `kioskctl testdb pg-setup-sql`)",
            me);
        return false;
    }
    if (me.rfind(opt_.pg.role_prefix, 0) == 0) {
        *err = fmt::format(
            "the gate role {} starts with postgres.role_prefix '{}': it would look "
            "like a trainee role; choose another prefix or gate role",
            me, opt_.pg.role_prefix);
        return false;
    }
    if (r->text(0, 2) != "t") missing.push_back("CREATEROLE");
    if (r->text(0, 3) != "t") missing.push_back("membership of pg_signal_backend");
    if (r->text(0, 4) != "t")
        missing.push_back(fmt::format("the reader role {} (it does not exist)", reader));
    else if (r->text(0, 5) != "t")
        missing.push_back(fmt::format("ADMIN OPTION on the reader role {}", reader));
    if (r->null(0, 6))
        missing.push_back("the schema kiosk (owned by the gate role)");
    else if (r->text(0, 6) != me)
        missing.push_back(
            fmt::format("ownership of the schema kiosk (it belongs to {})", r->text(0, 6)));
    if (!missing.empty()) {
        std::string list;
        for (auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        *err =
            fmt::format("the gate role {} lacks {} (see `kioskctl testdb pg-setup-sql`)", me, list);
        return false;
    }
    // The claims table, made once; the lock keeps two kiosks' first runs from racing.
    if (!db.exec("BEGIN", &e) ||
        !db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kLockKey), &e) ||
        !db.exec(kTableSql, &e) || !db.exec(kIndexSql, &e) || !db.exec("COMMIT", &e)) {
        db.rollback();
        *err = "cannot create the gate's table kiosk.sessions: " + describe(e);
        return false;
    }
    checked_ = true;
    return true;
}

std::optional<std::string> PgGate::role_for(std::string_view trainee_no) const {
    if (!valid_trainee_no(trainee_no)) return std::nullopt;
    return opt_.pg.role_prefix + std::string(trainee_no);
}

GateOpened PgGate::open(const GateSession& s, Instant now) {
    GateOpened out;
    out.refusal = GateRefusal::Unavailable;
    auto role = role_for(s.trainee_no);
    if (!role) {
        out.error =
            fmt::format("trainee number '{}' cannot name a safe role", s.trainee_no.substr(0, 40));
        return out;
    }
    if (s.ends_at <= now) {
        out.error = "the session ends before it starts";
        return out;
    }
    std::string err;
    if (!connect(&err)) {
        out.error = err;
        return out;
    }
    PgSession db(conn_);
    PgError e;
    std::unique_ptr<Result> r;
    auto fail = [&](std::string what) {
        db.rollback();
        out.error = std::move(what);
        if (PQstatus(conn_) != CONNECTION_OK) disconnect();
        return out;
    };
    const std::string now_text = utc_text(now), until = utc_text(s.ends_at);
    if (!db.exec("BEGIN", &e) ||
        !db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kLockKey), &e))
        return fail("cannot begin: " + describe(e));
    // TR-5 across kiosks: one open claim per role.
    if (!db.exec("SELECT kiosk_id, ends_at > $2::timestamptz, "
                 "to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                 "FROM kiosk.sessions WHERE role = $1 AND closed_at IS NULL",
                 {*role, now_text}, &e, &r))
        return fail("cannot read the claims: " + describe(e));
    bool stale_claim = false;
    if (r->rows() > 0) {
        if (r->text(0, 1) == "t") {
            out.refusal = GateRefusal::AlreadyInSession;
            out.error = fmt::format(
                "trainee {} already has a session on the server until {} "
                "(kiosk {}) (TR-5)",
                s.trainee_no, r->text(0, 2), r->text(0, 0));
            db.rollback();
            return out;
        }
        stale_claim = true;  // ended while its kiosk was away: closed below, then reopened
    }
    if (!db.exec("SELECT count(*) FROM kiosk.sessions WHERE closed_at IS NULL AND "
                 "ends_at > $1::timestamptz",
                 {now_text}, &e, &r))
        return fail("cannot count the seats: " + describe(e));
    if (r->integer(0, 0) >= opt_.seats) {
        out.refusal = GateRefusal::NoSeat;
        out.error = fmt::format("all {} seats of the test database are taken", opt_.seats);
        db.rollback();
        return out;
    }
    if (stale_claim &&
        !db.exec("UPDATE kiosk.sessions SET closed_at = now(), close_cause = 'expired', "
                 "closed_by = $2 WHERE role = $1 AND closed_at IS NULL",
                 {*role, opt_.kiosk_id}, &e))
        return fail("cannot close a stale claim: " + describe(e));
    // The role: made on first use, and refused when it is not a plain trainee role.
    if (!db.exec("SELECT oid, rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR "
                 "rolbypassrls FROM pg_roles WHERE rolname = $1",
                 {*role}, &e, &r))
        return fail("cannot read role " + *role + ": " + describe(e));
    const std::string ident = db.ident(*role), reader = db.ident(opt_.pg.reader_role);
    if (r->rows() == 0) {
        if (!db.exec(fmt::format("CREATE ROLE {} NOLOGIN INHERIT IN ROLE {}", ident, reader), &e))
            return fail("cannot create role " + *role + ": " + describe(e));
    } else {
        if (r->text(0, 1) == "t")
            return fail(
                fmt::format("role {} has attributes a trainee role must not have "
                            "(superuser, createrole, createdb, replication or bypassrls): "
                            "refusing to unlock it",
                            *role));
        std::string oid = r->text(0, 0);
        if (!db.exec("SELECT string_agg(pg_get_userbyid(roleid), ',' ORDER BY 1) FROM "
                     "pg_auth_members WHERE member = $1::oid",
                     {oid}, &e, &r))
            return fail("cannot read role memberships: " + describe(e));
        std::string memberships = r->null(0, 0) ? "" : r->text(0, 0);
        if (memberships.empty()) {
            if (!db.exec(fmt::format("GRANT {} TO {}", reader, ident), &e))
                return fail("cannot grant the reader role: " + describe(e));
        } else if (memberships != opt_.pg.reader_role) {
            return fail(
                fmt::format("role {} is a member of {}, not of the reader role {} only: "
                            "refusing to unlock it",
                            *role, memberships, opt_.pg.reader_role));
        }
    }
    if (stale_claim &&
        !db.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                 {*role}, &e))
        return fail("cannot end the stale session's connections: " + describe(e));
    std::string password = one_time_password();
    char* verifier = PQencryptPasswordConn(conn_, password.c_str(), role->c_str(), "scram-sha-256");
    if (!verifier)
        return fail("cannot make the SCRAM verifier: " + first_line(PQerrorMessage(conn_)));
    std::string alter = fmt::format("ALTER ROLE {} WITH LOGIN PASSWORD {} VALID UNTIL {}", ident,
                                    db.literal(verifier), db.literal(until));
    PQfreemem(verifier);
    if (!db.exec(alter, &e)) return fail("cannot unlock role " + *role + ": " + describe(e));
    if (!db.exec("INSERT INTO kiosk.sessions (role, trainee_no, kiosk_id, ends_at) "
                 "VALUES ($1, $2, $3, $4::timestamptz)",
                 {*role, s.trainee_no, opt_.kiosk_id, until}, &e)) {
        if (e.state == "23505") {
            db.rollback();
            out.refusal = GateRefusal::AlreadyInSession;
            out.error =
                fmt::format("trainee {} already has a session on the server (TR-5)", s.trainee_no);
            return out;
        }
        return fail("cannot record the claim: " + describe(e));
    }
    if (!db.exec("COMMIT", &e)) return fail("cannot commit the open: " + describe(e));
    sodium_memzero(alter.data(), alter.size());

    out.ok = true;
    out.refusal = GateRefusal::None;
    out.ticket.backend = "postgres";
    out.ticket.host = !opt_.pg.trainee_host.empty()
                          ? opt_.pg.trainee_host
                          : std::string(PQhost(conn_) ? PQhost(conn_) : "");
    out.ticket.port = opt_.pg.trainee_port > 0 ? opt_.pg.trainee_port
                                               : std::atoi(PQport(conn_) ? PQport(conn_) : "5432");
    out.ticket.database = opt_.pg.database;
    out.ticket.role = *role;
    out.ticket.password = password;
    out.ticket.valid_until = s.ends_at;
    sodium_memzero(password.data(), password.size());
    return out;
}

bool PgGate::lock_role(PgSession& db, const std::string& role, EndCause cause, std::string* err) {
    PgError e;
    std::unique_ptr<Result> r;
    // Only a plain trainee role is ever locked: never the gate itself or a privileged role.
    if (!db.exec("SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR "
                 "rolbypassrls OR rolname = current_user OR EXISTS (SELECT 1 FROM "
                 "pg_auth_members m WHERE m.member = oid AND m.admin_option) "
                 "FROM pg_roles WHERE rolname = $1",
                 {role}, &e, &r)) {
        *err = "cannot read role " + role + ": " + describe(e);
        return false;
    }
    if (r->rows() > 0 && r->text(0, 0) == "t") {
        *err = fmt::format(
            "role {} is not a plain trainee role (privileged, or the gate itself): "
            "the gate does not touch it",
            role);
        return false;
    }
    if (r->rows() > 0 &&
        !db.exec(fmt::format("ALTER ROLE {} WITH NOLOGIN PASSWORD NULL", db.ident(role)), &e)) {
        *err = "cannot lock role " + role + ": " + describe(e);
        return false;
    }
    if (!db.exec("UPDATE kiosk.sessions SET closed_at = now(), close_cause = $2, closed_by = $3 "
                 "WHERE role = $1 AND closed_at IS NULL",
                 {role, std::string(end_cause_name(cause)), opt_.kiosk_id}, &e)) {
        *err = "cannot record the close: " + describe(e);
        return false;
    }
    return true;
}

bool PgGate::cut_connections(const std::string& role, std::string* err) {
    PgSession db(conn_);
    PgError e;
    std::unique_ptr<Result> r;
    for (int attempt = 0; attempt < 5; ++attempt) {
        // Each statement runs in a transaction of its own, so pg_stat_activity is fresh.
        if (!db.exec("SELECT pg_terminate_backend(pid, 2000) FROM pg_stat_activity "
                     "WHERE usename = $1",
                     {role}, &e)) {
            *err = "cannot terminate the connections of " + role + ": " + describe(e);
            return false;
        }
        if (!db.exec("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", {role}, &e, &r)) {
            *err = "cannot check the connections of " + role + ": " + describe(e);
            return false;
        }
        if (r->integer(0, 0) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    }
    *err = fmt::format("role {} still has {} connection(s) after they were terminated", role,
                       r->integer(0, 0));
    return false;
}

bool PgGate::extend(const GateSession& s, Instant new_ends_at, Instant now, std::string* err) {
    auto role = role_for(s.trainee_no);
    if (!role) {
        *err =
            fmt::format("trainee number '{}' cannot name a safe role", s.trainee_no.substr(0, 40));
        return false;
    }
    if (new_ends_at <= now) {
        *err = "the new end is not after now";
        return false;
    }
    if (!connect(err)) return false;
    PgSession db(conn_);
    PgError e;
    std::unique_ptr<Result> r;
    auto fail = [&](std::string what) {
        db.rollback();
        *err = std::move(what);
        if (PQstatus(conn_) != CONNECTION_OK) disconnect();
        return false;
    };
    const std::string now_text = utc_text(now), until = utc_text(new_ends_at);
    if (!db.exec("BEGIN", &e) ||
        !db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kLockKey), &e))
        return fail("cannot begin: " + describe(e));
    // Only this kiosk's open claim, still running, is moved: never another kiosk's session.
    if (!db.exec("SELECT 1 FROM kiosk.sessions WHERE role = $1 AND closed_at IS NULL AND "
                 "kiosk_id = $2 AND ends_at > $3::timestamptz",
                 {*role, opt_.kiosk_id, now_text}, &e, &r))
        return fail("cannot read the claims: " + describe(e));
    if (r->rows() == 0)
        return fail(fmt::format("the server holds no running session of {} opened by this kiosk",
                                s.trainee_no));
    if (!db.exec(fmt::format("ALTER ROLE {} VALID UNTIL {}", db.ident(*role), db.literal(until)),
                 &e))
        return fail("cannot move the end of role " + *role + ": " + describe(e));
    if (!db.exec("UPDATE kiosk.sessions SET ends_at = $2::timestamptz WHERE role = $1 AND "
                 "closed_at IS NULL AND kiosk_id = $3",
                 {*role, until, opt_.kiosk_id}, &e))
        return fail("cannot record the new end: " + describe(e));
    if (!db.exec("COMMIT", &e)) return fail("cannot commit the extension: " + describe(e));
    return true;
}

bool PgGate::close(const GateSession& s, EndCause cause, Instant, std::string* err) {
    auto role = role_for(s.trainee_no);
    if (!role) {
        *err =
            fmt::format("trainee number '{}' cannot name a safe role", s.trainee_no.substr(0, 40));
        return false;
    }
    if (!connect(err)) return false;
    PgSession db(conn_);
    PgError e;
    std::unique_ptr<Result> r;
    auto fail = [&](std::string what) {
        db.rollback();
        *err = std::move(what);
        if (PQstatus(conn_) != CONNECTION_OK) disconnect();
        return false;
    };
    if (!db.exec("BEGIN", &e) ||
        !db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kLockKey), &e))
        return fail("cannot begin: " + describe(e));
    // Another kiosk's open claim on this role is not ours to close.
    if (!db.exec("SELECT 1 FROM kiosk.sessions WHERE role = $1 AND closed_at IS NULL AND "
                 "kiosk_id <> $2",
                 {*role, opt_.kiosk_id}, &e, &r))
        return fail("cannot read the claims: " + describe(e));
    if (r->rows() > 0) {
        db.rollback();
        return true;
    }
    std::string why;
    if (!lock_role(db, *role, cause, &why)) return fail(why);
    // NOLOGIN is committed before any connection is cut: nobody can log in again meanwhile.
    if (!db.exec("COMMIT", &e)) return fail("cannot commit the close: " + describe(e));
    return cut_connections(*role, err);
}

bool PgGate::recover(Instant now, std::span<const GateSession> open_here,
                     std::vector<GateClosure>* closed, std::vector<std::int64_t>* lost,
                     std::string* err) {
    if (!connect(err)) return false;
    PgSession db(conn_);
    PgError e;
    std::unique_ptr<Result> r;
    auto fail = [&](std::string what) {
        db.rollback();
        *err = std::move(what);
        if (PQstatus(conn_) != CONNECTION_OK) disconnect();
        return false;
    };
    std::set<std::string> here;
    for (auto& s : open_here)
        if (auto role = role_for(s.trainee_no)) here.insert(*role);
    if (!db.exec("BEGIN", &e) ||
        !db.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kLockKey), &e))
        return fail("cannot begin: " + describe(e));
    // Claims to close: any kiosk's past their end; this kiosk's that it no longer holds.
    if (!db.exec("SELECT role, trainee_no, kiosk_id, extract(epoch FROM ends_at)::bigint, "
                 "ends_at <= $1::timestamptz FROM kiosk.sessions WHERE closed_at IS NULL AND "
                 "(ends_at <= $1::timestamptz OR kiosk_id = $2) ORDER BY id",
                 {utc_text(now), opt_.kiosk_id}, &e, &r))
        return fail("cannot read the claims: " + describe(e));
    std::vector<GateClosure> todo;
    std::set<std::string> held;
    for (int i = 0; i < r->rows(); ++i) {
        GateClosure c{r->text(i, 1), r->text(i, 0), r->text(i, 2), EndCause::Expired,
                      Instant(std::chrono::seconds(r->integer(i, 3)))};
        bool expired = r->text(i, 4) == "t";
        if (!expired && c.kiosk_id == opt_.kiosk_id && here.count(c.role)) {
            held.insert(c.role);
            continue;
        }
        c.cause = expired ? EndCause::Expired : EndCause::KioskRestart;
        todo.push_back(c);
    }
    // Trainee roles left able to log in (or still connected) without an open claim.
    if (!db.exec("SELECT r.rolname FROM pg_roles r WHERE left(r.rolname, length($1)) = $1 AND "
                 "EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                 "WHERE m.member = r.oid AND g.rolname = $2) AND r.rolname <> current_user AND "
                 "NOT (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR "
                 "r.rolbypassrls) AND NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = "
                 "r.oid AND m.admin_option) AND "
                 "(r.rolcanlogin OR EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.usename = "
                 "r.rolname)) AND NOT EXISTS (SELECT 1 FROM kiosk.sessions k WHERE k.role = "
                 "r.rolname AND k.closed_at IS NULL)",
                 {opt_.pg.role_prefix, opt_.pg.reader_role}, &e, &r))
        return fail("cannot read the trainee roles: " + describe(e));
    for (int i = 0; i < r->rows(); ++i) {
        std::string role = r->text(i, 0);
        todo.push_back(
            {role.substr(opt_.pg.role_prefix.size()), role, "", EndCause::KioskRestart, Instant{}});
    }
    for (auto& c : todo) {
        std::string why;
        if (!lock_role(db, c.role, c.cause, &why)) return fail(why);
    }
    if (!db.exec("COMMIT", &e)) return fail("cannot commit the sweep: " + describe(e));
    std::string problems;
    for (auto& c : todo) {
        std::string why;
        if (!cut_connections(c.role, &why)) problems += (problems.empty() ? "" : "; ") + why;
        closed->push_back(c);
    }
    for (auto& s : open_here) {
        auto role = role_for(s.trainee_no);
        if (role && !held.count(*role)) lost->push_back(s.id);
    }
    if (!problems.empty()) {
        *err = problems;
        return false;
    }
    return true;
}

std::string pg_setup_sql(const PostgresConfig& pg, std::string_view gate_role) {
    // Names are checked by the config (a-z, 0-9, _), so they are printed unquoted; the database
    // name is quoted as an identifier.
    std::string db = "\"";
    for (char c : pg.database) db += c == '"' ? std::string("\"\"") : std::string(1, c);
    db += "\"";
    return fmt::format(
        R"(-- Onsite Kiosk: PostgreSQL gate setup. Run once as a superuser, connected to the test
-- database {db} (psql -d {db_plain} -f this-file). Replace CHANGE-ME with the gate's password and
-- put the same password (or a ~/.pgpass entry) into [postgres] admin_conninfo.

-- The reader role: what every trainee role may do (read the test data, nothing else).
CREATE ROLE {reader} NOLOGIN;
REVOKE ALL ON DATABASE {db} FROM PUBLIC;          -- no CONNECT or TEMP for everybody
GRANT CONNECT ON DATABASE {db} TO {reader};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {reader};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {reader};

-- The gate role: not a superuser. It creates the trainee roles ({prefix}<trainee number>), sets
-- their one-time passwords, locks them and ends their connections.
CREATE ROLE {gate} LOGIN CREATEROLE PASSWORD 'CHANGE-ME';
GRANT CONNECT ON DATABASE {db} TO {gate};
GRANT pg_signal_backend TO {gate};
GRANT {reader} TO {gate} WITH ADMIN OPTION;
CREATE SCHEMA kiosk AUTHORIZATION {gate};         -- the gate's table of open sessions

-- pg_hba.conf: trainee roles must log in with scram-sha-256 (VALID UNTIL applies to password
-- logins only; never trust or peer), to the test database only, e.g.
--   host  {db_plain}  +{reader}  10.0.0.0/8  scram-sha-256
--   host  {db_plain}  {gate}     127.0.0.1/32  scram-sha-256
)",
        fmt::arg("db", db), fmt::arg("db_plain", pg.database), fmt::arg("reader", pg.reader_role),
        fmt::arg("gate", gate_role), fmt::arg("prefix", pg.role_prefix));
}

std::string pg_conninfo_user(const std::string& conninfo) {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (!opts) {
        if (err) PQfreemem(err);
        return "";
    }
    std::string user;
    for (auto* o = opts; o->keyword; ++o)
        if (std::string_view(o->keyword) == "user" && o->val) user = o->val;
    PQconninfoFree(opts);
    return user;
}

bool kiosk_id_of_data_dir(const std::string& data_dir, std::string* id, std::string* err) {
    const std::string path = data_dir + "/kiosk-id";
    std::ifstream in(path);
    if (in) {
        std::string text;
        std::getline(in, text);
        bool ok = text.size() == 16 && std::all_of(text.begin(), text.end(), [](char c) {
                      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                  });
        if (!ok) {
            *err = fmt::format("{} is not 16 lower-case hex digits: restore it or remove it", path);
            return false;
        }
        *id = text;
        return true;
    }
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    std::string text = fmt::format("{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", raw[0],
                                   raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return kiosk_id_of_data_dir(data_dir, id, err);
        *err = fmt::format("cannot create {}: {}", path, std::strerror(errno));
        return false;
    }
    std::string line = text + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == (ssize_t)line.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        *err = fmt::format("cannot write {}: {}", path, std::strerror(errno));
        ::unlink(path.c_str());
        return false;
    }
    *id = text;
    return true;
}

}  // namespace kiosk::db
