// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the checksum and segmentation offloads (src/dp/offload.c):
 * the Internet checksum helpers against a reference written here (RFC 1071,
 * 16-bit big-endian words, nothing shared with the module), what
 * ofl_check() accepts of a guest's virtio-net header and every reason it
 * refuses one, TCP segmentation (each segment's headers built by
 * ofl_seg_hdr() and checked field by field, its seeded checksum completed
 * with the reference and verified), ofl_verify() over frames split across
 * segments with their first bytes in a separate copy, and the header a
 * receiver gets (ofl_vnet_hdr()).
 *
 * Frames are built here byte by byte, their checksums with the reference.
 * The checked copy (hdr, hcap bytes) is placed against a guard page
 * (guard.h): reading past hcap faults.
 */
#include <endian.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dp/offload.h"
#include "guard.h"
#include <xvs/parse.h>

#define HCAP 256 /* DP_HDR_COPY: what the worker copies and parses */
#define FR_MAX (OFL_MAX_LEN + 64)
#define ALL_OFL (VQ_OFL_CSUM | VQ_OFL_TSO4 | VQ_OFL_TSO6 | VQ_OFL_ECN)

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/* ---- reference checksum (RFC 1071) ---------------------------------------- */

/* Big-endian 16-bit words of p[0, n), p at an even offset of the range; an
 * odd last byte is the high half of a word padded with zero. */
static uint64_t ref_add(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* A 16-bit value the module gives in memory order, as a big-endian number. */
static uint16_t mem_be(uint16_t c)
{
	uint8_t b[2];

	memcpy(b, &c, 2);
	return rd16(b);
}

/* The pseudo-header of an L4 packet of l4len bytes after the IP header at
 * l3 (RFC 793 §3.1, RFC 8200 §8.1). */
static uint64_t ref_pseudo(const uint8_t *l3, int v, uint8_t proto, uint32_t l4len)
{
	uint64_t s;

	if (v == 6) {
		s = ref_add(0, l3 + 8, 32);
		return s + (l4len >> 16) + (l4len & 0xffff) + proto;
	}
	s = ref_add(0, l3 + 12, 8);
	return s + proto + (l4len & 0xffff);
}

/* Is the L4 checksum of the packet at l4 (l4len bytes) right? */
static bool ref_l4_ok(const uint8_t *l3, int v, uint8_t proto, const uint8_t *l4, uint32_t l4len)
{
	return ref_fold(ref_pseudo(l3, v, proto, l4len) + ref_add(0, l4, l4len)) == 0xffff;
}

static bool ref_ip4_ok(const uint8_t *l3)
{
	return ref_fold(ref_add(0, l3, (size_t)(l3[0] & 0x0f) * 4)) == 0xffff;
}

/* Fill in the checksum at l4 + field: ~sum, 0 sent as 0xffff (UDP). */
static void ref_l4_put(const uint8_t *l3, int v, uint8_t proto, uint8_t *l4, uint32_t l4len,
		       uint32_t field)
{
	uint16_t c;

	wr16(l4 + field, 0);
	c = (uint16_t)~ref_fold(ref_pseudo(l3, v, proto, l4len) + ref_add(0, l4, l4len));
	wr16(l4 + field, c ? c : 0xffff);
}

/* ---- frames ------------------------------------------------------------- */

struct fr_spec {
	int v; /* 4, 6; 0: ARP */
	bool vlan; /* one 802.1Q tag */
	uint8_t proto; /* IPPROTO_TCP, _UDP, _ICMP */
	uint32_t ip4_opt; /* bytes of IPv4 options (NOPs) */
	uint32_t ip6_ext; /* bytes of an IPv6 destination options header */
	bool frag; /* a first fragment (IPv4 MF; IPv6 a fragment header, M) */
	uint32_t tcp_opt; /* bytes of TCP options (NOPs) */
	uint32_t pay; /* payload bytes */
	uint8_t tcp_flags;
	uint32_t seq;
	uint16_t ip_id;
	bool no_csum; /* leave the L4 checksum 0 */
};

struct fr {
	uint8_t b[FR_MAX];
	uint32_t len;
	int v;
	uint8_t proto;
	uint32_t l3, l4, hlen; /* hlen: where the L4 header ends */
	bool no_csum;
};

static struct fr fa, fb; /* frames; fb: an inner one, or a segment */

static void fr_pattern(uint8_t *p, uint32_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1, i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 7);
	}
}

/* IP lengths, the IPv4 header checksum and the L4 checksum of frame f. */
static void fr_finish(struct fr *f)
{
	uint8_t *l3 = f->b + f->l3, *l4 = f->b + f->l4;
	uint32_t l4len = f->len - f->l4;

	if (f->v == 4) {
		wr16(l3 + 2, (uint16_t)(f->len - f->l3));
		wr16(l3 + 10, 0);
		wr16(l3 + 10, (uint16_t)~ref_fold(ref_add(0, l3, (size_t)(l3[0] & 0x0f) * 4)));
	} else if (f->v == 6) {
		wr16(l3 + 4, (uint16_t)(f->len - f->l3 - 40));
	}
	if (!f->v)
		return;
	if (f->proto == IPPROTO_UDP) {
		wr16(l4 + 4, (uint16_t)l4len);
		if (!f->no_csum)
			ref_l4_put(l3, f->v, IPPROTO_UDP, l4, l4len, 6);
	} else if (f->proto == IPPROTO_TCP && !f->no_csum) {
		ref_l4_put(l3, f->v, IPPROTO_TCP, l4, l4len, 16);
	}
}

static void fr_build(struct fr *f, const struct fr_spec *s)
{
	static const uint8_t dst[6] = { 0x52, 0x54, 0, 0, 0, 2 },
			     src[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	uint8_t *p = f->b, *nh = NULL;
	uint32_t at = 12, l4h;

	memset(f, 0, sizeof(*f));
	f->v = s->v;
	f->proto = s->proto;
	f->no_csum = s->no_csum;
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	if (s->vlan) {
		wr16(p + at, 0x8100);
		wr16(p + at + 2, 100);
		at += 4;
	}
	wr16(p + at, s->v == 4 ? ETH_P_IP : s->v == 6 ? ETH_P_IPV6 : ETH_P_ARP);
	at += 2;
	f->l3 = at;
	if (!s->v) { /* an ARP request */
		wr16(p + at, 1);
		wr16(p + at + 2, ETH_P_IP);
		p[at + 4] = 6;
		p[at + 5] = 4;
		wr16(p + at + 6, 1);
		f->len = at + 28;
		return;
	}
	if (s->v == 4) {
		p[at] = (uint8_t)(0x45 + s->ip4_opt / 4);
		wr16(p + at + 4, s->ip_id);
		wr16(p + at + 6, s->frag ? 0x2000 : 0x4000); /* MF, or DF */
		p[at + 8] = 64;
		p[at + 9] = s->proto;
		memcpy(p + at + 12, (uint8_t[]){ 192, 0, 2, 1 }, 4);
		memcpy(p + at + 16, (uint8_t[]){ 198, 51, 100, 7 }, 4);
		memset(p + at + 20, 1, s->ip4_opt);
		at += 20 + s->ip4_opt;
	} else {
		static const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		static const uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 2 };

		p[at] = 0x60;
		p[at + 1] = 0x0c; /* traffic class, flow label: anything */
		p[at + 3] = 0x42;
		nh = p + at + 6;
		p[at + 7] = 64;
		memcpy(p + at + 8, a, 16);
		memcpy(p + at + 24, b, 16);
		at += 40;
		if (s->ip6_ext) {
			*nh = IPPROTO_DSTOPTS;
			nh = p + at;
			p[at + 1] = (uint8_t)(s->ip6_ext / 8 - 1);
			p[at + 2] = 1; /* PadN over the rest */
			p[at + 3] = (uint8_t)(s->ip6_ext - 4);
			at += s->ip6_ext;
		}
		if (s->frag) {
			*nh = IPPROTO_FRAGMENT;
			nh = p + at;
			wr16(p + at + 2, 1); /* offset 0, M */
			wr32(p + at + 4, 0x12345678);
			at += 8;
		}
		*nh = s->proto;
	}
	f->l4 = at;
	if (s->proto == IPPROTO_TCP) {
		l4h = 20 + s->tcp_opt;
		wr16(p + at, 40000);
		wr16(p + at + 2, 443);
		wr32(p + at + 4, s->seq);
		wr32(p + at + 8, 0x01020304);
		p[at + 12] = (uint8_t)(l4h / 4 << 4);
		p[at + 13] = s->tcp_flags;
		wr16(p + at + 14, 0xfaf0);
		wr16(p + at + 18, 0x0bad); /* urgent pointer: kept as it is */
		memset(p + at + 20, 1, s->tcp_opt);
	} else if (s->proto == IPPROTO_UDP) {
		l4h = 8;
		wr16(p + at, 4789);
		wr16(p + at + 2, 4789);
	} else { /* an echo request */
		l4h = 8;
		p[at] = s->v == 6 ? 128 : 8;
		if (s->v == 6)
			*nh = IPPROTO_ICMPV6;
	}
	f->hlen = at + l4h;
	f->len = f->hlen + s->pay;
	assert_true(f->len <= FR_MAX);
	fr_pattern(p + f->hlen, s->pay, s->pay + s->tcp_flags);
	fr_finish(f);
}

