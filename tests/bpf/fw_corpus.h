/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The firewall corpus of tests/bpf/test_fw_corpus.c: the topology, frames in
 * words (struct spec → build()), rules and rule sets written out by hand, the
 * sequences of frames that judge them: every match kind hit and missed by
 * one, fragments, IPv6 extension headers, connections of every protocol
 * both ways, ICMP errors, malformed, truncated and mutated frames.
 *
 * The includer defines how a frame is judged:
 *
 *   feed(cat, frame, fmt, ...)     run one frame (its label: fmt, ...)
 *   last_fw_reason()               the firewall's reason for it, -1 if none
 *
 * Everything is generated: the same frames in the same order on every run
 * (a fixed-seed PRNG where a choice is arbitrary).
 */
#ifndef XVS_TESTS_FW_CORPUS_H
#define XVS_TESTS_FW_CORPUS_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include <xvs/fw.h>
#include <xvs/parse.h>

#define VM_MTU 1500
#define SET_RULES 256 /* rules of one set, at most */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

/* ---- topology ---------------------------------------------------------- */

enum { PORT_A = 1, PORT_B = 2, PORT_C = 3, PORT_HOST = 4 };

struct vm {
	uint16_t port;
	uint8_t mac[6];
	const char *ip4, *ip6;
};

static const struct vm VM_A = { PORT_A, { 2, 0, 0, 0, 0, 0xa1 }, "10.1.0.10", "fd00:1::10" };
static const struct vm VM_B = { PORT_B, { 2, 0, 0, 0, 0, 0xb1 }, "10.2.0.20", "fd00:2::20" };
static const struct vm VM_C = { PORT_C, { 2, 0, 0, 0, 0, 0xc1 }, "10.3.0.30", "fd00:3::30" };
/* VM A's neighbours, also its own MACs: a DMAC rule missed by one */
static const uint8_t MAC_A0[6] = { 2, 0, 0, 0, 0, 0xa0 };
static const uint8_t MAC_A2[6] = { 2, 0, 0, 0, 0, 0xa2 };
static const uint8_t MAC_HOST[6] = { 2, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_PEER[6] = { 2, 0, 0, 0, 0, 0x77 };
static const uint8_t MAC_UNKNOWN[6] = { 2, 0, 0, 0, 0, 0x99 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The FDB, as test_fw_corpus.c writes it to xvs_fdb and as its model of
 * XDP reads it. */
struct fdb_ent {
	uint16_t vlan;
	const uint8_t *mac;
	uint16_t port;
};

static const struct fdb_ent fdb[] = {
	{ 0, VM_A.mac, PORT_A },    { 0, MAC_A0, PORT_A },	 { 0, MAC_A2, PORT_A },
	{ 1, VM_A.mac, PORT_A },    { 9, VM_A.mac, PORT_A },	 { 10, VM_A.mac, PORT_A },
	{ 11, VM_A.mac, PORT_A },   { 20, VM_A.mac, PORT_A },	 { 4094, VM_A.mac, PORT_A },
	{ 4095, VM_A.mac, PORT_A }, { 0, VM_B.mac, PORT_B },	 { 30, VM_B.mac, PORT_B },
	{ 0, VM_C.mac, PORT_C },    { 0, MAC_HOST, PORT_HOST },
};

/* ---- corpus bookkeeping ----------------------------------------------- */

enum cat {
	CAT_L2, CAT_VLAN, CAT_ADDR, CAT_GROUP, CAT_PROTO, CAT_PORT, CAT_ICMP, CAT_TCP_FLAGS,
	CAT_FRAG, CAT_IP6_EXT, CAT_TCP, CAT_UDP, CAT_ECHO, CAT_ICMP_ERR, CAT_OTHER_IP,
	CAT_TRUNC, CAT_MALFORMED, CAT_PATH, CAT_FLOOD, CAT_FUZZ, CAT_MAX
};

static const char *const cat_names[CAT_MAX] = {
	[CAT_L2] = "MAC, ethertype, family", [CAT_VLAN] = "VLAN tags",
	[CAT_ADDR] = "IPv4/IPv6 prefixes",   [CAT_GROUP] = "groups",
	[CAT_PROTO] = "IP protocol",	      [CAT_PORT] = "port ranges",
	[CAT_ICMP] = "ICMP type/code",	      [CAT_TCP_FLAGS] = "TCP flags",
	[CAT_FRAG] = "fragments",	      [CAT_IP6_EXT] = "IPv6 extension headers",
	[CAT_TCP] = "TCP sessions",	      [CAT_UDP] = "UDP flows",
	[CAT_ECHO] = "ICMP echo",	      [CAT_ICMP_ERR] = "ICMP errors",
	[CAT_OTHER_IP] = "other IP protocols", [CAT_TRUNC] = "truncated",
	[CAT_MALFORMED] = "malformed",	      [CAT_PATH] = "not judged (path)",
	[CAT_FLOOD] = "conntrack flood",      [CAT_FUZZ] = "mutated",
};

/* Defined by the includer: judge frame f, labelled by fmt. */
static void feed(enum cat cat, const struct frame *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int last_fw_reason(void);

/* ---- generation --------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* splitmix64: a fixed seed, so the corpus is the same on every run */
static uint32_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static uint16_t uniq_port(void)
{
	static uint32_t n;

	return (uint16_t)(20000 + n++ % 40000);
}

/* ---- frames ------------------------------------------------------------- */

struct ext6 {
	uint8_t type; /* 0, 43, 60, 51 (AH) or 44 (fragment) */
	uint16_t len; /* bytes (not for the fragment header) */
	uint16_t off8; /* fragment offset */
	bool more;
};

/* A frame in words; build() makes it. */
struct spec {
	uint8_t dst[6], src[6];
	int ntag;
	uint16_t tpid[3], vid[3];
	uint16_t etype; /* fam 0 */
	int fam; /* 0 (not IP), 4, 6 */
	uint8_t sa[16], da[16];
	size_t opt; /* IPv4 options */
	uint16_t off8; /* IPv4 fragment */
	bool mf;
	int next;
	struct ext6 ext[10];
	uint8_t proto;
	bool raw; /* proto as a number, no header (a later fragment) */
	uint16_t sport, dport;
	uint8_t flags; /* TCP */
	uint8_t type, code; /* ICMP */
	uint16_t id; /* ICMP echo identifier */
	const uint8_t *body; /* bytes right after the L4 header (an ICMP error's quote) */
	size_t body_len;
	size_t payload;
};

static void addr(int fam, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(fam == 6 ? AF_INET6 : AF_INET, s, out), 1);
}

/* a += delta over the address's n bytes, big-endian, wrapping */
static void addr_add(uint8_t *a, int n, int delta)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		int v = a[i] + delta;

		a[i] = (uint8_t)v;
		if (v >= 0 && v <= 255)
			return;
	}
}

static uint8_t *put_bytes(struct frame *f, size_t n)
{
	frame_payload(f, n, 0);
	if (f->err)
		return NULL;
	memset(f->buf + f->len - n, 0, n);
	return f->buf + f->len - n;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void build_l4(struct frame *f, const struct spec *s)
{
	bool icmp_own = (s->proto == IPPROTO_ICMP && s->fam == 4) ||
			(s->proto == IPPROTO_ICMPV6 && s->fam == 6);
	uint8_t *p;

	if (s->raw) {
		frame_ipproto(f, s->proto);
		return;
	}
	switch (s->proto) {
	case IPPROTO_TCP:
		frame_tcp(f, s->sport, s->dport);
		if (!f->err)
			f->buf[f->l4_off + 13] = s->flags;
		return;
	case IPPROTO_UDP:
		frame_udp(f, s->sport, s->dport);
		return;
	case IPPROTO_SCTP:
		frame_ipproto(f, IPPROTO_SCTP);
		p = put_bytes(f, 12);
		if (p) {
			put16(p, s->sport);
			put16(p + 2, s->dport);
		}
		return;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (icmp_own) {
			frame_icmp(f, s->type, s->code);
			if (!f->err)
				put16(f->buf + f->l4_off + 4, s->id);
			return;
		}
		/* the other family's ICMP: 8 raw bytes */
		frame_ipproto(f, s->proto);
		p = put_bytes(f, 8);
		if (p) {
			p[0] = s->type;
			p[1] = s->code;
			put16(p + 4, s->id);
		}
		return;
	default:
		frame_ipproto(f, s->proto);
	}
}

static void build(struct frame *f, const struct spec *s)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	int af = s->fam == 6 ? AF_INET6 : AF_INET, i;
	uint8_t *p;

	frame_init(f);
	frame_eth(f, s->dst, s->src);
	for (i = 0; i < s->ntag; i++)
		frame_vlan(f, s->tpid[i] ? s->tpid[i] : 0x8100, s->vid[i]);
	if (!s->fam) {
		frame_ethertype(f, s->etype);
	} else {
		assert_non_null(inet_ntop(af, s->sa, sa, sizeof(sa)));
		assert_non_null(inet_ntop(af, s->da, da, sizeof(da)));
		if (s->fam == 4) {
			frame_ip4(f, sa, da, s->opt);
			if (s->off8 || s->mf)
				frame_ip4_frag(f, s->off8, s->mf);
		} else {
			frame_ip6(f, sa, da);
		}
		for (i = 0; i < s->next; i++) {
			if (s->ext[i].type == IPPROTO_FRAGMENT)
				frame_ip6_frag(f, s->ext[i].off8, s->ext[i].more);
			else
				frame_ip6_ext(f, s->ext[i].type, s->ext[i].len);
		}
		build_l4(f, s);
	}
	if (s->body_len) {
		p = put_bytes(f, s->body_len);
		if (p)
			memcpy(p, s->body, s->body_len);
	}
	frame_payload(f, s->payload, (uint32_t)f->len);
	frame_finish(f);
	assert_int_equal(f->err, 0);
}

