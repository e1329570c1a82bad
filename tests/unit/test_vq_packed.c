// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the device side of a packed virtqueue (src/vhost/vq_packed.c
 * through vq.h), driven by a packed-ring driver written in the test from the
 * specification (vq_packed_harness.h): guest RAM is a memfd, the driver
 * writes descriptors and event suppression areas into it and reads the used
 * descriptors back. Covers transmit (chains, the wrap of the ring inside a
 * chain, indirect tables, used positions skipping what each buffer took,
 * out-of-order completion over several laps), receive (mergeable buffers,
 * rollback, the no-room memo), batch publication, event suppression both
 * ways, vq_avail_count, and every guest violation vq_packed.c must catch;
 * then, through vu_dev with the test as front-end, how a packed ring is
 * set up, stopped and started again (SET/GET_VRING_BASE with the wrap
 * counter in bit 15), and that its layout cannot change under a running
 * ring. "Lap 1" and "lap 0" below: the laps round the ring in which the wrap
 * counters are 1 and 0 (both start at 1).
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "vq_packed_harness.h"

#include "base/log.h"
#include "vhost/vu_dev.h"

#define MIB (1ull << 20)
#define RX_BUF 1548 /* Linux's mergeable buffer: 1536 + header */

static struct {
	struct guest g;
	struct pdrv r;
	struct vq vq;
	struct vq_chain c;
	bool ring;
} fx;

static void map_guest(void)
{
	guest_map(&fx.g);
	memset(&fx.vq, 0, sizeof(fx.vq));
	fx.vq.call_fd = -1;
	fx.ring = false;
}

/* One 4 MiB region. */
static int setup_one(void **state)
{
	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, GUEST_RAM_SIZE, 0);
	map_guest();
	return 0;
}

/* Two 2 MiB regions, contiguous in GPA, from the two halves of the file. */
static int setup_two(void **state)
{
	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, 2 * MIB, 0);
	guest_add_region(&fx.g, GUEST_GPA + 2 * MIB, 2 * MIB, 2 * MIB);
	map_guest();
	return 0;
}

/* Two regions with a 1 MiB hole in GPA between them. */
static int setup_gap(void **state)
{
	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, 2 * MIB, 0);
	guest_add_region(&fx.g, GUEST_GPA + 3 * MIB, 2 * MIB, 2 * MIB);
	map_guest();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (fx.ring) {
		pdrv_detach(&fx.vq);
		pdrv_fini(&fx.r);
	}
	if (fx.vq.call_fd >= 0)
		close(fx.vq.call_fd);
	guest_fini(&fx.g);
	return 0;
}

/* A ring of `size`, both sides at position `pos` with wrap counter `wrap`
 * (as after SET_VRING_BASE with pos | wrap << 15). */
static void ring_at(uint16_t size, uint16_t pos, bool wrap)
{
	int call = fx.vq.call_fd;

	pdrv_init_at(&fx.r, &fx.g, size, pos, wrap);
	memset(&fx.vq, 0, sizeof(fx.vq));
	pdrv_attach(&fx.r, &fx.vq);
	fx.vq.call_fd = call;
	fx.ring = true;
}

static void ring(uint16_t size)
{
	ring_at(size, 0, true);
}

/* ---- helpers ----------------------------------------------------------- */

static uint64_t data_buf(uint32_t len, uint32_t seed)
{
	uint64_t gpa = guest_alloc(&fx.g, len ? len : 1, 8);

	fill_pattern(gpa_ptr(&fx.g, gpa), len, seed);
	return gpa;
}

/* A device-writable receive buffer, pre-filled with 0xee. */
static uint64_t rx_buf(uint32_t len)
{
	uint64_t gpa = guest_alloc(&fx.g, len + 16, 8);

	memset(gpa_ptr(&fx.g, gpa), 0xee, len + 16);
	return gpa;
}

/* Post a one-descriptor receive buffer as `id`. */
static uint64_t post_rx(uint16_t id, uint32_t len)
{
	uint64_t gpa = rx_buf(len);

	pdrv_post1(&fx.r, gpa, len, VRING_DESC_F_WRITE, id);
	return gpa;
}

static void expect_fault(int r, const char *what)
{
	if (r != -EFAULT)
		fail_msg("expected -EFAULT (\"%s\"), got %d", what, r);
	assert_non_null(fx.vq.err);
	if (!strstr(fx.vq.err, what))
		fail_msg("vq->err is \"%s\", expected it to mention \"%s\"", fx.vq.err, what);
}

static void pop_ok(bool writable)
{
	int r = vq_pop(&fx.vq, &fx.c, writable);

	if (r)
		fail_msg("vq_pop: %d (%s)", r, fx.vq.err ? fx.vq.err : "no reason");
}

static void pop_tx_ok(void)
{
	pop_ok(false);
}

/* The popped chain holds exactly `len` bytes equal to `want`. */
static void expect_chain_bytes(const void *want, uint32_t len)
{
	static uint8_t got[8192];

	assert_true(len < sizeof(got));
	assert_int_equal(fx.c.len, len);
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 0, got, len + 1), len);
	assert_memory_equal(got, want, len);
}

static void expect_rx_hdr(uint64_t gpa, uint16_t num_buffers)
{
	struct virtio_net_hdr_mrg_rxbuf want = { .num_buffers = num_buffers };

	assert_memory_equal(gpa_ptr(&fx.g, gpa), &want, sizeof(want));
}

static void use_call_fd(void)
{
	fx.vq.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fx.vq.call_fd >= 0);
}

/* Drain the call eventfd: true if the guest was interrupted. */
static bool interrupted(void)
{
	eventfd_t v = 0;

	return eventfd_read(fx.vq.call_fd, &v) == 0 && v > 0;
}

/* ---- transmit ----------------------------------------------------------- */

static void tx_single_descriptor(void **state)
{
	uint64_t a = data_buf(60, 1);

	(void)state;
	ring(256);
	pdrv_post1(&fx.r, a, 60, 0, 3);
	assert_in_range(vq_avail_count(&fx.vq), 1, 64);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 3);
	assert_int_equal(fx.c.nseg, 1);
	assert_int_equal(fx.c.seg[0].len, 60);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 60);
	assert_int_equal(fx.vq.last_avail, 1);
	assert_true(fx.vq.avail_wrap);
	assert_int_equal(vq_avail_count(&fx.vq), 0);
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EAGAIN);
	assert_null(fx.vq.err);

	vq_push(&fx.vq, 3, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 3, 0); /* AVAIL = USED = 1, no WRITE */
	assert_false(pdrv_has_used(&fx.r));
	assert_int_equal(fx.r.nfree, 256);
}

/* Three descriptors; the buffer id is the last one's (§2.8.6): the others
 * carry a value no device may take for an id. The used descriptor is the
 * first position, the next buffer's is three further on. */
static void tx_chain_of_three(void **state)
{
	uint64_t a = data_buf(12, 4), b = data_buf(200, 5), c = data_buf(300, 6), d = data_buf(40, 7);
	uint8_t want[512];

	(void)state;
	ring(256);
	memcpy(want, gpa_ptr(&fx.g, a), 12);
	memcpy(want + 12, gpa_ptr(&fx.g, b), 200);
	memcpy(want + 212, gpa_ptr(&fx.g, c), 300);
	pdrv_raw(&fx.r, 2, c, 300, 7, 0);
	pdrv_raw(&fx.r, 1, b, 200, 0xffff, VRING_DESC_F_NEXT);
	pdrv_raw(&fx.r, 0, a, 12, 0xffff, VRING_DESC_F_NEXT);
	pdrv_advance(&fx.r, 3, 7);
	assert_in_range(vq_avail_count(&fx.vq), 3, 64);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 7);
	assert_int_equal(fx.c.nseg, 3);
	assert_int_equal(fx.c.seg[0].len, 12);
	assert_int_equal(fx.c.seg[1].len, 200);
	assert_int_equal(fx.c.seg[2].len, 300);
	expect_chain_bytes(want, 512);
	assert_int_equal(fx.vq.last_avail, 3);

	pdrv_post1(&fx.r, d, 40, 0, 1);
	vq_push(&fx.vq, 7, 0);
	vq_flush(&fx.vq);
	/* positions 1 and 2 are left as the driver wrote them */
	assert_int_equal(fx.r.desc[1].id, 0xffff);
	assert_int_equal(fx.r.desc[1].flags, VRING_DESC_F_NEXT | PD_AVAIL);
	assert_int_equal(fx.r.desc[2].flags, PD_AVAIL);
	pdrv_expect_used(&fx.r, 7, 0);
	assert_int_equal(fx.r.used_pos, 3);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 1);
	expect_chain_bytes(gpa_ptr(&fx.g, d), 40);
	vq_push(&fx.vq, 1, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 1, 0);
	assert_int_equal(fx.r.used_pos, 4);
	assert_int_equal(fx.vq.used_idx, 4);
}

/* A chain over the end of the ring: its last two descriptors are in the
 * next lap (the driver's wrap counter flipped mid-chain). */
