/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vu_log: the dirty log of live migration (vhost-user "Migration"). The
 * front-end hands over a shared bitmap (SET_LOG_BASE, with
 * VHOST_USER_PROTOCOL_F_LOG_SHMFD), one bit per 4 KiB page of guest
 * physical memory, and turns logging on with VHOST_F_LOG_ALL: from then on
 * every byte the switch writes into guest memory — received frames, their
 * headers, used rings, the kernel's writes into a zero-copy VM's buffers —
 * sets its page's bit, so that QEMU sends the page again.
 *
 * Threads: the control thread maps and replaces the log while it holds
 * every vring's lock (vu_dev.c); writers hold the lock of the vring they
 * write for. Bits are set with atomic ORs: QEMU clears them concurrently.
 * A page beyond the log's size is never written (the log is QEMU's memory).
 *
 * State: experimental, offered only on ports with `migration: true`. A VM
 * migrates under a ping with a few losses and its memory intact
 * (tests/bats/migration.bats). Under a bulk transfer, on this machine's
 * TCG guests, the destination's kernel can break: QEMU 7.2 then loses
 * some of the guest CPU's own writes (about 30 pages of kernel data per
 * move, found by comparing the paused source and destination page by
 * page). None of those pages was ever written by the switch, and every
 * page it logged arrived; the same churn in a VM without a NIC loses
 * nothing. Untested with KVM (this machine has none).
 */
#ifndef XVS_VU_LOG_H
#define XVS_VU_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost/vu_mem.h"

#define VU_LOG_PAGE 4096u
/* A log this large covers 4 TiB of guest memory (one bit per page): more
 * than max-guest-memory allows. */
#define VU_LOG_MAX (128ull << 20)

struct vu_log {
	uint8_t *map; /* the mapping (page-aligned), NULL: no log */
	size_t map_len;
	uint8_t *bits; /* the log itself, at its offset in the mapping */
	uint64_t size; /* bytes of it */
};

/* Map a log of `size` bytes at `offset` in fd (sealed against shrinking:
 * a log that shrinks under a writer would be a SIGBUS). 0 or -errno with
 * *why set. */
int vu_log_map(struct vu_log *l, int fd, uint64_t size, uint64_t offset, const char **why);
void vu_log_unmap(struct vu_log *l);

/* Mark guest-physical [gpa, gpa + len) dirty. */
void vu_log_gpa(const struct vu_log *l, uint64_t gpa, uint64_t len);
/* Mark [hva, hva + len) of our mapping of guest memory m dirty (a range
 * inside one region, as vring segments are). */
void vu_log_hva(const struct vu_log *l, const struct vu_mem *m, const void *hva, uint64_t len);

#endif /* XVS_VU_LOG_H */
