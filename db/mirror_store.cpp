// mirror.db over SQLite (see mirror_store.h). Schema, lookups that check each trainee's digest,
// and the snapshot import: trainees whose digest differs are staged in TEMP tables (not RAM, not
// mirror.db), the diff is a handful of indexed joins over them, and commit() writes only what
// differs, in one transaction; into an empty mirror rows go straight into the tables (those out
// of key order held in memory, bounded, and inserted sorted at the end of the read).
#include "db/mirror_store.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "db/huge_pages.h"
#include "db/migrations.h"
#include "db/sqlite.h"
#include "db/trainee_map.h"

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
    // 2: a digest per trainee of everything the mirror holds for it, so that a sync compares
    // a trainee by one value and stages only the trainees that differ. NULL (rows written
    // before) never matches: the next sync stages and rewrites them once.
    R"sql(
ALTER TABLE trainees ADD COLUMN digest BLOB;
)sql",
    // 3: certificates keyed by (trainee_no, file_order), the order a lookup reads them in, so
    // that no secondary index has to be built and kept (a first sync built it over every row
    // and wrote it into the WAL). Rows are copied as they are, digests included. Two
    // rows at one place of one trainee cannot come from a sync (the digest check already
    // refuses such a trainee); one of them is dropped, which keeps that trainee refused until
    // a sync rewrites it. The key's columns come first: SQLite 3.40's integrity_check reports
    // NOT NULL columns after a WITHOUT ROWID table's key as NULL when the key is not leftmost.
    R"sql(
CREATE TABLE certificates_3 (
    trainee_no TEXT NOT NULL,
    file_order INTEGER NOT NULL,   -- position among the trainee's rows in the snapshot
    certificate_no TEXT NOT NULL,
    course TEXT NOT NULL,          -- OVERVIEW / SYSOP / OTHER
    course_code TEXT NOT NULL,     -- as written in the feed
    provider TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    status TEXT NOT NULL,          -- issued / lost / not_obtained / revoked
    PRIMARY KEY (trainee_no, file_order)
) WITHOUT ROWID;
INSERT OR IGNORE INTO certificates_3 (trainee_no, file_order, certificate_no, course,
    course_code, provider, completed_on, status)
    SELECT trainee_no, file_order, certificate_no, course, course_code, provider, completed_on,
        status FROM certificates ORDER BY trainee_no, file_order;
DROP TABLE certificates;
ALTER TABLE certificates_3 RENAME TO certificates;
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

// ---- the per-trainee digest ----
//
// Each trainee in the mirror carries a digest of everything the mirror holds for it (see the import
// below); reads recompute it, so a record changed outside a sync is refused, not served.

namespace {

struct Digest {
    std::uint64_t lo = 0, hi = 0;
    void add(const Digest& o) {
        lo += o.lo;
        hi += o.hi;
    }
    bool operator==(const Digest&) const = default;
};

// A fixed, public key: the digest detects change, it is not a secret (the snapshot itself is
// signed; whoever could forge a collision could as well sign a different snapshot).
constexpr unsigned char kDigestKey[crypto_shorthash_siphashx24_KEYBYTES] = {
    'o', 'n', 's', 'i', 't', 'e', '-', 'k', 'i', 'o', 's', 'k', '-', 'd', 'g', '1'};

void put_field(std::string* buf, std::string_view v) {
    std::uint32_t n = static_cast<std::uint32_t>(v.size());
    buf->append(reinterpret_cast<const char*>(&n), sizeof n);
    buf->append(v);
}
void put_opt(std::string* buf, const std::optional<std::string>& v) {
    if (!v) {
        std::uint32_t none = 0xFFFFFFFFu;
        buf->append(reinterpret_cast<const char*>(&none), sizeof none);
    } else {
        put_field(buf, *v);
    }
}

std::string digest_blob(const Digest& d) {
    std::string b(16, '\0');
    std::memcpy(b.data(), &d.lo, 8);
    std::memcpy(b.data() + 8, &d.hi, 8);
    return b;
}
std::optional<Digest> digest_from_blob(std::string_view b) {
    if (b.size() != 16) return std::nullopt;
    Digest d;
    std::memcpy(&d.lo, b.data(), 8);
    std::memcpy(&d.hi, b.data() + 8, 8);
    return d;
}

Digest siphash(const std::string& buf) {
    unsigned char out[crypto_shorthash_siphashx24_BYTES];
    crypto_shorthash_siphashx24(out, reinterpret_cast<const unsigned char*>(buf.data()), buf.size(),
                                kDigestKey);
    Digest d;
    std::memcpy(&d.lo, out, 8);
    std::memcpy(&d.hi, out + 8, 8);
    return d;
}

// A trainee's own columns (not its certificates), hashed as the digest hashes a row (after a tag
// of their own): an import tells a trainee whose columns changed from one whose certificates
// alone did by this, without reading the mirror's row again.
Digest trainee_columns_digest(std::string_view name, std::string_view affiliation,
                              const std::optional<std::string>& request_accepted_on,
                              const std::optional<std::string>& user_since, std::string* buf) {
    buf->assign("trainee");
    put_field(buf, name);
    put_field(buf, affiliation);
    put_opt(buf, request_accepted_on);
    put_opt(buf, user_since);
    return siphash(*buf);
}

// One row as the mirror stores it: the values bound to the INSERTs and hashed for the digest.
struct StoredRow {
    std::string_view trainee_no, name, affiliation;
    std::optional<std::string> request_accepted_on, user_since;
    std::string_view certificate_no, course, course_code, provider;
    std::string completed_on;
    std::string_view status;
    std::int64_t file_order = 0;

    explicit StoredRow(const FeedRow& r)
        : trainee_no(r.trainee_no),
          name(r.name),
          affiliation(r.affiliation),
          request_accepted_on(date_text(r.request_accepted_on)),
          user_since(date_text(r.user_since)),
          certificate_no(r.cert.certificate_no),
          course(kiosk::course_code(r.cert.course)),
          course_code(r.cert.course_code),
          provider(r.cert.provider),
          completed_on(format_date(r.cert.completed_on)),
          status(status_code(r.cert.status)),
          file_order(r.cert.file_order) {}

    // As read back from the tables (the text as stored).
    StoredRow(std::string_view trainee_no_, std::string_view name_, std::string_view affiliation_,
              std::optional<std::string> request_accepted_on_,
              std::optional<std::string> user_since_, std::string_view certificate_no_,
              std::string_view course_, std::string_view course_code_, std::string_view provider_,
              std::string completed_on_, std::string_view status_, std::int64_t file_order_)
        : trainee_no(trainee_no_),
          name(name_),
          affiliation(affiliation_),
          request_accepted_on(std::move(request_accepted_on_)),
          user_since(std::move(user_since_)),
          certificate_no(certificate_no_),
          course(course_),
          course_code(course_code_),
          provider(provider_),
          completed_on(std::move(completed_on_)),
          status(status_),
          file_order(file_order_) {}

    Digest digest(std::string* buf) const {
        return digest_with(name, affiliation, request_accepted_on, user_since, buf);
    }
    // The digest of this row with other values in the trainee's own columns.
    Digest digest_with(std::string_view name_, std::string_view affiliation_,
                       const std::optional<std::string>& request_accepted_on_,
                       const std::optional<std::string>& user_since_, std::string* buf) const {
        buf->clear();
        put_field(buf, trainee_no);
        put_field(buf, name_);
        put_field(buf, affiliation_);
        put_opt(buf, request_accepted_on_);
        put_opt(buf, user_since_);
        put_field(buf, certificate_no);
        put_field(buf, course);
        put_field(buf, course_code);
        put_field(buf, provider);
        put_field(buf, completed_on);
        put_field(buf, status);
        buf->append(reinterpret_cast<const char*>(&file_order), sizeof file_order);
        return siphash(*buf);
    }
    Digest trainee_columns(std::string* buf) const {
        return trainee_columns_digest(name, affiliation, request_accepted_on, user_since, buf);
    }
};

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
            "SELECT name, affiliation, request_accepted_on, user_since, digest FROM trainees "
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
        const std::optional<std::string> accepted_text = t.column_opt_text(2);
        const std::optional<std::string> since_text = t.column_opt_text(3);
        // Every trainee a sync wrote has a digest: one without (NULL) was edited, or migrated
        // from schema 1 and not synced since. Either way it cannot be checked, so it is refused
        // (a NULL must never switch the check off).
        if (t.is_null(4)) {
            *err = fmt::format(
                "{}: trainee {} has no digest, so its record cannot be checked: the mirror was "
                "changed outside a sync, or migrated and not synced since (run kioskctl sync "
                "--full-compare to restore it from the snapshot)",
                path_, trainee_no);
            return false;
        }
        std::optional<Digest> stored_digest = digest_from_blob(t.column_blob(4));
        if (!stored_digest) {
            *err = fmt::format("{}: trainee {} has a malformed digest", path_, trainee_no);
            return false;
        }
        auto stored_date = [&](const std::optional<std::string>& text, std::string_view what,
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
        if (!stored_date(accepted_text, "request_accepted_on", &tr.request_accepted_on) ||
            !stored_date(since_text, "user_since", &tr.user_since))
            return false;
        auto c = db_->cached(
            "SELECT certificate_no, course, course_code, provider, completed_on, status, "
            "file_order FROM certificates WHERE trainee_no = ? ORDER BY file_order");
        c.bind(1, trainee_no);
        Digest digest;
        std::string scratch;
        while (c.step()) {
            Certificate cert;
            cert.certificate_no = c.column_text(0);
            const std::string course_text = c.column_text(1);
            cert.course = course_from_store(course_text);
            cert.course_code = c.column_text(2);
            cert.provider = c.column_text(3);
            std::string completed_text = c.column_text(4);
            const std::string status_text = c.column_text(5);
            auto completed = parse_date(completed_text);
            auto status = status_from_feed(status_text);
            if (!completed || !status) {
                *err = fmt::format("{}: certificate {} has an invalid date or status", path_,
                                   cert.certificate_no);
                return false;
            }
            cert.completed_on = *completed;
            cert.status = *status;
            cert.file_order = c.column_int(6);
            digest.add(StoredRow(trainee_no, tr.name, tr.affiliation, accepted_text, since_text,
                                 cert.certificate_no, course_text, cert.course_code, cert.provider,
                                 std::move(completed_text), status_text, cert.file_order)
                           .digest(&scratch));
            tr.certificates.push_back(std::move(cert));
        }
        // The record must be what the last sync wrote: a row changed, added or removed outside
        // a sync (a hand edit, a restored fragment, a disk fault that SQLite did not notice) is
        // refused rather than decided on.
        if (digest != *stored_digest) {
            *err = fmt::format(
                "{}: the record of trainee {} does not match its digest: the mirror was changed "
                "outside a sync (run kioskctl sync --full-compare to restore it from the "
                "snapshot)",
                path_, trainee_no);
            return false;
        }
        *out = std::move(tr);
        return true;
    } catch (const SqliteError& e) {
        *err = e.what();
        return false;
    }
}

