#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# The bats helpers themselves (lib/common.bash), where a wrong helper
# would make other tests wrong: no guests, no root needed.

load lib/common

@test "wait_until: bounded by wall time, also with a slow command" {
	SECONDS=0
	# half a second per try: counting tries of 0.1 s, 1 s would last ~6 s
	run wait_until 1 sh -c 'sleep 0.5; false'
	echo "$output ($SECONDS s)"
	[ "$status" -eq 1 ]
	[[ $output == *"still failing after 1s"* ]]
	[ "$SECONDS" -le 3 ]
}

@test "wait_until: returns as soon as the command succeeds" {
	local f=$BATS_TEST_TMPDIR/flag
	(sleep 0.3; touch "$f") &
	SECONDS=0
	run wait_until 10 test -e "$f"
	[ "$status" -eq 0 ]
	[ "$SECONDS" -le 2 ]
}
