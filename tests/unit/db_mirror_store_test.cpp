// mirror.db: schema open/create, lookups in file order, and the staged import — diff counts,
// applying only differences, a rolled-back import leaving the file byte-for-byte unchanged, and a
// reader in another connection seeing the old snapshot until COMMIT.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

    SnapshotDiff apply(MirrorStore& m, const std::vector<FeedRow>& rows, std::int64_t seq) {
        std::string err;
        auto imp = m.begin_import(&err);
        EXPECT_TRUE(imp) << err;
        for (const auto& r : rows) EXPECT_TRUE(imp->add(r, &err)) << err;
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
        for (int i = 0; i < 5000; ++i)
            ASSERT_TRUE(imp->add(make_row("T-" + std::to_string(i), "X-" + std::to_string(i),
                                          Course::Overview, "2024-02-01", 0, true),
                                 &err));
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
    ASSERT_TRUE(
        imp->add(make_row("T-1", "C-1", Course::Overview, "2024-02-01", 0, true, "New"), &err));
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

}  // namespace
}  // namespace kiosk::db
