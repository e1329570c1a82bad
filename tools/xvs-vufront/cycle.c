// SPDX-License-Identifier: GPL-2.0-only
/*
 * --zc-cycle: the events that take a back-end's hold on guest buffers away
 * (a zero-copy back-end's kernel socket in particular), while frames keep
 * arriving from elsewhere, with --canary checking that nothing is written
 * where it may not be any more:
 *
 *	ring-stop   GET_VRING_BASE on vrings 0 and 1 (QEMU stopping a VM)
 *	mem-table   SET_MEM_TABLE with the same memory, the rings running
 *	            (QEMU adding memory)
 *	reset       RESET_OWNER
 *	disconnect  the connection closed, and made again
 *
 * A cycle, once the back-end has answered (disconnect: once a new
 * connection is served, so the old one is gone):
 *   1. take the used entries there are, checked as always; a stopped
 *      ring's used index must equal the base it reported (every buffer
 *      it took is back);
 *   2. check, then rewrite, canary over every RX buffer the back-end may
 *      not touch now: all of them when the rings stopped or the device
 *      went; with mem-table the ones it gave back, held from now on;
 *   3. --zc-hold ms with frames arriving (mem-table: receiving, holding);
 *   4. check that canary, every guard and the memory never handed out; a
 *      stopped ring's used index must not have moved;
 *   5. restart: the rings from their bases (ring-stop), the held buffers
 *      posted again (mem-table), negotiation and setup on fresh rings
 *      (reset, disconnect).
 * Frames received from a restart to the next cycle are that cycle's; the
 * next one starts --zc-every ms after the restart, once a frame has come
 * (or VF_RESUME_WAIT_MS later), the run ends likewise after the last. The
 * report has the fewest, and the run fails if a cycle had none.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "vufront.h"

#define VF_MS 1000000ull
#define VF_RECONNECT_MS 5000 /* disconnect: the back-end serves us again by then */
#define VF_PROBE_MS 1000
/* After a restart the next cycle (or the end) waits, beyond --zc-every, up
 * to this long for a first frame: a back-end may take a while to serve
 * the rings again (xvsd: its socket's queue freed by the kernel). */
#define VF_RESUME_WAIT_MS 5000

static const struct {
	const char *name, *help;
} cycle_tab[VF_CYCLE_MAX] = {
#define VF_X(e, n, h) [VF_CYCLE_##e] = { n, h },
	VF_CYCLE_MODES(VF_X)
#undef VF_X
};

int vf_cycle_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < VF_CYCLE_MAX; i++)
		if (!strcmp(s, cycle_tab[i].name))
			return (int)i;
	return -EINVAL;
}

void vf_cycle_help(FILE *out)
{
	unsigned int i;

	for (i = 0; i < VF_CYCLE_MAX; i++)
		fprintf(out, "  %-22s %s\n", cycle_tab[i].name, cycle_tab[i].help);
}

static void fail(struct vf_dev *d, const char *what, int err)
{
	log_err("--zc-cycle %u: %s%s%s", d->cy.done + 1, what, err ? ": " : "",
		err ? strerror(-err) : "");
	d->cy.err++;
}

/* Used entries there are on RX vring 0, taken and checked. */
static void drain(struct vf_dev *d)
{
	while (vf_rx_poll(d, 0))
		;
}

/* A GET_FEATURES round trip: the back-end has handled what came before. */
static int barrier(struct vf_dev *d)
{
	return strcmp(vf_probe(d, VF_PROBE_MS), "ok") ? -EPIPE : 0;
}

/* hold_ms with frames arriving; `receive`: the rings run, take what comes. */
static int hold(struct vf_dev *d, bool receive)
{
	uint64_t end = vf_now_ns() + d->o->cycle_hold_ms * VF_MS;
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };

	while (!vf_stop && vf_now_ns() < end) {
		if (receive)
			drain(d);
		if (poll(&pfd, 1, 1) > 0)
			vf_sock_check(d);
		if (d->disconnected)
			return -EPIPE;
	}
	return 0;
}