static void tx_chain_wraps_around_the_ring(void **state)
{
	uint64_t a[4];
	struct pseg s[4];
	uint8_t want[4 * 50];
	uint16_t i;

	(void)state;
	ring_at(8, 6, true);
	for (i = 0; i < 4; i++) {
		a[i] = data_buf(50, 10 + i);
		memcpy(want + 50 * i, gpa_ptr(&fx.g, a[i]), 50);
		s[i] = (struct pseg){ a[i], 50, 0 };
	}
	pdrv_post(&fx.r, s, 4, 2);
	/* the driver's view: 6, 7 available in lap 1, 0, 1 in lap 0 */
	assert_int_equal(fx.r.desc[7].flags, VRING_DESC_F_NEXT | PD_AVAIL);
	assert_int_equal(fx.r.desc[0].flags, VRING_DESC_F_NEXT | PD_USED);
	assert_int_equal(fx.r.desc[1].flags, PD_USED);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 2);
	assert_int_equal(fx.c.nseg, 4);
	expect_chain_bytes(want, sizeof(want));
	assert_int_equal(fx.vq.last_avail, 2);
	assert_false(fx.vq.avail_wrap);
	vq_push(&fx.vq, 2, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 2, 0); /* at 6, lap 1 */
	assert_int_equal(fx.r.used_pos, 2);
	assert_false(fx.r.used_wrap);
	assert_int_equal(fx.vq.used_idx, 2);
	assert_false(fx.vq.used_wrap);

	/* the next buffer, in lap 0: its used descriptor has both bits clear */
	pdrv_post1(&fx.r, a[0], 50, 0, 5);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 5);
	vq_push(&fx.vq, 5, 0);
	vq_flush(&fx.vq);
	assert_int_equal(fx.r.desc[2].flags & (PD_AVAIL | PD_USED), 0);
	pdrv_expect_used(&fx.r, 5, 0);
}

/* An indirect table takes one position in the ring; its entries are the
 * chain, in order, whatever their NEXT flag says (§2.8.19: only WRITE is
 * valid there, the rest is ignored). */
static void tx_indirect_table(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 3 * 16, 16);
	uint64_t a = data_buf(14, 7), b = data_buf(30, 8), c = data_buf(50, 9), d = data_buf(20, 3);
	struct vring_packed_desc *tab = gpa_ptr(&fx.g, t);
	uint8_t want[94];

	(void)state;
	ring(256);
	memcpy(want, gpa_ptr(&fx.g, a), 14);
	memcpy(want + 14, gpa_ptr(&fx.g, b), 30);
	memcpy(want + 44, gpa_ptr(&fx.g, c), 50);
	tab[0] = (struct vring_packed_desc){ .addr = a, .len = 14, .id = 0xffff };
	tab[1] = (struct vring_packed_desc){ .addr = b, .len = 30, .flags = VRING_DESC_F_NEXT };
	tab[2] = (struct vring_packed_desc){ .addr = c, .len = 50 };
	pdrv_post1(&fx.r, t, 3 * 16, VRING_DESC_F_INDIRECT, 5);
	pdrv_post1(&fx.r, d, 20, 0, 6);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 5);
	assert_int_equal(fx.c.nseg, 3);
	expect_chain_bytes(want, 94);
	assert_int_equal(fx.vq.last_avail, 1);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 6);
	expect_chain_bytes(gpa_ptr(&fx.g, d), 20);
	vq_push(&fx.vq, 5, 0);
	vq_push(&fx.vq, 6, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 5, 0);
	assert_int_equal(fx.r.used_pos, 1);
	pdrv_expect_used(&fx.r, 6, 0);
	assert_int_equal(fx.r.used_pos, 2);
}

/* setup_two: a buffer over the boundary of two GPA-contiguous regions. */
static void tx_buffer_across_regions(void **state)
{
	uint64_t a = GUEST_GPA + 2 * MIB - 100;

	(void)state;
	ring(256);
	fill_pattern(gpa_ptr(&fx.g, a), 300, 10);
	pdrv_post1(&fx.r, a, 300, 0, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 2);
	assert_int_equal(fx.c.seg[0].len, 100);
	assert_int_equal(fx.c.seg[1].len, 200);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 300);
}

static void tx_zero_length_descriptors(void **state)
{
	uint64_t a = data_buf(60, 12);
	struct pseg s[3] = { { a, 0, 0 }, { a, 60, 0 }, { 0, 0, 0 } };

	(void)state;
	ring(256);
	pdrv_post(&fx.r, s, 3, 0);
	pdrv_post1(&fx.r, 0, 0, 0, 1);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 1);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 60);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 1);
	assert_int_equal(fx.c.nseg, 0);
	assert_int_equal(fx.c.len, 0);
}

/* A chain of the ring's size is legal; the device's position comes back
 * where it started, one lap on. */
static void tx_chain_as_long_as_ring(void **state)
{
	uint64_t a = data_buf(8, 13);
	struct pseg s[8];
	uint16_t i;

	(void)state;
	ring_at(8, 3, true);
	for (i = 0; i < 8; i++)
		s[i] = (struct pseg){ a, 1, 0 };
	pdrv_post(&fx.r, s, 8, 4);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 4);
	assert_int_equal(fx.c.nseg, 8);
	assert_int_equal(fx.c.len, 8);
	assert_int_equal(fx.vq.last_avail, 3);
	assert_false(fx.vq.avail_wrap);
	vq_push(&fx.vq, 4, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 4, 0);
	assert_int_equal(fx.r.used_pos, 3);
	assert_false(fx.r.used_wrap);
	assert_int_equal(fx.vq.used_idx, 3);
	assert_false(fx.vq.used_wrap);
}

/* More than VQ_MAX_SEGS segments: consumed, returned like any chain. */
static void tx_too_many_segments(void **state)
{
	uint64_t a = data_buf(10, 15), b = data_buf(20, 16);
	struct pseg s[VQ_MAX_SEGS + 1];
	uint16_t i;

	(void)state;
	ring(256);
	for (i = 0; i <= VQ_MAX_SEGS; i++)
		s[i] = (struct pseg){ a, 10, 0 };
	pdrv_post(&fx.r, s, VQ_MAX_SEGS + 1, 9);
	pdrv_post1(&fx.r, b, 20, 0, 10);
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EMSGSIZE);
	assert_int_equal(fx.c.head, 9);
	assert_int_equal(fx.vq.last_avail, VQ_MAX_SEGS + 1);
	assert_null(fx.vq.err);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 10);
	expect_chain_bytes(gpa_ptr(&fx.g, b), 20);
	vq_push(&fx.vq, 9, 0);
	vq_push(&fx.vq, 10, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 9, 0);
	pdrv_expect_used(&fx.r, 10, 0);
}

/*
 * Many laps of a small ring: each round the driver posts chains of 1..3
 * descriptors (ids taken in a scrambled order) while it has room, the
 * device pops them all, then returns them in another order (reversed, or
 * rotated) with lengths, some zero, and the driver reads each back, skipping
 * the positions its buffer took. Chains wrap around the end of the ring.
 */
static void tx_many_laps_out_of_order(void **state)
{
	enum { SIZE = 8, FRAMES = 5 * SIZE };
	uint64_t a = data_buf(256, 17);
	uint16_t ids[SIZE], order[SIZE], id, i, k, n, round = 0;
	uint32_t lens[SIZE], frames = 0;

	(void)state;
	ring(SIZE);
	while (frames < FRAMES) {
		/* the driver fills what it has */
		for (n = 0; fx.r.nfree; n++) {
			uint16_t len = (uint16_t)(1 + (frames + n) % 3);
			struct pseg s[3];

			if (len > fx.r.nfree)
				len = fx.r.nfree;
			for (id = (uint16_t)((frames + n) * 5 % SIZE); fx.r.ndesc[id];)
				id = (uint16_t)((id + 1) % SIZE);
			for (k = 0; k < len; k++)
				s[k] = (struct pseg){ a + k * 16, (uint32_t)(10 + id + k), 0 };
			pdrv_post(&fx.r, s, len, id);
			ids[n] = id;
			lens[n] = (uint32_t)(len * (10 + id) + len * (len - 1) / 2);
		}
		/* the device takes everything, in the driver's order */
		for (i = 0; i < n; i++) {
			pop_tx_ok();
			assert_int_equal(fx.c.head, ids[i]);
			assert_int_equal(fx.c.len, lens[i]);
		}
		assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EAGAIN);
		/* and completes them in another */
		for (i = 0; i < n; i++)
			order[i] = round % 2 ? (uint16_t)(n - 1 - i) : (uint16_t)((i + 2) % n);
		for (i = 0; i < n; i++)
			vq_push(&fx.vq, ids[order[i]], ids[order[i]] % 2 ? 0 : lens[order[i]]);
		vq_flush(&fx.vq);
		for (i = 0; i < n; i++)
			pdrv_expect_used(&fx.r, ids[order[i]],
					 ids[order[i]] % 2 ? 0 : lens[order[i]]);
		assert_false(pdrv_has_used(&fx.r));
		assert_int_equal(fx.r.nfree, SIZE);
		/* both sides agree on where they are */
		assert_int_equal(fx.vq.used_idx, fx.r.used_pos);
		assert_int_equal(fx.vq.used_wrap, fx.r.used_wrap);
		assert_int_equal(fx.vq.last_avail, fx.r.avail_pos);
		assert_int_equal(fx.vq.avail_wrap, fx.r.avail_wrap);
		frames += n;
		round++;
	}
	assert_true(frames > 3 * SIZE);
	assert_null(fx.vq.err);
}

