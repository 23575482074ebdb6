// mirror.db: schema open/create, lookups in file order, and the import — diff counts, applying
// only differences (checked against a model over random snapshots), a rolled-back import leaving
// the file byte-for-byte unchanged, and a reader in another connection seeing the old snapshot
// until COMMIT; and, through the whole signed sync, a mirror that does not depend on the order of
// the snapshot's rows.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <tuple>

#include "db/audit_store.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db/sqlite.h"

namespace kiosk::db {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

FeedRow make_row(std::string trainee, std::string cert, Course course, std::string date,
                 std::int64_t order, bool first, std::string name = "Yamada") {
    FeedRow r;
    r.trainee_no = std::move(trainee);
    r.name = std::move(name);
    r.affiliation = "Univ";
    r.request_accepted_on = parse_date("2023-01-01");
    r.first_of_trainee = first;
    r.cert.certificate_no = std::move(cert);
    r.cert.course = course;
    r.cert.course_code = std::string(course_code(course));
    r.cert.completed_on = *parse_date(date);
    r.cert.file_order = order;
    return r;
}

FeedState state(std::int64_t seq) {
    return FeedState{.sequence = seq,
                     .generated_at = sys_days{2026y / 1 / 1} + hours{seq},
                     .key_id = "0123456789ABCDEF",
                     .applied_at = sys_days{2026y / 1 / 2}};
}

class MirrorStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/kiosk-mirror-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = (dir_ / "mirror.db").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Both passes, as the sync runs them: every row, then (when asked) every row again.
    static void add_rows(SnapshotImport& imp, const std::vector<FeedRow>& rows) {
        std::string err;
        for (const auto& r : rows) EXPECT_TRUE(imp.add(r, &err)) << err;
        bool again = false;
        EXPECT_TRUE(imp.end_first_pass(&again, &err)) << err;
        if (again) {
            for (const auto& r : rows) EXPECT_TRUE(imp.add(r, &err)) << err;
        }
    }
    SnapshotDiff apply(MirrorStore& m, const std::vector<FeedRow>& rows, std::int64_t seq) {
        std::string err;
        auto imp = m.begin_import(&err);
        EXPECT_TRUE(imp) << err;
        add_rows(*imp, rows);
        SnapshotDiff d;
        EXPECT_TRUE(imp->diff(&d, &err)) << err;
        EXPECT_TRUE(imp->commit(state(seq), &err)) << err;
        return d;
    }

    fs::path dir_;
    std::string path_;
};

TEST_F(MirrorStoreTest, OpeningWithoutCreateRefusesAMissingOrUninitialisedFile) {
    try {
        MirrorStore m(path_, false);
        FAIL() << "opened a missing mirror";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("mirror.db"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(path_));
    { Database raw(path_, Database::Mode::ReadWriteCreate); }
    try {
        MirrorStore m(path_, false);
        FAIL() << "opened an uninitialised mirror";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("kioskctl init"), std::string::npos) << e.what();
    }
    { MirrorStore created(path_, true); }
    MirrorStore m(path_, false);
    std::optional<FeedState> fs;
    std::string err;
    ASSERT_TRUE(m.feed_state(&fs, &err)) << err;
    EXPECT_FALSE(fs.has_value());
    std::optional<Trainee> t;
    ASSERT_TRUE(m.find_trainee("T-1", &t, &err)) << err;
    EXPECT_FALSE(t.has_value());
}

TEST_F(MirrorStoreTest, AppliedSnapshotIsReadBackInFileOrder) {
    MirrorStore m(path_, true);
    auto second = make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false);
    second.cert.status = CertificateStatus::Lost;
    second.cert.provider = "Other";
    auto other = make_row("T-1", "C-0", Course::Other, "2024-03-01", 2, false);
    other.cert.course_code = "ADVANCED";
    auto d = apply(m,
                   {make_row("T-1", "C-9", Course::Overview, "2024-02-01", 0, true), second, other,
                    make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true)},
                   1);
    EXPECT_EQ(d.trainees_added, 2);
    EXPECT_EQ(d.certificates_added, 4);
    EXPECT_EQ(d.trainees_removed + d.trainees_changed + d.certificates_changed, 0);
    std::optional<Trainee> t;
    std::string err;
    ASSERT_TRUE(m.find_trainee("T-1", &t, &err)) << err;
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "Yamada");
    EXPECT_EQ(t->affiliation, "Univ");
    EXPECT_EQ(format_date(*t->request_accepted_on), "2023-01-01");
    EXPECT_FALSE(t->user_since);
    ASSERT_EQ(t->certificates.size(), 3u);
    EXPECT_EQ(t->certificates[0].certificate_no, "C-9");  // file order, not key order
    EXPECT_EQ(t->certificates[1], second.cert);
    EXPECT_EQ(t->certificates[2].course, Course::Other);
    EXPECT_EQ(t->certificates[2].course_code, "ADVANCED");
    std::optional<FeedState> fs;
    ASSERT_TRUE(m.feed_state(&fs, &err));
    ASSERT_TRUE(fs);
    EXPECT_EQ(fs->sequence, 1);
    EXPECT_EQ(fs->key_id, "0123456789ABCDEF");
    EXPECT_EQ(fs->generated_at, state(1).generated_at);
    EXPECT_EQ(fs->trainees, 2);
    EXPECT_EQ(fs->certificates, 4);
}

TEST_F(MirrorStoreTest, DiffCountsAddedChangedRemoved) {
    MirrorStore m(path_, true);
    apply(m,
          {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true),
           make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false),
           make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true),
           make_row("T-3", "C-4", Course::Overview, "2024-02-01", 0, true)},
          1);
    auto changed = make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false);
    changed.cert.status = CertificateStatus::Revoked;
    auto d = apply(m,
                   {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true), changed,
                    make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true, "Renamed"),
                    make_row("T-4", "C-5", Course::Overview, "2024-02-01", 0, true)},
                   2);
    EXPECT_EQ(d.trainees_added, 1);    // T-4
    EXPECT_EQ(d.trainees_changed, 1);  // T-2 renamed
    EXPECT_EQ(d.trainees_removed, 1);  // T-3
    EXPECT_EQ(d.certificates_added, 1);
    EXPECT_EQ(d.certificates_changed, 1);
    EXPECT_EQ(d.certificates_removed, 1);
    EXPECT_EQ(d.trainees_before, 3);
    EXPECT_EQ(d.trainees_after, 3);
    std::optional<Trainee> t;
    std::string err;
    ASSERT_TRUE(m.find_trainee("T-3", &t, &err));
    EXPECT_FALSE(t);
    ASSERT_TRUE(m.find_trainee("T-2", &t, &err));
    EXPECT_EQ(t->name, "Renamed");
    ASSERT_TRUE(m.find_trainee("T-1", &t, &err));
    EXPECT_EQ(t->certificates[1].status, CertificateStatus::Revoked);
    // The same snapshot again differs in nothing.
    auto same = apply(m,
                      {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true), changed,
                       make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true, "Renamed"),
                       make_row("T-4", "C-5", Course::Overview, "2024-02-01", 0, true)},
                      3);
    EXPECT_EQ(same, (SnapshotDiff{.trainees_before = 3,
                                  .certificates_before = 4,
                                  .trainees_after = 3,
                                  .certificates_after = 4}));
}

