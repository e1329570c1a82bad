// SPDX-License-Identifier: GPL-2.0-only
/*
 * cfg: the firewall's configuration (config/README.md, "firewall"): the
 * section firewall: (conntrack, reject-rate, groups, rule-sets) and each VM
 * port's firewall (the rule sets it walks, per direction) and
 * anti-spoofing. The tables and helpers are config.c's (cfg_internal.h).
 *
 * A rule is read key by key in the order of rule_keys, each key checked
 * against those read before it, so that a rule that could never match a
 * frame is an error at the key that makes it so, naming the key it
 * conflicts with: a port without proto tcp, udp or sctp, proto icmp with
 * an IPv6 address, anything of IP under ethertype arp. Nothing in a rule
 * is ignored or adjusted quietly.
 *
 * Where things are in the file does not matter. Ports are read before
 * firewall: (top_keys' order), so a group names ports as it is read, and a
 * rule its groups (groups before rule-sets). A port's firewall names rule
 * sets, which come later: it is read once the whole file is
 * (cfg_fw_resolve), which also counts the rules the compiler will lay out
 * against the sizes of the maps in include/xvs/fw.h.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cfg_internal.h"

_Static_assert(CFG_FW_ALLOW == (int)XVS_ACL_ALLOW && CFG_FW_DROP == (int)XVS_ACL_DROP &&
		       CFG_FW_REJECT == (int)XVS_ACL_REJECT && CFG_FW_COUNT == (int)XVS_ACL_COUNT,
	       "rule actions are compiled as they are");
_Static_assert(CFG_FW_MAX_GROUPS <= XVS_FW_MAX_GROUPS, "group ids fit the group map");
_Static_assert(CFG_MAX_PORTS <= XVS_MAX_PORTS, "conntrack zones are port indices");

#define TIMEOUT_MAX 864000 /* ten days */

void cfg_fw_defaults(struct cfg_fw *fw)
{
	static const uint32_t timeouts[XVS_CT_TO_MAX] = {
		[XVS_CT_TO_TCP_SYN] = 60,
		[XVS_CT_TO_TCP_EST] = 432000, /* five days */
		[XVS_CT_TO_TCP_FIN] = 120,
		[XVS_CT_TO_TCP_CLOSE] = 10,
		[XVS_CT_TO_UDP] = 30,
		[XVS_CT_TO_UDP_STREAM] = 180,
		[XVS_CT_TO_ICMP] = 30,
	};

	memset(fw, 0, sizeof(*fw));
	fw->ct_max = 65536;
	memcpy(fw->timeout, timeouts, sizeof(fw->timeout));
	fw->reject_rate = 100;
}

void cfg_fw_free(struct cfg *c)
{
	int i;

	for (i = 0; i < c->fw.n_sets; i++)
		free(c->fw.sets[i].rules);
	free(c->fw.sets);
	c->fw.sets = NULL;
	c->fw.n_sets = 0;
	for (i = 0; i < c->fw.n_groups; i++)
		free(c->fw.groups[i].ports);
	free(c->fw.groups);
	c->fw.groups = NULL;
	c->fw.n_groups = 0;
}

/* Lists: a YAML list, or one scalar for a list of one ("to-vm: web-in") */

static size_t list_len(const yaml_node_t *n)
{
	if (is_null(n))
		return 0;
	return n->type == YAML_SEQUENCE_NODE ? n_items(n) : 1;
}

/* Item i of list n, with its index pushed on the path if n is a list. */
static int list_item(struct loader *ld, yaml_node_t *n, size_t i, yaml_node_t **out,
		     size_t *mark)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		*mark = ld->path_len;
		*out = n;
		return 0;
	}
	*mark = path_index(ld, i);
	return child(ld, n->data.sequence.items.start[i], out);
}

static int find_set(const struct cfg_fw *fw, const char *name)
{
	int i;

	for (i = 0; i < fw->n_sets; i++)
		if (!strcmp(fw->sets[i].name, name))
			return i;
	return -1;
}

static int find_group(const struct cfg_fw *fw, const char *name)
{
	int i;

	for (i = 0; i < fw->n_groups; i++)
		if (!strcmp(fw->groups[i].name, name))
			return i;
	return -1;
}

/* Addresses */

static uint8_t mask_byte(unsigned long plen, int i)
{
	long bits = (long)plen - 8 * i;

	if (bits >= 8)
		return 0xff;
	if (bits <= 0)
		return 0;
	return (uint8_t)(0xff << (8 - bits));
}

/*
 * An IPv4 or IPv6 address, or a CIDR, into *out: "10.0.0.0/8", "192.0.2.1"
 * (/32), "fd00::/64". Host bits set are an error that gives the network,
 * rather than a silent mask: 10.0.0.1/8 is more often a typo than a wish.
 */
static int cidr_of(struct loader *ld, const yaml_node_t *n, struct cfg_cidr *out)
{
	char addr[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	const char *s = text(n), *slash;
	struct cfg_cidr c = { 0 };
	unsigned long plen, max;
	uint8_t masked[16];
	size_t len;
	int i;

	if (!s)
		goto bad_addr;
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (!len || len >= sizeof(addr))
		goto bad_addr;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, c.addr) == 1)
		c.family = 4;
	else if (inet_pton(AF_INET6, addr, c.addr) == 1)
		c.family = 6;
	else
		goto bad_addr;
	max = c.family == 4 ? 32 : 128;
	plen = max;
	if (slash && !to_ulong(slash + 1, 0, 1000, &plen))
		goto bad_addr;
	if (plen > max)
		return fail(ld, line_of(n), "/%lu is longer than an IPv%u address (at most /%lu)",
			    plen, c.family, max);
	for (i = 0; i < 16; i++)
		masked[i] = c.addr[i] & mask_byte(plen, i);
	if (memcmp(masked, c.addr, sizeof(masked))) {
		inet_ntop(c.family == 4 ? AF_INET : AF_INET6, masked, net, sizeof(net));
		return fail(ld, line_of(n), "%s has host bits set: did you mean %s/%lu?", s, net,
			    plen);
	}
	c.plen = (uint8_t)plen;
	*out = c;
	return 0;

