// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the firewall's semantics (include/xvs/fw_eval.h through
 * src/fw/fw.c, private tables): rules (first match, count, defaults, every
 * match kind, later fragments, groups), conntrack (zones, UDP, ICMP echo
 * and errors, TCP states and the segments that may open a connection),
 * expiry and sweeping, a full table, reloads (counters, re-judging, a
 * reload under traffic), flushing a zone, concurrent inserts, counters.
 *
 * Frames are built with tools/lib/frame.h and parsed with xvs_parse, as
 * the forwarder does; time is the tests' own (fw_judge takes `now`).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "fw/fw.h"

/*
 * <xvs/fw_eval.h> for its key, hash and timeout helpers, which the tests
 * use to find entries and to aim flows at one probe window. Its table
 * accessors are not used here: the forwarder's are under test.
 */
struct xvs_env {
	int unused;
};

#define XVS_FW_NO_MEMO
#include <xvs/fw_eval.h>

XVS_INLINE const struct xvs_acl_rule *xvs_env_rule(struct xvs_env *env, __u32 i)
{
	(void)env;
	(void)i;
	return NULL;
}

XVS_INLINE int xvs_env_group_has(struct xvs_env *env, const struct xvs_fw_group_key *k)
{
	(void)env;
	(void)k;
	return 0;
}

XVS_INLINE struct xvs_ct_entry *xvs_env_ct(struct xvs_env *env, __u32 slot)
{
	(void)env;
	(void)slot;
	return NULL;
}

XVS_INLINE void xvs_env_hit(struct xvs_env *env, __u32 rule, __u32 bytes)
{
	(void)env;
	(void)rule;
	(void)bytes;
}

XVS_INLINE const struct xvs_fw_ctx *xvs_env_ctx(struct xvs_env *env)
{
	(void)env;
	return NULL;
}

XVS_INLINE struct xvs_fw_tmp *xvs_env_tmp(struct xvs_env *env)
{
	(void)env;
	return NULL;
}

XVS_INLINE int xvs_env_load(struct xvs_env *env, __u32 off, __u8 *dst, __u32 n)
{
	(void)env;
	(void)off;
	(void)dst;
	(void)n;
	return -1;
}

#define NS 1000000000ull
#define TOUCH XVS_CT_TOUCH_NS
#define FROM XVS_FW_FROM_VM
#define TO XVS_FW_TO_VM
#define VM 1 /* the VM port (and zone) most tests judge for */
#define VM2 2
#define TCP_PSH 0x08
#define TCP_ECE 0x40

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a }; /* the VM */
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b }; /* its peer */
#define A4 "10.0.0.1" /* the VM */
#define B4 "192.0.2.7" /* a peer above it */
#define C4 "9.9.9.9" /* a peer below it */
#define R4 "198.51.100.1" /* a router sending errors */
#define A6 "2001:db8::1"
#define B6 "2001:db8:1::7"
#define C6 "2001:db8::"
#define R6 "2001:db8:ff::1"

/* The firewall under test; the teardown frees it even if a test failed. */
static struct fw fw;
/* The time fw_judge and fw_commit are told (CLOCK_MONOTONIC ns). */
static uint64_t now = 1000 * NS;

static void reload_stop(void);

static int teardown(void **state)
{
	(void)state;
	reload_stop(); /* a test that failed with its worker running */
	fw_destroy(&fw);
	now = 1000 * NS;
	return 0;
}

static void init_n(int nworkers, uint32_t ct_size)
{
	fw_destroy(&fw); /* a test may start afresh in its middle */
	assert_int_equal(fw_init_private(&fw, nworkers, ct_size), 0);
	fw_set_on(&fw, true);
}

static void init(void)
{
	init_n(1, 4096);
}

/* ---- frames ---------------------------------------------------------------- */

enum { FRAG_NONE, FRAG_FIRST, FRAG_LATER };

/* A frame to build: IPv4/IPv6 with TCP, UDP, ICMP or a bare protocol, or
 * a non-IP frame. Unset MACs are MAC_A → MAC_B. */
struct pkt_spec {
	int fam; /* 4, 6; 0: not IP (ethertype etype, ARP if 0) */
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp; /* TCP flags */
	uint8_t type, code; /* ICMP, ICMPv6 */
	uint16_t id; /* ICMP echo identifier */
	const struct pkt_spec *inner; /* ICMP error: the packet it is about */
	size_t inner_len; /* bytes of it after its IP header; 0: 8 */
	int frag;
	uint16_t frag_id; /* IPv4: the identification of a fragment */
	uint16_t etype;
	uint16_t vlan, vlan2; /* VIDs, outer first; 0: no tag */
	const uint8_t *smac, *dmac;
	size_t payload;
};

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Build s into f; frame_finish's result (the length, or an error). No
 * cmocka assertion: threads use it too. */
static int build(struct frame *f, const struct pkt_spec *s)
{
	frame_init(f);
	frame_eth(f, s->dmac ? s->dmac : MAC_B, s->smac ? s->smac : MAC_A);
	if (s->vlan)
		frame_vlan(f, s->vlan2 ? 0x88a8 : 0x8100, s->vlan);
	if (s->vlan2)
		frame_vlan(f, 0x8100, s->vlan2);
	if (!s->fam) {
		frame_ethertype(f, s->etype ? s->etype : 0x88b5); /* not ARP: ARP bypasses the rules */
		frame_payload(f, 28 + s->payload, 0);
		return frame_finish(f);
	}
	if (s->fam == 4) {
		frame_ip4(f, s->src, s->dst, 0);
		if (s->frag)
			frame_ip4_frag(f, s->frag == FRAG_LATER ? 100 : 0, s->frag == FRAG_FIRST);
		if (s->frag && !f->err) {
			f->buf[f->ip_off + 4] = (uint8_t)(s->frag_id >> 8);
			f->buf[f->ip_off + 5] = (uint8_t)s->frag_id;
		}
	} else {
		frame_ip6(f, s->src, s->dst);
		if (s->frag)
			frame_ip6_frag(f, s->frag == FRAG_LATER ? 100 : 0, s->frag == FRAG_FIRST);
	}
	if (s->frag == FRAG_LATER) {
		frame_ipproto(f, s->proto); /* the rest of some L4 segment */
		frame_payload(f, 64 + s->payload, 0);
		return frame_finish(f);
	}
	if (s->proto == IPPROTO_TCP) {
		frame_tcp(f, s->sport, s->dport);
		if (!f->err)
			f->buf[f->l4_off + 13] = s->tcp;
	} else if (s->proto == IPPROTO_UDP) {
		frame_udp(f, s->sport, s->dport);
	} else if (is_icmp(s->proto)) {
		frame_icmp(f, s->type, s->code);
		if (!f->err && xvs_icmp_is_echo(s->proto, s->type)) {
			f->buf[f->l4_off + 4] = (uint8_t)(s->id >> 8);
			f->buf[f->l4_off + 5] = (uint8_t)s->id;
		}
		if (s->inner) {
			struct frame in;
			size_t n;

			if (build(&in, s->inner) < 0)
				return -EINVAL;
			/* its IP header and what follows, as a router quotes it */
			n = in.l4_off - in.ip_off + (s->inner_len ? s->inner_len : 8);
			if (n > in.len - in.ip_off)
				return -EINVAL;
			frame_payload(f, n, 0);
			if (!f->err)
				memcpy(f->buf + f->len - n, in.buf + in.ip_off, n);
		}
	} else {
		frame_ipproto(f, s->proto);
	}
	frame_payload(f, s->payload, 0);
	return frame_finish(f);
}

/* A flow from the VM (A) to its peer (B). TCP starts as a SYN. */
static struct pkt_spec flow(int fam, uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct pkt_spec s = {
		.fam = fam,
		.src = fam == 6 ? A6 : A4,
		.dst = fam == 6 ? B6 : B4,
		.proto = proto,
		.sport = sport,
		.dport = dport,
		.tcp = XVS_TCP_SYN,
	};

	return s;
}

static struct pkt_spec tcp4(uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct pkt_spec s = flow(4, IPPROTO_TCP, sport, dport);

	s.tcp = flags;
	return s;
}

static struct pkt_spec udp4(uint16_t sport, uint16_t dport)
{
	return flow(4, IPPROTO_UDP, sport, dport);
}

/* An echo request from the VM. */
static struct pkt_spec echo(int fam, uint16_t id)
{
	struct pkt_spec s = flow(fam, fam == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, 0, 0);

	s.type = fam == 6 ? XVS_ICMP6_ECHO : XVS_ICMP_ECHO;
	s.id = id;
	return s;
}

/* The packet the other way (an echo request's reply); TCP flags as given. */
static struct pkt_spec rev(const struct pkt_spec *s, uint8_t tcp)
{
	struct pkt_spec r = *s;

	r.src = s->dst;
	r.dst = s->src;
	r.sport = s->dport;
	r.dport = s->sport;
	r.smac = s->dmac ? s->dmac : MAC_B;
	r.dmac = s->smac ? s->smac : MAC_A;
	r.tcp = tcp;
	if (s->type == XVS_ICMP_ECHO && s->proto == IPPROTO_ICMP)
		r.type = XVS_ICMP_ECHO_REPLY;
	else if (s->type == XVS_ICMP6_ECHO && s->proto == IPPROTO_ICMPV6)
		r.type = XVS_ICMP6_ECHO_REPLY;
	return r;
}

/* ---- judging ------------------------------------------------------------------ */

/* Build, parse and judge as worker `worker` at time t: the frame's length,
 * or a negative errno if it could not be built or parsed. */
static int judge_raw(int worker, uint16_t port, int dir, const struct pkt_spec *s, uint64_t t,
		     struct xvs_fw_verdict *v)
{
	struct xvs_pkt p;
	struct frame f;
	int len = build(&f, s);

	if (len < 0)
		return len;
	memset(&p, 0, sizeof(p));
	if (xvs_parse(f.buf, f.buf + f.len, (__u32)f.len, &p) != XVS_REASON_OK)
		return -EPROTO;
	fw_judge(&fw, worker, port, dir, &p, f.buf, (uint32_t)f.len, (uint32_t)f.len, t, v);
	return len;
}

/* The action that goes with a reason. */
static int action_of(int reason)
{
	switch (reason) {
	case XVS_FW_NONE:
	case XVS_FW_NEIGHBOUR:
	case XVS_FW_FRAGMENT:
	case XVS_FW_ESTABLISHED:
	case XVS_FW_RELATED:
	case XVS_FW_RULE_ALLOW:
	case XVS_FW_DEFAULT_ALLOW:
		return XVS_ACL_ALLOW;
	case XVS_FW_RULE_REJECT:
	case XVS_FW_DEFAULT_REJECT:
		return XVS_ACL_REJECT;
	default:
		return XVS_ACL_DROP;
	}
}

static const char *reason_name(int r)
{
	return r >= 0 && r < XVS_FW_REASON_MAX ? xvs_fw_reason_names[r] : "?";
}

static struct xvs_fw_verdict verdict(int line, uint16_t port, int dir, const struct pkt_spec *s)
{
	struct xvs_fw_verdict v = { 0 };
	int len = judge_raw(0, port, dir, s, now, &v);

	if (len < 0)
		fail_msg("line %d: frame not built or not parsed (%d)", line, len);
	if (v.reason >= XVS_FW_REASON_MAX || v.action != action_of(v.reason))
		fail_msg("line %d: action %u with reason %u", line, v.action, v.reason);
	return v;
}

/* Judge s for (port, dir): its reason must be `reason`; the verdict. */
static struct xvs_fw_verdict expect(int line, int reason, uint16_t port, int dir,
				    const struct pkt_spec *s)
{
	struct xvs_fw_verdict v = verdict(line, port, dir, s);

	if (v.reason != reason)
		fail_msg("line %d: %s (rule %d), expected %s", line, reason_name(v.reason),
			 (int)v.rule, reason_name(reason));
	return v;
}

#define EXPECT(reason, port, dir, s) expect(__LINE__, XVS_FW_##reason, (port), (dir), (s))
/* ... and the rule that decided */
#define EXPECT_RULE(reason, idx, port, dir, s)                                                  \
	assert_int_equal(EXPECT(reason, port, dir, s).rule, (idx))

/* ---- rules and banks ---------------------------------------------------------- */

#define R_DEFAULT_DROP { .action = XVS_ACL_DROP, .flags = XVS_ACL_F_DEFAULT }
#define ALLOW_ALL(fl) { .action = XVS_ACL_ALLOW, .flags = (fl) }
#define ALLOW_PROTO(p, fl)                                                                      \
	{ .match = XVS_ACL_M_PROTO, .proto = (p), .action = XVS_ACL_ALLOW, .flags = (fl) }
#define STATEFUL XVS_ACL_F_STATEFUL

/* Set a rule's source (or destination) prefix; the family goes with it, as
 * the rule compiler gives it. */
static void rule_addr(struct xvs_acl_rule *r, bool src, int fam, const char *a, int plen)
{
	uint32_t addr[4] = { 0 }, mask[4] = { 0 };
	int i, bits;

	assert_int_equal(inet_pton(fam == 6 ? AF_INET6 : AF_INET, a, addr), 1);
	for (i = 0; i < 4; i++) {
		bits = plen - 32 * i;
		bits = bits < 0 ? 0 : bits > 32 ? 32 : bits;
		mask[i] = bits ? htonl(~0u << (32 - bits)) : 0;
		addr[i] &= mask[i];
	}
	r->match |= (src ? XVS_ACL_M_SADDR : XVS_ACL_M_DADDR) | XVS_ACL_M_FAMILY;
	r->family = (uint8_t)fam;
	memcpy(src ? r->saddr : r->daddr, addr, sizeof(addr));
	memcpy(src ? r->smask : r->dmask, mask, sizeof(mask));
}

/* The rules of one (port, direction). In a bank, each binding's rules
 * follow the previous one's: the first binding's rule i has index i. */
struct binding {
	uint16_t port;
	int dir;
	const struct xvs_acl_rule *r;
	uint32_t n;
};
#define BIND(port, dir, rules) { (port), (dir), (rules), XVS_ARRAY_SIZE(rules) }

/* Write the bank not in force (not yet committed); returns it. */
static int bank_build(const struct binding *b, size_t nb)
{
	uint32_t first = 0;
	int bank = fw_bank_begin(&fw);
	size_t i;

	for (i = 0; i < nb; i++) {
		assert_int_equal(fw_bank_rules(&fw, first, b[i].r, b[i].n), 0);
		assert_int_equal(fw_bank_bind(&fw, b[i].port, b[i].dir, first, b[i].n), 0);
		first += b[i].n;
	}
	return bank;
}

