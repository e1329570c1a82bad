// SPDX-License-Identifier: GPL-2.0-only
/*
 * Data plane set-up, ports, and the worker loop.
 *
 * Polling: a worker polls the TX vrings it owns. In adaptive mode, after
 * idle_us without work it asks the guests for kicks (vq_kick_enable),
 * re-checks the rings to close the race with a guest that queued meanwhile,
 * and sleeps in epoll_wait on the kick eventfds. Kick fds are registered
 * edge-triggered and never read: the worker only needs to wake, and never
 * touching the fd means a kick fd closed and reused by the control thread
 * cannot be misread.
 */
#include "dp/capture.h"
#include "dp/dp.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static uint64_t now_ns(void)
{
	return clock_now_ns();
}

/* ---- kick fds ------------------------------------------------------------ */

/* Wake a worker sleeping in epoll_wait (it re-reads its rings). */
static void worker_wake(struct dp_worker *w)
{
	if (write(w->wake_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {
		/* saturated counter: it is awake anyway */
	}
}

static struct dp_port *port_of(struct vu_dev *d)
{
	return (struct dp_port *)((char *)d - offsetof(struct dp_port, dev));
}

static void kick_changed(void *ctx, struct vu_dev *d, int vring, int old_fd, int new_fd)
{
	struct dp_port *p = port_of(d);
	struct dp *dp = ctx;
	struct dp_worker *w;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

	if (!(vring & 1))
		return; /* RX vrings: we never wait for their kicks */
	w = dp_owner(dp, p, vring);
	if (old_fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, old_fd, NULL);
	if (new_fd >= 0) {
		ev.data.u32 = (uint32_t)p->id << 8 | (uint32_t)vring;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, new_fd, &ev))
			log_msg(LOG_LVL_ERR, p->name, "cannot watch kick fd: %s", strerror(errno));
		/* a sleeping owner must start polling the new ring */
		worker_wake(w);
	}
}

/* A TX ring ready with kicks off: its owner may be asleep, with kicks
 * asked for on the rings it had; wake it to poll this one too. */
static void vring_ready(void *ctx, struct vu_dev *d, int vring)
{
	struct dp_port *p = port_of(d);
	struct dp *dp = ctx;

	/* TX rings: their owner polls them; RX ring 0 of a zero-copy port:
	 * its owner delivers what the socket holds */
	if ((vring & 1) || (vring == 0 && p->zc))
		worker_wake(dp_owner(ctx, p, vring | 1));
	/* queue pair 0 (re)started: the zero-copy socket can be built on it
	 * (by the control thread: not under this lock) */
	if (vring <= 1 && p->zc && p->zc->configured && !p->zc->up) {
		__atomic_store_n(&p->zc->want, 1, __ATOMIC_RELEASE);
		dp_notify(dp);
	}
}

/* Buffers lent to the kernel come back before the guest's memory or
 * rings change. */
static void mem_release(void *ctx, struct vu_dev *d, int vring, const char *why)
{
	/* the zero-copy socket lends queue pair 0's buffers only */
	struct dp_port *p = port_of(d);

	if (vring > 1 || !p->zc)
		return;
	dp_zc_down(ctx, p, why);
	/* a ring start or a new memory table: the guest may post other
	 * buffers now; zero-copy is tried again */
	p->zc->force_host = false;
}

/* After a live migration: the switch sends a RARP from the VM's address,
 * through the owner of its queue pair 0, so that the FDB (here, in XDP and
 * in the switches behind the uplinks) moves to this port. */
static void announce(void *ctx, struct vu_dev *d, const uint8_t mac[6])
{
	struct dp_port *p = port_of(d);

	memcpy(p->announce_mac, mac, 6);
	__atomic_store_n(&p->announce, 1, __ATOMIC_RELEASE);
	worker_wake(dp_owner(ctx, p, 1));
}

static const struct vu_dev_ops dp_vu_ops = {
	.kick_changed = kick_changed,
	.vring_ready = vring_ready,
	.mem_release = mem_release,
	.announce = announce,
};

/* ---- ports --------------------------------------------------------------- */

struct dp_port *dp_port_find(struct dp *dp, const char *name)
{
	int i;

