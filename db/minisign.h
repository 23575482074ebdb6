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
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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

// Reads a stream from its current position to its end on a thread of its own, a few chunks ahead
// of its reader, and pre-hashes every byte there: whoever reads the chunks (a parser, an encoding
// check) does not pay for the hash. At most `chunks` chunks of `chunk_bytes` exist. The stream
// must not be touched by anyone else until the reader is destroyed; the destructor stops the
// thread and joins it, whether or not the stream was read to its end.
class PrehashingReader {
public:
    explicit PrehashingReader(std::istream& in, size_t chunk_bytes = 256 * 1024, size_t chunks = 4);
    ~PrehashingReader();
    PrehashingReader(const PrehashingReader&) = delete;
    PrehashingReader& operator=(const PrehashingReader&) = delete;

    // The next chunk of the stream in *chunk (valid until the next call), empty at the end; false
    // when the stream could not be read (a failed read is never mistaken for the end).
    bool next(std::string_view* chunk);
    // Once next() has given the end: the pre-hash of every byte of the stream.
    const MinisignPrehash& prehash() const { return prehash_; }

private:
    void run();

    std::istream& in_;
    std::vector<std::vector<char>> buffers_;
    std::mutex mutex_;
    std::condition_variable filled_cv_, free_cv_;
    // Guarded by mutex_: chunks read and hashed, in order (buffer index, size); buffers free to
    // fill; the end (prehash_ then final) or a read failure; the destructor's stop.
    std::vector<std::pair<size_t, size_t>> filled_;
    size_t filled_head_ = 0;
    std::vector<size_t> free_;
    bool ended_ = false, failed_ = false, stop_ = false;
    MinisignPrehash prehash_{};
    std::optional<size_t> held_;  // the buffer handed out by next() (its caller's thread only)
    std::thread thread_;
};

// Checks, before the content is read, that `sig` can be verified with `key`: the pre-hashed form
// (the legacy "Ed" form is refused) made with the pinned key's id.
bool minisign_check_signer(const MinisignSignature& sig, const MinisignPublicKey& key,
                           std::string* err);
// Verifies a pre-hash of the content against `sig` and `key`: the file signature, then the global
// signature over the trusted comment (after minisign_check_signer's checks).
bool minisign_verify_prehash(const MinisignPrehash& prehash, const MinisignSignature& sig,
                             const MinisignPublicKey& key, std::string* err);

// Verifies that `content` (read to its end, in chunks) is signed by `key`: checks the key id, the
// pre-hashed file signature, then the global signature over the trusted comment. On success the
// stream is at its end (callers that parse the content afterwards rewind it) and, when asked,
// *prehash holds the verified pre-hash. When given, `observe` sees every byte of the content in
// order, in pieces, on the calling thread while the hash is computed on another (e.g. to check
// the encoding in the same read); it is called only once the signer checks have passed.
bool minisign_verify_stream(std::istream& content, const MinisignSignature& sig,
                            const MinisignPublicKey& key, std::string* err,
                            MinisignPrehash* prehash = nullptr,
                            const std::function<void(std::string_view)>& observe = {});
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
