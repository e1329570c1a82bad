// SPDX-License-Identifier: GPL-2.0-only
/*
 * linkmon: interface state from rtnetlink.
 *
 * Two NETLINK_ROUTE sockets. req_fd sends RTM_GETLINK queries and receives
 * only their replies, so a synchronous query never has to set
 * notifications aside while it waits (the kernel answers while sendto()
 * runs: the wait does not really block). mon_fd is bound to RTMGRP_LINK.
 *
 * Notifications already queued when a name is queried are older than the
 * answer: applied afterwards, they would replay states the link has since
 * left (mtu 1500 after the query said 2000, then 2000 again). So each
 * query is followed by the same query on mon_fd, a marker: its reply is
 * queued behind everything sent before it. Until it arrives, notifications
 * for that name are ignored; the reply itself is applied like one.
 *
 * Security model: input comes from the kernel only (the sender's port id
 * is checked), but every length is still checked before it is used and
 * anything malformed is counted and skipped.
 */
#include "ctl/linkmon.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

#define LM_BUF_SIZE 32768 /* one datagram: a link message is a few KiB */
#define LM_RCVBUF (1 << 20) /* notifications queued before an overrun */
#define LM_QUERY_TIMEOUT_MS 1000
#define LM_WARN_INTERVAL_NS 1000000000ull

struct lm_watch {
	struct linkmon_link link; /* name stays the watched name when gone */
	uint32_t sync_seq; /* notifications ignored until this marker's reply */
	bool dead; /* unwatched during a callback: freed after it */
};

struct linkmon {
	int mon_fd; /* RTMGRP_LINK notifications, marker replies */
	int req_fd; /* RTM_GETLINK queries and replies */
	uint32_t mon_portid;
	uint32_t seq; /* of the last query */
	linkmon_cb cb;
	void *ctx;
	struct lm_watch **w;
	uint32_t n, cap;
	unsigned int depth; /* callbacks running */
	bool has_dead;
	struct linkmon_stats st;
	struct log_limit bad_limit, overrun_limit;
	/* Separate buffers: a callback may query (linkmon_watch) while a
	 * notification datagram is still being walked. */
	uint8_t mbuf[LM_BUF_SIZE] __attribute__((aligned(8)));
	uint8_t qbuf[LM_BUF_SIZE] __attribute__((aligned(8)));
};

/* A parsed RTM_NEWLINK/RTM_DELLINK: which optional attributes it had. */
struct lm_msg {
	struct linkmon_link link;
	bool has_mtu, has_rxq, has_txq;
};

static const char *const event_names[] = {
	[LINKMON_NEW] = "new",
	[LINKMON_CHANGED] = "changed",
	[LINKMON_GONE] = "gone",
};

static void bad_msg(struct linkmon *lm, const char *what)
{
	lm->st.malformed++;
	if (log_ratelimit(&lm->bad_limit, LM_WARN_INTERVAL_NS))
		log_warn("linkmon: skipped a netlink message: %s (%llu so far)", what,
			 (unsigned long long)lm->st.malformed);
}

static void set_absent(struct linkmon_link *l, const char *name)
{
	memset(l, 0, sizeof(*l));
	strcpy(l->name, name); /* a watched name: shorter than IF_NAMESIZE */
}

static bool same_state(const struct linkmon_link *a, const struct linkmon_link *b)
{
	return a->ifindex == b->ifindex && a->up == b->up && a->running == b->running &&
	       a->mtu == b->mtu && a->num_rx_queues == b->num_rx_queues &&
	       a->num_tx_queues == b->num_tx_queues;
}

static int get_u32(const struct rtattr *rta, size_t plen, uint32_t *v)
{
	if (plen < sizeof(*v))
		return -EBADMSG;
	memcpy(v, RTA_DATA(rta), sizeof(*v));
	return 0;
}

/*
 * Parse a link message. Returns 1 if it describes a link, 0 if it is one
 * to ignore (not AF_UNSPEC: the bridge sends its port notifications to the
 * same group, AF_BRIDGE, and its RTM_DELLINK only means "left the bridge"),
 * or -EBADMSG with *why set.
 */