	for (i = 0; i < dp->nports_hw; i++)
		if (dp->ports[i] && !strcmp(dp->ports[i]->name, name))
			return dp->ports[i];
	return NULL;
}

_Static_assert(VU_MAX_QUEUE_PAIRS <= DP_MAX_PORT_QUEUES && UPLINK_MAX_QUEUES <= DP_MAX_PORT_QUEUES,
	       "every queue of a port has an owner entry");
_Static_assert(DP_MAX_WORKERS <= 256, "worker ids fit owner[]");

void dp_port_configure(struct dp *dp, struct dp_port *p, const struct dp_port_opts *o)
{
	if (o->max_guest_memory)
		p->dev.max_mem = o->max_guest_memory; /* from the next memory table */
	p->dev.offloads = o->offloads; /* offered from the next GET_FEATURES */
	p->dev.packed = o->packed;
	p->dev.migration = o->migration;
	p->dev.in_order = o->in_order;
	/* a VM may not pose as the host or a gateway; an uplink carries them */
	fdb_set_port(&dp->fdb, p->id, o->max_macs, p->type == DP_PORT_VHOST);
}

struct dp_port *dp_port_add(struct dp *dp, const struct dp_port_opts *o)
{
	struct dp_port *p;
	int i, q;

	for (i = 0; i < DP_MAX_PORTS && dp->ports[i]; i++)
		;
	if (i == DP_MAX_PORTS)
		return NULL;
	p = aligned_alloc(64, (sizeof(*p) + 63) & ~(size_t)63);
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->id = (uint16_t)i;
	snprintf(p->name, sizeof(p->name), "%s", o->name);
	p->type = o->type;
	p->vlan = o->vlan;
	p->mtu = o->mtu;
	/* an uplink's queues count once it is open (dp_uplink_publish) */
	p->queues = p->type == DP_PORT_VHOST ? o->queues : 0;
	/* port i's queue q: consecutive queues of a port on consecutive
	 * workers, and queue 0 of consecutive ports too, so that single-queue
	 * VMs spread over the workers as well as one VM's queue pairs do */
	for (q = 0; q < DP_MAX_PORT_QUEUES; q++)
		p->owner[q] = (uint8_t)(((unsigned)i + (unsigned)q) % (unsigned)dp->nworkers);
	vu_dev_init(&p->dev, p->name, p->type == DP_PORT_VHOST ? o->queues : 1, &dp_vu_ops, dp);
	dp_port_configure(dp, p, o);
	/* fully built before workers can see it */
	__atomic_store_n(&dp->ports[i], p, __ATOMIC_RELEASE);
	if (i >= dp->nports_hw)
		__atomic_store_n(&dp->nports_hw, (uint16_t)(i + 1), __ATOMIC_RELEASE);
	return p;
}

int dp_port_set_spoof(struct dp *dp, struct dp_port *p, const struct spoof_policy *sp)
{
	const struct spoof_policy *old = p->spoof;
	struct spoof_policy *n = NULL;

	if (sp && sp->on) {
		if (spoof_policy_validate(sp))
			return -EINVAL;
		if (old && !memcmp(old, sp, sizeof(*sp)))
			return 0; /* unchanged: keep what was learned */
		n = malloc(sizeof(*n));
		if (!n)
			return -ENOMEM;
		*n = *sp;
	} else if (!old) {
		return 0;
	}
	__atomic_store_n(&p->spoof, n, __ATOMIC_RELEASE);
	dp_sync(dp); /* nobody judges with the old one any more */
	spoof_state_reset(&p->spoof_st);
	free((void *)old);
	return 0;
}

void dp_port_del(struct dp *dp, struct dp_port *p)
{
	vu_dev_detach(&p->dev);
	dp_zc_unconfigure(dp, p);
	dp_capture_stop(dp, p);
	__atomic_store_n(&dp->ports[p->id], NULL, __ATOMIC_RELEASE);
	dp_sync(dp); /* nobody holds a pointer to p any more */
	fdb_flush_port(&dp->fdb, p->id, true);
	free(p->zc);
	free((void *)p->spoof);
	free(p);
}

/* ---- quiescence ---------------------------------------------------------- */

