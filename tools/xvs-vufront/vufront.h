/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xvs-vufront: a vhost-user front-end (QEMU plus the guest's virtio-net
 * driver in one process) for testing and benchmarking vhost-user back-ends.
 *
 *	main.c     options, help, the run from connect to the counters line
 *	mem.c      the guest memory: one memfd, split into regions, GPAs
 *	proto.c    vhost-user messages and the QEMU-like negotiation
 *	ring.c     virtqueue, driver side: split rings; the calls traffic.c
 *	           makes, for either layout
 *	ring_packed.c  packed virtqueue (--packed), driver side
 *	traffic.c  TX/RX/echo data path, payload checks, the main loop
 *	offload.c  --proto tcp streams and the virtio-net offloads: TSO and
 *	           checksum headers sent, received and checked
 *	evil.c     deliberate protocol and ring violations
 *	canary.c   --canary: guest memory the back-end must not write, checked
 *	cycle.c    --zc-cycle: ring stop, new memory table, reset, reconnect
 *	           while receiving, with the canary checked in between
 *	inflight.c --inflight: the back-end's in-flight region, kept; the
 *	           reconnect after the back-end died
 *
 * One thread drives every queue. Everything in struct vf_dev is owned by
 * that thread; the only memory shared with the back-end is the guest
 * memory (rings and buffers), accessed through the ring helpers below.
 */
#ifndef XVS_VUFRONT_H
#define XVS_VUFRONT_H

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vhost/vu_proto.h"
#include "xvs/compiler.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "xvs-vufront writes virtio 1.x (little-endian) rings in host order"
#endif

#define VF_NAME "xvs-vufront"
#define VF_MAX_QP VU_MAX_QUEUE_PAIRS
#define VF_BURST_MAX 256
#define VF_CACHE_LINE 64
#define VF_ETH_HLEN 14
#define VF_UDP_PAYLOAD_OFF 42 /* Ethernet + IPv4 (no options) + UDP */
#define VF_FRAME_MIN 60
#define VF_FRAME_MAX 16384 /* = FRAME_MAX of tools/lib/frame.h */
/* A TSO frame at most: Ethernet, an IPv6 header, 65535 bytes after it
 * (IPv4: its total length, 65535, includes the header). */
#define VF_TSO_FRAME_MAX (VF_ETH_HLEN + 40 + 65535)
#define VF_RX_SCRATCH 69632 /* reassembly of a multi-buffer frame, >= VF_TSO_FRAME_MAX */
#define VF_DEF_RX_BUF (1536 + 12) /* --rx-buf default: a frame of 1536 and the header */
#define VF_RX_BUF_TSO 4096 /* with guest TSO and MRG_RXBUF: a page, as Linux's grow to */
#define VF_IP_SRC "10.0.0.1"
#define VF_IP_DST "10.0.0.2"
#define VF_IP6_SRC "fd00::1" /* --ipv6 */
#define VF_IP6_DST "fd00::2"
#define VF_SPORT_BASE 1000 /* UDP/TCP source port of queue q: base + q */
#define VF_DPORT 2000
#define VF_TCP_ISN 0xfff00000u /* every stream's first seq: it wraps after 1 MiB */
#define VF_TCP_CWR 0x80
#define VF_TCP_ACK 0x10
#define VF_TCP_PSH 0x08
#define VF_HDR_MAX (VF_ETH_HLEN + 40 + 20) /* Ethernet, IPv6, TCP */
#define VF_FRAG_GAP 64 /* --tx-frag: bytes between two pieces of a frame */

/* --offloads NAME: virtio-net feature bits acked if offered. X(name, bit) */
#define VF_OFFLOADS(X)                                                                             \
	X("csum", VIRTIO_NET_F_CSUM)                                                               \
	X("guest_csum", VIRTIO_NET_F_GUEST_CSUM)                                                   \
	X("host_tso4", VIRTIO_NET_F_HOST_TSO4)                                                     \
	X("host_tso6", VIRTIO_NET_F_HOST_TSO6)                                                     \
	X("guest_tso4", VIRTIO_NET_F_GUEST_TSO4)                                                   \
	X("guest_tso6", VIRTIO_NET_F_GUEST_TSO6)                                                   \
	X("host_ecn", VIRTIO_NET_F_HOST_ECN)                                                       \
	X("guest_ecn", VIRTIO_NET_F_GUEST_ECN)

#define VF_EVIL_SETUP 1 /* replaces a message of the normal setup */
#define VF_EVIL_MSG 2 /* a bad message after the normal setup */
#define VF_EVIL_DATA 3 /* bad rings or descriptors after the setup */
#define VF_EVIL_RX 4 /* bad RX buffers posted at setup, found by frames sent to us */
#define VF_EVIL_LIVE 5 /* misbehaves while receiving what others send us */
#define VF_EVIL_MAX_LIST 16 /* --evil A,B,C: modes cycled by --evil-repeat */

/* --canary: bytes in front of every RX buffer that nobody may write; more
 * than a zero-copy fill buffer's headroom (256 + UMEM headroom, < 1024) */
#define VF_CANARY_GUARD 1024

/* --zc-cycle modes: X(enum suffix, name, help) */
#define VF_CYCLE_MODES(X)                                                                          \
	X(RING_STOP, "ring-stop", "GET_VRING_BASE on vrings 0 and 1, later started again")        \
	X(MEM_TABLE, "mem-table", "SET_MEM_TABLE (the same memory) while the rings run")         \
	X(RESET, "reset", "RESET_OWNER, then negotiation and setup on fresh rings")              \
	X(DISCONNECT, "disconnect", "the connection closed, made again, set up afresh")

