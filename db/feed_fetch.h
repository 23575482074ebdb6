// Downloads a signed snapshot (CSV + minisign signature) over http(s) with libcurl into temporary
// files next to the mirror, for db::sync_snapshot to verify and apply (product.md section 3: "a
// source is a path or an http(s) URL, signature at URL + .minisig"). Used by `kioskctl sync URL`.
// Transient failures (connect errors, timeouts, truncated bodies, 5xx) are retried with
// exponential backoff; 4xx are not. Every failure is one line naming the URL and what went wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace kiosk::db {

// True for an http:// or https:// source (case-insensitive scheme); anything else is a path.
bool is_fetch_url(std::string_view source);

// The URL as it may be recorded (audit trail, status, reports, messages): without user:password@
// and without ?query and #fragment, which may carry secrets (a token). A path is returned as is.
std::string url_for_record(std::string_view source);

// The signature's default URL: ".minisig" added to the path, before any ?query or #fragment
// ("https://h/feed.csv?token=x" -> "https://h/feed.csv.minisig?token=x").
std::string signature_url(std::string_view url);

// Checks a netrc-style credentials file (`machine HOST login USER password SECRET`) before use:
// a regular file of at most 64 KiB, owned by the user running the sync, readable and writable by
// that user only (mode 0600 or stricter). false + *err saying what to fix.
bool check_credentials_file(const std::string& path, std::string* err);

struct FetchRequest {
    std::string url;       // the snapshot CSV: http:// or https:// only
    std::string sig;       // empty: url + ".minisig"; else a URL (fetched) or a local path (used)
    std::string temp_dir;  // where the temporaries go: the data dir, next to the mirror
    // A netrc-style file with the server's login (sync.credentials_file), so that no secret needs
    // to be in the URL; checked with check_credentials_file(). Empty: none. Its credentials go
    // only to the host it names (never to another host on a redirect).
    std::string credentials_file;
    int connect_timeout_seconds = 10;
    int total_timeout_seconds = 600;  // per attempt, for the whole transfer of one file
    // A transfer slower than low_speed_bytes_per_second for low_speed_seconds is cut off (a
    // server that stalls mid-body); 0 seconds: min(30, total_timeout_seconds).
    int low_speed_bytes_per_second = 1;
    int low_speed_seconds = 0;
    int retries = 3;  // extra attempts after the first, for transient failures only
    std::chrono::milliseconds backoff{1000};         // before retry k: backoff * 2^(k-1)
    std::int64_t max_bytes = std::int64_t{2} << 30;  // 2 GiB guard per file
};

// The downloaded files. Owns them: the destructor removes both (so does a failed fetch), so the
// data dir is left clean whatever happens afterwards. Move-only.
class FetchedSnapshot {
public:
    FetchedSnapshot() = default;
    ~FetchedSnapshot();
    FetchedSnapshot(FetchedSnapshot&& o) noexcept;
    FetchedSnapshot& operator=(FetchedSnapshot&& o) noexcept;
    FetchedSnapshot(const FetchedSnapshot&) = delete;
    FetchedSnapshot& operator=(const FetchedSnapshot&) = delete;

    std::string csv_path;    // temporary file in temp_dir
    std::string sig_path;    // temporary file in temp_dir, or the local --sig path (not owned)
    std::string sig_source;  // the signature's URL or path, for messages
    std::int64_t csv_bytes = 0;
    std::int64_t sig_bytes = 0;
    int attempts = 0;  // HTTP transfers made, retries included

    // Removes the owned temporaries now (idempotent).
    void remove_files();

private:
    bool owns_sig_ = false;
    friend bool fetch_snapshot(const FetchRequest&, FetchedSnapshot*, std::string*);
};

// Fetches the signature (first: it is small, and a missing one fails fast) and then the CSV into
// fresh temporary files in req.temp_dir (sync-download-*, created with O_EXCL, mode 0600); first
// removes such files older than a day, left there by a run that was killed. On failure returns
// false with *err one line, e.g. "fetch http://h/feed.csv: HTTP 404 Not Found", "fetch …: timed
// out after 10 s with 1234 of 5678 bytes (3 attempts)", "fetch …: server closed the connection
// after 1000 of 5000 bytes (truncated)"; no temporary is left behind. URLs in messages are
// url_for_record()'s.
bool fetch_snapshot(const FetchRequest& req, FetchedSnapshot* out, std::string* err);

}  // namespace kiosk::db
