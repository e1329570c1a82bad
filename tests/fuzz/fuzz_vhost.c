// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_vhost: the vhost-user message handler (src/vhost/vu_dev.c) fed whole
 * message sequences, with fds, over a real socketpair.
 *
 * Input: one byte (queue pairs offered: 1 + b % VU_MAX_QUEUE_PAIRS), then
 * records of
 *
 *   4 bytes  control: c0, c1, c2, c3
 *   12 bytes vhost-user header as sent (request, flags, size: le32 each)
 *   payload  min(size, what is left, 4096) bytes, sent as they are
 *
 * c0 bits 0-1  fds attached: 0, 1 the number the request takes (one per
 *              region for SET_MEM_TABLE, one for a vring fd message without
 *              the no-fd flag, one for the other fd-taking requests, else
 *              none); 2 one fewer (none stays none); 3 one more
 *    bits 2-3  vring fds are: 0, 1 an eventfd, 2 a pipe's end, 3 a memfd
 *    bit 4     header and payload sent apart, the device reading between
 *    bit 5     afterwards, the data path runs on every ready vring: up to 8
 *              chains popped, returned and flushed, as a worker would
 * c1           memfd size for SET_MEM_TABLE regions and the SET_INFLIGHT_FD
 *              region: (1 + c1) pages (≤ 1 MiB)
 * c2           byte the memfds' first page is filled with (the inflight
 *              region: all of it)
 * c3           bit 0: SET_INFLIGHT_FD's region as filled, no record
 *              headers (else each record the payload's geometry puts
 *              inside the file says version 1, desc_num its queue size,
 *              nothing batched); bit 1: the region not sealed
 *
 * After each record the device reads (vu_dev_readable) and replies are
 * drained; a negative return, a broken ring or the end of the input ends
 * the connection (vu_dev_detach). A record that no longer fits the socket
 * ends it too.
 *
 * Invariants, beyond "no crash, no undefined behaviour, no leak, no hang":
 *  - the process has exactly the fds it had before the input (SCM_RIGHTS
 *    fds the device took and did not close, or closed twice, show here);
 *  - replies carry VERSION|REPLY and a payload of at most VU_PAYLOAD_MAX,
 *    and no fd but one sealed memfd (GET_INFLIGHT_FD's region);
 *  - kick_changed() reports as old fd the one it reported last as new, and
 *    a new fd that is open; vring_ready() comes for a ready vring;
 *  - a ready vring has its rings inside the device's current memory table;
 *  - after vu_dev_detach(): no connection, no memory, no vring fds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "vhost/vu_dev.h"

#define PAGE 4096
#define PAYLOAD_CAP 4096
#define MAX_SEND_FDS (VU_MAX_FDS + 1)

struct state {
	struct vu_dev dev;
	int kick[VU_MAX_VRINGS]; /* as kick_changed() last reported */
	int peer; /* the front-end's end */
	uint8_t rx[4096 + 2 * (VU_HDR_SIZE + VU_PAYLOAD_MAX)];
	size_t rx_len;
};

static struct state st;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	fuzz_check(d, "opendir /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void on_kick_changed(void *ctx, struct vu_dev *d, int vring, int old_fd, int new_fd)
{
	struct state *s = ctx;

	fuzz_check(d == &s->dev && vring >= 0 && vring < VU_MAX_VRINGS, "vring %d", vring);
	fuzz_check(old_fd == s->kick[vring], "vring %d: old kick fd %d, last reported %d", vring,
		   old_fd, s->kick[vring]);
	fuzz_check(new_fd == -1 || fd_open(new_fd), "vring %d: new kick fd %d is not open",
		   vring, new_fd);
	s->kick[vring] = new_fd;
}

static void on_vring_ready(void *ctx, struct vu_dev *d, int vring)
{
	struct state *s = ctx;

	fuzz_check(d == &s->dev && vring >= 0 && vring < VU_MAX_VRINGS, "vring %d", vring);
	fuzz_check(d->vr[vring].vq.ready, "vring_ready for vring %d, which is not ready", vring);
}

static const struct vu_dev_ops ops = {
	.kick_changed = on_kick_changed,
	.vring_ready = on_vring_ready,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	return 0;
}

/* [p, p + len) inside one region of m */
static bool in_mem(const struct vu_mem *m, const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p;
	int i;

	for (i = 0; i < m->nregions; i++) {
		uintptr_t b = (uintptr_t)m->r[i].hva;

		if (a >= b && a - b <= m->r[i].size && len <= m->r[i].size - (a - b))
			return true;
	}
	return false;
}

static void check_dev(const struct vu_dev *d)
{
	int i;

	for (i = 0; i < VU_MAX_VRINGS; i++) {
		const struct vq *vq = &d->vr[i].vq;
		const struct vring_avail *avail;
		uint64_t n = vq->size;

		fuzz_check(vq->kick_fd == st.kick[i], "vring %d: kick fd %d, reported %d", i,
			   vq->kick_fd, st.kick[i]);
		if (!vq->ready)
			continue;
		fuzz_check(i < 2 * d->max_queues, "vring %d ready beyond %u queue pairs", i,
			   d->max_queues);
		fuzz_check(d->mem && vq->mem == d->mem, "vring %d ready on a stale memory table",
			   i);
		fuzz_check(n && !(n & (n - 1)) && n <= VU_MAX_RING_SIZE, "vring %d size %u", i,
			   vq->size);
		fuzz_check(vq->desc && in_mem(d->mem, vq->desc, 16 * n),
			   "vring %d descriptors outside memory", i);
		/* resubmitting after a restart: the avail ring is the vq's
		 * own shadow ring, the guest's waits in ifl_guest */
		fuzz_check(!vq->ifl_resub || (vq->avail == vq->ifl_shadow && vq->ifl),
			   "vring %d resubmitting from another ring than its shadow", i);
		avail = vq->ifl_resub ? vq->ifl_guest : vq->avail;
		fuzz_check(avail && in_mem(d->mem, avail, 4 + 2 * n + 2),
			   "vring %d avail ring outside memory", i);
		fuzz_check(vq->used && in_mem(d->mem, vq->used, 4 + 8 * n + 2),
			   "vring %d used ring outside memory", i);
	}
}

/* A worker's burst on every ready vring; false if the guest broke one. */
static bool run_rings(struct vu_dev *d)
{
	static struct vq_chain c;
	int i, k, n, r;

	for (i = 0; i < VU_MAX_VRINGS; i++) {
		struct vq *vq = &d->vr[i].vq;

		vq_lock(vq);
		if (!vq->ready) {
			vq_unlock(vq);
			continue;
		}
		n = vq_avail_count(vq);
		for (k = 0, r = n < 0 ? n : 0; k < n && k < 8 && r != -EFAULT; k++) {
			/* even vrings receive (device-writable buffers) */
			r = vq_pop(vq, &c, i % 2 == 0);
			if (r != -EFAULT)
				vq_push(vq, c.head, 0);
		}
		vq_flush(vq);
		if (r == -EFAULT)
			vu_dev_mark_broken(d, vq->err);
		vq_unlock(vq);
	}
	return !vu_dev_check_broken(d);
}

/* Replies: well framed, nothing else. */
static void drain_replies(struct state *s)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct vu_hdr h;
	ssize_t n;

	for (;;) {
		iov = (struct iovec){ s->rx + s->rx_len, sizeof(s->rx) - s->rx_len };
		mh = (struct msghdr){ .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		n = recvmsg(s->peer, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n <= 0)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			int fd, seals;

			if (cm->cmsg_type != SCM_RIGHTS)
				continue;
			/* only GET_INFLIGHT_FD's reply carries one: its
			 * region, sealed (the front-end cannot shrink it
			 * under the device either) */
			fuzz_check(cm->cmsg_len == CMSG_LEN(sizeof(int)), "the device sent fds");
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			seals = fcntl(fd, F_GET_SEALS);
			close(fd);
			fuzz_check(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_SEAL),
				   "the device sent an fd that is not a sealed region (%d)", seals);
		}
		s->rx_len += (size_t)n;
		while (s->rx_len >= VU_HDR_SIZE) {
			memcpy(&h, s->rx, sizeof(h));
			fuzz_check(h.flags == (VU_VERSION | VU_FLAG_REPLY),
				   "reply to %u with flags %#x", h.request, h.flags);
			fuzz_check(h.size <= VU_PAYLOAD_MAX, "reply to %u of %u bytes", h.request,
				   h.size);
			if (s->rx_len < VU_HDR_SIZE + h.size)
				break;
			s->rx_len -= VU_HDR_SIZE + h.size;
			memmove(s->rx, s->rx + VU_HDR_SIZE + h.size, s->rx_len);
		}
	}
}