static void send_spec(enum cat cat, const struct spec *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void send_spec(enum cat cat, const struct spec *s, const char *fmt, ...)
{
	static struct frame f;
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	build(&f, s);
	feed(cat, &f, "%s", what);
}

/* A peer's UDP (or other) packet to a VM. */
static void spec_to(struct spec *s, const struct vm *vm, int fam, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->dst, vm->mac, 6);
	memcpy(s->src, MAC_PEER, 6);
	s->fam = fam;
	if (fam) {
		addr(fam, fam == 4 ? "198.51.100.200" : "2001:db8:ff::200", s->sa);
		addr(fam, fam == 4 ? vm->ip4 : vm->ip6, s->da);
	}
	s->etype = 0x88b5;
	s->proto = fam ? proto : 0;
	s->sport = uniq_port();
	s->dport = 9;
	s->type = fam == 6 ? XVS_ICMP6_ECHO : XVS_ICMP_ECHO;
	s->id = uniq_port();
	s->payload = 16;
}

static uint8_t icmp_proto(int fam)
{
	return fam == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

/* ---- rules --------------------------------------------------------------- */

struct rset {
	struct xvs_acl_rule r[SET_RULES];
	uint32_t n;
	uint32_t id;
};

static struct xvs_acl_rule *rule_add(struct rset *s, uint8_t action, uint8_t flags)
{
	struct xvs_acl_rule *r;

	assert_true(s->n < SET_RULES);
	r = &s->r[s->n];
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->flags = flags;
	r->set = s->id;
	r->pos = s->n++;
	return r;
}

static void rule_default(struct rset *s, uint8_t action, uint8_t flags)
{
	rule_add(s, action, flags | XVS_ACL_F_DEFAULT);
}

static void rule_proto(struct xvs_acl_rule *r, uint8_t proto)
{
	r->match |= XVS_ACL_M_PROTO;
	r->proto = proto;
}

static void rule_family(struct xvs_acl_rule *r, int fam)
{
	r->match |= XVS_ACL_M_FAMILY;
	r->family = (uint8_t)fam;
}

static void rule_cidr(struct xvs_acl_rule *r, bool dst, int fam, const char *net, int plen)
{
	uint8_t a[16], m[16] = { 0 };
	int i;

	addr(fam, net, a);
	for (i = 0; i < plen; i++)
		m[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	for (i = 0; i < 16; i++)
		a[i] &= m[i];
	memcpy(dst ? r->daddr : r->saddr, a, 16);
	memcpy(dst ? r->dmask : r->smask, m, 16);
	r->match |= dst ? XVS_ACL_M_DADDR : XVS_ACL_M_SADDR;
	rule_family(r, fam);
}

static void rule_ports(struct xvs_acl_rule *r, bool dst, uint16_t lo, uint16_t hi)
{
	if (dst) {
		r->match |= XVS_ACL_M_DPORT;
		r->dport_lo = lo;
		r->dport_hi = hi;
	} else {
		r->match |= XVS_ACL_M_SPORT;
		r->sport_lo = lo;
		r->sport_hi = hi;
	}
}

/* fam 0: the type alone, with no protocol or family */
static void rule_icmp(struct xvs_acl_rule *r, int fam, int type, int code)
{
	if (fam) {
		rule_family(r, fam);
		rule_proto(r, icmp_proto(fam));
	}
	r->match |= XVS_ACL_M_ICMP_TYPE;
	r->icmp_type = (uint8_t)type;
	if (code >= 0) {
		r->match |= XVS_ACL_M_ICMP_CODE;
		r->icmp_code = (uint8_t)code;
	}
}

static void rule_flags(struct xvs_acl_rule *r, uint8_t flags, uint8_t mask)
{
	r->match |= XVS_ACL_M_TCP_FLAGS;
	r->tcp_flags = flags;
	r->tcp_mask = mask;
}

static void rule_group(struct xvs_acl_rule *r, bool dst, uint16_t g)
{
	if (dst) {
		r->match |= XVS_ACL_M_DGROUP;
		r->dgroup = g;
	} else {
		r->match |= XVS_ACL_M_SGROUP;
		r->sgroup = g;
	}
}

/* ---- the probe set: every match kind, hit and missed by one -------------- */

/*
 * A probe's frames come from the source MAC 02:00:00:00:10:<marker>, and
 * each probe rule matches its marker's MAC too: a probe is then hit or
 * missed by its own frames only, no other probe shadows it. Misses end at
 * the default (reject). Hit actions cycle through drop, reject, allow and
 * allow statefully.
 */
enum marker {
	MK_DMAC = 1, MK_VLAN0, MK_VLAN10, MK_VLAN4095, MK_ET_LLDP, MK_ET_FFFF, MK_ET_IP6,
	MK_FAM4, MK_FAM6, MK_SGRP, MK_DGRP, MK_SDGRP, MK_GRP_EMPTY, MK_GRP7, MK_PROTO17,
	MK_PROTO0, MK_PROTO255, MK_PROTO58, MK_PROTO6_V6, MK_TCP_DPORT, MK_SCTP_DPORT,
	MK_FRAG_UDP, MK_FRAG_ICMP, MK_FRAG_TCP, MK_EXT_TCP, MK_EXT_UDP, MK_COUNT, MK_GRE,
	MK_CIDR = 0x40, MK_PORT = 0x60, MK_ICMP = 0x78, MK_FLAGS = 0x88,
};

/* The MAC of the SMAC probe, outside the markers' range. */
static const uint8_t MAC_SMAC_PROBE[6] = { 2, 0, 0, 0, 0x20, 0x01 };

static void marker_mac(uint8_t mac[6], int marker)
{
	static const uint8_t base[6] = { 2, 0, 0, 0, 0x10, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)marker;
}

static struct xvs_acl_rule *probe(struct rset *s, int marker)
{
	static const uint8_t act[4][2] = {
		{ XVS_ACL_DROP, 0 },
		{ XVS_ACL_REJECT, 0 },
		{ XVS_ACL_ALLOW, 0 },
		{ XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL },
	};
	struct xvs_acl_rule *r = rule_add(s, act[s->n % 4][0], act[s->n % 4][1]);

	r->match = XVS_ACL_M_SMAC;
	marker_mac(r->smac, marker);
	return r;
}

static struct xvs_acl_rule *probe_act(struct rset *s, int marker, uint8_t action, uint8_t flags)
{
	struct xvs_acl_rule *r = probe(s, marker);

	r->action = action;
	r->flags = flags;
	return r;
}

static const struct cidr_probe {
	bool dst;
	int fam;
	const char *net;
	int plen;
} cidrs[] = {
	{ false, 4, "198.51.100.7", 32 },  { false, 4, "198.51.100.8", 31 },
	{ false, 4, "203.0.113.0", 24 },   { false, 4, "128.0.0.0", 1 },
	{ false, 4, "0.0.0.0", 1 },	   { false, 4, "0.0.0.0", 0 },
	{ true, 4, "10.1.0.10", 32 },	   { true, 4, "10.1.0.10", 31 },
	{ true, 4, "10.1.0.0", 16 },	   { true, 4, "0.0.0.0", 0 },
	{ false, 6, "2001:db8::7", 128 },  { false, 6, "2001:db8::8", 127 },
	{ false, 6, "2001:db8:1:2::", 64 }, { false, 6, "2001:db8:8000::", 33 },
	{ false, 6, "2001:db8::", 96 },	   { false, 6, "8000::", 1 },
	{ false, 6, "::", 1 },		   { false, 6, "::", 0 },
	{ true, 6, "fd00:1::10", 128 },	   { true, 6, "fd00:1::10", 127 },
	{ true, 6, "fd00:1::", 64 },	   { true, 6, "::", 0 },
};

static const struct range {
	uint16_t lo, hi;
} ranges[] = { { 1000, 2000 }, { 53, 53 }, { 0, 0 }, { 65535, 65535 }, { 0, 65535 }, { 1, 65534 } };

static const struct icmp_probe {
	int fam; /* 0: ICMP_TYPE alone */
	int type, code;
} icmps[] = {
	{ 4, 8, -1 }, { 4, 0, -1 }, { 4, 255, -1 }, { 6, 128, -1 }, { 4, 3, 4 },
	{ 4, 3, 0 },  { 4, 3, 255 }, { 6, 1, 4 },    { 0, 8, -1 },
};

static const struct flags_probe {
	uint8_t flags, mask;
} flagsp[] = {
	{ TCP_SYN, TCP_SYN | TCP_ACK },
	{ 0, 0xff },
	{ TCP_FIN | TCP_PSH | TCP_URG, TCP_FIN | TCP_PSH | TCP_URG },
	{ TCP_SYN | TCP_ACK, TCP_SYN | TCP_ACK | TCP_RST },
	{ TCP_RST, TCP_RST },
};

static void set_probes(struct rset *s)
{
	struct xvs_acl_rule *r;
	size_t i;

	r = rule_add(s, XVS_ACL_DROP, 0);
	r->match = XVS_ACL_M_SMAC;
	memcpy(r->smac, MAC_SMAC_PROBE, 6);
	r = probe(s, MK_DMAC);
	r->match |= XVS_ACL_M_DMAC;
	memcpy(r->dmac, VM_A.mac, 6);
	r = probe(s, MK_VLAN0);
	r->match |= XVS_ACL_M_VLAN;
	r = probe(s, MK_VLAN10);
	r->match |= XVS_ACL_M_VLAN;
	r->vlan = 10;
	r = probe(s, MK_VLAN4095);
	r->match |= XVS_ACL_M_VLAN;
	r->vlan = 4095;
	/* not ARP: the firewall may let neighbour discovery bypass rule sets */
	r = probe(s, MK_ET_LLDP);
	r->match |= XVS_ACL_M_ETYPE;
	r->ethertype = 0x88cc;
	r = probe(s, MK_ET_FFFF);
	r->match |= XVS_ACL_M_ETYPE;
	r->ethertype = 0xffff;
	r = probe(s, MK_ET_IP6);
	r->match |= XVS_ACL_M_ETYPE;
	r->ethertype = 0x86dd;
	rule_family(probe(s, MK_FAM4), 4);
	rule_family(probe(s, MK_FAM6), 6);

	for (i = 0; i < XVS_ARRAY_SIZE(cidrs); i++)
		rule_cidr(probe(s, MK_CIDR + (int)i), cidrs[i].dst, cidrs[i].fam, cidrs[i].net,
			  cidrs[i].plen);

	rule_group(probe(s, MK_SGRP), false, 1);
	rule_group(probe(s, MK_DGRP), true, 2);
	r = probe(s, MK_SDGRP);
	rule_group(r, false, 1);
	rule_group(r, true, 2);
	rule_group(probe(s, MK_GRP_EMPTY), false, 3);
	rule_group(probe(s, MK_GRP7), false, 7);

	rule_proto(probe(s, MK_PROTO17), IPPROTO_UDP);
	rule_proto(probe(s, MK_PROTO0), 0);
	rule_proto(probe(s, MK_PROTO255), 255);
	rule_proto(probe(s, MK_PROTO58), IPPROTO_ICMPV6);
	r = probe(s, MK_PROTO6_V6);
	rule_proto(r, IPPROTO_TCP);
	rule_family(r, 6);

	for (i = 0; i < XVS_ARRAY_SIZE(ranges); i++) {
		rule_ports(probe(s, MK_PORT + 2 * (int)i), false, ranges[i].lo, ranges[i].hi);
		rule_ports(probe(s, MK_PORT + 2 * (int)i + 1), true, ranges[i].lo, ranges[i].hi);
	}
	r = probe(s, MK_TCP_DPORT);
	rule_proto(r, IPPROTO_TCP);
	rule_ports(r, true, 1000, 2000);
	r = probe(s, MK_SCTP_DPORT);
	rule_proto(r, IPPROTO_SCTP);
	rule_ports(r, true, 53, 53);

	for (i = 0; i < XVS_ARRAY_SIZE(icmps); i++)
		rule_icmp(probe(s, MK_ICMP + (int)i), icmps[i].fam, icmps[i].type, icmps[i].code);
	for (i = 0; i < XVS_ARRAY_SIZE(flagsp); i++)
		rule_flags(probe(s, MK_FLAGS + (int)i), flagsp[i].flags, flagsp[i].mask);

	/* fragments: the L4 rule first, the protocol's after it */
	r = probe_act(s, MK_FRAG_UDP, XVS_ACL_DROP, 0);
	rule_proto(r, IPPROTO_UDP);
	rule_ports(r, true, 0, 65535);
	rule_proto(probe_act(s, MK_FRAG_UDP, XVS_ACL_ALLOW, 0), IPPROTO_UDP);
	rule_icmp(probe_act(s, MK_FRAG_ICMP, XVS_ACL_REJECT, 0), 4, XVS_ICMP_ECHO, -1);
	rule_proto(probe_act(s, MK_FRAG_ICMP, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL), IPPROTO_ICMP);
	r = probe_act(s, MK_FRAG_TCP, XVS_ACL_DROP, 0);
	rule_proto(r, IPPROTO_TCP);
	rule_flags(r, TCP_SYN, TCP_SYN);
	rule_proto(probe_act(s, MK_FRAG_TCP, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL), IPPROTO_TCP);

	r = probe(s, MK_EXT_TCP);
	rule_proto(r, IPPROTO_TCP);
	rule_family(r, 6);
	rule_ports(r, true, 22, 22);
	r = probe(s, MK_EXT_UDP);
	rule_proto(r, IPPROTO_UDP);
	rule_ports(r, true, 53, 53);

	/* counting rules go on with the next */
	probe_act(s, MK_COUNT, XVS_ACL_COUNT, 0);
	rule_proto(probe_act(s, MK_COUNT, XVS_ACL_COUNT, 0), IPPROTO_UDP);
	rule_ports(probe_act(s, MK_COUNT, XVS_ACL_DROP, 0), true, 7, 7);
	r = probe_act(s, MK_GRE, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, 47);

	/* rules without a marker, before the default */
	rule_proto(rule_add(s, XVS_ACL_COUNT, 0), IPPROTO_TCP);
	rule_proto(rule_add(s, XVS_ACL_DROP, 0), 50); /* ESP */
	rule_default(s, XVS_ACL_REJECT, 0);
}

/* ---- the stateful set: connections ---------------------------------------- */

/* variant 1 (a later bank): DNS no longer stateful, no IPv6 SSH, rules
 * moved by one, default reject */
static void set_stateful(struct rset *s, const struct vm *vm, int variant)
{
	struct xvs_acl_rule *r;

	rule_add(s, XVS_ACL_COUNT, 0);
	if (variant)
		rule_proto(rule_add(s, XVS_ACL_COUNT, 0), IPPROTO_UDP);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_TCP);
	rule_cidr(r, true, 4, vm->ip4, 32);
	rule_ports(r, true, 22, 22);
	if (!variant) {
		r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
		rule_proto(r, IPPROTO_TCP);
		rule_cidr(r, true, 6, vm->ip6, 128);
		rule_ports(r, true, 22, 22);
	}
	r = rule_add(s, XVS_ACL_ALLOW, 0);
	rule_proto(r, IPPROTO_TCP);
	rule_ports(r, true, 80, 80);
	r = rule_add(s, XVS_ACL_ALLOW, variant ? 0 : XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_UDP);
	rule_ports(r, true, 53, 53);
	rule_icmp(rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL), 4, XVS_ICMP_ECHO, -1);
	rule_icmp(rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL), 6, XVS_ICMP6_ECHO, -1);
	/* what the VM opens (its frames, judged here in its own zone) */
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_TCP);
	rule_cidr(r, false, 4, vm->ip4, 32);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_TCP);
	rule_cidr(r, false, 6, vm->ip6, 128);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_UDP);
	rule_cidr(r, false, 4, vm->ip4, 32);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_UDP);
	rule_cidr(r, false, 6, vm->ip6, 128);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_ICMP);
	rule_cidr(r, false, 4, vm->ip4, 32);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_ICMPV6);
	rule_cidr(r, false, 6, vm->ip6, 128);
	rule_icmp(rule_add(s, XVS_ACL_REJECT, 0), 4, 3, -1);
	rule_icmp(rule_add(s, XVS_ACL_DROP, 0), 6, 1, -1);
	rule_group(rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL), false, 1);
	r = rule_add(s, XVS_ACL_DROP, 0);
	rule_proto(r, IPPROTO_TCP);
	rule_flags(r, TCP_RST, TCP_RST);
	r = rule_add(s, XVS_ACL_ALLOW, 0);
	rule_proto(r, IPPROTO_UDP);
	rule_ports(r, false, 123, 123);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_SCTP);
	rule_ports(r, true, 5000, 5010);
	if (variant) /* ports and no protocol: any protocol that has ports */
		rule_ports(rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL), true, 0, 9);
	rule_default(s, variant ? XVS_ACL_REJECT : XVS_ACL_DROP, 0);
}

