// SPDX-License-Identifier: GPL-2.0-only
#include "ctl/daemon.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "ctl/linkmon.h"
#include "ctl/sdnotify.h"
#include "xsk/steer.h"

#define TICK_MS 100
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000


static void update_protected(struct xvsd *x, const struct cfg *c);

static uint64_t now_ns(void)
{
	return clock_now_ns();
}

static int ep_add(struct xvsd *x, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void ep_del(struct xvsd *x, int fd)
{
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- the config, in each module's terms ---------------------------------- */

/* Only ctl reads the config: the data plane and the uplinks take their own
 * options, translated here. The config's limits are within theirs. */
_Static_assert(CFG_MAX_CPUS <= DP_MAX_WORKERS, "a worker for every CPU listed");
_Static_assert(CFG_NAME_MAX <= DP_NAME_MAX, "port names fit the data plane's");
_Static_assert(CFG_MAX_QUEUE_IDS <= UPLINK_MAX_QUEUES, "queue lists fit an uplink's");

static void dp_opts_from_cfg(struct dp_opts *o, const struct cfg *c)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->poll = c->poll == CFG_POLL_BUSY ? DP_POLL_BUSY : DP_POLL_ADAPTIVE;
	o->idle_us = c->idle_us;
	o->max_nap_us = c->max_nap_us;
	o->n_workers = c->n_cpus;
	for (i = 0; i < c->n_cpus; i++)
		o->cpus[i] = c->cpus[i];
	o->fdb_max = c->fdb_max;
	o->fdb_aging_s = c->fdb_aging_s;
}

static void dp_port_opts_from_cfg(struct dp_port_opts *o, const struct cfg_port *cp)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", cp->name);
	o->type = cp->type == CFG_PORT_UPLINK ? DP_PORT_UPLINK : DP_PORT_VHOST;
	o->vlan = cp->vlan;
	o->mtu = cp->mtu;
	o->queues = cp->queues;
	o->max_guest_memory = cp->max_guest_memory;
	o->max_macs = cp->max_macs;
	o->offloads = cp->offloads;
	o->packed = cp->packed_ring;
	o->migration = cp->migration;
	/* zero-copy returns buffers out of order: in-order is not offered */
	o->in_order = cp->in_order && !cp->zero_copy;
}

static enum xsk_xdp_mode xdp_mode_from_cfg(enum cfg_xdp_mode m)
{
	switch (m) {
	case CFG_XDP_ZEROCOPY:
		return XSK_XDP_ZEROCOPY;
	case CFG_XDP_NATIVE:
		return XSK_XDP_NATIVE;
	case CFG_XDP_SKB:
		return XSK_XDP_SKB;
	case CFG_XDP_AUTO:
		break;
	}
	return XSK_XDP_AUTO;
}

static void uplink_opts_from_cfg(struct uplink_opts *o, const struct cfg_port *cp)
{
	int i;

	memset(o, 0, sizeof(*o));
	snprintf(o->ifname, sizeof(o->ifname), "%s", cp->ifname);
	o->mtu = cp->mtu;
	o->frame_size = cp->frame_size;
	o->ring_size = cp->ring_size;
	o->busy_poll_us = cp->busy_poll_us;
	o->busy_poll_budget = cp->busy_poll_budget;
	o->xdp_mode = xdp_mode_from_cfg(cp->xdp_mode);
	o->multi_buffer = cp->multi_buffer;
	o->all_queues = cp->all_queues;
	o->n_queue_ids = cp->n_queue_ids;
	for (i = 0; i < cp->n_queue_ids; i++)
		o->queue_ids[i] = cp->queue_ids[i];
	o->host_flood = cp->host_flood;
	o->host_unknown = cp->host_unknown;
	o->lent_queues = cp->zc_reserved;
}

/* ---- sockets ------------------------------------------------------------- */

static int make_parent_dir(const char *path)
{
	char dir[CFG_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Listen on a unix socket path, created with exactly `mode` and, if
 * gid >= 0, that group (bound under a umask that leaves it private until
 * then). An existing socket file that nobody answers on is stale and
 * replaced; one that answers is somebody else's; anything that is not a
 * socket is never removed. */
int xvsd_listen_unix(const char *path, uint32_t mode, int64_t gid, bool *created)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, probe, err;
	mode_t old;

	err = unix_addr(path, &sa);
	if (err)
		return err;
	err = make_parent_dir(path);
	if (err)
		return err;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* only the control thread creates files: the umask is ours here */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (err) {
		close(fd);
		return err;
	}
	if ((gid >= 0 && chown(path, (uid_t)-1, (gid_t)gid)) || chmod(path, (mode_t)mode) ||
	    listen(fd, 16)) {
		err = -errno;
		unlink(path);
		close(fd);
		return err;
	}
	*created = true;
	return fd;
}

static void vport_schedule_connect(struct vport *v)
{
	v->backoff_ms = v->backoff_ms ? v->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (v->backoff_ms > BACKOFF_MAX_MS)
		v->backoff_ms = BACKOFF_MAX_MS;
	v->next_connect_ns = now_ns() + (uint64_t)v->backoff_ms * 1000000ull;
}

static void vport_connected(struct xvsd *x, struct vport *v, int fd)
{
	struct dp_port *p = v->p;
	int err;

	vu_dev_attach(&p->dev, fd);
	err = ep_add(x, fd, EV(EV_CONN, p->id));
	if (err) {
		log_msg(LOG_LVL_ERR, p->name, "cannot watch connection: %s", strerror(-err));
		vu_dev_detach(&p->dev);
		return;
	}
	log_msg(LOG_LVL_INFO, p->name, "front-end connected");
}

static void vport_try_connect(struct xvsd *x, struct vport *v)
{
	struct sockaddr_un sa;
	int fd;

	if (unix_addr(v->socket, &sa))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (!v->connect_failures++ || v->backoff_ms < BACKOFF_MAX_MS)
			log_msg(LOG_LVL_DEBUG, v->p->name, "connecting to %s: %s", v->socket,
				strerror(errno));
		close(fd);
		vport_schedule_connect(v);
		return;
	}
	v->backoff_ms = 0;
	v->next_connect_ns = 0;
	vport_connected(x, v, fd);
}

