// minisign interoperability with the real `minisign` tool: what the records office signs with
// stock minisign verifies here; every altered, legacy, foreign or malformed input is refused with
// a clear message; and what our signer (kioskctl demo-data) writes, stock `minisign -V` accepts.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "db/minisign.h"

namespace kiosk::db {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void spit(const fs::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

int run(const std::string& cmd) {
    int status = std::system((cmd + " </dev/null >/dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class MinisignTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/kiosk-minisign-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        csv_ = dir_ / "completions.csv";
        spit(csv_, "trainee_no,name\nT-1,Yamada\n");
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A stock key pair (unencrypted, -W) named `name`.pub / `name`.key.
    void stock_keys(const std::string& name) {
        ASSERT_EQ(run("minisign -G -W -p " + (dir_ / (name + ".pub")).string() + " -s " +
                      (dir_ / (name + ".key")).string()),
                  0);
    }
    void stock_sign(const std::string& key, const std::string& extra = "") {
        ASSERT_EQ(run("minisign -S -s " + (dir_ / (key + ".key")).string() + " -m " +
                      csv_.string() + " " + extra),
                  0);
    }
    MinisignPublicKey pub(const std::string& name) {
        MinisignPublicKey k;
        std::string err;
        EXPECT_TRUE(read_minisign_public_key((dir_ / (name + ".pub")).string(), &k, &err)) << err;
        return k;
    }
    // Verifies csv_ with csv_.minisig against key `name`; returns the error ("" when it verifies).
    std::string verify(const std::string& name) {
        MinisignSignature sig;
        std::string err;
        if (!read_minisign_signature(csv_.string() + ".minisig", &sig, &err)) return err;
        if (!minisign_verify_file(csv_.string(), sig, pub(name), &err)) return err;
        return "";
    }

    fs::path dir_, csv_;
    const std::string tc_ = "-t 'sequence=7 generated_at=2026-11-24T02:00:00+09:00'";
};

TEST_F(MinisignTest, StockSignedSnapshotVerifiesAndItsStampParses) {
    stock_keys("office");
    stock_sign("office", tc_);
    EXPECT_EQ(verify("office"), "");
    MinisignSignature sig;
    std::string err;
    ASSERT_TRUE(read_minisign_signature(csv_.string() + ".minisig", &sig, &err)) << err;
    EXPECT_TRUE(sig.prehashed);
    EXPECT_EQ(sig.trusted_comment, "sequence=7 generated_at=2026-11-24T02:00:00+09:00");
    FeedStamp stamp;
    ASSERT_TRUE(parse_feed_stamp(sig.trusted_comment, &stamp, &err)) << err;
    EXPECT_EQ(stamp.sequence, 7);
    EXPECT_EQ(format_instant(stamp.generated_at), "2026-11-24T02:00:00+09:00");
    // The key id is printed as minisign prints it in the public key's comment.
    std::string pub_text = slurp(dir_ / "office.pub");
    EXPECT_NE(pub_text.find(minisign_key_id_hex(pub("office").key_id)), std::string::npos);
}

// The signature's read can serve a second purpose (the sync checks the encoding in it): the
// observer sees every byte, in order, while the hash is computed on the reader's thread.
TEST_F(MinisignTest, TheObserverSeesEveryByteOfTheVerifiedContent) {
    std::string content;
    for (int i = 0; content.size() < (3u << 20); ++i)
        content += "T-" + std::to_string(i) + ",山田 太郎\n";
    spit(csv_, content);
    stock_keys("office");
    stock_sign("office", tc_);
    MinisignSignature sig;
    std::string err;
    ASSERT_TRUE(read_minisign_signature(csv_.string() + ".minisig", &sig, &err)) << err;
    std::ifstream in(csv_, std::ios::binary);
    std::string seen;
    MinisignPrehash prehash{};
    ASSERT_TRUE(minisign_verify_stream(in, sig, pub("office"), &err, &prehash,
                                       [&](std::string_view b) { seen.append(b); }))
        << err;
    EXPECT_EQ(seen, content);
    MinisignPrehasher h;
    h.update(content.data(), content.size());
    EXPECT_EQ(prehash, h.final());
    // Refused before a byte is read: the observer is never called.
    MinisignPublicKey other = pub("office");
    other.key_id[0] ^= 1;
    std::ifstream again(csv_, std::ios::binary);
    seen.clear();
    EXPECT_FALSE(minisign_verify_stream(again, sig, other, &err, nullptr,
                                        [&](std::string_view b) { seen.append(b); }));
    EXPECT_NE(err.find("but the pinned key is"), std::string::npos) << err;
    EXPECT_TRUE(seen.empty());
}

TEST_F(MinisignTest, TamperedFileIsRejected) {
    stock_keys("office");
    stock_sign("office", tc_);
    spit(csv_, "trainee_no,name\nT-1,Yamada\nT-2,Intruder\n");
    EXPECT_EQ(verify("office"),
              "signature does not match the file: the snapshot was altered or is not from the "
              "records office");
}

TEST_F(MinisignTest, TamperedTrustedCommentIsRejected) {
    stock_keys("office");
    stock_sign("office", tc_);
    std::string sig = slurp(csv_.string() + ".minisig");
    auto pos = sig.find("sequence=7");
    ASSERT_NE(pos, std::string::npos);
    sig.replace(pos, 10, "sequence=9");
    spit(csv_.string() + ".minisig", sig);
    EXPECT_NE(verify("office").find("trusted comment does not match its signature"),
              std::string::npos);
}

TEST_F(MinisignTest, WrongKeyIsRejectedNamingBothKeyIds) {
    stock_keys("office");
    stock_keys("other");
    stock_sign("other", tc_);
    std::string err = verify("office");
    EXPECT_NE(err.find("signed with key " + minisign_key_id_hex(pub("other").key_id)),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("the pinned key is " + minisign_key_id_hex(pub("office").key_id)),
              std::string::npos)
        << err;
}

TEST_F(MinisignTest, SameKeyIdButDifferentKeyFailsTheSignature) {
    stock_keys("office");
    stock_keys("other");
    stock_sign("other", tc_);
    MinisignPublicKey forged = pub("office");
    forged.key_id = pub("other").key_id;  // a key that claims the signer's id
    MinisignSignature sig;
    std::string err;
    ASSERT_TRUE(read_minisign_signature(csv_.string() + ".minisig", &sig, &err));
    EXPECT_FALSE(minisign_verify_file(csv_.string(), sig, forged, &err));
    EXPECT_NE(err.find("signature does not match the file"), std::string::npos);
}

TEST_F(MinisignTest, LegacyNonPrehashedSignatureIsRefused) {
    stock_keys("office");
    stock_sign("office", "-l " + tc_);
    std::string err = verify("office");
    EXPECT_NE(err.find("legacy"), std::string::npos) << err;
    EXPECT_NE(err.find("pre-hashed"), std::string::npos) << err;
}

TEST_F(MinisignTest, MalformedSignatureFilesAreRejectedWithAMessage) {
    stock_keys("office");
    stock_sign("office", tc_);
    const std::string good = slurp(csv_.string() + ".minisig");
    std::istringstream lines(good);
    std::string l1, l2, l3, l4;
    std::getline(lines, l1);
    std::getline(lines, l2);
    std::getline(lines, l3);
    std::getline(lines, l4);
    struct Case {
        std::string name, text, expect;
    };
    std::vector<Case> cases = {
        {"empty", "", "expected 4 lines"},
        {"truncated to two lines", l1 + "\n" + l2 + "\n", "expected 4 lines"},
        {"truncated mid-signature", l1 + "\n" + l2.substr(0, 40) + "\n" + l3 + "\n" + l4 + "\n",
         "signature (line 2)"},
        {"garbage base64", l1 + "\n!!!not base64!!!\n" + l3 + "\n" + l4 + "\n", "not valid base64"},
        {"no untrusted comment", "hello\n" + l2 + "\n" + l3 + "\n" + l4 + "\n",
         "untrusted comment"},
        {"no trusted comment", l1 + "\n" + l2 + "\ncomment: x\n" + l4 + "\n", "trusted comment"},
        {"short global signature", l1 + "\n" + l2 + "\n" + l3 + "\n" + l4.substr(0, 20) + "\n",
         "global signature (line 4)"},
        {"over-long trusted comment",
         l1 + "\n" + l2 + "\ntrusted comment: " + std::string(9000, 'x') + "\n" + l4 + "\n",
         "too long"},
        {"binary garbage", std::string("\x00\xff\x10\n\n\x01", 6), "expected 4 lines"},
    };
    for (const auto& c : cases) {
        MinisignSignature sig;
        std::string err;
        EXPECT_FALSE(parse_minisign_signature(c.text, &sig, &err)) << c.name;
        EXPECT_NE(err.find(c.expect), std::string::npos) << c.name << ": " << err;
    }
    // A file far larger than any signature is refused before parsing.
    spit(csv_.string() + ".minisig", std::string(100000, 'A'));
    EXPECT_NE(verify("office").find("larger than"), std::string::npos);
    // A missing file names the path.
    fs::remove(csv_.string() + ".minisig");
    EXPECT_NE(verify("office").find(".minisig"), std::string::npos);
}

TEST_F(MinisignTest, MalformedPublicKeysAreRejectedWithAMessage) {
    stock_keys("office");
    const std::string good = slurp(dir_ / "office.pub");
    std::string b64 = good.substr(good.find('\n') + 1);
    b64 = b64.substr(0, b64.find('\n'));
    struct Case {
        std::string name, text, expect;
    };
    std::vector<Case> cases = {
        {"empty", "", "found 0 lines"},
        {"truncated", "untrusted comment: x\n" + b64.substr(0, 28) + "\n",
         "public key has 21 bytes"},
        {"garbage", "untrusted comment: x\n%%%%\n", "not valid base64"},
        {"not a comment", "comment\n" + b64 + "\n", "untrusted comment"},
        {"three lines", good + "extra\n", "found 3 lines"},
    };
    for (const auto& c : cases) {
        MinisignPublicKey k;
        std::string err;
        EXPECT_FALSE(parse_minisign_public_key(c.text, &k, &err)) << c.name;
        EXPECT_NE(err.find(c.expect), std::string::npos) << c.name << ": " << err;
    }
    MinisignPublicKey k;
    std::string err;
    EXPECT_TRUE(parse_minisign_public_key(b64, &k, &err)) << "a bare key line: " << err;
    EXPECT_TRUE(parse_minisign_public_key(good, &k, &err)) << err;
}

TEST_F(MinisignTest, OurSignatureVerifiesWithStockMinisign) {
    std::array<unsigned char, 32> seed{};
    seed.fill(7);
    MinisignKeyPair kp = minisign_keypair_from_seed(seed);
    std::string err;
    const std::string pub_path = (dir_ / "demo.pub").string(),
                      key_path = (dir_ / "demo.key").string();
    ASSERT_TRUE(write_minisign_key_files(kp, pub_path, key_path, &err)) << err;
    EXPECT_EQ(fs::status(key_path).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    ASSERT_TRUE(minisign_sign_file(csv_.string(), kp,
                                   "sequence=3 generated_at=2026-11-24T02:00:00+09:00",
                                   csv_.string() + ".minisig", &err))
        << err;
    EXPECT_EQ(run("minisign -V -H -p " + pub_path + " -m " + csv_.string()), 0);
    EXPECT_EQ(verify("demo"), "");
    // Same seed, same files (demo data is reproducible).
    EXPECT_EQ(minisign_public_key_text(minisign_keypair_from_seed(seed).public_key()),
              slurp(pub_path));
    // Our secret key file is usable by stock minisign -S, and reads back.
    ASSERT_EQ(run("minisign -S -s " + key_path + " -m " + csv_.string() + " " + tc_), 0);
    EXPECT_EQ(verify("demo"), "");
    MinisignKeyPair back;
    ASSERT_TRUE(parse_minisign_secret_key(slurp(key_path), &back, &err)) << err;
    EXPECT_EQ(back.sk, kp.sk);
    EXPECT_EQ(back.key_id, kp.key_id);
    // A tampered file signed by us fails stock verification too.
    spit(csv_, "changed\n");
    EXPECT_NE(run("minisign -V -p " + pub_path + " -m " + csv_.string()), 0);
}

TEST_F(MinisignTest, StockUnencryptedSecretKeyReadsAndSignsForStockVerify) {
    stock_keys("office");
    MinisignKeyPair kp;
    std::string err;
    ASSERT_TRUE(parse_minisign_secret_key(slurp(dir_ / "office.key"), &kp, &err)) << err;
    EXPECT_EQ(kp.pk, pub("office").pk);
    EXPECT_EQ(kp.key_id, pub("office").key_id);
    ASSERT_TRUE(minisign_sign_file(csv_.string(), kp, "sequence=1 generated_at=2026-01-01",
                                   csv_.string() + ".minisig", &err));
    EXPECT_EQ(run("minisign -V -p " + (dir_ / "office.pub").string() + " -m " + csv_.string()), 0);
    // Identical layout to stock -S output: same first line, same line count.
    std::string ours = slurp(csv_.string() + ".minisig");
    stock_sign("office", "-t 'sequence=1 generated_at=2026-01-01'");
    EXPECT_EQ(ours, slurp(csv_.string() + ".minisig"));  // Ed25519 is deterministic
}

TEST(MinisignSecretKey, EncryptedOrDamagedKeysAreRefusedClearly) {
    std::array<unsigned char, 32> seed{};
    std::string text = minisign_secret_key_text(minisign_keypair_from_seed(seed));
    std::string b64 = text.substr(text.find('\n') + 1);
    b64.pop_back();
    std::vector<unsigned char> raw(200);
    size_t len = 0;
    ASSERT_EQ(sodium_base642bin(raw.data(), raw.size(), b64.data(), b64.size(), nullptr, &len,
                                nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    raw.resize(len);
    auto with = [&](std::vector<unsigned char> bytes) {
        std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL),
                        '\0');
        sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                          sodium_base64_VARIANT_ORIGINAL);
        out.resize(out.size() - 1);
        return "untrusted comment: minisign encrypted secret key\n" + out + "\n";
    };
    MinisignKeyPair kp;
    std::string err;
    ASSERT_TRUE(parse_minisign_secret_key(with(raw), &kp, &err)) << err;
    auto encrypted = raw;
    encrypted[2] = 'S';
    encrypted[3] = 'c';
    EXPECT_FALSE(parse_minisign_secret_key(with(encrypted), &kp, &err));
    EXPECT_NE(err.find("encrypted with a password"), std::string::npos) << err;
    auto damaged = raw;
    damaged[70] ^= 1;  // inside sk: the checksum no longer matches
    EXPECT_FALSE(parse_minisign_secret_key(with(damaged), &kp, &err));
    EXPECT_NE(err.find("checksum"), std::string::npos) << err;
    EXPECT_FALSE(parse_minisign_secret_key("untrusted comment: x\nAAAA\n", &kp, &err));
    EXPECT_NE(err.find("secret key has 3 bytes"), std::string::npos) << err;
}

TEST(FeedStamp, RequiresSequenceAndGeneratedAt) {
    FeedStamp s;
    std::string err;
    EXPECT_TRUE(parse_feed_stamp("generated_at=2026-11-24T02:00:00Z sequence=42 file:x", &s, &err))
        << err;
    EXPECT_EQ(s.sequence, 42);
    EXPECT_FALSE(parse_feed_stamp("timestamp:1795482301\tfile:f.csv", &s, &err));
    EXPECT_NE(err.find("no sequence"), std::string::npos);
    EXPECT_FALSE(parse_feed_stamp("sequence=1", &s, &err));
    EXPECT_NE(err.find("no generated_at"), std::string::npos);
    EXPECT_FALSE(parse_feed_stamp("sequence=-1 generated_at=2026-11-24T02:00:00Z", &s, &err));
    EXPECT_NE(err.find("not a whole number"), std::string::npos) << err;
    EXPECT_FALSE(
        parse_feed_stamp("sequence=99999999999999999999 generated_at=2026-11-24", &s, &err));
    EXPECT_NE(err.find("too large: at most 18 digits"), std::string::npos) << err;
    // 18 digits fit; leading zeros are decimal (never octal) and do not count against the 18.
    EXPECT_TRUE(
        parse_feed_stamp("sequence=999999999999999999 generated_at=2026-11-24T02:00:00Z", &s, &err))
        << err;
    EXPECT_EQ(s.sequence, 999999999999999999);
    EXPECT_TRUE(parse_feed_stamp(
        "sequence=0000000000000000000042 generated_at=2026-11-24T02:00:00Z", &s, &err))
        << err;
    EXPECT_EQ(s.sequence, 42);
    EXPECT_TRUE(parse_feed_stamp("sequence=0 generated_at=2026-11-24T02:00:00Z", &s, &err)) << err;
    EXPECT_EQ(s.sequence, 0);
    // A control byte in the comment is echoed escaped.
    EXPECT_FALSE(
        parse_feed_stamp("sequence=4\x1b"
                         "2 generated_at=2026-11-24T02:00:00Z",
                         &s, &err));
    EXPECT_NE(err.find("'4\\x1B2'"), std::string::npos) << err;
    EXPECT_FALSE(parse_feed_stamp("sequence=1 generated_at=yesterday", &s, &err));
    EXPECT_NE(err.find("not an ISO 8601"), std::string::npos);
    EXPECT_FALSE(parse_feed_stamp("sequence=1 sequence=2 generated_at=2026-11-24", &s, &err));
    EXPECT_NE(err.find("twice"), std::string::npos);
}

}  // namespace
}  // namespace kiosk::db
