// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/uplink.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_xdp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "xsk/steer.h"

/* multi-buffer AF_XDP (Linux 6.6); Debian 12's UAPI headers predate it */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

int uplink_slots(const char *ifname)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "rx-", 3);
	closedir(d);
	return n;
}

int uplink_kernel_stats(const struct uplink_queue *q, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (q->fd < 0)
		return -EBADF;
	return getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, st, &len) ? -errno : 0;
}

static void queue_close(struct uplink_queue *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, q->area_len);
	free(q->free);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

static void kick(struct uplink_queue *q)
{
	q->st.wakeups++;
	/* only the wake-up matters: EAGAIN/EBUSY mean the kernel is busy
	 * with the ring already, ENETDOWN shows in the link state */
	if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
	}
}

static int queue_open(struct uplink *u, struct uplink_queue *q, uint16_t qid,
		      const struct uplink_opts *cp, bool try_zc, bool try_sg)
{
	struct xsk_umem_config ucfg = {
		.fill_size = u->ring_size,
		.comp_size = u->ring_size,
		.frame_size = u->frame_size,
		.frame_headroom = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = u->ring_size,
		.tx_size = u->ring_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	uint32_t nframes = 2 * u->ring_size, i, idx;
	int err, v;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->qid = qid;
	q->area_len = (size_t)nframes * u->frame_size;
	q->area = mmap(NULL, q->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q->free = calloc(u->ring_size, sizeof(*q->free));
	if (q->area == MAP_FAILED || !q->free) {
		q->area = q->area == MAP_FAILED ? NULL : q->area;
		err = -ENOMEM;
		goto fail;
	}
	err = xsk_umem__create(&q->umem, q->area, q->area_len, &q->fq, &q->cq, &ucfg);
	if (err)
		goto fail;
	scfg.bind_flags = XDP_USE_NEED_WAKEUP | (try_zc ? XDP_ZEROCOPY : XDP_COPY) |
			  (try_sg ? XDP_USE_SG : 0);
	err = xsk_socket__create(&q->xsk, u->ifname, qid, q->umem, &q->rx, &q->tx, &scfg);
	if (err)
		goto fail;
	q->fd = xsk_socket__fd(q->xsk);
	q->sg = try_sg;

	/* the first half of the frames receive, the second half transmit */
	if (xsk_ring_prod__reserve(&q->fq, u->ring_size, &idx) != u->ring_size) {
		err = -ENOSPC;
		goto fail;
	}
	for (i = 0; i < u->ring_size; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = (uint64_t)i * u->frame_size;
	xsk_ring_prod__submit(&q->fq, u->ring_size);
	for (i = 0; i < u->ring_size; i++)
		q->free[i] = (uint64_t)(u->ring_size + i) * u->frame_size;
	q->nfree = u->ring_size;

	if (cp->busy_poll_budget) {
		v = 1;
		if (setsockopt(q->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &v, sizeof(v)) ||
		    setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL, &cp->busy_poll_us,
			       sizeof(cp->busy_poll_us)) ||
		    setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &cp->busy_poll_budget,
			       sizeof(cp->busy_poll_budget)))
			log_warn("%s: queue %u: busy polling not available: %s", u->ifname, qid,
				 strerror(errno));
		else
			q->busy_poll = true;
	}
	return 0;

fail:
	queue_close(q);
	return err < 0 ? err : -err;
}

/* The first queue finds the mode: zero-copy before copy (with `auto`),
 * each with multi-buffer before without. */
static int queue_open_first(struct uplink *u, struct uplink_queue *q, uint16_t qid,
			    const struct uplink_opts *cp, bool *zc, bool *sg)
{
	int err;

	for (;;) {
		*sg = cp->multi_buffer;
		err = queue_open(u, q, qid, cp, *zc, *sg);
		if (err && *sg && (err == -EINVAL || err == -EOPNOTSUPP)) {
			log_info("%s: no multi-buffer AF_XDP in %s mode (%s)", u->ifname,
				 *zc ? "zero-copy" : "copy", strerror(-err));
			*sg = false;
			err = queue_open(u, q, qid, cp, *zc, *sg);
		}
		if (!err || !*zc || cp->xdp_mode != XSK_XDP_AUTO)
			return err;
		log_info("%s: no AF_XDP zero-copy (%s): using copy mode", u->ifname, strerror(-err));
		*zc = false;
	}
}

static int register_queues(struct uplink *u, const struct xdpmaps *maps)
{
	int i;

	for (i = 0; i < u->nq; i++) {
		__u32 slot = u->xsk_base + u->q[i].qid;

		if (bpf_map_update_elem(maps->xsks, &slot, &u->q[i].fd, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* The MTU the uplink can carry: a frame in one UMEM buffer (after the
 * kernel's RX headroom), or in UPLINK_MAX_FRAGS of them with multi-buffer. */
static uint32_t uplink_mtu(const struct uplink *u, uint32_t want)
{
	uint32_t room = u->frame_size - UPLINK_RX_HEADROOM;
	uint32_t max = (u->sg ? UPLINK_MAX_FRAGS * room : room) - UPLINK_L2_LEN;

	if (want <= max)
		return want;
	if (u->sg)
		log_warn("%s: mtu %u needs more than %d UMEM buffers a frame: capped at %u",
			 u->ifname, want, UPLINK_MAX_FRAGS, max);
	else
		log_warn("%s: mtu %u needs multi-buffer AF_XDP (XDP_USE_SG), which this kernel "
			 "or driver lacks in %s mode: capped at %u",
			 u->ifname, want, u->zerocopy ? "zero-copy" : "copy", max);
	return max;
}

/* The n-th queue that is not lent out. */
static int nth_own_queue(const struct uplink_opts *o, int n)
{
	int q;

	for (q = 0;; q++)
		if (!(q < 64 && (o->lent_queues >> q & 1)) && n-- == 0)
			return q;
}

/* Queues lent to VMs receive only what is steered there: out of RSS. */
static void lend_queues(struct uplink *u, uint64_t lent)
{
	int err;

	u->lent = lent;
	u->rss = "-";
	if (!lent)
		return;
	err = steer_rss_exclude(u->ifname, lent, u->n_rx_queues, &u->rss_saved, &u->rss_n);
	if (!err) {
		u->rss = u->rss_saved ? "excluded" : "untouched";
		if (u->rss_saved)
			log_info("%s: the queues lent to VMs are out of the RSS table (%u entries "
				 "moved to the others; restored on close)",
				 u->ifname, u->rss_n);
	} else if (err == -EOPNOTSUPP) {
		u->rss = "unsupported";
		log_info("%s: no RSS table to take the lent queues out of: they receive what "
			 "the NIC or its sender puts there",
			 u->ifname);
	} else {
		u->rss = "failed";
		log_warn("%s: cannot take the lent queues out of the RSS table: %s; other VMs' "
			 "flows hashed there go to the host",
			 u->ifname, strerror(-err));
	}
}

int uplink_open(struct uplink *u, const struct uplink_opts *cp, const char *switch_name,
		uint16_t port, uint32_t xsk_base, struct xdpmaps *maps)
{
	struct xvs_port kind = { .kind = XVS_PORT_UPLINK, .mtu = cp->mtu };
	struct xvs_uplink entry;
	int nrx, i, err;
	bool zc, sg = false;

	memset(u, 0, sizeof(*u));
	u->tap.fd = -1;
	snprintf(u->ifname, sizeof(u->ifname), "%s", cp->ifname);
	u->port = port;
	u->frame_size = cp->frame_size;
	u->ring_size = cp->ring_size;
	u->xsk_base = xsk_base;
	u->host_flood = cp->host_flood;

	nrx = uplink_slots(u->ifname);
	if (nrx <= 0) {
		log_err("%s: cannot find its receive queues: %s", u->ifname,
			nrx ? strerror(-nrx) : "none");
		return nrx ? nrx : -ENODEV;
	}
	if (xsk_base + (uint32_t)nrx > XVS_MAX_XSKS) {
		log_err("%s: %d queues do not fit the socket map (%u slots left)", u->ifname, nrx,
			XVS_MAX_XSKS - xsk_base);
		return -ENOSPC;
	}
	u->n_rx_queues = (uint32_t)nrx;
	u->nq = cp->n_queue_ids;
	if (cp->all_queues)
		for (u->nq = 0, i = 0; i < nrx; i++)
			u->nq += !(i < 64 && (cp->lent_queues >> i & 1));
	if (u->nq > UPLINK_MAX_QUEUES) {
		log_err("%s: %d queues: at most %d sockets an uplink; list the queues to use "
			"(queues: [0, 1, ...]) and steer traffic to them",
			u->ifname, u->nq, UPLINK_MAX_QUEUES);
		return -ENOSPC;
	}
	for (i = 0; !cp->all_queues && i < cp->n_queue_ids; i++)
		if (cp->queue_ids[i] >= nrx) {
			log_err("%s: queue %u configured, the interface has %d", u->ifname,
				cp->queue_ids[i], nrx);
			return -EINVAL;
		}

	err = xprog_attach(&u->prog, switch_name, u->ifname, cp->xdp_mode, maps);
	if (err)
		return err;
	u->q = aligned_alloc(64, sizeof(*u->q) * (size_t)u->nq);
	if (!u->q) {
		err = -ENOMEM;
		goto detach;
	}
	memset(u->q, 0, sizeof(*u->q) * (size_t)u->nq);

	/* zero-copy where the driver has it, else copy; multi-buffer where the
	 * kernel (6.6+) and the mode allow it, else the MTU is capped; the
	 * first queue decides, the others must follow */
	zc = u->prog.native && cp->xdp_mode != XSK_XDP_NATIVE && cp->xdp_mode != XSK_XDP_SKB;
	for (i = 0; i < u->nq; i++) {
		uint16_t qid = cp->all_queues ? (uint16_t)nth_own_queue(cp, i) : cp->queue_ids[i];

		if (i == 0)
			err = queue_open_first(u, &u->q[i], qid, cp, &zc, &sg);
		else
			err = queue_open(u, &u->q[i], qid, cp, zc, sg);
		if (err) {
			log_err("%s: queue %u: cannot create an AF_XDP socket (%s mode): %s",
				u->ifname, qid, zc ? "zero-copy" : "copy", strerror(-err));
			u->nq = i;
			goto close_queues;
		}
	}
	u->zerocopy = zc;
	u->sg = sg;
	u->mtu = uplink_mtu(u, cp->mtu);
	kind.mtu = u->mtu;

	err = register_queues(u, maps);
	if (err)
		goto close_queues;
	entry = (struct xvs_uplink){
		.xsk_base = xsk_base,
		.port = port,
		.flags = (cp->host_flood ? XVS_CFG_F_FLOOD_TO_HOST : 0) |
			 (cp->host_unknown ? 0 : XVS_CFG_F_UNKNOWN_TO_SWITCH),
	};
	if (bpf_map_update_elem(maps->uplinks, &u->prog.ifindex, &entry, BPF_ANY) ||
	    xdpmaps__port_set(maps, port, &kind)) {
		err = -errno;
		goto unregister;
	}
	/* broadcasts on a lent queue go to the host (they may not land in
	 * the VM's memory): the switch takes its copy from the tap too */
	if (cp->host_flood || cp->lent_queues) {
		err = tap_open(&u->tap, u->prog.ifindex);
		if (err) {
			log_err("%s: cannot open the broadcast tap: %s", u->ifname, strerror(-err));
			goto unregister;
		}
	}
	lend_queues(u, cp->lent_queues);
	log_info("%s: XDP %s%s, AF_XDP %s%s, %d queue%s, slots %u-%u, mtu %u", u->ifname,
		 xprog_mode_name(&u->prog), u->prog.adopted ? " (adopted)" : "",
		 u->zerocopy ? "zero-copy" : "copy", u->sg ? " multi-buffer" : "", u->nq,
		 u->nq == 1 ? "" : "s", xsk_base, xsk_base + u->n_rx_queues - 1, u->mtu);
	return 0;

unregister:
	bpf_map_delete_elem(maps->uplinks, &u->prog.ifindex);
close_queues:
	for (i = 0; i < u->nq; i++)
		queue_close(&u->q[i]);
	free(u->q);
	u->q = NULL;
detach:
	xprog_detach(&u->prog);
	return err;
}

void uplink_close(struct uplink *u, struct xdpmaps *maps)
{
	struct xvs_port none = { 0 };
	int i;

	tap_close(&u->tap);
	if (u->rss_saved && steer_rss_restore(u->ifname, u->rss_saved, u->rss_n))
		log_warn("%s: cannot restore the RSS table", u->ifname);
	free(u->rss_saved);
	u->rss_saved = NULL;
	if (maps->uplinks >= 0) {
		bpf_map_delete_elem(maps->uplinks, &u->prog.ifindex);
		xdpmaps__port_set(maps, u->port, &none);
	}
	for (i = 0; i < u->nq; i++) {
		__u32 slot = u->xsk_base + u->q[i].qid;

		if (maps->xsks >= 0)
			bpf_map_delete_elem(maps->xsks, &slot);
		queue_close(&u->q[i]);
	}
	free(u->q);
	u->q = NULL;
	u->nq = 0;
	xprog_detach(&u->prog);
}

int uplink_rx_peek(struct uplink_queue *q, struct uplink_frame *f, int max)
{
	uint32_t idx, i, n, nf = 0, start = 0;

	q->rx_ndesc = 0;
	n = xsk_ring_cons__peek(&q->rx, (uint32_t)max, &idx);
	if (!n) {
		if (q->busy_poll || xsk_ring_prod__needs_wakeup(&q->fq)) {
			q->st.wakeups++;
			if (recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) < 0) {
				/* EAGAIN: nothing yet */
			}
		}
		return 0;
	}
	/* frames end at a descriptor without XDP_PKT_CONTD */
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + i);

		if (q->rx_in_drop) { /* the tail of a frame dropped whole */
			if (!(d->options & XDP_PKT_CONTD))
				q->rx_in_drop = false;
			start = i + 1;
			continue;
		}
		if (i == start) {
			f[nf].desc = idx + i;
			f[nf].len = 0;
		}
		f[nf].len += d->len;
		if (d->options & XDP_PKT_CONTD)
			continue;
		f[nf].nfrag = (uint16_t)(i + 1 - start);
		if (f[nf].nfrag > UPLINK_MAX_FRAGS) {
			q->st.rx_drop_frags++;
			f[nf].nfrag = 0;
		}
		q->st.rx_packets++;
		q->st.rx_bytes += f[nf].len;
		nf++;
		start = i + 1;
	}
	if (start < n) {
		if (start > 0) {
			/* the rest of the last frame is beyond what we peeked */
			xsk_ring_cons__cancel(&q->rx, n - start);
			n = start;
		} else {
			/* a frame longer than a burst of descriptors (the kernel
			 * makes none that long): drop it whole, its tail in the
			 * next bursts too, and never stall */
			q->st.rx_drop_frags++;
			q->rx_in_drop = true;
		}
	}
	if (!nf && n) {
		/* descriptors to give back, and no frame: one empty entry, so
		 * that the caller releases them */
		f[0].nfrag = 0;
		nf = 1;
	}
	q->rx_idx = idx;
	q->rx_ndesc = n;
	return (int)nf;
}

void uplink_rx_release(struct uplink_queue *q)
{
	uint32_t idx, i, n = q->rx_ndesc;

	if (!n)
		return;
	/* the same frames go back to the fill ring, before the RX entries
	 * that name them are released; it has room, they came out of it */
	if (xsk_ring_prod__reserve(&q->fq, n, &idx) == n) {
		for (i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&q->fq, idx + i) = xsk_umem__extract_addr(
				xsk_ring_cons__rx_desc(&q->rx, q->rx_idx + i)->addr);
		xsk_ring_prod__submit(&q->fq, n);
	}
	xsk_ring_cons__release(&q->rx, n);
	q->rx_ndesc = 0;
}

/* Under tx_lock: take back the frames the kernel has sent. */
static void reap(struct uplink_queue *q, uint32_t ring_size)
{
	uint32_t idx, i, n = xsk_ring_cons__peek(&q->cq, ring_size, &idx);

	for (i = 0; i < n; i++)
		q->free[q->nfree++] = *xsk_ring_cons__comp_addr(&q->cq, idx + i);
	xsk_ring_cons__release(&q->cq, n);
}

static void tx_lock(struct uplink_queue *q)
{
	while (__atomic_test_and_set(&q->tx_lock, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void tx_unlock(struct uplink_queue *q)
{
	__atomic_clear(&q->tx_lock, __ATOMIC_RELEASE);
}

int uplink_tx_burst(struct uplink *u, struct uplink_queue *q, int n, const uint32_t *len,
		    uplink_fill_fn fill, void *ctx)
{
	uint32_t fs = u->frame_size, idx, need = 0, nd[UPLINK_BURST], d = 0, j;
	uint8_t *buf[UPLINK_MAX_FRAGS];
	int i, k;

	if (n <= 0)
		return 0;
	tx_lock(q);
	reap(q, u->ring_size);
	/* as many whole frames as there are free buffers */
	for (k = 0; k < n; k++) {
		nd[k] = (len[k] + fs - 1) / fs;
		if (need + nd[k] > q->nfree)
			break;
		need += nd[k];
	}
	q->st.tx_drop_no_frame += (uint64_t)(n - k);
	/* the ring holds as many descriptors as there are buffers: no
	 * shortage here */
	if (!k || xsk_ring_prod__reserve(&q->tx, need, &idx) != need) {
		tx_unlock(q);
		return 0;
	}
	for (i = 0; i < k; i++) {
		for (j = 0; j < nd[i]; j++) {
			uint64_t addr = q->free[--q->nfree];
			struct xdp_desc *desc = xsk_ring_prod__tx_desc(&q->tx, idx + d++);
			uint32_t left = len[i] - j * fs;

			buf[j] = q->area + addr;
			desc->addr = addr;
			desc->len = left < fs ? left : fs;
			desc->options = j + 1 < nd[i] ? XDP_PKT_CONTD : 0;
		}
		fill(ctx, i, buf, (int)nd[i]);
		q->st.tx_packets++;
		q->st.tx_bytes += len[i];
	}
	xsk_ring_prod__submit(&q->tx, need);
	if (xsk_ring_prod__needs_wakeup(&q->tx))
		kick(q);
	tx_unlock(q);
	return k;
}
