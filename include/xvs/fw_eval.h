/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The firewall evaluator, one source for both sides: the XDP program
 * compiles it for BPF, the forwarder (src/fw/) for userspace. What differs
 * is only how the tables are reached, so the includer defines
 *
 *   struct xvs_env;                          its handle on the tables
 *   xvs_env_rule(env, i)                     rule i of the bank in force (or NULL)
 *   xvs_env_group_has(env, key)              is (group, address) a member?
 *   xvs_env_ct(env, slot)                    conntrack slot (or NULL)
 *   xvs_env_hit(env, rule, bytes)            count a rule's decision
 *   xvs_env_ct_recall(env, &seq, &from_lo)   the slot remembered for this
 *                                            packet's connection, or -1
 *   xvs_env_ct_remember(env, slot, seq, lo)  remember the one found
 *
 * The last two are a memo the includer may keep (the forwarder's workers
 * do: a burst is mostly one connection's) to skip the key, hash and probe
 * of a packet whose connection was the last one found for (zone, dir),
 * keyed by the packet's addresses, ports and protocols; XDP keeps none
 * (an includer without one defines XVS_FW_NO_MEMO before the include).
 * The evaluator takes a remembered slot only while its `seq` is the one
 * remembered and it has not expired: any delete or reuse moves `seq`, so a
 * memo never judges differently from a probe.
 *
 * (declared below, defined after the include). The layouts are in
 * <xvs/fw.h>; the frame has been parsed with <xvs/parse.h>.
 *
 * Memory ordering of the conntrack table (shared by XDP on every CPU and
 * the forwarder's threads): a slot's `seq` moves only by compare-and-swap
 * (claim, delete) or an atomic add (publish), which are full barriers on
 * both sides. Readers check `seq` before and after reading the key, so a
 * key read while a writer rewrote it is never taken. BPF (clang 14) has no
 * load-acquire: the reads rely on the JIT's plain loads being ordered (x86
 * TSO) and on the compiler barrier between them; userspace uses acquire
 * loads. `state` changes by compare-and-swap; `last` is a plain store of a
 * time, updated at most every XVS_CT_TOUCH_NS, so a connection's packets
 * on several CPUs do not keep bouncing its cache line.
 */
#ifndef XVS_FW_EVAL_H
#define XVS_FW_EVAL_H

#include <xvs/fw.h>
#include <xvs/parse.h>

#define XVS_CT_TOUCH_NS (1ull << 28) /* ~268 ms */
#define XVS_NS_PER_S 1000000000ull

struct xvs_env;
struct xvs_fw_ctx;
struct xvs_fw_tmp;
XVS_INLINE const struct xvs_acl_rule *xvs_env_rule(struct xvs_env *env, __u32 i);
XVS_INLINE int xvs_env_group_has(struct xvs_env *env, const struct xvs_fw_group_key *k);
XVS_INLINE struct xvs_ct_entry *xvs_env_ct(struct xvs_env *env, __u32 slot);
XVS_INLINE void xvs_env_hit(struct xvs_env *env, __u32 rule, __u32 bytes);
#ifdef XVS_FW_NO_MEMO /* the includer keeps no memo */
XVS_INLINE int xvs_env_ct_recall(struct xvs_env *env, __u32 *seq, int *from_lo)
{
	(void)env;
	(void)seq;
	(void)from_lo;
	return -1;
}

XVS_INLINE void xvs_env_ct_remember(struct xvs_env *env, __u32 slot, __u32 seq, int from_lo)
{
	(void)env;
	(void)slot;
	(void)seq;
	(void)from_lo;
}
#else
XVS_INLINE int xvs_env_ct_recall(struct xvs_env *env, __u32 *seq, int *from_lo);
XVS_INLINE void xvs_env_ct_remember(struct xvs_env *env, __u32 slot, __u32 seq, int from_lo);
#endif
/* the evaluation under way and its scratch (see struct xvs_fw_tmp) */
XVS_INLINE const struct xvs_fw_ctx *xvs_env_ctx(struct xvs_env *env);
XVS_INLINE struct xvs_fw_tmp *xvs_env_tmp(struct xvs_env *env);
/* copy n (<= XVS_FW_INNER_MAX) bytes of the frame from off into dst: 0, or
 * -1 if the frame has no such bytes */
XVS_INLINE int xvs_env_load(struct xvs_env *env, __u32 off, __u8 *dst, __u32 n);

#ifdef __bpf__
#define XVS_LOAD32(p) (*(volatile __u32 *)(p))
#define XVS_LOAD64(p) (*(volatile __u64 *)(p))
#define XVS_STORE64(p, v) (*(volatile __u64 *)(p) = (v))
#define XVS_CAS32(p, o, n) __sync_val_compare_and_swap((p), (o), (n))
#define XVS_ADD32(p, v) __sync_fetch_and_add((p), (v))
#define XVS_RMB() asm volatile("" ::: "memory")
#else
#define XVS_LOAD32(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define XVS_LOAD64(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define XVS_STORE64(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define XVS_CAS32(p, o, n)                                                     \
	({                                                                     \
		__u32 __o = (o);                                               \
		__atomic_compare_exchange_n((p), &__o, (n), 0, __ATOMIC_ACQ_REL, \
					    __ATOMIC_ACQUIRE);                 \
		__o;                                                           \
	})
#define XVS_ADD32(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELEASE)
#define XVS_RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

/* What one evaluation needs besides the tables. */
struct xvs_fw_ctx {
	const struct xvs_pkt *pkt;
	__u32 len; /* frame length, for byte counters */
	__u16 zone; /* the VM port judged */
	__u8 dir; /* enum xvs_fw_dir */
	__u8 from_xdp;
	__u8 bank; /* the bank in force (read once per packet) */
	__u8 pad[3];
	__u64 now; /* CLOCK_MONOTONIC ns */
	const struct xvs_fw_cfg *cfg;
	struct xvs_acl_bind bind; /* of (zone, dir) in the bank in force */
};

/* An ICMP error's quote, read to find the connection it is about: an
 * IPv4 header with options or an IPv6 header, and 8 bytes of L4. */
#define XVS_FW_INNER_MAX 68

/*
 * The evaluator's scratch, kept out of the BPF program's stack (512 bytes,
 * most of them the main function's): a per-CPU map value there, part of
 * the environment in userspace. No pointers in it: BPF may not store them
 * in a map value. Steps of the bpf_loop() walks find it through the env.
 */
struct xvs_fw_tmp {
	struct xvs_ct_key k; /* the packet's own connection */
	struct xvs_ct_key pk; /* what a probe looks for or inserts */
	struct xvs_fw_group_key gk; /* a rule's group lookup */
	__u32 hash; /* of pk */
	__u32 state; /* insert: the new entry's */
	__u32 rule; /* insert: the rule that allowed it */
	__s32 slot; /* a probe's result, -1 while none */
	__u32 seq; /* the found or inserted slot's seq */
	/* the rule walk */
	__u32 first; /* bank-relative index of the binding's first rule */
	__u32 found; /* the rule that decided, ~0u while none */
	__u8 action;
	__u8 flags;
	__u8 pad[2];
	__u8 inner[XVS_FW_INNER_MAX];
};

/* ---- conntrack ---------------------------------------------------------- */

XVS_INLINE __u32 xvs_ct_hash(const struct xvs_ct_key *k, __u32 seed)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = seed ^ 0x9e3779b9u, i;

	for (i = 0; i < sizeof(*k) / 4; i++) {
		h ^= w[i];
		h *= 0x85ebca6bu;
		h ^= h >> 13;
	}
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

XVS_INLINE int xvs_ct_key_eq(const struct xvs_ct_key *a, const struct xvs_ct_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 i, d = 0;

	for (i = 0; i < sizeof(*a) / 4; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Is (a, pa) below (b, pb)? Addresses compared word by word. */
XVS_INLINE int xvs_ct_below(const __u32 *a, __u16 pa, const __u32 *b, __u16 pb)
{
	__u32 i;

	for (i = 0; i < 4; i++) {
		__u32 x = xvs_ntohl(a[i]), y = xvs_ntohl(b[i]);

		if (x != y)
			return x < y;
	}
	return pa < pb;
}

/* Fill the normalized key of a flow from (saddr, sport) to (daddr, dport);
 * returns 1 if the source is the lower end. */
XVS_INLINE int xvs_ct_key_make(struct xvs_ct_key *k, __u16 zone, __u8 family, __u8 proto,
			       const __u32 *saddr, __u16 sport, const __u32 *daddr, __u16 dport)
{
	int lo = xvs_ct_below(saddr, sport, daddr, dport);
	__u32 i;

	k->zone = zone;
	k->family = family;
	k->proto = proto;
	k->port_lo = lo ? sport : dport;
	k->port_hi = lo ? dport : sport;
	for (i = 0; i < 4; i++) {
		k->addr_lo[i] = lo ? saddr[i] : daddr[i];
		k->addr_hi[i] = lo ? daddr[i] : saddr[i];
	}
	return lo;
}

XVS_INLINE __u32 xvs_ct_timeout(const struct xvs_fw_cfg *cfg, __u8 proto, __u32 state)
{
	__u32 t;

	if (state & XVS_CT_S_FRAG)
		return cfg->timeout[XVS_CT_TO_UDP]; /* reassembly would have given up */
	if (proto == IPPROTO_TCP) {
		switch (XVS_CT_TCP(state)) {
		case XVS_CT_TCP_EST:
			t = XVS_CT_TO_TCP_EST;
			break;
		case XVS_CT_TCP_FIN_WAIT:
			t = XVS_CT_TO_TCP_FIN;
			break;
		case XVS_CT_TCP_TIME_WAIT:
		case XVS_CT_TCP_CLOSE:
			t = XVS_CT_TO_TCP_CLOSE;
			break;
		default:
			t = XVS_CT_TO_TCP_SYN;
		}
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		t = XVS_CT_TO_ICMP;
	} else {
		t = (state & XVS_CT_S_REPLIED) ? XVS_CT_TO_UDP_STREAM : XVS_CT_TO_UDP;
	}
	return cfg->timeout[t];
}

XVS_INLINE int xvs_ct_expired(const struct xvs_fw_cfg *cfg, const struct xvs_ct_entry *e,
			      __u64 now)
{
	__u64 last = XVS_LOAD64(&e->last);
	__u32 state = XVS_LOAD32(&e->state);

	/* `last` may be up to XVS_CT_TOUCH_NS old while traffic flows */
	return now > last + XVS_CT_TOUCH_NS +
			     (__u64)xvs_ct_timeout(cfg, e->key.proto, state) * XVS_NS_PER_S;
}

/*
 * Probing a key's window (tmp->pk, tmp->hash): one step per slot. In BPF
 * each walk is a bpf_loop() over a step, so the verifier checks one step
 * instead of every path through XVS_CT_PROBE unrolled ones.
 */

/* Lookup step i: 1 when the walk is over (found, or no such slot). */
XVS_INLINE int xvs_ct_lookup_step(__u32 i, struct xvs_env *env)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	struct xvs_fw_tmp *t = xvs_env_tmp(env);
	__u32 slot = (t->hash + i) & c->cfg->ct_mask, s1, s2;
	struct xvs_ct_entry *e = xvs_env_ct(env, slot);

	if (!e)
		return 1;
	s1 = XVS_LOAD32(&e->seq);
	if (XVS_CT_KIND(s1) != XVS_CT_VALID || !xvs_ct_key_eq(&e->key, &t->pk))
		return 0;
	XVS_RMB(); /* the key was read before seq is read again */
	s2 = XVS_LOAD32(&e->seq);
	if (s1 != s2 || xvs_ct_expired(c->cfg, e, c->now))
		return 0;
	t->slot = (__s32)slot;
	t->seq = s1;
	return 1;
}

/*
 * Insert step i: claim the slot if free (or expired), write the entry and
 * publish it. Two CPUs opening the same connection at once may both
 * insert; lookups take the first, the other ages out.
 */
XVS_INLINE int xvs_ct_insert_step(__u32 i, struct xvs_env *env)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	struct xvs_fw_tmp *t = xvs_env_tmp(env);
	const struct xvs_pkt *p = c->pkt;
	__u32 slot = (t->hash + i) & c->cfg->ct_mask, s, busy;
	struct xvs_ct_entry *e = xvs_env_ct(env, slot);

	if (!e)
		return 1;
	s = XVS_LOAD32(&e->seq);
	if (XVS_CT_KIND(s) == XVS_CT_BUSY)
		return 0;
	if (XVS_CT_KIND(s) == XVS_CT_VALID && !xvs_ct_expired(c->cfg, e, c->now))
		return 0;
	busy = (((s >> 2) + 1) << 2) | XVS_CT_BUSY;
	if (XVS_CAS32(&e->seq, s, busy) != s)
		return 0; /* somebody else took it */
	__builtin_memcpy(&e->key, &t->pk, sizeof(e->key));
	e->state = t->state;
	e->last = c->now;
	e->rule = t->rule;
	__builtin_memcpy(e->smac, p->src, 6);
	__builtin_memcpy(e->dmac, p->dst, 6);
	e->vlan = p->n_vlan ? p->vlan[0] : 0;
	e->dir = c->dir;
	e->tcp_flags = p->tcp_flags;
	e->icmp_type = p->icmp_type;
	e->icmp_code = p->icmp_code;
	e->ethertype = p->ethertype;
	/* BUSY → VALID and the next sequence: (q+1)<<2|1 + 5 = (q+2)<<2|2;
	 * the atomic publishes the writes above */
	XVS_ADD32(&e->seq, 5);
	t->slot = (__s32)slot;
	t->seq = busy + 5;
	return 1;
}

#ifdef __bpf__
static long xvs_ct_lookup_cb(__u32 i, void *env)
{
	return xvs_ct_lookup_step(i, (struct xvs_env *)env);
}

static long xvs_ct_insert_cb(__u32 i, void *env)
{
	return xvs_ct_insert_step(i, (struct xvs_env *)env);
}
#endif

/* The slot holding tmp->pk, alive; -1 if none. */
XVS_INLINE int xvs_ct_lookup(struct xvs_env *env)
{
	struct xvs_fw_tmp *t = xvs_env_tmp(env);

	t->hash = xvs_ct_hash(&t->pk, xvs_env_ctx(env)->cfg->seed);
	t->slot = -1;
#ifdef __bpf__
	bpf_loop(XVS_CT_PROBE, xvs_ct_lookup_cb, env, 0);
#else
	for (__u32 i = 0; i < XVS_CT_PROBE; i++)
		if (xvs_ct_lookup_step(i, env))
			break;
#endif
	return t->slot;
}

/* A new entry for tmp->pk (state, rule) in a free (or expired) slot of its
 * window; the slot, or -1 if every one holds a live entry (the table is
 * full there: the new connection is refused, nothing is evicted). */
XVS_INLINE int xvs_ct_insert(struct xvs_env *env, __u32 state, __u32 rule)
{
	struct xvs_fw_tmp *t = xvs_env_tmp(env);

	t->hash = xvs_ct_hash(&t->pk, xvs_env_ctx(env)->cfg->seed);
	t->state = state;
	t->rule = rule;
	t->slot = -1;
#ifdef __bpf__
	bpf_loop(XVS_CT_PROBE, xvs_ct_insert_cb, env, 0);
#else
	for (__u32 i = 0; i < XVS_CT_PROBE; i++)
		if (xvs_ct_insert_step(i, env))
			break;
#endif
	return t->slot;
}

/* Take an entry out (a reused TCP connection, the control thread's
 * sweep). Fails quietly if the slot changed meanwhile. */
XVS_INLINE void xvs_ct_delete(struct xvs_ct_entry *e, __u32 seq)
{
	if (XVS_CT_KIND(seq) == XVS_CT_VALID)
		XVS_CAS32(&e->seq, seq, ((seq >> 2) + 1) << 2 | XVS_CT_EMPTY);
}

/* Can a stateful rule open a connection with this segment? A SYN opens
 * one; an ACK without SYN picks up a connection already running (after
 * the table lost it), as Linux's conntrack does by default; RST never
 * opens one (it passes if a rule allows it); the flag combinations no
 * stack sends do not. Returns the new entry's TCP state, 0 for "pass
 * without an entry", -1 for invalid. */
XVS_INLINE int xvs_ct_tcp_open(__u8 f)
{
	if ((f & (XVS_TCP_SYN | XVS_TCP_FIN)) == (XVS_TCP_SYN | XVS_TCP_FIN) ||
	    (f & (XVS_TCP_SYN | XVS_TCP_RST)) == (XVS_TCP_SYN | XVS_TCP_RST))
		return -1;
	if (f & XVS_TCP_RST)
		return 0;
	if ((f & (XVS_TCP_SYN | XVS_TCP_ACK)) == XVS_TCP_SYN)
		return XVS_CT_TCP_SYN_SENT;
	if (f & XVS_TCP_ACK)
		return XVS_CT_TCP_EST; /* SYN+ACK included: a handshake half seen */
	return -1; /* no flags, FIN alone, ... */
}

/* The TCP state after segment flags f went `orig` (1) or the other way. */
XVS_INLINE __u32 xvs_ct_tcp_next(__u32 state, __u8 f, int orig, int from_lo)
{
	__u32 t = XVS_CT_TCP(state), fl = state & ~0xffu;

	if (f & XVS_TCP_RST)
		return fl | XVS_CT_TCP_CLOSE;
	if (f & XVS_TCP_FIN)
		fl |= from_lo ? XVS_CT_S_FIN_LO : XVS_CT_S_FIN_HI;
	switch (t) {
	case XVS_CT_TCP_SYN_SENT:
		if (!orig && (f & (XVS_TCP_SYN | XVS_TCP_ACK)) == (XVS_TCP_SYN | XVS_TCP_ACK))
			t = XVS_CT_TCP_SYN_RECV;
		break;
	case XVS_CT_TCP_SYN_RECV:
		if (orig && (f & (XVS_TCP_SYN | XVS_TCP_ACK)) == XVS_TCP_ACK)
			t = XVS_CT_TCP_EST;
		break;
	default:
		break;
	}
	if ((fl & (XVS_CT_S_FIN_LO | XVS_CT_S_FIN_HI)) == (XVS_CT_S_FIN_LO | XVS_CT_S_FIN_HI))
		t = XVS_CT_TCP_TIME_WAIT;
	else if (fl & (XVS_CT_S_FIN_LO | XVS_CT_S_FIN_HI))
		t = t == XVS_CT_TCP_CLOSE ? t : XVS_CT_TCP_FIN_WAIT;
	return fl | t;
}

/* A packet of a live entry: move its state (TCP, replied) and time. */
XVS_INLINE void xvs_ct_touch(struct xvs_ct_entry *e, const struct xvs_pkt *p, int from_lo,
			     __u64 now)
{
	__u32 s = XVS_LOAD32(&e->state), n, was;
	int orig = !!(s & XVS_CT_S_ORIG_LO) == from_lo;
	__u64 last = XVS_LOAD64(&e->last);
	int tries;

	for (tries = 0; tries < 4; tries++) {
		n = s;
		if (!orig)
			n |= XVS_CT_S_REPLIED;
		if (e->key.proto == IPPROTO_TCP)
			n = xvs_ct_tcp_next(n, p->tcp_flags, orig, from_lo);
		if (n == s)
			break;
		was = XVS_CAS32(&e->state, s, n);
		if (was == s)
			break;
		s = was; /* lost a race: apply to what is there now */
	}
	if (now > last + XVS_CT_TOUCH_NS)
		XVS_STORE64(&e->last, now);
}

/* An ICMP error: the inner packet's flow (the one the error is about)
 * into tmp->pk. Returns 1 if it could be read. */
XVS_INLINE int xvs_ct_icmp_inner(struct xvs_env *env)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	struct xvs_fw_tmp *t = xvs_env_tmp(env);
	const struct xvs_pkt *p = c->pkt;
	__u32 off = p->l4_off + 8u, ihl, l;
	__u32 sa[4] = { 0 }, da[4] = { 0 };
	__u16 sp = 0, dp = 0;
	__u8 proto, *q = t->inner;

	/* a truncated quote is no relation */
	if (off > XVS_PARSE_MAX_OFF)
		return 0;
	if (p->l3 == XVS_L3_IP4) {
		if (xvs_env_load(env, off, q, XVS_IP4_HLEN))
			return 0;
		ihl = (__u32)(q[0] & 0x0f) * 4;
		if ((q[0] >> 4) != 4 || ihl < XVS_IP4_HLEN || ihl + 8 > XVS_FW_INNER_MAX)
			return 0;
		if (xvs_env_load(env, off, q, ihl + 8))
			return 0;
		proto = q[9];
		__builtin_memcpy(&sa[0], q + 12, 4);
		__builtin_memcpy(&da[0], q + 16, 4);
		l = ihl;
	} else {
		if (xvs_env_load(env, off, q, XVS_IP6_HLEN + 8))
			return 0;
		if ((q[0] >> 4) != 6)
			return 0;
		proto = q[6]; /* extension headers: not followed */
		__builtin_memcpy(sa, q + 8, 16);
		__builtin_memcpy(da, q + 24, 16);
		l = XVS_IP6_HLEN;
	}
	if (l > XVS_FW_INNER_MAX - 8)
		return 0;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) {
		sp = xvs_rd16(q + l);
		dp = xvs_rd16(q + l + 2);
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (!xvs_icmp_is_echo(proto, q[l]))
			return 0; /* errors about errors are not related to anything */
		sp = dp = xvs_rd16(q + l + 4);
	}
	xvs_ct_key_make(&t->pk, c->zone, p->l3, proto, sa, sp, da, dp);
	return 1;
}

