/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bytes placed right before a page that may not be touched: a test reads
 * a frame (or writes an answer) there, and any access past its end faults
 * instead of passing unnoticed. Four usable pages, then the guard.
 */
#ifndef XVS_TEST_GUARD_H
#define XVS_TEST_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint8_t *guard_area;
static size_t page;

/* The n bytes that end where the guard page begins. */
static inline uint8_t *guard_end(size_t n)
{
	return guard_area + 4 * page - n;
}

/* Copy n bytes so that they end right before the guard page. */
static inline const uint8_t *against_guard(const uint8_t *p, size_t n)
{
	uint8_t *dst = guard_end(n);

	memcpy(dst, p, n);
	return dst;
}

/* cmocka group setup / teardown */
static inline int guard_setup(void **state)
{
	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	guard_area = mmap(NULL, 5 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (guard_area == MAP_FAILED)
		return -1;
	return mprotect(guard_area + 4 * page, page, PROT_NONE);
}

static inline int guard_teardown(void **state)
{
	(void)state;
	return munmap(guard_area, 5 * page);
}

#endif /* XVS_TEST_GUARD_H */
