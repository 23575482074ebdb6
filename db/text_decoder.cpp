// CP932 → UTF-8 decoding with glibc iconv, encoding names and detection (see text_decoder.h).
#include "db/text_decoder.h"

#include <fmt/format.h>
#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kiosk::db {
namespace {

constexpr size_t kMinBuffer = 16;  // room for any CP932 character and its UTF-8

iconv_t as_iconv(void* cd) { return static_cast<iconv_t>(cd); }

bool is_cp932_lead(unsigned char c) { return (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC); }

}  // namespace

// A UTF-8 validator (RFC 3629 well-formed sequences only) fed one byte at a time, counting lines;
// false at the first invalid byte, which error() then names.
bool FeedUtf8Scan::feed_byte(unsigned char c) {
    if (need_ == 0) {
        if (c < 0x80) {
            if (c == '\n') ++line_;
            return true;
        }
        lo_ = 0x80;
        hi_ = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need_ = 1;
        } else if (c == 0xE0) {
            need_ = 2;
            lo_ = 0xA0;
        } else if (c >= 0xE1 && c <= 0xEF) {
            need_ = 2;
            if (c == 0xED) hi_ = 0x9F;  // no surrogates
        } else if (c == 0xF0) {
            need_ = 3;
            lo_ = 0x90;
        } else if (c >= 0xF1 && c <= 0xF4) {
            need_ = 3;
            if (c == 0xF4) hi_ = 0x8F;
        } else {
            return bad(c);
        }
        return true;
    }
    if (c < lo_ || c > hi_) return bad(c);
    lo_ = 0x80;
    hi_ = 0xBF;
    --need_;
    return true;
}

bool FeedUtf8Scan::bad(unsigned char c) {
    failed_ = true;
    error_ = fmt::format("line {}: invalid UTF-8 (byte 0x{:02X})", line_, c);
    return false;
}

// Runs of plain ASCII between characters are checked eight bytes at a time (only their line feeds
// are counted, with a multiply rather than a popcount, which is a library call without -mpopcnt).
void FeedUtf8Scan::feed(std::string_view bytes) {
    const char* p = bytes.data();
    const size_t n = bytes.size();
    size_t i = 0;
    while (i < n && !failed_) {
        if (need_ == 0 && n - i >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                // Bytes equal to '\n' become zero; an exact zero-byte mask (0x80 in each) counts
                // them: shifted to 0x01 a byte, the multiply sums them into the top byte.
                const std::uint64_t x = w ^ 0x0A0A0A0A0A0A0A0Aull;
                const std::uint64_t low = 0x7F7F7F7F7F7F7F7Full;
                const std::uint64_t zero = ~(((x & low) + low) | x | low);
                line_ += static_cast<std::int64_t>(((zero >> 7) * 0x0101010101010101ull) >> 56);
                i += 8;
                continue;
            }
        }
        feed_byte(static_cast<unsigned char>(p[i]));
        ++i;
    }
}

bool FeedUtf8Scan::finish() {
    if (failed_) return false;
    if (need_ == 0) return true;
    failed_ = true;
    error_ = fmt::format("line {}: invalid UTF-8 (the file ends inside a character)", line_);
    return false;
}

Cp932ByteSource::Cp932ByteSource(ByteSource& in, size_t chunk_bytes)
    : in_(in),
      cd_(nullptr),
      in_buf_(std::max(chunk_bytes, kMinBuffer)),
      out_(std::max(chunk_bytes, kMinBuffer)) {
    iconv_t cd = iconv_open("UTF-8", "CP932");
    if (cd == reinterpret_cast<iconv_t>(-1))
        error_ =
            fmt::format("cannot convert from CP932: iconv_open failed ({})", std::strerror(errno));
    else
        cd_ = cd;
}

Cp932ByteSource::~Cp932ByteSource() {
    if (cd_) iconv_close(as_iconv(cd_));
}

bool Cp932ByteSource::refill() {
    const size_t left = in_len_ - in_pos_;
    if (left > 0 && in_pos_ > 0) std::memmove(in_buf_.data(), in_buf_.data() + in_pos_, left);
    in_pos_ = 0;
    in_len_ = left;
    size_t n = 0;
    std::string e;
    if (!in_.read(in_buf_.data() + left, in_buf_.size() - left, &n, &e)) {
        error_ = e;
        return false;
    }
    if (n == 0) in_eof_ = true;
    in_len_ += n;
    return true;
}