bad_addr:
	return bad(ld, n, "an IPv4 or IPv6 address or CIDR such as 10.0.0.0/8 or fd00::/64");
}

/* Rules */

static const char *const action_words[] = {
	[CFG_FW_ALLOW] = "allow",
	[CFG_FW_DROP] = "drop",
	[CFG_FW_REJECT] = "reject",
	[CFG_FW_COUNT] = "count",
	NULL,
};

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP },	  { "udp", IPPROTO_UDP },	{ "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
};

static const struct {
	const char *name;
	uint16_t type;
} ethertypes[] = {
	{ "ipv4", ETH_P_IP },
	{ "ipv6", ETH_P_IPV6 },
	{ "arp", ETH_P_ARP },
};

/* ICMP types by name: the IPv4 type (-1: none) and the IPv6 one. */
static const struct {
	const char *name;
	int v4, v6;
} icmp_types[] = {
	{ "echo-request", 8, 128 },
	{ "echo-reply", 0, 129 },
	{ "dest-unreachable", 3, 1 },
	{ "time-exceeded", 11, 3 },
	{ "packet-too-big", -1, 2 },
	{ "router-solicitation", -1, 133 },
	{ "router-advertisement", -1, 134 },
	{ "neighbor-solicitation", -1, 135 },
	{ "neighbor-advertisement", -1, 136 },
};

/* Bit i is 1 << i in byte 13 of the TCP header. */
static const char *const tcp_flag_words[8] = { "fin", "syn", "rst", "psh",
					       "ack", "urg", "ece", "cwr" };

/* A rule being read, and where what it says so far came from. */
struct rule_in {
	struct cfg_fw_rule r; /* first: the offsets in rule_keys are into it */
	int etype_line;
	int proto_line;
	int fam_line;
	char fam_by[QUOTE_MAX + 16]; /* what set r.family: "family ipv6", "src fd00::/8" */
};

/* "proto tcp", "proto 47" */
static const char *proto_str(char *buf, size_t size, uint8_t proto)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].proto == proto) {
			snprintf(buf, size, "proto %s", protos[i].name);
			return buf;
		}
	snprintf(buf, size, "proto %u", proto);
	return buf;
}

/* "ethertype arp", "ethertype 0x88cc" */
static const char *etype_str(char *buf, size_t size, uint16_t type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ethertypes); i++)
		if (ethertypes[i].type == type) {
			snprintf(buf, size, "ethertype %s", ethertypes[i].name);
			return buf;
		}
	snprintf(buf, size, "ethertype 0x%04x", type);
	return buf;
}

static uint8_t etype_family(uint16_t type)
{
	return type == ETH_P_IP ? 4 : type == ETH_P_IPV6 ? 6 : 0;
}

static bool proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

static bool proto_is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static const char *icmp_hint(const struct cfg_fw_rule *r)
{
	if (!(r->match & XVS_ACL_M_PROTO))
		return "";
	if (r->proto == IPPROTO_ICMP)
		return " (ICMP for IPv6 is proto icmpv6)";
	if (r->proto == IPPROTO_ICMPV6)
		return " (ICMP for IPv4 is proto icmp)";
	return "";
}

/*
 * The key being read (at n; by: "proto icmp", "src 10.0.0.0/8") matches
 * IP, of family fam if not 0. That cannot be if the rule's ethertype is
 * not IP or is the other family, or if its family is already the other
 * one; else the rule's family is now fam.
 */
static int rule_ip(struct loader *ld, const yaml_node_t *n, struct rule_in *ri, uint8_t fam,
		   const char *by)
{
	struct cfg_fw_rule *r = &ri->r;
	char et[32];
	uint8_t et_fam;

	if (r->match & XVS_ACL_M_ETYPE) {
		et_fam = etype_family(r->ethertype);
		etype_str(et, sizeof(et), r->ethertype);
		if (!et_fam)
			return fail(ld, line_of(n),
				    "%s is IP, but %s (line %d) is not: the rule could never match",
				    by, et, ri->etype_line);
		if (fam && fam != et_fam)
			return fail(ld, line_of(n),
				    "%s and %s (line %d) exclude each other: the rule could never "
				    "match%s",
				    by, et, ri->etype_line, icmp_hint(r));
	}
	if (!fam)
		return 0;
	if (r->match & XVS_ACL_M_FAMILY) {
		if (r->family == fam)
			return 0;
		return fail(ld, line_of(n),
			    "%s and %s (line %d) exclude each other: the rule could never match%s",
			    by, ri->fam_by, ri->fam_line, icmp_hint(r));
	}
	r->match |= XVS_ACL_M_FAMILY;
	r->family = fam;
	ri->fam_line = line_of(n);
	snprintf(ri->fam_by, sizeof(ri->fam_by), "%s", by);
	return 0;
}

static int parse_rule_action(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	const char *s = text(n);

	if (s && !strcmp(s, "next"))
		return fail(ld, line_of(n), "next is for a rule set's default; a rule that decides "
					    "nothing is action count");
	return parse_enum(ld, n, base, k);
}

/* 1 to 4 hex digits. */
static bool hex16(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (i == 4)
			return false;
		if (ch >= '0' && ch <= '9')
			v = v * 16 + (unsigned long)(ch - '0');
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			v = v * 16 + (unsigned long)((ch | 0x20) - 'a' + 10);
		else
			return false;
	}
	*out = v;
	return i > 0;
}

