// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvsctl capture: a control connection that stays open and streams a
 * port's frames as pcap (nanosecond timestamps, Ethernet), from the ring
 * the workers copy into (dp/capture.h). The control thread drains the ring
 * every tick and writes what the socket takes; while the client is slow
 * the daemon keeps at most CAP_PENDING_MAX bytes and the ring fills —
 * frames then count as capture drops, the datapath never waits. Ends
 * after the frames asked for, when the client goes, or with the port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "ctl/ctl_cmds.h"
#include "dp/capture.h"

#define CAP_SLOTS 4096
#define CAP_SNAP_DEFAULT 2048u
#define CAP_PENDING_MAX (1u << 20)
#define CAP_DRAIN_MAX 4096 /* frames per pump */

struct ctl_capture {
	struct dp_port *p; /* NULL: ended (the port went) */
	uint64_t left; /* frames still to send; UINT64_MAX: no limit */
	int64_t rt_off_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at the start */
	char *buf;
	size_t len, sent, cap;
	uint64_t frames; /* records put in buf */
	uint64_t lost; /* not put in buf: out of memory */
};

static int buf_put(struct ctl_capture *k, const void *d, size_t n)
{
	char *nb;

	if (k->len + n > k->cap) {
		size_t cap = (k->len + n) * 2;

		nb = realloc(k->buf, cap);
		if (!nb)
			return -ENOMEM;
		k->buf = nb;
		k->cap = cap;
	}
	if (d)
		memcpy(k->buf + k->len, d, n);
	k->len += n; /* d NULL: reserved (the caller takes it back) */
	return 0;
}

/* pcap's file header and records (libpcap's format, the nanosecond magic) */
struct pcap_hdr {
	uint32_t magic, version; /* 0xa1b23c4d, 2.4 */
	int32_t zone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec {
	uint32_t sec, nsec, caplen, len;
};

static void put_frame(void *arg, const struct dp_cap_slot *s)
{
	struct ctl_capture *k = arg;
	uint64_t t = s->ts_ns + (uint64_t)k->rt_off_ns;
	struct pcap_rec r = {
		.sec = (uint32_t)(t / 1000000000u),
		.nsec = (uint32_t)(t % 1000000000u),
		.caplen = s->caplen,
		.len = s->len,
	};

	if (!k->left)
		return;
	/* room for the whole record first: never half a record in the stream */
	if (buf_put(k, NULL, sizeof(r) + s->caplen)) {
		k->lost++;
		return;
	}
	k->len -= sizeof(r) + s->caplen;
	buf_put(k, &r, sizeof(r));
	buf_put(k, s->data, s->caplen);
	k->frames++;
	if (k->left != UINT64_MAX)
		k->left--;
}

static const char *dir_name(uint8_t dirs)
{
	return dirs == (DP_CAP_IN | DP_CAP_OUT) ? "both" : dirs == DP_CAP_IN ? "in" : "out";
}

/* capture PORT [in|out|both] [count N] [snap N] */
int ctl_capture_begin(struct xvsd *x, struct ctl_client *c, struct ctl_out *o, int argc,
		      char **argv)
{
	struct timespec rt, mono;
	struct pcap_hdr h = { .magic = 0xa1b23c4d, .version = 2 | 4 << 16, .linktype = 1 };
	struct ctl_capture *k;
	struct dp_port *p;
	uint8_t dirs = DP_CAP_IN | DP_CAP_OUT;
	uint64_t count = UINT64_MAX;
	unsigned long snap = CAP_SNAP_DEFAULT, v;
	char *end;
	int i, r;

	if (argc < 1)
		goto usage;
	p = ctl_port(x, o, argv[0]);
	if (!p)
		return -ENOENT;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "in")) {
			dirs = DP_CAP_IN;
		} else if (!strcmp(argv[i], "out")) {
			dirs = DP_CAP_OUT;
		} else if (!strcmp(argv[i], "both")) {
			dirs = DP_CAP_IN | DP_CAP_OUT;
		} else if ((!strcmp(argv[i], "count") || !strcmp(argv[i], "snap")) && i + 1 < argc) {
			errno = 0;
			v = strtoul(argv[i + 1], &end, 10);
			if (errno || *end || !v || argv[i + 1][0] == '-' ||
			    (argv[i][0] == 's' && (v < DP_CAP_SNAP_MIN || v > DP_CAP_SNAP_MAX))) {
				co_error(o, "bad %s '%s'%s", argv[i], argv[i + 1],
					 argv[i][0] == 's' ? " (64 to 65535 bytes)" : "");
				return -EINVAL;
			}
			if (argv[i][0] == 'c')
				count = v;
			else
				snap = v;
			i++;
		} else {
			goto usage;
		}
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		co_error(o, "out of memory");
		return -ENOMEM;
	}
	r = dp_capture_start(&x->dp, p, dirs, (uint32_t)snap, CAP_SLOTS);
	if (r) {
		free(k);
		co_error(o, "%s", r == -EBUSY ? "a capture runs on that port already" : strerror(-r));
		return r;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	k->rt_off_ns = ((int64_t)rt.tv_sec - (int64_t)mono.tv_sec) * 1000000000 +
		       (rt.tv_nsec - mono.tv_nsec);
	k->p = p;
	k->left = count;
	h.snaplen = (uint32_t)snap;
	if (buf_put(k, &h, sizeof(h))) {
		dp_capture_stop(&x->dp, p);
		free(k);
		co_error(o, "out of memory");
		return -ENOMEM;
	}
	c->cap = k;
	log_msg(LOG_LVL_INFO, p->name, "capture started (%s, snap %lu, uid %u)", dir_name(dirs),
		snap, c->uid);
	return 0;
usage:
	co_error(o, "usage: capture PORT [in|out|both] [count N] [snap BYTES]");
	return -EINVAL;
}

