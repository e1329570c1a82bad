#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# NIC ⇄ VM through the XDP program and AF_XDP sockets (copy path), with an
# "outside" host in a namespace behind a 4-queue veth pair:
#
#   netns xvupns: xvupp 10.99.12.2 ◄═veth═► xvuph 10.99.12.1 (host IP, root ns)
#                                            │ XDP xvs_xdp → AF_XDP ×4 queues
#                                          xvsd ── port a: guest a 10.99.12.11
#                                               ├─ port b: guest b 10.99.12.12
#   xvupp.10 10.99.13.2 (VLAN 10 on the wire) ─── port c (VLAN 10): guest c 10.99.13.11
#
# MTUs: the uplink 9000 (jumbo frames over several UMEM frames: multi-buffer
# AF_XDP), port a 1500, port b 9100 (over the uplink's), both veth ends 9500.

load lib/common
load lib/net
load lib/guest
load lib/xvsd

SW=bats-up

write_config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  up0: { type: uplink, interface: $NET_HOST_IF, xdp-mode: ${1:-auto}, busy-poll: ${2:-0},
         mtu: 9000, multi-buffer: ${3:-true} }
  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock, mtu: 9100 }
  c: { type: vhost-user, socket: c.sock, vlan: 10 }
YAML
}

# The outside host and the uplink interface (again, after a test removed it).
make_outside() {
	net_setup_pair xvup 12 queues=4
	outside_settings
}

outside_settings() {
	# the outside host takes jumbo frames, so it can send ones over the
	# uplink's and the VMs' MTU
	net_exec ip link set "$NET_PEER_IF" mtu 9500
	# a NIC puts complete checksums on the wire; a veth leaves them to an
	# offload that never happens once XDP hands the frame to AF_XDP
	net_exec ethtool -K "$NET_PEER_IF" tx off >/dev/null
	ip link set "$NET_HOST_IF" mtu 9500
	# VLAN 10 of the outside host, where the kernel has 802.1Q
	if net_exec ip link add link "$NET_PEER_IF" name "$NET_PEER_IF.10" type vlan id 10 2>/dev/null; then
		net_exec ip addr add 10.99.13.2/24 dev "$NET_PEER_IF.10"
		net_exec ip link set "$NET_PEER_IF.10" up
	fi
}

setup_file() {
	vm_setup_file || return 0
	require_cmd xdp-loader busybox && bpffs_mount || return 0
	net_setup_pair xvup 12 queues=4
	# (the probe's program is not multi-buffer: before the MTU goes up)
	require_xdp_native "$NET_HOST_IF" || return 0
	outside_settings
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	guest_start a --vhost-user "$XVSD_DIR/a.sock" --client --ip 10.99.12.11/24 --mac 52:54:00:12:00:0b
	guest_start b --vhost-user "$XVSD_DIR/b.sock" --client --ip 10.99.12.12/24 --mac 52:54:00:12:00:0c
	guest_start c --vhost-user "$XVSD_DIR/c.sock" --client --ip 10.99.13.11/24 --mac 52:54:00:13:00:0b
	guest_wait_ready a 120
	guest_wait_ready b 120
	guest_wait_ready c 120
}

teardown_file() {
	guest_stop_all
	xvsd_stop TERM
	xdp-loader unload "${NET_HOST_IF:-none}" --all >/dev/null 2>&1 || true
	net_teardown
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
}

@test "the uplink is up: XDP attached by xvsd, a socket on each of 4 queues" {
	xvsd_ctl show up0
	[ "$(port_field up0 state)" = up ]
	[ "$(port_field up0 queues)" = 4 ]
	[[ $(port_field up0 xdp) == native* ]]
	[ "$(port_field up0 afxdp)" = copy ] # veth has no zero-copy
	xdp-loader status "$NET_HOST_IF" | grep -q xvs_xdp
}

@test "guests ping the outside host" {
	run guest_run a "ping -c 3 -W 5 $NET_PEER_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	run guest_run b "ping -c 3 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
	# the replies were steered by XDP into the switch
	[ "$(xdp_stat "$SW" redirect.to_vm)" -ge 6 ]
}

guest_rx() {
	guest_run "$1" "cat /sys/class/net/eth0/statistics/rx_packets"
}

