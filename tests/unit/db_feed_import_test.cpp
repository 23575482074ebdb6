// The nightly sync end to end, over real files: a signed snapshot (signed by our signer and by the
// stock `minisign` tool) is verified, checked against the mirror's sequence and time, validated
// and applied; every rejection leaves mirror.db byte-for-byte unchanged and is audited in the real
// audit.db (AuditStore).
#include <gtest/gtest.h>
#include <iconv.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "db/audit_store.h"
#include "db/feed_import.h"
#include "db/minisign.h"
#include "db/sqlite.h"

namespace kiosk::db {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const std::string kHeader =
    "trainee_no,name,affiliation,course,provider,certificate_no,completed_on,status,"
    "request_accepted_on,user_since\n";

std::string rows(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) {
        std::string no = "T-" + std::to_string(i);
        s += no + ",Name " + no + ",Univ,OVERVIEW,PMDA,O-" + std::to_string(i) +
             ",2024-03-01,issued,2024-01-10,\n";
        s += no + ",Name " + no + ",Univ,SYSOP,PMDA,S-" + std::to_string(i) +
             ",2024-03-05,issued,2024-01-10,\n";
    }
    return s;
}

// UTF-8 text as CP932 (Shift_JIS as Excel saves it), converted with iconv.
std::string to_cp932(const std::string& utf8) {
    iconv_t cd = iconv_open("CP932", "UTF-8");
    EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
    std::string in = utf8, out(utf8.size() * 2 + 16, '\0');
    char* ip = in.data();
    char* op = out.data();
    size_t il = in.size(), ol = out.size();
    EXPECT_NE(iconv(cd, &ip, &il, &op, &ol), static_cast<size_t>(-1)) << "not CP932: " << utf8;
    iconv_close(cd);
    out.resize(out.size() - ol);
    return out;
}

// A feed with the Japanese header names and course and status values (product.md section 3).
const std::string kJapaneseHeader =
    "受講者番号,氏名,所属,研修,実施者,修了証番号,修了日,状態,依頼書受付日,利活用者登録日\n";
const std::string kJapaneseRows =
    "J-1,山田 太郎,株式会社①製薬,概論,PMDA,C-1,2024-05-01,交付,,2023-04-01\n"
    "J-1,山田 太郎,株式会社①製薬,システム操作,PMDA,C-2,2024-06-01,交付,,2023-04-01\n"
    "J-2,髙橋 ｶﾅｺ,㈱テスト～研究所,概論,PMDA,C-3,2024-05-01,紛失,,\n";

class FeedImportTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/kiosk-sync-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        std::array<unsigned char, 32> seed{};
        seed.fill(42);
        kp_ = minisign_keypair_from_seed(seed);
        std::string err;
        ASSERT_TRUE(write_minisign_key_files(kp_, path("office.pub"), path("office.key"), &err));
        mirror_ = std::make_unique<MirrorStore>(path("mirror.db"), true);
        audit_ = std::make_unique<AuditStore>(path("audit.db"), true);
    }
    void TearDown() override {
        mirror_.reset();
        audit_.reset();
        fs::remove_all(dir_);
    }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }

    // Writes completions.csv and signs it with sequence/generated_at.
    void publish(const std::string& csv, std::int64_t seq,
                 const std::string& generated_at = "2026-11-24T02:00:00+09:00") {
        std::ofstream(path("completions.csv"), std::ios::binary | std::ios::trunc) << csv;
        std::string err;
        ASSERT_TRUE(
            minisign_sign_file(path("completions.csv"), kp_,
                               "sequence=" + std::to_string(seq) + " generated_at=" + generated_at,
                               path("completions.csv.minisig"), &err))
            << err;
    }
    SyncRequest request() const {
        SyncRequest req;
        req.csv_path = path("completions.csv");
        req.public_key_path = path("office.pub");
        req.now = *parse_instant("2026-11-24T03:00:00+09:00");
        return req;
    }
    bool sync(const SyncRequest& req, SyncReport* report, std::string* err) {
        return sync_snapshot(req, *mirror_, *audit_, report, err);
    }
    // The mirror as bytes on disk plus a logical dump through a separate read-only connection.
    std::string mirror_image() {
        std::string image = slurp(path("mirror.db"));
        Database ro(path("mirror.db"), Database::Mode::ReadOnly);
        for (auto sql : {"SELECT * FROM feed_state", "SELECT * FROM trainees ORDER BY 1",
                         "SELECT * FROM certificates ORDER BY 1"}) {
            auto st = ro.prepare(sql);
            while (st.step())
                for (int c = 0; c < 8; ++c) image += "|" + st.column_text(c);
        }
        return image;
    }
    std::vector<AuditRow> audit_rows() {
        std::vector<AuditRow> out;
        std::string err;
        EXPECT_TRUE(audit_->latest(100, &out, &err)) << err;
        return out;  // newest first
    }
    // Applies the base snapshot (10 trainees, 20 certificates) as sequence 5.
    void apply_base() {
        publish(kHeader + rows(0, 10), 5, "2026-11-23T02:00:00+09:00");
        SyncReport report;
        std::string err;
        ASSERT_TRUE(sync(request(), &report, &err)) << err;
    }
    // Runs a sync that must be rejected with a message containing `expect`, the mirror unchanged
    // and a "sync.rejected" audit event added.
    SyncReport expect_rejected(const SyncRequest& req, const std::string& expect) {
        const std::string before = mirror_image();
        const size_t audited = audit_rows().size();
        SyncReport report;
        std::string err;
        EXPECT_FALSE(sync(req, &report, &err));
        EXPECT_NE(err.find(expect), std::string::npos) << err;
        EXPECT_EQ(report.rejected, err.substr(0, report.rejected.size()));
        EXPECT_FALSE(report.applied);
        EXPECT_EQ(mirror_image(), before) << "a rejected snapshot changed mirror.db";
        auto audit = audit_rows();
        EXPECT_EQ(audit.size(), audited + 1);
        if (!audit.empty()) {
            EXPECT_EQ(audit[0].event.kind, "sync.rejected");
            EXPECT_EQ(audit[0].event.outcome, "rejected");
            auto detail = nlohmann::json::parse(audit[0].event.detail);
            EXPECT_EQ(detail["file"], req.csv_path);
            EXPECT_FALSE(detail["reason"].get<std::string>().empty());
        }
        return report;
    }

    fs::path dir_;
    MinisignKeyPair kp_;
    std::unique_ptr<MirrorStore> mirror_;
    std::unique_ptr<AuditStore> audit_;
};

TEST_F(FeedImportTest, AppliesASignedSnapshotReportsAndAuditsIt) {
    publish(kHeader + rows(0, 3), 1);
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    EXPECT_TRUE(report.applied);
    EXPECT_EQ(report.sequence_from, 0);
    EXPECT_EQ(report.sequence_to, 1);
    EXPECT_EQ(report.key_id, minisign_key_id_hex(kp_.key_id));
    EXPECT_EQ(report.diff.trainees_added, 3);
    EXPECT_EQ(report.diff.certificates_added, 6);
    EXPECT_EQ(report.rows_read, 6);
    std::optional<Trainee> t;
    ASSERT_TRUE(mirror_->find_trainee("T-2", &t, &err)) << err;
    ASSERT_TRUE(t);
    EXPECT_EQ(t->certificates.size(), 2u);
    std::optional<FeedState> fs;
    ASSERT_TRUE(mirror_->feed_state(&fs, &err));
    EXPECT_EQ(fs->sequence, 1);
    EXPECT_EQ(format_instant(fs->generated_at), "2026-11-24T02:00:00+09:00");
    EXPECT_EQ(fs->key_id, report.key_id);
    auto audit = audit_rows();
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].event.kind, "sync.applied");
    EXPECT_EQ(audit[0].event.outcome, "ok");
    auto detail = nlohmann::json::parse(audit[0].event.detail);
    EXPECT_EQ(detail["sequence"], 1);
    EXPECT_EQ(detail["certificates"]["added"], 6);
    EXPECT_EQ(audit[0].event.detail.find("Name T-"), std::string::npos) << "no names in audit";
    // The report renders both ways.
    auto j = nlohmann::json::parse(report.to_json());
    EXPECT_EQ(j["trainees"]["added"], 3);
    EXPECT_EQ(j["sequence_to"], 1);
    EXPECT_NE(report.to_text().find("trainees: 3 added"), std::string::npos);
}

