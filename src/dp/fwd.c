// SPDX-License-Identifier: GPL-2.0-only
/*
 * Switching one burst. A source — a guest's TX vring, an uplink's AF_XDP
 * RX ring, or an uplink's broadcast tap — fills the worker's burst arrays
 * with up to DP_BURST frames (as segments, with their VLAN); switch_burst()
 * learns the sources, looks up the destinations and delivers, grouped per
 * destination: one lock, one ring publication and at most one interrupt or
 * kernel kick per destination and burst.
 *
 * VLANs: VM ports are access ports (untagged frames, the port's VLAN);
 * uplinks are trunks (the outer tag, or 0). A frame from an uplink reaches
 * VMs without its tag (the tag's 4 bytes are left out of the segments); a
 * frame from a VM gets its port's tag on the way to an uplink. Uplinks do
 * not forward to each other.
 */
#include <bpf/bpf.h>
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "dp/capture.h"
#include "dp/dp.h"
#include "dp/offload.h"
#include "vhost/vu_inflight.h"
#include <xvs/fw_reply.h>

#define DST_FLOOD 0xfffe
#define DST_DROP 0xffff
#define ETH_ALEN_2 12 /* both MACs */
#define ETH_HLEN 14

#define unlikely(x) __builtin_expect(!!(x), 0)

/* Ethertypes of a VLAN tag: 802.1Q, 802.1ad, and the pre-standard QinQ. */
static inline bool is_vlan_tpid(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}


static void signal_broken(struct dp *dp, struct dp_port *p, const char *why)
{
	vu_dev_mark_broken(&p->dev, why);
	dp_notify(dp);
}

/* The RX vring of `dst` for frames from queue `q` of their source. */
static struct vq *rx_vq(struct dp_port *dst, int q)
{
	struct vq *vq = &dst->dev.vr[2 * (q % dst->queues)].vq;

	if (!__atomic_load_n(&vq->ready, __ATOMIC_RELAXED))
		vq = &dst->dev.vr[0].vq; /* the guest did not enable that queue */
	return vq;
}

static bool wanted(const struct dp_worker *w, int i, uint16_t match, const struct dp_port *dst)
{
	if (w->dst[i] != match)
		return false;
	/* a flood from an uplink carries frames of several VLANs */
	return match != DST_FLOOD || dst->type == DP_PORT_UPLINK || w->vlan[i] == dst->vlan;
}

/* Copy the first `want` bytes of frame i (at most its length), after
 * `skip`, into hdr[i]; what is there already stays (it was checked). */
static inline void take_prefix(struct dp_worker *w, int i, uint32_t skip, uint32_t want)
{
	const struct vq_chain *c = &w->chains[i];
	uint32_t have = w->hcap[i], n = want < w->len[i] ? want : w->len[i];

	if (n <= have)
		return;
	if (n == ETH_HLEN && c->seg[0].len >= skip + ETH_HLEN)
		memcpy(w->hdr[i], c->seg[0].base + skip, ETH_HLEN); /* the usual case, inline */
	else if (c->seg[0].len >= skip + n)
		memcpy(w->hdr[i] + have, c->seg[0].base + skip + have, n - have);
	else
		vq_iov_read(c->seg, c->nseg, skip + have, w->hdr[i] + have, n - have);
	w->hcap[i] = (uint16_t)n;
}

/* Parse frame i's copy once (taking DP_HDR_COPY bytes first). */
static bool fw_parse(struct dp_worker *w, int i, uint32_t skip)
{
	if (!w->parsed[i]) {
		take_prefix(w, i, skip, DP_HDR_COPY);
		memset(&w->pkt[i], 0, sizeof(w->pkt[i]));
		w->parsed[i] = xvs_parse(w->hdr[i], w->hdr[i] + w->hcap[i], w->len[i], &w->pkt[i]) ==
					       XVS_REASON_OK ? 1 : -1;
	}
	return w->parsed[i] > 0;
}

/*
 * The answer to a rejected frame i of a VM (TCP RST / ICMP unreachable,
 * <xvs/fw_reply.h>), into that VM's receive ring, within the rate limit of
 * the port whose rules rejected it. Built from the judged copy.
 */
static void fw_answer(struct dp_worker *w, struct dp_port *to, int q, uint16_t judged, int i)
{
	struct fw *fw = dp_fw(w->dp);
	struct xvs_reply r;
	uint8_t buf[XVS_REPLY_MAX_LEN];
	struct vq_iov iov;
	struct vq *vq;
	int len;

	if (xvs_reply_prepare(&w->pkt[i], w->hdr[i], w->hdr[i] + w->hcap[i], w->len[i], &r) ||
	    !fw_reject_take(fw, judged, w->now))
		return;
	len = xvs_reply_write(&r, buf, buf + sizeof(buf));
	if (len <= 0)
		return;
	iov = (struct vq_iov){ buf, (uint32_t)len };
	vq = rx_vq(to, q);
	vq_lock(vq);
	if (vq->ready && vq_enqueue(vq, &iov, 1, 0, (uint32_t)len) == 0)
		__atomic_fetch_add(&to->st.fw_answers, 1, __ATOMIC_RELAXED);
	vq_flush(vq);
	vq_unlock(vq);
}

/* Judge frame i (from src, queue q) for VM port p in direction dir; false:
 * refused (counted; a rejected one answered to src if it is a VM). */
