// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-user device: message reception, validation and one handler per
 * request (vu_<request>()). The table below says, for each request we
 * accept, the exact payload size (or a minimum, for variable payloads),
 * how many fds it may carry and whether it is answered with a reply;
 * anything else is a protocol violation.
 */
#include "vhost/vu_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

#define BIT(n) (1ull << (n))

uint64_t vu_dev_offered_features(const struct vu_dev *d)
{
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
		     BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		     BIT(VU_F_PROTOCOL_FEATURES) | BIT(VIRTIO_NET_F_GUEST_ANNOUNCE);

	/* Packed rings where the port allows them. Live migration (the dirty
	 * log; the guest announces itself after a move, else QEMU asks for a
	 * RARP) only where the port allows it, and not with packed rings: a
	 * VM migrated under traffic can come out with rings its driver does
	 * not recognise (not understood yet, see vu_log.h). Without
	 * VHOST_F_LOG_ALL QEMU refuses to migrate, cleanly. */
	if (d->packed)
		f |= BIT(VIRTIO_F_RING_PACKED);
	else if (d->migration)
		f |= BIT(VU_F_LOG_ALL);

	if (d->max_queues > 1)
		f |= BIT(VIRTIO_NET_F_MQ);
	/* The copy path uses every buffer in the order it was made available
	 * (a burst's chains go back in pop order, a receive that found no
	 * room gives its chains back whole, nothing is held); zero-copy lends
	 * buffers to the kernel and returns them out of order, so the control
	 * layer does not ask for this on such ports. Nothing here relies on
	 * the driver keeping the order: every id is still read and checked. */
	if (d->in_order)
		f |= BIT(VIRTIO_F_IN_ORDER);
	if (d->offloads)
		f |= VU_OFFLOAD_FEATURES;
	return f;
}

/* Offloads a feature set gives each direction: the guest's RX vrings take
 * GUEST_*, its TX vrings may ask for CSUM and HOST_*. */
static uint8_t vq_offloads(uint64_t f, bool rx)
{
	uint8_t o = 0;

	if (f & BIT(rx ? VIRTIO_NET_F_GUEST_CSUM : VIRTIO_NET_F_CSUM))
		o |= VQ_OFL_CSUM;
	if (f & BIT(rx ? VIRTIO_NET_F_GUEST_TSO4 : VIRTIO_NET_F_HOST_TSO4))
		o |= VQ_OFL_TSO4;
	if (f & BIT(rx ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_HOST_TSO6))
		o |= VQ_OFL_TSO6;
	if (f & BIT(rx ? VIRTIO_NET_F_GUEST_ECN : VIRTIO_NET_F_HOST_ECN))
		o |= VQ_OFL_ECN;
	return o;
}