XVS_INLINE int xvs_icmp_is_error(__u8 proto, __u8 type)
{
	if (proto == IPPROTO_ICMP)
		return type == 3 || type == 11 || type == 12; /* unreach, time exceeded, param */
	return type >= 1 && type <= 4; /* unreach, too big, time exceeded, param */
}

/* ---- rules -------------------------------------------------------------- */

XVS_INLINE int xvs_acl_mac_eq(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(a[5] ^ b[5])) == 0;
}

XVS_INLINE int xvs_acl_cidr(const __u32 *a, const __u32 *net, const __u32 *mask)
{
	return ((a[0] & mask[0]) ^ net[0]) == 0 && ((a[1] & mask[1]) ^ net[1]) == 0 &&
	       ((a[2] & mask[2]) ^ net[2]) == 0 && ((a[3] & mask[3]) ^ net[3]) == 0;
}

XVS_INLINE int xvs_acl_group(struct xvs_env *env, __u8 bank, __u16 group,
			     const struct xvs_pkt *p, const __u32 *addr)
{
	struct xvs_fw_group_key *k = &xvs_env_tmp(env)->gk;

	k->group = group;
	k->family = p->l3;
	k->bank = bank;
	__builtin_memcpy(k->addr, addr, 16);
	return xvs_env_group_has(env, k);
}

