// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-user messages and the negotiation, in the order QEMU uses for a
 * virtio-net device:
 *
 *	GET_FEATURES, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES,
 *	GET_QUEUE_NUM, SET_OWNER, SET_FEATURES, [SET_STATUS FEATURES_OK,
 *	GET_STATUS]                                          vf_negotiate()
 *	SET_MEM_TABLE; per vring NUM, BASE, ADDR, KICK, CALL;
 *	per vring ENABLE 1; [SET_STATUS DRIVER_OK]           vf_setup()
 *
 * With REPLY_ACK negotiated every request without a reply body carries
 * NEED_REPLY and its ack is checked. The back-end is the peer under test:
 * a reply that is too large, of the wrong request or never comes is an
 * error, never trusted.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "vufront.h"

#define VF_CONNECT_WAIT_MS 5000 /* the back-end may still be starting */
#define VF_CONNECT_RETRY_MS 50
#define VF_REPLY_WAIT_MS 5000
#define VF_STATUS_BASE (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		log_err("socket path too long (max %zu bytes): %s", sizeof(sa->sun_path) - 1,
			path);
		return -ENAMETOOLONG;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

static int sock_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, err, waited = 0;

	err = unix_addr(path, &sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		if ((err != -ENOENT && err != -ECONNREFUSED) || waited >= VF_CONNECT_WAIT_MS) {
			log_err("connect %s: %s", path, strerror(-err));
			close(fd);
			return err;
		}
		sleep_ms(VF_CONNECT_RETRY_MS);
		waited += VF_CONNECT_RETRY_MS;
	}
	return fd;
}

static int sock_listen(const char *path, double timeout)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	struct stat st;
	int lfd, fd, err, r;

	err = unix_addr(path, &sa);
	if (err)
		return err;
	/* A stale socket from an earlier run; never remove anything else. */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		err = -errno;
		log_err("listen on %s: %s", path, strerror(errno));
		goto out_close;
	}
	log_info("waiting for the back-end on %s", path);
	pfd = (struct pollfd){ .fd = lfd, .events = POLLIN };
	r = poll(&pfd, 1, timeout > 0 ? (int)(timeout * 1000) : -1);
	if (r <= 0) {
		err = r ? -errno : -ETIMEDOUT;
		log_err("no back-end connected to %s: %s", path, strerror(-err));
		goto out_unlink;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	err = fd < 0 ? -errno : fd;
	if (fd < 0)
		log_err("accept on %s: %s", path, strerror(errno));
out_unlink:
	unlink(path);
out_close:
	close(lfd);
	return err;
}

int vf_sock_open(const struct vf_opts *o)
{
	return o->listen ? sock_listen(o->path, o->timeout) : sock_connect(o->path);
}

static int send_iov(struct vf_dev *d, struct iovec *iov, int niov, const int *fds,
		    unsigned int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)niov };
	struct cmsghdr *c;
	ssize_t n;

	if (nfds > 16)
		return -EINVAL;
	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while (mh.msg_iovlen) {
		n = sendmsg(d->sock, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				d->disconnected = true;
				return -EPIPE;
			}
			return -errno;
		}
		mh.msg_control = NULL; /* fds go with the first byte only */
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int vf_msg_send(struct vf_dev *d, uint32_t req, uint32_t flags, const void *payload,
		uint32_t size, const int *fds, unsigned int nfds)
{
	struct vu_hdr h = { .request = req, .flags = VU_VERSION | flags, .size = size };
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};

	log_dbg("-> %s (%u) flags %#x size %u fds %u", vu_request_name(req), req, h.flags, size,
		nfds);
	return send_iov(d, iov, size ? 2 : 1, fds, nfds);
}

int vf_send_raw(struct vf_dev *d, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return send_iov(d, &iov, 1, fds, nfds);
}

static int64_t ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Exactly n bytes before the deadline; fds that come along are closed. */
static int recv_full(struct vf_dev *d, void *buf, size_t n, const struct timespec *deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	size_t got = 0;
	int64_t left;
	ssize_t r;

	while (got < n) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = n - got };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;

		left = ms_left(deadline);
		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ETIMEDOUT;
		r = recvmsg(d->sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0 && errno != ECONNRESET)
			return -errno;
		if (r <= 0) {
			d->disconnected = true;
			return -EPIPE;
		}
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			int *fds = (int *)CMSG_DATA(c);
			size_t i, k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			i = 0;
			if (k && d->recv_fd_want && d->recv_fd < 0) { /* a reply's fd, wanted */
				d->recv_fd = fds[0];
				i = 1;
			}
			if (i < k)
				log_warn("back-end sent %zu unexpected fd(s); closed", k - i);
			for (; i < k; i++)
				close(fds[i]);
		}
		got += (size_t)r;
	}
	return 0;
}

