// SPDX-License-Identifier: GPL-2.0-only
#include "frame.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ETYPE_VLAN_OK(t) ((t) == 0x8100 || (t) == 0x88a8)

void frame_init(struct frame *f)
{
	memset(f, 0, sizeof(*f));
}

int frame_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static void fail(struct frame *f, int err)
{
	if (!f->err)
		f->err = err;
}

/* Reserve n bytes at the end; NULL (and f->err) if they do not fit. */
static uint8_t *put(struct frame *f, size_t n)
{
	uint8_t *p;

	if (f->err)
		return NULL;
	if (f->len + n > FRAME_MAX) {
		fail(f, -ENOSPC);
		return NULL;
	}
	p = f->buf + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Close the open next-protocol field; `size` says which kind it must be. */
static void close_next(struct frame *f, int size, unsigned int value)
{
	if (f->err)
		return;
	if (f->next_size != size) {
		fail(f, -EPROTO);
		return;
	}
	if (size == 2)
		put16(f->buf + f->next_off, (uint16_t)value);
	else
		f->buf[f->next_off] = (uint8_t)value;
	f->next_size = 0;
}

static void open_next(struct frame *f, size_t off, int size)
{
	f->next_off = off;
	f->next_size = size;
}

void frame_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6])
{
	uint8_t *p = put(f, 14);

	if (!p)
		return;
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	open_next(f, f->len - 2, 2);
}

void frame_vlan(struct frame *f, uint16_t tpid, uint16_t vid)
{
	size_t at = f->len;
	uint8_t *p;

	if (!ETYPE_VLAN_OK(tpid) || vid > 4095)
		fail(f, -EINVAL);
	close_next(f, 2, tpid);
	p = put(f, 4);
	if (!p)
		return;
	put16(p, vid);
	open_next(f, at + 2, 2);
}

void frame_ethertype(struct frame *f, uint16_t type)
{
	close_next(f, 2, type);
}

static void put_addr(struct frame *f, int af, const char *s, uint8_t *p)
{
	if (inet_pton(af, s, p) != 1)
		fail(f, -EINVAL);
}

void frame_ip4(struct frame *f, const char *src, const char *dst, size_t optlen)
{
	size_t at = f->len;
	uint8_t *p;

	if (optlen % 4 || optlen > 40)
		fail(f, -EINVAL);
	close_next(f, 2, 0x0800);
	p = put(f, 20 + optlen);
	if (!p)
		return;
	p[0] = (uint8_t)(0x40 | ((20 + optlen) / 4));
	p[8] = 64; /* TTL */
	put_addr(f, AF_INET, src, p + 12);
	put_addr(f, AF_INET, dst, p + 16);
	memset(p + 20, 1, optlen); /* NOP options */
	f->ip_off = at;
	f->ip_ver = 4;
	open_next(f, at + 9, 1);
}

void frame_ip4_frag(struct frame *f, uint16_t offset8, bool more)
{
	if (f->ip_ver != 4 || offset8 > 0x1fff) {
		fail(f, -EINVAL);
		return;
	}
	put16(f->buf + f->ip_off + 6, (uint16_t)(offset8 | (more ? 0x2000 : 0)));
}

void frame_ip6(struct frame *f, const char *src, const char *dst)
{
	size_t at = f->len;
	uint8_t *p;

	close_next(f, 2, 0x86dd);
	p = put(f, 40);
	if (!p)
		return;
	p[0] = 0x60;
	p[7] = 64; /* hop limit */
	put_addr(f, AF_INET6, src, p + 8);
	put_addr(f, AF_INET6, dst, p + 24);
	f->ip_off = at;
	f->ip_ver = 6;
	open_next(f, at + 6, 1);
}

void frame_ip6_ext(struct frame *f, uint8_t type, size_t len)
{
	size_t at = f->len, unit = type == 51 ? 4 : 8;
	uint8_t *p;

	if (len < 8 || len % unit || len / unit - (type == 51 ? 2 : 1) > 255 || type == 44)
		fail(f, -EINVAL);
	close_next(f, 1, type);
	p = put(f, len);
	if (!p)
		return;
	p[1] = (uint8_t)(len / unit - (type == 51 ? 2 : 1));
	if (type != 51 && len > 8) { /* PadN over the option area */
		p[2] = 1;
		p[3] = (uint8_t)(len - 4);
	}
	open_next(f, at, 1);
}