/* Does rule r match packet p? */
XVS_INLINE int xvs_acl_match(struct xvs_env *env, __u8 bank, const struct xvs_acl_rule *r,
			     const struct xvs_pkt *p)
{
	__u32 m = r->match;

	if ((m & XVS_ACL_M_L4) && (!p->l4_off || (p->flags & XVS_PKT_F_LATER_FRAG)))
		return 0;
	if ((m & XVS_ACL_M_SMAC) && !xvs_acl_mac_eq(r->smac, p->src))
		return 0;
	if ((m & XVS_ACL_M_DMAC) && !xvs_acl_mac_eq(r->dmac, p->dst))
		return 0;
	if ((m & XVS_ACL_M_VLAN) && (p->n_vlan ? p->vlan[0] : 0) != r->vlan)
		return 0;
	if ((m & XVS_ACL_M_ETYPE) && p->ethertype != r->ethertype)
		return 0;
	if ((m & XVS_ACL_M_FAMILY) && p->l3 != r->family)
		return 0;
	if ((m & XVS_ACL_M_SADDR) && (p->l3 == XVS_L3_NONE || !xvs_acl_cidr(p->saddr, r->saddr, r->smask)))
		return 0;
	if ((m & XVS_ACL_M_DADDR) && (p->l3 == XVS_L3_NONE || !xvs_acl_cidr(p->daddr, r->daddr, r->dmask)))
		return 0;
	if ((m & XVS_ACL_M_PROTO) && (p->l3 == XVS_L3_NONE || p->l4proto != r->proto))
		return 0;
	if ((m & XVS_ACL_M_SPORT) && (p->sport < r->sport_lo || p->sport > r->sport_hi))
		return 0;
	if ((m & XVS_ACL_M_DPORT) && (p->dport < r->dport_lo || p->dport > r->dport_hi))
		return 0;
	if ((m & XVS_ACL_M_ICMP_TYPE) && p->icmp_type != r->icmp_type)
		return 0;
	if ((m & XVS_ACL_M_ICMP_CODE) && p->icmp_code != r->icmp_code)
		return 0;
	if ((m & XVS_ACL_M_TCP_FLAGS) && (p->tcp_flags & r->tcp_mask) != r->tcp_flags)
		return 0;
	/* the hash lookups last: most rules are decided before */
	if ((m & XVS_ACL_M_SGROUP) && (p->l3 == XVS_L3_NONE || !xvs_acl_group(env, bank, r->sgroup, p, p->saddr)))
		return 0;
	if ((m & XVS_ACL_M_DGROUP) && (p->l3 == XVS_L3_NONE || !xvs_acl_group(env, bank, r->dgroup, p, p->daddr)))
		return 0;
	return 1;
}

