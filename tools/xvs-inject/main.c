// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvs-inject: build test frames with tools/lib/frame.h and send them on an
 * interface through an AF_PACKET socket (one sendto() per frame: this is a
 * test tool, not a traffic generator), or print them in hex.
 *
 *	xvs-inject -i veth0 --vlan 10 --ip4 10.99.1.2,10.99.1.1 --udp 5,6 --count 5
 *
 * Malformed frames are made by building a good one and cutting it
 * (--truncate), or by stacking more headers than a parser accepts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "frame.h"

#define INJ_MAX_VLANS 3
#define INJ_MAX_EXT 16
#define INJ_MIN_FRAME 60 /* Ethernet minimum without FCS */
#define INJ_SEQ_LEN 4 /* the sequence number at the start of the payload */
#define INJ_ETH_HLEN 14
#define INJ_TPID_8021Q 0x8100
#define INJ_TPID_8021AD 0x88a8
#define INJ_IPPROTO_NONE 59
/* A full veth ring drops the frame and sendto() says ENOBUFS: retry it,
 * INJ_RETRY_NS apart, for up to INJ_RETRY_MAX times per frame. */
#define INJ_RETRY_NS 100000
#define INJ_RETRY_MAX 20000

#define INJ_DEF_DST "ff:ff:ff:ff:ff:ff"
#define INJ_DEF_SRC "02:00:00:00:00:01"
#define INJ_DEF_IP4_SRC "10.0.0.1"
#define INJ_DEF_IP4_DST "10.0.0.2"
#define INJ_DEF_SPORT 1000
#define INJ_DEF_DPORT 2000

enum inj_l3 {
	INJ_L3_DEFAULT = 0, /* IPv4 with the default addresses */
	INJ_L3_RAW, /* --ethertype: no L3 header */
	INJ_L3_IP4,
	INJ_L3_IP6,
};

enum inj_l4 {
	INJ_L4_DEFAULT = 0, /* UDP, or nothing in a later fragment */
	INJ_L4_UDP,
	INJ_L4_TCP,
	INJ_L4_ICMP,
	INJ_L4_RAW, /* --ipproto: a protocol number, no header */
};

struct inj_ext {
	uint8_t type;
	uint16_t len;
};

struct inj_opts {
	const char *ifname;
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t vlan[INJ_MAX_VLANS];
	int n_vlan;
	int tpid; /* outer tag's TPID, 0 for the default */
	uint16_t ethertype;
	int l3; /* enum inj_l3 */
	char l3_src[INET6_ADDRSTRLEN];
	char l3_dst[INET6_ADDRSTRLEN];
	int ip4_opt; /* bytes of IPv4 options, -1 if not given */
	struct inj_ext ext[INJ_MAX_EXT];
	int n_ext;
	bool frag;
	uint16_t frag_off8;
	bool frag_more;
	int l4; /* enum inj_l4 */
	const char *l4_opt; /* the option that chose l4, for messages */
	uint16_t sport;
	uint16_t dport;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t ipproto;
	size_t size; /* 0: headers + seq, at least INJ_MIN_FRAME */
	long truncate; /* -1: none */
	bool bad_l4_csum; /* flip the L4 checksum once it is computed */
	unsigned long count;
	uint32_t seq;
	bool dump;
};

/* Long-only options get values above the char range. */
enum {
	OPT_VLAN = 256,
	OPT_TPID,
	OPT_ETHERTYPE,
	OPT_IP4,
	OPT_IP6,
	OPT_IP4_OPT,
	OPT_IP6_EXT,
	OPT_FRAG,
	OPT_UDP,
	OPT_TCP,
	OPT_ICMP,
	OPT_IPPROTO,
	OPT_SIZE,
	OPT_TRUNCATE,
	OPT_BAD_L4_CSUM,
	OPT_SEQ,
	OPT_DUMP,
};

