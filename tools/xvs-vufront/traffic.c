// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data path: what the guest's virtio-net driver does, in one thread.
 *
 * TX frames are UDP/IPv4 (or IPv6) built with tools/lib/frame.h. A payload
 * made by frame_payload(seq) is the seq, then bytes (seq * 31 + i) mod 256,
 * which depend on seq mod 256 only: 256 frames are built once, and a frame
 * is sent by copying the one for seq mod 256 and patching the seq, the UDP
 * source port (1000 + queue) and the UDP checksum (RFC 1624), or putting
 * the seed there (--tx-csum partial). --proto tcp frames: offload.c.
 *
 * Per queue pair and loop pass: reclaim used TX slots; receive up to a
 * burst (check, echo, re-post the buffers: one avail->idx store); send up
 * to a burst (one avail->idx store, a kick only if the back-end wants it).
 * When passes find nothing to do for --spin-us, the thread arms the call
 * eventfds it needs and sleeps in ppoll() (or spins on with --busy).
 *
 * Receive checks, per frame: the virtio-net header (offload.c: no GSO or
 * NEEDS_CSUM but what was negotiated), Ethernet/IP/UDP lengths,
 * frame_payload_check(), the UDP checksum when the header vouches for it
 * or seeds it; TCP frames go to offload.c. The
 * sequence is tracked per flow (source MAC + UDP source port, so one per
 * sending queue): gaps are lost, a late frame seen as lost is reordered
 * (and no longer lost), one seen before is a duplicate; a frame more than
 * VF_FLOW_WIN behind starts the flow over (the sender was restarted).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "frame.h"
#include "vufront.h"

#define VF_NS 1000000000ull
#define VF_IDLE_MAX_NS 100000000ull /* longest sleep: re-check stalls, socket */
#define VF_SOCK_CHECK_NS 100000000ull
#define VF_TMPL_N 256
#define VF_GAPS_LOGGED 16 /* -vv: the first gaps, while rx_lost is below this */
#define VF_SLOT_HEAD 64 /* slot: header area, then the frame */
#define VF_TSO_SLOTS 256 /* TX slots per queue at most for frames over VF_FRAME_MAX */

_Static_assert(VF_FRAME_MAX == FRAME_MAX, "frames are built with frame.h");

struct vf_tmpl {
	uint8_t *frames; /* VF_TMPL_N frames, stride apart: seq mod 256 */
	uint32_t len, stride;
};

volatile int vf_stop;

uint64_t vf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * VF_NS + (uint64_t)ts.tv_nsec;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- setup ---------------------------------------------------------- */

static int tmpl_build(struct vf_dev *d)
{
	const struct vf_opts *o = d->o;
	struct vf_tmpl *t;
	struct frame *f;
	unsigned int s;
	int len, err = 0;

	t = calloc(1, sizeof(*t));
	f = malloc(sizeof(*f));
	if (!t || !f)
		goto err_nomem;
	t->len = o->size;
	t->stride = (o->size + VF_CACHE_LINE - 1) / VF_CACHE_LINE * VF_CACHE_LINE;
	t->frames = malloc((size_t)t->stride * VF_TMPL_N);
	if (!t->frames)
		goto err_nomem;
	for (s = 0; s < VF_TMPL_N; s++) {
		frame_init(f);
		frame_eth(f, o->dst, o->mac);
		if (o->ipv6)
			frame_ip6(f, VF_IP6_SRC, VF_IP6_DST);
		else
			frame_ip4(f, VF_IP_SRC, VF_IP_DST, 0);
		frame_udp(f, VF_SPORT_BASE, VF_DPORT);
		frame_payload(f, o->size - d->pay_off, s);
		len = frame_finish(f);
		if (len != (int)o->size) {
			err = len < 0 ? len : -EINVAL;
			log_err("building a %u-byte frame: %s", o->size, strerror(-err));
			goto err_free;
		}
		memcpy(t->frames + (size_t)s * t->stride, f->buf, o->size);
	}
	/* the same for every frame: addresses, protocol, length */
	d->udp_seed = frame_csum(NULL, 0, frame_pseudo_sum(f->buf + VF_ETH_HLEN,
							   o->size - d->l4_off, IPPROTO_UDP));
	free(f);
	d->tmpl = t;
	return 0;

err_nomem:
	err = -ENOMEM;
err_free:
	if (t)
		free(t->frames);
	free(t);
	free(f);
	return err;
}

static uint64_t gpa(struct vf_dev *d, const void *p)
{
	return vf_mem_gpa(&d->mem, p);
}

/* --echo: the largest frame it may have to reflect. */
static uint32_t echo_cap(const struct vf_dev *d)
{
	uint64_t tso = 1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6;

	return d->features & tso ? VF_TSO_FRAME_MAX : VF_FRAME_MAX;
}

/* IN_ORDER negotiated: the ring's used entries are checked for order */
static int order_check_init(struct vf_dev *d, struct vf_vq *vq)
{
	if (!d->in_order)
		return 0;
	vq->seq = calloc(vq->num, sizeof(*vq->seq));
	if (!vq->seq)
		return -ENOMEM;
	vq->order_err = &d->st.used_order_err;
	return 0;
}

