#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# bpf/xvs_xdp.bpf.c attached by the real xdp-loader (Debian's xdp-tools) to
# a veth in native mode, fed with frames from the peer namespace (xvs-inject)
# and observed through its counters (xvsctl xdp stats).
#
#   root ns: xvxdlh (xvs_xdp, maps in /sys/fs/bpf/xvs/bats-xdpl)  <=veth=>  xvxdlns: xvxdlp
#
# No AF_XDP socket exists here: whatever the program would redirect takes
# its miss verdict (pass.no_xsk_pass, drop.no_xsk). Every test gets a freshly
# loaded program with fresh maps. IPv6 is off on both links, so the only
# frames on them are the ones a test sends and the counts are exact.
#
# drop.runt is not reachable from here: AF_PACKET refuses frames shorter
# than the 14-byte Ethernet header (dev_validate_header(): an Ethernet
# device's min_header_len is 14, CAP_SYS_RAWIO or not), and the veth cannot
# receive one any other way; BPF_PROG_TEST_RUN refuses them too
# (tests/bpf), so the parser's unit test (tests/unit/test_parse.c) covers
# it. Here we check the refusal and that a 14-byte frame is not a runt.

load lib/common
load lib/net

SW=bats-xdpl
PIN_ROOT=/sys/fs/bpf/xvs
PIN=$PIN_ROOT/$SW
OBJ=$XVS_ROOT/build/bpf/xvs_xdp.bpf.o
SINK4=10.99.11.254 # unassigned address of the test subnet
PEER6=fd00:99:0:11::2
SINK6=fd00:99:0:11::fe
VM_MAC=02:99:0b:00:00:0a # FDB entries of the tests
HOST_MAC=02:99:0b:00:00:0b
NONE_MAC=02:99:0b:00:00:0c
NOBODY_MAC=02:99:0b:00:00:09 # in no FDB

setup_file() {
	local f

	# The tests share one veth pair.
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root && require_cmd ip xdp-loader && bpffs_mount || return 0
	for f in "$OBJ" "$XVS_BIN/xvsctl" "$XVS_BIN/xvs-inject"; do
		[ -e "$f" ] || {
			echo "$f is missing: run make" >&2
			return 1
		}
	done
	net_setup_pair xvxdl 11
	require_xdp_native "$NET_HOST_IF" || return 0
	# libbpf creates the pin directory, not its parent.
	if mkdir "$PIN_ROOT" 2>/dev/null; then
		net_track bpfdir "$PIN_ROOT"
	fi
	net_track bpfpin "$PIN"
}

teardown_file() {
	net_teardown
}

setup() {
	require_setup_file
	rm -rf "$PIN"
	xdp-loader load -m native -p "$PIN" "$NET_HOST_IF" "$OBJ"
}

teardown() {
	xdp-loader unload "$NET_HOST_IF" --all >/dev/null 2>&1 || true
}

xvsctl_sw() {
	xvsctl -s "$SW" "$@"
}

# send N ARGS...: N frames from the peer namespace; xvs-inject must report
# all of them sent.
send() {
	local n=$1 out

	shift
	out=$(net_exec xvs-inject -i "$NET_PEER_IF" -s "$NET_PEER_MAC" --count "$n" "$@") || return 1
	[[ $out == "sent $n frames of "*" bytes on $NET_PEER_IF" ]] || {
		echo "xvs-inject: unexpected summary '$out'" >&2
		return 1
	}
}

# UDP over IPv4 to an unassigned address of the test subnet: what the host
# stack gets of it, it drops without answering.
udp4() {
	send "$@" --ip4 "$NET_PEER_IP4,$SINK4" --udp 1000,9
}

@test "xdp-loader attaches xvs_xdp in native mode and pins its maps" {
	local m

	run xdp-loader status "$NET_HOST_IF"
	[ "$status" -eq 0 ]
	# Single program: "<if> xvs_xdp native <id> <tag>"; with libxdp's
	# dispatcher (which does not load on this kernel): the dispatcher in
	# native mode and a "=> <prio> xvs_xdp" line.
	awk -v ifc="$NET_HOST_IF" '
		$1 == ifc { main = $2; mode = $3 }
		$1 == "=>" && $3 == "xvs_xdp" { sub_prog = 1 }
		END { exit !(mode == "native" && (main == "xvs_xdp" || sub_prog)) }' <<<"$output"
	# The kernel's view: "xdp" (not xdpgeneric) and the program's name.
	run ip link show dev "$NET_HOST_IF"
	[[ $output =~ " mtu "[0-9]+" xdp " ]]
	[[ $output == *"prog/xdp id "*" name xvs_xdp "* ]]

	for m in xvs_fdb xvs_ports xvs_uplinks xvs_xsks xvs_cfg xvs_stats; do
		[ -e "$PIN/$m" ]
	done
	xdp_stats_expect "$SW"
}

