// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the anti-spoofing check (src/fw/spoof.c). Frames are built
 * with tools/lib/frame.h and judged the way the forwarder does it: the
 * first 256 bytes (or the whole frame) copied, the copy parsed with
 * xvs_parse() and checked. The copy is placed against an inaccessible
 * page, so reading past caplen is a crash, not a wrong answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "guard.h"
#include "fw/spoof.h"
#include <xvs/parse.h>

#define COPY_MAX 256 /* what the forwarder copies */

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }; /* the VM's */
static const uint8_t OTHER[6] = { 0x52, 0x54, 0x00, 0x65, 0x43, 0x21 };
static const uint8_t GW[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST6[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t ZERO6[6];
static const uint8_t NONCE[6] = { 1, 2, 3, 4, 5, 6 };
#define LL_EUI "fe80::5054:ff:fe12:3456" /* EUI-64 link-local of MAC */
#define LL_EUI_SN "ff02::1:ff12:3456" /* its solicited-node group */

static struct spoof_policy pol;
static struct spoof_state st;
static struct frame f; /* the frame of the moment (16 KiB: not on the stack) */

/* ---- helpers --------------------------------------------------------------- */

static void cidr(struct spoof_cidr *c, const char *s)
{
	char a[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	assert_true(n < sizeof(a));
	memcpy(a, s, n);
	a[n] = 0;
	memset(c, 0, sizeof(*c));
	c->family = strchr(a, ':') ? 6 : 4;
	assert_int_equal(inet_pton(c->family == 6 ? AF_INET6 : AF_INET, a, c->addr), 1);
	c->plen = (uint8_t)(slash ? atoi(slash + 1) : c->family == 6 ? 128 : 32);
}

/* The port of most tests: its MAC, two IPv4 and two IPv6 entries, no learning. */
static void policy_base(void)
{
	memset(&pol, 0, sizeof(pol));
	memset(&st, 0, sizeof(st));
	pol.on = true;
	pol.have_mac = true;
	memcpy(pol.mac, MAC, 6);
	cidr(&pol.ip4[pol.n_ip4++], "192.0.2.10");
	cidr(&pol.ip4[pol.n_ip4++], "198.51.100.16/28");
	cidr(&pol.ip6[pol.n_ip6++], "2001:db8::10");
	cidr(&pol.ip6[pol.n_ip6++], "2001:db8:1::/64");
	assert_int_equal(spoof_policy_validate(&pol), 0);
}

/* Learning everything: no MAC, no address configured. */
static void policy_learn(void)
{
	policy_base();
	pol.have_mac = false;
	pol.n_ip4 = pol.n_ip6 = 0;
	pol.learn = true;
}

/* Parse caplen bytes of fr as the forwarder would; the parse result. */
static int parse_cap(const struct frame *fr, size_t caplen, const uint8_t **copy,
		     struct xvs_pkt *pkt)
{
	*copy = against_guard(fr->buf, caplen);
	memset(pkt, 0, sizeof(*pkt));
	return xvs_parse(*copy, *copy + caplen, (__u32)fr->len, pkt);
}

static int check_cap(const struct frame *fr, size_t caplen)
{
	const uint8_t *copy;
	struct xvs_pkt pkt;

	assert_int_equal(parse_cap(fr, caplen, &copy, &pkt), XVS_REASON_OK);
	return spoof_check(&pol, &st, &pkt, copy, (uint32_t)caplen);
}

/* The forwarder's copy: at most COPY_MAX bytes. */
static int check(const struct frame *fr)
{
	return check_cap(fr, fr->len < COPY_MAX ? fr->len : COPY_MAX);
}

static void finish(void)
{
	assert_true(frame_finish(&f) > 0);
}

/* Build-and-check helpers for the common frames. */
static int ip4_udp(const uint8_t *mac, const char *sa, const char *da, uint16_t sp, uint16_t dp)
{
	frame_init(&f);
	frame_eth(&f, BCAST, mac);
	frame_ip4(&f, sa, da, 0);
	frame_udp(&f, sp, dp);
	frame_payload(&f, 16, 0);
	finish();
	return check(&f);
}

static int ip6_udp(const char *sa, const char *da, uint16_t sp, uint16_t dp)
{
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, sa, da);
	frame_udp(&f, sp, dp);
	frame_payload(&f, 16, 0);
	finish();
	return check(&f);
}

static int l2(const uint8_t *mac)
{
	frame_init(&f);
	frame_eth(&f, BCAST, mac);
	frame_ethertype(&f, 0x88cc); /* LLDP */
	frame_payload(&f, 46, 0);
	finish();
	return check(&f);
}

static void arp_frame(const uint8_t *eth, uint16_t op, const uint8_t *sha, const char *spa,
		      const uint8_t *tha, const char *tpa)
{
	frame_init(&f);
	frame_eth(&f, BCAST, eth);
	frame_arp(&f, op, sha, spa, tha, tpa);
	finish();
}

static int arp(uint16_t op, const uint8_t *sha, const char *spa, const char *tpa)
{
	arp_frame(MAC, op, sha, spa, NULL, tpa);
	return check(&f);
}

static int dhcp4(const char *sa, const char *da, uint16_t sp, uint16_t dp, uint8_t op,
		 uint8_t type)
{
	frame_init(&f);
	frame_eth(&f, BCAST, MAC);
	frame_ip4(&f, sa, da, 0);
	frame_udp(&f, sp, dp);
	frame_dhcp(&f, op, type, MAC);
	finish();
	return check(&f);
}

static int dhcp6(const char *sa, const char *da, uint16_t sp, uint16_t dp, uint8_t type)
{
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, sa, da);
	frame_udp(&f, sp, dp);
	frame_dhcp6(&f, type, 0x123456);
	finish();
	return check(&f);
}

/* An ND message; opt_type 0: no option, else one link-layer option with lla. */
static void nd_frame(const char *sa, const char *da, uint8_t type, uint32_t word,
		     const char *target, uint8_t opt_type, const uint8_t *lla)
{
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, sa, da);
	frame_nd(&f, type, word, target);
	if (opt_type)
		frame_nd_opt(&f, opt_type, lla, 6);
	finish();
}

static int nd(const char *sa, const char *da, uint8_t type, uint32_t word, const char *target,
	      uint8_t opt_type, const uint8_t *lla)
{
	nd_frame(sa, da, type, word, target, opt_type, lla);
	return check(&f);
}

/* A duplicate address detection NS as Linux sends it: from ::, to the
 * solicited-node group, with a nonce (RFC 7527). */
static int dad(const char *target, const char *dst)
{
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, "::", dst);
	frame_nd(&f, 135, 0, target);
	frame_nd_opt(&f, 14, NONCE, 6);
	finish();
	return check(&f);
}

/* An MLD message from sa: v2 report (143) with one record for group, or a
 * v1 report (131) / done (132) for group; Router Alert in a hop-by-hop
 * header, as the kernel sends them. */
static int mld(const char *sa, const char *dst, uint8_t type, const char *group)
{
	uint8_t rec[20] = { 4 }; /* CHANGE_TO_EXCLUDE, no sources */

	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, sa, dst);
	frame_ip6_ext(&f, IPPROTO_HOPOPTS, 8);
	frame_icmp(&f, type, 0);
	if (type == 143) {
		f.buf[f.l4_off + 7] = 1; /* one record */
		assert_int_equal(inet_pton(AF_INET6, group, rec + 4), 1);
		frame_bytes(&f, rec, sizeof(rec));
	} else {
		assert_int_equal(inet_pton(AF_INET6, group, rec), 1);
		frame_bytes(&f, rec, 16);
	}
	finish();
	return check(&f);
}

