// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the device side of a split virtqueue (src/vhost/vq.c),
 * driven the way a guest driver drives it: guest RAM is a memfd, the test
 * writes descriptors and ring entries into it, the vq reads them through
 * its own vu_mem mapping. Covers transmit (vq_pop), every guest violation
 * vq.c must catch, receive (vq_enqueue), interrupts (vq_flush) and
 * notifications (vq_kick_enable), and ring mapping.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <sys/eventfd.h>

#include "vq_harness.h"

#define RING_SIZE 256
#define MIB (1ull << 20)
#define RX_BUF 1548 /* Linux's mergeable buffer: 1536 + header */

static struct {
	struct guest g;
	struct drv_ring r;
	struct vq vq;
	struct vq_chain c;
} fx;

static void fx_start(void)
{
	guest_map(&fx.g);
	drv_ring_init(&fx.r, &fx.g, RING_SIZE);
	memset(&fx.vq, 0, sizeof(fx.vq));
	drv_ring_attach(&fx.r, &fx.vq);
}

/* One 4 MiB region. */
static int setup_one(void **state)
{
	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, GUEST_RAM_SIZE, 0);
	fx_start();
	return 0;
}

/* Two 2 MiB regions, contiguous in GPA, from the two halves of the file. */
static int setup_two(void **state)
{
	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, 2 * MIB, 0);
	guest_add_region(&fx.g, GUEST_GPA + 2 * MIB, 2 * MIB, 2 * MIB);
	fx_start();
	return 0;
}

/* Two regions with a 1 MiB hole in GPA between them. */
static int setup_gap(void **state)
{
	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, 2 * MIB, 0);
	guest_add_region(&fx.g, GUEST_GPA + 3 * MIB, 2 * MIB, 2 * MIB);
	fx_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (fx.vq.call_fd >= 0)
		close(fx.vq.call_fd);
	guest_fini(&fx.g);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/* A buffer in guest RAM filled with a pattern; returns its GPA. */
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

/* Post a one-descriptor receive chain at descriptor `head`. */
static uint64_t post_rx(uint16_t head, uint32_t len)
{
	uint64_t gpa = rx_buf(len);

	drv_desc(&fx.r, head, gpa, len, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, head);
	return gpa;
}

static void expect_fault(int r, const char *what)
{
	assert_int_equal(r, -EFAULT);
	assert_non_null(fx.vq.err);
	if (!strstr(fx.vq.err, what))
		fail_msg("vq->err is \"%s\", expected it to mention \"%s\"", fx.vq.err, what);
}

static void pop_tx_ok(void)
{
	int r = vq_pop(&fx.vq, &fx.c, false);

	if (r)
		fail_msg("vq_pop: %d (%s)", r, fx.vq.err ? fx.vq.err : "no reason");
}

/* The popped chain holds exactly `len` bytes equal to `want`. */
static void expect_chain_bytes(const void *want, uint32_t len)
{
	static uint8_t got[4096];

	assert_true(len < sizeof(got));
	assert_int_equal(fx.c.len, len);
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 0, got, len + 1), len);
	assert_memory_equal(got, want, len);
}

/* Drain the call eventfd: true if the guest was interrupted. */
static bool interrupted(void)
{
	eventfd_t v = 0;

	return eventfd_read(fx.vq.call_fd, &v) == 0 && v > 0;
}

/* ---- transmit: well-formed chains --------------------------------------- */

static void tx_single_descriptor(void **state)
{
	uint64_t a = data_buf(60, 1);

	(void)state;
	drv_desc(&fx.r, 0, a, 60, 0, 0);
	drv_post(&fx.r, 0);
	assert_int_equal(vq_avail_count(&fx.vq), 1);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 0);
	assert_int_equal(fx.c.nseg, 1);
	assert_int_equal(fx.c.seg[0].len, 60);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 60);
	assert_int_equal(fx.vq.last_avail, 1);
	assert_int_equal(vq_avail_count(&fx.vq), 0);
	assert_null(fx.vq.err);
}

static void tx_header_and_data(void **state)
{
	uint64_t h = data_buf(12, 2), d = data_buf(1000, 3);
	uint8_t got[1000];

	(void)state;
	drv_desc(&fx.r, 3, h, 12, VRING_DESC_F_NEXT, 4);
	drv_desc(&fx.r, 4, d, 1000, 0, 0);
	drv_post(&fx.r, 3);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 3);
	assert_int_equal(fx.c.nseg, 2);
	assert_int_equal(fx.c.seg[0].len, 12);
	assert_int_equal(fx.c.seg[1].len, 1000);
	assert_int_equal(fx.c.len, 1012);
	/* the frame after the virtio-net header, as the switch reads it */
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 12, got, sizeof(got)), 1000);
	assert_memory_equal(got, gpa_ptr(&fx.g, d), 1000);
}

static void tx_chain_of_three(void **state)
{
	uint64_t a = data_buf(100, 4), b = data_buf(200, 5), c = data_buf(300, 6);
	uint8_t want[600], got[600];

	(void)state;
	memcpy(want, gpa_ptr(&fx.g, a), 100);
	memcpy(want + 100, gpa_ptr(&fx.g, b), 200);
	memcpy(want + 300, gpa_ptr(&fx.g, c), 300);
	/* descriptors out of order, as after a while of use */
	drv_desc(&fx.r, 5, a, 100, VRING_DESC_F_NEXT, 2);
	drv_desc(&fx.r, 2, b, 200, VRING_DESC_F_NEXT, 7);
	drv_desc(&fx.r, 7, c, 300, 0, 0);
	drv_post(&fx.r, 5);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 5);
	assert_int_equal(fx.c.nseg, 3);
	expect_chain_bytes(want, 600);
	/* gathers that start and end inside segments */
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 150, got, 300), 300);
	assert_memory_equal(got, want + 150, 300);
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 99, got, 2), 2);
	assert_memory_equal(got, want + 99, 2);
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 550, got, 600), 50);
	assert_memory_equal(got, want + 550, 50);
	assert_int_equal(vq_iov_read(fx.c.seg, fx.c.nseg, 600, got, 10), 0);
}

