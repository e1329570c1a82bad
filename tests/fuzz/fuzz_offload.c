// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_offload: what a guest's virtio-net header asks of its frame
 * (src/dp/offload.c, ofl_check), and the work the switch then does on
 * what was accepted: TSO segment headers (ofl_seg_hdr), checksum
 * completion (csum_add, csum_add_iov, csum_final) and verification
 * (ofl_verify).
 *
 * Input: the 10-byte struct virtio_net_hdr as a guest writes it (little
 * endian), then the frame. The frame's first min(len, 256) bytes are the
 * checked copy (DP_HDR_COPY), in a heap buffer of exactly that size (ASan
 * sees a read past hcap), parsed with xvs_parse(); the frame is also laid
 * out as a guest's chain would hold it: behind a 12-byte header, in three
 * heap buffers of exactly their size (the middle one may be empty), cut
 * where the header's hdr_len says (ofl_check ignores that field): its low
 * byte places the first cut, its high byte the second.
 *
 * Invariants, beyond "no crash, no undefined behaviour, no leak":
 *  - ofl_check returns OFL_E_OK or an enum ofl_error; what it accepted
 *    with every offload allowed it refuses as NOT_NEGOTIATED without the
 *    one it needed, and a frame asking nothing is accepted with none;
 *  - OFL_NONE: nothing was asked (no NEEDS_CSUM, GSO_NONE);
 *  - OFL_CSUM: the field csum_start + csum_offset and its 2 bytes lie in
 *    the frame and in the copy, past the L4 header or exactly the TCP/UDP
 *    checksum field; completed as the worker does it (sum over the copy's
 *    bytes, then the chain's) after a correct seed, the L4 checksum
 *    verifies (when the IP packet is the whole frame);
 *  - OFL_TSO: a TCP frame of the IP version gso_type says, untagged, not
 *    a fragment; hlen within the copy (<= 256); 1..OFL_MAX_SEGS segments,
 *    each of at most gso_size payload bytes (all but the last exactly
 *    that), adding up to len - hlen; each segment's IP length field its
 *    true length (no wrap), its IPv4 ID id0 + k and header checksum
 *    valid, its sequence number seq0 + k * gso_size, CWR only on the
 *    first, FIN/PSH only on the last; the whole segment (headers + its
 *    payload from the chain) parses, and once its seeded checksum is
 *    completed, ofl_verify says OFL_VALID;
 *  - ofl_vnet_hdr: a receiver that takes the frame as it is gets what
 *    was asked (hdr_len: the headers' length), DATA_VALID once complete;
 *  - ofl_verify: the same answer for the chain and for the frame in one
 *    piece; NONE unless TCP/UDP and not a fragment; VALID exactly when a
 *    reference sum (16-bit big-endian words, written here) says so.
 */
#include <endian.h>
#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xvs/parse.h>

#include "dp/offload.h"
#include "fuzz.h"
#include "vhost/vq.h"

#define VNET_HDR 10
#define HCAP 256 /* DP_HDR_COPY */
#define VSKIP 12 /* the chain's virtio-net header */
#define ALL_OFL (VQ_OFL_CSUM | VQ_OFL_TSO4 | VQ_OFL_TSO6 | VQ_OFL_ECN)

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	fuzz_check(p, "out of memory");
	return p;
}

/* ---- reference sum: big-endian 16-bit words (RFC 1071) ------------------ */

static uint64_t ref_add(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t ref_pseudo(const uint8_t *l3, bool v6, uint8_t proto, uint32_t l4len)
{
	if (v6)
		return ref_add(0, l3 + 8, 32) + (l4len >> 16) + (l4len & 0xffff) + proto;
	return ref_add(0, l3 + 12, 8) + proto + (l4len & 0xffff);
}

/* ---- the frame as a chain ------------------------------------------------ */

struct chain {
	struct vq_iov seg[3];
	int nseg;
};

static void chain_make(struct chain *c, const uint8_t *frame, uint32_t len, uint16_t cuts)
{
	uint32_t n = VSKIP + len, at[4], i, k;

	at[0] = 0;
	at[1] = (uint32_t)((uint64_t)(cuts & 0xff) * n / 255);
	at[2] = at[1] + (uint32_t)((uint64_t)(cuts >> 8) * (n - at[1]) / 255);
	at[3] = n;
	c->nseg = 3;
	for (i = 0; i < 3; i++) {
		uint32_t m = at[i + 1] - at[i];
		uint8_t *p = xmalloc(m);

		for (k = 0; k < m; k++) {
			uint32_t b = at[i] + k;

			p[k] = b < VSKIP ? 0x5a : frame[b - VSKIP];
		}
		c->seg[i] = (struct vq_iov){ p, m };
	}
}

/* n bytes of the chain from `skip` into dst; returns how many there were. */
static uint32_t chain_read(const struct chain *c, uint32_t skip, uint8_t *dst, uint32_t n)
{
	uint32_t done = 0, k;
	int i;

	for (i = 0; i < c->nseg && done < n; i++) {
		if (skip >= c->seg[i].len) {
			skip -= c->seg[i].len;
			continue;
		}
		k = c->seg[i].len - skip < n - done ? c->seg[i].len - skip : n - done;
		memcpy(dst + done, c->seg[i].base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

static void chain_free(struct chain *c)
{
	for (int i = 0; i < c->nseg; i++)
		free(c->seg[i].base);
}

/* ---- ofl_verify ----------------------------------------------------------- */

/* The end of the frame's IP packet, as its header says. */
static uint32_t ip_end(const struct xvs_pkt *pkt, const uint8_t *hdr)
{
	const uint8_t *l3 = hdr + pkt->l3_off;

	return pkt->l3_off + (pkt->l3 == XVS_L3_IP6 ? 40u + rd16(l3 + 4) : rd16(l3 + 2));
}

/* What ofl_verify answered (VALID or BAD) for a frame whose first hcap
 * bytes are hdr and the rest frame[hcap, len): the reference's answer. */
static void verify_ref(const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
		       const uint8_t *frame, int r)
{
	bool v6 = pkt->l3 == XVS_L3_IP6;
	const uint8_t *l3 = hdr + pkt->l3_off;
	uint32_t l4 = pkt->l4_off, end = ip_end(pkt, hdr), cut = end < hcap ? end : hcap;
	uint64_t s;

	s = ref_pseudo(l3, v6, pkt->l4proto, end - l4) + ref_add(0, hdr + l4, cut - l4);
	if (cut < end && ((cut - l4) & 1)) { /* the rest starts in the middle of a word */
		s += frame[cut];
		cut++;
	}
	if (cut < end)
		s += ref_add(0, frame + cut, end - cut);
	fuzz_check((ref_fold(s) == 0xffff) == (r == OFL_VALID), "ofl_verify %d, reference sum %#x",
		   r, ref_fold(s));
}

static int verify_both(const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
		       const struct chain *c, const uint8_t *frame, uint32_t len)
{
	struct vq_iov whole = { (uint8_t *)frame, len };
	int r, r1;

	r = ofl_verify(pkt, hdr, hcap, c->seg, c->nseg, VSKIP, len);
	fuzz_check(r == OFL_NONE || r == OFL_VALID || r == OFL_BAD, "ofl_verify %d", r);
	r1 = ofl_verify(pkt, hdr, hcap, &whole, 1, 0, len);
	fuzz_check(r1 == r, "ofl_verify %d over the chain, %d over the frame in one piece", r, r1);
	if (pkt->l3 == XVS_L3_NONE || !pkt->l4_off || (pkt->flags & XVS_PKT_F_FRAG) ||
	    (pkt->l4proto != IPPROTO_TCP && pkt->l4proto != IPPROTO_UDP))
		fuzz_check(r == OFL_NONE, "ofl_verify %d for l3 %u proto %u flags %#x", r, pkt->l3,
			   pkt->l4proto, pkt->flags);
	if (r != OFL_NONE)
		verify_ref(pkt, hdr, hcap, frame, r);
	return r;
}

/* ---- OFL_CSUM --------------------------------------------------------------- */

static void check_csum(const struct dp_ofl *o, const struct virtio_net_hdr *vh,
		       const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
		       const struct chain *c, uint32_t len)
{
	uint32_t start = o->csum_start, pos = start + o->csum_offset, l4 = pkt->l4_off, hl,
		 field, end;
	bool v6 = pkt->l3 == XVS_L3_IP6;
	uint8_t *copy;
	uint64_t sum;
	uint16_t seed;
	int r;

	fuzz_check(start == le16toh(vh->csum_start) && o->csum_offset == le16toh(vh->csum_offset),
		   "csum %u+%u, asked %u+%u", start, o->csum_offset, le16toh(vh->csum_start),
		   le16toh(vh->csum_offset));
	fuzz_check(pos + 2 <= hcap && pos + 2 <= len, "csum field at %u, copy %u, frame %u", pos,
		   hcap, len);
	fuzz_check(pkt->l3 != XVS_L3_NONE && l4 && !(pkt->flags & XVS_PKT_F_FRAG) &&
			   (pkt->l4proto == IPPROTO_TCP || pkt->l4proto == IPPROTO_UDP),
		   "csum on l3 %u proto %u flags %#x", pkt->l3, pkt->l4proto, pkt->flags);
	if (pkt->l4proto == IPPROTO_TCP) {
		hl = (uint32_t)(hdr[l4 + 12] >> 4) * 4;
		field = l4 + 16;
	} else {
		hl = 8;
		field = l4 + 6;
	}
	fuzz_check((start == l4 && pos == field) || (start >= l4 + hl && pos >= start),
		   "csum %u+%u over the L4 header at %u (%u bytes)", start, o->csum_offset, l4, hl);

	/* The L4 checksum, seeded as a guest would, completed as the worker
	 * does (fwd.c complete_csum), then verified. */
	end = ip_end(pkt, hdr);
	if (start != l4 || end != len)
		return;
	copy = xmalloc(hcap);
	memcpy(copy, hdr, hcap);
	seed = (uint16_t)(ref_fold(ref_pseudo(copy + pkt->l3_off, v6, pkt->l4proto, len - l4)));
	copy[pos] = (uint8_t)(seed >> 8);
	copy[pos + 1] = (uint8_t)seed;
	sum = csum_add(0, copy + start, hcap - start, 0);
	sum = csum_add_iov(sum, c->seg, c->nseg, VSKIP + hcap, len - hcap, hcap - start);
	csum_put(copy + pos, csum_final(sum));
	r = ofl_verify(pkt, copy, hcap, c->seg, c->nseg, VSKIP, len);
	fuzz_check(r == OFL_VALID, "checksum completed at %u+%u does not verify (%d)", start,
		   o->csum_offset, r);
	free(copy);
}

/* ---- OFL_TSO ------------------------------------------------------------------ */

static void check_segment(const struct dp_ofl *o, const uint8_t *hdr, const struct chain *c,
			  uint32_t len, uint32_t k, uint32_t *total)
{
	bool v6 = (o->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV6;
	uint32_t plen, seglen, l3 = o->l3_off, l4 = o->csum_start, scap;
	uint8_t *out, *seg, flags = hdr[l4 + 13];
	struct xvs_pkt spkt = { 0 };
	struct vq_iov iov;
	uint64_t sum;
	int r;

	out = xmalloc(o->hlen); /* exactly: a write past the headers is found */
	plen = ofl_seg_hdr(o, hdr, len, k, out);
	fuzz_check(plen == ofl_seg_len(o, len, k), "segment %u: %u bytes, ofl_seg_len %u", k, plen,
		   ofl_seg_len(o, len, k));
	fuzz_check(plen <= o->gso_size, "segment %u: %u bytes, gso_size %u", k, plen, o->gso_size);
	if (k + 1 < o->nseg)
		fuzz_check(plen == o->gso_size, "segment %u of %u: %u bytes, gso_size %u", k,
			   o->nseg, plen, o->gso_size);
	else
		fuzz_check(plen || len == o->hlen, "last segment %u empty", k);
	*total += plen;
	seglen = o->hlen + plen;
	seg = xmalloc(seglen);
	memcpy(seg, out, o->hlen);
	free(out);

	if (v6) {
		fuzz_check(rd16(seg + l3 + 4) + 40u + l3 == seglen,
			   "segment %u: IPv6 payload length %u, %u bytes", k, rd16(seg + l3 + 4),
			   seglen);
	} else {
		uint32_t ihl = (uint32_t)(seg[l3] & 0x0f) * 4;

		fuzz_check(rd16(seg + l3 + 2) + l3 == seglen,
			   "segment %u: IPv4 total length %u, %u bytes", k, rd16(seg + l3 + 2),
			   seglen);
		fuzz_check(rd16(seg + l3 + 4) == (uint16_t)(rd16(hdr + l3 + 4) + k),
			   "segment %u: IP ID %#x, first %#x", k, rd16(seg + l3 + 4),
			   rd16(hdr + l3 + 4));
		fuzz_check(ref_fold(ref_add(0, seg + l3, ihl)) == 0xffff,
			   "segment %u: IPv4 header checksum", k);
	}
	fuzz_check(rd32(seg + l4 + 4) == rd32(hdr + l4 + 4) + k * o->gso_size,
		   "segment %u: seq %#x, first %#x", k, rd32(seg + l4 + 4), rd32(hdr + l4 + 4));
	if (k + 1 < o->nseg)
		flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (k)
		flags &= (uint8_t)~TCP_CWR;
	fuzz_check(seg[l4 + 13] == flags, "segment %u: flags %#x, want %#x", k, seg[l4 + 13],
		   flags);

	/* the whole segment: it parses, and its completed checksum verifies */
	fuzz_check(chain_read(c, VSKIP + o->hlen + k * o->gso_size, seg + o->hlen, plen) == plen,
		   "segment %u: payload past the frame", k);
	scap = seglen < HCAP ? seglen : HCAP;
	r = xvs_parse(seg, seg + scap, seglen, &spkt);
	fuzz_check(r == XVS_REASON_OK && spkt.l4_off == l4 && spkt.l3_off == l3,
		   "segment %u does not parse as the frame did (%d, l4 at %u)", k, r, spkt.l4_off);
	sum = csum_add(0, seg + l4, seglen - l4, 0);
	csum_put(seg + l4 + 16, csum_final(sum));
	iov = (struct vq_iov){ seg, seglen };
	r = ofl_verify(&spkt, seg, scap, &iov, 1, 0, seglen);
	fuzz_check(r == OFL_VALID, "segment %u: completed checksum does not verify (%d)", k, r);
	free(seg);
}

static void check_tso(const struct dp_ofl *o, const struct virtio_net_hdr *vh,
		      const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
		      const struct chain *c, uint32_t len)
{
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t k, total = 0;

	fuzz_check(o->gso_type == vh->gso_type, "gso_type %#x, asked %#x", o->gso_type,
		   vh->gso_type);
	fuzz_check(pkt->l3 == (type == VIRTIO_NET_HDR_GSO_TCPV4 ? XVS_L3_IP4 : XVS_L3_IP6) &&
			   pkt->l4proto == IPPROTO_TCP && !pkt->n_vlan &&
			   !(pkt->flags & XVS_PKT_F_FRAG),
		   "TSO type %#x of l3 %u proto %u, %u tags, flags %#x", vh->gso_type, pkt->l3,
		   pkt->l4proto, pkt->n_vlan, pkt->flags);
	fuzz_check(o->hlen <= hcap && o->hlen <= HCAP && o->hlen <= len &&
			   o->hlen >= pkt->l4_off + 20,
		   "hlen %u, copy %u, frame %u, l4 at %u", o->hlen, hcap, len, pkt->l4_off);
	fuzz_check(o->csum_start == pkt->l4_off && o->csum_offset == 16 &&
			   o->l3_off == pkt->l3_off,
		   "csum %u+%u, l3 at %u", o->csum_start, o->csum_offset, o->l3_off);
	fuzz_check(o->gso_size && o->gso_size == le16toh(vh->gso_size), "gso_size %u", o->gso_size);
	fuzz_check(o->nseg >= 1 && o->nseg <= OFL_MAX_SEGS && len <= OFL_MAX_LEN,
		   "%u segments, %u bytes", o->nseg, len);
	for (k = 0; k < o->nseg; k++)
		check_segment(o, hdr, c, len, k, &total);
	fuzz_check(total == len - o->hlen, "segments carry %u bytes of %u", total, len - o->hlen);
	fuzz_check(ofl_seg_len(o, len, o->nseg) == 0, "a segment past the last");
}

/* ---- the entry ------------------------------------------------------------------ */

/* The header a receiver taking the frame as it is gets: what was asked
 * (hdr_len the headers' length); once its checksum is complete, DATA_VALID. */
static void check_vnet_hdr(const struct dp_ofl *o, const struct virtio_net_hdr *vh)
{
	struct dp_ofl valid = *o;
	struct virtio_net_hdr out;
	bool tso = o->kind == OFL_TSO;

	ofl_vnet_hdr(o, &out);
	fuzz_check(out.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && out.csum_start == vh->csum_start &&
			   out.csum_offset == vh->csum_offset,
		   "header for the receiver: flags %#x, csum %u+%u", out.flags,
		   le16toh(out.csum_start), le16toh(out.csum_offset));
	fuzz_check(out.gso_type == (tso ? vh->gso_type : 0) &&
			   out.gso_size == (tso ? vh->gso_size : 0) &&
			   le16toh(out.hdr_len) == (tso ? o->hlen : 0),
		   "header for the receiver: gso_type %#x, gso_size %u, hdr_len %u", out.gso_type,
		   le16toh(out.gso_size), le16toh(out.hdr_len));
	valid.kind = OFL_VALID;
	ofl_vnet_hdr(&valid, &out);
	fuzz_check(out.flags == VIRTIO_NET_HDR_F_DATA_VALID && !out.gso_type && !out.hdr_len &&
			   !out.gso_size && !out.csum_start && !out.csum_offset,
		   "DATA_VALID header: flags %#x, gso_type %#x", out.flags, out.gso_type);
}

/* What was accepted with every offload allowed is refused without the one
 * it needs. */
static void check_needed(const struct virtio_net_hdr *vh, const struct dp_ofl *o,
			 const struct xvs_pkt *pkt, const uint8_t *hdr, uint32_t hcap,
			 uint32_t len)
{
	uint8_t need = 0, bit;
	struct dp_ofl o2;
	int e;

	if (o->kind == OFL_CSUM)
		need = VQ_OFL_CSUM;
	else if (o->kind == OFL_TSO)
		need = (vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4 ?
			       VQ_OFL_TSO4 :
			       VQ_OFL_TSO6;
	if (o->kind == OFL_TSO && (vh->gso_type & VIRTIO_NET_HDR_GSO_ECN))
		need |= VQ_OFL_ECN;
	for (bit = 1; bit <= VQ_OFL_ECN; bit <<= 1) {
		if (!(need & bit))
			continue;
		e = ofl_check(vh, ALL_OFL & ~bit, pkt, hdr, hcap, len, &o2);
		fuzz_check(e == OFL_E_NOT_NEGOTIATED, "accepted without offload %#x: %d", bit, e);
	}
	if (o->kind == OFL_NONE) {
		e = ofl_check(vh, 0, pkt, hdr, hcap, len, &o2);
		fuzz_check(e == OFL_E_OK && o2.kind == OFL_NONE,
			   "nothing asked, refused without offloads: %d", e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xvs_pkt pkt = { 0 };
	struct virtio_net_hdr vh;
	const uint8_t *frame;
	uint32_t len, hcap;
	struct dp_ofl o;
	struct chain c;
	uint8_t *hdr;
	int e;

	if (size < VNET_HDR + XVS_ETH_HLEN)
		return 0;
	memcpy(&vh, data, VNET_HDR);
	frame = data + VNET_HDR;
	len = (uint32_t)(size - VNET_HDR);
	hcap = len < HCAP ? len : HCAP;
	hdr = xmalloc(hcap); /* exactly hcap: a read past it is a heap overflow */
	memcpy(hdr, frame, hcap);
	if (xvs_parse(hdr, hdr + hcap, len, &pkt) != XVS_REASON_OK) {
		free(hdr);
		return 0;
	}
	chain_make(&c, frame, len, le16toh(vh.hdr_len));

	e = ofl_check(&vh, ALL_OFL, &pkt, hdr, hcap, len, &o);
	fuzz_dbg("ofl_check: %d, kind %u, csum %u+%u, hlen %u, gso %u, %u segments\n", e, o.kind,
		 o.csum_start, o.csum_offset, o.hlen, o.gso_size, o.nseg);
	fuzz_check(e >= OFL_E_OK && e <= OFL_E_SIZE, "ofl_check %d", e);
	if (e == OFL_E_OK) {
		check_needed(&vh, &o, &pkt, hdr, hcap, len);
		switch (o.kind) {
		case OFL_NONE:
			fuzz_check(!(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
					   vh.gso_type == VIRTIO_NET_HDR_GSO_NONE,
				   "flags %#x, gso_type %#x: nothing to do", vh.flags, vh.gso_type);
			break;
		case OFL_CSUM:
			fuzz_check(vh.gso_type == VIRTIO_NET_HDR_GSO_NONE, "CSUM for gso_type %#x",
				   vh.gso_type);
			check_csum(&o, &vh, &pkt, hdr, hcap, &c, len);
			check_vnet_hdr(&o, &vh);
			break;
		case OFL_TSO:
			check_tso(&o, &vh, &pkt, hdr, hcap, &c, len);
			check_vnet_hdr(&o, &vh);
			break;
		default:
			fuzz_check(0, "kind %u", o.kind);
		}
	}
	e = verify_both(&pkt, hdr, hcap, &c, frame, len);
	fuzz_dbg("ofl_verify: %d\n", e);
	chain_free(&c);
	free(hdr);
	return 0;
}
