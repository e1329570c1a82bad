// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packed virtqueue, driver side (virtio 1.2, 2.8), for --packed.
 *
 * One ring of 16-byte descriptors {addr, len, id, flags} that we and the
 * back-end take turns on. We make a chain available at the next positions
 * (copied from vq->desc, where traffic.c keeps its chains in split form),
 * each descriptor with the buffer id (the device reads the last one's) and
 * AVAIL = our wrap counter, USED = its inverse. The back-end writes a used
 * descriptor (id, length, AVAIL = USED = its wrap counter) at its next
 * position and skips as many positions as that chain took. So we keep,
 * per id, how many positions its chain took (ndesc) and follow the used
 * descriptors the same way; the free positions are those between the
 * used ones we have read and the next one we make available.
 *
 *	add:     the chain's other descriptors      plain stores
 *	         the head's flags                   release
 *	publish: fence, read the device area        kick or not
 *	consume: a used descriptor's flags          acquire, then id, len, data
 *	arm:     the driver area                    then fence, re-read the ring
 *
 * Event suppression (2.8.10): the driver area is ours: DISABLE while we
 * poll, ENABLE when we wait, with EVENT_IDX DESC and the position (and
 * wrap counter) of the next used descriptor we wait for. The device area
 * is the back-end's: DISABLE, ENABLE, or DESC with the position whose
 * making available it wants to hear of.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vufront.h"

#define PQ_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PQ_USED (1u << VRING_PACKED_DESC_F_USED)
#define PQ_WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)
#define PQ_CHAIN_FLAGS (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)

/* The wrap counter of the lap position counter c is in: 1 on even laps. */
static inline bool lap_wrap(const struct vf_vq *vq, uint16_t c)
{
	return !(c & vq->num);
}

/* AVAIL and USED of a descriptor made available at counter c. */
static inline uint16_t avail_bits(const struct vf_vq *vq, uint16_t c)
{
	return lap_wrap(vq, c) ? PQ_AVAIL : PQ_USED;
}

/* Positions neither available nor used-but-unread. */
static inline uint16_t room(const struct vf_vq *vq)
{
	return (uint16_t)(vq->num - (uint16_t)(vq->avail_idx - vq->used_pos));
}

int vf_pq_init(struct vf_vq *vq, struct vf_mem *m)
{
	unsigned int num = vq->num;

	/* The ring 16-aligned, the event areas 4 (2.8.10.1); a cache line
	 * each, as on a split ring. */
	vq->pdesc = vf_mem_alloc(m, sizeof(*vq->pdesc) * num, VF_CACHE_LINE);
	vq->driver_ev = vf_mem_alloc(m, sizeof(*vq->driver_ev), VF_CACHE_LINE);
	vq->device_ev = vf_mem_alloc(m, sizeof(*vq->device_ev), VF_CACHE_LINE);
	if (!vq->pdesc || !vq->driver_ev || !vq->device_ev)
		return -ENOMEM;
	vq->desc = calloc(num, sizeof(*vq->desc));
	vq->ucache = calloc(num, sizeof(*vq->ucache));
	vq->ndesc = calloc(num, sizeof(*vq->ndesc));
	return vq->desc && vq->ucache && vq->ndesc ? 0 : -ENOMEM;
}

void vf_pq_free(struct vf_vq *vq)
{
	free(vq->desc);
	free(vq->ucache);
	free(vq->ndesc);
	vq->desc = NULL;
	vq->ucache = NULL;
	vq->ndesc = NULL;
}

/*
 * The chain at vq->desc[head] into the next positions. A chain longer
 * than the free positions (evil.c's loops and cycles, which have no end)
 * is cut there, its last descriptor still saying NEXT: a chain around the
 * whole ring.
 */
void vf_pq_add(struct vf_vq *vq, uint16_t head)
{
	uint16_t max = room(vq), c = vq->avail_idx, n = 0, i = head & vq->mask, head_flags = 0;

	if (!max)
		return; /* cannot happen: the slots are sized to the ring */
	for (;;) {
		const struct vring_desc *s = &vq->desc[i];
		struct vring_packed_desc *p = &vq->pdesc[c & vq->mask];
		uint16_t f = (uint16_t)((s->flags & PQ_CHAIN_FLAGS) | avail_bits(vq, c));

		p->addr = s->addr;
		p->len = s->len;
		p->id = head;
		if (n)
			p->flags = f; /* the head's flags cover the chain */
		else
			head_flags = f;
		n++;
		c++;
		if (!(s->flags & VRING_DESC_F_NEXT) || n == max)
			break;
		i = s->next & vq->mask;
	}
	if (head < vq->num)
		vq->ndesc[head] = n;
	/* Release: the chain's descriptors (and the buffers) are visible
	 * before the head's flags make it available. Pairs with the
	 * back-end's acquire load of the head's flags. */
	__atomic_store_n(&vq->pdesc[vq->avail_idx & vq->mask].flags, head_flags, __ATOMIC_RELEASE);
	vq->avail_idx = c;
}

void vf_pq_put(struct vf_vq *vq, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags,
	       bool wrap_lie)
{
	uint16_t c = vq->avail_idx, bits = avail_bits(vq, c);
	struct vring_packed_desc *p = &vq->pdesc[c & vq->mask];

	if (!room(vq))
		return;
	if (wrap_lie)
		bits ^= PQ_AVAIL | PQ_USED;
	p->addr = addr;
	p->len = len;
	p->id = id;
	/* release: as vf_pq_add() */
	__atomic_store_n(&p->flags, (uint16_t)(flags | bits), __ATOMIC_RELEASE);
	if (id < vq->num && !vq->ndesc[id])
		vq->ndesc[id] = 1;
	vq->avail_idx++;
}

/* Counter value (mod 2 * num) of a position with its wrap counter, as an
 * event suppression area gives it. */
static inline uint16_t event_ctr(const struct vf_vq *vq, uint16_t off_wrap)
{
	return (uint16_t)((off_wrap & (vq->num - 1)) + (off_wrap & PQ_WRAP ? 0 : vq->num));
}

void vf_pq_publish(struct vf_vq *vq)
{
	uint16_t new_idx = vq->avail_idx, old = vq->kick_old, flags, ev;
	uint32_t m2 = 2 * vq->num - 1; /* counters compared mod 2 * num */
	bool kick;

	if (new_idx == old)
		return;
	/* Store → load: the heads' flags (vf_pq_add) must be visible before
	 * we read the back-end's wish. Pairs with its full barrier between
	 * writing the device area and re-reading the next descriptor's
	 * flags; without both, each side can miss the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(&vq->device_ev->flags, __ATOMIC_RELAXED) & 3;
	if (flags == VRING_PACKED_EVENT_FLAG_DESC && vq->event_idx) {
		ev = event_ctr(vq, __atomic_load_n(&vq->device_ev->off_wrap, __ATOMIC_RELAXED));
		/* the descriptor it waits for is among those just made available */
		kick = ((uint32_t)(new_idx - ev - 1) & m2) < ((uint32_t)(new_idx - old) & m2);
	} else {
		kick = flags != VRING_PACKED_EVENT_FLAG_DISABLE;
	}
	vq->kick_old = new_idx;
	if (kick)
		vf_vq_kick(vq);
}

