// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_vq: the device side of a split virtqueue (src/vhost/vq.c) against a
 * guest whose memory is the fuzz input.
 *
 * Input: a 16-byte header, then the guest memory image (IMG_SIZE bytes,
 * zero-filled past the input's end):
 *
 *   0      ring size: 1 << (b % 9), 1..256
 *   1      bit 0 EVENT_IDX, 1 MRG_RXBUF, 2 10-byte header (else 12),
 *          3 two regions with a hole between them (else one),
 *          4 a call eventfd, 5 RX before TX, 6 kick enable/disable,
 *          7 flush after every chain (else once per burst)
 *   2..3   descriptor table, offset into the image (le16)
 *   4..5   avail ring offset
 *   6..7   used ring offset
 *   8..9   ring base index (SET_VRING_BASE: last_avail = used_idx)
 *   10..11 RX frame length, modulo 9300
 *   12     RX frames: 1 + b % 8
 *   13     RX source: bits 0-1 segments - 1 (max 3), bits 4-7 skip bytes
 *   14     TX bursts: 1 + b % 3
 *   15     reserved
 *
 * Guest memory: one region of 16 KiB at GPA 0, or two of 8 KiB at GPA 0 and
 * GPA 0x3000 (a hole at 0x2000..0x3000); front-end addresses are
 * UVA_BASE + image offset. Each region is its own heap buffer of exactly
 * its size, so that ASan sees any access outside it; the struct vu_mem is
 * built by hand over them.
 *
 * Invariants, beyond "no crash, no undefined behaviour, no hang" (libFuzzer
 * -timeout):
 *  - mapped rings lie inside one region, whole;
 *  - vq_avail_count() is 0..size or -EFAULT with vq->err;
 *  - vq_pop() returns 0, -EMSGSIZE or -EFAULT (with vq->err); a chain has
 *    head < size, at most VQ_MAX_SEGS segments, each inside a region, and
 *    (when 0) their lengths add up to c->len; every byte is read;
 *  - vq_enqueue() returns 0, -ENOBUFS or -EFAULT (with vq->err); on 0 it
 *    queued 1..VQ_MAX_SEGS used entries (1 without MRG_RXBUF) whose heads
 *    are < size and whose lengths add up to header + frame; on -ENOBUFS it
 *    consumed nothing.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fuzz.h"
#include "vhost/vq.h"
#include "vhost/vu_mem.h"

#define HDR_SIZE 16
#define PAGE 4096
#define IMG_SIZE (4 * PAGE)
#define UVA_BASE 0x7f0000000000ull
#define MAX_FRAME 9300

struct guest {
	struct vu_mem mem;
	uint8_t *buf[2];
};

static int call_fd = -1;
static uint8_t frame[MAX_FRAME + 16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_log_init();
	call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fuzz_check(call_fd >= 0, "eventfd: %s", strerror(errno));
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static void guest_build(struct guest *g, const uint8_t *img, size_t n, bool two)
{
	static const struct {
		uint64_t gpa, off, size;
	} one[] = { { 0, 0, IMG_SIZE } }, split[] = { { 0, 0, IMG_SIZE / 2 },
						      { 0x3000, IMG_SIZE / 2, IMG_SIZE / 2 } };
	const __typeof__(one[0]) *lay = two ? split : one;
	int i, nr = two ? 2 : 1;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < nr; i++) {
		uint64_t size = lay[i].size, off = lay[i].off, k;

		g->buf[i] = calloc(1, size);
		fuzz_check(g->buf[i], "out of memory");
		if (off < n) {
			k = n - off < size ? n - off : size;
			memcpy(g->buf[i], img + off, k);
		}
		g->mem.r[i] = (struct vu_mem_map){
			.gpa = lay[i].gpa,
			.uva = UVA_BASE + off,
			.size = size,
			.hva = g->buf[i],
		};
	}
	g->mem.nregions = nr;
}

static void guest_free(struct guest *g)
{
	free(g->buf[0]);
	free(g->buf[1]);
}

/* [p, p + len) inside one region's buffer */
static bool inside(const struct guest *g, const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p;
	int i;

	for (i = 0; i < g->mem.nregions; i++) {
		uintptr_t b = (uintptr_t)g->mem.r[i].hva;
		uint64_t size = g->mem.r[i].size;

		if (a >= b && a - b <= size && len <= size - (a - b))
			return true;
	}
	return false;
}

static void check_rings(const struct guest *g, const struct vq *vq)
{
	uint64_t n = vq->size;

	fuzz_check(inside(g, vq->desc, 16 * n), "descriptor table outside memory");
	fuzz_check(inside(g, vq->avail, 4 + 2 * n + 2), "avail ring outside memory");
	fuzz_check(inside(g, vq->used, 4 + 8 * n + 2), "used ring outside memory");
}

static uint32_t sink;

static void check_chain(const struct guest *g, const struct vq *vq, const struct vq_chain *c,
			int r)
{
	uint64_t sum = 0;
	uint32_t i, k;

	fuzz_check(c->head < vq->size, "head %u, ring size %u", c->head, vq->size);
	fuzz_check(c->nseg <= VQ_MAX_SEGS, "%u segments", c->nseg);
	for (i = 0; i < c->nseg; i++) {
		fuzz_check(inside(g, c->seg[i].base, c->seg[i].len),
			   "segment %u (%u bytes) outside guest memory", i, c->seg[i].len);
		for (k = 0; k < c->seg[i].len; k++) /* every byte, for ASan */
			sink += c->seg[i].base[k];
		sum += c->seg[i].len;
	}
	if (r == 0)
		fuzz_check(sum == c->len, "segments add up to %llu, chain says %u",
			   (unsigned long long)sum, c->len);
}

/* One TX burst: everything available, popped, returned, flushed. Returns
 * false once the guest broke the ring. */
static bool tx_burst(const struct guest *g, struct vq *vq, bool flush_each, bool kick)
{
	static struct vq_chain c;
	int n, i, r;

	if (kick)
		vq_kick_enable(vq);
	n = vq_avail_count(vq);
	fuzz_dbg("tx: %d available\n", n);
	if (n < 0) {
		fuzz_check(n == -EFAULT && vq->err, "vq_avail_count %d", n);
		return false;
	}
	fuzz_check(n <= vq->size, "%d available in a ring of %u", n, vq->size);
	for (i = 0; i < n; i++) {
		r = vq_pop(vq, &c, false);
		fuzz_dbg("tx: pop %d: head %u, %u segments, %u bytes%s%s\n", r, c.head, c.nseg,
			 c.len, r ? ": " : "", r == -EFAULT ? vq->err : "");
		if (r == -EFAULT) {
			fuzz_check(vq->err, "-EFAULT without a reason");
			vq_flush(vq);
			return false;
		}
		fuzz_check(r == 0 || r == -EMSGSIZE, "vq_pop %d", r);
		check_chain(g, vq, &c, r);
		vq_push(vq, c.head, 0);
		if (flush_each)
			vq_flush(vq);
	}
	vq_flush(vq);
	if (kick)
		vq_kick_disable(vq);
	return true;
}

/* RX: frames of `len` bytes from `nsrc` source segments (each its own heap
 * buffer) after `skip` bytes. Returns false once the guest broke the ring. */
static bool rx_frames(struct vq *vq, int frames, uint32_t len, int nsrc, uint32_t skip,
		      bool flush_each)
{
	struct vq_iov src[3];
	uint32_t total = skip + len, off = 0, part;
	uint16_t last, pending, i;
	uint64_t sum;
	bool ok = true;
	int f, s, r, n;

	for (s = 0; s < nsrc; s++) {
		part = s == nsrc - 1 ? total - off : total / (uint32_t)nsrc;
		src[s].base = malloc(part ? part : 1);
		fuzz_check(src[s].base, "out of memory");
		memcpy(src[s].base, frame + off, part);
		src[s].len = part;
		off += part;
	}
	for (f = 0; f < frames && ok; f++) {
		last = vq->last_avail;
		pending = vq->used_pending;
		r = vq_enqueue(vq, src, nsrc, skip, len);
		fuzz_dbg("rx: %u-byte frame: %d, %u buffers%s%s\n", len, r,
			 (uint16_t)(vq->used_pending - pending), r == -EFAULT ? ": " : "",
			 r == -EFAULT ? vq->err : "");
		if (r == -EFAULT) {
			fuzz_check(vq->err, "-EFAULT without a reason");
			ok = false;
			break;
		}
		if (r == -ENOBUFS) {
			fuzz_check(vq->last_avail == last && vq->used_pending == pending,
				   "-ENOBUFS consumed %u chains, queued %u",
				   (uint16_t)(vq->last_avail - last),
				   (uint16_t)(vq->used_pending - pending));
			continue;
		}
		fuzz_check(r == 0, "vq_enqueue %d", r);
		n = (uint16_t)(vq->used_pending - pending);
		fuzz_check(n >= 1 && n <= VQ_MAX_SEGS && (vq->mrg_rxbuf || n == 1),
			   "a frame in %d buffers (mergeable: %d)", n, vq->mrg_rxbuf);
		fuzz_check((uint16_t)(vq->last_avail - last) == n, "%d used for %u popped", n,
			   (uint16_t)(vq->last_avail - last));
		for (sum = 0, i = 0; i < n; i++) {
			const struct vring_used_elem *e =
				&vq->used->ring[(uint16_t)(vq->used_idx + pending + i) &
						(vq->size - 1)];

			fuzz_check(e->id < vq->size, "used id %u", e->id);
			sum += e->len;
		}
		fuzz_check(sum == (uint64_t)vq->hdr_len + len,
			   "used lengths add up to %llu for a %u-byte frame and a %u-byte header",
			   (unsigned long long)sum, len, vq->hdr_len);
		if (flush_each)
			vq_flush(vq);
	}
	vq_flush(vq);
	for (s = 0; s < nsrc; s++)
		free(src[s].base);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static struct vq vq;
	uint16_t desc_off, avail_off, used_off, base, rx_len;
	uint8_t b0, flags, rx_n, rx_src, tx_n;
	const char *why = NULL;
	struct guest g;
	uint64_t junk;
	bool ok = true;
	int i, r;

	if (size < HDR_SIZE)
		return 0;
	b0 = fuzz_u8(&in);
	flags = fuzz_u8(&in);
	desc_off = fuzz_u16(&in);
	avail_off = fuzz_u16(&in);
	used_off = fuzz_u16(&in);
	base = fuzz_u16(&in);
	rx_len = (uint16_t)(fuzz_u16(&in) % MAX_FRAME);
	rx_n = fuzz_u8(&in);
	rx_src = fuzz_u8(&in);
	tx_n = fuzz_u8(&in);
	(void)fuzz_u8(&in);

	guest_build(&g, in.p, in.n, flags & 8);

	memset(&vq, 0, sizeof(vq));
	vq.size = (uint16_t)(1u << (b0 % 9));
	vq.event_idx = flags & 1;
	vq.mrg_rxbuf = flags & 2;
	vq.hdr_len = (flags & 4) ? 10 : 12;
	vq.call_fd = (flags & 16) ? call_fd : -1;
	vq.kick_fd = -1;
	r = vq_map_rings(&vq, &g.mem, UVA_BASE + desc_off, UVA_BASE + avail_off,
			 UVA_BASE + used_off, &why);
	if (r) {
		fuzz_dbg("rings not mapped: %s\n", why);
		fuzz_check(r == -EINVAL && why && !vq.desc && !vq.avail && !vq.used,
			   "vq_map_rings %d", r);
		goto out;
	}
	check_rings(&g, &vq);
	vq.ready = true;
	vq.last_avail = vq.used_idx = vq.avail_cache = base;
	vq_kick_disable(&vq);

	for (i = 0; i < 2 && ok; i++) {
		if ((i == 0) == !!(flags & 32))
			ok = rx_frames(&vq, 1 + rx_n % 8, rx_len, 1 + (rx_src & 3) % 3,
				       rx_src >> 4, flags & 128);
		else
			for (r = 0; r < 1 + tx_n % 3 && ok; r++)
				ok = tx_burst(&g, &vq, flags & 128, flags & 64);
	}
	if (vq.call_fd >= 0)
		(void)!read(call_fd, &junk, sizeof(junk));
out:
	guest_free(&g);
	return 0;
}
