// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the configuration loader (src/ctl/config.c): a config that
 * sets every key, the defaults, one bad config per rule with the error it
 * must produce (file, line, key), the shipped examples, and truncated or
 * corrupted files, which must be refused with a message, never a crash.
 */
#include <dirent.h>
#include <grp.h>
#include <sys/stat.h>

#include "cfg_harness.h"

static bool have_two_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_CONF) >= 2;
}

static void every_key(void **state)
{
	const struct cfg_port *p;
	char yaml[2048];
	struct cfg c;

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "# every key, none at its default\n"
		 "switch:\n"
		 "  name: lab-1\n"
		 "  log-level: debug\n"
		 "  control-socket: /tmp/xvs/lab.ctl\n"
		 "  socket-dir: /tmp/xvs/sockets/\n"
		 "  control-socket-group: 1234\n"
		 "  control-socket-mode: \"0600\"\n"
		 "  socket-group: \"0\"\n"
		 "  socket-mode: 0666\n"
		 "datapath:\n"
		 "  cpus: %s\n"
		 "  poll: busy\n"
		 "  idle-us: 50\n"
		 "  max-nap-us: 0\n"
		 "fdb:\n"
		 "  aging: 0\n"
		 "  max-entries: 1024\n"
		 "  static:\n"
		 "    - { mac: \"52:54:00:00:00:01\", port: vm1 }\n"
		 "    - mac: 52:54:00:AB:cd:02\n"
		 "      port: vm_2\n"
		 "      vlan: 20\n"
		 "  protected-macs:\n"
		 "    - \"02:00:5e:00:01:01\"\n"
		 "    - 52:54:00:AB:cd:FF\n"
		 "ports:\n"
		 "  vm1:\n"
		 "    type: vhost-user\n"
		 "    socket: vm1.sock\n"
		 "    mode: server\n"
		 "    vlan: 10\n"
		 "    mtu: 9000\n"
		 "    queues: 4\n"
		 "    max-macs: 0\n"
		 "    max-guest-memory: 1T\n"
		 "    in-order: false\n"
		 "  vm_2:\n"
		 "    type: vhost-user\n"
		 "    socket: \"/var/lib/vm 2/net0.sock\"\n"
		 "    mode: client\n"
		 "    vlan: 20\n"
		 "    mtu: 68\n"
		 "    queues: 8\n"
		 "    max-macs: 65536\n"
		 "    max-guest-memory: 512MiB\n",
		 have_two_cpus() ? "[1, 0]" : "[0]");
	load_ok(yaml, &c);

	assert_string_equal(c.file, file);
	assert_string_equal(c.name, "lab-1");
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_string_equal(c.control_socket, "/tmp/xvs/lab.ctl");
	assert_string_equal(c.socket_dir, "/tmp/xvs/sockets");
	assert_int_equal(c.control_socket_gid, 1234);
	assert_int_equal(c.control_socket_mode, 0600);
	assert_int_equal(c.socket_gid, 0);
	assert_int_equal(c.socket_mode, 0666);
	if (have_two_cpus()) {
		assert_int_equal(c.n_cpus, 2);
		assert_int_equal(c.cpus[0], 1);
		assert_int_equal(c.cpus[1], 0);
	} else {
		assert_int_equal(c.n_cpus, 1);
		assert_int_equal(c.cpus[0], 0);
	}
	assert_int_equal(c.poll, CFG_POLL_BUSY);
	assert_int_equal(c.idle_us, 50);
	assert_int_equal(c.max_nap_us, 0);
	assert_int_equal(c.fdb_aging_s, 0);
	assert_int_equal(c.fdb_max, 1024);

	assert_int_equal(c.n_ports, 2);
	p = &c.ports[0];
	assert_string_equal(p->name, "vm1");
	assert_int_equal(p->type, CFG_PORT_VHOST_USER);
	assert_string_equal(p->socket, "/tmp/xvs/sockets/vm1.sock");
	assert_int_equal(p->mode, CFG_VU_SERVER);
	assert_int_equal(p->vlan, 10);
	assert_int_equal(p->mtu, 9000);
	assert_int_equal(p->queues, 4);
	assert_int_equal(p->max_macs, 0);
	assert_int_equal(p->max_guest_memory, 1ull << 40);
	assert_false(p->in_order);
	assert_int_equal(p->line, 28);
	p = &c.ports[1];
	assert_string_equal(p->name, "vm_2");
	assert_string_equal(p->socket, "/var/lib/vm 2/net0.sock");
	assert_int_equal(p->mode, CFG_VU_CLIENT);
	assert_int_equal(p->vlan, 20);
	assert_int_equal(p->mtu, 68);
	assert_int_equal(p->queues, 8);
	assert_int_equal(p->max_macs, 65536);
	assert_int_equal(p->max_guest_memory, 512ull << 20);
	assert_int_equal(p->line, 38);
	assert_ptr_equal(cfg_find_port(&c, "vm_2"), p);
	assert_null(cfg_find_port(&c, "vm3"));

	assert_int_equal(c.n_static, 2);
	assert_memory_equal(c.statics[0].mac, "\x52\x54\x00\x00\x00\x01", 6);
	assert_string_equal(c.statics[0].port, "vm1");
	assert_int_equal(c.statics[0].vlan, 10); /* the port's */
	assert_int_equal(c.statics[0].line, 20);
	assert_memory_equal(c.statics[1].mac, "\x52\x54\x00\xab\xcd\x02", 6);
	assert_string_equal(c.statics[1].port, "vm_2");
	assert_int_equal(c.statics[1].vlan, 20);
	assert_int_equal(c.statics[1].line, 21);

	assert_int_equal(c.n_protected, 2);
	assert_memory_equal(c.protected_macs[0], "\x02\x00\x5e\x00\x01\x01", 6);
	assert_memory_equal(c.protected_macs[1], "\x52\x54\x00\xab\xcd\xff", 6);

	cfg_free(&c);
	assert_null(c.ports);
	assert_null(c.statics);
	cfg_free(&c); /* twice is harmless */
}

/* An uplink with every key set, VM ports beside it, static entries on it. */
static void every_uplink_key(void **state)
{
	const struct cfg_port *p;
	struct cfg c;

	(void)state;
	load_ok("fdb:\n"
		"  static:\n"
		"    - {mac: \"02:00:00:00:00:01\", port: up0, vlan: 20}\n"
		"    - {mac: \"02:00:00:00:00:01\", port: up1, vlan: 0}\n"
		"ports:\n"
		"  up0:\n"
		"    type: uplink\n"
		"    interface: eth1\n"
		"    queues: [3, 0, 1]\n"
		"    xdp-mode: zerocopy\n"
		"    busy-poll: 64\n"
		"    busy-poll-us: 50\n"
		"    host-flood: false\n"
		"    host-unknown: no\n"
		"    ring-size: 4096\n"
		"    frame-size: 2048\n"
		"    mtu: 1770\n"
		"    max-macs: 100\n"
		"  vm1: {type: vhost-user, socket: vm1.sock, vlan: 10}\n"
		"  up1: {type: uplink, interface: enp3s0f1.100, xdp-mode: skb, host-flood: On}\n"
		"  vm2: {type: vhost-user, socket: vm2.sock, vlan: 20}\n",
		&c);
	assert_int_equal(c.n_ports, 4);
	p = &c.ports[0];
	assert_string_equal(p->name, "up0");
	assert_int_equal(p->type, CFG_PORT_UPLINK);
	assert_int_equal(p->line, 6);
	assert_string_equal(p->ifname, "eth1");
	assert_false(p->all_queues);
	assert_int_equal(p->n_queue_ids, 3);
	assert_int_equal(p->queue_ids[0], 3);
	assert_int_equal(p->queue_ids[1], 0);
	assert_int_equal(p->queue_ids[2], 1);
	assert_int_equal(p->queue_ids[3], 0);
	assert_int_equal(p->xdp_mode, CFG_XDP_ZEROCOPY);
	assert_int_equal(p->busy_poll_budget, 64);
	assert_int_equal(p->busy_poll_us, 50);
	assert_false(p->host_flood);
	assert_false(p->host_unknown);
	assert_int_equal(p->ring_size, 4096);
	assert_int_equal(p->frame_size, 2048);
	assert_int_equal(p->mtu, 1770);
	assert_int_equal(p->max_macs, 100);
	/* the vhost-user fields stay zero */
	assert_int_equal(p->max_guest_memory, 0);
	assert_int_equal(p->vlan, 0);
	assert_int_equal(p->queues, 0);
	assert_string_equal(p->socket, "");
	assert_int_equal(p->mode, 0);

	p = &c.ports[2];
	assert_string_equal(p->name, "up1");
	assert_string_equal(p->ifname, "enp3s0f1.100");
	assert_true(p->all_queues);
	assert_int_equal(p->n_queue_ids, 0);
	assert_int_equal(p->xdp_mode, CFG_XDP_SKB);
	assert_true(p->host_flood);
	assert_true(p->host_unknown);
	assert_int_equal(p->max_macs, 0);

	/* a VM port beside uplinks has no uplink fields */
	p = &c.ports[1];
	assert_int_equal(p->type, CFG_PORT_VHOST_USER);
	assert_int_equal(p->vlan, 10);
	assert_int_equal(p->queues, 1);
	assert_string_equal(p->ifname, "");
	assert_false(p->all_queues);
	assert_false(p->host_flood);
	assert_false(p->host_unknown);
	assert_int_equal(p->busy_poll_us, 0);
	assert_int_equal(p->ring_size, 0);
	assert_int_equal(p->frame_size, 0);

	assert_int_equal(c.n_static, 2);
	assert_string_equal(c.statics[0].port, "up0");
	assert_int_equal(c.statics[0].vlan, 20);
	assert_string_equal(c.statics[1].port, "up1");
	assert_int_equal(c.statics[1].vlan, 0);
	cfg_free(&c);
}

/* YAML 1.1's spellings, in any case; quoting makes no difference. */
static void uplink_booleans(void **state)
{
	static const char *const words[] = {
		"false", "False", "FALSE", "no", "NO", "off", "Off", "'no'",
		"true",	 "True",  "TRUE",  "yes", "Yes", "on", "ON", "\"true\"",
	};
	char yaml[256];
	struct cfg c;
	size_t i;
	bool want;

	(void)state;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		want = i >= 8;
		snprintf(yaml, sizeof(yaml),
			 "ports:\n  up0: {type: uplink, interface: eth1, host-flood: %s, "
			 "host-unknown: %s}\n",
			 words[i], words[i]);
		load_ok(yaml, &c);
		assert_int_equal(c.ports[0].host_flood, want);
		assert_int_equal(c.ports[0].host_unknown, want);
		cfg_free(&c);
	}
}