static int parse_rule_etype(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct rule_in *ri = base;
	const char *s = text(n);
	unsigned long v = 0;
	size_t i;

	(void)k;
	for (i = 0; s && i < ARRAY_SIZE(ethertypes); i++)
		if (!strcmp(s, ethertypes[i].name))
			v = ethertypes[i].type;
	if (!v && (!s || (strncmp(s, "0x", 2) && strncmp(s, "0X", 2)) || !hex16(s + 2, &v) ||
		   v < ETH_P_802_3_MIN))
		return bad(ld, n, "ipv4, ipv6, arp or a number 0x0600..0xffff");
	if (v == ETH_P_8021Q || v == ETH_P_8021AD || v == ETH_P_QINQ1)
		return fail(ld, line_of(n),
			    "%s is a VLAN tag; ethertype is the type after the tags (a VLAN is "
			    "matched with vlan)",
			    s);
	ri->r.ethertype = (uint16_t)v;
	ri->r.match |= XVS_ACL_M_ETYPE;
	ri->etype_line = line_of(n);
	return 0;
}

static int parse_rule_vlan(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct rule_in *ri = base;
	int r = parse_uint(ld, n, base, k);

	if (!r)
		ri->r.match |= XVS_ACL_M_VLAN;
	return r;
}

static int parse_rule_mac(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct rule_in *ri = base;
	bool src = k->off == offsetof(struct cfg_fw_rule, smac);

	if (!mac_parse(text(n), (uint8_t *)base + k->off))
		return bad(ld, n, "a MAC address such as \"52:54:00:12:34:56\"");
	ri->r.match |= src ? XVS_ACL_M_SMAC : XVS_ACL_M_DMAC;
	return 0;
}

static int parse_rule_family(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	const char *s = text(n);
	char by[32];
	uint8_t fam;

	(void)k;
	fam = s && !strcmp(s, "ipv4") ? 4 : s && !strcmp(s, "ipv6") ? 6 : 0;
	if (!fam)
		return bad(ld, n, "ipv4 or ipv6");
	snprintf(by, sizeof(by), "family %s", s);
	return rule_ip(ld, n, base, fam, by);
}

static int parse_rule_proto(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct rule_in *ri = base;
	const char *s = text(n);
	unsigned long v = 256;
	char by[32];
	size_t i;

	(void)k;
	for (i = 0; s && i < ARRAY_SIZE(protos); i++)
		if (!strcmp(s, protos[i].name))
			v = protos[i].proto;
	if (v > 255 && !to_ulong(s, 0, 255, &v))
		return bad(ld, n, "tcp, udp, icmp, icmpv6, sctp or a protocol number 0..255");
	ri->r.proto = (uint8_t)v;
	ri->r.match |= XVS_ACL_M_PROTO;
	ri->proto_line = line_of(n);
	return rule_ip(ld, n, ri, v == IPPROTO_ICMP ? 4 : v == IPPROTO_ICMPV6 ? 6 : 0,
		       proto_str(by, sizeof(by), ri->r.proto));
}

static int parse_rule_addr(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	bool src = k->off == offsetof(struct cfg_fw_rule, src);
	struct cfg_cidr *c = (struct cfg_cidr *)((char *)base + k->off);
	struct rule_in *ri = base;
	char by[QUOTE_MAX + 16];
	int r;

	r = cidr_of(ld, n, c);
	if (r)
		return r;
	snprintf(by, sizeof(by), "%s %s", src ? "src" : "dst", text(n));
	r = rule_ip(ld, n, ri, c->family, by);
	if (r)
		return r;
	ri->r.match |= src ? XVS_ACL_M_SADDR : XVS_ACL_M_DADDR;
	return 0;
}

static int parse_rule_group(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	bool src = k->off == offsetof(struct cfg_fw_rule, sgroup);
	struct rule_in *ri = base;
	const char *s = text(n);
	char by[QUOTE_MAX];
	int g, r;

	if (!valid_name(s))
		return bad(ld, n, "a group name of " NAME_RULE);
	g = find_group(&ld->c->fw, s);
	if (g < 0)
		return fail(ld, line_of(n), "no group named %s in firewall.groups", s);
	snprintf(by, sizeof(by), "%s %s", src ? "src-group" : "dst-group", s);
	r = rule_ip(ld, n, ri, 0, by);
	if (r)
		return r;
	*(int *)((char *)base + k->off) = g;
	ri->r.match |= src ? XVS_ACL_M_SGROUP : XVS_ACL_M_DGROUP;
	return 0;
}

/* "22" or "1024-65535": TCP, UDP and SCTP only. */
static int parse_rule_ports(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	bool src = k->off == offsetof(struct cfg_fw_rule, sport_lo);
	struct rule_in *ri = base;
	struct cfg_fw_rule *r = &ri->r;
	const char *s = text(n), *dash = s ? strchr(s, '-') : NULL;
	unsigned long lo, hi;
	char first[8], p[32];
	size_t len;
	bool ok;

	if (!dash) {
		ok = to_ulong(s, 0, 65535, &lo);
		hi = lo;
	} else {
		len = (size_t)(dash - s);
		ok = len && len < sizeof(first);
		if (ok) {
			memcpy(first, s, len);
			first[len] = '\0';
			ok = to_ulong(first, 0, 65535, &lo) && to_ulong(dash + 1, 0, 65535, &hi);
		}
	}
	if (!ok)
		return bad(ld, n, "a port 0..65535 or a range such as \"1024-65535\"");
	if (lo > hi)
		return fail(ld, line_of(n), "%s is an empty range: %lu is above %lu", s, lo, hi);
	if (!(r->match & XVS_ACL_M_PROTO))
		return fail(ld, line_of(n), "a port needs proto tcp, udp or sctp (this rule has no "
					    "proto)");
	if (!proto_has_ports(r->proto))
		return fail(ld, line_of(n), "%s (line %d) has no ports: the rule could never match",
			    proto_str(p, sizeof(p), r->proto), ri->proto_line);
	if (src) {
		r->sport_lo = (uint16_t)lo;
		r->sport_hi = (uint16_t)hi;
		r->match |= XVS_ACL_M_SPORT;
	} else {
		r->dport_lo = (uint16_t)lo;
		r->dport_hi = (uint16_t)hi;
		r->match |= XVS_ACL_M_DPORT;
	}
	return 0;
}