void dp_notify(struct dp *dp)
{
	if (write(dp->notify_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {
		/* the counter is saturated: the control thread is awake anyway */
	}
}

void dp_wake(struct dp *dp)
{
	int i;

	for (i = 0; i < dp->nworkers; i++)
		worker_wake(&dp->workers[i]);
}

void dp_sync(struct dp *dp)
{
	uint64_t seen[DP_MAX_WORKERS];
	int i;

	/* full barrier: the caller's unpublishing store is visible before we
	 * read the epochs; pairs with the workers' seq_cst epoch store, so a
	 * worker that starts a loop after our read sees the new state (a
	 * store-load pair: release/acquire alone would let both sides read
	 * the old values) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < dp->nworkers; i++)
		seen[i] = __atomic_load_n(&dp->workers[i].epoch, __ATOMIC_ACQUIRE);
	for (i = 0; i < dp->nworkers; i++) {
		struct dp_worker *w = &dp->workers[i];

		if (!w->started)
			continue;
		/* a worker asleep holds no pointers; it re-reads on waking */
		while (__atomic_load_n(&w->epoch, __ATOMIC_ACQUIRE) == seen[i] &&
		       !__atomic_load_n(&w->sleeping, __ATOMIC_ACQUIRE))
			sched_yield();
	}
}

/* ---- the worker ---------------------------------------------------------- */

/* Call fn on every guest TX vring this worker owns; returns the sum. */
static int for_owned(struct dp_worker *w, int (*fn)(struct dp_worker *, struct dp_port *, int))
{
	struct dp *dp = w->dp;
	uint16_t i, hw = __atomic_load_n(&dp->nports_hw, __ATOMIC_ACQUIRE);
	int q, sum = 0;

	for (i = 0; i < hw; i++) {
		struct dp_port *p = __atomic_load_n(&dp->ports[i], __ATOMIC_ACQUIRE);

		if (!p || p->type != DP_PORT_VHOST)
			continue;
		for (q = 0; q < p->queues; q++)
			if (p->owner[q] == w->id)
				sum += fn(w, p, 2 * q + 1);
	}
	return sum;
}

/* One round over the zero-copy sockets of the VMs whose queue pair 0 this
 * worker owns. */
static int poll_zc(struct dp_worker *w)
{
	struct dp *dp = w->dp;
	uint16_t i, hw = __atomic_load_n(&dp->nports_hw, __ATOMIC_ACQUIRE);
	int sum = 0;

	if (!__atomic_load_n(&dp->zc_ports, __ATOMIC_RELAXED))
		return 0; /* no pass over the ports for nothing */
	for (i = 0; i < hw; i++) {
		struct dp_port *p = __atomic_load_n(&dp->ports[i], __ATOMIC_ACQUIRE);

		if (p && p->zc && p->owner[0] == w->id)
			sum += dp_zc_poll(w, p);
	}
	return sum;
}

/* One round over the uplink queues (and taps) this worker owns. */
static int poll_uplinks(struct dp_worker *w)
{
	struct dp *dp = w->dp;
	uint16_t i, hw = __atomic_load_n(&dp->nports_hw, __ATOMIC_ACQUIRE);
	int q, sum = 0;

	for (i = 0; i < hw; i++) {
		struct dp_port *p = __atomic_load_n(&dp->ports[i], __ATOMIC_ACQUIRE);
		struct uplink *up;

		if (!p || p->type != DP_PORT_UPLINK)
			continue;
		up = __atomic_load_n(&p->up, __ATOMIC_ACQUIRE);
		if (!up)
			continue;
		for (q = 0; q < up->nq; q++)
			if (p->owner[q] == w->id)
				sum += dp_uplink_burst(w, p, q);
		if (p->owner[0] == w->id)
			sum += dp_tap_burst(w, p);
	}
	return sum;
}

void dp_uplink_publish(struct dp *dp, struct dp_port *p, struct uplink *up)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int q;

	for (q = 0; up && q < up->nq; q++) {
		ev.data.u32 = UINT32_MAX - 1;
		epoll_ctl(dp_owner(dp, p, 2 * q + 1)->epfd, EPOLL_CTL_ADD, up->q[q].fd, &ev);
	}
	if (up && up->tap.fd >= 0)
		epoll_ctl(dp_owner(dp, p, 1)->epfd, EPOLL_CTL_ADD, up->tap.fd, &ev);
	p->queues = up ? (uint16_t)up->nq : 0;
	__atomic_store_n(&p->up, up, __ATOMIC_RELEASE);
	dp_wake(dp);
}

