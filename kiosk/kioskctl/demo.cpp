// kioskctl demo-data and testdb: the demo material (a deterministic signed snapshot, its key pair,
// the synthetic test database, and a ready data directory with the demo cards enrolled).
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/local_store.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db/testdb.h"
#include "kiosk/demo_data.h"
#include "kiosk/kioskctl/kioskctl.h"

namespace kiosk {
namespace {

namespace fs = std::filesystem;

struct DemoOptions {
    std::string out;
    std::int64_t trainees = 200;
    std::string generated_at;
    std::int64_t sequence = 1;
    int patients = 2000;
};

std::array<unsigned char, 32> demo_seed() {
    std::array<unsigned char, 32> seed{};
    const std::string_view label = "onsite-kiosk demo records office key";
    crypto_generichash(seed.data(), seed.size(),
                       reinterpret_cast<const unsigned char*>(label.data()), label.size(), nullptr,
                       0);
    return seed;
}

void must(bool ok, const std::string& err) {
    if (!ok) throw CtlError(err);
}

void make_demo(Ctl& ctl, const DemoOptions& o) {
    std::error_code ec;
    fs::create_directories(o.out, ec);
    if (ec) throw CtlError(fmt::format("cannot create {}: {}", o.out, ec.message()));
    Instant gen = o.generated_at.empty() ? now() : ctl.at(o.generated_at);
    // Demo snapshots are stamped on the hour so that reruns within the hour are identical.
    gen = std::chrono::floor<std::chrono::hours>(gen);

    std::string err;
    const std::string pub = o.out + "/office.pub", key = o.out + "/office.key";
    const std::string csv = o.out + "/completions.csv", sig = csv + ".minisig";
    auto kp = db::minisign_keypair_from_seed(demo_seed());
    must(db::write_minisign_key_files(kp, pub, key, &err), err);
    {
        std::ofstream f(csv, std::ios::binary | std::ios::trunc);
        if (!f) throw CtlError(fmt::format("cannot write {}", csv));
        write_demo_feed(f, o.trainees);
        if (!f.flush()) throw CtlError(fmt::format("cannot write {}", csv));
    }
    must(db::minisign_sign_file(
             csv, kp, fmt::format("sequence={} generated_at={}", o.sequence, format_instant(gen)),
             sig, &err),
         err);
    {
        std::ofstream f(o.out + "/cards.csv", std::ios::trunc);
        f << "card_uid,trainee_no,label,expect\n";
        for (auto& c : demo_cards())
            f << c.uid << ',' << c.trainee_no << ',' << c.label << ',' << c.expect << '\n';
    }
    const std::string testdb = o.out + "/testdb.sqlite";
    if (!fs::exists(testdb))
        must(db::generate_test_database(testdb, o.patients, 20240131, &err), err);

    // A ready data directory: initialised, synced, demo cards and a demo staff member enrolled.
    const std::string data = ctl.data_dir_flag.empty() ? o.out + "/data" : ctl.data_dir_flag;
    if (fs::exists(data))
        throw CtlError(fmt::format("{} already exists: remove it or pass another --out", data));
    std::string report;
    must(db::DataDir::init(data, &report, &err), err);
    auto dir = db::DataDir::open(data, &err);
    if (!dir) throw CtlError(err);
    db::SyncRequest req;
    req.csv_path = csv;
    req.sig_path = sig;
    req.public_key_path = pub;
    req.now = gen + std::chrono::minutes(1);
    db::SyncReport sync;
    must(db::sync_snapshot(req, dir->mirror(), dir->audit(), &sync, &err), err);
    fs::copy_file(pub, dir->path_of("feed.pub"), fs::copy_options::overwrite_existing, ec);

    Instant at = gen + std::chrono::minutes(2);
    auto& local = dir->local();
    for (auto& c : demo_cards()) {
        std::string e;
        auto uid = parse_card_uid(c.uid, &e);
        if (!uid) throw CtlError(e);
        std::string hash = card_hash(dir->secret(), *uid);
        switch (c.setup) {
            case DemoCard::Setup::NotEnrolled:
                continue;
            case DemoCard::Setup::Enrolled:
            case DemoCard::Setup::BoundToUnknownTrainee:
                must(local.enroll(hash, c.trainee_no, at, &e), e);
                break;
            case DemoCard::Setup::Revoked:
                must(local.enroll(hash, c.trainee_no, at, &e), e);
                must(local.unenroll(hash, at, &e), e);
                break;
            case DemoCard::Setup::InSession: {
                must(local.enroll(hash, c.trainee_no, at, &e), e);
                SessionRecord s;
                s.trainee_no = c.trainee_no;
                s.card_hash = hash;
                s.started_at = at;
                s.ends_at = at + std::chrono::hours(24 * 365);
                must(local.start_session(s, at, &e), e);
                break;
            }
        }
        AuditReceipt r;
        must(dir->audit().append(
                 {at, "card.enroll", "demo-data", c.trainee_no, card_hash_prefix(hash), "ok", "{}"},
                 &r, &e),
             e);
    }
    {
        std::string e;
        auto staff = parse_card_uid("04FA000000000001", &e);
        must(local.add_staff("staff1", "Demo Staff", card_hash(dir->secret(), *staff), "2468", &e),
             e);
    }
    fmt::print(
        "demo data in {}:\n  completions.csv ({} trainees + {} scenario trainees), signed "
        "sequence={} generated_at={}\n  office.pub / office.key (demo key pair)\n  cards.csv "
        "(demo cards and what a tap shows)\n  testdb.sqlite (synthetic test database)\n  {} "
        "(initialised, synced, cards enrolled; staff card 04FA000000000001, PIN 2468)\n",
        o.out, o.trainees, 12, o.sequence, format_instant(gen), data);
}

}  // namespace

void add_demo_commands(CLI::App& app, Ctl& ctl) {
    auto o = std::make_shared<DemoOptions>();
    auto* demo = app.add_subcommand("demo-data",
                                    "a synthetic signed feed, its key pair and a test database");
    demo->add_option("--out", o->out, "output directory")->required();
    demo->add_option("--trainees", o->trainees, "bulk synthetic trainees (4 rows each)")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{5'000'000}));
    demo->add_option("--generated-at", o->generated_at, "snapshot time (default: this hour)");
    demo->add_option("--sequence", o->sequence, "snapshot sequence")->check(CLI::PositiveNumber);
    demo->add_option("--patients", o->patients, "patients in the test database")
        ->check(CLI::Range(1, 1'000'000));
    demo->callback([&ctl, o] { make_demo(ctl, *o); });

    auto* testdb = app.add_subcommand("testdb", "the synthetic test database");
    testdb->require_subcommand(1);
    auto t = std::make_shared<DemoOptions>();
    auto* gen = testdb->add_subcommand("generate", "write a new synthetic test database");
    gen->add_option("--out", t->out, "database file to create")->required();
    gen->add_option("--patients", t->patients, "number of patients")
        ->check(CLI::Range(1, 1'000'000));
    gen->callback([t] {
        std::string err;
        must(db::generate_test_database(t->out, t->patients, 20240131, &err), err);
        fmt::print("test database {} written ({} synthetic patients)\n", t->out, t->patients);
    });
}

}  // namespace kiosk
