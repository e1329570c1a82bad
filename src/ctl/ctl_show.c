// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the control socket and the metrics endpoint report: the switch,
 * its ports and queues (show, stats), workers, the FDB and the firewall,
 * each written once through ctl_out (text, JSON, Prometheus).
 *
 * Counters are from the switch's point of view: a port's "rx" is what the
 * switch received from the VM (the guest's transmit queue), "tx" what it
 * sent to the VM. They are read racily (relaxed, by the control thread)
 * while workers update them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "ctl/ctl_cmds.h"
#include "dp/capture.h"

static const char *port_state(const struct dp_port *p)
{
	int i;

	if (p->type == DP_PORT_UPLINK)
		return "up";
	if (p->dev.fd < 0)
		return "down";
	for (i = 0; i < 2 * p->queues; i++)
		if (p->dev.vr[i].vq.ready)
			return "up";
	return "negotiating";
}

/* ---- stats: the traffic counters alone, per port and queue ---- */

struct traffic {
	uint64_t rx_packets, rx_bytes, rx_dropped, tx_packets, tx_bytes, tx_dropped;
};

static void traffic_put(struct ctl_out *o, const struct traffic *t)
{
	co_count(o, "rx_packets", t->rx_packets);
	co_count(o, "rx_bytes", t->rx_bytes);
	co_count(o, "rx_dropped", t->rx_dropped);
	co_count(o, "tx_packets", t->tx_packets);
	co_count(o, "tx_bytes", t->tx_bytes);
	co_count(o, "tx_dropped", t->tx_dropped);
}

static void traffic_add(struct traffic *sum, const struct traffic *t)
{
	sum->rx_packets += t->rx_packets;
	sum->rx_bytes += t->rx_bytes;
	sum->rx_dropped += t->rx_dropped;
	sum->tx_packets += t->tx_packets;
	sum->tx_bytes += t->tx_bytes;
	sum->tx_dropped += t->tx_dropped;
}

/* A port's traffic, per queue (q[], *nq of them) and in all (*sum: the
 * queues' and the port's own drops). */
#define ST_QUEUES 64
static void port_traffic(struct xvsd *x, const struct dp_port *p, struct traffic *sum,
			 struct traffic q[ST_QUEUES], int *nqp)
{
	const struct uplink *up = x->vp[p->id].up;
	int nq = 0, i, r;

	memset(sum, 0, sizeof(*sum));
	if (p->type == DP_PORT_UPLINK && up) {
		nq = up->nq < ST_QUEUES ? up->nq : ST_QUEUES;
		for (i = 0; i < nq; i++) {
			const struct uplink_qstats *st = &up->q[i].st;
			struct xdp_statistics ks;

			uplink_kernel_stats(&up->q[i], &ks);
			q[i] = (struct traffic){
				.rx_packets = st->rx_packets,
				.rx_bytes = st->rx_bytes,
				.rx_dropped = st->rx_drop_runt + st->rx_drop_frags + ks.rx_dropped +
					      ks.rx_ring_full,
				.tx_packets = st->tx_packets,
				.tx_bytes = st->tx_bytes,
				.tx_dropped = st->tx_drop_no_frame + ks.tx_invalid_descs,
			};
		}
		sum->rx_dropped = p->st.drop_hairpin;
		sum->tx_dropped = p->st.drop_too_big;
	} else if (p->type == DP_PORT_VHOST) {
		nq = p->queues < ST_QUEUES ? p->queues : ST_QUEUES;
		for (i = 0; i < nq; i++) {
			const struct vq *rx = &p->dev.vr[2 * i + 1].vq, *tx = &p->dev.vr[2 * i].vq;

			q[i] = (struct traffic){
				.rx_packets = rx->st.packets,
				.rx_bytes = rx->st.bytes,
				.rx_dropped = rx->st.drop_runt + rx->st.drop_too_big + rx->st.drop_segs,
				.tx_packets = tx->st.packets,
				.tx_bytes = tx->st.bytes,
				.tx_dropped = tx->st.drop_no_buf + tx->st.drop_too_big,
			};
		}
		/* zero-copy frames to the VM bypass its ring's counters */
		if (nq && p->zc && p->zc->configured) {
			q[0].tx_packets += p->zc->st.rx_zc;
			q[0].tx_bytes += p->zc->st.rx_bytes;
		}
		sum->rx_dropped = p->st.drop_hairpin + p->st.drop_dst_down + p->st.drop_vlan_tagged +
				  p->st.drop_src_protected + p->st.drop_fw_from +
				  p->st.drop_fw_malformed + p->st.drop_offload;
		for (r = 1; r < SPOOF_REASON_MAX; r++)
			sum->rx_dropped += p->st.drop_spoof[r];
		sum->tx_dropped = p->st.drop_fw_to;
	}
	for (i = 0; i < nq; i++)
		traffic_add(sum, &q[i]);
	*nqp = nq;
}

/* The port's record and its queues' (the port's totals first). */
static void stats_port(struct xvsd *x, struct ctl_out *o, const struct dp_port *p)
{
	struct traffic q[ST_QUEUES], sum;
	const struct uplink *up = x->vp[p->id].up;
	char id[12];
	int nq, i;

	port_traffic(x, p, &sum, q, &nq);
	co_rec(o, 0, "port", p->name);
	co_label(o, "type", p->type == DP_PORT_UPLINK ? "uplink" : "vhost-user");
	co_str(o, "state", p->type == DP_PORT_UPLINK && !up ? "down" : port_state(p));
	traffic_put(o, &sum);
	for (i = 0; i < nq; i++) {
		snprintf(id, sizeof(id), "%d", p->type == DP_PORT_UPLINK ? (int)up->q[i].qid : i);
		co_rec(o, 1, "queue", id);
		traffic_put(o, &q[i]);
	}
}

/* show: the port's totals on its own line, and its captures */
static void port_totals(struct xvsd *x, struct ctl_out *o, const struct dp_port *p)
{
	const struct dp_capture *c = p->cap;
	struct traffic q[ST_QUEUES], sum;
	int nq;

	port_traffic(x, p, &sum, q, &nq);
	traffic_put(o, &sum);
	co_bool(o, "capturing", c != NULL);
	co_count(o, "capture_frames", p->st.capture_frames + (c ? c->frames : 0));
	co_count(o, "capture_drops",
		 p->st.capture_drops + (c ? __atomic_load_n(&c->drops, __ATOMIC_RELAXED) : 0));
}

/* virtio and vhost-user feature bits by name (virtio 1.2 §5.1.3, §6). */
static const char *const feature_names[64] = {
	[0] = "csum", [1] = "guest_csum", [2] = "ctrl_guest_offloads", [3] = "mtu",
	[5] = "mac", [7] = "guest_tso4", [8] = "guest_tso6", [9] = "guest_ecn",
	[10] = "guest_ufo", [11] = "host_tso4", [12] = "host_tso6", [13] = "host_ecn",
	[14] = "host_ufo", [15] = "mrg_rxbuf", [16] = "status", [17] = "ctrl_vq",
	[18] = "ctrl_rx", [19] = "ctrl_vlan", [21] = "guest_announce", [22] = "mq",
	[23] = "ctrl_mac_addr", [24] = "notify_on_empty", [27] = "any_layout",
	[28] = "indirect_desc", [29] = "event_idx", [30] = "protocol_features",
	[32] = "version_1", [33] = "access_platform", [34] = "ring_packed",
	[35] = "in_order", [36] = "order_platform", [37] = "sr_iov",
	[38] = "notification_data",
};

void ctl_feature_names(uint64_t f, char *buf, size_t len)
{
	size_t at = 0;
	int b, n;

	buf[0] = '\0';
	for (b = 0; b < 64; b++) {
		char unk[16];
		const char *name = feature_names[b];

		if (!(f & (1ull << b)))
			continue;
		if (!name) {
			snprintf(unk, sizeof(unk), "bit%d", b);
			name = unk;
		}
		n = snprintf(buf + at, len - at, "%s%s", at ? "," : "", name);
		if (n < 0 || (size_t)n >= len - at)
			return;
		at += (size_t)n;
	}
	if (!at)
		snprintf(buf, len, "-");
}

static void show_uplink(struct xvsd *x, struct ctl_out *o, const struct dp_port *p)
{
	const struct vport *v = &x->vp[p->id];
	const struct uplink *up = v->up;
	char mode[32], slots[32];
	int q;

	co_rec(o, 0, "port", p->name);
	co_label(o, "type", "uplink");
	if (!up) {
		co_str(o, "state", "down");
		co_gauge(o, "mtu", p->mtu);
		return;
	}
	snprintf(mode, sizeof(mode), "%s%s", xprog_mode_name(&up->prog),
		 up->prog.adopted ? ",adopted" : "");
	co_str(o, "state", "up");
	co_str(o, "interface", up->ifname);
	co_str(o, "xdp", mode);
	co_str(o, "afxdp", up->zerocopy ? "zero-copy" : "copy");
	co_bool(o, "multi_buffer", up->sg);
	co_gauge(o, "queues", up->nq);
	snprintf(slots, sizeof(slots), "%u-%u", up->xsk_base, up->xsk_base + up->n_rx_queues - 1);
	co_str(o, "slots", slots);
	co_gauge(o, "mtu", up->mtu);
	co_gauge(o, "mtu_configured", p->mtu);
	co_gauge(o, "frame_size", up->frame_size);
	co_bool(o, "host_flood", up->host_flood);
	co_count(o, "tap_frames", up->tap.frames);
	co_drop(o, "", "hairpin", p->st.drop_hairpin);
	co_drop(o, "", "too_big", p->st.drop_too_big);
	co_gauge(o, "macs", fdb_port_learned(&x->dp.fdb, p->id));
	co_count(o, "learn_limit", p->st.learn_limit);
	co_hex(o, "lent_queues", up->lent);
	co_str(o, "rss", up->rss);
	port_totals(x, o, p);
	for (q = 0; q < up->nq; q++) {
		const struct uplink_qstats *st = &up->q[q].st;
		struct xdp_statistics ks;
		char id[12];

		uplink_kernel_stats(&up->q[q], &ks);
		snprintf(id, sizeof(id), "%u", up->q[q].qid);
		co_rec(o, 1, "queue", id);
		co_bool(o, "busy_poll", up->q[q].busy_poll);
		co_count(o, "rx_packets", st->rx_packets);
		co_count(o, "rx_bytes", st->rx_bytes);
		co_drop(o, "rx_", "runt", st->rx_drop_runt);
		co_drop(o, "rx_", "frags", st->rx_drop_frags);
		co_count(o, "tx_packets", st->tx_packets);
		co_count(o, "tx_bytes", st->tx_bytes);
		co_drop(o, "tx_", "no_frame", st->tx_drop_no_frame);
		co_count(o, "wakeups", st->wakeups);
		co_count(o, "kernel_rx_dropped", ks.rx_dropped);
		co_count(o, "kernel_rx_ring_full", ks.rx_ring_full);
		co_count(o, "kernel_fill_empty", ks.rx_fill_ring_empty_descs);
		co_count(o, "kernel_tx_invalid", ks.tx_invalid_descs);
	}
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void show_zero_copy(struct xvsd *x, struct ctl_out *o, const struct dp_port *p)
{
	const struct dp_zc *z = p->zc;
	const struct dp_zc_stats *st = &z->st;
	const struct dp_port *up = x->dp.ports[z->uplink];
	const struct vq *to_vm = &p->dev.vr[0].vq, *from_vm = &p->dev.vr[1].vq;
	uint64_t to_copied = to_vm->st.packets, from_all = from_vm->st.packets;
	uint64_t from_copied = from_all > st->tx_zc ? from_all - st->tx_zc : 0;
	struct xdp_statistics ks = { 0 };

	if (z->up)
		xzc_kernel_stats(&z->s, &ks);
	co_rec(o, 1, "zero-copy", NULL);
	co_str(o, "uplink", up ? up->name : "-");
	co_gauge(o, "queue", z->qid);
	co_str(o, "state", z->up ? "up" : z->why ? "off" : "waiting");
	co_str(o, "memory", !z->up ? "-" : z->host ? "host" : "guest");
	if (z->why) {
		char why[160];

		snprintf(why, sizeof(why), "%s%s%s", z->why, z->why_err ? ": " : "",
			 z->why_err ? strerror(z->why_err) : "");
		co_str(o, "why", why);
	}
	co_str(o, "afxdp", z->up ? (z->s.zerocopy ? "zero-copy" : "copy") : "-");
	co_bool(o, "multi_buffer", z->up && z->s.sg);
	co_gauge(o, "pinned_mib", z->up && !z->host ? (int64_t)(z->s.len >> 20) : 0);
	co_gauge(o, "chunk", z->up ? z->s.chunk : 0);
	co_gauge(o, "room", z->room);
	co_str(o, "steering", vport_steer_names[x->vp[p->id].steer]);
	co_str(o, "tx", z->tx_mode == DP_ZC_TX_GUEST ? "guest" :
			z->tx_mode == DP_ZC_TX_COPY  ? "copy" :
						       "auto");
	co_count(o, "to_vm_zc", st->rx_zc);
	co_count(o, "to_vm_copied", to_copied);
	co_real(o, "to_vm_copies_per_frame", ratio(to_copied, to_copied + st->rx_zc), 2);
	co_count(o, "from_vm_zc", st->tx_zc);
	co_count(o, "from_vm_copied", from_copied);
	co_real(o, "from_vm_copies_per_frame", ratio(from_copied, from_all), 2);
	co_count(o, "rx_bytes", st->rx_bytes);
	co_count(o, "rx_posted", st->rx_posted);
	co_count(o, "rx_unfit", st->rx_unfit);
	co_count(o, "rx_returned", st->rx_returned);
	co_count(o, "rx_bad_desc", st->rx_bad_desc);
	co_count(o, "tx_bytes", st->tx_bytes);
	co_count(o, "tx_copy_small", st->tx_copy_small);
	co_count(o, "tx_copy_busy", st->tx_copy_busy);
	co_count(o, "tx_copy_segs", st->tx_copy_segs);
	co_count(o, "tx_copy_nosg", st->tx_copy_nosg);
	co_count(o, "tx_copy_mode", st->tx_copy_mode);
	co_count(o, "tx_full", st->tx_full);
	co_count(o, "rx_copy_host", st->rx_copy_host);
	co_count(o, "tx_copy_host", st->tx_copy_host);
	co_gauge(o, "tx_in_flight", z->tx_guest);
	co_count(o, "fallbacks", st->fallbacks);
	co_count(o, "builds", st->builds);
	co_count(o, "teardowns", st->teardowns);
	co_count(o, "kernel_rx_dropped", ks.rx_dropped);
	co_count(o, "kernel_fill_empty", ks.rx_fill_ring_empty_descs);
	co_count(o, "kernel_tx_invalid", ks.tx_invalid_descs);
}

static void show_spoof(struct ctl_out *o, const struct dp_port *p)
{
	struct spoof_cidr a4, a6, ll6;
	uint8_t mac[6];
	char b4[INET_ADDRSTRLEN] = "-", b6[INET6_ADDRSTRLEN] = "-", bl[INET6_ADDRSTRLEN] = "-";
	char m[18] = "-";
	int have = spoof_learned(&p->spoof_st, mac, &a4, &a6, &ll6), r;

	if (have & SPOOF_LEARNED_IP4)
		inet_ntop(AF_INET, a4.addr, b4, sizeof(b4));
	if (have & SPOOF_LEARNED_IP6)
		inet_ntop(AF_INET6, a6.addr, b6, sizeof(b6));
	if (have & SPOOF_LEARNED_LL6)
		inet_ntop(AF_INET6, ll6.addr, bl, sizeof(bl));
	if (have & SPOOF_LEARNED_MAC)
		snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
			 mac[3], mac[4], mac[5]);
	co_rec(o, 1, "anti-spoofing", NULL); /* present: on */
	co_str(o, "learned_mac", m);
	co_str(o, "learned_ipv4", b4);
	co_str(o, "learned_ipv6", b6);
	co_str(o, "learned_ll6", bl);
	for (r = 1; r < SPOOF_REASON_MAX; r++) {
		char name[48];
		size_t k, at = strlen("drop_spoof_");

		memcpy(name, "drop_spoof_", at);
		for (k = 0; spoof_reason_names[r][k] && at < sizeof(name) - 1; k++)
			name[at++] = (char)tolower((unsigned char)spoof_reason_names[r][k]);
		name[at] = '\0';
		co_drop(o, "", name + strlen("drop_"), p->st.drop_spoof[r]);
	}
}

static const char *zc_state(const struct dp_port *p)
{
	if (!p->zc || !p->zc->configured)
		return "off";
	return p->zc->up ? "on" : p->zc->why ? "failed" : "waiting";
}

static void show_vhost(struct xvsd *x, struct ctl_out *o, const struct dp_port *p)
{
	const struct vport *v = &x->vp[p->id];
	char feat[512];
	int q;

	ctl_feature_names(p->dev.features, feat, sizeof(feat));
	co_rec(o, 0, "port", p->name);
	co_label(o, "type", "vhost-user");
	co_str(o, "state", port_state(p));
	if (o->fmt == CO_PROM) /* the state as a number for alerts */
		co_bool(o, "up", !strcmp(port_state(p), "up"));
	co_str(o, "mode", v->mode == CFG_VU_SERVER ? "server" : "client");
	co_str(o, "socket", v->socket);
	co_gauge(o, "vlan", p->vlan);
	co_gauge(o, "mtu", p->mtu);
	co_gauge(o, "queues", p->queues);
	co_count(o, "connects", p->dev.st.connects);
	co_count(o, "disconnects", p->dev.st.disconnects);
	co_count(o, "broken", p->dev.st.broken);
	co_count(o, "early_enables", p->dev.st.early_enables);
	co_count(o, "ring_resumes", p->dev.st.ring_resumes);
	co_bool(o, "inflight", p->dev.ifl.map != NULL);
	co_count(o, "inflight_resubmits", p->dev.st.inflight_resubmits);
	co_count(o, "inflight_refused", p->dev.st.inflight_refused);
	co_count(o, "log_bases", p->dev.st.log_bases);
	co_bool(o, "logging", p->dev.log_all && p->dev.log.bits);
	co_count(o, "rarps", p->dev.st.rarps);
	co_hex(o, "features", p->dev.features);
	co_str(o, "feature_names", feat);
	co_str(o, "zero_copy", zc_state(p));
	co_gauge(o, "memory_mib", p->dev.mem ? (int64_t)(p->dev.mem->total >> 20) : 0);
	co_str(o, "memory_sealed", !p->dev.mem ? "-" : p->dev.mem->sealed ? "yes" : "no");
	co_count(o, "mem_faults", p->dev.st.mem_faults);
	co_gauge(o, "macs", fdb_port_learned(&x->dp.fdb, p->id));
	co_drop(o, "", "hairpin", p->st.drop_hairpin);
	co_drop(o, "", "dst_down", p->st.drop_dst_down);
	co_drop(o, "", "vlan_tagged", p->st.drop_vlan_tagged);
	co_drop(o, "", "src_protected", p->st.drop_src_protected);
	co_count(o, "learn_limit", p->st.learn_limit);
	co_drop(o, "", "fw_from", p->st.drop_fw_from);
	co_drop(o, "", "fw_to", p->st.drop_fw_to);
	co_drop(o, "", "fw_malformed", p->st.drop_fw_malformed);
	co_count(o, "fw_answers", p->st.fw_answers);
	co_bool(o, "offloads", p->dev.offloads);
	co_count(o, "ofl_tso", p->st.ofl_tso);
	co_count(o, "ofl_csum", p->st.ofl_csum);
	co_count(o, "ofl_segmented", p->st.ofl_segmented);
	co_count(o, "ofl_segments", p->st.ofl_segments);
	co_count(o, "ofl_csum_sw", p->st.ofl_csum_sw);
	co_drop(o, "", "offload", p->st.drop_offload);
	co_count(o, "csum_verified", p->st.csum_verified);
	co_count(o, "csum_bad", p->st.csum_bad);
	port_totals(x, o, p);
	if (__atomic_load_n(&p->spoof, __ATOMIC_ACQUIRE))
		show_spoof(o, p);
	for (q = 0; q < p->queues; q++) {
		const struct vq *rx = &p->dev.vr[2 * q + 1].vq; /* guest TX: switch rx */
		const struct vq *tx = &p->dev.vr[2 * q].vq;
		char id[12], en[8];

		snprintf(id, sizeof(id), "%d", q);
		snprintf(en, sizeof(en), "%d/%d", rx->ready, tx->ready);
		co_rec(o, 1, "queue", id);
		co_str(o, "enabled", en);
		co_count(o, "rx_packets", rx->st.packets);
		co_count(o, "rx_bytes", rx->st.bytes);
		co_drop(o, "rx_", "runt", rx->st.drop_runt);
		co_drop(o, "rx_", "too_big", rx->st.drop_too_big);
		co_drop(o, "rx_", "segs", rx->st.drop_segs);
		co_count(o, "tx_packets", tx->st.packets);
		co_count(o, "tx_bytes", tx->st.bytes);
		co_drop(o, "tx_", "no_buf", tx->st.drop_no_buf);
		co_drop(o, "tx_", "too_big", tx->st.drop_too_big);
		co_count(o, "tx_irqs", tx->st.notifies);
		co_count(o, "rx_irqs", rx->st.notifies);
		co_count(o, "tx_irq_fail", tx->st.irq_fail);
		co_count(o, "rx_irq_fail", rx->st.irq_fail);
	}
	if (p->zc && p->zc->configured)
		show_zero_copy(x, o, p);
}

struct dp_port *ctl_port(struct xvsd *x, struct ctl_out *o, const char *name)
{
	struct dp_port *p = name ? dp_port_find(&x->dp, name) : NULL;

	if (!p)
		co_error(o, "no port '%s'", name ? name : "");
	return p;
}

/* A command's optional PORT: *only the port (NULL: all of them), or
 * -ENOENT with the error answered. */
static int port_filter(struct xvsd *x, struct ctl_out *o, const char *name,
		       const struct dp_port **only)
{
	*only = NULL;
	if (!name || !*name)
		return 0;
	*only = ctl_port(x, o, name);
	return *only ? 0 : -ENOENT;
}

static void show_switch(struct xvsd *x, struct ctl_out *o)
{
	int i, n = 0, broken = 0;

	for (i = 0; i < DP_MAX_PORTS; i++) {
		const struct dp_port *p = x->dp.ports[i];

		n += p != NULL;
		broken += p && p->type == DP_PORT_VHOST && p->dev.st.broken &&
			  p->dev.fd < 0;
	}
	co_rec(o, 0, "switch", x->cfg.name);
	co_gauge(o, "ports", n);
	co_gauge(o, "ports_broken", broken);
	co_gauge(o, "workers", x->dp.nworkers);
	co_count(o, "ctl_commands", x->ctl_st.commands);
	co_count(o, "ctl_timed_out", x->ctl_st.timed_out);
	co_count(o, "ctl_refused_busy", x->ctl_st.refused_busy);
	co_count(o, "ctl_denied", x->ctl_st.denied);
	co_str(o, "log_level", log_level_names[log_get_level()]);
	if (x->cfg.poll == CFG_POLL_BUSY) {
		co_str(o, "poll", "busy");
	} else {
		co_str(o, "poll", "adaptive");
		co_gauge(o, "idle_us", x->dp.idle_us);
		co_gauge(o, "max_nap_us", x->dp.max_nap_us);
	}
	if (x->fws.open) {
		co_str(o, "firewall", x->fws.fw.m.cfg->flags & XVS_FW_CFG_F_ON ? "on" : "off");
		co_gauge(o, "conntrack_size", x->fws.fw.m.ct_size);
		co_gauge(o, "conntrack_live", x->fws.last.live);
		co_count(o, "conntrack_full_drops", ctl_fw_ct_full_drops(x));
	}
}

int ctl_show(struct xvsd *x, struct ctl_out *o, const char *port)
{
	const struct dp_port *only;
	int i;

	if (port_filter(x, o, port, &only))
		return -ENOENT;
	if (!only)
		show_switch(x, o);
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->dp.ports[i];

		if (!p || (only && p != only))
			continue;
		if (p->type == DP_PORT_UPLINK)
			show_uplink(x, o, p);
		else
			show_vhost(x, o, p);
	}
	return 0;
}

