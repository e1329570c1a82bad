// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvs_xdp: the steering program attached to every uplink. Parses the frame
 * (include/xvs/parse.h), looks its destination up in the FDB and sends it to
 * the switch's AF_XDP socket of the receiving queue, to the host stack, or
 * drops it. Map layouts and the counter table are in include/xvs/xdp.h.
 *
 * Maps are pinned by name (LIBBPF_PIN_BY_NAME) under the pin path the loader
 * is given (xvsd, or `xdp-loader load -p /sys/fs/bpf/xvs/<switch>`), so all
 * uplinks of one switch share them and a daemon started later adopts them.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>
#include <xvs/parse.h>
#include <xvs/xdp.h>

struct xvs_env;
#define XVS_FW_NO_MEMO /* each XDP run judges one frame */
#include <xvs/fw_eval.h>
#include <xvs/fw_reply.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVS_FDB_SIZE);
	__type(key, struct xvs_fdb_key);
	__type(value, struct xvs_fdb_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVS_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct xvs_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVS_MAX_UPLINKS);
	__type(key, __u32); /* ifindex */
	__type(value, struct xvs_uplink);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_uplinks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XVS_MAX_XSKS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvs_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVS_MAX_XSKS);
	__type(key, __u32); /* XSKMAP slot */
	__type(value, struct xvs_zcq);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_zcq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XVS_LEARN_SIZE);
	__type(key, struct xvs_fdb_key);
	__type(value, struct xvs_fdb_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_learn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVS_STAT_MAX);
	__type(key, __u32);
	__type(value, struct xvs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_stats SEC(".maps");

/* The firewall's tables (include/xvs/fw.h). The rules, bindings, settings
 * and the conntrack table are mmapable: the forwarder reads and writes the
 * same memory. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * XVS_ACL_MAX_RULES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvs_acl_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_acl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVS_ACL_BIND_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvs_acl_bind);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_acl_bind SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * XVS_ACL_MAX_RULES);
	__type(key, __u32);
	__type(value, struct xvs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_acl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvs_fw_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_fw_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XVS_FW_MAX_GROUP_ADDRS);
	__type(key, struct xvs_fw_group_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_fw_groups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVS_CT_SIZE);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvs_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XVS_FW_STAT_MAX);
	__type(key, __u32);
	__type(value, struct xvs_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_fw_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XVS_MAX_PORTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xvs_fw_rl);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xvs_fw_rl SEC(".maps");

/* Per-CPU scratch, too large for the 512-byte stack: the parsed frame,
 * the firewall's temporaries, the answer to a rejected frame. XDP does not
 * nest on a CPU, so one per CPU; never shared, so not pinned. */
struct xvs_answer_buf {
	struct xvs_pkt pkt;
	struct xvs_fw_tmp t;
	struct xvs_reply r;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xvs_answer_buf);
} xvs_answer_buf SEC(".maps");

/* libxdp metadata: xdp-loader and libxdp both read it. Only XDP_PASS lets a
 * following program in a dispatcher chain run: what we redirect or drop is
 * ours. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xvs_xdp);

static __always_inline void count(__u32 idx, __u64 bytes)
{
	struct xvs_counter *c = bpf_map_lookup_elem(&xvs_stats, &idx);

	if (c) { /* per-CPU: no atomics needed */
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline int finish(enum xvs_reason reason, __u64 bytes)
{
	enum xvs_verdict v = xvs_reason_verdict(reason);

	count(XVS_STAT_VERDICT(v), bytes);
	count(XVS_STAT_REASON(reason), bytes);
	switch (v) {
	case XVS_VERDICT_REDIRECT:
		return XDP_REDIRECT;
	case XVS_VERDICT_PASS:
		return XDP_PASS;
	case XVS_VERDICT_TX:
		return XDP_TX;
	default:
		return XDP_DROP;
	}
}

/* ---- the firewall's tables as <xvs/fw_eval.h> reaches them ---- */

