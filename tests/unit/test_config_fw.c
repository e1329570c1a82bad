// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the firewall's configuration (src/ctl/cfg_fw.c): a config
 * with every key, checked field by field; the defaults; names resolved
 * whatever the order of the file; the limits, exactly at and one past
 * each; one bad config per rule with the error it must produce (file,
 * line, key); the shipped example; truncated and corrupted files.
 */
#include <arpa/inet.h>

#include "cfg_harness.h"

/* The address of a CIDR, for comparing with what inet_pton makes of s. */
static void assert_cidr(const struct cfg_cidr *c, const char *s, unsigned int plen)
{
	uint8_t want[16] = { 0 };
	int fam = strchr(s, ':') ? 6 : 4;

	assert_int_equal(inet_pton(fam == 4 ? AF_INET : AF_INET6, s, want), 1);
	assert_int_equal(c->family, fam);
	assert_int_equal(c->plen, plen);
	assert_memory_equal(c->addr, want, sizeof(want));
}

static const char every_key_yaml[] =
	"ports:\n" /* 1 */
	"  up0: {type: uplink, interface: eth1}\n"
	"  vm1:\n"
	"    type: vhost-user\n"
	"    socket: vm1.sock\n"
	"    vlan: 10\n"
	"    firewall:\n"
	"      to-vm: [base, web-in]\n" /* 8 */
	"      from-vm: egress\n"
	"    anti-spoofing:\n"
	"      mac: \"52:54:00:12:34:56\"\n"
	"      ipv4: [10.0.0.5, 10.0.1.0/24]\n"
	"      ipv6: [\"fd00::5\", \"fe80::5054:ff:fe12:3456\"]\n"
	"      learn: false\n"
	"      dhcp-server: true\n"
	"      router-advertisements: true\n"
	"  vm2:\n" /* 17 */
	"    type: vhost-user\n"
	"    socket: vm2.sock\n"
	"    firewall: {to-vm: base}\n" /* 20 */
	"    anti-spoofing: {ipv4: 10.0.2.7}\n"
	"  vm3: {type: vhost-user, socket: vm3.sock}\n"
	"firewall:\n" /* 23 */
	"  conntrack:\n"
	"    max-entries: 1024\n"
	"    timeouts:\n"
	"      tcp-syn: 1\n"
	"      tcp-established: 864000\n"
	"      tcp-fin: 2\n"
	"      tcp-close: 3\n"
	"      udp: 4\n"
	"      udp-stream: 5\n"
	"      icmp: 6\n"
	"  reject-rate: 0\n"
	"  groups:\n"
	"    web: [vm2, vm1]\n" /* 36 */
	"    none: []\n"
	"  rule-sets:\n"
	"    web-in:\n" /* 39 */
	"      default: reject\n"
	"      stateful: false\n"
	"      rules:\n"
	"        - action: allow\n" /* 43: rules[0] */
	"          ethertype: ipv4\n"
	"          src-mac: 02:00:00:00:00:01\n"
	"          dst-mac: ff:ff:ff:ff:ff:ff\n"
	"          family: ipv4\n"
	"          proto: tcp\n"
	"          src: 10.0.0.0/8\n"
	"          dst: 192.0.2.1\n"
	"          src-group: web\n"
	"          dst-group: none\n"
	"          src-port: 1024-65535\n"
	"          dst-port: 22\n"
	"          tcp-flags: \"syn !ack\"\n"
	"          stateful: true\n"
	"          comment: \"ssh from the lab\"\n"
	"        - {action: count, proto: icmpv6, icmp-type: echo-request, icmp-code: 0, "
	"dst: \"fd00::/64\"}\n" /* 58: rules[1] */
	"        - {action: drop, proto: icmp, icmp-type: time-exceeded}\n"
	"        - {action: drop, proto: icmpv6, icmp-type: dest-unreachable, icmp-code: 4}\n"
	"        - {action: count}\n"
	"        - {action: reject, proto: udp, src-port: 53, dst-port: 0-65535}\n"
	"        - {action: allow, ethertype: 0x88cc, dst-mac: \"01:80:C2:00:00:0e\"}\n"
	"        - {action: allow, proto: 47, src: \"::/0\"}\n"
	"        - {action: allow, ethertype: arp, src-mac: \"52:54:00:12:34:56\"}\n"
	"        - {action: drop, proto: tcp, tcp-flags: \"fin syn rst psh ack urg ece cwr\"}\n"
	"        - {action: drop, proto: tcp, tcp-flags: \"!fin !syn !rst !psh  !ack !urg !ece "
	"!cwr\", stateful: yes}\n"
	"        - {action: allow, proto: sctp, family: ipv6}\n"
	"        - {action: allow, ethertype: ipv6, proto: icmpv6, icmp-type: 255}\n"
	"        - {action: allow, src-group: web, dst: 0.0.0.0/0}\n" /* 70: rules[13] */
	"    base: {default: next}\n"
	"    egress:\n"
	"      default: allow\n"
	"    trunk:\n" /* 74 */
	"      rules: [{action: drop, vlan: 4094}]\n"
	"    empty:\n";

