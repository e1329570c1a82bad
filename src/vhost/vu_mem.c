// SPDX-License-Identifier: GPL-2.0-only
#include "vhost/vu_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

/* ---- SIGBUS guard -------------------------------------------------------- */

/* Every live table, for the signal handler: a slot is claimed under
 * guard_mu and published with a release store of its table; the handler
 * only reads (acquire). A table is unpublished before it is unmapped, and
 * no thread touches guest memory after that (the device swapped it out
 * under its vring locks first). Two tables per port at most (a swap). */
#define GUARD_SLOTS 1024

static struct vu_mem *guard_slot[GUARD_SLOTS];
static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;
static int guard_notify_fd = -1;
static int guard_installed;

static void guard_add(struct vu_mem *m)
{
	int i;

	pthread_mutex_lock(&guard_mu);
	for (i = 0; i < GUARD_SLOTS; i++)
		if (!guard_slot[i]) {
			/* the table is complete before the handler can see it */
			__atomic_store_n(&guard_slot[i], m, __ATOMIC_RELEASE);
			break;
		}
	pthread_mutex_unlock(&guard_mu);
}

static void guard_del(struct vu_mem *m)
{
	int i;

	pthread_mutex_lock(&guard_mu);
	for (i = 0; i < GUARD_SLOTS; i++)
		if (guard_slot[i] == m)
			__atomic_store_n(&guard_slot[i], NULL, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&guard_mu);
}

/* Async-signal-safe: loads, mmap, write. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uint8_t *a = si->si_addr;
	int i, r, saved = errno;

	(void)uc;
	for (i = 0; i < GUARD_SLOTS; i++) {
		struct vu_mem *m = __atomic_load_n(&guard_slot[i], __ATOMIC_ACQUIRE);

		if (!m || a < m->base || a >= m->base + m->base_len)
			continue;
		for (r = 0; r < m->nregions; r++) {
			if (a < m->map_start[r] || a >= m->map_start[r] + m->map_len[r])
				continue;
			/* the region is gone for good: zeros in its place */
			if (mmap(m->map_start[r], m->map_len[r], PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
				 0) == MAP_FAILED)
				break;
			__atomic_store_n(&m->faulted, 1, __ATOMIC_RELEASE);
			if (guard_notify_fd >= 0 &&
			    write(guard_notify_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {
				/* saturated: the control thread is awake anyway */
			}
			errno = saved;
			return;
		}
	}
	/* not guest memory (or not containable): die of it as before, on
	 * return (a fault repeats) or now (a signal somebody sent) */
	signal(sig, SIG_DFL);
	if (si->si_code <= 0)
		raise(sig);
	errno = saved;
}

int vu_mem_guard_install(int notify_fd)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	guard_notify_fd = notify_fd;
	if (__atomic_load_n(&guard_installed, __ATOMIC_ACQUIRE))
		return 0;
	if (sigaction(SIGBUS, &sa, NULL))
		return -errno;
	__atomic_store_n(&guard_installed, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- tables -------------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Checks that need no fd: sizes, overflow, overlap. */
static const char *check_table(const struct vu_mem_table *t, int nfds)
{
	uint32_t i, j;

	if (t->nregions == 0 || t->nregions > VU_MAX_MEM_REGIONS)
		return "region count out of range";
	if ((int)t->nregions != nfds)
		return "region count differs from the number of fds";
	for (i = 0; i < t->nregions; i++) {
		const struct vu_mem_region *r = &t->regions[i];

		if (r->memory_size == 0)
			return "empty region";
		if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr ||
		    r->userspace_addr + r->memory_size < r->userspace_addr ||
		    r->mmap_offset + r->memory_size < r->mmap_offset ||
		    r->memory_size > (1ull << 40))
			return "region wraps around or is too large";
		for (j = 0; j < i; j++) {
			const struct vu_mem_region *o = &t->regions[j];

			if (ranges_overlap(r->guest_phys_addr, r->memory_size, o->guest_phys_addr,
					   o->memory_size))
				return "regions overlap in guest-physical space";
			if (ranges_overlap(r->userspace_addr, r->memory_size, o->userspace_addr,
					   o->memory_size))
				return "regions overlap in front-end address space";
		}
	}
	return NULL;
}

/* Fill [at, at + len) of the reservation with host-owned memory. */
static int map_anon(uint8_t *at, uint64_t len)
{
	if (!len)
		return 0;
	return mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		    0) == MAP_FAILED
		       ? -1
		       : 0;
}

struct vu_mem *vu_mem_map(const struct vu_mem_table *t, const int *fds, int nfds,
			  const char **why)
{
	return vu_mem_map_span(t, fds, nfds, 0, why);
}