enum vf_cycle {
#define VF_X(e, name, help) VF_CYCLE_##e,
	VF_CYCLE_MODES(VF_X)
#undef VF_X
	VF_CYCLE_MAX
};

/* X(enum suffix, name, kind, help) */
#define VF_EVIL_MODES(X)                                                                           \
	X(DESC_OOB, "desc-oob", VF_EVIL_DATA, "TX descriptor address outside guest memory")       \
	X(DESC_LEN_OOB, "desc-len-oob", VF_EVIL_DATA,                                              \
	  "TX descriptor crossing the end of guest memory")                                \
	X(DESC_LOOP, "desc-loop", VF_EVIL_DATA, "TX chain whose next points to itself")            \
	X(CHAIN_TOO_LONG, "chain-too-long", VF_EVIL_DATA,                                          \
	  "chain of ring-size+1 (indirect; else a full cycle)")                                   \
	X(INDIRECT_OOB, "indirect-oob", VF_EVIL_DATA, "indirect table outside guest memory")       \
	X(INDIRECT_BAD_LEN, "indirect-bad-len", VF_EVIL_DATA,                                      \
	  "indirect table length 20 (not a multiple of 16)")                                      \
	X(INDIRECT_LEN_ZERO, "indirect-len-zero", VF_EVIL_DATA, "indirect table length 0")         \
	X(INDIRECT_NESTED, "indirect-nested", VF_EVIL_DATA,                                        \
	  "VRING_DESC_F_INDIRECT inside an indirect table")                                       \
	X(AVAIL_IDX_JUMP, "avail-idx-jump", VF_EVIL_DATA,                                          \
	  "TX avail->idx moved ring-size+10 ahead")                                               \
	X(AVAIL_RING_OOB, "avail-ring-oob", VF_EVIL_DATA,                                          \
	  "TX avail ring entry (packed: buffer id) = ring-size+3")                                 \
	X(TX_DESC_WRITEONLY, "tx-desc-writeonly", VF_EVIL_DATA,                                    \
	  "TX descriptor with VRING_DESC_F_WRITE")                                                \
	X(RX_DESC_READONLY, "rx-desc-readonly", VF_EVIL_DATA,                                      \
	  "RX buffers without F_WRITE, then 32 frames sent")                    \
	X(RING_ADDR_OOB, "ring-addr-oob", VF_EVIL_SETUP,                                           \
	  "SET_VRING_ADDR (vring 0) outside every region")                             \
	X(RING_SIZE_NOT_POW2, "ring-size-not-pow2", VF_EVIL_SETUP, "SET_VRING_NUM 1000 (vring 0)") \
	X(RING_SIZE_HUGE, "ring-size-huge", VF_EVIL_SETUP, "SET_VRING_NUM 65536 (vring 0)")        \
	X(TOO_MANY_REGIONS, "too-many-regions", VF_EVIL_SETUP,                                     \
	  "SET_MEM_TABLE, nregions 9 (9 entries, 8 fds)")                                     \
	X(REGION_FD_COUNT, "region-fd-count", VF_EVIL_SETUP,                                       \
	  "SET_MEM_TABLE with nregions 2 and 1 fd")                                               \
	X(BAD_MSG_SIZE, "bad-msg-size", VF_EVIL_MSG, "SET_VRING_NUM with size 4 (4 bytes sent)")   \
	X(OVERSIZED_MSG, "oversized-msg", VF_EVIL_MSG,                                             \
	  "SET_VRING_NUM with size 4096 (4096 bytes sent)")                                       \
	X(STRAY_FDS, "stray-fds", VF_EVIL_MSG, "GET_FEATURES with an eventfd attached")            \
	X(BAD_QUEUE_INDEX, "bad-queue-index", VF_EVIL_MSG, "SET_VRING_NUM for vring 200")          \
	X(UNKNOWN_REQUEST, "unknown-request", VF_EVIL_MSG, "request 99 with NEED_REPLY")          \
	X(INDIRECT_SELF, "indirect-self", VF_EVIL_DATA,                                            \
	  "indirect table = the ring's own table (entry 0 again)")                                \
	X(INDIRECT_LOOP2, "indirect-loop2", VF_EVIL_DATA,                                          \
	  "desc 0 -> desc 1 = indirect to the ring's table -> desc 0 ...")                        \
	X(CHAIN_ZERO_LEN, "chain-zero-len", VF_EVIL_DATA,                                          \
	  "TX chain of ring-size descriptors, 0 bytes but the last")                              \
	X(INDIRECT_ZERO_LEN, "indirect-zero-len", VF_EVIL_DATA,                                    \
	  "every TX entry: indirect table of ring-size 0-byte entries")                           \
	X(INDIRECT_MISALIGNED, "indirect-misaligned", VF_EVIL_DATA,                                \
	  "indirect table at an odd guest address")                                               \
	X(INDIRECT_STRADDLE, "indirect-straddle", VF_EVIL_DATA,                                    \
	  "indirect table across two regions (--regions >= 2)")                                   \
	X(RX_ZERO_LEN, "rx-zero-len", VF_EVIL_RX, "RX chains of 300 zero-length descriptors")      \
	X(RX_ZERO_LEN_SHORT, "rx-zero-len-short", VF_EVIL_RX,                                      \
	  "RX chains of 8 zero-length descriptors")                                               \
	X(CALL_NOT_EVENTFD, "call-not-eventfd", VF_EVIL_SETUP,                                     \
	  "SET_VRING_CALL (vring 0) with --evil-fd, then receive")                                \
	X(KICK_NOT_EVENTFD, "kick-not-eventfd", VF_EVIL_SETUP,                                     \
	  "SET_VRING_KICK (vring 1) with --evil-fd")                                              \
	X(CALL_PRELOADED, "call-preloaded", VF_EVIL_SETUP,                                         \
	  "SET_VRING_CALL (vring 0): blocking eventfd at 2^64-2, then receive")                   \
	X(MEM_HUGE_SPARSE, "mem-huge-sparse", VF_EVIL_SETUP,                                       \
	  "SET_MEM_TABLE with one more region: 1 TiB of sparse memfd")                            \
	X(VRING_ADDR_RUNNING, "vring-addr-running", VF_EVIL_MSG,                                   \
	  "SET_VRING_ADDR (same addresses) on running vring 0")                                   \
	X(VRING_BASE_RUNNING, "vring-base-running", VF_EVIL_MSG,                                   \
	  "SET_VRING_BASE 0 on running vring 0")                                                  \
	X(MEM_SHRINK, "mem-shrink", VF_EVIL_LIVE,                                                  \
	  "unsealed memory truncated to 0 while receiving")                                       \
	X(MEM_SHRINK_SEALED, "mem-shrink-sealed", VF_EVIL_LIVE,                                    \
	  "the same with sealed memory: the truncate fails, receive on")                          \
	X(MEM_TABLE_UNDER_TRAFFIC, "mem-table-under-traffic", VF_EVIL_LIVE,                        \
	  "SET_MEM_TABLE (same memory) 200 times while receiving")                                \
	X(MEM_TABLE_MOVED, "mem-table-moved", VF_EVIL_LIVE,                                        \
	  "SET_MEM_TABLE (other memory, rings not in it) while receiving")                        \
	X(MSG_FLOOD, "msg-flood", VF_EVIL_LIVE,                                                    \
	  "SET_VRING_ENABLE without NEED_REPLY, flat out, --evil-wait ms")                         \
	X(INDIRECT_NEXT, "indirect-next", VF_EVIL_DATA,                                            \
	  "indirect descriptor with VRING_DESC_F_NEXT set")                                        \
	X(DESC_ADDR_WRAP, "desc-addr-wrap", VF_EVIL_DATA,                                          \
	  "TX descriptor whose address + length wraps past 2^64")                                  \
	X(AVAIL_TWICE, "avail-twice", VF_EVIL_DATA,                                                \
	  "one TX buffer made available twice (packed: one id twice)")                             \
	X(WRAP_LIE, "wrap-lie", VF_EVIL_DATA,                                                      \
	  "packed: TX desc 0 marked for the other lap, the rest right")                            \
	X(RING_ADDR_MISALIGNED, "ring-addr-misaligned", VF_EVIL_SETUP,                             \
	  "SET_VRING_ADDR (vring 0) with the descriptor table 8 bytes off")                        \
	X(VRING_BASE_OOB, "vring-base-oob", VF_EVIL_SETUP,                                         \
	  "SET_VRING_BASE (vring 0) beyond the ring (packed: position ring-size)")