static void vport_disconnected(struct xvsd *x, struct vport *v)
{
	struct dp_port *p = v->p;

	if (p->dev.fd >= 0)
		ep_del(x, p->dev.fd);
	vu_dev_detach(&p->dev);
	/* addresses behind this port are gone with the guest's state */
	fdb_flush_port(&x->dp.fdb, p->id, false);
	if (v->mode == CFG_VU_CLIENT)
		vport_schedule_connect(v);
}

/* The XDP program's view of a VM port: frames for it are redirected. */
static void xdp_port_kind(struct xvsd *x, const struct dp_port *p, bool present)
{
	struct xvs_port k = { .kind = present ? XVS_PORT_VHOST : XVS_PORT_NONE, .mtu = p->mtu };

	if (x->maps.ports >= 0 && p->type == DP_PORT_VHOST)
		xdpmaps__port_set(&x->maps, p->id, &k);
}

/* First fit for n consecutive XSKMAP slots. */
static int xsk_alloc(struct xvsd *x, uint32_t n, uint32_t *base)
{
	uint32_t b, i;

	for (b = 0; b + n <= XVS_MAX_XSKS; b++) {
		for (i = 0; i < n && !x->xsk_used[b + i]; i++)
			;
		if (i == n) {
			memset(&x->xsk_used[b], 1, n);
			*base = b;
			return 0;
		}
	}
	return -ENOSPC;
}

/* ---- zero-copy queues ------------------------------------------------------ */

static void zc_unsteer(struct vport *v);

/* The XDP program's entry for VM port p's zero-copy queue: on while both
 * the VM's configuration and its uplink are there. */
static void zcq_entry(struct xvsd *x, const struct dp_port *p, bool on)
{
	const struct dp_zc *z = p->zc;
	const struct vport *uv;
	struct xvs_zcq e = { .port = p->id, .flags = XVS_ZCQ_F_ON, .max_len = p->mtu + 14 };

	if (!z || x->maps.zcq < 0)
		return;
	uv = &x->vp[z->uplink];
	if (!uv->p || uv->p->type != DP_PORT_UPLINK || !uv->up)
		return;
	if (z->qid >= uv->xsk_n) {
		if (on)
			log_msg(LOG_LVL_ERR, p->name, "zero-copy: %s has no queue %u", uv->up->ifname,
				z->qid);
		return;
	}
	if (xdpmaps__zcq_set(&x->maps, uv->xsk_base + z->qid, on ? &e : NULL))
		log_msg(LOG_LVL_WARN, p->name, "cannot %s the zero-copy queue in XDP: %s",
			on ? "set" : "clear", strerror(errno));
}

/* Bring every VM port's zero-copy setting in line with config c: set up
 * (the socket follows when the guest runs, dp_zc_service), changed, or
 * taken away. */
static void zc_apply(struct xvsd *x, const struct cfg *c)
{
	int i;

	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->vp[i].p, *up;
		const struct cfg_port *cp;

		if (!p || p->type != DP_PORT_VHOST)
			continue;
		cp = cfg_find_port(c, p->name);
		up = cp && cp->zero_copy ? dp_port_find(&x->dp, cp->zc_uplink) : NULL;
		if (!up) {
			if (p->zc && p->zc->configured) {
				zc_unsteer(&x->vp[i]);
				dp_zc_unconfigure(&x->dp, p); /* socket gone first */
				zcq_entry(x, p, false);
				log_msg(LOG_LVL_INFO, p->name, "zero-copy off");
			}
			continue;
		}
		if (p->zc && p->zc->configured &&
		    (p->zc->uplink != up->id || p->zc->qid != (uint16_t)cp->zc_queue)) {
			zc_unsteer(&x->vp[i]);
			dp_zc_unconfigure(&x->dp, p); /* socket gone first */
			zcq_entry(x, p, false);
		}
		/* a new MTU is a new buffer contract */
		if (p->zc && p->zc->up && p->zc->room != p->mtu + 18)
			dp_zc_down(&x->dp, p, "mtu changed");
		if (dp_zc_configure(&x->dp, p, up->id, (uint16_t)cp->zc_queue,
				    cp->zc_tx == CFG_ZC_TX_GUEST  ? DP_ZC_TX_GUEST :
				    cp->zc_tx == CFG_ZC_TX_COPY ? DP_ZC_TX_COPY :
								  DP_ZC_TX_AUTO)) {
			log_msg(LOG_LVL_ERR, p->name, "zero-copy: out of memory");
			continue;
		}
		zcq_entry(x, p, true);
	}
}

