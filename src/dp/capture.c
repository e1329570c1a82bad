// SPDX-License-Identifier: GPL-2.0-only
/* A port's frames copied into a ring for xvsctl capture (capture.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp/capture.h"
#include "dp/dp.h"

static inline bool cap_trylock(struct dp_capture *c)
{
	return !__atomic_test_and_set(&c->lock, __ATOMIC_ACQUIRE);
}

static inline void cap_unlock(struct dp_capture *c)
{
	__atomic_clear(&c->lock, __ATOMIC_RELEASE);
}

static inline struct dp_cap_slot *slot(const struct dp_capture *c, uint32_t i)
{
	return (struct dp_cap_slot *)(c->slots + (size_t)(i & (c->nslots - 1)) * c->slot_size);
}

int dp_capture_start(struct dp *dp, struct dp_port *p, uint8_t dirs, uint32_t snap,
		     uint32_t nslots)
{
	struct dp_capture *c;
	uint32_t n = 1;

	(void)dp;
	if (__atomic_load_n(&p->cap, __ATOMIC_ACQUIRE))
		return -EBUSY;
	if (!dirs || dirs & ~(DP_CAP_IN | DP_CAP_OUT) || snap < DP_CAP_SNAP_MIN || snap > DP_CAP_SNAP_MAX ||
	    !nslots || nslots > DP_CAP_SLOTS_MAX)
		return -EINVAL;
	while (n < nslots)
		n <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dirs = dirs;
	c->snap = snap;
	c->nslots = n;
	c->slot_size = (uint32_t)((sizeof(struct dp_cap_slot) + snap + 7) & ~7u);
	c->slots = malloc((size_t)n * c->slot_size);
	if (!c->slots) {
		free(c);
		return -ENOMEM;
	}
	__atomic_store_n(&p->cap, c, __ATOMIC_RELEASE);
	return 0;
}

void dp_capture_stop(struct dp *dp, struct dp_port *p)
{
	struct dp_capture *c = __atomic_exchange_n(&p->cap, NULL, __ATOMIC_ACQ_REL);

	if (!c)
		return;
	dp_sync(dp); /* no worker holds it any more */
	free(c->slots);
	free(c);
}

int dp_capture_drain(struct dp_capture *c, void (*fn)(void *arg, const struct dp_cap_slot *s),
		     void *arg, int max)
{
	/* a copy, so that fn (a write, maybe a big one) runs without the lock */
	uint8_t buf[sizeof(struct dp_cap_slot) + DP_CAP_SNAP_MAX];
	struct dp_cap_slot *s = (struct dp_cap_slot *)buf;
	int n = 0;

	while (n < max) {
		/* the lock is held for one copy at a time: workers meanwhile
		 * find it taken and count a drop, the price of a capture */
		while (!cap_trylock(c))
			__builtin_ia32_pause();
		if (c->tail == c->head) {
			cap_unlock(c);
			break;
		}
		memcpy(s, slot(c, c->tail), sizeof(*s) + slot(c, c->tail)->caplen);
		c->tail++;
		cap_unlock(c);
		fn(arg, s);
		n++;
	}
	return n;
}

void dp_capture_frame(struct dp_capture *c, uint8_t dir, uint64_t now_ns,
		      const struct vq_iov *seg, int nseg, uint32_t skip, uint32_t len,
		      uint16_t vlan)
{
	struct dp_cap_slot *s;
	uint32_t wire = len + (vlan ? 4u : 0u), want, at = 0;

	if (!(c->dirs & dir))
		return;
	if (!cap_trylock(c)) {
		__atomic_fetch_add(&c->drops, 1, __ATOMIC_RELAXED);
		return;
	}
	if (c->head - c->tail >= c->nslots) {
		cap_unlock(c);
		__atomic_fetch_add(&c->drops, 1, __ATOMIC_RELAXED);
		return;
	}
	s = slot(c, c->head);
	want = wire < c->snap ? wire : c->snap;
	s->ts_ns = now_ns;
	s->len = wire;
	s->dir = dir;
	if (vlan && len >= 12) {
		/* the MACs, the tag, the rest (snap >= 64: the tag always fits) */
		uint8_t tag[4] = { 0x81, 0x00, (uint8_t)(vlan >> 8), (uint8_t)vlan };

		vq_iov_read(seg, nseg, skip, s->data, 12);
		memcpy(s->data + 12, tag, sizeof(tag));
		at = 16 + vq_iov_read(seg, nseg, skip + 12, s->data + 16, want - 16);
	} else {
		at = vq_iov_read(seg, nseg, skip, s->data, want);
	}
	s->caplen = at;
	c->head++;
	c->frames++;
	cap_unlock(c);
}