static void check_defaults(const struct cfg *c)
{
	int i;

	assert_string_equal(c->name, "xvs0");
	assert_int_equal(c->log_level, LOG_LVL_INFO);
	assert_string_equal(c->control_socket, "/run/xvs/xvs0.ctl");
	assert_string_equal(c->socket_dir, "/run/xvs");
	assert_int_equal(c->control_socket_gid, -1);
	assert_int_equal(c->control_socket_mode, 0660);
	assert_int_equal(c->socket_gid, -1);
	assert_int_equal(c->socket_mode, 0660);
	assert_int_equal(c->n_cpus, 1);
	for (i = 0; i < CFG_MAX_CPUS; i++)
		assert_int_equal(c->cpus[i], -1);
	assert_int_equal(c->poll, CFG_POLL_ADAPTIVE);
	assert_int_equal(c->idle_us, 200);
	assert_int_equal(c->max_nap_us, 50);
	assert_int_equal(c->fdb_aging_s, 300);
	assert_int_equal(c->fdb_max, 16384);
	assert_int_equal(c->n_static, 0);
	assert_null(c->statics);
	assert_int_equal(c->n_protected, 0);
}

/* zero-copy queues: named ones first, auto ones take the pool's lowest
 * free queue in file order; the uplink lends out its pool and every named
 * queue; a VM without zero-copy has none. */
static void zero_copy_queues(void **state)
{
	struct cfg c;
	const struct cfg_port *up, *a, *b, *d, *e;

	(void)state;
	load_ok("ports:\n"
		"  a: {type: vhost-user, socket: a, zero-copy: {uplink: up0}}\n"
		"  b: {type: vhost-user, socket: b, zero-copy: {uplink: up0, queue: 4, tx: guest}}\n"
		"  up0: {type: uplink, interface: eth1, zero-copy-queues: [4, 5, 6]}\n"
		"  d: {type: vhost-user, socket: d, zero-copy: {uplink: up0, queue: auto}}\n"
		"  e: {type: vhost-user, socket: e, zero-copy: {uplink: up0, queue: 9}}\n"
		"  f: {type: vhost-user, socket: f}\n",
		&c);
	up = cfg_find_port(&c, "up0");
	a = cfg_find_port(&c, "a");
	b = cfg_find_port(&c, "b");
	d = cfg_find_port(&c, "d");
	e = cfg_find_port(&c, "e");
	assert_true(a->zero_copy && b->zero_copy && d->zero_copy && e->zero_copy);
	assert_false(cfg_find_port(&c, "f")->zero_copy);
	assert_string_equal(a->zc_uplink, "up0");
	assert_int_equal(b->zc_queue, 4); /* named: before any auto */
	assert_int_equal(b->zc_tx, CFG_ZC_TX_GUEST);
	assert_int_equal(a->zc_tx, CFG_ZC_TX_AUTO);
	assert_int_equal(a->zc_queue, 5);
	assert_int_equal(d->zc_queue, 6);
	assert_int_equal(e->zc_queue, 9); /* outside the pool: allowed */
	assert_true(up->all_queues);
	assert_int_equal(up->zc_pool, (1ull << 4) | (1ull << 5) | (1ull << 6));
	assert_int_equal(up->zc_reserved, up->zc_pool | (1ull << 9));
	cfg_free(&c);
}

static void defaults(void **state)
{
	static const char *const empty_switches[] = {
		"{}\n",
		"switch:\ndatapath:\nfdb:\nports:\n",
		"switch: {}\ndatapath: {}\nfdb: {static: []}\nports: {}\n",
		"datapath: {cpus: ~}\nfdb: {static: null}\n",
		"fdb: {protected-macs: []}\n",
		"fdb:\n  protected-macs:\n",
	};
	const struct cfg_port *p;
	struct cfg c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(empty_switches) / sizeof(empty_switches[0]); i++) {
		load_ok(empty_switches[i], &c);
		check_defaults(&c);
		assert_int_equal(c.n_ports, 0);
		assert_null(c.ports);
		cfg_free(&c);
	}

	load_ok("ports:\n  vm1: {type: vhost-user, socket: vm1.sock}\n", &c);
	check_defaults(&c);
	assert_int_equal(c.n_ports, 1);
	p = cfg_find_port(&c, "vm1");
	assert_non_null(p);
	assert_int_equal(p->type, CFG_PORT_VHOST_USER);
	assert_string_equal(p->socket, "/run/xvs/vm1.sock");
	assert_int_equal(p->mode, CFG_VU_SERVER);
	assert_int_equal(p->vlan, 0);
	assert_int_equal(p->mtu, 1500);
	assert_int_equal(p->queues, 1);
	assert_int_equal(p->max_macs, 64);
	assert_int_equal(p->max_guest_memory, 128ull << 30);
	assert_true(p->in_order); /* offered by default */
	assert_int_equal(p->line, 2);
	cfg_free(&c);

	load_ok("ports:\n  up0: {type: uplink, interface: eth1}\n", &c);
	p = cfg_find_port(&c, "up0");
	assert_non_null(p);
	assert_int_equal(p->type, CFG_PORT_UPLINK);
	assert_string_equal(p->ifname, "eth1");
	assert_true(p->all_queues);
	assert_int_equal(p->n_queue_ids, 0);
	assert_int_equal(p->xdp_mode, CFG_XDP_AUTO);
	assert_int_equal(p->busy_poll_budget, 0);
	assert_int_equal(p->busy_poll_us, 20);
	assert_true(p->host_flood);
	assert_true(p->host_unknown);
	assert_int_equal(p->ring_size, 2048);
	assert_int_equal(p->frame_size, 4096);
	assert_int_equal(p->mtu, 1500);
	assert_int_equal(p->max_macs, 0);
	assert_int_equal(p->vlan, 0);
	assert_int_equal(p->queues, 0);
	assert_int_equal(p->max_guest_memory, 0);
	assert_string_equal(p->socket, "");
	cfg_free(&c);

	/* queues left empty is queues left out; busy-poll-us is kept when off */
	load_ok("ports:\n  up0:\n    type: uplink\n    interface: eth1\n    queues:\n"
		"    busy-poll-us: 7\n",
		&c);
	assert_true(c.ports[0].all_queues);
	assert_int_equal(c.ports[0].busy_poll_budget, 0);
	assert_int_equal(c.ports[0].busy_poll_us, 7);
	cfg_free(&c);

	/* The control socket follows the name; quoted numbers are numbers. */
	load_ok("switch: {name: br-test, socket-dir: /}\n"
		"ports: {a: {type: vhost-user, socket: a.sock, vlan: \"7\"}}\n",
		&c);
	assert_string_equal(c.control_socket, "/run/xvs/br-test.ctl");
	assert_string_equal(c.ports[0].socket, "/a.sock");
	assert_int_equal(c.ports[0].vlan, 7);
	cfg_free(&c);
}

/* Limits, at the limit: these must load. */
static void edges(void **state)
{
	char yaml[512], name[128];
	struct cfg c;

	(void)state;
	/* /run/xvs/ + 98 = 107 bytes, the most sun_path holds */
	memset(name, 'a', 98);
	name[98] = '\0';
	snprintf(yaml, sizeof(yaml), "ports:\n  p: {type: vhost-user, socket: %s}\n", name);
	load_ok(yaml, &c);
	assert_int_equal(strlen(c.ports[0].socket), 107);
	cfg_free(&c);

	load_ok("switch: {name: abcdefghijklmnopqrstuvwxyz01234}\n"
		"datapath: {idle-us: 1000000, max-nap-us: 10000}\n"
		"fdb:\n"
		"  aging: 1000000\n"
		"  max-entries: 16\n"
		"  static: [{mac: \"02:00:00:00:00:01\", port: p, vlan: 4094}]\n"
		"ports:\n"
		"  p: {type: vhost-user, socket: p, vlan: 4094, mtu: 65535, queues: 8}\n"
		"  q: {type: vhost-user, socket: q, vlan: 0, mtu: 68, queues: 1}\n",
		&c);
	assert_string_equal(c.name, "abcdefghijklmnopqrstuvwxyz01234");
	assert_int_equal(c.idle_us, 1000000);
	assert_int_equal(c.max_nap_us, 10000);
	assert_int_equal(c.fdb_aging_s, 1000000);
	assert_int_equal(c.fdb_max, 16);
	assert_int_equal(c.ports[0].vlan, 4094);
	assert_int_equal(c.ports[0].mtu, 65535);
	assert_int_equal(c.ports[0].queues, 8);
	assert_int_equal(c.statics[0].vlan, 4094);
	cfg_free(&c);

	/* Uplinks at the limits. */
	load_ok("ports:\n"
		"  a: {type: uplink, interface: abcdefghijklmno, queues: [63], busy-poll: 1024,\n"
		"      busy-poll-us: 10000, ring-size: 16384, mtu: 65258}\n"
		"  b: {type: uplink, interface: \"eth\u00e9\", queues: [0], busy-poll: 1,\n"
		"      busy-poll-us: 1, ring-size: 64, frame-size: 2048, mtu: 68}\n"
		"  c: {type: uplink, interface: e.1-x_y@z, frame-size: 2048, mtu: 30442}\n",
		&c);
	assert_string_equal(c.ports[0].ifname, "abcdefghijklmno");
	assert_int_equal(c.ports[0].queue_ids[0], 63);
	assert_int_equal(c.ports[0].busy_poll_budget, 1024);
	assert_int_equal(c.ports[0].busy_poll_us, 10000);
	assert_int_equal(c.ports[0].ring_size, 16384);
	assert_int_equal(c.ports[0].mtu, 65258);
	assert_string_equal(c.ports[1].ifname, "eth\xc3\xa9");
	assert_int_equal(c.ports[1].busy_poll_us, 1);
	assert_int_equal(c.ports[1].ring_size, 64);
	assert_int_equal(c.ports[1].mtu, 68);
	assert_int_equal(c.ports[2].mtu, 30442);
	cfg_free(&c);

	/* The same MAC on two VLANs is two entries. */
	load_ok("fdb:\n"
		"  static:\n"
		"    - {mac: \"02:00:00:00:00:01\", port: a}\n"
		"    - {mac: \"02:00:00:00:00:01\", port: b}\n"
		"ports:\n"
		"  a: {type: vhost-user, socket: a, vlan: 1}\n"
		"  b: {type: vhost-user, socket: b, vlan: 2}\n",
		&c);
	assert_int_equal(c.n_static, 2);
	cfg_free(&c);
}

