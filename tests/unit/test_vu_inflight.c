// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inflight I/O tracking (vhost/vu_inflight.c): the region's layout, the
 * records a split ring keeps through pop and flush, what a restart finds
 * in them and resubmits, and every malformed record refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vq_harness.h"
#include "vhost/vu_inflight.h"

#define RING 8

struct fx {
	struct guest g;
	struct drv_ring r;
	struct vq vq;
	struct vu_inflight ifl;
	struct vu_ifl_queue *q;
	struct vring_avail *dev_avail; /* the device's view of the guest's avail ring */
	uint64_t buf_gpa;
	uint16_t heads[RING];
	struct vu_ifl_order order[RING];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vu_inflight_area a;
	const char *why = NULL;
	int fd;

	guest_init(&f->g, GUEST_RAM_SIZE);
	guest_add_region(&f->g, GUEST_GPA, GUEST_RAM_SIZE, 0);
	guest_map(&f->g);
	drv_ring_init(&f->r, &f->g, RING);
	drv_ring_attach(&f->r, &f->vq);
	f->buf_gpa = guest_alloc(&f->g, 2048ull * RING, 64);
	for (uint16_t i = 0; i < RING; i++) /* chain i: one 64-byte TX buffer */
		drv_desc(&f->r, i, f->buf_gpa + 2048ull * i, 64, 0, 0);
	assert_int_equal(vu_inflight_create(2, RING, 2, &fd, &a, &why), 0);
	assert_int_equal(vu_inflight_map(&f->ifl, fd, &a, 2, &why), 0);
	close(fd);
	f->q = vu_inflight_queue(&f->ifl, 1);
	assert_non_null(f->q);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(vu_inflight_stop(&f->vq));
	vu_inflight_unmap(&f->ifl);
	guest_fini(&f->g);
	free(f);
	return 0;
}

/* The ring starts tracked in the region, nothing in flight. */
static void track(struct fx *f)
{
	uint64_t counter = 0;
	const char *why = NULL;
	int n;

	n = vu_inflight_recover(f->q, vu_inflight_queue_bytes(RING), RING, drv_used_idx(&f->r),
				f->heads, f->order, &counter, &why);
	assert_int_equal(n, 0);
	vu_inflight_start(&f->vq, f->q, drv_used_idx(&f->r), f->heads, 0, counter, NULL);
}

/* Pop what is available, as a transmit burst does, and record it. */
static int pop_burst(struct fx *f, struct vq_chain *c, int max)
{
	int avail = vq_avail_count(&f->vq), n;

	assert_true(avail >= 0);
	for (n = 0; n < avail && n < max; n++)
		assert_int_equal(vq_pop(&f->vq, &c[n], false), 0);
	vu_inflight_popped(&f->vq, c, n);
	return n;
}

/* The vring after xvsd died: a fresh vq on the same ring and region. */
static int restart(struct fx *f, uint16_t *heads, const char **why)
{
	struct vring_avail *shadow = calloc(1, vu_inflight_shadow_bytes(RING));
	uint16_t used = drv_used_idx(&f->r);
	uint64_t counter = 0;
	int n;

	free(vu_inflight_stop(&f->vq));
	memset(&f->vq, 0, sizeof(f->vq));
	drv_ring_attach(&f->r, &f->vq);
	f->dev_avail = f->vq.avail;
	n = vu_inflight_recover(f->q, vu_inflight_queue_bytes(RING), RING, used, heads, f->order,
				&counter, why);
	if (n >= 0)
		vu_inflight_start(&f->vq, f->q, used, heads, (uint16_t)n, counter,
				  n ? shadow : NULL);
	if (n <= 0)
		free(shadow);
	return n;
}

