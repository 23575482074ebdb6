// Tests of what the sync records of a URL and how it builds the signature URL (db/feed_fetch.h,
// issue 9 item 7), and of the credentials file's checks.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "db/feed_fetch.h"
#include "db_test_dir.h"

namespace kiosk::db {
namespace {

using testing::TempDir;

TEST(FeedFetch, UrlForRecordDropsCredentialsQueryAndFragment) {
    EXPECT_EQ(url_for_record("https://user:pa%40ss@records.example:8443/feeds/c.csv?token=abc#x"),
              "https://records.example:8443/feeds/c.csv");
    EXPECT_EQ(url_for_record("http://records.example/c.csv?token=abc"),
              "http://records.example/c.csv");
    EXPECT_EQ(url_for_record("HTTP://u@h?x=1"), "HTTP://h");
    EXPECT_EQ(url_for_record("https://h/a@b/c.csv"), "https://h/a@b/c.csv");    // @ in the path
    EXPECT_EQ(url_for_record("/var/lib/feeds/c.csv"), "/var/lib/feeds/c.csv");  // a path
}

TEST(FeedFetch, SignatureUrlPutsMinisigBeforeTheQuery) {
    EXPECT_EQ(signature_url("https://h/c.csv"), "https://h/c.csv.minisig");
    EXPECT_EQ(signature_url("https://h/c.csv?token=abc"), "https://h/c.csv.minisig?token=abc");
    EXPECT_EQ(signature_url("https://h/c.csv#frag"), "https://h/c.csv.minisig#frag");
}

TEST(FeedFetch, CredentialsFileMustBePrivateAndRegular) {
    TempDir tmp;
    const std::string path = tmp / "records.netrc";
    std::ofstream(path) << "machine h login u password p\n";
    std::string err;
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    EXPECT_FALSE(check_credentials_file(path, &err));
    EXPECT_NE(err.find("chmod 600"), std::string::npos) << err;
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    EXPECT_TRUE(check_credentials_file(path, &err)) << err;
    EXPECT_FALSE(check_credentials_file(tmp.path(), &err));
    EXPECT_NE(err.find("regular file"), std::string::npos) << err;
    EXPECT_FALSE(check_credentials_file(tmp / "missing", &err));
    EXPECT_NE(err.find("cannot open the credentials file"), std::string::npos) << err;
}

}  // namespace
}  // namespace kiosk::db
