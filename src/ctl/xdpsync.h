/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xdpsync: keep the XDP program's FDB map in step with the switch's FDB:
 * every address that lives on a VM port is in the map (so frames for it
 * are redirected to the switch), nothing else is. Runs on the control
 * thread when the FDB changed (fdb.gen) — workers signal a newly learned
 * VM address at once, so the map is usually updated before the reply to a
 * VM's first frame comes back from the wire.
 *
 * The map is an exact mirror: each sync reads the map back (batched) and
 * compares it with the FDB, so addresses a worker put there that were
 * evicted or aged before the next sync are removed too.
 */
#ifndef XVS_XDPSYNC_H
#define XVS_XDPSYNC_H

#include <stdint.h>

#include "dp/dp.h"
#include "xsk/xdpmaps.h"

struct xdpsync_ent {
	uint64_t key;
	uint16_t port;
};

struct xdpsync {
	uint64_t gen; /* fdb.gen at the last sync */
	struct xdpsync_ent *have; /* the map's content, sorted by key */
	uint32_t nhave, cap;
	uint64_t updates, deletes, errors;
	uint64_t learned; /* sources XDP reported (xvs_learn) */
};

/* Remove every FDB entry from the map (a fresh start, or shutdown). */
void xdpsync_clear(struct xdpsync *s, const struct xdpmaps *m);
/* Bring the map in line with the FDB if it changed (force: regardless). */
void xdpsync_run(struct xdpsync *s, struct dp *dp, const struct xdpmaps *m, int force);
/* Take what XDP learned (xvs_learn: sources of frames the switch never
 * saw) into the FDB, and empty the map. */
void xdpsync_learned(struct xdpsync *s, struct dp *dp, const struct xdpmaps *m);
void xdpsync_free(struct xdpsync *s);

#endif /* XVS_XDPSYNC_H */