static int commit(void)
{
	return fw_commit(&fw, NULL, NULL, now);
}

/* Build and commit; fw_commit's result. */
static int load(const struct binding *b, size_t nb)
{
	bank_build(b, nb);
	return commit();
}

#define LOAD(...)                                                                               \
	({                                                                                      \
		const struct binding b_[] = { __VA_ARGS__ };                                    \
		load(b_, XVS_ARRAY_SIZE(b_));                                                   \
	})

/* ---- the conntrack table as the tests see it ----------------------------------- */

static struct xvs_ct_key key_of(uint16_t zone, const struct pkt_spec *s)
{
	struct xvs_ct_key k;
	struct xvs_pkt p;
	struct frame f;

	assert_true(build(&f, s) > 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(xvs_parse(f.buf, f.buf + f.len, (__u32)f.len, &p), XVS_REASON_OK);
	memset(&k, 0, sizeof(k));
	xvs_ct_key_make(&k, zone, p.l3, p.l4proto, p.saddr, p.sport, p.daddr, p.dport);
	return k;
}

static bool valid(const struct xvs_ct_entry *e)
{
	return XVS_CT_KIND(__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE)) == XVS_CT_VALID;
}

/* The slot of s's valid entry in zone (either direction), or -1; fails
 * the test if there is more than one. */
static int slot_of(uint16_t zone, const struct pkt_spec *s)
{
	struct xvs_ct_key k = key_of(zone, s);
	int slot = -1;
	uint32_t i;

	for (i = 0; i < fw.m.ct_size; i++) {
		if (!valid(&fw.m.ct[i]) || !xvs_ct_key_eq(&fw.m.ct[i].key, &k))
			continue;
		if (slot >= 0)
			fail_msg("two entries for one flow: slots %d and %u", slot, i);
		slot = (int)i;
	}
	return slot;
}

static struct xvs_ct_entry *entry_of(uint16_t zone, const struct pkt_spec *s)
{
	int slot = slot_of(zone, s);

	return slot < 0 ? NULL : &fw.m.ct[slot];
}

/* Valid entries, and those not expired at `now`. */
static int ct_live(void)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < fw.m.ct_size; i++)
		n += valid(&fw.m.ct[i]) && !xvs_ct_expired(fw.m.cfg, &fw.m.ct[i], now);
	return n;
}

static int ct_valid(void)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < fw.m.ct_size; i++)
		n += valid(&fw.m.ct[i]);
	return n;
}

static uint32_t ct_state(uint16_t zone, const struct pkt_spec *s)
{
	struct xvs_ct_entry *e = entry_of(zone, s);

	if (!e)
		fail_msg("no entry for the flow");
	return e->state;
}

static struct xvs_counter reason_count(uint16_t port, int dir, int reason)
{
	struct xvs_counter c[XVS_FW_REASON_MAX];

	fw_sum_reason(&fw, port, dir, c);
	return c[reason];
}

static uint64_t rule_packets(uint32_t rule)
{
	struct xvs_counter c;

	fw_sum_rule(&fw, rule, &c);
	return c.packets;
}

/* ================================================================================ */
/* rules                                                                            */
/* ================================================================================ */

static void first_match_wins(void **state)
{
	struct xvs_acl_rule r[] = {
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT, .proto = IPPROTO_TCP, .dport_lo = 80,
		  .dport_hi = 80, .action = XVS_ACL_DROP },
		ALLOW_PROTO(IPPROTO_TCP, 0),
		{ .action = XVS_ACL_REJECT }, /* everything, but not the default */
	};
	struct xvs_acl_rule swapped[] = { r[1], r[0], r[2] };
	struct pkt_spec s;

	(void)state;
	init();
	assert_int_equal(LOAD(BIND(VM, FROM, r)), 0);
	s = tcp4(1000, 80, XVS_TCP_SYN);
	EXPECT_RULE(RULE_DROP, 0, VM, FROM, &s);
	s.dport = 81;
	EXPECT_RULE(RULE_ALLOW, 1, VM, FROM, &s);
	s = udp4(1000, 80);
	EXPECT_RULE(RULE_REJECT, 2, VM, FROM, &s);

	assert_int_equal(LOAD(BIND(VM, FROM, swapped)), 0);
	s = tcp4(1000, 80, XVS_TCP_SYN);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s);
	assert_int_equal(ct_valid(), 0);
}

static void count_rules_go_on(void **state)
{
	struct xvs_acl_rule r[] = {
		{ .match = XVS_ACL_M_PROTO, .proto = IPPROTO_TCP, .action = XVS_ACL_COUNT },
		{ .action = XVS_ACL_COUNT },
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT, .proto = IPPROTO_TCP, .dport_lo = 80,
		  .dport_hi = 80, .action = XVS_ACL_ALLOW },
		R_DEFAULT_DROP,
	};
	struct xvs_acl_rule only_count[] = { { .action = XVS_ACL_COUNT } };
	struct xvs_counter c;
	struct pkt_spec s;
	int len;

	(void)state;
	init();
	LOAD(BIND(VM, FROM, r), BIND(VM2, FROM, only_count));
	s = tcp4(1000, 80, XVS_TCP_SYN);
	EXPECT_RULE(RULE_ALLOW, 2, VM, FROM, &s);
	assert_int_equal(rule_packets(0), 1);
	assert_int_equal(rule_packets(1), 1);
	assert_int_equal(rule_packets(2), 1);
	assert_int_equal(rule_packets(3), 0);
	s = udp4(1000, 80);
	EXPECT_RULE(DEFAULT_DROP, 3, VM, FROM, &s);
	assert_int_equal(rule_packets(0), 1);
	assert_int_equal(rule_packets(1), 2);
	assert_int_equal(rule_packets(2), 1);
	assert_int_equal(rule_packets(3), 1);
	/* bytes too */
	{
		struct frame f;

		len = build(&f, &s);
	}
	fw_sum_rule(&fw, 3, &c);
	assert_int_equal(c.bytes, (uint64_t)len);

	/* counted, and nothing else matched */
	EXPECT_RULE(NO_MATCH, ~0u, VM2, FROM, &s);
	assert_int_equal(rule_packets(4), 1);
}

static void default_reasons(void **state)
{
	struct xvs_acl_rule drop[] = { ALLOW_PROTO(IPPROTO_UDP, 0), R_DEFAULT_DROP };
	struct xvs_acl_rule allow[] = { { .action = XVS_ACL_ALLOW, .flags = XVS_ACL_F_DEFAULT } };
	struct xvs_acl_rule reject[] = {
		{ .match = XVS_ACL_M_PROTO, .proto = IPPROTO_UDP, .action = XVS_ACL_REJECT },
		{ .action = XVS_ACL_REJECT, .flags = XVS_ACL_F_DEFAULT },
	};
	struct xvs_acl_rule allow_st[] = {
		{ .action = XVS_ACL_ALLOW, .flags = XVS_ACL_F_DEFAULT | STATEFUL },
	};
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	struct pkt_spec t = tcp4(1000, 22, XVS_TCP_SYN), u = udp4(1000, 53), back;

	(void)state;
	init();
	/* rules 0-1, 2, 3-4, 5, 6 */
	LOAD(BIND(VM, FROM, drop), BIND(VM, TO, allow), BIND(VM2, FROM, reject),
	     BIND(3, FROM, allow_st), BIND(3, TO, to));
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &t);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &u);
	back = rev(&t, XVS_TCP_SYN | XVS_TCP_ACK);
	EXPECT_RULE(DEFAULT_ALLOW, 2, VM, TO, &back);
	EXPECT_RULE(RULE_REJECT, 3, VM2, FROM, &u);
	EXPECT_RULE(DEFAULT_REJECT, 4, VM2, FROM, &t);
	assert_int_equal(ct_valid(), 0);
	/* a stateful default opens connections as a rule does */
	EXPECT_RULE(DEFAULT_ALLOW, 5, 3, FROM, &t);
	assert_int_equal(ct_valid(), 1);
	EXPECT_RULE(ESTABLISHED, 5, 3, TO, &back);
}

static void no_match(void **state)
{
	struct xvs_acl_rule r[] = {
		{ .match = XVS_ACL_M_PROTO, .proto = IPPROTO_TCP, .action = XVS_ACL_ALLOW,
		  .flags = STATEFUL },
	};
	struct pkt_spec u = udp4(1000, 53);

	(void)state;
	init();
	LOAD(BIND(VM, FROM, r));
	EXPECT_RULE(NO_MATCH, ~0u, VM, FROM, &u);
	assert_int_equal(reason_count(VM, FROM, XVS_FW_NO_MATCH).packets, 1);
	assert_int_equal(ct_valid(), 0);
}

static void empty_binding_is_none(void **state)
{
	struct xvs_acl_rule r[] = { ALLOW_ALL(STATEFUL) };
	struct pkt_spec t = tcp4(1000, 80, XVS_TCP_SYN), back = rev(&t, XVS_TCP_SYN | XVS_TCP_ACK);
	struct xvs_fw_verdict v;

	(void)state;
	init();
	/* nothing loaded at all */
	v = EXPECT(NONE, VM, FROM, &t);
	assert_int_equal(v.rule, ~0u);
	assert_int_equal(v.action, XVS_ACL_ALLOW);
	assert_false(fw_active(&fw, VM, FROM));

	LOAD(BIND(VM, FROM, r));
	assert_true(fw_active(&fw, VM, FROM));
	assert_false(fw_active(&fw, VM, TO));
	assert_false(fw_active(&fw, VM2, FROM));
	/* the other direction and another port have no rules */
	EXPECT_RULE(NONE, ~0u, VM, TO, &back);
	EXPECT_RULE(NONE, ~0u, VM2, FROM, &t);
	EXPECT_RULE(NONE, ~0u, VM2, TO, &back);
	assert_int_equal(ct_valid(), 0);
	/* a binding with zero rules is none either */
	{
		const struct binding b[] = { { VM, FROM, r, 0 } };

		load(b, 1);
	}
	EXPECT_RULE(NONE, ~0u, VM, FROM, &t);
	assert_int_equal(ct_valid(), 0);
}

/* ---- one test per match kind: the rule allows what it matches, the
 * default drops the rest ---- */

static void load_match(const struct xvs_acl_rule *m)
{
	struct xvs_acl_rule r[] = { *m, R_DEFAULT_DROP };

	r[0].action = XVS_ACL_ALLOW;
	LOAD(BIND(VM, FROM, r));
}

#define HIT(s) EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, (s))
#define MISS(s) EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, (s))

static void match_smac(void **state)
{
	const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x0c };
	struct xvs_acl_rule r = { .match = XVS_ACL_M_SMAC };
	struct pkt_spec s = udp4(1, 2);

	(void)state;
	init();
	memcpy(r.smac, MAC_A, 6);
	load_match(&r);
	HIT(&s);
	s.smac = other;
	MISS(&s);
	s.smac = MAC_B; /* its destination's */
	s.dmac = MAC_A;
	MISS(&s);
}

static void match_dmac(void **state)
{
	const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t near[6] = { 0x02, 0, 0, 0, 1, 0x0b };
	struct xvs_acl_rule r = { .match = XVS_ACL_M_DMAC };
	struct pkt_spec s = udp4(1, 2);

	(void)state;
	init();
	memcpy(r.dmac, MAC_B, 6);
	load_match(&r);
	HIT(&s);
	s.dmac = near;
	MISS(&s);
	s.dmac = bcast;
	MISS(&s);
	memcpy(r.dmac, bcast, 6);
	load_match(&r);
	HIT(&s);
}

static void match_vlan(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_VLAN, .vlan = 10 };
	struct pkt_spec s = udp4(1, 2);

	(void)state;
	init();
	load_match(&r);
	s.vlan = 10;
	HIT(&s);
	s.vlan = 11;
	MISS(&s);
	s.vlan = 9;
	MISS(&s);
	s.vlan = 0;
	MISS(&s);
	s.vlan = 10; /* the outer tag counts */
	s.vlan2 = 20;
	HIT(&s);
	s.vlan = 20;
	s.vlan2 = 10;
	MISS(&s);
	/* VLAN 0: untagged frames */
	r.vlan = 0;
	load_match(&r);
	s.vlan = s.vlan2 = 0;
	HIT(&s);
	s.vlan = 1;
	MISS(&s);
}

/* ARP and the ICMPv6 of ND, RD and MLD pass a binding whose rules would
 * drop them (anti-spoofing guards them), counted as NEIGHBOUR; an ICMPv6
 * type next to them does not, nor a later fragment claiming to be one. */
static void neighbour_bypasses_rules(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_PROTO, .proto = IPPROTO_UDP };
	struct pkt_spec arp = { .fam = 0, .etype = 0x0806 }, nd = flow(6, IPPROTO_ICMPV6, 0, 0);
	int t;

	(void)state;
	init();
	load_match(&r);
	EXPECT(NEIGHBOUR, VM, FROM, &arp);
	for (t = 130; t <= 137; t++) {
		nd.type = (uint8_t)t;
		EXPECT(NEIGHBOUR, VM, FROM, &nd);
	}
	nd.type = 143;
	EXPECT(NEIGHBOUR, VM, FROM, &nd);
	nd.type = 138;
	MISS(&nd);
	nd.type = 129;
	MISS(&nd);
	assert_int_equal(ct_valid(), 0);
}

static void match_etype(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_ETYPE, .ethertype = 0x88cc };
	struct pkt_spec arp = { .fam = 0, .etype = 0x88cc }, other = { .fam = 0, .etype = 0x88cd };
	struct pkt_spec s = udp4(1, 2);

	(void)state;
	init();
	load_match(&r);
	HIT(&arp);
	MISS(&other);
	MISS(&s);
	arp.vlan = 5; /* after the tags */
	HIT(&arp);
	r.ethertype = 0x0800;
	load_match(&r);
	HIT(&s);
	s.vlan = 5;
	s.vlan2 = 6;
	HIT(&s);
	s = flow(6, IPPROTO_UDP, 1, 2);
	MISS(&s);
}