TEST_F(FeedImportTest, NextSnapshotReportsTheDifferences) {
    apply_base();
    std::string changed = kHeader + rows(1, 10) + rows(10, 11);  // T-0 gone, T-10 new
    changed += "T-3,Name T-3,Univ,ADVANCED,PMDA,A-3,2024-04-01,issued,2024-01-10,\n";
    publish(changed, 6);
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    EXPECT_EQ(report.sequence_from, 5);
    EXPECT_EQ(report.diff.trainees_added, 1);
    EXPECT_EQ(report.diff.trainees_removed, 1);
    EXPECT_EQ(report.diff.certificates_added, 3);
    EXPECT_EQ(report.diff.certificates_removed, 2);
    EXPECT_EQ(report.diff.certificates_changed, 0);
}

TEST_F(FeedImportTest, ReplayedSequenceIsRejected) {
    apply_base();
    publish(kHeader + rows(0, 10), 3, "2026-11-24T02:00:00+09:00");
    expect_rejected(request(), "sequence 3 is not greater than the mirror's 5: replayed snapshot");
    publish(kHeader + rows(0, 10), 5, "2026-11-24T02:00:00+09:00");
    expect_rejected(request(), "sequence 5 is not greater than the mirror's 5");
}

// A row changed inside mirror.db is refused on lookup; an ordinary sync of the same content
// trusts the digests and leaves it; --full-compare finds it, rewrites it, and may re-apply the
// very snapshot the mirror holds (same sequence and generated_at) — but no older one.
TEST_F(FeedImportTest, FullCompareRepairsARowChangedOutsideASync) {
    apply_base();
    {
        Database db(path("mirror.db"), Database::Mode::ReadWrite);
        db.exec("UPDATE certificates SET status = 'revoked' WHERE certificate_no = 'O-3'");
    }
    std::optional<Trainee> t;
    std::string err;
    EXPECT_FALSE(mirror_->find_trainee("T-3", &t, &err));
    EXPECT_NE(err.find("trainee T-3 does not match its digest"), std::string::npos) << err;
    EXPECT_NE(err.find("--full-compare"), std::string::npos) << err;

    // Without --full-compare the same snapshot is a replay.
    expect_rejected(request(), "sequence 5 is not greater than the mirror's 5");
    // With it, but not the snapshot the mirror holds (other generated_at): still refused.
    publish(kHeader + rows(0, 10), 5, "2026-11-23T03:00:00+09:00");
    SyncRequest repair = request();
    repair.full_compare = true;
    expect_rejected(repair, "sequence 5 is not greater than the mirror's 5");

    publish(kHeader + rows(0, 10), 5, "2026-11-23T02:00:00+09:00");
    SyncReport report;
    ASSERT_TRUE(sync(repair, &report, &err)) << err;
    EXPECT_TRUE(report.applied);
    EXPECT_EQ(report.diff.certificates_changed, 1);
    EXPECT_EQ(report.diff.certificates_added + report.diff.certificates_removed +
                  report.diff.trainees_added + report.diff.trainees_changed +
                  report.diff.trainees_removed,
              0);
    ASSERT_TRUE(mirror_->find_trainee("T-3", &t, &err)) << err;
    EXPECT_EQ(t->certificates.at(0).status, CertificateStatus::Issued);
}