/* A number, or a name whose number depends on the family (the proto). */
static int parse_rule_icmp_type(struct loader *ld, yaml_node_t *n, void *base,
				const struct key *k)
{
	struct rule_in *ri = base;
	struct cfg_fw_rule *r = &ri->r;
	const char *s = text(n);
	unsigned long v = 0;
	int named = -1;
	char p[32];
	size_t i;

	(void)k;
	for (i = 0; s && i < ARRAY_SIZE(icmp_types); i++)
		if (!strcmp(s, icmp_types[i].name))
			named = (int)i;
	if (named < 0 && !to_ulong(s, 0, 255, &v))
		return bad(ld, n,
			   "an ICMP type 0..255 or one of echo-request, echo-reply, "
			   "dest-unreachable, time-exceeded, packet-too-big, router-solicitation, "
			   "router-advertisement, neighbor-solicitation, neighbor-advertisement");
	if (!(r->match & XVS_ACL_M_PROTO))
		return fail(ld, line_of(n),
			    "an ICMP type needs proto icmp or icmpv6 (this rule has no proto)");
	if (!proto_is_icmp(r->proto))
		return fail(ld, line_of(n), "%s (line %d) has no ICMP types: the rule could never "
					    "match",
			    proto_str(p, sizeof(p), r->proto), ri->proto_line);
	if (named >= 0) {
		if (r->proto == IPPROTO_ICMP && icmp_types[named].v4 < 0)
			return fail(ld, line_of(n), "%s is an ICMPv6 type, and this rule is proto "
						    "icmp (line %d): give the number if ICMP for "
						    "IPv4 has one",
				    s, ri->proto_line);
		v = (unsigned long)(r->proto == IPPROTO_ICMP ? icmp_types[named].v4
							      : icmp_types[named].v6);
	}
	r->icmp_type = (uint8_t)v;
	r->match |= XVS_ACL_M_ICMP_TYPE;
	return 0;
}

static int parse_rule_icmp_code(struct loader *ld, yaml_node_t *n, void *base,
				const struct key *k)
{
	struct rule_in *ri = base;
	unsigned long v;

	(void)k;
	if (!to_ulong(text(n), 0, 255, &v))
		return bad(ld, n, "an integer 0..255");
	if (!(ri->r.match & XVS_ACL_M_ICMP_TYPE))
		return fail(ld, line_of(n), "an ICMP code needs icmp-type: codes are a type's");
	ri->r.icmp_code = (uint8_t)v;
	ri->r.match |= XVS_ACL_M_ICMP_CODE;
	return 0;
}

#define TCP_FLAGS_RULE                                                                             \
	"TCP flags such as \"syn !ack\" (words fin syn rst psh ack urg ece cwr; ! before one: "   \
	"must be clear)"

/* "syn !ack": syn set, ack clear, the others not looked at. */
static int parse_rule_tcp_flags(struct loader *ld, yaml_node_t *n, void *base,
				const struct key *k)
{
	struct rule_in *ri = base;
	struct cfg_fw_rule *r = &ri->r;
	const char *s = text(n), *w = s;
	uint8_t flags = 0, mask = 0, bit;
	size_t len, i;
	bool clear, was_clear;
	char p[32];

	(void)k;
	if (!s)
		return bad(ld, n, TCP_FLAGS_RULE);
	for (;;) {
		w += strspn(w, " \t");
		if (!*w)
			break;
		clear = *w == '!';
		if (clear)
			w++;
		len = strcspn(w, " \t");
		for (i = 0; i < ARRAY_SIZE(tcp_flag_words); i++)
			if (strlen(tcp_flag_words[i]) == len && !strncmp(w, tcp_flag_words[i], len))
				break;
		if (i == ARRAY_SIZE(tcp_flag_words))
			return bad(ld, n, TCP_FLAGS_RULE);
		bit = (uint8_t)(1u << i);
		was_clear = !(flags & bit);
		if ((mask & bit) && was_clear == clear)
			return fail(ld, line_of(n), "%s is given twice", tcp_flag_words[i]);
		if (mask & bit)
			return fail(ld, line_of(n), "%s is both required and forbidden: the rule "
						    "could never match",
				    tcp_flag_words[i]);
		mask |= bit;
		if (!clear)
			flags |= bit;
		w += len;
	}
	if (!mask)
		return bad(ld, n, TCP_FLAGS_RULE);
	if (!(r->match & XVS_ACL_M_PROTO))
		return fail(ld, line_of(n), "TCP flags need proto tcp (this rule has no proto)");
	if (r->proto != IPPROTO_TCP)
		return fail(ld, line_of(n), "%s (line %d) has no TCP flags: the rule could never "
					    "match",
			    proto_str(p, sizeof(p), r->proto), ri->proto_line);
	r->tcp_flags = flags;
	r->tcp_mask = mask;
	r->match |= XVS_ACL_M_TCP_FLAGS;
	return 0;
}

