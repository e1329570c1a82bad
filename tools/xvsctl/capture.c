// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvsctl capture PORT [--direction in|out|both] [-c N] [-s SNAP] -w FILE|-
 * The daemon streams pcap over the control connection (src/ctl/ctl_capture.c);
 * this writes it out record by record (a file cut short by Ctrl-C still
 * reads back whole) and says how many frames it got.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xvsctl.h"

static const char cap_usage[] =
	"usage: xvsctl capture PORT [--direction in|out|both] [-c N] [-s SNAPLEN] -w FILE|-\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int write_all(int fd, const void *b, size_t n)
{
	const char *p = b;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int xvsctl_cmd_capture(const struct xvsctl_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "write", required_argument, NULL, 'w' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: recv returns */
	const char *dir = "both", *count = NULL, *snap = NULL, *file = NULL;
	char *args[8], *buf = NULL;
	size_t have = 0, cap = 0, need;
	uint64_t frames = 0;
	bool header = false;
	int c, n = 0, out, r, fd;

	optind = 0; /* a fresh start (main parsed with "+"): options after PORT too */
	while ((c = getopt_long(argc, argv, "d:c:s:w:", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'c':
			count = optarg;
			break;
		case 's':
			snap = optarg;
			break;
		case 'w':
			file = optarg;
			break;
		default:
			fputs(cap_usage, stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || !file ||
	    (strcmp(dir, "in") && strcmp(dir, "out") && strcmp(dir, "both"))) {
		fputs(cap_usage, stderr);
		return 2;
	}
	if (o->json) {
		fprintf(stderr, "xvsctl capture: writes pcap, not JSON (-j)\n");
		return 2;
	}
	args[n++] = "capture";
	args[n++] = argv[optind];
	args[n++] = (char *)dir;
	if (count) {
		args[n++] = "count";
		args[n++] = (char *)count;
	}
	if (snap) {
		args[n++] = "snap";
		args[n++] = (char *)snap;
	}
	if (!strcmp(file, "-")) {
		out = STDOUT_FILENO;
	} else {
		out = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0) {
			fprintf(stderr, "xvsctl capture: %s: %s\n", file, strerror(errno));
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = xvsctl_open(o, n, args);
	if (fd < 0) {
		r = -fd;
		goto close_out;
	}
	r = 0;
	/* records as they come whole: the 24-byte header, then 16 + caplen each */
	while (!stop) {
		ssize_t got;

		if (cap - have < 65536) {
			char *nb = realloc(buf, cap ? 2 * cap : 262144);

			if (!nb) {
				fprintf(stderr, "xvsctl capture: out of memory\n");
				r = 1;
				break;
			}
			buf = nb;
			cap = cap ? 2 * cap : 262144;
		}
		got = recv(fd, buf + have, cap - have, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fprintf(stderr, "xvsctl capture: %s\n", strerror(errno));
			r = 1;
			break;
		}
		if (got == 0)
			break;
		have += (size_t)got;
		if (!header && have >= 6 && !memcmp(buf, "error:", 6)) {
			/* a refusal: the rest of the line says why */
			while (!memchr(buf, '\n', have) && have < cap &&
			       (got = recv(fd, buf + have, cap - have, 0)) > 0)
				have += (size_t)got;
			fprintf(stderr, "xvsctl: %.*s", have > 7 ? (int)(have - 7) : 0, buf + 7);
			r = 1;
			break;
		}
		for (;;) {
			uint32_t caplen;
			size_t off = header ? 0 : 24;

			if (!header) {
				if (have < 24)
					break;
				if (write_all(out, buf, 24)) {
					r = 1;
					goto done;
				}
				header = true;
				memmove(buf, buf + off, have - off);
				have -= off;
				continue;
			}
			if (have < 16)
				break;
			memcpy(&caplen, buf + 8, 4);
			need = 16 + (size_t)caplen;
			if (have < need)
				break;
			if (write_all(out, buf, need)) {
				fprintf(stderr, "xvsctl capture: writing: %s\n", strerror(errno));
				r = 1;
				goto done;
			}
			frames++;
			memmove(buf, buf + need, have - need);
			have -= need;
		}
	}
done:
	close(fd);
	if (!r)
		fprintf(stderr, "%llu frames captured\n", (unsigned long long)frames);
close_out:
	free(buf);
	if (out != STDOUT_FILENO)
		close(out);
	return r;
}
