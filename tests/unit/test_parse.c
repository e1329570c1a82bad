// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the shared parser (include/xvs/parse.h) compiled for
 * userspace: the fields it extracts, and that no truncation of any frame
 * makes it read past the end (frames are placed against a PROT_NONE page).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "guard.h"
#include <xvs/parse.h>

static const uint8_t DST[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t SRC[6] = { 0x02, 0, 0, 0, 0, 0x01 };


static int parse(const struct frame *f, size_t n, struct xvs_pkt *pkt)
{
	const uint8_t *d = against_guard(f->buf, n);

	memset(pkt, 0, sizeof(*pkt));
	return xvs_parse(d, d + n, (__u32)n, pkt);
}

static void udp4_fields(void **state)
{
	struct xvs_pkt pkt;
	struct frame f;
	uint32_t a;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_vlan(&f, 0x88a8, 100);
	frame_vlan(&f, 0x8100, 200);
	frame_ip4(&f, "192.0.2.1", "198.51.100.7", 8);
	frame_udp(&f, 5353, 53);
	frame_payload(&f, 10, 0);
	assert_true(frame_finish(&f) > 0);

	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_memory_equal(pkt.dst, DST, 6);
	assert_memory_equal(pkt.src, SRC, 6);
	assert_int_equal(pkt.n_vlan, 2);
	assert_int_equal(pkt.vlan[0], 100);
	assert_int_equal(pkt.vlan[1], 200);
	assert_int_equal(pkt.ethertype, 0x0800);
	assert_int_equal(pkt.l3, XVS_L3_IP4);
	assert_int_equal(pkt.l3_off, 22);
	assert_int_equal(pkt.l4_off, 22 + 28);
	assert_int_equal(pkt.l4proto, IPPROTO_UDP);
	assert_int_equal(pkt.sport, 5353);
	assert_int_equal(pkt.dport, 53);
	inet_pton(AF_INET, "192.0.2.1", &a);
	assert_int_equal(pkt.saddr[0], a);
	inet_pton(AF_INET, "198.51.100.7", &a);
	assert_int_equal(pkt.daddr[0], a);
	assert_int_equal(pkt.flags, 0);
}

static void ip6_ext_fields(void **state)
{
	struct xvs_pkt pkt;
	struct frame f;
	uint8_t a[16];

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip6(&f, "2001:db8::1", "2001:db8::2");
	frame_ip6_ext(&f, IPPROTO_HOPOPTS, 8);
	frame_ip6_ext(&f, IPPROTO_ROUTING, 24);
	frame_ip6_frag(&f, 0, true);
	frame_ip6_ext(&f, IPPROTO_AH, 16);
	frame_tcp(&f, 40000, 443);
	assert_true(frame_finish(&f) > 0);

	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.l3, XVS_L3_IP6);
	assert_int_equal(pkt.l4proto, IPPROTO_TCP);
	assert_int_equal(pkt.l4_off, 14 + 40 + 8 + 24 + 8 + 16);
	assert_int_equal(pkt.sport, 40000);
	assert_int_equal(pkt.dport, 443);
	assert_int_equal(pkt.flags, XVS_PKT_F_FRAG);
	inet_pton(AF_INET6, "2001:db8::2", a);
	assert_memory_equal(pkt.daddr, a, 16);
}

static void icmp_and_flags(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct xvs_pkt pkt;
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, bcast, SRC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.255", 0);
	frame_icmp(&f, 8, 0);
	assert_true(frame_finish(&f) > 0);
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.icmp_type, 8);
	assert_int_equal(pkt.flags, XVS_PKT_F_BCAST | XVS_PKT_F_MCAST);

	frame_init(&f);
	frame_eth(&f, mcast, SRC);
	frame_ip6(&f, "fe80::1", "ff02::1");
	frame_icmp(&f, 136, 0);
	assert_true(frame_finish(&f) > 0);
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.l4proto, IPPROTO_ICMPV6);
	assert_int_equal(pkt.icmp_type, 136);
	assert_int_equal(pkt.flags, XVS_PKT_F_MCAST);
}

/* A packet whose IP length ends before its L4 header is short, whatever
 * follows it in the frame (Ethernet padding is no header); the fields the
 * firewall reads: TCP flags, the ICMP echo identifier, SCTP ports. */
static void l4_within_the_ip_packet(void **state)
{
	struct xvs_pkt pkt;
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_udp(&f, 1000, 53);
	frame_payload(&f, 30, 0);
	assert_true(frame_finish(&f) > 0);
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	f.buf[16] = 0;
	f.buf[17] = 20 + 4; /* IPv4 total length: half a UDP header */
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_L4_TRUNC);

	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip6(&f, "2001:db8::1", "2001:db8::2");
	frame_tcp(&f, 1000, 22);
	frame_payload(&f, 30, 0);
	assert_true(frame_finish(&f) > 0);
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.tcp_flags, f.buf[14 + 40 + 13]);
	f.buf[18] = 0;
	f.buf[19] = 12; /* IPv6 payload length: 12 of the 20 TCP bytes */
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_L4_TRUNC);

	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_icmp(&f, 8, 0);
	assert_true(frame_finish(&f) > 0);
	f.buf[14 + 20 + 4] = 0x12; /* identifier */
	f.buf[14 + 20 + 5] = 0x34;
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.sport, 0x1234);
	assert_int_equal(pkt.dport, 0x1234);

	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_ipproto(&f, IPPROTO_SCTP);
	frame_payload(&f, 12, 0);
	assert_true(frame_finish(&f) > 0);
	f.buf[34] = 0x0b; /* source port 3000 */
	f.buf[35] = 0xb8;
	f.buf[36] = 0x00; /* destination port 80 */
	f.buf[37] = 0x50;
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.sport, 3000);
	assert_int_equal(pkt.dport, 80);
	assert_int_equal(parse(&f, f.len - 1, &pkt), XVS_REASON_IP4_TRUNC);
}