static void match_family(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_FAMILY, .family = 6 };
	struct pkt_spec s6 = flow(6, IPPROTO_UDP, 1, 2), s4 = udp4(1, 2);
	struct pkt_spec arp = { .fam = 0 };

	(void)state;
	init();
	load_match(&r);
	HIT(&s6);
	MISS(&s4);
	MISS(&arp);
	r.family = 4;
	load_match(&r);
	HIT(&s4);
	MISS(&s6);
	MISS(&arp);
}

static void match_saddr(void **state)
{
	struct xvs_acl_rule r = { 0 };
	struct pkt_spec s = udp4(1, 2), arp = { .fam = 0 };

	(void)state;
	init();
	rule_addr(&r, true, 4, "10.1.2.0", 23);
	load_match(&r);
	s.src = "10.1.2.0";
	HIT(&s);
	s.src = "10.1.3.255";
	HIT(&s);
	s.src = "10.1.4.0";
	MISS(&s);
	s.src = "10.1.1.255";
	MISS(&s);
	s.src = B4;
	s.dst = "10.1.2.5"; /* the destination is not looked at */
	MISS(&s);
	MISS(&arp);

	memset(&r, 0, sizeof(r));
	rule_addr(&r, true, 4, "10.1.2.3", 32);
	load_match(&r);
	s = udp4(1, 2);
	s.src = "10.1.2.3";
	HIT(&s);
	s.src = "10.1.2.2";
	MISS(&s);

	memset(&r, 0, sizeof(r));
	rule_addr(&r, true, 6, "2001:db8:0:ff00::", 56);
	load_match(&r);
	s = flow(6, IPPROTO_UDP, 1, 2);
	s.src = "2001:db8:0:ff00::";
	HIT(&s);
	s.src = "2001:db8:0:ffff:ffff:ffff:ffff:ffff";
	HIT(&s);
	s.src = "2001:db8:0:feff:ffff:ffff:ffff:ffff";
	MISS(&s);
	s.src = "2001:db8:1:ff00::";
	MISS(&s);
	s = udp4(1, 2);
	MISS(&s);

	/* /0: every address of the family, none of the other */
	memset(&r, 0, sizeof(r));
	rule_addr(&r, true, 6, "::", 0);
	load_match(&r);
	s = flow(6, IPPROTO_UDP, 1, 2);
	HIT(&s);
	s = udp4(1, 2);
	MISS(&s);
}

static void match_daddr(void **state)
{
	struct xvs_acl_rule r = { 0 };
	struct pkt_spec s = udp4(1, 2);

	(void)state;
	init();
	rule_addr(&r, false, 4, "192.0.2.0", 25);
	load_match(&r);
	s.dst = "192.0.2.0";
	HIT(&s);
	s.dst = "192.0.2.127";
	HIT(&s);
	s.dst = "192.0.2.128";
	MISS(&s);
	s.dst = A4;
	s.src = "192.0.2.5"; /* the source is not looked at */
	MISS(&s);

	memset(&r, 0, sizeof(r));
	rule_addr(&r, false, 6, B6, 128);
	load_match(&r);
	s = flow(6, IPPROTO_UDP, 1, 2);
	HIT(&s);
	s.dst = "2001:db8:1::6";
	MISS(&s);
	s.dst = "2001:db8:1::8";
	MISS(&s);
}

static void match_proto(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_PROTO, .proto = IPPROTO_UDP };
	struct pkt_spec s = udp4(1, 2), t = tcp4(1, 2, XVS_TCP_SYN), gre = flow(4, 47, 0, 0);
	struct pkt_spec arp = { .fam = 0 }, e6 = echo(6, 1), e4 = echo(4, 1);

	(void)state;
	init();
	load_match(&r);
	HIT(&s);
	MISS(&t);
	MISS(&gre);
	MISS(&arp);
	s = flow(6, IPPROTO_UDP, 1, 2);
	HIT(&s);
	r.proto = 47; /* a protocol the parser does not look into */
	load_match(&r);
	HIT(&gre);
	MISS(&s);
	r.proto = IPPROTO_ICMPV6;
	load_match(&r);
	HIT(&e6);
	MISS(&e4);
	/* after IPv6 extension headers */
	r.proto = IPPROTO_UDP;
	load_match(&r);
	s = flow(6, IPPROTO_UDP, 1, 2);
	{
		struct pkt_spec x = s;

		x.frag = FRAG_FIRST;
		HIT(&x);
	}
}

static void match_ports(uint32_t kind, void **state)
{
	struct xvs_acl_rule r = { .match = kind };
	struct pkt_spec s = tcp4(1, 1, XVS_TCP_SYN), gre = flow(4, 47, 0, 0);
	uint16_t *port = kind == XVS_ACL_M_SPORT ? &s.sport : &s.dport;
	uint16_t *other = kind == XVS_ACL_M_SPORT ? &s.dport : &s.sport;

	(void)state;
	init();
	if (kind == XVS_ACL_M_SPORT) {
		r.sport_lo = 1000;
		r.sport_hi = 2000;
	} else {
		r.dport_lo = 1000;
		r.dport_hi = 2000;
	}
	load_match(&r);
	*other = 1500; /* the other port is not looked at */
	*port = 999;
	MISS(&s);
	*port = 1000;
	HIT(&s);
	*port = 2000;
	HIT(&s);
	*port = 2001;
	MISS(&s);
	s.proto = IPPROTO_UDP;
	*port = 1000;
	HIT(&s);
	*port = 2001;
	MISS(&s);
	s = flow(6, IPPROTO_UDP, 1500, 1500);
	HIT(&s);

	/* the top of the range, and everything */
	if (kind == XVS_ACL_M_SPORT)
		r.sport_lo = r.sport_hi = 65535;
	else
		r.dport_lo = r.dport_hi = 65535;
	load_match(&r);
	s = tcp4(65535, 65535, XVS_TCP_SYN);
	HIT(&s);
	*port = 65534;
	MISS(&s);
	if (kind == XVS_ACL_M_SPORT) {
		r.sport_lo = 0;
		r.sport_hi = 65535;
	} else {
		r.dport_lo = 0;
		r.dport_hi = 65535;
	}
	load_match(&r);
	*port = 0;
	HIT(&s);
	/* no L4 header, no ports: a port rule never matches */
	MISS(&gre);
}

static void match_sport(void **state)
{
	match_ports(XVS_ACL_M_SPORT, state);
}

static void match_dport(void **state)
{
	match_ports(XVS_ACL_M_DPORT, state);
}

static void match_icmp_type(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_TYPE,
				  .proto = IPPROTO_ICMP, .icmp_type = 3 };
	struct pkt_spec s = flow(4, IPPROTO_ICMP, 0, 0);

	(void)state;
	init();
	load_match(&r);
	s.type = 3;
	HIT(&s);
	s.code = 13; /* any code */
	HIT(&s);
	s.type = 4;
	MISS(&s);
	s.type = 2;
	MISS(&s);
	s = echo(4, 1);
	MISS(&s);

	r.proto = IPPROTO_ICMPV6;
	r.icmp_type = 139; /* node information query (ND itself bypasses the rules) */
	load_match(&r);
	s = flow(6, IPPROTO_ICMPV6, 0, 0);
	s.type = 139;
	HIT(&s);
	s.type = 140;
	MISS(&s);
	s.type = 141;
	MISS(&s);
}

static void match_icmp_code(void **state)
{
	struct xvs_acl_rule r = { .match = XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_TYPE |
					   XVS_ACL_M_ICMP_CODE,
				  .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 4 };
	struct pkt_spec s = flow(4, IPPROTO_ICMP, 0, 0);

	(void)state;
	init();
	load_match(&r);
	s.type = 3;
	s.code = 4;
	HIT(&s);
	s.code = 3;
	MISS(&s);
	s.code = 5;
	MISS(&s);
	s.type = 11;
	s.code = 4;
	MISS(&s);
	/* the code alone */
	r.match = XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_CODE;
	load_match(&r);
	HIT(&s);
	s.code = 0;
	MISS(&s);
}

static void match_tcp_flags(void **state)
{
	/* a SYN without ACK */
	struct xvs_acl_rule r = { .match = XVS_ACL_M_PROTO | XVS_ACL_M_TCP_FLAGS,
				  .proto = IPPROTO_TCP, .tcp_flags = XVS_TCP_SYN,
				  .tcp_mask = XVS_TCP_SYN | XVS_TCP_ACK };
	struct pkt_spec s = tcp4(1, 2, XVS_TCP_SYN);

	(void)state;
	init();
	load_match(&r);
	HIT(&s);
	s.tcp = XVS_TCP_SYN | TCP_ECE; /* outside the mask */
	HIT(&s);
	s.tcp = XVS_TCP_SYN | XVS_TCP_ACK;
	MISS(&s);
	s.tcp = XVS_TCP_ACK;
	MISS(&s);
	s.tcp = 0;
	MISS(&s);
	/* no RST: flags 0 under the mask */
	r.tcp_flags = 0;
	r.tcp_mask = XVS_TCP_RST;
	load_match(&r);
	s.tcp = XVS_TCP_ACK | TCP_PSH;
	HIT(&s);
	s.tcp = XVS_TCP_RST | XVS_TCP_ACK;
	MISS(&s);
}

/*
 * A later fragment carries no L4 header: no rule that looks at ports, ICMP
 * or TCP flags matches it, even where the missing fields (zero) would;
 * rules on L3 fields do, and nothing is tracked for it.
 */
static void later_fragments(void **state)
{
	static const uint32_t l4_kinds[] = {
		XVS_ACL_M_SPORT, XVS_ACL_M_DPORT, XVS_ACL_M_ICMP_TYPE, XVS_ACL_M_ICMP_CODE,
		XVS_ACL_M_TCP_FLAGS,
	};
	struct xvs_acl_rule r = { 0 };
	struct pkt_spec s;
	size_t i;
	int fam;

	(void)state;
	init();
	for (fam = 4; fam <= 6; fam += 2) {
		for (i = 0; i < XVS_ARRAY_SIZE(l4_kinds); i++) {
			init(); /* no note of an earlier first fragment */
			/* fields that a header of zeros would match */
			memset(&r, 0, sizeof(r));
			r.match = l4_kinds[i];
			r.sport_hi = r.dport_hi = 65535;
			load_match(&r);
			s = flow(fam, IPPROTO_TCP, 0, 0);
			s.tcp = 0;
			s.frag = FRAG_LATER;
			MISS(&s);
			s.proto = IPPROTO_ICMP;
			MISS(&s);
			/* the first fragment has its header */
			if (!(l4_kinds[i] & (XVS_ACL_M_ICMP_TYPE | XVS_ACL_M_ICMP_CODE))) {
				s = flow(fam, IPPROTO_TCP, 0, 0);
				s.tcp = 0;
				s.frag = FRAG_FIRST;
				HIT(&s);
			}
		}
		/* an L4 rule with a protocol: the later fragments of what it
		 * allowed pass with the first (noted), others do not */
		init();
		memset(&r, 0, sizeof(r));
		r.match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT;
		r.proto = IPPROTO_TCP;
		r.dport_lo = r.dport_hi = 80;
		load_match(&r);
		s = flow(fam, IPPROTO_TCP, 1000, 80);
		s.frag = FRAG_LATER;
		MISS(&s); /* before its first */
		s.frag = FRAG_FIRST;
		HIT(&s);
		assert_int_equal(ct_valid(), 1); /* the note */
		s.frag = FRAG_LATER;
		EXPECT(FRAGMENT, VM, FROM, &s);
		EXPECT(FRAGMENT, VM, FROM, &s);
		if (fam == 4) {
			s.frag_id = 7; /* another packet's */
			MISS(&s);
			s.frag_id = 0;
		}
		/* a first fragment the rule drops notes nothing (another
		 * identification: the note is per packet, not per port) */
		if (fam == 4) {
			s = flow(fam, IPPROTO_TCP, 1000, 81);
			s.frag = FRAG_FIRST;
			s.frag_id = 9;
			MISS(&s);
			s.frag = FRAG_LATER;
			MISS(&s);
		}
		/* the note expires like a UDP entry */
		now += (uint64_t)fw.m.cfg->timeout[XVS_CT_TO_UDP] * NS + 2 * TOUCH;
		s = flow(fam, IPPROTO_TCP, 1000, 80);
		s.frag = FRAG_LATER;
		MISS(&s);
		init();

		/* L3-only rules: protocol, addresses; stateful, but nothing to track */
		memset(&r, 0, sizeof(r));
		r.match = XVS_ACL_M_PROTO;
		r.proto = IPPROTO_TCP;
		r.flags = STATEFUL;
		load_match(&r);
		HIT(&s);
		assert_int_equal(ct_valid(), 0); /* a later fragment opens nothing */
		memset(&r, 0, sizeof(r));
		rule_addr(&r, true, fam, fam == 6 ? A6 : A4, fam == 6 ? 64 : 8);
		r.flags = STATEFUL;
		load_match(&r);
		HIT(&s);
		s.proto = IPPROTO_UDP;
		HIT(&s);
		assert_int_equal(ct_valid(), 0);
	}
}

/* ---- groups ---- */

static void add_addr(int bank, uint16_t group, int fam, const char *a)
{
	uint32_t addr[4] = { 0 };

	assert_int_equal(inet_pton(fam == 6 ? AF_INET6 : AF_INET, a, addr), 1);
	assert_int_equal(fw_group_add(&fw, bank, group, (uint8_t)fam, addr), 0);
}