static void set_allow_all(struct rset *s)
{
	rule_default(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
}

/* The one set without a default (NO_MATCH): see the report. */
static void set_no_default(struct rset *s)
{
	struct xvs_acl_rule *r;

	rule_proto(rule_add(s, XVS_ACL_DROP, 0), IPPROTO_UDP);
	r = rule_add(s, XVS_ACL_ALLOW, XVS_ACL_F_STATEFUL);
	rule_proto(r, IPPROTO_TCP);
	rule_ports(r, true, 22, 22);
}

/* ---- groups ------------------------------------------------------------- */

struct grp_req {
	uint16_t group;
	int fam;
	const char *addr;
};

static const struct grp_req groups_1[] = {
	{ 1, 4, "198.51.100.1" }, { 1, 4, "198.51.100.3" }, { 1, 6, "2001:db8::1" },
	{ 2, 4, "10.1.0.10" },	  { 2, 6, "fd00:1::10" },
};

/* groups_1 and members for groups 3 and 7 */
static const struct grp_req groups_3[] = {
	{ 1, 4, "198.51.100.1" }, { 1, 4, "198.51.100.3" }, { 1, 6, "2001:db8::1" },
	{ 2, 4, "10.1.0.10" },	  { 2, 6, "fd00:1::10" },   { 3, 4, "198.51.100.4" },
	{ 7, 6, "2001:db8::" },
};

static const struct grp_req groups_2[] = {
	{ 1, 4, "198.51.100.2" }, { 1, 6, "2001:db8::2" }, { 2, 4, "10.1.0.11" },
	{ 7, 4, "198.51.100.7" },
};

/* ---- probes --------------------------------------------------------------- */

static void probe_spec(struct spec *s, int marker, int fam, uint8_t proto)
{
	spec_to(s, &VM_A, fam, proto);
	marker_mac(s->src, marker);
}

static void probe_l2(void)
{
	static const uint16_t etypes[] = { 0x88cb, 0x88cc, 0x88cd, 0x0806, 0xfffe, 0xffff, 0x88b5 };
	static const int et_markers[] = { MK_ET_LLDP, MK_ET_FFFF, MK_ET_IP6, MK_FAM4, MK_FAM6 };
	static const struct {
		int n;
		uint16_t tpid[2], vid[2];
	} tags[] = {
		{ 0, { 0 }, { 0 } },		     { 1, { 0x8100 }, { 0 } },
		{ 1, { 0x8100 }, { 1 } },	     { 1, { 0x8100 }, { 9 } },
		{ 1, { 0x8100 }, { 10 } },	     { 1, { 0x8100 }, { 11 } },
		{ 1, { 0x88a8 }, { 10 } },	     { 1, { 0x8100 }, { 4094 } },
		{ 1, { 0x8100 }, { 4095 } },	     { 2, { 0x88a8, 0x8100 }, { 10, 20 } },
		{ 2, { 0x8100, 0x8100 }, { 20, 10 } }, { 2, { 0x88a8, 0x8100 }, { 4095, 10 } },
	};
	static const int vlan_markers[] = { MK_VLAN0, MK_VLAN10, MK_VLAN4095 };
	const uint8_t *dmacs[] = { MAC_A0, VM_A.mac, MAC_A2 };
	struct spec s;
	size_t i, j;
	int fam;

	/* source MAC: the rule's, one below, one above, the group bit */
	for (i = 0; i < 4; i++) {
		spec_to(&s, &VM_A, 4, IPPROTO_UDP);
		memcpy(s.src, MAC_SMAC_PROBE, 6);
		if (i == 1 || i == 2)
			s.src[5] = (uint8_t)(s.src[5] + (i == 1 ? -1 : 1));
		if (i == 3)
			s.src[0] |= 1;
		send_spec(CAT_L2, &s, "smac probe %zu", i);
	}
	for (i = 0; i < 3; i++) {
		probe_spec(&s, MK_DMAC, 4, IPPROTO_UDP);
		memcpy(s.dst, dmacs[i], 6);
		send_spec(CAT_L2, &s, "dmac probe %zu", i);
	}
	for (i = 0; i < XVS_ARRAY_SIZE(vlan_markers); i++)
		for (j = 0; j < XVS_ARRAY_SIZE(tags); j++)
			for (fam = 0; fam <= 6; fam += 2) {
				if (fam == 2)
					continue;
				probe_spec(&s, vlan_markers[i], fam, IPPROTO_UDP);
				s.etype = 0x0806;
				s.ntag = tags[j].n;
				memcpy(s.tpid, tags[j].tpid, sizeof(tags[j].tpid));
				memcpy(s.vid, tags[j].vid, sizeof(tags[j].vid));
				send_spec(CAT_VLAN, &s, "vlan probe %zu, tags %zu, family %d", i, j, fam);
			}
	for (i = 0; i < XVS_ARRAY_SIZE(et_markers); i++) {
		for (j = 0; j < XVS_ARRAY_SIZE(etypes); j++) {
			probe_spec(&s, et_markers[i], 0, 0);
			s.etype = etypes[j];
			send_spec(CAT_L2, &s, "ethertype probe %zu: %#x", i, etypes[j]);
		}
		for (fam = 4; fam <= 6; fam += 2) {
			probe_spec(&s, et_markers[i], fam, IPPROTO_UDP);
			send_spec(CAT_L2, &s, "ethertype probe %zu: IPv%d", i, fam);
		}
		probe_spec(&s, et_markers[i], 0, 0);
		s.etype = 0x88cc;
		s.ntag = 1;
		s.vid[0] = 10;
		send_spec(CAT_L2, &s, "ethertype probe %zu: tagged LLDP", i);
	}
}

static void probe_addrs(void)
{
	uint8_t net[16], first[16], last[16], a[16];
	struct spec s;
	size_t i;
	int v, n, b;

	for (i = 0; i < XVS_ARRAY_SIZE(cidrs); i++) {
		const struct cidr_probe *c = &cidrs[i];

		n = c->fam == 4 ? 4 : 16;
		addr(c->fam, c->net, net);
		memcpy(first, net, 16);
		memcpy(last, net, 16);
		for (b = c->plen; b < 8 * n; b++) {
			first[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
			last[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		}
		/* first, last, just below, just above, the other family */
		for (v = 0; v < 5; v++) {
			if ((v == 2 || v == 3) && !c->plen)
				continue;
			probe_spec(&s, MK_CIDR + (int)i, v == 4 ? 10 - c->fam : c->fam, IPPROTO_UDP);
			memcpy(a, v == 0 || v == 2 ? first : last, 16);
			if (v == 2 || v == 3)
				addr_add(a, n, v == 2 ? -1 : 1);
			if (v < 4)
				memcpy(c->dst ? s.da : s.sa, a, 16);
			send_spec(CAT_ADDR, &s, "prefix %s/%d (%s), variant %d", c->net, c->plen,
				  c->dst ? "dst" : "src", v);
		}
	}
}

static void probe_groups(void)
{
	static const struct {
		int fam;
		const char *src, *dst;
	} pairs[] = {
		{ 4, "198.51.100.1", "10.1.0.10" }, { 4, "198.51.100.2", "10.1.0.10" },
		{ 4, "198.51.100.3", "10.1.0.11" }, { 4, "198.51.100.4", "10.1.0.9" },
		{ 4, "198.51.100.7", "10.1.0.10" }, { 4, "198.51.100.0", "10.1.0.11" },
		{ 6, "2001:db8::1", "fd00:1::10" },  { 6, "2001:db8::2", "fd00:1::10" },
		{ 6, "2001:db8::1", "fd00:1::11" },  { 6, "2001:db8::", "fd00:1::f" },
		/* the first word of an IPv4 member, as IPv6: another family */
		{ 6, "c633:6401::", "a01:a::" },
	};
	static const int markers[] = { MK_SGRP, MK_DGRP, MK_SDGRP, MK_GRP_EMPTY, MK_GRP7 };
	struct spec s;
	size_t i, j;

	for (i = 0; i < XVS_ARRAY_SIZE(markers); i++)
		for (j = 0; j < XVS_ARRAY_SIZE(pairs); j++) {
			probe_spec(&s, markers[i], pairs[j].fam, IPPROTO_UDP);
			addr(pairs[j].fam, pairs[j].src, s.sa);
			addr(pairs[j].fam, pairs[j].dst, s.da);
			send_spec(CAT_GROUP, &s, "group probe %zu: %s -> %s", i, pairs[j].src,
				  pairs[j].dst);
		}
}

static void probe_protos(void)
{
	static const struct {
		int marker, value;
	} p[] = { { MK_PROTO17, 17 }, { MK_PROTO0, 0 }, { MK_PROTO255, 255 }, { MK_PROTO58, 58 },
		  { MK_PROTO6_V6, 6 } };
	struct spec s;
	size_t i;
	int fam, v;

	for (i = 0; i < XVS_ARRAY_SIZE(p); i++)
		for (fam = 4; fam <= 6; fam += 2)
			for (v = p[i].value - 1; v <= p[i].value + 1; v++) {
				if (v < 0 || v > 255)
					continue;
				probe_spec(&s, p[i].marker, fam, (uint8_t)v);
				/* no hop-by-hop header made of payload */
				s.raw = v != 6 && v != 17 && v != 58 && v != 1;
				if (fam == 6 && v == 0)
					continue;
				send_spec(CAT_PROTO, &s, "proto probe %zu: IPv%d proto %d", i, fam, v);
			}
}

/* The ports' carriers: TCP, UDP, SCTP, ICMP echo (the identifier). */
static void port_frame(struct spec *s, int marker, int carrier, int value, bool dst)
{
	static const uint8_t protos[4] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, 0 };
	int fam = carrier & 1 ? 6 : 4;
	uint8_t proto = protos[carrier / 2];

	probe_spec(s, marker, fam, proto ? proto : icmp_proto(fam));
	s->flags = TCP_ACK;
	if (!proto)
		s->id = (uint16_t)value;
	else if (dst)
		s->dport = (uint16_t)value;
	else
		s->sport = (uint16_t)value;
}

static void probe_ports(void)
{
	struct spec s;
	size_t i;
	int m, c, e, v;

	for (i = 0; i < 2 * XVS_ARRAY_SIZE(ranges) + 2; i++) {
		const struct range *r = &ranges[i / 2 < XVS_ARRAY_SIZE(ranges) ? i / 2 : 0];
		bool dst = i & 1;
		int lo = r->lo, hi = r->hi;

		m = MK_PORT + (int)i;
		if (i >= 2 * XVS_ARRAY_SIZE(ranges)) {
			m = i & 1 ? MK_SCTP_DPORT : MK_TCP_DPORT;
			lo = i & 1 ? 53 : 1000;
			hi = i & 1 ? 53 : 2000;
			dst = true;
		}
		for (c = 0; c < 8; c++)
			for (e = 0; e < 4; e++) {
				v = e == 0 ? lo - 1 : e == 1 ? lo : e == 2 ? hi : hi + 1;
				if (v < 0 || v > 65535 || (lo == hi && e == 2))
					continue;
				port_frame(&s, m, c, v, dst);
				send_spec(CAT_PORT, &s, "port probe %zu [%d, %d], carrier %d, port %d",
					  i, lo, hi, c, v);
			}
	}
}

static void probe_icmp(void)
{
	struct spec s;
	size_t i;
	int fam, d;

	for (i = 0; i < XVS_ARRAY_SIZE(icmps); i++)
		for (fam = 4; fam <= 6; fam += 2)
			for (d = -1; d <= 1; d++) {
				const struct icmp_probe *p = &icmps[i];
				int t = p->code < 0 ? p->type + d : p->type, c = p->code < 0 ? 0 : p->code + d;

				if (t < 0 || t > 255 || c < 0 || c > 255)
					continue;
				probe_spec(&s, MK_ICMP + (int)i, fam, icmp_proto(fam));
				s.type = (uint8_t)t;
				s.code = (uint8_t)c;
				send_spec(CAT_ICMP, &s, "icmp probe %zu: IPv%d type %d code %d", i, fam,
					  t, c);
			}
	/* the type right, the code's neighbour type */
	probe_spec(&s, MK_ICMP + 4, 4, IPPROTO_ICMP);
	s.type = 4;
	s.code = 4;
	send_spec(CAT_ICMP, &s, "icmp probe: type 4 code 4");
}

static void probe_tcp_flags(void)
{
	static const uint8_t fl[] = {
		0,
		TCP_FIN,
		TCP_SYN,
		TCP_RST,
		TCP_PSH,
		TCP_ACK,
		TCP_URG,
		TCP_SYN | TCP_ACK,
		TCP_FIN | TCP_ACK,
		TCP_RST | TCP_ACK,
		TCP_PSH | TCP_ACK,
		TCP_SYN | TCP_FIN,
		TCP_SYN | TCP_RST,
		TCP_FIN | TCP_PSH | TCP_URG,
		0xff,
		TCP_SYN | 0xc0,
	};
	struct spec s;
	size_t i, j;
	int fam;

	for (i = 0; i < XVS_ARRAY_SIZE(flagsp); i++) {
		for (j = 0; j < XVS_ARRAY_SIZE(fl); j++)
			for (fam = 4; fam <= 6; fam += 2) {
				probe_spec(&s, MK_FLAGS + (int)i, fam, IPPROTO_TCP);
				s.flags = fl[j];
				send_spec(CAT_TCP_FLAGS, &s, "flags probe %zu: IPv%d flags %#x", i, fam,
					  fl[j]);
			}
		probe_spec(&s, MK_FLAGS + (int)i, 4, IPPROTO_UDP);
		send_spec(CAT_TCP_FLAGS, &s, "flags probe %zu: UDP", i);
	}
}

static void probe_frags(void)
{
	static const struct {
		int marker;
		uint8_t proto;
	} p[] = { { MK_FRAG_UDP, IPPROTO_UDP }, { MK_FRAG_ICMP, IPPROTO_ICMP },
		  { MK_FRAG_TCP, IPPROTO_TCP } };
	struct spec s;
	size_t i;
	int v;

	for (i = 0; i < XVS_ARRAY_SIZE(p); i++)
		for (v = 0; v < 9; v++) {
			int fam = v < 4 ? 4 : 6;

			probe_spec(&s, p[i].marker, fam,
				   fam == 6 && p[i].proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : p[i].proto);
			s.flags = TCP_SYN;
			if (fam == 4) {
				/* whole, first, middle, last */
				s.mf = v == 1 || v == 2;
				s.off8 = v >= 2 ? 185 : 0;
				s.raw = v >= 2;
			} else if (v > 4) {
				/* first, later with M, the last; behind other headers */
				if (v == 8) {
					s.ext[s.next++] = (struct ext6){ .type = 0, .len = 8 };
					s.ext[s.next++] = (struct ext6){ .type = 60, .len = 16 };
				}
				s.ext[s.next++] = (struct ext6){ .type = IPPROTO_FRAGMENT,
								 .off8 = v == 5 ? 0 : 100,
								 .more = v != 7 };
				s.raw = v != 5;
			}
			send_spec(CAT_FRAG, &s, "fragment probe %zu, variant %d", i, v);
		}
	/* a first fragment the rules allow (an ACK: not the SYN rule) notes
	 * its packet: the later ones pass with it (FRAGMENT) */
	for (v = 0; v < 4; v++) {
		int fam = v < 2 ? 4 : 6;

		probe_spec(&s, MK_FRAG_TCP, fam, IPPROTO_TCP);
		s.flags = TCP_ACK;
		if (fam == 4) {
			s.mf = v == 0;
			s.off8 = v ? 185 : 0;
			s.raw = v == 1;
		} else {
			s.ext[s.next++] = (struct ext6){ .type = IPPROTO_FRAGMENT,
							 .off8 = v == 2 ? 0 : 100, .more = v == 2 };
			s.raw = v == 3;
		}
		send_spec(CAT_FRAG, &s, "fragment pair %d", v);
	}
}

static void probe_ext(void)
{
	static const struct {
		int n;
		struct ext6 e[10];
	} chains[] = {
		{ 0, { { 0 } } },
		{ 1, { { 0, 8, 0, false } } },
		{ 1, { { 43, 24, 0, false } } },
		{ 1, { { 60, 16, 0, false } } },
		{ 1, { { 44, 0, 0, true } } },
		{ 1, { { 51, 12, 0, false } } },
		{ 1, { { 51, 24, 0, false } } },
		{ 5, { { 0, 8, 0, false }, { 43, 24, 0, false }, { 60, 16, 0, false },
		       { 44, 0, 0, true }, { 51, 24, 0, false } } },
		{ 8, { { 0, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 },
		       { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 } } },
		{ 9, { { 0, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 },
		       { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 },
		       { 60, 8, 0, 0 } } },
		/* a later fragment as the 8th header; a first one as the 9th */
		{ 8, { { 0, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 },
		       { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 44, 0, 9, 0 } } },
		{ 9, { { 0, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 },
		       { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 }, { 60, 8, 0, 0 },
		       { 44, 0, 0, 1 } } },
		{ 2, { { 60, 256, 0, 0 }, { 43, 8, 0, 0 } } },
	};
	static const struct {
		int marker;
		uint8_t proto;
		uint16_t port;
	} l4[] = { { MK_EXT_TCP, IPPROTO_TCP, 22 },
		   { MK_EXT_TCP, IPPROTO_TCP, 23 },
		   { MK_EXT_UDP, IPPROTO_UDP, 53 },
		   { MK_EXT_UDP, IPPROTO_UDP, 54 },
		   { MK_PROTO58, IPPROTO_ICMPV6, 0 },
		   { MK_PROTO6_V6, IPPROTO_TCP, 80 } };
	struct spec s;
	size_t i, j;

	for (i = 0; i < XVS_ARRAY_SIZE(chains); i++)
		for (j = 0; j < XVS_ARRAY_SIZE(l4); j++) {
			probe_spec(&s, l4[j].marker, 6, l4[j].proto);
			s.dport = l4[j].port;
			s.flags = TCP_SYN;
			s.next = chains[i].n;
			memcpy(s.ext, chains[i].e, sizeof(s.ext));
			if (chains[i].n && s.ext[s.next - 1].type == 44 && s.ext[s.next - 1].off8)
				s.raw = true;
			send_spec(CAT_IP6_EXT, &s, "ext chain %zu, l4 %zu", i, j);
		}
	/* the same over IPv4: the family misses */
	probe_spec(&s, MK_EXT_TCP, 4, IPPROTO_TCP);
	s.dport = 22;
	send_spec(CAT_IP6_EXT, &s, "ext probe over IPv4");
}

static void probe_misc(void)
{
	uint8_t t[16];
	struct spec s;
	int i;

	for (i = 0; i < 3; i++) {
		probe_spec(&s, MK_COUNT, 4, i == 2 ? IPPROTO_TCP : IPPROTO_UDP);
		s.dport = (uint16_t)(7 + i % 2);
		send_spec(CAT_PROTO, &s, "count probe %d", i);
	}
	/* GRE (no ports, tracked by addresses alone) both ways; ESP */
	for (i = 0; i < 3; i++) {
		probe_spec(&s, i < 2 ? MK_GRE : 0x3f, i & 1 ? 6 : 4, i < 2 ? 47 : 50);
		s.raw = true;
		send_spec(CAT_OTHER_IP, &s, "raw protocol %u", s.proto);
		memcpy(t, s.sa, 16);
		memcpy(s.sa, s.da, 16);
		memcpy(s.da, t, 16);
		send_spec(CAT_OTHER_IP, &s, "raw protocol %u, the other way", s.proto);
	}
}

/* ---- connections -------------------------------------------------------- */

/* A conversation between a peer and a VM. Both ways go to the VM's MAC:
 * XDP judges to-vm only, and the zone (the VM's port) is the same. */
struct conv {
	const struct vm *vm;
	int fam;
	uint8_t proto;
	uint8_t peer[16];
	uint16_t vport, pport; /* ICMP echo: the identifier in both */
};

static void conv_init(struct conv *c, const struct vm *vm, int fam, uint8_t proto,
		      const char *peer, uint16_t vport, uint16_t pport)
{
	c->vm = vm;
	c->fam = fam;
	c->proto = proto;
	addr(fam, peer, c->peer);
	c->vport = vport;
	c->pport = pport;
}

/* from_vm: the VM's direction */
static void conv_spec(const struct conv *c, bool from_vm, struct spec *s)
{
	uint8_t vmaddr[16];

	memset(s, 0, sizeof(*s));
	memcpy(s->dst, c->vm->mac, 6);
	memcpy(s->src, MAC_PEER, 6);
	s->fam = c->fam;
	s->proto = c->proto;
	addr(c->fam, c->fam == 4 ? c->vm->ip4 : c->vm->ip6, vmaddr);
	memcpy(from_vm ? s->sa : s->da, vmaddr, 16);
	memcpy(from_vm ? s->da : s->sa, c->peer, 16);
	s->sport = from_vm ? c->vport : c->pport;
	s->dport = from_vm ? c->pport : c->vport;
	s->id = c->vport;
	s->payload = 8;
}

static void seg(const struct conv *c, bool from_vm, uint8_t flags, const char *what)
{
	struct spec s;

	conv_spec(c, from_vm, &s);
	s.flags = flags;
	send_spec(CAT_TCP, &s, "tcp %u<->%u IPv%d %s: %s", c->vport, c->pport, c->fam,
		  from_vm ? "from vm" : "to vm", what);
}

static void dgram(const struct conv *c, bool from_vm, const char *what)
{
	struct spec s;

	conv_spec(c, from_vm, &s);
	send_spec(c->proto == IPPROTO_UDP ? CAT_UDP : CAT_OTHER_IP, &s, "proto %u %u<->%u: %s",
		  c->proto, c->vport, c->pport, what);
}

static void echo(const struct conv *c, bool from_vm, bool request, const char *what)
{
	struct spec s;

	conv_spec(c, from_vm, &s);
	s.proto = icmp_proto(c->fam);
	if (c->fam == 4)
		s.type = request ? XVS_ICMP_ECHO : XVS_ICMP_ECHO_REPLY;
	else
		s.type = request ? XVS_ICMP6_ECHO : XVS_ICMP6_ECHO_REPLY;
	send_spec(CAT_ECHO, &s, "echo id %u IPv%d %s %s: %s", c->vport, c->fam,
		  request ? "request" : "reply", from_vm ? "from vm" : "to vm", what);
}

/* The whole life of a TCP connection, opened by `o` (1: the VM). */
static void tcp_life(const struct conv *c, bool o)
{
	seg(c, o, TCP_SYN, "open");
	seg(c, o, TCP_SYN, "retransmitted SYN");
	seg(c, !o, TCP_SYN | TCP_ACK, "answer");
	seg(c, o, TCP_ACK, "handshake done");
	seg(c, o, TCP_PSH | TCP_ACK, "data");
	seg(c, !o, TCP_PSH | TCP_ACK, "data back");
	seg(c, !o, TCP_FIN | TCP_ACK, "close");
	seg(c, o, TCP_ACK, "ack of close");
	seg(c, o, TCP_FIN | TCP_ACK, "close back");
	seg(c, !o, TCP_ACK, "last ack");
	seg(c, o, TCP_PSH | TCP_ACK, "data after both FINs");
	seg(c, o, TCP_SYN, "reuse after time-wait");
	seg(c, !o, TCP_SYN | TCP_ACK, "answer again");
	seg(c, !o, TCP_RST, "reset");
	seg(c, o, TCP_ACK, "ack after reset");
	seg(c, o, TCP_SYN, "SYN after reset");
	seg(c, !o, TCP_RST | TCP_ACK, "refused");
}

static void tcp_odd(const struct vm *vm, int fam, const char *peer, uint16_t vport)
{
	static const struct {
		uint8_t flags;
		const char *what;
	} first[] = {
		{ TCP_SYN | TCP_FIN, "SYN+FIN" },     { 0, "NULL" },
		{ TCP_FIN, "FIN alone" },	       { TCP_SYN | TCP_RST, "SYN+RST" },
		{ TCP_URG, "URG alone" },	       { TCP_RST, "RST alone" },
		{ TCP_ACK, "ACK mid-stream" },	       { TCP_SYN | TCP_ACK, "SYN-ACK first" },
		{ TCP_FIN | TCP_PSH | TCP_URG, "xmas" }, { 0xff, "every flag" },
		{ TCP_PSH | TCP_ACK, "data mid-stream" }, { TCP_FIN | TCP_ACK, "FIN-ACK first" },
	};
	struct conv c;
	size_t i;
	int o;

	for (o = 0; o < 2; o++)
		for (i = 0; i < XVS_ARRAY_SIZE(first); i++) {
			conv_init(&c, vm, fam, IPPROTO_TCP, peer, o ? uniq_port() : vport,
				  o ? 443 : uniq_port());
			seg(&c, o, first[i].flags, first[i].what);
			seg(&c, !o, TCP_ACK, "answer");
			seg(&c, o, TCP_SYN, "then a SYN");
		}
}

/*
 * Every state a connection can be in, then every flag combination from
 * either end, then one more segment: each a connection of its own.
 */
static void tcp_matrix(const struct vm *vm, int fam)
{
	static const uint8_t fl[] = {
		0,	 TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK, TCP_SYN | TCP_ACK, TCP_FIN | TCP_ACK,
		TCP_RST | TCP_ACK, TCP_PSH | TCP_ACK, TCP_SYN | TCP_FIN, TCP_SYN | TCP_RST, 0xff,
	};
	/* the way into each state: (from the opener?, flags) */
	static const struct {
		int n;
		struct {
			bool resp;
			uint8_t flags;
		} s[5];
		const char *name;
	} into[] = {
		{ 0, { { 0 } }, "nothing" },
		{ 1, { { 0, TCP_SYN } }, "syn-sent" },
		{ 2, { { 0, TCP_SYN }, { 1, TCP_SYN | TCP_ACK } }, "syn-recv" },
		{ 3, { { 0, TCP_SYN }, { 1, TCP_SYN | TCP_ACK }, { 0, TCP_ACK } }, "established" },
		{ 4, { { 0, TCP_SYN }, { 1, TCP_SYN | TCP_ACK }, { 0, TCP_ACK }, { 0, TCP_FIN | TCP_ACK } },
		  "fin from the opener" },
		{ 4, { { 0, TCP_SYN }, { 1, TCP_SYN | TCP_ACK }, { 0, TCP_ACK }, { 1, TCP_FIN | TCP_ACK } },
		  "fin from the other" },
		{ 5, { { 0, TCP_SYN }, { 1, TCP_SYN | TCP_ACK }, { 0, TCP_ACK }, { 0, TCP_FIN },
		       { 1, TCP_FIN | TCP_ACK } },
		  "time-wait" },
		{ 3, { { 0, TCP_SYN }, { 1, TCP_SYN | TCP_ACK }, { 1, TCP_RST } }, "reset" },
		{ 1, { { 0, TCP_ACK } }, "picked up mid-stream" },
	};
	const char *peer = fam == 4 ? "192.0.2.77" : "2001:db8:2::77";
	struct conv c;
	size_t i, j;
	int k, d, o;

	for (i = 0; i < XVS_ARRAY_SIZE(into); i++)
		for (j = 0; j < XVS_ARRAY_SIZE(fl); j++)
			for (d = 0; d < 2; d++) {
				o = (int)((i + j) & 1); /* who opens: the peer or the VM */
				conv_init(&c, vm, fam, IPPROTO_TCP, peer, o ? uniq_port() : 22,
					  o ? 443 : uniq_port());
				for (k = 0; k < into[i].n; k++)
					seg(&c, o ^ into[i].s[k].resp, into[i].s[k].flags, into[i].name);
				seg(&c, o ^ d, fl[j], "the segment under test");
				seg(&c, !(o ^ d), TCP_ACK, "then an ACK back");
			}
}

static void tcp_sessions(const struct vm *vm, bool from_vm_too)
{
	struct conv c;
	int fam, o;

	for (fam = 4; fam <= 6; fam += 2) {
		const char *peer = fam == 4 ? "192.0.2.33" : "2001:db8:2::33";

		for (o = 0; o < (from_vm_too ? 2 : 1); o++) {
			conv_init(&c, vm, fam, IPPROTO_TCP, peer, o ? uniq_port() : 22,
				  o ? 443 : uniq_port());
			tcp_life(&c, o);
		}
		/* port 80: allowed without state, its answers are not */
		conv_init(&c, vm, fam, IPPROTO_TCP, peer, 80, uniq_port());
		seg(&c, 0, TCP_SYN, "stateless open");
		seg(&c, 1, TCP_SYN | TCP_ACK, "stateless answer");
		seg(&c, 0, TCP_ACK, "stateless ack");
		/* a port no rule opens */
		conv_init(&c, vm, fam, IPPROTO_TCP, peer, 25, uniq_port());
		seg(&c, 0, TCP_SYN, "closed port");
		seg(&c, 0, TCP_RST, "RST to a closed port");
		tcp_odd(vm, fam, peer, 22);
	}
}

static void udp_flows(const struct vm *vm)
{
	struct conv c;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		const char *peer = fam == 4 ? "192.0.2.53" : "2001:db8:2::53";

		conv_init(&c, vm, fam, IPPROTO_UDP, peer, 53, uniq_port());
		dgram(&c, false, "query");
		dgram(&c, true, "answer");
		dgram(&c, false, "query again");
		dgram(&c, true, "answer again");
		/* an answer nobody asked for, then the question */
		conv_init(&c, vm, fam, IPPROTO_UDP, peer, uniq_port(), 53);
		dgram(&c, false, "unsolicited answer");
		dgram(&c, true, "the VM asks");
		dgram(&c, false, "the answer");
		/* NTP: allowed without state */
		conv_init(&c, vm, fam, IPPROTO_UDP, peer, uniq_port(), 123);
		dgram(&c, false, "ntp answer");
		dgram(&c, true, "ntp query");
		/* SCTP, tracked by its ports */
		conv_init(&c, vm, fam, IPPROTO_SCTP, peer, 5005, uniq_port());
		dgram(&c, false, "sctp init");
		dgram(&c, true, "sctp init-ack");
		conv_init(&c, vm, fam, IPPROTO_SCTP, peer, 5011, uniq_port());
		dgram(&c, false, "sctp outside the range");
		/* GRE from a group member (any protocol, tracked) */
		conv_init(&c, vm, fam, 47, fam == 4 ? "198.51.100.1" : "2001:db8::1", 0, 0);
		dgram(&c, false, "gre from group 1");
		dgram(&c, true, "gre back");
		conv_init(&c, vm, fam, 47, fam == 4 ? "198.51.100.2" : "2001:db8::2", 0, 0);
		dgram(&c, true, "gre from the VM to a group-2 member");
		dgram(&c, false, "gre from a group-2 member");
	}
}

static void echoes(const struct vm *vm)
{
	struct spec s;
	struct conv c;
	int fam, i;
	uint16_t id;

	for (fam = 4; fam <= 6; fam += 2) {
		const char *peer = fam == 4 ? "192.0.2.8" : "2001:db8:2::8";

		id = uniq_port();
		conv_init(&c, vm, fam, icmp_proto(fam), peer, id, id);
		echo(&c, false, true, "ping");
		echo(&c, true, false, "pong");
		echo(&c, false, true, "ping 2");
		echo(&c, true, false, "pong 2");
		conv_init(&c, vm, fam, icmp_proto(fam), peer, (uint16_t)(id + 1), (uint16_t)(id + 1));
		echo(&c, true, false, "pong with another identifier");
		/* a reply before its request, the VM pinging out */
		id = uniq_port();
		conv_init(&c, vm, fam, icmp_proto(fam), peer, id, id);
		echo(&c, false, false, "pong first");
		echo(&c, true, true, "the VM pings");
		echo(&c, false, false, "its pong");
		echo(&c, false, true, "a ping with the same identifier");
		/* identifier 0: its key is that of any other ICMP between the
		 * two (ports 0), which must not pass as part of it */
		conv_init(&c, vm, fam, icmp_proto(fam), peer, 0, 0);
		echo(&c, false, true, "ping, identifier 0");
		echo(&c, true, false, "pong, identifier 0");
		assert_int_equal(last_fw_reason(), XVS_FW_ESTABLISHED);
		for (i = 0; i < 2; i++) {
			conv_spec(&c, i, &s);
			s.proto = icmp_proto(fam);
			s.type = fam == 4 ? 13 : 139; /* timestamp, node information */
			send_spec(CAT_ECHO, &s, "IPv%d ICMP type %u after an echo with id 0", fam,
				  s.type);
			assert_int_not_equal(last_fw_reason(), XVS_FW_ESTABLISHED);
		}
	}
}

/* ---- ICMP errors ----------------------------------------------------------- */

/* How the error's own headers look: plain, or with IPv4 options / IPv6
 * extension headers (ext bytes) and VLAN tags in front of its ICMP. */
static struct {
	size_t ext;
	int ntag;
} err_outer;

/* An error from a router about a packet (the quote: `inner`, cut to q
 * bytes of its IP packet). */
static void icmp_error(const struct vm *vm, int fam, uint8_t type, uint8_t code,
		       const struct spec *inner, size_t q, const char *what)
{
	static struct frame in;
	struct spec s;
	size_t ext;

	build(&in, inner);
	if (q > in.len - XVS_ETH_HLEN)
		q = in.len - XVS_ETH_HLEN;
	spec_to(&s, vm, fam, icmp_proto(fam));
	s.ntag = err_outer.ntag;
	s.vid[0] = vm == &VM_A ? 10 : 30;
	s.vid[1] = 3;
	if (fam == 4)
		s.opt = err_outer.ext;
	for (ext = fam == 6 ? err_outer.ext : 0; ext; ext -= s.ext[s.next++].len) {
		/* destination options of up to 2048 bytes; AH for a 4-byte rest */
		uint16_t l = ext % 8 ? 12 : (uint16_t)(ext > 2048 ? 2048 : ext);

		s.ext[s.next] = (struct ext6){ .type = ext % 8 ? 51 : 60, .len = l };
	}
	addr(fam, fam == 4 ? "192.0.2.254" : "2001:db8:2::fe", s.sa);
	s.type = type;
	s.code = code;
	s.id = 0;
	s.body = in.buf + XVS_ETH_HLEN;
	s.body_len = q;
	s.payload = 0;
	send_spec(CAT_ICMP_ERR, &s, "icmp error IPv%d type %u code %u, quote %zu, outer +%zu, "
		  "%d tags: %s", fam, type, code, q, err_outer.ext, err_outer.ntag, what);
}

static void icmp_errors(const struct vm *vm)
{
	struct conv c, u, t;
	struct spec in;
	size_t q;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		const char *peer = fam == 4 ? "192.0.2.99" : "2001:db8:2::99";
		uint8_t unreach = fam == 4 ? 3 : 1, port_unreach = fam == 4 ? 3 : 4;
		uint16_t id = uniq_port();

		/* a tracked UDP flow (the VM asked), TCP connection, echo */
		conv_init(&c, vm, fam, IPPROTO_UDP, peer, uniq_port(), 53);
		dgram(&c, true, "query out");
		t = c;
		conv_spec(&c, true, &in);
		icmp_error(vm, fam, unreach, port_unreach, &in, 64, "about the tracked query");
		icmp_error(vm, fam, fam == 4 ? 11 : 3, 0, &in, 64, "time exceeded, tracked");
		icmp_error(vm, fam, fam == 4 ? 12 : 4, 0, &in, 64, "parameter problem, tracked");
		if (fam == 6)
			icmp_error(vm, fam, 2, 0, &in, 64, "too big, tracked");
		icmp_error(vm, fam, fam == 4 ? 4 : 5, 0, &in, 64, "not an error type");
		for (q = 0; q <= (fam == 4 ? 28u : 48u); q++)
			icmp_error(vm, fam, unreach, port_unreach, &in, q, "quote cut");
		conv_spec(&c, false, &in);
		icmp_error(vm, fam, unreach, port_unreach, &in, 64, "about the answer's direction");
		u = c;
		u.pport = 54;
		conv_spec(&u, true, &in);
		icmp_error(vm, fam, unreach, port_unreach, &in, 64, "about an untracked flow");

		conv_init(&c, vm, fam, IPPROTO_TCP, peer, 22, uniq_port());
		seg(&c, false, TCP_SYN, "a connection to err about");
		conv_spec(&c, false, &in);
		in.flags = TCP_SYN;
		icmp_error(vm, fam, unreach, 1, &in, 48, "about the tracked connection");
		icmp_error(vm, fam, unreach, 1, &in, fam == 4 ? 28 : 48, "8 bytes of TCP");

		conv_init(&c, vm, fam, icmp_proto(fam), peer, id, id);
		echo(&c, true, true, "ping out");
		conv_spec(&c, true, &in);
		in.proto = icmp_proto(fam);
		in.type = fam == 4 ? XVS_ICMP_ECHO : XVS_ICMP6_ECHO;
		icmp_error(vm, fam, unreach, 0, &in, 64, "about the tracked ping");
		in.type = unreach;
		icmp_error(vm, fam, unreach, 0, &in, 64, "about an error");

		/* the error's own header longer, or tagged */
		conv_spec(&t, true, &in);
		for (err_outer.ntag = 0; err_outer.ntag <= 2; err_outer.ntag++)
			for (err_outer.ext = 0; err_outer.ext <= 40; err_outer.ext += fam == 4 ? 4 : 8)
				icmp_error(vm, fam, unreach, port_unreach, &in, 64, "outer headers");
		/* near the parser's offset limit (the error's IPv6 headers) */
		for (err_outer.ntag = 0; fam == 6 && err_outer.ntag <= 1; err_outer.ntag++)
			for (err_outer.ext = 900; err_outer.ext <= 1000; err_outer.ext += 4)
				icmp_error(vm, fam, unreach, port_unreach, &in, 64, "deep");
		err_outer.ntag = 0;
		err_outer.ext = 0;
		/* a tracked flow's quote with IPv4 options or an extension
		 * header (not followed: no relation) */
		conv_spec(&t, true, &in);
		if (fam == 4) {
			for (q = 4; q <= 40; q += 12) {
				in.opt = q;
				icmp_error(vm, fam, 3, 3, &in, 96, "inner IPv4 options");
			}
		} else {
			in.ext[in.next++] = (struct ext6){ .type = 60, .len = 8 };
			icmp_error(vm, fam, 1, 4, &in, 96, "inner extension header");
		}
		/* the other family inside */
		conv_init(&u, vm, 10 - fam, IPPROTO_UDP, fam == 4 ? "2001:db8:2::99" : "192.0.2.99",
			  uniq_port(), 53);
		conv_spec(&u, true, &in);
		icmp_error(vm, fam, unreach, port_unreach, &in, 64, "the other family inside");
	}
}

