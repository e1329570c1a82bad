#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# libvirt's <interface type='vhostuser'> on xvs ports, through a real
# libvirtd (lib/libvirt: Debian's, private to this test) and QEMU guests, in
# both socket modes (config/libvirt/, config/README.md "libvirt"):
#
#   xvs-a: libvirt mode='client' + <reconnect>  ──► xvsd port a (server, 2 queues)
#   xvs-b: libvirt mode='server' (QEMU listens) ◄── xvsd port b (client)
#   xvs-c: libvirt mode='client', no <reconnect> ──► xvsd port c (server), the last test's

load lib/common
load lib/guest
load lib/xvsd
load lib/libvirt

setup_file() {
	vm_setup_file || return 0
	lv_skip_unless_supported || return 0
	lv_start
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-lv
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
datapath:
  cpus: [0, 1]
ports:
  a: { type: vhost-user, socket: a.sock, queues: 2 }
  b: { type: vhost-user, socket: $XVSD_DIR/b.sock, mode: client }
  c: { type: vhost-user, socket: c.sock }
YAML
	lv_define a --socket "$XVSD_DIR/a.sock" --mode client --reconnect --queues 2 \
		--ip 10.62.0.1/24 --mac 52:54:00:62:00:01
	lv_define b --socket "$XVSD_DIR/b.sock" --mode server \
		--ip 10.62.0.2/24 --mac 52:54:00:62:00:02
	lv_define c --socket "$XVSD_DIR/c.sock" --mode client \
		--ip 10.62.0.3/24 --mac 52:54:00:62:00:03
	xvsd_start "$XVSD_DIR/xvs.yaml"
	lv_start_domain a
	lv_start_domain b
	guest_wait_ready a 120
	guest_wait_ready b 120
}

teardown_file() {
	lv_stop
	xvsd_stop TERM
	if [ -n "${XVSD_DIR:-}" ]; then rm -rf "$XVSD_DIR"; fi
}

setup() {
	require_setup_file
}

# diag: what the guests and the switch see, for a failure's log
diag() {
	local g
	for g in a b; do
		echo "--- guest $g"
		guest_run "$g" "ip addr; ip neigh; cat /proc/cmdline" 2>&1 | head -40
	done
	echo "--- xvsctl show"
	xvsd_ctl show 2>&1
}

ping_ab() {
	guest_run a "ping -c 1 -W 2 10.62.0.2" >/dev/null
}

ping_ba() {
	guest_run b "ping -c 1 -W 2 10.62.0.1" >/dev/null
}

@test "both socket modes: the domains boot on xvs ports and ping each other" {
	wait_port_state a up 30
	wait_port_state b up 30
	[ "$(port_field a mode)" = server ]
	[ "$(port_field b mode)" = client ]
	[ "$(lv_state a)" = running ]
	wait_until 30 ping_ab || { diag; false; }
	run guest_run b "ping -c 3 -W 5 10.62.0.1"
	echo "$output"
	[ "$status" -eq 0 ]
	# the frames went through the switch: a's and b's counters moved
	[ "$(queue_field a 0 rx_packets)" -gt 0 ]
	[ "$(queue_field b 0 tx_packets)" -gt 0 ]
}

@test "<driver queues='2'/>: the guest has two queue pairs and xvs enables both" {
	run guest_run a "ls /sys/class/net/eth0/queues"
	echo "$output"
	[[ $output == *rx-1* ]]
	wait_until 20 port_is a queues 2
	run queue_field a 1 enabled
	[ "$output" = 1/1 ]
}

# ping_from_cpu CPU: 256 pings of 1000 bytes from guest a to b, sent by a
# process pinned to a's vCPU CPU (virtio-net's XPS: vCPU N sends on queue
# N; an echo request leaves from its sender's context, unlike TCP data that
# its ACKs clock out from another CPU's softirq); all answered
ping_from_cpu() {
	guest_run -t 60 a "taskset $((1 << $1)) ping -A -q -c 256 -s 1000 -W 5 10.62.0.2" |
		grep -q " 0% packet loss"
}

@test "two workers: the guest's two queue pairs go to different workers, and what it sends on each arrives intact" {
	local f0 f1 q0 q1 u0 u1 cpu
	wait_until 20 port_is a queues 2
	# a is port 0, b port 1, c port 2: (port + queue) % 2
	[ "$(wfield 0 polls)" = "a:0,c:0" ]
	[ "$(wfield 1 polls)" = "a:1,b:0" ]
	f0=$(wfield 0 frames) f1=$(wfield 1 frames)
	# 1 MiB over TCP from each of a's vCPUs, md5 compared: intact over
	# both queues (TCP sends part of vCPU 1's from vCPU 0's softirq,
	# where b's ACKs arrive: how it splits over the queues is not fixed)
	q0=$(queue_field a 0 rx_bytes) q1=$(queue_field a 1 rx_bytes)
	for cpu in 0 1; do
		BULK_PRE="taskset $((1 << cpu))" guest_bulk a b 10.62.0.2 $((5100 + cpu)) 1
	done
	q0=$(($(queue_field a 0 rx_bytes) - q0)) q1=$(($(queue_field a 1 rx_bytes) - q1))
	echo "TCP bytes from a: queue 0 $q0, queue 1 $q1"
	[ $((q0 + q1)) -gt $((2 << 20)) ]
	[ "$q1" -gt 0 ]
	# echo requests leave from the CPU that sends them: all 256 (1042
	# bytes each on the wire) on that CPU's queue
	for cpu in 0 1; do
		u0=$(queue_field a 0 rx_bytes) u1=$(queue_field a 1 rx_bytes)
		ping_from_cpu "$cpu"
		u0=$(($(queue_field a 0 rx_bytes) - u0)) u1=$(($(queue_field a 1 rx_bytes) - u1))
		echo "pings from vCPU $cpu: queue 0 $u0 bytes, queue 1 $u1"
		if [ "$cpu" = 0 ]; then
			[ "$u0" -ge $((256 * 1042)) ]
		else
			[ "$u1" -ge $((256 * 1042)) ]
		fi
	done
	echo "worker 0: $f0 -> $(wfield 0 frames) frames, worker 1: $f1 -> $(wfield 1 frames)"
	[ "$(wfield 0 frames)" -gt $((f0 + 256)) ]
	[ "$(wfield 1 frames)" -gt $((f1 + 256)) ]
}