static const struct option inj_lopts[] = {
	{ "iface", required_argument, NULL, 'i' },
	{ "dst", required_argument, NULL, 'd' },
	{ "src", required_argument, NULL, 's' },
	{ "vlan", required_argument, NULL, OPT_VLAN },
	{ "tpid", required_argument, NULL, OPT_TPID },
	{ "ethertype", required_argument, NULL, OPT_ETHERTYPE },
	{ "ip4", required_argument, NULL, OPT_IP4 },
	{ "ip6", required_argument, NULL, OPT_IP6 },
	{ "ip4-opt", required_argument, NULL, OPT_IP4_OPT },
	{ "ip6-ext", required_argument, NULL, OPT_IP6_EXT },
	{ "frag", required_argument, NULL, OPT_FRAG },
	{ "udp", required_argument, NULL, OPT_UDP },
	{ "tcp", required_argument, NULL, OPT_TCP },
	{ "icmp", required_argument, NULL, OPT_ICMP },
	{ "ipproto", required_argument, NULL, OPT_IPPROTO },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "truncate", required_argument, NULL, OPT_TRUNCATE },
	{ "bad-l4-csum", no_argument, NULL, OPT_BAD_L4_CSUM },
	{ "count", required_argument, NULL, 'c' },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "dump", no_argument, NULL, OPT_DUMP },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xvs-inject -i IFACE [OPTIONS]    send frames on IFACE (AF_PACKET)\n"
		"       xvs-inject --dump [OPTIONS]      print the first frame in hex\n"
		"\n"
		"Layer 2:\n"
		"  -i, --iface IFACE      interface to send on (needs CAP_NET_RAW)\n"
		"  -d, --dst MAC          destination (default " INJ_DEF_DST ")\n"
		"  -s, --src MAC          source (default " INJ_DEF_SRC ")\n"
		"      --vlan VID         add a VLAN tag, 0..4095; up to 3, the first is outermost\n"
		"      --tpid HEX         outer tag's TPID, 8100 or 88a8 (default: 88a8 with\n"
		"                         2 or more tags, else 8100; inner tags are 8100)\n"
		"      --ethertype HEX    raw ethertype and no L3 header (instead of --ip4/--ip6)\n"
		"Layer 3 (default: IPv4 " INJ_DEF_IP4_SRC " -> " INJ_DEF_IP4_DST "):\n"
		"      --ip4 SRC,DST      IPv4 header\n"
		"      --ip6 SRC,DST      IPv6 header\n"
		"      --ip4-opt BYTES    IPv4 options (NOPs), a multiple of 4, at most 40\n"
		"      --ip6-ext TYPE:LEN IPv6 extension header, repeatable (up to %d); TYPE is\n"
		"                         hop|0, rt|43, dst|60 (LEN a multiple of 8, 8..2048)\n"
		"                         or ah|51 (a multiple of 4, 8..1028)\n"
		"      --frag OFF8[,more] fragment: offset in 8-byte units, 'more' sets MF\n"
		"                         (IPv6: adds a fragment header after the others)\n"
		"Layer 4 (default: UDP %d -> %d; in a fragment with OFF8 > 0, protocol 59\n"
		"and no header):\n"
		"      --udp SPORT,DPORT\n"
		"      --tcp SPORT,DPORT  a SYN\n"
		"      --icmp TYPE[,CODE] ICMP, or ICMPv6 over --ip6\n"
		"      --ipproto N        IP protocol / next header N and no L4 header (with 1, 6,\n"
		"                         17 or 58 the payload gets that header's checksum)\n"
		"Frame:\n"
		"      --size N           total frame bytes (before --truncate), payload padded;\n"
		"                         default: headers + %d-byte seq, at least %d bytes\n"
		"      --truncate N       cut the finished frame to N bytes (malformed frames);\n"
		"                         AF_PACKET refuses frames shorter than %d bytes\n"
		"      --bad-l4-csum      a wrong TCP/UDP checksum (checksum tests)\n"
		"  -c, --count N          frames to send (default 1)\n"
		"      --seq START        payload sequence number (4 bytes, big endian, at the\n"
		"                         start of the payload) of the first frame, +1 per frame\n"
		"                         (default 0)\n"
		"      --dump             print the first frame in hex on stdout; -i not needed\n"
		"  -h, --help\n"
		"\n"
		"Exit status: 0 sent, 1 send or system error, 2 bad usage.\n",
		INJ_MAX_EXT, INJ_DEF_SPORT, INJ_DEF_DPORT, INJ_SEQ_LEN, INJ_MIN_FRAME, INJ_ETH_HLEN);
}