/* One message; a payload larger than any valid one is read and dropped. */
static int recv_msg(struct vf_dev *d, struct vu_msg *m, const struct timespec *deadline)
{
	uint8_t sink[256];
	uint32_t left;
	int err;

	err = recv_full(d, &m->hdr, sizeof(m->hdr), deadline);
	if (err)
		return err;
	if (m->hdr.size > VU_PAYLOAD_MAX) {
		log_warn("back-end sent %s with size %u (> %zu); dropped",
			 vu_request_name(m->hdr.request), m->hdr.size, VU_PAYLOAD_MAX);
		for (left = m->hdr.size; left;) {
			uint32_t k = left < sizeof(sink) ? left : (uint32_t)sizeof(sink);

			err = recv_full(d, sink, k, deadline);
			if (err)
				return err;
			left -= k;
		}
		return -EPROTO;
	}
	err = recv_full(d, &m->p, m->hdr.size, deadline);
	if (err)
		return err;
	log_dbg("<- %s (%u) flags %#x size %u", vu_request_name(m->hdr.request), m->hdr.request,
		m->hdr.flags, m->hdr.size);
	return 0;
}

int vf_reply_wait(struct vf_dev *d, uint32_t req, struct vu_msg *m, int timeout_ms)
{
	struct timespec deadline;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (;;) {
		err = recv_msg(d, m, &deadline);
		if (err == -EPROTO)
			continue;
		if (err)
			return err;
		if ((m->hdr.flags & VU_FLAG_REPLY) && m->hdr.request == req)
			return 0;
		log_warn("unexpected %s (flags %#x) while waiting for the reply to %s; dropped",
			 vu_request_name(m->hdr.request), m->hdr.flags, vu_request_name(req));
	}
}

static int get_u64(struct vf_dev *d, uint32_t req, uint64_t *out)
{
	struct vu_msg m;
	int err;

	err = vf_msg_send(d, req, 0, NULL, 0, NULL, 0);
	if (!err)
		err = vf_reply_wait(d, req, &m, VF_REPLY_WAIT_MS);
	if (err) {
		log_err("%s: %s", vu_request_name(req), strerror(-err));
		return err;
	}
	if (m.hdr.size != sizeof(__u64)) {
		log_err("%s: reply of %u bytes, expected 8", vu_request_name(req), m.hdr.size);
		return -EPROTO;
	}
	*out = m.p.u64;
	return 0;
}

int vf_req(struct vf_dev *d, uint32_t req, const void *payload, uint32_t size, const int *fds,
	   unsigned int nfds, uint64_t *ack)
{
	struct vu_msg m;
	int err;

	err = vf_msg_send(d, req, d->reply_ack ? VU_FLAG_NEED_REPLY : 0, payload, size, fds, nfds);
	if (err || !d->reply_ack)
		goto out;
	err = vf_reply_wait(d, req, &m, VF_REPLY_WAIT_MS);
	if (err)
		goto out;
	if (m.hdr.size != sizeof(__u64)) {
		log_err("%s: ack of %u bytes, expected 8", vu_request_name(req), m.hdr.size);
		return -EPROTO;
	}
	if (ack)
		*ack = m.p.u64;
	if (m.p.u64) {
		log_err("%s: back-end refused it (ack %llu)", vu_request_name(req),
			(unsigned long long)m.p.u64);
		return -EIO;
	}
out:
	if (err)
		log_err("%s: %s", vu_request_name(req), strerror(-err));
	return err;
}

static int req_u64(struct vf_dev *d, uint32_t req, uint64_t v)
{
	return vf_req(d, req, &v, sizeof(v), NULL, 0, NULL);
}

static int set_status(struct vf_dev *d, uint64_t status)
{
	uint64_t back;
	int err;

	err = req_u64(d, VU_REQ_SET_STATUS, status);
	if (err)
		return err;
	err = get_u64(d, VU_REQ_GET_STATUS, &back);
	if (err)
		return err;
	if ((back & status) != status) {
		log_err("GET_STATUS says %#llx after SET_STATUS %#llx", (unsigned long long)back,
			(unsigned long long)status);
		return -EPROTO;
	}
	return 0;
}

/* -v: the offloads asked, offered and negotiated by name; a set the
 * virtio spec forbids (§5.1.3.1) is acked as asked, and warned about. */