/* Completion in another order than the pops: each used descriptor goes in
 * the next free position, then that buffer's positions are skipped. */
static void tx_out_of_order_completion(void **state)
{
	uint64_t a = data_buf(64, 18);
	struct pseg s[3] = { { a, 10, 0 }, { a, 20, 0 }, { a, 30, 0 } };

	(void)state;
	ring(16);
	pdrv_post(&fx.r, s, 1, 0); /* position 0 */
	pdrv_post(&fx.r, s, 2, 1); /* 1-2 */
	pdrv_post(&fx.r, s, 3, 2); /* 3-5 */
	pop_tx_ok();
	pop_tx_ok();
	pop_tx_ok();
	vq_push(&fx.vq, 2, 0); /* takes 0-2 */
	vq_push(&fx.vq, 0, 0); /* 3 */
	vq_push(&fx.vq, 1, 0); /* 4-5 */
	vq_flush(&fx.vq);
	assert_int_equal(fx.r.desc[0].id, 2);
	assert_int_equal(fx.r.desc[3].id, 0);
	assert_int_equal(fx.r.desc[4].id, 1);
	pdrv_expect_used(&fx.r, 2, 0);
	pdrv_expect_used(&fx.r, 0, 0);
	pdrv_expect_used(&fx.r, 1, 0);
	assert_int_equal(fx.r.used_pos, 6);
	assert_int_equal(fx.vq.used_idx, 6);
}

/* ---- receive ------------------------------------------------------------- */

static void rx_frame_fits_one_buffer(void **state)
{
	uint8_t frame[100];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b;
	uint8_t *p;

	(void)state;
	ring(256);
	b = post_rx(2, RX_BUF);
	p = gpa_ptr(&fx.g, b);
	fill_pattern(frame, sizeof(frame), 30);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	assert_false(pdrv_has_used(&fx.r)); /* not before the flush */
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 2, 12 + 100); /* WRITE set */
	expect_rx_hdr(b, 1);
	assert_memory_equal(p + 12, frame, 100);
	assert_int_equal(p[112], 0xee);
	assert_int_equal(fx.vq.st.packets, 1);
	assert_int_equal(fx.vq.st.bytes, 100);
	assert_int_equal(fx.vq.st.drop_no_buf, 0);
}

static void rx_mergeable_spans_three_buffers(void **state)
{
	static uint8_t frame[4000];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b[4];
	uint16_t i;

	(void)state;
	ring(256);
	fx.vq.mrg_rxbuf = true;
	for (i = 0; i < 4; i++)
		b[i] = post_rx((uint16_t)(10 + i), RX_BUF);
	fill_pattern(frame, sizeof(frame), 32);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 10, RX_BUF);
	pdrv_expect_used(&fx.r, 11, RX_BUF);
	pdrv_expect_used(&fx.r, 12, 4000 - 1536 - RX_BUF);
	assert_false(pdrv_has_used(&fx.r));
	expect_rx_hdr(b[0], 3);
	assert_memory_equal((uint8_t *)gpa_ptr(&fx.g, b[0]) + 12, frame, 1536);
	assert_memory_equal(gpa_ptr(&fx.g, b[1]), frame + 1536, RX_BUF);
	assert_memory_equal(gpa_ptr(&fx.g, b[2]), frame + 1536 + RX_BUF, 4000 - 1536 - RX_BUF);
	assert_int_equal(fx.vq.last_avail, 3);
	assert_in_range(vq_avail_count(&fx.vq), 1, 64); /* the fourth is left */
	assert_int_equal(fx.vq.st.bytes, 4000);
}

/* A receive chain of two descriptors (the header apart) takes two
 * positions: the next buffer's used descriptor is after both. */
static void rx_chain_skips_its_positions(void **state)
{
	uint8_t frame[60];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t h = rx_buf(12), d = rx_buf(200), e;
	struct pseg s[2] = { { h, 12, VRING_DESC_F_WRITE }, { d, 200, VRING_DESC_F_WRITE } };

	(void)state;
	ring(256);
	pdrv_post(&fx.r, s, 2, 4);
	e = post_rx(5, RX_BUF);
	fill_pattern(frame, sizeof(frame), 33);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, 30), 0);
	vq_flush(&fx.vq);
	expect_rx_hdr(h, 1);
	assert_memory_equal(gpa_ptr(&fx.g, d), frame, 60);
	assert_memory_equal((uint8_t *)gpa_ptr(&fx.g, e) + 12, frame, 30);
	assert_int_equal(fx.r.desc[2].id, 5);
	pdrv_expect_used(&fx.r, 4, 72);
	assert_int_equal(fx.r.used_pos, 2);
	pdrv_expect_used(&fx.r, 5, 42);
}

/* vq_enqueue_hdr: the offload fields of the header come from the caller. */
static void rx_header_fields(void **state)
{
	uint8_t frame[80];
	struct vq_iov src = { frame, sizeof(frame) };
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = 54,
		.gso_size = 1448,
		.csum_start = 34,
		.csum_offset = 16,
	};
	struct virtio_net_hdr_mrg_rxbuf want = { .hdr = vh, .num_buffers = 1 };
	uint64_t b;

	(void)state;
	ring(256);
	b = post_rx(0, RX_BUF);
	fill_pattern(frame, sizeof(frame), 34);
	assert_int_equal(vq_enqueue_hdr(&fx.vq, &src, 1, 0, sizeof(frame), NULL, 0, &vh), 0);
	vq_flush(&fx.vq);
	assert_memory_equal(gpa_ptr(&fx.g, b), &want, sizeof(want));
	assert_memory_equal((uint8_t *)gpa_ptr(&fx.g, b) + 12, frame, sizeof(frame));
	pdrv_expect_used(&fx.r, 0, 12 + 80);
}

/*
 * Not enough buffers for a frame: what it popped is given back (position,
 * wrap counter and ids, across the end of the ring), nothing is used; once
 * the driver posts two more, the same frame takes the same three buffers
 * and the two new ones.
 */