const char *const vport_steer_names[] = {
	[STEER_PENDING] = "pending",
	[STEER_INSTALLED] = "installed",
	[STEER_EXTERNAL] = "external",
	[STEER_FAILED] = "failed",
};

/* Take the NIC rule for a VM's queue away (its port, zero-copy or uplink
 * goes); it is tried again when they are back. */
static void zc_unsteer(struct vport *v)
{
	int err;

	if (v->steer == STEER_INSTALLED) {
		err = steer_del(v->steer_if, v->steer_loc);
		if (err)
			log_msg(LOG_LVL_WARN, v->p->name, "cannot remove the steering rule %u on %s: %s",
				v->steer_loc, v->steer_if, strerror(-err));
	}
	v->steer = STEER_PENDING;
}

struct first_mac {
	uint16_t port;
	uint64_t key;
};

static int find_first_mac(void *arg, const struct fdb_entry *e)
{
	struct first_mac *f = arg;

	if (e->port != f->port)
		return 0;
	f->key = e->key;
	return 1;
}

/* Each tick: a VM with zero-copy whose address is known gets the NIC rule
 * that sends it to its queue (or is found to need external steering). */
static void zc_steer(struct xvsd *x)
{
	int i, err;

	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct vport *v = &x->vp[i];
		struct dp_port *p = v->p;
		const struct vport *uv;
		struct first_mac f;
		uint8_t mac[6];
		int b;

		if (!p || !p->zc || !p->zc->configured)
			continue;
		/* a rule follows the address while the VM owns it, no longer */
		if (v->steer == STEER_INSTALLED && fdb_lookup(&x->dp.fdb, v->steer_key) != p->id)
			zc_unsteer(v);
		if (v->steer != STEER_PENDING || !p->zc->up || p->zc->host)
			continue;
		uv = &x->vp[p->zc->uplink];
		if (!uv->p || !uv->up)
			continue;
		f = (struct first_mac){ .port = p->id };
		if (!fdb_foreach(&x->dp.fdb, find_first_mac, &f))
			continue;
		for (b = 0; b < 6; b++)
			mac[b] = (uint8_t)(f.key >> (40 - 8 * b));
		snprintf(v->steer_if, sizeof(v->steer_if), "%s", uv->up->ifname);
		err = steer_add(v->steer_if, mac, p->vlan, p->zc->qid, &v->steer_loc);
		v->steer_key = f.key;
		if (!err) {
			v->steer = STEER_INSTALLED;
			log_msg(LOG_LVL_INFO, p->name,
				"%s steers %02x:%02x:%02x:%02x:%02x:%02x to queue %u (rule %u)",
				v->steer_if, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
				p->zc->qid, v->steer_loc);
		} else if (err == -EOPNOTSUPP) {
			v->steer = STEER_EXTERNAL;
			log_msg(LOG_LVL_INFO, p->name,
				"%s has no ntuple filters: frames for %02x:%02x:%02x:%02x:%02x:%02x "
				"must reach queue %u by other means (steering is external)",
				v->steer_if, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
				p->zc->qid);
		} else {
			v->steer = STEER_FAILED;
			log_msg(LOG_LVL_WARN, p->name, "cannot steer its MAC to queue %u of %s: %s",
				p->zc->qid, v->steer_if, strerror(-err));
		}
	}
}

/* An uplink goes: the zero-copy sockets on its queues first. */
static void zc_uplink_gone(struct xvsd *x, const struct dp_port *uplink)
{
	int i;

	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct dp_port *p = x->vp[i].p;

		if (p && p->zc && p->zc->configured && p->zc->uplink == uplink->id) {
			zc_unsteer(&x->vp[i]);
			dp_zc_down(&x->dp, p, "uplink closed");
			zcq_entry(x, p, false);
			__atomic_store_n(&p->zc->want, 1, __ATOMIC_RELEASE);
		}
	}
}

static int uplink_port_open(struct xvsd *x, struct vport *v, const struct cfg_port *cp)
{
	bool first = x->maps.fdb < 0;
	struct uplink_opts o;
	struct uplink *up;
	int n, err, i;

	n = uplink_slots(cp->ifname);
	if (n <= 0) {
		log_msg(LOG_LVL_ERR, cp->name, "interface %s: %s", cp->ifname,
			n ? strerror(-n) : "has no receive queues");
		return n ? n : -ENODEV;
	}
	err = xsk_alloc(x, (uint32_t)n, &v->xsk_base);
	if (err) {
		log_msg(LOG_LVL_ERR, cp->name, "no room for %d more AF_XDP sockets", n);
		return err;
	}
	v->xsk_n = (uint32_t)n;
	err = xprog_prepare_pins(x->cfg.name);
	up = calloc(1, sizeof(*up));
	if (err || !up) {
		err = err ?: -ENOMEM;
		goto free_slots;
	}
	uplink_opts_from_cfg(&o, cp);
	err = uplink_open(up, &o, x->cfg.name, v->p->id, v->xsk_base, &x->maps);
	if (err)
		goto free_up;
	if (first) {
		/* a fresh start: forget what an earlier run left in the maps */
		xdpsync_clear(&x->sync, &x->maps);
		xdpmaps__zc_clear(&x->maps);
		for (i = 0; i < DP_MAX_PORTS; i++)
			if (x->dp.ports[i])
				xdp_port_kind(x, x->dp.ports[i], true);
	}
	v->up = up;
	update_protected(x, &x->cfg);
	__atomic_store_n(&x->dp.xdp_fdb_fd, x->maps.fdb, __ATOMIC_RELEASE);
	x->dp.maps = &x->maps;
	dp_uplink_publish(&x->dp, v->p, up);
	xdpsync_run(&x->sync, &x->dp, &x->maps, 1);
	/* the VMs with a queue here: their entries, then their sockets */
	zc_apply(x, &x->cfg);
	dp_zc_service(&x->dp);
	return 0;

free_up:
	free(up);
free_slots:
	memset(&x->xsk_used[v->xsk_base], 0, v->xsk_n);
	return err;
}

