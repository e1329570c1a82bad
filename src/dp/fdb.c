// SPDX-License-Identifier: GPL-2.0-only
#include "dp/fdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define MAC_MASK 0xffffffffffffull

static void slock(int *l)
{
	while (__atomic_test_and_set(l, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void sunlock(int *l)
{
	__atomic_clear(l, __ATOMIC_RELEASE);
}

/* ---- the keyed hash ------------------------------------------------------- */

static inline uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13) ^ v0;                                                            \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16) ^ v2;                                                            \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21) ^ v0;                                                            \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17) ^ v2;                                                            \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

/* SipHash-1-3 of one 64-bit word (an 8-byte message). */
static uint64_t siphash13_u64(uint64_t k0, uint64_t k1, uint64_t m)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = 8ull << 56;

	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint32_t fdb_bucket_index(const struct fdb *f, uint64_t key)
{
	return (uint32_t)siphash13_u64(f->k0, f->k1, key) & f->mask;
}

#define bucket_index fdb_bucket_index

static struct fdb_bucket *bucket(const struct fdb *f, uint64_t key)
{
	return &f->b[bucket_index(f, key)];
}

static int *stripe(struct fdb *f, uint32_t bi)
{
	return &f->lock[bi % FDB_LOCKS];
}

/* ---- set-up ----------------------------------------------------------------- */

int fdb_init(struct fdb *f, uint32_t max_entries, uint32_t aging_s)
{
	uint64_t key[2];
	uint32_t n = 1;

	memset(f, 0, sizeof(*f));
	while (n * FDB_WAYS < max_entries && n < (1u << 24))
		n <<= 1;
	/* a key nobody else knows; without entropy (early boot), the clock
	 * is better than a constant */
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != sizeof(key)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)f;
		key[1] = (uint64_t)ts.tv_sec ^ rotl(key[0], 29);
	}
	f->k0 = key[0];
	f->k1 = key[1];
	f->b = aligned_alloc(64, n * sizeof(struct fdb_bucket));
	if (!f->b)
		return -ENOMEM;
	memset(f->b, 0, n * sizeof(struct fdb_bucket));
	f->mask = n - 1;
	f->aging_s = aging_s;
	return 0;
}

void fdb_destroy(struct fdb *f)
{
	free(f->b);
	f->b = NULL;
}

/* ---- entries ---------------------------------------------------------------- */

/* Writer side of an entry's sequence count (under its stripe's lock). */
static void entry_write(struct fdb_entry *e, uint64_t key, uint16_t port, bool is_static,
			uint32_t seen)
{
	uint32_t s = e->seq;

	__atomic_store_n(&e->seq, s + 1, __ATOMIC_RELAXED);
	/* the odd count is visible before the fields change; pairs with the
	 * reader's acquire fence between its field loads and the re-check */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
	__atomic_store_n(&e->port, port, __ATOMIC_RELAXED);
	e->is_static = is_static;
	__atomic_store_n(&e->seen, seen, __ATOMIC_RELAXED);
	/* fields before the even count; pairs with the reader's acquire load */
	__atomic_store_n(&e->seq, s + 2, __ATOMIC_RELEASE);
}

/* Consistent read of key and port. */
static void entry_read(const struct fdb_entry *e, uint64_t *key, uint16_t *port)
{
	uint32_t s1, s2;

	do {
		s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		*key = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
		*port = __atomic_load_n(&e->port, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
	} while ((s1 & 1) || s1 != s2);
}

static void changed(struct fdb *f)
{
	__atomic_fetch_add(&f->gen, 1, __ATOMIC_RELAXED);
}

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* A learned entry's port gains or loses it (under the entry's lock). */
static void port_count(struct fdb *f, const struct fdb_entry *e, int d)
{
	if (e->key && !e->is_static && e->port < FDB_MAX_PORTS)
		__atomic_fetch_add(&f->port[e->port].learned, (uint32_t)d, __ATOMIC_RELAXED);
}

/* Forget an entry (under its lock). */
static void entry_clear(struct fdb *f, struct fdb_entry *e)
{
	port_count(f, e, -1);
	entry_write(e, 0, FDB_NO_PORT, false, 0);
	changed(f);
}

int fdb_lookup(struct fdb *f, uint64_t key)
{
	struct fdb_bucket *b;
	uint64_t k;
	uint16_t port;
	int i;

	if (!key) /* 0 marks a free slot, never a real entry */
		return FDB_NO_PORT;
	b = bucket(f, key);
	for (i = 0; i < FDB_WAYS; i++) {
		entry_read(&b->e[i], &k, &port);
		if (k == key)
			return port;
	}
	return FDB_NO_PORT;
}