static int vring_fd(int kind)
{
	int p[2], fd;

	switch (kind) {
	case 2:
		fuzz_check(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe: %s", strerror(errno));
		close(p[0]);
		return p[1];
	case 3:
		fd = memfd_create("xvs-fuzz-file", MFD_CLOEXEC);
		fuzz_check(fd >= 0, "memfd_create: %s", strerror(errno));
		return fd;
	default:
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		fuzz_check(fd >= 0, "eventfd: %s", strerror(errno));
		return fd;
	}
}

static int region_fd(uint8_t pages_m1, uint8_t fill)
{
	static uint8_t page[PAGE];
	int fd = memfd_create("xvs-fuzz-guest", MFD_CLOEXEC);

	fuzz_check(fd >= 0, "memfd_create: %s", strerror(errno));
	fuzz_check(ftruncate(fd, (off_t)(1 + pages_m1) * PAGE) == 0, "ftruncate: %s",
		   strerror(errno));
	if (fill) {
		memset(page, fill, sizeof(page));
		fuzz_check(pwrite(fd, page, sizeof(page), 0) == PAGE, "pwrite: %s",
			   strerror(errno));
	}
	return fd;
}

/* SET_INFLIGHT_FD's region: (1 + pages_m1) pages of `fill`, sealed
 * against shrinking unless c3 bit 1; record headers unless c3 bit 0, so
 * that the records get past their version and size checks and the
 * flags (fill 0 or 1) into the resubmission. */
static int inflight_fd(const uint8_t *payload, size_t plen, uint8_t pages_m1, uint8_t fill,
		       uint8_t c3)
{
	size_t size = (size_t)(1 + pages_m1) * PAGE;
	struct vu_inflight_area a = { 0 };
	uint8_t *p;
	int fd = memfd_create("xvs-fuzz-inflight", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	unsigned int i;

	fuzz_check(fd >= 0 && !ftruncate(fd, (off_t)size), "inflight memfd: %s", strerror(errno));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fuzz_check(p != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(p, fill, size);
	memcpy(&a, payload, plen < sizeof(a) ? plen : sizeof(a));
	for (i = 0; !(c3 & 1) && i < a.num_queues && a.queue_size; i++) {
		uint64_t qb = vu_inflight_queue_bytes(a.queue_size), at = a.mmap_offset + qb * i;
		struct vu_ifl_queue q = { .version = VU_IFL_VERSION, .desc_num = a.queue_size };

		if (a.mmap_offset > size || qb > size || at > size - qb)
			break;
		memcpy(p + at, &q, sizeof(q));
	}
	munmap(p, size);
	if (!(c3 & 2))
		fuzz_check(!fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), "seal: %s",
			   strerror(errno));
	return fd;
}

/* The fds a request naturally takes. */
static int natural_fds(const struct vu_hdr *h, const uint8_t *payload, size_t plen)
{
	uint64_t v = 0;
	uint32_t nr = 0;

	switch (h->request) {
	case VU_REQ_SET_MEM_TABLE:
		if (plen >= 4)
			memcpy(&nr, payload, 4);
		return nr > VU_MAX_MEM_REGIONS ? VU_MAX_MEM_REGIONS : (int)nr;
	case VU_REQ_SET_VRING_KICK:
	case VU_REQ_SET_VRING_CALL:
	case VU_REQ_SET_VRING_ERR:
		memcpy(&v, payload, plen < 8 ? plen : 8);
		return (v & VU_VRING_NOFD_MASK) ? 0 : 1;
	case VU_REQ_SET_LOG_BASE:
	case VU_REQ_SET_LOG_FD:
	case VU_REQ_SET_BACKEND_REQ_FD:
	case VU_REQ_SET_INFLIGHT_FD:
	case VU_REQ_ADD_MEM_REG:
		return 1;
	default:
		return 0;
	}
}

/* Send one piece with fds; false if the socket would block. */
static bool send_piece(int sock, const void *p, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_SEND_FDS)];
	struct iovec iov = { (void *)p, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n == (ssize_t)len;
}

/* One record; false when the connection is over. */
static bool one_record(struct state *s, struct fuzz_in *in)
{
	uint8_t c0, c1, c2, c3, msg[VU_HDR_SIZE + PAYLOAD_CAP];
	int fds[MAX_SEND_FDS], nfds, i, kind;
	size_t plen;
	struct vu_hdr h;
	bool sent;

	c0 = fuzz_u8(in);
	c1 = fuzz_u8(in);
	c2 = fuzz_u8(in);
	c3 = fuzz_u8(in);
	if (fuzz_bytes(in, &h, sizeof(h)) < sizeof(h))
		return false;
	memcpy(msg, &h, sizeof(h));
	plen = fuzz_bytes(in, msg + VU_HDR_SIZE, h.size < PAYLOAD_CAP ? h.size : PAYLOAD_CAP);

	nfds = natural_fds(&h, msg + VU_HDR_SIZE, plen);
	if ((c0 & 3) == 2 && nfds > 0)
		nfds--;
	else if ((c0 & 3) == 3)
		nfds++;
	kind = (c0 >> 2) & 3;
	for (i = 0; i < nfds; i++) {
		if (h.request == VU_REQ_SET_MEM_TABLE)
			fds[i] = region_fd(c1, c2);
		else if (h.request == VU_REQ_SET_INFLIGHT_FD)
			fds[i] = inflight_fd(msg + VU_HDR_SIZE, plen, c1, c2, c3);
		else
			fds[i] = vring_fd(kind);
	}

	if (c0 & 16) {
		sent = send_piece(s->peer, msg, VU_HDR_SIZE, fds, nfds);
		if (sent && vu_dev_readable(&s->dev) < 0)
			sent = false;
		drain_replies(s);
		if (sent && plen)
			sent = send_piece(s->peer, msg + VU_HDR_SIZE, plen, NULL, 0);
	} else {
		sent = send_piece(s->peer, msg, VU_HDR_SIZE + plen, fds, nfds);
	}
	for (i = 0; i < nfds; i++) /* the device has its own copies */
		close(fds[i]);
	if (!sent)
		return false;
	if (vu_dev_readable(&s->dev) < 0)
		return false;
	drain_replies(s);
	if (s->dev.got == 0)
		fuzz_check(s->dev.nfds == 0, "%d fds kept between messages", s->dev.nfds);
	check_dev(&s->dev);
	if ((c0 & 32) && !run_rings(&s->dev))
		return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int sv[2], before, after, i;
	struct vu_dev *d = &st.dev;

	if (size < 1)
		return 0;
	before = count_fds();
	fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0,
		   "socketpair: %s", strerror(errno));
	for (i = 0; i < VU_MAX_VRINGS; i++)
		st.kick[i] = -1;
	st.peer = sv[0];
	st.rx_len = 0;
	vu_dev_init(d, "fuzz", (uint16_t)(1 + fuzz_u8(&in) % VU_MAX_QUEUE_PAIRS), &ops, &st);
	vu_dev_attach(d, sv[1]);

	while (in.n && one_record(&st, &in))
		;

	vu_dev_detach(d);
	fuzz_check(d->fd == -1 && !d->mem && d->nfds == 0, "state left after detach");
	for (i = 0; i < VU_MAX_VRINGS; i++)
		fuzz_check(d->vr[i].vq.kick_fd == -1 && d->vr[i].vq.call_fd == -1 &&
				   st.kick[i] == -1 && !d->vr[i].vq.ready,
			   "vring %d keeps fds after detach", i);
	close(st.peer);
	after = count_fds();
	fuzz_check(after == before, "%d fds before the input, %d after", before, after);
	return 0;
}