static void later_fragments_have_no_l4(void **state)
{
	struct xvs_pkt pkt;
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_ipproto(&f, IPPROTO_UDP);
	frame_payload(&f, 2, 0);
	assert_true(frame_finish(&f) > 0);
	frame_ip4_frag(&f, 10, true);
	assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	assert_int_equal(pkt.flags, XVS_PKT_F_FRAG | XVS_PKT_F_LATER_FRAG);
	assert_int_equal(pkt.l4_off, 0);
	assert_int_equal(pkt.sport, 0);
}

static void runts(void **state)
{
	struct xvs_pkt pkt;
	struct frame f;
	size_t n;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	assert_true(frame_finish(&f) > 0);
	for (n = 0; n < 14; n++)
		assert_int_equal(parse(&f, n, &pkt), XVS_REASON_RUNT);
	assert_int_equal(parse(&f, 14, &pkt), XVS_REASON_OK);
}

/* Linear part shorter than the headers (XDP multi-buffer): the parser must
 * refuse to look beyond `end` even though `len` says there is more. */
static void headers_beyond_linear_part(void **state)
{
	struct xvs_pkt pkt;
	struct frame f;
	const uint8_t *d;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 40);
	frame_tcp(&f, 1, 2);
	frame_payload(&f, 100, 0);
	assert_true(frame_finish(&f) > 0);

	d = against_guard(f.buf, 14 + 30);
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(xvs_parse(d, d + 14 + 30, (__u32)f.len, &pkt), XVS_REASON_IP4_TRUNC);
	d = against_guard(f.buf, 14 + 60 + 10);
	memset(&pkt, 0, sizeof(pkt));
	assert_int_equal(xvs_parse(d, d + 14 + 60 + 10, (__u32)f.len, &pkt),
			 XVS_REASON_L4_TRUNC);
}

/* Every prefix of a set of frames parses to OK or a defect, never reading
 * past the end: the guard page turns an over-read into SIGSEGV. */
static void every_truncation_is_safe(void **state)
{
	struct frame f;
	struct xvs_pkt pkt;
	size_t n;
	int k, r;

	(void)state;
	for (k = 0; k < 5; k++) {
		frame_init(&f);
		frame_eth(&f, DST, SRC);
		if (k >= 1)
			frame_vlan(&f, 0x8100, 5);
		if (k == 0 || k == 1) {
			frame_ip4(&f, "10.0.0.1", "10.0.0.2", 12);
			frame_tcp(&f, 1, 2);
		} else if (k == 2) {
			frame_ip6(&f, "fd00::1", "fd00::2");
			frame_ip6_ext(&f, IPPROTO_HOPOPTS, 16);
			frame_ip6_ext(&f, IPPROTO_DSTOPTS, 8);
			frame_ip6_ext(&f, IPPROTO_AH, 12);
			frame_udp(&f, 1, 2);
		} else if (k == 3) {
			frame_ip6(&f, "fd00::1", "fd00::2");
			frame_icmp(&f, 128, 0);
		} else {
			frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
			frame_icmp(&f, 0, 0);
		}
		frame_payload(&f, 20, 0);
		assert_true(frame_finish(&f) > 0);
		for (n = 0; n <= f.len; n++) {
			r = parse(&f, n, &pkt);
			assert_true(r >= XVS_REASON_OK && r < XVS_REASON_MAX);
			/* cutting the payload of an IP packet is always a defect */
			if (n < f.len)
				assert_int_not_equal(r, XVS_REASON_OK);
		}
		assert_int_equal(parse(&f, f.len, &pkt), XVS_REASON_OK);
	}
}

/* The counter table: every reason has a verdict and distinct indices. */
static void counter_table(void **state)
{
	int r;

	(void)state;
	assert_int_equal(XVS_STAT_REASON(1), XVS_VERDICT_MAX);
	assert_int_equal(XVS_STAT_MAX, XVS_VERDICT_MAX + XVS_REASON_MAX - 1);
	for (r = 1; r < XVS_REASON_MAX; r++) {
		assert_non_null(xvs_reason_names[r]);
		assert_non_null(xvs_reason_descs[r]);
		assert_true(xvs_reason_verdict((enum xvs_reason)r) < XVS_VERDICT_MAX);
	}
	assert_int_equal(xvs_reason_verdict(XVS_REASON_TO_VM), XVS_VERDICT_REDIRECT);
	assert_int_equal(xvs_reason_verdict(XVS_REASON_UNKNOWN), XVS_VERDICT_PASS);
	assert_int_equal(xvs_reason_verdict(XVS_REASON_MTU), XVS_VERDICT_DROP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(udp4_fields),
		cmocka_unit_test(ip6_ext_fields),
		cmocka_unit_test(icmp_and_flags),
		cmocka_unit_test(l4_within_the_ip_packet),
		cmocka_unit_test(later_fragments_have_no_l4),
		cmocka_unit_test(runts),
		cmocka_unit_test(headers_beyond_linear_part),
		cmocka_unit_test(every_truncation_is_safe),
		cmocka_unit_test(counter_table),
	};

	return cmocka_run_group_tests_name("parse", tests, guard_setup, guard_teardown);
}
