// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the binary seed corpora of fuzz_parse, fuzz_vq (split and packed
 * rings), fuzz_vhost and fuzz_inflight under DIR/<target>/corpus/ (fuzz_config's seeds are
 * plain YAML files, kept by hand). The formats are those described at the top of each
 * fuzz_*.c. Run from the top of the tree (see tests/fuzz/README.md):
 *
 *   cc -Iinclude -Isrc -o /tmp/mkseeds tests/fuzz/mkseeds.c && /tmp/mkseeds tests/fuzz
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vhost/vu_inflight.h"
#include "vhost/vu_proto.h"

static const char *top;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/corpus", top, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/corpus/%s", top, target, name);
	f = fopen(path, "w");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "mkseeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* A byte buffer with big-endian (network) and little-endian writers. */
struct buf {
	uint8_t b[20000];
	size_t n;
};

static void u8(struct buf *b, uint8_t v)
{
	b->b[b->n++] = v;
}

static void be16(struct buf *b, uint16_t v)
{
	u8(b, (uint8_t)(v >> 8));
	u8(b, (uint8_t)v);
}

static void le16(struct buf *b, uint16_t v)
{
	u8(b, (uint8_t)v);
	u8(b, (uint8_t)(v >> 8));
}

static void le32(struct buf *b, uint32_t v)
{
	le16(b, (uint16_t)v);
	le16(b, (uint16_t)(v >> 16));
}

