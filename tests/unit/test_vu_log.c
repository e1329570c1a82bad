// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dirty log of live migration (src/vhost/vu_log.c) and what the vq
 * writes into it: the log's checks when it is mapped, its bits (page =
 * gpa / 4096, bit page % 8 of byte page / 8, never past its size), and a
 * received frame marking exactly the pages of the buffer it went into and
 * of the used ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vq_harness.h"
#include "vhost/vu_log.h"

#define RING 16

static struct {
	struct guest g;
	struct drv_ring r;
	struct vq vq;
	struct vu_log log;
	int logfd;
} fx;

/* A sealed memfd of `size` bytes as QEMU's log (or not sealed). */
static int log_fd(size_t size, bool sealed)
{
	int fd = memfd_create("xvs-test-log", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (sealed)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

static bool bit(const struct vu_log *l, uint64_t page)
{
	return l->bits[page / 8] & (1u << (page % 8));
}

static uint64_t bits_set(const struct vu_log *l)
{
	uint64_t i, n = 0;

	for (i = 0; i < l->size * 8; i++)
		n += bit(l, i);
	return n;
}

static void refuse_bad_logs(void **state)
{
	struct vu_log l = { 0 };
	const char *why = NULL;
	int fd = log_fd(8192, true), loose = log_fd(8192, false);

	(void)state;
	assert_int_equal(vu_log_map(&l, fd, 0, 0, &why), -EINVAL);
	assert_int_equal(vu_log_map(&l, fd, VU_LOG_MAX + 1, 0, &why), -EINVAL);
	assert_int_equal(vu_log_map(&l, fd, 8192, 1, &why), -EINVAL); /* past the file */
	assert_int_equal(vu_log_map(&l, fd, 4096, UINT64_MAX - 10, &why), -EINVAL);
	assert_int_equal(vu_log_map(&l, loose, 4096, 0, &why), -EINVAL);
	assert_non_null(strstr(why, "sealed"));
	assert_null(l.map);
	/* at an offset inside its page: the bits start there */
	assert_int_equal(vu_log_map(&l, fd, 4096, 100, &why), 0);
	assert_ptr_equal(l.bits, l.map + 100);
	vu_log_unmap(&l);
	assert_null(l.bits);
	close(fd);
	close(loose);
}

/* A hugetlbfs memfd sealed against shrinking can still have a hole
 * punched in it, its reservation gone with it: a bit set with the pool
 * drained would be a SIGBUS in a worker. */
static void refuse_hugetlbfs_log(void **state)
{
	struct vu_log l = { 0 };
	const char *why = NULL;
	int fd = memfd_create("xvs-test-log", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);

	(void)state;
	if (fd < 0) {
		print_message("skip: no hugetlb memfd (MFD_HUGETLB: %s): no hugetlbfs file to refuse\n",
			      strerror(errno));
		skip();
	}
	assert_int_equal(ftruncate(fd, 2 << 20), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(vu_log_map(&l, fd, 4096, 0, &why), -EINVAL);
	assert_string_equal(why, "SET_LOG_BASE: log on hugetlbfs (a hole punched in it: SIGBUS)");
	assert_null(l.map);
	close(fd);
}

static void bits_and_bounds(void **state)
{
	const char *why = NULL;
	struct vu_log l = { 0 };
	int fd = log_fd(4096, true);

	(void)state;
	assert_int_equal(vu_log_map(&l, fd, 16, 0, &why), 0); /* 128 pages: 512 KiB */
	vu_log_gpa(&l, 0, 1);
	assert_true(bit(&l, 0));
	vu_log_gpa(&l, 4095, 2); /* straddles pages 0 and 1 */
	assert_true(bit(&l, 1));
	vu_log_gpa(&l, 10 * 4096 + 5, 3 * 4096); /* pages 10..13 */
	assert_true(bit(&l, 10) && bit(&l, 13));
	assert_false(bit(&l, 9) || bit(&l, 14));
	assert_int_equal(bits_set(&l), 6);
	/* a range past the log sets what it covers and writes nothing beyond */
	vu_log_gpa(&l, 126 * 4096, 100 * 4096);
	assert_true(bit(&l, 126) && bit(&l, 127));
	assert_int_equal(bits_set(&l), 8);
	assert_int_equal(l.map[16], 0); /* the byte after the log */
	vu_log_gpa(&l, 1ull << 40, 4096); /* wholly outside */
	vu_log_gpa(&l, UINT64_MAX - 5, 100); /* wraps around */
	vu_log_gpa(&l, 0, 0);
	assert_int_equal(bits_set(&l), 8);
	assert_int_equal(l.map[16], 0);
	vu_log_unmap(&l);
	close(fd);
}

static int setup(void **state)
{
	const char *why = NULL;

	(void)state;
	guest_init(&fx.g, GUEST_RAM_SIZE);
	/* two regions at different guest-physical places: host addresses
	 * are translated by region */
	guest_add_region(&fx.g, GUEST_GPA, 2u << 20, 0);
	guest_add_region(&fx.g, GUEST_GPA + (64u << 20), 2u << 20, 2u << 20);
	guest_map(&fx.g);
	drv_ring_init(&fx.r, &fx.g, RING);
	memset(&fx.vq, 0, sizeof(fx.vq));
	drv_ring_attach(&fx.r, &fx.vq);
	fx.vq.mrg_rxbuf = true;
	fx.logfd = log_fd(1u << 16, true);
	/* covers GPA 0 .. 2 GiB */
	assert_int_equal(vu_log_map(&fx.log, fx.logfd, 1u << 16, 0, &why), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vu_log_unmap(&fx.log);
	close(fx.logfd);
	guest_fini(&fx.g);
	return 0;
}

/* A frame received while logging marks the pages of the buffer it went
 * into (in the second region), the used ring's, and nothing else; with
 * logging off it marks nothing. */
static void rx_frame_logged(void **state)
{
	uint64_t buf = GUEST_GPA + (64u << 20) + 3 * 4096 + 4000; /* straddles two pages */
	uint8_t frame[200];
	struct vq_iov src = { frame, sizeof(frame) };

	(void)state;
	memset(frame, 0x5a, sizeof(frame));
	drv_desc(&fx.r, 0, buf, 2048, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, 0);
	/* logging off: nothing */
	drv_desc(&fx.r, 1, buf, 2048, VRING_DESC_F_WRITE, 0);
	drv_post(&fx.r, 1);
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	vq_flush(&fx.vq);
	assert_int_equal(bits_set(&fx.log), 0);

	fx.vq.log = &fx.log;
	fx.vq.log_used = true;
	fx.vq.log_used_gpa = fx.r.used_gpa;
	assert_int_equal(vq_enqueue(&fx.vq, &src, 1, 0, sizeof(frame)), 0);
	/* the buffer's pages: 12 header bytes + 200 from 4000 in page 3 */
	assert_true(bit(&fx.log, buf / 4096));
	assert_true(bit(&fx.log, buf / 4096 + 1));
	assert_int_equal(bits_set(&fx.log), 2);
	vq_flush(&fx.vq);
	/* and the used ring's page */
	assert_true(bit(&fx.log, fx.r.used_gpa / 4096));
	assert_int_equal(bits_set(&fx.log), 3);
	fx.vq.log = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(refuse_bad_logs),
		cmocka_unit_test(refuse_hugetlbfs_log),
		cmocka_unit_test(bits_and_bounds),
		cmocka_unit_test_setup_teardown(rx_frame_logged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
