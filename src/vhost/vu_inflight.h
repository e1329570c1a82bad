/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vu_inflight: descriptors in flight kept in memory that outlives xvsd
 * (vhost-user "Inflight I/O tracking", VU_PROTOCOL_F_INFLIGHT_SHMFD).
 *
 * The back-end creates a shared region (GET_INFLIGHT_FD), the front-end
 * keeps its fd and hands it back after the back-end restarted
 * (SET_INFLIGHT_FD). For every vring it holds one record per descriptor
 * head: taken and not yet returned, with the order it was taken in, and the
 * last batch of used entries, so that a crash between publishing a used
 * index and clearing the batch's records can be told apart.
 *
 * Only the guest's transmit vrings (odd indexes) are tracked: a frame a
 * guest handed over is sent after a restart, once. A receive buffer holds
 * nothing of the guest's; its ring is completed in the order it was taken
 * and resumes at its used index.
 *
 * Cost: nothing unless the front-end negotiated the feature and set a
 * region (vq->ifl is NULL otherwise): one test per burst in the worker's
 * transmit burst and one in vq_flush().
 *
 * Threads: the control thread maps the region and starts a vring's
 * tracking under its vq lock; the lock holder writes the vring's records.
 * The region's contents come from the front-end after a restart: they are
 * checked in full (vu_inflight_recover) before anything is resubmitted.
 */
#ifndef XVS_VU_INFLIGHT_H
#define XVS_VU_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "vhost/vq.h"
#include "vhost/vu_proto.h"

/* The spec's split-ring layout: DescStateSplit, QueueRegionSplit. */
struct vu_ifl_desc {
	uint8_t inflight; /* 1: a head taken and not yet returned */
	uint8_t padding[5];
	uint16_t next; /* the last batch of used heads, as a list */
	uint64_t counter; /* the order heads were taken in */
};

struct vu_ifl_queue {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num; /* entries in desc[]: the ring's size */
	uint16_t last_batch_head;
	uint16_t used_idx; /* used->idx once the last batch's records were cleared */
	struct vu_ifl_desc desc[];
};

_Static_assert(sizeof(struct vu_ifl_desc) == 16, "DescStateSplit is 16 bytes");
_Static_assert(sizeof(struct vu_ifl_queue) == 16, "QueueRegionSplit header is 16 bytes");

#define VU_IFL_VERSION 1
#define VU_IFL_ALIGN 64 /* each vring's record starts on a cache line */

/* Bytes of one vring's record for a ring of queue_size entries. */
static inline uint64_t vu_inflight_queue_bytes(uint16_t queue_size)
{
	uint64_t n = sizeof(struct vu_ifl_queue) +
		     sizeof(struct vu_ifl_desc) * (uint64_t)queue_size;

	return (n + VU_IFL_ALIGN - 1) & ~(uint64_t)(VU_IFL_ALIGN - 1);
}

/* A device's region, as mapped by SET_INFLIGHT_FD. */
struct vu_inflight {
	void *map; /* NULL: none */
	size_t map_len;
	uint8_t *base; /* the first vring's record, at mmap_offset */
	uint16_t num_queues; /* vrings it has records for */
	uint16_t queue_size;
};

/* GET_INFLIGHT_FD: a sealed memfd for num_queues vrings of queue_size
 * entries (checked: 1..max_vrings, a power of two up to 32768), each
 * record initialised; *fd and *a (for the reply) filled. 0 or -errno,
 * *why set. */
int vu_inflight_create(uint16_t num_queues, uint16_t queue_size, uint16_t max_vrings, int *fd,
		       struct vu_inflight_area *a, const char **why);

/* SET_INFLIGHT_FD: map what the front-end says is the region (fd sealed
 * against shrinking, the area inside the file and exactly the size of
 * num_queues records). 0 or -errno, *why set. */
int vu_inflight_map(struct vu_inflight *r, int fd, const struct vu_inflight_area *a,
		    uint16_t max_vrings, const char **why);
void vu_inflight_unmap(struct vu_inflight *r);

/* Vring i's record, or NULL when the region has none for it. */
struct vu_ifl_queue *vu_inflight_queue(const struct vu_inflight *r, unsigned int i);

/* Scratch for vu_inflight_recover: one entry per ring entry. */
struct vu_ifl_order {
	uint64_t counter;
	uint16_t head;
};

/*
 * A vring's record (len bytes at q, shared with the front-end: read once
 * per field) checked against a split ring of `size` entries whose used
 * index the guest shows as `used`. A batch published but not yet cleared
 * is cleared; the heads still in flight go into heads[] in the order they
 * were taken (by counter; ties by head), *next_counter after the largest.
 * Returns how many, or -EINVAL with *why: a version, size, index or flag
 * that no record we write has. heads and scratch have `size` entries.
 */
int vu_inflight_recover(struct vu_ifl_queue *q, size_t len, uint16_t size, uint16_t used,
			uint16_t *heads, struct vu_ifl_order *scratch, uint64_t *next_counter,
			const char **why);

/* Under the vq lock, on a mapped split ring about to start whose used
 * index is `used` (as vu_inflight_recover saw it): track it in q and
 * resubmit heads[0, n) before the ring's own entries (the guest's next
 * one is used + n, whatever SET_VRING_BASE said). shadow: a private
 * avail ring (vu_inflight_shadow_bytes) the vq owns from now on (NULL
 * when n is 0). */
void vu_inflight_start(struct vq *vq, struct vu_ifl_queue *q, uint16_t used, const uint16_t *heads,
		       uint16_t n, uint64_t counter, struct vring_avail *shadow);
static inline size_t vu_inflight_shadow_bytes(uint16_t size)
{
	return 4 + 2 * (size_t)size + 2;
}
/* Under the vq lock: stop tracking (ring stopped, reset); returns the
 * shadow ring to free. The ring's position (last_avail) is where the
 * guest's own entries continue. */
struct vring_avail *vu_inflight_stop(struct vq *vq);

/* The data path (vq->ifl set), under the vq lock. */
/* A burst took chains[0, n): their heads are in flight. */
void vu_inflight_popped(struct vq *vq, const struct vq_chain *chains, int n);
/* vq_flush: the pending used entries as the last batch, used->idx set to
 * new_idx (release), their records cleared. */
void vu_inflight_publish(struct vq *vq, uint16_t new_idx);

#endif /* XVS_VU_INFLIGHT_H */
