/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * offload: checksum and segmentation offloads (virtio 1.2 §5.1.6.2).
 *
 * A guest that negotiated VIRTIO_NET_F_CSUM may hand over a frame whose
 * checksum is only seeded (NEEDS_CSUM: the sum over [csum_start, end) goes
 * at csum_start + csum_offset); one with HOST_TSO4/6 a TCP frame of up to
 * 64 KiB to be cut into segments of gso_size payload bytes. ofl_check()
 * takes what the virtio-net header asks, checks it against the frame's own
 * headers (the checked copy the firewall judged), and reduces it to a
 * struct dp_ofl. A receiver that accepted the same offloads gets the frame
 * as it is, with a header the switch wrote; for any other one the switch
 * does the work: checksum completion, TCP segmentation (IP lengths, IDs,
 * header checksums, sequence numbers, CWR on the first segment only,
 * FIN/PSH on the last).
 *
 * Frames from an uplink carry no header: ofl_verify() checks their TCP or
 * UDP checksum for receivers that accepted GUEST_CSUM (DATA_VALID).
 *
 * Pure functions over buffers: no locks, no guest state (unit-tested and
 * fuzzed on their own).
 */
#ifndef XVS_DP_OFFLOAD_H
#define XVS_DP_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>

#include "vhost/vq.h"
#include <xvs/parse.h>

/* A TSO frame's length at most: the IP packet's 16-bit length field, an
 * IPv6 header in front of it and the Ethernet header. */
#define OFL_MAX_LEN (14u + 40u + 65535u)
/* Segments one TSO frame may be cut into in software: a 64 KiB frame with
 * an MSS of 256 or more. Every segment costs the sender's worker a header
 * and a ring entry; a guest asking for 65535 one-byte segments would stall
 * every port on that worker. Frames that need more are dropped. */
#define OFL_MAX_SEGS 256

enum ofl_kind {
	OFL_NONE = 0, /* a complete frame, nothing known of its checksum */
	OFL_CSUM, /* checksum seeded, to be completed (NEEDS_CSUM) */
	OFL_TSO, /* TCP segmentation (and its checksums) asked for */
	OFL_VALID, /* its L4 checksum is known good (verified or completed) */
	OFL_BAD, /* its L4 checksum was verified and is wrong */
};

/* Why ofl_check() refused a frame (counted per port: drop_offload). */
enum ofl_error {
	OFL_E_OK = 0,
	OFL_E_NOT_NEGOTIATED = 1, /* a GSO type or ECN the guest did not ack */
	OFL_E_GSO_TYPE, /* UDP/UFO, USO or an unknown type */
	OFL_E_HEADERS, /* the frame is not what its gso_type says */
	OFL_E_CSUM, /* csum_start/csum_offset outside the frame, or over a
		       header field the switch judges */
	OFL_E_SIZE, /* gso_size 0, the frame too long, too many segments */
};

/* A frame's offload state, in the worker's burst arrays. Offsets are from
 * the start of the Ethernet header. */
struct dp_ofl {
	uint8_t kind; /* enum ofl_kind */
	uint8_t gso_type; /* TSO: VIRTIO_NET_HDR_GSO_TCPV4/_TCPV6, | _ECN */
	uint16_t csum_start; /* CSUM, TSO */
	uint16_t csum_offset;
	uint16_t hlen; /* TSO: the headers in front of the payload */
	uint16_t gso_size; /* TSO: payload bytes per segment */
	uint16_t nseg; /* TSO: segments it makes */
	uint16_t l3_off; /* TSO */
};

/* What a receiver (VQ_OFL_* of its RX vring) can take of frame o as it
 * is; false: the switch segments it. */
static inline bool ofl_tso_ok(const struct dp_ofl *o, uint8_t rx_ofl)
{
	uint8_t need = VQ_OFL_CSUM |
		       ((o->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4 ?
				VQ_OFL_TSO4 :
				VQ_OFL_TSO6) |
		       (o->gso_type & VIRTIO_NET_HDR_GSO_ECN ? VQ_OFL_ECN : 0);

	return (rx_ofl & need) == need;
}

/*
 * The frame's virtio-net header `vh` (a copy), from a guest whose TX vring
 * accepted `allowed` (VQ_OFL_*), against the frame: `pkt` parsed from its
 * first `hcap` bytes `hdr` (the checked copy), `len` bytes long. Fills o
 * (kind OFL_NONE when nothing is asked). Returns OFL_E_OK or the reason to
 * drop it.
 */
int ofl_check(const struct virtio_net_hdr *vh, uint8_t allowed, const struct xvs_pkt *pkt,
	      const uint8_t *hdr, uint32_t hcap, uint32_t len, struct dp_ofl *o);

/* The header a receiver that takes frame o as it is gets (o: OFL_CSUM,
 * OFL_TSO or OFL_VALID). */
void ofl_vnet_hdr(const struct dp_ofl *o, struct virtio_net_hdr *vh);

/* The payload bytes of segment k of TSO frame o, len bytes long. */
static inline uint32_t ofl_seg_len(const struct dp_ofl *o, uint32_t len, uint32_t k)
{
	uint32_t pay = len - o->hlen, first = k * o->gso_size;

	if (pay <= first)
		return 0;
	return pay - first < o->gso_size ? pay - first : o->gso_size;
}

/*
 * Segment k of TSO frame o: its headers into out[0, o->hlen), built from
 * the frame's first o->hlen bytes `hdr`, with the TCP checksum seeded (the
 * pseudo-header sum of that segment, as NEEDS_CSUM wants it). Returns the
 * segment's payload length; its payload is the frame's bytes from
 * o->hlen + k * o->gso_size.
 */
uint32_t ofl_seg_hdr(const struct dp_ofl *o, const uint8_t *hdr, uint32_t len, uint32_t k,
		     uint8_t *out);

/* ---- Internet checksums (RFC 1071) -------------------------------------- */

/* Add n bytes at p, lying `at` bytes into the summed range (its parity
 * matters), to a running sum. */
uint64_t csum_add(uint64_t sum, const void *p, uint32_t n, uint32_t at);
/* The same over segments, from `skip` on. */
uint64_t csum_add_iov(uint64_t sum, const struct vq_iov *seg, int nseg, uint32_t skip,
		      uint32_t n, uint32_t at);
/* Fold a running sum to 16 bits (not inverted), in memory order. */
uint16_t csum_fold(uint64_t sum);
/* The checksum to store for a range whose sum (the seeded field included)
 * is `sum`: never 0, which a UDP receiver would take for "none". */
static inline uint16_t csum_final(uint64_t sum)
{
	uint16_t c = (uint16_t)~csum_fold(sum);

	return c ? c : 0xffff;
}

/* Store checksum c (in memory order, as csum_fold gives it) at p. */
static inline void csum_put(uint8_t *p, uint16_t c)
{
	__builtin_memcpy(p, &c, 2);
}

/*
 * Frame `len` bytes long, parsed (pkt) from its first hcap bytes `hdr`,
 * the whole of it in segments after `skip`: is its TCP or UDP checksum
 * right? OFL_VALID, OFL_BAD (wrong; over IPv6 a UDP checksum of 0 too), or
 * OFL_NONE (not TCP/UDP, a fragment, headers past hdr, a UDP datagram over
 * IPv4 sent without a checksum).
 */
int ofl_verify(const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
	       const struct vq_iov *seg, int nseg, uint32_t skip, uint32_t len);

#endif /* XVS_DP_OFFLOAD_H */
