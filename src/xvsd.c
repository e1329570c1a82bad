// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvsd: the xvs daemon. Reads its YAML config (XVS_CONFIG_DEFAULT unless -c
 * names one), validates all of it before touching anything, then runs in
 * the foreground until SIGTERM/SIGINT. SIGHUP reloads the config. Under a
 * service manager it reports readiness (src/ctl/sdnotify.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "ctl/config.h"
#include "ctl/daemon.h"
#include "ctl/sdnotify.h"
#include "xvs_paths.h" /* XVS_CONFIG_DEFAULT, from the Makefile's SYSCONFDIR */

static void usage(FILE *out)
{
	fprintf(out, "usage: xvsd [-c FILE] [--check] [-v]\n\n"
		     "  -c, --config FILE  the configuration (default " XVS_CONFIG_DEFAULT
		     "; see xvs.yaml(5))\n"
		     "      --check        validate the configuration and exit\n"
		     "  -v, --verbose      debug logging (overrides log-level)\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *file = NULL;
	bool check = false, verbose = false;
	struct xvsd x;
	struct cfg c;
	char err[512];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:vh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* no -c and no default file: a usage error, not a broken config */
	if (!file && access(XVS_CONFIG_DEFAULT, F_OK) && errno == ENOENT) {
		fprintf(stderr, "xvsd: no configuration: %s does not exist (-c FILE names one)\n",
			XVS_CONFIG_DEFAULT);
		usage(stderr);
		return 2;
	}
	if (!file)
		file = XVS_CONFIG_DEFAULT;
	if (cfg_load(file, &c, err, sizeof(err))) {
		fprintf(stderr, "xvsd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (%d ports)\n", file, c.n_ports);
		cfg_free(&c);
		return 0;
	}
	log_set_level(verbose ? LOG_LVL_DEBUG : c.log_level);
	log_set_timestamps(true);
	log_route_libs();

	r = xvsd_init(&x, &c);
	if (r) {
		log_err("cannot start: %s", strerror(-r));
		return 1;
	}
	sdnotify_send("READY=1");
	r = xvsd_run(&x);
	sdnotify_send("STOPPING=1");
	xvsd_fini(&x);
	log_info("stopped");
	return r ? 1 : 0;
}
