// Staff PINs: the rule a PIN must follow (6–12 digits) and its storage form, a peppered Argon2id
// hash. The PIN is first keyed with the site secret (BLAKE2b, "kiosk staff PIN v1:" context), so
// the database alone does not allow a PIN search; the result goes through libsodium's
// crypto_pwhash_str (Argon2id) at a configurable cost. A stored hash made at a lower cost is
// reported as "right, needs rehash" so that sign-in can upgrade it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kiosk/card_id.h"

namespace kiosk {

inline constexpr int kPinMinDigits = 6;
inline constexpr int kPinMaxDigits = 12;

// Argon2id cost: libsodium's opslimit and memlimit (bytes). Default: INTERACTIVE (2, 64 MiB).
struct PinHashCost {
    unsigned long long opslimit = 2;
    std::size_t memlimit = std::size_t{64} << 20;
};

// "" when `pin` is 6–12 ASCII digits; otherwise a sentence saying what is wrong (never the PIN).
std::string pin_problem(std::string_view pin);

// Hashes a PIN (which must pass pin_problem) into crypto_pwhash_str's text form.
// false + *err when the PIN is malformed or libsodium fails (out of memory).
bool hash_pin(const SiteSecret& pepper, std::string_view pin, PinHashCost cost, std::string* out,
              std::string* err);

enum class PinCheck { Wrong, Right, RightNeedsRehash };
// Checks `pin` against a stored hash. A malformed PIN or an unreadable hash is Wrong.
// RightNeedsRehash: right, but the stored hash was made with other parameters than `cost`.
PinCheck check_pin(const SiteSecret& pepper, std::string_view pin, const std::string& stored,
                   PinHashCost cost);

}  // namespace kiosk
