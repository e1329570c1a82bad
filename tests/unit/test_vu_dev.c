// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the vhost-user message layer (src/vhost/vu_dev.c). The
 * test is the front-end: it writes messages (with SCM_RIGHTS fds) into one
 * end of a socketpair and lets the device read the other end with
 * vu_dev_readable(). Covers replies, a QEMU-like negotiation that ends
 * with both rings running (and moving a packet), REPLY_ACK, stopping a
 * ring, partial messages, every protocol violation the device must refuse,
 * and that no fd survives detach (every test checks /proc/self/fd).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "vq_harness.h"

#include "base/log.h"
#include "vhost/vu_dev.h"

#define BIT(n) (1ull << (n))
#define RING_SIZE 256
#define NVRINGS 2 /* one queue pair */

struct kick_call {
	int vring, old_fd, new_fd;
};

static struct {
	struct vu_dev d;
	int fe; /* the front-end's end of the connection */
	int fd_baseline; /* open fds before the test */
	struct guest g;
	struct drv_ring r[NVRINGS];
	int nkicks;
	struct kick_call kicks[64];
	int nready[NVRINGS]; /* vring_ready calls per vring */
} fx;

static void kick_changed(void *ctx, struct vu_dev *d, int vring, int old_fd, int new_fd)
{
	(void)ctx;
	assert_ptr_equal(d, &fx.d);
	assert_true(fx.nkicks < 64);
	fx.kicks[fx.nkicks++] = (struct kick_call){ vring, old_fd, new_fd };
}

static void vring_ready(void *ctx, struct vu_dev *d, int vring)
{
	(void)ctx;
	assert_ptr_equal(d, &fx.d);
	assert_in_range(vring, 0, NVRINGS - 1);
	assert_true(d->vr[vring].vq.ready);
	fx.nready[vring]++;
}

static const struct vu_dev_ops ops = { .kick_changed = kick_changed, .vring_ready = vring_ready };

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static void fx_open(uint16_t queues)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	vu_dev_init(&fx.d, "vm1", queues, &ops, NULL);
	vu_dev_attach(&fx.d, sv[1]);
	fx.fe = sv[0];
	fx.nkicks = 0;
	memset(fx.nready, 0, sizeof(fx.nready));
}

static void fx_close(void)
{
	vu_dev_detach(&fx.d);
	if (fx.fe >= 0)
		close(fx.fe);
	fx.fe = -1;
}

static int setup(void **state)
{
	int i;

	(void)state;
	log_set_level(LOG_LVL_ERR); /* the violations below are expected */
	fx.fd_baseline = count_fds();
	fx_open(1);
	guest_init(&fx.g, GUEST_RAM_SIZE);
	guest_add_region(&fx.g, GUEST_GPA, GUEST_RAM_SIZE, 0);
	for (i = 0; i < NVRINGS; i++)
		drv_ring_init(&fx.r[i], &fx.g, RING_SIZE);
	return 0;
}

static int teardown(void **state)
{
	int n;

	(void)state;
	fx_close();
	guest_fini(&fx.g);
	n = count_fds();
	if (n != fx.fd_baseline) {
		print_error("fd leak: %d open fds, %d before the test\n", n, fx.fd_baseline);
		return -1;
	}
	return 0;
}

/* ---- the front-end ------------------------------------------------------- */

