// SPDX-License-Identifier: GPL-2.0-only
/*
 * Multi-buffer AF_XDP ring handling of src/xsk/uplink.c on rings in plain
 * memory, with this test as the kernel: frames of several descriptors
 * (XDP_PKT_CONTD) become one frame, a frame cut by the end of a burst waits
 * for the next one, every descriptor's UMEM frame goes back to the fill
 * ring; on TX a frame over several UMEM frames gets CONTD on all but its
 * last descriptor, and frames without enough free UMEM frames are dropped
 * whole and counted. (The same code against the kernel: uplink.bats.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xsk/uplink.h"

#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

#define RING 16
#define FS 4096

struct fake_ring {
	uint32_t prod, cons, flags;
	union {
		struct xdp_desc desc[RING];
		uint64_t addr[RING];
	};
};

struct fixture {
	struct fake_ring rx, fq, tx, cq;
	struct uplink u;
	struct uplink_queue q;
	uint8_t *area;
	uint64_t free[RING];
};

static void ring_init(struct fake_ring *r, void *xsk, bool prod_side)
{
	/* libxdp's ring structs share one layout */
	struct xsk_ring_cons *c = xsk;

	memset(r, 0, sizeof(*r));
	c->mask = RING - 1;
	c->size = RING;
	c->producer = &r->prod;
	c->consumer = &r->cons;
	c->flags = &r->flags;
	c->ring = r->desc;
	c->cached_prod = 0;
	c->cached_cons = prod_side ? RING : 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int i;

	assert_non_null(f);
	f->area = calloc(2 * RING, FS);
	assert_non_null(f->area);
	ring_init(&f->rx, &f->q.rx, false);
	ring_init(&f->fq, &f->q.fq, true);
	ring_init(&f->tx, &f->q.tx, true);
	ring_init(&f->cq, &f->q.cq, false);
	f->q.area = f->area;
	f->q.fd = -1;
	f->q.sg = true;
	for (i = 0; i < RING; i++)
		f->free[i] = (uint64_t)(RING + i) * FS;
	f->q.free = f->free;
	f->q.nfree = RING;
	f->u.frame_size = FS;
	f->u.ring_size = RING;
	f->u.sg = true;
	f->u.mtu = 9000;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->area);
	free(f);
	return 0;
}

/* The kernel puts a frame of `n` descriptors of `len` bytes each on RX,
 * in the UMEM frames from `frame` on, and publishes it if `publish`. */
static void kernel_rx(struct fixture *f, uint32_t frame, int n, uint32_t len, bool publish)
{
	int i;

	for (i = 0; i < n; i++) {
		struct xdp_desc *d = &f->rx.desc[(f->rx.prod + (uint32_t)i) % RING];

		d->addr = (uint64_t)(frame + (uint32_t)i) * FS + 256;
		d->len = len;
		d->options = i + 1 < n ? XDP_PKT_CONTD : 0;
		memset(f->area + d->addr, (int)(frame + (uint32_t)i), len);
	}
	if (publish)
		f->rx.prod += (uint32_t)n;
}

static void rx_frames_and_refill(void **state)
{
	struct fixture *f = *state;
	struct uplink_frame fr[8];
	uint32_t len;
	uint8_t *p;
	int n;

	kernel_rx(f, 0, 1, 60, true); /* one buffer */
	kernel_rx(f, 1, 3, 3000, true); /* a jumbo frame in three */
	kernel_rx(f, 4, 2, 100, true);
	n = uplink_rx_peek(&f->q, fr, 8);
	assert_int_equal(n, 3);
	assert_int_equal(fr[0].nfrag, 1);
	assert_int_equal(fr[0].len, 60);
	assert_int_equal(fr[1].nfrag, 3);
	assert_int_equal(fr[1].len, 9000);
	assert_int_equal(fr[2].nfrag, 2);
	p = uplink_frag(&f->q, &fr[1], 2, &len);
	assert_int_equal(len, 3000);
	assert_ptr_equal(p, f->area + 3 * FS + 256);
	assert_int_equal(p[0], 3);
	assert_int_equal(f->q.st.rx_packets, 3);
	assert_int_equal(f->q.st.rx_bytes, 60 + 9000 + 200);

	/* every descriptor's frame goes back to the fill ring (an address
	 * anywhere in the frame: the kernel aligns it in aligned mode) */
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 6);
	assert_int_equal(f->fq.prod, 6);
	assert_int_equal(f->fq.addr[0] / FS, 0);
	assert_int_equal(f->fq.addr[3] / FS, 3);
	assert_int_equal(f->fq.addr[5] / FS, 5);
}

static void rx_frame_cut_by_the_burst_waits(void **state)
{
	struct fixture *f = *state;
	struct uplink_frame fr[8];
	int n;

	kernel_rx(f, 0, 2, 100, true);
	kernel_rx(f, 2, 3, 1000, true);
	/* a burst of 4 descriptors: the second frame's third is beyond it */
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 2);
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 2);
	assert_int_equal(f->fq.prod, 2);
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 3);
	assert_int_equal(fr[0].len, 3000);
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 5);
	assert_int_equal(f->q.st.rx_packets, 2);
}

static void rx_endless_frame_is_dropped_not_stalled(void **state)
{
	struct fixture *f = *state;
	struct uplink_frame fr[4];
	int i, n;

	/* descriptors that all say "more follows": no frame ever ends */
	for (i = 0; i < 4; i++) {
		kernel_rx(f, (uint32_t)i, 2, 10, false);
		f->rx.desc[(f->rx.prod + 1) % RING].options = XDP_PKT_CONTD;
		f->rx.prod += 1;
	}
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 0);
	assert_int_equal(f->q.st.rx_drop_frags, 1);
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 4);
	assert_int_equal(f->fq.prod, 4);
}

