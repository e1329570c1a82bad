// SPDX-License-Identifier: GPL-2.0-only
/* xvsctl show|stats|fdb|port|log|workers|firewall|reload: ask the running
 * xvsd over its control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "xvsctl.h"

/* The daemon cuts a client off after 2 s; one that does not answer at all
 * (stopped, wedged) must not hang us. */
#define XVSCTL_TIMEOUT_S 5
#define XVSCTL_LINE_MAX 2048 /* CTL_LINE_MAX of the daemon */
#define XVSCTL_ANSWER_MAX (64u << 20)

bool xvsctl_is_error(const char *a)
{
	return !strncmp(a, "error:", 6) || !strncmp(a, "{\"error\"", 8);
}

int xvsctl_open(const struct xvsctl_opts *o, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[sizeof(sa.sun_path) + 1], line[XVSCTL_LINE_MAX];
	size_t off = 0;
	ssize_t n;
	int fd, i;

	if (o->ctl_path)
		snprintf(path, sizeof(path), "%s", o->ctl_path);
	else
		snprintf(path, sizeof(path), "/run/xvs/%s.ctl", o->switch_name);
	for (i = -1; i < argc; i++) {
		if (i < 0 && !o->json)
			continue;
		n = snprintf(line + off, sizeof(line) - off, "%s%s", off ? " " : "",
			     i < 0 ? "json" : argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - off - 1) {
			fprintf(stderr, "xvsctl: command too long (at most %zu bytes)\n",
				sizeof(line) - 2);
			return -2;
		}
		off += (size_t)n;
	}
	if (memchr(line, '\n', off)) {
		fprintf(stderr, "xvsctl: a newline in the arguments\n");
		return -2;
	}
	line[off++] = '\n';

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xvsctl: control socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		fprintf(stderr, "xvsctl: cannot reach xvsd at %s: %s%s\n", path, strerror(e),
			e == ENOENT || e == ECONNREFUSED ?
				" (is it running? -s NAME or --ctl PATH)" :
			e == EACCES ? " (control-socket-group and -mode say who may)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (send(fd, line, off, MSG_NOSIGNAL) != (ssize_t)off) {
		fprintf(stderr, "xvsctl: sending to xvsd: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int xvsctl_ask(const struct xvsctl_opts *o, int argc, char **argv, char **answer, size_t *len)
{
	struct timeval tv = { .tv_sec = XVSCTL_TIMEOUT_S };
	const char *path = o->ctl_path;
	char def[128];
	size_t off = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd;

	if (!path) {
		snprintf(def, sizeof(def), "/run/xvs/%s.ctl", o->switch_name);
		path = def;
	}
	fd = xvsctl_open(o, argc, argv);
	if (fd < 0)
		return -fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	off = 0;
	for (;;) {
		if (cap - off < 4096) {
			cap = cap ? 2 * cap : 65536;
			if (cap > XVSCTL_ANSWER_MAX || !(nb = realloc(buf, cap))) {
				fprintf(stderr, "xvsctl: the answer is too large\n");
				goto fail;
			}
			buf = nb;
		}
		n = recv(fd, buf + off, cap - off - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "xvsctl: xvsd at %s %s\n", path,
				errno == EAGAIN || errno == EWOULDBLOCK ?
					"did not answer within " "5 s" :
					strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (!off) {
		fprintf(stderr, "xvsctl: xvsd at %s closed without an answer\n", path);
		free(buf);
		return 1;
	}
	buf[off] = '\0';
	*answer = buf;
	*len = off;
	return 0;
fail:
	close(fd);
	free(buf);
	return 1;
}

int xvsctl_cmd_daemon(const struct xvsctl_opts *o, int argc, char **argv)
{
	char *a;
	size_t len;
	int r, i;

	/* `--vlan N` as in `xvsctl xdp fdb`: the daemon's word is `vlan N` */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--vlan"))
			argv[i] = "vlan";
	r = xvsctl_ask(o, argc, argv, &a, &len);
	if (r)
		return r;
	if (xvsctl_is_error(a)) {
		/* JSON for scripts on stdout; text on stderr, as "xvsctl: ..." */
		if (o->json)
			fwrite(a, 1, len, stdout);
		else
			fprintf(stderr, "xvsctl: %s", len > 7 ? a + 7 : "(no reason given)\n");
		free(a);
		return 1;
	}
	fwrite(a, 1, len, stdout);
	free(a);
	return 0;
}