// Issue 12: the trainees that differ are staged during the first read when their rows come
// together (a file grouped by trainee, in any order): no second read. In a scattered file, once
// many trainees have shown split rows, the rest are decided at the end and staged by a second
// read; the ones staged early that turn out unchanged are dropped. Either way the diff and the
// mirror are the same as for the rows in order.
TEST_F(MirrorStoreTest, AGroupedSnapshotIsStagedInOneReadAScatteredOneInTwo) {
    // 300 trainees of 2 certificates: T-i has C-i-0 and C-i-1.
    auto rows_of = [](int i, const std::string& name, CertificateStatus second) {
        const std::string no = fmt::format("T-{:03}", (i * 37) % 300);  // not in key order
        auto a =
            make_row(no, fmt::format("C-{}-0", no), Course::Overview, "2024-02-01", 0, true, name);
        auto b = make_row(no, fmt::format("C-{}-1", no), Course::SystemOperation, "2024-03-01", 1,
                          false, name);
        b.cert.status = second;
        return std::pair{a, b};
    };
    // Scattered: each trainee's second row comes five trainees later.
    auto snapshot = [&](bool night, bool scattered) {
        std::vector<FeedRow> out;
        std::deque<FeedRow> later;
        for (int i = 0; i < 300; ++i) {
            if (night && i % 50 == 49) continue;  // 6 trainees gone
            auto [a, b] =
                rows_of(i, night && i % 10 == 3 ? "Renamed" : "Yamada",
                        night && i % 7 == 2 ? CertificateStatus::Lost : CertificateStatus::Issued);
            out.push_back(a);
            if (!scattered) {
                out.push_back(b);
                continue;
            }
            later.push_back(b);
            if (later.size() > 5) {
                out.push_back(later.front());
                later.pop_front();
            }
        }
        out.insert(out.end(), later.begin(), later.end());
        return out;
    };
    const SnapshotDiff expected{.trainees_added = 0,
                                .trainees_changed = 30,
                                .trainees_removed = 6,
                                .certificates_added = 0,
                                .certificates_changed = 42,  // i % 7 == 2, but not i == 149
                                .certificates_removed = 12,
                                .trainees_before = 300,
                                .certificates_before = 600,
                                .trainees_after = 294,
                                .certificates_after = 588};
    std::map<bool, std::string> contents;
    for (bool scattered : {false, true}) {
        SCOPED_TRACE(scattered ? "scattered" : "grouped");
        fs::remove(path_);
        MirrorStore m(path_, true);
        apply(m, snapshot(false, scattered), 1);
        std::string err;
        auto imp = m.begin_import(&err);
        ASSERT_TRUE(imp) << err;
        const auto rows = snapshot(true, scattered);
        for (const auto& r : rows) ASSERT_TRUE(imp->add(r, &err)) << err;
        bool again = true;
        ASSERT_TRUE(imp->end_first_pass(&again, &err)) << err;
        EXPECT_EQ(again, scattered) << "a second read is wanted only for the scattered file";
        if (again) {
            for (const auto& r : rows) ASSERT_TRUE(imp->add(r, &err)) << err;
        }
        SnapshotDiff d;
        ASSERT_TRUE(imp->diff(&d, &err)) << err;
        EXPECT_EQ(d, expected);
        ASSERT_TRUE(imp->commit(state(2), &err)) << err;
        for (int i = 0; i < 300; ++i) {
            const std::string no = fmt::format("T-{:03}", (i * 37) % 300);
            std::optional<Trainee> t;
            ASSERT_TRUE(m.find_trainee(no, &t, &err)) << err;
            ASSERT_EQ(static_cast<bool>(t), i % 50 != 49) << no;
            if (!t) continue;
            EXPECT_EQ(t->name, i % 10 == 3 ? "Renamed" : "Yamada") << no;
            ASSERT_EQ(t->certificates.size(), 2u) << no;
            EXPECT_EQ(t->certificates[1].status,
                      i % 7 == 2 ? CertificateStatus::Lost : CertificateStatus::Issued)
                << no;
        }
        Database db(path_, Database::Mode::ReadOnly);
        auto all = db.prepare(
            "SELECT group_concat(trainee_no || name || hex(digest), ',') FROM (SELECT * FROM "
            "trainees ORDER BY trainee_no)");
        ASSERT_TRUE(all.step());
        contents[scattered] = all.column_text(0);
    }
    EXPECT_EQ(contents[false], contents[true]);
}