static int learned(uint8_t mac[6], struct spoof_cidr *ip4, struct spoof_cidr *ip6,
		   struct spoof_cidr *ll6)
{
	return spoof_learned(&st, mac, ip4, ip6, ll6);
}

static void assert_cidr(const struct spoof_cidr *c, const char *s)
{
	struct spoof_cidr want;

	cidr(&want, s);
	assert_int_equal(c->family, want.family);
	assert_int_equal(c->plen, want.plen);
	assert_memory_equal(c->addr, want.addr, 16);
}

/* ---- tables and policy ----------------------------------------------------- */

static void reason_table(void **state)
{
	int r;

	(void)state;
	assert_int_equal(SPOOF_OK, 0);
	for (r = 0; r < SPOOF_REASON_MAX; r++) {
		assert_non_null(spoof_reason_names[r]);
		assert_non_null(spoof_reason_descs[r]);
	}
	assert_string_equal(spoof_reason_names[SPOOF_SRC_MAC], "SRC_MAC");
	assert_string_equal(spoof_reason_names[SPOOF_DHCP_SERVER], "DHCP_SERVER");
	assert_int_equal(sizeof(struct spoof_state), 64);
	assert_int_equal(_Alignof(struct spoof_state), 64);
}

static void policy_validation(void **state)
{
	(void)state;
	policy_base();
	pol.ip4[0].plen = 33;
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	cidr(&pol.ip4[0], "192.0.2.0/24");
	pol.ip4[0].addr[3] = 1; /* host bits */
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	cidr(&pol.ip6[1], "2001:db8:1::/63");
	pol.ip6[1].addr[7] = 1;
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	pol.ip6[0].family = 4;
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	pol.n_ip4 = SPOOF_MAX_ADDRS + 1;
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	pol.n_ip6 = -1;
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	pol.mac[0] = 0x01;
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	memset(pol.mac, 0, 6);
	assert_int_equal(spoof_policy_validate(&pol), -EINVAL);
	policy_base();
	cidr(&pol.ip4[0], "0.0.0.0/0");
	cidr(&pol.ip6[0], "::/0");
	assert_int_equal(spoof_policy_validate(&pol), 0);
}

/* ---- Ethernet -------------------------------------------------------------- */

static void mac_and_other_ethertypes(void **state)
{
	(void)state;
	policy_base();
	assert_int_equal(l2(MAC), SPOOF_OK);
	assert_int_equal(l2(OTHER), SPOOF_SRC_MAC);
	assert_int_equal(l2(MCAST6), SPOOF_SRC_MAC);
	assert_int_equal(l2(BCAST), SPOOF_SRC_MAC);
	assert_int_equal(ip4_udp(OTHER, "192.0.2.10", "192.0.2.1", 1000, 53), SPOOF_SRC_MAC);

	pol.on = false; /* off: nothing is looked at */
	assert_int_equal(l2(OTHER), SPOOF_OK);
	assert_int_equal(ip4_udp(OTHER, "203.0.113.1", "192.0.2.1", 67, 68), SPOOF_OK);

	policy_base(); /* no MAC and no learning: the port may send nothing */
	pol.have_mac = false;
	assert_int_equal(l2(MAC), SPOOF_SRC_MAC);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), 0);
}

static void vlan_tagged(void **state)
{
	(void)state;
	policy_base();
	frame_init(&f);
	frame_eth(&f, BCAST, MAC);
	frame_vlan(&f, 0x8100, 10);
	frame_ip4(&f, "192.0.2.10", "192.0.2.1", 0);
	frame_udp(&f, 1000, 53);
	finish();
	assert_int_equal(check(&f), SPOOF_VLAN);
}

/* ---- IPv4 ------------------------------------------------------------------ */

static void ip4_sources(void **state)
{
	static const struct {
		const char *src;
		int want;
	} cases[] = {
		{ "192.0.2.10", SPOOF_OK },	     { "198.51.100.16", SPOOF_OK },
		{ "198.51.100.31", SPOOF_OK },	     { "198.51.100.32", SPOOF_IP4_SRC },
		{ "198.51.100.15", SPOOF_IP4_SRC },  { "192.0.2.11", SPOOF_IP4_SRC },
		{ "127.0.0.1", SPOOF_IP4_SRC },	     { "224.0.0.1", SPOOF_IP4_SRC },
		{ "255.255.255.255", SPOOF_IP4_SRC }, { "0.0.0.0", SPOOF_IP4_SRC },
		{ "0.1.2.3", SPOOF_IP4_SRC },
	};
	size_t i;

	(void)state;
	policy_base();
	for (i = 0; i < XVS_ARRAY_SIZE(cases); i++) {
		frame_init(&f);
		frame_eth(&f, GW, MAC);
		frame_ip4(&f, cases[i].src, "203.0.113.1", 0);
		frame_tcp(&f, 40000, 443);
		finish();
		assert_int_equal(check(&f), cases[i].want);
	}

	/* "any address" still excludes what no host can own */
	cidr(&pol.ip4[0], "0.0.0.0/0");
	assert_int_equal(ip4_udp(MAC, "10.1.2.3", "10.1.2.4", 1000, 53), SPOOF_OK);
	assert_int_equal(ip4_udp(MAC, "127.0.0.1", "10.1.2.4", 1000, 53), SPOOF_IP4_SRC);
	assert_int_equal(ip4_udp(MAC, "0.0.0.0", "10.1.2.4", 1000, 53), SPOOF_IP4_SRC);
}

static void ip4_fragments(void **state)
{
	(void)state;
	policy_base();
	/* a later fragment has no UDP header: only its source tells */
	frame_init(&f);
	frame_eth(&f, GW, MAC);
	frame_ip4(&f, "203.0.113.9", "192.0.2.1", 0);
	frame_ipproto(&f, IPPROTO_UDP);
	frame_payload(&f, 64, 0);
	finish();
	frame_ip4_frag(&f, 185, false);
	assert_int_equal(check(&f), SPOOF_IP4_SRC);

	frame_init(&f);
	frame_eth(&f, GW, MAC);
	frame_ip4(&f, "192.0.2.10", "192.0.2.1", 0);
	frame_ipproto(&f, IPPROTO_UDP);
	frame_payload(&f, 64, 0);
	finish();
	frame_ip4_frag(&f, 185, false);
	assert_int_equal(check(&f), SPOOF_OK);

	/* first fragment from a wrong source */
	frame_init(&f);
	frame_eth(&f, GW, MAC);
	frame_ip4(&f, "203.0.113.9", "192.0.2.1", 0);
	frame_udp(&f, 1000, 2000);
	frame_payload(&f, 64, 0);
	finish();
	frame_ip4_frag(&f, 0, true);
	assert_int_equal(check(&f), SPOOF_IP4_SRC);

	/* a DHCP client does not fragment from 0.0.0.0 */
	frame_init(&f);
	frame_eth(&f, BCAST, MAC);
	frame_ip4(&f, "0.0.0.0", "255.255.255.255", 0);
	frame_udp(&f, 68, 67);
	frame_dhcp(&f, 1, 1, MAC);
	finish();
	frame_ip4_frag(&f, 0, true);
	assert_int_equal(check(&f), SPOOF_IP4_SRC);
}

