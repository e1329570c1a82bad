#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# A front-end that lies (tools/xvs-vufront --evil) breaks only its own port:
# xvsd stays up, disconnects it, counts it (broken=), logs it, and traffic
# between two other ports carries on.
#
#   xvs-vufront --evil MODE ── port evil ┐
#   xvs-vufront (sender)    ── port g1   ┼─ xvsd
#   xvs-vufront (receiver)  ── port g2   ┘
#
# On split rings; vhost_robustness_packed.bats (a link to this file) runs
# it on packed rings (VF_RING, lib/vfring.bash).

load lib/common
load lib/xvsd
load lib/vfring

G2_MAC=02:00:00:00:00:02
# The receiver may wait for the CPU on this 2-core machine: a ring that
# holds a whole run (and real-time priority) keeps scheduling delays from
# looking like switch losses; the switch counts real ones (tx_drop_no_buf).
RX_OPTS=(--ring-size 4096)

receiver() {
	chrt -f 10 "${VF[@]}" -c "$XVSD_DIR/g2.sock" --mac "$G2_MAC" "${RX_OPTS[@]}" "$@"
}

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root || return 0
	xvsd_dir >/dev/null
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-rob
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  evil: { type: vhost-user, socket: evil.sock$PORT_RING }
  g1: { type: vhost-user, socket: g1.sock$PORT_RING }
  g2: { type: vhost-user, socket: g2.sock$PORT_RING }
YAML
	xvsd_start "$XVSD_DIR/xvs.yaml"
}

teardown_file() {
	xvsd_stop TERM
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
}

# good_traffic N: g1 sends N frames to g2, which must receive all, intact.
good_traffic() {
	local n=$1 rx
	receiver --expect "$n" --timeout 30 >"$XVSD_DIR/rx.out" &
	rx=$!
	"${VF[@]}" -c "$XVSD_DIR/g1.sock" --mac 02:00:00:00:00:01 --dst "$G2_MAC" \
		--send "$n" --rate 20000 --delay 300
	wait "$rx" || { cat "$XVSD_DIR/rx.out"; xvsd_ctl show g2; return 1; }
	grep -q "rx_frames=$n .*rx_bad=0 rx_lost=0" "$XVSD_DIR/rx.out"
}

evil_log_lines() {
	grep -cE "warning: evil: (guest error|front-end (error|sent|message))" "$XVSD_DIR/xvsd.log" || true
}

# evil MODE [ARGS...]: the evil front-end must be disconnected, counted,
# logged (the line in EVIL_LOG), and the good ports must still work.
evil() {
	local mode=$1 b0 b1 l0 n0
	b0=$(port_field evil broken)
	l0=$(evil_log_lines)
	n0=$(wc -l <"$XVSD_DIR/xvsd.log")
	run "${VF[@]}" -c "$XVSD_DIR/evil.sock" --evil "$mode" "${@:2}" --expect-disconnect \
		--evil-wait 1000
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"backend=disconnected"* ]]
	kill -0 "$XVSD_PID"
	wait_until 5 port_is evil state down
	b1=$(port_field evil broken)
	echo "broken: $b0 -> $b1"
	[ "$b1" -eq $((b0 + 1)) ]
	# logged once, by this case
	[ "$(evil_log_lines)" -eq $((l0 + 1)) ]
	EVIL_LOG=$(tail -n +"$((n0 + 1))" "$XVSD_DIR/xvsd.log" | grep "warning: evil: ")
	good_traffic 500
}

@test "the good ports work, on the suite's ring layout" {
	local rx
	receiver --expect 2000 --timeout 30 >"$XVSD_DIR/rx.out" &
	rx=$!
	wait_until 5 port_is g2 state up
	assert_ring g2
	"${VF[@]}" -c "$XVSD_DIR/g1.sock" --mac 02:00:00:00:00:01 --dst "$G2_MAC" \
		--send 2000 --rate 20000 --delay 300
	wait "$rx" || { cat "$XVSD_DIR/rx.out"; return 1; }
	grep -q "rx_frames=2000 .*rx_bad=0 rx_lost=0" "$XVSD_DIR/rx.out"
}

