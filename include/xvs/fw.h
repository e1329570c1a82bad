/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The firewall's shared layouts: compiled rules, their bindings to ports,
 * the connection-tracking table, counters and reasons. The XDP program
 * (bpf/xvs_xdp.bpf.c) and the forwarder (src/fw/) both evaluate them with
 * the one evaluator in <xvs/fw_eval.h>; this file holds only data.
 *
 *   frame ─► parse ─► ct lookup (zone = the VM's port) ── hit ──► allow (established / related)
 *                         │ miss
 *                         ▼
 *            rules of (port, direction), first match wins ─► allow [+ ct entry if stateful]
 *                                                          ─► drop / reject (counted)
 *
 * Compiled rules live in two banks (XVS_MAP_ACL, XVS_MAP_ACL_BIND); the one
 * in force is xvs_fw_cfg.bank. A reload writes the other bank, flips the
 * word and waits for a grace period (membarrier(MEMBARRIER_CMD_GLOBAL)
 * waits for every XDP program in flight; dp_sync for the workers) before
 * that bank may be written again.
 *
 * The conntrack table (XVS_MAP_CT) is one BPF_F_MMAPABLE array: xvsd maps
 * it, so the forwarder looks up and inserts without a system call, and XDP
 * judges replies from the wire in the same table before any copy.
 */
#ifndef XVS_FW_H
#define XVS_FW_H

#include <xvs/compiler.h>
#include <xvs/xdp.h>

#define XVS_MAP_ACL "xvs_acl"
#define XVS_MAP_ACL_BIND "xvs_acl_bind"
#define XVS_MAP_ACL_STATS "xvs_acl_stats"
#define XVS_MAP_FW_CFG "xvs_fw_cfg"
#define XVS_MAP_FW_GROUPS "xvs_fw_groups"
#define XVS_MAP_CT "xvs_ct"
#define XVS_MAP_FW_STATS "xvs_fw_stats"
#define XVS_MAP_FW_RL "xvs_fw_rl"

#define XVS_ACL_MAX_RULES 16384 /* compiled rules of one bank, all ports */
#define XVS_ACL_MAX_PER_BIND 1024 /* rules one (port, direction) walks */
#define XVS_FW_MAX_GROUP_ADDRS 16384 /* (group, address) pairs */
#define XVS_FW_MAX_GROUPS 1024
#define XVS_CT_SIZE 65536 /* entries; a power of two */
#define XVS_CT_PROBE 8 /* slots a key may occupy, from its hash on */

enum xvs_fw_dir {
	XVS_FW_TO_VM = 0, /* frames a VM port receives */
	XVS_FW_FROM_VM = 1, /* frames a VM port sends */
	XVS_FW_DIRS = 2,
};

/* Index of a binding: bank, port, direction. */
#define XVS_ACL_BIND_IDX(bank, port, dir)                                      \
	((__u32)(bank) * XVS_MAX_PORTS * XVS_FW_DIRS + (__u32)(port) * XVS_FW_DIRS + (__u32)(dir))
#define XVS_ACL_BIND_MAX (2 * XVS_MAX_PORTS * XVS_FW_DIRS)
/* Index of a bank's rule i. */
#define XVS_ACL_RULE_IDX(bank, i) ((__u32)(bank) * XVS_ACL_MAX_RULES + (__u32)(i))

enum xvs_acl_action {
	XVS_ACL_ALLOW = 0,
	XVS_ACL_DROP = 1,
	XVS_ACL_REJECT = 2, /* drop, and answer TCP RST / ICMP unreachable (rate-limited) */
	XVS_ACL_COUNT = 3, /* count, then go on with the next rule */
};

/* What a rule compares; a field not named here is not looked at. */
enum xvs_acl_match {
	XVS_ACL_M_SMAC = 1u << 0,
	XVS_ACL_M_DMAC = 1u << 1,
	XVS_ACL_M_VLAN = 1u << 2, /* outer VID (uplink side); a VM port's own VLAN */
	XVS_ACL_M_ETYPE = 1u << 3, /* after the VLAN tags */
	XVS_ACL_M_FAMILY = 1u << 4, /* IPv4 or IPv6 (family); implied by addresses */
	XVS_ACL_M_SADDR = 1u << 5, /* (saddr & smask) == saddr of the rule */
	XVS_ACL_M_DADDR = 1u << 6,
	XVS_ACL_M_SGROUP = 1u << 7, /* the source is an address of group sgroup */
	XVS_ACL_M_DGROUP = 1u << 8,
	XVS_ACL_M_PROTO = 1u << 9, /* IP protocol (IPv6: after extension headers) */
	XVS_ACL_M_SPORT = 1u << 10, /* TCP/UDP/SCTP source port in [lo, hi] */
	XVS_ACL_M_DPORT = 1u << 11,
	XVS_ACL_M_ICMP_TYPE = 1u << 12, /* ICMP or ICMPv6, by family */
	XVS_ACL_M_ICMP_CODE = 1u << 13,
	XVS_ACL_M_TCP_FLAGS = 1u << 14, /* (flags & tcp_mask) == tcp_flags */
	/* a later fragment (no L4 header) never matches a rule that looks at
	 * L4 fields (ports, ICMP, TCP flags) */
};
#define XVS_ACL_M_L4 (XVS_ACL_M_SPORT | XVS_ACL_M_DPORT | XVS_ACL_M_ICMP_TYPE |             \
		      XVS_ACL_M_ICMP_CODE | XVS_ACL_M_TCP_FLAGS)

