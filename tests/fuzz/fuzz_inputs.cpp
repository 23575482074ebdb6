// libFuzzer target: the small text inputs an operator or a card reader hands the kiosk — a card UID
// (kioskctl, the simulated reader), the TOML config, and a snapshot's trusted-comment stamp. An
// accepted UID is 4-10 bytes and round-trips through hex(); an accepted config holds only values
// the kiosk can act on (finite, in range); an accepted stamp round-trips its time.
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/minisign.h"
#include "kiosk/card_id.h"
#include "kiosk/config.h"
#include "kiosk/time.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void card_uid(std::string_view text) {
    std::string err;
    auto uid = kiosk::parse_card_uid(text, &err);
    if (!uid) {
        FUZZ_CHECK(!err.empty());
        return;
    }
    FUZZ_CHECK(uid->bytes.size() >= kiosk::kMinUidBytes &&
               uid->bytes.size() <= kiosk::kMaxUidBytes);
    std::string hex = uid->hex();
    FUZZ_CHECK(hex.size() == 2 * uid->bytes.size());
    auto again = kiosk::parse_card_uid(hex, &err);
    FUZZ_CHECK(again && *again == *uid);
}

void config(std::string_view text) {
    kiosk::Config c;
    std::string err;
    if (!kiosk::parse_config(text, "fuzz.toml", &c, &err)) {
        FUZZ_CHECK(!err.empty());
        return;
    }
    FUZZ_CHECK(std::isfinite(c.policy.max_age_hours) && c.policy.max_age_hours > 0);
    FUZZ_CHECK(std::isfinite(c.policy.warn_age_hours) && c.policy.warn_age_hours > 0 &&
               c.policy.warn_age_hours <= c.policy.max_age_hours);
    FUZZ_CHECK(c.policy.seats >= 1 && c.policy.seats <= 1000);
    FUZZ_CHECK(c.session_minutes >= 1 && c.session_minutes <= 24 * 60);
    FUZZ_CHECK(c.sync.max_invalid_rows >= 0);
    FUZZ_CHECK(c.sync.max_removed_fraction >= 0 && c.sync.max_removed_fraction <= 1);
    FUZZ_CHECK(c.sync.retries >= 0 && c.sync.retries <= 20);
    FUZZ_CHECK(!c.data_dir.empty());
}

void feed_stamp(std::string_view text) {
    kiosk::db::FeedStamp stamp;
    std::string err;
    if (!kiosk::db::parse_feed_stamp(text, &stamp, &err)) {
        FUZZ_CHECK(!err.empty());
        return;
    }
    FUZZ_CHECK(stamp.sequence >= 0);
    // The time prints and reads back to the same second, away from the edges of the years the
    // parser accepts (1900-9999 local time).
    std::chrono::year y = std::chrono::year_month_day{kiosk::tokyo_date(stamp.generated_at)}.year();
    if (y > std::chrono::year{1900} && y < std::chrono::year{9999}) {
        auto back = kiosk::parse_instant(kiosk::format_instant(stamp.generated_at));
        FUZZ_CHECK(back && *back == stamp.generated_at);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    card_uid(text);
    config(text);
    feed_stamp(text);
    return 0;
}