/* Steps 1-4 with the back-end holding nothing of ours. */
static int window_stopped(struct vf_dev *d)
{
	uint16_t u0, u1;
	int err;

	drain(d);
	/* every buffer is ours again: all of them must be canary now, and
	 * stay so */
	vf_canary_check_all(d, true);
	vf_canary_fill_rx(d, true);
	u0 = vf_vq_used_index(&d->qp[0].rx.vq);
	u1 = vf_vq_used_index(&d->qp[0].tx.vq);
	err = hold(d, false);
	vf_canary_check_all(d, true);
	if (vf_vq_used_index(&d->qp[0].rx.vq) != u0 || vf_vq_used_index(&d->qp[0].tx.vq) != u1) {
		log_warn("--zc-cycle %u: used index moved on a stopped ring "
			 "(RX %u -> %u, TX %u -> %u)",
			 d->cy.done + 1, u0, vf_vq_used_index(&d->qp[0].rx.vq), u1,
			 vf_vq_used_index(&d->qp[0].tx.vq));
		d->st.canary_bad++;
	}
	return err;
}

static int ring_stop(struct vf_dev *d)
{
	uint16_t base[2], used[2];
	unsigned int i;
	int err;

	for (i = 0; i < 2; i++) {
		err = vf_vring_stop(d, i, &base[i], &used[i]);
		if (err)
			return err;
	}
	/* what it took, it gave back (used), and nothing more: the used
	 * entries end where it stopped taking (a packed ring: its two
	 * halves of the answer agree), and we see them there */
	for (i = 0; i < 2; i++) {
		struct vf_vq *vq = i ? &d->qp[0].tx.vq : &d->qp[0].rx.vq;

		if (vf_vq_used_index(vq) != base[i] || used[i] != base[i]) {
			log_warn("--zc-cycle %u: vring %u stopped at base %#x (used %#x), used "
				 "index %#x",
				 d->cy.done + 1, i, base[i], used[i], vf_vq_used_index(vq));
			d->cy.err++;
		}
	}
	err = window_stopped(d);
	for (i = 0; !err && i < 2; i++) {
		err = vf_vring_start(d, i, base[i]);
		if (!err)
			err = vf_vring_enable(d, i);
	}
	if (err)
		return err;
	vf_vq_kick(&d->qp[0].rx.vq);
	vf_vq_kick(&d->qp[0].tx.vq);
	return 0;
}

static int mem_table(struct vf_dev *d)
{
	int err;

	d->cy.hold = true;
	err = vf_set_mem_table(d);
	if (!err && !d->reply_ack)
		err = barrier(d);
	if (!err) {
		drain(d);
		/* the buffers it gave back are ours: canary, and stay so */
		vf_canary_check_all(d, false);
		vf_canary_fill_rx(d, false);
		err = hold(d, true);
		vf_canary_check_all(d, false);
	}
	d->cy.hold = false;
	if (!err)
		vf_rx_post_held(d, 0);
	return err;
}

/* After a reset or on a new connection: the device knows nothing. */
static int setup_again(struct vf_dev *d)
{
	int err;

	d->reply_ack = d->status = false; /* until negotiated again */
	err = vf_negotiate(d);
	if (err)
		return err;
	vf_traffic_rings_reset(d);
	return vf_setup(d);
}

static int reset(struct vf_dev *d)
{
	/* no NEED_REPLY: the reset forgets REPLY_ACK before it could ack */
	int err = vf_msg_send(d, VU_REQ_RESET_OWNER, 0, NULL, 0, NULL, 0);

	if (!err)
		err = barrier(d);
	if (!err)
		err = window_stopped(d);
	return err ? err : setup_again(d);
}