int ctl_stats(struct xvsd *x, struct ctl_out *o, const char *port)
{
	const struct dp_port *only;
	int i;

	if (port_filter(x, o, port, &only))
		return -ENOENT;
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->dp.ports[i];

		if (p && (!only || p == only))
			stats_port(x, o, p);
	}
	return 0;
}

/* ---- workers ---- */

/* "a:0,a:zc,up0:1,..." into buf: the rings worker w polls (a VM's guest TX
 * vrings, an uplink's queues, a VM's zero-copy socket); cut with "..." when
 * it does not fit. */
static void worker_polls(const struct xvsd *x, int w, char *buf, size_t cap)
{
	size_t len = 0;
	int i, q, n;

	buf[0] = '\0';
	for (i = 0; i < DP_MAX_PORTS; i++) {
		const struct dp_port *p = x->dp.ports[i];
		int nq;

		if (!p)
			continue;
		nq = p->queues;
		for (q = 0; q <= nq; q++) {
			if (q == nq && !(p->zc && p->owner[0] == w))
				continue;
			if (q < nq && p->owner[q] != w)
				continue;
			if (q < nq)
				n = snprintf(buf + len, cap - len, "%s%s:%d", len ? "," : "", p->name, q);
			else
				n = snprintf(buf + len, cap - len, "%s%s:zc", len ? "," : "", p->name);
			if (n < 0 || (size_t)n >= cap - len) {
				snprintf(buf + (len < cap - 4 ? len : cap - 4), 4, "...");
				return;
			}
			len += (size_t)n;
		}
	}
}