static void uplink_port_close(struct xvsd *x, struct vport *v)
{
	struct uplink *up;

	if (!v->up)
		return;
	zc_uplink_gone(x, v->p);
	up = dp_uplink_unpublish(&x->dp, v->p);
	uplink_close(up, &x->maps);
	free(up);
	v->up = NULL;
	memset(&x->xsk_used[v->xsk_base], 0, v->xsk_n);
}

/* Open an uplink whose interface may come and go: a missing interface is
 * waited for (the port stays down); anything else is an error. */
static int uplink_port_try(struct xvsd *x, struct vport *v, const struct cfg_port *cp)
{
	const struct linkmon_link *l = x->lm ? linkmon_get(x->lm, cp->ifname) : NULL;
	int err;

	if (l && !l->ifindex) {
		if (!v->up_logged_wait)
			log_msg(LOG_LVL_WARN, cp->name, "interface %s does not exist (yet): "
				"the port stays down until it appears", cp->ifname);
		v->up_logged_wait = true;
		return 0;
	}
	err = uplink_port_open(x, v, cp);
	if (!err)
		v->up_logged_wait = false;
	return err;
}

static void uplink_port_reopen(struct xvsd *x, struct vport *v, const char *why)
{
	const struct cfg_port *cp = cfg_find_port(&x->cfg, v->p->name);

	log_msg(LOG_LVL_INFO, v->p->name, "%s: reopening the uplink", why);
	uplink_port_close(x, v);
	if (cp && uplink_port_try(x, v, cp))
		log_msg(LOG_LVL_ERR, v->p->name, "cannot reopen the uplink; it stays down "
			"until the interface changes again");
}

/* linkmon: one of the uplinks' interfaces changed. */
static void on_link_event(void *ctx, enum linkmon_event ev, const struct linkmon_link *now,
			  const struct linkmon_link *before)
{
	struct xvsd *x = ctx;
	int i;

	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct vport *v = &x->vp[i];

		if (!v->p || v->p->type != DP_PORT_UPLINK || strcmp(v->ifname, now->name))
			continue;
		switch (ev) {
		case LINKMON_GONE:
			if (v->up) {
				log_msg(LOG_LVL_WARN, v->p->name, "interface %s is gone: port down",
					now->name);
				uplink_port_close(x, v);
			}
			break;
		case LINKMON_NEW:
			uplink_port_reopen(x, v, "interface appeared");
			break;
		case LINKMON_CHANGED:
			if (before->num_rx_queues != now->num_rx_queues)
				uplink_port_reopen(x, v, "queue count changed");
			else if (!v->up)
				uplink_port_reopen(x, v, "interface changed");
			else if (before->running != now->running)
				log_msg(LOG_LVL_INFO, v->p->name, "link %s", now->running ? "up" : "down");
			break;
		}
		/* its address may be new */
		update_protected(x, &x->cfg);
	}
}

/* A VM port's anti-spoofing, from its config, into the datapath. */
static int spoof_apply(struct xvsd *x, struct dp_port *p, const struct cfg_port *cp)
{
	const struct cfg_spoof *c = &cp->spoof;
	struct spoof_policy sp;
	int i, err;

	memset(&sp, 0, sizeof(sp));
	sp.on = c->on;
	sp.have_mac = c->have_mac;
	memcpy(sp.mac, c->mac, 6);
	sp.learn = c->learn;
	sp.n_ip4 = c->n_ip4;
	sp.n_ip6 = c->n_ip6;
	_Static_assert(sizeof(sp.ip4[0]) == sizeof(c->ip4[0]) &&
			       offsetof(struct spoof_cidr, addr) == offsetof(struct cfg_cidr, addr) &&
			       offsetof(struct spoof_cidr, plen) == offsetof(struct cfg_cidr, plen),
		       "spoof_cidr is cfg_cidr");
	for (i = 0; i < c->n_ip4 && i < SPOOF_MAX_ADDRS; i++)
		memcpy(&sp.ip4[i], &c->ip4[i], sizeof(sp.ip4[i]));
	for (i = 0; i < c->n_ip6 && i < SPOOF_MAX_ADDRS; i++)
		memcpy(&sp.ip6[i], &c->ip6[i], sizeof(sp.ip6[i]));
	sp.dhcp_server = c->dhcp_server;
	sp.router_adv = c->router_adv;
	err = dp_port_set_spoof(&x->dp, p, c->on ? &sp : NULL);
	if (err)
		log_msg(LOG_LVL_ERR, p->name, "anti-spoofing: %s", strerror(-err));
	return err;
}

