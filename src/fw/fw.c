// SPDX-License-Identifier: GPL-2.0-only
/*
 * The forwarder's side of the firewall: tables, banks, the evaluator's
 * environment, conntrack upkeep, counters. See fw.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fw/fw.h"

#include <xvs/fw_eval.h>

struct xvs_env {
	struct fw *fw;
	struct fw_stats *st; /* NULL: do not count, no memo (re-judging) */
	struct fw_memo *memo; /* the frame's place in st's memo */
	uint32_t bank;
	const struct xvs_fw_ctx *c;
	const uint8_t *data; /* the frame's bytes that were parsed */
	uint32_t caplen;
	struct xvs_fw_tmp tmp;
};

XVS_INLINE const struct xvs_fw_ctx *xvs_env_ctx(struct xvs_env *env)
{
	return env->c;
}

XVS_INLINE struct xvs_fw_tmp *xvs_env_tmp(struct xvs_env *env)
{
	return &env->tmp;
}

XVS_INLINE int xvs_env_load(struct xvs_env *env, __u32 off, __u8 *dst, __u32 n)
{
	if (!env->data || off > env->caplen || n > env->caplen - off)
		return -1;
	memcpy(dst, env->data + off, n);
	return 0;
}

XVS_INLINE const struct xvs_acl_rule *xvs_env_rule(struct xvs_env *env, __u32 i)
{
	if (i >= XVS_ACL_MAX_RULES)
		return NULL;
	return &env->fw->m.rules[XVS_ACL_RULE_IDX(env->bank, i)];
}

XVS_INLINE int xvs_env_group_has(struct xvs_env *env, const struct xvs_fw_group_key *k)
{
	return fw_group_has(env->fw, k);
}

XVS_INLINE struct xvs_ct_entry *xvs_env_ct(struct xvs_env *env, __u32 slot)
{
	if (slot >= env->fw->m.ct_size)
		return NULL;
	return &env->fw->m.ct[slot];
}

XVS_INLINE void xvs_env_hit(struct xvs_env *env, __u32 rule, __u32 bytes)
{
	struct xvs_counter *c;

	if (!env->st)
		return;
	c = &env->st->rule[XVS_ACL_RULE_IDX(env->bank, rule)];
	c->packets++;
	c->bytes += bytes;
}

static struct fw_memo *memo_at(struct fw_stats *st, uint16_t zone, int dir,
			       const struct xvs_pkt *p)
{
	return &st->memo[fw_memo_index(zone, dir, p)];
}

static uint64_t memo_l4(const struct xvs_pkt *p)
{
	uint64_t w;

	memcpy(&w, &p->sport, sizeof(w));
	return w;
}

/* Is m (zone, dir)'s memo of p's connection? With `exact`, of p's L4
 * fields too (TCP flags, ICMP type and code) and its fragment flags. */
static inline bool memo_same(const struct fw_memo *m, const struct xvs_pkt *p, uint16_t zone, int dir,
		      bool exact)
{
	uint64_t a[4], b[4], d = 0;
	int i;

	if (m->dir != dir || m->zone != zone || m->l3 != p->l3 || m->proto != p->l4proto)
		return false;
	if (exact ? (m->l4 != memo_l4(p) || m->pflags != p->flags)
		  : memcmp(&m->l4, &p->sport, 4)) /* the ports */
		return false;
	memcpy(a, p->saddr, 32); /* saddr, daddr: adjacent in both */
	memcpy(b, m->saddr, 32);
	for (i = 0; i < 4; i++)
		d |= a[i] ^ b[i];
	return !d;
}

XVS_INLINE int xvs_env_ct_recall(struct xvs_env *env, __u32 *seq, int *from_lo)
{
	const struct xvs_fw_ctx *c = env->c;
	const struct fw_memo *m;

	if (!env->st)
		return -1;
	m = env->memo;
	if (!memo_same(m, c->pkt, c->zone, c->dir, false))
		return -1;
	*seq = m->seq;
	*from_lo = m->from_lo;
	return (int)m->slot;
}