/* The walk over a binding's rules (tmp->first on; the result in
 * tmp->found, action, flags). Step i: 1 if the walk is over. */
XVS_INLINE int xvs_acl_step(__u32 i, struct xvs_env *env)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	struct xvs_fw_tmp *t = xvs_env_tmp(env);
	const struct xvs_acl_rule *r = xvs_env_rule(env, t->first + i);

	if (!r)
		return 1;
	if (!xvs_acl_match(env, c->bank, r, c->pkt))
		return 0;
	xvs_env_hit(env, t->first + i, c->len);
	if (r->action == XVS_ACL_COUNT)
		return 0;
	t->found = t->first + i;
	t->action = r->action;
	t->flags = r->flags;
	return 1;
}

#ifdef __bpf__
static long xvs_acl_step_cb(__u32 i, void *env)
{
	return xvs_acl_step(i, (struct xvs_env *)env);
}
#endif

XVS_INLINE void xvs_acl_walk(struct xvs_env *env, __u32 first, __u32 count)
{
	struct xvs_fw_tmp *t = xvs_env_tmp(env);

	t->first = first;
	t->found = ~0u;
	t->action = XVS_ACL_DROP;
	t->flags = 0;
	if (count > XVS_ACL_MAX_PER_BIND)
		count = XVS_ACL_MAX_PER_BIND;
#ifdef __bpf__
	bpf_loop(count, xvs_acl_step_cb, env, 0);
#else
	for (__u32 i = 0; i < count; i++)
		if (xvs_acl_step(i, env))
			break;
#endif
}

