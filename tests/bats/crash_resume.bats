#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Crash resume (VU_PROTOCOL_F_INFLIGHT_SHMFD): xvsd killed with frames in
# flight, started again; the front-ends (tools/xvs-vufront --inflight, as
# QEMU does for a back-end that offers it) connect again and hand the
# region back; every frame the sender handed over arrives once.
#
#   xvs-vufront --inflight (sender)   ── port g1 ┐
#                                                 ├─ xvsd (under gdb for the kill)
#   xvs-vufront --inflight (receiver) ── port g2 ┘
#
# The kill is deterministic, with no hook in xvsd: gdb stops it the K-th
# time it reaches a place and SIGKILLs it there. Two places: its delivery
# of a frame to g2 (vq_enqueue_hdr), inside a burst of g1's frames taken
# from its ring and recorded in flight, none of this burst's published yet;
# and vu_inflight_publish between the used->idx store and the clearing of
# the batch's records (g1 saw those frames completed: sending them again
# would complete them twice; the last batch list is what prevents it).
# QEMU's virtio-net never asks for inflight (its vhost-user-net does not
# send GET_INFLIGHT_FD): no real-guest variant.

load lib/common
load lib/xvsd

G1_MAC=02:00:00:00:00:01
G2_MAC=02:00:00:00:00:02
VF=()
# a ring that holds the whole run and real-time priority for the receiver
# (TESTBED.md: a sleeping receiver on 2 cores overflows small rings)
RX_OPTS=(--ring-size 4096)

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root && require_cmd gdb || return 0
	xvsd_dir >/dev/null
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-crash
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  g1: { type: vhost-user, socket: g1.sock }
  g2: { type: vhost-user, socket: g2.sock }
YAML
	xvsd_start "$XVSD_DIR/xvs.yaml"
}

teardown_file() {
	xvsd_stop TERM
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
	VF=("$XVS_BIN/xvs-vufront")
}

teardown() {
	local p
	for p in ${BG_PIDS:-}; do
		kill "$p" 2>/dev/null || true
		kill -CONT "$p" 2>/dev/null || true
	done
	# a test that failed half-way may leave xvsd dead: the next one needs it
	xvsd_alive || xvsd_start "$XVSD_DIR/xvs.yaml"
}

receiver() {
	chrt -f 10 "${VF[@]}" -c "$XVSD_DIR/g2.sock" --mac "$G2_MAC" "${RX_OPTS[@]}" "$@"
}

# The receiver's line must show exactly n frames, in order, none twice.
rx_exact() {
	local n=$1 out=$2
	grep -q "rx_frames=$n .*rx_bad=0 rx_lost=0 rx_reordered=0 rx_dup=0" "$out" || {
		echo "receiver: $(cat "$out")"
		xvsd_ctl show
		tail -30 "$XVSD_DIR/xvsd.log"
		return 1
	}
}

@test "a front-end that does not negotiate inflight (QEMU's virtio-net) sees no change" {
	local n=2000 rx
	receiver --expect "$n" --timeout 20 >"$XVSD_DIR/rx0.out" &
	rx=$!
	BG_PIDS=$rx
	"${VF[@]}" -c "$XVSD_DIR/g1.sock" --mac "$G1_MAC" --dst "$G2_MAC" --send "$n" \
		--rate 20000 --delay 300
	wait "$rx" || { cat "$XVSD_DIR/rx0.out"; return 1; }
	rx_exact "$n" "$XVSD_DIR/rx0.out"
	# offered, not taken: no region, nothing tracked
	wait_until 5 port_is g1 state down
	[ "$(port_field g1 inflight)" = 0 ]
	[ "$(port_field g1 inflight_resubmits)" -eq 0 ]
	[ "$(port_field g1 inflight_refused)" -eq 0 ]
	! grep -q "in-flight region" "$XVSD_DIR/xvsd.log"
}