static void groups(void **state)
{
	struct xvs_acl_rule src[] = {
		{ .match = XVS_ACL_M_SGROUP, .sgroup = 5, .action = XVS_ACL_ALLOW },
		R_DEFAULT_DROP,
	};
	struct xvs_acl_rule dst[] = {
		{ .match = XVS_ACL_M_DGROUP, .dgroup = 6, .action = XVS_ACL_ALLOW },
		R_DEFAULT_DROP,
	};
	const struct binding b[] = { BIND(VM, FROM, src), BIND(VM2, FROM, dst) };
	struct pkt_spec s4 = udp4(1, 2), s6 = flow(6, IPPROTO_UDP, 1, 2), x;
	int bank;

	(void)state;
	init();
	bank = bank_build(b, 2);
	add_addr(bank, 5, 4, A4);
	add_addr(bank, 5, 6, A6);
	add_addr(bank, 6, 4, B4);
	add_addr(bank, 6, 6, B6);
	add_addr(bank, 6, 4, B4); /* twice: one member */
	assert_int_equal(fw.groups[bank]->n, 4);
	assert_int_equal(commit(), 0);

	/* source groups, both families */
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s4);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s6);
	x = s4;
	x.src = "10.0.0.2";
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &x);
	x = s6;
	x.src = "2001:db8::2";
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &x);
	x = rev(&s4, 0); /* a member as destination */
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &x);
	x = s4;
	x.src = B4; /* a member of another group */
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &x);
	x = s6;
	x.src = "a00:1::"; /* A4's bytes, but IPv6 */
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &x);

	/* destination groups */
	EXPECT_RULE(RULE_ALLOW, 2, VM2, FROM, &s4);
	EXPECT_RULE(RULE_ALLOW, 2, VM2, FROM, &s6);
	x = s4;
	x.dst = "192.0.2.8";
	EXPECT_RULE(DEFAULT_DROP, 3, VM2, FROM, &x);
	x = s6;
	x.dst = "2001:db8:1::8";
	EXPECT_RULE(DEFAULT_DROP, 3, VM2, FROM, &x);
	x = rev(&s6, 0);
	EXPECT_RULE(DEFAULT_DROP, 3, VM2, FROM, &x);

	/* a member of the other bank's group is none of this one's */
	x = s4;
	x.src = "10.0.0.3";
	add_addr(fw_bank(&fw) ^ 1, 5, 4, "10.0.0.3");
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &x);
	/* one learned at run time into the bank in force is */
	add_addr(fw_bank(&fw), 5, 4, "10.0.0.3");
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &x);

	/* a new bank starts with empty groups */
	bank = bank_build(b, 2);
	assert_int_equal(fw.groups[bank]->n, 0);
	assert_int_equal(commit(), 0);
	EXPECT_RULE(DEFAULT_DROP, 1, VM, FROM, &s4);
	EXPECT_RULE(DEFAULT_DROP, 3, VM2, FROM, &s6);
}

/* ================================================================================ */
/* conntrack                                                                        */
/* ================================================================================ */

/* VM: from-vm by `from` (a stateful allow of everything unless given),
 * to-vm default drop; VM2 likewise. */
static void load_stateful(uint8_t flags)
{
	struct xvs_acl_rule from[] = { ALLOW_ALL(flags), R_DEFAULT_DROP };
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };

	LOAD(BIND(VM, FROM, from), BIND(VM, TO, to), BIND(VM2, FROM, from), BIND(VM2, TO, to));
}

static void stateful_allow_tracks_one(void **state)
{
	const char *peers[] = { B4, C4, B6, C6 };
	struct pkt_spec s, back;
	struct xvs_ct_entry *e;
	size_t i;
	int n = 0;

	(void)state;
	init();
	load_stateful(STATEFUL);
	for (i = 0; i < XVS_ARRAY_SIZE(peers); i++) {
		bool six = strchr(peers[i], ':') != NULL;
		uint8_t proto = i & 1 ? IPPROTO_TCP : IPPROTO_UDP;

		s = flow(six ? 6 : 4, proto, 1000, 53);
		s.dst = peers[i];
		back = rev(&s, XVS_TCP_SYN | XVS_TCP_ACK);
		EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s);
		assert_int_equal(ct_valid(), ++n);
		e = entry_of(VM, &s);
		assert_non_null(e);
		assert_int_equal(e->key.zone, VM);
		assert_int_equal(e->dir, FROM);
		assert_int_equal(e->rule, 0);
		/* the lower end opened it when the peer is above the VM */
		assert_int_equal(!!(e->state & XVS_CT_S_ORIG_LO), i == 0 || i == 2);
		/* the reply, and the next packet of the opener */
		EXPECT_RULE(ESTABLISHED, 0, VM, TO, &back);
		EXPECT_RULE(ESTABLISHED, 0, VM, FROM, &s);
		assert_int_equal(ct_valid(), n);
		/* not in another zone */
		EXPECT_RULE(DEFAULT_DROP, 5, VM2, TO, &back);
		assert_int_equal(ct_valid(), n);
	}
	/* the same flow from VM2 is another connection, in its zone */
	EXPECT_RULE(RULE_ALLOW, 3, VM2, FROM, &s);
	assert_int_equal(ct_valid(), n + 1);
	assert_int_equal(entry_of(VM2, &s)->key.zone, VM2);
}

static void stateless_allow_tracks_none(void **state)
{
	struct pkt_spec u = udp4(1000, 53), back = rev(&u, 0);
	struct pkt_spec t = tcp4(1000, 80, XVS_TCP_SYN), e = echo(4, 9);
	struct pkt_spec tb = rev(&t, XVS_TCP_SYN | XVS_TCP_ACK), eb = rev(&e, 0);

	(void)state;
	init();
	load_stateful(0);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &u);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &t);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &e);
	assert_int_equal(ct_valid(), 0);
	EXPECT(DEFAULT_DROP, VM, TO, &back);
	EXPECT(DEFAULT_DROP, VM, TO, &tb);
	EXPECT(DEFAULT_DROP, VM, TO, &eb);
	/* and a stateless rule lets through what a stateful one would not open with */
	t.tcp = XVS_TCP_SYN | XVS_TCP_FIN;
	EXPECT(RULE_ALLOW, VM, FROM, &t);
}

static void udp_replied(void **state)
{
	struct pkt_spec u = udp4(1000, 53), back = rev(&u, 0);
	struct pkt_spec w = udp4(1001, 53), wback = rev(&w, 0);
	const struct xvs_fw_cfg *cfg;
	uint64_t t0 = now;
	uint32_t st;

	(void)state;
	init();
	cfg = fw.m.cfg;
	load_stateful(STATEFUL);
	EXPECT(RULE_ALLOW, VM, FROM, &u);
	EXPECT(RULE_ALLOW, VM, FROM, &w);
	st = ct_state(VM, &u);
	assert_false(st & XVS_CT_S_REPLIED);
	assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_NONE);
	assert_int_equal(xvs_ct_timeout(cfg, IPPROTO_UDP, st), cfg->timeout[XVS_CT_TO_UDP]);
	EXPECT(ESTABLISHED, VM, FROM, &u); /* its own direction again: still one way */
	assert_false(ct_state(VM, &u) & XVS_CT_S_REPLIED);
	EXPECT(ESTABLISHED, VM, TO, &back);
	st = ct_state(VM, &u);
	assert_true(st & XVS_CT_S_REPLIED);
	assert_int_equal(xvs_ct_timeout(cfg, IPPROTO_UDP, st), cfg->timeout[XVS_CT_TO_UDP_STREAM]);
	assert_true(cfg->timeout[XVS_CT_TO_UDP_STREAM] > cfg->timeout[XVS_CT_TO_UDP]);

	/* past the one-way timeout: the replied flow lives on, the other is gone */
	now = t0 + cfg->timeout[XVS_CT_TO_UDP] * NS + TOUCH + 1;
	EXPECT(DEFAULT_DROP, VM, TO, &wback);
	EXPECT(ESTABLISHED, VM, TO, &back);
	now += cfg->timeout[XVS_CT_TO_UDP_STREAM] * NS + TOUCH + 1;
	EXPECT(DEFAULT_DROP, VM, TO, &back);
}

static void icmp_echo_by_id(void **state)
{
	struct pkt_spec e, back, other;
	int fam;

	(void)state;
	init();
	load_stateful(STATEFUL);
	for (fam = 4; fam <= 6; fam += 2) {
		e = echo(fam, 7);
		back = rev(&e, 0);
		other = back;
		other.id = 8;
		EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &e);
		assert_non_null(entry_of(VM, &e));
		assert_int_equal(entry_of(VM, &e)->key.port_lo, 7);
		assert_int_equal(entry_of(VM, &e)->key.port_hi, 7);
		EXPECT_RULE(ESTABLISHED, 0, VM, TO, &back);
		EXPECT(DEFAULT_DROP, VM, TO, &other);
		EXPECT(DEFAULT_DROP, VM2, TO, &back);
		/* another identifier is another connection */
		e.id = 8;
		EXPECT(RULE_ALLOW, VM, FROM, &e);
		EXPECT(ESTABLISHED, VM, TO, &other);
	}
	assert_int_equal(ct_valid(), 4);
	/* ICMP that is not echo is no connection */
	e = flow(4, IPPROTO_ICMP, 0, 0);
	e.type = 13; /* timestamp */
	EXPECT(RULE_ALLOW, VM, FROM, &e);
	e = flow(6, IPPROTO_ICMPV6, 0, 0);
	e.type = 139;
	EXPECT(RULE_ALLOW, VM, FROM, &e);
	assert_int_equal(ct_valid(), 4);
	/* an echo with identifier 0 has the key any other ICMP would (ports
	 * 0): an ICMP that is no echo is not of that connection, either way */
	for (fam = 4; fam <= 6; fam += 2) {
		e = echo(fam, 0);
		back = rev(&e, 0);
		EXPECT(RULE_ALLOW, VM, FROM, &e);
		EXPECT(ESTABLISHED, VM, TO, &back);
		other = back;
		other.type = fam == 4 ? 14 : 139; /* timestamp reply, node information */
		EXPECT(DEFAULT_DROP, VM, TO, &other);
		EXPECT(ESTABLISHED, VM, TO, &back);
	}
}

/* An ICMP error from a router to the VM about packet *inner. */
static struct pkt_spec icmp_error(const struct pkt_spec *inner, uint8_t type, uint8_t code)
{
	struct pkt_spec s = flow(inner->fam, inner->fam == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, 0, 0);

	s.src = inner->fam == 6 ? R6 : R4;
	s.dst = inner->src;
	s.type = type;
	s.code = code;
	s.inner = inner;
	return s;
}

static void icmp_error_related(void **state)
{
	struct pkt_spec u = udp4(1000, 53), t = tcp4(1001, 80, XVS_TCP_SYN), e = echo(4, 7);
	struct pkt_spec u6 = flow(6, IPPROTO_UDP, 1000, 53), t6 = flow(6, IPPROTO_TCP, 2000, 443);
	struct pkt_spec untracked = udp4(1000, 54), e_other = echo(4, 8), x, back;
	struct xvs_fw_verdict v;
	int n;

	(void)state;
	init();
	load_stateful(STATEFUL);
	EXPECT(RULE_ALLOW, VM, FROM, &u);
	EXPECT(RULE_ALLOW, VM, FROM, &t);
	EXPECT(RULE_ALLOW, VM, FROM, &e);
	EXPECT(RULE_ALLOW, VM, FROM, &u6);
	EXPECT(RULE_ALLOW, VM, FROM, &t6);
	n = ct_valid();

	x = icmp_error(&u, 3, 3); /* port unreachable */
	v = EXPECT(RELATED, VM, TO, &x);
	assert_int_equal(v.rule, ~0u);
	x = icmp_error(&t, 3, 1);
	EXPECT(RELATED, VM, TO, &x);
	x = icmp_error(&t, 11, 0); /* time exceeded */
	EXPECT(RELATED, VM, TO, &x);
	x = icmp_error(&t, 12, 0); /* parameter problem */
	EXPECT(RELATED, VM, TO, &x);
	x = icmp_error(&e, 3, 1); /* about an echo: by its identifier */
	EXPECT(RELATED, VM, TO, &x);
	x = icmp_error(&u6, 1, 4); /* ICMPv6 unreachable */
	EXPECT(RELATED, VM, TO, &x);
	x = icmp_error(&t6, 2, 0); /* packet too big */
	EXPECT(RELATED, VM, TO, &x);
	x = icmp_error(&t6, 3, 0);
	EXPECT(RELATED, VM, TO, &x);
	/* an error about the reply direction (the VM's answer to its peer) */
	back = rev(&u, 0);
	x = icmp_error(&back, 3, 3);
	x.src = A4;
	EXPECT(RELATED, VM, FROM, &x);
	assert_int_equal(ct_valid(), n);

	/* about nothing tracked: the rules decide */
	x = icmp_error(&untracked, 3, 3);
	EXPECT(DEFAULT_DROP, VM, TO, &x);
	x = icmp_error(&e_other, 3, 1);
	EXPECT(DEFAULT_DROP, VM, TO, &x);
	/* in another zone */
	x = icmp_error(&u, 3, 3);
	EXPECT(DEFAULT_DROP, VM2, TO, &x);
	/* a quote too short to hold the ports */
	x = icmp_error(&u, 3, 3);
	x.inner_len = 4;
	EXPECT(DEFAULT_DROP, VM, TO, &x);
	/* not an error type: an echo request quoting a flow */
	x = icmp_error(&u, XVS_ICMP_ECHO, 0);
	x.id = 99;
	EXPECT(DEFAULT_DROP, VM, TO, &x);
	/* an error about an error is about nothing */
	{
		struct pkt_spec inner_err = icmp_error(&u, 3, 3);

		inner_err.src = A4;
		inner_err.dst = R4;
		inner_err.inner = NULL;
		x = icmp_error(&inner_err, 3, 3);
		EXPECT(DEFAULT_DROP, VM, TO, &x);
	}
	assert_int_equal(ct_valid(), n);
}

/* TCP: one segment of the flow `s` (A → B), from A or from B. */
static struct xvs_fw_verdict seg(int line, int reason, const struct pkt_spec *s, bool from_a,
				 uint8_t flags)
{
	struct pkt_spec x = from_a ? *s : rev(s, 0);

	x.tcp = flags;
	return expect(line, reason, VM, from_a ? FROM : TO, &x);
}

#define SEG(reason, s, from_a, flags) seg(__LINE__, XVS_FW_##reason, (s), (from_a), (flags))
#define SYN XVS_TCP_SYN
#define ACK XVS_TCP_ACK
#define FIN XVS_TCP_FIN
#define RST XVS_TCP_RST