static void rx_rollback_restores_position_wrap_and_ids(void **state)
{
	uint8_t frame[400], got[400];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b[5];
	uint16_t i;

	(void)state;
	ring_at(8, 6, true);
	fx.vq.mrg_rxbuf = true;
	fill_pattern(frame, sizeof(frame), 35);
	for (i = 0; i < 3; i++) /* positions 6, 7, 0 */
		b[i] = post_rx(i, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.last_avail, 6);
	assert_true(fx.vq.avail_wrap);
	assert_int_equal(fx.vq.used_pending, 0);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
	assert_null(fx.vq.err);
	for (i = 0; i < 8; i++)
		assert_int_equal(fx.vq.pk_ndesc[i], 0);
	vq_flush(&fx.vq);
	assert_false(pdrv_has_used(&fx.r));
	assert_in_range(vq_avail_count(&fx.vq), 3, 64);

	for (i = 3; i < 5; i++) /* 1, 2 */
		b[i] = post_rx(i, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	for (i = 0; i < 4; i++)
		pdrv_expect_used(&fx.r, i, 100);
	pdrv_expect_used(&fx.r, 4, 12); /* 412 bytes: 4 * 100 + 12 */
	expect_rx_hdr(b[0], 5);
	memcpy(got, (uint8_t *)gpa_ptr(&fx.g, b[0]) + 12, 88);
	for (i = 1; i < 5; i++)
		memcpy(got + 88 + 100 * (i - 1), gpa_ptr(&fx.g, b[i]), i < 4 ? 100 : 12);
	assert_memory_equal(got, frame, sizeof(frame));
	assert_int_equal(fx.vq.last_avail, 3);
	assert_false(fx.vq.avail_wrap);
}

/* Without MRG_RXBUF a frame fits one buffer or none. */
static void rx_too_big_without_mergeable(void **state)
{
	uint8_t frame[2000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	ring(256);
	fill_pattern(frame, sizeof(frame), 36);
	post_rx(0, RX_BUF);
	post_rx(1, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_int_equal(fx.vq.used_pending, 0);
	assert_int_equal(fx.vq.pk_ndesc[0], 0);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, 1000), 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 0, 1012);
}

static void rx_no_buffers(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	ring(256);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
	assert_int_equal(fx.vq.last_avail, 0);
	vq_flush(&fx.vq);
	assert_false(pdrv_has_used(&fx.r));
	/* posting one clears the memo */
	post_rx(0, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
}

static void rx_buffer_smaller_than_header(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	ring(256);
	post_rx(0, 8);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_int_equal(fx.vq.pk_ndesc[0], 0);
	assert_null(fx.vq.err);
}

/*
 * The no-room memo: a frame that found no room does not walk the same
 * buffers again until the driver posts more (the descriptor at the head is
 * made insane after the first failure: the second and third attempts must
 * not see it); then the next frame looks again, and finds the lie.
 */
static void rx_no_room_not_walked_again(void **state)
{
	static uint8_t frame[1000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	ring(256);
	fx.vq.mrg_rxbuf = true;
	post_rx(0, 100);
	post_rx(1, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_true(fx.vq.nobuf);
	fx.r.desc[0].addr = GUEST_GPA + GUEST_RAM_SIZE;
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_null(fx.vq.err);
	assert_int_equal(fx.vq.st.drop_no_buf, 3);
	assert_int_equal(fx.vq.last_avail, 0);
	post_rx(2, 100);
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "outside guest memory");
}

/* The same with every position of the ring posted: where the posted run
 * ends is where it began, one lap on. */
static void rx_no_room_full_ring(void **state)
{
	static uint8_t frame[1000];
	struct vq_iov src = { frame, sizeof(frame) };
	uint16_t i;

	(void)state;
	ring_at(8, 5, false);
	for (i = 0; i < 8; i++)
		post_rx(i, 100);
	assert_int_equal(vq_avail_count(&fx.vq), 8);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	fx.r.desc[5].addr = GUEST_GPA + GUEST_RAM_SIZE;
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_null(fx.vq.err);
	assert_int_equal(fx.vq.st.drop_no_buf, 2);
}

/* Posting more clears the memo: the frame that did not fit in two small
 * buffers fits once a large one follows them. */
static void rx_posting_more_clears_no_room(void **state)
{
	static uint8_t frame[1000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	ring(256);
	fx.vq.mrg_rxbuf = true;
	fill_pattern(frame, sizeof(frame), 37);
	post_rx(0, 100);
	post_rx(1, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	post_rx(2, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 0, 100);
	pdrv_expect_used(&fx.r, 1, 100);
	pdrv_expect_used(&fx.r, 2, 1012 - 200);
	assert_int_equal(fx.vq.st.drop_no_buf, 2);
}

/* A shorter frame is still tried: it may fit where the longer did not. */
static void rx_no_room_shorter_frame_fits(void **state)
{
	static uint8_t frame[1000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	ring(256);
	fx.vq.mrg_rxbuf = true;
	post_rx(0, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, 60), 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 0, 72);
}

/*
 * One frame's chains together are charged one budget: useless buffers
 * (indirect tables of 8 zero-length entries, 9 reads each) make the frame
 * fail once it is spent, inside a table, well before chain 35, whose table
 * is outside guest memory. Everything popped is given back, the chain cut
 * short by the budget included: the buffers pop again, with their ids.
 */
static void rx_descriptor_budget_per_frame(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t z = rx_buf(8);
	uint16_t i, k;

	(void)state;
	ring(256);
	fx.vq.mrg_rxbuf = true;
	post_rx(0, 12); /* room for the header only */
	for (i = 1; i < 40; i++) {
		uint64_t t = guest_alloc(&fx.g, 8 * 16, 16);
		struct vring_packed_desc *tab = gpa_ptr(&fx.g, t);

		for (k = 0; k < 8; k++)
			tab[k] = (struct vring_packed_desc){ .addr = z,
							     .flags = VRING_DESC_F_WRITE };
		pdrv_post1(&fx.r, i == 35 ? GUEST_GPA + GUEST_RAM_SIZE : t, 8 * 16,
			   VRING_DESC_F_INDIRECT, i);
	}
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_null(fx.vq.err);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_true(fx.vq.avail_wrap);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
	for (i = 0; i < 40; i++)
		assert_int_equal(fx.vq.pk_ndesc[i], 0);
	for (i = 0; i < 30; i++) {
		pop_ok(true);
		assert_int_equal(fx.c.head, i);
	}
}

/* ---- batches, interrupts, notifications ---------------------------------- */

/* Pop one posted single-descriptor buffer and queue it as used. */
static void complete_one(void)
{
	uint16_t id;

	for (id = 0; fx.r.ndesc[id]; id++)
		;
	pdrv_post1(&fx.r, data_buf(16, 40), 16, 0, id);
	pop_tx_ok();
	assert_int_equal(fx.c.head, id);
	vq_push(&fx.vq, fx.c.head, 0);
}

/* The driver takes back everything used. */
static void drain_used(void)
{
	uint16_t id, f;
	uint32_t len;

	while (pdrv_get_used(&fx.r, &id, &len, &f))
		;
}

/* Used descriptors are published by the batch's first one, written last:
 * before vq_flush() the driver sees none, after it all of them. */
static void flush_publishes_batch(void **state)
{
	uint16_t i;

	(void)state;
	ring(256);
	use_call_fd();
	vq_flush(&fx.vq); /* nothing pending: nothing happens */
	assert_false(interrupted());
	for (i = 5; i < 8; i++)
		pdrv_post1(&fx.r, data_buf(16, i), 16, 0, i);
	for (i = 0; i < 3; i++)
		pop_tx_ok();
	vq_push(&fx.vq, 7, 0);
	vq_push(&fx.vq, 5, 0);
	vq_push(&fx.vq, 6, 0);
	assert_false(pdrv_has_used(&fx.r));
	assert_int_equal(fx.r.desc[0].flags, PD_AVAIL); /* as the driver wrote it */
	assert_false(interrupted());
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 7, 0);
	pdrv_expect_used(&fx.r, 5, 0);
	pdrv_expect_used(&fx.r, 6, 0);
	assert_true(interrupted());
	assert_int_equal(fx.vq.used_pending, 0);
	vq_flush(&fx.vq);
	assert_false(interrupted());
	/* a second batch, in the same lap */
	complete_one();
	assert_false(pdrv_has_used(&fx.r));
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 0, 0);
}

/* Without EVENT_IDX: the driver's flags ENABLE or DISABLE decide. */
static void flush_event_flags(void **state)
{
	(void)state;
	ring(8);
	use_call_fd();
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	complete_one();
	vq_flush(&fx.vq);
	assert_true(interrupted());
	complete_one();
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DISABLE, 0, false);
	complete_one();
	vq_flush(&fx.vq);
	assert_false(interrupted());
	complete_one();
	vq_flush(&fx.vq);
	assert_false(interrupted());
	drain_used();

	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	complete_one();
	vq_flush(&fx.vq);
	assert_true(interrupted());
	assert_int_equal(fx.vq.st.notifies, 3);

	/* DESC needs EVENT_IDX: without it, never a reason to stay silent */
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 7, false);
	complete_one();
	vq_flush(&fx.vq);
	assert_true(interrupted());
}

/*
 * With EVENT_IDX, flags DESC: interrupt when the used descriptor at offset
 * `off` of the lap given by the wrap bit has been written (§2.8.10), in a
 * ring of 8 over two laps.
 */
static void flush_event_desc(void **state)
{
	(void)state;
	ring(8);
	use_call_fd();
	fx.vq.event_idx = true;
	/* the first flush after a start interrupts whatever the offset: what
	 * the driver was last told is not known */
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 5, true);
	complete_one(); /* used at 0 */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 2, true);
	complete_one(); /* 1 */
	vq_flush(&fx.vq);
	assert_false(interrupted());
	complete_one(); /* 2 */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 5, true);
	complete_one(); /* 3 */
	complete_one(); /* 4 */
	complete_one(); /* 5: passed within one batch */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	/* position 1 of the next lap (wrap 0) */
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 1, false);
	complete_one(); /* 6 */
	complete_one(); /* 7 */
	vq_flush(&fx.vq);
	assert_false(interrupted());
	assert_false(fx.vq.used_wrap);
	complete_one(); /* 0, lap 0 */
	vq_flush(&fx.vq);
	assert_false(interrupted());
	complete_one(); /* 1, lap 0 */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	/* the wrap bit counts: offset 2 of the lap before was passed long ago */
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 2, true);
	complete_one(); /* 2, lap 0 */
	vq_flush(&fx.vq);
	assert_false(interrupted());
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 3, false);
	complete_one(); /* 3, lap 0 */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	/* DISABLE wins over an offset */
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DISABLE, 4, false);
	complete_one(); /* 4 */
	vq_flush(&fx.vq);
	assert_false(interrupted());
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	complete_one(); /* 5 */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();

	/* a batch over the end of the lap (6, 7, then 0 and 1 of lap 1) does
	 * not pass an offset of the lap it leaves that was passed before it */
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 4, false);
	complete_one(); /* 6 */
	complete_one(); /* 7 */
	complete_one(); /* 0, lap 1 */
	complete_one(); /* 1, lap 1 */
	vq_flush(&fx.vq);
	assert_false(interrupted());
	assert_true(fx.vq.used_wrap);
	assert_int_equal(fx.vq.st.notifies, 6);
}

/* A buffer of several descriptors moves the used position by as many: an
 * offset inside it is passed by its used descriptor (Linux's delayed
 * callbacks ask for an offset three quarters of the way to the last
 * available one, wherever that is). */
