// minisign formats, verification and signing over libsodium (see minisign.h).
#include "db/minisign.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "db/regular_file.h"
#include "kiosk/card_id.h"

namespace kiosk::db {
namespace {

constexpr std::string_view kUntrustedPrefix = "untrusted comment: ";
constexpr std::string_view kTrustedPrefix = "trusted comment: ";
constexpr size_t kMaxCommentLine = 1024 + kUntrustedPrefix.size();
constexpr size_t kMaxTrustedLine = 8192;        // minisign's TRUSTEDCOMMENTMAXBYTES
constexpr size_t kMaxKeyFileBytes = 4096;       // a key file is ~150 bytes
constexpr size_t kMaxSigFileBytes = 16 * 1024;  // comments + two base64 lines
constexpr size_t kHashChunk = 64 * 1024;

constexpr size_t kPublicKeyBytes = 2 + 8 + 32;
constexpr size_t kSignatureBytes = 2 + 8 + 64;
constexpr size_t kSecretKeyBytes = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;

bool sodium_ready(std::string* err) {
    if (sodium_init() < 0) {
        *err = "libsodium could not be initialised";
        return false;
    }
    return true;
}

// Splits text into lines (LF or CRLF), dropping trailing empty lines.
std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (nl == std::string_view::npos) break;
        pos = nl + 1;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

// Decodes standard base64 that must give exactly `n` bytes.
bool decode_exact(std::string_view b64, unsigned char* out, size_t n, std::string_view what,
                  std::string* err) {
    std::vector<unsigned char> buf(b64.size() + 1);
    size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(buf.data(), buf.size(), b64.data(), b64.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64.data() + b64.size()) {
        *err = fmt::format("{} is not valid base64", what);
        return false;
    }
    if (len != n) {
        *err = fmt::format("{} has {} bytes, expected {}", what, len, n);
        return false;
    }
    std::memcpy(out, buf.data(), n);
    return true;
}

std::string encode_base64(const unsigned char* data, size_t n) {
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

// A minisign file is small: only a regular file is read (a FIFO or /dev/zero is refused at once),
// and at most `limit` bytes of it.
bool read_small_file(const std::string& path, size_t limit, std::string_view what, std::string* out,
                     std::string* err) {
    RegularFile f;
    if (!f.open(path, what, std::numeric_limits<std::int64_t>::max(), err)) return false;
    if (f.size() > static_cast<std::int64_t>(limit)) {
        *err = fmt::format("{} {} is larger than {} bytes: not a minisign file", what, path, limit);
        return false;
    }
    return f.read_all(static_cast<std::int64_t>(limit), out, err);
}

bool write_file(const std::string& path, std::string_view text, mode_t mode, std::string* err) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        *err = fmt::format("cannot create {}: {}", path, std::strerror(errno));
        return false;
    }
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            *err = fmt::format("cannot write {}: {}", path, std::strerror(errno));
            ::close(fd);
            return false;
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        *err = fmt::format("cannot write {}: {}", path, std::strerror(errno));
        return false;
    }
    return true;
}

bool hash_stream(std::istream& in, unsigned char out[crypto_generichash_BYTES_MAX],
                 std::string* err) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, crypto_generichash_BYTES_MAX);
    std::vector<char> buf(kHashChunk);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        std::streamsize n = in.gcount();
        if (n > 0)
            crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(buf.data()),
                                      static_cast<unsigned long long>(n));
    }
    if (in.bad()) {
        *err = "cannot read the signed file";
        return false;
    }
    crypto_generichash_final(&st, out, crypto_generichash_BYTES_MAX);
    return true;
}

}  // namespace

std::string minisign_key_id_hex(const MinisignKeyId& id) {
    std::string s;
    for (size_t i = id.size(); i-- > 0;) s += fmt::format("{:02X}", id[i]);
    // minisign prints the id as a plain %llX: no leading zeros. Match it so that operators can
    // compare our messages with `minisign -G` / `-V` output.
    size_t first = s.find_first_not_of('0');
    return first == std::string::npos ? "0" : s.substr(first);
}

// ---- public key ----

