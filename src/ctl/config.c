// SPDX-License-Identifier: GPL-2.0-only
/*
 * cfg: load and validate xvsd's YAML configuration (config/README.md).
 *
 * The file is operator input. Everything is checked here, before the daemon
 * acts on any of it, and every error names the file, the line and the dotted
 * key: "xvs.yaml:12: ports.vm1.vlan: must be an integer 0..4094, got "abc"".
 *
 * libyaml's document API gives a node tree that carries line numbers. Each
 * mapping of the schema is a table (struct section) of the keys allowed
 * there, each with the function that parses its value into a field of the
 * struct being filled. Keys are processed in table order, not file order,
 * so that a value may depend on one parsed before it: port sockets on
 * switch.socket-dir, static FDB entries on the ports, an uplink's MTU on its
 * frame size.
 *
 * Each port type has its own table. A key of another type is refused with
 * the type it belongs to; a key that a reader might expect but that makes no
 * sense for the type (vlan on an uplink) has a refusing entry that says why.
 *
 * The firewall (firewall:, and a VM port's firewall and anti-spoofing) is
 * read by cfg_fw.c with the same tables and helpers (cfg_internal.h).
 *
 * YAML aliases are refused: they would turn the tree into a graph (even a
 * cycle) and the schema has no use for them. libyaml accepts duplicate keys;
 * they are refused here.
 */
#include "ctl/config.h"
#include "ctl/cfg_internal.h"

#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "vhost/vu_proto.h"
#include "xsk/uplink.h" /* what a UMEM frame carries */

#define VLAN_UNSET 0xffff /* fdb.static[].vlan not given: the port's (required for uplinks) */
#define GID_MAX 4294967294UL /* (gid_t)-1 is "no group" to chown() */
#define GROUP_BUF_MAX (1 << 20) /* getgrnam_r's buffer grows up to this */

/* Errors */

int line_of(const yaml_node_t *n)
{
	return n->start_mark.line < 1000000000 ? (int)n->start_mark.line + 1 : 1000000000;
}

/* "FILE: message", for problems with the file as a whole. */
static int __attribute__((format(printf, 3, 4)))
file_err(struct loader *ld, int ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ld->err || !ld->errlen)
		return ret;
	n = snprintf(ld->err, ld->errlen, "%s: ", ld->file);
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* "FILE:LINE: KEY: message", KEY being the current path. Returns -EINVAL. */
int __attribute__((format(printf, 3, 4)))
fail(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ld->err || !ld->errlen)
		return -EINVAL;
	if (ld->no_lines) /* a text made in memory: its lines mean nothing to the user */
		n = snprintf(ld->err, ld->errlen, "%s: %s%s", ld->file, ld->path,
			     ld->path_len ? ": " : "");
	else
		n = snprintf(ld->err, ld->errlen, "%s:%d: %s%s", ld->file, line, ld->path,
			     ld->path_len ? ": " : "");
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int out_of_memory(struct loader *ld)
{
	return file_err(ld, -ENOMEM, "out of memory");
}

