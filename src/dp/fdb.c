// SPDX-License-Identifier: GPL-2.0-only
#include "dp/fdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void wlock(struct fdb *f)
{
	while (__atomic_test_and_set(&f->lock, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void wunlock(struct fdb *f)
{
	__atomic_clear(&f->lock, __ATOMIC_RELEASE);
}

static struct fdb_bucket *bucket(const struct fdb *f, uint64_t key)
{
	/* multiplicative hash: the high bits mix all of the key */
	return &f->b[(uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 40) & f->mask];
}

int fdb_init(struct fdb *f, uint32_t max_entries, uint32_t aging_s)
{
	uint32_t n = 1;

	memset(f, 0, sizeof(*f));
	while (n * FDB_WAYS < max_entries && n < (1u << 24))
		n <<= 1;
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

/* Writer side of an entry's sequence count (under the lock). */
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

int fdb_lookup(struct fdb *f, uint64_t key)
{
	struct fdb_bucket *b = bucket(f, key);
	uint64_t k;
	uint16_t port;
	int i;

	if (!key) /* 0 marks a free slot, never a real entry */
		return FDB_NO_PORT;
	for (i = 0; i < FDB_WAYS; i++) {
		entry_read(&b->e[i], &k, &port);
		if (k == key)
			return port;
	}
	return FDB_NO_PORT;
}

static bool learnable(uint64_t key)
{
	uint64_t mac = key & 0xffffffffffffull;

	return mac != 0 && !(mac & (1ull << 40)); /* not zero, not group */
}

/* Under the lock: put key in its bucket, replacing a free, then the oldest
 * learned entry. */
static int insert(struct fdb *f, uint64_t key, uint16_t port, bool is_static)
{
	struct fdb_bucket *b = bucket(f, key);
	struct fdb_entry *victim = NULL;
	int i;

	for (i = 0; i < FDB_WAYS; i++) {
		struct fdb_entry *e = &b->e[i];

		if (e->key == key) {
			if (e->is_static && !is_static)
				return -EEXIST; /* learning never overrides config */
			if (e->port != port) {
				f->st.moved++;
				f->gen++;
			}
			entry_write(e, key, port, is_static, f->now);
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
	if (victim->key)
		f->st.evicted++;
	entry_write(victim, key, port, is_static, f->now);
	f->st.learned++;
	f->gen++;
	return 0;
}

bool fdb_learn(struct fdb *f, uint64_t key, uint16_t port)
{
	struct fdb_bucket *b = bucket(f, key);
	uint32_t now = __atomic_load_n(&f->now, __ATOMIC_RELAXED);
	uint64_t k;
	uint16_t p;
	int i;

	if (!learnable(key))
		return false;
	for (i = 0; i < FDB_WAYS; i++) {
		entry_read(&b->e[i], &k, &p);
		if (k != key)
			continue;
		if (p == port) {
			/* refresh; written only when the second changes, so a
			 * busy sender does not keep the line bouncing */
			if (__atomic_load_n(&b->e[i].seen, __ATOMIC_RELAXED) != now)
				__atomic_store_n(&b->e[i].seen, now, __ATOMIC_RELAXED);
			return false;
		}
		break; /* moved: take the lock */
	}
	wlock(f);
	i = insert(f, key, port, false);
	wunlock(f);
	return i == 0;
}

int fdb_add_static(struct fdb *f, uint64_t key, uint16_t port)
{
	int err;

	if (!learnable(key))
		return -EINVAL;
	wlock(f);
	err = insert(f, key, port, true);
	wunlock(f);
	return err;
}

int fdb_del(struct fdb *f, uint64_t key)
{
	struct fdb_bucket *b = bucket(f, key);
	int i, err = -ENOENT;

	wlock(f);
	for (i = 0; i < FDB_WAYS; i++) {
		if (b->e[i].key == key) {
			entry_write(&b->e[i], 0, FDB_NO_PORT, false, 0);
			f->gen++;
			err = 0;
		}
	}
	wunlock(f);
	return err;
}

void fdb_flush_port(struct fdb *f, uint16_t port, bool statics)
{
	uint32_t i;
	int w;

	wlock(f);
	for (i = 0; i <= f->mask; i++)
		for (w = 0; w < FDB_WAYS; w++) {
			struct fdb_entry *e = &f->b[i].e[w];

			if (e->key && e->port == port && (statics || !e->is_static)) {
				entry_write(e, 0, FDB_NO_PORT, false, 0);
				f->gen++;
			}
		}
	wunlock(f);
}

int fdb_tick(struct fdb *f, uint32_t now_s)
{
	uint32_t i;
	int w, n = 0;

	__atomic_store_n(&f->now, now_s, __ATOMIC_RELAXED);
	if (!f->aging_s)
		return 0;
	wlock(f);
	for (i = 0; i <= f->mask; i++)
		for (w = 0; w < FDB_WAYS; w++) {
			struct fdb_entry *e = &f->b[i].e[w];
			uint32_t seen = __atomic_load_n(&e->seen, __ATOMIC_RELAXED);

			if (e->key && !e->is_static && now_s - seen > f->aging_s) {
				entry_write(e, 0, FDB_NO_PORT, false, 0);
				f->gen++;
				n++;
			}
		}
	f->st.aged += (uint64_t)n;
	wunlock(f);
	return n;
}

int fdb_foreach(struct fdb *f, int (*fn)(void *arg, const struct fdb_entry *e), void *arg)
{
	struct fdb_entry copy;
	uint32_t i;
	int w, r = 0;

	wlock(f); /* a stable view; readers are not blocked */
	for (i = 0; i <= f->mask && !r; i++)
		for (w = 0; w < FDB_WAYS && !r; w++) {
			copy = f->b[i].e[w];
			if (copy.key)
				r = fn(arg, &copy);
		}
	wunlock(f);
	return r;
}
