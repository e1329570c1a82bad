/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * frame: build test frames layer by layer, for BPF fixtures, unit tests and
 * the traffic tools. Each layer fills in the "next protocol" field the
 * previous one left open, so a test reads like the frame it makes:
 *
 *	frame_init(&f);
 *	frame_eth(&f, dst, src);
 *	frame_vlan(&f, 0x8100, 10);
 *	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
 *	frame_udp(&f, 1000, 2000);
 *	frame_payload(&f, 64, 0);
 *	frame_finish(&f);          // lengths and checksums
 *
 * Misuse (overflow, a layer that does not fit the previous one, a bad
 * address) sets f->err; the frame is then unusable and frame_finish()
 * returns it.
 */
#ifndef XVS_TOOLS_FRAME_H
#define XVS_TOOLS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 16384

struct frame {
	uint8_t buf[FRAME_MAX];
	size_t len;
	int err; /* first error, negative errno */
	size_t next_off; /* the open "next protocol" field */
	int next_size; /* its size: 2 (ethertype), 1 (IP protocol), 0 none */
	size_t ip_off; /* last IP header */
	int ip_ver; /* 0, 4 or 6 */
	size_t l4_off; /* last L4 header */
	uint8_t l4proto;
};

void frame_init(struct frame *f);
int frame_parse_mac(const char *s, uint8_t mac[6]);

void frame_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6]);
void frame_vlan(struct frame *f, uint16_t tpid, uint16_t vid);
/* Close an open ethertype with a raw value (ARP, or anything not built). */
void frame_ethertype(struct frame *f, uint16_t type);
/* optlen: bytes of IPv4 options (multiple of 4, at most 40; NOPs). */
void frame_ip4(struct frame *f, const char *src, const char *dst, size_t optlen);
/* Set the fragment field of the last IPv4 header: offset in 8-byte units. */
void frame_ip4_frag(struct frame *f, uint16_t offset8, bool more);
void frame_ip6(struct frame *f, const char *src, const char *dst);
/* An extension header of `len` bytes (hop-by-hop, routing, dest options:
 * multiple of 8; AH: multiple of 4). */
void frame_ip6_ext(struct frame *f, uint8_t type, size_t len);
void frame_ip6_frag(struct frame *f, uint16_t offset8, bool more);
/* Close an open IP protocol with a raw value (e.g. GRE, or 59 = none). */
void frame_ipproto(struct frame *f, uint8_t proto);
void frame_udp(struct frame *f, uint16_t sport, uint16_t dport);
/* A TCP header without options: SYN, window 65535 (frame_tcp_set() for
 * the rest). */
void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport);
/* Sequence and acknowledgment numbers and flags (0x10 ACK, 0x08 PSH, ...)
 * of the last TCP header. */
void frame_tcp_set(struct frame *f, uint32_t seq, uint32_t ack, uint8_t flags);
/* ICMP for IPv4, ICMPv6 for IPv6. */
void frame_icmp(struct frame *f, uint8_t type, uint8_t code);
/* ARP for IPv4 over Ethernet (closes the ethertype with 0x0806): op 1
 * request, 2 reply; tha NULL for zero. */
void frame_arp(struct frame *f, uint16_t op, const uint8_t sha[6], const char *spa,
	       const uint8_t tha[6], const char *tpa);
/* A neighbor discovery message (RFC 4861) after an IPv6 header: type 133
 * (RS), 134 (RA), 135 (NS), 136 (NA) or 137 (redirect) with its fixed part.
 * word is the 32 bits after the checksum (NA: R 1u << 31, S 1u << 30, O
 * 1u << 29; RA: hop limit << 24 | flags << 16 | router lifetime); an RA's
 * timers are zero. NS, NA and redirect carry target (NULL: ::), the
 * redirect also as its destination. */