static void flush_event_desc_inside_chain(void **state)
{
	uint64_t a = data_buf(16, 41);
	struct pseg s[3] = { { a, 16, 0 }, { a, 16, 0 }, { a, 16, 0 } };

	(void)state;
	ring(8);
	use_call_fd();
	fx.vq.event_idx = true;
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_ENABLE, 0, false);
	complete_one(); /* 0; the first interrupt is unconditional */
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 2, true);
	pdrv_post(&fx.r, s, 3, 1); /* 1-3 */
	pop_tx_ok();
	vq_push(&fx.vq, 1, 0);
	vq_flush(&fx.vq);
	assert_true(interrupted());
	drain_used();
	pdrv_event(&fx.r, VRING_PACKED_EVENT_FLAG_DESC, 7, true);
	pdrv_post(&fx.r, s, 3, 2); /* 4-6 */
	pop_tx_ok();
	vq_push(&fx.vq, 2, 0);
	vq_flush(&fx.vq);
	assert_false(interrupted());
	drain_used();
	pdrv_post(&fx.r, s, 3, 3); /* 7, 0-1 */
	pop_tx_ok();
	vq_push(&fx.vq, 3, 0);
	vq_flush(&fx.vq);
	assert_true(interrupted());
}

static void flush_without_call_fd(void **state)
{
	(void)state;
	ring(8);
	complete_one();
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 0, 0);
	assert_int_equal(fx.vq.st.notifies, 0);
	assert_int_equal(fx.vq.st.irq_fail, 0);
}

/* With EVENT_IDX: "kick me when you make position last_avail of lap
 * avail_wrap available". */
static void kick_enable_event_idx(void **state)
{
	uint16_t i;

	(void)state;
	ring(8);
	fx.vq.event_idx = true;
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.dev->flags, VRING_PACKED_EVENT_FLAG_DESC);
	assert_int_equal(fx.r.dev->off_wrap, 0 | PD_EV_WRAP);
	pdrv_post1(&fx.r, data_buf(16, 42), 16, 0, 0);
	assert_true(vq_kick_enable(&fx.vq)); /* work arrived: do not sleep */
	pop_tx_ok();
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.dev->off_wrap, 1 | PD_EV_WRAP);
	vq_kick_disable(&fx.vq);
	assert_int_equal(fx.r.dev->flags, VRING_PACKED_EVENT_FLAG_DISABLE);

	/* a lap on, the wrap bit is 0 */
	vq_push(&fx.vq, 0, 0);
	vq_flush(&fx.vq);
	drain_used();
	for (i = 0; i < 7; i++)
		complete_one();
	vq_flush(&fx.vq);
	drain_used();
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.dev->flags, VRING_PACKED_EVENT_FLAG_DESC);
	assert_int_equal(fx.r.dev->off_wrap, 0);
	complete_one();
	complete_one();
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.dev->off_wrap, 2);
}

static void kick_enable_flags(void **state)
{
	(void)state;
	ring(8);
	vq_kick_disable(&fx.vq);
	assert_int_equal(fx.r.dev->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.dev->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	vq_kick_disable(&fx.vq);
	pdrv_post1(&fx.r, data_buf(16, 43), 16, 0, 3);
	assert_true(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.dev->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	pop_tx_ok();
	assert_false(vq_kick_enable(&fx.vq));
}

/* ---- vq_avail_count ------------------------------------------------------ */

/* An upper bound of the chains, not a count: popping that many may run
 * dry (-EAGAIN ends the run). */
static void avail_count_counts_descriptors(void **state)
{
	uint64_t a = data_buf(30, 44);
	struct pseg s[3] = { { a, 10, 0 }, { a, 10, 0 }, { a, 10, 0 } };
	int n, i, popped = 0, r;

	(void)state;
	ring(256);
	assert_int_equal(vq_avail_count(&fx.vq), 0);
	pdrv_post(&fx.r, s, 3, 0);
	pdrv_post1(&fx.r, a, 30, 0, 1);
	n = vq_avail_count(&fx.vq);
	assert_in_range(n, 2, 64);
	for (i = 0; i < n; i++) {
		r = vq_pop(&fx.vq, &fx.c, false);
		if (r == -EAGAIN)
			break;
		assert_int_equal(r, 0);
		popped++;
	}
	assert_int_equal(popped, 2);
	assert_int_equal(vq_avail_count(&fx.vq), 0);
	assert_null(fx.vq.err);
}

/* Bounded by the ring and by 64 (the head is all it looks at), at least
 * one when anything is available, 0 when nothing is. */
static void avail_count_bounded(void **state)
{
	int n, popped = 0, r;
	uint16_t i;

	(void)state;
	ring(256);
	for (i = 0; i < 200; i++)
		pdrv_post1(&fx.r, data_buf(1, i), 1, 0, i);
	n = vq_avail_count(&fx.vq);
	assert_in_range(n, 1, 64);
	while ((r = vq_pop(&fx.vq, &fx.c, false)) == 0) {
		assert_int_equal(fx.c.head, popped);
		popped++;
	}
	assert_int_equal(r, -EAGAIN);
	assert_int_equal(popped, 200);
	assert_int_equal(vq_avail_count(&fx.vq), 0);
}

static void avail_count_full_ring(void **state)
{
	uint16_t i;
	int n;

	(void)state;
	ring_at(8, 3, false);
	for (i = 0; i < 8; i++)
		pdrv_post1(&fx.r, data_buf(1, i), 1, 0, i);
	n = vq_avail_count(&fx.vq);
	assert_int_equal(n, 8);
	for (i = 0; i < 8; i++)
		pop_tx_ok();
	assert_int_equal(vq_avail_count(&fx.vq), 0);
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EAGAIN);
}

/* ---- guest violations ---------------------------------------------------- */

/* Not available: never written, already used, or of the other lap. */
static void nothing_available(void **state)
{
	uint64_t a = data_buf(16, 50);

	(void)state;
	ring(8);
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EAGAIN);
	fx.r.desc[0] = (struct vring_packed_desc){ a, 16, 0, PD_AVAIL | PD_USED };
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EAGAIN);
	fx.r.desc[0].flags = PD_USED; /* available in lap 0, we are in lap 1 */
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EAGAIN);
	assert_int_equal(vq_avail_count(&fx.vq), 0);
	assert_false(vq_kick_enable(&fx.vq));
	assert_null(fx.vq.err);
	assert_int_equal(fx.vq.last_avail, 0);
}

static void fault_id_out_of_range(void **state)
{
	uint64_t a = data_buf(16, 51);

	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, a, 16, 256, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "buffer id out of range");
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, a, 16, 0xffff, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "buffer id out of range");
	assert_int_equal(fx.vq.last_avail, 0);
}

/* A buffer id made available again before it was used: two used
 * descriptors would say the same, and the positions it took are lost. */
static void fault_id_in_flight_twice(void **state)
{
	uint64_t a = data_buf(16, 52);

	(void)state;
	ring(256);
	pdrv_post1(&fx.r, a, 16, 0, 3);
	pop_tx_ok();
	pdrv_raw(&fx.r, 0, a, 16, 3, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "already in flight");
	/* the same id in an RX frame's two buffers */
	fx.vq.err = NULL;
	memset(&fx.vq.st, 0, sizeof(fx.vq.st));
	{
		static uint8_t frame[3000];
		struct vq_iov src = { frame, sizeof(frame) };

		vq_push(&fx.vq, 3, 0);
		vq_flush(&fx.vq);
		fx.vq.mrg_rxbuf = true;
		fx.r.avail_pos = fx.vq.last_avail;
		pdrv_raw(&fx.r, 0, rx_buf(RX_BUF), RX_BUF, 9, VRING_DESC_F_WRITE);
		pdrv_raw(&fx.r, 1, rx_buf(RX_BUF), RX_BUF, 9, VRING_DESC_F_WRITE);
		expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "already in flight");
	}
}

/* Every position NEXT: the chain would go round the ring. */
static void fault_chain_longer_than_ring(void **state)
{
	uint64_t a = data_buf(8, 53);
	uint16_t i;

	(void)state;
	ring_at(8, 2, true);
	for (i = 0; i < 8; i++)
		pdrv_raw(&fx.r, i, a, 8, i, VRING_DESC_F_NEXT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "longer than the ring");
	assert_int_equal(fx.vq.last_avail, 2);
}

/* VQ_MAX_DESC descriptors read for one chain at most: 256 in a ring of 512
 * pass (zero-length ones, so that they make no segment), 257 do not. */
static void fault_chain_over_budget(void **state)
{
	uint64_t a = data_buf(60, 54);
	uint32_t i;

	(void)state;
	ring(512);
	for (i = 0; i < VQ_MAX_DESC; i++)
		pdrv_raw(&fx.r, i, a, i == VQ_MAX_DESC - 1 ? 60 : 0, 1,
			 i < VQ_MAX_DESC - 1 ? VRING_DESC_F_NEXT : 0);
	pdrv_advance(&fx.r, VQ_MAX_DESC, 1);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 1);
	assert_int_equal(fx.c.nseg, 1);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 60);
	vq_push(&fx.vq, 1, 0);
	vq_flush(&fx.vq);
	pdrv_expect_used(&fx.r, 1, 0);

	for (i = 0; i <= VQ_MAX_DESC; i++)
		pdrv_raw(&fx.r, i, a, 0, 2, i < VQ_MAX_DESC ? VRING_DESC_F_NEXT : 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "more than 256 descriptors");
}