static void fe_write(const void *buf, size_t len, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	assert_true(nfds <= 16);
	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	assert_int_equal(sendmsg(fx.fe, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Send one message: header (flags given in full) and payload, with fds. */
static void fe_send_raw(uint32_t req, uint32_t flags, const void *payload, uint32_t size,
			const int *fds, int nfds)
{
	struct vu_msg m;

	assert_true(size <= sizeof(m.p));
	m.hdr = (struct vu_hdr){ .request = req, .flags = flags, .size = size };
	if (size)
		memcpy(&m.p, payload, size);
	fe_write(&m, VU_HDR_SIZE + size, fds, nfds);
}

static void fe_send(uint32_t req, const void *payload, uint32_t size, const int *fds, int nfds)
{
	fe_send_raw(req, VU_VERSION, payload, size, fds, nfds);
}

static void fe_send_u64(uint32_t req, uint64_t v)
{
	fe_send(req, &v, sizeof(v), NULL, 0);
}

static void fe_send_state(uint32_t req, uint32_t index, uint32_t num)
{
	struct vu_vring_state s = { index, num };

	fe_send(req, &s, sizeof(s), NULL, 0);
}

/* KICK/CALL: the vring index in the payload, and a new eventfd. */
static void fe_send_vring_fd(uint32_t req, uint32_t index)
{
	uint64_t v = index;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	assert_true(fd >= 0);
	fe_send(req, &v, sizeof(v), &fd, 1);
	close(fd); /* the device has its own copy now */
}

static void fe_send_mem_table(const struct vu_mem_table *t, const int *fds, int nfds)
{
	fe_send(VU_REQ_SET_MEM_TABLE, t, 8 + 32 * t->nregions, fds, nfds);
}

/* Let the device read; expect it to carry on. */
static void dev_ok(void)
{
	int r = vu_dev_readable(&fx.d);

	if (r)
		fail_msg("vu_dev_readable: %d (%s)", r, strerror(-r));
}

/* Let the device read; expect it to ask for the connection to be closed. */
static void dev_refuses(int err)
{
	assert_int_equal(vu_dev_readable(&fx.d), err);
}

static bool fe_readable(int timeout_ms)
{
	struct pollfd p = { .fd = fx.fe, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/* Read one reply to `req` and return its payload size. */
static uint32_t fe_reply(uint32_t req, union vu_payload *p)
{
	struct vu_hdr h;

	assert_true(fe_readable(2000));
	assert_int_equal(recv(fx.fe, &h, sizeof(h), MSG_WAITALL), sizeof(h));
	assert_int_equal(h.request, req);
	assert_int_equal(h.flags, VU_VERSION | VU_FLAG_REPLY);
	assert_true(h.size <= sizeof(*p));
	if (h.size)
		assert_int_equal(recv(fx.fe, p, h.size, MSG_WAITALL), h.size);
	return h.size;
}

static uint64_t fe_reply_u64(uint32_t req)
{
	union vu_payload p;

	assert_int_equal(fe_reply(req, &p), sizeof(uint64_t));
	return p.u64;
}

static void fe_no_reply(void)
{
	assert_false(fe_readable(0));
}

/* ---- a QEMU-like session --------------------------------------------------- */

#define FEATURES                                                                         \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |                           \
	 BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VU_F_PROTOCOL_FEATURES))

static void send_mem_table_at(uint64_t uva_shift)
{
	struct vu_mem_table t;

	guest_table(&fx.g, &t);
	t.regions[0].userspace_addr += uva_shift;
	fe_send_mem_table(&t, &fx.g.fd, 1);
}

static void setup_vring(int i)
{
	struct drv_ring *r = &fx.r[i];
	struct vu_vring_addr a = {
		.index = (uint32_t)i,
		.desc_user_addr = gpa_uva(&fx.g, r->desc_gpa),
		.used_user_addr = gpa_uva(&fx.g, r->used_gpa),
		.avail_user_addr = gpa_uva(&fx.g, r->avail_gpa),
	};

	fe_send_state(VU_REQ_SET_VRING_NUM, (uint32_t)i, RING_SIZE);
	dev_ok();
	fe_send_state(VU_REQ_SET_VRING_BASE, (uint32_t)i, 0);
	dev_ok();
	fe_send(VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	dev_ok();
	fe_send_vring_fd(VU_REQ_SET_VRING_KICK, (uint32_t)i);
	dev_ok();
	fe_send_vring_fd(VU_REQ_SET_VRING_CALL, (uint32_t)i);
	dev_ok();
}

/* The order QEMU uses; protocol features `pf` acked. */
static void negotiate(uint64_t pf)
{
	int i;

	fe_send(VU_REQ_GET_FEATURES, NULL, 0, NULL, 0);
	dev_ok();
	assert_int_equal(fe_reply_u64(VU_REQ_GET_FEATURES), vu_dev_offered_features(&fx.d));
	fe_send(VU_REQ_GET_PROTOCOL_FEATURES, NULL, 0, NULL, 0);
	dev_ok();
	assert_int_equal(fe_reply_u64(VU_REQ_GET_PROTOCOL_FEATURES),
			 vu_dev_offered_protocol_features(&fx.d));
	fe_send_u64(VU_REQ_SET_PROTOCOL_FEATURES, pf);
	dev_ok();
	fe_send(VU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	dev_ok();
	for (i = 0; i < NVRINGS; i++) {
		fe_send_state(VU_REQ_SET_VRING_ENABLE, (uint32_t)i, 0);
		dev_ok();
	}
	fe_send_u64(VU_REQ_SET_FEATURES, FEATURES);
	dev_ok();
	send_mem_table_at(0);
	dev_ok();
	for (i = 0; i < NVRINGS; i++) {
		setup_vring(i);
		assert_false(fx.d.vr[i].vq.ready); /* not enabled yet */
	}
	for (i = 0; i < NVRINGS; i++) {
		fe_send_state(VU_REQ_SET_VRING_ENABLE, (uint32_t)i, 1);
		dev_ok();
	}
	fe_no_reply();
}

/* The guest transmits on vring 1; the device pops it. */
static void expect_tx_works(void)
{
	struct drv_ring *r = &fx.r[1];
	uint64_t a = guest_alloc(&fx.g, 100, 8);
	struct vq *vq = &fx.d.vr[1].vq;
	static struct vq_chain c;
	uint8_t got[100];

	fill_pattern(gpa_ptr(&fx.g, a), 100, 77);
	drv_desc(r, 0, a, 100, 0, 0);
	drv_post(r, 0);
	vq_lock(vq);
	assert_int_equal(vq_avail_count(vq), 1);
	assert_int_equal(vq_pop(vq, &c, false), 0);
	vq_unlock(vq);
	assert_int_equal(vq_iov_read(c.seg, c.nseg, 0, got, sizeof(got)), 100);
	assert_memory_equal(got, gpa_ptr(&fx.g, a), 100);
}

/* ---- well-behaved front-ends ------------------------------------------------ */

static void get_features(void **state)
{
	uint64_t f;

	(void)state;
	fe_send(VU_REQ_GET_FEATURES, NULL, 0, NULL, 0);
	dev_ok();
	f = fe_reply_u64(VU_REQ_GET_FEATURES);
	assert_true(f & BIT(VIRTIO_F_VERSION_1));
	assert_true(f & BIT(VIRTIO_NET_F_MRG_RXBUF));
	assert_true(f & BIT(VIRTIO_RING_F_EVENT_IDX));
	assert_true(f & BIT(VIRTIO_RING_F_INDIRECT_DESC));
	assert_true(f & BIT(VU_F_PROTOCOL_FEATURES));
	assert_false(f & BIT(VIRTIO_NET_F_MQ)); /* one queue pair */
	fe_no_reply();

	fx_close();
	fx_open(4);
	fe_send(VU_REQ_GET_FEATURES, NULL, 0, NULL, 0);
	dev_ok();
	f = fe_reply_u64(VU_REQ_GET_FEATURES);
	assert_true(f & BIT(VIRTIO_NET_F_MQ));
	/* IN_ORDER only where the port says so (never with zero-copy) */
	assert_false(f & BIT(VIRTIO_F_IN_ORDER));
	fx.d.in_order = true;
	fe_send(VU_REQ_GET_FEATURES, NULL, 0, NULL, 0);
	dev_ok();
	assert_true(fe_reply_u64(VU_REQ_GET_FEATURES) & BIT(VIRTIO_F_IN_ORDER));
}

static void full_negotiation(void **state)
{
	int i;

	(void)state;
	negotiate(BIT(VU_PROTOCOL_F_MQ) | BIT(VU_PROTOCOL_F_REPLY_ACK));
	assert_int_equal(fx.d.features, FEATURES);
	assert_non_null(fx.d.mem);
	for (i = 0; i < NVRINGS; i++) {
		struct vq *vq = &fx.d.vr[i].vq;

		assert_true(vq->ready);
		assert_int_equal(vq->size, RING_SIZE);
		assert_true(vq->event_idx);
		assert_true(vq->mrg_rxbuf);
		assert_int_equal(vq->hdr_len, 12);
		assert_true(vq->kick_fd >= 0);
		assert_true(vq->call_fd >= 0);
		assert_int_equal(fx.kicks[i].vring, i);
		assert_int_equal(fx.kicks[i].old_fd, -1);
		assert_int_equal(fx.kicks[i].new_fd, vq->kick_fd);
	}
	assert_int_equal(fx.nkicks, NVRINGS);
	for (i = 0; i < NVRINGS; i++)
		assert_int_equal(fx.nready[i], 1); /* told once, when enabled */
	assert_int_equal(fx.d.st.broken, 0);
	expect_tx_works();
}

/* Without protocol features a ring starts when it gets its kick fd. */
static void legacy_negotiation(void **state)
{
	(void)state;
	fe_send_u64(VU_REQ_SET_FEATURES, BIT(VIRTIO_F_VERSION_1));
	dev_ok();
	send_mem_table_at(0);
	dev_ok();
	setup_vring(0);
	setup_vring(1);
	assert_true(fx.d.vr[0].vq.ready);
	assert_true(fx.d.vr[1].vq.ready);
	assert_false(fx.d.vr[1].vq.event_idx);
	/* without EVENT_IDX the flag silences the guest: the switch polls */
	assert_int_equal(fx.d.vr[0].vq.used->flags, VRING_USED_F_NO_NOTIFY);
	assert_int_equal(fx.d.vr[1].vq.used->flags, VRING_USED_F_NO_NOTIFY);
	assert_int_equal(fx.nready[0], 1);
	assert_int_equal(fx.nready[1], 1);
	expect_tx_works();
	/* not negotiated: taken all the same (a reconnecting DPDK
	 * virtio-user), but a value other than 0/1 is not */
	fe_send_state(VU_REQ_SET_VRING_ENABLE, 0, 1);
	dev_ok();
	assert_int_equal(fx.d.st.early_enables, 1);
	fe_send_state(VU_REQ_SET_VRING_ENABLE, 0, 2);
	dev_refuses(-EPROTO);
}

/* DPDK's virtio-user in server mode, when the back-end reconnects:
 * SET_VRING_ENABLE first, then the negotiation; the rings work. */
static void enable_before_negotiation(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		fe_send_state(VU_REQ_SET_VRING_ENABLE, (uint32_t)i, 1);
		dev_ok();
	}
	assert_int_equal(fx.d.st.early_enables, 1); /* once per connection */
	fe_send_u64(VU_REQ_SET_PROTOCOL_FEATURES, BIT(VU_PROTOCOL_F_MQ));
	dev_ok();
	fe_send_u64(VU_REQ_SET_FEATURES, BIT(VIRTIO_F_VERSION_1) | BIT(VU_F_PROTOCOL_FEATURES));
	dev_ok();
	send_mem_table_at(0);
	dev_ok();
	setup_vring(0);
	setup_vring(1);
	assert_true(fx.d.vr[0].vq.ready);
	assert_true(fx.d.vr[1].vq.ready);
	expect_tx_works();
}

static void reply_ack(void **state)
{
	(void)state;
	fe_send_raw(VU_REQ_SET_OWNER, VU_VERSION | VU_FLAG_NEED_REPLY, NULL, 0, NULL, 0);
	dev_ok();
	fe_no_reply(); /* REPLY_ACK not negotiated yet */

	fe_send_u64(VU_REQ_SET_PROTOCOL_FEATURES, BIT(VU_PROTOCOL_F_REPLY_ACK));
	dev_ok();
	fe_send_raw(VU_REQ_SET_OWNER, VU_VERSION | VU_FLAG_NEED_REPLY, NULL, 0, NULL, 0);
	dev_ok();
	assert_int_equal(fe_reply_u64(VU_REQ_SET_OWNER), 0);
	fe_send(VU_REQ_SET_OWNER, NULL, 0, NULL, 0); /* not asked: no ack */
	dev_ok();
	fe_no_reply();
}

static void get_vring_base_stops_ring(void **state)
{
	union vu_payload p;
	int kick;

	(void)state;
	negotiate(0);
	expect_tx_works(); /* last_avail 1 */
	kick = fx.d.vr[1].vq.kick_fd;
	assert_int_equal(fcntl(kick, F_GETFD), FD_CLOEXEC);
	fx.nkicks = 0;
	memset(fx.nready, 0, sizeof(fx.nready));
	fe_send_state(VU_REQ_GET_VRING_BASE, 1, 0);
	dev_ok();
	assert_int_equal(fe_reply(VU_REQ_GET_VRING_BASE, &p), sizeof(struct vu_vring_state));
	assert_int_equal(p.state.index, 1);
	assert_int_equal(p.state.num, 1);
	assert_false(fx.d.vr[1].vq.ready);
	assert_false(fx.d.vr[1].started);
	assert_true(fx.d.vr[0].vq.ready); /* the other ring runs on */
	assert_int_equal(fx.nkicks, 1);
	assert_int_equal(fx.kicks[0].vring, 1);
	assert_int_equal(fx.kicks[0].old_fd, kick);
	assert_int_equal(fx.kicks[0].new_fd, -1);
	assert_int_equal(fx.d.vr[1].vq.kick_fd, -1);
	assert_int_equal(fcntl(kick, F_GETFD), -1); /* closed */
	assert_int_equal(errno, EBADF);
}

static void get_queue_num(void **state)
{
	(void)state;
	fx_close();
	fx_open(3);
	fe_send_u64(VU_REQ_SET_PROTOCOL_FEATURES, BIT(VU_PROTOCOL_F_MQ));
	dev_ok();
	fe_send(VU_REQ_GET_QUEUE_NUM, NULL, 0, NULL, 0);
	dev_ok();
	assert_int_equal(fe_reply_u64(VU_REQ_GET_QUEUE_NUM), 3);
	fe_send_state(VU_REQ_SET_VRING_NUM, 5, RING_SIZE); /* 2 * 3 vrings: fine */
	dev_ok();
	fe_send_state(VU_REQ_SET_VRING_NUM, 6, RING_SIZE);
	dev_refuses(-EPROTO);
}

/* A header now, its payload later; and a header in two pieces. */
static void split_message(void **state)
{
	struct vu_msg m = { .hdr = { VU_REQ_SET_VRING_NUM, VU_VERSION, 8 } };

	(void)state;
	m.p.state = (struct vu_vring_state){ 0, 64 };
	fe_write(&m, VU_HDR_SIZE, NULL, 0);
	dev_ok();
	assert_int_equal(fx.d.vr[0].vq.size, 0);
	fe_write(&m.p, 3, NULL, 0);
	dev_ok();
	assert_int_equal(fx.d.vr[0].vq.size, 0);
	fe_write((uint8_t *)&m.p + 3, 5, NULL, 0);
	dev_ok();
	assert_int_equal(fx.d.vr[0].vq.size, 64);

	m.p.state = (struct vu_vring_state){ 1, 128 };
	fe_write(&m, 5, NULL, 0);
	dev_ok();
	fe_write((uint8_t *)&m + 5, VU_HDR_SIZE + 8 - 5, NULL, 0);
	dev_ok();
	assert_int_equal(fx.d.vr[1].vq.size, 128);
	assert_int_equal(fx.d.st.messages, 2);
}

/* Several messages in one write are all handled by one call. */
static void back_to_back_messages(void **state)
{
	struct vu_msg m[3];
	uint8_t buf[3 * (VU_HDR_SIZE + 8)];
	size_t off = 0;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		m[i].hdr = (struct vu_hdr){ VU_REQ_SET_VRING_NUM, VU_VERSION, 8 };
		m[i].p.state = (struct vu_vring_state){ (uint32_t)(i % 2), 16u << i };
		memcpy(buf + off, &m[i], VU_HDR_SIZE + 8);
		off += VU_HDR_SIZE + 8;
	}
	fe_write(buf, off, NULL, 0);
	dev_ok();
	assert_int_equal(fx.d.st.messages, 3);
	assert_int_equal(fx.d.vr[0].vq.size, 64);
	assert_int_equal(fx.d.vr[1].vq.size, 32);
}

/* Re-sending the memory table (QEMU does on hotplug) remaps running rings. */
static void mem_table_replaced(void **state)
{
	const struct vu_mem *old;

	(void)state;
	negotiate(0);
	old = fx.d.mem;
	send_mem_table_at(0);
	dev_ok();
	assert_ptr_not_equal(fx.d.mem, old);
	assert_ptr_equal(fx.d.vr[0].vq.mem, fx.d.mem);
	assert_ptr_equal(fx.d.vr[1].vq.mem, fx.d.mem);
	assert_true(fx.d.vr[1].vq.ready);
	expect_tx_works();
}

/*
 * BUG (src/vhost/vu_dev.c:264-275): when a new memory table does not hold
 * one ring, the loop stops remapping (`&& !err`) but still installs the new
 * table and unmaps the old one: every later ring keeps desc/avail/used and
 * vq->mem pointing into the unmapped table — and stays ready, so a worker
 * that runs before the control thread detaches touches unmapped memory.
 */
static void failed_mem_table_leaves_no_stale_ring(void **state)
{
	int i;

	(void)state;
	negotiate(0);
	send_mem_table_at(1ull << 30); /* the rings' addresses are not in it */
	dev_refuses(-EPROTO);
	for (i = 0; i < NVRINGS; i++) {
		const struct vq *vq = &fx.d.vr[i].vq;

		if (vq->ready && vq->mem != fx.d.mem)
			fail_msg("vring %d is ready and still uses the unmapped memory table", i);
	}
}

static void detach_closes_everything(void **state)
{
	int fds[1 + 2 * NVRINGS], n = 0, i;

	(void)state;
	negotiate(0);
	fds[n++] = fx.d.fd;
	for (i = 0; i < NVRINGS; i++) {
		fds[n++] = fx.d.vr[i].vq.kick_fd;
		fds[n++] = fx.d.vr[i].vq.call_fd;
	}
	fx.nkicks = 0;
	memset(fx.nready, 0, sizeof(fx.nready));
	vu_dev_detach(&fx.d);
	for (i = 0; i < n; i++) {
		assert_int_equal(fcntl(fds[i], F_GETFD), -1);
		assert_int_equal(errno, EBADF);
	}
	assert_int_equal(fx.d.fd, -1);
	assert_null(fx.d.mem);
	assert_int_equal(fx.nkicks, NVRINGS); /* the owner forgets the kick fds */
	for (i = 0; i < NVRINGS; i++) {
		assert_int_equal(fx.kicks[i].new_fd, -1);
		assert_false(fx.d.vr[i].vq.ready);
		assert_int_equal(fx.d.vr[i].vq.call_fd, -1);
	}
	assert_int_equal(fx.d.st.disconnects, 1);
	close(fx.fe);
	fx.fe = -1;
	/* the fd count is checked by the teardown */
}

static void eof(void **state)
{
	(void)state;
	close(fx.fe);
	fx.fe = -1;
	dev_refuses(-ECONNRESET);
}

/* Nothing to read is not an error. */
static void nothing_to_read(void **state)
{
	(void)state;
	dev_ok();
	assert_int_equal(fx.d.st.messages, 0);
}

/* ---- protocol violations ---------------------------------------------------- */

static void refuse_version(void **state)
{
	(void)state;
	fe_send_raw(VU_REQ_GET_FEATURES, 0x2, NULL, 0, NULL, 0);
	dev_refuses(-EPROTO);
	fe_no_reply();
}

static void refuse_version_zero(void **state)
{
	(void)state;
	fe_send_raw(VU_REQ_GET_FEATURES, 0x0, NULL, 0, NULL, 0);
	dev_refuses(-EPROTO);
}

static void refuse_oversized_payload(void **state)
{
	struct vu_hdr h = { VU_REQ_SET_MEM_TABLE, VU_VERSION, (uint32_t)VU_PAYLOAD_MAX + 1 };

	(void)state;
	fe_write(&h, sizeof(h), NULL, 0);
	dev_refuses(-EPROTO);
}

static void refuse_wrong_size(void **state)
{
	uint32_t v = 256;

	(void)state;
	fe_send(VU_REQ_SET_VRING_NUM, &v, sizeof(v), NULL, 0);
	dev_refuses(-EPROTO);
	assert_int_equal(fx.d.vr[0].vq.size, 0);
}

static void refuse_stray_fd(void **state)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	fe_send(VU_REQ_GET_FEATURES, NULL, 0, &fd, 1);
	close(fd);
	dev_refuses(-EPROTO);
	fe_no_reply();
	/* the device closed its copy: checked by the teardown */
}

static void refuse_unknown_request(void **state)
{
	(void)state;
	fe_send(99, NULL, 0, NULL, 0);
	dev_refuses(-EPROTO);
}

static void refuse_unhandled_requests(void **state)
{
	static const uint32_t reqs[] = { 0, 26, VU_REQ_SET_LOG_BASE, VU_REQ_GET_CONFIG, 63 };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		fe_send(reqs[i], NULL, 0, NULL, 0);
		dev_refuses(-EPROTO);
	}
}

static void refuse_unoffered_features(void **state)
{
	(void)state;
	fe_send_u64(VU_REQ_SET_FEATURES, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_CTRL_VQ));
	dev_refuses(-EPROTO);
	/* offered, but without what they need (virtio 1.2 §5.1.3.1) */
	fe_send_u64(VU_REQ_SET_FEATURES, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_HOST_TSO4));
	dev_refuses(-EPROTO);
	fe_send_u64(VU_REQ_SET_FEATURES, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
						 BIT(VIRTIO_NET_F_GUEST_ECN));
	dev_refuses(-EPROTO);
	fe_send_u64(VU_REQ_SET_FEATURES, BIT(VIRTIO_NET_F_MQ)); /* one queue pair */
	dev_refuses(-EPROTO);
	fe_send_u64(VU_REQ_SET_PROTOCOL_FEATURES, BIT(VU_PROTOCOL_F_BACKEND_REQ));
	dev_refuses(-EPROTO);
	assert_int_equal(fx.d.features, 0);
}