/* max-guest-memory: every spelling of a size, and both ends of the range. */
static void sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} ok[] = {
		{ "128G", 128ull << 30 },
		{ "512M", 512ull << 20 },
		{ "1T", 1ull << 40 },
		{ "1t", 1ull << 40 },
		{ "64m", 64ull << 20 },
		{ "2g", 2ull << 30 },
		{ "1048576k", 1ull << 30 },
		{ "65536K", 64ull << 20 },
		{ "512MiB", 512ull << 20 },
		{ "512mib", 512ull << 20 },
		{ "2GIB", 2ull << 30 },
		{ "3GiB", 3ull << 30 },
		{ "1TiB", 1ull << 40 },
		{ "65536KiB", 64ull << 20 },
		{ "\"4G\"", 4ull << 30 },
		{ "'1000M'", 1000ull << 20 },
		{ "1073741825", (1ull << 30) + 1 }, /* bytes */
		{ "64M", 64ull << 20 },
		{ "67108864", 64ull << 20 },
		{ "64T", 64ull << 40 },
		{ "65536G", 64ull << 40 },
		{ "70368744177664", 64ull << 40 },
	};
	char yaml[256];
	struct cfg c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "ports:\n  vm1: {type: vhost-user, socket: a, max-guest-memory: %s}\n",
			 ok[i].text);
		load_ok(yaml, &c);
		if (c.ports[0].max_guest_memory != ok[i].bytes)
			print_error("%s: %llu bytes, want %llu\n", ok[i].text,
				    (unsigned long long)c.ports[0].max_guest_memory,
				    (unsigned long long)ok[i].bytes);
		assert_true(c.ports[0].max_guest_memory == ok[i].bytes);
		cfg_free(&c);
	}
}

/* switch.*-group and *-mode: every form that loads. */
static void socket_access(void **state)
{
	static const struct {
		const char *text;
		uint32_t mode;
	} modes[] = {
		{ "0660", 0660 }, { "\"0660\"", 0660 }, { "660", 0660 },   { "'0600'", 0600 },
		{ "600", 0600 },  { "0777", 0777 },	 { "0700", 0700 },   { "00640", 0640 },
		{ "0606", 0606 }, { "\"0770\"", 0770 }, { "000660", 0660 },
	};
	const struct group *g = getgrgid(getgid());
	char yaml[512], name[128];
	struct cfg c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(yaml, sizeof(yaml),
			 "switch: {control-socket-mode: %s, socket-mode: %s}\n", modes[i].text,
			 modes[i].text);
		load_ok(yaml, &c);
		assert_int_equal(c.control_socket_mode, modes[i].mode);
		assert_int_equal(c.socket_mode, modes[i].mode);
		cfg_free(&c);
	}

	/* gids need not exist; the largest is the one below (gid_t)-1 */
	load_ok("switch:\n  control-socket-group: 0\n  socket-group: \"4294967294\"\n", &c);
	assert_int_equal(c.control_socket_gid, 0);
	assert_true(c.socket_gid == 4294967294LL);
	cfg_free(&c);
	load_ok("switch: {socket-group: 987654}\n", &c);
	assert_int_equal(c.control_socket_gid, -1);
	assert_true(c.socket_gid == 987654);
	cfg_free(&c);

	/* a name: resolved when the file is loaded */
	if (!g) {
		print_message("no group entry for gid %u: names not tested\n", (unsigned)getgid());
		return;
	}
	snprintf(name, sizeof(name), "%s", g->gr_name);
	snprintf(yaml, sizeof(yaml), "switch:\n  control-socket-group: %s\n  socket-group: \"%s\"\n",
		 name, name);
	load_ok(yaml, &c);
	assert_true(c.control_socket_gid == (int64_t)getgid());
	assert_true(c.socket_gid == (int64_t)getgid());
	assert_int_equal(c.control_socket_mode, 0660);
	assert_int_equal(c.socket_mode, 0660);
	cfg_free(&c);
}

#define VM1 "ports:\n  vm1: {type: vhost-user, socket: vm1.sock, vlan: 10}\n"
#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10
#define A100 A50 A50
#define NAME_RULE "must be a name of 1 to 31 characters from A-Z a-z 0-9 _ -"
/* an uplink whose next key is on line 5 */
#define UP0 "ports:\n  up0:\n    type: uplink\n    interface: eth1\n"
#define VMZ "  vm1: {type: vhost-user, socket: a, zero-copy: "
#define IFNAME_RULE                                                                                \
	"must be an interface name of 1 to 15 characters, none of them / : or white space"
#define ONLY_VU "only ports of type vhost-user have this key (this one is type: uplink)"
#define ONLY_UP "only ports of type uplink have this key (this one is type: vhost-user)"
#define UP_QUEUES "must be all or a list of queue ids such as [0, 1]"
#define UP_QUEUES_NOTE                                                                             \
	"(an uplink uses the NIC's own receive queues, all or some; a number of queue pairs is "   \
	"for vhost-user ports)"
#define VU_QUEUES_NOTE                                                                             \
	"(the number of queue pairs offered to the VM; all or a list of queue ids is for uplinks)"
#define NO_VLAN                                                                                    \
	"an uplink has no vlan: it is a trunk, frames keep their VLAN tags; untagged is VLAN 0"
#define SIZE_RULE "must be a size such as 128G or 512M, 64M..64T"
#define MODE_RULE "must be permission bits in octal such as 0660, at most 0777"
#define NO_OWNER_RW                                                                                \
	"takes read and write away from the owner (xvsd's user); the mode must include 0600"
#define VM1_MEM "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n    max-guest-memory: "
#define FRAME_WHY                                                                                  \
	"as each frame also holds 256 bytes of kernel headroom, and the packet an Ethernet "      \
	"header and two VLAN tags (22 bytes)"

