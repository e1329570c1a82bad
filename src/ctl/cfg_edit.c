// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run-time changes of the configuration (xvsctl port add|del): the running
 * configuration's YAML with one port added to or removed from `ports`,
 * written out again and parsed like a file. So a port added at run time is
 * checked by the same code, against the same rest of the configuration
 * (sockets in use, zero-copy queues, firewall rule sets, static entries
 * naming a port), as one in the file; and the switch applies the result
 * like a reload. The file itself is not written: a reload reads it again
 * and so forgets run-time changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ctl/config.h"

#define EDIT_MAX_DEPTH 32

struct edit {
	yaml_document_t *src;
	yaml_document_t *dst;
	size_t copied, limit; /* more copies than nodes: an alias */
	char *err;
	size_t errlen;
	const char *label;
};

static int edit_fail(struct edit *e, int r, const char *what)
{
	snprintf(e->err, e->errlen, "%s: %s", e->label, what);
	return r;
}

/* Copy node idx of e->src (and all below it) into e->dst; *out its index. */
static int copy_node(struct edit *e, int idx, int depth, int *out)
{
	yaml_node_t *n = yaml_document_get_node(e->src, idx);
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	int k, v, r, id;

	if (!n)
		return edit_fail(e, -EINVAL, "malformed YAML document");
	if (depth > EDIT_MAX_DEPTH)
		return edit_fail(e, -EINVAL, "nested too deeply");
	if (++e->copied > e->limit)
		return edit_fail(e, -EINVAL, "YAML anchors and aliases are not supported");
	switch (n->type) {
	case YAML_SCALAR_NODE:
		/* An empty plain scalar is null; the emitter would write it '' in
		 * a flow collection ({ anti-spoofing: }), a string: "~" stays null. */
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !n->data.scalar.length)
			id = yaml_document_add_scalar(e->dst, n->tag, (yaml_char_t *)"~", 1,
						      YAML_PLAIN_SCALAR_STYLE);
		else
			id = yaml_document_add_scalar(e->dst, n->tag, n->data.scalar.value,
						      (int)n->data.scalar.length,
						      n->data.scalar.style);
		break;
	case YAML_SEQUENCE_NODE:
		id = yaml_document_add_sequence(e->dst, n->tag, n->data.sequence.style);
		for (it = n->data.sequence.items.start; id && it < n->data.sequence.items.top; it++) {
			r = copy_node(e, *it, depth + 1, &v);
			if (r)
				return r;
			if (!yaml_document_append_sequence_item(e->dst, id, v))
				id = 0;
		}
		break;
	case YAML_MAPPING_NODE:
		id = yaml_document_add_mapping(e->dst, n->tag, n->data.mapping.style);
		for (p = n->data.mapping.pairs.start; id && p < n->data.mapping.pairs.top; p++) {
			r = copy_node(e, p->key, depth + 1, &k);
			r = r ?: copy_node(e, p->value, depth + 1, &v);
			if (r)
				return r;
			if (!yaml_document_append_mapping_pair(e->dst, id, k, v))
				id = 0;
		}
		break;
	default:
		return edit_fail(e, -EINVAL, "malformed YAML document");
	}
	if (!id)
		return edit_fail(e, -ENOMEM, "out of memory");
	*out = id;
	return 0;
}

