// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory: one memfd, MAP_SHARED (as QEMU's memory-backend-memfd with
 * share=on), handed to the back-end in SET_MEM_TABLE.
 *
 * With one region its guest-physical address is 0. With N regions the
 * memfd is cut into N equal slices, consecutive in our address space and in
 * the file, but placed at guest-physical addresses in the reverse order and
 * 1 GiB or more apart: a back-end that translates by offset instead of by
 * region, or that assumes sorted regions, reads the wrong memory.
 *
 *	host:  [ r0 ][ r1 ][ r2 ]            (userspace_addr, mmap_offset)
 *	guest:  r2 @ 0   r1 @ S   r0 @ 2S    (S = align(slice, 1 GiB) + 1 GiB)
 *
 * Allocations never straddle two regions. With VF_MEM_CONTIGUOUS the
 * regions sit back to back in guest-physical space too (r0 @ 0, r1 @ slice
 * ...): a guest buffer can then cross from one region into the next.
 *
 * With VF_MEM_SEAL the memfd is sealed against shrinking and growing (and
 * further sealing) before anyone sees it, as QEMU's memory-backend-memfd
 * does by default (seal=on): a back-end can rely on its size. Without it,
 * the memory can be truncated under the back-end's mappings (--evil
 * mem-shrink), whose next access then faults with SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/log.h"
#include "vufront.h"

#define VF_PAGE 4096ul
#define VF_GIB (1ull << 30)

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int vf_mem_init(struct vf_mem *m, size_t size, unsigned int nregions, unsigned int flags)
{
	uint64_t slice, stride;
	unsigned int i;
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (!nregions || nregions > VU_MAX_MEM_REGIONS)
		return -EINVAL;
	slice = size / nregions / VF_PAGE * VF_PAGE;
	if (!slice)
		return -EINVAL;

	m->fd = memfd_create(VF_NAME, MFD_CLOEXEC | (flags & VF_MEM_SEAL ? MFD_ALLOW_SEALING : 0));
	if (m->fd < 0) {
		err = -errno;
		log_err("memfd_create: %s", strerror(errno));
		return err;
	}
	if (ftruncate(m->fd, (off_t)(slice * nregions)) < 0) {
		err = -errno;
		log_err("ftruncate memfd to %zu bytes: %s", size, strerror(errno));
		goto err_close;
	}
	if (flags & VF_MEM_SEAL &&
	    fcntl(m->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		err = -errno;
		log_err("sealing the memfd: %s", strerror(errno));
		goto err_close;
	}
	m->size = slice * nregions;
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->base == MAP_FAILED) {
		err = -errno;
		m->base = NULL;
		log_err("mmap %zu bytes of guest memory: %s", m->size, strerror(errno));
		goto err_close;
	}

	stride = align_up(slice, VF_GIB) + VF_GIB;
	m->nregions = nregions;
	for (i = 0; i < nregions; i++) {
		m->r[i].offset = i * slice;
		m->r[i].va = m->base + i * slice;
		m->r[i].size = slice;
		m->r[i].gpa = flags & VF_MEM_CONTIGUOUS ? i * slice :
							  (uint64_t)(nregions - 1 - i) * stride;
	}
	return 0;

err_close:
	close(m->fd);
	m->fd = -1;
	return err;
}

void vf_mem_free(struct vf_mem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->fd = -1;
}

void *vf_mem_alloc(struct vf_mem *m, size_t size, size_t align)
{
	uint64_t slice = m->r[0].size, at;

	if (!size || size > slice)
		return NULL;
	at = align_up(m->used, align);
	if (at / slice != (at + size - 1) / slice) /* would straddle: next region */
		at = align_up((at / slice + 1) * slice, align);
	if (at + size > m->size)
		return NULL;
	m->used = at + size;
	return m->base + at; /* a fresh memfd reads as zeroes */
}

uint64_t vf_mem_gpa(const struct vf_mem *m, const void *p)
{
	const uint8_t *b = p;
	unsigned int i;

	for (i = 0; i < m->nregions; i++)
		if (b >= m->r[i].va && b < m->r[i].va + m->r[i].size)
			return m->r[i].gpa + (uint64_t)(b - m->r[i].va);
	return UINT64_MAX; /* not guest memory: a bug in the caller */
}

uint64_t vf_mem_gpa_end(const struct vf_mem *m)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < m->nregions; i++)
		if (m->r[i].gpa + m->r[i].size > end)
			end = m->r[i].gpa + m->r[i].size;
	return end;
}