@test "virsh destroy and start: each domain's port goes down, comes back, pings" {
	local n
	n=$(port_field a connects)
	virsh_ destroy xvs-a >/dev/null
	wait_port_state a down 20
	lv_start_domain a
	guest_wait_ready a 120
	wait_port_state a up 30
	[ "$(port_field a connects)" -gt "$n" ]
	wait_until 30 ping_ab

	n=$(port_field b connects)
	virsh_ destroy xvs-b >/dev/null
	wait_port_state b down 20
	# xvsd, the client, connects again to the new QEMU's socket
	lv_start_domain b
	guest_wait_ready b 120
	wait_port_state b up 30
	[ "$(port_field b connects)" -gt "$n" ]
	wait_until 30 ping_ba
}

@test "xvsd SIGKILLed and restarted: both domains' traffic resumes, the domains untouched" {
	local pa pb
	pa=$(cat "$(guest_dir a)/pid")
	pb=$(cat "$(guest_dir b)/pid")
	xvsd_stop KILL
	[ "$XVSD_STATUS" = 137 ]
	# not cleaned up by a killed daemon: the restart must cope
	run ping_ab
	[ "$status" -ne 0 ]
	xvsd_start "$XVSD_DIR/xvs.yaml"
	# a: QEMU reconnects (<reconnect timeout='1'/>); b: xvsd connects
	wait_port_state a up 30
	wait_port_state b up 30
	wait_until 30 ping_ab
	wait_until 30 ping_ba
	# the same QEMU processes: nothing was restarted on libvirt's side
	[ "$(cat "$(guest_dir a)/pid")" = "$pa" ]
	[ "$(cat "$(guest_dir b)/pid")" = "$pb" ]
	kill -0 "$pa"
	kill -0 "$pb"
	[ "$(lv_state a)" = running ]
	[ "$(lv_state b)" = running ]
}

@test "xvsd down when domains start: both wait for it (server: for xvsd to connect; client with <reconnect>: retrying), then boot" {
	local d
	virsh_ destroy xvs-a >/dev/null
	virsh_ destroy xvs-b >/dev/null
	xvsd_stop TERM
	[ "$XVSD_STATUS" = 0 ]

	# QEMU does not run the guest before its vhost-user backend is there:
	# `virsh start` does not return while xvsd is down, in either mode
	for d in a b; do
		: >"$(guest_dir $d)/console.log"
		rm -f "$XVSD_DIR/$d.started"
		(close_inherited_fds; virsh_ start "xvs-$d" >"$XVSD_DIR/$d.start.out" 2>&1; echo $? >"$XVSD_DIR/$d.started") &
	done
	sleep 5
	for d in a b; do
		[ ! -e "$XVSD_DIR/$d.started" ]
		run grep -c "$GUEST_READY_MARKER" "$(guest_dir $d)/console.log"
		[ "$output" = 0 ]
	done

	xvsd_start "$XVSD_DIR/xvs.yaml"
	for d in a b; do
		wait_until 60 test -e "$XVSD_DIR/$d.started"
		cat "$XVSD_DIR/$d.start.out"
		[ "$(cat "$XVSD_DIR/$d.started")" = 0 ]
		lv_record_pid $d
	done
	guest_wait_ready a 120
	guest_wait_ready b 120
	wait_port_state a up 30
	wait_port_state b up 30
	wait_until 30 ping_ab
	wait_until 30 ping_ba
}

@test "mode='client' without <reconnect>: no start while xvsd is down; after a restart of xvsd its NIC stays down" {
	xvsd_stop TERM
	run virsh_ start xvs-c
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(lv_state c)" != running ]
	xvsd_start "$XVSD_DIR/xvs.yaml"
	lv_start_domain c
	guest_wait_ready c 120
	wait_port_state c up 30
	wait_until 30 guest_run c "ping -c 1 -W 2 10.62.0.1" >/dev/null
	xvsd_stop KILL
	xvsd_start "$XVSD_DIR/xvs.yaml"
	# a comes back (it has <reconnect>); c does not: QEMU never connects again
	wait_port_state a up 30
	wait_until 30 ping_ab
	sleep 5
	[ "$(port_field c state)" = down ]
	[ "$(port_field c connects)" = 0 ]
	run guest_run c "ping -c 2 -W 2 10.62.0.1"
	[ "$status" -ne 0 ]
	[ "$(lv_state c)" = running ]
}
