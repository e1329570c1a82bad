/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest-side test harness shared by test_vq.c and test_vu_dev.c.
 *
 * "Guest RAM" is a memfd. The test plays the guest driver through its own
 * mapping of the whole file (guest->ram); the device sees it through
 * vu_mem_map(), region by region, exactly as it sees a QEMU memory table.
 * A region says which guest-physical range maps which file offset; the
 * front-end virtual address of a byte is GUEST_UVA + its file offset.
 *
 * A driver ring (struct drv_ring) lays out desc/avail/used in that memory
 * and posts chains the way a virtio driver does: descriptors, then the
 * avail entry, then avail->idx with a release store.
 */
#ifndef XVS_TESTS_VQ_HARNESS_H
#define XVS_TESTS_VQ_HARNESS_H

#include <linux/virtio_ring.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhost/vq.h"
#include "vhost/vu_mem.h"

#define GUEST_RAM_SIZE (4u << 20)
#define GUEST_GPA 0x40000000ull /* guest-physical start of RAM */
#define GUEST_UVA 0x7f1200000000ull /* front-end virtual address of file offset 0 */
#define GUEST_MAX_REGIONS 4

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t offset; /* into the memfd */
};

struct guest {
	int fd;
	uint8_t *ram; /* the driver's view of the whole file */
	size_t size;
	int nregions;
	struct guest_region r[GUEST_MAX_REGIONS];
	uint64_t brk; /* next free GPA in region 0 (guest_alloc) */
	struct vu_mem *mem; /* the device's view, once guest_map() ran */
};

static inline void guest_init(struct guest *g, size_t size)
{
	memset(g, 0, sizeof(*g));
	g->fd = memfd_create("xvs-test-guest", MFD_CLOEXEC);
	assert_true(g->fd >= 0);
	assert_int_equal(ftruncate(g->fd, (off_t)size), 0);
	g->ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	assert_true(g->ram != MAP_FAILED);
	g->size = size;
}

static inline void guest_add_region(struct guest *g, uint64_t gpa, uint64_t size, uint64_t offset)
{
	assert_true(g->nregions < GUEST_MAX_REGIONS);
	assert_true(offset + size <= g->size);
	g->r[g->nregions++] = (struct guest_region){ gpa, size, offset };
	if (g->nregions == 1)
		g->brk = gpa;
}

/* The SET_MEM_TABLE payload describing the regions. */
static inline void guest_table(const struct guest *g, struct vu_mem_table *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->nregions = (uint32_t)g->nregions;
	for (i = 0; i < g->nregions; i++)
		t->regions[i] = (struct vu_mem_region){
			.guest_phys_addr = g->r[i].gpa,
			.memory_size = g->r[i].size,
			.userspace_addr = GUEST_UVA + g->r[i].offset,
			.mmap_offset = g->r[i].offset,
		};
}

static inline void guest_map(struct guest *g)
{
	int fds[GUEST_MAX_REGIONS], i;
	struct vu_mem_table t;
	const char *why = NULL;

	for (i = 0; i < g->nregions; i++)
		fds[i] = g->fd;
	guest_table(g, &t);
	g->mem = vu_mem_map(&t, fds, g->nregions, &why);
	if (!g->mem)
		fail_msg("vu_mem_map: %s", why);
}

static inline void guest_fini(struct guest *g)
{
	vu_mem_unmap(g->mem);
	munmap(g->ram, g->size);
	close(g->fd);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
}

static inline const struct guest_region *guest_region_of(const struct guest *g, uint64_t gpa)
{
	int i;

	for (i = 0; i < g->nregions; i++)
		if (gpa >= g->r[i].gpa && gpa - g->r[i].gpa < g->r[i].size)
			return &g->r[i];
	fail_msg("GPA 0x%llx is not guest RAM", (unsigned long long)gpa);
	return NULL;
}

/* The driver's pointer to a guest-physical address. */
static inline void *gpa_ptr(const struct guest *g, uint64_t gpa)
{
	const struct guest_region *r = guest_region_of(g, gpa);

	return g->ram + r->offset + (gpa - r->gpa);
}

