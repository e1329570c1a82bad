// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the guest memory table (src/vhost/vu_mem.c): valid tables
 * map the right bytes of the right files (also at unaligned file offsets),
 * every malformed table is refused with a reason, and the translation
 * helpers never return a range that is not wholly inside one region.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhost/vu_mem.h"

#define KIB 1024ull

/* Byte i of a test file. */
static uint8_t file_byte(uint32_t seed, uint64_t i)
{
	return (uint8_t)(seed * 59 + i * 7 + (i >> 9) * 3 + 1);
}

/* A memfd of `size` bytes, byte i = file_byte(seed, i). */
static int pattern_fd(uint64_t size, uint32_t seed)
{
	uint8_t *buf = malloc(size);
	ssize_t n = -1;
	uint64_t i;
	int fd;

	assert_non_null(buf);
	for (i = 0; i < size; i++)
		buf[i] = file_byte(seed, i);
	fd = memfd_create("xvs-test-mem", MFD_CLOEXEC);
	if (fd >= 0)
		n = pwrite(fd, buf, size, 0);
	free(buf);
	assert_true(fd >= 0);
	assert_int_equal(n, (ssize_t)size);
	return fd;
}

static struct vu_mem_region region(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
	return (struct vu_mem_region){ .guest_phys_addr = gpa,
				       .memory_size = size,
				       .userspace_addr = uva,
				       .mmap_offset = off };
}

static struct vu_mem *map_ok(const struct vu_mem_table *t, const int *fds, int nfds)
{
	const char *why = NULL;
	struct vu_mem *m = vu_mem_map(t, fds, nfds, &why);

	if (!m)
		fail_msg("vu_mem_map refused a valid table: %s", why ? why : "no reason");
	assert_int_equal(m->nregions, (int)t->nregions);
	return m;
}

static void expect_refused(const struct vu_mem_table *t, const int *fds, int nfds,
			   const char *what)
{
	const char *why = NULL;
	struct vu_mem *m;

	errno = 0;
	m = vu_mem_map(t, fds, nfds, &why);
	if (m) {
		vu_mem_unmap(m);
		fail_msg("vu_mem_map accepted a table it must refuse (%s)", what);
	}
	assert_int_equal(errno, EINVAL);
	assert_non_null(why);
	if (!strstr(why, what))
		fail_msg("why is \"%s\", expected it to mention \"%s\"", why, what);
}

/* `len` bytes at guest-physical gpa are file bytes from `off` on. */
static void expect_bytes(const struct vu_mem *m, uint64_t gpa, uint64_t len, uint32_t seed,
			 uint64_t off)
{
	const uint8_t *p = vu_mem_gpa(m, gpa, len);
	uint64_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		if (p[i] != file_byte(seed, off + i))
			fail_msg("GPA 0x%llx: byte %u, file has %u at 0x%llx",
				 (unsigned long long)(gpa + i), p[i], file_byte(seed, off + i),
				 (unsigned long long)(off + i));
}

/* ---- valid tables ---------------------------------------------------------- */

static void single_region(void **state)
{
	int fd = pattern_fd(1024 * KIB, 1);
	struct vu_mem_table t = { .nregions = 1 };
	struct vu_mem *m;
	uint8_t *p, b;

	(void)state;
	t.regions[0] = region(0x100000, 1024 * KIB, 0x7f0000000000, 0);
	m = map_ok(&t, &fd, 1);
	expect_bytes(m, 0x100000, 1024 * KIB, 1, 0);
	assert_ptr_equal(vu_mem_uva(m, 0x7f0000000000, 1), vu_mem_gpa(m, 0x100000, 1));
	/* shared with the file: what the device writes, the guest sees */
	p = vu_mem_gpa(m, 0x100000 + 5000, 1);
	*p = 0x5a;
	assert_int_equal(pread(fd, &b, 1, 5000), 1);
	assert_int_equal(b, 0x5a);
	vu_mem_unmap(m);
	close(fd);
}