XVS_INLINE void xvs_env_ct_remember(struct xvs_env *env, __u32 slot, __u32 seq, int from_lo)
{
	const struct xvs_fw_ctx *c = env->c;
	const struct xvs_pkt *p = c->pkt;
	struct fw_memo *m;

	if (!env->st)
		return;
	m = env->memo;
	memcpy(m->saddr, p->saddr, 32);
	m->l4 = memo_l4(p);
	m->l3 = p->l3;
	m->proto = p->l4proto;
	m->pflags = p->flags;
	m->from_lo = (uint8_t)from_lo;
	m->dir = c->dir;
	m->zone = c->zone;
	m->slot = slot;
	m->seq = seq;
	m->now = 0;
}

_Static_assert(offsetof(struct xvs_pkt, daddr) == offsetof(struct xvs_pkt, saddr) + 16 &&
		       offsetof(struct fw_memo, daddr) == offsetof(struct fw_memo, saddr) + 16,
	       "the memo compares saddr and daddr as one span");
_Static_assert(offsetof(struct xvs_pkt, dport) == offsetof(struct xvs_pkt, sport) + 2 &&
		       offsetof(struct xvs_pkt, pad) == offsetof(struct xvs_pkt, sport) + 7,
	       "the memo reads sport to pad as one word, the ports its low half");

static const uint32_t default_timeouts[XVS_CT_TO_MAX] = {
	[XVS_CT_TO_TCP_SYN] = 60,	[XVS_CT_TO_TCP_EST] = 432000, [XVS_CT_TO_TCP_FIN] = 120,
	[XVS_CT_TO_TCP_CLOSE] = 10,	[XVS_CT_TO_UDP] = 30,	      [XVS_CT_TO_UDP_STREAM] = 180,
	[XVS_CT_TO_ICMP] = 30,
};

static int common_init(struct fw *fw, int nworkers)
{
	int i;

	fw->building = -1;
	fw->nworkers = nworkers;
	fw->ws = aligned_alloc(64, sizeof(*fw->ws) * (size_t)nworkers);
	if (!fw->ws)
		return -ENOMEM;
	memset(fw->ws, 0, sizeof(*fw->ws) * (size_t)nworkers);
	for (i = 0; i < nworkers; i++) {
		for (uint32_t j = 0; j < FW_MEMO_N; j++)
			fw->ws[i].memo[j].dir = XVS_FW_DIRS; /* unused */
		for (uint32_t j = 0; j < XVS_MAX_PORTS * XVS_FW_DIRS; j++)
			fw->ws[i].last[j].dir = XVS_FW_DIRS;
		/* 512 KiB each, touched only where rules are */
		fw->ws[i].rule = calloc(2 * XVS_ACL_MAX_RULES, sizeof(struct xvs_counter));
		if (!fw->ws[i].rule)
			return -ENOMEM;
	}
	for (i = 0; i < 2; i++) {
		fw->groups[i] = calloc(1, sizeof(*fw->groups[i]));
		if (!fw->groups[i])
			return -ENOMEM;
	}
	return 0;
}

static uint32_t random_seed(void)
{
	uint32_t s;

	if (getentropy(&s, sizeof(s)))
		s = (uint32_t)(uintptr_t)&s ^ 0x5bd1e995u;
	return s;
}

int fw_init_private(struct fw *fw, int nworkers, uint32_t ct_size)
{
	size_t sz[5] = {
		sizeof(struct xvs_acl_rule) * 2 * XVS_ACL_MAX_RULES,
		sizeof(struct xvs_acl_bind) * XVS_ACL_BIND_MAX,
		sizeof(struct xvs_fw_cfg),
		sizeof(struct xvs_ct_entry) * (size_t)ct_size,
		sizeof(struct xvs_fw_rl) * XVS_MAX_PORTS,
	};
	void *p[5] = { NULL };
	int i, err;

	memset(fw, 0, sizeof(*fw));
	if (!ct_size || (ct_size & (ct_size - 1)) || nworkers <= 0)
		return -EINVAL;
	for (i = 0; i < 5; i++) {
		/* anonymous mappings: zeroed, untouched pages cost nothing */
		p[i] = mmap(NULL, sz[i], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p[i] == MAP_FAILED) {
			p[i] = NULL;
			err = -ENOMEM;
			goto err_unmap;
		}
	}
	fw->m = (struct fw_mem){ p[0], p[1], p[2], p[3], ct_size, p[4] };
	fw->private_mem = true;
	fw->m.cfg->ct_mask = ct_size - 1;
	fw->m.cfg->seed = random_seed();
	fw->m.cfg->reject_rate = 100;
	memcpy(fw->m.cfg->timeout, default_timeouts, sizeof(default_timeouts));
	err = common_init(fw, nworkers);
	if (err) {
		fw_destroy(fw);
		return err;
	}
	return 0;

err_unmap:
	for (i = 0; i < 5; i++)
		if (p[i])
			munmap(p[i], sz[i]);
	return err;
}

