/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Between the split ring (vq.c) and the packed ring (vq_packed.c): what
 * both use, and the packed ring's entry points, which vq.c's public
 * functions dispatch to when vq->packed.
 */
#ifndef XVS_VQ_INTERNAL_H
#define XVS_VQ_INTERNAL_H

#include <errno.h>
#include <sys/eventfd.h>

#include "vhost/vq.h"

/* Read a guest-shared value exactly once: the guest may change it under us
 * and every check must apply to the value we then use. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))

static inline int violation(struct vq *vq, const char *why)
{
	vq->err = why;
	return -EFAULT;
}

/* Interrupt the guest. The call fd is non-blocking (vu_dev): a full
 * counter fails at once and is counted. */
static inline void vq_signal(struct vq *vq)
{
	if (vq->call_fd < 0)
		return;
	if (eventfd_write(vq->call_fd, 1))
		vq->st.irq_fail++;
	else
		vq->st.notifies++;
}

/* Append the guest range [addr, addr + len) to c as segments (a range may
 * span memory regions); past VQ_MAX_SEGS, *oversize. -EFAULT (vq->err):
 * outside guest memory or wrapping around. */
int vq_add_segs(struct vq *vq, struct vq_chain *c, uint64_t addr, uint32_t len, bool *oversize);

/* Live migration: the rings' pages into the dirty log (under lock). */
void vq_log_rings(struct vq *vq);

/* ---- packed ring (vq_packed.c) ---- */
int vqp_avail_count(struct vq *vq);
int vqp_avail_head(struct vq *vq);
int vqp_pop(struct vq *vq, struct vq_chain *c, bool writable, uint32_t *budget, bool full);
void vqp_flush(struct vq *vq);
bool vqp_kick_enable(struct vq *vq);
void vqp_kick_disable(struct vq *vq);
/* RX room memo (vq->nobuf): where what the guest posted ends, and whether
 * it posted more since */
void vqp_mark_posted(struct vq *vq);
bool vqp_posted_more(const struct vq *vq);

#endif /* XVS_VQ_INTERNAL_H */