static void tcp_states(void **state)
{
	const char *peers[] = { B4, C4 };
	struct pkt_spec s;
	uint32_t st, fin_a, fin_b;
	size_t i;

	(void)state;
	init();
	load_stateful(STATEFUL);
	for (i = 0; i < XVS_ARRAY_SIZE(peers); i++) {
		bool a_lo = i == 0;

		s = tcp4(1000, 80, SYN);
		s.dst = peers[i];
		fin_a = a_lo ? XVS_CT_S_FIN_LO : XVS_CT_S_FIN_HI;
		fin_b = a_lo ? XVS_CT_S_FIN_HI : XVS_CT_S_FIN_LO;

		SEG(RULE_ALLOW, &s, true, SYN);
		st = ct_state(VM, &s);
		assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_SYN_SENT);
		assert_int_equal(!!(st & XVS_CT_S_ORIG_LO), a_lo);
		assert_false(st & XVS_CT_S_REPLIED);
		SEG(ESTABLISHED, &s, true, SYN); /* a retransmission */
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_SYN_SENT);
		SEG(ESTABLISHED, &s, true, SYN | ACK); /* the opener's own: no answer */
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_SYN_SENT);
		SEG(ESTABLISHED, &s, false, SYN | ACK);
		st = ct_state(VM, &s);
		assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_SYN_RECV);
		assert_true(st & XVS_CT_S_REPLIED);
		SEG(ESTABLISHED, &s, true, ACK);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_EST);
		SEG(ESTABLISHED, &s, false, ACK | TCP_PSH);
		SEG(ESTABLISHED, &s, true, ACK | TCP_PSH);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_EST);

		SEG(ESTABLISHED, &s, true, FIN | ACK);
		st = ct_state(VM, &s);
		assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_FIN_WAIT);
		assert_int_equal(st & (XVS_CT_S_FIN_LO | XVS_CT_S_FIN_HI), fin_a);
		SEG(ESTABLISHED, &s, false, ACK);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_FIN_WAIT);
		SEG(ESTABLISHED, &s, false, FIN | ACK);
		st = ct_state(VM, &s);
		assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_TIME_WAIT);
		assert_int_equal(st & (XVS_CT_S_FIN_LO | XVS_CT_S_FIN_HI), fin_a | fin_b);
		SEG(ESTABLISHED, &s, true, ACK);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_TIME_WAIT);

		/* the ports used again: judged as new, one entry */
		SEG(RULE_ALLOW, &s, true, SYN);
		st = ct_state(VM, &s);
		assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_SYN_SENT);
		assert_false(st & (XVS_CT_S_FIN_LO | XVS_CT_S_FIN_HI | XVS_CT_S_REPLIED));
		SEG(ESTABLISHED, &s, false, SYN | ACK);
		SEG(ESTABLISHED, &s, true, ACK);
		SEG(ESTABLISHED, &s, false, RST | ACK);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_CLOSE);
		SEG(ESTABLISHED, &s, true, ACK); /* stragglers still pass */
		SEG(ESTABLISHED, &s, true, FIN | ACK);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_CLOSE);
		SEG(RULE_ALLOW, &s, true, SYN);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_SYN_SENT);

		/* a RST in the handshake closes it too */
		SEG(ESTABLISHED, &s, false, RST | ACK);
		assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_CLOSE);
		/* a SYN from the peer on the closed entry: judged as new, by
		 * to-vm rules that drop it; the old entry is gone */
		SEG(DEFAULT_DROP, &s, false, SYN);
		assert_null(entry_of(VM, &s));
		SEG(DEFAULT_DROP, &s, false, ACK);
	}
	assert_int_equal(ct_valid(), 0);
}

static void tcp_invalid_open(void **state)
{
	static const uint8_t bad[] = { SYN | FIN, SYN | RST, 0, FIN, SYN | FIN | ACK,
				       SYN | RST | ACK, FIN | TCP_PSH };
	struct xvs_fw_verdict v;
	struct pkt_spec s;
	size_t i;

	(void)state;
	init();
	load_stateful(STATEFUL);
	for (i = 0; i < XVS_ARRAY_SIZE(bad); i++) {
		s = tcp4((uint16_t)(1000 + i), 80, bad[i]);
		v = EXPECT(CT_INVALID, VM, FROM, &s);
		assert_int_equal(v.action, XVS_ACL_DROP);
		assert_int_equal(v.rule, 0);
	}
	assert_int_equal(ct_valid(), 0);
	assert_int_equal(reason_count(VM, FROM, XVS_FW_CT_INVALID).packets, XVS_ARRAY_SIZE(bad));
}

static void tcp_ack_picks_up(void **state)
{
	struct pkt_spec s = tcp4(1000, 80, ACK), back = rev(&s, ACK);
	struct pkt_spec sa = tcp4(1001, 80, SYN | ACK);
	uint32_t st;

	(void)state;
	init();
	load_stateful(STATEFUL);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s);
	st = ct_state(VM, &s);
	assert_int_equal(XVS_CT_TCP(st), XVS_CT_TCP_EST);
	assert_true(st & XVS_CT_S_ORIG_LO);
	EXPECT(ESTABLISHED, VM, TO, &back);
	EXPECT(ESTABLISHED, VM, FROM, &s);
	/* data with PSH too; and a SYN-ACK (the half of a handshake seen) */
	s.sport = 1002;
	s.tcp = ACK | TCP_PSH;
	EXPECT(RULE_ALLOW, VM, FROM, &s);
	assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_EST);
	EXPECT(RULE_ALLOW, VM, FROM, &sa);
	assert_int_equal(XVS_CT_TCP(ct_state(VM, &sa)), XVS_CT_TCP_EST);
	assert_int_equal(ct_valid(), 3);
}

static void tcp_rst_passes_untracked(void **state)
{
	struct pkt_spec s = tcp4(1000, 80, RST), back;

	(void)state;
	init();
	load_stateful(STATEFUL);
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s);
	s.tcp = RST | ACK;
	EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &s);
	assert_int_equal(ct_valid(), 0);
	back = rev(&s, RST | ACK);
	EXPECT(DEFAULT_DROP, VM, TO, &back);
}

/* ================================================================================ */
/* expiry                                                                           */
/* ================================================================================ */

/* Ways to leave a connection, and the timeout class each is in. */
enum scenario {
	SC_SYN,
	SC_SYN_RECV,
	SC_EST,
	SC_FIN,
	SC_TIME_WAIT,
	SC_CLOSE,
	SC_UDP,
	SC_UDP_REPLIED,
	SC_ICMP,
	SC_ICMP6,
	SC_MAX,
};

static const int scenario_class[SC_MAX] = {
	[SC_SYN] = XVS_CT_TO_TCP_SYN,	    [SC_SYN_RECV] = XVS_CT_TO_TCP_SYN,
	[SC_EST] = XVS_CT_TO_TCP_EST,	    [SC_FIN] = XVS_CT_TO_TCP_FIN,
	[SC_TIME_WAIT] = XVS_CT_TO_TCP_CLOSE, [SC_CLOSE] = XVS_CT_TO_TCP_CLOSE,
	[SC_UDP] = XVS_CT_TO_UDP,	    [SC_UDP_REPLIED] = XVS_CT_TO_UDP_STREAM,
	[SC_ICMP] = XVS_CT_TO_ICMP,	    [SC_ICMP6] = XVS_CT_TO_ICMP,
};

static struct pkt_spec scenario_flow(enum scenario sc, uint16_t n)
{
	switch (sc) {
	case SC_UDP:
	case SC_UDP_REPLIED:
		return udp4((uint16_t)(2000 + n), 53);
	case SC_ICMP:
		return echo(4, (uint16_t)(2000 + n));
	case SC_ICMP6:
		return echo(6, (uint16_t)(2000 + n));
	default:
		return tcp4((uint16_t)(2000 + n), 80, SYN);
	}
}

/* Bring flow n of a scenario into its state, at `now`. */
static void scenario_open(enum scenario sc, uint16_t n)
{
	struct pkt_spec s = scenario_flow(sc, n), back = rev(&s, 0);

	if (s.proto != IPPROTO_TCP) {
		EXPECT(RULE_ALLOW, VM, FROM, &s);
		if (sc == SC_UDP_REPLIED)
			EXPECT(ESTABLISHED, VM, TO, &back);
		return;
	}
	SEG(RULE_ALLOW, &s, true, SYN);
	if (sc == SC_SYN)
		return;
	SEG(ESTABLISHED, &s, false, SYN | ACK);
	if (sc == SC_SYN_RECV)
		return;
	SEG(ESTABLISHED, &s, true, ACK);
	if (sc == SC_CLOSE)
		SEG(ESTABLISHED, &s, false, RST);
	if (sc == SC_FIN || sc == SC_TIME_WAIT)
		SEG(ESTABLISHED, &s, true, FIN | ACK);
	if (sc == SC_TIME_WAIT)
		SEG(ESTABLISHED, &s, false, FIN | ACK);
}

/* A packet of flow n that changes nothing but its time: the opener's (in
 * the handshake, a retransmitted SYN). */
static void scenario_refresh(enum scenario sc, uint16_t n)
{
	struct pkt_spec s = scenario_flow(sc, n);

	s.tcp = sc == SC_SYN || sc == SC_SYN_RECV ? SYN : ACK;
	EXPECT(ESTABLISHED, VM, FROM, &s);
}

/* The peer's packet of flow n: is the entry still there? */
static int scenario_probe(enum scenario sc, uint16_t n)
{
	struct pkt_spec s = scenario_flow(sc, n), back = rev(&s, ACK);

	return verdict(__LINE__, VM, TO, &back).reason;
}

static void expiry_per_class(void **state)
{
	uint32_t to[XVS_CT_TO_MAX];
	uint64_t t0 = now, t1 = now + 5 * NS, t;
	int sc, c;

	(void)state;
	init();
	for (c = 0; c < XVS_CT_TO_MAX; c++)
		to[c] = 20 + 7 * (uint32_t)c; /* 20 s ... 62 s, each its own */
	fw_set_timeouts(&fw, to);
	load_stateful(STATEFUL);
	for (sc = 0; sc < SC_MAX; sc++) {
		now = t0;
		for (c = 0; c < 4; c++)
			scenario_open(sc, (uint16_t)(4 * sc + c));
		/* a later packet restarts the clock */
		now = t1;
		scenario_refresh(sc, (uint16_t)(4 * sc + 2));
		scenario_refresh(sc, (uint16_t)(4 * sc + 3));
	}
	for (sc = 0; sc < SC_MAX; sc++) {
		t = (uint64_t)to[scenario_class[sc]] * NS;
		now = t0 + t; /* its timeout after its last packet: still there */
		if (scenario_probe(sc, (uint16_t)(4 * sc)) != XVS_FW_ESTABLISHED)
			fail_msg("scenario %d: gone at its timeout", sc);
		now = t0 + t + TOUCH + 1; /* and past the coarse clock's slack: gone */
		if (scenario_probe(sc, (uint16_t)(4 * sc + 1)) != XVS_FW_DEFAULT_DROP)
			fail_msg("scenario %d: still there past its timeout", sc);
		now = t1 + t;
		if (scenario_probe(sc, (uint16_t)(4 * sc + 2)) != XVS_FW_ESTABLISHED)
			fail_msg("scenario %d: refreshed, gone at its timeout", sc);
		now = t1 + t + TOUCH + 1;
		if (scenario_probe(sc, (uint16_t)(4 * sc + 3)) != XVS_FW_DEFAULT_DROP)
			fail_msg("scenario %d: refreshed, still there past its timeout", sc);
	}
}

static void sweep(void **state)
{
	uint32_t to[XVS_CT_TO_MAX] = {
		[XVS_CT_TO_TCP_SYN] = 60, [XVS_CT_TO_TCP_EST] = 1000, [XVS_CT_TO_TCP_FIN] = 60,
		[XVS_CT_TO_TCP_CLOSE] = 10, [XVS_CT_TO_UDP] = 10,    [XVS_CT_TO_UDP_STREAM] = 100,
		[XVS_CT_TO_ICMP] = 20,
	};
	struct fw_ct_usage u;
	struct pkt_spec est = scenario_flow(SC_EST, 9);
	uint64_t t0 = now;
	int i, slot;

	(void)state;
	init();
	fw_set_timeouts(&fw, to);
	load_stateful(STATEFUL);
	for (i = 0; i < 3; i++)
		scenario_open(SC_UDP, (uint16_t)i);
	for (i = 3; i < 5; i++)
		scenario_open(SC_UDP_REPLIED, (uint16_t)i);
	scenario_open(SC_ICMP, 5);
	scenario_open(SC_EST, 9);
	assert_int_equal(ct_valid(), 7);

	memset(&u, 0, sizeof(u));
	fw_ct_sweep(&fw, 0, fw.m.ct_size, t0 + 10 * NS, &u);
	assert_int_equal(u.size, fw.m.ct_size);
	assert_int_equal(u.expired, 0);
	assert_int_equal(u.live, 7);

	memset(&u, 0, sizeof(u));
	fw_ct_sweep(&fw, 0, fw.m.ct_size, t0 + 10 * NS + TOUCH + 1, &u);
	assert_int_equal(u.expired, 3);
	assert_int_equal(u.live, 4);
	assert_int_equal(ct_valid(), 4);
	memset(&u, 0, sizeof(u));
	fw_ct_sweep(&fw, 0, fw.m.ct_size, t0 + 10 * NS + TOUCH + 1, &u);
	assert_int_equal(u.expired, 0);
	assert_int_equal(u.live, 4);

	memset(&u, 0, sizeof(u));
	fw_ct_sweep(&fw, 0, UINT32_MAX, t0 + 20 * NS + TOUCH + 1, &u); /* clamped */
	assert_int_equal(u.expired, 1);
	assert_int_equal(u.live, 3);

	/* a range that wraps, around one slot it leaves out */
	slot = slot_of(VM, &est);
	assert_true(slot >= 0);
	memset(&u, 0, sizeof(u));
	fw_ct_sweep(&fw, (uint32_t)slot + 1, fw.m.ct_size - 1, t0 + 2000 * NS, &u);
	assert_int_equal(u.expired, 2);
	assert_int_equal(u.live, 0);
	assert_int_equal(ct_valid(), 1);
	memset(&u, 0, sizeof(u));
	fw_ct_sweep(&fw, (uint32_t)slot, 1, t0 + 2000 * NS, &u);
	assert_int_equal(u.expired, 1);
	assert_int_equal(ct_valid(), 0);
}

static void set_timeouts_takes_effect(void **state)
{
	uint32_t to[XVS_CT_TO_MAX];
	struct pkt_spec a = udp4(1000, 53), b = udp4(1001, 53), e = echo(4, 1);
	struct pkt_spec ab = rev(&a, 0), bb = rev(&b, 0), eb = rev(&e, 0);
	uint64_t t0 = now;

	(void)state;
	init();
	memcpy(to, fw.m.cfg->timeout, sizeof(to));
	assert_int_equal(to[XVS_CT_TO_UDP], 30);
	load_stateful(STATEFUL);
	EXPECT(RULE_ALLOW, VM, FROM, &a);
	EXPECT(RULE_ALLOW, VM, FROM, &b);
	EXPECT(RULE_ALLOW, VM, FROM, &e);
	/* shorter: entries already there go sooner */
	to[XVS_CT_TO_UDP] = 5;
	to[XVS_CT_TO_ICMP] = 0;
	fw_set_timeouts(&fw, to);
	now = t0 + 5 * NS + TOUCH + 1;
	EXPECT(DEFAULT_DROP, VM, TO, &ab);
	EXPECT(DEFAULT_DROP, VM, TO, &eb);
	/* longer: they stay longer */
	to[XVS_CT_TO_UDP] = 100;
	fw_set_timeouts(&fw, to);
	now = t0 + 99 * NS;
	EXPECT(ESTABLISHED, VM, TO, &bb);
}