int fw_init_shared(struct fw *fw, int nworkers, const struct fw_mem *m)
{
	int err;

	memset(fw, 0, sizeof(*fw));
	if (!m->ct_size || (m->ct_size & (m->ct_size - 1)) || nworkers <= 0)
		return -EINVAL;
	fw->m = *m;
	/* a table that held nothing yet gets its seed; a pinned one that an
	 * earlier run filled keeps it (its entries are hashed with it) */
	if (!fw->m.cfg->seed)
		fw->m.cfg->seed = random_seed();
	fw->m.cfg->ct_mask = m->ct_size - 1;
	if (!fw->m.cfg->timeout[XVS_CT_TO_TCP_EST])
		memcpy(fw->m.cfg->timeout, default_timeouts, sizeof(default_timeouts));
	err = common_init(fw, nworkers);
	if (err)
		fw_destroy(fw);
	return err;
}

void fw_destroy(struct fw *fw)
{
	int i;

	if (fw->ws)
		for (i = 0; i < fw->nworkers; i++)
			free(fw->ws[i].rule);
	free(fw->ws);
	for (i = 0; i < 2; i++)
		free(fw->groups[i]);
	if (fw->private_mem) {
		munmap(fw->m.rules, sizeof(struct xvs_acl_rule) * 2 * XVS_ACL_MAX_RULES);
		munmap(fw->m.binds, sizeof(struct xvs_acl_bind) * XVS_ACL_BIND_MAX);
		munmap(fw->m.cfg, sizeof(struct xvs_fw_cfg));
		munmap(fw->m.ct, sizeof(struct xvs_ct_entry) * (size_t)fw->m.ct_size);
		munmap(fw->m.rl, sizeof(struct xvs_fw_rl) * XVS_MAX_PORTS);
	}
	memset(fw, 0, sizeof(*fw));
	fw->building = -1;
}

void fw_set_timeouts(struct fw *fw, const uint32_t timeout[XVS_CT_TO_MAX])
{
	int i;

	for (i = 0; i < XVS_CT_TO_MAX; i++)
		__atomic_store_n(&fw->m.cfg->timeout[i], timeout[i], __ATOMIC_RELAXED);
}

void fw_set_on(struct fw *fw, bool on)
{
	uint32_t f = __atomic_load_n(&fw->m.cfg->flags, __ATOMIC_RELAXED);

	f = on ? f | XVS_FW_CFG_F_ON : f & ~(uint32_t)XVS_FW_CFG_F_ON;
	__atomic_store_n(&fw->m.cfg->flags, f, __ATOMIC_RELEASE);
}

void fw_set_reject_rate(struct fw *fw, uint32_t per_s)
{
	__atomic_store_n(&fw->m.cfg->reject_rate, per_s, __ATOMIC_RELAXED);
}

bool fw_reject_take(struct fw *fw, uint16_t port, uint64_t now)
{
	if (port >= XVS_MAX_PORTS || !fw->m.rl)
		return false;
	return xvs_fw_rl_take(&fw->m.rl[port], __atomic_load_n(&fw->m.cfg->reject_rate, __ATOMIC_RELAXED),
			      now);
}

/* ---- banks ---- */

int fw_bank_begin(struct fw *fw)
{
	int b = fw_bank(fw) ^ 1, i;

	memset(&fw->m.binds[XVS_ACL_BIND_IDX(b, 0, 0)], 0,
	       sizeof(struct xvs_acl_bind) * XVS_MAX_PORTS * XVS_FW_DIRS);
	/* its counters: what its last time in force counted (kept until now,
	 * for fw_sum_rule_bank after the commit that retired it) */
	for (i = 0; i < fw->nworkers; i++)
		memset(&fw->ws[i].rule[XVS_ACL_RULE_IDX(b, 0)], 0,
		       sizeof(struct xvs_counter) * XVS_ACL_MAX_RULES);
	memset(fw->groups[b], 0, sizeof(*fw->groups[b]));
	fw->building = b;
	return b;
}

