// kioskctl demo-data and testdb: the demo material (a deterministic signed snapshot, its key pair,
// the synthetic test database, and a ready data directory with the demo cards enrolled), and
// `testdb query`, one query through the workspace's guarded engine (db/sql_workspace.h).
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "db/data_dir.h"
#include "db/feed_import.h"
#include "db/local_store.h"
#include "db/minisign.h"
#include "db/mirror_store.h"
#include "db/sql_workspace.h"
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
    // The workspace's test database where the workspace gate looks by default
    // ([sessions] workspace_db): a hard link when the file system allows, else a copy.
    fs::create_hard_link(testdb, dir->path_of("testdb.sqlite"), ec);
    if (ec) fs::copy_file(testdb, dir->path_of("testdb.sqlite"), ec);

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
        must(
            local.add_staff("staff1", "Demo Staff", card_hash(dir->secret(), *staff), "246813", &e),
            e);
    }
    fmt::print(
        "demo data in {}:\n  completions.csv ({} trainees + {} scenario trainees), signed "
        "sequence={} generated_at={}\n  office.pub / office.key (demo key pair)\n  cards.csv "
        "(demo cards and what a tap shows)\n  testdb.sqlite (synthetic test database)\n  {} "
        "(initialised, synced, cards enrolled; staff card 04FA000000000001, PIN 246813)\n",
        o.out, o.trainees, 12, o.sequence, format_instant(gen), data);
}

struct QueryOptions {
    std::string db;
    std::string sql;
    bool json = false;
    std::int64_t time_limit_ms = QueryLimits{}.time_limit.count();
    std::int64_t max_rows = QueryLimits{}.max_rows;
};

nlohmann::json cell_json(const QueryCell& c) {
    switch (c.type) {
        case QueryCell::Type::Null:
            return nullptr;
        case QueryCell::Type::Integer:
            return std::stoll(c.text);
        case QueryCell::Type::Real:
            return std::stod(c.text);
        case QueryCell::Type::Blob:
            return {{"blob_bytes", c.blob_bytes}, {"hex", c.text}};
        case QueryCell::Type::Text:
            break;
    }
    return c.text;
}

// One query through the workspace engine. Audited when a data directory is given (--data-dir, or
// --config naming one): then a query whose audit row cannot be written is refused. Without either
// it runs unaudited (a developer or an author of sample queries at a workstation; README).
void run_query(Ctl& ctl, const QueryOptions& o) {
    db::WorkspaceAudit audit;
    audit.actor = "kioskctl";
    if (!ctl.data_dir_flag.empty() || !ctl.config_path.empty()) audit.trail = &ctl.data().audit();
    QueryLimits limits;
    limits.time_limit = std::chrono::milliseconds(o.time_limit_ms);
    limits.max_rows = o.max_rows;
    std::string err;
    auto ws = db::SqlWorkspace::open(o.db, limits, audit, &err);
    if (!ws) throw CtlError(err);
    const QueryStatus st = ws->run(o.sql);
    const bool ok = st.outcome == QueryOutcome::Done || st.outcome == QueryOutcome::Cut;
    const double ms = static_cast<double>(st.elapsed.count()) / 1000.0;
    if (o.json) {
        nlohmann::json j = {
            {"outcome", query_outcome_name(st.outcome)},
            {"columns", st.columns},
            {"row_count", st.rows},
            {"truncated", st.outcome == QueryOutcome::Cut},
            {"duration_ms", ms},
            {"limits",
             {{"time_limit_ms", limits.time_limit.count()}, {"max_rows", limits.max_rows}}},
            {"audited", audit.trail != nullptr}};
        if (!st.message.empty()) j["message"] = st.message;
        nlohmann::json rows = nlohmann::json::array();
        for (std::int64_t at = 0; at < st.rows; at += 1000)
            for (auto& r : ws->page(at, 1000)) {
                nlohmann::json row = nlohmann::json::array();
                for (auto& c : r) row.push_back(cell_json(c));
                rows.push_back(std::move(row));
            }
        j["rows"] = std::move(rows);
        fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else if (ok) {
        // Tab-separated: a header line, then one line per row (NULL as an empty field).
        auto field = [](std::string s) {
            for (char& c : s)
                if (c == '\t' || c == '\n' || c == '\r') c = ' ';
            return s;
        };
        std::string out;
        for (size_t c = 0; c < st.columns.size(); ++c)
            out += (c ? "\t" : "") + field(st.columns[c]);
        out += '\n';
        for (std::int64_t at = 0; at < st.rows; at += 1000) {
            for (auto& r : ws->page(at, 1000)) {
                for (size_t c = 0; c < r.size(); ++c) out += (c ? "\t" : "") + field(r[c].text);
                out += '\n';
            }
            fmt::print("{}", out);
            out.clear();
        }
        fmt::print("{}", out);
        fmt::print(stderr, "({} row{}, {:.1f} ms{})\n", st.rows, st.rows == 1 ? "" : "s", ms,
                   st.outcome == QueryOutcome::Cut ? "; " + st.message : std::string());
    }
    if (!ok)
        throw CtlError(fmt::format("query {}: {}", query_outcome_name(st.outcome), st.message));
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

    auto q = std::make_shared<QueryOptions>();
    auto* query = testdb->add_subcommand(
        "query", "run one reading query through the workspace's guarded engine");
    query->add_option("--db", q->db, "test database file")->required();
    query->add_flag("--json", q->json, "print the result as one JSON object");
    query->add_option("--time-limit-ms", q->time_limit_ms, "time limit of the query")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{QueryLimits::kTimeLimitCeiling.count()}));
    query->add_option("--max-rows", q->max_rows, "row cap (more rows are cut, and said so)")
        ->check(CLI::Range(std::int64_t{1}, QueryLimits::kMaxRowsCeiling));
    query->add_option("SQL", q->sql, "one SELECT (or WITH ... SELECT) statement")->required();
    query->callback([&ctl, q] { run_query(ctl, *q); });
}

}  // namespace kiosk