/* On the stack of xvs_xdp_fw(): what the bpf_loop() steps reach the
 * tables and the evaluation through (a stack pointer, as bpf_loop wants). */
struct xvs_env {
	struct xvs_answer_buf *s;
	const struct xvs_fw_ctx *c;
	struct xdp_md *xdp;
	__u32 bank;
};

XVS_INLINE const struct xvs_fw_ctx *xvs_env_ctx(struct xvs_env *env)
{
	return env->c;
}

XVS_INLINE struct xvs_fw_tmp *xvs_env_tmp(struct xvs_env *env)
{
	return &env->s->t;
}

XVS_INLINE int xvs_env_load(struct xvs_env *env, __u32 off, __u8 *dst, __u32 n)
{
	if (n > XVS_FW_INNER_MAX)
		return -1;
	return bpf_xdp_load_bytes(env->xdp, off, dst, n) ? -1 : 0;
}

XVS_INLINE const struct xvs_acl_rule *xvs_env_rule(struct xvs_env *env, __u32 i)
{
	__u32 idx;

	if (i >= XVS_ACL_MAX_RULES)
		return NULL;
	idx = XVS_ACL_RULE_IDX(env->bank & 1, i);
	return bpf_map_lookup_elem(&xvs_acl, &idx);
}

XVS_INLINE int xvs_env_group_has(struct xvs_env *env, const struct xvs_fw_group_key *k)
{
	(void)env;
	return bpf_map_lookup_elem(&xvs_fw_groups, k) != NULL;
}

XVS_INLINE struct xvs_ct_entry *xvs_env_ct(struct xvs_env *env, __u32 slot)
{
	(void)env;
	return bpf_map_lookup_elem(&xvs_ct, &slot);
}