static void layout_sizes(void **state)
{
	struct fx *f = *state;
	struct vu_inflight_area a;
	const char *why = NULL;
	struct stat st;
	int fd, seals;

	/* 16 bytes of header and 16 per entry, each vring on a cache line */
	assert_int_equal(vu_inflight_queue_bytes(1), 64);
	assert_int_equal(vu_inflight_queue_bytes(RING), 192);
	assert_int_equal(vu_inflight_queue_bytes(256), 4160);
	assert_int_equal(vu_inflight_queue_bytes(32768), 524352);
	assert_int_equal(offsetof(struct vu_ifl_desc, next), 6);
	assert_int_equal(offsetof(struct vu_ifl_desc, counter), 8);
	assert_int_equal(offsetof(struct vu_ifl_queue, used_idx), 14);

	assert_int_equal(vu_inflight_create(4, 256, 4, &fd, &a, &why), 0);
	assert_int_equal(a.mmap_size, 4 * 4160);
	assert_int_equal(a.mmap_offset, 0);
	assert_int_equal(a.num_queues, 4);
	assert_int_equal(a.queue_size, 256);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 4 * 4160);
	seals = fcntl(fd, F_GET_SEALS);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_GROW);
	close(fd);
	/* every record of the fixture's region: version 1, its size, empty */
	for (unsigned int i = 0; i < 2; i++) {
		struct vu_ifl_queue *q = vu_inflight_queue(&f->ifl, i);

		assert_int_equal(q->version, 1);
		assert_int_equal(q->desc_num, RING);
		assert_int_equal(q->used_idx, 0);
		for (int d = 0; d < RING; d++)
			assert_int_equal(q->desc[d].inflight, 0);
	}
	assert_null(vu_inflight_queue(&f->ifl, 2)); /* the region has 2 */
}

static void create_refuses_bad_geometry(void **state)
{
	static const struct {
		uint16_t nq, qs;
	} bad[] = { { 0, 256 }, { 3, 256 }, { 1, 0 }, { 1, 3 }, { 1, 1000 }, { 1, 65535 } };
	struct vu_inflight_area a;
	const char *why;
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(vu_inflight_create(bad[i].nq, bad[i].qs, 2, &fd, &a, &why),
				 -EINVAL);
		assert_non_null(why);
	}
}

static void map_refuses_bad_areas(void **state)
{
	struct vu_inflight r = { 0 };
	struct vu_inflight_area good, a;
	const char *why;
	int fd, plain;

	(void)state;
	assert_int_equal(vu_inflight_create(2, RING, 2, &fd, &good, &why), 0);
	a = good;
	a.mmap_size += 64; /* not the size of its records */
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	a = good;
	a.mmap_offset = 100; /* not page-aligned */
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	a = good;
	a.mmap_offset = 4096; /* past the end of the file */
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	a = good;
	a.mmap_offset = UINT64_MAX & ~4095ull; /* wrapping */
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	a = good;
	a.num_queues = 3; /* more vrings than the device has */
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	a = good;
	a.queue_size = 12;
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	assert_null(r.map);
	/* a file the front-end could shrink under us */
	plain = memfd_create("unsealed", MFD_CLOEXEC);
	assert_int_equal(ftruncate(plain, (off_t)good.mmap_size), 0);
	why = NULL;
	assert_int_equal(vu_inflight_map(&r, plain, &good, 2, &why), -EINVAL);
	assert_string_equal(why, "inflight: region file not sealed against shrinking");
	close(plain);
	assert_int_equal(vu_inflight_map(&r, fd, &good, 2, &why), 0);
	vu_inflight_unmap(&r);
	close(fd);
}

/* fcntl for this binary (libxvs.a links against it): on race_fd's
 * F_GET_SEALS, what a front-end does at that moment first: shrink the
 * file to nothing, then seal it against shrinking. */
static int race_fd = -1;

int fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (fd == race_fd && cmd == F_GET_SEALS) {
		race_fd = -1;
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(syscall(SYS_fcntl, fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	}
	return (int)syscall(SYS_fcntl, fd, cmd, arg);
}

/* A region unsealed and full-sized when we look at its size, shrunk and
 * sealed before we look at its seals: mapped, its first access would be
 * a SIGBUS. The size counts only once the seal holds it. */
static void map_size_checked_once_sealed(void **state)
{
	struct vu_inflight r = { 0 };
	struct vu_inflight_area a = { .num_queues = 2, .queue_size = RING };
	const char *why = NULL;
	int fd;

	(void)state;
	a.mmap_size = 2 * vu_inflight_queue_bytes(RING);
	fd = memfd_create("racing", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)a.mmap_size), 0);
	race_fd = fd;
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	assert_string_equal(why, "inflight: region beyond the end of its file");
	assert_null(r.map);
	race_fd = -1;
	vu_inflight_unmap(&r);
	close(fd);
}

