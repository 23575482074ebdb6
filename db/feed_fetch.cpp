// Snapshot download over http(s) with libcurl (see feed_fetch.h).
#include "db/feed_fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace kiosk::db {
namespace {

enum class Outcome { ok, transient, permanent };

// What one transfer saw, filled by the callbacks.
struct Transfer {
    int fd = -1;
    std::int64_t bytes = 0;
    std::int64_t max_bytes = 0;
    bool too_large = false;
    int write_errno = 0;
    std::string status_line;  // the last response's "HTTP/1.1 404 Not Found"
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    if (t->bytes + static_cast<std::int64_t>(len) > t->max_bytes) {
        t->too_large = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = ::write(t->fd, data + done, len - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            t->write_errno = errno;
            return 0;
        }
        done += static_cast<size_t>(w);
    }
    t->bytes += static_cast<std::int64_t>(len);
    return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
        t->status_line = std::string(line);
    }
    return size * n;
}

// "Not Found" from "HTTP/1.1 404 Not Found" (HTTP/2 has no reason phrase: a few common ones).
std::string reason_phrase(const std::string& status_line, long code) {
    size_t sp1 = status_line.find(' ');
    if (sp1 != std::string::npos) {
        size_t sp2 = status_line.find(' ', sp1 + 1);
        if (sp2 != std::string::npos && sp2 + 1 < status_line.size())
            return status_line.substr(sp2 + 1);
    }
    switch (code) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 410:
            return "Gone";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "";
    }
}

std::string of_bytes(std::int64_t got, curl_off_t expected) {
    return expected >= 0 ? fmt::format("{} of {} bytes", got, expected)
                         : fmt::format("{} bytes (length not announced)", got);
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One transfer of `url` into the (emptied) file `fd`. *why is the one-line reason on failure.
Outcome transfer_once(const FetchRequest& req, const std::string& url, int fd, std::int64_t* bytes,
                      std::string* why) {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
        *why = fmt::format("cannot reset the temporary file: {}", std::strerror(errno));
        return Outcome::permanent;
    }
    std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
    if (!c) {
        *why = "libcurl could not start a transfer";
        return Outcome::permanent;
    }
    Transfer t;
    t.fd = fd;
    t.max_bytes = req.max_bytes;
    char errbuf[CURL_ERROR_SIZE] = {0};
    const bool https = url.size() >= 6 && (url[4] == 's' || url[4] == 'S');
    const long low_speed_time =
        req.low_speed_seconds > 0 ? req.low_speed_seconds : std::min(30, req.total_timeout_seconds);
    CURL* h = c.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    // Redirects stay within http(s), and never from https down to http.
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(req.connect_timeout_seconds));
    curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(req.total_timeout_seconds));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(req.low_speed_bytes_per_second));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, low_speed_time);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_bytes));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "onsite-kiosk-sync/1");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (!req.credentials_file.empty()) {
        // The file's login for the URL's host; credentials written in the URL are ignored.
        curl_easy_setopt(h, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_REQUIRED));
        curl_easy_setopt(h, CURLOPT_NETRC_FILE, req.credentials_file.c_str());
    }

    const CURLcode rc = curl_easy_perform(h);
    *bytes = t.bytes;
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_off_t expected = -1;
    curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    curl_off_t connect_us = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_off_t total_us = 0;
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
    const std::string detail = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc);

    switch (rc) {
        case CURLE_OK:
            if (code < 200 || code > 299) {
                *why = fmt::format("HTTP {} {} (not a snapshot)", code,
                                   reason_phrase(t.status_line, code));
                return Outcome::permanent;
            }
            if (expected >= 0 && t.bytes != expected) {
                *why = fmt::format("received {} (truncated)", of_bytes(t.bytes, expected));
                return Outcome::transient;
            }
            return Outcome::ok;
        case CURLE_HTTP_RETURNED_ERROR: {
            std::string phrase = reason_phrase(t.status_line, code);
            *why = phrase.empty() ? fmt::format("HTTP {}", code)
                                  : fmt::format("HTTP {} {}", code, phrase);
            return code >= 500 ? Outcome::transient : Outcome::permanent;
        }
        case CURLE_OPERATION_TIMEDOUT:
            if (connect_us == 0 && code == 0) {
                *why = fmt::format("could not connect within {} s", req.connect_timeout_seconds);
            } else if (total_us / 1000000 + 1 >= req.total_timeout_seconds) {
                *why = fmt::format("timed out after {} s with {}", req.total_timeout_seconds,
                                   of_bytes(t.bytes, expected));
            } else {
                *why = fmt::format("timed out: under {} byte/s for {} s (stalled), after {}",
                                   req.low_speed_bytes_per_second, low_speed_time,
                                   of_bytes(t.bytes, expected));
            }
            return Outcome::transient;
        case CURLE_PARTIAL_FILE:
            *why = fmt::format("server closed the connection after {} (truncated)",
                               of_bytes(t.bytes, expected));
            return Outcome::transient;
        case CURLE_FILESIZE_EXCEEDED:
            *why = fmt::format("the file is larger than the {} byte limit", req.max_bytes);
            return Outcome::permanent;
        case CURLE_WRITE_ERROR:
            if (t.too_large)
                *why = fmt::format("the file is larger than the {} byte limit", req.max_bytes);
            else
                *why = fmt::format("cannot write the download: {}",
                                   t.write_errno ? std::strerror(t.write_errno) : detail);
            return Outcome::permanent;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            *why = detail;
            return Outcome::transient;
        case CURLE_UNSUPPORTED_PROTOCOL:
            *why = fmt::format("{} (only http and https are allowed, redirects included)", detail);
            return Outcome::permanent;
        default:
            *why = detail;
            return Outcome::permanent;
    }
}

