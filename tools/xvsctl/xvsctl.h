/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef XVSCTL_H
#define XVSCTL_H

struct xvsctl_opts {
	const char *switch_name;
	const char *ctl_path; /* NULL: /run/xvs/<switch>.ctl */
};

/* A command: argv[0] is its own name. Returns the process exit status:
 * 0 ok, 1 failure, 2 usage. */
typedef int (*xvsctl_cmd_fn)(const struct xvsctl_opts *o, int argc, char **argv);

int xvsctl_cmd_daemon(const struct xvsctl_opts *o, int argc, char **argv);
int xvsctl_cmd_xdp(const struct xvsctl_opts *o, int argc, char **argv);

#endif