/* The indirect hop is charged too: 1 + 255 entries pass, 1 + 256 do not. */
static void fault_indirect_over_budget(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 256 * 16, 16);
	struct vring_packed_desc *tab = gpa_ptr(&fx.g, t);
	uint64_t a = data_buf(8, 55);
	uint16_t i;

	(void)state;
	ring(256);
	for (i = 0; i < 256; i++)
		tab[i] = (struct vring_packed_desc){ .addr = a, .len = i == 0 ? 8 : 0 };
	pdrv_post1(&fx.r, t, 255 * 16, VRING_DESC_F_INDIRECT, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.len, 8);
	pdrv_raw(&fx.r, 0, t, 256 * 16, 1, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "more than 256 descriptors");
}

/* An RX buffer over the budget on its own is a violation, not a drop. */
static void fault_rx_chain_over_budget(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b = rx_buf(RX_BUF);
	uint32_t i;

	(void)state;
	ring(512);
	for (i = 0; i <= VQ_MAX_DESC; i++)
		pdrv_raw(&fx.r, i, b, i == VQ_MAX_DESC ? RX_BUF : 0, 0,
			 (uint16_t)(VRING_DESC_F_WRITE | (i < VQ_MAX_DESC ? VRING_DESC_F_NEXT : 0)));
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "more than 256 descriptors");
}

static void fault_indirect_with_next(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 32, 16), a = data_buf(8, 56);
	struct vring_packed_desc *tab = gpa_ptr(&fx.g, t);

	(void)state;
	ring(256);
	tab[0] = (struct vring_packed_desc){ .addr = a, .len = 8 };
	tab[1] = (struct vring_packed_desc){ .addr = a, .len = 8 };
	pdrv_raw(&fx.r, 1, a, 8, 0, 0);
	pdrv_raw(&fx.r, 0, t, 32, 0, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect descriptor with NEXT");
}

static void fault_nested_indirect(void **state)
{
	uint64_t t1 = guest_alloc(&fx.g, 32, 16), t2 = guest_alloc(&fx.g, 16, 16);
	struct vring_packed_desc *tab1 = gpa_ptr(&fx.g, t1), *tab2 = gpa_ptr(&fx.g, t2);
	uint64_t a = data_buf(8, 57);

	(void)state;
	ring(256);
	tab2[0] = (struct vring_packed_desc){ .addr = a, .len = 8 };
	tab1[0] = (struct vring_packed_desc){ .addr = a, .len = 8 };
	tab1[1] = (struct vring_packed_desc){ .addr = t2, .len = 16,
					      .flags = VRING_DESC_F_INDIRECT };
	pdrv_raw(&fx.r, 0, t1, 32, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "nested indirect");
	/* a table that is the ring itself, whose head is this very indirect
	 * descriptor */
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, fx.r.desc_gpa, 16 * 4, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "nested indirect");
}

static void fault_indirect_bad_length(void **state)
{
	static const uint32_t lens[] = { 0, 8, 17, 24, 40 };
	uint64_t t = guest_alloc(&fx.g, 64, 16);
	unsigned i;

	(void)state;
	ring(256);
	memset(gpa_ptr(&fx.g, t), 0, 64);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fx.vq.err = NULL;
		pdrv_raw(&fx.r, 0, t, lens[i], 0, VRING_DESC_F_INDIRECT);
		expect_fault(vq_pop(&fx.vq, &fx.c, false), "not a multiple of 16");
	}
}

static void fault_indirect_longer_than_ring(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 9 * 16, 16);

	(void)state;
	ring(8);
	memset(gpa_ptr(&fx.g, t), 0, 9 * 16);
	pdrv_raw(&fx.r, 0, t, 9 * 16, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table longer than the ring");
	/* as long as the ring: fine */
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, t, 8 * 16, 0, VRING_DESC_F_INDIRECT);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 0);
}

static void fault_indirect_outside_memory(void **state)
{
	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, GUEST_GPA + GUEST_RAM_SIZE - 16, 32, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table outside guest memory");
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, 0x1000, 32, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table outside guest memory");
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, 0xfffffffffffffff0ull, 32, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table outside guest memory");
}

static void fault_indirect_misaligned(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 64, 16);

	(void)state;
	ring(256);
	memset(gpa_ptr(&fx.g, t), 0, 64);
	pdrv_raw(&fx.r, 0, t + 4, 32, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table misaligned");
}

/* Inside an indirect table, WRITE must match the queue too. */
static void fault_indirect_entry_wrong_direction(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 32, 16), a = data_buf(8, 58);
	struct vring_packed_desc *tab = gpa_ptr(&fx.g, t);

	(void)state;
	ring(256);
	tab[0] = (struct vring_packed_desc){ .addr = a, .len = 8 };
	tab[1] = (struct vring_packed_desc){ .addr = a, .len = 8, .flags = VRING_DESC_F_WRITE };
	pdrv_raw(&fx.r, 0, t, 32, 0, VRING_DESC_F_INDIRECT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "transmit buffer is device-writable");
	fx.vq.err = NULL;
	expect_fault(vq_pop(&fx.vq, &fx.c, true), "receive buffer is not device-writable");
	/* a table entry outside memory */
	fx.vq.err = NULL;
	tab[1] = (struct vring_packed_desc){ .addr = GUEST_GPA + GUEST_RAM_SIZE, .len = 8 };
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

static void fault_desc_outside_memory(void **state)
{
	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, GUEST_GPA + GUEST_RAM_SIZE, 16, 0, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, 0, 16, 0, 0); /* below the region */
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
	/* the second descriptor of a chain */
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 1, GUEST_GPA + GUEST_RAM_SIZE + 4096, 16, 0, 0);
	pdrv_raw(&fx.r, 0, GUEST_GPA, 16, 0, VRING_DESC_F_NEXT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
	assert_int_equal(fx.vq.last_avail, 0);
}

static void fault_desc_crosses_end_of_memory(void **state)
{
	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, GUEST_GPA + GUEST_RAM_SIZE - 8, 16, 0, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

static void fault_desc_wraps_around(void **state)
{
	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, 0xfffffffffffffff0ull, 0x20, 0, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "wraps around");
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 0, GUEST_GPA, 0xffffffffu, 0, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

/* setup_gap: a buffer running into the hole between two regions. */
static void fault_desc_into_gap(void **state)
{
	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, GUEST_GPA + 2 * MIB - 8, 16, 0, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

static void fault_write_on_tx(void **state)
{
	uint64_t a = data_buf(16, 59);

	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, a, 16, 0, VRING_DESC_F_WRITE);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "transmit buffer is device-writable");
	/* the second descriptor of a chain */
	fx.vq.err = NULL;
	pdrv_raw(&fx.r, 1, a, 16, 0, VRING_DESC_F_WRITE);
	pdrv_raw(&fx.r, 0, a, 16, 0, VRING_DESC_F_NEXT);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "transmit buffer is device-writable");
}

static void fault_read_only_on_rx(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b = rx_buf(RX_BUF);

	(void)state;
	ring(256);
	pdrv_raw(&fx.r, 0, b, RX_BUF, 0, 0);
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "not device-writable");
	fx.vq.err = NULL;
	expect_fault(vq_pop(&fx.vq, &fx.c, true), "not device-writable");
}

/* An RX buffer of more than 64 segments: no driver splits one so finely. */
static void fault_rx_too_many_segments(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b = rx_buf(RX_BUF);
	uint32_t i;

	(void)state;
	ring(256);
	for (i = 0; i <= VQ_MAX_SEGS; i++)
		pdrv_raw(&fx.r, i, b, 16, 0,
			 (uint16_t)(VRING_DESC_F_WRITE | (i < VQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0)));
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "more than 64 segments");
}

/* ---- set-up -------------------------------------------------------------- */