static void fr_tcp(struct fr *f, int v, uint32_t tcp_opt, uint32_t pay)
{
	fr_build(f, &(struct fr_spec){ .v = v, .proto = IPPROTO_TCP, .tcp_opt = tcp_opt,
				       .pay = pay, .tcp_flags = TCP_ACK, .seq = 1000 });
}

static void fr_udp(struct fr *f, int v, uint32_t pay)
{
	fr_build(f, &(struct fr_spec){ .v = v, .proto = IPPROTO_UDP, .pay = pay });
}

/* The checked copy of f's first hcap bytes, against the guard page, parsed
 * as the worker parses it (the frame len bytes long). */
static const uint8_t *fr_copy(const struct fr *f, uint32_t hcap, uint32_t len, struct xvs_pkt *pkt)
{
	const uint8_t *hdr = against_guard(f->b, hcap);

	memset(pkt, 0, sizeof(*pkt));
	assert_int_equal(xvs_parse(hdr, hdr + hcap, len, pkt), XVS_REASON_OK);
	return hdr;
}

static struct virtio_net_hdr vh_make(uint8_t flags, uint8_t gso_type, uint16_t gso_size,
				     uint32_t start, uint32_t off)
{
	return (struct virtio_net_hdr){
		.flags = flags,
		.gso_type = gso_type,
		.hdr_len = htole16(0),
		.gso_size = htole16(gso_size),
		.csum_start = htole16((uint16_t)start),
		.csum_offset = htole16((uint16_t)off),
	};
}

/* ofl_check on f (the copy: its first min(len, HCAP) bytes, or hcap). */
static int check_hcap(const struct fr *f, const struct virtio_net_hdr *vh, uint8_t allowed,
		      uint32_t hcap, uint32_t len, struct dp_ofl *o)
{
	struct xvs_pkt pkt;
	const uint8_t *hdr = fr_copy(f, hcap, len, &pkt);

	memset(o, 0xa5, sizeof(*o));
	return ofl_check(vh, allowed, &pkt, hdr, hcap, len, o);
}

static int check(const struct fr *f, const struct virtio_net_hdr *vh, uint8_t allowed,
		 struct dp_ofl *o)
{
	return check_hcap(f, vh, allowed, f->len < HCAP ? f->len : HCAP, f->len, o);
}

static int check_csum(const struct fr *f, uint32_t start, uint32_t off, struct dp_ofl *o)
{
	struct virtio_net_hdr vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, start, off);

	return check(f, &vh, ALL_OFL, o);
}

static int check_tso(const struct fr *f, uint8_t type, uint16_t mss, uint8_t allowed,
		     struct dp_ofl *o)
{
	struct virtio_net_hdr vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, type, mss, f->l4, 16);

	return check(f, &vh, allowed, o);
}

static void assert_csum_ok(const struct dp_ofl *o, uint32_t start, uint32_t off)
{
	assert_int_equal(o->kind, OFL_CSUM);
	assert_int_equal(o->csum_start, start);
	assert_int_equal(o->csum_offset, off);
	assert_int_equal(o->gso_type, 0);
	assert_int_equal(o->gso_size, 0);
	assert_int_equal(o->nseg, 0);
}

/* ---- checksum helpers --------------------------------------------------- */

static uint8_t cbuf[70000 + 8];

/* Pieces of p[0, n) cut at i and j (i <= j), each lying at its offset in
 * the range; as one csum_add() each and as segments. */
static void csum_pieces(const uint8_t *p, uint32_t n, uint32_t i, uint32_t j, uint16_t want)
{
	struct vq_iov seg[5] = {
		{ (uint8_t *)p, i },
		{ (uint8_t *)p + i, 0 }, /* an empty segment: skipped */
		{ (uint8_t *)p + i, j - i },
		{ (uint8_t *)p + j, n - j },
		{ cbuf, 7 }, /* past n: not read */
	};
	uint64_t s;

	s = csum_add(0, p, i, 0);
	s = csum_add(s, p + i, j - i, i);
	s = csum_add(s, p + j, n - j, j);
	if (mem_be(csum_fold(s)) != want)
		fail_msg("n %u cut at %u, %u: %#x, want %#x", n, i, j, mem_be(csum_fold(s)), want);
	s = csum_add_iov(0, seg, 5, 0, n, 0);
	if (mem_be(csum_fold(s)) != want)
		fail_msg("iov: n %u cut at %u, %u: %#x, want %#x", n, i, j, mem_be(csum_fold(s)),
			 want);
}

static void csum_add_any_split(void **state)
{
	static const uint32_t lens[] = { 0,  1,  2,  3,  4,  5,  7,  8,  15,
					 16, 17, 31, 32, 33, 63, 65, 131 };
	uint32_t a, k, n, i, j;
	uint16_t want;

	(void)state;
	for (a = 0; a < 4; a++) { /* the range at every alignment */
		uint8_t *p = cbuf + a;

		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			n = lens[k];
			fr_pattern(p, n, n * 4 + a);
			want = ref_fold(ref_add(0, p, n));
			assert_int_equal(mem_be(csum_fold(csum_add(0, p, n, 0))), want);
			for (i = 0; i <= n; i++)
				for (j = i; j <= n; j++)
					csum_pieces(p, n, i, j, want);
		}
	}
}

/* csum_add_iov from `skip` on, the summed bytes `at` into the range (a
 * prefix of `at` bytes summed first). */
