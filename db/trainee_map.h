// Trainee number -> T, for the sync's quarter-million trainees (the parser's cross-row checks and
// the import's digests): open addressing over 32-bit indexes into entries kept in a deque
// (references stay valid as it grows), the keys in one arena. A std::unordered_map of std::string
// keys cost a fifth of an unchanged re-sync's CPU (a heap node per trainee, a cache miss per
// lookup and per step of its walks).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
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
    std::deque<Entry> entries_;
    HugeString arena_;
    HugeVector<std::uint32_t> slots_;
};

}  // namespace kiosk::db