static int txq_init(struct vf_dev *d, unsigned int q)
{
	const struct vf_opts *o = d->o;
	struct vf_txq *tx = &d->qp[q].tx;
	struct vring_desc *desc;
	unsigned int s, h, k, at;
	uint8_t *buf;
	int err;

	err = vf_vq_init(&tx->vq, &d->mem, 2 * q + 1, o->ring_size, d->packed, d->event_idx,
			 &d->st.kicks);
	err = err ?: order_check_init(d, &tx->vq);
	if (err)
		return err;
	desc = tx->vq.desc;
	tx->frame_cap = o->size + 4;
	if (o->echo && tx->frame_cap < echo_cap(d))
		tx->frame_cap = echo_cap(d);
	/* --tx-frag: the frame in pieces of that many bytes, apart */
	tx->frag = o->tx_frag ? o->tx_frag : tx->frame_cap;
	tx->frag_stride = o->tx_frag ? o->tx_frag + VF_FRAG_GAP : tx->frame_cap;
	tx->npieces = (o->size + tx->frag - 1) / tx->frag;
	/* single: header and piece 0 in one descriptor; split: a chain of
	 * the header and the pieces; indirect: that chain in a table */
	tx->dps = o->layout == VF_TX_SINGLE ? tx->npieces :
		  o->layout == VF_TX_SPLIT  ? 1 + tx->npieces :
					      1;
	if (tx->dps + (o->layout == VF_TX_INDIRECT ? tx->npieces : 0) > o->ring_size) {
		log_err("--tx-frag %u: %u pieces a frame, more descriptors than the ring has",
			o->tx_frag, tx->npieces);
		return -EINVAL;
	}
	tx->nslots = o->ring_size / tx->dps;
	/* TSO frames: 16 MiB of them in flight are plenty */
	if (tx->frame_cap > VF_FRAME_MAX && tx->nslots > VF_TSO_SLOTS)
		tx->nslots = VF_TSO_SLOTS;
	tx->sport = (uint16_t)(VF_SPORT_BASE + q);
	if (o->proto == VF_PROTO_TCP)
		vf_tcp_init(d, tx);
	tx->slots = calloc(tx->nslots, sizeof(*tx->slots));
	tx->free = calloc(tx->nslots, sizeof(*tx->free));
	tx->inflight = calloc(tx->nslots, 1);
	if (!tx->slots || !tx->free || !tx->inflight)
		return -ENOMEM;

	for (s = 0; s < tx->nslots; s++) {
		struct vf_slot *sl = &tx->slots[s];
		bool ind = o->layout == VF_TX_INDIRECT;
		/* the chain in the ring's table, or in its indirect table
		 * (a packed ring's in packed form) */
		void *chain = desc;
		bool packed_table = ind && d->packed;

		h = s * tx->dps;
		buf = vf_mem_alloc(&d->mem, VF_SLOT_HEAD + (size_t)tx->npieces * tx->frag_stride,
				   VF_CACHE_LINE);
		if (!buf)
			goto err_mem;
		/* single: header right before the frame; split and indirect:
		 * apart, so a back-end that assumes contiguity reads junk. */
		sl->hdr = o->layout == VF_TX_SINGLE ? buf + VF_SLOT_HEAD - d->hdr_len : buf;
		sl->frame = buf + VF_SLOT_HEAD;
		if (ind) {
			sl->ind = vf_mem_alloc(&d->mem, (1 + tx->npieces) * sizeof(*sl->ind), 16);
			if (!sl->ind)
				goto err_mem;
			chain = sl->ind;
			desc[h] = (struct vring_desc){ .addr = gpa(d, sl->ind),
						       .len = (1 + tx->npieces) * sizeof(*sl->ind),
						       .flags = VRING_DESC_F_INDIRECT };
		}
		/* links written once; lengths and the end: vf_tx_set_len() */
		at = ind ? 0 : h;
		if (o->layout != VF_TX_SINGLE)
			vf_desc_put(chain, packed_table, at++, gpa(d, sl->hdr), d->hdr_len,
				    VRING_DESC_F_NEXT);
		for (k = 0; k < tx->npieces; k++, at++) {
			uint8_t *piece = sl->frame + (size_t)k * tx->frag_stride;

			/* single: piece 0 right behind the header, in its descriptor */
			vf_desc_put(chain, packed_table, at,
				    gpa(d, o->layout == VF_TX_SINGLE && !k ? sl->hdr : piece), 0, 0);
		}
		tx->free[tx->nslots - 1 - s] = (uint16_t)s; /* pops 0, 1, 2 ... */
	}
	tx->nfree = tx->nslots;
	tx->remaining = o->send / d->nqp + (q < o->send % d->nqp);
	return 0;

err_mem:
	log_err("guest memory too small for %u TX slots of %u bytes (raise --mem)", tx->nslots,
		tx->frame_cap);
	return -ENOMEM;
}

static int rxq_init(struct vf_dev *d, unsigned int q)
{
	const struct vf_opts *o = d->o;
	struct vf_rxq *rx = &d->qp[q].rx;
	uint16_t flags = VRING_DESC_F_WRITE;
	uint32_t guard = o->canary ? VF_CANARY_GUARD : 0;
	unsigned int i;
	uint8_t *b;
	int err;

	err = vf_vq_init(&rx->vq, &d->mem, 2 * q, o->ring_size, d->packed, d->event_idx,
			 &d->st.kicks);
	err = err ?: order_check_init(d, &rx->vq);
	if (err)
		return err;
	err = o->evil ? vf_evil_rx_post(d, rx) : 0;
	if (err)
		return err < 0 ? err : 0;
	if (o->evil == VF_EVIL_RX_DESC_READONLY)
		flags = 0;
	rx->buf_len = d->rx_buf;
	/* --canary: [guard][buffer ... up to the next guard], no gaps */
	rx->slot_len = (d->rx_buf + VF_CACHE_LINE - 1) / VF_CACHE_LINE * VF_CACHE_LINE;
	rx->bufs = calloc(o->ring_size, sizeof(*rx->bufs));
	rx->inflight = calloc(o->ring_size, 1);
	rx->repost = calloc(o->ring_size, sizeof(*rx->repost));
	if (!rx->bufs || !rx->inflight || !rx->repost)
		return -ENOMEM;
	/* Linux with MRG_RXBUF: one descriptor per buffer; without it we post
	 * single descriptors too, so --rx-buf must hold a whole frame. */
	for (i = 0; i < o->ring_size; i++) {
		b = vf_mem_alloc(&d->mem, guard + rx->slot_len, VF_CACHE_LINE);
		if (!b)
			goto err_mem;
		rx->bufs[i] = b + guard;
		rx->vq.desc[i] = (struct vring_desc){ .addr = gpa(d, rx->bufs[i]),
						      .len = rx->buf_len,
						      .flags = flags };
		rx->inflight[i] = 1;
		vf_vq_add(&rx->vq, (uint16_t)i);
	}
	if (guard && !(rx->guard_end = vf_mem_alloc(&d->mem, guard, VF_CACHE_LINE)))
		goto err_mem;
	/* Visible before the back-end starts; the kick (an eventfd count it
	 * will find once it has the fd) is decided as for any publish. */
	vf_vq_publish(&rx->vq);
	return 0;

err_mem:
	log_err("guest memory too small for %u RX buffers of %u bytes (raise --mem)", o->ring_size,
		rx->buf_len);
	return -ENOMEM;
}

