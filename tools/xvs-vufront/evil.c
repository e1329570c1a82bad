// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deliberate misbehaviour, one mode per run, to see how a back-end copes:
 *
 *	setup modes  replace one message of the normal setup (vring 0 where
 *	             a vring is concerned); the setup then goes on as usual
 *	msg modes    one bad message after a complete setup
 *	data modes   bad descriptors or ring indexes on TX vring 1 (RX vring
 *	             0 for rx-desc-readonly) after a complete setup, then a
 *	             kick whatever the back-end's suppression flags say
 *	rx modes     useless RX buffers (vring 0) posted instead of the normal
 *	             ones; frames others send us find them
 *	live modes   after a complete setup, receive on vring 0 what others
 *	             send us (checked, buffers re-posted) and misbehave on the
 *	             way: memory truncated or replaced, a message flood. The
 *	             call-* setup modes receive the same way afterwards, with
 *	             notifications on, to make the back-end use the bad fd.
 *
 * Then the socket is watched for --evil-wait ms (live modes: the whole
 * run is that long) and a GET_FEATURES round trip probes the back-end.
 * One line reports it:
 *
 *	evil=MODE backend=alive|disconnected probe=ok|eof|timeout|error
 *	ack=N|none|reply|eof|timeout tx_used=N rx_used=N setup_nacks=N
 *	[variant=...] [rx_frames=N rx_after=N] [mode-specific key=value ...]
 *
 * ack is the back-end's answer to the bad message: the REPLY_ACK value,
 * "reply" for a request with a reply body, none when no reply was asked
 * for (REPLY_ACK not negotiated), eof or timeout; "-" when no bad message
 * was sent (data modes, or the run ended before). tx_used/rx_used how many used entries
 * it returned on vring 1/0, setup_nacks how many setup messages it
 * refused. Live and call-* modes add rx_frames (received in all) and
 * rx_after (received after the misbehaviour; --expect N wants N of them).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "vufront.h"

#define VF_EVIL_REQ_UNKNOWN 99
#define VF_EVIL_BAD_VRING 200
#define VF_EVIL_OOB_GAP (1ull << 20) /* beyond the end of guest memory */
#define VF_EVIL_RX_FRAMES 32
#define VF_PROBE_WAIT_MS 1000
#define VF_EVIL_RX_CHAIN 300 /* rx-zero-len: descriptors per RX chain */
#define VF_EVIL_RX_CHAIN_SHORT 8 /* rx-zero-len-short */
#define VF_EVIL_EVENTFD_FULL 0xfffffffffffffffeull /* eventfd maximum: a write blocks */
#define VF_EVIL_SMALL_BUF 4096 /* *-not-eventfd: pipe or socket buffer */
#define VF_EVIL_HUGE (1ull << 40) /* mem-huge-sparse: 1 TiB */
#define VF_EVIL_GIB (1ull << 30)
#define VF_EVIL_MEM_TABLES 200 /* mem-table-*: tables sent */
#define VF_EVIL_MOVED_MEM (4ull << 20) /* mem-table-moved: the other memory */
#define VF_EVIL_SHRINK_AFTER_MS 500 /* mem-shrink*: receive this long first */
#define VF_EVIL_ACT_AFTER_MS 200 /* mem-table-*: receive this long first */
#define VF_EVIL_FLOOD_BATCH 3276 /* msg-flood: messages per send (64 KiB) */
#define VF_EVIL_ACK_WAIT_MS 5000
#define VF_EVIL_MISALIGN 8 /* ring-addr-misaligned: bytes off the table's 16 */
#define VF_MS 1000000ull

static const struct {
	const char *name;
	int kind;
	const char *help;
} evil_tab[] = {
#define VF_X(e, n, k, h) [VF_EVIL_##e] = { n, k, h },
	VF_EVIL_MODES(VF_X)
#undef VF_X
};

int vf_evil_parse(const char *s)
{
	unsigned int i;

	for (i = 1; i < sizeof(evil_tab) / sizeof(evil_tab[0]); i++)
		if (!strcmp(s, evil_tab[i].name))
			return (int)i;
	return -EINVAL;
}

const char *vf_evil_name(enum vf_evil e)
{
	return evil_tab[e].name;
}

void vf_evil_help(FILE *out)
{
	static const char *const kinds[] = { "", "setup", "message", "data", "rx", "live" };
	unsigned int i;

	for (i = 1; i < sizeof(evil_tab) / sizeof(evil_tab[0]); i++)
		fprintf(out, "  %-23s %-7s %s\n", evil_tab[i].name, kinds[evil_tab[i].kind],
			evil_tab[i].help);
}

/* Modes of one ring layout: a split ring's indexes, a packed ring's wrap
 * counters. */
static bool split_only(enum vf_evil e)
{
	return e == VF_EVIL_AVAIL_IDX_JUMP;
}

static bool packed_only(enum vf_evil e)
{
	return e == VF_EVIL_WRAP_LIE;
}

int vf_evil_check(const struct vf_opts *o)
{
	unsigned int i;

	for (i = 0; i < o->n_evil; i++) {
		enum vf_evil e = (enum vf_evil)o->evil_list[i];

		if (o->packed && split_only(e)) {
			fprintf(stderr, VF_NAME ": --evil %s: split rings only (a packed ring has no "
					"avail index), not with --packed\n",
				vf_evil_name(e));
			return -EINVAL;
		}
		if (!o->packed && packed_only(e)) {
			fprintf(stderr, VF_NAME ": --evil %s: packed rings only (needs --packed)\n",
				vf_evil_name(e));
			return -EINVAL;
		}
	}
	return 0;
}