static void check_every_key(const struct cfg *c)
{
	static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	const struct cfg_rule_set *set;
	const struct cfg_fw_rule *r;
	const struct cfg_port *p;

	assert_true(c->fw.on);
	assert_int_equal(c->fw.ct_max, 1024);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_SYN], 1);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_EST], 864000);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_FIN], 2);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_CLOSE], 3);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_UDP], 4);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_UDP_STREAM], 5);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_ICMP], 6);
	assert_int_equal(c->fw.reject_rate, 0);
	/* web-in: 14 rules and its default; base: next, nothing; egress: its default */
	/* vm1: base's no rules, web-in's 14 and its default; egress's default;
	 * vm2: base, then the drop after a last next, and from-vm's stateful allow */
	assert_int_equal(c->fw.n_compiled, 18);

	/* groups, in file order, ports as indices into c->ports */
	assert_int_equal(c->fw.n_groups, 2);
	assert_string_equal(c->fw.groups[0].name, "web");
	assert_int_equal(c->fw.groups[0].line, 36);
	assert_int_equal(c->fw.groups[0].n_ports, 2);
	assert_int_equal(c->fw.groups[0].ports[0], 2);
	assert_int_equal(c->fw.groups[0].ports[1], 1);
	assert_string_equal(c->fw.groups[1].name, "none");
	assert_int_equal(c->fw.groups[1].n_ports, 0);

	assert_int_equal(c->fw.n_sets, 5);
	set = &c->fw.sets[0];
	assert_string_equal(set->name, "web-in");
	assert_int_equal(set->line, 39);
	assert_int_equal(set->def, CFG_FW_REJECT);
	assert_false(set->stateful);
	assert_int_equal(set->n_rules, 14);

	r = &set->rules[0];
	assert_int_equal(r->line, 43);
	assert_int_equal(r->action, CFG_FW_ALLOW);
	assert_true(r->stateful); /* its own */
	assert_int_equal(r->match, XVS_ACL_M_ETYPE | XVS_ACL_M_SMAC | XVS_ACL_M_DMAC |
					   XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO | XVS_ACL_M_SADDR |
					   XVS_ACL_M_DADDR | XVS_ACL_M_SGROUP | XVS_ACL_M_DGROUP |
					   XVS_ACL_M_SPORT | XVS_ACL_M_DPORT | XVS_ACL_M_TCP_FLAGS);
	assert_int_equal(r->ethertype, 0x0800);
	assert_memory_equal(r->smac, "\x02\x00\x00\x00\x00\x01", 6);
	assert_memory_equal(r->dmac, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(r->family, 4);
	assert_int_equal(r->proto, 6);
	assert_cidr(&r->src, "10.0.0.0", 8);
	assert_cidr(&r->dst, "192.0.2.1", 32);
	assert_int_equal(r->sgroup, 0);
	assert_int_equal(r->dgroup, 1);
	assert_int_equal(r->sport_lo, 1024);
	assert_int_equal(r->sport_hi, 65535);
	assert_int_equal(r->dport_lo, 22);
	assert_int_equal(r->dport_hi, 22);
	assert_int_equal(r->tcp_flags, 0x02);
	assert_int_equal(r->tcp_mask, 0x12);

	r = &set->rules[1];
	assert_int_equal(r->line, 58);
	assert_int_equal(r->action, CFG_FW_COUNT);
	assert_false(r->stateful); /* the set's */
	assert_int_equal(r->match, XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO | XVS_ACL_M_DADDR |
					   XVS_ACL_M_ICMP_TYPE | XVS_ACL_M_ICMP_CODE);
	assert_int_equal(r->family, 6);
	assert_int_equal(r->proto, 58);
	assert_int_equal(r->icmp_type, 128);
	assert_int_equal(r->icmp_code, 0);
	assert_cidr(&r->dst, "fd00::", 64);

	r = &set->rules[2]; /* ICMP names by family */
	assert_int_equal(r->match, XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_TYPE);
	assert_int_equal(r->family, 4);
	assert_int_equal(r->proto, 1);
	assert_int_equal(r->icmp_type, 11);
	r = &set->rules[3];
	assert_int_equal(r->family, 6);
	assert_int_equal(r->icmp_type, 1);
	assert_int_equal(r->icmp_code, 4);
	assert_true(r->match & XVS_ACL_M_ICMP_CODE);

	r = &set->rules[4]; /* everything, but only counted: the rules after it stay reachable */
	assert_int_equal(r->action, CFG_FW_COUNT);
	assert_int_equal(r->match, 0);

	r = &set->rules[5]; /* ports imply no family */
	assert_int_equal(r->action, CFG_FW_REJECT);
	assert_int_equal(r->match, XVS_ACL_M_PROTO | XVS_ACL_M_SPORT | XVS_ACL_M_DPORT);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->sport_lo, 53);
	assert_int_equal(r->sport_hi, 53);
	assert_int_equal(r->dport_lo, 0);
	assert_int_equal(r->dport_hi, 65535);

	r = &set->rules[6];
	assert_int_equal(r->match, XVS_ACL_M_ETYPE | XVS_ACL_M_DMAC);
	assert_int_equal(r->ethertype, 0x88cc);
	assert_memory_equal(r->dmac, "\x01\x80\xc2\x00\x00\x0e", 6);

	r = &set->rules[7];
	assert_int_equal(r->match, XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO | XVS_ACL_M_SADDR);
	assert_int_equal(r->proto, 47);
	assert_int_equal(r->family, 6);
	assert_cidr(&r->src, "::", 0);

	r = &set->rules[8];
	assert_int_equal(r->match, XVS_ACL_M_ETYPE | XVS_ACL_M_SMAC);
	assert_int_equal(r->ethertype, 0x0806);
	assert_memory_equal(r->smac, mac1, 6);

	r = &set->rules[9];
	assert_int_equal(r->tcp_flags, 0xff);
	assert_int_equal(r->tcp_mask, 0xff);
	r = &set->rules[10];
	assert_int_equal(r->tcp_flags, 0);
	assert_int_equal(r->tcp_mask, 0xff);
	assert_true(r->stateful);

	r = &set->rules[11];
	assert_int_equal(r->match, XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO);
	assert_int_equal(r->family, 6);
	assert_int_equal(r->proto, 132);

	r = &set->rules[12]; /* the ethertype does not set the family; icmpv6 does */
	assert_int_equal(r->match,
			 XVS_ACL_M_ETYPE | XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_TYPE);
	assert_int_equal(r->ethertype, 0x86dd);
	assert_int_equal(r->family, 6);
	assert_int_equal(r->icmp_type, 255);

	r = &set->rules[13];
	assert_int_equal(r->line, 70);
	assert_int_equal(r->match, XVS_ACL_M_FAMILY | XVS_ACL_M_DADDR | XVS_ACL_M_SGROUP);
	assert_int_equal(r->family, 4);
	assert_int_equal(r->sgroup, 0);
	assert_cidr(&r->dst, "0.0.0.0", 0);

	set = &c->fw.sets[1];
	assert_string_equal(set->name, "base");
	assert_int_equal(set->def, CFG_FW_NEXT);
	assert_true(set->stateful);
	assert_int_equal(set->n_rules, 0);
	set = &c->fw.sets[2];
	assert_string_equal(set->name, "egress");
	assert_int_equal(set->def, CFG_FW_ALLOW);
	set = &c->fw.sets[3]; /* vlan: loads, as long as no VM port walks it */
	assert_string_equal(set->name, "trunk");
	assert_int_equal(set->line, 74);
	assert_int_equal(set->n_rules, 1);
	assert_int_equal(set->rules[0].match, XVS_ACL_M_VLAN);
	assert_int_equal(set->rules[0].vlan, 4094);
	assert_true(set->rules[0].stateful);
	set = &c->fw.sets[4];
	assert_string_equal(set->name, "empty");
	assert_int_equal(set->def, CFG_FW_DROP);
	assert_true(set->stateful);
	assert_int_equal(set->n_rules, 0);

	p = cfg_find_port(c, "vm1");
	assert_int_equal(p->n_fw_sets[XVS_FW_TO_VM], 2);
	assert_int_equal(p->fw_sets[XVS_FW_TO_VM][0], 1); /* base, next: then web-in */
	assert_int_equal(p->fw_sets[XVS_FW_TO_VM][1], 0);
	assert_int_equal(p->n_fw_sets[XVS_FW_FROM_VM], 1);
	assert_int_equal(p->fw_sets[XVS_FW_FROM_VM][0], 2);
	assert_int_equal(p->fw_line, 8);
	assert_true(p->spoof.on);
	assert_true(p->spoof.have_mac);
	assert_memory_equal(p->spoof.mac, mac1, 6);
	assert_false(p->spoof.learn);
	assert_int_equal(p->spoof.n_ip4, 2);
	assert_cidr(&p->spoof.ip4[0], "10.0.0.5", 32);
	assert_cidr(&p->spoof.ip4[1], "10.0.1.0", 24);
	assert_int_equal(p->spoof.n_ip6, 2);
	assert_cidr(&p->spoof.ip6[0], "fd00::5", 128);
	assert_cidr(&p->spoof.ip6[1], "fe80::5054:ff:fe12:3456", 128);
	assert_true(p->spoof.dhcp_server);
	assert_true(p->spoof.router_adv);

	p = cfg_find_port(c, "vm2"); /* a single name; anti-spoofing: one address, defaults */
	assert_int_equal(p->n_fw_sets[XVS_FW_TO_VM], 1);
	assert_int_equal(p->fw_sets[XVS_FW_TO_VM][0], 1);
	assert_int_equal(p->n_fw_sets[XVS_FW_FROM_VM], 0);
	assert_int_equal(p->fw_line, 20);
	assert_true(p->spoof.on);
	assert_false(p->spoof.have_mac);
	assert_true(p->spoof.learn);
	assert_int_equal(p->spoof.n_ip4, 1);
	assert_int_equal(p->spoof.ip4[0].plen, 32);
	assert_int_equal(p->spoof.n_ip6, 0);
	assert_false(p->spoof.dhcp_server);
	assert_false(p->spoof.router_adv);

	p = cfg_find_port(c, "vm3");
	assert_int_equal(p->n_fw_sets[XVS_FW_TO_VM], 0);
	assert_int_equal(p->n_fw_sets[XVS_FW_FROM_VM], 0);
	assert_int_equal(p->fw_line, 0);
	assert_false(p->spoof.on);
	p = cfg_find_port(c, "up0");
	assert_int_equal(p->n_fw_sets[XVS_FW_TO_VM] + p->n_fw_sets[XVS_FW_FROM_VM], 0);
	assert_false(p->spoof.on);
}

static void every_key(void **state)
{
	struct cfg c;

	(void)state;
	load_ok(every_key_yaml, &c);
	check_every_key(&c);
	cfg_free(&c);
	assert_null(c.fw.sets);
	assert_null(c.fw.groups);
	assert_int_equal(c.fw.n_sets, 0);
	cfg_free(&c);
}

static void check_fw_defaults(const struct cfg *c)
{
	assert_false(c->fw.on);
	assert_int_equal(c->fw.ct_max, 65536);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_SYN], 60);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_EST], 432000);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_FIN], 120);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_TCP_CLOSE], 10);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_UDP], 30);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_UDP_STREAM], 180);
	assert_int_equal(c->fw.timeout[XVS_CT_TO_ICMP], 30);
	assert_int_equal(c->fw.reject_rate, 100);
	assert_int_equal(c->fw.n_compiled, 0);
}

