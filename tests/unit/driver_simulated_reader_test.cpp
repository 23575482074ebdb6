// Tests of the simulated reader (drivers/simulated_reader.h): its script format and the events it
// queues for taps, removals and scripts, in the same shape the PC/SC reader produces.
#include <gtest/gtest.h>

#include <sstream>

#include "drivers/simulated_reader.h"

namespace {

using drivers::ReaderScriptStep;
using drivers::SimulatedReader;
using Kind = kiosk::CardEvent::Kind;
using namespace std::chrono_literals;

bool parse(const std::string& text, std::vector<ReaderScriptStep>* steps, std::string* err) {
    std::istringstream in(text);
    return drivers::parse_reader_script(in, steps, err);
}

kiosk::CardUid uid(const char* hex) { return *kiosk::parse_card_uid(hex, nullptr); }

kiosk::CardEvent next(kiosk::CardEventQueue& q) {
    auto e = q.wait_pop(2s);
    if (!e) throw std::runtime_error("no card event within 2 s");
    return *e;
}

TEST(ReaderScript, ParsesTapRemoveWaitAndComments) {
    std::vector<ReaderScriptStep> steps;
    std::string err;
    ASSERT_TRUE(
        parse("# demo\n"
              "tap 04A1B2C3D4E5F6\n"
              "\n"
              "wait 200   # let the screen show\n"
              "remove\n"
              "tap 0123456789ABCDEF\n"
              "tap 01020304 b\n",
              &steps, &err))
        << err;
    ASSERT_EQ(steps.size(), 5u);
    EXPECT_EQ(steps[0].action, ReaderScriptStep::Action::Tap);
    EXPECT_EQ(steps[0].uid.hex(), "04A1B2C3D4E5F6");
    EXPECT_EQ(steps[0].family, kiosk::CardFamily::Iso14443A);
    EXPECT_EQ(steps[0].line, 2);
    EXPECT_EQ(steps[1].action, ReaderScriptStep::Action::Wait);
    EXPECT_EQ(steps[1].wait, 200ms);
    EXPECT_EQ(steps[2].action, ReaderScriptStep::Action::Remove);
    EXPECT_EQ(steps[3].family, kiosk::CardFamily::Felica);  // 8 bytes: an IDm
    EXPECT_EQ(steps[4].family, kiosk::CardFamily::Iso14443B);
}

TEST(ReaderScript, BadLinesNameTheLine) {
    std::vector<ReaderScriptStep> steps;
    std::string err;
    EXPECT_FALSE(parse("tap 04A1B2C3\njump\n", &steps, &err));
    EXPECT_EQ(err, "line 2: unknown command 'jump' (expected tap, remove or wait)");
    EXPECT_FALSE(parse("tap 04A1\n", &steps, &err));
    EXPECT_EQ(err.rfind("line 1: card UID '04A1' is too short", 0), 0u) << err;
    EXPECT_FALSE(parse("wait soon\n", &steps, &err));
    EXPECT_EQ(err, "line 1: 'wait' needs a number of milliseconds");
    EXPECT_FALSE(parse("tap 04A1B2C3 c\n", &steps, &err));
    EXPECT_EQ(err, "line 1: unknown card family 'c' (expected a, b or felica)");
    EXPECT_FALSE(parse("remove now\n", &steps, &err));
    EXPECT_EQ(err, "line 1: 'remove' takes no argument");
}

TEST(ReaderScript, MissingFileIsNamed) {
    std::vector<ReaderScriptStep> steps;
    std::string err;
    EXPECT_FALSE(drivers::load_reader_script("/nonexistent/cards.txt", &steps, &err));
    EXPECT_EQ(err, "cannot open reader script /nonexistent/cards.txt");
}

TEST(SimulatedReader, ReportsAvailableAtStartThenTapsAndRemovals) {
    kiosk::CardEventQueue q;
    SimulatedReader reader;
    EXPECT_FALSE(reader.tap(uid("04A1B2C3D4E5F6")));  // not started
    reader.start(q);
    auto e = next(q);
    EXPECT_EQ(e.kind, Kind::ReaderAvailable);
    EXPECT_EQ(e.reader, SimulatedReader::kDefaultName);

    ASSERT_TRUE(reader.tap(uid("04A1B2C3D4E5F6")));
    e = next(q);
    EXPECT_EQ(e.kind, Kind::CardPresented);
    ASSERT_TRUE(e.uid);
    EXPECT_EQ(e.uid->hex(), "04A1B2C3D4E5F6");
    EXPECT_EQ(e.family, kiosk::CardFamily::Iso14443A);
    EXPECT_LE(e.detected_at, e.queued_at);

    // A second card while the first is there: the first leaves first.
    ASSERT_TRUE(reader.tap(uid("0123456789ABCDEF"), kiosk::CardFamily::Felica));
    EXPECT_EQ(next(q).kind, Kind::CardRemoved);
    e = next(q);
    EXPECT_EQ(e.kind, Kind::CardPresented);
    EXPECT_EQ(e.family, kiosk::CardFamily::Felica);

    EXPECT_TRUE(reader.remove());
    EXPECT_EQ(next(q).kind, Kind::CardRemoved);
    EXPECT_FALSE(reader.remove());  // nothing left on the reader
    EXPECT_FALSE(q.try_pop());
    reader.stop();
    EXPECT_FALSE(reader.tap(uid("04A1B2C3D4E5F6")));
}

TEST(SimulatedReader, PlaysAScriptWithItsWaits) {
    std::vector<ReaderScriptStep> steps;
    std::string err;
    ASSERT_TRUE(parse("tap 04A1B2C3D4E5F6\nwait 100\nremove\n", &steps, &err)) << err;
    kiosk::CardEventQueue q;
    SimulatedReader reader(steps);
    reader.start(q);
    EXPECT_EQ(next(q).kind, Kind::ReaderAvailable);
    auto presented = next(q);
    EXPECT_EQ(presented.kind, Kind::CardPresented);
    auto removed = next(q);
    EXPECT_EQ(removed.kind, Kind::CardRemoved);
    EXPECT_GE(removed.detected_at - presented.detected_at, 100ms);
    for (int i = 0; i < 100 && !reader.script_done(); ++i) std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(reader.script_done());
    reader.stop();
}

TEST(SimulatedReader, StopInterruptsALongWait) {
    std::vector<ReaderScriptStep> steps;
    std::string err;
    ASSERT_TRUE(parse("wait 60000\ntap 04A1B2C3\n", &steps, &err)) << err;
    kiosk::CardEventQueue q;
    SimulatedReader reader(steps);
    reader.start(q);
    EXPECT_EQ(next(q).kind, Kind::ReaderAvailable);
    auto t0 = std::chrono::steady_clock::now();
    reader.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_FALSE(q.try_pop());  // the tap never happened
    EXPECT_FALSE(reader.script_done());
}

}  // namespace