@test "evil desc-oob: TX descriptor outside guest memory" { evil desc-oob; }
@test "evil desc-len-oob: descriptor crossing the end of memory" { evil desc-len-oob; }
@test "evil desc-loop: chain pointing to itself" { evil desc-loop; }
@test "evil chain-too-long: chain longer than the ring" { evil chain-too-long; }
@test "evil indirect-oob: indirect table outside memory" { evil indirect-oob; }
@test "evil indirect-bad-len: indirect length not a multiple of 16" { evil indirect-bad-len; }
@test "evil indirect-len-zero: indirect length 0" { evil indirect-len-zero; }
@test "evil indirect-nested: indirect inside indirect" { evil indirect-nested; }
@test "evil chain-too-long --no-indirect: a chain through the whole ring and on" {
	evil chain-too-long --no-indirect
	[[ $EVIL_LOG == *"descriptor chain "*"longer than "* ]]
}
@test "evil avail-idx-jump: avail index more than a ring ahead" {
	split_only "a packed ring has no avail index"
	evil avail-idx-jump
}
@test "evil avail-ring-oob: avail entry (packed: buffer id) beyond the ring" { evil avail-ring-oob; }
@test "evil avail-twice: one buffer made available twice" {
	packed_only "xvsd does not track the heads of a split ring in flight: one made available twice is taken twice"
	evil avail-twice
	[[ $EVIL_LOG == *"buffer id already in flight"* ]]
}
@test "evil indirect-next: indirect descriptor with NEXT" {
	evil indirect-next
	[[ $EVIL_LOG == *"indirect descriptor with NEXT"* ]]
}
@test "evil desc-addr-wrap: descriptor address + length past 2^64" {
	evil desc-addr-wrap
	[[ $EVIL_LOG == *"descriptor address wraps around"* ]]
}
@test "evil ring-addr-misaligned: descriptor table not 16-byte aligned" {
	evil ring-addr-misaligned
	[[ $EVIL_LOG == *"ring address misaligned"* ]]
}
@test "evil vring-base-oob: SET_VRING_BASE beyond the ring" {
	evil vring-base-oob
	[[ $EVIL_LOG == *"SET_VRING_BASE beyond "* ]]
}
@test "evil tx-desc-writeonly: write-only TX descriptor" { evil tx-desc-writeonly; }
@test "evil ring-addr-oob: rings outside every region" { evil ring-addr-oob; }
@test "evil ring-size-not-pow2: ring size 1000" { evil ring-size-not-pow2; }
@test "evil ring-size-huge: ring size 65536" { evil ring-size-huge; }
@test "evil too-many-regions: 9 memory regions" { evil too-many-regions; }
@test "evil region-fd-count: 2 regions, 1 fd" { evil region-fd-count; }
@test "evil bad-msg-size: SET_VRING_NUM of 4 bytes" { evil bad-msg-size; }
@test "evil oversized-msg: 4096-byte message" { evil oversized-msg; }
@test "evil stray-fds: GET_FEATURES with an fd" { evil stray-fds; }
@test "evil bad-queue-index: vring 200" { evil bad-queue-index; }
@test "evil unknown-request: request 99" { evil unknown-request; }

@test "evil wrap-lie: the first descriptor under the other lap's wrap counter: nothing taken" {
	packed_only "wrap counters"
	local b0
	b0=$(port_field evil broken)
	run "${VF[@]}" -c "$XVSD_DIR/evil.sock" --evil wrap-lie --expect-disconnect=no --evil-wait 1000
	echo "$output"
	[ "$status" -eq 0 ]
	# the device stops at the first descriptor not available: none is
	# taken, so none is used
	[[ $output == *"backend=alive"*"tx_used=0 "* ]]
	[ "$(port_field evil broken)" -eq "$b0" ]
	good_traffic 500
}