void ctl_workers(struct xvsd *x, struct ctl_out *o)
{
	char polls[256];
	int i;

	for (i = 0; i < x->dp.nworkers; i++) {
		struct dp_worker *w = &x->dp.workers[i];
		uint64_t busy = w->busy_ns, idle = w->idle_ns, nap = w->nap_ns, sleep = w->sleep_ns;
		uint64_t all = busy + idle + nap + sleep;
		char id[12];

		snprintf(id, sizeof(id), "%d", i);
		co_rec(o, 0, "worker", id);
		co_gauge(o, "cpu", w->cpu);
		co_real(o, "busy_pct", all ? 100.0 * (double)busy / (double)all : 0.0, 1);
		co_count(o, "frames", w->frames);
		co_count(o, "loops", w->loops);
		co_count(o, "busy_loops", w->busy_loops);
		co_ns(o, "busy_ns", busy);
		co_ns(o, "idle_ns", idle);
		co_ns(o, "nap_ns", nap);
		co_ns(o, "sleep_ns", sleep);
		co_count(o, "naps", w->naps);
		co_count(o, "sleeps", w->sleeps);
		co_bool(o, "sleeping", w->sleeping);
		co_count(o, "lost_kicks", w->wakeups_with_work_on_timeout);
		worker_polls(x, i, polls, sizeof(polls));
		co_str(o, "polls", polls[0] ? polls : "-");
	}
}

