/* SPDX-License-Identifier: GPL-2.0-only */
/* clock: the one monotonic clock every layer reads (vDSO: no system call). */
#ifndef XVS_CLOCK_H
#define XVS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* XVS_CLOCK_H */
