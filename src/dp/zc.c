// SPDX-License-Identifier: GPL-2.0-only
/*
 * Zero-copy between an uplink queue and a VM: see zc.h for the buffer
 * contract and the lifecycle.
 */
#include "dp/zc.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/if_xdp.h>
#include <linux/membarrier.h>
#include <linux/virtio_net.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "dp/dp.h"

#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

#define ETH_HLEN 14
#define VLAN_HLEN 4
/* Descriptors of one TX frame at most: the kernel's MAX_SKB_FRAGS + 1
 * (the header and 16 pieces of payload). */
#define ZC_TX_MAX_DESC 17
/* The kernel holding no guest RX buffer, the worker polls (naps) up to this
 * long instead of sleeping: frames meeting an empty fill ring are dropped
 * with no event, and the guest's RX kicks are not watched, so only a poll
 * sees the buffers it posts next. After that, the workers' epoll timeout
 * (1 s) does. */
#define ZC_STARVED_POLL_NS 1000000000ull
/* Unfit guest RX buffers alone this long: the queue goes to host memory. */
#define ZC_UNFIT_NS 200000000ull
/* After a teardown, a bind to the queue fails (EBUSY) until the closed
 * socket's buffer pool has left it, which a kernel work item does under
 * the RTNL lock: soon, or when whoever holds RTNL (a netns going away)
 * lets go. Until this long after the teardown the build is tried again
 * from the control loop (xzc_open waits a little each time). */
#define ZC_BUSY_RETRY_NS 5000000000ull

_Static_assert(DP_ZC_SLOT >= XZC_MAX_CHUNK / 2, "a scratch slot holds a small frame");
_Static_assert(DP_ZC_SCRATCH >= XZC_MAX_CHUNK, "every fill address is positive");

static struct vq *rx_ring(struct dp_port *p)
{
	return &p->dev.vr[0].vq;
}

static struct vq *tx_ring(struct dp_port *p)
{
	return &p->dev.vr[1].vq;
}

/* The buffer contract (zc.h): room R after the virtio-net header, chunk C,
 * UMEM headroom H = C − 256 − R. */
static int zc_layout(uint32_t mtu, uint32_t *room, uint32_t *chunk, uint32_t *headroom)
{
	*room = mtu + ETH_HLEN + VLAN_HLEN;
	*chunk = *room + XZC_KERNEL_HEADROOM <= XZC_MIN_CHUNK ? XZC_MIN_CHUNK : XZC_MAX_CHUNK;
	if (*room + XZC_KERNEL_HEADROOM > *chunk)
		return -EMSGSIZE;
	*headroom = *chunk - XZC_KERNEL_HEADROOM - *room;
	return 0;
}


/* ---- RX ------------------------------------------------------------------ */

/* The posted buffer the kernel filled at fill address a: almost always
 * the oldest (the kernel takes fill entries in order). */
static struct dp_zc_rx_slot *rx_find(struct dp_zc *z, uint64_t a)
{
	uint32_t i;

	for (i = z->rx_head; i != z->rx_tail; i++) {
		struct dp_zc_rx_slot *s = &z->rx[i % DP_ZC_RING];

		if (!s->done && s->addr == a)
			return s;
	}
	return NULL;
}

static void rx_retire(struct dp_zc *z)
{
	while (z->rx_head != z->rx_tail && z->rx[z->rx_head % DP_ZC_RING].done)
		z->rx_head++;
}

/* The virtio-net header of a frame in one buffer: no offloads. */
static void write_hdr(uint8_t *buf, uint8_t hdr_len)
{
	struct virtio_net_hdr_mrg_rxbuf h = { .num_buffers = 1 };

	memcpy(buf, &h, hdr_len);
}

/* Refill stopped at a buffer zero-copy cannot take while the kernel holds
 * none of the guest's: nothing arrives zero-copy until that buffer is used
 * by the copy path, which frames on this queue never take. Linux posts
 * 1536-byte buffers, too small for an MTU over 1506, and keeps posting
 * them (it sizes them by what arrives). After ZC_UNFIT_NS of that, the
 * control thread moves the queue to host memory (dp_zc_service), until
 * the guest's next memory table or ring start. */