/* virtio 1.2 §5.1.3.1: the features an offload needs. */
static const char *offload_deps(uint64_t f)
{
	static const struct {
		int bit, needs, or_needs;
		const char *why;
	} deps[] = {
		{ VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM, -1, "SET_FEATURES acks guest_tso4 without guest_csum" },
		{ VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM, -1, "SET_FEATURES acks guest_tso6 without guest_csum" },
		{ VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
		  "SET_FEATURES acks guest_ecn without guest_tso4 or _tso6" },
		{ VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM, -1, "SET_FEATURES acks host_tso4 without csum" },
		{ VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM, -1, "SET_FEATURES acks host_tso6 without csum" },
		{ VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
		  "SET_FEATURES acks host_ecn without host_tso4 or _tso6" },
	};
	size_t i;

	for (i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if ((f & BIT(deps[i].bit)) && !(f & BIT(deps[i].needs)) &&
		    !(deps[i].or_needs >= 0 && (f & BIT(deps[i].or_needs))))
			return deps[i].why;
	return NULL;
}

/* In-flight tracking (crash resume) for split rings only: a port that
 * offers packed rings does not offer it (GET_INFLIGHT_FD comes before
 * SET_FEATURES, when the layout is not known yet). */
uint64_t vu_dev_offered_protocol_features(const struct vu_dev *d)
{
	uint64_t f = BIT(VU_PROTOCOL_F_MQ) | BIT(VU_PROTOCOL_F_REPLY_ACK) |
		     BIT(VU_PROTOCOL_F_STATUS) | BIT(VU_PROTOCOL_F_LOG_SHMFD) |
		     BIT(VU_PROTOCOL_F_RARP);

	if (!d->packed)
		f |= BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD);
	return f;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vu_dev_init(struct vu_dev *d, const char *name, uint16_t max_queues,
		 const struct vu_dev_ops *ops, void *ctx)
{
	int i;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->fd = -1;
	d->reply_fd = -1;
	d->max_queues = max_queues;
	d->max_mem = VU_DEFAULT_MAX_MEM;
	d->offloads = true;
	d->ops = ops;
	d->ctx = ctx;
	for (i = 0; i < VU_MAX_VRINGS; i++) {
		d->vr[i].vq.call_fd = -1;
		d->vr[i].vq.kick_fd = -1;
	}
}

void vu_dev_attach(struct vu_dev *d, int fd)
{
	d->fd = fd;
	d->got = 0;
	d->nfds = 0;
	d->st.connects++;
}

/* ---- vring state, under the vq lock ---------------------------------- */

/* A ring that becomes ready starts with the guest's notifications off:
 * the switch polls (a TX ring's owner asks for kicks only before it
 * sleeps; an RX ring's are never needed), and a guest that kicks every
 * burst spends a system call on each. Without EVENT_IDX only the flag
 * says so; with it, the stale avail_event does. The owner is told, so
 * that a sleeping one starts polling the ring. */
static void vring_update_ready(struct vu_dev *d, struct vu_vring *v)
{
	bool was = v->vq.ready;

	v->vq.ready = v->started && v->enabled && v->vq.desc && d->mem &&
		      (!v->vq.packed || v->vq.pk_ndesc) &&
		      !__atomic_load_n(&d->broken, __ATOMIC_RELAXED);
	if (v->vq.ready && !was) {
		vq_kick_disable(&v->vq);
		if (d->ops && d->ops->vring_ready)
			d->ops->vring_ready(d->ctx, d, (int)(v - d->vr));
	}
}

static void set_kick(struct vu_dev *d, int idx, int fd)
{
	struct vu_vring *v = &d->vr[idx];
	int old = v->vq.kick_fd;

	if (old == fd)
		return;
	vq_lock(&v->vq);
	v->vq.kick_fd = fd;
	vq_unlock(&v->vq);
	if (d->ops && d->ops->kick_changed)
		d->ops->kick_changed(d->ctx, d, idx, old, fd);
	close_fd(&old);
}

static void mem_release(struct vu_dev *d, int vring, const char *why)
{
	if (d->ops && d->ops->mem_release)
		d->ops->mem_release(d->ctx, d, vring, why);
}

/* Forget every vring and the memory table: a new guest may come. */
static void dev_reset(struct vu_dev *d)
{
	struct vring_avail *shadow;
	uint16_t *table;
	int i, call;

	mem_release(d, -1, "device reset");
	for (i = 0; i < VU_MAX_VRINGS; i++) {
		struct vu_vring *v = &d->vr[i];

		set_kick(d, i, -1);
		vq_lock(&v->vq);
		shadow = vu_inflight_stop(&v->vq); /* before the ring pointers go */
		call = v->vq.call_fd;
		v->vq.call_fd = -1;
		v->vq.ready = false;
		v->vq.desc = NULL;
		v->vq.avail = NULL;
		v->vq.used = NULL;
		v->vq.mem = NULL;
		v->vq.size = 0;
		v->vq.last_avail = v->vq.used_idx = v->vq.avail_cache = 0;
		v->vq.used_pending = 0;
		v->vq.signalled_valid = false;
		v->vq.nobuf = false;
		v->vq.err = NULL;
		v->vq.packed = false;
		v->vq.log = NULL;
		v->vq.log_used = false;
		table = vq_packed_take(&v->vq, NULL);
		vq_unlock(&v->vq);
		free(table);
		free(shadow);
		close_fd(&call);
		v->addr_set = v->started = v->enabled = v->base_told = false;
	}
	vu_mem_unmap(d->mem);
	d->mem = NULL;
	vu_log_unmap(&d->log);
	d->log_all = false;
	vu_inflight_unmap(&d->ifl); /* no vring points into it any more */
	close_fd(&d->reply_fd);
	d->features = 0;
	d->protocol_features = 0;
	d->pf_negotiated = false;
	d->early_enable = false;
	d->status = 0;
}

void vu_dev_detach(struct vu_dev *d)
{
	int i;

	dev_reset(d);
	for (i = 0; i < d->nfds; i++)
		close(d->fds[i]);
	d->nfds = 0;
	d->got = 0;
	if (d->fd >= 0) {
		close(d->fd);
		d->st.disconnects++;
	}
	d->fd = -1;
	__atomic_store_n(&d->broken, 0, __ATOMIC_RELAXED);
	d->broken_why = NULL;
}

void vu_dev_mark_broken(struct vu_dev *d, const char *why)
{
	int i;

	if (__atomic_exchange_n(&d->broken, 1, __ATOMIC_ACQ_REL))
		return;
	d->broken_why = why;
	/* Stop every vring now; the lock holder (us, for one of them) will
	 * see ready=false from its next burst. */
	for (i = 0; i < VU_MAX_VRINGS; i++)
		__atomic_store_n(&d->vr[i].vq.ready, false, __ATOMIC_RELAXED);
}

bool vu_dev_check_broken(struct vu_dev *d)
{
	static const char gone[] = "guest memory went away (SIGBUS): the front-end shrank "
				   "or removed a region";

	if (d->mem && vu_mem_faulted(d->mem)) {
		/* whatever a worker made of the zeros, this is the cause */
		vu_dev_mark_broken(d, gone);
		d->broken_why = gone;
		d->st.mem_faults++;
	}
	if (!__atomic_load_n(&d->broken, __ATOMIC_ACQUIRE))
		return false;
	log_msg(LOG_LVL_WARN, d->name, "guest error: %s; disconnecting",
		d->broken_why ? d->broken_why : "unknown");
	d->st.broken++;
	return true;
}

/* ---- handlers ---------------------------------------------------------- */

/* A handler returns 0, a positive reply size (reply in d->msg.p), or a
 * negative errno with *why set for a violation. */
typedef int (*vu_handler)(struct vu_dev *d, const char **why);

static int vu_get_features(struct vu_dev *d, const char **why)
{
	(void)why;
	d->msg.p.u64 = vu_dev_offered_features(d);
	return sizeof(uint64_t);
}

static int vu_set_features(struct vu_dev *d, const char **why)
{
	uint64_t f = d->msg.p.u64;
	int i;

	if (f & ~vu_dev_offered_features(d)) {
		*why = "SET_FEATURES acks features that were not offered";
		return -EPROTO;
	}
	if ((*why = offload_deps(f)))
		return -EPROTO;
	/* QEMU sends SET_FEATURES on running rings (VHOST_F_LOG_ALL for a
	 * migration); their layout may not change under them */
	for (i = 0; i < VU_MAX_VRINGS; i++)
		if (d->vr[i].started && !!(f & BIT(VIRTIO_F_RING_PACKED)) != d->vr[i].vq.packed) {
			*why = "SET_FEATURES changes the ring layout (ring_packed) of a running ring";
			return -EPROTO;
		}
	d->features = f;
	d->log_all = f & BIT(VU_F_LOG_ALL);
	for (i = 0; i < VU_MAX_VRINGS; i++) {
		struct vq *vq = &d->vr[i].vq;

		vq_lock(vq);
		vq->event_idx = f & BIT(VIRTIO_RING_F_EVENT_IDX);
		vq->mrg_rxbuf = f & BIT(VIRTIO_NET_F_MRG_RXBUF);
		vq->hdr_len = (f & (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF))) ?
				      sizeof(struct virtio_net_hdr_mrg_rxbuf) :
				      sizeof(struct virtio_net_hdr);
		vq->offloads = vq_offloads(f, !(i & 1));
		vq->packed = f & BIT(VIRTIO_F_RING_PACKED);
		vq->log = d->log_all && d->log.bits ? &d->log : NULL;
		vq_unlock(vq);
	}
	return 0;
}