static int bad(const char *opt, const char *fmt, const char *arg)
{
	fprintf(stderr, "xvs-inject: %s: ", opt);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return -EINVAL;
}

/* An unsigned number in [min, max]; base 0 accepts 0x... too. */
static int parse_num(const char *opt, const char *s, int base, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	uint64_t v = 0;
	int err = args_u64(s, base, min, max, &v);

	*out = (unsigned long)v;
	if (err)
		fprintf(stderr, "xvs-inject: %s: '%s' is not a number in %lu..%lu%s\n", opt, s,
			min, max, base == 16 ? " (hex)" : "");
	return err ? -EINVAL : 0;
}

/* Split "A,B" into a and b (b may be absent if !need_b). */
static int split_pair(const char *opt, const char *s, char *a, size_t alen, char *b, size_t blen,
		      bool need_b)
{
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);

	if ((!comma && need_b) || n == 0 || (comma && !comma[1]))
		return bad(opt, need_b ? "'%s' is not of the form A,B" : "'%s' is not of the form A[,B]",
			   s);
	if (n >= alen || (comma && strlen(comma + 1) >= blen))
		return bad(opt, "'%s' is too long", s);
	memcpy(a, s, n);
	a[n] = '\0';
	b[0] = '\0';
	if (comma)
		strcpy(b, comma + 1);
	return 0;
}

