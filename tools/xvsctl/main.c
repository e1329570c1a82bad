// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvsctl: the operator's CLI. Most commands ask the running xvsd over its
 * control socket (ctl.c); `xvsctl xdp ...` works on the XDP program's
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
	const char *usage;
} cmds[] = {
	{ "show", xvsctl_cmd_daemon, "the switch, its ports, their state and counters",
	  "show [PORT]" },
	{ "stats", xvsctl_cmd_stats, "traffic counters per port and queue; -w: rates per second",
	  "stats [PORT] [-w|--watch [SECONDS]] [-c|--count N]" },
	{ "fdb", xvsctl_cmd_daemon, "the forwarding database: show, add, del, flush",
	  "fdb [show [PORT]]\n"
	  "       fdb add MAC PORT [vlan VID]\n"
	  "       fdb del MAC [vlan VID]\n"
	  "       fdb flush [PORT]        (learned entries; static ones stay)" },
	{ "port", xvsctl_cmd_daemon, "add or remove a port at run time (until a reload)",
	  "port add NAME '{ type: vhost-user, socket: PATH, ... }'\n"
	  "       port add NAME '{ type: uplink, interface: IFNAME, ... }'\n"
	  "       port del NAME\n"
	  "  The value is a port as in the configuration file, checked the same way.\n"
	  "  Kept in memory only: a reload (or a restart) reads the file again." },
	{ "workers", xvsctl_cmd_daemon, "worker threads and their polling", "workers" },
	{ "firewall", xvsctl_cmd_daemon,
	  "rules in force per port and direction, their counters, conntrack", "firewall [PORT]" },
	{ "log", xvsctl_cmd_daemon, "set the daemon's log level",
	  "log level error|warning|info|debug   (until a reload)" },
	{ "capture", xvsctl_cmd_capture, "write a port's frames to a pcap file (or - for stdout)",
	  "capture PORT [--direction in|out|both] [-c N] [-s SNAPLEN] -w FILE|-\n"
	  "  in: frames the switch took from the port; out: frames it gave it.\n"
	  "  Ends after N frames or on Ctrl-C; tcpdump -r FILE reads it." },
	{ "reload", xvsctl_cmd_daemon, "re-read the configuration (like SIGHUP)", "reload" },
	{ "xdp", xvsctl_cmd_xdp, "inspect and set the XDP program's maps", NULL },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: xvsctl [-s|--switch NAME] [--ctl PATH] [-j] [-v] COMMAND [ARGS]\n\n"
		     "  -s, --switch NAME  the switch (default xvs0): maps under /sys/fs/bpf/xvs/NAME,\n"
		     "                     control socket /run/xvs/NAME.ctl\n"
		     "      --ctl PATH     the control socket, if not the default\n"
		     "  -j, --json         answers as JSON (one object; see xvsctl(8))\n"
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
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct xvsctl_opts o = { .switch_name = "xvs0" };
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "+s:jvh", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.switch_name = optarg;
			break;
		case 'S':
			o.ctl_path = optarg;
			break;
		case 'j':
			o.json = true;
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
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		if (cmds[i].usage && optind + 1 < argc &&
		    (!strcmp(argv[optind + 1], "help") || !strcmp(argv[optind + 1], "--help") ||
		     !strcmp(argv[optind + 1], "-h"))) {
			printf("usage: xvsctl %s\n", cmds[i].usage);
			return 0;
		}
		return cmds[i].fn(&o, argc - optind, argv + optind);
	}
	fprintf(stderr, "xvsctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
