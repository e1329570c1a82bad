// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inflight I/O tracking for split rings: the region, its check after a
 * restart, and the data path's records. See vu_inflight.h.
 *
 * Ordering: the region outlives the process, not the machine. A SIGKILL
 * leaves every store that was executed; what matters is that the compiler
 * keeps them in the order the recovery relies on (signal fences):
 *   taken:     counter, then inflight = 1, before the frame goes anywhere;
 *   published: next/last_batch_head, then used->idx, then inflight = 0,
 *              then used_idx.
 * A crash between used->idx and used_idx leaves used->idx != used_idx: the
 * batch list names the records to clear.
 */
#include "vhost/vu_inflight.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


#include "vhost/vq_internal.h"

/* stores before it stay before it, as far as the compiler goes; a
 * process killed keeps what its CPU executed */
#define ifl_fence() __atomic_signal_fence(__ATOMIC_SEQ_CST)

static int check_geometry(uint16_t num_queues, uint16_t queue_size, uint16_t max_vrings,
			  const char **why)
{
	if (!num_queues || num_queues > max_vrings) {
		*why = "inflight: number of queues 0 or beyond the vrings offered";
		return -EINVAL;
	}
	if (!queue_size || queue_size & (queue_size - 1) || queue_size > VU_MAX_RING_SIZE) {
		*why = "inflight: queue size is not a power of two up to 32768";
		return -EINVAL;
	}
	return 0;
}

int vu_inflight_create(uint16_t num_queues, uint16_t queue_size, uint16_t max_vrings, int *fd,
		       struct vu_inflight_area *a, const char **why)
{
	uint64_t qb = vu_inflight_queue_bytes(queue_size), size = qb * num_queues;
	uint8_t *p;
	unsigned int i;
	int err, f;

	err = check_geometry(num_queues, queue_size, max_vrings, why);
	if (err)
		return err;
	f = memfd_create("xvs-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f < 0) {
		*why = "inflight: memfd_create failed";
		return -errno;
	}
	if (ftruncate(f, (off_t)size) ||
	    fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		*why = "inflight: cannot size or seal the region";
		err = -errno;
		goto close_fd;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	if (p == MAP_FAILED) {
		*why = "inflight: mmap of the new region failed";
		err = -errno;
		goto close_fd;
	}
	for (i = 0; i < num_queues; i++) { /* the rest is zeros: nothing in flight */
		struct vu_ifl_queue *q = (struct vu_ifl_queue *)(p + qb * i);

		q->version = VU_IFL_VERSION;
		q->desc_num = queue_size;
	}
	munmap(p, size);
	*a = (struct vu_inflight_area){ .mmap_size = size,
					.mmap_offset = 0,
					.num_queues = num_queues,
					.queue_size = queue_size };
	*fd = f;
	return 0;

close_fd:
	close(f);
	return err;
}

int vu_inflight_map(struct vu_inflight *r, int fd, const struct vu_inflight_area *a,
		    uint16_t max_vrings, const char **why)
{
	long page = sysconf(_SC_PAGESIZE);
	int err;
	void *p;

	err = check_geometry(a->num_queues, a->queue_size, max_vrings, why);
	if (err)
		return err;
	if (a->mmap_size != vu_inflight_queue_bytes(a->queue_size) * a->num_queues) {
		*why = "inflight: mmap_size is not the size of num_queues records";
		return -EINVAL;
	}
	if (a->mmap_offset % (uint64_t)page || a->mmap_offset > UINT64_MAX - a->mmap_size) {
		*why = "inflight: mmap_offset not page-aligned or wrapping";
		return -EINVAL;
	}
	/* written by the workers outside the guarded guest memory: a region
	 * that shrinks, or loses a page, under them would be a SIGBUS (our
	 * own regions are plain sealed memfds) */
	switch (vu_mem_file_check(fd, a->mmap_offset + a->mmap_size)) {
	case VU_FILE_UNSEALED:
		*why = "inflight: region file not sealed against shrinking";
		return -EINVAL;
	case VU_FILE_SHORT:
		*why = "inflight: region beyond the end of its file";
		return -EINVAL;
	case VU_FILE_HUGETLB:
		*why = "inflight: region on hugetlbfs (a hole punched in it: SIGBUS)";
		return -EINVAL;
	case VU_FILE_OK:
		break;
	}
	p = mmap(NULL, a->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)a->mmap_offset);
	if (p == MAP_FAILED) {
		*why = "inflight: mmap of the region failed";
		return -errno;
	}
	vu_inflight_unmap(r);
	r->map = p;
	r->map_len = a->mmap_size;
	r->base = p;
	r->num_queues = a->num_queues;
	r->queue_size = a->queue_size;
	return 0;
}