enum vf_evil {
	VF_EVIL_NONE = 0,
#define VF_X(e, name, kind, help) VF_EVIL_##e,
	VF_EVIL_MODES(VF_X)
#undef VF_X
};

enum vf_layout {
	VF_TX_SINGLE, /* header + frame in one descriptor */
	VF_TX_SPLIT, /* header descriptor -> frame descriptor */
	VF_TX_INDIRECT, /* one descriptor pointing to a 2-entry table */
};

/* What a received frame's virtio-net header says of its checksum. */
enum vf_rx_kind {
	VF_RX_PLAIN, /* nothing: complete, unchecked */
	VF_RX_VALID, /* DATA_VALID: complete, checked by the device */
	VF_RX_PARTIAL, /* NEEDS_CSUM: seeded */
	VF_RX_GSO, /* a TSO frame whole, seeded */
};

enum vf_proto {
	VF_PROTO_UDP, /* frames numbered by a seq in the payload */
	VF_PROTO_TCP, /* one TCP stream per queue, bytes checked by stream offset */
};

/* --evil-fd: what call-not-eventfd and kick-not-eventfd send */
enum vf_evil_fd {
	VF_EVIL_FD_PIPE, /* a pipe's write end (blocking; the read end is never read) */
	VF_EVIL_FD_FILE, /* an unnamed regular file in /tmp */
	VF_EVIL_FD_SOCKET, /* one end of a socketpair; the other is never read */
};