static int parse_link(const struct nlmsghdr *nh, struct lm_msg *m, const char **why)
{
	const struct ifinfomsg *ifi;
	const struct rtattr *rta;
	bool has_name = false;
	size_t left;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi))) {
		*why = "link message shorter than its header";
		return -EBADMSG;
	}
	ifi = NLMSG_DATA(nh);
	if (ifi->ifi_family != AF_UNSPEC)
		return 0;
	if (ifi->ifi_index <= 0) {
		*why = "link message without an ifindex";
		return -EBADMSG;
	}
	memset(m, 0, sizeof(*m));
	m->link.ifindex = ifi->ifi_index;
	m->link.up = ifi->ifi_flags & IFF_UP;
	m->link.running = ifi->ifi_flags & IFF_RUNNING;

	left = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	rta = (const struct rtattr *)((const uint8_t *)ifi + NLMSG_ALIGN(sizeof(*ifi)));
	while (left >= sizeof(*rta)) {
		size_t len = rta->rta_len, plen, step;
		const char *nul;
		int err = 0;

		if (len < sizeof(*rta) || len > left) {
			*why = "attribute length out of bounds";
			return -EBADMSG;
		}
		plen = len - RTA_LENGTH(0);
		switch (rta->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME:
			nul = memchr(RTA_DATA(rta), '\0', plen < IF_NAMESIZE ? plen : IF_NAMESIZE);
			if (!nul || nul == (const char *)RTA_DATA(rta)) {
				*why = "bad IFLA_IFNAME";
				return -EBADMSG;
			}
			memcpy(m->link.name, RTA_DATA(rta), (size_t)(nul - (const char *)RTA_DATA(rta)));
			has_name = true;
			break;
		case IFLA_MTU:
			err = get_u32(rta, plen, &m->link.mtu);
			m->has_mtu = true;
			break;
		case IFLA_NUM_RX_QUEUES:
			err = get_u32(rta, plen, &m->link.num_rx_queues);
			m->has_rxq = true;
			break;
		case IFLA_NUM_TX_QUEUES:
			err = get_u32(rta, plen, &m->link.num_tx_queues);
			m->has_txq = true;
			break;
		}
		if (err) {
			*why = "short u32 attribute";
			return err;
		}
		step = RTA_ALIGN(len);
		if (step >= left)
			break;
		left -= step;
		rta = (const struct rtattr *)((const uint8_t *)rta + step);
	}
	if (!has_name) {
		*why = "link message without IFLA_IFNAME";
		return -EBADMSG;
	}
	return 1;
}

static void notify(struct linkmon *lm, struct lm_watch *w, enum linkmon_event ev,
		   const struct linkmon_link *before)
{
	/* copies: the callback may watch (realloc) or unwatch */
	struct linkmon_link now = w->link, old = *before;

	if (ev == LINKMON_GONE)
		log_dbg("linkmon: %s: gone (was ifindex %d)", now.name, old.ifindex);
	else
		log_dbg("linkmon: %s: %s: ifindex %d, %s, %s, mtu %u, queues rx %u tx %u",
			now.name, event_names[ev], now.ifindex, now.up ? "up" : "down",
			now.running ? "running" : "not running", now.mtu, now.num_rx_queues,
			now.num_tx_queues);
	lm->depth++;
	lm->cb(lm->ctx, ev, &now, &old);
	lm->depth--;
}

/* Move w to the state now (ifindex 0: absent) and report the difference. */
static void update(struct linkmon *lm, struct lm_watch *w, const struct linkmon_link *now)
{
	struct linkmon_link before = w->link;

	if (before.ifindex && now->ifindex != before.ifindex) {
		set_absent(&w->link, before.name);
		notify(lm, w, LINKMON_GONE, &before);
		if (w->dead)
			return;
		before = w->link;
	}
	if (!now->ifindex || same_state(now, &before))
		return;
	w->link = *now;
	strcpy(w->link.name, before.name);
	notify(lm, w, before.ifindex ? LINKMON_CHANGED : LINKMON_NEW, &before);
}

static void on_link(struct linkmon *lm, uint16_t type, const struct lm_msg *m)
{
	uint32_t i, n = lm->n; /* names watched by a callback are up to date */

	for (i = 0; i < n; i++) {
		struct lm_watch *w = lm->w[i];
		struct linkmon_link now;

		if (w->dead || w->sync_seq)
			continue;
		if (w->link.ifindex && w->link.ifindex == m->link.ifindex) {
			/* ours: deleted, renamed away, or a new state */
			if (type == RTM_DELLINK || strcmp(m->link.name, w->link.name)) {
				set_absent(&now, w->link.name);
			} else {
				now = m->link;
				if (!m->has_mtu)
					now.mtu = w->link.mtu;
				if (!m->has_rxq)
					now.num_rx_queues = w->link.num_rx_queues;
				if (!m->has_txq)
					now.num_tx_queues = w->link.num_tx_queues;
			}
		} else if (type == RTM_NEWLINK && !strcmp(m->link.name, w->link.name)) {
			/* appeared, renamed to, or re-created (a missed DELLINK) */
			now = m->link;
		} else {
			continue;
		}
		update(lm, w, &now);
	}
}

