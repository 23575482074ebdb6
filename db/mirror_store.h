// The mirror of the records office's training records (mirror.db): trainees, their certificates
// and the state of the snapshot they came from. Each trainee carries a digest of its rows: a
// lookup recomputes it and refuses a record changed outside a sync. The kiosk only reads it
// (find_trainee, feed_state); the nightly sync replaces its contents through a SnapshotImport,
// which stages the new snapshot beside the old one, computes the difference and applies it as ONE
// transaction: readers in other processes keep seeing the old snapshot (WAL) until COMMIT, and a
// rejected or failed import leaves mirror.db exactly as it was.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/feed_parser.h"
#include "kiosk/ports.h"

namespace kiosk::db {

class Database;

// How a staged snapshot differs from the mirror.
struct SnapshotDiff {
    std::int64_t trainees_added = 0, trainees_changed = 0, trainees_removed = 0;
    std::int64_t certificates_added = 0, certificates_changed = 0, certificates_removed = 0;
    std::int64_t trainees_before = 0, certificates_before = 0;  // in the mirror now
    std::int64_t trainees_after = 0, certificates_after = 0;    // in the snapshot
    bool operator==(const SnapshotDiff&) const = default;
};

// A snapshot being imported. Holds mirror.db's write lock (BEGIN IMMEDIATE) from begin_import()
// until commit() or destruction (which rolls back). Staging lives in TEMP tables, so nothing is
// written to mirror.db before commit().
class SnapshotImport {
public:
    ~SnapshotImport();
    SnapshotImport(const SnapshotImport&) = delete;
    SnapshotImport& operator=(const SnapshotImport&) = delete;

    // Takes one validated row (rows of one trainee carry the same trainee-level columns).
    // First pass: every row of the snapshot, in file order. Second pass (when asked for by
    // end_first_pass()): the same rows again, in the same order.
    bool add(const FeedRow& row, std::string* err);
    // The same without a copy of the row: the caller writes it into row_to_fill(), then queues it
    // with add_filled(). row_to_fill() is nullptr, with *err, when the import cannot take rows.
    FeedRow* row_to_fill(std::string* err);
    bool add_filled(std::string* err);
    // Ends the first pass. The mirror's trainees are compared with the snapshot's by digest;
    // *second_pass says whether the rows must be given again, so that the trainees that differ
    // and were not staged by the first pass can be staged (never for an empty mirror, whose rows
    // were written straight away, nor when nothing differs). The first pass stages a trainee
    // whose first run of rows already differs from the mirror, so a file grouped by trainee
    // needs no second read; a trainee's rows may also be scattered across the file: it is
    // compared as a whole, and staged by the second read when it differs.
    bool end_first_pass(bool* second_pass, std::string* err);
    // Compares the staged snapshot with the mirror. Call once, after the last add() (of the
    // second pass, when there is one); ends the first pass itself when it was not ended and no
    // second pass is needed.
    bool diff(SnapshotDiff* out, std::string* err);
    // Applies only the differences and `state` (its counts are taken from the snapshot), then
    // COMMITs. On failure everything is rolled back. diff() must have been called.
    bool commit(const FeedState& state, std::string* err);
    // Drops the staged snapshot; the mirror is unchanged. Also done by the destructor.
    void rollback();
    // What the import staged, between diff() and commit() (zeros otherwise): the trainees staged
    // with their certificates, those staged for their own columns alone (their certificates are
    // the mirror's), and the certificates. For tests and measurements.
    struct Staged {
        std::int64_t trainees = 0, columns_only = 0, certificates = 0;
        bool operator==(const Staged&) const = default;
    };
    Staged staged();

    struct Impl;  // defined in mirror_store.cpp

private:
    friend class MirrorStore;
    explicit SnapshotImport(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// The mirror's per-trainee digests, read for the next import on a thread and a connection of
// their own while the caller does other work (MirrorStore::read_digests_ahead). Destroying it
// waits for that read to end.
class DigestsAhead {
public:
    ~DigestsAhead();
    DigestsAhead(const DigestsAhead&) = delete;
    void wait();  // until the read has ended
    DigestsAhead& operator=(const DigestsAhead&) = delete;

private:
    friend class MirrorStore;
    struct Impl;
    explicit DigestsAhead(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

class MirrorStore final : public Mirror {
public:
    static constexpr int kSchemaVersion = 3;

    // create=true creates or migrates mirror.db; create=false opens an existing, current one
    // (refusing, without writing, a missing, uninitialised, older or newer one). Throws
    // std::runtime_error with a clear message on failure.
    MirrorStore(const std::string& path, bool create);
    ~MirrorStore() override;

    bool find_trainee(std::string_view trainee_no, std::optional<Trainee>* out,
                      std::string* err) override;
    bool feed_state(std::optional<FeedState>* out, std::string* err) override;
    // One WAL read transaction around a decision's reads (feed_state, then find_trainee): they see
    // the same committed mirror, and the read lock on mirror.db-shm (fcntl calls, dear on this
    // VM) is taken and released once instead of once per read.
    std::unique_ptr<ReadHold> hold_read() override;

    // Starts importing a snapshot: takes the write lock and prepares empty staging tables.
    // Only one import at a time per store; nullptr + *err on failure (e.g. another sync holds
    // the lock). compare_every_row: do not trust the stored digests — every trainee is staged
    // and compared column by column, so rows changed outside a sync are found and rewritten.
    // `ahead`, when given, holds the digests read ahead: they are used when no other connection
    // has committed to mirror.db since they were read, and read again otherwise.
    std::unique_ptr<SnapshotImport> begin_import(std::string* err, bool compare_every_row = false,
                                                 std::unique_ptr<DigestsAhead> ahead = nullptr);

    // Starts reading the digests an import needs (every trainee's number and digest) on a
    // thread of its own and its own read-only connection, and returns at once: a sync reads them
    // while it verifies the snapshot's signature, and hands them to begin_import. A read that
    // fails is simply not used (begin_import reads them itself).
    std::unique_ptr<DigestsAhead> read_digests_ahead(bool compare_every_row = false);

    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::unique_ptr<Database> db_;
};

}  // namespace kiosk::db