static void dhcp4_client(void **state)
{
	(void)state;
	policy_base();
	/* DISCOVER and REQUEST before a lease; the 286-byte frame is cut at 256 */
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 68, 67, 1, 1), SPOOF_OK);
	assert_true(f.len > COPY_MAX);
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 68, 67, 1, 3), SPOOF_OK);
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 68, 67, 1, 4), SPOOF_OK); /* DECLINE */
	/* 0.0.0.0 for nothing else */
	assert_int_equal(dhcp4("0.0.0.0", "192.0.2.1", 68, 67, 1, 3), SPOOF_IP4_SRC);
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 1000, 67, 1, 1), SPOOF_IP4_SRC);
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 68, 68, 1, 1), SPOOF_IP4_SRC);
	frame_init(&f);
	frame_eth(&f, BCAST, MAC);
	frame_ip4(&f, "0.0.0.0", "255.255.255.255", 0);
	frame_icmp(&f, 8, 0);
	finish();
	assert_int_equal(check(&f), SPOOF_IP4_SRC);
	/* RENEW from the lease, unicast */
	assert_int_equal(dhcp4("192.0.2.10", "192.0.2.1", 68, 67, 1, 3), SPOOF_OK);
	assert_int_equal(dhcp4("192.0.2.99", "192.0.2.1", 68, 67, 1, 3), SPOOF_IP4_SRC);
	/* too short to tell what it is */
	frame_init(&f);
	frame_eth(&f, BCAST, MAC);
	frame_ip4(&f, "0.0.0.0", "255.255.255.255", 0);
	frame_udp(&f, 68, 67);
	finish();
	assert_int_equal(check(&f), SPOOF_TRUNC);
	frame_resize(&f, 60); /* Ethernet padding is not the message */
	assert_int_equal(check(&f), SPOOF_TRUNC);
}

static void dhcp4_server(void **state)
{
	(void)state;
	policy_base();
	/* OFFER and ACK from the VM */
	assert_int_equal(dhcp4("192.0.2.10", "255.255.255.255", 67, 68, 2, 2), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp4("192.0.2.10", "192.0.2.50", 67, 68, 2, 5), SPOOF_DHCP_SERVER);
	/* not from 67: clients take it all the same */
	assert_int_equal(dhcp4("192.0.2.10", "255.255.255.255", 4000, 68, 2, 2), SPOOF_DHCP_SERVER);
	/* a reply to a relay, and relaying */
	assert_int_equal(dhcp4("192.0.2.10", "192.0.2.1", 4000, 67, 2, 5), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp4("192.0.2.10", "192.0.2.1", 67, 67, 1, 1), SPOOF_DHCP_SERVER);
	/* the source is judged first */
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 67, 68, 2, 2), SPOOF_IP4_SRC);

	pol.dhcp_server = true;
	assert_int_equal(dhcp4("192.0.2.10", "255.255.255.255", 67, 68, 2, 2), SPOOF_OK);
	assert_int_equal(dhcp4("192.0.2.10", "192.0.2.1", 67, 67, 2, 5), SPOOF_OK);
	assert_int_equal(dhcp4("203.0.113.1", "255.255.255.255", 67, 68, 2, 2), SPOOF_IP4_SRC);
}

/* ---- ARP ------------------------------------------------------------------- */

static void arp_checks(void **state)
{
	(void)state;
	policy_base();
	assert_int_equal(arp(1, MAC, "192.0.2.10", "192.0.2.1"), SPOOF_OK);
	assert_int_equal(arp(2, MAC, "198.51.100.20", "192.0.2.1"), SPOOF_OK);
	assert_int_equal(arp(1, OTHER, "192.0.2.10", "192.0.2.1"), SPOOF_ARP);
	assert_int_equal(arp(1, MAC, "192.0.2.99", "192.0.2.1"), SPOOF_ARP);
	assert_int_equal(arp(2, MAC, "192.0.2.1", "192.0.2.50"), SPOOF_ARP); /* poisoning */
	arp_frame(OTHER, 1, MAC, "192.0.2.10", NULL, "192.0.2.1");
	assert_int_equal(check(&f), SPOOF_SRC_MAC);

	/* probes (RFC 5227): sender 0.0.0.0, for the port's own address only */
	assert_int_equal(arp(1, MAC, "0.0.0.0", "192.0.2.10"), SPOOF_OK);
	assert_int_equal(arp(1, MAC, "0.0.0.0", "198.51.100.30"), SPOOF_OK);
	assert_int_equal(arp(1, MAC, "0.0.0.0", "192.0.2.99"), SPOOF_ARP);
	assert_int_equal(arp(1, MAC, "0.0.0.0", "0.0.0.0"), SPOOF_ARP);
	assert_int_equal(arp(2, MAC, "0.0.0.0", "192.0.2.10"), SPOOF_ARP);
	assert_int_equal(arp(1, OTHER, "0.0.0.0", "192.0.2.10"), SPOOF_ARP);

	/* gratuitous: announcements of the own address, as request and reply */
	assert_int_equal(arp(1, MAC, "192.0.2.10", "192.0.2.10"), SPOOF_OK);
	arp_frame(MAC, 2, MAC, "192.0.2.10", BCAST, "192.0.2.10");
	assert_int_equal(check(&f), SPOOF_OK);
	assert_int_equal(arp(1, MAC, "192.0.2.1", "192.0.2.1"), SPOOF_ARP);
	arp_frame(MAC, 2, MAC, "192.0.2.1", BCAST, "192.0.2.1");
	assert_int_equal(check(&f), SPOOF_ARP);
}

static void arp_malformed(void **state)
{
	static const struct {
		size_t at;
		uint8_t val;
	} pokes[] = {
		{ 14 + 1, 6 }, /* hardware type 6 */
		{ 14 + 2, 0x86 }, /* protocol 0x8600 */
		{ 14 + 4, 8 }, /* hardware length */
		{ 14 + 5, 16 }, /* protocol length */
		{ 14 + 7, 3 }, /* RARP request */
		{ 14 + 7, 0 },
		{ 14 + 6, 1 }, /* op 0x101 */
	};
	size_t i;

	(void)state;
	policy_base();
	for (i = 0; i < XVS_ARRAY_SIZE(pokes); i++) {
		arp_frame(MAC, 1, MAC, "192.0.2.10", NULL, "192.0.2.1");
		f.buf[pokes[i].at] = pokes[i].val;
		assert_int_equal(check(&f), SPOOF_ARP);
	}
}

/* Cut at every length, and copied short of a whole frame at every length. */
static void arp_truncated(void **state)
{
	size_t n;

	(void)state;
	policy_base();
	for (n = 14; n < 14 + 28; n++) {
		arp_frame(MAC, 1, MAC, "192.0.2.10", NULL, "192.0.2.1");
		frame_resize(&f, n);
		assert_int_equal(check(&f), SPOOF_ARP);
	}
	arp_frame(MAC, 1, MAC, "192.0.2.10", NULL, "192.0.2.1");
	frame_resize(&f, 60); /* padded to the Ethernet minimum */
	for (n = 14; n < 14 + 28; n++)
		assert_int_equal(check_cap(&f, n), SPOOF_ARP);
	assert_int_equal(check_cap(&f, 14 + 28), SPOOF_OK);
	assert_int_equal(check(&f), SPOOF_OK);
}

