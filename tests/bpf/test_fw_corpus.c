// SPDX-License-Identifier: GPL-2.0-only
/*
 * One rule format, two evaluators (include/xvs/fw_eval.h): a corpus of
 * frames judged by the XDP program (BPF_PROG_TEST_RUN) and by the
 * forwarder's fw_judge() under the same rules, in the same order, compared
 * frame by frame: the verdict and its reason, every counter that moved
 * (xvs_stats, the firewall's per-reason and per-rule counters) and, after
 * every frame, the two conntrack tables slot by slot.
 *
 *   frame ─┬─► BPF_PROG_TEST_RUN(xvs_xdp) ─► the XDP program's maps
 *          └─► xvs_parse + fw_judge ───────► private tables (fw_init_private)
 *
 * The XDP program's tables are mapped here and written through src/fw as
 * xvsd writes them (fw_init_shared: banks, commit and its re-judging of
 * conntrack); the groups, which XDP reads from a hash map, are written to
 * it by hand. Both sides have the same table size, seed and timeouts, so
 * their conntrack tables evolve identically: an entry may differ only in
 * `last` (each side's clock) and XVS_CT_S_FROM_XDP.
 *
 * No socket is in the XSKMAP: a frame the firewall allows ends as NO_XSK
 * (ZC_DOWN on a zero-copy queue), one it refuses as FW_DROP or FW_REJECT.
 * The userspace side reads its copy of each frame placed against a
 * PROT_NONE page, so an over-read there crashes rather than passing.
 *
 * A commit re-judges conntrack from the fields an entry kept; a third,
 * private table set (conntrack kept empty) judges each entry's opening
 * frame afresh under the new rules, and the two must agree on which
 * connections stay, and by which rule.
 *
 * The frames and rules are in fw_corpus.h. XVS_FW_TRACE=1 prints every
 * frame with its outcome.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frame.h"
#include "fw/fw.h"
#include "fw_corpus.h"
#include "xvs_xdp.skel.h"

#define CT_SLOTS 2048 /* small: the corpus fills it (CT_FULL) */
#define CT_SEED 0x2545f491u
#define NS_PER_S 1000000000ull
#define CT_TOUCH_NS (1ull << 28) /* XVS_CT_TOUCH_NS: how stale `last` may be */
#define EDGE_NS (50ull * 1000000) /* either side of an entry's expiry */
#define AGE_NS (100ull * NS_PER_S) /* expires SYN, CLOSE, UDP, ICMP entries */
#define ZC_PORT 2 /* the VM a zero-copy queue is dedicated to, when on */
#define ZC_MAX_LEN (VM_MTU + 14)
#define NPORTS 5 /* ports 0..4: counters compared per frame */
#define BANK_RULES 512

static const uint32_t timeouts[XVS_CT_TO_MAX] = {
	[XVS_CT_TO_TCP_SYN] = 60, [XVS_CT_TO_TCP_EST] = 3600, [XVS_CT_TO_TCP_FIN] = 120,
	[XVS_CT_TO_TCP_CLOSE] = 30, [XVS_CT_TO_UDP] = 40, [XVS_CT_TO_UDP_STREAM] = 300,
	[XVS_CT_TO_ICMP] = 50,
};

/* ---- the two sides ----------------------------------------------------- */

static struct xvs_xdp *skel;
static struct fw fw_x; /* the XDP program's tables, mapped */
static struct fw fw_c; /* private tables: the forwarder's evaluator alone */
static struct fw fw_o; /* the same rules, conntrack kept empty: fresh judgements */
static void *map_mem[4];
static size_t map_len[4];
static int prog_fd, stats_fd, fwst_fd, aclst_fd, groups_fd;
static int lo_ifindex, ncpu;
static struct xvs_counter *pcpu; /* [ncpu] */
static uint8_t *guard; /* two pages, then a PROT_NONE one */
static size_t page;
static bool zc_on;
static bool diverged;
static bool trace; /* XVS_FW_TRACE=1: one line per frame */
static uint32_t nrules; /* rules of the bank in force */

/* The frame that opened each entry of the C table (by slot), to judge it
 * afresh when a commit re-judges the entry. */
#define OPENER_MAX 1600
static struct opener {
	uint16_t len; /* 0: not known */
	uint8_t buf[OPENER_MAX];
} *openers;
static uint32_t c_seq[CT_SLOTS]; /* the C table's seq words, as last seen */
static unsigned int n_rejudged;

static unsigned int n_frames, n_cat[CAT_MAX];
static unsigned int n_xdp_reason[XVS_REASON_MAX], n_fw_reason[XVS_FW_REASON_MAX];

/* The frame being compared, for the report of a mismatch. */
static struct {
	char what[160];
	const uint8_t *buf;
	uint32_t len;
	uint32_t retval;
	int xdp_reason; /* the xvs_stats reason that moved, -1 none */
	int xdp_fw; /* the xvs_fw_stats reason that moved, -1 none */
	int parse; /* xvs_parse() */
	int judge; /* port judged by fw_judge, -1 none */
	struct xvs_fw_verdict v;
	enum xvs_reason want;
} cur;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ---- counters ---------------------------------------------------------- */

static void pc_sum(int fd, __u32 key, struct xvs_counter *out)
{
	int c;

	assert_int_equal(bpf_map_lookup_elem(fd, &key, pcpu), 0);
	*out = (struct xvs_counter){ 0 };
	for (c = 0; c < ncpu; c++) {
		out->packets += pcpu[c].packets;
		out->bytes += pcpu[c].bytes;
	}
}

