// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of run-time port changes (cfg_edit_port, src/ctl/cfg_edit.c):
 * a port added or removed comes out as the loader makes it from the
 * rewritten text, every other port and section as it was; what the loader
 * refuses is refused with its message under "port add|del NAME: " and no
 * FILE:LINE; YAML that is not one plain value (junk after it, anchors,
 * deep nesting) is refused; and the running configuration is never
 * modified, whatever the outcome.
 */
#include "cfg_harness.h"

/* A switch with every kind of reference to a port: a static FDB entry
 * (a), a rule set bound to a port (b), an uplink with zero-copy queues
 * (up0) and a VM on one of them (vm1). The comments shift the lines. */
static const char base[] = "# a comment\n"
			   "# another\n"
			   "switch:\n"
			   "  name: edit-1\n"
			   "  socket-dir: /tmp/xvs-edit\n"
			   "fdb:\n"
			   "  static:\n"
			   "    - { mac: \"52:54:00:00:00:0a\", port: a }\n"
			   "firewall:\n"
			   "  rule-sets:\n"
			   "    web-in:\n"
			   "      default: drop\n"
			   "      rules:\n"
			   "        - { action: allow, proto: tcp, dst-port: 22, tcp-flags: \"syn !ack\" }\n"
			   "        - action: allow\n"
			   "          src: \"fd00::/8\"\n"
			   "          comment: \"quoted: a # and a colon\"\n"
			   "ports:\n"
			   "  a: { type: vhost-user, socket: a.sock }\n"
			   "  b:\n"
			   "    type: vhost-user\n"
			   "    socket: \"/var/lib/vm b/net0.sock\"\n"
			   "    mode: client\n"
			   "    vlan: 10\n"
			   "    firewall: { to-vm: web-in }\n"
			   "    anti-spoofing:\n"
			   "  up0: { type: uplink, interface: eth1, zero-copy-queues: [6, 7] }\n"
			   "  vm1: { type: vhost-user, socket: vm1.sock, zero-copy: { uplink: up0, queue: 6 } }\n";

/* ---- comparing configurations ---- */

/*
 * Zero-copy queues given as auto are placed after the named ones, in file
 * order: removing a VM (or adding one with a named queue) moves the auto
 * queues of VMs after it, as a reload of the file would. Where that may
 * happen (the shipped examples), their queues are not compared.
 */
static bool zc_may_move;

/* A port without the lines it was read from. */
static struct cfg_port unlined(const struct cfg_port *p)
{
	struct cfg_port q = *p;

	q.line = q.zc_line = q.fw_line = 0;
	if (zc_may_move && q.zero_copy)
		q.zc_queue = 0;
	return q;
}

static bool same_port(const struct cfg_port *a, const struct cfg_port *b, bool lines)
{
	struct cfg_port x = unlined(a), y = unlined(b);

	if (lines)
		return !memcmp(a, b, sizeof(*a));
	return !memcmp(&x, &y, sizeof(x));
}

/* Everything but the ports (and the text, the file): equal; with lines,
 * also the lines things were read from. */