static bool fw_pass(struct dp_worker *w, struct dp_port *src, int q, struct dp_port *p, int dir,
		    int i, uint32_t skip)
{
	struct xvs_fw_verdict v;

	if (!fw_parse(w, i, skip)) {
		__atomic_fetch_add(&p->st.drop_fw_malformed, 1, __ATOMIC_RELAXED);
		return false;
	}
	fw_judge(dp_fw(w->dp), w->id, p->id, dir, &w->pkt[i], w->hdr[i], w->hcap[i], w->len[i],
		 w->now, &v);
	if (likely(v.action == XVS_ACL_ALLOW))
		return true;
	if (dir == XVS_FW_FROM_VM)
		__atomic_fetch_add(&p->st.drop_fw_from, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&p->st.drop_fw_to, 1, __ATOMIC_RELAXED);
	if (v.action == XVS_ACL_REJECT && src->type == DP_PORT_VHOST)
		fw_answer(w, src, q, p->id, i);
	return false;
}

/* Anti-spoofing of a VM's frame i (its copy); false: refused (counted). */
static bool spoof_pass(struct dp_worker *w, struct dp_port *p, const struct spoof_policy *sp,
		       int i, uint32_t skip)
{
	int r;

	if (!fw_parse(w, i, skip)) {
		__atomic_fetch_add(&p->st.drop_fw_malformed, 1, __ATOMIC_RELAXED);
		return false;
	}
	r = spoof_check(sp, &p->spoof_st, &w->pkt[i], w->hdr[i], w->hcap[i]);
	if (likely(!r))
		return true;
	if (r > 0 && r < SPOOF_REASON_MAX)
		__atomic_fetch_add(&p->st.drop_spoof[r], 1, __ATOMIC_RELAXED);
	return false;
}

static bool fw_on(const struct dp *dp, const struct dp_port *p, int dir)
{
	struct fw *fw = dp_fw(dp);

	return fw && p->type == DP_PORT_VHOST && fw_active(fw, p->id, dir);
}

/* xvsctl capture: the frames of the burst in mask, seen in direction dir
 * on port p (capture.h). Call only when p->cap was seen set. */
_Static_assert(DP_BURST <= 64, "a burst's frames fit a 64-bit mask");
static void __attribute__((noinline)) capture(struct dp_worker *w, struct dp_port *p, uint8_t dir,
					      uint64_t mask, uint32_t skip)
{
	struct dp_capture *c = __atomic_load_n(&p->cap, __ATOMIC_ACQUIRE);
	bool tag = p->type == DP_PORT_UPLINK;
	uint64_t now;
	int i;

	if (!c || !(c->dirs & dir))
		return;
	now = clock_now_ns();
	for (i = 0; mask; i++, mask >>= 1)
		if (mask & 1)
			dp_capture_frame(c, dir, now, w->chains[i].seg, w->chains[i].nseg, skip,
					 w->len[i], tag ? w->vlan[i] : 0);
}

static inline bool capturing(const struct dp_port *p)
{
	return unlikely(__atomic_load_n(&p->cap, __ATOMIC_RELAXED) != NULL);
}

/* ---- offloads (offload.h) ------------------------------------------------ */

/* Checksums verified for a receiver in one delivery: counted once. */
struct csum_count {
	uint32_t verified, bad;
};

/* Complete frame i's seeded checksum into its copy (ofl_check put the
 * field there): the sum over what is sent, the copy's bytes and then the
 * rest from where the frame lies. From then on its checksum is valid. */
static void complete_csum(struct dp_worker *w, struct dp_port *src, int i, uint32_t skip)
{
	struct dp_ofl *o = &w->ofl[i];
	const struct vq_chain *c = &w->chains[i];
	uint32_t start = o->csum_start, hc = w->hcap[i];
	uint64_t sum;

	sum = csum_add(0, w->hdr[i] + start, hc - start, 0);
	sum = csum_add_iov(sum, c->seg, c->nseg, skip + hc, w->len[i] - hc, hc - start);
	csum_put(w->hdr[i] + start + o->csum_offset, csum_final(sum));
	o->kind = OFL_VALID;
	__atomic_fetch_add(&src->st.ofl_csum_sw, 1, __ATOMIC_RELAXED);
}

/* The segments of TSO frame o (len bytes) fit a receiver whose MTU is
 * mtu: the first is the longest. */
static inline bool seg_fits(const struct dp_ofl *o, uint32_t len, uint32_t mtu)
{
	return o->hlen - (uint32_t)ETH_HLEN + ofl_seg_len(o, len, 0) <= mtu;
}

/* TSO frame i cut into segments for a guest that does not take it whole:
 * headers built from the copy, payloads from where the frame lies;
 * checksums seeded for a guest that takes them so, else computed. */
