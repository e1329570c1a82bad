/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dp: the data plane. Ports (vhost-user devices for now), worker threads
 * that poll the ports' transmit queues, and the switching between them.
 *
 *   guest A TX vring ──► worker (owner of A's queue q) ──► FDB ──► guest B RX vring
 *                              │ learn src                  └─ flood: every port
 *                              │                                 in A's VLAN but A
 *
 * Each TX vring belongs to one worker, fixed by (port, queue); RX vrings
 * are written by whichever worker has frames for them, under their vq lock.
 * A copy goes straight from A's buffers into B's: one copy per frame.
 *
 * Ports are published in dp->ports[] by the control thread; removal waits
 * until every worker has passed a quiescent point (dp_sync).
 */
#ifndef XVS_DP_H
#define XVS_DP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp/fdb.h"
#include "dp/offload.h"
#include "dp/zc.h"
#include "fw/fw.h"
#include "fw/spoof.h"
#include "vhost/vu_dev.h"
#include "xsk/uplink.h"

#define DP_MAX_PORTS 256
#define DP_BURST 32
#define DP_MAX_WORKERS 64
#define DP_MAX_PORT_QUEUES 64 /* queue pairs of a VM, sockets of an uplink */
#define DP_NAME_MAX 32 /* port names, with the NUL */
/* Bytes of a guest's frame copied out before it is judged: the Ethernet
 * header always; with a firewall on the port, the first DP_HDR_COPY (what
 * the parser and the firewall read). What was copied is what is sent. */
#define DP_HDR_COPY 256

enum dp_poll {
	DP_POLL_ADAPTIVE, /* busy while traffic flows, sleep on kicks when idle */
	DP_POLL_BUSY, /* never sleep */
};

/* What dp_init() takes. */
struct dp_opts {
	enum dp_poll poll;
	uint32_t idle_us; /* adaptive: idle time before sleeping */
	uint32_t max_nap_us; /* adaptive: longest nap under light load; 0: none */
	int n_workers; /* ≤ DP_MAX_WORKERS; 0: one worker, not pinned */
	int cpus[DP_MAX_WORKERS]; /* the CPU of each of the n_workers; -1: not pinned */
	uint32_t fdb_max; /* FDB entries at most */
	uint32_t fdb_aging_s; /* 0: never age */
};

struct dp_port_stats {
	uint64_t drop_hairpin; /* destination was the source port */
	uint64_t drop_dst_down; /* destination not ready, or being reconfigured */
	uint64_t drop_too_big; /* uplink: frame (with its VLAN tag) over a UMEM frame */
	uint64_t drop_vlan_tagged; /* VM: a frame already tagged (802.1Q/ad), sent
				      from an access port: VLAN hopping */
	uint64_t drop_src_protected; /* VM: sent from a protected address (an
					uplink's, a gateway's) */
	uint64_t learn_limit; /* frames from addresses past the port's max-macs:
				 forwarded, not learned */
	uint64_t drop_fw_from; /* VM: its frame refused by its from-vm rules */
	uint64_t drop_fw_to; /* VM: a frame for it refused by its to-vm rules */
	uint64_t drop_fw_malformed; /* VM: its frame unparsable with a firewall on
				       (headers past DP_HDR_COPY bytes included) */
	uint64_t drop_spoof[SPOOF_REASON_MAX]; /* VM: anti-spoofing, by reason */
	uint64_t fw_answers; /* VM: answers to its rejected frames put in its ring */
	uint64_t capture_frames, capture_drops; /* ended captures (control thread) */
	/* VM: offloads (offload.h). From it: TSO frames and frames with a
	 * seeded checksum it sent, those refused; TSO frames the switch cut
	 * for a receiver that cannot take them, the segments made, checksums
	 * computed for its frames. To it: checksums verified (DATA_VALID) and
	 * found wrong (delivered without). */
	uint64_t ofl_tso, ofl_csum, drop_offload;
	uint64_t ofl_segmented, ofl_segments, ofl_csum_sw;
	uint64_t csum_verified, csum_bad;
};

enum dp_port_type {
	DP_PORT_VHOST,
	DP_PORT_UPLINK,
};

/* What dp_port_add() and dp_port_configure() take. */
struct dp_port_opts {
	char name[DP_NAME_MAX];
	enum dp_port_type type;
	uint16_t vlan; /* vhost: access VLAN, 0 = untagged; uplink: 0 (a trunk) */
	uint32_t mtu; /* L3 */
	uint16_t queues; /* vhost: queue pairs offered, ≤ VU_MAX_QUEUE_PAIRS */
	uint64_t max_guest_memory; /* vhost: bytes; 0 keeps the device's cap */
	uint32_t max_macs; /* addresses learned on the port at most; 0: no limit */
	bool offloads; /* vhost: offer checksum and TSO offloads (from the next
			  negotiation) */
	bool packed; /* vhost: offer packed rings (then no live migration) */
	bool migration; /* vhost: offer live migration (experimental) */
	bool in_order; /* vhost: offer VIRTIO_F_IN_ORDER (never with zero-copy) */
};

struct dp_port {
	uint16_t id;
	char name[DP_NAME_MAX];
	enum dp_port_type type;
	uint16_t vlan; /* vhost: access VLAN; uplink: 0 (a trunk) */
	uint32_t mtu;
	uint16_t queues; /* vhost: queue pairs; uplink: sockets (up->nq) */
	struct vu_dev dev; /* vhost */
	struct uplink *up; /* uplink: set by the control thread once open */
	struct dp_zc *zc; /* vhost: zero-copy through an uplink queue, or NULL */
	/* vhost: anti-spoofing (NULL: off), published by the control thread
	 * (dp_port_set_spoof); what it learned */
	const struct spoof_policy *spoof;
	struct spoof_state spoof_st;
	uint8_t owner[DP_MAX_PORT_QUEUES]; /* worker of each queue (dp_owner) */
	struct dp_port_stats st; /* racy counters: updated by workers with relaxed adds */
	struct dp_capture *cap; /* xvsctl capture, or NULL (capture.h) */
	/* vhost: after a live migration (SEND_RARP), the owner of its queue
	 * pair 0 sends a RARP from announce_mac as if the VM had (set by the
	 * control thread, then announce with a release store) */
	uint8_t announce_mac[6];
	int announce;
};

struct dp;

struct dp_worker {
	struct dp *dp;
	int id;
	int cpu; /* -1: not pinned */
	pthread_t thread;
	bool started;
	int epfd; /* kick fds of its vrings + wake_fd */
	int wake_fd;
	uint64_t epoch; /* bumped every loop; read by dp_sync() */
	int sleeping; /* in epoll_wait: quiescent */
	/* counters, owned by the worker (read racily by the control thread);
	 * the four times add up to the worker's life */
	uint64_t loops;
	uint64_t frames; /* frames its bursts handled (TX vrings, uplink queues, zero-copy) */
	uint64_t busy_loops; /* loops that moved frames */
	uint64_t busy_ns; /* in loops that moved frames */
	uint64_t idle_ns; /* in loops that found nothing */
	uint64_t nap_ns; /* adaptive: in naps under light load */
	uint64_t sleep_ns; /* adaptive: asleep on kicks */
	uint64_t naps;
	uint64_t sleeps;
	uint64_t wakeups_with_work_on_timeout;
	/* burst scratch, owned by the worker: each frame as segments (after
	 * `skip` bytes of virtio-net header), its VLAN, length, destination */
	struct vq_chain chains[DP_BURST];
	/* a frame's first hcap bytes, copied once (a guest's: always its
	 * Ethernet header, more when judged): what is checked and switched on
	 * is what goes on (the guest may rewrite its buffer meanwhile); 0:
	 * not copied (frames in host memory) */
	uint8_t hdr[DP_BURST][DP_HDR_COPY];
	uint16_t hcap[DP_BURST];
	/* what the frame asks or is known of its checksum; from a guest, set
	 * only in a burst with ofl_burst (the first offload of the burst
	 * clears them all), from an uplink always */
	struct dp_ofl ofl[DP_BURST];
	bool ofl_burst;
	int8_t parsed[DP_BURST]; /* 1: pkt[i] is hdr[i] parsed, -1: malformed, 0: not yet */
	struct xvs_pkt pkt[DP_BURST];
	/* from an uplink (only then is it set): the VM port whose to-vm
	 * rules XDP already applied (xvs_meta), XVS_META_NONE otherwise */
	uint16_t judged[DP_BURST];
	uint64_t now; /* of the burst, for the firewall */
	uint16_t dst[DP_BURST];
	bool held[DP_BURST]; /* its guest buffer is lent to the kernel (zc) */
	uint16_t vlan[DP_BURST];
	uint32_t len[DP_BURST];
	struct uplink_frame uf[DP_BURST];
	uint8_t announce_frame[60]; /* a port's RARP (dp_port.announce) */
	int tap_n; /* frames collected from an uplink's tap */
	struct dp_port *tap_src;
} __attribute__((aligned(64)));

struct dp {
	struct dp_port *ports[DP_MAX_PORTS]; /* published with release stores */
	uint16_t nports_hw; /* high-water mark of used slots */
	int nworkers;
	struct dp_worker *workers;
	struct fdb fdb;
	enum dp_poll poll;
	uint32_t idle_us;
	uint32_t max_nap_us;
	int notify_fd; /* eventfd: a worker found a broken device, or news */
	int xdp_fdb_fd; /* the XDP program's FDB, once an uplink is open; -1 */
	const struct xdpmaps *maps; /* the XDP maps, once an uplink is open */
	int zc_ports; /* ports with zero-copy configured: 0 skips poll_zc */
	struct fw *fw; /* the firewall's tables, or NULL (set before dp_start) */
	int stop;
};

int dp_init(struct dp *dp, const struct dp_opts *o);
int dp_start(struct dp *dp);
void dp_stop(struct dp *dp);
void dp_destroy(struct dp *dp);

/* Control thread: add a port in a free slot (returns it) / remove one. */
struct dp_port *dp_port_add(struct dp *dp, const struct dp_port_opts *o);
void dp_port_del(struct dp *dp, struct dp_port *p);
/* Control thread: the options a running port can take from a reload
 * (guest memory cap, MAC limit). */
void dp_port_configure(struct dp *dp, struct dp_port *p, const struct dp_port_opts *o);
struct dp_port *dp_port_find(struct dp *dp, const char *name);
/* Control thread: anti-spoofing for a VM port (NULL or !on: off). A
 * changed policy forgets what was learned. */
int dp_port_set_spoof(struct dp *dp, struct dp_port *p, const struct spoof_policy *sp);

/* Control thread: make an opened uplink visible to the workers (its queue
 * and tap fds join their owners' wake-up sets) / take it away again,
 * waiting until no worker uses it; the caller then closes it. */
void dp_uplink_publish(struct dp *dp, struct dp_port *p, struct uplink *up);
struct uplink *dp_uplink_unpublish(struct dp *dp, struct dp_port *p);

/* Wake the control thread (a device broke, news for the XDP maps or the
 * zero-copy sockets). Never blocks. */
void dp_notify(struct dp *dp);

/* Write a guest frame's Ethernet header for the wire: the checked copy
 * h[14] with the port's VLAN tag (if any) after the MACs. Returns its
 * length (14 or 18). */
static inline uint32_t dp_put_l2(uint8_t *b, const uint8_t *h, uint16_t vlan)
{
	uint32_t at = 12;

	__builtin_memcpy(b, h, 12);
	if (vlan) {
		b[12] = 0x81;
		b[13] = 0x00;
		b[14] = (uint8_t)(vlan >> 8);
		b[15] = (uint8_t)vlan;
		at += 4;
	}
	__builtin_memcpy(b + at, h + 12, 2);
	return at + 2;
}

/* The firewall's tables (published once by the control thread), or NULL. */
static inline struct fw *dp_fw(const struct dp *dp)
{
	return __atomic_load_n(&dp->fw, __ATOMIC_ACQUIRE);
}

/* Wait until every worker has passed a quiescent point. */
void dp_sync(struct dp *dp);
/* Wake every sleeping worker (e.g. to re-read the port table). */
void dp_wake(struct dp *dp);

/* The worker that owns TX vring `vring` of port p (queue pairs spread
 * over the workers, fixed when the port is added). */
static inline struct dp_worker *dp_owner(struct dp *dp, const struct dp_port *p, int vring)
{
	return &dp->workers[p->owner[vring / 2]];
}

/* fwd.c: process one burst of a port's TX vring / an uplink queue (index
 * into up->q) / an uplink's broadcast tap; returns frames handled. */
int dp_tx_burst(struct dp_worker *w, struct dp_port *src, int vring);
int dp_uplink_burst(struct dp_worker *w, struct dp_port *src, int qi);
int dp_tap_burst(struct dp_worker *w, struct dp_port *src);

#endif /* XVS_DP_H */