void vu_inflight_unmap(struct vu_inflight *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	*r = (struct vu_inflight){ 0 };
}

struct vu_ifl_queue *vu_inflight_queue(const struct vu_inflight *r, unsigned int i)
{
	if (!r->map || i >= r->num_queues)
		return NULL;
	return (struct vu_ifl_queue *)(r->base + vu_inflight_queue_bytes(r->queue_size) * i);
}

static int order_cmp(const void *a, const void *b)
{
	const struct vu_ifl_order *x = a, *y = b;

	if (x->counter != y->counter)
		return x->counter < y->counter ? -1 : 1;
	return (x->head > y->head) - (x->head < y->head);
}

int vu_inflight_recover(struct vu_ifl_queue *q, size_t len, uint16_t size, uint16_t used,
			uint16_t *heads, struct vu_ifl_order *scratch, uint64_t *next_counter,
			const char **why)
{
	uint16_t batch, h, i, n = 0;
	uint64_t max = 0;

	if (!size || size & (size - 1) || size > VU_MAX_RING_SIZE ||
	    len < sizeof(*q) + sizeof(q->desc[0]) * (size_t)size) {
		*why = "inflight: record smaller than the ring";
		return -EINVAL;
	}
	if (READ_ONCE(q->version) != VU_IFL_VERSION) {
		*why = "inflight: record version is not 1";
		return -EINVAL;
	}
	if (READ_ONCE(q->desc_num) != size) {
		*why = "inflight: record's desc_num is not the ring's size";
		return -EINVAL;
	}
	/* A batch published, its records not yet cleared: used->idx moved
	 * on by its length, at most a ring's worth (the guest can move its
	 * used->idx too: then this is its own loss). Further away only for a
	 * record with nothing in flight: a fresh region (GET_INFLIGHT_FD) on
	 * a ring that has run before it. */
	batch = (uint16_t)(used - READ_ONCE(q->used_idx));
	if (batch > size) {
		for (i = 0; i < size; i++)
			if (READ_ONCE(q->desc[i].inflight)) {
				*why = "inflight: used index more than a ring away from the "
				       "record's";
				return -EINVAL;
			}
		batch = 0;
	}
	h = READ_ONCE(q->last_batch_head);
	for (i = 0; i < batch; i++) {
		if (h >= size) {
			*why = "inflight: last batch list leaves the ring";
			return -EINVAL;
		}
		q->desc[h].inflight = 0;
		h = READ_ONCE(q->desc[h].next);
	}
	ifl_fence();
	q->used_idx = used;

	for (i = 0; i < size; i++) {
		uint8_t f = READ_ONCE(q->desc[i].inflight);

		if (f > 1) {
			*why = "inflight: descriptor flag other than 0 or 1";
			return -EINVAL;
		}
		if (!f)
			continue;
		scratch[n].counter = READ_ONCE(q->desc[i].counter);
		scratch[n].head = i;
		if (scratch[n].counter > max)
			max = scratch[n].counter;
		n++;
	}
	if (max == UINT64_MAX) {
		*why = "inflight: counter at its limit";
		return -EINVAL;
	}
	/* private copies: the front-end cannot change the order while it sorts */
	qsort(scratch, n, sizeof(*scratch), order_cmp);
	for (i = 0; i < n; i++)
		heads[i] = scratch[i].head;
	*next_counter = n ? max + 1 : 0;
	return n;
}

