// Shim header for libpq (Debian installs it under /usr/include/postgresql; pkg-config adds that path).
#ifndef ISOMINE_LIBPQ_SHIM_H
#define ISOMINE_LIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
