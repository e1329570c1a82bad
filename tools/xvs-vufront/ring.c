// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtqueue calls traffic.c makes, for either layout: a packed ring's
 * go to ring_packed.c, a split ring's are here.
 *
 * Split virtqueue, driver side (virtio 1.x, 2.7). The back-end is another
 * process working on the same shared memory, so every hand-over is an
 * __atomic access with the ordering the spec asks of a driver:
 *
 *	add:     desc[], avail->ring[]          plain stores
 *	publish: avail->idx                     release
 *	         fence, read used->flags / avail_event → kick or not
 *	consume: used->idx                      acquire, then used->ring[], data
 *	arm:     avail->flags / used_event      then fence, re-read used->idx
 *
 * With VIRTIO_RING_F_EVENT_IDX the driver must leave avail->flags at 0;
 * notifications are then steered only through used_event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "vufront.h"

/* used_event far ahead of the back-end: no interrupt for 32768 entries. */
#define VF_EVENT_OFF 0x8000

/* Alignment: 16 for the table, 2 and 4 for the rings (2.7); a cache line
 * each keeps the driver's and the device's writes apart. */
static int split_init(struct vf_vq *vq, struct vf_mem *m)
{
	unsigned int num = vq->num;

	vq->desc = vf_mem_alloc(m, sizeof(struct vring_desc) * num, VF_CACHE_LINE);
	vq->avail = vf_mem_alloc(m, sizeof(struct vring_avail) + sizeof(__u16) * (num + 1),
				 VF_CACHE_LINE);
	vq->used = vf_mem_alloc(m,
				sizeof(struct vring_used) + sizeof(struct vring_used_elem) * num +
					sizeof(__u16),
				VF_CACHE_LINE);
	if (!vq->desc || !vq->avail || !vq->used)
		return -ENOMEM;
	vq->used_event = (uint16_t *)&vq->avail->ring[num];
	vq->avail_event = (uint16_t *)&vq->used->ring[num];
	return 0;
}

int vf_vq_init(struct vf_vq *vq, struct vf_mem *m, unsigned int index, unsigned int num,
	       bool packed, bool event_idx, uint64_t *kicks)
{
	int err;

	memset(vq, 0, sizeof(*vq));
	vq->kickfd = -1;
	vq->callfd = -1;
	vq->index = index;
	vq->num = num;
	vq->mask = (uint16_t)(num - 1);
	vq->packed = packed;
	vq->event_idx = event_idx;
	vq->kicks = kicks;

	err = packed ? vf_pq_init(vq, m) : split_init(vq, m);
	if (err) {
		log_err("vring %u: guest memory too small for %u entries (raise --mem)", index,
			num);
		vf_vq_close(vq);
		return err;
	}

	vq->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->kickfd < 0)
		goto err_eventfd;
	vq->callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->callfd < 0)
		goto err_eventfd;
	vf_vq_disarm(vq);
	return 0;

err_eventfd:
	err = -errno;
	log_err("vring %u: eventfd: %s", index, strerror(errno));
	vf_vq_close(vq);
	return err;
}

void vf_vq_close(struct vf_vq *vq)
{
	free(vq->seq);
	vq->seq = NULL;
	if (vq->packed)
		vf_pq_free(vq);
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	if (vq->callfd >= 0)
		close(vq->callfd);
	vq->kickfd = -1;
	vq->callfd = -1;
}

void vf_vq_kick(struct vf_vq *vq)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is about to overflow: it is then
	 * readable anyway, and the back-end will see it. */
	if (write(vq->kickfd, &one, sizeof(one)) == sizeof(one))
		(*vq->kicks)++;
}

void vf_vq_publish(struct vf_vq *vq)
{
	uint16_t new_idx = vq->avail_idx, old = vq->kick_old;
	bool kick;

	if (vq->packed) {
		vf_pq_publish(vq);
		return;
	}
	if (new_idx == old)
		return;
	/* Release: the descriptors and avail->ring[] entries written before
	 * are visible before the new index. Pairs with the back-end's acquire
	 * load (or rmb after the load) of avail->idx. */
	__atomic_store_n(&vq->avail->idx, new_idx, __ATOMIC_RELEASE);
	/* Store → load: the index must be visible before we look at the
	 * back-end's suppression state. Pairs with the back-end's full
	 * barrier between enabling notifications (clearing NO_NOTIFY or
	 * writing avail_event) and re-reading avail->idx; without both, each
	 * side can miss the other and the queue stalls. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		kick = vring_need_event(__atomic_load_n(vq->avail_event, __ATOMIC_RELAXED),
					new_idx, old);
	else
		kick = !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) &
			 VRING_USED_F_NO_NOTIFY);
	vq->kick_old = new_idx;
	if (kick)
		vf_vq_kick(vq);
}

bool vf_vq_arm(struct vf_vq *vq)
{
	if (vq->packed)
		return vf_pq_arm(vq);
	if (vq->event_idx)
		/* Notify when the entry at last_used is written. */
		__atomic_store_n(vq->used_event, vq->last_used, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->avail->flags, 0, __ATOMIC_RELAXED);
	vq->armed = true;
	/* Store → load: our request must be visible before we re-check
	 * used->idx. Pairs with the back-end's barrier between its used->idx
	 * store and its read of used_event / avail->flags: either it sees
	 * the request and notifies, or we see its entries here. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vf_vq_used_pending(vq) != 0;
}

void vf_vq_disarm(struct vf_vq *vq)
{
	if (vq->packed) {
		vf_pq_disarm(vq);
		return;
	}
	/* A hint only (the back-end may notify anyway): relaxed stores. */
	if (vq->event_idx)
		__atomic_store_n(vq->used_event, (uint16_t)(vq->last_used + VF_EVENT_OFF),
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->avail->flags, VRING_AVAIL_F_NO_INTERRUPT,
				 __ATOMIC_RELAXED);
	vq->armed = false;
}

void vf_vq_reset(struct vf_vq *vq)
{
	/* The device forgot the ring (RESET_OWNER, a new connection): it
	 * reads nothing of it until the ring is set up again. */
	vq->seq_sync = false;
	if (vq->packed) {
		vf_pq_reset(vq);
		return;
	}
	memset(vq->avail, 0, sizeof(struct vring_avail) + sizeof(__u16) * (vq->num + 1));
	memset(vq->used, 0,
	       sizeof(struct vring_used) + sizeof(struct vring_used_elem) * vq->num +
		       sizeof(__u16));
	vq->avail_idx = vq->kick_old = vq->last_used = 0;
	vf_vq_disarm(vq);
}

void vf_vq_addrs(const struct vf_vq *vq, struct vu_vring_addr *a)
{
	a->desc_user_addr = (uintptr_t)vf_vq_table(vq);
	a->avail_user_addr = (uintptr_t)(vq->packed ? (void *)vq->driver_ev : (void *)vq->avail);
	a->used_user_addr = (uintptr_t)(vq->packed ? (void *)vq->device_ev : (void *)vq->used);
}

uint16_t vf_vq_base(const struct vf_vq *vq, uint16_t ctr)
{
	return vq->packed ? vf_pq_base(vq, ctr) : ctr;
}

uint16_t vf_vq_used_index(struct vf_vq *vq)
{
	if (vq->packed) {
		vf_pq_used_scan(vq);
		return vf_pq_base(vq, vq->used_pos);
	}
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
}

void *vf_vq_table(const struct vf_vq *vq)
{
	return vq->packed ? (void *)vq->pdesc : (void *)vq->desc;
}