/* ---- malformed and truncated -------------------------------------------- */

static void malformed(const struct vm *vm)
{
	static struct frame f;
	struct spec s;
	int i;

	for (i = 0; i < 16; i++) {
		spec_to(&s, vm, 4, IPPROTO_UDP);
		build(&f, &s);
		f.buf[14] = (uint8_t)(0x40 | i); /* IHL 0..15 */
		feed(CAT_MALFORMED, &f, "IPv4 IHL %d", i);
	}
	spec_to(&s, vm, 4, IPPROTO_UDP);
	build(&f, &s);
	f.buf[14] = 0x65;
	feed(CAT_MALFORMED, &f, "IPv4 ethertype, version 6");
	spec_to(&s, vm, 6, IPPROTO_UDP);
	build(&f, &s);
	f.buf[14] = 0x45;
	feed(CAT_MALFORMED, &f, "IPv6 ethertype, version 4");
	spec_to(&s, vm, 6, IPPROTO_UDP);
	build(&f, &s);
	f.buf[12] = 0x08;
	f.buf[13] = 0x00;
	feed(CAT_MALFORMED, &f, "IPv6 header under an IPv4 ethertype");
	for (i = -2; i <= 2; i++) {
		spec_to(&s, vm, 4, IPPROTO_TCP);
		s.flags = TCP_SYN;
		build(&f, &s);
		put16(f.buf + 16, (uint16_t)(f.len - 14 + (size_t)i));
		feed(CAT_MALFORMED, &f, "IPv4 total length %+d", i);
		spec_to(&s, vm, 6, IPPROTO_TCP);
		s.flags = TCP_SYN;
		build(&f, &s);
		put16(f.buf + 18, (uint16_t)(f.len - 54 + (size_t)i));
		feed(CAT_MALFORMED, &f, "IPv6 payload length %+d", i);
	}
	spec_to(&s, vm, 4, IPPROTO_UDP);
	build(&f, &s);
	put16(f.buf + 16, 19);
	feed(CAT_MALFORMED, &f, "IPv4 total length below the header");
	for (i = 0; i < 6; i++) {
		spec_to(&s, vm, i & 1 ? 6 : 4, IPPROTO_TCP);
		build(&f, &s);
		f.buf[f.l4_off + 12] = (uint8_t)(i << 4); /* data offset 0..5 */
		feed(CAT_MALFORMED, &f, "TCP data offset %d", i);
	}
	spec_to(&s, vm, 4, IPPROTO_UDP);
	s.ntag = 3;
	s.vid[0] = 10;
	s.vid[1] = 20;
	s.vid[2] = 30;
	send_spec(CAT_MALFORMED, &s, "three VLAN tags");
	spec_to(&s, vm, 6, IPPROTO_UDP);
	s.ext[s.next++] = (struct ext6){ .type = 60, .len = 8 };
	build(&f, &s);
	f.buf[54 + 1] = 9; /* claims 80 bytes */
	feed(CAT_MALFORMED, &f, "extension header past the packet");
}

