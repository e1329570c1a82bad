// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the binary seed corpora of fuzz_parse, fuzz_vq and fuzz_vhost
 * under DIR/<target>/corpus/ (fuzz_config's seeds are plain YAML files,
 * kept by hand). The formats are those described at the top of each
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
	uint8_t rx_n, rx_src, tx_n;
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
	u8(&o, 0);
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

/* ---- fuzz_vhost: queue byte, then records ------------------------------ */

#define BIT(n) (1ull << (n))
#define UVA 0x7f0000000000ull

struct rec_opts {
	uint8_t c0, c1, c2;
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
	u8(b, 0);
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
static void qemu_start(struct buf *b, uint32_t pairs, const struct rec_opts *mem,
		       const struct rec_opts *kick, bool need_reply)
{
	struct rec_opts nr = { .flags = VU_VERSION | VU_FLAG_NEED_REPLY };
	uint32_t q;

	rec(b, VU_REQ_GET_FEATURES, NULL, 0, NULL);
	rec(b, VU_REQ_GET_PROTOCOL_FEATURES, NULL, 0, NULL);
	rec_u64(b, VU_REQ_SET_PROTOCOL_FEATURES, pfeatures, NULL);
	rec(b, VU_REQ_GET_QUEUE_NUM, NULL, 0, NULL);
	rec(b, VU_REQ_SET_OWNER, NULL, 0, NULL);
	rec_u64(b, VU_REQ_SET_FEATURES, features | (pairs > 1 ? BIT(VIRTIO_NET_F_MQ) : 0),
		need_reply ? &nr : NULL);
	rec_mem(b, 1, 16 * pairs, mem);
	for (q = 0; q < 2 * pairs; q++)
		rec_vring(b, q, 0x3000ull * q, true, kick);
	rec_u64(b, VU_REQ_SET_STATUS, 0x0f, need_reply ? &nr : NULL);
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s tests/fuzz\n", argv[0]);
		return 2;
	}
	top = argv[1];
	parse_seeds();
	vq_seeds();
	vhost_seeds();
	return 0;
}
