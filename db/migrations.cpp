// Forward-only schema migrations (see migrations.h).
#include "db/migrations.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

namespace kiosk::db {
namespace {

constexpr int kSchemaError = 1;  // SQLITE_ERROR: the code carried by our own schema refusals

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

void check_schema(Database& db, int supported, std::string_view store_name) {
    int version = db.user_version();
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

std::optional<int> peek_schema_version(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::nullopt;
    Database db(path, Database::Mode::ReadOnly);
    return db.user_version();
}

void preflight_schema(const std::string& path, int supported, std::string_view store_name,
                      bool may_migrate) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        if (may_migrate) return;
        throw SqliteError(
            fmt::format("{} does not exist ({}): run kioskctl init", store_name, path),
            kSchemaError);
    }
    Database ro(path, Database::Mode::ReadOnly);
    if (!may_migrate) {
        check_schema(ro, supported, store_name);
        return;
    }
    int version = ro.user_version();
    if (version > supported) refuse_newer(store_name, version, supported);
}

}  // namespace kiosk::db