/* Sealed unless --mem-seal no; the mem-shrink modes choose for themselves. */
static unsigned int mem_flags(const struct vf_opts *o)
{
	bool seal = o->mem_seal;

	if (o->evil == VF_EVIL_MEM_SHRINK)
		seal = false;
	else if (o->evil == VF_EVIL_MEM_SHRINK_SEALED)
		seal = true;
	return (seal ? VF_MEM_SEAL : 0) |
	       (o->evil == VF_EVIL_INDIRECT_STRADDLE ? VF_MEM_CONTIGUOUS : 0);
}

/* Linux's: MTU-sized buffers; with guest TSO mergeable ones of a page, or
 * without MRG_RXBUF buffers that hold a whole TSO frame ("big packets"). */
static uint32_t rx_buf_default(const struct vf_dev *d)
{
	uint64_t tso = 1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6;

	if (!(d->features & tso))
		return VF_DEF_RX_BUF;
	return d->mrg_rxbuf ? VF_RX_BUF_TSO : d->hdr_len + VF_TSO_FRAME_MAX;
}

int vf_traffic_init(struct vf_dev *d)
{
	const struct vf_opts *o = d->o;
	unsigned int q;
	int err;

	d->rx_buf = o->rx_buf ? o->rx_buf : rx_buf_default(d);
	if (d->rx_buf <= d->hdr_len) {
		log_err("--rx-buf %u: must exceed the %u-byte virtio-net header", d->rx_buf,
			d->hdr_len);
		return -EINVAL;
	}
	err = vf_ofl_init(d);
	if (err)
		return err;
	if (o->layout == VF_TX_INDIRECT && !d->indirect && !o->evil) {
		log_err("--tx-layout indirect: VIRTIO_RING_F_INDIRECT_DESC not negotiated");
		return -EOPNOTSUPP;
	}
	err = vf_mem_init(&d->mem, o->mem_size, o->regions, mem_flags(o));
	if (err) {
		log_err("guest memory (--mem %zu MiB, --regions %u): %s", o->mem_size >> 20,
			o->regions, strerror(-err));
		return err;
	}
	d->qp = aligned_alloc(VF_CACHE_LINE, sizeof(*d->qp) * d->nqp);
	d->flows = calloc(VF_FLOWS, sizeof(*d->flows));
	d->scratch = malloc(VF_RX_SCRATCH);
	if (!d->qp || !d->flows || !d->scratch)
		return -ENOMEM;
	memset(d->qp, 0, sizeof(*d->qp) * d->nqp);
	for (q = 0; q < d->nqp; q++) {
		d->qp[q].rx.vq.kickfd = d->qp[q].rx.vq.callfd = -1;
		d->qp[q].tx.vq.kickfd = d->qp[q].tx.vq.callfd = -1;
	}
	err = o->proto == VF_PROTO_UDP ? tmpl_build(d) : 0;
	if (err)
		return err;
	for (q = 0; q < d->nqp; q++) {
		err = rxq_init(d, q);
		if (err)
			return err;
		err = txq_init(d, q);
		if (err)
			return err;
	}
	log_info("guest memory: %zu MiB in %u region(s), %zu KiB used", d->mem.size >> 20,
		 d->mem.nregions, d->mem.used >> 10);
	if (o->canary)
		vf_canary_init(d);
	return 0;
}

void vf_traffic_free(struct vf_dev *d)
{
	unsigned int q;

	for (q = 0; d->qp && q < d->nqp; q++) {
		struct vf_qp *qp = &d->qp[q];

		vf_vq_close(&qp->rx.vq);
		vf_vq_close(&qp->tx.vq);
		free(qp->rx.bufs);
		free(qp->rx.inflight);
		free(qp->rx.repost);
		free(qp->tx.slots);
		free(qp->tx.free);
		free(qp->tx.inflight);
	}
	free(d->qp);
	d->qp = NULL;
	if (d->tmpl)
		free(d->tmpl->frames);
	free(d->tmpl);
	d->tmpl = NULL;
	free(d->flows);
	d->flows = NULL;
	free(d->scratch);
	d->scratch = NULL;
	vf_mem_free(&d->mem);
}

/* ---- TX ------------------------------------------------------------- */

/* Ones' complement update of a checksum for one 16-bit word (RFC 1624). */
static inline uint32_t csum_replace(uint32_t sum, uint16_t old, uint16_t new_w)
{
	return sum + (uint16_t)~old + new_w;
}

/* --src-vary, --tx-vlan: the frame as a guest attacking the switch's L2
 * rules would send it (the slot has room for the tag: frame_cap). */
static uint32_t tx_misbehave(const struct vf_dev *d, uint8_t *p, uint32_t len, uint32_t seq)
{
	const struct vf_opts *o = d->o;
	uint32_t h;

	if (o->src_vary) {
		/* a bijection of seq % N: N distinct locally administered MACs */
		h = (seq % o->src_vary) * 2654435761u;
		p[6] = 0x02;
		p[7] = 0x5a;
		put16(p + 8, (uint16_t)(h >> 16));
		put16(p + 10, (uint16_t)h);
	}
	if (o->tx_vlan) {
		memmove(p + 16, p + 12, len - 12);
		put16(p + 12, o->tx_tpid);
		put16(p + 14, o->tx_vlan);
		len += 4;
	}
	return len;
}