static void tx_indirect_table(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 3 * 16, 16);
	uint64_t a = data_buf(14, 7), b = data_buf(30, 8), c = data_buf(50, 9);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);
	uint8_t want[94];

	(void)state;
	memcpy(want, gpa_ptr(&fx.g, a), 14);
	memcpy(want + 14, gpa_ptr(&fx.g, c), 50);
	memcpy(want + 64, gpa_ptr(&fx.g, b), 30);
	tab[0] = (struct vring_desc){ a, 14, VRING_DESC_F_NEXT, 2 };
	tab[2] = (struct vring_desc){ c, 50, VRING_DESC_F_NEXT, 1 };
	tab[1] = (struct vring_desc){ b, 30, 0, 0 };
	drv_desc(&fx.r, 9, t, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 9);
	pop_tx_ok();
	assert_int_equal(fx.c.head, 9);
	assert_int_equal(fx.c.nseg, 3);
	expect_chain_bytes(want, 94);
}

/* setup_two: a buffer over the boundary of two GPA-contiguous regions. */
static void tx_buffer_across_regions(void **state)
{
	uint64_t a = GUEST_GPA + 2 * MIB - 100;

	(void)state;
	/* the two halves are also contiguous in the file */
	fill_pattern(gpa_ptr(&fx.g, a), 300, 10);
	drv_desc(&fx.r, 0, a, 300, 0, 0);
	drv_post(&fx.r, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 2);
	assert_int_equal(fx.c.seg[0].len, 100);
	assert_int_equal(fx.c.seg[1].len, 200);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 300);
}

/* setup_gap: the second region is found at its own file offset. */
static void tx_buffer_after_gap(void **state)
{
	uint64_t a = GUEST_GPA + 3 * MIB + 4096 + 10;

	(void)state;
	fill_pattern(gpa_ptr(&fx.g, a), 100, 11);
	drv_desc(&fx.r, 0, a, 100, 0, 0);
	drv_post(&fx.r, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 1);
	expect_chain_bytes(fx.g.ram + 2 * MIB + 4096 + 10, 100);
}

static void tx_zero_length_descriptors(void **state)
{
	uint64_t a = data_buf(60, 12);

	(void)state;
	drv_desc(&fx.r, 0, a, 0, VRING_DESC_F_NEXT, 1);
	drv_desc(&fx.r, 1, a, 60, VRING_DESC_F_NEXT, 2);
	drv_desc(&fx.r, 2, 0, 0, 0, 0); /* no address needed for no bytes */
	drv_post(&fx.r, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 1);
	expect_chain_bytes(gpa_ptr(&fx.g, a), 60);

	drv_desc(&fx.r, 3, 0, 0, 0, 0);
	drv_post(&fx.r, 3);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 0);
	assert_int_equal(fx.c.len, 0);
}

/* A chain as long as the ring (every descriptor used once) is legal. */
static void tx_chain_as_long_as_ring(void **state)
{
	uint64_t a = data_buf(8, 13);
	uint16_t i;

	(void)state;
	for (i = 0; i < RING_SIZE - 1; i++)
		drv_desc(&fx.r, i, a, 0, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	drv_desc(&fx.r, RING_SIZE - 1, a, 8, 0, 0);
	drv_post(&fx.r, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.nseg, 1);
	assert_int_equal(fx.c.len, 8);
}

/* Indices are free-running u16s: consume across the 65535 → 0 wrap. */
static void tx_indices_wrap(void **state)
{
	uint16_t start = 0xfff0, i, b;
	uint64_t a = data_buf(64, 14);

	(void)state;
	fx.r.avail_idx = start;
	fx.r.avail->idx = start;
	fx.r.used->idx = start;
	fx.vq.last_avail = fx.vq.used_idx = start; /* as SET_VRING_BASE does */
	for (b = 0; b < 5; b++) {
		for (i = 0; i < 8; i++) {
			uint16_t head = (uint16_t)((b * 8 + i) % RING_SIZE);

			drv_desc(&fx.r, head, a, (uint32_t)(b * 8 + i + 1), 0, 0);
			drv_post(&fx.r, head);
		}
		assert_int_equal(vq_avail_count(&fx.vq), 8);
		for (i = 0; i < 8; i++) {
			pop_tx_ok();
			assert_int_equal(fx.c.head, b * 8 + i);
			assert_int_equal(fx.c.len, b * 8 + i + 1);
			vq_push(&fx.vq, fx.c.head, 0);
		}
		vq_flush(&fx.vq);
	}
	assert_int_equal(drv_used_idx(&fx.r), (uint16_t)(start + 40));
	assert_int_equal(fx.vq.last_avail, (uint16_t)(start + 40));
	for (i = 0; i < 40; i++)
		assert_int_equal(fx.r.used->ring[(uint16_t)(start + i) & (RING_SIZE - 1)].id, i);
}

/* More than VQ_MAX_SEGS segments on transmit: consumed, not a violation. */
static void tx_too_many_segments(void **state)
{
	uint64_t a = data_buf(10, 15), b = data_buf(20, 16);
	uint16_t i;

	(void)state;
	for (i = 0; i <= VQ_MAX_SEGS; i++)
		drv_desc(&fx.r, i, a, 10, i < VQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	drv_post(&fx.r, 0);
	drv_desc(&fx.r, 100, b, 20, 0, 0);
	drv_post(&fx.r, 100);
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), -EMSGSIZE);
	assert_int_equal(fx.c.head, 0);
	assert_int_equal(fx.vq.last_avail, 1);
	assert_null(fx.vq.err);
	pop_tx_ok(); /* the next chain is unaffected */
	assert_int_equal(fx.c.head, 100);
	expect_chain_bytes(gpa_ptr(&fx.g, b), 20);
}

/* ---- guest violations ---------------------------------------------------- */

static void fault_avail_idx_too_far_ahead(void **state)
{
	(void)state;
	fx.r.avail->idx = RING_SIZE; /* a full ring: fine */
	assert_int_equal(vq_avail_count(&fx.vq), RING_SIZE);
	assert_null(fx.vq.err);
	fx.r.avail->idx = RING_SIZE + 1;
	expect_fault(vq_avail_count(&fx.vq), "more than a ring ahead");
	fx.vq.err = NULL;
	fx.vq.last_avail = 10;
	fx.r.avail->idx = 9; /* behind us: 65535 ahead */
	expect_fault(vq_avail_count(&fx.vq), "more than a ring ahead");
}

static void fault_avail_entry_out_of_range(void **state)
{
	(void)state;
	drv_post(&fx.r, RING_SIZE);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "avail ring entry out of range");
	fx.vq.err = NULL;
	drv_post(&fx.r, 0xffff);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "avail ring entry out of range");
}

static void fault_next_out_of_range(void **state)
{
	uint64_t a = data_buf(10, 20);

	(void)state;
	drv_desc(&fx.r, 0, a, 10, VRING_DESC_F_NEXT, RING_SIZE);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "next index out of range");
}

