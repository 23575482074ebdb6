// Opening files that the kiosk reads from outside (snapshots, signatures, public keys, an exported
// audit head) only when they are regular files, with bounded reads: /dev/zero, a FIFO, a socket or
// a directory given as one of them is refused at once with a message naming what it is, instead of
// hashing forever or blocking on the open.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiosk::db {

// An open regular file (read-only, close-on-exec); closes it on destruction. Move-only.
class RegularFile {
public:
    RegularFile() = default;
    ~RegularFile();
    RegularFile(RegularFile&& o) noexcept;
    RegularFile& operator=(RegularFile&& o) noexcept;
    RegularFile(const RegularFile&) = delete;
    RegularFile& operator=(const RegularFile&) = delete;

    // Opens `path` without blocking (a FIFO's open would wait for a writer), then checks with
    // fstat on the open descriptor that it is a regular file of at most max_bytes. false + *err
    // one line, e.g. "cannot use the snapshot /dev/zero: it is a character device, not a regular
    // file", "cannot open signature file x.minisig: No such file or directory".
    bool open(const std::string& path, std::string_view what, std::int64_t max_bytes,
              std::string* err);

    int fd() const { return fd_; }
    std::int64_t size() const { return size_; }
    // "/proc/self/fd/N": the same open file, for APIs that take a path (std::ifstream); it cannot
    // be swapped for something else between the check and the read.
    std::string proc_path() const;
    // Reads the rest of the file, refusing more than max_bytes (the file may grow after open()).
    bool read_all(std::int64_t max_bytes, std::string* out, std::string* err);

private:
    std::string path_, what_;
    int fd_ = -1;
    std::int64_t size_ = 0;
};

// Reads a whole regular file of at most max_bytes into *out (see RegularFile::open).
bool read_regular_file(const std::string& path, std::string_view what, std::int64_t max_bytes,
                       std::string* out, std::string* err);

}  // namespace kiosk::db