static int parse_comment(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	(void)base;
	(void)k;
	if (n->type != YAML_SCALAR_NODE)
		return bad(ld, n, "text");
	return 0;
}

/* In this order: each key is checked against those before it (rule_ip). */
static const struct key rule_keys[] = {
	{ .name = "action",
	  .parse = parse_rule_action,
	  .off = offsetof(struct cfg_fw_rule, action),
	  .size = FIELD_SIZE(struct cfg_fw_rule, action),
	  .words = action_words,
	  .required = true },
	{ .name = "ethertype", .parse = parse_rule_etype },
	{ .name = "vlan",
	  .parse = parse_rule_vlan,
	  .off = offsetof(struct cfg_fw_rule, vlan),
	  .size = FIELD_SIZE(struct cfg_fw_rule, vlan),
	  .min = 1,
	  .max = VLAN_MAX },
	{ .name = "src-mac", .parse = parse_rule_mac, .off = offsetof(struct cfg_fw_rule, smac) },
	{ .name = "dst-mac", .parse = parse_rule_mac, .off = offsetof(struct cfg_fw_rule, dmac) },
	{ .name = "family", .parse = parse_rule_family },
	{ .name = "proto", .parse = parse_rule_proto },
	{ .name = "src", .parse = parse_rule_addr, .off = offsetof(struct cfg_fw_rule, src) },
	{ .name = "dst", .parse = parse_rule_addr, .off = offsetof(struct cfg_fw_rule, dst) },
	{ .name = "src-group",
	  .parse = parse_rule_group,
	  .off = offsetof(struct cfg_fw_rule, sgroup) },
	{ .name = "dst-group",
	  .parse = parse_rule_group,
	  .off = offsetof(struct cfg_fw_rule, dgroup) },
	{ .name = "src-port",
	  .parse = parse_rule_ports,
	  .off = offsetof(struct cfg_fw_rule, sport_lo) },
	{ .name = "dst-port",
	  .parse = parse_rule_ports,
	  .off = offsetof(struct cfg_fw_rule, dport_lo) },
	{ .name = "icmp-type", .parse = parse_rule_icmp_type },
	{ .name = "icmp-code", .parse = parse_rule_icmp_code },
	{ .name = "tcp-flags", .parse = parse_rule_tcp_flags },
	BOOL_KEY(struct cfg_fw_rule, stateful, "stateful"),
	{ .name = "comment", .parse = parse_comment },
};

static const struct section rule_section = SECTION(rule_keys);

#define RULE_EXAMPLE "{ action: allow, proto: tcp, dst-port: 22 }"

/* firewall.rule-sets.NAME.rules: first match wins; none after one that
 * matches everything and decides. */
static int parse_rules(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_rule_set *set = base;
	const struct cfg_fw_rule *last;
	struct rule_in ri;
	yaml_node_item_t *it;
	yaml_node_t *rn;
	size_t i, mark;
	int r = 0;

	(void)k;
	if (is_null(n) || (n->type == YAML_SEQUENCE_NODE && !n_items(n)))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(ld, n, "a list of rules such as - " RULE_EXAMPLE);
	if (n_items(n) > XVS_ACL_MAX_PER_BIND)
		return fail(ld, line_of(n), "%zu rules; a port and direction walk at most %d",
			    n_items(n), XVS_ACL_MAX_PER_BIND);
	set->rules = calloc(n_items(n), sizeof(*set->rules));
	if (!set->rules)
		return out_of_memory(ld);

	for (i = 0, it = n->data.sequence.items.start; it < n->data.sequence.items.top; i++, it++) {
		mark = path_index(ld, i);
		r = child(ld, *it, &rn);
		if (r)
			goto pop;
		if (rn->type != YAML_MAPPING_NODE) {
			r = bad(ld, rn, "a rule such as " RULE_EXAMPLE);
			goto pop;
		}
		memset(&ri, 0, sizeof(ri));
		ri.r.line = line_of(rn);
		ri.r.stateful = set->stateful;
		r = walk_map(ld, rn, &ri, &rule_section);
		if (r)
			goto pop;
		/* only the last one can be such a rule: any other had one after it */
		last = set->n_rules ? &set->rules[set->n_rules - 1] : NULL;
		if (last && !last->match && last->action != CFG_FW_COUNT) {
			r = fail(ld, ri.r.line,
				 "unreachable: rule %d matches everything (line %d, action %s)",
				 set->n_rules - 1, last->line, action_words[last->action]);
			goto pop;
		}
		set->rules[set->n_rules++] = ri.r;
pop:
		path_pop(ld, mark);
		if (r)
			return r;
	}
	return 0;
}

/* firewall.rule-sets.NAME.default: an action, or next; not count. */
static int parse_set_default(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	static const struct {
		const char *name;
		enum cfg_fw_action action;
	} defaults[] = {
		{ "allow", CFG_FW_ALLOW },
		{ "drop", CFG_FW_DROP },
		{ "reject", CFG_FW_REJECT },
		{ "next", CFG_FW_NEXT },
	};
	struct cfg_rule_set *set = base;
	const char *s = text(n);
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(defaults); i++)
		if (!strcmp(s, defaults[i].name)) {
			set->def = defaults[i].action;
			return 0;
		}
	if (s && !strcmp(s, "count"))
		return fail(ld, line_of(n), "count is for rules; a default decides (allow, drop, "
					    "reject) or leaves it to the next rule set (next)");
	return bad_key(ld, n, k, "one of allow|drop|reject|next");
}

/* stateful before rules, whose default it is. */
static const struct key set_keys[] = {
	{ .name = "default", .parse = parse_set_default },
	BOOL_KEY(struct cfg_rule_set, stateful, "stateful"),
	{ .name = "rules", .parse = parse_rules },
};