static void fault_chain_loops_on_itself(void **state)
{
	uint64_t a = data_buf(10, 21);

	(void)state;
	drv_desc(&fx.r, 7, a, 10, VRING_DESC_F_NEXT, 7);
	drv_post(&fx.r, 7);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "loops");
}

static void fault_chain_cycle(void **state)
{
	uint64_t a = data_buf(10, 22);

	(void)state;
	drv_desc(&fx.r, 0, a, 10, VRING_DESC_F_NEXT, 1);
	drv_desc(&fx.r, 1, a, 10, VRING_DESC_F_NEXT, 2);
	drv_desc(&fx.r, 2, a, 10, VRING_DESC_F_NEXT, 1);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "loops");
}

/* One more than the ring: the last descriptor leads back to the first. */
static void fault_chain_longer_than_ring(void **state)
{
	uint64_t a = data_buf(8, 23);
	uint16_t i;

	(void)state;
	for (i = 0; i < RING_SIZE; i++)
		drv_desc(&fx.r, i, a, 0, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % RING_SIZE));
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "longer than");
}

static void fault_indirect_cycle(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 4 * 16, 16), a = data_buf(8, 24);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);
	uint16_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		tab[i] = (struct vring_desc){ a, 8, VRING_DESC_F_NEXT, (uint16_t)((i + 1) % 4) };
	drv_desc(&fx.r, 0, t, 4 * 16, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "loops");
}

/*
 * BUG (src/vhost/vq.c:111): an indirect table may hold len/16
 * descriptors, up to 2^28, so one chain can be far longer than the ring
 * (virtio §2.7.5.3.1 forbids it; DPDK rejects nr_descs > size). A guest
 * with a 4 GiB table makes one vq_pop() walk 268M descriptors under the vq
 * lock, stalling every port on that worker.
 */
static void fault_indirect_longer_than_ring(void **state)
{
	uint32_t n = RING_SIZE + 1, i;
	uint64_t t = guest_alloc(&fx.g, 16ull * n, 16), a = data_buf(8, 25);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);

	(void)state;
	for (i = 0; i < n; i++)
		tab[i] = (struct vring_desc){ a, i == 0 ? 8 : 0, i + 1 < n ? VRING_DESC_F_NEXT : 0,
					      (uint16_t)(i + 1) };
	drv_desc(&fx.r, 0, t, 16 * n, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "longer");
}

static void fault_desc_outside_memory(void **state)
{
	(void)state;
	drv_desc(&fx.r, 0, GUEST_GPA + GUEST_RAM_SIZE, 10, 0, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
	fx.vq.err = NULL;
	drv_desc(&fx.r, 1, GUEST_GPA - 1, 1, 0, 0);
	drv_post(&fx.r, 1);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

static void fault_desc_crosses_end_of_memory(void **state)
{
	uint64_t end = GUEST_GPA + GUEST_RAM_SIZE;

	(void)state;
	drv_desc(&fx.r, 0, end - 10, 10, 0, 0); /* the last ten bytes: fine */
	drv_post(&fx.r, 0);
	pop_tx_ok();
	assert_int_equal(fx.c.len, 10);
	drv_desc(&fx.r, 1, end - 10, 11, 0, 0);
	drv_post(&fx.r, 1);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

static void fault_desc_wraps_around(void **state)
{
	(void)state;
	drv_desc(&fx.r, 0, UINT64_MAX - 5, 100, 0, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "wraps around");
}

/* setup_gap: a buffer running off region 1 into the hole. */
static void fault_desc_into_gap(void **state)
{
	(void)state;
	drv_desc(&fx.r, 0, GUEST_GPA + 2 * MIB - 50, 100, 0, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

static void fault_indirect_outside_memory(void **state)
{
	(void)state;
	drv_desc(&fx.r, 0, GUEST_GPA + GUEST_RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table outside");
}

static void fault_indirect_bad_length(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 64, 16);

	(void)state;
	drv_desc(&fx.r, 0, t, 0, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "multiple of 16");
	fx.vq.err = NULL;
	drv_desc(&fx.r, 1, t, 24, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 1);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "multiple of 16");
}

static void fault_nested_indirect(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 32, 16), inner = guest_alloc(&fx.g, 16, 16);
	uint64_t a = data_buf(8, 26);
	struct vring_desc *tab = gpa_ptr(&fx.g, t), *in = gpa_ptr(&fx.g, inner);

	(void)state;
	tab[0] = (struct vring_desc){ a, 8, VRING_DESC_F_NEXT, 1 };
	tab[1] = (struct vring_desc){ inner, 16, VRING_DESC_F_INDIRECT, 0 };
	in[0] = (struct vring_desc){ a, 8, 0, 0 }; /* a sane table: only nesting is wrong */
	drv_desc(&fx.r, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "nested indirect");
}

/*
 * Regression (issue 10): an indirect descriptor whose table is the ring's
 * own descriptor table. Nesting was detected by comparing the table with
 * vq->desc, so the walk re-entered the ring's table at every hop, reset its
 * count and looped forever under the vq lock.
 */
static void fault_indirect_is_ring_table(void **state)
{
	(void)state;
	drv_desc(&fx.r, 0, fx.r.desc_gpa, 16 * RING_SIZE, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "nested indirect");
}

/* The same through a second table that points back at the first. */
static void fault_indirect_back_to_table(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 32, 16), a = data_buf(8, 30);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);

	(void)state;
	tab[0] = (struct vring_desc){ a, 8, VRING_DESC_F_NEXT, 1 };
	tab[1] = (struct vring_desc){ t, 32, VRING_DESC_F_INDIRECT, 0 };
	drv_desc(&fx.r, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "nested indirect");
}

/*
 * Regression (issue 10): zero-length descriptors were never charged, and an
 * indirect table restarted the count: a chain could cost the ring's size
 * plus a table as long. Every read is charged now: the indirect hop plus
 * 256 zero-length entries is one over the budget.
 */
static void fault_zero_length_descriptors_over_budget(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 16 * RING_SIZE, 16), a = data_buf(8, 31);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);
	uint16_t i;

	(void)state;
	_Static_assert(RING_SIZE == VQ_MAX_DESC, "the table is as long as the budget");
	for (i = 0; i < RING_SIZE - 1; i++)
		tab[i] = (struct vring_desc){ a, 0, VRING_DESC_F_NEXT, (uint16_t)(i + 1) };
	tab[RING_SIZE - 1] = (struct vring_desc){ a, 8, 0, 0 };
	drv_desc(&fx.r, 0, t, 16 * RING_SIZE, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "more than 256 descriptors");
}

