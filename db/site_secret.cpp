// Creating and loading the site secret (see site_secret.h).
#include "db/site_secret.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kiosk::db {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Makes a newly created directory entry durable.
void fsync_parent(const std::string& path) {
    auto parent = std::filesystem::path(path).parent_path();
    if (parent.empty()) parent = ".";
    int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

bool create_site_secret(const std::string& path, std::string* err) {
    if (sodium_init() < 0) {
        *err = "libsodium failed to initialise: cannot create the site secret";
        return false;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return true;
        *err = fmt::format("cannot create site secret {}: {}", path, errno_text());
        return false;
    }
    SiteSecret secret;
    randombytes_buf(secret.data(), secret.size());
    bool ok = ::fchmod(fd, 0600) == 0;  // the umask may have cleared owner bits
    size_t written = 0;
    while (ok && written < secret.size()) {
        ssize_t n = ::write(fd, secret.data() + written, secret.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        written += static_cast<size_t>(n);
    }
    if (ok) ok = ::fsync(fd) == 0;
    std::string why = ok ? "" : errno_text();
    sodium_memzero(secret.data(), secret.size());
    if (::close(fd) != 0 && ok) {
        ok = false;
        why = errno_text();
    }
    if (!ok) {
        ::unlink(path.c_str());
        *err = fmt::format("cannot write site secret {}: {}", path, why);
        return false;
    }
    fsync_parent(path);
    return true;
}

std::optional<SiteSecret> load_site_secret(const std::string& path, std::string* err) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            *err = fmt::format("site secret {} does not exist: run kioskctl init", path);
        } else {
            *err = fmt::format("cannot open site secret {}: {}", path, errno_text());
        }
        return std::nullopt;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        *err = fmt::format("cannot stat site secret {}: {}", path, errno_text());
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        *err = fmt::format("site secret {} is not a regular file", path);
        return std::nullopt;
    }
    if ((st.st_mode & 077) != 0) {
        *err = fmt::format(
            "site secret {} is accessible by group or others (mode {:04o}): it must be mode 0600 "
            "(chmod 600 {})",
            path, st.st_mode & 07777, path);
        return std::nullopt;
    }
    if (st.st_size != static_cast<off_t>(kSiteSecretBytes)) {
        *err = fmt::format(
            "site secret {} is {} bytes, expected exactly {}: it is damaged or not "
            "a site secret",
            path, static_cast<long long>(st.st_size), kSiteSecretBytes);
        return std::nullopt;
    }
    SiteSecret secret{};
    size_t got = 0;
    while (got < secret.size()) {
        ssize_t n = ::read(fd, secret.data() + got, secret.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            *err = fmt::format("cannot read site secret {}: {}", path,
                               n == 0 ? "file shrank while reading" : errno_text());
            return std::nullopt;
        }
        got += static_cast<size_t>(n);
    }
    return secret;
}

}  // namespace kiosk::db