/* ---- the FDB ---- */

struct fdb_dump_ctx {
	struct xvsd *x;
	struct ctl_out *o;
	const struct dp_port *only;
};

static int fdb_line(void *arg, const struct fdb_entry *e)
{
	struct fdb_dump_ctx *c = arg;
	struct dp_port *p = e->port < DP_MAX_PORTS ? c->x->dp.ports[e->port] : NULL;
	uint64_t k = e->key;
	char mac[18];

	if (c->only && p != c->only)
		return 0;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(k >> 40) & 0xff,
		 (unsigned)(k >> 32) & 0xff, (unsigned)(k >> 24) & 0xff,
		 (unsigned)(k >> 16) & 0xff, (unsigned)(k >> 8) & 0xff, (unsigned)k & 0xff);
	if (c->o->fmt == CO_TEXT) {
		co_text(c->o, "%-4u %s %-16s %s age=%u\n", (unsigned)(k >> 48), mac,
			p ? p->name : "?", e->is_static ? "static " : "learned",
			c->x->dp.fdb.now - e->seen);
		return 0;
	}
	if (c->o->fmt == CO_PROM)
		return 0;
	co_rec(c->o, 0, "entry", NULL);
	co_gauge(c->o, "vlan", (int64_t)(k >> 48));
	co_str(c->o, "mac", mac);
	co_str(c->o, "port", p ? p->name : "?");
	co_str(c->o, "type", e->is_static ? "static" : "learned");
	co_gauge(c->o, "age", c->x->dp.fdb.now - e->seen);
	return 0;
}