/* ================================================================================ */
/* a full table                                                                     */
/* ================================================================================ */

static uint32_t slot_hash(const struct pkt_spec *s)
{
	struct xvs_ct_key k = key_of(VM, s);

	return xvs_ct_hash(&k, fw.m.cfg->seed) & fw.m.cfg->ct_mask;
}

static bool in_window(int slot, uint32_t first)
{
	return slot >= 0 && (((uint32_t)slot - first) & fw.m.cfg->ct_mask) < XVS_CT_PROBE;
}

/*
 * Flows a guest aimed at one probe window (keys whose hash, with this
 * table's seed, is one slot): the window's XVS_CT_PROBE entries are
 * accepted, the next are refused as CT_FULL and counted; the ones in stay
 * (never evicted); once some expire, their slots take new ones.
 */
static void full_window(void **state)
{
	enum { NF = 14 };
	struct pkt_spec f[NF], back;
	struct xvs_fw_verdict v;
	uint32_t target, sport;
	int n = 0, i;

	(void)state;
	init_n(1, 1024);
	load_stateful(STATEFUL);
	f[0] = udp4(1, 53);
	target = slot_hash(&f[0]);
	n = 1;
	for (sport = 2; sport < 65536 && n < NF; sport++) {
		struct pkt_spec s = udp4((uint16_t)sport, 53);

		if (slot_hash(&s) == target)
			f[n++] = s;
	}
	assert_int_equal(n, NF);

	for (i = 0; i < XVS_CT_PROBE; i++) {
		EXPECT_RULE(RULE_ALLOW, 0, VM, FROM, &f[i]);
		assert_true(in_window(slot_of(VM, &f[i]), target));
	}
	for (i = XVS_CT_PROBE; i < XVS_CT_PROBE + 2; i++) {
		v = EXPECT(CT_FULL, VM, FROM, &f[i]);
		assert_int_equal(v.action, XVS_ACL_DROP);
		assert_int_equal(v.rule, 0);
		assert_int_equal(slot_of(VM, &f[i]), -1);
	}
	assert_int_equal(reason_count(VM, FROM, XVS_FW_CT_FULL).packets, 2);
	assert_int_equal(ct_valid(), XVS_CT_PROBE);
	/* the ones in pass (replies: half of them, the rest stay one-way) */
	for (i = 0; i < XVS_CT_PROBE; i++)
		EXPECT(ESTABLISHED, VM, FROM, &f[i]);
	for (i = 0; i < XVS_CT_PROBE / 2; i++) {
		back = rev(&f[i], 0);
		EXPECT(ESTABLISHED, VM, TO, &back);
	}
	/* a flow elsewhere is not affected */
	{
		struct pkt_spec other = udp4(1, 54);

		if (!in_window((int)slot_hash(&other), target) &&
		    !in_window((int)target, slot_hash(&other)))
			EXPECT(RULE_ALLOW, VM, FROM, &other);
	}

	/* half of them keep talking, the rest go quiet and expire */
	now += 20 * NS;
	for (i = 0; i < XVS_CT_PROBE / 2; i++) {
		back = rev(&f[i], 0);
		EXPECT(ESTABLISHED, VM, TO, &back);
	}
	now += (uint64_t)(fw.m.cfg->timeout[XVS_CT_TO_UDP] - 20) * NS + TOUCH + 1;
	for (i = XVS_CT_PROBE; i < XVS_CT_PROBE + XVS_CT_PROBE / 2; i++) {
		EXPECT(RULE_ALLOW, VM, FROM, &f[i]); /* an expired slot, reused */
		assert_true(in_window(slot_of(VM, &f[i]), target));
	}
	for (; i < NF; i++)
		EXPECT(CT_FULL, VM, FROM, &f[i]);
	for (i = 0; i < XVS_CT_PROBE / 2; i++)
		EXPECT(ESTABLISHED, VM, FROM, &f[i]);
	assert_int_equal(reason_count(VM, FROM, XVS_FW_CT_FULL).packets,
			 2 + NF - XVS_CT_PROBE - XVS_CT_PROBE / 2);
	/* the window holds exactly its slots' worth: the old expired ones were
	 * rewritten, not added to */
	n = 0;
	for (i = 0; i < XVS_CT_PROBE; i++)
		n += valid(&fw.m.ct[(target + (uint32_t)i) & fw.m.cfg->ct_mask]);
	assert_int_equal(n, XVS_CT_PROBE);
}

/* Many more flows than slots: refused ones are counted, admitted ones
 * pass, nothing breaks; after expiry the table takes new ones again. */
static void full_table(void **state)
{
	enum { NF = 8192 };
	struct xvs_fw_verdict v;
	struct pkt_spec s, back;
	char src[NF / 256][16];
	int allowed = 0, full = 0, i, round;
	static bool in[NF];

	(void)state;
	init_n(1, 1024);
	load_stateful(STATEFUL);
	for (i = 0; i < NF / 256; i++)
		snprintf(src[i], sizeof(src[i]), "10.1.%d.1", i);
	for (round = 0; round < 2; round++) {
		struct xvs_counter before = reason_count(VM, FROM, XVS_FW_CT_FULL);

		allowed = full = 0;
		for (i = 0; i < NF; i++) {
			s = udp4((uint16_t)(1000 + i % 256 + 256 * round), 53);
			s.src = src[i / 256];
			v = verdict(__LINE__, VM, FROM, &s);
			in[i] = v.reason == XVS_FW_RULE_ALLOW;
			allowed += v.reason == XVS_FW_RULE_ALLOW;
			full += v.reason == XVS_FW_CT_FULL;
		}
		print_message("# round %d: %d admitted, %d refused\n", round, allowed, full);
		assert_int_equal(allowed + full, NF);
		assert_true(allowed <= 1024);
		assert_true(allowed >= 512);
		assert_int_equal(ct_live(), allowed);
		assert_int_equal(reason_count(VM, FROM, XVS_FW_CT_FULL).packets - before.packets,
				 (uint64_t)full);
		for (i = 0; i < NF; i++) {
			s = udp4((uint16_t)(1000 + i % 256 + 256 * round), 53);
			s.src = src[i / 256];
			back = rev(&s, 0);
			v = verdict(__LINE__, VM, TO, &back);
			if (v.reason != (in[i] ? XVS_FW_ESTABLISHED : XVS_FW_DEFAULT_DROP))
				fail_msg("round %d flow %d: %s", round, i, reason_name(v.reason));
		}
		now += (uint64_t)fw.m.cfg->timeout[XVS_CT_TO_UDP_STREAM] * NS + TOUCH + 1;
	}
}

/* ================================================================================ */
/* reloads                                                                          */
/* ================================================================================ */

static void bank_counters_restart_when_written(void **state)
{
	struct xvs_acl_rule r[] = { { .action = XVS_ACL_COUNT }, ALLOW_ALL(0) };
	struct pkt_spec s = udp4(1, 2);
	struct xvs_fw_verdict v;
	int b0, w, i;

	(void)state;
	init_n(2, 4096);
	LOAD(BIND(VM, FROM, r));
	b0 = fw_bank(&fw);
	for (i = 0; i < 3; i++)
		assert_true(judge_raw(i & 1, VM, FROM, &s, now, &v) > 0);
	assert_int_equal(rule_packets(0), 3);
	assert_int_equal(rule_packets(1), 3);

	LOAD(BIND(VM, FROM, r));
	assert_int_not_equal(fw_bank(&fw), b0);
	/* the retired bank's counts stay readable, final (for carrying them
	 * on), until that bank is written again */
	{
		struct xvs_counter c;

		for (i = 0; i < 2; i++) {
			fw_sum_rule_bank(&fw, b0, (uint32_t)i, &c);
			assert_int_equal(c.packets, 3);
		}
	}
	assert_int_equal(rule_packets(0), 0);
	assert_true(judge_raw(1, VM, FROM, &s, now, &v) > 0);
	assert_int_equal(rule_packets(0), 1);

	/* back to the first bank: it starts from zero, not from 3 */
	LOAD(BIND(VM, FROM, r));
	assert_int_equal(fw_bank(&fw), b0);
	assert_int_equal(rule_packets(0), 0);
	assert_int_equal(rule_packets(1), 0);
	for (w = 0; w < 2; w++)
		for (i = 0; i < 2; i++) {
			assert_int_equal(fw.ws[w].rule[XVS_ACL_RULE_IDX(b0, i)].packets, 0);
			assert_int_equal(fw.ws[w].rule[XVS_ACL_RULE_IDX(b0, i)].bytes, 0);
		}
	EXPECT(RULE_ALLOW, VM, FROM, &s);
	assert_int_equal(rule_packets(1), 1);
	/* the reasons are per port, not per bank: kept */
	assert_int_equal(reason_count(VM, FROM, XVS_FW_RULE_ALLOW).packets, 5);
}

static void commit_keeps_allowed(void **state)
{
	struct xvs_acl_rule old[] = {
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT, .proto = IPPROTO_TCP, .dport_lo = 80,
		  .dport_hi = 80, .action = XVS_ACL_ALLOW, .flags = STATEFUL },
		ALLOW_PROTO(IPPROTO_ICMP, STATEFUL),
		R_DEFAULT_DROP,
	};
	struct xvs_acl_rule next[] = {
		ALLOW_PROTO(IPPROTO_UDP, 0),
		{ .action = XVS_ACL_COUNT },
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT | XVS_ACL_M_DGROUP,
		  .proto = IPPROTO_TCP, .dport_lo = 80, .dport_hi = 90, .dgroup = 3,
		  .action = XVS_ACL_ALLOW, .flags = STATEFUL },
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_TYPE, .proto = IPPROTO_ICMP,
		  .icmp_type = XVS_ICMP_ECHO, .action = XVS_ACL_ALLOW, .flags = STATEFUL },
		R_DEFAULT_DROP,
	};
	struct xvs_acl_rule to_old[] = { R_DEFAULT_DROP };
	struct xvs_acl_rule to_new[] = { R_DEFAULT_DROP };
	/* a connection the peer opened, allowed by to-vm rules */
	struct xvs_acl_rule in[] = { ALLOW_PROTO(IPPROTO_TCP, STATEFUL) };
	struct xvs_acl_rule in_new[] = { { .action = XVS_ACL_COUNT },
					 ALLOW_PROTO(IPPROTO_TCP, STATEFUL) };
	struct pkt_spec s = tcp4(1000, 80, SYN), e = echo(4, 3), eb = rev(&e, 0);
	struct pkt_spec peer = tcp4(22, 5555, SYN), psyn = rev(&peer, SYN), pack = rev(&peer, ACK);
	const struct binding nb[] = { BIND(VM, FROM, next), BIND(VM, TO, to_new),
				      BIND(VM2, TO, in_new) };
	int bank;

	(void)state;
	init();
	LOAD(BIND(VM, FROM, old), BIND(VM, TO, to_old), BIND(VM2, TO, in));
	SEG(RULE_ALLOW, &s, true, SYN);
	SEG(ESTABLISHED, &s, false, SYN | ACK);
	SEG(ESTABLISHED, &s, true, ACK);
	EXPECT_RULE(RULE_ALLOW, 1, VM, FROM, &e);
	EXPECT_RULE(RULE_ALLOW, 4, VM2, TO, &psyn);
	assert_int_equal(ct_valid(), 3);

	bank = bank_build(nb, XVS_ARRAY_SIZE(nb));
	add_addr(bank, 3, 4, B4);
	assert_int_equal(commit(), 0);
	assert_int_equal(ct_valid(), 3);
	assert_int_equal(entry_of(VM, &s)->rule, 2);
	assert_int_equal(XVS_CT_TCP(ct_state(VM, &s)), XVS_CT_TCP_EST);
	assert_int_equal(SEG(ESTABLISHED, &s, false, ACK).rule, 2);
	assert_int_equal(SEG(ESTABLISHED, &s, true, ACK).rule, 2);
	EXPECT_RULE(ESTABLISHED, 3, VM, TO, &eb);
	/* rules 0-4 from-vm, 5 to-vm, 6-7 VM2 to-vm */
	assert_int_equal(entry_of(VM2, &peer)->rule, 7);
	EXPECT_RULE(ESTABLISHED, 7, VM2, TO, &pack);
	/* re-judging counted nothing */
	assert_int_equal(rule_packets(1), 0);
	assert_int_equal(rule_packets(6), 0);
}

