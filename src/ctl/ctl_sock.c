// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket: xvsctl connects, sends one command line, reads the
 * answer until the daemon closes. Served on the control thread without
 * ever blocking it: each client is a slot in the daemon's epoll, read and
 * written as far as it goes, and cut off CTL_DEADLINE_MS after it
 * connected, sent or not. A client that trickles a byte at a time holds a
 * slot, not the thread.
 *
 * Who may do what: whoever can connect (the socket's mode and group, see
 * switch.control-socket-mode/-group) may read (show, fdb, workers);
 * commands that change the switch (reload) are taken only from uid 0 or
 * the daemon's own uid, as SO_PEERCRED tells.
 *
 * Counters are from the switch's point of view: a port's "rx" is what the
 * switch received from the VM (the guest's transmit queue), "tx" what it
 * sent to the VM.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "ctl/daemon.h"

int ctl_open(struct xvsd *x)
{
	int fd = xvsd_listen_unix(x->cfg.control_socket, x->cfg.control_socket_mode,
				  x->cfg.control_socket_gid, &x->ctl_created);
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		x->ctl[i].fd = -1;

	if (fd < 0) {
		log_err("control socket %s: %s%s", x->cfg.control_socket, strerror(-fd),
			fd == -EADDRINUSE ? " (is another xvsd running?)" : "");
		return fd;
	}
	x->ctl_fd = fd;
	return 0;
}

static void client_free(struct xvsd *x, struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_close(struct xvsd *x)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		client_free(x, &x->ctl[i]);
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
	size_t room, cap;
	va_list ap;
	char *nb;
	int n;

	for (;;) {
		room = o->cap - o->len;
		va_start(ap, fmt);
		/* no buffer yet: only measure (NULL + 0 is no pointer at all) */
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return;
		}
		cap = (o->cap + (size_t)n + 1) * 2;
		nb = realloc(o->buf, cap);
		if (!nb)
			return; /* out of memory: the answer ends here */
		o->buf = nb;
		o->cap = cap;
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
	     " drop_too_big=%" PRIu64 " macs=%u learn_limit=%" PRIu64 " lent_queues=0x%" PRIx64
	     " rss=%s\n",
	     p->name, up->ifname, xprog_mode_name(&up->prog), up->prog.adopted ? ",adopted" : "",
	     up->zerocopy ? "zero-copy" : "copy", up->sg, up->nq, up->xsk_base,
	     up->xsk_base + up->n_rx_queues - 1, up->mtu, p->mtu, up->frame_size, up->host_flood,
	     up->tap.frames, p->st.drop_hairpin, p->st.drop_too_big,
	     fdb_port_learned(&x->dp.fdb, p->id), p->st.learn_limit, up->lent, up->rss);
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

/* "a/b" with two decimals, or 0.00. */
static void ratio(char *buf, size_t len, uint64_t a, uint64_t b)
{
	snprintf(buf, len, "%.2f", b ? (double)a / (double)b : 0.0);
}

static void show_zero_copy(struct xvsd *x, struct out *o, const struct dp_port *p)
{
	const struct dp_zc *z = p->zc;
	const struct dp_zc_stats *st = &z->st;
	const struct dp_port *up = x->dp.ports[z->uplink];
	const struct vq *to_vm = &p->dev.vr[0].vq, *from_vm = &p->dev.vr[1].vq;
	uint64_t to_copied = to_vm->st.packets, from_all = from_vm->st.packets;
	uint64_t from_copied = from_all > st->tx_zc ? from_all - st->tx_zc : 0;
	struct xdp_statistics ks = { 0 };
	char to_r[16], from_r[16];

	if (z->up)
		xzc_kernel_stats(&z->s, &ks);
	ratio(to_r, sizeof(to_r), to_copied, to_copied + st->rx_zc);
	ratio(from_r, sizeof(from_r), from_copied, from_all);
	outf(o,
	     "  zero-copy uplink=%s queue=%u state=%s memory=%s%s%s%s%s%s afxdp=%s multi_buffer=%d "
	     "pinned_mib=%" PRIu64 " chunk=%u room=%u steering=%s tx=%s"
	     " to_vm_zc=%" PRIu64 " to_vm_copied=%" PRIu64 " to_vm_copies_per_frame=%s"
	     " from_vm_zc=%" PRIu64 " from_vm_copied=%" PRIu64 " from_vm_copies_per_frame=%s"
	     " rx_bytes=%" PRIu64 " rx_posted=%" PRIu64 " rx_unfit=%" PRIu64
	     " rx_returned=%" PRIu64 " rx_bad_desc=%" PRIu64 " tx_bytes=%" PRIu64
	     " tx_copy_small=%" PRIu64 " tx_copy_busy=%" PRIu64 " tx_copy_segs=%" PRIu64
	     " tx_copy_nosg=%" PRIu64 " tx_copy_mode=%" PRIu64 " tx_full=%" PRIu64 " rx_copy_host=%" PRIu64
	     " tx_copy_host=%" PRIu64 " tx_in_flight=%u fallbacks=%" PRIu64 " builds=%" PRIu64
	     " teardowns=%" PRIu64 " kernel_rx_dropped=%" PRIu64 " kernel_fill_empty=%" PRIu64
	     " kernel_tx_invalid=%" PRIu64 "\n",
	     up ? up->name : "-", z->qid, z->up ? "up" : z->why ? "off" : "waiting",
	     !z->up ? "-" : z->host ? "host" : "guest",
	     z->why ? " why=\"" : "", z->why ? z->why : "",
	     z->why && z->why_err ? ": " : "", z->why ? (z->why_err ? strerror(z->why_err) : "") : "",
	     z->why ? "\"" : "",
	     z->up ? (z->s.zerocopy ? "zero-copy" : "copy") : "-", z->up && z->s.sg,
	     z->up && !z->host ? (uint64_t)(z->s.len >> 20) : 0, z->up ? z->s.chunk : 0, z->room,
	     vport_steer_names[x->vp[p->id].steer],
	     z->tx_mode == DP_ZC_TX_GUEST ? "guest" : z->tx_mode == DP_ZC_TX_COPY ? "copy" : "auto",
	     st->rx_zc, to_copied, to_r, st->tx_zc, from_copied, from_r, st->rx_bytes,
	     st->rx_posted, st->rx_unfit, st->rx_returned, st->rx_bad_desc, st->tx_bytes,
	     st->tx_copy_small, st->tx_copy_busy, st->tx_copy_segs, st->tx_copy_nosg, st->tx_copy_mode, st->tx_full,
	     st->rx_copy_host, st->tx_copy_host,
	     z->tx_guest, st->fallbacks, st->builds, st->teardowns, (uint64_t)ks.rx_dropped,
	     (uint64_t)ks.rx_fill_ring_empty_descs, (uint64_t)ks.tx_invalid_descs);
}

static void show_spoof(struct out *o, const struct dp_port *p)
{
	struct spoof_cidr a4, a6, ll6;
	uint8_t mac[6];
	char b4[INET_ADDRSTRLEN] = "-", b6[INET6_ADDRSTRLEN] = "-", bl[INET6_ADDRSTRLEN] = "-";
	int have = spoof_learned(&p->spoof_st, mac, &a4, &a6, &ll6), r;

	if (have & SPOOF_LEARNED_IP4)
		inet_ntop(AF_INET, a4.addr, b4, sizeof(b4));
	if (have & SPOOF_LEARNED_IP6)
		inet_ntop(AF_INET6, a6.addr, b6, sizeof(b6));
	if (have & SPOOF_LEARNED_LL6)
		inet_ntop(AF_INET6, ll6.addr, bl, sizeof(bl));
	outf(o, "  anti-spoofing on learned_mac=");
	if (have & SPOOF_LEARNED_MAC)
		outf(o, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		     mac[5]);
	else
		outf(o, "-");
	outf(o, " learned_ipv4=%s learned_ipv6=%s learned_ll6=%s", b4, b6, bl);
	for (r = 1; r < SPOOF_REASON_MAX; r++) {
		char name[32];
		size_t k;

		for (k = 0; spoof_reason_names[r][k] && k < sizeof(name) - 1; k++)
			name[k] = (char)tolower((unsigned char)spoof_reason_names[r][k]);
		name[k] = '\0';
		outf(o, " drop_spoof_%s=%" PRIu64, name, p->st.drop_spoof[r]);
	}
	outf(o, "\n");
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
	     " features=0x%" PRIx64 " memory_mib=%" PRIu64 " memory_sealed=%s mem_faults=%" PRIu64
	     " macs=%u drop_hairpin=%" PRIu64 " drop_dst_down=%" PRIu64 " drop_vlan_tagged=%" PRIu64
	     " drop_src_protected=%" PRIu64 " learn_limit=%" PRIu64 " drop_fw_from=%" PRIu64
	     " drop_fw_to=%" PRIu64 " drop_fw_malformed=%" PRIu64 " fw_answers=%" PRIu64 "\n",
	     p->name, port_state(p), v->mode == CFG_VU_SERVER ? "server" : "client", v->socket,
	     p->vlan, p->mtu, p->queues, p->dev.st.connects, p->dev.st.disconnects,
	     p->dev.st.broken, p->dev.features, p->dev.mem ? p->dev.mem->total >> 20 : 0,
	     !p->dev.mem ? "-" : p->dev.mem->sealed ? "yes" : "no", p->dev.st.mem_faults,
	     fdb_port_learned(&x->dp.fdb, p->id), p->st.drop_hairpin, p->st.drop_dst_down,
	     p->st.drop_vlan_tagged, p->st.drop_src_protected, p->st.learn_limit,
	     p->st.drop_fw_from, p->st.drop_fw_to, p->st.drop_fw_malformed, p->st.fw_answers);
	if (__atomic_load_n(&p->spoof, __ATOMIC_ACQUIRE))
		show_spoof(o, p);
	for (q = 0; q < p->queues; q++) {
		const struct vq *rx = &p->dev.vr[2 * q + 1].vq; /* guest TX: switch rx */
		const struct vq *tx = &p->dev.vr[2 * q].vq;

		outf(o,
		     "  queue %d enabled=%d/%d rx_packets=%" PRIu64 " rx_bytes=%" PRIu64
		     " rx_drop_runt=%" PRIu64 " rx_drop_too_big=%" PRIu64 " rx_drop_segs=%" PRIu64
		     " tx_packets=%" PRIu64 " tx_bytes=%" PRIu64 " tx_drop_no_buf=%" PRIu64
		     " tx_drop_too_big=%" PRIu64 " tx_irqs=%" PRIu64 " rx_irqs=%" PRIu64
		     " tx_irq_fail=%" PRIu64 " rx_irq_fail=%" PRIu64 "\n",
		     q, rx->ready, tx->ready, rx->st.packets, rx->st.bytes, rx->st.drop_runt,
		     rx->st.drop_too_big, rx->st.drop_segs, tx->st.packets, tx->st.bytes,
		     tx->st.drop_no_buf, tx->st.drop_too_big, tx->st.notifies, rx->st.notifies,
		     tx->st.irq_fail, rx->st.irq_fail);
	}
	if (p->zc && p->zc->configured)
		show_zero_copy(x, o, p);
}

