// SPDX-License-Identifier: GPL-2.0-only
/*
 * src/xsk/steer.c against real interfaces in a private network namespace:
 * a veth has no ntuple filters (EOPNOTSUPP: "steering is external"), a
 * missing interface and an over-long name are errors of their own. (No
 * NIC with ntuple filters exists on the test machines: the rule's layout
 * is the kernel's UAPI, and the bats tests check what xvsd makes of the
 * answer.)
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xsk/steer.h"

static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };

static int group_setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (need root)\n", strerror(errno));
		return -1;
	}
	if (system("ip link add xst0 numrxqueues 4 numtxqueues 4 type veth peer name xst1 && "
		   "ip link set xst0 up && ip link set xst1 up")) {
		fprintf(stderr, "cannot create the test veth pair\n");
		return -1;
	}
	return 0;
}

static void veth_has_no_ntuple(void **state)
{
	uint32_t loc = 77;

	(void)state;
	assert_int_equal(steer_add("xst0", mac, 0, 2, &loc), -EOPNOTSUPP);
	assert_int_equal(steer_add("xst0", mac, 10, 2, &loc), -EOPNOTSUPP);
	assert_int_equal(loc, 77); /* untouched on failure */
	assert_int_equal(steer_del("xst0", 0), -EOPNOTSUPP);
}

static void veth_has_no_rss_table(void **state)
{
	uint32_t *saved = (uint32_t *)1, n = 5;

	(void)state;
	assert_int_equal(steer_rss_exclude("xst0", 1ull << 2, 4, &saved, &n), -EOPNOTSUPP);
	assert_null(saved);
	assert_int_equal(n, 0);
	/* lending every queue is refused before asking the NIC */
	assert_int_equal(steer_rss_exclude("xst0", 0xf, 4, &saved, &n), -EINVAL);
	assert_int_equal(steer_rss_restore("xst0", NULL, 0), 0);
}

static void missing_interface(void **state)
{
	uint32_t loc;

	(void)state;
	assert_int_equal(steer_add("xst9", mac, 0, 2, &loc), -ENODEV);
	assert_int_equal(steer_add("an-interface-name-far-too-long", mac, 0, 2, &loc),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(veth_has_no_ntuple),
		cmocka_unit_test(veth_has_no_rss_table),
		cmocka_unit_test(missing_interface),
	};

	return cmocka_run_group_tests_name("steer", tests, group_setup, NULL);
}
