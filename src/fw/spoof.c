// SPDX-License-Identifier: GPL-2.0-only
/*
 * spoof: the anti-spoofing check of frames a VM sends (rules in spoof.h).
 * Everything read from the frame is bounded by caplen and, inside an IP
 * packet, by the packet's own length: Ethernet padding is not a header.
 */
#include "fw/spoof.h"

#include <errno.h>
#include <string.h>

#define ARP_LEN 28 /* IPv4 over Ethernet */
#define ARP_HW_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

#define DHCP4_SERVER_PORT 67
#define DHCP4_CLIENT_PORT 68
#define BOOTREQUEST 1
#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547
#define UDP_HLEN 8

#define ICMP6_MLD_REPORT 131
#define ICMP6_MLD_DONE 132
#define ICMP6_RS 133
#define ICMP6_RA 134
#define ICMP6_NS 135
#define ICMP6_NA 136
#define ICMP6_REDIRECT 137
#define ICMP6_MLD2_REPORT 143
#define ND_RS_LEN 8 /* fixed part, before the options */
#define ND_NS_LEN 24 /* also NA: header, flags/reserved, target */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2

/* Tries at the learning lock: its holder copies at most 16 bytes. */
#define SPOOF_LEARN_SPINS 1024

const char *const spoof_reason_names[SPOOF_REASON_MAX] = {
	[SPOOF_OK] = "ok",
#define SPOOF_X(name, desc) [SPOOF_##name] = #name,
	SPOOF_REASONS(SPOOF_X)
#undef SPOOF_X
};

const char *const spoof_reason_descs[SPOOF_REASON_MAX] = {
	[SPOOF_OK] = "allowed",
#define SPOOF_X(name, desc) [SPOOF_##name] = desc,
	SPOOF_REASONS(SPOOF_X)
#undef SPOOF_X
};

/* How an address is used, which decides whether it may be learned. */
enum use {
	USE_SOURCE, /* a source or an ARP sender: learned if the family is open */
	USE_PROBE, /* an ARP probe's or DAD's target: any valid one while the family is open */
	USE_CLAIM, /* an NA's target: must be an address of the port already */
};

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static bool is_zero(const uint8_t *a, size_t n)
{
	size_t i;
	uint8_t acc = 0;

	for (i = 0; i < n; i++)
		acc |= a[i];
	return !acc;
}

/* ---- the learned state ----------------------------------------------------- */