/*
 * One datagram: its length, 0 if it was skipped (not from the kernel), or
 * a negative errno: -EAGAIN when there is none, -ENOBUFS after an overrun,
 * -EMSGSIZE if it did not fit (and was lost).
 */
static ssize_t recv_kernel(struct linkmon *lm, int fd, uint8_t *buf, size_t size)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_name = &sa,
		.msg_namelen = sizeof(sa),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (msg.msg_namelen != sizeof(sa) || sa.nl_family != AF_NETLINK || sa.nl_pid) {
		bad_msg(lm, "not from the kernel");
		return 0;
	}
	return n;
}

/*
 * The state a reply to a query for name gives: 0 with *out set (ifindex 0
 * if there is no such link), or a negative errno (the kernel's answer, or
 * -EBADMSG).
 */
static int link_reply(struct linkmon *lm, const struct nlmsghdr *nh, const char *name,
		      struct linkmon_link *out)
{
	const struct nlmsgerr *e;
	const char *why;
	struct lm_msg m;
	int r;

	switch (nh->nlmsg_type) {
	case NLMSG_ERROR:
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
			bad_msg(lm, "short NLMSG_ERROR");
			return -EBADMSG;
		}
		e = NLMSG_DATA(nh);
		if (e->error == -ENODEV) {
			set_absent(out, name);
			return 0;
		}
		return e->error < 0 ? e->error : -EPROTO;
	case RTM_NEWLINK:
		r = parse_link(nh, &m, &why);
		if (r <= 0) {
			bad_msg(lm, r < 0 ? why : "reply of another family");
			return -EBADMSG;
		}
		/* The kernel also finds a link by an alternative name;
		 * notifications carry the primary one. */
		if (strcmp(m.link.name, name)) {
			log_dbg("linkmon: %s is an alternative name of %s: not tracked", name,
				m.link.name);
			set_absent(out, name);
		} else {
			*out = m.link;
		}
		return 0;
	default:
		bad_msg(lm, "unexpected reply type");
		return -EBADMSG;
	}
}

/* A reply on mon_fd: the marker of a watched name (see sync_mark()). */
static void on_marker(struct linkmon *lm, const struct nlmsghdr *nh)
{
	struct linkmon_link now;
	struct lm_watch *w = NULL;
	uint32_t i;
	int err;

	for (i = 0; i < lm->n && !w; i++)
		if (!lm->w[i]->dead && lm->w[i]->sync_seq == nh->nlmsg_seq)
			w = lm->w[i];
	if (!w)
		return; /* unwatched since, or superseded by a resync */
	w->sync_seq = 0;
	err = link_reply(lm, nh, w->link.name, &now);
	if (err) {
		log_dbg("linkmon: %s: query failed: %s", w->link.name, strerror(-err));
		return;
	}
	update(lm, w, &now);
}

static void on_datagram(struct linkmon *lm, const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	size_t left = len, step;
	const char *why;
	struct lm_msg m;
	int r;

	while (left >= sizeof(*nh)) {
		if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > left) {
			bad_msg(lm, "message length out of bounds");
			return;
		}
		/* A notification carries the port id of whoever asked for
		 * the change; only a reply to us carries ours. */
		if (nh->nlmsg_pid == lm->mon_portid && nh->nlmsg_seq) {
			on_marker(lm, nh);
			goto next;
		}
		switch (nh->nlmsg_type) {
		case RTM_NEWLINK:
		case RTM_DELLINK:
			r = parse_link(nh, &m, &why);
			if (r < 0)
				bad_msg(lm, why);
			else if (r > 0)
				on_link(lm, nh->nlmsg_type, &m);
			break;
		case NLMSG_NOOP:
			break;
		default:
			bad_msg(lm, "unexpected message type");
			break;
		}
next:
		step = NLMSG_ALIGN(nh->nlmsg_len);
		if (step >= left)
			return;
		left -= step;
		nh = (const struct nlmsghdr *)((const uint8_t *)nh + step);
	}
	if (left)
		bad_msg(lm, "trailing bytes after the last message");
}

