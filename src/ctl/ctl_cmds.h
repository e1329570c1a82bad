/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket's commands, for ctl_sock.c (which serves them) and
 * the metrics endpoint (metrics.c): what they report (ctl_show.c) and what
 * they change (ctl_change.c). Each writes its answer into a ctl_out and
 * returns 0 or a negative errno (the answer then holds the error).
 */
#ifndef XVS_CTL_CMDS_H
#define XVS_CTL_CMDS_H

#include "ctl/ctl_out.h"
#include "ctl/daemon.h"

/* The port NAME names, or NULL with the answer "no port 'NAME'". */
struct dp_port *ctl_port(struct xvsd *x, struct ctl_out *o, const char *name);
void ctl_feature_names(uint64_t features, char *buf, size_t len);

/* ctl_show.c */
int ctl_show(struct xvsd *x, struct ctl_out *o, const char *port);
int ctl_stats(struct xvsd *x, struct ctl_out *o, const char *port);
void ctl_workers(struct xvsd *x, struct ctl_out *o);
int ctl_fdb_show(struct xvsd *x, struct ctl_out *o, const char *port);
void ctl_fdb_stats(struct xvsd *x, struct ctl_out *o);
int ctl_firewall(struct xvsd *x, struct ctl_out *o, const char *port);
uint64_t ctl_fw_ct_full_drops(struct xvsd *x);

/* ctl_change.c; argv[0] of ctl_fdb_change is the verb (add, del, flush) */
int ctl_fdb_change(struct xvsd *x, struct ctl_out *o, int argc, char **argv);
int ctl_port_change(struct xvsd *x, struct ctl_out *o, const char *verb, const char *name,
		    const char *yaml);
int ctl_log_level(struct xvsd *x, struct ctl_out *o, const char *level);

#endif