void frame_nd(struct frame *f, uint8_t type, uint32_t word, const char *target);
/* An ND option after frame_nd(): type, length in units of 8 bytes, the n
 * bytes of data, zero padding to a multiple of 8 (e.g. type 1 or 2 with a
 * 6-byte MAC: a source or target link-layer address). */
void frame_nd_opt(struct frame *f, uint8_t type, const void *data, size_t n);
/* A BOOTP/DHCP message after frame_udp(): op (1 request, 2 reply), DHCP
 * message type (option 53; 0 for none: plain BOOTP), client MAC; the rest
 * zero. */
void frame_dhcp(struct frame *f, uint8_t op, uint8_t msg_type, const uint8_t chaddr[6]);
/* A DHCPv6 message after frame_udp(): message type, transaction id, no
 * options. */
void frame_dhcp6(struct frame *f, uint8_t msg_type, uint32_t xid);
/* n raw bytes (a layer the builders do not know). */
void frame_bytes(struct frame *f, const void *data, size_t n);
/* n bytes: a 4-byte big-endian seq, then a pattern derived from it. */
void frame_payload(struct frame *f, size_t n, uint32_t seq);
/* n bytes of a byte stream from stream offset off (frame_stream_fill()). */
void frame_stream(struct frame *f, size_t n, uint32_t off);
/* Fill in lengths and checksums. Returns the length or f->err. */
int frame_finish(struct frame *f);
/* After finish: grow with zero padding, or cut, to exactly len bytes. */
void frame_resize(struct frame *f, size_t len);
/* Check a payload made by frame_payload(); returns its seq or -1. */
int64_t frame_payload_check(const uint8_t *p, size_t n);
/* An untagged IPv4/UDP frame of len bytes: are its IPv4 header checksum
 * and its UDP checksum (when it has one) right? */
bool frame_ip4_udp_csums_ok(const uint8_t *f, size_t len);

/*
 * A byte stream for TCP payloads: the byte at stream offset s (mod 2^32) is
 * a function of s alone, with no period shorter than 2^32, so a receiver
 * that knows where a segment lies in the stream (its sequence number) can
 * check every byte, and bytes from elsewhere in the stream do not pass.
 * Eight bytes are made (and checked) at a time: fast enough for 64 KiB
 * frames. Fill n bytes at p with the stream from off; check them: returns
 * n, or the index of the first wrong byte.
 */
void frame_stream_fill(uint8_t *p, size_t n, uint32_t off);
size_t frame_stream_check(const uint8_t *p, size_t n, uint32_t off);

/*
 * Internet checksums (RFC 1071) of frames of any length (TSO frames are
 * larger than FRAME_MAX), as sums of big-endian 16-bit words. frame_csum():
 * n bytes at p (an odd last byte padded with zero) plus sum, folded to 16
 * bits, not inverted; p must start at an even offset of the summed range.
 * frame_pseudo_sum(): the pseudo-header of l4len bytes of protocol proto
 * after the IPv4 or IPv6 header ip (ip[0] says which), unfolded. So
 * ~frame_csum(l4, l4len, frame_pseudo_sum(ip, l4len, proto)) is the
 * checksum to store (the field zero), frame_csum(NULL, 0, that sum) the
 * seed a sender that leaves the rest to a NIC stores (Linux's
 * CHECKSUM_PARTIAL, virtio-net's NEEDS_CSUM).
 */
uint16_t frame_csum(const void *p, size_t n, uint32_t sum);
uint32_t frame_pseudo_sum(const uint8_t *ip, size_t l4len, uint8_t proto);
/* An untagged IPv4 or IPv6 frame (no IPv6 extension headers, not a
 * fragment) carrying TCP or UDP, its IP length within len:
 * are its IPv4 header checksum and its L4 checksum right? (A UDP/IPv4
 * datagram without a checksum passes; one over IPv6 does not.) */
bool frame_l4_csum_ok(const uint8_t *f, size_t len);

#endif /* XVS_TOOLS_FRAME_H */
