// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue, device side. Memory ordering follows virtio §2.7.13:
 * the driver writes a descriptor, then the avail ring entry, then (write
 * barrier) avail->idx; we load avail->idx with acquire before reading
 * entries. We write used entries, then publish used->idx with release
 * (the driver reads idx, then barrier, then entries).
 */
#include "vhost/vq.h"

#include <errno.h>
#include <stddef.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/eventfd.h>

#include "vhost/vq_internal.h"
#include "vhost/vu_inflight.h"

#define unlikely(x) __builtin_expect(!!(x), 0)

static uint16_t *used_event_p(const struct vq *vq)
{
	return (uint16_t *)&vq->avail->ring[vq->size];
}

static uint16_t *avail_event_p(const struct vq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

/* A split ring's three parts, or a packed ring's descriptors and two event
 * areas (§2.8.10): sizes and alignments for `n` entries, the event words
 * after the split rings included. */
int vq_map_rings(struct vq *vq, const struct vu_mem *mem, uint64_t desc_uva,
		 uint64_t avail_uva, uint64_t used_uva, const char **why)
{
	uint64_t n = vq->size, avail_len = 4 + 2 * n + 2, used_len = 4 + 8 * n + 2;
	unsigned avail_al = 2;

	if (!n || n & (n - 1) || n > VU_MAX_RING_SIZE) {
		*why = "ring size is not a power of two up to 32768";
		return -EINVAL;
	}
	if (vq->packed) {
		avail_len = used_len = sizeof(struct vring_packed_desc_event);
		avail_al = 4;
	}
	if (desc_uva % 16 || avail_uva % avail_al || used_uva % 4) {
		*why = "ring address misaligned";
		return -EINVAL;
	}
	vq->desc = vu_mem_uva(mem, desc_uva, 16 * n);
	vq->avail = vu_mem_uva(mem, avail_uva, avail_len);
	vq->used = vu_mem_uva(mem, used_uva, used_len);
	*why = !vq->desc || !vq->avail || !vq->used ? "ring not inside guest memory" : NULL;
	/* aligned in our mapping too: a region's file offset need not be
	 * congruent with its front-end address, and an atomic on an
	 * unaligned index could even split a cache line (a bus lock) */
	if (!*why && ((uintptr_t)vq->desc % 16 || (uintptr_t)vq->avail % avail_al ||
		      (uintptr_t)vq->used % 4))
		*why = "ring address misaligned in the switch's mapping (region offset)";
	if (!*why && vq->packed && (vq->last_avail >= n || vq->used_idx >= n))
		*why = "SET_VRING_BASE beyond the ring's size";
	if (*why) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		vq->ifl_guest = NULL; /* the old mapping: never to be put back */
		return -EINVAL;
	}
	vq->mem = mem;
	if (vq->ifl_resub) { /* new mapping while heads are resubmitted */
		vq->ifl_guest = vq->avail;
		vq->avail = vq->ifl_shadow;
	}
	return 0;
}

int vq_avail_count(struct vq *vq)
{
	uint16_t idx, n;

	if (vq->packed)
		return vqp_avail_count(vq);
	/* acquire: pairs with the driver's barrier before it bumps avail->idx */
	idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	n = (uint16_t)(idx - vq->last_avail);

	if (n > vq->size) {
		vq->err = "avail index more than a ring ahead";
		return -EFAULT;
	}
	vq->avail_cache = idx;
	return n;
}

/* Entries available as last seen, if at least `want`; else look again. */
static int avail_at_least(struct vq *vq, uint16_t want)
{
	uint16_t n = (uint16_t)(vq->avail_cache - vq->last_avail);

	return n >= want ? n : vq_avail_count(vq);
}