static const struct bad bad_configs[] = {
	/* the document */
	{ "", "xvs.yaml: empty configuration" },
	{ "# only a comment\n", "xvs.yaml: empty configuration" },
	{ "---\n", "xvs.yaml: empty configuration" },
	{ "~\n", "xvs.yaml: empty configuration" },
	{ "- a\n- b\n", "xvs.yaml:1: the configuration must be a mapping, got a list" },
	{ "xvs0\n", "xvs.yaml:1: the configuration must be a mapping, got a scalar" },
	{ "switch: {}\nbridge: {}\n",
	  "xvs.yaml:2: unknown key \"bridge\" (allowed here: switch, datapath, ports, fdb, firewall)" },
	{ "switch: {}\nswitch: {}\n", "xvs.yaml:2: duplicate key \"switch\" (first at line 1)" },
	{ "? [a, b]\n: 1\n", "xvs.yaml:1: keys must be scalars, got a list" },
	{ "switch: {}\n---\nfdb: {}\n", "xvs.yaml:3: a second YAML document is not allowed" },
	{ "switch: &s {name: a}\ndatapath: *s\n",
	  "xvs.yaml:1: switch: YAML anchors and aliases are not supported" },
	{ "switch: &x {name: *x}\n",
	  "xvs.yaml:1: switch: YAML anchors and aliases are not supported" },
	{ "datapath:\n  cpus: [&c 0, *c]\n",
	  "xvs.yaml:2: datapath.cpus[0]: YAML anchors and aliases are not supported" },
	{ "ports:\n"
	  "  &n vm1: {type: vhost-user, socket: a}\n"
	  "  vm2: {type: vhost-user, socket: *n}\n",
	  "xvs.yaml:2: ports: YAML anchors and aliases are not supported" },
	{ VM1 "fdb:\n  static:\n    - &e {mac: \"02:00:00:00:00:01\", port: vm1}\n    - *e\n",
	  "xvs.yaml:5: fdb.static[0]: YAML anchors and aliases are not supported" },
	{ "switch: *nope\n", "xvs.yaml:1: syntax error: found undefined alias" },
	{ "switch:\n  name: x\n   log-level: info\n",
	  "xvs.yaml:3: syntax error: mapping values are not allowed in this context" },
	{ "ports:\n  vm1: {type: vhost-user\n",
	  "xvs.yaml:3: syntax error: did not find expected ',' or '}' (column 1; while parsing a "
	  "flow mapping at line 2)" },
	{ "switch:\n\tname: x\n",
	  "xvs.yaml:2: syntax error: found character that cannot start any token" },
	{ "switch:\n  name: \"xvs0\n", "xvs.yaml:3: syntax error: found unexpected end of stream" },
	{ "switch:\n  name: \xff\n", "xvs.yaml:2: cannot read: invalid leading UTF-8 octet" },

	/* switch */
	{ "switch: [a]\n", "xvs.yaml:1: switch: must be a mapping, got a list" },
	{ "switch: xvs0\n", "xvs.yaml:1: switch: must be a mapping, got \"xvs0\"" },
	{ "switch:\n  nmae: x\n",
	  "xvs.yaml:2: switch: unknown key \"nmae\" (allowed here: name, log-level, "
	  "control-socket, control-socket-group, control-socket-mode, socket-dir, socket-group, "
	  "socket-mode, metrics)" },
	{ "switch:\n  name: a\n  name: b\n",
	  "xvs.yaml:3: switch: duplicate key \"name\" (first at line 2)" },
	{ "switch:\n  name: br0.1\n", "xvs.yaml:2: switch.name: " NAME_RULE ", got \"br0.1\"" },
	{ "switch:\n  name: abcdefghijklmnopqrstuvwxyz012345\n",
	  "xvs.yaml:2: switch.name: " NAME_RULE ", got \"abcdefghijklmnopqrstuvwxyz012345\"" },
	{ "switch:\n  name: \"\"\n", "xvs.yaml:2: switch.name: " NAME_RULE ", got \"\"" },
	{ "switch:\n  name:\n", "switch.name: " NAME_RULE ", got nothing" },
	{ "switch:\n  name: [a]\n", "xvs.yaml:2: switch.name: " NAME_RULE ", got a list" },
	{ "switch:\n  name: \"a\\0b\"\n",
	  "xvs.yaml:2: switch.name: " NAME_RULE ", got \"a\\x00b\"" },
	{ "switch:\n  name: \"a\\tb\\\"\"\n", "switch.name: " NAME_RULE ", got \"a\\x09b\\\"\"" },
	{ "switch:\n  log-level: verbose\n",
	  "xvs.yaml:2: switch.log-level: must be one of error|warning|info|debug, got "
	  "\"verbose\"" },
	{ "switch:\n  log-level: {a: 1}\n",
	  "xvs.yaml:2: switch.log-level: must be one of error|warning|info|debug, got a mapping" },
	{ "switch:\n  log-level: INFO\n", "switch.log-level: must be one of" },
	{ "switch:\n  control-socket: run/xvs.ctl\n",
	  "xvs.yaml:2: switch.control-socket: must be an absolute path, got \"run/xvs.ctl\"" },
	{ "switch:\n  control-socket: /run/xvs/\n",
	  "xvs.yaml:2: switch.control-socket: \"/run/xvs/\" names a directory, not a socket" },
	{ "switch:\n  control-socket: [/a]\n",
	  "xvs.yaml:2: switch.control-socket: must be an absolute path, got a list" },
	{ "switch:\n  control-socket: /" A100 "aaaaaaa\n",
	  "xvs.yaml:2: switch.control-socket: \"/" A50 "aaaa...\" is 108 bytes long; a unix "
	  "socket path holds at most 107" },
	{ "switch:\n  socket-dir: run/xvs\n",
	  "xvs.yaml:2: switch.socket-dir: must be an absolute path, got \"run/xvs\"" },
	{ "switch:\n  socket-dir: {}\n",
	  "switch.socket-dir: must be an absolute path, got a mapping" },
	{ "switch:\n  socket-dir: /" A100 "aaaaaaaaaaaaaa/\n",
	  "xvs.yaml:2: switch.socket-dir: \"/" A50 "aaaa...\" is 115 bytes long; a unix socket "
	  "path holds at most 107" },
	/* switch: who may connect */
	{ "switch:\n  socket-group: xvs-no-such-group\n",
	  "xvs.yaml:2: switch.socket-group: no group named \"xvs-no-such-group\" on this machine" },
	{ "switch:\n  control-socket-group: \"-1\"\n",
	  "xvs.yaml:2: switch.control-socket-group: no group named \"-1\" on this machine" },
	{ "switch:\n  control-socket-group: 4294967295\n",
	  "xvs.yaml:2: switch.control-socket-group: must be a group name or a gid 0..4294967294, "
	  "got \"4294967295\"" },
	{ "switch:\n  socket-group: 0100\n",
	  "xvs.yaml:2: switch.socket-group: must be a group name or a gid 0..4294967294, got "
	  "\"0100\"" },
	{ "switch:\n  socket-group: \"\"\n",
	  "xvs.yaml:2: switch.socket-group: must be a group name or a gid, got \"\"" },
	{ "switch:\n  socket-group:\n",
	  "xvs.yaml:2: switch.socket-group: must be a group name or a gid, got nothing" },
	{ "switch:\n  socket-group: [kvm]\n",
	  "xvs.yaml:2: switch.socket-group: must be a group name or a gid, got a list" },
	{ "switch:\n  socket-group: \"kvm\\0\"\n",
	  "xvs.yaml:2: switch.socket-group: must be a group name or a gid, got \"kvm\\x00\"" },
	{ "switch:\n  socket-mode: 0668\n",
	  "xvs.yaml:2: switch.socket-mode: " MODE_RULE ", got \"0668\"" },
	{ "switch:\n  socket-mode: 01660\n",
	  "xvs.yaml:2: switch.socket-mode: " MODE_RULE ", got \"01660\"" },
	{ "switch:\n  socket-mode: 4660\n", "switch.socket-mode: " MODE_RULE ", got \"4660\"" },
	{ "switch:\n  socket-mode: 0x1b0\n", "switch.socket-mode: " MODE_RULE ", got \"0x1b0\"" },
	{ "switch:\n  socket-mode: rw-rw----\n",
	  "switch.socket-mode: " MODE_RULE ", got \"rw-rw----\"" },
	{ "switch:\n  socket-mode: \"\"\n", "switch.socket-mode: " MODE_RULE ", got \"\"" },
	{ "switch:\n  socket-mode: [0660]\n", "switch.socket-mode: " MODE_RULE ", got a list" },
	{ "switch:\n  control-socket-mode:\n",
	  "xvs.yaml:2: switch.control-socket-mode: " MODE_RULE ", got nothing" },
	{ "switch:\n  control-socket-mode: \"0460\"\n",
	  "xvs.yaml:2: switch.control-socket-mode: 0460 " NO_OWNER_RW },
	{ "switch:\n  socket-mode: 0066\n", "xvs.yaml:2: switch.socket-mode: 0066 " NO_OWNER_RW },
	{ "switch:\n  socket-mode: 500\n", "xvs.yaml:2: switch.socket-mode: 0500 " NO_OWNER_RW },
	{ "switch:\n  socket-mode: 0\n", "xvs.yaml:2: switch.socket-mode: 0000 " NO_OWNER_RW },

	/* /a…a (99 bytes) + /vm1.sock: 108 */
	{ "switch:\n  socket-dir: /" A50 A10 A10 A10 A10 "aaaaaaaa\n" VM1,
	  "xvs.yaml:4: ports.vm1.socket: \"vm1.sock\" in socket-dir \"/" A50 "aaaa...\" is 108 "
	  "bytes long; a unix socket path holds at most 107" },

	/* datapath */
	{ "datapath: 1\n", "xvs.yaml:1: datapath: must be a mapping, got \"1\"" },
	{ "datapath:\n  threads: 2\n",
	  "xvs.yaml:2: datapath: unknown key \"threads\" (allowed here: cpus, poll, idle-us, max-nap-us)" },
	{ "datapath:\n  cpus: 0\n",
	  "xvs.yaml:2: datapath.cpus: must be a list of CPU numbers, got \"0\"" },
	{ "datapath:\n  cpus: {0: 1}\n",
	  "xvs.yaml:2: datapath.cpus: must be a list of CPU numbers, got a mapping" },
	{ "datapath:\n  cpus: []\n",
	  "xvs.yaml:2: datapath.cpus: must list at least one CPU (leave the key out for one "
	  "unpinned worker)" },
	{ "datapath:\n  cpus:\n    - 0\n    - x\n",
	  "xvs.yaml:4: datapath.cpus[1]: must be a CPU number, got \"x\"" },
	{ "datapath:\n  cpus: [-1]\n",
	  "xvs.yaml:2: datapath.cpus[0]: must be a CPU number, got \"-1\"" },
	{ "datapath:\n  cpus: [[0]]\n",
	  "xvs.yaml:2: datapath.cpus[0]: must be a CPU number, got a list" },
	{ "datapath:\n  cpus: [1024]\n", "datapath.cpus[0]: must be a CPU number, got \"1024\"" },
	{ "datapath:\n  cpus: [1023]\n",
	  "xvs.yaml:2: datapath.cpus[0]: CPU 1023 does not exist (this machine has " },
	{ "datapath:\n  cpus: [0, 0]\n", "xvs.yaml:2: datapath.cpus[1]: CPU 0 is listed twice" },
	{ "datapath:\n  poll: sometimes\n",
	  "xvs.yaml:2: datapath.poll: must be one of adaptive|busy, got \"sometimes\"" },
	{ "datapath:\n  poll: [busy]\n",
	  "datapath.poll: must be one of adaptive|busy, got a list" },
	{ "datapath:\n  max-nap-us: 10001\n",
	  "xvs.yaml:2: datapath.max-nap-us: must be an integer 0..10000, got \"10001\"" },
	{ "datapath:\n  max-nap-us: -1\n",
	  "datapath.max-nap-us: must be an integer 0..10000, got \"-1\"" },
	{ "datapath:\n  idle-us: 0\n",
	  "xvs.yaml:2: datapath.idle-us: must be an integer 1..1000000, got \"0\"" },
	{ "datapath:\n  idle-us: 1000001\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"1000001\"" },
	{ "datapath:\n  idle-us: 12abc\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"12abc\"" },
	{ "datapath:\n  idle-us: 010\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"010\"" },
	{ "datapath:\n  idle-us: 0x10\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"0x10\"" },
	{ "datapath:\n  idle-us: +5\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"+5\"" },
	{ "datapath:\n  idle-us: 1.5\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"1.5\"" },
	{ "datapath:\n  idle-us: \" 5\"\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \" 5\"" },
	{ "datapath:\n  idle-us: 99999999999999999999999999\n",
	  "datapath.idle-us: must be an integer 1..1000000, got \"99999999999999999999999999\"" },
	{ "datapath:\n  idle-us:\n",
	  "datapath.idle-us: must be an integer 1..1000000, got nothing" },

	/* fdb */
	{ "fdb: []\n", "xvs.yaml:1: fdb: must be a mapping, got a list" },
	{ "fdb:\n  size: 10\n",
	  "xvs.yaml:2: fdb: unknown key \"size\" (allowed here: aging, max-entries, static, "
	  "protected-macs)" },
	{ "fdb:\n  aging: 1000001\n",
	  "xvs.yaml:2: fdb.aging: must be an integer 0..1000000, got \"1000001\"" },
	{ "fdb:\n  aging: -1\n",
	  "xvs.yaml:2: fdb.aging: must be an integer 0..1000000, got \"-1\"" },
	{ "fdb:\n  aging: 5m\n",
	  "xvs.yaml:2: fdb.aging: must be an integer 0..1000000, got \"5m\"" },
	{ "fdb:\n  max-entries: 15\n",
	  "xvs.yaml:2: fdb.max-entries: must be an integer 16..1048576, got \"15\"" },
	{ "fdb:\n  max-entries: 1048577\n",
	  "xvs.yaml:2: fdb.max-entries: must be an integer 16..1048576, got \"1048577\"" },
	{ VM1 "fdb:\n  static: {mac: \"52:54:00:00:00:01\", port: vm1}\n",
	  "xvs.yaml:4: fdb.static: must be a list of {mac, port, vlan} entries, got a mapping" },
	{ VM1 "fdb:\n  static:\n    - 52:54:00:00:00:01\n",
	  "xvs.yaml:5: fdb.static[0]: must be a mapping {mac, port, vlan}, got "
	  "\"52:54:00:00:00:01\"" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01\", port: vm1, vlna: 10}\n",
	  "xvs.yaml:5: fdb.static[0]: unknown key \"vlna\" (allowed here: mac, port, vlan)" },
	{ VM1 "fdb:\n  static:\n    - {port: vm1}\n",
	  "xvs.yaml:5: fdb.static[0]: missing required key \"mac\"" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01\"}\n",
	  "xvs.yaml:5: fdb.static[0]: missing required key \"port\"" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00\", port: vm1}\n",
	  "xvs.yaml:5: fdb.static[0].mac: must be a MAC address such as \"52:54:00:12:34:56\", "
	  "got \"52:54:00:00:00\"" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:0g\", port: vm1}\n",
	  "fdb.static[0].mac: must be a MAC address such as \"52:54:00:12:34:56\", got "
	  "\"52:54:00:00:00:0g\"" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52-54-00-00-00-01\", port: vm1}\n",
	  "fdb.static[0].mac: must be a MAC address" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01 \", port: vm1}\n",
	  "fdb.static[0].mac: must be a MAC address" },
	{ VM1 "fdb:\n  static:\n    - {mac: [52], port: vm1}\n",
	  "fdb.static[0].mac: must be a MAC address such as \"52:54:00:12:34:56\", got a list" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"01:00:5e:00:00:01\", port: vm1}\n",
	  "xvs.yaml:5: fdb.static[0].mac: 01:00:5e:00:00:01 is a multicast address; must be "
	  "unicast" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"ff:ff:ff:ff:ff:ff\", port: vm1}\n",
	  "fdb.static[0].mac: ff:ff:ff:ff:ff:ff is a multicast address" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"00:00:00:00:00:00\", port: vm1}\n",
	  "xvs.yaml:5: fdb.static[0].mac: must not be the all-zero address" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01\", port: vm9}\n",
	  "xvs.yaml:5: fdb.static[0].port: no port named vm9 in ports" },
	{ "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01\", port: vm1}\n",
	  "xvs.yaml:3: fdb.static[0].port: no port named vm1 in ports" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01\", port: \"vm 1\"}\n",
	  "xvs.yaml:5: fdb.static[0].port: " NAME_RULE ", got \"vm 1\"" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:01\", port: vm1, vlan: 4095}\n",
	  "xvs.yaml:5: fdb.static[0].vlan: must be an integer 0..4094, got \"4095\"" },
	{ VM1 "fdb:\n  static:\n    - mac: \"52:54:00:00:00:01\"\n      port: vm1\n      vlan: "
	  "20\n",
	  "xvs.yaml:7: fdb.static[0].vlan: port vm1 is on vlan 10, not 20" },
	{ VM1 "fdb:\n  static:\n    - {mac: \"52:54:00:00:00:0a\", port: vm1}\n    - {mac: "
	  "\"02:00:00:00:00:01\", port: vm1}\n    - {mac: \"52:54:00:00:00:0A\", port: vm1, "
	  "vlan: 10}\n",
	  "xvs.yaml:7: fdb.static[2]: same vlan and mac as fdb.static[0] (line 5)" },
	{ VM1 "fdb:\n  static:\n"
	      "    - {mac: \"02:00:00:00:00:0a\", port: vm1}\n"
	      "    - {mac: \"02:00:00:00:00:0b\", port: vm1}\n"
	      "    - {mac: \"02:00:00:00:00:0b\", port: vm1}\n"
	      "    - {mac: \"02:00:00:00:00:0a\", port: vm1}\n",
	  "xvs.yaml:7: fdb.static[2]: same vlan and mac as fdb.static[1] (line 6)" },
	{ "fdb:\n  protected-macs: \"02:00:5e:00:01:01\"\n",
	  "xvs.yaml:2: fdb.protected-macs: must be a list of MAC addresses such as "
	  "[\"02:00:5e:00:01:01\"], got \"02:00:5e:00:01:01\"" },
	{ "fdb:\n  protected-macs: {mac: \"02:00:5e:00:01:01\"}\n",
	  "xvs.yaml:2: fdb.protected-macs: must be a list of MAC addresses such as "
	  "[\"02:00:5e:00:01:01\"], got a mapping" },
	{ "fdb:\n  protected-macs:\n    - \"02:00:5e:00:01:01\"\n    - \"02:00:5e:00:01\"\n",
	  "xvs.yaml:4: fdb.protected-macs[1]: must be a MAC address such as "
	  "\"52:54:00:12:34:56\", got \"02:00:5e:00:01\"" },
	{ "fdb:\n  protected-macs: [[\"02:00:5e:00:01:01\"]]\n",
	  "xvs.yaml:2: fdb.protected-macs[0]: must be a MAC address such as "
	  "\"52:54:00:12:34:56\", got a list" },
	{ "fdb:\n  protected-macs: [~]\n",
	  "fdb.protected-macs[0]: must be a MAC address such as \"52:54:00:12:34:56\", got "
	  "nothing" },
	{ "fdb:\n  protected-macs: [\"33:33:00:00:00:01\"]\n",
	  "xvs.yaml:2: fdb.protected-macs[0]: 33:33:00:00:00:01 is a multicast address; must be "
	  "unicast" },
	{ "fdb:\n  protected-macs: [\"FF:FF:FF:FF:FF:FF\"]\n",
	  "xvs.yaml:2: fdb.protected-macs[0]: FF:FF:FF:FF:FF:FF is a multicast address; must be "
	  "unicast" },
	{ "fdb:\n  protected-macs: [\"00:00:00:00:00:00\"]\n",
	  "xvs.yaml:2: fdb.protected-macs[0]: must not be the all-zero address" },
	{ "fdb:\n  protected-macs:\n"
	  "    - \"02:00:5e:00:01:01\"\n"
	  "    - \"52:54:00:00:00:01\"\n"
	  "    - \"02:00:5E:00:01:01\"\n",
	  "xvs.yaml:5: fdb.protected-macs[2]: 02:00:5e:00:01:01 is listed twice (first as "
	  "fdb.protected-macs[0], line 3)" },
	{ "fdb:\n  protected-macs:\n    - &m \"02:00:5e:00:01:01\"\n    - *m\n",
	  "xvs.yaml:3: fdb.protected-macs[0]: YAML anchors and aliases are not supported" },

	/* ports */
	{ "ports: [vm1]\n",
	  "xvs.yaml:1: ports: must be a mapping of port names to ports, got a list" },
	{ "ports: vm1\n",
	  "xvs.yaml:1: ports: must be a mapping of port names to ports, got \"vm1\"" },
	{ "ports:\n  vm.1: {type: vhost-user, socket: a}\n",
	  "xvs.yaml:2: ports: a port name must be 1 to 31 characters from A-Z a-z 0-9 _ -, got "
	  "\"vm.1\"" },
	{ "ports:\n  [vm1]: {type: vhost-user, socket: a}\n",
	  "xvs.yaml:2: ports: a port name must be 1 to 31 characters from A-Z a-z 0-9 _ -, got a "
	  "list" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a}\n  vm1: {type: vhost-user, socket: b}\n",
	  "xvs.yaml:3: ports: port vm1 is defined twice (first at line 2)" },
	{ "ports:\n  vm1:\n  vm2: {type: vhost-user, socket: b}\n",
	  "ports.vm1: missing required key \"type\"" },
	{ "ports:\n  vm1: {socket: a}\n", "xvs.yaml:2: ports.vm1: missing required key \"type\"" },
	{ "ports:\n  vm1: vhost-user\n",
	  "xvs.yaml:2: ports.vm1: must be a mapping, got \"vhost-user\"" },
	{ "ports:\n  vm1: [type, vhost-user]\n",
	  "xvs.yaml:2: ports.vm1: must be a mapping, got a list" },
	{ "ports:\n  vm1: {type: tap, socket: a}\n",
	  "xvs.yaml:2: ports.vm1.type: must be one of vhost-user|uplink, got \"tap\"" },
	{ "ports:\n  vm1: {type: [vhost-user], socket: a}\n",
	  "xvs.yaml:2: ports.vm1.type: must be one of vhost-user|uplink, got a list" },
	{ "ports:\n  vm1:\n    type: vhost-user\n    mtu: 1500\n",
	  "xvs.yaml:3: ports.vm1: missing required key \"socket\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, packed-ring: true, migration: true}\n",
	  "xvs.yaml:2: ports.vm1: packed-ring and migration cannot both be on: a VM on packed "
	  "rings cannot be live-migrated yet" },
	{ "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n    sockets: b\n",
	  "xvs.yaml:5: ports.vm1: unknown key \"sockets\" (allowed here: type, socket, mode, "
	  "vlan, mtu, queues, max-macs, max-guest-memory, offloads, packed-ring, migration, in-order, zero-copy, firewall, anti-spoofing)" },
	{ "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n    vlan: 1\n    vlan: 2\n",
	  "xvs.yaml:6: ports.vm1: duplicate key \"vlan\" (first at line 5)" },
	{ "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n    type: vhost-user\n",
	  "xvs.yaml:5: ports.vm1: duplicate key \"type\" (first at line 3)" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, mode: listen}\n",
	  "xvs.yaml:2: ports.vm1.mode: must be one of server|client, got \"listen\"" },
	{ "# the example from the reference\n\n\n\n\n\n\n\n\n\nports:\n  vm1: {type: vhost-user, "
	  "socket: a, vlan: abc}\n",
	  "xvs.yaml:12: ports.vm1.vlan: must be an integer 0..4094, got \"abc\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, vlan: 4095}\n",
	  "xvs.yaml:2: ports.vm1.vlan: must be an integer 0..4094, got \"4095\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, vlan: -1}\n",
	  "xvs.yaml:2: ports.vm1.vlan: must be an integer 0..4094, got \"-1\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, vlan: {}}\n",
	  "xvs.yaml:2: ports.vm1.vlan: must be an integer 0..4094, got a mapping" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, mtu: 67}\n",
	  "xvs.yaml:2: ports.vm1.mtu: must be an integer 68..65535, got \"67\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, mtu: 65536}\n",
	  "xvs.yaml:2: ports.vm1.mtu: must be an integer 68..65535, got \"65536\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, queues: 0}\n",
	  "xvs.yaml:2: ports.vm1.queues: must be an integer 1..8, got \"0\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, queues: 9}\n",
	  "xvs.yaml:2: ports.vm1.queues: must be an integer 1..8, got \"9\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, max-macs: 65537}\n",
	  "xvs.yaml:2: ports.vm1.max-macs: must be an integer 0..65536, got \"65537\" (0: no "
	  "limit)" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, max-macs: -1}\n",
	  "xvs.yaml:2: ports.vm1.max-macs: must be an integer 0..65536, got \"-1\" (0: no limit)" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, max-macs: unlimited}\n",
	  "ports.vm1.max-macs: must be an integer 0..65536, got \"unlimited\" (0: no limit)" },
	/* max-guest-memory: the form */
	{ VM1_MEM "128X\n", "xvs.yaml:5: ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128X\"" },
	{ VM1_MEM "128GB\n",
	  "xvs.yaml:5: ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128GB\"" },
	{ VM1_MEM "128Gi\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128Gi\"" },
	{ VM1_MEM "128GiBs\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128GiBs\"" },
	{ VM1_MEM "128P\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128P\"" },
	{ VM1_MEM "\"128 G\"\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128 G\"" },
	{ VM1_MEM "\"128G \"\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"128G \"" },
	{ VM1_MEM "1.5G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"1.5G\"" },
	{ VM1_MEM "-1G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"-1G\"" },
	{ VM1_MEM "+1G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"+1G\"" },
	{ VM1_MEM "G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"G\"" },
	{ VM1_MEM "0128G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"0128G\"" },
	{ VM1_MEM "0x80000000\n",
	  "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"0x80000000\"" },
	{ VM1_MEM "\"\"\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"\"" },
	{ VM1_MEM "\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got nothing" },
	{ VM1_MEM "[1G]\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got a list" },
	{ VM1_MEM "\"1G\\0\"\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"1G\\x00\"" },
	/* max-guest-memory: the range */
	{ VM1_MEM "63M\n", "xvs.yaml:5: ports.vm1.max-guest-memory: " SIZE_RULE ", got \"63M\"" },
	{ VM1_MEM "65535K\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"65535K\"" },
	{ VM1_MEM "67108863\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"67108863\"" },
	{ VM1_MEM "0\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"0\"" },
	{ VM1_MEM "0G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"0G\"" },
	{ VM1_MEM "65T\n", "xvs.yaml:5: ports.vm1.max-guest-memory: " SIZE_RULE ", got \"65T\"" },
	{ VM1_MEM "65537G\n", "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"65537G\"" },
	{ VM1_MEM "70368744177665\n",
	  "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"70368744177665\"" },
	{ VM1_MEM "18446744073709551616\n",
	  "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"18446744073709551616\"" },
	{ VM1_MEM "17179869184T\n",
	  "ports.vm1.max-guest-memory: " SIZE_RULE ", got \"17179869184T\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: \"\"}\n",
	  "xvs.yaml:2: ports.vm1.socket: must be a socket path, got \"\"" },
	{ "ports:\n  vm1: {type: vhost-user, socket: }\n",
	  "xvs.yaml:2: ports.vm1.socket: must be a socket path, got nothing" },
	{ "ports:\n  vm1: {type: vhost-user, socket: [a]}\n",
	  "xvs.yaml:2: ports.vm1.socket: must be a socket path, got a list" },
	{ "ports:\n  vm1: {type: vhost-user, socket: vms/}\n",
	  "xvs.yaml:2: ports.vm1.socket: \"vms/\" names a directory, not a socket" },
	/* /run/xvs/ + 99 bytes: 108 */
	{ "ports:\n  vm1:\n    type: vhost-user\n    socket: " A50 A10 A10 A10 A10 "aaaa.sock\n",
	  "xvs.yaml:4: ports.vm1.socket: \"" A50 "aaaaa...\" in socket-dir \"/run/xvs\" is 108 "
	  "bytes long; a unix socket path holds at most 107" },
	{ "ports:\n  vm1:\n    type: vhost-user\n    socket: /var/lib/" A100 ".sock\n",
	  "xvs.yaml:4: ports.vm1.socket: \"/var/lib/" A10 A10 A10 A10 "aaaaaa...\" is 114 bytes "
	  "long; a unix socket path holds at most 107" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a.sock}\n  vm2: {type: vhost-user, socket: "
	  "/run/xvs/a.sock}\n",
	  "xvs.yaml:3: ports.vm2.socket: \"/run/xvs/a.sock\" is already the socket of port vm1 "
	  "(line 2)" },
	{ "ports:\n  vm1: {type: vhost-user, socket: xvs0.ctl}\n",
	  "xvs.yaml:2: ports.vm1.socket: \"/run/xvs/xvs0.ctl\" is the switch's control socket" },
	{ "switch: {control-socket: /tmp/c}\nports:\n  vm1: {type: vhost-user, socket: /tmp/c}\n",
	  "xvs.yaml:3: ports.vm1.socket: \"/tmp/c\" is the switch's control socket" },

	/* uplinks: keys of the other type */
	{ "ports:\n  up0: {type: uplink}\n",
	  "xvs.yaml:2: ports.up0: missing required key \"interface\"" },
	{ "ports:\n  up0: {type: uplink, queues: all}\n",
	  "xvs.yaml:2: ports.up0: missing required key \"interface\"" },
	{ UP0 "    socket: up0.sock\n", "xvs.yaml:5: ports.up0.socket: " ONLY_VU },
	{ UP0 "    mode: client\n", "xvs.yaml:5: ports.up0.mode: " ONLY_VU },
	{ UP0 "    vlan: 10\n", "xvs.yaml:5: ports.up0.vlan: " NO_VLAN },
	{ UP0 "    vlan: 0\n", "xvs.yaml:5: ports.up0.vlan: " NO_VLAN },
	{ UP0 "    max-guest-memory: 128G\n", "xvs.yaml:5: ports.up0.max-guest-memory: " ONLY_VU },
	{ UP0 "    max-macs: 65537\n",
	  "xvs.yaml:5: ports.up0.max-macs: must be an integer 0..65536, got \"65537\" (0: no "
	  "limit)" },
	{ UP0 "    vlna: 1\n",
	  "xvs.yaml:5: ports.up0: unknown key \"vlna\" (allowed here: type, interface, queues, "
	  "xdp-mode, busy-poll, busy-poll-us, host-flood, host-unknown, multi-buffer, ring-size, "
	  "frame-size, mtu, max-macs, zero-copy-queues)" },
	/* zero-copy: a VM's queue of an uplink */
	{ UP0 VMZ "{uplink: up0, queue: 64}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy.queue: must be auto or a queue id 0..63, got \"64\"" },
	{ UP0 VMZ "{queue: 2}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: missing required key \"uplink\"" },
	{ UP0 VMZ "{uplink: up0, queue: 2, ring: 5}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: unknown key \"ring\" (allowed here: uplink, queue, tx)" },
	{ UP0 VMZ "{uplink: up0, queue: 2, tx: zero}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy.tx: must be one of auto|guest|copy, got \"zero\"" },
	{ UP0 VMZ "yes}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: must be a mapping {uplink: NAME, queue: N or auto}" },
	{ UP0 VMZ "{uplink: up1, queue: 2}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: uplink: up1 is not a port in ports" },
	{ UP0 VMZ "{uplink: vm1, queue: 2}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: uplink: vm1 is not an uplink port" },
	{ UP0 VMZ "{uplink: up0}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: queue: auto, but uplink up0 has no free queue in "
	  "zero-copy-queues (line 2): it lists none" },
	{ UP0 "    zero-copy-queues: [3]\n" VMZ "{uplink: up0}}\n"
	  "  vm2: {type: vhost-user, socket: b, zero-copy: {uplink: up0, queue: auto}}\n",
	  "xvs.yaml:7: ports.vm2.zero-copy: queue: auto, but uplink up0 has no free queue in "
	  "zero-copy-queues (line 2)" },
	{ UP0 VMZ "{uplink: up0, queue: 2}}\n"
	  "  vm2: {type: vhost-user, socket: b, zero-copy: {uplink: up0, queue: 2}}\n",
	  "xvs.yaml:6: ports.vm2.zero-copy: queue 2 of uplink up0 is already port vm1's (line 5)" },
	{ "ports:\n  up0:\n    type: uplink\n    interface: eth1\n    queues: [0, 2]\n"
	  VMZ "{uplink: up0, queue: 2}}\n",
	  "xvs.yaml:6: ports.vm1.zero-copy: queue 2 is one of uplink up0's own queues (line 2): a "
	  "zero-copy queue belongs to one VM alone" },
	{ "ports:\n  up0:\n    type: uplink\n    interface: eth1\n    queues: [0, 2]\n"
	  "    zero-copy-queues: [2, 3]\n",
	  "xvs.yaml:2: ports.up0.zero-copy-queues: queue 2 is in both queues and zero-copy-queues" },
	{ UP0 "    zero-copy-queues: [2, 2]\n",
	  "xvs.yaml:5: ports.up0.zero-copy-queues[1]: queue 2 is listed twice" },
	{ UP0 "    zero-copy-queues: 2\n",
	  "xvs.yaml:5: ports.up0.zero-copy-queues: must be a list of queue ids such as [2, 3]" },
	{ UP0 "  vm1: {type: vhost-user, socket: a, mtu: 3823, zero-copy: {uplink: up0, queue: 2}}\n",
	  "xvs.yaml:5: ports.vm1.zero-copy: mtu 3823 is too large for zero-copy (at most 3822)" },
	{ UP0 "    zero-copy: {uplink: up0}\n",
	  "xvs.yaml:5: ports.up0.zero-copy: only ports of type vhost-user have this key" },
	{ UP0 "    mtu: 1500\n    mtu: 1400\n",
	  "xvs.yaml:6: ports.up0: duplicate key \"mtu\" (first at line 5)" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, interface: eth1}\n",
	  "xvs.yaml:2: ports.vm1.interface: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, xdp-mode: skb}\n",
	  "xvs.yaml:2: ports.vm1.xdp-mode: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, busy-poll: 1}\n",
	  "xvs.yaml:2: ports.vm1.busy-poll: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, busy-poll-us: 1}\n",
	  "xvs.yaml:2: ports.vm1.busy-poll-us: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, host-flood: true}\n",
	  "xvs.yaml:2: ports.vm1.host-flood: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, host-unknown: true}\n",
	  "xvs.yaml:2: ports.vm1.host-unknown: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, ring-size: 64}\n",
	  "xvs.yaml:2: ports.vm1.ring-size: " ONLY_UP },
	{ "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n    frame-size: 2048\n",
	  "xvs.yaml:5: ports.vm1.frame-size: " ONLY_UP },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, queues: all}\n",
	  "xvs.yaml:2: ports.vm1.queues: must be an integer 1..8, got \"all\" " VU_QUEUES_NOTE },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, queues: [0, 1]}\n",
	  "xvs.yaml:2: ports.vm1.queues: must be an integer 1..8, got a list " VU_QUEUES_NOTE },

	/* uplinks: interface */
	{ UP0 "  up1: {type: uplink, interface: eth1}\n",
	  "xvs.yaml:5: ports.up1.interface: interface eth1 is already the uplink of port up0 "
	  "(line 2)" },
	{ "ports:\n  up0: {type: uplink, interface: eth1}\n  vm1: {type: vhost-user, socket: "
	  "a}\n  up1:\n    type: uplink\n    interface: \"eth1\"\n",
	  "xvs.yaml:6: ports.up1.interface: interface eth1 is already the uplink of port up0 "
	  "(line 2)" },
	{ "ports:\n  up0: {type: uplink, interface: \"\"}\n",
	  "xvs.yaml:2: ports.up0.interface: " IFNAME_RULE ", got \"\"" },
	{ "ports:\n  up0: {type: uplink, interface: }\n",
	  "xvs.yaml:2: ports.up0.interface: " IFNAME_RULE ", got nothing" },
	{ "ports:\n  up0: {type: uplink, interface: abcdefghijklmnop}\n",
	  "xvs.yaml:2: ports.up0.interface: " IFNAME_RULE ", got \"abcdefghijklmnop\"" },
	{ "ports:\n  up0: {type: uplink, interface: eth/1}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"eth/1\"" },
	{ "ports:\n  up0: {type: uplink, interface: \"eth 1\"}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"eth 1\"" },
	{ "ports:\n  up0: {type: uplink, interface: \"eth\\t1\"}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"eth\\x091\"" },
	{ "ports:\n  up0: {type: uplink, interface: \"eth1\\n\"}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"eth1\\x0a\"" },
	{ "ports:\n  up0: {type: uplink, interface: \"eth1:0\"}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"eth1:0\"" },
	{ "ports:\n  up0: {type: uplink, interface: \"eth\\0\"}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"eth\\x00\"" },
	{ "ports:\n  up0: {type: uplink, interface: .}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \".\"" },
	{ "ports:\n  up0: {type: uplink, interface: ..}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got \"..\"" },
	{ "ports:\n  up0: {type: uplink, interface: {eth1: 1}}\n",
	  "ports.up0.interface: " IFNAME_RULE ", got a mapping" },
	{ "ports:\n  up0: {type: uplink, interface: [eth1, eth2]}\n",
	  "xvs.yaml:2: ports.up0.interface: must be one interface, got a list (define one uplink "
	  "port per interface)" },

	/* uplinks: queues */
	{ UP0 "    queues: 4\n",
	  "xvs.yaml:5: ports.up0.queues: " UP_QUEUES ", got \"4\" " UP_QUEUES_NOTE },
	{ UP0 "    queues: ALL\n", "ports.up0.queues: " UP_QUEUES ", got \"ALL\" " UP_QUEUES_NOTE },
	{ UP0 "    queues: \"0, 1\"\n", "ports.up0.queues: " UP_QUEUES ", got \"0, 1\"" },
	{ UP0 "    queues: {0: 1}\n", "ports.up0.queues: " UP_QUEUES ", got a mapping" },
	{ UP0 "    queues: []\n",
	  "xvs.yaml:5: ports.up0.queues: must list at least one queue id (or say all)" },
	{ UP0 "    queues: [0, 1, 0]\n",
	  "xvs.yaml:5: ports.up0.queues[2]: queue 0 is listed twice" },
	{ UP0 "    queues:\n      - 2\n      - 1\n      - 2\n",
	  "xvs.yaml:8: ports.up0.queues[2]: queue 2 is listed twice" },
	{ UP0 "    queues: [-1]\n",
	  "xvs.yaml:5: ports.up0.queues[0]: must be a queue id 0..63, got \"-1\"" },
	{ UP0 "    queues: [0, 64]\n",
	  "xvs.yaml:5: ports.up0.queues[1]: must be a queue id 0..63, got \"64\"" },
	{ UP0 "    queues: [1.0]\n", "ports.up0.queues[0]: must be a queue id 0..63, got \"1.0\"" },
	{ UP0 "    queues: [all]\n", "ports.up0.queues[0]: must be a queue id 0..63, got \"all\"" },
	{ UP0 "    queues: [[0]]\n", "ports.up0.queues[0]: must be a queue id 0..63, got a list" },
	{ UP0 "    queues: [~]\n", "ports.up0.queues[0]: must be a queue id 0..63, got nothing" },
	{ UP0 "    queues: [&q 0, *q]\n",
	  "xvs.yaml:5: ports.up0.queues[0]: YAML anchors and aliases are not supported" },

	/* uplinks: the other keys */
	{ UP0 "    xdp-mode: copy\n",
	  "xvs.yaml:5: ports.up0.xdp-mode: must be one of auto|zerocopy|native|skb, got \"copy\"" },
	{ UP0 "    xdp-mode: Native\n",
	  "ports.up0.xdp-mode: must be one of auto|zerocopy|native|skb" },
	{ UP0 "    busy-poll: 1025\n",
	  "xvs.yaml:5: ports.up0.busy-poll: must be an integer 0..1024, got \"1025\"" },
	{ UP0 "    busy-poll: -1\n",
	  "xvs.yaml:5: ports.up0.busy-poll: must be an integer 0..1024, got \"-1\"" },
	{ UP0 "    busy-poll: true\n",
	  "xvs.yaml:5: ports.up0.busy-poll: must be an integer 0..1024, got \"true\"" },
	{ UP0 "    busy-poll-us: 0\n",
	  "xvs.yaml:5: ports.up0.busy-poll-us: must be an integer 1..10000, got \"0\"" },
	{ UP0 "    busy-poll-us: 10001\n",
	  "xvs.yaml:5: ports.up0.busy-poll-us: must be an integer 1..10000, got \"10001\"" },
	{ UP0 "    host-flood: maybe\n",
	  "xvs.yaml:5: ports.up0.host-flood: must be true or false, got \"maybe\"" },
	{ UP0 "    host-flood: 1\n", "ports.up0.host-flood: must be true or false, got \"1\"" },
	{ UP0 "    host-flood: y\n", "ports.up0.host-flood: must be true or false, got \"y\"" },
	{ UP0 "    host-flood: \"\"\n", "ports.up0.host-flood: must be true or false, got \"\"" },
	{ UP0 "    host-flood:\n", "ports.up0.host-flood: must be true or false, got nothing" },
	{ UP0 "    host-flood: [true]\n",
	  "ports.up0.host-flood: must be true or false, got a list" },
	{ UP0 "    host-flood: \"true\\0\"\n",
	  "ports.up0.host-flood: must be true or false, got \"true\\x00\"" },
	{ UP0 "    host-unknown: trueish\n",
	  "xvs.yaml:5: ports.up0.host-unknown: must be true or false, got \"trueish\"" },
	{ UP0 "    host-unknown: \"yes please\"\n",
	  "ports.up0.host-unknown: must be true or false, got \"yes please\"" },
	{ UP0 "    ring-size: 32\n",
	  "xvs.yaml:5: ports.up0.ring-size: must be a power of two 64..16384, got \"32\"" },
	{ UP0 "    ring-size: 32768\n",
	  "ports.up0.ring-size: must be a power of two 64..16384, got \"32768\"" },
	{ UP0 "    ring-size: 1000\n",
	  "ports.up0.ring-size: must be a power of two 64..16384, got \"1000\"" },
	{ UP0 "    ring-size: 0\n",
	  "ports.up0.ring-size: must be a power of two 64..16384, got \"0\"" },
	{ UP0 "    frame-size: 1024\n",
	  "xvs.yaml:5: ports.up0.frame-size: must be 2048 or 4096, got \"1024\"" },
	{ UP0 "    frame-size: 3072\n",
	  "ports.up0.frame-size: must be 2048 or 4096, got \"3072\"" },
	{ UP0 "    frame-size: 8192\n",
	  "ports.up0.frame-size: must be 2048 or 4096, got \"8192\"" },

	/* uplinks: the MTU fits UPLINK_MAX_FRAGS frames */
	{ UP0 "    mtu: 65259\n",
	  "xvs.yaml:5: ports.up0.mtu: 65259 does not fit in 17 frames of frame-size 4096: at most "
	  "65258, " FRAME_WHY },
	{ UP0 "    mtu: 30443\n    frame-size: 2048\n",
	  "xvs.yaml:5: ports.up0.mtu: 30443 does not fit in 17 frames of frame-size 2048: at most "
	  "30442, " FRAME_WHY },
	{ UP0 "    frame-size: 2048\n    mtu: 30443\n",
	  "xvs.yaml:6: ports.up0.mtu: 30443 does not fit in 17 frames of frame-size 2048" },
	{ UP0 "    mtu: 65536\n",
	  "xvs.yaml:5: ports.up0.mtu: must be an integer 68..65258, got \"65536\"" },
	{ UP0 "    mtu: 67\n",
	  "xvs.yaml:5: ports.up0.mtu: must be an integer 68..65258, got \"67\"" },
	{ UP0 "    mtu: jumbo\n", "ports.up0.mtu: must be an integer 68..65258, got \"jumbo\"" },

	/* uplinks: static FDB entries */
	{ UP0 "fdb:\n  static:\n    - {mac: \"02:00:00:00:00:01\", port: up0}\n",
	  "xvs.yaml:7: fdb.static[0]: missing required key \"vlan\": port up0 is an uplink, a "
	  "trunk; say which VLAN the MAC is on (0: untagged)" },
	{ UP0 "fdb:\n  static:\n    - {mac: \"02:00:00:00:00:01\", port: up0, vlan: 4095}\n",
	  "xvs.yaml:7: fdb.static[0].vlan: must be an integer 0..4094, got \"4095\"" },
	{ UP0 "fdb:\n  static:\n    - {mac: \"02:00:00:00:00:01\", port: up0, vlan: 5}\n"
	      "    - {mac: \"02:00:00:00:00:01\", port: up0, vlan: 5}\n",
	  "xvs.yaml:8: fdb.static[1]: same vlan and mac as fdb.static[0] (line 7)" },
};

