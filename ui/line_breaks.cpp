// Kinsoku-aware line breaking (see line_breaks.h).
#include "ui/line_breaks.h"

#include <algorithm>

#include "imgui.h"
#include "imgui_internal.h"

namespace ui {

namespace {

bool is_space(unsigned c) { return c == ' ' || c == 0x3000; }

bool is_wide(unsigned c) {  // CJK and full-width forms: a line may break between two of them
    return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x2010 && c <= 0x2BFF);
}

bool no_line_start(unsigned c) {
    static constexpr std::u16string_view kChars =
        u"、。，．・：；？！ー）」』】〕〉》’”…‥ゃゅょっぁぃぅぇぉゎャュョッァィゥェォヮヵヶ々〜";
    if (c < 0x80)
        return std::string_view(")]},.:;!?%").find(static_cast<char>(c)) != std::string_view::npos;
    return kChars.find(static_cast<char16_t>(c)) != std::u16string_view::npos;
}

bool no_line_end(unsigned c) {
    static constexpr std::u16string_view kChars = u"（「『【〔〈《‘“";
    if (c < 0x80)
        return std::string_view("([{").find(static_cast<char>(c)) != std::string_view::npos;
    return kChars.find(static_cast<char16_t>(c)) != std::u16string_view::npos;
}

struct Glyph {
    std::size_t at;   // byte offset
    std::size_t len;  // bytes
    unsigned c;
    float advance;
};

}  // namespace

std::vector<std::string_view> break_lines(const ImFont& font, std::string_view text, float width) {
    std::vector<Glyph> g;
    const char* p = text.data();
    const char* end = p + text.size();
    while (p < end) {
        unsigned c = 0;
        int n = ImTextCharFromUtf8(&c, p, end);
        if (n <= 0) break;
        float adv =
            c < 0x10000 ? font.GetCharAdvance(static_cast<ImWchar>(c)) : font.FallbackAdvanceX;
        g.push_back(
            {static_cast<std::size_t>(p - text.data()), static_cast<std::size_t>(n), c, adv});
        p += n;
    }

    std::vector<std::string_view> lines;
    auto emit = [&](std::size_t from, std::size_t to) {  // glyph indices [from, to)
        while (to > from && is_space(g[to - 1].c)) --to;
        std::size_t b = from < g.size() ? g[from].at : text.size();
        std::size_t e = to > from ? g[to - 1].at + g[to - 1].len : b;
        lines.push_back(text.substr(b, e - b));
    };

    std::size_t start = 0;
    while (start < g.size()) {
        // Skip the spaces a break left at the start of the line.
        while (start < g.size() && is_space(g[start].c)) ++start;
        if (start >= g.size()) break;
        float w = 0;
        std::size_t last_break = 0;  // glyph index a line may end before; 0: none yet
        std::size_t i = start;
        bool newline = false;
        for (; i < g.size(); ++i) {
            unsigned c = g[i].c;
            if (c == '\n') {
                newline = true;
                break;
            }
            if (i > start) {
                unsigned prev = g[i - 1].c;
                bool between = is_space(prev) || is_space(c) || is_wide(prev) || is_wide(c);
                if (between && !no_line_start(c) && !no_line_end(prev)) last_break = i;
            }
            if (w + g[i].advance > width && i > start && !is_space(c)) break;
            w += g[i].advance;
        }
        if (newline) {
            emit(start, i);
            start = i + 1;
            continue;
        }
        if (i >= g.size()) {
            emit(start, i);
            break;
        }
        std::size_t cut = last_break > start ? last_break : i;  // no break allowed: cut here
        emit(start, cut);
        start = cut;
    }
    return lines;
}

}  // namespace ui
