/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fw: the forwarder's firewall. The same compiled rules, bindings and
 * conntrack table as the XDP program, evaluated by the same code
 * (<xvs/fw_eval.h>): frames VMs send (from-vm) and frames the forwarder
 * delivers to VMs that XDP did not judge (VM to VM, floods, the tap).
 *
 *   control thread: fw_bank_begin ─► fw_bank_* (rules, bindings, groups) ─► fw_commit
 *                                                       (flip, grace period, re-judge conntrack)
 *   workers:        fw_judge(port, dir, parsed copy of the frame) ─► verdict, counted
 *
 * The tables are either the XDP program's maps, mapped into this process
 * (fw_init_shared), or private memory when no uplink exists
 * (fw_init_private): the evaluator cannot tell.
 */
#ifndef XVS_FW_FW_H
#define XVS_FW_FW_H

#include <stdbool.h>
#include <stdint.h>

#include <xvs/fw.h>
#include <xvs/parse.h>

/* The tables, laid out as in include/xvs/fw.h. */
struct fw_mem {
	struct xvs_acl_rule *rules; /* 2 * XVS_ACL_MAX_RULES */
	struct xvs_acl_bind *binds; /* XVS_ACL_BIND_MAX */
	struct xvs_fw_cfg *cfg; /* one */
	struct xvs_ct_entry *ct; /* cfg->ct_mask + 1 */
	uint32_t ct_size; /* entries, a power of two */
	struct xvs_fw_rl *rl; /* XVS_MAX_PORTS: answer rate limits */
};

/* Remote groups of one bank: an open-addressing set of keys. One writer
 * (the control thread), lock-free readers: a slot's key is written before
 * its `used` flag is set with a release store. */
#define FW_GROUP_SLOTS (2 * XVS_FW_MAX_GROUP_ADDRS)
struct fw_group_slot {
	struct xvs_fw_group_key key;
	uint32_t used;
};
struct fw_groups {
	struct fw_group_slot slot[FW_GROUP_SLOTS];
	uint32_t n;
};

/* One worker's counters: written by it alone, summed by the control
 * thread (racy reads of 64-bit counters: fine on the targets we run). */
/*
 * A worker's memo of the connections it found (<xvs/fw_eval.h>,
 * xvs_env_ct_recall): the packet fields that make a connection's key, its
 * slot, and its seq then. Direct-mapped by a hash of those fields, zone
 * and direction (fw_memo_index): a frame of a connection met lately skips
 * key, hash and probe — one burst of one connection's frames probes once,
 * and many connections taking turns (a burst of 32 others) each keep
 * theirs until another one lands on their place.
 *
 * And, per (zone, dir) in `last` (a copy of the place of the frame
 * evaluated there last, so that the shortcut needs no hash), whether
 * that frame was ESTABLISHED in the burst at time `now`: the next frame
 * of that burst with the same fields (TCP
 * flags and ICMP type included, not a fragment), while the entry is the
 * one remembered and alive, is ESTABLISHED without an evaluation. That is
 * the evaluation's result: it would find that entry, and touching it
 * again with the same flags at the same time changes nothing (a TCP
 * state's move, the replied bit and the time are idempotent).
 */
#define FW_MEMO_BITS 10
#define FW_MEMO_N (1u << FW_MEMO_BITS) /* 64 KiB a worker */
struct fw_memo {
	uint32_t saddr[4], daddr[4]; /* as in struct xvs_pkt */
	uint64_t l4; /* struct xvs_pkt from sport to pad: ports, ICMP, TCP flags */
	uint8_t l3, proto;
	uint8_t from_lo;
	uint8_t dir; /* XVS_FW_DIRS: unused */
	uint16_t zone;
	uint8_t pflags; /* struct xvs_pkt flags */
	uint8_t pad;
	uint32_t slot, seq;
	uint64_t now; /* the burst of an ESTABLISHED verdict here; 0: none */
};
/* The memo's place for p's connection in (zone, dir): of the fields the
 * memo compares (addresses, ports, zone, direction); a collision only
 * costs a probe. */
static inline uint32_t fw_memo_index(uint16_t zone, int dir, const struct xvs_pkt *p)
{
	uint32_t s = p->saddr[0] ^ p->saddr[1] ^ p->saddr[2] ^ p->saddr[3];
	uint32_t d = p->daddr[0] ^ p->daddr[1] ^ p->daddr[2] ^ p->daddr[3];
	uint32_t h = s * 0x9e3779b1u + d;

	h ^= ((uint32_t)p->sport << 16 | p->dport) * 0x85ebca6bu;
	h ^= (uint32_t)zone << 1 | (uint32_t)dir;
	h *= 0xc2b2ae35u;
	h ^= h >> 16; /* zones one bit apart meet too, not only in the low bits */
	h *= 0x85ebca6bu;
	return h >> (32 - FW_MEMO_BITS);
}