void frame_ip6_frag(struct frame *f, uint16_t offset8, bool more)
{
	size_t at = f->len;
	uint8_t *p;

	if (offset8 > 0x1fff)
		fail(f, -EINVAL);
	close_next(f, 1, 44);
	p = put(f, 8);
	if (!p)
		return;
	put16(p + 2, (uint16_t)((offset8 << 3) | (more ? 1 : 0)));
	p[7] = 1; /* identification */
	open_next(f, at, 1);
}

void frame_ipproto(struct frame *f, uint8_t proto)
{
	/* a raw protocol number: no L4 header of ours, so no checksum */
	close_next(f, 1, proto);
	f->l4proto = proto;
	f->l4_off = 0;
}

static uint8_t *put_l4(struct frame *f, uint8_t proto, size_t len)
{
	size_t at = f->len;
	uint8_t *p;

	close_next(f, 1, proto);
	p = put(f, len);
	if (!p)
		return NULL;
	f->l4_off = at;
	f->l4proto = proto;
	return p;
}

void frame_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *p = put_l4(f, 17, 8);

	if (!p)
		return;
	put16(p, sport);
	put16(p + 2, dport);
}

void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *p = put_l4(f, 6, 20);

	if (!p)
		return;
	put16(p, sport);
	put16(p + 2, dport);
	p[12] = 5 << 4; /* data offset */
	p[13] = 0x02; /* SYN */
	put16(p + 14, 65535);
}

void frame_tcp_set(struct frame *f, uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint8_t *p = f->buf + f->l4_off;

	if (f->err)
		return;
	if (f->l4proto != 6 || !f->l4_off) {
		fail(f, -EPROTO);
		return;
	}
	put16(p + 4, (uint16_t)(seq >> 16));
	put16(p + 6, (uint16_t)seq);
	put16(p + 8, (uint16_t)(ack >> 16));
	put16(p + 10, (uint16_t)ack);
	p[13] = flags;
}

void frame_icmp(struct frame *f, uint8_t type, uint8_t code)
{
	uint8_t *p = put_l4(f, f->ip_ver == 6 ? 58 : 1, 8);

	if (!p)
		return;
	p[0] = type;
	p[1] = code;
}

void frame_arp(struct frame *f, uint16_t op, const uint8_t sha[6], const char *spa,
	       const uint8_t tha[6], const char *tpa)
{
	uint8_t *p;

	close_next(f, 2, 0x0806);
	p = put(f, 28);
	if (!p)
		return;
	put16(p, 1); /* Ethernet */
	put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, sha, 6);
	put_addr(f, AF_INET, spa, p + 14);
	if (tha)
		memcpy(p + 18, tha, 6);
	put_addr(f, AF_INET, tpa, p + 24);
}

void frame_nd(struct frame *f, uint8_t type, uint32_t word, const char *target)
{
	size_t len;
	uint8_t *p;

	switch (type) {
	case 133:
		len = 8;
		break;
	case 134:
		len = 16;
		break;
	case 135:
	case 136:
		len = 24;
		break;
	case 137:
		len = 40;
		break;
	default:
		fail(f, -EINVAL);
		return;
	}
	if (f->ip_ver != 6)
		fail(f, -EPROTO);
	p = put_l4(f, 58, len);
	if (!p)
		return;
	p[0] = type;
	put16(p + 4, (uint16_t)(word >> 16));
	put16(p + 6, (uint16_t)word);
	if (len >= 24 && target) {
		put_addr(f, AF_INET6, target, p + 8);
		if (type == 137)
			memcpy(p + 24, p + 8, 16);
	}
}

void frame_nd_opt(struct frame *f, uint8_t type, const void *data, size_t n)
{
	size_t len = (n + 2 + 7) / 8 * 8;
	uint8_t *p;

	if (f->l4proto != 58 || !f->l4_off || len / 8 > 255)
		fail(f, -EPROTO);
	p = put(f, len);
	if (!p)
		return;
	p[0] = type;
	p[1] = (uint8_t)(len / 8);
	if (n)
		memcpy(p + 2, data, n);
}

void frame_dhcp(struct frame *f, uint8_t op, uint8_t msg_type, const uint8_t chaddr[6])
{
	uint8_t *p;

	if (f->l4proto != 17 || !f->l4_off)
		fail(f, -EPROTO);
	p = put(f, 236 + 4 + (msg_type ? 3 : 0) + 1);
	if (!p)
		return;
	p[0] = op;
	p[1] = 1; /* Ethernet */
	p[2] = 6;
	memcpy(p + 4, "\x5e\xc0\xff\xee", 4); /* xid */
	memcpy(p + 28, chaddr, 6);
	memcpy(p + 236, "\x63\x82\x53\x63", 4); /* magic cookie */
	if (msg_type) {
		p[240] = 53;
		p[241] = 1;
		p[242] = msg_type;
	}
	p[236 + 4 + (msg_type ? 3 : 0)] = 255; /* end */
}