static void assert_same_rest(const struct cfg *a, const struct cfg *b, bool lines)
{
	int i, j;

	assert_string_equal(a->name, b->name);
	assert_int_equal(a->log_level, b->log_level);
	assert_string_equal(a->control_socket, b->control_socket);
	assert_string_equal(a->socket_dir, b->socket_dir);
	assert_int_equal(a->control_socket_gid, b->control_socket_gid);
	assert_int_equal(a->control_socket_mode, b->control_socket_mode);
	assert_int_equal(a->socket_gid, b->socket_gid);
	assert_int_equal(a->socket_mode, b->socket_mode);
	assert_int_equal(a->metrics_on, b->metrics_on);
	assert_string_equal(a->metrics_addr, b->metrics_addr);
	assert_int_equal(a->metrics_port, b->metrics_port);
	assert_int_equal(a->n_cpus, b->n_cpus);
	assert_memory_equal(a->cpus, b->cpus, sizeof(a->cpus));
	assert_int_equal(a->poll, b->poll);
	assert_int_equal(a->idle_us, b->idle_us);
	assert_int_equal(a->max_nap_us, b->max_nap_us);
	assert_int_equal(a->fdb_aging_s, b->fdb_aging_s);
	assert_int_equal(a->fdb_max, b->fdb_max);
	assert_int_equal(a->n_static, b->n_static);
	for (i = 0; i < a->n_static; i++) {
		struct cfg_fdb_static x = a->statics[i], y = b->statics[i];

		if (!lines)
			x.line = y.line = 0;
		assert_memory_equal(&x, &y, sizeof(x));
	}
	assert_int_equal(a->n_protected, b->n_protected);
	assert_memory_equal(a->protected_macs, b->protected_macs, sizeof(a->protected_macs));
	if (lines) { /* else the ports changed, and what they bind with them */
		assert_int_equal(a->fw.on, b->fw.on);
		assert_int_equal(a->fw.n_compiled, b->fw.n_compiled);
	}
	assert_int_equal(a->fw.ct_max, b->fw.ct_max);
	assert_memory_equal(a->fw.timeout, b->fw.timeout, sizeof(a->fw.timeout));
	assert_int_equal(a->fw.reject_rate, b->fw.reject_rate);
	assert_int_equal(a->fw.n_sets, b->fw.n_sets);
	for (i = 0; i < a->fw.n_sets; i++) {
		const struct cfg_rule_set *x = &a->fw.sets[i], *y = &b->fw.sets[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->def, y->def);
		assert_int_equal(x->stateful, y->stateful);
		assert_int_equal(x->n_rules, y->n_rules);
		if (lines)
			assert_int_equal(x->line, y->line);
		for (j = 0; j < x->n_rules; j++) {
			struct cfg_fw_rule r = x->rules[j], s = y->rules[j];

			if (!lines)
				r.line = s.line = 0;
			assert_memory_equal(&r, &s, sizeof(r));
		}
	}
	assert_int_equal(a->fw.n_groups, b->fw.n_groups);
	for (i = 0; i < a->fw.n_groups; i++) {
		const struct cfg_fw_group *x = &a->fw.groups[i], *y = &b->fw.groups[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->n_ports, y->n_ports);
		/* port indices: the same ports by name */
		for (j = 0; j < x->n_ports; j++)
			assert_string_equal(a->ports[x->ports[j]].name, b->ports[y->ports[j]].name);
	}
}

/* b is a with port `name` added (or, with added false, removed); the
 * other ports as they were, in the same order, but for their lines. */
static void assert_edited(const struct cfg *a, const struct cfg *b, const char *name, bool added)
{
	int i, j;

	assert_int_equal(b->n_ports, a->n_ports + (added ? 1 : -1));
	assert_string_equal(b->file, a->file);
	assert_same_rest(a, b, false);
	for (i = j = 0; i < a->n_ports; i++) {
		if (!added && !strcmp(a->ports[i].name, name))
			continue;
		if (!same_port(&a->ports[i], &b->ports[j], false))
			fail_msg("port %s changed", a->ports[i].name);
		j++;
	}
	if (added)
		assert_string_equal(b->ports[b->n_ports - 1].name, name);
	else
		assert_null(cfg_find_port(b, name));
}

/* What the loader makes of out's own text is out, lines and all. */
static void assert_reloads(const struct cfg *out)
{
	struct cfg again;
	char err[512];
	int i, r;

	assert_non_null(out->text);
	assert_int_equal(strlen(out->text), out->text_len);
	r = cfg_parse_text(out->file, NULL, out->text, out->text_len, &again, err, sizeof(err));
	if (r)
		fail_msg("the edited text does not load again: %s\n--\n%s--", err, out->text);
	assert_string_equal(again.file, out->file);
	assert_int_equal(again.n_ports, out->n_ports);
	for (i = 0; i < out->n_ports; i++)
		if (!same_port(&again.ports[i], &out->ports[i], true))
			fail_msg("port %s differs when loaded again", out->ports[i].name);
	assert_same_rest(out, &again, true);
	assert_string_equal(again.text, out->text);
	cfg_free(&again);
}

/* ---- the running configuration, never touched ---- */

struct snap {
	char *text;
	size_t text_len;
	int n_ports;
	struct cfg_port *ports_ptr;
	struct cfg_port *ports; /* a copy */
	struct cfg whole; /* the struct itself, pointers included */
};