udp_noports() {
	guest_run "$1" "awk '/^Udp:/ { n++; if (n == 1) for (i = 1; i <= NF; i++) if (\$i == \"NoPorts\") f = i; if (n == 2) print \$f }' /proc/net/snmp"
}

# noports_at_least GUEST N: (re-read on every call, for wait_until)
noports_at_least() {
	[ "$(udp_noports "$1")" -ge "$2" ]
}

# fdb_has REGEX: a line of `xvsctl fdb` matches
fdb_has() {
	xvsd_ctl fdb | grep -qE "$1"
}

@test "VLANs from the wire: tag 10 reaches the VLAN 10 guest untagged; tag 20 and untagged do not" {
	local c0 a0 u0
	# c speaks first, so that the switch and XDP know its address in VLAN 10
	guest_run c "arping -c 1 -w 2 -I eth0 10.99.13.99 >/dev/null" || true
	wait_until 5 fdb_has '^10 +52:54:00:13:00:0b +c '
	c0=$(guest_rx c) a0=$(guest_rx a)
	inject() {
		net_exec "$XVS_BIN/xvs-inject" -i "$NET_PEER_IF" --dst 52:54:00:13:00:0b "$@" \
			--ip4 10.99.13.2,10.99.13.11 --udp 7,9 -c 5 >/dev/null
	}
	# to a closed UDP port: counted by c's UDP stack (NoPorts) only if the
	# frames arrived untagged (a tag would stop them at L2)
	u0=$(udp_noports c)
	inject --vlan 10
	wait_until 5 noports_at_least c $((u0 + 5))
	c0=$(guest_rx c)
	inject --vlan 20
	inject
	sleep 0.5
	echo "c rx $c0 -> $(guest_rx c), a rx $a0 -> $(guest_rx a)"
	[ "$(guest_rx c)" -eq "$c0" ]
	[ "$(guest_rx a)" -lt $((a0 + 5)) ]
}

@test "VLANs end to end: a guest in VLAN 10 reaches the outside host's VLAN 10; untagged guests do not" {
	net_exec ip link show "$NET_PEER_IF.10" >/dev/null 2>&1 ||
		skip "the kernel has no 802.1Q (CONFIG_VLAN_8021Q): no VLAN interface for the outside host"
	run guest_run c "ping -c 3 -W 5 10.99.13.2"
	echo "$output"
	[ "$status" -eq 0 ]
	# the outside host's VLAN 10 answers a broadcast from its side too
	net_exec ip neigh flush dev "$NET_PEER_IF.10"
	run net_exec ping -c 2 -W 5 10.99.13.11
	[ "$status" -eq 0 ]
	# guest a is untagged: VLAN 10 is not its segment
	guest_run a "ip addr add 10.99.13.12/24 dev eth0"
	run guest_run a "ping -c 2 -W 2 10.99.13.2"
	guest_run a "ip addr del 10.99.13.12/24 dev eth0"
	[ "$status" -ne 0 ]
	xvsd_ctl fdb | grep -E '^10 +52:54:00:13:00:0b +c '
}

@test "the outside host pings the guests (its ARP broadcast reaches them through the tap)" {
	net_exec ip neigh flush dev "$NET_PEER_IF"
	run net_exec ping -c 3 -W 5 10.99.12.11
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(port_field up0 tap_frames)" -ge 1 ]
}

@test "the uplink's own host IP keeps working" {
	run net_exec ping -c 3 -W 5 "$NET_HOST_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(xdp_stat "$SW" pass.unknown)" -ge 3 ]
}

@test "20 MB both ways between each guest and the outside host, intact" {
	guest_xfer a 10.99.12.11 5001
	guest_xfer b 10.99.12.12 5003
}

@test "traffic arriving on all 4 queues: every queue's socket receives" {
	local q sport
	# a frame's RX queue on a veth is its sender's TX queue, picked by flow
	# hash: many flows reach every queue
	for sport in $(seq 1000 1063); do
		net_exec "$XVS_BIN/xvs-inject" -i "$NET_PEER_IF" --dst 52:54:00:12:00:0b \
			--ip4 "$NET_PEER_IP4,10.99.12.11" --udp "$sport,9" -c 4 >/dev/null
	done
	xvsd_ctl show up0
	for q in 0 1 2 3; do
		[ "$(queue_field up0 "$q" rx_packets)" -gt 0 ]
	done
}