bool parse_minisign_public_key(std::string_view text, MinisignPublicKey* out, std::string* err) {
    if (!sodium_ready(err)) return false;
    auto lines = split_lines(text);
    std::string_view b64;
    if (lines.size() == 1) {
        b64 = lines[0];  // a bare key, as `minisign -P` takes it
    } else if (lines.size() == 2) {
        if (!lines[0].starts_with(kUntrustedPrefix) || lines[0].size() > kMaxCommentLine) {
            *err = "public key: the first line is not an 'untrusted comment: ' line";
            return false;
        }
        b64 = lines[1];
    } else {
        *err = fmt::format("public key: expected a comment line and a key line, found {} lines",
                           lines.size());
        return false;
    }
    unsigned char raw[kPublicKeyBytes];
    if (!decode_exact(b64, raw, sizeof raw, "public key", err)) return false;
    if (raw[0] != 'E' || raw[1] != 'd') {
        *err = "public key: not an Ed25519 minisign key (algorithm is not 'Ed')";
        return false;
    }
    std::memcpy(out->key_id.data(), raw + 2, 8);
    std::memcpy(out->pk.data(), raw + 10, 32);
    return true;
}

bool read_minisign_public_key(const std::string& path, MinisignPublicKey* out, std::string* err) {
    std::string text;
    if (!read_small_file(path, kMaxKeyFileBytes, "public key", &text, err)) return false;
    if (!parse_minisign_public_key(text, out, err)) {
        *err = fmt::format("{} ({})", *err, path);
        return false;
    }
    return true;
}

// ---- signature ----

bool parse_minisign_signature(std::string_view text, MinisignSignature* out, std::string* err) {
    if (!sodium_ready(err)) return false;
    auto lines = split_lines(text);
    if (lines.size() != 4) {
        *err = fmt::format(
            "signature file: expected 4 lines (untrusted comment, signature, trusted comment, "
            "global signature), found {}",
            lines.size());
        return false;
    }
    if (!lines[0].starts_with(kUntrustedPrefix)) {
        *err = "signature file: line 1 is not an 'untrusted comment: ' line";
        return false;
    }
    if (lines[0].size() > kMaxCommentLine) {
        *err = "signature file: the untrusted comment is too long";
        return false;
    }
    unsigned char raw[kSignatureBytes];
    if (!decode_exact(lines[1], raw, sizeof raw, "signature file: the signature (line 2)", err))
        return false;
    if (raw[0] == 'E' && raw[1] == 'D') {
        out->prehashed = true;
    } else if (raw[0] == 'E' && raw[1] == 'd') {
        out->prehashed = false;
    } else {
        *err = "signature file: unknown signature algorithm (neither 'ED' nor 'Ed')";
        return false;
    }
    std::memcpy(out->key_id.data(), raw + 2, 8);
    std::memcpy(out->sig.data(), raw + 10, 64);
    if (!lines[2].starts_with(kTrustedPrefix)) {
        *err = "signature file: line 3 is not a 'trusted comment: ' line";
        return false;
    }
    if (lines[2].size() > kMaxTrustedLine) {
        *err = "signature file: the trusted comment is too long";
        return false;
    }
    out->trusted_comment = std::string(lines[2].substr(kTrustedPrefix.size()));
    return decode_exact(lines[3], out->global_sig.data(), out->global_sig.size(),
                        "signature file: the global signature (line 4)", err);
}

bool read_minisign_signature(const std::string& path, MinisignSignature* out, std::string* err) {
    std::string text;
    if (!read_small_file(path, kMaxSigFileBytes, "signature file", &text, err)) return false;
    if (!parse_minisign_signature(text, out, err)) {
        *err = fmt::format("{} ({})", *err, path);
        return false;
    }
    return true;
}

// ---- verification ----

MinisignPrehasher::MinisignPrehasher()
    : state_(std::make_unique<crypto_generichash_blake2b_state>()) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    crypto_generichash_init(state_.get(), nullptr, 0, crypto_generichash_BYTES_MAX);
}
MinisignPrehasher::~MinisignPrehasher() = default;
void MinisignPrehasher::update(const char* data, size_t n) {
    crypto_generichash_update(state_.get(), reinterpret_cast<const unsigned char*>(data),
                              static_cast<unsigned long long>(n));
}
MinisignPrehash MinisignPrehasher::final() {
    MinisignPrehash out;
    crypto_generichash_final(state_.get(), out.data(), out.size());
    return out;
}