/* Three regions, given out of GPA order, two of them from one file. */
static void several_regions(void **state)
{
	int fd[3] = { pattern_fd(64 * KIB, 2), pattern_fd(512 * KIB, 3), 0 };
	struct vu_mem_table t = { .nregions = 3 };
	struct vu_mem *m;

	(void)state;
	fd[2] = fd[1];
	t.regions[0] = region(0x40000000, 64 * KIB, 0x7f0000000000, 0);
	t.regions[1] = region(0x0, 256 * KIB, 0x7f1000000000, 0);
	t.regions[2] = region(0x100000, 256 * KIB, 0x7f2000000000, 256 * KIB);
	m = map_ok(&t, fd, 3);
	expect_bytes(m, 0x40000000, 64 * KIB, 2, 0);
	expect_bytes(m, 0x0, 256 * KIB, 3, 0);
	expect_bytes(m, 0x100000, 256 * KIB, 3, 256 * KIB);
	assert_ptr_equal(vu_mem_uva(m, 0x7f2000000000 + 10, 1), vu_mem_gpa(m, 0x100000 + 10, 1));
	vu_mem_unmap(m);
	close(fd[0]);
	close(fd[1]);
}

/* Regions that touch (no byte shared) are fine. */
static void adjacent_regions(void **state)
{
	int fd[2] = { pattern_fd(128 * KIB, 4), pattern_fd(128 * KIB, 5) };
	struct vu_mem_table t = { .nregions = 2 };
	struct vu_mem *m;

	(void)state;
	t.regions[0] = region(0x10000, 64 * KIB, 0x7f0000000000, 0);
	t.regions[1] = region(0x20000, 64 * KIB, 0x7f0000010000, 64 * KIB);
	m = map_ok(&t, fd, 2);
	expect_bytes(m, 0x10000, 64 * KIB, 4, 0);
	expect_bytes(m, 0x20000, 64 * KIB, 5, 64 * KIB);
	vu_mem_unmap(m);
	close(fd[0]);
	close(fd[1]);
}

static void eight_regions(void **state)
{
	int fd = pattern_fd(8 * 64 * KIB, 6), fds[8], i;
	struct vu_mem_table t = { .nregions = 8 };
	struct vu_mem *m;

	(void)state;
	for (i = 0; i < 8; i++) {
		fds[i] = fd;
		t.regions[i] = region(0x1000000ull * (uint64_t)(i + 1), 64 * KIB,
				      0x7f0000000000 + 0x1000000ull * (uint64_t)i, 64 * KIB * i);
	}
	m = map_ok(&t, fds, 8);
	for (i = 0; i < 8; i++)
		expect_bytes(m, 0x1000000ull * (uint64_t)(i + 1), 64 * KIB, 6, 64 * KIB * i);
	vu_mem_unmap(m);
	close(fd);
}

static void page_aligned_offset(void **state)
{
	int fd = pattern_fd(256 * KIB, 7);
	struct vu_mem_table t = { .nregions = 1 };
	struct vu_mem *m;

	(void)state;
	t.regions[0] = region(0x200000, 64 * KIB, 0x7f0000000000, 64 * KIB);
	m = map_ok(&t, &fd, 1);
	expect_bytes(m, 0x200000, 64 * KIB, 7, 64 * KIB);
	vu_mem_unmap(m);
	close(fd);
}

/* QEMU may pass offsets that are not page-aligned. */
static void unaligned_offsets(void **state)
{
	int fd = pattern_fd(64 * KIB, 8), fds[3] = { fd, fd, fd };
	struct vu_mem_table t = { .nregions = 3 };
	struct vu_mem *m;

	(void)state;
	t.regions[0] = region(0x10000, 8000, 0x7f0000000000, 4096 + 100);
	t.regions[1] = region(0x20000, 4096, 0x7f0000010000, 100); /* spans 2 pages */
	t.regions[2] = region(0x30000, 1, 0x7f0000020000, 64 * KIB - 1); /* last byte */
	m = map_ok(&t, fds, 3);
	expect_bytes(m, 0x10000, 8000, 8, 4096 + 100);
	expect_bytes(m, 0x20000, 4096, 8, 100);
	expect_bytes(m, 0x30000, 1, 8, 64 * KIB - 1);
	assert_null(vu_mem_gpa(m, 0x30001, 1));
	vu_mem_unmap(m);
	close(fd);
}

