// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the control answers (src/ctl/ctl_out.c): one answer written
 * once and rendered as text, JSON and Prometheus, each compared byte for
 * byte; JSON keys and string escaping, text quoting, records and
 * sub-records, errors that replace what was written, the Prometheus
 * families (sorted, one TYPE each, _total, seconds, drops, labels), empty
 * and very long answers; and random answers whose JSON must parse (a
 * checker here, and jq where installed) and whose exposition must be
 * well-formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/ctl_out.h"

/* The finished answer; its length must be strlen's. */
static char *finish(struct ctl_out *o)
{
	size_t len = (size_t)-1;
	char *b = co_finish(o, &len);

	assert_non_null(b);
	assert_int_equal(len, strlen(b));
	return b;
}

static void expect(struct ctl_out *o, const char *want)
{
	char *b = finish(o);

	if (strcmp(b, want))
		print_error("got:\n%s\nwant:\n%s\n", b, want);
	assert_string_equal(b, want);
	free(b);
}

/* ---- the same answer, three ways ---- */

static void answer(struct ctl_out *o)
{
	co_text(o, "switch xvs0, 2 ports\n");
	co_rec(o, 0, "switch", "xvs0");
	co_gauge(o, "ports", 2);
	co_gauge(o, "temp-delta", -3);
	co_ns(o, "busy_ns", 1500000000ull);
	co_real(o, "busy_pct", 12.25, 1);
	co_str(o, "poll", "adaptive");
	co_rec(o, 0, "port", "a");
	co_label(o, "type", "vhost-user");
	co_count(o, "rx_packets", 10);
	co_drop(o, "rx_", "no-buffer", 3);
	co_bool(o, "up", true);
	co_hex(o, "features", 0x140000000ull);
	co_rec(o, 1, "queue", "0");
	co_count(o, "rx_packets", 6);
	co_rec(o, 1, "queue", "1");
	co_count(o, "rx_packets", 4);
	co_rec(o, 0, "port", "b");
	co_label(o, "type", "uplink");
	co_count(o, "rx_packets", 20);
	co_drop(o, "rx_", "no-buffer", 0);
	co_bool(o, "up", false);
	co_hex(o, "features", 0);
	co_rec(o, 1, "queue", "0");
	co_count(o, "rx_packets", 11);
	co_rec(o, 1, "queue", "1");
	co_count(o, "rx_packets", 9);
	co_rec(o, 1, "zero-copy", NULL);
	co_str(o, "uplink", "b");
	co_gauge(o, "queue", 6);
	co_str(o, "why", "waiting for \"vm1\" memory=guest");
	co_count(o, "to-vm-zc", 5);
}

static void answer_text(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_TEXT);
	answer(&o);
	expect(&o, "switch xvs0, 2 ports\n"
		   "switch xvs0 ports=2 temp-delta=-3 busy_ns=1500000000 busy_pct=12.2 poll=adaptive\n"
		   "port a type=vhost-user rx_packets=10 rx_drop_no-buffer=3 up=1 features=0x140000000\n"
		   "  queue 0 rx_packets=6\n"
		   "  queue 1 rx_packets=4\n"
		   "port b type=uplink rx_packets=20 rx_drop_no-buffer=0 up=0 features=0x0\n"
		   "  queue 0 rx_packets=11\n"
		   "  queue 1 rx_packets=9\n"
		   "  zero-copy uplink=b queue=6 why=\"waiting for 'vm1' memory=guest\" to-vm-zc=5\n");
}

static void answer_json(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	answer(&o);
	expect(&o, "{\"switch\":[{\"name\":\"xvs0\",\"ports\":2,\"temp_delta\":-3,"
		   "\"busy_ns\":1500000000,\"busy_pct\":12.2,\"poll\":\"adaptive\"}],"
		   "\"port\":[{\"name\":\"a\",\"type\":\"vhost-user\",\"rx_packets\":10,"
		   "\"rx_drop_no_buffer\":3,\"up\":true,\"features\":\"0x140000000\","
		   "\"queue\":[{\"name\":\"0\",\"rx_packets\":6},{\"name\":\"1\",\"rx_packets\":4}]},"
		   "{\"name\":\"b\",\"type\":\"uplink\",\"rx_packets\":20,\"rx_drop_no_buffer\":0,"
		   "\"up\":false,\"features\":\"0x0\","
		   "\"queue\":[{\"name\":\"0\",\"rx_packets\":11},{\"name\":\"1\",\"rx_packets\":9}],"
		   "\"zero_copy\":[{\"uplink\":\"b\",\"queue\":6,"
		   "\"why\":\"waiting for \\\"vm1\\\" memory=guest\",\"to_vm_zc\":5}]}]}\n");
}