/* ---- answers to rejected packets --------------------------------------- */

/* May port's limiter (rl) send one more answer now? */
XVS_INLINE int xvs_fw_rl_take(struct xvs_fw_rl *rl, __u32 rate, __u64 now)
{
	__u64 win = now >> XVS_FW_RL_SHIFT, have = XVS_LOAD64(&rl->window);

	if (!rate)
		return 0;
	if (have != win) {
		/* a new window: whoever moves `window` restarts the count (a
		 * racing answer may be counted in the old one: harmless) */
#ifdef __bpf__
		if (__sync_val_compare_and_swap(&rl->window, have, win) == have)
			rl->count = 0;
#else
		if (__atomic_compare_exchange_n(&rl->window, &have, win, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			__atomic_store_n(&rl->count, 0, __ATOMIC_RELAXED);
#endif
	}
	return XVS_ADD32(&rl->count, 1) < rate;
}

/* The memo's slot for this packet's connection if it still holds the
 * entry remembered and that is alive (see xvs_env_ct_recall); -1 if not. */
XVS_INLINE int xvs_ct_recall(struct xvs_env *env, int *from_lo)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	struct xvs_ct_entry *e;
	__u32 seq = 0;
	int slot, lo = 0;

	slot = xvs_env_ct_recall(env, &seq, &lo);
	if (slot < 0)
		return -1;
	e = xvs_env_ct(env, (__u32)slot);
	if (!e || XVS_CT_KIND(seq) != XVS_CT_VALID || XVS_LOAD32(&e->seq) != seq ||
	    xvs_ct_expired(c->cfg, e, c->now))
		return -1;
	*from_lo = lo;
	return slot;
}

/* ---- the verdict ------------------------------------------------------- */

XVS_INLINE void xvs_fw_set(struct xvs_fw_verdict *v, __u8 action, __u8 reason, __u32 rule)
{
	v->action = action;
	v->reason = reason;
	v->rule = rule;
}

/* ARP, and the ICMPv6 of neighbour discovery and MLD (130-137, 143): what
 * a link needs to work at all. Rule sets do not see them (as OpenStack's
 * security groups do not); anti-spoofing is what guards them. */
XVS_INLINE int xvs_fw_neighbour(const struct xvs_pkt *p)
{
	if (p->ethertype == 0x0806)
		return 1;
	return p->l4proto == IPPROTO_ICMPV6 && p->l4_off && !(p->flags & XVS_PKT_F_LATER_FRAG) &&
	       ((p->icmp_type >= 130 && p->icmp_type <= 137) || p->icmp_type == 143);
}

/* Can this packet have a conntrack entry? (IP, and not a later fragment:
 * those carry no ports; they are judged by the rules alone.) */
XVS_INLINE int xvs_fw_trackable(const struct xvs_pkt *p)
{
	return p->l3 != XVS_L3_NONE && !(p->flags & XVS_PKT_F_LATER_FRAG);
}

/* The entry that lets a fragmented packet's later fragments through,
 * into tmp->pk. */
XVS_INLINE void xvs_ct_frag_key(struct xvs_env *env)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	const struct xvs_pkt *p = c->pkt;

	xvs_ct_key_make(&xvs_env_tmp(env)->pk, (__u16)(c->zone | XVS_CT_ZONE_FRAG), p->l3,
			p->l4proto, p->saddr, (__u16)(p->frag_id >> 16), p->daddr, (__u16)p->frag_id);
}

