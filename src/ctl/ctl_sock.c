// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket: xvsctl connects, sends one command line, reads the
 * answer until the daemon closes. Served on the control thread without
 * ever blocking it: each client is a slot in the daemon's epoll, read and
 * written as far as it goes, and cut off CTL_DEADLINE_MS after it
 * connected, sent or not. A client that trickles a byte at a time holds a
 * slot, not the thread.
 *
 * The same slots serve the metrics endpoint's HTTP requests (metrics.c)
 * and, for as long as they last, captures (ctl_capture.c).
 *
 * Who may do what: whoever can connect (the socket's mode and group, see
 * switch.control-socket-mode/-group) may read (show, stats, fdb show,
 * workers, firewall); commands that change the switch (changes()) and
 * captures are taken only from uid 0 or the daemon's own uid, as
 * SO_PEERCRED tells. What is answered: ctl_show.c and ctl_change.c, written
 * through ctl_out (text, or JSON after a leading "json").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "ctl/ctl_cmds.h"

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
	ctl_capture_free(x, c);
	epoll_ctl(x->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_client_close(struct xvsd *x, struct ctl_client *c)
{
	client_free(x, c);
}

void ctl_close(struct xvsd *x)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		client_free(x, &x->ctl[i]);
	metrics_close(x);
	if (x->ctl_fd < 0)
		return;
	close(x->ctl_fd);
	x->ctl_fd = -1;
	if (x->ctl_created)
		unlink(x->cfg.control_socket);
}

static bool may_change(const struct ctl_client *c)
{
	return c->uid == 0 || c->uid == (uint32_t)geteuid();
}

/* The next space-separated word of *p (NUL-terminated in place), or NULL. */
static char *word(char **p)
{
	char *w = *p + strspn(*p, " \t"), *e;

	if (!*w) {
		*p = w; /* trailing blanks are no argument */
		return NULL;
	}
	e = w + strcspn(w, " \t");
	*p = *e ? e + 1 : e;
	*e = '\0';
	return w;
}

#define CTL_HELP "show [PORT], stats [PORT], workers, firewall [PORT], fdb [show [PORT]|add|del|flush], " \
		 "port add|del, log level LEVEL, capture PORT, reload"

static bool changes(const char *cmd, const char *sub)
{
	/* capture shows other guests' traffic: as privileged as a change */
	if (!strcmp(cmd, "reload") || !strcmp(cmd, "port") || !strcmp(cmd, "log") ||
	    !strcmp(cmd, "capture"))
		return true;
	return !strcmp(cmd, "fdb") && sub && strcmp(sub, "show");
}