XVS_INLINE void xvs_env_hit(struct xvs_env *env, __u32 rule, __u32 bytes)
{
	__u32 idx = XVS_ACL_RULE_IDX(env->bank & 1, rule);
	struct xvs_counter *c = bpf_map_lookup_elem(&xvs_acl_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/*
 * The answer to a rejected frame (TCP RST / ICMP unreachable,
 * <xvs/fw_reply.h>), in two global functions: the verifier checks each
 * once, on its own, rather than on every path that reaches a reject
 * (inlined, the answer took the verifier past its million instructions),
 * and each has a small stack frame next to the program's own: that one is
 * about 450 bytes, so what it calls has at most 64 of the 512 (a struct
 * xvs_reply alone is 200: it lives in xvs_answer_buf). reject() copies the
 * parsed frame there too: passing a pointer into the program's stack would
 * cost its verification more than half again.
 */

/* Prepare the answer to the frame parsed into the buffer, and take it from
 * port's rate limit: 0, or -1 if it must not or may not be answered. Only
 * frames that may be answered are counted against the limit, so that a
 * flood of others (RSTs, ICMP errors) does not use up the answers owed. */
__attribute__((noinline)) int xvs_xdp_reply_prepare(struct xdp_md *ctx, __u32 port)
{
	struct xvs_answer_buf *b;
	struct xvs_fw_cfg *fc;
	struct xvs_fw_rl *rl;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&xvs_answer_buf, &zero);
	if (!b || xvs_reply_prepare(&b->pkt, (void *)(long)ctx->data, (void *)(long)ctx->data_end,
				    (__u32)bpf_xdp_get_buff_len(ctx), &b->r))
		return -1;
	fc = bpf_map_lookup_elem(&xvs_fw_cfg, &zero);
	rl = bpf_map_lookup_elem(&xvs_fw_rl, &port);
	if (!fc || !rl)
		return -1;
	return xvs_fw_rl_take(rl, *(volatile __u32 *)&fc->reject_rate, bpf_ktime_get_ns()) ? 0 : -1;
}

/* Turn the frame into the answer prepared: 0, or -1 (the frame may have
 * been cut already: it is dropped). */
__attribute__((noinline)) int xvs_xdp_reply_send(struct xdp_md *ctx)
{
	struct xvs_answer_buf *b;
	int have, want;
	void *data, *end;
	__u32 zero = 0;

	b = bpf_map_lookup_elem(&xvs_answer_buf, &zero);
	if (!b)
		return -1;
	have = (int)bpf_xdp_get_buff_len(ctx);
	want = (int)xvs_reply_len(&b->r);
	if (!want)
		return -1;
	/* shorter: off the tail, which in a multi-buffer frame gives back
	 * the fragments; longer (an ICMP quote of a short frame): into the
	 * headroom */
	if (want < have && bpf_xdp_adjust_tail(ctx, want - have))
		return -1;
	if (want > have && bpf_xdp_adjust_head(ctx, have - want))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	/* all of it in the linear part, nothing left in fragments */
	if (bpf_xdp_get_buff_len(ctx) != (__u64)want || data + want > end)
		return -1;
	return xvs_reply_write(&b->r, data, end) == want ? 0 : -1;
}

/*
 * The firewall's evaluation of the frame parsed into xvs_answer_buf for VM
 * port `port` (it receives it), as a global function: the verifier checks
 * it once, on its own, with its temporaries in the per-CPU scratch; and its
 * stack frame is small beside the program's. Counted per (port, reason)
 * in xvs_fw_stats. Returns action << 8 | reason (enum xvs_fw_reason).
 */
__attribute__((noinline)) int xvs_xdp_fw(struct xdp_md *ctx, __u32 port, __u32 len)
{
	struct xvs_answer_buf *s;
	struct xvs_fw_verdict v;
	struct xvs_fw_ctx c = {};
	struct xvs_env env;
	struct xvs_fw_cfg *fc;
	struct xvs_acl_bind *b;
	struct xvs_counter *cnt;
	__u32 zero = 0, idx, bank;

	s = bpf_map_lookup_elem(&xvs_answer_buf, &zero);
	fc = bpf_map_lookup_elem(&xvs_fw_cfg, &zero);
	if (!s || !fc || !(fc->flags & XVS_FW_CFG_F_ON) || port >= XVS_MAX_PORTS)
		return XVS_ACL_ALLOW << 8 | XVS_FW_NONE;
	bank = *(volatile __u32 *)&fc->bank & 1;
	idx = XVS_ACL_BIND_IDX(bank, port, XVS_FW_TO_VM);
	b = bpf_map_lookup_elem(&xvs_acl_bind, &idx);
	if (!b || !b->count)
		return XVS_ACL_ALLOW << 8 | XVS_FW_NONE;

	c.pkt = &s->pkt;
	c.len = len;
	c.zone = (__u16)port;
	c.dir = XVS_FW_TO_VM;
	c.from_xdp = 1;
	c.bank = (__u8)bank;
	c.now = bpf_ktime_get_ns();
	c.cfg = fc;
	c.bind = *b;
	env.s = s;
	env.c = &c;
	env.xdp = ctx;
	env.bank = bank;
	xvs_fw_eval(&env, &v);

	idx = XVS_FW_STAT_IDX(port, XVS_FW_TO_VM, v.reason < XVS_FW_REASON_MAX ? v.reason : 0);
	cnt = bpf_map_lookup_elem(&xvs_fw_stats, &idx);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += len;
	}
	return (int)((__u32)v.action << 8 | v.reason);
}

/*
 * Judge a frame for VM port `port` (it receives it): XVS_REASON_OK if it
 * may go on, else the reason it ends with (FW_REJECT_SENT: it has been
 * rewritten into the answer). The frame is parsed in xvs_answer_buf.
 */
static __always_inline enum xvs_reason firewall(struct xdp_md *ctx, __u32 port, __u64 len)
{
	int r = xvs_xdp_fw(ctx, port, (__u32)len), action = (r >> 8) & 0xff;

	if (action == XVS_ACL_ALLOW)
		return XVS_REASON_OK;
	if (action != XVS_ACL_REJECT)
		return XVS_REASON_FW_DROP;
	if (xvs_xdp_reply_prepare(ctx, port) || xvs_xdp_reply_send(ctx))
		return XVS_REASON_FW_REJECT;
	return XVS_REASON_FW_REJECT_SENT;
}

