/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fdb: the switch's forwarding database, (VLAN, MAC) → port, with learning
 * and aging.
 *
 * Workers look up and learn concurrently. Lookups take no lock: every
 * entry has a sequence count (odd while it is being rewritten) and readers
 * retry on a change. Writers (learning a new or moved address, static
 * entries, aging) take one spin lock; refreshing an entry's timestamp is a
 * plain store. Buckets hold 4 entries; a full bucket evicts its oldest
 * learned entry — an FDB is a cache, flooding covers a miss.
 */
#ifndef XVS_FDB_H
#define XVS_FDB_H

#include <stdbool.h>
#include <stdint.h>

#define FDB_WAYS 4
#define FDB_NO_PORT 0xffff

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

struct fdb_stats {
	uint64_t learned;
	uint64_t moved;
	uint64_t evicted;
	uint64_t aged;
};

struct fdb {
	struct fdb_bucket *b;
	uint32_t mask; /* buckets - 1 */
	uint32_t aging_s; /* 0: never */
	uint32_t now; /* the clock, advanced by fdb_tick() */
	int lock; /* writers */
	uint64_t gen; /* bumped by every change of an entry's key or port */
	struct fdb_stats st; /* under lock */
};

int fdb_init(struct fdb *f, uint32_t max_entries, uint32_t aging_s);
void fdb_destroy(struct fdb *f);

static inline uint64_t fdb_key(uint16_t vlan, const uint8_t mac[6])
{
	return (uint64_t)vlan << 48 | (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 |
	       (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];
}

/* Port of (vlan, mac), or FDB_NO_PORT. Lock-free. */
int fdb_lookup(struct fdb *f, uint64_t key);
/* A frame from `mac` arrived on `port`: learn, refresh or move it.
 * Multicast and all-zero sources are ignored. Lock-free when nothing
 * changes. Returns true if the entry is new or moved. */
bool fdb_learn(struct fdb *f, uint64_t key, uint16_t port);
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
