// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the answers to rejected packets (include/xvs/fw_reply.h)
 * compiled for userspace: for each original, prepare + write, then parse
 * the answer with xvs_parse() and check every field of it against the
 * original, every checksum with a plain RFC 1071 sum of this file's own;
 * and every packet that must not be answered is refused.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "guard.h"
#include <xvs/fw_reply.h>

static const uint8_t MAC_VM[6] = { 0x02, 0, 0, 0, 0, 0xa1 }; /* the original's destination */
static const uint8_t MAC_PEER[6] = { 0x02, 0, 0, 0, 0, 0x42 };

/* TCP header fields an original sets after frame_tcp() */
#define SEQ 0x11223344u
#define ACK 0xa0b0c0d0u

static struct frame f;

/* ---- checksums, independently ------------------------------------------ */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

/* A region whose sum, checksum field included, folds to all ones. */
static bool sum_ok(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

static uint32_t pseudo(const uint8_t *ip, int ver, uint8_t proto, size_t l4len)
{
	uint8_t tail[8] = { 0 };

	tail[2] = (uint8_t)(l4len >> 8);
	tail[3] = (uint8_t)l4len;
	tail[7] = proto;
	if (ver == 4)
		return sum16(sum16(0, ip + 12, 8), tail, 8);
	return sum16(sum16(0, ip + 8, 32), tail, 8);
}

/* ---- helpers ------------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Start an original: Ethernet and `tags` VLAN tags (the outer one with
 * PCP 5 and DEI: they must come back as they were). */
static void l2(int tags)
{
	frame_init(&f);
	frame_eth(&f, MAC_VM, MAC_PEER);
	if (tags == 2) {
		frame_vlan(&f, 0x88a8, 100);
		frame_vlan(&f, 0x8100, 200);
	} else if (tags == 1) {
		frame_vlan(&f, 0x8100, 10);
	}
	if (tags)
		f.buf[14] |= 0xb0; /* PCP 5, DEI */
}

static void ip(int ver)
{
	if (ver == 4)
		frame_ip4(&f, "192.0.2.1", "198.51.100.7", 0);
	else
		frame_ip6(&f, "2001:db8::1", "2001:db8::7");
}

/* A TCP segment: flags, payload bytes. */
static void tcp(int ver, int tags, uint8_t flags, size_t payload)
{
	l2(tags);
	ip(ver);
	frame_tcp(&f, 40000, 22);
	wr32(f.buf + f.l4_off + 4, SEQ);
	wr32(f.buf + f.l4_off + 8, ACK);
	f.buf[f.l4_off + 13] = flags;
	frame_payload(&f, payload, 7);
	assert_true(frame_finish(&f) > 0);
}

static void udp(int ver, int tags, size_t payload)
{
	l2(tags);
	ip(ver);
	frame_udp(&f, 5353, 53);
	frame_payload(&f, payload, 3);
	assert_true(frame_finish(&f) > 0);
}

static void icmp(int ver, uint8_t type, uint8_t code)
{
	l2(0);
	ip(ver);
	frame_icmp(&f, type, code);
	frame_payload(&f, 56, 1);
	assert_true(frame_finish(&f) > 0);
}

static void parse_orig(struct xvs_pkt *p, size_t readable)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(xvs_parse(f.buf, f.buf + readable, (__u32)f.len, p), XVS_REASON_OK);
}

static int prepare(size_t readable, struct xvs_reply *r)
{
	struct xvs_pkt p;

	parse_orig(&p, readable);
	return xvs_reply_prepare(&p, f.buf, f.buf + readable, (__u32)f.len, r);
}

/* What an answer must be, beyond "the original turned around". */
struct want {
	uint8_t tcp_flags; /* TCP: RST or RST|ACK */
	uint32_t seq, ack;
	size_t quote; /* ICMP: bytes quoted */
};

/*
 * Answer the original in f (whose first `readable` bytes may be read)
 * and check the answer completely.
 */
