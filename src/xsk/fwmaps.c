// SPDX-License-Identifier: GPL-2.0-only
/* The firewall's BPF maps: opened or created, pinned, mapped. See fwmaps.h. */
#include "xsk/fwmaps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"
#include "xsk/xdpmaps.h"

/* What bpf/xvs_xdp.bpf.c declares: libbpf reuses a pinned map only if all
 * of these are equal. */
struct fwmap_def {
	const char *name;
	enum bpf_map_type type;
	__u32 key, value, entries, flags;
};

/* Open the pinned map, or create and pin it. */
static int open_or_create(const char *dir, const struct fwmap_def *d, int *fd_out,
			  __u32 *entries_out)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = d->flags);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, d->name);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			close(fd);
			return err;
		}
		if (info.type != d->type || info.key_size != d->key || info.value_size != d->value ||
		    info.map_flags != d->flags ||
		    (entries_out ? 0 : info.max_entries != d->entries)) {
			log_err("pinned map %s has type %u key %u value %u entries %u flags %#x, "
				"expected %u/%u/%u/%u/%#x: from another xvs version? (remove it "
				"with the switch stopped)",
				path, info.type, info.key_size, info.value_size, info.max_entries,
				info.map_flags, d->type, d->key, d->value, d->entries, d->flags);
			close(fd);
			return -EPROTO;
		}
		if (entries_out)
			*entries_out = info.max_entries;
		*fd_out = fd;
		return 0;
	}
	if (errno != ENOENT) {
		err = -errno;
		log_err("cannot open pinned map %s: %s", path, strerror(errno));
		return err;
	}
	fd = bpf_map_create(d->type, d->name, d->key, d->value, d->entries, &opts);
	if (fd < 0) {
		err = -errno;
		log_err("cannot create map %s (%u entries of %u bytes): %s", d->name, d->entries,
			d->value, strerror(errno));
		return err;
	}
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		log_err("cannot pin %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	if (entries_out)
		*entries_out = d->entries;
	*fd_out = fd;
	return 0;
}

static void *map_mem(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

int fwmaps__open(struct fwmaps *m, const char *name, uint32_t ct_size)
{
	const struct fwmap_def defs[] = {
		{ XVS_MAP_ACL, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvs_acl_rule),
		  2 * XVS_ACL_MAX_RULES, BPF_F_MMAPABLE },
		{ XVS_MAP_ACL_BIND, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvs_acl_bind),
		  XVS_ACL_BIND_MAX, BPF_F_MMAPABLE },
		{ XVS_MAP_ACL_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct xvs_counter),
		  2 * XVS_ACL_MAX_RULES, 0 },
		{ XVS_MAP_FW_CFG, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvs_fw_cfg), 1,
		  BPF_F_MMAPABLE },
		{ XVS_MAP_FW_GROUPS, BPF_MAP_TYPE_HASH, sizeof(struct xvs_fw_group_key), 4,
		  XVS_FW_MAX_GROUP_ADDRS, 0 },
		{ XVS_MAP_CT, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvs_ct_entry), ct_size,
		  BPF_F_MMAPABLE },
		{ XVS_MAP_FW_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct xvs_counter),
		  XVS_FW_STAT_MAX, 0 },
		{ XVS_MAP_FW_RL, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xvs_fw_rl), XVS_MAX_PORTS,
		  BPF_F_MMAPABLE },
	};
	int *fds[] = { &m->acl, &m->bind, &m->acl_stats, &m->cfg, &m->groups, &m->ct, &m->fw_stats, &m->rl };
	char dir[PATH_MAX];
	size_t i;
	int err;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < XVS_ARRAY_SIZE(fds); i++)
		*fds[i] = -1;
	err = xdpmaps_pin_dir(name, dir, sizeof(dir));
	if (err)
		return err;
	for (i = 0; i < XVS_ARRAY_SIZE(defs); i++) {
		err = open_or_create(dir, &defs[i], fds[i], fds[i] == &m->ct ? &m->ct_size : NULL);
		if (err)
			goto fail;
	}
	if (m->ct_size != ct_size)
		log_warn("the pinned conntrack table has %u entries (configured: %u): kept; remove "
			 "%s/%s with the switch stopped to resize it",
			 m->ct_size, ct_size, dir, XVS_MAP_CT);
	if (!m->ct_size || (m->ct_size & (m->ct_size - 1))) {
		err = -EPROTO;
		goto fail;
	}
	m->len[0] = page_round(sizeof(struct xvs_acl_rule) * 2 * XVS_ACL_MAX_RULES);
	m->len[1] = page_round(sizeof(struct xvs_acl_bind) * XVS_ACL_BIND_MAX);
	m->len[2] = page_round(sizeof(struct xvs_fw_cfg));
	m->len[3] = page_round(sizeof(struct xvs_ct_entry) * (size_t)m->ct_size);
	m->len[4] = page_round(sizeof(struct xvs_fw_rl) * XVS_MAX_PORTS);
	m->rules = map_mem(m->acl, m->len[0]);
	m->binds = map_mem(m->bind, m->len[1]);
	m->fcfg = map_mem(m->cfg, m->len[2]);
	m->cts = map_mem(m->ct, m->len[3]);
	m->rl_mem = map_mem(m->rl, m->len[4]);
	if (!m->rules || !m->binds || !m->fcfg || !m->cts || !m->rl_mem) {
		err = -errno;
		log_err("cannot map the firewall's tables: %s", strerror(errno));
		goto fail;
	}
	return 0;