/* ---- refused tables ---------------------------------------------------------- */

static void refuse_region_count(void **state)
{
	int fd = pattern_fd(64 * KIB, 9), fds[9], i;
	struct vu_mem_table t = { .nregions = 0 };

	(void)state;
	for (i = 0; i < 9; i++)
		fds[i] = fd;
	expect_refused(&t, fds, 0, "region count out of range");
	t.nregions = 9; /* more than the table can hold */
	expect_refused(&t, fds, 9, "region count out of range");
	close(fd);
}

static void refuse_fd_count_mismatch(void **state)
{
	int fd = pattern_fd(256 * KIB, 10), fds[3] = { fd, fd, fd };
	struct vu_mem_table t = { .nregions = 2 };

	(void)state;
	t.regions[0] = region(0x0, 64 * KIB, 0x7f0000000000, 0);
	t.regions[1] = region(0x100000, 64 * KIB, 0x7f1000000000, 64 * KIB);
	expect_refused(&t, fds, 1, "differs from the number of fds");
	expect_refused(&t, fds, 3, "differs from the number of fds");
	expect_refused(&t, fds, 0, "differs from the number of fds");
	close(fd);
}

static void refuse_empty_region(void **state)
{
	int fd = pattern_fd(64 * KIB, 11), fds[2] = { fd, fd };
	struct vu_mem_table t = { .nregions = 2 };

	(void)state;
	t.regions[0] = region(0x0, 64 * KIB, 0x7f0000000000, 0);
	t.regions[1] = region(0x100000, 0, 0x7f1000000000, 0);
	expect_refused(&t, fds, 2, "empty region");
	close(fd);
}

static void refuse_gpa_overlap(void **state)
{
	int fd = pattern_fd(256 * KIB, 12), fds[2] = { fd, fd };
	struct vu_mem_table t = { .nregions = 2 };

	(void)state;
	t.regions[0] = region(0x100000, 64 * KIB, 0x7f0000000000, 0);
	/* overlaps the end */
	t.regions[1] = region(0x100000 + 64 * KIB - 1, 64 * KIB, 0x7f1000000000, 0);
	expect_refused(&t, fds, 2, "overlap in guest-physical space");
	/* lies inside */
	t.regions[1] = region(0x100000 + 4096, 4096, 0x7f1000000000, 0);
	expect_refused(&t, fds, 2, "overlap in guest-physical space");
	/* contains it */
	t.regions[1] = region(0x0, 256 * KIB * 8, 0x7f1000000000, 0);
	expect_refused(&t, fds, 2, "overlap in guest-physical space");
	close(fd);
}

static void refuse_uva_overlap(void **state)
{
	int fd = pattern_fd(256 * KIB, 13), fds[2] = { fd, fd };
	struct vu_mem_table t = { .nregions = 2 };

	(void)state;
	t.regions[0] = region(0x0, 64 * KIB, 0x7f0000000000, 0);
	t.regions[1] = region(0x100000, 64 * KIB, 0x7f0000000000 + 64 * KIB - 1, 0);
	expect_refused(&t, fds, 2, "overlap in front-end address space");
	t.regions[1] = region(0x100000, 64 * KIB, 0x7f0000000000 - 4096, 0);
	expect_refused(&t, fds, 2, "overlap in front-end address space");
	close(fd);
}

static void refuse_wrap_around(void **state)
{
	int fd = pattern_fd(64 * KIB, 14);
	struct vu_mem_table t = { .nregions = 1 };

	(void)state;
	t.regions[0] = region(UINT64_MAX - 4095, 8192, 0x7f0000000000, 0);
	expect_refused(&t, &fd, 1, "wraps around");
	t.regions[0] = region(0x0, 8192, UINT64_MAX - 4095, 0);
	expect_refused(&t, &fd, 1, "wraps around");
	t.regions[0] = region(0x0, 8192, 0x7f0000000000, UINT64_MAX - 4095);
	expect_refused(&t, &fd, 1, "wraps around");
	t.regions[0] = region(0x0, (1ull << 40) + 4096, 0x10000, 0);
	expect_refused(&t, &fd, 1, "too large");
	close(fd);
}

