// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_parse: the frame parser shared with the XDP program
 * (include/xvs/parse.h).
 *
 * Input: 2 bytes (little endian) = length of the linear part (what XDP may
 * read, `end`; clamped to the frame), then the frame. The linear part is
 * copied into a buffer of exactly that size, so that ASan sees any read
 * past `end`; `len` is the whole frame, as for an XDP multi-buffer frame.
 *
 * Invariants, beyond "no crash, no undefined behaviour":
 *  - the result is XVS_REASON_OK or a parser reason (RUNT .. L4_TRUNC);
 *  - every offset it returns lies within the linear part, with the header
 *    it names readable there, and within XVS_PARSE_MAX_OFF;
 *  - fields agree with each other (l3 with ethertype, flags, ports);
 *  - the same input parses the same way twice;
 *  - a frame accepted with a short linear part is accepted, with the same
 *    fields, when all of it is linear (the checks are monotone in `end`).
 */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xvs/parse.h>

#include "fuzz.h"

static int parse(const uint8_t *frame, uint32_t len, uint32_t linear, struct xvs_pkt *pkt)
{
	/* exactly `linear` bytes: a read past `end` is a heap overflow */
	uint8_t *lin = malloc(linear ? linear : 1);
	int r;

	fuzz_check(lin, "out of memory");
	memcpy(lin, frame, linear);
	memset(pkt, 0, sizeof(*pkt));
	r = xvs_parse(lin, lin + linear, len, pkt);
	free(lin);
	return r;
}

static void check_pkt(int r, const struct xvs_pkt *p, uint32_t len, uint32_t linear)
{
	uint32_t l3min, l4min;

	fuzz_check(r == XVS_REASON_OK || (r >= XVS_REASON_RUNT && r <= XVS_REASON_L4_TRUNC),
		   "result %d", r);
	if (r == XVS_REASON_RUNT)
		return;
	fuzz_check(linear >= XVS_ETH_HLEN, "parsed a frame of %u linear bytes", linear);
	fuzz_check(p->n_vlan <= XVS_MAX_VLANS, "n_vlan %u", p->n_vlan);
	fuzz_check(!(p->flags & XVS_PKT_F_BCAST) || (p->flags & XVS_PKT_F_MCAST),
		   "broadcast without multicast");
	fuzz_check(!(p->flags & XVS_PKT_F_LATER_FRAG) || (p->flags & XVS_PKT_F_FRAG),
		   "later fragment without fragment");
	fuzz_check(p->l3 == XVS_L3_NONE || p->l3 == XVS_L3_IP4 || p->l3 == XVS_L3_IP6, "l3 %u",
		   p->l3);
	if (r != XVS_REASON_OK)
		return;

	fuzz_check(XVS_ETH_HLEN + XVS_VLAN_HLEN * p->n_vlan <= linear, "VLAN tags past end");
	if (p->ethertype == ETH_P_IP)
		fuzz_check(p->l3 == XVS_L3_IP4, "IPv4 frame with l3 %u", p->l3);
	else if (p->ethertype == ETH_P_IPV6)
		fuzz_check(p->l3 == XVS_L3_IP6, "IPv6 frame with l3 %u", p->l3);
	else
		fuzz_check(p->l3 == XVS_L3_NONE && p->l4proto == 0 && p->l4_off == 0,
			   "ethertype %#x with l3 %u l4 %u", p->ethertype, p->l3, p->l4proto);

	if (p->l3 == XVS_L3_NONE)
		return;
	l3min = p->l3 == XVS_L3_IP4 ? XVS_IP4_HLEN : XVS_IP6_HLEN;
	fuzz_check(p->l3_off == XVS_ETH_HLEN + XVS_VLAN_HLEN * p->n_vlan, "l3_off %u, %u tags",
		   p->l3_off, p->n_vlan);
	fuzz_check(p->l3_off <= XVS_PARSE_MAX_OFF, "l3_off %u", p->l3_off);
	fuzz_check(p->l3_off + l3min <= linear, "l3 header [%u, +%u) past linear %u", p->l3_off,
		   l3min, linear);
	fuzz_check(p->l3_off + l3min <= len, "l3 header past len %u", len);
	if (p->l3 == XVS_L3_IP4)
		fuzz_check(!(p->saddr[1] | p->saddr[2] | p->saddr[3] | p->daddr[1] | p->daddr[2] |
			     p->daddr[3]),
			   "IPv4 addresses beyond word 0");

	if (p->l4_off == 0) {
		fuzz_check(p->sport == 0 && p->dport == 0 && p->icmp_type == 0 &&
				   p->icmp_code == 0 && p->tcp_flags == 0,
			   "L4 fields without an L4 header");
		return;
	}
	fuzz_check(!(p->flags & XVS_PKT_F_LATER_FRAG), "L4 header in a later fragment");
	switch (p->l4proto) {
	case IPPROTO_TCP:
		l4min = 20;
		break;
	case IPPROTO_SCTP:
		l4min = 12; /* the common header: ports, tag, checksum */
		break;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4min = 8;
		break;
	default:
		fuzz_check(0, "l4_off %u for protocol %u", p->l4_off, p->l4proto);
		return;
	}
	fuzz_check(p->l4_off >= p->l3_off + l3min, "l4_off %u inside the l3 header at %u",
		   p->l4_off, p->l3_off);
	fuzz_check(p->l4_off <= XVS_PARSE_MAX_OFF, "l4_off %u", p->l4_off);
	fuzz_check(p->l4_off + l4min <= linear, "l4 header [%u, +%u) past linear %u", p->l4_off,
		   l4min, linear);
	fuzz_check(p->l4_off + l4min <= len, "l4 header past len %u", len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xvs_pkt a, b, full;
	uint32_t len, linear;
	int r, r2, rf;

	if (size < 2 || size - 2 > 65535)
		return 0;
	linear = (uint32_t)(data[0] | data[1] << 8);
	data += 2;
	len = (uint32_t)(size - 2);
	if (linear > len)
		linear = len;

	r = parse(data, len, linear, &a);
	check_pkt(r, &a, len, linear);

	r2 = parse(data, len, linear, &b);
	fuzz_check(r2 == r && !memcmp(&a, &b, sizeof(a)), "not deterministic (%d, %d)", r, r2);

	rf = parse(data, len, len, &full);
	check_pkt(rf, &full, len, len);
	if (r == XVS_REASON_OK)
		fuzz_check(rf == XVS_REASON_OK && !memcmp(&a, &full, sizeof(a)),
			   "accepted with %u linear bytes (of %u) but not the same when all linear "
			   "(result %d)",
			   linear, len, rf);
	return 0;
}