/* s as a double-quoted, printable, bounded string for an error message. */
static const char *quote(char *buf, const char *s, size_t len)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; i < len && o + 9 <= QUOTE_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, QUOTE_MAX - o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(buf + o, QUOTE_MAX - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* What the file has at n, for "got ...". */
const char *describe(const yaml_node_t *n, char *buf)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (is_null(n))
			return "nothing";
		return quote(buf, (const char *)n->data.scalar.value, n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* "must be WHAT, got ..." */
int bad(struct loader *ld, const yaml_node_t *n, const char *what)
{
	char got[QUOTE_MAX];

	return fail(ld, line_of(n), "must be %s, got %s", what, describe(n, got));
}

/* bad(), with the key's note if it has one: "must be WHAT, got ... (NOTE)" */
int bad_key(struct loader *ld, const yaml_node_t *n, const struct key *k, const char *what)
{
	char got[QUOTE_MAX];

	if (!k->note)
		return bad(ld, n, what);
	return fail(ld, line_of(n), "must be %s, got %s (%s)", what, describe(n, got), k->note);
}

/* Paths: "ports.vm1.vlan", "fdb.static[2].mac" */

size_t path_key(struct loader *ld, const char *name)
{
	size_t mark = ld->path_len;
	int n = snprintf(ld->path + mark, sizeof(ld->path) - mark, "%s%s", mark ? "." : "", name);

	if (n > 0)
		ld->path_len = strlen(ld->path);
	return mark;
}

size_t path_index(struct loader *ld, size_t i)
{
	size_t mark = ld->path_len;
	int n = snprintf(ld->path + mark, sizeof(ld->path) - mark, "[%zu]", i);

	if (n > 0)
		ld->path_len = strlen(ld->path);
	return mark;
}

void path_pop(struct loader *ld, size_t mark)
{
	ld->path_len = mark;
	ld->path[mark] = '\0';
}

/* Nodes */

/* Node idx as a child of the node being parsed; refuses aliased nodes. */
int child(struct loader *ld, int idx, yaml_node_t **out)
{
	yaml_node_t *n = yaml_document_get_node(&ld->doc, idx);

	if (!n)
		return fail(ld, 1, "malformed YAML document");
	if (ld->refs[idx] > 1)
		return fail(ld, line_of(n), "YAML anchors and aliases are not supported "
					    "(this value is used again through an alias)");
	*out = n;
	return 0;
}

/* Count every node's parents; any node with two is the target of an alias. */
static int count_refs(struct loader *ld)
{
	size_t i, count = (size_t)(ld->doc.nodes.top - ld->doc.nodes.start);
	const yaml_node_pair_t *p;
	const yaml_node_item_t *it;
	const yaml_node_t *n;

	ld->refs = calloc(count + 1, sizeof(*ld->refs));
	if (!ld->refs)
		return out_of_memory(ld);
#define REF(idx)                                                                                   \
	do {                                                                                       \
		if ((idx) >= 1 && (size_t)(idx) <= count && ld->refs[idx] < 2)                     \
			ld->refs[idx]++;                                                           \
	} while (0)
	REF(1); /* the root */
	for (i = 0; i < count; i++) {
		n = &ld->doc.nodes.start[i];
		if (n->type == YAML_SEQUENCE_NODE) {
			it = n->data.sequence.items.start;
			for (; it < n->data.sequence.items.top; it++)
				REF(*it);
		} else if (n->type == YAML_MAPPING_NODE) {
			p = n->data.mapping.pairs.start;
			for (; p < n->data.mapping.pairs.top; p++) {
				REF(p->key);
				REF(p->value);
			}
		}
	}
#undef REF
	return 0;
}

/* The text of scalar n, or NULL if n is not a scalar or contains a NUL. */
const char *text(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)n->data.scalar.value;
	return strlen(s) == n->data.scalar.length ? s : NULL;
}

size_t n_pairs(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

size_t n_items(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* Mappings */

/* The index of key name in sec, or sec->n_keys. */
static size_t find_key(const struct section *sec, const char *name)
{
	size_t i;

	for (i = 0; name && i < sec->n_keys; i++)
		if (!strcmp(name, sec->keys[i].name))
			break;
	return i;
}

static int unknown_key(struct loader *ld, const yaml_node_t *kn, const struct section *sec)
{
	char allowed[256], got[QUOTE_MAX];
	size_t i, o = 0;
	int n;

	if (kn->type != YAML_SCALAR_NODE)
		return fail(ld, line_of(kn), "keys must be scalars, got %s", describe(kn, got));
	allowed[0] = '\0';
	for (i = 0; i < sec->n_keys; i++) {
		if (sec->keys[i].why)
			continue;
		n = snprintf(allowed + o, sizeof(allowed) - o, "%s%s", o ? ", " : "",
			     sec->keys[i].name);
		if (n < 0 || (size_t)n >= sizeof(allowed) - o)
			break;
		o += (size_t)n;
	}
	return fail(ld, line_of(kn), "unknown key %s (allowed here: %s)", describe(kn, got),
		    allowed);
}

/* Parse mapping n into base following sec: every key known, none twice. */
int walk_map(struct loader *ld, yaml_node_t *n, void *base, const struct section *sec)
{
	yaml_node_t *val[MAX_SECTION_KEYS] = { 0 };
	int key_line[MAX_SECTION_KEYS] = { 0 };
	const yaml_node_pair_t *p;
	yaml_node_t *kn, *vn;
	const char *name;
	size_t i, mark;
	int r;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		r = child(ld, p->key, &kn);
		if (r)
			return r;
		name = text(kn);
		i = find_key(sec, name);
		if (!name || i == sec->n_keys)
			return unknown_key(ld, kn, sec);
		if (val[i])
			return fail(ld, line_of(kn), "duplicate key \"%s\" (first at line %d)",
				    name, key_line[i]);
		mark = path_key(ld, name);
		r = sec->keys[i].why ? fail(ld, line_of(kn), "%s", sec->keys[i].why)
				     : child(ld, p->value, &vn);
		path_pop(ld, mark);
		if (r)
			return r;
		val[i] = vn;
		key_line[i] = line_of(kn);
	}
	for (i = 0; i < sec->n_keys; i++) {
		const struct key *k = &sec->keys[i];

		if (!val[i]) {
			if (k->required)
				return fail(ld, line_of(n), "missing required key \"%s\"", k->name);
			continue;
		}
		mark = path_key(ld, k->name);
		r = k->parse(ld, val[i], base, k);
		path_pop(ld, mark);
		if (r)
			return r;
	}
	return 0;
}

/* A nested mapping; empty (null) is the same as absent. */
int parse_section(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return bad(ld, n, "a mapping");
	return walk_map(ld, n, (char *)base + k->off, k->sub);
}

/* Scalars */

static void store_uint(void *dst, size_t size, unsigned long v)
{
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	if (size == sizeof(v16))
		memcpy(dst, &v16, size);
	else if (size == sizeof(v32))
		memcpy(dst, &v32, size);
}

/* Decimal digits only: no sign, no leading zero (010 is octal in YAML 1.1). */
bool to_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0, d;

	if (!s || !*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned long)(*s - '0');
		if (d > max || v > (max - d) / 10) /* v * 10 + d > max, without overflow */
			return false;
		v = v * 10 + d;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

int parse_uint(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	unsigned long v;
	char what[64];

	if (!to_ulong(text(n), k->min, k->max, &v)) {
		snprintf(what, sizeof(what), "an integer %lu..%lu", k->min, k->max);
		return bad_key(ld, n, k, what);
	}
	store_uint((char *)base + k->off, k->size, v);
	return 0;
}

/* A power of two min..max; "2048 or 4096" when there are only two. */
int parse_pow2(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	unsigned long v;
	char what[64];

	if (!to_ulong(text(n), k->min, k->max, &v) || (v & (v - 1))) {
		if (k->max == 2 * k->min)
			snprintf(what, sizeof(what), "%lu or %lu", k->min, k->max);
		else
			snprintf(what, sizeof(what), "a power of two %lu..%lu", k->min, k->max);
		return bad_key(ld, n, k, what);
	}
	store_uint((char *)base + k->off, k->size, v);
	return 0;
}

/* YAML 1.1's booleans, without y/n and in any case. */
int parse_bool(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	static const char *const words[][2] = {
		{ "false", "true" },
		{ "no", "yes" },
		{ "off", "on" },
	};
	bool *dst = (bool *)((char *)base + k->off);
	const char *s = text(n);
	size_t i;

	for (i = 0; s && i < ARRAY_SIZE(words); i++) {
		if (!strcasecmp(s, words[i][0]) || !strcasecmp(s, words[i][1])) {
			*dst = !strcasecmp(s, words[i][1]);
			return 0;
		}
	}
	return bad_key(ld, n, k, "true or false");
}

int parse_enum(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	const char *s = text(n);
	char what[128] = "one of ";
	size_t i;

	for (i = 0; s && k->words[i]; i++) {
		if (!strcmp(s, k->words[i])) {
			store_uint((char *)base + k->off, k->size, i);
			return 0;
		}
	}
	for (i = 0; k->words[i]; i++) {
		if (i)
			strncat(what, "|", sizeof(what) - strlen(what) - 1);
		strncat(what, k->words[i], sizeof(what) - strlen(what) - 1);
	}
	return bad_key(ld, n, k, what);
}

/* The binary units of sizes: units[i] is 1 << (10 * (i + 1)). */
static const char units[] = "KMGT";

/* bytes as the largest binary unit that divides it: "64M", "64T", "1000" */
static const char *size_str(char *buf, size_t len, uint64_t bytes)
{
	int i;

	for (i = 3; i >= 0; i--) {
		if (bytes && !(bytes & ((1ull << (10 * (i + 1))) - 1))) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(bytes >> (10 * (i + 1))),
				 units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

/*
 * A size in bytes into a uint64_t: decimal digits (no leading zero, as for
 * integers), then nothing (bytes) or a binary unit K, M, G or T, or KiB,
 * MiB, GiB or TiB, in any case. The key's min and max are in MiB.
 */
static int parse_size(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	uint64_t min = (uint64_t)k->min << 20, max = (uint64_t)k->max << 20, v = 0, d;
	uint64_t *dst = (uint64_t *)((char *)base + k->off);
	const char *s = text(n), *digits, *unit;
	char what[96], lo[24], hi[24];
	unsigned int shift = 0;

	if (!s || (s[0] == '0' && s[1]))
		goto bad_size;
	for (digits = s; *s >= '0' && *s <= '9'; s++) {
		d = (uint64_t)(*s - '0');
		if (v > (max - d) / 10) /* v * 10 + d > max */
			goto bad_size;
		v = v * 10 + d;
	}
	if (s == digits)
		goto bad_size;
	if (*s) {
		unit = strchr(units, toupper((unsigned char)*s)); /* *s is not NUL */
		if (!unit)
			goto bad_size;
		shift = 10 * (unsigned int)(unit - units + 1);
		s++;
		if (!strcasecmp(s, "iB"))
			s += 2;
		if (*s)
			goto bad_size;
	}
	if (v > max >> shift || v << shift < min)
		goto bad_size;
	*dst = v << shift;
	return 0;

bad_size:
	snprintf(what, sizeof(what), "a size such as 128G or 512M, %s..%s",
		 size_str(lo, sizeof(lo), min), size_str(hi, sizeof(hi), max));
	return bad_key(ld, n, k, what);
}

/*
 * Permission bits of a socket into a uint32_t: octal digits, with or
 * without a leading 0 ("0660", "660"; a YAML integer written 0660 arrives
 * as the text "0660"). Only the bits of 0777; the owner keeps read and write.
 */
static int parse_mode(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	uint32_t *dst = (uint32_t *)((char *)base + k->off);
	const char *s = text(n);
	uint32_t v = 0;

	if (!s || !*s)
		goto bad_mode;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			goto bad_mode;
		v = v * 8 + (uint32_t)(*s - '0');
		if (v > 0777)
			goto bad_mode;
	}
	if ((v & 0600) != 0600)
		return fail(ld, line_of(n),
			    "%04o takes read and write away from the owner (xvsd's user); the mode "
			    "must include 0600",
			    v);
	*dst = v;
	return 0;

bad_mode:
	return bad_key(ld, n, k, "permission bits in octal such as 0660, at most 0777");
}

/* The gid of group name, through NSS (/etc/group, or LDAP and the like). */
static int lookup_group(struct loader *ld, const yaml_node_t *n, const char *name, int64_t *gid)
{
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t size = hint > 0 && hint < GROUP_BUF_MAX ? (size_t)hint : 16384;
	struct group grp, *found = NULL;
	char *buf = NULL, *bigger, got[QUOTE_MAX];
	int r;

	for (;;) {
		bigger = realloc(buf, size);
		if (!bigger) {
			free(buf);
			return out_of_memory(ld);
		}
		buf = bigger;
		r = getgrnam_r(name, &grp, buf, size, &found);
		if (r != ERANGE || size >= GROUP_BUF_MAX)
			break;
		size *= 2;
	}
	if (found)
		*gid = grp.gr_gid;
	free(buf);
	if (found)
		return 0;
	/* getgrnam_r(3): these mean "no such group" on one system or another */
	if (!r || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM)
		return fail(ld, line_of(n), "no group named %s on this machine",
			    describe(n, got));
	return fail(ld, line_of(n), "cannot look up group %s: %s", describe(n, got),
		    strerror(r));
}

/* A group into an int64_t: a name, resolved now, or a gid (digits only). */
static int parse_group(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	int64_t *dst = (int64_t *)((char *)base + k->off);
	const char *s = text(n);
	unsigned long gid;

	if (!s || !*s)
		return bad_key(ld, n, k, "a group name or a gid");
	if (s[strspn(s, "0123456789")])
		return lookup_group(ld, n, s, dst);
	if (!to_ulong(s, 0, GID_MAX, &gid))
		return bad_key(ld, n, k, "a group name or a gid 0..4294967294");
	*dst = (int64_t)gid;
	return 0;
}

bool valid_name(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) >= CFG_NAME_MAX)
		return false;
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

static int parse_name(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	const char *s = text(n);

	if (!valid_name(s))
		return bad(ld, n, "a name of " NAME_RULE);
	memcpy((char *)base + k->off, s, strlen(s) + 1);
	return 0;
}

/*
 * A path for a unix socket or its directory: absolute, no NUL, fits
 * sun_path. A directory loses its trailing slashes, a socket may not have one.
 */
static int parse_abs_path(struct loader *ld, yaml_node_t *n, char *dst, size_t size, bool dir)
{
	const char *s = text(n);
	char got[QUOTE_MAX];
	size_t len;

	if (!s || s[0] != '/')
		return bad(ld, n, "an absolute path");
	len = strlen(s);
	if (dir)
		while (len > 1 && s[len - 1] == '/')
			len--;
	else if (s[len - 1] == '/')
		return fail(ld, line_of(n), "%s names a directory, not a socket", describe(n, got));
	if (len >= size)
		return fail(ld, line_of(n),
			    "%s is %zu bytes long; a unix socket path holds at most %zu",
			    describe(n, got), len, size - 1);
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

static int parse_sock_path(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	return parse_abs_path(ld, n, (char *)base + k->off, k->size, false);
}

static int parse_dir(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	return parse_abs_path(ld, n, (char *)base + k->off, k->size, true);
}

/* switch.control-socket, or its default once switch.name is known. */
static const char *control_socket(struct cfg *c)
{
	if (!c->control_socket[0])
		snprintf(c->control_socket, sizeof(c->control_socket), "/run/xvs/%s.ctl", c->name);
	return c->control_socket;
}

/* Lists of distinct numbers: datapath.cpus, an uplink's queues */
struct id_rule {
	const char *noun; /* "CPU 3 is listed twice" */
	const char *what; /* "must be WHAT" for an item that is not an id */
	unsigned long max;
	/* a further check of id v, at node n; may be NULL */
	int (*check)(struct loader *ld, const yaml_node_t *n, unsigned long v);
};

/* The items of sequence n into ids[], which holds n_items(n) of them. */
static int parse_ids(struct loader *ld, yaml_node_t *n, const struct id_rule *rule,
		     unsigned long *ids)
{
	yaml_node_item_t *it;
	yaml_node_t *in;
	size_t i, j, mark;
	int r = 0;

	for (i = 0, it = n->data.sequence.items.start; it < n->data.sequence.items.top; i++, it++) {
		mark = path_index(ld, i);
		r = child(ld, *it, &in);
		if (r)
			goto pop;
		if (!to_ulong(text(in), 0, rule->max, &ids[i])) {
			r = bad(ld, in, rule->what);
			goto pop;
		}
		if (rule->check) {
			r = rule->check(ld, in, ids[i]);
			if (r)
				goto pop;
		}
		for (j = 0; j < i; j++) {
			if (ids[j] == ids[i]) {
				r = fail(ld, line_of(in), "%s %lu is listed twice", rule->noun,
					 ids[i]);
				goto pop;
			}
		}
pop:
		path_pop(ld, mark);
		if (r)
			return r;
	}
	return 0;
}

static int cpu_exists(struct loader *ld, const yaml_node_t *n, unsigned long cpu)
{
	if (ld->cpus_conf > 0 && cpu >= (unsigned long)ld->cpus_conf)
		return fail(ld, line_of(n), "CPU %lu does not exist (this machine has %ld)", cpu,
			    ld->cpus_conf);
	return 0;
}

static const struct id_rule cpu_rule = {
	.noun = "CPU",
	.what = "a CPU number",
	.max = CPU_SETSIZE - 1,
	.check = cpu_exists,
};

/* datapath.cpus: one worker per entry, pinned to it. */
static int parse_cpus(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	unsigned long ids[CFG_MAX_CPUS];
	struct cfg *c = base;
	size_t i;
	int r;

	(void)k;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(ld, n, "a list of CPU numbers");
	if (n_items(n) == 0)
		return fail(ld, line_of(n), "must list at least one CPU "
					    "(leave the key out for one unpinned worker)");
	if (n_items(n) > CFG_MAX_CPUS)
		return fail(ld, line_of(n), "lists %zu CPUs; at most %d workers are supported",
			    n_items(n), CFG_MAX_CPUS);
	r = parse_ids(ld, n, &cpu_rule, ids);
	if (r)
		return r;
	for (i = 0; i < n_items(n); i++)
		c->cpus[i] = (int)ids[i];
	c->n_cpus = (int)n_items(n);
	return 0;
}

/* Ports */

static const char *const port_type_words[] = {
	[CFG_PORT_VHOST_USER] = "vhost-user",
	[CFG_PORT_UPLINK] = "uplink",
	NULL,
};

static const char *const zc_tx_words[] = {
	[CFG_ZC_TX_AUTO] = "auto",
	[CFG_ZC_TX_GUEST] = "guest",
	[CFG_ZC_TX_COPY] = "copy",
	NULL,
};

static const char *const vu_mode_words[] = {
	[CFG_VU_SERVER] = "server",
	[CFG_VU_CLIENT] = "client",
	NULL,
};

static const char *const xdp_mode_words[] = {
	[CFG_XDP_AUTO] = "auto",
	[CFG_XDP_ZEROCOPY] = "zerocopy",
	[CFG_XDP_NATIVE] = "native",
	[CFG_XDP_SKB] = "skb",
	NULL,
};

/* ports.NAME.socket: relative to switch.socket-dir; one port per socket. */
static int parse_port_socket(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_port *port = base;
	struct cfg *c = ld->c;
	const char *s = text(n), *dir = "", *sep = "";
	char got[QUOTE_MAX], dir_got[QUOTE_MAX];
	size_t len;
	int i;

	(void)k;
	if (!s || !*s)
		return bad(ld, n, "a socket path");
	if (s[strlen(s) - 1] == '/')
		return fail(ld, line_of(n), "%s names a directory, not a socket", describe(n, got));
	if (s[0] != '/') {
		dir = c->socket_dir;
		sep = strcmp(dir, "/") ? "/" : "";
	}
	len = strlen(dir) + strlen(sep) + strlen(s);
	if (len >= sizeof(port->socket))
		return fail(ld, line_of(n),
			    "%s%s%s is %zu bytes long; a unix socket path holds at most %zu",
			    describe(n, got), *dir ? " in socket-dir " : "",
			    *dir ? quote(dir_got, dir, strlen(dir)) : "", len,
			    sizeof(port->socket) - 1);
	snprintf(port->socket, sizeof(port->socket), "%s%s%s", dir, sep, s);

	for (i = 0; i < c->n_ports; i++)
		if (!strcmp(c->ports[i].socket, port->socket))
			return fail(ld, line_of(n), "%s is already the socket of port %s (line %d)",
				    quote(got, port->socket, len), c->ports[i].name,
				    c->ports[i].line);
	if (!strcmp(control_socket(c), port->socket))
		return fail(ld, line_of(n), "%s is the switch's control socket",
			    quote(got, port->socket, len));
	return 0;
}

/* Uplinks */

#define IFNAME_RULE "1 to 15 characters, none of them / : or white space"

/*
 * ports.NAME.interface: a Linux interface name as the kernel's
 * dev_valid_name() has it. Whether it exists is not checked: it may appear
 * later. One uplink per interface.
 */
static int parse_ifname(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_port *port = base;
	const struct cfg_port *other;
	const char *s = text(n);
	int i;

	if (n->type == YAML_SEQUENCE_NODE)
		return fail(ld, line_of(n), "must be one interface, got a list "
					    "(define one uplink port per interface)");
	if (!s || !*s || strlen(s) >= k->size || !strcmp(s, ".") || !strcmp(s, "..") ||
	    strpbrk(s, "/: \t\n\v\f\r"))
		return bad(ld, n, "an interface name of " IFNAME_RULE);
	for (i = 0; i < ld->c->n_ports; i++) {
		other = &ld->c->ports[i];
		if (other->type == CFG_PORT_UPLINK && !strcmp(other->ifname, s))
			return fail(ld, line_of(n),
				    "interface %s is already the uplink of port %s (line %d)", s,
				    other->name, other->line);
	}
	memcpy(port->ifname, s, strlen(s) + 1);
	return 0;
}

static const struct id_rule queue_rule = {
	.noun = "queue",
	.what = "a queue id 0..63",
	.max = CFG_MAX_QUEUE_IDS - 1,
};

/* A sequence of distinct queue ids into ids[] (CFG_MAX_QUEUE_IDS at most). */
static int parse_queue_ids(struct loader *ld, yaml_node_t *n, unsigned long *ids)
{
	if (n_items(n) > CFG_MAX_QUEUE_IDS)
		return fail(ld, line_of(n), "lists %zu queues; queue ids are 0..%d", n_items(n),
			    CFG_MAX_QUEUE_IDS - 1);
	return parse_ids(ld, n, &queue_rule, ids);
}

/* ports.NAME.queues of an uplink: "all" or a list of the NIC's queue ids. */
static int parse_uplink_queues(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	unsigned long ids[CFG_MAX_QUEUE_IDS];
	struct cfg_port *port = base;
	const char *s = text(n);
	size_t i;
	int r;

	if (is_null(n) || (s && !strcmp(s, "all"))) {
		port->all_queues = true;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return bad_key(ld, n, k, "all or a list of queue ids such as [0, 1]");
	if (n_items(n) == 0)
		return fail(ld, line_of(n), "must list at least one queue id (or say all)");
	r = parse_queue_ids(ld, n, ids);
	if (r)
		return r;
	for (i = 0; i < n_items(n); i++)
		port->queue_ids[i] = (uint16_t)ids[i];
	port->n_queue_ids = (int)n_items(n);
	port->all_queues = false;
	return 0;
}

/* ports.NAME.mtu of an uplink: bounded by what UPLINK_MAX_FRAGS UMEM frames
 * of frame-size (parsed before it) can carry; whether one frame must do
 * (no multi-buffer AF_XDP) is known only when the port opens. */
static int parse_uplink_mtu(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_port *port = base;
	struct key fits = *k;
	unsigned long v;

	fits.max = UPLINK_MAX_FRAGS * (port->frame_size - UPLINK_RX_HEADROOM) - UPLINK_L2_LEN;
	if (fits.max > k->max)
		fits.max = k->max;
	if (to_ulong(text(n), fits.max + 1, k->max, &v))
		return fail(ld, line_of(n),
			    "%lu does not fit in %d frames of frame-size %u: at most %lu, as each "
			    "frame also holds %d bytes of kernel headroom, and the packet an "
			    "Ethernet header and two VLAN tags (%d bytes)",
			    v, UPLINK_MAX_FRAGS, port->frame_size, fits.max, UPLINK_RX_HEADROOM,
			    UPLINK_L2_LEN);
	return parse_uint(ld, n, base, &fits);
}

/* ports.NAME.zero-copy-queues of an uplink: the pool for queue: auto. */
static int parse_zc_pool(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	unsigned long ids[CFG_MAX_QUEUE_IDS];
	struct cfg_port *port = base;
	size_t i;
	int r;

	if (is_null(n) || (n->type == YAML_SEQUENCE_NODE && !n_items(n)))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad_key(ld, n, k, "a list of queue ids such as [2, 3]");
	r = parse_queue_ids(ld, n, ids);
	if (r)
		return r;
	for (i = 0; i < n_items(n); i++)
		port->zc_pool |= 1ull << ids[i];
	return 0;
}

/* ports.NAME.zero-copy.queue of a VM: a queue id or auto. */
static int parse_zc_queue(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_port *port = base;
	unsigned long v;

	(void)k;
	if (text(n) && !strcmp(text(n), "auto")) {
		port->zc_queue = CFG_ZC_AUTO;
		return 0;
	}
	if (!to_ulong(text(n), 0, CFG_MAX_QUEUE_IDS - 1, &v))
		return bad(ld, n, "auto or a queue id 0..63");
	port->zc_queue = (int)v;
	return 0;
}

static int parse_zero_copy(struct loader *ld, yaml_node_t *n, void *base, const struct key *k);

/* lo and hi in MiB */
#define SIZE_KEY(type, field, key, lo, hi)                                                         \
	{                                                                                          \
		.name = key, .parse = parse_size, .off = offsetof(type, field),                    \
		.size = FIELD_SIZE(type, field), .min = lo, .max = hi,                             \
	}
#define MODE_KEY(type, field, key)                                                                 \
	{ .name = key, .parse = parse_mode, .off = offsetof(type, field) }
#define GROUP_KEY(type, field, key)                                                                \
	{ .name = key, .parse = parse_group, .off = offsetof(type, field) }

/* Every port type has this key; parse_port reads it before the others. */
#define PORT_TYPE_KEY ENUM_KEY(struct cfg_port, type, "type", port_type_words)

#define MAX_MACS_KEY                                                                               \
	{                                                                                          \
		.name = "max-macs", .parse = parse_uint,                                           \
		.off = offsetof(struct cfg_port, max_macs),                                        \
		.size = FIELD_SIZE(struct cfg_port, max_macs), .min = 0, .max = 65536,             \
		.note = "0: no limit",                                                             \
	}

static const struct key port_type_key = PORT_TYPE_KEY;

static const struct key vhost_user_keys[] = {
	PORT_TYPE_KEY,
	{ .name = "socket", .parse = parse_port_socket, .required = true },
	ENUM_KEY(struct cfg_port, mode, "mode", vu_mode_words),
	UINT_KEY(struct cfg_port, vlan, "vlan", 0, VLAN_MAX),
	UINT_KEY(struct cfg_port, mtu, "mtu", 68, 65535),
	{
		.name = "queues",
		.parse = parse_uint,
		.off = offsetof(struct cfg_port, queues),
		.size = FIELD_SIZE(struct cfg_port, queues),
		.min = 1,
		.max = VU_MAX_QUEUE_PAIRS,
		.note = "the number of queue pairs offered to the VM; "
			"all or a list of queue ids is for uplinks",
	},
	MAX_MACS_KEY,
	/* 64M..64T */
	SIZE_KEY(struct cfg_port, max_guest_memory, "max-guest-memory", 64, 64ul << 20),
	BOOL_KEY(struct cfg_port, offloads, "offloads"),
	BOOL_KEY(struct cfg_port, packed_ring, "packed-ring"),
	BOOL_KEY(struct cfg_port, migration, "migration"),
	BOOL_KEY(struct cfg_port, in_order, "in-order"),
	{ .name = "zero-copy", .parse = parse_zero_copy },
	{ .name = "firewall", .parse = cfg_fw_parse_port },
	{ .name = "anti-spoofing",
	  .parse = cfg_fw_parse_spoof,
	  .off = offsetof(struct cfg_port, spoof) },
};

static const struct key zero_copy_keys[] = {
	{
		.name = "uplink",
		.parse = parse_name,
		.off = offsetof(struct cfg_port, zc_uplink),
		.size = FIELD_SIZE(struct cfg_port, zc_uplink),
		.required = true,
	},
	{ .name = "queue", .parse = parse_zc_queue },
	ENUM_KEY(struct cfg_port, zc_tx, "tx", zc_tx_words),
};

static const struct section zero_copy_section = SECTION(zero_copy_keys);

/* ports.NAME.zero-copy of a VM: { uplink, queue }; checked against the
 * uplink once every port is read (check_zero_copy). */
static int parse_zero_copy(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_port *port = base;
	int r;

	(void)k;
	if (is_null(n) || n->type != YAML_MAPPING_NODE)
		return bad(ld, n, "a mapping {uplink: NAME, queue: N or auto}");
	port->zc_queue = CFG_ZC_AUTO;
	r = walk_map(ld, n, port, &zero_copy_section);
	if (r)
		return r;
	port->zero_copy = true;
	port->zc_line = line_of(n);
	return 0;
}

/* frame-size before mtu, which must fit in a frame. */
static const struct key uplink_keys[] = {
	PORT_TYPE_KEY,
	{
		.name = "interface",
		.parse = parse_ifname,
		.size = FIELD_SIZE(struct cfg_port, ifname),
		.required = true,
	},
	{
		.name = "queues",
		.parse = parse_uplink_queues,
		.note = "an uplink uses the NIC's own receive queues, all or some; "
			"a number of queue pairs is for vhost-user ports",
	},
	ENUM_KEY(struct cfg_port, xdp_mode, "xdp-mode", xdp_mode_words),
	UINT_KEY(struct cfg_port, busy_poll_budget, "busy-poll", 0, 1024),
	UINT_KEY(struct cfg_port, busy_poll_us, "busy-poll-us", 1, 10000),
	BOOL_KEY(struct cfg_port, host_flood, "host-flood"),
	BOOL_KEY(struct cfg_port, host_unknown, "host-unknown"),
	BOOL_KEY(struct cfg_port, multi_buffer, "multi-buffer"),
	POW2_KEY(struct cfg_port, ring_size, "ring-size", 64, 16384),
	POW2_KEY(struct cfg_port, frame_size, "frame-size", 2048, 4096),
	{
		.name = "mtu",
		.parse = parse_uplink_mtu,
		.off = offsetof(struct cfg_port, mtu),
		.size = FIELD_SIZE(struct cfg_port, mtu),
		.min = 68,
		.max = 65535,
	},
	MAX_MACS_KEY,
	{
		.name = "zero-copy-queues",
		.parse = parse_zc_pool,
		.note = "queues VMs with zero-copy: { queue: auto } take, one each",
	},
	{ .name = "vlan",
	  .why = "an uplink has no vlan: it is a trunk, frames keep their VLAN tags; "
		 "untagged is VLAN 0" },
	{ .name = "firewall",
	  .why = "rule sets are for VM ports: traffic between a VM and the uplink is judged "
		 "at the VM's port (to-vm, from-vm)" },
	{ .name = "anti-spoofing",
	  .why = "anti-spoofing is for VM ports: it checks what a VM sends" },
};

static void vhost_user_defaults(struct cfg_port *p)
{
	p->mode = CFG_VU_SERVER;
	p->queues = 1;
	p->max_macs = 64;
	p->max_guest_memory = 128ull << 30;
	p->offloads = true;
	p->in_order = true;
}

static void uplink_defaults(struct cfg_port *p)
{
	p->all_queues = true;
	p->xdp_mode = CFG_XDP_AUTO;
	p->busy_poll_budget = 0;
	p->busy_poll_us = 20;
	p->host_flood = true;
	p->host_unknown = true;
	p->multi_buffer = true;
	p->ring_size = 2048;
	p->frame_size = 4096;
	p->max_macs = 0;
}

/* Indexed by enum cfg_port_type; a port's other fields stay zero. */
static const struct port_kind {
	struct section keys;
	void (*defaults)(struct cfg_port *p);
} port_kinds[] = {
	[CFG_PORT_VHOST_USER] = { SECTION(vhost_user_keys), vhost_user_defaults },
	[CFG_PORT_UPLINK] = { SECTION(uplink_keys), uplink_defaults },
};

/* Before the type is known. */
static void port_defaults(struct cfg_port *p)
{
	memset(p, 0, sizeof(*p));
	p->mtu = 1500;
}

/* A key of another port type: say whose it is, not just "unknown key". */
static int other_types_key(struct loader *ld, const yaml_node_t *n, enum cfg_port_type type)
{
	const yaml_node_pair_t *p;
	const char *name;
	yaml_node_t *kn;
	size_t t, mark;
	int r;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		r = child(ld, p->key, &kn);
		if (r)
			return r;
		name = text(kn);
		if (!name || find_key(&port_kinds[type].keys, name) < port_kinds[type].keys.n_keys)
			continue;
		for (t = 0; t < ARRAY_SIZE(port_kinds); t++) {
			if (find_key(&port_kinds[t].keys, name) == port_kinds[t].keys.n_keys)
				continue;
			mark = path_key(ld, name);
			r = fail(ld, line_of(kn),
				 "only ports of type %s have this key (this one is type: %s)",
				 port_type_words[t], port_type_words[type]);
			path_pop(ld, mark);
			return r;
		}
	}
	return 0;
}

/* ports.NAME: the type first, as it says which other keys exist. */
static int parse_port(struct loader *ld, yaml_node_t *n, struct cfg_port *port)
{
	const yaml_node_pair_t *p, *type = NULL;
	yaml_node_t *kn, *vn;
	const char *name;
	size_t mark;
	int r;

	if (is_null(n))
		return fail(ld, line_of(n), "missing required key \"type\"");
	if (n->type != YAML_MAPPING_NODE)
		return bad(ld, n, "a mapping");
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && !type; p++) {
		r = child(ld, p->key, &kn);
		if (r)
			return r;
		name = text(kn);
		if (name && !strcmp(name, "type"))
			type = p;
	}
	if (!type)
		return fail(ld, line_of(n), "missing required key \"type\"");
	mark = path_key(ld, "type");
	r = child(ld, type->value, &vn);
	if (!r)
		r = port_type_key.parse(ld, vn, port, &port_type_key);
	path_pop(ld, mark);
	if (r)
		return r;
	port_kinds[port->type].defaults(port);
	r = other_types_key(ld, n, port->type);
	if (r)
		return r;
	return walk_map(ld, n, port, &port_kinds[port->type].keys);
}

int parse_named(struct loader *ld, yaml_node_t *n, const struct named_map *m, void *arg)
{
	const yaml_node_pair_t *p;
	yaml_node_t *kn, *vn;
	char got[QUOTE_MAX];
	const char *name;
	size_t mark;
	int old, r;

	if (is_null(n) || (n->type == YAML_MAPPING_NODE && !n_pairs(n)))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return bad(ld, n, m->what);
	if (n_pairs(n) > m->max)
		return fail(ld, line_of(n), "%zu %ss; at most %zu are supported", n_pairs(n), m->of,
			    m->max);
	r = m->alloc(ld, arg, n_pairs(n));
	if (r)
		return r;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		r = child(ld, p->key, &kn);
		if (r)
			return r;
		name = text(kn);
		if (!valid_name(name))
			return fail(ld, line_of(kn), "a %s name must be " NAME_RULE ", got %s", m->of,
				    describe(kn, got));
		old = m->taken(arg, name);
		if (old >= 0)
			return fail(ld, line_of(kn), "%s %s is defined twice (first at line %d)", m->of,
				    name, old);
		mark = path_key(ld, name);
		r = child(ld, p->value, &vn);
		if (!r)
			r = m->add(ld, arg, name, line_of(kn), vn);
		path_pop(ld, mark);
		if (r)
			return r;
	}
	return 0;
}

static int ports_alloc(struct loader *ld, void *arg, size_t n)
{
	struct cfg *c = arg;

	c->ports = calloc(n, sizeof(*c->ports));
	return c->ports ? 0 : out_of_memory(ld);
}

static int port_taken(void *arg, const char *name)
{
	const struct cfg_port *old = cfg_find_port(arg, name);

	return old ? old->line : -1;
}

static int port_add(struct loader *ld, void *arg, const char *name, int line, yaml_node_t *vn)
{
	struct cfg *c = arg;
	struct cfg_port *port = &c->ports[c->n_ports];
	int r;

	port_defaults(port);
	memcpy(port->name, name, strlen(name) + 1);
	port->line = line;
	r = parse_port(ld, vn, port);
	if (!r)
		c->n_ports++;
	return r;
}

static int parse_ports(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	static const struct named_map ports = {
		.of = "port",
		.what = "a mapping of port names to ports",
		.max = CFG_MAX_PORTS,
		.alloc = ports_alloc,
		.taken = port_taken,
		.add = port_add,
	};

	(void)k;
	return parse_named(ld, n, &ports, base);
}

/* MAC addresses: fdb.static, fdb.protected-macs, anti-spoofing (mac_of); a
 * firewall rule takes any address (mac_parse) */

/* "xx:xx:xx:xx:xx:xx" in either case into mac[], any address. */
bool mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int hi, lo;
	int i;

	if (!s || strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++) {
		if (i < 5 && s[3 * i + 2] != ':')
			return false;
		hi = (unsigned char)s[3 * i];
		lo = (unsigned char)s[3 * i + 1];
		if (!strchr("0123456789abcdefABCDEF", (int)hi) || !hi ||
		    !strchr("0123456789abcdefABCDEF", (int)lo) || !lo)
			return false;
		hi = hi <= '9' ? hi - '0' : (hi | 0x20) - 'a' + 10;
		lo = lo <= '9' ? lo - '0' : (lo | 0x20) - 'a' + 10;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* A MAC address of a machine: unicast, not all-zero. */
int mac_of(struct loader *ld, const yaml_node_t *n, uint8_t mac[6])
{
	const char *s = text(n);

	if (!mac_parse(s, mac))
		return bad(ld, n, "a MAC address such as \"52:54:00:12:34:56\"");
	if (mac[0] & 1)
		return fail(ld, line_of(n), "%s is a multicast address; must be unicast", s);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return fail(ld, line_of(n), "must not be the all-zero address");
	return 0;
}

static int parse_mac(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	return mac_of(ld, n, (uint8_t *)base + k->off);
}

/* fdb.protected-macs: distinct addresses, at most CFG_MAX_PROTECTED. */
static int parse_protected(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	int line[CFG_MAX_PROTECTED];
	struct cfg *c = base;
	yaml_node_item_t *it;
	yaml_node_t *in;
	size_t i, j, mark;
	uint8_t *mac;
	int r = 0;

	(void)k;
	if (is_null(n) || (n->type == YAML_SEQUENCE_NODE && !n_items(n)))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(ld, n, "a list of MAC addresses such as [\"02:00:5e:00:01:01\"]");
	if (n_items(n) > CFG_MAX_PROTECTED)
		return fail(ld, line_of(n), "lists %zu addresses; at most %d can be protected",
			    n_items(n), CFG_MAX_PROTECTED);

	for (i = 0, it = n->data.sequence.items.start; it < n->data.sequence.items.top; i++, it++) {
		mark = path_index(ld, i);
		mac = c->protected_macs[i];
		r = child(ld, *it, &in);
		if (!r)
			r = mac_of(ld, in, mac);
		for (j = 0; !r && j < i; j++)
			if (!memcmp(c->protected_macs[j], mac, 6))
				r = fail(ld, line_of(in),
					 "%02x:%02x:%02x:%02x:%02x:%02x is listed twice (first as "
					 "fdb.protected-macs[%zu], line %d)",
					 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], j, line[j]);
		path_pop(ld, mark);
		if (r)
			return r;
		line[i] = line_of(in);
		c->n_protected++;
	}
	return 0;
}

/* Static FDB entries */

static int parse_static_port(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_fdb_static *e = base;
	int r = parse_name(ld, n, base, k);

	if (r)
		return r;
	if (!cfg_find_port(ld->c, e->port))
		return fail(ld, line_of(n), "no port named %s in ports", e->port);
	return 0;
}

/* VM ports are access ports: an entry on another VLAN would send that
 * VLAN's frames to a port that must never see them. An uplink is a trunk:
 * any VLAN. */
static int parse_static_vlan(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg_fdb_static *e = base;
	const struct cfg_port *port = cfg_find_port(ld->c, e->port);
	int r = parse_uint(ld, n, base, k);

	if (r)
		return r;
	if (port && port->type != CFG_PORT_UPLINK && e->vlan != port->vlan)
		return fail(ld, line_of(n), "port %s is on vlan %u, not %u", port->name, port->vlan,
			    e->vlan);
	return 0;
}

static const struct key static_keys[] = {
	{ .name = "mac",
	  .parse = parse_mac,
	  .off = offsetof(struct cfg_fdb_static, mac),
	  .size = FIELD_SIZE(struct cfg_fdb_static, mac),
	  .required = true },
	{ .name = "port",
	  .parse = parse_static_port,
	  .off = offsetof(struct cfg_fdb_static, port),
	  .size = FIELD_SIZE(struct cfg_fdb_static, port),
	  .required = true },
	{ .name = "vlan",
	  .parse = parse_static_vlan,
	  .off = offsetof(struct cfg_fdb_static, vlan),
	  .size = FIELD_SIZE(struct cfg_fdb_static, vlan),
	  .max = VLAN_MAX },
};

static const struct section static_section = SECTION(static_keys);

static int cmp_static(const void *a, const void *b, void *arg)
{
	const struct cfg_fdb_static *s = arg;
	int i = *(const int *)a, j = *(const int *)b, r;

	if (s[i].vlan != s[j].vlan)
		return s[i].vlan < s[j].vlan ? -1 : 1;
	r = memcmp(s[i].mac, s[j].mac, sizeof(s[i].mac));
	return r ? r : i - j;
}

/* No (vlan, mac) twice; sorted, as there may be up to fdb.max-entries. */
static int check_static_dups(struct loader *ld, const struct cfg *c)
{
	const struct cfg_fdb_static *s = c->statics;
	int i, first = -1, dup = -1;
	size_t mark;
	int *order;

	if (c->n_static < 2)
		return 0;
	order = malloc((size_t)c->n_static * sizeof(*order));
	if (!order)
		return out_of_memory(ld);
	for (i = 0; i < c->n_static; i++)
		order[i] = i;
	qsort_r(order, (size_t)c->n_static, sizeof(*order), cmp_static, c->statics);
	for (i = 1; i < c->n_static; i++) {
		const struct cfg_fdb_static *x = &s[order[i - 1]], *y = &s[order[i]];

		if (x->vlan == y->vlan && !memcmp(x->mac, y->mac, sizeof(x->mac)) &&
		    (dup < 0 || order[i] < dup)) {
			first = order[i - 1];
			dup = order[i];
		}
	}
	free(order);
	if (dup < 0)
		return 0;
	mark = path_index(ld, (size_t)dup);
	fail(ld, s[dup].line, "same vlan and mac as fdb.static[%d] (line %d)", first,
	     s[first].line);
	path_pop(ld, mark);
	return -EINVAL;
}

/* No vlan given: the port's, but an uplink carries every VLAN. */
static int static_default_vlan(struct loader *ld, struct cfg_fdb_static *e)
{
	const struct cfg_port *port = cfg_find_port(ld->c, e->port);

	if (port->type == CFG_PORT_UPLINK)
		return fail(ld, e->line, "missing required key \"vlan\": port %s is an uplink, "
					 "a trunk; say which VLAN the MAC is on (0: untagged)",
			    port->name);
	e->vlan = port->vlan;
	return 0;
}

static int parse_statics(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg *c = base;
	struct cfg_fdb_static *e;
	yaml_node_item_t *it;
	yaml_node_t *en;
	size_t i, mark;
	int r = 0;

	(void)k;
	if (is_null(n) || (n->type == YAML_SEQUENCE_NODE && !n_items(n)))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(ld, n, "a list of {mac, port, vlan} entries");
	if (n_items(n) > c->fdb_max)
		return fail(ld, line_of(n), "%zu entries do not fit in fdb.max-entries (%u)",
			    n_items(n), c->fdb_max);
	c->statics = calloc(n_items(n), sizeof(*c->statics));
	if (!c->statics)
		return out_of_memory(ld);

	for (i = 0, it = n->data.sequence.items.start; it < n->data.sequence.items.top; i++, it++) {
		mark = path_index(ld, i);
		e = &c->statics[i];
		r = child(ld, *it, &en);
		if (r)
			goto pop;
		if (en->type != YAML_MAPPING_NODE) {
			r = bad(ld, en, "a mapping {mac, port, vlan}");
			goto pop;
		}
		e->vlan = VLAN_UNSET;
		e->line = line_of(en);
		r = walk_map(ld, en, e, &static_section);
		if (!r && e->vlan == VLAN_UNSET)
			r = static_default_vlan(ld, e);
pop:
		path_pop(ld, mark);
		if (r)
			return r;
		c->n_static++;
	}
	return check_static_dups(ld, c);
}

/* The schema */

static const char *const poll_words[] = {
	[CFG_POLL_ADAPTIVE] = "adaptive",
	[CFG_POLL_BUSY] = "busy",
	NULL,
};

/* switch.metrics: off (the default), on (loopback, CFG_METRICS_PORT), a
 * port (on loopback), or ADDRESS:PORT / [IPV6]:PORT. */
static int parse_metrics(struct loader *ld, yaml_node_t *n, void *base, const struct key *k)
{
	struct cfg *c = base;
	const char *s = text(n), *colon;
	char addr[INET6_ADDRSTRLEN + 2];
	unsigned char bin[16];
	unsigned long port = CFG_METRICS_PORT;
	size_t alen;

	if (!s || !*s)
		goto bad;
	if (!strcmp(s, "off") || !strcmp(s, "false") || !strcmp(s, "no")) {
		c->metrics_on = false;
		return 0;
	}
	snprintf(c->metrics_addr, sizeof(c->metrics_addr), "127.0.0.1");
	if (!strcmp(s, "on") || !strcmp(s, "true") || !strcmp(s, "yes"))
		goto on;
	if (strspn(s, "0123456789") == strlen(s)) {
		if (!to_ulong(s, 1, 65535, &port))
			goto bad;
		goto on;
	}
	colon = strrchr(s, ':');
	if (!colon || !to_ulong(colon + 1, 1, 65535, &port))
		goto bad;
	alen = (size_t)(colon - s);
	if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
		s++;
		alen -= 2;
	}
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
		goto bad;
	snprintf(c->metrics_addr, sizeof(c->metrics_addr), "%s", addr);
on:
	c->metrics_on = true;
	c->metrics_port = (uint16_t)port;
	return 0;
bad:
	return bad_key(ld, n, k, "off, on, a port, or ADDRESS:PORT such as 127.0.0.1:9478 or [::1]:9478");
}