@test "broadcast and multicast fall back to the host without a socket, or go there by cfg" {
	udp4 5
	xdp_stats_expect "$SW" pass=5 pass.no_xsk_pass=5
	[ "$(xdp_stat "$SW" pass.no_xsk_pass bytes)" -eq 300 ]

	xvsctl_sw xdp stats-reset
	send 5 -d 33:33:00:00:00:01 --ethertype 88b5
	xdp_stats_expect "$SW" pass=5 pass.no_xsk_pass=5

	xvsctl_sw xdp cfg flood-to-host=on
	run xvsctl_sw xdp cfg
	[[ $output == *"flood-to-host=on"* ]]
	xvsctl_sw xdp stats-reset
	udp4 5
	send 5 -d 33:33:00:00:00:01 --ethertype 88b5
	xdp_stats_expect "$SW" pass=10 pass.flood_host=10
}

@test "xvsctl -j xdp: stats, cfg and fdb list as JSON, changes as {\"ok\":true}" {
	xvsctl_sw xdp stats-reset
	udp4 3
	xdp_stats_expect "$SW" pass=3 pass.no_xsk_pass=3
	run xvsctl_sw -j xdp stats
	echo "$output"
	jq -e '.counter[] | select(.name == "pass") | .packets == 3' <<<"$output"
	# the same counter as the text's
	[ "$(jq '.counter[] | select(.name == "pass.no_xsk_pass") | .bytes' <<<"$output")" = \
		"$(xdp_stat "$SW" pass.no_xsk_pass bytes)" ]
	run xvsctl_sw -j xdp cfg unknown-to-switch=on
	jq -e '(.cfg[0].flood_to_host | type) == "boolean" and .cfg[0].unknown_to_switch == true' <<<"$output"
	xvsctl_sw xdp cfg unknown-to-switch=off
	run xvsctl_sw -j xdp fdb add 02:00:00:00:11:99 3 --vlan 7
	[ "$output" = '{"ok":true}' ]
	xvsctl_sw -j xdp fdb list | jq -e '.entry[] | select(.mac == "02:00:00:00:11:99") | .vlan == 7 and .port == 3 and .static'
	xvsctl_sw -j xdp fdb del 02:00:00:00:11:99 --vlan 7
	run xvsctl_sw -j xdp fdb del 02:00:00:00:11:99 --vlan 7
	[ "$status" -eq 1 ]
	jq -e '.error | test("fdb del")' <<<"$output"
}

@test "unknown unicast passes to the host, or falls back from the switch by cfg" {
	udp4 5 -d "$NOBODY_MAC"
	xdp_stats_expect "$SW" pass=5 pass.unknown=5

	xvsctl_sw xdp cfg unknown-to-switch=on
	xvsctl_sw xdp stats-reset
	udp4 5 -d "$NOBODY_MAC"
	xdp_stats_expect "$SW" pass=5 pass.no_xsk_pass=5
}

@test "frames for a VM port are dropped without a socket, and above the port's MTU" {
	xvsctl_sw xdp port set 1 vhost --mtu 500
	xvsctl_sw xdp fdb add "$VM_MAC" 1
	xvsctl_sw xdp fdb add "$VM_MAC" 1 --vlan 11

	# 14 + 500 bytes fit, one more does not; 1000 is well above.
	udp4 5 -d "$VM_MAC" --size 514
	xdp_stats_expect "$SW" drop=5 drop.no_xsk=5
	[ "$(xdp_stat "$SW" drop.no_xsk bytes)" -eq $((5 * 514)) ]

	xvsctl_sw xdp stats-reset
	udp4 5 -d "$VM_MAC" --size 515
	udp4 5 -d "$VM_MAC" --size 1000
	xdp_stats_expect "$SW" drop=10 drop.mtu=10
	[ "$(xdp_stat "$SW" drop.mtu bytes)" -eq $((5 * 515 + 5 * 1000)) ]

	# Tagged: the tag is not part of the MTU; the FDB is per VLAN.
	xvsctl_sw xdp stats-reset
	udp4 5 -d "$VM_MAC" --vlan 11 --size 518
	udp4 5 -d "$VM_MAC" --vlan 11 --size 519
	udp4 5 -d "$VM_MAC" --vlan 12
	xdp_stats_expect "$SW" drop=10 drop.no_xsk=5 drop.mtu=5 pass=5 pass.unknown=5
}