// A fresh temporary file in `dir`: O_EXCL, mode 0600, close-on-exec.
bool make_temp(const std::string& dir, const char* suffix, std::string* path, int* fd,
               std::string* err) {
    std::string tmpl = (std::filesystem::path(dir) / "sync-download-XXXXXX").string() + suffix;
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int f = ::mkostemps(buf.data(), static_cast<int>(std::strlen(suffix)), O_CLOEXEC);
    if (f < 0) {
        *err = fmt::format("cannot create a temporary file in {}: {}", dir, std::strerror(errno));
        return false;
    }
    ::fchmod(f, 0600);
    *path = buf.data();
    *fd = f;
    return true;
}

// Downloads `url` into a new temporary file, retrying transient failures. On failure the file is
// removed and *err is "fetch URL: reason[ (N attempts)]".
bool download(const FetchRequest& req, const std::string& url, const char* suffix,
              std::string* path, std::int64_t* bytes, int* attempts, std::string* err) {
    int fd = -1;
    std::string tmp;
    if (!make_temp(req.temp_dir, suffix, &tmp, &fd, err)) {
        *err = fmt::format("fetch {}: {}", url_for_record(url), *err);
        return false;
    }
    std::string why;
    Outcome o = Outcome::permanent;
    int tries = 0;
    for (;;) {
        ++tries;
        ++*attempts;
        o = transfer_once(req, url, fd, bytes, &why);
        if (o != Outcome::transient || tries > req.retries) break;
        std::this_thread::sleep_for(req.backoff * (1LL << std::min(tries - 1, 10)));
    }
    ::close(fd);
    if (o == Outcome::ok) {
        *path = tmp;
        return true;
    }
    ::unlink(tmp.c_str());
    *err = tries > 1 ? fmt::format("fetch {}: {} ({} attempts)", url_for_record(url), why, tries)
                     : fmt::format("fetch {}: {}", url_for_record(url), why);
    return false;
}

// Removes downloads left by a run that was killed (SIGKILL, power loss) before it could clean up:
// sync-download-* files in `dir` older than a day, far beyond any transfer's time limit.
void remove_stale_downloads(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24);
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with("sync-download-")) continue;
        std::error_code e2;
        auto t = fs::last_write_time(it->path(), e2);
        if (!e2 && t < cutoff) fs::remove(it->path(), e2);
    }
}

}  // namespace

bool is_fetch_url(std::string_view source) {
    auto starts = [&](std::string_view scheme) {
        if (source.size() < scheme.size()) return false;
        for (size_t i = 0; i < scheme.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(source[i])) != scheme[i]) return false;
        return true;
    };
    return starts("http://") || starts("https://");
}