static uint64_t fw_ct_full_drops(struct xvsd *x);

static void cmd_show(struct xvsd *x, struct out *o, const char *arg)
{
	int i, n = 0;

	for (i = 0; i < DP_MAX_PORTS; i++)
		n += x->dp.ports[i] != NULL;
	if (!arg || !*arg) {
		outf(o,
		     "switch %s ports=%d workers=%d ctl_commands=%" PRIu64 " ctl_timed_out=%" PRIu64
		     " ctl_refused_busy=%" PRIu64 " ctl_denied=%" PRIu64 " poll=",
		     x->cfg.name, n, x->dp.nworkers, x->ctl_st.commands, x->ctl_st.timed_out,
		     x->ctl_st.refused_busy, x->ctl_st.denied);
		if (x->cfg.poll == CFG_POLL_BUSY)
			outf(o, "busy");
		else
			outf(o, "adaptive idle_us=%u max_nap_us=%u", x->dp.idle_us,
			     x->dp.max_nap_us);
		if (x->fws.open)
			outf(o, " firewall=%s conntrack_size=%u conntrack_live=%u conntrack_full_drops=%" PRIu64,
			     x->fws.fw.m.cfg->flags & XVS_FW_CFG_F_ON ? "on" : "off",
			     x->fws.fw.m.ct_size, x->fws.last.live, fw_ct_full_drops(x));
		outf(o, "\n");
	}
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->dp.ports[i];

		if (p && (!arg || !*arg || !strcmp(arg, p->name)))
			show_port(x, o, p);
	}
}