static void csum_add_iov_skip_at(void **state)
{
	uint8_t *p = cbuf + 1, pre[3];
	uint32_t n = 301, skip, at, c1, c2;
	uint64_t s;
	uint16_t want;

	(void)state;
	fr_pattern(p, n, 7);
	fr_pattern(pre, 3, 9);
	for (at = 0; at <= 3; at++)
		for (skip = 0; skip < 12; skip++)
			for (c1 = 0; c1 < 20; c1 += 3)
				for (c2 = c1; c2 < 40; c2 += 5) {
					struct vq_iov seg[3] = {
						{ p, c1 },
						{ p + c1, c2 - c1 },
						{ p + c2, n - c2 },
					};
					/* the last 3 bytes: not summed */
					uint32_t m = n - skip - 3;

					memcpy(cbuf + 400, pre, at);
					memcpy(cbuf + 400 + at, p + skip, m);
					want = ref_fold(ref_add(0, cbuf + 400, at + m));
					s = csum_add(0, pre, at, 0);
					s = csum_add_iov(s, seg, 3, skip, m, at);
					if (mem_be(csum_fold(s)) != want)
						fail_msg("skip %u at %u cuts %u %u: %#x, want %#x",
							 skip, at, c1, c2, mem_be(csum_fold(s)),
							 want);
				}
}

/* Every carry: 64 KiB of 0xff, and a large random range cut at odd places. */
static void csum_add_large(void **state)
{
	uint32_t n = 70000, i;
	uint64_t s;

	(void)state;
	memset(cbuf, 0xff, 65535);
	assert_int_equal(mem_be(csum_fold(csum_add(0, cbuf, 65535, 0))),
			 ref_fold(ref_add(0, cbuf, 65535)));
	/* the same bytes one into the range: the reference over a zero first */
	cbuf[0] = 0;
	memset(cbuf + 1, 0xff, 65535);
	assert_int_equal(mem_be(csum_fold(csum_add(0, cbuf + 1, 65535, 1))),
			 ref_fold(ref_add(0, cbuf, 65536)));
	assert_int_not_equal(ref_fold(ref_add(0, cbuf, 65536)),
			     ref_fold(ref_add(0, cbuf + 1, 65535)));
	fr_pattern(cbuf, n, 3);
	for (i = 1; i < n; i += 4097) {
		s = csum_add(0, cbuf, i, 0);
		s = csum_add(s, cbuf + i, n - i, i);
		assert_int_equal(mem_be(csum_fold(s)), ref_fold(ref_add(0, cbuf, n)));
	}
	/* a running sum carried in: many ranges, at even and odd places
	 * (the reference for an odd one: a zero byte in front) */
	memmove(cbuf + 1, cbuf, n);
	cbuf[0] = 0;
	s = 0;
	for (i = 0; i < 100; i++)
		s = csum_add(s, cbuf + 1, n, i & 1);
	assert_int_equal(mem_be(csum_fold(s)),
			 ref_fold(50 * ref_add(0, cbuf + 1, n) + 50 * ref_add(0, cbuf, n + 1)));
}

static void csum_final_never_zero(void **state)
{
	static const uint8_t ones[2] = { 0xff, 0xff }, w[2] = { 0x12, 0x34 };
	uint16_t c;

	(void)state;
	/* the sum is 0xffff: ~ is 0, sent as 0xffff */
	assert_int_equal(mem_be(csum_final(csum_add(0, ones, 2, 0))), 0xffff);
	assert_int_equal(mem_be(csum_final(0)), 0xffff);
	c = csum_final(csum_add(0, w, 2, 0));
	assert_int_equal(mem_be(c), 0xedcb);
	csum_put(cbuf, c);
	assert_int_equal(cbuf[0], 0xed);
	assert_int_equal(cbuf[1], 0xcb);
}

/* ---- ofl_check: accepted ------------------------------------------------ */

static void check_nothing_asked(void **state)
{
	struct virtio_net_hdr vh = vh_make(0, 0, 1448, 34, 16);
	struct dp_ofl o;

	(void)state;
	fr_tcp(&fa, 4, 0, 100);
	assert_int_equal(check(&fa, &vh, 0, &o), OFL_E_OK);
	assert_int_equal(o.kind, OFL_NONE);
	/* DATA_VALID means nothing on TX */
	vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	assert_int_equal(check(&fa, &vh, 0, &o), OFL_E_OK);
	assert_int_equal(o.kind, OFL_NONE);
	assert_int_equal(o.csum_start, 0);
	/* nothing asked of a frame that is not IP either */
	fr_build(&fb, &(struct fr_spec){ .v = 0 });
	vh = vh_make(0, 0, 0, 0, 0);
	assert_int_equal(check(&fb, &vh, ALL_OFL, &o), OFL_E_OK);
	assert_int_equal(o.kind, OFL_NONE);
}

static void check_csum_l4(void **state)
{
	struct dp_ofl o;
	int v;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		fr_tcp(&fa, v, 12, 1000);
		assert_int_equal(check_csum(&fa, fa.l4, 16, &o), OFL_E_OK);
		assert_csum_ok(&o, fa.l4, 16);
		fr_udp(&fa, v, 1000);
		assert_int_equal(check_csum(&fa, fa.l4, 6, &o), OFL_E_OK);
		assert_csum_ok(&o, fa.l4, 6);
		/* a checksum over the payload only (start past the header) */
		assert_int_equal(check_csum(&fa, fa.hlen, 20, &o), OFL_E_OK);
		assert_csum_ok(&o, fa.hlen, 20);
	}
	/* IPv6 with an extension header, IPv4 with options */
	fr_build(&fa, &(struct fr_spec){ .v = 6, .ip6_ext = 16, .proto = IPPROTO_TCP, .pay = 10 });
	assert_int_equal(check_csum(&fa, 14 + 40 + 16, 16, &o), OFL_E_OK);
	assert_csum_ok(&o, 70, 16);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .ip4_opt = 8, .proto = IPPROTO_UDP, .pay = 10 });
	assert_int_equal(check_csum(&fa, 14 + 28, 6, &o), OFL_E_OK);
	assert_csum_ok(&o, 42, 6);
	/* VLAN-tagged: the offsets count the tag */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .vlan = true, .proto = IPPROTO_TCP, .pay = 10 });
	assert_int_equal(check_csum(&fa, 18 + 20, 16, &o), OFL_E_OK);
	assert_csum_ok(&o, 38, 16);
}

/* A VXLAN packet whose inner TCP checksum is the one to complete. */
static void check_csum_in_tunnel(void **state)
{
	uint32_t inner_l4, vx = 8;
	struct virtio_net_hdr vh;
	struct dp_ofl o;

	(void)state;
	fr_tcp(&fb, 4, 0, 200);
	fr_udp(&fa, 4, vx + fb.len);
	memset(fa.b + fa.hlen, 0, vx);
	fa.b[fa.hlen] = 0x08;
	memcpy(fa.b + fa.hlen + vx, fb.b, fb.len);
	fr_finish(&fa);
	inner_l4 = fa.hlen + vx + fb.l4;
	assert_int_equal(check_csum(&fa, inner_l4, 16, &o), OFL_E_OK);
	assert_csum_ok(&o, inner_l4, 16);
	/* the inner checksum field the last two bytes of the copy */
	vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, inner_l4, 16);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, inner_l4 + 18, fa.len, &o), OFL_E_OK);
	assert_csum_ok(&o, inner_l4, 16);
	/* one byte short of it: refused */
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, inner_l4 + 17, fa.len, &o), OFL_E_CSUM);
}

static void check_tso_fields(const struct fr *f, const struct dp_ofl *o, uint8_t type,
			     uint16_t mss, uint16_t nseg)
{
	assert_int_equal(o->kind, OFL_TSO);
	assert_int_equal(o->gso_type, type);
	assert_int_equal(o->csum_start, f->l4);
	assert_int_equal(o->csum_offset, 16);
	assert_int_equal(o->hlen, f->hlen);
	assert_int_equal(o->gso_size, mss);
	assert_int_equal(o->nseg, nseg);
	assert_int_equal(o->l3_off, f->l3);
}

