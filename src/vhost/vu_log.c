// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dirty log of live migration: mapping it, setting its bits. See
 * vu_log.h.
 */
#include "vhost/vu_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


int vu_log_map(struct vu_log *l, int fd, uint64_t size, uint64_t offset, const char **why)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t start = offset & ~(uint64_t)(page - 1);
	void *p;

	if (!size || size > VU_LOG_MAX) {
		*why = "SET_LOG_BASE: log size 0 or over 128 MiB";
		return -EINVAL;
	}
	if (offset > UINT64_MAX - size) {
		*why = "SET_LOG_BASE: log beyond the end of its file";
		return -EINVAL;
	}
	switch (vu_mem_file_check(fd, offset + size)) {
	case VU_FILE_UNSEALED:
		*why = "SET_LOG_BASE: log file not sealed against shrinking";
		return -EINVAL;
	case VU_FILE_SHORT:
		*why = "SET_LOG_BASE: log beyond the end of its file";
		return -EINVAL;
	case VU_FILE_HUGETLB:
		*why = "SET_LOG_BASE: log on hugetlbfs (a hole punched in it: SIGBUS)";
		return -EINVAL;
	case VU_FILE_OK:
		break;
	}
	p = mmap(NULL, offset - start + size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
	if (p == MAP_FAILED) {
		*why = "SET_LOG_BASE: mmap of the log failed";
		return -errno;
	}
	l->map = p;
	l->map_len = offset - start + size;
	l->bits = (uint8_t *)p + (offset - start);
	l->size = size;
	return 0;
}

void vu_log_unmap(struct vu_log *l)
{
	if (l->map)
		munmap(l->map, l->map_len);
	*l = (struct vu_log){ 0 };
}

void vu_log_gpa(const struct vu_log *l, uint64_t gpa, uint64_t len)
{
	uint64_t p, last;

	if (!len || !l->bits || gpa > UINT64_MAX - (len - 1))
		return;
	last = (gpa + len - 1) / VU_LOG_PAGE;
	if (last / 8 >= l->size) /* the log covers less than the range */
		last = l->size * 8 - 1;
	for (p = gpa / VU_LOG_PAGE; p <= last; p++)
		__atomic_fetch_or(&l->bits[p / 8], (uint8_t)(1u << (p % 8)), __ATOMIC_RELAXED);
}

void vu_log_hva(const struct vu_log *l, const struct vu_mem *m, const void *hva, uint64_t len)
{
	const uint8_t *h = hva;
	int i;

	for (i = 0; i < m->nregions; i++) {
		const struct vu_mem_map *r = &m->r[i];

		if (h >= r->hva && (uint64_t)(h - r->hva) < r->size) {
			vu_log_gpa(l, r->gpa + (uint64_t)(h - r->hva), len);
			return;
		}
	}
}