static void check_answer(size_t readable, const struct want *w)
{
	static uint8_t out[XVS_REPLY_MAX_LEN + 64];
	struct xvs_pkt o, a;
	struct xvs_reply r;
	const uint8_t *aip, *oip, *l4;
	size_t l2len, iplen, n, i;
	int ver, len;

	parse_orig(&o, readable);
	assert_int_equal(xvs_reply_prepare(&o, f.buf, f.buf + readable, (__u32)f.len, &r), 0);
	len = (int)xvs_reply_len(&r);
	assert_true(len >= XVS_ETH_ZLEN && len <= XVS_REPLY_MAX_LEN);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(xvs_reply_write(&r, out, out + len - 1), -1); /* one byte short */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(xvs_reply_write(&r, out, out + sizeof(out)), len);
	assert_int_equal(out[len], 0xee); /* nothing written past it */
	n = (size_t)len;

	/* L2: MACs swapped, the tags byte for byte */
	memset(&a, 0, sizeof(a));
	assert_int_equal(xvs_parse(out, out + n, (__u32)n, &a), XVS_REASON_OK);
	assert_memory_equal(a.dst, o.src, 6);
	assert_memory_equal(a.src, o.dst, 6);
	assert_int_equal(a.n_vlan, o.n_vlan);
	l2len = 14 + 4 * (size_t)o.n_vlan;
	assert_memory_equal(out + 12, f.buf + 12, l2len - 12);
	assert_int_equal(a.l3_off, l2len);

	/* L3: addresses swapped, fixed fields, checksum */
	ver = o.l3;
	assert_int_equal(a.l3, ver);
	assert_memory_equal(a.saddr, o.daddr, 16);
	assert_memory_equal(a.daddr, o.saddr, 16);
	assert_int_equal(a.flags, 0);
	aip = out + l2len;
	oip = f.buf + o.l3_off;
	if (ver == 4) {
		iplen = (size_t)aip[2] << 8 | aip[3];
		assert_int_equal(aip[0], 0x45);
		assert_int_equal(aip[1], 0); /* TOS */
		assert_int_equal(aip[4] | aip[5], 0); /* id */
		assert_int_equal(aip[6], 0x40); /* DF, offset 0 */
		assert_int_equal(aip[7], 0);
		assert_int_equal(aip[8], 64); /* TTL */
		assert_true(sum_ok(sum16(0, aip, 20)));
		l4 = aip + 20;
	} else {
		iplen = 40 + ((size_t)aip[4] << 8 | aip[5]);
		assert_int_equal(rd32(aip), 0x60000000);
		assert_int_equal(aip[7], 64); /* hop limit */
		l4 = aip + 40;
	}
	assert_int_equal(a.l4_off, l4 - out);
	/* the shortest frame, or exactly the packet */
	assert_int_equal(n, l2len + iplen < 60 ? 60 : l2len + iplen);
	for (i = l2len + iplen; i < n; i++)
		assert_int_equal(out[i], 0);

	if (o.l4proto == IPPROTO_TCP) {
		assert_int_equal(a.l4proto, IPPROTO_TCP);
		assert_int_equal(iplen - (size_t)(l4 - aip), 20);
		assert_int_equal(a.sport, o.dport);
		assert_int_equal(a.dport, o.sport);
		assert_int_equal(rd32(l4 + 4), w->seq);
		assert_int_equal(rd32(l4 + 8), w->ack);
		assert_int_equal(l4[12], 0x50);
		assert_int_equal(a.tcp_flags, w->tcp_flags);
		assert_int_equal(l4[14] | l4[15] | l4[18] | l4[19], 0); /* window, urgent */
		assert_true(sum_ok(pseudo(aip, ver, IPPROTO_TCP, 20) + sum16(0, l4, 20)));
		/* an answer never asks for another */
		assert_int_equal(xvs_reply_prepare(&a, out, out + n, (__u32)n, &r), -1);
		return;
	}
	/* ICMP: port unreachable, quoting the original from its IP header */
	assert_int_equal(a.l4proto, ver == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	assert_int_equal(a.icmp_type, ver == 4 ? 3 : 1);
	assert_int_equal(a.icmp_code, ver == 4 ? 3 : 4);
	assert_int_equal(rd32(l4 + 4), 0);
	assert_int_equal(iplen - (size_t)(l4 - aip), 8 + w->quote);
	assert_memory_equal(l4 + 8, oip, w->quote);
	if (ver == 4)
		assert_true(sum_ok(sum16(0, l4, 8 + w->quote)));
	else
		assert_true(sum_ok(pseudo(aip, 6, IPPROTO_ICMPV6, 8 + w->quote) +
				   sum16(0, l4, 8 + w->quote)));
	/* an answer never asks for another */
	assert_int_equal(xvs_reply_prepare(&a, out, out + n, (__u32)n, &r), -1);
}

/* ---- TCP: RST --------------------------------------------------------- */

/* Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN
 * count one each. */
static void tcp_without_ack(void **state)
{
	static const struct {
		uint8_t flags;
		size_t payload;
		uint32_t seglen;
	} cases[] = {
		{ XVS_TCP_SYN, 0, 1 },
		{ XVS_TCP_SYN, 10, 11 }, /* data on the SYN (TFO) */
		{ XVS_TCP_FIN, 5, 6 },
		{ XVS_TCP_SYN | XVS_TCP_FIN, 0, 2 },
		{ 0, 3, 3 }, /* no flags at all */
		{ 0x08, 100, 100 }, /* PSH */
	};
	int ver, tags;
	size_t i;

	(void)state;
	for (ver = 4; ver <= 6; ver += 2)
		for (tags = 0; tags <= 2; tags++)
			for (i = 0; i < XVS_ARRAY_SIZE(cases); i++) {
				struct want w = { .tcp_flags = XVS_TCP_RST | XVS_TCP_ACK,
						  .ack = SEQ + cases[i].seglen };

				tcp(ver, tags, cases[i].flags, cases[i].payload);
				check_answer(f.len, &w);
			}
}

/* With ACK: <SEQ=SEG.ACK><CTL=RST>, whatever else it carries. */
static void tcp_with_ack(void **state)
{
	static const uint8_t flags[] = {
		XVS_TCP_ACK,
		XVS_TCP_ACK | 0x08,
		XVS_TCP_ACK | XVS_TCP_SYN,
		XVS_TCP_ACK | XVS_TCP_FIN,
	};
	struct want w = { .tcp_flags = XVS_TCP_RST, .seq = ACK };
	int ver, tags;
	size_t i;

	(void)state;
	for (ver = 4; ver <= 6; ver += 2)
		for (tags = 0; tags <= 2; tags++)
			for (i = 0; i < XVS_ARRAY_SIZE(flags); i++) {
				tcp(ver, tags, flags[i], 200);
				check_answer(f.len, &w);
			}
}

/* SEG.LEN is the TCP payload: not the IPv4 options, the IPv6 extension
 * headers, TCP options or Ethernet padding. */
static void tcp_seg_len_counts_payload_only(void **state)
{
	struct want w = { .tcp_flags = XVS_TCP_RST | XVS_TCP_ACK, .ack = SEQ + 1 + 6 };

	(void)state;
	l2(0);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 12);
	frame_tcp(&f, 40000, 22);
	wr32(f.buf + f.l4_off + 4, SEQ);
	frame_payload(&f, 6, 0);
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &w);

	l2(1);
	frame_ip6(&f, "2001:db8::1", "2001:db8::7");
	frame_ip6_ext(&f, 0, 8);
	frame_ip6_ext(&f, 60, 16);
	frame_tcp(&f, 40000, 22);
	wr32(f.buf + f.l4_off + 4, SEQ);
	frame_payload(&f, 6, 0);
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &w);

	/* 8 bytes of TCP options (data offset 7): the 6 bytes after are
	 * the payload (the checksum does not matter here) */
	tcp(4, 0, XVS_TCP_SYN, 14);
	f.buf[f.l4_off + 12] = 7 << 4;
	check_answer(f.len, &w);

	/* Ethernet padding after a short segment */
	tcp(4, 0, XVS_TCP_SYN, 6);
	frame_resize(&f, 80);
	check_answer(f.len, &w);
}