/* ---- IPv6 ------------------------------------------------------------------ */

static void ip6_sources(void **state)
{
	static const struct {
		const char *src;
		int want;
	} cases[] = {
		{ "2001:db8::10", SPOOF_OK },
		{ "2001:db8:1::abcd", SPOOF_OK },
		{ "2001:db8:1:0:ffff:ffff:ffff:ffff", SPOOF_OK },
		{ "2001:db8:2::1", SPOOF_IP6_SRC },
		{ "2001:db8::11", SPOOF_IP6_SRC },
		{ LL_EUI, SPOOF_OK },
		{ "fe80::5054:ff:fe12:3457", SPOOF_IP6_SRC },
		{ "fe80:1::5054:ff:fe12:3456", SPOOF_IP6_SRC }, /* not fe80::/64 */
		{ "fe80::1", SPOOF_IP6_SRC },
		{ "ff02::1", SPOOF_IP6_SRC },
		{ "::1", SPOOF_IP6_SRC },
		{ "::ffff:192.0.2.10", SPOOF_IP6_SRC },
		{ "::", SPOOF_IP6_SRC },
	};
	size_t i;

	(void)state;
	policy_base();
	for (i = 0; i < XVS_ARRAY_SIZE(cases); i++) {
		assert_int_equal(ip6_udp(cases[i].src, "2001:db8::1", 1000, 53), cases[i].want);
		frame_init(&f);
		frame_eth(&f, GW, MAC);
		frame_ip6(&f, cases[i].src, "2001:db8::1");
		frame_tcp(&f, 40000, 443);
		finish();
		assert_int_equal(check(&f), cases[i].want);
	}

	/* a later fragment: no L4 header, the source alone */
	frame_init(&f);
	frame_eth(&f, GW, MAC);
	frame_ip6(&f, "2001:db8::99", "2001:db8::1");
	frame_ip6_frag(&f, 100, false);
	frame_ipproto(&f, IPPROTO_UDP);
	frame_payload(&f, 32, 0);
	finish();
	assert_int_equal(check(&f), SPOOF_IP6_SRC);

	/* "any address" still excludes what no host can own */
	cidr(&pol.ip6[0], "::/0");
	assert_int_equal(ip6_udp("2001:db8:99::1", "2001:db8::1", 1000, 53), SPOOF_OK);
	assert_int_equal(ip6_udp("fe80::1", "2001:db8::1", 1000, 53), SPOOF_OK);
	assert_int_equal(ip6_udp("ff02::1", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp("::1", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp("::ffff:10.0.0.1", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
}

/* What a Linux guest sends from :: while it brings an interface up. */
static void unspecified_source(void **state)
{
	(void)state;
	policy_base();
	/* DAD of the EUI-64 link-local, and of a configured address */
	assert_int_equal(dad(LL_EUI, LL_EUI_SN), SPOOF_OK);
	assert_int_equal(dad("2001:db8::10", "ff02::1:ff00:10"), SPOOF_OK);
	assert_int_equal(dad("2001:db8:1::5054:ff:fe12:3456", LL_EUI_SN), SPOOF_OK);
	/* MLD reports for the solicited-node groups, from :: */
	assert_int_equal(mld("::", "ff02::16", 143, LL_EUI_SN), SPOOF_OK);
	assert_int_equal(mld("::", LL_EUI_SN, 131, LL_EUI_SN), SPOOF_OK);
	assert_int_equal(mld("::", "ff02::2", 132, LL_EUI_SN), SPOOF_OK);
	assert_int_equal(mld("::", "2001:db8::1", 143, LL_EUI_SN), SPOOF_IP6_SRC);
	assert_int_equal(mld("::", "ff02::16", 130, "::"), SPOOF_IP6_SRC); /* a query */
	assert_int_equal(mld(LL_EUI, "ff02::16", 143, LL_EUI_SN), SPOOF_OK);
	assert_int_equal(mld("fe80::99", "ff02::16", 143, LL_EUI_SN), SPOOF_IP6_SRC);

	/* nothing else from :: */
	assert_int_equal(nd("::", "ff02::2", 133, 0, NULL, 0, NULL), SPOOF_IP6_SRC);
	assert_int_equal(nd("::", "ff02::1", 136, 0x20000000, LL_EUI, 0, NULL), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp("::", "ff02::1:2", 546, 547), SPOOF_IP6_SRC);
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, "::", "ff02::1");
	frame_icmp(&f, 128, 0);
	finish();
	assert_int_equal(check(&f), SPOOF_IP6_SRC);
	frame_init(&f); /* a fragmented DAD */
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, "::", LL_EUI_SN);
	frame_ip6_frag(&f, 0, true);
	frame_nd(&f, 135, 0, LL_EUI);
	finish();
	assert_int_equal(check(&f), SPOOF_IP6_SRC);
}

static void dad_rules(void **state)
{
	(void)state;
	policy_base();
	/* for another host's address: that host would give it up */
	assert_int_equal(dad("2001:db8::99", "ff02::1:ff00:99"), SPOOF_ND);
	assert_int_equal(dad("fe80::1", "ff02::1:ff00:1"), SPOOF_ND);
	/* not to the target's solicited-node group */
	assert_int_equal(dad(LL_EUI, "ff02::1"), SPOOF_ND);
	assert_int_equal(dad(LL_EUI, "ff02::1:ff12:3457"), SPOOF_ND);
	/* with a source link-layer address (RFC 4861 7.2.2 forbids it) */
	assert_int_equal(nd("::", LL_EUI_SN, 135, 0, LL_EUI, 1, MAC), SPOOF_ND);
	/* without the nonce: fine */
	assert_int_equal(nd("::", LL_EUI_SN, 135, 0, LL_EUI, 0, NULL), SPOOF_OK);
	/* a target link-layer option must still be the port's */
	assert_int_equal(nd("::", LL_EUI_SN, 135, 0, LL_EUI, 2, OTHER), SPOOF_ND);
}

static void nd_checks(void **state)
{
	(void)state;
	policy_base();
	/* address resolution of the router: its target is the router */
	assert_int_equal(nd(LL_EUI, "ff02::1:ff00:1", 135, 0, "fe80::1", 1, MAC), SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::1:ff00:1", 135, 0, "fe80::1", 0, NULL), SPOOF_OK);
	assert_int_equal(nd("2001:db8::10", "2001:db8::1", 135, 0, "2001:db8::1", 1, MAC),
			 SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::1:ff00:1", 135, 0, "fe80::1", 1, OTHER), SPOOF_ND);
	assert_int_equal(nd(LL_EUI, "ff02::1:ff00:1", 135, 0, "fe80::1", 2, OTHER), SPOOF_ND);
	assert_int_equal(nd("fe80::99", "ff02::1:ff00:1", 135, 0, "fe80::1", 1, MAC),
			 SPOOF_IP6_SRC);

	/* advertisements: solicited, and unsolicited with override */
	assert_int_equal(nd("2001:db8::10", "fe80::1", 136, 0x60000000, "2001:db8::10", 2, MAC),
			 SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, LL_EUI, 2, MAC), SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, "2001:db8:1::7", 0, NULL),
			 SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, "2001:db8::1", 2, MAC), SPOOF_ND);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, "fe80::1", 2, MAC), SPOOF_ND);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, "ff02::1", 0, NULL), SPOOF_ND);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, LL_EUI, 2, OTHER), SPOOF_ND);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, LL_EUI, 1, OTHER), SPOOF_ND);

	/* router solicitation with a source link-layer address */
	assert_int_equal(nd(LL_EUI, "ff02::2", 133, 0, NULL, 1, MAC), SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::2", 133, 0, NULL, 0, NULL), SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "ff02::2", 133, 0, NULL, 1, OTHER), SPOOF_ND);

	/* options: unknown ones pass, zero length and overruns do not */
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, LL_EUI, "ff02::1:ff00:1");
	frame_nd(&f, 135, 0, "fe80::1");
	frame_nd_opt(&f, 14, NONCE, 6);
	frame_nd_opt(&f, 1, MAC, 6);
	finish();
	assert_int_equal(check(&f), SPOOF_OK);
	f.buf[14 + 40 + 24 + 8 + 1] = 0;
	assert_int_equal(frame_finish(&f), (int)f.len);
	assert_int_equal(check(&f), SPOOF_ND);
	f.buf[14 + 40 + 24 + 8 + 1] = 2; /* 16 bytes, 8 there */
	assert_int_equal(frame_finish(&f), (int)f.len);
	assert_int_equal(check(&f), SPOOF_ND);
	/* two link-layer options: both must be the port's */
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, LL_EUI, "ff02::1");
	frame_nd(&f, 136, 0x20000000, LL_EUI);
	frame_nd_opt(&f, 2, MAC, 6);
	frame_nd_opt(&f, 2, OTHER, 6);
	finish();
	assert_int_equal(check(&f), SPOOF_ND);

	/* fragmented: options could hide in a later fragment (RFC 6980) */
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, LL_EUI, "ff02::1");
	frame_ip6_frag(&f, 0, true);
	frame_nd(&f, 136, 0x20000000, LL_EUI);
	finish();
	assert_int_equal(check(&f), SPOOF_ND);
	/* other ICMPv6 from a good source: not looked into */
	frame_init(&f);
	frame_eth(&f, GW, MAC);
	frame_ip6(&f, LL_EUI, "fe80::1");
	frame_icmp(&f, 128, 0);
	finish();
	assert_int_equal(check(&f), SPOOF_OK);
}