struct vu_mem *vu_mem_map_span(const struct vu_mem_table *t, const int *fds, int nfds,
			       size_t scratch_len, const char **why)
{
	uint64_t align[VU_MAX_MEM_REGIONS], maxalign = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t total = 0, cursor, foff, lead, scratch;
	struct vu_mem *m;
	struct stat st;
	uint8_t *p;
	uint32_t i;
	int err, seals;

	*why = check_table(t, nfds);
	if (*why) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < t->nregions; i++) {
		if (fstat(fds[i], &st)) {
			*why = "cannot stat a region's fd";
			return NULL;
		}
		/* hugetlbfs reports its page size here; mappings must honour it */
		align[i] = st.st_blksize > 0 ? (uint64_t)st.st_blksize : maxalign;
		if (align[i] & (align[i] - 1) || align[i] > (1u << 30)) {
			*why = "region fd has an odd block size";
			errno = EINVAL;
			return NULL;
		}
		if (align[i] > maxalign)
			maxalign = align[i];
		if ((uint64_t)st.st_size < t->regions[i].mmap_offset + t->regions[i].memory_size &&
		    S_ISREG(st.st_mode)) {
			*why = "region extends past the end of its file";
			errno = EINVAL;
			return NULL;
		}
	}
	/* sized with the final alignment: every region starts on it */
	for (i = 0; i < t->nregions; i++) {
		lead = t->regions[i].mmap_offset & (align[i] - 1);
		total += align_up(align_up(lead + t->regions[i].memory_size, align[i]), maxalign);
	}

	/* page-sized, right before the first region (not on a huge page of
	 * its own: all of a span may end up pinned) */
	scratch = align_up(scratch_len, (uint64_t)sysconf(_SC_PAGESIZE));
	total += scratch;

	m = calloc(1, sizeof(*m));
	if (!m) {
		*why = "out of memory";
		return NULL;
	}
	/* Reserve the whole range (aligned for the largest page size), then
	 * place the scratch area and each region in it with MAP_FIXED. */
	m->base_len = total + maxalign;
	p = mmap(NULL, m->base_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		*why = "cannot reserve address space";
		goto free_m;
	}
	m->base = p;
	m->sealed = true;
	/* offsets from base, chosen so that base + cursor is maxalign-aligned
	 * as an address */
	cursor = align_up((uint64_t)(uintptr_t)p + scratch, maxalign) - (uint64_t)(uintptr_t)p;
	if (scratch) {
		if (map_anon(m->base + cursor - scratch, scratch)) {
			*why = "cannot map the scratch area";
			goto unmap;
		}
		m->scratch = m->base + cursor - scratch;
		m->scratch_len = scratch;
	}

	for (i = 0; i < t->nregions; i++) {
		const struct vu_mem_region *r = &t->regions[i];
		uint64_t len;

		foff = r->mmap_offset & ~(align[i] - 1);
		lead = r->mmap_offset - foff;
		len = align_up(lead + r->memory_size, align[i]);
		/* MAP_FIXED replaces whatever is there: never leave the
		 * reservation (cannot happen: it was sized for this) */
		if (cursor + len > m->base_len) {
			*why = "memory layout overflow";
			errno = EINVAL;
			goto unmap;
		}
		if (mmap(m->base + cursor, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 fds[i], (off_t)foff) == MAP_FAILED) {
			*why = "cannot map a region";
			goto unmap;
		}
		m->r[i] = (struct vu_mem_map){
			.gpa = r->guest_phys_addr,
			.uva = r->userspace_addr,
			.size = r->memory_size,
			.hva = m->base + cursor + lead,
		};
		m->map_start[i] = m->base + cursor;
		m->map_len[i] = len;
		m->total += r->memory_size;
		seals = fcntl(fds[i], F_GET_SEALS);
		if (seals < 0 || !(seals & F_SEAL_SHRINK))
			m->sealed = false;
		cursor += len;
		len = align_up((uint64_t)(uintptr_t)m->base + cursor, maxalign) -
		      (uint64_t)(uintptr_t)m->base - cursor;
		/* a span has no holes: host memory up to the next region */
		if (scratch && i + 1 < t->nregions && map_anon(m->base + cursor, len)) {
			*why = "cannot fill the gap between regions";
			goto unmap;
		}
		cursor += len;
	}
	if (scratch)
		m->span_len = (size_t)(m->map_start[t->nregions - 1] + m->map_len[t->nregions - 1] -
				       m->scratch);
	m->nregions = (int)t->nregions;
	guard_add(m);
	return m;

unmap:
	err = errno;
	munmap(m->base, m->base_len);
	errno = err;
free_m:
	err = errno;
	free(m);
	errno = err;
	return NULL;
}

void vu_mem_unmap(struct vu_mem *m)
{
	if (!m)
		return;
	guard_del(m);
	munmap(m->base, m->base_len);
	free(m);
}

enum vu_file_check vu_mem_file_check(int fd, uint64_t end)
{
	int seals = fcntl(fd, F_GET_SEALS);
	struct statfs sfs;
	struct stat st;

	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return VU_FILE_UNSEALED;
	if (fstat(fd, &st) || (uint64_t)st.st_size < end)
		return VU_FILE_SHORT;
	if (fstatfs(fd, &sfs) || sfs.f_type == HUGETLBFS_MAGIC)
		return VU_FILE_HUGETLB;
	return VU_FILE_OK;
}
