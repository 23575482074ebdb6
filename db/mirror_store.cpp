// mirror.db over SQLite (see mirror_store.h). Schema, lookups, and the staged snapshot import:
// rows go into TEMP tables (not RAM, not mirror.db), the diff is a handful of indexed joins, and
// commit() writes only what differs, in one transaction.
#include "db/mirror_store.h"

#include <fmt/format.h>

#include <array>
#include <chrono>

#include "db/migrations.h"
#include "db/sqlite.h"

namespace kiosk::db {
namespace {

constexpr std::string_view kStoreName = "mirror.db";

// Instants are stored as unix seconds; dates as `YYYY-MM-DD` text.
constexpr std::array<std::string_view, MirrorStore::kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE feed_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sequence INTEGER NOT NULL,
    generated_at INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    trainees INTEGER NOT NULL,
    certificates INTEGER NOT NULL
);
CREATE TABLE trainees (
    trainee_no TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    affiliation TEXT NOT NULL DEFAULT '',
    request_accepted_on TEXT,
    user_since TEXT
) WITHOUT ROWID;
CREATE TABLE certificates (
    certificate_no TEXT PRIMARY KEY,
    trainee_no TEXT NOT NULL,
    course TEXT NOT NULL,          -- OVERVIEW / SYSOP / OTHER
    course_code TEXT NOT NULL,     -- as written in the feed
    provider TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    status TEXT NOT NULL,          -- issued / lost / not_obtained / revoked
    file_order INTEGER NOT NULL    -- position among the trainee's rows in the snapshot
) WITHOUT ROWID;
CREATE INDEX certificates_by_trainee ON certificates(trainee_no, file_order);
)sql",
};

// Page cache of main and of temp (the staging tables) during an import. Measured on 1,000,000
// certificates (tests/bench/sync_bench.py): 16 MiB each is as fast as 64 MiB each (the staged
// rows and the mirror are read and written mostly in key order), and peak RSS drops from
// ~305 MB to ~155 MB (first sync) and ~240 MB to ~138 MB (unchanged re-sync).
constexpr std::int64_t kImportCacheKiB = 16 * 1024;

std::int64_t unix_seconds(Instant t) { return t.time_since_epoch().count(); }
Instant from_unix(std::int64_t s) { return Instant{std::chrono::seconds{s}}; }

std::optional<std::string> date_text(const std::optional<Date>& d) {
    if (!d) return std::nullopt;
    return format_date(*d);
}

Course course_from_store(std::string_view s) {
    if (s == "OVERVIEW") return Course::Overview;
    if (s == "SYSOP") return Course::SystemOperation;
    return Course::Other;
}

std::int64_t count(Database& db, std::string_view sql) {
    auto st = db.prepare(sql);
    st.step();
    return st.column_int(0);
}

}  // namespace

// ---- the store ----

MirrorStore::MirrorStore(const std::string& path, bool create) : path_(path) {
    if (create) {
        db_ = std::make_unique<Database>(path, Database::Mode::ReadWriteCreate);
        migrate(*db_, kMigrations, kStoreName);
    } else {
        // Read-only checks first, so that a refusal writes nothing.
        preflight_schema(path, kSchemaVersion, kStoreName, false);
        db_ = std::make_unique<Database>(path, Database::Mode::ReadWrite);
        check_schema(*db_, kSchemaVersion, kStoreName);
    }
}

MirrorStore::~MirrorStore() = default;

