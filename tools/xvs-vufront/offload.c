// SPDX-License-Identifier: GPL-2.0-only
/*
 * TCP streams and the virtio-net offloads (virtio 1.2 §5.1.6.2, 5.1.6.4):
 * what a Linux guest hands its virtio-net device and what it accepts back.
 *
 * TX (--proto tcp): one stream per queue, 10.0.0.1:1000+q -> 10.0.0.2:2000
 * (fd00::1 -> fd00::2 with --ipv6), ACK|PSH, no options. Frame n of a
 * queue carries the stream's bytes from offset n * P (P = --size minus the
 * headers), sequence number VF_TCP_ISN + offset: the headers are a template
 * per queue, the payload frame_stream_fill(), so each byte is a function
 * of its place in the stream. The TCP checksum is
 *
 *	full                  computed over the frame (no virtio-net flags)
 *	--tx-csum partial     seeded: the pseudo-header sum of the frame, as
 *	                      Linux leaves it for CHECKSUM_PARTIAL; NEEDS_CSUM,
 *	                      csum_start = L4 offset, csum_offset 16
 *	--gso MSS             seeded the same over the whole frame (up to 64
 *	                      KiB, IP lengths of the whole frame); gso_type
 *	                      TCPV4/TCPV6, gso_size MSS, hdr_len the headers;
 *	                      --tx-ecn: CWR set and GSO_ECN
 *
 * With --tx-frag the frame lies in pieces (traffic.c's descriptors), and
 * is written and summed piece by piece.
 *
 * RX: the header is checked against what was negotiated (NEEDS_CSUM only
 * with guest_csum, GSO only with guest_tso4/6 and NEEDS_CSUM, ECN only with
 * guest_ecn), then the frame: IPv4 header checksum, IP and TCP lengths, the
 * TCP checksum -- computed over the frame when it is complete (DATA_VALID
 * or not), and for a seeded one (NEEDS_CSUM, GSO) the seed against the
 * pseudo-header sum, which is what completing it and checking the result
 * would find, at O(1) -- and every payload byte against the stream offset
 * its sequence number says. Per flow (source MAC + source port) the next
 * expected sequence number: a segment beyond it is a gap (its bytes lost),
 * one behind it late; a segment at VF_TCP_ISN starts the flow over (a new
 * sender against a long-lived receiver). A stream with CWR must have it
 * exactly on the segments after one with PSH (stream_track()).
 */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "base/log.h"
#include "frame.h"
#include "vufront.h"

#define VF_TCP_ACKNO 1 /* the acknowledgment number of every segment */
#define VF_RX_LOGGED 8 /* the first bad frames of each kind (-v), gaps (-vv) */

static const struct {
	const char *name;
	unsigned int bit;
} ofl_names[] = {
#define VF_X(name, bit) { name, bit },
	VF_OFFLOADS(VF_X)
#undef VF_X
};

#define VF_NOFL (sizeof(ofl_names) / sizeof(ofl_names[0]))

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline bool has(const struct vf_dev *d, unsigned int bit)
{
	return d->features & 1ull << bit;
}

/* ---- options ----------------------------------------------------------- */

int vf_ofl_parse(const char *list, uint64_t *bits)
{
	char buf[256], *tok, *save = NULL;
	unsigned int i;

	*bits = 0;
	if (!strcmp(list, "all")) {
		for (i = 0; i < VF_NOFL; i++)
			*bits |= 1ull << ofl_names[i].bit;
		return 0;
	}
	if (strlen(list) >= sizeof(buf)) {
		fprintf(stderr, VF_NAME ": --offloads: list too long: '%s'\n", list);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < VF_NOFL && strcmp(tok, ofl_names[i].name); i++)
			;
		if (i == VF_NOFL) {
			fprintf(stderr,
				VF_NAME ": --offloads: unknown offload '%s' (csum, guest_csum, "
					"host_tso4, host_tso6, guest_tso4, guest_tso6, host_ecn, "
					"guest_ecn, or all)\n",
				tok);
			return -EINVAL;
		}
		*bits |= 1ull << ofl_names[i].bit;
	}
	if (!*bits) {
		fprintf(stderr, VF_NAME ": --offloads: no offload in '%s'\n", list);
		return -EINVAL;
	}
	return 0;
}

