/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xdpmaps: the XDP program's maps as pinned under XVS_BPFFS_ROOT/<switch>/,
 * for whoever did not load the program itself (xvsctl; xvsd adopting a
 * program that xdp-loader attached). Layouts are in include/xvs/xdp.h.
 */
#ifndef XVS_XDPMAPS_H
#define XVS_XDPMAPS_H

#include <stddef.h>
#include <xvs/xdp.h>

struct xdpmaps {
	int fdb;
	int ports;
	int uplinks;
	int xsks;
	int cfg;
	int stats;
	int zcq;
	int learn;
};

/* The pin directory of a switch; -ENAMETOOLONG or -EINVAL for a bad name. */
int xdpmaps_pin_dir(const char *switch_name, char *buf, size_t len);

/* Open every pinned map; -ENOENT (with the path logged) if a map is missing,
 * -EPROTO if one has other sizes than this build expects. */
int xdpmaps__open(struct xdpmaps *m, const char *switch_name);
void xdpmaps__close(struct xdpmaps *m);

/* Counters summed over CPUs, indexed by XVS_STAT_*. */
int xdpmaps__read_stats(const struct xdpmaps *m, struct xvs_counter out[XVS_STAT_MAX]);
int xdpmaps__reset_stats(const struct xdpmaps *m);

int xdpmaps__fdb_set(const struct xdpmaps *m, const struct xvs_fdb_key *k,
		     const struct xvs_fdb_val *v);
int xdpmaps__fdb_del(const struct xdpmaps *m, const struct xvs_fdb_key *k);
int xdpmaps__port_set(const struct xdpmaps *m, __u32 idx, const struct xvs_port *p);
/* Dedicate XSKMAP slot `slot` to a VM's zero-copy socket (z->flags ON), or
 * give it back (z NULL). */
int xdpmaps__zcq_set(const struct xdpmaps *m, __u32 slot, const struct xvs_zcq *z);
/* Forget every queue dedication and learned source (a fresh start: what an
 * earlier run left there names other ports). */
void xdpmaps__zc_clear(const struct xdpmaps *m);
int xdpmaps__cfg_get(const struct xdpmaps *m, struct xvs_cfg *c);
int xdpmaps__cfg_set(const struct xdpmaps *m, const struct xvs_cfg *c);

/* "<verdict>" or "<verdict>.<reason>" in lower case, for a stats index. */
const char *xdpmaps_stat_name(unsigned int idx, char *buf, size_t len);

#endif /* XVS_XDPMAPS_H */