uint32_t vf_tx_fill(struct vf_dev *d, struct vf_txq *tx, unsigned int s, uint32_t seq)
{
	const struct vf_tmpl *t = d->tmpl;
	const uint8_t *src;
	struct vf_slot *sl = &tx->slots[s];
	uint8_t *p = sl->frame, *pl = p + d->pay_off, *udp = p + d->l4_off;
	uint32_t sum;
	uint16_t csum;

	if (d->o->proto == VF_PROTO_TCP)
		return vf_tcp_fill(d, tx, s, seq);
	src = t->frames + (size_t)(seq & (VF_TMPL_N - 1)) * t->stride;
	vf_tx_vnet_hdr(d, sl->hdr);
	memcpy(p, src, t->len);
	/* The template has sport VF_SPORT_BASE and seq bytes 00 00 00 s. */
	sum = (uint16_t)~get16(udp + 6);
	sum = csum_replace(sum, VF_SPORT_BASE, tx->sport);
	sum = csum_replace(sum, 0, (uint16_t)(seq >> 16));
	sum = csum_replace(sum, (uint16_t)(seq & 0xff), (uint16_t)seq);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	csum = (uint16_t)~sum;
	if (d->o->tx_csum_partial)
		csum = d->udp_seed; /* the sum of what varies is left to the device */
	put16(udp, tx->sport);
	put16(pl, (uint16_t)(seq >> 16));
	put16(pl + 2, (uint16_t)seq);
	put16(udp + 6, csum ? csum : 0xffff);
	return tx_misbehave(d, p, t->len, seq);
}

/* --tx-frag: the chain of the header and the pieces that len bytes take,
 * the last without NEXT; entry 0 of the chain (at `at` in `table`) is the
 * header or (single) its piece 0. */
static void tx_set_pieces(struct vf_dev *d, struct vf_txq *tx, void *table, bool packed,
			  unsigned int at, uint32_t len)
{
	bool single = d->o->layout == VF_TX_SINGLE;
	unsigned int n = len ? (len + tx->frag - 1) / tx->frag : 1, k, first = at + !single;
	uint32_t l;

	for (k = 0; k < n; k++) {
		l = len - k * tx->frag < tx->frag ? len - k * tx->frag : tx->frag;
		vf_desc_len(table, packed, first + k, l + (single && !k ? d->hdr_len : 0), k + 1 < n);
	}
}

void vf_tx_set_len(struct vf_dev *d, struct vf_txq *tx, unsigned int s, uint32_t len)
{
	unsigned int h = s * tx->dps;
	struct vf_slot *sl = &tx->slots[s];

	if (unlikely(tx->npieces > 1)) {
		if (d->o->layout == VF_TX_INDIRECT) {
			tx_set_pieces(d, tx, sl->ind, d->packed, 0, len);
			tx->vq.desc[h].len =
				(1 + (len + tx->frag - 1) / tx->frag) * sizeof(struct vring_desc);
		} else {
			tx_set_pieces(d, tx, tx->vq.desc, false, h, len);
		}
		return;
	}
	switch (d->o->layout) {
	case VF_TX_SINGLE:
		tx->vq.desc[h].len = d->hdr_len + len;
		break;
	case VF_TX_SPLIT:
		tx->vq.desc[h + 1].len = len;
		break;
	case VF_TX_INDIRECT:
		vf_desc_len(sl->ind, d->packed, 1, len, false);
		break;
	}
}

static unsigned int tx_reclaim(struct vf_dev *d, struct vf_txq *tx)
{
	uint16_t n = vf_vq_used_pending(&tx->vq), i;

	for (i = 0; i < n; i++) {
		uint32_t id = vf_vq_used_elem(&tx->vq, i)->id, s = id / tx->dps;

		vf_vq_used_order(&tx->vq, id);
		if (unlikely(id % tx->dps || s >= tx->nslots || !tx->inflight[s])) {
			d->st.used_err++; /* not a head we posted: drop it */
			continue;
		}
		tx->inflight[s] = 0;
		tx->free[tx->nfree++] = (uint16_t)s;
	}
	tx->vq.last_used += n;
	if (n)
		tx->full_since = 0;
	return n;
}

/* Frames the rate allows now; *next_ns gets when the next one is due.
 * Time lost to a stall (a full ring, a descheduled thread) is made up for
 * up to one ring's worth of frames, then forgotten: the rate is never
 * exceeded by more than that. */
static uint64_t tx_allowed(const struct vf_dev *d, struct vf_txq *tx, uint64_t now,
			   uint64_t *next_ns)
{
	double rate_q = (double)d->o->rate / d->nqp;
	uint64_t target, allowed;

	if (!d->o->rate)
		return UINT64_MAX;
	if (!tx->rate_t0) {
		tx->rate_t0 = now;
		tx->rate_gen = tx->generated;
	}
	target = tx->rate_gen + (uint64_t)(rate_q * (double)(now - tx->rate_t0) / VF_NS) + 1;
	allowed = target > tx->generated ? target - tx->generated : 0;
	if (allowed > tx->nslots) {
		tx->rate_t0 = now;
		tx->rate_gen = tx->generated;
		allowed = 1;
	}
	if (next_ns)
		*next_ns = tx->rate_t0 +
			   (uint64_t)((double)(tx->generated - tx->rate_gen) / rate_q * VF_NS);
	return allowed;
}