/* A first fragment passed: remember it for the later ones (best effort:
 * a full window leaves them to the rules). */
XVS_INLINE void xvs_ct_frag_note(struct xvs_env *env, __u32 rule)
{
	const struct xvs_pkt *p = xvs_env_ctx(env)->pkt;

	if ((p->flags & (XVS_PKT_F_FRAG | XVS_PKT_F_LATER_FRAG)) != XVS_PKT_F_FRAG ||
	    p->l3 == XVS_L3_NONE)
		return;
	xvs_ct_frag_key(env);
	if (xvs_ct_lookup(env) < 0)
		xvs_ct_insert(env, XVS_CT_S_FRAG | (xvs_env_ctx(env)->from_xdp ? XVS_CT_S_FROM_XDP : 0),
			      rule);
}

/*
 * Judge one packet for (c->zone, c->dir); c is xvs_env_ctx(env). Conntrack
 * first: a packet of a live connection (either way) passes, an ICMP error
 * about one passes as related; otherwise the rules, first match wins; an
 * allowed packet under a stateful rule opens a connection.
 */
XVS_INLINE void xvs_fw_eval(struct xvs_env *env, struct xvs_fw_verdict *v)
{
	const struct xvs_fw_ctx *c = xvs_env_ctx(env);
	struct xvs_fw_tmp *t = xvs_env_tmp(env);
	const struct xvs_pkt *p = c->pkt;
	struct xvs_ct_entry *e;
	__u32 state;
	int slot, from_lo = 0, track, open = 0, keyed = 0;

	if (!c->bind.count) {
		xvs_fw_set(v, XVS_ACL_ALLOW, XVS_FW_NONE, ~0u);
		return;
	}
	if (xvs_fw_neighbour(p)) {
		xvs_fw_set(v, XVS_ACL_ALLOW, XVS_FW_NEIGHBOUR, ~0u);
		return;
	}
	if ((p->flags & XVS_PKT_F_LATER_FRAG) && p->l3 != XVS_L3_NONE) {
		xvs_ct_frag_key(env);
		slot = xvs_ct_lookup(env);
		if (slot >= 0 && (e = xvs_env_ct(env, (__u32)slot))) {
			if (c->now > XVS_LOAD64(&e->last) + XVS_CT_TOUCH_NS)
				XVS_STORE64(&e->last, c->now);
			xvs_fw_set(v, XVS_ACL_ALLOW, XVS_FW_FRAGMENT, e->rule);
			return;
		}
	}
	track = xvs_fw_trackable(p);
	if (track) {
		/* ICMP other than echo is no connection of its own: its ports
		 * are 0, the key of an echo with identifier 0 */
		slot = -1;
		if (!(p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) ||
		    xvs_icmp_is_echo(p->l4proto, p->icmp_type)) {
			slot = xvs_ct_recall(env, &from_lo);
			if (slot < 0) {
				from_lo = xvs_ct_key_make(&t->k, c->zone, p->l3, p->l4proto, p->saddr,
							  p->sport, p->daddr, p->dport);
				keyed = 1;
				__builtin_memcpy(&t->pk, &t->k, sizeof(t->pk));
				slot = xvs_ct_lookup(env);
				if (slot >= 0)
					xvs_env_ct_remember(env, (__u32)slot, t->seq, from_lo);
			}
		}
		if (slot >= 0 && (e = xvs_env_ct(env, (__u32)slot))) {
			state = XVS_LOAD32(&e->state);
			/* a new SYN on a closed connection: judged as new */
			if (p->l4proto == IPPROTO_TCP &&
			    (XVS_CT_TCP(state) == XVS_CT_TCP_CLOSE ||
			     XVS_CT_TCP(state) == XVS_CT_TCP_TIME_WAIT) &&
			    (p->tcp_flags & (XVS_TCP_SYN | XVS_TCP_ACK)) == XVS_TCP_SYN) {
				xvs_ct_delete(e, XVS_LOAD32(&e->seq));
			} else {
				xvs_ct_touch(e, p, from_lo, c->now);
				xvs_fw_set(v, XVS_ACL_ALLOW, XVS_FW_ESTABLISHED, e->rule);
				xvs_ct_frag_note(env, e->rule);
				return;
			}
		}
		if ((p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) && p->l4_off &&
		    xvs_icmp_is_error(p->l4proto, p->icmp_type) && xvs_ct_icmp_inner(env) &&
		    xvs_ct_lookup(env) >= 0) {
			xvs_fw_set(v, XVS_ACL_ALLOW, XVS_FW_RELATED, ~0u);
			xvs_ct_frag_note(env, ~0u);
			return;
		}
	}

	xvs_acl_walk(env, c->bind.first, c->bind.count);
	if (t->found == ~0u) {
		xvs_fw_set(v, XVS_ACL_DROP, XVS_FW_NO_MATCH, ~0u);
		return;
	}
	if (t->action != XVS_ACL_ALLOW) {
		if (t->action == XVS_ACL_REJECT)
			xvs_fw_set(v, XVS_ACL_REJECT,
				   (t->flags & XVS_ACL_F_DEFAULT) ? XVS_FW_DEFAULT_REJECT : XVS_FW_RULE_REJECT,
				   t->found);
		else
			xvs_fw_set(v, XVS_ACL_DROP,
				   (t->flags & XVS_ACL_F_DEFAULT) ? XVS_FW_DEFAULT_DROP : XVS_FW_RULE_DROP,
				   t->found);
		return;
	}
	xvs_fw_set(v, XVS_ACL_ALLOW,
		   (t->flags & XVS_ACL_F_DEFAULT) ? XVS_FW_DEFAULT_ALLOW : XVS_FW_RULE_ALLOW, t->found);
	if (!track || !(t->flags & XVS_ACL_F_STATEFUL)) {
		xvs_ct_frag_note(env, v->rule);
		return;
	}
	state = 0;
	if (p->l4proto == IPPROTO_TCP) {
		open = xvs_ct_tcp_open(p->tcp_flags);
		if (open < 0) {
			xvs_fw_set(v, XVS_ACL_DROP, XVS_FW_CT_INVALID, v->rule);
			return;
		}
		state = (__u32)open;
	} else if ((p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) &&
		   !xvs_icmp_is_echo(p->l4proto, p->icmp_type)) {
		open = -1; /* only echo is a connection */
	}
	if (open >= 0 && (p->l4proto != IPPROTO_TCP || open > 0)) {
		/* (an RST opens nothing: it passes) */
		if (!keyed) /* the memo's connection was closed: a new one */
			from_lo = xvs_ct_key_make(&t->k, c->zone, p->l3, p->l4proto, p->saddr,
						  p->sport, p->daddr, p->dport);
		if (from_lo)
			state |= XVS_CT_S_ORIG_LO;
		if (c->from_xdp)
			state |= XVS_CT_S_FROM_XDP;
		__builtin_memcpy(&t->pk, &t->k, sizeof(t->pk));
		slot = xvs_ct_insert(env, state, v->rule);
		if (slot < 0) {
			xvs_fw_set(v, XVS_ACL_DROP, XVS_FW_CT_FULL, v->rule);
			return;
		}
		xvs_env_ct_remember(env, (__u32)slot, t->seq, from_lo);
	}
	xvs_ct_frag_note(env, v->rule);
}

#endif /* XVS_FW_EVAL_H */