const char *vf_ofl_names(uint64_t f, char *buf, size_t n)
{
	size_t at = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < VF_NOFL; i++)
		if (f & 1ull << ofl_names[i].bit && at < n)
			at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? "," : "",
					       ofl_names[i].name);
	return at ? buf : "none";
}

int vf_ofl_init(struct vf_dev *d)
{
	const struct vf_opts *o = d->o;
	unsigned int tso = o->ipv6 ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_HOST_TSO4;

	d->l4_off = VF_ETH_HLEN + (o->ipv6 ? 40 : 20);
	d->pay_off = d->l4_off + (o->proto == VF_PROTO_TCP ? 20 : 8);
	if (o->gso && !has(d, tso)) {
		log_err("--gso: the back-end does not offer %s",
			o->ipv6 ? "host_tso6" : "host_tso4");
		d->unsupported = true;
		return -EOPNOTSUPP;
	}
	if (o->tx_ecn && !has(d, VIRTIO_NET_F_HOST_ECN)) {
		log_err("--tx-ecn: the back-end does not offer host_ecn");
		d->unsupported = true;
		return -EOPNOTSUPP;
	}
	if (o->tx_csum_partial && !has(d, VIRTIO_NET_F_CSUM)) {
		log_err("--tx-csum partial: the back-end does not offer csum");
		d->unsupported = true;
		return -EOPNOTSUPP;
	}
	return 0;
}

/* ---- TX ---------------------------------------------------------------- */

void vf_tcp_init(struct vf_dev *d, struct vf_txq *tx)
{
	const struct vf_opts *o = d->o;
	uint32_t l4len = o->size - d->l4_off;
	uint8_t *ip = tx->tcp_hdr + VF_ETH_HLEN, *th = tx->tcp_hdr + d->l4_off;
	struct frame f;

	/* the headers alone, then the lengths of the whole frame */
	frame_init(&f);
	frame_eth(&f, o->dst, o->mac);
	if (o->ipv6)
		frame_ip6(&f, VF_IP6_SRC, VF_IP6_DST);
	else
		frame_ip4(&f, VF_IP_SRC, VF_IP_DST, 0);
	frame_tcp(&f, tx->sport, VF_DPORT);
	frame_tcp_set(&f, VF_TCP_ISN, VF_TCP_ACKNO,
		      VF_TCP_ACK | VF_TCP_PSH | (o->tx_ecn ? VF_TCP_CWR : 0));
	frame_finish(&f); /* cannot fail: VF_HDR_MAX bytes of known layers */
	memcpy(tx->tcp_hdr, f.buf, d->pay_off);
	if (o->ipv6) {
		put16(ip + 4, (uint16_t)l4len);
	} else {
		put16(ip + 2, (uint16_t)(o->size - VF_ETH_HLEN));
		put16(ip + 6, 0x4000); /* DF, as Linux sends TCP */
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~frame_csum(ip, 20, 0));
	}
	tx->tcp_pseudo = frame_pseudo_sum(ip, l4len, IPPROTO_TCP);
	put16(th + 16, o->gso || o->tx_csum_partial ? frame_csum(NULL, 0, tx->tcp_pseudo) : 0);
}

void vf_tx_vnet_hdr(const struct vf_dev *d, uint8_t *hdr)
{
	const struct vf_opts *o = d->o;
	struct virtio_net_hdr *h = (struct virtio_net_hdr *)hdr;

	memset(hdr, 0, d->hdr_len);
	if (!o->gso && !o->tx_csum_partial)
		return;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = htole16((uint16_t)d->l4_off);
	h->csum_offset = htole16(o->proto == VF_PROTO_TCP ? 16 : 6);
	if (!o->gso)
		return;
	h->gso_type = o->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	if (o->tx_ecn)
		h->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	h->gso_size = htole16(o->gso);
	h->hdr_len = htole16((uint16_t)d->pay_off);
}

