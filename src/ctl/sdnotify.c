// SPDX-License-Identifier: GPL-2.0-only
#include "ctl/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

/* NOTIFY_SOCKET as an address: an absolute path, or '@' for the abstract
 * namespace (sun_path[0] = 0, the name not NUL-terminated). */
static int notify_addr(const char *env, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(env);

	if ((env[0] != '/' && env[0] != '@') || n < 2)
		return -EAFNOSUPPORT;
	if (n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, env, n);
	if (env[0] == '@') {
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

int sdnotify_send(const char *state)
{
	const struct timeval tmo = {
		.tv_sec = SDNOTIFY_TIMEOUT_MS / 1000,
		.tv_usec = (SDNOTIFY_TIMEOUT_MS % 1000) * 1000,
	};
	const char *env = getenv("NOTIFY_SOCKET");
	size_t n = strlen(state);
	struct sockaddr_un sa;
	socklen_t len;
	ssize_t sent;
	int fd, err;

	if (!env || !*env)
		return 0;
	err = notify_addr(env, &sa, &len);
	if (err)
		goto out_log;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto out_log;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo))) {
		err = -errno;
		goto close_fd;
	}
	sent = sendto(fd, state, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	if (sent < 0)
		err = -errno;
	else if ((size_t)sent != n)
		err = -EMSGSIZE;
close_fd:
	close(fd);
out_log:
	if (err)
		log_warn("cannot tell the service manager (NOTIFY_SOCKET=%s) \"%.*s\": %s", env,
			 (int)strcspn(state, "\n"), state, strerror(-err));
	return err;
}

int sdnotify_reloading(void)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)(clock_now_ns() / 1000));
	return sdnotify_send(msg);
}