static void unfit_stall(struct dp *dp, struct dp_zc *z)
{
	uint64_t t;

	if (z->rx_tail != z->rx_head || z->force_host)
		return;
	t = clock_now_ns();
	if (!z->unfit_since) {
		z->unfit_since = t;
	} else if (t - z->unfit_since > ZC_UNFIT_NS &&
		   !__atomic_exchange_n(&z->want_host, 1, __ATOMIC_ACQ_REL)) {
		dp_notify(dp);
	}
}

/* Post guest RX buffers on the fill ring: single buffers with the room
 * the contract needs, while the guest leaves enough for the copy path (a
 * broadcast from the tap, a frame from another VM, one from another
 * queue). Called with the RX vring locked. */
static void rx_refill(struct dp_worker *w, struct dp_port *p, struct dp_zc *z, struct vq *vq)
{
	struct vq_chain *c = &w->chains[0];
	uint64_t addr[DP_BURST];
	uint16_t head[DP_BURST];
	uint32_t rx_off = XZC_RX_OFFSET(z->s.headroom), idx, k, i;
	int avail = vq_avail_count(vq), want, r;
	int reserve = vq->size / 8 ? vq->size / 8 : 1;

	if (avail < 0) {
		vu_dev_mark_broken(&p->dev, vq->err);
		dp_notify(w->dp);
		return;
	}
	want = avail - reserve;
	if (want > (int)(DP_ZC_RING - (z->rx_tail - z->rx_head)))
		want = (int)(DP_ZC_RING - (z->rx_tail - z->rx_head));
	if (want > DP_BURST)
		want = DP_BURST;
	for (k = 0; (int)k < want; k++) {
		uint64_t off;

		r = vq_pop(vq, c, true);
		if (r == -EFAULT) {
			vu_dev_mark_broken(&p->dev, vq->err);
			dp_notify(w->dp);
			break;
		}
		off = r || c->nseg != 1 || c->seg[0].len < z->hdr_len + z->room
			      ? UINT64_MAX
			      : xzc_offset(&z->s, c->seg[0].base, c->seg[0].len);
		if (off == UINT64_MAX) {
			/* left to the copy path; counted once per buffer */
			vq_unpop(vq, 1);
			if (!z->unfit_seen || z->unfit_at != vq->last_avail) {
				z->st.rx_unfit++;
				z->unfit_seen = true;
				z->unfit_at = vq->last_avail;
			}
			unfit_stall(w->dp, z);
			break;
		}
		/* off ≥ DP_ZC_SCRATCH > rx_off: no wrap-around */
		z->unfit_since = 0;
		addr[k] = off + z->hdr_len - rx_off;
		head[k] = c->head;
	}
	if (!k)
		return;
	/* the fill ring has a slot for every buffer we may hold */
	if (xsk_ring_prod__reserve(&z->s.fq, k, &idx) != k) {
		vq_unpop(vq, (uint16_t)k);
		return;
	}
	for (i = 0; i < k; i++) {
		*xsk_ring_prod__fill_addr(&z->s.fq, idx + i) = addr[i];
		z->rx[z->rx_tail++ % DP_ZC_RING] =
			(struct dp_zc_rx_slot){ .addr = addr[i], .head = head[i] };
	}
	xsk_ring_prod__submit(&z->s.fq, k);
	z->st.rx_posted += k;
}

/* The fallback's RX (the socket over host memory): frames are copied into
 * the guest as on the copy path, and their buffers go back on the fill
 * ring. RX vring locked. */
static void rx_copy(struct dp *dp, struct dp_port *p, struct dp_zc *z, struct vq *vq, uint32_t idx,
		    uint32_t n)
{
	uint64_t back[DP_BURST];
	uint32_t i, k;
	int r;

	/* every buffer goes back on the fill ring, whatever happens below */
	for (i = 0; i < n; i++)
		back[i] = xsk_umem__extract_addr(xsk_ring_cons__rx_desc(&z->s.rx, idx + i)->addr);
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&z->s.rx, idx + i);
		struct vq_iov iov = { z->s.area + xsk_umem__add_offset_to_addr(d->addr), d->len };

		if (d->len > z->room || (d->options & XDP_PKT_CONTD)) {
			z->st.rx_bad_desc++;
			continue;
		}
		r = vq_enqueue(vq, &iov, 1, 0, d->len);
		if (r == -EFAULT) {
			vu_dev_mark_broken(&p->dev, vq->err);
			dp_notify(dp);
			break;
		}
		z->st.rx_copy_host += !r;
	}
	if (n)
		xsk_ring_cons__release(&z->s.rx, n);
	/* the fill ring has room: these came out of it */
	if (n && xsk_ring_prod__reserve(&z->s.fq, n, &k) == n) {
		for (i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&z->s.fq, k + i) = back[i];
		xsk_ring_prod__submit(&z->s.fq, n);
	}
}

