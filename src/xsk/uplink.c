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

#include "ctl/log.h"

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
		      const struct cfg_port *cp, bool try_zc)
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
	scfg.bind_flags = XDP_USE_NEED_WAKEUP | (try_zc ? XDP_ZEROCOPY : XDP_COPY);
	err = xsk_socket__create(&q->xsk, u->ifname, qid, q->umem, &q->rx, &q->tx, &scfg);
	if (err)
		goto fail;
	q->fd = xsk_socket__fd(q->xsk);

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

int uplink_open(struct uplink *u, const struct cfg_port *cp, const char *switch_name,
		uint16_t port, uint32_t xsk_base, struct xdpmaps *maps)
{
	struct xvs_port kind = { .kind = XVS_PORT_UPLINK, .mtu = cp->mtu };
	struct xvs_uplink entry;
	int nrx, i, err;
	bool zc;

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
	u->nq = cp->all_queues ? nrx : cp->n_queue_ids;
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

	/* zero-copy where the driver has it, else copy; one mode for all */
	zc = u->prog.native && cp->xdp_mode != CFG_XDP_NATIVE && cp->xdp_mode != CFG_XDP_SKB;
	for (i = 0; i < u->nq; i++) {
		uint16_t qid = cp->all_queues ? (uint16_t)i : cp->queue_ids[i];

		err = queue_open(u, &u->q[i], qid, cp, zc);
		if (err && zc && i == 0 && cp->xdp_mode == CFG_XDP_AUTO) {
			log_info("%s: no AF_XDP zero-copy (%s): using copy mode", u->ifname,
				 strerror(-err));
			zc = false;
			err = queue_open(u, &u->q[i], qid, cp, zc);
		}
		if (err) {
			log_err("%s: queue %u: cannot create an AF_XDP socket (%s mode): %s",
				u->ifname, qid, zc ? "zero-copy" : "copy", strerror(-err));
			u->nq = i;
			goto close_queues;
		}
	}
	u->zerocopy = zc;

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
	if (cp->host_flood) {
		err = tap_open(&u->tap, u->prog.ifindex);
		if (err) {
			log_err("%s: cannot open the broadcast tap: %s", u->ifname, strerror(-err));
			goto unregister;
		}
	}
	log_info("%s: XDP %s%s, AF_XDP %s, %d queue%s, slots %u-%u", u->ifname,
		 xprog_mode_name(&u->prog), u->prog.adopted ? " (adopted)" : "",
		 u->zerocopy ? "zero-copy" : "copy", u->nq, u->nq == 1 ? "" : "s", xsk_base,
		 xsk_base + u->n_rx_queues - 1);
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
	uint32_t idx, i, n;

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
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + i);

		f[i].addr = d->addr;
		f[i].data = xsk_umem__get_data(q->area, d->addr);
		f[i].len = d->len;
		q->st.rx_packets++;
		q->st.rx_bytes += d->len;
	}
	return (int)n;
}

void uplink_rx_release(struct uplink_queue *q, const struct uplink_frame *f, int n)
{
	uint32_t idx, i;

	xsk_ring_cons__release(&q->rx, (uint32_t)n);
	/* the same frames go back to the fill ring: it has room for them,
	 * as they came out of it */
	if (xsk_ring_prod__reserve(&q->fq, (uint32_t)n, &idx) != (uint32_t)n)
		return;
	for (i = 0; i < (uint32_t)n; i++)
		*xsk_ring_prod__fill_addr(&q->fq, idx + i) = xsk_umem__extract_addr(f[i].addr);
	xsk_ring_prod__submit(&q->fq, (uint32_t)n);
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

int uplink_tx_burst(struct uplink *u, struct uplink_queue *q, int n, uplink_fill_fn fill,
		    void *ctx)
{
	uint32_t idx, k, sent = 0, len;
	int i;

	tx_lock(q);
	reap(q, u->ring_size);
	k = (uint32_t)n < q->nfree ? (uint32_t)n : q->nfree;
	if (k && xsk_ring_prod__reserve(&q->tx, k, &idx) != k)
		k = 0; /* cannot happen: the ring holds as many as there are frames */
	q->st.tx_drop_no_frame += (uint64_t)n - k;
	for (i = 0; i < (int)k; i++) {
		uint64_t addr = q->free[--q->nfree];
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&q->tx, idx + sent);

		len = fill(ctx, i, q->area + addr, u->frame_size);
		d->addr = addr;
		d->len = len;
		sent++;
		q->st.tx_packets++;
		q->st.tx_bytes += len;
	}
	if (k) {
		xsk_ring_prod__submit(&q->tx, sent);
		if (xsk_ring_prod__needs_wakeup(&q->tx))
			kick(q);
	}
	tx_unlock(q);
	return (int)sent;
}
