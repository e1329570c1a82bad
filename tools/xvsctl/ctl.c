// SPDX-License-Identifier: GPL-2.0-only
/* xvsctl show|fdb|workers|reload: ask the running xvsd over its control
 * socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xvsctl.h"

int xvsctl_cmd_daemon(const struct xvsctl_opts *o, int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[sizeof(sa.sun_path)], line[256], buf[4096], head[8];
	size_t off = 0;
	ssize_t n;
	int fd, i;

	if (o->ctl_path)
		snprintf(path, sizeof(path), "%s", o->ctl_path);
	else
		snprintf(path, sizeof(path), "/run/xvs/%s.ctl", o->switch_name);
	for (i = 0; i < argc; i++) {
		n = snprintf(line + off, sizeof(line) - off, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - off) {
			fprintf(stderr, "xvsctl: command too long\n");
			return 2;
		}
		off += (size_t)n;
	}
	line[off++] = '\n';

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "xvsctl: control socket path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "xvsctl: cannot reach xvsd at %s: %s (is it running? -s NAME or --ctl PATH)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (send(fd, line, off, MSG_NOSIGNAL) != (ssize_t)off) {
		fprintf(stderr, "xvsctl: sending to xvsd: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	/* an answer that begins with "error:" is a failed command: exit 1 */
	off = 0;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		for (i = 0; i < n && off < sizeof(head) - 1; i++)
			head[off++] = buf[i];
	}
	close(fd);
	head[off] = '\0';
	return strncmp(head, "error:", 6) ? 0 : 1;
}