static uint32_t need_reply(const struct vf_dev *d)
{
	return d->reply_ack ? VU_FLAG_NEED_REPLY : 0;
}

/* Append " key=value ..." to the report line. */
static void info(struct vf_dev *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info(struct vf_dev *d, const char *fmt, ...)
{
	size_t n = strlen(d->evil_info);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->evil_info + n, sizeof(d->evil_info) - n, fmt, ap);
	va_end(ap);
}

/* The modes that receive (live) after their misbehaviour. */
static bool receives(enum vf_evil e)
{
	return evil_tab[e].kind == VF_EVIL_LIVE || e == VF_EVIL_CALL_NOT_EVENTFD ||
	       e == VF_EVIL_CALL_PRELOADED;
}

/* Record what the back-end answered to the bad message. */
static void ack_wait(struct vf_dev *d, uint32_t req, bool wanted)
{
	struct vu_msg m;
	int err;

	if (!wanted) {
		snprintf(d->evil_ack, sizeof(d->evil_ack), "none");
		return;
	}
	err = vf_reply_wait(d, req, &m, (int)d->o->evil_wait_ms);
	if (err)
		snprintf(d->evil_ack, sizeof(d->evil_ack), "%s",
			 d->disconnected ? "eof" : err == -ETIMEDOUT ? "timeout" : "error");
	else if (m.hdr.size == sizeof(__u64) && req != VU_REQ_GET_FEATURES)
		snprintf(d->evil_ack, sizeof(d->evil_ack), "%llu", (unsigned long long)m.p.u64);
	else
		snprintf(d->evil_ack, sizeof(d->evil_ack), "reply");
}

/* SET_MEM_TABLE with n entries (slices of our memory) and nfds fds. */
static int bad_mem_table(struct vf_dev *d, unsigned int n, unsigned int nfds)
{
	struct vu_hdr h = { .request = VU_REQ_SET_MEM_TABLE, .flags = VU_VERSION | need_reply(d) };
	uint32_t head[2] = { n, 0 }; /* nregions, padding */
	uint64_t slice = d->mem.size / n / 4096 * 4096;
	uint8_t buf[sizeof(h) + sizeof(head) +
		    (VU_MAX_MEM_REGIONS + 1) * sizeof(struct vu_mem_region)];
	int fds[VU_MAX_FDS];
	unsigned int i;
	int err;

	if (n > VU_MAX_MEM_REGIONS + 1 || nfds > VU_MAX_FDS)
		return -EINVAL;
	h.size = (uint32_t)(sizeof(head) + n * sizeof(struct vu_mem_region));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), head, sizeof(head));
	for (i = 0; i < n; i++) {
		struct vu_mem_region r = { .guest_phys_addr = i * slice,
					   .memory_size = slice,
					   .userspace_addr = (uintptr_t)d->mem.base + i * slice,
					   .mmap_offset = i * slice };

		memcpy(buf + sizeof(h) + sizeof(head) + i * sizeof(r), &r, sizeof(r));
	}
	for (i = 0; i < nfds; i++)
		fds[i] = d->mem.fd;
	err = vf_send_raw(d, buf, sizeof(h) + h.size, fds, nfds);
	if (!err)
		ack_wait(d, VU_REQ_SET_MEM_TABLE, need_reply(d));
	return err;
}

static int evil_req(struct vf_dev *d, uint32_t req, uint32_t flags, const void *p, uint32_t size)
{
	int err = vf_msg_send(d, req, flags, p, size, NULL, 0);

	if (!err)
		ack_wait(d, req, flags & VU_FLAG_NEED_REPLY);
	return err;
}

/* What call-not-eventfd and kick-not-eventfd send (--evil-fd), or the
 * full blocking eventfd of call-preloaded. The other end, when there is
 * one, stays open and unread for the run: writes to it fill and block. */
static int odd_fd(struct vf_dev *d, const char **what)
{
	uint64_t full = VF_EVIL_EVENTFD_FULL;
	int p[2], fd, err;

	if (d->o->evil == VF_EVIL_CALL_PRELOADED) {
		*what = "eventfd-full";
		fd = eventfd(0, EFD_CLOEXEC); /* no EFD_NONBLOCK */
		if (fd < 0)
			return -errno;
		if (write(fd, &full, sizeof(full)) != sizeof(full)) {
			err = -errno;
			close(fd);
			return err;
		}
		return fd;
	}
	switch (d->o->evil_fd) {
	case VF_EVIL_FD_PIPE:
		/* As small as a pipe gets (a page): full after 512 writes. */
		*what = "pipe";
		if (pipe2(p, O_CLOEXEC))
			return -errno;
		fcntl(p[1], F_SETPIPE_SZ, VF_EVIL_SMALL_BUF);
		d->evil_keep[0] = p[0];
		return p[1];
	case VF_EVIL_FD_FILE:
		*what = "file";
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		return fd < 0 ? -errno : fd;
	case VF_EVIL_FD_SOCKET:
		*what = "socket";
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p))
			return -errno;
		/* the kernel rounds it up to its minimum (a few KiB) */
		setsockopt(p[1], SOL_SOCKET, SO_SNDBUF, &(int){ VF_EVIL_SMALL_BUF },
			   sizeof(int));
		d->evil_keep[0] = p[0];
		return p[1];
	}
	return -EINVAL;
}