static void snap_take(struct snap *s, const struct cfg *c)
{
	s->text = strdup(c->text);
	s->text_len = c->text_len;
	s->n_ports = c->n_ports;
	s->ports_ptr = c->ports;
	s->ports = malloc((size_t)(c->n_ports ? c->n_ports : 1) * sizeof(*c->ports));
	assert_non_null(s->text);
	assert_non_null(s->ports);
	if (c->n_ports)
		memcpy(s->ports, c->ports, (size_t)c->n_ports * sizeof(*c->ports));
	memcpy(&s->whole, c, sizeof(*c));
}

static void snap_check(struct snap *s, const struct cfg *c)
{
	assert_int_equal(c->text_len, s->text_len);
	assert_string_equal(c->text, s->text);
	assert_int_equal(c->n_ports, s->n_ports);
	assert_ptr_equal(c->ports, s->ports_ptr);
	if (c->n_ports)
		assert_memory_equal(c->ports, s->ports, (size_t)c->n_ports * sizeof(*c->ports));
	assert_memory_equal(c, &s->whole, sizeof(*c));
	free(s->text);
	free(s->ports);
}

/*
 * cfg_edit_port, checking that run is left as it was and, when the edit
 * fails, that *out is too; the message has no FILE:LINE (it never names
 * the file) and starts "port add|del NAME: ".
 */
static int edit(const struct cfg *run, const char *name, const char *yaml, struct cfg *out,
		char *err, size_t errlen)
{
	char prefix[96];
	struct snap s;
	int r;

	snap_take(&s, run);
	poison(out);
	r = cfg_edit_port(run, name, yaml, out, err, errlen);
	snap_check(&s, run);
	if (r) {
		assert_true(poisoned(out));
		snprintf(prefix, sizeof(prefix), "port %s %s: ", yaml ? "add" : "del", name);
		if (strncmp(err, prefix, strlen(prefix)))
			fail_msg("error without \"%s\": %s", prefix, err);
		if (strstr(err, file) || strstr(err, ".yaml:"))
			fail_msg("error names the file: %s", err);
	}
	return r;
}

/* An edit that must fail with r, its message "PREFIX" WANT... */
static void edit_fails(const struct cfg *run, const char *name, const char *yaml, int want_r,
		       const char *want)
{
	char err[512], full[600];
	struct cfg out;
	int r;

	r = edit(run, name, yaml, &out, err, sizeof(err));
	if (!r) {
		cfg_free(&out);
		fail_msg("port %s %s: succeeded, should fail with %s", yaml ? "add" : "del", name,
			 want);
	}
	snprintf(full, sizeof(full), "port %s %s: %s", yaml ? "add" : "del", name, want);
	if (r != want_r || strncmp(err, full, strlen(full)))
		fail_msg("r=%d err: %s\nwant r=%d: %s...", r, err, want_r, full);
}

static void edit_ok(const struct cfg *run, const char *name, const char *yaml, struct cfg *out)
{
	char err[512];
	int r = edit(run, name, yaml, out, err, sizeof(err));

	if (r)
		fail_msg("%s", err);
	assert_edited(run, out, name, yaml != NULL);
	assert_reloads(out);
}

/* ---- tests ---- */