static int vport_open(struct xvsd *x, const struct cfg_port *cp)
{
	struct dp_port_opts o;
	struct dp_port *p;
	struct vport *v;
	int fd, err;

	dp_port_opts_from_cfg(&o, cp);
	p = dp_port_add(&x->dp, &o);
	if (!p)
		return -ENOSPC;
	v = &x->vp[p->id];
	memset(v, 0, sizeof(*v));
	v->p = p;
	v->listen_fd = -1;
	if (cp->type == CFG_PORT_UPLINK) {
		snprintf(v->ifname, sizeof(v->ifname), "%s", cp->ifname);
		if (x->lm) {
			err = linkmon_watch(x->lm, cp->ifname);
			if (err && err != -EEXIST)
				goto del_port;
		}
		err = uplink_port_try(x, v, cp);
		if (err) {
			if (x->lm)
				linkmon_unwatch(x->lm, cp->ifname);
			goto del_port;
		}
		return 0;
	}
	xdp_port_kind(x, p, true);
	err = spoof_apply(x, p, cp);
	if (err)
		goto del_port;
	snprintf(v->socket, sizeof(v->socket), "%s", cp->socket);
	v->mode = cp->mode;
	if (v->mode == CFG_VU_SERVER) {
		fd = xvsd_listen_unix(v->socket, x->cfg.socket_mode, x->cfg.socket_gid,
				      &v->created_socket);
		if (fd < 0) {
			err = fd;
			log_msg(LOG_LVL_ERR, p->name, "cannot listen on %s: %s%s", v->socket,
				strerror(-err),
				err == -EADDRINUSE ? " (another process serves it)" :
				err == -EEXIST	   ? " (a file that is not a socket is there)" :
						     "");
			goto del_port;
		}
		v->listen_fd = fd;
		err = ep_add(x, fd, EV(EV_LISTEN, p->id));
		if (err)
			goto close_listen;
		log_msg(LOG_LVL_INFO, p->name, "listening on %s", v->socket);
	} else {
		log_msg(LOG_LVL_INFO, p->name, "connecting to %s", v->socket);
		vport_try_connect(x, v);
	}
	return 0;

close_listen:
	close(v->listen_fd);
	unlink(v->socket);
del_port:
	dp_port_del(&x->dp, p);
	v->p = NULL;
	return err;
}

static void vport_close(struct xvsd *x, struct vport *v)
{
	struct dp_port *p = v->p;
	char name[DP_NAME_MAX];
	int flushed;
	uint16_t id;

	if (!p)
		return;
	uplink_port_close(x, v);
	if (p->type == DP_PORT_UPLINK && x->lm)
		linkmon_unwatch(x->lm, v->ifname);
	xdp_port_kind(x, p, false);
	zc_unsteer(v);
	dp_zc_unconfigure(&x->dp, p); /* the socket leaves the XSKMAP first */
	zcq_entry(x, p, false);
	if (p->dev.fd >= 0)
		ep_del(x, p->dev.fd);
	if (v->listen_fd >= 0) {
		ep_del(x, v->listen_fd);
		close(v->listen_fd);
		if (v->created_socket)
			unlink(v->socket);
	}
	id = p->id;
	memcpy(name, p->name, sizeof(name));
	ctl_capture_port_gone(x, p);
	dp_port_del(&x->dp, p); /* frees p */
	/* its connections go with it: a port that takes its id later starts
	 * with none */
	flushed = fwsync_port_gone(&x->fws, id);
	if (flushed > 0)
		log_info("port %s: %d tracked connections removed with it", name, flushed);
	v->p = NULL;
}

static void vport_accept(struct xvsd *x, struct vport *v)
{
	int fd = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (v->p->dev.fd >= 0) {
		log_msg(LOG_LVL_WARN, v->p->name, "refusing a second front-end connection");
		close(fd);
		return;
	}
	vport_connected(x, v, fd);
}

/* ---- protected addresses ---------------------------------------------------- */

/* An interface's MAC as 48 bits, or 0. */
static uint64_t if_mac(const char *ifname)
{
	struct ifreq ifr;
	uint64_t mac = 0;
	int fd, i;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		for (i = 0; i < 6; i++)
			mac = mac << 8 | (uint8_t)ifr.ifr_hwaddr.sa_data[i];
	close(fd);
	return mac;
}

/* No VM port may send from an uplink's own address (the host's, on that
 * segment) or from one the config protects (gateways): the XDP program
 * would send the host's traffic to that VM. Called when the config or an
 * uplink changes. */
static void update_protected(struct xvsd *x, const struct cfg *c)
{
	uint64_t macs[FDB_MAX_PROTECTED];
	uint32_t n = 0;
	int i, j;

	for (i = 0; i < c->n_protected && n < FDB_MAX_PROTECTED; i++) {
		uint64_t m = 0;

		for (j = 0; j < 6; j++)
			m = m << 8 | c->protected_macs[i][j];
		macs[n++] = m;
	}
	for (i = 0; i < DP_MAX_PORTS && n < FDB_MAX_PROTECTED; i++)
		if (x->vp[i].p && x->vp[i].p->type == DP_PORT_UPLINK && x->vp[i].ifname[0] &&
		    (macs[n] = if_mac(x->vp[i].ifname)))
			n++;
	fdb_set_protected(&x->dp.fdb, macs, n);
}