int fw_bank_rules(struct fw *fw, uint32_t first, const struct xvs_acl_rule *r, uint32_t n)
{
	if (fw->building < 0)
		return -EINVAL;
	if (first > XVS_ACL_MAX_RULES || n > XVS_ACL_MAX_RULES - first)
		return -E2BIG;
	memcpy(&fw->m.rules[XVS_ACL_RULE_IDX(fw->building, first)], r, sizeof(*r) * n);
	return 0;
}

int fw_bank_bind(struct fw *fw, uint16_t port, int dir, uint32_t first, uint32_t count)
{
	if (fw->building < 0 || port >= XVS_MAX_PORTS || dir < 0 || dir >= XVS_FW_DIRS)
		return -EINVAL;
	if (first > XVS_ACL_MAX_RULES || count > XVS_ACL_MAX_RULES - first ||
	    count > XVS_ACL_MAX_PER_BIND)
		return -E2BIG;
	fw->m.binds[XVS_ACL_BIND_IDX(fw->building, port, dir)] =
		(struct xvs_acl_bind){ .first = first, .count = count };
	return 0;
}

static uint32_t group_hash(const struct xvs_fw_group_key *k)
{
	const uint32_t *w = (const uint32_t *)k;
	uint32_t h = 0x811c9dc5u, i;

	for (i = 0; i < sizeof(*k) / 4; i++) {
		h ^= w[i];
		h *= 0x01000193u;
		h ^= h >> 15;
	}
	return h;
}

int fw_group_add(struct fw *fw, int bank, uint16_t group, uint8_t family, const uint32_t addr[4])
{
	struct xvs_fw_group_key k = { .group = group, .family = family, .bank = (uint8_t)bank };
	struct fw_groups *g;
	uint32_t h, i;

	if (bank < 0 || bank > 1)
		return -EINVAL;
	g = fw->groups[bank];
	memcpy(k.addr, addr, sizeof(k.addr));
	if (fw_group_has(fw, &k))
		return 0;
	if (g->n >= XVS_FW_MAX_GROUP_ADDRS)
		return -ENOSPC;
	h = group_hash(&k);
	for (i = 0; i < FW_GROUP_SLOTS; i++) {
		struct fw_group_slot *s = &g->slot[(h + i) % FW_GROUP_SLOTS];

		if (s->used)
			continue;
		s->key = k;
		/* pairs with the acquire load in fw_group_has() */
		__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
		g->n++;
		return 0;
	}
	return -ENOSPC;
}

bool fw_group_has(const struct fw *fw, const struct xvs_fw_group_key *k)
{
	const struct fw_groups *g = fw->groups[k->bank & 1];
	uint32_t h = group_hash(k), i;

	/* at most half full: a miss ends at an empty slot soon */
	for (i = 0; i < FW_GROUP_SLOTS; i++) {
		const struct fw_group_slot *s = &g->slot[(h + i) % FW_GROUP_SLOTS];

		if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
			return false;
		if (!memcmp(&s->key, k, sizeof(*k)))
			return true;
	}
	return false;
}

/* The packet that opened entry e, as the parser would have given it. */
static void opening_packet(const struct xvs_ct_entry *e, struct xvs_pkt *p)
{
	bool lo = e->state & XVS_CT_S_ORIG_LO;

	memset(p, 0, sizeof(*p));
	memcpy(p->src, e->smac, 6);
	memcpy(p->dst, e->dmac, 6);
	if (e->vlan) {
		p->vlan[0] = e->vlan;
		p->n_vlan = 1;
	}
	p->ethertype = e->ethertype;
	p->l3 = e->key.family;
	p->l4proto = e->key.proto;
	memcpy(p->saddr, lo ? e->key.addr_lo : e->key.addr_hi, 16);
	memcpy(p->daddr, lo ? e->key.addr_hi : e->key.addr_lo, 16);
	p->sport = lo ? e->key.port_lo : e->key.port_hi;
	p->dport = lo ? e->key.port_hi : e->key.port_lo;
	p->icmp_type = e->icmp_type;
	p->icmp_code = e->icmp_code;
	p->tcp_flags = e->tcp_flags;
	/* trackable, so not a later fragment: an L4 header if the parser reads
	 * one for this protocol (none for GRE and the like, whose packets no
	 * rule on L4 fields matches) */
	if (p->l4proto == IPPROTO_TCP || p->l4proto == IPPROTO_UDP || p->l4proto == IPPROTO_SCTP ||
	    p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6)
		p->l4_off = 1;
}