static int vu_get_protocol_features(struct vu_dev *d, const char **why)
{
	(void)why;
	d->msg.p.u64 = vu_dev_offered_protocol_features(d);
	return sizeof(uint64_t);
}

static int vu_set_protocol_features(struct vu_dev *d, const char **why)
{
	if (d->msg.p.u64 & ~vu_dev_offered_protocol_features(d)) {
		*why = "SET_PROTOCOL_FEATURES acks features that were not offered";
		return -EPROTO;
	}
	d->protocol_features = d->msg.p.u64;
	d->pf_negotiated = true;
	return 0;
}

static int vu_set_owner(struct vu_dev *d, const char **why)
{
	(void)d;
	(void)why;
	return 0;
}

static int vu_reset_owner(struct vu_dev *d, const char **why)
{
	(void)why;
	dev_reset(d);
	return 0;
}

static int vu_get_queue_num(struct vu_dev *d, const char **why)
{
	(void)why;
	d->msg.p.u64 = d->max_queues;
	return sizeof(uint64_t);
}

static int vu_set_mem_table(struct vu_dev *d, const char **why)
{
	struct vu_mem_table *t = &d->msg.p.mem;
	struct vu_mem *m, *old;
	uint64_t total = 0;
	int i, err = 0;

	if (t->nregions == 0 || t->nregions > VU_MAX_MEM_REGIONS ||
	    d->msg.hdr.size != 8 + 32 * t->nregions) {
		*why = "SET_MEM_TABLE size does not match its region count";
		return -EPROTO;
	}
	for (i = 0; i < (int)t->nregions; i++) {
		/* each ≤ 2^40 once vu_mem_map checked it; checked here first,
		 * so the sum cannot overflow either */
		if (t->regions[i].memory_size > d->max_mem || total > d->max_mem) {
			total = UINT64_MAX;
			break;
		}
		total += t->regions[i].memory_size;
	}
	if (total > d->max_mem) {
		*why = "guest memory over the port's limit (max-guest-memory)";
		return -EPROTO;
	}
	m = vu_mem_map_span(t, d->fds, d->nfds, d->mem_scratch, why);
	if (!m)
		return -EPROTO;
	mem_release(d, -1, "new memory table");
	old = d->mem;
	/* Every vring is re-pointed into the new table (or cleared, if the
	 * new table does not cover it) and the table swapped under its lock:
	 * once this loop is done no vring points into the old one. */
	for (i = 0; i < VU_MAX_VRINGS; i++) {
		struct vu_vring *v = &d->vr[i];
		const char *w = NULL;

		vq_lock(&v->vq);
		d->mem = m;
		if (v->addr_set && v->vq.size &&
		    vq_map_rings(&v->vq, m, v->desc_uva, v->avail_uva, v->used_uva, &w) && !err) {
			err = -EPROTO;
			*why = w;
		}
		vring_update_ready(d, v);
		vq_unlock(&v->vq);
	}
	vu_mem_unmap(old);
	return err;
}

static int vring_index(struct vu_dev *d, uint32_t idx, const char **why)
{
	if (idx >= 2u * d->max_queues) {
		*why = "vring index beyond the queues offered";
		return -EPROTO;
	}
	return (int)idx;
}

static int vu_set_vring_num(struct vu_dev *d, const char **why)
{
	int i = vring_index(d, d->msg.p.state.index, why);
	uint32_t n = d->msg.p.state.num;

	if (i < 0)
		return i;
	if (!n || n & (n - 1) || n > VU_MAX_RING_SIZE) {
		*why = "ring size is not a power of two up to 32768";
		return -EPROTO;
	}
	if (d->vr[i].started) {
		*why = "SET_VRING_NUM on a running ring";
		return -EPROTO;
	}
	vq_lock(&d->vr[i].vq);
	d->vr[i].vq.size = (uint16_t)n;
	d->vr[i].vq.desc = NULL; /* re-mapped for the new size at start */
	vring_update_ready(d, &d->vr[i]);
	vq_unlock(&d->vr[i].vq);
	return 0;
}

