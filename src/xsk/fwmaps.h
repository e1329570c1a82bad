/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwmaps: the firewall's BPF maps (include/xvs/fw.h), pinned with the XDP
 * program's under XVS_BPFFS_ROOT/<switch>/. xvsd opens them (creating and
 * pinning the missing ones, with the definitions of bpf/xvs_xdp.bpf.c) before
 * any uplink loads the program, which then reuses them: the forwarder's
 * firewall and XDP share one conntrack table and one set of rule banks from
 * the first frame on. The mmapable ones are mapped here.
 */
#ifndef XVS_FWMAPS_H
#define XVS_FWMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xvs/fw.h>

struct fwmaps {
	int acl, bind, acl_stats, cfg, groups, ct, fw_stats, rl; /* -1: closed */
	struct xvs_acl_rule *rules; /* mapped: 2 * XVS_ACL_MAX_RULES */
	struct xvs_acl_bind *binds; /* XVS_ACL_BIND_MAX */
	struct xvs_fw_cfg *fcfg;
	struct xvs_ct_entry *cts;
	struct xvs_fw_rl *rl_mem; /* XVS_MAX_PORTS */
	uint32_t ct_size; /* entries */
	size_t len[5]; /* of the mappings */
};

/*
 * Open (or create and pin) every firewall map of switch `name`. The
 * conntrack table has ct_size entries (a power of two) when created; an
 * existing one keeps its size (*ct_size says which, a restart with a new
 * size needs the pin removed: logged). -EPROTO: a pinned map of another
 * layout.
 */
int fwmaps__open(struct fwmaps *m, const char *name, uint32_t ct_size);
void fwmaps__close(struct fwmaps *m);

int fwmaps__group_add(const struct fwmaps *m, const struct xvs_fw_group_key *k);
/* Remove every group key of a bank. */
void fwmaps__groups_clear(const struct fwmaps *m, int bank);

/* XDP's counters summed over CPUs: one rule of bank `bank`; one (port,
 * direction)'s reasons. */
int fwmaps__rule_stats(const struct fwmaps *m, int bank, uint32_t rule, struct xvs_counter *out);
int fwmaps__reason_stats(const struct fwmaps *m, uint16_t port, int dir,
			 struct xvs_counter out[XVS_FW_REASON_MAX]);
/* Zero a bank's rule counters (its rules are being replaced). */
void fwmaps__rule_stats_clear(const struct fwmaps *m, int bank, uint32_t n);

#endif /* XVS_FWMAPS_H */