@test "frames for a port that is not a VM pass to the host" {
	xvsctl_sw xdp port set 2 host
	xvsctl_sw xdp fdb add "$HOST_MAC" 2
	xvsctl_sw xdp fdb add "$NONE_MAC" 3 # port 3 was never set: kind none

	udp4 5 -d "$HOST_MAC"
	udp4 5 -d "$NONE_MAC" --size 1000
	xdp_stats_expect "$SW" pass=10 pass.not_vm=10
}

@test "malformed frames are dropped and counted by reason" {
	local ext=()

	while [ ${#ext[@]} -lt 18 ]; do # nine headers
		ext+=(--ip6-ext dst:8)
	done
	# See the top of the file for drop.runt.
	run net_exec xvs-inject -i "$NET_PEER_IF" --truncate 13
	[ "$status" -eq 1 ]
	[[ $output == *"shorter than the 14-byte Ethernet header"* ]]
	send 5 --ethertype 88b5 --truncate 14
	xdp_stats_expect "$SW" pass=5 pass.no_xsk_pass=5

	xvsctl_sw xdp stats-reset
	udp4 5 --vlan 11 --truncate 16 # half a tag
	udp4 5 --vlan 11 --vlan 12 --vlan 13
	udp4 5 --truncate 30             # IPv4 header cut
	udp4 5 --size 100 --truncate 60  # total length beyond the frame
	send 5 --ip4 "$NET_PEER_IP4,$SINK4" --ipproto 6 --size 40 # 6 of 20 TCP header bytes
	send 5 --ip6 "$PEER6,$SINK6" --udp 1000,9 --truncate 40
	# Nine destination-options headers: the program walks eight.
	send 5 --ip6 "$PEER6,$SINK6" "${ext[@]}"
	# The payload starts with the 4-byte --seq, big endian. After an
	# ethertype of 0800 it is an IPv4 header of version 5; after an IPv6
	# next header of 0 a hop-by-hop header of (255 + 1) * 8 bytes in a
	# frame that has 20 after the IPv6 header.
	send 5 --ethertype 0800 --seq 0x50000000
	send 5 --ip6 "$PEER6,$SINK6" --ipproto 0 --seq 0x3bff0000 --size 74
	xdp_stats_expect "$SW" drop=45 drop.vlan_trunc=5 drop.vlan_depth=5 drop.ip4_trunc=10 \
		drop.l4_trunc=5 drop.ip6_trunc=5 drop.ip6_ext_depth=5 drop.ip4_hdr=5 \
		drop.ip6_ext_trunc=5
	[ "$(xdp_stat "$SW" drop.vlan_trunc bytes)" -eq $((5 * 16)) ]
}

@test "ping from the peer namespace passes through the program to the host" {
	require_cmd ping

	ip neigh flush dev "$NET_HOST_IF"
	ip -n "$NET_NS" neigh flush dev "$NET_PEER_IF"
	run net_exec ping -c 3 -i 0.2 -W 2 "$NET_HOST_IP4"
	[ "$status" -eq 0 ]
	[[ $output == *" 3 received"* ]]
	# The ARP request is broadcast (no socket: to the host), the echo
	# requests are unicast to a MAC that is in no FDB. The replies leave
	# through the program's interface, they do not cross it.
	xdp_stats_expect "$SW" pass=4 pass.no_xsk_pass=1 pass.unknown=3
}

@test "xdp-loader unload removes the program" {
	run xdp-loader unload "$NET_HOST_IF" --all
	[ "$status" -eq 0 ]
	run xdp-loader status "$NET_HOST_IF"
	[ "$status" -eq 0 ]
	[[ $output == *"No XDP program loaded"* ]]
	run ip link show dev "$NET_HOST_IF"
	[[ $output != *"prog/xdp"* ]]

	# The maps stay pinned (teardown removes them), and nothing counts.
	udp4 5
	sleep 0.2
	xdp_stats_expect "$SW"
}
