/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frame parser shared by the XDP program and userspace (the forwarder, the
 * firewall, the tests): one parser, so both sides see the same fields and
 * reject the same frames.
 *
 * Every access is preceded by a bounds check against `end` (the end of the
 * bytes that may be read: the linear part in XDP) and lengths claimed by
 * headers are checked against `len` (the whole frame, which for an XDP
 * multi-buffer frame extends past `end`). Offsets are scalars clamped before
 * each use, which is also what keeps the BPF verifier's ranges bounded.
 *
 * Result: XVS_REASON_OK, or the XVS_REASON_* of the first defect found.
 */
#ifndef XVS_PARSE_H
#define XVS_PARSE_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <xvs/compiler.h>
#include <xvs/xdp.h>

/* Headers are beyond this offset only in frames we refuse to parse; it is
 * what bounds every offset the verifier must reason about. */
#define XVS_PARSE_MAX_OFF 1024

#define XVS_ETH_HLEN 14
#define XVS_VLAN_HLEN 4
#define XVS_IP4_HLEN 20
#define XVS_IP6_HLEN 40
#define XVS_ETH_P_8021Q 0x8100
#define XVS_ETH_P_8021AD 0x88A8
#define XVS_IP4_MF 0x2000
#define XVS_IP4_OFFMASK 0x1fff

enum xvs_l3 {
	XVS_L3_NONE = 0, /* not IP: only L2 fields are valid */
	XVS_L3_IP4 = 4,
	XVS_L3_IP6 = 6,
};

enum xvs_pkt_flags {
	XVS_PKT_F_FRAG = 1u << 0, /* an IP fragment */
	XVS_PKT_F_LATER_FRAG = 1u << 1, /* not the first: no L4 header */
	XVS_PKT_F_BCAST = 1u << 2, /* destination ff:ff:ff:ff:ff:ff */
	XVS_PKT_F_MCAST = 1u << 3, /* group bit set (broadcast included) */
};

/* What the parser found; the firewall matches on these fields. */
struct xvs_pkt {
	__u8 dst[6];
	__u8 src[6];
	__u16 vlan[XVS_MAX_VLANS]; /* VIDs, outer first */
	__u16 ethertype; /* host order, after the VLAN tags */
	__u8 n_vlan;
	__u8 l3; /* enum xvs_l3 */
	__u8 l4proto; /* IPPROTO_*, 0 if none */
	__u8 flags; /* enum xvs_pkt_flags */
	__u16 l3_off; /* offset of the IP header */
	__u16 l4_off; /* offset of the L4 header, 0 if none */
	__u16 sport; /* host order; 0 if none. ICMP echo: both the identifier */
	__u16 dport;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 tcp_flags; /* byte 13 of the TCP header */
	__u8 pad;
	__u32 saddr[4]; /* network order; IPv4 in [0] */
	__u32 daddr[4];
	__u32 frag_id; /* of a fragment (IPv4: 16 bits, IPv6: 32), host order */
};

/* The bytes at [off, off + n) are readable. */
#define XVS_HAVE(data, end, off, n) ((const __u8 *)(data) + (off) + (n) <= (const __u8 *)(end))

XVS_INLINE __u16 xvs_rd16(const __u8 *p)
{
	return (__u16)((p[0] << 8) | p[1]);
}

/* TCP flags (xvs_pkt.tcp_flags) */
#define XVS_TCP_FIN 0x01
#define XVS_TCP_SYN 0x02
#define XVS_TCP_RST 0x04
#define XVS_TCP_ACK 0x10

#define XVS_ICMP_ECHO_REPLY 0
#define XVS_ICMP_ECHO 8
#define XVS_ICMP6_ECHO 128
#define XVS_ICMP6_ECHO_REPLY 129

XVS_INLINE int xvs_icmp_is_echo(__u8 proto, __u8 type)
{
	if (proto == IPPROTO_ICMP)
		return type == XVS_ICMP_ECHO || type == XVS_ICMP_ECHO_REPLY;
	return type == XVS_ICMP6_ECHO || type == XVS_ICMP6_ECHO_REPLY;
}

/* The L4 header at off; the IP packet ends at ip_end (its claimed length:
 * what lies past it is Ethernet padding, never a header). */
