// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvsctl: the operator's CLI. `xvsctl xdp ...` works on the XDP program's
 * pinned maps directly (like bpftool), so it also serves a program that
 * xdp-loader attached without a daemon.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "xvsctl.h"

static const struct {
	const char *name;
	xvsctl_cmd_fn fn;
	const char *help;
} cmds[] = {
	{ "show", xvsctl_cmd_daemon, "ports, their state and counters ([PORT])" },
	{ "fdb", xvsctl_cmd_daemon, "the forwarding database" },
	{ "workers", xvsctl_cmd_daemon, "worker threads and their polling" },
	{ "firewall", xvsctl_cmd_daemon, "rules in force per port and direction, their counters, conntrack ([PORT])" },
	{ "reload", xvsctl_cmd_daemon, "re-read the configuration (like SIGHUP)" },
	{ "xdp", xvsctl_cmd_xdp, "inspect and set the XDP program's maps" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: xvsctl [-s|--switch NAME] [-v] COMMAND [ARGS]\n\n"
		     "  -s, --switch NAME  the switch (default xvs0): maps under /sys/fs/bpf/xvs/NAME,\n"
		     "                     control socket /run/xvs/NAME.ctl\n"
		     "      --ctl PATH     the control socket, if not the default\n"
		     "  -v, --verbose      debug output, including libbpf's\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(out, "\n`xvsctl COMMAND help` for a command's usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "switch", required_argument, NULL, 's' },
		{ "ctl", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xvsctl_opts o = { .switch_name = "xvs0" };
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+s:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.switch_name = optarg;
			break;
		case 'S':
			o.ctl_path = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_route_libs();
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			return cmds[i].fn(&o, argc - optind, argv + optind);
	fprintf(stderr, "xvsctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