/* Bytes [at, at + *n) of slot sl's frame, cut (*n) to the piece they
 * start in (--tx-frag; without it the frame is one piece). */
static uint8_t *frame_at(const struct vf_txq *tx, const struct vf_slot *sl, uint32_t at,
			 uint32_t *n)
{
	uint32_t in = at % tx->frag;

	if (*n > tx->frag - in)
		*n = tx->frag - in;
	return sl->frame + (size_t)(at / tx->frag) * tx->frag_stride + in;
}

uint32_t vf_tcp_fill(struct vf_dev *d, struct vf_txq *tx, unsigned int s, uint32_t seq)
{
	const struct vf_opts *o = d->o;
	const struct vf_slot *sl = &tx->slots[s];
	uint32_t len = o->size, hlen = d->pay_off, l4 = d->l4_off;
	uint32_t off = seq * (len - hlen), at, n, sum = 0;
	bool full = !o->gso && !o->tx_csum_partial;
	uint8_t h[VF_HDR_MAX], *p;
	uint16_t c;

	vf_tx_vnet_hdr(d, sl->hdr);
	memcpy(h, tx->tcp_hdr, hlen);
	put32(h + l4 + 4, VF_TCP_ISN + off);
	if (!o->ipv6) {
		/* IPv4 ID = frame number; the template's is 0 (RFC 1624) */
		sum = (uint32_t)(uint16_t)~get16(h + 24) + (uint16_t)seq;
		sum = (sum & 0xffff) + (sum >> 16);
		put16(h + 18, (uint16_t)seq);
		put16(h + 24, (uint16_t)~sum);
		sum = 0;
	}
	/* the payload, piece by piece, and its sum for a full checksum (a
	 * piece at an odd offset of the TCP segment: its sum byte-swapped) */
	for (at = hlen; at < len; at += n) {
		n = len - at;
		p = frame_at(tx, sl, at, &n);
		frame_stream_fill(p, n, off + at - hlen);
		if (full) {
			c = frame_csum(p, n, 0);
			sum += (at - l4) & 1 ? (uint16_t)(c << 8 | c >> 8) : c;
			sum = (sum & 0xffff) + (sum >> 16);
		}
	}
	if (full)
		put16(h + l4 + 16, (uint16_t)~frame_csum(h + l4, hlen - l4, tx->tcp_pseudo + sum));
	for (at = 0; at < hlen; at += n) {
		n = hlen - at;
		p = frame_at(tx, sl, at, &n);
		memcpy(p, h + at, n);
	}
	return len;
}

bool vf_echo_vnet_hdr(struct vf_dev *d, const struct virtio_net_hdr *h, uint8_t *txh,
		      uint8_t *f, uint32_t len)
{
	struct virtio_net_hdr *t = (struct virtio_net_hdr *)txh;
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t start = le16toh(h->csum_start), off = le16toh(h->csum_offset);
	unsigned int need;

	memset(txh, 0, d->hdr_len);
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return true; /* DATA_VALID means nothing on TX */
	if (type != VIRTIO_NET_HDR_GSO_NONE) {
		if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
			return false;
		need = type == VIRTIO_NET_HDR_GSO_TCPV4 ? VIRTIO_NET_F_HOST_TSO4 :
							  VIRTIO_NET_F_HOST_TSO6;
		if (!has(d, need) ||
		    (h->gso_type & VIRTIO_NET_HDR_GSO_ECN && !has(d, VIRTIO_NET_F_HOST_ECN)))
			return false;
		memcpy(t, h, sizeof(*t));
		t->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM; /* no DATA_VALID on TX */
		d->st.tx_gso++;
		return true;
	}
	if (has(d, VIRTIO_NET_F_CSUM)) {
		t->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		t->csum_start = h->csum_start;
		t->csum_offset = h->csum_offset;
		return true;
	}
	/* what the device would have done */
	if ((uint32_t)start + off + 2 > len)
		return false;
	put16(f + start + off, (uint16_t)~frame_csum(f + start, len - start, 0));
	return true;
}