static void offloads_log(uint64_t asked, uint64_t offered, uint64_t f)
{
	static const struct {
		unsigned int bit, needs, or_needs;
	} deps[] = {
		{ VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_CSUM },
		{ VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6 },
		{ VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_CSUM },
		{ VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6 },
	};
	char a[160], b[160], c[160], n1[32], n2[32];
	size_t i;

	log_info("offloads: asked %s; offered %s; negotiated %s", vf_ofl_names(asked, a, sizeof(a)),
		 vf_ofl_names(offered, b, sizeof(b)), vf_ofl_names(f, c, sizeof(c)));
	for (i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
		if (f & 1ull << deps[i].bit &&
		    !(f & (1ull << deps[i].needs | 1ull << deps[i].or_needs)))
			log_warn("offloads: %s negotiated without any of %s (virtio 5.1.3.1 "
				 "forbids it; the back-end may refuse SET_FEATURES)",
				 vf_ofl_names(1ull << deps[i].bit, n1, sizeof(n1)),
				 vf_ofl_names(1ull << deps[i].needs | 1ull << deps[i].or_needs, n2,
					      sizeof(n2)));
}

int vf_negotiate(struct vf_dev *d)
{
	const struct vf_opts *o = d->o;
	uint64_t offered, want, pf, pf_want, qnum;
	int err;

	err = get_u64(d, VU_REQ_GET_FEATURES, &offered);
	if (err)
		return err;
	want = 1ull << VIRTIO_F_VERSION_1 | 1ull << VU_F_PROTOCOL_FEATURES;
	if (!o->no_mrg_rxbuf)
		want |= 1ull << VIRTIO_NET_F_MRG_RXBUF;
	if (!o->no_event_idx)
		want |= 1ull << VIRTIO_RING_F_EVENT_IDX;
	if (!o->no_indirect)
		want |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	if (o->queues > 1)
		want |= 1ull << VIRTIO_NET_F_MQ;
	if (o->packed)
		want |= 1ull << VIRTIO_F_RING_PACKED;
	if (o->in_order)
		want |= 1ull << VIRTIO_F_IN_ORDER;
	want |= o->offloads;
	d->features = want & offered;
	log_info("features: offered %#llx, negotiated %#llx", (unsigned long long)offered,
		 (unsigned long long)d->features);
	if (o->offloads)
		offloads_log(o->offloads, offered, d->features);

	d->max_qp = 1;
	if (d->features & 1ull << VU_F_PROTOCOL_FEATURES) {
		err = get_u64(d, VU_REQ_GET_PROTOCOL_FEATURES, &pf);
		if (err)
			return err;
		pf_want = 1ull << VU_PROTOCOL_F_MQ | 1ull << VU_PROTOCOL_F_REPLY_ACK |
			  1ull << VU_PROTOCOL_F_STATUS;
		if (o->inflight)
			pf_want |= 1ull << VU_PROTOCOL_F_INFLIGHT_SHMFD;
		d->protocol_features = pf & pf_want;
		log_info("protocol features: offered %#llx, negotiated %#llx",
			 (unsigned long long)pf, (unsigned long long)d->protocol_features);
		err = req_u64(d, VU_REQ_SET_PROTOCOL_FEATURES, d->protocol_features);
		if (err)
			return err;
		d->reply_ack = d->protocol_features & 1ull << VU_PROTOCOL_F_REPLY_ACK;
		d->status = d->protocol_features & 1ull << VU_PROTOCOL_F_STATUS;
		if (d->protocol_features & 1ull << VU_PROTOCOL_F_MQ) {
			err = get_u64(d, VU_REQ_GET_QUEUE_NUM, &qnum);
			if (err)
				return err;
			log_info("GET_QUEUE_NUM: %llu queue pair(s)", (unsigned long long)qnum);
			d->max_qp = qnum > VF_MAX_QP ? VF_MAX_QP : (unsigned int)qnum;
		}
	}
	if (o->packed && !(d->features & 1ull << VIRTIO_F_RING_PACKED)) {
		/* an option the back-end cannot serve: exit 2 */
		log_err("--packed: the back-end does not offer VIRTIO_F_RING_PACKED (bit %d)",
			VIRTIO_F_RING_PACKED);
		d->unsupported = true;
		return -EOPNOTSUPP;
	}
	if (o->inflight && !(d->protocol_features & 1ull << VU_PROTOCOL_F_INFLIGHT_SHMFD)) {
		log_err("--inflight: the back-end does not offer "
			"VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD (bit %d)",
			VU_PROTOCOL_F_INFLIGHT_SHMFD);
		d->unsupported = true;
		return -EOPNOTSUPP;
	}
	if (o->queues > 1 && !(d->features & 1ull << VIRTIO_NET_F_MQ)) {
		log_err("--queues %u: the back-end does not offer VIRTIO_NET_F_MQ", o->queues);
		return -EOPNOTSUPP;
	}
	if (o->queues > d->max_qp) {
		log_err("--queues %u: the back-end has %u queue pair(s)", o->queues, d->max_qp);
		return -EOPNOTSUPP;
	}

	err = vf_req(d, VU_REQ_SET_OWNER, NULL, 0, NULL, 0, NULL);
	if (err)
		return err;
	err = req_u64(d, VU_REQ_SET_FEATURES, d->features);
	if (err)
		return err;
	if (d->status) {
		err = set_status(d, VF_STATUS_BASE | VIRTIO_CONFIG_S_FEATURES_OK);
		if (err)
			return err;
	}

	d->event_idx = d->features & 1ull << VIRTIO_RING_F_EVENT_IDX;
	d->indirect = d->features & 1ull << VIRTIO_RING_F_INDIRECT_DESC;
	d->mrg_rxbuf = d->features & 1ull << VIRTIO_NET_F_MRG_RXBUF;
	d->packed = d->features & 1ull << VIRTIO_F_RING_PACKED;
	d->in_order = d->features & 1ull << VIRTIO_F_IN_ORDER;
	if (o->in_order && !d->in_order)
		log_info("--in-order: the back-end does not offer VIRTIO_F_IN_ORDER (bit %d); "
			 "used entries are not checked for order", VIRTIO_F_IN_ORDER);
	d->hdr_len = (d->features & (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MRG_RXBUF)) ?
			     sizeof(struct virtio_net_hdr_v1) :
			     sizeof(struct virtio_net_hdr);
	return 0;
}

/* In an evil run a refused setup message is part of the experiment. */
static int setup_step(struct vf_dev *d, int err)
{
	if (err == -EIO && d->o->evil) {
		d->setup_nacks++;
		return 0;
	}
	return err;
}

static struct vf_vq *vring_of(struct vf_dev *d, unsigned int i)
{
	return i & 1 ? &d->qp[i / 2].tx.vq : &d->qp[i / 2].rx.vq;
}

int vf_set_mem_table(struct vf_dev *d)
{
	struct vu_mem_table t = { .nregions = d->mem.nregions };
	int fds[VU_MAX_MEM_REGIONS];
	unsigned int i;

	for (i = 0; i < d->mem.nregions; i++) {
		t.regions[i] = (struct vu_mem_region){
			.guest_phys_addr = d->mem.r[i].gpa,
			.memory_size = d->mem.r[i].size,
			.userspace_addr = (uintptr_t)d->mem.r[i].va,
			.mmap_offset = d->mem.r[i].offset,
		};
		fds[i] = d->mem.fd;
	}
	return vf_req(d, VU_REQ_SET_MEM_TABLE, &t,
		      (uint32_t)(offsetof(struct vu_mem_table, regions) +
				 sizeof(t.regions[0]) * t.nregions),
		      fds, t.nregions, NULL);
}

int vf_vring_start(struct vf_dev *d, unsigned int i, uint16_t base)
{
	struct vf_vq *vq = vring_of(d, i);
	struct vu_vring_state s;
	struct vu_vring_addr a;
	uint64_t idx = i;
	int err;

	s = (struct vu_vring_state){ .index = i, .num = vq->num };
	err = vf_evil_setup_hook(d, VU_REQ_SET_VRING_NUM, i);
	if (!err)
		err = setup_step(d, vf_req(d, VU_REQ_SET_VRING_NUM, &s, sizeof(s), NULL, 0, NULL));
	if (err < 0)
		return err;
	s = (struct vu_vring_state){ .index = i, .num = base };
	err = vf_evil_setup_hook(d, VU_REQ_SET_VRING_BASE, i);
	if (!err)
		err = setup_step(d, vf_req(d, VU_REQ_SET_VRING_BASE, &s, sizeof(s), NULL, 0, NULL));
	if (err < 0)
		return err;
	/* Addresses in our (the front-end's) address space, as QEMU sends. */
	a = (struct vu_vring_addr){ .index = i };
	vf_vq_addrs(vq, &a);
	err = vf_evil_setup_hook(d, VU_REQ_SET_VRING_ADDR, i);
	if (!err)
		err = setup_step(d, vf_req(d, VU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, NULL));
	if (err < 0)
		return err;
	err = vf_evil_setup_hook(d, VU_REQ_SET_VRING_KICK, i);
	if (!err)
		err = setup_step(d, vf_req(d, VU_REQ_SET_VRING_KICK, &idx, sizeof(idx),
					   &vq->kickfd, 1, NULL));
	if (err < 0)
		return err;
	err = vf_evil_setup_hook(d, VU_REQ_SET_VRING_CALL, i);
	if (!err)
		err = setup_step(d, vf_req(d, VU_REQ_SET_VRING_CALL, &idx, sizeof(idx),
					   &vq->callfd, 1, NULL));
	return err < 0 ? err : 0;
}

int vf_vring_enable(struct vf_dev *d, unsigned int i)
{
	struct vu_vring_state s = { .index = i, .num = 1 };

	/* Without protocol features rings start enabled (vhost-user spec,
	 * "Ring states"); with them, nothing moves before ENABLE. */
	if (!(d->features & 1ull << VU_F_PROTOCOL_FEATURES))
		return 0;
	return vf_req(d, VU_REQ_SET_VRING_ENABLE, &s, sizeof(s), NULL, 0, NULL);
}

int vf_vring_stop(struct vf_dev *d, unsigned int i, uint16_t *base, uint16_t *used)
{
	struct vu_vring_state s = { .index = i };
	struct vu_msg m;
	int err;

	err = vf_msg_send(d, VU_REQ_GET_VRING_BASE, 0, &s, sizeof(s), NULL, 0);
	if (!err)
		err = vf_reply_wait(d, VU_REQ_GET_VRING_BASE, &m, VF_REPLY_WAIT_MS);
	if (err) {
		log_err("GET_VRING_BASE %u: %s", i, strerror(-err));
		return err;
	}
	/* a packed ring's as QEMU reads it: the next available position and
	 * its wrap counter in bits 0..15, the used ones in 16..31 */
	if (m.hdr.size != sizeof(s) || m.p.state.index != i ||
	    (!d->packed && m.p.state.num > 0xffff)) {
		log_err("GET_VRING_BASE %u: a reply of %u bytes for vring %u, base %u", i,
			m.hdr.size, m.p.state.index, m.p.state.num);
		return -EPROTO;
	}
	*base = (uint16_t)m.p.state.num;
	*used = d->packed ? (uint16_t)(m.p.state.num >> 16) : *base;
	return 0;
}

/* resume: the rings start where their used indexes stand (the back-end
 * died without a GET_VRING_BASE; QEMU restores the base so) */
static int setup(struct vf_dev *d, bool resume)
{
	unsigned int i, nvrings = 2 * d->nqp;
	int err;

	err = vf_evil_setup_hook(d, VU_REQ_SET_MEM_TABLE, 0);
	if (!err)
		err = setup_step(d, vf_set_mem_table(d));
	if (err < 0)
		return err;
	err = vf_inflight_setup(d);
	if (err)
		return err;
	for (i = 0; i < nvrings; i++) {
		struct vf_vq *vq = vring_of(d, i);

		/* a fresh ring: index 0 (packed: position 0, wrap counter 1) */
		err = vf_vring_start(d, i, resume ? vf_vq_used_index(vq) : vf_vq_base(vq, 0));
		if (err)
			return err;
	}
	for (i = 0; i < nvrings; i++) {
		err = setup_step(d, vf_vring_enable(d, i));
		if (err)
			return err;
	}
	if (d->status) {
		err = setup_step(d, set_status(d, VF_STATUS_BASE | VIRTIO_CONFIG_S_FEATURES_OK |
							  VIRTIO_CONFIG_S_DRIVER_OK));
		if (err)
			return err;
	}
	return 0;
}

int vf_setup(struct vf_dev *d)
{
	return setup(d, false);
}

int vf_setup_resume(struct vf_dev *d)
{
	return setup(d, true);
}

void vf_sock_check(struct vf_dev *d)
{
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };
	struct timespec deadline;
	struct vu_msg m;
	char c;
	ssize_t r;

	if (d->disconnected || poll(&pfd, 1, 0) <= 0)
		return;
	r = recv(d->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		d->disconnected = true;
		return;
	}
	if (r < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 1;
	if (!recv_msg(d, &m, &deadline))
		log_warn("unsolicited %s (flags %#x) from the back-end; dropped",
			 vu_request_name(m.hdr.request), m.hdr.flags);
}

const char *vf_probe(struct vf_dev *d, int timeout_ms)
{
	struct vu_msg m;
	int err;

	if (d->disconnected)
		return "eof";
	err = vf_msg_send(d, VU_REQ_GET_FEATURES, 0, NULL, 0, NULL, 0);
	if (!err)
		err = vf_reply_wait(d, VU_REQ_GET_FEATURES, &m, timeout_ms);
	if (!err)
		return "ok";
	if (d->disconnected)
		return "eof";
	return err == -ETIMEDOUT ? "timeout" : "error";
}
