// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/xdpmaps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

int xdpmaps_pin_dir(const char *switch_name, char *buf, size_t len)
{
	const char *c;
	int n;

	if (!*switch_name || strlen(switch_name) > 64)
		return -EINVAL;
	for (c = switch_name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return -EINVAL;
	n = snprintf(buf, len, "%s/%s", XVS_BPFFS_ROOT, switch_name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Open one pinned map and check it is the map this build knows. */
static int open_map(const char *dir, const char *name, __u32 key_size, __u32 value_size,
		    __u32 max_entries, int *fd_out)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		log_err("cannot open pinned map %s: %s", path, strerror(errno));
		return err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
		err = -errno;
		goto close_fd;
	}
	if (info.key_size != key_size || info.value_size != value_size ||
	    info.max_entries != max_entries) {
		log_err("pinned map %s has key %u value %u entries %u, expected %u/%u/%u: "
			"loaded by another xvs version?",
			path, info.key_size, info.value_size, info.max_entries, key_size,
			value_size, max_entries);
		err = -EPROTO;
		goto close_fd;
	}
	*fd_out = fd;
	return 0;

close_fd:
	close(fd);
	return err;
}

int xdpmaps__open(struct xdpmaps *m, const char *switch_name)
{
	char dir[PATH_MAX];
	int err;

	m->fdb = m->ports = m->uplinks = m->xsks = m->cfg = m->stats = m->zcq = m->learn = -1;
	err = xdpmaps_pin_dir(switch_name, dir, sizeof(dir));
	if (err) {
		log_err("invalid switch name '%s' (letters, digits, '-', '_', at most 64)",
			switch_name);
		return err;
	}
	err = open_map(dir, XVS_MAP_FDB, sizeof(struct xvs_fdb_key), sizeof(struct xvs_fdb_val),
		       XVS_FDB_SIZE, &m->fdb);
	if (!err)
		err = open_map(dir, XVS_MAP_PORTS, 4, sizeof(struct xvs_port), XVS_MAX_PORTS,
			       &m->ports);
	if (!err)
		err = open_map(dir, XVS_MAP_UPLINKS, 4, sizeof(struct xvs_uplink),
			       XVS_MAX_UPLINKS, &m->uplinks);
	if (!err)
		err = open_map(dir, XVS_MAP_XSKS, 4, 4, XVS_MAX_XSKS, &m->xsks);
	if (!err)
		err = open_map(dir, XVS_MAP_CFG, 4, sizeof(struct xvs_cfg), 1, &m->cfg);
	if (!err)
		err = open_map(dir, XVS_MAP_STATS, 4, sizeof(struct xvs_counter), XVS_STAT_MAX,
			       &m->stats);
	if (!err)
		err = open_map(dir, XVS_MAP_ZCQ, 4, sizeof(struct xvs_zcq), XVS_MAX_XSKS, &m->zcq);
	if (!err)
		err = open_map(dir, XVS_MAP_LEARN, sizeof(struct xvs_fdb_key),
			       sizeof(struct xvs_fdb_val), XVS_LEARN_SIZE, &m->learn);
	if (err)
		xdpmaps__close(m);
	return err;
}

void xdpmaps__close(struct xdpmaps *m)
{
	int *fds[] = { &m->fdb, &m->ports, &m->uplinks, &m->xsks, &m->cfg, &m->stats, &m->zcq, &m->learn };
	size_t i;

	for (i = 0; i < XVS_ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int xdpmaps__read_stats(const struct xdpmaps *m, struct xvs_counter out[XVS_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct xvs_counter *percpu;
	__u32 i;
	int c, err = 0;

	if (ncpu < 0)
		return ncpu;
	percpu = calloc((size_t)ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (i = 0; i < XVS_STAT_MAX; i++) {
		out[i] = (struct xvs_counter){ 0 };
		if (bpf_map_lookup_elem(m->stats, &i, percpu)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpu; c++) {
			out[i].packets += percpu[c].packets;
			out[i].bytes += percpu[c].bytes;
		}
	}
	free(percpu);
	return err;
}

int xdpmaps__reset_stats(const struct xdpmaps *m)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xvs_counter *zero;
	__u32 i;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	for (i = 0; i < XVS_STAT_MAX && !err; i++)
		if (bpf_map_update_elem(m->stats, &i, zero, BPF_ANY))
			err = -errno;
	free(zero);
	return err;
}

int xdpmaps__fdb_set(const struct xdpmaps *m, const struct xvs_fdb_key *k,
		     const struct xvs_fdb_val *v)
{
	return bpf_map_update_elem(m->fdb, k, v, BPF_ANY) ? -errno : 0;
}

int xdpmaps__fdb_del(const struct xdpmaps *m, const struct xvs_fdb_key *k)
{
	return bpf_map_delete_elem(m->fdb, k) ? -errno : 0;
}

int xdpmaps__port_set(const struct xdpmaps *m, __u32 idx, const struct xvs_port *p)
{
	if (idx >= XVS_MAX_PORTS)
		return -ERANGE;
	return bpf_map_update_elem(m->ports, &idx, p, BPF_ANY) ? -errno : 0;
}

int xdpmaps__zcq_set(const struct xdpmaps *m, __u32 slot, const struct xvs_zcq *z)
{
	struct xvs_zcq off = { 0 };

	return bpf_map_update_elem(m->zcq, &slot, z ? z : &off, BPF_ANY) ? -errno : 0;
}

void xdpmaps__zc_clear(const struct xdpmaps *m)
{
	struct xvs_fdb_key k;
	__u32 slot, n;

	for (slot = 0; m->zcq >= 0 && slot < XVS_MAX_XSKS; slot++)
		xdpmaps__zcq_set(m, slot, NULL);
	for (n = 0; m->learn >= 0 && n < XVS_LEARN_SIZE && !bpf_map_get_next_key(m->learn, NULL, &k);
	     n++)
		bpf_map_delete_elem(m->learn, &k);
}

int xdpmaps__cfg_get(const struct xdpmaps *m, struct xvs_cfg *c)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->cfg, &zero, c) ? -errno : 0;
}

int xdpmaps__cfg_set(const struct xdpmaps *m, const struct xvs_cfg *c)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->cfg, &zero, c, BPF_ANY) ? -errno : 0;
}

const char *xdpmaps_stat_name(unsigned int idx, char *buf, size_t len)
{
	size_t i;

	if (idx < XVS_VERDICT_MAX) {
		snprintf(buf, len, "%s", xvs_verdict_names[idx]);
	} else if (idx < XVS_STAT_MAX) {
		enum xvs_reason r = (enum xvs_reason)(idx - XVS_VERDICT_MAX + 1);

		snprintf(buf, len, "%s.%s", xvs_verdict_names[xvs_reason_verdict(r)],
			 xvs_reason_names[r]);
	} else {
		snprintf(buf, len, "?");
	}
	for (i = 0; buf[i]; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return buf;
}