static void commit_removes_disallowed(void **state)
{
	struct xvs_acl_rule st[] = { ALLOW_PROTO(IPPROTO_TCP, STATEFUL), R_DEFAULT_DROP };
	struct xvs_acl_rule st4[] = { ALLOW_PROTO(IPPROTO_TCP, STATEFUL),
				      ALLOW_PROTO(IPPROTO_UDP, STATEFUL), R_DEFAULT_DROP };
	struct xvs_acl_rule gone[] = { R_DEFAULT_DROP };
	struct xvs_acl_rule stateless[] = { ALLOW_PROTO(IPPROTO_TCP, 0), R_DEFAULT_DROP };
	struct xvs_acl_rule other[] = { ALLOW_PROTO(IPPROTO_UDP, STATEFUL), R_DEFAULT_DROP };
	struct xvs_acl_rule dflt[] = { { .action = XVS_ACL_ALLOW, .flags = XVS_ACL_F_DEFAULT } };
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	struct pkt_spec s = tcp4(1000, 80, SYN), back = rev(&s, ACK), u = udp4(7, 7);
	uint16_t p;

	(void)state;
	init();
	/* ports 1-6, each with a connection */
	LOAD(BIND(1, FROM, st), BIND(1, TO, to), BIND(2, FROM, st), BIND(2, TO, to),
	     BIND(3, FROM, st), BIND(3, TO, to), BIND(4, FROM, st4), BIND(4, TO, to),
	     BIND(5, FROM, st), BIND(5, TO, to), BIND(6, FROM, st), BIND(6, TO, to));
	for (p = 1; p <= 6; p++)
		assert_int_equal(EXPECT(RULE_ALLOW, p, FROM, &s).action, XVS_ACL_ALLOW);
	assert_int_equal(EXPECT(ESTABLISHED, 4, TO, &back).action, XVS_ACL_ALLOW);
	/* and an expired one: removed, but not counted */
	EXPECT(RULE_ALLOW, 4, FROM, &u);
	assert_int_equal(ct_valid(), 7);
	now += (uint64_t)fw.m.cfg->timeout[XVS_CT_TO_UDP] * NS + TOUCH + 1;

	/* 1: its rule removed; 2: now stateless; 3: no binding; 4: kept;
	 * 5: only a stateless default; 6: allowed statefully, but not TCP */
	assert_int_equal(LOAD(BIND(1, FROM, gone), BIND(1, TO, to), BIND(2, FROM, stateless),
			      BIND(2, TO, to), BIND(3, TO, to), BIND(4, FROM, st4), BIND(4, TO, to),
			      BIND(5, FROM, dflt), BIND(5, TO, to), BIND(6, FROM, other),
			      BIND(6, TO, to)),
			 5);
	assert_int_equal(ct_valid(), 1);
	assert_non_null(entry_of(4, &s));
	EXPECT(ESTABLISHED, 4, TO, &back);
	for (p = 1; p <= 6; p++)
		if (p != 4)
			EXPECT(DEFAULT_DROP, p, TO, &back);
	/* what they allow now is allowed as such */
	EXPECT(DEFAULT_DROP, 1, FROM, &s);
	EXPECT(RULE_ALLOW, 2, FROM, &s);
	EXPECT(NONE, 3, FROM, &s);
	EXPECT(DEFAULT_ALLOW, 5, FROM, &s);
	EXPECT(DEFAULT_DROP, 6, FROM, &s);
	assert_int_equal(ct_valid(), 1);
	/* nothing left to remove */
	assert_int_equal(LOAD(BIND(4, FROM, st4), BIND(4, TO, to)), 0);
}

/*
 * Re-judging a connection under new rules must give the answer judging
 * its opening packet would: a packet without an L4 header the parser looks
 * into (GRE here) matches no rule on L4 fields there either.
 */
static void commit_rejudges_as_judged(void **state)
{
	struct xvs_acl_rule gre[] = { ALLOW_PROTO(47, STATEFUL), ALLOW_PROTO(IPPROTO_UDP, STATEFUL),
				      R_DEFAULT_DROP };
	struct xvs_acl_rule ports[] = {
		{ .match = XVS_ACL_M_DPORT, .dport_lo = 0, .dport_hi = 65535,
		  .action = XVS_ACL_ALLOW, .flags = STATEFUL },
		R_DEFAULT_DROP,
	};
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	struct pkt_spec s = flow(4, 47, 0, 0), back = rev(&s, 0), u = udp4(1, 2);

	(void)state;
	init();
	LOAD(BIND(VM, FROM, gre), BIND(VM, TO, to));
	EXPECT(RULE_ALLOW, VM, FROM, &s);
	EXPECT(RULE_ALLOW, VM, FROM, &u);
	EXPECT(ESTABLISHED, VM, TO, &back);
	assert_int_equal(ct_valid(), 2);
	/* the new rules would not allow it */
	assert_int_equal(LOAD(BIND(VM, FROM, ports), BIND(VM, TO, to)), 1);
	EXPECT(DEFAULT_DROP, VM, TO, &back);
	EXPECT(DEFAULT_DROP, VM, FROM, &s);
	/* they do allow the UDP flow: kept, through another reload too */
	EXPECT(ESTABLISHED, VM, FROM, &u);
	assert_int_equal(LOAD(BIND(VM, FROM, ports), BIND(VM, TO, to)), 0);
	assert_int_equal(ct_valid(), 1);
}

/* ---- a reload under traffic ---- */

#define RELOAD_POOL 64

static struct reload {
	pthread_t thread;
	bool running; /* main */
	uint64_t iter; /* worker: loops done (atomic) */
	uint64_t graces; /* main */
	int stop; /* main → worker (atomic) */
	int bad; /* worker: verdicts that were not allows */
	int bad_reason, bad_what;
} reload;

/* Stop the worker, if it runs. */
static void reload_stop(void)
{
	if (!reload.running)
		return;
	__atomic_store_n(&reload.stop, 1, __ATOMIC_RELEASE);
	pthread_join(reload.thread, NULL);
	reload.running = false;
}

/* The worker: an established TCP connection both ways, and a pool of UDP
 * flows (opened once, then established), for as long as it runs. */
static void *reload_worker(void *arg)
{
	struct reload *r = arg;
	struct pkt_spec s = tcp4(1000, 80, ACK), back = rev(&s, ACK), u, ub;
	struct xvs_fw_verdict v;
	uint64_t n = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int what;

		for (what = 0; what < 4; what++) {
			u = udp4((uint16_t)(2000 + n % RELOAD_POOL), 53);
			ub = rev(&u, 0);
			if (judge_raw(0, VM, what & 1 ? TO : FROM,
				      what < 2 ? (what ? &back : &s) : (what == 2 ? &u : &ub), now,
				      &v) < 0 ||
			    v.action != XVS_ACL_ALLOW ||
			    (what != 2 && v.reason != XVS_FW_ESTABLISHED)) {
				if (!r->bad++) {
					r->bad_reason = v.reason;
					r->bad_what = what;
				}
			}
		}
		n++;
		/* pairs with the acquire loads in reload_grace() */
		__atomic_store_n(&r->iter, n, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* The grace period: the worker went through a whole loop after the flip. */
static void reload_grace(void *arg)
{
	struct reload *r = arg;
	uint64_t start = __atomic_load_n(&r->iter, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&r->iter, __ATOMIC_ACQUIRE) < start + 2)
		sched_yield();
	r->graces++;
}

static void reload_under_traffic(void **state)
{
	enum { COMMITS = 12 };
	struct reload *r = &reload;
	struct xvs_acl_rule rules[8];
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	struct pkt_spec s = tcp4(1000, 80, SYN);
	uint32_t tcp_at = 0;
	int i, k, bank;

	(void)state;
	memset(r, 0, sizeof(*r));
	init_n(1, 4096);
	load_stateful(STATEFUL);
	SEG(RULE_ALLOW, &s, true, SYN);
	SEG(ESTABLISHED, &s, false, SYN | ACK);
	SEG(ESTABLISHED, &s, true, ACK);
	assert_int_equal(pthread_create(&r->thread, NULL, reload_worker, r), 0);
	r->running = true;
	for (i = 0; i < COMMITS; i++) {
		struct binding b[2] = { { VM, FROM, rules, 0 }, BIND(VM, TO, to) };

		/* the allows move around between banks; all still allow */
		memset(rules, 0, sizeof(rules));
		k = 0;
		for (; k < i % 4; k++)
			rules[k].action = XVS_ACL_COUNT;
		rules[k++] = (struct xvs_acl_rule){ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT,
						    .proto = IPPROTO_UDP, .dport_lo = 9,
						    .dport_hi = 9, .action = XVS_ACL_DROP };
		if (i & 1) {
			rules[k++] = (struct xvs_acl_rule)ALLOW_PROTO(IPPROTO_UDP, STATEFUL);
			tcp_at = (uint32_t)k;
			rules[k++] = (struct xvs_acl_rule){ .match = XVS_ACL_M_SGROUP, .sgroup = 1,
							    .action = XVS_ACL_ALLOW,
							    .flags = STATEFUL };
		} else {
			tcp_at = (uint32_t)k;
			rules[k++] = (struct xvs_acl_rule)ALLOW_PROTO(IPPROTO_TCP, STATEFUL);
			rules[k++] = (struct xvs_acl_rule)ALLOW_PROTO(IPPROTO_UDP, STATEFUL);
		}
		rules[k++] = (struct xvs_acl_rule)R_DEFAULT_DROP;
		b[0].n = (uint32_t)k;
		bank = bank_build(b, 2);
		add_addr(bank, 1, 4, A4);
		/* let the worker run under the bank in force for a while */
		{
			uint64_t at = __atomic_load_n(&r->iter, __ATOMIC_ACQUIRE);

			while (__atomic_load_n(&r->iter, __ATOMIC_ACQUIRE) < at + 50)
				sched_yield();
		}
		assert_int_equal(fw_commit(&fw, reload_grace, r, now), 0);
	}
	reload_stop();
	print_message("# %llu worker loops, %d commits\n",
		      (unsigned long long)__atomic_load_n(&r->iter, __ATOMIC_ACQUIRE), COMMITS);
	if (r->bad)
		fail_msg("%d packets not allowed (first: packet %d, %s)", r->bad, r->bad_what,
			 reason_name(r->bad_reason));
	assert_int_equal(r->graces, COMMITS);
	assert_int_equal(entry_of(VM, &s)->rule, tcp_at);
	assert_int_equal(ct_valid(), 1 + RELOAD_POOL);
}

/* ================================================================================ */
/* zones, threads, counters                                                         */
/* ================================================================================ */

static void flush_zone(void **state)
{
	struct xvs_acl_rule from[] = { ALLOW_ALL(STATEFUL) };
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	struct pkt_spec s[3] = { udp4(1, 53), tcp4(2, 80, SYN), echo(6, 3) }, back;
	uint16_t p;
	int i;

	(void)state;
	init();
	LOAD(BIND(1, FROM, from), BIND(1, TO, to), BIND(2, FROM, from), BIND(2, TO, to),
	     BIND(3, FROM, from), BIND(3, TO, to));
	/* the same flows in three zones: 3 + 2 + 1 entries */
	for (p = 1; p <= 3; p++)
		for (i = 0; i < 4 - p; i++)
			EXPECT(RULE_ALLOW, p, FROM, &s[i]);
	assert_int_equal(ct_valid(), 6);
	assert_int_equal(fw_ct_flush_zone(&fw, 2), 2);
	assert_int_equal(ct_valid(), 4);
	for (i = 0; i < 3; i++) {
		back = rev(&s[i], ACK);
		EXPECT(ESTABLISHED, 1, TO, &back);
		EXPECT(DEFAULT_DROP, 2, TO, &back);
	}
	back = rev(&s[0], 0);
	EXPECT(ESTABLISHED, 3, TO, &back);
	assert_int_equal(fw_ct_flush_zone(&fw, 2), 0);
	assert_int_equal(fw_ct_flush_zone(&fw, 9), 0);
	assert_int_equal(fw_ct_flush_zone(&fw, 1), 3);
	assert_int_equal(ct_valid(), 1);
	assert_non_null(entry_of(3, &s[0]));
	EXPECT(RULE_ALLOW, 2, FROM, &s[1]); /* a flushed zone opens anew */
}

/* ---- several workers inserting and looking up the same flows ---- */

#define RACE_THREADS 4
#define RACE_FLOWS 2048
#define RACE_ROUNDS 6

struct race {
	pthread_barrier_t start;
	pthread_mutex_t mu;
	char src[RACE_FLOWS][20];
	uint8_t mac[RACE_FLOWS][6];
	uint8_t opened[RACE_FLOWS]; /* some thread had it allowed by the rule (atomic) */
	int bad;
	char first_bad[160];
};

static struct race race;

/* Flow i: UDP (even) or TCP (odd) from its own address and MAC. */
static struct pkt_spec race_flow(int i)
{
	struct pkt_spec s = flow(4, i & 1 ? IPPROTO_TCP : IPPROTO_UDP, (uint16_t)(10000 + i),
				 i & 1 ? 80 : 53);

	s.src = race.src[i];
	s.smac = race.mac[i];
	return s;
}

static void race_fail(int thread, int i, const char *what, int reason)
{
	pthread_mutex_lock(&race.mu);
	if (!race.bad++)
		snprintf(race.first_bad, sizeof(race.first_bad), "thread %d flow %d %s: %s",
			 thread, i, what, reason_name(reason));
	pthread_mutex_unlock(&race.mu);
}

static void *race_thread(void *arg)
{
	int t = (int)(intptr_t)arg, round, j, i;
	static __thread uint8_t seen[RACE_FLOWS];
	struct xvs_fw_verdict v;
	struct pkt_spec s, back;

	memset(seen, 0, sizeof(seen));
	pthread_barrier_wait(&race.start);
	for (round = 0; round < RACE_ROUNDS; round++)
		for (j = 0; j < RACE_FLOWS; j++) {
			/* half the threads one way, half the other: the same
			 * flows opened at the same time, and met halfway */
			i = t & 1 ? RACE_FLOWS - 1 - j : j;
			s = race_flow(i);
			back = rev(&s, SYN | ACK);
			if (judge_raw(t, VM, FROM, &s, now, &v) < 0) {
				race_fail(t, i, "build", 0);
				continue;
			}
			if (v.reason == XVS_FW_RULE_ALLOW && !seen[i])
				__atomic_store_n(&race.opened[i], 1, __ATOMIC_RELAXED);
			else if (v.reason != XVS_FW_ESTABLISHED)
				race_fail(t, i, seen[i] ? "again" : "first", v.reason);
			seen[i] = 1;
			/* once this thread saw it, it stays */
			judge_raw(t, VM, TO, &back, now, &v);
			if (v.reason != XVS_FW_ESTABLISHED)
				race_fail(t, i, "reply", v.reason);
		}
	return NULL;
}

static void concurrent_inserts(void **state)
{
	pthread_t th[RACE_THREADS];
	struct xvs_fw_verdict v;
	struct xvs_ct_key *keys;
	int i, n_valid = 0, dups = 0, found;
	uint32_t sl;
	static int entries[RACE_FLOWS];

	(void)state;
	memset(&race, 0, sizeof(race));
	memset(entries, 0, sizeof(entries));
	init_n(RACE_THREADS, 65536);
	load_stateful(STATEFUL);
	for (i = 0; i < RACE_FLOWS; i++) {
		snprintf(race.src[i], sizeof(race.src[i]), "10.%d.%d.%d", 1 + i / 65536,
			 (i / 256) % 256, i % 256);
		race.mac[i][0] = 0x02;
		race.mac[i][4] = (uint8_t)(i >> 8);
		race.mac[i][5] = (uint8_t)i;
	}
	keys = calloc(RACE_FLOWS, sizeof(*keys));
	assert_non_null(keys);
	for (i = 0; i < RACE_FLOWS; i++) {
		struct pkt_spec s = race_flow(i);

		keys[i] = key_of(VM, &s);
	}
	pthread_mutex_init(&race.mu, NULL);
	pthread_barrier_init(&race.start, NULL, RACE_THREADS);
	for (i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, (void *)(intptr_t)i), 0);
	for (i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&race.start);
	pthread_mutex_destroy(&race.mu);

	/* every valid entry is whole: the key of one flow, that flow's packet */
	for (sl = 0; sl < fw.m.ct_size; sl++) {
		const struct xvs_ct_entry *e = &fw.m.ct[sl];

		if (!valid(e))
			continue;
		n_valid++;
		found = -1;
		for (i = 0; i < RACE_FLOWS && found < 0; i++)
			if (xvs_ct_key_eq(&e->key, &keys[i]))
				found = i;
		if (found < 0)
			fail_msg("slot %u: a key no thread inserted", sl);
		if (memcmp(e->smac, race.mac[found], 6) || e->dir != FROM || e->rule != 0)
			fail_msg("slot %u: flow %d's key with another packet's fields", sl, found);
		dups += entries[found]++ > 0;
	}
	free(keys);
	print_message("# %d entries for %d flows (%d duplicates), %d bad verdicts\n", n_valid,
		      RACE_FLOWS, dups, race.bad);
	if (race.bad)
		fail_msg("%d bad verdicts; first: %s", race.bad, race.first_bad);
	for (i = 0; i < RACE_FLOWS; i++) {
		struct pkt_spec s = race_flow(i), back = rev(&s, ACK);

		assert_int_equal(race.opened[i], 1);
		assert_true(entries[i] >= 1);
		if (judge_raw(0, VM, TO, &back, now, &v) < 0 || v.reason != XVS_FW_ESTABLISHED)
			fail_msg("flow %d not found afterwards: %s", i, reason_name(v.reason));
	}
}