static void defaults(void **state)
{
	struct cfg c;

	(void)state;
	/* no firewall: nothing on, the settings at their defaults */
	load_ok("ports:\n  vm1: {type: vhost-user, socket: a}\n", &c);
	check_fw_defaults(&c);
	assert_int_equal(c.fw.n_sets, 0);
	assert_null(c.fw.sets);
	assert_int_equal(c.fw.n_groups, 0);
	assert_null(c.fw.groups);
	assert_int_equal(c.ports[0].n_fw_sets[XVS_FW_TO_VM], 0);
	assert_int_equal(c.ports[0].n_fw_sets[XVS_FW_FROM_VM], 0);
	assert_false(c.ports[0].spoof.on);
	cfg_free(&c);

	/* empty sections are absent ones */
	load_ok("firewall:\n  conntrack:\n  groups:\n  rule-sets: {}\n"
		"ports:\n  vm1: {type: vhost-user, socket: a, firewall: }\n",
		&c);
	check_fw_defaults(&c);
	assert_int_equal(c.ports[0].fw_line, 0);
	cfg_free(&c);

	/* rule sets no port walks: still off, nothing compiled */
	load_ok("firewall:\n  rule-sets:\n    s: {rules: [{action: allow}]}\n"
		"ports:\n  vm1: {type: vhost-user, socket: a, firewall: {to-vm: []}}\n",
		&c);
	check_fw_defaults(&c);
	assert_int_equal(c.fw.n_sets, 1);
	cfg_free(&c);

	/* anti-spoofing alone turns it on; learn: false with nothing listed but
	 * the MAC is allowed (the VM may ask DHCP for an address) */
	load_ok("ports:\n  vm1: {type: vhost-user, socket: a, anti-spoofing: {learn: false, "
		"mac: \"52:54:00:00:00:01\"}}\n",
		&c);
	assert_true(c.fw.on);
	assert_true(c.ports[0].spoof.on);
	assert_false(c.ports[0].spoof.learn);
	assert_true(c.ports[0].spoof.have_mac);
	assert_int_equal(c.ports[0].spoof.n_ip4 + c.ports[0].spoof.n_ip6, 0);
	assert_int_equal(c.fw.n_compiled, 0);
	cfg_free(&c);

	/* a rule set with nothing under it: drop everything, stateful */
	load_ok("firewall:\n  rule-sets:\n    s:\n"
		"ports:\n  vm1: {type: vhost-user, socket: a, firewall: {from-vm: s}}\n",
		&c);
	assert_true(c.fw.on);
	assert_int_equal(c.fw.sets[0].def, CFG_FW_DROP);
	assert_true(c.fw.sets[0].stateful);
	assert_int_equal(c.fw.sets[0].n_rules, 0);
	assert_null(c.fw.sets[0].rules);
	assert_int_equal(c.fw.n_compiled, 2); /* its default, and to-vm's stateful allow */
	cfg_free(&c);
}

/* The same config with firewall: before ports: the same result. */
static void order(void **state)
{
	const char *fw = strstr(every_key_yaml, "firewall:\n  conntrack");
	size_t ports_len = (size_t)(fw - every_key_yaml);
	char *yaml = malloc(sizeof(every_key_yaml));
	struct cfg a, b;
	int i;

	(void)state;
	assert_non_null(yaml);
	memcpy(yaml, fw, strlen(fw));
	memcpy(yaml + strlen(fw), every_key_yaml, ports_len);
	yaml[sizeof(every_key_yaml) - 1] = '\0';
	load_ok(every_key_yaml, &a);
	load_ok(yaml, &b);
	assert_int_equal(a.fw.n_sets, b.fw.n_sets);
	assert_int_equal(a.fw.n_compiled, b.fw.n_compiled);
	for (i = 0; i < a.fw.n_sets; i++) {
		assert_string_equal(a.fw.sets[i].name, b.fw.sets[i].name);
		assert_int_equal(a.fw.sets[i].n_rules, b.fw.sets[i].n_rules);
	}
	for (i = 0; i < a.n_ports; i++) {
		assert_memory_equal(a.ports[i].n_fw_sets, b.ports[i].n_fw_sets,
				    sizeof(a.ports[i].n_fw_sets));
		assert_memory_equal(a.ports[i].fw_sets, b.ports[i].fw_sets,
				    sizeof(a.ports[i].fw_sets));
		assert_memory_equal(&a.ports[i].spoof, &b.ports[i].spoof, sizeof(a.ports[i].spoof));
	}
	assert_int_equal(b.fw.groups[0].ports[0], 2);
	assert_int_equal(b.fw.sets[0].rules[0].line, 43 - 22); /* firewall: moved up 22 lines */
	cfg_free(&a);
	cfg_free(&b);
	free(yaml);
}

/* Odds and ends that must load. */
static void edges(void **state)
{
	struct cfg c;

	(void)state;
	/* numbers for names, hex in either case, the boundaries */
	load_ok("firewall:\n  reject-rate: 100000\n  conntrack: {max-entries: 1048576}\n"
		"  rule-sets:\n    s:\n      rules:\n"
		"        - {action: allow, proto: 6, dst-port: \"0\", src-port: 65535}\n"
		"        - {action: allow, proto: 1, icmp-type: echo-reply}\n"
		"        - {action: allow, proto: 58, icmp-type: echo-reply, icmp-code: 255}\n"
		"        - {action: allow, proto: 0}\n"
		"        - {action: allow, ethertype: 0XFFFF}\n"
		"        - {action: allow, ethertype: 0x0600}\n"
		"        - {action: allow, ethertype: \"0x86DD\", src: \"::ffff:10.0.0.0/104\"}\n"
		"        - {action: allow, ethertype: 0x800, src: 10.1.2.3/32, vlan: 1}\n"
		"        - {action: allow, src: 128.0.0.0/1}\n"
		"        - {action: allow, dst: \"fd00:1:2::/127\"}\n"
		"        - {action: allow, proto: tcp, tcp-flags: \" syn\\t!ack \"}\n"
		"        - {action: allow, comment: }\n",
		&c);
	assert_int_equal(c.fw.reject_rate, 100000);
	assert_int_equal(c.fw.ct_max, 1048576);
	assert_int_equal(c.fw.sets[0].rules[0].dport_hi, 0);
	assert_int_equal(c.fw.sets[0].rules[0].sport_lo, 65535);
	assert_int_equal(c.fw.sets[0].rules[1].icmp_type, 0);
	assert_int_equal(c.fw.sets[0].rules[1].family, 4);
	assert_int_equal(c.fw.sets[0].rules[2].icmp_type, 129);
	assert_int_equal(c.fw.sets[0].rules[2].family, 6);
	assert_int_equal(c.fw.sets[0].rules[3].match, XVS_ACL_M_PROTO);
	assert_int_equal(c.fw.sets[0].rules[4].ethertype, 0xffff);
	assert_int_equal(c.fw.sets[0].rules[5].ethertype, 0x0600);
	assert_cidr(&c.fw.sets[0].rules[6].src, "::ffff:10.0.0.0", 104);
	assert_cidr(&c.fw.sets[0].rules[7].src, "10.1.2.3", 32);
	assert_cidr(&c.fw.sets[0].rules[8].src, "128.0.0.0", 1);
	assert_cidr(&c.fw.sets[0].rules[9].dst, "fd00:1:2::", 127);
	assert_int_equal(c.fw.sets[0].rules[10].tcp_flags, 0x02);
	assert_int_equal(c.fw.sets[0].rules[10].tcp_mask, 0x12);
	assert_int_equal(c.fw.sets[0].rules[11].match, 0);
	cfg_free(&c);

	/* a rule that matches everything and decides may be the last one */
	load_ok("firewall:\n  rule-sets:\n    s: {rules: [{action: count, proto: tcp}, "
		"{action: drop}]}\n",
		&c);
	assert_int_equal(c.fw.sets[0].n_rules, 2);
	cfg_free(&c);

	/* a group member needs a listed single address (a CIDR alongside is
	 * fine; a learned address is no member) */
	load_ok("ports:\n  vm1: {type: vhost-user, socket: a, anti-spoofing: "
		"{ipv4: [10.0.0.0/24, 10.0.1.5]}}\n"
		"firewall:\n  groups: {g: vm1, h: [vm1]}\n",
		&c);
	assert_int_equal(c.fw.groups[0].n_ports, 1);
	assert_int_equal(c.fw.groups[1].n_ports, 1);
	cfg_free(&c);
}

