/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Everything the XDP program (bpf/xvs_xdp.bpf.c) and userspace share: map
 * names, keys, values, flags and the counter table. One definition; the
 * _Static_asserts pin the layouts the kernel sees.
 *
 *   frame ─► parse ─► FDB[(vlan, dst mac)] ─► port ─► VM? ─► firewall ─► XSKMAP[base+rxq]
 *              │            │ miss                 │         ├ drop ───► XDP_DROP
 *              │            │                      │         └ reject ─► answer (<xvs/fw_reply.h>):
 *              │            │                      │                     XDP_TX, or XDP_DROP
 *              │            │                      └─ no ─► XDP_PASS (host)
 *              │            └────────► unknown unicast: host (or switch, cfg)
 *              │   bcast/mcast ──────► switch socket   (or host, cfg)
 *              └─ malformed ─────────► XDP_DROP, counted by reason
 */
#ifndef XVS_XDP_H
#define XVS_XDP_H

#include <xvs/compiler.h>

/* Maps are pinned by these names under XVS_BPFFS_ROOT/<switch name>/. */
#define XVS_BPFFS_ROOT "/sys/fs/bpf/xvs"
#define XVS_MAP_FDB "xvs_fdb"
#define XVS_MAP_PORTS "xvs_ports"
#define XVS_MAP_UPLINKS "xvs_uplinks"
#define XVS_MAP_XSKS "xvs_xsks"
#define XVS_MAP_CFG "xvs_cfg"
#define XVS_MAP_STATS "xvs_stats"
#define XVS_MAP_ZCQ "xvs_zcq"
#define XVS_MAP_LEARN "xvs_learn"
#define XVS_XDP_PROG_NAME "xvs_xdp"

#define XVS_MAX_PORTS 256
#define XVS_MAX_XSKS 256 /* sockets of all uplinks together */
#define XVS_MAX_UPLINKS 64
#define XVS_FDB_SIZE 16384
#define XVS_LEARN_SIZE 4096 /* sources seen between two drains (LRU) */
#define XVS_MAX_VLANS 2 /* tags parsed; a deeper stack is malformed */
#define XVS_IP6_MAX_EXT 8 /* extension headers walked before giving up */
#define XVS_DEFAULT_MTU 1500
#define XVS_VLAN_NONE 0 /* FDB vlan of untagged frames */

/* FDB: (vlan, destination MAC) → port. Userspace owns it (learning, aging,
 * static entries) and mirrors into the map the entries XDP needs. */
struct xvs_fdb_key {
	__u16 vlan; /* VID of the outer tag, XVS_VLAN_NONE if untagged */
	__u8 mac[6];
};
_Static_assert(sizeof(struct xvs_fdb_key) == 8, "xvs_fdb_key layout");

enum xvs_fdb_flags {
	XVS_FDB_F_STATIC = 1u << 0, /* from config; never aged */
};

struct xvs_fdb_val {
	__u32 port; /* index into xvs_ports */
	__u32 flags; /* enum xvs_fdb_flags */
};
_Static_assert(sizeof(struct xvs_fdb_val) == 8, "xvs_fdb_val layout");

enum xvs_port_kind {
	XVS_PORT_NONE = 0, /* unused slot */
	XVS_PORT_VHOST = 1, /* a VM: frames for it go to the switch */
	XVS_PORT_UPLINK = 2, /* lives behind an uplink */
	XVS_PORT_HOST = 3, /* the host itself */
};

struct xvs_port {
	__u32 kind; /* enum xvs_port_kind */
	__u32 mtu; /* L3 MTU; 0 means XVS_DEFAULT_MTU */
};
_Static_assert(sizeof(struct xvs_port) == 8, "xvs_port layout");

/* Per uplink (keyed by ifindex), written by xvsd: where its queues'
 * sockets start in the shared XSKMAP, and its own xvs_cfg flags. An uplink
 * without an entry (a program xdp-loader attached, no daemon) uses
 * slot = rx queue index and the switch-wide flags in xvs_cfg. */
struct xvs_uplink {
	__u32 xsk_base;
	__u32 port;
	__u32 flags; /* enum xvs_cfg_flags */
	__u32 pad;
};
_Static_assert(sizeof(struct xvs_uplink) == 16, "xvs_uplink layout");

