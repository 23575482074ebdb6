// The idle scheduling policy for the kiosk's background threads (see background_thread.h).
#include "kiosk/background_thread.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace kiosk {

bool run_as_background_thread() {
    sched_param none{};  // SCHED_IDLE takes priority 0
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &none) == 0) return true;
    setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
    return false;
}

}  // namespace kiosk