bool vf_pq_arm(struct vf_vq *vq)
{
	if (vq->event_idx) {
		/* Notify when the descriptor at used_pos is used; the release
		 * keeps the position before the flag that makes it count. */
		__atomic_store_n(&vq->driver_ev->off_wrap, vf_pq_base(vq, vq->used_pos),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&vq->driver_ev->flags, VRING_PACKED_EVENT_FLAG_DESC,
				 __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&vq->driver_ev->flags, VRING_PACKED_EVENT_FLAG_ENABLE,
				 __ATOMIC_RELAXED);
	}
	vq->armed = true;
	/* Store → load: our wish before we re-read the ring. Pairs with the
	 * back-end's barrier between writing used descriptors and reading
	 * the driver area: it notifies, or we see them here. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vf_pq_used_scan(vq) != 0;
}

void vf_pq_disarm(struct vf_vq *vq)
{
	/* a hint only (the back-end may notify anyway) */
	__atomic_store_n(&vq->driver_ev->flags, VRING_PACKED_EVENT_FLAG_DISABLE, __ATOMIC_RELAXED);
	vq->armed = false;
}

void vf_pq_reset(struct vf_vq *vq)
{
	memset(vq->pdesc, 0, sizeof(*vq->pdesc) * vq->num);
	memset(vq->driver_ev, 0, sizeof(*vq->driver_ev));
	memset(vq->device_ev, 0, sizeof(*vq->device_ev));
	memset(vq->ndesc, 0, sizeof(*vq->ndesc) * vq->num);
	vq->avail_idx = vq->kick_old = vq->last_used = vq->used_end = vq->used_pos = 0;
	vf_pq_disarm(vq);
}

/*
 * Used descriptors the back-end has written since the last look, copied
 * into ucache; returns the entries there not consumed yet. The scan stops
 * at the first descriptor not used in its lap, at the positions we made
 * available, and when ucache is full. An id not in flight (a back-end's
 * bug) moves on by one position; the consumer counts it (used_err).
 */
uint16_t vf_pq_used_scan(struct vf_vq *vq)
{
	while ((uint16_t)(vq->used_end - vq->last_used) < vq->num && vq->used_pos != vq->avail_idx) {
		uint16_t c = vq->used_pos, want = lap_wrap(vq, c) ? PQ_AVAIL | PQ_USED : 0;
		const struct vring_packed_desc *p = &vq->pdesc[c & vq->mask];
		struct vring_used_elem *e = &vq->ucache[vq->used_end & vq->mask];
		uint16_t flags, id, n, inflight = (uint16_t)(vq->avail_idx - c);

		/* Acquire pairs with the back-end's release of the used flags:
		 * the id, the length and the data it wrote into the buffer
		 * are visible after this load. */
		flags = __atomic_load_n(&p->flags, __ATOMIC_ACQUIRE);
		if ((flags & (PQ_AVAIL | PQ_USED)) != want)
			break;
		id = p->id;
		e->id = id;
		e->len = p->len;
		vq->used_end++;
		n = id < vq->num ? vq->ndesc[id] : 0;
		if (n)
			vq->ndesc[id] = 0;
		else
			n = 1;
		vq->used_pos = (uint16_t)(c + (n < inflight ? n : inflight));
	}
	return (uint16_t)(vq->used_end - vq->last_used);
}

uint16_t vf_pq_base(const struct vf_vq *vq, uint16_t ctr)
{
	return (uint16_t)((ctr & vq->mask) | (lap_wrap(vq, ctr) ? PQ_WRAP : 0));
}
