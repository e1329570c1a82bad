#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# One tenant against the switch's L2 rules, through the real XDP program
# and AF_XDP uplink (issue 10): VLAN hopping from access ports, a VM posing
# as the host or a gateway, MAC floods, and the XDP FDB kept an exact
# mirror of the switch's. The VMs are xvs-vufront front-ends; the wire is a
# veth to an "outside" namespace, whose receive counter says what reached
# it (IPv6 is off on the link: nothing else talks there).
#
#   netns xvisons: xvisop 10.99.14.2 ◄═veth═► xvisoh 10.99.14.1 (host)
#                                              │ XDP + AF_XDP
#                                            xvsd ── v0   (VLAN 0, access)
#                                                 ├─ v10  (VLAN 10, access)
#                                                 └─ fl   (max-macs: 0)

load lib/common
load lib/net
load lib/xvsd

SW=bats-iso
VF=$XVS_BIN/xvs-vufront
GW_MAC=02:aa:00:00:00:01

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root || return 0
	require_cmd xdp-loader && bpffs_mount || return 0
	require_af_xdp || return 0
	net_setup_pair xviso 14 || return 0
	require_xdp_native "$NET_HOST_IF" || return 0
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	xvsd_dir >/dev/null
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
fdb:
  aging: 3
  max-entries: 1024
  protected-macs: [ "$GW_MAC" ]
ports:
  up0: { type: uplink, interface: $NET_HOST_IF }
  v0: { type: vhost-user, socket: v0.sock }
  v10: { type: vhost-user, socket: v10.sock, vlan: 10 }
  fl: { type: vhost-user, socket: fl.sock, max-macs: 0 }
YAML
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_until 10 port_is up0 state up
}

teardown_file() {
	xvsd_uplink_teardown
}

setup() {
	require_setup_file
}

peer_rx() {
	net_exec cat "/sys/class/net/$NET_PEER_IF/statistics/rx_packets"
}

# vm PORT ARGS...: that VM sends (broadcasts unless --dst), then leaves
vm() {
	local port=$1
	shift
	"$VF" -c "$XVSD_DIR/$port.sock" --rate 5000 --timeout 20 "$@" >"$XVSD_DIR/$port.out" ||
		{ cat "$XVSD_DIR/$port.out"; return 1; }
}

# wire_delta MIN MAX CMD...: run CMD; the outside host received MIN..MAX frames
wire_delta() {
	local min=$1 max=$2 r0 r1
	shift 2
	r0=$(peer_rx)
	"$@"
	sleep 0.3
	r1=$(peer_rx)
	echo "outside received $((r1 - r0)) frames (want $min..$max)"
	[ $((r1 - r0)) -ge "$min" ]
	[ $((r1 - r0)) -le "$max" ]
}

xdp_fdb_has() {
	xvsctl -s "$SW" xdp fdb list | grep -qi " $1 "
}

@test "untagged frames from access ports reach the wire (the control case)" {
	wire_delta 300 310 vm v0 --send 300
	wire_delta 300 310 vm v10 --send 300
}

@test "VLAN hopping: a VM on VLAN 0 that tags its frames 802.1Q does not reach the trunk" {
	local d0
	d0=$(port_field v0 drop_vlan_tagged)
	wire_delta 0 5 vm v0 --send 300 --tx-vlan 100
	[ "$(port_field v0 drop_vlan_tagged)" -eq $((d0 + 300)) ]
}

@test "VLAN hopping: 802.1ad and 9100 tags from a VLAN 10 port are dropped too" {
	local d0
	d0=$(port_field v10 drop_vlan_tagged)
	wire_delta 0 5 vm v10 --send 200 --tx-vlan 20 --tx-tpid 88a8
	wire_delta 0 5 vm v10 --send 200 --tx-vlan 20 --tx-tpid 9100
	[ "$(port_field v10 drop_vlan_tagged)" -eq $((d0 + 400)) ]
}

@test "a VM sending from the uplink's MAC is not learned and the host keeps its traffic" {
	local d0
	d0=$(port_field v0 drop_src_protected)
	wire_delta 0 5 vm v0 --send 200 --mac "$NET_HOST_MAC"
	[ "$(port_field v0 drop_src_protected)" -eq $((d0 + 200)) ]
	# (not `! cmd`: bats's set -e ignores a negated command)
	[ -z "$(xvsd_ctl fdb | grep -i "$NET_HOST_MAC")" ]
	run xdp_fdb_has "$NET_HOST_MAC"
	[ "$status" -ne 0 ]
	# the outside host still reaches the host, not the VM
	net_exec ping -c 3 -i 0.2 -W 2 "$NET_HOST_IP4"
}