static void add_port(void **state)
{
	const struct cfg_port *p;
	struct cfg run, out, out2;

	(void)state;
	load_ok(base, &run);
	assert_int_equal(run.n_ports, 4);
	edit_ok(&run, "d",
		"{ type: vhost-user, socket: d.sock, mode: client, vlan: 5, mtu: 3000, queues: 2, "
		"max-macs: 8, firewall: { from-vm: [web-in] }, zero-copy: { uplink: up0 } }",
		&out);
	assert_string_equal(out.file, file);
	assert_ptr_not_equal(out.text, run.text);
	p = cfg_find_port(&out, "d");
	assert_non_null(p);
	assert_int_equal(p->type, CFG_PORT_VHOST_USER);
	assert_string_equal(p->socket, "/tmp/xvs-edit/d.sock");
	assert_int_equal(p->mode, CFG_VU_CLIENT);
	assert_int_equal(p->vlan, 5);
	assert_int_equal(p->mtu, 3000);
	assert_int_equal(p->queues, 2);
	assert_int_equal(p->max_macs, 8);
	assert_int_equal(p->n_fw_sets[XVS_FW_FROM_VM], 1);
	assert_int_equal(p->n_fw_sets[XVS_FW_TO_VM], 0);
	assert_string_equal(out.fw.sets[p->fw_sets[XVS_FW_FROM_VM][0]].name, "web-in");
	assert_true(p->zero_copy);
	assert_string_equal(p->zc_uplink, "up0");
	assert_int_equal(p->zc_queue, 7); /* auto: the free one */
	assert_true(out.fw.n_compiled > run.fw.n_compiled);
	assert_false(p->spoof.on);
	/* b's empty anti-spoofing stayed on through the rewrite */
	assert_true(cfg_find_port(&out, "b")->spoof.on);

	/* the edited configuration is a running one in its turn */
	edit_ok(&out, "up1", "{ type: uplink, interface: eth2, queues: [0, 1] }", &out2);
	p = cfg_find_port(&out2, "up1");
	assert_int_equal(p->type, CFG_PORT_UPLINK);
	assert_string_equal(p->ifname, "eth2");
	assert_int_equal(p->n_queue_ids, 2);
	cfg_free(&out2);
	/* queue 7 was the last free one */
	edit_fails(&out, "e", "{ type: vhost-user, socket: e.sock, zero-copy: { uplink: up0 } }",
		   -EINVAL, "ports.e.zero-copy: ");
	cfg_free(&out);

	/* empty values inside the new port's flow mapping stay null */
	edit_ok(&run, "d", "{ type: vhost-user, socket: d.sock, anti-spoofing: }", &out);
	assert_true(cfg_find_port(&out, "d")->spoof.on);
	cfg_free(&out);
	cfg_free(&run);
}

static void add_exists(void **state)
{
	static const char *const names[] = { "a", "b", "up0", "vm1" };
	char err[512];
	struct cfg run, out;
	size_t i;

	(void)state;
	load_ok(base, &run);
	for (i = 0; i < 4; i++) {
		assert_int_equal(edit(&run, names[i], "{ type: vhost-user, socket: new.sock }", &out,
				      err, sizeof(err)),
				 -EEXIST);
		assert_string_equal(err + strlen("port add ") + strlen(names[i]),
				    ": a port of that name exists");
	}
	cfg_free(&run);
}

static void add_refused(void **state)
{
	static const struct {
		const char *name, *yaml, *want;
	} bad[] = {
		{ "d", "{ type: vhost-user, socket: d.sock, bogus: 1 }",
		  "ports.d: unknown key \"bogus\"" },
		{ "d", "{ type: vhost-user, socket: d.sock, vlan: abc }",
		  "ports.d.vlan: must be an integer 0..4094, got \"abc\"" },
		{ "d", "{ type: vhost-user, socket: d.sock, mtu: 67 }", "ports.d.mtu: " },
		{ "d", "{ type: vhost-user, socket: a.sock }",
		  "ports.d.socket: \"/tmp/xvs-edit/a.sock\" is already the socket of port a" },
		{ "d", "{ type: vhost-user, socket: \"/var/lib/vm b/net0.sock\" }",
		  "ports.d.socket: \"/var/lib/vm b/net0.sock\" is already the socket of port b" },
		{ "d", "{ type: vhost-user, socket: d.sock, zero-copy: { uplink: up0, queue: 6 } }",
		  "ports.d.zero-copy: queue 6 of uplink up0 is already port vm1's" },
		{ "d", "{ type: vhost-user, socket: d.sock, zero-copy: { uplink: a } }",
		  "ports.d.zero-copy: uplink: a is not an uplink port" },
		{ "d", "{ type: vhost-user, socket: d.sock, firewall: { to-vm: nope } }",
		  "ports.d.firewall.to-vm: no rule set named nope in firewall.rule-sets" },
		{ "d", "{ type: uplink, interface: eth1 }",
		  "ports.d.interface: interface eth1 is already the uplink of port up0" },
		{ "d", "{ type: uplink, interface: eth2, socket: x.sock }",
		  "ports.d.socket: only ports of type vhost-user have this key" },
		{ "d", "{ socket: d.sock }", "ports.d: missing required key \"type\"" },
		{ "d", "5", "ports.d: must be a mapping, got \"5\"" },
		{ "d", "[1, 2]", "ports.d: must be a mapping" },
		{ "a.b", "{ type: vhost-user, socket: ab.sock }",
		  "ports: a port name must be 1 to 31 characters" },
		{ "", "{ type: vhost-user, socket: e.sock }",
		  "ports: a port name must be 1 to 31 characters" },
		{ "abcdefghijklmnopqrstuvwxyz0123456", "{ type: vhost-user, socket: l.sock }",
		  "ports: a port name must be 1 to 31 characters" },
	};
	struct cfg run;
	size_t i;

	(void)state;
	load_ok(base, &run);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		edit_fails(&run, bad[i].name, bad[i].yaml, -EINVAL, bad[i].want);
	cfg_free(&run);
}