static void bad_config_table(void **state)
{
	(void)state;
	assert_int_equal(expect_errors(bad_configs, sizeof(bad_configs) / sizeof(bad_configs[0])),
			 0);
}

/* Too many of something: generated. */
static void too_many(void **state)
{
	size_t size = 64 * 1024, o;
	char *yaml = malloc(size);
	struct cfg c;
	int i;

	(void)state;
	assert_non_null(yaml);
	o = (size_t)snprintf(yaml, size, "ports:\n");
	for (i = 0; i < CFG_MAX_PORTS + 1; i++)
		o += (size_t)snprintf(yaml + o, size - o,
				      "  p%d: {type: vhost-user, socket: p%d}\n", i, i);
	assert_true(expect_error(yaml, o,
				 "xvs.yaml:2: ports: 255 ports; at most 254 are supported"));
	/* ... but 254 is fine */
	o -= strlen("  p254: {type: vhost-user, socket: p254}\n");
	yaml[o] = '\0';
	load_ok(yaml, &c);
	assert_int_equal(c.n_ports, CFG_MAX_PORTS);
	cfg_free(&c);

	o = (size_t)snprintf(yaml, size, "datapath:\n  cpus: [0");
	for (i = 1; i < CFG_MAX_CPUS + 1; i++)
		o += (size_t)snprintf(yaml + o, size - o, ", %d", i);
	o += (size_t)snprintf(yaml + o, size - o, "]\n");
	assert_true(expect_error(yaml, o, "xvs.yaml:2: datapath.cpus: lists 65 CPUs; at most 64 "
					  "workers are supported"));

	o = (size_t)snprintf(yaml, size, VM1 "fdb:\n  max-entries: 16\n  static:\n");
	for (i = 0; i < 17; i++)
		o += (size_t)snprintf(yaml + o, size - o,
				      "    - {mac: \"02:00:00:00:00:%02x\", port: vm1}\n", i + 1);
	assert_true(expect_error(yaml, o, "xvs.yaml:6: fdb.static: 17 entries do not fit in "
					  "fdb.max-entries (16)"));

	/* every queue id 0..63, in reverse, then one more */
	o = (size_t)snprintf(yaml, size, UP0 "    queues: [63");
	for (i = CFG_MAX_QUEUE_IDS - 2; i >= 0; i--)
		o += (size_t)snprintf(yaml + o, size - o, ", %d", i);
	snprintf(yaml + o, size - o, "]\n");
	load_ok(yaml, &c);
	assert_int_equal(c.ports[0].n_queue_ids, CFG_MAX_QUEUE_IDS);
	for (i = 0; i < CFG_MAX_QUEUE_IDS; i++)
		assert_int_equal(c.ports[0].queue_ids[i], CFG_MAX_QUEUE_IDS - 1 - i);
	cfg_free(&c);
	o += (size_t)snprintf(yaml + o, size - o, ", 0]\n");
	assert_true(expect_error(yaml, o, "xvs.yaml:5: ports.up0.queues: lists 65 queues; queue "
					  "ids are 0..63"));

	/* CFG_MAX_PROTECTED protected MACs load; one more does not */
	o = (size_t)snprintf(yaml, size, "fdb:\n  protected-macs:\n");
	for (i = 0; i < CFG_MAX_PROTECTED; i++)
		o += (size_t)snprintf(yaml + o, size - o, "    - \"02:00:00:00:01:%02x\"\n", i);
	load_ok(yaml, &c);
	assert_int_equal(c.n_protected, CFG_MAX_PROTECTED);
	for (i = 0; i < CFG_MAX_PROTECTED; i++)
		assert_int_equal(c.protected_macs[i][5], i);
	cfg_free(&c);
	o += (size_t)snprintf(yaml + o, size - o, "    - \"02:00:00:00:02:00\"\n");
	assert_true(expect_error(yaml, o, "xvs.yaml:3: fdb.protected-macs: lists 65 addresses; "
					  "at most 64 can be protected"));
	free(yaml);
}