@test "a VM sending from a protected gateway MAC (fdb.protected-macs) is dropped" {
	local d0
	d0=$(port_field v0 drop_src_protected)
	wire_delta 0 5 vm v0 --send 100 --mac "$GW_MAC"
	[ "$(port_field v0 drop_src_protected)" -eq $((d0 + 100)) ]
	[ -z "$(xvsd_ctl fdb | grep -i "$GW_MAC")" ]
	xvsd_ctl fdb | grep -q "protected=2"
}

# port_rx_at_least PORT N: the switch took N frames from that VM
port_rx_at_least() {
	[ "$(queue_field "$1" 0 rx_packets)" -ge "$2" ] 2>/dev/null
}

# vm_stay PORT N ARGS...: like vm, but the VM stays connected a few seconds
# after sending (its addresses are flushed when it goes); returns once the
# switch took its N frames
vm_stay() {
	local port=$1 n=$2 r0
	shift 2
	r0=$(queue_field "$port" 0 rx_packets)
	"$VF" -c "$XVSD_DIR/$port.sock" --rate 20000 --expect 1 --timeout "${STAY_S:-6}" --send "$n" "$@" \
		>"$XVSD_DIR/$port.out" 2>&1 &
	STAY_PID=$!
	wait_until 10 port_rx_at_least "$port" $((${r0:-0} + n))
}

@test "MAC flood: a VM port learns at most max-macs (64 by default), the rest is counted" {
	local l0 r0
	l0=$(port_field v0 learn_limit)
	r0=$(peer_rx)
	vm_stay v0 5000 --src-vary 5000
	xvsd_ctl show v0
	# learned or not, every frame is forwarded
	sleep 0.3
	[ "$(peer_rx)" -ge $((r0 + 5000)) ]
	[ "$(port_field v0 macs)" -eq 64 ]
	[ "$(port_field v0 learn_limit)" -ge $((l0 + 5000 - 64)) ]
	[ "$(xvsd_ctl fdb | grep -c ' v0 ')" -eq 64 ]
	wait "$STAY_PID" || true
}

# the 02:5a:... addresses xvs-vufront --src-vary makes, in one table
count_flood_macs() {
	grep -ci " 02:5a:" || true
}

fdb_mirrored() {
	FDB_N=$(xvsd_ctl fdb | count_flood_macs)
	XDP_N=$(xvsctl -s "$SW" xdp fdb list | count_flood_macs)
	[ "$FDB_N" = "$XDP_N" ]
}

@test "20000 random source MACs: the XDP FDB holds exactly the switch's live entries" {
	vm_stay fl 20000 --src-vary 20000
	# evictions from the 1024-entry table happened; the map followed them
	wait_until 3 fdb_mirrored || true
	echo "switch fdb: $FDB_N, xdp fdb: $XDP_N"
	[ "$FDB_N" -gt 500 ]
	[ "$FDB_N" -le 1024 ]
	[ "$XDP_N" -eq "$FDB_N" ]
	# the port goes away: its addresses leave both tables
	wait "$STAY_PID" || true
	wait_until 5 fdb_mirrored || true
	echo "after disconnect: switch fdb: $FDB_N, xdp fdb: $XDP_N"
	[ "$FDB_N" -eq 0 ]
	[ "$XDP_N" -eq 0 ]
}

@test "learned addresses age out of the XDP FDB with the switch's, the VM still there" {
	STAY_S=12 vm_stay fl 100 --src-vary 100
	wait_until 3 fdb_mirrored || true
	echo "learned: switch fdb: $FDB_N, xdp fdb: $XDP_N"
	[ "$FDB_N" -gt 50 ]
	[ "$XDP_N" -eq "$FDB_N" ]
	# aging: 3 s; the VM is silent now, still connected
	sleep 3
	wait_until 4 sh -c "[ \$($XVS_BIN/xvsctl -s $SW xdp fdb list | grep -ci ' 02:5a:') -eq 0 ]"
	[ "$(port_field fl state)" = up ]
	[ "$(xvsd_ctl fdb | count_flood_macs)" -eq 0 ]
	kill "$STAY_PID" 2>/dev/null || true
	wait "$STAY_PID" || true
}
