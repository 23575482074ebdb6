// Transparent-huge-page blocks for the sync's large tables (see huge_pages.h).
#include "db/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace kiosk::db {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t mapped_size(std::size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

}  // namespace

void* huge_page_allocate(std::size_t bytes) {
    if (bytes < kHugePage) return ::operator new(bytes == 0 ? 1 : bytes);
    const std::size_t size = mapped_size(bytes);
    // Mapped one huge page larger, then trimmed to a huge-page boundary: only an aligned 2 MiB
    // range can be backed by a huge page.
    void* raw =
        mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + kHugePage - 1) & ~(std::uintptr_t{kHugePage} - 1);
    if (aligned > start) munmap(raw, aligned - start);
    if (const std::uintptr_t end = start + size + kHugePage; end > aligned + size)
        munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
    void* p = reinterpret_cast<void*>(aligned);
    // Advice only: where the kernel has THP off (or no huge page free) the block is still
    // ordinary memory.
    madvise(p, size, MADV_HUGEPAGE);
    return p;
}

void huge_page_free(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    if (bytes < kHugePage) {
        ::operator delete(p);
        return;
    }
    munmap(p, mapped_size(bytes));
}

}  // namespace kiosk::db