static unsigned int tx_send(struct vf_dev *d, struct vf_txq *tx, uint64_t now)
{
	const struct vf_opts *o = d->o;
	uint64_t n = o->burst, allowed;
	unsigned int i, s;
	uint32_t len = 0;

	if (!tx->remaining)
		return 0;
	if (!tx->nfree) {
		if (!tx->full_since) {
			tx->full_since = now;
		} else if (now - tx->full_since > (uint64_t)o->tx_wait_ms * 1000000) {
			log_warn("queue %u: TX ring full for %u ms (avail->idx %u, used->idx %u); "
				 "%llu frame(s) not sent",
				 tx->vq.index / 2, o->tx_wait_ms, vf_vq_base(&tx->vq, tx->vq.avail_idx),
				 vf_vq_used_index(&tx->vq),
				 (unsigned long long)tx->remaining);
			d->st.tx_ring_full += tx->remaining;
			tx->remaining = 0;
			tx->stalled = true;
		}
		return 0;
	}
	allowed = tx_allowed(d, tx, now, NULL);
	if (n > allowed)
		n = allowed;
	if (n > tx->remaining)
		n = tx->remaining;
	if (n > tx->nfree)
		n = tx->nfree;
	for (i = 0; i < n; i++) {
		s = tx->free[--tx->nfree];
		len = vf_tx_fill(d, tx, s, tx->seq++);
		vf_tx_set_len(d, tx, s, len);
		tx->inflight[s] = 1;
		vf_vq_add(&tx->vq, (uint16_t)(s * tx->dps));
	}
	if (!n)
		return 0;
	tx->remaining -= n;
	tx->generated += n;
	d->st.tx_frames += n;
	d->st.tx_bytes += n * len;
	if (o->gso)
		d->st.tx_gso += n;
	if (!d->st.t_first_tx) {
		d->st.t_first_tx = now;
		d->st.tx_bytes0 = d->st.tx_bytes;
	}
	d->st.t_last_tx = now;
	vf_vq_publish(&tx->vq);
	return (unsigned int)n;
}

/* Reflect a received frame (the caller made sure a slot is free) with the
 * offloads its header asks for, as far as we can hand them on. */
static void tx_echo(struct vf_dev *d, struct vf_txq *tx, const struct virtio_net_hdr *h,
		    const uint8_t *f, uint32_t len)
{
	struct vf_slot *sl;
	unsigned int s;

	if (len > tx->frame_cap || len < VF_ETH_HLEN)
		return;
	s = tx->free[tx->nfree - 1];
	sl = &tx->slots[s];
	memcpy(sl->frame, f + 6, 6);
	memcpy(sl->frame + 6, f, 6);
	memcpy(sl->frame + 12, f + 12, len - 12);
	if (!vf_echo_vnet_hdr(d, h, sl->hdr, sl->frame, len))
		return; /* a GSO frame without HOST_TSO: the slot stays free */
	tx->nfree--;
	vf_tx_set_len(d, tx, s, len);
	tx->inflight[s] = 1;
	vf_vq_add(&tx->vq, (uint16_t)(s * tx->dps));
	d->st.tx_frames++;
	d->st.tx_bytes += len;
}

/* ---- RX ------------------------------------------------------------- */

struct vf_flow *vf_flow_get(struct vf_dev *d, const uint8_t *mac, uint16_t sport, uint8_t proto)
{
	uint64_t key = (uint64_t)mac[0] << 56 | (uint64_t)mac[1] << 48 |
		       (uint64_t)mac[2] << 40 | (uint64_t)mac[3] << 32 | (uint64_t)mac[4] << 24 |
		       (uint64_t)mac[5] << 16 | sport;
	unsigned int h = (unsigned int)((key * 0x9e3779b97f4a7c15ull) >> 56), i;

	for (i = 0; i < VF_FLOWS; i++) {
		struct vf_flow *fl = &d->flows[(h + i) & (VF_FLOWS - 1)];

		if (fl->used && fl->key == key && fl->proto == proto)
			return fl;
		if (!fl->used) {
			fl->used = true;
			fl->key = key;
			fl->proto = proto;
			/* every sender starts at seq 0, a TCP stream at its ISN
			 * (as if a frame had ended there: --tx-ecn's CWR) */
			fl->next = proto == IPPROTO_TCP ? VF_TCP_ISN : 0;
			fl->tcp_flags = VF_TCP_PSH;
			return fl;
		}
	}
	return NULL;
}

static inline void bit_set(uint64_t *b, uint32_t n)
{
	b[(n % VF_FLOW_WIN) / 64] |= 1ull << (n % 64);
}

static inline void bit_clear(uint64_t *b, uint32_t n)
{
	b[(n % VF_FLOW_WIN) / 64] &= ~(1ull << (n % 64));
}

static inline bool bit_test(const uint64_t *b, uint32_t n)
{
	return b[(n % VF_FLOW_WIN) / 64] & 1ull << (n % 64);
}

static void flow_track(struct vf_stats *st, struct vf_flow *fl, uint32_t seq)
{
	int32_t ahead = (int32_t)(seq - fl->next);
	uint32_t behind, s;

	if (ahead >= 0) {
		if (ahead && st->rx_lost < VF_GAPS_LOGGED)
			log_dbg("flow %012llx:%u: seq %u..%u missing",
				(unsigned long long)(fl->key >> 16),
				(unsigned int)(fl->key & 0xffff), fl->next, seq - 1);
		st->rx_lost += (uint32_t)ahead;
		if ((uint32_t)ahead >= VF_FLOW_WIN)
			memset(fl->seen, 0, sizeof(fl->seen));
		else
			for (s = fl->next; s != seq; s++)
				bit_clear(fl->seen, s);
		bit_set(fl->seen, seq);
		fl->next = seq + 1;
		return;
	}
	behind = fl->next - seq;
	if (behind >= VF_FLOW_WIN) {
		/* Far behind: the sender started over (a new run against a
		 * long-lived --echo). A new stream, nothing counted. */
		memset(fl->seen, 0, sizeof(fl->seen));
		bit_set(fl->seen, seq);
		fl->next = seq + 1;
		return;
	}
	if (bit_test(fl->seen, seq)) {
		st->rx_dup++;
		return;
	}
	/* Late: counted lost when the gap was seen. */
	bit_set(fl->seen, seq);
	st->rx_reordered++;
	if (st->rx_lost)
		st->rx_lost--;
}