bool MirrorStore::find_trainee(std::string_view trainee_no, std::optional<Trainee>* out,
                               std::string* err) {
    try {
        auto t = db_->cached(
            "SELECT name, affiliation, request_accepted_on, user_since FROM trainees "
            "WHERE trainee_no = ?");
        t.bind(1, trainee_no);
        if (!t.step()) {
            out->reset();
            return true;
        }
        Trainee tr;
        tr.trainee_no = std::string(trainee_no);
        tr.name = t.column_text(0);
        tr.affiliation = t.column_text(1);
        auto stored_date = [&](std::optional<std::string> text, std::string_view what,
                               std::optional<Date>* dst) {
            if (!text) return true;
            *dst = parse_date(*text);
            if (!*dst) {
                *err = fmt::format("{}: trainee {} has an invalid {} '{}'", path_, trainee_no, what,
                                   *text);
                return false;
            }
            return true;
        };
        if (!stored_date(t.column_opt_text(2), "request_accepted_on", &tr.request_accepted_on) ||
            !stored_date(t.column_opt_text(3), "user_since", &tr.user_since))
            return false;
        auto c = db_->cached(
            "SELECT certificate_no, course, course_code, provider, completed_on, status, "
            "file_order FROM certificates WHERE trainee_no = ? ORDER BY file_order");
        c.bind(1, trainee_no);
        while (c.step()) {
            Certificate cert;
            cert.certificate_no = c.column_text(0);
            cert.course = course_from_store(c.column_text(1));
            cert.course_code = c.column_text(2);
            cert.provider = c.column_text(3);
            auto completed = parse_date(c.column_text(4));
            auto status = status_from_feed(c.column_text(5));
            if (!completed || !status) {
                *err = fmt::format("{}: certificate {} has an invalid date or status", path_,
                                   cert.certificate_no);
                return false;
            }
            cert.completed_on = *completed;
            cert.status = *status;
            cert.file_order = c.column_int(6);
            tr.certificates.push_back(std::move(cert));
        }
        *out = std::move(tr);
        return true;
    } catch (const SqliteError& e) {
        *err = e.what();
        return false;
    }
}

bool MirrorStore::feed_state(std::optional<FeedState>* out, std::string* err) {
    try {
        auto st = db_->cached(
            "SELECT sequence, generated_at, key_id, applied_at, trainees, certificates "
            "FROM feed_state WHERE id = 1");
        if (!st.step()) {
            out->reset();
            return true;
        }
        FeedState fs;
        fs.sequence = st.column_int(0);
        fs.generated_at = from_unix(st.column_int(1));
        fs.key_id = st.column_text(2);
        fs.applied_at = from_unix(st.column_int(3));
        fs.trainees = st.column_int(4);
        fs.certificates = st.column_int(5);
        *out = fs;
        return true;
    } catch (const SqliteError& e) {
        *err = e.what();
        return false;
    }
}

// ---- the import ----

struct SnapshotImport::Impl {
    Database& db;
    bool open = true;
    bool diffed = false;
    SnapshotDiff diff;
    std::int64_t trainees = 0, certificates = 0;
    Statement insert_trainee;
    Statement insert_certificate;