/* One less is fine: 255 table entries behind the indirect hop. */
static void zero_length_descriptors_within_budget(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 16 * (RING_SIZE - 1), 16), a = data_buf(8, 32);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);
	uint16_t i;

	(void)state;
	for (i = 0; i < RING_SIZE - 2; i++)
		tab[i] = (struct vring_desc){ a, 0, VRING_DESC_F_NEXT, (uint16_t)(i + 1) };
	tab[RING_SIZE - 2] = (struct vring_desc){ a, 8, 0, 0 };
	drv_desc(&fx.r, 0, t, 16 * (RING_SIZE - 1), VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), 0);
	assert_int_equal(fx.c.len, 8);
}

/* Regression (fuzz_vq): a table at an odd address was read with
 * misaligned 64-bit loads (undefined behaviour). */
static void fault_indirect_misaligned(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 48, 16) + 4, a = data_buf(8, 33);
	struct vring_desc d = { a, 8, 0, 0 };

	(void)state;
	memcpy(gpa_ptr(&fx.g, t), &d, sizeof(d));
	drv_desc(&fx.r, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect table misaligned");
}

/*
 * Regression (fuzz_vq): a guest that makes more buffers available than
 * the ring holds, before any came back, made their used entries overwrite
 * each other. Now the pop past `size` outstanding buffers is a violation.
 */
static void fault_more_in_flight_than_the_ring(void **state)
{
	uint64_t a = data_buf(8, 34);
	uint16_t i;

	(void)state;
	drv_desc(&fx.r, 0, a, 8, 0, 0);
	for (i = 0; i < RING_SIZE; i++)
		drv_post(&fx.r, 0); /* the same buffer, a ring's worth of times */
	assert_int_equal(vq_avail_count(&fx.vq), RING_SIZE);
	for (i = 0; i < RING_SIZE; i++) {
		assert_int_equal(vq_pop(&fx.vq, &fx.c, false), 0);
		vq_push(&fx.vq, fx.c.head, 0);
	}
	drv_post(&fx.r, 0); /* one more, none returned yet */
	assert_int_equal(vq_avail_count(&fx.vq), 1);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "more buffers in flight");
	/* once they are returned, the ring takes buffers again */
	fx.vq.err = NULL;
	vq_flush(&fx.vq); /* (the refused pop consumed nothing) */
	assert_int_equal(vq_pop(&fx.vq, &fx.c, false), 0);
}

/*
 * Regression (fuzz_vhost): ring addresses aligned in the front-end's space
 * but not in the switch's mapping (a region whose file offset is odd)
 * gave misaligned atomics on the used ring.
 */
static void map_rings_misaligned_in_our_mapping(void **state)
{
	struct vu_mem_table t = { .nregions = 1 };
	const char *why = NULL;
	struct vu_mem *m;
	struct vq vq = { .size = 16 };

	(void)state;
	t.regions[0] = (struct vu_mem_region){ .guest_phys_addr = 0, .memory_size = 64 * 1024,
					       .userspace_addr = 0x10000000, .mmap_offset = 1 };
	m = vu_mem_map(&t, &fx.g.fd, 1, &why);
	assert_non_null(m);
	assert_int_equal(vq_map_rings(&vq, m, 0x10000000, 0x10001000, 0x10002000, &why),
			 -EINVAL);
	assert_non_null(strstr(why, "misaligned in the switch's mapping"));
	assert_null(vq.desc);
	vu_mem_unmap(m);
}

static void fault_indirect_with_next(void **state)
{
	uint64_t t = guest_alloc(&fx.g, 16, 16), a = data_buf(8, 27);
	struct vring_desc *tab = gpa_ptr(&fx.g, t);

	(void)state;
	tab[0] = (struct vring_desc){ a, 8, 0, 0 };
	drv_desc(&fx.r, 0, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	drv_desc(&fx.r, 1, a, 8, 0, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "indirect descriptor with NEXT");
}

static void fault_write_only_on_tx(void **state)
{
	uint64_t a = data_buf(20, 28);

	(void)state;
	drv_desc(&fx.r, 0, a, 10, VRING_DESC_F_NEXT, 1);
	drv_desc(&fx.r, 1, a + 10, 10, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "transmit buffer is device-writable");
}

static void fault_read_only_on_rx(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t a = rx_buf(RX_BUF);

	(void)state;
	drv_desc(&fx.r, 0, a, RX_BUF, 0, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, true), "receive buffer is not device-writable");
	fx.vq.err = NULL;
	fx.vq.last_avail = 0;
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "not device-writable");
}