/* The frames the kernel wrote into posted guest buffers (RX descriptors
 * idx..idx+n) go to the guest. RX vring locked. */
static void rx_complete(struct dp_zc *z, struct vq *vq, uint32_t idx, uint32_t n)
{
	uint32_t rx_off = XZC_RX_OFFSET(z->s.headroom), i;

	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&z->s.rx, idx + i);
		uint64_t a = xsk_umem__extract_addr(d->addr);
		struct dp_zc_rx_slot *s = rx_find(z, a);
		bool frag = z->rx_in_frag || (d->options & XDP_PKT_CONTD);

		z->rx_in_frag = d->options & XDP_PKT_CONTD;
		if (!s) {
			z->st.rx_bad_desc++;
			continue;
		}
		s->done = true;
		/* the frame must start right after the header it gets (in driver
		 * zero-copy mode a tag popped in XDP would move it) */
		if (frag || d->len > z->room || xsk_umem__add_offset_to_addr(d->addr) != a + rx_off) {
			/* a frame over several buffers: XDP lets none through;
			 * the buffer goes back unused */
			z->st.rx_bad_desc++;
			vq_push(vq, s->head, 0);
			continue;
		}
		write_hdr(z->s.area + a + rx_off - z->hdr_len, z->hdr_len);
		/* the kernel wrote the frame into the guest's buffer: QEMU's
		 * own dirty tracking never sees that */
		if (vq->log)
			vu_log_hva(vq->log, vq->mem, z->s.area + a + rx_off - z->hdr_len,
				   z->hdr_len + d->len);
		vq_push(vq, s->head, z->hdr_len + d->len);
		z->st.rx_zc++;
		z->st.rx_bytes += d->len;
	}
	if (n)
		xsk_ring_cons__release(&z->s.rx, n);
	rx_retire(z);
}

static int rx_burst(struct dp_worker *w, struct dp_port *p, struct dp_zc *z)
{
	struct vq *vq = rx_ring(p);
	uint32_t idx = 0, n;

	/* a delivery from another worker holds it for one burst: next loop */
	if (!vq_trylock(vq))
		return 0;
	if (!vq->ready) {
		vq_unlock(vq);
		return 0;
	}
	n = xsk_ring_cons__peek(&z->s.rx, DP_BURST, &idx);
	if (z->host) {
		rx_copy(w->dp, p, z, vq, idx, n);
		vq_flush(vq);
		vq_unlock(vq);
		return (int)n;
	}
	rx_complete(z, vq, idx, n);
	rx_refill(w, p, z, vq);
	if (z->rx_tail != z->rx_head)
		z->rx_starved_at = 0;
	else if (!z->rx_starved_at)
		z->rx_starved_at = clock_now_ns();
	vq_flush(vq);
	vq_unlock(vq);
	if (xsk_ring_prod__needs_wakeup(&z->s.fq))
		xzc_kick_rx(&z->s);
	return (int)n;
}

/* ---- TX ------------------------------------------------------------------ */

/* Take back what the kernel has sent (TX vring locked); returns guest
 * buffers returned. */
static int tx_reap(struct dp_zc *z, struct vq *txq)
{
	uint32_t idx, n = xsk_ring_cons__peek(&z->s.cq, DP_ZC_RING, &idx);
	int pushed = 0;

	if (!n)
		return 0;
	xsk_ring_cons__release(&z->s.cq, n);
	while (n && z->tx_head != z->tx_tail) {
		struct dp_zc_tx_slot *t = &z->tx[z->tx_head % DP_ZC_RING];
		uint32_t need = t->ndesc - z->tx_done_desc;

		if (n < need) {
			z->tx_done_desc += n;
			break;
		}
		n -= need;
		z->tx_done_desc = 0;
		if (t->head != DP_ZC_NO_HEAD) {
			vq_push(txq, t->head, 0);
			z->tx_guest--;
			pushed++;
		}
		z->free_slot[z->nfree++] = t->slot;
		z->tx_head++;
	}
	return pushed;
}

