// The PostgreSQL gate (product.md section 7, `[sessions] backend = "postgres"`): one login role per
// trainee, NOLOGIN between sessions; opening sets a fresh one-time password (a SCRAM verifier made
// by libpq, never the clear text) valid until the session's end, and claims the trainee in the
// server's kiosk.sessions table under an advisory lock, so that kiosks sharing the server never
// give one trainee two sessions and share the seats. Closing commits NOLOGIN, terminates the role's
// connections and checks again in a fresh snapshot. The gate's own role needs no superuser: see
// setup_sql() (`kioskctl testdb pg-setup-sql`).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kiosk/config.h"
#include "kiosk/session_gate.h"

typedef struct pg_conn PGconn;

namespace kiosk::db {

class PgSession;  // one statement runner over the gate's connection (pg_gate.cpp)

struct PgGateOptions {
    PostgresConfig pg;
    int seats = 4;         // [sessions] seats: shared by every kiosk on the server
    std::string kiosk_id;  // this kiosk's id (kiosk_id_of_data_dir)
};

class PgGate final : public SessionGate {
public:
    // Checks the options (admin_conninfo must parse); connects lazily. nullptr + *err on failure.
    static std::unique_ptr<PgGate> create(const PgGateOptions& options, std::string* err);
    ~PgGate() override;

    std::string_view backend() const override { return "postgres"; }
    bool survives_restart() const override { return true; }
    GateOpened open(const GateSession& s, Instant now) override;
    // Moves this kiosk's open claim's end and the role's VALID UNTIL to new_ends_at in one
    // server transaction (password and LOGIN unchanged). Refused when the server holds no open
    // claim of this kiosk for the trainee, or that claim is past its end.
    bool extend(const GateSession& s, Instant new_ends_at, Instant now, std::string* err) override;
    bool close(const GateSession& s, EndCause cause, Instant now, std::string* err) override;
    bool recover(Instant now, std::span<const GateSession> open_here,
                 std::vector<GateClosure>* closed, std::vector<std::int64_t>* lost,
                 std::string* err) override;

    // The trainee's role: role_prefix + the trainee number, as is (`Q-7` and `q-7` are two roles).
    // nullopt when the number is not a valid trainee number (it could not be a safe role name).
    std::optional<std::string> role_for(std::string_view trainee_no) const;

    // Connects (if needed) and checks that the gate role has exactly what it needs: not a
    // superuser, CREATEROLE, pg_signal_backend, ADMIN OPTION on reader_role, schema kiosk owned.
    // false + *err naming what is missing.
    bool check(std::string* err);

private:
    explicit PgGate(PgGateOptions options);
    bool connect(std::string* err);
    void disconnect();
    bool verify_privileges(std::string* err);
    // Inside the caller's transaction: NOLOGIN, no password, the open claim closed.
    bool lock_role(PgSession& db, const std::string& role, EndCause cause, std::string* err);
    // After the commit: terminates the role's connections and checks again in a fresh snapshot.
    bool cut_connections(const std::string& role, std::string* err);

    PgGateOptions opt_;
    PGconn* conn_ = nullptr;
    bool checked_ = false;
};

// The SQL a server administrator runs once (as a superuser, in `database`) to create the reader
// role, the gate role and its schema. `gate_role` is the role named in admin_conninfo.
std::string pg_setup_sql(const PostgresConfig& pg, std::string_view gate_role);

// The user named in a libpq connection string (the gate role), or "" when it names none.
std::string pg_conninfo_user(const std::string& conninfo);

// The kiosk's id (DATA_DIR/kiosk-id, 16 random hex digits made on first use): names this kiosk's
// claims on a shared server. false + *err when it cannot be read or made.
bool kiosk_id_of_data_dir(const std::string& data_dir, std::string* id, std::string* err);

}  // namespace kiosk::db