/* A worker's own: counters and memo. */
struct fw_stats {
	struct xvs_counter reason[XVS_FW_STAT_MAX]; /* XVS_FW_STAT_IDX */
	struct xvs_counter *rule; /* [2 * XVS_ACL_MAX_RULES], bank-indexed */
	struct fw_memo memo[FW_MEMO_N];
	/* per (zone, dir): a copy of the place of the last frame evaluated
	 * there, its `now` that burst's if the frame was ESTABLISHED (else 0):
	 * the same-burst shortcut without computing fw_memo_index */
	struct fw_memo last[XVS_MAX_PORTS * XVS_FW_DIRS];
} __attribute__((aligned(64)));

struct fw {
	struct fw_mem m;
	bool private_mem; /* ours to free */
	struct fw_groups *groups[2]; /* per bank */
	int nworkers;
	struct fw_stats *ws; /* [nworkers] */
	int building; /* the bank being written between begin and commit; -1 */
};

/* Private tables (no XDP program): ct_size entries (a power of two). */
int fw_init_private(struct fw *fw, int nworkers, uint32_t ct_size);
/* The XDP program's tables, already mapped by the caller (they stay the
 * caller's to unmap, after fw_destroy). */
int fw_init_shared(struct fw *fw, int nworkers, const struct fw_mem *m);
void fw_destroy(struct fw *fw);

/* Settings that take effect at once (timeouts, seed, on/off). */
void fw_set_timeouts(struct fw *fw, const uint32_t timeout[XVS_CT_TO_MAX]);
void fw_set_on(struct fw *fw, bool on);
void fw_set_reject_rate(struct fw *fw, uint32_t per_s);

/* ---- control thread: a new rule bank ---- */

/* Start writing the bank not in force: its bindings, groups and rule
 * counters are cleared. Returns the bank. */
int fw_bank_begin(struct fw *fw);
/* Rules [first, first + n) of the bank; -E2BIG past the table. */
int fw_bank_rules(struct fw *fw, uint32_t first, const struct xvs_acl_rule *r, uint32_t n);
int fw_bank_bind(struct fw *fw, uint16_t port, int dir, uint32_t first, uint32_t count);
/* Add an address to a group of the bank being built, or (building < 0)
 * of the bank in force (an address learned at run time). -ENOSPC when full. */
int fw_group_add(struct fw *fw, int bank, uint16_t group, uint8_t family, const uint32_t addr[4]);
bool fw_group_has(const struct fw *fw, const struct xvs_fw_group_key *k);
/*
 * Put the bank in force. `grace` must return only once no reader of the
 * old bank is left (workers: dp_sync; XDP: membarrier); then every
 * conntrack entry is judged
 * again under the new rules: one they no longer allow (or no longer allow
 * statefully) is removed. Returns the number of entries removed.
 */
int fw_commit(struct fw *fw, void (*grace)(void *), void *arg, uint64_t now);
static inline int fw_bank(const struct fw *fw)
{
	return (int)(__atomic_load_n(&fw->m.cfg->bank, __ATOMIC_ACQUIRE) & 1);
}

/* ---- workers ---- */

/* Does (port, dir) have rules? (If not, fw_judge would allow, uncounted.) */
static inline bool fw_active(const struct fw *fw, uint16_t port, int dir)
{
	const struct xvs_fw_cfg *c = fw->m.cfg;

	if (!(__atomic_load_n(&c->flags, __ATOMIC_RELAXED) & XVS_FW_CFG_F_ON) || port >= XVS_MAX_PORTS)
		return false;
	return fw->m.binds[XVS_ACL_BIND_IDX(fw_bank(fw), port, dir)].count != 0;
}

/*
 * Judge a parsed frame for (port, dir) as worker `worker`. data/caplen:
 * the bytes that were parsed (a private copy: nothing the guest can still
 * change), len: the frame's length.
 */
void fw_judge(struct fw *fw, int worker, uint16_t port, int dir, const struct xvs_pkt *pkt,
	      const void *data, uint32_t caplen, uint32_t len, uint64_t now,
	      struct xvs_fw_verdict *v);

/* May `port` send one more answer to a rejected packet now (the rate
 * limit shared with XDP)? */
bool fw_reject_take(struct fw *fw, uint16_t port, uint64_t now);

/* ---- control thread: conntrack and counters ---- */

struct fw_ct_usage {
	uint32_t size;
	uint32_t live; /* valid, not expired */
	uint32_t expired; /* removed by this sweep */
};
/* Remove expired entries among slots [from, from + n) (wrapping); counts. */
void fw_ct_sweep(struct fw *fw, uint32_t from, uint32_t n, uint64_t now, struct fw_ct_usage *u);
/* Remove every entry of a zone (a port that goes away: its id may be
 * reused). Returns how many. */
int fw_ct_flush_zone(struct fw *fw, uint16_t zone);

/* Sum of the workers' counters: per (port, dir, reason), per rule of the
 * bank in force. */
void fw_sum_reason(const struct fw *fw, uint16_t port, int dir, struct xvs_counter out[XVS_FW_REASON_MAX]);
void fw_sum_rule(const struct fw *fw, uint32_t rule, struct xvs_counter *out);
/* The same for a bank: the retired one's stay readable (final) until the
 * next fw_bank_begin. */
void fw_sum_rule_bank(const struct fw *fw, int bank, uint32_t rule, struct xvs_counter *out);

#endif /* XVS_FW_FW_H */