/* ND messages of the truncation test: one per kind the check reads. */
static const struct nd_msg {
	const char *src, *dst, *target;
	uint8_t type, opt;
	uint32_t word;
} nd_msgs[] = {
	{ LL_EUI, "ff02::1:ff00:1", "fe80::1", 135, 1, 0 },
	{ LL_EUI, "ff02::1", LL_EUI, 136, 2, 0x20000000 },
	{ "::", LL_EUI_SN, LL_EUI, 135, 14, 0 },
	{ LL_EUI, "ff02::2", NULL, 133, 1, 0 },
};

static void nd_msg_frame(const struct nd_msg *m)
{
	nd_frame(m->src, m->dst, m->type, m->word, m->target, m->opt, m->opt == 14 ? NONCE : MAC);
}

/*
 * ND messages cut at every length: the ICMPv6 message shortened (the IPv6
 * payload length says so) and the copy shorter than the frame (a frame
 * longer than the copy, its end not seen).
 */
static void nd_truncated(void **state)
{
	size_t i, n, full, fixed;
	const uint8_t *copy;
	struct xvs_pkt pkt;

	(void)state;
	policy_base();
	for (i = 0; i < XVS_ARRAY_SIZE(nd_msgs); i++) {
		fixed = nd_msgs[i].type == 133 ? 8 : 24;
		for (n = 8; n < fixed + 8; n++) {
			nd_msg_frame(&nd_msgs[i]);
			frame_resize(&f, 14 + 40 + n);
			finish();
			/* just the fixed part, no option: a valid message */
			assert_int_equal(check(&f), n == fixed ? SPOOF_OK : SPOOF_ND);
		}
		nd_msg_frame(&nd_msgs[i]);
		full = f.len;
		assert_int_equal(check(&f), SPOOF_OK);
		for (n = 0; n < full; n++) {
			if (parse_cap(&f, n, &copy, &pkt) != XVS_REASON_OK)
				continue; /* the forwarder drops it before */
			assert_int_equal(spoof_check(&pol, &st, &pkt, copy, (uint32_t)n), SPOOF_ND);
		}
	}
}

static void router_messages(void **state)
{
	static const uint8_t prefix[30] = { 64, 0xc0 };
	int k;

	(void)state;
	policy_base();
	assert_int_equal(nd(LL_EUI, "ff02::1", 134, 64u << 24 | 1800, NULL, 1, MAC), SPOOF_RA);
	assert_int_equal(nd(LL_EUI, "fe80::99", 137, 0, "fe80::1", 0, NULL), SPOOF_RA);
	assert_int_equal(nd("fe80::99", "ff02::1", 134, 64u << 24 | 1800, NULL, 1, MAC),
			 SPOOF_IP6_SRC);
	assert_int_equal(nd("::", "ff02::1", 134, 64u << 24 | 1800, NULL, 0, NULL), SPOOF_IP6_SRC);

	pol.router_adv = true;
	assert_int_equal(nd(LL_EUI, "ff02::1", 134, 64u << 24 | 1800, NULL, 1, MAC), SPOOF_OK);
	assert_int_equal(nd(LL_EUI, "fe80::99", 137, 0, "fe80::1", 2, GW), SPOOF_OK);
	assert_int_equal(nd("fe80::99", "ff02::1", 134, 64u << 24 | 1800, NULL, 1, MAC),
			 SPOOF_IP6_SRC);
	/* a router's long RA is not looked into: the copy does not hold it */
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, LL_EUI, "ff02::1");
	frame_nd(&f, 134, 64u << 24 | 1800, NULL);
	for (k = 0; k < 8; k++)
		frame_nd_opt(&f, 3, prefix, sizeof(prefix)); /* prefix information */
	finish();
	assert_true(f.len > COPY_MAX);
	assert_int_equal(check(&f), SPOOF_OK);
}

static void dhcp6_checks(void **state)
{
	(void)state;
	policy_base();
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 546, 547, 1), SPOOF_OK); /* SOLICIT */
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 546, 547, 3), SPOOF_OK); /* REQUEST */
	assert_int_equal(dhcp6("2001:db8::10", "2001:db8::1", 546, 547, 5), SPOOF_OK); /* RENEW */
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 546, 547, 11), SPOOF_OK);
	/* ADVERTISE and REPLY to a client, from 547 or not */
	assert_int_equal(dhcp6(LL_EUI, "fe80::99", 547, 546, 2), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp6(LL_EUI, "fe80::99", 5000, 546, 7), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp6(LL_EUI, "fe80::99", 547, 5000, 7), SPOOF_DHCP_SERVER);
	/* server and relay messages to a server or relay */
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 5000, 547, 2), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 5000, 547, 10), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 5000, 547, 12), SPOOF_DHCP_SERVER);
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 5000, 547, 13), SPOOF_DHCP_SERVER);
	/* too short to tell */
	frame_init(&f);
	frame_eth(&f, MCAST6, MAC);
	frame_ip6(&f, LL_EUI, "ff02::1:2");
	frame_udp(&f, 546, 547);
	finish();
	frame_resize(&f, 64); /* padding is not the message */
	assert_int_equal(check(&f), SPOOF_TRUNC);

	pol.dhcp_server = true;
	assert_int_equal(dhcp6(LL_EUI, "fe80::99", 547, 546, 2), SPOOF_OK);
	assert_int_equal(dhcp6(LL_EUI, "ff02::1:2", 547, 547, 13), SPOOF_OK);
	assert_int_equal(dhcp6("fe80::99", "fe80::98", 547, 546, 2), SPOOF_IP6_SRC);
}

