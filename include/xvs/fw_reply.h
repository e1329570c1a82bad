/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The answer to a packet the firewall rejects (action `reject`): one source
 * for both sides, like the parser. XDP rewrites the rejected frame in place
 * into its answer and sends it back out (XDP_TX); the forwarder writes it
 * into a buffer of its own. Two steps, so that the answer may overwrite the
 * original:
 *
 *   xvs_reply_prepare(pkt, data, end, len, &r)   read all the answer needs
 *                                                 from the parsed original
 *   xvs_reply_len(&r)                             the answer's frame length
 *   xvs_reply_write(&r, out, end)                 write it, from r alone
 *
 *   TCP            ─► RST back (RFC 9293 §3.10.7.1, as from a CLOSED port):
 *                     ACK set:  <SEQ=SEG.ACK><CTL=RST>
 *                     else:     <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
 *                               (SEG.LEN counts SYN and FIN)
 *   any other IP   ─► ICMP destination unreachable, port unreachable
 *                     (type 3 code 3, RFC 792; ICMPv6 type 1 code 4,
 *                     RFC 4443 §3.1) quoting the original: IPv4 its header
 *                     and the 8 bytes after it (RFC 792, RFC 1812 §4.3.2.3),
 *                     IPv6 as much as fits XVS_REPLY_QUOTE_MAX
 *   not IP         ─► nothing
 *
 * The answer goes back where the original came from: MACs, IP addresses and
 * ports swapped, the VLAN tags as they were (TPID, PCP, DEI, VID), TTL / hop
 * limit 64, IPv4 with DF and id 0. A frame shorter than 60 bytes is padded
 * with zeros (the IP length does not count them): a NIC that does not pad
 * what XDP transmits would send a runt otherwise.
 *
 * No answer where RFC 1122 §3.2.2 and RFC 4443 §2.4(e) forbid an ICMP
 * error, and never a RST to a RST (RFC 9293 §3.10.7.1):
 *   - an ICMP or ICMPv6 error (ICMPv6: every type below 128; ICMP: the
 *     error types, and the types above 18, whose kind is not known);
 *   - a fragment but the first, and a first one of a TCP segment without
 *     ACK (the segment's length is not known);
 *   - a group (multicast, broadcast) or all-zero MAC on either side;
 *   - an address that is not one host's on either side (IPv4: 0/8, 127/8,
 *     224/4 multicast, 240/4 with the broadcast address; IPv6: ::, ::1,
 *     ff00::/8).
 * An answer is thus never aimed at a group nor sent from one, which also
 * keeps a rejecting port from being used as an amplifier (the rate limit,
 * xvs_fw_rl_take in <xvs/fw_eval.h>, bounds the rest).
 *
 * Checksums are computed from r's fields, never by reading the answer
 * back: writing reads nothing but r, so in XDP no loop runs over packet
 * memory but to copy the quote in and out (the loops, summing the quote in
 * r too, all bounded by XVS_REPLY_QUOTE_MAX).
 */
#ifndef XVS_FW_REPLY_H
#define XVS_FW_REPLY_H

#include <xvs/parse.h>

/* Bytes of the original an ICMP answer quotes at most. IPv4 quotes its
 * header (up to 60 bytes) + 8; IPv6 as much of the packet as RFC 4443
 * allows (the answer within the minimum MTU, 1280 bytes), capped here. */
#define XVS_REPLY_QUOTE_MAX 128
#define XVS_REPLY_TTL 64
#define XVS_ETH_ZLEN 60 /* the shortest Ethernet frame, without the FCS */
/* The longest answer: two tags, IPv6, ICMPv6 and a full quote. */
#define XVS_REPLY_MAX_LEN                                                      \
	(XVS_ETH_HLEN + XVS_MAX_VLANS * XVS_VLAN_HLEN + XVS_IP6_HLEN + 8 + XVS_REPLY_QUOTE_MAX)

_Static_assert(XVS_IP6_HLEN + 8 + XVS_REPLY_QUOTE_MAX <= 1280,
	       "an ICMPv6 answer must fit the IPv6 minimum MTU (RFC 4443 §2.4(c))");
_Static_assert(15 * 4 + 8 <= XVS_REPLY_QUOTE_MAX, "an IPv4 header with options + 8 bytes");
_Static_assert(XVS_ETH_HLEN + XVS_MAX_VLANS * XVS_VLAN_HLEN <= XVS_ETH_ZLEN, "L2 within 60 bytes");