/* ---- firewall ---- */

static const char *const fw_action_names[] = {
	[XVS_ACL_ALLOW] = "allow", [XVS_ACL_DROP] = "drop", [XVS_ACL_REJECT] = "reject",
	[XVS_ACL_COUNT] = "count",
};

static void fw_show_bind(struct xvsd *x, struct out *o, const struct dp_port *p, int dir)
{
	const struct fw *fw = &x->fws.fw;
	int b = fw_bank(fw), r;
	const struct xvs_acl_bind *bind = &fw->m.binds[XVS_ACL_BIND_IDX(b, p->id, dir)];
	struct xvs_counter reason[XVS_FW_REASON_MAX], k[XVS_FW_REASON_MAX];
	uint32_t i;

	fw_sum_reason(fw, p->id, dir, reason);
	if (!fwmaps__reason_stats(&x->fws.maps, p->id, dir, k))
		for (r = 0; r < XVS_FW_REASON_MAX; r++) {
			reason[r].packets += k[r].packets;
			reason[r].bytes += k[r].bytes;
		}
	outf(o, "port %s %s rules=%u", p->name, dir == XVS_FW_TO_VM ? "to-vm" : "from-vm",
	     bind->count);
	for (r = 0; r < XVS_FW_REASON_MAX; r++)
		if (reason[r].packets)
			outf(o, " %s=%" PRIu64, xvs_fw_reason_names[r], (uint64_t)reason[r].packets);
	outf(o, "\n");
	for (i = 0; i < bind->count && i < XVS_ACL_MAX_PER_BIND; i++) {
		const struct xvs_acl_rule *rl = &fw->m.rules[XVS_ACL_RULE_IDX(b, bind->first + i)];
		const char *set = rl->set < (uint32_t)x->cfg.fw.n_sets ? x->cfg.fw.sets[rl->set].name :
				  rl->set == FWC_SET_IMPLICIT ? "(no rule set: allow, stateful)" : "?";
		struct xvs_counter c;
		int line = 0;

		if (rl->set < (uint32_t)x->cfg.fw.n_sets && rl->pos < (uint32_t)x->cfg.fw.sets[rl->set].n_rules)
			line = x->cfg.fw.sets[rl->set].rules[rl->pos].line;
		fwsync_rule_counts(&x->fws, bind->first + i, &c);
		if (rl->flags & XVS_ACL_F_DEFAULT)
			outf(o, "  %s default action=%s", set, fw_action_names[rl->action & 3]);
		else
			outf(o, "  %s rule=%u line=%d action=%s", set, rl->pos, line,
			     fw_action_names[rl->action & 3]);
		outf(o, "%s packets=%" PRIu64 " bytes=%" PRIu64 "\n",
		     rl->flags & XVS_ACL_F_STATEFUL ? " stateful" : "", (uint64_t)c.packets,
		     (uint64_t)c.bytes);
	}
}