static int disconnect(struct vf_dev *d)
{
	uint64_t end;
	int err;

	close(d->sock);
	/* A new connection is refused (closed) while the old one is still
	 * there: served means the back-end has let go of the old one. */
	for (end = vf_now_ns() + VF_RECONNECT_MS * VF_MS;; usleep(10000)) {
		d->disconnected = false;
		d->sock = vf_sock_open(d->o);
		if (d->sock >= 0 && !barrier(d))
			break;
		if (d->sock >= 0)
			close(d->sock);
		d->sock = -1;
		if (vf_now_ns() >= end) {
			d->disconnected = true;
			return -ETIMEDOUT;
		}
	}
	err = window_stopped(d);
	return err ? err : setup_again(d);
}

static int cycle_once(struct vf_dev *d, enum vf_cycle m)
{
	switch (m) {
	case VF_CYCLE_RING_STOP:
		return ring_stop(d);
	case VF_CYCLE_MEM_TABLE:
		return mem_table(d);
	case VF_CYCLE_RESET:
		return reset(d);
	case VF_CYCLE_DISCONNECT:
		return disconnect(d);
	default:
		return -EINVAL;
	}
}

void vf_cycle_start(struct vf_dev *d, uint64_t now)
{
	d->cy.next_ns = now + d->o->cycle_every_ms * VF_MS;
	d->cy.rx_after_min = UINT64_MAX;
}

/* The next cycle, or the end: --zc-every ms after the restart, once
 * frames came again (or they did not for VF_RESUME_WAIT_MS more). */
static bool due(const struct vf_dev *d, uint64_t now)
{
	if (now < d->cy.next_ns)
		return false;
	return !d->cy.done || d->st.rx_frames != d->cy.rx_mark ||
	       now >= d->cy.next_ns + VF_RESUME_WAIT_MS * VF_MS;
}

/* Frames since the last restart count for the cycle before. */
static void count_after(struct vf_dev *d)
{
	uint64_t n = d->st.rx_frames - d->cy.rx_mark;

	if (d->cy.done && n < d->cy.rx_after_min)
		d->cy.rx_after_min = n;
}

bool vf_cycle_poll(struct vf_dev *d, uint64_t now)
{
	const struct vf_opts *o = d->o;
	enum vf_cycle m;
	int err;

	if (d->cy.failed || d->cy.done >= o->cycles || !due(d, now))
		return false;
	count_after(d);
	m = (enum vf_cycle)o->cycle_list[d->cy.done % o->n_cycle];
	log_info("--zc-cycle %u: %s", d->cy.done + 1, cycle_tab[m].name);
	err = cycle_once(d, m);
	if (err) {
		fail(d, cycle_tab[m].name, err);
		d->cy.failed = true;
		return true;
	}
	d->cy.done++;
	d->cy.rx_mark = d->st.rx_frames;
	d->cy.next_ns = vf_now_ns() + o->cycle_every_ms * VF_MS;
	return true;
}

bool vf_cycle_over(const struct vf_dev *d, uint64_t now)
{
	return d->cy.failed || (d->cy.done >= d->o->cycles && due(d, now));
}

uint64_t vf_cycle_next_ns(const struct vf_dev *d)
{
	if (d->cy.failed)
		return UINT64_MAX;
	if (vf_now_ns() < d->cy.next_ns)
		return d->cy.next_ns;
	/* waiting for a frame, which wakes us itself */
	return d->cy.next_ns + VF_RESUME_WAIT_MS * VF_MS;
}

static uint64_t after_min(const struct vf_dev *d)
{
	uint64_t n = d->st.rx_frames - d->cy.rx_mark, min = d->cy.rx_after_min;

	/* the last cycle's frames: up to now */
	if (d->cy.done && n < min)
		min = n;
	return min == UINT64_MAX ? 0 : min;
}

bool vf_cycle_ok(const struct vf_dev *d)
{
	return !d->cy.failed && !d->cy.err && d->cy.done == d->o->cycles && after_min(d);
}

void vf_cycle_report(const struct vf_dev *d)
{
	printf(" cycles=%u cycle_err=%u rx_after_restart=%llu", d->cy.done, d->cy.err,
	       (unsigned long long)after_min(d));
}