static void map_rings_checks(void **state)
{
	uint64_t d = guest_alloc(&fx.g, 16 * 256, 16), e = guest_alloc(&fx.g, 8, 4);
	const char *why = NULL;
	struct vq vq;

	(void)state;
	memset(&vq, 0, sizeof(vq));
	vq.packed = true;
	vq.size = 256;
	assert_int_equal(vq_map_rings(&vq, fx.g.mem, gpa_uva(&fx.g, d), gpa_uva(&fx.g, e),
				      gpa_uva(&fx.g, e + 4), &why),
			 0);
	/* the device's own mapping of the same bytes */
	assert_ptr_equal((uint8_t *)vq.driver_ev + 4, vq.device_ev);
	assert_ptr_equal((uint8_t *)vq.pdesc + (e - d), vq.driver_ev);
	/* misaligned event areas and descriptor ring */
	assert_int_equal(vq_map_rings(&vq, fx.g.mem, gpa_uva(&fx.g, d), gpa_uva(&fx.g, e + 2),
				      gpa_uva(&fx.g, e + 4), &why),
			 -EINVAL);
	assert_int_equal(vq_map_rings(&vq, fx.g.mem, gpa_uva(&fx.g, d + 8), gpa_uva(&fx.g, e),
				      gpa_uva(&fx.g, e + 4), &why),
			 -EINVAL);
	/* a ring running off the end of memory */
	assert_int_equal(vq_map_rings(&vq, fx.g.mem, GUEST_UVA + GUEST_RAM_SIZE - 16 * 128,
				      gpa_uva(&fx.g, e), gpa_uva(&fx.g, e + 4), &why),
			 -EINVAL);
	assert_null(vq.pdesc);
	/* SET_VRING_BASE past the ring */
	vq.last_avail = vq.used_idx = 256;
	assert_int_equal(vq_map_rings(&vq, fx.g.mem, gpa_uva(&fx.g, d), gpa_uva(&fx.g, e),
				      gpa_uva(&fx.g, e + 4), &why),
			 -EINVAL);
	assert_non_null(strstr(why, "SET_VRING_BASE"));
}

/* ---- through vu_dev: set-up, stop and start ------------------------------ */

#define BIT(n) (1ull << (n))
#define DEV_FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_EVENT_IDX))
#define DEV_RING 8

static struct {
	struct vu_dev d;
	int fe; /* the front-end's end of the connection */
	struct pdrv r[2]; /* vring 0 (RX), 1 (TX) */
	struct drv_ring sr[2]; /* the same as split rings */
} dv;

static int setup_dev(void **state)
{
	int sv[2];

	setup_one(state);
	log_set_level(LOG_LVL_ERR); /* the violations below are expected */
	memset(&dv, 0, sizeof(dv));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	vu_dev_init(&dv.d, "vm1", 1, NULL, NULL);
	dv.d.packed = true; /* the port offers packed rings (packed-ring: true) */
	vu_dev_attach(&dv.d, sv[1]);
	dv.fe = sv[0];
	return 0;
}

static int teardown_dev(void **state)
{
	vu_dev_detach(&dv.d);
	close(dv.fe);
	pdrv_fini(&dv.r[0]);
	pdrv_fini(&dv.r[1]);
	return teardown(state);
}

/* Send one message (with an fd, if fd >= 0); returns what the device made
 * of it. */
static int dev_send(uint32_t req, const void *payload, uint32_t size, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct vu_msg m = { .hdr = { .request = req, .flags = VU_VERSION, .size = size } };
	struct iovec iov = { &m, VU_HDR_SIZE + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (size)
		memcpy(&m.p, payload, size);
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	assert_int_equal(sendmsg(dv.fe, &mh, MSG_NOSIGNAL), (ssize_t)iov.iov_len);
	return vu_dev_readable(&dv.d);
}

static void dev_ok(int r)
{
	if (r)
		fail_msg("vu_dev_readable: %d (%s)", r, strerror(-r));
}

static int dev_u64(uint32_t req, uint64_t v)
{
	return dev_send(req, &v, sizeof(v), -1);
}

static int dev_state(uint32_t req, uint32_t index, uint32_t num)
{
	struct vu_vring_state st = { index, num };

	return dev_send(req, &st, sizeof(st), -1);
}

static int dev_vring_fd(uint32_t req, uint32_t index)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), r;
	uint64_t v = index;

	assert_true(fd >= 0);
	r = dev_send(req, &v, sizeof(v), fd);
	close(fd); /* the device has its own copy */
	return r;
}

/* GET_VRING_BASE: the device stops the ring and says where it stands. */
static uint32_t dev_get_base(uint32_t index)
{
	struct vu_vring_state st = { index, 0 };
	struct vu_hdr h;

	dev_ok(dev_send(VU_REQ_GET_VRING_BASE, &st, sizeof(st), -1));
	assert_int_equal(recv(dv.fe, &h, sizeof(h), MSG_WAITALL), sizeof(h));
	assert_int_equal(h.request, VU_REQ_GET_VRING_BASE);
	assert_int_equal(h.size, sizeof(st));
	assert_int_equal(recv(dv.fe, &st, sizeof(st), MSG_WAITALL), sizeof(st));
	assert_int_equal(st.index, index);
	return st.num;
}

/* Features (no protocol features: a ring runs from its kick), memory. */
static void dev_negotiate(uint64_t features)
{
	struct vu_mem_table t;

	dev_ok(dev_u64(VU_REQ_SET_FEATURES, features));
	guest_table(&fx.g, &t);
	dev_ok(dev_send(VU_REQ_SET_MEM_TABLE, &t, 8 + 32 * t.nregions, fx.g.fd));
}

/* NUM, BASE, ADDR, KICK, CALL as QEMU sends them. */
static void dev_start(uint32_t i, uint32_t base, uint64_t desc, uint64_t drv, uint64_t dev)
{
	struct vu_vring_addr a = {
		.index = i,
		.desc_user_addr = gpa_uva(&fx.g, desc),
		.avail_user_addr = gpa_uva(&fx.g, drv),
		.used_user_addr = gpa_uva(&fx.g, dev),
	};

	dev_ok(dev_state(VU_REQ_SET_VRING_NUM, i, DEV_RING));
	dev_ok(dev_state(VU_REQ_SET_VRING_BASE, i, base));
	dev_ok(dev_send(VU_REQ_SET_VRING_ADDR, &a, sizeof(a), -1));
	dev_ok(dev_vring_fd(VU_REQ_SET_VRING_KICK, i));
	dev_ok(dev_vring_fd(VU_REQ_SET_VRING_CALL, i));
}

static void dev_start_packed(uint32_t i, uint32_t base)
{
	dev_start(i, base, dv.r[i].desc_gpa, dv.r[i].drv_gpa, dv.r[i].dev_gpa);
}

/* Both rings packed, fresh, started at position 0 of lap 1. */
static void dev_up_packed(void)
{
	pdrv_init(&dv.r[0], &fx.g, DEV_RING);
	pdrv_init(&dv.r[1], &fx.g, DEV_RING);
	dev_negotiate(DEV_FEATURES | BIT(VIRTIO_F_RING_PACKED));
	dev_start_packed(0, 0x8000);
	dev_start_packed(1, 0x8000);
}

/* Make the ring's memory what it is after the driver and the device went
 * round it up to `pos` of lap `wrap` with one-descriptor buffers: used
 * descriptors of that lap before pos, of the lap before from pos on. */
static void pdrv_history(struct pdrv *r, uint16_t pos, bool wrap)
{
	uint16_t i;

	for (i = 0; i < r->size; i++)
		r->desc[i].flags = pdrv_used_bits(i < pos ? wrap : !wrap);
}

/* The device's TX pass: everything available, returned in reverse. */
static int dev_tx_burst(struct vq *vq)
{
	uint16_t ids[DEV_RING];
	int n = 0, r;

	vq_lock(vq);
	while (n < DEV_RING && (r = vq_pop(vq, &fx.c, false)) == 0)
		ids[n++] = fx.c.head;
	while (n > 0)
		vq_push(vq, ids[--n], 0);
	vq_flush(vq);
	vq_unlock(vq);
	return r;
}

/* A packed ring starts where SET_VRING_BASE says: position in bits 0-14,
 * wrap counter in bit 15; GET_VRING_BASE stops it and gives the position
 * back the same way, QEMU's used position in bits 16-31. */
static void dev_packed_base(void **state)
{
	struct vq *vq = &dv.d.vr[1].vq;
	uint64_t a = data_buf(64, 60);
	struct pseg s[2] = { { a, 14, 0 }, { a + 14, 50, 0 } };
	uint32_t num;

	(void)state;
	pdrv_init(&dv.r[0], &fx.g, DEV_RING);
	pdrv_init_at(&dv.r[1], &fx.g, DEV_RING, 5, true);
	pdrv_history(&dv.r[1], 5, true);
	dev_negotiate(DEV_FEATURES | BIT(VIRTIO_F_RING_PACKED));
	dev_start_packed(0, 0x8000);
	dev_start_packed(1, 5 | 0x8000);
	assert_true(dv.d.vr[0].vq.ready);
	assert_true(vq->ready);
	assert_true(vq->packed);
	assert_non_null(vq->pk_ndesc);
	assert_int_equal(vq->last_avail, 5);
	assert_true(vq->avail_wrap);
	assert_int_equal(vq->used_idx, 5);
	assert_true(vq->used_wrap);

	/* a chain at 5-6, one buffer at 7, one at 0 of the next lap */
	pdrv_post(&dv.r[1], s, 2, 2);
	pdrv_post1(&dv.r[1], a, 60, 0, 3);
	pdrv_post1(&dv.r[1], a, 61, 0, 0);
	assert_int_equal(dev_tx_burst(vq), -EAGAIN);
	pdrv_expect_used(&dv.r[1], 0, 0);
	pdrv_expect_used(&dv.r[1], 3, 0);
	pdrv_expect_used(&dv.r[1], 2, 0);
	assert_false(pdrv_has_used(&dv.r[1]));

	num = dev_get_base(1);
	assert_false(vq->ready);
	assert_int_equal(num, 1 | 1u << 16); /* position 1 of lap 0, both */
	assert_int_equal(dev_get_base(0), 0x8000 | 0x8000u << 16);
}