void vu_inflight_start(struct vq *vq, struct vu_ifl_queue *q, uint16_t used, const uint16_t *heads,
		       uint16_t n, uint64_t counter, struct vring_avail *shadow)
{
	uint16_t i;

	vq->ifl = q;
	vq->ifl_counter = counter;
	/* every entry the ring gave out either came back (used) or is in
	 * flight: the guest's next one is used + n, whatever SET_VRING_BASE said */
	vq->used_idx = used;
	vq->used_pending = 0;
	vq->ifl_end = (uint16_t)(used + n);
	vq->last_avail = vq->avail_cache = n ? used : vq->ifl_end;
	if (!n)
		return;
	/* The resubmitted heads come first, through a ring of our own that
	 * ends where the guest's continues: vq_pop() takes them like any
	 * other, with every check. vu_inflight_popped() switches back. */
	for (i = 0; i < n; i++)
		shadow->ring[(uint16_t)(used + i) & (vq->size - 1)] = heads[i];
	shadow->flags = 0; /* interrupts: always, while they are resubmitted */
	shadow->idx = vq->ifl_end;
	vq->ifl_guest = vq->avail;
	vq->ifl_shadow = shadow;
	vq->ifl_resub = true;
	vq->avail = shadow;
}

struct vring_avail *vu_inflight_stop(struct vq *vq)
{
	struct vring_avail *s = vq->ifl_shadow;

	if (vq->ifl_resub) {
		vq->avail = vq->ifl_guest;
		vq->last_avail = vq->avail_cache = vq->ifl_end;
	}
	vq->ifl = NULL;
	vq->ifl_resub = false;
	vq->ifl_shadow = NULL;
	vq->ifl_guest = NULL;
	return s;
}

void vu_inflight_popped(struct vq *vq, const struct vq_chain *chains, int n)
{
	struct vu_ifl_queue *q = vq->ifl;
	int i;

	for (i = 0; i < n; i++) {
		struct vu_ifl_desc *d = &q->desc[chains[i].head]; /* < size: vq_pop checked */

		d->counter = vq->ifl_counter++;
		ifl_fence();
		d->inflight = 1;
	}
	ifl_fence();
	if (!vq->ifl_resub)
		return;
	if (vq->last_avail == vq->ifl_end) { /* all resubmitted: the guest's ring again */
		vq->avail = vq->ifl_guest;
		vq->avail_cache = vq->last_avail;
		vq->ifl_resub = false; /* the shadow is freed at vu_inflight_stop() */
	}
	/* the shadow ring has no used_event: interrupt at every flush */
	vq->signalled_valid = false;
}

void vu_inflight_publish(struct vq *vq, uint16_t new_idx)
{
	struct vu_ifl_queue *q = vq->ifl;
	uint16_t mask = vq->size - 1, last = q->last_batch_head, i, id;

	/* the used entries are ours, in guest memory: a guest that rewrites
	 * them before it may even see them loses its own records, no more */
	for (i = 0; i < vq->used_pending; i++) {
		id = READ_ONCE(vq->used->ring[(uint16_t)(vq->used_idx + i) & mask].id);
		if (id > mask)
			continue;
		q->desc[id].next = last;
		last = (uint16_t)id;
	}
	q->last_batch_head = last;
	ifl_fence();
	/* release: entries before idx; pairs with the driver's read barrier
	 * after it loads used->idx */
	__atomic_store_n(&vq->used->idx, new_idx, __ATOMIC_RELEASE);
	ifl_fence();
	for (i = 0; i < vq->used_pending; i++) {
		id = READ_ONCE(vq->used->ring[(uint16_t)(vq->used_idx + i) & mask].id);
		if (id <= mask)
			q->desc[id].inflight = 0;
	}
	ifl_fence();
	q->used_idx = new_idx;
}
