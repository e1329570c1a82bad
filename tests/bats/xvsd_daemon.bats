#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# xvsd as a daemon, without guests: config validation before anything is
# touched, worker pinning, reload, single instance, clean exit.

load lib/common
load lib/xvsd

setup() {
	require_root
	[ -x "$XVS_BIN/xvsd" ] || { echo "build/bin/xvsd missing: run make" >&2; return 1; }
	XVSD_DIR=$(mktemp -d /tmp/xvs-dmn.XXXXXX)
	export XVSD_DIR
}

teardown() {
	xvsd_stop KILL || true
	rm -rf "$XVSD_DIR"
}

# config [PORTS-YAML] [DATAPATH-YAML]
config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-dmn
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR/socks
${2:-}
ports:
${1:-  a: { type: vhost-user, socket: a.sock \}}
YAML
}

@test "--check accepts the shipped example configs" {
	for f in "$XVS_ROOT"/config/xvs.yaml "$XVS_ROOT"/config/examples/*.yaml; do
		run "$XVS_BIN/xvsd" --check -c "$f"
		echo "$f: $output"
		[ "$status" -eq 0 ]
	done
}

@test "a config error names file, line and key, and nothing is touched" {
	config "  a: { type: vhost-user, socket: a.sock }
  b:
    type: vhost-user
    socket: b.sock
    vlan: 5000"
	run "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"xvs.yaml:11: ports.b.vlan:"* ]]
	[ ! -e "$XVSD_DIR/socks" ]
	[ ! -e "$XVSD_DIR/xvs.ctl" ]
}

@test "a missing config file is a clear error" {
	run "$XVS_BIN/xvsd" -c "$XVSD_DIR/nope.yaml"
	[ "$status" -eq 1 ]
	[[ $output == *"nope.yaml: cannot open"* ]]
}

@test "usage errors exit 2" {
	run "$XVS_BIN/xvsd"
	[ "$status" -eq 2 ]
	run "$XVS_BIN/xvsd" -c "$XVSD_DIR/x.yaml" --bogus
	[ "$status" -eq 2 ]
}

@test "workers run pinned to the configured CPUs" {
	local cpu t
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	cpu=$(($(nproc) - 1))
	config "" "datapath:
  cpus: [$cpu]"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	# the main thread is free, the one worker is on $cpu
	grep -q "Cpus_allowed_list:.*[-,]" "/proc/$XVSD_PID/status" ||
		[ "$(awk '/Cpus_allowed_list/ { print $2 }' "/proc/$XVSD_PID/status")" != "$cpu" ]
	found=0
	for t in /proc/"$XVSD_PID"/task/*; do
		[ "$(awk '/Cpus_allowed_list/ { print $2 }' "$t/status")" = "$cpu" ] && found=1
	done
	[ "$found" = 1 ]
	[ "$(xvsd_ctl workers | grep -c "cpu=$cpu")" = 1 ]
}

@test "reload: a broken config keeps the running one; a good one adds and removes ports" {
	config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	[ -S "$XVSD_DIR/socks/a.sock" ]

	echo "ports: [oops" >"$XVSD_DIR/xvs.yaml"
	run xvsd_ctl reload
	[[ $output == *"reload failed"* ]]
	grep -qE "reload failed, keeping the running configuration: .*xvs.yaml:[0-9]+: syntax error" "$XVSD_DIR/xvsd.log"
	[ "$(port_field a state)" = down ]

	config "  b: { type: vhost-user, socket: b.sock }"
	kill -HUP "$XVSD_PID"
	wait_until 5 test -S "$XVSD_DIR/socks/b.sock"
	wait_until 5 test ! -e "$XVSD_DIR/socks/a.sock"
	run xvsd_ctl show
	[[ $output == *"port b "* ]]
	[[ $output != *"port a "* ]]
}

@test "a second xvsd on the same control socket is refused; the first keeps running" {
	config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	run "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"another xvsd running"* ]]
	xvsd_ctl show | grep -q "^port a "
}

@test "a port socket path taken by a regular file: error, file untouched" {
	mkdir -p "$XVSD_DIR/socks"
	echo precious >"$XVSD_DIR/socks/a.sock"
	config
	run "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"not a socket"* ]]
	[ "$(cat "$XVSD_DIR/socks/a.sock")" = precious ]
	[ ! -e "$XVSD_DIR/xvs.ctl" ]
}

@test "unknown control commands get an error" {
	config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	run xvsd_ctl frobnicate
	[[ $output == *"unknown command 'frobnicate'"* ]]
}

@test "SIGINT: clean exit 0, sockets removed" {
	config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	xvsd_stop INT
	[ "$XVSD_STATUS" = 0 ]
	[ ! -e "$XVSD_DIR/socks/a.sock" ]
	[ ! -e "$XVSD_DIR/xvs.ctl" ]
}

@test "an uplink with more queues than sockets an uplink takes: clear error, nothing attached" {
	ip link add xvsq65a numtxqueues 65 numrxqueues 65 type veth peer name xvsq65b
	ip link set xvsq65a up
	ip link set xvsq65b up
	config "  up0: { type: uplink, interface: xvsq65a, queues: all }"
	# (a timeout: an xvsd that accepted it would run in the foreground)
	run timeout 20 "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	ip link show xvsq65a >"$XVSD_DIR/link"
	ip link del xvsq65a
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"xvsq65a: 65 queues: at most 64 sockets an uplink; list the queues to use"* ]]
	[[ $(cat "$XVSD_DIR/link") != *xdp* ]]
}

# send_a_to_b RATE [N [FRONTEND-OPTION...]]: N (2000) frames from a to b at
# RATE frames/s; all must arrive. The sender's report: $XVSD_DIR/tx.out
send_a_to_b() {
	local rate=$1 n=${2:-2000} rx
	shift $(($# < 2 ? $# : 2))

	"$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/b.sock" --mac 02:00:00:00:00:0b \
		--ring-size 4096 --expect "$n" --timeout 20 "$@" >"$XVSD_DIR/rx.out" &
	rx=$!
	"$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/a.sock" --dst 02:00:00:00:00:0b \
		--send "$n" --rate "$rate" --delay 300 "$@" >"$XVSD_DIR/tx.out"
	wait "$rx" || { cat "$XVSD_DIR/rx.out"; false; }
	grep -q "rx_frames=$n .*rx_bad=0" "$XVSD_DIR/rx.out"
}

# kicks OUT-FILE: the kicks a frontend made
kicks() {
	sed -n 's/.* kicks=\([0-9]*\) .*/\1/p' "$1"
}

