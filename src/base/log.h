/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log: the one logger. Levels, a caller-supplied prefix (the port), and
 * libbpf/libxdp output routed in. Never call it per packet: data-path
 * problems are counted, and reported through log_ratelimited().
 */
#ifndef XVS_LOG_H
#define XVS_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* "error", "warning", "info", "debug", indexed by level; NULL-terminated. */
extern const char *const log_level_names[];

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Also prefix lines with a timestamp (the daemon); off for CLI tools. */
void log_set_timestamps(bool on);
/* Route libbpf and libxdp messages into this logger (warnings and up, or
 * everything at debug level). */
void log_route_libs(void);
/* While set, library warnings are logged at debug level: for attempts whose
 * failure the caller handles and reports itself (libxdp trying its
 * dispatcher before falling back, for one). */
void log_libs_quiet(bool quiet);

void log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_LVL_ERR, NULL, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, NULL, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_dbg(...) log_msg(LOG_LVL_DEBUG, NULL, __VA_ARGS__)

/* At most one message per interval per limiter; returns true if this call
 * may log, and counts the suppressed ones into *suppressed. */
struct log_limit {
	uint64_t next_ns;
	uint64_t suppressed;
};
bool log_ratelimit(struct log_limit *l, uint64_t interval_ns);

#endif /* XVS_LOG_H */
