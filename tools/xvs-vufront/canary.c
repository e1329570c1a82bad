// SPDX-License-Identifier: GPL-2.0-only
/*
 * --canary: a known pattern in guest memory the back-end has no business
 * writing, checked wherever a write could have happened. RX buffers get a
 * guard in front (a zero-copy fill buffer's headroom, 256 + UMEM headroom
 * bytes, lies there and is never written) and end where the next guard
 * starts:
 *
 *	[ guard ][ header | frame: len bytes | rest ][ guard ][ ...
 *	  canary   checked by rx_check()       canary   canary
 *
 * Everything the allocator did not hand out is canary too. On every used
 * RX entry the buffer's guard and what follows its len bytes must still be
 * canary (the frame itself is checked by rx_check(), checksums included:
 * frame_ip4_udp_csums_ok());
 * the buffer is canary again before it goes back on the ring. cycle.c
 * checks all of it while the back-end may hold no buffer at all.
 *
 * The pattern depends on the byte's offset in guest memory: a frame, or
 * canary copied from elsewhere, does not pass for it.
 */
#include <string.h>

#include "base/log.h"
#include "vufront.h"

#define VF_CANARY_LOGGED 8 /* bad areas logged; all are counted */

static inline uint8_t canary_at(uint64_t off)
{
	return (uint8_t)(0xa5 ^ (off * 7) ^ (off >> 9));
}

void vf_canary_fill(const struct vf_dev *d, uint8_t *p, size_t n)
{
	uint64_t off = (uint64_t)(p - d->mem.base);
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = canary_at(off + i);
}

/* Bytes of [p, p + n) that are not canary; a bad area is counted once. */
static size_t check(struct vf_dev *d, const uint8_t *p, size_t n, const char *what,
		    unsigned int q, uint32_t id)
{
	uint64_t off = (uint64_t)(p - d->mem.base);
	size_t i, bad = 0, first = n, last = 0;

	for (i = 0; i < n; i++) {
		if (likely(p[i] == canary_at(off + i)))
			continue;
		if (!bad)
			first = i;
		last = i;
		bad++;
	}
	if (!bad)
		return 0;
	if (d->st.canary_bad < VF_CANARY_LOGGED)
		log_warn("canary: %zu byte(s) changed in %s (queue %u, buffer %u) at +%zu..+%zu "
			 "of %zu, guest memory offset %#llx",
			 bad, what, q, id, first, last, n, (unsigned long long)off);
	d->st.canary_bad++;
	d->st.canary_bytes += bad;
	return bad;
}

static unsigned int queue_of(const struct vf_dev *d, const struct vf_rxq *rx)
{
	return (unsigned int)((const struct vf_qp *)rx - d->qp);
}

void vf_canary_rx_used(struct vf_dev *d, const struct vf_rxq *rx, uint32_t id, uint32_t len)
{
	unsigned int q = queue_of(d, rx);
	uint8_t *b = rx->bufs[id];

	if (check(d, b - VF_CANARY_GUARD, VF_CANARY_GUARD, "the guard before an RX buffer", q,
		  id))
		vf_canary_fill(d, b - VF_CANARY_GUARD, VF_CANARY_GUARD);
	check(d, b + len, rx->slot_len - len, "an RX buffer after its used length", q, id);
}

void vf_canary_rx_rearm(struct vf_dev *d, const struct vf_rxq *rx, uint32_t id)
{
	vf_canary_fill(d, rx->bufs[id], rx->slot_len);
}

void vf_canary_fill_rx(struct vf_dev *d, bool all)
{
	unsigned int q, i;

	for (q = 0; q < d->nqp; q++) {
		const struct vf_rxq *rx = &d->qp[q].rx;

		for (i = 0; i < rx->vq.num; i++)
			if (all || !rx->inflight[i])
				vf_canary_fill(d, rx->bufs[i] - VF_CANARY_GUARD,
					       VF_CANARY_GUARD + rx->slot_len);
		vf_canary_fill(d, rx->guard_end, VF_CANARY_GUARD);
	}
}

void vf_canary_init(struct vf_dev *d)
{
	vf_canary_fill_rx(d, true);
	vf_canary_fill(d, d->mem.base + d->mem.used, d->mem.size - d->mem.used);
}

uint64_t vf_canary_check_all(struct vf_dev *d, bool all)
{
	uint64_t before = d->st.canary_bad;
	unsigned int q, i;

	for (q = 0; q < d->nqp; q++) {
		const struct vf_rxq *rx = &d->qp[q].rx;

		for (i = 0; i < rx->vq.num; i++) {
			uint8_t *b = rx->bufs[i];

			check(d, b - VF_CANARY_GUARD, VF_CANARY_GUARD,
			      "the guard before an RX buffer", q, i);
			if (all || !rx->inflight[i])
				check(d, b, rx->slot_len,
				      all ? "an RX buffer while the back-end holds none"
					  : "an RX buffer we hold",
				      q, i);
		}
		check(d, rx->guard_end, VF_CANARY_GUARD, "the guard after the RX buffers", q,
		      rx->vq.num);
	}
	check(d, d->mem.base + d->mem.used, d->mem.size - d->mem.used,
	      "guest memory never handed out", 0, 0);
	/* found once is enough: canary again, so the next check sees news only */
	if (d->st.canary_bad != before) {
		vf_canary_fill_rx(d, all);
		vf_canary_fill(d, d->mem.base + d->mem.used, d->mem.size - d->mem.used);
	}
	return d->st.canary_bad - before;
}

void vf_canary_rx_dst(struct vf_dev *d, const uint8_t *f, uint32_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (len >= 6 && !memcmp(f, d->o->mac, 6))
		return;
	if (len >= 6 && !memcmp(f, bcast, 6))
		d->st.rx_bcast++;
	else
		d->st.rx_foreign++;
}

void vf_canary_report(const struct vf_dev *d)
{
	printf(" canary_bad=%llu canary_bytes=%llu rx_foreign=%llu rx_bcast=%llu",
	       (unsigned long long)d->st.canary_bad, (unsigned long long)d->st.canary_bytes,
	       (unsigned long long)d->st.rx_foreign, (unsigned long long)d->st.rx_bcast);
}