static int vu_set_vring_addr(struct vu_dev *d, const char **why)
{
	struct vu_vring_addr *a = &d->msg.p.addr;
	int i = vring_index(d, a->index, why), err = 0;
	struct vu_vring *v;

	if (i < 0)
		return i;
	if (a->flags & ~(uint32_t)VU_VRING_F_LOG) {
		*why = "SET_VRING_ADDR with unknown flags";
		return -EPROTO;
	}
	v = &d->vr[i];
	/* QEMU turns used-ring logging on and off on running rings, with
	 * the same addresses */
	if (v->started && (a->desc_user_addr != v->desc_uva || a->avail_user_addr != v->avail_uva ||
			   a->used_user_addr != v->used_uva)) {
		*why = "SET_VRING_ADDR on a running ring";
		return -EPROTO;
	}
	if (!!(a->flags & VU_VRING_F_LOG) != v->vq.log_used)
		log_msg(LOG_LVL_DEBUG, d->name, "vring %d: used ring %slogged (at 0x%llx)", i,
			(a->flags & VU_VRING_F_LOG) ? "" : "no longer ",
			(unsigned long long)a->log_guest_addr);
	vq_lock(&v->vq);
	v->vq.log_used = a->flags & VU_VRING_F_LOG;
	v->vq.log_used_gpa = a->log_guest_addr;
	if (v->started) {
		vq_unlock(&v->vq);
		return 0;
	}
	v->desc_uva = a->desc_user_addr;
	v->avail_uva = a->avail_user_addr;
	v->used_uva = a->used_user_addr;
	v->addr_set = true;
	if (d->mem && v->vq.size)
		err = vq_map_rings(&v->vq, d->mem, v->desc_uva, v->avail_uva, v->used_uva, why);
	vring_update_ready(d, v);
	vq_unlock(&v->vq);
	return err ? -EPROTO : 0;
}

static int vu_set_vring_base(struct vu_dev *d, const char **why)
{
	int i = vring_index(d, d->msg.p.state.index, why);
	struct vq *vq;

	if (i < 0)
		return i;
	/* a packed ring's: the next available position and its wrap counter
	 * (bit 15), QEMU puts the used ones in bits 16..31 */
	if (d->msg.p.state.num > 0xffff && !d->vr[i].vq.packed) {
		*why = "SET_VRING_BASE beyond a split ring's index range";
		return -EPROTO;
	}
	if (d->vr[i].started) {
		*why = "SET_VRING_BASE on a running ring";
		return -EPROTO;
	}
	vq = &d->vr[i].vq;
	vq_lock(vq);
	/* the front-end restores last_avail from the used index, so the two
	 * start equal (also after a backend restart); a packed ring's index
	 * carries the wrap counter in bit 15 (checked against the size when
	 * the ring is mapped) */
	vq->last_avail = vq->used_idx = vq->avail_cache = (uint16_t)d->msg.p.state.num;
	if (vq->packed) {
		/* no buffer is in flight at a start (QEMU restores the next
		 * available one from the used one): its used half is the same */
		vq->last_avail = vq->used_idx &= 0x7fff;
		vq->avail_wrap = vq->used_wrap = (d->msg.p.state.num >> 15) & 1;
		/* what a QEMU that never stopped the ring says: after the
		 * back-end died, stale (vu_set_vring_kick reads the ring).
		 * Not if this connection told it so at a stop: then the
		 * ring did stop at 0, and its slots hold the tails of used
		 * chains that a recovery would take for new buffers. */
		vq->pk_base0 = vq->last_avail == 0 && vq->avail_wrap && !d->vr[i].base_told;
		vq->pk_undo_n = 0;
		vq->pk_since_signal = 0; /* its buffer table is new at the kick */
	}
	vq->used_pending = 0;
	vq->signalled_valid = false;
	vq->nobuf = false;
	vq_unlock(vq);
	return 0;
}

static int vu_get_vring_base(struct vu_dev *d, const char **why)
{
	int i = vring_index(d, d->msg.p.state.index, why);
	struct vring_avail *shadow;
	struct vu_vring *v;

	if (i < 0)
		return i;
	v = &d->vr[i];
	mem_release(d, i, "ring stopped");
	vq_lock(&v->vq);
	v->started = false;
	v->base_told = true;
	if (v->vq.ready)
		vq_flush(&v->vq);
	shadow = vu_inflight_stop(&v->vq); /* its position: the guest's next entry */
	vring_update_ready(d, v);
	d->msg.p.state.num = v->vq.last_avail;
	if (v->vq.packed) /* as QEMU reads it: used position in the high half */
		d->msg.p.state.num = (uint32_t)(v->vq.last_avail | (v->vq.avail_wrap ? 0x8000 : 0)) |
				     (uint32_t)(v->vq.used_idx | (v->vq.used_wrap ? 0x8000 : 0)) << 16;
	vq_unlock(&v->vq);
	free(shadow);
	set_kick(d, i, -1);
	return sizeof(struct vu_vring_state);
}

/* What a front-end hands over as a kick or call fd must be an eventfd:
 * a pipe or a socket could block the worker that writes it, or make the
 * switch read from somebody else's file. */
static bool is_eventfd(int fd)
{
	char path[40], link[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, "anon_inode:[eventfd]");
}

