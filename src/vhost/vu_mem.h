/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vu_mem: a guest's memory table. The regions' fds are mapped one after the
 * other into a single reserved virtual range, so that the whole of guest RAM
 * is one contiguous area (the future zero-copy UMEM). Addresses coming from
 * the guest (guest-physical, in descriptors) or from the front-end (its own
 * virtual addresses, for ring locations) are translated here, always with
 * the length they must cover: nothing outside a region is ever returned.
 *
 * Immutable once built: a new SET_MEM_TABLE builds a new vu_mem and the
 * device swaps it in under its vring locks.
 *
 * Memory that goes away: a front-end can shrink a region's file after we
 * mapped it (memfds without F_SEAL_SHRINK, tmpfs and hugetlbfs files can
 * all be truncated), and the next access to it raises SIGBUS. With
 * vu_mem_guard_install() the daemon contains it: the SIGBUS handler maps
 * anonymous memory over the faulting region (the access then reads zeros;
 * writes land in memory the guest no longer sees), flags the table
 * (vu_mem_faulted) and wakes the control thread, which disconnects the
 * port. A SIGBUS anywhere else is re-raised as before.
 */
#ifndef XVS_VU_MEM_H
#define XVS_VU_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost/vu_proto.h"

struct vu_mem_map {
	uint64_t gpa; /* guest-physical start */
	uint64_t uva; /* front-end virtual start */
	uint64_t size;
	uint8_t *hva; /* our mapping of the start */
};

struct vu_mem {
	int nregions;
	struct vu_mem_map r[VU_MAX_MEM_REGIONS];
	uint8_t *base; /* the reserved range */
	size_t base_len;
	/* each region's whole mapping (page-aligned), for the SIGBUS guard */
	uint8_t *map_start[VU_MAX_MEM_REGIONS];
	size_t map_len[VU_MAX_MEM_REGIONS];
	/* vu_mem_map_span(): host-owned memory right before the first region,
	 * and the span from it to the end of the last region, without holes
	 * (gaps between regions are host memory too) */
	uint8_t *scratch;
	size_t scratch_len;
	size_t span_len; /* 0 without a span */
	uint64_t total; /* bytes of guest memory */
	bool sealed; /* no region can shrink (F_SEAL_SHRINK on every fd) */
	int faulted; /* set by the SIGBUS guard */
};

/*
 * Validate a memory table from the wire and map its fds. `fds` holds
 * `nfds` descriptors; they are not consumed (the caller closes them).
 * Returns a new table or NULL with errno set and a reason in `why`.
 */
struct vu_mem *vu_mem_map(const struct vu_mem_table *t, const int *fds, int nfds,
			  const char **why);
void vu_mem_unmap(struct vu_mem *m);

/* The same, with `scratch_len` bytes (rounded up to the mappings' page
 * size) of host-owned memory in front of the regions and the gaps between
 * regions filled, so that [m->scratch, m->scratch + m->span_len) is one
 * hole-free range: host memory first, then the whole of guest RAM (what
 * the data plane may register as one zero-copy buffer area). */
struct vu_mem *vu_mem_map_span(const struct vu_mem_table *t, const int *fds, int nfds,
			       size_t scratch_len, const char **why);

/* A file a front-end shares with us and we write outside the guarded guest
 * memory (the dirty log, the in-flight region): checked in the order that
 * holds against a front-end changing it meanwhile (it has the fd too).
 * VU_FILE_OK, or why not: not sealed against shrinking; shorter than
 * `end` (read once the seal holds); on hugetlbfs, where F_SEAL_SHRINK
 * does not stop a punched hole whose reservation goes with it (a write
 * with the pool empty: SIGBUS). */
enum vu_file_check { VU_FILE_OK, VU_FILE_UNSEALED, VU_FILE_SHORT, VU_FILE_HUGETLB };
enum vu_file_check vu_mem_file_check(int fd, uint64_t end);

/* Install the process-wide SIGBUS guard (idempotent); notify_fd (an
 * eventfd, or -1) is written when it contains a fault. Returns 0 or a
 * negative errno. */
int vu_mem_guard_install(int notify_fd);

/* True once an access to this table raised SIGBUS (the guard contained
 * it). */
static inline bool vu_mem_faulted(const struct vu_mem *m)
{
	return __atomic_load_n(&m->faulted, __ATOMIC_ACQUIRE);
}

/* [addr, addr + len) → host pointer if it lies within one region, else
 * NULL; addr is guest-physical, or (uva) a front-end virtual address. */
static inline void *vu_mem_xlate(const struct vu_mem *m, uint64_t addr, uint64_t len, int uva)
{
	int i;

	for (i = 0; i < m->nregions; i++) {
		const struct vu_mem_map *r = &m->r[i];
		uint64_t base = uva ? r->uva : r->gpa;

		/* written so that no sum can overflow */
		if (addr >= base && addr - base < r->size && len <= r->size - (addr - base))
			return r->hva + (addr - base);
	}
	return NULL;
}

/* Guest-physical [gpa, gpa + len) → host pointer (a buffer crossing into
 * the next region is translated piecewise with vu_mem_gpa_piece()). */
static inline void *vu_mem_gpa(const struct vu_mem *m, uint64_t gpa, uint64_t len)
{
	return vu_mem_xlate(m, gpa, len, 0);
}

/* The longest prefix (≤ len, > 0) of [gpa, gpa + len) inside one region;
 * 0 if gpa itself is unmapped. */
static inline uint64_t vu_mem_gpa_piece(const struct vu_mem *m, uint64_t gpa, uint64_t len,
					void **hva)
{
	int i;

	for (i = 0; i < m->nregions; i++) {
		const struct vu_mem_map *r = &m->r[i];
		uint64_t off = gpa - r->gpa, room;

		if (gpa < r->gpa || off >= r->size)
			continue;
		room = r->size - off;
		*hva = r->hva + off;
		return len < room ? len : room;
	}
	return 0;
}

/* Front-end virtual [uva, uva + len) → host pointer, within one region. */
static inline void *vu_mem_uva(const struct vu_mem *m, uint64_t uva, uint64_t len)
{
	return vu_mem_xlate(m, uva, len, 1);
}

#endif /* XVS_VU_MEM_H */
