// Feed encodings other than UTF-8: a streaming CP932 (Shift_JIS as Windows and Excel write it)
// to UTF-8 decoder that plugs into CsvReader as a ByteSource, the encoding names `kioskctl sync
// --encoding` accepts, and detection of a snapshot's encoding (UTF-8, else CP932) in bounded
// memory. Errors name the physical line of the bad byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/csv_reader.h"

namespace kiosk::db {

// Reads CP932 bytes from `in` and yields UTF-8, converting with glibc iconv one chunk at a time
// (a character split across chunks is carried over). The first byte that is not valid CP932 —
// or a lead byte cut off by the end of the input — ends the stream: the UTF-8 decoded before it
// is yielded first, then read() returns false with "line N: invalid CP932 (byte 0xXX)", N being
// the physical line of that byte (0x0A is never a CP932 trail byte, so lines are counted on the
// raw bytes). Errors are sticky.
class Cp932ByteSource final : public ByteSource {
public:
    explicit Cp932ByteSource(ByteSource& in, size_t chunk_bytes = 64 * 1024);
    ~Cp932ByteSource() override;
    Cp932ByteSource(const Cp932ByteSource&) = delete;
    Cp932ByteSource& operator=(const Cp932ByteSource&) = delete;

    bool read(char* buf, size_t cap, size_t* n, std::string* err) override;

    // The physical line (1-based) of the next undecoded input byte.
    std::int64_t line() const { return line_; }

private:
    bool refill();       // more raw input after the carried-over bytes; false sets error_
    void decode_more();  // converts into out_; sets error_ or done_ when there is no more

    ByteSource& in_;
    void* cd_;  // iconv_t
    std::vector<char> in_buf_, out_;
    size_t in_pos_ = 0, in_len_ = 0, out_pos_ = 0, out_len_ = 0;
    bool in_eof_ = false, done_ = false;
    std::int64_t line_ = 1;
    std::string error_;
};

// The canonical name for an encoding given to `sync --encoding` (case-insensitive): "utf-8" for
// utf-8/utf8, "cp932" for cp932/shift_jis/shift-jis/sjis/windows-31j/ms932, "auto" for auto or
// empty (detect). Anything else: nullopt and *err "encoding 'X' is not supported: use utf-8,
// cp932 or auto".
std::optional<std::string> canonical_feed_encoding(std::string_view name, std::string* err);

// The first half of detect_feed_encoding: a UTF-8 check fed the content in pieces, in order (so
// that it can run in a read made for something else, e.g. the signature's). Counts lines to name
// the first invalid byte; once that is found the rest is ignored.
class FeedUtf8Scan {
public:
    void feed(std::string_view bytes);
    // After the last piece: true when every byte was valid UTF-8 (a BOM is allowed).
    bool finish();
    // An invalid byte was found (the rest need not be fed).
    bool failed() const { return failed_; }
    // "line 3: invalid UTF-8 (byte 0x8E)" once finish() is false.
    const std::string& error() const { return error_; }

private:
    bool feed_byte(unsigned char c);
    bool bad(unsigned char c);

    bool failed_ = false;
    int need_ = 0;
    unsigned char lo_ = 0x80, hi_ = 0xBF;
    std::int64_t line_ = 1;
    std::string error_;
};

// The second half of detect_feed_encoding, once `utf8` has been fed the whole of `in`: "utf-8"
// when it found every byte valid, else "cp932" when `in` (rewound here, then read to its end) is
// valid CP932, else nullopt and *err naming both first invalid bytes, exactly as
// detect_feed_encoding does. The caller rewinds `in` afterwards.
std::optional<std::string> feed_encoding_after_utf8_scan(std::istream& in, FeedUtf8Scan& utf8,
                                                         std::string* err);

// Reads `in` to the end in chunks and says which encoding it is in: "utf-8" when every byte is
// valid UTF-8 (a BOM is allowed), else "cp932" when every byte is valid CP932; else nullopt and
// *err naming the first invalid byte and its line for each ("neither UTF-8 nor CP932: line 3:
// invalid UTF-8 (byte 0x8E); line 7: invalid CP932 (byte 0xFF)"). The CP932 check needs a second
// pass: `in` must be seekable. The caller rewinds `in` afterwards.
std::optional<std::string> detect_feed_encoding(std::istream& in, std::string* err);

}  // namespace kiosk::db