# crash_run WHERE K CHECK: g1 sends to g2 through xvsd, gdb stops xvsd the
# K-th time it reaches WHERE (a gdb location) and SIGKILLs it there, after
# printing CHECK (gdb expressions, for the caller to look at in gdb.out);
# xvsd starts again, both front-ends come back; every frame must arrive
# once.
crash_run() {
	local where=$1 k=$2 check=$3 n=3000 rx tx gdbp st pid
	pid=$(cat "$XVSD_DIR/xvsd.pid") # a test before may have restarted it
	receiver --inflight --expect "$n" --timeout 40 >"$XVSD_DIR/rx1.out" 2>"$XVSD_DIR/rx1.err" &
	rx=$!
	BG_PIDS=$rx
	wait_until 10 port_is g2 state up
	[ "$(port_field g2 inflight)" = 1 ]
	gdb -p "$pid" -batch -nx -ex 'set pagination off' -ex "break $where" \
		-ex "ignore 1 $((k - 1))" -ex continue -ex 'info breakpoints' \
		${check:+-ex "$check"} -ex "shell kill -9 $pid" </dev/null >"$XVSD_DIR/gdb.out" 2>&1 &
	gdbp=$!
	BG_PIDS="$rx $gdbp"
	wait_until 20 grep -q "^Breakpoint 1 at" "$XVSD_DIR/gdb.out"
	"${VF[@]}" -c "$XVSD_DIR/g1.sock" --mac "$G1_MAC" --dst "$G2_MAC" --send "$n" \
		--rate 20000 --inflight --tx-wait 30000 --timeout 40 \
		>"$XVSD_DIR/tx1.out" 2>"$XVSD_DIR/tx1.err" &
	tx=$!
	BG_PIDS="$rx $gdbp $tx"
	wait "$gdbp" || true
	# The sender waits until the receiver is back: a frame forwarded
	# before g2's port is up has nowhere to go (lost as on a wire, and
	# which front-end reconnects first is up to the scheduler).
	kill -STOP "$tx"
	cat "$XVSD_DIR/gdb.out"
	grep -q "already hit $k times" "$XVSD_DIR/gdb.out"
	wait_until 10 test -s "$XVSD_DIR/xvsd.status"
	st=$(cat "$XVSD_DIR/xvsd.status")
	[ "$st" = 137 ]
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_port_state g2 up 20
	kill -CONT "$tx"
	wait "$tx" || { cat "$XVSD_DIR/tx1.out" "$XVSD_DIR/tx1.err"; return 1; }
	wait "$rx" || { cat "$XVSD_DIR/rx1.out" "$XVSD_DIR/rx1.err"; return 1; }
	cat "$XVSD_DIR/tx1.out" "$XVSD_DIR/rx1.out"
	grep -q "tx_frames=$n .*reconnects=1" "$XVSD_DIR/tx1.out"
	grep -q "reconnects=1" "$XVSD_DIR/rx1.out"
	rx_exact "$n" "$XVSD_DIR/rx1.out"
	[ "$(port_field g1 inflight_refused)" -eq 0 ]
	[ "$(port_field g1 broken)" -eq 0 ]
}

@test "xvsd SIGKILLed with frames in flight: each delivered once after the restart" {
	# inside a burst of g1's frames taken and recorded, none of this
	# burst's published to g2 yet
	crash_run vq_enqueue_hdr 700 ""
	# the burst the kill interrupted was taken again from the region
	[ "$(port_field g1 inflight_resubmits)" -ge 1 ]
	grep -q "taken again" "$XVSD_DIR/xvsd.log"
}

@test "xvsd SIGKILLed between publishing used entries and clearing their records: none sent twice" {
	# vu_inflight_publish after the used->idx store: the batch's frames
	# reached g2 and g1 saw them completed, their records still say in
	# flight; the last batch list tells the restart to clear them
	crash_run "vu_inflight.c:$(grep -n 'if (id <= mask)' "$XVS_ROOT/src/vhost/vu_inflight.c" | cut -d: -f1)" \
		40 'printf "ring used %u, record used %u\n", vq->used->idx, vq->ifl->used_idx'
	grep -qE "^ring used ([0-9]+), record used ([0-9]+)" "$XVSD_DIR/gdb.out"
	# the store was made, the records not cleared: the kill was in between
	! grep -qE "^ring used ([0-9]+), record used \1$" "$XVSD_DIR/gdb.out"
}