/* Every length of a frame, as cut (its IP lengths then claim more than
 * there is) and with the lengths made to fit. */
static void truncations(const struct spec *s, const char *what)
{
	static struct frame whole, f;
	size_t l, ip;

	build(&whole, s);
	ip = whole.ip_off;
	for (l = XVS_ETH_HLEN; l <= whole.len; l++) {
		f = whole;
		frame_resize(&f, l);
		feed(CAT_TRUNC, &f, "%s, cut at %zu", what, l);
		if (l < ip + (whole.ip_ver == 4 ? 20u : 40u) || l == whole.len)
			continue;
		if (whole.ip_ver == 4)
			put16(f.buf + ip + 2, (uint16_t)(l - ip));
		else
			put16(f.buf + ip + 4, (uint16_t)(l - ip - 40));
		feed(CAT_TRUNC, &f, "%s, cut at %zu, lengths fitted", what, l);
	}
}

static void truncated(const struct vm *vm)
{
	struct spec s;

	spec_to(&s, vm, 6, IPPROTO_TCP);
	s.dport = 22;
	s.flags = TCP_SYN;
	s.ext[s.next++] = (struct ext6){ .type = 0, .len = 8 };
	s.ext[s.next++] = (struct ext6){ .type = IPPROTO_FRAGMENT, .more = true };
	s.ext[s.next++] = (struct ext6){ .type = 60, .len = 16 };
	s.payload = 12;
	truncations(&s, "TCP/IPv6, 3 extension headers");
	spec_to(&s, vm, 4, IPPROTO_TCP);
	s.dport = 22;
	s.flags = TCP_SYN;
	s.opt = 8;
	s.ntag = 1;
	s.vid[0] = vm == &VM_A ? 10 : 30;
	s.payload = 4;
	truncations(&s, "TCP/IPv4 with options, tagged");
	spec_to(&s, vm, 4, IPPROTO_ICMP);
	s.payload = 0;
	s.ntag = 2;
	s.tpid[0] = 0x88a8;
	s.vid[0] = vm == &VM_A ? 10 : 30;
	s.vid[1] = 7;
	truncations(&s, "ICMP/IPv4, two tags");
}

