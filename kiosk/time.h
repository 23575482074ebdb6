// Dates and instants as the kiosk reads them. Training dates are calendar days in Japan
// (Asia/Tokyo: UTC+9, no daylight saving since 1951, so a fixed offset is exact).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kiosk {

using Date = std::chrono::sys_days;        // a calendar day (days since 1970-01-01)
using Instant = std::chrono::sys_seconds;  // a point in time, UTC seconds

inline constexpr std::chrono::minutes kTokyoOffset{9 * 60};

// Strict `YYYY-MM-DD` that names a real calendar day; nullopt otherwise.
std::optional<Date> parse_date(std::string_view text);

// ISO 8601 instant with an explicit offset: `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM|+HHMM)`.
// A bare `YYYY-MM-DD` is read as midnight in Japan. nullopt when malformed.
std::optional<Instant> parse_instant(std::string_view text);

std::string format_date(Date d);
// `2026-11-24T10:00:00+09:00` (Japan time by default).
std::string format_instant(Instant t, std::chrono::minutes offset = kTokyoOffset);

// The calendar day in Japan at instant t.
Date tokyo_date(Instant t);

Instant now();

}  // namespace kiosk