struct uplink *dp_uplink_unpublish(struct dp *dp, struct dp_port *p)
{
	struct uplink *up = p->up;
	int q;

	__atomic_store_n(&p->up, NULL, __ATOMIC_RELEASE);
	dp_sync(dp); /* no worker uses it any more */
	for (q = 0; up && q < up->nq; q++)
		epoll_ctl(dp_owner(dp, p, 2 * q + 1)->epfd, EPOLL_CTL_DEL, up->q[q].fd, NULL);
	if (up && up->tap.fd >= 0)
		epoll_ctl(dp_owner(dp, p, 1)->epfd, EPOLL_CTL_DEL, up->tap.fd, NULL);
	return up;
}

/* Returns 1 if the vring has work (do not sleep), after enabling kicks. */
static int arm_kick(struct dp_worker *w, struct dp_port *p, int vring)
{
	struct vq *vq = &p->dev.vr[vring].vq;
	int busy = 0;

	(void)w;
	vq_lock(vq);
	if (vq->ready)
		busy = vq_kick_enable(vq) || vq->kick_fd < 0; /* no fd: must poll */
	vq_unlock(vq);
	return busy;
}

static int disarm_kick(struct dp_worker *w, struct dp_port *p, int vring)
{
	struct vq *vq = &p->dev.vr[vring].vq;

	(void)w;
	vq_lock(vq);
	if (vq->ready)
		vq_kick_disable(vq);
	vq_unlock(vq);
	return 0;
}

static void worker_sleep(struct dp_worker *w)
{
	struct epoll_event ev[16];
	int n = -1;

	if (for_owned(w, arm_kick))
		return;
	__atomic_store_n(&w->sleeping, 1, __ATOMIC_RELEASE);
	w->sleeps++;
	if (!__atomic_load_n(&w->dp->stop, __ATOMIC_ACQUIRE)) {
		/* the timeout is a safety net; a wake-up that finds work on
		 * timeout is counted, as it would mean a lost kick */
		n = epoll_wait(w->epfd, ev, 16, 1000);
		for (int i = 0; i < n; i++)
			if (ev[i].data.u32 == UINT32_MAX) { /* the wake fd */
				uint64_t v;

				if (read(w->wake_fd, &v, sizeof(v)) < 0) {
					/* nothing to drain */
				}
			}
	}
	/* Awake before touching any port again: dp_sync takes a sleeping
	 * worker for one that holds no pointers, and may free a port the
	 * moment after it looked. (seq_cst, as the epoch: see dp_sync) */
	__atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
	/* a wake-up on timeout that finds work means a lost kick */
	if (n == 0 && for_owned(w, arm_kick))
		w->wakeups_with_work_on_timeout++;
	for_owned(w, disarm_kick);
}

/* Light load (adaptive polling): a loop that moved less than half a burst
 * makes the next nap 1 µs longer, up to max_nap_us; a loop with more
 * resets it. The rings hold what arrives meanwhile (a nap grows only while
 * loops find few frames, so a nap's backlog stays near half a burst); the
 * guest is not kicking, so naps cost it nothing. */
#define DP_NAP_THRESH (DP_BURST / 2)