void frame_dhcp6(struct frame *f, uint8_t msg_type, uint32_t xid)
{
	uint8_t *p;

	if (f->l4proto != 17 || !f->l4_off)
		fail(f, -EPROTO);
	p = put(f, 4);
	if (!p)
		return;
	p[0] = msg_type;
	p[1] = (uint8_t)(xid >> 16);
	p[2] = (uint8_t)(xid >> 8);
	p[3] = (uint8_t)xid;
}

void frame_bytes(struct frame *f, const void *data, size_t n)
{
	uint8_t *p = put(f, n);

	if (p && n)
		memcpy(p, data, n);
}

void frame_payload(struct frame *f, size_t n, uint32_t seq)
{
	uint8_t *p = put(f, n);
	size_t i;

	if (!p)
		return;
	for (i = 0; i < n; i++)
		p[i] = i < 4 ? (uint8_t)(seq >> (24 - 8 * i)) : (uint8_t)(seq * 31 + i);
}

int64_t frame_payload_check(const uint8_t *p, size_t n)
{
	uint32_t seq;
	size_t i;

	if (n < 4)
		return -1;
	seq = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	for (i = 4; i < n; i++)
		if (p[i] != (uint8_t)(seq * 31 + i))
			return -1;
	return seq;
}

/* The stream's 8 bytes at offset o, a multiple of 8 (little-endian: the
 * byte at o + k is bits 8k..8k+7). A bijection of o: an odd multiplier,
 * then an xorshift. */
static inline uint64_t stream_word(uint32_t o)
{
	uint64_t x = (uint64_t)o * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

static inline uint8_t stream_byte(uint32_t s)
{
	return (uint8_t)(stream_word(s & ~7u) >> (8 * (s & 7)));
}

void frame_stream_fill(uint8_t *p, size_t n, uint32_t off)
{
	size_t i = 0;
	uint64_t w;

	for (; i < n && ((off + i) & 7); i++)
		p[i] = stream_byte((uint32_t)(off + i));
	for (; i + 8 <= n; i += 8) {
		w = htole64(stream_word((uint32_t)(off + i)));
		memcpy(p + i, &w, 8);
	}
	for (; i < n; i++)
		p[i] = stream_byte((uint32_t)(off + i));
}

size_t frame_stream_check(const uint8_t *p, size_t n, uint32_t off)
{
	size_t i = 0, k;
	uint64_t w;

	for (; i < n && ((off + i) & 7); i++)
		if (p[i] != stream_byte((uint32_t)(off + i)))
			return i;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w != htole64(stream_word((uint32_t)(off + i))))
			break; /* the byte loop below finds which */
	}
	for (k = i; k < n; k++)
		if (p[k] != stream_byte((uint32_t)(off + k)))
			return k;
	return n;
}

