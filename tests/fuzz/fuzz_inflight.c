// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_inflight: crash resume (src/vhost/vu_inflight.c) with the in-flight
 * record the front-end hands back after a restart as the fuzz input: its
 * check (vu_inflight_recover), the resubmission through vq_pop() and the
 * records the data path keeps afterwards (vu_inflight_popped/_publish).
 *
 * Input: an 8-byte header, then the record (vu_inflight_queue_bytes(size)
 * bytes, zero-filled past the input's end):
 *
 *   0      ring size: 1 << (b % 9), 1..256
 *   1..2   the ring's used index, as the guest shows it (le16)
 *   3..4   the guest's avail index: entries posted past the used index
 *          (b % (size + 1) of them, le16 low byte)
 *   5      bit 0: heads posted on the avail ring are i (else fuzzed from
 *          the record's padding bytes, any value); bits 1-7: pushes per
 *          flush, 1 + b % 32
 *   6..7   unused
 *
 * The record lies in a heap buffer of exactly its size (ASan sees a read
 * past it). Guest memory is one memfd-backed region (vu_mem_map) holding
 * the split ring and one 64-byte buffer per descriptor, every descriptor
 * valid: what is resubmitted pops.
 *
 * Invariants:
 *  - recover returns -EINVAL with a reason ("inflight: ...") or n in
 *    0..size; on n: heads are distinct, below the size, exactly the
 *    records flagged in flight (after the last batch was cleared), in
 *    counter order; the record's used_idx is the ring's; the next counter
 *    is above theirs;
 *  - after vu_inflight_start, the ring's first n chains are heads[] in
 *    order, then the guest's own from used + n; once those are popped the
 *    vq is on the guest's avail ring again;
 *  - every popped head is flagged in flight until its used entry is
 *    flushed; after a flush the record's used_idx is the ring's used->idx
 *    and no head flushed since is flagged; at the end nothing is.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "vhost/vq.h"
#include "vhost/vu_inflight.h"
#include "vhost/vu_mem.h"

#define HDR 8
#define MAXR 256
#define GPA_BASE 0x100000ull
#define UVA_BASE 0x7f0000000000ull
#define MEM_SIZE (64u << 10)
/* layout in guest memory: desc (16 * MAXR), avail, used, then buffers */
#define DESC_OFF 0
#define AVAIL_OFF 4096
#define USED_OFF 8192
#define BUF_OFF 16384

static struct vu_mem *mem;
static uint8_t *ram; /* the driver's view */

static void init_once(void)
{
	struct vu_mem_table t = { .nregions = 1 };
	const char *why = NULL;
	int fd;

	if (mem)
		return;
	fuzz_log_init();
	fd = memfd_create("fuzz-inflight", MFD_CLOEXEC);
	fuzz_check(fd >= 0 && !ftruncate(fd, MEM_SIZE), "memfd");
	ram = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fuzz_check(ram != MAP_FAILED, "mmap");
	t.regions[0] = (struct vu_mem_region){ .guest_phys_addr = GPA_BASE,
					       .memory_size = MEM_SIZE,
					       .userspace_addr = UVA_BASE,
					       .mmap_offset = 0 };
	mem = vu_mem_map(&t, &fd, 1, &why);
	fuzz_check(mem != NULL, "vu_mem_map: %s", why);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint16_t rs, used, posted, heads[MAXR], mask, i, per_flush;
	struct vring_avail *avail, *shadow;
	struct vu_ifl_order order[MAXR];
	struct vring_desc *desc;
	struct vring_used *usedr;
	struct vu_ifl_queue *q;
	uint8_t flags, was[MAXR];
	uint64_t counter = 0, last_ctr;
	struct vq vq = { .call_fd = -1, .kick_fd = -1 };
	struct vq_chain c[32];
	const char *why = NULL;
	size_t len, k;
	int n, popped = 0, total;

	init_once();
	rs = (uint16_t)(1u << (fuzz_u8(&in) % 9));
	mask = (uint16_t)(rs - 1);
	used = fuzz_u16(&in);
	posted = (uint16_t)(fuzz_u16(&in) % (rs + 1u));
	flags = fuzz_u8(&in);
	per_flush = (uint16_t)(1 + (flags >> 1) % 32);
	fuzz_u16(&in);
	len = vu_inflight_queue_bytes(rs);
	q = calloc(1, len);
	memcpy(q, in.p, in.n < len ? in.n : len);

	/* the guest: a ring at its used index, descriptors all valid */
	memset(ram, 0, BUF_OFF);
	desc = (struct vring_desc *)(ram + DESC_OFF);
	avail = (struct vring_avail *)(ram + AVAIL_OFF);
	usedr = (struct vring_used *)(ram + USED_OFF);
	for (i = 0; i < rs; i++)
		desc[i] = (struct vring_desc){ .addr = GPA_BASE + BUF_OFF + 64ull * i, .len = 64 };
	usedr->idx = used;

	n = vu_inflight_recover(q, len, rs, used, heads, order, &counter, &why);
	fuzz_dbg("ring %u used %u posted %u: recover %d (%s)\n", rs, used, posted, n,
		 n < 0 ? why : "taken");
	if (n < 0) {
		fuzz_check(n == -EINVAL && why && !strncmp(why, "inflight: ", 10), "%d %s", n,
			   why ? why : "(none)");
		goto out;
	}
	fuzz_check(n <= rs, "n %d > size %u", n, rs);
	fuzz_check(q->used_idx == used, "used_idx %u, ring %u", q->used_idx, used);
	memset(was, 0, sizeof(was));
	for (k = 0, i = 0; i < rs; i++)
		k += q->desc[i].inflight == 1;
	fuzz_check(k == (size_t)n, "%zu flagged, %d listed", k, n);
	last_ctr = 0;
	for (i = 0; i < n; i++) {
		fuzz_check(heads[i] < rs && !was[heads[i]] && q->desc[heads[i]].inflight == 1,
			   "head %u", heads[i]);
		was[heads[i]] = 1;
		fuzz_check(q->desc[heads[i]].counter >= last_ctr, "order");
		last_ctr = q->desc[heads[i]].counter;
		fuzz_check(counter > last_ctr, "next counter %llu", (unsigned long long)counter);
	}

	/* the guest posted `posted` entries after what was in flight */
	for (i = 0; i < posted; i++) {
		const uint8_t *pad = q->desc[i].padding;
		uint16_t h = (flags & 1) ? (uint16_t)(i & mask) : (uint16_t)(pad[0] | pad[1] << 8);

		avail->ring[(uint16_t)(used + n + i) & mask] = h;
	}
	avail->idx = (uint16_t)(used + n + posted);

	vq.size = rs;
	vq.hdr_len = 12;
	fuzz_check(!vq_map_rings(&vq, mem, UVA_BASE + DESC_OFF, UVA_BASE + AVAIL_OFF,
				 UVA_BASE + USED_OFF, &why),
		   "map: %s", why);
	vq.ready = true;
	shadow = n ? calloc(1, vu_inflight_shadow_bytes(rs)) : NULL;
	vu_inflight_start(&vq, q, used, heads, (uint16_t)n, counter, shadow);
	fuzz_check(vq.last_avail == used && vq.ifl_end == (uint16_t)(used + n), "start");

	/* bursts: pop, record, return, flush, until the ring is empty or broken */
	total = n + posted;
	for (int rounds = 0; rounds < 2 * MAXR + 2 && popped < total; rounds++) {
		int avail_n = vq_avail_count(&vq), b;

		if (avail_n <= 0)
			break;
		for (b = 0; b < avail_n && b < 32; b++) {
			int r = vq_pop(&vq, &c[b], false);

			if (r) {
				fuzz_check(r == -EFAULT && vq.err, "pop %d", r);
				break;
			}
			if (popped + b < n)
				fuzz_check(c[b].head == heads[popped + b], "resubmitted %u, not %u",
					   c[b].head, heads[popped + b]);
		}
		vu_inflight_popped(&vq, c, b);
		for (int j = 0; j < b; j++)
			fuzz_check(q->desc[c[j].head].inflight == 1, "popped %u not in flight",
				   c[j].head);
		popped += b;
		if (popped >= n)
			fuzz_check(!vq.ifl_resub, "still on the shadow ring after %d", popped);
		for (int j = 0; j < b; j++) {
			vq_push(&vq, c[j].head, 0);
			if ((j + 1) % per_flush == 0 || j == b - 1) {
				vq_flush(&vq);
				fuzz_check(q->used_idx == usedr->idx, "used_idx %u ring %u",
					   q->used_idx, usedr->idx);
			}
		}
		/* everything of the burst was flushed */
		for (int j = 0; j < b; j++)
			fuzz_check(q->desc[c[j].head].inflight == 0, "flushed %u still in flight",
				   c[j].head);
		if (b < avail_n && b < 32)
			break; /* a violation: the ring is broken */
	}
	if (!vq.err && popped == total)
		for (i = 0; i < rs; i++)
			fuzz_check(q->desc[i].inflight == 0, "%u left in flight", i);
	free(vu_inflight_stop(&vq));
out:
	free(q);
	return 0;
}