static void refuse_vring_index(void **state)
{
	(void)state;
	fe_send_state(VU_REQ_SET_VRING_NUM, NVRINGS, RING_SIZE);
	dev_refuses(-EPROTO);
	fe_send_state(VU_REQ_SET_VRING_NUM, UINT32_MAX, RING_SIZE);
	dev_refuses(-EPROTO);
	fe_send_vring_fd(VU_REQ_SET_VRING_KICK, NVRINGS);
	dev_refuses(-EPROTO);
	fe_send_state(VU_REQ_GET_VRING_BASE, NVRINGS, 0);
	dev_refuses(-EPROTO);
	fe_no_reply();
	assert_int_equal(fx.nkicks, 0);
}

static void refuse_ring_size(void **state)
{
	static const uint32_t bad[] = { 1000, 65536, 0, 3 };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fe_send_state(VU_REQ_SET_VRING_NUM, 0, bad[i]);
		dev_refuses(-EPROTO);
	}
	assert_int_equal(fx.d.vr[0].vq.size, 0);
	fe_send_state(VU_REQ_SET_VRING_NUM, 0, 32768);
	dev_ok();
	assert_int_equal(fx.d.vr[0].vq.size, 32768);
}

static void refuse_nine_regions(void **state)
{
	struct vu_mem_table t;

	(void)state;
	guest_table(&fx.g, &t);
	t.nregions = 9; /* sent with 8 regions' worth of payload */
	fe_send(VU_REQ_SET_MEM_TABLE, &t, sizeof(t), &fx.g.fd, 1);
	dev_refuses(-EPROTO);
	assert_null(fx.d.mem);
}

