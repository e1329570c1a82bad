/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vq: the device side of a split virtqueue (virtio 1.x §2.7).
 *
 * Ownership: the control thread configures a vq (addresses, size, fds,
 * memory) while holding vq->lock; a worker processes it only while holding
 * the same lock (taken once per burst). Everything the guest controls —
 * indices, descriptor ids, flags, addresses, lengths, chain lengths — is
 * checked here; a violation returns -EFAULT and sets vq->err (a reason),
 * after which the caller marks the device broken.
 */
#ifndef XVS_VQ_H
#define XVS_VQ_H

#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhost/vu_log.h"
#include "vhost/vu_mem.h"

#define VQ_MAX_SEGS 64 /* segments of one frame we gather; more: dropped */
/* Descriptors read for one chain (TX) or one frame (RX, all its chains
 * together), the indirect hop and zero-length descriptors included. Linux
 * needs at most MAX_SKB_FRAGS + 2 for a chain and one per mergeable
 * buffer; DPDK stops at 256 too. A longer chain is a violation; a frame
 * whose chains run past it on RX is dropped for want of buffers. */
#define VQ_MAX_DESC 256

/* Offloads a vring's guest accepted (struct vq.offloads). On a TX vring
 * (guest to switch): what it may ask for (VIRTIO_NET_F_CSUM, HOST_TSO4,
 * HOST_TSO6, HOST_ECN); on an RX vring: what it takes (GUEST_CSUM,
 * GUEST_TSO4, GUEST_TSO6, GUEST_ECN). */
#define VQ_OFL_CSUM 0x01
#define VQ_OFL_TSO4 0x02
#define VQ_OFL_TSO6 0x04
#define VQ_OFL_ECN 0x08

struct vu_ifl_queue;

struct vq_iov {
	uint8_t *base;
	uint32_t len;
};

/* A descriptor chain, translated. */
struct vq_chain {
	uint16_t head;
	uint16_t nseg;
	uint32_t len; /* sum of segment lengths */
	struct vq_iov seg[VQ_MAX_SEGS];
};

struct vq_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drop_no_buf; /* RX: guest posted no (large enough) buffer */
	uint64_t drop_too_big; /* frame larger than the port allows */
	uint64_t drop_runt; /* TX: shorter than an Ethernet header */
	uint64_t drop_segs; /* more than VQ_MAX_SEGS segments */
	uint64_t notifies; /* guest interrupts sent */
	uint64_t irq_fail; /* interrupts the call eventfd refused (full) */
};

struct vq {
	/* Lock: a worker holds it for a burst, the control thread to
	 * reconfigure. Not a mutex: holders never sleep. */
	int lock;

	/* Set under lock by the control thread, read by the lock holder.
	 * A packed ring (§2.8) has a descriptor ring and two event
	 * suppression structures where a split one has its three parts. */
	union {
		struct vring_desc *desc;
		struct vring_packed_desc *pdesc;
	};
	union {
		struct vring_avail *avail;
		struct vring_packed_desc_event *driver_ev;
	};
	union {
		struct vring_used *used;
		struct vring_packed_desc_event *device_ev;
	};
	const struct vu_mem *mem;
	uint16_t size; /* power of two, ≤ VU_MAX_RING_SIZE */
	bool packed; /* VIRTIO_F_RING_PACKED */
	bool event_idx;
	bool mrg_rxbuf; /* RX: frames may span several chains */
	uint8_t hdr_len; /* virtio-net header: 12 (VERSION_1/MRG_RXBUF) or 10 */
	uint8_t offloads; /* VQ_OFL_*: what its guest accepted */
	bool ready; /* started, enabled, mapped, not broken */
	int call_fd; /* -1: guest polls */
	int kick_fd;
	/* live migration: the dirty log (NULL: not logging); the used ring's
	 * writes go in it at log_used_gpa when the front-end asked for it
	 * (VHOST_VRING_F_LOG) */
	const struct vu_log *log;
	bool log_used;
	uint64_t log_used_gpa;
	/* crash resume (vu_inflight.h): the vring's in-flight record in the
	 * front-end's region, NULL when not tracked (the usual case). Set
	 * under lock by the control thread; written by the lock holder, as
	 * are the rest: the next counter, and while heads taken before a
	 * restart are resubmitted (ifl_resub), the guest's avail ring (avail
	 * points at the shadow ring of them) and where its entries resume */
	struct vu_ifl_queue *ifl;
	uint64_t ifl_counter;
	struct vring_avail *ifl_shadow, *ifl_guest;
	uint16_t ifl_end;
	bool ifl_resub;

