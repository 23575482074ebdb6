// libFuzzer target: the minisign text parsers (public key, .minisig, unencrypted secret key) and
// the snapshot's trusted-comment stamp, on the same bytes. Whatever parses must re-serialise to the
// same key (key id, public key, secret key), and a parsed signature must go through verification
// against an unrelated key without crashing and without being accepted.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "db/minisign.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace kiosk::db;

// As minisign prints a key id: upper-case hex of the 64-bit id, no leading zeros (1-16 digits).
bool is_key_id_hex(const std::string& s) {
    return !s.empty() && s.size() <= 16 && (s == "0" || s[0] != '0') &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'F');
           });
}

// A fixed key that no fuzz input can sign with.
const MinisignKeyPair& verifier_key() {
    static const MinisignKeyPair kp = minisign_keypair_from_seed(std::array<unsigned char, 32>{7});
    return kp;
}

void public_key(std::string_view text) {
    MinisignPublicKey key;
    std::string err;
    if (!parse_minisign_public_key(text, &key, &err)) {
        FUZZ_CHECK(!err.empty());
        return;
    }
    FUZZ_CHECK(is_key_id_hex(minisign_key_id_hex(key.key_id)));
    MinisignPublicKey again;
    FUZZ_CHECK(parse_minisign_public_key(minisign_public_key_text(key), &again, &err));
    FUZZ_CHECK(again.key_id == key.key_id && again.pk == key.pk);
}

void signature(std::string_view text, std::string_view content) {
    MinisignSignature sig;
    std::string err;
    if (!parse_minisign_signature(text, &sig, &err)) {
        FUZZ_CHECK(!err.empty());
        return;
    }
    FUZZ_CHECK(sig.trusted_comment.find('\n') == std::string::npos);
    FUZZ_CHECK(sig.trusted_comment.size() <= 8192);
    FeedStamp stamp;
    if (parse_feed_stamp(sig.trusted_comment, &stamp, &err)) FUZZ_CHECK(stamp.sequence >= 0);

    // Verification of a parsed signature against a key that did not make it: refused, never a
    // crash. With the signature's own key id it gets as far as the Ed25519 checks.
    MinisignPublicKey key = verifier_key().public_key();
    key.key_id = sig.key_id;
    std::istringstream in{std::string(content)};
    FUZZ_CHECK(!minisign_verify_stream(in, sig, key, &err));
    FUZZ_CHECK(!err.empty());
}

void secret_key(std::string_view text) {
    MinisignKeyPair kp;
    std::string err;
    if (!parse_minisign_secret_key(text, &kp, &err)) {
        FUZZ_CHECK(!err.empty());
        return;
    }
    MinisignKeyPair again;
    FUZZ_CHECK(parse_minisign_secret_key(minisign_secret_key_text(kp), &again, &err));
    FUZZ_CHECK(again.key_id == kp.key_id && again.sk == kp.sk && again.pk == kp.pk);
    FUZZ_CHECK(std::equal(kp.pk.begin(), kp.pk.end(), kp.sk.begin() + 32));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    public_key(text);
    signature(text, text.substr(0, size / 2));
    secret_key(text);
    return 0;
}