static void answer_prom(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_PROM);
	answer(&o);
	expect(&o, "# TYPE xvs_port_rx_drops_total counter\n"
		   "xvs_port_rx_drops_total{port=\"a\",type=\"vhost-user\",reason=\"no-buffer\"} 3\n"
		   "xvs_port_rx_drops_total{port=\"b\",type=\"uplink\",reason=\"no-buffer\"} 0\n"
		   "# TYPE xvs_port_rx_packets_total counter\n"
		   "xvs_port_rx_packets_total{port=\"a\",type=\"vhost-user\"} 10\n"
		   "xvs_port_rx_packets_total{port=\"b\",type=\"uplink\"} 20\n"
		   "# TYPE xvs_port_up gauge\n"
		   "xvs_port_up{port=\"a\",type=\"vhost-user\"} 1\n"
		   "xvs_port_up{port=\"b\",type=\"uplink\"} 0\n"
		   "# TYPE xvs_queue_rx_packets_total counter\n"
		   "xvs_queue_rx_packets_total{port=\"a\",type=\"vhost-user\",queue=\"0\"} 6\n"
		   "xvs_queue_rx_packets_total{port=\"a\",type=\"vhost-user\",queue=\"1\"} 4\n"
		   "xvs_queue_rx_packets_total{port=\"b\",type=\"uplink\",queue=\"0\"} 11\n"
		   "xvs_queue_rx_packets_total{port=\"b\",type=\"uplink\",queue=\"1\"} 9\n"
		   "# TYPE xvs_switch_busy_pct gauge\n"
		   "xvs_switch_busy_pct{switch=\"xvs0\"} 12.2\n"
		   "# TYPE xvs_switch_busy_seconds_total counter\n"
		   "xvs_switch_busy_seconds_total{switch=\"xvs0\"} 1.500000000\n"
		   "# TYPE xvs_switch_ports gauge\n"
		   "xvs_switch_ports{switch=\"xvs0\"} 2\n"
		   "# TYPE xvs_switch_temp_delta gauge\n"
		   "xvs_switch_temp_delta{switch=\"xvs0\"} -3\n"
		   "# TYPE xvs_zero_copy_queue gauge\n"
		   "xvs_zero_copy_queue{port=\"b\",type=\"uplink\"} 6\n"
		   "# TYPE xvs_zero_copy_to_vm_zc_total counter\n"
		   "xvs_zero_copy_to_vm_zc_total{port=\"b\",type=\"uplink\"} 5\n");
}

/* ---- JSON ---- */

static void json_keys(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	co_rec(&o, 0, "anti-spoofing", "on");
	co_count(&o, "learn-limit-hits", 1);
	co_drop(&o, "tx_", "too-big", 2);
	co_ns(&o, "busy-ns", 3);
	co_label(&o, "set-name", "web-in");
	co_bool(&o, "a-b-c", false);
	expect(&o, "{\"anti_spoofing\":[{\"name\":\"on\",\"learn_limit_hits\":1,"
		   "\"tx_drop_too_big\":2,\"busy_ns\":3,\"set_name\":\"web-in\",\"a_b_c\":false}]}\n");
}

static void json_escaping(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	co_rec(&o, 0, "port", "q\"uo\\te");
	co_str(&o, "s", "a\"b\\c/d");
	co_str(&o, "ctl", "\n\t\r\b\f\x01\x1f\x7f end");
	co_str(&o, "empty", "");
	co_str(&o, "null", NULL);
	co_str(&o, "utf8", "gr\xc3\xbc\xc3\x9f");
	expect(&o, "{\"port\":[{\"name\":\"q\\\"uo\\\\te\",\"s\":\"a\\\"b\\\\c/d\","
		   "\"ctl\":\"\\u000a\\u0009\\u000d\\u0008\\u000c\\u0001\\u001f\x7f end\","
		   "\"empty\":\"\",\"null\":\"-\",\"utf8\":\"gr\xc3\xbc\xc3\x9f\"}]}\n");
}