/* Tell the switch (xvs_meta) whose to-vm rules passed the frame. */
static __always_inline void set_meta(struct xdp_md *ctx, __u32 judged, __u64 len)
{
	struct xvs_meta *m;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return; /* no room: the switch judges the frame itself */
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return;
	m->magic = XVS_META_MAGIC;
	m->judged = (__u16)judged;
	m->len = (__u16)len;
}

/* Redirect to the switch socket of this queue (its XSKMAP slot); `miss` is
 * the reason if the slot is empty (bpf_redirect_map returns its flags'
 * action then). `judged`: the VM port whose firewall passed it, or
 * XVS_META_NONE. */
static __always_inline int to_switch(struct xdp_md *ctx, __u32 slot, enum xvs_reason hit,
				     enum xvs_reason miss, __u64 len, __u32 judged)
{
	__u64 fallback = xvs_reason_verdict(miss) == XVS_VERDICT_PASS ? XDP_PASS : XDP_DROP;

	set_meta(ctx, judged, len);
	if (bpf_redirect_map(&xvs_xsks, slot, fallback) == XDP_REDIRECT)
		return finish(hit, len);
	finish(miss, len);
	return (int)fallback;
}

/* Take the outer VLAN tag off (the frame goes to a VM's access port): the
 * MACs move 4 bytes up over it. The caller has parsed the first 18 bytes. */
static __always_inline int pop_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 macs[12];

	if (data + XVS_ETH_HLEN + XVS_VLAN_HLEN > end)
		return -1;
	__builtin_memcpy(macs, data, 12);
	__builtin_memcpy(data + XVS_VLAN_HLEN, macs, 12);
	return bpf_xdp_adjust_head(ctx, XVS_VLAN_HLEN);
}

/* Tell the switch where a source lives (see xvs_learn): once per source
 * between two drains, a lookup otherwise. */
static __always_inline void learn(const struct xvs_pkt *pkt, __u32 port)
{
	struct xvs_fdb_key k = { .vlan = pkt->n_vlan ? pkt->vlan[0] : XVS_VLAN_NONE };
	struct xvs_fdb_val v = { .port = port }, *have;

	if (pkt->src[0] & 1)
		return;
	__builtin_memcpy(k.mac, pkt->src, 6);
	have = bpf_map_lookup_elem(&xvs_learn, &k);
	if (!have || have->port != port)
		bpf_map_update_elem(&xvs_learn, &k, &v, BPF_ANY);
}

/*
 * A queue dedicated to one VM (its socket's UMEM is the VM's memory): only
 * that VM's unicast that fits its buffers goes in; the rest to the host.
 */
static __always_inline int zc_queue(struct xdp_md *ctx, const struct xvs_zcq *zq,
				    const struct xvs_pkt *pkt, const struct xvs_fdb_val *fdb,
				    __u32 slot, __u32 uplink_port, __u64 len)
{
	__u64 untagged = len - (pkt->n_vlan ? XVS_VLAN_HLEN : 0);
	enum xvs_reason r;

	if (pkt->flags & XVS_PKT_F_MCAST)
		return finish(XVS_REASON_ZC_FLOOD, len);
	if (!fdb || fdb->port != zq->port)
		return finish(XVS_REASON_ZC_OTHER, len);
	if (untagged > zq->max_len)
		return finish(XVS_REASON_MTU, len);
	r = firewall(ctx, zq->port, len);
	if (r != XVS_REASON_OK)
		return finish(r, len);
	/* the switch never sees this frame: it learns its source from here */
	learn(pkt, uplink_port);
	if (pkt->n_vlan && pop_vlan(ctx))
		return finish(XVS_REASON_VLAN_TRUNC, len);
	/* no socket in the slot (being rebuilt): dropped */
	if (bpf_redirect_map(&xvs_xsks, slot, XDP_DROP) == XDP_REDIRECT)
		return finish(XVS_REASON_ZC_TO_VM, len);
	return finish(XVS_REASON_ZC_DOWN, len);
}