// A file whose rows are not grouped by trainee (sorted by course, here) is compared trainee by
// trainee all the same: the same content in another order changes nothing; one status changed
// is one certificate changed, read back right.
TEST_F(FeedImportTest, RowsScatteredAcrossTheFileAreComparedPerTrainee) {
    apply_base();  // T-0..T-9, each an OVERVIEW row then a SYSOP row
    std::string overview, sysop;
    std::istringstream base(rows(0, 10));
    for (std::string line; std::getline(base, line);)
        (line.find(",SYSOP,") != std::string::npos ? sysop : overview) += line + "\n";
    publish(kHeader + overview + sysop, 6, "2026-11-24T02:00:00+09:00");
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    EXPECT_EQ(report.diff, (SnapshotDiff{.trainees_before = 10,
                                         .certificates_before = 20,
                                         .trainees_after = 10,
                                         .certificates_after = 20}));
    std::string changed = sysop;
    changed.replace(changed.find("S-4,2024-03-05,issued"), 21, "S-4,2024-03-05,revoked");
    publish(kHeader + overview + changed, 7, "2026-11-24T03:00:00+09:00");
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    EXPECT_EQ(report.diff.certificates_changed, 1);
    EXPECT_EQ(report.diff.trainees_changed + report.diff.trainees_added +
                  report.diff.certificates_added + report.diff.certificates_removed,
              0);
    std::optional<Trainee> t;
    ASSERT_TRUE(mirror_->find_trainee("T-4", &t, &err)) << err;
    ASSERT_EQ(t->certificates.size(), 2u);
    EXPECT_EQ(t->certificates[1].status, CertificateStatus::Revoked);
    ASSERT_TRUE(mirror_->find_trainee("T-5", &t, &err)) << err;
    EXPECT_EQ(t->certificates[1].status, CertificateStatus::Issued);
}

TEST_F(FeedImportTest, OlderGeneratedAtIsRejected) {
    apply_base();
    publish(kHeader + rows(0, 10), 6, "2026-11-22T02:00:00+09:00");
    expect_rejected(request(), "is older than the mirror's");
}

TEST_F(FeedImportTest, GeneratedMoreThanAnHourInTheFutureIsRejected) {
    apply_base();
    publish(kHeader + rows(0, 10), 6, "2026-11-24T04:00:01+09:00");  // now is 03:00
    expect_rejected(request(), "more than 1 hour after now");
    publish(kHeader + rows(0, 10), 6, "2026-11-24T04:00:00+09:00");  // exactly 1 h: accepted
    std::string err;
    SyncReport report;
    EXPECT_TRUE(sync(request(), &report, &err)) << err;
}

TEST_F(FeedImportTest, TamperedSnapshotIsRejectedBeforeAnyParsing) {
    apply_base();
    publish(kHeader + rows(0, 10), 6);
    std::ofstream(path("completions.csv"), std::ios::app) << "garbage,\"unterminated\n";
    auto report = expect_rejected(request(), "signature does not match the file");
    EXPECT_TRUE(report.errors.empty()) << "the CSV must not be parsed before the signature";
}

TEST_F(FeedImportTest, SnapshotFromAnotherKeyIsRejected) {
    apply_base();
    std::array<unsigned char, 32> other_seed{};
    auto other = minisign_keypair_from_seed(other_seed);
    std::ofstream(path("completions.csv"), std::ios::trunc) << kHeader + rows(0, 10);
    std::string err;
    ASSERT_TRUE(minisign_sign_file(path("completions.csv"), other,
                                   "sequence=9 generated_at=2026-11-24T02:00:00+09:00",
                                   path("completions.csv.minisig"), &err));
    expect_rejected(request(), "signed with key " + minisign_key_id_hex(other.key_id));
}

TEST_F(FeedImportTest, MissingSignatureOrKeyIsRejected) {
    apply_base();
    publish(kHeader + rows(0, 10), 6);
    fs::remove(path("completions.csv.minisig"));
    expect_rejected(request(), "cannot open signature file");
    publish(kHeader + rows(0, 10), 6);
    auto req = request();
    req.public_key_path = path("nope.pub");
    expect_rejected(req, "cannot use the pinned public key");
    req = request();
    req.encoding = "latin1";
    expect_rejected(req, "encoding 'latin1' is not supported: use utf-8, cp932 or auto");
}

