// kioskctl commands of the test-database gate: `session recover` (what the kiosk runs at start-up),
// `session expire` (the periodic sweep), `testdb pg-setup-sql` (the server administrator's setup)
// and `testdb pg-check` (does the gate role have what it needs?).
#include <fmt/format.h>

#include "db/data_dir.h"
#include "db/pg_gate.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {
namespace {

void print_sweep(const SweepReport& r, std::string_view what) {
    for (auto& l : r.lines) fmt::print("{}\n", l);
    fmt::print("{}: {} closed\n", what, r.closed);
}

}  // namespace

void add_gate_commands(CLI::App& app, Ctl& ctl) {
    auto* session = app.get_subcommand("session");
    static std::string r_at;
    auto* recover = session->add_subcommand(
        "recover", "at start-up: close sessions that outlived their time or a restart");
    recover->add_option("--at", r_at, "as at this time (default: now)");
    recover->callback([&ctl] {
        SweepReport report;
        std::string err;
        bool ok = ctl.desk().recover(ctl.at(r_at), "kioskctl", &report, &err);
        print_sweep(report, "recover");
        if (!ok) throw CtlError("recover: " + err);
    });
    static std::string x_at;
    auto* expire =
        session->add_subcommand("expire", "close the sessions whose time is up (periodic sweep)");
    expire->add_option("--at", x_at, "as at this time (default: now)");
    expire->callback([&ctl] {
        SweepReport report;
        std::string err;
        bool ok = ctl.desk().expire_due(ctl.at(x_at), "kioskctl", &report, &err);
        print_sweep(report, "expire");
        if (!ok) throw CtlError("expire: " + err);
    });

    auto* testdb = app.get_subcommand("testdb");
    static std::string gate_role;
    auto* setup = testdb->add_subcommand(
        "pg-setup-sql", "print the SQL that sets up the PostgreSQL gate (run once as superuser)");
    setup->add_option("--gate-role", gate_role,
                      "the gate's role (default: the user of postgres.admin_conninfo, else "
                      "kiosk_gate)");
    setup->callback([&ctl] {
        const Config& c = ctl.config();
        std::string role = gate_role;
        if (role.empty()) role = db::pg_conninfo_user(c.postgres.admin_conninfo);
        if (role.empty()) role = "kiosk_gate";
        if (!valid_pg_role_name(role))
            throw CtlError(fmt::format(
                "gate role '{}' must be 1-63 characters of a-z, 0-9 and _, not starting with a "
                "digit",
                role.substr(0, 70)));
        PostgresConfig pg = c.postgres;
        if (pg.database.empty())
            throw CtlError("postgres.database is empty: name the test database in the config");
        fmt::print("{}", db::pg_setup_sql(pg, role));
    });
    testdb->add_subcommand("pg-check", "connect as the gate role and check its privileges")
        ->callback([&ctl] {
            if (ctl.config().session_backend != "postgres")
                throw CtlError("sessions.backend is not \"postgres\": nothing to check");
            db::PgGateOptions o;
            o.pg = ctl.config().postgres;
            o.seats = ctl.config().policy.seats;
            o.kiosk_id = "pg-check";  // opens nothing: needs no data directory
            std::string err;
            auto pg = db::PgGate::create(o, &err);
            if (!pg || !pg->check(&err)) throw CtlError(err);
            fmt::print("the PostgreSQL gate role has what it needs\n");
        });
}

}  // namespace kiosk
