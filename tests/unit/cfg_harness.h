/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the configuration loader's tests share (test_config.c,
 * test_config_fw.c): a scratch file to load, the check that a bad file
 * fails with the expected message and leaves *out exactly as it was, and
 * truncated and corrupted copies of a good one.
 *
 * Each test binary runs its group with cfg_setup/cfg_teardown: the file is
 * DIR/xvs.yaml, so that errors read ".../xvs.yaml:LINE: KEY: ...".
 */
#ifndef XVS_TESTS_CFG_HARNESS_H
#define XVS_TESTS_CFG_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/config.h"

static char dir[64];
static char file[128]; /* dir/xvs.yaml */

/* A config that must fail with an error containing want. */
struct bad {
	const char *yaml;
	const char *want;
};

static inline int cfg_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/xvs-test-config.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/xvs.yaml", dir);
	return 0;
}

static inline int cfg_teardown(void **state)
{
	(void)state;
	unlink(file);
	return rmdir(dir);
}

static inline void write_bytes(const char *data, size_t len)
{
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline int load(const char *yaml, struct cfg *c, char *err, size_t errlen)
{
	write_bytes(yaml, strlen(yaml));
	return cfg_load(file, c, err, errlen);
}

static inline void load_ok(const char *yaml, struct cfg *c)
{
	char err[512];
	int r = load(yaml, c, err, sizeof(err));

	if (r)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(r, 0);
}

/* Fill with a pattern: a failed load must leave *out exactly as it was. */
static inline void poison(struct cfg *c)
{
	memset(c, 0x5a, sizeof(*c));
}

static inline bool poisoned(const struct cfg *c)
{
	const unsigned char *p = (const unsigned char *)c;
	size_t i;

	for (i = 0; i < sizeof(*c); i++)
		if (p[i] != 0x5a)
			return false;
	return true;
}

static inline bool expect_error(const char *yaml, size_t len, const char *want)
{
	char err[512];
	struct cfg c;
	int r;

	write_bytes(yaml, len);
	poison(&c);
	r = cfg_load(file, &c, err, sizeof(err));
	if (r == 0) {
		print_error("loaded, but should fail with: %s\n--\n%s--\n", want, yaml);
		cfg_free(&c);
		return false;
	}
	if (r != -EINVAL || !strstr(err, want) || strncmp(err, file, strlen(file)) ||
	    !poisoned(&c)) {
		print_error("r=%d err: %s\nwant: %s\n--\n%s--\n", r, err, want, yaml);
		return false;
	}
	return true;
}

/* Every entry of a table of bad configs; the number that did not fail as expected. */
static inline size_t expect_errors(const struct bad *b, size_t n)
{
	size_t i, failed = 0;

	for (i = 0; i < n; i++)
		if (!expect_error(b[i].yaml, strlen(b[i].yaml), b[i].want))
			failed++;
	return failed;
}

/* A file of the source tree: $XVS_TOP/rel, or found from this file's path. */
static inline const char *source_path(char *buf, size_t size, const char *rel)
{
	const char *top = getenv("XVS_TOP");
	const char *me = __FILE__, *cut = strstr(me, "tests/unit/");

	if (top)
		snprintf(buf, size, "%s/%s", top, rel);
	else
		snprintf(buf, size, "%.*s%s", cut ? (int)(cut - me) : 0, me, rel);
	return buf;
}

/*
 * Every prefix of a full config, and every byte of it replaced by a few
 * troublemakers: each load either succeeds or fails with a message naming
 * the file. The fuzz harness goes further; this keeps the basics in CI.
 */
static inline void mangle(const char *base)
{
	static const char evil[] = { '\0', '\n', ' ', '\t', '[', '{', ':', '-', '*', '&', '"',
				     '\'', '#', '?', '|', '!', '\\', '\xff', '\xc3' };
	size_t len = strlen(base), i, j;
	char *buf = malloc(len), err[512];
	struct cfg c;
	int r;

	assert_non_null(buf);
	for (i = 0; i <= len; i++) {
		write_bytes(base, i);
		r = cfg_load(file, &c, err, sizeof(err));
		/* the whole of it is a good config: else nothing here is tested */
		if (i == len && r)
			fail_msg("the config to mangle does not load: %s", err);
		if (!r)
			cfg_free(&c);
		else
			assert_int_equal(strncmp(err, file, strlen(file)), 0);
	}
	for (i = 0; i < len; i++) {
		for (j = 0; j < sizeof(evil); j++) {
			memcpy(buf, base, len);
			buf[i] = evil[j];
			write_bytes(buf, len);
			r = cfg_load(file, &c, err, sizeof(err));
			if (!r)
				cfg_free(&c);
			else
				assert_int_equal(strncmp(err, file, strlen(file)), 0);
		}
	}
	free(buf);
}

#endif /* XVS_TESTS_CFG_HARNESS_H */