/* The front-end's virtual address of a guest-physical address. */
static inline uint64_t gpa_uva(const struct guest *g, uint64_t gpa)
{
	const struct guest_region *r = guest_region_of(g, gpa);

	return GUEST_UVA + r->offset + (gpa - r->gpa);
}

/* Carve `len` bytes (aligned) out of region 0; returns their GPA. */
static inline uint64_t guest_alloc(struct guest *g, uint64_t len, uint64_t align)
{
	uint64_t gpa = (g->brk + align - 1) & ~(align - 1);

	assert_true(gpa + len <= g->r[0].gpa + g->r[0].size);
	g->brk = gpa + len;
	return gpa;
}

/* A byte pattern that differs between offsets and seeds. */
static inline uint8_t pattern(uint32_t seed, uint32_t i)
{
	return (uint8_t)(seed * 37 + i * 13 + (i >> 8) * 7 + 1);
}

static inline void fill_pattern(void *p, uint32_t len, uint32_t seed)
{
	uint8_t *b = p;
	uint32_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern(seed, i);
}

/* ---- driver side of a split ring ------------------------------------- */

struct drv_ring {
	struct guest *g;
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx; /* the driver's shadow of avail->idx */
};

/* Lay out a ring of `size` entries (plus the event words) in region 0. */
static inline void drv_ring_init(struct drv_ring *r, struct guest *g, uint16_t size)
{
	uint64_t avail_len = 4 + 2ull * size + 2, used_len = 4 + 8ull * size + 2;

	memset(r, 0, sizeof(*r));
	r->g = g;
	r->size = size;
	r->desc_gpa = guest_alloc(g, 16ull * size, 16);
	r->avail_gpa = guest_alloc(g, avail_len, 2);
	r->used_gpa = guest_alloc(g, used_len, 4096);
	r->desc = gpa_ptr(g, r->desc_gpa);
	r->avail = gpa_ptr(g, r->avail_gpa);
	r->used = gpa_ptr(g, r->used_gpa);
	memset(r->desc, 0, 16ull * size);
	memset(r->avail, 0, avail_len);
	memset(r->used, 0, used_len);
}

/* Hand the ring to a vq as SET_VRING_NUM/ADDR would (features: VERSION_1). */
static inline void drv_ring_attach(struct drv_ring *r, struct vq *vq)
{
	const char *why = NULL;

	vq->size = r->size;
	vq->hdr_len = 12;
	vq->call_fd = -1;
	vq->kick_fd = -1;
	if (vq_map_rings(vq, r->g->mem, gpa_uva(r->g, r->desc_gpa), gpa_uva(r->g, r->avail_gpa),
			 gpa_uva(r->g, r->used_gpa), &why))
		fail_msg("vq_map_rings: %s", why);
	vq->ready = true;
}

static inline void drv_desc(struct drv_ring *r, uint16_t i, uint64_t gpa, uint32_t len,
			    uint16_t flags, uint16_t next)
{
	r->desc[i] = (struct vring_desc){ .addr = gpa, .len = len, .flags = flags, .next = next };
}

/* Make chain `head` available: entry first, then the index (release). */
static inline void drv_post(struct drv_ring *r, uint16_t head)
{
	r->avail->ring[r->avail_idx & (r->size - 1)] = head;
	r->avail_idx++;
	__atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELEASE);
}

static inline uint16_t drv_used_idx(const struct drv_ring *r)
{
	return __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
}

/* used_event lives after the avail ring, avail_event after the used ring. */
static inline uint16_t *drv_used_event(const struct drv_ring *r)
{
	return (uint16_t *)&r->avail->ring[r->size];
}

static inline uint16_t *drv_avail_event(const struct drv_ring *r)
{
	return (uint16_t *)&r->used->ring[r->size];
}

#endif /* XVS_TESTS_VQ_HARNESS_H */