int vq_add_segs(struct vq *vq, struct vq_chain *c, uint64_t addr, uint32_t len, bool *oversize)
{
	if (addr + len < addr)
		return violation(vq, "descriptor address wraps around");
	while (len) {
		void *hva;
		uint64_t piece = vu_mem_gpa_piece(vq->mem, addr, len, &hva);

		if (!piece)
			return violation(vq, "descriptor outside guest memory");
		if (c->nseg == VQ_MAX_SEGS) {
			*oversize = true; /* keep walking: the chain must still be sane */
		} else {
			c->seg[c->nseg].base = hva;
			c->seg[c->nseg].len = (uint32_t)piece;
			c->nseg++;
		}
		addr += piece;
		len -= (uint32_t)piece;
	}
	return 0;
}

/* The next avail entry's head, consumed; -EFAULT if out of range. */
static inline int pop_head(struct vq *vq, struct vq_chain *c)
{
	uint16_t head = READ_ONCE(vq->avail->ring[vq->last_avail & (vq->size - 1)]);

	if (head >= vq->size)
		return violation(vq, "avail ring entry out of range");
	/* A driver has at most `size` buffers out. More popped than returned
	 * means it made some available twice, and their used entries would
	 * overwrite each other before the guest saw them. */
	if ((uint16_t)(vq->last_avail - vq->used_idx) >= vq->size)
		return violation(vq, "more buffers in flight than the ring holds");
	vq->last_avail++;
	c->head = head;
	c->nseg = 0;
	return 0;
}

/* The usual chain: one descriptor, one region. Anything else (or a guest
 * changing it under us) is left to walk(). */
static inline bool pop_fast(struct vq *vq, struct vq_chain *c, bool writable)
{
	const volatile struct vring_desc *vd = &vq->desc[c->head];
	uint64_t addr = vd->addr;
	uint32_t len = vd->len;
	uint16_t flags = vd->flags;
	void *hva;

	if ((flags & (VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT)) ||
	    !!(flags & VRING_DESC_F_WRITE) != writable || !(hva = vu_mem_gpa(vq->mem, addr, len)))
		return false;
	c->seg[0].base = hva;
	c->seg[0].len = len;
	c->nseg = 1;
	c->len = len;
	return true;
}

/*
 * The whole walk from c->head. Every descriptor read is charged to the
 * budget, whatever its length and whichever table it is in: the walk ends
 * after VQ_MAX_DESC reads at the latest, cycles and zero-length padding
 * included. `full`: the budget was a whole one (running out is then the
 * chain's fault, a violation).
 */
static int walk(struct vq *vq, struct vq_chain *c, bool writable, uint32_t *budget, bool full)
{
	const struct vring_desc *table = vq->desc;
	uint32_t max = vq->size, count = 0, i = c->head;
	bool oversize = false, indirect = false;
	uint64_t total = 0;

	for (;;) {
		const volatile struct vring_desc *vd = &table[i];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;

		if (++count > max)
			return violation(vq, "descriptor chain loops or is longer than its table");
		if (!*budget) {
			if (full)
				return violation(vq, "descriptor chain of more than 256 descriptors");
			return -ENOBUFS;
		}
		(*budget)--;
		addr = vd->addr;
		len = vd->len;
		flags = vd->flags;
		next = vd->next;
		if (flags & VRING_DESC_F_INDIRECT) {
			/* by state, not by table address: a guest may point an
			 * indirect table at the ring's own table */
			if (indirect)
				return violation(vq, "nested indirect descriptor");
			if (flags & VRING_DESC_F_NEXT)
				return violation(vq, "indirect descriptor with NEXT");
			if (len == 0 || len % sizeof(struct vring_desc))
				return violation(vq, "indirect table length not a multiple of 16");
			/* a chain is never longer than the ring (virtio 2.7.5.3.1) */
			if (len / sizeof(struct vring_desc) > vq->size)
				return violation(vq, "indirect table longer than the ring");
			table = vu_mem_gpa(vq->mem, addr, len);
			if (!table)
				return violation(vq, "indirect table outside guest memory");
			/* descriptors hold 64-bit fields: read them aligned */
			if ((uintptr_t)table % 8)
				return violation(vq, "indirect table misaligned");
			indirect = true;
			max = len / sizeof(struct vring_desc);
			count = 0;
			i = 0;
			continue;
		}
		if (!!(flags & VRING_DESC_F_WRITE) != writable)
			return violation(vq, writable ? "receive buffer is not device-writable"
						      : "transmit buffer is device-writable");
		total += len;
		if (vq_add_segs(vq, c, addr, len, &oversize))
			return -EFAULT;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (next >= max)
			return violation(vq, "descriptor next index out of range");
		i = next;
	}
	c->len = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	return oversize ? -EMSGSIZE : 0;
}

