// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checksum and segmentation offloads: the checks of what a guest asks
 * (ofl_check), the header a receiver gets, TCP segmentation and checksums.
 * See offload.h.
 */
#include "dp/offload.h"

#include <endian.h>
#include <string.h>

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* ---- checksums ----------------------------------------------------------- */

/* 32-bit words into a 64-bit sum: the one's-complement sum of the 16-bit
 * words once folded (2^16 = 1 modulo 2^16 - 1). Memory order throughout,
 * so the result stores back as it is (RFC 1071 §2(B)). */
static uint64_t sum_bytes(const uint8_t *p, uint32_t n)
{
	uint64_t s = 0;
	uint32_t a, b, c, d;
	uint16_t h = 0;

	for (; n >= 16; p += 16, n -= 16) {
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		s += (uint64_t)a + b + c + d;
	}
	for (; n >= 4; p += 4, n -= 4) {
		memcpy(&a, p, 4);
		s += a;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		n -= 2;
	}
	if (n) { /* the odd byte is the first of a word padded with zero */
		h = 0;
		memcpy(&h, p, 1);
		s += h;
	}
	return s;
}

uint16_t csum_fold(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint64_t csum_add(uint64_t sum, const void *p, uint32_t n, uint32_t at)
{
	uint64_t s = sum_bytes(p, n);

	if (at & 1) { /* its words straddle the range's words: swap bytes */
		uint16_t f = csum_fold(s);

		s = (uint16_t)(f << 8 | f >> 8);
	}
	return sum + s;
}

uint64_t csum_add_iov(uint64_t sum, const struct vq_iov *seg, int nseg, uint32_t skip,
		      uint32_t n, uint32_t at)
{
	int i;

	for (i = 0; i < nseg && n; i++) {
		uint32_t k;

		if (skip >= seg[i].len) {
			skip -= seg[i].len;
			continue;
		}
		k = seg[i].len - skip < n ? seg[i].len - skip : n;
		sum = csum_add(sum, seg[i].base + skip, k, at);
		at += k;
		n -= k;
		skip = 0;
	}
	return sum;
}

/* The pseudo-header of an L4 packet of l4len bytes (RFC 793, RFC 8200
 * §8.1), l3 pointing at its IP header. */
static uint64_t pseudo_sum(const uint8_t *l3, bool v6, uint8_t proto, uint32_t l4len)
{
	uint8_t tail[8] = { 0 };

	if (v6) {
		put32(tail, l4len);
		tail[7] = proto;
		return csum_add(csum_add(0, l3 + 8, 32, 0), tail, 8, 0);
	}
	tail[1] = proto;
	put16(tail + 2, (uint16_t)l4len);
	return csum_add(csum_add(0, l3 + 12, 8, 0), tail, 4, 0);
}

/* ---- what a guest asks --------------------------------------------------- */

/* A seeded checksum without segmentation: where it starts and where it
 * goes must lie in the frame and in the copy, and may not cover a header
 * field that was judged. Two shapes exist: the L4 header's own checksum
 * (TCP, UDP), or one inside the L4 payload (a tunnel's inner packet). */
static int check_csum(uint16_t start, uint16_t off, const struct xvs_pkt *pkt,
		      const uint8_t *hdr, uint32_t hcap, uint32_t len, struct dp_ofl *o)
{
	uint32_t l4 = pkt->l4_off, hl, field, pos = (uint32_t)start + off;

	if (pkt->l3 == XVS_L3_NONE || !l4 || (pkt->flags & XVS_PKT_F_FRAG))
		return OFL_E_CSUM;
	if (pkt->l4proto == IPPROTO_TCP) {
		hl = (uint32_t)(hdr[l4 + 12] >> 4) * 4;
		field = l4 + 16;
	} else if (pkt->l4proto == IPPROTO_UDP) {
		hl = 8;
		field = l4 + 6;
	} else {
		return OFL_E_CSUM;
	}
	if (pos + 2 > len || pos + 2 > hcap)
		return OFL_E_CSUM;
	if (!((start == l4 && pos == field) || (start >= l4 + hl && pos >= start)))
		return OFL_E_CSUM;
	o->kind = OFL_CSUM;
	o->csum_start = start;
	o->csum_offset = off;
	return OFL_E_OK;
}

int ofl_check(const struct virtio_net_hdr *vh, uint8_t allowed, const struct xvs_pkt *pkt,
	      const uint8_t *hdr, uint32_t hcap, uint32_t len, struct dp_ofl *o)
{
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN, need;
	uint16_t start = le16toh(vh->csum_start), off = le16toh(vh->csum_offset);
	uint16_t gso = le16toh(vh->gso_size);
	bool v4 = type == VIRTIO_NET_HDR_GSO_TCPV4;
	uint32_t l4 = pkt->l4_off, hlen, pay, nseg;

	memset(o, 0, sizeof(*o));
	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN)
			return OFL_E_GSO_TYPE;
		if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
			return OFL_E_OK; /* DATA_VALID and the rest mean nothing on TX */
		if (!(allowed & VQ_OFL_CSUM))
			return OFL_E_NOT_NEGOTIATED;
		return check_csum(start, off, pkt, hdr, hcap, len, o);
	}
	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
		return OFL_E_GSO_TYPE;
	need = (v4 ? VQ_OFL_TSO4 : VQ_OFL_TSO6) |
	       (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN ? VQ_OFL_ECN : 0);
	if ((allowed & need) != need)
		return OFL_E_NOT_NEGOTIATED;
	if (pkt->l3 != (v4 ? XVS_L3_IP4 : XVS_L3_IP6) || pkt->l4proto != IPPROTO_TCP || !l4 ||
	    (pkt->flags & XVS_PKT_F_FRAG) || pkt->n_vlan)
		return OFL_E_HEADERS;
	hlen = l4 + (uint32_t)(hdr[l4 + 12] >> 4) * 4;
	if (hlen < l4 + 20 || hlen > hcap)
		return OFL_E_HEADERS;
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || start != l4 || off != 16)
		return OFL_E_CSUM;
	/* IPv4's header is inside its 16-bit length: so is each segment's */
	if (!gso || len > OFL_MAX_LEN || (v4 && len - pkt->l3_off > 0xffffu))
		return OFL_E_SIZE;
	pay = len - hlen;
	nseg = pay ? (pay + gso - 1) / gso : 1;
	if (nseg > OFL_MAX_SEGS)
		return OFL_E_SIZE;
	*o = (struct dp_ofl){
		.kind = OFL_TSO,
		.gso_type = vh->gso_type,
		.csum_start = (uint16_t)l4,
		.csum_offset = 16,
		.hlen = (uint16_t)hlen,
		.gso_size = gso,
		.nseg = (uint16_t)nseg,
		.l3_off = pkt->l3_off,
	};
	return OFL_E_OK;
}