static void check_tso_accepted(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6,
		      ecn = VIRTIO_NET_HDR_GSO_ECN;
	struct dp_ofl o;

	(void)state;
	fr_tcp(&fa, 4, 12, 10000);
	assert_int_equal(check_tso(&fa, v4, 1448, VQ_OFL_CSUM | VQ_OFL_TSO4, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v4, 1448, 7);
	assert_int_equal(check_tso(&fa, v4 | ecn, 1448, ALL_OFL, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v4 | ecn, 1448, 7);
	fr_tcp(&fa, 6, 12, 10000);
	assert_int_equal(check_tso(&fa, v6, 1000, VQ_OFL_CSUM | VQ_OFL_TSO6, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v6, 1000, 10);
	assert_int_equal(check_tso(&fa, v6 | ecn, 999, ALL_OFL, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v6 | ecn, 999, 11);
	/* no payload: one segment */
	fr_tcp(&fa, 4, 0, 0);
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v4, 1448, 1);
	/* IPv6 with an extension header: in the headers, not the payload */
	fr_build(&fa, &(struct fr_spec){ .v = 6, .ip6_ext = 8, .proto = IPPROTO_TCP, .pay = 3000 });
	assert_int_equal(check_tso(&fa, v6, 1440, ALL_OFL, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v6, 1440, 3);
	assert_int_equal(o.hlen, 14 + 40 + 8 + 20);
}

/* ---- ofl_check: refused ------------------------------------------------- */

static void refuse_not_negotiated(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6,
		      ecn = VIRTIO_NET_HDR_GSO_ECN;
	struct virtio_net_hdr vh;
	struct dp_ofl o;

	(void)state;
	fr_tcp(&fa, 4, 0, 3000);
	vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, fa.l4, 16);
	assert_int_equal(check(&fa, &vh, ALL_OFL & ~VQ_OFL_CSUM, &o), OFL_E_NOT_NEGOTIATED);
	assert_int_equal(check_tso(&fa, v4, 1448, VQ_OFL_CSUM | VQ_OFL_TSO6 | VQ_OFL_ECN, &o),
			 OFL_E_NOT_NEGOTIATED);
	assert_int_equal(
		check_tso(&fa, v4 | ecn, 1448, VQ_OFL_CSUM | VQ_OFL_TSO4 | VQ_OFL_TSO6, &o),
		OFL_E_NOT_NEGOTIATED);
	assert_int_equal(o.kind, OFL_NONE);
	fr_tcp(&fa, 6, 0, 3000);
	assert_int_equal(check_tso(&fa, v6, 1448, VQ_OFL_CSUM | VQ_OFL_TSO4 | VQ_OFL_ECN, &o),
			 OFL_E_NOT_NEGOTIATED);
	assert_int_equal(check_tso(&fa, v6 | ecn, 1448, VQ_OFL_CSUM | VQ_OFL_TSO6, &o),
			 OFL_E_NOT_NEGOTIATED);
	assert_int_equal(check_tso(&fa, v6, 1448, 0, &o), OFL_E_NOT_NEGOTIATED);
}

static void refuse_gso_type(void **state)
{
	/* UFO, USO (5: VIRTIO_NET_HDR_GSO_UDP_L4), numbers no type has */
	static const uint8_t types[] = { VIRTIO_NET_HDR_GSO_UDP, 2, 5, 6,
					 0x7f, VIRTIO_NET_HDR_GSO_UDP | VIRTIO_NET_HDR_GSO_ECN,
					 VIRTIO_NET_HDR_GSO_ECN };
	struct virtio_net_hdr vh;
	struct dp_ofl o;
	size_t i;

	(void)state;
	fr_udp(&fa, 4, 3000);
	fr_tcp(&fb, 4, 0, 3000);
	for (i = 0; i < sizeof(types); i++) {
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, types[i], 1448, fa.l4, 6);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_GSO_TYPE);
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, types[i], 1448, fb.l4, 16);
		assert_int_equal(check(&fb, &vh, ALL_OFL, &o), OFL_E_GSO_TYPE);
		assert_int_equal(o.kind, OFL_NONE);
	}
	/* ECN alone, without NEEDS_CSUM either */
	vh = vh_make(0, VIRTIO_NET_HDR_GSO_ECN, 0, 0, 0);
	assert_int_equal(check(&fb, &vh, ALL_OFL, &o), OFL_E_GSO_TYPE);
}

static void refuse_tso_headers(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	struct virtio_net_hdr vh;
	struct dp_ofl o;

	(void)state;
	/* the IP version is not the one gso_type says */
	fr_tcp(&fa, 6, 0, 3000);
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	fr_tcp(&fa, 4, 0, 3000);
	assert_int_equal(check_tso(&fa, v6, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	/* not TCP */
	fr_udp(&fa, 4, 3000);
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	fr_udp(&fa, 6, 3000);
	assert_int_equal(check_tso(&fa, v6, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_ICMP, .pay = 3000 });
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	fr_build(&fa, &(struct fr_spec){ .v = 0 });
	vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, v4, 1448, 34, 16);
	assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_HEADERS);
	/* fragments */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .frag = true, .proto = IPPROTO_TCP, .pay = 3000 });
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .frag = true, .proto = IPPROTO_TCP, .pay = 3000 });
	assert_int_equal(check_tso(&fa, v6, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	/* VLAN-tagged */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .vlan = true, .proto = IPPROTO_TCP, .pay = 3000 });
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .vlan = true, .proto = IPPROTO_TCP, .pay = 3000 });
	assert_int_equal(check_tso(&fa, v6, 1448, ALL_OFL, &o), OFL_E_HEADERS);
	/* the TCP options past the copy (the fixed header in it) */
	fr_tcp(&fa, 4, 20, 3000);
	vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, v4, 1448, fa.l4, 16);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, fa.hlen - 1, fa.len, &o), OFL_E_HEADERS);
	assert_int_equal(o.kind, OFL_NONE);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, fa.hlen, fa.len, &o), OFL_E_OK);
	check_tso_fields(&fa, &o, v4, 1448, 3);
}

static void refuse_tso_csum(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	struct virtio_net_hdr vh;
	struct dp_ofl o;
	int v;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		uint8_t t = v == 4 ? v4 : v6;

		fr_tcp(&fa, v, 12, 3000);
		vh = vh_make(0, t, 1448, fa.l4, 16); /* no NEEDS_CSUM */
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, t, 1448, fa.l4 + 4, 12);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, t, 1448, fa.l4 - 4, 20);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, t, 1448, fa.l4, 6);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, t, 1448, fa.hlen, 16);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
		assert_int_equal(o.kind, OFL_NONE);
	}
}