enum xvs_acl_flags {
	XVS_ACL_F_STATEFUL = 1u << 0, /* an allowed new connection gets a ct entry */
	XVS_ACL_F_DEFAULT = 1u << 1, /* the default policy of its rule set */
};

/* One compiled rule: 128 bytes, two cache lines; the first holds all but
 * the addresses. Addresses are in network order, pre-masked. */
struct xvs_acl_rule {
	__u32 match; /* enum xvs_acl_match */
	__u8 action; /* enum xvs_acl_action */
	__u8 flags; /* enum xvs_acl_flags */
	__u8 family; /* 4 or 6, with XVS_ACL_M_FAMILY */
	__u8 proto;
	__u16 ethertype;
	__u16 vlan;
	__u8 smac[6];
	__u8 dmac[6];
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u8 icmp_type, icmp_code;
	__u8 tcp_flags, tcp_mask;
	__u16 sgroup, dgroup; /* with XVS_ACL_M_SGROUP / DGROUP */
	__u32 set; /* the rule set (config order), for show */
	__u32 pos; /* the rule's place in its set; the default policy: count */
	__u8 pad[16];
	__u32 saddr[4], smask[4];
	__u32 daddr[4], dmask[4];
};
_Static_assert(sizeof(struct xvs_acl_rule) == 128, "xvs_acl_rule layout");

/* The rules one (port, direction) walks: [first, first + count) of its
 * bank. count 0: no firewall there, everything passes, nothing tracked. */
struct xvs_acl_bind {
	__u32 first;
	__u32 count;
};
_Static_assert(sizeof(struct xvs_acl_bind) == 8, "xvs_acl_bind layout");

/* Remote groups: (group, address) of a bank is a key of XVS_MAP_FW_GROUPS
 * (a hash; the forwarder keeps its own table of the same keys). */
struct xvs_fw_group_key {
	__u16 group;
	__u8 family;
	__u8 bank;
	__u32 addr[4]; /* network order; IPv4 in [0], the rest 0 */
};
_Static_assert(sizeof(struct xvs_fw_group_key) == 20, "xvs_fw_group_key layout");

/* Timeouts, seconds, by conntrack state class. */
enum xvs_ct_timeout {
	XVS_CT_TO_TCP_SYN, /* handshake not finished */
	XVS_CT_TO_TCP_EST,
	XVS_CT_TO_TCP_FIN, /* a FIN seen */
	XVS_CT_TO_TCP_CLOSE, /* RST, or both FINs */
	XVS_CT_TO_UDP, /* one way only so far */
	XVS_CT_TO_UDP_STREAM, /* replies seen */
	XVS_CT_TO_ICMP,
	XVS_CT_TO_MAX,
};

