/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cfg: xvsd's YAML configuration (reference: config/README.md). The loader
 * validates everything before the daemon touches anything; an error names
 * the file, the line and the key.
 */
#ifndef XVS_CONFIG_H
#define XVS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xvs/fw.h>

#include "base/log.h"

#define CFG_NAME_MAX 32 /* port and switch names, with the NUL */
#define CFG_PATH_MAX 108 /* sun_path */
#define CFG_MAX_PORTS 254
#define CFG_MAX_CPUS 64

enum cfg_poll {
	CFG_POLL_ADAPTIVE, /* busy while traffic flows, sleep on kicks when idle */
	CFG_POLL_BUSY, /* never sleep */
};

enum cfg_port_type {
	CFG_PORT_VHOST_USER,
	CFG_PORT_UPLINK, /* a NIC, through XDP and AF_XDP sockets */
};

enum cfg_xdp_mode {
	CFG_XDP_AUTO, /* zerocopy, then native (copy), then skb: first that works */
	CFG_XDP_ZEROCOPY, /* native XDP, AF_XDP zero-copy */
	CFG_XDP_NATIVE, /* native XDP, AF_XDP copy */
	CFG_XDP_SKB, /* generic XDP, AF_XDP copy */
};

#define CFG_MAX_QUEUE_IDS 64
#define CFG_ZC_AUTO (-1)

enum cfg_vu_mode {
	CFG_VU_SERVER, /* xvsd listens on the socket (QEMU: client) */
	CFG_VU_CLIENT, /* xvsd connects to QEMU's socket and reconnects */
};

/*
 * The firewall (config/README.md, "firewall"): rule sets, remote groups and
 * conntrack settings under firewall:, attached to VM ports per direction;
 * anti-spoofing per VM port. What is here is checked: every rule could
 * match some frame, every name resolves, the compiled rules fit the maps
 * of include/xvs/fw.h.
 */
#define CFG_FW_MAX_SETS_PER_DIR 8
#define CFG_FW_MAX_ADDRS 16 /* per family, per port */
#define CFG_FW_MAX_SETS 256
#define CFG_FW_MAX_GROUPS 256

enum cfg_fw_action {
	CFG_FW_ALLOW, /* = XVS_ACL_ALLOW ... XVS_ACL_COUNT */
	CFG_FW_DROP,
	CFG_FW_REJECT,
	CFG_FW_COUNT, /* counted, then the next rule */
	CFG_FW_NEXT, /* a set's default only: on with the next set attached */
};

struct cfg_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t plen; /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network order, host bits zero; IPv4 in addr[0..3] */
};

struct cfg_fw_rule {
	int line;
	enum cfg_fw_action action; /* never CFG_FW_NEXT */
	bool stateful; /* resolved: the rule's own or its set's */
	/* XVS_ACL_M_* bits: exactly the keys given, and XVS_ACL_M_FAMILY also
	 * when an address or proto icmp/icmpv6 implies it */
	uint32_t match;
	uint8_t family; /* 4 or 6, with XVS_ACL_M_FAMILY */
	uint8_t proto;
	uint16_t ethertype, vlan; /* ethertype after the VLAN tags; vlan 1..4094 */
	uint8_t smac[6], dmac[6];
	struct cfg_cidr src, dst; /* with XVS_ACL_M_SADDR / DADDR */
	int sgroup, dgroup; /* index into cfg->fw.groups, with XVS_ACL_M_SGROUP / DGROUP */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi; /* lo <= hi */
	uint8_t icmp_type, icmp_code; /* ICMP or ICMPv6, by proto */
	/* as in byte 13 of the TCP header: fin 0x01 syn 0x02 rst 0x04 psh 0x08
	 * ack 0x10 urg 0x20 ece 0x40 cwr 0x80; (flags & tcp_mask) == tcp_flags */
	uint8_t tcp_flags, tcp_mask;
};

struct cfg_rule_set {
	char name[CFG_NAME_MAX];
	int line;
	enum cfg_fw_action def; /* default drop; never CFG_FW_COUNT */
	bool stateful; /* default true */
	int n_rules;
	struct cfg_fw_rule *rules; /* first match wins */
};

/* A remote group: the anti-spoofing addresses (and learned ones) of its
 * ports; every one is a VM port with anti-spoofing on. */
struct cfg_fw_group {
	char name[CFG_NAME_MAX];
	int line;
	int n_ports;
	int *ports; /* indices into cfg->ports, each once */
};

