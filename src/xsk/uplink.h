/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * uplink: a NIC as a switch port. The XDP program (xprog) steers frames for
 * the switch into an AF_XDP socket per configured queue; each socket has a
 * host-owned UMEM (the copy path: one copy between UMEM and guest memory).
 * Broadcasts that the host also needs are passed to the host by XDP and
 * the switch takes its copy from a packet ring (tap.c).
 *
 *   NIC queue q ─► XDP ─redirect─► AF_XDP socket q ─► worker ─copy─► VM RX vring
 *   VM TX vring ─► worker ─copy─► UMEM frame ─► AF_XDP TX ring q' ─► NIC
 *
 * Ownership: RX (and the fill ring) of queue q belong to the worker that
 * owns (port, q); TX (and the completion ring and the free-frame stack)
 * are shared by all workers under the queue's tx_lock.
 */
#ifndef XVS_UPLINK_H
#define XVS_UPLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>

#include "xsk/tap.h"
#include "xsk/xdpmaps.h"
#include "xsk/xprog.h"

/* Descriptors one frame may take on a ring (multi-buffer): the kernel's
 * MAX_SKB_FRAGS, the copy path's limit. */
#define UPLINK_MAX_FRAGS 17
/* Sockets of one uplink at most. */
#define UPLINK_MAX_QUEUES 64
/* Frames one uplink_tx_burst() takes at most (n <= UPLINK_BURST). */
#define UPLINK_BURST 64
/* What a frame holds besides its MTU: Ethernet header and two VLAN tags;
 * and the headroom the kernel keeps in front of a received frame. */
#define UPLINK_L2_LEN (14 + 2 * 4)
#define UPLINK_RX_HEADROOM 256

struct uplink_qstats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_drop_runt; /* shorter than an Ethernet header */
	uint64_t rx_drop_frags; /* more descriptors than UPLINK_MAX_FRAGS */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_drop_no_frame; /* not enough free UMEM frames */
	uint64_t wakeups; /* sendto/recvfrom kicks (need_wakeup) */
};

struct uplink_queue {
	/* RX side: the owning worker */
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	uint32_t rx_idx, rx_ndesc; /* peeked, not yet released */
	bool rx_in_drop; /* discarding the rest of a frame too long to keep */
	/* TX side: under tx_lock */
	int tx_lock;
	struct xsk_ring_prod tx;
	struct xsk_ring_cons cq;
	uint64_t *free; /* stack of free TX frame addresses */
	uint32_t nfree;
	/* set up once */
	uint16_t qid;
	int fd;
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	uint8_t *area;
	size_t area_len;
	bool busy_poll;
	bool sg; /* bound with XDP_USE_SG: frames span several UMEM frames */
	struct uplink_qstats st; /* rx_*: owner; tx_*: under tx_lock */
} __attribute__((aligned(64)));

struct uplink {
	char ifname[16];
	uint16_t port; /* switch port id */
	struct xprog prog;
	bool zerocopy; /* AF_XDP mode obtained */
	bool sg; /* multi-buffer on every queue */
	uint32_t mtu; /* in effect: the configured one, or less without sg */
	uint32_t frame_size;
	uint32_t ring_size;
	uint32_t xsk_base; /* first XSKMAP slot of this interface */
	uint32_t n_rx_queues; /* of the interface, when opened */
	int nq;
	struct uplink_queue *q; /* configured queues */
	bool host_flood;
	struct tap tap; /* host_flood: the switch's copy of broadcasts */
	/* queues lent to VMs (uplink_opts.lent_queues), out of the NIC's RSS
	 * table while lent (steer_rss_exclude): the table as it was */
	uint64_t lent;
	const char *rss; /* "excluded", "untouched", "unsupported", "failed", "-" */
	uint32_t *rss_saved;
	uint32_t rss_n;
};

