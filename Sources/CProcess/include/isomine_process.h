// Process controls Swift's Glibc module does not import (prctl is variadic).
#ifndef ISOMINE_PROCESS_H
#define ISOMINE_PROCESS_H

/// Asks the kernel to send `signal` to this process when the thread that spawned it exits
/// (PR_SET_PDEATHSIG). Returns 0 on success, -1 with errno set.
int isomine_set_parent_death_signal(int signal);

/// Limits this process's address space to `bytes` (RLIMIT_AS, soft and hard). Returns 0 or -1.
int isomine_limit_address_space(unsigned long long bytes);

#endif