/* SET_VRING_KICK or SET_VRING_CALL for `vring` with the odd fd. */
static int odd_vring_fd(struct vf_dev *d, uint32_t req, unsigned int vring)
{
	uint64_t idx = vring;
	const char *what = "?";
	int fd = odd_fd(d, &what), err;

	if (fd < 0) {
		log_err("%s: cannot make the %s to send: %s", vf_evil_name(d->o->evil), what,
			strerror(-fd));
		return fd;
	}
	info(d, " fd=%s", what);
	err = vf_msg_send(d, req, need_reply(d), &idx, sizeof(idx), &fd, 1);
	close(fd); /* the back-end has its own copy */
	if (!err)
		ack_wait(d, req, need_reply(d));
	return err;
}

/* Our memory as SET_MEM_TABLE describes it (as the normal setup sends). */
static uint32_t our_table(const struct vf_dev *d, struct vu_mem_table *t, int *fds)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->nregions = d->mem.nregions;
	for (i = 0; i < d->mem.nregions; i++) {
		t->regions[i] = (struct vu_mem_region){
			.guest_phys_addr = d->mem.r[i].gpa,
			.memory_size = d->mem.r[i].size,
			.userspace_addr = (uintptr_t)d->mem.r[i].va,
			.mmap_offset = d->mem.r[i].offset,
		};
		fds[i] = d->mem.fd;
	}
	return (uint32_t)(offsetof(struct vu_mem_table, regions) +
			  sizeof(t->regions[0]) * t->nregions);
}

/* A memfd of `size` bytes, never touched, mapped by us at an address of
 * its own (the userspace_addr we announce); prot PROT_NONE only reserves
 * the addresses. The mapping is undone at the end of the run. */
static int side_memfd(struct vf_dev *d, uint64_t size, int prot, void **va)
{
	int fd = memfd_create(VF_NAME "-evil", MFD_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size))
		goto err_close;
	*va = mmap(NULL, size, prot, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (*va == MAP_FAILED)
		goto err_close;
	d->evil_map = *va;
	d->evil_map_len = size;
	return fd;

err_close:
	err = -errno;
	close(fd);
	return err;
}

/* The normal table plus one region of 1 TiB: a sparse memfd (it costs
 * nothing until written), above everything else in guest-physical space. */
static int huge_mem_table(struct vf_dev *d)
{
	struct vu_mem_table t;
	int fds[VU_MAX_MEM_REGIONS], fd, err;
	uint64_t gpa = (vf_mem_gpa_end(&d->mem) + VF_EVIL_GIB - 1) / VF_EVIL_GIB * VF_EVIL_GIB;
	uint32_t size = our_table(d, &t, fds);
	void *va;

	if (t.nregions >= VU_MAX_MEM_REGIONS)
		return -EINVAL;
	fd = side_memfd(d, VF_EVIL_HUGE, PROT_NONE, &va);
	if (fd < 0) {
		log_err("mem-huge-sparse: a 1 TiB memfd: %s", strerror(-fd));
		return fd;
	}
	t.regions[t.nregions] = (struct vu_mem_region){ .guest_phys_addr = gpa + VF_EVIL_GIB,
							.memory_size = VF_EVIL_HUGE,
							.userspace_addr = (uintptr_t)va };
	fds[t.nregions++] = fd;
	size += sizeof(t.regions[0]);
	info(d, " huge_gpa=0x%llx huge_size=0x%llx", (unsigned long long)(gpa + VF_EVIL_GIB),
	     (unsigned long long)VF_EVIL_HUGE);
	err = vf_msg_send(d, VU_REQ_SET_MEM_TABLE, need_reply(d), &t, size, fds, t.nregions);
	close(fd);
	if (!err)
		ack_wait(d, VU_REQ_SET_MEM_TABLE, need_reply(d));
	return err;
}

int vf_evil_setup_hook(struct vf_dev *d, uint32_t req, unsigned int vring)
{
	enum vf_evil e = d->o->evil;
	struct vu_vring_state s = { .index = vring };
	struct vu_vring_addr a = { .index = vring };
	uintptr_t end = (uintptr_t)d->mem.base + d->mem.size;
	int err;

	if (req == VU_REQ_SET_MEM_TABLE && e == VF_EVIL_TOO_MANY_REGIONS)
		err = bad_mem_table(d, VU_MAX_MEM_REGIONS + 1, VU_MAX_MEM_REGIONS);
	else if (req == VU_REQ_SET_MEM_TABLE && e == VF_EVIL_REGION_FD_COUNT)
		err = bad_mem_table(d, 2, 1);
	else if (req == VU_REQ_SET_VRING_NUM && !vring &&
		 (e == VF_EVIL_RING_SIZE_NOT_POW2 || e == VF_EVIL_RING_SIZE_HUGE)) {
		s.num = e == VF_EVIL_RING_SIZE_HUGE ? 65536 : 1000;
		err = evil_req(d, req, need_reply(d), &s, sizeof(s));
	} else if (req == VU_REQ_SET_VRING_ADDR && !vring && e == VF_EVIL_RING_ADDR_OOB) {
		/* Just past our mapping: no region's userspace_addr covers it. */
		a.desc_user_addr = end + VF_EVIL_OOB_GAP;
		a.avail_user_addr = end + 2 * VF_EVIL_OOB_GAP;
		a.used_user_addr = end + 3 * VF_EVIL_OOB_GAP;
		err = evil_req(d, req, need_reply(d), &a, sizeof(a));
	} else if (req == VU_REQ_SET_VRING_ADDR && !vring && e == VF_EVIL_RING_ADDR_MISALIGNED) {
		/* inside our memory, but not where a descriptor table may start */
		vf_vq_addrs(&d->qp[0].rx.vq, &a);
		a.desc_user_addr += VF_EVIL_MISALIGN;
		err = evil_req(d, req, need_reply(d), &a, sizeof(a));
	} else if (req == VU_REQ_SET_VRING_BASE && !vring && e == VF_EVIL_VRING_BASE_OOB) {
		/* packed: position ring-size (wrap counter 1), one past the
		 * last; split: beyond the 16-bit index */
		s.num = d->packed ? d->o->ring_size | 1u << VRING_PACKED_EVENT_F_WRAP_CTR : 0x10000;
		info(d, " base=%#x", s.num);
		err = evil_req(d, req, need_reply(d), &s, sizeof(s));
	} else if (req == VU_REQ_SET_VRING_CALL && !vring &&
		   (e == VF_EVIL_CALL_NOT_EVENTFD || e == VF_EVIL_CALL_PRELOADED)) {
		err = odd_vring_fd(d, req, vring);
	} else if (req == VU_REQ_SET_VRING_KICK && vring == 1 && e == VF_EVIL_KICK_NOT_EVENTFD) {
		err = odd_vring_fd(d, req, vring);
	} else if (req == VU_REQ_SET_MEM_TABLE && e == VF_EVIL_MEM_HUGE_SPARSE) {
		err = huge_mem_table(d);
	} else {
		return 0;
	}
	return err ? err : 1;
}