// Issue 12: a night's renames. A trainee whose own columns alone changed has its rows hashed
// with the mirror's columns in their place; when they add up to its stored digest, its
// certificates are the mirror's: only its trainee row is staged and written, with the digest of
// the new rows. A trainee whose certificates changed too, or whose mirror row was edited outside
// a sync (the stored digest does not match its columns), is staged whole; so is one whose rows
// resume later in the file (its first run alone matched), its first run's certificates then
// copied from the mirror. The mirror ends the same as a first sync
// of the same rows.
TEST_F(MirrorStoreTest, ATraineeWhoseColumnsAloneChangedIsWrittenWithoutItsCertificates) {
    auto row = [](const std::string& no, int k, std::int64_t order, bool first,
                  const std::string& name) {
        return make_row(no, fmt::format("C-{}-{}", no, k),
                        k % 2 ? Course::SystemOperation : Course::Overview,
                        "2024-02-0" + std::to_string(1 + k), order, first, name);
    };
    const std::vector<FeedRow> before = {
        row("T-1", 0, 0, true, "Aoki"),   row("T-1", 1, 1, false, "Aoki"),
        row("T-2", 0, 0, true, "Baba"),   row("T-3", 0, 0, true, "Chiba"),
        row("T-3", 1, 1, false, "Chiba"), row("T-4", 0, 0, true, "Doi"),
        row("T-5", 0, 0, true, "Endo"),   row("T-6", 0, 0, true, "Fujii")};
    auto night = before;
    for (auto& r : night) {
        if (r.trainee_no == "T-1") r.name = "Aoki-Sato";  // renamed
        if (r.trainee_no == "T-2") {                      // renamed, and its certificate lost
            r.name = "Baba-Ito";
            r.cert.status = CertificateStatus::Lost;
        }
        if (r.trainee_no == "T-3") r.user_since = parse_date("2026-11-30");  // now a user
        if (r.trainee_no == "T-4") r.name = "Doi-Mori";      // renamed; a new row at the end
        if (r.trainee_no == "T-5") r.affiliation = "Moved";  // renamed; edited in the mirror
        if (r.trainee_no == "T-6") r.name = "Fujii-Ueda";    // renamed; certificate edited
    }
    night.push_back(row("T-4", 1, 1, false, "Doi-Mori"));

    MirrorStore m(path_, true);
    apply(m, before, 1);
    {  // outside a sync: T-5's name, T-6's certificate
        Database db(path_, Database::Mode::ReadWrite);
        db.exec("UPDATE trainees SET name = 'Endo-X' WHERE trainee_no = 'T-5'");
        db.exec("UPDATE certificates SET status = 'revoked' WHERE trainee_no = 'T-6'");
    }
    std::string err;
    auto imp = m.begin_import(&err);
    ASSERT_TRUE(imp) << err;
    for (const auto& r : night) ASSERT_TRUE(imp->add(r, &err)) << err;
    bool again = false;
    ASSERT_TRUE(imp->end_first_pass(&again, &err)) << err;
    EXPECT_FALSE(again) << "T-4, whose rows resume after other trainees', is staged whole at "
                           "once, its first run's certificates from the mirror: no second read";
    if (again) {
        for (const auto& r : night) ASSERT_TRUE(imp->add(r, &err)) << err;
    }
    SnapshotDiff d;
    ASSERT_TRUE(imp->diff(&d, &err)) << err;
    // Columns alone: T-1, T-3, T-6 (its stored digest vouches for its certificates, as an
    // unchanged trainee's does). Whole: T-2 (1 row), T-4 (2 rows), T-5 (1 row).
    EXPECT_EQ(imp->staged(),
              (SnapshotImport::Staged{.trainees = 3, .columns_only = 3, .certificates = 4}));
    EXPECT_EQ(d, (SnapshotDiff{.trainees_added = 0,
                               .trainees_changed = 6,
                               .trainees_removed = 0,
                               .certificates_added = 1,
                               .certificates_changed = 1,
                               .certificates_removed = 0,
                               .trainees_before = 6,
                               .certificates_before = 8,
                               .trainees_after = 6,
                               .certificates_after = 9}));
    ASSERT_TRUE(imp->commit(state(2), &err)) << err;
    EXPECT_EQ(imp->staged(), SnapshotImport::Staged{}) << "closed";

    std::optional<Trainee> t;
    ASSERT_TRUE(m.find_trainee("T-1", &t, &err)) << err;
    EXPECT_EQ(t->name, "Aoki-Sato");
    ASSERT_EQ(t->certificates.size(), 2u);
    EXPECT_EQ(t->certificates[1].certificate_no, "C-T-1-1");
    ASSERT_TRUE(m.find_trainee("T-2", &t, &err)) << err;
    EXPECT_EQ(t->certificates[0].status, CertificateStatus::Lost);
    ASSERT_TRUE(m.find_trainee("T-3", &t, &err)) << err;
    EXPECT_EQ(t->user_since, parse_date("2026-11-30"));
    ASSERT_TRUE(m.find_trainee("T-4", &t, &err)) << err;
    EXPECT_EQ(t->certificates.size(), 2u);
    ASSERT_TRUE(m.find_trainee("T-5", &t, &err)) << err;
    EXPECT_EQ(t->name, "Endo");
    EXPECT_EQ(t->affiliation, "Moved");
    // T-6's certificate edited outside a sync stays refused, as an unchanged trainee's would
    // (kioskctl sync --full-compare restores it).
    EXPECT_FALSE(m.find_trainee("T-6", &t, &err));

    // The same rows into an empty mirror: the same trainees and digests, T-6 apart.
    const std::string fresh = (dir_ / "fresh.db").string();
    {
        MirrorStore f(fresh, true);
        apply(f, night, 2);
    }
    auto contents = [](const std::string& path) {
        Database db(path, Database::Mode::ReadOnly);
        auto all = db.prepare(
            "SELECT group_concat(x, ',') FROM (SELECT t.trainee_no || t.name || t.affiliation || "
            "ifnull(t.user_since, '-') || hex(t.digest) || group_concat(c.certificate_no || "
            "c.status || c.file_order, ';') AS x FROM trainees t JOIN certificates c USING "
            "(trainee_no) WHERE t.trainee_no <> 'T-6' GROUP BY t.trainee_no ORDER BY "
            "t.trainee_no)");
        EXPECT_TRUE(all.step());
        return all.column_text(0);
    };
    EXPECT_EQ(contents(path_), contents(fresh));
}

TEST_F(MirrorStoreTest, RolledBackImportLeavesTheFileByteForByteUnchanged) {
    {
        MirrorStore m(path_, true);
        apply(m, {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true)}, 1);
    }
    const std::string before = slurp(path_);
    {
        MirrorStore m(path_, false);
        std::string err;
        auto imp = m.begin_import(&err);
        ASSERT_TRUE(imp) << err;
        std::vector<FeedRow> rows;
        for (int i = 0; i < 5000; ++i)
            rows.push_back(make_row("T-" + std::to_string(i), "X-" + std::to_string(i),
                                    Course::Overview, "2024-02-01", 0, true));
        add_rows(*imp, rows);
        SnapshotDiff d;
        ASSERT_TRUE(imp->diff(&d, &err));
        EXPECT_EQ(d.trainees_added, 4999);
        imp.reset();  // destroyed without commit: rolled back
        std::optional<Trainee> t;
        ASSERT_TRUE(m.find_trainee("T-1", &t, &err));
        EXPECT_EQ(t->certificates.at(0).certificate_no, "C-1");
        EXPECT_EQ(slurp(path_), before);
    }
    EXPECT_EQ(slurp(path_), before);
}

TEST_F(MirrorStoreTest, OtherConnectionsReadTheOldSnapshotUntilCommit) {
    MirrorStore writer(path_, true);
    apply(writer, {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true)}, 1);
    MirrorStore reader(path_, false);
    std::string err;
    auto imp = writer.begin_import(&err);
    ASSERT_TRUE(imp) << err;
    add_rows(*imp, {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true, "New")});
    SnapshotDiff d;
    ASSERT_TRUE(imp->diff(&d, &err));
    std::optional<Trainee> t;
    ASSERT_TRUE(reader.find_trainee("T-1", &t, &err)) << err;
    EXPECT_EQ(t->name, "Yamada");
    ASSERT_TRUE(imp->commit(state(2), &err)) << err;
    ASSERT_TRUE(reader.find_trainee("T-1", &t, &err)) << err;
    EXPECT_EQ(t->name, "New");
    std::optional<FeedState> fs;
    ASSERT_TRUE(reader.feed_state(&fs, &err));
    EXPECT_EQ(fs->sequence, 2);
}

TEST_F(MirrorStoreTest, ImportMustBeComparedBeforeCommitAndIsSingleUse) {
    MirrorStore m(path_, true);
    std::string err;
    auto imp = m.begin_import(&err);
    ASSERT_TRUE(imp);
    EXPECT_FALSE(imp->commit(state(1), &err));
    EXPECT_NE(err.find("compared"), std::string::npos);
    SnapshotDiff d;
    ASSERT_TRUE(imp->diff(&d, &err));
    ASSERT_TRUE(imp->commit(state(1), &err)) << err;
    EXPECT_FALSE(imp->commit(state(1), &err));
    EXPECT_FALSE(imp->add(make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true), &err));
    // A new import after the old one closed works.
    auto next = m.begin_import(&err);
    EXPECT_TRUE(next) << err;
}

// A model of the records office: trainees with their certificates in file order. Each round
// mutates it at random (renames, status changes, trainees and certificates added and removed,
// certificates moved between trainees or reordered, rows of a trainee split across the file),
// imports its snapshot, and checks the diff against counts computed from the model and every
// trainee read back against the model. Covers the first import into an empty mirror (rows go
// straight into main), the digest comparison that stages only changed trainees, and trainees
// whose rows resume later in the file, whether their first rows matched the mirror or not.
struct ModelCert {
    std::string no;
    Course course = Course::Overview;
    std::string date;
    CertificateStatus status = CertificateStatus::Issued;
};
struct ModelTrainee {
    std::string name, affiliation;
    std::vector<ModelCert> certs;  // in file order
};
using Model = std::map<std::string, ModelTrainee>;

