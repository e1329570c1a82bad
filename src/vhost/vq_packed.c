// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packed virtqueue, device side (virtio 1.2 §2.8). One ring of
 * descriptors the driver and the device take turns on: the driver makes a
 * descriptor available by setting its AVAIL flag to its wrap counter and
 * USED to the inverse; the device writes a used descriptor (id, length,
 * both flags = its own wrap counter) in the next free position and skips
 * as many positions as that buffer took. The two event suppression areas
 * replace split's flags and event indexes.
 *
 * Everything the guest writes is read once and checked as on a split ring
 * (vq.c): the chain's descriptors one after the other in the ring, at most
 * the ring's size and VQ_MAX_DESC reads together; indirect tables (length
 * a multiple of 16, inside memory, aligned, not nested); each buffer id
 * below the ring size and not in flight twice, which also bounds the
 * buffers in flight to the ring's size.
 *
 * Ordering: the driver writes a chain's descriptors, then (write barrier)
 * the head's flags; we load the head's flags with acquire before the rest.
 * We write used descriptors, the batch's first flags last with release
 * (the driver stops at the first descriptor not used yet, so one store
 * publishes the batch).
 */
#include "vhost/vq_internal.h"

#include <stdlib.h>
#include <string.h>

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)
#define PK_WRAP_BIT (1u << VRING_PACKED_EVENT_F_WRAP_CTR)
#define PK_NO_ID 0xffff /* an undo entry of a chain that was not taken */

uint16_t *vq_packed_alloc(uint16_t size)
{
	return calloc(size ? size : 1, sizeof(uint16_t));
}

uint16_t *vq_packed_take(struct vq *vq, uint16_t *t)
{
	uint16_t *old = vq->pk_ndesc;

	vq->pk_ndesc = t;
	return old;
}

static inline bool desc_avail(uint16_t flags, bool wrap)
{
	return !!(flags & PK_AVAIL) == wrap && !!(flags & PK_USED) != wrap;
}

/* acquire: what the driver wrote before the flags (pairs with its write
 * barrier before it makes the head available) */
static inline uint16_t flags_at(const struct vq *vq, uint16_t pos)
{
	return __atomic_load_n(&vq->pdesc[pos].flags, __ATOMIC_ACQUIRE);
}