static const char *scalar_text(yaml_document_t *d, int idx)
{
	yaml_node_t *n = yaml_document_get_node(d, idx);

	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Exactly one document: what follows the first (a second document, or
 * junk such as "{ type: vhost-user }, vlan: 5") is an error, not dropped. */
static int load_one(const char *text, size_t len, yaml_document_t *doc)
{
	yaml_document_t extra;
	yaml_parser_t p;
	int ok;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	ok = yaml_parser_load(&p, doc);
	if (ok) {
		/* a failed load deletes extra itself */
		if (!yaml_parser_load(&p, &extra)) {
			ok = 0;
		} else {
			ok = !yaml_document_get_root_node(&extra);
			yaml_document_delete(&extra);
		}
		if (!ok)
			yaml_document_delete(doc);
	}
	yaml_parser_delete(&p);
	if (!ok)
		return -EINVAL;
	if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		return -EINVAL;
	}
	return 0;
}

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_write(void *arg, unsigned char *b, size_t n)
{
	struct sink *s = arg;
	char *nb;

	if (s->len + n + 1 > s->cap) {
		size_t cap = (s->len + n + 1) * 2;

		if (cap > CFG_TEXT_MAX || !(nb = realloc(s->buf, cap)))
			return 0;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 1;
}

/* The top-level mapping of the running text, copied with `ports` edited. */
static int build(struct edit *e, yaml_document_t *run, yaml_document_t *port, const char *name,
		 int *root)
{
	yaml_node_t *top = yaml_document_get_root_node(run), *ports = NULL;
	yaml_node_pair_t *p, *q;
	bool found = false, had_ports = false;
	int k, v, m, r, pk, pv;

	if (!top || top->type != YAML_MAPPING_NODE)
		return edit_fail(e, -EINVAL, "the running configuration is not a mapping");
	e->src = run;
	*root = yaml_document_add_mapping(e->dst, top->tag, YAML_BLOCK_MAPPING_STYLE);
	if (!*root)
		return edit_fail(e, -ENOMEM, "out of memory");
	for (p = top->data.mapping.pairs.start; p < top->data.mapping.pairs.top; p++) {
		const char *key = scalar_text(run, p->key);

		e->src = run;
		if (!key || strcmp(key, "ports")) {
			r = copy_node(e, p->key, 1, &k);
			r = r ?: copy_node(e, p->value, 1, &v);
			if (r)
				return r;
			if (!yaml_document_append_mapping_pair(e->dst, *root, k, v))
				return edit_fail(e, -ENOMEM, "out of memory");
			continue;
		}
		had_ports = true;
		ports = yaml_document_get_node(run, p->value);
		r = copy_node(e, p->key, 1, &k);
		if (r)
			return r;
		m = yaml_document_add_mapping(e->dst, NULL, YAML_BLOCK_MAPPING_STYLE);
		if (!m || !yaml_document_append_mapping_pair(e->dst, *root, k, m))
			return edit_fail(e, -ENOMEM, "out of memory");
		/* empty (null) or not a mapping: nothing to keep (the parser says
		 * what is wrong with the latter) */
		if (!ports || ports->type != YAML_MAPPING_NODE)
			ports = NULL;
		for (q = ports ? ports->data.mapping.pairs.start : NULL;
		     ports && q < ports->data.mapping.pairs.top; q++) {
			const char *pn = scalar_text(run, q->key);

			if (pn && !strcmp(pn, name)) {
				found = true;
				if (!port)
					continue; /* removed */
			}
			r = copy_node(e, q->key, 2, &pk);
			r = r ?: copy_node(e, q->value, 2, &pv);
			if (r)
				return r;
			if (!yaml_document_append_mapping_pair(e->dst, m, pk, pv))
				return edit_fail(e, -ENOMEM, "out of memory");
		}
		if (port && !found) {
			pk = yaml_document_add_scalar(e->dst, NULL, (yaml_char_t *)name,
						      (int)strlen(name), YAML_PLAIN_SCALAR_STYLE);
			e->src = port;
			e->copied = 0;
			e->limit = (size_t)(port->nodes.top - port->nodes.start);
			r = pk ? copy_node(e, 1, 2, &pv) : edit_fail(e, -ENOMEM, "out of memory");
			if (r)
				return r;
			e->limit = SIZE_MAX;
			if (!yaml_document_append_mapping_pair(e->dst, m, pk, pv))
				return edit_fail(e, -ENOMEM, "out of memory");
		}
	}
	if (found && port)
		return edit_fail(e, -EEXIST, "a port of that name exists");
	if (!found && !port)
		return edit_fail(e, -ENOENT, "no such port");
	if (!had_ports) { /* a switch without ports: the new one is the first */
		int m2;

		k = yaml_document_add_scalar(e->dst, NULL, (yaml_char_t *)"ports", 5,
					     YAML_PLAIN_SCALAR_STYLE);
		m2 = yaml_document_add_mapping(e->dst, NULL, YAML_BLOCK_MAPPING_STYLE);
		pk = yaml_document_add_scalar(e->dst, NULL, (yaml_char_t *)name, (int)strlen(name),
					      YAML_PLAIN_SCALAR_STYLE);
		if (!k || !m2 || !pk)
			return edit_fail(e, -ENOMEM, "out of memory");
		e->src = port;
		e->copied = 0;
		e->limit = (size_t)(port->nodes.top - port->nodes.start);
		r = copy_node(e, 1, 2, &pv);
		if (r)
			return r;
		if (!yaml_document_append_mapping_pair(e->dst, m2, pk, pv) ||
		    !yaml_document_append_mapping_pair(e->dst, *root, k, m2))
			return edit_fail(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int cfg_edit_port(const struct cfg *run, const char *name, const char *yaml, struct cfg *out,
		  char *err, size_t errlen)
{
	char label[96];
	struct edit e = { .err = err, .errlen = errlen, .label = label, .limit = SIZE_MAX };
	yaml_document_t rdoc, pdoc, dst;
	yaml_emitter_t em;
	struct sink s = { 0 };
	int r, root;

	snprintf(label, sizeof(label), "port %s %s", yaml ? "add" : "del", name);
	if (!run->text)
		return edit_fail(&e, -EINVAL, "the running configuration has no text");
	if (load_one(run->text, run->text_len, &rdoc))
		return edit_fail(&e, -EINVAL, "the running configuration does not parse");
	if (yaml && (r = load_one(yaml, strlen(yaml), &pdoc))) {
		edit_fail(&e, r, "not a YAML value (quote it: '{ type: vhost-user, socket: PATH }')");
		goto delete_run;
	}
	if (!yaml_document_initialize(&dst, NULL, NULL, NULL, 1, 1)) {
		r = edit_fail(&e, -ENOMEM, "out of memory");
		goto delete_port;
	}
	e.dst = &dst;
	r = build(&e, &rdoc, yaml ? &pdoc : NULL, name, &root);
	if (r) {
		yaml_document_delete(&dst);
		goto delete_port;
	}
	if (!yaml_emitter_initialize(&em)) {
		yaml_document_delete(&dst);
		r = edit_fail(&e, -ENOMEM, "out of memory");
		goto delete_port;
	}
	yaml_emitter_set_output(&em, sink_write, &s);
	yaml_emitter_set_unicode(&em, 1);
	if (!yaml_emitter_open(&em)) {
		yaml_document_delete(&dst);
		r = edit_fail(&e, -ENOMEM, "cannot write the configuration out");
		goto delete_emitter;
	}
	/* dump takes the document (deletes it, also on failure) */
	if (!yaml_emitter_dump(&em, &dst) || !yaml_emitter_close(&em) || !yaml_emitter_flush(&em)) {
		r = edit_fail(&e, -ENOMEM, "cannot write the configuration out");
		goto delete_emitter;
	}
	r = cfg_parse_text(run->file, label, s.buf ? s.buf : "", s.len, out, err, errlen);
delete_emitter:
	yaml_emitter_delete(&em);
	free(s.buf);
delete_port:
	if (yaml)
		yaml_document_delete(&pdoc);
delete_run:
	yaml_document_delete(&rdoc);
	return r;
}
