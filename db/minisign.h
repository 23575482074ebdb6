// minisign signatures over libsodium: the kiosk verifies the records office's signed snapshots
// against a pinned public key (only the pre-hashed "ED" form), and `kioskctl demo-data` and the
// tests sign with keys in minisign's own file formats, so the stock `minisign` tool interoperates
// both ways. Formats (minisign 0.11):
//   public key  untrusted comment line, base64("Ed" ‖ key_id[8] ‖ pk[32])
//   secret key  untrusted comment line, base64("Ed" ‖ kdf "\0\0" ‖ "B2" ‖ salt[32] ‖ ops[8] ‖
//   mem[8]
//               ‖ key_id[8] ‖ sk[64] ‖ checksum[32]) — unencrypted only (what `minisign -G -W`
//               writes)
//   .minisig    untrusted comment line, base64("ED" ‖ key_id[8] ‖ sig[64]) where sig signs
//               BLAKE2b-512(file), `trusted comment: TEXT` line, base64(global_sig[64]) where
//               global_sig signs (sig ‖ TEXT).
// A key id is shown as 16 upper-case hex digits, most significant byte first (the bytes are
// stored little-endian), exactly as `minisign` prints it.
#pragma once

#include <array>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

#include "kiosk/time.h"

struct crypto_generichash_blake2b_state;

namespace kiosk::db {

using MinisignKeyId = std::array<unsigned char, 8>;

// "BAD0E4557219BF87": the key id as minisign prints it.
std::string minisign_key_id_hex(const MinisignKeyId& id);

struct MinisignPublicKey {
    MinisignKeyId key_id{};
    std::array<unsigned char, 32> pk{};
};

struct MinisignSignature {
    bool prehashed = true;  // "ED"; false for the legacy "Ed" form (which we refuse to verify)
    MinisignKeyId key_id{};
    std::array<unsigned char, 64> sig{};
    std::string trusted_comment;  // the text after "trusted comment: "
    std::array<unsigned char, 64> global_sig{};
};

// Parses the text of a public key file (or a bare base64 key line). false + *err on any defect.
bool parse_minisign_public_key(std::string_view text, MinisignPublicKey* out, std::string* err);
bool read_minisign_public_key(const std::string& path, MinisignPublicKey* out, std::string* err);

// Parses the text of a .minisig file. Both "ED" and "Ed" parse (so that the verifier can say why
// it refuses the legacy form); anything malformed is an error naming the defect.
bool parse_minisign_signature(std::string_view text, MinisignSignature* out, std::string* err);
bool read_minisign_signature(const std::string& path, MinisignSignature* out, std::string* err);

// What minisign signs of a file: its BLAKE2b-512.
using MinisignPrehash = std::array<unsigned char, 64>;

// The pre-hash of content fed in pieces (to check, while parsing, that the bytes read are the
// bytes whose signature was verified).
class MinisignPrehasher {
public:
    MinisignPrehasher();
    ~MinisignPrehasher();
    MinisignPrehasher(const MinisignPrehasher&) = delete;
    MinisignPrehasher& operator=(const MinisignPrehasher&) = delete;
    void update(const char* data, size_t n);
    MinisignPrehash final();

private:
    std::unique_ptr<crypto_generichash_blake2b_state> state_;
};

// Verifies that `content` (read to its end, in chunks) is signed by `key`: checks the key id, the
// pre-hashed file signature, then the global signature over the trusted comment. On success the
// stream is at its end (callers that parse the content afterwards rewind it) and, when asked,
// *prehash holds the verified pre-hash.
bool minisign_verify_stream(std::istream& content, const MinisignSignature& sig,
                            const MinisignPublicKey& key, std::string* err,
                            MinisignPrehash* prehash = nullptr);
bool minisign_verify_file(const std::string& path, const MinisignSignature& sig,
                          const MinisignPublicKey& key, std::string* err);

// The trusted comment of a snapshot: "sequence=42 generated_at=2026-11-24T02:00:00+09:00" (tokens
// separated by spaces or tabs, in any order; other tokens are ignored; both keys are required).
struct FeedStamp {
    std::int64_t sequence = 0;
    Instant generated_at{};
};
bool parse_feed_stamp(std::string_view trusted_comment, FeedStamp* out, std::string* err);

// ---- signing side (kioskctl demo-data, tests) ----

struct MinisignKeyPair {
    MinisignKeyId key_id{};
    std::array<unsigned char, 32> pk{};
    std::array<unsigned char, 64> sk{};  // libsodium's Ed25519 secret key (seed ‖ pk)
    MinisignPublicKey public_key() const { return {key_id, pk}; }
};

// A deterministic key pair from a 32-byte seed (crypto_sign_seed_keypair); the key id is derived
// from the public key (BLAKE2b), so the same seed always gives the same files.
MinisignKeyPair minisign_keypair_from_seed(const std::array<unsigned char, 32>& seed);

// File texts in minisign's formats. The secret key is written unencrypted, like `minisign -G -W`
// (the stock tool signs with it; keep it as secret as the office's key).
std::string minisign_public_key_text(const MinisignPublicKey& key);
std::string minisign_secret_key_text(const MinisignKeyPair& kp);
// Reads an unencrypted secret key file (as written above or by `minisign -G -W`).
bool parse_minisign_secret_key(std::string_view text, MinisignKeyPair* out, std::string* err);
bool write_minisign_key_files(const MinisignKeyPair& kp, const std::string& public_key_path,
                              const std::string& secret_key_path, std::string* err);

// Signs the file at `path` in the pre-hashed form with `trusted_comment`, writing `sig_path` in
// the same format as `minisign -S` (untrusted comment "signature from minisign secret key").
bool minisign_sign_file(const std::string& path, const MinisignKeyPair& kp,
                        std::string_view trusted_comment, const std::string& sig_path,
                        std::string* err);

}  // namespace kiosk::db