#define XVS_ICMP_DEST_UNREACH 3
#define XVS_ICMP_PORT_UNREACH 3 /* code */
#define XVS_ICMP6_DEST_UNREACH 1
#define XVS_ICMP6_PORT_UNREACH 4 /* code */

enum xvs_reply_kind {
	XVS_REPLY_NONE = 0,
	XVS_REPLY_TCP_RST = 1,
	XVS_REPLY_UNREACH = 2, /* ICMP or ICMPv6 (by l3) port unreachable */
};

/* Everything the answer needs; what prepare did not set is zero. */
struct xvs_reply {
	__u8 dst[6]; /* the original's source MAC */
	__u8 src[6]; /* the original's destination MAC */
	__u16 tpid[XVS_MAX_VLANS]; /* the original's tags, outer first, host order */
	__u16 tci[XVS_MAX_VLANS];
	__u8 n_vlan;
	__u8 l3; /* XVS_L3_IP4 or XVS_L3_IP6 */
	__u8 kind; /* enum xvs_reply_kind */
	__u8 tcp_flags; /* RST, or RST|ACK */
	__u32 saddr[4]; /* network order: the original's destination; IPv4 in [0] */
	__u32 daddr[4]; /* the original's source */
	__u16 sport, dport; /* TCP, host order: the original's dport, sport */
	__u32 seq, ack; /* TCP, host order */
	__u8 icmp_type, icmp_code;
	__u16 quote_len; /* bytes of quote, at most XVS_REPLY_QUOTE_MAX */
	__u8 quote[XVS_REPLY_QUOTE_MAX]; /* the original from its IP header on */
};

XVS_INLINE __u32 xvs_rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

XVS_INLINE void xvs_wr16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

XVS_INLINE void xvs_wr32(__u8 *p, __u32 v)
{
	xvs_wr16(p, (__u16)(v >> 16));
	xvs_wr16(p + 2, (__u16)v);
}

/* ---- may this packet be answered? -------------------------------------- */

