/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * zc: zero-copy between an uplink and one VM. The VM owns one queue of the
 * uplink; the AF_XDP socket on that queue has the VM's memory as its UMEM
 * (vu_mem span: host scratch, then guest RAM), so
 *
 *   RX: guest RX buffers go on the fill ring; the kernel writes each frame
 *       right after the virtio-net header in the guest's buffer; the worker
 *       writes only the header and the used entry.
 *   TX: a guest frame for the uplink goes on the TX ring as two or more
 *       descriptors: its Ethernet header (and VLAN tag) from scratch — the
 *       copy that was checked — and the payload where the guest put it;
 *       its buffer goes back to the guest when the kernel completes it.
 *       Small frames, and frames while the NIC holds its share of the
 *       guest's TX buffers, are copied whole into scratch instead.
 *
 * The buffer contract (who may write how much where): with the port's MTU,
 * R = MTU + 18 (Ethernet header and one VLAN tag) is the room a guest buffer
 * must have after the virtio-net header to go on the fill ring. The UMEM
 * chunk C is 2048 (or 4096 when R + 256 does not fit 2048) and its
 * headroom H = C − 256 − R, so the kernel writes at most C − 256 − H = R
 * bytes into any fill buffer (in driver zero-copy mode the NIC too: it
 * writes before XDP runs); the fill address A = buffer + header − 256 − H
 * puts the frame at buffer + header, and A + C = buffer + header + R stays
 * inside the buffer. XDP redirects to the socket only the VM's unicast of
 * at most MTU + 14 bytes once the outer tag is off (xvs_zcq.max_len), so no
 * frame it lets through is cut either. The 256 + H bytes before a buffer
 * are never written (TESTBED.md); the scratch in front of guest RAM keeps
 * every A ≥ 0.
 *
 * Driver zero-copy (XDP_ZEROCOPY) is not used for guest memory, even where
 * the NIC has it: the socket is bound in copy mode, where the kernel copies
 * a frame into the guest's buffer only after XDP chose it. In driver mode
 * the NIC writes every frame of the queue into a posted guest buffer
 * before XDP runs (broadcasts and other flows RSS or a missing rule put
 * there would be readable by the guest), and it gives the buffers back
 * from a deferred kernel work item after the socket is closed (writes
 * after the teardown). Using it needs the queue out of RSS (done:
 * steer_rss_exclude), a wait for the pool's release, page-contiguous
 * buffers (hugepage-backed guests) and the frame offset after a popped
 * VLAN tag handled — future work.
 *
 * Fallback: where guest memory cannot be the UMEM (not mapped as one range,
 * an MTU over a chunk, the kernel refuses it), the socket on the VM's queue
 * is built over host memory instead: frames are copied into and out of the
 * guest as on the copy path, the queue keeps working, show says why.
 *
 * Lifecycle: the kernel owns every fill buffer until the socket is
 * unbound. Before the device stops a ring, takes a new memory table,
 * resets or disconnects, it calls dp_zc_down() (vu_dev_ops.mem_release):
 * the socket leaves the XSKMAP, the workers let go (dp_sync), the socket is
 * closed — no kernel write after that — and every buffer it held goes back
 * to the guest unused (RX, length 0) or sent (TX). The control thread
 * rebuilds it (dp_zc_service) once the rings are ready on the new memory.
 *
 * Threads: the worker owning the VM's queue pair 0 runs RX completion and
 * refill (under the RX vring's lock) and TX submission and completion
 * (under the TX vring's lock); the control thread builds and tears down
 * while no worker uses it (zc->active, dp_sync).
 */
#ifndef XVS_DP_ZC_H
#define XVS_DP_ZC_H

#include <stdbool.h>
#include <stdint.h>

#include "xsk/xzc.h"

struct dp;
struct dp_port;
struct dp_worker;

#define DP_ZC_RING 512 /* each ring of the socket */
#define DP_ZC_SLOT 2048 /* a scratch slot: a TX header or a small frame */
#define DP_ZC_SCRATCH (DP_ZC_RING * DP_ZC_SLOT) /* host memory before guest RAM */
/* Frames shorter than this are copied whole on TX: a separate descriptor
 * for so little payload costs more than the copy (tools/bench/). */
#define DP_ZC_TX_CUTOFF 256
#define DP_ZC_NO_HEAD 0xffff

/* How a VM's frames for the uplink leave through its socket. */
enum dp_zc_tx {
	/* From guest memory where the socket is in driver zero-copy mode;
	 * copied whole into scratch in copy mode, where the kernel copies the
	 * payload anyway and a frame in two descriptors costs it more than one
	 * (a page per frame, and on veth a second copy): measured with
	 * `make bench`, tools/bench/README.md */
	DP_ZC_TX_AUTO,
	DP_ZC_TX_GUEST, /* from guest memory (header from scratch) always */
	DP_ZC_TX_COPY, /* copied whole into scratch always */
};

struct dp_zc_stats {
	uint64_t rx_zc; /* frames the kernel wrote straight into guest buffers */
	uint64_t rx_bytes;
	uint64_t rx_posted; /* guest buffers put on the fill ring */
	uint64_t rx_unfit; /* refill stopped at a buffer zero-copy cannot take
			      (chained, or less than the MTU's room): left to the
			      copy path */
	uint64_t rx_returned; /* posted buffers given back unused at a teardown */
	uint64_t rx_bad_desc; /* RX descriptors naming no posted buffer, or a frame
				 over several buffers: ignored, buffer returned */
	uint64_t tx_zc; /* frames sent from guest memory (header from scratch) */
	uint64_t tx_bytes;
	uint64_t tx_copy_small; /* shorter than DP_ZC_TX_CUTOFF: copied whole */
	uint64_t tx_copy_busy; /* the NIC held its share of guest TX buffers */
	uint64_t tx_copy_segs; /* more segments than a frame may have */
	uint64_t tx_copy_nosg; /* no multi-buffer AF_XDP: frames copied whole */
	uint64_t tx_copy_mode; /* tx: auto on a copy-mode socket, or tx: copy */
	uint64_t tx_full; /* TX ring or scratch full: left to the copy path */
	uint64_t rx_copy_host; /* fallback: frames copied from host memory */
	uint64_t tx_copy_host; /* fallback: frames copied into host memory */
	uint64_t builds; /* sockets built */
	uint64_t teardowns;
	uint64_t fallbacks; /* moved to host memory: guest buffers unfit */
};

struct dp_zc_rx_slot {
	uint64_t addr; /* the fill address */
	uint16_t head; /* the guest's chain */
	bool done;
};

struct dp_zc_tx_slot {
	uint16_t head; /* DP_ZC_NO_HEAD: copied whole, the guest has it back */
	uint16_t ndesc;
	uint32_t slot; /* scratch slot */
};

struct dp_zc {
	/* configuration, control thread */
	uint16_t uplink; /* dp port id of the uplink */
	uint16_t qid; /* its queue */
	bool configured;
	enum dp_zc_tx tx_mode;
	/* state */
	int active; /* workers may use the socket (acquire/release) */
	int want; /* a vring became ready: try to build (dp_zc_service) */
	bool up; /* the socket exists */
	uint64_t busy_until; /* ns: EBUSY on the queue is our last socket leaving */
	bool host; /* ...over host memory: guest memory could not be (why) */
	const char *why; /* why not up, or why over host memory (show); or NULL */
	int why_err; /* errno with it, or 0 */
	struct xzc s;
	uint8_t *host_area; /* the fallback's UMEM */
	size_t host_len;
	size_t scratch_len; /* TX slots at the start of the area */
	uint32_t slot; /* XSKMAP slot */
	uint32_t room; /* R: bytes after the header a fill buffer must hold */
	uint8_t hdr_len; /* virtio-net header of the RX ring at build */
	int worker; /* the owner (queue pair 0's) */
	/* RX, the owner under the RX vring lock: buffers on the fill ring, in
	 * the order they went on */
	struct dp_zc_rx_slot rx[DP_ZC_RING];
	uint32_t rx_head, rx_tail; /* free-running */
	bool rx_in_frag; /* inside a frame over several buffers */
	uint16_t unfit_at; /* avail index of the last unfit buffer counted */
	bool unfit_seen;
	uint64_t unfit_since; /* refill blocked by an unfit buffer since (ns) */
	int want_host; /* ...too long: move to host memory (dp_zc_service) */
	bool force_host; /* over host memory until the next ring start or
			    memory table (the guest's buffers do not fit) */
	uint64_t rx_starved_at; /* ns since the kernel holds no guest buffer, or 0 */
	/* TX, the owner under the TX vring lock: frames on the TX ring in
	 * submission order (completions come in that order; their addresses
	 * are not used: the kernel may clear bit 0) */
	struct dp_zc_tx_slot tx[DP_ZC_RING];
	uint32_t tx_head, tx_tail;
	uint32_t tx_done_desc; /* descriptors of tx[tx_head] already completed */
	uint32_t tx_guest; /* frames holding a guest buffer */
	uint32_t tx_guest_max; /* at most this many (half the guest's ring) */
	uint32_t free_slot[DP_ZC_RING];
	uint32_t nfree;
	struct dp_zc_stats st; /* owner; read racily by show */
};

/* Control thread: give a VM port zero-copy through queue qid of uplink
 * port `uplink` (built when both are ready), or take it away. */
int dp_zc_configure(struct dp *dp, struct dp_port *p, uint16_t uplink, uint16_t qid,
		    enum dp_zc_tx tx);
void dp_zc_unconfigure(struct dp *dp, struct dp_port *p);
/* Control thread: build the sockets that can be built (after news from a
 * worker or a vring); a failure is logged once and shown (zc->why). */
void dp_zc_service(struct dp *dp);
/* Control thread: tear down p's socket (see Lifecycle above). */
void dp_zc_down(struct dp *dp, struct dp_port *p, const char *why);

/* Worker (owner): RX completions and refill, TX completions; returns
 * frames handled. */
int dp_zc_poll(struct dp_worker *w, struct dp_port *p);
/* Worker, inside dp_tx_burst of vring 1 (TX lock held): send frames
 * idx[0..k) of the burst to the uplink through the VM's socket. Frames it
 * could not take are left in idx[] (returns how many), the others are
 * handled; held[i] is set for those whose guest buffer the kernel holds. */
int dp_zc_tx(struct dp_worker *w, struct dp_port *src, int *idx, int k, uint32_t skip);

#endif /* XVS_DP_ZC_H */