/* Nested n deep: "[[[...]]]" or "{a: {a: ...}}". */
static char *nested(int n, bool maps)
{
	char *s = malloc((size_t)n * 5 + 64);
	size_t at = 0;
	int i;

	assert_non_null(s);
	at += (size_t)sprintf(s, "{ type: vhost-user, socket: d.sock, x: ");
	for (i = 0; i < n; i++)
		at += (size_t)sprintf(s + at, maps ? "{a: " : "[");
	s[at++] = '1';
	for (i = 0; i < n; i++)
		s[at++] = maps ? '}' : ']';
	strcpy(s + at, " }");
	return s;
}

static void bad_yaml(void **state)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
		{ "{ type: [", "not a YAML value" },
		{ "", "not a YAML value" },
		{ "# nothing\n", "not a YAML value" },
		{ "{ type: vhost-user, socket: d.sock }, vlan: 5", "not a YAML value" },
		{ "{ type: vhost-user, socket: d.sock } }", "not a YAML value" },
		{ "{ type: vhost-user, socket: d.sock }\n---\n{ vlan: 5 }\n", "not a YAML value" },
		{ "{ type: vhost-user, socket: d.sock }\n--- [\n", "not a YAML value" },
		{ "{ type: vhost-user, socket: &s x.sock, mode: *s }",
		  "YAML anchors and aliases are not supported" },
		{ "{ type: vhost-user, socket: d.sock, firewall: { to-vm: &w web-in, from-vm: *w } }",
		  "YAML anchors and aliases are not supported" },
		{ "{ type: vhost-user, socket: d.sock, anti-spoofing: &m { learn: true }, x: *m }",
		  "YAML anchors and aliases are not supported" },
		{ "&p { type: vhost-user, socket: d.sock }", NULL }, /* an anchor alone: no alias */
	};
	struct cfg run, out;
	char err[512];
	size_t i;
	char *s;
	int r;

	(void)state;
	load_ok(base, &run);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!bad[i].want) {
			r = edit(&run, "d", bad[i].yaml, &out, err, sizeof(err));
			if (r)
				fail_msg("%s: %s", bad[i].yaml, err);
			cfg_free(&out);
			continue;
		}
		edit_fails(&run, "d", bad[i].yaml, -EINVAL, bad[i].want);
	}

	/* deep: refused (not copied, not emitted, not handed to the loader) */
	s = nested(100, false);
	edit_fails(&run, "d", s, -EINVAL, "nested too deeply");
	free(s);
	s = nested(100, true);
	edit_fails(&run, "d", s, -EINVAL, "nested too deeply");
	free(s);
	s = nested(20000, false);
	r = edit(&run, "d", s, &out, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	free(s);
	/* ten deep: copied; the loader says what is wrong with it */
	s = nested(10, true);
	edit_fails(&run, "d", s, -EINVAL, "ports.d: unknown key \"x\"");
	free(s);
	cfg_free(&run);
}

static void remove_port(void **state)
{
	struct cfg run, out, out2;

	(void)state;
	load_ok(base, &run);
	edit_ok(&run, "b", NULL, &out); /* the rule set stays, bound to nothing */
	assert_true(run.fw.on);
	assert_false(out.fw.on);
	assert_int_equal(out.fw.n_sets, 1);
	assert_int_equal(out.fw.n_compiled, 0);
	cfg_free(&out);

	/* vm1 gone: its queue is free again */
	edit_ok(&run, "vm1", NULL, &out);
	edit_ok(&out, "d", "{ type: vhost-user, socket: d.sock, zero-copy: { uplink: up0, queue: 6 } }",
		&out2);
	assert_int_equal(cfg_find_port(&out2, "d")->zc_queue, 6);
	cfg_free(&out2);
	/* and then up0, which nothing names any more */
	edit_ok(&out, "up0", NULL, &out2);
	cfg_free(&out2);
	cfg_free(&out);

	edit_fails(&run, "zz", NULL, -ENOENT, "no such port");
	edit_fails(&run, "A", NULL, -ENOENT, "no such port");
	/* named elsewhere: the loader's error */
	edit_fails(&run, "a", NULL, -EINVAL, "fdb.static[0].port: no port named a in ports");
	edit_fails(&run, "up0", NULL, -EINVAL, "ports.vm1.zero-copy: uplink: up0 is not a port");
	cfg_free(&run);
}