@test "evil rx-desc-readonly: read-only receive buffers, found when a frame arrives" {
	local b0 pid
	b0=$(port_field evil broken)
	"${VF[@]}" -c "$XVSD_DIR/evil.sock" --evil rx-desc-readonly --expect-disconnect \
		--evil-wait 4000 >"$XVSD_DIR/evil.out" &
	pid=$!
	wait_until 5 port_is evil state up
	assert_ring evil
	# a broadcast from g1 is flooded into the evil port's RX ring
	"${VF[@]}" -c "$XVSD_DIR/g1.sock" --send 10 --rate 1000 >/dev/null
	wait "$pid" || { cat "$XVSD_DIR/evil.out"; false; }
	grep -q "backend=disconnected" "$XVSD_DIR/evil.out"
	[ "$(port_field evil broken)" -eq $((b0 + 1)) ]
	grep -q "receive buffer is not device-writable" "$XVSD_DIR/xvsd.log"
	good_traffic 500
}

@test "violations during traffic do not disturb the other ports" {
	local n=60000 rx tx m ring_mode=avail-idx-jump
	# packed: an id beyond the ring (avail-twice would first send a good
	# frame, from g1's address with a sequence number g2 counts)
	[ "$VF_RING" = split ] || ring_mode=avail-ring-oob
	receiver --expect "$n" --timeout 40 >"$XVSD_DIR/rx.out" &
	rx=$!
	"${VF[@]}" -c "$XVSD_DIR/g1.sock" --dst "$G2_MAC" --send "$n" --rate 10000 --delay 300 \
		>"$XVSD_DIR/tx.out" &
	tx=$!
	for m in desc-oob desc-loop indirect-nested $ring_mode stray-fds oversized-msg \
		too-many-regions ring-size-huge; do
		"${VF[@]}" -c "$XVSD_DIR/evil.sock" --evil "$m" --expect-disconnect --evil-wait 300
	done
	wait "$tx"
	wait "$rx" || { cat "$XVSD_DIR/rx.out"; xvsd_ctl show; false; }
	cat "$XVSD_DIR/rx.out"
	grep -q "rx_frames=$n .*rx_bad=0 rx_lost=0" "$XVSD_DIR/rx.out"
	[ "$(port_field g1 broken)" = 0 ]
	[ "$(port_field g2 broken)" = 0 ]
}

# A packed ring that stops at position 0 of a new lap (wrap 1) with chains
# of two descriptors in it, and starts again at the base GET_VRING_BASE
# gave: that base is where the ring stopped, not QEMU's stale one after a
# back-end crash. Reading the ring instead took the tail of a used chain
# for a new frame (a 9th frame of 8, and a used entry the driver never
# offered).
@test "a packed ring stopped at position 0, wrap 1, starts where GET_VRING_BASE said" {
	packed_only "packed ring positions"
	local p0 r0
	p0=$(queue_field g1 0 rx_packets)
	r0=$(port_field g1 ring_resumes)
	# frames for g1 to receive after its restart, from g2
	"${VF[@]}" -c "$XVSD_DIR/g2.sock" --mac "$G2_MAC" --dst 02:00:00:00:00:01 \
		--send 1000 --rate 200 >/dev/null &
	run "${VF[@]}" -c "$XVSD_DIR/g1.sock" --mac 02:00:00:00:00:01 --dst "$G2_MAC" \
		--ring-size 8 --tx-layout split --send 8 --zc-cycle ring-stop --zc-every 500
	wait
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"cycles=1 cycle_err=0"* ]]
	[ "$(port_field g1 ring_resumes)" -eq "$r0" ]
	[ "$(queue_field g1 0 rx_packets)" -eq $((p0 + 8)) ]
	good_traffic 500
}
