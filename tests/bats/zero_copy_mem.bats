#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Memory safety of zero-copy NIC ⇄ VM: the kernel writes frames straight
# into the VM's memory, so it must write only the VM's own frames, only
# where the VM posted a buffer, no more than the frame, and nothing once
# the VM has its buffers back. The VM is xvs-vufront --canary: every RX
# buffer with 1 KiB in front of it, every byte after each frame and all of
# its memory not handed out hold a canary pattern, checked on every frame
# and around each lifecycle event (--zc-cycle). The outside host sends
# everything on TX queue 2 (XPS), so it all arrives on the VM's queue:
#
#   netns xvzmns                          root ns
#   xvzmp 10.99.21.2 ══veth, 4 queues══ xvzmh ── XDP ─┬─ queue 2: vm's socket (UMEM: its memory)
#   (all its TX on queue 2; MTU 9000 at both ends)    └─ queues 0, 1, 3: the uplink's sockets
#   vm   xvs-vufront 02:00:00:00:00:01  zero-copy: { uplink: up0, queue: 2 }
#   vm2  (no front-end)   02:00:00:21:00:02
#   both MACs static in the FDB: known to XDP from the start, kept across
#   the VM's reconnections.

load lib/common
load lib/net
load lib/xvsd

SW=bats-zcm
VF=$XVS_BIN/xvs-vufront
VM_MAC=02:00:00:00:00:01
VM2_MAC=02:00:00:21:00:02
VM_IP=10.99.21.11

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root || return 0
	require_cmd xdp-loader ethtool && bpffs_mount || return 0
	require_af_xdp || return 0
	net_setup_pair xvzm 21 queues=4 || return 0
	require_xdp_native "$NET_HOST_IF" || return 0
	net_exec ethtool -K "$NET_PEER_IF" tx off >/dev/null
	net_peer_tx_queue 2
	# room for frames over the VM's MTU to reach XDP (after the probe: its
	# program is not multi-buffer)
	ip link set "$NET_HOST_IF" mtu 9000
	net_exec ip link set "$NET_PEER_IF" mtu 9000
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	xvsd_dir >/dev/null
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
fdb:
  static:
    - { mac: "$VM_MAC", port: vm }
    - { mac: "$VM2_MAC", port: vm2 }
ports:
  up0: { type: uplink, interface: $NET_HOST_IF }
  vm: { type: vhost-user, socket: vm.sock, zero-copy: { uplink: up0, queue: 2 } }
  vm2: { type: vhost-user, socket: vm2.sock }
YAML
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_until 10 port_is up0 state up
}

teardown_file() {
	stop_pid traffic
	xvsd_uplink_teardown
}

setup() {
	require_setup_file
}

teardown() {
	stop_pid traffic
	stop_pid vm
}

# zc FIELD: a field of vm's zero-copy line in `xvsctl show vm`.
zc() {
	xvsd_ctl show vm | awk -v k="$1" '$1 == "zero-copy" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }'
}

# zc_guest: vm's socket is up over its memory (one reading of both)
zc_guest() {
	[[ $(xvsd_ctl show vm) == *" zero-copy "*" state=up memory=guest "* ]]
}

# kv KEY: its value in the VM's report line
kv() {
	grep -o "\b$1=[^ ]*" "$XVSD_DIR/vm.out" | tail -1 | cut -d= -f2
}

# vm_start ARGS...: the VM in the background, its report in vm.out; waits
# until its socket is up over its memory
vm_start() {
	rm -f "$XVSD_DIR/vm.out" "$XVSD_DIR/vm.rc" "$XVSD_DIR/vm.pid"
	(
		close_inherited_fds
		"$VF" -c "$XVSD_DIR/vm.sock" --mac "$VM_MAC" --mem 16 --canary "$@" >"$XVSD_DIR/vm.out" \
			2>"$XVSD_DIR/vm.err" &
		echo $! >"$XVSD_DIR/vm.pid"
		if wait $!; then echo 0; else echo $?; fi >"$XVSD_DIR/vm.rc"
	) &
	wait_until 10 zc_guest || {
		cat "$XVSD_DIR/vm.err" >&2
		xvsd_ctl show vm >&2
		tail -20 "$XVSD_DIR/xvsd.log" >&2
		return 1
	}
}

# vm_wait [S]: until the VM has exited (S s, default 30); prints its report
# and its exit status (the caller checks it after the report's keys, which
# say more)
vm_wait() {
	wait_until "${1:-30}" test -s "$XVSD_DIR/vm.rc" || return 1
	cat "$XVSD_DIR/vm.out" "$XVSD_DIR/vm.err"
	rm -f "$XVSD_DIR/vm.pid"
	echo "exit status $(cat "$XVSD_DIR/vm.rc")"
}

vm_exit_ok() {
	[ "$(cat "$XVSD_DIR/vm.rc")" = 0 ]
}

