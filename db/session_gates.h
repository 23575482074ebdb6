// Builds the SessionGate that `[sessions] backend` names (product.md section 7), for the kiosk
// program and kioskctl alike: the built-in workspace (the default) over the test database at
// `[sessions] workspace_db` (or DATA_DIR/testdb.sqlite), or the PostgreSQL gate from `[postgres]`.
#pragma once

#include <memory>
#include <string>

#include "kiosk/config.h"
#include "kiosk/session_gate.h"

namespace kiosk::db {

class DataDir;

// The workspace's test database: config.workspace_db, or DATA_DIR/testdb.sqlite.
std::string workspace_db_path(const Config& config, const DataDir& data);

// The gate of config.session_backend. nullptr + *err when it cannot be built (the kiosk's id
// cannot be read or made, or the PostgreSQL options do not parse); nothing is connected yet.
std::unique_ptr<SessionGate> make_session_gate(const Config& config, const DataDir& data,
                                               std::string* err);

}  // namespace kiosk::db