@test "two workers: one VM's queue pairs, and single-queue VMs, go to different workers" {
	local f0 f1
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	config "  a: { type: vhost-user, socket: a.sock, queues: 2 }
  b: { type: vhost-user, socket: b.sock, queues: 2 }
  c: { type: vhost-user, socket: c.sock }
  d: { type: vhost-user, socket: d.sock }" "datapath:
  cpus: [0, 1]"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	# what each worker polls: a's pair 0 and pair 1 apart, c and d apart
	[ "$(wfield 0 polls)" = "a:0,b:1,c:0" ]
	[ "$(wfield 1 polls)" = "a:1,b:0,d:0" ]
	send_a_to_b 100000 20000 --queues 2
	# the sender spread its frames over both pairs (the switch received
	# some on each), and each worker switched those of the pair it owns
	f0=$(wfield 0 frames)
	f1=$(wfield 1 frames)
	echo "worker 0: $f0 frames, worker 1: $f1"
	[ "$f0" -gt 0 ] && [ "$f1" -gt 0 ]
	[ "$f0" = "$(queue_field a 0 rx_packets)" ]
	[ "$f1" = "$(queue_field a 1 rx_packets)" ]
	[ $((f0 + f1)) -eq 20000 ]
}

@test "IN_ORDER: offered, negotiated by a front-end that asks; every used entry in order, through mergeable buffers and drops, split and packed" {
	local ring f rx
	config "  a: { type: vhost-user, socket: a.sock, mtu: 9000, packed-ring: true }
  b: { type: vhost-user, socket: b.sock, mtu: 9000, packed-ring: true }
  c: { type: vhost-user, socket: c.sock, in-order: false }"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	for ring in "" --packed; do
		# 3000-byte frames take two of b's receive buffers each, and its
		# 64-entry ring overflows under the unpaced sender: chains given
		# back (no room for the second buffer) and drops, all in order
		"$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/b.sock" --mac 02:00:00:00:00:0b $ring \
			--in-order --ring-size 64 --allow-loss --timeout 4 >"$XVSD_DIR/rx.out" &
		rx=$!
		sleep 0.3
		[[ $(port_field b feature_names) == *in_order* ]]
		run "$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/a.sock" --dst 02:00:00:00:00:0b $ring \
			--in-order --size 3000 --send 20000 --delay 300 --timeout 10 -v
		echo "tx: $output"
		[ "$status" -eq 0 ]
		[[ $output == *" used_order_err=0 "* ]]
		# the sender negotiated it too (bit 35)
		f=$(sed -n 's/^info: features: offered .*, negotiated \(0x[0-9a-f]*\).*/\1/p' <<<"$output")
		[ $(((f >> 35) & 1)) = 1 ]
		[ "$(queue_field b 0 tx_drop_no_buf)" -gt 0 ]
		wait "$rx" || true
		echo "rx: $(cat "$XVSD_DIR/rx.out")"
		grep -q " used_order_err=0 " "$XVSD_DIR/rx.out"
		grep -q " rx_bad=0 " "$XVSD_DIR/rx.out"
		grep -q " used_err=0 " "$XVSD_DIR/rx.out"
		[ "$(sed -n 's/.* rx_frames=\([0-9]*\) .*/\1/p' "$XVSD_DIR/rx.out")" -gt 0 ]
	done
	# a port that says in-order: false does not offer it
	run "$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/c.sock" --in-order --timeout 1 -v
	[[ $output == *"does not offer VIRTIO_F_IN_ORDER"* ]]
}