/* No ports yet: the new one is the first. */
static void no_ports(void **state)
{
	static const char *const yamls[] = {
		"switch:\n  name: empty\n",
		"switch:\n  name: empty\nports:\n",
		"switch:\n  name: empty\nports: {}\n",
		"ports: ~\nfdb:\n  aging: 10\n",
		"{}\n",
	};
	struct cfg run, out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yamls) / sizeof(yamls[0]); i++) {
		load_ok(yamls[i], &run);
		assert_int_equal(run.n_ports, 0);
		edit_fails(&run, "a", NULL, -ENOENT, "no such port");
		edit_ok(&run, "a", "{ type: vhost-user, socket: a.sock }", &out);
		assert_int_equal(out.n_ports, 1);
		assert_string_equal(out.ports[0].socket, "/run/xvs/a.sock");
		cfg_free(&out);
		cfg_free(&run);
	}
}

/* Empty values in flow collections of the running text: still null after
 * the rewrite (not ''), so every edit does not fail on them. */
static void flow_nulls(void **state)
{
	struct cfg run, out;

	(void)state;
	load_ok("fdb: { aging: 10, static: }\n"
		"ports:\n"
		"  a: { type: vhost-user, socket: a.sock, anti-spoofing: }\n",
		&run);
	assert_true(run.ports[0].spoof.on);
	edit_ok(&run, "d", "{ type: vhost-user, socket: d.sock }", &out);
	assert_true(cfg_find_port(&out, "a")->spoof.on);
	cfg_free(&out);
	cfg_free(&run);
}

/* Every shipped example: a port added, and each port removed; the rest as
 * it was, or the loader's reason why not. */
static void examples(void **state)
{
	static const char *const files[] = { "config/xvs.yaml", "config/examples/vlans.yaml",
					     "config/examples/uplink.yaml",
					     "config/examples/zero-copy.yaml",
					     "config/examples/firewall.yaml" };
	char path[512], err[512];
	struct cfg run, out;
	size_t i;
	int j, r;

	(void)state;
	zc_may_move = true;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		source_path(path, sizeof(path), files[i]);
		r = cfg_load(path, &run, err, sizeof(err));
		if (r)
			fail_msg("%s: %s", path, err);
		edit_ok(&run, "zz-new", "{ type: vhost-user, socket: zz-new.sock, vlan: 4094 }", &out);
		cfg_free(&out);
		for (j = 0; j < run.n_ports; j++) {
			r = edit(&run, run.ports[j].name, NULL, &out, err, sizeof(err));
			if (r) {
				assert_int_equal(r, -EINVAL);
				continue;
			}
			assert_edited(&run, &out, run.ports[j].name, false);
			assert_reloads(&out);
			cfg_free(&out);
		}
		cfg_free(&run);
	}
	zc_may_move = false;
}

/* A running configuration without its text: refused, not crashed. */
static void no_text(void **state)
{
	struct cfg run, out;
	char err[512];
	char *text;

	(void)state;
	load_ok(base, &run);
	text = run.text;
	run.text = NULL;
	poison(&out);
	assert_int_equal(cfg_edit_port(&run, "d", "{ type: vhost-user, socket: d.sock }", &out, err,
				       sizeof(err)),
			 -EINVAL);
	assert_true(poisoned(&out));
	assert_string_equal(err, "port add d: the running configuration has no text");
	run.text = text;
	cfg_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_port),     cmocka_unit_test(add_exists),
		cmocka_unit_test(add_refused),  cmocka_unit_test(bad_yaml),
		cmocka_unit_test(remove_port),  cmocka_unit_test(no_ports),
		cmocka_unit_test(flow_nulls),   cmocka_unit_test(examples),
		cmocka_unit_test(no_text),
	};

	return cmocka_run_group_tests(tests, cfg_setup, cfg_teardown);
}