/* ---- counters ---- */

static void counters(void **state)
{
	struct xvs_acl_rule from[] = {
		{ .match = XVS_ACL_M_PROTO, .proto = IPPROTO_TCP, .action = XVS_ACL_COUNT },
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT, .proto = IPPROTO_TCP, .dport_lo = 80,
		  .dport_hi = 80, .action = XVS_ACL_ALLOW, .flags = STATEFUL },
		ALLOW_PROTO(IPPROTO_UDP, STATEFUL),
		{ .match = XVS_ACL_M_PROTO, .proto = 47, .action = XVS_ACL_DROP },
		{ .action = XVS_ACL_ALLOW, .flags = XVS_ACL_F_DEFAULT },
	};
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	enum { KINDS = 9, N = 300 };
	/* kind → its port, direction, reason, rules hit */
	static const struct {
		uint16_t port;
		int dir;
		int reason;
		uint32_t rules; /* bit i: rule i */
	} kinds[KINDS] = {
		{ VM, FROM, XVS_FW_RULE_ALLOW, 0x3 }, /* a SYN to 80 */
		{ VM, TO, XVS_FW_ESTABLISHED, 0 }, /* its SYN-ACK */
		{ VM, FROM, XVS_FW_CT_INVALID, 0x3 }, /* SYN+FIN to 80 */
		{ VM, FROM, XVS_FW_DEFAULT_ALLOW, 0x11 }, /* TCP to 81 */
		{ VM, FROM, XVS_FW_RULE_DROP, 0x8 }, /* GRE */
		{ VM, FROM, XVS_FW_RULE_ALLOW, 0x4 }, /* UDP */
		{ VM, FROM, XVS_FW_ESTABLISHED, 0 }, /* ... again */
		{ VM, TO, XVS_FW_DEFAULT_DROP, 0x20 }, /* unsolicited UDP */
		{ 7, FROM, XVS_FW_NONE, 0 }, /* a port without rules */
	};
	struct xvs_counter want[3][XVS_FW_REASON_MAX], got[XVS_FW_REASON_MAX], c;
	uint64_t want_rule[6][2] = { { 0 } }, frames[3] = { 0 }, bytes[3] = { 0 };
	struct xvs_fw_verdict v;
	int i, k, len, r, w, g;

	(void)state;
	memset(want, 0, sizeof(want));
	init_n(3, 4096);
	LOAD(BIND(VM, FROM, from), BIND(VM, TO, to));
	for (i = 0; i < N; i++) {
		uint16_t n = (uint16_t)(i / KINDS);
		struct pkt_spec s;

		k = i % KINDS;
		switch (k) {
		case 0:
		case 1:
			s = tcp4((uint16_t)(1000 + n), 80, SYN);
			if (k == 1)
				s = rev(&s, SYN | ACK);
			break;
		case 2:
			s = tcp4((uint16_t)(5000 + n), 80, SYN | FIN);
			break;
		case 3:
			s = tcp4((uint16_t)(1000 + n), 81, SYN);
			break;
		case 4:
			s = flow(4, 47, 0, 0);
			break;
		case 5:
		case 6:
			s = udp4((uint16_t)(1000 + n), 53);
			break;
		case 7:
			s = rev(&(struct pkt_spec){ .fam = 4, .src = A4, .dst = B4,
						    .proto = IPPROTO_UDP, .sport = 5,
						    .dport = (uint16_t)(3000 + n) },
				0);
			break;
		default:
			s = udp4((uint16_t)(1000 + n), 53);
			break;
		}
		s.payload = (size_t)(i * 7 % 300);
		w = i % 3;
		len = judge_raw(w, kinds[k].port, kinds[k].dir, &s, now, &v);
		assert_true(len > 0);
		if (v.reason != kinds[k].reason)
			fail_msg("frame %d (kind %d): %s, expected %s", i, k, reason_name(v.reason),
				 reason_name(kinds[k].reason));
		g = kinds[k].port == 7 ? 2 : kinds[k].dir == TO;
		frames[g]++;
		bytes[g] += (uint64_t)len;
		want[g][v.reason].packets++;
		want[g][v.reason].bytes += (uint64_t)len;
		for (r = 0; r < 6; r++)
			if (kinds[k].rules & (1u << r)) {
				want_rule[r][0]++;
				want_rule[r][1] += (uint64_t)len;
			}
	}
	for (i = 0; i < 3; i++) {
		uint64_t p = 0, b = 0;

		fw_sum_reason(&fw, i == 2 ? 7 : VM, i == 1 ? TO : FROM, got);
		for (r = 0; r < XVS_FW_REASON_MAX; r++) {
			assert_int_equal(got[r].packets, want[i][r].packets);
			assert_int_equal(got[r].bytes, want[i][r].bytes);
			p += got[r].packets;
			b += got[r].bytes;
		}
		assert_int_equal(p, frames[i]);
		assert_int_equal(b, bytes[i]);
	}
	assert_int_equal(frames[0] + frames[1] + frames[2], N);
	for (r = 0; r < 6; r++) {
		fw_sum_rule(&fw, (uint32_t)r, &c);
		assert_int_equal(c.packets, want_rule[r][0]);
		assert_int_equal(c.bytes, want_rule[r][1]);
	}
	/* out of range: nothing */
	fw_sum_rule(&fw, XVS_ACL_MAX_RULES, &c);
	assert_int_equal(c.packets, 0);
	fw_sum_reason(&fw, XVS_MAX_PORTS, FROM, got);
	assert_int_equal(got[XVS_FW_NONE].packets, 0);
}

/* The memo's place (fw_memo_index) of s judged for (port, dir). */
static uint32_t memo_slot(uint16_t port, int dir, const struct pkt_spec *s)
{
	struct xvs_pkt p;
	struct frame f;

	assert_true(build(&f, s) > 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(xvs_parse(f.buf, f.buf + f.len, (__u32)f.len, &p), XVS_REASON_OK);
	return fw_memo_index(port, dir, &p);
}

/*
 * The workers' memo (fw.h): frames of one connection judged at one time
 * (a burst) skip the probe, and the evaluation for the second frame on;
 * nothing may come out differently from a full evaluation. The tests
 * judge at a fixed `now`: every frame is in one "burst".
 */
static void memo_judges_as_the_evaluator(void **state)
{
	struct xvs_acl_rule from[] = { ALLOW_ALL(STATEFUL), R_DEFAULT_DROP };
	struct xvs_acl_rule to[] = { R_DEFAULT_DROP };
	struct pkt_spec u = udp4(1000, 53), ub = rev(&u, 0);
	struct pkt_spec t = tcp4(2000, 80, SYN), tb = rev(&t, SYN | ACK);
	struct pkt_spec e0 = echo(4, 0), e0b = rev(&e0, 0), ts = e0b, a, ab;
	struct xvs_counter got[XVS_FW_REASON_MAX];
	struct xvs_ct_entry *e;
	uint32_t k;
	int i;

	(void)state;
	init();
	LOAD(BIND(VM, FROM, from), BIND(VM, TO, to), BIND(32 + VM, TO, to));

	/* a connection's frames: all established, all counted */
	EXPECT(RULE_ALLOW, VM, FROM, &u);
	for (i = 0; i < 5; i++) {
		EXPECT(ESTABLISHED, VM, FROM, &u);
		EXPECT(ESTABLISHED, VM, TO, &ub);
	}
	fw_sum_reason(&fw, VM, FROM, got);
	assert_int_equal(got[XVS_FW_ESTABLISHED].packets, 5);
	assert_int_equal(got[XVS_FW_RULE_ALLOW].packets, 1);
	/* a port whose memo place for a connection's frame is the one VM's
	 * holds has no such connection: a source port that makes them meet */
	a = u;
	for (k = 1; k < 65536; k++) {
		a.sport = (uint16_t)k;
		ab = rev(&a, 0);
		if (memo_slot(32 + VM, TO, &ab) == memo_slot(VM, TO, &ab))
			break;
	}
	assert_true(k < 65536);
	EXPECT(RULE_ALLOW, VM, FROM, &a);
	EXPECT(ESTABLISHED, VM, TO, &ab);
	EXPECT(DEFAULT_DROP, 32 + VM, TO, &ab);
	EXPECT(ESTABLISHED, VM, TO, &ab);
	/* connections taking turns each find their own (and are counted) */
	fw_sum_reason(&fw, VM, TO, got);
	for (i = 0; i < 3; i++) {
		EXPECT(ESTABLISHED, VM, TO, &ub);
		EXPECT(ESTABLISHED, VM, TO, &ab);
	}
	{
		struct xvs_counter now_[XVS_FW_REASON_MAX];

		fw_sum_reason(&fw, VM, TO, now_);
		assert_int_equal(now_[XVS_FW_ESTABLISHED].packets,
				 got[XVS_FW_ESTABLISHED].packets + 6);
	}

	/* the entries gone in the middle of the burst (u's and a's): not
	 * established any more */
	assert_int_equal(fw_ct_flush_zone(&fw, VM), 2);
	EXPECT(DEFAULT_DROP, VM, TO, &ub);
	EXPECT(RULE_ALLOW, VM, FROM, &u); /* a new entry */
	EXPECT(ESTABLISHED, VM, TO, &ub);
	/* ... or no longer allowed by a reload at this time */
	LOAD(BIND(VM, FROM, to), BIND(VM, TO, to));
	EXPECT(DEFAULT_DROP, VM, TO, &ub);
	EXPECT(DEFAULT_DROP, VM, FROM, &u);
	LOAD(BIND(VM, FROM, from), BIND(VM, TO, to));

	/* TCP: each segment's flags move the state as without the memo */
	EXPECT(RULE_ALLOW, VM, FROM, &t);
	EXPECT(ESTABLISHED, VM, TO, &tb);
	t.tcp = ACK;
	EXPECT(ESTABLISHED, VM, FROM, &t);
	EXPECT(ESTABLISHED, VM, FROM, &t);
	assert_int_equal(XVS_CT_TCP(ct_state(VM, &t)), XVS_CT_TCP_EST);
	t.tcp = RST;
	EXPECT(ESTABLISHED, VM, FROM, &t);
	EXPECT(ESTABLISHED, VM, FROM, &t);
	assert_int_equal(XVS_CT_TCP(ct_state(VM, &t)), XVS_CT_TCP_CLOSE);
	/* a new SYN on the closed connection is a new connection */
	t.tcp = SYN;
	EXPECT(RULE_ALLOW, VM, FROM, &t);
	e = entry_of(VM, &t);
	assert_non_null(e);
	assert_int_equal(XVS_CT_TCP(e->state), XVS_CT_TCP_SYN_SENT);
	EXPECT(ESTABLISHED, VM, FROM, &t);
	tb.tcp = SYN | ACK;
	EXPECT(ESTABLISHED, VM, TO, &tb);
	assert_int_equal(XVS_CT_TCP(ct_state(VM, &t)), XVS_CT_TCP_SYN_RECV);

	/* ICMP: an echo with identifier 0 has the ports of any other ICMP; a
	 * timestamp reply after the echo's reply is no part of it */
	EXPECT(RULE_ALLOW, VM, FROM, &e0);
	EXPECT(ESTABLISHED, VM, TO, &e0b);
	EXPECT(ESTABLISHED, VM, TO, &e0b);
	ts.type = 14;
	EXPECT(DEFAULT_DROP, VM, TO, &ts);
	EXPECT(ESTABLISHED, VM, TO, &e0b);
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(first_match_wins),
		T(count_rules_go_on),
		T(default_reasons),
		T(no_match),
		T(empty_binding_is_none),
		T(match_smac),
		T(match_dmac),
		T(match_vlan),
		T(neighbour_bypasses_rules),
		T(match_etype),
		T(match_family),
		T(match_saddr),
		T(match_daddr),
		T(match_proto),
		T(match_sport),
		T(match_dport),
		T(match_icmp_type),
		T(match_icmp_code),
		T(match_tcp_flags),
		T(later_fragments),
		T(groups),
		T(stateful_allow_tracks_one),
		T(stateless_allow_tracks_none),
		T(udp_replied),
		T(icmp_echo_by_id),
		T(icmp_error_related),
		T(tcp_states),
		T(tcp_invalid_open),
		T(tcp_ack_picks_up),
		T(tcp_rst_passes_untracked),
		T(expiry_per_class),
		T(sweep),
		T(set_timeouts_takes_effect),
		T(full_window),
		T(full_table),
		T(bank_counters_restart_when_written),
		T(commit_keeps_allowed),
		T(commit_removes_disallowed),
		T(commit_rejudges_as_judged),
		T(reload_under_traffic),
		T(flush_zone),
		T(concurrent_inserts),
		T(counters),
		T(memo_judges_as_the_evaluator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
