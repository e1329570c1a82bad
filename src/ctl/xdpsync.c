// SPDX-License-Identifier: GPL-2.0-only
#include "ctl/xdpsync.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/log.h"

static void to_map_key(uint64_t key, struct xvs_fdb_key *k)
{
	int i;

	k->vlan = (uint16_t)(key >> 48);
	for (i = 0; i < 6; i++)
		k->mac[i] = (uint8_t)(key >> (40 - 8 * i));
}

void xdpsync_clear(struct xdpsync *s, const struct xdpmaps *m)
{
	struct xvs_fdb_key next;

	/* always from the first key: the one before was just deleted */
	while (!bpf_map_get_next_key(m->fdb, NULL, &next))
		if (bpf_map_delete_elem(m->fdb, &next))
			break;
	s->n = 0;
	s->gen = 0;
}

struct collect {
	struct dp *dp;
	struct xdpsync_ent *v;
	uint32_t n, cap;
	int err;
};

static int collect_vm(void *arg, const struct fdb_entry *e)
{
	struct collect *c = arg;
	struct dp_port *p = e->port < DP_MAX_PORTS ? c->dp->ports[e->port] : NULL;

	if (!p || p->type != DP_PORT_VHOST)
		return 0;
	if (c->n == c->cap) {
		uint32_t cap = c->cap ? 2 * c->cap : 64;
		struct xdpsync_ent *v = realloc(c->v, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return 1;
		}
		c->v = v;
		c->cap = cap;
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

void xdpsync_run(struct xdpsync *s, struct dp *dp, const struct xdpmaps *m, int force)
{
	uint64_t gen = __atomic_load_n(&dp->fdb.gen, __ATOMIC_RELAXED);
	struct collect c = { .dp = dp };
	struct xvs_fdb_key k;
	struct xvs_fdb_val v;
	uint32_t i = 0, j = 0;

	if (m->fdb < 0 || (!force && gen == s->gen))
		return;
	fdb_foreach(&dp->fdb, collect_vm, &c);
	if (c.err) {
		s->errors++;
		free(c.v);
		return;
	}
	qsort(c.v, c.n, sizeof(*c.v), cmp_ent);
	/* merge the wanted set (c.v) with what is installed (s->installed) */
	while (i < c.n || j < s->n) {
		if (j == s->n || (i < c.n && c.v[i].key < s->installed[j].key) ||
		    (i < c.n && c.v[i].key == s->installed[j].key &&
		     c.v[i].port != s->installed[j].port)) {
			to_map_key(c.v[i].key, &k);
			v = (struct xvs_fdb_val){ .port = c.v[i].port };
			if (bpf_map_update_elem(m->fdb, &k, &v, BPF_ANY))
				s->errors++;
			else
				s->updates++;
			if (j < s->n && c.v[i].key == s->installed[j].key)
				j++;
			i++;
		} else if (i == c.n || s->installed[j].key < c.v[i].key) {
			to_map_key(s->installed[j].key, &k);
			bpf_map_delete_elem(m->fdb, &k);
			s->deletes++;
			j++;
		} else { /* the same */
			i++;
			j++;
		}
	}
	free(s->installed);
	s->installed = c.v;
	s->n = c.n;
	s->cap = c.cap;
	s->gen = gen;
}

void xdpsync_free(struct xdpsync *s)
{
	free(s->installed);
	memset(s, 0, sizeof(*s));
}
