// The sync's huge-page blocks: small blocks from the heap, large ones mapped on a 2 MiB boundary
// (where a transparent huge page can back them), all usable and freed, and containers growing
// through both kinds.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "db/huge_pages.h"

namespace kiosk::db {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

TEST(HugePages, LargeBlocksStartOnAHugePageBoundaryAndHoldWhatIsWritten) {
    for (std::size_t bytes : {2 * kMiB, 2 * kMiB + 1, 5 * kMiB + 123, 33 * kMiB}) {
        auto* p = static_cast<unsigned char*>(huge_page_allocate(bytes));
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (2 * kMiB), 0u) << bytes;
        std::memset(p, 0xA5, bytes);
        EXPECT_EQ(p[0], 0xA5);
        EXPECT_EQ(p[bytes - 1], 0xA5);
        huge_page_free(p, bytes);
    }
}

TEST(HugePages, SmallBlocksComeFromTheHeapAligned) {
    for (std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, 2 * kMiB - 1}) {
        void* p = huge_page_allocate(bytes);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t), 0u);
        if (bytes > 0) std::memset(p, 1, bytes);
        huge_page_free(p, bytes);
    }
    huge_page_free(nullptr, 4 * kMiB);  // nothing to free: no effect
}

TEST(HugePages, ContainersKeepTheirContentsAcrossGrowthPastTheHugePageSize) {
    HugeVector<std::uint64_t> v;
    for (std::uint64_t i = 0; i < 1'000'000; ++i) v.push_back(i * 7);  // 8 MB: grows through both
    ASSERT_EQ(v.size(), 1'000'000u);
    for (std::uint64_t i = 0; i < v.size(); i += 4999) EXPECT_EQ(v[i], i * 7);

    HugeString s;
    for (int i = 0; i < 400'000; ++i) s.append("trainee-");  // 3.2 MB
    EXPECT_EQ(s.size(), 3'200'000u);
    EXPECT_EQ(std::string_view(s).substr(3'199'992), "trainee-");
    HugeString().swap(s);
    EXPECT_EQ(s.capacity() < 2 * kMiB, true);
}

}  // namespace
}  // namespace kiosk::db