int vf_evil_rx_post(struct vf_dev *d, struct vf_rxq *rx)
{
	enum vf_evil e = d->o->evil;
	struct vf_vq *vq = &rx->vq;
	unsigned int len, i, k;
	uint8_t *buf;

	if (e != VF_EVIL_RX_ZERO_LEN && e != VF_EVIL_RX_ZERO_LEN_SHORT)
		return 0;
	len = e == VF_EVIL_RX_ZERO_LEN ? VF_EVIL_RX_CHAIN : VF_EVIL_RX_CHAIN_SHORT;
	if (vq->num < len) {
		log_err("%s: chains of %u descriptors need --ring-size %u or more",
			vf_evil_name(e), len, len);
		return -EINVAL;
	}
	buf = vf_mem_alloc(&d->mem, VF_CACHE_LINE, VF_CACHE_LINE); /* where they point */
	if (!buf)
		return -ENOMEM;
	/* Chains of `len` device-writable descriptors of 0 bytes each: legal
	 * descriptors, no room in them. As many as the ring holds. */
	for (i = 0; i + len <= vq->num; i += len) {
		for (k = 0; k < len; k++)
			vq->desc[i + k] = (struct vring_desc){
				.addr = vf_mem_gpa(&d->mem, buf),
				.flags = VRING_DESC_F_WRITE | (k + 1 < len ? VRING_DESC_F_NEXT : 0),
				.next = (uint16_t)(i + k + 1),
			};
		vf_vq_add(vq, (uint16_t)i);
	}
	info(d, " rx_chains=%u rx_chain_len=%u", vq->num / len, len);
	vf_vq_publish(vq);
	return 1;
}

static int evil_msg(struct vf_dev *d)
{
	struct vu_vring_state s = { .index = 0, .num = d->o->ring_size };
	struct {
		struct vu_hdr h;
		uint8_t p[4096];
	} raw;
	int efd, err;

	memset(&raw, 0, sizeof(raw));
	raw.h.request = VU_REQ_SET_VRING_NUM;
	raw.h.flags = VU_VERSION | need_reply(d);
	switch (d->o->evil) {
	case VF_EVIL_BAD_MSG_SIZE:
		raw.h.size = 4; /* only the index */
		err = vf_send_raw(d, &raw, sizeof(raw.h) + 4, NULL, 0);
		break;
	case VF_EVIL_OVERSIZED_MSG:
		raw.h.size = sizeof(raw.p);
		memcpy(raw.p, &s, sizeof(s));
		err = vf_send_raw(d, &raw, sizeof(raw), NULL, 0);
		break;
	case VF_EVIL_STRAY_FDS:
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0)
			return -errno;
		err = vf_msg_send(d, VU_REQ_GET_FEATURES, 0, NULL, 0, &efd, 1);
		close(efd);
		if (!err)
			ack_wait(d, VU_REQ_GET_FEATURES, true);
		return err;
	case VF_EVIL_BAD_QUEUE_INDEX:
		s.index = VF_EVIL_BAD_VRING;
		return evil_req(d, VU_REQ_SET_VRING_NUM, need_reply(d), &s, sizeof(s));
	case VF_EVIL_UNKNOWN_REQUEST:
		/* NEED_REPLY whether REPLY_ACK was negotiated or not. */
		return evil_req(d, VF_EVIL_REQ_UNKNOWN, VU_FLAG_NEED_REPLY, NULL, 0);
	case VF_EVIL_VRING_ADDR_RUNNING: {
		/* The ring moved under the device: its used ring one page on
		 * (the same addresses are allowed: QEMU turns the used ring's
		 * dirty logging on and off that way on running rings). */
		struct vu_vring_addr a = { .index = 0 };

		vf_vq_addrs(&d->qp[0].rx.vq, &a);
		a.used_user_addr += 4096; /* packed: the device area */
		return evil_req(d, VU_REQ_SET_VRING_ADDR, need_reply(d), &a, sizeof(a));
	}
	case VF_EVIL_VRING_BASE_RUNNING:
		s.num = 0;
		return evil_req(d, VU_REQ_SET_VRING_BASE, need_reply(d), &s, sizeof(s));
	default:
		return -EINVAL;
	}
	if (!err)
		ack_wait(d, VU_REQ_SET_VRING_NUM, need_reply(d));
	return err;
}