/* A call fd is written under the vring lock: it must never block. The
 * file description is shared with the front-end; QEMU creates its
 * notifiers non-blocking anyway, and an irqfd does not care. */
static int take_eventfd(int fd, const char *req, const char **why)
{
	int fl;

	if (fd < 0)
		return 0;
	if (!is_eventfd(fd)) {
		*why = req;
		return -EPROTO;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK))) {
		*why = "cannot make a vring eventfd non-blocking";
		return -EPROTO;
	}
	return 0;
}

/* KICK, CALL, ERR: the index, and either an fd or the no-fd flag. */
static int vring_fd(struct vu_dev *d, int *idx, int *fd, const char **why)
{
	uint64_t v = d->msg.p.u64;
	bool nofd = v & VU_VRING_NOFD_MASK;

	if (v & ~(uint64_t)(VU_VRING_IDX_MASK | VU_VRING_NOFD_MASK)) {
		*why = "vring fd message with unknown bits";
		return -EPROTO;
	}
	*idx = vring_index(d, (uint32_t)(v & VU_VRING_IDX_MASK), why);
	if (*idx < 0)
		return *idx;
	if (d->nfds != (nofd ? 0 : 1)) {
		*why = "vring fd message with a wrong number of fds";
		return -EPROTO;
	}
	*fd = nofd ? -1 : d->fds[0];
	d->nfds = 0; /* taken */
	return 0;
}

/* Crash resume: vring i is tracked if it is a split transmit ring (the
 * guest's frames) and the front-end negotiated INFLIGHT_SHMFD and set a
 * region. What its start needs, allocated outside the vq lock. */
struct ifl_plan {
	uint16_t *heads;
	struct vu_ifl_order *order;
	struct vring_avail *shadow;
};

static bool ifl_tracks(const struct vu_dev *d, int i)
{
	return d->ifl.map && (d->protocol_features & BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD)) &&
	       (i & 1) && !d->vr[i].vq.packed && d->vr[i].vq.size;
}

static int ifl_plan_alloc(struct ifl_plan *p, uint16_t size)
{
	p->heads = calloc(size, sizeof(*p->heads));
	p->order = calloc(size, sizeof(*p->order));
	p->shadow = calloc(1, vu_inflight_shadow_bytes(size));
	return p->heads && p->order && p->shadow ? 0 : -ENOMEM;
}

static void ifl_plan_free(struct ifl_plan *p)
{
	free(p->heads);
	free(p->order);
	free(p->shadow);
}

/* Under the vq lock, the ring mapped: check vring i's record against it,
 * then track it, resubmitting what was in flight. The shadow ring is the
 * vq's from then on if there is anything to resubmit. */
static int ifl_resume(struct vu_dev *d, int i, struct ifl_plan *p, int *n, const char **why)
{
	struct vq *vq = &d->vr[i].vq;
	struct vu_ifl_queue *q = vu_inflight_queue(&d->ifl, (unsigned int)i);
	uint64_t counter = 0;
	uint16_t used;

	if (!q) {
		*why = "inflight: the region has no record for this vring";
		return -EINVAL;
	}
	if (d->ifl.queue_size != vq->size) {
		*why = "inflight: region's queue size is not the ring's";
		return -EINVAL;
	}
	/* the guest's used index, read once: both use the same */
	used = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
	*n = vu_inflight_recover(q, vu_inflight_queue_bytes(d->ifl.queue_size), vq->size, used,
				 p->heads, p->order, &counter, why);
	if (*n < 0)
		return *n;
	vu_inflight_start(vq, q, used, p->heads, (uint16_t)*n, counter, *n ? p->shadow : NULL);
	if (*n)
		p->shadow = NULL;
	return 0;
}