static int segment_to_vq(struct dp_worker *w, struct dp_port *src, struct vq *vq, int i,
			 uint32_t skip)
{
	const struct dp_ofl *o = &w->ofl[i];
	const struct vq_chain *c = &w->chains[i];
	bool seeded = vq->offloads & VQ_OFL_CSUM;
	struct virtio_net_hdr vh = { 0 };
	struct vq_iov iov[VQ_MAX_SEGS + 1];
	uint8_t h[DP_HDR_COPY];
	uint32_t k, plen, l4 = o->csum_start;
	int r = 0, n;

	if (seeded) {
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = htole16(o->csum_start);
		vh.csum_offset = htole16(o->csum_offset);
	}
	for (k = 0; k < o->nseg && !r; k++) {
		plen = ofl_seg_hdr(o, w->hdr[i], w->len[i], k, h);
		iov[0] = (struct vq_iov){ h, o->hlen };
		n = 1 + vq_iov_slice(c->seg, c->nseg, skip + o->hlen + k * o->gso_size, plen, iov + 1,
				     VQ_MAX_SEGS);
		if (!seeded) {
			uint64_t sum = csum_add(0, h + l4, o->hlen - l4, 0);

			sum = csum_add_iov(sum, iov + 1, n - 1, 0, plen, o->hlen - l4);
			csum_put(h + l4 + o->csum_offset, csum_final(sum));
		}
		r = vq_enqueue_hdr(vq, iov, n, 0, o->hlen + plen, NULL, 0, seeded ? &vh : NULL);
	}
	__atomic_fetch_add(&src->st.ofl_segmented, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&src->st.ofl_segments, k, __ATOMIC_RELAXED);
	if (!seeded)
		__atomic_fetch_add(&src->st.ofl_csum_sw, k, __ATOMIC_RELAXED);
	return r;
}

/* Frame i, which has an offload state or comes from the wire, to a guest
 * (its RX vring vq, locked): as it is with the header that says what is
 * known of it, or segmented, or with its checksum completed. */
static int __attribute__((noinline)) deliver_ofl(struct dp_worker *w, struct dp_port *src, struct dp_port *dst,
		       struct vq *vq, int i, uint32_t skip, struct csum_count *cs)
{
	struct dp_ofl *o = &w->ofl[i];
	const struct vq_chain *c = &w->chains[i];
	struct virtio_net_hdr vh;

	if (o->kind == OFL_NONE && fw_parse(w, i, skip)) { /* once per frame */
		o->kind = (uint8_t)ofl_verify(&w->pkt[i], w->hdr[i], w->hcap[i], c->seg, c->nseg,
					      skip, w->len[i]);
		cs->verified += o->kind == OFL_VALID;
		cs->bad += o->kind == OFL_BAD;
	}
	if (o->kind == OFL_TSO ? !seg_fits(o, w->len[i], dst->mtu) : w->len[i] > dst->mtu + 14u) {
		vq->st.drop_too_big++;
		return -E2BIG;
	}
	if (o->kind == OFL_TSO && !ofl_tso_ok(o, vq->offloads))
		return segment_to_vq(w, src, vq, i, skip);
	if (o->kind == OFL_CSUM && !(vq->offloads & VQ_OFL_CSUM))
		complete_csum(w, src, i, skip);
	if (o->kind == OFL_NONE || o->kind == OFL_BAD || !(vq->offloads & VQ_OFL_CSUM))
		return vq_enqueue_head(vq, c->seg, c->nseg, skip, w->len[i], w->hdr[i],
				       w->hcap[i]);
	ofl_vnet_hdr(o, &vh);
	return vq_enqueue_hdr(vq, c->seg, c->nseg, skip, w->len[i], w->hdr[i], w->hcap[i], &vh);
}

static void deliver_vhost(struct dp_worker *w, struct dp_port *src, struct dp_port *dst, int q,
			  int from, int n, uint16_t match, uint32_t skip)
{
	struct vq *vq = rx_vq(dst, q);
	bool judge = fw_on(w->dp, dst, XVS_FW_TO_VM), ok[DP_BURST], cap = capturing(dst), verify;
	struct csum_count cs = { 0, 0 };
	uint64_t sent = 0;
	int i, r;

	/* judged before the lock: the ring lock covers ring work only; not
	 * twice what XDP judged for this port */
	if (unlikely(judge))
		for (i = from; i < n; i++)
			ok[i] = wanted(w, i, match, dst) &&
				((src->type == DP_PORT_UPLINK && w->judged[i] == dst->id) ||
				 fw_pass(w, src, q, dst, XVS_FW_TO_VM, i, skip));
	vq_lock(vq);
	if (!vq->ready) {
		vq_unlock(vq);
		for (i = from; i < n; i++)
			if (judge ? ok[i] : wanted(w, i, match, dst))
				__atomic_fetch_add(&src->st.drop_dst_down, 1, __ATOMIC_RELAXED);
		return;
	}
	/* frames from the wire, for a guest that takes DATA_VALID */
	verify = src->type == DP_PORT_UPLINK && (vq->offloads & VQ_OFL_CSUM);
	for (i = from; i < n; i++) {
		if (judge ? !ok[i] : !wanted(w, i, match, dst))
			continue;
		if (unlikely(verify || (w->ofl_burst && w->ofl[i].kind))) {
			r = deliver_ofl(w, src, dst, vq, i, skip, &cs);
		} else if (w->len[i] > dst->mtu + 14u) {
			vq->st.drop_too_big++;
			continue;
		} else {
			/* from where the frame lies, its head from the copy
			 * (what was checked and judged) */
			r = vq_enqueue_head(vq, w->chains[i].seg, w->chains[i].nseg, skip, w->len[i],
					    w->hdr[i], w->hcap[i]);
		}
		if (r == -EFAULT) {
			signal_broken(w->dp, dst, vq->err);
			break;
		}
		if (unlikely(cap))
			sent |= (uint64_t)(r == 0) << i;
	}
	vq_flush(vq);
	vq_unlock(vq);
	if (unlikely(cs.verified | cs.bad)) {
		__atomic_fetch_add(&dst->st.csum_verified, cs.verified, __ATOMIC_RELAXED);
		__atomic_fetch_add(&dst->st.csum_bad, cs.bad, __ATOMIC_RELAXED);
	}
	if (unlikely(cap))
		capture(w, dst, DP_CAP_OUT, sent, skip);
}