/* Judge entry e again under bank b's rules: the rule that allows it now,
 * statefully, or -1. */
static int rejudge(struct fw *fw, const struct xvs_ct_entry *e, uint32_t b)
{
	struct xvs_env env = { .fw = fw, .st = NULL, .bank = b };
	struct xvs_fw_ctx c = { .bank = (uint8_t)b, .cfg = fw->m.cfg };
	const struct xvs_acl_bind *bind;
	struct xvs_pkt p;

	if (e->key.zone >= XVS_MAX_PORTS || e->dir >= XVS_FW_DIRS)
		return -1;
	bind = &fw->m.binds[XVS_ACL_BIND_IDX(b, e->key.zone, e->dir)];
	if (!bind->count)
		return -1;
	opening_packet(e, &p);
	c.pkt = &p;
	c.zone = e->key.zone;
	c.dir = e->dir;
	env.c = &c;
	xvs_acl_walk(&env, bind->first, bind->count);
	if (env.tmp.found == ~0u || env.tmp.action != XVS_ACL_ALLOW ||
	    !(env.tmp.flags & XVS_ACL_F_STATEFUL))
		return -1;
	return (int)env.tmp.found;
}

int fw_commit(struct fw *fw, void (*grace)(void *), void *arg, uint64_t now)
{
	int b = fw->building, removed = 0;
	uint32_t s;

	if (b < 0)
		return -EINVAL;
	/* the bank's writes before the flip: pairs with fw_bank()'s acquire
	 * (workers) and the grace period (XDP) */
	__atomic_store_n(&fw->m.cfg->bank, (uint32_t)b, __ATOMIC_RELEASE);
	fw->building = -1;
	if (grace)
		grace(arg);

	for (s = 0; s < fw->m.ct_size; s++) {
		struct xvs_ct_entry *e = &fw->m.ct[s];
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		int rule;

		if (XVS_CT_KIND(seq) != XVS_CT_VALID)
			continue;
		if (xvs_ct_expired(fw->m.cfg, e, now) || (e->state & XVS_CT_S_FRAG)) {
			/* a fragment's note: the rules decide its successors now */
			xvs_ct_delete(e, seq);
			continue;
		}
		rule = rejudge(fw, e, (uint32_t)b);
		if (rule < 0) {
			xvs_ct_delete(e, seq);
			removed++;
		} else {
			__atomic_store_n(&e->rule, (uint32_t)rule, __ATOMIC_RELAXED);
		}
	}
	return removed;
}

/* ---- workers ---- */

/* The evaluation proper (fw_judge's slow path). */
static void fw_eval(struct fw *fw, struct fw_stats *st, struct fw_memo *m, uint16_t port, int dir,
		    const struct xvs_pkt *pkt, const void *data, uint32_t caplen, uint32_t len,
		    uint64_t now, struct xvs_fw_verdict *v)
{
	struct xvs_env env; /* its scratch is written before it is read */
	struct xvs_fw_ctx c = {
		.pkt = pkt,
		.len = len,
		.zone = port,
		.dir = (uint8_t)dir,
		.now = now,
		.cfg = fw->m.cfg,
	};

	env.fw = fw;
	env.st = st;
	env.memo = m;
	env.bank = (uint32_t)fw_bank(fw);
	env.data = data;
	env.caplen = caplen;
	env.c = &c;
	c.bank = (uint8_t)env.bank;
	c.bind = fw->m.binds[XVS_ACL_BIND_IDX(env.bank, port, dir)];
	xvs_fw_eval(&env, v);
	/* the evaluation remembered the connection it found (or none) */
	if (v->reason == XVS_FW_ESTABLISHED && !(pkt->flags & (XVS_PKT_F_FRAG | XVS_PKT_F_LATER_FRAG)) &&
	    memo_same(m, pkt, port, dir, false)) {
		m->l4 = memo_l4(pkt);
		m->pflags = pkt->flags;
		m->now = now;
	} else {
		m->now = 0;
	}
}

void fw_judge(struct fw *fw, int worker, uint16_t port, int dir, const struct xvs_pkt *pkt,
	      const void *data, uint32_t caplen, uint32_t len, uint64_t now,
	      struct xvs_fw_verdict *v)
{
	struct fw_stats *st = &fw->ws[worker];
	struct xvs_counter *cnt;
	struct fw_memo *l, *m;