static void rx_check(struct vf_dev *d, const struct virtio_net_hdr *h, const uint8_t *f,
		     uint32_t len)
{
	unsigned int l4;
	struct vf_flow *fl;
	uint8_t proto;
	int64_t seq;
	int kind, r;
	bool v6;

	d->st.rx_frames++;
	d->st.rx_bytes += len;
	kind = vf_rx_vnet_hdr(d, h);
	if (unlikely(kind < 0 || len < VF_ETH_HLEN + 20))
		goto bad;
	v6 = get16(f + 12) == 0x86dd;
	if (v6 ? len < VF_ETH_HLEN + 40 || f[14] >> 4 != 6 :
		 get16(f + 12) != 0x0800 || f[14] >> 4 != 4)
		goto bad;
	proto = v6 ? f[20] : f[23];
	if (proto == IPPROTO_TCP) {
		if (!vf_rx_tcp(d, h, kind, f, len))
			goto bad;
		return;
	}
	/* UDP: ours, unpadded, IPv4 without options */
	l4 = v6 ? VF_ETH_HLEN + 40 : VF_ETH_HLEN + 20;
	if (unlikely(proto != IPPROTO_UDP || (!v6 && f[14] != 0x45) || len < l4 + 8 + 4 ||
		     get16(f + (v6 ? 18 : 16)) != len - (v6 ? l4 : VF_ETH_HLEN) ||
		     get16(f + l4 + 4) != len - l4))
		goto bad;
	seq = frame_payload_check(f + l4 + 8, len - l4 - 8);
	if (unlikely(seq < 0))
		goto bad;
	r = vf_rx_udp_csum(d, h, kind, f, l4, len - l4);
	if (unlikely(r < 0))
		goto bad;
	d->st.rx_csum_bad += r;
	if (d->o->canary && kind != VF_RX_PARTIAL && !frame_l4_csum_ok(f, len))
		goto bad;
	fl = vf_flow_get(d, f + 6, get16(f + l4), IPPROTO_UDP);
	if (fl)
		flow_track(&d->st, fl, (uint32_t)seq);
	return;
bad:
	d->st.rx_bad++;
}

/* A used entry we can take: one of our ids, posted, a sane length. */
static inline bool rx_elem_ok(const struct vf_rxq *rx, uint32_t id, uint32_t len)
{
	return id < rx->vq.num && rx->inflight[id] && len <= rx->buf_len;
}

/* Up to a burst of frames; returns the used entries consumed. */
static unsigned int rx_burst(struct vf_dev *d, struct vf_qp *qp, unsigned int *nframes)
{
	struct vf_rxq *rx = &qp->rx;
	struct vf_vq *vq = &rx->vq;
	unsigned int budget = d->o->burst, frames = 0, nrepost = 0, k;
	uint16_t pending = vf_vq_used_pending(vq), nbufs;

	*nframes = 0;
	if (!pending)
		return 0;
	if (d->o->echo && budget > qp->tx.nfree)
		budget = qp->tx.nfree; /* back-pressure: leave the rest in the ring */
	while (pending && frames < budget) {
		const struct vring_used_elem *e = vf_vq_used_elem(vq, 0);
		uint32_t id = e->id, len = e->len, flen, total;
		const struct virtio_net_hdr *h;
		const uint8_t *f;
		bool ok = true;

		if (unlikely(!rx_elem_ok(rx, id, len) || len < d->hdr_len)) {
			vf_vq_used_order(vq, id);
			/* length 0: given back unused (a ring stop, a teardown) */
			if (!len && id < vq->num && rx->inflight[id])
				d->st.rx_empty++;
			else
				d->st.used_err++;
			if (id < vq->num && rx->inflight[id]) {
				if (d->o->canary)
					vf_canary_rx_used(d, rx, id, len < rx->buf_len ? len : rx->buf_len);
				rx->inflight[id] = 0;
				rx->repost[nrepost++] = (uint16_t)id;
			}
			vq->last_used++;
			pending--;
			continue;
		}
		h = (const struct virtio_net_hdr *)rx->bufs[id];
		nbufs = 1;
		if (d->mrg_rxbuf)
			nbufs = ((const struct virtio_net_hdr_v1 *)h)->num_buffers;
		if (unlikely(nbufs > pending && nbufs <= vq->num))
			break; /* the rest of the frame is not visible yet */
		if (unlikely(!nbufs || nbufs > pending)) {
			nbufs = 1;
			ok = false;
		}
		flen = len - d->hdr_len;
		f = rx->bufs[id] + d->hdr_len;
		if (nbufs > 1) {
			/* Only the first buffer has the header (virtio-net 5.1.6.4). */
			memcpy(d->scratch, f, flen);
			for (total = flen, k = 1; k < nbufs; k++) {
				const struct vring_used_elem *ek = vf_vq_used_elem(vq, (uint16_t)k);

				if (!rx_elem_ok(rx, ek->id, ek->len) ||
				    total + ek->len > VF_RX_SCRATCH) {
					ok = false;
					break;
				}
				memcpy(d->scratch + total, rx->bufs[ek->id], ek->len);
				total += ek->len;
			}
			f = d->scratch;
			flen = total;
		}
		if (ok) {
			if (d->o->canary)
				vf_canary_rx_dst(d, f, flen);
			rx_check(d, h, f, flen);
			if (d->o->echo)
				tx_echo(d, &qp->tx, h, f, flen);
		} else {
			d->st.used_err++;
		}
		for (k = 0; k < nbufs; k++) {
			const struct vring_used_elem *ek = vf_vq_used_elem(vq, (uint16_t)k);
			uint32_t ik = ek->id;

			vf_vq_used_order(vq, ik);
			if (ik < vq->num && rx->inflight[ik]) {
				if (d->o->canary)
					vf_canary_rx_used(d, rx, ik,
							  ek->len < rx->buf_len ? ek->len : rx->buf_len);
				rx->inflight[ik] = 0;
				rx->repost[nrepost++] = (uint16_t)ik;
			}
		}
		vq->last_used += nbufs;
		pending -= nbufs;
		frames++;
	}
	for (k = 0; k < nrepost; k++) {
		if (d->o->canary)
			vf_canary_rx_rearm(d, rx, rx->repost[k]);
		if (d->cy.hold)
			continue; /* ours until vf_rx_post_held() */
		rx->inflight[rx->repost[k]] = 1;
		vf_vq_add(vq, rx->repost[k]);
	}
	vf_vq_publish(vq);
	if (frames && d->o->echo)
		vf_vq_publish(&qp->tx.vq);
	*nframes = frames;
	return nrepost;
}

