/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fdb: the switch's forwarding database, (VLAN, MAC) → port, with learning
 * and aging.
 *
 * Workers look up and learn concurrently. Lookups take no lock: every
 * entry has a sequence count (odd while it is being rewritten) and readers
 * retry on a change. Writers (learning a new or moved address, static
 * entries, aging) take the spin lock of the bucket's stripe; refreshing an
 * entry's timestamp is a plain store. Buckets hold 4 entries; a full
 * bucket evicts its oldest learned entry — an FDB is a cache, flooding
 * covers a miss.
 *
 * Against a guest that picks its source addresses: buckets are chosen by
 * a keyed hash (SipHash-1-3, a random key per table), so colliding
 * addresses cannot be computed; each port learns at most its limit
 * (fdb_set_port); a guarded port (a VM's) never learns a protected address
 * (the uplinks' own, gateways) — fdb_learn says so and the frame is
 * dropped.
 */
#ifndef XVS_FDB_H
#define XVS_FDB_H

#include <stdbool.h>
#include <stdint.h>

#define FDB_WAYS 4
#define FDB_NO_PORT 0xffff
#define FDB_MAX_PORTS 256 /* port ids 0..255 */
#define FDB_LOCKS 64 /* writer lock stripes */
#define FDB_MAX_PROTECTED 256

struct fdb_entry {
	uint32_t seq; /* odd: being written */
	uint16_t port;
	uint16_t is_static;
	uint64_t key; /* vlan << 48 | mac; 0 = empty */
	uint32_t seen; /* fdb clock (seconds) of the last frame from it */
	uint32_t pad;
};

struct fdb_bucket {
	struct fdb_entry e[FDB_WAYS];
} __attribute__((aligned(64)));

struct fdb_stats { /* atomic adds */
	uint64_t learned;
	uint64_t moved;
	uint64_t evicted;
	uint64_t aged;
	uint64_t limited; /* not learned: the port had its limit */
	uint64_t protected_refused; /* a guarded port sent from a protected address */
};

struct fdb_port {
	uint32_t learned; /* entries of this port, learned (atomic) */
	uint32_t limit; /* 0: none (set by the control thread) */
	bool guarded; /* may not learn protected addresses */
};

struct fdb {
	struct fdb_bucket *b;
	uint32_t mask; /* buckets - 1 */
	uint32_t aging_s; /* 0: never */
	uint32_t now; /* the clock, advanced by fdb_tick() */
	uint64_t k0, k1; /* hash key, random per table */
	int lock[FDB_LOCKS]; /* writers, by bucket index */
	uint64_t gen; /* bumped by every change of an entry's key or port (atomic) */
	struct fdb_stats st;
	struct fdb_port port[FDB_MAX_PORTS];
	/* protected MACs (48 bits), written by the control thread: entries
	 * before the count (release), read by workers (acquire) */
	uint32_t nprotected;
	uint64_t protected_mac[FDB_MAX_PROTECTED];
};

int fdb_init(struct fdb *f, uint32_t max_entries, uint32_t aging_s);
void fdb_destroy(struct fdb *f);

static inline uint64_t fdb_key(uint16_t vlan, const uint8_t mac[6])
{
	return (uint64_t)vlan << 48 | (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

/* The bucket a key lives in (keyed hash; for tests and diagnostics). */
uint32_t fdb_bucket_index(const struct fdb *f, uint64_t key);

/* Port of (vlan, mac), or FDB_NO_PORT. Lock-free. */
int fdb_lookup(struct fdb *f, uint64_t key);
/* A frame from `mac` arrived on `port`: learn, refresh or move it.
 * Multicast and all-zero sources are ignored. Lock-free when nothing
 * changes. Returns 1 if the entry is new or moved, 0 if nothing changed,
 * -ENOSPC if the port is at its limit (not learned: forward the frame,
 * counted), -EPERM if a guarded port sent from a protected address (drop
 * the frame). */
int fdb_learn(struct fdb *f, uint64_t key, uint16_t port);

/* Control thread: a port's learning limit (0: none) and whether it is
 * guarded. Entries it has are kept; new ones count against the limit. */
void fdb_set_port(struct fdb *f, uint16_t port, uint32_t limit, bool guarded);
/* Addresses a port has learned. */
static inline uint32_t fdb_port_learned(const struct fdb *f, uint16_t port)
{
	return port < FDB_MAX_PORTS ? __atomic_load_n(&f->port[port].learned, __ATOMIC_RELAXED) : 0;
}
/* Control thread: replace the protected set (MACs as 48-bit values, the
 * low bits of fdb_key()); learned entries of guarded ports for them are
 * removed. Returns 0 or -E2BIG. */
int fdb_set_protected(struct fdb *f, const uint64_t *macs, uint32_t n);
bool fdb_is_protected(const struct fdb *f, uint64_t key);
/* Static entries (config) are never aged or moved by learning. */
int fdb_add_static(struct fdb *f, uint64_t key, uint16_t port);
int fdb_del(struct fdb *f, uint64_t key);
/* Forget every entry of a port (it went away); static ones too if asked. */
void fdb_flush_port(struct fdb *f, uint16_t port, bool statics);
/* Advance the clock to `now_s` and age out learned entries. Returns how
 * many were removed. */
int fdb_tick(struct fdb *f, uint32_t now_s);

/* Visit every entry (consistent copies); stops when fn returns non-zero. */
int fdb_foreach(struct fdb *f, int (*fn)(void *arg, const struct fdb_entry *e), void *arg);

#endif /* XVS_FDB_H */