struct cfg_fw {
	bool on; /* some port has rule sets or anti-spoofing */
	uint32_t ct_max; /* conntrack entries, power of two 1024..1048576, default 65536 */
	uint32_t timeout[XVS_CT_TO_MAX]; /* seconds, by enum xvs_ct_timeout */
	uint32_t reject_rate; /* answers per second per port, default 100; 0: drop silently */
	int n_sets;
	struct cfg_rule_set *sets; /* file order */
	int n_groups;
	struct cfg_fw_group *groups; /* file order */
	/* cfg_fw_bind_len() summed over every (port, direction): what the
	 * compiler lays out, at most
	 * XVS_ACL_MAX_RULES, and at most XVS_ACL_MAX_PER_BIND of them for one
	 * (port, direction) */
	uint32_t n_compiled;
};

/* A VM port's anti-spoofing: what the VM may send from. */
struct cfg_spoof {
	bool on; /* anti-spoofing: given */
	bool have_mac; /* mac given; else learned (the first source MAC) if learn */
	uint8_t mac[6]; /* unicast, not zero */
	bool learn; /* default true: a family with no address listed learns its first */
	int n_ip4;
	struct cfg_cidr ip4[CFG_FW_MAX_ADDRS];
	int n_ip6;
	struct cfg_cidr ip6[CFG_FW_MAX_ADDRS];
	bool dhcp_server; /* DHCP/DHCPv6 server replies from the VM pass (default false) */
	bool router_adv; /* RAs and ICMPv6 redirects from the VM pass (default false) */
};

struct cfg_port {
	char name[CFG_NAME_MAX];
	enum cfg_port_type type;
	char socket[CFG_PATH_MAX];
	enum cfg_vu_mode mode;
	uint16_t vlan; /* access VLAN; 0 = untagged */
	uint32_t mtu; /* L3 MTU, default 1500 */
	uint16_t queues; /* vhost-user: queue pairs offered, default 1, ≤ VU_MAX_QUEUE_PAIRS */
	int line; /* where it was defined */
	/* addresses the switch learns on this port at most ("max-macs"): a VM
	 * port 64 by default, an uplink 0 = no limit; frames from addresses
	 * past it are forwarded but not learned, and counted */
	uint32_t max_macs;

	/* vhost-user ports */
	uint64_t max_guest_memory; /* bytes, "max-guest-memory", default 128 GiB */
	bool offloads; /* checksum/TSO offloads offered ("offloads"), default true */
	bool packed_ring; /* packed virtqueues offered ("packed-ring"), default
			     false: such a VM cannot be live-migrated yet */
	bool migration; /* live migration offered ("migration"), default false:
			   experimental (a VM migrated under load can break) */
	bool in_order; /* VIRTIO_F_IN_ORDER offered ("in-order"), default true;
			  never on a port with zero-copy */
	/* zero-copy: { uplink: NAME, queue: N | auto }: the VM owns queue
	 * zc_queue of that uplink, whose AF_XDP socket's buffers are the VM's
	 * memory; auto takes the first free one of the uplink's
	 * zero-copy-queues (resolved by cfg_load) */
	bool zero_copy;
	char zc_uplink[CFG_NAME_MAX];
	int zc_queue; /* CFG_ZC_AUTO until resolved */
	enum cfg_zc_tx { CFG_ZC_TX_AUTO, CFG_ZC_TX_GUEST, CFG_ZC_TX_COPY } zc_tx; /* "tx" */
	int zc_line;

	/* uplink ports (type CFG_PORT_UPLINK); vlan must be 0: an uplink is a
	 * trunk, its untagged frames are VLAN 0 */
	char ifname[16]; /* interface, required */
	bool all_queues; /* queues: all (default) */
	int n_queue_ids; /* queues: [0, 2, ...], distinct, < CFG_MAX_QUEUE_IDS */
	uint16_t queue_ids[CFG_MAX_QUEUE_IDS];
	enum cfg_xdp_mode xdp_mode; /* default auto */
	uint32_t busy_poll_budget; /* SO_BUSY_POLL_BUDGET; 0 = busy polling off (default) */
	uint32_t busy_poll_us; /* SO_BUSY_POLL, default 20 when budget > 0 */
	bool host_flood; /* broadcast/multicast also to the host stack, default true */
	bool host_unknown; /* unknown unicast to the host stack (true, default) or to the VMs */
	uint32_t ring_size; /* AF_XDP ring entries, power of two 64..16384, default 2048 */
	uint32_t frame_size; /* UMEM chunk, 2048 or 4096 (default); caps the MTU */
	bool multi_buffer; /* frames over several UMEM chunks (XDP_USE_SG) where the
			      kernel allows it (true, default) */
	/* zero-copy-queues: the pool VMs with queue: auto take from; the
	 * uplink opens no socket of its own there, nor on a queue a VM names
	 * (bit q of zc_reserved) */
	uint64_t zc_pool;
	uint64_t zc_reserved;

