// Shim header for zlib (gzip inflate of digits.csv.gz and user .csv.gz inputs).
#ifndef ISOMINE_ZLIB_SHIM_H
#define ISOMINE_ZLIB_SHIM_H
#include <zlib.h>
#endif