static void refuse_mem_table_fd_count(void **state)
{
	struct vu_mem_table t = { .nregions = 2 };
	int fds[2] = { fx.g.fd, fx.g.fd };

	(void)state;
	t.regions[0] = (struct vu_mem_region){ GUEST_GPA, 1 << 20, GUEST_UVA, 0 };
	t.regions[1] = (struct vu_mem_region){ GUEST_GPA + (1 << 20), 1 << 20,
					       GUEST_UVA + (1 << 20), 1 << 20 };
	fe_send_mem_table(&t, fds, 1);
	dev_refuses(-EPROTO);
	t.nregions = 1;
	fe_send_mem_table(&t, fds, 2);
	dev_refuses(-EPROTO);
	assert_null(fx.d.mem);
	t.nregions = 2;
	fe_send_mem_table(&t, fds, 2); /* and right */
	dev_ok();
	assert_non_null(fx.d.mem);
}

static void refuse_kick_without_fd(void **state)
{
	uint64_t v = 0;

	(void)state;
	fe_send(VU_REQ_SET_VRING_KICK, &v, sizeof(v), NULL, 0);
	dev_refuses(-EPROTO);
	assert_false(fx.d.vr[0].started);
	v = 0 | VU_VRING_NOFD_MASK; /* "no fd" said explicitly: fine */
	fe_send(VU_REQ_SET_VRING_KICK, &v, sizeof(v), NULL, 0);
	dev_ok();
	assert_true(fx.d.vr[0].started);
	assert_int_equal(fx.d.vr[0].vq.kick_fd, -1);
}