/* ---- RX ---------------------------------------------------------------- */

int vf_rx_vnet_hdr(const struct vf_dev *d, const struct virtio_net_hdr *h)
{
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	unsigned int tso;

	if (unlikely(h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)))
		return -1;
	if (likely(!h->flags && !h->gso_type))
		return VF_RX_PLAIN;
	if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN && !has(d, VIRTIO_NET_F_GUEST_ECN))
		return -1;
	if (type == VIRTIO_NET_HDR_GSO_TCPV4 || type == VIRTIO_NET_HDR_GSO_TCPV6) {
		tso = type == VIRTIO_NET_HDR_GSO_TCPV4 ? VIRTIO_NET_F_GUEST_TSO4 :
							 VIRTIO_NET_F_GUEST_TSO6;
		return h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM && has(d, tso) ? VF_RX_GSO : -1;
	}
	if (h->gso_type) /* UDP (UFO, USO), unknown, or ECN alone */
		return -1;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return has(d, VIRTIO_NET_F_GUEST_CSUM) ? VF_RX_PARTIAL : -1;
	/* DATA_VALID: accepted (and checked) whether or not guest_csum was
	 * negotiated, as before there were offloads */
	return VF_RX_VALID;
}

static const char *kind_name(int kind)
{
	switch (kind) {
	case VF_RX_GSO:
		return "GSO";
	case VF_RX_PARTIAL:
		return "NEEDS_CSUM";
	case VF_RX_VALID:
		return "DATA_VALID";
	default:
		return "no flags";
	}
}

/* A seeded checksum: where it says it is, and the seed the pseudo-header
 * sum of l4len bytes (0 and 0xffff are the same number). */
static bool seed_ok(const uint8_t *l3, const uint8_t *field, uint32_t l4len, uint8_t proto)
{
	uint16_t want = frame_csum(NULL, 0, frame_pseudo_sum(l3, l4len, proto)), got = get16(field);

	return got == want || ((got == 0 || got == 0xffff) && (want == 0 || want == 0xffff));
}

static bool full_ok(const uint8_t *l3, const uint8_t *l4, uint32_t l4len, uint8_t proto)
{
	return frame_csum(l4, l4len, frame_pseudo_sum(l3, l4len, proto)) == 0xffff;
}

int vf_rx_udp_csum(struct vf_dev *d, const struct virtio_net_hdr *h, int kind,
		   const uint8_t *f, unsigned int l4, uint32_t ulen)
{
	const uint8_t *l3 = f + VF_ETH_HLEN;

	switch (kind) {
	case VF_RX_PARTIAL:
		if (le16toh(h->csum_start) != l4 || le16toh(h->csum_offset) != 6)
			return -1;
		d->st.rx_csum_partial++;
		return seed_ok(l3, f + l4 + 6, ulen, IPPROTO_UDP) ? 0 : 1;
	case VF_RX_VALID:
		d->st.rx_csum_valid++;
		if (l3[0] >> 4 == 4 && !f[l4 + 6] && !f[l4 + 7])
			return 0; /* none to vouch for */
		return full_ok(l3, f + l4, ulen, IPPROTO_UDP) ? 0 : 1;
	case VF_RX_GSO:
		return -1;
	default:
		return 0; /* as before offloads: --canary checks it */
	}
}

/* The stream of flow fl: seq..seq+plen arrived (verified) with TCP flags
 * `flags`. A stream with CWR (--tx-ecn: every TSO frame has it) shows
 * where the sender's frames begin: CWR exactly on the segment after one
 * with PSH, i.e. on the first segment of a frame and PSH on the last.
 * False: it does not (rx_bad). */