struct vf_opts {
	const char *path;
	bool listen;
	unsigned int queues;
	unsigned int ring_size;
	size_t mem_size;
	unsigned int regions;
	bool no_event_idx, no_indirect, no_mrg_rxbuf;
	bool packed; /* --packed: VIRTIO_F_RING_PACKED offered and required */
	bool in_order; /* --in-order: VIRTIO_F_IN_ORDER asked for; if the back-end
			  offers it, every used entry is checked to come back in
			  the order its buffer was made available */
	bool inflight; /* --inflight: INFLIGHT_SHMFD, reconnect after a back-end crash */
	unsigned int burst;
	uint64_t send;
	uint32_t size;
	uint8_t mac[6], dst[6];
	uint64_t rate; /* frames/s over all queues; 0: as fast as possible */
	enum vf_layout layout;
	uint32_t rx_buf; /* bytes per RX buffer, virtio-net header included */
	uint64_t expect;
	double timeout; /* s; 0: none */
	unsigned int delay_ms;
	unsigned int tx_wait_ms;
	unsigned int spin_us; /* poll this long after the last work, then sleep */
	bool echo, busy;
	enum vf_evil evil; /* the mode of this run */
	int evil_list[VF_EVIL_MAX_LIST]; /* --evil A,B,... (enum vf_evil): cycled */
	unsigned int n_evil;
	unsigned int evil_repeat; /* connections, each with the next mode */
	enum vf_evil_fd evil_fd;
	unsigned int evil_wait_ms;
	int expect_disconnect; /* -1: not given, 0: must stay, 1: must close */
	/* attacks on the switch's L2 rules (not for --echo): a VLAN tag in
	 * every frame sent (tx_vlan 1..4094, 0: none), and source MACs that
	 * change with every frame over src_vary addresses (0: --mac) */
	uint16_t tx_vlan, tx_tpid;
	uint32_t src_vary;
	bool mem_seal; /* seal the memfd against shrinking and growing (QEMU does) */
	bool canary; /* --canary (canary.c) */
	int cycle_list[VF_EVIL_MAX_LIST]; /* --zc-cycle A,B,... (enum vf_cycle): in turn */
	unsigned int n_cycle; /* 0: no cycles */
	unsigned int cycles; /* --zc-cycles: how many in all */
	unsigned int cycle_every_ms; /* receive this long before each and after the last */
	unsigned int cycle_hold_ms; /* the switch holds nothing this long */
	/* offload.c */
	enum vf_proto proto;
	bool ipv6; /* fd00::1 -> fd00::2 instead of 10.0.0.1 -> 10.0.0.2 */
	uint64_t offloads; /* --offloads: VIRTIO_NET_F_* bits to ack where offered */
	uint16_t gso; /* --gso MSS: every frame sent as one TSO frame; 0: none */
	bool tx_csum_partial; /* --tx-csum partial: checksums seeded, NEEDS_CSUM */
	bool tx_ecn; /* --tx-ecn: CWR in every TSO frame, GSO_ECN */
	bool allow_loss; /* --allow-loss: stream gaps do not fail the run */
	uint64_t expect_bytes; /* --expect-bytes: stream bytes received in order */
	uint32_t tx_frag; /* --tx-frag: a TCP frame in pieces of this many bytes; 0: one */
};

/* Guest memory: a memfd mapped once; regions are consecutive slices of it
 * (host addresses in order), each given its own guest-physical address. */
struct vf_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *va;
	uint64_t offset; /* into the memfd */
};

#define VF_MEM_SEAL 0x1 /* F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL */
#define VF_MEM_CONTIGUOUS 0x2 /* region i at guest address i * slice */

struct vf_mem {
	int fd;
	uint8_t *base;
	size_t size;
	unsigned int nregions;
	struct vf_region r[VU_MAX_MEM_REGIONS];
	size_t used; /* bump allocator: bytes handed out from base */
};

int vf_mem_init(struct vf_mem *m, size_t size, unsigned int nregions, unsigned int flags);
void vf_mem_free(struct vf_mem *m);
/* Zeroed memory inside one region, aligned; NULL when it does not fit. */
void *vf_mem_alloc(struct vf_mem *m, size_t size, size_t align);
/* Guest-physical address of a pointer into the memory. */
uint64_t vf_mem_gpa(const struct vf_mem *m, const void *p);
/* The highest guest-physical address + 1. */
uint64_t vf_mem_gpa_end(const struct vf_mem *m);

/*
 * One virtqueue, driver side, split or packed (--packed). traffic.c and
 * evil.c see one interface for both: chains are written into `desc`, a
 * table of split descriptors (next links, flags), and vf_vq_add() makes
 * the chain at a head available. For a split ring `desc` is the ring's
 * own table; for a packed ring it is ours alone (not guest memory), and
 * vf_vq_add() copies the chain into the next positions of the descriptor
 * ring (ring_packed.c). Used entries are read through vf_vq_used_pending()
 * and vf_vq_used_elem(n), and consumed by moving last_used on: a packed
 * ring's used descriptors are first copied into `ucache`.
 *
 * Indexes are free-running 16-bit counters for both layouts. A packed
 * ring's counts ring positions: position c & mask, wrap counter 1 on even
 * laps (c / num even) — 65536 is a multiple of twice any ring size, so
 * the counter and the (position, wrap) pair go round together.
 */
struct vf_vq {
	struct vring_desc *desc; /* split: the ring's table; packed: our chains */
	/* split ring (ring.c) */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *used_event; /* avail->ring[num]: written by us */
	uint16_t *avail_event; /* used->ring[num]: written by the back-end */
	/* packed ring (ring_packed.c): the descriptor ring and the two event
	 * suppression areas (ours, the driver's; the back-end's); used
	 * entries read from the ring, not yet consumed (last_used..used_end);
	 * per buffer id the positions its chain took (0: not in flight) */
	struct vring_packed_desc *pdesc;
	struct vring_packed_desc_event *driver_ev, *device_ev;
	struct vring_used_elem *ucache;
	uint16_t *ndesc;
	uint16_t used_end; /* entries in ucache so far */
	uint16_t used_pos; /* positions the back-end has used (read by us) */
	bool packed;
	unsigned int num; /* power of two */
	unsigned int index; /* vring number */
	uint16_t mask;
	uint16_t avail_idx; /* next avail->idx we will publish (packed: position counter) */
	uint16_t kick_old; /* avail_idx at the previous kick decision */
	uint16_t last_used; /* next used entry to consume */
	bool event_idx;
	bool armed; /* used-buffer notifications enabled */
	int kickfd, callfd;
	uint64_t *kicks; /* shared counter in vf_stats */
	/* IN_ORDER negotiated: per buffer id the order it was made available
	 * in (NULL: not checked), the next one due back (once seq_sync), and
	 * where a used entry out of that order is counted */
	uint32_t *seq;
	uint32_t post_seq, want_seq;
	bool seq_sync;
	uint64_t *order_err;
};

