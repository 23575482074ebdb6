// kiosk.db: the kiosk's local state (cards, staff, sessions, briefings, revisions) and its audit
// chain in one SQLite file, so that a change and its audit row commit in one transaction or not
// at all (issue 9 item 2; SQLite does not commit attached WAL databases atomically, one file
// does). One list of migration steps versions the whole file: the audit chain's two steps first
// (an audit.db of an earlier version is a kiosk.db of schema 1 or 2), then the local state's.
// New tables are new steps at the end of the list in kiosk_db.cpp.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace kiosk::db {

class Database;

struct KioskDb {
    // 1: audit events; 2: index on (kind, seq); 3: local state (cards, staff, sessions,
    // briefings, revisions seeded with the 2024 revision).
    static constexpr int kSchemaVersion = 3;
    static constexpr int kLocalStep = 3;  // the step that creates the local-state tables

    static std::span<const std::string_view> steps();

    // Opens kiosk.db at `path` (any name: tests use their own). create=true creates it (mode 0600
    // whatever the umask) or migrates it; create=false opens an existing, current one, refusing
    // without writing a missing, uninitialised, older or newer one. `name` names the file in
    // messages. Throws SqliteError / std::runtime_error with a clear message.
    static std::shared_ptr<Database> open(const std::string& path, bool create,
                                          std::string_view name = "kiosk.db");
};

// Creates `path` as an empty file with mode 0600 (O_EXCL, whatever the umask) unless it exists;
// an existing file is made 0600 (owner read/write only). SQLite gives a database's -wal and
// -shm files the database file's mode. Throws std::runtime_error naming the file and the cause.
void make_private_file(const std::string& path);

// Adds to a storage error message what the operator needs when the file system holding `path`
// is (nearly) full — SQLite may report that as "disk I/O error" — or read-only; returns
// `message` unchanged otherwise.
std::string explain_storage_error(const std::string& path, std::string message);

}  // namespace kiosk::db