static void refuse_csum_place(void **state)
{
	struct virtio_net_hdr vh;
	struct dp_ofl o;
	uint32_t off;
	int v;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		fr_tcp(&fa, v, 0, 1000);
		/* over the ports, the sequence number, the flags: anything but the
		 * checksum field within the header */
		for (off = 0; off + 2 <= 20; off++) {
			if (off == 16)
				continue;
			if (check_csum(&fa, fa.l4, off, &o) != OFL_E_CSUM)
				fail_msg("TCPv%d csum at l4 + %u accepted", v, off);
			assert_int_equal(o.kind, OFL_NONE);
		}
		/* starting inside the header (not at it), or in the IP header */
		assert_int_equal(check_csum(&fa, fa.l4 + 2, 14, &o), OFL_E_CSUM);
		assert_int_equal(check_csum(&fa, fa.l4 + 19, 0, &o), OFL_E_CSUM);
		assert_int_equal(check_csum(&fa, fa.l3, v == 4 ? 10 : 0, &o), OFL_E_CSUM);
		assert_int_equal(check_csum(&fa, 0, fa.l4 + 16, &o), OFL_E_CSUM);
		/* the field out of the frame: its last 2 bytes are the last that fit */
		fr_tcp(&fa, v, 0, 100);
		assert_int_equal(check_csum(&fa, fa.hlen, 98, &o), OFL_E_OK);
		assert_int_equal(check_csum(&fa, fa.hlen, 99, &o), OFL_E_CSUM);
		assert_int_equal(check_csum(&fa, fa.hlen, 0xffff, &o), OFL_E_CSUM);
		assert_int_equal(check_csum(&fa, 0xffff, 0xffff, &o), OFL_E_CSUM);
		assert_int_equal(check_csum(&fa, fa.len, 0, &o), OFL_E_CSUM);

		fr_udp(&fa, v, 1000);
		for (off = 0; off + 2 <= 8; off++) {
			if (off == 6)
				continue;
			if (check_csum(&fa, fa.l4, off, &o) != OFL_E_CSUM)
				fail_msg("UDPv%d csum at l4 + %u accepted", v, off);
		}
		assert_int_equal(check_csum(&fa, fa.l4, 16, &o), OFL_E_CSUM); /* TCP's place */
		assert_int_equal(check_csum(&fa, fa.l4 + 4, 2, &o), OFL_E_CSUM);
		/* in the frame, past the copy: refused; the copy's last bytes: fine */
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, fa.hlen, 100);
		assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, fa.hlen + 102, fa.len, &o),
				 OFL_E_OK);
		assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, fa.hlen + 101, fa.len, &o),
				 OFL_E_CSUM);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_OK);
		vh.csum_offset = htole16(HCAP - fa.hlen - 1);
		assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
	}
}

static void refuse_csum_headers(void **state)
{
	struct virtio_net_hdr vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 14, 6);
	struct dp_ofl o;

	(void)state;
	fr_build(&fa, &(struct fr_spec){ .v = 0 });
	assert_int_equal(check(&fa, &vh, ALL_OFL, &o), OFL_E_CSUM);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_ICMP, .pay = 100 });
	assert_int_equal(check_csum(&fa, fa.l4, 2, &o), OFL_E_CSUM);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .proto = IPPROTO_ICMP, .pay = 100 });
	assert_int_equal(check_csum(&fa, fa.l4, 2, &o), OFL_E_CSUM);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .frag = true, .proto = IPPROTO_UDP, .pay = 100 });
	assert_int_equal(check_csum(&fa, fa.l4, 6, &o), OFL_E_CSUM);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .frag = true, .proto = IPPROTO_TCP, .pay = 100 });
	assert_int_equal(check_csum(&fa, fa.l4, 16, &o), OFL_E_CSUM);
	assert_int_equal(o.kind, OFL_NONE);
}

static void refuse_tso_size(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	struct virtio_net_hdr vh;
	struct dp_ofl o;
	int v;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		uint8_t t = v == 4 ? v4 : v6;

		fr_tcp(&fa, v, 0, 25600);
		assert_int_equal(check_tso(&fa, t, 0, ALL_OFL, &o), OFL_E_SIZE);
		assert_int_equal(o.kind, OFL_NONE);
		/* 256 segments of 100 bytes; one more byte makes 257 */
		assert_int_equal(check_tso(&fa, t, 100, ALL_OFL, &o), OFL_E_OK);
		assert_int_equal(o.nseg, OFL_MAX_SEGS);
		assert_int_equal(check_tso(&fa, t, 99, ALL_OFL, &o), OFL_E_SIZE);
		fr_tcp(&fa, v, 0, 25601);
		assert_int_equal(check_tso(&fa, t, 100, ALL_OFL, &o), OFL_E_SIZE);
		assert_int_equal(check_tso(&fa, t, 1, ALL_OFL, &o), OFL_E_SIZE);
		assert_int_equal(o.kind, OFL_NONE);
	}
	/* IPv6: the largest frame (a 65535-byte payload length) and one more */
	fr_tcp(&fa, 6, 0, 65535 - 20);
	assert_int_equal(fa.len, OFL_MAX_LEN);
	assert_int_equal(check_tso(&fa, v6, 1448, ALL_OFL, &o), OFL_E_OK);
	assert_int_equal(o.nseg, 46);
	vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, v6, 1448, fa.l4, 16);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, HCAP, OFL_MAX_LEN + 1, &o), OFL_E_SIZE);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, HCAP, 0xffffffffu, &o), OFL_E_SIZE);
	/* IPv4: the largest IPv4 packet, 65535 bytes */
	fr_tcp(&fa, 4, 0, 65535 - 40);
	assert_int_equal(check_tso(&fa, v4, 65495, ALL_OFL, &o), OFL_E_OK);
	assert_int_equal(o.nseg, 1);
	/* a byte more than that (the frame longer than its IP packet) */
	vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, v4, 1448, fa.l4, 16);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, HCAP, fa.len + 1, &o), OFL_E_SIZE);
	assert_int_equal(check_hcap(&fa, &vh, ALL_OFL, HCAP, OFL_MAX_LEN, &o), OFL_E_SIZE);
}

/*
 * An IPv4 TSO frame longer than an IPv4 packet can be (its length field
 * 16 bits, the IPv4 header inside it): the frame has more bytes than its
 * IP header says (the parser allows that: Ethernet padding). What ofl_check
 * accepts, every segment of it must be representable: the segment's IPv4
 * total length is hlen - l3_off + payload and must fit 16 bits.
 */
static void tso4_segment_length_fits(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4;
	struct virtio_net_hdr vh;
	static uint8_t out[HCAP];
	uint32_t lens[] = { 14 + 65535 + 1, OFL_MAX_LEN }, i, k, plen;
	uint16_t mss[] = { 65535, 65500 };
	struct dp_ofl o;
	int r;

	(void)state;
	fr_tcp(&fa, 4, 0, 1000); /* IPv4 total length 1040; the frame longer */
	for (i = 0; i < 2; i++) {
		vh = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, v4, mss[i], fa.l4, 16);
		r = check_hcap(&fa, &vh, ALL_OFL, HCAP, lens[i], &o);
		if (r == OFL_E_SIZE)
			continue;
		assert_int_equal(r, OFL_E_OK);
		for (k = 0; k < o.nseg; k++) {
			plen = ofl_seg_hdr(&o, fa.b, lens[i], k, out);
			if (o.hlen - o.l3_off + plen != rd16(out + o.l3_off + 2))
				fail_msg("frame of %u bytes, MSS %u: segment %u has %u bytes of IP "
					 "packet, its total length says %u",
					 lens[i], mss[i], k, o.hlen - o.l3_off + plen,
					 rd16(out + o.l3_off + 2));
		}
	}
}

/* ---- segmentation ------------------------------------------------------- */

static uint8_t seg[HCAP + 70000];

/* ofl_verify of the segment in seg, seglen bytes long. */
static int seg_verify(uint32_t seglen)
{
	uint32_t hcap = seglen < HCAP ? seglen : HCAP;
	struct vq_iov iov = { seg, seglen };
	struct xvs_pkt pkt = { 0 };

	assert_int_equal(xvs_parse(seg, seg + hcap, seglen, &pkt), XVS_REASON_OK);
	return ofl_verify(&pkt, seg, hcap, &iov, 1, 0, seglen);
}