TEST_F(FeedImportTest, OneInvalidRowRejectsTheWholeFileWithLineAndColumn) {
    apply_base();
    std::string csv = kHeader + rows(0, 1) +
                      "T-1,Name T-1,Univ,OVERVIEW,PMDA,O-1,2024-13-01,issued,2024-01-10,\n" +
                      "T-2,Name T-2,Univ,OVERVIEW,PMDA,O-2,someday,issued,2024-01-10,\n" +
                      rows(3, 10);
    publish(csv, 6);
    auto report = expect_rejected(
        request(), "line 4, column completed_on: '2024-13-01' is not a date (YYYY-MM-DD)");
    ASSERT_EQ(report.errors.size(), 2u);
    EXPECT_EQ(report.errors[1],
              "line 5, column completed_on: 'someday' is not a date (YYYY-MM-DD)");
    auto audit = audit_rows();
    EXPECT_EQ(audit[0].event.detail.find("Name T-"), std::string::npos) << "no names in audit";
    EXPECT_NE(audit[0].event.detail.find("line 4, column completed_on"), std::string::npos);
}

TEST_F(FeedImportTest, MaxInvalidRowsSkipsAndReportsBadRows) {
    apply_base();
    std::string csv =
        kHeader + rows(0, 10) + "T-99,Name,Univ,OVERVIEW,PMDA,O-99,2024-13-01,issued,2024-01-10,\n";
    publish(csv, 6);
    auto req = request();
    req.max_invalid_rows = 1;
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(req, &report, &err)) << err;
    EXPECT_EQ(report.skipped_lines, (std::vector<std::int64_t>{22}));
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_EQ(report.diff.trainees_added, 0);
}

TEST_F(FeedImportTest, MassRemovalIsRejectedUnlessAllowed) {
    apply_base();
    publish(kHeader + rows(0, 8), 6);  // removes 2 of 10 trainees: 20% > 10%
    expect_rejected(request(), "would remove 2 of the mirror's 10 trainees");
    auto req = request();
    req.allow_mass_removal = true;
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(req, &report, &err)) << err;
    EXPECT_EQ(report.diff.trainees_removed, 2);
    publish(kHeader + rows(0, 7), 7);  // 1 of 8: 12.5%, allowed with a higher fraction
    req = request();
    req.max_removed_fraction = 0.2;
    EXPECT_TRUE(sync(req, &report, &err)) << err;
}

TEST_F(FeedImportTest, DryRunChangesNothingAndReportsTheDiff) {
    apply_base();
    publish(kHeader + rows(0, 12), 6);
    const std::string before = mirror_image();
    const size_t audited = audit_rows().size();
    auto req = request();
    req.dry_run = true;
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(req, &report, &err)) << err;
    EXPECT_TRUE(report.dry_run);
    EXPECT_FALSE(report.applied);
    EXPECT_EQ(report.diff.trainees_added, 2);
    EXPECT_EQ(mirror_image(), before);
    EXPECT_EQ(audit_rows().size(), audited);
    EXPECT_NE(report.to_text().find("dry run"), std::string::npos);
}

TEST_F(FeedImportTest, WarningsReachTheReport) {
    std::string csv =
        "trainee_no,name,course,certificate_no,completed_on,status,"
        "request_accepted_on,remarks\n"
        "T-1,A,OVERVIEW,C-1,2023-12-01,issued,2024-01-10,x\n";
    publish(csv, 1);
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    ASSERT_EQ(report.warnings.size(), 2u);
    EXPECT_NE(report.warnings[0].find("remarks"), std::string::npos);
    EXPECT_NE(report.warnings[1].find("TR-8"), std::string::npos);
}

