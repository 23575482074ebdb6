// Regular files only, bounded reads (see regular_file.h).
#include "db/regular_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace kiosk::db {
namespace {

const char* kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (named pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

}  // namespace

RegularFile::~RegularFile() {
    if (fd_ >= 0) ::close(fd_);
}

RegularFile::RegularFile(RegularFile&& o) noexcept
    : path_(std::move(o.path_)), what_(std::move(o.what_)), fd_(o.fd_), size_(o.size_) {
    o.fd_ = -1;
}

RegularFile& RegularFile::operator=(RegularFile&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(o.path_);
        what_ = std::move(o.what_);
        fd_ = o.fd_;
        size_ = o.size_;
        o.fd_ = -1;
    }
    return *this;
}

bool RegularFile::open(const std::string& path, std::string_view what, std::int64_t max_bytes,
                       std::string* err) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *err = fmt::format("cannot open {} {}: {}", what, path, std::strerror(errno));
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        *err = fmt::format("cannot use the {} {}: {}", what, path, std::strerror(errno));
        ::close(fd);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        *err = fmt::format("cannot use the {} {}: it is {}, not a regular file", what, path,
                           kind_of(st.st_mode));
        ::close(fd);
        return false;
    }
    if (st.st_size > max_bytes) {
        *err = fmt::format("cannot use the {} {}: it is {} bytes, more than the limit of {}", what,
                           path, st.st_size, max_bytes);
        ::close(fd);
        return false;
    }
    // Regular files never block; clear O_NONBLOCK anyway so reads behave as usual.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    path_ = path;
    what_ = std::string(what);
    fd_ = fd;
    size_ = st.st_size;
    return true;
}

std::string RegularFile::proc_path() const { return fmt::format("/proc/self/fd/{}", fd_); }

bool RegularFile::read_all(std::int64_t max_bytes, std::string* out, std::string* err) {
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            *err = fmt::format("cannot read the {} {}: {}", what_, path_, std::strerror(errno));
            return false;
        }
        if (n == 0) break;
        text.append(buf, static_cast<size_t>(n));
        if (static_cast<std::int64_t>(text.size()) > max_bytes) {
            *err = fmt::format("cannot use the {} {}: it is more than the limit of {} bytes", what_,
                               path_, max_bytes);
            return false;
        }
    }
    *out = std::move(text);
    return true;
}

bool read_regular_file(const std::string& path, std::string_view what, std::int64_t max_bytes,
                       std::string* out, std::string* err) {
    RegularFile f;
    return f.open(path, what, max_bytes, err) && f.read_all(max_bytes, out, err);
}

}  // namespace kiosk::db