	/* Owned by the lock holder. A packed ring's indexes are positions
	 * in its descriptor ring (< size) with their wrap counters. */
	uint16_t last_avail; /* next avail entry to consume */
	bool avail_wrap, used_wrap; /* packed: the driver's and our wrap counters */
	uint16_t avail_cache; /* avail->idx when last read: the guest's line is
				 read once per ring's worth, not per frame */
	uint16_t used_idx; /* our copy of used->idx, published by vq_flush() */
	uint16_t used_pending; /* entries written since the last flush */
	uint16_t signalled_used; /* used idx at the last interrupt */
	bool signalled_valid;
	/* RX: a frame of nobuf_len bytes found no room in what the guest had
	 * posted up to avail index nobuf_idx: until the guest posts more, a
	 * frame as long fails without walking those buffers again */
	bool nobuf;
	uint16_t nobuf_idx;
	uint32_t nobuf_len;
	const char *err; /* first guest violation, for the log */
	/* packed: ring slots each buffer id in flight took (0: not in flight;
	 * `size` entries, vq_packed_alloc), the first pending used entry
	 * (published last), what vq_unpop() restores, the used entries since
	 * the last interrupt */
	uint16_t *pk_ndesc;
	bool pk_base0; /* SET_VRING_BASE said position 0, wrap 1 */
	uint16_t pk_first, pk_first_flags;
	uint16_t pk_undo_n;
	struct vq_pk_undo {
		uint16_t pos, id;
		bool wrap;
	} pk_undo[VQ_MAX_SEGS];
	uint32_t pk_since_signal;
	struct vq_stats st;
} __attribute__((aligned(64)));

/* Lock helpers: spinning is bounded by one burst of the holder. */
static inline bool vq_trylock(struct vq *vq)
{
	return !__atomic_test_and_set(&vq->lock, __ATOMIC_ACQUIRE);
}