int run(const std::string& cmd) {
    int status = std::system((cmd + " </dev/null >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(FeedImportTest, SnapshotSignedByStockMinisignApplies) {
    ASSERT_EQ(run("minisign -G -W -p " + path("stock.pub") + " -s " + path("stock.key")), 0);
    std::ofstream(path("completions.csv"), std::ios::trunc) << kHeader + rows(0, 4);
    ASSERT_EQ(run("minisign -S -s " + path("stock.key") + " -m " + path("completions.csv") +
                  " -t 'sequence=42 generated_at=2026-11-24T02:00:00+09:00'"),
              0);
    auto req = request();
    req.public_key_path = path("stock.pub");
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(req, &report, &err)) << err;
    EXPECT_EQ(report.sequence_to, 42);
    EXPECT_EQ(report.diff.certificates_added, 8);
    // A legacy (-l) signature of the next snapshot is refused.
    ASSERT_EQ(run("minisign -S -l -s " + path("stock.key") + " -m " + path("completions.csv") +
                  " -t 'sequence=43 generated_at=2026-11-24T02:00:00+09:00'"),
              0);
    expect_rejected(req, "legacy");
}

TEST_F(FeedImportTest, Cp932FeedWithJapaneseHeadersAppliesDeclaredAndDetected) {
    const std::string cp932 = to_cp932(kJapaneseHeader + kJapaneseRows);
    ASSERT_EQ(cp932.find("山田"), std::string::npos) << "the file really is CP932";
    publish(cp932, 1);
    auto req = request();
    req.encoding = "Shift_JIS";
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(req, &report, &err)) << err;
    EXPECT_EQ(report.encoding, "cp932");
    EXPECT_FALSE(report.encoding_detected);
    EXPECT_EQ(report.diff.trainees_added, 2);
    EXPECT_EQ(report.diff.certificates_added, 3);
    EXPECT_NE(report.to_text().find("encoding: cp932\n"), std::string::npos) << report.to_text();
    EXPECT_EQ(nlohmann::json::parse(report.to_json())["encoding"], "cp932");
    EXPECT_EQ(nlohmann::json::parse(audit_rows()[0].event.detail)["encoding"], "cp932");
    std::optional<Trainee> t;
    ASSERT_TRUE(mirror_->find_trainee("J-1", &t, &err)) << err;
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "山田 太郎");
    EXPECT_EQ(t->affiliation, "株式会社①製薬");
    ASSERT_EQ(t->certificates.size(), 2u);
    ASSERT_TRUE(mirror_->find_trainee("J-2", &t, &err)) << err;
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "髙橋 ｶﾅｺ");
    EXPECT_EQ(t->affiliation, "㈱テスト～研究所");
    ASSERT_EQ(t->certificates.size(), 1u);
    EXPECT_EQ(t->certificates[0].status, CertificateStatus::Lost);

    // The next night's file, same encoding, not declared: detected.
    publish(to_cp932(kJapaneseHeader + kJapaneseRows +
                     "J-3,佐藤 花子,大学,概論,PMDA,C-4,2024-07-01,交付,,\n"),
            2);
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    EXPECT_EQ(report.encoding, "cp932");
    EXPECT_TRUE(report.encoding_detected);
    EXPECT_NE(report.to_text().find("encoding: cp932 (detected)"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(report.to_json())["encoding_detected"], true);
    ASSERT_TRUE(mirror_->find_trainee("J-3", &t, &err)) << err;
    ASSERT_TRUE(t);
    EXPECT_EQ(t->name, "佐藤 花子");

    // And the same content in UTF-8 (with a BOM) is detected as UTF-8.
    publish("\xEF\xBB\xBF" + kJapaneseHeader + kJapaneseRows +
                "J-3,佐藤 花子,大学,概論,PMDA,C-4,2024-07-01,交付,,\n",
            3);
    req = request();
    req.encoding = "auto";
    ASSERT_TRUE(sync(req, &report, &err)) << err;
    EXPECT_EQ(report.encoding, "utf-8");
    EXPECT_TRUE(report.encoding_detected);
    EXPECT_EQ(report.diff.trainees_changed + report.diff.certificates_changed, 0);
}