struct snap {
	struct xvs_counter st[XVS_STAT_MAX];
	struct xvs_counter fw[NPORTS][XVS_FW_REASON_MAX];
	struct xvs_counter rule[BANK_RULES];
};

static void snap_xdp(struct snap *s)
{
	uint32_t bank = (uint32_t)fw_bank(&fw_x), i, p, r;

	for (i = 0; i < XVS_STAT_MAX; i++)
		pc_sum(stats_fd, i, &s->st[i]);
	for (p = 0; p < NPORTS; p++)
		for (r = 0; r < XVS_FW_REASON_MAX; r++)
			pc_sum(fwst_fd, XVS_FW_STAT_IDX(p, XVS_FW_TO_VM, r), &s->fw[p][r]);
	for (i = 0; i < nrules; i++)
		pc_sum(aclst_fd, XVS_ACL_RULE_IDX(bank, i), &s->rule[i]);
}

static void snap_c(struct snap *s)
{
	uint32_t bank = (uint32_t)fw_bank(&fw_c), i, p, r;

	for (p = 0; p < NPORTS; p++)
		for (r = 0; r < XVS_FW_REASON_MAX; r++)
			s->fw[p][r] = fw_c.ws[0].reason[XVS_FW_STAT_IDX(p, XVS_FW_TO_VM, r)];
	for (i = 0; i < nrules; i++)
		s->rule[i] = fw_c.ws[0].rule[XVS_ACL_RULE_IDX(bank, i)];
}

static bool delta_eq(const struct xvs_counter *a0, const struct xvs_counter *a1,
		     const struct xvs_counter *b0, const struct xvs_counter *b1)
{
	return a1->packets - a0->packets == b1->packets - b0->packets &&
	       a1->bytes - a0->bytes == b1->bytes - b0->bytes;
}

/* ---- mismatch report ---------------------------------------------------- */

static const char *fw_reason_name(int r)
{
	return r >= 0 && r < XVS_FW_REASON_MAX ? xvs_fw_reason_names[r] : "-";
}

static const char *xdp_reason_name(int r)
{
	return r >= 0 && r < XVS_REASON_MAX ? xvs_reason_names[r] : "-";
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	static const char *const act[] = { "allow", "drop", "reject", "count" };
	char why[256];
	va_list ap;
	uint32_t i;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# MISMATCH at frame %u (%s), %u bytes: %s\n", n_frames, cur.what, cur.len,
		why);
	for (i = 0; i < cur.len; i++)
		fprintf(stderr, "%s%02x%s", i % 16 ? "" : "#   ", cur.buf[i],
			i % 16 == 15 || i + 1 == cur.len ? "\n" : " ");
	fprintf(stderr, "#   XDP: action %u, reason %s, firewall %s\n", cur.retval,
		xdp_reason_name(cur.xdp_reason), fw_reason_name(cur.xdp_fw));
	fprintf(stderr, "#   C:   parse %s, ", xdp_reason_name(cur.parse));
	if (cur.judge < 0)
		fprintf(stderr, "not judged, expected reason %s\n", xdp_reason_name((int)cur.want));
	else
		fprintf(stderr, "port %d: %s, %s, rule %d -> %s\n", cur.judge,
			act[cur.v.action & 3], fw_reason_name(cur.v.reason), (int)cur.v.rule,
			xdp_reason_name((int)cur.want));
	diverged = true;
	fail_msg("the evaluators disagree at frame %u (%s)", n_frames, cur.what);
}

/* ---- conntrack ----------------------------------------------------------- */

/* Slot s of both tables: the same? Everything but `last`, and the flag
 * that says which side created the entry. */
static const char *ct_slot_diff(uint32_t s)
{
	const struct xvs_ct_entry *a = &fw_x.m.ct[s], *b = &fw_c.m.ct[s];

	if (a->seq != b->seq)
		return "seq";
	if (XVS_CT_KIND(a->seq) == XVS_CT_VALID &&
	    (!(a->state & XVS_CT_S_FROM_XDP) || (b->state & XVS_CT_S_FROM_XDP)))
		return "XVS_CT_S_FROM_XDP";
	if ((a->state & ~(uint32_t)XVS_CT_S_FROM_XDP) != b->state)
		return "state";
	if (memcmp(&a->key, &b->key, sizeof(a->key)))
		return "key";
	if (a->rule != b->rule)
		return "rule";
	if (memcmp(a->smac, b->smac, 6) || memcmp(a->dmac, b->dmac, 6) || a->vlan != b->vlan ||
	    a->dir != b->dir || a->tcp_flags != b->tcp_flags || a->icmp_type != b->icmp_type ||
	    a->icmp_code != b->icmp_code || a->ethertype != b->ethertype)
		return "opening packet";
	return NULL;
}

static void ct_compare(void)
{
	const struct xvs_ct_entry *a, *b;
	const char *d;
	uint32_t s;

	for (s = 0; s < CT_SLOTS; s++) {
		d = ct_slot_diff(s);
		if (!d)
			continue;
		a = &fw_x.m.ct[s];
		b = &fw_c.m.ct[s];
		report("conntrack slot %u differs (%s): XDP seq %#x state %#x port %u/%u proto %u "
		       "last -%llu ms, C seq %#x state %#x port %u/%u proto %u last -%llu ms",
		       s, d, a->seq, a->state, a->key.port_lo, a->key.port_hi, a->key.proto,
		       (unsigned long long)((now_ns() - a->last) / 1000000), b->seq, b->state,
		       b->key.port_lo, b->key.port_hi, b->key.proto,
		       (unsigned long long)((now_ns() - b->last) / 1000000));
	}
}