	if (port >= XVS_MAX_PORTS || dir < 0 || dir >= XVS_FW_DIRS) {
		xvs_fw_set(v, XVS_ACL_DROP, XVS_FW_NO_MATCH, ~0u);
		return;
	}
	l = &st->last[(uint32_t)port * XVS_FW_DIRS + (uint32_t)dir];
	/*
	 * The burst's last frame here, again (fw.h): ESTABLISHED while the
	 * entry is the one remembered. It has not expired since that frame
	 * touched it at this same time: `last` is then at most
	 * XVS_CT_TOUCH_NS old, and expiry takes longer than that.
	 */
	if (l->now == now && now && memo_same(l, pkt, port, dir, true) && l->slot < fw->m.ct_size &&
	    __atomic_load_n(&fw->m.ct[l->slot].seq, __ATOMIC_ACQUIRE) == l->seq) {
		xvs_fw_set(v, XVS_ACL_ALLOW, XVS_FW_ESTABLISHED,
			   __atomic_load_n(&fw->m.ct[l->slot].rule, __ATOMIC_RELAXED));
	} else {
		m = memo_at(st, port, dir, pkt);
		fw_eval(fw, st, m, port, dir, pkt, data, caplen, len, now, v);
		/* the shortcut follows the last frame evaluated here */
		if (m->now == now && now)
			*l = *m;
		else
			l->now = 0;
	}
	cnt = &st->reason[XVS_FW_STAT_IDX(port, dir, v->reason)];
	cnt->packets++;
	cnt->bytes += len;
}

/* ---- conntrack upkeep, counters ---- */

void fw_ct_sweep(struct fw *fw, uint32_t from, uint32_t n, uint64_t now, struct fw_ct_usage *u)
{
	uint32_t i;

	u->size = fw->m.ct_size;
	if (n > fw->m.ct_size)
		n = fw->m.ct_size;
	for (i = 0; i < n; i++) {
		struct xvs_ct_entry *e = &fw->m.ct[(from + i) & (fw->m.ct_size - 1)];
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

		if (XVS_CT_KIND(seq) != XVS_CT_VALID)
			continue;
		if (xvs_ct_expired(fw->m.cfg, e, now)) {
			xvs_ct_delete(e, seq);
			u->expired++;
		} else {
			u->live++;
		}
	}
}

int fw_ct_flush_zone(struct fw *fw, uint16_t zone)
{
	uint32_t s;
	int n = 0;

	for (s = 0; s < fw->m.ct_size; s++) {
		struct xvs_ct_entry *e = &fw->m.ct[s];
		uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

		if (XVS_CT_KIND(seq) == XVS_CT_VALID &&
		    (e->key.zone & ~XVS_CT_ZONE_FRAG) == zone) {
			xvs_ct_delete(e, seq);
			n++;
		}
	}
	return n;
}

void fw_sum_reason(const struct fw *fw, uint16_t port, int dir, struct xvs_counter out[XVS_FW_REASON_MAX])
{
	int w, r;

	memset(out, 0, sizeof(*out) * XVS_FW_REASON_MAX);
	if (port >= XVS_MAX_PORTS || dir < 0 || dir >= XVS_FW_DIRS)
		return;
	for (w = 0; w < fw->nworkers; w++)
		for (r = 0; r < XVS_FW_REASON_MAX; r++) {
			const struct xvs_counter *c = &fw->ws[w].reason[XVS_FW_STAT_IDX(port, dir, r)];

			out[r].packets += c->packets;
			out[r].bytes += c->bytes;
		}
}

void fw_sum_rule(const struct fw *fw, uint32_t rule, struct xvs_counter *out)
{
	fw_sum_rule_bank(fw, fw_bank(fw), rule, out);
}

void fw_sum_rule_bank(const struct fw *fw, int bank, uint32_t rule, struct xvs_counter *out)
{
	uint32_t idx = XVS_ACL_RULE_IDX(bank & 1, rule);
	int w;

	memset(out, 0, sizeof(*out));
	if (rule >= XVS_ACL_MAX_RULES)
		return;
	for (w = 0; w < fw->nworkers; w++) {
		out->packets += fw->ws[w].rule[idx].packets;
		out->bytes += fw->ws[w].rule[idx].bytes;
	}
}