static inline void vq_lock(struct vq *vq)
{
	while (__atomic_test_and_set(&vq->lock, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static inline void vq_unlock(struct vq *vq)
{
	__atomic_clear(&vq->lock, __ATOMIC_RELEASE);
}

/* A packed ring's buffer id table for `size` entries, allocated by the
 * control thread outside the lock before the ring starts (vq_packed_take
 * swaps it in under the lock); freed with vq_packed_free(). */
uint16_t *vq_packed_alloc(uint16_t size);
/* Under lock: install table t (NULL: none), return the old one. */
uint16_t *vq_packed_take(struct vq *vq, uint16_t *t);

/* A packed ring about to start (mapped, under lock): take its position
 * from the ring itself (vq_packed.c says why). True if that differs from
 * what SET_VRING_BASE said. */
bool vqp_recover(struct vq *vq);

/* Translate and check ring addresses (front-end VAs) for `size` entries.
 * Returns 0, or -EINVAL with *why set. Called under lock. */
int vq_map_rings(struct vq *vq, const struct vu_mem *mem, uint64_t desc_uva,
		 uint64_t avail_uva, uint64_t used_uva, const char **why);

/* Entries the guest has made available and we have not consumed: 0..size,
 * or -EFAULT if the guest's index is insane (more than size ahead). A
 * packed ring has no index: 0 if nothing is available, else an upper bound
 * (vq_pop's -EAGAIN ends the run). */
int vq_avail_count(struct vq *vq);

/*
 * Take the next available chain and translate it into `c`. `writable`
 * says which kind of descriptors this queue must have (RX: device-writable,
 * TX: device-readable). Returns 0, -EMSGSIZE (more than VQ_MAX_SEGS
 * segments: the chain is consumed and must be returned with len 0),
 * -EAGAIN (a packed ring has nothing available: vq_avail_count() gave an
 * upper bound), or -EFAULT (guest violation, such as
 * a chain of more than VQ_MAX_DESC descriptors; vq->err says what).
 */
int vq_pop(struct vq *vq, struct vq_chain *c, bool writable);

/* vq_pop() charging every descriptor read to *budget (VQ_MAX_DESC for a
 * fresh one). A chain that exhausts a full budget is a violation; one that
 * exhausts what an earlier chain left returns -ENOBUFS (consumed: unpop
 * it with the others). */
int vq_pop_budget(struct vq *vq, struct vq_chain *c, bool writable, uint32_t *budget);

void vqp_unpop(struct vq *vq, uint16_t n);
void vqp_push(struct vq *vq, uint16_t id, uint32_t len);

/* Give back the last `n` popped chains (RX ran out of room mid-frame; a
 * packed ring: at most VQ_MAX_SEGS). */
static inline void vq_unpop(struct vq *vq, uint16_t n)
{
	if (vq->packed)
		vqp_unpop(vq, n);
	else
		vq->last_avail = (uint16_t)(vq->last_avail - n);
}

/* Queue a used entry; visible to the guest after vq_flush(). */
static inline void vq_push(struct vq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (vq->packed) {
		vqp_push(vq, head, len);
		return;
	}
	e = &vq->used->ring[(uint16_t)(vq->used_idx + vq->used_pending) & (vq->size - 1)];

	e->id = head;
	e->len = len;
	vq->used_pending++;
}

/* Publish pending used entries with one release store and interrupt the
 * guest if it asked for it. The call fd is non-blocking (vu_dev makes it
 * so): a full eventfd is counted in irq_fail, never waited for. */
void vq_flush(struct vq *vq);

/* TX queues: ask for / stop kicks (adaptive polling). vq_kick_enable()
 * returns true if work arrived meanwhile (then do not sleep). */
bool vq_kick_enable(struct vq *vq);
void vq_kick_disable(struct vq *vq);

/* RX: copy a frame given as a list of source segments (after skipping
 * `skip` bytes) into guest buffers, with a virtio-net header in front.
 * Returns 0, -ENOBUFS (not enough buffers: nothing consumed, counted),
 * -EFAULT (guest violation). */
int vq_enqueue(struct vq *vq, const struct vq_iov *src, int nsrc, uint32_t skip, uint32_t len);
/* The same, then the frame's first head_len bytes (≤ len) replaced by
 * head: a checked copy of them (the source may have changed since). */
static inline int vq_enqueue_head(struct vq *vq, const struct vq_iov *src, int nsrc,
				  uint32_t skip, uint32_t len, const uint8_t *head,
				  uint32_t head_len);
/* The same with the virtio-net header's first 10 bytes from vh (its
 * offload fields; NULL: zeros) instead of zeros. */
int vq_enqueue_hdr(struct vq *vq, const struct vq_iov *src, int nsrc, uint32_t skip, uint32_t len,
		   const uint8_t *head, uint32_t head_len, const struct virtio_net_hdr *vh);

static inline int vq_enqueue_head(struct vq *vq, const struct vq_iov *src, int nsrc,
				  uint32_t skip, uint32_t len, const uint8_t *head,
				  uint32_t head_len)
{
	return vq_enqueue_hdr(vq, src, nsrc, skip, len, head, head_len, NULL);
}

/* Gather up to `n` bytes after `skip` from segments into `dst`; returns
 * the bytes copied. */
uint32_t vq_iov_read(const struct vq_iov *seg, int nseg, uint32_t skip, void *dst, uint32_t n);

/* The segments covering bytes [skip, skip + n) of seg, into out (at most
 * max of them); returns how many. */
int vq_iov_slice(const struct vq_iov *seg, int nseg, uint32_t skip, uint32_t n,
		 struct vq_iov *out, int max);

#endif /* XVS_VQ_H */