static void worker_nap(struct dp_worker *w, uint32_t us)
{
	struct timespec ts = { .tv_nsec = (long)us * 1000 };

	w->naps++;
	nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	uint64_t idle_since = 0, idle_ns = (uint64_t)dp->idle_us * 1000, t, prev;
	uint32_t nap_us = 0;
	bool adaptive = dp->poll == DP_POLL_ADAPTIVE;
	int work;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			log_warn("worker %d: cannot pin to CPU %d", w->id, w->cpu);
	}
	/* naps as long as asked: the default slack (50 µs) would stretch a
	 * 1 µs nap fiftyfold */
	if (adaptive && dp->max_nap_us && prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0))
		log_warn("worker %d: cannot set timer slack: naps will be longer", w->id);
	prev = now_ns();
	while (!__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE)) {
		/* seq_cst: a full barrier before this loop reads the port
		 * table (see dp_sync) */
		__atomic_store_n(&w->epoch, w->epoch + 1, __ATOMIC_SEQ_CST);
		w->loops++;
		work = for_owned(w, dp_tx_burst) + poll_uplinks(w) + poll_zc(w);
		w->frames += (unsigned)work;
		/* one clock read a loop: the time since the last one was work
		 * or polling in vain (naps and sleeps are taken out below) */
		t = now_ns();
		if (work) {
			w->busy_ns += t - prev;
			w->busy_loops++;
		} else {
			w->idle_ns += t - prev;
		}
		prev = t;
		if (!adaptive)
			continue;
		if (work) {
			idle_since = 0;
			if (work >= DP_NAP_THRESH) {
				nap_us = 0;
				continue;
			}
		} else if (!idle_since) {
			idle_since = t;
		} else if (t - idle_since >= idle_ns) {
			worker_sleep(w);
			idle_since = 0;
			nap_us = 0;
			prev = now_ns();
			w->sleep_ns += prev - t;
			continue;
		}
		if (nap_us < dp->max_nap_us)
			nap_us++;
		if (!dp->max_nap_us) {
			__builtin_ia32_pause();
			continue;
		}
		worker_nap(w, nap_us);
		prev = now_ns();
		w->nap_ns += prev - t;
	}
	return NULL;
}

/* ---- set-up -------------------------------------------------------------- */

int dp_init(struct dp *dp, const struct dp_opts *o)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	int i, err;

	memset(dp, 0, sizeof(*dp));
	if (o->n_workers > DP_MAX_WORKERS)
		return -EINVAL; /* the size of cpus[] and of dp_sync()'s table */
	dp->poll = o->poll;
	dp->idle_us = o->idle_us;
	dp->max_nap_us = o->max_nap_us;
	dp->nworkers = o->n_workers > 0 ? o->n_workers : 1;
	dp->xdp_fdb_fd = -1;
	err = fdb_init(&dp->fdb, o->fdb_max, o->fdb_aging_s);
	if (err)
		return err;
	dp->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->workers = aligned_alloc(64, sizeof(*dp->workers) * (size_t)dp->nworkers);
	if (dp->notify_fd < 0 || !dp->workers)
		goto fail;
	memset(dp->workers, 0, sizeof(*dp->workers) * (size_t)dp->nworkers);
	for (i = 0; i < dp->nworkers; i++) {
		struct dp_worker *w = &dp->workers[i];

		w->dp = dp;
		w->id = i;
		w->cpu = o->n_workers > 0 ? o->cpus[i] : -1;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->epfd < 0 || w->wake_fd < 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev))
			goto fail;
	}
	return 0;
fail:
	err = -errno;
	dp_destroy(dp);
	return err ? err : -ENOMEM;
}

int dp_start(struct dp *dp)
{
	int i, err;

	for (i = 0; i < dp->nworkers; i++) {
		err = pthread_create(&dp->workers[i].thread, NULL, worker_main, &dp->workers[i]);
		if (err) {
			log_err("cannot start worker %d: %s", i, strerror(err));
			dp_stop(dp);
			return -err;
		}
		dp->workers[i].started = true;
	}
	return 0;
}

void dp_stop(struct dp *dp)
{
	int i;

	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
	dp_wake(dp);
	for (i = 0; i < dp->nworkers; i++)
		if (dp->workers[i].started) {
			pthread_join(dp->workers[i].thread, NULL);
			dp->workers[i].started = false;
		}
}

void dp_destroy(struct dp *dp)
{
	int i;

	for (i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i]) {
			vu_dev_detach(&dp->ports[i]->dev);
			dp_zc_unconfigure(dp, dp->ports[i]);
			free(dp->ports[i]->zc);
			free(dp->ports[i]);
			dp->ports[i] = NULL;
		}
	if (dp->workers) {
		for (i = 0; i < dp->nworkers; i++) {
			if (dp->workers[i].epfd > 0)
				close(dp->workers[i].epfd);
			if (dp->workers[i].wake_fd > 0)
				close(dp->workers[i].wake_fd);
		}
		free(dp->workers);
		dp->workers = NULL;
	}
	if (dp->notify_fd > 0)
		close(dp->notify_fd);
	dp->notify_fd = -1;
	fdb_destroy(&dp->fdb);
}
