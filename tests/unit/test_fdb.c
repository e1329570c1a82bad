// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the forwarding database (src/dp/fdb.c): learning, moves,
 * VLANs, ignored sources, static entries, aging, eviction from a full
 * bucket, flushing, iteration — and lock-free lookups racing a writer,
 * which must never return a port the key did not have.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dp/fdb.h"

/* The table under test; the teardown frees it even if a test failed. */
static struct fdb f;

static int teardown(void **state)
{
	(void)state;
	fdb_destroy(&f);
	return 0;
}

/* A locally administered unicast MAC numbered n. */
static uint64_t key(uint16_t vlan, uint32_t n)
{
	const uint8_t mac[6] = { 0x02, 0x00, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 8), (uint8_t)n };

	return fdb_key(vlan, mac);
}

static uint64_t key_of(uint16_t vlan, const uint8_t mac[6])
{
	return fdb_key(vlan, mac);
}

static void init(uint32_t max_entries, uint32_t aging_s)
{
	assert_int_equal(fdb_init(&f, max_entries, aging_s), 0);
}

static int count_cb(void *arg, const struct fdb_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int entries(void)
{
	int n = 0;

	assert_int_equal(fdb_foreach(&f, count_cb, &n), 0);
	return n;
}

/* ---- learning ------------------------------------------------------------ */

static void sizing(void **state)
{
	(void)state;
	init(4, 0);
	assert_int_equal(f.mask, 0); /* one bucket of FDB_WAYS */
	fdb_destroy(&f);
	init(1000, 0);
	assert_int_equal(f.mask + 1, 256); /* 256 * 4 ≥ 1000 */
}

static void learn_and_lookup(void **state)
{
	(void)state;
	init(1024, 300);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), FDB_NO_PORT);
	fdb_learn(&f, key(1, 1), 3);
	fdb_learn(&f, key(1, 2), 0);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 3);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), 0);
	assert_int_equal(fdb_lookup(&f, key(1, 3)), FDB_NO_PORT);
	fdb_learn(&f, key(1, 1), 3); /* refresh: no new entry */
	assert_int_equal(f.st.learned, 2);
	assert_int_equal(f.st.moved, 0);
	assert_int_equal(entries(), 2);
}

static void move_to_another_port(void **state)
{
	(void)state;
	init(1024, 300);
	fdb_learn(&f, key(1, 1), 1);
	fdb_learn(&f, key(1, 1), 2);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 2);
	assert_int_equal(f.st.moved, 1);
	assert_int_equal(f.st.learned, 1);
	assert_int_equal(entries(), 1);
}

static void vlans_are_separate(void **state)
{
	(void)state;
	init(1024, 300);
	fdb_learn(&f, key(10, 7), 1);
	fdb_learn(&f, key(20, 7), 2);
	assert_int_equal(fdb_lookup(&f, key(10, 7)), 1);
	assert_int_equal(fdb_lookup(&f, key(20, 7)), 2);
	assert_int_equal(fdb_lookup(&f, key(30, 7)), FDB_NO_PORT);
	assert_int_equal(f.st.moved, 0);
}

static void group_and_zero_sources_ignored(void **state)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6] = { 0 };
	static const uint8_t odd[6] = { 0x33, 0x33, 0, 0, 0, 1 };

	(void)state;
	init(1024, 300);
	fdb_learn(&f, key_of(5, mcast), 1);
	fdb_learn(&f, key_of(5, bcast), 1);
	fdb_learn(&f, key_of(5, zero), 1);
	fdb_learn(&f, key_of(5, odd), 1);
	assert_int_equal(fdb_lookup(&f, key_of(5, mcast)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key_of(5, bcast)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key_of(5, odd)), FDB_NO_PORT);
	assert_int_equal(f.st.learned, 0);
	assert_int_equal(entries(), 0);
}