/* Pieces of at most `max` bytes the chain has after `skip` bytes. */
static int count_pieces(const struct vq_chain *c, uint32_t skip, uint32_t max)
{
	int n = 0, s;

	for (s = 0; s < c->nseg; s++) {
		uint32_t l = c->seg[s].len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		skip = 0;
		n += (int)((l + max - 1) / max);
	}
	return n;
}

/* Descriptors on the TX ring the kernel has not taken yet. */
static uint32_t tx_unsent(const struct dp_zc *z)
{
	return z->s.tx.cached_prod - __atomic_load_n(z->s.tx.consumer, __ATOMIC_ACQUIRE);
}

/* Copy mode sends in the kick (sendto), 32 descriptors a call at most
 * (the kernel's TX batch): kick while some are left, a few times; none
 * when the ring is empty (completions need no kick). */
static void tx_kick(struct dp_zc *z)
{
	int i;

	for (i = 0; i < 4 && tx_unsent(z) && xsk_ring_prod__needs_wakeup(&z->s.tx); i++)
		xzc_kick_tx(&z->s);
}

int dp_zc_tx(struct dp_worker *w, struct dp_port *src, int *idx, int k, uint32_t skip)
{
	struct dp_zc *z = src->zc;
	struct vq *txq = tx_ring(src);
	uint32_t pos, d, sent = 0, guest_max;
	int j, left = 0;

	if (!z || !__atomic_load_n(&z->active, __ATOMIC_ACQUIRE))
		return k;
	tx_reap(z, txq);
	guest_max = txq->size / 2 ? txq->size / 2 : 1;
	for (j = 0; j < k; j++) {
		int i = idx[j], npieces = 0;
		struct vq_chain *c = &w->chains[i];
		uint32_t len = w->len[i], hl, nd, chunk = z->s.chunk, wire;
		uint64_t *count;
		bool whole;
		uint8_t *sb;

		wire = len + (w->vlan[i] ? VLAN_HLEN : 0);
		if (z->host)
			count = &z->st.tx_copy_host;
		else if (z->tx_mode == DP_ZC_TX_COPY ||
			 (z->tx_mode == DP_ZC_TX_AUTO && !z->s.zerocopy))
			count = &z->st.tx_copy_mode;
		else if (len < DP_ZC_TX_CUTOFF)
			count = &z->st.tx_copy_small;
		else if (!z->s.sg)
			count = &z->st.tx_copy_nosg;
		else if (z->tx_guest >= guest_max)
			count = &z->st.tx_copy_busy;
		else if ((npieces = count_pieces(c, skip + w->hcap[i], chunk)) > ZC_TX_MAX_DESC - 1)
			count = &z->st.tx_copy_segs;
		else
			count = NULL;
		whole = count != NULL;
		nd = whole ? 1 : 1 + (uint32_t)npieces;
		if (!z->nfree || z->tx_tail - z->tx_head >= DP_ZC_RING || (whole && wire > DP_ZC_SLOT) ||
		    xsk_prod_nb_free(&z->s.tx, nd) < nd) {
			z->st.tx_full += !(whole && wire > DP_ZC_SLOT);
			idx[left++] = i; /* the uplink's copy path takes it */
			continue;
		}
		xsk_ring_prod__reserve(&z->s.tx, nd, &pos);
		z->tx[z->tx_tail % DP_ZC_RING] = (struct dp_zc_tx_slot){
			.head = whole ? DP_ZC_NO_HEAD : c->head,
			.ndesc = (uint16_t)nd,
			.slot = z->free_slot[--z->nfree],
		};
		sb = z->s.area + z->tx[z->tx_tail % DP_ZC_RING].slot;
		/* the checked copy first (the Ethernet header, and all that
		 * was judged), then the rest from guest memory */
		hl = dp_put_l2(sb, w->hdr[i], w->vlan[i]);
		memcpy(sb + hl, w->hdr[i] + ETH_HLEN, w->hcap[i] - ETH_HLEN);
		hl += w->hcap[i] - ETH_HLEN;
		if (whole) {
			vq_iov_read(c->seg, c->nseg, skip + w->hcap[i], sb + hl, len - w->hcap[i]);
			*xsk_ring_prod__tx_desc(&z->s.tx, pos) = (struct xdp_desc){
				.addr = z->tx[z->tx_tail % DP_ZC_RING].slot, .len = wire };
			(*count)++;
		} else {
			uint32_t s, sk = skip + w->hcap[i];

			*xsk_ring_prod__tx_desc(&z->s.tx, pos) = (struct xdp_desc){
				.addr = z->tx[z->tx_tail % DP_ZC_RING].slot,
				.len = hl,
				.options = XDP_PKT_CONTD,
			};
			d = 1;
			for (s = 0; s < c->nseg; s++) {
				uint32_t l = c->seg[s].len, o = 0;

				if (sk >= l) {
					sk -= l;
					continue;
				}
				o = sk;
				sk = 0;
				while (o < l) {
					uint32_t piece = l - o < chunk ? l - o : chunk;
					struct xdp_desc *x = xsk_ring_prod__tx_desc(&z->s.tx, pos + d);

					/* guest memory lies in the area (the span) */
					x->addr = (uint64_t)(c->seg[s].base + o - z->s.area);
					x->len = piece;
					x->options = ++d < nd ? XDP_PKT_CONTD : 0;
					o += piece;
				}
			}
			w->held[i] = true;
			z->tx_guest++;
			z->st.tx_zc++;
		}
		z->st.tx_bytes += wire;
		z->tx_tail++;
		sent += nd;
	}
	if (sent) {
		xsk_ring_prod__submit(&z->s.tx, sent);
		tx_kick(z);
	}
	return left;
}