namespace {
class MirrorReadHold final : public ReadHold {
public:
    explicit MirrorReadHold(Database& db) : db_(db) { db_.cached("BEGIN").run(); }
    ~MirrorReadHold() override {
        try {
            db_.cached("COMMIT").run();  // ends the read (nothing was written)
        } catch (...) {
        }
    }

private:
    Database& db_;
};
}  // namespace

std::unique_ptr<ReadHold> MirrorStore::hold_read() {
    try {
        return std::make_unique<MirrorReadHold>(*db_);
    } catch (const SqliteError&) {
        return nullptr;  // the reads that follow run (and report failure) on their own
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
//
// The digest (see above) is the sum (two 64-bit lanes, mod 2^64) of a 128-bit SipHash of each of
// a trainee's rows' stored values, file order included. The sum does not depend on the order the
// rows arrive in, so a trainee whose rows are split across the file still adds up to the same
// digest. An import reads the mirror's digests once; its first pass sums each trainee's digest
// over the file and, at the end, marks the trainees that differ; only then, and only if there are
// any not staged yet, a second pass over the same rows stages theirs. A trainee whose first run of
// rows already differs from the mirror is staged by the first pass (in a file grouped by trainee
// that is every changed trainee: no second read). The unchanged trainees (most of them, most
// nights) are never written anywhere. A staged trainee whose own columns alone changed (renamed:
// its rows hashed with the mirror's columns in their place add up to its stored digest) is staged
// without its certificates, which are the mirror's: they are neither compared nor written.
// Into an empty mirror (the first sync) there is nothing to compare: rows go straight into the
// main tables, inside the same transaction (trainees and certificates out of key order are held in
// memory and inserted sorted at the end).

namespace {

constexpr std::string_view kInsertTrainee =
    "INSERT INTO {}trainees (trainee_no, name, affiliation, request_accepted_on, user_since, "
    "digest) VALUES (?, ?, ?, ?, ?, ?)";
constexpr std::string_view kInsertCertificate =
    "INSERT INTO {}certificates (certificate_no, trainee_no, course, course_code, provider, "
    "completed_on, status, file_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

// Inserts rows 0..n-1 through `one`, the prepared one-row INSERT `sql` (ending in
// "VALUES (?, …)" with `columns` parameters), or kRowsPerInsert rows to a statement while that
// many are left: a first sync inserts its held rows this way, so that SQLite's per-statement cost
// (step, reset, bindings cleared) is paid once per kRowsPerInsert rows instead of once per row.
// bind(statement, parameter offset, row, slot) binds one row; `slot` (< kRowsPerInsert) names the
// caller's buffers for that row, which must stay alive until the step.
constexpr size_t kRowsPerInsert = 64;
template <class BindRow>
void insert_rows(Database& db, Statement& one, std::string_view sql, int columns, size_t n,
                 const BindRow& bind) {
    size_t i = 0;
    if (n >= kRowsPerInsert) {
        const std::string_view tuple = sql.substr(sql.rfind("VALUES ") + 7);
        std::string many_sql(sql);
        for (size_t k = 1; k < kRowsPerInsert; ++k) many_sql.append(", ").append(tuple);
        auto many = db.prepare(many_sql);
        for (; i + kRowsPerInsert <= n; i += kRowsPerInsert) {
            for (size_t j = 0; j < kRowsPerInsert; ++j)
                bind(many, static_cast<int>(j) * columns, i + j, j);
            many.run();
            many.reset();
        }
    }
    for (; i < n; ++i) {
        bind(one, 0, i, 0);
        one.run();
        one.reset();
    }
}

}  // namespace

namespace {

// A first sync's certificates whose keys (trainee number, file order) came out of order, held in
// memory until the end of the read, then sorted by key for one ordered insert. 24 bytes a row plus
// its certificate number: the trainee number is held once per trainee, and the few distinct
// courses, course codes, providers and statuses once each. Bounded: past kMaxBytes, or for a value
// that does not fit, add() refuses and the caller stages the row in SQLite instead.
class HeldCertificates {
public:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
    static constexpr size_t kMaxBytes = size_t{80} << 20;

    struct Row {
        std::string_view certificate_no, trainee_no, course, course_code, provider, status;
        Date completed_on;
        std::int64_t file_order;
    };

    // The trainee's id for add(); kNone when it cannot be held.
    std::uint32_t add_trainee(std::string_view trainee_no) {
        if (trainee_no.size() > 0xFFFF || bytes() + trainee_no.size() > kMaxBytes) return kNone;
        trainees_.push_back({static_cast<std::uint32_t>(trainee_arena_.size()),
                             static_cast<std::uint32_t>(trainee_no.size())});
        trainee_arena_.append(trainee_no);
        return static_cast<std::uint32_t>(trainees_.size() - 1);
    }

    bool add(const StoredRow& r, Date completed_on, std::uint32_t trainee) {
        if (trainee == kNone || r.certificate_no.size() > 0xFFFF || r.file_order < 0 ||
            r.file_order > 0xFFFFFFFF || numbers_.size() > 0xFFFFFFFFu - r.certificate_no.size() ||
            bytes() + sizeof(Held) + r.certificate_no.size() > kMaxBytes)
            return false;
        Held h{};
        if (!courses_.id(r.course, &h.course) || !codes_.id(r.course_code, &h.course_code) ||
            !providers_.id(r.provider, &h.provider) || !statuses_.id(r.status, &h.status))
            return false;
        h.number_at = static_cast<std::uint32_t>(numbers_.size());
        h.number_size = static_cast<std::uint16_t>(r.certificate_no.size());
        h.trainee = trainee;
        h.completed_on = static_cast<std::int32_t>(completed_on.time_since_epoch().count());
        h.file_order = static_cast<std::uint32_t>(r.file_order);
        numbers_.append(r.certificate_no);
        held_.push_back(h);
        return true;
    }

    size_t size() const { return held_.size(); }
    // Sorts the rows by key: trainee number (memcmp order, as SQLite's BINARY collation), then
    // file order. The trainees are ranked once, so that rows compare as two integers.
    void sort() {
        std::vector<std::uint32_t> by_number(trainees_.size()), rank(trainees_.size());
        for (std::uint32_t i = 0; i < by_number.size(); ++i) by_number[i] = i;
        std::sort(by_number.begin(), by_number.end(),
                  [this](std::uint32_t a, std::uint32_t b) { return trainee(a) < trainee(b); });
        for (std::uint32_t i = 0; i < by_number.size(); ++i) rank[by_number[i]] = i;
        std::sort(held_.begin(), held_.end(), [&rank](const Held& a, const Held& b) {
            const std::uint32_t ra = rank[a.trainee], rb = rank[b.trainee];
            return ra != rb ? ra < rb : a.file_order < b.file_order;
        });
    }
    Row row(size_t i) const {
        const Held& h = held_[i];
        return {number(h),
                trainee(h.trainee),
                courses_.word(h.course),
                codes_.word(h.course_code),
                providers_.word(h.provider),
                statuses_.word(h.status),
                Date{std::chrono::days{h.completed_on}},
                h.file_order};
    }
    void clear() {
        HugeVector<Held>().swap(held_);
        HugeString().swap(numbers_);
    }

private:
    struct Held {
        std::uint32_t number_at;
        std::uint16_t number_size;
        std::uint16_t course, course_code, provider, status;
        std::uint32_t trainee;
        std::int32_t completed_on;
        std::uint32_t file_order;
    };
    // The few distinct values of a column, each kept once (a bounded number of them).
    class Words {
    public:
        bool id(std::string_view w, std::uint16_t* out) {
            if (last_ < words_.size() && *words_[last_] == w) {
                *out = static_cast<std::uint16_t>(last_);
                return true;
            }
            if (auto it = ids_.find(w); it != ids_.end()) {
                last_ = it->second;
                *out = it->second;
                return true;
            }
            if (words_.size() >= kMaxWords || w.size() > 256) return false;
            words_.push_back(std::make_unique<std::string>(w));
            last_ = words_.size() - 1;
            ids_.emplace(*words_.back(), static_cast<std::uint16_t>(last_));
            *out = static_cast<std::uint16_t>(last_);
            return true;
        }
        std::string_view word(std::uint16_t id) const { return *words_[id]; }
        size_t bytes() const { return words_.size() * 320; }

    private:
        static constexpr size_t kMaxWords = 4096;
        std::vector<std::unique_ptr<std::string>> words_;
        std::unordered_map<std::string_view, std::uint16_t> ids_;
        size_t last_ = 0;
    };

    std::string_view number(const Held& h) const {
        return std::string_view(numbers_).substr(h.number_at, h.number_size);
    }
    std::string_view trainee(std::uint32_t id) const {
        const auto& t = trainees_[id];
        return std::string_view(trainee_arena_).substr(t.first, t.second);
    }
    // What is held, counting the next growth of the row vector and of the numbers' arena.
    size_t bytes() const {
        const size_t rows =
            held_.size() == held_.capacity() ? 2 * held_.capacity() + 1 : held_.capacity();
        const size_t numbers = numbers_.size() + 64 > numbers_.capacity()
                                   ? 2 * numbers_.capacity() + 64
                                   : numbers_.capacity();
        return rows * sizeof(Held) + numbers + trainee_arena_.capacity() +
               trainees_.capacity() * sizeof(trainees_[0]) + courses_.bytes() + codes_.bytes() +
               providers_.bytes() + statuses_.bytes();
    }

    HugeVector<Held> held_;
    HugeString numbers_;
    HugeString trainee_arena_;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> trainees_;
    Words courses_, codes_, providers_, statuses_;
};

}  // namespace

namespace {

// A first sync's trainees whose numbers came out of order, held in memory until the end of the
// read and then inserted sorted by number. Their digest is updated in memory while later runs of
// their rows add to it, so each is written once, final. 40 bytes a trainee plus its number, name
// and affiliation. Bounded: past kMaxBytes, or for a value that does not fit, add() refuses and
// the caller stages the trainee in SQLite instead.
class HeldTrainees {
public:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
    static constexpr size_t kMaxBytes = size_t{48} << 20;

    struct Row {
        std::string_view trainee_no, name, affiliation;
        std::optional<Date> request_accepted_on, user_since;
        Digest digest;
    };

    // The trainee's id for set_digest(); kNone when it cannot be held.
    std::uint32_t add(const FeedRow& r, const Digest& digest) {
        const size_t text = r.trainee_no.size() + r.name.size() + r.affiliation.size();
        if (r.trainee_no.size() > 0xFFFF || r.name.size() > 0xFFFF ||
            r.affiliation.size() > 0xFFFF || held_.size() >= kNone ||
            text_.size() + text > 0xFFFFFFFFu || bytes() + sizeof(Held) + text > kMaxBytes)
            return kNone;
        Held h{};
        h.at = static_cast<std::uint32_t>(text_.size());
        h.no_size = static_cast<std::uint16_t>(r.trainee_no.size());
        h.name_size = static_cast<std::uint16_t>(r.name.size());
        h.affiliation_size = static_cast<std::uint16_t>(r.affiliation.size());
        h.accepted = day_of(r.request_accepted_on);
        h.since = day_of(r.user_since);
        h.digest = digest;
        text_.append(r.trainee_no).append(r.name).append(r.affiliation);
        held_.push_back(h);
        return static_cast<std::uint32_t>(held_.size() - 1);
    }
    void set_digest(std::uint32_t id, const Digest& d) { held_[id].digest = d; }

    size_t size() const { return held_.size(); }
    // Sorts by trainee number (memcmp order, as SQLite's BINARY collation); ids are void after.
    void sort() {
        std::sort(held_.begin(), held_.end(),
                  [this](const Held& a, const Held& b) { return number(a) < number(b); });
    }
    Row row(size_t i) const {
        const Held& h = held_[i];
        const std::string_view t(text_);
        return {number(h),
                t.substr(h.at + h.no_size, h.name_size),
                t.substr(h.at + h.no_size + h.name_size, h.affiliation_size),
                date_of(h.accepted),
                date_of(h.since),
                h.digest};
    }
    void clear() {
        HugeVector<Held>().swap(held_);
        HugeString().swap(text_);
    }

private:
    static constexpr std::int32_t kNoDate = std::numeric_limits<std::int32_t>::min();
    struct Held {
        std::uint32_t at;
        std::uint16_t no_size, name_size, affiliation_size;
        std::int32_t accepted, since;
        Digest digest;
    };
    static std::int32_t day_of(const std::optional<Date>& d) {
        return d ? static_cast<std::int32_t>(d->time_since_epoch().count()) : kNoDate;
    }
    static std::optional<Date> date_of(std::int32_t day) {
        if (day == kNoDate) return std::nullopt;
        return Date{std::chrono::days{day}};
    }
    std::string_view number(const Held& h) const {
        return std::string_view(text_).substr(h.at, h.no_size);
    }
    // What is held, counting the next growth of the vector and of the text arena.
    size_t bytes() const {
        const size_t rows =
            held_.size() == held_.capacity() ? 2 * held_.capacity() + 1 : held_.capacity();
        const size_t text =
            text_.size() + 1024 > text_.capacity() ? 2 * text_.capacity() + 1024 : text_.capacity();
        return rows * sizeof(Held) + text;
    }

    HugeVector<Held> held_;
    HugeString text_;
};

}  // namespace

namespace {

// The mirror's own columns of each trainee (name, affiliation, and its two dates as stored), read
// with the digests. A trainee of a grouped snapshot whose own columns changed (a night's renames)
// has its rows hashed again with the mirror's columns in place of the snapshot's: when they add
// up to the stored digest, its certificates are the mirror's, and neither they nor the mirror's
// are staged and compared; only its trainee row is written. About 80 bytes a trainee. Bounded:
// past kMaxBytes, or for a value that does not fit, add() refuses and that trainee is staged whole.
class MirrorColumns {
public:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
    static constexpr size_t kMaxBytes = size_t{32} << 20;

    struct Columns {
        std::string_view name, affiliation;
        std::optional<std::string> request_accepted_on, user_since;
    };

    void reserve(size_t trainees) { text_.reserve(std::min(trainees * 80, kMaxBytes / 2)); }

    // Where the columns are held, for get(); kNone when they cannot be.
    std::uint32_t add(std::string_view name, std::string_view affiliation,
                      const std::optional<std::string>& accepted,
                      const std::optional<std::string>& since) {
        const size_t size = kHeader + name.size() + affiliation.size() +
                            (accepted ? accepted->size() : 0) + (since ? since->size() : 0);
        const size_t grown = text_.size() + size > text_.capacity()
                                 ? std::max(2 * text_.capacity(), text_.size() + size)
                                 : text_.capacity();
        if (name.size() > 0xFFFF || affiliation.size() > 0xFFFF ||
            (accepted && accepted->size() >= kNoText) || (since && since->size() >= kNoText) ||
            grown > kMaxBytes)
            return kNone;
        const auto at = static_cast<std::uint32_t>(text_.size());
        const std::uint16_t sizes[2] = {static_cast<std::uint16_t>(name.size()),
                                        static_cast<std::uint16_t>(affiliation.size())};
        const unsigned char dates[2] = {
            static_cast<unsigned char>(accepted ? accepted->size() : kNoText),
            static_cast<unsigned char>(since ? since->size() : kNoText)};
        text_.append(reinterpret_cast<const char*>(sizes), sizeof sizes)
            .append(reinterpret_cast<const char*>(dates), sizeof dates)
            .append(name)
            .append(affiliation);
        if (accepted) text_.append(*accepted);
        if (since) text_.append(*since);
        return at;
    }

    Columns get(std::uint32_t at) const {
        std::uint16_t sizes[2];
        unsigned char dates[2];
        std::memcpy(sizes, text_.data() + at, sizeof sizes);
        std::memcpy(dates, text_.data() + at + sizeof sizes, sizeof dates);
        std::string_view t = std::string_view(text_).substr(at + kHeader);
        Columns c;
        c.name = t.substr(0, sizes[0]);
        c.affiliation = t.substr(sizes[0], sizes[1]);
        t.remove_prefix(size_t{sizes[0]} + sizes[1]);
        if (dates[0] != kNoText) {
            c.request_accepted_on.emplace(t.substr(0, dates[0]));
            t.remove_prefix(dates[0]);
        }
        if (dates[1] != kNoText) c.user_since.emplace(t.substr(0, dates[1]));
        return c;
    }

private:
    static constexpr size_t kHeader = 2 * sizeof(std::uint16_t) + 2;
    static constexpr unsigned char kNoText = 0xFF;  // a NULL date
    HugeString text_;
};

}  // namespace

struct SnapshotImport::Impl {
    Database& db;
    bool open = true;
    bool diffed = false;
    // The mirror was empty: rows go straight into main (no staging, nothing to compare).
    bool direct = false;
    SnapshotDiff diff;
    std::int64_t trainees = 0, certificates = 0;  // in the snapshot
    Statement insert_trainee;
    Statement insert_certificate;

    // Every trainee of the mirror and of the snapshot: its digest in each. The first pass sums
    // the snapshot's digests; between the passes the trainees that differ are marked; the second
    // pass stages their rows. (Direct mode: one pass; `split` marks the trainees whose rows
    // resumed after other trainees', whose digest is rewritten at the end.)
    // 80 bytes, for each of a quarter of a million trainees: the flags are packed together.
    struct TraineeState {
        Digest stored;   // in the mirror (when has_stored: a digest that may be trusted)
        Digest columns;  // in the mirror: its own columns (trainee_columns_digest)
        Digest file;     // the sum over the snapshot's rows so far
        // Staged by the first pass from its first run on (every row of it so far is staged):
        // its staged trainee row's rowid, whose digest is rewritten when later runs add to it.
        std::int64_t staged_row = 0;
        std::uint32_t held_trainee = HeldCertificates::kNone;  // direct mode: in `held`
        std::uint32_t held_row = HeldTrainees::kNone;          // direct mode: in `held_trainees`
        std::uint32_t mirror_columns = MirrorColumns::kNone;   // its columns in the mirror
        bool has_stored = false;
        bool in_mirror = false;
        bool in_file = false;
        bool changed = false;  // differs from the mirror: staged (first or second pass)
        bool split = false;
        bool written = false;  // direct mode: its row is in main.trainees (digest of its first run)
        bool columns_changed = false;  // staged, and its columns differ from the mirror's
        // Staged by the first pass (in stage_columns_of_trainees) for its columns alone: its
        // certificates are the mirror's (only_columns_differ).
        bool certificates_same = false;

        bool stored_is(const Digest& d) const { return has_stored && stored == d; }
    };
    static_assert(sizeof(TraineeState) <= 80);
    TraineeMap<TraineeState> states;
    MirrorColumns mirror_columns;
    int pass = 1;
    bool first_pass_ended = false, second_pass_wanted = false;
    // First pass, into a mirror with rows: a trainee whose first run already differs from the
    // mirror is staged at once (in a file grouped by trainee, a run is the whole trainee: no
    // second read for it). Once more than kMaxSplitTrainees trainees have shown rows after
    // another trainee's (a scattered file, where a first run says little), trainees met from then
    // on are decided at the end and the changed ones staged by a second pass; the ones staged
    // early that end up equal to the mirror are dropped from the staging tables. So that a file
    // whose trainees all come back later (every first row, then every second row) does not stage
    // everything on an unchanged night, early staging also stops past a quarter of the mirror's
    // trainees.
    static constexpr std::int64_t kMaxSplitTrainees = 64;
    bool stage_early = true;
    std::int64_t split_trainees = 0, staged_early = 0, mirror_trainees = 0;
    std::int64_t trainees_new = 0;  // in the snapshot, not in the mirror
    // The second pass's row lookup: the last trainee seen and its state.
    std::string last_no;
    TraineeState* last_state = nullptr;

    // First pass: the state of a row's trainee, found by its number once and then by the
    // parser's trainee_seq (a file sorted by date changes trainee on nearly every row).
    HugeVector<TraineeState*> by_seq;
    TraineeState& state_of(const FeedRow& row) {
        const std::uint32_t seq = row.trainee_seq;
        if (seq == FeedRow::kNoTraineeSeq) return states[row.trainee_no];
        if (seq < by_seq.size() && by_seq[seq]) return *by_seq[seq];
        if (seq >= by_seq.size()) by_seq.resize(static_cast<size_t>(seq) + 1, nullptr);
        by_seq[seq] = &states[row.trainee_no];  // TraineeMap entries do not move
        return *by_seq[seq];
    }

    // The current run: consecutive rows of one trainee, held until the trainee changes.
    std::vector<FeedRow> run;
    size_t run_size = 0;
    std::vector<StoredRow> rows;  // the run as stored (views into `run`)
    std::string buf;              // digest scratch

    // Two stages on two threads: the caller parses and validates rows and hands them over in
    // batches; a worker compares and writes them. Batches are recycled (their strings keep their
    // capacity) and at most kBatchesInFlight exist, so memory stays bounded.
    static constexpr size_t kBatchRows = 4096;
    static constexpr size_t kBatchesInFlight = 4;
    struct Batch {
        std::vector<FeedRow> rows;
        size_t size = 0;
    };
    std::unique_ptr<Batch> filling;
    std::mutex mu;
    std::condition_variable work_ready, space_ready;
    std::deque<std::unique_ptr<Batch>> queued;  // filled, waiting for the worker
    std::vector<std::unique_ptr<Batch>> spare;  // emptied by the worker
    size_t batches = 0;                         // in existence
    bool closing = false;                       // no more batches will come
    bool abandon = false;                       // stop now (rollback)
    std::string worker_error;                   // the first failure of the worker
    std::thread worker;

    Impl(Database& d, bool direct_into_main)
        : db(d),
          direct(direct_into_main),
          insert_trainee(d.prepare(fmt::format(kInsertTrainee, direct ? "main." : "temp.stage_"))),
          insert_certificate(
              d.prepare(fmt::format(kInsertCertificate, direct ? "main." : "temp.stage_"))) {}

    ~Impl() { stop_worker(true); }

    // Caller's side: the batch's next row, to be written in place and queued by push_slot();
    // nullptr when the worker has failed (its error in *err).
    FeedRow* slot(std::string* err) {
        if (!worker.joinable()) worker = std::thread([this] { work(); });
        if (!filling) filling = take_batch();
        if (!filling) {
            *err = worker_failure();
            return nullptr;
        }
        Batch& b = *filling;
        if (b.size == b.rows.size()) b.rows.emplace_back();
        return &b.rows[b.size];  // a recycled row: its strings keep their capacity
    }
    void push_slot() {
        if (++filling->size == kBatchRows) {
            std::lock_guard lock(mu);
            queued.push_back(std::move(filling));
            work_ready.notify_one();
        }
    }
    // Caller's side: queue one row (a copy); false when the worker has failed (*err).
    bool push(const FeedRow& row, std::string* err) {
        FeedRow* to = slot(err);
        if (!to) return false;
        *to = row;  // copy-assigns into kept strings
        push_slot();
        return true;
    }

    // A batch to fill: a spare one, a new one while fewer than kBatchesInFlight exist, or wait
    // for the worker to free one. nullptr when the worker failed.
    std::unique_ptr<Batch> take_batch() {
        std::unique_lock lock(mu);
        space_ready.wait(lock, [&] {
            return !worker_error.empty() || !spare.empty() || batches < kBatchesInFlight;
        });
        if (!worker_error.empty()) return nullptr;
        if (!spare.empty()) {
            auto b = std::move(spare.back());
            spare.pop_back();
            return b;
        }
        ++batches;
        return std::make_unique<Batch>();
    }

    std::string worker_failure() {
        std::lock_guard lock(mu);
        return worker_error;
    }

    void work() {
        for (;;) {
            std::unique_ptr<Batch> b;
            {
                std::unique_lock lock(mu);
                work_ready.wait(lock, [&] { return abandon || closing || !queued.empty(); });
                if (abandon || queued.empty()) return;
                b = std::move(queued.front());
                queued.pop_front();
            }
            try {
                for (size_t i = 0; i < b->size; ++i) consume(b->rows[i]);
            } catch (const std::exception& e) {
                std::lock_guard lock(mu);
                worker_error = e.what();
                space_ready.notify_all();
                return;
            }
            b->size = 0;
            std::lock_guard lock(mu);
            spare.push_back(std::move(b));
            space_ready.notify_one();
        }
    }

    // Hands over the last batch and waits for the worker to finish (abandon: stop at once).
    // Returns the worker's error, empty when none.
    std::string stop_worker(bool abandon_now) {
        if (!worker.joinable()) return {};
        {
            std::lock_guard lock(mu);
            if (filling && filling->size > 0 && !abandon_now) queued.push_back(std::move(filling));
            closing = true;
            abandon = abandon_now;
            work_ready.notify_all();
        }
        worker.join();
        if (!abandon_now) {  // ready for another pass: a new worker starts at the next push()
            std::lock_guard lock(mu);
            closing = false;
        }
        return worker_error;
    }

    // Worker's side: one row. First pass: into the current run. Second pass: staged when its
    // trainee differs from the mirror.
    void consume(const FeedRow& row) {
        if (pass == 2) {
            if (!last_state || last_no != row.trainee_no) {
                TraineeState* found = states.find(row.trainee_no);
                if (!found)
                    throw SqliteError(fmt::format("line {}: trainee {} was not in the first pass",
                                                  row.line, row.trainee_no),
                                      1);
                last_no = row.trainee_no;
                last_state = found;
            }
            if (!last_state->changed || last_state->staged_row != 0) return;
            StoredRow r(row);
            if (row.first_of_trainee) stage_trainee_row(r, last_state, last_state->file);
            put_certificate(r);
            return;
        }
        if (run_size > 0 && run.front().trainee_no != row.trainee_no) finish_run();
        if (run_size == run.size()) run.emplace_back();
        run[run_size++] = row;
    }

    // A trainee into the staging table, noting whether its columns differ from the mirror's.
    // Returns the row's rowid.
    std::int64_t stage_trainee_row(const StoredRow& r, TraineeState* st, const Digest& digest) {
        st->columns_changed = !st->in_mirror || r.trainee_columns(&buf) != st->columns;
        return put_trainee(insert_trainee, r, digest);
    }

    // Through `t`, an INSERT of kInsertTrainee; returns the row's rowid.
    std::int64_t put_trainee(Statement& t, const StoredRow& r, const Digest& digest) {
        std::string blob = digest_blob(digest);
        t.bind_static(1, r.trainee_no)
            .bind_static(2, r.name)
            .bind_static(3, r.affiliation)
            .bind(4, r.request_accepted_on)
            .bind(5, r.user_since)
            .bind_static_blob(6, blob.data(), static_cast<int>(blob.size()));
        t.run();
        t.reset();
        return db.last_insert_rowid();
    }
    // Direct mode writes a trainee into main.trainees while the trainee numbers come in order;
    // from the first one out of order on, the rest are held in memory (HeldTrainees: their
    // digest is completed there when later runs add to it) and inserted in key order at the end.
    // A trainee that cannot be held (past the memory bound) is staged with the digest of its
    // first run, rewritten at the end when its rows resume later, and inserted in key order by
    // one statement at the end.
    std::string last_trainee_no;
    bool unordered = false, trainees_staged = false;
    std::optional<Statement> stage_trainee;
    HeldTrainees held_trainees;

    // Direct mode: whether the run that starts with `first` can be appended to both tables (a
    // new trainee numbered above every one written so far); the first that cannot switches to
    // holding for the rest of the read.
    void note_run_order(const FeedRow& first) {
        if (unordered) return;
        if (first.first_of_trainee &&
            (last_trainee_no.empty() || first.trainee_no > last_trainee_no)) {
            last_trainee_no.assign(first.trainee_no);
            return;
        }
        unordered = true;
    }

    void put_first_trainee(const StoredRow& r, const FeedRow& row, const Digest& digest,
                           TraineeState* st) {
        if (!unordered) {
            put_trainee(insert_trainee, r, digest);
            st->written = true;
            return;
        }
        st->held_row = held_trainees.add(row, digest);
        if (st->held_row != HeldTrainees::kNone) return;
        if (!stage_trainee)
            stage_trainee.emplace(db.prepare(fmt::format(kInsertTrainee, "temp.stage_")));
        trainees_staged = true;
        auto& t = *stage_trainee;
        std::string blob = digest_blob(digest);
        t.bind_static(1, r.trainee_no)
            .bind_static(2, r.name)
            .bind_static(3, r.affiliation)
            .bind(4, r.request_accepted_on)
            .bind(5, r.user_since)
            .bind_static_blob(6, blob.data(), static_cast<int>(blob.size()));
        t.run();
        t.reset();
        st->staged_row = db.last_insert_rowid();
    }

    // Direct mode, at the end: the held trainees (sorted by number by then), then the staged
    // ones, into main.trainees.
    void insert_held_trainees() {
        // Dates and digests are bound as text and blobs kept in their row's slot until the step.
        std::array<std::optional<std::string>, kRowsPerInsert> accepted, since;
        std::array<std::string, kRowsPerInsert> blobs;
        insert_rows(db, insert_trainee, fmt::format(kInsertTrainee, "main."), 6,
                    held_trainees.size(), [&](Statement& t, int at, size_t i, size_t j) {
                        const auto h = held_trainees.row(i);
                        accepted[j] = date_text(h.request_accepted_on);
                        since[j] = date_text(h.user_since);
                        blobs[j] = digest_blob(h.digest);
                        t.bind_static(at + 1, h.trainee_no)
                            .bind_static(at + 2, h.name)
                            .bind_static(at + 3, h.affiliation);
                        if (accepted[j])
                            t.bind_static(at + 4, *accepted[j]);
                        else
                            t.bind_null(at + 4);
                        if (since[j])
                            t.bind_static(at + 5, *since[j]);
                        else
                            t.bind_null(at + 5);
                        t.bind_static_blob(at + 6, blobs[j].data(),
                                           static_cast<int>(blobs[j].size()));
                    });
        held_trainees.clear();
        if (trainees_staged)
            db.exec(
                "INSERT INTO main.trainees (trainee_no, name, affiliation, "
                "request_accepted_on, user_since, digest) SELECT trainee_no, name, "
                "affiliation, request_accepted_on, user_since, digest FROM "
                "temp.stage_trainees ORDER BY trainee_no");
    }

    // Direct mode writes into main.certificates, keyed by (trainee_no, file_order), while the
    // runs come in that order (appending to its B-tree is cheap); from the first run out of
    // order on, the rest are held in memory, compactly (HeldCertificates), sorted by key at the
    // end and inserted in that order: inserting a million keys at random places through a bounded
    // page cache costs several times more, and staging them in a table to sort them there costs
    // a copy and SQLite's external sort. A row that cannot be held (past the memory bound) is
    // staged in the staging table and inserted in key order from there.
    std::optional<Statement> stage_certificate;
    bool certificates_staged = false;
    HeldCertificates held;

    void put_certificate(const StoredRow& r, const FeedRow* row = nullptr,
                         TraineeState* st = nullptr) {
        Statement* s = &insert_certificate;
        if (direct && unordered) {
            if (st->held_trainee == HeldCertificates::kNone)
                st->held_trainee = held.add_trainee(r.trainee_no);
            if (held.add(r, row->cert.completed_on, st->held_trainee)) return;
            if (!stage_certificate)
                stage_certificate.emplace(
                    db.prepare(fmt::format(kInsertCertificate, "temp.stage_")));
            certificates_staged = true;
            s = &*stage_certificate;
        }
        s->bind_static(1, r.certificate_no)
            .bind_static(2, r.trainee_no)
            .bind_static(3, r.course)
            .bind_static(4, r.course_code)
            .bind_static(5, r.provider)
            .bind_static(6, r.completed_on)
            .bind_static(7, r.status)
            .bind(8, r.file_order);
        s->run();
        s->reset();
    }

    // Direct mode, at the end: the held certificates sorted by key, then the staged ones, into
    // main.certificates.
    void insert_held_certificates() {
        held.sort();
        // Each row's date is bound from its slot of `completed_on`, alive until the step.
        std::array<std::string, kRowsPerInsert> completed_on;
        insert_rows(db, insert_certificate, fmt::format(kInsertCertificate, "main."), 8,
                    held.size(), [&](Statement& s, int at, size_t i, size_t j) {
                        const auto h = held.row(i);
                        completed_on[j] = format_date(h.completed_on);
                        s.bind_static(at + 1, h.certificate_no)
                            .bind_static(at + 2, h.trainee_no)
                            .bind_static(at + 3, h.course)
                            .bind_static(at + 4, h.course_code)
                            .bind_static(at + 5, h.provider)
                            .bind_static(at + 6, completed_on[j])
                            .bind_static(at + 7, h.status)
                            .bind(at + 8, h.file_order);
                    });
        held.clear();
        if (certificates_staged)
            db.exec(
                "INSERT INTO main.certificates (certificate_no, trainee_no, course, course_code, "
                "provider, completed_on, status, file_order) SELECT certificate_no, trainee_no, "
                "course, course_code, provider, completed_on, status, file_order FROM "
                "temp.stage_certificates ORDER BY trainee_no, file_order");
    }

    // Whether a trainee's first run differs from the mirror in the trainee's own columns alone:
    // its columns differ, and its rows hashed with the mirror's columns in their place add up to
    // the digest stored for it (trusted as the unchanged trainees' digests are).
    bool only_columns_differ(const TraineeState& st) {
        if (!st.has_stored || st.mirror_columns == MirrorColumns::kNone) return false;
        if (rows.front().trainee_columns(&buf) == st.columns) return false;
        const MirrorColumns::Columns was = mirror_columns.get(st.mirror_columns);
        Digest digest;
        for (const StoredRow& r : rows)
            digest.add(r.digest_with(was.name, was.affiliation, was.request_accepted_on,
                                     was.user_since, &buf));
        return st.stored_is(digest);
    }
    // A trainee whose columns alone changed into temp.stage_columns_of_trainees; returns its rowid.
    std::optional<Statement> columns_only;
    std::int64_t stage_columns_only(const StoredRow& r, const Digest& digest) {
        if (!columns_only)
            columns_only.emplace(db.prepare(fmt::format(kInsertTrainee, "temp.stage_columns_of_")));
        return put_trainee(*columns_only, r, digest);
    }
    // A trainee staged for its columns alone (its row `rowid` there) into stage_trainees, with the
    // mirror's certificates; returns its rowid there.
    std::optional<Statement> restage_trainee, unstage_columns, stage_mirror_certificates;
    std::int64_t stage_whole(std::string_view trainee_no, std::int64_t rowid) {
        if (!restage_trainee) {
            restage_trainee.emplace(db.prepare(
                "INSERT INTO temp.stage_trainees (trainee_no, name, affiliation, "
                "request_accepted_on, user_since, digest) SELECT trainee_no, name, affiliation, "
                "request_accepted_on, user_since, digest FROM temp.stage_columns_of_trainees "
                "WHERE rowid = ?"));
            unstage_columns.emplace(
                db.prepare("DELETE FROM temp.stage_columns_of_trainees WHERE rowid = ?"));
            stage_mirror_certificates.emplace(db.prepare(
                "INSERT INTO temp.stage_certificates (certificate_no, trainee_no, course, "
                "course_code, provider, completed_on, status, file_order) SELECT certificate_no, "
                "trainee_no, course, course_code, provider, completed_on, status, file_order FROM "
                "main.certificates WHERE trainee_no = ?"));
        }
        restage_trainee->bind(1, rowid);
        restage_trainee->run();
        restage_trainee->reset();
        const std::int64_t staged = db.last_insert_rowid();
        unstage_columns->bind(1, rowid);
        unstage_columns->run();
        unstage_columns->reset();
        stage_mirror_certificates->bind(1, trainee_no);
        stage_mirror_certificates->run();
        stage_mirror_certificates->reset();
        return staged;
    }

    // The run ends (first pass): its rows' digests are added to the trainee's. Direct mode also
    // writes the rows: the trainee's row at its first run, with the digest so far.
    void finish_run() {
        if (run_size == 0) return;
        const FeedRow& first = run.front();
        rows.clear();
        Digest run_digest;
        for (size_t i = 0; i < run_size; ++i) {
            rows.emplace_back(run[i]);
            run_digest.add(rows.back().digest(&buf));
        }
        run_size = 0;
        TraineeState& st = state_of(first);
        bool write = direct;
        if (direct) note_run_order(first);
        if (first.first_of_trainee) {
            ++trainees;
            st.in_file = true;
            if (!st.in_mirror) ++trainees_new;
            if (direct) {
                put_first_trainee(rows.front(), first, run_digest, &st);
            } else if (stage_early && !st.stored_is(run_digest)) {
                if (only_columns_differ(st)) {
                    st.staged_row = stage_columns_only(rows.front(), run_digest);
                    st.columns_changed = true;
                    st.certificates_same = true;
                } else {
                    st.staged_row = stage_trainee_row(rows.front(), &st, run_digest);
                    write = true;
                }
                if (++staged_early > mirror_trainees / 4 + kMaxSplitTrainees) stage_early = false;
            }
        } else {
            if (!st.split && ++split_trainees > kMaxSplitTrainees) stage_early = false;
            st.split = true;
            if (st.certificates_same) {
                // Its first run alone held the mirror's certificates: with more rows they differ.
                // It is staged whole, as a trainee staged early is, its first run's certificates
                // copied from the mirror (where its digest says they are).
                st.staged_row = stage_whole(first.trainee_no, st.staged_row);
                st.certificates_same = false;
            }
            write = write || st.staged_row != 0;
        }
        st.file.add(run_digest);
        if (write)
            for (size_t i = 0; i < rows.size(); ++i) put_certificate(rows[i], &run[i], &st);
    }

    // After the last row of the first pass (worker stopped): direct mode rewrites the digests
    // of split trainees; otherwise the trainees that differ from the mirror are marked, and
    // whether a second pass is wanted is known.
    void end_first_pass() {
        finish_run();
        if (direct) {
            // The trainees whose rows resumed after other trainees': their digest is the sum
            // over all their runs, in main.trainees (written at their first run), held or staged.
            std::optional<Statement> upd_main, upd_staged;
            for (const auto& [no, st] : states) {
                if (!st.split) continue;
                if (st.held_row != HeldTrainees::kNone) {
                    held_trainees.set_digest(st.held_row, st.file);
                    continue;
                }
                std::string blob = digest_blob(st.file);
                if (st.written) {
                    if (!upd_main)
                        upd_main.emplace(
                            db.prepare("UPDATE main.trainees SET digest = ? WHERE trainee_no = ?"));
                    upd_main->bind_blob(1, blob.data(), static_cast<int>(blob.size())).bind(2, no);
                    upd_main->run();
                    upd_main->reset();
                } else {
                    if (!upd_staged)
                        upd_staged.emplace(db.prepare(
                            "UPDATE temp.stage_trainees SET digest = ? WHERE rowid = ?"));
                    upd_staged->bind_blob(1, blob.data(), static_cast<int>(blob.size()))
                        .bind(2, st.staged_row);
                    upd_staged->run();
                    upd_staged->reset();
                }
            }
            if (unordered) {
                // The held trainees (their digests now final) are sorted on a second thread
                // while this one sorts and inserts the held certificates: the read's worker
                // is idle by now, and each sort is a tenth of a second or more.
                std::jthread trainee_sort([this] { held_trainees.sort(); });
                insert_held_certificates();
                trainee_sort.join();
                insert_held_trainees();
            }
        } else {
            // Staged early: a split trainee's digest is its sum over every run; one that ends up
            // equal to the mirror leaves the staging tables.
            auto digest = db.prepare("UPDATE temp.stage_trainees SET digest = ? WHERE rowid = ?");
            std::optional<Statement> unstage;
            for (auto [no, st] : states) {
                st.changed = st.in_file && !st.stored_is(st.file);
                if (st.staged_row == 0) {
                    second_pass_wanted = second_pass_wanted || st.changed;
                } else if (!st.changed) {
                    if (!unstage)
                        unstage.emplace(db.prepare("INSERT INTO temp.unstaged VALUES (?)"));
                    unstage->bind(1, no);
                    unstage->run();
                    unstage->reset();
                } else if (st.split) {
                    std::string blob = digest_blob(st.file);
                    digest.bind_blob(1, blob.data(), static_cast<int>(blob.size()))
                        .bind(2, st.staged_row);
                    digest.run();
                    digest.reset();
                }
            }
            if (unstage)
                db.exec(
                    "DELETE FROM temp.stage_trainees WHERE trainee_no IN (SELECT trainee_no FROM "
                    "temp.unstaged); DELETE FROM temp.stage_certificates WHERE trainee_no IN "
                    "(SELECT trainee_no FROM temp.unstaged); DELETE FROM "
                    "temp.stage_columns_of_trainees WHERE trainee_no IN (SELECT trainee_no FROM "
                    "temp.unstaged);");
        }
        first_pass_ended = true;
        pass = 2;
    }
};

namespace {

// Every staging table an import may leave in temp.
constexpr std::string_view kDropStagingTables =
    "DROP TABLE IF EXISTS temp.stage_trainees; DROP TABLE IF EXISTS temp.stage_certificates; "
    "DROP TABLE IF EXISTS temp.stage_columns_of_trainees; "
    "DROP TABLE IF EXISTS temp.removed_trainees; DROP TABLE IF EXISTS temp.certificate_changes; "
    "DROP TABLE IF EXISTS temp.vanished; DROP TABLE IF EXISTS temp.unstaged; ";

// What an import starts from: whether the mirror holds rows, and each of its trainees with the
// digest stored for it.
struct MirrorDigests {
    bool empty = true;
    TraineeMap<SnapshotImport::Impl::TraineeState> states;
    MirrorColumns columns;  // of the trainees with a digest to trust

    static MirrorDigests read(Database& db, bool compare_every_row) {
        MirrorDigests d;
        // Whether the mirror holds rows, without counting a million certificates (a walk over
        // every page of the table).
        const std::int64_t trainees = count(db, "SELECT count(*) FROM main.trainees");
        d.empty =
            trainees == 0 && count(db, "SELECT EXISTS (SELECT 1 FROM main.certificates)") == 0;
        if (d.empty) return d;
        d.states.reserve(static_cast<size_t>(trainees));
        if (!compare_every_row) d.columns.reserve(static_cast<size_t>(trainees));
        auto st = db.prepare(
            "SELECT trainee_no, digest, name, affiliation, request_accepted_on, user_since FROM "
            "main.trainees");
        std::string buf;
        while (st.step()) {
            SnapshotImport::Impl::TraineeState k;
            k.in_mirror = true;
            if (!st.is_null(1) && !compare_every_row) {
                if (auto stored = digest_from_blob(st.column_blob(1))) {
                    k.stored = *stored;
                    k.has_stored = true;
                }
            }
            const auto accepted = st.column_opt_text(4), since = st.column_opt_text(5);
            k.columns =
                trainee_columns_digest(st.column_view(2), st.column_view(3), accepted, since, &buf);
            if (k.has_stored)
                k.mirror_columns =
                    d.columns.add(st.column_view(2), st.column_view(3), accepted, since);
            d.states[st.column_view(0)] = k;
        }
        return d;
    }

    std::unique_ptr<SnapshotImport::Impl> into_import(Database& db) {
        auto impl = std::make_unique<SnapshotImport::Impl>(db, empty);
        if (!empty) {
            impl->mirror_trainees = static_cast<std::int64_t>(states.size());
            impl->states = std::move(states);
            impl->mirror_columns = std::move(columns);
        }
        return impl;
    }
};

std::int64_t data_version(Database& db) { return count(db, "PRAGMA data_version"); }

}  // namespace

// The read ahead: its own connection, so that the store's connection stays the caller's alone.
// PRAGMA data_version, read before the digests and again once the import holds the write lock,
// differs when any other connection committed in between; the digests are then not used.
struct DigestsAhead::Impl {
    std::string path;
    bool compare_every_row = false;
    std::unique_ptr<Database> db;
    std::int64_t version = 0;
    MirrorDigests digests;
    bool ok = false;
    std::jthread reader;

    void read() {
        try {
            db = std::make_unique<Database>(path, Database::Mode::ReadOnly);
            version = data_version(*db);
            digests = MirrorDigests::read(*db, compare_every_row);
            ok = true;
        } catch (const std::exception&) {  // on this thread: nothing may escape it
            ok = false;                    // begin_import reads the digests itself
        }
    }
    void join() {
        if (reader.joinable()) reader.join();
    }
    // Called by begin_import under the write lock: nothing can commit from now on.
    bool current(bool compare) {
        join();
        if (!ok || compare != compare_every_row) return false;
        try {
            return data_version(*db) == version;
        } catch (const SqliteError&) {
            return false;
        }
    }
    std::unique_ptr<SnapshotImport::Impl> take(Database& import_db) {
        ok = false;
        db.reset();
        return digests.into_import(import_db);
    }
};

DigestsAhead::DigestsAhead(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DigestsAhead::~DigestsAhead() = default;  // the jthread joins
void DigestsAhead::wait() { impl_->join(); }

std::unique_ptr<DigestsAhead> MirrorStore::read_digests_ahead(bool compare_every_row) {
    auto impl = std::make_unique<DigestsAhead::Impl>();
    impl->path = path_;
    impl->compare_every_row = compare_every_row;
    DigestsAhead::Impl* p = impl.get();
    impl->reader = std::jthread([p] { p->read(); });
    return std::unique_ptr<DigestsAhead>(new DigestsAhead(std::move(impl)));
}

std::unique_ptr<SnapshotImport> MirrorStore::begin_import(std::string* err, bool compare_every_row,
                                                          std::unique_ptr<DigestsAhead> ahead) {
    if (sodium_init() < 0) {
        *err = "cannot start the import: libsodium failed to initialise";
        return nullptr;
    }
    try {
        db_->exec(fmt::format("PRAGMA main.cache_size = -{0}; PRAGMA temp.cache_size = -{0};",
                              kImportCacheKiB));
        // This build of SQLite overwrites deleted content (SECURE_DELETE). The staging
        // tables' temporary file is never read again once they are dropped; writing zeros
        // over their pages was most of what the drop cost.
        db_->exec("PRAGMA temp.secure_delete = OFF");
        db_->exec("BEGIN IMMEDIATE");
        try {
            db_->exec(kDropStagingTables);
            db_->exec(R"sql(
CREATE TEMP TABLE stage_trainees (
    trainee_no TEXT NOT NULL, name TEXT NOT NULL, affiliation TEXT NOT NULL,
    request_accepted_on TEXT, user_since TEXT, digest BLOB);
CREATE TEMP TABLE stage_columns_of_trainees (
    trainee_no TEXT NOT NULL, name TEXT NOT NULL, affiliation TEXT NOT NULL,
    request_accepted_on TEXT, user_since TEXT, digest BLOB);
CREATE TEMP TABLE stage_certificates (
    certificate_no TEXT NOT NULL, trainee_no TEXT NOT NULL, course TEXT NOT NULL,
    course_code TEXT NOT NULL, provider TEXT NOT NULL, completed_on TEXT NOT NULL,
    status TEXT NOT NULL, file_order INTEGER NOT NULL,
    PRIMARY KEY (trainee_no, file_order)) WITHOUT ROWID;
CREATE TEMP TABLE removed_trainees (trainee_no TEXT NOT NULL);
CREATE TEMP TABLE unstaged (trainee_no TEXT NOT NULL);
)sql");
            auto impl = ahead && ahead->impl_->current(compare_every_row)
                            ? ahead->impl_->take(*db_)
                            : MirrorDigests::read(*db_, compare_every_row).into_import(*db_);
            return std::unique_ptr<SnapshotImport>(new SnapshotImport(std::move(impl)));
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

namespace {
constexpr std::string_view kImportCacheDone =
    "PRAGMA main.cache_size = -2000; PRAGMA temp.cache_size = -2000;";
}  // namespace

void SnapshotImport::rollback() {
    if (!impl_ || !impl_->open) return;
    impl_->open = false;
    impl_->stop_worker(true);  // before the connection is touched again
    try {
        impl_->db.exec("ROLLBACK");
    } catch (...) {
        // Nothing more to do: the connection rolls back when it closes.
    }
    try {
        impl_->db.exec(fmt::format("{}{}", kDropStagingTables, kImportCacheDone));
    } catch (...) {
    }
}

namespace {
// Whether an import takes rows now (add, row_to_fill); *err says why not.
bool takes_rows(const SnapshotImport::Impl& m, std::string* err) {
    if (!m.open || m.diffed) {
        *err = "the import is closed";
        return false;
    }
    if (m.first_pass_ended && !m.second_pass_wanted) {
        *err = "the import wants no second pass";
        return false;
    }
    return true;
}
}  // namespace

FeedRow* SnapshotImport::row_to_fill(std::string* err) {
    Impl& m = *impl_;
    if (!takes_rows(m, err)) return nullptr;
    FeedRow* row = m.slot(err);
    if (!row) {
        *err = fmt::format("cannot stage the rows: {}", *err);
        rollback();
    }
    return row;
}

bool SnapshotImport::add_filled(std::string* err) {
    Impl& m = *impl_;
    if (!m.open || m.diffed || !m.filling) {
        *err = "the import has no row to add";
        return false;
    }
    m.push_slot();
    if (!m.first_pass_ended) ++m.certificates;
    return true;
}

bool SnapshotImport::add(const FeedRow& row, std::string* err) {
    Impl& m = *impl_;
    if (!takes_rows(m, err)) return false;
    if (!m.push(row, err)) {
        *err = fmt::format("cannot stage the rows up to line {}: {}", row.line, *err);
        rollback();
        return false;
    }
    if (!m.first_pass_ended) ++m.certificates;
    return true;
}

namespace {

// One ordered merge of the staged certificates with the mirror's rows of the staged and removed
// trainees, both read in key order (trainee_no, file_order): a staged row at a place the mirror
// does not fill, or that differs from the mirror's row there, goes into temp.certificate_changes
// (with the mirror's number at that place, NULL when none); a mirror row at a place no staged row
// fills goes into temp.vanished. (Two SQL passes, a LEFT JOIN and a NOT EXISTS over an index
// built for it, cost twice as much on a night's 180,000 staged rows.)
void compare_staged_certificates(Database& db) {
    db.exec(
        "CREATE TEMP TABLE certificate_changes (certificate_no TEXT NOT NULL, trainee_no TEXT "
        "NOT NULL, course TEXT NOT NULL, course_code TEXT NOT NULL, provider TEXT NOT NULL, "
        "completed_on TEXT NOT NULL, status TEXT NOT NULL, file_order INTEGER NOT NULL, old_no "
        "TEXT); CREATE TEMP TABLE vanished (trainee_no TEXT NOT NULL, file_order INTEGER NOT "
        "NULL, certificate_no TEXT NOT NULL);");
    // Columns 0..7 of both: trainee_no, file_order, certificate_no, course, course_code,
    // provider, completed_on, status.
    auto staged = db.prepare(
        "SELECT trainee_no, file_order, certificate_no, course, course_code, provider, "
        "completed_on, status FROM temp.stage_certificates ORDER BY trainee_no, file_order");
    auto mirror = db.prepare(
        "SELECT trainee_no, file_order, certificate_no, course, course_code, provider, "
        "completed_on, status FROM main.certificates WHERE trainee_no IN (SELECT trainee_no FROM "
        "temp.stage_trainees UNION ALL SELECT trainee_no FROM temp.removed_trainees) ORDER BY "
        "trainee_no, file_order");
    auto change = db.prepare(
        "INSERT INTO temp.certificate_changes (trainee_no, file_order, certificate_no, "
        "course, course_code, provider, completed_on, status, old_no) VALUES (?, ?, "
        "?, ?, ?, ?, ?, ?, ?)");
    auto vanish = db.prepare(
        "INSERT INTO temp.vanished (trainee_no, file_order, certificate_no) VALUES (?, ?, ?)");
    auto changed = [&](std::optional<std::string_view> old_no) {
        for (int c = 0; c < 8; ++c) change.bind_column(c + 1, staged, c);
        if (old_no)
            change.bind(9, *old_no);
        else
            change.bind_null(9);
        change.run();
        change.reset();
    };
    bool s = staged.step(), t = mirror.step();
    while (s || t) {
        int order = 0;  // staged row's key against the mirror row's
        if (!t) {
            order = -1;
        } else if (!s) {
            order = 1;
        } else {
            // SQLite's BINARY collation is memcmp, then length: string_view's compare.
            order = staged.column_view(0).compare(mirror.column_view(0));
            if (order == 0) {
                const std::int64_t a = staged.column_int(1), b = mirror.column_int(1);
                order = a < b ? -1 : a > b ? 1 : 0;
            }
        }
        if (order < 0) {
            changed(std::nullopt);
            s = staged.step();
        } else if (order > 0) {
            vanish.bind(1, mirror.column_view(0))
                .bind(2, mirror.column_int(1))
                .bind(3, mirror.column_view(2));
            vanish.run();
            vanish.reset();
            t = mirror.step();
        } else {
            // Two certificates at the same place are the same when their other columns are.
            bool same = true;
            for (int c = 2; c < 8 && same; ++c)
                same = staged.column_view(c) == mirror.column_view(c);
            if (!same) changed(mirror.column_view(2));
            s = staged.step();
            t = mirror.step();
        }
    }
}

}  // namespace

bool SnapshotImport::end_first_pass(bool* second_pass, std::string* err) {
    Impl& m = *impl_;
    if (!m.open || m.diffed || m.first_pass_ended) {
        *err = "the import is closed or its first pass has ended";
        return false;
    }
    try {
        if (std::string e = m.stop_worker(false); !e.empty()) throw SqliteError(e, 1);
        m.end_first_pass();
        *second_pass = m.second_pass_wanted;
        return true;
    } catch (const SqliteError& e) {
        *err = fmt::format("cannot compare the snapshot with {}: {}", m.db.path(), e.what());
        rollback();
        return false;
    }
}

// The staged trainees against the mirror's primary key, and the staged certificates against the
// mirror's rows at their places, then by number, find what is added or changed (kept in
// temp.certificate_changes for commit()); the trainees never seen are the removed ones; the
// removed certificates follow from the totals.
bool SnapshotImport::diff(SnapshotDiff* out, std::string* err) {
    Impl& m = *impl_;
    if (!m.open || m.diffed) {
        *err = "the import is closed";
        return false;
    }
    Database& db = m.db;
    try {
        if (std::string e = m.stop_worker(false); !e.empty()) throw SqliteError(e, 1);
        if (!m.first_pass_ended) {
            m.end_first_pass();
            if (m.second_pass_wanted)
                throw SqliteError(
                    "the snapshot differs from the mirror: its rows must be given a second time "
                    "(end_first_pass) before the comparison",
                    1);
        }
        SnapshotDiff d;
        d.trainees_after = m.trainees;
        d.certificates_after = m.certificates;
        if (m.direct) {
            d.trainees_added = m.trainees;
            d.certificates_added = m.certificates;
        } else {
            auto removed = db.prepare("INSERT INTO temp.removed_trainees VALUES (?)");
            for (const auto& [no, k] : m.states) {
                d.trainees_before += k.in_mirror;
                if (!k.in_mirror || k.in_file) continue;
                removed.bind(1, no);
                removed.run();
                removed.reset();
                ++d.trainees_removed;
            }
            d.trainees_added = m.trainees_new;
            // The staged trainees of the mirror whose own columns differ (the others are staged
            // for their certificates), told by the columns' digests: no read of the mirror.
            for (const auto& [no, k] : m.states)
                d.trainees_changed += k.in_mirror && k.changed && k.columns_changed;
            // A snapshot certificate is added, changed or the same by its number. An unchanged
            // trainee's certificates are all in the snapshot, in their places: a staged
            // certificate's number can only be in the mirror under a staged or a removed
            // trainee. The staged rows are compared with the mirror's at their place (trainee_no,
            // file_order: the table's key) first (compare_staged_certificates); those that differ
            // there (temp.certificate_changes, with the number the mirror has at that place), and
            // the mirror's rows at places the snapshot no longer fills or of removed trainees
            // (temp.vanished), are all that can differ by number. A changed row's number is among
            // the numbers those hold; an added row's is not.
            compare_staged_certificates(db);
            const std::int64_t differing =
                count(db, "SELECT count(*) FROM temp.certificate_changes");
            d.certificates_changed =
                count(db,
                      "SELECT count(*) FROM temp.certificate_changes WHERE certificate_no IN "
                      "(SELECT old_no "
                      "FROM temp.certificate_changes WHERE old_no IS NOT NULL UNION ALL SELECT "
                      "certificate_no FROM temp.vanished)");
            d.certificates_added = differing - d.certificates_changed;
            // The mirror's rows, without counting its million: an unchanged trainee's rows fill
            // the same places in the snapshot, and every staged row fills a place the mirror has
            // (old_no not NULL) or a new one; the mirror's other rows are the vanished ones. So
            // before = after - (rows at new places) + (vanished rows).
            d.certificates_before =
                d.certificates_after -
                count(db, "SELECT count(*) FROM temp.certificate_changes WHERE old_no IS NULL") +
                count(db, "SELECT count(*) FROM temp.vanished");
            // Certificate numbers are unique in the file (the parser checks), and an unchanged
            // trainee's certificates are all in the mirror: every snapshot certificate not added
            // matches exactly one mirror row.
            d.certificates_removed =
                d.certificates_before - (d.certificates_after - d.certificates_added);
        }
        m.diffed = true;
        m.diff = d;
        *out = d;
        return true;
    } catch (const SqliteError& e) {
        *err = fmt::format("cannot compare the snapshot with {}: {}", db.path(), e.what());
        rollback();
        return false;
    }
}

SnapshotImport::Staged SnapshotImport::staged() {
    Impl& m = *impl_;
    if (!m.open || !m.diffed) return {};
    return {.trainees = count(m.db, "SELECT count(*) FROM temp.stage_trainees"),
            .columns_only = count(m.db, "SELECT count(*) FROM temp.stage_columns_of_trainees"),
            .certificates = count(m.db, "SELECT count(*) FROM temp.stage_certificates")};
}

namespace {

// Runs `write`, a one-row statement, for each row of the query `rows`, its parameters bound to the
// row's columns in order. One row to a statement: an INSERT … SELECT (or an UPDATE of many rows)
// that may fail part-way keeps a statement journal, SQLite's copy of every page the statement
// changes so that the statement alone can be undone. A night's sync changes most of the mirror's
// pages, and that copy went to a temporary file: about 80 MB of writes, none of them needed, as
// any failure rolls back the whole transaction.
void write_each(Database& db, std::string_view rows, std::string_view write) {
    auto from = db.prepare(rows);
    auto to = db.prepare(write);
    const int columns = from.column_count();
    while (from.step()) {
        for (int c = 0; c < columns; ++c) to.bind_column(c + 1, from, c);
        to.run();
        to.reset();
    }
}

}  // namespace

bool SnapshotImport::commit(const FeedState& state, std::string* err) {
    if (!impl_->open || !impl_->diffed) {
        *err = impl_->open ? "the import must be compared (diff) before it is applied"
                           : "the import is closed";
        return false;
    }
    Impl& m = *impl_;
    Database& db = m.db;
    const SnapshotDiff& d = m.diff;
    try {
        if (!m.direct) {
            // Certificates are written by their place (trainee_no, file_order): the places the
            // snapshot no longer fills (removed trainees' included) are emptied, the staged rows
            // that differ at their place written.
            db.exec(
                "DELETE FROM main.certificates WHERE (trainee_no, file_order) IN (SELECT "
                "trainee_no, file_order FROM temp.vanished)");
            if (d.trainees_removed > 0)
                db.exec(
                    "DELETE FROM main.trainees WHERE trainee_no IN (SELECT trainee_no FROM "
                    "temp.removed_trainees)");
            // Every staged trainee: the changed ones and, unchanged in their columns, those whose
            // certificates changed (their digest did).
            write_each(db,
                       "SELECT trainee_no, name, affiliation, request_accepted_on, user_since, "
                       "digest FROM temp.stage_trainees ORDER BY trainee_no",
                       "INSERT INTO main.trainees (trainee_no, name, affiliation, "
                       "request_accepted_on, user_since, digest) VALUES (?, ?, ?, ?, ?, ?) ON "
                       "CONFLICT (trainee_no) DO UPDATE SET name = excluded.name, affiliation = "
                       "excluded.affiliation, request_accepted_on = excluded.request_accepted_on, "
                       "user_since = excluded.user_since, digest = excluded.digest");
            // The trainees whose columns alone changed: their certificates are the mirror's.
            write_each(db,
                       "SELECT trainee_no, name, affiliation, request_accepted_on, user_since, "
                       "digest FROM temp.stage_columns_of_trainees ORDER BY trainee_no",
                       "UPDATE main.trainees SET name = ?2, affiliation = ?3, "
                       "request_accepted_on = ?4, user_since = ?5, digest = ?6 WHERE trainee_no = "
                       "?1");
            write_each(db,
                       "SELECT certificate_no, trainee_no, course, course_code, provider, "
                       "completed_on, status, file_order FROM temp.certificate_changes ORDER BY "
                       "trainee_no, file_order",
                       "INSERT INTO main.certificates (certificate_no, trainee_no, course, "
                       "course_code, provider, completed_on, status, file_order) VALUES (?, ?, ?, "
                       "?, ?, ?, ?, ?) ON CONFLICT (trainee_no, file_order) DO UPDATE SET "
                       "certificate_no = excluded.certificate_no, course = excluded.course, "
                       "course_code = excluded.course_code, provider = excluded.provider, "
                       "completed_on = excluded.completed_on, status = excluded.status");
        }
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
            .bind(5, m.trainees)
            .bind(6, m.certificates);
        fs.run();
        // The staging tables were created in this transaction: dropped in it, their pages are
        // never written to the temporary file (at COMMIT, and again by a DROP after it).
        db.exec(kDropStagingTables);
        db.exec("COMMIT");
        m.open = false;
        db.exec(kImportCacheDone);
        return true;
    } catch (const SqliteError& e) {
        if (m.open) {
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