void ofl_vnet_hdr(const struct dp_ofl *o, struct virtio_net_hdr *vh)
{
	memset(vh, 0, sizeof(*vh));
	if (o->kind == OFL_VALID) {
		vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return;
	}
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = htole16(o->csum_start);
	vh->csum_offset = htole16(o->csum_offset);
	if (o->kind == OFL_TSO) {
		vh->gso_type = o->gso_type;
		vh->hdr_len = htole16(o->hlen);
		vh->gso_size = htole16(o->gso_size);
	}
}

/* ---- segmentation -------------------------------------------------------- */

uint32_t ofl_seg_hdr(const struct dp_ofl *o, const uint8_t *hdr, uint32_t len, uint32_t k,
		     uint8_t *out)
{
	bool v6 = (o->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6;
	uint32_t first = k * o->gso_size, plen = ofl_seg_len(o, len, k);
	uint8_t *l3 = out + o->l3_off, *l4 = out + o->csum_start;
	uint32_t l4len = o->hlen - o->csum_start + plen;
	uint8_t flags;

	memcpy(out, hdr, o->hlen);
	if (v6) {
		put16(l3 + 4, (uint16_t)(o->hlen - o->l3_off - 40 + plen));
	} else {
		uint32_t ihl = (uint32_t)(l3[0] & 0x0f) * 4;

		put16(l3 + 2, (uint16_t)(o->hlen - o->l3_off + plen));
		put16(l3 + 4, (uint16_t)(xvs_rd16(l3 + 4) + k));
		l3[10] = l3[11] = 0;
		csum_put(l3 + 10, (uint16_t)~csum_fold(csum_add(0, l3, ihl, 0)));
	}
	put32(l4 + 4, rd32(l4 + 4) + first);
	flags = l4[13];
	if (k + 1 < o->nseg)
		flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (k)
		flags &= (uint8_t)~TCP_CWR;
	l4[13] = flags;
	csum_put(l4 + 16, csum_fold(pseudo_sum(l3, v6, IPPROTO_TCP, l4len)));
	return plen;
}

/* ---- verification -------------------------------------------------------- */

int ofl_verify(const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
	       const struct vq_iov *seg, int nseg, uint32_t skip, uint32_t len)
{
	uint32_t l4 = pkt->l4_off, end, in_copy;
	const uint8_t *l3 = hdr + pkt->l3_off;
	bool v6 = pkt->l3 == XVS_L3_IP6;
	uint64_t sum;

	if (pkt->l3 == XVS_L3_NONE || !l4 || (pkt->flags & XVS_PKT_F_FRAG) ||
	    (pkt->l4proto != IPPROTO_TCP && pkt->l4proto != IPPROTO_UDP))
		return OFL_NONE;
	end = pkt->l3_off + (v6 ? 40u + xvs_rd16(l3 + 4) : xvs_rd16(l3 + 2));
	if (end > len || end < l4 + (pkt->l4proto == IPPROTO_TCP ? 20u : 8u) || l4 + 8 > hcap)
		return OFL_NONE;
	if (pkt->l4proto == IPPROTO_UDP && !v6 && !hdr[l4 + 6] && !hdr[l4 + 7])
		return OFL_NONE; /* sent without a checksum: nothing to vouch for */
	sum = pseudo_sum(l3, v6, pkt->l4proto, end - l4);
	in_copy = (end < hcap ? end : hcap) - l4;
	sum = csum_add(sum, hdr + l4, in_copy, 0);
	if (l4 + in_copy < end)
		sum = csum_add_iov(sum, seg, nseg, skip + l4 + in_copy, end - l4 - in_copy, in_copy);
	return csum_fold(sum) == 0xffff ? OFL_VALID : OFL_BAD;
}
