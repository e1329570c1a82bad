// SPDX-License-Identifier: GPL-2.0-only
/*
 * --inflight: what QEMU does for a vhost-user device whose back-end may
 * crash (vhost-user "Inflight I/O tracking"). The back-end's region is
 * asked for once (GET_INFLIGHT_FD), kept, and handed back at every setup
 * (SET_INFLIGHT_FD). When the back-end goes away the rings keep their
 * state — frames in flight stay in flight, posted buffers stay posted —
 * and after a new connection each ring starts at its used index; the
 * back-end finds in the region what it had taken and not returned.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "vufront.h"

#define VF_IFL_WAIT_MS 5000

static int get_region(struct vf_dev *d)
{
	struct vu_inflight_area a = { .num_queues = (__u16)(2 * d->nqp),
				      .queue_size = (__u16)d->o->ring_size };
	struct vu_msg m;
	int err;

	d->recv_fd_want = true;
	d->recv_fd = -1;
	err = vf_msg_send(d, VU_REQ_GET_INFLIGHT_FD, 0, &a, sizeof(a), NULL, 0);
	if (!err)
		err = vf_reply_wait(d, VU_REQ_GET_INFLIGHT_FD, &m, VF_IFL_WAIT_MS);
	d->recv_fd_want = false;
	if (!err && (m.hdr.size != sizeof(a) || d->recv_fd < 0))
		err = -EPROTO;
	if (err) {
		log_err("GET_INFLIGHT_FD: %s (reply of %u bytes, fd %d)", strerror(-err),
			err == -EPROTO ? m.hdr.size : 0, d->recv_fd);
		if (d->recv_fd >= 0)
			close(d->recv_fd);
		d->recv_fd = -1;
		return err;
	}
	d->ifl = m.p.inflight;
	d->ifl_fd = d->recv_fd;
	d->recv_fd = -1;
	log_info("in-flight region: %llu bytes for %u vrings of %u",
		 (unsigned long long)d->ifl.mmap_size, d->ifl.num_queues, d->ifl.queue_size);
	return 0;
}

int vf_inflight_setup(struct vf_dev *d)
{
	int err;

	if (!d->o->inflight)
		return 0;
	if (d->ifl_fd < 0) {
		err = get_region(d);
		if (err)
			return err;
	}
	return vf_req(d, VU_REQ_SET_INFLIGHT_FD, &d->ifl, sizeof(d->ifl), &d->ifl_fd, 1, NULL);
}

int vf_inflight_reconnect(struct vf_dev *d, uint64_t deadline)
{
	int err;

	close(d->sock);
	d->sock = -1;
	log_warn("the back-end went away: connecting again (--inflight)");
	for (;;) {
		d->disconnected = false;
		d->reply_ack = d->status = false; /* until negotiated again */
		d->sock = vf_sock_open(d->o);
		if (d->sock >= 0) {
			err = vf_negotiate(d);
			if (!err)
				err = vf_setup_resume(d);
			if (!err)
				break;
			close(d->sock);
			d->sock = -1;
			if (d->unsupported)
				return err;
		}
		if (vf_now_ns() >= deadline) {
			d->disconnected = true;
			return -ETIMEDOUT;
		}
		usleep(50000);
	}
	d->reconnects++;
	log_warn("connected again (%u), the rings resume at their used indexes", d->reconnects);
	return 0;
}

void vf_inflight_close(struct vf_dev *d)
{
	if (d->ifl_fd >= 0)
		close(d->ifl_fd);
	d->ifl_fd = -1;
}