/* Records of one kind share an array; another kind opens a key of its own;
 * sub-records follow their parent's fields, and the next parent closes them. */
static void json_structure(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	co_rec(&o, 0, "port", "a");
	co_count(&o, "x", 1);
	co_rec(&o, 1, "queue", "0");
	co_count(&o, "y", 2);
	co_rec(&o, 1, "queue", "1");
	co_rec(&o, 1, "zero-copy", NULL);
	co_rec(&o, 0, "port", NULL); /* no name, no fields: {} */
	co_rec(&o, 1, "queue", NULL); /* first member of an empty parent */
	co_rec(&o, 0, "port", "c");
	co_rec(&o, 0, "worker", "0");
	co_gauge(&o, "cpu", -1);
	co_rec(&o, 0, "worker", "1");
	expect(&o, "{\"port\":[{\"name\":\"a\",\"x\":1,\"queue\":[{\"name\":\"0\",\"y\":2},"
		   "{\"name\":\"1\"}],\"zero_copy\":[{}]},{\"queue\":[{}]},{\"name\":\"c\"}],"
		   "\"worker\":[{\"name\":\"0\",\"cpu\":-1},{\"name\":\"1\"}]}\n");
}

/* What is out of place is dropped: fields before any record, a sub-record
 * without a parent, depths out of range. */
static void out_of_place(void **state)
{
	static const enum co_fmt fmts[] = { CO_TEXT, CO_JSON, CO_PROM };
	static const char *const want[] = {
		"port a x=1\n",
		"{\"port\":[{\"name\":\"a\",\"x\":1}]}\n",
		"# TYPE xvs_port_x_total counter\nxvs_port_x_total{port=\"a\"} 1\n",
	};
	struct ctl_out o;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		co_init(&o, fmts[i]);
		co_count(&o, "early", 1);
		co_label(&o, "early", "x");
		co_rec(&o, 1, "queue", "0");
		co_count(&o, "orphan", 1);
		co_rec(&o, -1, "bad", NULL);
		co_rec(&o, CO_DEPTH, "bad", NULL);
		co_rec(&o, 0, "port", "a");
		co_rec(&o, 2, "deep", NULL); /* depth 1 is not open */
		co_count(&o, "x", 1);
		expect(&o, want[i]);
	}
}

/* A list with no records is [] in JSON (scripts iterate it), nothing in
 * text or Prometheus. */
static void empty_list(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	co_empty(&o, "entry");
	co_rec(&o, 0, "fdb", NULL);
	co_gauge(&o, "entries", 0);
	expect(&o, "{\"entry\":[],\"fdb\":[{\"entries\":0}]}\n");

	co_init(&o, CO_JSON);
	co_rec(&o, 0, "port", "a");
	co_empty(&o, "queue-set"); /* closes the record: a top-level key */
	expect(&o, "{\"port\":[{\"name\":\"a\"}],\"queue_set\":[]}\n");

	co_init(&o, CO_TEXT);
	co_empty(&o, "entry");
	expect(&o, "");
	co_init(&o, CO_PROM);
	co_empty(&o, "entry");
	expect(&o, "");
}

static void json_ok(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	co_ok(&o);
	expect(&o, "{\"ok\":true}\n");

	co_init(&o, CO_JSON);
	co_rec(&o, 0, "port", "a");
	co_rec(&o, 1, "queue", "0");
	co_count(&o, "x", 1);
	co_ok(&o);
	co_count(&o, "late", 1); /* no record open after ok */
	expect(&o, "{\"port\":[{\"name\":\"a\",\"queue\":[{\"name\":\"0\",\"x\":1}]}],\"ok\":true}\n");

	co_init(&o, CO_TEXT);
	co_rec(&o, 0, "port", "a");
	co_ok(&o);
	expect(&o, "port a\nok\n");

	co_init(&o, CO_PROM);
	co_ok(&o);
	expect(&o, "");
}

