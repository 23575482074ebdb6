// The site secret: 32 random bytes in `site.key` (mode 0600) beside the databases. It keys the card
// hash (kiosk/card_id.h) and peppers staff PIN hashes, so a copied database alone reveals neither
// card numbers nor PINs. Created once by `kioskctl init`; never rewritten.
#pragma once

#include <optional>
#include <string>

#include "kiosk/card_id.h"

namespace kiosk::db {

// Creates `path` with 32 bytes from libsodium's randombytes_buf (O_CREAT|O_EXCL, mode 0600,
// fsync'd, directory fsync'd). A no-op returning true when the file already exists (it is not
// checked here: load_site_secret does that). false + *err on failure, leaving no partial file.
bool create_site_secret(const std::string& path, std::string* err);

// Reads the secret. Refuses, with a message naming the file and what is wrong, a missing file, one
// that is not a regular file, not exactly 32 bytes, or readable/writable by group or others.
std::optional<SiteSecret> load_site_secret(const std::string& path, std::string* err);

}  // namespace kiosk::db