static int fdb_counter(void *arg, const struct fdb_entry *e)
{
	(void)e;
	++*(int64_t *)arg;
	return 0;
}

void ctl_fdb_stats(struct xvsd *x, struct ctl_out *o)
{
	struct fdb *f = &x->dp.fdb;
	int64_t n = 0;

	fdb_foreach(f, fdb_counter, &n);
	co_rec(o, 0, "fdb", NULL);
	co_gauge(o, "entries", n);
	co_count(o, "learned", f->st.learned);
	co_count(o, "moved", f->st.moved);
	co_count(o, "evicted", f->st.evicted);
	co_count(o, "aged", f->st.aged);
	co_count(o, "limited", f->st.limited);
	co_count(o, "protected_refused", f->st.protected_refused);
	co_gauge(o, "protected", f->nprotected);
}

int ctl_fdb_show(struct xvsd *x, struct ctl_out *o, const char *port)
{
	struct fdb_dump_ctx c = { x, o, NULL };

	if (port_filter(x, o, port, &c.only))
		return -ENOENT;
	co_text(o, "vlan mac               port             type    age\n");
	fdb_foreach(&x->dp.fdb, fdb_line, &c);
	if (o->depth < 0) /* no entry written: [] for scripts */
		co_empty(o, "entry");
	if (o->fmt == CO_TEXT)
		co_text(o, "# ");
	ctl_fdb_stats(x, o);
	return 0;
}