/* Switch-wide firewall settings: one entry, written by xvsd. */
struct xvs_fw_cfg {
	__u32 bank; /* 0 or 1: the rules in force */
	__u32 flags; /* enum xvs_fw_cfg_flags */
	__u32 timeout[XVS_CT_TO_MAX]; /* seconds */
	__u32 ct_mask; /* conntrack slots - 1 (the map's size, a power of two) */
	__u32 seed; /* of the conntrack hash: random per table, so that a guest
		       cannot aim its flows at one bucket */
	__u32 reject_rate; /* answers to rejected packets per port and second;
			      0: reject drops silently */
};
_Static_assert(sizeof(struct xvs_fw_cfg) == 48, "xvs_fw_cfg layout");

enum xvs_fw_cfg_flags {
	XVS_FW_CFG_F_ON = 1u << 0, /* some port has rules: evaluate */
};

/*
 * Conntrack. An entry holds one connection in one zone (the VM port whose
 * rules allowed it: a VM-to-VM connection has an entry in each port's
 * zone). The key is normalized, lower (address, port) first, so both
 * directions find the same entry; XVS_CT_S_ORIG_LO says which end opened
 * it. ICMP echo: both ports are the identifier.
 */
struct xvs_ct_key {
	__u16 zone;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u16 port_lo, port_hi; /* host order */
	__u32 addr_lo[4], addr_hi[4]; /* network order */
};
_Static_assert(sizeof(struct xvs_ct_key) == 40, "xvs_ct_key layout");

/* xvs_ct_entry.seq: (sequence << 2) | kind. Writers move it with
 * compare-and-swap; readers compare it before and after reading the key. */
enum xvs_ct_kind {
	XVS_CT_EMPTY = 0,
	XVS_CT_BUSY = 1, /* being written (claimed) */
	XVS_CT_VALID = 2,
};
#define XVS_CT_KIND(seq) ((seq) & 3u)

/* xvs_ct_entry.state: the TCP state in the low byte, flags above. */
enum xvs_ct_tcp_state {
	XVS_CT_TCP_NONE = 0, /* not TCP */
	XVS_CT_TCP_SYN_SENT,
	XVS_CT_TCP_SYN_RECV,
	XVS_CT_TCP_EST,
	XVS_CT_TCP_FIN_WAIT, /* one side sent FIN */
	XVS_CT_TCP_TIME_WAIT, /* both did */
	XVS_CT_TCP_CLOSE, /* RST */
};
enum xvs_ct_state_flags {
	XVS_CT_S_ORIG_LO = 1u << 8, /* the lower end opened the connection */
	XVS_CT_S_REPLIED = 1u << 9, /* a packet went the other way */
	XVS_CT_S_FIN_LO = 1u << 10, /* the lower end sent FIN */
	XVS_CT_S_FIN_HI = 1u << 11,
	XVS_CT_S_FROM_XDP = 1u << 12, /* created in XDP (else by the forwarder) */
	XVS_CT_S_FRAG = 1u << 13, /* a fragmented packet's first fragment passed:
				     its later ones pass too (zone | XVS_CT_ZONE_FRAG,
				     ports = the fragment id's halves) */
};
#define XVS_CT_ZONE_FRAG 0x8000u
#define XVS_CT_TCP(state) ((state) & 0xffu)

/*
 * 128 bytes. The first cache line is what a lookup reads and what every
 * packet may write (state, last); the second line is the packet that
 * opened the connection, kept so that a reload can judge it again under
 * the new rules (and drop the entry if they no longer allow it).
 */