/* Exactly at each limit loads; one past it does not. */
static void limits(void **state)
{
	size_t size = 256 * 1024, o, cut;
	char *yaml = malloc(size), want[256];
	struct cfg c;
	int i;

	(void)state;
	assert_non_null(yaml);

	/* CFG_FW_MAX_SETS_PER_DIR sets a direction */
	o = (size_t)snprintf(yaml, size, "firewall:\n  rule-sets:\n");
	for (i = 0; i <= CFG_FW_MAX_SETS_PER_DIR; i++)
		o += (size_t)snprintf(yaml + o, size - o, "    s%d: {default: next}\n", i);
	o += (size_t)snprintf(yaml + o, size - o,
			      "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n"
			      "    firewall:\n      to-vm: [s0");
	for (i = 1; i < CFG_FW_MAX_SETS_PER_DIR; i++)
		o += (size_t)snprintf(yaml + o, size - o, ", s%d", i);
	cut = o;
	snprintf(yaml + o, size - o, "]\n");
	load_ok(yaml, &c);
	assert_int_equal(c.ports[0].n_fw_sets[XVS_FW_TO_VM], CFG_FW_MAX_SETS_PER_DIR);
	for (i = 0; i < CFG_FW_MAX_SETS_PER_DIR; i++)
		assert_int_equal(c.ports[0].fw_sets[XVS_FW_TO_VM][i], i);
	/* no rules, the drop after the last next; from-vm's stateful allow */
	assert_int_equal(c.fw.n_compiled, 2);
	cfg_free(&c);
	o = cut + (size_t)snprintf(yaml + cut, size - cut, ", s%d]\n", CFG_FW_MAX_SETS_PER_DIR);
	assert_true(expect_error(yaml, o, "xvs.yaml:17: ports.vm1.firewall.to-vm: lists 9 rule "
					  "sets; at most 8 per direction"));

	/* CFG_FW_MAX_ADDRS addresses a family */
	o = (size_t)snprintf(yaml, size, "ports:\n  vm1:\n    type: vhost-user\n    socket: a\n"
					 "    anti-spoofing:\n      ipv6:\n");
	for (i = 0; i < CFG_FW_MAX_ADDRS; i++)
		o += (size_t)snprintf(yaml + o, size - o, "        - \"fd00::%x\"\n", i + 1);
	load_ok(yaml, &c);
	assert_int_equal(c.ports[0].spoof.n_ip6, CFG_FW_MAX_ADDRS);
	assert_int_equal(c.ports[0].spoof.ip6[CFG_FW_MAX_ADDRS - 1].addr[15], CFG_FW_MAX_ADDRS);
	cfg_free(&c);
	o += (size_t)snprintf(yaml + o, size - o, "        - \"fd00::ff\"\n");
	assert_true(expect_error(yaml, o, "xvs.yaml:7: ports.vm1.anti-spoofing.ipv6: lists 17 "
					  "addresses; at most 16 per family"));

	/* XVS_ACL_MAX_PER_BIND for one port and direction: 1023 rules and a
	 * default; then XVS_ACL_MAX_RULES for all: 16 of those */
	o = (size_t)snprintf(yaml, size, "firewall:\n  rule-sets:\n    big:\n      rules:\n");
	for (i = 0; i < XVS_ACL_MAX_PER_BIND - 1; i++)
		o += (size_t)snprintf(yaml + o, size - o,
				      "        - {action: allow, proto: tcp, dst-port: %d}\n", i);
	o += (size_t)snprintf(yaml + o, size - o, "    one: {}\n    none: {default: next}\nports:\n");
	cut = o;
	for (i = 0; i < XVS_ACL_MAX_RULES / XVS_ACL_MAX_PER_BIND / 2; i++)
		o += (size_t)snprintf(yaml + o, size - o,
				      "  vm%d: {type: vhost-user, socket: vm%d, firewall: {to-vm: "
				      "[none, big], from-vm: big}}\n",
				      i, i);
	load_ok(yaml, &c);
	assert_int_equal(c.fw.n_compiled, XVS_ACL_MAX_RULES);
	cfg_free(&c);
	/* one more (port, direction) of one rule */
	snprintf(yaml + o, size - o, "  vm8: {type: vhost-user, socket: vm8, firewall: {from-vm: "
				     "one}}\n");
	snprintf(want, sizeof(want),
		 "xvs.yaml:%d: ports.vm8.firewall.from-vm: with these, the ports' rule sets "
		 "compile to 16385 rules; at most 16384 fit, for all ports and directions together",
		 4 + XVS_ACL_MAX_PER_BIND - 1 + 3 + 8 + 1);
	assert_true(expect_error(yaml, strlen(yaml), want));
	/* a set after one that decides is never reached */
	o = cut + (size_t)snprintf(yaml + cut, size - cut, "  vm0: {type: vhost-user, socket: a, "
							   "firewall: {to-vm: [big, one]}}\n");
	snprintf(want, sizeof(want),
		 "xvs.yaml:%d: ports.vm0.firewall.to-vm[1]: rule set one is never reached: big, "
		 "before it, decides every frame (default drop; next would go on)",
		 4 + XVS_ACL_MAX_PER_BIND - 1 + 3 + 1);
	assert_true(expect_error(yaml, o, want));

	/* a set of rules with default next, alone: they and the drop after it
	 * (what the compiler lays out; the loader counted 1024 for 1025) */
	o = (size_t)snprintf(yaml, size, "firewall:\n  rule-sets:\n    big:\n      default: next\n"
					 "      rules:\n");
	for (i = 0; i < XVS_ACL_MAX_PER_BIND - 1; i++)
		o += (size_t)snprintf(yaml + o, size - o,
				      "        - {action: allow, proto: udp, dst-port: %d}\n", i);
	cut = o;
	snprintf(yaml + o, size - o, "ports:\n  vm1: {type: vhost-user, socket: a, firewall: "
				     "{to-vm: big, from-vm: big}}\n");
	load_ok(yaml, &c);
	assert_int_equal(c.fw.n_compiled, 2 * XVS_ACL_MAX_PER_BIND);
	assert_int_equal(cfg_fw_bind_len(&c, &c.ports[0], XVS_FW_TO_VM), XVS_ACL_MAX_PER_BIND);
	cfg_free(&c);
	o = cut + (size_t)snprintf(yaml + cut, size - cut,
				   "        - {action: allow, proto: udp, dst-port: 9999}\n"
				   "ports:\n  vm1: {type: vhost-user, socket: a, firewall: "
				   "{to-vm: big}}\n");
	snprintf(want, sizeof(want),
		 "xvs.yaml:%d: ports.vm1.firewall.to-vm: 1025 rules to walk (those of the sets, "
		 "and one default: the deciding set's, or the drop after a last next); a port and "
		 "direction walk at most 1024",
		 6 + XVS_ACL_MAX_PER_BIND + 1);
	assert_true(expect_error(yaml, o, want));
	/* a port with sets one way compiles a stateful allow the other way */
	snprintf(yaml, size, "firewall:\n  rule-sets:\n    s: {}\n"
			     "ports:\n  vm1: {type: vhost-user, socket: a, firewall: {to-vm: s}}\n");
	load_ok(yaml, &c);
	assert_int_equal(cfg_fw_bind_len(&c, &c.ports[0], XVS_FW_FROM_VM), 1);
	assert_int_equal(c.fw.n_compiled, 2);
	cfg_free(&c);

	/* CFG_FW_MAX_SETS sets, CFG_FW_MAX_GROUPS groups */
	o = (size_t)snprintf(yaml, size, "firewall:\n  rule-sets:\n");
	for (i = 0; i < CFG_FW_MAX_SETS; i++)
		o += (size_t)snprintf(yaml + o, size - o, "    s%d:\n", i);
	load_ok(yaml, &c);
	assert_int_equal(c.fw.n_sets, CFG_FW_MAX_SETS);
	assert_string_equal(c.fw.sets[CFG_FW_MAX_SETS - 1].name, "s255");
	cfg_free(&c);
	o += (size_t)snprintf(yaml + o, size - o, "    s%d:\n", i);
	assert_true(expect_error(yaml, o, "xvs.yaml:3: firewall.rule-sets: 257 rule sets; at most "
					  "256 are supported"));
	o = (size_t)snprintf(yaml, size, "firewall:\n  groups:\n");
	for (i = 0; i < CFG_FW_MAX_GROUPS; i++)
		o += (size_t)snprintf(yaml + o, size - o, "    g%d: []\n", i);
	load_ok(yaml, &c);
	assert_int_equal(c.fw.n_groups, CFG_FW_MAX_GROUPS);
	cfg_free(&c);
	o += (size_t)snprintf(yaml + o, size - o, "    g%d: []\n", i);
	assert_true(expect_error(yaml, o, "xvs.yaml:3: firewall.groups: 257 groups; at most 256 "
					  "are supported"));
	free(yaml);
}

