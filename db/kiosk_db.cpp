// kiosk.db: one schema for the local state and the audit chain (see kiosk_db.h).
#include "db/kiosk_db.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "db/migrations.h"
#include "db/sqlite.h"
#include "kiosk/domain.h"
#include "kiosk/time.h"

namespace kiosk::db {
namespace {

// Step 1: the audit chain (see audit_store.h for the row hash).
constexpr std::string_view kStepAuditEvents = R"sql(
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,  -- unix seconds, UTC
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    trainee_no  TEXT NOT NULL,
    card_prefix TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    row_hash    TEXT NOT NULL
);
CREATE INDEX events_at ON events(at);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END;
)sql";

// Step 2: the newest event of a kind (the last sync applied / rejected, for status) by index.
constexpr std::string_view kStepAuditKindIndex = R"sql(
CREATE INDEX events_kind_seq ON events(kind, seq);
)sql";

// Step 3: the local state. The revisions table is seeded from kiosk::revision_2024(): revisions
// are data (TR-7), a later revision is a new row, not new code.
std::string step_local_state() {
    Revision r = revision_2024();
    return fmt::format(R"sql(
CREATE TABLE cards (
    card_hash   TEXT PRIMARY KEY,
    trainee_no  TEXT NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    enrolled_at INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX cards_trainee ON cards(trainee_no);
CREATE TABLE staff (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    card_hash       TEXT NOT NULL UNIQUE,
    pin_hash        TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER
);
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    trainee_no      TEXT NOT NULL,
    card_hash       TEXT NOT NULL DEFAULT '',
    started_at      INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    ended_at        INTEGER,
    end_reason      TEXT NOT NULL DEFAULT '',
    override_by     TEXT NOT NULL DEFAULT '',
    override_reason TEXT NOT NULL DEFAULT ''
);
-- TR-5: at most one open session per trainee number.
CREATE UNIQUE INDEX sessions_one_open ON sessions(trainee_no) WHERE ended_at IS NULL;
CREATE INDEX sessions_trainee ON sessions(trainee_no, started_at);
CREATE TABLE briefings (
    trainee_no   TEXT PRIMARY KEY,
    needed_since INTEGER NOT NULL,
    briefed_at   INTEGER,
    briefed_by   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE revisions (
    id                 TEXT PRIMARY KEY,
    effective_on       TEXT NOT NULL,
    new_users_from     TEXT NOT NULL,
    excludes_new_users INTEGER NOT NULL,
    advise_existing    INTEGER NOT NULL,
    rule               TEXT NOT NULL
);
INSERT INTO revisions VALUES ('{}', '{}', '{}', {}, {}, '{}');
)sql",
                       r.id, format_date(r.effective_on), format_date(r.new_users_from),
                       r.excludes_new_users ? 1 : 0, r.advise_existing ? 1 : 0, r.rule);
}

}  // namespace

std::span<const std::string_view> KioskDb::steps() {
    static const std::string local = step_local_state();
    static const std::array<std::string_view, kSchemaVersion> list{kStepAuditEvents,
                                                                   kStepAuditKindIndex, local};
    static_assert(kLocalStep == 3);
    return list;
}

void make_private_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        throw std::runtime_error(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0;
    if (ok && (st.st_mode & 07777) != 0600) ok = ::fchmod(fd, 0600) == 0;
    int saved = errno;
    ::close(fd);
    if (!ok)
        throw std::runtime_error(
            fmt::format("cannot make {} private (mode 0600): {}", path, std::strerror(saved)));
}

std::string explain_storage_error(const std::string& path, std::string message) {
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    struct statvfs vfs {};
    if (::statvfs(dir.c_str(), &vfs) != 0) return message;
    if (vfs.f_flag & ST_RDONLY)
        return message + fmt::format(" (the file system holding {} is mounted read-only)", dir);
    const unsigned long long free_bytes = static_cast<unsigned long long>(vfs.f_bavail) *
                                          static_cast<unsigned long long>(vfs.f_frsize);
    if (free_bytes < 1024 * 1024)
        return message + fmt::format(
                             " (the disk holding {} is full: {} KiB free; free some space and "
                             "retry — nothing of this change was kept)",
                             dir, free_bytes / 1024);
    return message;
}

std::shared_ptr<Database> KioskDb::open(const std::string& path, bool create,
                                        std::string_view name) {
    preflight_schema(path, kSchemaVersion, name, create);
    if (create) make_private_file(path);
    auto db = std::make_shared<Database>(
        path, create ? Database::Mode::ReadWriteCreate : Database::Mode::ReadWrite);
    if (create) {
        migrate(*db, steps(), name);
    } else {
        check_schema(*db, kSchemaVersion, name);
    }
    return db;
}

}  // namespace kiosk::db