/*
 * Per XSKMAP slot (an uplink's xsk_base + rx queue), written by xvsd: the
 * queue is dedicated to one VM, whose zero-copy socket is in the slot and
 * whose UMEM is the VM's own memory. Only unicast frames for that VM (the
 * FDB says so) of at most max_len bytes once the outer VLAN tag is taken
 * off are redirected there (the tag is removed in XDP: the VM is on an
 * access port); broadcasts and everything else arriving on the queue go to
 * the host (the switch takes its copy of broadcasts from its tap), so
 * nothing but the VM's own frames ever lands in its memory.
 *
 * max_len is the length check of the zero-copy contract: every buffer
 * xvsd puts on that socket's fill ring holds the virtio-net header plus
 * max_len + XVS_VLAN_HLEN bytes, the UMEM chunk lets the kernel write no
 * more than that, and XDP redirects nothing longer than max_len (see
 * src/dp/zc.c).
 */
struct xvs_zcq {
	__u32 port; /* the VM's port (index into xvs_ports) */
	__u32 flags; /* enum xvs_zcq_flags */
	__u32 max_len; /* untagged Ethernet frame: the port's MTU + 14 */
	__u32 pad;
};
_Static_assert(sizeof(struct xvs_zcq) == 16, "xvs_zcq layout");

/*
 * Sources the switch would learn from frames it never sees: a frame XDP
 * puts straight into a VM's memory (ZC_TO_VM) still tells where its
 * source lives. XDP records (vlan, source) → uplink port in xvs_learn (an
 * LRU hash, key and value as the FDB's); xvsd drains it every tick into
 * its FDB, as if the switch had received the frame. The frame's bytes in
 * guest memory are never read for this: the guest could rewrite them.
 */

enum xvs_zcq_flags {
	XVS_ZCQ_F_ON = 1u << 0, /* the queue is dedicated (the socket may be
				   down for a moment: then frames for the VM
				   are dropped, counted as ZC_DOWN) */
};

/*
 * XDP metadata of every frame redirected to the switch's socket (the 8
 * bytes in front of the frame; AF_XDP copies them along): which VM port's
 * to-vm rules already passed it, so the forwarder does not judge it again.
 * The forwarder trusts it only with the magic and the frame's length; the
 * bytes come from the XDP program alone (the UMEM is the switch's).
 */
struct xvs_meta {
	__u32 magic; /* XVS_META_MAGIC */
	__u16 judged; /* a VM port, or XVS_META_NONE */
	__u16 len; /* the frame's length, low 16 bits */
};
_Static_assert(sizeof(struct xvs_meta) == 8, "xvs_meta layout");
#define XVS_META_MAGIC 0x78767331u /* "xvs1" */
#define XVS_META_NONE 0xffffu

enum xvs_cfg_flags {
	/* Broadcast/multicast: XDP_PASS to the host (the switch taps its copy
	 * after the stack has it) instead of redirecting to the switch. */
	XVS_CFG_F_FLOOD_TO_HOST = 1u << 0,
	/* Unknown unicast: redirect to the switch instead of the host. */
	XVS_CFG_F_UNKNOWN_TO_SWITCH = 1u << 1,
};

struct xvs_cfg {
	__u32 flags; /* enum xvs_cfg_flags */
	__u32 pad;
};
_Static_assert(sizeof(struct xvs_cfg) == 8, "xvs_cfg layout");

/*
 * Counters. Every frame adds to exactly one verdict and exactly one reason
 * (its length as it arrived, an answer sent back in its place too); each
 * reason belongs to one verdict. X(name, verdict, description).
 */