/* Frames that never reach a firewall, or reach one not bound. */
static void paths(void)
{
	struct spec s;
	int i;

	for (i = 0; i < 6; i++) {
		spec_to(&s, i < 2 ? &VM_C : &VM_A, 4, IPPROTO_UDP);
		if (i == 2)
			memcpy(s.dst, MAC_UNKNOWN, 6);
		if (i == 3)
			memcpy(s.dst, MAC_HOST, 6);
		if (i == 4)
			memcpy(s.dst, MAC_BCAST, 6);
		if (i == 5) {
			s.ntag = 1;
			s.vid[0] = 30; /* VM A's MAC, VM B's VLAN */
		}
		send_spec(CAT_PATH, &s, "path %d", i);
	}
	for (i = -1; i <= 1; i++) {
		spec_to(&s, &VM_B, 4, IPPROTO_UDP);
		s.dport = 53;
		s.payload = (size_t)(VM_MTU - 28 + i);
		send_spec(CAT_PATH, &s, "MTU %+d", i);
		s.ntag = 1;
		s.vid[0] = 30;
		send_spec(CAT_PATH, &s, "MTU %+d, tagged", i);
	}
}

/*
 * Connections in every timeout class, each twice; then both tables age
 * them to just before (the even port) and just after (the odd one) their
 * expiry, and each gets one more packet from the peer.
 */