/* Stop the datapath's capture (its ring freed), keep what is to send. */
static void ctl_capture_free_ring(struct xvsd *x, struct ctl_capture *k)
{
	struct dp_capture *dc;
	uint64_t drops;

	if (!k->p)
		return;
	dc = k->p->cap;
	drops = (dc ? __atomic_load_n(&dc->drops, __ATOMIC_RELAXED) : 0) + k->lost;
	k->p->st.capture_frames += k->frames;
	k->p->st.capture_drops += drops;
	log_msg(LOG_LVL_INFO, k->p->name, "capture ended: %llu frames sent, %llu dropped",
		(unsigned long long)k->frames, (unsigned long long)drops);
	dp_capture_stop(&x->dp, k->p);
	k->p = NULL;
}

void ctl_capture_free(struct xvsd *x, struct ctl_client *c)
{
	struct ctl_capture *k = c->cap;

	if (!k)
		return;
	ctl_capture_free_ring(x, k);
	free(k->buf);
	free(k);
	c->cap = NULL;
}

/* Drain the ring into the buffer, send what the socket takes. Returns true
 * when the capture is over and everything is sent (or the client gone). */
bool ctl_capture_pump(struct xvsd *x, struct ctl_client *c)
{
	struct ctl_capture *k = c->cap;
	struct epoll_event ev = { .events = EPOLLIN };
	bool more = false;
	ssize_t n;
	int max;

	/* what was sent goes: the buffer holds only what is pending */
	if (k->sent) {
		memmove(k->buf, k->buf + k->sent, k->len - k->sent);
		k->len -= k->sent;
		k->sent = 0;
	}
	if (k->p && k->left && k->len < CAP_PENDING_MAX) {
		/* within the byte budget, and no more frames than asked for */
		max = (int)((CAP_PENDING_MAX - k->len) / (16 + k->p->cap->snap)) + 1;
		if (max > CAP_DRAIN_MAX)
			max = CAP_DRAIN_MAX;
		if (k->left < (uint64_t)max)
			max = (int)k->left;
		more = dp_capture_drain(k->p->cap, put_frame, k, max) == max;
		if (!k->left)
			ctl_capture_free_ring(x, k); /* -c N: done; later frames are no drops */
	}
	while (k->sent < k->len) {
		n = send(c->fd, k->buf + k->sent, k->len - k->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return true; /* gone */
		k->sent += (size_t)n;
	}
	if (k->sent == k->len) {
		k->sent = k->len = 0;
		if (!k->left || !k->p)
			return true;
	}
	/* pending bytes, or a ring that may hold more: on when writable,
	 * not only at the next tick */
	ev.events |= k->len || more ? EPOLLOUT : 0;
	ev.data.u64 = EV(EV_CTL_CLIENT, c - x->ctl);
	return epoll_ctl(x->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0;
}

/* The port goes: send what was captured, then end. */
void ctl_capture_port_gone(struct xvsd *x, struct dp_port *p)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &x->ctl[i];

		if (c->fd < 0 || !c->cap || c->cap->p != p)
			continue;
		if (p->cap)
			dp_capture_drain(p->cap, put_frame, c->cap, CAP_SLOTS);
		ctl_capture_free_ring(x, c->cap);
		if (ctl_capture_pump(x, c))
			ctl_client_close(x, c);
	}
}