/* Both tables age by the same amount: what the clock would do. */
static void ct_age(uint64_t ns)
{
	struct xvs_ct_entry *t[2] = { fw_x.m.ct, fw_c.m.ct };
	uint32_t s;
	int i;

	for (i = 0; i < 2; i++)
		for (s = 0; s < CT_SLOTS; s++)
			if (XVS_CT_KIND(t[i][s].seq) == XVS_CT_VALID)
				t[i][s].last = t[i][s].last > ns ? t[i][s].last - ns : 0;
}

static unsigned int ct_valid(void)
{
	unsigned int n = 0;
	uint32_t s;

	for (s = 0; s < CT_SLOTS; s++)
		n += XVS_CT_KIND(fw_c.m.ct[s].seq) == XVS_CT_VALID;
	return n;
}

/* An entry inserted by frame f: remember f as its opener. */
static void openers_note(const struct frame *f)
{
	uint32_t s, seq;

	for (s = 0; s < CT_SLOTS; s++) {
		seq = fw_c.m.ct[s].seq;
		if (seq == c_seq[s])
			continue;
		c_seq[s] = seq;
		openers[s].len = 0;
		if (XVS_CT_KIND(seq) == XVS_CT_VALID && f && f->len <= OPENER_MAX) {
			memcpy(openers[s].buf, f->buf, f->len);
			openers[s].len = (uint16_t)f->len;
		}
	}
}

/* ---- one frame through both --------------------------------------------- */

static const struct fdb_ent *fdb_find(uint16_t vlan, const uint8_t *mac)
{
	size_t i;

	for (i = 0; i < XVS_ARRAY_SIZE(fdb); i++)
		if (fdb[i].vlan == vlan && !memcmp(fdb[i].mac, mac, 6))
			return &fdb[i];
	return NULL;
}

/*
 * What xvs_xdp() does with a frame that parsed, as the maps are set up
 * here: the reason it counts, and in *judge the port whose firewall it
 * asks first (-1: none; the reason is then the one for an allowed frame).
 */
static enum xvs_reason xdp_model(const struct xvs_pkt *p, uint32_t len, int *judge)
{
	bool mcast = p->flags & XVS_PKT_F_MCAST;
	const struct fdb_ent *e = mcast ? NULL : fdb_find(p->n_vlan ? p->vlan[0] : 0, p->dst);

	*judge = -1;
	if (zc_on) {
		if (mcast)
			return XVS_REASON_ZC_FLOOD;
		if (!e || e->port != ZC_PORT)
			return XVS_REASON_ZC_OTHER;
		if (len - (p->n_vlan ? XVS_VLAN_HLEN : 0) > ZC_MAX_LEN)
			return XVS_REASON_MTU;
		*judge = e->port;
		return XVS_REASON_ZC_DOWN;
	}
	if (mcast)
		return XVS_REASON_NO_XSK_PASS;
	if (!e)
		return XVS_REASON_UNKNOWN;
	if (e->port == PORT_HOST)
		return XVS_REASON_NOT_VM;
	if (len > XVS_ETH_HLEN + p->n_vlan * XVS_VLAN_HLEN + (uint32_t)VM_MTU)
		return XVS_REASON_MTU;
	*judge = e->port;
	return XVS_REASON_NO_XSK;
}

static int xdp_run(const struct frame *f)
{
	struct xdp_md md = { .data_end = (__u32)f->len, .ingress_ifindex = (__u32)lo_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf, .data_size_in = (__u32)f->len,
		    .ctx_in = &md, .ctx_size_in = sizeof(md), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &o), 0);
	return (int)o.retval;
}

/* The userspace side: parse and judge a copy against the guard page. */
static enum xvs_reason c_run(const struct frame *f)
{
	uint8_t *d = guard + 2 * page - f->len;
	struct xvs_pkt pkt = { 0 };
	enum xvs_reason r;

	memcpy(d, f->buf, f->len);
	cur.judge = -1;
	cur.parse = xvs_parse(d, d + f->len, (__u32)f->len, &pkt);
	if (cur.parse != XVS_REASON_OK)
		return (enum xvs_reason)cur.parse;
	r = xdp_model(&pkt, (uint32_t)f->len, &cur.judge);
	if (cur.judge < 0 || !fw_active(&fw_c, (uint16_t)cur.judge, XVS_FW_TO_VM)) {
		cur.judge = -1;
		return r;
	}
	fw_judge(&fw_c, 0, (uint16_t)cur.judge, XVS_FW_TO_VM, &pkt, d, (uint32_t)f->len,
		 (uint32_t)f->len, now_ns(), &cur.v);
	n_fw_reason[cur.v.reason]++;
	if (cur.v.action == XVS_ACL_ALLOW)
		return r;
	return cur.v.action == XVS_ACL_REJECT ? XVS_REASON_FW_REJECT : XVS_REASON_FW_DROP;
}