static bool stream_track(struct vf_dev *d, struct vf_flow *fl, uint32_t seq, uint32_t plen,
			 uint8_t flags)
{
	struct vf_stats *st = &d->st;
	int32_t ahead = (int32_t)(seq - fl->next);
	bool ok = true;

	if (seq == VF_TCP_ISN && ahead) {
		fl->next = VF_TCP_ISN; /* the sender started over */
		fl->tcp_flags = VF_TCP_PSH;
		ahead = 0;
	}
	if (ahead < 0) {
		if (st->rx_stream_late < VF_RX_LOGGED)
			log_dbg("flow %012llx:%u: seq %u behind the stream (next %u)",
				(unsigned long long)(fl->key >> 16),
				(unsigned int)(fl->key & 0xffff), seq, fl->next);
		st->rx_stream_late++;
		return true;
	}
	if (ahead) {
		if (st->rx_stream_gap < VF_RX_LOGGED)
			log_dbg("flow %012llx:%u: %u bytes missing at seq %u",
				(unsigned long long)(fl->key >> 16),
				(unsigned int)(fl->key & 0xffff), (unsigned int)ahead, fl->next);
		st->rx_stream_gap++;
		st->rx_stream_lost += (uint32_t)ahead;
	} else if (flags & VF_TCP_CWR || fl->ecn) {
		fl->ecn = true;
		ok = !(flags & VF_TCP_CWR) == !(fl->tcp_flags & VF_TCP_PSH);
		if (!ok && st->rx_bad < VF_RX_LOGGED)
			log_info("rx: seq %u: CWR %s, PSH %s on the segment before", seq,
				 flags & VF_TCP_CWR ? "set" : "clear",
				 fl->tcp_flags & VF_TCP_PSH ? "set" : "clear");
	}
	st->rx_stream_bytes += plen;
	fl->next = seq + plen;
	fl->tcp_flags = flags;
	return ok;
}

/* The TCP checksum of frame f (its L4 header at l4, l4len bytes) for its
 * header's kind; false: a malformed header (rx_bad). Wrong sums are
 * counted (rx_csum_bad). */
static bool tcp_csum(struct vf_dev *d, const struct virtio_net_hdr *h, int kind,
		     const uint8_t *f, unsigned int l4, unsigned int hlen, uint32_t l4len,
		     bool v6)
{
	const uint8_t *l3 = f + VF_ETH_HLEN;
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool ok;

	switch (kind) {
	case VF_RX_GSO:
		if (type != (v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) ||
		    le16toh(h->hdr_len) != hlen || !le16toh(h->gso_size))
			return false;
		d->st.rx_gso++;
		/* fall through */
	case VF_RX_PARTIAL:
		if (le16toh(h->csum_start) != l4 || le16toh(h->csum_offset) != 16)
			return false;
		d->st.rx_csum_partial += kind == VF_RX_PARTIAL;
		ok = seed_ok(l3, f + l4 + 16, l4len, IPPROTO_TCP);
		break;
	case VF_RX_VALID:
		d->st.rx_csum_valid++;
		/* fall through */
	default:
		ok = full_ok(l3, f + l4, l4len, IPPROTO_TCP);
		break;
	}
	if (!ok) {
		if (d->st.rx_csum_bad < VF_RX_LOGGED)
			log_info("rx: TCP checksum wrong (%s): seq %u, %u bytes, field %#06x",
				 kind_name(kind), get32(f + l4 + 4), l4len, get16(f + l4 + 16));
		d->st.rx_csum_bad++;
	}
	return true;
}