static void fault_rx_too_many_segments(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t a = rx_buf(20 * (VQ_MAX_SEGS + 1));
	uint16_t i;

	(void)state;
	for (i = 0; i <= VQ_MAX_SEGS; i++)
		drv_desc(&fx.r, i, a + 20u * i, 20,
			 VRING_DESC_F_WRITE | (i < VQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	drv_post(&fx.r, 0);
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "more than 64 segments");
}

/* Past the 64th segment the chain must still be checked. */
static void fault_after_max_segments(void **state)
{
	uint64_t a = data_buf(10, 29);
	uint16_t i;

	(void)state;
	for (i = 0; i <= VQ_MAX_SEGS; i++)
		drv_desc(&fx.r, i, a, 10, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	drv_desc(&fx.r, VQ_MAX_SEGS + 1, GUEST_GPA + GUEST_RAM_SIZE, 10, 0, 0);
	drv_post(&fx.r, 0);
	expect_fault(vq_pop(&fx.vq, &fx.c, false), "outside guest memory");
}

/* ---- receive ------------------------------------------------------------- */

static void expect_used(uint16_t slot, uint16_t head, uint32_t len)
{
	const struct vring_used_elem *e = &fx.r.used->ring[slot & (RING_SIZE - 1)];

	assert_int_equal(e->id, head);
	assert_int_equal(e->len, len);
}

static void expect_rx_hdr(uint64_t gpa, uint16_t num_buffers)
{
	struct virtio_net_hdr_mrg_rxbuf want = { .num_buffers = num_buffers };

	assert_memory_equal(gpa_ptr(&fx.g, gpa), &want, sizeof(want));
}

static void rx_frame_fits_one_buffer(void **state)
{
	uint8_t frame[100];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b = post_rx(0, RX_BUF);
	uint8_t *p = gpa_ptr(&fx.g, b);

	(void)state;
	fill_pattern(frame, sizeof(frame), 30);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	assert_int_equal(drv_used_idx(&fx.r), 0); /* not before the flush */
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 1);
	expect_used(0, 0, 12 + 100);
	expect_rx_hdr(b, 1);
	assert_memory_equal(p + 12, frame, 100);
	assert_int_equal(p[112], 0xee); /* nothing written past the frame */
	assert_int_equal(fx.vq.st.packets, 1);
	assert_int_equal(fx.vq.st.bytes, 100);
	assert_int_equal(fx.vq.st.drop_no_buf, 0);
}

/* vq_enqueue_head: the frame is read from the source, its first bytes
 * from the checked copy (the source is guest memory that may have been
 * rewritten since the check): in one buffer, and when the head straddles
 * descriptors. */
static void rx_head_from_checked_copy(void **state)
{
	uint8_t frame[100], head[40];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b = post_rx(0, RX_BUF);
	uint8_t *p = gpa_ptr(&fx.g, b);

	(void)state;
	fill_pattern(frame, sizeof(frame), 40);
	fill_pattern(head, sizeof(head), 41);
	assert_int_equal(vq_enqueue_head(&fx.vq, &src, 1, 0, sizeof(frame), head, 14), 0);
	vq_flush(&fx.vq);
	assert_memory_equal(p + 12, head, 14);
	assert_memory_equal(p + 12 + 14, frame + 14, 100 - 14);
	assert_int_equal(p[112], 0xee);

	/* 40 bytes of head over a 5 + 20 + 200 chain */
	{
		uint64_t x = rx_buf(5), y = rx_buf(20), z = rx_buf(200);
		uint8_t *px = gpa_ptr(&fx.g, x), *py = gpa_ptr(&fx.g, y), *pz = gpa_ptr(&fx.g, z);

		drv_desc(&fx.r, 1, x, 5, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
		drv_desc(&fx.r, 2, y, 20, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
		drv_desc(&fx.r, 3, z, 200, VRING_DESC_F_WRITE, 0);
		drv_post(&fx.r, 1);
		assert_int_equal(vq_enqueue_head(&fx.vq, &src, 1, 0, sizeof(frame), head, 40), 0);
		vq_flush(&fx.vq);
		(void)px;
		assert_memory_equal(py + 7, head, 13); /* 12-byte header: 5 + 7 */
		assert_memory_equal(pz, head + 13, 27);
		assert_memory_equal(pz + 27, frame + 40, 60);
		assert_int_equal(pz[87], 0xee);
	}
}

/* vq_enqueue_head as the forwarder calls it for a guest's frame: the
 * source is a TX chain whose first 12 bytes are the sender's virtio-net
 * header (skip 12), split over segments that do not line up with the
 * head; the receiver's mergeable buffers are smaller than the head. The
 * frame arrives as the checked head, then the source's bytes after it. */
static void rx_head_with_skip_over_mergeable(void **state)
{
	static const uint32_t seglen[3] = { 32, 30, 250 };
	uint8_t stream[312], copies[3][250], head[64], got[300];
	struct vq_iov src[3];
	uint64_t b[9];
	uint32_t off = 0, k;
	uint16_t i;

	(void)state;
	fx.vq.mrg_rxbuf = true;
	fill_pattern(stream, sizeof(stream), 44);
	fill_pattern(head, sizeof(head), 45);
	for (i = 0; i < 3; i++) {
		memcpy(copies[i], stream + off, seglen[i]);
		src[i] = (struct vq_iov){ copies[i], seglen[i] };
		off += seglen[i];
	}
	for (i = 0; i < 9; i++)
		b[i] = post_rx(i, 40);
	assert_int_equal(vq_enqueue_head(&fx.vq, src, 3, 12, 300, head, sizeof(head)), 0);
	vq_flush(&fx.vq);
	/* 28 bytes after the header, then 7 buffers of 40, the last with 32 */
	assert_int_equal(drv_used_idx(&fx.r), 8);
	expect_used(0, 0, 40);
	for (i = 1; i < 7; i++)
		expect_used(i, i, 40);
	expect_used(7, 7, 32);
	expect_rx_hdr(b[0], 8);
	memcpy(got, (uint8_t *)gpa_ptr(&fx.g, b[0]) + 12, 28);
	for (i = 1, k = 28; i < 8; k += i < 7 ? 40 : 32, i++)
		memcpy(got + k, gpa_ptr(&fx.g, b[i]), i < 7 ? 40 : 32);
	assert_memory_equal(got, head, sizeof(head));
	assert_memory_equal(got + 64, stream + 12 + 64, 300 - 64);
	assert_int_equal(((uint8_t *)gpa_ptr(&fx.g, b[7]))[32], 0xee);
	assert_int_equal(vq_avail_count(&fx.vq), 1);
	assert_int_equal(fx.vq.st.bytes, 300);
}

/* Without VERSION_1 or MRG_RXBUF the header is the 10-byte one. */
static void rx_legacy_header(void **state)
{
	uint8_t frame[60], zero[10] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b = post_rx(0, RX_BUF);
	uint8_t *p = gpa_ptr(&fx.g, b);

	(void)state;
	fx.vq.hdr_len = 10;
	fill_pattern(frame, sizeof(frame), 31);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	expect_used(0, 0, 10 + 60);
	assert_memory_equal(p, zero, 10);
	assert_memory_equal(p + 10, frame, 60);
}

/* A chain whose first descriptor is shorter than the header: the header
 * continues in the next one, and the frame right after it. */
static void rx_header_split_over_descriptors(void **state)
{
	uint8_t frame[60];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t a = rx_buf(5), b = rx_buf(200);
	uint8_t *pa = gpa_ptr(&fx.g, a), *pb = gpa_ptr(&fx.g, b);
	struct virtio_net_hdr_mrg_rxbuf want = { .num_buffers = 1 };

	(void)state;
	fill_pattern(frame, sizeof(frame), 33);
	drv_desc(&fx.r, 0, a, 5, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	drv_desc(&fx.r, 1, b, 200, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, 0);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	expect_used(0, 0, 12 + 60);
	assert_memory_equal(pa, &want, 5);
	assert_int_equal(pa[5], 0xee); /* nothing past the 5-byte buffer */
	assert_memory_equal(pb, (uint8_t *)&want + 5, 7);
	assert_memory_equal(pb + 7, frame, 60);
	assert_int_equal(pb[67], 0xee);
}

static void rx_mergeable_spans_three_buffers(void **state)
{
	static uint8_t frame[4000];
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t b[4];
	uint16_t i;

	(void)state;
	fx.vq.mrg_rxbuf = true;
	for (i = 0; i < 4; i++)
		b[i] = post_rx(i, RX_BUF);
	fill_pattern(frame, sizeof(frame), 32);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 3);
	expect_used(0, 0, RX_BUF);
	expect_used(1, 1, RX_BUF);
	expect_used(2, 2, 4000 - 1536 - RX_BUF);
	expect_rx_hdr(b[0], 3);
	assert_memory_equal((uint8_t *)gpa_ptr(&fx.g, b[0]) + 12, frame, 1536);
	assert_memory_equal(gpa_ptr(&fx.g, b[1]), frame + 1536, RX_BUF);
	assert_memory_equal(gpa_ptr(&fx.g, b[2]), frame + 1536 + RX_BUF, 4000 - 1536 - RX_BUF);
	assert_int_equal(fx.vq.last_avail, 3);
	assert_int_equal(vq_avail_count(&fx.vq), 1); /* the fourth is left */
	assert_int_equal(fx.vq.st.packets, 1);
	assert_int_equal(fx.vq.st.bytes, 4000);
}

static void rx_too_big_without_mergeable(void **state)
{
	uint8_t frame[2000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	fill_pattern(frame, sizeof(frame), 33);
	post_rx(0, RX_BUF);
	post_rx(1, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_int_equal(fx.vq.used_pending, 0);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
	assert_int_equal(fx.vq.st.packets, 0);
	assert_null(fx.vq.err);
	/* a frame that fits takes the first buffer */
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, 1000), 0);
	vq_flush(&fx.vq);
	expect_used(0, 0, 1012);
}

/*
 * Regression (issue 10): a frame that found no room made every later frame
 * walk the same buffers again (up to 64 chains, popped and given back), on
 * the sender's worker. Now the walk is not repeated until the guest posts
 * more: the descriptors are made insane after the first failure, and the
 * second attempt must not see them.
 */
static void rx_no_room_not_walked_again(void **state)
{
	static uint8_t frame[1000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	fx.vq.mrg_rxbuf = true;
	post_rx(0, 100);
	post_rx(1, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	drv_desc(&fx.r, 0, GUEST_GPA + GUEST_RAM_SIZE, 100, VRING_DESC_F_WRITE, 0);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_null(fx.vq.err);
	assert_int_equal(fx.vq.st.drop_no_buf, 3);
	assert_int_equal(fx.vq.last_avail, 0);
	/* the guest posts more: the next frame looks again, and finds the lie */
	post_rx(2, 100);
	expect_fault(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), "outside guest memory");
}

/* A shorter frame is still tried: it may fit where the longer did not. */
static void rx_no_room_shorter_frame_fits(void **state)
{
	static uint8_t frame[1000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	fx.vq.mrg_rxbuf = true;
	post_rx(0, 100);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, 60), 0);
	vq_flush(&fx.vq);
	expect_used(0, 0, 72);
}

/*
 * Regression (issue 10): one frame's chains together are charged one
 * budget. Useless buffers (indirect tables of 8 zero-length entries) make
 * the frame fail once the budget is spent, well before chain 35, whose
 * table is outside guest memory: the old walk went on to it (64 chains).
 */
static void rx_descriptor_budget_per_frame(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };
	uint64_t z = rx_buf(8);
	uint16_t i, k;

	(void)state;
	fx.vq.mrg_rxbuf = true;
	post_rx(0, 12); /* room for the header only */
	for (i = 1; i < 40; i++) {
		uint64_t t = guest_alloc(&fx.g, 8 * 16, 16);
		struct vring_desc *tab = gpa_ptr(&fx.g, t);

		for (k = 0; k < 8; k++)
			tab[k] = (struct vring_desc){ z, 0, VRING_DESC_F_WRITE | (k < 7 ? VRING_DESC_F_NEXT : 0),
						      (uint16_t)(k + 1) };
		drv_desc(&fx.r, i, i == 35 ? GUEST_GPA + GUEST_RAM_SIZE : t, 8 * 16,
			 VRING_DESC_F_INDIRECT, 0);
		drv_post(&fx.r, i);
	}
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_null(fx.vq.err);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
}

/*
 * Regression (issue 10): a receive chain of zero-length descriptors has no
 * segment; the one-piece fast path looked at its seg[0] all the same, left
 * over from an earlier frame, and wrote the frame into that buffer — one
 * the guest had already been given back.
 */
static void rx_empty_chain_writes_nothing_stale(void **state)
{
	static uint8_t big[2000], small[60];
	struct vq_iov src = { big, sizeof(big) };
	uint64_t b1, b5, z = rx_buf(8);
	uint8_t *p;
	uint32_t i;

	(void)state;
	fx.vq.mrg_rxbuf = true;
	post_rx(0, RX_BUF);
	b1 = post_rx(1, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(big)), 0);
	vq_flush(&fx.vq);
	p = gpa_ptr(&fx.g, b1);
	memset(p, 0xaa, RX_BUF); /* the guest has it back and uses it */
	post_rx(2, 12);
	drv_desc(&fx.r, 3, z, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	drv_desc(&fx.r, 4, z, 0, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, 3);
	b5 = post_rx(5, RX_BUF);
	fill_pattern(small, sizeof(small), 34);
	src = (struct vq_iov){ small, sizeof(small) };
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(small)), 0);
	for (i = 0; i < RX_BUF; i++)
		if (p[i] != 0xaa)
			fail_msg("byte %u of a returned buffer was written", i);
	assert_memory_equal(gpa_ptr(&fx.g, b5), small, sizeof(small));
}