#define XVS_REASONS(X)                                                          \
	X(TO_VM, REDIRECT, "unicast to a VM port, redirected to its socket")   \
	X(FLOOD, REDIRECT, "broadcast/multicast, redirected to the switch")    \
	X(UNKNOWN_SWITCH, REDIRECT, "unknown unicast, redirected to the switch") \
	X(FLOOD_HOST, PASS, "broadcast/multicast, passed to the host")          \
	X(UNKNOWN, PASS, "unknown unicast, passed to the host")                 \
	X(NOT_VM, PASS, "destination is not a VM port, passed to the host")    \
	X(NO_XSK_PASS, PASS, "no switch socket on this queue, passed to host") \
	X(ZC_TO_VM, REDIRECT, "to the VM owning this zero-copy queue, into its memory") \
	X(ZC_FLOOD, PASS, "broadcast/multicast on a VM's zero-copy queue, to the host") \
	X(ZC_OTHER, PASS, "on a VM's zero-copy queue, not for that VM, to the host") \
	X(ZC_DOWN, DROP, "for a zero-copy VM whose socket is being rebuilt")   \
	X(NO_XSK, DROP, "VM frame, but no switch socket on this queue")        \
	X(MTU, DROP, "frame larger than the destination port's MTU")           \
	X(FW_DROP, DROP, "dropped by the destination VM's firewall (xvs_fw_stats: why)") \
	X(FW_REJECT, DROP, "rejected by the destination VM's firewall, not answered "       \
	  "(rate limit, or no answer allowed)")                                  \
	X(FW_REJECT_SENT, TX, "rejected by the destination VM's firewall, answered") \
	X(RUNT, DROP, "shorter than an Ethernet header")                       \
	X(VLAN_TRUNC, DROP, "VLAN tag truncated")                              \
	X(VLAN_DEPTH, DROP, "more VLAN tags than supported")                   \
	X(IP4_TRUNC, DROP, "IPv4 header or packet truncated")                  \
	X(IP4_HDR, DROP, "IPv4 header invalid (version, IHL, length)")         \
	X(IP6_TRUNC, DROP, "IPv6 header or payload truncated")                 \
	X(IP6_HDR, DROP, "IPv6 header invalid (version)")                     \
	X(IP6_EXT_TRUNC, DROP, "IPv6 extension header truncated")              \
	X(IP6_EXT_DEPTH, DROP, "too many IPv6 extension headers")              \
	X(L4_TRUNC, DROP, "TCP/UDP/ICMP header truncated")

#define XVS_VERDICTS(X)                                                         \
	X(REDIRECT, "redirected to an AF_XDP socket")                          \
	X(PASS, "passed to the host stack")                                    \
	X(DROP, "dropped")                                                      \
	X(TX, "sent back out of the receiving interface")

enum xvs_verdict {
#define XVS_X(name, desc) XVS_VERDICT_##name,
	XVS_VERDICTS(XVS_X)
#undef XVS_X
	XVS_VERDICT_MAX
};

/* XVS_REASON_OK (0) is "parsed fine, no reason yet", never counted. */
enum xvs_reason {
	XVS_REASON_OK = 0,
#define XVS_X(name, verdict, desc) XVS_REASON_##name,
	XVS_REASONS(XVS_X)
#undef XVS_X
	XVS_REASON_MAX
};

/* Index into xvs_stats: verdicts first, then reasons (minus OK). */
#define XVS_STAT_VERDICT(v) ((__u32)(v))
#define XVS_STAT_REASON(r) ((__u32)XVS_VERDICT_MAX + (__u32)(r) - 1)
#define XVS_STAT_MAX (XVS_STAT_REASON(XVS_REASON_MAX))

/* The verdict a reason belongs to; XDP counts through this, so the two
 * counters of a frame always agree with the table. */
XVS_INLINE enum xvs_verdict xvs_reason_verdict(enum xvs_reason r)
{
	switch (r) {
#define XVS_X(name, verdict, desc)                                             \
	case XVS_REASON_##name:                                                \
		return XVS_VERDICT_##verdict;
		XVS_REASONS(XVS_X)
#undef XVS_X
	default:
		return XVS_VERDICT_DROP;
	}
}

#ifndef __bpf__
/* Names for userspace: counters are reported as "<verdict>" and
 * "<verdict>.<reason>", lower case. */
static const char *const xvs_verdict_names[XVS_VERDICT_MAX] = {
	[XVS_VERDICT_REDIRECT] = "redirect",
	[XVS_VERDICT_PASS] = "pass",
	[XVS_VERDICT_DROP] = "drop",
	[XVS_VERDICT_TX] = "tx",
};

static const char *const xvs_reason_names[XVS_REASON_MAX] = {
	[XVS_REASON_OK] = "ok",
#define XVS_X(name, verdict, desc) [XVS_REASON_##name] = #name,
	XVS_REASONS(XVS_X)
#undef XVS_X
};

static const char *const xvs_reason_descs[XVS_REASON_MAX] = {
	[XVS_REASON_OK] = "parsed",
#define XVS_X(name, verdict, desc) [XVS_REASON_##name] = desc,
	XVS_REASONS(XVS_X)
#undef XVS_X
};
#endif

struct xvs_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct xvs_counter) == 16, "xvs_counter layout");

#endif /* XVS_XDP_H */
