// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvsctl stats [PORT] [-w [SECONDS]] [-c N]: the daemon's traffic
 * counters; with -w, asked every SECONDS (default 1) and shown as rates
 * per second, per port and queue, until interrupted or N reports. -j
 * prints each report as one JSON object on a line of its own.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_out.h"
#include "xvsctl.h"

#define ST_MAX 1024 /* ports and queues in one answer */

enum { RXP, RXB, RXD, TXP, TXB, TXD, NCTR };
static const char *const ctr_keys[NCTR] = { "rx_packets", "rx_bytes", "rx_dropped",
					    "tx_packets", "tx_bytes", "tx_dropped" };

struct st_row {
	char port[64], queue[16]; /* queue "": the port's totals */
	uint64_t v[NCTR];
};

struct st_snap {
	struct st_row row[ST_MAX];
	int n;
	double t;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The text answer: "port NAME k=v ..." and "  queue ID k=v ..." lines. */
static void parse(char *text, struct st_snap *s)
{
	char *line, *save = NULL, *tok, *tsave;
	char port[64] = "";
	int k;

	s->n = 0;
	for (line = strtok_r(text, "\n", &save); line && s->n < ST_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		struct st_row *r = &s->row[s->n];
		bool queue = line[0] == ' ';

		tok = strtok_r(line, " ", &tsave);
		if (!tok || (strcmp(tok, "port") && strcmp(tok, "queue")))
			continue;
		tok = strtok_r(NULL, " ", &tsave);
		if (!tok)
			continue;
		memset(r, 0, sizeof(*r));
		if (queue) {
			snprintf(r->port, sizeof(r->port), "%s", port);
			snprintf(r->queue, sizeof(r->queue), "%s", tok);
		} else {
			snprintf(port, sizeof(port), "%s", tok);
			snprintf(r->port, sizeof(r->port), "%s", tok);
		}
		while ((tok = strtok_r(NULL, " ", &tsave))) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq = '\0';
			for (k = 0; k < NCTR; k++)
				if (!strcmp(tok, ctr_keys[k]))
					r->v[k] = strtoull(eq + 1, NULL, 10);
		}
		s->n++;
	}
}

static const struct st_row *find(const struct st_snap *s, const struct st_row *r)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->row[i].port, r->port) && !strcmp(s->row[i].queue, r->queue))
			return &s->row[i];
	return NULL;
}

/* Per second; 0 for a row that is new or whose counters went back (the
 * port was re-created). */
static double rate(const struct st_row *a, const struct st_row *b, int k, double dt)
{
	return a && b->v[k] >= a->v[k] && dt > 0 ? (double)(b->v[k] - a->v[k]) / dt : 0.0;
}

static void report(const struct xvsctl_opts *o, const struct st_snap *a, const struct st_snap *b)
{
	double dt = b->t - a->t;
	int i;

	if (o->json) {
		struct ctl_out out;
		char *txt;
		size_t len;

		co_init(&out, CO_JSON);
		co_rec(&out, 0, "interval", NULL);
		co_real(&out, "seconds", dt, 3);
		for (i = 0; i < b->n; i++) {
			const struct st_row *r = &b->row[i], *p = find(a, r);

			co_rec(&out, r->queue[0] ? 1 : 0, r->queue[0] ? "queue" : "port",
			       r->queue[0] ? r->queue : r->port);
			co_real(&out, "rx_pps", rate(p, r, RXP, dt), 1);
			co_real(&out, "rx_bps", 8 * rate(p, r, RXB, dt), 0);
			co_real(&out, "rx_dropped_ps", rate(p, r, RXD, dt), 1);
			co_real(&out, "tx_pps", rate(p, r, TXP, dt), 1);
			co_real(&out, "tx_bps", 8 * rate(p, r, TXB, dt), 0);
			co_real(&out, "tx_dropped_ps", rate(p, r, TXD, dt), 1);
		}
		txt = co_finish(&out, &len);
		if (txt)
			fwrite(txt, 1, len, stdout);
		free(txt);
		fflush(stdout);
		return;
	}
	if (isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	printf("every %.1f s\n%-24s %12s %12s %12s %12s %10s %10s\n", dt, "PORT[/QUEUE]", "RX pkt/s",
	       "RX Mbit/s", "TX pkt/s", "TX Mbit/s", "RX drop/s", "TX drop/s");
	for (i = 0; i < b->n; i++) {
		const struct st_row *r = &b->row[i], *p = find(a, r);
		char name[96];

		if (r->queue[0])
			snprintf(name, sizeof(name), "  %s/%s", r->port, r->queue);
		else
			snprintf(name, sizeof(name), "%s", r->port);
		printf("%-24s %12.0f %12.2f %12.0f %12.2f %10.0f %10.0f\n", name,
		       rate(p, r, RXP, dt), 8 * rate(p, r, RXB, dt) / 1e6, rate(p, r, TXP, dt),
		       8 * rate(p, r, TXB, dt) / 1e6, rate(p, r, RXD, dt), rate(p, r, TXD, dt));
	}
	fflush(stdout);
}

static int fetch(const struct xvsctl_opts *o, char *port, struct st_snap *s)
{
	struct xvsctl_opts text = *o;
	char *argv[2] = { "stats", port }, *a;
	size_t len;
	int r;

	text.json = false; /* rates are computed here, from the text */
	r = xvsctl_ask(&text, port ? 2 : 1, argv, &a, &len);
	if (r)
		return r;
	if (xvsctl_is_error(a)) {
		fprintf(stderr, "xvsctl: %s", len > 7 ? a + 7 : "(no reason given)\n");
		free(a);
		return 1;
	}
	s->t = now_s();
	parse(a, s);
	free(a);
	return 0;
}

int xvsctl_cmd_stats(const struct xvsctl_opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "watch", optional_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ 0 },
	};
	static struct st_snap snap[2];
	double every = 0;
	long count = -1;
	char *port = NULL, *end;
	int c, r, cur = 0;

	optind = 0; /* a fresh start (main parsed with "+"): options after PORT too */
	while ((c = getopt_long(argc, argv, "+w::c:", lopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			every = 1;
			if (!optarg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
				optarg = argv[optind++];
			if (optarg) {
				every = strtod(optarg, &end);
				if (*end || !(every >= 0.1 && every <= 3600)) { /* NaN too */
					fprintf(stderr, "xvsctl stats: -w SECONDS from 0.1 to 3600\n");
					return 2;
				}
			}
			break;
		case 'c':
			count = strtol(optarg, &end, 10);
			if (*end || count < 1) {
				fprintf(stderr, "xvsctl stats: -c N with N at least 1\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: xvsctl stats [PORT] [-w|--watch [SECONDS]] [-c N]\n");
			return 2;
		}
	}
	if (optind < argc)
		port = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "usage: xvsctl stats [PORT] [-w|--watch [SECONDS]] [-c N]\n");
		return 2;
	}
	if (!every) {
		char *args[2] = { "stats", port };

		if (count > 0) {
			fprintf(stderr, "xvsctl stats: -c goes with -w\n");
			return 2;
		}
		return xvsctl_cmd_daemon(o, port ? 2 : 1, args);
	}
	r = fetch(o, port, &snap[cur]);
	while (!r && count--) {
		struct timespec ts = { (time_t)every, (long)((every - (double)(time_t)every) * 1e9) };

		nanosleep(&ts, NULL);
		r = fetch(o, port, &snap[!cur]);
		if (r)
			break;
		report(o, &snap[cur], &snap[!cur]);
		cur = !cur;
	}
	return r;
}