/* ---- text ---- */

static void text_quoting(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_TEXT);
	co_rec(&o, 0, "port", "a");
	co_str(&o, "plain", "vm1.sock");
	co_str(&o, "space", "a b");
	co_str(&o, "eq", "k=v");
	co_str(&o, "quote", "say \"hi\"");
	co_str(&o, "tab", "a\tb");
	co_str(&o, "nl", "line1\nline2");
	co_str(&o, "empty", "");
	co_str(&o, "null", NULL);
	co_label(&o, "lab", "x y");
	co_hex(&o, "hex", 0xff);
	co_real(&o, "r", 0.5, 3);
	expect(&o, "port a plain=vm1.sock space=\"a b\" eq=\"k=v\" quote=\"say 'hi'\" "
		   "tab=\"a\tb\" nl=\"line1 line2\" empty=\"\" null=- lab=\"x y\" hex=0xff r=0.500\n");
}

/* co_text is a line as it is, text only; records around it keep their lines. */
static void text_lines(void **state)
{
	static const enum co_fmt fmts[] = { CO_JSON, CO_PROM };
	struct ctl_out o;
	size_t i;

	(void)state;
	co_init(&o, CO_TEXT);
	co_text(&o, "%-4s %s\n", "vlan", "mac");
	co_rec(&o, 0, "entry", NULL);
	co_count(&o, "n", 1);
	co_text(&o, "# %d entries\n", 1);
	co_rec(&o, 0, "entry", NULL);
	expect(&o, "vlan mac\nentry n=1\n# 1 entries\nentry\n");

	for (i = 0; i < 2; i++) {
		co_init(&o, fmts[i]);
		co_text(&o, "header %d\n", 1);
		co_rec(&o, 0, "entry", NULL);
		co_gauge(&o, "n", 1);
		co_text(&o, "footer\n");
		expect(&o, i ? "# TYPE xvs_entry_n gauge\nxvs_entry_n 1\n" : "{\"entry\":[{\"n\":1}]}\n");
	}
}

/* ---- errors ---- */

static void partial(struct ctl_out *o)
{
	co_text(o, "header\n");
	co_rec(o, 0, "port", "a");
	co_count(o, "x", 1);
	co_rec(o, 1, "queue", "0");
	co_str(o, "s", "t");
}

static void after_error(struct ctl_out *o)
{
	co_rec(o, 0, "port", "b");
	co_count(o, "y", 2);
	co_gauge(o, "g", 2);
	co_ns(o, "t_ns", 2);
	co_drop(o, "", "r", 2);
	co_label(o, "l", "v");
	co_text(o, "late\n");
	co_ok(o);
	co_error(o, "second error");
}

static void errors(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_JSON);
	partial(&o);
	co_error(&o, "no port '%s' (\"%s\")", "zz", "q\\");
	after_error(&o);
	expect(&o, "{\"error\":\"no port 'zz' (\\\"q\\\\\\\")\"}\n");

	co_init(&o, CO_TEXT);
	partial(&o);
	co_error(&o, "no port '%s'", "zz");
	after_error(&o);
	expect(&o, "error: no port 'zz'\n");

	co_init(&o, CO_PROM);
	partial(&o);
	co_error(&o, "busy");
	after_error(&o);
	expect(&o, "error: busy\n");

	co_init(&o, CO_JSON);
	co_error(&o, "%s", "");
	expect(&o, "{\"error\":\"\"}\n");
}

/* ---- Prometheus ---- */