/* ---- statics ------------------------------------------------------------- */

static void apply_statics(struct xvsd *x, const struct cfg *c)
{
	int i;

	for (i = 0; i < c->n_static; i++) {
		const struct cfg_fdb_static *s = &c->statics[i];
		struct dp_port *p = dp_port_find(&x->dp, s->port);

		if (p && fdb_add_static(&x->dp.fdb, fdb_key(s->vlan, s->mac), p->id))
			log_warn("%s:%d: static FDB entry does not fit its bucket", c->file,
				 s->line);
	}
}

/* ---- events -------------------------------------------------------------- */

/* `ethtool -L` changes how many queues an interface uses without a link
 * notification: look once a second. */
static void check_uplink_queues(struct xvsd *x)
{
	int i, n;

	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct vport *v = &x->vp[i];

		if (!v->up)
			continue;
		n = uplink_slots(v->ifname);
		if (n > 0 && (uint32_t)n != v->up->n_rx_queues)
			uplink_port_reopen(x, v, "queue count changed");
	}
}

static void on_tick(struct xvsd *x)
{
	uint64_t t = now_ns(), exp;
	int i;

	if (read(x->timerfd, &exp, sizeof(exp)) < 0) {
		/* spurious */
	}
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct vport *v = &x->vp[i];

		if (v->p && v->mode == CFG_VU_CLIENT && v->p->dev.fd < 0 && t >= v->next_connect_ns)
			vport_try_connect(x, v);
	}
	ctl_expire(x, t);
	fdb_tick(&x->dp.fdb, (uint32_t)((t - x->started_ns) / 1000000000ull));
	xdpsync_learned(&x->sync, &x->dp, &x->maps);
	zc_steer(x);
	dp_zc_service(&x->dp); /* sockets waiting for their queue to be free */
	xdpsync_run(&x->sync, &x->dp, &x->maps, 0);
	fwsync_tick(&x->fws, t);
	if (++x->ticks % (1000 / TICK_MS) == 0)
		check_uplink_queues(x);
}

static void on_notify(struct xvsd *x)
{
	uint64_t v;
	int i;

	if (read(x->dp.notify_fd, &v, sizeof(v)) < 0) {
		/* spurious */
	}
	for (i = 0; i < DP_MAX_PORTS; i++)
		if (x->vp[i].p && vu_dev_check_broken(&x->vp[i].p->dev))
			vport_disconnected(x, &x->vp[i]);
	/* a worker learned a VM's address: tell the XDP program now */
	xdpsync_run(&x->sync, &x->dp, &x->maps, 0);
	/* a VM's rings are ready: its zero-copy socket can be built */
	dp_zc_service(&x->dp);
}

static void on_signal(struct xvsd *x)
{
	struct signalfd_siginfo si;

	while (read(x->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: shutting down", si.ssi_signo);
			x->stop = true;
			break;
		case SIGHUP:
			log_info("SIGHUP: reloading %s", x->cfg.file);
			sdnotify_reloading();
			xvsd_reload(x);
			sdnotify_send("READY=1");
			break;
		default:
			break;
		}
	}
}

