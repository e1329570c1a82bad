// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/xzc.h"

#include <errno.h>
#include <linux/if_xdp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* multi-buffer AF_XDP (Linux 6.6); Debian 12's UAPI headers predate it */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif

/* A closed socket's buffer pool leaves its queue from a kernel work item
 * (xp_release_deferred, under RTNL) after close() has returned: until then
 * a bind to the queue gets EBUSY. Wait that long at most for it (the
 * caller may try again later). */
#define XZC_BUSY_WAIT_MS 10

static int bind_socket(struct xzc *z, const struct xzc_opts *o, bool zc, bool sg)
{
	struct xsk_socket_config scfg = {
		.rx_size = o->ring_size,
		.tx_size = o->ring_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = (uint16_t)(XDP_USE_NEED_WAKEUP | (zc ? XDP_ZEROCOPY : XDP_COPY) |
					 (sg ? XDP_USE_SG : 0)),
	};
	int err = xsk_socket__create(&z->xsk, o->ifname, o->qid, z->umem, &z->rx, &z->tx, &scfg);

	if (err)
		return err < 0 ? err : -err;
	z->zerocopy = zc;
	z->sg = sg;
	return 0;
}

int xzc_open(struct xzc *z, const struct xzc_opts *o, const char **why)
{
	struct xsk_umem_config ucfg = {
		.fill_size = o->ring_size,
		.comp_size = o->ring_size,
		.frame_size = o->chunk,
		.frame_headroom = o->headroom,
		.flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG,
	};
	int err, mode, busy_ms = 0;

	memset(z, 0, sizeof(*z));
	z->fd = -1;
	if (o->chunk < XZC_MIN_CHUNK || o->chunk > XZC_MAX_CHUNK ||
	    o->headroom + XZC_KERNEL_HEADROOM >= o->chunk || !o->ring_size ||
	    (o->ring_size & (o->ring_size - 1)) || !o->len ||
	    ((uintptr_t)o->area & (uintptr_t)(sysconf(_SC_PAGESIZE) - 1))) {
		*why = "invalid buffer layout";
		return -EINVAL;
	}
	/* pins and maps the whole area (CAP_IPC_LOCK: no RLIMIT_MEMLOCK) */
	err = xsk_umem__create(&z->umem, o->area, o->len, &z->fq, &z->cq, &ucfg);
	if (err) {
		*why = "the kernel refused the area as a UMEM";
		z->umem = NULL;
		return err < 0 ? err : -err;
	}
	/* zero-copy before copy, multi-buffer before without */
	err = -EINVAL;
	for (mode = o->copy_only ? 2 : 0; mode < 4; mode++) {
		bool zc = mode < 2, sg = !(mode & 1);

		if (sg && !o->want_sg)
			continue;
		/* our own socket on the queue, closed a moment ago (a new
		 * memory table rebuilds at once): its pool goes soon */
		while ((err = bind_socket(z, o, zc, sg)) == -EBUSY && busy_ms < XZC_BUSY_WAIT_MS) {
			usleep(1000);
			busy_ms++;
		}
		if (!err)
			break;
	}
	if (err) {
		*why = "the kernel refused to bind the socket";
		xsk_umem__delete(z->umem);
		z->umem = NULL;
		return err;
	}
	z->fd = xsk_socket__fd(z->xsk);
	z->area = o->area;
	z->len = o->len;
	z->chunk = o->chunk;
	z->headroom = o->headroom;
	z->frame_len = o->chunk - o->headroom - XZC_KERNEL_HEADROOM;
	z->ring_size = o->ring_size;
	z->qid = o->qid;
	return 0;
}

void xzc_close(struct xzc *z)
{
	/* closing the socket unbinds it; the kernel waits for its RX path
	 * (synchronize_net) before the UMEM can go: no write after this */
	if (z->xsk)
		xsk_socket__delete(z->xsk);
	if (z->umem)
		xsk_umem__delete(z->umem);
	z->xsk = NULL;
	z->umem = NULL;
	z->fd = -1;
}

void xzc_kick_tx(struct xzc *z)
{
	z->wakeups++;
	/* EAGAIN/EBUSY: the kernel is at the ring already; ENOBUFS: the
	 * completion ring is full, reaped before the next burst */
	if (sendto(z->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
	}
}

void xzc_kick_rx(struct xzc *z)
{
	z->wakeups++;
	if (recvfrom(z->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL) < 0) {
		/* EAGAIN: nothing yet */
	}
}

int xzc_kernel_stats(const struct xzc *z, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (z->fd < 0)
		return -EBADF;
	return getsockopt(z->fd, SOL_XDP, XDP_STATISTICS, st, &len) ? -errno : 0;
}