int dp_zc_poll(struct dp_worker *w, struct dp_port *p)
{
	struct dp_zc *z = p->zc;
	struct vq *txq;
	int n;

	if (!z || !__atomic_load_n(&z->active, __ATOMIC_ACQUIRE))
		return 0;
	n = rx_burst(w, p, z);
	/* completions come while the guest sends nothing: reap here too */
	if (z->tx_head != z->tx_tail) {
		txq = tx_ring(p);
		if (vq_trylock(txq)) {
			if (txq->ready && tx_reap(z, txq))
				vq_flush(txq);
			vq_unlock(txq);
		}
		/* what a kick left on the ring (a full completion ring
		 * stopped the kernel until reaped) */
		tx_kick(z);
	}
	/* the guest's TX buffers the kernel holds come back on completions,
	 * which wake nobody: while some are out, the worker does not sleep
	 * (it naps) — a guest's TCP waits for its buffers; so for a while
	 * when the kernel is out of RX buffers (ZC_STARVED_POLL_NS) */
	/* (not for rings a stopped or disabled guest will not serve: a worker
	 * would spin for it) */
	return n + (z->tx_head != z->tx_tail && __atomic_load_n(&tx_ring(p)->ready, __ATOMIC_RELAXED)) +
	       (z->rx_starved_at && __atomic_load_n(&rx_ring(p)->ready, __ATOMIC_RELAXED) &&
		clock_now_ns() - z->rx_starved_at < ZC_STARVED_POLL_NS);
}

/* ---- building and tearing down (control thread) ------------------------ */

static void zc_fail(struct dp_port *p, struct dp_zc *z, const char *why, int err)
{
	if (z->why != why || z->why_err != err)
		log_msg(LOG_LVL_WARN, p->name, "zero-copy not available: %s%s%s", why,
			err ? ": " : "", err ? strerror(err) : "");
	z->why = why;
	z->why_err = err;
}

/* The socket over guest memory: scratch, then guest RAM (the zero-copy
 * path). */
