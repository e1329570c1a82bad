/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Driver side of a packed virtqueue (virtio 1.2 §2.8), for test_vq_packed.c,
 * written from the specification and not from src/vhost/vq_packed.c.
 * Guest memory is vq_harness.h's memfd.
 *
 * The driver keeps its own state: the next position to make available and
 * its wrap counter, the next position to look for a used buffer and its wrap
 * counter, and per buffer id how many ring positions the buffer took (so
 * that it can skip them when the device returns the buffer: §2.8.4). It makes
 * a chain available by writing every descriptor but the head, then the
 * head's flags with a release store (§2.8.6, §2.8.21.2). A descriptor is
 * available when AVAIL equals the wrap counter of its lap and USED does not;
 * it is used when both equal the device's wrap counter of its lap. Both
 * wrap counters start at 1 (§2.8.1), as QEMU sends them in SET_VRING_BASE.
 */
#ifndef XVS_TESTS_VQ_PACKED_HARNESS_H
#define XVS_TESTS_VQ_PACKED_HARNESS_H

#include <stdbool.h>
#include <stdlib.h>

#include "vq_harness.h"

#define PD_AVAIL ((uint16_t)(1u << VRING_PACKED_DESC_F_AVAIL))
#define PD_USED ((uint16_t)(1u << VRING_PACKED_DESC_F_USED))
#define PD_EV_WRAP ((uint16_t)(1u << VRING_PACKED_EVENT_F_WRAP_CTR))

struct pdrv {
	struct guest *g;
	uint16_t size;
	uint64_t desc_gpa, drv_gpa, dev_gpa;
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *drv; /* driver event suppression: ours */
	struct vring_packed_desc_event *dev; /* device event suppression: theirs */
	uint16_t avail_pos, used_pos, nfree;
	bool avail_wrap, used_wrap;
	uint16_t *ndesc; /* per id: positions its buffer took; 0: ours */
};

/* The AVAIL/USED bits that make a descriptor available in a lap. */
static inline uint16_t pdrv_avail_bits(bool wrap)
{
	return wrap ? PD_AVAIL : PD_USED;
}

/* The bits of a used descriptor written in a lap. */
static inline uint16_t pdrv_used_bits(bool wrap)
{
	return wrap ? (uint16_t)(PD_AVAIL | PD_USED) : 0;
}

/* Lay out a ring of `size` descriptors and the two event areas in region 0,
 * both sides starting at position `pos` with wrap counter `wrap`. */
static inline void pdrv_init_at(struct pdrv *r, struct guest *g, uint16_t size, uint16_t pos,
				bool wrap)
{
	memset(r, 0, sizeof(*r));
	r->g = g;
	r->size = size;
	r->desc_gpa = guest_alloc(g, 16ull * size, 16);
	r->drv_gpa = guest_alloc(g, 4, 4);
	r->dev_gpa = guest_alloc(g, 4, 4);
	r->desc = gpa_ptr(g, r->desc_gpa);
	r->drv = gpa_ptr(g, r->drv_gpa);
	r->dev = gpa_ptr(g, r->dev_gpa);
	/* flags 0: available in no lap (AVAIL == USED) */
	memset(r->desc, 0, 16ull * size);
	memset(r->drv, 0, 4);
	memset(r->dev, 0, 4);
	r->avail_pos = r->used_pos = pos;
	r->avail_wrap = r->used_wrap = wrap;
	r->nfree = size;
	r->ndesc = calloc(size, sizeof(*r->ndesc));
	assert_non_null(r->ndesc);
}

static inline void pdrv_init(struct pdrv *r, struct guest *g, uint16_t size)
{
	pdrv_init_at(r, g, size, 0, true);
}

static inline void pdrv_fini(struct pdrv *r)
{
	free(r->ndesc);
	r->ndesc = NULL;
}

/* Hand the ring to a vq as vu_dev does: features (VERSION_1, RING_PACKED),
 * SET_VRING_BASE with the driver's position and wrap counter, the buffer id
 * table at SET_VRING_KICK, then the ring addresses. */
static inline void pdrv_attach(struct pdrv *r, struct vq *vq)
{
	const char *why = NULL;

	vq->packed = true;
	vq->size = r->size;
	vq->hdr_len = 12;
	vq->call_fd = -1;
	vq->kick_fd = -1;
	vq->last_avail = vq->used_idx = r->avail_pos;
	vq->avail_wrap = vq->used_wrap = r->avail_wrap;
	free(vq_packed_take(vq, vq_packed_alloc(r->size)));
	if (vq_map_rings(vq, r->g->mem, gpa_uva(r->g, r->desc_gpa), gpa_uva(r->g, r->drv_gpa),
			 gpa_uva(r->g, r->dev_gpa), &why))
		fail_msg("vq_map_rings: %s", why);
	vq->ready = true;
}

static inline void pdrv_detach(struct vq *vq)
{
	free(vq_packed_take(vq, NULL));
}

/* The wrap counter of the lap position avail_pos + i is in. */
static inline bool pdrv_lap(const struct pdrv *r, uint32_t i, uint16_t *slot)
{
	uint32_t p = r->avail_pos + i;

	*slot = (uint16_t)(p % r->size);
	return (p / r->size) % 2 ? !r->avail_wrap : r->avail_wrap;
}

