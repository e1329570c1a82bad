// SPDX-License-Identifier: GPL-2.0-only
/* The configuration's firewall into the shared tables. See fwsync.h. */
#include "ctl/fwsync.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "dp/dp.h"
#include "xsk/xprog.h"

#define SWEEP_SLOTS_PER_TICK 8192 /* 64k entries: every 0.8 s at 100 ms ticks */


int fwsync_open(struct fwsync *s, struct dp *dp, const char *switch_name, uint32_t ct_max)
{
	struct fw_mem mem;
	int err;

	if (s->open)
		return 0;
	err = xprog_prepare_pins(switch_name);
	if (err)
		return err;
	err = fwmaps__open(&s->maps, switch_name, ct_max);
	if (err)
		return err;
	mem = (struct fw_mem){ s->maps.rules, s->maps.binds, s->maps.fcfg, s->maps.cts,
			       s->maps.ct_size, s->maps.rl_mem };
	err = fw_init_shared(&s->fw, dp->nworkers, &mem);
	if (err) {
		fwmaps__close(&s->maps);
		return err;
	}
	for (int b = 0; b < 2; b++) {
		s->ids[b] = calloc(XVS_ACL_MAX_RULES, sizeof(*s->ids[b]));
		s->carry[b] = calloc(XVS_ACL_MAX_RULES, sizeof(*s->carry[b]));
		if (!s->ids[b] || !s->carry[b]) {
			for (b = 0; b < 2; b++) {
				free(s->ids[b]);
				free(s->carry[b]);
			}
			fw_destroy(&s->fw);
			fwmaps__close(&s->maps);
			return -ENOMEM;
		}
	}
	s->open = true;
	/* read by the workers per burst */
	__atomic_store_n(&dp->fw, &s->fw, __ATOMIC_RELEASE);
	log_info("firewall: tables open, conntrack %u entries", s->maps.ct_size);
	return 0;
}

void fwsync_close(struct fwsync *s, struct dp *dp)
{
	int b;

	if (!s->open)
		return;
	__atomic_store_n(&dp->fw, NULL, __ATOMIC_RELEASE);
	dp_sync(dp);
	fw_destroy(&s->fw);
	fwmaps__close(&s->maps);
	for (b = 0; b < 2; b++) {
		free(s->ids[b]);
		free(s->carry[b]);
	}
	memset(s, 0, sizeof(*s));
}

/* (group, address) into bank b of both tables: the forwarder's set and
 * XDP's hash. */
static int group_put(struct fwsync *s, int b, int g, uint8_t family, const uint8_t addr[16])
{
	struct xvs_fw_group_key key = { .group = (__u16)g, .family = family, .bank = (__u8)b };
	int err;

	memcpy(key.addr, addr, 16);
	if (fw_group_has(&s->fw, &key))
		return 0;
	err = fw_group_add(&s->fw, b, key.group, key.family, key.addr);
	return err ?: fwmaps__group_add(&s->maps, &key);
}

/* The remote groups' addresses (the member ports' configured host
 * addresses; CIDRs are not members) into bank b. */
static int compile_groups(struct fwsync *s, const struct cfg *c, int b)
{
	int g, k, a, f, err;

	for (g = 0; g < c->fw.n_groups; g++) {
		const struct cfg_fw_group *grp = &c->fw.groups[g];

		for (k = 0; k < grp->n_ports; k++) {
			const struct cfg_spoof *sp = &c->ports[grp->ports[k]].spoof;
			const struct cfg_cidr *list[2] = { sp->ip4, sp->ip6 };
			int cnt[2] = { sp->n_ip4, sp->n_ip6 };

			for (f = 0; f < 2; f++)
				for (a = 0; a < cnt[f]; a++) {
					const struct cfg_cidr *ci = &list[f][a];

					if (ci->plen != (ci->family == 4 ? 32 : 128))
						continue;
					err = group_put(s, b, g, ci->family, ci->addr);
					if (err)
						return err;
				}
		}
	}
	return 0;
}

/* The old bank's final counts of rule j, with what it had carried. */
static void old_counts(const struct fwsync *s, int old, uint32_t j, struct xvs_counter *c)
{
	struct xvs_counter k;

	fw_sum_rule_bank(&s->fw, old, j, c);
	if (!fwmaps__rule_stats(&s->maps, old, j, &k)) {
		c->packets += k.packets;
		c->bytes += k.bytes;
	}
	c->packets += s->carry[old][j].packets;
	c->bytes += s->carry[old][j].bytes;
}

/* After the commit (the old bank no longer counts): every rule of the new
 * bank b that is the same rule as one of the old (same port, direction,
 * set name, place, and compiled the same) carries its counts on. */
static void carry_counts(struct fwsync *s, int b, const struct xvs_acl_rule *rules, uint32_t n)
{
	int old = b ^ 1;
	uint32_t i, j;

	memset(s->carry[b], 0, sizeof(*s->carry[b]) * XVS_ACL_MAX_RULES);
	for (i = 0; i < n; i++) {
		const struct fwsync_rule_id *id = &s->ids[b][i];
		const struct xvs_acl_bind *ob =
			&s->fw.m.binds[XVS_ACL_BIND_IDX(old, id->port, id->dir)];

		for (j = ob->first; j < ob->first + ob->count && j < s->compiled[old]; j++) {
			const struct fwsync_rule_id *oid = &s->ids[old][j];
			struct xvs_acl_rule a = rules[i], o = s->fw.m.rules[XVS_ACL_RULE_IDX(old, j)];

			/* set numbers may move with the file: names decide */
			a.set = o.set = 0;
			if (oid->pos != id->pos || strcmp(oid->set, id->set) || memcmp(&a, &o, sizeof(a)))
				continue;
			old_counts(s, old, j, &s->carry[b][i]);
			break;
		}
	}
}