/* A rule set s whose rules start at line 5 */
#define SET "firewall:\n  rule-sets:\n    s:\n      rules:\n"
#define RULE(x) SET "        - {" x "}\n"
#define AT5 "xvs.yaml:5: firewall.rule-sets.s.rules[0]"
#define NEVER "the rule could never match"
#define ADDR_RULE "must be an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or fd00::/64"
#define PORT_RULE "must be a port 0..65535 or a range such as \"1024-65535\""
#define FLAGS_RULE                                                                                 \
	"must be TCP flags such as \"syn !ack\" (words fin syn rst psh ack urg ece cwr; ! before " \
	"one: must be clear)"
#define ICMP_RULE                                                                                  \
	"must be an ICMP type 0..255 or one of echo-request, echo-reply, dest-unreachable, "      \
	"time-exceeded, packet-too-big, router-solicitation, router-advertisement, "              \
	"neighbor-solicitation, neighbor-advertisement"
/* VM ports: vm1 with anti-spoofing (an address), vm2 without, an uplink; firewall: on line 5 */
#define PORTS3                                                                                     \
	"ports:\n  vm1: {type: vhost-user, socket: vm1.sock, anti-spoofing: {ipv4: 10.0.0.9}}\n"   \
	"  vm2: {type: vhost-user, socket: vm2.sock}\n  up0: {type: uplink, interface: eth1}\n"
/* vm1 on vlan 10, its firewall's keys from line 7 */
#define FWPORT(x)                                                                                  \
	"ports:\n  vm1:\n    type: vhost-user\n    socket: vm1.sock\n    vlan: 10\n    firewall:\n" x
#define SETS_ST "firewall:\n  rule-sets:\n    s: {default: next}\n    t: {default: next}\n"
/* vm1's anti-spoofing keys from line 6 */
#define AS "ports:\n  vm1:\n    type: vhost-user\n    socket: vm1.sock\n    anti-spoofing:\n"
#define UP0 "ports:\n  up0:\n    type: uplink\n    interface: eth1\n"

