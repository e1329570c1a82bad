/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap: the switch's copy of the broadcast and multicast frames that the
 * XDP program passes to the host (host-flood). XDP cannot both redirect and
 * pass a frame, so the host gets it from XDP and the switch reads it from
 * a TPACKET_V3 ring on the uplink: a classic BPF filter keeps only frames
 * whose destination has the group bit, outgoing frames are ignored, and
 * reading the ring takes no system call while it has frames.
 */
#ifndef XVS_TAP_H
#define XVS_TAP_H

#include <stddef.h>
#include <stdint.h>

struct tap {
	int fd; /* -1: not open */
	uint8_t *ring;
	size_t ring_len;
	uint32_t block_size;
	uint32_t nblocks;
	uint32_t cur; /* next block to look at */
	uint64_t frames;
};

int tap_open(struct tap *t, int ifindex);
void tap_close(struct tap *t);

/* Call fn for each frame (data, len, VLAN id or 0) of the next block the
 * kernel has handed over, then give the block back; returns frames seen
 * (0: nothing ready). Broadcasts are rare: one block per call is plenty. */
typedef void (*tap_fn)(void *ctx, const uint8_t *data, uint32_t len, uint16_t vid);
/* `end` runs after the last frame, while their data is still valid. */
int tap_poll(struct tap *t, tap_fn fn, void (*end)(void *ctx), void *ctx);

#endif /* XVS_TAP_H */