struct fill_ctx {
	struct dp_worker *w;
	int n; /* frames collected for one uplink_tx_burst() */
	int idx[UPLINK_BURST]; /* burst index of the k-th frame to send */
	int16_t seg[UPLINK_BURST]; /* its segment (TSO), or -1: the frame whole */
	uint32_t len[UPLINK_BURST]; /* its length on the wire */
	uint32_t skip;
	uint32_t frame_size; /* of the uplink's UMEM buffers */
};

_Static_assert(DP_BURST <= UPLINK_BURST, "a burst must fit one uplink_tx_burst()");
_Static_assert(UPLINK_MAX_FRAGS < VQ_MAX_SEGS, "an uplink frame's fragments, its tag cut, are segments");
_Static_assert(DP_HDR_COPY + 4 <= 2048, "a segment's headers fit the first UMEM buffer");

/* Copy `len` bytes of a chain, from `skip` on, to byte `at` of a frame laid
 * over UMEM buffers of `fs` bytes each. */
static void copy_out(const struct vq_chain *ch, uint32_t skip, uint32_t len, uint8_t *const *buf,
		     uint32_t fs, uint32_t at)
{
	while (len) {
		uint32_t off = at % fs, n = fs - off < len ? fs - off : len;

		vq_iov_read(ch->seg, ch->nseg, skip, buf[at / fs] + off, n);
		skip += n;
		at += n;
		len -= n;
	}
}

/* Segment s of TSO frame i into its UMEM buffers: headers built from the
 * copy (with the VLAN tag), the payload from guest memory, then the TCP
 * checksum over what the buffers hold: what is sent is what is summed. */
static void fill_uplink_seg(struct fill_ctx *c, int i, uint32_t s, uint8_t *const *buf,
			    int nbuf)
{
	struct dp_worker *w = c->w;
	const struct dp_ofl *o = &w->ofl[i];
	uint32_t fs = c->frame_size, plen, at, l4, b;
	struct vq_iov iov[UPLINK_MAX_FRAGS];
	uint8_t h[DP_HDR_COPY];
	uint64_t sum;

	plen = ofl_seg_hdr(o, w->hdr[i], w->len[i], s, h);
	at = dp_put_l2(buf[0], h, w->vlan[i]);
	memcpy(buf[0] + at, h + ETH_HLEN, o->hlen - ETH_HLEN);
	at += o->hlen - ETH_HLEN;
	l4 = at - (o->hlen - o->csum_start);
	copy_out(&w->chains[i], c->skip + o->hlen + s * o->gso_size, plen, buf, fs, at);
	for (b = 0; b < (uint32_t)nbuf; b++)
		iov[b] = (struct vq_iov){ buf[b], fs };
	sum = csum_add(0, buf[0] + l4, at - l4, 0);
	sum = csum_add_iov(sum, iov, nbuf, at, plen, at - l4);
	csum_put(buf[0] + l4 + o->csum_offset, csum_final(sum));
}

/* Write frame k, a guest's, into its UMEM buffers: the Ethernet header
 * from the worker's copy (the one that was checked), the VLAN tag if it
 * has one, the rest of the copy, then the rest from guest memory (the
 * copy fits the first buffer: frame_size >= 2048). */
static void fill_uplink_frame(void *arg, int k, uint8_t *const *buf, int nbuf)
{
	struct fill_ctx *c = arg;
	struct dp_worker *w = c->w;
	int i = c->idx[k];
	const uint8_t *h = w->hdr[i];
	uint32_t at;

	if (c->seg[k] >= 0) {
		fill_uplink_seg(c, i, (uint32_t)c->seg[k], buf, nbuf);
		return;
	}
	at = dp_put_l2(buf[0], h, w->vlan[i]);
	memcpy(buf[0] + at, h + ETH_HLEN, w->hcap[i] - ETH_HLEN);
	at += w->hcap[i] - ETH_HLEN;
	copy_out(&w->chains[i], c->skip + w->hcap[i], w->len[i] - w->hcap[i], buf, c->frame_size, at);
}

/* Queue output frame (i, segment s or -1) for the uplink, sending what was
 * collected when a batch is full. */
static void uplink_out(struct fill_ctx *c, struct uplink *up, struct uplink_queue *q, int i,
		       int s, uint32_t len)
{
	if (c->n == UPLINK_BURST) {
		uplink_tx_burst(up, q, c->n, c->len, fill_uplink_frame, c);
		c->n = 0;
	}
	c->idx[c->n] = i;
	c->seg[c->n] = (int16_t)s;
	c->len[c->n] = len + (c->w->vlan[i] ? 4u : 0u);
	c->n++;
}