static void compare_counters(const struct snap *xb, const struct snap *xa, const struct snap *cb,
			     const struct snap *ca)
{
	uint32_t vidx = XVS_STAT_VERDICT(xvs_reason_verdict(cur.want));
	uint32_t ridx = XVS_STAT_REASON(cur.want), i, p, r;

	for (i = 0; i < XVS_STAT_MAX; i++) {
		__u64 want = i == vidx || i == ridx;

		if (xa->st[i].packets - xb->st[i].packets != want ||
		    xa->st[i].bytes - xb->st[i].bytes != want * cur.len)
			report("xvs_stats[%u] moved by %llu, expected %llu", i,
			       (unsigned long long)(xa->st[i].packets - xb->st[i].packets),
			       (unsigned long long)want);
	}
	for (p = 0; p < NPORTS; p++)
		for (r = 0; r < XVS_FW_REASON_MAX; r++)
			if (!delta_eq(&xb->fw[p][r], &xa->fw[p][r], &cb->fw[p][r], &ca->fw[p][r]))
				report("firewall counter (port %u, %s) moved by %llu in XDP, %llu in C",
				       p, xvs_fw_reason_names[r],
				       (unsigned long long)(xa->fw[p][r].packets - xb->fw[p][r].packets),
				       (unsigned long long)(ca->fw[p][r].packets - cb->fw[p][r].packets));
	for (i = 0; i < nrules; i++)
		if (!delta_eq(&xb->rule[i], &xa->rule[i], &cb->rule[i], &ca->rule[i]))
			report("rule %u's counter moved by %llu in XDP, %llu in C", i,
			       (unsigned long long)(xa->rule[i].packets - xb->rule[i].packets),
			       (unsigned long long)(ca->rule[i].packets - cb->rule[i].packets));
}

/* What moved in XDP's counters, for the report. */
static void note_xdp(const struct snap *xb, const struct snap *xa)
{
	uint32_t p, r;

	cur.xdp_reason = cur.xdp_fw = -1;
	for (r = 1; r < XVS_REASON_MAX; r++)
		if (xa->st[XVS_STAT_REASON(r)].packets != xb->st[XVS_STAT_REASON(r)].packets)
			cur.xdp_reason = (int)r;
	for (p = 0; p < NPORTS; p++)
		for (r = 0; r < XVS_FW_REASON_MAX; r++)
			if (xa->fw[p][r].packets != xb->fw[p][r].packets)
				cur.xdp_fw = (int)r;
}

static int last_fw_reason(void)
{
	return cur.judge < 0 ? -1 : cur.v.reason;
}

static void feed(enum cat cat, const struct frame *f, const char *fmt, ...)
{
	static struct snap xb, xa, cb, ca;
	enum xvs_verdict verdict;
	va_list ap;
	int want_action;

	if (diverged)
		fail_msg("an earlier frame diverged");
	assert_int_equal(f->err, 0);
	assert_true(f->len >= XVS_ETH_HLEN && f->len <= 2 * page);
	va_start(ap, fmt);
	vsnprintf(cur.what, sizeof(cur.what), fmt, ap);
	va_end(ap);
	cur.buf = f->buf;
	cur.len = (uint32_t)f->len;
	n_frames++;
	n_cat[cat]++;

	snap_xdp(&xb);
	snap_c(&cb);
	/* back to back: each side reads its own clock, and a conntrack
	 * entry's expiry (or its `last` refresh) must not fall in between */
	cur.retval = (uint32_t)xdp_run(f);
	cur.want = c_run(f);
	snap_xdp(&xa);
	snap_c(&ca);
	note_xdp(&xb, &xa);
	n_xdp_reason[cur.want]++;

	verdict = xvs_reason_verdict(cur.want);
	want_action = verdict == XVS_VERDICT_PASS ? XDP_PASS : XDP_DROP; /* no sockets */
	if ((int)cur.retval != want_action)
		report("XDP action %u, expected %d", cur.retval, want_action);
	if (trace)
		printf("# %u %s: %s %s\n", n_frames, cur.what, xdp_reason_name((int)cur.want),
		       cur.judge < 0 ? "" : fw_reason_name(cur.v.reason));
	compare_counters(&xb, &xa, &cb, &ca);
	ct_compare();
	openers_note(f);
}

/* ---- banks --------------------------------------------------------------- */

struct bind_req {
	uint16_t port;
	const struct rset *set;
};

static struct xvs_counter rules_at_start[BANK_RULES]; /* XDP's, when the bank came in */

/* Rule counters of the bank in force, since it came in: C against XDP. */
static void check_rule_totals(void)
{
	uint32_t bank = (uint32_t)fw_bank(&fw_x), i;
	struct xvs_counter x, c;

	for (i = 0; i < nrules; i++) {
		pc_sum(aclst_fd, XVS_ACL_RULE_IDX(bank, i), &x);
		fw_sum_rule(&fw_c, i, &c);
		if (x.packets - rules_at_start[i].packets != c.packets ||
		    x.bytes - rules_at_start[i].bytes != c.bytes)
			fail_msg("rule %u: XDP counted %llu, C %llu", i,
				 (unsigned long long)(x.packets - rules_at_start[i].packets),
				 (unsigned long long)c.packets);
	}
}

static const struct grp_req *bank_groups; /* of the bank in force */
static size_t bank_ngroups;

static bool group_empty(uint16_t g)
{
	size_t i;

	for (i = 0; i < bank_ngroups; i++)
		if (bank_groups[i].group == g)
			return false;
	return true;
}

/* Every rule of the bank in force that can match decided (or counted)
 * some frame: all but those naming a group with no member now. */
