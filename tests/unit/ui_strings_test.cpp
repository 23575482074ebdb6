// The string tables: both complete, the refusal sentences of product.md section 1 word for word,
// a sentence per reason naming what to do next, rule ids from the finding, and the slot filler.
#include <gtest/gtest.h>

#include "ui/strings.h"

namespace {

using kiosk::Code;
using kiosk::Course;
using kiosk::Finding;
using kiosk::Lang;
using ui::Text;

TEST(UiStrings, BothTablesAreComplete) {
    EXPECT_EQ(ui::strings(Lang::Ja).gaps(), std::vector<std::string>{});
    EXPECT_EQ(ui::strings(Lang::En).gaps(), std::vector<std::string>{});
    EXPECT_EQ(ui::strings(Lang::Ja).lang(), Lang::Ja);
    EXPECT_EQ(ui::strings(Lang::En).lang(), Lang::En);
}

TEST(UiStrings, JapaneseIsTheCallToTapOfTheSpec) {
    EXPECT_EQ(ui::strings(Lang::Ja)[Text::TapCard], "カードをタッチしてください");
    EXPECT_EQ(ui::strings(Lang::En)[Text::TapCard], "Please touch your ID card");
    // The toggle names the other language in that language.
    EXPECT_EQ(ui::strings(Lang::Ja)[Text::LanguageToggle], "English");
    EXPECT_EQ(ui::strings(Lang::En)[Text::LanguageToggle], "日本語");
}

TEST(UiStrings, RefusalSentencesOfProductSpec) {
    const ui::Strings& en = ui::strings(Lang::En);
    EXPECT_EQ(en.finding({Code::CourseMissing, Course::SystemOperation, {"TR-1"}}),
              "Take the System-operation course first.");
    EXPECT_EQ(en.finding({Code::CertLost, Course::Overview, {"TR-4"}}),
              "Your Overview course certificate was reported lost: retake the course to get a new "
              "certificate.");
    EXPECT_EQ(en.finding({Code::CardUnknown, std::nullopt, {"TR-5"}}),
              "This card is not registered: please ask staff.");
    const ui::Strings& ja = ui::strings(Lang::Ja);
    EXPECT_EQ(ja.finding({Code::CourseMissing, Course::SystemOperation, {"TR-1"}}),
              "先にMID-NET研修（システム操作）を受講してください。");
}

TEST(UiStrings, EveryReasonSaysWhatToDoNext) {
    // Each refusal sentence ends with the next step: ask staff, take/retake a course, or try later.
    const Code reasons[] = {Code::CardUnknown,      Code::CardRevoked,    Code::TraineeUnknown,
                            Code::CourseMissing,    Code::CertLost,       Code::CertNotObtained,
                            Code::CertRevoked,      Code::RetakeRequired, Code::OrderViolation,
                            Code::AlreadyInSession, Code::MirrorStale,    Code::NoSeat,
                            Code::KioskFault};
    for (Code c : reasons) {
        std::string en = ui::strings(Lang::En).finding({c, Course::Overview, {}});
        std::string ja = ui::strings(Lang::Ja).finding({c, Course::Overview, {}});
        SCOPED_TRACE(std::string(kiosk::code_name(c)));
        bool next_en =
            en.find("ask staff") != std::string::npos || en.find("take the") != std::string::npos ||
            en.find("Take the") != std::string::npos || en.find("retake") != std::string::npos ||
            en.find("try again") != std::string::npos;
        bool next_ja = ja.find("係員にお申し出ください") != std::string::npos ||
                       ja.find("受講してください") != std::string::npos ||
                       ja.find("受け取ってください") != std::string::npos ||
                       ja.find("タッチしてください") != std::string::npos;
        EXPECT_TRUE(next_en) << en;
        EXPECT_TRUE(next_ja) << ja;
        EXPECT_EQ(en.find('{'), std::string::npos) << en;  // every slot filled
        EXPECT_EQ(ja.find('{'), std::string::npos) << ja;
    }
}

TEST(UiStrings, NoticesTR6AndTR9AndAging) {
    const ui::Strings& en = ui::strings(Lang::En);
    EXPECT_EQ(en.finding({Code::RetakeAdvised, Course::Overview, {"TR-6"}}),
              "Please retake the Overview course where possible (2024-01-31 revision).");
    EXPECT_EQ(en.finding({Code::BriefingNeeded, std::nullopt, {"TR-9"}}),
              "A staff member will brief you on how to use the system.");
    EXPECT_EQ(ui::strings(Lang::Ja).finding({Code::BriefingNeeded, std::nullopt, {"TR-9"}}),
              "係員がシステムの操作方法をご説明します。");
    EXPECT_FALSE(en.finding({Code::MirrorAging, std::nullopt, {}}).empty());
}

TEST(UiStrings, RuleIdsComeFromTheFinding) {
    const ui::Strings& en = ui::strings(Lang::En);
    EXPECT_EQ(en.rules({Code::OrderViolation, Course::SystemOperation, {"TR-2"}}), "TR-2");
    EXPECT_EQ(en.rules({Code::CourseMissing, Course::Overview, {"TR-1", "TR-8"}}), "TR-1, TR-8");
    EXPECT_EQ(en.rules({Code::NoSeat, std::nullopt, {}}), "site policy");
    EXPECT_EQ(ui::strings(Lang::Ja).rules({Code::NoSeat, std::nullopt, {}}), "センターの規定");
}

TEST(UiStrings, StatusWordsCarryASymbol) {
    // Status is never told by colour alone: each status line starts with a symbol and has words.
    for (Lang l : {Lang::Ja, Lang::En}) {
        const ui::Strings& s = ui::strings(l);
        for (Text t :
             {Text::ReaderOk, Text::ReaderMissing, Text::ReaderStarting, Text::RecordsFresh,
              Text::RecordsAging, Text::RecordsOld, Text::RecordsNever, Text::SeatsFree,
              Text::SeatsNone, Text::GrantedBanner, Text::RefusedBanner, Text::WarningBanner,
              Text::InUseBanner, Text::ReaderProblemBanner, Text::RecordsStaleBanner}) {
            std::string_view v = s[t];
            bool symbol = v.starts_with("✓ ") || v.starts_with("× ") || v.starts_with("⚠ ") ||
                          v.starts_with("○ ");
            EXPECT_TRUE(symbol) << v;
            EXPECT_GT(v.size(), 6u) << v;
        }
    }
}

TEST(UiStrings, FillReplacesNamedSlots) {
    EXPECT_EQ(ui::fill("{a} and {b}", {{"a", "1"}, {"b", "2"}}), "1 and 2");
    EXPECT_EQ(ui::fill("{a}{a}", {{"a", "x"}}), "xx");
    EXPECT_EQ(ui::fill("keep {unknown}", {{"a", "x"}}), "keep {unknown}");
    EXPECT_EQ(ui::fill("open { brace", {}), "open { brace");
    EXPECT_EQ(ui::fill("", {}), "");
}

}  // namespace