/* New connections refused because the conntrack table was full there
 * (the forwarder's and XDP's, every port). */
static uint64_t fw_ct_full_drops(struct xvsd *x)
{
	uint64_t full = 0;
	int i, dir;

	for (i = 0; i < DP_MAX_PORTS; i++)
		for (dir = 0; dir < XVS_FW_DIRS; dir++) {
			struct xvs_counter r[XVS_FW_REASON_MAX];

			if (!x->dp.ports[i])
				continue;
			fw_sum_reason(&x->fws.fw, (uint16_t)i, dir, r);
			full += r[XVS_FW_CT_FULL].packets;
			if (!fwmaps__reason_stats(&x->fws.maps, (uint16_t)i, dir, r))
				full += r[XVS_FW_CT_FULL].packets;
		}
	return full;
}

static void cmd_firewall(struct xvsd *x, struct out *o, const char *arg)
{
	const struct fwsync *s = &x->fws;
	uint64_t full = 0;
	int i, dir;

	if (!s->open) {
		outf(o, "firewall off (no firewall in the configuration)\n");
		return;
	}
	full = fw_ct_full_drops(x);
	outf(o,
	     "firewall on=%d bank=%d reloads=%" PRIu64 " reload_removed=%" PRIu64
	     " conntrack_size=%u conntrack_live=%u conntrack_expired=%" PRIu64
	     " conntrack_full_drops=%" PRIu64 "\n",
	     !!(s->fw.m.cfg->flags & XVS_FW_CFG_F_ON), fw_bank(&s->fw), s->reloads,
	     s->reload_removed, s->fw.m.ct_size, s->last.live, s->ct_expired, full);
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->dp.ports[i];

		if (!p || p->type != DP_PORT_VHOST || (arg && *arg && strcmp(arg, p->name)))
			continue;
		for (dir = 0; dir < XVS_FW_DIRS; dir++)
			fw_show_bind(x, o, p, dir);
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
	outf(o,
	     "# learned=%" PRIu64 " moved=%" PRIu64 " evicted=%" PRIu64 " aged=%" PRIu64
	     " limited=%" PRIu64 " protected_refused=%" PRIu64 " protected=%u\n",
	     x->dp.fdb.st.learned, x->dp.fdb.st.moved, x->dp.fdb.st.evicted, x->dp.fdb.st.aged,
	     x->dp.fdb.st.limited, x->dp.fdb.st.protected_refused, x->dp.fdb.nprotected);
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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool may_change(const struct ctl_client *c)
{
	return c->uid == 0 || c->uid == (uint32_t)geteuid();
}

static void run_command(struct xvsd *x, struct ctl_client *c, struct out *o)
{
	char *line = c->line, *arg;

	line[strcspn(line, "\r\n")] = '\0';
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	x->ctl_st.commands++;

	if (!strcmp(line, "show")) {
		cmd_show(x, o, arg);
	} else if (!strcmp(line, "fdb")) {
		cmd_fdb(x, o);
	} else if (!strcmp(line, "workers")) {
		cmd_workers(x, o);
	} else if (!strcmp(line, "firewall")) {
		cmd_firewall(x, o, arg);
	} else if (!strcmp(line, "reload")) {
		if (!may_change(c)) {
			x->ctl_st.denied++;
			log_warn("control: reload from uid %u refused", c->uid);
			outf(o, "error: permission denied: reload needs uid 0 or the daemon's "
				"uid %u\n", (unsigned)geteuid());
		} else {
			outf(o, xvsd_reload(x) ? "error: reload failed, see the log\n" : "ok\n");
		}
	} else {
		outf(o, "error: unknown command '%s' (show [PORT], fdb, workers, firewall [PORT], reload)\n", line);
	}
}

/* Send what the socket takes; true when all is sent (or it went away). */
static bool client_send(struct ctl_client *c)
{
	ssize_t n;

	while (c->out_sent < c->out_len) {
		n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			log_dbg("control client went away: %s", strerror(errno));
			return true;
		}
		c->out_sent += (size_t)n;
	}
	return true;
}