XVS_INLINE int xvs_parse_l4(const void *data, const void *end, __u32 off, __u32 ip_end,
			    struct xvs_pkt *pkt)
{
	const __u8 *p;
	__u32 need;

	if (off > XVS_PARSE_MAX_OFF)
		return XVS_REASON_L4_TRUNC;
	switch (pkt->l4proto) {
	case IPPROTO_TCP:
		need = 20;
		break;
	case IPPROTO_SCTP:
		need = 12;
		break;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		need = 8;
		break;
	default:
		need = 0;
	}
	if (off + need > ip_end)
		return XVS_REASON_L4_TRUNC;
	p = (const __u8 *)data + off;

	switch (pkt->l4proto) {
	case IPPROTO_TCP:
		/* the whole fixed header: the firewall reads flags */
		if (!XVS_HAVE(data, end, off, 20) || (p[12] >> 4) < 5)
			return XVS_REASON_L4_TRUNC;
		pkt->tcp_flags = p[13];
		break;
	case IPPROTO_UDP:
	case IPPROTO_SCTP: /* ports where UDP has them; the 12-byte common header */
		if (!XVS_HAVE(data, end, off, pkt->l4proto == IPPROTO_UDP ? 8 : 12))
			return XVS_REASON_L4_TRUNC;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!XVS_HAVE(data, end, off, 8))
			return XVS_REASON_L4_TRUNC;
		pkt->icmp_type = p[0];
		pkt->icmp_code = p[1];
		pkt->l4_off = (__u16)off;
		/* echo request/reply: the identifier pairs them (conntrack) */
		if (xvs_icmp_is_echo(pkt->l4proto, p[0]))
			pkt->sport = pkt->dport = xvs_rd16(p + 4);
		return XVS_REASON_OK;
	default:
		return XVS_REASON_OK; /* a protocol we do not look into */
	}
	pkt->sport = xvs_rd16(p);
	pkt->dport = xvs_rd16(p + 2);
	pkt->l4_off = (__u16)off;
	return XVS_REASON_OK;
}

XVS_INLINE int xvs_parse_ip4(const void *data, const void *end, __u32 len, __u32 off,
			     struct xvs_pkt *pkt)
{
	const __u8 *p;
	__u32 ihl, tot, frag;

	if (off > XVS_PARSE_MAX_OFF || !XVS_HAVE(data, end, off, XVS_IP4_HLEN))
		return XVS_REASON_IP4_TRUNC;
	p = (const __u8 *)data + off;
	ihl = (__u32)(p[0] & 0x0f) * 4;
	tot = xvs_rd16(p + 2);
	if ((p[0] >> 4) != 4 || ihl < XVS_IP4_HLEN || tot < ihl)
		return XVS_REASON_IP4_HDR;
	if (off + tot > len)
		return XVS_REASON_IP4_TRUNC;
	if (!XVS_HAVE(data, end, off, ihl))
		return XVS_REASON_IP4_TRUNC; /* options cut off */

	pkt->l3 = XVS_L3_IP4;
	pkt->l3_off = (__u16)off;
	pkt->l4proto = p[9];
	__builtin_memcpy(&pkt->saddr[0], p + 12, 4);
	__builtin_memcpy(&pkt->daddr[0], p + 16, 4);

	frag = xvs_rd16(p + 6);
	if (frag & (XVS_IP4_MF | XVS_IP4_OFFMASK)) {
		pkt->flags |= XVS_PKT_F_FRAG;
		pkt->frag_id = xvs_rd16(p + 4);
	}
	if (frag & XVS_IP4_OFFMASK) {
		pkt->flags |= XVS_PKT_F_LATER_FRAG;
		return XVS_REASON_OK;
	}
	return xvs_parse_l4(data, end, off + ihl, off + tot, pkt);
}

XVS_INLINE int xvs_ip6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH;
}

XVS_INLINE int xvs_parse_ip6(const void *data, const void *end, __u32 len, __u32 off,
			     struct xvs_pkt *pkt)
{
	const __u8 *p;
	__u32 plen, hlen, i, ip_end;
	__u8 nh;