/* n <= size: positions go round at most once */
static inline void advance(uint16_t *pos, bool *wrap, uint32_t n, uint16_t size)
{
	uint32_t p = *pos + n;

	if (p >= size) {
		p -= size;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

/* 0 if nothing is available at last_avail, else an upper bound of the
 * chains that can be popped: the ring's size, at most 64. Only the head is
 * looked at: vqp_pop checks each chain's head anyway and says -EAGAIN where
 * the available ones end, and counting them first (a load and a test per
 * descriptor) cost more than the pops. */
int vqp_avail_count(struct vq *vq)
{
	if (!desc_avail(flags_at(vq, vq->last_avail), vq->avail_wrap))
		return 0;
	return vq->size < 64 ? vq->size : 64;
}

/* 1 if the descriptor at last_avail is available, else 0: what a receive
 * needs to start (vqp_pop reads its flags again; a frame that takes more
 * buffers asks again after each). One load, not a walk: a walk per frame
 * was most of a packed ring's cost. */
int vqp_avail_head(struct vq *vq)
{
	return desc_avail(flags_at(vq, vq->last_avail), vq->avail_wrap);
}

static void undo_push(struct vq *vq, uint16_t id)
{
	struct vq_pk_undo *u = &vq->pk_undo[vq->pk_undo_n % VQ_MAX_SEGS];

	u->pos = vq->last_avail;
	u->wrap = vq->avail_wrap;
	u->id = id;
	vq->pk_undo_n++;
}

void vqp_unpop(struct vq *vq, uint16_t n)
{
	/* the entries of the last pops, VQ_MAX_SEGS of them at most */
	if (n > VQ_MAX_SEGS)
		n = VQ_MAX_SEGS;
	while (n--) {
		const struct vq_pk_undo *u = &vq->pk_undo[--vq->pk_undo_n % VQ_MAX_SEGS];

		if (u->id != PK_NO_ID)
			vq->pk_ndesc[u->id] = 0;
		vq->last_avail = u->pos;
		vq->avail_wrap = u->wrap;
	}
}

/* The budget ran out: a violation for a chain that had a whole one, else
 * the frame's chains together were too many (nothing taken; an undo entry
 * all the same, as the caller gives back every chain it tried). */
static int out_of_budget(struct vq *vq, bool full)
{
	if (full)
		return violation(vq, "descriptor chain of more than 256 descriptors");
	undo_push(vq, PK_NO_ID);
	return -ENOBUFS;
}

/* A packed indirect table: every entry is part of the chain, in order
 * (NEXT means nothing there). */
static int walk_indirect(struct vq *vq, struct vq_chain *c, uint64_t addr, uint32_t len,
			 bool writable, uint32_t *budget, bool full, uint64_t *total, bool *oversize)
{
	const struct vring_packed_desc *table;
	uint32_t i, n;

	if (len == 0 || len % sizeof(struct vring_packed_desc))
		return violation(vq, "indirect table length not a multiple of 16");
	n = len / sizeof(struct vring_packed_desc);
	if (n > vq->size)
		return violation(vq, "indirect table longer than the ring");
	table = vu_mem_gpa(vq->mem, addr, len);
	if (!table)
		return violation(vq, "indirect table outside guest memory");
	if ((uintptr_t)table % 8)
		return violation(vq, "indirect table misaligned");
	for (i = 0; i < n; i++) {
		const volatile struct vring_packed_desc *d = &table[i];
		uint64_t a;
		uint32_t l;
		uint16_t f;

		if (!*budget)
			return out_of_budget(vq, full);
		(*budget)--;
		a = d->addr;
		l = d->len;
		f = d->flags;
		if (f & VRING_DESC_F_INDIRECT)
			return violation(vq, "nested indirect descriptor");
		if (!!(f & VRING_DESC_F_WRITE) != writable)
			return violation(vq, writable ? "receive buffer is not device-writable"
						      : "transmit buffer is device-writable");
		*total += l;
		if (vq_add_segs(vq, c, a, l, oversize))
			return -EFAULT;
	}
	return 0;
}

/* The usual chain: one descriptor in one region, its id free (Linux with
 * indirect tables for long chains, and DPDK, post only these). Anything
 * else is left to the walk, which checks it all again. */
static inline bool pop_fast(struct vq *vq, struct vq_chain *c, bool writable, uint16_t flags,
			    uint32_t *budget)
{
	const volatile struct vring_packed_desc *d = &vq->pdesc[vq->last_avail];
	uint64_t addr = d->addr;
	uint32_t len = d->len;
	uint16_t id = d->id;
	void *hva;

	if ((flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) ||
	    !!(flags & VRING_DESC_F_WRITE) != writable || !*budget || id >= vq->size ||
	    vq->pk_ndesc[id] || !(hva = vu_mem_gpa(vq->mem, addr, len)))
		return false;
	(*budget)--;
	vq->pk_ndesc[id] = 1;
	undo_push(vq, id);
	advance(&vq->last_avail, &vq->avail_wrap, 1, vq->size);
	c->seg[0].base = hva;
	c->seg[0].len = len;
	c->nseg = 1;
	c->len = len;
	c->head = id;
	return true;
}

/* The whole walk of the chain at last_avail, whose head's flags are
 * `flags` (available). Out of line: the usual chain never needs it, and
 * its frame would cost every pop. */
static __attribute__((noinline)) int walk(struct vq *vq, struct vq_chain *c, bool writable,
					  uint32_t *budget, bool full, uint16_t flags)
{
	uint16_t pos = vq->last_avail, size = vq->size, id, ndesc = 0;
	bool wrap = vq->avail_wrap, oversize = false;
	uint64_t total = 0;
	int r;

	c->nseg = 0;
	for (;;) {
		const volatile struct vring_packed_desc *d = &vq->pdesc[pos];
		uint64_t addr;
		uint32_t len;

		if (ndesc == size)
			return violation(vq, "descriptor chain longer than the ring");
		if (!*budget)
			return out_of_budget(vq, full);
		(*budget)--;
		if (ndesc)
			flags = d->flags; /* the head's acquire covered the chain */
		addr = d->addr;
		len = d->len;
		ndesc++;
		if (flags & VRING_DESC_F_INDIRECT) {
			if (flags & VRING_DESC_F_NEXT)
				return violation(vq, "indirect descriptor with NEXT");
			r = walk_indirect(vq, c, addr, len, writable, budget, full, &total, &oversize);
			if (r)
				return r;
			break;
		}
		if (!!(flags & VRING_DESC_F_WRITE) != writable)
			return violation(vq, writable ? "receive buffer is not device-writable"
						      : "transmit buffer is device-writable");
		total += len;
		if (vq_add_segs(vq, c, addr, len, &oversize))
			return -EFAULT;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		advance(&pos, &wrap, 1, size);
	}
	/* the buffer id is the last descriptor's */
	id = READ_ONCE(vq->pdesc[pos].id);
	advance(&pos, &wrap, 1, size);
	if (id >= size)
		return violation(vq, "buffer id out of range");
	if (vq->pk_ndesc[id])
		return violation(vq, "buffer id already in flight");
	vq->pk_ndesc[id] = ndesc;
	undo_push(vq, id);
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	c->head = id;
	c->len = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	return oversize ? -EMSGSIZE : 0;
}

int vqp_pop(struct vq *vq, struct vq_chain *c, bool writable, uint32_t *budget, bool full)
{
	uint16_t flags = flags_at(vq, vq->last_avail);

	if (!desc_avail(flags, vq->avail_wrap))
		return -EAGAIN;
	if (pop_fast(vq, c, writable, flags, budget))
		return 0;
	return walk(vq, c, writable, budget, full, flags);
}

void vqp_push(struct vq *vq, uint16_t id, uint32_t len)
{
	uint16_t pos = vq->used_idx, nd = id < vq->size ? vq->pk_ndesc[id] : 0;
	struct vring_packed_desc *d = &vq->pdesc[pos];
	uint16_t flags = (uint16_t)((vq->used_wrap ? PK_AVAIL | PK_USED : 0) |
				    (len ? VRING_DESC_F_WRITE : 0));

	d->id = id;
	d->len = len;
	if (!vq->used_pending) { /* published last, by vqp_flush */
		vq->pk_first = pos;
		vq->pk_first_flags = flags;
	} else {
		d->flags = flags;
	}
	if (!nd) /* not ours to return: cannot happen for popped chains */
		nd = 1;
	else
		vq->pk_ndesc[id] = 0;
	advance(&vq->used_idx, &vq->used_wrap, nd, vq->size);
	vq->pk_since_signal += nd;
	vq->used_pending++;
}

void vqp_flush(struct vq *vq)
{
	uint16_t fl, off_wrap, old = vq->signalled_used, new = vq->used_idx;
	uint32_t since = vq->pk_since_signal;
	bool notify;

	if (!vq->used_pending)
		return;
	/* release: the batch's descriptors before the first one's flags */
	__atomic_store_n(&vq->pdesc[vq->pk_first].flags, vq->pk_first_flags, __ATOMIC_RELEASE);
	if (vq->log)
		vq_log_rings(vq);
	vq->used_pending = 0;
	vq->pk_since_signal = 0;
	/* full barrier: our used descriptors before we read the driver's wish
	 * (pairs with its barrier between enabling events and re-checking) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	fl = READ_ONCE(vq->driver_ev->flags) & 3;
	if (fl == VRING_PACKED_EVENT_FLAG_DESC && vq->event_idx) {
		int o = old, n = new, off;

		off_wrap = READ_ONCE(vq->driver_ev->off_wrap);
		off = off_wrap & ~PK_WRAP_BIT;
		/* positions go round: on one line with the last signal */
		if (n <= o)
			o -= vq->size;
		if (!!(off_wrap & PK_WRAP_BIT) != vq->used_wrap)
			off -= vq->size;
		notify = !vq->signalled_valid || since >= vq->size ||
			 vring_need_event((uint16_t)off, (uint16_t)n, (uint16_t)o);
	} else {
		notify = fl != VRING_PACKED_EVENT_FLAG_DISABLE;
	}
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (notify)
		vq_signal(vq);
}

bool vqp_kick_enable(struct vq *vq)
{
	if (vq->event_idx) {
		__atomic_store_n(&vq->device_ev->off_wrap,
				 (uint16_t)(vq->last_avail | (vq->avail_wrap ? PK_WRAP_BIT : 0)),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&vq->device_ev->flags, VRING_PACKED_EVENT_FLAG_DESC,
				 __ATOMIC_RELAXED);
	} else {
		__atomic_store_n(&vq->device_ev->flags, VRING_PACKED_EVENT_FLAG_ENABLE,
				 __ATOMIC_RELAXED);
	}
	/* full barrier: the wish before the re-check; pairs with the driver's
	 * barrier between making a chain available and reading our wish */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return desc_avail(flags_at(vq, vq->last_avail), vq->avail_wrap);
}

void vqp_kick_disable(struct vq *vq)
{
	__atomic_store_n(&vq->device_ev->flags, VRING_PACKED_EVENT_FLAG_DISABLE, __ATOMIC_RELAXED);
}

/* From where the frame's walk ended (called before its chains are given
 * back), on to the first descriptor not available: at most a burst's
 * worth further (past that, posting more clears the memo at once, which
 * costs a walk, not a wrong drop). A walk over the whole ring per dropped
 * frame would cost the sender's worker 100 µs on a ring of 32768. */
void vqp_mark_posted(struct vq *vq)
{
	uint16_t pos = vq->last_avail, n = 0;
	bool wrap = vq->avail_wrap;

	while (n < 64 && desc_avail(flags_at(vq, pos), wrap)) {
		n++;
		advance(&pos, &wrap, 1, vq->size);
	}
	vq->nobuf_idx = (uint16_t)(pos | (wrap ? PK_WRAP_BIT : 0));
}

bool vqp_posted_more(const struct vq *vq)
{
	uint16_t pos = vq->nobuf_idx & (uint16_t)~PK_WRAP_BIT;

	return desc_avail(flags_at(vq, pos), vq->nobuf_idx & PK_WRAP_BIT);
}

/*
 * Where the ring stands, read from the ring itself (virtio 1.2 §2.8.1):
 * the driver makes descriptors available in ring order, and the device
 * writes used ones in that order too, so the available ones form one run
 * that starts at the oldest of them, and the used ones the rest. The
 * first available descriptor is where the device goes on (its AVAIL bit
 * is the wrap counter of that lap); with none available, the position
 * after the newest used one (the next lap). A descriptor starts a run
 * when the one before it is of the other kind, or of the same kind but
 * from another lap (the AVAIL bit flips between laps, except across the
 * end of the ring, where the lap changes).
 *
 * QEMU cannot tell where a packed ring stands after its back-end died
 * (for a split ring it reads the used index; the packed ring has none),
 * and SET_VRING_BASE then gives a stale position: the one it had at the
 * ring's first start, position 0 with wrap 1. Only then is the ring read
 * (vu_dev: vq->pk_base0); a base QEMU got from GET_VRING_BASE (a stop, a
 * migration) is taken as it is. The reading is exact for chains of one
 * descriptor each (Linux with indirect descriptors, DPDK): the other
 * descriptors of a longer chain keep the driver's flags when it is used,
 * and look available. Buffers taken but not returned when the switch
 * died are taken again, as on a split ring. A driver that wrote nonsense
 * gets a start of its own making: every descriptor is still checked.
 */
static bool run_start(const struct vq *vq, uint16_t p, bool avail)
{
	uint16_t f = flags_at(vq, p), g = flags_at(vq, p ? p - 1 : vq->size - 1);
	bool fa = !!(f & PK_AVAIL) != !!(f & PK_USED), ga = !!(g & PK_AVAIL) != !!(g & PK_USED);
	bool same_lap = !!(f & PK_AVAIL) == !!(g & PK_AVAIL);

	if (fa != avail)
		return false;
	if (ga != avail)
		return true;
	return p ? !same_lap : same_lap;
}

bool vqp_recover(struct vq *vq)
{
	uint16_t p, pos = 0;
	bool wrap = true, found = false;

	for (p = 0; p < vq->size && !found; p++)
		if (run_start(vq, p, true)) {
			pos = p;
			wrap = flags_at(vq, p) & PK_AVAIL;
			found = true;
		}
	for (p = 0; p < vq->size && !found; p++)
		if (run_start(vq, p, false)) {
			pos = p;
			wrap = !(flags_at(vq, p) & PK_AVAIL);
			found = true;
		}
	if (!found || (pos == vq->last_avail && wrap == vq->avail_wrap))
		return false;
	vq->last_avail = vq->used_idx = pos;
	vq->avail_wrap = vq->used_wrap = wrap;
	return true;
}