void ctl_accept(struct xvsd *x)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_client *c = NULL;
	int fd, i;

	/* a burst of connections: take what is queued, each once */
	while ((fd = accept4(x->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		for (i = 0, c = NULL; i < CTL_MAX_CLIENTS && !c; i++)
			if (x->ctl[i].fd < 0)
				c = &x->ctl[i];
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			if (!c)
				x->ctl_st.refused_busy++;
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->uid = cred.uid;
		c->deadline_ns = mono_ns() + CTL_DEADLINE_MS * 1000000ull;
		ev.data.u64 = EV(EV_CTL_CLIENT, c - x->ctl);
		if (epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev))
			client_free(x, c);
	}
}

void ctl_client_event(struct xvsd *x, int slot, uint32_t events)
{
	struct ctl_client *c = slot >= 0 && slot < CTL_MAX_CLIENTS ? &x->ctl[slot] : NULL;
	struct epoll_event ev = { .events = EPOLLOUT };
	struct out o = { 0 };
	ssize_t n;

	if (!c || c->fd < 0)
		return;
	if (c->out) { /* answering */
		if (client_send(c))
			client_free(x, c);
		return;
	}
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		client_free(x, c);
		return;
	}
	for (;;) {
		n = recv(c->fd, c->line + c->got, sizeof(c->line) - 1 - c->got, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* the rest later, before the deadline */
		if (n <= 0)
			break; /* EOF without a newline: take what came */
		c->got += (size_t)n;
		if (memchr(c->line, '\n', c->got) || c->got == sizeof(c->line) - 1)
			break;
	}
	c->line[c->got] = '\0';
	run_command(x, c, &o);
	if (!o.buf) {
		client_free(x, c);
		return;
	}
	c->out = o.buf;
	c->out_len = o.len;
	if (client_send(c)) {
		client_free(x, c);
		return;
	}
	/* the rest when the client reads */
	ev.data.u64 = EV(EV_CTL_CLIENT, slot);
	if (epoll_ctl(x->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		client_free(x, c);
}

void ctl_expire(struct xvsd *x, uint64_t now)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (x->ctl[i].fd >= 0 && now >= x->ctl[i].deadline_ns) {
			x->ctl_st.timed_out++;
			log_dbg("control client (uid %u) cut off after %d ms", x->ctl[i].uid,
				CTL_DEADLINE_MS);
			client_free(x, &x->ctl[i]);
		}
}