/*
 * Frame f as a TSO frame of MSS mss: every segment's headers from
 * ofl_seg_hdr(), its payload appended, then checked against f: lengths, IP
 * IDs (from id0, wrapping), the IPv4 header checksum, sequence numbers,
 * flags, the seeded checksum (the pseudo-header's sum) and, once completed
 * with the reference, a valid TCP checksum. The other bytes as in f.
 */
static void segment_all(const struct fr *f, uint8_t type, uint16_t mss, uint32_t nseg_want)
{
	const uint8_t *l3f = f->b + f->l3, *l4f = f->b + f->l4;
	uint32_t pay = f->len - f->hlen, total = 0, k, plen, i, ihl = 0;
	uint32_t seq0 = rd32(l4f + 4), seglen, l4len;
	uint8_t flags0 = l4f[13], *l3 = seg + f->l3, *l4 = seg + f->l4, want_flags;
	uint16_t id0 = f->v == 4 ? rd16(l3f + 4) : 0, seed;
	struct dp_ofl o;

	assert_int_equal(check_tso(f, type, mss, ALL_OFL, &o), OFL_E_OK);
	assert_int_equal(o.nseg, nseg_want);
	if (f->v == 4)
		ihl = (uint32_t)(l3f[0] & 0x0f) * 4;
	for (k = 0; k < o.nseg; k++) {
		memset(seg, 0xee, sizeof(seg));
		plen = ofl_seg_hdr(&o, f->b, f->len, k, seg);
		assert_int_equal(plen, ofl_seg_len(&o, f->len, k));
		if (k + 1 < o.nseg)
			assert_int_equal(plen, mss);
		else
			assert_int_equal(plen, pay - k * mss); /* the rest */
		assert_true(plen <= mss);
		assert_int_equal(seg[f->hlen], 0xee); /* nothing written past the headers */
		total += plen;
		memcpy(seg + f->hlen, f->b + f->hlen + k * mss, plen);
		seglen = f->hlen + plen;
		l4len = seglen - f->l4;

		/* L2 and the IP header */
		assert_memory_equal(seg, f->b, f->l3);
		if (f->v == 4) {
			assert_int_equal(rd16(l3 + 2), seglen - f->l3);
			assert_int_equal(rd16(l3 + 4), (uint16_t)(id0 + k));
			assert_true(ref_ip4_ok(l3));
			assert_memory_equal(l3, l3f, 2);
			assert_memory_equal(l3 + 6, l3f + 6, 4);
			assert_memory_equal(l3 + 12, l3f + 12, ihl - 12);
		} else {
			assert_int_equal(rd16(l3 + 4), seglen - f->l3 - 40);
			assert_memory_equal(l3, l3f, 4);
			assert_memory_equal(l3 + 6, l3f + 6, f->l4 - f->l3 - 6);
		}
		/* TCP */
		assert_memory_equal(l4, l4f, 4);
		assert_int_equal(rd32(l4 + 4), (uint32_t)(seq0 + k * mss));
		assert_memory_equal(l4 + 8, l4f + 8, 5);
		want_flags = flags0;
		if (k + 1 < o.nseg)
			want_flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (k)
			want_flags &= (uint8_t)~TCP_CWR;
		assert_int_equal(l4[13], want_flags);
		assert_memory_equal(l4 + 14, l4f + 14, 2);
		assert_memory_equal(l4 + 18, l4f + 18, f->hlen - f->l4 - 18);
		/* the seed: the pseudo-header sum, not inverted (NEEDS_CSUM) */
		seed = rd16(l4 + 16);
		assert_int_equal(seed, ref_fold(ref_pseudo(l3, f->v, IPPROTO_TCP, l4len)));
		/* completed over the segment as a receiver would: valid */
		wr16(l4 + 16, (uint16_t)~ref_fold(ref_add(0, l4, l4len)));
		if (!ref_l4_ok(l3, f->v, IPPROTO_TCP, l4, l4len))
			fail_msg("segment %u: TCP checksum invalid once completed", k);
		assert_int_equal(seg_verify(seglen), OFL_VALID);
		for (i = 0; i < plen; i += 997) /* the payload is the frame's */
			assert_int_equal(seg[f->hlen + i], f->b[f->hlen + k * mss + i]);
	}
	assert_int_equal(total, pay);
	assert_int_equal(ofl_seg_len(&o, f->len, o.nseg), 0);
}

static const uint8_t all_flags = TCP_FIN | TCP_PSH | TCP_CWR | TCP_ACK;

static void segment_tcp4(void **state)
{
	(void)state;
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_TCP, .tcp_opt = 12,
					 .pay = 10000, .tcp_flags = all_flags,
					 .seq = 0xfffff000u, .ip_id = 0xfffe });
	assert_int_equal(fa.hlen, 14 + 20 + 32);
	segment_all(&fa, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448, 7);
	segment_all(&fa, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 7);
}

static void segment_tcp6(void **state)
{
	(void)state;
	fr_build(&fa, &(struct fr_spec){ .v = 6, .proto = IPPROTO_TCP, .tcp_opt = 12,
					 .pay = 10000, .tcp_flags = all_flags,
					 .seq = 0xfffff000u });
	assert_int_equal(fa.hlen, 14 + 40 + 32);
	segment_all(&fa, VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 1428, 8);
	/* with an extension header */
	fr_build(&fa, &(struct fr_spec){ .v = 6, .ip6_ext = 24, .proto = IPPROTO_TCP,
					 .tcp_opt = 12, .pay = 10000, .tcp_flags = all_flags,
					 .seq = 7 });
	segment_all(&fa, VIRTIO_NET_HDR_GSO_TCPV6, 1404, 8);
}

/* IPv4 options; a payload a multiple of the MSS; no payload; odd MSS. */
static void segment_edges(void **state)
{
	const uint8_t v4 = VIRTIO_NET_HDR_GSO_TCPV4, v6 = VIRTIO_NET_HDR_GSO_TCPV6;
	uint8_t out[HCAP];
	struct dp_ofl o;

	(void)state;
	fr_build(&fa, &(struct fr_spec){ .v = 4, .ip4_opt = 12, .proto = IPPROTO_TCP, .tcp_opt = 8,
					 .pay = 5000, .tcp_flags = all_flags, .seq = 1,
					 .ip_id = 0x8000 });
	segment_all(&fa, v4, 1337, 4);
	segment_all(&fa, v4, 5000, 1);
	segment_all(&fa, v4, 4999, 2);
	segment_all(&fa, v4, 65535, 1);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_TCP, .pay = 4 * 1448,
					 .tcp_flags = all_flags, .ip_id = 0xffff });
	segment_all(&fa, v4, 1448, 4);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .proto = IPPROTO_TCP, .pay = 3 * 1440,
					 .tcp_flags = all_flags });
	segment_all(&fa, v6, 1440, 3);
	/* no payload: one segment, flags all kept, lengths those of the headers */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_TCP, .tcp_opt = 12,
					 .tcp_flags = all_flags, .seq = 99, .ip_id = 5 });
	segment_all(&fa, v4, 1448, 1);
	assert_int_equal(check_tso(&fa, v4, 1448, ALL_OFL, &o), OFL_E_OK);
	assert_int_equal(ofl_seg_hdr(&o, fa.b, fa.len, 0, out), 0);
	assert_int_equal(rd16(out + 14 + 2), 20 + 32);
	assert_int_equal(out[14 + 20 + 13], all_flags);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .proto = IPPROTO_TCP, .tcp_flags = all_flags });
	segment_all(&fa, v6, 1448, 1);
	/* 256 one-byte segments */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_TCP, .pay = 256,
					 .tcp_flags = all_flags, .ip_id = 0xff80 });
	segment_all(&fa, v4, 1, 256);
}