@test "frames over the VM's MTU are dropped and counted, not truncated" {
	local before rx0
	before=$(xdp_stat "$SW" drop.mtu)
	rx0=$(guest_run a "cat /sys/class/net/eth0/statistics/rx_packets")
	net_exec "$XVS_BIN/xvs-inject" -i "$NET_PEER_IF" --dst 52:54:00:12:00:0b \
		--ip4 "$NET_PEER_IP4,10.99.12.11" --udp 7,9 --size 2000 -c 5
	[ "$(xdp_stat "$SW" drop.mtu)" -eq $((before + 5)) ]
	[ "$(guest_run a "cat /sys/class/net/eth0/statistics/rx_packets")" -lt $((rx0 + 5)) ]
}

@test "jumbo frames through multi-buffer AF_XDP: 9000-byte pings both ways, 20 MB at MTU 9000" {
	xvsd_ctl show up0
	[ "$(port_field up0 multi_buffer)" = 1 ]
	[ "$(port_field up0 mtu)" = 9000 ]
	guest_run b "ip link set eth0 mtu 9000"
	# a 9014-byte frame spans three 4096-byte UMEM frames (each after 256
	# bytes of kernel headroom) on the way in and three on the way out
	run guest_run b "ping -c 3 -W 5 -s 8972 $NET_PEER_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	run net_exec ping -c 3 -W 5 -s 8972 -M do 10.99.12.12
	echo "$output"
	[ "$status" -eq 0 ]
	guest_xfer b 10.99.12.12 5005
	xvsd_ctl show up0
	for q in 0 1 2 3; do
		[ "$(queue_field up0 "$q" rx_drop_frags)" = 0 ]
		[ "$(queue_field up0 "$q" kernel_rx_dropped)" = 0 ]
	done
}

@test "jumbo frames over the uplink's MTU are dropped and counted both ways" {
	local before rx0
	# to the wire: port b takes 9100, the uplink 9000
	guest_run b "ip link set eth0 mtu 9100"
	before=$(port_field up0 drop_too_big)
	run guest_run b "ping -c 2 -W 2 -s 9050 $NET_PEER_IP4"
	[ "$status" -ne 0 ]
	[ "$(port_field up0 drop_too_big)" -eq $((before + 2)) ]
	# from the wire: over b's MTU, XDP drops them
	before=$(xdp_stat "$SW" drop.mtu)
	rx0=$(guest_rx b)
	net_exec "$XVS_BIN/xvs-inject" -i "$NET_PEER_IF" --dst 52:54:00:12:00:0c \
		--ip4 "$NET_PEER_IP4,10.99.12.12" --udp 7,9 --size 9200 -c 5
	[ "$(xdp_stat "$SW" drop.mtu)" -eq $((before + 5)) ]
	[ "$(guest_rx b)" -lt $((rx0 + 5)) ]
	guest_run b "ip link set eth0 mtu 1500"
}

@test "multi-buffer off: the MTU is capped to one UMEM frame and the cap reported" {
	xvsd_stop TERM
	write_config auto 0 false
	xvsd_start "$XVSD_DIR/xvs.yaml"
	xvsd_ctl show up0
	[ "$(port_field up0 multi_buffer)" = 0 ]
	[ "$(port_field up0 mtu)" = 3818 ]
	[ "$(port_field up0 mtu_configured)" = 9000 ]
	grep -q "$NET_HOST_IF: mtu 9000 needs multi-buffer AF_XDP.*capped at 3818" "$XVSD_DIR/xvsd.log"
	wait_port_state b up 30
	guest_run b "ip link set eth0 mtu 9000"
	run guest_run b "ping -c 2 -W 2 -s 8972 $NET_PEER_IP4"
	[ "$status" -ne 0 ]
	[ "$(port_field up0 drop_too_big)" -eq 2 ]
	# 3790 + 28 = 3818 bytes: the largest packet that fits one frame
	run guest_run b "ping -c 2 -W 5 -s 3790 $NET_PEER_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	guest_run b "ip link set eth0 mtu 1500"
	xvsd_stop TERM
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_port_state a up 30
	wait_port_state b up 30
}

@test "link down and up: the port stays, traffic resumes" {
	ip link set "$NET_HOST_IF" down
	run guest_run a "ping -c 1 -W 2 $NET_PEER_IP4"
	[ "$status" -ne 0 ]
	ip link set "$NET_HOST_IF" up
	wait_until 10 guest_run a "ping -c 1 -W 2 $NET_PEER_IP4"
	[ "$(port_field up0 state)" = up ]
	grep -q "up0: link down" "$XVSD_DIR/xvsd.log"
}