/*
 * BUG (src/dp/fdb.c:88): key 0 (VLAN 0, destination 00:00:00:00:00:00) is
 * also the "empty slot" key, so a lookup of it matches a free entry and
 * returns that entry's port: 0 in a fresh table. A guest on VLAN 0 sending
 * to the all-zero MAC gets its frames unicast to port 0 instead of
 * flooded.
 */
static void lookup_of_zero_key_misses(void **state)
{
	static const uint8_t zero[6] = { 0 };

	(void)state;
	init(1024, 300);
	assert_int_equal(fdb_lookup(&f, key_of(0, zero)), FDB_NO_PORT);
}

/* ---- static entries, deletion --------------------------------------------- */

static void static_entries(void **state)
{
	(void)state;
	init(1024, 10);
	assert_int_equal(fdb_add_static(&f, key(1, 1), 4), 0);
	fdb_learn(&f, key(1, 1), 7); /* learning does not move it */
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 4);
	assert_int_equal(f.st.moved, 0);
	assert_int_equal(fdb_tick(&f, 100000), 0); /* nor does aging remove it */
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 4);

	fdb_learn(&f, key(1, 2), 5); /* a learned entry made static */
	assert_int_equal(fdb_add_static(&f, key(1, 2), 6), 0);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), 6);
	assert_int_equal(fdb_tick(&f, 200000), 0);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), 6);
}

static void delete(void **state)
{
	(void)state;
	init(1024, 300);
	fdb_learn(&f, key(1, 1), 1);
	assert_int_equal(fdb_add_static(&f, key(1, 2), 2), 0);
	assert_int_equal(fdb_del(&f, key(1, 1)), 0);
	assert_int_equal(fdb_del(&f, key(1, 2)), 0);
	assert_int_equal(fdb_del(&f, key(1, 2)), -ENOENT);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), FDB_NO_PORT);
	assert_int_equal(entries(), 0);
	fdb_learn(&f, key(1, 1), 3); /* and learnable again */
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 3);
}

/* ---- aging ------------------------------------------------------------------ */

static void aging(void **state)
{
	(void)state;
	init(1024, 10);
	fdb_tick(&f, 100);
	fdb_learn(&f, key(1, 1), 1); /* seen 100 */
	fdb_tick(&f, 105);
	fdb_learn(&f, key(1, 2), 2); /* seen 105 */
	assert_int_equal(fdb_tick(&f, 110), 0); /* exactly the aging time: kept */
	assert_int_equal(fdb_tick(&f, 111), 1);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), 2);
	assert_int_equal(f.st.aged, 1);

	fdb_tick(&f, 114);
	fdb_learn(&f, key(1, 2), 2); /* refreshed: seen 114 */
	assert_int_equal(fdb_tick(&f, 120), 0); /* 15 s after it was learned */
	assert_int_equal(fdb_lookup(&f, key(1, 2)), 2);
	assert_int_equal(fdb_tick(&f, 125), 1);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), FDB_NO_PORT);
	assert_int_equal(f.st.aged, 2);
}

static void aging_disabled(void **state)
{
	(void)state;
	init(1024, 0);
	fdb_learn(&f, key(1, 1), 1);
	assert_int_equal(fdb_tick(&f, 1000000), 0);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 1);
}

/* ---- eviction ----------------------------------------------------------------- */

/* One bucket: the fifth address evicts the least recently seen one. */
static void evict_oldest_learned(void **state)
{
	uint32_t i;

	(void)state;
	init(4, 0);
	for (i = 1; i <= 4; i++) {
		fdb_tick(&f, i);
		fdb_learn(&f, key(1, i), (uint16_t)i); /* key i seen at i */
	}
	fdb_tick(&f, 5);
	fdb_learn(&f, key(1, 1), 1); /* refresh 1: 2 is now the oldest */
	fdb_learn(&f, key(1, 5), 5);
	assert_int_equal(fdb_lookup(&f, key(1, 2)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), 1);
	assert_int_equal(fdb_lookup(&f, key(1, 3)), 3);
	assert_int_equal(fdb_lookup(&f, key(1, 4)), 4);
	assert_int_equal(fdb_lookup(&f, key(1, 5)), 5);
	assert_int_equal(f.st.evicted, 1);
	fdb_learn(&f, key(1, 6), 6);
	assert_int_equal(fdb_lookup(&f, key(1, 3)), FDB_NO_PORT);
	assert_int_equal(f.st.evicted, 2);
	assert_int_equal(entries(), 4);
}