static int vu_set_vring_kick(struct vu_dev *d, const char **why)
{
	struct ifl_plan plan = { 0 };
	bool ifl;
	int resubmit = 0, ifl_err = 0;
	uint16_t *table = NULL, *old_table = NULL, at = 0;
	struct vu_vring *v;
	bool resumed = false;
	int i, fd = -1, err;

	err = vring_fd(d, &i, &fd, why);
	if (!err)
		err = take_eventfd(fd, "SET_VRING_KICK fd is not an eventfd", why);
	if (err) {
		close_fd(&fd);
		return err;
	}
	v = &d->vr[i];
	set_kick(d, i, fd);
	/* a packed ring's buffer table, allocated outside the lock */
	if (v->vq.packed && !(table = vq_packed_alloc(v->vq.size))) {
		*why = "out of memory for a packed ring's buffer table";
		return -ENOMEM;
	}
	/* at the ring's start only: a second SET_VRING_KICK (a new kick fd)
	 * on a running ring keeps what it has, or the ring would go back to
	 * the guest's used index (heads in flight now taken again: completed
	 * twice) and a second shadow ring replace the first (leaked) */
	ifl = !v->started && ifl_tracks(d, i);
	if (ifl && ifl_plan_alloc(&plan, v->vq.size)) {
		ifl_plan_free(&plan);
		*why = "out of memory for a ring's in-flight list";
		return -ENOMEM;
	}
	vq_lock(&v->vq);
	/* fresh at the ring's start (no buffer in flight); a second
	 * SET_VRING_KICK on a running ring keeps its table, or the ids in
	 * flight would be forgotten: made available again, taken twice */
	if (table && (!v->started || !v->vq.pk_ndesc))
		old_table = vq_packed_take(&v->vq, table);
	else
		old_table = table;
	v->started = true;
	/* QEMU sends SET_PROTOCOL_FEATURES (and SET_VRING_ENABLE) before
	 * SET_FEATURES: either tells us rings wait for SET_VRING_ENABLE */
	if (!d->pf_negotiated && !(d->features & BIT(VU_F_PROTOCOL_FEATURES)))
		v->enabled = true;
	if (v->addr_set && d->mem)
		err = vq_map_rings(&v->vq, d->mem, v->desc_uva, v->avail_uva, v->used_uva, why);
	if (!err && v->vq.packed && v->vq.desc && v->vq.pk_base0 &&
	    (resumed = vqp_recover(&v->vq)))
		at = v->vq.last_avail | (v->vq.avail_wrap ? 0x8000 : 0);
	if (!err && ifl && v->vq.desc)
		err = ifl_err = ifl_resume(d, i, &plan, &resubmit, why);
	if (!ifl_err) /* a refused record: not one frame taken before the disconnect */
		vring_update_ready(d, v);
	vq_unlock(&v->vq);
	free(old_table);
	ifl_plan_free(&plan);
	if (ifl_err) {
		d->st.inflight_refused++;
		return -EPROTO;
	}
	if (resubmit) {
		d->st.inflight_resubmits += (uint64_t)resubmit;
		log_msg(LOG_LVL_INFO, d->name,
			"vring %d: %d descriptor(s) in flight before the restart taken again", i,
			resubmit);
	}
	if (resumed) {
		d->st.ring_resumes++;
		log_msg(LOG_LVL_INFO, d->name,
			"vring %d: packed ring resumes where the ring stands (0x%04x), not at its "
			"SET_VRING_BASE", i, at);
	}
	return err ? -EPROTO : 0;
}

static int vu_set_vring_call(struct vu_dev *d, const char **why)
{
	int i, fd = -1, old, err;

	err = vring_fd(d, &i, &fd, why);
	if (!err)
		err = take_eventfd(fd, "SET_VRING_CALL fd is not an eventfd", why);
	if (err) {
		close_fd(&fd);
		return err;
	}
	vq_lock(&d->vr[i].vq);
	old = d->vr[i].vq.call_fd;
	d->vr[i].vq.call_fd = fd;
	vq_unlock(&d->vr[i].vq);
	close_fd(&old);
	return 0;
}

static int vu_set_vring_err(struct vu_dev *d, const char **why)
{
	int i, fd, err;

	err = vring_fd(d, &i, &fd, why);
	if (!err)
		close_fd(&fd); /* we never report vring errors this way */
	return err;
}

static int vu_set_vring_enable(struct vu_dev *d, const char **why)
{
	int i = vring_index(d, d->msg.p.state.index, why);

	if (i < 0)
		return i;
	if (d->msg.p.state.num > 1) {
		*why = "SET_VRING_ENABLE with a value other than 0/1";
		return -EPROTO;
	}
	/* DPDK's virtio-user in server mode replays its rings' state to a
	 * back-end that reconnects before it negotiates again: taken (the
	 * ring still waits for its kick), noted once per connection */
	if (!d->pf_negotiated && !d->early_enable) {
		d->early_enable = true;
		d->st.early_enables++;
		log_msg(LOG_LVL_INFO, d->name,
			"SET_VRING_ENABLE before the protocol features were negotiated: taken");
	}
	vq_lock(&d->vr[i].vq);
	d->vr[i].enabled = d->msg.p.state.num;
	vring_update_ready(d, &d->vr[i]);
	vq_unlock(&d->vr[i].vq);
	return 0;
}

/* A handler's answer to a request whose reply has no payload. */
#define REPLY_EMPTY 0x7fffffff

/* The dirty log: mapped, then put in place with every vring locked (a
 * writer holds its vring's lock while it logs), the old one unmapped after. */
static int vu_set_log_base(struct vu_dev *d, const char **why)
{
	struct vu_log nl = { 0 }, old;
	int i, err;

	if (d->nfds != 1) {
		*why = "SET_LOG_BASE without its fd";
		return -EPROTO;
	}
	err = vu_log_map(&nl, d->fds[0], d->msg.p.log.mmap_size, d->msg.p.log.mmap_offset, why);
	if (err)
		return err;
	for (i = 0; i < VU_MAX_VRINGS; i++)
		vq_lock(&d->vr[i].vq);
	old = d->log;
	d->log = nl;
	for (i = 0; i < VU_MAX_VRINGS; i++) {
		d->vr[i].vq.log = d->log_all ? &d->log : NULL;
		vq_unlock(&d->vr[i].vq);
	}
	vu_log_unmap(&old);
	d->st.log_bases++;
	log_msg(LOG_LVL_INFO, d->name, "dirty log of %llu KiB mapped (live migration)",
		(unsigned long long)(nl.size >> 10));
	return REPLY_EMPTY; /* QEMU waits for it (LOG_SHMFD) */
}

/* An eventfd to tell the front-end the log changed: QEMU reads the log at
 * its own pace; taken and closed. */
static int vu_set_log_fd(struct vu_dev *d, const char **why)
{
	(void)d;
	(void)why;
	return 0; /* dispatch closes the fd */
}