static void refuse_past_end_of_file(void **state)
{
	int fd = pattern_fd(64 * KIB, 15);
	struct vu_mem_table t = { .nregions = 1 };

	(void)state;
	t.regions[0] = region(0x0, 128 * KIB, 0x7f0000000000, 0);
	expect_refused(&t, &fd, 1, "past the end of its file");
	t.regions[0] = region(0x0, 64 * KIB, 0x7f0000000000, 4096);
	expect_refused(&t, &fd, 1, "past the end of its file");
	t.regions[0] = region(0x0, 64 * KIB - 100, 0x7f0000000000, 101);
	expect_refused(&t, &fd, 1, "past the end of its file");
	t.regions[0] = region(0x0, 64 * KIB - 100, 0x7f0000000000, 100); /* exactly fits */
	vu_mem_unmap(map_ok(&t, &fd, 1));
	close(fd);
}

static void refuse_bad_fd(void **state)
{
	int fd = -1;
	struct vu_mem_table t = { .nregions = 1 };
	const char *why = NULL;

	(void)state;
	t.regions[0] = region(0x0, 64 * KIB, 0x7f0000000000, 0);
	assert_null(vu_mem_map(&t, &fd, 1, &why));
	assert_non_null(why);
	assert_non_null(strstr(why, "stat"));
	vu_mem_unmap(NULL); /* a no-op */
}

/* ---- translation boundaries -------------------------------------------------- */

/*
 * R0 [0x10000, 0x20000) and R1 [0x20000, 0x30000) touch in GPA; a hole;
 * R2 [0x50000, 0x60000). Front-end addresses are far apart.
 */
#define R0 0x10000ull
#define R1 0x20000ull
#define R2 0x50000ull
#define RSZ (64 * KIB)
#define U0 0x7f0000000000ull
#define U1 0x7f1000000000ull
#define U2 0x7f2000000000ull

static struct vu_mem *boundary_table(int *fd)
{
	int fds[3];
	struct vu_mem_table t = { .nregions = 3 };

	*fd = pattern_fd(3 * RSZ, 16);
	fds[0] = fds[1] = fds[2] = *fd;
	t.regions[0] = region(R0, RSZ, U0, 0);
	t.regions[1] = region(R1, RSZ, U1, RSZ);
	t.regions[2] = region(R2, RSZ, U2, 2 * RSZ);
	return map_ok(&t, fds, 3);
}

/* ---- memory that goes away -------------------------------------------------- */

/*
 * Regression (issue 10): a front-end that shrinks its memfd after
 * SET_MEM_TABLE turned the next access into SIGBUS and killed the daemon.
 * With the guard, the access reads zeros, the table is flagged, the notify
 * fd is written, and the process lives on.
 */
static void shrunk_region_is_contained(void **state)
{
	struct vu_mem_table t = { .nregions = 2 };
	int fds[2] = { pattern_fd(64 * KIB, 11), pattern_fd(64 * KIB, 12) };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	volatile const uint8_t *p, *q;
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	struct vu_mem *m;

	(void)state;
	assert_true(efd >= 0);
	assert_int_equal(vu_mem_guard_install(efd), 0);
	t.regions[0] = region(0, 64 * KIB, 0x10000000, 0);
	t.regions[1] = region(64 * KIB, 64 * KIB, 0x20000000, 0);
	m = map_ok(&t, fds, 2);
	assert_false(m->sealed);
	assert_int_equal(m->total, 128 * KIB);
	p = vu_mem_gpa(m, 100, 1);
	q = vu_mem_gpa(m, 64 * KIB + 100, 1);
	assert_int_equal(*p, file_byte(11, 100));
	assert_int_equal(ftruncate(fds[0], 0), 0); /* the front-end takes it away */
	assert_int_equal(*p, 0); /* would be SIGBUS */
	assert_true(vu_mem_faulted(m));
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(*q, file_byte(12, 100)); /* the other region is untouched */
	vu_mem_unmap(m);
	close(fds[0]);
	close(fds[1]);
	close(efd);
	vu_mem_guard_install(-1);
}