static void eviction_spares_statics(void **state)
{
	(void)state;
	init(4, 0);
	assert_int_equal(fdb_add_static(&f, key(2, 1), 1), 0);
	assert_int_equal(fdb_add_static(&f, key(2, 2), 2), 0);
	assert_int_equal(fdb_add_static(&f, key(2, 3), 3), 0);
	fdb_learn(&f, key(1, 10), 10);
	fdb_tick(&f, 1);
	fdb_learn(&f, key(1, 11), 11); /* evicts 10, the only learned one */
	assert_int_equal(fdb_lookup(&f, key(1, 10)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(1, 11)), 11);
	/* a static entry also takes the learned one's place */
	assert_int_equal(fdb_add_static(&f, key(2, 4), 4), 0);
	assert_int_equal(fdb_lookup(&f, key(1, 11)), FDB_NO_PORT);
	/* all static: learning finds no room, config gets -ENOSPC */
	fdb_learn(&f, key(1, 12), 12);
	assert_int_equal(fdb_lookup(&f, key(1, 12)), FDB_NO_PORT);
	assert_int_equal(fdb_add_static(&f, key(2, 5), 5), -ENOSPC);
	assert_int_equal(fdb_lookup(&f, key(2, 1)), 1);
	assert_int_equal(fdb_lookup(&f, key(2, 4)), 4);
}

static uint32_t bucket_of(uint64_t k)
{
	return fdb_bucket_index(&f, k);
}

/* In a big table only the full bucket loses an entry. */
static void evict_in_one_bucket_only(void **state)
{
	uint64_t same[FDB_WAYS + 1], k;
	uint32_t target, n = 0, i, others = 0;

	(void)state;
	init(4096, 0);
	target = bucket_of(key(1, 0));
	for (i = 0; n < FDB_WAYS + 1; i++) {
		k = key(1, i);
		if (bucket_of(k) == target) {
			same[n++] = k;
		} else if (others < 200) {
			fdb_learn(&f, k, 100);
			others++;
		}
	}
	for (i = 0; i < FDB_WAYS + 1; i++) {
		fdb_tick(&f, i + 1);
		fdb_learn(&f, same[i], (uint16_t)i);
	}
	assert_int_equal(fdb_lookup(&f, same[0]), FDB_NO_PORT); /* oldest */
	for (i = 1; i < FDB_WAYS + 1; i++)
		assert_int_equal(fdb_lookup(&f, same[i]), i);
	assert_int_equal(f.st.evicted, 1);
	assert_int_equal(entries(), (int)(others + FDB_WAYS));
}

/* ---- flush, iteration ------------------------------------------------------- */

static void flush_port(void **state)
{
	(void)state;
	init(1024, 300);
	fdb_learn(&f, key(1, 1), 1);
	fdb_learn(&f, key(2, 2), 1);
	fdb_learn(&f, key(1, 3), 2);
	assert_int_equal(fdb_add_static(&f, key(1, 4), 1), 0);
	fdb_flush_port(&f, 1, false);
	assert_int_equal(fdb_lookup(&f, key(1, 1)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(2, 2)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(1, 3)), 2);
	assert_int_equal(fdb_lookup(&f, key(1, 4)), 1);
	fdb_flush_port(&f, 1, true);
	assert_int_equal(fdb_lookup(&f, key(1, 4)), FDB_NO_PORT);
	assert_int_equal(fdb_lookup(&f, key(1, 3)), 2);
	assert_int_equal(entries(), 1);
}

