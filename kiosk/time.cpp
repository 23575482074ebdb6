// Parsing and formatting of the kiosk's dates and instants (see time.h).
#include "kiosk/time.h"

#include <fmt/format.h>

#include <cctype>

namespace kiosk {
namespace {

// Reads exactly n ASCII digits at text[pos]; -1 when any is not a digit.
int digits(std::string_view text, size_t pos, size_t n) {
    if (pos + n > text.size()) return -1;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (text[i] < '0' || text[i] > '9') return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    int y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
    if (y < 0 || m < 0 || d < 0) return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                    std::chrono::day{unsigned(d)}};
    if (!ymd.ok() || y < 1900) return std::nullopt;
    return Date{ymd};
}

std::optional<Instant> parse_instant(std::string_view text) {
    auto date = parse_date(text.substr(0, std::min<size_t>(10, text.size())));
    if (!date) return std::nullopt;
    if (text.size() == 10) return Instant{*date - kTokyoOffset};
    if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':')
        return std::nullopt;
    int hh = digits(text, 11, 2), mm = digits(text, 14, 2), ss = digits(text, 17, 2);
    if (hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
    size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {  // fractional seconds: read and dropped
        ++pos;
        size_t start = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
        if (pos == start) return std::nullopt;
    }
    if (pos >= text.size()) return std::nullopt;  // an offset is required
    int offset_minutes = 0;
    if (text[pos] == 'Z' || text[pos] == 'z') {
        if (pos + 1 != text.size()) return std::nullopt;
    } else if (text[pos] == '+' || text[pos] == '-') {
        int sign = text[pos] == '-' ? -1 : 1;
        std::string_view off = text.substr(pos + 1);
        int oh = -1, om = -1;
        if (off.size() == 5 && off[2] == ':') {
            oh = digits(off, 0, 2);
            om = digits(off, 3, 2);
        } else if (off.size() == 4) {
            oh = digits(off, 0, 2);
            om = digits(off, 2, 2);
        } else if (off.size() == 2) {
            oh = digits(off, 0, 2);
            om = 0;
        }
        if (oh < 0 || om < 0 || oh > 14 || om > 59) return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    auto local = std::chrono::sys_seconds{*date} + std::chrono::hours{hh} +
                 std::chrono::minutes{mm} + std::chrono::seconds{std::min(ss, 59)};
    return Instant{local - std::chrono::minutes{offset_minutes}};
}

std::string format_date(Date d) {
    std::chrono::year_month_day ymd{d};
    int y = int(ymd.year());
    if (y < 0 || y > 9999)
        return fmt::format("{:04}-{:02}-{:02}", y, unsigned(ymd.month()), unsigned(ymd.day()));
    // By hand: the nightly import formats a million of these.
    unsigned m = unsigned(ymd.month()), dd = unsigned(ymd.day());
    char out[10] = {char('0' + y / 1000),
                    char('0' + y / 100 % 10),
                    char('0' + y / 10 % 10),
                    char('0' + y % 10),
                    '-',
                    char('0' + m / 10),
                    char('0' + m % 10),
                    '-',
                    char('0' + dd / 10),
                    char('0' + dd % 10)};
    return std::string(out, sizeof out);
}

std::string format_instant(Instant t, std::chrono::minutes offset) {
    auto local = t + offset;
    auto day = std::chrono::floor<std::chrono::days>(local);
    std::chrono::hh_mm_ss hms{local - day};
    long off = offset.count();
    char sign = off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    if (off == 0) {
        return fmt::format("{}T{:02}:{:02}:{:02}Z", format_date(Date{day}), hms.hours().count(),
                           hms.minutes().count(), hms.seconds().count());
    }
    return fmt::format("{}T{:02}:{:02}:{:02}{}{:02}:{:02}", format_date(Date{day}),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count(), sign,
                       off / 60, off % 60);
}

Date tokyo_date(Instant t) { return std::chrono::floor<std::chrono::days>(t + kTokyoOffset); }

Instant now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

}  // namespace kiosk
