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

#include "ctl/config.h"
#include "xsk/tap.h"
#include "xsk/xdpmaps.h"
#include "xsk/xprog.h"

struct uplink_qstats {
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_drop_runt; /* shorter than an Ethernet header */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_drop_no_frame; /* no free UMEM frame */
	uint64_t wakeups; /* sendto/recvfrom kicks (need_wakeup) */
};

struct uplink_queue {
	/* RX side: the owning worker */
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
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
	struct uplink_qstats st; /* rx_*: owner; tx_*: under tx_lock */
} __attribute__((aligned(64)));

struct uplink {
	char ifname[16];
	uint16_t port; /* switch port id */
	struct xprog prog;
	bool zerocopy; /* AF_XDP mode obtained */
	uint32_t frame_size;
	uint32_t ring_size;
	uint32_t xsk_base; /* first XSKMAP slot of this interface */
	uint32_t n_rx_queues; /* of the interface, when opened */
	int nq;
	struct uplink_queue *q; /* configured queues */
	bool host_flood;
	struct tap tap; /* host_flood: the switch's copy of broadcasts */
};

/*
 * Attach or adopt XDP on cp->ifname, create sockets on the configured queues
 * and register them (XSKMAP slots from xsk_base, the uplink entry with its
 * flags, the port kind). `maps` is the switch's pinned maps, opened by the
 * first uplink. On failure nothing is left behind.
 */
int uplink_open(struct uplink *u, const struct cfg_port *cp, const char *switch_name,
		uint16_t port, uint32_t xsk_base, struct xdpmaps *maps);
void uplink_close(struct uplink *u, struct xdpmaps *maps);
/* How many XSKMAP slots an interface needs (its RX queue count). */
int uplink_slots(const char *ifname);

/* Worker side. Returns frames received; fills frames[] with pointers and
 * lengths into the UMEM, valid until uplink_rx_release(). */
struct uplink_frame {
	uint8_t *data;
	uint32_t len;
	uint64_t addr;
};
int uplink_rx_peek(struct uplink_queue *q, struct uplink_frame *f, int max);
void uplink_rx_release(struct uplink_queue *q, const struct uplink_frame *f, int n);

/* Send up to n frames on q (takes q->tx_lock). fill() writes frame i into a
 * UMEM buffer of `room` (u->frame_size) bytes and returns its length; the
 * caller only offers frames that fit. Frames without a free UMEM buffer are
 * dropped and counted. Returns frames sent. */
typedef uint32_t (*uplink_fill_fn)(void *ctx, int i, uint8_t *buf, uint32_t room);
int uplink_tx_burst(struct uplink *u, struct uplink_queue *q, int n, uplink_fill_fn fill,
		    void *ctx);

#endif /* XVS_UPLINK_H */