bool vf_rx_tcp(struct vf_dev *d, const struct virtio_net_hdr *h, int kind, const uint8_t *f,
	       uint32_t len)
{
	const uint8_t *l3 = f + VF_ETH_HLEN;
	bool v6 = get16(f + 12) == 0x86dd;
	unsigned int ihl = v6 ? 40 : (l3[0] & 0xf) * 4u, l4 = VF_ETH_HLEN + ihl, hlen;
	uint32_t end, seq, plen;
	struct vf_flow *fl;
	size_t good;

	/* the caller saw the IP version and protocol; lengths */
	end = v6 ? VF_ETH_HLEN + 40u + get16(l3 + 4) : VF_ETH_HLEN + (uint32_t)get16(l3 + 2);
	if (ihl < 20 || len < l4 + 20 || end > len || (end < len && len > VF_FRAME_MIN))
		goto bad; /* padding only up to the minimum frame */
	if (!v6 && ((l3[6] & 0x3f) || l3[7]))
		goto bad; /* a fragment */
	hlen = l4 + (f[l4 + 12] >> 4) * 4u;
	if (hlen < l4 + 20 || hlen > end)
		goto bad;
	if (!v6 && frame_csum(l3, ihl, 0) != 0xffff) {
		if (d->st.rx_csum_bad < VF_RX_LOGGED)
			log_info("rx: IPv4 header checksum wrong: id %u, length %u",
				 get16(l3 + 4), end - VF_ETH_HLEN);
		d->st.rx_csum_bad++;
	}
	if (!tcp_csum(d, h, kind, f, l4, hlen, end - l4, v6))
		goto bad;
	seq = get32(f + l4 + 4);
	plen = end - hlen;
	good = frame_stream_check(f + hlen, plen, seq - VF_TCP_ISN);
	if (good != plen) {
		if (d->st.rx_bad < VF_RX_LOGGED)
			log_info("rx: TCP payload wrong at byte %zu of %u (seq %u, %s)", good,
				 plen, seq, kind_name(kind));
		return false;
	}
	if (!plen)
		return true; /* a bare ACK: no place in the stream */
	fl = vf_flow_get(d, f + 6, get16(f + l4), IPPROTO_TCP);
	return !fl || stream_track(d, fl, seq, plen, f[l4 + 13]);
bad:
	if (d->st.rx_bad < VF_RX_LOGGED)
		log_info("rx: bad TCP frame (%s): %u bytes, IP length %u; header: csum_start %u "
			 "csum_offset %u hdr_len %u gso_size %u",
			 kind_name(kind), len, end - VF_ETH_HLEN, le16toh(h->csum_start),
			 le16toh(h->csum_offset), le16toh(h->hdr_len), le16toh(h->gso_size));
	return false;
}

/* ---- report ------------------------------------------------------------ */

bool vf_ofl_keys(const struct vf_opts *o)
{
	return o->proto == VF_PROTO_TCP || o->ipv6 || o->offloads;
}

static double gbps(uint64_t bytes, uint64_t bytes0, uint64_t first, uint64_t last,
		   double elapsed)
{
	double span = (double)(last - first) / 1e9;

	if (first && last > first && span > 0.001)
		return (double)(bytes - bytes0) * 8 / span / 1e9;
	return elapsed > 0 ? (double)bytes * 8 / elapsed / 1e9 : 0;
}

void vf_ofl_report(const struct vf_dev *d)
{
	const struct vf_stats *st = &d->st;
	double elapsed = (double)(st->t_end - st->t_start) / 1e9;

	printf(" rx_gso=%llu rx_csum_partial=%llu rx_csum_valid=%llu rx_csum_bad=%llu "
	       "rx_stream_bytes=%llu rx_stream_gap=%llu tx_gso=%llu rx_gbps=%.3f tx_gbps=%.3f "
	       "rx_stream_lost=%llu rx_stream_late=%llu",
	       (unsigned long long)st->rx_gso, (unsigned long long)st->rx_csum_partial,
	       (unsigned long long)st->rx_csum_valid, (unsigned long long)st->rx_csum_bad,
	       (unsigned long long)st->rx_stream_bytes, (unsigned long long)st->rx_stream_gap,
	       (unsigned long long)st->tx_gso,
	       gbps(st->rx_bytes, st->rx_bytes0, st->t_first_rx, st->t_last_rx, elapsed),
	       gbps(st->tx_bytes, st->tx_bytes0, st->t_first_tx, st->t_last_tx, elapsed),
	       (unsigned long long)st->rx_stream_lost, (unsigned long long)st->rx_stream_late);
}