static void prom_families(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_PROM);
	co_rec(&o, 0, "worker", "1");
	co_ns(&o, "busy_ns", 2500000001ull);
	co_ns(&o, "idle", 1); /* no _ns: the name as it is */
	co_count(&o, "polls", 7);
	co_str(&o, "state", "running"); /* strings: not samples */
	co_hex(&o, "mask", 3); /* nor hex */
	co_rec(&o, 0, "worker", "0");
	co_count(&o, "polls", 5);
	co_ns(&o, "busy_ns", 0);
	co_rec(&o, 0, "fdb", NULL); /* no name: no label */
	co_gauge(&o, "entries", 12);
	co_drop(&o, "", "full", 4);
	co_real(&o, "fill", 0.125, 3);
	co_bool(&o, "on", true);
	expect(&o, "# TYPE xvs_fdb_drops_total counter\n"
		   "xvs_fdb_drops_total{reason=\"full\"} 4\n"
		   "# TYPE xvs_fdb_entries gauge\n"
		   "xvs_fdb_entries 12\n"
		   "# TYPE xvs_fdb_fill gauge\n"
		   "xvs_fdb_fill 0.125\n"
		   "# TYPE xvs_fdb_on gauge\n"
		   "xvs_fdb_on 1\n"
		   "# TYPE xvs_worker_busy_seconds_total counter\n"
		   "xvs_worker_busy_seconds_total{worker=\"1\"} 2.500000001\n"
		   "xvs_worker_busy_seconds_total{worker=\"0\"} 0.000000000\n"
		   "# TYPE xvs_worker_idle_seconds_total counter\n"
		   "xvs_worker_idle_seconds_total{worker=\"1\"} 0.000000001\n"
		   "# TYPE xvs_worker_polls_total counter\n"
		   "xvs_worker_polls_total{worker=\"1\"} 7\n"
		   "xvs_worker_polls_total{worker=\"0\"} 5\n");
}

/* co_label: on the record's later samples and its sub-records', not on
 * what came before it nor on the next record. */
static void prom_labels(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_PROM);
	co_rec(&o, 0, "port", "vm-1");
	co_gauge(&o, "before", 1);
	co_label(&o, "dir", "to-vm");
	co_gauge(&o, "after", 1);
	co_rec(&o, 1, "rule", NULL);
	co_label(&o, "set", "web-in");
	co_label(&o, "pos", "default");
	co_count(&o, "packets", 3);
	co_rec(&o, 1, "rule", "r2");
	co_count(&o, "packets", 4);
	co_rec(&o, 0, "port", "vm2");
	co_gauge(&o, "after", 2);
	co_rec(&o, 1, "rule", NULL);
	co_count(&o, "packets", 5);
	co_rec(&o, 1, "zero-copy", "z");
	co_gauge(&o, "queue", 6);
	expect(&o, "# TYPE xvs_port_after gauge\n"
		   "xvs_port_after{port=\"vm-1\",dir=\"to-vm\"} 1\n"
		   "xvs_port_after{port=\"vm2\"} 2\n"
		   "# TYPE xvs_port_before gauge\n"
		   "xvs_port_before{port=\"vm-1\"} 1\n"
		   "# TYPE xvs_rule_packets_total counter\n"
		   "xvs_rule_packets_total{port=\"vm-1\",dir=\"to-vm\",set=\"web-in\",pos=\"default\"} 3\n"
		   "xvs_rule_packets_total{port=\"vm-1\",dir=\"to-vm\",rule=\"r2\"} 4\n"
		   "xvs_rule_packets_total{port=\"vm2\"} 5\n"
		   "# TYPE xvs_zero_copy_queue gauge\n"
		   "xvs_zero_copy_queue{port=\"vm2\",zero_copy=\"z\"} 6\n");
}

static void prom_escaping(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_PROM);
	co_rec(&o, 0, "port", "a\"b\\c\nd");
	co_label(&o, "why", "say \"no\"\\\n\tend");
	co_drop(&o, "rx_", "x\"y", 1);
	expect(&o, "# TYPE xvs_port_rx_drops_total counter\n"
		   "xvs_port_rx_drops_total{port=\"a\\\"b\\\\c\\nd\",why=\"say \\\"no\\\"\\\\\\n\tend\","
		   "reason=\"x\\\"y\"} 1\n");
}

/* ---- sizes ---- */

static void empty(void **state)
{
	struct ctl_out o;

	(void)state;
	co_init(&o, CO_TEXT);
	expect(&o, "");
	co_init(&o, CO_JSON);
	expect(&o, "{}\n");
	co_init(&o, CO_PROM);
	expect(&o, "");
	co_init(&o, CO_PROM); /* records, but no sample */
	co_rec(&o, 0, "port", "a");
	co_str(&o, "s", "t");
	expect(&o, "");
}

#define BIG (100 * 1024)