static const struct bad bad_fw[] = {
	/* the section */
	{ "firewall: on\n", "xvs.yaml:1: firewall: must be a mapping, got \"on\"" },
	{ "firewall:\n  rulesets: {}\n",
	  "xvs.yaml:2: firewall: unknown key \"rulesets\" (allowed here: conntrack, reject-rate, "
	  "groups, rule-sets)" },
	{ "firewall:\n  reject-rate: 100001\n",
	  "xvs.yaml:2: firewall.reject-rate: must be an integer 0..100000, got \"100001\" (answers "
	  "per second and port; 0: reject drops silently)" },
	{ "firewall:\n  reject-rate: -1\n",
	  "xvs.yaml:2: firewall.reject-rate: must be an integer 0..100000, got \"-1\"" },
	{ "firewall:\n  conntrack:\n    max-entries: 1000\n",
	  "xvs.yaml:3: firewall.conntrack.max-entries: must be a power of two 1024..1048576, got "
	  "\"1000\"" },
	{ "firewall:\n  conntrack:\n    max-entries: 512\n",
	  "xvs.yaml:3: firewall.conntrack.max-entries: must be a power of two 1024..1048576" },
	{ "firewall:\n  conntrack:\n    max-entries: 2097152\n",
	  "xvs.yaml:3: firewall.conntrack.max-entries: must be a power of two 1024..1048576" },
	{ "firewall:\n  conntrack:\n    timeouts:\n      tcp-syn: 0\n",
	  "xvs.yaml:4: firewall.conntrack.timeouts.tcp-syn: must be an integer 1..864000, got "
	  "\"0\"" },
	{ "firewall:\n  conntrack:\n    timeouts:\n      udp-stream: 864001\n",
	  "xvs.yaml:4: firewall.conntrack.timeouts.udp-stream: must be an integer 1..864000, got "
	  "\"864001\"" },
	{ "firewall:\n  conntrack:\n    timeouts: {tcp_syn: 5}\n",
	  "xvs.yaml:3: firewall.conntrack.timeouts: unknown key \"tcp_syn\" (allowed here: "
	  "tcp-syn, tcp-established, tcp-fin, tcp-close, udp, udp-stream, icmp)" },

	/* rule sets */
	{ "firewall:\n  rule-sets: [s]\n",
	  "xvs.yaml:2: firewall.rule-sets: must be a mapping of rule set names to rule sets, got a "
	  "list" },
	{ "firewall:\n  rule-sets:\n    \"a b\": {}\n",
	  "xvs.yaml:3: firewall.rule-sets: a rule set name must be 1 to 31 characters from A-Z a-z "
	  "0-9 _ -, got \"a b\"" },
	{ "firewall:\n  rule-sets:\n    s: {}\n    t: {}\n    s: {}\n",
	  "xvs.yaml:5: firewall.rule-sets: rule set s is defined twice (first at line 3)" },
	{ "firewall:\n  rule-sets:\n    s: [a]\n",
	  "xvs.yaml:3: firewall.rule-sets.s: must be a mapping {default, stateful, rules}, got a "
	  "list" },
	{ "firewall:\n  rule-sets:\n    s: {default: count}\n",
	  "xvs.yaml:3: firewall.rule-sets.s.default: count is for rules; a default decides (allow, "
	  "drop, reject) or leaves it to the next rule set (next)" },
	{ "firewall:\n  rule-sets:\n    s: {default: deny}\n",
	  "xvs.yaml:3: firewall.rule-sets.s.default: must be one of allow|drop|reject|next, got "
	  "\"deny\"" },
	{ "firewall:\n  rule-sets:\n    s: {stateful: maybe}\n",
	  "xvs.yaml:3: firewall.rule-sets.s.stateful: must be true or false, got \"maybe\"" },
	{ "firewall:\n  rule-sets:\n    s: {rule: []}\n",
	  "xvs.yaml:3: firewall.rule-sets.s: unknown key \"rule\" (allowed here: default, stateful, "
	  "rules)" },
	{ "firewall:\n  rule-sets:\n    s:\n      rules: {action: allow}\n",
	  "xvs.yaml:4: firewall.rule-sets.s.rules: must be a list of rules such as - { action: "
	  "allow, proto: tcp, dst-port: 22 }, got a mapping" },
	{ SET "        - allow\n",
	  AT5 ": must be a rule such as { action: allow, proto: tcp, dst-port: 22 }, got "
	      "\"allow\"" },

	/* rules: keys and values */
	{ RULE("action: allow, prot: tcp"),
	  AT5 ": unknown key \"prot\" (allowed here: action, ethertype, vlan, src-mac, dst-mac, "
	      "family, proto, src, dst, src-group, dst-group, src-port, dst-port, icmp-type, "
	      "icmp-code, tcp-flags, stateful, comment)" },
	{ RULE("proto: tcp"), AT5 ": missing required key \"action\"" },
	{ RULE("action: allow, action: drop"), AT5 ": duplicate key \"action\" (first at line 5)" },
	{ RULE("action: accept"),
	  AT5 ".action: must be one of allow|drop|reject|count, got \"accept\"" },
	{ RULE("action: next"),
	  AT5 ".action: next is for a rule set's default; a rule that decides nothing is action "
	      "count" },
	{ RULE("action: allow, proto: gre"),
	  AT5 ".proto: must be tcp, udp, icmp, icmpv6, sctp or a protocol number 0..255, got "
	      "\"gre\"" },
	{ RULE("action: allow, proto: 256"),
	  AT5 ".proto: must be tcp, udp, icmp, icmpv6, sctp or a protocol number 0..255, got "
	      "\"256\"" },
	{ RULE("action: allow, proto: TCP"), AT5 ".proto: must be tcp, udp, icmp" },
	{ RULE("action: allow, family: inet"), AT5 ".family: must be ipv4 or ipv6, got \"inet\"" },
	{ RULE("action: allow, vlan: 0"), AT5 ".vlan: must be an integer 1..4094, got \"0\"" },
	{ RULE("action: allow, vlan: 4095"), AT5 ".vlan: must be an integer 1..4094, got \"4095\"" },
	{ RULE("action: allow, ethertype: 0x05ff"),
	  AT5 ".ethertype: must be ipv4, ipv6, arp or a number 0x0600..0xffff, got \"0x05ff\"" },
	{ RULE("action: allow, ethertype: 0x10000"),
	  AT5 ".ethertype: must be ipv4, ipv6, arp or a number 0x0600..0xffff, got \"0x10000\"" },
	{ RULE("action: allow, ethertype: 2048"),
	  AT5 ".ethertype: must be ipv4, ipv6, arp or a number 0x0600..0xffff, got \"2048\"" },
	{ RULE("action: allow, ethertype: 0x"),
	  AT5 ".ethertype: must be ipv4, ipv6, arp or a number 0x0600..0xffff, got \"0x\"" },
	{ RULE("action: allow, ethertype: 0x8100"),
	  AT5 ".ethertype: 0x8100 is a VLAN tag; ethertype is the type after the tags (a VLAN is "
	      "matched with vlan)" },
	{ RULE("action: allow, ethertype: 0x88A8"), AT5 ".ethertype: 0x88A8 is a VLAN tag" },
	{ RULE("action: allow, src-mac: 02:00:00:00:00"),
	  AT5 ".src-mac: must be a MAC address such as \"52:54:00:12:34:56\", got "
	      "\"02:00:00:00:00\"" },
	{ RULE("action: allow, dst-mac: [1]"),
	  AT5 ".dst-mac: must be a MAC address such as \"52:54:00:12:34:56\", got a list" },
	{ RULE("action: allow, stateful: 2"), AT5 ".stateful: must be true or false, got \"2\"" },
	{ RULE("action: allow, comment: [a]"), AT5 ".comment: must be text, got a list" },

	/* addresses */
	{ RULE("action: allow, src: 10.0.0.256"), AT5 ".src: " ADDR_RULE ", got \"10.0.0.256\"" },
	{ RULE("action: allow, src: 10.0.0.0/"), AT5 ".src: " ADDR_RULE ", got \"10.0.0.0/\"" },
	{ RULE("action: allow, src: 10.0.0.0/08"), AT5 ".src: " ADDR_RULE ", got \"10.0.0.0/08\"" },
	{ RULE("action: allow, src: /8"), AT5 ".src: " ADDR_RULE ", got \"/8\"" },
	{ RULE("action: allow, src: host.example"), AT5 ".src: " ADDR_RULE },
	{ RULE("action: allow, src: \"fe80::1%eth0\""), AT5 ".src: " ADDR_RULE },
	{ RULE("action: allow, dst: 10.0.0.1/8"),
	  AT5 ".dst: 10.0.0.1/8 has host bits set: did you mean 10.0.0.0/8?" },
	{ RULE("action: allow, dst: 192.168.1.77/26"),
	  AT5 ".dst: 192.168.1.77/26 has host bits set: did you mean 192.168.1.64/26?" },
	{ RULE("action: allow, dst: \"fd00::1/64\""),
	  AT5 ".dst: fd00::1/64 has host bits set: did you mean fd00::/64?" },
	{ RULE("action: allow, src: 10.0.0.0/33"),
	  AT5 ".src: /33 is longer than an IPv4 address (at most /32)" },
	{ RULE("action: allow, src: \"fd00::/129\""),
	  AT5 ".src: /129 is longer than an IPv6 address (at most /128)" },

	/* ports */
	{ RULE("action: allow, proto: tcp, dst-port: 100-50"),
	  AT5 ".dst-port: 100-50 is an empty range: 100 is above 50" },
	{ RULE("action: allow, proto: tcp, dst-port: 65536"),
	  AT5 ".dst-port: " PORT_RULE ", got \"65536\"" },
	{ RULE("action: allow, proto: tcp, src-port: 1-65536"),
	  AT5 ".src-port: " PORT_RULE ", got \"1-65536\"" },
	{ RULE("action: allow, proto: tcp, src-port: \"1 - 2\""),
	  AT5 ".src-port: " PORT_RULE ", got \"1 - 2\"" },
	{ RULE("action: allow, proto: tcp, src-port: -5"), AT5 ".src-port: " PORT_RULE },
	{ RULE("action: allow, proto: tcp, src-port: 22-"), AT5 ".src-port: " PORT_RULE },
	{ RULE("action: allow, proto: tcp, src-port: 1-2-3"), AT5 ".src-port: " PORT_RULE },
	{ RULE("action: allow, proto: tcp, dst-port: ssh"), AT5 ".dst-port: " PORT_RULE },
	{ RULE("action: allow, dst-port: 22"),
	  AT5 ".dst-port: a port needs proto tcp, udp or sctp (this rule has no proto)" },
	{ RULE("action: allow, proto: icmp, src-port: 22"),
	  AT5 ".src-port: proto icmp (line 5) has no ports: " NEVER },
	{ RULE("action: allow, proto: 47, dst-port: 22"),
	  AT5 ".dst-port: proto 47 (line 5) has no ports: " NEVER },

	/* ICMP */
	{ RULE("action: allow, icmp-type: 8"),
	  AT5 ".icmp-type: an ICMP type needs proto icmp or icmpv6 (this rule has no proto)" },
	{ RULE("action: allow, proto: udp, icmp-type: echo-request"),
	  AT5 ".icmp-type: proto udp (line 5) has no ICMP types: " NEVER },
	{ RULE("action: allow, proto: icmp, icmp-type: ping"),
	  AT5 ".icmp-type: " ICMP_RULE ", got \"ping\"" },
	{ RULE("action: allow, proto: icmp, icmp-type: 256"),
	  AT5 ".icmp-type: " ICMP_RULE ", got \"256\"" },
	{ RULE("action: allow, proto: icmp, icmp-type: packet-too-big"),
	  AT5 ".icmp-type: packet-too-big is an ICMPv6 type, and this rule is proto icmp (line 5): "
	      "give the number if ICMP for IPv4 has one" },
	{ RULE("action: allow, proto: icmp, icmp-code: 0"),
	  AT5 ".icmp-code: an ICMP code needs icmp-type: codes are a type's" },
	{ RULE("action: allow, icmp-code: 0"),
	  AT5 ".icmp-code: an ICMP code needs icmp-type: codes are a type's" },
	{ RULE("action: allow, proto: icmp, icmp-type: 3, icmp-code: 256"),
	  AT5 ".icmp-code: must be an integer 0..255, got \"256\"" },
	{ RULE("action: allow, family: ipv6, proto: icmp"),
	  AT5 ".proto: proto icmp and family ipv6 (line 5) exclude each other: " NEVER
	      " (ICMP for IPv6 is proto icmpv6)" },
	{ RULE("action: allow, proto: icmp, src: \"fd00::/8\""),
	  AT5 ".src: src fd00::/8 and proto icmp (line 5) exclude each other: " NEVER
	      " (ICMP for IPv6 is proto icmpv6)" },
	{ RULE("action: allow, proto: icmpv6, dst: 10.0.0.1"),
	  AT5 ".dst: dst 10.0.0.1 and proto icmpv6 (line 5) exclude each other: " NEVER
	      " (ICMP for IPv4 is proto icmp)" },
	{ RULE("action: allow, proto: 1, family: ipv6"),
	  AT5 ".proto: proto icmp and family ipv6 (line 5) exclude each other" },

	/* families and ethertypes */
	{ RULE("action: allow, src: 10.0.0.0/8, dst: \"fd00::1\""),
	  AT5 ".dst: dst fd00::1 and src 10.0.0.0/8 (line 5) exclude each other: " NEVER },
	{ RULE("action: allow, family: ipv4, src: \"::/0\""),
	  AT5 ".src: src ::/0 and family ipv4 (line 5) exclude each other: " NEVER },
	{ RULE("action: allow, ethertype: arp, family: ipv4"),
	  AT5 ".family: family ipv4 is IP, but ethertype arp (line 5) is not: " NEVER },
	{ RULE("action: allow, ethertype: arp, proto: tcp"),
	  AT5 ".proto: proto tcp is IP, but ethertype arp (line 5) is not: " NEVER },
	{ RULE("action: allow, ethertype: arp, dst: 10.0.0.1"),
	  AT5 ".dst: dst 10.0.0.1 is IP, but ethertype arp (line 5) is not: " NEVER },
	{ "firewall:\n  groups: {g: []}\n  rule-sets:\n    s:\n      rules:\n"
	  "        - {action: allow, ethertype: 0x88cc, dst-group: g}\n",
	  "xvs.yaml:6: firewall.rule-sets.s.rules[0].dst-group: dst-group g is IP, but ethertype "
	  "0x88cc (line 6) is not: " NEVER },
	{ RULE("action: allow, ethertype: ipv4, family: ipv6"),
	  AT5 ".family: family ipv6 and ethertype ipv4 (line 5) exclude each other: " NEVER },
	{ RULE("action: allow, ethertype: ipv6, proto: icmp"),
	  AT5 ".proto: proto icmp and ethertype ipv6 (line 5) exclude each other: " NEVER
	      " (ICMP for IPv6 is proto icmpv6)" },
	{ RULE("action: allow, ethertype: 0x86dd, src: 10.0.0.0/8"),
	  AT5 ".src: src 10.0.0.0/8 and ethertype ipv6 (line 5) exclude each other: " NEVER },
	/* in block style, each key on its own line: the error is at the key */
	{ SET "        - action: allow\n          ethertype: arp\n          proto: udp\n",
	  "xvs.yaml:7: firewall.rule-sets.s.rules[0].proto: proto udp is IP, but ethertype arp "
	  "(line 6) is not: " NEVER },
	{ SET "        - action: allow\n          proto: icmp\n          dst-port: 53\n",
	  "xvs.yaml:7: firewall.rule-sets.s.rules[0].dst-port: proto icmp (line 6) has no ports: "
	  "" NEVER },
	{ SET "        - {action: count, proto: tcp}\n        - {action: allow, proto: udp}\n"
	      "        - action: drop\n          proto: tcp\n          dst-port: 100-50\n",
	  "xvs.yaml:9: firewall.rule-sets.s.rules[2].dst-port: 100-50 is an empty range" },

	/* TCP flags */
	{ RULE("action: allow, tcp-flags: syn"),
	  AT5 ".tcp-flags: TCP flags need proto tcp (this rule has no proto)" },
	{ RULE("action: allow, proto: udp, tcp-flags: syn"),
	  AT5 ".tcp-flags: proto udp (line 5) has no TCP flags: " NEVER },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"syn !syn\""),
	  AT5 ".tcp-flags: syn is both required and forbidden: " NEVER },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"!ack fin ack\""),
	  AT5 ".tcp-flags: ack is both required and forbidden: " NEVER },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"syn syn\""),
	  AT5 ".tcp-flags: syn is given twice" },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"!rst !rst\""),
	  AT5 ".tcp-flags: rst is given twice" },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"syn,ack\""),
	  AT5 ".tcp-flags: " FLAGS_RULE ", got \"syn,ack\"" },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"\""),
	  AT5 ".tcp-flags: " FLAGS_RULE ", got \"\"" },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"!\""), AT5 ".tcp-flags: " FLAGS_RULE },
	{ RULE("action: allow, proto: tcp, tcp-flags: \"! syn\""), AT5 ".tcp-flags: " FLAGS_RULE },
	{ RULE("action: allow, proto: tcp, tcp-flags: SYN"), AT5 ".tcp-flags: " FLAGS_RULE },
	{ RULE("action: allow, proto: tcp, tcp-flags: [syn]"),
	  AT5 ".tcp-flags: " FLAGS_RULE ", got a list" },

	/* unreachable rules */
	{ SET "        - {action: count}\n        - {action: allow}\n        - {action: drop, "
	      "proto: tcp}\n",
	  "xvs.yaml:7: firewall.rule-sets.s.rules[2]: unreachable: rule 1 matches everything (line "
	  "6, action allow)" },
	{ SET "        - {action: reject, comment: all, stateful: false}\n        - {action: "
	      "count}\n",
	  "xvs.yaml:6: firewall.rule-sets.s.rules[1]: unreachable: rule 0 matches everything (line "
	  "5, action reject)" },
	{ SET "        - action: drop\n        - action: drop\n",
	  "xvs.yaml:6: firewall.rule-sets.s.rules[1]: unreachable: rule 0 matches everything (line "
	  "5, action drop)" },

	/* groups */
	{ RULE("action: allow, src-group: g"), AT5 ".src-group: no group named g in firewall.groups" },
	{ RULE("action: allow, dst-group: \"a b\""),
	  AT5 ".dst-group: must be a group name of 1 to 31 characters from A-Z a-z 0-9 _ -, got "
	      "\"a b\"" },
	{ "firewall:\n  groups: [a]\n",
	  "xvs.yaml:2: firewall.groups: must be a mapping of group names to lists of ports, got a "
	  "list" },
	{ PORTS3 "firewall:\n  groups:\n    g: [vm1, vm9]\n",
	  "xvs.yaml:7: firewall.groups.g[1]: no port named vm9 in ports" },
	{ PORTS3 "firewall:\n  groups:\n    g: [up0]\n",
	  "xvs.yaml:7: firewall.groups.g[0]: port up0 is an uplink; a group is made of VM ports" },
	{ PORTS3 "firewall:\n  groups:\n    g: vm2\n",
	  "xvs.yaml:7: firewall.groups.g: port vm2 has no anti-spoofing: a group matches the "
	  "anti-spoofing addresses of its ports, and vm2 has none (line 3)" },
	{ PORTS3 "firewall:\n  groups:\n    g: [vm1, vm1]\n",
	  "xvs.yaml:7: firewall.groups.g[1]: port vm1 is listed twice" },
	/* a member counts with its listed single addresses only */
	{ "ports:\n  vm1: {type: vhost-user, socket: a, anti-spoofing: {ipv4: 10.0.0.0/24}}\n"
	  "firewall:\n  groups: {g: [vm1]}\n",
	  "xvs.yaml:4: firewall.groups.g[0]: port vm1 lists no single address (/32 or /128) in "
	  "anti-spoofing: a group matches only those (not learned ones, which the VM chooses)" },
	{ PORTS3 "firewall:\n  groups:\n    g: [vm1]\n    g: []\n",
	  "xvs.yaml:8: firewall.groups: group g is defined twice (first at line 7)" },
	{ PORTS3 "firewall:\n  groups:\n    g: {vm1: x}\n",
	  "xvs.yaml:7: firewall.groups.g: must be a list of port names, got a mapping" },
	{ PORTS3 "firewall:\n  groups:\n    g: [\"vm 1\"]\n",
	  "xvs.yaml:7: firewall.groups.g[0]: must be a port name of 1 to 31 characters" },
	{ PORTS3 "firewall:\n  groups:\n    \"g!\": [vm1]\n",
	  "xvs.yaml:7: firewall.groups: a group name must be 1 to 31 characters" },

	/* a VM port's rule sets */
	{ FWPORT("      to-vm: [s, nope]\n") SETS_ST,
	  "xvs.yaml:7: ports.vm1.firewall.to-vm[1]: no rule set named nope in firewall.rule-sets" },
	{ FWPORT("      from-vm: nope\n") SETS_ST,
	  "xvs.yaml:7: ports.vm1.firewall.from-vm: no rule set named nope in firewall.rule-sets" },
	{ FWPORT("      to-vm: [s]\n"),
	  "xvs.yaml:7: ports.vm1.firewall.to-vm[0]: no rule set named s in firewall.rule-sets" },
	{ FWPORT("      to-vm: [s, t, s]\n") SETS_ST,
	  "xvs.yaml:7: ports.vm1.firewall.to-vm[2]: rule set s is listed twice" },
	{ FWPORT("      to-vm: [s, \"t t\"]\n") SETS_ST,
	  "xvs.yaml:7: ports.vm1.firewall.to-vm[1]: must be a rule set name of 1 to 31" },
	{ FWPORT("      to-vm: {s: 1}\n") SETS_ST,
	  "xvs.yaml:7: ports.vm1.firewall.to-vm: must be a rule set name or a list of them, got a "
	  "mapping" },
	{ FWPORT("      to_vm: s\n") SETS_ST,
	  "xvs.yaml:7: ports.vm1.firewall: unknown key \"to_vm\" (allowed here: to-vm, from-vm)" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, firewall: s}\n",
	  "xvs.yaml:2: ports.vm1.firewall: must be a mapping {to-vm: RULE SETS, from-vm: RULE "
	  "SETS}, got \"s\"" },
	{ FWPORT("      from-vm: [s, v]\n") "firewall:\n  rule-sets:\n    s: {}\n    v:\n"
						"      rules:\n        - {action: count}\n"
						"        - {action: drop, vlan: 20}\n",
	  "xvs.yaml:7: ports.vm1.firewall.from-vm[1]: rule set v matches vlan 20 in rules[1] (line "
	  "14), but port vm1 is a VM port: an access port, whose frames are on its own VLAN (10), "
	  "never a rule's" },
	/* the file's order does not matter to names */
	{ "firewall:\n  rule-sets:\n    s: {}\n"
	  "ports:\n  vm1: {type: vhost-user, socket: a, firewall: {to-vm: [x]}}\n",
	  "xvs.yaml:5: ports.vm1.firewall.to-vm[0]: no rule set named x in firewall.rule-sets" },
	{ "firewall:\n  groups: {g: [vm1]}\nports:\n  vm1: {type: vhost-user, socket: a}\n",
	  "xvs.yaml:2: firewall.groups.g[0]: port vm1 has no anti-spoofing" },

	/* uplinks */
	{ UP0 "    firewall: {to-vm: s}\n",
	  "xvs.yaml:5: ports.up0.firewall: rule sets are for VM ports: traffic between a VM and the "
	  "uplink is judged at the VM's port (to-vm, from-vm)" },
	{ UP0 "    anti-spoofing: {}\n",
	  "xvs.yaml:5: ports.up0.anti-spoofing: anti-spoofing is for VM ports: it checks what a VM "
	  "sends" },

	/* anti-spoofing */
	{ AS "      learn: false\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing: learn: false needs mac: with neither, no source "
	  "MAC is the VM's and every frame it sends is dropped" },
	{ "ports:\n  vm1: {type: vhost-user, socket: a, anti-spoofing: on}\n",
	  "xvs.yaml:2: ports.vm1.anti-spoofing: must be a mapping {mac, ipv4, ipv6, learn, "
	  "dhcp-server, router-advertisements}, got \"on\"" },
	{ AS "      ip: [10.0.0.5]\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing: unknown key \"ip\" (allowed here: mac, ipv4, ipv6, "
	  "learn, dhcp-server, router-advertisements)" },
	{ AS "      mac: \"01:00:5e:00:00:01\"\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.mac: 01:00:5e:00:00:01 is a multicast address; "
	  "must be unicast" },
	{ AS "      mac: ff:ff:ff:ff:ff:ff\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.mac: ff:ff:ff:ff:ff:ff is a multicast address; "
	  "must be unicast" },
	{ AS "      mac: \"00:00:00:00:00:00\"\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.mac: must not be the all-zero address" },
	{ AS "      mac: 52:54:00:12:34\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.mac: must be a MAC address such as "
	  "\"52:54:00:12:34:56\", got \"52:54:00:12:34\"" },
	{ AS "      ipv4: [10.0.0.5, \"fd00::5\"]\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv4[1]: fd00::5 is an IPv6 address: list it under "
	  "ipv6" },
	{ AS "      ipv6: 10.0.0.5\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv6: 10.0.0.5 is an IPv4 address: list it under "
	  "ipv4" },
	{ AS "      ipv4: [10.0.0.5, 10.0.0.0/24, 10.0.0.5]\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv4[2]: 10.0.0.5 is listed twice" },
	{ AS "      ipv4: [10.0.0.5/24]\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv4[0]: 10.0.0.5/24 has host bits set: did you "
	  "mean 10.0.0.0/24?" },
	{ AS "      ipv4: [10.0.0.0/40]\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv4[0]: /40 is longer than an IPv4 address (at "
	  "most /32)" },
	{ AS "      ipv4: {a: b}\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv4: must be a list of IPv4 addresses or CIDRs, got "
	  "a mapping" },
	{ AS "      ipv6: [[\"fd00::1\"]]\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.ipv6[0]: " ADDR_RULE ", got a list" },
	{ AS "      learn: sometimes\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.learn: must be true or false, got \"sometimes\"" },
	{ AS "      dhcp-server: 1\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.dhcp-server: must be true or false, got \"1\"" },
	{ AS "      router-advertisements: []\n",
	  "xvs.yaml:6: ports.vm1.anti-spoofing.router-advertisements: must be true or false, got "
	  "a list" },

	/* aliases stay refused here too */
	{ SET "        - &r {action: allow}\n        - *r\n",
	  "xvs.yaml:5: firewall.rule-sets.s.rules[0]: YAML anchors and aliases are not supported" },
};

