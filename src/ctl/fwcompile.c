// SPDX-License-Identifier: GPL-2.0-only
/* A port's rule sets into the shared rule layout. See fwcompile.h. */
#include "ctl/fwcompile.h"

#include <errno.h>
#include <string.h>

/* A CIDR as the rule's pre-masked words and mask. */
static void cidr_words(const struct cfg_cidr *c, __u32 addr[4], __u32 mask[4])
{
	uint8_t m[16] = { 0 };
	int i;

	for (i = 0; i < 16; i++) {
		int bits = c->plen - i * 8;

		m[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
	if (c->family == 4)
		memset(m + 4, 0, 12);
	memcpy(mask, m, 16);
	memcpy(addr, c->addr, 16);
	for (i = 0; i < 4; i++)
		addr[i] &= mask[i];
}

static const uint8_t action_of[] = {
	[CFG_FW_ALLOW] = XVS_ACL_ALLOW,
	[CFG_FW_DROP] = XVS_ACL_DROP,
	[CFG_FW_REJECT] = XVS_ACL_REJECT,
	[CFG_FW_COUNT] = XVS_ACL_COUNT,
	[CFG_FW_NEXT] = XVS_ACL_DROP, /* never compiled */
};

static void compile_rule(struct xvs_acl_rule *o, const struct cfg_fw_rule *r, uint32_t set,
			 uint32_t pos)
{
	memset(o, 0, sizeof(*o));
	o->match = r->match;
	o->action = action_of[r->action];
	o->flags = r->stateful ? XVS_ACL_F_STATEFUL : 0;
	o->family = r->family;
	o->proto = r->proto;
	o->ethertype = r->ethertype;
	o->vlan = r->vlan;
	memcpy(o->smac, r->smac, 6);
	memcpy(o->dmac, r->dmac, 6);
	o->sport_lo = r->sport_lo;
	o->sport_hi = r->sport_hi;
	o->dport_lo = r->dport_lo;
	o->dport_hi = r->dport_hi;
	o->icmp_type = r->icmp_type;
	o->icmp_code = r->icmp_code;
	o->tcp_flags = r->tcp_flags;
	o->tcp_mask = r->tcp_mask;
	o->sgroup = (__u16)(r->match & XVS_ACL_M_SGROUP ? r->sgroup : 0);
	o->dgroup = (__u16)(r->match & XVS_ACL_M_DGROUP ? r->dgroup : 0);
	o->set = set;
	o->pos = pos;
	if (r->match & XVS_ACL_M_SADDR)
		cidr_words(&r->src, o->saddr, o->smask);
	if (r->match & XVS_ACL_M_DADDR)
		cidr_words(&r->dst, o->daddr, o->dmask);
}

/* The default of set `set` (or the implicit drop after a last "next"). */
static void compile_default(struct xvs_acl_rule *o, const struct cfg_rule_set *rs, uint32_t set)
{
	memset(o, 0, sizeof(*o));
	o->action = rs->def == CFG_FW_NEXT ? XVS_ACL_DROP : action_of[rs->def];
	o->flags = XVS_ACL_F_DEFAULT | (rs->stateful ? XVS_ACL_F_STATEFUL : 0);
	o->set = set;
	o->pos = (uint32_t)rs->n_rules;
}

int fwc_compile_bind(const struct cfg *c, const struct cfg_port *cp, int dir,
		     struct xvs_acl_rule *r, uint32_t *n, uint32_t max)
{
	uint32_t first = *n;
	int k, i;

	if (dir < 0 || dir >= XVS_FW_DIRS)
		return -EINVAL;
	for (k = 0; k < cp->n_fw_sets[dir]; k++) {
		const struct cfg_rule_set *rs = &c->fw.sets[cp->fw_sets[dir][k]];
		bool last = k == cp->n_fw_sets[dir] - 1;

		for (i = 0; i < rs->n_rules; i++) {
			if (*n >= max)
				return -E2BIG;
			compile_rule(&r[(*n)++], &rs->rules[i], (uint32_t)cp->fw_sets[dir][k],
				     (uint32_t)i);
		}
		/* "next" goes on with the next set; after the last one, drop */
		if (rs->def != CFG_FW_NEXT || last) {
			if (*n >= max)
				return -E2BIG;
			compile_default(&r[(*n)++], rs, (uint32_t)cp->fw_sets[dir][k]);
		}
		if (rs->def != CFG_FW_NEXT)
			break; /* what follows a set with a real default is unreachable */
	}
	/* rules one way only: the other way allows everything, statefully
	 * (as a security group's egress "allow all"): the replies to what
	 * the VM opens come back through the rules of the first */
	if (!cp->n_fw_sets[dir] && cp->n_fw_sets[dir ^ 1]) {
		if (*n >= max)
			return -E2BIG;
		memset(&r[*n], 0, sizeof(r[*n]));
		r[*n].action = XVS_ACL_ALLOW;
		r[*n].flags = XVS_ACL_F_DEFAULT | XVS_ACL_F_STATEFUL;
		r[*n].set = FWC_SET_IMPLICIT;
		(*n)++;
	}
	if (*n - first > XVS_ACL_MAX_PER_BIND)
		return -E2BIG;
	return (int)(*n - first);
}