static const struct section set_section = SECTION(set_keys);

static int sets_alloc(struct loader *ld, void *arg, size_t n)
{
	struct cfg_fw *fw = arg;

	fw->sets = calloc(n, sizeof(*fw->sets));
	return fw->sets ? 0 : out_of_memory(ld);
}

static int set_taken(void *arg, const char *name)
{
	const struct cfg_fw *fw = arg;
	int i = find_set(fw, name);

	return i < 0 ? -1 : fw->sets[i].line;
}

static int set_add(struct loader *ld, void *arg, const char *name, int line, yaml_node_t *vn)
{
	struct cfg_fw *fw = arg;
	/* counted now, so that cfg_free() frees its rules if it fails */
	struct cfg_rule_set *set = &fw->sets[fw->n_sets++];

	memcpy(set->name, name, strlen(name) + 1);
	set->line = line;
	set->def = CFG_FW_DROP;
	set->stateful = true;
	if (is_null(vn))
		return 0;
	return vn->type == YAML_MAPPING_NODE ? walk_map(ld, vn, set, &set_section)
					     : bad(ld, vn, "a mapping {default, stateful, rules}");
}

static int parse_rule_sets(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	static const struct named_map sets = {
		.of = "rule set",
		.what = "a mapping of rule set names to rule sets",
		.max = CFG_FW_MAX_SETS,
		.alloc = sets_alloc,
		.taken = set_taken,
		.add = set_add,
	};

	(void)k;
	return parse_named(ld, n, &sets, base);
}

/* Groups */

/* Member i of group g, at n: a VM port with anti-spoofing, once. */
/* Does the policy list a single address (what a group member counts with)? */
static bool spoof_has_host(const struct cfg_spoof *sp)
{
	int i;

	for (i = 0; i < sp->n_ip4; i++)
		if (sp->ip4[i].plen == 32)
			return true;
	for (i = 0; i < sp->n_ip6; i++)
		if (sp->ip6[i].plen == 128)
			return true;
	return false;
}

static int group_member(struct loader *ld, const yaml_node_t *n, struct cfg_fw_group *g)
{
	const char *name = text(n);
	const struct cfg_port *port;
	int idx, j;

	if (!valid_name(name))
		return bad(ld, n, "a port name of " NAME_RULE);
	port = cfg_find_port(ld->c, name);
	if (!port)
		return fail(ld, line_of(n), "no port named %s in ports", name);
	if (port->type != CFG_PORT_VHOST_USER)
		return fail(ld, line_of(n), "port %s is an uplink; a group is made of VM ports",
			    name);
	if (!port->spoof.on)
		return fail(ld, line_of(n),
			    "port %s has no anti-spoofing: a group matches the anti-spoofing "
			    "addresses of its ports, and %s has none (line %d)",
			    name, name, port->line);
	if (!spoof_has_host(&port->spoof))
		return fail(ld, line_of(n),
			    "port %s lists no single address (/32 or /128) in anti-spoofing: "
			    "a group matches only those (not learned ones, which the VM chooses)",
			    name);
	idx = (int)(port - ld->c->ports);
	for (j = 0; j < g->n_ports; j++)
		if (g->ports[j] == idx)
			return fail(ld, line_of(n), "port %s is listed twice", name);
	g->ports[g->n_ports++] = idx;
	return 0;
}

static int parse_group(struct loader *ld, yaml_node_t *n, struct cfg_fw_group *g)
{
	yaml_node_t *in;
	size_t i, len, mark;
	int r;

	if (n->type == YAML_MAPPING_NODE)
		return bad(ld, n, "a list of port names");
	len = list_len(n);
	if (!len)
		return 0;
	g->ports = calloc(len, sizeof(*g->ports));
	if (!g->ports)
		return out_of_memory(ld);
	for (i = 0; i < len; i++) {
		r = list_item(ld, n, i, &in, &mark);
		if (!r)
			r = group_member(ld, in, g);
		path_pop(ld, mark);
		if (r)
			return r;
	}
	return 0;
}

static int groups_alloc(struct loader *ld, void *arg, size_t n)
{
	struct cfg_fw *fw = arg;

	fw->groups = calloc(n, sizeof(*fw->groups));
	return fw->groups ? 0 : out_of_memory(ld);
}

static int group_taken(void *arg, const char *name)
{
	const struct cfg_fw *fw = arg;
	int i = find_group(fw, name);

	return i < 0 ? -1 : fw->groups[i].line;
}

static int group_add(struct loader *ld, void *arg, const char *name, int line, yaml_node_t *vn)
{
	struct cfg_fw *fw = arg;
	struct cfg_fw_group *g = &fw->groups[fw->n_groups++];

	memcpy(g->name, name, strlen(name) + 1);
	g->line = line;
	return parse_group(ld, vn, g);
}

static int parse_groups(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	static const struct named_map groups = {
		.of = "group",
		.what = "a mapping of group names to lists of ports",
		.max = CFG_FW_MAX_GROUPS,
		.alloc = groups_alloc,
		.taken = group_taken,
		.add = group_add,
	};

	(void)k;
	return parse_named(ld, n, &groups, base);
}

/* firewall: */

static const struct key timeout_keys[] = {
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_TCP_SYN], "tcp-syn", 1, TIMEOUT_MAX),
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_TCP_EST], "tcp-established", 1, TIMEOUT_MAX),
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_TCP_FIN], "tcp-fin", 1, TIMEOUT_MAX),
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_TCP_CLOSE], "tcp-close", 1, TIMEOUT_MAX),
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_UDP], "udp", 1, TIMEOUT_MAX),
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_UDP_STREAM], "udp-stream", 1, TIMEOUT_MAX),
	UINT_KEY(struct cfg_fw, timeout[XVS_CT_TO_ICMP], "icmp", 1, TIMEOUT_MAX),
};