PrehashingReader::PrehashingReader(std::istream& in, size_t chunk_bytes, size_t chunks)
    : in_(in), buffers_(std::max<size_t>(chunks, 2)) {
    for (auto& b : buffers_) b.resize(std::max<size_t>(chunk_bytes, 1));
    filled_.reserve(buffers_.size());
    for (size_t i = 0; i < buffers_.size(); ++i) free_.push_back(i);
    thread_ = std::thread([this] { run(); });
}

PrehashingReader::~PrehashingReader() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    free_cv_.notify_all();
    thread_.join();
}

void PrehashingReader::run() {
    MinisignPrehasher hash;
    for (;;) {
        size_t index;
        {
            std::unique_lock lock(mutex_);
            free_cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
            if (stop_) return;
            index = free_.back();
            free_.pop_back();
        }
        std::vector<char>& b = buffers_[index];
        in_.read(b.data(), static_cast<std::streamsize>(b.size()));
        const auto n = static_cast<size_t>(in_.gcount());
        const bool bad = in_.bad();
        if (n > 0 && !bad) hash.update(b.data(), n);
        {
            std::lock_guard lock(mutex_);
            if (bad) {
                failed_ = true;
            } else if (n > 0) {
                filled_.emplace_back(index, n);
            } else {
                prehash_ = hash.final();
                ended_ = true;
            }
        }
        filled_cv_.notify_one();
        if (bad || n == 0) return;
    }
}

bool PrehashingReader::next(std::string_view* chunk) {
    std::unique_lock lock(mutex_);
    if (held_) {
        free_.push_back(*held_);
        held_.reset();
        free_cv_.notify_one();
    }
    filled_cv_.wait(lock, [&] { return filled_head_ < filled_.size() || ended_ || failed_; });
    if (filled_head_ < filled_.size()) {
        auto [index, n] = filled_[filled_head_++];
        if (filled_head_ == filled_.size()) {
            filled_.clear();
            filled_head_ = 0;
        }
        held_ = index;
        *chunk = std::string_view(buffers_[index].data(), n);
        return true;
    }
    *chunk = {};
    return !failed_;
}

bool minisign_check_signer(const MinisignSignature& sig, const MinisignPublicKey& key,
                           std::string* err) {
    if (!sodium_ready(err)) return false;
    if (!sig.prehashed) {
        *err =
            "the signature uses minisign's legacy non-prehashed form ('Ed'): only pre-hashed "
            "signatures ('ED', the default of minisign -S) are accepted";
        return false;
    }
    if (sig.key_id != key.key_id) {
        *err = fmt::format("the snapshot was signed with key {}, but the pinned key is {}",
                           minisign_key_id_hex(sig.key_id), minisign_key_id_hex(key.key_id));
        return false;
    }
    return true;
}

bool minisign_verify_prehash(const MinisignPrehash& prehash, const MinisignSignature& sig,
                             const MinisignPublicKey& key, std::string* err) {
    if (!minisign_check_signer(sig, key, err)) return false;
    if (crypto_sign_verify_detached(sig.sig.data(), prehash.data(), prehash.size(),
                                    key.pk.data()) != 0) {
        *err =
            "signature does not match the file: the snapshot was altered or is not from the "
            "records office";
        return false;
    }
    std::vector<unsigned char> global(sig.sig.begin(), sig.sig.end());
    global.insert(global.end(), sig.trusted_comment.begin(), sig.trusted_comment.end());
    if (crypto_sign_verify_detached(sig.global_sig.data(), global.data(), global.size(),
                                    key.pk.data()) != 0) {
        *err = "the trusted comment does not match its signature: the signature file was altered";
        return false;
    }
    return true;
}

bool minisign_verify_stream(std::istream& content, const MinisignSignature& sig,
                            const MinisignPublicKey& key, std::string* err,
                            MinisignPrehash* prehash,
                            const std::function<void(std::string_view)>& observe) {
    if (!minisign_check_signer(sig, key, err)) return false;
    MinisignPrehash digest;
    {
        PrehashingReader reader(content);
        for (;;) {
            std::string_view chunk;
            if (!reader.next(&chunk)) {
                *err = "cannot read the signed file";
                return false;
            }
            if (chunk.empty()) break;
            if (observe) observe(chunk);
        }
        digest = reader.prehash();
    }
    if (!minisign_verify_prehash(digest, sig, key, err)) return false;
    if (prehash) *prehash = digest;
    return true;
}

bool minisign_verify_file(const std::string& path, const MinisignSignature& sig,
                          const MinisignPublicKey& key, std::string* err) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *err = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return false;
    }
    return minisign_verify_stream(in, sig, key, err);
}