static void bad_configs(void **state)
{
	(void)state;
	assert_int_equal(expect_errors(bad_fw, sizeof(bad_fw) / sizeof(bad_fw[0])), 0);
}

/* config/examples/firewall.yaml: what it says it does. */
static void example(void **state)
{
	const struct cfg_rule_set *in, *out;
	const struct cfg_port *web, *jump;
	char path[512], err[512];
	struct cfg c;
	int r, i;

	(void)state;
	r = cfg_load(source_path(path, sizeof(path), "config/examples/firewall.yaml"), &c, err,
		     sizeof(err));
	if (r)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_true(c.fw.on);
	web = cfg_find_port(&c, "web1");
	jump = cfg_find_port(&c, "jump1");
	assert_non_null(web);
	assert_non_null(jump);
	/* ARP and neighbour discovery first, then the security group's rules */
	assert_int_equal(web->n_fw_sets[XVS_FW_TO_VM], 2);
	assert_int_equal(c.fw.sets[web->fw_sets[XVS_FW_TO_VM][0]].def, CFG_FW_NEXT);
	assert_int_equal(web->n_fw_sets[XVS_FW_FROM_VM], 1);
	in = &c.fw.sets[web->fw_sets[XVS_FW_TO_VM][1]];
	out = &c.fw.sets[web->fw_sets[XVS_FW_FROM_VM][0]];
	/* ingress: drop what no rule allows, replies to what web1 opened pass */
	assert_int_equal(in->def, CFG_FW_DROP);
	assert_true(in->stateful);
	/* ssh from the management network, and from the jump host's group */
	for (i = 0; i < in->n_rules; i++)
		if (in->rules[i].action == CFG_FW_ALLOW && (in->rules[i].match & XVS_ACL_M_DPORT) &&
		    in->rules[i].dport_lo == 22 && (in->rules[i].match & XVS_ACL_M_SADDR))
			break;
	assert_true(i < in->n_rules);
	assert_int_equal(in->rules[i].src.plen, 24);
	for (i = 0; i < in->n_rules; i++)
		if ((in->rules[i].match & XVS_ACL_M_SGROUP) && in->rules[i].dport_lo == 22)
			break;
	assert_true(i < in->n_rules);
	assert_int_equal(c.fw.groups[in->rules[i].sgroup].n_ports, 1);
	assert_ptr_equal(&c.ports[c.fw.groups[in->rules[i].sgroup].ports[0]], jump);
	/* egress: everything, tracked */
	assert_int_equal(out->def, CFG_FW_ALLOW);
	assert_int_equal(out->n_rules, 0);
	assert_true(out->stateful);
	/* fixed addresses, nothing learned */
	assert_true(web->spoof.on);
	assert_true(web->spoof.have_mac);
	assert_false(web->spoof.learn);
	assert_true(web->spoof.n_ip4 >= 1);
	assert_true(web->spoof.n_ip6 >= 1);
	assert_true(jump->spoof.on);
	cfg_free(&c);
}

