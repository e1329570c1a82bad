// SPDX-License-Identifier: GPL-2.0-only
/*
 * switch.metrics: a Prometheus endpoint. GET /metrics answers the same
 * counters as `xvsctl show` and `workers` (and the FDB's), in the text
 * exposition format (version 0.0.4), through ctl_out's third rendering:
 * xvs_port_rx_packets_total{port="a",type="vhost-user"} and so on. Served
 * by the control socket's machinery (ctl_sock.c): non-blocking, bounded
 * request, a deadline, at most half the slots; HTTP/1.0 or 1.1, one
 * request per connection. Read-only: it changes nothing, so it checks no
 * credentials; it listens on loopback unless configured otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "ctl/ctl_cmds.h"

int metrics_open(struct xvsd *x)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	const struct cfg *c = &x->cfg;
	struct sockaddr *sa;
	socklen_t len;
	int fd, one = 1, r;

	x->metrics_fd = -1;
	if (!c->metrics_on)
		return 0;
	if (inet_pton(AF_INET, c->metrics_addr, &s4.sin_addr) == 1) {
		s4.sin_port = htons(c->metrics_port);
		sa = (struct sockaddr *)&s4;
		len = sizeof(s4);
	} else if (inet_pton(AF_INET6, c->metrics_addr, &s6.sin6_addr) == 1) {
		s6.sin6_port = htons(c->metrics_port);
		sa = (struct sockaddr *)&s6;
		len = sizeof(s6);
	} else {
		log_err("metrics: %s is not an address", c->metrics_addr);
		return -EINVAL;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, sa, len) || listen(fd, 16)) {
		r = -errno;
		close(fd);
		goto fail;
	}
	x->metrics_fd = fd;
	log_info("metrics: http://%s%s%s:%u/metrics", strchr(c->metrics_addr, ':') ? "[" : "",
		 c->metrics_addr, strchr(c->metrics_addr, ':') ? "]" : "", c->metrics_port);
	return 0;
fail:
	log_err("metrics: cannot listen on %s port %u: %s", c->metrics_addr, c->metrics_port,
		strerror(-r));
	return r;
}

void metrics_accept(struct xvsd *x)
{
	if (x->metrics_fd >= 0)
		ctl_accept_from(x, x->metrics_fd, true);
}

void metrics_close(struct xvsd *x)
{
	if (x->metrics_fd >= 0)
		close(x->metrics_fd);
	x->metrics_fd = -1;
}

static void reply(struct ctl_out *o, const char *status, const char *type, const char *body,
		  size_t len)
{
	co_text(o, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		   "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
		status, type, len);
	co_text(o, "%.*s", (int)len, body);
}

void metrics_answer(struct xvsd *x, const char *req, struct ctl_out *o)
{
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	static const char bad[] = "bad request\n";
	struct ctl_out p;
	const char *path, *end;
	size_t plen, len;
	char *body;
	bool head;

	co_init(o, CO_TEXT);
	head = !strncmp(req, "HEAD ", 5);
	if (strncmp(req, "GET ", 4) && !head) {
		reply(o, strchr(req, '\n') ? "405 Method Not Allowed" : "400 Bad Request",
		      "text/plain", bad, sizeof(bad) - 1);
		return;
	}
	path = req + (head ? 5 : 4);
	end = strpbrk(path, " \r\n");
	if (!end || strncmp(end, " HTTP/1.", 8)) {
		reply(o, "400 Bad Request", "text/plain", bad, sizeof(bad) - 1);
		return;
	}
	plen = (size_t)(end - path);
	if (!((plen == 8 && !strncmp(path, "/metrics", 8)) ||
	      (plen > 8 && !strncmp(path, "/metrics?", 9)))) {
		reply(o, "404 Not Found", "text/plain", not_found, sizeof(not_found) - 1);
		return;
	}
	co_init(&p, CO_PROM);
	ctl_show(x, &p, NULL);
	ctl_workers(x, &p);
	ctl_fdb_stats(x, &p);
	body = co_finish(&p, &len);
	if (!body) {
		reply(o, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	reply(o, "200 OK", "text/plain; version=0.0.4; charset=utf-8", head ? "" : body,
	      head ? 0 : len);
	free(body);
}