std::string url_for_record(std::string_view source) {
    if (!is_fetch_url(source)) return std::string(source);
    const size_t scheme_end = source.find("://") + 3;
    std::string_view rest = source.substr(scheme_end);
    rest = rest.substr(0, rest.find_first_of("?#"));
    const size_t path_start = std::min(rest.find('/'), rest.size());
    std::string_view authority = rest.substr(0, path_start);
    const size_t at = authority.rfind('@');
    if (at != std::string_view::npos) authority.remove_prefix(at + 1);
    return std::string(source.substr(0, scheme_end)) + std::string(authority) +
           std::string(rest.substr(path_start));
}

std::string signature_url(std::string_view url) {
    const size_t cut = std::min(url.find_first_of("?#"), url.size());
    return std::string(url.substr(0, cut)) + ".minisig" + std::string(url.substr(cut));
}

bool check_credentials_file(const std::string& path, std::string* err) {
    constexpr std::int64_t kMaxBytes = 64 * 1024;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *err = fmt::format("cannot open the credentials file {} (sync.credentials_file): {}", path,
                           std::strerror(errno));
        return false;
    }
    struct stat st {};
    const bool statted = ::fstat(fd, &st) == 0;
    const int saved = errno;
    ::close(fd);
    if (!statted) {
        *err = fmt::format("cannot use the credentials file {}: {}", path, std::strerror(saved));
        return false;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > kMaxBytes) {
        *err = fmt::format(
            "the credentials file {} (sync.credentials_file) must be a regular file of at most "
            "{} bytes",
            path, kMaxBytes);
        return false;
    }
    if (st.st_uid != ::geteuid()) {
        *err = fmt::format(
            "the credentials file {} belongs to uid {}, not to the user running the sync (uid "
            "{}): chown it",
            path, st.st_uid, ::geteuid());
        return false;
    }
    if ((st.st_mode & 077) != 0) {
        *err = fmt::format(
            "the credentials file {} is accessible to other users (mode {:04o}): run chmod 600 {}",
            path, st.st_mode & 07777, path);
        return false;
    }
    return true;
}

FetchedSnapshot::~FetchedSnapshot() { remove_files(); }

FetchedSnapshot::FetchedSnapshot(FetchedSnapshot&& o) noexcept { *this = std::move(o); }

FetchedSnapshot& FetchedSnapshot::operator=(FetchedSnapshot&& o) noexcept {
    if (this != &o) {
        remove_files();
        csv_path = std::move(o.csv_path);
        sig_path = std::move(o.sig_path);
        sig_source = std::move(o.sig_source);
        csv_bytes = o.csv_bytes;
        sig_bytes = o.sig_bytes;
        attempts = o.attempts;
        owns_sig_ = o.owns_sig_;
        o.csv_path.clear();
        o.sig_path.clear();
        o.owns_sig_ = false;
    }
    return *this;
}

void FetchedSnapshot::remove_files() {
    if (!csv_path.empty()) ::unlink(csv_path.c_str());
    if (owns_sig_ && !sig_path.empty()) ::unlink(sig_path.c_str());
    csv_path.clear();
    if (owns_sig_) sig_path.clear();
    owns_sig_ = false;
}

bool fetch_snapshot(const FetchRequest& req, FetchedSnapshot* out, std::string* err) {
    out->remove_files();
    *out = FetchedSnapshot{};
    if (!is_fetch_url(req.url)) {
        *err = fmt::format("fetch {}: only http:// and https:// URLs are supported",
                           url_for_record(req.url));
        return false;
    }
    if (req.temp_dir.empty()) {
        *err = fmt::format("fetch {}: no directory for the download was given",
                           url_for_record(req.url));
        return false;
    }
    global_init_once();
    remove_stale_downloads(req.temp_dir);
    FetchedSnapshot got;
    if (!req.credentials_file.empty() && !check_credentials_file(req.credentials_file, err))
        return false;
    const std::string sig = req.sig.empty() ? signature_url(req.url) : req.sig;
    got.sig_source = url_for_record(sig);
    if (is_fetch_url(sig)) {
        if (!download(req, sig, ".minisig", &got.sig_path, &got.sig_bytes, &got.attempts, err))
            return false;
        got.owns_sig_ = true;
    } else {
        got.sig_path = sig;  // a local signature file, used in place
    }
    if (!download(req, req.url, ".csv", &got.csv_path, &got.csv_bytes, &got.attempts, err))
        return false;  // `got` removes the downloaded signature
    *out = std::move(got);
    return true;
}

}  // namespace kiosk::db