static void check_every_rule_hit(void)
{
	const struct xvs_acl_rule *r;
	struct xvs_counter c;
	uint32_t i, missed = 0;

	for (i = 0; i < nrules; i++) {
		r = &fw_c.m.rules[XVS_ACL_RULE_IDX(fw_bank(&fw_c), i)];
		fw_sum_rule(&fw_c, i, &c);
		if (c.packets || ((r->match & XVS_ACL_M_SGROUP) && group_empty(r->sgroup)) ||
		    ((r->match & XVS_ACL_M_DGROUP) && group_empty(r->dgroup)))
			continue;
		print_error("rule %u (set %u, position %u) was never hit\n", i, r->set, r->pos);
		missed++;
	}
	assert_int_equal(missed, 0);
}

/*
 * Would the new rules open entry s's connection, judging its opening frame
 * afresh? *rule: the rule that would.
 */
static bool fresh_opens(uint32_t s, uint32_t *rule)
{
	const struct opener *o = &openers[s];
	uint16_t zone = fw_c.m.ct[s].key.zone;
	struct xvs_fw_verdict v;
	struct xvs_pkt pkt = { 0 };
	uint32_t i;
	bool opens = false;

	*rule = ~0u;
	assert_int_equal(xvs_parse(o->buf, o->buf + o->len, o->len, &pkt), XVS_REASON_OK);
	if (!fw_active(&fw_o, zone, XVS_FW_TO_VM))
		return false;
	fw_judge(&fw_o, 0, zone, XVS_FW_TO_VM, &pkt, o->buf, o->len, o->len, now_ns(), &v);
	for (i = 0; i < CT_SLOTS; i++)
		opens |= XVS_CT_KIND(fw_o.m.ct[i].seq) == XVS_CT_VALID;
	fw_ct_flush_zone(&fw_o, zone);
	*rule = v.rule;
	return opens;
}

/*
 * After a commit: a recent entry (not near its expiry) was kept exactly if
 * the new rules would open its connection now, and with that rule. The
 * commit re-judges from the fields the entry kept; this judges the frame.
 */
static void check_rejudge(const bool *cand, const uint32_t *seq_before)
{
	uint32_t s, rule = ~0u, i;
	bool kept, opens;

	for (s = 0; s < CT_SLOTS; s++) {
		if (!cand[s])
			continue;
		kept = fw_c.m.ct[s].seq == seq_before[s];
		opens = fresh_opens(s, &rule);
		n_rejudged++;
		if (kept == opens && (!kept || fw_c.m.ct[s].rule == rule))
			continue;
		fprintf(stderr, "# commit %s slot %u (zone %u, proto %u), rule %u; judged afresh, "
			"its opening frame %s (rule %d):\n",
			kept ? "kept" : "removed", s, fw_c.m.ct[s].key.zone, fw_c.m.ct[s].key.proto,
			fw_c.m.ct[s].rule, opens ? "opens it" : "does not open it", (int)rule);
		for (i = 0; i < openers[s].len; i++)
			fprintf(stderr, "%s%02x%s", i % 16 ? "" : "#   ", openers[s].buf[i],
				i % 16 == 15 || i + 1 == openers[s].len ? "\n" : " ");
		diverged = true;
		fail_msg("re-judging at commit disagrees with judging the opening frame");
	}
}

/* Take the keys of bank b out of XDP's group hash. */
static void groups_clear(int b)
{
	struct xvs_fw_group_key k, next, *prev = NULL;

	while (!bpf_map_get_next_key(groups_fd, prev, &next)) {
		k = next;
		if (k.bank == b) {
			assert_int_equal(bpf_map_delete_elem(groups_fd, &k), 0);
			prev = NULL; /* start over: the order may change */
			continue;
		}
		prev = &k;
	}
}

static void groups_add(int b, const struct grp_req *g, size_t n)
{
	struct xvs_fw_group_key k;
	__u32 one = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.group = g[i].group;
		k.family = (uint8_t)g[i].fam;
		k.bank = (uint8_t)b;
		addr(g[i].fam, g[i].addr, (uint8_t *)k.addr);
		assert_int_equal(bpf_map_update_elem(groups_fd, &k, &one, BPF_ANY), 0);
		assert_int_equal(fw_group_add(&fw_x, b, k.group, k.family, k.addr), 0);
		assert_int_equal(fw_group_add(&fw_c, b, k.group, k.family, k.addr), 0);
		assert_int_equal(fw_group_add(&fw_o, b, k.group, k.family, k.addr), 0);
	}
}

/*
 * A new bank on both sides: the sets bound to their ports' to-vm, the
 * groups; committed at the same instant, so that both re-judge their
 * conntrack tables alike.
 */
