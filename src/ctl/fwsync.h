/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwsync: the configuration's firewall, compiled into the shared tables
 * (include/xvs/fw.h) and kept there: rule sets and bindings into a bank
 * (fw_bank_*), remote groups into both the forwarder's set and the XDP
 * program's hash, conntrack settings; a reload compiles the new config
 * into the other bank and commits it (atomic for every packet; tracked
 * connections judged again). The tables are the XDP program's pinned
 * maps, opened (or created) here before any uplink loads the program.
 */
#ifndef XVS_FWSYNC_H
#define XVS_FWSYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl/config.h"
#include "ctl/fwcompile.h"
#include "fw/fw.h"
#include "xsk/fwmaps.h"

struct dp;

/* A compiled rule's identity across reloads: its (port, direction), its
 * set's name and its place there. The same identity and the same compiled
 * rule in the next bank: its counters go on from where they were. */
struct fwsync_rule_id {
	uint16_t port;
	uint8_t dir;
	uint8_t pad;
	uint32_t pos;
	char set[CFG_NAME_MAX]; /* "" for the implicit rule */
};

struct fwsync {
	bool open;
	struct fwmaps maps;
	struct fw fw;
	uint32_t sweep_at; /* next conntrack slot the tick sweeps */
	uint32_t sweep_live; /* live entries counted in the sweep going on */
	struct fw_ct_usage last; /* of the last whole sweep */
	uint64_t ct_expired; /* entries removed by sweeps */
	uint64_t reloads;
	uint64_t reload_removed; /* connections the new rules no longer allowed */
	uint32_t compiled[2]; /* rules laid out in each bank */
	struct fwsync_rule_id *ids[2]; /* [XVS_ACL_MAX_RULES] per bank */
	struct xvs_counter *carry[2]; /* what earlier banks counted for the rule */
};

/* Open the tables (once the config has a firewall). */
int fwsync_open(struct fwsync *s, struct dp *dp, const char *switch_name, uint32_t ct_max);
/* Compile c's firewall for the ports as they are in dp and put it in
 * force; dp->fw is set once the tables are open. */
int fwsync_apply(struct fwsync *s, struct dp *dp, const struct cfg *c);
/* A rule's counters in the bank in force: XDP's, the forwarder's and what
 * earlier banks counted for it. */
void fwsync_rule_counts(const struct fwsync *s, uint32_t rule, struct xvs_counter *c);

/* Per tick: sweep a slice of the conntrack table. */
void fwsync_tick(struct fwsync *s, uint64_t now);
/* A port went away: its connections with it (the id may be reused).
 * Returns how many were removed. */
int fwsync_port_gone(struct fwsync *s, uint16_t id);
void fwsync_close(struct fwsync *s, struct dp *dp);

#endif /* XVS_FWSYNC_H */