static void deliver_uplink(struct dp_worker *w, struct dp_port *src, struct dp_port *dst, int q,
			   int from, int n, uint16_t match, uint32_t skip)
{
	struct uplink *up = __atomic_load_n(&dst->up, __ATOMIC_ACQUIRE);
	struct fill_ctx c = { .w = w, .skip = skip };
	struct uplink_queue *uq;
	int i, k = 0, nt = 0, sel[DP_BURST], tso[DP_BURST];
	uint32_t s;

	if (!up || !up->nq)
		return;
	uq = &up->q[w->id % up->nq];
	c.frame_size = up->frame_size;
	for (i = from; i < n; i++) {
		if (!wanted(w, i, match, dst))
			continue;
		if (unlikely(w->ofl_burst && w->ofl[i].kind)) {
			if (w->ofl[i].kind == OFL_TSO ? !seg_fits(&w->ofl[i], w->len[i], up->mtu) :
							w->len[i] > up->mtu + 14u) {
				__atomic_fetch_add(&dst->st.drop_too_big, 1, __ATOMIC_RELAXED);
				continue;
			}
			if (w->ofl[i].kind == OFL_CSUM) /* the wire takes no partial sums */
				complete_csum(w, src, i, skip);
			if (w->ofl[i].kind == OFL_TSO) {
				tso[nt++] = i;
				continue;
			}
		} else if (w->len[i] > up->mtu + 14u) {
			__atomic_fetch_add(&dst->st.drop_too_big, 1, __ATOMIC_RELAXED);
			continue;
		}
		sel[k++] = i;
	}
	if ((k || nt) && capturing(dst)) {
		uint64_t mask = 0;

		for (i = 0; i < k; i++)
			mask |= 1ull << sel[i];
		for (i = 0; i < nt; i++)
			mask |= 1ull << tso[i];
		capture(w, dst, DP_CAP_OUT, mask, skip);
	}
	/* a VM's unicast through its own queue's socket, from guest memory
	 * (queue pair 0, whose TX vring the zero-copy socket serves); what it
	 * cannot take goes on by copy. TSO frames are cut in segments here. */
	if (k && src->zc && q == 0 && match != DST_FLOOD && src->zc->uplink == dst->id)
		k = dp_zc_tx(w, src, sel, k, skip);
	for (i = 0; i < k; i++)
		uplink_out(&c, up, uq, sel[i], -1, w->len[sel[i]]);
	for (i = 0; i < nt; i++) {
		const struct dp_ofl *o = &w->ofl[tso[i]];

		for (s = 0; s < o->nseg; s++)
			uplink_out(&c, up, uq, tso[i], (int)s,
				   o->hlen + ofl_seg_len(o, w->len[tso[i]], s));
		__atomic_fetch_add(&src->st.ofl_segmented, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&src->st.ofl_segments, o->nseg, __ATOMIC_RELAXED);
		__atomic_fetch_add(&src->st.ofl_csum_sw, o->nseg, __ATOMIC_RELAXED);
	}
	if (c.n)
		uplink_tx_burst(up, uq, c.n, c.len, fill_uplink_frame, &c);
}

static void deliver(struct dp_worker *w, struct dp_port *src, struct dp_port *dst, int q,
		    int from, int n, uint16_t match, uint32_t skip)
{
	if (dst->type == DP_PORT_UPLINK)
		deliver_uplink(w, src, dst, q, from, n, match, skip);
	else
		deliver_vhost(w, src, dst, q, from, n, match, skip);
}

static void flood(struct dp_worker *w, struct dp_port *src, int q, int n, uint32_t skip)
{
	struct dp *dp = w->dp;
	uint16_t i, hw = __atomic_load_n(&dp->nports_hw, __ATOMIC_ACQUIRE);

	for (i = 0; i < hw; i++) {
		struct dp_port *p = __atomic_load_n(&dp->ports[i], __ATOMIC_ACQUIRE);

		if (!p || p == src)
			continue;
		if (p->type == DP_PORT_UPLINK && src->type == DP_PORT_UPLINK)
			continue;
		if (p->type == DP_PORT_VHOST && src->type == DP_PORT_VHOST && p->vlan != src->vlan)
			continue;
		deliver(w, src, p, q, 0, n, DST_FLOOD, skip);
	}
}

/* A VM's new address goes into the XDP program's FDB right away, before
 * the frame that taught it leaves: the answer from the wire must find it.
 * One system call per new address, never per frame; the control thread's
 * sync (xdpsync) does the rest (moves, aging, removal). */