static void bank_load(const struct bind_req *binds, size_t nb, const struct grp_req *g,
		      size_t ng)
{
	static struct xvs_acl_rule all[BANK_RULES];
	static uint32_t seq_before[CT_SLOTS];
	static bool cand[CT_SLOTS];
	struct xvs_acl_rule back;
	struct xvs_acl_bind bind_back;
	uint32_t n = 0, i, idx;
	int b, rx, rc;
	uint64_t now;
	size_t j;

	if (nrules)
		check_rule_totals();
	b = fw_bank_begin(&fw_x);
	assert_int_equal(fw_bank_begin(&fw_c), b);
	assert_int_equal(fw_bank_begin(&fw_o), b);
	groups_clear(b);
	for (j = 0; j < nb; j++) {
		assert_true(n + binds[j].set->n <= BANK_RULES);
		memcpy(&all[n], binds[j].set->r, sizeof(all[0]) * binds[j].set->n);
		assert_int_equal(fw_bank_bind(&fw_x, binds[j].port, XVS_FW_TO_VM, n, binds[j].set->n), 0);
		assert_int_equal(fw_bank_bind(&fw_c, binds[j].port, XVS_FW_TO_VM, n, binds[j].set->n), 0);
		assert_int_equal(fw_bank_bind(&fw_o, binds[j].port, XVS_FW_TO_VM, n, binds[j].set->n), 0);
		n += binds[j].set->n;
	}
	assert_int_equal(fw_bank_rules(&fw_x, 0, all, n), 0);
	assert_int_equal(fw_bank_rules(&fw_c, 0, all, n), 0);
	assert_int_equal(fw_bank_rules(&fw_o, 0, all, n), 0);
	groups_add(b, g, ng);
	bank_groups = g;
	bank_ngroups = ng;

	/* the mapped arrays are the maps the program reads */
	idx = XVS_ACL_RULE_IDX(b, n - 1);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvs_acl), &idx, &back), 0);
	assert_memory_equal(&back, &all[n - 1], sizeof(back));
	idx = XVS_ACL_BIND_IDX(b, binds[nb - 1].port, XVS_FW_TO_VM);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvs_acl_bind), &idx, &bind_back), 0);
	assert_int_equal(bind_back.count, binds[nb - 1].set->n);

	/* the entries the oracle can judge: known opener, far from expiry */
	now = now_ns();
	for (i = 0; i < CT_SLOTS; i++) {
		const struct xvs_ct_entry *e = &fw_c.m.ct[i];

		seq_before[i] = e->seq;
		cand[i] = XVS_CT_KIND(e->seq) == XVS_CT_VALID && openers[i].len &&
			  e->last + 20 * NS_PER_S > now;
	}
	rx = fw_commit(&fw_x, NULL, NULL, now);
	rc = fw_commit(&fw_c, NULL, NULL, now);
	assert_int_equal(fw_commit(&fw_o, NULL, NULL, now), 0);
	assert_int_equal(rx, rc);
	nrules = n;
	check_rejudge(cand, seq_before);
	openers_note(NULL);
	for (i = 0; i < n; i++)
		pc_sum(aclst_fd, XVS_ACL_RULE_IDX(b, i), &rules_at_start[i]);
	printf("# bank %d: %u rules, %zu bindings, %d connections dropped by the new rules, "
	       "%u valid\n", b, n, nb, rc, ct_valid());
	ct_compare();
}

/* The connections of expiry_edges() in both tables: the even copy of
 * each to EDGE_NS before its expiry, the odd one to EDGE_NS after. */
static void edge_age(void)
{
	struct xvs_ct_entry *t[2] = { fw_x.m.ct, fw_c.m.ct };
	uint64_t now = now_ns();
	uint32_t s, i, v;
	int side;

	for (side = 0; side < 2; side++)
		for (s = 0; s < CT_SLOTS; s++) {
			struct xvs_ct_entry *e = &t[side][s];

			if (XVS_CT_KIND(e->seq) != XVS_CT_VALID || e->key.zone != PORT_C)
				continue;
			v = e->key.port_lo >= EDGE_PORT ? e->key.port_lo : e->key.port_hi;
			i = (v - EDGE_PORT) / 2;
			if (v < EDGE_PORT || i >= XVS_ARRAY_SIZE(edges))
				continue;
			e->last = now - (uint64_t)timeouts[edges[i].cls] * NS_PER_S - CT_TOUCH_NS +
				  (v & 1 ? -EDGE_NS : EDGE_NS);
		}
}

/* Each connection of `edges` twice, aged to its expiry, then once more. */
static void expiry_edges(void)
{
	size_t i;
	int k, step;

	for (i = 0; i < XVS_ARRAY_SIZE(edges); i++)
		for (k = 0; k < 2; k++)
			for (step = 0; step < edges[i].n; step++)
				edge_frame(i, k, step, step & 1);
	edge_age();
	for (i = 0; i < XVS_ARRAY_SIZE(edges); i++)
		for (k = 0; k < 2; k++)
			edge_frame(i, k, edges[i].n, false);
}

/* ---- the passes ------------------------------------------------------------ */

static struct rset set_p, set_sa, set_sb, set_sb1, set_all, set_nodef;

static void zc_set(bool on)
{
	struct xvs_uplink up = { .xsk_base = 0, .port = 6 };
	struct xvs_zcq z = { .port = ZC_PORT, .flags = XVS_ZCQ_F_ON, .max_len = ZC_MAX_LEN };
	__u32 key = (__u32)lo_ifindex, zero = 0;

	if (on) {
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_uplinks), &key, &up, 0), 0);
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_zcq), &zero, &z, 0), 0);
	} else {
		bpf_map_delete_elem(bpf_map__fd(skel->maps.xvs_uplinks), &key);
	}
	zc_on = on;
}

static void bank_1(void **state)
{
	const struct bind_req b[] = { { PORT_A, &set_p }, { PORT_B, &set_sb } };

	(void)state;
	bank_load(b, XVS_ARRAY_SIZE(b), groups_1, XVS_ARRAY_SIZE(groups_1));
	probe_l2();
	probe_addrs();
	probe_groups();
	probe_protos();
	probe_ports();
	probe_icmp();
	probe_tcp_flags();
	probe_frags();
	probe_ext();
	probe_misc();
	tcp_sessions(&VM_B, true);
	tcp_matrix(&VM_B, 4);
	tcp_matrix(&VM_B, 6);
	udp_flows(&VM_B);
	echoes(&VM_B);
	icmp_errors(&VM_B);
	paths();
	malformed(&VM_A);
	truncated(&VM_B);
	check_every_rule_hit();
}