static int open_guest(struct dp_port *p, struct dp_zc *z, const struct uplink *up,
		      const struct vu_mem *m, const char **why)
{
	uint32_t room, chunk, hr;
	struct xzc_opts o;

	if (!m->span_len) {
		*why = "guest memory is not mapped as one range (zero-copy was configured after "
		       "the guest's memory table)";
		return -EINVAL;
	}
	/* rx_refill lends single buffers in ring order and gives unfit ones
	 * back (vq_unpop): written for split rings */
	if (p->dev.features & (1ull << VIRTIO_F_RING_PACKED)) {
		*why = "the VM's rings are packed: zero-copy into its memory needs split rings";
		return -EOPNOTSUPP;
	}
	/* lent buffers come back out of order (a port set up for zero-copy
	 * does not offer IN_ORDER; this is one that had it before) */
	if (p->dev.features & (1ull << VIRTIO_F_IN_ORDER)) {
		*why = "the VM negotiated IN_ORDER: zero-copy returns its buffers out of order";
		return -EOPNOTSUPP;
	}
	if (zc_layout(p->mtu, &room, &chunk, &hr)) {
		*why = "the port's MTU is too large for a UMEM chunk";
		return -EMSGSIZE;
	}
	o = (struct xzc_opts){
		.ifname = up->ifname,
		.qid = z->qid,
		.area = m->scratch,
		.len = m->span_len,
		.chunk = chunk,
		.headroom = hr,
		.ring_size = DP_ZC_RING,
		/* copy mode only, see "Driver zero-copy" in zc.h */
		.copy_only = true,
		.want_sg = up->sg, /* multi-buffer TX where the uplink has it */
	};
	z->room = room;
	z->scratch_len = m->scratch_len;
	return xzc_open(&z->s, &o, why);
}

/* The fallback: the same socket on the same queue over host memory, so
 * the VM's frames on its queue still arrive (copied into the guest) and
 * its frames still leave (copied into scratch). */
static int open_host(struct dp_port *p, struct dp_zc *z, const struct uplink *up,
		     const char **why)
{
	uint32_t room, chunk, hr, idx, i;
	struct xzc_opts o;
	int err;

	if (zc_layout(p->mtu, &room, &chunk, &hr)) {
		*why = "the port's MTU is too large for a UMEM chunk";
		return -EMSGSIZE;
	}
	z->host_len = DP_ZC_SCRATCH + (size_t)DP_ZC_RING * chunk;
	z->host_area = mmap(NULL, z->host_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->host_area == MAP_FAILED) {
		z->host_area = NULL;
		*why = "out of memory";
		return -ENOMEM;
	}
	o = (struct xzc_opts){
		.ifname = up->ifname,
		.qid = z->qid,
		.area = z->host_area,
		.len = z->host_len,
		.chunk = chunk,
		.headroom = hr,
		.ring_size = DP_ZC_RING,
		.copy_only = !up->zerocopy,
		.want_sg = false,
	};
	err = xzc_open(&z->s, &o, why);
	if (err) {
		munmap(z->host_area, z->host_len);
		z->host_area = NULL;
		return err;
	}
	z->room = room;
	z->scratch_len = DP_ZC_SCRATCH;
	/* every RX frame on the fill ring (it holds as many) */
	if (xsk_ring_prod__reserve(&z->s.fq, DP_ZC_RING, &idx) == DP_ZC_RING) {
		for (i = 0; i < DP_ZC_RING; i++)
			*xsk_ring_prod__fill_addr(&z->s.fq, idx + i) = DP_ZC_SCRATCH + (uint64_t)i * chunk;
		xsk_ring_prod__submit(&z->s.fq, DP_ZC_RING);
	}
	return 0;
}

static void close_socket(struct dp_zc *z)
{
	xzc_close(&z->s);
	if (z->host_area)
		munmap(z->host_area, z->host_len);
	z->host_area = NULL;
}

