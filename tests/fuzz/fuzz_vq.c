// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_vq: the device side of a virtqueue, split (src/vhost/vq.c) or packed
 * (src/vhost/vq_packed.c), against a guest whose memory is the fuzz input.
 *
 * Input: a 16-byte header, then the guest memory image (IMG_SIZE bytes,
 * zero-filled past the input's end):
 *
 *   0      ring size: 1 << (b % 9), 1..256
 *   1      bit 0 EVENT_IDX, 1 MRG_RXBUF, 2 10-byte header (else 12),
 *          3 two regions with a hole between them (else one),
 *          4 a call eventfd, 5 RX before TX, 6 kick enable/disable,
 *          7 flush after every chain (else once per burst)
 *   2..3   descriptor table (packed: descriptor ring), offset into the
 *          image (le16)
 *   4..5   avail ring offset (packed: driver event suppression area)
 *   6..7   used ring offset (packed: device event suppression area)
 *   8..9   ring base index (SET_VRING_BASE: last_avail = used_idx; packed:
 *          position in bits 0-14, both wrap counters in bit 15)
 *   10..11 RX frame length, modulo 9300
 *   12     RX frames: 1 + b % 8
 *   13     RX source: bits 0-1 segments - 1 (max 3), bits 4-7 skip bytes
 *   14     TX bursts: 1 + b % 3
 *   15     bit 0 a packed ring (else split; the other bits only for
 *          packed:) bit 1 TX buffers returned in reverse order (else in
 *          the order popped), bits 2-7 TX chains given back per burst with
 *          vq_unpop() (at most those popped) and popped again
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
 *  - vq_avail_count() is 0..size or (split) -EFAULT with vq->err;
 *  - vq_pop() returns 0, -EMSGSIZE, -EFAULT (with vq->err) or (packed)
 *    -EAGAIN; a chain has head < size, at most VQ_MAX_SEGS segments, each
 *    inside a region, and (when 0) their lengths add up to c->len; every
 *    byte is read;
 *  - vq_enqueue() returns 0, -ENOBUFS or -EFAULT (with vq->err); on 0 it
 *    queued 1..VQ_MAX_SEGS used entries (1 without MRG_RXBUF) whose heads
 *    are < size and whose lengths add up to header + frame; on -ENOBUFS it
 *    consumed nothing.
 * Packed rings, also:
 *  - a popped buffer id is below the size and was not in flight; the
 *    buffer id table (vq->pk_ndesc) says in flight exactly for the ids
 *    popped and not returned, with the positions each chain took; nothing
 *    is in flight between bursts, and then the used position is the
 *    avail position (both wrap counters too);
 *  - -EAGAIN and -ENOBUFS leave the position and wrap counter as they
 *    were; vq_unpop() restores those of the first chain given back and
 *    takes their ids out of flight, and popping again gives the same
 *    chains;
 *  - vq_push() writes the id and length at the used position and moves it
 *    by the positions the buffer took, the flags of a batch's first used
 *    descriptor only at vq_flush() (TX); after vq_flush() the batch's used
 *    descriptors have flags AVAIL = USED = the wrap counter of their lap,
 *    and WRITE exactly when their length is not 0 (TX: every one; RX: the
 *    batch's first, the others as soon as they are pushed, when the
 *    frame's buffers took no more than the ring);
 *  - vq_kick_enable() writes DESC with the avail position and wrap counter
 *    (EVENT_IDX) or ENABLE; vq_kick_disable() DISABLE.
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
#define MAX_RING 256

#define PK_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PK_USED (1u << VRING_PACKED_DESC_F_USED)
#define PK_WRAP (1u << VRING_PACKED_EVENT_F_WRAP_CTR)

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

	if (vq->packed) {
		fuzz_check(inside(g, vq->pdesc, 16 * n), "descriptor ring outside memory");
		fuzz_check(inside(g, vq->driver_ev, 4), "driver event area outside memory");
		fuzz_check(inside(g, vq->device_ev, 4), "device event area outside memory");
		return;
	}
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

/* ---- packed rings ------------------------------------------------------ */

/* The harness's account of the buffer ids in flight. */
static bool inflight[MAX_RING];
static int ninflight;

/* Positions from (pos, wrap) to (to, to_wrap) going forward: 1..size
 * (a chain as long as the ring comes back to where it started). */
static uint32_t pk_dist(const struct vq *vq, uint16_t pos, bool wrap, uint16_t to, bool to_wrap)
{
	uint32_t d = (uint32_t)(to - pos + vq->size) % vq->size;

	if (d == 0 && wrap != to_wrap)
		d = vq->size;
	return d;
}

static void pk_advance(const struct vq *vq, uint16_t *pos, bool *wrap, uint32_t n)
{
	uint32_t p = *pos + n;

	if (p >= vq->size) {
		p -= vq->size;
		*wrap = !*wrap;
	}
	*pos = (uint16_t)p;
}

/* The device's table agrees with the harness's account. */
static void pk_check_table(const struct vq *vq)
{
	int id, n = 0;

	for (id = 0; id < vq->size; id++) {
		fuzz_check(!!vq->pk_ndesc[id] == inflight[id], "id %d: %u positions, in flight: %d",
			   id, vq->pk_ndesc[id], inflight[id]);
		fuzz_check(vq->pk_ndesc[id] <= vq->size, "id %d took %u positions", id,
			   vq->pk_ndesc[id]);
		n += inflight[id];
	}
	fuzz_check(n == ninflight && n <= vq->size, "%d in flight (%d counted)", n, ninflight);
}

/* Between bursts nothing is in flight: the used position is the avail one. */
static void pk_check_idle(const struct vq *vq)
{
	fuzz_check(ninflight == 0, "%d buffers in flight between bursts", ninflight);
	fuzz_check(vq->used_idx == vq->last_avail && vq->used_wrap == vq->avail_wrap,
		   "used position %u (wrap %d), avail position %u (wrap %d)", vq->used_idx,
		   vq->used_wrap, vq->last_avail, vq->avail_wrap);
	fuzz_check(vq->last_avail < vq->size, "position %u in a ring of %u", vq->last_avail,
		   vq->size);
	pk_check_table(vq);
}

static uint16_t pk_used_flags(bool wrap, uint32_t len)
{
	return (uint16_t)((wrap ? PK_AVAIL | PK_USED : 0) | (len ? VRING_DESC_F_WRITE : 0));
}

struct pk_pop {
	int r;
	uint16_t id, pos, nseg;
	bool wrap;
	uint32_t len;
};

/* One used descriptor pushed since the last flush. */
struct pk_used {
	uint16_t pos;
	bool wrap;
	uint32_t len;
};

/* Push `id` (len bytes) and check what was written; recorded in *u. */
static void pk_push(struct vq *vq, uint16_t id, uint32_t len, struct pk_used *u)
{
	uint16_t pos = vq->used_idx, nd = vq->pk_ndesc[id], want = pos;
	bool wrap = vq->used_wrap, want_wrap = wrap;
	const struct vring_packed_desc *d = &vq->pdesc[pos];
	uint16_t flags = d->flags, first = !vq->used_pending;

	fuzz_check(id < vq->size && inflight[id] && nd >= 1, "pushing id %u (%u positions)", id,
		   nd);
	vq_push(vq, id, len);
	fuzz_check(d->id == id && d->len == len, "used at %u: id %u len %u, pushed %u len %u",
		   pos, d->id, d->len, id, len);
	/* the batch's first is published by vq_flush(), last */
	fuzz_check(!first || d->flags == flags, "first used descriptor at %u: flags 0x%x before "
		   "the flush, 0x%x before the push", pos, d->flags, flags);
	pk_advance(vq, &want, &want_wrap, nd);
	fuzz_check(vq->used_idx == want && vq->used_wrap == want_wrap,
		   "used position %u (wrap %d) after %u positions from %u, expected %u (%d)",
		   vq->used_idx, vq->used_wrap, nd, pos, want, want_wrap);
	fuzz_check(!vq->pk_ndesc[id], "id %u still in flight after its push", id);
	inflight[id] = false;
	ninflight--;
	*u = (struct pk_used){ pos, wrap, len };
}

static void pk_flush(struct vq *vq, const struct pk_used *u, int n)
{
	int i;

	vq_flush(vq);
	for (i = 0; i < n; i++)
		fuzz_check(vq->pdesc[u[i].pos].flags == pk_used_flags(u[i].wrap, u[i].len),
			   "used descriptor %d of %d at %u: flags 0x%x, expected 0x%x", i, n,
			   u[i].pos, vq->pdesc[u[i].pos].flags, pk_used_flags(u[i].wrap, u[i].len));
	fuzz_check(vq->used_pending == 0, "%u pending after a flush", vq->used_pending);
}

static void pk_check_kick(const struct vq *vq, bool enabled)
{
	uint16_t fl = vq->device_ev->flags, ow = vq->device_ev->off_wrap;

	if (!enabled)
		fuzz_check(fl == VRING_PACKED_EVENT_FLAG_DISABLE, "kicks off: flags %u", fl);
	else if (vq->event_idx)
		fuzz_check(fl == VRING_PACKED_EVENT_FLAG_DESC &&
				   ow == (uint16_t)(vq->last_avail | (vq->avail_wrap ? PK_WRAP : 0)),
			   "kicks on: flags %u off_wrap 0x%x at %u (wrap %d)", fl, ow, vq->last_avail,
			   vq->avail_wrap);
	else
		fuzz_check(fl == VRING_PACKED_EVENT_FLAG_ENABLE, "kicks on: flags %u", fl);
}

/* One pop, checked against the harness's account; recorded in *p. */
static int pk_pop(const struct guest *g, struct vq *vq, struct vq_chain *c, struct pk_pop *p)
{
	uint16_t pos = vq->last_avail;
	bool wrap = vq->avail_wrap;
	uint32_t d;
	int r = vq_pop(vq, c, false);

	fuzz_dbg("tx: pop at %u (wrap %d): %d: id %u, %u segments, %u bytes%s%s\n", pos, wrap, r,
		 c->head, c->nseg, c->len, r ? ": " : "", r == -EFAULT ? vq->err : "");
	*p = (struct pk_pop){ r, c->head, pos, c->nseg, wrap, c->len };
	if (r == -EFAULT) {
		fuzz_check(vq->err, "-EFAULT without a reason");
		return r;
	}
	if (r == -EAGAIN) {
		fuzz_check(vq->last_avail == pos && vq->avail_wrap == wrap,
			   "-EAGAIN moved the position from %u to %u", pos, vq->last_avail);
		return r;
	}
	fuzz_check(r == 0 || r == -EMSGSIZE, "vq_pop %d", r);
	check_chain(g, vq, c, r);
	fuzz_check(!inflight[c->head], "id %u popped twice", c->head);
	inflight[c->head] = true;
	ninflight++;
	d = pk_dist(vq, pos, wrap, vq->last_avail, vq->avail_wrap);
	fuzz_check(vq->pk_ndesc[c->head] == d, "id %u: %u positions recorded, %u taken", c->head,
		   vq->pk_ndesc[c->head], d);
	return r;
}

/* One packed TX burst: everything available popped (some given back with
 * vq_unpop() and popped again), returned in order or reversed, flushed.
 * Returns false once the guest broke the ring. */
static bool pk_tx_burst(const struct guest *g, struct vq *vq, bool flush_each, bool kick,
			uint8_t mode)
{
	static struct vq_chain c;
	struct pk_pop pops[MAX_RING];
	struct pk_used used[MAX_RING];
	int n, m, k, i, nu = 0;
	bool ok = true;

	pk_check_idle(vq);
	if (kick) {
		vq_kick_enable(vq);
		pk_check_kick(vq, true);
	}
	n = vq_avail_count(vq);
	fuzz_dbg("tx: %d available\n", n);
	fuzz_check(n >= 0 && n <= vq->size, "%d available in a ring of %u", n, vq->size);
	for (m = 0; m < n; m++) {
		int r = pk_pop(g, vq, &c, &pops[m]);

		if (r == -EAGAIN)
			break;
		if (r == -EFAULT) {
			ok = false;
			break;
		}
	}
	pk_check_table(vq);
	k = mode >> 2;
	if (ok && k > m)
		k = m;
	if (ok && k) {
		vq_unpop(vq, (uint16_t)k);
		fuzz_check(vq->last_avail == pops[m - k].pos && vq->avail_wrap == pops[m - k].wrap,
			   "vq_unpop(%d) went back to %u (wrap %d), the chain was at %u (%d)", k,
			   vq->last_avail, vq->avail_wrap, pops[m - k].pos, pops[m - k].wrap);
		for (i = m - k; i < m; i++) {
			fuzz_check(!vq->pk_ndesc[pops[i].id], "id %u in flight after vq_unpop",
				   pops[i].id);
			inflight[pops[i].id] = false;
			ninflight--;
		}
		pk_check_table(vq);
		for (i = m - k; i < m; i++) {
			struct pk_pop again;

			pk_pop(g, vq, &c, &again);
			fuzz_check(again.r == pops[i].r && again.id == pops[i].id &&
					   again.len == pops[i].len && again.nseg == pops[i].nseg,
				   "popped again after vq_unpop: %d id %u len %u, was %d id %u len %u",
				   again.r, again.id, again.len, pops[i].r, pops[i].id, pops[i].len);
		}
	}
	/* a guest violation ends the ring: what was popped is not returned */
	if (!ok) {
		vq_flush(vq);
		return false;
	}
	for (i = 0; i < m; i++) {
		int j = mode & 2 ? m - 1 - i : i;

		pk_push(vq, pops[j].id, 0, &used[nu++]);
		if (flush_each) {
			pk_flush(vq, used, nu);
			nu = 0;
		}
	}
	pk_flush(vq, used, nu);
	pk_check_idle(vq);
	if (kick) {
		vq_kick_disable(vq);
		pk_check_kick(vq, false);
	}
	return true;
}

/* After a packed RX frame: what vq_enqueue() did, from the positions the
 * chains were popped at (vq->pk_undo: the frame's last n entries). */
static bool pk_rx_check(struct vq *vq, int r, uint32_t len, uint16_t pos0, bool wrap0,
			uint16_t upos, bool uwrap, uint16_t pending, struct pk_used *first)
{
	uint16_t n = (uint16_t)(vq->used_pending - pending), i, p = upos;
	bool w = uwrap;
	uint32_t total = 0;
	uint64_t sum = 0;

	if (r == -EFAULT) {
		fuzz_check(vq->err, "-EFAULT without a reason");
		return false;
	}
	if (r == -ENOBUFS) {
		fuzz_check(vq->last_avail == pos0 && vq->avail_wrap == wrap0 && n == 0,
			   "-ENOBUFS moved the position from %u to %u, queued %u", pos0,
			   vq->last_avail, n);
		pk_check_idle(vq);
		return true;
	}
	fuzz_check(r == 0, "vq_enqueue %d", r);
	fuzz_check(n >= 1 && n <= VQ_MAX_SEGS && (vq->mrg_rxbuf || n == 1),
		   "a frame in %d buffers (mergeable: %d)", n, vq->mrg_rxbuf);
	pk_check_idle(vq);
	for (i = 0; i < n; i++) {
		const struct vq_pk_undo *u =
			&vq->pk_undo[(uint16_t)(vq->pk_undo_n - n + i) % VQ_MAX_SEGS];
		const struct vq_pk_undo *nx =
			&vq->pk_undo[(uint16_t)(vq->pk_undo_n - n + i + 1) % VQ_MAX_SEGS];
		uint16_t to = i + 1 < n ? nx->pos : vq->last_avail;
		bool to_wrap = i + 1 < n ? nx->wrap : vq->avail_wrap;

		fuzz_check(u->id < vq->size, "undo entry %u: id %u", i, u->id);
		if (i == 0)
			fuzz_check(u->pos == pos0 && u->wrap == wrap0,
				   "the frame's first chain at %u (wrap %d), the ring was at %u (%d)",
				   u->pos, u->wrap, pos0, wrap0);
		total += pk_dist(vq, u->pos, u->wrap, to, to_wrap);
	}
	/* buffers written over the ring (a guest may post them there) can
	 * change descriptors between pops; their used descriptors may then
	 * land on each other: only a frame within a lap is checked */
	if (total > vq->size)
		return true;
	for (i = 0; i < n; i++) {
		const struct vq_pk_undo *u =
			&vq->pk_undo[(uint16_t)(vq->pk_undo_n - n + i) % VQ_MAX_SEGS];
		const struct vq_pk_undo *nx =
			&vq->pk_undo[(uint16_t)(vq->pk_undo_n - n + i + 1) % VQ_MAX_SEGS];
		uint16_t to = i + 1 < n ? nx->pos : vq->last_avail;
		bool to_wrap = i + 1 < n ? nx->wrap : vq->avail_wrap;
		const struct vring_packed_desc *d = &vq->pdesc[p];

		fuzz_check(d->id == u->id, "used descriptor %u of the frame at %u: id %u, popped %u",
			   i, p, d->id, u->id);
		if (i || pending)
			fuzz_check(d->flags == pk_used_flags(w, d->len),
				   "used descriptor %u at %u: flags 0x%x", i, p, d->flags);
		else
			*first = (struct pk_used){ p, w, d->len };
		sum += d->len;
		pk_advance(vq, &p, &w, pk_dist(vq, u->pos, u->wrap, to, to_wrap));
	}
	fuzz_check(sum == (uint64_t)vq->hdr_len + len,
		   "used lengths add up to %llu for a %u-byte frame and a %u-byte header",
		   (unsigned long long)sum, len, vq->hdr_len);
	return true;
}

/* RX: frames of `len` bytes from `nsrc` source segments (each its own heap
 * buffer) after `skip` bytes. Returns false once the guest broke the ring. */
static bool rx_frames(struct vq *vq, int frames, uint32_t len, int nsrc, uint32_t skip,
		      bool flush_each)
{
	struct vq_iov src[3];
	uint32_t total = skip + len, off = 0, part;
	uint16_t last, pending, upos, i;
	struct pk_used first = { 0, false, 0 };
	bool ok = true, wrap, uwrap, have_first = false;
	uint64_t sum;
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
		wrap = vq->avail_wrap;
		upos = vq->used_idx;
		uwrap = vq->used_wrap;
		pending = vq->used_pending;
		r = vq_enqueue(vq, src, nsrc, skip, len);
		fuzz_dbg("rx: %u-byte frame: %d, %u buffers%s%s\n", len, r,
			 (uint16_t)(vq->used_pending - pending), r == -EFAULT ? ": " : "",
			 r == -EFAULT ? vq->err : "");
		if (vq->packed) {
			struct pk_used u = { 0xffff, false, 0 };

			ok = pk_rx_check(vq, r, len, last, wrap, upos, uwrap, pending, &u);
			if (u.pos != 0xffff) {
				first = u;
				have_first = true;
			}
			if (ok && flush_each && vq->used_pending) {
				pk_flush(vq, &first, have_first);
				have_first = false;
			}
			continue;
		}
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
	if (vq->packed && ok)
		pk_flush(vq, &first, have_first);
	else
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
	uint8_t b0, flags, rx_n, rx_src, tx_n, mode;
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
	mode = fuzz_u8(&in);

	guest_build(&g, in.p, in.n, flags & 8);

	memset(&vq, 0, sizeof(vq));
	vq.size = (uint16_t)(1u << (b0 % 9));
	vq.event_idx = flags & 1;
	vq.mrg_rxbuf = flags & 2;
	vq.hdr_len = (flags & 4) ? 10 : 12;
	vq.call_fd = (flags & 16) ? call_fd : -1;
	vq.kick_fd = -1;
	if (mode & 1) {
		/* as vu_dev: SET_VRING_BASE, the id table at the kick, then
		 * the rings (which checks the base against the size) */
		vq.packed = true;
		vq.last_avail = vq.used_idx = base & 0x7fff;
		vq.avail_wrap = vq.used_wrap = base >> 15;
		vq_packed_take(&vq, vq_packed_alloc(vq.size));
		fuzz_check(vq.pk_ndesc, "out of memory");
		memset(inflight, 0, sizeof(inflight));
		ninflight = 0;
	}
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
	if (!vq.packed)
		vq.last_avail = vq.used_idx = vq.avail_cache = base;
	vq_kick_disable(&vq);
	if (vq.packed)
		pk_check_kick(&vq, false);

	for (i = 0; i < 2 && ok; i++) {
		if ((i == 0) == !!(flags & 32))
			ok = rx_frames(&vq, 1 + rx_n % 8, rx_len, 1 + (rx_src & 3) % 3,
				       rx_src >> 4, flags & 128);
		else if (vq.packed)
			for (r = 0; r < 1 + tx_n % 3 && ok; r++)
				ok = pk_tx_burst(&g, &vq, flags & 128, flags & 64, mode);
		else
			for (r = 0; r < 1 + tx_n % 3 && ok; r++)
				ok = tx_burst(&g, &vq, flags & 128, flags & 64);
	}
	if (vq.call_fd >= 0)
		(void)!read(call_fd, &junk, sizeof(junk));
out:
	free(vq_packed_take(&vq, NULL));
	guest_free(&g);
	return 0;
}
