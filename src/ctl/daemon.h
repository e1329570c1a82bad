/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon: xvsd's control thread. One epoll loop over signals, a periodic
 * timer (reconnects, FDB aging), the vhost-user sockets of every port, the
 * data plane's notifications and the control socket.
 */
#ifndef XVS_DAEMON_H
#define XVS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl/config.h"
#include "ctl/xdpsync.h"
#include "dp/dp.h"
#include "xsk/xdpmaps.h"

/* Connection state of one vhost-user port. */
struct vport {
	struct dp_port *p; /* NULL: slot unused */
	char socket[CFG_PATH_MAX];
	enum cfg_vu_mode mode;
	int listen_fd; /* server mode */
	bool created_socket; /* we made the socket file: remove it on exit */
	uint64_t next_connect_ns; /* client mode: when to try again */
	uint32_t backoff_ms;
	uint64_t connect_failures;
	/* uplinks */
	struct uplink *up; /* open, published to the workers */
	char ifname[16]; /* watched by linkmon */
	bool up_logged_wait; /* "waiting for the interface" said once */
	uint32_t xsk_base, xsk_n; /* its XSKMAP slots */
};

struct xvsd {
	struct cfg cfg;
	struct dp dp;
	struct vport vp[DP_MAX_PORTS]; /* indexed like dp.ports */
	int epfd;
	int sigfd;
	int timerfd;
	int ctl_fd; /* control socket (listening) */
	bool ctl_created; /* we made its file: remove it on exit */
	struct linkmon *lm; /* uplink interfaces: removed, re-created, changed */
	struct xdpmaps maps; /* the XDP program's, once an uplink is open */
	struct xdpsync sync;
	uint8_t xsk_used[XVS_MAX_XSKS];
	bool stop;
	uint64_t started_ns;
	uint64_t ticks;
};

/* Set up everything from a loaded config (which the daemon takes over);
 * on failure nothing is left behind. */
int xvsd_init(struct xvsd *x, struct cfg *c);
/* Run until SIGTERM/SIGINT. */
int xvsd_run(struct xvsd *x);
void xvsd_fini(struct xvsd *x);

/* SIGHUP: re-read the config file and apply what can change at run time. */
int xvsd_reload(struct xvsd *x);

/* Listen on a unix socket path, replacing a stale socket file (nobody
 * answers) but never anything else. Returns the fd or a negative errno;
 * *created says we made the file. */
int xvsd_listen_unix(const char *path, bool *created);

/* ctl_sock.c */
int ctl_open(struct xvsd *x);
void ctl_accept(struct xvsd *x);
void ctl_close(struct xvsd *x);

#endif /* XVS_DAEMON_H */