static void rx_no_buffers(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
	assert_int_equal(fx.vq.last_avail, 0);
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 0);
}

static void rx_buffer_smaller_than_header(void **state)
{
	uint8_t frame[60] = { 0 };
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	post_rx(0, 8);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
}

/* Two buffers, a frame that needs three: both stay available. */
static void rx_rollback_when_ring_runs_out(void **state)
{
	static uint8_t frame[4000];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	fx.vq.mrg_rxbuf = true;
	fill_pattern(frame, sizeof(frame), 34);
	post_rx(0, RX_BUF);
	post_rx(1, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), -ENOBUFS);
	assert_int_equal(fx.vq.last_avail, 0);
	assert_int_equal(vq_avail_count(&fx.vq), 2);
	assert_int_equal(fx.vq.used_pending, 0);
	assert_int_equal(fx.vq.st.drop_no_buf, 1);
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 0);
	/* a third buffer arrives: the same frame now uses all three */
	post_rx(2, RX_BUF);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 3);
	expect_used(0, 0, RX_BUF);
	expect_used(1, 1, RX_BUF);
	expect_used(2, 2, 4000 - 1536 - RX_BUF);
}

/*
 * Source in four segments, 25 bytes skipped; destination: a first chain
 * whose header straddles two descriptors, then 40-byte buffers.
 */