static void truncated_and_corrupted(void **state)
{
	(void)state;
	mangle("ports:\n"
	       "  vm1:\n"
	       "    type: vhost-user\n"
	       "    socket: vm1.sock\n"
	       "    firewall: {to-vm: [base, in], from-vm: out}\n"
	       "    anti-spoofing: {mac: \"52:54:00:00:00:01\", ipv4: [10.0.0.5/32], learn: no}\n"
	       "firewall:\n"
	       "  conntrack: {max-entries: 4096, timeouts: {udp: 60}}\n"
	       "  groups: {g: [vm1]}\n"
	       "  rule-sets:\n"
	       "    in:\n"
	       "      rules:\n"
	       "        - {action: allow, proto: tcp, dst-port: 22, src: 10.0.0.0/24}\n"
	       "        - {action: allow, proto: icmp, icmp-type: echo-request, src-group: g}\n"
	       "        - {action: drop, proto: tcp, tcp-flags: \"syn !ack\"}\n"
	       "    base: {default: next}\n"
	       "    out: {default: allow, stateful: false}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_key),
		cmocka_unit_test(defaults),
		cmocka_unit_test(order),
		cmocka_unit_test(edges),
		cmocka_unit_test(limits),
		cmocka_unit_test(bad_configs),
		cmocka_unit_test(example),
		cmocka_unit_test(truncated_and_corrupted),
	};

	return cmocka_run_group_tests(tests, cfg_setup, cfg_teardown);
}