/* Past vputf's 256-byte buffer and past any doubling of the answer's. */
static void long_strings(void **state)
{
	char *s = malloc(BIG + 1), *b, *want;
	struct ctl_out o;
	size_t i, n;

	(void)state;
	assert_non_null(s);
	for (i = 0; i < BIG; i++)
		s[i] = (char)('a' + i % 26);
	s[BIG] = '\0';
	want = malloc(5 * BIG + 100);
	assert_non_null(want);

	co_init(&o, CO_TEXT); /* co_text and a record's name: formatted */
	co_text(&o, "%s|", s);
	co_text(&o, "%s\n", s);
	co_rec(&o, 0, "port", s);
	co_str(&o, "s", s);
	b = finish(&o);
	n = (size_t)sprintf(want, "%s|%s\nport %s s=%s\n", s, s, s, s);
	assert_int_equal(strlen(b), n);
	assert_string_equal(b, want);
	free(b);

	s[BIG / 2] = '"'; /* quoted: in JSON escaped, in text as ' */
	co_init(&o, CO_JSON);
	co_rec(&o, 0, "port", "a");
	co_str(&o, "s", s);
	b = finish(&o);
	n = (size_t)sprintf(want, "{\"port\":[{\"name\":\"a\",\"s\":\"%.*s\\\"%s\"}]}\n", BIG / 2, s,
			    s + BIG / 2 + 1);
	assert_int_equal(strlen(b), n);
	assert_string_equal(b, want);
	free(b);

	co_init(&o, CO_JSON); /* the error's message, formatted */
	co_rec(&o, 0, "port", "a");
	co_error(&o, "%s", s);
	b = finish(&o);
	n = (size_t)sprintf(want, "{\"error\":\"%.*s\\\"%s\"}\n", BIG / 2, s, s + BIG / 2 + 1);
	assert_string_equal(b, want);
	assert_int_equal(strlen(b), n);
	free(b);

	co_init(&o, CO_TEXT);
	co_error(&o, "%s", s);
	b = finish(&o);
	sprintf(want, "error: %s\n", s);
	assert_string_equal(b, want);
	free(b);

	co_init(&o, CO_PROM); /* a label value cut to the record's 64 bytes */
	co_rec(&o, 0, "port", s);
	co_gauge(&o, "g", 1);
	b = finish(&o);
	sprintf(want, "# TYPE xvs_port_g gauge\nxvs_port_g{port=\"%.63s\"} 1\n", s);
	assert_string_equal(b, want);
	free(b);

	free(want);
	free(s);
}

/* Abandoned answers: everything they hold is freed (ASan: make SAN=1). */
static void abandoned(void **state)
{
	static const enum co_fmt fmts[] = { CO_TEXT, CO_JSON, CO_PROM };
	struct ctl_out o;
	size_t len, i;
	int k;

	(void)state;
	for (i = 0; i < 3; i++) {
		co_init(&o, fmts[i]);
		co_free(&o);

		co_init(&o, fmts[i]);
		for (k = 0; k < 500; k++) { /* past the first sample array */
			co_rec(&o, k % 2, k % 2 ? "queue" : "port", "a");
			co_count(&o, "x", (uint64_t)k);
			co_label(&o, "l", "v");
		}
		co_free(&o);

		co_init(&o, fmts[i]);
		partial(&o);
		co_error(&o, "e");
		co_free(&o);

		co_init(&o, fmts[i]); /* co_free after co_finish: nothing twice */
		partial(&o);
		free(co_finish(&o, &len));
		co_free(&o);
	}
}

/* ---- random answers ---- */

static uint64_t rnd_state;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rnd_state >> 33) % n;
}

/* A string of any ASCII byte but NUL, control characters, quotes and
 * backslashes often. */
static void rnd_str(char *s, size_t size)
{
	static const char some[] = "\"\\\n\t\x01\x1f =a-Z0{}[],:";
	size_t i, n = rnd((uint32_t)size);

	for (i = 0; i < n; i++)
		s[i] = rnd(2) ? some[rnd(sizeof(some) - 1)] : (char)(1 + rnd(127));
	s[n] = '\0';
}