/* ---- ofl_verify --------------------------------------------------------- */

#define VSKIP 12 /* a virtio-net header in front of the frame */

/* The frame behind a VSKIP-byte header, in separate heap buffers cut at
 * c1 and c2 (offsets into header + frame; 0 < c1 <= c2). */
struct chain {
	struct vq_iov seg[3];
	int nseg;
};

static void chain_make(struct chain *c, const struct fr *f, uint32_t c1, uint32_t c2)
{
	uint32_t cut[4] = { 0, c1, c2, VSKIP + f->len }, i;

	c->nseg = 0;
	for (i = 0; i < 3; i++) {
		uint32_t n = cut[i + 1] - cut[i];
		uint8_t *p = malloc(n ? n : 1);

		assert_non_null(p);
		for (uint32_t b = 0; b < n; b++) {
			uint32_t at = cut[i] + b;

			p[b] = at < VSKIP ? 0x5a : f->b[at - VSKIP];
		}
		c->seg[c->nseg++] = (struct vq_iov){ p, n };
	}
}

static void chain_free(struct chain *c)
{
	for (int i = 0; i < c->nseg; i++)
		free(c->seg[i].base);
}

/* ofl_verify of f: the copy its first hcap bytes, the frame in 3 pieces. */
static int verify_cut(const struct fr *f, uint32_t hcap, uint32_t c1, uint32_t c2)
{
	struct xvs_pkt pkt;
	const uint8_t *hdr;
	struct chain c;
	int r;

	if (hcap > f->len)
		hcap = f->len;
	hdr = fr_copy(f, hcap, f->len, &pkt);
	chain_make(&c, f, c1, c2);
	r = ofl_verify(&pkt, hdr, hcap, c.seg, c.nseg, VSKIP, f->len);
	chain_free(&c);
	return r;
}

static int verify(const struct fr *f, uint32_t hcap)
{
	return verify_cut(f, hcap, VSKIP + f->len / 3 + 1, VSKIP + f->len / 2 + 1);
}

static void verify_valid(void **state)
{
	uint32_t hcap, c1;
	int v;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		fr_tcp(&fa, v, 12, 3001);
		assert_int_equal(verify(&fa, HCAP), OFL_VALID);
		fr_udp(&fa, v, 3000);
		assert_int_equal(verify(&fa, HCAP), OFL_VALID);
		/* the copy the whole frame */
		fr_udp(&fa, v, 100);
		assert_int_equal(verify(&fa, fa.len), OFL_VALID);
		/* the copy every length from the L4 header on, cut anywhere */
		fr_tcp(&fa, v, 4, 301);
		for (hcap = fa.l4 + 20; hcap <= fa.len; hcap += 7)
			for (c1 = 1; c1 < VSKIP + fa.len; c1 += 13)
				if (verify_cut(&fa, hcap, c1,
					       c1 + (hcap & 15) < VSKIP + fa.len ?
						       c1 + (hcap & 15) :
						       VSKIP + fa.len) != OFL_VALID)
					fail_msg("TCPv%d hcap %u cut %u: not valid", v, hcap, c1);
	}
	fr_build(&fa, &(struct fr_spec){ .v = 4, .ip4_opt = 4, .proto = IPPROTO_UDP, .pay = 777 });
	assert_int_equal(verify(&fa, HCAP), OFL_VALID);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .ip6_ext = 8, .proto = IPPROTO_TCP, .pay = 777 });
	assert_int_equal(verify(&fa, HCAP), OFL_VALID);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .vlan = true, .proto = IPPROTO_TCP, .pay = 777 });
	assert_int_equal(verify(&fa, HCAP), OFL_VALID);
}

static void verify_bad(void **state)
{
	uint32_t at;
	int v;

	(void)state;
	for (v = 4; v <= 6; v += 2) {
		fr_tcp(&fa, v, 0, 3000);
		for (at = fa.l4; at < fa.len; at += 211) {
			fa.b[at] ^= 0x01;
			if (verify(&fa, HCAP) != OFL_BAD)
				fail_msg("TCPv%d byte %u flipped: not bad", v, at);
			fa.b[at] ^= 0x01;
		}
		fa.b[fa.len - 1] ^= 0x80; /* the last byte, an odd one */
		assert_int_equal(verify(&fa, HCAP), OFL_BAD);
		fr_udp(&fa, v, 3000);
		fa.b[2000] ^= 0x10;
		assert_int_equal(verify(&fa, HCAP), OFL_BAD);
		fa.b[2000] ^= 0x10;
		fa.b[fa.l4 + 1] ^= 0x10; /* a port, in the copy */
		assert_int_equal(verify(&fa, HCAP), OFL_BAD);
		/* an address in the pseudo-header */
		fr_udp(&fa, v, 300);
		fa.b[fa.l3 + (v == 4 ? 15 : 23)] ^= 0x04;
		if (v == 4) { /* keep the IP header checksum right: not what is checked */
			wr16(fa.b + fa.l3 + 10, 0);
			wr16(fa.b + fa.l3 + 10,
			     (uint16_t)~ref_fold(ref_add(0, fa.b + fa.l3, 20)));
		}
		assert_int_equal(verify(&fa, HCAP), OFL_BAD);
	}
	/* UDP over IPv6 must have one (RFC 8200 §8.1): 0 is wrong */
	fr_build(&fa, &(struct fr_spec){ .v = 6, .proto = IPPROTO_UDP, .pay = 100,
					 .no_csum = true });
	assert_int_equal(verify(&fa, HCAP), OFL_BAD);
}

/* The first hcap bytes are the copy's: what the chain has there is not
 * what is sent, and not what is summed. */
static void verify_uses_copy(void **state)
{
	struct xvs_pkt pkt;
	const uint8_t *hdr;
	struct chain c;
	uint32_t hcap = 100;

	(void)state;
	fr_tcp(&fa, 4, 0, 3000);
	hdr = fr_copy(&fa, hcap, fa.len, &pkt);
	chain_make(&c, &fa, VSKIP + 50, VSKIP + 1000);
	c.seg[1].base[hcap - 50 - 1] ^= 0xff; /* frame byte hcap - 1, in the chain only */
	c.seg[0].base[VSKIP + 40] ^= 0xff;
	assert_int_equal(ofl_verify(&pkt, hdr, hcap, c.seg, c.nseg, VSKIP, fa.len), OFL_VALID);
	c.seg[1].base[hcap - 50] ^= 0xff; /* frame byte hcap: summed from the chain */
	assert_int_equal(ofl_verify(&pkt, hdr, hcap, c.seg, c.nseg, VSKIP, fa.len), OFL_BAD);
	chain_free(&c);
}

static void verify_none(void **state)
{
	(void)state;
	/* UDP over IPv4 sent without a checksum */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_UDP, .pay = 100,
					 .no_csum = true });
	assert_int_equal(rd16(fa.b + fa.l4 + 6), 0);
	assert_int_equal(verify(&fa, HCAP), OFL_NONE);
	fr_build(&fa, &(struct fr_spec){ .v = 0 });
	assert_int_equal(verify(&fa, fa.len), OFL_NONE);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_ICMP, .pay = 100 });
	assert_int_equal(verify(&fa, HCAP), OFL_NONE);
	fr_build(&fa, &(struct fr_spec){ .v = 4, .frag = true, .proto = IPPROTO_UDP, .pay = 100 });
	assert_int_equal(verify(&fa, HCAP), OFL_NONE);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .frag = true, .proto = IPPROTO_TCP, .pay = 100 });
	assert_int_equal(verify(&fa, HCAP), OFL_NONE);
	/* a later fragment: no L4 header */
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_UDP, .pay = 100 });
	wr16(fa.b + fa.l3 + 6, 0x0010);
	fr_finish(&fa);
	assert_int_equal(verify(&fa, HCAP), OFL_NONE);
}