static void rx_segments_with_skip(void **state)
{
	static const uint32_t seglen[4] = { 10, 50, 7, 200 };
	struct virtio_net_hdr_mrg_rxbuf want_hdr = { .num_buffers = 6 };
	uint8_t stream[267], copies[4][200], got[220], hdr[12];
	struct vq_iov src[4];
	uint64_t h0, h1, b[6];
	uint32_t off = 0, want_len[6] = { 64, 40, 40, 40, 40, 8 }, k;
	uint16_t i;

	(void)state;
	fx.vq.mrg_rxbuf = true;
	fill_pattern(stream, sizeof(stream), 35);
	for (i = 0; i < 4; i++) {
		memcpy(copies[i], stream + off, seglen[i]);
		src[i] = (struct vq_iov){ copies[i], seglen[i] };
		off += seglen[i];
	}
	h0 = rx_buf(4);
	h1 = rx_buf(60);
	drv_desc(&fx.r, 10, h0, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 11);
	drv_desc(&fx.r, 11, h1, 60, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, 10);
	for (i = 0; i < 6; i++)
		b[i] = post_rx((uint16_t)(20 + i), 40);

	assert_int_equal(vq_enqueue(&fx.vq, src, 4, 25, 220), 0);
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 6);
	expect_used(0, 10, want_len[0]);
	for (i = 1; i < 6; i++)
		expect_used(i, (uint16_t)(20 + i - 1), want_len[i]);
	assert_int_equal(vq_avail_count(&fx.vq), 1);

	/* header: bytes 0-3 in the first descriptor, 4-11 in the second */
	memcpy(hdr, gpa_ptr(&fx.g, h0), 4);
	memcpy(hdr + 4, gpa_ptr(&fx.g, h1), 8);
	assert_memory_equal(hdr, &want_hdr, 12);
	memcpy(got, (uint8_t *)gpa_ptr(&fx.g, h1) + 8, 52);
	for (i = 0, k = 52; i < 5; k += want_len[i + 1], i++)
		memcpy(got + k, gpa_ptr(&fx.g, b[i]), want_len[i + 1]);
	assert_memory_equal(got, stream + 25, 220);
}

/* ---- interrupts and notifications ----------------------------------------- */

static void use_call_fd(void)
{
	fx.vq.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(fx.vq.call_fd >= 0);
}

/* Pop one posted chain and queue it as used. */
static void complete_one(void)
{
	uint64_t a = data_buf(16, 40);
	uint16_t head = (uint16_t)(fx.r.avail_idx % RING_SIZE);

	drv_desc(&fx.r, head, a, 16, 0, 0);
	drv_post(&fx.r, head);
	pop_tx_ok();
	vq_push(&fx.vq, fx.c.head, 0);
}

static void flush_publishes_used_idx(void **state)
{
	(void)state;
	use_call_fd();
	vq_flush(&fx.vq); /* nothing pending: nothing happens */
	assert_false(interrupted());
	complete_one();
	complete_one();
	assert_int_equal(drv_used_idx(&fx.r), 0);
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 2);
	assert_int_equal(fx.vq.used_pending, 0);
	expect_used(0, 0, 0);
	expect_used(1, 1, 0);
	assert_true(interrupted());
	assert_int_equal(fx.vq.st.notifies, 1);
}

static void flush_event_idx(void **state)
{
	(void)state;
	use_call_fd();
	fx.vq.event_idx = true;
	*drv_used_event(&fx.r) = 0;
	complete_one();
	vq_flush(&fx.vq); /* used 0 → 1, event 0 */
	assert_true(interrupted());

	*drv_used_event(&fx.r) = 1; /* "interrupt me when you pass 1" */
	complete_one();
	vq_flush(&fx.vq); /* 1 → 2 */
	assert_true(interrupted());

	*drv_used_event(&fx.r) = 10; /* above the new index */
	complete_one();
	vq_flush(&fx.vq); /* 2 → 3 */
	assert_false(interrupted());

	*drv_used_event(&fx.r) = 3; /* passed by a batch of two */
	complete_one();
	complete_one();
	vq_flush(&fx.vq); /* 3 → 5 */
	assert_true(interrupted());

	*drv_used_event(&fx.r) = 4; /* below the old index: already passed */
	complete_one();
	vq_flush(&fx.vq); /* 5 → 6 */
	assert_false(interrupted());
	assert_int_equal(fx.vq.st.notifies, 3);
	assert_int_equal(drv_used_idx(&fx.r), 6);
}

static void flush_no_interrupt_flag(void **state)
{
	(void)state;
	use_call_fd();
	fx.r.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	complete_one();
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 1);
	assert_false(interrupted());
	fx.r.avail->flags = 0;
	complete_one();
	vq_flush(&fx.vq);
	assert_true(interrupted());
	assert_int_equal(fx.vq.st.notifies, 1);
}

static void flush_without_call_fd(void **state)
{
	(void)state;
	complete_one();
	vq_flush(&fx.vq);
	assert_int_equal(drv_used_idx(&fx.r), 1);
	assert_int_equal(fx.vq.st.notifies, 0);
}

static void kick_enable_event_idx(void **state)
{
	(void)state;
	fx.vq.event_idx = true;
	*drv_avail_event(&fx.r) = 0xbeef;
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(*drv_avail_event(&fx.r), 0);
	complete_one();
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(*drv_avail_event(&fx.r), 1);
	drv_desc(&fx.r, 9, data_buf(8, 41), 8, 0, 0);
	drv_post(&fx.r, 9); /* work arrived meanwhile */
	assert_true(vq_kick_enable(&fx.vq));
	/* with EVENT_IDX the flags word is not the mechanism */
	fx.r.used->flags = 0;
	vq_kick_disable(&fx.vq);
	assert_int_equal(fx.r.used->flags, 0);
}

static void kick_enable_flags(void **state)
{
	(void)state;
	vq_kick_disable(&fx.vq);
	assert_int_equal(fx.r.used->flags, VRING_USED_F_NO_NOTIFY);
	assert_false(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.used->flags, 0);
	vq_kick_disable(&fx.vq);
	drv_desc(&fx.r, 0, data_buf(8, 42), 8, 0, 0);
	drv_post(&fx.r, 0);
	assert_true(vq_kick_enable(&fx.vq));
	assert_int_equal(fx.r.used->flags, 0);
}

/* ---- ring mapping ------------------------------------------------------------ */

static int map_at(uint16_t size, uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa,
		  const char **why)
{
	fx.vq.size = size;
	return vq_map_rings(&fx.vq, fx.g.mem, GUEST_UVA + (desc_gpa - GUEST_GPA),
			    GUEST_UVA + (avail_gpa - GUEST_GPA), GUEST_UVA + (used_gpa - GUEST_GPA),
			    why);
}