// The snapshot's rows: each trainee's rows in order; some trainees' later rows moved to the end
// of the file (still in their order), as a file sorted by something else would have them.
std::vector<FeedRow> snapshot_rows(const Model& model, std::mt19937& rng) {
    std::vector<FeedRow> head, tail;
    for (const auto& [no, t] : model) {
        size_t split = t.certs.size();
        if (t.certs.size() >= 2 && rng() % 5 == 0) split = 1 + rng() % (t.certs.size() - 1);
        for (size_t i = 0; i < t.certs.size(); ++i) {
            FeedRow r = make_row(no, t.certs[i].no, t.certs[i].course, t.certs[i].date,
                                 static_cast<std::int64_t>(i), i == 0, t.name);
            r.affiliation = t.affiliation;
            r.cert.status = t.certs[i].status;
            (i < split ? head : tail).push_back(std::move(r));
        }
    }
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

SnapshotDiff expected_diff(const Model& before, const Model& after) {
    SnapshotDiff d;
    std::map<std::string, std::tuple<std::string, size_t, Course, std::string, CertificateStatus>>
        certs_before, certs_after;
    auto index = [](const Model& m, auto* out) {
        for (const auto& [no, t] : m)
            for (size_t i = 0; i < t.certs.size(); ++i)
                (*out)[t.certs[i].no] = {no, i, t.certs[i].course, t.certs[i].date,
                                         t.certs[i].status};
    };
    index(before, &certs_before);
    index(after, &certs_after);
    d.trainees_before = static_cast<std::int64_t>(before.size());
    d.trainees_after = static_cast<std::int64_t>(after.size());
    d.certificates_before = static_cast<std::int64_t>(certs_before.size());
    d.certificates_after = static_cast<std::int64_t>(certs_after.size());
    for (const auto& [no, t] : after) {
        auto it = before.find(no);
        if (it == before.end())
            ++d.trainees_added;
        else if (it->second.name != t.name || it->second.affiliation != t.affiliation)
            ++d.trainees_changed;
    }
    for (const auto& [no, t] : before) d.trainees_removed += after.count(no) == 0;
    for (const auto& [no, c] : certs_after) {
        auto it = certs_before.find(no);
        if (it == certs_before.end())
            ++d.certificates_added;
        else if (it->second != c)
            ++d.certificates_changed;
    }
    for (const auto& [no, c] : certs_before) d.certificates_removed += certs_after.count(no) == 0;
    return d;
}

void mutate(Model& m, std::mt19937& rng, int* next_trainee, int* next_cert) {
    auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
    auto new_cert = [&] {
        ModelCert c;
        c.no = "C-" + std::to_string((*next_cert)++);
        c.course = rng() % 2 ? Course::Overview : Course::SystemOperation;
        c.date = "2024-0" + std::to_string(1 + rng() % 9) + "-1" + std::to_string(rng() % 10);
        return c;
    };
    std::vector<std::string> gone;
    for (auto& [no, t] : m) {
        if (chance(4)) {
            gone.push_back(no);
            continue;
        }
        if (chance(5)) t.name += "+";
        if (chance(3)) t.affiliation = "Moved " + std::to_string(rng() % 100);
        for (auto& c : t.certs)
            if (chance(4))
                c.status = c.status == CertificateStatus::Issued ? CertificateStatus::Lost
                                                                 : CertificateStatus::Issued;
        if (chance(4)) t.certs.push_back(new_cert());
        if (t.certs.size() > 1 && chance(4))
            t.certs.erase(t.certs.begin() + rng() % t.certs.size());
        if (t.certs.size() > 1 && chance(3)) std::swap(t.certs.front(), t.certs.back());
    }
    for (const auto& no : gone) m.erase(no);
    // A certificate moves to another trainee (its number stays).
    for (int k = 0; k < 2 && m.size() > 2; ++k) {
        auto from = std::next(m.begin(), rng() % m.size());
        auto to = std::next(m.begin(), rng() % m.size());
        if (from == to || from->second.certs.size() < 2) continue;
        to->second.certs.push_back(from->second.certs.back());
        from->second.certs.pop_back();
    }
    int added = static_cast<int>(rng() % 4);
    for (int i = 0; i < added; ++i) {
        ModelTrainee t{"Trainee " + std::to_string(*next_trainee), "Univ", {}};
        int n = 1 + static_cast<int>(rng() % 4);
        for (int j = 0; j < n; ++j) t.certs.push_back(new_cert());
        m["T-" + std::to_string((*next_trainee)++)] = std::move(t);
    }
}

TEST_F(MirrorStoreTest, ImportMatchesAModelOverRandomSnapshots) {
    MirrorStore m(path_, true);
    std::mt19937 rng(20261124);
    Model model, before;
    int next_trainee = 0, next_cert = 0;
    for (int i = 0; i < 60; ++i) {
        ModelTrainee t{"Trainee " + std::to_string(next_trainee), "Univ", {}};
        int n = 1 + static_cast<int>(rng() % 4);
        for (int j = 0; j < n; ++j)
            t.certs.push_back(ModelCert{"C-" + std::to_string(next_cert++), Course::Overview,
                                        "2024-05-0" + std::to_string(1 + j),
                                        CertificateStatus::Issued});
        model["T-" + std::to_string(next_trainee++)] = std::move(t);
    }
    for (int round = 1; round <= 40; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        if (round == 20)
            model.clear();        // everything removed: the next import is a first one
        else if (round % 7 != 0)  // every 7th round: the same snapshot again
            mutate(model, rng, &next_trainee, &next_cert);
        auto rows = snapshot_rows(model, rng);
        SnapshotDiff d = apply(m, rows, round);
        EXPECT_EQ(d, expected_diff(before, model));
        if (round % 7 == 0 && round != 21) {
            EXPECT_EQ(d.trainees_changed + d.trainees_added + d.trainees_removed, 0);
        }
        std::string err;
        for (const auto& [no, t] : model) {
            std::optional<Trainee> got;
            ASSERT_TRUE(m.find_trainee(no, &got, &err)) << err;
            ASSERT_TRUE(got) << no;
            EXPECT_EQ(got->name, t.name) << no;
            EXPECT_EQ(got->affiliation, t.affiliation) << no;
            ASSERT_EQ(got->certificates.size(), t.certs.size()) << no;
            for (size_t i = 0; i < t.certs.size(); ++i) {
                const Certificate& c = got->certificates[i];
                EXPECT_EQ(c.certificate_no, t.certs[i].no) << no;
                EXPECT_EQ(c.course, t.certs[i].course) << no;
                EXPECT_EQ(format_date(c.completed_on), t.certs[i].date) << no;
                EXPECT_EQ(c.status, t.certs[i].status) << no;
                EXPECT_EQ(c.file_order, static_cast<std::int64_t>(i)) << no;
            }
        }
        for (const auto& [no, t] : before) {
            if (model.count(no)) continue;
            std::optional<Trainee> got;
            ASSERT_TRUE(m.find_trainee(no, &got, &err)) << err;
            EXPECT_FALSE(got) << no << " was removed";
        }
        before = model;
    }
    Database db(path_, Database::Mode::ReadOnly);
    auto check = db.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.column_text(0), "ok");
    // Every trainee has a digest; certificates need no index beside their key (schema 3).
    auto nulls = db.prepare("SELECT count(*) FROM trainees WHERE digest IS NULL");
    ASSERT_TRUE(nulls.step());
    EXPECT_EQ(nulls.column_int(0), 0);
    auto index = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'index'");
    ASSERT_TRUE(index.step());
    EXPECT_EQ(index.column_int(0), 0);
}

