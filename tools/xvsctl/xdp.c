// SPDX-License-Identifier: GPL-2.0-only
/* xvsctl xdp: the XDP program's maps. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ctl/ctl_out.h"
#include "frame.h"
#include "xsk/xdpmaps.h"
#include "xvsctl.h"

static const char xdp_usage[] =
	"usage: xvsctl [-s NAME] xdp stats\n"
	"       xvsctl [-s NAME] xdp stats-reset\n"
	"       xvsctl [-s NAME] xdp fdb add MAC PORT [--vlan VID]\n"
	"       xvsctl [-s NAME] xdp fdb del MAC [--vlan VID]\n"
	"       xvsctl [-s NAME] xdp fdb list\n"
	"       xvsctl [-s NAME] xdp port set IDX vhost|uplink|host|none [--mtu MTU]\n"
	"       xvsctl [-s NAME] xdp cfg [flood-to-host=on|off] [unknown-to-switch=on|off]\n";

static const char *const kind_names[] = {
	[XVS_PORT_NONE] = "none",
	[XVS_PORT_VHOST] = "vhost",
	[XVS_PORT_UPLINK] = "uplink",
	[XVS_PORT_HOST] = "host",
};

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "xvsctl xdp: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", xdp_usage);
	return 2;
}

/* Parse an unsigned number in [0, max]; -1 if it is not one. */
static long parse_num(const char *s, long max)
{
	uint64_t v;

	return args_u64(s, 0, 0, (uint64_t)max, &v) ? -1 : (long)v;
}

/* -j: answers as JSON, in the daemon's schema (tools/xvsctl/README.md) */
static bool json;

static int fail(const char *what, int err)
{
	if (json)
		printf("{\"error\":\"%s: %s\"}\n", what, strerror(-err));
	else
		fprintf(stderr, "xvsctl xdp: %s: %s\n", what, strerror(-err));
	return 1;
}

/* Print a finished answer (text: only what co_text wrote). */
static int emit(struct ctl_out *o)
{
	size_t len;
	char *b = co_finish(o, &len);

	if (!b)
		return fail("answer", -ENOMEM);
	fwrite(b, 1, len, stdout);
	free(b);
	return 0;
}

/* A change done: nothing in text (as before), {"ok":true} in JSON. */
static int done(void)
{
	if (json)
		puts("{\"ok\":true}");
	return 0;
}

static int cmd_stats(const struct xdpmaps *m)
{
	struct xvs_counter c[XVS_STAT_MAX];
	struct ctl_out o;
	char name[64];
	unsigned int i;
	int err;

	err = xdpmaps__read_stats(m, c);
	if (err)
		return fail("reading counters", err);
	co_init(&o, json ? CO_JSON : CO_TEXT);
	for (i = 0; i < XVS_STAT_MAX; i++) {
		xdpmaps_stat_name(i, name, sizeof(name));
		co_text(&o, "%-24s %14llu %16llu\n", name, (unsigned long long)c[i].packets,
			(unsigned long long)c[i].bytes);
		if (!json)
			continue;
		co_rec(&o, 0, "counter", name);
		co_count(&o, "packets", c[i].packets);
		co_count(&o, "bytes", c[i].bytes);
	}
	return emit(&o);
}

/* MAC [--vlan VID] from argv[0..]; returns argv consumed or -1. */
static int parse_fdb_key(int argc, char **argv, struct xvs_fdb_key *k, int *extra)
{
	long vid;
	int i;

	memset(k, 0, sizeof(*k));
	if (argc < 1 || frame_parse_mac(argv[0], k->mac)) {
		usage_err("expected a MAC address like 02:00:00:00:00:01, got '%s'",
			  argc ? argv[0] : "");
		return -1;
	}
	*extra = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vlan") && i + 1 < argc) {
			vid = parse_num(argv[++i], 4094);
			if (vid < 0) {
				usage_err("--vlan wants a VID 0..4094, got '%s'", argv[i]);
				return -1;
			}
			k->vlan = (__u16)vid;
		} else {
			argv[1 + (*extra)++] = argv[i];
		}
	}
	return 0;
}