struct visit {
	int calls;
	int stop_after;
	uint32_t seen_mask;
	int bad;
};

static int visit_cb(void *arg, const struct fdb_entry *e)
{
	struct visit *v = arg;
	uint32_t n = (uint32_t)(e->key & 0xffff);

	if (e->key != key(3, n) || e->port != n + 100 || n >= 32 || e->is_static != (n == 7))
		v->bad++;
	else
		v->seen_mask |= 1u << n;
	return ++v->calls == v->stop_after ? 42 : 0;
}

static void foreach_visits_every_entry(void **state)
{
	struct visit v = { 0 };
	uint32_t i;

	(void)state;
	init(1024, 300);
	for (i = 0; i < 20; i++)
		if (i != 7)
			fdb_learn(&f, key(3, i), (uint16_t)(i + 100));
	assert_int_equal(fdb_add_static(&f, key(3, 7), 107), 0);
	assert_int_equal(fdb_foreach(&f, visit_cb, &v), 0);
	assert_int_equal(v.calls, 20);
	assert_int_equal(v.bad, 0);
	assert_int_equal(v.seen_mask, (1u << 20) - 1);

	memset(&v, 0, sizeof(v));
	v.stop_after = 3;
	assert_int_equal(fdb_foreach(&f, visit_cb, &v), 42);
	assert_int_equal(v.calls, 3);
}

/* ---- concurrency -------------------------------------------------------------- */

#define RACE_KEYS 6
#define RACE_PORTS 4 /* key i only ever has ports i * 16 + 0..3 */
#define RACE_NS 500000000ll

struct race {
	uint64_t keys[RACE_KEYS];
	bool must_hit; /* keys are never removed: a miss is an error */
	int stop;
	uint64_t lookups, hits, misses, bad; /* summed over readers */
	int bad_port, bad_key;
	pthread_mutex_t mu;
};

static bool port_belongs(int key_index, int port)
{
	return port / 16 == key_index && port % 16 < RACE_PORTS;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint64_t lookups = 0, hits = 0, misses = 0, bad = 0;
	int i, p, bad_port = 0, bad_key = 0;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < RACE_KEYS; i++) {
			p = fdb_lookup(&f, r->keys[i]);
			lookups++;
			if (p == FDB_NO_PORT) {
				misses++;
				if (!r->must_hit)
					continue;
			} else if (port_belongs(i, p)) {
				hits++;
				continue;
			}
			bad++;
			bad_port = p;
			bad_key = i;
		}
	}
	pthread_mutex_lock(&r->mu);
	r->lookups += lookups;
	r->hits += hits;
	r->misses += misses;
	if (bad) {
		r->bad += bad;
		r->bad_port = bad_port;
		r->bad_key = bad_key;
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/*
 * The writer: learn and move every key, and (unless keys must stay) age
 * and delete them, for RACE_NS. Returns the number of writes.
 */
static uint64_t race_writer(struct race *r)
{
	int64_t end = now_ns() + RACE_NS;
	uint32_t clock = 1, x = 12345;
	uint64_t n = 0;
	int i;

	while (now_ns() < end) {
		for (i = 0; i < 64; i++, n++) {
			uint32_t k, port;

			/* round robin: in one bucket of 4, each learn evicts */
			x = x * 1103515245 + 12345; /* the high bits are the random ones */
			k = (uint32_t)(n % RACE_KEYS);
			port = k * 16 + (x >> 24) % RACE_PORTS;
			fdb_learn(&f, r->keys[k], (uint16_t)port);
			if (!r->must_hit && (x >> 12) % 256 == 0)
				fdb_del(&f, r->keys[(k + 1) % RACE_KEYS]);
		}
		if (!r->must_hit)
			fdb_tick(&f, clock++); /* aging 1 s: most entries go */
	}
	return n;
}

static void run_race(struct race *r, const char *what)
{
	pthread_t t[2];
	uint64_t writes;
	int i;

	pthread_mutex_init(&r->mu, NULL);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_reader, r), 0);
	writes = race_writer(r);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_mutex_destroy(&r->mu);
	print_message("# %s: %llu writes, %llu lookups (%llu hits, %llu misses), %llu bad\n",
		      what, (unsigned long long)writes, (unsigned long long)r->lookups,
		      (unsigned long long)r->hits, (unsigned long long)r->misses,
		      (unsigned long long)r->bad);
	if (r->bad)
		fail_msg("lookup of key %d returned port %d, which it never had", r->bad_key,
			 r->bad_port);
	assert_true(r->hits > 0);
	assert_true(writes > 0);
}

