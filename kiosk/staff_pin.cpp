// Staff PIN rule and peppered Argon2id hashing (see staff_pin.h).
#include "kiosk/staff_pin.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>

namespace kiosk {
namespace {

// The keyed pre-hash: hex(BLAKE2b-256(context ‖ PIN, key = pepper)). The same construction as the
// first LocalStore::add_staff, so hashes made by it keep verifying.
std::string peppered(const SiteSecret& pepper, std::string_view pin) {
    constexpr std::string_view kContext = "kiosk staff PIN v1:";
    std::string msg = std::string(kContext) + std::string(pin);
    std::array<unsigned char, 32> mac;
    crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size(), pepper.data(), pepper.size());
    std::array<char, 65> hex;
    sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
    std::string out(hex.data(), 64);
    sodium_memzero(msg.data(), msg.size());
    sodium_memzero(mac.data(), mac.size());
    sodium_memzero(hex.data(), hex.size());
    return out;
}

}  // namespace

std::string pin_problem(std::string_view pin) {
    for (char c : pin)
        if (c < '0' || c > '9') return "a PIN is digits only (0-9)";
    if (pin.size() < static_cast<std::size_t>(kPinMinDigits))
        return fmt::format("a PIN has at least {} digits", kPinMinDigits);
    if (pin.size() > static_cast<std::size_t>(kPinMaxDigits))
        return fmt::format("a PIN has at most {} digits", kPinMaxDigits);
    return "";
}

bool hash_pin(const SiteSecret& pepper, std::string_view pin, PinHashCost cost, std::string* out,
              std::string* err) {
    if (std::string p = pin_problem(pin); !p.empty()) {
        *err = p;
        return false;
    }
    if (sodium_init() < 0) {
        *err = "libsodium failed to initialise: cannot hash the PIN";
        return false;
    }
    std::string password = peppered(pepper, pin);
    std::array<char, crypto_pwhash_STRBYTES> hash{};
    int rc = crypto_pwhash_str_alg(hash.data(), password.data(), password.size(), cost.opslimit,
                                   cost.memlimit, crypto_pwhash_ALG_ARGON2ID13);
    sodium_memzero(password.data(), password.size());
    if (rc != 0) {
        *err = fmt::format("cannot hash the PIN (Argon2id, {} passes, {} MiB): out of memory",
                           cost.opslimit, cost.memlimit >> 20);
        return false;
    }
    *out = hash.data();
    return true;
}

PinCheck check_pin(const SiteSecret& pepper, std::string_view pin, const std::string& stored,
                   PinHashCost cost) {
    if (!pin_problem(pin).empty() || sodium_init() < 0) return PinCheck::Wrong;
    std::string password = peppered(pepper, pin);
    bool right = crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
    sodium_memzero(password.data(), password.size());
    if (!right) return PinCheck::Wrong;
    return crypto_pwhash_str_needs_rehash(stored.c_str(), cost.opslimit, cost.memlimit) != 0
               ? PinCheck::RightNeedsRehash
               : PinCheck::Right;
}

}  // namespace kiosk