static bool learnable(uint64_t key)
{
	uint64_t mac = key & MAC_MASK;

	return mac != 0 && !(mac & (1ull << 40)); /* not zero, not group */
}

static bool at_limit(struct fdb *f, uint16_t port)
{
	const struct fdb_port *p = port < FDB_MAX_PORTS ? &f->port[port] : NULL;
	uint32_t limit = p ? __atomic_load_n(&p->limit, __ATOMIC_RELAXED) : 0;

	return limit && __atomic_load_n(&p->learned, __ATOMIC_RELAXED) >= limit;
}

/* Under the stripe's lock: put key in its bucket, replacing a free, then
 * the oldest learned entry. */
static int insert(struct fdb *f, struct fdb_bucket *b, uint64_t key, uint16_t port, bool is_static)
{
	struct fdb_entry *victim = NULL;
	int i;

	for (i = 0; i < FDB_WAYS; i++) {
		struct fdb_entry *e = &b->e[i];

		if (e->key == key) {
			if (e->is_static && !is_static)
				return -EEXIST; /* learning never overrides config */
			if (e->port == port && e->is_static == is_static) {
				e->seen = f->now;
				return 0;
			}
			if (!is_static && at_limit(f, port))
				return -ENOSPC;
			if (e->port != port) {
				count(&f->st.moved);
				changed(f);
			}
			port_count(f, e, -1);
			entry_write(e, key, port, is_static, f->now);
			port_count(f, e, +1);
			return 0;
		}
		if (!e->key) {
			if (!victim || victim->key)
				victim = e;
		} else if (!e->is_static && (!victim || (victim->key && e->seen < victim->seen))) {
			victim = e;
		}
	}
	if (!victim)
		return -ENOSPC; /* a bucket full of static entries */
	if (!is_static && at_limit(f, port))
		return -ENOSPC;
	if (victim->key) {
		count(&f->st.evicted);
		port_count(f, victim, -1);
	}
	entry_write(victim, key, port, is_static, f->now);
	port_count(f, victim, +1);
	count(&f->st.learned);
	changed(f);
	return 0;
}

bool fdb_is_protected(const struct fdb *f, uint64_t key)
{
	uint32_t i, n = __atomic_load_n(&f->nprotected, __ATOMIC_ACQUIRE);
	uint64_t mac = key & MAC_MASK;

	for (i = 0; i < n; i++)
		if (__atomic_load_n(&f->protected_mac[i], __ATOMIC_RELAXED) == mac)
			return true;
	return false;
}

int fdb_learn(struct fdb *f, uint64_t key, uint16_t port)
{
	uint32_t now = __atomic_load_n(&f->now, __ATOMIC_RELAXED), bi;
	struct fdb_bucket *b;
	uint64_t k;
	uint16_t p;
	int i, r;

	if (!learnable(key))
		return 0;
	bi = bucket_index(f, key);
	b = &f->b[bi];
	for (i = 0; i < FDB_WAYS; i++) {
		entry_read(&b->e[i], &k, &p);
		if (k != key)
			continue;
		if (p == port) {
			/* refresh; written only when the second changes, so a
			 * busy sender does not keep the line bouncing */
			if (__atomic_load_n(&b->e[i].seen, __ATOMIC_RELAXED) != now)
				__atomic_store_n(&b->e[i].seen, now, __ATOMIC_RELAXED);
			return 0;
		}
		break; /* moved: take the lock */
	}
	/* new or moved: the slow path, once per address and port */
	if (port < FDB_MAX_PORTS && __atomic_load_n(&f->port[port].guarded, __ATOMIC_RELAXED) &&
	    fdb_is_protected(f, key)) {
		count(&f->st.protected_refused);
		return -EPERM;
	}
	if (at_limit(f, port)) {
		count(&f->st.limited);
		return -ENOSPC;
	}
	slock(stripe(f, bi));
	r = insert(f, b, key, port, false);
	sunlock(stripe(f, bi));
	if (r == -ENOSPC)
		count(&f->st.limited);
	return r == 0 ? 1 : r == -EEXIST ? 0 : r;
}

int fdb_add_static(struct fdb *f, uint64_t key, uint16_t port)
{
	uint32_t bi;
	int err;

	if (!learnable(key))
		return -EINVAL;
	bi = bucket_index(f, key);
	slock(stripe(f, bi));
	err = insert(f, &f->b[bi], key, port, true);
	sunlock(stripe(f, bi));
	return err;
}