static void file_errors(void **state)
{
	char path[256], err[512];
	struct cfg c;
	int r;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	poison(&c);
	r = cfg_load(path, &c, err, sizeof(err));
	assert_int_equal(r, -ENOENT);
	assert_true(poisoned(&c));
	snprintf(path, sizeof(path), "%s/missing.yaml: cannot open: No such file or directory",
		 dir);
	assert_string_equal(err, path);

	r = cfg_load(dir, &c, err, sizeof(err));
	assert_int_equal(r, -EISDIR);
	assert_true(poisoned(&c));
	assert_non_null(strstr(err, ": cannot open: Is a directory"));

	/* A short buffer truncates the message; no buffer is fine too. */
	write_bytes("fdb: []\n", 8);
	memset(err, 'x', sizeof(err));
	assert_int_equal(cfg_load(file, &c, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'x');
	assert_int_equal(cfg_load(file, &c, NULL, 0), -EINVAL);
	assert_int_equal(cfg_load("/nonexistent/xvs.yaml", &c, NULL, 0), -ENOENT);
	assert_true(poisoned(&c));

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(cfg_load(path, &c, err, sizeof(err)), -ENAMETOOLONG);
	assert_non_null(strstr(err, ": file name too long"));
	assert_true(poisoned(&c));

	cfg_free(NULL);
	assert_null(cfg_find_port(NULL, "vm1"));
}

static void examples(void **state)
{
	const struct cfg_port *p;
	char path[512], err[512];
	struct cfg c;
	int r;

	(void)state;
	r = cfg_load(source_path(path, sizeof(path), "config/xvs.yaml"), &c, err, sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.ports[0].mode, CFG_VU_SERVER);
	assert_int_equal(c.ports[1].mode, CFG_VU_SERVER);
	assert_int_equal(c.socket_mode, 0660);
	assert_int_equal(c.socket_gid, -1);
	cfg_free(&c);

	r = cfg_load(source_path(path, sizeof(path), "config/examples/vlans.yaml"), &c, err,
		     sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_int_equal(c.n_ports, 3);
	assert_true(c.n_static >= 1);
	assert_int_equal(c.poll, CFG_POLL_BUSY);
	assert_non_null(cfg_find_port(&c, "vm3"));
	assert_int_equal(cfg_find_port(&c, "vm3")->mode, CFG_VU_CLIENT);
	assert_int_equal(cfg_find_port(&c, "vm1")->max_macs, 4);
	assert_true(cfg_find_port(&c, "vm1")->max_guest_memory == 16ull << 30);
	assert_int_equal(cfg_find_port(&c, "vm2")->max_macs, 64);
	cfg_free(&c);

	r = cfg_load(source_path(path, sizeof(path), "config/examples/uplink.yaml"), &c, err,
		     sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_int_equal(c.n_ports, 3);
	p = cfg_find_port(&c, "up0");
	assert_non_null(p);
	assert_int_equal(p->type, CFG_PORT_UPLINK);
	assert_string_equal(p->ifname, "eth1");
	assert_true(p->all_queues);
	assert_true(p->host_flood);
	assert_true(p->host_unknown);
	assert_int_equal(cfg_find_port(&c, "vm1")->vlan, 10);
	assert_int_equal(cfg_find_port(&c, "vm2")->vlan, 20);
	assert_int_equal(c.n_static, 1);
	assert_string_equal(c.statics[0].port, "up0");
	assert_int_equal(c.statics[0].vlan, 10);
	assert_int_equal(c.n_protected, 1);
	assert_memory_equal(c.protected_macs[0], c.statics[0].mac, 6);
	assert_int_equal(p->max_macs, 0);
	cfg_free(&c);

	r = cfg_load(source_path(path, sizeof(path), "config/examples/zero-copy.yaml"), &c, err,
		     sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	p = cfg_find_port(&c, "up0");
	assert_int_equal(p->zc_reserved, (1ull << 6) | (1ull << 7));
	assert_int_equal(cfg_find_port(&c, "vm1")->zc_queue, 6);
	assert_int_equal(cfg_find_port(&c, "vm2")->zc_queue, 7);
	cfg_free(&c);
}

/* Every file in config/examples loads: none is left behind by a change of
 * the schema. */
static void every_example(void **state)
{
	char top[512], path[1024], err[512];
	struct dirent *e;
	int n = 0, r;
	struct cfg c;
	size_t len;
	DIR *d;

	(void)state;
	d = opendir(source_path(top, sizeof(top), "config/examples"));
	assert_non_null(d);
	while ((e = readdir(d))) {
		len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", top, e->d_name);
		r = cfg_load(path, &c, err, sizeof(err));
		if (r)
			print_error("%s\n", err);
		assert_int_equal(r, 0);
		cfg_free(&c);
		n++;
	}
	closedir(d);
	assert_true(n >= 4);
}

static void truncated_and_corrupted(void **state)
{
	(void)state;
	mangle("switch: {name: xvs1, log-level: warning, socket-dir: /tmp/x, socket-mode: 0660,\n"
	       "         socket-group: 0}\n"
	       "datapath:\n"
	       "  cpus: [0]\n"
	       "  poll: adaptive\n"
	       "fdb:\n"
	       "  static:\n"
	       "    - {mac: \"52:54:00:00:00:01\", port: vm1}\n"
	       "  protected-macs: [\"02:00:00:00:00:01\", \"02:00:00:00:00:02\"]\n"
	       "ports:\n"
	       "  vm1: &a\n"
	       "    type: vhost-user\n"
	       "    socket: \"vm1.sock\"\n"
	       "    vlan: 10\n"
	       "    max-guest-memory: 64G\n"
	       "    max-macs: 16\n"
	       "  vm2: {type: vhost-user, socket: vm2.sock, queues: 2}\n");
	mangle("fdb:\n"
	       "  static: [{mac: \"02:00:00:00:00:01\", port: up0, vlan: 7}]\n"
	       "ports:\n"
	       "  up0:\n"
	       "    type: uplink\n"
	       "    interface: eth1\n"
	       "    queues: [0, 2]\n"
	       "    xdp-mode: native\n"
	       "    busy-poll: 16\n"
	       "    host-flood: off\n"
	       "    frame-size: 2048\n"
	       "    mtu: 1500\n"
	       "  up1: {type: uplink, interface: eth2, queues: all, ring-size: 64}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_key),
		cmocka_unit_test(every_uplink_key),
		cmocka_unit_test(uplink_booleans),
		cmocka_unit_test(defaults),
		cmocka_unit_test(zero_copy_queues),
		cmocka_unit_test(edges),
		cmocka_unit_test(sizes),
		cmocka_unit_test(socket_access),
		cmocka_unit_test(bad_config_table),
		cmocka_unit_test(too_many),
		cmocka_unit_test(file_errors),
		cmocka_unit_test(examples),
		cmocka_unit_test(every_example),
		cmocka_unit_test(truncated_and_corrupted),
	};

	return cmocka_run_group_tests(tests, cfg_setup, cfg_teardown);
}
