/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cfg: what the loader's files share (config.c, cfg_fw.c): the loader, the
 * key tables and the helpers that parse values and report errors. Not for
 * use outside src/ctl/config*.c and cfg_*.c; the rest of xvs sees config.h.
 */
#ifndef XVS_CFG_INTERNAL_H
#define XVS_CFG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "ctl/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)

#define VLAN_MAX 4094
#define MAX_SECTION_KEYS 24
#define QUOTE_MAX 64 /* a value quoted in an error message, with the NUL */
#define NAME_RULE "1 to 31 characters from A-Z a-z 0-9 _ -"

struct loader {
	const char *file;
	bool no_lines; /* errors without FILE:LINE (an edited text) */
	yaml_document_t doc;
	int *refs; /* per node index: how many parents (> 1: an alias) */
	struct cfg *c; /* being filled */
	char path[160]; /* dotted key of the value being parsed */
	size_t path_len;
	char *err;
	size_t errlen;
	long cpus_conf; /* CPUs of this machine, or -1 if unknown */
	/* ports.NAME.firewall by port index: it names rule sets, which may
	 * come later in the file; read once the file is (cfg_fw_resolve) */
	yaml_node_t *fw_node[CFG_MAX_PORTS];
};

struct key;
/* Parse value n into the struct at base (the field is at base + k->off). */
typedef int key_parse_fn(struct loader *ld, yaml_node_t *n, void *base, const struct key *k);

struct section {
	const struct key *keys;
	size_t n_keys;
};

struct key {
	const char *name;
	key_parse_fn *parse;
	size_t off; /* of the field in the struct being filled */
	size_t size; /* of that field */
	unsigned long min, max; /* integers; sizes: in MiB */
	const char *const *words; /* enums: the spelling of each value, NULL-terminated */
	const struct section *sub; /* nested mappings */
	const char *note; /* appended to a "must be ..." error, in parentheses */
	const char *why; /* refused: the key is an error here, for this reason */
	bool required;
};

#define UINT_KEY(type, field, key, lo, hi)                                                         \
	{                                                                                          \
		.name = key, .parse = parse_uint, .off = offsetof(type, field),                    \
		.size = FIELD_SIZE(type, field), .min = lo, .max = hi,                             \
	}
#define ENUM_KEY(type, field, key, w)                                                              \
	{                                                                                          \
		.name = key, .parse = parse_enum, .off = offsetof(type, field),                    \
		.size = FIELD_SIZE(type, field), .words = w,                                       \
	}
#define STRING_KEY(type, field, key, fn)                                                           \
	{                                                                                          \
		.name = key, .parse = fn, .off = offsetof(type, field),                            \
		.size = FIELD_SIZE(type, field),                                                   \
	}
#define POW2_KEY(type, field, key, lo, hi)                                                         \
	{                                                                                          \
		.name = key, .parse = parse_pow2, .off = offsetof(type, field),                    \
		.size = FIELD_SIZE(type, field), .min = lo, .max = hi,                             \
	}
#define BOOL_KEY(type, field, key)                                                                 \
	{ .name = key, .parse = parse_bool, .off = offsetof(type, field) }
#define SECTION_KEY(key, sec) { .name = key, .parse = parse_section, .sub = &sec }
#define SECTION(keys) { keys, ARRAY_SIZE(keys) }

/* Errors: "FILE:LINE: KEY: message", KEY the current path; -EINVAL. */
int line_of(const yaml_node_t *n);
int __attribute__((format(printf, 3, 4))) fail(struct loader *ld, int line, const char *fmt, ...);
int out_of_memory(struct loader *ld);
const char *describe(const yaml_node_t *n, char *buf); /* buf: QUOTE_MAX */
/* "must be WHAT, got ..." (bad_key: with the key's note) */
int bad(struct loader *ld, const yaml_node_t *n, const char *what);

/* A mapping of names to entries (ports, groups, rule sets): its type and
 * size checked, room allocated once, each name valid and new, each value
 * parsed by add() with the name on the key path. */
struct named_map {
	const char *of; /* "port": "a port name must be", "3 ports; at most" */
	const char *what; /* what the mapping is, for a wrong type */
	size_t max;
	int (*alloc)(struct loader *ld, void *arg, size_t n);
	int (*taken)(void *arg, const char *name); /* the line it was defined at, or -1 */
	int (*add)(struct loader *ld, void *arg, const char *name, int line, yaml_node_t *vn);
};
int parse_named(struct loader *ld, yaml_node_t *n, const struct named_map *m, void *arg);
int bad_key(struct loader *ld, const yaml_node_t *n, const struct key *k, const char *what);

/* Paths: each returns a mark for path_pop(). */
size_t path_key(struct loader *ld, const char *name);
size_t path_index(struct loader *ld, size_t i);
void path_pop(struct loader *ld, size_t mark);

/* Nodes */
int child(struct loader *ld, int idx, yaml_node_t **out); /* refuses aliased nodes */
const char *text(const yaml_node_t *n); /* NULL: not a scalar, or has a NUL */
bool is_null(const yaml_node_t *n);
size_t n_pairs(const yaml_node_t *n);
size_t n_items(const yaml_node_t *n);

/* Mappings: every key of n known to sec, none twice; parsed in sec's order. */
int walk_map(struct loader *ld, yaml_node_t *n, void *base, const struct section *sec);

/* Values */
bool to_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
bool valid_name(const char *s);
bool mac_parse(const char *s, uint8_t mac[6]); /* any "xx:xx:xx:xx:xx:xx" */
int mac_of(struct loader *ld, const yaml_node_t *n, uint8_t mac[6]); /* unicast, not zero */
key_parse_fn parse_section, parse_uint, parse_pow2, parse_bool, parse_enum;

/* cfg_fw.c */
extern const struct section cfg_fw_section; /* firewall: */
key_parse_fn cfg_fw_parse_port; /* ports.NAME.firewall */
key_parse_fn cfg_fw_parse_spoof; /* ports.NAME.anti-spoofing */
void cfg_fw_defaults(struct cfg_fw *fw);
int cfg_fw_resolve(struct loader *ld); /* once the whole file is read */
void cfg_fw_free(struct cfg *c);

#endif /* XVS_CFG_INTERNAL_H */