SEC("xdp.frags")
int xvs_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 len = bpf_xdp_get_buff_len(ctx);
	struct xvs_answer_buf *sb;
	struct xvs_pkt *pkt;
	struct xvs_fdb_key key = {};
	struct xvs_fdb_val *fdb;
	struct xvs_port *port;
	struct xvs_uplink *up;
	struct xvs_cfg *cfg;
	struct xvs_zcq *zq;
	__u32 zero = 0, ifindex = ctx->ingress_ifindex, flags, mtu, l2len, base = 0, slot;
	int r;

	/* parsed into the per-CPU scratch, where the firewall finds it */
	sb = bpf_map_lookup_elem(&xvs_answer_buf, &zero);
	if (!sb)
		return XDP_ABORTED;
	pkt = &sb->pkt;
	__builtin_memset(pkt, 0, sizeof(*pkt));
	r = xvs_parse(data, end, (__u32)len, pkt);
	if (r != XVS_REASON_OK)
		return finish(r, len);

	up = bpf_map_lookup_elem(&xvs_uplinks, &ifindex);
	if (up) {
		flags = up->flags;
		base = up->xsk_base;
	} else {
		cfg = bpf_map_lookup_elem(&xvs_cfg, &zero);
		flags = cfg ? cfg->flags : 0;
	}

	slot = base + ctx->rx_queue_index;
	zq = up ? bpf_map_lookup_elem(&xvs_zcq, &slot) : NULL;
	if (zq && (zq->flags & XVS_ZCQ_F_ON)) {
		key.vlan = pkt->n_vlan ? pkt->vlan[0] : XVS_VLAN_NONE;
		__builtin_memcpy(key.mac, pkt->dst, 6);
		fdb = (pkt->flags & XVS_PKT_F_MCAST) ? NULL : bpf_map_lookup_elem(&xvs_fdb, &key);
		return zc_queue(ctx, zq, pkt, fdb, slot, up->port, len);
	}

	if (pkt->flags & XVS_PKT_F_MCAST) {
		if (flags & XVS_CFG_F_FLOOD_TO_HOST)
			return finish(XVS_REASON_FLOOD_HOST, len);
		return to_switch(ctx, slot, XVS_REASON_FLOOD, XVS_REASON_NO_XSK_PASS, len,
				 XVS_META_NONE);
	}

	key.vlan = pkt->n_vlan ? pkt->vlan[0] : XVS_VLAN_NONE;
	__builtin_memcpy(key.mac, pkt->dst, 6);
	fdb = bpf_map_lookup_elem(&xvs_fdb, &key);
	if (!fdb) {
		if (flags & XVS_CFG_F_UNKNOWN_TO_SWITCH)
			return to_switch(ctx, slot, XVS_REASON_UNKNOWN_SWITCH,
					 XVS_REASON_NO_XSK_PASS, len, XVS_META_NONE);
		return finish(XVS_REASON_UNKNOWN, len);
	}

	port = bpf_map_lookup_elem(&xvs_ports, &fdb->port);
	if (!port || port->kind != XVS_PORT_VHOST)
		return finish(XVS_REASON_NOT_VM, len);

	mtu = port->mtu ? port->mtu : XVS_DEFAULT_MTU;
	l2len = XVS_ETH_HLEN + pkt->n_vlan * XVS_VLAN_HLEN;
	if (len > l2len + mtu)
		return finish(XVS_REASON_MTU, len);
	r = firewall(ctx, fdb->port, len);
	if (r != XVS_REASON_OK)
		return finish(r, len);

	return to_switch(ctx, slot, XVS_REASON_TO_VM, XVS_REASON_NO_XSK, len, fdb->port);
}

char _license[] SEC("license") = "GPL";
