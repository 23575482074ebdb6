// The feed's CSV vocabulary and validation (product.md section 3): maps the header by name (in
// any order, Japanese aliases included), validates each row into a FeedRow, checks the rules
// that span rows (certificate numbers unique in the file, trainee-level columns agreeing across
// a trainee's rows), and collects errors as `line N, column C: what is wrong`. It streams: rows
// come out one at a time for the importer to stage; only the keys needed for the cross-row
// checks are kept in memory.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/csv_reader.h"
#include "db/huge_pages.h"
#include "db/trainee_map.h"
#include "kiosk/domain.h"

namespace kiosk::db {

// One valid row: the trainee-level columns and one certificate. cert.file_order is the row's
// position among its trainee's rows (0, 1, ...): it breaks completed_on ties in the rules and
// stays stable when unrelated rows are added elsewhere in the file.
struct FeedRow {
    std::int64_t line = 0;
    std::string trainee_no;
    std::string name;
    std::string affiliation;
    std::optional<Date> request_accepted_on;
    std::optional<Date> user_since;
    Certificate cert;
    bool first_of_trainee = false;  // the first row of this trainee in the file
    // The trainee's number among the file's trainees in order of first appearance (0, 1, ...),
    // so that a reader of the rows can index its own per-trainee state instead of looking the
    // trainee number up on every row; kNoTraineeSeq when unknown (rows not from a FeedParser).
    static constexpr std::uint32_t kNoTraineeSeq = 0xFFFFFFFFu;
    std::uint32_t trainee_seq = kNoTraineeSeq;
};

struct FeedParseOptions {
    std::int64_t max_invalid_rows = 0;  // invalid rows skipped (listed) before the file is rejected
    size_t max_errors = 100;            // errors listed before stopping with "… more errors"
    // About how many rows the file holds (e.g. its size over a typical row's): the indexes of
    // certificate numbers and trainees are sized for it once instead of growing row by row.
    std::int64_t expected_rows = 0;
};

class FeedParser {
public:
    FeedParser(CsvReader& reader, FeedParseOptions options = {});

    enum class Result { Row, End, Rejected };
    // Reads the header on the first call. Returns each valid row; skips invalid ones while their
    // number stays within max_invalid_rows. Rejected: the file cannot be applied — *err is the
    // first error, errors() lists them all (up to max_errors, then "… more errors").
    Result next(FeedRow* out, std::string* err);

    // Every error seen (each `line N, column C: …`); when rejected, capped at max_errors plus a
    // final "… more errors" line when more were found.
    const std::vector<std::string>& errors() const { return errors_; }
    // Lines of the rows skipped under max_invalid_rows (only meaningful when not rejected).
    const std::vector<std::int64_t>& skipped_lines() const { return skipped_lines_; }
    // Unknown columns and TR-8 notes: the file is still applied.
    const std::vector<std::string>& warnings() const { return warnings_; }
    std::int64_t rows_read() const { return rows_read_; }

private:
    enum Field {
        kTraineeNo,
        kName,
        kAffiliation,
        kCourse,
        kProvider,
        kCertificateNo,
        kCompletedOn,
        kStatus,
        kRequestAcceptedOn,
        kUserSince,
        kFieldCount
    };
    // What the rules across rows need of a trainee already seen: its first line, its row count,
    // and hashes of its trainee-level columns (name, affiliation, request_accepted_on,
    // user_since) — a quarter-million trainees' strings would cost more than their checks.
    struct TraineeSeen {
        std::int64_t first_line = 0;
        std::int64_t rows = 0;
        std::uint32_t seq = 0;  // FeedRow::trainee_seq
        std::array<std::uint64_t, 4> values{};
    };

    bool read_header(std::string* err);
    // Validates one record; false when it has errors (added to errors_).
    bool validate(const CsvRecord& rec, FeedRow* out);
    void add_error(std::string msg);
    Result reject(std::string* err);

    CsvReader& reader_;
    FeedParseOptions options_;
    bool header_done_ = false;
    bool rejected_ = false;
    int columns_[kFieldCount];
    std::vector<std::string> header_;
    size_t width_ = 0;
    std::vector<std::string> errors_;
    std::int64_t error_count_ = 0;
    std::vector<std::int64_t> skipped_lines_;
    std::int64_t invalid_rows_ = 0;
    std::vector<std::string> warnings_;
    std::int64_t rows_read_ = 0;
    size_t reserve_hint_ = 0;  // rows expected from the file's size; 0 once reserved
    // Certificate numbers seen, as 64-bit hashes → first line, in an open-addressing table (a
    // million std::string nodes cost more than the rest of the validation). Two different
    // numbers with the same hash (about 1 in 10^7 for a million-row file) would be reported as a
    // duplicate: the file is rejected and the mirror kept — a fail-safe false alarm.
    class LineIndex {
    public:
        // The line recorded for `hash`, 0 when none.
        std::int64_t find(std::uint64_t hash) const;
        void add(std::uint64_t hash, std::int64_t line);  // hash not yet recorded
        void reserve(size_t entries);

    private:
        void grow();
        void rehash(size_t slots);  // a power of two, at least the entries held
        HugeVector<std::pair<std::uint64_t, std::int64_t>> slots_;
        size_t used_ = 0;
    };
    LineIndex certificate_lines_;
    TraineeMap<TraineeSeen> trainees_;
    // The trainee of the last valid row and its trainee-level values as written (for messages
    // and to skip the lookup for its next rows).
    TraineeSeen* last_trainee_ = nullptr;
    std::string last_trainee_no_;
    std::array<std::string, 4> last_values_;
    CsvRecord record_;
};

// Number of Unicode code points in valid UTF-8 text.
size_t utf8_length(std::string_view s);

}  // namespace kiosk::db
