// Forward-only schema migrations for the kiosk's SQLite stores, versioned by PRAGMA user_version.
// A store lists its migration steps in order; step i (0-based) takes the schema from version i to
// i + 1. Used by the local-state, audit and mirror stores (db/ only; throws SqliteError).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/sqlite.h"

namespace kiosk::db {

// Applies the steps the database lacks, each in its own BEGIN IMMEDIATE transaction together with
// its user_version bump. When the database's version is newer than steps.size(), throws
// SqliteError ("local.db has schema version 7, newer than this program supports (2): upgrade the
// kiosk software") before writing anything.
void migrate(Database& db, std::span<const std::string_view> steps, std::string_view store_name);

// For opens that must not migrate: throws SqliteError unless the version equals `supported`.
// Version 0 means "not initialised: run kioskctl init"; older means "run kioskctl init to
// migrate"; newer gives the message of migrate().
void check_schema(Database& db, int supported, std::string_view store_name);

// Checks the file at `path` without opening it for writing, so that a refusal writes nothing (not
// even the switch to WAL). may_migrate=true (init): a missing file is fine, a newer version throws.
// may_migrate=false (open): a missing file throws "... does not exist: run kioskctl init", and so
// does any version but `supported`, as in check_schema().
void preflight_schema(const std::string& path, int supported, std::string_view store_name,
                      bool may_migrate);

// The schema version of the database file at `path`, read so that nothing is written or created:
// from the file header, or through a read-only connection when the WAL holds committed pages.
// nullopt when the file does not exist; 0 for an empty file. Throws SqliteError when it cannot be
// read (not an SQLite database, no permission).
std::optional<int> peek_schema_version(const std::string& path);

}  // namespace kiosk::db