bool parse_feed_stamp(std::string_view tc, FeedStamp* out, std::string* err) {
    std::optional<std::int64_t> sequence;
    std::optional<Instant> generated_at;
    size_t pos = 0;
    while (pos < tc.size()) {
        size_t start = tc.find_first_not_of(" \t", pos);
        if (start == std::string_view::npos) break;
        size_t end = tc.find_first_of(" \t", start);
        if (end == std::string_view::npos) end = tc.size();
        std::string_view token = tc.substr(start, end - start);
        pos = end;
        size_t eq = token.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view k = token.substr(0, eq), v = token.substr(eq + 1);
        if (k == "sequence") {
            if (sequence) {
                *err = "the trusted comment gives sequence twice";
                return false;
            }
            if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos) {
                *err = fmt::format(
                    "the trusted comment's sequence '{}' is not a whole number (digits 0-9 only)",
                    kiosk::printable_excerpt(v));
                return false;
            }
            // Leading zeros are read as decimal (0042 is 42, never octal); what is left must fit
            // in 18 digits.
            const size_t first = std::min(v.find_first_not_of('0'), v.size() - 1);
            if (v.size() - first > 18) {
                *err = fmt::format(
                    "the trusted comment's sequence '{}' is too large: at most 18 digits "
                    "(999999999999999999)",
                    kiosk::printable_excerpt(v));
                return false;
            }
            v = v.substr(first);
            std::int64_t n = 0;
            for (char c : v) n = n * 10 + (c - '0');
            sequence = n;
        } else if (k == "generated_at") {
            if (generated_at) {
                *err = "the trusted comment gives generated_at twice";
                return false;
            }
            generated_at = parse_instant(v);
            if (!generated_at) {
                *err = fmt::format(
                    "the trusted comment's generated_at '{}' is not an ISO 8601 time with an "
                    "offset",
                    kiosk::printable_excerpt(v));
                return false;
            }
        }
    }
    if (!sequence) {
        *err =
            fmt::format("the trusted comment '{}' has no sequence=N", kiosk::printable_excerpt(tc));
        return false;
    }
    if (!generated_at) {
        *err = fmt::format("the trusted comment '{}' has no generated_at=TIME",
                           kiosk::printable_excerpt(tc));
        return false;
    }
    out->sequence = *sequence;
    out->generated_at = *generated_at;
    return true;
}

// ---- signing ----

MinisignKeyPair minisign_keypair_from_seed(const std::array<unsigned char, 32>& seed) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
    MinisignKeyPair kp;
    crypto_sign_seed_keypair(kp.pk.data(), kp.sk.data(), seed.data());
    unsigned char h[16];
    crypto_generichash(h, sizeof h, kp.pk.data(), kp.pk.size(), nullptr, 0);
    std::memcpy(kp.key_id.data(), h, kp.key_id.size());
    return kp;
}

std::string minisign_public_key_text(const MinisignPublicKey& key) {
    unsigned char raw[kPublicKeyBytes];
    raw[0] = 'E';
    raw[1] = 'd';
    std::memcpy(raw + 2, key.key_id.data(), 8);
    std::memcpy(raw + 10, key.pk.data(), 32);
    return fmt::format("untrusted comment: minisign public key {}\n{}\n",
                       minisign_key_id_hex(key.key_id), encode_base64(raw, sizeof raw));
}

namespace {
void secret_key_checksum(const MinisignKeyPair& kp, unsigned char out[32]) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    const unsigned char alg[2] = {'E', 'd'};
    crypto_generichash_update(&st, alg, 2);
    crypto_generichash_update(&st, kp.key_id.data(), kp.key_id.size());
    crypto_generichash_update(&st, kp.sk.data(), kp.sk.size());
    crypto_generichash_final(&st, out, 32);
}
}  // namespace