struct xvs_ct_entry {
	__u32 seq; /* kind + sequence, see above */
	__u32 state; /* enum xvs_ct_tcp_state | enum xvs_ct_state_flags */
	struct xvs_ct_key key;
	__u64 last; /* CLOCK_MONOTONIC ns of the last packet, coarse (see fw_eval.h) */
	__u32 rule; /* bank-relative index of the rule that allowed it */
	__u32 pad0;
	/* the opening packet */
	__u8 smac[6];
	__u8 dmac[6];
	__u16 vlan;
	__u8 dir; /* enum xvs_fw_dir it was judged in */
	__u8 tcp_flags;
	__u8 icmp_type, icmp_code;
	__u16 ethertype;
	__u8 pad1[44];
};
_Static_assert(sizeof(struct xvs_ct_entry) == 128, "xvs_ct_entry layout");

/*
 * Why the firewall decided what it did. Each is counted per port and
 * direction by the forwarder and per reason in XDP (xvs_stats, through
 * XVS_REASONS). X(name, description).
 */
#define XVS_FW_REASONS(X)                                                       \
	X(NONE, "no firewall on this port and direction")                     \
	X(NEIGHBOUR, "ARP or IPv6 neighbour discovery/MLD: not for rule sets (anti-spoofing guards them)") \
	X(ESTABLISHED, "part of a tracked connection")                         \
	X(RELATED, "ICMP error about a tracked connection")                    \
	X(FRAGMENT, "a later fragment of a packet whose first fragment passed") \
	X(RULE_ALLOW, "allowed by a rule")                                    \
	X(RULE_DROP, "dropped by a rule")                                     \
	X(RULE_REJECT, "rejected by a rule")                                  \
	X(DEFAULT_ALLOW, "allowed by a rule set's default")                   \
	X(DEFAULT_DROP, "dropped by a rule set's default")                    \
	X(DEFAULT_REJECT, "rejected by a rule set's default")                 \
	X(CT_FULL, "new connection, conntrack table full")                    \
	X(CT_INVALID, "TCP segment no connection can start with")             \
	X(NO_MATCH, "no rule and no default matched (empty set list)")

enum xvs_fw_reason {
#define XVS_X(name, desc) XVS_FW_##name,
	XVS_FW_REASONS(XVS_X)
#undef XVS_X
	XVS_FW_REASON_MAX
};

#ifndef __bpf__
static const char *const xvs_fw_reason_names[XVS_FW_REASON_MAX] = {
#define XVS_X(name, desc) [XVS_FW_##name] = #name,
	XVS_FW_REASONS(XVS_X)
#undef XVS_X
};
#endif

/*
 * The answer rate limit of a port (XVS_MAP_FW_RL, mmapable, indexed by
 * port; XDP and the forwarder count in the same one): at most
 * xvs_fw_cfg.reject_rate answers per window of 2^30 ns. The first to see a
 * new window claims it by compare-and-swap and restarts the count.
 */
#define XVS_FW_RL_SHIFT 30
struct xvs_fw_rl {
	__u64 window; /* now >> XVS_FW_RL_SHIFT of the window being counted */
	__u32 count; /* answers sent in it */
	__u32 pad;
};
_Static_assert(sizeof(struct xvs_fw_rl) == 16, "xvs_fw_rl layout");

/* Per (port, direction, reason) counters (XVS_MAP_FW_STATS in XDP, a
 * per-worker table in the forwarder). */
#define XVS_FW_STAT_IDX(port, dir, reason)                                     \
	(((__u32)(port) * XVS_FW_DIRS + (__u32)(dir)) * XVS_FW_REASON_MAX + (__u32)(reason))
#define XVS_FW_STAT_MAX (XVS_MAX_PORTS * XVS_FW_DIRS * XVS_FW_REASON_MAX)

/* The evaluator's answer. */
struct xvs_fw_verdict {
	__u8 action; /* XVS_ACL_ALLOW, _DROP or _REJECT */
	__u8 reason; /* enum xvs_fw_reason */
	__u16 pad;
	__u32 rule; /* bank-relative rule index that decided; ~0u if none */
};

#endif /* XVS_FW_H */