static void bytes(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void zeros(struct buf *b, size_t n)
{
	memset(b->b + b->n, 0, n);
	b->n += n;
}

/* ---- fuzz_parse: 2 bytes linear length, then the frame ---------------- */

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mc6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

static void eth(struct buf *b, const uint8_t *dst, const uint16_t *tags, int ntags,
		uint16_t type)
{
	int i;

	bytes(b, dst, 6);
	bytes(b, mac_a, 6);
	for (i = 0; i < ntags; i++) {
		be16(b, i == 0 && ntags > 1 ? 0x88a8 : 0x8100);
		be16(b, tags[i]);
	}
	be16(b, type);
}

static void ip4(struct buf *b, uint8_t proto, uint16_t payload, uint16_t frag, int opt_words)
{
	u8(b, (uint8_t)(0x45 + opt_words));
	u8(b, 0);
	be16(b, (uint16_t)(20 + 4 * opt_words + payload));
	be16(b, 0x1234);
	be16(b, frag);
	u8(b, 64);
	u8(b, proto);
	be16(b, 0); /* checksum: not the parser's business */
	bytes(b, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	bytes(b, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	for (int i = 0; i < opt_words; i++)
		bytes(b, (uint8_t[]){ 1, 1, 1, 0 }, 4); /* NOP NOP NOP EOL */
}

static void ip6(struct buf *b, uint8_t nh, uint16_t payload)
{
	static const uint8_t a[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t c[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

	be16(b, 0x6000);
	be16(b, 0);
	be16(b, payload);
	u8(b, nh);
	u8(b, 64);
	bytes(b, a, 16);
	bytes(b, c, 16);
}

static void udp(struct buf *b, uint16_t sport, uint16_t dport, uint16_t payload)
{
	be16(b, sport);
	be16(b, dport);
	be16(b, (uint16_t)(8 + payload));
	be16(b, 0);
	for (int i = 0; i < payload; i++)
		u8(b, (uint8_t)i);
}

static void tcp(struct buf *b, uint16_t sport, uint16_t dport, uint8_t flags)
{
	be16(b, sport);
	be16(b, dport);
	be16(b, 0);
	be16(b, 1); /* seq */
	le32(b, 0); /* ack */
	u8(b, 5 << 4);
	u8(b, flags);
	be16(b, 65535);
	be16(b, 0);
	be16(b, 0);
}

static void icmp(struct buf *b, uint8_t type, uint8_t code)
{
	u8(b, type);
	u8(b, code);
	be16(b, 0);
	be16(b, 1);
	be16(b, 1);
}

/* linear = 0xffff: all of it */
static void frame(const char *name, struct buf *f, uint16_t linear)
{
	struct buf o = { .n = 0 };

	le16(&o, linear);
	bytes(&o, f->b, f->n);
	put("fuzz_parse", name, o.b, o.n);
}

static void parse_seeds(void)
{
	static const uint16_t one[] = { 10 }, two[] = { 100, 10 }, three[] = { 1, 2, 3 };
	struct buf f;

	f.n = 0; /* ARP request */
	eth(&f, mac_bc, NULL, 0, ETH_P_ARP);
	be16(&f, 1);
	be16(&f, ETH_P_IP);
	u8(&f, 6);
	u8(&f, 4);
	be16(&f, 1);
	bytes(&f, mac_a, 6);
	bytes(&f, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	zeros(&f, 6);
	bytes(&f, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	frame("arp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_UDP, 8 + 32, 0, 0);
	udp(&f, 5353, 53, 32);
	frame("ip4-udp", &f, 0xffff);
	frame("ip4-udp-linear34", &f, 34);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_TCP, 20, 0, 0);
	tcp(&f, 40000, 80, 0x02);
	frame("ip4-tcp-syn", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_ICMP, 8, 0, 2);
	icmp(&f, 8, 0);
	frame("ip4-options-icmp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_UDP, 8 + 16, 0x2000, 0);
	udp(&f, 1, 2, 16);
	frame("ip4-first-fragment", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_UDP, 16, 0x0003, 0);
	zeros(&f, 16);
	frame("ip4-later-fragment", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_UDP, 1400, 0, 0);
	udp(&f, 7, 9, 1392);
	frame("ip4-udp-1442-multibuf", &f, 64);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_TCP, 20, 0, 0);
	f.n -= 4;
	frame("ip4-truncated-ip", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	ip4(&f, IPPROTO_TCP, 20, 0, 0);
	tcp(&f, 1, 2, 0x10);
	f.n -= 6;
	frame("ip4-truncated-tcp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IPV6);
	ip6(&f, IPPROTO_UDP, 8 + 10);
	udp(&f, 546, 547, 10);
	frame("ip6-udp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IPV6);
	ip6(&f, IPPROTO_TCP, 20);
	tcp(&f, 22, 50000, 0x12);
	frame("ip6-tcp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_mc6, NULL, 0, ETH_P_IPV6);
	ip6(&f, IPPROTO_ICMPV6, 8);
	icmp(&f, 135, 0);
	frame("ip6-icmp6-mcast", &f, 0xffff);

	f.n = 0; /* hop-by-hop, then a first fragment, then UDP */
	eth(&f, mac_b, NULL, 0, ETH_P_IPV6);
	ip6(&f, IPPROTO_HOPOPTS, 8 + 8 + 8 + 4);
	bytes(&f, (uint8_t[]){ IPPROTO_FRAGMENT, 0, 1, 4, 0, 0, 0, 0 }, 8);
	bytes(&f, (uint8_t[]){ IPPROTO_UDP, 0, 0, 1, 0, 0, 0, 42 }, 8);
	udp(&f, 1000, 2000, 4);
	frame("ip6-hbh-frag-udp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IPV6);
	ip6(&f, IPPROTO_FRAGMENT, 8 + 16);
	bytes(&f, (uint8_t[]){ IPPROTO_TCP, 0, 0x05, 0x00, 0, 0, 0, 42 }, 8);
	zeros(&f, 16);
	frame("ip6-later-fragment", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, one, 1, ETH_P_IP);
	ip4(&f, IPPROTO_UDP, 8 + 4, 0, 0);
	udp(&f, 67, 68, 4);
	frame("vlan-ip4-udp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_bc, two, 2, ETH_P_IPV6);
	ip6(&f, IPPROTO_TCP, 20);
	tcp(&f, 1, 2, 0x02);
	frame("qinq-ip6-tcp", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, three, 3, ETH_P_IP);
	ip4(&f, IPPROTO_UDP, 8, 0, 0);
	udp(&f, 1, 2, 0);
	frame("vlan-too-deep", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, one, 1, ETH_P_IP);
	f.n -= 3;
	frame("vlan-truncated", &f, 0xffff);

	f.n = 0;
	eth(&f, mac_b, NULL, 0, ETH_P_IP);
	f.n = 10;
	frame("runt", &f, 0xffff);
}

/* ---- fuzz_vq: 16-byte header, then the guest memory image ------------- */

#define VQ_IMG 16384

struct vq_seed {
	uint8_t size_log2, flags;
	uint16_t desc, avail, used, base, rx_len;
	uint8_t rx_n, rx_src, tx_n, mode;
	uint8_t img[VQ_IMG];
	size_t img_len; /* bytes of the image written out */
};

static void vq_desc(struct vq_seed *s, uint32_t at, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(s->img + at, &d, sizeof(d));
}

/* avail ring: entries from the base index on, then idx = base + n */
static void vq_avail(struct vq_seed *s, const uint16_t *heads, int n)
{
	uint16_t size = (uint16_t)(1u << s->size_log2), idx = (uint16_t)(s->base + n);
	int i;

	for (i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)(s->base + i) & (size - 1);

		memcpy(s->img + s->avail + 4 + 2 * slot, &heads[i], 2);
	}
	memcpy(s->img + s->avail + 2, &idx, 2);
}

static void vq_put(const char *name, const struct vq_seed *s)
{
	struct buf o = { .n = 0 };

	u8(&o, s->size_log2);
	u8(&o, s->flags);
	le16(&o, s->desc);
	le16(&o, s->avail);
	le16(&o, s->used);
	le16(&o, s->base);
	le16(&o, s->rx_len);
	u8(&o, s->rx_n);
	u8(&o, s->rx_src);
	u8(&o, s->tx_n);
	u8(&o, s->mode);
	bytes(&o, s->img, s->img_len);
	put("fuzz_vq", name, o.b, o.n);
}

/* Ring of 8 at the start of the image: desc 0x000, avail 0x080, used 0x100;
 * an indirect table at 0x200; buffers from 0x400. */
static void vq_layout(struct vq_seed *s, uint8_t flags)
{
	memset(s, 0, sizeof(*s));
	s->size_log2 = 3;
	s->flags = flags;
	s->desc = 0x000;
	s->avail = 0x080;
	s->used = 0x100;
	s->img_len = 0x400;
}

static void vq_seeds(void)
{
	struct vq_seed s;
	int i;

	/* TX: a single buffer, a header/data split, an indirect chain */
	vq_layout(&s, 0);
	vq_desc(&s, 0x00, 0x400, 60, 0, 0);
	vq_desc(&s, 0x10, 0x500, 12, VRING_DESC_F_NEXT, 2);
	vq_desc(&s, 0x20, 0x600, 100, 0, 0);
	vq_desc(&s, 0x30, 0x200, 32, VRING_DESC_F_INDIRECT, 0);
	vq_desc(&s, 0x200, 0x700, 12, VRING_DESC_F_NEXT, 1);
	vq_desc(&s, 0x210, 0x800, 200, 0, 0);
	vq_avail(&s, (uint16_t[]){ 0, 1, 3 }, 3);
	s.tx_n = 1;
	s.img_len = 0x900;
	vq_put("tx-single-split-indirect", &s);

	s.flags = 1 | 64 | 128; /* event idx, kick enable/disable, flush each */
	vq_put("tx-event-idx-flush-each", &s);

	/* the same, the ring's indices about to wrap */
	s.flags = 0;
	s.base = 0xfffe;
	memset(s.img + s.avail, 0, 4 + 2 * 8);
	vq_avail(&s, (uint16_t[]){ 0, 1, 3 }, 3);
	vq_put("tx-index-wrap", &s);

	/* RX, mergeable buffers: four of 1536 bytes, a 3000-byte frame */
	vq_layout(&s, 2 | 32);
	for (i = 0; i < 4; i++)
		vq_desc(&s, 0x10 * (uint32_t)i, 0x400 + 1536ull * (uint64_t)i, 1536,
			VRING_DESC_F_WRITE, 0);
	vq_avail(&s, (uint16_t[]){ 0, 1, 2, 3 }, 4);
	s.rx_len = 3000;
	s.rx_n = 1; /* two frames */
	s.rx_src = 1; /* two source segments */
	s.img_len = 0x400;
	vq_put("rx-mrg-4x1536", &s);

	/* RX without mergeable buffers: a 2-descriptor chain (header apart),
	 * a writable indirect chain; 10-byte header, event idx, a call fd */
	vq_layout(&s, 1 | 4 | 16 | 32);
	vq_desc(&s, 0x00, 0x400, 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	vq_desc(&s, 0x10, 0x500, 1600, VRING_DESC_F_WRITE, 0);
	vq_desc(&s, 0x20, 0x200, 32, VRING_DESC_F_INDIRECT, 0);
	vq_desc(&s, 0x200, 0xc00, 100, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	vq_desc(&s, 0x210, 0xd00, 1500, VRING_DESC_F_WRITE, 0);
	vq_avail(&s, (uint16_t[]){ 0, 2 }, 2);
	s.rx_len = 1514;
	s.rx_n = 1;
	s.rx_src = 0x10; /* one segment, 1 byte skipped */
	vq_put("rx-split-indirect", &s);

	/* two regions (GPA 0..0x2000, 0x3000..0x5000; image 0x2000.. is GPA
	 * 0x3000..): rings in region 1, buffers in both, TX then RX */
	vq_layout(&s, 8 | 2);
	s.desc = 0x2000;
	s.avail = 0x2080;
	s.used = 0x2100;
	vq_desc(&s, 0x2000, 0x400, 64, 0, 0);
	vq_desc(&s, 0x2010, 0x3400, 64, 0, 0);
	vq_desc(&s, 0x2020, 0x1f00, 0x100, VRING_DESC_F_NEXT, 3); /* ends at the hole */
	vq_desc(&s, 0x2030, 0x3000, 0x80, 0, 0);
	vq_avail(&s, (uint16_t[]){ 0, 1, 2 }, 3);
	s.rx_len = 60;
	s.img_len = 0x2200;
	vq_put("two-regions", &s);
}

/* Packed rings (mode bit 0): a ring of 8 descriptors at 0x000, the driver
 * event area at 0x080, the device's at 0x084; an indirect table at 0x200,
 * buffers from 0x400; both wrap counters 1 at position 0 (base 0x8000). */
#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)

static void pk_layout(struct vq_seed *s, uint8_t flags, uint8_t mode)
{
	vq_layout(s, flags);
	s->desc = 0x000;
	s->avail = 0x080;
	s->used = 0x084;
	s->base = 0x8000;
	s->mode = (uint8_t)(mode | 1);
}

/* A descriptor at image offset `at`; `lap`: the wrap counter of the lap it
 * is made available in (-1: as given, for indirect table entries). */
static void pk_desc(struct vq_seed *s, uint32_t at, uint64_t addr, uint32_t len, uint16_t id,
		    uint16_t flags, int lap)
{
	struct vring_packed_desc d = { .addr = addr, .len = len, .id = id, .flags = flags };

	if (lap >= 0)
		d.flags = (uint16_t)(d.flags | (lap ? PK_AVAIL : PK_USED));
	memcpy(s->img + at, &d, sizeof(d));
}

/* The driver's event suppression area: flags, offset and wrap bit. */
static void pk_driver_event(struct vq_seed *s, uint16_t flags, uint16_t off_wrap)
{
	memcpy(s->img + s->avail, &off_wrap, 2);
	memcpy(s->img + s->avail + 2, &flags, 2);
}

static void vq_packed_seeds(void)
{
	struct vq_seed s;
	int i;

	/* TX: a single buffer, a header/data chain, an indirect table */
	pk_layout(&s, 0, 0);
	pk_desc(&s, 0x00, 0x400, 60, 0, 0, 1);
	pk_desc(&s, 0x10, 0x500, 12, 0xffff, VRING_DESC_F_NEXT, 1);
	pk_desc(&s, 0x20, 0x600, 100, 1, 0, 1);
	pk_desc(&s, 0x30, 0x200, 32, 2, VRING_DESC_F_INDIRECT, 1);
	pk_desc(&s, 0x200, 0x700, 12, 0, 0, -1);
	pk_desc(&s, 0x210, 0x800, 200, 0, 0, -1);
	s.tx_n = 1;
	s.img_len = 0x900;
	vq_put("packed-tx-single-chain-indirect", &s);

	/* the same, returned in reverse, two given back and taken again;
	 * event idx, kick enable/disable, flush each, a call fd asking for an
	 * interrupt at position 2 of lap 1 */
	s.flags = 1 | 16 | 64 | 128;
	s.mode = 1 | 2 | (2 << 2);
	pk_driver_event(&s, VRING_PACKED_EVENT_FLAG_DESC, 2 | 0x8000);
	vq_put("packed-tx-reverse-unpop", &s);

	/* a chain over the end of the ring: 6, 7 in lap 1, 0 in lap 0; then a
	 * buffer at 1 of lap 0; two bursts */
	pk_layout(&s, 0, 2);
	s.base = 0x8006;
	pk_desc(&s, 0x60, 0x400, 14, 3, VRING_DESC_F_NEXT, 1);
	pk_desc(&s, 0x70, 0x500, 40, 3, VRING_DESC_F_NEXT, 1);
	pk_desc(&s, 0x00, 0x600, 6, 3, 0, 0);
	pk_desc(&s, 0x10, 0x700, 64, 4, 0, 0);
	s.tx_n = 1;
	s.img_len = 0x800;
	vq_put("packed-tx-wrap-mid-chain", &s);

	/* RX, mergeable buffers: four of 1536 bytes, two 3000-byte frames;
	 * event idx, the driver asking for an interrupt at position 2 */
	pk_layout(&s, 1 | 2 | 16 | 32, 0);
	for (i = 0; i < 4; i++)
		pk_desc(&s, 0x10 * (uint32_t)i, 0x400 + 1536ull * (uint64_t)i, 1536, (uint16_t)i,
			VRING_DESC_F_WRITE, 1);
	pk_driver_event(&s, VRING_PACKED_EVENT_FLAG_DESC, 2 | 0x8000);
	s.rx_len = 3000;
	s.rx_n = 1;
	s.rx_src = 1;
	vq_put("packed-rx-mrg-4x1536", &s);

	/* RX without mergeable buffers: a 2-descriptor chain (header apart), a
	 * writable indirect table; 10-byte header, a call fd, flush each */
	pk_layout(&s, 4 | 16 | 32 | 128, 0);
	pk_desc(&s, 0x00, 0x400, 10, 0xffff, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	pk_desc(&s, 0x10, 0x500, 1600, 5, VRING_DESC_F_WRITE, 1);
	pk_desc(&s, 0x20, 0x200, 32, 6, VRING_DESC_F_INDIRECT, 1);
	pk_desc(&s, 0x200, 0xc00, 100, 0, VRING_DESC_F_WRITE, -1);
	pk_desc(&s, 0x210, 0xd00, 1500, 0, VRING_DESC_F_WRITE, -1);
	s.rx_len = 1514;
	s.rx_n = 1;
	s.rx_src = 0x10;
	vq_put("packed-rx-chain-indirect", &s);

	/* RX: the whole ring posted with buffers too small for the frame
	 * (the no-room memo over a full ring), three frames */
	pk_layout(&s, 32, 0);
	for (i = 0; i < 8; i++)
		pk_desc(&s, 0x10 * (uint32_t)i, 0x400 + 0x80ull * (uint64_t)i, 100, (uint16_t)i,
			VRING_DESC_F_WRITE, 1);
	s.rx_len = 1000;
	s.rx_n = 2;
	vq_put("packed-rx-no-room", &s);

	/* two regions: rings in region 1 (image 0x2000 is GPA 0x3000), buffers
	 * in both, one running into the hole; TX then RX */
	pk_layout(&s, 8 | 2, 0);
	s.desc = 0x2000;
	s.avail = 0x2080;
	s.used = 0x2084;
	pk_desc(&s, 0x2000, 0x400, 64, 0, 0, 1);
	pk_desc(&s, 0x2010, 0x3400, 64, 1, 0, 1);
	pk_desc(&s, 0x2020, 0x1f00, 0x100, 2, VRING_DESC_F_NEXT, 1); /* ends at the hole */
	pk_desc(&s, 0x2030, 0x3000, 0x80, 2, 0, 1);
	s.rx_len = 60;
	s.img_len = 0x2200;
	vq_put("packed-two-regions", &s);

	/* the descriptor budget on TX: a ring of 256 (0x000..0x1000, event
	 * areas at 0x1000), indirect tables of 255 zero-length entries (the
	 * hop and 255 reads: within it) and of 256 (one read over) */
	pk_layout(&s, 0, 0);
	s.size_log2 = 8;
	s.avail = 0x1000;
	s.used = 0x1004;
	pk_desc(&s, 0x00, 0x1100, 255 * 16, 0, VRING_DESC_F_INDIRECT, 1);
	pk_desc(&s, 0x10, 0x1100, 256 * 16, 1, VRING_DESC_F_INDIRECT, 1);
	s.tx_n = 0;
	s.img_len = 0x2100;
	vq_put("packed-tx-indirect-budget", &s);

	/* the descriptor budget of one RX frame: a ring of 64 (event areas
	 * at 0x400), a buffer with room for the header only, then 40 indirect
	 * tables of 8 zero-length entries (9 reads each): the frame runs out
	 * inside the 29th and is dropped; mergeable buffers */
	pk_layout(&s, 2 | 32, 0);
	s.size_log2 = 6;
	s.avail = 0x400;
	s.used = 0x404;
	pk_desc(&s, 0x00, 0xa00, 12, 0, VRING_DESC_F_WRITE, 1);
	for (i = 1; i <= 40; i++)
		pk_desc(&s, 0x10 * (uint32_t)i, 0x800, 8 * 16, (uint16_t)i, VRING_DESC_F_INDIRECT, 1);
	for (i = 0; i < 8; i++)
		pk_desc(&s, 0x800 + 0x10 * (uint32_t)i, 0xa00, 0, 0, VRING_DESC_F_WRITE, -1);
	s.rx_len = 60;
	s.img_len = 0xb00;
	vq_put("packed-rx-budget", &s);

	/* the same in the ring itself: a ring of 256, a buffer with room for
	 * the header only, then a chain of zero-length descriptors round the
	 * ring back to it, one more than what the first left of the budget */
	pk_layout(&s, 2 | 32, 0);
	s.size_log2 = 8;
	s.avail = 0x1000;
	s.used = 0x1004;
	pk_desc(&s, 0x00, 0x1100, 12, 0, VRING_DESC_F_WRITE, 1);
	for (i = 1; i < 256; i++)
		pk_desc(&s, 0x10 * (uint32_t)i, 0x1100, 0, 1,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	s.rx_len = 60;
	s.img_len = 0x1200;
	vq_put("packed-rx-budget-ring", &s);
}

/* ---- fuzz_vhost: queue byte, then records ------------------------------ */

#define BIT(n) (1ull << (n))
#define UVA 0x7f0000000000ull

struct rec_opts {
	uint8_t c0, c1, c2, c3;
	uint32_t flags; /* header flags; VU_VERSION if 0 */
};

static void rec(struct buf *b, uint32_t req, const void *payload, uint32_t size,
		const struct rec_opts *o)
{
	static const struct rec_opts none;

	if (!o)
		o = &none;
	u8(b, o->c0);
	u8(b, o->c1);
	u8(b, o->c2);
	u8(b, o->c3);
	le32(b, req);
	le32(b, o->flags ? o->flags : VU_VERSION);
	le32(b, size);
	bytes(b, payload, size);
}

static void rec_u64(struct buf *b, uint32_t req, uint64_t v, const struct rec_opts *o)
{
	rec(b, req, &v, 8, o);
}

static void rec_state(struct buf *b, uint32_t req, uint32_t idx, uint32_t num,
		      const struct rec_opts *o)
{
	struct vu_vring_state s = { idx, num };

	rec(b, req, &s, sizeof(s), o);
}

/* A memory table of n regions of `pages` pages each, back to back. */
static void rec_mem(struct buf *b, int n, uint32_t pages, const struct rec_opts *o)
{
	struct vu_mem_table t = { .nregions = (uint32_t)n };
	int i;

	for (i = 0; i < n; i++)
		t.regions[i] = (struct vu_mem_region){
			.guest_phys_addr = 0x100000ull * (uint64_t)i,
			.memory_size = 4096ull * pages,
			.userspace_addr = UVA + 0x100000ull * (uint64_t)i,
			.mmap_offset = 0,
		};
	rec(b, VU_REQ_SET_MEM_TABLE, &t, 8 + 32 * (uint32_t)n, o);
}

/* A vring of 256 at offset `at` of region 0: desc, avail at +4 KiB, used at
 * +8 KiB. */
static void rec_vring(struct buf *b, uint32_t idx, uint64_t at, bool pf,
		      const struct rec_opts *kick)
{
	struct vu_vring_addr a = {
		.index = idx,
		.desc_user_addr = UVA + at,
		.avail_user_addr = UVA + at + 0x1000,
		.used_user_addr = UVA + at + 0x2000,
	};

	rec_state(b, VU_REQ_SET_VRING_NUM, idx, 256, NULL);
	rec_state(b, VU_REQ_SET_VRING_BASE, idx, 0, NULL);
	rec(b, VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL);
	rec_u64(b, VU_REQ_SET_VRING_KICK, idx, kick);
	rec_u64(b, VU_REQ_SET_VRING_CALL, idx, NULL);
	if (pf)
		rec_state(b, VU_REQ_SET_VRING_ENABLE, idx, 1, NULL);
}

static const uint64_t features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
				 BIT(VIRTIO_RING_F_EVENT_IDX) |
				 BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VU_F_PROTOCOL_FEATURES);
static const uint64_t pfeatures =
	BIT(VU_PROTOCOL_F_MQ) | BIT(VU_PROTOCOL_F_REPLY_ACK) | BIT(VU_PROTOCOL_F_STATUS);

/* QEMU's order: features, protocol features, owner, memory, then per vring
 * NUM, BASE, ADDR, KICK, CALL, ENABLE; GET_VRING_BASE when it stops. */
/* inflight: INFLIGHT_SHMFD too, and GET/SET_INFLIGHT_FD before the rest
 * (QEMU's vhost-user-blk), the region's records as `ifl` says (the fuzzer's
 * c1-c3: its size, fill byte, headers and seal) */
static void qemu_start_pf(struct buf *b, uint32_t pairs, const struct rec_opts *mem,
			  const struct rec_opts *kick, bool need_reply, const struct rec_opts *ifl)
{
	struct rec_opts nr = { .flags = VU_VERSION | VU_FLAG_NEED_REPLY };
	struct vu_inflight_area a = { .num_queues = (__u16)(2 * pairs), .queue_size = 256 };
	uint32_t q;

	rec(b, VU_REQ_GET_FEATURES, NULL, 0, NULL);
	rec(b, VU_REQ_GET_PROTOCOL_FEATURES, NULL, 0, NULL);
	rec_u64(b, VU_REQ_SET_PROTOCOL_FEATURES,
		pfeatures | (ifl ? BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD) : 0), NULL);
	if (ifl) {
		rec(b, VU_REQ_GET_INFLIGHT_FD, &a, sizeof(a), NULL);
		a.mmap_size = vu_inflight_queue_bytes(256) * a.num_queues;
		rec(b, VU_REQ_SET_INFLIGHT_FD, &a, sizeof(a), ifl);
	}
	rec(b, VU_REQ_GET_QUEUE_NUM, NULL, 0, NULL);
	rec(b, VU_REQ_SET_OWNER, NULL, 0, NULL);
	rec_u64(b, VU_REQ_SET_FEATURES, features | (pairs > 1 ? BIT(VIRTIO_NET_F_MQ) : 0),
		need_reply ? &nr : NULL);
	rec_mem(b, 1, 16 * pairs, mem);
	for (q = 0; q < 2 * pairs; q++)
		rec_vring(b, q, 0x3000ull * q, true, kick);
	rec_u64(b, VU_REQ_SET_STATUS, 0x0f, need_reply ? &nr : NULL);
}

static void qemu_start(struct buf *b, uint32_t pairs, const struct rec_opts *mem,
		       const struct rec_opts *kick, bool need_reply)
{
	qemu_start_pf(b, pairs, mem, kick, need_reply, NULL);
}

static void vhost_put(const char *name, struct buf *b)
{
	put("fuzz_vhost", name, b->b, b->n);
}

static void vhost_seeds(void)
{
	struct rec_opts mem16 = { .c1 = 15 }, mem32 = { .c1 = 31 }, run = { .c0 = 32 };
	struct rec_opts pipe_kick = { .c0 = 2 << 2 }, split = { .c0 = 16, .c1 = 15 };
	struct buf b;
	uint32_t q;

	b.n = 0;
	u8(&b, 0); /* one queue pair */
	qemu_start(&b, 1, &mem16, NULL, false);
	rec(&b, VU_REQ_GET_STATUS, NULL, 0, &run);
	rec_state(&b, VU_REQ_GET_VRING_BASE, 0, 0, NULL);
	rec_state(&b, VU_REQ_GET_VRING_BASE, 1, 0, NULL);
	vhost_put("qemu-1q", &b);

	b.n = 0;
	u8(&b, 1); /* two queue pairs, need-reply everywhere it is asked */
	qemu_start(&b, 2, &mem32, &pipe_kick, true);
	for (q = 0; q < 4; q++)
		rec_state(&b, VU_REQ_GET_VRING_BASE, q, 0, q == 0 ? &run : NULL);
	rec(&b, VU_REQ_RESET_OWNER, NULL, 0, NULL);
	vhost_put("qemu-2q-need-reply-reset", &b);

	/* the memory table replaced while the rings run, split sends */
	b.n = 0;
	u8(&b, 0);
	qemu_start(&b, 1, &split, NULL, false);
	rec_mem(&b, 2, 16, &(struct rec_opts){ .c1 = 15, .c2 = 0 });
	rec_u64(&b, VU_REQ_SET_VRING_KICK, VU_VRING_NOFD_MASK, &run);
	rec_state(&b, VU_REQ_SET_VRING_ENABLE, 0, 0, NULL);
	vhost_put("mem-table-replaced", &b);

	/* crash resume: a region whose records say every head is in flight
	 * (fill 1), resubmitted at the TX ring's start, then a burst; one with
	 * a region refused (not sealed) */
	b.n = 0;
	u8(&b, 0);
	qemu_start_pf(&b, 1, &mem16, NULL, false, &(struct rec_opts){ .c1 = 2, .c2 = 1 });
	rec(&b, VU_REQ_GET_STATUS, NULL, 0, &run);
	rec_state(&b, VU_REQ_GET_VRING_BASE, 1, 0, NULL);
	vhost_put("inflight-all-resubmitted", &b);
	b.n = 0;
	u8(&b, 0);
	qemu_start_pf(&b, 1, &mem16, NULL, false, &(struct rec_opts){ .c1 = 2, .c3 = 2 });
	vhost_put("inflight-unsealed", &b);

	/* the old way: no protocol features, rings enabled by their kick */
	b.n = 0;
	u8(&b, 0);
	rec(&b, VU_REQ_GET_FEATURES, NULL, 0, NULL);
	rec(&b, VU_REQ_SET_OWNER, NULL, 0, NULL);
	rec_u64(&b, VU_REQ_SET_FEATURES, BIT(VIRTIO_NET_F_MRG_RXBUF), NULL);
	rec_mem(&b, 1, 16, &mem16);
	rec_vring(&b, 0, 0, false, NULL);
	rec_vring(&b, 1, 0x3000, false, &run);
	vhost_put("legacy-no-protocol-features", &b);
}

/* ---- fuzz_offload: the 10-byte virtio-net header, then the frame ------- */

/* RFC 1071 over big-endian words from an even offset of the range. */
static uint32_t ofl_sum(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The L4 checksum at l4 + field of the untagged frame p (len bytes, its IP
 * length set): valid, or only seeded (the pseudo-header sum: NEEDS_CSUM). */
static void ofl_l4(uint8_t *p, size_t len, bool v6, uint8_t proto, size_t l4, size_t field,
		   bool seed)
{
	uint32_t l4len = (uint32_t)(len - l4), s;

	s = v6 ? ofl_sum(0, p + 14 + 8, 32) : ofl_sum(0, p + 14 + 12, 8);
	s = ofl_sum(s + proto + (l4len >> 16) + (l4len & 0xffff), NULL, 0);
	p[l4 + field] = p[l4 + field + 1] = 0;
	if (!seed)
		s = (uint16_t)~ofl_sum(s, p + l4, l4len);
	if (!seed && !s)
		s = 0xffff;
	p[l4 + field] = (uint8_t)(s >> 8);
	p[l4 + field + 1] = (uint8_t)s;
}

static void ofl_ip4_csum(uint8_t *p)
{
	uint32_t s;

	p[14 + 10] = p[14 + 11] = 0;
	s = (uint16_t)~ofl_sum(0, p + 14, 20);
	p[14 + 10] = (uint8_t)(s >> 8);
	p[14 + 11] = (uint8_t)s;
}

static void ofl_payload(struct buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u8(b, (uint8_t)(i * 7 + 1));
}

/* hdr_len: ofl_check ignores it; the harness cuts the chain where it says */
static void ofl_put(const char *name, uint8_t flags, uint8_t gso_type, uint16_t hdr_len,
		    uint16_t gso_size, uint16_t start, uint16_t off, const void *f, size_t n)
{
	uint8_t *o = malloc(10 + n);

	if (!o) {
		fprintf(stderr, "mkseeds: out of memory\n");
		exit(1);
	}
	memcpy(o, (uint8_t[]){ flags, gso_type, (uint8_t)hdr_len, (uint8_t)(hdr_len >> 8),
			       (uint8_t)gso_size, (uint8_t)(gso_size >> 8), (uint8_t)start,
			       (uint8_t)(start >> 8), (uint8_t)off, (uint8_t)(off >> 8) },
	       10);
	memcpy(o + 10, f, n);
	put("fuzz_offload", name, o, 10 + n);
	free(o);
}

/* An untagged TCP frame of pay payload bytes (IPv4 DF or IPv6 with ext
 * bytes of destination options), TCP flags fl, checksum seeded or valid. */
static void ofl_tcp(struct buf *f, bool v6, size_t ext, size_t pay, uint8_t fl, bool seed)
{
	size_t l4 = 14 + (v6 ? 40 + ext : 20);

	f->n = 0;
	eth(f, mac_b, NULL, 0, v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (v6) {
		ip6(f, ext ? IPPROTO_DSTOPTS : IPPROTO_TCP, (uint16_t)(ext + 20 + pay));
		if (ext) {
			u8(f, IPPROTO_TCP);
			u8(f, (uint8_t)(ext / 8 - 1));
			u8(f, 1);
			u8(f, (uint8_t)(ext - 4));
			zeros(f, ext - 4);
		}
	} else {
		ip4(f, IPPROTO_TCP, (uint16_t)(20 + pay), 0x4000, 0);
	}
	tcp(f, 40000, 443, fl);
	ofl_payload(f, pay);
	if (!v6)
		ofl_ip4_csum(f->b);
	ofl_l4(f->b, f->n, v6, IPPROTO_TCP, l4, 16, seed);
}

static void ofl_udp(struct buf *f, bool v6, size_t pay, bool seed)
{
	f->n = 0;
	eth(f, mac_b, NULL, 0, v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (v6)
		ip6(f, IPPROTO_UDP, (uint16_t)(8 + pay));
	else
		ip4(f, IPPROTO_UDP, (uint16_t)(8 + pay), 0, 0);
	udp(f, 5000, 4789, (uint16_t)pay);
	if (!v6)
		ofl_ip4_csum(f->b);
	ofl_l4(f->b, f->n, v6, IPPROTO_UDP, v6 ? 54 : 34, 6, seed);
}

static void offload_seeds(void)
{
	const uint8_t csum = VIRTIO_NET_HDR_F_NEEDS_CSUM, t4 = VIRTIO_NET_HDR_GSO_TCPV4,
		      t6 = VIRTIO_NET_HDR_GSO_TCPV6, ecn = VIRTIO_NET_HDR_GSO_ECN;
	static struct buf f, g;
	const size_t big = 14 + 65535;
	uint8_t *p;

	/* checksums seeded, to be completed */
	ofl_tcp(&f, false, 0, 300, 0x18, true);
	ofl_put("csum-tcp4", csum, 0, 0x8040, 0, 34, 16, f.b, f.n);
	ofl_tcp(&f, true, 0, 301, 0x18, true);
	ofl_put("csum-tcp6", csum, 0, 0x2011, 0, 54, 16, f.b, f.n);
	ofl_udp(&f, false, 101, true);
	ofl_put("csum-udp4", csum, 0, 0xff01, 0, 34, 6, f.b, f.n);
	ofl_udp(&f, true, 100, true);
	ofl_put("csum-udp6", csum, 0, 0x0180, 0, 54, 6, f.b, f.n);
	ofl_tcp(&g, false, 0, 64, 0x18, true); /* in a VXLAN packet */
	ofl_udp(&f, false, 8 + g.n, false);
	f.n -= g.n + 8;
	bytes(&f, (uint8_t[]){ 0x08, 0, 0, 0, 0, 0, 0x2a, 0 }, 8);
	bytes(&f, g.b, g.n);
	ofl_put("csum-vxlan-inner", csum, 0, 0x4020, 0, 34 + 8 + 8 + 34, 16, f.b, f.n);

	/* TSO */
	ofl_tcp(&f, false, 0, 3000, 0x19, true); /* ACK PSH FIN */
	ofl_put("tso4", csum, t4, 0x7f30, 1448, 34, 16, f.b, f.n);
	ofl_tcp(&f, false, 0, 3000, 0x90, true); /* CWR ACK */
	ofl_put("tso4-ecn", csum, t4 | ecn, 0x0101, 1000, 34, 16, f.b, f.n);
	ofl_tcp(&f, true, 0, 4000, 0x18, true);
	ofl_put("tso6", csum, t6, 0x9999, 1440, 54, 16, f.b, f.n);
	ofl_tcp(&f, true, 16, 3001, 0x99, true);
	ofl_put("tso6-ext-ecn", csum, t6 | ecn, 0x3050, 1339, 70, 16, f.b, f.n);
	ofl_tcp(&f, false, 0, 0, 0x11, true);
	ofl_put("tso4-no-payload", csum, t4, 0, 1448, 34, 16, f.b, f.n);
	ofl_tcp(&f, false, 0, 256, 0x19, true);
	ofl_put("tso4-256-segments", csum, t4, 0x8080, 1, 34, 16, f.b, f.n);
	ofl_tcp(&f, false, 0, 257, 0x19, true);
	ofl_put("tso4-257-segments", csum, t4, 0x8080, 1, 34, 16, f.b, f.n);
	ofl_udp(&f, false, 3000, true);
	ofl_put("ufo4", csum, VIRTIO_NET_HDR_GSO_UDP, 0, 1472, 34, 6, f.b, f.n);
	f.n = 0; /* tagged */
	eth(&f, mac_b, (const uint16_t[]){ 10 }, 1, ETH_P_IP);
	ip4(&f, IPPROTO_TCP, 20 + 2000, 0x4000, 0);
	tcp(&f, 1, 2, 0x10);
	ofl_payload(&f, 2000);
	ofl_put("tso4-vlan", csum, t4, 0, 1448, 38, 16, f.b, f.n);

	/* the largest IPv4 TSO frame, and one byte more (as padding) */
	p = calloc(1, big + 1);
	if (!p) {
		fprintf(stderr, "mkseeds: out of memory\n");
		exit(1);
	}
	ofl_tcp(&f, false, 0, 0, 0x18, true);
	memcpy(p, f.b, f.n);
	for (size_t i = f.n; i < big; i++)
		p[i] = (uint8_t)(i * 13);
	p[14 + 2] = 0xff;
	p[14 + 3] = 0xff;
	ofl_ip4_csum(p);
	ofl_l4(p, big, false, IPPROTO_TCP, 34, 16, true);
	ofl_put("tso4-64k", csum, t4, 0x6633, 32768, 34, 16, p, big);
	ofl_put("tso4-64k-padded", csum, t4, 0x6633, 65535, 34, 16, p, big + 1);
	free(p);

	/* nothing asked: for ofl_verify */
	ofl_tcp(&f, false, 0, 1500, 0x10, false);
	ofl_put("valid-tcp4", 0, 0, 0x5577, 0, 0, 0, f.b, f.n);
	ofl_tcp(&f, true, 8, 999, 0x10, false);
	ofl_put("valid-tcp6-ext", 0, 0, 0x1234, 0, 0, 0, f.b, f.n);
	ofl_udp(&f, true, 333, false);
	ofl_put("valid-udp6", 0, 0, 0x4321, 0, 0, 0, f.b, f.n);
	f.b[f.n - 1] ^= 1;
	ofl_put("bad-udp6", 0, 0, 0x4321, 0, 0, 0, f.b, f.n);
	ofl_udp(&f, false, 60, false);
	f.b[34 + 6] = f.b[34 + 7] = 0;
	ofl_put("udp4-no-csum", 0, 0, 0x0a0a, 0, 0, 0, f.b, f.n);
}

/* ---- fuzz_inflight: 8-byte header, then one vring's in-flight record ---- */

/* A record of a ring of 1 << lg entries whose used index is `used`, with
 * `n` heads in flight (every `step`-th, counters falling), `batch` of them
 * in a last batch published but not cleared; `posted` entries after them. */
static void inflight_seed(const char *name, unsigned int lg, uint16_t used, unsigned int n,
			  unsigned int step, unsigned int batch, uint16_t posted, uint8_t flags)
{
	static uint8_t rec[sizeof(struct vu_ifl_queue) + 16 * 256 + 64];
	struct vu_ifl_queue *q = (struct vu_ifl_queue *)rec;
	uint16_t size = (uint16_t)(1u << lg), last = 0;
	struct buf o = { .n = 0 };
	unsigned int i;

	memset(rec, 0, sizeof(rec));
	q->version = VU_IFL_VERSION;
	q->desc_num = size;
	q->used_idx = (uint16_t)(used - batch);
	for (i = 0; i < n && i * step < size; i++) {
		uint16_t h = (uint16_t)(i * step);

		q->desc[h].inflight = 1;
		q->desc[h].counter = 1000 - i;
		if (i < batch) {
			q->desc[h].next = last;
			last = h;
		}
	}
	q->last_batch_head = last;
	u8(&o, (uint8_t)lg);
	le16(&o, used);
	le16(&o, posted);
	u8(&o, flags);
	le16(&o, 0);
	bytes(&o, rec, (size_t)vu_inflight_queue_bytes(size));
	put("fuzz_inflight", name, o.b, o.n);
}

static void inflight_seeds(void)
{
	inflight_seed("empty-256", 8, 0, 0, 1, 0, 4, 1);
	inflight_seed("four-in-flight", 3, 5, 4, 2, 0, 2, 1 | 2 << 1);
	inflight_seed("last-batch", 4, 9, 6, 1, 2, 3, 1);
	inflight_seed("full-ring", 8, 65530, 256, 1, 0, 0, 31 << 1 | 1);
	inflight_seed("fuzzed-heads", 5, 100, 3, 5, 1, 8, 0);
	inflight_seed("one-entry", 0, 7, 1, 1, 0, 0, 1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s tests/fuzz\n", argv[0]);
		return 2;
	}
	top = argv[1];
	parse_seeds();
	vq_seeds();
	vq_packed_seeds();
	vhost_seeds();
	offload_seeds();
	inflight_seeds();
	return 0;
}
