// libFuzzer target: the feed CSV path the importer runs (StreamByteSource -> CsvReader ->
// FeedParser, as db/feed_import.cpp wires them). Checks that the reader's result does not depend
// on how its source is chunked, and that every row the parser lets through is one the importer may
// stage: a valid trainee number, a name, a unique certificate number, lines in file order. What
// the reader accepts must survive being written back fully quoted and read again.
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "db/csv_reader.h"
#include "db/feed_parser.h"
#include "kiosk/domain.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using kiosk::db::CsvOptions;
using kiosk::db::CsvReader;
using kiosk::db::CsvRecord;
using kiosk::db::FeedParseOptions;
using kiosk::db::FeedParser;
using kiosk::db::FeedRow;
using kiosk::db::StreamByteSource;

// Everything a reader produced, to compare two reads of the same bytes.
struct CsvTrace {
    std::vector<CsvRecord> records;
    CsvReader::Result last = CsvReader::Result::End;
    std::string error;
};

CsvTrace read_all(const std::string& bytes, CsvOptions options) {
    std::istringstream in(bytes);
    StreamByteSource source(in);
    CsvReader reader(source, options);
    CsvTrace trace;
    std::int64_t last_line = 0;
    for (;;) {
        CsvRecord rec;
        std::string err;
        auto res = reader.next(&rec, &err);
        if (res != CsvReader::Result::Record) {
            trace.last = res;
            trace.error = err;
            FUZZ_CHECK((res == CsvReader::Result::Error) == !err.empty());
            if (res == CsvReader::Result::Error) {  // errors are sticky
                std::string again;
                FUZZ_CHECK(reader.next(&rec, &again) == CsvReader::Result::Error && again == err);
            }
            return trace;
        }
        FUZZ_CHECK(!rec.fields.empty());
        FUZZ_CHECK(rec.line > last_line);  // records come in file order, one per start line
        last_line = rec.line;
        FUZZ_CHECK(trace.records.size() <= bytes.size());
        trace.records.push_back(std::move(rec));
    }
}

bool same(const CsvTrace& a, const CsvTrace& b) {
    if (a.last != b.last || a.error != b.error || a.records.size() != b.records.size())
        return false;
    for (size_t i = 0; i < a.records.size(); ++i)
        if (a.records[i].line != b.records[i].line || a.records[i].fields != b.records[i].fields)
            return false;
    return true;
}

// Writes records back as CSV with every field quoted: what any RFC 4180 writer may produce.
std::string write_quoted(const std::vector<CsvRecord>& records) {
    std::string out;
    for (const auto& rec : records) {
        for (size_t i = 0; i < rec.fields.size(); ++i) {
            if (i > 0) out += ',';
            out += '"';
            for (char c : rec.fields[i]) {
                if (c == '"') out += '"';
                out += c;
            }
            out += '"';
        }
        out += "\r\n";
    }
    return out;
}

void parse_feed(const std::string& bytes, std::int64_t max_invalid_rows) {
    std::istringstream in(bytes);
    StreamByteSource source(in);
    CsvReader reader(source);
    FeedParseOptions options{.max_invalid_rows = max_invalid_rows};
    FeedParser parser(reader, options);
    std::set<std::string> certificate_nos;
    std::map<std::string, std::int64_t> rows_per_trainee;
    std::int64_t last_line = 0;
    for (size_t n = 0;; ++n) {
        FUZZ_CHECK(n <= bytes.size());  // every row costs at least one byte
        FeedRow row;
        std::string err;
        auto res = parser.next(&row, &err);
        if (res == FeedParser::Result::Rejected) {
            FUZZ_CHECK(!err.empty());
            FUZZ_CHECK(!parser.errors().empty());
            FUZZ_CHECK(parser.errors().size() <= options.max_errors + 1);
            std::string again;
            FUZZ_CHECK(parser.next(&row, &again) == FeedParser::Result::Rejected);
            return;
        }
        if (res == FeedParser::Result::End) {
            FUZZ_CHECK(static_cast<std::int64_t>(parser.skipped_lines().size()) <=
                       max_invalid_rows);
            FUZZ_CHECK(parser.rows_read() > 0);
            return;
        }
        // A row the importer will stage.
        FUZZ_CHECK(kiosk::valid_trainee_no(row.trainee_no));
        FUZZ_CHECK(!row.name.empty() && kiosk::db::utf8_length(row.name) <= 100);
        FUZZ_CHECK(!row.cert.certificate_no.empty());
        FUZZ_CHECK(certificate_nos.insert(row.cert.certificate_no).second);
        FUZZ_CHECK(!row.cert.course_code.empty());
        FUZZ_CHECK(!row.cert.provider.empty());
        FUZZ_CHECK(row.line > last_line);
        last_line = row.line;
        std::int64_t& seen = rows_per_trainee[row.trainee_no];
        FUZZ_CHECK(row.first_of_trainee == (seen == 0));
        FUZZ_CHECK(row.cert.file_order == seen);
        ++seen;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);

    // The importer's options, then tiny chunks and a small record limit: the reader keeps state
    // across refills (a CRLF, a UTF-8 sequence, a BOM split between chunks) and must not care.
    CsvTrace whole = read_all(bytes, CsvOptions{});
    CsvTrace chunked = read_all(bytes, CsvOptions{.chunk_bytes = 4 + size % 13});
    FUZZ_CHECK(same(whole, chunked));
    read_all(bytes, CsvOptions{.max_record_bytes = 16 + size % 64, .chunk_bytes = 5});

    // What the reader accepted, written back fully quoted, reads back to the same fields.
    if (whole.last == CsvReader::Result::End) {
        std::string rewritten = write_quoted(whole.records);
        CsvTrace again = read_all(rewritten, CsvOptions{.max_record_bytes = rewritten.size() + 1});
        FUZZ_CHECK(again.last == CsvReader::Result::End);
        FUZZ_CHECK(again.records.size() == whole.records.size());
        for (size_t i = 0; i < again.records.size(); ++i)
            FUZZ_CHECK(again.records[i].fields == whole.records[i].fields);
    }

    parse_feed(bytes, 0);
    parse_feed(bytes, 3);
    return 0;
}