/* A first fragment with ACK can be reset (SEQ=SEG.ACK); without, the
 * segment's length is unknown: no answer. */
static void tcp_first_fragment(void **state)
{
	struct want w = { .tcp_flags = XVS_TCP_RST, .seq = ACK };
	struct xvs_reply r;

	(void)state;
	tcp(4, 0, XVS_TCP_ACK, 40);
	frame_ip4_frag(&f, 0, true);
	check_answer(f.len, &w);
	tcp(4, 0, XVS_TCP_SYN, 40);
	frame_ip4_frag(&f, 0, true);
	assert_int_equal(prepare(f.len, &r), -1);
}

/* ---- everything else: ICMP port unreachable ----------------------------- */

static void udp_answered_with_unreachable(void **state)
{
	int tags;

	(void)state;
	for (tags = 0; tags <= 2; tags++) {
		/* IPv4: the header and 8 bytes */
		udp(4, tags, 64);
		check_answer(f.len, &(struct want){ .quote = 28 });
		/* IPv6: all of a small packet, at most XVS_REPLY_QUOTE_MAX */
		udp(6, tags, 20);
		check_answer(f.len, &(struct want){ .quote = 40 + 8 + 20 });
		udp(6, tags, 1000);
		check_answer(f.len, &(struct want){ .quote = XVS_REPLY_QUOTE_MAX });
	}
	/* an IPv4 header with 40 bytes of options: all of it and 8 more */
	l2(0);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 40);
	frame_udp(&f, 5353, 53);
	frame_payload(&f, 100, 0);
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &(struct want){ .quote = 60 + 8 });
}