# stop_pid NAME: end the process whose pid is in $XVSD_DIR/NAME.pid
stop_pid() {
	local f=${XVSD_DIR:-/nonexistent}/$1.pid pid

	pid=$(cat "$f" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	rm -f "$f"
}

# send DST ARGS...: xvs-inject frames from the outside host to DST
send() {
	local dst=$1
	shift
	net_exec "$XVS_BIN/xvs-inject" -i "$NET_PEER_IF" --src "$NET_PEER_MAC" --dst "$dst" \
		--ip4 "$NET_PEER_IP4,$VM_IP" --udp 1000,2000 "$@" >/dev/null
}

# traffic_start: frames for the VM from the outside host, 50 every 10 ms
# or so, in the background until stop_pid traffic
traffic_start() {
	(
		close_inherited_fds
		exec ip netns exec "$NET_NS" bash -c "seq=0; while :; do
			'$XVS_BIN/xvs-inject' -i '$NET_PEER_IF' --src '$NET_PEER_MAC' --dst '$VM_MAC' \
				--ip4 '$NET_PEER_IP4,$VM_IP' --udp 1001,2000 --size 800 -c 50 \
				--seq \$seq >/dev/null || sleep 0.1 # (being rebuilt?)
			seq=\$((seq + 50)); sleep 0.01
		done"
	) &
	echo $! >"$XVSD_DIR/traffic.pid"
}

# stat_delta NAME BEFORE: how much an XDP counter grew
stat_delta() {
	echo $(($(xdp_stat "$SW" "$1") - $2))
}

# stat_grew NAME BEFORE N: by exactly N (for wait_until)
stat_grew() {
	[ "$(stat_delta "$1" "$2")" -eq "$3" ]
}

@test "frames for the VM on its queue land zero-copy in its buffers: intact, nothing around them touched" {
	local zc0 cp0 x0
	vm_start --expect 320 --timeout 30
	zc0=$(zc to_vm_zc) cp0=$(zc to_vm_copied) x0=$(xdp_stat "$SW" redirect.zc_to_vm)
	send "$VM_MAC" --size 60 -c 100
	send "$VM_MAC" --size 1000 -c 100 --seq 100
	# the largest frame the VM's MTU allows: fills the buffer's room
	send "$VM_MAC" --size 1514 -c 100 --seq 200
	# priority-tagged (VLAN 0): the tag comes off in XDP, 1514 bytes land
	send "$VM_MAC" --vlan 0 --size 1518 -c 20 --seq 300
	vm_wait
	xvsd_ctl show vm
	[ "$(kv rx_frames)" = 320 ]
	[ "$(kv rx_bad)" = 0 ] # each one's payload and checksums intact
	[ "$(kv canary_bad)" = 0 ]
	[ "$(kv rx_foreign)" = 0 ]
	[ "$(kv used_err)" = 0 ]
	[ "$(zc to_vm_zc)" -eq $((zc0 + 320)) ]
	[ "$(zc to_vm_copied)" -eq "$cp0" ]
	[ "$(stat_delta redirect.zc_to_vm "$x0")" -eq 320 ]
	[ "$(zc rx_bad_desc)" = 0 ]
	vm_exit_ok
}

@test "guest RX buffers too small for zero-copy: its queue moves to host memory, frames arrive by copy" {
	local f0
	f0=$(zc fallbacks)
	# 1024-byte buffers: zero-copy needs 12 + 1518 for an MTU of 1500
	vm_start --rx-buf 1024 --expect 100 --timeout 30
	wait_until 10 eval '[[ $(xvsd_ctl show vm) == *" state=up memory=host "* ]]'
	xvsd_ctl show vm
	[ "$(zc fallbacks)" -eq $((f0 + 1)) ]
	[ "$(zc rx_unfit)" -ge 1 ]
	xvsd_ctl show vm | grep -q 'why="the guest.s RX buffers are too small'
	send "$VM_MAC" --size 1000 -c 100
	vm_wait
	[ "$(kv rx_frames)" = 100 ]
	[ "$(kv rx_bad)" = 0 ]
	[ "$(kv canary_bad)" = 0 ]
	[ "$(zc rx_copy_host)" -ge 100 ]
	vm_exit_ok
}

@test "frames over the VM's MTU and frames for others on its queue never reach its memory; broadcasts come by copy" {
	local mtu0 oth0 fl0 zc0 cp0 x0 i
	vm_start --expect 40 --timeout 30
	mtu0=$(xdp_stat "$SW" drop.mtu) oth0=$(xdp_stat "$SW" pass.zc_other)
	fl0=$(xdp_stat "$SW" pass.zc_flood) x0=$(xdp_stat "$SW" redirect.zc_to_vm)
	zc0=$(zc to_vm_zc) cp0=$(zc to_vm_copied)
	# for the VM, but over its MTU: one byte over, a jumbo frame, and over
	# once the (priority) tag is off
	send "$VM_MAC" --size 1515 -c 50
	send "$VM_MAC" --size 1600 -c 50
	send "$VM_MAC" --size 8000 -c 20
	send "$VM_MAC" --vlan 0 --size 1519 -c 20
	# another VM's MAC, an unknown one, the VM's MAC on another VLAN
	send "$VM2_MAC" -c 50
	send 02:00:00:21:00:77 -c 50
	send "$VM_MAC" --vlan 7 -c 50
	# broadcasts last: to the host, and to the VM by copy through the tap
	sleep 0.2
	for i in 1 2 3 4; do
		send ff:ff:ff:ff:ff:ff -c 10 --seq $((i * 10))
		sleep 0.05
	done
	vm_wait
	xvsd_ctl show vm
	# what reached its memory: the broadcasts, nothing else
	[ "$(kv rx_frames)" = 40 ]
	[ "$(kv rx_bcast)" = 40 ]
	[ "$(kv rx_foreign)" = 0 ]
	[ "$(kv canary_bad)" = 0 ]
	[ "$(kv rx_bad)" = 0 ]
	[ "$(zc to_vm_zc)" -eq "$zc0" ]
	[ "$(zc to_vm_copied)" -eq $((cp0 + 40)) ]
	# and XDP said why
	wait_until 5 stat_grew drop.mtu "$mtu0" 140
	wait_until 5 stat_grew pass.zc_other "$oth0" 150
	[ "$(stat_delta pass.zc_flood "$fl0")" -eq 40 ]
	[ "$(stat_delta redirect.zc_to_vm "$x0")" -eq 0 ]
	vm_exit_ok
}

# cycle MODE: under load from the wire, the VM takes its buffers back three
# times by MODE; nothing written while it holds them, zero-copy each time
# again
cycle() {
	local mode=$1 b0 t0 zc0 cp0 down0
	# (before the VM: its first cycle may come before a slow xvsctl)
	b0=$(zc builds) t0=$(zc teardowns) zc0=$(zc to_vm_zc) cp0=$(zc to_vm_copied)
	down0=$(xdp_stat "$SW" drop.zc_down)
	vm_start --zc-cycle "$mode" --zc-cycles 3 --zc-every 400 --zc-hold 300 --timeout 30
	traffic_start
	vm_wait 30
	stop_pid traffic
	xvsd_ctl show vm
	xvsd_alive
	[ "$(kv cycles)" = 3 ]
	[ "$(kv cycle_err)" = 0 ]
	[ "$(kv canary_bad)" = 0 ]
	[ "$(kv rx_after_restart)" -gt 0 ] # after each restart (unicast: zero-copy only)
	[ "$(kv rx_bad)" = 0 ]
	[ "$(kv used_err)" = 0 ]
	[ "$(kv rx_foreign)" = 0 ]
	# a teardown each time, and a socket again after it (and the first)
	[ "$(zc teardowns)" -ge $((t0 + 3)) ]
	[ "$(zc builds)" -ge $((b0 + 4)) ]
	# frames for it while it held its buffers (its socket down): dropped in
	# XDP, counted (a new memory table with the rings running rebuilds at
	# once: no such window)
	[ "$mode" = mem-table ] || [ "$(stat_delta drop.zc_down "$down0")" -gt 0 ]
	# all it received came zero-copy
	[ "$(zc to_vm_copied)" -eq "$cp0" ]
	[ "$(zc to_vm_zc)" -ge $((zc0 + $(kv rx_frames))) ]
	vm_exit_ok
}

@test "lifecycle under load: ring stop (GET_VRING_BASE) and restart" {
	cycle ring-stop
}

@test "lifecycle under load: a new memory table (the same memory) while the rings run" {
	cycle mem-table
}

@test "lifecycle under load: RESET_OWNER, then a new setup" {
	cycle reset
}

@test "lifecycle under load: the VM disconnects and connects again" {
	cycle disconnect
}

@test "a fresh start forgets queue dedications and learned sources an earlier run left in the pinned maps" {
	local pin=/sys/fs/bpf/xvs/$SW
	require_cmd bpftool || return 0
	xvsd_stop TERM
	# as a run with other port numbers would have left them: slot 9
	# dedicated to port 5, a source learned onto port 1
	bpftool map update pinned "$pin/xvs_zcq" key 9 0 0 0 value 5 0 0 0 1 0 0 0 100 0 0 0 0 0 0 0
	bpftool map update pinned "$pin/xvs_learn" key 0 0 2 0 0 0 0 0x77 value 1 0 0 0 0 0 0 0
	bpftool map lookup pinned "$pin/xvs_learn" key 0 0 2 0 0 0 0 0x77 >/dev/null
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_until 10 port_is up0 state up
	run bpftool -j map lookup pinned "$pin/xvs_zcq" key 9 0 0 0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.formatted.value | .port + .flags + .max_len' <<<"$output")" = 0 ]
	run bpftool map lookup pinned "$pin/xvs_learn" key 0 0 2 0 0 0 0 0x77
	[ "$status" -ne 0 ]
	# and the VM's own queue is dedicated again
	run bpftool -j map lookup pinned "$pin/xvs_zcq" key 2 0 0 0
	[ "$(jq -r '.formatted.value.flags' <<<"$output")" = 1 ]
}