static int zc_build(struct dp *dp, struct dp_port *p)
{
	struct dp_zc *z = p->zc;
	struct dp_port *upp = __atomic_load_n(&dp->ports[z->uplink], __ATOMIC_ACQUIRE);
	struct uplink *up = upp && upp->type == DP_PORT_UPLINK ? upp->up : NULL;
	const struct vu_mem *m = p->dev.mem;
	struct vq *rxq = rx_ring(p);
	/* edge-triggered: frames a disabled RX ring cannot take do not keep
	 * its worker awake (vring_ready wakes it when the ring is back) */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = UINT32_MAX - 1 };
	const char *why = NULL, *host_why = NULL;
	bool ready;
	uint32_t i;
	int err, gerr;

	if (!up || !dp->maps) {
		zc_fail(p, z, "the uplink is not open", 0);
		return -ENODEV;
	}
	if (z->qid >= up->n_rx_queues) {
		zc_fail(p, z, "the uplink has no such queue", 0);
		return -EINVAL;
	}
	vq_lock(rxq);
	ready = rxq->ready;
	z->hdr_len = rxq->hdr_len;
	vq_unlock(rxq);
	if (!ready || !m)
		return -EAGAIN; /* not yet: the guest is not running */
	if (z->force_host) {
		gerr = -EMSGSIZE;
		why = "the guest's RX buffers are too small (or chained) for zero-copy at this mtu";
	} else {
		gerr = open_guest(p, z, up, m, &why);
	}
	if (gerr == -EBUSY && clock_now_ns() < z->busy_until) {
		/* our own last socket still leaving the queue: again at the
		 * next tick (dp_zc_service) */
		__atomic_store_n(&z->want, 1, __ATOMIC_RELEASE);
		return gerr;
	}
	z->host = gerr != 0;
	if (gerr) {
		err = open_host(p, z, up, &host_why);
		if (err == -EBUSY && clock_now_ns() < z->busy_until) {
			__atomic_store_n(&z->want, 1, __ATOMIC_RELEASE); /* next tick */
			return err;
		}
		if (err) {
			zc_fail(p, z, host_why, -err);
			return err;
		}
	}
	z->slot = up->xsk_base + z->qid;
	z->rx_head = z->rx_tail = 0;
	z->rx_in_frag = false;
	z->unfit_seen = false;
	z->unfit_since = 0;
	z->want_host = 0;
	z->rx_starved_at = 0;
	z->tx_head = z->tx_tail = z->tx_done_desc = z->tx_guest = 0;
	z->nfree = 0;
	for (i = 0; i < DP_ZC_RING && (i + 1) * DP_ZC_SLOT <= z->scratch_len; i++)
		z->free_slot[z->nfree++] = i * DP_ZC_SLOT;
	z->worker = p->owner[0];
	if (epoll_ctl(dp->workers[z->worker].epfd, EPOLL_CTL_ADD, z->s.fd, &ev) ||
	    bpf_map_update_elem(dp->maps->xsks, &z->slot, &z->s.fd, BPF_ANY)) {
		err = -errno;
		epoll_ctl(dp->workers[z->worker].epfd, EPOLL_CTL_DEL, z->s.fd, NULL);
		close_socket(z);
		zc_fail(p, z, "cannot register the socket", -err);
		return err;
	}
	z->up = true;
	if (z->host)
		zc_fail(p, z, why, z->force_host ? 0 : -gerr); /* up, but copying: say why */
	else
		z->why = NULL, z->why_err = 0;
	z->st.builds++;
	__atomic_store_n(&z->active, 1, __ATOMIC_RELEASE);
	dp_wake(dp);
	if (z->host)
		log_msg(LOG_LVL_INFO, p->name, "queue %u of %s over host memory: the copy path",
			z->qid, up->ifname);
	else
		log_msg(LOG_LVL_INFO, p->name,
			"zero-copy through %s queue %u (%s AF_XDP%s, chunk %u, room %u): %llu MiB "
			"of guest memory pinned",
			up->ifname, z->qid, z->s.zerocopy ? "zero-copy" : "copy-mode",
			z->s.sg ? ", multi-buffer" : "", z->s.chunk, z->room,
			(unsigned long long)(m->total >> 20));
	return 0;
}