int vf_vq_init(struct vf_vq *vq, struct vf_mem *m, unsigned int index, unsigned int num,
	       bool packed, bool event_idx, uint64_t *kicks);
void vf_vq_close(struct vf_vq *vq);
/* Make every added entry visible, kick if the back-end asked for it. */
void vf_vq_publish(struct vf_vq *vq);
void vf_vq_kick(struct vf_vq *vq);
/* Enable used-buffer notifications; true if used entries are already
 * pending (then the caller must not sleep). */
bool vf_vq_arm(struct vf_vq *vq);
void vf_vq_disarm(struct vf_vq *vq);
/* Empty rings, indexes at 0 (a device reset); the memory stays. */
void vf_vq_reset(struct vf_vq *vq);
/* SET_VRING_ADDR's three addresses (ours) into a: split desc, avail,
 * used; packed the descriptor ring, the driver area, the device area. */
void vf_vq_addrs(const struct vf_vq *vq, struct vu_vring_addr *a);
/* A ring index counter as SET_VRING_BASE / GET_VRING_BASE put it: split
 * the index itself, packed the position | wrap counter << 15. */
uint16_t vf_vq_base(const struct vf_vq *vq, uint16_t ctr);
/* Where the back-end's used entries have got to, in vf_vq_base() form
 * (split: used->idx). */
uint16_t vf_vq_used_index(struct vf_vq *vq);
/* The descriptor table in guest memory (split desc, packed the ring). */
void *vf_vq_table(const struct vf_vq *vq);

/* ring_packed.c, behind the vf_vq_* calls */
int vf_pq_init(struct vf_vq *vq, struct vf_mem *m);
void vf_pq_free(struct vf_vq *vq);
void vf_pq_add(struct vf_vq *vq, uint16_t head);
void vf_pq_publish(struct vf_vq *vq);
bool vf_pq_arm(struct vf_vq *vq);
void vf_pq_disarm(struct vf_vq *vq);
void vf_pq_reset(struct vf_vq *vq);
uint16_t vf_pq_used_scan(struct vf_vq *vq);
uint16_t vf_pq_base(const struct vf_vq *vq, uint16_t ctr);
/* evil.c: one descriptor at the next position, id and flags as given;
 * `wrap_lie`: marked available for the other lap (it then looks used) */
void vf_pq_put(struct vf_vq *vq, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags,
	       bool wrap_lie);

static inline void vf_vq_add(struct vf_vq *vq, uint16_t head)
{
	if (vq->seq && head < vq->num)
		vq->seq[head] = vq->post_seq++;
	if (vq->packed) {
		vf_pq_add(vq, head);
		return;
	}
	vq->avail->ring[vq->avail_idx & vq->mask] = head;
	vq->avail_idx++;
}

/* Used entries ready to consume. */
static inline uint16_t vf_vq_used_pending(struct vf_vq *vq)
{
	if (vq->packed)
		return vf_pq_used_scan(vq);
	/* Acquire pairs with the back-end's release (or wmb) before its store
	 * of used->idx: the used elements and the data written into device-
	 * writable buffers are visible after this load. */
	return (uint16_t)(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) - vq->last_used);
}

/* The n-th pending entry (n < vf_vq_used_pending()); consumed by moving
 * vq->last_used on. */
static inline const struct vring_used_elem *vf_vq_used_elem(const struct vf_vq *vq,
							     uint16_t n)
{
	const struct vring_used_elem *ring = vq->packed ? vq->ucache : vq->used->ring;

	return &ring[(uint16_t)(vq->last_used + n) & vq->mask];
}

/* IN_ORDER: the used entry with buffer id `id` is the next one made
 * available (after a ring reset, whichever comes first sets the count). */
static inline void vf_vq_used_order(struct vf_vq *vq, uint32_t id)
{
	if (!vq->seq || id >= vq->num)
		return;
	if (vq->seq_sync && vq->seq[id] != vq->want_seq)
		(*vq->order_err)++;
	vq->want_seq = vq->seq[id] + 1;
	vq->seq_sync = true;
}

/* Entry i of a descriptor table in guest memory: a split one (a ring's
 * table, an indirect table of a split ring) chains its entries by NEXT and
 * next = i + 1; a packed ring's indirect table is a chain by its order
 * alone (virtio 1.2 2.8.19), without NEXT. */
static inline void vf_desc_put(void *table, bool packed, unsigned int i, uint64_t addr,
			       uint32_t len, uint16_t flags)
{
	if (packed)
		((struct vring_packed_desc *)table)[i] = (struct vring_packed_desc){
			.addr = addr, .len = len, .flags = flags & ~VRING_DESC_F_NEXT
		};
	else
		((struct vring_desc *)table)[i] = (struct vring_desc){
			.addr = addr, .len = len, .flags = flags, .next = (uint16_t)(i + 1)
		};
}

/* Entry i's length; `more`: the chain goes on after it (split: NEXT). */
static inline void vf_desc_len(void *table, bool packed, unsigned int i, uint32_t len, bool more)
{
	if (packed) {
		((struct vring_packed_desc *)table)[i].len = len;
	} else {
		((struct vring_desc *)table)[i].len = len;
		((struct vring_desc *)table)[i].flags = more ? VRING_DESC_F_NEXT : 0;
	}
}