static void bank_2(void **state)
{
	const struct bind_req b[] = { { PORT_A, &set_sa }, { PORT_B, &set_sb1 }, { PORT_C, &set_all } };
	uint64_t now = now_ns();

	(void)state;
	continue_flows();
	bank_load(b, XVS_ARRAY_SIZE(b), groups_2, XVS_ARRAY_SIZE(groups_2));
	continue_flows_after();
	tcp_sessions(&VM_A, true);
	udp_flows(&VM_A);
	echoes(&VM_A);
	icmp_errors(&VM_A);
	udp_flows(&VM_B);
	probe_groups();
	/* VM C takes everything, statefully: connections at their expiry,
	 * then until the table is full */
	expiry_edges();
	flood(&VM_C, 1400);
	assert_true(n_fw_reason[XVS_FW_CT_FULL] > 0);
	if (now < 2 * AGE_NS) {
		printf("# uptime under %llu s: conntrack not aged\n",
		       (unsigned long long)(2 * AGE_NS / NS_PER_S));
	} else {
		printf("# aging both conntrack tables by %llu s: %u valid before\n",
		       (unsigned long long)(AGE_NS / NS_PER_S), ct_valid());
		ct_age(AGE_NS);
		printf("# %u valid after (expired ones included)\n", ct_valid());
	}
	continue_flows_after();
	tcp_sessions(&VM_A, false);
	flood(&VM_C, 200);
	echoes(&VM_A);
}

static void bank_3(void **state)
{
	const struct bind_req b[] = { { PORT_A, &set_p }, { PORT_B, &set_sb }, { PORT_C, &set_nodef } };

	(void)state;
	bank_load(b, XVS_ARRAY_SIZE(b), groups_3, XVS_ARRAY_SIZE(groups_3));
	/* VM B behind a zero-copy queue: XDP judges it there */
	zc_set(true);
	tcp_sessions(&VM_B, true);
	tcp_matrix(&VM_B, 4);
	udp_flows(&VM_B);
	echoes(&VM_B);
	icmp_errors(&VM_B);
	paths();
	truncated(&VM_B);
	zc_set(false);
	probe_groups();
	probe_ports();
	probe_frags();
	probe_ext();
	tcp_sessions(&VM_C, false);
	udp_flows(&VM_C);
	malformed(&VM_C);
}

static void mutated(void **state)
{
	(void)state;
	mutations(1200);
	zc_set(true);
	mutations(400);
	zc_set(false);
}

/* Everything counted over the whole run agrees; the corpus covered every
 * firewall reason. */
static void totals(void **state)
{
	struct xvs_counter x, c[XVS_FW_REASON_MAX];
	uint32_t p, d, r, s;
	size_t i;

	(void)state;
	/* not a skip: an earlier test found the evaluators apart, and the
	 * totals of a run that diverged prove nothing */
	if (diverged)
		fail_msg("an earlier frame diverged: totals not compared");
	check_rule_totals();
	for (p = 0; p < XVS_MAX_PORTS; p++)
		for (d = 0; d < XVS_FW_DIRS; d++) {
			fw_sum_reason(&fw_c, (uint16_t)p, (int)d, c);
			for (r = 0; r < XVS_FW_REASON_MAX; r++) {
				pc_sum(fwst_fd, XVS_FW_STAT_IDX(p, d, r), &x);
				if (x.packets != c[r].packets || x.bytes != c[r].bytes)
					fail_msg("port %u dir %u %s: XDP %llu, C %llu", p, d,
						 xvs_fw_reason_names[r], (unsigned long long)x.packets,
						 (unsigned long long)c[r].packets);
			}
		}
	/* XDP used no slot past the table's mask */
	for (s = CT_SLOTS; s < XVS_CT_SIZE; s++)
		assert_int_equal(fw_x.m.ct[s].seq, 0);

	printf("# corpus: %u frames; %u connections re-judged at commits, each also judged "
	       "afresh from its opening frame\n", n_frames, n_rejudged);
	for (i = 0; i < CAT_MAX; i++)
		printf("#   %5u %s\n", n_cat[i], cat_names[i]);
	printf("# outcomes (XDP reason):");
	for (r = 1; r < XVS_REASON_MAX; r++)
		if (n_xdp_reason[r])
			printf(" %s %u", xvs_reason_names[r], n_xdp_reason[r]);
	printf("\n# firewall reasons:");
	for (r = 0; r < XVS_FW_REASON_MAX; r++)
		printf(" %s %u", xvs_fw_reason_names[r], n_fw_reason[r]);
	printf("\n");
	assert_true(n_frames >= 1000);
	for (r = XVS_FW_NONE + 1; r < XVS_FW_REASON_MAX; r++) {
		if (!n_fw_reason[r])
			print_error("no frame was judged %s\n", xvs_fw_reason_names[r]);
		assert_true(n_fw_reason[r] > 0);
	}
}

/* ---- setup ------------------------------------------------------------------ */

static void *map_mmap(struct bpf_map *m, size_t *len)
{
	size_t sz = (size_t)bpf_map__value_size(m) * bpf_map__max_entries(m);
	void *p;

	sz = (sz + page - 1) & ~(page - 1);
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED)
		return NULL;
	*len = sz;
	return p;
}