    Impl(Database& d)
        : db(d),
          insert_trainee(d.prepare("INSERT INTO temp.stage_trainees VALUES (?, ?, ?, ?, ?)")),
          insert_certificate(
              d.prepare("INSERT INTO temp.stage_certificates VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {}
};

std::unique_ptr<SnapshotImport> MirrorStore::begin_import(std::string* err) {
    try {
        db_->exec(fmt::format("PRAGMA main.cache_size = -{0}; PRAGMA temp.cache_size = -{0};",
                              kImportCacheKiB));
        db_->exec("BEGIN IMMEDIATE");
        try {
            db_->exec(R"sql(
DROP TABLE IF EXISTS temp.stage_trainees;
DROP TABLE IF EXISTS temp.stage_certificates;
CREATE TEMP TABLE stage_trainees (
    trainee_no TEXT NOT NULL, name TEXT NOT NULL, affiliation TEXT NOT NULL,
    request_accepted_on TEXT, user_since TEXT);
CREATE TEMP TABLE stage_certificates (
    certificate_no TEXT NOT NULL, trainee_no TEXT NOT NULL, course TEXT NOT NULL,
    course_code TEXT NOT NULL, provider TEXT NOT NULL, completed_on TEXT NOT NULL,
    status TEXT NOT NULL, file_order INTEGER NOT NULL);
)sql");
            return std::unique_ptr<SnapshotImport>(
                new SnapshotImport(std::make_unique<SnapshotImport::Impl>(*db_)));
        } catch (...) {
            db_->exec("ROLLBACK");
            throw;
        }
    } catch (const SqliteError& e) {
        *err = fmt::format("cannot start the import into {}: {}", path_, e.what());
        return nullptr;
    }
}

SnapshotImport::SnapshotImport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SnapshotImport::~SnapshotImport() { rollback(); }

void SnapshotImport::rollback() {
    if (!impl_ || !impl_->open) return;
    impl_->open = false;
    try {
        impl_->db.exec("ROLLBACK");
    } catch (...) {
        // Nothing more to do: the connection rolls back when it closes.
    }
    try {
        impl_->db.exec(
            "DROP TABLE IF EXISTS temp.stage_trainees; DROP TABLE IF EXISTS "
            "temp.stage_certificates; DROP TABLE IF EXISTS temp.trainee_changes; DROP TABLE IF "
            "EXISTS temp.certificate_changes; PRAGMA main.cache_size = -2000; PRAGMA "
            "temp.cache_size = "
            "-2000;");
    } catch (...) {
    }
}

bool SnapshotImport::add(const FeedRow& row, std::string* err) {
    if (!impl_->open || impl_->diffed) {
        *err = "the import is closed";
        return false;
    }
    try {
        if (row.first_of_trainee) {
            auto& t = impl_->insert_trainee;
            t.bind(1, row.trainee_no)
                .bind(2, row.name)
                .bind(3, row.affiliation)
                .bind(4, date_text(row.request_accepted_on))
                .bind(5, date_text(row.user_since));
            t.run();
            t.reset();
            ++impl_->trainees;
        }
        const Certificate& c = row.cert;
        auto& s = impl_->insert_certificate;
        s.bind(1, c.certificate_no)
            .bind(2, row.trainee_no)
            .bind(3, course_code(c.course))
            .bind(4, c.course_code)
            .bind(5, c.provider)
            .bind(6, format_date(c.completed_on))
            .bind(7, status_code(c.status))
            .bind(8, c.file_order);
        s.run();
        s.reset();
        ++impl_->certificates;
        return true;
    } catch (const SqliteError& e) {
        *err = fmt::format("line {}: cannot stage the row: {}", row.line, e.what());
        return false;
    }
}

namespace {

// Row equality between staging (s) and the mirror (t), NULL-safe.
constexpr std::string_view kTraineeSame =
    "t.name IS s.name AND t.affiliation IS s.affiliation AND "
    "t.request_accepted_on IS s.request_accepted_on AND t.user_since IS s.user_since";
constexpr std::string_view kCertificateSame =
    "t.trainee_no IS s.trainee_no AND t.course IS s.course AND t.course_code IS s.course_code "
    "AND t.provider IS s.provider AND t.completed_on IS s.completed_on AND t.status IS s.status "
    "AND t.file_order IS s.file_order";

}  // namespace

// One pass from the staged rows into the mirror's primary key finds what is added or changed
// (kept as staging rowids in temp.*_changes); the removed count follows from the totals, and the
// removed rows are looked for only when there are some. commit() then touches only those rows.
bool SnapshotImport::diff(SnapshotDiff* out, std::string* err) {
    if (!impl_->open || impl_->diffed) {
        *err = "the import is closed";
        return false;
    }
    Database& db = impl_->db;
    try {
        db.exec(fmt::format(
            "DROP TABLE IF EXISTS temp.trainee_changes; DROP TABLE IF EXISTS "
            "temp.certificate_changes;"
            "CREATE TEMP TABLE trainee_changes AS SELECT s.rowid AS srow, t.trainee_no IS NULL "
            "AS added FROM temp.stage_trainees s LEFT JOIN main.trainees t ON t.trainee_no = "
            "s.trainee_no WHERE t.trainee_no IS NULL OR NOT ({});"
            "CREATE TEMP TABLE certificate_changes AS SELECT s.rowid AS srow, t.certificate_no "
            "IS NULL AS added FROM temp.stage_certificates s LEFT JOIN main.certificates t ON "
            "t.certificate_no = s.certificate_no WHERE t.certificate_no IS NULL OR NOT ({});",
            kTraineeSame, kCertificateSame));
        SnapshotDiff d;
        d.trainees_after = impl_->trainees;
        d.certificates_after = impl_->certificates;
        d.trainees_before = count(db, "SELECT count(*) FROM main.trainees");
        d.certificates_before = count(db, "SELECT count(*) FROM main.certificates");
        d.trainees_added = count(db, "SELECT count(*) FROM temp.trainee_changes WHERE added");
        d.trainees_changed = count(db, "SELECT count(*) FROM temp.trainee_changes WHERE NOT added");
        d.certificates_added =
            count(db, "SELECT count(*) FROM temp.certificate_changes WHERE added");
        d.certificates_changed =
            count(db, "SELECT count(*) FROM temp.certificate_changes WHERE NOT added");
        // Staged keys are unique (the parser checks certificate numbers; trainees are staged
        // once), so every staged row not added matches exactly one mirror row.
        d.trainees_removed = d.trainees_before - (d.trainees_after - d.trainees_added);
        d.certificates_removed =
            d.certificates_before - (d.certificates_after - d.certificates_added);
        impl_->diffed = true;
        impl_->diff = d;
        *out = d;
        return true;
    } catch (const SqliteError& e) {
        *err = fmt::format("cannot compare the snapshot with {}: {}", db.path(), e.what());
        rollback();
        return false;
    }
}

bool SnapshotImport::commit(const FeedState& state, std::string* err) {
    if (!impl_->open || !impl_->diffed) {
        *err = impl_->open ? "the import must be compared (diff) before it is applied"
                           : "the import is closed";
        return false;
    }
    Database& db = impl_->db;
    const SnapshotDiff& d = impl_->diff;
    try {
        if (d.certificates_removed > 0) {
            db.exec(
                "CREATE UNIQUE INDEX temp.stage_certificates_no ON "
                "stage_certificates(certificate_no);"
                "DELETE FROM main.certificates WHERE NOT EXISTS (SELECT 1 FROM "
                "temp.stage_certificates s WHERE s.certificate_no = "
                "certificates.certificate_no);");
        }
        if (d.trainees_removed > 0) {
            db.exec(
                "CREATE UNIQUE INDEX temp.stage_trainees_no ON stage_trainees(trainee_no);"
                "DELETE FROM main.trainees WHERE NOT EXISTS (SELECT 1 FROM temp.stage_trainees "
                "s WHERE s.trainee_no = trainees.trainee_no);");
        }
        db.exec(
            "INSERT INTO main.trainees (trainee_no, name, affiliation, request_accepted_on, "
            "user_since) SELECT s.trainee_no, s.name, s.affiliation, s.request_accepted_on, "
            "s.user_since FROM temp.trainee_changes c JOIN temp.stage_trainees s ON s.rowid = "
            "c.srow ORDER BY s.trainee_no "
            "ON CONFLICT (trainee_no) DO UPDATE SET name = excluded.name, affiliation = "
            "excluded.affiliation, request_accepted_on = excluded.request_accepted_on, "
            "user_since = excluded.user_since");
        // Into an empty mirror (the first sync), loading first and indexing after is faster.
        const bool reindex = d.certificates_before == 0 && d.certificates_added > 0;
        if (reindex) db.exec("DROP INDEX main.certificates_by_trainee");
        db.exec(
            "INSERT INTO main.certificates (certificate_no, trainee_no, course, course_code, "
            "provider, completed_on, status, file_order) SELECT s.certificate_no, s.trainee_no, "
            "s.course, s.course_code, s.provider, s.completed_on, s.status, s.file_order FROM "
            "temp.certificate_changes c JOIN temp.stage_certificates s ON s.rowid = c.srow "
            "ORDER BY s.certificate_no "
            "ON CONFLICT (certificate_no) DO UPDATE SET trainee_no = excluded.trainee_no, "
            "course = excluded.course, course_code = excluded.course_code, provider = "
            "excluded.provider, completed_on = excluded.completed_on, status = excluded.status, "
            "file_order = excluded.file_order");
        if (reindex)
            db.exec(
                "CREATE INDEX main.certificates_by_trainee ON certificates(trainee_no, "
                "file_order)");
        auto fs = db.prepare(
            "INSERT INTO main.feed_state (id, sequence, generated_at, key_id, applied_at, "
            "trainees, certificates) VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "sequence = excluded.sequence, generated_at = excluded.generated_at, key_id = "
            "excluded.key_id, applied_at = excluded.applied_at, trainees = excluded.trainees, "
            "certificates = excluded.certificates");
        fs.bind(1, state.sequence)
            .bind(2, unix_seconds(state.generated_at))
            .bind(3, state.key_id)
            .bind(4, unix_seconds(state.applied_at))
            .bind(5, impl_->trainees)
            .bind(6, impl_->certificates);
        fs.run();
        db.exec("COMMIT");
        impl_->open = false;
        db.exec(
            "DROP TABLE IF EXISTS temp.stage_trainees; DROP TABLE IF EXISTS "
            "temp.stage_certificates; DROP TABLE IF EXISTS temp.trainee_changes; DROP TABLE IF "
            "EXISTS temp.certificate_changes; PRAGMA main.cache_size = -2000; PRAGMA "
            "temp.cache_size = "
            "-2000;");
        return true;
    } catch (const SqliteError& e) {
        if (impl_->open) {
            *err = fmt::format("cannot apply the snapshot to {}: {} (the mirror is unchanged)",
                               db.path(), e.what());
            rollback();
        } else {
            // COMMIT returned: the snapshot is applied; only the clean-up failed.
            return true;
        }
        return false;
    }
}

}  // namespace kiosk::db