/* A sealed memfd cannot shrink: the table says so (xvsctl show). */
static void sealed_region(void **state)
{
	struct vu_mem_table t = { .nregions = 1 };
	int fd = memfd_create("xvs-test-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct vu_mem *m;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 * KIB), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	t.regions[0] = region(0, 64 * KIB, 0x10000000, 0);
	m = map_ok(&t, &fd, 1);
	assert_true(m->sealed);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_false(vu_mem_faulted(m));
	vu_mem_unmap(m);
	close(fd);
}

/* A span: scratch first, then every region, no hole anywhere (each page
 * readable and writable: a hole would be PROT_NONE and fault), the
 * regions' bytes where the translation says, and the scratch host-owned
 * (writing it changes no file). Unaligned offsets and sizes leave gaps
 * between the regions' mappings that must be filled. */
static void span_without_holes(void **state)
{
	struct vu_mem_table t = { .nregions = 3 };
	int fds[3] = { pattern_fd(256 * KIB, 1), pattern_fd(300 * KIB, 2), pattern_fd(64 * KIB, 3) };
	const char *why = NULL;
	struct vu_mem *m;
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), off;
	int i;

	(void)state;
	t.regions[0] = region(0, 256 * KIB, 0x100000, 0);
	t.regions[1] = region(0x100000, 300 * KIB - 100, 0x200000, 100); /* odd size and offset */
	t.regions[2] = region(0x200000, 60 * KIB, 0x300000, 4 * KIB);
	m = vu_mem_map_span(&t, fds, 3, 10000, &why);
	if (!m)
		fail_msg("span refused: %s", why);
	assert_non_null(m->scratch);
	assert_true(m->scratch_len >= 10000);
	assert_true(m->scratch_len % pg == 0);
	assert_true((uintptr_t)m->scratch % pg == 0);
	/* the scratch is right before the first region's mapping */
	assert_ptr_equal(m->scratch + m->scratch_len, m->map_start[0]);
	for (i = 0; i < 3; i++) {
		assert_true(m->r[i].hva >= m->scratch + m->scratch_len);
		assert_true(m->r[i].hva + m->r[i].size <= m->scratch + m->span_len);
	}
	assert_ptr_equal(m->scratch + m->span_len, m->map_start[2] + m->map_len[2]);
	for (off = 0; off < m->span_len; off += pg) /* a hole would fault */
		__atomic_fetch_add(m->scratch + off, 0, __ATOMIC_RELAXED);
	memset(m->scratch, 0xee, m->scratch_len);
	expect_bytes(m, 0, 256 * KIB, 1, 0);
	expect_bytes(m, 0x100000, 300 * KIB - 100, 2, 100);
	expect_bytes(m, 0x200000, 60 * KIB, 3, 4 * KIB);
	vu_mem_unmap(m);
	/* without a span, as before: no scratch */
	m = map_ok(&t, fds, 3);
	assert_null(m->scratch);
	assert_int_equal(m->span_len, 0);
	vu_mem_unmap(m);
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static void write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

/* A 2 MiB hugetlbfs region after a 12 KiB memfd one: the huge region must
 * start 2 MiB-aligned, and the gap before it is host memory in a span
 * (without the fill, touching it faults). Needs two free huge pages: the
 * test reserves them for itself (as root) and gives them back. */
static void span_fills_gap_before_huge_region(void **state)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long had = read_long(nr), free_pages = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	struct vu_mem_table t = { .nregions = 2 };
	uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), off;
	const char *why = NULL;
	struct vu_mem *m;
	int fds[2];

	(void)state;
	if (had < 0 || free_pages < 0) {
		print_message("skip: no 2 MiB huge pages in this kernel (no %s or "
			      "hugepages-2048kB/free_hugepages)\n", nr);
		skip();
	}
	if (free_pages < 2)
		write_long(nr, had + 2 - free_pages);
	fds[0] = pattern_fd(12 * KIB, 1);
	fds[1] = memfd_create("xvs-test-huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (fds[1] < 0 || ftruncate(fds[1], 2 << 20)) {
		print_message("skip: cannot get a 2 MiB hugetlb memfd (MFD_HUGETLB): %s\n",
			      strerror(errno));
		write_long(nr, had);
		skip();
	}
	t.regions[0] = region(0, 12 * KIB, 0x100000, 0);
	t.regions[1] = region(0x200000, 2 << 20, 0x400000, 0);
	m = vu_mem_map_span(&t, fds, 2, 4096, &why);
	if (!m) {
		write_long(nr, had);
		fail_msg("span refused: %s", why);
	}
	assert_true((uintptr_t)m->map_start[1] % (2 << 20) == 0);
	/* the scratch is page-sized, not a huge page of its own (all of the
	 * span may be pinned) */
	assert_int_equal(m->scratch_len, 4096);
	assert_ptr_equal(m->scratch + m->scratch_len, m->map_start[0]);
	assert_true(m->map_start[1] > m->map_start[0] + m->map_len[0]); /* a gap */
	for (off = 0; off < m->span_len; off += pg) /* a hole would fault */
		__atomic_fetch_add(m->scratch + off, 0, __ATOMIC_RELAXED);
	expect_bytes(m, 0, 12 * KIB, 1, 0);
	vu_mem_unmap(m);
	close(fds[0]);
	close(fds[1]);
	write_long(nr, had);
}