/* A well-formed single descriptor for frame 0 of TX slot 0. */
static struct vring_desc good_desc(struct vf_dev *d, struct vf_txq *tx)
{
	struct vf_slot *sl = &tx->slots[0];
	uint32_t len = vf_tx_fill(d, tx, 0, 0);
	uint8_t *hdr = sl->frame - d->hdr_len; /* the slot has room before */

	memset(hdr, 0, d->hdr_len);
	return (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, hdr), .len = d->hdr_len + len };
}

/* A 2-entry table in the ring's layout: header, frame 0. Its entries'
 * addr and len are where a split descriptor has them in either layout. */
static struct vring_desc *good_table(struct vf_dev *d, struct vf_txq *tx)
{
	struct vring_desc *t = vf_mem_alloc(&d->mem, 2 * sizeof(*t), 16);
	struct vf_slot *sl = &tx->slots[0];
	uint32_t len;

	if (!t)
		return NULL;
	len = vf_tx_fill(d, tx, 0, 0);
	vf_desc_put(t, d->packed, 0, vf_mem_gpa(&d->mem, sl->hdr), d->hdr_len, VRING_DESC_F_NEXT);
	vf_desc_put(t, d->packed, 1, vf_mem_gpa(&d->mem, sl->frame), len, 0);
	return t;
}

