/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vu_dev: one vhost-user device (a VM's NIC) on one connection.
 *
 * Security model: the front-end (QEMU) and the guest behind it are
 * untrusted. Every message is checked for version, size and fd count
 * against a table before its handler runs; handlers check indices, sizes and
 * addresses; the data path checks everything the guest writes (vq.c). Any
 * violation marks the device broken: it is logged once, counted, and the
 * connection is closed — the daemon and the other ports carry on.
 *
 * Threads: messages are handled on the control thread. Vrings are shared
 * with workers through their vq locks (see vq.h).
 */
#ifndef XVS_VU_DEV_H
#define XVS_VU_DEV_H

#include <stdbool.h>
#include <linux/virtio_net.h>
#include <stdint.h>

#include "vhost/vq.h"
#include "vhost/vu_inflight.h"
#include "vhost/vu_mem.h"
#include "vhost/vu_proto.h"

struct vu_dev;

/* What the device tells its owner (the data plane). Called on the control
 * thread. */
struct vu_dev_ops {
	/* A vring's kick fd changed (-1: none); register it for wake-ups. */
	void (*kick_changed)(void *ctx, struct vu_dev *d, int vring, int old_fd, int new_fd);
	/* A vring became ready, with notifications off; called under its
	 * vq lock (must not take it). */
	void (*vring_ready)(void *ctx, struct vu_dev *d, int vring);
	/* The device is about to stop ring `vring` (GET_VRING_BASE), or, with
	 * vring -1, replace the memory table, reset or disconnect: every use
	 * of that ring's (or all) guest memory outside the vring locks
	 * (buffers lent to the kernel) must end before this returns; the rings
	 * and the memory are still valid. May take vq locks. */
	void (*mem_release)(void *ctx, struct vu_dev *d, int vring, const char *why);
	/* After a migration (SEND_RARP): announce mac as behind this port. */
	void (*announce)(void *ctx, struct vu_dev *d, const uint8_t mac[6]);
};

struct vu_vring {
	struct vq vq; /* data path state; see vq.h for ownership */
	uint64_t desc_uva, avail_uva, used_uva;
	bool addr_set;
	bool started; /* kick fd received, not stopped by GET_VRING_BASE */
	bool enabled; /* SET_VRING_ENABLE (or implied without protocol features) */
	bool base_told; /* GET_VRING_BASE answered on this connection: a base
			   sent back is where the ring stopped, not stale */
};

struct vu_dev_stats {
	uint64_t messages;
	uint64_t connects;
	uint64_t disconnects;
	uint64_t broken; /* times it was disconnected for a violation */
	uint64_t mem_faults; /* guest memory that went away under us (SIGBUS) */
	uint64_t early_enables; /* connections that enabled rings before
				   negotiating (a reconnecting DPDK virtio-user) */
	uint64_t ring_resumes; /* packed rings started where the ring stood, not
				  where SET_VRING_BASE said (after a crash) */
	uint64_t inflight_resubmits; /* descriptors in flight when the back-end
					died, taken again after it restarted */
	uint64_t inflight_refused; /* in-flight regions refused (disconnected) */
	uint64_t log_bases; /* dirty logs mapped (migrations begun) */
	uint64_t rarps; /* SEND_RARP: announcements after a migration */
};

/* Guest memory a port may map unless configured otherwise. */
#define VU_DEFAULT_MAX_MEM (128ull << 30)
/* Messages handled per vu_dev_readable() call: one front-end streaming
 * requests cannot keep the control thread from the other ports. */
#define VU_MSG_BUDGET 32

struct vu_dev {
	char name[32]; /* log prefix: the port name */
	int fd; /* the connection; -1 when none */
	uint16_t max_queues; /* queue pairs offered */
	uint64_t max_mem; /* bytes of guest memory accepted (all regions) */
	bool offloads; /* offer checksum and TSO offloads (VU_OFFLOAD_FEATURES) */
	bool packed; /* offer packed rings (and then not live migration) */
	bool migration; /* offer live migration (VHOST_F_LOG_ALL): experimental */
	bool in_order; /* offer VIRTIO_F_IN_ORDER: the port uses every ring's
			  buffers in the order they were made available */
	/* host-owned bytes the owner wants in front of guest memory, with no
	 * holes between regions (vu_mem_map_span), from the next table on */
	size_t mem_scratch;

	/* message being received: header, then its payload (aligned) */
	struct {
		struct vu_hdr hdr;
		union vu_payload p;
	} msg;
	uint32_t got; /* bytes of header + payload received */
	int fds[VU_MAX_FDS];
	int nfds;

	uint64_t features; /* acked by SET_FEATURES */
	uint64_t protocol_features;
	bool pf_negotiated; /* SET_PROTOCOL_FEATURES seen: rings start disabled */
	bool early_enable; /* SET_VRING_ENABLE came first on this connection */
	uint8_t status;
	struct vu_mem *mem;
	struct vu_vring vr[VU_MAX_VRINGS];
	/* live migration: the dirty log (SET_LOG_BASE) and whether the
	 * front-end asked for every write to be logged (VHOST_F_LOG_ALL);
	 * the vrings point at log while both are there */
	struct vu_log log;
	bool log_all;
	/* crash resume: the front-end's in-flight region (SET_INFLIGHT_FD);
	 * transmit vrings started while it is mapped are tracked in it */
	struct vu_inflight ifl;
	int reply_fd; /* sent with the next reply (GET_INFLIGHT_FD), -1: none */

	/* set by a worker that found a guest violation; the control thread
	 * disconnects the device (vu_dev_check_broken) */
	int broken;
	const char *broken_why;

	const struct vu_dev_ops *ops;
	void *ctx;
	struct vu_dev_stats st;
};

/* The offloads offered unless a port turns them off: checksums both ways,
 * TSO for IPv4 and IPv6 with ECN both ways (see dp/offload.h). */
#define VU_OFFLOAD_FEATURES                                                                        \
	((1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |                         \
	 (1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6) |                   \
	 (1ull << VIRTIO_NET_F_GUEST_ECN) | (1ull << VIRTIO_NET_F_HOST_TSO4) |                     \
	 (1ull << VIRTIO_NET_F_HOST_TSO6) | (1ull << VIRTIO_NET_F_HOST_ECN))

/* Feature bits offered to the front-end. */
uint64_t vu_dev_offered_features(const struct vu_dev *d);
uint64_t vu_dev_offered_protocol_features(const struct vu_dev *d);

void vu_dev_init(struct vu_dev *d, const char *name, uint16_t max_queues,
		 const struct vu_dev_ops *ops, void *ctx);
/* A connection was established; the device owns fd from now on. */
void vu_dev_attach(struct vu_dev *d, int fd);
/* Read and handle what is available on the connection, at most
 * VU_MSG_BUDGET messages (the caller's level-triggered poll comes back for
 * the rest). Returns 0, or a negative errno when the connection must be
 * closed (EOF, violation): the caller then calls vu_dev_detach(). */
int vu_dev_readable(struct vu_dev *d);
/* Close the connection and forget all guest state (memory, rings, fds). */
void vu_dev_detach(struct vu_dev *d);

/* Data path: a worker found a violation on one of the device's vrings. */
void vu_dev_mark_broken(struct vu_dev *d, const char *why);
/* Control thread: true if the device was marked broken, or its memory
 * went away (see vu_mem.h); it logs once. */
bool vu_dev_check_broken(struct vu_dev *d);

#endif /* XVS_VU_DEV_H */