static int cmd_fdb(const struct xdpmaps *m, int argc, char **argv)
{
	struct xvs_fdb_key k, next;
	struct xvs_fdb_val v = { 0 };
	int err, rest;
	long port;
	void *prev = NULL;

	if (argc >= 1 && !strcmp(argv[0], "list")) {
		struct ctl_out o;
		char mac[18];

		co_init(&o, json ? CO_JSON : CO_TEXT);
		co_text(&o, "%-4s %-17s %-5s %s\n", "vlan", "mac", "port", "flags");
		while (!bpf_map_get_next_key(m->fdb, prev, &next)) {
			if (!bpf_map_lookup_elem(m->fdb, &next, &v)) {
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
					 next.mac[0], next.mac[1], next.mac[2], next.mac[3],
					 next.mac[4], next.mac[5]);
				co_text(&o, "%-4u %s %-5u %s\n", next.vlan, mac, v.port,
					v.flags & XVS_FDB_F_STATIC ? "static" : "");
				if (json) {
					co_rec(&o, 0, "entry", NULL);
					co_gauge(&o, "vlan", next.vlan);
					co_str(&o, "mac", mac);
					co_gauge(&o, "port", v.port);
					co_bool(&o, "static", v.flags & XVS_FDB_F_STATIC);
				}
			}
			k = next;
			prev = &k;
		}
		return emit(&o);
	}
	if (argc >= 2 && !strcmp(argv[0], "add")) {
		if (parse_fdb_key(argc - 1, argv + 1, &k, &rest))
			return 2;
		if (rest != 1 || (port = parse_num(argv[2], XVS_MAX_PORTS - 1)) < 0)
			return usage_err("fdb add wants one PORT 0..255, got '%s'",
					 rest ? argv[2] : "");
		v.port = (__u32)port;
		v.flags = XVS_FDB_F_STATIC;
		err = xdpmaps__fdb_set(m, &k, &v);
		return err ? fail("fdb add", err) : done();
	}
	if (argc >= 2 && !strcmp(argv[0], "del")) {
		if (parse_fdb_key(argc - 1, argv + 1, &k, &rest))
			return 2;
		if (rest)
			return usage_err("fdb del: unexpected '%s'", argv[2]);
		err = xdpmaps__fdb_del(m, &k);
		return err ? fail("fdb del", err) : done();
	}
	return usage_err("unknown fdb command '%s'", argc ? argv[0] : "");
}

static int cmd_port(const struct xdpmaps *m, int argc, char **argv)
{
	struct xvs_port p = { 0 };
	long idx, mtu;
	size_t k;

	if (argc < 3 || strcmp(argv[0], "set"))
		return usage_err("port: expected 'set IDX KIND'%s", "");
	idx = parse_num(argv[1], XVS_MAX_PORTS - 1);
	if (idx < 0)
		return usage_err("port index must be 0..255, got '%s'", argv[1]);
	for (k = 0; k < XVS_ARRAY_SIZE(kind_names); k++)
		if (!strcmp(argv[2], kind_names[k]))
			break;
	if (k == XVS_ARRAY_SIZE(kind_names))
		return usage_err("unknown port kind '%s'", argv[2]);
	p.kind = (__u32)k;
	if (argc == 5 && !strcmp(argv[3], "--mtu")) {
		mtu = parse_num(argv[4], 65535);
		if (mtu < 68)
			return usage_err("--mtu wants 68..65535, got '%s'", argv[4]);
		p.mtu = (__u32)mtu;
	} else if (argc != 3) {
		return usage_err("port set: unexpected '%s'", argv[3]);
	}
	idx = xdpmaps__port_set(m, (__u32)idx, &p);
	return idx ? fail("port set", (int)idx) : done();
}

static int cmd_cfg(const struct xdpmaps *m, int argc, char **argv)
{
	static const struct {
		const char *name;
		__u32 flag;
	} keys[] = {
		{ "flood-to-host", XVS_CFG_F_FLOOD_TO_HOST },
		{ "unknown-to-switch", XVS_CFG_F_UNKNOWN_TO_SWITCH },
	};
	struct xvs_cfg c;
	size_t k, n;
	int i, err;

	err = xdpmaps__cfg_get(m, &c);
	if (err)
		return fail("reading cfg", err);
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		for (k = 0; eq && k < XVS_ARRAY_SIZE(keys); k++) {
			n = strlen(keys[k].name);
			if ((size_t)(eq - argv[i]) == n && !strncmp(argv[i], keys[k].name, n))
				break;
		}
		if (!eq || k == XVS_ARRAY_SIZE(keys))
			return usage_err("unknown cfg setting '%s'", argv[i]);
		if (!strcmp(eq + 1, "on"))
			c.flags |= keys[k].flag;
		else if (!strcmp(eq + 1, "off"))
			c.flags &= ~keys[k].flag;
		else
			return usage_err("cfg values are on|off: '%s'", argv[i]);
	}
	if (argc) {
		err = xdpmaps__cfg_set(m, &c);
		if (err)
			return fail("writing cfg", err);
	}
	{
		struct ctl_out o;

		co_init(&o, json ? CO_JSON : CO_TEXT);
		if (json)
			co_rec(&o, 0, "cfg", NULL);
		for (k = 0; k < XVS_ARRAY_SIZE(keys); k++) {
			co_text(&o, "%s=%s\n", keys[k].name, c.flags & keys[k].flag ? "on" : "off");
			if (json)
				co_bool(&o, keys[k].name, c.flags & keys[k].flag);
		}
		return emit(&o);
	}
}

int xvsctl_cmd_xdp(const struct xvsctl_opts *o, int argc, char **argv)
{
	struct xdpmaps m;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		fputs(xdp_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	json = o->json;
	if (xdpmaps__open(&m, o->switch_name))
		return 1;
	if (!strcmp(argv[1], "stats"))
		ret = argc == 2 ? cmd_stats(&m) : usage_err("stats takes no arguments%s", "");
	else if (!strcmp(argv[1], "stats-reset"))
		ret = xdpmaps__reset_stats(&m) ? fail("stats-reset", -errno) : done();
	else if (!strcmp(argv[1], "fdb"))
		ret = cmd_fdb(&m, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "port"))
		ret = cmd_port(&m, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "cfg"))
		ret = cmd_cfg(&m, argc - 2, argv + 2);
	else
		ret = usage_err("unknown xdp command '%s'", argv[1]);
	xdpmaps__close(&m);
	return ret;
}