static void rnd_answer(struct ctl_out *o, int ops)
{
	/* depth 0 kinds, depth 1 kinds, depth 2: distinct, so that no label repeats */
	static const char *const kinds[3][3] = { { "port", "switch", "fw-set" },
						 { "queue", "zero-copy", "rule" },
						 { "deep", "deeper", "x-y" } };
	static const char *const keys[] = { "rx", "tx-bytes", "a-b", "busy_ns", "c" };
	static const char *const labels[] = { "type", "dir", "pos" };
	char s[40], name[24];
	int i, d;

	for (i = 0; i < ops; i++) {
		const char *key = keys[rnd(5)];

		rnd_str(s, sizeof(s));
		switch (rnd(16)) {
		case 0:
		case 1:
			d = (int)rnd(4) - 1 + (rnd(2) ? 0 : -1);
			rnd_str(name, sizeof(name));
			co_rec(o, d, d >= 0 && d < 3 ? kinds[d][rnd(3)] : "bad",
			       rnd(4) ? name : NULL);
			break;
		case 2:
			co_count(o, key, rnd(1000000));
			break;
		case 3:
			co_gauge(o, key, (int64_t)rnd(2000) - 1000);
			break;
		case 4:
			co_ns(o, key, (uint64_t)rnd(1u << 31) * rnd(100));
			break;
		case 5:
			co_real(o, key, (double)rnd(100000) / 7.0 - 5000, (int)rnd(4));
			break;
		case 6:
			co_bool(o, key, rnd(2));
			break;
		case 7:
			co_hex(o, key, rnd(1u << 31));
			break;
		case 8:
		case 9:
			co_str(o, key, rnd(8) ? s : NULL);
			break;
		case 10:
			co_label(o, labels[rnd(3)], s);
			break;
		case 11:
			co_drop(o, rnd(2) ? "rx_" : "", rnd(2) ? "too-big" : "runt", rnd(100));
			break;
		case 12:
			co_text(o, "%s\n", s);
			break;
		case 13:
			if (!rnd(8))
				co_ok(o);
			break;
		case 14:
			if (!rnd(64))
				co_error(o, "failed: %s", s);
			break;
		default:
			co_count(o, "n", (uint64_t)i);
			break;
		}
	}
}

/* A tiny JSON checker (RFC 8259): *p past one value, or NULL. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	int i;

	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL; /* NUL (the end) included */
		if (c != '\\')
			continue;
		c = (unsigned char)*p++;
		if (c == 'u') {
			for (i = 0; i < 4; i++, p++)
				if (!strchr("0123456789abcdefABCDEF", *p) || !*p)
					return NULL;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return NULL;
		}
	}
}

static const char *json_number(const char *p)
{
	const char *d;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		d = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		d = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == d)
			return NULL;
	}
	return p;
}