int vq_pop(struct vq *vq, struct vq_chain *c, bool writable)
{
	uint32_t budget = VQ_MAX_DESC;
	int r;

	if (vq->packed)
		return vqp_pop(vq, c, writable, &budget, true);
	r = pop_head(vq, c);

	if (r || pop_fast(vq, c, writable))
		return r;
	return walk(vq, c, writable, &budget, true);
}

int vq_pop_budget(struct vq *vq, struct vq_chain *c, bool writable, uint32_t *budget)
{
	bool full = *budget >= VQ_MAX_DESC;
	int r;

	if (vq->packed)
		return vqp_pop(vq, c, writable, budget, full);
	r = pop_head(vq, c);
	if (r)
		return r;
	if (*budget && pop_fast(vq, c, writable)) {
		(*budget)--;
		return 0;
	}
	return walk(vq, c, writable, budget, full);
}

void vq_flush(struct vq *vq)
{
	uint16_t old, new, event;
	bool notify;

	if (vq->packed) {
		vqp_flush(vq);
		return;
	}
	if (!vq->used_pending)
		return;
	new = (uint16_t)(vq->used_idx + vq->used_pending);
	if (unlikely(vq->ifl)) /* crash resume: records around the store */
		vu_inflight_publish(vq, new);
	else /* release: entries before idx; pairs with the driver's read
	      * barrier after it loads used->idx */
		__atomic_store_n(&vq->used->idx, new, __ATOMIC_RELEASE);
	if (unlikely(vq->log))
		vq_log_rings(vq);
	vq->used_idx = new;
	vq->used_pending = 0;

	/* full barrier: our idx store before we read the driver's wish; pairs
	 * with the barrier in the driver between writing used_event (or
	 * clearing NO_INTERRUPT) and re-reading used->idx */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		old = vq->signalled_used;
		notify = !vq->signalled_valid;
		event = READ_ONCE(*used_event_p(vq));
		vq->signalled_used = new;
		vq->signalled_valid = true;
		notify = notify || vring_need_event(event, new, old);
	} else {
		notify = !(READ_ONCE(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (notify)
		vq_signal(vq);
}

void vq_log_rings(struct vq *vq)
{
	if (vq->packed) { /* used descriptors go in the descriptor ring */
		vu_log_hva(vq->log, vq->mem, vq->pdesc, 16ull * vq->size);
		vu_log_hva(vq->log, vq->mem, vq->device_ev, sizeof(*vq->device_ev));
	} else if (vq->log_used) { /* flags, idx, the ring, avail_event */
		vu_log_gpa(vq->log, vq->log_used_gpa, 4 + 8ull * vq->size + 2);
	}
}

static bool kick_enable(struct vq *vq)
{
	if (vq->packed)
		return vqp_kick_enable(vq);
	if (vq->event_idx)
		__atomic_store_n(avail_event_p(vq), vq->last_avail, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	/* full barrier: publish the wish before re-checking the ring; pairs
	 * with the driver's barrier between avail->idx and reading our flag */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

bool vq_kick_enable(struct vq *vq)
{
	bool r = kick_enable(vq);

	if (unlikely(vq->log)) /* logged after the write, as every write */
		vq_log_rings(vq);
	return r;
}

void vq_kick_disable(struct vq *vq)
{
	if (vq->packed)
		vqp_kick_disable(vq);
	/* With EVENT_IDX a stale avail_event already silences the driver. */
	else if (!vq->event_idx)
		__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	if (unlikely(vq->log))
		vq_log_rings(vq);
}

uint32_t vq_iov_read(const struct vq_iov *seg, int nseg, uint32_t skip, void *dst, uint32_t n)
{
	uint8_t *d = dst;
	uint32_t done = 0, k;
	int i;

	for (i = 0; i < nseg && done < n; i++) {
		if (skip >= seg[i].len) {
			skip -= seg[i].len;
			continue;
		}
		k = seg[i].len - skip;
		if (k > n - done)
			k = n - done;
		memcpy(d + done, seg[i].base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

int vq_iov_slice(const struct vq_iov *seg, int nseg, uint32_t skip, uint32_t n,
		 struct vq_iov *out, int max)
{
	int i, k = 0;

	for (i = 0; i < nseg && n && k < max; i++) {
		uint32_t l;

		if (skip >= seg[i].len) {
			skip -= seg[i].len;
			continue;
		}
		l = seg[i].len - skip < n ? seg[i].len - skip : n;
		out[k++] = (struct vq_iov){ seg[i].base + skip, l };
		n -= l;
		skip = 0;
	}
	return k;
}

/* Copy up to `n` bytes from src, at the cursor (segment si, offset soff),
 * into one chain at offset dst_off; advances the cursor; returns bytes
 * copied. */
static uint32_t copy_into(const struct vq_chain *c, uint32_t dst_off, const struct vq_iov *src,
			  int nsrc, int *si, uint32_t *soff, uint32_t n)
{
	uint32_t done = 0, k;
	int d = 0;

	while (d < c->nseg && dst_off >= c->seg[d].len)
		dst_off -= c->seg[d++].len;
	while (done < n && d < c->nseg && *si < nsrc) {
		k = c->seg[d].len - dst_off;
		if (k > src[*si].len - *soff)
			k = src[*si].len - *soff;
		if (k > n - done)
			k = n - done;
		memcpy(c->seg[d].base + dst_off, src[*si].base + *soff, k);
		done += k;
		dst_off += k;
		*soff += k;
		if (dst_off == c->seg[d].len) {
			d++;
			dst_off = 0;
		}
		if (*soff == src[*si].len) {
			(*si)++;
			*soff = 0;
		}
	}
	return done;
}

_Static_assert(sizeof(struct virtio_net_hdr_mrg_rxbuf) == 12 &&
		       offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers) == 10,
	       "virtio-net header: 10 bytes, then num_buffers");

/*
 * The usual case writes the header with stores of constants: no load
 * follows them. (Built on the stack and copied with a memcpy of variable
 * length, the header was read back with one 8-byte load spanning two
 * smaller stores; such a load cannot be forwarded and waits until every
 * older store has reached the cache — behind the frame's own stores into
 * the guest's buffer, each a cache miss on a line the guest's CPU last
 * held. That wait was 40 % of the switch's time at 64 bytes.)
 */
/* A header with offload fields, or one that does not fit the first segment. */
static void __attribute__((noinline)) write_hdr_slow(const struct vq_chain *c, uint8_t hdr_len,
						     uint16_t num_buffers,
						     const struct virtio_net_hdr *vh)
{
	struct virtio_net_hdr_mrg_rxbuf h = { .num_buffers = num_buffers };
	struct vq_iov src = { (uint8_t *)&h, hdr_len };
	uint32_t off = 0;
	int si = 0;

	if (vh)
		h.hdr = *vh;
	copy_into(c, 0, &src, 1, &si, &off, hdr_len);
}

static inline __attribute__((always_inline)) void write_hdr(const struct vq_chain *c,
							    uint8_t hdr_len, uint16_t num_buffers,
							    const struct virtio_net_hdr *vh)
{
	uint8_t *d = c->seg[0].base;

	if (vh || c->seg[0].len < hdr_len || (hdr_len != 10 && hdr_len != 12)) {
		write_hdr_slow(c, hdr_len, num_buffers, vh);
		return;
	}
	memcpy(d, &(uint64_t){ 0 }, 8); /* flags .. csum_start */
	memcpy(d + 8, &(uint16_t){ 0 }, 2); /* csum_offset */
	if (hdr_len == 12)
		memcpy(d + 10, &num_buffers, 2);
}

/* Write head[0, n) over the first bytes of the frame just laid into
 * chains[0, nch) (after the virtio-net header of the first). */
static void overwrite_head(const struct vq_chain *chains, int nch, uint32_t off,
			   const uint8_t *head, uint32_t n)
{
	int c, s;

	for (c = 0; c < nch && n; c++, off = 0) {
		for (s = 0; s < chains[c].nseg && n; s++) {
			uint32_t l = chains[c].seg[s].len, k;

			if (off >= l) {
				off -= l;
				continue;
			}
			k = l - off < n ? l - off : n;
			memcpy(chains[c].seg[s].base + off, head, k);
			head += k;
			n -= k;
			off = 0;
		}
	}
}

int vq_enqueue(struct vq *vq, const struct vq_iov *src, int nsrc, uint32_t skip, uint32_t len)
{
	return vq_enqueue_head(vq, src, nsrc, skip, len, NULL, 0);
}

/* Live migration: the bytes written into chains[0, n) (each chain's len
 * is what was written) into the dirty log. */
static void __attribute__((noinline)) log_chains(struct vq *vq, const struct vq_chain *chains,
						 int n)
{
	int i, s;

	for (i = 0; i < n; i++) {
		uint32_t left = chains[i].len;

		for (s = 0; s < chains[i].nseg && left; s++) {
			uint32_t k = chains[i].seg[s].len < left ? chains[i].seg[s].len : left;

			vu_log_hva(vq->log, vq->mem, chains[i].seg[s].base, k);
			left -= k;
		}
	}
}

/* The guest posted receive buffers since the no-room memo was set (split). */
static bool posted_more(const struct vq *vq)
{
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->nobuf_idx;
}

/* The body of vq_enqueue_hdr, once for each ring layout (`packed` is a
 * constant in each copy: a split ring pays no test for the other). */
static inline __attribute__((always_inline)) int
enqueue(struct vq *vq, const struct vq_iov *src, int nsrc, uint32_t skip, uint32_t len,
	const uint8_t *head, uint32_t head_len, const struct virtio_net_hdr *vh, const bool packed)
{
	/* Chains of one frame: at most VQ_MAX_SEGS buffers (a 9000-byte frame
	 * takes 6 of Linux's mergeable buffers). */
	static __thread struct vq_chain chains[VQ_MAX_SEGS];
	uint32_t left = len, put, room, off, budget = VQ_MAX_DESC;
	int avail, n = 0, si = 0, r, i;
	uint32_t soff = skip;

	/* Room is known to be short: a frame no shorter than one that did not
	 * fit fails at once until the guest posts more buffers. Without this,
	 * every frame flooded to a guest that posts useless buffers would walk
	 * up to VQ_MAX_DESC of its descriptors, on the sender's worker. */
	if (vq->nobuf) {
		if (len >= vq->nobuf_len && !(packed ? vqp_posted_more(vq) : posted_more(vq))) {
			vq->st.drop_no_buf++;
			return -ENOBUFS;
		}
		vq->nobuf = false;
	}

	/* find the starting source segment */
	while (si < nsrc && soff >= src[si].len)
		soff -= src[si++].len;

	avail = packed ? vqp_avail_head(vq) : avail_at_least(vq, 1);
	if (avail < 0)
		return avail;

	do {
		struct vq_chain *c = &chains[n];

		if (n == avail && n > 0) { /* the cache may lag: look again */
			r = packed ? vqp_avail_head(vq) : avail_at_least(vq, 1);
			if (r < 0)
				return r;
			avail = n + r;
		}
		if (n == avail || n == VQ_MAX_SEGS || (n > 0 && !vq->mrg_rxbuf))
			goto no_room;
		r = packed ? vqp_pop(vq, c, true, &budget, budget >= VQ_MAX_DESC)
			   : vq_pop_budget(vq, c, true, &budget);
		if (r == -EAGAIN) /* packed: its count was of descriptors */
			goto no_room;
		n++;
		if (r == -ENOBUFS) /* the frame's descriptor budget is spent */
			goto no_room;
		if (r == -EMSGSIZE) /* no driver splits a receive buffer so finely */
			return violation(vq, "receive buffer of more than 64 segments");
		if (r)
			return r;
		off = n == 1 ? vq->hdr_len : 0;
		if (c->len < off)
			goto no_room; /* not even room for the header */
		room = c->len - off;
		/* nseg first: a chain of zero-length descriptors has no
		 * segment, and seg[0] would be left over from another frame */
		if (c->nseg && si < nsrc && src[si].len - soff >= left &&
		    c->seg[0].len >= off + left) {
			/* the usual case: one piece into one buffer */
			memcpy(c->seg[0].base + off, src[si].base + soff, left);
			if (head && n == 1) { /* the checked head over what was read */
				if (head_len == 14) /* an Ethernet header: inline */
					memcpy(c->seg[0].base + off, head, 14);
				else
					memcpy(c->seg[0].base + off, head, head_len);
				head = NULL;
			}
			put = left;
		} else {
			put = copy_into(c, off, src, nsrc, &si, &soff, left < room ? left : room);
		}
		left -= put;
		c->len = put + off; /* now: bytes written into this chain */
	} while (left);

	/* chains[k].len is what was written into chain k */
	if (head) {
		uint32_t written = 0;

		for (i = 0; i < n; i++)
			written += chains[i].len;
		/* every chain but the last is full: the first bytes written
		 * are the first bytes of the segments, in order */
		if (head_len > written - vq->hdr_len)
			head_len = written - vq->hdr_len;
		overwrite_head(chains, n, vq->hdr_len, head, head_len);
	}
	write_hdr(&chains[0], vq->hdr_len, (uint16_t)n, vh);
	if (unlikely(vq->log))
		log_chains(vq, chains, n);
	for (i = 0; i < n; i++)
		if (packed)
			vqp_push(vq, chains[i].head, chains[i].len);
		else
			vq_push(vq, chains[i].head, chains[i].len);
	vq->st.packets++;
	vq->st.bytes += len;
	return 0;

no_room:
	if (packed) /* where the walk ended, before it is given back */
		vqp_mark_posted(vq);
	vq_unpop(vq, (uint16_t)n);
	/* Out of posted buffers: what was looked at ends at avail_cache (just
	 * re-read), and more posted since clears this at the next frame.
	 * Otherwise the chains at the head decided it; later ones cannot help. */
	vq->nobuf = true;
	if (!packed)
		vq->nobuf_idx = n == avail ? vq->avail_cache
					   : __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	vq->nobuf_len = len;
	vq->st.drop_no_buf++;
	return -ENOBUFS;
}

int vq_enqueue_hdr(struct vq *vq, const struct vq_iov *src, int nsrc, uint32_t skip, uint32_t len,
		   const uint8_t *head, uint32_t head_len, const struct virtio_net_hdr *vh)
{
	if (vq->packed)
		return enqueue(vq, src, nsrc, skip, len, head, head_len, vh, true);
	return enqueue(vq, src, nsrc, skip, len, head, head_len, vh, false);
}