TEST_F(FeedImportTest, InvalidCp932SequenceIsRejectedNamingItsLine) {
    apply_base();
    // Line 4 has a byte that is not CP932 (0xFF) after a valid name.
    std::string csv = to_cp932(kJapaneseHeader + kJapaneseRows) + to_cp932("J-4,佐藤") + "\xFF" +
                      to_cp932(",大学,概論,PMDA,C-4,2024-07-01,交付,,\n");
    publish(csv, 6);
    auto req = request();
    req.encoding = "cp932";
    auto report = expect_rejected(req, "line 5: invalid CP932 (byte 0xFF)");
    EXPECT_EQ(report.encoding, "cp932");
    // Detection finds it too: neither UTF-8 nor CP932.
    expect_rejected(request(),
                    "neither UTF-8 nor CP932 (Shift_JIS): line 1: invalid UTF-8 (byte 0x8E); "
                    "line 5: invalid CP932 (byte 0xFF)");
    // A lead byte cut off by the end of the file.
    publish(to_cp932(kJapaneseHeader + kJapaneseRows) + "J-4,\x8D", 6);
    expect_rejected(req, "line 5: invalid CP932 (byte 0x8D at the end of the file");
}

// UTF-8 is checked in the signature's read of the file; its answer is used where the encoding's
// own read was: after the checks against the mirror, and a bad byte far into the file (past the
// first chunks read) is still named by its line.
TEST_F(FeedImportTest, EncodingDetectedInTheVerifyingReadIsReportedAfterTheMirrorChecks) {
    apply_base();
    const std::string neither = kHeader + rows(10, 5000) + "T-9999,\x8E\x52\xFF\n";
    const std::string line = std::to_string(2 + 2 * (5000 - 10));
    publish(neither, 5);  // a replay and not readable: the replay is what is reported
    expect_rejected(request(), "sequence 5 is not greater than the mirror's 5: replayed snapshot");
    publish(neither, 6);
    expect_rejected(request(), "the snapshot is neither UTF-8 nor CP932 (Shift_JIS): line " + line +
                                   ": invalid UTF-8 (byte 0x8E); line " + line +
                                   ": invalid CP932 (byte 0xFF)");
    // The same file declared CP932 is not detected: the parse names the byte.
    auto req = request();
    req.encoding = "cp932";
    expect_rejected(req, "line " + line + ": invalid CP932 (byte 0xFF)");
    // A large UTF-8 file is detected as UTF-8 and applied.
    publish(kHeader + rows(0, 5000) +
                "T-9999,山田 太郎,Univ,OVERVIEW,PMDA,O-9999,2024-03-01,issued,,\n",
            7);
    SyncReport report;
    std::string err;
    ASSERT_TRUE(sync(request(), &report, &err)) << err;
    EXPECT_EQ(report.encoding, "utf-8");
    EXPECT_TRUE(report.encoding_detected);
    EXPECT_EQ(report.rows_read, 2 * 5000 + 1);
}

TEST_F(FeedImportTest, Utf8DeclaredForACp932FileIsRejectedNamingTheLine) {
    apply_base();
    publish(kHeader + rows(0, 10) +
                to_cp932("T-10,山田 太郎,Univ,OVERVIEW,PMDA,O-10,2024-03-01,issued,,\n"),
            6);
    auto req = request();
    req.encoding = "utf-8";
    expect_rejected(req, "line 22: invalid UTF-8 (byte 0x8E)");
}

// The bytes parsed must be the bytes verified: the file is read twice (verify, then parse), and a
// change in between is caught at the end of the parse.
TEST(VerifiedBytesSource, PassesTheVerifiedBytesAndRefusesOthersAtTheEnd) {
    const std::string verified_text = kHeader + rows(0, 500);
    MinisignPrehasher h;
    h.update(verified_text.data(), verified_text.size());
    const MinisignPrehash verified = h.final();
    auto read_all = [&](const std::string& text, std::string* got, std::string* err) {
        std::istringstream in(text);
        VerifiedBytesSource src(in, verified);
        char buf[777];
        for (;;) {
            size_t n = 0;
            if (!src.read(buf, sizeof buf, &n, err)) return false;
            if (n == 0) return true;
            got->append(buf, n);
        }
    };
    std::string got, err;
    ASSERT_TRUE(read_all(verified_text, &got, &err)) << err;
    EXPECT_EQ(got, verified_text);
    std::string changed = verified_text;
    changed[changed.size() / 2] ^= 1;
    got.clear();
    EXPECT_FALSE(read_all(changed, &got, &err));
    EXPECT_NE(err.find("the snapshot changed while it was being read"), std::string::npos) << err;
    got.clear();
    EXPECT_FALSE(read_all(verified_text + "T-9,x\n", &got, &err));
    EXPECT_FALSE(read_all(verified_text.substr(0, 100), &got, &err));
    got.clear();
    ASSERT_FALSE(read_all("", &got, &err));  // an empty file is not the verified one either
    EXPECT_NE(err.find("the snapshot changed while it was being read"), std::string::npos) << err;
}

