// Memory for the sync's large in-memory tables (rows held for a sorted insert, trainee maps, the
// parser's index of certificate numbers): a block of 2 MiB or more is mapped on its own and
// advised to the kernel's transparent huge pages, so that filling a hundred megabytes takes a few
// dozen page faults instead of tens of thousands (on this VM a page fault costs microseconds:
// they were a tenth of a first sync's CPU). Smaller blocks come from the ordinary heap.
#pragma once

#include <cstddef>
#include <limits>
#include <new>
#include <string>
#include <vector>

namespace kiosk::db {

// `bytes` of memory, aligned for any type; never null (throws std::bad_alloc).
void* huge_page_allocate(std::size_t bytes);
// Frees what huge_page_allocate(bytes) returned (the same `bytes`).
void huge_page_free(void* p, std::size_t bytes) noexcept;

template <class T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw std::bad_array_new_length();
        return static_cast<T*>(huge_page_allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { huge_page_free(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const HugePageAllocator<U>&) const noexcept {
        return true;
    }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;
using HugeString = std::basic_string<char, std::char_traits<char>, HugePageAllocator<char>>;

}  // namespace kiosk::db