/* Every prefix of a set of frames: no read past the copy, a known answer. */
static void every_copy_length_is_safe(void **state)
{
	const uint8_t *copy;
	struct xvs_pkt pkt;
	size_t n, full, first;
	int k, r, checked;

	(void)state;
	for (k = 0; k < 8; k++) {
		policy_base();
		pol.learn = k & 1;
		if (pol.learn)
			pol.n_ip4 = pol.n_ip6 = 0;
		switch (k / 2) {
		case 0:
			dhcp4("0.0.0.0", "255.255.255.255", 68, 67, 1, 1);
			break;
		case 1:
			dhcp6(LL_EUI, "ff02::1:2", 546, 547, 1);
			break;
		case 2:
			arp_frame(MAC, 1, MAC, "0.0.0.0", NULL, "192.0.2.10");
			break;
		default:
			mld("::", "ff02::16", 143, LL_EUI_SN);
			break;
		}
		full = f.len < COPY_MAX ? f.len : COPY_MAX; /* what the forwarder copies */
		checked = 0;
		first = full + 1;
		for (n = 0; n <= full; n++) {
			if (parse_cap(&f, n, &copy, &pkt) != XVS_REASON_OK)
				continue;
			if (first > full)
				first = n;
			memset(&st, 0, sizeof(st));
			r = spoof_check(&pol, &st, &pkt, copy, (uint32_t)n);
			assert_true(r >= SPOOF_OK && r < SPOOF_REASON_MAX);
			checked++;
		}
		/* the check ran: for the whole copy, and for every shorter
		 * one that still holds the headers the parser needs */
		assert_true(first < full);
		assert_int_equal(checked, full - first + 1);
	}
}

/* ---- learning -------------------------------------------------------------- */

static void learn_mac(void **state)
{
	uint8_t mac[6];
	static const uint8_t A[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

	(void)state;
	policy_learn();
	assert_int_equal(l2(MCAST6), SPOOF_SRC_MAC);
	assert_int_equal(l2(BCAST), SPOOF_SRC_MAC);
	assert_int_equal(l2(ZERO6), SPOOF_SRC_MAC);
	assert_int_equal(learned(mac, NULL, NULL, NULL), 0);
	assert_int_equal(l2(A), SPOOF_OK);
	assert_int_equal(learned(mac, NULL, NULL, NULL), SPOOF_LEARNED_MAC);
	assert_memory_equal(mac, A, 6);
	assert_int_equal(l2(OTHER), SPOOF_SRC_MAC);
	assert_int_equal(l2(A), SPOOF_OK);
	assert_int_equal(ip4_udp(OTHER, "10.0.0.5", "10.0.0.1", 1000, 53), SPOOF_SRC_MAC);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), SPOOF_LEARNED_MAC);

	/* the EUI-64 link-local follows the learned MAC, without using the slot */
	frame_init(&f);
	frame_eth(&f, GW, A);
	frame_ip6(&f, "fe80::5054:ff:feaa:bbcc", "fe80::1");
	frame_udp(&f, 1000, 53);
	finish();
	assert_int_equal(check(&f), SPOOF_OK);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), SPOOF_LEARNED_MAC);

	/* a configured MAC is never replaced by a learned one */
	policy_learn();
	pol.have_mac = true;
	assert_int_equal(l2(OTHER), SPOOF_SRC_MAC);
	assert_int_equal(l2(MAC), SPOOF_OK);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), 0);

	/* reset: the next one is learned */
	policy_learn();
	assert_int_equal(l2(A), SPOOF_OK);
	spoof_state_reset(&st);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), 0);
	assert_int_equal(l2(OTHER), SPOOF_OK);
	assert_int_equal(learned(mac, NULL, NULL, NULL), SPOOF_LEARNED_MAC);
	assert_memory_equal(mac, OTHER, 6);
	assert_int_equal(l2(A), SPOOF_SRC_MAC);
}

static void learn_ip4(void **state)
{
	struct spoof_cidr c;

	(void)state;
	policy_learn();
	pol.have_mac = true;
	/* bring-up: DHCP from 0.0.0.0, a probe for the offered address */
	assert_int_equal(dhcp4("0.0.0.0", "255.255.255.255", 68, 67, 1, 1), SPOOF_OK);
	assert_int_equal(arp(1, MAC, "0.0.0.0", "10.0.0.5"), SPOOF_OK);
	assert_int_equal(learned(NULL, &c, NULL, NULL), 0);
	/* never an address no host can own */
	assert_int_equal(arp(1, MAC, "127.0.0.1", "10.0.0.1"), SPOOF_ARP);
	assert_int_equal(ip4_udp(MAC, "224.0.0.5", "10.0.0.1", 1000, 53), SPOOF_IP4_SRC);
	assert_int_equal(learned(NULL, &c, NULL, NULL), 0);
	/* the announcement: learned from the ARP sender */
	assert_int_equal(arp(1, MAC, "10.0.0.5", "10.0.0.5"), SPOOF_OK);
	assert_int_equal(learned(NULL, &c, NULL, NULL), SPOOF_LEARNED_IP4);
	assert_cidr(&c, "10.0.0.5/32");
	assert_int_equal(ip4_udp(MAC, "10.0.0.5", "10.0.0.1", 1000, 53), SPOOF_OK);
	assert_int_equal(ip4_udp(MAC, "10.0.0.6", "10.0.0.1", 1000, 53), SPOOF_IP4_SRC);
	assert_int_equal(arp(1, MAC, "10.0.0.6", "10.0.0.1"), SPOOF_ARP);
	assert_int_equal(arp(1, MAC, "0.0.0.0", "10.0.0.6"), SPOOF_ARP); /* closed now */
	assert_int_equal(arp(1, MAC, "0.0.0.0", "10.0.0.5"), SPOOF_OK);
	assert_int_equal(learned(NULL, &c, NULL, NULL), SPOOF_LEARNED_IP4);
	assert_cidr(&c, "10.0.0.5/32");

	/* learned from an IPv4 source, then ARP must agree */
	spoof_state_reset(&st);
	assert_int_equal(ip4_udp(MAC, "10.0.0.7", "10.0.0.1", 1000, 53), SPOOF_OK);
	assert_int_equal(arp(1, MAC, "10.0.0.5", "10.0.0.1"), SPOOF_ARP);
	assert_int_equal(arp(2, MAC, "10.0.0.7", "10.0.0.1"), SPOOF_OK);
	assert_int_equal(learned(NULL, &c, NULL, NULL), SPOOF_LEARNED_IP4);
	assert_cidr(&c, "10.0.0.7/32");

	/* a family with something configured learns nothing */
	policy_base();
	pol.learn = true;
	assert_int_equal(ip4_udp(MAC, "10.0.0.7", "10.0.0.1", 1000, 53), SPOOF_IP4_SRC);
	assert_int_equal(arp(1, MAC, "0.0.0.0", "10.0.0.7"), SPOOF_ARP);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), 0);
}