static const struct section timeout_section = SECTION(timeout_keys);

static const struct key conntrack_keys[] = {
	POW2_KEY(struct cfg_fw, ct_max, "max-entries", 1024, 1048576),
	SECTION_KEY("timeouts", timeout_section),
};

static const struct section conntrack_section = SECTION(conntrack_keys);

/* groups before rule-sets: rules name groups. */
static const struct key fw_keys[] = {
	SECTION_KEY("conntrack", conntrack_section),
	{ .name = "reject-rate",
	  .parse = parse_uint,
	  .off = offsetof(struct cfg_fw, reject_rate),
	  .size = FIELD_SIZE(struct cfg_fw, reject_rate),
	  .max = 100000,
	  .note = "answers per second and port; 0: reject drops silently" },
	{ .name = "groups", .parse = parse_groups },
	{ .name = "rule-sets", .parse = parse_rule_sets },
};

const struct section cfg_fw_section = SECTION(fw_keys);

/* Ports: anti-spoofing */

static int parse_spoof_mac(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_spoof *sp = base;
	int r;

	(void)k;
	r = mac_of(ld, n, sp->mac);
	if (!r)
		sp->have_mac = true;
	return r;
}

/* ports.NAME.anti-spoofing.ipv4 / ipv6: addresses or CIDRs, distinct. */
static int parse_spoof_addrs(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_spoof *sp = base;
	bool v4 = k->off == offsetof(struct cfg_spoof, ip4);
	struct cfg_cidr *list = v4 ? sp->ip4 : sp->ip6;
	int *count = v4 ? &sp->n_ip4 : &sp->n_ip6;
	yaml_node_t *in;
	size_t i, len, mark;
	int j, r;

	if (n->type == YAML_MAPPING_NODE)
		return bad(ld, n, v4 ? "a list of IPv4 addresses or CIDRs"
				     : "a list of IPv6 addresses or CIDRs");
	len = list_len(n);
	if (len > CFG_FW_MAX_ADDRS)
		return fail(ld, line_of(n), "lists %zu addresses; at most %d per family", len,
			    CFG_FW_MAX_ADDRS);
	for (i = 0; i < len; i++) {
		r = list_item(ld, n, i, &in, &mark);
		if (!r)
			r = cidr_of(ld, in, &list[i]);
		if (!r && list[i].family != (v4 ? 4 : 6))
			r = fail(ld, line_of(in), "%s is an IPv%d address: list it under ipv%d",
				 text(in), v4 ? 6 : 4, v4 ? 6 : 4);
		for (j = 0; !r && j < (int)i; j++)
			if (!memcmp(&list[j], &list[i], sizeof(list[i])))
				r = fail(ld, line_of(in), "%s is listed twice", text(in));
		path_pop(ld, mark);
		if (r)
			return r;
		(*count)++;
	}
	return 0;
}

static const struct key spoof_keys[] = {
	{ .name = "mac", .parse = parse_spoof_mac },
	{ .name = "ipv4", .parse = parse_spoof_addrs, .off = offsetof(struct cfg_spoof, ip4) },
	{ .name = "ipv6", .parse = parse_spoof_addrs, .off = offsetof(struct cfg_spoof, ip6) },
	BOOL_KEY(struct cfg_spoof, learn, "learn"),
	BOOL_KEY(struct cfg_spoof, dhcp_server, "dhcp-server"),
	BOOL_KEY(struct cfg_spoof, router_adv, "router-advertisements"),
};

static const struct section spoof_section = SECTION(spoof_keys);

/* ports.NAME.anti-spoofing: on when given, even empty (a guard left empty
 * is still a guard: all defaults). */
int cfg_fw_parse_spoof(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_spoof *sp = (struct cfg_spoof *)((char *)base + k->off);
	int r;

	memset(sp, 0, sizeof(*sp));
	sp->learn = true;
	if (!is_null(n)) {
		if (n->type != YAML_MAPPING_NODE)
			return bad(ld, n, "a mapping {mac, ipv4, ipv6, learn, dhcp-server, "
					  "router-advertisements}");
		r = walk_map(ld, n, sp, &spoof_section);
		if (r)
			return r;
	}
	if (!sp->learn && !sp->have_mac)
		return fail(ld, line_of(n),
			    "learn: false needs mac: with neither, no source MAC is the VM's and "
			    "every frame it sends is dropped");
	sp->on = true;
	return 0;
}

/* Ports: rule sets */

/* Set name n attached to (port, dir). */
static int attach_set(struct loader *ld, const yaml_node_t *n, struct cfg_port *port, int dir)
{
	const struct cfg_fw *fw = &ld->c->fw;
	const struct cfg_rule_set *set;
	const char *name = text(n);
	int s, j;

	if (!valid_name(name))
		return bad(ld, n, "a rule set name of " NAME_RULE);
	s = find_set(fw, name);
	if (s < 0)
		return fail(ld, line_of(n), "no rule set named %s in firewall.rule-sets", name);
	for (j = 0; j < port->n_fw_sets[dir]; j++)
		if (port->fw_sets[dir][j] == s)
			return fail(ld, line_of(n), "rule set %s is listed twice", name);
	set = &fw->sets[s];
	for (j = 0; j < set->n_rules; j++)
		if (set->rules[j].match & XVS_ACL_M_VLAN)
			return fail(ld, line_of(n),
				    "rule set %s matches vlan %u in rules[%d] (line %d), but port "
				    "%s is a VM port: an access port, whose frames are on its own "
				    "VLAN (%u), never a rule's",
				    name, set->rules[j].vlan, j, set->rules[j].line, port->name,
				    port->vlan);
	if (port->n_fw_sets[dir]) {
		const struct cfg_rule_set *prev = &fw->sets[port->fw_sets[dir][port->n_fw_sets[dir] - 1]];

		if (prev->def != CFG_FW_NEXT)
			return fail(ld, line_of(n),
				    "rule set %s is never reached: %s, before it, decides every "
				    "frame (default %s; next would go on)",
				    name, prev->name, prev->def == CFG_FW_ALLOW ? "allow" :
						      prev->def == CFG_FW_REJECT ? "reject" : "drop");
	}
	port->fw_sets[dir][port->n_fw_sets[dir]++] = s;
	return 0;
}