int xvsd_run(struct xvsd *x)
{
	struct epoll_event ev[32];
	int n, i, r;

	while (!x->stop) {
		n = epoll_wait(x->epfd, ev, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (i = 0; i < n; i++) {
			uint32_t kind = (uint32_t)(ev[i].data.u64 >> 32);
			uint32_t idx = (uint32_t)ev[i].data.u64;
			struct vport *v = idx < DP_MAX_PORTS ? &x->vp[idx] : NULL;

			switch (kind) {
			case EV_SIGNAL:
				on_signal(x);
				break;
			case EV_TIMER:
				on_tick(x);
				break;
			case EV_NOTIFY:
				on_notify(x);
				break;
			case EV_CTL:
				ctl_accept(x);
				break;
			case EV_CTL_CLIENT:
				ctl_client_event(x, (int)idx, ev[i].events);
				break;
			case EV_METRICS:
				metrics_accept(x);
				break;
			case EV_LINK:
				linkmon_process(x->lm);
				break;
			case EV_LISTEN:
				if (v && v->p)
					vport_accept(x, v);
				break;
			case EV_CONN:
				if (!v || !v->p || v->p->dev.fd < 0)
					break;
				r = vu_dev_readable(&v->p->dev);
				if (r == -ECONNRESET)
					log_msg(LOG_LVL_INFO, v->p->name, "front-end disconnected");
				if (r)
					vport_disconnected(x, v);
				break;
			}
		}
	}
	return 0;
}

/* ---- reload -------------------------------------------------------------- */

static bool port_needs_reopen(const struct cfg_port *a, const struct cfg_port *b)
{
	if (a->type != b->type)
		return true;
	if (a->type == CFG_PORT_UPLINK) /* any change: sockets and XDP are redone */
		return strcmp(a->ifname, b->ifname) || a->all_queues != b->all_queues ||
		       a->n_queue_ids != b->n_queue_ids ||
		       memcmp(a->queue_ids, b->queue_ids, sizeof(a->queue_ids)) ||
		       a->xdp_mode != b->xdp_mode || a->busy_poll_budget != b->busy_poll_budget ||
		       a->busy_poll_us != b->busy_poll_us || a->host_flood != b->host_flood ||
		       a->host_unknown != b->host_unknown || a->ring_size != b->ring_size ||
		       a->frame_size != b->frame_size || a->mtu != b->mtu ||
		       a->multi_buffer != b->multi_buffer || a->zc_reserved != b->zc_reserved;
	return strcmp(a->socket, b->socket) || a->mode != b->mode || a->queues != b->queues;
}

int xvsd_reload(struct xvsd *x)
{
	struct cfg nc;
	char err[512];
	int i, r;

	r = cfg_load(x->cfg.file, &nc, err, sizeof(err));
	if (r) {
		log_err("reload failed, keeping the running configuration: %s", err);
		return r;
	}
	/* only a reload reads these (a port edit keeps the running text's) */
	if (strcmp(nc.name, x->cfg.name) || strcmp(nc.control_socket, x->cfg.control_socket) ||
	    nc.n_cpus != x->cfg.n_cpus || memcmp(nc.cpus, x->cfg.cpus, sizeof(nc.cpus)) ||
	    nc.poll != x->cfg.poll || nc.idle_us != x->cfg.idle_us ||
	    nc.max_nap_us != x->cfg.max_nap_us || nc.fdb_max != x->cfg.fdb_max ||
	    nc.control_socket_mode != x->cfg.control_socket_mode ||
	    nc.control_socket_gid != x->cfg.control_socket_gid ||
	    nc.metrics_on != x->cfg.metrics_on || nc.metrics_port != x->cfg.metrics_port ||
	    strcmp(nc.metrics_addr, x->cfg.metrics_addr))
		log_warn("reload: switch name, control socket (and its access), metrics, datapath "
			 "and fdb size take effect only after a restart");
	/* the file's level: a run-time `log level` lasts until here */
	log_set_level(nc.log_level);
	/* run-time changes are forgotten: the file is the configuration */
	for (i = 0; i < x->n_rt_static; i++)
		fdb_del(&x->dp.fdb, x->rt_static[i]);
	x->n_rt_static = 0;
	xvsd_apply(x, &nc);
	log_info("reload done: %d ports", x->cfg.n_ports);
	return 0;
}

void xvsd_apply(struct xvsd *x, struct cfg *ncp)
{
	struct cfg nc = *ncp;
	int i, r;

	x->dp.fdb.aging_s = nc.fdb_aging_s;

	/* ports gone or changed beyond repair */
	for (i = 0; i < DP_MAX_PORTS; i++) {
		struct vport *v = &x->vp[i];
		const struct cfg_port *np, *op;
		struct dp_port_opts o;

		if (!v->p)
			continue;
		np = cfg_find_port(&nc, v->p->name);
		op = cfg_find_port(&x->cfg, v->p->name);
		if (!np || !op || port_needs_reopen(op, np)) {
			log_msg(LOG_LVL_INFO, v->p->name, np ? "reconfigured: reopening" : "removed");
			vport_close(x, v);
			continue;
		}
		dp_port_opts_from_cfg(&o, np);
		dp_port_configure(&x->dp, v->p, &o);
		if (v->p->type == DP_PORT_VHOST)
			spoof_apply(x, v->p, np);
		if (np->vlan != v->p->vlan || np->mtu != v->p->mtu) {
			zc_unsteer(v); /* the rule names the old VLAN */
			v->p->vlan = np->vlan;
			v->p->mtu = np->mtu;
			xdp_port_kind(x, v->p, true);
			fdb_flush_port(&x->dp.fdb, v->p->id, true);
			log_msg(LOG_LVL_INFO, v->p->name, "now vlan %u, mtu %u", np->vlan, np->mtu);
		}
	}
	/* static entries are re-applied from scratch below */
	for (i = 0; i < x->cfg.n_static; i++)
		fdb_del(&x->dp.fdb, fdb_key(x->cfg.statics[i].vlan, x->cfg.statics[i].mac));
	/* new ports, with the new sockets' access */
	x->cfg.socket_mode = nc.socket_mode;
	x->cfg.socket_gid = nc.socket_gid;
	for (i = 0; i < nc.n_ports; i++)
		if (!dp_port_find(&x->dp, nc.ports[i].name) && vport_open(x, &nc.ports[i]) == 0)
			log_msg(LOG_LVL_INFO, nc.ports[i].name, "added");
	apply_statics(x, &nc);
	update_protected(x, &nc);
	zc_apply(x, &nc);
	dp_zc_service(&x->dp);
	/* the new rules in one flip; if they cannot be put in force, the old
	 * ones stay */
	r = fwsync_apply(&x->fws, &x->dp, &nc);
	if (r)
		log_err("reload: the firewall could not be updated (%s): the previous rules stay "
			"in force", strerror(-r));
	if (nc.fw.on && nc.fw.ct_max != x->cfg.fw.ct_max && x->fws.open)
		log_warn("reload: conntrack.max-entries takes effect only after a restart");

	/* keep the restart-only settings of the running config */
	snprintf(nc.name, sizeof(nc.name), "%s", x->cfg.name);
	snprintf(nc.control_socket, sizeof(nc.control_socket), "%s", x->cfg.control_socket);
	nc.n_cpus = x->cfg.n_cpus;
	memcpy(nc.cpus, x->cfg.cpus, sizeof(nc.cpus));
	nc.poll = x->cfg.poll;
	nc.idle_us = x->cfg.idle_us;
	nc.max_nap_us = x->cfg.max_nap_us;
	nc.fdb_max = x->cfg.fdb_max;
	nc.control_socket_mode = x->cfg.control_socket_mode;
	nc.control_socket_gid = x->cfg.control_socket_gid;
	nc.metrics_on = x->cfg.metrics_on;
	nc.metrics_port = x->cfg.metrics_port;
	memcpy(nc.metrics_addr, x->cfg.metrics_addr, sizeof(nc.metrics_addr));
	cfg_free(&x->cfg);
	x->cfg = nc;
}

/* ---- set-up -------------------------------------------------------------- */

int xvsd_init(struct xvsd *x, struct cfg *c)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct dp_opts o;
	sigset_t mask;
	int i, err;

	memset(x, 0, sizeof(*x));
	x->cfg = *c;
	x->epfd = x->sigfd = x->timerfd = x->ctl_fd = x->metrics_fd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		x->ctl[i].fd = -1;
	x->maps.fdb = x->maps.ports = x->maps.uplinks = x->maps.xsks = -1;
	x->maps.cfg = x->maps.stats = x->maps.zcq = x->maps.learn = -1;
	x->started_ns = now_ns();

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* blocked before any thread starts, so workers inherit the mask */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	x->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	x->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (x->epfd < 0 || x->sigfd < 0 || x->timerfd < 0 ||
	    timerfd_settime(x->timerfd, 0, &its, NULL)) {
		err = -errno;
		goto fail;
	}
	dp_opts_from_cfg(&o, &x->cfg);
	err = dp_init(&x->dp, &o);
	if (err)
		goto fail;
	/* a front-end that shrinks guest memory under us breaks its port
	 * only (vu_mem.h) */
	err = vu_mem_guard_install(x->dp.notify_fd);
	if (err) {
		log_err("cannot install the SIGBUS guard: %s", strerror(-err));
		goto fail_dp;
	}
	err = ep_add(x, x->sigfd, EV(EV_SIGNAL, 0));
	err = err ?: ep_add(x, x->timerfd, EV(EV_TIMER, 0));
	err = err ?: ep_add(x, x->dp.notify_fd, EV(EV_NOTIFY, 0));
	if (err)
		goto fail_dp;
	err = ctl_open(x);
	if (err)
		goto fail_dp;
	err = ep_add(x, x->ctl_fd, EV(EV_CTL, 0));
	if (err)
		goto fail_ctl;
	err = metrics_open(x);
	if (!err && x->metrics_fd >= 0)
		err = ep_add(x, x->metrics_fd, EV(EV_METRICS, 0));
	if (err)
		goto fail_ctl;
	err = linkmon_open(&x->lm, on_link_event, x);
	if (err || (err = ep_add(x, linkmon_fd(x->lm), EV(EV_LINK, 0)))) {
		log_err("cannot watch network interfaces: %s", strerror(-err));
		goto fail_ctl;
	}
	for (i = 0; i < x->cfg.n_ports; i++) {
		err = vport_open(x, &x->cfg.ports[i]);
		if (err)
			goto fail_ports;
	}
	apply_statics(x, &x->cfg);
	update_protected(x, &x->cfg);
	zc_apply(x, &x->cfg);
	err = fwsync_apply(&x->fws, &x->dp, &x->cfg);
	if (err) {
		log_err("firewall: cannot put the rules in force: %s", strerror(-err));
		goto fail_ports;
	}
	err = dp_start(&x->dp);
	if (err)
		goto fail_ports;
	log_info("switch %s: %d ports, %d workers, %s polling", x->cfg.name, x->cfg.n_ports,
		 x->dp.nworkers, x->cfg.poll == CFG_POLL_BUSY ? "busy" : "adaptive");
	return 0;

fail_ports:
	for (i = 0; i < DP_MAX_PORTS; i++)
		vport_close(x, &x->vp[i]);
	fwsync_close(&x->fws, &x->dp);
	xdpsync_free(&x->sync);
	xdpmaps__close(&x->maps);
fail_ctl:
	if (x->lm)
		linkmon_close(x->lm);
	x->lm = NULL;
	ctl_close(x);
fail_dp:
	dp_destroy(&x->dp);
fail:
	if (x->timerfd >= 0)
		close(x->timerfd);
	if (x->sigfd >= 0)
		close(x->sigfd);
	if (x->epfd >= 0)
		close(x->epfd);
	cfg_free(&x->cfg);
	return err;
}

void xvsd_fini(struct xvsd *x)
{
	int i;

	dp_stop(&x->dp);
	for (i = 0; i < DP_MAX_PORTS; i++)
		vport_close(x, &x->vp[i]);
	x->dp.xdp_fdb_fd = -1;
	fwsync_close(&x->fws, &x->dp);
	/* an adopted program stays attached: leave it no stale addresses */
	if (x->maps.fdb >= 0)
		xdpsync_clear(&x->sync, &x->maps);
	xdpsync_free(&x->sync);
	xdpmaps__close(&x->maps);
	linkmon_close(x->lm);
	ctl_close(x);
	dp_destroy(&x->dp);
	close(x->timerfd);
	close(x->sigfd);
	close(x->epfd);
	cfg_free(&x->cfg);
}