static const struct key switch_keys[] = {
	STRING_KEY(struct cfg, name, "name", parse_name),
	ENUM_KEY(struct cfg, log_level, "log-level", log_level_names),
	STRING_KEY(struct cfg, control_socket, "control-socket", parse_sock_path),
	GROUP_KEY(struct cfg, control_socket_gid, "control-socket-group"),
	MODE_KEY(struct cfg, control_socket_mode, "control-socket-mode"),
	STRING_KEY(struct cfg, socket_dir, "socket-dir", parse_dir),
	GROUP_KEY(struct cfg, socket_gid, "socket-group"),
	MODE_KEY(struct cfg, socket_mode, "socket-mode"),
	{ .name = "metrics", .parse = parse_metrics },
};

static const struct key datapath_keys[] = {
	{ .name = "cpus", .parse = parse_cpus },
	ENUM_KEY(struct cfg, poll, "poll", poll_words),
	UINT_KEY(struct cfg, idle_us, "idle-us", 1, 1000000),
	UINT_KEY(struct cfg, max_nap_us, "max-nap-us", 0, 10000),
};

/* static after max-entries: it checks its size against it. */
static const struct key fdb_keys[] = {
	UINT_KEY(struct cfg, fdb_aging_s, "aging", 0, 1000000),
	UINT_KEY(struct cfg, fdb_max, "max-entries", 16, 1048576),
	{ .name = "static", .parse = parse_statics },
	{ .name = "protected-macs", .parse = parse_protected },
};

