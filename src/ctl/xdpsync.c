// SPDX-License-Identifier: GPL-2.0-only
#include "ctl/xdpsync.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

static void to_map_key(uint64_t key, struct xvs_fdb_key *k)
{
	int i;

	k->vlan = (uint16_t)(key >> 48);
	for (i = 0; i < 6; i++)
		k->mac[i] = (uint8_t)(key >> (40 - 8 * i));
}

static uint64_t from_map_key(const struct xvs_fdb_key *k)
{
	return fdb_key(k->vlan, k->mac);
}

void xdpsync_clear(struct xdpsync *s, const struct xdpmaps *m)
{
	struct xvs_fdb_key next;

	/* always from the first key: the one before was just deleted */
	while (!bpf_map_get_next_key(m->fdb, NULL, &next))
		if (bpf_map_delete_elem(m->fdb, &next))
			break;
	s->nhave = 0;
	s->gen = 0;
}

struct collect {
	struct dp *dp;
	struct xdpsync_ent *v;
	uint32_t n, cap;
	int err;
};

static int grow(struct xdpsync_ent **v, uint32_t *cap, uint32_t need)
{
	uint32_t c = *cap ? *cap : 64;
	struct xdpsync_ent *nv;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	nv = realloc(*v, c * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

static int collect_vm(void *arg, const struct fdb_entry *e)
{
	struct collect *c = arg;
	struct dp_port *p = e->port < DP_MAX_PORTS ? c->dp->ports[e->port] : NULL;

	if (!p || p->type != DP_PORT_VHOST)
		return 0;
	if (grow(&c->v, &c->cap, c->n + 1)) {
		c->err = -ENOMEM;
		return 1;
	}
	c->v[c->n].key = e->key;
	c->v[c->n].port = e->port;
	c->n++;
	return 0;
}

static int cmp_ent(const void *a, const void *b)
{
	uint64_t x = ((const struct xdpsync_ent *)a)->key, y = ((const struct xdpsync_ent *)b)->key;

	return x < y ? -1 : x > y;
}

#define BATCH 1024

/* Read the whole map into s->have (sorted): batched where the kernel can,
 * one key at a time where it cannot. */
static int read_map(struct xdpsync *s, int fd)
{
	static struct xvs_fdb_key keys[BATCH];
	static struct xvs_fdb_val vals[BATCH];
	struct xvs_fdb_key k, next;
	struct xvs_fdb_val v;
	uint32_t in = 0, out = 0, n, i;
	bool first = true;
	int r;

	s->nhave = 0;
	for (;;) {
		n = BATCH;
		r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &n, NULL);
		if (r && r != -ENOENT && errno != ENOENT)
			break; /* no batch ops: the slow way below */
		if (grow(&s->have, &s->cap, s->nhave + n))
			return -ENOMEM;
		for (i = 0; i < n; i++)
			s->have[s->nhave++] = (struct xdpsync_ent){ from_map_key(&keys[i]),
								    (uint16_t)vals[i].port };
		if (r) /* ENOENT: that was the last batch */
			goto sort;
		in = out;
		first = false;
	}
	s->nhave = 0;
	for (r = bpf_map_get_next_key(fd, NULL, &next); !r;
	     k = next, r = bpf_map_get_next_key(fd, &k, &next)) {
		if (bpf_map_lookup_elem(fd, &next, &v))
			continue; /* deleted meanwhile */
		if (grow(&s->have, &s->cap, s->nhave + 1))
			return -ENOMEM;
		s->have[s->nhave++] = (struct xdpsync_ent){ from_map_key(&next), (uint16_t)v.port };
	}
sort:
	if (s->nhave > 1) /* (an empty map: no array at all) */
		qsort(s->have, s->nhave, sizeof(*s->have), cmp_ent);
	return 0;
}

static void install(struct xdpsync *s, const struct xdpmaps *m, const struct xdpsync_ent *e)
{
	struct xvs_fdb_val v = { .port = e->port };
	struct xvs_fdb_key k;

	to_map_key(e->key, &k);
	if (bpf_map_update_elem(m->fdb, &k, &v, BPF_ANY))
		s->errors++;
	else
		s->updates++;
}

void xdpsync_run(struct xdpsync *s, struct dp *dp, const struct xdpmaps *m, int force)
{
	uint64_t gen = __atomic_load_n(&dp->fdb.gen, __ATOMIC_RELAXED);
	struct collect c = { .dp = dp };
	struct xvs_fdb_key k;
	uint32_t i = 0, j = 0;

	if (m->fdb < 0 || (!force && gen == s->gen))
		return;
	/* the map first, then the FDB: an address a worker adds to both in
	 * between is in neither snapshot and left alone, never deleted */
	if (read_map(s, m->fdb)) {
		s->errors++;
		return;
	}
	fdb_foreach(&dp->fdb, collect_vm, &c);
	if (c.err) {
		s->errors++;
		free(c.v);
		return;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cmp_ent);
	/* merge the wanted set (c.v) with what the map holds (s->have) */
	while (i < c.n || j < s->nhave) {
		if (j == s->nhave || (i < c.n && c.v[i].key < s->have[j].key)) {
			install(s, m, &c.v[i]);
			i++;
		} else if (i == c.n || s->have[j].key < c.v[i].key) {
			to_map_key(s->have[j].key, &k);
			bpf_map_delete_elem(m->fdb, &k);
			s->deletes++;
			j++;
		} else { /* the same key */
			if (c.v[i].port != s->have[j].port)
				install(s, m, &c.v[i]);
			i++;
			j++;
		}
	}
	free(c.v);
	s->gen = gen;
}

void xdpsync_learned(struct xdpsync *s, struct dp *dp, const struct xdpmaps *m)
{
	static struct xvs_fdb_key keys[BATCH];
	static struct xvs_fdb_val vals[BATCH];
	struct xvs_fdb_key k, next;
	struct xvs_fdb_val v;
	uint32_t in = 0, out = 0, n, i, rounds;
	bool first = true;
	int r;

	if (m->learn < 0)
		return;
	/* bounded: the map holds XVS_LEARN_SIZE */
	for (rounds = 0; rounds <= XVS_LEARN_SIZE / BATCH; rounds++) {
		n = BATCH;
		r = bpf_map_lookup_and_delete_batch(m->learn, first ? NULL : &in, &out, keys, vals,
						    &n, NULL);
		if (r && errno != ENOENT)
			goto one_by_one; /* no batch ops on this map */
		for (i = 0; i < n; i++)
			if (vals[i].port < DP_MAX_PORTS && dp->ports[vals[i].port] &&
			    dp->ports[vals[i].port]->type == DP_PORT_UPLINK &&
			    fdb_learn(&dp->fdb, from_map_key(&keys[i]), (uint16_t)vals[i].port) >= 0)
				s->learned++;
		if (r)
			return;
		in = out;
		first = false;
	}
	return;
one_by_one:
	for (rounds = 0; rounds < XVS_LEARN_SIZE && !bpf_map_get_next_key(m->learn, NULL, &next);
	     rounds++) {
		k = next;
		if (!bpf_map_lookup_elem(m->learn, &k, &v) && v.port < DP_MAX_PORTS &&
		    fdb_learn(&dp->fdb, from_map_key(&k), (uint16_t)v.port) >= 0)
			s->learned++;
		bpf_map_delete_elem(m->learn, &k);
	}
}

void xdpsync_free(struct xdpsync *s)
{
	free(s->have);
	memset(s, 0, sizeof(*s));
}