/* Append an attribute to the message at msg (room checked by the caller). */
static void put_attr(uint8_t *msg, uint16_t type, const void *data, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)msg;
	struct rtattr *rta = (struct rtattr *)(msg + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static uint32_t next_seq(struct linkmon *lm)
{
	if (!++lm->seq) /* 0 is what notifications usually carry */
		lm->seq = 1;
	return lm->seq;
}

/* Ask the kernel, through fd, for the link called name. */
static int send_getlink(int fd, const char *name, uint32_t seq)
{
	union {
		struct nlmsghdr nh;
		uint8_t b[NLMSG_SPACE(sizeof(struct ifinfomsg)) + RTA_SPACE(IF_NAMESIZE) +
			  RTA_SPACE(sizeof(uint32_t))];
	} req;
	struct ifinfomsg *ifi = NLMSG_DATA(&req.nh);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t mask = RTEXT_FILTER_SKIP_STATS;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	ifi->ifi_family = AF_UNSPEC;
	put_attr(req.b, IFLA_IFNAME, name, strlen(name) + 1);
	put_attr(req.b, IFLA_EXT_MASK, &mask, sizeof(mask));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* The current state of name (ifindex 0 if there is no such link). */
static int query(struct linkmon *lm, const char *name, struct linkmon_link *out)
{
	struct pollfd pfd = { .fd = lm->req_fd, .events = POLLIN };
	uint32_t seq = next_seq(lm);
	const struct nlmsghdr *nh;
	size_t left, step;
	ssize_t n;
	int err;

	err = send_getlink(lm->req_fd, name, seq);
	if (err)
		return err;
	for (;;) {
		n = recv_kernel(lm, lm->req_fd, lm->qbuf, sizeof(lm->qbuf));
		if (n == -EAGAIN) {
			err = poll(&pfd, 1, LM_QUERY_TIMEOUT_MS);
			if (err < 0 && errno != EINTR)
				return -errno;
			if (!err)
				return -ETIMEDOUT;
			continue;
		}
		if (n == -EINTR || n == 0)
			continue;
		if (n < 0)
			return (int)n;
		nh = (const struct nlmsghdr *)lm->qbuf;
		left = (size_t)n;
		while (left >= sizeof(*nh)) {
			if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > left) {
				bad_msg(lm, "reply length out of bounds");
				break;
			}
			/* other sequence numbers: queries that timed out */
			if (nh->nlmsg_seq == seq)
				return link_reply(lm, nh, name, out);
			step = NLMSG_ALIGN(nh->nlmsg_len);
			if (step >= left)
				break;
			left -= step;
			nh = (const struct nlmsghdr *)((const uint8_t *)nh + step);
		}
	}
}

/*
 * Ignore notifications for w until the kernel answers the same query again
 * on mon_fd. That answer is queued behind every notification sent before
 * it, so those (older than what query() just saw) are not replayed, and it
 * reports whatever changed since query().
 */
static void sync_mark(struct linkmon *lm, struct lm_watch *w)
{
	uint32_t seq = next_seq(lm);
	int err = send_getlink(lm->mon_fd, w->link.name, seq);

	if (err)
		log_dbg("linkmon: %s: cannot send a marker query: %s", w->link.name,
			strerror(-err));
	w->sync_seq = err ? 0 : seq;
}

static struct lm_watch *find_watch(const struct linkmon *lm, const char *ifname)
{
	uint32_t i;

	for (i = 0; i < lm->n; i++)
		if (!lm->w[i]->dead && !strcmp(lm->w[i]->link.name, ifname))
			return lm->w[i];
	return NULL;
}

/* Free what was unwatched during callbacks, once none is running. */
static void collect(struct linkmon *lm)
{
	uint32_t i, j = 0;

	if (lm->depth || !lm->has_dead)
		return;
	for (i = 0; i < lm->n; i++) {
		if (lm->w[i]->dead)
			free(lm->w[i]);
		else
			lm->w[j++] = lm->w[i];
	}
	lm->n = j;
	lm->has_dead = false;
}

int linkmon_open(struct linkmon **out, linkmon_cb cb, void *ctx)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int rcvbuf = LM_RCVBUF;
	struct linkmon *lm;
	socklen_t alen;
	int err;

	if (!cb)
		return -EINVAL;
	lm = calloc(1, sizeof(*lm));
	if (!lm)
		return -ENOMEM;
	lm->cb = cb;
	lm->ctx = ctx;

	lm->mon_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (lm->mon_fd < 0) {
		err = -errno;
		goto err_free;
	}
	/* Best effort (FORCE needs CAP_NET_ADMIN): an overrun only costs a
	 * resync. */
	if (setsockopt(lm->mon_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(lm->mon_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(lm->mon_fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto err_close_mon;
	}
	alen = sizeof(sa);
	if (getsockname(lm->mon_fd, (struct sockaddr *)&sa, &alen)) {
		err = -errno;
		goto err_close_mon;
	}
	lm->mon_portid = sa.nl_pid;
	lm->req_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (lm->req_fd < 0) {
		err = -errno;
		goto err_close_mon;
	}
	*out = lm;
	return 0;

err_close_mon:
	close(lm->mon_fd);
err_free:
	free(lm);
	return err;
}

int linkmon_fd(const struct linkmon *lm)
{
	return lm->mon_fd;
}

int linkmon_watch(struct linkmon *lm, const char *ifname)
{
	size_t len = strnlen(ifname, IF_NAMESIZE);
	struct lm_watch *w;
	int err;

	if (!len || len >= IF_NAMESIZE)
		return -EINVAL;
	if (find_watch(lm, ifname))
		return -EEXIST;
	if (lm->n == lm->cap) {
		uint32_t cap = lm->cap ? 2 * lm->cap : 8;
		struct lm_watch **v = realloc(lm->w, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		lm->w = v;
		lm->cap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	err = query(lm, ifname, &w->link);
	if (err)
		goto err_free;
	strcpy(w->link.name, ifname);
	lm->w[lm->n++] = w;
	sync_mark(lm, w);
	log_dbg("linkmon: watching %s (ifindex %d)", ifname, w->link.ifindex);
	return 0;

err_free:
	free(w);
	return err;
}

int linkmon_unwatch(struct linkmon *lm, const char *ifname)
{
	struct lm_watch *w = find_watch(lm, ifname);

	if (!w)
		return -ENOENT;
	w->dead = true;
	lm->has_dead = true;
	collect(lm);
	return 0;
}

const struct linkmon_link *linkmon_get(const struct linkmon *lm, const char *ifname)
{
	struct lm_watch *w = find_watch(lm, ifname);

	return w ? &w->link : NULL;
}

int linkmon_resync(struct linkmon *lm)
{
	uint32_t i, n = lm->n;
	int err = 0;

	for (i = 0; i < n; i++) {
		struct lm_watch *w = lm->w[i];
		struct linkmon_link now;
		int r;

		if (w->dead)
			continue;
		r = query(lm, w->link.name, &now);
		if (r) {
			log_warn("linkmon: cannot query %s: %s", w->link.name, strerror(-r));
			if (!err)
				err = r;
		} else {
			update(lm, w, &now);
		}
		/* even if the query failed: a marker lost in an overrun
		 * would leave w deaf */
		if (!w->dead)
			sync_mark(lm, w);
	}
	collect(lm);
	return err;
}

int linkmon_process(struct linkmon *lm)
{
	bool lost = false;
	ssize_t n;

	if (lm->depth)
		return -EBUSY; /* mbuf is being walked */
	for (;;) {
		n = recv_kernel(lm, lm->mon_fd, lm->mbuf, sizeof(lm->mbuf));
		if (n == -EAGAIN)
			break;
		if (n == -EINTR)
			continue;
		if (n == -ENOBUFS || n == -EMSGSIZE) {
			/* What is still queued is older than the queries
			 * below will be: read it, but only to drop it. */
			lm->st.overruns++;
			if (log_ratelimit(&lm->overrun_limit, LM_WARN_INTERVAL_NS))
				log_info("linkmon: %s: querying watched links again",
					 n == -ENOBUFS ? "notifications lost" :
							 "notification too long");
			lost = true;
			continue;
		}
		if (n < 0) {
			collect(lm);
			return (int)n;
		}
		if (!lost)
			on_datagram(lm, lm->mbuf, (size_t)n);
	}
	collect(lm);
	return lost ? linkmon_resync(lm) : 0;
}

void linkmon_stats(const struct linkmon *lm, struct linkmon_stats *st)
{
	*st = lm->st;
}

void linkmon_close(struct linkmon *lm)
{
	uint32_t i;

	if (!lm)
		return;
	for (i = 0; i < lm->n; i++)
		free(lm->w[i]);
	free(lm->w);
	close(lm->req_fd);
	close(lm->mon_fd);
	free(lm);
}
