/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xzc: an AF_XDP socket over a borrowed buffer area — the zero-copy path's
 * socket. The owner (the data plane) hands over a page-aligned, hole-free
 * address range (in xvs: a host scratch area followed by a guest's RAM) and
 * keeps ownership of its contents: this module registers the range as the
 * UMEM, with unaligned chunks, binds the socket to one queue of one
 * interface, and gives access to the four rings. It knows nothing of what
 * lives in the range; the owner decides which addresses go on the fill and
 * TX rings and what their completions mean.
 *
 * The buffer contract on RX: a fill address A makes the kernel write the
 * frame at A + XZC_RX_OFFSET(headroom) and never more than frame_len =
 * chunk − 256 − headroom bytes into that buffer (a longer frame is dropped
 * by the kernel or, bound for multi-buffer, spread over several fill
 * buffers, each written up to frame_len). So the owner chooses chunk and
 * headroom so that frame_len fits every buffer it posts, and keeps longer
 * frames away from the socket in XDP.
 *
 * While the socket lives, the whole range is pinned (the kernel holds the
 * pages), and the kernel owns every buffer on the fill ring: it may write
 * into them until xzc_close() returns (the socket is unbound by then).
 *
 * Threads: one thread uses the rings at a time (the owner serialises);
 * open and close run on the control thread while no other thread uses it.
 */
#ifndef XVS_XZC_H
#define XVS_XZC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xdp/xsk.h>

/* The kernel's headroom in front of every received frame. */
#define XZC_KERNEL_HEADROOM 256
#define XZC_RX_OFFSET(headroom) (XZC_KERNEL_HEADROOM + (headroom))
/* Chunk sizes the kernel accepts (unaligned mode: anything in between). */
#define XZC_MIN_CHUNK 2048
#define XZC_MAX_CHUNK 4096

struct xzc_opts {
	const char *ifname;
	uint16_t qid;
	uint8_t *area; /* page-aligned start */
	size_t len;
	uint32_t chunk; /* XZC_MIN_CHUNK..XZC_MAX_CHUNK */
	uint32_t headroom; /* UMEM frame headroom: shortens frame_len */
	uint32_t ring_size; /* every ring; a power of two */
	bool copy_only; /* do not try XDP_ZEROCOPY (the driver has none) */
	bool want_sg; /* multi-buffer TX (header and payload apart) */
};

struct xzc {
	struct xsk_ring_prod fq;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_cons cq;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	int fd; /* -1: closed */
	uint8_t *area;
	size_t len;
	uint32_t chunk, headroom, frame_len, ring_size;
	uint16_t qid;
	bool zerocopy; /* the driver writes into the area itself */
	bool sg; /* bound with XDP_USE_SG */
	uint64_t wakeups;
};

/*
 * Register the area, create the socket and bind it (zero-copy first unless
 * copy_only, each with multi-buffer first if want_sg). Returns 0, or a
 * negative errno with *why saying what failed; nothing is left behind.
 */
int xzc_open(struct xzc *z, const struct xzc_opts *o, const char **why);
/* Unbind and free. In copy mode, when it returns no receive path can
 * write into the area any more (the unbind waits for them). In driver
 * zero-copy mode the driver gives its buffers back later, from a kernel
 * work item: the NIC may still write into them meanwhile. The pages are
 * unpinned when the kernel drops its last reference (also deferred). */
void xzc_close(struct xzc *z);

/* Area offset of a pointer into it, or UINT64_MAX if [p, p + len) is not
 * wholly inside. */
static inline uint64_t xzc_offset(const struct xzc *z, const void *p, uint64_t len)
{
	uint64_t off = (uint64_t)((const uint8_t *)p - z->area);

	if ((const uint8_t *)p < z->area || off > z->len || len > z->len - off)
		return UINT64_MAX;
	return off;
}

/* Kick the kernel: TX needs it in copy mode (and with need_wakeup), RX
 * when the fill ring asks for it. Never blocks. */
void xzc_kick_tx(struct xzc *z);
void xzc_kick_rx(struct xzc *z);

/* The kernel's counters of the socket. */
int xzc_kernel_stats(const struct xzc *z, struct xdp_statistics *st);

#endif /* XVS_XZC_H */