static void learn_ip6(void **state)
{
	struct spoof_cidr ip6, ll6;
	const char *ll = "fe80::1c2d:3e4f:5a6b:7c8d"; /* stable-privacy style */

	(void)state;
	policy_learn();
	pol.have_mac = true;
	/* bring-up: DAD and MLD from ::, nothing learned */
	assert_int_equal(mld("::", "ff02::16", 143, "ff02::1:ff6b:7c8d"), SPOOF_OK);
	assert_int_equal(dad(ll, "ff02::1:ff6b:7c8d"), SPOOF_OK);
	assert_int_equal(dad("2001:db8::77", "ff02::1:ff00:77"), SPOOF_OK);
	assert_int_equal(dad(LL_EUI, LL_EUI_SN), SPOOF_OK);
	assert_int_equal(learned(NULL, NULL, &ip6, &ll6), 0);
	/* an advertisement's target is not learned: it must be known */
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, "2001:db8::77", 0, NULL),
			 SPOOF_ND);
	assert_int_equal(learned(NULL, NULL, &ip6, &ll6), 0); /* the EUI-64 one is no slot */
	/* the first link-local it sends from */
	assert_int_equal(nd(ll, "ff02::2", 133, 0, NULL, 1, MAC), SPOOF_OK);
	assert_int_equal(learned(NULL, NULL, &ip6, &ll6), SPOOF_LEARNED_LL6);
	assert_cidr(&ll6, ll);
	assert_int_equal(ip6_udp("fe80::1", "ff02::1:3", 1000, 5355), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp(LL_EUI, "ff02::1:3", 1000, 5355), SPOOF_OK);
	assert_int_equal(dad("fe80::1", "ff02::1:ff00:1"), SPOOF_ND);
	/* the first global one */
	assert_int_equal(nd("2001:db8::77", "ff02::1", 136, 0x20000000, "2001:db8::77", 2, MAC),
			 SPOOF_OK);
	assert_int_equal(learned(NULL, NULL, &ip6, &ll6), SPOOF_LEARNED_LL6 | SPOOF_LEARNED_IP6);
	assert_cidr(&ip6, "2001:db8::77");
	assert_int_equal(ip6_udp("2001:db8::78", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(nd(ll, "ff02::1", 136, 0x20000000, "2001:db8::78", 0, NULL), SPOOF_ND);
	assert_int_equal(nd(ll, "ff02::1", 136, 0x20000000, "2001:db8::77", 0, NULL), SPOOF_OK);
	assert_int_equal(dad("2001:db8::78", "ff02::1:ff00:78"), SPOOF_ND);
	assert_int_equal(ip6_udp("2001:db8::77", "2001:db8::1", 1000, 53), SPOOF_OK);
	assert_int_equal(ip6_udp("::1", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);

	/* multicast and the like are never learned */
	policy_learn();
	pol.have_mac = true;
	assert_int_equal(ip6_udp("ff02::1", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp("::ffff:10.0.0.1", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), 0);

	/* a configured link-local prefix: no link-local learned */
	policy_learn();
	pol.have_mac = true;
	cidr(&pol.ip6[pol.n_ip6++], "fe80::/64");
	assert_int_equal(ip6_udp(ll, "ff02::1:3", 1000, 5355), SPOOF_OK);
	assert_int_equal(ip6_udp("fe80:1::1", "ff02::1:3", 1000, 5355), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp("2001:db8::5", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(learned(NULL, NULL, NULL, NULL), 0);

	/* configured global addresses, learn on: the family is closed, its
	 * link-local included (else the VM could take the router's fe80::1,
	 * unsolicited NA and all); the EUI-64 one stays */
	policy_base();
	pol.learn = true;
	assert_int_equal(ip6_udp(ll, "ff02::1:3", 1000, 5355), SPOOF_IP6_SRC);
	assert_int_equal(nd("fe80::1", "ff02::1", 136, 0x20000000, "fe80::1", 2, pol.mac),
			 SPOOF_IP6_SRC);
	assert_int_equal(nd(LL_EUI, "ff02::1", 136, 0x20000000, "fe80::1", 2, pol.mac), SPOOF_ND);
	assert_int_equal(ip6_udp("fe80::1", "ff02::1:3", 1000, 5355), SPOOF_IP6_SRC);
	assert_int_equal(ip6_udp("2001:db8::5", "2001:db8::1", 1000, 53), SPOOF_IP6_SRC);
	assert_int_equal(learned(NULL, NULL, NULL, &ll6), 0);
}

/* ---- learning races -------------------------------------------------------- */

#define RACERS 8
#define RACE_ROUNDS 400
#define RACE_CHECKS 64

enum race_kind { RACE_MAC, RACE_IP4, RACE_IP6, RACE_LL6, RACE_KINDS };

struct racer {
	pthread_t t;
	pthread_barrier_t *go;
	enum race_kind kind;
	struct xvs_pkt pkt;
	uint8_t copy[COPY_MAX];
	uint32_t caplen;
	uint8_t cand[16]; /* its candidate source */
	int allowed, refused;
	int seen; /* what spoof_learned said afterwards */
	uint8_t seen_addr[16];
};

static const uint32_t race_bits[RACE_KINDS] = { SPOOF_LEARNED_MAC, SPOOF_LEARNED_IP4,
						 SPOOF_LEARNED_IP6, SPOOF_LEARNED_LL6 };

static void *race(void *arg)
{
	struct racer *r = arg;
	struct spoof_cidr ip4, ip6, ll6;
	uint8_t mac[6];
	int i;

	pthread_barrier_wait(r->go);
	for (i = 0; i < RACE_CHECKS; i++) {
		if (spoof_check(&pol, &st, &r->pkt, r->copy, r->caplen))
			r->refused++;
		else
			r->allowed++;
	}
	/* a thread all of whose tries found the lock taken may be done before
	 * the holder (preempted) has published: wait for it, boundedly */
	for (i = 0; i < 100000; i++) {
		r->seen = spoof_learned(&st, mac, &ip4, &ip6, &ll6);
		if (r->seen & (int)race_bits[r->kind])
			break;
		sched_yield();
	}
	switch (r->kind) {
	case RACE_MAC:
		memcpy(r->seen_addr, mac, 6);
		break;
	case RACE_IP4:
		memcpy(r->seen_addr, ip4.addr, 4);
		break;
	case RACE_IP6:
		memcpy(r->seen_addr, ip6.addr, 16);
		break;
	default:
		memcpy(r->seen_addr, ll6.addr, 16);
		break;
	}
	return NULL;
}

static void racer_frame(struct racer *r, int i)
{
	uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, (uint8_t)(i + 1) };
	char a[64];

	frame_init(&f);
	frame_eth(&f, GW, r->kind == RACE_MAC ? mac : MAC);
	switch (r->kind) {
	case RACE_MAC:
		memcpy(r->cand, mac, 6);
		break;
	case RACE_IP4:
		snprintf(a, sizeof(a), "10.0.0.%d", i + 1);
		assert_int_equal(inet_pton(AF_INET, a, r->cand), 1);
		frame_ip4(&f, a, "10.0.0.254", 0);
		break;
	case RACE_IP6:
		snprintf(a, sizeof(a), "2001:db8::%x:%x", i + 1, i + 1);
		assert_int_equal(inet_pton(AF_INET6, a, r->cand), 1);
		frame_ip6(&f, a, "2001:db8::1");
		break;
	default:
		snprintf(a, sizeof(a), "fe80::%x:%x:%x", i + 1, i * 7 + 1, i * 13 + 1);
		assert_int_equal(inet_pton(AF_INET6, a, r->cand), 1);
		frame_ip6(&f, a, "fe80::1");
		break;
	}
	if (r->kind == RACE_MAC)
		frame_ethertype(&f, 0x88cc);
	else
		frame_udp(&f, 1000, 53);
	frame_payload(&f, 16, (uint32_t)i);
	assert_true(frame_finish(&f) > 0);
	r->caplen = (uint32_t)f.len;
	memcpy(r->copy, f.buf, f.len);
	memset(&r->pkt, 0, sizeof(r->pkt));
	assert_int_equal(xvs_parse(r->copy, r->copy + r->caplen, r->caplen, &r->pkt),
			 XVS_REASON_OK);
}

/* Threads with different candidates on a fresh state: exactly one is
 * learned, every frame of it passes, none of the others, and all threads
 * see the same learned address. */
static void learn_race(void **state)
{
	static const size_t lens[RACE_KINDS] = { 6, 4, 16, 16 };
	static struct racer r[RACERS];
	pthread_barrier_t go;
	int kind, round, i, winner;

	(void)state;
	assert_int_equal(pthread_barrier_init(&go, NULL, RACERS), 0);
	for (kind = 0; kind < RACE_KINDS; kind++) {
		policy_learn();
		pol.have_mac = kind != RACE_MAC;
		for (i = 0; i < RACERS; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].kind = (enum race_kind)kind;
			r[i].go = &go;
			racer_frame(&r[i], i);
		}
		for (round = 0; round < RACE_ROUNDS; round++) {
			spoof_state_reset(&st);
			for (i = 0; i < RACERS; i++) {
				r[i].allowed = r[i].refused = 0;
				assert_int_equal(pthread_create(&r[i].t, NULL, race, &r[i]), 0);
			}
			for (i = 0; i < RACERS; i++)
				assert_int_equal(pthread_join(r[i].t, NULL), 0);
			winner = -1;
			for (i = 0; i < RACERS; i++) {
				if (r[i].allowed) {
					assert_int_equal(winner, -1);
					assert_int_equal(r[i].allowed, RACE_CHECKS);
					winner = i;
				} else {
					assert_int_equal(r[i].refused, RACE_CHECKS);
				}
			}
			assert_int_not_equal(winner, -1);
			for (i = 0; i < RACERS; i++) {
				assert_true(r[i].seen & (int)race_bits[kind]);
				assert_memory_equal(r[i].seen_addr, r[winner].cand, lens[kind]);
			}
		}
	}
	pthread_barrier_destroy(&go);
}

/* ---- the builders this test added to tools/lib/frame.c ----------------------- */

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void frame_builders(void **state)
{
	size_t icmp_len;
	uint32_t pseudo;

	(void)state;
	arp_frame(MAC, 2, MAC, "192.0.2.10", OTHER, "192.0.2.1");
	assert_int_equal(f.len, 14 + 28);
	assert_int_equal(f.buf[12] << 8 | f.buf[13], 0x0806);
	assert_int_equal(f.buf[14 + 7], 2);
	assert_memory_equal(f.buf + 14 + 8, MAC, 6);
	assert_int_equal(f.buf[14 + 14], 192);
	assert_memory_equal(f.buf + 14 + 18, OTHER, 6);
	assert_int_equal(f.buf[14 + 27], 1);

	nd_frame(LL_EUI, "ff02::1", 136, 0xe0000000, LL_EUI, 2, MAC);
	icmp_len = 24 + 8;
	assert_int_equal(f.len, 14 + 40 + icmp_len);
	assert_int_equal(f.buf[14 + 40], 136);
	assert_int_equal(f.buf[14 + 40 + 4], 0xe0);
	assert_int_equal(f.buf[14 + 40 + 8], 0xfe);
	assert_int_equal(f.buf[14 + 40 + 24], 2);
	assert_int_equal(f.buf[14 + 40 + 25], 1);
	assert_memory_equal(f.buf + 14 + 40 + 26, MAC, 6);
	pseudo = sum16(f.buf + 14 + 8, 32, 0) + 58 + (uint32_t)icmp_len;
	assert_int_equal(sum16(f.buf + 14 + 40, icmp_len, pseudo), 0xffff);

	nd_frame(LL_EUI, "ff02::1", 134, 64u << 24 | 1800, NULL, 0, NULL);
	assert_int_equal(f.len, 14 + 40 + 16);
	assert_int_equal(f.buf[14 + 40 + 4], 64);
	assert_int_equal(f.buf[14 + 40 + 6] << 8 | f.buf[14 + 40 + 7], 1800);

	dhcp4("0.0.0.0", "255.255.255.255", 68, 67, 1, 1);
	assert_int_equal(f.len, 14 + 20 + 8 + 244);
	assert_int_equal(f.buf[42], 1);
	assert_memory_equal(f.buf + 42 + 28, MAC, 6);
	assert_memory_equal(f.buf + 42 + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);
	assert_true(frame_ip4_udp_csums_ok(f.buf, f.len));

	dhcp6(LL_EUI, "ff02::1:2", 546, 547, 1);
	assert_int_equal(f.len, 14 + 40 + 8 + 4);
	assert_memory_equal(f.buf + 62, "\x01\x12\x34\x56", 4);

	frame_init(&f); /* ND needs IPv6, DHCP needs UDP */
	frame_eth(&f, BCAST, MAC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_nd(&f, 135, 0, "fe80::1");
	assert_true(frame_finish(&f) < 0);
	frame_init(&f);
	frame_eth(&f, BCAST, MAC);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_tcp(&f, 1, 2);
	frame_dhcp(&f, 1, 1, MAC);
	assert_true(frame_finish(&f) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reason_table),
		cmocka_unit_test(policy_validation),
		cmocka_unit_test(mac_and_other_ethertypes),
		cmocka_unit_test(vlan_tagged),
		cmocka_unit_test(ip4_sources),
		cmocka_unit_test(ip4_fragments),
		cmocka_unit_test(dhcp4_client),
		cmocka_unit_test(dhcp4_server),
		cmocka_unit_test(arp_checks),
		cmocka_unit_test(arp_malformed),
		cmocka_unit_test(arp_truncated),
		cmocka_unit_test(ip6_sources),
		cmocka_unit_test(unspecified_source),
		cmocka_unit_test(dad_rules),
		cmocka_unit_test(nd_checks),
		cmocka_unit_test(nd_truncated),
		cmocka_unit_test(router_messages),
		cmocka_unit_test(dhcp6_checks),
		cmocka_unit_test(every_copy_length_is_safe),
		cmocka_unit_test(learn_mac),
		cmocka_unit_test(learn_ip4),
		cmocka_unit_test(learn_ip6),
		cmocka_unit_test(learn_race),
		cmocka_unit_test(frame_builders),
	};

	return cmocka_run_group_tests_name("spoof", tests, guard_setup, guard_teardown);
}