// A mirror written before digests existed (schema 1: no digest column) is migrated; its
// trainees' digests are NULL, so the next sync compares them column by column once (reporting
// only real changes) and writes their digests.
TEST_F(MirrorStoreTest, TraineesWithoutADigestAreComparedByColumnsOnce) {
    MirrorStore m(path_, true);
    std::vector<FeedRow> rows = {
        make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true),
        make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false),
        make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true)};
    apply(m, rows, 1);
    {
        Database db(path_, Database::Mode::ReadWrite);
        db.exec("UPDATE trainees SET digest = NULL");
    }
    rows[2].name = "Renamed";
    auto d = apply(m, rows, 2);
    EXPECT_EQ(d, (SnapshotDiff{.trainees_changed = 1,
                               .trainees_before = 2,
                               .certificates_before = 3,
                               .trainees_after = 2,
                               .certificates_after = 3}));
    Database db(path_, Database::Mode::ReadOnly);
    auto nulls = db.prepare("SELECT count(*) FROM trainees WHERE digest IS NULL");
    ASSERT_TRUE(nulls.step());
    EXPECT_EQ(nulls.column_int(0), 0);
    EXPECT_EQ(apply(m, rows, 3), (SnapshotDiff{.trainees_before = 2,
                                               .certificates_before = 3,
                                               .trainees_after = 2,
                                               .certificates_after = 3}));
}

// The writer thread fails mid-stream (here a trigger refuses one row, as a full disk would
// refuse a page): the caller is told — by add() once the failure is known, at the latest by
// diff() — the import is closed, the mirror is exactly as before (empty), and
// the next import works.
TEST_F(MirrorStoreTest, WriterFailureMidStreamRollsBackAndIsReported) {
    { MirrorStore created(path_, true); }
    {
        Database db(path_, Database::Mode::ReadWrite);
        db.exec(
            "CREATE TRIGGER refuse_boom BEFORE INSERT ON certificates WHEN "
            "new.certificate_no = 'BOOM' BEGIN SELECT RAISE(ABORT, 'the disk is full'); END");
    }
    const std::string before = slurp(path_);
    MirrorStore m(path_, false);
    std::string err;
    auto imp = m.begin_import(&err);
    ASSERT_TRUE(imp) << err;
    bool failed = false;
    for (int i = 0; i < 50000 && !failed; ++i) {
        std::string cert = i == 1000 ? "BOOM" : "C-" + std::to_string(i);
        failed = !imp->add(
            make_row("T-" + std::to_string(i), cert, Course::Overview, "2024-02-01", 0, true),
            &err);
    }
    if (!failed) {
        SnapshotDiff d;
        failed = !imp->diff(&d, &err);
    }
    ASSERT_TRUE(failed);
    EXPECT_NE(err.find("the disk is full"), std::string::npos) << err;
    EXPECT_FALSE(imp->add(make_row("T-x", "C-x", Course::Overview, "2024-02-01", 0, true), &err));
    imp.reset();
    EXPECT_EQ(slurp(path_), before);
    {
        Database db(path_, Database::Mode::ReadWrite);
        db.exec("DROP TRIGGER refuse_boom");
    }
    auto d = apply(m, {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true)}, 1);
    EXPECT_EQ(d.trainees_added, 1);
}

// A first sync whose trainee and certificate numbers come out of order holds those rows in memory
// and inserts them sorted at the end; a row it cannot hold (here: a certificate past the 4,096
// distinct providers it keeps, a trainee whose name is longer than 65,535 bytes) is staged in
// SQLite and inserted from there. Every kind reaches the mirror whole, and the digest of a trainee
// whose rows resume later in the file (held, staged or written at once) covers all its rows.
TEST_F(MirrorStoreTest, AFirstSyncOutOfOrderHoldsTheRowsItCanAndStagesTheRest) {
    MirrorStore m(path_, true);
    constexpr int kTrainees = 3000;
    auto name_of = [](int i) {
        return i % 50 == 10 || i % 50 == 13 ? std::string(70000, 'n') + std::to_string(i)
                                            : fmt::format("Name {}", i);
    };
    std::vector<FeedRow> rows, later;
    // T-99998 and T-99999 come in order (written at once), the rest in descending order (held,
    // or staged when the name is too long); every tenth trainee's rows resume at the end.
    for (int i = -2; i < kTrainees; ++i) {
        const std::string no =
            i < 0 ? fmt::format("T-{}", 100000 + i) : fmt::format("T-{:05}", kTrainees - i);
        auto a = make_row(no, fmt::format("C-{:05}", kTrainees - i), Course::Other, "2024-02-01", 0,
                          true);
        a.name = name_of(i);
        a.cert.provider = fmt::format("Provider {}", 2 * i + 4);
        auto b = make_row(no, fmt::format("B-{:05}", kTrainees - i), Course::Overview, "2024-03-01",
                          1, false);
        b.name = a.name;
        b.cert.provider = fmt::format("Provider {}", 2 * i + 5);
        rows.push_back(a);
        rows.push_back(b);
        if (i % 10 == 0 || i < 0) {  // a third row after every other trainee's: split
            auto c = make_row(no, fmt::format("A-{:05}", kTrainees - i), Course::SystemOperation,
                              "2024-04-01", 2, false);
            c.name = a.name;
            later.push_back(c);
        }
    }
    rows.insert(rows.end(), later.begin(), later.end());
    auto d = apply(m, rows, 1);
    EXPECT_EQ(d.trainees_added, kTrainees + 2);
    EXPECT_EQ(d.certificates_added, static_cast<std::int64_t>(rows.size()));
    std::string err;
    for (int i = -2; i < kTrainees; i += (i < 20 ? 1 : 97)) {
        const std::string no =
            i < 0 ? fmt::format("T-{}", 100000 + i) : fmt::format("T-{:05}", kTrainees - i);
        std::optional<Trainee> got;
        ASSERT_TRUE(m.find_trainee(no, &got, &err)) << err;
        ASSERT_TRUE(got) << no;
        EXPECT_EQ(got->name, name_of(i));
        const bool split = i % 10 == 0 || i < 0;
        ASSERT_EQ(got->certificates.size(), split ? 3u : 2u) << no;
        EXPECT_EQ(got->certificates[0].certificate_no, fmt::format("C-{:05}", kTrainees - i));
        EXPECT_EQ(got->certificates[0].provider, fmt::format("Provider {}", 2 * i + 4));
        EXPECT_EQ(got->certificates[0].course, Course::Other);
        EXPECT_EQ(got->certificates[1].certificate_no, fmt::format("B-{:05}", kTrainees - i));
        EXPECT_EQ(got->certificates[1].provider, fmt::format("Provider {}", 2 * i + 5));
        EXPECT_EQ(got->certificates[1].completed_on, *parse_date("2024-03-01"));
        if (split) {
            EXPECT_EQ(got->certificates[2].certificate_no, fmt::format("A-{:05}", kTrainees - i));
            EXPECT_EQ(got->certificates[2].course, Course::SystemOperation);
        }
    }
    // Unchanged a night later: nothing differs (every stored digest is the snapshot's).
    auto again = apply(m, rows, 2);
    EXPECT_EQ(again.certificates_added + again.certificates_changed + again.certificates_removed +
                  again.trainees_changed,
              0);
    Database db(path_, Database::Mode::ReadOnly);
    auto check = db.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.step());
    EXPECT_EQ(check.column_text(0), "ok");
}

