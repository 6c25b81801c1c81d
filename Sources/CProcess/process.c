// See isomine_process.h.
#define _GNU_SOURCE
#include "isomine_process.h"
#include <sys/prctl.h>
#include <sys/resource.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>

// Written only by the handler, read by any thread: sig_atomic_t is what a handler may store to.
static volatile sig_atomic_t stop_requested = 0;

static void on_stop_signal(int signal) {
    (void)signal;
    stop_requested = 1;
}

int isomine_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int isomine_limit_address_space(unsigned long long bytes) {
    struct rlimit limit = { (rlim_t)bytes, (rlim_t)bytes };
    return setrlimit(RLIMIT_AS, &limit);
}

int isomine_install_stop_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    // Restart interrupted system calls: libpq, curl and the ops server never see EINTR from a stop.
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) return -1;
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    return pthread_sigmask(SIG_UNBLOCK, &stops, NULL) == 0 ? 0 : -1;
}

int isomine_stop_requested(void) {
    return stop_requested;
}

int isomine_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