void Cp932ByteSource::decode_more() {
    out_pos_ = out_len_ = 0;
    while (out_len_ == 0 && error_.empty() && !done_) {
        if (in_pos_ == in_len_) {
            if (in_eof_) {
                done_ = true;
                return;
            }
            if (!refill()) return;
            continue;
        }
        char* const start = in_buf_.data() + in_pos_;
        char* ip = start;
        size_t il = in_len_ - in_pos_;
        char* op = out_.data();
        size_t ol = out_.size();
        errno = 0;
        const size_t r = iconv(as_iconv(cd_), &ip, &il, &op, &ol);
        const int e = errno;
        const size_t consumed = static_cast<size_t>(ip - start);
        line_ += std::count(start, ip, '\n');
        in_pos_ += consumed;
        out_len_ = static_cast<size_t>(op - out_.data());
        if (r != static_cast<size_t>(-1) || e == E2BIG) continue;  // out_ holds UTF-8 now
        const auto c = static_cast<unsigned char>(in_buf_[in_pos_]);
        if (e == EINVAL) {  // a lead byte at the end of the chunk: carry it over
            if (in_eof_)
                error_ = fmt::format(
                    "line {}: invalid CP932 (byte 0x{:02X} at the end of the file: a truncated "
                    "character)",
                    line_, c);
            else
                refill();
            continue;
        }
        if (is_cp932_lead(c) && in_pos_ + 1 < in_len_)
            error_ = fmt::format("line {}: invalid CP932 (bytes 0x{:02X} 0x{:02X})", line_, c,
                                 static_cast<unsigned char>(in_buf_[in_pos_ + 1]));
        else
            error_ = fmt::format("line {}: invalid CP932 (byte 0x{:02X})", line_, c);
    }
}

bool Cp932ByteSource::read(char* buf, size_t cap, size_t* n, std::string* err) {
    *n = 0;
    if (out_pos_ == out_len_ && error_.empty() && !done_) decode_more();
    if (out_pos_ < out_len_) {
        *n = std::min(cap, out_len_ - out_pos_);
        std::memcpy(buf, out_.data() + out_pos_, *n);
        out_pos_ += *n;
        return true;
    }
    if (!error_.empty()) {
        *err = error_;
        return false;
    }
    return true;  // the end
}

std::optional<std::string> canonical_feed_encoding(std::string_view name, std::string* err) {
    std::string lower(name);
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower.empty() || lower == "auto") return "auto";
    if (lower == "utf-8" || lower == "utf8") return "utf-8";
    for (std::string_view alias :
         {"cp932", "shift_jis", "shift-jis", "sjis", "windows-31j", "ms932"})
        if (lower == alias) return "cp932";
    *err = fmt::format("encoding '{}' is not supported: use utf-8, cp932 or auto", name);
    return std::nullopt;
}

std::optional<std::string> detect_feed_encoding(std::istream& in, std::string* err) {
    // Pass 1: UTF-8 (the common case, and cheap).
    FeedUtf8Scan utf8;
    std::vector<char> chunk(64 * 1024);
    for (;;) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        if (in.bad()) {
            *err = "cannot read the snapshot to detect its encoding";
            return std::nullopt;
        }
        const auto got = static_cast<size_t>(in.gcount());
        if (got == 0) break;
        utf8.feed(std::string_view(chunk.data(), got));
        if (utf8.failed()) break;
    }
    return feed_encoding_after_utf8_scan(in, utf8, err);
}

std::optional<std::string> feed_encoding_after_utf8_scan(std::istream& in, FeedUtf8Scan& utf8,
                                                         std::string* err) {
    if (utf8.finish()) return "utf-8";

    // Pass 2: CP932, through the decoder itself so that detection and decoding agree.
    in.clear();
    in.seekg(0);
    if (!in) {
        *err = "cannot rewind the snapshot to detect its encoding";
        return std::nullopt;
    }
    std::vector<char> chunk(64 * 1024);
    StreamByteSource raw(in);
    Cp932ByteSource cp932(raw);
    for (;;) {
        size_t n = 0;
        std::string e;
        if (!cp932.read(chunk.data(), chunk.size(), &n, &e)) {
            if (in.bad()) {
                *err = e;
                return std::nullopt;
            }
            *err = fmt::format("the snapshot is neither UTF-8 nor CP932 (Shift_JIS): {}; {}",
                               utf8.error(), e);
            return std::nullopt;
        }
        if (n == 0) return "cp932";
    }
}

}  // namespace kiosk::db
