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
	[ ! -e "$XVSD_DIR/socks" ] && [ ! -e "$XVSD_DIR/xvs.ctl" ]
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
	[ ! -e "$XVSD_DIR/socks/a.sock" ] && [ ! -e "$XVSD_DIR/xvs.ctl" ]
}

@test "busy polling: traffic flows, the worker never sleeps" {
	local rx
	config "  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }" "datapath:
  poll: busy"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	[[ $(xvsd_ctl show) == *"poll=busy"* ]]
	"$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/b.sock" --mac 02:00:00:00:00:0b \
		--ring-size 4096 --expect 2000 --timeout 20 >"$XVSD_DIR/rx.out" &
	rx=$!
	"$XVS_BIN/xvs-vufront" -c "$XVSD_DIR/socks/a.sock" --dst 02:00:00:00:00:0b \
		--send 2000 --rate 20000 --delay 300
	wait "$rx" || { cat "$XVSD_DIR/rx.out"; false; }
	grep -q "rx_frames=2000 .*rx_bad=0" "$XVSD_DIR/rx.out"
	xvsd_ctl workers | grep -q "sleeps=0 sleeping=0"
}