/* One bucket, six keys: constant eviction, moves, aging, deletion. */
static void race_evict_move_age(void **state)
{
	static struct race r;
	int i;

	(void)state;
	memset(&r, 0, sizeof(r));
	init(4, 1);
	for (i = 0; i < RACE_KEYS; i++)
		r.keys[i] = key(9, (uint32_t)i + 1);
	run_race(&r, "evict/move/age");
	assert_true(r.misses > 0); /* the churn was real */
	assert_true(f.st.evicted > 0);
	assert_true(f.st.moved > 0);
}

/* Keys that only move stay visible: a lookup never misses them. */
static void race_moves_never_miss(void **state)
{
	static struct race r;
	int i;

	(void)state;
	memset(&r, 0, sizeof(r));
	init(1024, 0);
	r.must_hit = true;
	for (i = 0; i < RACE_KEYS; i++) {
		r.keys[i] = key(9, (uint32_t)i + 1);
		fdb_learn(&f, r.keys[i], (uint16_t)(i * 16));
	}
	run_race(&r, "moves");
	assert_true(f.st.moved > 0);
}

/* ---- a guest that picks its source addresses (issue 10) ---------------------- */

/*
 * Regression: buckets came from an unkeyed multiplicative hash, so a guest
 * could compute addresses that share a bucket and evict any victim. Two
 * tables now place the same keys differently (each has a random key).
 */
static void hash_is_keyed(void **state)
{
	struct fdb g;
	uint32_t i, same = 0;

	(void)state;
	init(16384, 0);
	assert_int_equal(fdb_init(&g, 16384, 0), 0);
	for (i = 0; i < 1000; i++)
		same += fdb_bucket_index(&f, key(1, i)) == fdb_bucket_index(&g, key(1, i));
	fdb_destroy(&g);
	/* 4096 buckets: chance agreement is ~1000/4096 */
	assert_true(same < 20);
}

/* Regression: a port could fill the table with addresses of its own. */
static void port_limit(void **state)
{
	uint32_t i;
	int learned = 0, limited = 0, r;

	(void)state;
	init(16384, 10);
	fdb_set_port(&f, 1, 64, true);
	for (i = 0; i < 20000; i++) {
		r = fdb_learn(&f, key(0, i), 1);
		learned += r == 1;
		limited += r == -ENOSPC;
	}
	assert_int_equal(learned, 64);
	assert_int_equal(limited, 20000 - 64);
	assert_int_equal(fdb_port_learned(&f, 1), 64);
	assert_int_equal(entries(), 64);
	assert_int_equal(f.st.limited, 20000 - 64);
	/* the ones it has stay and refresh; another port is not limited */
	assert_int_equal(fdb_learn(&f, key(0, 5), 1), 0);
	assert_int_equal(fdb_lookup(&f, key(0, 5)), 1);
	assert_int_equal(fdb_learn(&f, key(0, 30000), 2), 1);
	/* an address moving in counts against the limit too */
	assert_int_equal(fdb_learn(&f, key(0, 30000), 1), -ENOSPC);
	assert_int_equal(fdb_lookup(&f, key(0, 30000)), 2);
	/* aged out, the port learns again */
	fdb_tick(&f, 20);
	assert_int_equal(fdb_port_learned(&f, 1), 0);
	assert_int_equal(fdb_learn(&f, key(0, 40000), 1), 1);
	assert_int_equal(fdb_port_learned(&f, 1), 1);
}