/*
 * Regression (issue 10): a frame of more descriptors than a burst was
 * dropped by its head only; the next burst took its tail for a frame of
 * its own. Now the whole frame is dropped (counted once) and the frame
 * after it is intact.
 */
static void rx_long_frame_dropped_whole(void **state)
{
	struct fixture *f = *state;
	struct uplink_frame fr[4];
	int n;

	kernel_rx(f, 0, 6, 100, true); /* six descriptors, bursts of four */
	kernel_rx(f, 6, 1, 60, true);
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 0);
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 4);
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 1); /* the next frame, not the tail */
	assert_int_equal(fr[0].len, 60);
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 7);
	assert_int_equal(f->fq.prod, 7); /* the tail's frames went back too */
	assert_int_equal(f->q.st.rx_drop_frags, 1);
	assert_int_equal(f->q.st.rx_packets, 1);
}

/* A tail that fills a whole burst by itself: no frame, released all the same. */
static void rx_tail_alone_in_a_burst(void **state)
{
	struct fixture *f = *state;
	struct uplink_frame fr[4];
	int n;

	kernel_rx(f, 0, 9, 100, true);
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	uplink_rx_release(&f->q);
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 0);
	uplink_rx_release(&f->q);
	n = uplink_rx_peek(&f->q, fr, 4);
	assert_int_equal(n, 1);
	assert_int_equal(fr[0].nfrag, 0);
	uplink_rx_release(&f->q);
	assert_int_equal(f->rx.cons, 9);
	assert_int_equal(f->q.st.rx_drop_frags, 1);
	assert_int_equal(uplink_rx_peek(&f->q, fr, 4), 0);
}

static void rx_empty_ring(void **state)
{
	struct fixture *f = *state;
	struct uplink_frame fr[4];

	assert_int_equal(uplink_rx_peek(&f->q, fr, 4), 0);
	uplink_rx_release(&f->q); /* nothing peeked: nothing given back */
	assert_int_equal(f->fq.prod, 0);
}

struct fill_log {
	int calls, nbuf[8];
	uint8_t *first[8];
};

static void fill(void *ctx, int i, uint8_t *const *buf, int nbuf)
{
	struct fill_log *l = ctx;

	l->nbuf[i] = nbuf;
	l->first[i] = buf[0];
	l->calls++;
}

static void tx_splits_over_frames(void **state)
{
	struct fixture *f = *state;
	uint32_t len[3] = { 60, 9018, 4096 };
	struct fill_log l = { 0 };

	assert_int_equal(uplink_tx_burst(&f->u, &f->q, 3, len, fill, &l), 3);
	assert_int_equal(l.calls, 3);
	assert_int_equal(l.nbuf[0], 1);
	assert_int_equal(l.nbuf[1], 3);
	assert_int_equal(l.nbuf[2], 1);
	assert_int_equal(f->tx.prod, 5);
	assert_int_equal(f->tx.desc[0].len, 60);
	assert_int_equal(f->tx.desc[0].options, 0);
	assert_int_equal(f->tx.desc[1].len, FS);
	assert_int_equal(f->tx.desc[1].options, XDP_PKT_CONTD);
	assert_int_equal(f->tx.desc[2].len, FS);
	assert_int_equal(f->tx.desc[2].options, XDP_PKT_CONTD);
	assert_int_equal(f->tx.desc[3].len, 9018 - 2 * FS);
	assert_int_equal(f->tx.desc[3].options, 0);
	assert_int_equal(f->tx.desc[4].len, FS);
	assert_ptr_equal(l.first[1], f->area + f->tx.desc[1].addr);
	assert_int_equal(f->q.st.tx_packets, 3);
	assert_int_equal(f->q.st.tx_bytes, 60 + 9018 + 4096);
	assert_int_equal(f->q.nfree, RING - 5);
}

static void tx_short_of_frames_drops_whole_frames(void **state)
{
	struct fixture *f = *state;
	uint32_t len[3] = { 9000, 9000, 60 };
	struct fill_log l = { 0 };

	f->q.nfree = 4; /* room for one jumbo frame, not two */
	assert_int_equal(uplink_tx_burst(&f->u, &f->q, 3, len, fill, &l), 1);
	assert_int_equal(l.calls, 1);
	assert_int_equal(f->tx.prod, 3);
	assert_int_equal(f->q.st.tx_drop_no_frame, 2);
	assert_int_equal(f->q.nfree, 1);

	/* the kernel completes them: the frames are free again */
	f->cq.addr[0] = f->tx.desc[0].addr;
	f->cq.addr[1] = f->tx.desc[1].addr;
	f->cq.addr[2] = f->tx.desc[2].addr;
	f->cq.prod = 3;
	len[0] = 60;
	assert_int_equal(uplink_tx_burst(&f->u, &f->q, 1, len, fill, &l), 1);
	assert_int_equal(f->cq.cons, 3);
	assert_int_equal(f->q.nfree, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rx_frames_and_refill, setup, teardown),
		cmocka_unit_test_setup_teardown(rx_frame_cut_by_the_burst_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(rx_endless_frame_is_dropped_not_stalled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(rx_long_frame_dropped_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(rx_tail_alone_in_a_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(rx_empty_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(tx_splits_over_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(tx_short_of_frames_drops_whole_frames, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
