// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket: xvsctl connects, sends one command line, reads the
 * answer until the daemon closes. Served on the control thread; a client
 * gets one second to send its line and to take the answer.
 *
 * Counters are from the switch's point of view: a port's "rx" is what the
 * switch received from the VM (the guest's transmit queue), "tx" what it
 * sent to the VM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl/daemon.h"
#include "ctl/log.h"

int ctl_open(struct xvsd *x)
{
	int fd = xvsd_listen_unix(x->cfg.control_socket, &x->ctl_created);

	if (fd < 0) {
		log_err("control socket %s: %s%s", x->cfg.control_socket, strerror(-fd),
			fd == -EADDRINUSE ? " (is another xvsd running?)" : "");
		return fd;
	}
	x->ctl_fd = fd;
	return 0;
}

void ctl_close(struct xvsd *x)
{
	if (x->ctl_fd < 0)
		return;
	close(x->ctl_fd);
	x->ctl_fd = -1;
	if (x->ctl_created)
		unlink(x->cfg.control_socket);
}

/* The answer is built in memory, then written in one go. */
struct out {
	char *buf;
	size_t len, cap;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		o->cap = (o->cap + (size_t)n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf) {
			o->len = o->cap = 0;
			return;
		}
	}
}

static const char *port_state(const struct dp_port *p)
{
	int i;

	if (p->dev.fd < 0)
		return "down";
	for (i = 0; i < 2 * p->queues; i++)
		if (p->dev.vr[i].vq.ready)
			return "up";
	return "negotiating";
}

static void show_uplink(struct xvsd *x, struct out *o, const struct dp_port *p)
{
	const struct vport *v = &x->vp[p->id];
	const struct uplink *up = v->up;
	int q;

	if (!up) {
		outf(o, "port %s type=uplink state=down mtu=%u\n", p->name, p->mtu);
		return;
	}
	outf(o,
	     "port %s type=uplink state=up interface=%s xdp=%s%s afxdp=%s multi_buffer=%d queues=%d "
	     "slots=%u-%u mtu=%u mtu_configured=%u frame_size=%u host_flood=%d tap_frames=%" PRIu64 " drop_hairpin=%" PRIu64
	     " drop_too_big=%" PRIu64 "\n",
	     p->name, up->ifname, xprog_mode_name(&up->prog), up->prog.adopted ? ",adopted" : "",
	     up->zerocopy ? "zero-copy" : "copy", up->sg, up->nq, up->xsk_base,
	     up->xsk_base + up->n_rx_queues - 1, up->mtu, p->mtu, up->frame_size, up->host_flood,
	     up->tap.frames, p->st.drop_hairpin, p->st.drop_too_big);
	for (q = 0; q < up->nq; q++) {
		const struct uplink_qstats *st = &up->q[q].st;
		struct xdp_statistics ks;

		uplink_kernel_stats(&up->q[q], &ks);
		outf(o,
		     "  queue %u busy_poll=%d rx_packets=%" PRIu64 " rx_bytes=%" PRIu64
		     " rx_drop_runt=%" PRIu64 " rx_drop_frags=%" PRIu64 " tx_packets=%" PRIu64
		     " tx_bytes=%" PRIu64 " tx_drop_no_frame=%" PRIu64 " wakeups=%" PRIu64
		     " kernel_rx_dropped=%" PRIu64 " kernel_rx_ring_full=%" PRIu64
		     " kernel_fill_empty=%" PRIu64 " kernel_tx_invalid=%" PRIu64 "\n",
		     up->q[q].qid, up->q[q].busy_poll, st->rx_packets, st->rx_bytes,
		     st->rx_drop_runt, st->rx_drop_frags, st->tx_packets, st->tx_bytes,
		     st->tx_drop_no_frame, st->wakeups, (uint64_t)ks.rx_dropped,
		     (uint64_t)ks.rx_ring_full, (uint64_t)ks.rx_fill_ring_empty_descs,
		     (uint64_t)ks.tx_invalid_descs);
	}
}

static void show_port(struct xvsd *x, struct out *o, const struct dp_port *p)
{
	const struct vport *v = &x->vp[p->id];
	int q;

	if (p->type == DP_PORT_UPLINK) {
		show_uplink(x, o, p);
		return;
	}

	outf(o,
	     "port %s type=vhost-user state=%s mode=%s socket=%s vlan=%u mtu=%u queues=%u "
	     "connects=%" PRIu64 " disconnects=%" PRIu64 " broken=%" PRIu64
	     " features=0x%" PRIx64 " drop_hairpin=%" PRIu64 " drop_dst_down=%" PRIu64 "\n",
	     p->name, port_state(p), v->mode == CFG_VU_SERVER ? "server" : "client", v->socket,
	     p->vlan, p->mtu, p->queues, p->dev.st.connects, p->dev.st.disconnects,
	     p->dev.st.broken, p->dev.features, p->st.drop_hairpin, p->st.drop_dst_down);
	for (q = 0; q < p->queues; q++) {
		const struct vq *rx = &p->dev.vr[2 * q + 1].vq; /* guest TX: switch rx */
		const struct vq *tx = &p->dev.vr[2 * q].vq;

		outf(o,
		     "  queue %d enabled=%d/%d rx_packets=%" PRIu64 " rx_bytes=%" PRIu64
		     " rx_drop_runt=%" PRIu64 " rx_drop_too_big=%" PRIu64 " rx_drop_segs=%" PRIu64
		     " tx_packets=%" PRIu64 " tx_bytes=%" PRIu64 " tx_drop_no_buf=%" PRIu64
		     " tx_drop_too_big=%" PRIu64 " tx_irqs=%" PRIu64 " rx_irqs=%" PRIu64 "\n",
		     q, rx->ready, tx->ready, rx->st.packets, rx->st.bytes, rx->st.drop_runt,
		     rx->st.drop_too_big, rx->st.drop_segs, tx->st.packets, tx->st.bytes,
		     tx->st.drop_no_buf, tx->st.drop_too_big, tx->st.notifies, rx->st.notifies);
	}
}

