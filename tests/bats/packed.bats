#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Packed virtqueues (VIRTIO_F_RING_PACKED) with real drivers: Linux guests
# under QEMU with packed=on, next to a guest on split rings, an outside host
# on a veth uplink, and DPDK's virtio-user with packed_vq=1:
#
#   guest pa 10.99.15.11 ─ port pa (packed)
#   guest pb 10.99.15.12 ─ port pb (packed)
#   guest sc 10.99.15.13 ─ port sc (split)
#   guest pq 10.99.15.14 ─ port pq (packed, 2 queue pairs, 2 vCPUs)
#   testpmd  (icmpecho)  ─ port tp (packed; xvsd connects: virtio-user is the server)
#   outside  10.99.15.2  ─ up0

load lib/common
load lib/net
load lib/guest
load lib/xvsd

SW=bats-pk
TP_MAC=02:15:00:00:00:99

write_config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  up0: { type: uplink, interface: $NET_HOST_IF }
  pa: { type: vhost-user, socket: pa.sock, packed-ring: true }
  pb: { type: vhost-user, socket: pb.sock, packed-ring: true }
  sc: { type: vhost-user, socket: sc.sock, packed-ring: true }
  pq: { type: vhost-user, socket: pq.sock, queues: 2, packed-ring: true }
  tp: { type: vhost-user, socket: tp.sock, mode: client, packed-ring: true }
YAML
}

start_guest() { # name, last octet, guest_start options...
	local n=$1 o=$2
	shift 2
	guest_start "$n" --vhost-user "$XVSD_DIR/$n.sock" --client --ip "10.99.15.$o/24" \
		--mac "52:54:00:15:00:$o" "$@"
}

setup_file() {
	vm_setup_file || return 0
	require_cmd xdp-loader busybox && bpffs_mount || return 0
	net_setup_pair xvpk 15
	require_xdp_native "$NET_HOST_IF" || return 0
	net_exec ethtool -K "$NET_PEER_IF" tx off >/dev/null
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	start_guest pa 11 --nic-opts packed=on
	start_guest pb 12 --nic-opts packed=on
	start_guest sc 13
	start_guest pq 14 --nic-opts packed=on --queues 2 --smp 2
	guest_wait_ready pa 120
	guest_wait_ready pb 120
	guest_wait_ready sc 120
	guest_wait_ready pq 120
}

teardown_file() {
	tp_stop
	guest_stop_all
	xvsd_stop TERM
	xdp-loader unload "${NET_HOST_IF:-none}" --all >/dev/null 2>&1 || true
	net_teardown
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
}

# testpmd with one virtio-user port on packed rings, listening on tp.sock
# (xvsd's port tp connects to it), answering ARP and pings (icmpecho)
tp_start() {
	rm -f "$XVSD_DIR/tp.sock"
	(
		close_inherited_fds
		# stdin that never ends (testpmd quits at its end); the sleep
		# behind it is killed by tp_stop
		exec 0< <(exec sleep 3600)
		echo $! >"$XVSD_DIR/testpmd-stdin.pid"
		exec dpdk-testpmd --no-huge -m 1024 --no-pci --file-prefix "xvs-$SW" \
			--lcores 0@0,1@0 \
			--vdev "net_virtio_user0,path=$XVSD_DIR/tp.sock,server=1,queues=1,queue_size=256,packed_vq=1,mac=$TP_MAC" \
			-- --forward-mode=icmpecho --rxd=256 --txd=256 --total-num-mbufs=8192
	) >"$XVSD_DIR/testpmd.log" 2>&1 &
	echo $! >"$XVSD_DIR/testpmd.pid"
}

tp_stop() {
	local pid
	pid=$(cat "$XVSD_DIR/testpmd.pid" 2>/dev/null) || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait_until 10 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
	kill "$(cat "$XVSD_DIR/testpmd-stdin.pid" 2>/dev/null)" 2>/dev/null || true
	rm -f "$XVSD_DIR/testpmd.pid" "$XVSD_DIR/testpmd-stdin.pid"
}



RING_PACKED=34

@test "packed rings negotiated where the guest's device asked for them, split elsewhere" {
	local g
	for g in pa pb pq; do
		[ "$(guest_feature "$g" $RING_PACKED)" = 1 ] || { echo "$g: not packed"; return 1; }
		[[ $(port_field "$g" feature_names) == *ring_packed* ]]
	done
	[ "$(guest_feature sc $RING_PACKED)" = 0 ]
	[[ $(port_field sc feature_names) != *ring_packed* ]]
}

@test "pings between packed and split guests, both ways" {
	run guest_run pa "ping -c 3 -W 5 10.99.15.12"
	[ "$status" -eq 0 ]
	run guest_run pa "ping -c 3 -W 5 10.99.15.13"
	[ "$status" -eq 0 ]
	run guest_run sc "ping -c 3 -W 5 10.99.15.14"
	[ "$status" -eq 0 ]
	run guest_run pq "ping -c 3 -W 5 10.99.15.11"
	[ "$status" -eq 0 ]
}

@test "TCP bulk packed -> packed (large frames whole), packed -> split, split -> packed: intact" {
	local seg0
	seg0=$(port_field pa ofl_segmented)
	guest_bulk pa pb 10.99.15.12 5000 8
	[ "$(port_field pa ofl_tso)" -gt 0 ]
	[ "$(port_field pa ofl_segmented)" = "$seg0" ]
	guest_bulk pb sc 10.99.15.13 5001 8
	guest_bulk sc pa 10.99.15.11 5002 8
	local p
	for p in pa pb sc; do
		[ "$(port_field "$p" broken)" = 0 ]
	done
}