/* A UDP checksum that computes to 0 is sent as 0xffff: valid. Ethernet
 * padding past the IP packet is not summed. */
static void verify_edges(void **state)
{
	uint16_t c;

	(void)state;
	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_UDP, .pay = 20 });
	/* make the sum over everything but two payload bytes plus those bytes
	 * come to 0xffff: the checksum field computes to 0 */
	wr16(fa.b + fa.l4 + 6, 0);
	wr16(fa.b + fa.len - 2, 0);
	c = ref_fold(ref_pseudo(fa.b + fa.l3, 4, IPPROTO_UDP, fa.len - fa.l4) +
		     ref_add(0, fa.b + fa.l4, fa.len - fa.l4));
	wr16(fa.b + fa.len - 2, (uint16_t)~c);
	assert_int_equal(ref_fold(ref_pseudo(fa.b + fa.l3, 4, IPPROTO_UDP, fa.len - fa.l4) +
				  ref_add(0, fa.b + fa.l4, fa.len - fa.l4)),
			 0xffff);
	wr16(fa.b + fa.l4 + 6, 0xffff);
	assert_int_equal(verify(&fa, HCAP), OFL_VALID);

	fr_build(&fa, &(struct fr_spec){ .v = 4, .proto = IPPROTO_UDP, .pay = 4 });
	assert_int_equal(fa.len, 46);
	memset(fa.b + fa.len, 0x77, 14); /* padded to 60 bytes */
	fa.len = 60;
	assert_int_equal(verify(&fa, HCAP), OFL_VALID);
	fr_build(&fa, &(struct fr_spec){ .v = 6, .proto = IPPROTO_TCP, .pay = 1 });
	memset(fa.b + fa.len, 0x77, 9);
	fa.len += 9;
	assert_int_equal(verify(&fa, HCAP), OFL_VALID);
	assert_int_equal(verify(&fa, fa.len), OFL_VALID);
}

/* ---- the header a receiver gets ----------------------------------------- */

static void vnet_hdr_fields(void **state)
{
	struct virtio_net_hdr vh;
	struct dp_ofl o;
	uint8_t raw[sizeof(vh)];

	(void)state;
	o = (struct dp_ofl){ .kind = OFL_VALID, .csum_start = 34, .csum_offset = 16 };
	memset(&vh, 0xa5, sizeof(vh));
	ofl_vnet_hdr(&o, &vh);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(vh.hdr_len, 0);
	assert_int_equal(vh.gso_size, 0);
	assert_int_equal(vh.csum_start, 0);
	assert_int_equal(vh.csum_offset, 0);

	o = (struct dp_ofl){ .kind = OFL_CSUM, .csum_start = 0x0123, .csum_offset = 0x0206 };
	memset(&vh, 0xa5, sizeof(vh));
	ofl_vnet_hdr(&o, &vh);
	memcpy(raw, &vh, sizeof(raw));
	assert_int_equal(raw[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(raw[1], VIRTIO_NET_HDR_GSO_NONE);
	assert_memory_equal(raw + 2, ((uint8_t[]){ 0, 0, 0, 0, 0x23, 0x01, 0x06, 0x02 }), 8);

	o = (struct dp_ofl){ .kind = OFL_TSO,
			     .gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
			     .csum_start = 0x0036, .csum_offset = 16, .hlen = 0x0156,
			     .gso_size = 0x05a8, .nseg = 7, .l3_off = 14 };
	memset(&vh, 0xa5, sizeof(vh));
	ofl_vnet_hdr(&o, &vh);
	memcpy(raw, &vh, sizeof(raw));
	assert_int_equal(raw[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(raw[1], VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN);
	/* hdr_len, gso_size, csum_start, csum_offset: little endian */
	assert_memory_equal(raw + 2, ((uint8_t[]){ 0x56, 0x01, 0xa8, 0x05, 0x36, 0, 16, 0 }), 8);
}

/* What ofl_check() accepted, ofl_vnet_hdr() hands on as it was asked. */
static void vnet_hdr_round_trip(void **state)
{
	struct virtio_net_hdr in, out;
	struct dp_ofl o;

	(void)state;
	fr_tcp(&fa, 4, 12, 10000);
	in = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM,
		     VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448, fa.l4, 16);
	assert_int_equal(check(&fa, &in, ALL_OFL, &o), OFL_E_OK);
	ofl_vnet_hdr(&o, &out);
	in.hdr_len = htole16((uint16_t)fa.hlen);
	assert_memory_equal(&in, &out, sizeof(in));
	fr_udp(&fa, 6, 100);
	in = vh_make(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, fa.l4, 6);
	assert_int_equal(check(&fa, &in, ALL_OFL, &o), OFL_E_OK);
	ofl_vnet_hdr(&o, &out);
	assert_memory_equal(&in, &out, sizeof(in));
}

static void tso_ok_for_receiver(void **state)
{
	struct dp_ofl o = { .kind = OFL_TSO, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 };

	(void)state;
	assert_true(ofl_tso_ok(&o, VQ_OFL_CSUM | VQ_OFL_TSO4));
	assert_false(ofl_tso_ok(&o, VQ_OFL_TSO4));
	assert_false(ofl_tso_ok(&o, VQ_OFL_CSUM | VQ_OFL_TSO6 | VQ_OFL_ECN));
	o.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN;
	assert_true(ofl_tso_ok(&o, ALL_OFL));
	assert_false(ofl_tso_ok(&o, VQ_OFL_CSUM | VQ_OFL_TSO6));
	assert_false(ofl_tso_ok(&o, VQ_OFL_CSUM | VQ_OFL_TSO4 | VQ_OFL_ECN));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(csum_add_any_split),
		cmocka_unit_test(csum_add_iov_skip_at),
		cmocka_unit_test(csum_add_large),
		cmocka_unit_test(csum_final_never_zero),
		cmocka_unit_test(check_nothing_asked),
		cmocka_unit_test(check_csum_l4),
		cmocka_unit_test(check_csum_in_tunnel),
		cmocka_unit_test(check_tso_accepted),
		cmocka_unit_test(refuse_not_negotiated),
		cmocka_unit_test(refuse_gso_type),
		cmocka_unit_test(refuse_tso_headers),
		cmocka_unit_test(refuse_tso_csum),
		cmocka_unit_test(refuse_csum_place),
		cmocka_unit_test(refuse_csum_headers),
		cmocka_unit_test(refuse_tso_size),
		cmocka_unit_test(tso4_segment_length_fits),
		cmocka_unit_test(segment_tcp4),
		cmocka_unit_test(segment_tcp6),
		cmocka_unit_test(segment_edges),
		cmocka_unit_test(verify_valid),
		cmocka_unit_test(verify_bad),
		cmocka_unit_test(verify_uses_copy),
		cmocka_unit_test(verify_none),
		cmocka_unit_test(verify_edges),
		cmocka_unit_test(vnet_hdr_fields),
		cmocka_unit_test(vnet_hdr_round_trip),
		cmocka_unit_test(tso_ok_for_receiver),
	};

	return cmocka_run_group_tests_name("offload", tests, guard_setup, guard_teardown);
}
