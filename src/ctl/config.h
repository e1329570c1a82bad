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
};

/*
 * Parse and validate `path`. On error returns a negative errno and writes
 * "FILE:LINE: KEY: what is wrong" to err (LINE 1-based, KEY the dotted path
 * such as "ports.vm1.vlan"); *out is untouched. On success the caller owns
 * *out and frees it with cfg_free().
 */
int cfg_load(const char *path, struct cfg *out, char *err, size_t errlen);
void cfg_free(struct cfg *c);
const struct cfg_port *cfg_find_port(const struct cfg *c, const char *name);

#endif /* XVS_CONFIG_H */
