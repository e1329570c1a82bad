// SPDX-License-Identifier: GPL-2.0-only
#include "base/log.h"

#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xdp/libxdp.h>

static enum log_level cur_level = LOG_LVL_INFO;
static bool libs_quiet;
static bool with_time;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

const char *const log_level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
	NULL,
};

/* set by the control thread (log level at run time), read by all */
void log_set_level(enum log_level lvl)
{
	__atomic_store_n(&cur_level, lvl, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return __atomic_load_n(&cur_level, __ATOMIC_RELAXED);
}

void log_set_timestamps(bool on)
{
	with_time = on;
}

static void log_v(enum log_level lvl, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n = 0;
	int r;

	if (lvl > log_get_level())
		return;
	if (with_time) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		r = snprintf(line + n, sizeof(line) - n, ".%03ldZ ", ts.tv_nsec / 1000000);
		n += r > 0 ? (size_t)r : 0;
	}
	r = snprintf(line + n, sizeof(line) - n, "%s: %s%s", log_level_names[lvl],
		     prefix ? prefix : "", prefix ? ": " : "");
	n += r > 0 ? (size_t)r : 0;
	if (n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n') /* library messages carry their own */
		line[--n] = '\0';

	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(lvl, prefix, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	enum log_level l = lvl == LIBBPF_WARN && !libs_quiet ? LOG_LVL_WARN : LOG_LVL_DEBUG;

	log_v(l, "libbpf", fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level lvl, const char *fmt, va_list ap)
{
	enum log_level l = lvl == LIBXDP_WARN && !libs_quiet ? LOG_LVL_WARN : LOG_LVL_DEBUG;

	log_v(l, "libxdp", fmt, ap);
	return 0;
}

void log_libs_quiet(bool quiet)
{
	libs_quiet = quiet;
}

void log_route_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

bool log_ratelimit(struct log_limit *l, uint64_t interval_ns)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now < l->next_ns) {
		l->suppressed++;
		return false;
	}
	l->next_ns = now + interval_ns;
	return true;
}