static const struct section switch_section = SECTION(switch_keys);
static const struct section datapath_section = SECTION(datapath_keys);
static const struct section fdb_section = SECTION(fdb_keys);

/* In this order: port sockets need switch.socket-dir, fdb.static and
 * firewall.groups the ports. */
static const struct key top_keys[] = {
	SECTION_KEY("switch", switch_section),
	SECTION_KEY("datapath", datapath_section),
	{ .name = "ports", .parse = parse_ports },
	SECTION_KEY("fdb", fdb_section),
	{ .name = "firewall",
	  .parse = parse_section,
	  .sub = &cfg_fw_section,
	  .off = offsetof(struct cfg, fw) },
};

static const struct section top_section = SECTION(top_keys);

_Static_assert(ARRAY_SIZE(top_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(switch_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(datapath_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(fdb_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(vhost_user_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(uplink_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(static_keys) <= MAX_SECTION_KEYS, "MAX_SECTION_KEYS");
_Static_assert(ARRAY_SIZE(port_kinds) == ARRAY_SIZE(port_type_words) - 1, "port types");

/* Loading */

static void cfg_defaults(struct cfg *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	strcpy(c->name, "xvs0");
	c->log_level = LOG_LVL_INFO;
	strcpy(c->socket_dir, "/run/xvs");
	c->n_cpus = 1;
	for (i = 0; i < CFG_MAX_CPUS; i++)
		c->cpus[i] = -1;
	c->poll = CFG_POLL_ADAPTIVE;
	c->idle_us = 200;
	c->max_nap_us = 50;
	c->fdb_aging_s = 300;
	c->fdb_max = 16384;
	c->control_socket_gid = -1;
	c->control_socket_mode = 0660;
	c->socket_gid = -1;
	c->socket_mode = 0660;
	cfg_fw_defaults(&c->fw);
}

/* libyaml reports a bad byte by offset only; find its line. */
static int line_at_offset(const char *text, size_t len, size_t offset)
{
	size_t i;
	int line = 1;

	for (i = 0; i < offset && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

static int yaml_error(struct loader *ld, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown problem";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return out_of_memory(ld);
	case YAML_READER_ERROR:
		return fail(ld, line_at_offset(text, len, p->problem_offset),
			    "cannot read: %s (byte %zu)", problem, p->problem_offset);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
	case YAML_COMPOSER_ERROR:
		if (p->context)
			return fail(ld, (int)p->problem_mark.line + 1,
				    "syntax error: %s (column %zu; %s at line %zu)", problem,
				    p->problem_mark.column + 1, p->context,
				    p->context_mark.line + 1);
		return fail(ld, (int)p->problem_mark.line + 1, "syntax error: %s (column %zu)",
			    problem, p->problem_mark.column + 1);
	default:
		return fail(ld, (int)p->problem_mark.line + 1, "cannot parse: %s", problem);
	}
}

/* One document; a second one after "---" is refused rather than ignored. */
static int load_document(struct loader *ld, yaml_parser_t *parser, const char *text, size_t len)
{
	yaml_document_t extra;
	yaml_node_t *root;
	int r = 0;

	if (!yaml_parser_load(parser, &ld->doc))
		return yaml_error(ld, parser, text, len);
	if (!yaml_parser_load(parser, &extra)) {
		r = yaml_error(ld, parser, text, len);
		goto delete_doc;
	}
	root = yaml_document_get_root_node(&extra);
	if (root)
		r = fail(ld, line_of(root), "a second YAML document is not allowed");
	yaml_document_delete(&extra);
	if (!r)
		return 0;
delete_doc:
	yaml_document_delete(&ld->doc);
	return r;
}

/* One VM's zero-copy queue: its uplink exists and is one, the queue is
 * not one of the uplink's own and no other VM has it; auto takes the
 * lowest free queue of the pool. Explicit queues are placed before any
 * auto one (pass 0, then pass 1), so that a named queue never depends on
 * where the file lists it. */
static int zc_place(struct loader *ld, struct cfg_port *vm, int pass)
{
	struct cfg_port *up = NULL;
	uint64_t free_q;
	size_t mark;
	int i, q, r = 0;

	if (!vm->zero_copy || (pass == 0) != (vm->zc_queue != CFG_ZC_AUTO))
		return 0;
	for (i = 0; i < ld->c->n_ports; i++)
		if (!strcmp(ld->c->ports[i].name, vm->zc_uplink))
			up = &ld->c->ports[i];
	mark = path_key(ld, "ports");
	path_key(ld, vm->name);
	path_key(ld, "zero-copy");
	if (!up || up->type != CFG_PORT_UPLINK) {
		r = fail(ld, vm->zc_line, "uplink: %s is not %s", vm->zc_uplink,
			 up ? "an uplink port" : "a port in ports");
		goto pop;
	}
	/* one UMEM chunk (4096) holds the kernel's 256 bytes and mtu + 18 */
	if (vm->mtu > 4096 - 256 - 18) {
		r = fail(ld, vm->zc_line, "mtu %u is too large for zero-copy (at most %d)", vm->mtu,
			 4096 - 256 - 18);
		goto pop;
	}
	if (vm->zc_queue == CFG_ZC_AUTO) {
		/* the pool's queues no VM has yet */
		free_q = up->zc_pool;
		for (i = 0; i < ld->c->n_ports; i++) {
			const struct cfg_port *o = &ld->c->ports[i];

			if (o != vm && o->zero_copy && o->zc_queue >= 0 &&
			    !strcmp(o->zc_uplink, up->name))
				free_q &= ~(1ull << o->zc_queue);
		}
		if (!free_q) {
			r = fail(ld, vm->zc_line,
				 "queue: auto, but uplink %s has no free queue in zero-copy-queues "
				 "(line %d)%s",
				 up->name, up->line, up->zc_pool ? "" : ": it lists none");
			goto pop;
		}
		vm->zc_queue = __builtin_ctzll(free_q);
	}
	q = vm->zc_queue;
	if (!up->all_queues)
		for (i = 0; i < up->n_queue_ids; i++)
			if (up->queue_ids[i] == q) {
				r = fail(ld, vm->zc_line,
					 "queue %d is one of uplink %s's own queues (line %d): a "
					 "zero-copy queue belongs to one VM alone",
					 q, up->name, up->line);
				goto pop;
			}
	for (i = 0; i < ld->c->n_ports; i++) {
		const struct cfg_port *o = &ld->c->ports[i];

		if (o != vm && o->zero_copy && o->zc_queue == q && !strcmp(o->zc_uplink, up->name) &&
		    o < vm) {
			r = fail(ld, vm->zc_line, "queue %d of uplink %s is already port %s's (line %d)",
				 q, up->name, o->name, o->line);
			goto pop;
		}
	}
	up->zc_reserved |= 1ull << q;
pop:
	path_pop(ld, mark);
	return r;
}

/* A port with packed rings cannot offer live migration (vu_dev.c says why). */
static int check_migration(struct loader *ld)
{
	int i, r;

	for (i = 0; i < ld->c->n_ports; i++) {
		const struct cfg_port *p = &ld->c->ports[i];
		size_t mark;

		if (!p->packed_ring || !p->migration)
			continue;
		mark = path_key(ld, "ports");
		path_key(ld, p->name);
		r = fail(ld, p->line, "packed-ring and migration cannot both be on: a VM on "
				      "packed rings cannot be live-migrated yet");
		path_pop(ld, mark);
		return r;
	}
	return 0;
}

static int check_zero_copy(struct loader *ld)
{
	int pass, i, r;

	for (i = 0; i < ld->c->n_ports; i++)
		ld->c->ports[i].zc_reserved |= ld->c->ports[i].zc_pool;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < ld->c->n_ports; i++) {
			r = zc_place(ld, &ld->c->ports[i], pass);
			if (r)
				return r;
		}
	/* an uplink with a listed queue in its own pool */
	for (i = 0; i < ld->c->n_ports; i++) {
		const struct cfg_port *up = &ld->c->ports[i];
		size_t mark;
		int j;

		if (up->type != CFG_PORT_UPLINK || up->all_queues)
			continue;
		for (j = 0; j < up->n_queue_ids; j++)
			if (up->zc_pool >> up->queue_ids[j] & 1) {
				mark = path_key(ld, "ports");
				path_key(ld, up->name);
				path_key(ld, "zero-copy-queues");
				r = fail(ld, up->line, "queue %u is in both queues and zero-copy-queues",
					 up->queue_ids[j]);
				path_pop(ld, mark);
				return r;
			}
	}
	return 0;
}

static int walk_root(struct loader *ld)
{
	yaml_node_t *root;
	int r;

	r = count_refs(ld);
	if (r)
		return r;
	r = child(ld, 1, &root);
	if (r)
		return r;
	if (root->type != YAML_MAPPING_NODE)
		return fail(ld, line_of(root), "the configuration must be a mapping, got %s",
			    root->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
	r = walk_map(ld, root, ld->c, &top_section);
	if (r)
		return r;
	r = check_zero_copy(ld);
	if (r)
		return r;
	r = check_migration(ld);
	if (r)
		return r;
	r = cfg_fw_resolve(ld);
	if (r)
		return r;
	control_socket(ld->c);
	return 0;
}

int cfg_parse_text(const char *path, const char *label, const char *text, size_t len,
		   struct cfg *out, char *err, size_t errlen)
{
	struct loader ld = { .file = label ? label : path, .no_lines = label != NULL,
			     .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_node_t *root;
	struct cfg c;
	int r;

	if (err && errlen)
		err[0] = '\0';
	cfg_defaults(&c);
	ld.c = &c;
	if (strlen(path) >= sizeof(c.file))
		return file_err(&ld, -ENAMETOOLONG, "file name too long");
	strcpy(c.file, path);
	ld.cpus_conf = sysconf(_SC_NPROCESSORS_CONF);
	if (memchr(text, '\0', len))
		return file_err(&ld, -EINVAL, "cannot read: a NUL byte in the text");
	c.text = malloc(len + 1);
	if (!c.text)
		return out_of_memory(&ld);
	memcpy(c.text, text, len);
	c.text[len] = '\0';
	c.text_len = len;

	if (!yaml_parser_initialize(&parser)) {
		r = out_of_memory(&ld);
		goto free_text;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)c.text, len);
	r = load_document(&ld, &parser, c.text, len);
	if (r)
		goto delete_parser;

	root = yaml_document_get_root_node(&ld.doc);
	if (!root || is_null(root)) {
		r = file_err(&ld, -EINVAL, "empty configuration");
		goto delete_doc;
	}
	r = walk_root(&ld);
	if (r)
		cfg_free(&c); /* the text too */
	else
		*out = c;
	free(ld.refs);
delete_doc:
	yaml_document_delete(&ld.doc);
delete_parser:
	yaml_parser_delete(&parser);
	if (!r)
		return 0;
free_text:
	free(c.text);
	c.text = NULL;
	return r;
}

int cfg_load(const char *path, struct cfg *out, char *err, size_t errlen)
{
	struct loader ld = { .file = path, .err = err, .errlen = errlen };
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	struct stat st;
	FILE *f;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (strlen(path) >= sizeof(((struct cfg *)0)->file))
		return file_err(&ld, -ENAMETOOLONG, "file name too long");
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		return file_err(&ld, r, "cannot open: %s", strerror(-r));
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		r = file_err(&ld, -EISDIR, "cannot open: %s", strerror(EISDIR));
		goto close_file;
	}
	/* the whole file, bounded: it is kept as the running text (cfg.text) */
	for (;;) {
		size_t n;

		if (len == cap) {
			if (cap >= CFG_TEXT_MAX) {
				r = file_err(&ld, -EFBIG, "larger than %d MiB", CFG_TEXT_MAX >> 20);
				goto free_buf;
			}
			cap = cap ? 2 * cap : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				r = out_of_memory(&ld);
				goto free_buf;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		r = file_err(&ld, -EIO, "cannot read: %s", strerror(errno));
		goto free_buf;
	}
	r = cfg_parse_text(path, NULL, buf ? buf : "", len, out, err, errlen);
free_buf:
	free(buf);
close_file:
	fclose(f);
	return r;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	free(c->ports);
	c->ports = NULL;
	c->n_ports = 0;
	free(c->statics);
	c->statics = NULL;
	c->n_static = 0;
	free(c->text);
	c->text = NULL;
	c->text_len = 0;
	cfg_fw_free(c);
}

const struct cfg_port *cfg_find_port(const struct cfg *c, const char *name)
{
	int i;

	if (!c || !name)
		return NULL;
	for (i = 0; i < c->n_ports; i++)
		if (!strcmp(c->ports[i].name, name))
			return &c->ports[i];
	return NULL;
}

bool cfg_mac_parse(const char *s, uint8_t mac[6])
{
	return mac_parse(s, mac);
}
