/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the libFuzzer targets in tests/fuzz/ (see README.md).
 *
 * The fuzzers link the real logger (src/base/log.c) but call sites reach it
 * through -Wl,--wrap=log_msg: __wrap_log_msg() below formats every message
 * (so a bad format argument is still found by the sanitizers) and prints it
 * only when XVS_FUZZ_LOG is set in the environment. libFuzzer's own output
 * and the sanitizers' reports are unaffected.
 *
 * fuzz_check() is the invariant check: a violated invariant is a finding,
 * reported with the condition and abort()ed so that libFuzzer saves the
 * input. It is not assert(): it stays on in every build.
 */
#ifndef XVS_TESTS_FUZZ_H
#define XVS_TESTS_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define fuzz_check(cond, ...)                                                                 \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, \
				#cond);                                                       \
			fprintf(stderr, __VA_ARGS__);                                         \
			fputc('\n', stderr);                                                  \
			abort();                                                              \
		}                                                                             \
	} while (0)

static bool fuzz_log_on;

void __wrap_log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void __wrap_log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (fuzz_log_on)
		fprintf(stderr, "log %s: %s%s%s\n", log_level_names[lvl], prefix ? prefix : "",
			prefix ? ": " : "", line);
}

/* The harness's own trace, with XVS_FUZZ_LOG set: what a seed did. */
#define fuzz_dbg(...)                                                                        \
	do {                                                                                  \
		if (fuzz_log_on)                                                              \
			fprintf(stderr, "fuzz: " __VA_ARGS__);                                \
	} while (0)

static inline void fuzz_log_init(void)
{
	fuzz_log_on = getenv("XVS_FUZZ_LOG") != NULL;
	log_set_level(LOG_LVL_DEBUG); /* every message is formatted, see above */
}

/* A little-endian reader over the fuzz input: past the end it yields zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | (uint16_t)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

/* Take up to n bytes; returns how many were taken. */
static inline size_t fuzz_bytes(struct fuzz_in *in, void *dst, size_t n)
{
	if (n > in->n)
		n = in->n;
	memcpy(dst, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

#endif /* XVS_TESTS_FUZZ_H */