static void gpa_boundaries(void **state)
{
	struct vu_mem *m;
	uint8_t *first;
	int fd;

	(void)state;
	m = boundary_table(&fd);
	first = vu_mem_gpa(m, R0, 1);
	assert_non_null(first);
	assert_ptr_equal(vu_mem_gpa(m, R0, RSZ), first); /* the whole region */
	assert_ptr_equal(vu_mem_gpa(m, R0 + RSZ - 1, 1), first + RSZ - 1); /* last byte */
	assert_int_equal(*(uint8_t *)vu_mem_gpa(m, R2 + RSZ - 1, 1), file_byte(16, 3 * RSZ - 1));
	assert_null(vu_mem_gpa(m, R2 + RSZ, 1)); /* one past */
	assert_null(vu_mem_gpa(m, R0 - 1, 1)); /* one before */
	assert_null(vu_mem_gpa(m, R0 - 1, 2));
	assert_null(vu_mem_gpa(m, R1 + RSZ, 1)); /* the hole */
	assert_ptr_equal(vu_mem_gpa(m, R0 + 5, 0), first + 5); /* len 0 inside */
	assert_null(vu_mem_gpa(m, R1 + RSZ + 5, 0)); /* len 0 in the hole */
	assert_non_null(vu_mem_gpa(m, R2 + RSZ - 16, 16)); /* ends at the end */
	assert_null(vu_mem_gpa(m, R2 + RSZ - 16, 17)); /* one byte further */
	assert_null(vu_mem_gpa(m, R0 + RSZ - 16, 32)); /* into the next region */
	assert_null(vu_mem_gpa(m, R0, RSZ + 1));
	/* lengths that overflow gpa + len */
	assert_null(vu_mem_gpa(m, R0, UINT64_MAX));
	assert_null(vu_mem_gpa(m, R2 + RSZ - 1, UINT64_MAX));
	assert_null(vu_mem_gpa(m, R0 + 16, UINT64_MAX - 15)); /* gpa + len wraps to R0 */
	assert_null(vu_mem_gpa(m, UINT64_MAX, 2));
	assert_null(vu_mem_gpa(m, UINT64_MAX, 1));
	vu_mem_unmap(m);
	close(fd);
}