/* Bounded: a worker never waits for long (the holder may be preempted). */
static bool learn_lock(struct spoof_state *s)
{
	unsigned int i;

	for (i = 0; i < SPOOF_LEARN_SPINS; i++) {
		if (!__atomic_load_n(&s->lock, __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
			return true;
		relax();
	}
	return false;
}

static void learn_unlock(struct spoof_state *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static uint32_t have_of(const struct spoof_state *s)
{
	/* pairs with the release store in learn(): a bit seen set means its
	 * slot's bytes are there */
	return __atomic_load_n(&s->have, __ATOMIC_ACQUIRE);
}

/*
 * Keep val (n bytes) in the slot of bit unless another worker has filled
 * it first. Returns the bits after: the caller compares with whichever
 * value won. Without the lock nothing is learned and the slot may still be
 * empty.
 */
static uint32_t learn(struct spoof_state *s, uint32_t bit, uint8_t *slot, const uint8_t *val,
		      size_t n)
{
	uint32_t have;

	if (!learn_lock(s))
		return have_of(s);
	have = __atomic_load_n(&s->have, __ATOMIC_RELAXED); /* writers hold the lock */
	if (!(have & bit)) {
		memcpy(slot, val, n);
		have |= bit;
		/* the slot before the bit: pairs with have_of() */
		__atomic_store_n(&s->have, have, __ATOMIC_RELEASE);
	}
	learn_unlock(s);
	return have;
}

void spoof_state_reset(struct spoof_state *s)
{
	/* under the lock: a learner still at work cannot put back bits it
	 * read before; the slots' bytes stay, meaningless without their bits */
	while (!learn_lock(s))
		;
	__atomic_store_n(&s->have, 0, __ATOMIC_RELEASE);
	learn_unlock(s);
}

static void fill_cidr(struct spoof_cidr *c, uint8_t family, const uint8_t *a, size_t n)
{
	memset(c, 0, sizeof(*c));
	c->family = family;
	c->plen = (uint8_t)(n * 8);
	memcpy(c->addr, a, n);
}

int spoof_learned(const struct spoof_state *s, uint8_t mac[6], struct spoof_cidr *ip4,
		  struct spoof_cidr *ip6, struct spoof_cidr *ll6)
{
	uint32_t have = have_of(s);

	if ((have & SPOOF_LEARNED_MAC) && mac)
		memcpy(mac, s->mac, 6);
	if ((have & SPOOF_LEARNED_IP4) && ip4)
		fill_cidr(ip4, 4, s->ip4, 4);
	if ((have & SPOOF_LEARNED_IP6) && ip6)
		fill_cidr(ip6, 6, s->ip6, 16);
	if ((have & SPOOF_LEARNED_LL6) && ll6)
		fill_cidr(ll6, 6, s->ll6, 16);
	return (int)have;
}

/* ---- addresses ------------------------------------------------------------- */

/* The first plen bits of x and y agree. */
static bool prefix_eq(const uint8_t *x, const uint8_t *y, unsigned int plen)
{
	unsigned int n = plen / 8, rem = plen % 8;

	if (memcmp(x, y, n))
		return false;
	return !rem || !((x[n] ^ y[n]) & (uint8_t)(0xff << (8 - rem)));
}

static bool in_list(const struct spoof_cidr *l, int n, const uint8_t *a, unsigned int bits)
{
	int i;

	for (i = 0; i < n && i < SPOOF_MAX_ADDRS; i++)
		if (prefix_eq(l[i].addr, a, l[i].plen < bits ? l[i].plen : bits))
			return true;
	return false;
}

/* Could be a host's own IPv4 address (not 0/8, 127/8, 224/4 and above). */
static bool ip4_unicast(const uint8_t *a)
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static const uint8_t ll_prefix[16] = { 0xfe, 0x80 };

static bool ip6_is_ll(const uint8_t *a)
{
	return prefix_eq(a, ll_prefix, 10);
}

/* Could be a host's own IPv6 address (not ::, ::1, ff00::/8, ::ffff:0:0/96). */
static bool ip6_unicast(const uint8_t *a)
{
	if (a[0] == 0xff)
		return false;
	if (!is_zero(a, 10))
		return true;
	if (a[10] == 0xff && a[11] == 0xff)
		return false; /* IPv4-mapped */
	return !is_zero(a + 10, 5) || a[15] > 1;
}

/* fe80::/64 with the modified EUI-64 interface identifier of mac. */
static bool is_eui64_ll(const uint8_t *a, const uint8_t *mac)
{
	return prefix_eq(a, ll_prefix, 64) && a[8] == (mac[0] ^ 0x02) && a[9] == mac[1] &&
	       a[10] == mac[2] && a[11] == 0xff && a[12] == 0xfe && a[13] == mac[3] &&
	       a[14] == mac[4] && a[15] == mac[5];
}

/*
 * a is the one in slot (of bit) — learning it first if open and use says
 * so. Returns whether it is.
 */
static bool slot_ok(struct spoof_state *s, uint32_t bit, uint8_t *slot, const uint8_t *a, size_t n,
		    bool open, enum use use)
{
	uint32_t have = have_of(s);

	if (!(have & bit)) {
		if (!open || use == USE_CLAIM)
			return false;
		if (use == USE_PROBE)
			return true;
		have = learn(s, bit, slot, a, n);
	}
	return (have & bit) && !memcmp(slot, a, n);
}

static bool ip4_ok(const struct spoof_policy *p, struct spoof_state *s, const uint8_t *a,
		   enum use use)
{
	if (!ip4_unicast(a))
		return false;
	if (in_list(p->ip4, p->n_ip4, a, 32))
		return true;
	return slot_ok(s, SPOOF_LEARNED_IP4, s->ip4, a, 4, p->learn && p->n_ip4 <= 0, use);
}

/* mac: the port's (the frame's source, checked before). */
static bool ip6_ok(const struct spoof_policy *p, struct spoof_state *s, const uint8_t *mac,
		   const uint8_t *a, enum use use)
{
	if (!ip6_unicast(a))
		return false;
	if (in_list(p->ip6, p->n_ip6, a, 128))
		return true;
	if (ip6_is_ll(a))
		/* learned only while the family has nothing configured: a
		 * listed family is closed, link-local included (list it) */
		return is_eui64_ll(a, mac) || slot_ok(s, SPOOF_LEARNED_LL6, s->ll6, a, 16,
						      p->learn && p->n_ip6 <= 0, use);
	return slot_ok(s, SPOOF_LEARNED_IP6, s->ip6, a, 16, p->learn && p->n_ip6 <= 0, use);
}

/* ---- Ethernet and ARP ------------------------------------------------------ */

static int check_mac(const struct spoof_policy *p, struct spoof_state *s, const uint8_t *src)
{
	if (src[0] & 1)
		return SPOOF_SRC_MAC; /* a group address is nobody's source */
	if (p->have_mac)
		return memcmp(src, p->mac, 6) ? SPOOF_SRC_MAC : SPOOF_OK;
	if (!p->learn || is_zero(src, 6))
		return SPOOF_SRC_MAC;
	return slot_ok(s, SPOOF_LEARNED_MAC, s->mac, src, 6, true, USE_SOURCE) ? SPOOF_OK
									      : SPOOF_SRC_MAC;
}

static int check_arp(const struct spoof_policy *p, struct spoof_state *s,
		     const struct xvs_pkt *pkt, const uint8_t *f, uint32_t caplen)
{
	const uint8_t *a = f + XVS_ETH_HLEN, *spa = a + 14, *tpa = a + 24;
	uint16_t op;

	if (caplen < XVS_ETH_HLEN + ARP_LEN)
		return SPOOF_ARP;
	if (xvs_rd16(a) != ARP_HW_ETHER || xvs_rd16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4)
		return SPOOF_ARP;
	op = xvs_rd16(a + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return SPOOF_ARP;
	if (memcmp(a + 8, pkt->src, 6))
		return SPOOF_ARP; /* sender hardware address: the port's (checked) */
	if (is_zero(spa, 4)) /* a probe */
		return op == ARP_OP_REQUEST && ip4_ok(p, s, tpa, USE_PROBE) ? SPOOF_OK : SPOOF_ARP;
	return ip4_ok(p, s, spa, USE_SOURCE) ? SPOOF_OK : SPOOF_ARP;
}

/* ---- IPv4 ------------------------------------------------------------------ */

/* What a DHCP client without a lease sends from 0.0.0.0. */
static bool dhcp4_client_unbound(const struct xvs_pkt *pkt)
{
	return pkt->l4proto == IPPROTO_UDP && pkt->l4_off && !(pkt->flags & XVS_PKT_F_FRAG) &&
	       pkt->sport == DHCP4_CLIENT_PORT && pkt->dport == DHCP4_SERVER_PORT &&
	       pkt->daddr[0] == 0xffffffffu;
}

static int check_ip4(const struct spoof_policy *p, struct spoof_state *s,
		     const struct xvs_pkt *pkt, const uint8_t *f, uint32_t caplen)
{
	const uint8_t *sa = (const uint8_t *)pkt->saddr;
	uint32_t ip_end, at;

	if (pkt->l3 != XVS_L3_IP4 || (uint32_t)pkt->l3_off + XVS_IP4_HLEN > caplen)
		return SPOOF_TRUNC;
	if (is_zero(sa, 4)) {
		if (!dhcp4_client_unbound(pkt))
			return SPOOF_IP4_SRC;
	} else if (!ip4_ok(p, s, sa, USE_SOURCE)) {
		return SPOOF_IP4_SRC;
	}

	if (pkt->l4proto != IPPROTO_UDP || !pkt->l4_off || p->dhcp_server)
		return SPOOF_OK;
	if (pkt->sport == DHCP4_SERVER_PORT || pkt->dport == DHCP4_CLIENT_PORT)
		return SPOOF_DHCP_SERVER;
	if (pkt->dport != DHCP4_SERVER_PORT)
		return SPOOF_OK;
	/* to a server (or a relay): must be a BOOTREQUEST */
	ip_end = (uint32_t)pkt->l3_off + xvs_rd16(f + pkt->l3_off + 2);
	at = (uint32_t)pkt->l4_off + UDP_HLEN;
	if (at >= ip_end || at >= caplen)
		return SPOOF_TRUNC;
	return f[at] == BOOTREQUEST ? SPOOF_OK : SPOOF_DHCP_SERVER;
}

/* ---- IPv6 ------------------------------------------------------------------ */

/*
 * The options of an ND message in [off, end), end within the copy: well
 * formed, every link-layer address option the port's MAC, and with
 * no_slla no source link-layer address at all.
 */
static bool nd_opts_ok(const uint8_t *f, uint32_t off, uint32_t end, const uint8_t *mac,
		       bool no_slla)
{
	uint32_t len;
	unsigned int i;

	for (i = 0; i < SPOOF_ND_MAX_OPTS && off < end; i++) {
		if (off + 2 > end)
			return false;
		len = f[off + 1] * 8u;
		if (!len || off + len > end)
			return false;
		if (f[off] == ND_OPT_SLLA && no_slla)
			return false;
		if ((f[off] == ND_OPT_SLLA || f[off] == ND_OPT_TLLA) && memcmp(f + off + 2, mac, 6))
			return false;
		off += len;
	}
	return off >= end;
}

static bool is_solicited_node_of(const uint8_t *dst, const uint8_t *target)
{
	static const uint8_t sn[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };

	return !memcmp(dst, sn, sizeof(sn)) && !memcmp(dst + 13, target + 13, 3);
}

/* From ::: duplicate address detection and MLD, as Linux sends them. */
static int check_unspec6(const struct spoof_policy *p, struct spoof_state *s,
			 const struct xvs_pkt *pkt, const uint8_t *f, uint32_t caplen,
			 uint32_t ip_end)
{
	const uint8_t *da = (const uint8_t *)pkt->daddr, *target;

	if (pkt->l4proto != IPPROTO_ICMPV6 || !pkt->l4_off || (pkt->flags & XVS_PKT_F_FRAG))
		return SPOOF_IP6_SRC;
	switch (pkt->icmp_type) {
	case ICMP6_MLD_REPORT:
	case ICMP6_MLD_DONE:
	case ICMP6_MLD2_REPORT:
		return da[0] == 0xff ? SPOOF_OK : SPOOF_IP6_SRC;
	case ICMP6_NS:
		break;
	default:
		return SPOOF_IP6_SRC;
	}
	if (ip_end > caplen || (uint32_t)pkt->l4_off + ND_NS_LEN > ip_end)
		return SPOOF_ND;
	target = f + pkt->l4_off + 8;
	if (!is_solicited_node_of(da, target) ||
	    !nd_opts_ok(f, pkt->l4_off + ND_NS_LEN, ip_end, pkt->src, true) ||
	    !ip6_ok(p, s, pkt->src, target, USE_PROBE))
		return SPOOF_ND;
	return SPOOF_OK;
}

static int check_icmp6(const struct spoof_policy *p, struct spoof_state *s,
		       const struct xvs_pkt *pkt, const uint8_t *f, uint32_t caplen,
		       uint32_t ip_end)
{
	uint32_t fixed;

	switch (pkt->icmp_type) {
	case ICMP6_RA:
	case ICMP6_REDIRECT:
		return p->router_adv ? SPOOF_OK : SPOOF_RA;
	case ICMP6_RS:
		fixed = ND_RS_LEN;
		break;
	case ICMP6_NS:
	case ICMP6_NA:
		fixed = ND_NS_LEN;
		break;
	default:
		return SPOOF_OK;
	}
	if ((pkt->flags & XVS_PKT_F_FRAG) || ip_end > caplen ||
	    (uint32_t)pkt->l4_off + fixed > ip_end)
		return SPOOF_ND;
	if (pkt->icmp_type == ICMP6_NA && !ip6_ok(p, s, pkt->src, f + pkt->l4_off + 8, USE_CLAIM))
		return SPOOF_ND;
	return nd_opts_ok(f, pkt->l4_off + fixed, ip_end, pkt->src, false) ? SPOOF_OK : SPOOF_ND;
}

/* RFC 8415 client messages, the only ones a VM may send to a server. */
static bool dhcp6_client_msg(uint8_t type)
{
	switch (type) {
	case 1: /* SOLICIT */
	case 3: /* REQUEST */
	case 4: /* CONFIRM */
	case 5: /* RENEW */
	case 6: /* REBIND */
	case 8: /* RELEASE */
	case 9: /* DECLINE */
	case 11: /* INFORMATION-REQUEST */
		return true;
	default:
		return false;
	}
}

static int check_dhcp6(const struct xvs_pkt *pkt, const uint8_t *f, uint32_t caplen,
		       uint32_t ip_end)
{
	uint32_t at = (uint32_t)pkt->l4_off + UDP_HLEN;

	if (pkt->sport == DHCP6_SERVER_PORT || pkt->dport == DHCP6_CLIENT_PORT)
		return SPOOF_DHCP_SERVER;
	if (pkt->dport != DHCP6_SERVER_PORT)
		return SPOOF_OK;
	if (at >= ip_end || at >= caplen)
		return SPOOF_TRUNC;
	return dhcp6_client_msg(f[at]) ? SPOOF_OK : SPOOF_DHCP_SERVER;
}

static int check_ip6(const struct spoof_policy *p, struct spoof_state *s,
		     const struct xvs_pkt *pkt, const uint8_t *f, uint32_t caplen)
{
	const uint8_t *sa = (const uint8_t *)pkt->saddr;
	uint32_t ip_end;

	if (pkt->l3 != XVS_L3_IP6 || (uint32_t)pkt->l3_off + XVS_IP6_HLEN > caplen)
		return SPOOF_TRUNC;
	ip_end = (uint32_t)pkt->l3_off + XVS_IP6_HLEN + xvs_rd16(f + pkt->l3_off + 4);
	if (is_zero(sa, 16))
		return check_unspec6(p, s, pkt, f, caplen, ip_end);
	if (!ip6_ok(p, s, pkt->src, sa, USE_SOURCE))
		return SPOOF_IP6_SRC;
	if (!pkt->l4_off)
		return SPOOF_OK; /* no L4 header: a later fragment, or not one we look into */
	if (pkt->l4proto == IPPROTO_ICMPV6)
		return check_icmp6(p, s, pkt, f, caplen, ip_end);
	if (pkt->l4proto == IPPROTO_UDP && !p->dhcp_server)
		return check_dhcp6(pkt, f, caplen, ip_end);
	return SPOOF_OK;
}

/* ---- the check ------------------------------------------------------------- */

int spoof_check(const struct spoof_policy *p, struct spoof_state *s, const struct xvs_pkt *pkt,
		const uint8_t *frame, uint32_t caplen)
{
	int r;

	if (!p->on)
		return SPOOF_OK;
	if (caplen < XVS_ETH_HLEN)
		return SPOOF_TRUNC;
	if (pkt->n_vlan)
		return SPOOF_VLAN;
	r = check_mac(p, s, pkt->src);
	if (r)
		return r;
	/* from here on pkt->src is the port's MAC */
	switch (pkt->ethertype) {
	case ETH_P_ARP:
		return check_arp(p, s, pkt, frame, caplen);
	case ETH_P_IP:
		return check_ip4(p, s, pkt, frame, caplen);
	case ETH_P_IPV6:
		return check_ip6(p, s, pkt, frame, caplen);
	default:
		return SPOOF_OK;
	}
}

/* ---- the policy ------------------------------------------------------------ */

static int cidrs_ok(const struct spoof_cidr *l, int n, uint8_t family, unsigned int bits)
{
	unsigned int nbytes = bits / 8, plen, i;
	uint8_t masked[16];
	int k;

	if (n < 0 || n > SPOOF_MAX_ADDRS)
		return -EINVAL;
	for (k = 0; k < n; k++) {
		plen = l[k].plen;
		if (l[k].family != family || plen > bits)
			return -EINVAL;
		/* host bits zero: the address equals its prefix */
		memcpy(masked, l[k].addr, nbytes);
		for (i = 0; i < nbytes; i++)
			if (i * 8 >= plen)
				masked[i] = 0;
			else if (plen - i * 8 < 8)
				masked[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
		if (memcmp(masked, l[k].addr, nbytes))
			return -EINVAL;
	}
	return 0;
}

int spoof_policy_validate(const struct spoof_policy *p)
{
	if (p->have_mac && ((p->mac[0] & 1) || is_zero(p->mac, 6)))
		return -EINVAL;
	if (cidrs_ok(p->ip4, p->n_ip4, 4, 32) || cidrs_ok(p->ip6, p->n_ip6, 6, 128))
		return -EINVAL;
	return 0;
}