/* A hugetlbfs memfd sealed against shrinking can still have a hole
 * punched in it (only F_SEAL_WRITE stops that) and its reservation go
 * with the hole: once the pool is empty the next write is a SIGBUS. */
static void map_refuses_hugetlbfs(void **state)
{
	struct vu_inflight r = { 0 };
	struct vu_inflight_area a = { .num_queues = 2, .queue_size = RING };
	const char *why = NULL;
	int fd;

	(void)state;
	a.mmap_size = 2 * vu_inflight_queue_bytes(RING);
	fd = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (fd < 0) {
		print_message("skip: no hugetlb memfd (MFD_HUGETLB: %s): no hugetlbfs file to refuse\n",
			      strerror(errno));
		skip();
	}
	assert_int_equal(ftruncate(fd, 2 << 20), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(vu_inflight_map(&r, fd, &a, 2, &why), -EINVAL);
	assert_string_equal(why, "inflight: region on hugetlbfs (a hole punched in it: SIGBUS)");
	assert_null(r.map);
	close(fd);
}

/* Popped: in flight, counted in order; flushed: cleared, batch listed. */
static void tracking_through_pop_and_flush(void **state)
{
	struct fx *f = *state;
	struct vq_chain c[RING];
	int i;

	track(f);
	for (i = 0; i < 4; i++)
		drv_post(&f->r, (uint16_t)i);
	assert_int_equal(pop_burst(f, c, RING), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(f->q->desc[i].inflight, 1);
		assert_int_equal(f->q->desc[i].counter, i);
	}
	assert_int_equal(f->q->desc[4].inflight, 0);
	/* completed out of order: 1 and 3 first (a held buffer would) */
	vq_push(&f->vq, 1, 0);
	vq_push(&f->vq, 3, 0);
	vq_flush(&f->vq);
	assert_int_equal(drv_used_idx(&f->r), 2);
	assert_int_equal(f->q->used_idx, 2);
	assert_int_equal(f->q->last_batch_head, 3);
	assert_int_equal(f->q->desc[3].next, 1);
	assert_int_equal(f->q->desc[0].inflight, 1);
	assert_int_equal(f->q->desc[1].inflight, 0);
	assert_int_equal(f->q->desc[2].inflight, 1);
	assert_int_equal(f->q->desc[3].inflight, 0);
	/* nothing pending: a flush changes nothing */
	vq_flush(&f->vq);
	assert_int_equal(f->q->used_idx, 2);
}

/* After a crash with 0 and 2 in flight behind completed 1 and 3: exactly
 * 0 and 2 again, then the guest's next entry (4), none of 1 or 3. */
static void resubmits_exactly_the_heads_in_flight(void **state)
{
	struct fx *f = *state;
	struct vq_chain c[RING];
	const char *why = NULL;
	uint16_t heads[RING];
	int n;

	track(f);
	for (int i = 0; i < 4; i++)
		drv_post(&f->r, (uint16_t)i);
	assert_int_equal(pop_burst(f, c, RING), 4);
	vq_push(&f->vq, 1, 0);
	vq_push(&f->vq, 3, 0);
	vq_flush(&f->vq);
	drv_post(&f->r, 4); /* posted while the back-end was away */

	n = restart(f, heads, &why);
	assert_int_equal(n, 2);
	assert_int_equal(heads[0], 0);
	assert_int_equal(heads[1], 2);
	assert_int_equal(vq_avail_count(&f->vq), 2); /* the resubmitted first */
	assert_int_equal(pop_burst(f, c, 1), 1);
	assert_int_equal(c[0].head, 0);
	assert_ptr_equal(c[0].seg[0].base, vu_mem_gpa(f->g.mem, f->buf_gpa, 64));
	assert_int_equal(pop_burst(f, c, 1), 1);
	assert_int_equal(c[0].head, 2);
	/* back on the guest's ring, at its next entry */
	assert_false(f->vq.ifl_resub);
	assert_ptr_equal(f->vq.avail, f->dev_avail);
	assert_int_equal(vq_avail_count(&f->vq), 1);
	assert_int_equal(pop_burst(f, c, RING), 1);
	assert_int_equal(c[0].head, 4);
	/* after the largest in flight (2): 3 and 4 for the resubmitted */
	assert_int_equal(f->q->desc[4].counter, 5);
	/* each completed once: the used ring holds 1, 3, then 0, 2, 4 */
	vq_push(&f->vq, 0, 0);
	vq_push(&f->vq, 2, 0);
	vq_push(&f->vq, 4, 0);
	vq_flush(&f->vq);
	assert_int_equal(drv_used_idx(&f->r), 5);
	assert_int_equal(f->r.used->ring[2].id, 0);
	assert_int_equal(f->r.used->ring[3].id, 2);
	assert_int_equal(f->r.used->ring[4].id, 4);
	for (int i = 0; i < RING; i++)
		assert_int_equal(f->q->desc[i].inflight, 0);
}

/* Resubmitted by counter, the order they were taken in, not by index. */
static void resubmission_order_by_counter(void **state)
{
	struct fx *f = *state;
	static const uint64_t ctr[RING] = { 9, 0, 7, 0, 3, 0, 3, 0 };
	const char *why = NULL;
	uint16_t heads[RING];

	for (int i = 0; i < RING; i += 2) {
		f->q->desc[i].inflight = 1;
		f->q->desc[i].counter = ctr[i];
	}
	f->r.avail->idx = 4; /* the four were made available and taken */
	assert_int_equal(restart(f, heads, &why), 4);
	assert_int_equal(heads[0], 4); /* counter 3, head 4 before head 6 */
	assert_int_equal(heads[1], 6);
	assert_int_equal(heads[2], 2);
	assert_int_equal(heads[3], 0);
	assert_int_equal(f->vq.ifl_counter, 10);
	assert_int_equal(f->vq.ifl_end, 4);
}

/* Killed after used->idx, before the batch's records were cleared: the
 * batch list names them; they are not sent again. */
static void last_batch_cleared_not_resubmitted(void **state)
{
	struct fx *f = *state;
	struct vq_chain c[RING];
	const char *why = NULL;
	uint16_t heads[RING];

	track(f);
	for (int i = 0; i < 3; i++)
		drv_post(&f->r, (uint16_t)i);
	assert_int_equal(pop_burst(f, c, RING), 3);
	/* what vu_inflight_publish leaves when killed after the idx store */
	f->r.used->ring[0] = (struct vring_used_elem){ 2, 0 };
	f->r.used->ring[1] = (struct vring_used_elem){ 0, 0 };
	f->q->desc[2].next = f->q->last_batch_head;
	f->q->desc[0].next = 2;
	f->q->last_batch_head = 0;
	f->r.used->idx = 2;
	assert_int_equal(restart(f, heads, &why), 1);
	assert_int_equal(heads[0], 1);
	assert_int_equal(f->q->used_idx, 2);
	assert_int_equal(f->q->desc[0].inflight, 0);
	assert_int_equal(f->q->desc[2].inflight, 0);
	/* and killed before the idx store: all three again */
	f->q->desc[0].inflight = f->q->desc[2].inflight = 1;
	f->r.used->idx = 0;
	f->q->used_idx = 0;
	assert_int_equal(restart(f, heads, &why), 3);
}

/* A ring stopped (GET_VRING_BASE) while resubmitting: it reports where
 * the guest's entries continue, and the guest's ring is back. */
static void stop_while_resubmitting(void **state)
{
	struct fx *f = *state;
	struct vring_avail *s;
	const char *why = NULL;
	uint16_t heads[RING];

	f->q->desc[5].inflight = f->q->desc[6].inflight = 1;
	f->r.avail->idx = 2;
	assert_int_equal(restart(f, heads, &why), 2);
	assert_true(f->vq.ifl_resub);
	s = vu_inflight_stop(&f->vq);
	assert_non_null(s);
	free(s);
	assert_ptr_equal(f->vq.avail, f->dev_avail);
	assert_int_equal(f->vq.last_avail, 2);
	assert_null(f->vq.ifl);
}

/* Every record a front-end can make up, refused with a reason. */
static const char *const malformed[] = {
	"version 2",
	"version 0",
	"desc_num not the ring's",
	"flag 2",
	"flag 255",
	"used index a ring and more away",
	"used index ahead of the ring's",
	"batch head out of range",
	"batch next out of range",
	"counter at its limit",
};

static void mess_up(struct vu_ifl_queue *q, size_t i)
{
	switch (i) {
	case 0:
		q->version = 2;
		break;
	case 1:
		q->version = 0;
		break;
	case 2:
		q->desc_num = RING * 2;
		break;
	case 3:
		q->desc[3].inflight = 2;
		break;
	case 4:
		q->desc[7].inflight = 255;
		break;
	case 5:
		q->used_idx = (uint16_t)(0 - RING - 1);
		q->desc[4].inflight = 1;
		break;
	case 6:
		q->used_idx = 1;
		q->desc[0].inflight = 1;
		break;
	case 7:
		q->used_idx = (uint16_t)-1;
		q->last_batch_head = RING;
		break;
	case 8:
		q->used_idx = (uint16_t)-2;
		q->last_batch_head = 1;
		q->desc[1].next = 200;
		break;
	case 9:
		q->desc[2].inflight = 1;
		q->desc[2].counter = UINT64_MAX;
		break;
	}
}

static void malformed_records_refused(void **state)
{
	struct fx *f = *state;
	struct vu_ifl_queue *q = f->q;
	uint16_t heads[RING];
	uint64_t ctr;
	const char *why;

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		memset(q, 0, vu_inflight_queue_bytes(RING));
		q->version = 1;
		q->desc_num = RING;
		mess_up(q, i);
		why = NULL;
		if (vu_inflight_recover(q, vu_inflight_queue_bytes(RING), RING, 0, heads, f->order,
					&ctr, &why) != -EINVAL)
			fail_msg("%s: accepted", malformed[i]);
		if (!why || strncmp(why, "inflight: ", 10))
			fail_msg("%s: no reason", malformed[i]);
	}
	/* a record shorter than the ring, and a ring size no ring has */
	memset(q, 0, vu_inflight_queue_bytes(RING));
	q->version = 1;
	q->desc_num = RING;
	assert_int_equal(vu_inflight_recover(q, 16 + 16 * (RING - 1), RING, 0, heads, f->order,
					     &ctr, &why),
			 -EINVAL);
	assert_int_equal(vu_inflight_recover(q, 4096, 6, 0, heads, f->order, &ctr, &why), -EINVAL);
	/* a fresh record (nothing in flight) on a ring that has run: taken,
	 * whatever the distance */
	memset(q, 0, vu_inflight_queue_bytes(RING));
	q->version = 1;
	q->desc_num = RING;
	assert_int_equal(vu_inflight_recover(q, vu_inflight_queue_bytes(RING), RING, 1000, heads,
					     f->order, &ctr, &why),
			 0);
	assert_int_equal(q->used_idx, 1000);
	/* and the same record, sane, is taken */
	assert_int_equal(vu_inflight_recover(q, vu_inflight_queue_bytes(RING), RING, 0, heads,
					     f->order, &ctr, &why),
			 0);
}

/* Resubmitted heads go through every check of vq_pop: a chain that is
 * bad now breaks the ring as any other would. */
static void resubmitted_chain_checked(void **state)
{
	struct fx *f = *state;
	struct vq_chain c;
	const char *why = NULL;
	uint16_t heads[RING];

	f->q->desc[3].inflight = 1;
	f->r.avail->idx = 1;
	drv_desc(&f->r, 3, 0x10, 64, 0, 0); /* outside guest memory */
	assert_int_equal(restart(f, heads, &why), 1);
	assert_int_equal(vq_avail_count(&f->vq), 1);
	assert_int_equal(vq_pop(&f->vq, &c, false), -EFAULT);
	assert_non_null(f->vq.err);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(layout_sizes),
		T(create_refuses_bad_geometry),
		T(map_refuses_bad_areas),
		T(map_size_checked_once_sealed),
		T(map_refuses_hugetlbfs),
		T(tracking_through_pop_and_flush),
		T(resubmits_exactly_the_heads_in_flight),
		T(resubmission_order_by_counter),
		T(last_batch_cleared_not_resubmitted),
		T(stop_while_resubmitting),
		T(malformed_records_refused),
		T(resubmitted_chain_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