void dp_zc_down(struct dp *dp, struct dp_port *p, const char *why)
{
	struct dp_zc *z = p->zc;
	struct vq *rxq = rx_ring(p), *txq = tx_ring(p);
	uint32_t i;

	if (!z || !z->up)
		return;
	/* no more frames to it; then no worker uses it; then the kernel lets
	 * go of its buffers */
	if (dp->maps)
		bpf_map_delete_elem(dp->maps->xsks, &z->slot);
	__atomic_store_n(&z->active, 0, __ATOMIC_RELEASE);
	dp_sync(dp);
	/* Frames the kernel wrote into guest buffers go to the guest, not back
	 * as unused buffers holding a frame: the RX ring is complete once
	 * every XDP run that could still see the socket in the map is over
	 * (an RCU grace period: MEMBARRIER_CMD_GLOBAL; if it fails, frames
	 * in flight this very moment are returned as unused). */
	if (!z->host) {
		uint32_t idx = 0, n;

		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		vq_lock(rxq);
		n = xsk_ring_cons__peek(&z->s.rx, DP_ZC_RING, &idx);
		if (rxq->used && rxq->size)
			rx_complete(z, rxq, idx, n);
		vq_unlock(rxq);
	}
	epoll_ctl(dp->workers[z->worker].epfd, EPOLL_CTL_DEL, z->s.fd, NULL);
	close_socket(z);
	z->up = false;
	z->st.teardowns++;
	z->busy_until = clock_now_ns() + ZC_BUSY_RETRY_NS;
	/* built again once the rings can take it (dp_zc_service): a ring
	 * that starts again says so itself, but a new memory table under
	 * running rings makes no vring ready */
	__atomic_store_n(&z->want, 1, __ATOMIC_RELEASE);
	dp_notify(dp);

	/* every buffer it held goes back to the guest: the rings are still
	 * ours (the caller has not stopped them yet) */
	vq_lock(rxq);
	for (i = z->rx_head; i != z->rx_tail; i++) {
		struct dp_zc_rx_slot *s = &z->rx[i % DP_ZC_RING];

		if (!s->done && rxq->used && rxq->size) {
			vq_push(rxq, s->head, 0);
			z->st.rx_returned++;
		}
	}
	if (rxq->used && rxq->size)
		vq_flush(rxq);
	vq_unlock(rxq);
	z->rx_head = z->rx_tail = 0;
	vq_lock(txq);
	for (i = z->tx_head; i != z->tx_tail; i++) {
		struct dp_zc_tx_slot *t = &z->tx[i % DP_ZC_RING];

		if (t->head != DP_ZC_NO_HEAD && txq->used && txq->size)
			vq_push(txq, t->head, 0);
	}
	if (txq->used && txq->size)
		vq_flush(txq);
	vq_unlock(txq);
	z->tx_head = z->tx_tail = z->tx_guest = z->tx_done_desc = 0;
	log_msg(LOG_LVL_DEBUG, p->name, "zero-copy socket closed: %s", why);
}

void dp_zc_service(struct dp *dp)
{
	uint16_t i, hw = dp->nports_hw;

	for (i = 0; i < hw; i++) {
		struct dp_port *p = dp->ports[i];

		if (!p || !p->zc || !p->zc->configured)
			continue;
		if (p->zc->up && !p->zc->host &&
		    __atomic_exchange_n(&p->zc->want_host, 0, __ATOMIC_ACQ_REL)) {
			dp_zc_down(dp, p, "guest RX buffers unfit for zero-copy");
			p->zc->force_host = true;
			p->zc->st.fallbacks++;
		}
		if (!p->zc->up && __atomic_exchange_n(&p->zc->want, 0, __ATOMIC_ACQ_REL))
			zc_build(dp, p);
	}
}

int dp_zc_configure(struct dp *dp, struct dp_port *p, uint16_t uplink, uint16_t qid,
		    enum dp_zc_tx tx)
{
	struct dp_zc *z = p->zc;

	if (z && z->configured && (z->uplink != uplink || z->qid != qid))
		dp_zc_unconfigure(dp, p);
	if (!p->zc) {
		z = aligned_alloc(64, (sizeof(*z) + 63) & ~(size_t)63);
		if (!z)
			return -ENOMEM;
		memset(z, 0, sizeof(*z));
		z->s.fd = -1;
		p->zc = z;
	}
	z = p->zc;
	z->uplink = uplink;
	z->qid = qid;
	z->tx_mode = tx;
	if (!z->configured)
		__atomic_fetch_add(&dp->zc_ports, 1, __ATOMIC_RELAXED);
	z->configured = true;
	/* guest memory is mapped with scratch in front from the next table */
	p->dev.mem_scratch = DP_ZC_SCRATCH;
	__atomic_store_n(&z->want, 1, __ATOMIC_RELEASE);
	dp_notify(dp);
	return 0;
}

void dp_zc_unconfigure(struct dp *dp, struct dp_port *p)
{
	if (!p->zc)
		return;
	dp_zc_down(dp, p, "zero-copy unconfigured");
	if (p->zc->configured)
		__atomic_fetch_sub(&dp->zc_ports, 1, __ATOMIC_RELAXED);
	p->zc->configured = false;
	p->dev.mem_scratch = 0;
}