static void cmd_show(struct xvsd *x, struct out *o, const char *arg)
{
	int i, n = 0;

	for (i = 0; i < DP_MAX_PORTS; i++)
		n += x->dp.ports[i] != NULL;
	if (!arg || !*arg) {
		outf(o, "switch %s ports=%d workers=%d poll=", x->cfg.name, n, x->dp.nworkers);
		if (x->cfg.poll == CFG_POLL_BUSY)
			outf(o, "busy\n");
		else
			outf(o, "adaptive idle_us=%u max_nap_us=%u\n", x->dp.idle_us,
			     x->dp.max_nap_us);
	}
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->dp.ports[i];

		if (p && (!arg || !*arg || !strcmp(arg, p->name)))
			show_port(x, o, p);
	}
}

struct fdb_dump_ctx {
	struct xvsd *x;
	struct out *o;
};

static int fdb_line(void *arg, const struct fdb_entry *e)
{
	struct fdb_dump_ctx *c = arg;
	struct dp_port *p = e->port < DP_MAX_PORTS ? c->x->dp.ports[e->port] : NULL;
	uint64_t k = e->key;

	outf(c->o, "%-4u %02x:%02x:%02x:%02x:%02x:%02x %-16s %s age=%u\n",
	     (unsigned)(k >> 48), (unsigned)(k >> 40) & 0xff, (unsigned)(k >> 32) & 0xff,
	     (unsigned)(k >> 24) & 0xff, (unsigned)(k >> 16) & 0xff, (unsigned)(k >> 8) & 0xff,
	     (unsigned)k & 0xff, p ? p->name : "?", e->is_static ? "static " : "learned",
	     c->x->dp.fdb.now - e->seen);
	return 0;
}

static void cmd_fdb(struct xvsd *x, struct out *o)
{
	struct fdb_dump_ctx c = { x, o };

	outf(o, "vlan mac               port             type    age\n");
	fdb_foreach(&x->dp.fdb, fdb_line, &c);
	outf(o, "# learned=%" PRIu64 " moved=%" PRIu64 " evicted=%" PRIu64 " aged=%" PRIu64 "\n",
	     x->dp.fdb.st.learned, x->dp.fdb.st.moved, x->dp.fdb.st.evicted, x->dp.fdb.st.aged);
}

static void cmd_workers(struct xvsd *x, struct out *o)
{
	int i;

	for (i = 0; i < x->dp.nworkers; i++) {
		struct dp_worker *w = &x->dp.workers[i];
		uint64_t busy = w->busy_ns, idle = w->idle_ns, nap = w->nap_ns, sleep = w->sleep_ns;
		uint64_t all = busy + idle + nap + sleep;

		outf(o,
		     "worker %d cpu=%d busy=%.1f%% loops=%" PRIu64 " busy_loops=%" PRIu64
		     " busy_ns=%" PRIu64 " idle_ns=%" PRIu64 " nap_ns=%" PRIu64 " sleep_ns=%" PRIu64
		     " naps=%" PRIu64 " sleeps=%" PRIu64 " sleeping=%d lost_kicks=%" PRIu64 "\n",
		     i, w->cpu, all ? 100.0 * (double)busy / (double)all : 0.0, w->loops,
		     w->busy_loops, busy, idle, nap, sleep, w->naps, w->sleeps, w->sleeping,
		     w->wakeups_with_work_on_timeout);
	}
}

void ctl_accept(struct xvsd *x)
{
	struct timeval tv = { .tv_sec = 1 };
	struct out o = { 0 };
	char line[256], *arg;
	ssize_t n;
	size_t off = 0;
	int fd;

	fd = accept4(x->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < sizeof(line) - 1) {
		n = recv(fd, line + off, sizeof(line) - 1 - off, 0);
		if (n <= 0)
			break;
		off += (size_t)n;
		if (memchr(line, '\n', off))
			break;
	}
	line[off] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';

	if (!strcmp(line, "show"))
		cmd_show(x, &o, arg);
	else if (!strcmp(line, "fdb"))
		cmd_fdb(x, &o);
	else if (!strcmp(line, "workers"))
		cmd_workers(x, &o);
	else if (!strcmp(line, "reload"))
		outf(&o, xvsd_reload(x) ? "error: reload failed, see the log\n" : "ok\n");
	else
		outf(&o, "error: unknown command '%s' (show [PORT], fdb, workers, reload)\n", line);

	if (o.buf && send(fd, o.buf, o.len, MSG_NOSIGNAL) < 0)
		log_dbg("control client went away: %s", strerror(errno));
	free(o.buf);
	close(fd);
}