/* What uplink_open() takes. */
struct uplink_opts {
	char ifname[16]; /* the interface */
	uint32_t mtu; /* L3 MTU wanted: capped at what the UMEM frames carry */
	uint32_t frame_size; /* UMEM chunk: 2048 or 4096 */
	uint32_t ring_size; /* AF_XDP ring entries, a power of two */
	uint32_t busy_poll_us; /* SO_BUSY_POLL */
	uint32_t busy_poll_budget; /* SO_BUSY_POLL_BUDGET; 0: busy polling off */
	enum xsk_xdp_mode xdp_mode;
	bool multi_buffer; /* frames over several UMEM chunks (XDP_USE_SG) where
			      the kernel allows it */
	bool all_queues; /* a socket on every RX queue, else on queue_ids[] */
	uint64_t lent_queues; /* bit q: queue q is another socket's (a VM's
				 zero-copy one): none of ours there */
	int n_queue_ids;
	uint16_t queue_ids[UPLINK_MAX_QUEUES]; /* distinct */
	bool host_flood; /* broadcast/multicast also to the host stack */
	bool host_unknown; /* unknown unicast to the host stack, else to the switch */
};

/*
 * Attach or adopt XDP on o->ifname, create sockets on the configured queues
 * and register them (XSKMAP slots from xsk_base, the uplink entry with its
 * flags, the port kind). `maps` is the switch's pinned maps, opened by the
 * first uplink. On failure nothing is left behind.
 */
int uplink_open(struct uplink *u, const struct uplink_opts *o, const char *switch_name,
		uint16_t port, uint32_t xsk_base, struct xdpmaps *maps);
void uplink_close(struct uplink *u, struct xdpmaps *maps);
/* How many XSKMAP slots an interface needs (its RX queue count). */
int uplink_slots(const char *ifname);
/* The kernel's counters of a queue's socket (what it dropped before the
 * switch saw it: RX ring full, fill ring empty, frames it could not place). */
int uplink_kernel_stats(const struct uplink_queue *q, struct xdp_statistics *st);

/*
 * Worker side. uplink_rx_peek() describes up to `max` received frames in f[]
 * (a frame is 1..UPLINK_MAX_FRAGS descriptors in a row on the RX ring; the
 * kernel publishes a frame's descriptors together). They stay valid until
 * uplink_rx_release(), which gives their UMEM frames back to the fill ring.
 */
struct uplink_frame {
	uint32_t desc; /* RX ring index of its first descriptor */
	uint16_t nfrag; /* 0: dropped (runt or too many fragments) */
	uint32_t len; /* over all fragments */
};
int uplink_rx_peek(struct uplink_queue *q, struct uplink_frame *f, int max);
void uplink_rx_release(struct uplink_queue *q);

/* Fragment k of a peeked frame: its bytes and length. */
static inline uint8_t *uplink_frag(const struct uplink_queue *q, const struct uplink_frame *f,
				   int k, uint32_t *len)
{
	const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, f->desc + (uint32_t)k);

	*len = d->len;
	return (uint8_t *)xsk_umem__get_data(q->area, d->addr);
}

/*
 * Send up to n frames of len[i] bytes on q (takes q->tx_lock). fill() writes
 * frame i into nbuf UMEM buffers of u->frame_size bytes each (the last one
 * partly): more than one only with u->sg; the caller offers only frames of
 * at most uplink_tx_max(u) bytes. Frames without enough free UMEM buffers
 * are dropped and counted. Returns frames sent.
 */
typedef void (*uplink_fill_fn)(void *ctx, int i, uint8_t *const *buf, int nbuf);
int uplink_tx_burst(struct uplink *u, struct uplink_queue *q, int n, const uint32_t *len,
		    uplink_fill_fn fill, void *ctx);

/* Largest Ethernet frame (with up to two VLAN tags) the uplink sends. */
static inline uint32_t uplink_tx_max(const struct uplink *u)
{
	return u->mtu + UPLINK_L2_LEN;
}

#endif /* XVS_UPLINK_H */