	/* vhost-user ports: the firewall. Rule sets by direction
	 * (XVS_FW_TO_VM, XVS_FW_FROM_VM), in order, each at most once */
	int n_fw_sets[XVS_FW_DIRS];
	int fw_sets[XVS_FW_DIRS][CFG_FW_MAX_SETS_PER_DIR]; /* indices into cfg->fw.sets */
	int fw_line; /* of ports.NAME.firewall, 0 if none */
	struct cfg_spoof spoof;
};

struct cfg_fdb_static {
	uint8_t mac[6];
	uint16_t vlan;
	char port[CFG_NAME_MAX];
	int line;
};

#define CFG_MAX_PROTECTED 64

struct cfg {
	char file[CFG_PATH_MAX * 2];
	char name[CFG_NAME_MAX]; /* switch name, default "xvs0" */
	enum log_level log_level; /* default info */
	char control_socket[CFG_PATH_MAX]; /* default /run/xvs/<name>.ctl */
	char socket_dir[CFG_PATH_MAX]; /* relative port sockets: default /run/xvs */
	/* who may connect: the control socket's and the vhost-user server
	 * sockets' group (a name or a gid, "control-socket-group" and
	 * "socket-group"; -1: the daemon's own) and mode ("control-socket-mode",
	 * "socket-mode", octal, default 0660) */
	int64_t control_socket_gid;
	uint32_t control_socket_mode;
	int64_t socket_gid;
	uint32_t socket_mode;
	/* switch.metrics: the Prometheus endpoint (ctl/metrics.c), off by default */
	bool metrics_on;
	char metrics_addr[48]; /* an IPv4 or IPv6 literal */
	uint16_t metrics_port;
	int n_cpus; /* worker threads: one per CPU listed */
	int cpus[CFG_MAX_CPUS]; /* default: one worker, not pinned (-1) */
	enum cfg_poll poll; /* default adaptive */
	uint32_t idle_us; /* adaptive: idle time before sleeping, default 200 */
	uint32_t max_nap_us; /* adaptive: longest nap under light load (0: none), default 50 */
	uint32_t fdb_aging_s; /* default 300; 0 = never age */
	uint32_t fdb_max; /* default 16384 */
	int n_ports;
	struct cfg_port *ports;
	int n_static;
	struct cfg_fdb_static *statics;
	/* fdb.protected-macs: addresses no VM port may send from (gateways,
	 * routers); the uplinks' own addresses are protected anyway */
	int n_protected;
	uint8_t protected_macs[CFG_MAX_PROTECTED][6];
	struct cfg_fw fw;
	/* the YAML it was read from (a file's, or one edited at run time by
	 * cfg_edit_port), NUL-terminated */
	char *text;
	size_t text_len;
};

#define CFG_TEXT_MAX (4 << 20)
#define CFG_METRICS_PORT 9478

/*
 * Parse and validate `path`. On error returns a negative errno and writes
 * "FILE:LINE: KEY: what is wrong" to err (LINE 1-based, KEY the dotted path
 * such as "ports.vm1.vlan"); *out is untouched. On success the caller owns
 * *out and frees it with cfg_free().
 */
int cfg_load(const char *path, struct cfg *out, char *err, size_t errlen);
/* The same from text in memory; *out's file is `path`. With a label,
 * errors read "LABEL: KEY: what is wrong" (the text's lines are nobody's). */
int cfg_parse_text(const char *path, const char *label, const char *text, size_t len,
		   struct cfg *out, char *err, size_t errlen);
/* A configuration like `run` (from its text) with port NAME added — yaml is
 * its value, such as "{ type: vhost-user, socket: c.sock }" — or, with
 * yaml NULL, removed. All of it is validated again, as a file would be:
 * an error names what is wrong ("port add: ports.c.vlan: ..."). -EEXIST /
 * -ENOENT: the port is there already / is not. */
int cfg_edit_port(const struct cfg *run, const char *name, const char *yaml, struct cfg *out,
		  char *err, size_t errlen);
void cfg_free(struct cfg *c);
/* The compiled rules of a VM port's (direction): what fw.n_compiled adds
 * up and src/ctl/fwsync.c lays out. */
uint32_t cfg_fw_bind_len(const struct cfg *c, const struct cfg_port *cp, int dir);
const struct cfg_port *cfg_find_port(const struct cfg *c, const char *name);
/* "xx:xx:xx:xx:xx:xx" (either case) into mac; false if it is not one. */
bool cfg_mac_parse(const char *s, uint8_t mac[6]);

#endif /* XVS_CONFIG_H */