static void refuse_kick_with_nofd_and_fd(void **state)
{
	uint64_t v = VU_VRING_NOFD_MASK;
	int fd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	fe_send(VU_REQ_SET_VRING_KICK, &v, sizeof(v), &fd, 1);
	close(fd);
	dev_refuses(-EPROTO);
}

static void refuse_queue_num_without_mq(void **state)
{
	(void)state;
	fe_send(VU_REQ_GET_QUEUE_NUM, NULL, 0, NULL, 0);
	dev_refuses(-EPROTO);
	fe_no_reply();
}

/* ---- issue 10: what a hostile front-end hands over ---------------------------- */

static void send_vring_fd_of(uint32_t req, uint32_t index, int fd)
{
	uint64_t v = index;

	fe_send(req, &v, sizeof(v), &fd, 1);
}

/*
 * Regression: a call fd was written under the vring lock, whatever it was;
 * a pipe (or a socket) could block the worker. Kick and call fds must be
 * eventfds.
 */
static void refuse_call_not_eventfd(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	send_vring_fd_of(VU_REQ_SET_VRING_CALL, 0, p[1]);
	close(p[0]);
	close(p[1]);
	dev_refuses(-EPROTO);
	assert_int_equal(fx.d.vr[0].vq.call_fd, -1);
}

