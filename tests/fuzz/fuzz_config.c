// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_config: the YAML configuration loader (src/ctl/config.c).
 *
 * Input: a configuration file, written into a memfd that cfg_load() opens
 * by its /proc/self/fd path (the loader reads files only).
 *
 * Invariants, beyond "no crash, no undefined behaviour, no leak" (libFuzzer
 * checks leaks after each input):
 *  - on error: a negative errno, a NUL-terminated message that starts with
 *    the file name, and *out untouched;
 *  - on success: counts within their limits, names NUL-terminated and
 *    found again by cfg_find_port(), static FDB entries naming a port;
 *    the firewall's indices (sets, groups, ports) in range, every rule's
 *    fields consistent with its match bits (addresses without host bits,
 *    ranges in order, ports only with TCP/UDP/SCTP...), and n_compiled and
 *    on what the ports' attachments add up to;
 *  - the compiler (src/ctl/fwcompile.c) lays out every port and direction
 *    in as many rules as counted here: the sets' rules in order, then one
 *    default (the deciding set's, the drop after a last next, or the
 *    implicit stateful allow of a direction without sets).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctl/config.h"
#include "ctl/fwcompile.h"
#include "fuzz.h"
#include "vhost/vu_proto.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	memfd = memfd_create("xvs-fuzz-config", MFD_CLOEXEC);
	fuzz_check(memfd >= 0, "memfd_create: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_cidr(const struct cfg_cidr *a, const char *what)
{
	int i, bits;

	fuzz_check((a->family == 4 && a->plen <= 32) || (a->family == 6 && a->plen <= 128),
		   "%s: family %u plen %u", what, a->family, a->plen);
	for (i = 0; i < 16; i++) {
		bits = a->plen - 8 * i;
		if (bits >= 8)
			continue;
		fuzz_check(!(a->addr[i] & (bits <= 0 ? 0xff : 0xff >> bits)) &&
				   (a->family == 6 || i < 4 || !a->addr[i]),
			   "%s: host bits set in byte %d", what, i);
	}
}

/* What fwc_compile_bind laid out for port p's direction d: bind rules,
 * walked as the loader's sets say. */
static void check_compiled(const struct cfg *c, const struct cfg_port *p, int d, uint32_t bind)
{
	static struct xvs_acl_rule r[XVS_ACL_MAX_PER_BIND + 1];
	uint32_t n = 0, at = 0;
	int got, j, k;

	got = fwc_compile_bind(c, p, d, r, &n, XVS_ACL_MAX_PER_BIND + 1);
	fuzz_check(got >= 0 && (uint32_t)got == bind && n == bind,
		   "port %s dir %d: %d rules compiled (n %u), %u counted", p->name, d, got, n, bind);
	for (j = 0; j < p->n_fw_sets[d]; j++) {
		const struct cfg_rule_set *s = &c->fw.sets[p->fw_sets[d][j]];

		for (k = 0; k < s->n_rules; k++, at++)
			fuzz_check(at < n && r[at].set == (uint32_t)p->fw_sets[d][j] &&
					   r[at].pos == (uint32_t)k &&
					   !(r[at].flags & XVS_ACL_F_DEFAULT) &&
					   r[at].match == s->rules[k].match &&
					   r[at].proto == s->rules[k].proto &&
					   !!(r[at].flags & XVS_ACL_F_STATEFUL) == s->rules[k].stateful,
				   "port %s dir %d: rule %u is not set %s's rule %d", p->name, d, at,
				   s->name, k);
	}
	if (!bind)
		return;
	fuzz_check(at == n - 1 && (r[at].flags & XVS_ACL_F_DEFAULT),
		   "port %s dir %d: %u rules, then no default at %u", p->name, d, n, at);
	if (!p->n_fw_sets[d])
		fuzz_check(r[at].set == FWC_SET_IMPLICIT && r[at].action == XVS_ACL_ALLOW &&
				   (r[at].flags & XVS_ACL_F_STATEFUL),
			   "port %s dir %d: not the implicit stateful allow", p->name, d);
	else
		fuzz_check(r[at].set == (uint32_t)p->fw_sets[d][p->n_fw_sets[d] - 1] &&
				   (c->fw.sets[r[at].set].def != CFG_FW_NEXT ||
				    r[at].action == XVS_ACL_DROP),
			   "port %s dir %d: the default is not the last set's", p->name, d);
}

static void check_rule(const struct cfg *c, const struct cfg_fw_rule *r)
{
	uint32_t m = r->match;
	bool ports = r->proto == 6 || r->proto == 17 || r->proto == 132;

	fuzz_check(r->action <= CFG_FW_COUNT, "rule at line %d: action %d", r->line, r->action);
	fuzz_check(!(m & XVS_ACL_M_FAMILY) || r->family == 4 || r->family == 6,
		   "rule at line %d: family %u", r->line, r->family);
	fuzz_check(!(m & XVS_ACL_M_VLAN) || (r->vlan >= 1 && r->vlan <= 4094),
		   "rule at line %d: vlan %u", r->line, r->vlan);
	if (m & XVS_ACL_M_SADDR) {
		check_cidr(&r->src, "rule src");
		fuzz_check((m & XVS_ACL_M_FAMILY) && r->family == r->src.family,
			   "rule at line %d: src family", r->line);
	}
	if (m & XVS_ACL_M_DADDR) {
		check_cidr(&r->dst, "rule dst");
		fuzz_check((m & XVS_ACL_M_FAMILY) && r->family == r->dst.family,
			   "rule at line %d: dst family", r->line);
	}
	fuzz_check(!(m & XVS_ACL_M_SGROUP) || (r->sgroup >= 0 && r->sgroup < c->fw.n_groups),
		   "rule at line %d: sgroup %d", r->line, r->sgroup);
	fuzz_check(!(m & XVS_ACL_M_DGROUP) || (r->dgroup >= 0 && r->dgroup < c->fw.n_groups),
		   "rule at line %d: dgroup %d", r->line, r->dgroup);
	fuzz_check(!(m & (XVS_ACL_M_SPORT | XVS_ACL_M_DPORT)) || ((m & XVS_ACL_M_PROTO) && ports),
		   "rule at line %d: ports with proto %u", r->line, r->proto);
	fuzz_check(r->sport_lo <= r->sport_hi && r->dport_lo <= r->dport_hi,
		   "rule at line %d: port range", r->line);
	fuzz_check(!(m & XVS_ACL_M_ICMP_TYPE) ||
			   ((m & XVS_ACL_M_PROTO) && (r->proto == 1 || r->proto == 58)),
		   "rule at line %d: icmp-type with proto %u", r->line, r->proto);
	fuzz_check(!(m & XVS_ACL_M_ICMP_CODE) || (m & XVS_ACL_M_ICMP_TYPE),
		   "rule at line %d: icmp-code without a type", r->line);
	fuzz_check(!(m & XVS_ACL_M_TCP_FLAGS) ||
			   ((m & XVS_ACL_M_PROTO) && r->proto == 6 && r->tcp_mask &&
			    !(r->tcp_flags & ~r->tcp_mask)),
		   "rule at line %d: tcp flags %#x/%#x", r->line, r->tcp_flags, r->tcp_mask);
}

static void check_fw(const struct cfg *c)
{
	const struct cfg_fw *fw = &c->fw;
	uint32_t compiled = 0;
	bool on = false;
	int i, j, k, d;

	fuzz_check(fw->n_sets >= 0 && fw->n_sets <= CFG_FW_MAX_SETS && (!fw->n_sets || fw->sets),
		   "n_sets %d", fw->n_sets);
	fuzz_check(fw->n_groups >= 0 && fw->n_groups <= CFG_FW_MAX_GROUPS &&
			   (!fw->n_groups || fw->groups),
		   "n_groups %d", fw->n_groups);
	fuzz_check(fw->ct_max >= 1024 && fw->ct_max <= 1048576 && !(fw->ct_max & (fw->ct_max - 1)),
		   "ct_max %u", fw->ct_max);
	for (i = 0; i < XVS_CT_TO_MAX; i++)
		fuzz_check(fw->timeout[i] >= 1 && fw->timeout[i] <= 864000, "timeout %d: %u", i,
			   fw->timeout[i]);
	fuzz_check(fw->reject_rate <= 100000, "reject_rate %u", fw->reject_rate);
	for (i = 0; i < fw->n_sets; i++) {
		const struct cfg_rule_set *s = &fw->sets[i];

		fuzz_check(terminated(s->name, sizeof(s->name)) && s->name[0], "set %d name", i);
		fuzz_check(s->def != CFG_FW_COUNT && s->def <= CFG_FW_NEXT, "set %s default %d",
			   s->name, s->def);
		fuzz_check(s->n_rules >= 0 && s->n_rules <= XVS_ACL_MAX_PER_BIND &&
				   (!s->n_rules || s->rules),
			   "set %s n_rules %d", s->name, s->n_rules);
		for (j = 0; j < s->n_rules; j++) {
			check_rule(c, &s->rules[j]);
			fuzz_check(j == 0 || s->rules[j - 1].match ||
					   s->rules[j - 1].action == CFG_FW_COUNT,
				   "set %s: rule %d after one that matches everything", s->name, j);
		}
	}
	for (i = 0; i < fw->n_groups; i++) {
		const struct cfg_fw_group *g = &fw->groups[i];

		fuzz_check(terminated(g->name, sizeof(g->name)) && g->name[0], "group %d name", i);
		fuzz_check(g->n_ports >= 0 && g->n_ports <= c->n_ports, "group %s n_ports %d",
			   g->name, g->n_ports);
		for (j = 0; j < g->n_ports; j++) {
			fuzz_check(g->ports[j] >= 0 && g->ports[j] < c->n_ports &&
					   c->ports[g->ports[j]].type == CFG_PORT_VHOST_USER &&
					   c->ports[g->ports[j]].spoof.on,
				   "group %s port %d", g->name, g->ports[j]);
			for (k = 0; k < j; k++)
				fuzz_check(g->ports[k] != g->ports[j], "group %s: port twice", g->name);
		}
	}
	for (i = 0; i < c->n_ports; i++) {
		const struct cfg_port *p = &c->ports[i];
		const struct cfg_spoof *sp = &p->spoof;

		for (d = 0; d < XVS_FW_DIRS; d++) {
			uint32_t bind = 0;

			fuzz_check(p->n_fw_sets[d] >= 0 && p->n_fw_sets[d] <= CFG_FW_MAX_SETS_PER_DIR &&
					   (p->type == CFG_PORT_VHOST_USER || !p->n_fw_sets[d]),
				   "port %s: %d sets", p->name, p->n_fw_sets[d]);
			for (j = 0; j < p->n_fw_sets[d]; j++) {
				const struct cfg_rule_set *s;

				fuzz_check(p->fw_sets[d][j] >= 0 && p->fw_sets[d][j] < fw->n_sets,
					   "port %s: set %d", p->name, p->fw_sets[d][j]);
				for (k = 0; k < j; k++)
					fuzz_check(p->fw_sets[d][k] != p->fw_sets[d][j],
						   "port %s: set twice", p->name);
				s = &fw->sets[p->fw_sets[d][j]];
				/* only the last set may decide: one after it is never reached */
				fuzz_check(s->def == CFG_FW_NEXT || j == p->n_fw_sets[d] - 1,
					   "port %s: set %s decides, %d after it", p->name, s->name,
					   p->n_fw_sets[d] - 1 - j);
				bind += (uint32_t)s->n_rules;
				for (k = 0; k < s->n_rules; k++)
					fuzz_check(!(s->rules[k].match & XVS_ACL_M_VLAN),
						   "port %s walks a vlan rule", p->name);
			}
			/* one default after the sets (the deciding set's, or the drop after
			 * a last next); no sets this way but some the other: one implicit
			 * stateful allow */
			if (p->n_fw_sets[d] || p->n_fw_sets[d ^ 1])
				bind++;
			fuzz_check(bind <= XVS_ACL_MAX_PER_BIND, "port %s: %u rules", p->name, bind);
			check_compiled(c, p, d, bind);
			compiled += bind;
			on |= p->n_fw_sets[d] > 0;
		}
		fuzz_check(!sp->on || p->type == CFG_PORT_VHOST_USER, "uplink %s anti-spoofing",
			   p->name);
		fuzz_check(sp->n_ip4 >= 0 && sp->n_ip4 <= CFG_FW_MAX_ADDRS && sp->n_ip6 >= 0 &&
				   sp->n_ip6 <= CFG_FW_MAX_ADDRS && (sp->on || !(sp->n_ip4 + sp->n_ip6)),
			   "port %s: %d + %d addresses", p->name, sp->n_ip4, sp->n_ip6);
		for (j = 0; j < sp->n_ip4; j++) {
			check_cidr(&sp->ip4[j], "anti-spoofing ipv4");
			fuzz_check(sp->ip4[j].family == 4, "port %s: ipv4 family", p->name);
		}
		for (j = 0; j < sp->n_ip6; j++) {
			check_cidr(&sp->ip6[j], "anti-spoofing ipv6");
			fuzz_check(sp->ip6[j].family == 6, "port %s: ipv6 family", p->name);
		}
		fuzz_check(!sp->have_mac || !(sp->mac[0] & 1), "port %s: multicast mac", p->name);
		on |= sp->on;
	}
	fuzz_check(compiled == fw->n_compiled && compiled <= XVS_ACL_MAX_RULES,
		   "n_compiled %u, the ports add up to %u", fw->n_compiled, compiled);
	fuzz_check(on == fw->on, "fw.on %d", fw->on);
}

static void check_cfg(const struct cfg *c)
{
	int i, j;

	fuzz_check(terminated(c->name, sizeof(c->name)) && c->name[0], "switch name");
	fuzz_check(terminated(c->control_socket, sizeof(c->control_socket)), "control socket");
	fuzz_check(terminated(c->socket_dir, sizeof(c->socket_dir)), "socket dir");
	fuzz_check(c->log_level <= LOG_LVL_DEBUG, "log level %d", c->log_level);
	fuzz_check(c->n_cpus >= 1 && c->n_cpus <= CFG_MAX_CPUS, "n_cpus %d", c->n_cpus);
	fuzz_check(c->n_ports >= 0 && c->n_ports <= CFG_MAX_PORTS, "n_ports %d", c->n_ports);
	fuzz_check(c->n_static >= 0, "n_static %d", c->n_static);
	fuzz_check(c->n_ports == 0 || c->ports, "ports NULL");
	for (i = 0; i < c->n_ports; i++) {
		const struct cfg_port *p = &c->ports[i];

		fuzz_check(terminated(p->name, sizeof(p->name)) && p->name[0], "port %d name", i);
		fuzz_check(terminated(p->socket, sizeof(p->socket)), "port %s socket", p->name);
		fuzz_check(terminated(p->ifname, sizeof(p->ifname)), "port %s ifname", p->name);
		fuzz_check(cfg_find_port(c, p->name) == p, "port %s found elsewhere", p->name);
		fuzz_check(p->n_queue_ids >= 0 && p->n_queue_ids <= CFG_MAX_QUEUE_IDS,
			   "port %s n_queue_ids %d", p->name, p->n_queue_ids);
		for (j = 0; j < p->n_queue_ids; j++)
			fuzz_check(p->queue_ids[j] < CFG_MAX_QUEUE_IDS, "port %s queue id %u",
				   p->name, p->queue_ids[j]);
		if (p->type == CFG_PORT_VHOST_USER)
			fuzz_check(p->queues >= 1 && p->queues <= VU_MAX_QUEUE_PAIRS,
				   "port %s queues %u", p->name, p->queues);
		else
			fuzz_check(p->type == CFG_PORT_UPLINK && p->vlan == 0,
				   "port %s type %d vlan %u", p->name, p->type, p->vlan);
		fuzz_check(p->vlan < 4095, "port %s vlan %u", p->name, p->vlan);
	}
	fuzz_check(c->n_protected >= 0 && c->n_protected <= CFG_MAX_PROTECTED, "n_protected %d",
		   c->n_protected);
	for (i = 0; i < c->n_protected; i++) {
		static const uint8_t zero[6];

		fuzz_check(!(c->protected_macs[i][0] & 1) && memcmp(c->protected_macs[i], zero, 6),
			   "protected MAC %d multicast or zero", i);
		for (j = 0; j < i; j++)
			fuzz_check(memcmp(c->protected_macs[i], c->protected_macs[j], 6),
				   "protected MAC %d listed twice", i);
	}
	for (i = 0; i < 2; i++) {
		uint32_t mode = i ? c->socket_mode : c->control_socket_mode;

		fuzz_check(!(mode & ~0777u) && (mode & 0600) == 0600, "socket mode %o", mode);
	}
	for (i = 0; i < c->n_static; i++) {
		const struct cfg_fdb_static *s = &c->statics[i];

		fuzz_check(terminated(s->port, sizeof(s->port)), "static %d port", i);
		fuzz_check(cfg_find_port(c, s->port), "static %d names unknown port %s", i,
			   s->port);
	}
	check_fw(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t canary[8] = "untouch";
	struct cfg c;
	char err[512];
	int r;

	fuzz_check(ftruncate(memfd, 0) == 0, "ftruncate: %s", strerror(errno));
	fuzz_check(pwrite(memfd, data, size, 0) == (ssize_t)size, "pwrite: %s", strerror(errno));

	memset(&c, 0, sizeof(c));
	memcpy(c.name, canary, sizeof(canary));
	memset(err, 'x', sizeof(err));
	r = cfg_load(path, &c, err, sizeof(err));
	fuzz_dbg("cfg_load: %d%s%s\n", r, r ? ": " : "", r ? err : "");
	if (r) {
		fuzz_check(r < 0 && r > -4096, "cfg_load returned %d", r);
		fuzz_check(terminated(err, sizeof(err)), "error message not terminated");
		fuzz_check(!strncmp(err, path, strlen(path)), "error does not name the file: %s",
			   err);
		fuzz_check(!memcmp(c.name, canary, sizeof(canary)) && c.n_ports == 0 &&
				   !c.ports && !c.statics && !c.fw.sets && !c.fw.groups,
			   "*out changed on error");
		return 0;
	}
	check_cfg(&c);
	cfg_free(&c);
	return 0;
}
