// The [staff] configuration section (issue 11): defaults, the shipped config/kiosk.toml, and
// out-of-range or mistyped values refused naming the key.
#include <gtest/gtest.h>

#include "kiosk/config.h"

namespace kiosk {
namespace {

TEST(StaffConfig, DefaultsAndTheShippedFileAgree) {
    Config shipped;
    std::string err;
    ASSERT_TRUE(load_config(KIOSK_SOURCE_DIR "/config/kiosk.toml", &shipped, &err)) << err;
    StaffConfig d;
    EXPECT_EQ(shipped.staff.max_failed_pins, d.max_failed_pins);
    EXPECT_EQ(shipped.staff.lockout_minutes, d.lockout_minutes);
    EXPECT_EQ(shipped.staff.idle_seconds, d.idle_seconds);
    EXPECT_EQ(shipped.staff.override_max_minutes, d.override_max_minutes);
    EXPECT_EQ(shipped.staff.override_reasons, d.override_reasons);
    EXPECT_EQ(shipped.staff.pin_hash_passes, d.pin_hash_passes);
    EXPECT_EQ(shipped.staff.pin_hash_memory_mib, d.pin_hash_memory_mib);
    EXPECT_EQ(d.max_failed_pins, 5);
    EXPECT_EQ(d.lockout_minutes, 15);
    EXPECT_EQ(d.idle_seconds, 60);
}

TEST(StaffConfig, KeysAreReadAndCheckedAndBadOnesNamed) {
    Config c;
    std::string err;
    ASSERT_TRUE(
        parse_config("[staff]\nmax_failed_pins = 3\nlockout_minutes = 30\n"
                     "override_reasons = [\"phone check\"]\n",
                     "k.toml", &c, &err))
        << err;
    EXPECT_EQ(c.staff.max_failed_pins, 3);
    EXPECT_EQ(c.staff.lockout_minutes, 30);
    EXPECT_EQ(c.staff.override_reasons, std::vector<std::string>{"phone check"});
    struct Bad {
        const char* text;
        const char* says;
    };
    for (auto b : {Bad{"[staff]\nmax_failed_pins = 0\n", "staff.max_failed_pins must be 1..20"},
                   Bad{"[staff]\nlockout_minutes = 0\n", "staff.lockout_minutes must be 1..1440"},
                   Bad{"[staff]\nidle_seconds = 5\n", "staff.idle_seconds must be 10..600"},
                   Bad{"[staff]\noverride_max_minutes = 2000\n", "staff.override_max_minutes"},
                   Bad{"[staff]\noverride_reasons = [1, 2]\n", "must be an array of strings"},
                   Bad{"[staff]\noverride_reasons = \"x\"\n", "must be an array of strings"},
                   Bad{"[staff]\noverride_reasons = [\"\"]\n", "each reason must be 1..200"},
                   Bad{"[staff]\npin_hash_memory_mib = 4\n", "staff.pin_hash_memory_mib"},
                   Bad{"[staff]\npin_hash_passes = 11\n", "staff.pin_hash_passes"},
                   Bad{"[staff]\npin = 1\n", "unknown key 'staff.pin'"}}) {
        EXPECT_FALSE(parse_config(b.text, "k.toml", &c, &err)) << b.text;
        EXPECT_NE(err.find(b.says), std::string::npos) << err;
    }
}

}  // namespace
}  // namespace kiosk