std::string minisign_secret_key_text(const MinisignKeyPair& kp) {
    // "Ed" ‖ kdf_alg "\0\0" (none) ‖ "B2" ‖ salt, opslimit, memlimit (zero without a KDF) ‖
    // key_id ‖ sk ‖ BLAKE2b-256(sig_alg ‖ key_id ‖ sk). `minisign -G -W` 0.11 leaves the
    // checksum zero; we write the real one, which the stock tool accepts as well.
    unsigned char raw[kSecretKeyBytes] = {};
    raw[0] = 'E';
    raw[1] = 'd';
    raw[4] = 'B';
    raw[5] = '2';
    size_t off = 2 + 2 + 2 + 32 + 8 + 8;
    std::memcpy(raw + off, kp.key_id.data(), 8);
    std::memcpy(raw + off + 8, kp.sk.data(), 64);
    secret_key_checksum(kp, raw + off + 8 + 64);
    std::string text = fmt::format("untrusted comment: minisign encrypted secret key\n{}\n",
                                   encode_base64(raw, sizeof raw));
    sodium_memzero(raw, sizeof raw);
    return text;
}

bool parse_minisign_secret_key(std::string_view text, MinisignKeyPair* out, std::string* err) {
    if (!sodium_ready(err)) return false;
    auto lines = split_lines(text);
    if (lines.size() != 2 || !lines[0].starts_with(kUntrustedPrefix)) {
        *err = "secret key: expected an 'untrusted comment: ' line and a key line";
        return false;
    }
    unsigned char raw[kSecretKeyBytes];
    if (!decode_exact(lines[1], raw, sizeof raw, "secret key", err)) return false;
    if (raw[0] != 'E' || raw[1] != 'd' || raw[4] != 'B' || raw[5] != '2') {
        *err = "secret key: not an Ed25519 minisign key with a BLAKE2b checksum";
        return false;
    }
    if (raw[2] != 0 || raw[3] != 0) {
        *err = "secret key: the key is encrypted with a password; make it with minisign -G -W";
        return false;
    }
    size_t off = 2 + 2 + 2 + 32 + 8 + 8;
    MinisignKeyPair kp;
    std::memcpy(kp.key_id.data(), raw + off, 8);
    std::memcpy(kp.sk.data(), raw + off + 8, 64);
    std::memcpy(kp.pk.data(), raw + off + 8 + 32, 32);  // libsodium's sk is seed ‖ pk
    const unsigned char* stored = raw + off + 8 + 64;
    unsigned char zero[32] = {};
    unsigned char chk[32];
    secret_key_checksum(kp, chk);
    bool ok = std::memcmp(stored, zero, 32) == 0 || sodium_memcmp(stored, chk, 32) == 0;
    sodium_memzero(raw, sizeof raw);
    if (!ok) {
        *err = "secret key: the checksum does not match: the key file is damaged";
        return false;
    }
    *out = kp;
    return true;
}

bool write_minisign_key_files(const MinisignKeyPair& kp, const std::string& public_key_path,
                              const std::string& secret_key_path, std::string* err) {
    return write_file(public_key_path, minisign_public_key_text(kp.public_key()), 0644, err) &&
           write_file(secret_key_path, minisign_secret_key_text(kp), 0600, err);
}

bool minisign_sign_file(const std::string& path, const MinisignKeyPair& kp,
                        std::string_view trusted_comment, const std::string& sig_path,
                        std::string* err) {
    if (!sodium_ready(err)) return false;
    if (trusted_comment.find_first_of("\r\n") != std::string_view::npos ||
        trusted_comment.size() + kTrustedPrefix.size() > kMaxTrustedLine) {
        *err = "the trusted comment must be one line of at most 8 KiB";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        *err = fmt::format("cannot open {}: {}", path, std::strerror(errno));
        return false;
    }
    unsigned char digest[crypto_generichash_BYTES_MAX];
    if (!hash_stream(in, digest, err)) return false;
    unsigned char raw[kSignatureBytes];
    raw[0] = 'E';
    raw[1] = 'D';
    std::memcpy(raw + 2, kp.key_id.data(), 8);
    crypto_sign_detached(raw + 10, nullptr, digest, sizeof digest, kp.sk.data());
    std::vector<unsigned char> global(raw + 10, raw + 10 + 64);
    global.insert(global.end(), trusted_comment.begin(), trusted_comment.end());
    unsigned char global_sig[64];
    crypto_sign_detached(global_sig, nullptr, global.data(), global.size(), kp.sk.data());
    std::string text = fmt::format(
        "untrusted comment: signature from minisign secret key\n{}\ntrusted comment: {}\n{}\n",
        encode_base64(raw, sizeof raw), trusted_comment, encode_base64(global_sig, 64));
    return write_file(sig_path, text, 0644, err);
}

}  // namespace kiosk::db
