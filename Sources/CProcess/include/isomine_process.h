// Process controls Swift's Glibc module does not import (prctl is variadic).
#ifndef ISOMINE_PROCESS_H
#define ISOMINE_PROCESS_H

#include <spawn.h>

/// Asks the kernel to send `signal` to this process when the thread that spawned it exits
/// (PR_SET_PDEATHSIG). Returns 0 on success, -1 with errno set.
int isomine_set_parent_death_signal(int signal);

/// Limits this process's address space to `bytes` (RLIMIT_AS, soft and hard). Returns 0 or -1.
int isomine_limit_address_space(unsigned long long bytes);

/// Routes SIGTERM and SIGINT to a handler that only sets a flag (async-signal-safe, SA_RESTART), then
/// unblocks them in the calling thread: a stop signal that arrived while they were blocked (a job
/// process is spawned with them blocked) is delivered now, so none is lost. Returns 0 or -1.
int isomine_install_stop_handler(void);

/// 1 once SIGTERM or SIGINT arrived after `isomine_install_stop_handler`, else 0.
int isomine_stop_requested(void);

/// Adds "close every descriptor from `lowest` up" to spawn file actions (glibc's
/// posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not import), so a child
/// inherits no pipe or socket another thread has open. Returns 0 or an error number.
int isomine_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