@test "packed, 2 queue pairs: both carry traffic, data intact" {
	local r0 r1
	# one flow per vCPU: the driver sends on the queue of the CPU it runs on
	guest_run pa "rm -f /tmp/q0 /tmp/q1; (sleep 600 | nc -l -p 5010 >/tmp/q0) >/dev/null 2>&1 & (sleep 600 | nc -l -p 5011 >/tmp/q1) >/dev/null 2>&1 &"
	sleep 0.5
	guest_run -t 120 pq "dd if=/dev/urandom of=/tmp/b bs=1M count=4 2>/dev/null; (taskset 1 nc 10.99.15.11 5010 </tmp/b &); taskset 2 nc 10.99.15.11 5011 </tmp/b; sleep 2"
	wait_until 60 guest_run pa "test \$(stat -c %s /tmp/q0) = 4194304 -a \$(stat -c %s /tmp/q1) = 4194304"
	[ "$(guest_run pa "md5sum </tmp/q0")" = "$(guest_run pq "md5sum </tmp/b")" ]
	[ "$(guest_run pa "md5sum </tmp/q1")" = "$(guest_run pq "md5sum </tmp/b")" ]
	r0=$(queue_field pq 0 rx_bytes) r1=$(queue_field pq 1 rx_bytes)
	echo "pq queue 0: $r0 bytes from the guest, queue 1: $r1"
	# each flow's data leaves on the queue of the CPU that sends it: the
	# process's, or the one that took the ACK's interrupt
	[ "$r0" -gt 100000 ]
	[ "$r1" -gt 100000 ]
}

@test "through the uplink: 20 MB both ways between a packed guest and the outside host, intact" {
	guest_xfer pa 10.99.15.11 5020
	[ "$(port_field pa broken)" = 0 ]
}

@test "the guest's driver resets its packed device: rings set up again, traffic resumes" {
	local dev
	dev=$(guest_run pb "basename \$(readlink /sys/class/net/eth0/device)")
	guest_run pb "echo $dev >/sys/bus/virtio/drivers/virtio_net/unbind; sleep 1; echo $dev >/sys/bus/virtio/drivers/virtio_net/bind; sleep 1; ip addr add 10.99.15.12/24 dev eth0; ip link set eth0 up"
	run guest_run pb "ping -c 3 -W 5 10.99.15.11"
	echo "$output"
	[ "$status" -eq 0 ]
	guest_bulk pa pb 10.99.15.12 5030 4
}

@test "xvsd killed and restarted under packed guests: they reconnect, rings resume where they were" {
	xvsd_stop KILL
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_port_state pa up 30
	wait_port_state pb up 30
	# QEMU's SET_VRING_BASE was stale (it cannot read a packed ring's
	# position): the rings started where the ring itself stood
	[ $(( $(port_field pa ring_resumes) + $(port_field pb ring_resumes) )) -ge 1 ]
	run guest_run pa "ping -c 3 -W 5 10.99.15.12"
	echo "$output"
	[ "$status" -eq 0 ]
	guest_bulk pb pa 10.99.15.11 5040 4
}

@test "xvsd SIGKILLed in the middle of a bulk transfer between packed guests and restarted: intact" {
	guest_bulk pa pb 10.99.15.12 5050 48 xvsd_kill_restart pa pb
	[ "$(port_field pa broken)" = 0 ]
	[ "$(port_field pb broken)" = 0 ]
	guest_virtio_clean pa pb
}

@test "DPDK virtio-user with packed_vq=1 (and its default in_order=1): a guest pings through it (icmpecho), then again after xvsd restarts" {
	require_cmd dpdk-testpmd
	tp_start
	wait_port_state tp up 30 || { cat "$XVSD_DIR/testpmd.log"; return 1; }
	[[ $(port_field tp feature_names) == *ring_packed* ]]
	# virtio-user asks for IN_ORDER unless told not to; xvs offers it
	[[ $(port_field tp feature_names) == *in_order* ]]
	# the first answer may take a while: testpmd starts forwarding once
	# its port is up
	wait_until 20 guest_run pa "ping -c 1 -W 1 10.99.15.99"
	run guest_run pa "ping -c 10 -i 0.2 -W 5 10.99.15.99"
	echo "$output"
	[[ $output == *" 0% packet loss"* ]]
	run guest_run pa "ping -c 5 -s 1400 -W 5 10.99.15.99"
	[[ $output == *" 0% packet loss"* ]]
	[ "$(queue_field tp 0 rx_packets)" -ge 15 ]
	# the switch goes away and comes back: virtio-user, the server, takes
	# the new connection and replays its rings' state
	xvsd_stop KILL
	xvsd_start "$XVSD_DIR/xvs.yaml"
	wait_port_state tp up 30 || { tail -20 "$XVSD_DIR/testpmd.log"; grep tp: "$XVSD_DIR/xvsd.log"; return 1; }
	wait_port_state pa up 30
	wait_until 20 guest_run pa "ping -c 1 -W 1 10.99.15.99"
	run guest_run pa "ping -c 5 -W 5 10.99.15.99"
	echo "$output"
	[[ $output == *" 0% packet loss"* ]]
	# it enabled its rings before negotiating again: taken, not refused
	[ "$(port_field tp early_enables)" -ge 1 ]
	[ "$(port_field tp broken)" = 0 ]
	tp_stop
}