static int evil_data(struct vf_dev *d, const char **variant)
{
	struct vf_txq *tx = &d->qp[0].tx;
	struct vf_vq *vq = &tx->vq;
	uint64_t end = vf_mem_gpa_end(&d->mem), slice;
	struct vring_desc *desc = vq->desc, *t, *t2, g;
	unsigned int i, n;
	uint8_t *p;

	switch (d->o->evil) {
	case VF_EVIL_DESC_OOB:
		desc[0] = good_desc(d, tx);
		desc[0].addr = end + VF_EVIL_OOB_GAP;
		break;
	case VF_EVIL_DESC_LEN_OOB:
		desc[0] = (struct vring_desc){ .addr = end - 32, .len = 4096 };
		break;
	case VF_EVIL_DESC_LOOP:
		desc[0] = good_desc(d, tx);
		desc[0].flags = VRING_DESC_F_NEXT;
		desc[0].next = 0;
		break;
	case VF_EVIL_CHAIN_TOO_LONG:
		n = vq->num + 1;
		t = d->indirect ? vf_mem_alloc(&d->mem, n * sizeof(*t), 16) : NULL;
		if (t) {
			/* Header, then ring-size 16-byte pieces of frame 0. */
			t2 = good_table(d, tx);
			if (!t2)
				return -ENOMEM;
			for (i = 0; i < n; i++)
				vf_desc_put(t, d->packed, i, t2[!!i].addr, i ? 16 : t2[0].len,
					    i + 1 < n ? VRING_DESC_F_NEXT : 0);
			desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
						       .len = n * sizeof(*t),
						       .flags = VRING_DESC_F_INDIRECT };
			*variant = "indirect";
		} else {
			/* Through next pointers a chain longer than the ring
			 * must revisit a descriptor: every one, then 0 again
			 * (packed: the chain goes round the whole ring). */
			struct vring_desc g = good_desc(d, tx);

			for (i = 0; i < vq->num; i++) {
				desc[i] = (struct vring_desc){ .addr = g.addr, .len = 16 };
				desc[i].flags = VRING_DESC_F_NEXT;
				desc[i].next = (uint16_t)((i + 1) % vq->num);
			}
			*variant = "direct-cycle";
		}
		break;
	case VF_EVIL_INDIRECT_OOB:
		desc[0] = (struct vring_desc){ .addr = end + VF_EVIL_OOB_GAP,
					       .len = 2 * sizeof(struct vring_desc),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_INDIRECT_BAD_LEN:
	case VF_EVIL_INDIRECT_LEN_ZERO:
		t = good_table(d, tx);
		if (!t)
			return -ENOMEM;
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
					       .flags = VRING_DESC_F_INDIRECT };
		desc[0].len = d->o->evil == VF_EVIL_INDIRECT_BAD_LEN ? 20 : 0;
		break;
	case VF_EVIL_INDIRECT_NESTED:
		t = vf_mem_alloc(&d->mem, sizeof(*t), 16);
		t2 = good_table(d, tx);
		if (!t || !t2)
			return -ENOMEM;
		vf_desc_put(t, d->packed, 0, vf_mem_gpa(&d->mem, t2), 2 * sizeof(*t2),
			    VRING_DESC_F_INDIRECT);
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
					       .len = sizeof(*t),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_INDIRECT_SELF:
		/* The table is the ring's own: its entry 0 is this descriptor
		 * (packed: the descriptor ring, whose position 0 it takes). */
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, vf_vq_table(vq)),
					       .len = sizeof(*desc),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_INDIRECT_LOOP2:
		/* desc 0 (the header and frame) -> desc 1, an indirect
		 * descriptor whose 2-entry table is the ring's own: desc 0 ->
		 * desc 1 -> the table again. Each pass is a fresh indirect table
		 * to a walker that only compares table pointers. */
		desc[0] = good_desc(d, tx);
		desc[0].flags = VRING_DESC_F_NEXT;
		desc[0].next = 1;
		desc[1] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, vf_vq_table(vq)),
					       .len = 2 * sizeof(*desc),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_CHAIN_ZERO_LEN:
		/* Every descriptor of the ring in one chain; all but the last
		 * (header + frame) 0 bytes long. Legal by the ring's size. */
		g = good_desc(d, tx);
		for (i = 0; i + 1 < vq->num; i++)
			desc[i] = (struct vring_desc){ .addr = g.addr,
						       .flags = VRING_DESC_F_NEXT,
						       .next = (uint16_t)(i + 1) };
		desc[vq->num - 1] = g;
		info(d, " chain_len=%u", vq->num);
		break;
	case VF_EVIL_INDIRECT_ZERO_LEN:
		/* One table of ring-size entries, 0 bytes but the last; every
		 * avail entry points at it: ring-size^2 descriptors to walk. */
		n = vq->num;
		t = vf_mem_alloc(&d->mem, n * sizeof(*t), 16);
		if (!t)
			return -ENOMEM;
		g = good_desc(d, tx);
		for (i = 0; i + 1 < n; i++)
			vf_desc_put(t, d->packed, i, g.addr, 0, VRING_DESC_F_NEXT);
		vf_desc_put(t, d->packed, n - 1, g.addr, g.len, 0);
		for (i = 0; i < vq->num; i++) {
			desc[i] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
						       .len = n * sizeof(*t),
						       .flags = VRING_DESC_F_INDIRECT };
			vf_vq_add(vq, (uint16_t)i);
		}
		info(d, " chains=%u chain_len=%u", vq->num, n);
		goto publish;
	case VF_EVIL_INDIRECT_MISALIGNED:
		/* A good 2-entry table, one byte past a 16-byte boundary. */
		t = good_table(d, tx);
		p = vf_mem_alloc(&d->mem, 2 * sizeof(*t) + 1, 16);
		if (!t || !p)
			return -ENOMEM;
		memcpy(p + 1, t, 2 * sizeof(*t));
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, p) + 1,
					       .len = 2 * sizeof(*t),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_INDIRECT_STRADDLE:
		/* A good 2-entry table whose first entry ends region 0 and whose
		 * second starts region 1 (adjacent in guest-physical space). */
		t = good_table(d, tx);
		if (!t)
			return -ENOMEM;
		slice = d->mem.r[0].size;
		if (d->mem.nregions < 2 || d->mem.used > slice - sizeof(*t)) {
			log_err("indirect-straddle: needs --regions 2 or more, and region 0 "
				"free at its end");
			return -EINVAL;
		}
		p = d->mem.r[0].va + slice - sizeof(*t);
		memcpy(p, t, 2 * sizeof(*t));
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, p),
					       .len = 2 * sizeof(*t),
					       .flags = VRING_DESC_F_INDIRECT };
		info(d, " table_gpa=0x%llx region1_gpa=0x%llx", (unsigned long long)desc[0].addr,
		     (unsigned long long)d->mem.r[1].gpa);
		break;
	case VF_EVIL_AVAIL_IDX_JUMP:
		desc[0] = good_desc(d, tx);
		vq->avail_idx = (uint16_t)(vq->avail_idx + vq->num + 10);
		goto publish;
	case VF_EVIL_AVAIL_RING_OOB:
		desc[0] = good_desc(d, tx);
		if (d->packed) /* no avail ring: the id names the buffer */
			vf_pq_put(vq, desc[0].addr, desc[0].len, (uint16_t)(vq->num + 3), 0, false);
		else
			vf_vq_add(vq, (uint16_t)(vq->num + 3));
		goto publish;
	case VF_EVIL_INDIRECT_NEXT:
		/* a good table, but the descriptor pointing to it goes on to
		 * a second one (a good frame too) */
		t = good_table(d, tx);
		if (!t)
			return -ENOMEM;
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
					       .len = 2 * sizeof(*t),
					       .flags = VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT,
					       .next = 1 };
		desc[1] = good_desc(d, tx);
		break;
	case VF_EVIL_DESC_ADDR_WRAP:
		/* addr + len is past 2^64: wraps around to 48 */
		desc[0] = (struct vring_desc){ .addr = UINT64_MAX - 15, .len = 64 };
		break;
	case VF_EVIL_AVAIL_TWICE:
		/* one buffer, two avail entries (packed: two descriptors
		 * with one id), one burst: both in flight at once */
		desc[0] = good_desc(d, tx);
		vf_vq_add(vq, 0);
		break;
	case VF_EVIL_WRAP_LIE:
		/* position 0 marked for the other lap (AVAIL != our wrap
		 * counter: it looks used), every other one right: a device
		 * that looks past the first unavailable descriptor, or takes
		 * AVAIL alone, takes them */
		g = good_desc(d, tx);
		vf_pq_put(vq, g.addr, g.len, 0, 0, true);
		for (i = 1; i < vq->num; i++)
			vf_pq_put(vq, g.addr, g.len, (uint16_t)i, 0, false);
		goto publish;
	case VF_EVIL_TX_DESC_WRITEONLY:
		desc[0] = good_desc(d, tx);
		desc[0].flags = VRING_DESC_F_WRITE;
		break;
	case VF_EVIL_RX_DESC_READONLY:
		/* The RX buffers went out read-only (traffic.c); send frames a
		 * looping back-end would deliver into them. */
		n = tx->nslots < VF_EVIL_RX_FRAMES ? tx->nslots : VF_EVIL_RX_FRAMES;
		for (i = 0; i < n; i++) {
			vf_tx_set_len(d, tx, i, vf_tx_fill(d, tx, i, i));
			vf_vq_add(vq, (uint16_t)(i * tx->dps));
		}
		goto publish;
	default:
		return -EINVAL;
	}
	vf_vq_add(vq, 0);
