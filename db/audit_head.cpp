// Export and check of the audit chain head (see audit_head.h).
#include "db/audit_head.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "db/regular_file.h"

namespace kiosk::db {
namespace {

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t w = ::write(fd, s.data(), s.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        s.remove_prefix(static_cast<size_t>(w));
    }
    return true;
}

bool is_hex64(std::string_view s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

std::string format_audit_head(const AuditHead& h) {
    return fmt::format("audit head: seq {} hash {}", h.seq, h.hash);
}

bool parse_audit_head(std::string_view text, const std::string& origin, AuditHead* out,
                      std::string* err) {
    std::istringstream in{std::string(text)};
    std::string audit, head, seq_word, seq, hash_word, hash, extra;
    in >> audit >> head >> seq_word >> seq >> hash_word >> hash;
    AuditHead h;
    auto [p, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), h.seq);
    if (audit != "audit" || head != "head:" || seq_word != "seq" || hash_word != "hash" ||
        ec != std::errc{} || p != seq.data() + seq.size() || h.seq < 0 || (in >> extra)) {
        *err = fmt::format("{}: not an audit head (want 'audit head: seq N hash HEX')", origin);
        return false;
    }
    if (!is_hex64(hash)) {
        *err = fmt::format("{}: hash '{}' is not 64 lower-case hex digits", origin, hash);
        return false;
    }
    h.hash = hash;
    *out = h;
    return true;
}

bool write_audit_head_file(const std::string& path, const AuditHead& h, std::string* err) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string tmpl = (dir / (target.filename().string() + ".tmp-XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = ::mkostemp(buf.data(), O_CLOEXEC);
    if (fd < 0) {
        *err = fmt::format("cannot write the audit head {}: {}", path, std::strerror(errno));
        return false;
    }
    const std::string tmp = buf.data();
    const std::string text = format_audit_head(h) + "\n";
    bool ok = ::fchmod(fd, 0644) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
    int saved = errno;
    ok = (::close(fd) == 0) && ok;
    if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
        saved = errno;
        ok = false;
    }
    if (!ok) {
        ::unlink(tmp.c_str());
        *err = fmt::format("cannot write the audit head {}: {}", path, std::strerror(saved));
        return false;
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return true;
}

bool read_audit_head_file(const std::string& path, AuditHead* out, std::string* err) {
    std::string text;
    if (!read_regular_file(path, "audit head", kMaxAuditHeadFileBytes, &text, err)) return false;
    return parse_audit_head(text, path, out, err);
}

bool check_exported_head(AuditStore& audit, const std::string& path, std::string* problem,
                         std::string* err) {
    problem->clear();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return true;  // never exported
    AuditHead previous;
    std::string why;
    if (!read_audit_head_file(path, &previous, &why)) {
        *problem = fmt::format(
            "the previously exported audit head cannot be checked ({}): {} is kept as it is; "
            "compare it with the copy shipped off the box before moving it aside",
            why, path);
        return true;
    }
    std::string missing;
    if (!check_audit_head(audit, previous, &missing, err)) return false;
    if (!missing.empty())
        *problem = fmt::format(
            "the audit trail no longer holds the previously exported head ({}): kiosk.db was "
            "rolled back or rewritten since; {} is kept as evidence and not overwritten — "
            "restore kiosk.db from its latest backup (kioskctl audit verify --head {})",
            missing, path, path);
    return true;
}

bool export_audit_head(AuditStore& audit, const std::string& path, AuditHead* out,
                       std::string* err) {
    std::string problem;
    if (!check_exported_head(audit, path, &problem, err)) return false;
    if (!problem.empty()) {
        *err = problem;
        return false;
    }
    AuditHead h;
    if (!audit.head(&h.seq, &h.hash, err)) return false;
    if (!write_audit_head_file(path, h, err)) return false;
    if (out) *out = h;
    return true;
}

bool check_audit_head(AuditStore& audit, const AuditHead& h, std::string* problem,
                      std::string* err) {
    problem->clear();
    if (h.seq == 0) {
        if (h.hash != kAuditGenesisHash)
            *problem = "the exported head names row 0 with a hash that is not the genesis hash";
        return true;
    }
    std::optional<AuditRow> row;
    if (!audit.row_at(h.seq, &row, err)) return false;
    if (!row) {
        std::int64_t last = 0;
        std::string last_hash;
        if (!audit.head(&last, &last_hash, err)) return false;
        *problem = last < h.seq ? fmt::format(
                                      "row {} of the exported head is missing: the trail ends at "
                                      "row {} (rows {}..{} were removed)",
                                      h.seq, last, last + 1, h.seq)
                                : fmt::format("row {} of the exported head is missing", h.seq);
        return true;
    }
    if (row->row_hash != h.hash)
        *problem =
            fmt::format("row {} has hash {}, not the exported head's {}: the trail was rewritten",
                        h.seq, row->row_hash, h.hash);
    return true;
}

}  // namespace kiosk::db