static int vu_send_rarp(struct vu_dev *d, const char **why)
{
	uint8_t mac[6];

	memcpy(mac, &d->msg.p.u64, 6);
	if (mac[0] & 1) {
		*why = "SEND_RARP with a group address";
		return -EPROTO;
	}
	d->st.rarps++;
	if (d->ops && d->ops->announce)
		d->ops->announce(d->ctx, d, mac);
	return 0;
}

static int vu_set_status(struct vu_dev *d, const char **why)
{
	if (d->msg.p.u64 > 0xff) {
		*why = "SET_STATUS beyond 8 bits";
		return -EPROTO;
	}
	d->status = (uint8_t)d->msg.p.u64;
	return 0;
}

static int vu_get_status(struct vu_dev *d, const char **why)
{
	(void)why;
	d->msg.p.u64 = d->status;
	return sizeof(uint64_t);
}

/* GET_INFLIGHT_FD: a fresh region for the front-end to keep; it becomes
 * ours with SET_INFLIGHT_FD (QEMU sends both at every start). */
static int vu_get_inflight_fd(struct vu_dev *d, const char **why)
{
	struct vu_inflight_area a;
	int fd, err;

	err = vu_inflight_create(d->msg.p.inflight.num_queues, d->msg.p.inflight.queue_size,
				 (uint16_t)(2 * d->max_queues), &fd, &a, why);
	if (err)
		return err == -EINVAL ? -EPROTO : err;
	close_fd(&d->reply_fd);
	d->reply_fd = fd;
	d->msg.p.inflight = a;
	return sizeof(a);
}

static int vu_set_inflight_fd(struct vu_dev *d, const char **why)
{
	int i, err;

	if (d->nfds != 1) {
		*why = "SET_INFLIGHT_FD without its fd";
		return -EPROTO;
	}
	/* vrings running point into the region we have */
	for (i = 0; i < VU_MAX_VRINGS; i++)
		if (d->vr[i].started) {
			*why = "SET_INFLIGHT_FD while rings run";
			return -EPROTO;
		}
	err = vu_inflight_map(&d->ifl, d->fds[0], &d->msg.p.inflight, (uint16_t)(2 * d->max_queues),
			      why);
	if (err) {
		d->st.inflight_refused++;
		return -EPROTO;
	}
	log_msg(LOG_LVL_INFO, d->name, "in-flight region: %u vrings of %u entries",
		d->ifl.num_queues, d->ifl.queue_size);
	return 0; /* dispatch closes the fd: the mapping keeps the region */
}

/* Payload size: exact, or (VAR) at least, and checked by the handler. */
#define VAR 0x80000000u

static const struct {
	vu_handler fn;
	uint32_t size;
	uint8_t max_fds; /* fds it may carry; checked again by the handler */
	uint64_t needs_pf; /* protocol feature required, 0 if none */
} handlers[VU_REQ_MAX] = {
	[VU_REQ_GET_FEATURES] = { vu_get_features, 0, 0, 0 },
	[VU_REQ_SET_FEATURES] = { vu_set_features, 8, 0, 0 },
	[VU_REQ_SET_OWNER] = { vu_set_owner, 0, 0, 0 },
	[VU_REQ_RESET_OWNER] = { vu_reset_owner, 0, 0, 0 },
	[VU_REQ_SET_MEM_TABLE] = { vu_set_mem_table, VAR | 8, VU_MAX_MEM_REGIONS, 0 },
	[VU_REQ_SET_VRING_NUM] = { vu_set_vring_num, 8, 0, 0 },
	[VU_REQ_SET_VRING_ADDR] = { vu_set_vring_addr, 40, 0, 0 },
	[VU_REQ_SET_VRING_BASE] = { vu_set_vring_base, 8, 0, 0 },
	[VU_REQ_GET_VRING_BASE] = { vu_get_vring_base, 8, 0, 0 },
	[VU_REQ_SET_VRING_KICK] = { vu_set_vring_kick, 8, 1, 0 },
	[VU_REQ_SET_VRING_CALL] = { vu_set_vring_call, 8, 1, 0 },
	[VU_REQ_SET_VRING_ERR] = { vu_set_vring_err, 8, 1, 0 },
	[VU_REQ_GET_PROTOCOL_FEATURES] = { vu_get_protocol_features, 0, 0, 0 },
	[VU_REQ_SET_PROTOCOL_FEATURES] = { vu_set_protocol_features, 8, 0, 0 },
	[VU_REQ_GET_QUEUE_NUM] = { vu_get_queue_num, 0, 0, BIT(VU_PROTOCOL_F_MQ) },
	[VU_REQ_SET_VRING_ENABLE] = { vu_set_vring_enable, 8, 0, 0 },
	[VU_REQ_SET_LOG_BASE] = { vu_set_log_base, 16, 1, BIT(VU_PROTOCOL_F_LOG_SHMFD) },
	[VU_REQ_SET_LOG_FD] = { vu_set_log_fd, VAR | 0, 1, BIT(VU_PROTOCOL_F_LOG_SHMFD) },
	[VU_REQ_SEND_RARP] = { vu_send_rarp, 8, 0, BIT(VU_PROTOCOL_F_RARP) },
	[VU_REQ_SET_STATUS] = { vu_set_status, 8, 0, BIT(VU_PROTOCOL_F_STATUS) },
	[VU_REQ_GET_STATUS] = { vu_get_status, 0, 0, BIT(VU_PROTOCOL_F_STATUS) },
	[VU_REQ_GET_INFLIGHT_FD] = { vu_get_inflight_fd, sizeof(struct vu_inflight_area), 0,
				     BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD) },
	[VU_REQ_SET_INFLIGHT_FD] = { vu_set_inflight_fd, sizeof(struct vu_inflight_area), 1,
				     BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD) },
};