static void icmp_echo_answered_with_unreachable(void **state)
{
	(void)state;
	icmp(4, XVS_ICMP_ECHO, 0);
	check_answer(f.len, &(struct want){ .quote = 28 });
	icmp(4, XVS_ICMP_ECHO_REPLY, 0);
	check_answer(f.len, &(struct want){ .quote = 28 });
	icmp(4, 13, 0); /* timestamp */
	check_answer(f.len, &(struct want){ .quote = 28 });
	icmp(6, XVS_ICMP6_ECHO, 0);
	check_answer(f.len, &(struct want){ .quote = 40 + 8 + 56 });
	icmp(6, 200, 0); /* informational, unknown */
	check_answer(f.len, &(struct want){ .quote = 40 + 8 + 56 });
}

/* Less than 8 bytes after the header, or a protocol not looked into: the
 * quote is what there is. */
static void short_originals(void **state)
{
	(void)state;
	l2(0);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 0);
	frame_ipproto(&f, 50); /* ESP */
	frame_payload(&f, 4, 0);
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &(struct want){ .quote = 24 });

	l2(0);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 0);
	frame_ipproto(&f, 47); /* GRE, empty */
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &(struct want){ .quote = 20 });

	l2(2);
	frame_ip6(&f, "2001:db8::1", "2001:db8::7");
	frame_ipproto(&f, 59); /* no next header */
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &(struct want){ .quote = 40 });

	l2(0);
	frame_ip6(&f, "2001:db8::1", "2001:db8::7");
	frame_ipproto(&f, 103); /* PIM, 3 bytes: not looked into */
	frame_payload(&f, 3, 0);
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &(struct want){ .quote = 43 });
}

/* Only part of the frame readable (XDP multi-buffer: the linear part):
 * the quote stops there. */
static void quote_limited_to_readable_bytes(void **state)
{
	size_t readable;

	(void)state;
	udp(6, 1, 1000);
	readable = 18 + 40 + 8 + 10;
	check_answer(readable, &(struct want){ .quote = 40 + 8 + 10 });
	udp(4, 0, 1000);
	readable = 14 + 20 + 8;
	check_answer(readable, &(struct want){ .quote = 28 });
}

