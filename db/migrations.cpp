// Forward-only schema migrations (see migrations.h).
#include "db/migrations.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace kiosk::db {
namespace {

constexpr int kSchemaError = 1;  // SQLITE_ERROR: the code carried by our own schema refusals
constexpr int kCantOpen = 14;    // SQLITE_CANTOPEN
constexpr int kNotADb = 26;      // SQLITE_NOTADB

[[noreturn]] void refuse_newer(std::string_view name, int found, int supported) {
    throw SqliteError(
        fmt::format("{} has schema version {}, newer than this program supports ({}): "
                    "upgrade the kiosk software",
                    name, found, supported),
        kSchemaError);
}

}  // namespace

void migrate(Database& db, std::span<const std::string_view> steps, std::string_view store_name) {
    const int supported = static_cast<int>(steps.size());
    int version = db.user_version();
    if (version < 0) {
        throw SqliteError(fmt::format("{} has an invalid schema version {}", store_name, version),
                          kSchemaError);
    }
    if (version > supported) refuse_newer(store_name, version, supported);
    for (int i = version; i < supported; ++i) {
        Transaction tx(db);
        // Re-read inside the write lock: another process may have migrated meanwhile.
        int now_at = db.user_version();
        if (now_at > i) {
            if (now_at > supported) refuse_newer(store_name, now_at, supported);
            i = now_at - 1;
            continue;  // rolls back the empty transaction
        }
        try {
            db.exec(steps[static_cast<size_t>(i)]);
        } catch (const SqliteError& e) {
            throw SqliteError(fmt::format("{}: migration to schema version {} failed: {}",
                                          store_name, i + 1, e.what()),
                              e.code());
        }
        db.set_user_version(i + 1);
        tx.commit();
    }
}

namespace {

void check_version(int version, int supported, std::string_view store_name) {
    if (version == 0) {
        throw SqliteError(fmt::format("{} is not initialised: run kioskctl init", store_name),
                          kSchemaError);
    }
    if (version > supported) refuse_newer(store_name, version, supported);
    if (version < supported) {
        throw SqliteError(fmt::format("{} has schema version {}, older than this program's ({}): "
                                      "run kioskctl init to migrate",
                                      store_name, version, supported),
                          kSchemaError);
    }
}

}  // namespace

void check_schema(Database& db, int supported, std::string_view store_name) {
    check_version(db.user_version(), supported, store_name);
}

std::optional<int> peek_schema_version(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    // With committed pages in the WAL the main file's header may be stale: ask SQLite. Otherwise
    // read the header directly, so that not even an empty -wal/-shm pair is created.
    const std::string wal = path + "-wal";
    if (fs::exists(wal, ec) && fs::file_size(wal, ec) > 0 && !ec) {
        Database ro(path, Database::Mode::ReadOnly);
        return ro.user_version();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw SqliteError(fmt::format("cannot read {}: {}", path, std::strerror(errno)), kCantOpen);
    }
    std::array<unsigned char, 100> header{};
    in.read(reinterpret_cast<char*>(header.data()), header.size());
    const auto got = in.gcount();
    if (got == 0) return 0;  // an empty file is an empty database
    static constexpr std::string_view kMagic{"SQLite format 3\0", 16};
    if (got < static_cast<std::streamsize>(header.size()) ||
        std::string_view(reinterpret_cast<const char*>(header.data()), kMagic.size()) != kMagic) {
        throw SqliteError(fmt::format("{} is not an SQLite database", path), kNotADb);
    }
    // user_version: a big-endian 32-bit integer at offset 60 of the database header.
    std::uint32_t v = (std::uint32_t{header[60]} << 24) | (std::uint32_t{header[61]} << 16) |
                      (std::uint32_t{header[62]} << 8) | std::uint32_t{header[63]};
    return static_cast<int>(v);
}

void preflight_schema(const std::string& path, int supported, std::string_view store_name,
                      bool may_migrate) {
    std::optional<int> version = peek_schema_version(path);
    if (!version) {
        if (may_migrate) return;
        throw SqliteError(
            fmt::format("{} does not exist ({}): run kioskctl init", store_name, path),
            kSchemaError);
    }
    if (may_migrate) {
        if (*version > supported) refuse_newer(store_name, *version, supported);
        return;
    }
    check_version(*version, supported, store_name);
}

}  // namespace kiosk::db