struct vf_slot {
	uint8_t *hdr; /* virtio-net header */
	uint8_t *frame; /* Ethernet frame */
	struct vring_desc *ind; /* indirect table (VF_TX_INDIRECT) */
};

struct vf_txq {
	struct vf_vq vq;
	/* ring descriptors per slot: 1, or 2 for VF_TX_SPLIT; with --tx-frag
	 * the header's and one per piece (single: piece 0 with the header) */
	unsigned int dps;
	unsigned int nslots;
	struct vf_slot *slots;
	uint16_t *free; /* stack of free slot numbers */
	unsigned int nfree;
	uint8_t *inflight; /* per slot */
	uint32_t frame_cap;
	/* the frame's pieces (one without --tx-frag): frag bytes each,
	 * frag_stride apart from slot->frame on */
	uint32_t frag, frag_stride;
	unsigned int npieces;
	uint32_t seq;
	/* --proto tcp: the headers of every frame (lengths and seed final;
	 * seq and IPv4 ID patched per frame), the pseudo-header sum */
	uint8_t tcp_hdr[VF_HDR_MAX];
	uint32_t tcp_pseudo;
	uint64_t remaining; /* frames still to generate */
	uint64_t generated; /* frames generated */
	uint64_t rate_t0, rate_gen; /* pacing: since rate_t0 (ns), rate_gen was generated */
	uint64_t full_since; /* ns; 0 when the ring is not full */
	uint16_t sport;
	bool stalled; /* gave up: the ring stayed full for --tx-wait */
} __attribute__((aligned(VF_CACHE_LINE)));

struct vf_rxq {
	struct vf_vq vq;
	uint8_t **bufs; /* per descriptor */
	uint8_t *inflight; /* per descriptor: posted, not yet used */
	uint16_t *repost; /* ids consumed in this burst */
	uint32_t buf_len;
	uint32_t slot_len; /* --canary: buffer start to the next guard (>= buf_len) */
	uint8_t *guard_end; /* --canary: a guard after the last buffer */
} __attribute__((aligned(VF_CACHE_LINE)));

struct vf_qp {
	struct vf_rxq rx; /* vring 2q */
	struct vf_txq tx; /* vring 2q + 1 */
};

struct vf_stats {
	uint64_t tx_frames, tx_bytes, tx_ring_full;
	uint64_t rx_frames, rx_bytes, rx_bad, rx_lost, rx_reordered, rx_dup;
	uint64_t kicks, wakeups, used_err, used_order_err;
	uint64_t rx_empty; /* RX buffers given back unused (length 0) */
	/* --canary: areas found changed, and their bytes; frames for neither
	 * our MAC nor broadcast; broadcasts */
	uint64_t canary_bad, canary_bytes, rx_foreign, rx_bcast;
	/* offload.c: GSO frames received whole, NEEDS_CSUM (not GSO) and
	 * DATA_VALID frames, wrong checksums (IPv4 header, TCP, a UDP one
	 * vouched for); TCP stream bytes verified in order, gaps in a stream
	 * and the bytes they skipped, segments behind the stream; TSO frames
	 * sent */
	uint64_t rx_gso, rx_csum_partial, rx_csum_valid, rx_csum_bad;
	uint64_t rx_stream_bytes, rx_stream_gap, rx_stream_lost, rx_stream_late;
	uint64_t tx_gso;
	uint64_t tx_bytes0, rx_bytes0; /* bytes of the first burst (rates) */
	uint64_t t_start, t_end, t_first_tx, t_last_tx, t_first_rx, t_last_rx; /* ns */
};

/* Sequence tracking per flow (source MAC + UDP or TCP source port). */
#define VF_FLOWS 256
#define VF_FLOW_WIN 4096 /* sequence numbers remembered below the next one */
struct vf_flow {
	uint64_t key; /* MAC << 16 | source port */
	bool used;
	uint8_t proto; /* IPPROTO_UDP, IPPROTO_TCP */
	uint8_t tcp_flags; /* TCP: of the last segment in order */
	bool ecn; /* TCP: CWR seen (offload.c: stream_track()) */
	uint32_t next; /* next expected sequence number (TCP: byte) */
	uint64_t seen[VF_FLOW_WIN / 64]; /* UDP: bit (seq % WIN): seq arrived */
};

struct vf_tmpl; /* traffic.c: frames prebuilt with frame.h */