/* ---- no answer ---------------------------------------------------------- */

static void set_ip(int ver, bool src, const char *a)
{
	size_t off = f.ip_off + (ver == 4 ? (src ? 12 : 16) : (src ? 8 : 24));

	assert_int_equal(inet_pton(ver == 4 ? AF_INET : AF_INET6, a, f.buf + off), 1);
}

static void refused(void)
{
	struct xvs_reply r;

	assert_int_equal(prepare(f.len, &r), -1);
}

static void no_answer_to_errors_and_resets(void **state)
{
	static const uint8_t icmp4_errors[] = { 3, 4, 5, 11, 12, 19, 40, 255 };
	uint8_t t;
	size_t i;
	int ver;

	(void)state;
	for (ver = 4; ver <= 6; ver += 2) {
		tcp(ver, 0, XVS_TCP_RST, 0);
		refused();
		tcp(ver, 1, XVS_TCP_RST | XVS_TCP_ACK, 0);
		refused();
	}
	for (i = 0; i < XVS_ARRAY_SIZE(icmp4_errors); i++) {
		icmp(4, icmp4_errors[i], 0);
		refused();
	}
	for (t = 0; t < 128; t++) {
		icmp(6, t, 0);
		refused();
	}
	/* nor a redirect (RFC 4443 §2.4 e.2), though not an error */
	icmp(6, 137, 0);
	refused();
}

static void no_answer_to_later_fragments(void **state)
{
	(void)state;
	l2(0);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 0);
	frame_ipproto(&f, IPPROTO_UDP);
	frame_payload(&f, 40, 0);
	assert_true(frame_finish(&f) > 0);
	frame_ip4_frag(&f, 10, true);
	refused();

	l2(0);
	frame_ip6(&f, "2001:db8::1", "2001:db8::7");
	frame_ip6_frag(&f, 10, false);
	frame_ipproto(&f, IPPROTO_TCP);
	frame_payload(&f, 40, 0);
	assert_true(frame_finish(&f) > 0);
	refused();
}

/* Not one host on either side: group or zero MACs, and IP addresses that
 * are no host's (RFC 1122 §3.2.2, RFC 4443 §2.4(e)). */
static void no_answer_to_groups_and_non_hosts(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t zero[6] = { 0 };
	static const char *const bad4[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "224.0.0.1", "239.255.255.250",
		"240.0.0.1", "255.255.255.255",
	};
	static const char *const bad6[] = { "::", "::1", "ff02::1", "ff05::1:3" };
	const uint8_t *macs[] = { bcast, mcast, zero };
	struct xvs_reply r;
	size_t i;
	int side;

	(void)state;
	for (i = 0; i < XVS_ARRAY_SIZE(macs); i++)
		for (side = 0; side < 2; side++) {
			udp(4, 0, 20);
			memcpy(f.buf + (side ? 6 : 0), macs[i], 6);
			refused();
			tcp(6, 1, XVS_TCP_SYN, 0);
			memcpy(f.buf + (side ? 6 : 0), macs[i], 6);
			refused();
		}
	for (i = 0; i < XVS_ARRAY_SIZE(bad4); i++)
		for (side = 0; side < 2; side++) {
			udp(4, 0, 20);
			set_ip(4, side, bad4[i]);
			refused();
			tcp(4, 1, XVS_TCP_SYN, 0);
			set_ip(4, side, bad4[i]);
			refused();
		}
	for (i = 0; i < XVS_ARRAY_SIZE(bad6); i++)
		for (side = 0; side < 2; side++) {
			icmp(6, XVS_ICMP6_ECHO, 0);
			set_ip(6, side, bad6[i]);
			refused();
			tcp(6, 0, XVS_TCP_SYN, 0);
			set_ip(6, side, bad6[i]);
			refused();
		}
	/* what is close to those is answered */
	udp(4, 0, 20);
	set_ip(4, true, "1.0.0.0");
	set_ip(4, false, "223.255.255.255");
	assert_int_equal(prepare(f.len, &r), 0);
	udp(6, 0, 20);
	set_ip(6, true, "::2");
	set_ip(6, false, "fe80::1");
	assert_int_equal(prepare(f.len, &r), 0);
}

