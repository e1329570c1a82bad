/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One answer of the control socket (or the metrics endpoint), written once
 * and rendered three ways, so that text, JSON and Prometheus never
 * disagree:
 *
 *   co_rec(o, 0, "port", "a");            text: port a rx_packets=5 mtu=1500
 *   co_count(o, "rx_packets", 5);               json: {"port":[{"name":"a",
 *   co_gauge(o, "mtu", 1500);                          "rx_packets":5,"mtu":1500}]}
 *                                         prom: xvs_port_rx_packets_total{port="a"} 5
 *                                               xvs_port_mtu{port="a"} 1500
 *
 * A record has a kind, an optional name and fields; records of depth 1 are
 * the sub-records of the last record of depth 0 (a port's queues). JSON:
 * the answer is one object; each kind is a key whose value is the array of
 * its records, a sub-record's kind a key of its parent; '-' in a kind or
 * key becomes '_'. Errors are {"error": "..."}; text "error: ...".
 * Prometheus: counters get _total, nanoseconds become seconds, names and
 * ancestors are labels; strings are left out (or, with co_label, become
 * labels of the record's samples).
 *
 * Out of memory: the answer is cut short, never overrun.
 */
#ifndef XVS_CTL_OUT_H
#define XVS_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum co_fmt { CO_TEXT, CO_JSON, CO_PROM };

#define CO_DEPTH 3
#define CO_LABELS 4

struct co_sample; /* Prometheus: collected, grouped by name at the end */

struct ctl_out {
	enum co_fmt fmt;
	char *buf;
	size_t len, cap;
	int depth; /* of the open record, -1: none */
	bool error; /* co_error was called */
	struct {
		char kind[32];
		char name[64];
		bool fields; /* JSON: a field was written (comma before the next) */
		bool arr_open; /* JSON: the array of this kind is open in the parent */
		bool obj_open; /* JSON: the record's object is open */
	} rec[CO_DEPTH];
	bool top_fields; /* JSON: the answer's object has a member */
	char labels[CO_DEPTH][CO_LABELS][2][64]; /* prom: extra labels per record */
	int nlabels[CO_DEPTH];
	struct co_sample *samples;
	size_t nsamples, samples_cap;
};

void co_init(struct ctl_out *o, enum co_fmt fmt);
/* Open a record of KIND at DEPTH (0 or 1), closing what was open at that
 * depth or deeper; NAME may be NULL. */
void co_rec(struct ctl_out *o, int depth, const char *kind, const char *name);
void co_count(struct ctl_out *o, const char *key, uint64_t v); /* only grows */
void co_gauge(struct ctl_out *o, const char *key, int64_t v);
/* A drop counter: text/json key DIR "drop_" REASON (DIR "", "rx_", "tx_"),
 * prom xvs_KIND_DIRdrops_total{reason="REASON"}. */
void co_drop(struct ctl_out *o, const char *dir, const char *reason, uint64_t v);
void co_ns(struct ctl_out *o, const char *key, uint64_t ns); /* a counter of time */
void co_real(struct ctl_out *o, const char *key, double v, int decimals); /* gauge */
void co_bool(struct ctl_out *o, const char *key, bool v); /* text 0/1 */
void co_hex(struct ctl_out *o, const char *key, uint64_t v); /* text/json "0x..", no prom */
void co_str(struct ctl_out *o, const char *key, const char *s); /* no prom */
/* A string that is also a label of the record's Prometheus samples. */
void co_label(struct ctl_out *o, const char *key, const char *s);
/* JSON: KIND as an empty array at the top (a list with no records, such
 * as an empty FDB, is [] rather than absent); nothing in text or prom.
 * Call it instead of any record of that kind. */
void co_empty(struct ctl_out *o, const char *kind);
/* Text only: a line as it is (a table for people). */
void co_text(struct ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The command failed: whatever was written is replaced by the error. */
void co_error(struct ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A command that changes something succeeded: text "ok", JSON {"ok":true}. */
void co_ok(struct ctl_out *o);
/* Close everything; returns the answer (malloc'd, NUL-terminated, the
 * caller frees) and its length, or NULL when out of memory. */
char *co_finish(struct ctl_out *o, size_t *len);
void co_free(struct ctl_out *o);

#endif