// The bytes are hashed on the reader's own thread, a few chunks ahead of the parser: a file
// written to while the parse runs is still caught at its end.
TEST(VerifiedBytesSource, AFileChangedDuringTheParseIsCaughtByTheHashingThread) {
    char tmpl[] = "/tmp/kiosk-verified-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const fs::path file = fs::path(tmpl) / "completions.csv";
    std::string text = kHeader;
    while (text.size() < (8u << 20)) text += rows(0, 1000);  // 8 MiB: far beyond the read-ahead
    std::ofstream(file, std::ios::binary) << text;
    MinisignPrehasher h;
    h.update(text.data(), text.size());
    const MinisignPrehash verified = h.final();
    for (bool change : {false, true}) {
        std::ifstream in(file, std::ios::binary);
        VerifiedBytesSource src(in, verified);
        std::vector<char> buf(64 * 1024);
        size_t n = 0, total = 0;
        std::string err;
        ASSERT_TRUE(src.read(buf.data(), buf.size(), &n, &err)) << err;
        ASSERT_EQ(n, buf.size());
        total += n;
        if (change) {  // the last byte, 8 MiB on, while the first 64 KiB are being parsed
            std::fstream w(file, std::ios::binary | std::ios::in | std::ios::out);
            w.seekp(static_cast<std::streamoff>(text.size() - 1));
            w.put('\r');
        }
        bool ok = true;
        do {
            ok = src.read(buf.data(), buf.size(), &n, &err);
            total += n;
        } while (ok && n > 0);
        EXPECT_EQ(total, text.size());
        if (change) {
            EXPECT_FALSE(ok);
            EXPECT_NE(err.find("the snapshot changed while it was being read"), std::string::npos)
                << err;
        } else {
            EXPECT_TRUE(ok) << err;
        }
    }
    fs::remove_all(tmpl);
}

// A stream whose reads fail (EIO) after `good` bytes: istream::read sets badbit.
class FailingBuf : public std::streambuf {
public:
    explicit FailingBuf(size_t good) : good_(good) {}

protected:
    int_type underflow() override {
        if (given_ >= good_) throw std::runtime_error("EIO");
        c_ = 'x';
        ++given_;
        setg(&c_, &c_, &c_ + 1);
        return traits_type::to_int_type(c_);
    }

private:
    size_t good_, given_ = 0;
    char c_ = 0;
};

// The reader thread stops and is joined whatever the parse does: read to the end, stopped
// after a chunk (a rejected row), never read at all, or failing to read.
TEST(VerifiedBytesSource, ItsReaderThreadIsJoinedOnEveryPath) {
    const std::string big(4u << 20, 'x');
    MinisignPrehash any{};
    for (int stop_after : {0, 1, 3}) {
        std::istringstream in(big);
        VerifiedBytesSource src(in, any);
        char buf[4096];
        for (int i = 0; i < stop_after; ++i) {
            size_t n = 0;
            std::string err;
            ASSERT_TRUE(src.read(buf, sizeof buf, &n, &err)) << err;
            EXPECT_EQ(n, sizeof buf);
        }
    }  // destroyed with the reader thread blocked on a full queue: it must stop, not hang
    FailingBuf failing(300 * 1024);
    std::istream in(&failing);
    VerifiedBytesSource src(in, any);
    std::vector<char> buf(64 * 1024);
    size_t n = 0, total = 0;
    std::string err;
    while (src.read(buf.data(), buf.size(), &n, &err) && n > 0) total += n;
    EXPECT_EQ(err, "cannot read the CSV file");
    EXPECT_LE(total, 300u * 1024);
}

}  // namespace
}  // namespace kiosk::db