static void no_answer_to_non_ip(void **state)
{
	struct xvs_reply r;

	(void)state;
	l2(1);
	frame_ethertype(&f, 0x0806);
	frame_payload(&f, 28, 0);
	assert_true(frame_finish(&f) > 0);
	assert_int_equal(prepare(f.len, &r), -1);
	assert_int_equal(xvs_reply_len(&r), 0);
	assert_int_equal(xvs_reply_write(&r, f.buf, f.buf + sizeof(f.buf)), -1);
}

/* Whatever part of an original is readable (XDP: the linear part of a
 * multi-buffer frame), prepare reads nothing past it and write nothing
 * past the answer's length: both end right before a PROT_NONE page, which
 * turns an overrun into SIGSEGV. */
static void no_access_past_the_end(void **state)
{
	struct xvs_reply r;
	struct xvs_pkt p;
	uint8_t *in, *out;
	size_t n, first;
	int k, len, answered;

	(void)state;
	for (k = 0; k < 6; k++) {
		if (k == 0) {
			tcp(4, 1, XVS_TCP_SYN, 30);
		} else if (k == 1) {
			l2(2);
			frame_ip6(&f, "2001:db8::1", "2001:db8::7");
			frame_ip6_ext(&f, 0, 16);
			frame_udp(&f, 1, 2);
			frame_payload(&f, 300, 0);
			assert_true(frame_finish(&f) > 0);
		} else if (k == 2) {
			icmp(6, XVS_ICMP6_ECHO, 0);
		} else if (k == 3) {
			icmp(4, XVS_ICMP_ECHO, 0);
		} else if (k == 4) {
			l2(0);
			frame_ip4(&f, "192.0.2.1", "198.51.100.7", 40);
			frame_ipproto(&f, 47);
			frame_payload(&f, 3, 0);
			assert_true(frame_finish(&f) > 0);
		} else {
			tcp(6, 0, XVS_TCP_ACK, 0);
		}
		answered = 0;
		first = f.len + 1;
		for (n = 0; n <= f.len; n++) {
			in = guard_end(n);
			memcpy(in, f.buf, n);
			memset(&p, 0, sizeof(p));
			if (xvs_parse(in, in + n, (__u32)f.len, &p) != XVS_REASON_OK)
				continue;
			if (xvs_reply_prepare(&p, in, in + n, (__u32)f.len, &r))
				continue;
			len = (int)xvs_reply_len(&r);
			assert_true(len > 0);
			assert_memory_equal(r.quote, f.buf + p.l3_off, r.quote_len);
			out = guard_end(len);
			assert_int_equal(xvs_reply_write(&r, out, out + len), len);
			if (!answered++)
				first = n;
		}
		/* the checks above ran: for the whole frame, and for every
		 * shorter copy that still holds what the answer needs */
		assert_true(first <= f.len);
		assert_int_equal(answered, f.len - first + 1);
	}
}

/* ---- the API ------------------------------------------------------------ */

/* The answer may be written over the original (what XDP does). */
static void write_over_the_original(void **state)
{
	static uint8_t apart[XVS_REPLY_MAX_LEN];
	struct xvs_reply r;
	int n;

	(void)state;
	udp(6, 2, 500);
	assert_int_equal(prepare(f.len, &r), 0);
	n = xvs_reply_write(&r, apart, apart + sizeof(apart));
	assert_true(n > 0);
	assert_int_equal(xvs_reply_write(&r, f.buf, f.buf + f.len), n);
	assert_memory_equal(f.buf, apart, (size_t)n);
}