struct vf_dev {
	const struct vf_opts *o;
	int sock;
	bool disconnected; /* the back-end closed the socket */
	bool timed_out; /* the run ended at --timeout, unfinished */
	uint64_t features; /* negotiated */
	uint64_t protocol_features; /* negotiated */
	unsigned int max_qp; /* from GET_QUEUE_NUM, 1 without MQ */
	unsigned int hdr_len; /* virtio-net header: 12 (v1 / MRG_RXBUF) or 10 */
	bool event_idx, indirect, mrg_rxbuf, reply_ack, status;
	bool packed; /* VIRTIO_F_RING_PACKED negotiated (--packed) */
	bool in_order; /* VIRTIO_F_IN_ORDER negotiated (--in-order) */
	/* frames we send: L4 header offset (34 IPv4, 54 IPv6), payload
	 * offset, the UDP checksum seed (--tx-csum partial) */
	unsigned int l4_off, pay_off;
	uint16_t udp_seed;
	uint32_t rx_buf; /* --rx-buf, or its default for what was negotiated */
	bool unsupported; /* an option needs a feature not negotiated: exit 2 */
	unsigned int nqp;
	struct vf_mem mem;
	struct vf_qp *qp; /* nqp entries */
	struct vf_tmpl *tmpl;
	struct vf_flow *flows; /* VF_FLOWS entries */
	uint8_t *scratch; /* VF_RX_SCRATCH bytes */
	struct vf_stats st;
	unsigned int setup_nacks; /* evil runs: setup messages refused */
	/* evil: what the back-end said to the bad message, for the report */
	char evil_ack[32];
	char evil_info[160]; /* mode-specific " key=value" pairs for the report */
	int evil_keep[2]; /* fds kept open for the run (other ends of what we sent) */
	void *evil_map; /* memory announced besides ours, unmapped after the run */
	size_t evil_map_len;
	bool mem_gone; /* guest memory truncated: never touch it again */
	/* --inflight (inflight.c): the region the back-end gave us, kept
	 * across its crashes; the fd a reply brought (recv_fd_want) */
	int ifl_fd;
	struct vu_inflight_area ifl;
	unsigned int reconnects;
	bool recv_fd_want;
	int recv_fd;
	uint64_t rx_after; /* live modes: frames received after the misbehaviour */
	/* --zc-cycle (cycle.c) */
	struct vf_cycler {
		unsigned int done; /* cycles complete */
		unsigned int err; /* steps that failed, answers that do not add up */
		bool failed; /* a cycle could not finish: the run ends */
		bool hold; /* RX: buffers taken are held back, not posted again */
		uint64_t next_ns; /* the next cycle, or the end of the run */
		uint64_t rx_mark; /* rx_frames at the last restart */
		uint64_t rx_after_min; /* fewest frames after a restart */
	} cy;
};

/* proto.c */
int vf_sock_open(const struct vf_opts *o);
int vf_msg_send(struct vf_dev *d, uint32_t req, uint32_t flags, const void *payload,
		uint32_t size, const int *fds, unsigned int nfds);
/* Raw bytes: header and payload as given (bad sizes for evil.c). */
int vf_send_raw(struct vf_dev *d, const void *buf, size_t len, const int *fds, unsigned int nfds);
/* Wait up to timeout_ms for the reply to `req`; other messages are dropped.
 * -EPIPE when the back-end closed the socket, -ETIMEDOUT. */
int vf_reply_wait(struct vf_dev *d, uint32_t req, struct vu_msg *m, int timeout_ms);
/* A message without a reply body; waits for the REPLY_ACK ack when it was
 * negotiated. *ack gets the ack value (or stays untouched). */
int vf_req(struct vf_dev *d, uint32_t req, const void *payload, uint32_t size, const int *fds,
	   unsigned int nfds, uint64_t *ack);
int vf_negotiate(struct vf_dev *d);
int vf_setup(struct vf_dev *d);
/* The same on rings that keep their state (--inflight after a reconnect):
 * each started at its used index. */
int vf_setup_resume(struct vf_dev *d);
/* Parts of the setup, for cycle.c: the memory table; vring i started at
 * `base` (NUM, BASE, ADDR, KICK, CALL; vf_vq_base() form); enabled (with
 * protocol features); stopped (GET_VRING_BASE: *base gets where to start
 * again, *used where the used entries end: the same for a split ring, the
 * two halves of the answer for a packed one). */
int vf_set_mem_table(struct vf_dev *d);
int vf_vring_start(struct vf_dev *d, unsigned int i, uint16_t base);
int vf_vring_enable(struct vf_dev *d, unsigned int i);
int vf_vring_stop(struct vf_dev *d, unsigned int i, uint16_t *base, uint16_t *used);
/* Is the back-end still there: EOF seen or not, then a GET_FEATURES
 * round trip. Returns "ok", "eof" or "timeout". */
const char *vf_probe(struct vf_dev *d, int timeout_ms);
/* Nonblocking: note EOF on the socket, drop stray messages. */
void vf_sock_check(struct vf_dev *d);

/* inflight.c (--inflight) */
/* GET_INFLIGHT_FD once per run (the region is kept), SET_INFLIGHT_FD at
 * every setup; nothing without --inflight. */
int vf_inflight_setup(struct vf_dev *d);
/* The back-end went away: connect again (until `deadline`, ns), negotiate,
 * hand the region back, restart the rings where they stand (their used
 * indexes, as QEMU does after a back-end crash). 0 or -errno. */
int vf_inflight_reconnect(struct vf_dev *d, uint64_t deadline);
void vf_inflight_close(struct vf_dev *d);

/* traffic.c */
int vf_traffic_init(struct vf_dev *d);
void vf_traffic_free(struct vf_dev *d);
int vf_traffic_run(struct vf_dev *d);
void vf_traffic_report(const struct vf_dev *d);
bool vf_traffic_ok(const struct vf_dev *d);
/* Fill slot `s` of a TX queue with frame number `seq`; returns its length. */
uint32_t vf_tx_fill(struct vf_dev *d, struct vf_txq *tx, unsigned int s, uint32_t seq);
void vf_tx_set_len(struct vf_dev *d, struct vf_txq *tx, unsigned int s, uint32_t len);
/* Receive on queue pair q what is there (checks, re-posts the buffers);
 * returns the used entries consumed. */
unsigned int vf_rx_poll(struct vf_dev *d, unsigned int q);
/* The flow of a frame (source MAC, port, IPPROTO_UDP or _TCP), created
 * at its first frame; NULL when the table is full. */
struct vf_flow *vf_flow_get(struct vf_dev *d, const uint8_t *mac, uint16_t sport, uint8_t proto);
/* Post every RX buffer we hold (none posted, not in the used ring). */
void vf_rx_post_held(struct vf_dev *d, unsigned int q);
/* Fresh rings after a device reset: every RX buffer posted, TX empty. */
void vf_traffic_rings_reset(struct vf_dev *d);
uint64_t vf_now_ns(void);
extern volatile int vf_stop;

