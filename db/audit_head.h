// The audit chain's head (newest seq and row hash) exported off the trail after every sync, to
// DATA_DIR/audit-head.txt and the sync's output, so that removing the newest rows — which the
// chain alone cannot show — is detectable from outside: `kioskctl audit verify --head FILE`
// checks that the trail still holds that row with that hash.
#pragma once

#include <cstdint>
#include <string>

#include "db/audit_store.h"

namespace kiosk::db {

inline constexpr const char* kAuditHeadFile = "audit-head.txt";

struct AuditHead {
    std::int64_t seq = 0;
    std::string hash;  // 64 lower-case hex
};

// "audit head: seq 42 hash 3f…" — the line printed and the whole content of the file.
std::string format_audit_head(const AuditHead& h);

// Parses what format_audit_head() wrote (surrounding whitespace ignored). false + *err naming the
// file and what is wrong.
bool parse_audit_head(std::string_view text, const std::string& origin, AuditHead* out,
                      std::string* err);

// Writes the head to `path` atomically: a temporary file beside it (O_EXCL, 0600), fsync,
// rename over `path`, fsync of the directory. false + *err on failure (`path` then unchanged).
bool write_audit_head_file(const std::string& path, const AuditHead& h, std::string* err);

// Reads an exported head: a regular file of at most kMaxAuditHeadFileBytes (a FIFO, a device or a
// directory is refused at once).
bool read_audit_head_file(const std::string& path, AuditHead* out, std::string* err);
inline constexpr std::int64_t kMaxAuditHeadFileBytes = 4096;

// Checks that the head exported earlier to `path` is still in the chain. Returns false only when
// something cannot be read; *problem is empty when the file is absent or its row is there, else
// one line saying that the trail no longer holds it (kiosk.db was rolled back or rewritten) and
// that the file is kept as evidence.
bool check_exported_head(AuditStore& audit, const std::string& path, std::string* problem,
                         std::string* err);

// Reads the trail's head and writes it to `path`, after check_exported_head(): a previous head
// that the chain no longer holds is never overwritten (false + *err). *out (may be null) gets
// the head.
bool export_audit_head(AuditStore& audit, const std::string& path, AuditHead* out,
                       std::string* err);

// Checks that the trail still holds row `h.seq` with row hash `h.hash`. Returns false only when
// the trail cannot be read; *problem is empty when the row is there, else one line naming the
// missing or different row ("row 17 of the exported head is missing: the trail ends at row 15").
bool check_audit_head(AuditStore& audit, const AuditHead& h, std::string* problem,
                      std::string* err);

}  // namespace kiosk::db