/* Bursts until the ring is empty or a ring's worth was taken: the buffers
 * go back to the back-end after each burst, not after the whole batch. */
static unsigned int rx_poll(struct vf_dev *d, struct vf_qp *qp, uint64_t now)
{
	unsigned int work = 0, frames = 0, n;

	do {
		work += rx_burst(d, qp, &n);
		frames += n;
	} while (n == d->o->burst && frames < qp->rx.vq.num);
	if (frames) {
		if (!d->st.t_first_rx) {
			d->st.t_first_rx = now;
			d->st.rx_bytes0 = d->st.rx_bytes;
		}
		d->st.t_last_rx = now;
	}
	return work;
}

unsigned int vf_rx_poll(struct vf_dev *d, unsigned int q)
{
	return rx_poll(d, &d->qp[q], vf_now_ns());
}

void vf_rx_post_held(struct vf_dev *d, unsigned int q)
{
	struct vf_rxq *rx = &d->qp[q].rx;
	unsigned int i;

	for (i = 0; i < rx->vq.num; i++) {
		if (rx->inflight[i])
			continue;
		if (d->o->canary)
			vf_canary_rx_rearm(d, rx, i);
		rx->inflight[i] = 1;
		vf_vq_add(&rx->vq, (uint16_t)i);
	}
	vf_vq_publish(&rx->vq);
}

void vf_traffic_rings_reset(struct vf_dev *d)
{
	unsigned int q, i;

	for (q = 0; q < d->nqp; q++) {
		struct vf_rxq *rx = &d->qp[q].rx;
		struct vf_txq *tx = &d->qp[q].tx;

		/* TX frames in flight are gone with the device's state */
		vf_vq_reset(&tx->vq);
		for (i = 0; i < tx->nslots; i++) {
			tx->free[tx->nslots - 1 - i] = (uint16_t)i;
			tx->inflight[i] = 0;
		}
		tx->nfree = tx->nslots;
		tx->full_since = 0;
		vf_vq_reset(&rx->vq);
		memset(rx->inflight, 0, rx->vq.num);
		vf_rx_post_held(d, q);
	}
}

/* ---- the loop ------------------------------------------------------- */

