// Trainee number -> T, for the sync's quarter-million trainees (the parser's cross-row checks and
// the import's digests): open addressing over 32-bit indexes into entries kept in 4 MiB chunks
// (references stay valid as it grows; huge-page blocks, see huge_pages.h: a deque's 512-byte
// blocks were a malloc and page faults every few trainees), the keys in one arena. A
// std::unordered_map of std::string keys cost a fifth of an unchanged re-sync's CPU (a heap node
// per trainee, a cache miss per lookup and per step of its walks).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "db/huge_pages.h"

namespace kiosk::db {

template <class T>
class TraineeMap {
public:
    struct Item {
        std::string_view first;
        T& second;
    };
    class iterator {
    public:
        iterator(TraineeMap* m, size_t i) : m_(m), i_(i) {}
        Item operator*() const { return {m_->key_of(i_), m_->entries_[i_].value}; }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        bool operator!=(const iterator& o) const { return i_ != o.i_; }

    private:
        TraineeMap* m_;
        size_t i_;
    };

    void reserve(size_t n) {
        if (n * 2 > slots_.size()) rehash(n * 2);
    }
    size_t size() const { return entries_.size(); }
    iterator begin() { return {this, 0}; }
    iterator end() { return {this, entries_.size()}; }

    T* find(std::string_view key) {
        if (slots_.empty()) return nullptr;
        const size_t mask = slots_.size() - 1;
        for (size_t i = std::hash<std::string_view>{}(key)&mask; slots_[i] != 0; i = (i + 1) & mask)
            if (key_of(slots_[i] - 1) == key) return &entries_[slots_[i] - 1].value;
        return nullptr;
    }
    // The entry for `key`, added (value-initialised) when absent.
    T& operator[](std::string_view key) {
        if ((entries_.size() + 1) * 2 > slots_.size())
            rehash(std::max<size_t>(1024, slots_.size() * 2));
        const size_t mask = slots_.size() - 1;
        size_t i = std::hash<std::string_view>{}(key)&mask;
        for (; slots_[i] != 0; i = (i + 1) & mask)
            if (key_of(slots_[i] - 1) == key) return entries_[slots_[i] - 1].value;
        entries_.push_back(Entry{arena_.size(), key.size(), T{}});
        arena_.append(key);
        slots_[i] = static_cast<std::uint32_t>(entries_.size());
        return entries_.back().value;
    }

private:
    struct Entry {
        size_t key_at, key_size;
        T value;
    };
    std::string_view key_of(size_t i) const {
        return std::string_view(arena_).substr(entries_[i].key_at, entries_[i].key_size);
    }
    void rehash(size_t want) {
        size_t n = 1024;
        while (n < want) n *= 2;
        slots_.assign(n, 0);
        const size_t mask = n - 1;
        for (size_t e = 0; e < entries_.size(); ++e) {
            size_t i = std::hash<std::string_view>{}(key_of(e)) & mask;
            while (slots_[i] != 0) i = (i + 1) & mask;
            slots_[i] = static_cast<std::uint32_t>(e + 1);
        }
    }
    // Entries in fixed chunks that never move once allocated.
    class Entries {
    public:
        size_t size() const { return size_; }
        Entry& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
        const Entry& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
        Entry& back() { return (*this)[size_ - 1]; }
        void push_back(const Entry& e) {
            if (size_ % kChunk == 0) {
                chunks_.emplace_back();
                chunks_.back().reserve(kChunk);
            }
            chunks_.back().push_back(e);
            ++size_;
        }

    private:
        static constexpr size_t kChunk = (size_t{4} << 20) / sizeof(Entry);
        std::vector<HugeVector<Entry>> chunks_;
        size_t size_ = 0;
    };
    Entries entries_;
    HugeString arena_;
    HugeVector<std::uint32_t> slots_;
};

}  // namespace kiosk::db