// A mirror of schema 2 (certificates keyed by number, with an index by trainee) is migrated to
// schema 3 (keyed by trainee and file order, no index) when opened to create or migrate it, as
// kioskctl init does: every row and digest is kept, lookups check out, and the next sync of the
// same snapshot changes nothing; a night's change is then applied as usual.
TEST_F(MirrorStoreTest, ASchemaTwoMirrorIsMigratedWithItsRowsAndDigests) {
    std::vector<FeedRow> rows;
    for (int i = 0; i < 40; ++i) {
        const std::string no = fmt::format("T-{:02}", (i * 7) % 40);
        for (int j = 0; j < 1 + i % 3; ++j)
            rows.push_back(make_row(no, fmt::format("C-{:03}", (i * 31 + j * 17) % 997),
                                    j == 1 ? Course::SystemOperation : Course::Overview,
                                    "2024-02-01", j, j == 0));
    }
    // The rows and digests a sync writes, copied into a schema-2 file made as release 2 made it.
    const std::string synced = (dir_ / "synced.db").string();
    {
        MirrorStore m(synced, true);
        apply(m, rows, 1);
    }
    {
        Database db(path_, Database::Mode::ReadWriteCreate);
        db.exec(R"sql(
CREATE TABLE feed_state (id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL,
    generated_at INTEGER NOT NULL, key_id TEXT NOT NULL, applied_at INTEGER NOT NULL,
    trainees INTEGER NOT NULL, certificates INTEGER NOT NULL);
CREATE TABLE trainees (trainee_no TEXT PRIMARY KEY, name TEXT NOT NULL,
    affiliation TEXT NOT NULL DEFAULT '', request_accepted_on TEXT, user_since TEXT) WITHOUT ROWID;
CREATE TABLE certificates (certificate_no TEXT PRIMARY KEY, trainee_no TEXT NOT NULL,
    course TEXT NOT NULL, course_code TEXT NOT NULL, provider TEXT NOT NULL,
    completed_on TEXT NOT NULL, status TEXT NOT NULL, file_order INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX certificates_by_trainee ON certificates(trainee_no, file_order);
ALTER TABLE trainees ADD COLUMN digest BLOB;
)sql");
        db.exec(fmt::format(
            "ATTACH '{}' AS synced; INSERT INTO feed_state SELECT * FROM synced.feed_state; "
            "INSERT INTO trainees SELECT * FROM synced.trainees; INSERT INTO certificates "
            "(certificate_no, trainee_no, course, course_code, provider, completed_on, status, "
            "file_order) SELECT certificate_no, trainee_no, course, course_code, provider, "
            "completed_on, status, file_order FROM synced.certificates; DETACH synced;",
            synced));
        db.set_user_version(2);
    }
    EXPECT_THROW(MirrorStore(path_, false), std::runtime_error);  // older: kioskctl init first
    MirrorStore m(path_, true);
    {
        Database db(path_, Database::Mode::ReadOnly);
        EXPECT_EQ(db.user_version(), MirrorStore::kSchemaVersion);
        auto index = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'index'");
        ASSERT_TRUE(index.step());
        EXPECT_EQ(index.column_int(0), 0);
        auto n = db.prepare("SELECT count(*) FROM certificates");
        ASSERT_TRUE(n.step());
        EXPECT_EQ(n.column_int(0), static_cast<std::int64_t>(rows.size()));
    }
    MirrorStore reference(synced, false);
    std::string err;
    for (int t = 0; t < 40; ++t) {
        const std::string no = fmt::format("T-{:02}", t);
        std::optional<Trainee> got, want;
        ASSERT_TRUE(m.find_trainee(no, &got, &err)) << err;  // its digest checks out
        ASSERT_TRUE(reference.find_trainee(no, &want, &err)) << err;
        ASSERT_TRUE(got && want) << no;
        EXPECT_EQ(*got, *want) << no;
    }
    const auto certificates = static_cast<std::int64_t>(rows.size());
    EXPECT_EQ(apply(m, rows, 2), (SnapshotDiff{.trainees_before = 40,
                                               .certificates_before = certificates,
                                               .trainees_after = 40,
                                               .certificates_after = certificates}));
    rows[2].cert.status = CertificateStatus::Revoked;  // T-07's second certificate
    auto d = apply(m, rows, 3);
    EXPECT_EQ(d.certificates_changed, 1);
    EXPECT_EQ(d.certificates_added + d.certificates_removed + d.trainees_changed, 0);
    std::optional<Trainee> got;
    ASSERT_TRUE(m.find_trainee(rows[2].trainee_no, &got, &err)) << err;
    ASSERT_TRUE(got);
    EXPECT_EQ(got->certificates.at(1).status, CertificateStatus::Revoked);
}

// ---- the same rows in any order (issue 12) ----

// One CSV row of a snapshot: its trainee and the line as written.
struct FeedLine {
    std::string trainee_no, completed_on, text;
};

// A snapshot of `trainees` trainees, 1-5 certificates each, every trainee's rows in date order
// (so that sorting the file by date keeps each trainee's own order, and with it file_order).
std::vector<FeedLine> make_feed(int trainees, std::mt19937* rng) {
    std::vector<FeedLine> out;
    int cert = 0;
    for (int t = 0; t < trainees; ++t) {
        // Trainee and certificate numbers that do not ascend with the rows.
        const std::string no = "T-" + std::to_string((t * 7919) % 100003);
        const int n = 1 + static_cast<int>((*rng)() % 5);
        int day = 1 + static_cast<int>((*rng)() % 20);
        for (int j = 0; j < n; ++j, day += 1 + static_cast<int>((*rng)() % 3)) {
            const std::string date = fmt::format("2024-{:02}-{:02}", 1 + day / 28, 1 + day % 28);
            const std::string cno = fmt::format("C-{:06}", (++cert * 65537) % 1000003);
            const char* course = j % 3 == 0 ? "OVERVIEW" : j % 3 == 1 ? "SYSOP" : "GCP";
            out.push_back({no, date,
                           fmt::format("{},Name {},Univ {},{},PMDA,{},{},issued,2023-12-01,\n", no,
                                       t, t % 9, course, cno, date)});
        }
    }
    return out;
}

// The orders a records office's export may come in. Each keeps every trainee's rows in their
// own relative order (that order is data: file_order), so all hold the same snapshot.
std::vector<FeedLine> grouped_shuffled(const std::vector<FeedLine>& rows, std::mt19937* rng) {
    std::vector<std::vector<FeedLine>> groups;
    std::map<std::string, size_t> at;
    for (const auto& r : rows) {
        auto [it, fresh] = at.emplace(r.trainee_no, groups.size());
        if (fresh) groups.emplace_back();
        groups[it->second].push_back(r);
    }
    std::shuffle(groups.begin(), groups.end(), *rng);
    std::vector<FeedLine> out;
    for (const auto& g : groups) out.insert(out.end(), g.begin(), g.end());
    return out;
}
// Trainee numbers ascending (each trainee's rows together, in their order): the layout whose
// trainees a first sync writes straight into the mirror.
std::vector<FeedLine> by_trainee(std::vector<FeedLine> rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const FeedLine& a, const FeedLine& b) {
        return a.trainee_no < b.trainee_no;
    });
    return rows;
}
std::vector<FeedLine> by_date(std::vector<FeedLine> rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const FeedLine& a, const FeedLine& b) {
        return a.completed_on < b.completed_on;
    });
    return rows;
}
// Every row at a random place, each trainee's rows still in their order: the trainees' row
// positions are shuffled, then dealt out to them in turn.
std::vector<FeedLine> scattered(const std::vector<FeedLine>& rows, std::mt19937* rng) {
    std::vector<std::string> owners;
    for (const auto& r : rows) owners.push_back(r.trainee_no);
    std::shuffle(owners.begin(), owners.end(), *rng);
    std::map<std::string, std::vector<const FeedLine*>> queue;
    for (const auto& r : rows) queue[r.trainee_no].push_back(&r);
    std::map<std::string, size_t> next;
    std::vector<FeedLine> out;
    for (const auto& o : owners) out.push_back(*queue[o][next[o]++]);
    return out;
}

class SyncOrderTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/kiosk-order-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        std::array<unsigned char, 32> seed{};
        seed.fill(12);
        kp_ = minisign_keypair_from_seed(seed);
        std::string err;
        ASSERT_TRUE(write_minisign_key_files(kp_, path("office.pub"), path("office.key"), &err));
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    // Signs `rows` as sequence `seq` and syncs them into DIR/<mirror>/mirror.db.
    SyncReport sync(const std::string& mirror, const std::vector<FeedLine>& rows,
                    std::int64_t seq) {
        fs::create_directories(dir_ / mirror);
        const std::string csv = path(mirror + "/completions.csv");
        {
            std::ofstream out(csv, std::ios::binary | std::ios::trunc);
            out << "trainee_no,name,affiliation,course,provider,certificate_no,completed_on,"
                   "status,request_accepted_on,user_since\n";
            for (const auto& r : rows) out << r.text;
        }
        std::string err;
        EXPECT_TRUE(minisign_sign_file(
            csv, kp_, fmt::format("sequence={} generated_at=2026-11-2{}T02:00:00+09:00", seq, seq),
            csv + ".minisig", &err))
            << err;
        MirrorStore m(path(mirror + "/mirror.db"), true);
        AuditStore audit(path(mirror + "/audit.db"), true);
        SyncRequest req;
        req.csv_path = csv;
        req.public_key_path = path("office.pub");
        req.now = *parse_instant("2026-11-29T03:00:00+09:00");
        SyncReport report;
        EXPECT_TRUE(sync_snapshot(req, m, audit, &report, &err)) << err;
        // Every trainee reads back: its digest matches its rows.
        for (const auto& r : rows) {
            std::optional<Trainee> t;
            EXPECT_TRUE(m.find_trainee(r.trainee_no, &t, &err)) << err;
            EXPECT_TRUE(t) << r.trainee_no;
        }
        return report;
    }
    // Everything the mirror holds but feed_state: trainees with their digests, certificates.
    std::string contents(const std::string& mirror) {
        Database db(path(mirror + "/mirror.db"), Database::Mode::ReadOnly);
        std::string out;
        auto t = db.prepare(
            "SELECT trainee_no, name, affiliation, request_accepted_on, user_since, hex(digest) "
            "FROM trainees ORDER BY trainee_no");
        while (t.step())
            for (int c = 0; c < 6; ++c) out += (t.is_null(c) ? "NULL" : t.column_text(c)) + "|";
        out += "\n";
        auto c = db.prepare("SELECT * FROM certificates ORDER BY certificate_no");
        while (c.step())
            for (int i = 0; i < 8; ++i) out += c.column_text(i) + "|";
        auto ok = db.prepare("PRAGMA integrity_check");
        EXPECT_TRUE(ok.step());
        EXPECT_EQ(ok.column_text(0), "ok");
        return out;
    }

    fs::path dir_;
    MinisignKeyPair kp_;
};

TEST_F(SyncOrderTest, TheMirrorIsTheSameWhateverTheOrderOfTheRows) {
    std::mt19937 rng(12);
    const auto rows = make_feed(600, &rng);
    const std::vector<std::pair<std::string, std::vector<FeedLine>>> orders = {
        {"as-written", rows},
        {"grouped-shuffled", grouped_shuffled(rows, &rng)},
        {"by-trainee", by_trainee(rows)},
        {"by-date", by_date(rows)},
        {"scattered", scattered(rows, &rng)}};
    // A first sync into an empty mirror, in each order.
    std::string expected;
    for (const auto& [name, order] : orders) {
        SCOPED_TRACE(name);
        SyncReport r = sync(name, order, 1);
        EXPECT_EQ(r.diff.certificates_added, static_cast<std::int64_t>(rows.size()));
        EXPECT_EQ(r.diff.trainees_added, 600);
        std::string got = contents(name);
        if (expected.empty()) expected = got;
        EXPECT_EQ(got, expected) << name << " holds another mirror";
    }
    // The same rows in another order, into a full mirror: nothing changes.
    for (size_t i = 0; i < orders.size(); ++i) {
        const auto& [name, order] = orders[(i + 1) % orders.size()];
        SCOPED_TRACE(orders[i].first + " then " + name);
        SyncReport r = sync(orders[i].first, order, 2);
        EXPECT_EQ(r.diff, (SnapshotDiff{.trainees_before = 600,
                                        .certificates_before = r.diff.certificates_after,
                                        .trainees_after = 600,
                                        .certificates_after = r.diff.certificates_after}));
        EXPECT_EQ(contents(orders[i].first), expected);
    }
}

TEST_F(SyncOrderTest, ANightsChangesInAScatteredFileChangeExactlyWhatChanged) {
    std::mt19937 rng(34);
    const auto rows = make_feed(800, &rng);
    sync("mirror", scattered(rows, &rng), 1);
    // A night later: every 10th trainee renamed, every 50th certificate now lost, every 40th
    // trainee gone (3 %, under the mass-removal guard), 5 new trainees.
    std::vector<FeedLine> night;
    std::map<std::string, int> index;
    std::int64_t renamed = 0, lost = 0, removed = 0, removed_certs = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        FeedLine r = rows[i];
        auto [it, fresh] = index.emplace(r.trainee_no, static_cast<int>(index.size()));
        const int k = it->second;
        if (k % 40 == 39) {
            removed += fresh;
            ++removed_certs;
            continue;
        }
        if (k % 10 == 3) {
            r.text.replace(r.text.find(",Name "), 6, ",Renamed ");
            renamed += fresh;
        }
        if (i % 50 == 7 && k % 10 != 3) {
            r.text.replace(r.text.find(",issued,"), 8, ",lost,");
            ++lost;
        }
        night.push_back(r);
    }
    std::mt19937 fresh_rng(56);
    auto added = make_feed(5, &fresh_rng);
    for (auto& r : added) {
        r.text.replace(0, r.trainee_no.size(), "N" + r.trainee_no);
        r.text.replace(r.text.find(",C-"), 3, ",NC-");
        r.trainee_no = "N" + r.trainee_no;
    }
    night.insert(night.end(), added.begin(), added.end());
    SyncReport r = sync("mirror", scattered(night, &rng), 2);
    EXPECT_EQ(r.diff.trainees_added, 5);
    EXPECT_EQ(r.diff.trainees_changed, renamed);
    EXPECT_EQ(r.diff.trainees_removed, removed);
    EXPECT_EQ(r.diff.certificates_added, static_cast<std::int64_t>(added.size()));
    EXPECT_EQ(r.diff.certificates_changed, lost);
    EXPECT_EQ(r.diff.certificates_removed, removed_certs);
    // ... and nothing else: the mirror is what a first sync of the night's file makes.
    sync("fresh", night, 1);
    EXPECT_EQ(contents("mirror"), contents("fresh"));
}