static void gpa_piece_boundaries(void **state)
{
	struct vu_mem *m;
	void *hva = NULL;
	int fd;

	(void)state;
	m = boundary_table(&fd);
	assert_int_equal(vu_mem_gpa_piece(m, R0 + 100, 10, &hva), 10);
	assert_ptr_equal(hva, vu_mem_gpa(m, R0 + 100, 1));
	/* a buffer over R0 → R1 comes in two pieces */
	assert_int_equal(vu_mem_gpa_piece(m, R1 - 16, 48, &hva), 16);
	assert_ptr_equal(hva, vu_mem_gpa(m, R1 - 16, 1));
	assert_int_equal(vu_mem_gpa_piece(m, R1, 32, &hva), 32);
	assert_ptr_equal(hva, vu_mem_gpa(m, R1, 1));
	assert_int_equal(*(uint8_t *)hva, file_byte(16, RSZ));
	/* last byte; then nothing */
	assert_int_equal(vu_mem_gpa_piece(m, R2 + RSZ - 1, 100, &hva), 1);
	assert_int_equal(vu_mem_gpa_piece(m, R2 + RSZ, 1, &hva), 0);
	assert_int_equal(vu_mem_gpa_piece(m, R1 + RSZ, 1, &hva), 0); /* hole */
	assert_int_equal(vu_mem_gpa_piece(m, R0 - 1, 2, &hva), 0);
	assert_int_equal(vu_mem_gpa_piece(m, UINT64_MAX, UINT64_MAX, &hva), 0);
	/* a huge length is clamped to the region */
	assert_int_equal(vu_mem_gpa_piece(m, R0 + 1, UINT64_MAX, &hva), RSZ - 1);
	vu_mem_unmap(m);
	close(fd);
}

static void uva_boundaries(void **state)
{
	struct vu_mem *m;
	uint8_t *first;
	int fd;

	(void)state;
	m = boundary_table(&fd);
	first = vu_mem_uva(m, U1, 1);
	assert_ptr_equal(first, vu_mem_gpa(m, R1, 1));
	assert_ptr_equal(vu_mem_uva(m, U1 + RSZ - 1, 1), first + RSZ - 1);
	assert_ptr_equal(vu_mem_uva(m, U1, RSZ), first);
	assert_null(vu_mem_uva(m, U1 + RSZ, 1));
	assert_null(vu_mem_uva(m, U1 - 1, 1));
	assert_null(vu_mem_uva(m, U1 + RSZ - 8, 9));
	assert_ptr_equal(vu_mem_uva(m, U1 + 3, 0), first + 3);
	assert_null(vu_mem_uva(m, U1 + RSZ + 3, 0));
	assert_null(vu_mem_uva(m, U1, UINT64_MAX));
	assert_null(vu_mem_uva(m, U1 + 16, UINT64_MAX - 15));
	assert_null(vu_mem_uva(m, R1, 1)); /* a GPA is not a front-end address */
	assert_ptr_equal(vu_mem_uva(m, U2 + RSZ - 1, 1), vu_mem_gpa(m, R2 + RSZ - 1, 1));
	vu_mem_unmap(m);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single_region),
		cmocka_unit_test(several_regions),
		cmocka_unit_test(adjacent_regions),
		cmocka_unit_test(eight_regions),
		cmocka_unit_test(page_aligned_offset),
		cmocka_unit_test(unaligned_offsets),
		cmocka_unit_test(refuse_region_count),
		cmocka_unit_test(refuse_fd_count_mismatch),
		cmocka_unit_test(refuse_empty_region),
		cmocka_unit_test(refuse_gpa_overlap),
		cmocka_unit_test(refuse_uva_overlap),
		cmocka_unit_test(refuse_wrap_around),
		cmocka_unit_test(refuse_past_end_of_file),
		cmocka_unit_test(refuse_bad_fd),
		cmocka_unit_test(span_without_holes),
		cmocka_unit_test(span_fills_gap_before_huge_region),
		cmocka_unit_test(gpa_boundaries),
		cmocka_unit_test(gpa_piece_boundaries),
		cmocka_unit_test(uva_boundaries),
		cmocka_unit_test(shrunk_region_is_contained),
		cmocka_unit_test(sealed_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