void fwsync_rule_counts(const struct fwsync *s, uint32_t rule, struct xvs_counter *c)
{
	int b = fw_bank(&s->fw);
	struct xvs_counter k;

	fw_sum_rule(&s->fw, rule, c);
	if (!fwmaps__rule_stats(&s->maps, b, rule, &k)) {
		c->packets += k.packets;
		c->bytes += k.bytes;
	}
	if (rule < XVS_ACL_MAX_RULES) {
		c->packets += s->carry[b][rule].packets;
		c->bytes += s->carry[b][rule].bytes;
	}
}

static void grace(void *arg)
{
	/* every XDP program run that may have read the old bank is over once
	 * an RCU grace period passed (MEMBARRIER_CMD_GLOBAL waits for one);
	 * every worker once it passed a quiescent point */
	syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	dp_sync(arg);
}

int fwsync_apply(struct fwsync *s, struct dp *dp, const struct cfg *c)
{
	struct xvs_acl_rule *rules;
	uint32_t n = 0;
	int i, dir, b, old, err, removed;
	bool any = false;

	if (!c->fw.on && !s->open)
		return 0;
	if (!s->open) {
		err = fwsync_open(s, dp, c->name, c->fw.ct_max);
		if (err)
			return err;
	}
	rules = calloc(XVS_ACL_MAX_RULES, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	b = fw_bank_begin(&s->fw);
	old = b ^ 1;
	fwmaps__groups_clear(&s->maps, b);
	/* what this bank counted its last time in force was carried on then */
	fwmaps__rule_stats_clear(&s->maps, b, XVS_ACL_MAX_RULES);
	for (i = 0; i < c->n_ports; i++) {
		const struct cfg_port *cp = &c->ports[i];
		struct dp_port *p;

		if (cp->type != CFG_PORT_VHOST_USER)
			continue;
		p = dp_port_find(dp, cp->name);
		if (!p)
			continue;
		for (dir = 0; dir < XVS_FW_DIRS; dir++) {
			uint32_t first = n;
			int cnt = fwc_compile_bind(c, cp, dir, rules, &n, XVS_ACL_MAX_RULES);

			if (cnt < 0) {
				err = cnt;
				log_err("firewall: port %s: too many rules", cp->name);
				goto fail;
			}
			if ((uint32_t)cnt != cfg_fw_bind_len(c, cp, dir)) {
				/* the loader's count and this layout must agree */
				log_err("firewall: port %s: %d rules compiled, %u counted", cp->name,
					cnt, cfg_fw_bind_len(c, cp, dir));
				err = -EPROTO;
				goto fail;
			}
			err = fw_bank_bind(&s->fw, p->id, dir, first, (uint32_t)cnt);
			if (err)
				goto fail;
			for (uint32_t k = first; k < first + (uint32_t)cnt; k++) {
				struct fwsync_rule_id *id = &s->ids[b][k];

				id->port = p->id;
				id->dir = (uint8_t)dir;
				id->pos = rules[k].pos;
				snprintf(id->set, sizeof(id->set), "%s",
					 rules[k].set < (uint32_t)c->fw.n_sets ? c->fw.sets[rules[k].set].name : "");
			}
			any |= cnt > 0;
		}
	}
	err = fw_bank_rules(&s->fw, 0, rules, n);
	if (err)
		goto fail;
	err = compile_groups(s, c, b);
	if (err) {
		log_err("firewall: remote groups: %s", strerror(-err));
		goto fail;
	}
	fw_set_timeouts(&s->fw, c->fw.timeout);
	fw_set_reject_rate(&s->fw, c->fw.reject_rate);
	/* on before the flip, off after it: no window without the rules */
	if (any)
		fw_set_on(&s->fw, true);
	s->compiled[b] = n;
	removed = fw_commit(&s->fw, grace, dp, clock_now_ns());
	if (!any)
		fw_set_on(&s->fw, false);
	carry_counts(s, b, rules, n);
	fwmaps__groups_clear(&s->maps, old);
	s->reloads++;
	if (removed > 0)
		s->reload_removed += (uint64_t)removed;
	log_info("firewall: %u rules in force (bank %d)%s; %d tracked connections no longer "
		 "allowed, removed",
		 n, b, any ? "" : ", no port has rules", removed < 0 ? 0 : removed);
	free(rules);
	return 0;

fail:
	/* the bank in force stays: nothing changed for the traffic */
	s->fw.building = -1;
	free(rules);
	return err;
}

void fwsync_tick(struct fwsync *s, uint64_t now)
{
	struct fw_ct_usage u = { 0 };
	uint32_t size, n;

	if (!s->open)
		return;
	size = s->fw.m.ct_size;
	n = size < SWEEP_SLOTS_PER_TICK ? size : SWEEP_SLOTS_PER_TICK;
	fw_ct_sweep(&s->fw, s->sweep_at, n, now, &u);
	s->ct_expired += u.expired;
	s->sweep_live += u.live;
	s->sweep_at = (s->sweep_at + n) & (size - 1);
	if (s->sweep_at < n || n == size) { /* wrapped: a whole table seen */
		s->last.size = size;
		s->last.live = s->sweep_live;
		s->sweep_live = 0;
	}
}

int fwsync_port_gone(struct fwsync *s, uint16_t id)
{
	return s->open ? fw_ct_flush_zone(&s->fw, id) : 0;
}
