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
#include "ctl/ctl_out.h"
#include "ctl/fwsync.h"
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
	/* VM ports with zero-copy: the NIC rule steering the VM's MAC to its
	 * queue (xsk/steer.h) */
	enum vport_steer {
		STEER_PENDING, /* no MAC learned yet, or not tried */
		STEER_INSTALLED,
		STEER_EXTERNAL, /* the NIC has no ntuple filters */
		STEER_FAILED,
	} steer;
	uint32_t steer_loc;
	uint64_t steer_key; /* the (vlan, MAC) steered */
	char steer_if[16];
};

extern const char *const vport_steer_names[];

/* A control connection being served (see ctl_sock.c). */
#define CTL_MAX_CLIENTS 16
#define CTL_DEADLINE_MS 2000 /* to send the command line and take the answer */
#define CTL_LINE_MAX 2048 /* port add carries a port's YAML */
#define CTL_MAX_RT_STATIC 256 /* xvsctl fdb add entries */

struct ctl_client {
	int fd; /* -1: free slot */
	bool http; /* a metrics scrape (metrics.c), not xvsctl */
	struct ctl_capture *cap; /* streaming a capture (ctl_capture.c) */
	uint32_t uid; /* SO_PEERCRED */
	uint64_t deadline_ns;
	size_t got; /* bytes of the command line */
	char line[CTL_LINE_MAX];
	char *out; /* the answer, being sent */
	size_t out_len, out_sent;
};

struct ctl_stats {
	uint64_t commands;
	uint64_t refused_busy; /* all CTL_MAX_CLIENTS slots taken */
	uint64_t timed_out;
	uint64_t denied; /* state-changing command from another user */
};

struct xvsd {
	struct cfg cfg;
	struct dp dp;
	struct vport vp[DP_MAX_PORTS]; /* indexed like dp.ports */
	int epfd;
	int sigfd;
	int timerfd;
	int ctl_fd; /* control socket (listening) */
	int metrics_fd; /* the Prometheus endpoint (listening), -1: off */
	bool ctl_created; /* we made its file: remove it on exit */
	struct ctl_client ctl[CTL_MAX_CLIENTS];
	struct ctl_stats ctl_st;
	uint64_t rt_static[CTL_MAX_RT_STATIC]; /* fdb keys added by xvsctl fdb add */
	int n_rt_static;
	struct linkmon *lm; /* uplink interfaces: removed, re-created, changed */
	struct xdpmaps maps; /* the XDP program's, once an uplink is open */
	struct xdpsync sync;
	struct fwsync fws; /* the firewall, once the config has one */
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

/* SIGHUP: re-read the config file and apply what can change at run time;
 * run-time changes (xvsctl port, fdb add) are forgotten. */
int xvsd_reload(struct xvsd *x);
/* Make a validated configuration the running one (which it replaces; the
 * daemon takes nc over): ports added, removed, reconfigured, the
 * firewall's rules flipped. What needs a restart is kept, with a warning. */
void xvsd_apply(struct xvsd *x, struct cfg *nc);

/* Listen on a unix socket path, replacing a stale socket file (nobody
 * answers) but never anything else. Returns the fd or a negative errno;
 * *created says we made the file. */
int xvsd_listen_unix(const char *path, uint32_t mode, int64_t gid, bool *created);

/* ctl_sock.c */
/* ctl_sock.c. Clients are served without blocking, on the control
 * thread's epoll (tag kind EV_CTL_CLIENT, index = slot); each has
 * CTL_DEADLINE_MS in all. */
int ctl_open(struct xvsd *x);
void ctl_accept(struct xvsd *x);
void ctl_accept_from(struct xvsd *x, int listen_fd, bool http);
void ctl_client_close(struct xvsd *x, struct ctl_client *c);

/* ctl_capture.c: xvsctl capture's streaming connections */
struct ctl_capture;
int ctl_capture_begin(struct xvsd *x, struct ctl_client *c, struct ctl_out *o, int argc,
		      char **argv);
bool ctl_capture_pump(struct xvsd *x, struct ctl_client *c);
void ctl_capture_free(struct xvsd *x, struct ctl_client *c);
void ctl_capture_port_gone(struct xvsd *x, struct dp_port *p);
void ctl_client_event(struct xvsd *x, int slot, uint32_t events);
void ctl_expire(struct xvsd *x, uint64_t now_ns); /* from the tick */
void ctl_close(struct xvsd *x);

/* metrics.c: switch.metrics, an HTTP endpoint answering GET /metrics in
 * Prometheus' text format; its clients are control slots with http set
 * (at most CTL_MAX_CLIENTS / 2 of them). */
int metrics_open(struct xvsd *x);
void metrics_accept(struct xvsd *x);
/* The answer to a whole request (headers and all) in c->line. */
void metrics_answer(struct xvsd *x, const char *req, struct ctl_out *o);
void metrics_close(struct xvsd *x);

/* epoll tags: kind in the high half, an index in the low. */
enum ev_kind {
	EV_SIGNAL = 1,
	EV_TIMER,
	EV_NOTIFY,
	EV_CTL,
	EV_LISTEN,
	EV_CONN,
	EV_LINK,
	EV_CTL_CLIENT,
	EV_METRICS,
};
#define EV(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

#endif /* XVS_DAEMON_H */
