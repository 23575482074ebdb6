// The gate chosen by `[sessions] backend` (see session_gates.h).
#include "db/session_gates.h"

#include "db/data_dir.h"
#include "db/pg_gate.h"
#include "db/workspace_gate.h"

namespace kiosk::db {

std::string workspace_db_path(const Config& config, const DataDir& data) {
    return config.workspace_db.empty() ? data.path_of("testdb.sqlite") : config.workspace_db;
}

std::unique_ptr<SessionGate> make_session_gate(const Config& config, const DataDir& data,
                                               std::string* err) {
    if (config.session_backend == "postgres") {
        PgGateOptions o;
        o.pg = config.postgres;
        o.seats = config.policy.seats;
        if (!kiosk_id_of_data_dir(data.dir(), &o.kiosk_id, err)) return nullptr;
        return PgGate::create(o, err);
    }
    return std::make_unique<WorkspaceGate>(workspace_db_path(config, data));
}

}  // namespace kiosk::db