/* The per-port count follows every way an entry goes: delete, flush,
 * eviction, a move away, static entries not counted. */
static void port_count_follows_entries(void **state)
{
	(void)state;
	init(16, 0);
	fdb_set_port(&f, 1, 1000, true);
	assert_int_equal(fdb_learn(&f, key(0, 1), 1), 1);
	assert_int_equal(fdb_learn(&f, key(0, 2), 1), 1);
	assert_int_equal(fdb_learn(&f, key(0, 3), 1), 1);
	assert_int_equal(fdb_port_learned(&f, 1), 3);
	assert_int_equal(fdb_del(&f, key(0, 1)), 0);
	assert_int_equal(fdb_port_learned(&f, 1), 2);
	assert_int_equal(fdb_learn(&f, key(0, 2), 2), 1); /* moved away */
	assert_int_equal(fdb_port_learned(&f, 1), 1);
	assert_int_equal(fdb_port_learned(&f, 2), 1);
	assert_int_equal(fdb_add_static(&f, key(0, 9), 1), 0);
	assert_int_equal(fdb_port_learned(&f, 1), 1);
	fdb_flush_port(&f, 1, false);
	assert_int_equal(fdb_port_learned(&f, 1), 0);
	assert_int_equal(fdb_lookup(&f, key(0, 9)), 1); /* the static one stays */
}

/* Regression: a VM sending from the uplink's or the gateway's address was
 * learned, and the XDP program then sent the host's traffic to it. */
static void protected_addresses(void **state)
{
	const uint8_t gw[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	uint64_t mac = fdb_key(0, gw);

	(void)state;
	init(1024, 0);
	fdb_set_port(&f, 1, 64, true); /* a VM */
	fdb_set_port(&f, 7, 0, false); /* an uplink */
	assert_int_equal(fdb_learn(&f, key_of(5, gw), 1), 1); /* before it is protected */
	assert_int_equal(fdb_set_protected(&f, &mac, 1), 0);
	assert_int_equal(fdb_lookup(&f, key_of(5, gw)), FDB_NO_PORT); /* removed */
	assert_true(fdb_is_protected(&f, key_of(9, gw)));
	/* in every VLAN */
	assert_int_equal(fdb_learn(&f, key_of(0, gw), 1), -EPERM);
	assert_int_equal(fdb_learn(&f, key_of(100, gw), 1), -EPERM);
	assert_int_equal(fdb_lookup(&f, key_of(0, gw)), FDB_NO_PORT);
	assert_int_equal(f.st.protected_refused, 2);
	/* it lives behind the uplink, and no VM takes it over */
	assert_int_equal(fdb_learn(&f, key_of(0, gw), 7), 1);
	assert_int_equal(fdb_learn(&f, key_of(0, gw), 1), -EPERM);
	assert_int_equal(fdb_lookup(&f, key_of(0, gw)), 7);
	/* other addresses are learned as ever */
	assert_int_equal(fdb_learn(&f, key(0, 1), 1), 1);
	assert_int_equal(fdb_set_protected(&f, NULL, 0), 0);
	assert_int_equal(fdb_learn(&f, key_of(0, gw), 1), 1);
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(sizing),
		T(learn_and_lookup),
		T(move_to_another_port),
		T(vlans_are_separate),
		T(group_and_zero_sources_ignored),
		T(lookup_of_zero_key_misses),
		T(static_entries),
		T(delete),
		T(aging),
		T(aging_disabled),
		T(evict_oldest_learned),
		T(eviction_spares_statics),
		T(evict_in_one_bucket_only),
		T(flush_port),
		T(foreach_visits_every_entry),
		T(race_evict_move_age),
		T(race_moves_never_miss),
		T(hash_is_keyed),
		T(port_limit),
		T(port_count_follows_entries),
		T(protected_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
