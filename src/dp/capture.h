/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * capture: a port's frames copied, as the switch sees them, into a ring
 * the control thread drains (xvsctl capture). Off, it costs one load per
 * burst and port; on, a trylock and a copy of at most `snap` bytes per
 * frame. A frame that finds the ring full or its lock taken is counted as
 * a capture drop, never waited for: forwarding goes on at its own pace.
 *
 * What is seen: "in", frames the switch took from the port (past the
 * ring's checks: runts, oversize and over-segmented frames are not,
 * firewall-dropped ones are); "out", frames it put in the port's ring or
 * sent to its interface. Frames the kernel moves on a zero-copy queue
 * straight between the NIC and a VM's buffers never pass the switch and
 * are not seen. An uplink's frames carry their 802.1Q tag, a VM port's
 * are untagged, as on each side's wire.
 */
#ifndef XVS_DP_CAPTURE_H
#define XVS_DP_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost/vq.h"

#define DP_CAP_IN 1
#define DP_CAP_OUT 2
#define DP_CAP_SNAP_MIN 64u
#define DP_CAP_SNAP_MAX 65535u
#define DP_CAP_SLOTS_MAX 65536u

struct dp_cap_slot {
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	uint32_t len; /* on the wire */
	uint32_t caplen; /* bytes in data */
	uint8_t dir; /* DP_CAP_IN / DP_CAP_OUT */
	uint8_t data[];
};

struct dp_capture {
	int lock; /* workers (trylock), the control thread (drain) */
	uint8_t dirs;
	uint32_t snap, slot_size, nslots; /* nslots: a power of two */
	uint32_t head, tail; /* under lock: next slot written, next read */
	uint64_t frames; /* put in the ring (under lock) */
	uint64_t drops; /* ring full or busy (atomic) */
	uint8_t *slots;
};

struct dp;
struct dp_port;

/* Control thread: start capturing DIRS of port p, frames cut at snap bytes,
 * in a ring of nslots (rounded up to a power of two). -EBUSY: a capture
 * runs on the port already. */
int dp_capture_start(struct dp *dp, struct dp_port *p, uint8_t dirs, uint32_t snap,
		     uint32_t nslots);
/* Control thread: stop; the ring is freed once no worker can see it. */
void dp_capture_stop(struct dp *dp, struct dp_port *p);
/* Control thread: hand up to max frames, oldest first, to fn (called
 * outside the lock, from a copy); returns how many. */
int dp_capture_drain(struct dp_capture *c, void (*fn)(void *arg, const struct dp_cap_slot *s),
		     void *arg, int max);

/* Workers: frame of `len` bytes in segs (after skip), with `vlan` to be
 * shown as a tag (0: none). */
void dp_capture_frame(struct dp_capture *c, uint8_t dir, uint64_t now_ns,
		      const struct vq_iov *seg, int nseg, uint32_t skip, uint32_t len,
		      uint16_t vlan);

#endif