static void xdp_learn(struct dp *dp, uint16_t vlan, const uint8_t *mac, uint16_t port)
{
	int fd = __atomic_load_n(&dp->xdp_fdb_fd, __ATOMIC_RELAXED);
	struct xvs_fdb_key k = { .vlan = vlan };
	struct xvs_fdb_val v = { .port = port };

	if (fd < 0)
		return;
	memcpy(k.mac, mac, 6);
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

/* The FDB's answers for the previous frame of the burst: a burst mostly
 * repeats one flow, so most frames need neither a learn nor a lookup. */
struct memo {
	uint64_t src; /* last source learned (0: none, never learnable) */
	int src_verdict; /* what fdb_learn() said of it */
	uint64_t dst; /* last destination looked up (UINT64_MAX: none) */
	int dst_port;
};

/* Frame i is in the burst arrays (segments after `skip`, vlan, len): learn
 * its source, find its destination. Returns true if the switch learned a
 * new address a VM owns (the XDP program must hear of it). */
static bool classify(struct dp_worker *w, struct dp_port *src, int i, uint32_t skip,
		     struct memo *m)
{
	struct vq_chain *c = &w->chains[i];
	uint8_t buf[ETH_ALEN_2];
	const uint8_t *eth = buf;
	bool news = false;
	uint64_t key;
	int port;

	if (src->type == DP_PORT_VHOST)
		eth = w->hdr[i]; /* the copy dp_tx_burst checked */
	else if (c->seg[0].len >= skip + ETH_ALEN_2)
		memcpy(buf, c->seg[0].base + skip, ETH_ALEN_2);
	else
		vq_iov_read(c->seg, c->nseg, skip, buf, sizeof(buf));
	key = fdb_key(w->vlan[i], eth + 6);
	if (key != m->src) {
		m->src = key;
		m->src_verdict = fdb_learn(&w->dp->fdb, key, src->id);
		news = m->src_verdict > 0;
		if (news && src->type == DP_PORT_VHOST)
			xdp_learn(w->dp, w->vlan[i], eth + 6, src->id);
	}
	if (unlikely(m->src_verdict < 0)) {
		if (m->src_verdict == -EPERM) { /* a VM posing as the host or a gateway */
			__atomic_fetch_add(&src->st.drop_src_protected, 1, __ATOMIC_RELAXED);
			w->dst[i] = DST_DROP;
			return false;
		}
		__atomic_fetch_add(&src->st.learn_limit, 1, __ATOMIC_RELAXED);
	}
	if (eth[0] & 1) {
		w->dst[i] = DST_FLOOD;
		return news && src->type == DP_PORT_VHOST;
	}
	key = fdb_key(w->vlan[i], eth);
	if (key != m->dst) {
		m->dst = key;
		m->dst_port = fdb_lookup(&w->dp->fdb, key);
	}
	port = m->dst_port;
	if (port == FDB_NO_PORT) {
		w->dst[i] = DST_FLOOD; /* unknown unicast */
	} else if (port == src->id) {
		__atomic_fetch_add(&src->st.drop_hairpin, 1, __ATOMIC_RELAXED);
		w->dst[i] = DST_DROP;
	} else {
		w->dst[i] = (uint16_t)port;
	}
	return news && src->type == DP_PORT_VHOST;
}

/* Deliver frames [0, n) of the burst, classified. */
static void switch_burst(struct dp_worker *w, struct dp_port *src, int q, int n, uint32_t skip)
{
	struct memo m = { .src = 0, .dst = UINT64_MAX };
	bool any_flood = false, news = false;
	int i, j;

	for (i = 0; i < n; i++) {
		if (w->dst[i] == DST_DROP)
			continue;
		news |= classify(w, src, i, skip, &m);
		any_flood |= w->dst[i] == DST_FLOOD;
	}
	if (news)
		dp_notify(w->dp);
	/* unicast, grouped by destination: the first frame of each group
	 * delivers the whole group */
	for (i = 0; i < n; i++) {
		struct dp_port *dst;
		uint16_t d = w->dst[i];

		if (d >= DST_FLOOD)
			continue;
		for (j = 0; j < i && w->dst[j] != d; j++)
			;
		if (j < i)
			continue;
		dst = __atomic_load_n(&w->dp->ports[d], __ATOMIC_ACQUIRE);
		if (dst && !(dst->type == DP_PORT_UPLINK && src->type == DP_PORT_UPLINK))
			deliver(w, src, dst, q, i, n, d, skip);
	}
	if (any_flood)
		flood(w, src, q, n, skip);
}

/* The virtio-net header of a guest's frame asks for something (its flags
 * or gso_type are set): a glance, the full read is take_offload's. */
static inline bool vnet_asks(const struct vq_chain *c)
{
	uint16_t v = 0;

	if (c->seg[0].len >= 2)
		memcpy(&v, c->seg[0].base, 2);
	else
		vq_iov_read(c->seg, c->nseg, 0, &v, 2);
	return v;
}

/* Frame n of a guest's TX vring asks for an offload: read its header once,
 * check it against the frame's headers (copied and parsed) and note what
 * is asked in ofl[n]. False: refused, counted. */
static bool __attribute__((noinline)) take_offload(struct dp_worker *w, struct dp_port *src, struct vq *txq, int n,
			 uint32_t hdr_len)
{
	const struct vq_chain *c = &w->chains[n];
	struct virtio_net_hdr vh;
	int e;

	vq_iov_read(c->seg, c->nseg, 0, &vh, sizeof(vh));
	if (!(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !vh.gso_type)
		return true; /* nothing asked after all */
	if (!w->ofl_burst) { /* the burst's first: the others ask nothing */
		for (e = 0; e < DP_BURST; e++)
			w->ofl[e].kind = OFL_NONE;
		w->ofl_burst = true;
	}
	if (w->len[n] > OFL_MAX_LEN)
		e = OFL_E_SIZE;
	else if (!fw_parse(w, n, hdr_len))
		e = OFL_E_HEADERS;
	else
		e = ofl_check(&vh, txq->offloads, &w->pkt[n], w->hdr[n], w->hcap[n], w->len[n],
			      &w->ofl[n]);
	if (unlikely(e)) {
		w->ofl[n].kind = OFL_NONE;
		__atomic_fetch_add(&src->st.drop_offload, 1, __ATOMIC_RELAXED);
		return false;
	}
	if (w->ofl[n].kind == OFL_TSO)
		__atomic_fetch_add(&src->st.ofl_tso, 1, __ATOMIC_RELAXED);
	else if (w->ofl[n].kind == OFL_CSUM)
		__atomic_fetch_add(&src->st.ofl_csum, 1, __ATOMIC_RELAXED);
	return true;
}

/* A RARP from the port's announce_mac (dp_port.announce), switched as a
 * frame of the VM's: anti-spoofing and its from-vm rules judge it. */
static void __attribute__((noinline)) send_announce(struct dp_worker *w, struct dp_port *src,
						    const struct spoof_policy *sp, bool fw_from)
{
	uint8_t *f = w->announce_frame;
	static const uint8_t rarp[] = { 0x80, 0x35, 0, 1, 0x08, 0x00, 6, 4, 0, 3 };

	if (!__atomic_exchange_n(&src->announce, 0, __ATOMIC_ACQUIRE))
		return;
	memset(f, 0, sizeof(w->announce_frame));
	memset(f, 0xff, 6);
	memcpy(f + 6, src->announce_mac, 6);
	memcpy(f + 12, rarp, sizeof(rarp));
	memcpy(f + 22, src->announce_mac, 6); /* sender, then its IP 0 */
	memcpy(f + 32, src->announce_mac, 6); /* target, then its IP 0 */
	w->chains[0].seg[0] = (struct vq_iov){ f, sizeof(w->announce_frame) };
	w->chains[0].nseg = 1;
	w->dst[0] = DST_DROP;
	w->held[0] = false;
	w->vlan[0] = src->vlan;
	w->len[0] = sizeof(w->announce_frame);
	w->hcap[0] = 0;
	w->parsed[0] = 0;
	w->ofl_burst = false;
	take_prefix(w, 0, 0, fw_from || sp ? DP_HDR_COPY : ETH_HLEN);
	if ((!sp || spoof_pass(w, src, sp, 0, 0)) &&
	    (!fw_from || fw_pass(w, src, 0, src, XVS_FW_FROM_VM, 0, 0)))
		w->dst[0] = 0;
	switch_burst(w, src, 0, 1, 0);
}

int dp_tx_burst(struct dp_worker *w, struct dp_port *src, int vring)
{
	struct vq *txq = &src->dev.vr[vring].vq;
	int avail, n = 0, i, r;
	const char *broken = NULL;
	const struct spoof_policy *sp = __atomic_load_n(&src->spoof, __ATOMIC_ACQUIRE);
	uint32_t want;
	uint8_t hdr_len, tx_ofl;
	bool fw_from;

	if (!vq_trylock(txq))
		return 0;
	if (!txq->ready) {
		vq_unlock(txq);
		return 0;
	}
	hdr_len = txq->hdr_len;
	tx_ofl = txq->offloads;
	fw_from = fw_on(w->dp, src, XVS_FW_FROM_VM);
	w->now = dp_fw(w->dp) ? clock_now_ns() : 0;
	if (unlikely(__atomic_load_n(&src->announce, __ATOMIC_RELAXED)) && vring == 1)
		send_announce(w, src, sp, fw_from);
	w->ofl_burst = false;
	/* the Ethernet header; all that is judged with a firewall */
	want = fw_from || sp ? DP_HDR_COPY : ETH_HLEN;
	avail = vq_avail_count(txq);
	if (avail < 0) {
		broken = txq->err;
		goto out;
	}
	if (avail > DP_BURST)
		avail = DP_BURST;

	for (n = 0; n < avail; n++) {
		struct vq_chain *c = &w->chains[n];

		r = vq_pop(txq, c, false);
		if (r == -EFAULT) {
			broken = txq->err;
			break;
		}
		if (r == -EAGAIN) /* packed: fewer chains than descriptors */
			break;
		w->dst[n] = DST_DROP;
		w->held[n] = false;
		w->vlan[n] = src->vlan;
		w->hcap[n] = 0;
		w->parsed[n] = 0;
		w->len[n] = c->len - hdr_len;
		if (r == -EMSGSIZE) {
			txq->st.drop_segs++;
		} else if (c->len < hdr_len + 14u) {
			txq->st.drop_runt++;
		} else if (unlikely(tx_ofl && vnet_asks(c)) &&
			   !take_offload(w, src, txq, n, hdr_len)) {
			/* counted */
		} else if (c->len - hdr_len > src->mtu + 14u &&
			   !(w->ofl_burst && w->ofl[n].kind == OFL_TSO)) {
			txq->st.drop_too_big++;
		} else if (take_prefix(w, n, hdr_len, want),
			   unlikely(is_vlan_tpid((uint16_t)(w->hdr[n][12] << 8 | w->hdr[n][13])))) {
			/* an access port's frames are untagged: a tag of the
			 * guest's own would pass to the trunk as its VLAN */
			__atomic_fetch_add(&src->st.drop_vlan_tagged, 1, __ATOMIC_RELAXED);
		} else {
			/* the copy reads the rest: lines the guest's CPU just
			 * wrote. Start the load now, overlapping the burst's
			 * misses. */
			if (c->seg[0].len > 64)
				__builtin_prefetch(c->seg[0].base + 64);
			txq->st.packets++;
			txq->st.bytes += w->len[n];
			/* judged on the copy: anti-spoofing, then the
			 * rules; to classify if it passes */
			if ((!sp || spoof_pass(w, src, sp, n, hdr_len)) &&
			    (!fw_from || fw_pass(w, src, vring / 2, src, XVS_FW_FROM_VM, n, hdr_len)))
				w->dst[n] = 0;
		}
	}
	if (unlikely(txq->ifl)) /* crash resume: in flight before they go anywhere */
		vu_inflight_popped(txq, w->chains, n);
	if (capturing(src)) {
		uint64_t mask = 0;

		for (i = 0; i < n; i++)
			mask |= (uint64_t)(w->hcap[i] != 0) << i;
		capture(w, src, DP_CAP_IN, mask, hdr_len);
	}
	switch_burst(w, src, vring / 2, n, hdr_len);
	for (i = 0; i < n; i++)
		if (!w->held[i]) /* else it returns when the kernel sent it */
			vq_push(txq, w->chains[i].head, 0);
out:
	if (!broken)
		vq_flush(txq);
	vq_unlock(txq);
	if (broken)
		signal_broken(w->dp, src, broken);
	return n;
}

/* Describe a frame from an uplink, already in chains[i].seg, in the burst
 * arrays: its VLAN from the outer tag, the tag itself left out (cut from the
 * first segment, which holds at least the Ethernet header and the tag in
 * all but pathological zero-copy layouts; those count as runts). Returns
 * false for a runt. */
static bool take_uplink_frame(struct dp_worker *w, int i, uint32_t len, uint16_t vid)
{
	struct vq_chain *c = &w->chains[i];
	uint8_t *d = c->seg[0].base;
	uint32_t l0 = c->seg[0].len;
	uint16_t type = l0 >= 14 ? (uint16_t)(d[12] << 8 | d[13]) : 0;

	w->dst[i] = DST_DROP;
	w->hcap[i] = 0;
	w->parsed[i] = 0;
	w->ofl[i].kind = OFL_NONE;
	if (l0 < 14)
		return false;
	w->vlan[i] = vid;
	w->len[i] = len;
	if ((type == 0x8100 || type == 0x88a8) && !vid) {
		if (l0 < 18 || c->nseg == VQ_MAX_SEGS)
			return false;
		w->vlan[i] = (uint16_t)((d[14] << 8 | d[15]) & 0xfff);
		memmove(&c->seg[2], &c->seg[1], (c->nseg - 1u) * sizeof(c->seg[0]));
		c->seg[0].len = ETH_ALEN_2;
		c->seg[1] = (struct vq_iov){ d + 16, l0 - 16 };
		c->nseg++;
		w->len[i] = len - 4;
	}
	w->dst[i] = 0;
	return true;
}

/* The port XDP's firewall passed the frame for (xvs_meta in front of it,
 * inside the UMEM chunk's headroom), or XVS_META_NONE. */
static inline uint16_t xdp_judged(const uint8_t *frame, uint32_t len)
{
	struct xvs_meta m;

	memcpy(&m, frame - sizeof(m), sizeof(m));
	if (m.magic != XVS_META_MAGIC || m.len != (uint16_t)len)
		return XVS_META_NONE;
	return m.judged;
}

int dp_uplink_burst(struct dp_worker *w, struct dp_port *src, int qi)
{
	struct uplink *up = __atomic_load_n(&src->up, __ATOMIC_ACQUIRE);
	struct uplink_queue *q;
	struct fw *fw;
	int n, i, k;

	if (!up || qi >= up->nq)
		return 0;
	q = &up->q[qi];
	n = uplink_rx_peek(q, w->uf, DP_BURST);
	if (!n)
		return 0;
	fw = dp_fw(w->dp);
	w->now = fw ? clock_now_ns() : 0;
	w->ofl_burst = false; /* kinds set per frame (take_uplink_frame) */
	for (i = 0; i < n; i++) {
		struct vq_chain *c = &w->chains[i];

		w->dst[i] = DST_DROP;
		if (!w->uf[i].nfrag)
			continue;
		for (k = 0; k < w->uf[i].nfrag; k++)
			c->seg[k].base = uplink_frag(q, &w->uf[i], k, &c->seg[k].len);
		c->nseg = w->uf[i].nfrag;
		/* read only when a firewall may judge it */
		w->judged[i] = fw ? xdp_judged(c->seg[0].base, w->uf[i].len) : XVS_META_NONE;
		if (!take_uplink_frame(w, i, w->uf[i].len, 0))
			q->st.rx_drop_runt++;
	}
	if (capturing(src)) {
		uint64_t mask = 0;

		for (i = 0; i < n; i++)
			mask |= (uint64_t)(w->dst[i] != DST_DROP) << i;
		capture(w, src, DP_CAP_IN, mask, 0);
	}
	switch_burst(w, src, q->qid, n, 0);
	uplink_rx_release(q);
	return n;
}

static void tap_flush(void *arg)
{
	struct dp_worker *w = arg;

	if (w->tap_n)
		switch_burst(w, w->tap_src, 0, w->tap_n, 0);
	w->tap_n = 0;
}

static void tap_frame(void *arg, const uint8_t *data, uint32_t len, uint16_t vid)
{
	struct dp_worker *w = arg;

	w->chains[w->tap_n].seg[0] = (struct vq_iov){ (uint8_t *)data, len };
	w->chains[w->tap_n].nseg = 1;
	w->judged[w->tap_n] = XVS_META_NONE; /* from the host: never through XDP's firewall */
	take_uplink_frame(w, w->tap_n++, len, vid);
	if (w->tap_n == DP_BURST)
		tap_flush(w);
}

int dp_tap_burst(struct dp_worker *w, struct dp_port *src)
{
	struct uplink *up = __atomic_load_n(&src->up, __ATOMIC_ACQUIRE);

	if (!up || up->tap.fd < 0)
		return 0;
	w->tap_n = 0;
	w->tap_src = src;
	w->ofl_burst = false;
	w->now = dp_fw(w->dp) ? clock_now_ns() : 0;
	return tap_poll(&up->tap, tap_frame, tap_flush, w);
}