/* ---- the firewall ---- */

static const char *const fw_action_names[] = {
	[XVS_ACL_ALLOW] = "allow", [XVS_ACL_DROP] = "drop", [XVS_ACL_REJECT] = "reject",
	[XVS_ACL_COUNT] = "count",
};

static void fw_show_bind(struct xvsd *x, struct ctl_out *o, const struct dp_port *p, int dir)
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
	co_rec(o, 0, "port", p->name);
	co_label(o, "dir", dir == XVS_FW_TO_VM ? "to-vm" : "from-vm");
	co_gauge(o, "rules", bind->count);
	for (r = 0; r < XVS_FW_REASON_MAX; r++)
		if (reason[r].packets || o->fmt != CO_TEXT)
			co_count(o, xvs_fw_reason_names[r], reason[r].packets);
	for (i = 0; i < bind->count && i < XVS_ACL_MAX_PER_BIND; i++) {
		const struct xvs_acl_rule *rl = &fw->m.rules[XVS_ACL_RULE_IDX(b, bind->first + i)];
		const char *set = rl->set < (uint32_t)x->cfg.fw.n_sets ? x->cfg.fw.sets[rl->set].name :
				  rl->set == FWC_SET_IMPLICIT ? "-" : "?";
		struct xvs_counter c;
		char pos[16];
		int line = 0;

		if (rl->set < (uint32_t)x->cfg.fw.n_sets && rl->pos < (uint32_t)x->cfg.fw.sets[rl->set].n_rules)
			line = x->cfg.fw.sets[rl->set].rules[rl->pos].line;
		fwsync_rule_counts(&x->fws, bind->first + i, &c);
		if (rl->flags & XVS_ACL_F_DEFAULT)
			snprintf(pos, sizeof(pos), "default");
		else
			snprintf(pos, sizeof(pos), "%u", rl->pos);
		co_rec(o, 1, "rule", NULL);
		co_label(o, "set", set);
		co_label(o, "pos", pos);
		if (!(rl->flags & XVS_ACL_F_DEFAULT))
			co_gauge(o, "line", line);
		if (rl->set == FWC_SET_IMPLICIT)
			co_bool(o, "implicit", true);
		co_str(o, "action", fw_action_names[rl->action & 3]);
		co_bool(o, "stateful", rl->flags & XVS_ACL_F_STATEFUL);
		co_count(o, "packets", c.packets);
		co_count(o, "bytes", c.bytes);
	}
}