static bool run_done(const struct vf_dev *d, uint64_t now)
{
	const struct vf_opts *o = d->o;
	unsigned int q;

	if (o->n_cycle)
		return vf_cycle_over(d, now);
	if ((o->echo && !o->expect && !o->expect_bytes) ||
	    (!o->send && !o->expect && !o->expect_bytes))
		return false; /* runs until the timeout or a signal */
	for (q = 0; q < d->nqp; q++) {
		const struct vf_txq *tx = &d->qp[q].tx;

		if (tx->remaining || (tx->nfree != tx->nslots && !tx->stalled))
			return false;
	}
	return d->st.rx_frames >= o->expect && d->st.rx_stream_bytes >= o->expect_bytes;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Nothing to do: arm the notifications we wait for, re-check, sleep. */
static void idle_wait(struct vf_dev *d, uint64_t t0, uint64_t now, uint64_t deadline)
{
	struct pollfd pfd[1 + 2 * VF_MAX_QP];
	struct vf_vq *armed[2 * VF_MAX_QP];
	unsigned int n = 0, na = 0, q, i;
	uint64_t wake = min_u64(deadline, now + VF_IDLE_MAX_NS), next, v;
	bool pending = false;
	struct timespec ts;

	pfd[n++] = (struct pollfd){ .fd = d->sock, .events = POLLIN };
	for (q = 0; q < d->nqp; q++) {
		struct vf_qp *qp = &d->qp[q];
		struct vf_txq *tx = &qp->tx;

		if (!(d->o->echo && !tx->nfree)) {
			armed[na++] = &qp->rx.vq;
			pending |= vf_vq_arm(&qp->rx.vq);
		}
		/* Completions matter when they free slots we are short of, or
		 * end a drain; not for every burst the back-end takes. */
		if (tx->nfree != tx->nslots &&
		    (tx->nfree < d->o->burst || (!tx->remaining && !d->o->echo))) {
			armed[na++] = &tx->vq;
			pending |= vf_vq_arm(&tx->vq);
		}
		if (tx->remaining && now < t0)
			wake = min_u64(wake, t0);
		else if (tx->remaining && tx->nfree && d->o->rate) {
			tx_allowed(d, tx, now, &next);
			wake = min_u64(wake, next);
		} else if (tx->remaining && !tx->nfree && tx->full_since) {
			wake = min_u64(wake, tx->full_since +
						     (uint64_t)d->o->tx_wait_ms * 1000000 + 1);
		}
	}
	if (d->o->n_cycle)
		wake = min_u64(wake, vf_cycle_next_ns(d));
	for (i = 0; i < na; i++)
		pfd[n++] = (struct pollfd){ .fd = armed[i]->callfd, .events = POLLIN };
	if (!pending && wake > now) {
		ts.tv_sec = (time_t)((wake - now) / VF_NS);
		ts.tv_nsec = (long)((wake - now) % VF_NS);
		if (ppoll(pfd, n, &ts, NULL) > 0) {
			d->st.wakeups++;
			if (pfd[0].revents)
				vf_sock_check(d);
			for (i = 1; i < n; i++)
				if (pfd[i].revents & POLLIN && read(pfd[i].fd, &v, sizeof(v)) < 0)
					break; /* EAGAIN: someone else's wakeup, fine */
		}
	}
	for (i = 0; i < na; i++)
		vf_vq_disarm(armed[i]);
}

int vf_traffic_run(struct vf_dev *d)
{
	const struct vf_opts *o = d->o;
	uint64_t now = vf_now_ns(), t_send, deadline, last_check, idle_since = 0;
	unsigned int q, work;

	d->st.t_start = now;
	t_send = now + (uint64_t)o->delay_ms * 1000000;
	deadline = o->timeout > 0 ? now + (uint64_t)(o->timeout * VF_NS) : UINT64_MAX;
	last_check = now;
	if (o->n_cycle)
		vf_cycle_start(d, now);
	for (;;) {
		work = 0;
		for (q = 0; q < d->nqp; q++) {
			struct vf_qp *qp = &d->qp[q];

			work += tx_reclaim(d, &qp->tx);
			work += rx_poll(d, qp, now);
			if (now >= t_send)
				work += tx_send(d, &qp->tx, now);
		}
		if (o->n_cycle)
			work += vf_cycle_poll(d, now);
		now = vf_now_ns();
		if (now - last_check >= VF_SOCK_CHECK_NS) {
			vf_sock_check(d);
			last_check = now;
		}
		if (d->disconnected && o->inflight && !vf_stop &&
		    !vf_inflight_reconnect(d, deadline)) {
			now = last_check = vf_now_ns();
			continue;
		}
		if (vf_stop || d->disconnected || run_done(d, now) || now >= deadline)
			break;
		if (work || o->busy) {
			idle_since = 0;
			continue;
		}
		/* Keep polling a little before paying for a sleep and a
		 * wakeup: at high rates the next frame is microseconds away. */
		if (!idle_since)
			idle_since = now;
		if (now - idle_since < (uint64_t)o->spin_us * 1000)
			continue;
		idle_wait(d, t_send, now, deadline);
		now = vf_now_ns();
	}
	d->st.t_end = vf_now_ns();
	/* what nobody may have written, once more at the end */
	if (o->canary && !d->disconnected)
		vf_canary_check_all(d, false);
	if (d->disconnected) {
		log_err("the back-end closed the connection");
	} else if (now >= deadline && !run_done(d, now) &&
		   (o->send || o->expect || o->expect_bytes || o->n_cycle)) {
		d->timed_out = true;
		log_warn("timeout after %.3f s (TX not all completed, or fewer than --expect "
			 "frames received)",
			 o->timeout);
	}
	return 0;
}

static double rate_of(uint64_t frames, uint64_t first, uint64_t last, double elapsed)
{
	double span = (double)(last - first) / VF_NS;

	if (frames > 1 && span > 0.001)
		return (double)(frames - 1) / span;
	return elapsed > 0 ? (double)frames / elapsed : 0;
}

/* From the first to the last burst; 0 when there was none. */
static double span_s(uint64_t first, uint64_t last)
{
	return first && last > first ? (double)(last - first) / VF_NS : 0;
}

void vf_traffic_report(const struct vf_dev *d)
{
	const struct vf_stats *st = &d->st;
	double elapsed = (double)(st->t_end - st->t_start) / VF_NS;

	printf("tx_frames=%llu tx_bytes=%llu tx_ring_full=%llu rx_frames=%llu rx_bytes=%llu "
	       "rx_bad=%llu rx_lost=%llu rx_reordered=%llu rx_dup=%llu elapsed_s=%.3f "
	       "tx_pps=%.0f rx_pps=%.0f kicks=%llu wakeups=%llu used_err=%llu rx_empty=%llu "
	       "used_order_err=%llu tx_span_s=%.3f rx_span_s=%.3f",
	       (unsigned long long)st->tx_frames, (unsigned long long)st->tx_bytes,
	       (unsigned long long)st->tx_ring_full, (unsigned long long)st->rx_frames,
	       (unsigned long long)st->rx_bytes, (unsigned long long)st->rx_bad,
	       (unsigned long long)st->rx_lost, (unsigned long long)st->rx_reordered,
	       (unsigned long long)st->rx_dup, elapsed,
	       rate_of(st->tx_frames, st->t_first_tx, st->t_last_tx, elapsed),
	       rate_of(st->rx_frames, st->t_first_rx, st->t_last_rx, elapsed),
	       (unsigned long long)st->kicks, (unsigned long long)st->wakeups,
	       (unsigned long long)st->used_err, (unsigned long long)st->rx_empty,
	       (unsigned long long)st->used_order_err, span_s(st->t_first_tx, st->t_last_tx),
	       span_s(st->t_first_rx, st->t_last_rx));
	if (d->o->inflight)
		printf(" reconnects=%u", d->reconnects);
	if (d->o->canary)
		vf_canary_report(d);
	if (d->o->n_cycle)
		vf_cycle_report(d);
	if (vf_ofl_keys(d->o))
		vf_ofl_report(d);
	printf("\n");
	fflush(stdout);
}

bool vf_traffic_ok(const struct vf_dev *d)
{
	const struct vf_stats *st = &d->st;
	unsigned int q;

	for (q = 0; q < d->nqp; q++)
		if (d->qp[q].tx.remaining)
			return false;
	if (d->o->canary && (st->canary_bad || st->rx_foreign))
		return false;
	if (d->o->n_cycle && !vf_cycle_ok(d))
		return false;
	if (st->rx_csum_bad || st->rx_stream_bytes < d->o->expect_bytes ||
	    (!d->o->allow_loss && (st->rx_stream_gap || st->rx_stream_late)))
		return false;
	return !d->disconnected && !d->timed_out && !st->rx_bad && !st->used_err &&
	       !st->used_order_err &&
	       !st->tx_ring_full && st->rx_frames >= d->o->expect;
}