static int maps_fill(void)
{
	struct xvs_port vhost = { .kind = XVS_PORT_VHOST, .mtu = VM_MTU };
	struct xvs_port host = { .kind = XVS_PORT_HOST };
	int ports_fd = bpf_map__fd(skel->maps.xvs_ports), fdb_fd = bpf_map__fd(skel->maps.xvs_fdb);
	__u32 i;

	for (i = PORT_A; i <= PORT_C; i++)
		if (bpf_map_update_elem(ports_fd, &i, &vhost, 0))
			return -errno;
	i = PORT_HOST;
	if (bpf_map_update_elem(ports_fd, &i, &host, 0))
		return -errno;
	for (i = 0; i < XVS_ARRAY_SIZE(fdb); i++) {
		struct xvs_fdb_key k = { .vlan = fdb[i].vlan };
		struct xvs_fdb_val v = { .port = fdb[i].port, .flags = XVS_FDB_F_STATIC };

		memcpy(k.mac, fdb[i].mac, 6);
		if (bpf_map_update_elem(fdb_fd, &k, &v, 0))
			return -errno;
	}
	return 0;
}

static int tables_init(void)
{
	struct bpf_map *maps[4] = { skel->maps.xvs_acl, skel->maps.xvs_acl_bind,
				    skel->maps.xvs_fw_cfg, skel->maps.xvs_ct };
	struct fw_mem m;
	int i, err;

	for (i = 0; i < 4; i++) {
		map_mem[i] = map_mmap(maps[i], &map_len[i]);
		if (!map_mem[i]) {
			fprintf(stderr, "mmap of %s: %s\n", bpf_map__name(maps[i]), strerror(errno));
			return -1;
		}
	}
	m = (struct fw_mem){ .rules = map_mem[0], .binds = map_mem[1], .cfg = map_mem[2],
			     .ct = map_mem[3], .ct_size = CT_SLOTS };
	/* the same seed on both sides (a non-zero seed is kept) */
	((struct xvs_fw_cfg *)map_mem[2])->seed = CT_SEED;
	err = fw_init_shared(&fw_x, 1, &m);
	err = err ?: fw_init_private(&fw_c, 1, CT_SLOTS);
	err = err ?: fw_init_private(&fw_o, 1, CT_SLOTS);
	if (err) {
		fprintf(stderr, "firewall tables: %s\n", strerror(-err));
		return -1;
	}
	fw_c.m.cfg->seed = CT_SEED;
	fw_set_timeouts(&fw_x, timeouts);
	fw_set_timeouts(&fw_c, timeouts);
	fw_set_timeouts(&fw_o, timeouts);
	fw_set_on(&fw_x, true);
	fw_set_on(&fw_c, true);
	fw_set_on(&fw_o, true);
	openers = calloc(CT_SLOTS, sizeof(*openers));
	if (!openers)
		return -1;
	set_probes(&set_p);
	set_sa.id = 1;
	set_stateful(&set_sa, &VM_A, 0);
	set_sb.id = 2;
	set_stateful(&set_sb, &VM_B, 0);
	set_sb1.id = 3;
	set_stateful(&set_sb1, &VM_B, 1);
	set_all.id = 4;
	set_allow_all(&set_all);
	set_nodef.id = 5;
	set_no_default(&set_nodef);
	return 0;
}

static int group_setup(void **state)
{
	struct bpf_map *map;
	int err;

	(void)state;
	page = (size_t)sysconf(_SC_PAGESIZE);
	trace = getenv("XVS_FW_TRACE") && !strcmp(getenv("XVS_FW_TRACE"), "1");
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (need root)\n", strerror(errno));
		return -1;
	}
	if (system("ip link set lo up")) {
		fprintf(stderr, "cannot bring lo up in the test's namespace\n");
		return -1;
	}
	lo_ifindex = (int)if_nametoindex("lo");
	ncpu = libbpf_num_possible_cpus();
	pcpu = calloc((size_t)ncpu, sizeof(*pcpu));
	guard = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!pcpu || guard == MAP_FAILED || mprotect(guard + 2 * page, page, PROT_NONE))
		return -1;

	skel = xvs_xdp__open();
	if (!skel)
		return -1;
	/* The test's maps are its own: no pinning into the host's bpffs. */
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = xvs_xdp__load(skel);
	if (err) {
		fprintf(stderr, "loading xvs_xdp: %s\n", strerror(-err));
		return -1;
	}
	prog_fd = bpf_program__fd(skel->progs.xvs_xdp);
	stats_fd = bpf_map__fd(skel->maps.xvs_stats);
	fwst_fd = bpf_map__fd(skel->maps.xvs_fw_stats);
	aclst_fd = bpf_map__fd(skel->maps.xvs_acl_stats);
	groups_fd = bpf_map__fd(skel->maps.xvs_fw_groups);
	err = maps_fill();
	if (err) {
		fprintf(stderr, "populating maps: %s\n", strerror(-err));
		return -1;
	}
	return tables_init();
}

static int group_teardown(void **state)
{
	int i;

	(void)state;
	fw_destroy(&fw_o);
	fw_destroy(&fw_c);
	fw_destroy(&fw_x);
	free(openers);
	for (i = 0; i < 4; i++)
		if (map_mem[i])
			munmap(map_mem[i], map_len[i]);
	xvs_xdp__destroy(skel);
	if (guard && guard != MAP_FAILED)
		munmap(guard, 3 * page);
	free(pcpu);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bank_1),
		cmocka_unit_test(bank_2),
		cmocka_unit_test(bank_3),
		cmocka_unit_test(mutated),
		cmocka_unit_test(totals),
	};

	return cmocka_run_group_tests_name("fw_corpus", tests, group_setup, group_teardown);
}
