// SPDX-License-Identifier: GPL-2.0-only
/*
 * Control commands that change the running switch: fdb add|del|flush,
 * port add|del, log level, reload. Whether the client may is decided by
 * ctl_sock.c before these run. Nothing here is written to the config
 * file: a reload (or a restart) goes back to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "ctl/ctl_cmds.h"

/* "vlan N" after the other arguments, if given; -1 if not; -2 bad. */
static int parse_vlan(const char *kw, const char *v)
{
	char *end;
	long n;

	if (!kw)
		return -1;
	if (strcmp(kw, "vlan") || !v || !*v)
		return -2;
	n = strtol(v, &end, 10);
	return *end || n < 0 || n > 4094 ? -2 : (int)n;
}

static int fdb_key_of(struct ctl_out *o, const char *mac_s, const struct dp_port *p, int vlan,
		      uint64_t *key)
{
	uint8_t mac[6];

	if (!mac_s || !cfg_mac_parse(mac_s, mac)) {
		co_error(o, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", mac_s ? mac_s : "");
		return -EINVAL;
	}
	if (mac[0] & 1 || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		co_error(o, "%s is not a unicast address: the FDB holds unicast ones only", mac_s);
		return -EINVAL;
	}
	if (vlan == -2) {
		co_error(o, "bad VLAN: 'vlan N' with N from 0 to 4094");
		return -EINVAL;
	}
	/* a VM port's entries live in its access VLAN */
	if (vlan < 0)
		vlan = p && p->type == DP_PORT_VHOST ? p->vlan : 0;
	if (p && p->type == DP_PORT_VHOST && vlan != p->vlan) {
		co_error(o, "port %s is in VLAN %u, not %d", p->name, p->vlan, vlan);
		return -EINVAL;
	}
	*key = fdb_key((uint16_t)vlan, mac);
	return 0;
}

/* fdb add MAC PORT [vlan N] | fdb del MAC [vlan N] | fdb flush [PORT] */
int ctl_fdb_change(struct xvsd *x, struct ctl_out *o, int argc, char **argv)
{
	struct dp_port *p = NULL;
	uint64_t key;
	int r, i;

	if (!strcmp(argv[0], "add")) {
		if (argc != 3 && argc != 5)
			goto usage;
		p = ctl_port(x, o, argv[2]);
		if (!p)
			return -ENOENT;
		r = fdb_key_of(o, argv[1], p, parse_vlan(argc > 3 ? argv[3] : NULL, argv[4]), &key);
		if (r)
			return r;
		for (i = 0; i < x->n_rt_static && x->rt_static[i] != key; i++)
			;
		if (i == x->n_rt_static && i == CTL_MAX_RT_STATIC) {
			co_error(o, "%d entries added at run time already: put them in fdb.static",
				 CTL_MAX_RT_STATIC);
			return -ENOSPC;
		}
		r = fdb_add_static(&x->dp.fdb, key, p->id);
		if (r) {
			co_error(o, "the entry does not fit its FDB bucket (%s)", strerror(-r));
			return r;
		}
		if (i == x->n_rt_static)
			x->rt_static[x->n_rt_static++] = key;
		log_info("control: fdb add %s %s vlan %u", argv[1], p->name, (unsigned)(key >> 48));
	} else if (!strcmp(argv[0], "del")) {
		if (argc != 2 && argc != 4)
			goto usage;
		r = fdb_key_of(o, argv[1], NULL, parse_vlan(argc > 2 ? argv[2] : NULL, argv[3]), &key);
		if (r)
			return r;
		/* forgotten here even if the entry went with its port */
		for (i = 0; i < x->n_rt_static; i++)
			if (x->rt_static[i] == key)
				x->rt_static[i--] = x->rt_static[--x->n_rt_static];
		if (fdb_del(&x->dp.fdb, key)) {
			co_error(o, "no entry for %s in VLAN %u", argv[1], (unsigned)(key >> 48));
			return -ENOENT;
		}
		log_info("control: fdb del %s vlan %u", argv[1], (unsigned)(key >> 48));
	} else if (!strcmp(argv[0], "flush")) {
		if (argc > 2)
			goto usage;
		if (argc == 2 && !(p = ctl_port(x, o, argv[1])))
			return -ENOENT;
		for (i = 0; i < DP_MAX_PORTS; i++)
			if (x->dp.ports[i] && (!p || x->dp.ports[i] == p))
				fdb_flush_port(&x->dp.fdb, x->dp.ports[i]->id, false);
		log_info("control: fdb flush %s", p ? p->name : "(all ports)");
	} else {
		goto usage;
	}
	co_ok(o);
	return 0;
usage:
	co_error(o, "usage: fdb [show [PORT]] | fdb add MAC PORT [vlan N] | fdb del MAC [vlan N] | "
		    "fdb flush [PORT]");
	return -EINVAL;
}

/* port add NAME YAML | port del NAME: the running configuration edited and
 * applied like a reload (cfg_edit.c). */
int ctl_port_change(struct xvsd *x, struct ctl_out *o, const char *verb, const char *name,
		    const char *yaml)
{
	struct cfg nc;
	char err[512];
	bool add = !strcmp(verb, "add");
	int r;

	if ((!add && strcmp(verb, "del")) || !name || !*name || (add && (!yaml || !*yaml)) ||
	    (!add && yaml && *yaml)) {
		co_error(o, "usage: port add NAME '{ type: vhost-user, socket: PATH, ... }' | "
			    "port del NAME");
		return -EINVAL;
	}
	r = cfg_edit_port(&x->cfg, name, add ? yaml : NULL, &nc, err, sizeof(err));
	if (r) {
		co_error(o, "%s", err);
		return r;
	}
	xvsd_apply(x, &nc);
	if (add && !dp_port_find(&x->dp, name)) {
		co_error(o, "port %s is in the configuration but could not be opened, see the log",
			 name);
		return -EIO;
	}
	log_info("control: port %s %s (in memory only: a reload reads the file again)", verb,
		 name);
	co_ok(o);
	return 0;
}

/* log level [LEVEL] */
int ctl_log_level(struct xvsd *x, struct ctl_out *o, const char *level)
{
	int i;

	(void)x;
	for (i = 0; level && log_level_names[i]; i++)
		if (!strcmp(level, log_level_names[i]) ||
		    (i == LOG_LVL_WARN && !strcmp(level, "warn")) ||
		    (i == LOG_LVL_ERR && !strcmp(level, "err"))) {
			log_set_level((enum log_level)i);
			log_info("control: log level %s", log_level_names[i]);
			co_ok(o);
			return 0;
		}
	co_error(o, "usage: log level error|warning|info|debug");
	return -EINVAL;
}