// Issue 12: the sync's parser writes each row straight into the import's batch (row_to_fill,
// add_filled) instead of handing over a copy; the rows are imported as add() imports them, and an
// import that cannot take rows says so instead of handing out a row.
TEST_F(MirrorStoreTest, RowsWrittenInPlaceAreImportedAsAddedOnes) {
    MirrorStore m(path_, true);
    const std::vector<FeedRow> rows = {
        make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true),
        make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false),
        make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true)};
    std::string err;
    auto imp = m.begin_import(&err);
    ASSERT_TRUE(imp) << err;
    for (const auto& r : rows) {
        FeedRow* slot = imp->row_to_fill(&err);
        ASSERT_NE(slot, nullptr) << err;
        *slot = r;
        ASSERT_TRUE(imp->add_filled(&err)) << err;
    }
    bool again = true;
    ASSERT_TRUE(imp->end_first_pass(&again, &err)) << err;
    EXPECT_FALSE(again);
    SnapshotDiff d;
    ASSERT_TRUE(imp->diff(&d, &err)) << err;
    EXPECT_EQ(d.trainees_added, 2);
    EXPECT_EQ(d.certificates_added, 3);
    EXPECT_EQ(imp->row_to_fill(&err), nullptr);  // compared: it takes no more rows
    EXPECT_EQ(err, "the import is closed");
    ASSERT_TRUE(imp->commit(state(1), &err)) << err;
    std::optional<Trainee> t;
    ASSERT_TRUE(m.find_trainee("T-1", &t, &err)) << err;
    ASSERT_TRUE(t);
    ASSERT_EQ(t->certificates.size(), 2u);
    EXPECT_EQ(t->certificates[1].certificate_no, "C-2");
}

// Issue 12: a sync reads the mirror's digests ahead, while it verifies the signature, on its own
// connection. The import starts from them only when nothing was committed to the mirror since:
// here another sync adds a trainee and removes one meanwhile, and the import, given that stale
// read, still sees the mirror as it is (the same snapshot again: nothing added or removed).
TEST_F(MirrorStoreTest, DigestsReadAheadAreReadAgainWhenAnotherSyncCommittedMeanwhile) {
    MirrorStore m(path_, true);
    apply(m,
          {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true),
           make_row("T-2", "C-2", Course::Overview, "2024-02-01", 0, true)},
          1);
    const std::vector<FeedRow> next = {
        make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true),
        make_row("T-3", "C-3", Course::Overview, "2024-02-01", 0, true, "Added")};
    auto ahead = m.read_digests_ahead();
    ahead->wait();  // read before the other sync commits: stale
    {
        MirrorStore other(path_, false);
        apply(other, next, 2);
    }
    std::string err;
    auto imp = m.begin_import(&err, false, std::move(ahead));
    ASSERT_TRUE(imp) << err;
    add_rows(*imp, next);
    SnapshotDiff d;
    ASSERT_TRUE(imp->diff(&d, &err)) << err;
    EXPECT_EQ(d, (SnapshotDiff{.trainees_before = 2,
                               .certificates_before = 2,
                               .trainees_after = 2,
                               .certificates_after = 2}));
}

// ... and when nothing was committed, the import started from the digests read ahead finds the
// same differences, and leaves the same mirror, as one that reads them itself.
TEST_F(MirrorStoreTest, DigestsReadAheadGiveTheSameImportAsDigestsReadByIt) {
    const std::vector<FeedRow> base = {
        make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true),
        make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false),
        make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true),
        make_row("T-3", "C-4", Course::Overview, "2024-02-01", 0, true)};
    auto revoked = make_row("T-1", "C-2", Course::SystemOperation, "2024-03-01", 1, false);
    revoked.cert.status = CertificateStatus::Revoked;
    const std::vector<FeedRow> next = {
        make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true), revoked,
        make_row("T-2", "C-3", Course::Overview, "2024-02-01", 0, true, "Renamed"),
        make_row("T-4", "C-5", Course::Overview, "2024-02-01", 0, true)};
    std::vector<std::string> dumps;
    for (bool read_ahead : {false, true}) {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        MirrorStore m(path_, true);
        apply(m, base, 1);
        std::string err;
        auto imp = m.begin_import(&err, false, read_ahead ? m.read_digests_ahead() : nullptr);
        ASSERT_TRUE(imp) << err;
        add_rows(*imp, next);
        SnapshotDiff d;
        ASSERT_TRUE(imp->diff(&d, &err)) << err;
        EXPECT_EQ(d, (SnapshotDiff{.trainees_added = 1,
                                   .trainees_changed = 1,
                                   .trainees_removed = 1,
                                   .certificates_added = 1,
                                   .certificates_changed = 1,
                                   .certificates_removed = 1,
                                   .trainees_before = 3,
                                   .certificates_before = 4,
                                   .trainees_after = 3,
                                   .certificates_after = 4}))
            << "read ahead: " << read_ahead;
        ASSERT_TRUE(imp->commit(state(2), &err)) << err;
        std::string dump;
        for (const char* no : {"T-1", "T-2", "T-3", "T-4"}) {
            std::optional<Trainee> t;
            ASSERT_TRUE(m.find_trainee(no, &t, &err)) << err;
            dump += t ? fmt::format("{} {} {};", no, t->name, t->certificates.size()) : "-;";
        }
        dumps.push_back(dump);
    }
    EXPECT_EQ(dumps[0], dumps[1]);
}

}  // namespace
}  // namespace kiosk::db

namespace kiosk::db {
namespace {

// A decision reads the mirror's stamp and then the trainee's record under one hold_read(): a sync
// that commits in between (here from a second connection, as `kioskctl sync` would) is not seen
// by the held reads, and is seen once the hold ends.
TEST_F(MirrorStoreTest, AHeldReadSeesOneSnapshotWhileAnotherSyncCommits) {
    MirrorStore kiosk(path_, true);
    apply(kiosk, {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true, "Yamada")}, 1);
    std::string err;
    std::optional<FeedState> feed;
    std::optional<Trainee> t;
    {
        auto hold = kiosk.hold_read();
        ASSERT_NE(hold, nullptr);
        ASSERT_TRUE(kiosk.feed_state(&feed, &err)) << err;
        ASSERT_EQ(feed->sequence, 1);
        MirrorStore sync(path_, false);
        apply(sync, {make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true, "Suzuki")}, 2);
        ASSERT_TRUE(kiosk.find_trainee("T-1", &t, &err)) << err;
        ASSERT_TRUE(t);
        EXPECT_EQ(t->name, "Yamada");  // the record of sequence 1, as the stamp
        ASSERT_TRUE(kiosk.feed_state(&feed, &err)) << err;
        EXPECT_EQ(feed->sequence, 1);
    }
    ASSERT_TRUE(kiosk.feed_state(&feed, &err)) << err;
    EXPECT_EQ(feed->sequence, 2);
    ASSERT_TRUE(kiosk.find_trainee("T-1", &t, &err)) << err;
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "Suzuki");
}

}  // namespace
}  // namespace kiosk::db