static void refuse_kick_not_eventfd(void **state)
{
	int fd = memfd_create("xvs-test-kick", MFD_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	send_vring_fd_of(VU_REQ_SET_VRING_KICK, 0, fd);
	close(fd);
	dev_refuses(-EPROTO);
	assert_false(fx.d.vr[0].started);
}

/*
 * Regression: a blocking eventfd one short of its maximum made the next
 * interrupt block the worker forever (under the vring lock). The device
 * makes call fds non-blocking; a full one is counted, not waited for.
 */
static void full_call_fd_never_blocks(void **state)
{
	int fd = eventfd(0, EFD_CLOEXEC); /* blocking, as a hostile front-end gives it */
	struct vq *vq = &fx.d.vr[0].vq;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(eventfd_write(fd, 0xfffffffffffffffeull), 0);
	negotiate(0);
	send_vring_fd_of(VU_REQ_SET_VRING_CALL, 0, fd);
	dev_ok();
	assert_true(fcntl(vq->call_fd, F_GETFL) & O_NONBLOCK);
	alarm(10); /* the old code blocks here: end the test instead of hanging */
	vq_lock(vq);
	vq_push(vq, 0, 0);
	vq_flush(vq);
	vq_unlock(vq);
	alarm(0);
	assert_int_equal(vq->st.irq_fail, 1);
	assert_int_equal(vq->st.notifies, 0);
	close(fd);
}

/* Regression: SET_VRING_BASE / SET_VRING_ADDR rewrote a running ring. */
static void refuse_vring_base_on_running_ring(void **state)
{
	(void)state;
	negotiate(0);
	fe_send_state(VU_REQ_SET_VRING_BASE, 1, 100);
	dev_refuses(-EPROTO);
}

static void refuse_vring_addr_on_running_ring(void **state)
{
	struct vu_vring_addr a = {
		.index = 1,
		.desc_user_addr = gpa_uva(&fx.g, fx.r[0].desc_gpa),
		.used_user_addr = gpa_uva(&fx.g, fx.r[0].used_gpa),
		.avail_user_addr = gpa_uva(&fx.g, fx.r[0].avail_gpa),
	};

	(void)state;
	negotiate(0);
	fe_send(VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	dev_refuses(-EPROTO);
}

/* QEMU turns the used ring's dirty logging on and off on running rings
 * with their own addresses (live migration): taken, the ring keeps
 * running; unknown flags are not. */
static void vring_addr_log_flag_on_running_ring(void **state)
{
	struct vu_vring_addr a = {
		.index = 1,
		.flags = VU_VRING_F_LOG,
		.desc_user_addr = gpa_uva(&fx.g, fx.r[1].desc_gpa),
		.used_user_addr = gpa_uva(&fx.g, fx.r[1].used_gpa),
		.avail_user_addr = gpa_uva(&fx.g, fx.r[1].avail_gpa),
		.log_guest_addr = fx.r[1].used_gpa,
	};

	(void)state;
	negotiate(0);
	fe_send(VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	dev_ok();
	assert_true(fx.d.vr[1].vq.log_used);
	assert_int_equal(fx.d.vr[1].vq.log_used_gpa, fx.r[1].used_gpa);
	assert_true(fx.d.vr[1].vq.ready);
	expect_tx_works();
	a.flags = 0;
	fe_send(VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	dev_ok();
	assert_false(fx.d.vr[1].vq.log_used);
	a.flags = 2;
	fe_send(VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	dev_refuses(-EPROTO);
}

/* A stopped ring may be set again (QEMU does, after GET_VRING_BASE). */
static void vring_base_after_stop(void **state)
{
	(void)state;
	negotiate(0);
	fe_send_state(VU_REQ_GET_VRING_BASE, 1, 0);
	dev_ok();
	fe_reply(VU_REQ_GET_VRING_BASE, &(union vu_payload){ 0 });
	fe_send_state(VU_REQ_SET_VRING_BASE, 1, 100);
	dev_ok();
	assert_int_equal(fx.d.vr[1].vq.last_avail, 100);
}

/* Regression: no cap on a port's guest memory (sparse 1 TiB regions). */
static void refuse_memory_over_limit(void **state)
{
	(void)state;
	fx.d.max_mem = GUEST_RAM_SIZE - 1;
	send_mem_table_at(0);
	dev_refuses(-EPROTO);
	assert_null(fx.d.mem);
}

static void memory_at_limit(void **state)
{
	(void)state;
	fx.d.max_mem = GUEST_RAM_SIZE;
	send_mem_table_at(0);
	dev_ok();
	assert_non_null(fx.d.mem);
	assert_int_equal(fx.d.mem->total, GUEST_RAM_SIZE);
}

/*
 * Regression: one front-end streaming cheap requests kept the control
 * thread in its read loop. A call handles VU_MSG_BUDGET messages; the
 * rest waits for the next round of the control thread's poll.
 */
static void message_budget_per_call(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		fe_send(VU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	dev_ok();
	assert_int_equal(fx.d.st.messages, VU_MSG_BUDGET);
	for (i = 0; i < 10 && fx.d.st.messages < 100; i++)
		dev_ok();
	assert_int_equal(fx.d.st.messages, 100);
	assert_int_equal(i, (100 + VU_MSG_BUDGET - 1) / VU_MSG_BUDGET - 1);
}

/* Memory that goes away under a running device: the port breaks, with
 * that reason, and nothing else happens (see test_vu_mem for the guard). */
static void shrunk_memory_breaks_the_port(void **state)
{
	volatile uint16_t *idx;

	(void)state;
	assert_int_equal(vu_mem_guard_install(-1), 0);
	negotiate(0);
	assert_false(vu_dev_check_broken(&fx.d));
	idx = &fx.d.vr[1].vq.avail->idx;
	assert_int_equal(ftruncate(fx.g.fd, 0), 0);
	assert_int_equal(*idx, 0); /* SIGBUS, contained */
	assert_true(vu_dev_check_broken(&fx.d));
	assert_non_null(strstr(fx.d.broken_why, "SIGBUS"));
	assert_int_equal(fx.d.st.mem_faults, 1);
	assert_false(fx.d.vr[1].vq.ready);
}

/* ---- crash resume: GET/SET_INFLIGHT_FD --------------------------------- */

/* A reply that carries one fd (GET_INFLIGHT_FD); returns the fd. */
static int fe_reply_fd(uint32_t req, union vu_payload *p, uint32_t *size)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct vu_hdr h;
	struct iovec iov = { &h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = -1;

	assert_true(fe_readable(2000));
	assert_int_equal(recvmsg(fx.fe, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC), sizeof(h));
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	assert_int_equal(h.request, req);
	assert_true(h.size <= sizeof(*p));
	if (h.size)
		assert_int_equal(recv(fx.fe, p, h.size, MSG_WAITALL), h.size);
	*size = h.size;
	return fd;
}

static void inflight_start(uint64_t pf)
{
	fe_send_u64(VU_REQ_SET_PROTOCOL_FEATURES, pf);
	dev_ok();
	fe_send_u64(VU_REQ_SET_FEATURES, FEATURES);
	dev_ok();
}

/* Negotiated, then GET_INFLIGHT_FD for the fixture's vrings: the
 * region's fd (the front-end keeps it), its area in p. */
static int inflight_get(union vu_payload *p)
{
	struct vu_inflight_area a = { .num_queues = NVRINGS, .queue_size = RING_SIZE };
	uint32_t size;
	int fd;

	inflight_start(BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD));
	fe_send(VU_REQ_GET_INFLIGHT_FD, &a, sizeof(a), NULL, 0);
	dev_ok();
	fd = fe_reply_fd(VU_REQ_GET_INFLIGHT_FD, p, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, sizeof(a));
	return fd;
}

/* inflight_get, then the region mapped as the front-end sees it (*map):
 * the record of vring 1, the transmit ring */
static struct vu_ifl_queue *inflight_tx_record(union vu_payload *p, int *fd, uint8_t **map)
{
	*fd = inflight_get(p);
	*map = mmap(NULL, p->inflight.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	assert_true(*map != MAP_FAILED);
	return (struct vu_ifl_queue *)(*map + vu_inflight_queue_bytes(RING_SIZE));
}

/* The guest's transmit ring: heads[0..n) available, each a 64-byte buffer */
static void tx_post_heads(const uint16_t *heads, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		drv_desc(&fx.r[1], heads[i], guest_alloc(&fx.g, 64, 8), 64, 0, 0);
		fx.r[1].avail->ring[i] = heads[i];
	}
	fx.r[1].avail_idx = n;
	fx.r[1].avail->idx = n;
}

/* Offered on split ports, not on packed-ring ones. */
static void inflight_offered_on_split_ports(void **state)
{
	(void)state;
	assert_true(vu_dev_offered_protocol_features(&fx.d) & BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD));
	fx.d.packed = true;
	assert_false(vu_dev_offered_protocol_features(&fx.d) & BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD));
	fx.d.packed = false;
	/* and not usable unless negotiated */
	inflight_start(BIT(VU_PROTOCOL_F_MQ));
	fe_send(VU_REQ_GET_INFLIGHT_FD,
		&(struct vu_inflight_area){ .num_queues = 2, .queue_size = RING_SIZE },
		sizeof(struct vu_inflight_area), NULL, 0);
	dev_refuses(-EPROTO);
}

/* GET gives a sealed region, SET maps it; a head the record says was in
 * flight comes first when the transmit ring starts; the region cannot be
 * replaced under running rings. */
static void inflight_region_resubmits_at_start(void **state)
{
	struct vq *vq = &fx.d.vr[1].vq;
	struct vu_ifl_queue *q;
	union vu_payload p;
	struct vq_chain c;
	uint8_t *map;
	int fd, i;

	(void)state;
	q = inflight_tx_record(&p, &fd, &map);
	assert_int_equal(p.inflight.mmap_size, NVRINGS * vu_inflight_queue_bytes(RING_SIZE));
	assert_int_equal(p.inflight.num_queues, NVRINGS);
	assert_null(fx.d.ifl.map); /* ours only once it is set */
	/* what a back-end that died left: head 5 of vring 1 in flight */
	assert_int_equal(q->version, 1);
	q->desc[5].inflight = 1;
	q->desc[5].counter = 41;
	tx_post_heads((const uint16_t[]){ 5 }, 1);
	fe_send(VU_REQ_SET_INFLIGHT_FD, &p.inflight, sizeof(p.inflight), &fd, 1);
	dev_ok();
	assert_non_null(fx.d.ifl.map);
	send_mem_table_at(0);
	dev_ok();
	for (i = 0; i < NVRINGS; i++)
		setup_vring(i);
	assert_int_equal(fx.d.st.inflight_resubmits, 1);
	assert_non_null(vq->ifl);
	assert_null(fx.d.vr[0].vq.ifl); /* receive rings are not tracked */
	fe_send_state(VU_REQ_SET_VRING_ENABLE, 1, 1);
	dev_ok();
	assert_int_equal(vq_avail_count(vq), 1);
	assert_int_equal(vq_pop(vq, &c, false), 0);
	assert_int_equal(c.head, 5);
	vu_inflight_popped(vq, &c, 1);
	assert_int_equal(q->desc[5].counter, 42);
	assert_int_equal(vq_avail_count(vq), 0); /* the guest's entry 0 was that one */
	vq_push(vq, 5, 0);
	vq_flush(vq);
	assert_int_equal(q->desc[5].inflight, 0);
	assert_int_equal(q->used_idx, 1);
	/* replacing the region under running rings is refused */
	fe_send(VU_REQ_SET_INFLIGHT_FD, &p.inflight, sizeof(p.inflight), &fd, 1);
	dev_refuses(-EPROTO);
	munmap(map, p.inflight.mmap_size);
	close(fd);
}

/* A record that no back-end wrote: the port is refused at the ring's
 * start, counted; an unsealed region at SET_INFLIGHT_FD. */
static void inflight_bad_region_refused(void **state)
{
	union vu_payload p;
	uint8_t *map;
	int fd, plain;

	(void)state;
	fd = inflight_get(&p);
	plain = memfd_create("unsealed", MFD_CLOEXEC);
	assert_int_equal(ftruncate(plain, (off_t)p.inflight.mmap_size), 0);
	fe_send(VU_REQ_SET_INFLIGHT_FD, &p.inflight, sizeof(p.inflight), &plain, 1);
	dev_refuses(-EPROTO);
	assert_int_equal(fx.d.st.inflight_refused, 1);
	close(plain);
	fx_close();
	fx_open(1);
	inflight_start(BIT(VU_PROTOCOL_F_INFLIGHT_SHMFD));
	map = mmap(NULL, p.inflight.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	((struct vu_ifl_queue *)(map + vu_inflight_queue_bytes(RING_SIZE)))->desc[9].inflight = 7;
	fe_send(VU_REQ_SET_INFLIGHT_FD, &p.inflight, sizeof(p.inflight), &fd, 1);
	dev_ok();
	send_mem_table_at(0);
	dev_ok();
	setup_vring(0);
	fe_send_state(VU_REQ_SET_VRING_NUM, 1, RING_SIZE);
	dev_ok();
	fe_send(VU_REQ_SET_VRING_ADDR,
		&(struct vu_vring_addr){ .index = 1,
					 .desc_user_addr = gpa_uva(&fx.g, fx.r[1].desc_gpa),
					 .used_user_addr = gpa_uva(&fx.g, fx.r[1].used_gpa),
					 .avail_user_addr = gpa_uva(&fx.g, fx.r[1].avail_gpa) },
		sizeof(struct vu_vring_addr), NULL, 0);
	dev_ok();
	fe_send_vring_fd(VU_REQ_SET_VRING_KICK, 1);
	dev_refuses(-EPROTO);
	assert_int_equal(fx.d.st.inflight_refused, 1);
	assert_null(fx.d.vr[1].vq.ifl);
	munmap(map, p.inflight.mmap_size);
	close(fd);
}

/* A second SET_VRING_KICK on a running tracked ring (a new kick fd) keeps
 * the ring's tracking: no second resubmission of a head still in flight
 * (a duplicated completion), no second shadow ring (leaked). */
static void inflight_kick_again_keeps_tracking(void **state)
{
	struct vq *vq = &fx.d.vr[1].vq;
	struct vring_avail *shadow, *guest;
	struct vu_ifl_queue *q;
	union vu_payload p;
	struct vq_chain c;
	uint8_t *map;
	int fd, i;

	(void)state;
	q = inflight_tx_record(&p, &fd, &map);
	q->desc[5].inflight = 1;
	q->desc[5].counter = 41;
	q->desc[6].inflight = 1;
	q->desc[6].counter = 42;
	tx_post_heads((const uint16_t[]){ 5, 6 }, 2);
	fe_send(VU_REQ_SET_INFLIGHT_FD, &p.inflight, sizeof(p.inflight), &fd, 1);
	dev_ok();
	send_mem_table_at(0);
	dev_ok();
	for (i = 0; i < NVRINGS; i++)
		setup_vring(i);
	fe_send_state(VU_REQ_SET_VRING_ENABLE, 1, 1);
	dev_ok();
	assert_int_equal(fx.d.st.inflight_resubmits, 2);
	shadow = vq->ifl_shadow;
	guest = vq->ifl_guest;
	assert_non_null(shadow);
	/* head 5 taken again, still in flight; then a new kick fd */
	assert_int_equal(vq_pop(vq, &c, false), 0);
	assert_int_equal(c.head, 5);
	vu_inflight_popped(vq, &c, 1);
	fe_send_vring_fd(VU_REQ_SET_VRING_KICK, 1);
	dev_ok();
	assert_int_equal(fx.d.st.inflight_resubmits, 2);
	assert_ptr_equal(vq->ifl_shadow, shadow);
	assert_ptr_equal(vq->ifl_guest, guest);
	assert_int_equal(vq_avail_count(vq), 1); /* head 6 only, not 5 again */
	assert_int_equal(vq_pop(vq, &c, false), 0);
	assert_int_equal(c.head, 6);
	vu_inflight_popped(vq, &c, 1);
	assert_ptr_equal(vq->avail, guest); /* the guest's ring again */
	assert_int_equal(vq_avail_count(vq), 0);
	munmap(map, p.inflight.mmap_size);
	close(fd);
}

/* A ring started before the memory table (not tracked: not mapped at its
 * start) runs once the table comes; a second SET_VRING_KICK then must not
 * start tracking on the running ring: that would put its position back
 * to the guest's used index, taking a head still in flight again, and
 * resubmit what the record claims on top. */
static void inflight_kick_on_running_untracked_ring(void **state)
{
	struct vq *vq = &fx.d.vr[1].vq;
	struct vu_ifl_queue *q;
	union vu_payload p;
	struct vq_chain c;
	uint8_t *map;
	int fd, i;

	(void)state;
	q = inflight_tx_record(&p, &fd, &map);
	q->desc[5].inflight = 1; /* what the front-end claims */
	drv_desc(&fx.r[1], 5, guest_alloc(&fx.g, 64, 8), 64, 0, 0);
	tx_post_heads((const uint16_t[]){ 3 }, 1);
	fe_send(VU_REQ_SET_INFLIGHT_FD, &p.inflight, sizeof(p.inflight), &fd, 1);
	dev_ok();
	for (i = 0; i < NVRINGS; i++)
		setup_vring(i);
	send_mem_table_at(0);
	dev_ok();
	fe_send_state(VU_REQ_SET_VRING_ENABLE, 1, 1);
	dev_ok();
	assert_true(vq->ready);
	assert_null(vq->ifl);
	assert_int_equal(vq_pop(vq, &c, false), 0);
	assert_int_equal(c.head, 3); /* taken, not yet returned */
	fe_send_vring_fd(VU_REQ_SET_VRING_KICK, 1);
	dev_ok();
	assert_int_equal(fx.d.st.inflight_resubmits, 0);
	assert_null(vq->ifl);
	assert_int_equal(vq_avail_count(vq), 0); /* head 3 not taken again */
	munmap(map, p.inflight.mmap_size);
	close(fd);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(get_features),
		T(full_negotiation),
		T(legacy_negotiation),
		T(reply_ack),
		T(get_vring_base_stops_ring),
		T(get_queue_num),
		T(split_message),
		T(back_to_back_messages),
		T(mem_table_replaced),
		T(failed_mem_table_leaves_no_stale_ring),
		T(detach_closes_everything),
		T(eof),
		T(nothing_to_read),
		T(refuse_version),
		T(refuse_version_zero),
		T(refuse_oversized_payload),
		T(refuse_wrong_size),
		T(refuse_stray_fd),
		T(refuse_unknown_request),
		T(refuse_unhandled_requests),
		T(refuse_unoffered_features),
		T(enable_before_negotiation),
		T(refuse_vring_index),
		T(refuse_ring_size),
		T(refuse_nine_regions),
		T(refuse_mem_table_fd_count),
		T(refuse_kick_without_fd),
		T(refuse_kick_with_nofd_and_fd),
		T(refuse_queue_num_without_mq),
		T(refuse_call_not_eventfd),
		T(refuse_kick_not_eventfd),
		T(full_call_fd_never_blocks),
		T(refuse_vring_base_on_running_ring),
		T(refuse_vring_addr_on_running_ring),
		T(vring_addr_log_flag_on_running_ring),
		T(vring_base_after_stop),
		T(refuse_memory_over_limit),
		T(memory_at_limit),
		T(message_budget_per_call),
		T(shrunk_memory_breaks_the_port),
		T(inflight_offered_on_split_ports),
		T(inflight_region_resubmits_at_start),
		T(inflight_bad_region_refused),
		T(inflight_kick_again_keeps_tracking),
		T(inflight_kick_on_running_untracked_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