fail:
	fwmaps__close(m);
	return err;
}

void fwmaps__close(struct fwmaps *m)
{
	int *fds[] = { &m->acl, &m->bind, &m->acl_stats, &m->cfg, &m->groups, &m->ct, &m->fw_stats, &m->rl };
	void *mem[] = { m->rules, m->binds, m->fcfg, m->cts, m->rl_mem };
	size_t i;

	for (i = 0; i < XVS_ARRAY_SIZE(mem); i++)
		if (mem[i])
			munmap(mem[i], m->len[i]);
	for (i = 0; i < XVS_ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	memset(m, 0, sizeof(*m));
	for (i = 0; i < XVS_ARRAY_SIZE(fds); i++)
		*fds[i] = -1;
}

int fwmaps__group_add(const struct fwmaps *m, const struct xvs_fw_group_key *k)
{
	__u32 one = 1;

	return bpf_map_update_elem(m->groups, k, &one, BPF_ANY) ? -errno : 0;
}

void fwmaps__groups_clear(const struct fwmaps *m, int bank)
{
	struct xvs_fw_group_key k, next;
	bool first = true;

	/* deleting while walking: restart from the beginning after each
	 * deletion is quadratic; collect the keys of the bank instead */
	struct xvs_fw_group_key *del = calloc(XVS_FW_MAX_GROUP_ADDRS, sizeof(*del));
	size_t n = 0, i;

	if (!del)
		return;
	while (!bpf_map_get_next_key(m->groups, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (k.bank == bank && n < XVS_FW_MAX_GROUP_ADDRS)
			del[n++] = k;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(m->groups, &del[i]);
	free(del);
}

static int percpu_sum(int fd, __u32 idx, struct xvs_counter *out)
{
	int ncpu = libbpf_num_possible_cpus(), c, err = 0;
	struct xvs_counter *v;

	*out = (struct xvs_counter){ 0 };
	if (ncpu < 0)
		return ncpu;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, v))
		err = -errno;
	else
		for (c = 0; c < ncpu; c++) {
			out->packets += v[c].packets;
			out->bytes += v[c].bytes;
		}
	free(v);
	return err;
}

int fwmaps__rule_stats(const struct fwmaps *m, int bank, uint32_t rule, struct xvs_counter *out)
{
	if (rule >= XVS_ACL_MAX_RULES)
		return -EINVAL;
	return percpu_sum(m->acl_stats, XVS_ACL_RULE_IDX(bank & 1, rule), out);
}

int fwmaps__reason_stats(const struct fwmaps *m, uint16_t port, int dir,
			 struct xvs_counter out[XVS_FW_REASON_MAX])
{
	int r, err;

	if (port >= XVS_MAX_PORTS || dir < 0 || dir >= XVS_FW_DIRS)
		return -EINVAL;
	for (r = 0; r < XVS_FW_REASON_MAX; r++) {
		err = percpu_sum(m->fw_stats, XVS_FW_STAT_IDX(port, dir, r), &out[r]);
		if (err)
			return err;
	}
	return 0;
}

void fwmaps__rule_stats_clear(const struct fwmaps *m, int bank, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xvs_counter *zero;
	uint32_t i;

	if (ncpu < 0 || !(zero = calloc((size_t)ncpu, sizeof(*zero))))
		return;
	for (i = 0; i < n && i < XVS_ACL_MAX_RULES; i++) {
		__u32 idx = XVS_ACL_RULE_IDX(bank & 1, i);

		bpf_map_update_elem(m->acl_stats, &idx, zero, BPF_ANY);
	}
	free(zero);
}
