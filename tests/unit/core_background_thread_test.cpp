// The kiosk's background threads (the staff's "sync now") run under the idle scheduling policy,
// and so do the threads they start (the sync's parser worker).
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <thread>

#include "kiosk/background_thread.h"

namespace {

int policy_of_this_thread() {
    int policy = -1;
    sched_param p{};
    pthread_getschedparam(pthread_self(), &policy, &p);
    return policy;
}

TEST(BackgroundThreadTest, RunsUnderTheIdlePolicyAndSoDoThreadsItStarts) {
    const int caller = policy_of_this_thread();  // SCHED_OTHER, unless the tests run under chrt
    int after = -1, child = -1;
    bool lowered = false;
    std::thread t([&] {
        lowered = kiosk::run_as_background_thread();
        after = policy_of_this_thread();
        std::thread worker([&] { child = policy_of_this_thread(); });
        worker.join();
    });
    t.join();
    ASSERT_TRUE(lowered) << "the kernel refused SCHED_IDLE";
    EXPECT_EQ(after, SCHED_IDLE);
    EXPECT_EQ(child, SCHED_IDLE) << "the sync's parser worker would run at the normal policy";
    // The calling thread (the kiosk's loop, its decisions) is not lowered.
    EXPECT_EQ(policy_of_this_thread(), caller);
}

}  // namespace
