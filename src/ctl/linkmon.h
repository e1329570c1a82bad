/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * linkmon: watch network interfaces by name through rtnetlink, for the
 * uplink code. Runs on the control thread: the caller puts linkmon_fd()
 * in its epoll set and calls linkmon_process() when it is readable.
 *
 * Interfaces are tracked by name, as the configuration names them. Only
 * watched names produce callbacks:
 *   LINKMON_NEW      the name now exists (it appeared, was renamed to, or
 *                    was re-created: a new ifindex is always GONE + NEW)
 *   LINKMON_CHANGED  up, running, mtu or a queue count changed
 *   LINKMON_GONE     the name no longer exists (deleted, renamed away,
 *                    moved to another namespace); `now` has ifindex 0
 * Notifications that change none of these fields are absorbed.
 *
 * When the kernel drops notifications (receive buffer overrun) or one is
 * truncated, every watched name is queried again and the differences are
 * reported, an ifindex change as GONE + NEW. The one change that cannot be
 * seen then is a delete + re-create that reused both name and ifindex.
 *
 * Names are primary names: an alternative name (ip link property add ...
 * altname) is not tracked and watching one reports ifindex 0.
 *
 * The callback may call linkmon_watch(), linkmon_unwatch(), linkmon_get()
 * and linkmon_resync(), but not linkmon_close(). `now` and `before` are
 * copies, valid during the call only.
 */
#ifndef XVS_LINKMON_H
#define XVS_LINKMON_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct linkmon;

struct linkmon_link {
	char name[IF_NAMESIZE];
	int ifindex; /* 0 if it does not exist (then the rest is 0) */
	bool up; /* IFF_UP: administratively up */
	bool running; /* IFF_RUNNING: operationally up (carrier) */
	uint32_t mtu;
	uint32_t num_rx_queues, num_tx_queues;
};

enum linkmon_event {
	LINKMON_NEW,
	LINKMON_CHANGED,
	LINKMON_GONE,
};

typedef void (*linkmon_cb)(void *ctx, enum linkmon_event ev, const struct linkmon_link *now,
			   const struct linkmon_link *before);

/* Counters of what the kernel sent that was not used. */
struct linkmon_stats {
	uint64_t overruns; /* notifications lost (ENOBUFS) or truncated: resynced */
	uint64_t malformed; /* messages skipped: bad lengths, attributes, sender */
};

/* A NETLINK_ROUTE socket bound to RTMGRP_LINK (nonblocking, CLOEXEC) and
 * one for queries. Returns 0 or a negative errno. */
int linkmon_open(struct linkmon **lm, linkmon_cb cb, void *ctx);
/* For the caller's epoll: call linkmon_process() on EPOLLIN or EPOLLERR
 * (an overrun is reported as a socket error). */
int linkmon_fd(const struct linkmon *lm);
/* Track ifname; its current state is queried at once (no callback). Returns
 * 0 even if it does not exist (ifindex 0); -EINVAL for a bad name, -EEXIST
 * if already watched. */
int linkmon_watch(struct linkmon *lm, const char *ifname);
/* -ENOENT if not watched. */
int linkmon_unwatch(struct linkmon *lm, const char *ifname);
/* NULL if not watched. Valid until the next call into linkmon. */
const struct linkmon_link *linkmon_get(const struct linkmon *lm, const char *ifname);
/* Read every pending notification and call back for watched names whose
 * state changed. Never blocks. Returns 0 or a negative errno. */
int linkmon_process(struct linkmon *lm);
/* Query every watched name again and report the differences at once (what
 * linkmon_process() does after an overrun); notifications queued before
 * are not replayed. Returns 0 or the first negative errno; names whose
 * query failed keep their state. */
int linkmon_resync(struct linkmon *lm);
void linkmon_stats(const struct linkmon *lm, struct linkmon_stats *st);
void linkmon_close(struct linkmon *lm);

#endif /* XVS_LINKMON_H */