void frame_stream(struct frame *f, size_t n, uint32_t off)
{
	uint8_t *p = put(f, n);

	if (p)
		frame_stream_fill(p, n, off);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The IPv4/IPv6 pseudo-header's sum for l4len bytes of protocol proto. */
static uint32_t pseudo_sum(const uint8_t *ip, int ip_ver, size_t l4len, uint8_t proto)
{
	uint32_t sum = ip_ver == 4 ? csum_add(0, ip + 12, 8) : csum_add(0, ip + 8, 32);
	uint8_t tail[4];

	put16(tail, (uint16_t)(l4len >> 16));
	put16(tail + 2, (uint16_t)l4len);
	return csum_add(sum, tail, 4) + proto;
}

/* Checksum of the L4 header and payload with the IPv4/IPv6 pseudo-header. */
static void l4_csum(struct frame *f, size_t csum_at)
{
	size_t l4len = f->len - f->l4_off;
	uint32_t sum = pseudo_sum(f->buf + f->ip_off, f->ip_ver, l4len, f->l4proto);

	put16(f->buf + csum_at, 0);
	sum = csum_add(sum, f->buf + f->l4_off, l4len);
	put16(f->buf + csum_at, csum_fold(sum));
}

uint16_t frame_csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	uint64_t s = 0;
	uint32_t w;
	uint16_t h = 0;
	uint8_t odd[2] = { 0, 0 };

	/* Host-order 32-bit words into 64 bits (no overflow below 2^32
	 * words): one's complement sums do not care about byte order but
	 * for a final swap (RFC 1071 2(B)). */
	for (; n >= 4; b += 4, n -= 4) {
		memcpy(&w, b, 4);
		s += w;
	}
	if (n >= 2) {
		memcpy(&h, b, 2);
		s += h;
		b += 2;
		n -= 2;
	}
	if (n) {
		odd[0] = b[0];
		memcpy(&h, odd, 2);
		s += h;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (uint64_t)be16toh((uint16_t)s) + (sum & 0xffff) + (sum >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint32_t frame_pseudo_sum(const uint8_t *ip, size_t l4len, uint8_t proto)
{
	return pseudo_sum(ip, ip[0] >> 4, l4len, proto);
}

bool frame_l4_csum_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *l4;
	size_t ihl, end;
	uint8_t proto;

	if (len < 14 + 20)
		return false;
	if (f[12] == 0x08 && f[13] == 0x00 && ip[0] >> 4 == 4) {
		ihl = (size_t)(ip[0] & 0xf) * 4;
		end = 14 + (size_t)(ip[2] << 8 | ip[3]);
		if (ihl < 20 || end > len || end < 14 + ihl || (ip[6] & 0x3f) || ip[7] ||
		    csum_fold(csum_add(0, ip, ihl)))
			return false;
		proto = ip[9];
	} else if (f[12] == 0x86 && f[13] == 0xdd && len >= 14 + 40 && ip[0] >> 4 == 6) {
		ihl = 40;
		end = 14 + 40 + (size_t)(ip[4] << 8 | ip[5]);
		if (end > len)
			return false;
		proto = ip[6];
	} else {
		return false;
	}
	l4 = ip + ihl;
	if ((proto != 6 && proto != 17) || end - 14 - ihl < (proto == 6 ? 20u : 8u))
		return false;
	if (proto == 17 && !l4[6] && !l4[7])
		return ip[0] >> 4 == 4; /* sent without a checksum: IPv4 only */
	return frame_csum(l4, end - 14 - ihl, frame_pseudo_sum(ip, end - 14 - ihl, proto)) ==
	       0xffff;
}

bool frame_ip4_udp_csums_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *udp;
	size_t ihl;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[0] >> 4 != 4)
		return false;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < 20 || len < 14 + ihl + 8 || ip[9] != 17 || csum_fold(csum_add(0, ip, ihl)))
		return false;
	udp = ip + ihl;
	if (!udp[6] && !udp[7])
		return true; /* sent without a checksum */
	return !csum_fold(csum_add(pseudo_sum(ip, 4, len - 14 - ihl, 17), udp, len - 14 - ihl));
}

int frame_finish(struct frame *f)
{
	uint8_t *ip = f->buf + f->ip_off;

	if (f->err)
		return f->err;
	if (f->next_size == 2) /* plain L2 frame: call it experimental */
		frame_ethertype(f, 0x88b5);
	else if (f->next_size == 1)
		frame_ipproto(f, 59);
	if (f->ip_ver == 4) {
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;

		put16(ip + 2, (uint16_t)(f->len - f->ip_off));
		put16(ip + 10, 0);
		put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
	} else if (f->ip_ver == 6) {
		put16(ip + 4, (uint16_t)(f->len - f->ip_off - 40));
	}
	if (f->ip_ver && f->l4_off) {
		if (f->l4proto == 17) {
			put16(f->buf + f->l4_off + 4, (uint16_t)(f->len - f->l4_off));
			l4_csum(f, f->l4_off + 6);
		} else if (f->l4proto == 6) {
			l4_csum(f, f->l4_off + 16);
		} else if (f->l4proto == 58) {
			l4_csum(f, f->l4_off + 2);
		} else if (f->l4proto == 1) {
			put16(f->buf + f->l4_off + 2, 0);
			put16(f->buf + f->l4_off + 2,
			      csum_fold(csum_add(0, f->buf + f->l4_off, f->len - f->l4_off)));
		}
	}
	return f->err ? f->err : (int)f->len;
}

void frame_resize(struct frame *f, size_t len)
{
	if (len > FRAME_MAX) {
		fail(f, -ENOSPC);
		return;
	}
	if (len > f->len)
		memset(f->buf + f->len, 0, len - f->len);
	f->len = len;
}