static const struct edge {
	uint8_t proto;
	int cls; /* enum xvs_ct_timeout */
	uint8_t flags[5]; /* TCP: the way in, from the peer, the VM, ... */
	int n;
} edges[] = {
	{ IPPROTO_UDP, XVS_CT_TO_UDP, { 0 }, 1 },
	{ IPPROTO_UDP, XVS_CT_TO_UDP_STREAM, { 0 }, 2 },
	{ IPPROTO_ICMP, XVS_CT_TO_ICMP, { 0 }, 1 },
	{ IPPROTO_TCP, XVS_CT_TO_TCP_SYN, { TCP_SYN }, 1 },
	{ IPPROTO_TCP, XVS_CT_TO_TCP_EST, { TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK }, 3 },
	{ IPPROTO_TCP, XVS_CT_TO_TCP_FIN, { TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_FIN }, 4 },
	{ IPPROTO_TCP, XVS_CT_TO_TCP_CLOSE, { TCP_SYN, TCP_RST | TCP_ACK }, 2 },
	{ IPPROTO_TCP, XVS_CT_TO_TCP_CLOSE,
	  { TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK, TCP_FIN, TCP_FIN | TCP_ACK }, 5 },
};
#define EDGE_PORT 7000 /* edge i, copy k: the VM's port EDGE_PORT + 2 * i + k */

