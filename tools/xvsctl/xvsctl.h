/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XVSCTL_H
#define XVSCTL_H

#include <stdbool.h>
#include <stddef.h>

struct xvsctl_opts {
	const char *switch_name;
	const char *ctl_path; /* NULL: /run/xvs/<switch>.ctl */
	bool json; /* -j: answers as JSON */
};

/* A command: argv[0] is its own name. Returns the process exit status:
 * 0 ok, 1 failure, 2 usage. */
typedef int (*xvsctl_cmd_fn)(const struct xvsctl_opts *o, int argc, char **argv);

int xvsctl_cmd_daemon(const struct xvsctl_opts *o, int argc, char **argv);
int xvsctl_cmd_stats(const struct xvsctl_opts *o, int argc, char **argv);
int xvsctl_cmd_capture(const struct xvsctl_opts *o, int argc, char **argv);
int xvsctl_cmd_xdp(const struct xvsctl_opts *o, int argc, char **argv);

/* ctl.c: send one command line (words joined by spaces; "json " first
 * with -j) and take the whole answer (malloc'd, NUL-terminated) into
 * *answer. Returns 0, or 1 with the reason on stderr. */
int xvsctl_ask(const struct xvsctl_opts *o, int argc, char **argv, char **answer, size_t *len);
/* The same, the connection left open after sending (capture reads it):
 * the fd, or -1 / -2 (exit status 1 / 2, the reason on stderr). */
int xvsctl_open(const struct xvsctl_opts *o, int argc, char **argv);
/* Whether an answer is the daemon's refusal ("error: ..." or {"error":..}). */
bool xvsctl_is_error(const char *answer);

#endif
