#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# The forwarder's hot path in one process (tools/bench/xvs-hotpath): every
# frame arrives, and the instructions per frame under callgrind stay within
# 10% of tools/bench/hotpath.baseline — a regression guard that does not
# depend on the machine's speed or load.

load lib/common

# forwards "OPTS" FRAMES SIZE...: xvs-hotpath OPTS forwards all FRAMES of
# each size (it exits 1 if any frame was lost or judged otherwise)
forwards() {
	local opts=$1 n=$2 s
	shift 2
	for s in "$@"; do
		run "$XVS_BIN/xvs-hotpath" $opts -n "$n" -s "$s"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ $output == "frames=$n size=$s "* ]]
	done
}

@test "xvs-hotpath forwards every frame VM to VM (64, 512 and 1518-byte frames)" {
	forwards "" 200000 60 508 1514
}

@test "xvs-hotpath -p: every frame VM to VM on packed rings (64 and 1518-byte frames)" {
	forwards -p 200000 60 1514
}

@test "xvs-hotpath -f: every frame through the bench's firewall, judged both ways as one connection" {
	forwards -f 100000 60 1514
}

@test "xvs-hotpath -f -F 256: 256 connections taking turns, each opened by the rule once, then established" {
	forwards "-f -F 256" 100000 60
}

@test "xvs-hotpath refuses bad sizes and flow counts" {
	run "$XVS_BIN/xvs-hotpath" -s 59
	[ "$status" -eq 2 ]
	[[ $output == *"-s: a frame size 60..2036"* ]]
	run "$XVS_BIN/xvs-hotpath" -F 257
	[ "$status" -eq 2 ]
	[[ $output == *"-F: a number of flows 1..256"* ]]
}

@test "instructions per frame on the hot path: within 10% of the baseline" {
	require_cmd valgrind
	run "$XVS_ROOT/tools/bench/hotpath.sh" --check
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'ir_per_frame=[0-9]* baseline=[0-9]' <<<"$output")" -eq 8 ]
	grep -q '^size=60f ir_per_frame=' <<<"$output"
	grep -q '^size=60p ir_per_frame=' <<<"$output"
	grep -q '^size=60m ir_per_frame=' <<<"$output"
}