publish:
	vf_vq_publish(vq);
	vf_vq_kick(vq); /* whatever NO_NOTIFY / avail_event said */
	return 0;
}

/* ---- live modes ------------------------------------------------------- */

struct live {
	uint64_t t0, end; /* ns */
	bool done; /* the misbehaviour is complete */
	unsigned int tables, acks, nacks; /* mem-table-*: sent, acked 0, refused */
	struct vu_mem_table t; /* mem-table-*: what is sent */
	int fds[VU_MAX_MEM_REGIONS];
	uint32_t tsize;
};

/* mem-shrink*: truncate the memfd under the back-end's mappings. */
static void shrink(struct vf_dev *d)
{
	uint64_t before = d->st.rx_frames;

	if (ftruncate(d->mem.fd, 0)) {
		info(d, " truncate=%s", strerrorname_np(errno) ?: "error");
	} else {
		/* Our own mapping is now beyond the file's end too. */
		d->mem_gone = true;
		info(d, " truncate=ok");
	}
	info(d, " rx_before=%llu", (unsigned long long)before);
}

/* mem-table-*: one SET_MEM_TABLE per step, each ack awaited. */
static int mem_table_step(struct vf_dev *d, struct live *l)
{
	struct vu_msg m;
	int err, fd;
	void *va;

	if (!l->tables) {
		if (d->o->evil == VF_EVIL_MEM_TABLE_UNDER_TRAFFIC) {
			l->tsize = our_table(d, &l->t, l->fds);
		} else {
			/* Other memory: a fresh memfd at our guest address 0, but
			 * not where the rings are in our address space. */
			fd = side_memfd(d, VF_EVIL_MOVED_MEM, PROT_READ | PROT_WRITE, &va);
			if (fd < 0)
				return fd;
			memset(&l->t, 0, sizeof(l->t));
			l->t.nregions = 1;
			l->t.regions[0] = (struct vu_mem_region){ .memory_size = VF_EVIL_MOVED_MEM,
								  .userspace_addr = (uintptr_t)va };
			l->fds[0] = d->evil_keep[1] = fd;
			l->tsize = (uint32_t)(offsetof(struct vu_mem_table, regions) +
					      sizeof(l->t.regions[0]));
		}
	}
	err = vf_msg_send(d, VU_REQ_SET_MEM_TABLE, need_reply(d), &l->t, l->tsize, l->fds,
			  l->t.nregions);
	if (!err && need_reply(d))
		err = vf_reply_wait(d, VU_REQ_SET_MEM_TABLE, &m, VF_EVIL_ACK_WAIT_MS);
	if (err)
		return d->disconnected ? 0 : err;
	l->tables++;
	if (need_reply(d) && m.hdr.size == sizeof(__u64)) {
		l->acks += !m.p.u64;
		l->nacks += !!m.p.u64;
	}
	l->done = l->tables == VF_EVIL_MEM_TABLES;
	return 0;
}

/* msg-flood: SET_VRING_ENABLE (vring 0, on: what it is) without
 * NEED_REPLY, as fast as the socket takes them, until l->end. */
static int flood(struct vf_dev *d, struct live *l)
{
	static struct {
		struct vu_hdr h;
		struct vu_vring_state s;
	} __attribute__((packed)) msgs[VF_EVIL_FLOOD_BATCH];
	struct pollfd pfd = { .fd = d->sock, .events = POLLOUT };
	const size_t len = sizeof(msgs), one = sizeof(msgs[0]);
	uint64_t bytes = 0, t0 = vf_now_ns(), now, stop = l->end;
	size_t off = 0;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < VF_EVIL_FLOOD_BATCH; i++) {
		msgs[i].h = (struct vu_hdr){ .request = VU_REQ_SET_VRING_ENABLE,
					     .flags = VU_VERSION,
					     .size = sizeof(msgs[i].s) };
		msgs[i].s = (struct vu_vring_state){ .index = 0, .num = 1 };
	}
	/* Until the deadline; then only to finish the message under way. */
	while (!d->disconnected && !vf_stop && ((now = vf_now_ns()) < stop || bytes % one)) {
		if (now >= stop + 1000 * VF_MS)
			break; /* the back-end stopped reading mid-message */
		n = send(d->sock, (const char *)msgs + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			poll(&pfd, 1, 10);
			continue;
		}
		if (n < 0) {
			if (errno == EPIPE || errno == ECONNRESET)
				d->disconnected = true;
			break;
		}
		bytes += (uint64_t)n;
		off = (off + (size_t)n) % len;
	}
	now = vf_now_ns();
	info(d, " flood_msgs=%llu flood_mps=%.0f", (unsigned long long)(bytes / one),
	     (double)(bytes / one) * 1e9 / (double)(now > t0 ? now - t0 : 1));
	l->done = true;
	return 0;
}