static void edge_frame(size_t i, int k, int step, bool from_vm)
{
	const struct edge *e = &edges[i];
	uint16_t vport = (uint16_t)(EDGE_PORT + 2 * i + (size_t)k);
	struct conv c;

	conv_init(&c, &VM_C, 4, e->proto, "192.0.2.70", vport,
		  e->proto == IPPROTO_ICMP ? vport : (uint16_t)(9000 + i));
	if (e->proto == IPPROTO_ICMP)
		echo(&c, from_vm, !from_vm, "expiry edge");
	else if (e->proto == IPPROTO_UDP)
		dgram(&c, from_vm, "expiry edge");
	else
		seg(&c, from_vm, step < e->n ? e->flags[step] : TCP_ACK, "expiry edge");
}

/* New UDP flows until the table is full where they hash. */
static void flood(const struct vm *vm, int n)
{
	struct spec s;
	int i;

	for (i = 0; i < n; i++) {
		spec_to(&s, vm, i % 3 ? 4 : 6, IPPROTO_UDP);
		s.sa[s.fam == 4 ? 3 : 15] = (uint8_t)rnd();
		s.sport = (uint16_t)rnd();
		s.dport = (uint16_t)rnd();
		send_spec(CAT_FLOOD, &s, "flood %d", i);
	}
}

/* ---- mutations --------------------------------------------------------------- */

static void base_frame(struct spec *s, const struct vm *vm)
{
	struct spec in;
	int k = (int)(rnd() % 8), fam = rnd() & 1 ? 6 : 4;
	static struct frame inner;

	spec_to(s, vm, fam, IPPROTO_UDP);
	switch (k) {
	case 0:
		s->proto = IPPROTO_TCP;
		s->dport = rnd() & 1 ? 22 : 80;
		s->flags = (uint8_t)rnd();
		break;
	case 1:
		s->dport = 53;
		break;
	case 2:
		s->proto = icmp_proto(fam);
		s->type = (uint8_t)(rnd() & 1 ? (fam == 4 ? 8 : 128) : rnd());
		break;
	case 3: /* an error about a flow */
		conv_spec(&(struct conv){ .vm = vm, .fam = fam, .proto = IPPROTO_UDP,
					  .vport = (uint16_t)rnd(), .pport = 53 },
			  true, &in);
		build(&inner, &in);
		s->proto = icmp_proto(fam);
		s->type = fam == 4 ? 3 : 1;
		s->body = inner.buf + XVS_ETH_HLEN;
		s->body_len = inner.len - XVS_ETH_HLEN;
		break;
	case 4:
		s->ext[s->next++] = (struct ext6){ .type = 0, .len = 8 };
		s->ext[s->next++] = (struct ext6){ .type = IPPROTO_FRAGMENT, .more = true };
		s->fam = 6;
		addr(6, "2001:db8:ff::200", s->sa);
		addr(6, vm->ip6, s->da);
		break;
	case 5:
		s->ntag = (int)(rnd() % 3);
		s->vid[0] = vm == &VM_A ? 10 : 30;
		s->vid[1] = 5;
		break;
	case 6:
		if (fam == 4) {
			s->mf = true;
			s->off8 = (uint16_t)(rnd() & 1);
			s->raw = s->off8;
		}
		break;
	default:
		s->proto = IPPROTO_SCTP;
		s->dport = 5005;
		break;
	}
}

/* Random frames near the valid ones: bytes changed, cut, grown. */
static void mutations(int n)
{
	static const struct vm *const vms[] = { &VM_A, &VM_B, &VM_C };
	static struct frame f;
	struct spec s;
	int i, j, k;

	for (i = 0; i < n; i++) {
		base_frame(&s, vms[rnd() % 3]);
		build(&f, &s);
		k = (int)(rnd() % 4);
		for (j = 0; j < 1 + (int)(rnd() % 3); j++) {
			size_t at = 12 + rnd() % (f.len - 12 < 90 ? f.len - 12 : 90);

			if (k == 0)
				f.buf[at] ^= (uint8_t)(1u << (rnd() % 8));
			else if (k == 1)
				f.buf[at] = (uint8_t)rnd();
		}
		if (k == 2)
			frame_resize(&f, XVS_ETH_HLEN + rnd() % (f.len - XVS_ETH_HLEN + 1));
		if (k == 3)
			frame_resize(&f, f.len + rnd() % 32);
		feed(CAT_FUZZ, &f, "mutation %d (kind %d)", i, k);
	}
}

/* ---- across a commit ------------------------------------------------------ */

/* Connections opened under bank 1 go on under bank 2; some of them it
 * no longer allows (the commit removed them). */
static void continue_flows(void)
{
	struct conv c;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		const char *peer = fam == 4 ? "192.0.2.44" : "2001:db8:2::44";

		conv_init(&c, &VM_B, fam, IPPROTO_TCP, peer, 22, 3333);
		seg(&c, 0, TCP_SYN, "opened before the switch");
		seg(&c, 1, TCP_SYN | TCP_ACK, "answered before the switch");
		conv_init(&c, &VM_B, fam, IPPROTO_UDP, peer, 53, 3334);
		dgram(&c, false, "query before the switch");
		conv_init(&c, &VM_B, fam, 47, fam == 4 ? "198.51.100.1" : "2001:db8::1", 0, 0);
		dgram(&c, false, "gre before the switch");
	}
}

static void continue_flows_after(void)
{
	struct conv c;
	int fam;

	for (fam = 4; fam <= 6; fam += 2) {
		const char *peer = fam == 4 ? "192.0.2.44" : "2001:db8:2::44";

		conv_init(&c, &VM_B, fam, IPPROTO_TCP, peer, 22, 3333);
		seg(&c, 0, TCP_ACK, "after the switch");
		seg(&c, 1, TCP_PSH | TCP_ACK, "data after the switch");
		conv_init(&c, &VM_B, fam, IPPROTO_UDP, peer, 53, 3334);
		dgram(&c, true, "answer after the switch");
		dgram(&c, false, "query after the switch");
		conv_init(&c, &VM_B, fam, 47, fam == 4 ? "198.51.100.1" : "2001:db8::1", 0, 0);
		dgram(&c, true, "gre after the switch");
	}
}

#endif /* XVS_TESTS_FW_CORPUS_H */