/* A MAC of one station: not a group address (broadcast too), not zero. */
XVS_INLINE int xvs_reply_mac_ok(const __u8 *m)
{
	return !(m[0] & 1) && (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* An address of one host (RFC 1122 §3.2.2, RFC 4443 §2.4(e)); a is in
 * network order. */
XVS_INLINE int xvs_reply_addr_ok(__u8 l3, const __u32 *a)
{
	const __u8 *b = (const __u8 *)a;
	__u32 i, zero = 0;

	if (l3 == XVS_L3_IP4) /* this network, loopback, multicast, class E */
		return b[0] != 0 && b[0] != 127 && b[0] < 224;
	if (b[0] == 0xff) /* multicast */
		return 0;
	for (i = 0; i < 15; i++)
		zero |= b[i];
	return zero || (b[15] != 0 && b[15] != 1); /* ::, ::1 */
}

/* An ICMP (proto 1) or ICMPv6 (58) message that may be answered: no
 * error, of either family (an ICMP header in the other family's packet is
 * judged as what it claims to be, so that no error is ever answered). */
XVS_INLINE int xvs_reply_icmp_ok(__u8 proto, __u8 type)
{
	if (proto == IPPROTO_ICMPV6) /* errors are 0..127 (RFC 4443 §2.1); nor a
					 * redirect (§2.4 e.2) */
		return type >= 128 && type != 137;
	/* the errors: unreachable, source quench, redirect, time exceeded,
	 * parameter problem (RFC 1812 §4.3.2.7); above 18, who knows */
	return type <= 18 && type != 3 && type != 4 && type != 5 && type != 11 && type != 12;
}

/* ---- prepare ------------------------------------------------------------ */

/* TCP: the RST; ip_off and ip_len: where the IP packet is, how long. */
XVS_INLINE int xvs_reply_tcp(const struct xvs_pkt *p, const __u8 *data, const __u8 *end,
			     __u32 ip_off, __u32 ip_len, struct xvs_reply *r)
{
	const __u8 *l4;
	__u32 off = p->l4_off, hl, seglen;
	__u8 f;

	if (!off || off > XVS_PARSE_MAX_OFF || off < ip_off)
		return -1;
	l4 = data + off;
	if (l4 + 20 > end)
		return -1;
	f = l4[13];
	if (f & XVS_TCP_RST)
		return -1;
	r->kind = XVS_REPLY_TCP_RST;
	r->sport = p->dport;
	r->dport = p->sport;
	if (f & XVS_TCP_ACK) {
		r->seq = xvs_rd32(l4 + 8);
		r->tcp_flags = XVS_TCP_RST;
		return 0;
	}
	/* SEG.LEN: what follows the TCP header in the IP packet. A fragment
	 * does not say how long its segment is: no answer then. */
	hl = off - ip_off + (__u32)(l4[12] >> 4) * 4;
	if ((p->flags & XVS_PKT_F_FRAG) || hl > ip_len)
		return -1;
	seglen = ip_len - hl + !!(f & XVS_TCP_SYN) + !!(f & XVS_TCP_FIN);
	r->ack = xvs_rd32(l4 + 4) + seglen;
	r->tcp_flags = XVS_TCP_RST | XVS_TCP_ACK;
	return 0;
}

/* Copy the quote: the first `want` bytes from the IP header on, or as many
 * of them as can be read. */
XVS_INLINE void xvs_reply_quote(const __u8 *ip, const __u8 *end, __u32 want, struct xvs_reply *r)
{
	__u32 i;

	for (i = 0; i < XVS_REPLY_QUOTE_MAX; i++) {
		if (i >= want || ip + i + 1 > end)
			break;
		r->quote[i] = ip[i];
	}
	r->quote_len = (__u16)i;
}

/*
 * Fill *r with the answer to the frame [data, end) (readable bytes; len:
 * the whole frame, as for xvs_parse) that xvs_parse() parsed into *p with
 * XVS_REASON_OK. 0, or -1 if the frame must not be answered (see the top
 * of this file).
 */
XVS_INLINE int xvs_reply_prepare(const struct xvs_pkt *p, const void *data, const void *end,
				 __u32 len, struct xvs_reply *r)
{
	const __u8 *d = (const __u8 *)data, *e = (const __u8 *)end, *ip;
	__u32 i, off, ip_len, want;

	__builtin_memset(r, 0, sizeof(*r));
	if (p->l3 != XVS_L3_IP4 && p->l3 != XVS_L3_IP6)
		return -1;
	if ((p->flags & (XVS_PKT_F_MCAST | XVS_PKT_F_LATER_FRAG)) || !xvs_reply_mac_ok(p->src) ||
	    !xvs_reply_mac_ok(p->dst))
		return -1;
	if (!xvs_reply_addr_ok(p->l3, p->saddr) || !xvs_reply_addr_ok(p->l3, p->daddr))
		return -1;
	if ((p->l4proto == IPPROTO_ICMP || p->l4proto == IPPROTO_ICMPV6) &&
	    (!p->l4_off || !xvs_reply_icmp_ok(p->l4proto, p->icmp_type)))
		return -1;
	if (p->n_vlan > XVS_MAX_VLANS)
		return -1;

	__builtin_memcpy(r->dst, p->src, 6);
	__builtin_memcpy(r->src, p->dst, 6);
	for (i = 0; i < XVS_MAX_VLANS; i++) {
		const __u8 *t = d + XVS_ETH_HLEN - 2 + i * XVS_VLAN_HLEN;

		if (i >= p->n_vlan)
			break;
		if (t + XVS_VLAN_HLEN > e)
			return -1;
		r->tpid[i] = xvs_rd16(t);
		r->tci[i] = xvs_rd16(t + 2);
	}
	r->n_vlan = p->n_vlan;
	r->l3 = p->l3;
	__builtin_memcpy(r->saddr, p->daddr, 16);
	__builtin_memcpy(r->daddr, p->saddr, 16);

	/* offsets checked where they are used: what bounds the verifier's
	 * ranges (as in the parser) */
	off = p->l3_off;
	if (off > XVS_PARSE_MAX_OFF)
		return -1;
	ip = d + off;
	if (p->l3 == XVS_L3_IP4) {
		if (ip + XVS_IP4_HLEN > e)
			return -1;
		ip_len = xvs_rd16(ip + 2);
		want = (__u32)(ip[0] & 0x0f) * 4 + 8;
	} else {
		if (ip + XVS_IP6_HLEN > e)
			return -1;
		ip_len = XVS_IP6_HLEN + (__u32)xvs_rd16(ip + 4);
		want = XVS_REPLY_QUOTE_MAX;
	}
	if (off + ip_len > len)
		return -1; /* xvs_parse refuses these */

	if (p->l4proto == IPPROTO_TCP)
		return xvs_reply_tcp(p, d, e, off, ip_len, r);

	r->kind = XVS_REPLY_UNREACH;
	if (p->l3 == XVS_L3_IP4) {
		r->icmp_type = XVS_ICMP_DEST_UNREACH;
		r->icmp_code = XVS_ICMP_PORT_UNREACH;
	} else {
		r->icmp_type = XVS_ICMP6_DEST_UNREACH;
		r->icmp_code = XVS_ICMP6_PORT_UNREACH;
	}
	xvs_reply_quote(ip, e, want < ip_len ? want : ip_len, r);
	return 0;
}

/* ---- write -------------------------------------------------------------- */

/* The IP packet of the answer: header + TCP or ICMP. */
XVS_INLINE __u32 xvs_reply_ip_len(const struct xvs_reply *r)
{
	return (r->l3 == XVS_L3_IP4 ? XVS_IP4_HLEN : XVS_IP6_HLEN) +
	       (r->kind == XVS_REPLY_TCP_RST ? 20u : 8u + r->quote_len);
}

/* The answer's frame length (padding included); 0 if r is no answer (an
 * ICMP answer quotes an IP header at least). */
XVS_INLINE __u32 xvs_reply_len(const struct xvs_reply *r)
{
	__u32 n;

	if ((r->l3 != XVS_L3_IP4 && r->l3 != XVS_L3_IP6) ||
	    (r->kind != XVS_REPLY_TCP_RST && r->kind != XVS_REPLY_UNREACH) ||
	    r->n_vlan > XVS_MAX_VLANS || r->quote_len > XVS_REPLY_QUOTE_MAX ||
	    (r->kind == XVS_REPLY_UNREACH && r->quote_len < XVS_IP4_HLEN))
		return 0;
	n = XVS_ETH_HLEN + r->n_vlan * XVS_VLAN_HLEN + xvs_reply_ip_len(r);
	return n < XVS_ETH_ZLEN ? XVS_ETH_ZLEN : n;
}

/* Add n words of an address (network order) to a one's complement sum
 * (RFC 1071) of big-endian 16-bit words. */
XVS_INLINE __u32 xvs_csum_addr(__u32 sum, const __u32 *a, __u32 n)
{
	__u32 i, w;

	for (i = 0; i < n; i++) {
		w = xvs_ntohl(a[i]);
		sum += (w >> 16) + (w & 0xffff);
	}
	return sum;
}

XVS_INLINE __u16 xvs_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* The pseudo-header's sum (RFC 9293 §3.1, RFC 8200 §8.1) for l4len bytes
 * of protocol proto from r->saddr to r->daddr. */
XVS_INLINE __u32 xvs_reply_pseudo(const struct xvs_reply *r, __u8 proto, __u32 l4len)
{
	__u32 n = r->l3 == XVS_L3_IP4 ? 1 : 4;

	return xvs_csum_addr(xvs_csum_addr(proto + (l4len >> 16) + (l4len & 0xffff), r->saddr, n),
			     r->daddr, n);
}

/* The quote's sum, an odd last byte padded with zero. */
XVS_INLINE __u32 xvs_reply_quote_sum(const struct xvs_reply *r)
{
	__u32 i, n = r->quote_len, sum = 0;

	for (i = 0; i < XVS_REPLY_QUOTE_MAX; i += 2) {
		if (i >= n)
			break;
		sum += (__u32)r->quote[i] << 8 | (i + 1 < n ? r->quote[i + 1] : 0);
	}
	return sum;
}

/*
 * Write the answer r describes to [out, end): the whole frame, from its
 * Ethernet header on. Returns its length (xvs_reply_len(r)), or -1 if r is
 * no answer or the buffer is too short. out may be where the original was:
 * r is all that is read.
 */
XVS_INLINE int xvs_reply_write(const struct xvs_reply *r, __u8 *out, const __u8 *end)
{
	__u32 len = xvs_reply_len(r), ip_len, l2, nv, i, sum;
	__u8 proto, *p, *l4;

	if (!len)
		return -1;
	nv = r->n_vlan;
	if (nv > XVS_MAX_VLANS) /* (len says not; for the verifier) */
		return -1;
	l2 = XVS_ETH_HLEN + nv * XVS_VLAN_HLEN;
	ip_len = xvs_reply_ip_len(r);
	proto = r->kind == XVS_REPLY_TCP_RST ? IPPROTO_TCP :
		r->l3 == XVS_L3_IP4	     ? IPPROTO_ICMP :
						IPPROTO_ICMPV6;

	/* Ethernet, the tags, the ethertype: at constant offsets below 22,
	 * which every answer (60 bytes at least) has */
	if (out + XVS_ETH_HLEN + XVS_MAX_VLANS * XVS_VLAN_HLEN > end)
		return -1;
	__builtin_memcpy(out, r->dst, 6);
	__builtin_memcpy(out + 6, r->src, 6);
	for (i = 0; i <= XVS_MAX_VLANS; i++) {
		p = out + XVS_ETH_HLEN - 2 + i * XVS_VLAN_HLEN;
		if (i == nv) {
			xvs_wr16(p, r->l3 == XVS_L3_IP4 ? ETH_P_IP : ETH_P_IPV6);
			break;
		}
		xvs_wr16(p, r->tpid[i]);
		xvs_wr16(p + 2, r->tci[i]);
	}

	/* IP */
	p = out + l2;
	if (r->l3 == XVS_L3_IP4) {
		if (p + XVS_IP4_HLEN > end)
			return -1;
		p[0] = 0x45;
		p[1] = 0; /* TOS */
		xvs_wr16(p + 2, (__u16)ip_len);
		xvs_wr16(p + 4, 0); /* id: DF is set, nothing will be reassembled */
		xvs_wr16(p + 6, 0x4000); /* DF */
		p[8] = XVS_REPLY_TTL;
		p[9] = proto;
		__builtin_memcpy(p + 12, r->saddr, 4);
		__builtin_memcpy(p + 16, r->daddr, 4);
		sum = 0x4500 + ip_len + 0x4000 + (XVS_REPLY_TTL << 8 | proto);
		sum = xvs_csum_addr(xvs_csum_addr(sum, r->saddr, 1), r->daddr, 1);
		xvs_wr16(p + 10, xvs_csum_fold(sum));
		l4 = p + XVS_IP4_HLEN;
	} else {
		if (p + XVS_IP6_HLEN > end)
			return -1;
		xvs_wr32(p, 0x60000000); /* version 6, traffic class and flow label 0 */
		xvs_wr16(p + 4, (__u16)(ip_len - XVS_IP6_HLEN));
		p[6] = proto;
		p[7] = XVS_REPLY_TTL;
		__builtin_memcpy(p + 8, r->saddr, 16);
		__builtin_memcpy(p + 24, r->daddr, 16);
		l4 = p + XVS_IP6_HLEN;
	}

	/* TCP, or ICMP below */
	if (r->kind == XVS_REPLY_TCP_RST) {
		if (l4 + 20 > end)
			return -1;
		xvs_wr16(l4, r->sport);
		xvs_wr16(l4 + 2, r->dport);
		xvs_wr32(l4 + 4, r->seq);
		xvs_wr32(l4 + 8, r->ack);
		l4[12] = 5 << 4; /* data offset: no options */
		l4[13] = r->tcp_flags;
		xvs_wr32(l4 + 14, 0); /* window, checksum (below) */
		xvs_wr16(l4 + 18, 0); /* urgent pointer */
		sum = xvs_reply_pseudo(r, IPPROTO_TCP, 20) + r->sport + r->dport + (r->seq >> 16) +
		      (r->seq & 0xffff) + (r->ack >> 16) + (r->ack & 0xffff) +
		      (5u << 12 | r->tcp_flags);
		xvs_wr16(l4 + 16, xvs_csum_fold(sum));
		/* padding up to the shortest frame: at most 6 bytes (IPv4,
		 * untagged); an ICMP answer quotes 20 bytes at least */
		p = l4 + 20;
		for (i = 0; i < XVS_ETH_ZLEN - (XVS_ETH_HLEN + XVS_IP4_HLEN + 20); i++) {
			if (l2 + ip_len + i >= len)
				break;
			if (p + i + 1 > end)
				return -1;
			p[i] = 0;
		}
		return (int)len;
	}

	if (l4 + 8 > end)
		return -1;
	l4[0] = r->icmp_type;
	l4[1] = r->icmp_code;
	xvs_wr16(l4 + 2, 0);
	xvs_wr32(l4 + 4, 0); /* unused (no next-hop MTU, no RFC 4884 length) */
	sum = ((__u32)r->icmp_type << 8 | r->icmp_code) + xvs_reply_quote_sum(r);
	if (r->l3 == XVS_L3_IP6)
		sum += xvs_reply_pseudo(r, IPPROTO_ICMPV6, 8u + r->quote_len);
	xvs_wr16(l4 + 2, xvs_csum_fold(sum));
	p = l4 + 8;
	for (i = 0; i < XVS_REPLY_QUOTE_MAX; i++) {
		if (i >= r->quote_len)
			break;
		if (p + i + 1 > end)
			return -1;
		p[i] = r->quote[i];
	}
	return (int)len;
}

#endif /* XVS_FW_REPLY_H */
