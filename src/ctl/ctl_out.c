// SPDX-License-Identifier: GPL-2.0-only
/* A control answer, written once, rendered as text, JSON or Prometheus
 * exposition (see ctl_out.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_out.h"

enum co_type { CO_T_COUNTER, CO_T_GAUGE };

struct co_sample {
	char *name; /* metric name */
	char *rest; /* {labels} value */
	enum co_type type;
	size_t seq;
};

static void put(struct ctl_out *o, const char *s, size_t n)
{
	size_t cap;
	char *nb;

	if (o->len + n + 1 > o->cap) {
		cap = (o->cap + n + 1) * 2;
		nb = realloc(o->buf, cap);
		if (!nb)
			return; /* out of memory: the answer ends here */
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct ctl_out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void vputf(struct ctl_out *o, const char *fmt, va_list ap)
{
	char small[256], *big;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		put(o, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big)
		return;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	put(o, big, (size_t)n);
	free(big);
}

static void putf(struct ctl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vputf(o, fmt, ap);
	va_end(ap);
}

/* A JSON key: '-' as '_'. */
static void json_key(struct ctl_out *o, const char *k)
{
	puts_(o, "\"");
	for (; *k; k++)
		put(o, *k == '-' ? "_" : k, 1);
	puts_(o, "\":");
}

static void json_str(struct ctl_out *o, const char *s)
{
	puts_(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			putf(o, "\\%c", c);
		else if (c < 0x20)
			putf(o, "\\u%04x", c);
		else
			put(o, s, 1);
	}
	puts_(o, "\"");
}

void co_init(struct ctl_out *o, enum co_fmt fmt)
{
	memset(o, 0, sizeof(*o));
	o->fmt = fmt;
	o->depth = -1;
	if (fmt == CO_JSON)
		puts_(o, "{");
}

/* JSON: close the records (and their arrays) deeper than DEPTH. */
static void json_close_below(struct ctl_out *o, int depth)
{
	int d;

	for (d = CO_DEPTH - 1; d > depth; d--) {
		if (o->rec[d].obj_open)
			puts_(o, "}");
		if (o->rec[d].arr_open)
			puts_(o, "]");
		o->rec[d].obj_open = o->rec[d].arr_open = false;
	}
}

/* JSON: a member is about to be written into the container at DEPTH
 * (-1: the answer's object). */
static void json_member(struct ctl_out *o, int depth)
{
	bool *f = depth < 0 ? &o->top_fields : &o->rec[depth].fields;

	if (*f)
		puts_(o, ",");
	*f = true;
}

void co_rec(struct ctl_out *o, int depth, const char *kind, const char *name)
{
	if (o->error || depth < 0 || depth >= CO_DEPTH || depth > o->depth + 1)
		return;
	switch (o->fmt) {
	case CO_TEXT:
		if (o->depth >= 0)
			puts_(o, "\n");
		putf(o, "%*s%s%s%s", 2 * depth, "", kind, name ? " " : "", name ? name : "");
		break;
	case CO_JSON:
		json_close_below(o, depth);
		if (o->rec[depth].obj_open)
			puts_(o, "}");
		o->rec[depth].obj_open = false;
		if (o->rec[depth].arr_open && !strcmp(o->rec[depth].kind, kind)) {
			puts_(o, ",");
		} else {
			if (o->rec[depth].arr_open)
				puts_(o, "]");
			json_member(o, depth - 1);
			json_key(o, kind);
			puts_(o, "[");
			o->rec[depth].arr_open = true;
		}
		puts_(o, "{");
		o->rec[depth].obj_open = true;
		break;
	case CO_PROM:
		break;
	}
	snprintf(o->rec[depth].kind, sizeof(o->rec[depth].kind), "%s", kind);
	snprintf(o->rec[depth].name, sizeof(o->rec[depth].name), "%s", name ? name : "");
	o->rec[depth].fields = false;
	o->nlabels[depth] = 0;
	o->depth = depth;
	if (name && o->fmt == CO_JSON)
		co_str(o, "name", name);
}

/* ---- Prometheus ---- */

static void prom_escape(struct ctl_out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			putf(o, "\\%c", *s);
		else if (*s == '\n')
			puts_(o, "\\n");
		else
			put(o, s, 1);
	}
}

/* A metric name's part: [a-zA-Z0-9_] only. */
static void prom_part(char *dst, size_t len, size_t *at, const char *s)
{
	for (; *s && *at + 1 < len; s++)
		dst[(*at)++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
					       (*s >= '0' && *s <= '9') ?
				       *s :
				       '_';
	dst[*at] = '\0';
}

static void prom_sample_l(struct ctl_out *o, const char *key, const char *suffix,
			  enum co_type type, const char *value, const char *lk, const char *lv);

static void prom_sample(struct ctl_out *o, const char *key, const char *suffix,
			enum co_type type, const char *value)
{
	prom_sample_l(o, key, suffix, type, value, NULL, NULL);
}

/* ... with one more label (lk="lv") */
static void prom_sample_l(struct ctl_out *o, const char *key, const char *suffix,
			  enum co_type type, const char *value, const char *xk, const char *xv)
{
	struct ctl_out tmp = { .fmt = CO_TEXT };
	struct co_sample *s;
	char name[160];
	size_t at = 0;
	int d, l;
	bool first = true;

	if (o->depth < 0)
		return;
	prom_part(name, sizeof(name), &at, "xvs_");
	prom_part(name, sizeof(name), &at, o->rec[o->depth].kind);
	prom_part(name, sizeof(name), &at, "_");
	prom_part(name, sizeof(name), &at, key);
	prom_part(name, sizeof(name), &at, suffix);

	for (d = 0; d <= o->depth; d++) {
		char lk[40];
		size_t la = 0;

		if (o->rec[d].name[0]) {
			prom_part(lk, sizeof(lk), &la, o->rec[d].kind);
			putf(&tmp, "%s%s=\"", first ? "{" : ",", lk);
			prom_escape(&tmp, o->rec[d].name);
			puts_(&tmp, "\"");
			first = false;
		}
		for (l = 0; l < o->nlabels[d]; l++) {
			putf(&tmp, "%s%s=\"", first ? "{" : ",", o->labels[d][l][0]);
			prom_escape(&tmp, o->labels[d][l][1]);
			puts_(&tmp, "\"");
			first = false;
		}
	}
	if (xk) {
		putf(&tmp, "%s%s=\"", first ? "{" : ",", xk);
		prom_escape(&tmp, xv);
		puts_(&tmp, "\"");
		first = false;
	}
	putf(&tmp, "%s %s", first ? "" : "}", value);
	if (!tmp.buf)
		return;
	if (o->nsamples == o->samples_cap) {
		size_t cap = o->samples_cap ? 2 * o->samples_cap : 64;
		struct co_sample *ns = realloc(o->samples, cap * sizeof(*ns));

		if (!ns) {
			free(tmp.buf);
			return;
		}
		o->samples = ns;
		o->samples_cap = cap;
	}
	s = &o->samples[o->nsamples];
	s->name = strdup(name);
	if (!s->name) {
		free(tmp.buf);
		return;
	}
	s->rest = tmp.buf;
	s->type = type;
	s->seq = o->nsamples++;
}

static int sample_cmp(const void *a, const void *b)
{
	const struct co_sample *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- fields ---- */

/* Text and JSON: a field whose value is already formatted; JSON quotes it
 * when QUOTE. */
static void field(struct ctl_out *o, const char *key, const char *v, bool quote)
{
	if (o->error || o->depth < 0)
		return;
	if (o->fmt == CO_TEXT) {
		bool q = quote && (!*v || strpbrk(v, " \"=\t\n"));
		const char *c;

		putf(o, " %s=", key);
		if (!q) {
			puts_(o, v);
			return;
		}
		puts_(o, "\"");
		for (c = v; *c; c++)
			put(o, *c == '"' ? "'" : *c == '\n' ? " " : c, 1);
		puts_(o, "\"");
	} else if (o->fmt == CO_JSON) {
		json_member(o, o->depth);
		json_key(o, key);
		if (quote)
			json_str(o, v);
		else
			puts_(o, v);
	}
}

/* A formatted number: a field, or a sample of type t named key + suffix. */
static void number(struct ctl_out *o, const char *key, const char *b, const char *suffix,
		   enum co_type t)
{
	if (o->fmt == CO_PROM)
		prom_sample(o, key, suffix, t, b);
	else
		field(o, key, b, false);
}

void co_count(struct ctl_out *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	number(o, key, b, "_total", CO_T_COUNTER);
}

void co_drop(struct ctl_out *o, const char *dir, const char *reason, uint64_t v)
{
	char b[24], k[64];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	if (o->fmt == CO_PROM) {
		snprintf(k, sizeof(k), "%sdrops", dir);
		prom_sample_l(o, k, "_total", CO_T_COUNTER, b, "reason", reason);
		return;
	}
	snprintf(k, sizeof(k), "%sdrop_%s", dir, reason);
	field(o, k, b, false);
}

void co_gauge(struct ctl_out *o, const char *key, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	number(o, key, b, "", CO_T_GAUGE);
}

void co_ns(struct ctl_out *o, const char *key, uint64_t ns)
{
	char b[32], k[64];
	size_t n = strlen(key);

	if (o->fmt != CO_PROM) {
		co_count(o, key, ns);
		return;
	}
	/* busy_ns -> xvs_worker_busy_seconds_total */
	snprintf(k, sizeof(k), "%.*s", (int)(n > 3 && !strcmp(key + n - 3, "_ns") ? n - 3 : n), key);
	snprintf(b, sizeof(b), "%.9f", (double)ns / 1e9);
	prom_sample(o, k, "_seconds_total", CO_T_COUNTER, b);
}

void co_real(struct ctl_out *o, const char *key, double v, int decimals)
{
	char b[48];

	snprintf(b, sizeof(b), "%.*f", decimals, v);
	number(o, key, b, "", CO_T_GAUGE);
}

void co_bool(struct ctl_out *o, const char *key, bool v)
{
	if (o->fmt == CO_JSON)
		field(o, key, v ? "true" : "false", false);
	else
		co_gauge(o, key, v);
}

void co_hex(struct ctl_out *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	if (o->fmt != CO_PROM)
		field(o, key, b, o->fmt == CO_JSON);
}

void co_str(struct ctl_out *o, const char *key, const char *s)
{
	if (o->fmt != CO_PROM)
		field(o, key, s ? s : "-", true);
}

void co_label(struct ctl_out *o, const char *key, const char *s)
{
	int d = o->depth, n;

	co_str(o, key, s);
	if (o->fmt != CO_PROM || d < 0 || (n = o->nlabels[d]) >= CO_LABELS)
		return;
	snprintf(o->labels[d][n][0], sizeof(o->labels[d][n][0]), "%s", key);
	snprintf(o->labels[d][n][1], sizeof(o->labels[d][n][1]), "%s", s ? s : "-");
	o->nlabels[d]++;
}

void co_text(struct ctl_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->error || o->fmt != CO_TEXT)
		return;
	if (o->depth >= 0)
		puts_(o, "\n");
	o->depth = -1;
	va_start(ap, fmt);
	vputf(o, fmt, ap);
	va_end(ap);
}

static void samples_free(struct ctl_out *o)
{
	size_t i;

	for (i = 0; i < o->nsamples; i++) {
		free(o->samples[i].name);
		free(o->samples[i].rest);
	}
	free(o->samples);
	o->samples = NULL;
	o->nsamples = o->samples_cap = 0;
}

void co_error(struct ctl_out *o, const char *fmt, ...)
{
	struct ctl_out m = { .fmt = CO_TEXT };
	va_list ap;

	if (o->error)
		return;
	va_start(ap, fmt);
	vputf(&m, fmt, ap);
	va_end(ap);
	o->len = 0;
	samples_free(o);
	if (o->fmt == CO_JSON) {
		puts_(o, "{\"error\":");
		json_str(o, m.buf ? m.buf : "out of memory");
		puts_(o, "}\n");
	} else {
		putf(o, "error: %s\n", m.buf ? m.buf : "out of memory");
	}
	free(m.buf);
	o->error = true;
}

void co_empty(struct ctl_out *o, const char *kind)
{
	if (o->error || o->fmt != CO_JSON)
		return;
	json_close_below(o, -1);
	o->depth = -1;
	json_member(o, -1);
	json_key(o, kind);
	puts_(o, "[]");
}

void co_ok(struct ctl_out *o)
{
	if (o->error)
		return;
	if (o->fmt == CO_JSON) {
		json_close_below(o, -1);
		o->depth = -1;
		json_member(o, -1);
		puts_(o, "\"ok\":true");
	} else if (o->fmt == CO_TEXT) {
		co_text(o, "ok\n");
	}
}

char *co_finish(struct ctl_out *o, size_t *len)
{
	char *b;
	size_t i;

	if (!o->error) {
		if (o->fmt == CO_TEXT && o->depth >= 0) {
			puts_(o, "\n");
		} else if (o->fmt == CO_JSON) {
			json_close_below(o, -1);
			puts_(o, "}\n");
		} else if (o->fmt == CO_PROM) {
			if (o->nsamples) /* samples is NULL then: qsort's is nonnull */
				qsort(o->samples, o->nsamples, sizeof(*o->samples), sample_cmp);
			for (i = 0; i < o->nsamples; i++) {
				const struct co_sample *s = &o->samples[i];

				if (!i || strcmp(s->name, o->samples[i - 1].name))
					putf(o, "# TYPE %s %s\n", s->name,
					     s->type == CO_T_COUNTER ? "counter" : "gauge");
				putf(o, "%s%s\n", s->name, s->rest);
			}
		}
	}
	samples_free(o);
	if (!o->buf)
		puts_(o, ""); /* nothing written (text, prom): "", not out of memory */
	b = o->buf;
	*len = o->len;
	o->buf = NULL;
	o->len = o->cap = 0;
	return b;
}

void co_free(struct ctl_out *o)
{
	samples_free(o);
	free(o->buf);
	o->buf = NULL;
}