@test "busy polling: traffic flows, the worker never sleeps" {
	config "  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }" "datapath:
  poll: busy"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	[[ $(xvsd_ctl show) == *"poll=busy"* ]]
	send_a_to_b 20000
	xvsd_ctl workers | grep -q "naps=0 sleeps=0 sleeping=0"
	# every loop that moved frames is counted as busy, with its time
	[ "$(worker_field busy_loops)" -gt 0 ]
	[ "$(worker_field busy_ns)" -gt 0 ]
}

# worker_field NAME: the value of NAME=... for worker 0 in `xvsctl workers`
worker_field() {
	xvsd_ctl workers | sed -n "s/^worker 0 .* $1=\([0-9]*\).*/\1/p"
}

@test "adaptive polling: light traffic naps and loses nothing, idle sleeps, time adds up" {
	local t0 t1 sum
	config "  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }" "datapath:
  poll: adaptive
  max-nap-us: 100"
	t0=$(date +%s%N)
	xvsd_start "$XVSD_DIR/xvs.yaml"
	[[ $(xvsd_ctl show) == *"poll=adaptive idle_us=200 max_nap_us=100"* ]]
	send_a_to_b 5000
	# one frame every 200 µs: loops find less than half a burst and nap
	[ "$(worker_field naps)" -gt 0 ]
	[ "$(worker_field nap_ns)" -gt 0 ]
	[ "$(worker_field busy_loops)" -gt 0 ]
	# then nothing: the worker sleeps on kicks
	sleep 0.5
	[ "$(worker_field sleeps)" -gt 0 ]
	[ "$(worker_field sleep_ns)" -gt 0 ]
	xvsd_ctl workers
	# busy, idle, nap and sleep time cover the worker's life: no more than
	# the daemon's, and most of it
	sum=$(xvsd_ctl workers | awk '/^worker 0 / { for (i = 1; i <= NF; i++) if ($i ~ /^(busy|idle|nap|sleep)_ns=/) { split($i, kv, "="); s += kv[2] } } END { printf "%d", s }')
	t1=$(date +%s%N)
	echo "accounted $sum ns of $((t1 - t0)) ns"
	[ "$sum" -le $((t1 - t0)) ]
	[ "$sum" -ge $(((t1 - t0) / 2)) ]
}

@test "guests without EVENT_IDX do not kick a polling switch; a sleeping one they do" {
	config "  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }" "datapath:
  poll: busy"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	send_a_to_b 20000 2000 --no-event-idx
	cat "$XVSD_DIR/tx.out" "$XVSD_DIR/rx.out"
	# used->flags says NO_NOTIFY from the start: not one kick per burst
	# (2000 without it), at most one before the flag was seen
	[ "$(kicks "$XVSD_DIR/tx.out")" -le 1 ]
	[ "$(kicks "$XVSD_DIR/rx.out")" -le 1 ]
	xvsd_stop

	config "  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }" "datapath:
  poll: adaptive"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	sleep 0.3 # no ring yet: asleep
	send_a_to_b 5000 200 --no-event-idx
	# the sender connects to a sleeping switch: the ring's owner is woken
	# when the ring is ready, polls, then asks for kicks before it sleeps
	# again; nothing waits for the 1 s safety timeout
	xvsd_ctl workers | grep -q "lost_kicks=0"
	[ "$(worker_field sleeps)" -gt 0 ]
	# the first frame came 300 ms after the set-up (--delay): to a worker
	# asleep with kicks asked for
	[ "$(kicks "$XVSD_DIR/tx.out")" -ge 1 ]
}

@test "adaptive polling with max-nap-us: 0 never naps" {
	config "  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }" "datapath:
  max-nap-us: 0"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	send_a_to_b 5000
	[ "$(worker_field naps)" -eq 0 ]
	[ "$(worker_field nap_ns)" -eq 0 ]
	[ "$(worker_field busy_loops)" -gt 0 ]
}