static const char *json_items(const char *p, int depth, char close, bool members)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (members) {
			p = json_string(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = json_ws(p);
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_items(p, depth, '}', true);
	case '[':
		return json_items(p, depth, ']', false);
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

/* One object, then a newline, then nothing. */
static bool json_ok_answer(const char *b)
{
	const char *p = json_ws(b);

	return *p == '{' && (p = json_value(p, 0)) && !strcmp(p, "\n");
}

static void json_checker_checks(void **state)
{
	static const char *const good[] = { "{}\n", "{\"a\":[1,-2.5e3,true,false,null,\"\\u00e9\"]}\n",
					    "{\"a\":{\"b\":[]}}\n" };
	static const char *const bad[] = { "{\n", "{\"a\":1,}\n", "{\"a\":nan}\n", "{\"a\":01}\n",
					   "{\"a\":\"\t\"}\n", "{\"a\":\"\\x\"}\n", "{}{}\n",
					   "{\"a\" 1}\n", "[1]\n", "{\"a\":1.}\n" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(json_ok_answer(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_ok_answer(bad[i]))
			fail_msg("the checker took bad JSON: %s", bad[i]);
}

/* jq -e . on the file: 0 parsed, 1 when jq is missing (*have false). */
static int jq_check(const char *b, bool *have)
{
	char path[] = "/tmp/xvs-test-ctl-out.XXXXXX", cmd[128];
	size_t len = strlen(b);
	int fd = mkstemp(path), r;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "jq -e . < %s > /dev/null 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	r = pclose(p);
	unlink(path);
	*have = true;
	return r;
}

/* Exposition lines: "# TYPE NAME counter|gauge" once per name, before its
 * samples, names ascending; NAME{K="V",...} VALUE with V escaped. */
static bool prom_ok_answer(const char *b)
{
	char family[160] = "";
	const char *p = b, *e, *q, *sp;
	size_t n;

	if (!strncmp(b, "error: ", 7)) /* the message as it is (random: newlines too) */
		return b[strlen(b) - 1] == '\n';
	while (*p) {
		e = strchr(p, '\n');
		if (!e)
			return false;
		if (!strncmp(p, "# TYPE ", 7)) {
			q = p + 7;
			sp = strchr(q, ' ');
			if (!sp || sp > e || (size_t)(sp - q) >= sizeof(family))
				return false;
			n = (size_t)(sp - q);
			if (strncmp(sp, " counter\n", 9) && strncmp(sp, " gauge\n", 7))
				return false;
			/* names ascending: each TYPE once */
			if (family[0] && (strncmp(q, family, n) < 0 ||
					  (!strncmp(q, family, n) && strlen(family) >= n)))
				return false;
			memcpy(family, q, n);
			family[n] = '\0';
			p = e + 1;
			continue;
		}
		/* a sample of the family last typed */
		q = p;
		while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		       (*q >= '0' && *q <= '9') || *q == '_')
			q++;
		n = (size_t)(q - p);
		if (!family[0] || n != strlen(family) || strncmp(p, family, n))
			return false;
		if (*q == '{') {
			do {
				q++;
				while ((*q >= 'a' && *q <= 'z') || *q == '_')
					q++;
				if (*q++ != '=' || *q++ != '"')
					return false;
				while (*q != '"') {
					if (*q == '\n' || !*q)
						return false;
					if (*q == '\\' && (!*++q || !strchr("\\\"n", *q)))
						return false;
					q++;
				}
				q++;
			} while (*q == ',');
			if (*q++ != '}')
				return false;
		}
		if (*q++ != ' ' || json_number(q) != e)
			return false;
		p = e + 1;
	}
	return true;
}

static void random_answers(void **state)
{
	bool have_jq = access("/usr/bin/jq", X_OK) == 0, ran = false;
	struct ctl_out o;
	char *b;
	int round;

	(void)state;
	if (!have_jq)
		print_message("skip (sub-check): no /usr/bin/jq, JSON checked here only\n");
	for (round = 0; round < 60; round++) {
		rnd_state = (uint64_t)round * 7919 + 1;
		co_init(&o, CO_JSON);
		rnd_answer(&o, 50 + round * 10);
		b = finish(&o);
		if (!json_ok_answer(b))
			fail_msg("round %d: not JSON:\n%s", round, b);
		if (have_jq && jq_check(b, &ran))
			fail_msg("round %d: jq refuses:\n%s", round, b);
		free(b);

		rnd_state = (uint64_t)round * 7919 + 1;
		co_init(&o, CO_PROM);
		rnd_answer(&o, 50 + round * 10);
		b = finish(&o);
		if (!prom_ok_answer(b))
			fail_msg("round %d: not an exposition:\n%s", round, b);
		free(b);

		rnd_state = (uint64_t)round * 7919 + 1;
		co_init(&o, CO_TEXT);
		rnd_answer(&o, 50 + round * 10);
		b = finish(&o);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(answer_text),
		cmocka_unit_test(answer_json),
		cmocka_unit_test(answer_prom),
		cmocka_unit_test(json_keys),
		cmocka_unit_test(json_escaping),
		cmocka_unit_test(json_structure),
		cmocka_unit_test(out_of_place),
		cmocka_unit_test(json_ok),
		cmocka_unit_test(empty_list),
		cmocka_unit_test(text_quoting),
		cmocka_unit_test(text_lines),
		cmocka_unit_test(errors),
		cmocka_unit_test(prom_families),
		cmocka_unit_test(prom_labels),
		cmocka_unit_test(prom_escaping),
		cmocka_unit_test(empty),
		cmocka_unit_test(long_strings),
		cmocka_unit_test(abandoned),
		cmocka_unit_test(json_checker_checks),
		cmocka_unit_test(random_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
