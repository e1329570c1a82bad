/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xprog: the XDP program on one uplink. xvsd attaches the program embedded
 * in it (the skeleton of bpf/xvs_xdp.bpf.c) through libxdp, with its maps
 * pinned under /sys/fs/bpf/xvs/<switch>/ — or adopts the one already
 * attached by `xdp-loader load -p /sys/fs/bpf/xvs/<switch>`, recognised by
 * its name and by using those very pinned maps. What xvsd attached it
 * detaches on exit; what it adopted it leaves attached. Any other program on
 * the interface is an error and nothing is changed.
 */
#ifndef XVS_XPROG_H
#define XVS_XPROG_H

#include <stdbool.h>

#include "xsk/xdpmaps.h"

enum xsk_xdp_mode {
	XSK_XDP_AUTO, /* zerocopy, then native (copy), then skb: first that works */
	XSK_XDP_ZEROCOPY, /* native XDP, AF_XDP zero-copy */
	XSK_XDP_NATIVE, /* native XDP, AF_XDP copy */
	XSK_XDP_SKB, /* generic XDP, AF_XDP copy */
};

struct xdp_program;
struct xvs_xdp;

struct xprog {
	char ifname[16];
	int ifindex;
	bool adopted; /* attached by someone else: leave it */
	bool native; /* native (driver) mode, else generic (skb) */
	struct xdp_program *prog; /* ours, when we attached it */
	struct xvs_xdp *skel; /* owns prog's bpf_object (libxdp does not) */
};

/* Mount bpffs if needed and create the switch's pin directory. */
int xprog_prepare_pins(const char *switch_name);

/*
 * Attach or adopt on `ifname`. `want` AUTO and ZEROCOPY/NATIVE try native
 * then (AUTO only) generic mode; SKB asks for generic. On success *maps
 * holds the switch's pinned maps (shared by all uplinks; opened once by the
 * caller when maps->fdb < 0).
 */
int xprog_attach(struct xprog *x, const char *switch_name, const char *ifname,
		 enum xsk_xdp_mode want, struct xdpmaps *maps);
void xprog_detach(struct xprog *x);
const char *xprog_mode_name(const struct xprog *x);

#endif /* XVS_XPROG_H */