/* The rules the sets of (port, direction) compile to (src/ctl/fwsync.c
 * lays them out so): each set's rules, then one default (the first set
 * that decides, or a drop after a last next; sets after a deciding one are
 * refused); a direction without sets on a port with some the other way,
 * one stateful allow. */
uint32_t cfg_fw_bind_len(const struct cfg *c, const struct cfg_port *cp, int dir)
{
	uint32_t n = 0;
	int k;

	if (!cp->n_fw_sets[dir])
		return cp->n_fw_sets[dir ^ 1] ? 1 : 0;
	for (k = 0; k < cp->n_fw_sets[dir]; k++) {
		const struct cfg_rule_set *rs = &c->fw.sets[cp->fw_sets[dir][k]];

		n += (uint32_t)rs->n_rules;
		if (rs->def != CFG_FW_NEXT)
			break;
	}
	return n + 1;
}

/* ports.NAME.firewall.to-vm / from-vm: a set name or a list of them. */
static int attach(struct loader *ld, yaml_node_t *n, struct cfg_port *port, int dir)
{
	struct cfg_fw *fw = &ld->c->fw;
	uint32_t compiled;
	size_t i, len, mark;
	yaml_node_t *in;
	int r;

	if (n->type == YAML_MAPPING_NODE)
		return bad(ld, n, "a rule set name or a list of them");
	len = list_len(n);
	if (len > CFG_FW_MAX_SETS_PER_DIR)
		return fail(ld, line_of(n), "lists %zu rule sets; at most %d per direction", len,
			    CFG_FW_MAX_SETS_PER_DIR);
	for (i = 0; i < len; i++) {
		r = list_item(ld, n, i, &in, &mark);
		if (!r)
			r = attach_set(ld, in, port, dir);
		path_pop(ld, mark);
		if (r)
			return r;
	}
	if (!port->n_fw_sets[dir])
		return 0;
	compiled = cfg_fw_bind_len(ld->c, port, dir);
	if (compiled > XVS_ACL_MAX_PER_BIND)
		return fail(ld, line_of(n),
			    "%u rules to walk (those of the sets, and one default: the deciding "
			    "set's, or the drop after a last next); a port and direction walk at "
			    "most %d",
			    compiled, XVS_ACL_MAX_PER_BIND);
	fw->n_compiled += compiled;
	if (fw->n_compiled > XVS_ACL_MAX_RULES)
		return fail(ld, line_of(n),
			    "with these, the ports' rule sets compile to %u rules; at most %d fit, "
			    "for all ports and directions together",
			    fw->n_compiled, XVS_ACL_MAX_RULES);
	return 0;
}

static int parse_to_vm(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	(void)k;
	return attach(ld, n, base, XVS_FW_TO_VM);
}

static int parse_from_vm(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	(void)k;
	return attach(ld, n, base, XVS_FW_FROM_VM);
}

static const struct key port_fw_keys[] = {
	{ .name = "to-vm", .parse = parse_to_vm },
	{ .name = "from-vm", .parse = parse_from_vm },
};

static const struct section port_fw_section = SECTION(port_fw_keys);

/* ports.NAME.firewall: kept for cfg_fw_resolve, as it names rule sets. */
int cfg_fw_parse_port(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_port *port = base;

	(void)k;
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return bad(ld, n, "a mapping {to-vm: RULE SETS, from-vm: RULE SETS}");
	ld->fw_node[port - ld->c->ports] = n;
	port->fw_line = line_of(n);
	return 0;
}

int cfg_fw_resolve(struct loader *ld)
{
	struct cfg *c = ld->c;
	struct cfg_port *port;
	size_t mark;
	int i, r;

	for (i = 0; i < c->n_ports; i++) {
		port = &c->ports[i];
		if (ld->fw_node[i]) {
			mark = path_key(ld, "ports");
			path_key(ld, port->name);
			path_key(ld, "firewall");
			r = walk_map(ld, ld->fw_node[i], port, &port_fw_section);
			path_pop(ld, mark);
			if (r)
				return r;
		}
		if (port->n_fw_sets[XVS_FW_TO_VM] || port->n_fw_sets[XVS_FW_FROM_VM] ||
		    port->spoof.on)
			c->fw.on = true;
		/* the other way's stateful allow of a port with sets one way */
		if (!port->n_fw_sets[XVS_FW_TO_VM] != !port->n_fw_sets[XVS_FW_FROM_VM] &&
		    ++c->fw.n_compiled > XVS_ACL_MAX_RULES)
			return fail(ld, port->line,
				    "ports.%s: with the stateful allow of the direction it has no "
				    "rule sets for, the ports' rule sets compile to %u rules; at "
				    "most %d fit",
				    port->name, c->fw.n_compiled, XVS_ACL_MAX_RULES);
	}
	return 0;
}

_Static_assert(ARRAY_SIZE(rule_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(set_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(fw_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(conntrack_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(timeout_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(spoof_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(port_fw_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