/*
 * A stopped packed ring started again with what GET_VRING_BASE said (as
 * QEMU does when the guest's driver is reloaded, the link set down and up,
 * or the VM migrated) goes on where it stood. Positions inside a chain of
 * several descriptors are skipped by the used descriptor (§2.8.4): they
 * keep the flags the driver wrote, and look available to anyone reading
 * the ring to find out where it stands.
 */
static void dev_packed_restart_after_chains(void **state)
{
	struct vq *vq = &dv.d.vr[1].vq;
	uint64_t a = data_buf(64, 61);
	struct pseg s[2] = { { a, 14, 0 }, { a + 14, 50, 0 } };
	uint32_t num;
	int r;

	(void)state;
	dev_up_packed();
	pdrv_post(&dv.r[1], s, 2, 0); /* 0-1 */
	pdrv_post1(&dv.r[1], a, 60, 0, 1); /* 2 */
	assert_int_equal(dev_tx_burst(vq), -EAGAIN);
	pdrv_expect_used(&dv.r[1], 1, 0);
	pdrv_expect_used(&dv.r[1], 0, 0);

	num = dev_get_base(1);
	assert_int_equal(num, (3 | 0x8000) | (3 | 0x8000u) << 16);
	dev_ok(dev_state(VU_REQ_SET_VRING_BASE, 1, num));
	dev_ok(dev_vring_fd(VU_REQ_SET_VRING_KICK, 1));
	assert_true(vq->ready);
	if (vq->last_avail != 3 || !vq->avail_wrap)
		fail_msg("restarted at position %u of lap %d, SET_VRING_BASE said 3 of lap 1 "
			 "(ring_resumes %llu)",
			 vq->last_avail, vq->avail_wrap,
			 (unsigned long long)dv.d.st.ring_resumes);
	assert_int_equal(vq->used_idx, 3);
	/* and the next buffer is the driver's next one, nothing stale */
	pdrv_post1(&dv.r[1], a, 33, 0, 2);
	vq_lock(vq);
	r = vq_pop(vq, &fx.c, false);
	vq_unlock(vq);
	assert_int_equal(r, 0);
	assert_int_equal(fx.c.head, 2);
	assert_int_equal(fx.c.len, 33);
}

/*
 * A second SET_VRING_KICK on a running packed ring (a new kick fd) keeps
 * the ring's buffer id table. Regression: the table was replaced by a
 * fresh one, the ids in flight forgotten, and the guest could make one of
 * them available again and have it taken twice.
 */
static void dev_packed_kick_again_keeps_ids(void **state)
{
	struct vq *vq = &dv.d.vr[1].vq;
	uint64_t a = data_buf(64, 62);

	(void)state;
	dev_up_packed();
	pdrv_post1(&dv.r[1], a, 60, 0, 4);
	vq_lock(vq);
	assert_int_equal(vq_pop(vq, &fx.c, false), 0); /* id 4 in flight */
	vq_unlock(vq);
	assert_int_equal(fx.c.head, 4);
	dev_ok(dev_vring_fd(VU_REQ_SET_VRING_KICK, 1));
	assert_true(vq->ready);
	assert_int_equal(vq->pk_ndesc[4], 1);
	/* id 4 again, while it is in flight: the guest's violation */
	pdrv_raw(&dv.r[1], 0, a, 60, 4, 0);
	vq_lock(vq);
	assert_int_equal(vq_pop(vq, &fx.c, false), -EFAULT);
	vq_unlock(vq);
	assert_non_null(strstr(vq->err, "already in flight"));
}

/*
 * SET_FEATURES on running rings (QEMU sends it again to toggle dirty
 * logging) must not change their layout: a split ring read as a packed one
 * has no buffer id table (vqp_pop would index a NULL pk_ndesc), a packed
 * ring read as a split one has event areas of 4 bytes where the avail ring
 * is 4 + 2 * size + 2 and the used ring 4 + 8 * size + 2 (read and written
 * past what vq_map_rings checked). Refused, or the ring stops.
 */
static void expect_layout_kept(int r, bool packed)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct vq *vq = &dv.d.vr[i].vq;

		if (r == 0 && vq->ready && vq->packed != packed)
			fail_msg("SET_FEATURES accepted on running vring %d: it is now read as a "
				 "%s ring (buffer id table %p)",
				 i, vq->packed ? "packed" : "split", (void *)vq->pk_ndesc);
	}
}

static void dev_features_split_to_packed_on_running_ring(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 2; i++)
		drv_ring_init(&dv.sr[i], &fx.g, DEV_RING);
	dev_negotiate(DEV_FEATURES);
	for (i = 0; i < 2; i++)
		dev_start((uint32_t)i, 0, dv.sr[i].desc_gpa, dv.sr[i].avail_gpa,
			  dv.sr[i].used_gpa);
	assert_true(dv.d.vr[1].vq.ready);
	assert_false(dv.d.vr[1].vq.packed);
	/* the same features again: fine */
	dev_ok(dev_u64(VU_REQ_SET_FEATURES, DEV_FEATURES));
	expect_layout_kept(dev_u64(VU_REQ_SET_FEATURES, DEV_FEATURES | BIT(VIRTIO_F_RING_PACKED)),
			   false);
}

static void dev_features_packed_to_split_on_running_ring(void **state)
{
	(void)state;
	dev_up_packed();
	assert_true(dv.d.vr[1].vq.ready);
	dev_ok(dev_u64(VU_REQ_SET_FEATURES, DEV_FEATURES | BIT(VIRTIO_F_RING_PACKED)));
	expect_layout_kept(dev_u64(VU_REQ_SET_FEATURES, DEV_FEATURES), true);
}

#define T1(f) cmocka_unit_test_setup_teardown(f, setup_one, teardown)
#define T2(f) cmocka_unit_test_setup_teardown(f, setup_two, teardown)
#define TG(f) cmocka_unit_test_setup_teardown(f, setup_gap, teardown)
#define TD(f) cmocka_unit_test_setup_teardown(f, setup_dev, teardown_dev)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T1(tx_single_descriptor),
		T1(tx_chain_of_three),
		T1(tx_chain_wraps_around_the_ring),
		T1(tx_indirect_table),
		T2(tx_buffer_across_regions),
		T1(tx_zero_length_descriptors),
		T1(tx_chain_as_long_as_ring),
		T1(tx_too_many_segments),
		T1(tx_many_laps_out_of_order),
		T1(tx_out_of_order_completion),
		T1(rx_frame_fits_one_buffer),
		T1(rx_mergeable_spans_three_buffers),
		T1(rx_chain_skips_its_positions),
		T1(rx_header_fields),
		T1(rx_rollback_restores_position_wrap_and_ids),
		T1(rx_too_big_without_mergeable),
		T1(rx_no_buffers),
		T1(rx_buffer_smaller_than_header),
		T1(rx_no_room_not_walked_again),
		T1(rx_no_room_full_ring),
		T1(rx_posting_more_clears_no_room),
		T1(rx_no_room_shorter_frame_fits),
		T1(rx_descriptor_budget_per_frame),
		T1(flush_publishes_batch),
		T1(flush_event_flags),
		T1(flush_event_desc),
		T1(flush_event_desc_inside_chain),
		T1(flush_without_call_fd),
		T1(kick_enable_event_idx),
		T1(kick_enable_flags),
		T1(avail_count_counts_descriptors),
		T1(avail_count_bounded),
		T1(avail_count_full_ring),
		T1(nothing_available),
		T1(fault_id_out_of_range),
		T1(fault_id_in_flight_twice),
		T1(fault_chain_longer_than_ring),
		T1(fault_chain_over_budget),
		T1(fault_indirect_over_budget),
		T1(fault_rx_chain_over_budget),
		T1(fault_indirect_with_next),
		T1(fault_nested_indirect),
		T1(fault_indirect_bad_length),
		T1(fault_indirect_longer_than_ring),
		T1(fault_indirect_outside_memory),
		T1(fault_indirect_misaligned),
		T1(fault_indirect_entry_wrong_direction),
		T1(fault_desc_outside_memory),
		T1(fault_desc_crosses_end_of_memory),
		T1(fault_desc_wraps_around),
		TG(fault_desc_into_gap),
		T1(fault_write_on_tx),
		T1(fault_read_only_on_rx),
		T1(fault_rx_too_many_segments),
		T1(map_rings_checks),
		TD(dev_packed_base),
		TD(dev_packed_restart_after_chains),
		TD(dev_features_split_to_packed_on_running_ring),
		TD(dev_packed_kick_again_keeps_ids),
		TD(dev_features_packed_to_split_on_running_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