int fdb_del(struct fdb *f, uint64_t key)
{
	uint32_t bi = bucket_index(f, key);
	struct fdb_bucket *b = &f->b[bi];
	int i, err = -ENOENT;

	slock(stripe(f, bi));
	for (i = 0; i < FDB_WAYS; i++) {
		if (b->e[i].key == key) {
			entry_clear(f, &b->e[i]);
			err = 0;
		}
	}
	sunlock(stripe(f, bi));
	return err;
}

/* Clear every entry fn picks. Buckets are looked at without the lock and
 * locked only to clear (fn is asked again under it): a sweep of a table
 * with nothing to do takes no lock at all. */
static int sweep(struct fdb *f, bool (*fn)(struct fdb *f, const struct fdb_entry *e, void *arg),
		 void *arg)
{
	uint32_t i;
	int w, n = 0;

	for (i = 0; i <= f->mask; i++) {
		struct fdb_bucket *b = &f->b[i];

		for (w = 0; w < FDB_WAYS; w++)
			if (__atomic_load_n(&b->e[w].key, __ATOMIC_RELAXED) && fn(f, &b->e[w], arg))
				break;
		if (w == FDB_WAYS)
			continue;
		slock(stripe(f, i));
		for (w = 0; w < FDB_WAYS; w++) {
			struct fdb_entry *e = &b->e[w];

			if (e->key && fn(f, e, arg)) {
				entry_clear(f, e);
				n++;
			}
		}
		sunlock(stripe(f, i));
	}
	return n;
}

struct flush_arg {
	uint16_t port;
	bool statics;
};

static bool flush_match(struct fdb *f, const struct fdb_entry *e, void *arg)
{
	const struct flush_arg *a = arg;

	(void)f;
	return e->port == a->port && (a->statics || !e->is_static);
}

void fdb_flush_port(struct fdb *f, uint16_t port, bool statics)
{
	struct flush_arg a = { port, statics };

	sweep(f, flush_match, &a);
}

static bool aged(struct fdb *f, const struct fdb_entry *e, void *arg)
{
	uint32_t now = *(const uint32_t *)arg;

	return !e->is_static && now - __atomic_load_n(&e->seen, __ATOMIC_RELAXED) > f->aging_s;
}

int fdb_tick(struct fdb *f, uint32_t now_s)
{
	int n;

	__atomic_store_n(&f->now, now_s, __ATOMIC_RELAXED);
	if (!f->aging_s)
		return 0;
	n = sweep(f, aged, &now_s);
	__atomic_fetch_add(&f->st.aged, (uint64_t)n, __ATOMIC_RELAXED);
	return n;
}

void fdb_set_port(struct fdb *f, uint16_t port, uint32_t limit, bool guarded)
{
	if (port >= FDB_MAX_PORTS)
		return;
	__atomic_store_n(&f->port[port].limit, limit, __ATOMIC_RELAXED);
	__atomic_store_n(&f->port[port].guarded, guarded, __ATOMIC_RELAXED);
}

static bool guarded_protected(struct fdb *f, const struct fdb_entry *e, void *arg)
{
	(void)arg;
	return !e->is_static && e->port < FDB_MAX_PORTS && f->port[e->port].guarded &&
	       fdb_is_protected(f, e->key);
}

int fdb_set_protected(struct fdb *f, const uint64_t *macs, uint32_t n)
{
	uint32_t i;

	if (n > FDB_MAX_PROTECTED)
		return -E2BIG;
	/* shrink first: a reader never sees a count past what is written */
	__atomic_store_n(&f->nprotected, 0, __ATOMIC_RELEASE);
	for (i = 0; i < n; i++)
		__atomic_store_n(&f->protected_mac[i], macs[i] & MAC_MASK, __ATOMIC_RELAXED);
	__atomic_store_n(&f->nprotected, n, __ATOMIC_RELEASE);
	sweep(f, guarded_protected, NULL);
	return 0;
}

int fdb_foreach(struct fdb *f, int (*fn)(void *arg, const struct fdb_entry *e), void *arg)
{
	struct fdb_entry copy;
	uint32_t i;
	int w, r = 0;

	for (i = 0; i <= f->mask && !r; i++) {
		slock(stripe(f, i)); /* a stable bucket; readers are not blocked */
		for (w = 0; w < FDB_WAYS && !r; w++) {
			copy = f->b[i].e[w];
			if (copy.key)
				r = fn(arg, &copy);
		}
		sunlock(stripe(f, i));
	}
	return r;
}