/* Only quote_len bytes of the quote count, an odd one too. */
static void bytes_past_the_quote_ignored(void **state)
{
	static uint8_t clean[XVS_REPLY_MAX_LEN], junk[XVS_REPLY_MAX_LEN];
	struct xvs_reply r;
	int n;

	(void)state;
	l2(0);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 0);
	frame_ipproto(&f, 47);
	frame_payload(&f, 3, 0);
	assert_true(frame_finish(&f) > 0);
	check_answer(f.len, &(struct want){ .quote = 23 });
	assert_int_equal(prepare(f.len, &r), 0);
	n = xvs_reply_write(&r, clean, clean + sizeof(clean));
	memset(r.quote + r.quote_len, 0xff, sizeof(r.quote) - r.quote_len);
	assert_int_equal(xvs_reply_write(&r, junk, junk + sizeof(junk)), n);
	assert_memory_equal(clean, junk, (size_t)n);
}

/* A reply struct prepare could not have made is no answer. */
static void write_refuses_malformed_replies(void **state)
{
	static uint8_t out[XVS_REPLY_MAX_LEN];
	struct xvs_reply r, bad;

	(void)state;
	udp(4, 0, 20);
	assert_int_equal(prepare(f.len, &r), 0);
	bad = r;
	bad.n_vlan = XVS_MAX_VLANS + 1;
	assert_int_equal(xvs_reply_write(&bad, out, out + sizeof(out)), -1);
	bad = r;
	bad.quote_len = XVS_REPLY_QUOTE_MAX + 1;
	assert_int_equal(xvs_reply_write(&bad, out, out + sizeof(out)), -1);
	bad = r;
	bad.quote_len = XVS_IP4_HLEN - 1;
	assert_int_equal(xvs_reply_write(&bad, out, out + sizeof(out)), -1);
	bad = r;
	bad.kind = XVS_REPLY_NONE;
	assert_int_equal(xvs_reply_write(&bad, out, out + sizeof(out)), -1);
	bad = r;
	bad.l3 = 0;
	assert_int_equal(xvs_reply_write(&bad, out, out + sizeof(out)), -1);
	/* too short for even the L2 header */
	assert_int_equal(xvs_reply_write(&r, out, out + 21), -1);
}

/* The counter table: the answer is a verdict of its own, the last one (the
 * stat indices of the others do not move). */
static void counter_table(void **state)
{
	unsigned int v;

	(void)state;
	assert_int_equal(XVS_VERDICT_TX, XVS_VERDICT_MAX - 1);
	assert_int_equal(XVS_VERDICT_DROP, 2);
	for (v = 0; v < XVS_VERDICT_MAX; v++)
		assert_non_null(xvs_verdict_names[v]);
	assert_string_equal(xvs_verdict_names[XVS_VERDICT_TX], "tx");
	assert_int_equal(xvs_reason_verdict(XVS_REASON_FW_REJECT_SENT), XVS_VERDICT_TX);
	assert_int_equal(xvs_reason_verdict(XVS_REASON_FW_REJECT), XVS_VERDICT_DROP);
	assert_int_equal(xvs_reason_verdict(XVS_REASON_FW_DROP), XVS_VERDICT_DROP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_without_ack),
		cmocka_unit_test(tcp_with_ack),
		cmocka_unit_test(tcp_seg_len_counts_payload_only),
		cmocka_unit_test(tcp_first_fragment),
		cmocka_unit_test(udp_answered_with_unreachable),
		cmocka_unit_test(icmp_echo_answered_with_unreachable),
		cmocka_unit_test(short_originals),
		cmocka_unit_test(quote_limited_to_readable_bytes),
		cmocka_unit_test(no_answer_to_errors_and_resets),
		cmocka_unit_test(no_answer_to_later_fragments),
		cmocka_unit_test(no_answer_to_groups_and_non_hosts),
		cmocka_unit_test(no_answer_to_non_ip),
		cmocka_unit_test(no_access_past_the_end),
		cmocka_unit_test(write_over_the_original),
		cmocka_unit_test(bytes_past_the_quote_ignored),
		cmocka_unit_test(write_refuses_malformed_replies),
		cmocka_unit_test(counter_table),
	};

	return cmocka_run_group_tests_name("fw_reply", tests, guard_setup, guard_teardown);
}