/* One step of the misbehaviour at time `now`. */
static int live_step(struct vf_dev *d, struct live *l, uint64_t now)
{
	switch (d->o->evil) {
	case VF_EVIL_MEM_SHRINK:
	case VF_EVIL_MEM_SHRINK_SEALED:
		if (now - l->t0 >= VF_EVIL_SHRINK_AFTER_MS * VF_MS) {
			shrink(d);
			l->done = true;
		}
		return 0;
	case VF_EVIL_MEM_TABLE_UNDER_TRAFFIC:
	case VF_EVIL_MEM_TABLE_MOVED:
		if (now - l->t0 < VF_EVIL_ACT_AFTER_MS * VF_MS)
			return 0;
		return mem_table_step(d, l);
	case VF_EVIL_MSG_FLOOD:
		return flood(d, l);
	default: /* call-*: the bad fd went with the setup */
		l->done = true;
		return 0;
	}
}

/*
 * Receive on vring 0 for --evil-wait ms (checked like any receiver, the
 * buffers re-posted) and misbehave on the way. The call-* modes keep RX
 * notifications asked for all along (and never read the call fd the
 * back-end has: it is not the one we poll). Frames received after the
 * misbehaviour are counted in d->rx_after.
 */
static int evil_live(struct vf_dev *d)
{
	enum vf_evil e = d->o->evil;
	bool notify = e == VF_EVIL_CALL_NOT_EVENTFD || e == VF_EVIL_CALL_PRELOADED;
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	struct live l = { .t0 = vf_now_ns() };
	uint64_t now, mark = 0, last_check = l.t0;
	int err = 0;

	l.end = l.t0 + d->o->evil_wait_ms * VF_MS;
	while (!d->disconnected && !vf_stop && (now = vf_now_ns()) < l.end) {
		if (!d->mem_gone) {
			vf_rx_poll(d, 0);
			if (notify)
				vf_vq_arm(&d->qp[0].rx.vq);
		}
		if (!l.done) {
			err = live_step(d, &l, now);
			if (err)
				break;
			if (l.done)
				mark = d->st.rx_frames;
		}
		if (now - last_check >= 10 * VF_MS) {
			vf_sock_check(d);
			last_check = now;
		}
		if (poll(&pfd, 1, 1) > 0)
			vf_sock_check(d);
	}
	if (e == VF_EVIL_MEM_TABLE_UNDER_TRAFFIC || e == VF_EVIL_MEM_TABLE_MOVED)
		info(d, " tables=%u acked=%u refused=%u", l.tables, l.acks, l.nacks);
	d->rx_after = l.done ? d->st.rx_frames - mark : 0;
	return err;
}

/* Watch the socket for ms milliseconds or until it closes. */
static void watch(struct vf_dev *d, unsigned int ms)
{
	uint64_t end = vf_now_ns() + (uint64_t)ms * 1000000, now;
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };

	while (!d->disconnected && (now = vf_now_ns()) < end) {
		if (poll(&pfd, 1, (int)((end - now) / 1000000) + 1) > 0)
			vf_sock_check(d);
	}
}

static unsigned int used_count(const struct vf_dev *d, struct vf_vq *vq)
{
	if (!vf_vq_table(vq) || d->mem_gone)
		return 0;
	return vf_vq_used_pending(vq);
}

static void cleanup(struct vf_dev *d)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (d->evil_keep[i] >= 0)
			close(d->evil_keep[i]);
		d->evil_keep[i] = -1;
	}
	if (d->evil_map)
		munmap(d->evil_map, d->evil_map_len);
	d->evil_map = NULL;
}

int vf_evil_run(struct vf_dev *d, int setup_err)
{
	const struct vf_opts *o = d->o;
	const char *variant = NULL, *probe;
	int kind = evil_tab[o->evil].kind, err = 0;
	bool live = receives(o->evil), ok;

	if (!d->evil_ack[0])
		snprintf(d->evil_ack, sizeof(d->evil_ack), "-"); /* no bad message sent */
	if (setup_err && kind != VF_EVIL_SETUP)
		log_warn("setup failed before the bad input (%s)", strerror(-setup_err));
	else if (!d->disconnected && kind == VF_EVIL_MSG)
		err = evil_msg(d);
	else if (!d->disconnected && kind == VF_EVIL_DATA)
		err = evil_data(d, &variant);
	if (!err && live && !setup_err && !d->disconnected)
		err = evil_live(d);
	else
		watch(d, o->evil_wait_ms);
	if (err && err != -EPIPE)
		log_err("%s: %s", vf_evil_name(o->evil), strerror(-err));

	probe = vf_probe(d, VF_PROBE_WAIT_MS);
	printf("evil=%s backend=%s probe=%s ack=%s tx_used=%u rx_used=%u setup_nacks=%u%s%s",
	       vf_evil_name(o->evil), d->disconnected ? "disconnected" : "alive", probe,
	       d->evil_ack, d->qp ? used_count(d, &d->qp[0].tx.vq) : 0,
	       d->qp ? used_count(d, &d->qp[0].rx.vq) : 0, d->setup_nacks,
	       variant ? " variant=" : "", variant ? variant : "");
	if (live)
		printf(" rx_frames=%llu rx_after=%llu rx_bad=%llu",
		       (unsigned long long)d->st.rx_frames, (unsigned long long)d->rx_after,
		       (unsigned long long)d->st.rx_bad);
	printf("%s\n", d->evil_info);
	fflush(stdout);
	cleanup(d);

	if (err && err != -EPIPE)
		return 1;
	ok = !o->expect || d->rx_after >= o->expect;
	if (o->expect_disconnect < 0)
		return ok ? 0 : 1;
	return ok && d->disconnected == (o->expect_disconnect == 1) ? 0 : 1;
}