static int parse_mac(const char *opt, const char *s, uint8_t mac[6])
{
	if (frame_parse_mac(s, mac))
		return bad(opt, "'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
	return 0;
}

static int parse_addrs(struct inj_opts *o, const char *opt, const char *s, int l3)
{
	int af = l3 == INJ_L3_IP4 ? AF_INET : AF_INET6;
	uint8_t tmp[16];
	int err;

	if (o->l3 != INJ_L3_DEFAULT)
		return bad(opt, "%s", "only one of --ip4, --ip6 and --ethertype may be given");
	err = split_pair(opt, s, o->l3_src, sizeof(o->l3_src), o->l3_dst, sizeof(o->l3_dst), true);
	if (err)
		return err;
	if (inet_pton(af, o->l3_src, tmp) != 1)
		return bad(opt, af == AF_INET ? "'%s' is not an IPv4 address" :
						"'%s' is not an IPv6 address", o->l3_src);
	if (inet_pton(af, o->l3_dst, tmp) != 1)
		return bad(opt, af == AF_INET ? "'%s' is not an IPv4 address" :
						"'%s' is not an IPv6 address", o->l3_dst);
	o->l3 = l3;
	return 0;
}

static int parse_ports(struct inj_opts *o, const char *opt, const char *s, int l4)
{
	char a[16], b[16];
	unsigned long v;
	int err;

	if (o->l4 != INJ_L4_DEFAULT)
		return bad(opt, "%s", "only one of --udp, --tcp, --icmp and --ipproto may be given");
	err = split_pair(opt, s, a, sizeof(a), b, sizeof(b), l4 != INJ_L4_ICMP);
	if (err)
		return err;
	if (l4 == INJ_L4_ICMP) {
		err = parse_num(opt, a, 0, 0, 255, &v);
		o->icmp_type = (uint8_t)v;
		if (!err && b[0]) {
			err = parse_num(opt, b, 0, 0, 255, &v);
			o->icmp_code = (uint8_t)v;
		}
	} else {
		err = parse_num(opt, a, 0, 0, 65535, &v);
		o->sport = (uint16_t)v;
		if (!err) {
			err = parse_num(opt, b, 0, 0, 65535, &v);
			o->dport = (uint16_t)v;
		}
	}
	if (err)
		return err;
	o->l4 = l4;
	o->l4_opt = opt;
	return 0;
}

static int parse_ext(struct inj_opts *o, const char *s)
{
	static const struct {
		const char *name;
		uint8_t type;
	} names[] = {
		{ "hop", 0 }, { "rt", 43 }, { "routing", 43 }, { "dst", 60 }, { "ah", 51 },
	};
	const char *opt = "--ip6-ext";
	char t[16], l[16];
	unsigned long type = 256, len;
	size_t i, unit, max;
	const char *colon = strchr(s, ':');
	int err;

	if (o->n_ext == INJ_MAX_EXT)
		return bad(opt, "more than %s extension headers", "16");
	if (!colon || colon == s || !colon[1] || (size_t)(colon - s) >= sizeof(t) ||
	    strlen(colon + 1) >= sizeof(l))
		return bad(opt, "'%s' is not of the form TYPE:LEN", s);
	memcpy(t, s, (size_t)(colon - s));
	t[colon - s] = '\0';
	strcpy(l, colon + 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(t, names[i].name))
			type = names[i].type;
	if (type == 256) {
		char *end;

		errno = 0;
		type = strtoul(t, &end, 0);
		if (errno || *end || t[0] == '-' || t[0] == '+')
			type = 256;
	}
	if (type != 0 && type != 43 && type != 60 && type != 51)
		return bad(opt, "type '%s' is not hop (0), rt (43), dst (60) or ah (51); "
				"use --frag for a fragment header", t);
	unit = type == 51 ? 4 : 8;
	max = type == 51 ? (255 + 2) * 4 : (255 + 1) * 8;
	err = parse_num(opt, l, 0, 8, max, &len);
	if (err)
		return err;
	if (len % unit)
		return bad(opt, unit == 4 ? "length %s is not a multiple of 4" :
					    "length %s is not a multiple of 8", l);
	o->ext[o->n_ext].type = (uint8_t)type;
	o->ext[o->n_ext].len = (uint16_t)len;
	o->n_ext++;
	return 0;
}

static int parse_frag(struct inj_opts *o, const char *s)
{
	char a[16], b[16];
	unsigned long v;
	int err;

	err = split_pair("--frag", s, a, sizeof(a), b, sizeof(b), false);
	if (err)
		return err;
	err = parse_num("--frag", a, 0, 0, 8191, &v);
	if (err)
		return err;
	if (b[0] && strcmp(b, "more"))
		return bad("--frag", "'%s' after the offset must be 'more'", b);
	o->frag = true;
	o->frag_off8 = (uint16_t)v;
	o->frag_more = b[0] != '\0';
	return 0;
}

static int parse_opt(struct inj_opts *o, int c, const char *arg)
{
	unsigned long v;
	int err;

	switch (c) {
	case 'i':
		if (!*arg || strlen(arg) >= IF_NAMESIZE)
			return bad("-i", "'%s' is not an interface name", arg);
		o->ifname = arg;
		return 0;
	case 'd':
		return parse_mac("--dst", arg, o->dst);
	case 's':
		return parse_mac("--src", arg, o->src);
	case OPT_VLAN:
		if (o->n_vlan == INJ_MAX_VLANS)
			return bad("--vlan", "more than %s tags", "3");
		err = parse_num("--vlan", arg, 10, 0, 4095, &v);
		o->vlan[o->n_vlan++] = (uint16_t)v;
		return err;
	case OPT_TPID:
		err = parse_num("--tpid", arg, 16, 0, 0xffff, &v);
		if (!err && v != INJ_TPID_8021Q && v != INJ_TPID_8021AD)
			return bad("--tpid", "'%s' is not 8100 or 88a8", arg);
		o->tpid = (int)v;
		return err;
	case OPT_ETHERTYPE:
		if (o->l3 != INJ_L3_DEFAULT)
			return bad("--ethertype", "%s",
				   "only one of --ip4, --ip6 and --ethertype may be given");
		err = parse_num("--ethertype", arg, 16, 0, 0xffff, &v);
		o->ethertype = (uint16_t)v;
		o->l3 = INJ_L3_RAW;
		return err;
	case OPT_IP4:
		return parse_addrs(o, "--ip4", arg, INJ_L3_IP4);
	case OPT_IP6:
		return parse_addrs(o, "--ip6", arg, INJ_L3_IP6);
	case OPT_IP4_OPT:
		err = parse_num("--ip4-opt", arg, 10, 0, 40, &v);
		if (!err && v % 4)
			return bad("--ip4-opt", "%s is not a multiple of 4", arg);
		o->ip4_opt = (int)v;
		return err;
	case OPT_IP6_EXT:
		return parse_ext(o, arg);
	case OPT_FRAG:
		return parse_frag(o, arg);
	case OPT_UDP:
		return parse_ports(o, "--udp", arg, INJ_L4_UDP);
	case OPT_TCP:
		return parse_ports(o, "--tcp", arg, INJ_L4_TCP);
	case OPT_ICMP:
		return parse_ports(o, "--icmp", arg, INJ_L4_ICMP);
	case OPT_IPPROTO:
		if (o->l4 != INJ_L4_DEFAULT)
			return bad("--ipproto", "%s",
				   "only one of --udp, --tcp, --icmp and --ipproto may be given");
		err = parse_num("--ipproto", arg, 0, 0, 255, &v);
		o->ipproto = (uint8_t)v;
		o->l4 = INJ_L4_RAW;
		o->l4_opt = "--ipproto";
		return err;
	case OPT_SIZE:
		err = parse_num("--size", arg, 10, INJ_ETH_HLEN, FRAME_MAX, &v);
		o->size = v;
		return err;
	case OPT_TRUNCATE:
		err = parse_num("--truncate", arg, 10, 0, FRAME_MAX, &v);
		o->truncate = (long)v;
		return err;
	case OPT_BAD_L4_CSUM:
		o->bad_l4_csum = true;
		return 0;
	case 'c':
		err = parse_num("--count", arg, 10, 1, ULONG_MAX, &v);
		o->count = v;
		return err;
	case OPT_SEQ:
		err = parse_num("--seq", arg, 0, 0, UINT32_MAX, &v);
		o->seq = (uint32_t)v;
		return err;
	case OPT_DUMP:
		o->dump = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Combinations that no single option can check. */
static int check_opts(struct inj_opts *o)
{
	if (!o->ifname && !o->dump)
		return bad("-i", "%s", "an interface is required (or --dump)");
	if (o->tpid && !o->n_vlan)
		return bad("--tpid", "%s", "needs at least one --vlan");
	if (o->l3 == INJ_L3_RAW && (o->l4 != INJ_L4_DEFAULT || o->frag))
		return bad(o->frag ? "--frag" : o->l4_opt, "%s",
			   "needs an IP header: --ip4 or --ip6, not --ethertype");
	if (o->l3 == INJ_L3_RAW && (o->ip4_opt >= 0 || o->n_ext))
		return bad(o->n_ext ? "--ip6-ext" : "--ip4-opt", "%s",
			   "needs an IP header: --ip4 or --ip6, not --ethertype");
	if (o->l3 == INJ_L3_DEFAULT) {
		strcpy(o->l3_src, INJ_DEF_IP4_SRC);
		strcpy(o->l3_dst, INJ_DEF_IP4_DST);
		o->l3 = INJ_L3_IP4;
	}
	if (o->ip4_opt >= 0 && o->l3 != INJ_L3_IP4)
		return bad("--ip4-opt", "%s", "needs IPv4, not --ip6");
	if (o->n_ext && o->l3 != INJ_L3_IP6)
		return bad("--ip6-ext", "%s", "needs --ip6");
	if (o->l4 == INJ_L4_DEFAULT && o->l3 != INJ_L3_RAW) {
		if (o->frag && o->frag_off8) {
			o->l4 = INJ_L4_RAW;
			o->ipproto = INJ_IPPROTO_NONE;
		} else {
			o->l4 = INJ_L4_UDP;
			o->sport = INJ_DEF_SPORT;
			o->dport = INJ_DEF_DPORT;
		}
	}
	return 0;
}

static void build_l3(const struct inj_opts *o, struct frame *f)
{
	int i;

	switch (o->l3) {
	case INJ_L3_RAW:
		frame_ethertype(f, o->ethertype);
		return;
	case INJ_L3_IP4:
		frame_ip4(f, o->l3_src, o->l3_dst, o->ip4_opt > 0 ? (size_t)o->ip4_opt : 0);
		if (o->frag)
			frame_ip4_frag(f, o->frag_off8, o->frag_more);
		return;
	case INJ_L3_IP6:
		frame_ip6(f, o->l3_src, o->l3_dst);
		for (i = 0; i < o->n_ext; i++)
			frame_ip6_ext(f, o->ext[i].type, o->ext[i].len);
		if (o->frag)
			frame_ip6_frag(f, o->frag_off8, o->frag_more);
		return;
	}
}

static void build_l4(const struct inj_opts *o, struct frame *f)
{
	switch (o->l4) {
	case INJ_L4_UDP:
		frame_udp(f, o->sport, o->dport);
		break;
	case INJ_L4_TCP:
		frame_tcp(f, o->sport, o->dport);
		break;
	case INJ_L4_ICMP:
		frame_icmp(f, o->icmp_type, o->icmp_code);
		break;
	case INJ_L4_RAW:
		frame_ipproto(f, o->ipproto);
		break;
	}
}

/* Build the frame with payload sequence number seq into f. Returns its
 * length, -EMSGSIZE if --size is smaller than the headers, or the builder's
 * error. */
static int build_frame(const struct inj_opts *o, uint32_t seq, struct frame *f)
{
	size_t payload, hdr;
	int i, ret;

	frame_init(f);
	frame_eth(f, o->dst, o->src);
	for (i = 0; i < o->n_vlan; i++) {
		uint16_t tpid = INJ_TPID_8021Q;

		if (i == 0)
			tpid = o->tpid ? (uint16_t)o->tpid :
			       o->n_vlan >= 2 ? INJ_TPID_8021AD : INJ_TPID_8021Q;
		frame_vlan(f, tpid, o->vlan[i]);
	}
	build_l3(o, f);
	build_l4(o, f);
	if (f->err)
		return f->err;

	hdr = f->len;
	if (o->size) {
		if (o->size < hdr)
			return -EMSGSIZE;
		payload = o->size - hdr;
	} else {
		payload = hdr + INJ_SEQ_LEN < INJ_MIN_FRAME ? INJ_MIN_FRAME - hdr : INJ_SEQ_LEN;
	}
	frame_payload(f, payload, seq);
	ret = frame_finish(f);
	if (ret < 0)
		return ret;
	if (o->bad_l4_csum) {
		size_t at = f->l4_off + (f->l4proto == IPPROTO_TCP ? 16 : 6);

		if (!f->l4_off || (f->l4proto != IPPROTO_TCP && f->l4proto != IPPROTO_UDP) ||
		    at + 2 > f->len)
			return -EPROTONOSUPPORT;
		f->buf[at] ^= 0x5a;
		if (!f->buf[at] && !f->buf[at + 1]) /* 0 would be UDP's "none" */
			f->buf[at + 1] = 1;
	}
	if (o->truncate >= 0 && (size_t)o->truncate < f->len)
		frame_resize(f, (size_t)o->truncate);
	return f->err ? f->err : (int)f->len;
}

static void dump_frame(const struct frame *f)
{
	size_t i;

	for (i = 0; i < f->len; i++) {
		if (i % 16 == 0)
			printf("%04zx ", i);
		printf(" %02x", f->buf[i]);
		if (i % 16 == 15 || i + 1 == f->len)
			putchar('\n');
	}
}

static int iface_mtu(int fd, const char *ifname)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	return ifr.ifr_mtu;
}

/* One frame; retried while the device's queue is full. Negative errno. */
static int send_frame(int fd, const struct sockaddr_ll *sll, const struct frame *f)
{
	const struct timespec pause = { .tv_nsec = INJ_RETRY_NS };
	int tries = 0;
	ssize_t n;

	for (;;) {
		n = sendto(fd, f->buf, f->len, 0, (const struct sockaddr *)sll, sizeof(*sll));
		if (n == (ssize_t)f->len)
			return 0;
		if (n >= 0)
			return -EIO; /* AF_PACKET sends all or nothing */
		if (errno == EINTR)
			continue;
		if ((errno != ENOBUFS && errno != EAGAIN) || ++tries > INJ_RETRY_MAX)
			return -errno;
		nanosleep(&pause, NULL);
	}
}

static void report_send_error(int fd, const struct inj_opts *o, size_t len, unsigned long sent,
			      int err)
{
	int mtu;

	fprintf(stderr, "xvs-inject: sendto %s (frame %lu of %lu, %zu bytes): %s", o->ifname,
		sent + 1, o->count, len, strerror(-err));
	if (err == -EMSGSIZE) {
		mtu = iface_mtu(fd, o->ifname);
		if (mtu > 0)
			fprintf(stderr, " (the frame exceeds the interface MTU %d + %d-byte header)",
				mtu, INJ_ETH_HLEN);
		else
			fprintf(stderr, " (the frame exceeds the interface MTU)");
	} else if (err == -EINVAL && len < INJ_ETH_HLEN) {
		fprintf(stderr, " (AF_PACKET refuses frames shorter than the %d-byte Ethernet header)",
			INJ_ETH_HLEN);
	} else if (err == -ENETDOWN) {
		fprintf(stderr, " (is the interface up?)");
	}
	fputc('\n', stderr);
}

static int open_socket(const struct inj_opts *o, struct sockaddr_ll *sll)
{
	unsigned int ifindex = if_nametoindex(o->ifname);
	int fd;

	if (!ifindex) {
		fprintf(stderr, "xvs-inject: -i: no interface '%s': %s\n", o->ifname,
			strerror(errno));
		return -ENODEV;
	}
	/* Protocol 0: this socket receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "xvs-inject: socket(AF_PACKET): %s%s\n", strerror(errno),
			errno == EPERM ? " (needs CAP_NET_RAW)" : "");
		return -errno;
	}
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_ifindex = (int)ifindex;
	sll->sll_halen = 6;
	memcpy(sll->sll_addr, o->dst, 6);
	return fd;
}

int main(int argc, char **argv)
{
	struct inj_opts o = {
		.ip4_opt = -1,
		.truncate = -1,
		.count = 1,
	};
	struct sockaddr_ll sll;
	unsigned long sent = 0;
	struct frame *f;
	int c, fd = -1, len, err, ret = 1;

	frame_parse_mac(INJ_DEF_DST, o.dst);
	frame_parse_mac(INJ_DEF_SRC, o.src);
	while ((c = getopt_long(argc, argv, "i:d:s:c:h", inj_lopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?' || parse_opt(&o, c, optarg)) {
			fprintf(stderr, "try 'xvs-inject --help'\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xvs-inject: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (check_opts(&o)) {
		fprintf(stderr, "try 'xvs-inject --help'\n");
		return 2;
	}

	f = malloc(sizeof(*f));
	if (!f) {
		fprintf(stderr, "xvs-inject: out of memory\n");
		return 1;
	}
	len = build_frame(&o, o.seq, f);
	if (len == -EMSGSIZE) {
		fprintf(stderr, "xvs-inject: --size: %zu is smaller than the headers (%zu bytes)\n",
			o.size, f->len);
		ret = 2;
		goto out_free;
	}
	if (len == -EPROTONOSUPPORT) {
		fprintf(stderr, "xvs-inject: --bad-l4-csum needs a TCP or UDP header (--tcp, --udp)\n");
		ret = 2;
		goto out_free;
	}
	if (len < 0) {
		fprintf(stderr, "xvs-inject: cannot build the frame: %s\n", strerror(-len));
		ret = 2;
		goto out_free;
	}
	if (o.truncate > len) {
		fprintf(stderr, "xvs-inject: --truncate: %ld is longer than the frame (%d bytes); "
				"use --size to grow it\n", o.truncate, len);
		ret = 2;
		goto out_free;
	}
	if (o.dump) {
		dump_frame(f);
		fflush(stdout);
	}
	if (!o.ifname) {
		ret = 0;
		goto out_free;
	}

	fd = open_socket(&o, &sll);
	if (fd < 0) {
		ret = fd == -ENODEV ? 2 : 1;
		goto out_free;
	}
	while (sent < o.count) {
		/* The length does not depend on seq: only the payload changes. */
		if (sent && build_frame(&o, o.seq + (uint32_t)sent, f) < 0) {
			fprintf(stderr, "xvs-inject: cannot build frame %lu\n", sent + 1);
			goto out_close;
		}
		err = send_frame(fd, &sll, f);
		if (err) {
			report_send_error(fd, &o, f->len, sent, err);
			goto out_close;
		}
		sent++;
	}
	printf("sent %lu frames of %d bytes on %s\n", sent, len, o.ifname);
	ret = 0;

out_close:
	close(fd);
out_free:
	free(f);
	return ret;
}