	if (off > XVS_PARSE_MAX_OFF || !XVS_HAVE(data, end, off, XVS_IP6_HLEN))
		return XVS_REASON_IP6_TRUNC;
	p = (const __u8 *)data + off;
	if ((p[0] >> 4) != 6)
		return XVS_REASON_IP6_HDR;
	plen = xvs_rd16(p + 4);
	if (off + XVS_IP6_HLEN + plen > len)
		return XVS_REASON_IP6_TRUNC;
	ip_end = off + XVS_IP6_HLEN + plen;

	pkt->l3 = XVS_L3_IP6;
	pkt->l3_off = (__u16)off;
	__builtin_memcpy(pkt->saddr, p + 8, 16);
	__builtin_memcpy(pkt->daddr, p + 24, 16);
	nh = p[6];
	off += XVS_IP6_HLEN;

	for (i = 0; i < XVS_IP6_MAX_EXT; i++) {
		if (!xvs_ip6_is_ext(nh))
			break;
		if (off > XVS_PARSE_MAX_OFF || off + 8 > ip_end || !XVS_HAVE(data, end, off, 8))
			return XVS_REASON_IP6_EXT_TRUNC;
		p = (const __u8 *)data + off;
		if (nh == IPPROTO_FRAGMENT) {
			hlen = 8;
			pkt->flags |= XVS_PKT_F_FRAG;
			pkt->frag_id = (__u32)xvs_rd16(p + 4) << 16 | xvs_rd16(p + 6);
			if (xvs_rd16(p + 2) & 0xfff8) {
				pkt->flags |= XVS_PKT_F_LATER_FRAG;
				pkt->l4proto = p[0];
				return XVS_REASON_OK;
			}
		} else if (nh == IPPROTO_AH) {
			hlen = ((__u32)p[1] + 2) * 4;
		} else {
			hlen = ((__u32)p[1] + 1) * 8;
		}
		if (off + hlen > ip_end)
			return XVS_REASON_IP6_EXT_TRUNC;
		nh = p[0];
		off += hlen;
	}
	if (xvs_ip6_is_ext(nh))
		return XVS_REASON_IP6_EXT_DEPTH;
	pkt->l4proto = nh;
	return xvs_parse_l4(data, end, off, ip_end, pkt);
}

/*
 * Parse the frame at [data, end) whose total length is len (>= end - data).
 * Fills *pkt (which the caller zeroes) as far as it got.
 */
XVS_INLINE int xvs_parse(const void *data, const void *end, __u32 len, struct xvs_pkt *pkt)
{
	const __u8 *p = (const __u8 *)data;
	__u16 proto;
	__u32 off, i;

	if (!XVS_HAVE(data, end, 0, XVS_ETH_HLEN))
		return XVS_REASON_RUNT;
	__builtin_memcpy(pkt->dst, p, 6);
	__builtin_memcpy(pkt->src, p + 6, 6);
	if (p[0] & 1) {
		pkt->flags |= XVS_PKT_F_MCAST;
		if ((p[0] & p[1] & p[2] & p[3] & p[4] & p[5]) == 0xff)
			pkt->flags |= XVS_PKT_F_BCAST;
	}
	proto = xvs_rd16(p + 12);
	off = XVS_ETH_HLEN;

	for (i = 0; i < XVS_MAX_VLANS + 1; i++) {
		if (proto != XVS_ETH_P_8021Q && proto != XVS_ETH_P_8021AD)
			break;
		if (i == XVS_MAX_VLANS)
			return XVS_REASON_VLAN_DEPTH;
		if (!XVS_HAVE(data, end, off, XVS_VLAN_HLEN))
			return XVS_REASON_VLAN_TRUNC;
		p = (const __u8 *)data + off;
		pkt->vlan[i] = xvs_rd16(p) & 0x0fff;
		pkt->n_vlan = (__u8)(i + 1);
		proto = xvs_rd16(p + 2);
		off += XVS_VLAN_HLEN;
	}
	pkt->ethertype = proto;

	switch (proto) {
	case ETH_P_IP:
		return xvs_parse_ip4(data, end, len, off, pkt);
	case ETH_P_IPV6:
		return xvs_parse_ip6(data, end, len, off, pkt);
	default:
		return XVS_REASON_OK;
	}
}

#endif /* XVS_PARSE_H */