static void run_command(struct xvsd *x, struct ctl_client *c, struct ctl_out *o)
{
	char *rest = c->line, *cmd, *sub, *argv[6] = { 0 };
	int argc = 0;

	rest[strcspn(rest, "\r\n")] = '\0';
	cmd = word(&rest);
	if (cmd && !strcmp(cmd, "json")) { /* xvsctl -j */
		co_init(o, CO_JSON);
		cmd = word(&rest);
	} else {
		co_init(o, CO_TEXT);
	}
	x->ctl_st.commands++;
	if (!cmd) {
		co_error(o, "no command (" CTL_HELP ")");
		return;
	}
	/* port add NAME YAML: the YAML is the rest of the line, spaces and all */
	sub = strcmp(cmd, "port") ? NULL : word(&rest);
	if (!sub)
		while (argc < (int)(sizeof(argv) / sizeof(argv[0])) && (argv[argc] = word(&rest)))
			argc++;
	if (changes(cmd, sub ? sub : argc ? argv[0] : NULL) && !may_change(c)) {
		x->ctl_st.denied++;
		log_warn("control: '%s' from uid %u refused", cmd, c->uid);
		co_error(o, "permission denied: %s needs uid 0 or the daemon's uid %u", cmd,
			 (unsigned)geteuid());
		return;
	}
	if (*rest && !sub) {
		co_error(o, "too many arguments for %s", cmd);
		return;
	}

	if (!strcmp(cmd, "show") && argc <= 1) {
		ctl_show(x, o, argc ? argv[0] : NULL);
	} else if (!strcmp(cmd, "stats") && argc <= 1) {
		ctl_stats(x, o, argc ? argv[0] : NULL);
	} else if (!strcmp(cmd, "workers") && !argc) {
		ctl_workers(x, o);
	} else if (!strcmp(cmd, "firewall") && argc <= 1) {
		ctl_firewall(x, o, argc ? argv[0] : NULL);
	} else if (!strcmp(cmd, "fdb") && (!argc || !strcmp(argv[0], "show"))) {
		if (argc > 2)
			co_error(o, "usage: fdb show [PORT]");
		else
			ctl_fdb_show(x, o, argc == 2 ? argv[1] : NULL);
	} else if (!strcmp(cmd, "fdb")) {
		ctl_fdb_change(x, o, argc, argv);
	} else if (!strcmp(cmd, "port")) {
		char *name = word(&rest);

		rest += strspn(rest, " \t");
		ctl_port_change(x, o, sub ? sub : "", name, rest);
	} else if (!strcmp(cmd, "log") && argc == 2 && !strcmp(argv[0], "level")) {
		ctl_log_level(x, o, argv[1]);
	} else if (!strcmp(cmd, "log")) {
		co_error(o, "usage: log level error|warning|info|debug");
	} else if (!strcmp(cmd, "capture")) {
		if (o->fmt == CO_JSON)
			co_error(o, "capture writes pcap, not JSON");
		else
			ctl_capture_begin(x, c, o, argc, argv);
	} else if (!strcmp(cmd, "reload") && !argc) {
		if (xvsd_reload(x))
			co_error(o, "reload failed, see the log");
		else
			co_ok(o);
	} else if (!strcmp(cmd, "show") || !strcmp(cmd, "stats") || !strcmp(cmd, "workers") ||
		   !strcmp(cmd, "firewall") || !strcmp(cmd, "reload")) {
		co_error(o, "too many arguments for %s", cmd);
	} else {
		co_error(o, "unknown command '%s' (" CTL_HELP ")", cmd);
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

/* Take the connections queued on a listening socket, each into a free
 * slot (xvsctl's: unix, with its peer's uid; metrics': http, at most half
 * the slots, so that scrapes cannot lock the operator out). */
void ctl_accept_from(struct xvsd *x, int lfd, bool http)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ucred cred = { .uid = (uint32_t)-1 };
	socklen_t len = sizeof(cred);
	struct ctl_client *c = NULL;
	int fd, i, n_http;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		for (i = 0, n_http = 0; i < CTL_MAX_CLIENTS; i++)
			n_http += x->ctl[i].fd >= 0 && x->ctl[i].http;
		for (i = 0, c = NULL; i < CTL_MAX_CLIENTS && !c; i++)
			if (x->ctl[i].fd < 0)
				c = &x->ctl[i];
		if (http && n_http >= CTL_MAX_CLIENTS / 2)
			c = NULL;
		if (!c || (!http && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))) {
			if (!c)
				x->ctl_st.refused_busy++;
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->http = http;
		c->uid = cred.uid;
		c->deadline_ns = clock_now_ns() + CTL_DEADLINE_MS * 1000000ull;
		ev.data.u64 = EV(EV_CTL_CLIENT, c - x->ctl);
		if (epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, &ev))
			client_free(x, c);
	}
}

void ctl_accept(struct xvsd *x)
{
	ctl_accept_from(x, x->ctl_fd, false);
}

/* Whether what came is a whole request: xvsctl's line, or HTTP's head. */
static bool complete(const struct ctl_client *c)
{
	if (c->got == sizeof(c->line) - 1)
		return true; /* full: take it as it is (a bad request, if http) */
	if (!c->http)
		return memchr(c->line, '\n', c->got) != NULL;
	return memmem(c->line, c->got, "\r\n\r\n", 4) || memmem(c->line, c->got, "\n\n", 2);
}

void ctl_client_event(struct xvsd *x, int slot, uint32_t events)
{
	struct ctl_client *c = slot >= 0 && slot < CTL_MAX_CLIENTS ? &x->ctl[slot] : NULL;
	struct epoll_event ev = { .events = EPOLLOUT };
	struct ctl_out o;
	size_t len;
	ssize_t n;

	if (!c || c->fd < 0)
		return;
	if (c->cap) { /* streaming: the client only reads; EOF or an error ends it */
		char b[64];

		if (events & (EPOLLERR | EPOLLHUP) ||
		    (events & EPOLLIN && recv(c->fd, b, sizeof(b), MSG_DONTWAIT) <= 0) ||
		    ctl_capture_pump(x, c))
			client_free(x, c);
		return;
	}
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
		c->line[c->got] = '\0';
		if (complete(c))
			break;
	}
	c->line[c->got] = '\0';
	if (c->http)
		metrics_answer(x, c->line, &o);
	else
		run_command(x, c, &o);
	if (c->cap) { /* a capture began: pcap follows, not an answer */
		co_free(&o);
		c->deadline_ns = UINT64_MAX;
		if (ctl_capture_pump(x, c))
			client_free(x, c);
		return;
	}
	c->out = co_finish(&o, &len);
	if (!c->out) {
		client_free(x, c);
		return;
	}
	c->out_len = len;
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
		if (x->ctl[i].fd >= 0 && x->ctl[i].cap) {
			if (ctl_capture_pump(x, &x->ctl[i]))
				client_free(x, &x->ctl[i]);
		} else if (x->ctl[i].fd >= 0 && now >= x->ctl[i].deadline_ns) {
			x->ctl_st.timed_out++;
			log_dbg("control client (uid %u) cut off after %d ms", x->ctl[i].uid,
				CTL_DEADLINE_MS);
			client_free(x, &x->ctl[i]);
		}
}