/* Map the rings at the given GPAs and expect -EINVAL for `what`. */
static void expect_map_fails(uint16_t size, uint64_t desc_gpa, uint64_t avail_gpa,
			     uint64_t used_gpa, const char *what)
{
	const char *why = NULL;

	assert_int_equal(map_at(size, desc_gpa, avail_gpa, used_gpa, &why), -EINVAL);
	assert_non_null(why);
	if (!strstr(why, what))
		fail_msg("why is \"%s\", expected it to mention \"%s\"", why, what);
}

static void map_rings_sizes(void **state)
{
	static const uint16_t bad[] = { 0, 3, 255, 1000, 0xffff };
	uint64_t g = GUEST_GPA;
	const char *why = NULL;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_map_fails(bad[i], g, g + MIB, g + 2 * MIB, "power of two");
	assert_int_equal(map_at(1, g, g + MIB, g + 2 * MIB, &why), 0);
	assert_int_equal(map_at(32768, g, g + MIB, g + 2 * MIB, &why), 0);
	assert_ptr_equal(fx.vq.desc, vu_mem_gpa(fx.g.mem, g, 16));
	assert_ptr_equal(fx.vq.used, vu_mem_gpa(fx.g.mem, g + 2 * MIB, 4));
}

static void map_rings_alignment(void **state)
{
	uint64_t g = GUEST_GPA;
	const char *why = NULL;

	(void)state;
	expect_map_fails(256, g + 8, g + MIB, g + 2 * MIB, "misaligned");
	expect_map_fails(256, g, g + MIB + 1, g + 2 * MIB, "misaligned");
	expect_map_fails(256, g, g + MIB, g + 2 * MIB + 2, "misaligned");
	assert_int_equal(map_at(256, g + 16, g + MIB + 2, g + 2 * MIB + 4, &why), 0);
}

static void map_rings_outside_memory(void **state)
{
	uint64_t g = GUEST_GPA, end = GUEST_GPA + GUEST_RAM_SIZE;
	uint64_t avail_len = 4 + 2 * 256 + 2, used_len = 4 + 8 * 256 + 2;
	const char *why = NULL;

	(void)state;
	/* rings ending at the last byte of RAM, event words included */
	assert_int_equal(map_at(256, end - 4096, end - 8192, (end - used_len) & ~3ull, &why), 0);
	assert_int_equal(map_at(256, g, end - avail_len, g + MIB, &why), 0);

	expect_map_fails(256, g - 4096, g + MIB, g + 2 * MIB, "not inside guest memory");
	assert_null(fx.vq.desc);
	assert_null(fx.vq.avail);
	assert_null(fx.vq.used);
	expect_map_fails(256, end - 4080, g + MIB, g + 2 * MIB, "not inside guest memory");
	expect_map_fails(256, g, end - avail_len + 2, g + 2 * MIB, "not inside guest memory");
	expect_map_fails(256, g, g + MIB, end - used_len + 2, "not inside guest memory");
	expect_map_fails(256, g, g + MIB, end, "not inside guest memory");
}

/* setup_two: a ring must lie within one region. */
static void map_rings_across_regions(void **state)
{
	uint64_t g = GUEST_GPA;
	const char *why = NULL;

	(void)state;
	expect_map_fails(256, g + 2 * MIB - 2048, g + MIB, g + 3 * MIB, "not inside guest memory");
	assert_int_equal(map_at(256, g + 2 * MIB, g + MIB, g + 3 * MIB, &why), 0);
}

#define T1(f) cmocka_unit_test_setup_teardown(f, setup_one, teardown)
#define T2(f) cmocka_unit_test_setup_teardown(f, setup_two, teardown)
#define TG(f) cmocka_unit_test_setup_teardown(f, setup_gap, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T1(tx_single_descriptor),
		T1(tx_header_and_data),
		T1(tx_chain_of_three),
		T1(tx_indirect_table),
		T2(tx_buffer_across_regions),
		TG(tx_buffer_after_gap),
		T1(tx_zero_length_descriptors),
		T1(tx_chain_as_long_as_ring),
		T1(tx_indices_wrap),
		T1(tx_too_many_segments),
		T1(fault_avail_idx_too_far_ahead),
		T1(fault_avail_entry_out_of_range),
		T1(fault_next_out_of_range),
		T1(fault_chain_loops_on_itself),
		T1(fault_chain_cycle),
		T1(fault_chain_longer_than_ring),
		T1(fault_indirect_cycle),
		T1(fault_indirect_longer_than_ring),
		T1(fault_desc_outside_memory),
		T1(fault_desc_crosses_end_of_memory),
		T1(fault_desc_wraps_around),
		TG(fault_desc_into_gap),
		T1(fault_indirect_outside_memory),
		T1(fault_indirect_bad_length),
		T1(fault_nested_indirect),
		T1(fault_indirect_is_ring_table),
		T1(fault_indirect_misaligned),
		T1(fault_more_in_flight_than_the_ring),
		T1(map_rings_misaligned_in_our_mapping),
		T1(fault_indirect_back_to_table),
		T1(fault_zero_length_descriptors_over_budget),
		T1(zero_length_descriptors_within_budget),
		T1(fault_indirect_with_next),
		T1(fault_write_only_on_tx),
		T1(fault_read_only_on_rx),
		T1(fault_rx_too_many_segments),
		T1(fault_after_max_segments),
		T1(rx_frame_fits_one_buffer),
		T1(rx_head_from_checked_copy),
		T1(rx_head_with_skip_over_mergeable),
		T1(rx_legacy_header),
		T1(rx_header_split_over_descriptors),
		T1(rx_mergeable_spans_three_buffers),
		T1(rx_too_big_without_mergeable),
		T1(rx_no_buffers),
		T1(rx_no_room_not_walked_again),
		T1(rx_empty_chain_writes_nothing_stale),
		T1(rx_no_room_shorter_frame_fits),
		T1(rx_descriptor_budget_per_frame),
		T1(rx_buffer_smaller_than_header),
		T1(rx_rollback_when_ring_runs_out),
		T1(rx_segments_with_skip),
		T1(flush_publishes_used_idx),
		T1(flush_event_idx),
		T1(flush_no_interrupt_flag),
		T1(flush_without_call_fd),
		T1(kick_enable_event_idx),
		T1(kick_enable_flags),
		T1(map_rings_sizes),
		T1(map_rings_alignment),
		T1(map_rings_outside_memory),
		T2(map_rings_across_regions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
