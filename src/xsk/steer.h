/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * steer: ask a NIC to send one destination MAC (and VLAN) to one receive
 * queue — an ethtool ntuple rule (ETHTOOL_SRXCLSRLINS), as `ethtool -N IF
 * flow-type ether dst MAC [vlan VID] action Q` would. This is how a VM's
 * frames reach the queue its zero-copy socket owns. Drivers without
 * ntuple filters (veth, virtio-net, many others) answer EOPNOTSUPP: the
 * steering is then up to whoever sends (a switch port, a hash, XPS on a
 * veth peer), and xvs says so ("steering=external").
 */
#ifndef XVS_STEER_H
#define XVS_STEER_H

#include <stdint.h>

/* Install the rule; *loc gets the rule's location (for steer_del).
 * Returns 0, -EOPNOTSUPP (no ntuple filters), or another negative errno. */
int steer_add(const char *ifname, const uint8_t mac[6], uint16_t vlan, uint16_t qid,
	      uint32_t *loc);
int steer_del(const char *ifname, uint32_t loc);

/*
 * Take the queues in `lent` (bit q: queue q) out of the NIC's RSS
 * indirection table, so that hashed traffic never reaches them — a queue
 * lent to one VM receives only what a steering rule sends there. The
 * entries pointing to a lent queue are spread over the others. The table
 * as it was is kept in *saved (size *n, malloc'ed) for steer_rss_restore.
 * Returns 0 (also when no entry pointed to a lent queue: *saved NULL),
 * -EOPNOTSUPP (no RSS table: veth, single-queue NICs), -EINVAL if every
 * queue would be lent, or another negative errno.
 */
int steer_rss_exclude(const char *ifname, uint64_t lent, uint32_t nqueues, uint32_t **saved,
		      uint32_t *n);
int steer_rss_restore(const char *ifname, const uint32_t *saved, uint32_t n);

#endif /* XVS_STEER_H */