@test "queue count grown (ethtool -L): sockets follow, traffic flows" {
	# (the kernel refuses to shrink the queues under bound AF_XDP sockets:
	# ethtool says so, nothing changes; growing needs xvsd to follow)
	xvsd_stop TERM
	ethtool -L "$NET_HOST_IF" rx 2 tx 2
	xvsd_start "$XVSD_DIR/xvs.yaml"
	[ "$(port_field up0 queues)" = 2 ]
	wait_port_state a up 30
	ethtool -L "$NET_HOST_IF" rx 4 tx 4
	wait_until 10 port_is up0 queues 4
	grep -q "up0: queue count changed: reopening the uplink" "$XVSD_DIR/xvsd.log"
	run guest_run a "ping -c 2 -W 3 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
}

@test "interface removed and re-created: port down, then back and forwarding" {
	ip link del "$NET_HOST_IF"
	wait_port_state up0 down 10
	grep -q "up0: interface $NET_HOST_IF is gone" "$XVSD_DIR/xvsd.log"
	kill -0 "$(cat "$XVSD_DIR/xvsd.pid")"
	make_outside
	wait_port_state up0 up 15
	wait_until 20 guest_run a "ping -c 1 -W 2 $NET_PEER_IP4"
	xdp-loader status "$NET_HOST_IF" | grep -q xvs_xdp
}

@test "busy polling on the uplink's sockets: set up, traffic flows" {
	xvsd_stop TERM
	write_config auto 64
	xvsd_start "$XVSD_DIR/xvs.yaml"
	xvsd_ctl show up0
	[ "$(queue_field up0 0 busy_poll)" = 1 ]
	wait_port_state a up 30
	run guest_run a "ping -c 3 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
	# the idle sockets are driven by the worker's own recvfrom calls
	[ "$(queue_field up0 0 wakeups)" -gt 0 ]
	xvsd_stop TERM
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_port_state a up 30
}

@test "program attached by xvsd: gone after xvsd stops" {
	xvsd_stop TERM
	[ "$XVSD_STATUS" = 0 ]
	[ -z "$(xdp-loader status "$NET_HOST_IF" | grep xvs_xdp)" ]
}

@test "program loaded by xdp-loader first: adopted, traffic flows, still attached after xvsd stops" {
	xvsd_stop TERM
	xdp-loader unload "$NET_HOST_IF" --all >/dev/null 2>&1 || true
	xdp-loader load -m native -p "/sys/fs/bpf/xvs/$SW" "$NET_HOST_IF" "$XVS_ROOT/build/bpf/xvs_xdp.bpf.o"
	xvsd_start "$XVSD_DIR/xvs.yaml"
	[[ $(port_field up0 xdp) == *adopted* ]]
	wait_port_state a up 30
	run guest_run a "ping -c 3 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
	xvsd_stop TERM
	xdp-loader status "$NET_HOST_IF" | grep -q xvs_xdp
	# and it no longer steers anything to the gone switch
	[ -z "$(xvsctl -s "$SW" xdp fdb list | tail -n +2)" ]
	xdp-loader unload "$NET_HOST_IF" --all
	xvsd_start "$XVSD_DIR/xvs.yaml"
}

@test "another program on the interface: clear error, nothing changed" {
	xvsd_stop TERM
	xdp-loader unload "$NET_HOST_IF" --all >/dev/null 2>&1 || true
	# libxdp's default AF_XDP program stands for a foreign one; it has no
	# multi-buffer support, which a veth refuses above a page-sized MTU
	net_exec ip link set "$NET_PEER_IF" mtu 1500
	ip link set "$NET_HOST_IF" mtu 1500
	xdp-loader load -m native "$NET_HOST_IF" "$(ls /usr/lib/*/bpf/xsk_def_xdp_prog.o | head -1)"
	run "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"is attached and it is not xvs's"* ]]
	run xdp-loader status "$NET_HOST_IF"
	[[ $output == *xsk_def_prog* ]]
	[[ $output != *xvs_xdp* ]]
	xdp-loader unload "$NET_HOST_IF" --all
	ip link set "$NET_HOST_IF" mtu 9500
	net_exec ip link set "$NET_PEER_IF" mtu 9500
}