/* canary.c */
void vf_canary_fill(const struct vf_dev *d, uint8_t *p, size_t n);
/* At setup: every RX buffer with its guard, and the memory not handed out. */
void vf_canary_init(struct vf_dev *d);
/* A used RX entry of `len` bytes in buffer `id`: its guard and what
 * follows the len bytes must be canary. Counted, the first ones logged. */
void vf_canary_rx_used(struct vf_dev *d, const struct vf_rxq *rx, uint32_t id, uint32_t len);
/* Before buffer `id` goes back on the ring. */
void vf_canary_rx_rearm(struct vf_dev *d, const struct vf_rxq *rx, uint32_t id);
/* Every guard, the memory not handed out, and the RX buffers we hold (all
 * of them with `all`: the back-end holds none); returns the bad areas. */
uint64_t vf_canary_check_all(struct vf_dev *d, bool all);
/* Canary over the RX buffers we hold (all of them with `all`). */
void vf_canary_fill_rx(struct vf_dev *d, bool all);
/* A received frame: ours, broadcast, or foreign (counted). */
void vf_canary_rx_dst(struct vf_dev *d, const uint8_t *f, uint32_t len);
void vf_canary_report(const struct vf_dev *d);

/* offload.c */
/* --offloads LIST: the feature bits in *bits; -EINVAL (reported) if a
 * name is unknown. */
int vf_ofl_parse(const char *list, uint64_t *bits);
/* The names of the offload bits in f, comma-separated ("none"). */
const char *vf_ofl_names(uint64_t f, char *buf, size_t n);
/* After the negotiation: are --gso and --tx-csum possible? Offsets. */
int vf_ofl_init(struct vf_dev *d);
/* --proto tcp: queue tx's header template. */
void vf_tcp_init(struct vf_dev *d, struct vf_txq *tx);
/* Frame number seq of queue tx's stream into slot s; returns its length. */
uint32_t vf_tcp_fill(struct vf_dev *d, struct vf_txq *tx, unsigned int s, uint32_t seq);
/* The virtio-net header of every frame we send (--gso, --tx-csum). */
void vf_tx_vnet_hdr(const struct vf_dev *d, uint8_t *hdr);
/* What the header of a received frame asks, against what was negotiated:
 * an enum vf_rx_kind, or -1 (rx_bad). */
int vf_rx_vnet_hdr(const struct vf_dev *d, const struct virtio_net_hdr *h);
/* A received TCP/IPv4 or TCP/IPv6 frame of kind `kind` (headers, checksums,
 * payload, stream), counted; false: rx_bad. */
bool vf_rx_tcp(struct vf_dev *d, const struct virtio_net_hdr *h, int kind, const uint8_t *f,
	       uint32_t len);
/* The UDP checksum of a received frame (l4: its offset, ulen: UDP length)
 * for kind: 0 right (or nothing to check), 1 wrong (rx_csum_bad), -1 a
 * header that does not fit the frame (rx_bad). */
int vf_rx_udp_csum(struct vf_dev *d, const struct virtio_net_hdr *h, int kind,
		   const uint8_t *f, unsigned int l4, uint32_t ulen);
/* A frame to reflect (--echo): its TX header from the received one h;
 * false: it cannot be sent as it is (GSO without HOST_TSO). */
bool vf_echo_vnet_hdr(struct vf_dev *d, const struct virtio_net_hdr *h, uint8_t *txh,
		      uint8_t *f, uint32_t len);
bool vf_ofl_keys(const struct vf_opts *o);
void vf_ofl_report(const struct vf_dev *d);

/* cycle.c */
/* The mode called s, or -EINVAL. */
int vf_cycle_parse(const char *s);
void vf_cycle_help(FILE *out);
void vf_cycle_start(struct vf_dev *d, uint64_t now);
/* In the traffic loop: run the cycle that is due; true if one ran. */
bool vf_cycle_poll(struct vf_dev *d, uint64_t now);
/* Every cycle done and received after (or one failed): the run is over. */
bool vf_cycle_over(const struct vf_dev *d, uint64_t now);
/* When vf_cycle_poll() next has work (UINT64_MAX: never). */
uint64_t vf_cycle_next_ns(const struct vf_dev *d);
bool vf_cycle_ok(const struct vf_dev *d);
void vf_cycle_report(const struct vf_dev *d);

/* evil.c */
/* The mode called s, or -EINVAL. */
int vf_evil_parse(const char *s);
const char *vf_evil_name(enum vf_evil e);
void vf_evil_help(FILE *out);
/* Setup hook, before the normal `req` (for vring `vring`) is sent: returns
 * 1 when the evil variant was sent instead, 0 when the normal message
 * should go, -EPIPE when the back-end has gone. */
int vf_evil_setup_hook(struct vf_dev *d, uint32_t req, unsigned int vring);
/* --evil modes against --packed (or its absence): -EINVAL, reported, for
 * a mode of the other layout only. */
int vf_evil_check(const struct vf_opts *o);
/* RX ring init: returns 1 when the evil mode posted the ring itself, 0
 * for the normal buffers, or a negative errno. */
int vf_evil_rx_post(struct vf_dev *d, struct vf_rxq *rx);
/* After the setup: misbehave, watch the back-end, print the report line.
 * Returns the exit status. */
int vf_evil_run(struct vf_dev *d, int setup_err);

#endif /* XVS_VUFRONT_H */