static int send_reply(struct vu_dev *d, uint32_t size)
{
	struct iovec iov[2] = {
		{ &d->msg.hdr, VU_HDR_SIZE },
		{ &d->msg.p, size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	ssize_t n;

	d->msg.hdr.flags = VU_VERSION | VU_FLAG_REPLY;
	d->msg.hdr.size = size;
	if (d->reply_fd >= 0) { /* GET_INFLIGHT_FD's region */
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &d->reply_fd, sizeof(int));
	}
	n = sendmsg(d->fd, &mh, MSG_NOSIGNAL);
	close_fd(&d->reply_fd);
	return n == (ssize_t)(VU_HDR_SIZE + size) ? 0 : -EIO;
}

/* A complete message is in d->msg with d->nfds fds. */
static int dispatch(struct vu_dev *d)
{
	uint32_t req = d->msg.hdr.request, size = d->msg.hdr.size;
	bool need_reply = d->msg.hdr.flags & VU_FLAG_NEED_REPLY;
	const char *why = NULL;
	int r, i;

	d->st.messages++;
	log_msg(LOG_LVL_DEBUG, d->name, "%s (size %u, %d fds)", vu_request_name(req), size,
		d->nfds);
	if (req >= VU_REQ_MAX || !handlers[req].fn) {
		why = "unsupported request";
		r = -EPROTO;
	} else if ((handlers[req].size & VAR) ? size < (handlers[req].size & ~VAR) :
						size != handlers[req].size) {
		why = "request with a wrong payload size";
		r = -EPROTO;
	} else if (d->nfds > handlers[req].max_fds) {
		why = "request with more fds than it takes";
		r = -EPROTO;
	} else if (handlers[req].needs_pf && !(d->protocol_features & handlers[req].needs_pf)) {
		why = "request needs a protocol feature that was not negotiated";
		r = -EPROTO;
	} else {
		r = handlers[req].fn(d, &why);
	}
	for (i = 0; i < d->nfds; i++) /* fds a handler did not take */
		close(d->fds[i]);
	d->nfds = 0;

	if (r < 0) {
		log_msg(LOG_LVL_WARN, d->name, "front-end error in %s (%u): %s; disconnecting",
			vu_request_name(req), req, why ? why : strerror(-r));
		return r;
	}
	if (r == REPLY_EMPTY)
		return send_reply(d, 0);
	if (r > 0)
		return send_reply(d, (uint32_t)r);
	if (need_reply && (d->protocol_features & BIT(VU_PROTOCOL_F_REPLY_ACK))) {
		d->msg.p.u64 = 0;
		return send_reply(d, sizeof(uint64_t));
	}
	return 0;
}

/* Collect SCM_RIGHTS fds; more than a message may carry is a violation. */
static int take_fds(struct vu_dev *d, struct msghdr *mh)
{
	struct cmsghdr *c;
	int err = 0;

	if (mh->msg_flags & MSG_CTRUNC)
		err = -EPROTO;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		int *fds = (int *)CMSG_DATA(c), n, i;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < n; i++) {
			if (d->nfds < VU_MAX_FDS) {
				d->fds[d->nfds++] = fds[i];
			} else {
				close(fds[i]);
				err = -EPROTO;
			}
		}
	}
	return err;
}

static int read_messages(struct vu_dev *d);

int vu_dev_readable(struct vu_dev *d)
{
	int r = read_messages(d);

	if (r == -EPROTO) /* every protocol violation, wherever detected */
		d->st.broken++;
	return r;
}

static int read_messages(struct vu_dev *d)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	struct iovec iov;
	struct msghdr mh;
	uint32_t want;
	ssize_t n;
	int err, budget = VU_MSG_BUDGET;

	while (budget) {
		/* header first, then exactly the payload it announces */
		if (d->got < VU_HDR_SIZE) {
			want = VU_HDR_SIZE;
			iov.iov_base = (uint8_t *)&d->msg.hdr + d->got;
		} else {
			want = VU_HDR_SIZE + d->msg.hdr.size;
			iov.iov_base = (uint8_t *)&d->msg.p + (d->got - VU_HDR_SIZE);
		}
		iov.iov_len = want - d->got;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(d->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (n == 0)
			return -ECONNRESET;
		err = take_fds(d, &mh);
		if (err) {
			log_msg(LOG_LVL_WARN, d->name,
				"front-end sent more than %d fds with one message; disconnecting",
				VU_MAX_FDS);
			return err;
		}
		d->got += (uint32_t)n;
		if (d->got == VU_HDR_SIZE) {
			if ((d->msg.hdr.flags & VU_VERSION_MASK) != VU_VERSION ||
			    d->msg.hdr.size > VU_PAYLOAD_MAX) {
				log_msg(LOG_LVL_WARN, d->name,
					"front-end message with version %u, size %u (max %zu); "
					"disconnecting",
					d->msg.hdr.flags & VU_VERSION_MASK, d->msg.hdr.size,
					VU_PAYLOAD_MAX);
				return -EPROTO;
			}
		}
		if (d->got >= VU_HDR_SIZE && d->got == VU_HDR_SIZE + d->msg.hdr.size) {
			d->got = 0;
			budget--;
			err = dispatch(d);
			if (err)
				return err;
		}
	}
	return 0;
}