/* Write descriptor avail_pos + i with exactly `flags` (NEXT, WRITE,
 * INDIRECT as the caller says) plus the bits that make it available in its
 * lap; i == 0 (the head) with a release store. For chains a driver would
 * never write. */
static inline void pdrv_raw(struct pdrv *r, uint32_t i, uint64_t addr, uint32_t len, uint16_t id,
			    uint16_t flags)
{
	uint16_t slot;
	bool wrap = pdrv_lap(r, i, &slot);
	struct vring_packed_desc *d = &r->desc[slot];

	d->addr = addr;
	d->len = len;
	d->id = id;
	flags = (uint16_t)(flags | pdrv_avail_bits(wrap));
	if (i == 0)
		__atomic_store_n(&d->flags, flags, __ATOMIC_RELEASE);
	else
		d->flags = flags;
}

/* Move the driver's avail position past n descriptors written with
 * pdrv_raw(), the buffer id taking them. */
static inline void pdrv_advance(struct pdrv *r, uint16_t n, uint16_t id)
{
	uint32_t p = r->avail_pos + n;

	if (p >= r->size) {
		p -= r->size;
		r->avail_wrap = !r->avail_wrap;
	}
	r->avail_pos = (uint16_t)p;
	if (id < r->size) {
		r->ndesc[id] = n;
		r->nfree = (uint16_t)(r->nfree - n);
	}
}

struct pseg {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* WRITE, INDIRECT; NEXT is added between segments */
};

/* Make a chain of n descriptors available as buffer `id`: the rest, then
 * the head (the id in every descriptor, as Linux writes it). */
static inline void pdrv_post(struct pdrv *r, const struct pseg *s, uint16_t n, uint16_t id)
{
	int i;

	assert_true(n >= 1 && n <= r->nfree);
	assert_true(id < r->size && !r->ndesc[id]);
	for (i = n - 1; i >= 0; i--)
		pdrv_raw(r, (uint32_t)i, s[i].addr, s[i].len, id,
			 (uint16_t)(s[i].flags | (i < n - 1 ? VRING_DESC_F_NEXT : 0)));
	pdrv_advance(r, n, id);
}

static inline void pdrv_post1(struct pdrv *r, uint64_t addr, uint32_t len, uint16_t flags,
			      uint16_t id)
{
	struct pseg s = { addr, len, flags };

	pdrv_post(r, &s, 1, id);
}

/* The next used buffer, if the device returned one: its id, length and
 * flags; the driver skips the positions the buffer took (§2.8.4). */
static inline bool pdrv_get_used(struct pdrv *r, uint16_t *id, uint32_t *len, uint16_t *flags)
{
	const struct vring_packed_desc *d = &r->desc[r->used_pos];
	uint16_t f = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE), n;
	uint32_t p;

	if (!!(f & PD_AVAIL) != r->used_wrap || !!(f & PD_USED) != r->used_wrap)
		return false;
	*id = d->id;
	*len = d->len;
	*flags = f;
	if (*id >= r->size || !r->ndesc[*id])
		fail_msg("used descriptor at %u: id %u is not in flight", r->used_pos, *id);
	n = r->ndesc[*id];
	r->ndesc[*id] = 0;
	r->nfree = (uint16_t)(r->nfree + n);
	p = r->used_pos + n;
	if (p >= r->size) {
		p -= r->size;
		r->used_wrap = !r->used_wrap;
	}
	r->used_pos = (uint16_t)p;
	return true;
}

/* The next used buffer must be (id, len) with the flags of its lap (WRITE
 * when the device wrote something). */
static inline void pdrv_expect_used(struct pdrv *r, uint16_t id, uint32_t len)
{
	uint16_t got_id = 0, flags = 0, want_flags = pdrv_used_bits(r->used_wrap);
	uint16_t at = r->used_pos;
	uint32_t got_len = 0;

	if (!pdrv_get_used(r, &got_id, &got_len, &flags))
		fail_msg("no used buffer at position %u (wrap %d): flags 0x%x", at, r->used_wrap,
			 r->desc[at].flags);
	if (len)
		want_flags |= VRING_DESC_F_WRITE;
	if (got_id != id || got_len != len || flags != want_flags)
		fail_msg("used at %u: id %u len %u flags 0x%x, expected id %u len %u flags 0x%x", at,
			 got_id, got_len, flags, id, len, want_flags);
}

static inline bool pdrv_has_used(const struct pdrv *r)
{
	uint16_t f = __atomic_load_n(&r->desc[r->used_pos].flags, __ATOMIC_ACQUIRE);

	return !!(f & PD_AVAIL) == r->used_wrap && !!(f & PD_USED) == r->used_wrap;
}

/* Driver event suppression: when the device should interrupt us. */
static inline void pdrv_event(struct pdrv *r, uint16_t flags, uint16_t off, bool wrap)
{
	__atomic_store_n(&r->drv->off_wrap, (uint16_t)(off | (wrap ? PD_EV_WRAP : 0)),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&r->drv->flags, flags, __ATOMIC_RELEASE);
}

#endif /* XVS_TESTS_VQ_PACKED_HARNESS_H */