/* New connections refused because the conntrack table was full there
 * (the forwarder's and XDP's, every port). */
uint64_t ctl_fw_ct_full_drops(struct xvsd *x)
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

int ctl_firewall(struct xvsd *x, struct ctl_out *o, const char *port)
{
	const struct fwsync *s = &x->fws;
	const struct dp_port *only;
	int i, dir;

	if (port_filter(x, o, port, &only))
		return -ENOENT;
	co_rec(o, 0, "firewall", NULL);
	if (!s->open) {
		co_bool(o, "on", false);
		co_str(o, "why", "no firewall in the configuration");
		return 0;
	}
	co_bool(o, "on", s->fw.m.cfg->flags & XVS_FW_CFG_F_ON);
	co_gauge(o, "bank", fw_bank(&s->fw));
	co_count(o, "reloads", s->reloads);
	co_count(o, "reload_removed", s->reload_removed);
	co_gauge(o, "conntrack_size", s->fw.m.ct_size);
	co_gauge(o, "conntrack_live", s->last.live);
	co_count(o, "conntrack_expired", s->ct_expired);
	co_count(o, "conntrack_full_drops", ctl_fw_ct_full_drops(x));
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->dp.ports[i];

		if (!p || p->type != DP_PORT_VHOST || (only && p != only))
			continue;
		for (dir = 0; dir < XVS_FW_DIRS; dir++)
			fw_show_bind(x, o, p, dir);
	}
	return 0;
}
