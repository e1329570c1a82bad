#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Zero-copy NIC ⇄ VM with a real guest: the VM owns queue 2 of a 4-queue
# veth uplink, its AF_XDP socket's buffers are the guest's own RAM; the
# outside host sends everything on that queue (XPS), as a NIC's steering
# rule for the VM's MAC would:
#
#   netns xvzcns: xvzcp 10.99.19.2 ═veth (4 queues)═ xvzch ── XDP ─┬─ queue 2: VM a's socket (UMEM = a's RAM)
#                 (all TX on queue 2)                              └─ queues 0,1,3: the uplink's sockets
#   guest a 10.99.19.11 (zero-copy: { uplink: up0, queue: 2 })
#
# On veth (copy-mode AF_XDP) the kernel still copies once between the skb
# and the guest's buffer; what zero-copy removes is the switch's copy,
# which the counters show (to_vm_zc, from_vm_zc, copies per frame).

load lib/common
load lib/net
load lib/guest
load lib/xvsd

SW=bats-zc
NO_TSO=host_tso4=off,host_tso6=off,host_ecn=off
GA=52:54:00:19:00:0b
GB=52:54:00:19:00:0c

# config [B_ZERO_COPY]: port b gets zero-copy only when asked
write_config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
firewall:
  rule-sets:
    zc-in: # one port closed; the rest as without a firewall
      default: allow
      stateful: false
      rules:
        - { action: drop, proto: udp, dst-port: 9999 }
ports:
  up0: { type: uplink, interface: $NET_HOST_IF, zero-copy-queues: [2, 3] }
  a: { type: vhost-user, socket: a.sock, zero-copy: { uplink: up0, queue: auto, tx: guest },
       firewall: { to-vm: zc-in } }
  b: { type: vhost-user, socket: b.sock${1:+, zero-copy: { uplink: up0, queue: 3 \}} }
YAML
}

setup_file() {
	vm_setup_file || return 0
	require_cmd busybox && bpffs_mount || return 0
	net_setup_pair xvzc 19 queues=4 || return 0
	require_xdp_native "$NET_HOST_IF" || return 0
	net_exec ethtool -K "$NET_PEER_IF" tx off >/dev/null
	net_peer_tx_queue 2
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	# TSO frames are cut into segments by copying (offloads.bats); here
	# the guest's frames are the wire's size, checksums still left to the
	# switch (completed in the checked copy, payload from guest memory)
	guest_start a --vhost-user "$XVSD_DIR/a.sock" --client --ip 10.99.19.11/24 --mac $GA \
		--nic-opts "$NO_TSO"
	guest_wait_ready a 120
}

teardown_file() {
	guest_stop_all
	xvsd_stop TERM
	net_teardown
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
}

setup() {
	require_setup_file
}

# zc_is FIELD VALUE [PORT]: for wait_until (which runs a command, so the
# field is read anew each try).
zc_is() {
	[ "$(zc "$1" "${3:-a}")" = "$2" ]
}

# zc FIELD [PORT]: a field of the port's (a) zero-copy line in `xvsctl show`.
zc() {
	xvsd_ctl show "${2:-a}" | awk -v k="$1" '$1 == "zero-copy" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }'
}

@test "the VM owns queue 2: its socket is up over guest memory, the uplink keeps its sockets on queues 0 and 1" {
	wait_until 20 zc_is state up
	xvsd_ctl show
	[ "$(zc queue)" = 2 ]
	[ "$(zc afxdp)" = copy ] # veth has no driver zero-copy
	[ "$(zc pinned_mib)" -ge 256 ] # all of the guest's RAM is the UMEM
	[ "$(port_field up0 queues)" = 2 ] # 2 and 3 are the zero-copy pool
	[ "$(port_field up0 lent_queues)" = 0xc ]
	[ "$(port_field up0 rss)" = unsupported ] # a veth has no RSS table
}

@test "ping both ways; the replies to the guest land in its memory" {
	local zc0 x0
	zc0=$(zc to_vm_zc) x0=$(xdp_stat "$SW" redirect.zc_to_vm)
	run guest_run a "ping -c 3 -W 5 $NET_PEER_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	run net_exec ping -c 3 -W 5 10.99.19.11
	echo "$output"
	[ "$status" -eq 0 ]
	xvsd_ctl show a
	[ "$(zc to_vm_zc)" -ge $((zc0 + 6)) ]
	[ "$(xdp_stat "$SW" redirect.zc_to_vm)" -ge $((x0 + 6)) ]
	# its MAC known, xvsd asked the NIC to steer it: a veth cannot
	wait_until 5 zc_is steering external
	grep -q "no ntuple filters: frames for $GA must reach queue 2" "$XVSD_DIR/xvsd.log"
	# an ARP broadcast on the VM's queue goes to the host and reaches the
	# VM by copy, through the switch's tap
	net_exec ip neigh flush dev "$NET_PEER_IF"
	run net_exec ping -c 1 -W 5 10.99.19.11
	[ "$status" -eq 0 ]
	[ "$(port_field up0 tap_frames)" -ge 1 ]
	[ "$(xdp_stat "$SW" pass.zc_flood)" -ge 1 ]
}

# noports_is N: guest a's Udp NoPorts is N (read anew each try)
noports_is() {
	[ "$(guest_snmp a Udp NoPorts)" -eq "$1" ]
}

@test "the firewall judges frames for the zero-copy VM in XDP, before they reach its memory" {
	local d0 z0 n0
	d0=$(xdp_stat "$SW" drop.fw_drop) z0=$(xdp_stat "$SW" redirect.zc_to_vm)
	n0=$(guest_snmp a Udp NoPorts)
	net_inject $GA --ip4 "$NET_PEER_IP4,10.99.19.11" --udp 4000,9999 -c 5
	[ "$(xdp_stat "$SW" drop.fw_drop)" -eq $((d0 + 5)) ]
	[ "$(xdp_stat "$SW" redirect.zc_to_vm)" -eq "$z0" ]
	[ "$(guest_snmp a Udp NoPorts)" -eq "$n0" ]
	# the port next to it: into the guest's memory, no listener there
	net_inject $GA --ip4 "$NET_PEER_IP4,10.99.19.11" --udp 4000,9998 -c 5
	[ "$(xdp_stat "$SW" redirect.zc_to_vm)" -eq $((z0 + 5)) ]
	wait_until 5 noports_is $((n0 + 5))
	[ "$(xdp_stat "$SW" drop.fw_drop)" -eq $((d0 + 5)) ]
}

@test "20 MB both ways intact, zero-copy in both directions" {
	local rx0 tx0
	rx0=$(zc to_vm_zc) tx0=$(zc from_vm_zc)
	guest_xfer a 10.99.19.11 5101
	xvsd_ctl show a
	# 20 MB is ~14500 full-sized TCP segments each way
	[ "$(zc to_vm_zc)" -ge $((rx0 + 14000)) ]
	[ "$(zc from_vm_zc)" -ge $((tx0 + 14000)) ]
	awk -v r="$(zc to_vm_copies_per_frame)" 'BEGIN { exit !(r < 0.05) }'
	[ "$(zc rx_bad_desc)" = 0 ]
	[ "$(zc kernel_tx_invalid)" = 0 ]
}

@test "the guest's driver resets the device: the socket is torn down and rebuilt, traffic resumes zero-copy" {
	local b0 t0 zc0 dev
	b0=$(zc builds) t0=$(zc teardowns)
	dev=$(guest_run a "basename \$(readlink /sys/class/net/eth0/device)")
	echo "device $dev"
	guest_run a "echo $dev >/sys/bus/virtio/drivers/virtio_net/unbind; sleep 1; echo $dev >/sys/bus/virtio/drivers/virtio_net/bind; sleep 1; ip addr add 10.99.19.11/24 dev eth0; ip link set eth0 up"
	wait_until 20 zc_is state up
	[ "$(zc teardowns)" -gt "$t0" ]
	[ "$(zc builds)" -gt "$b0" ]
	zc0=$(zc to_vm_zc)
	run guest_run a "ping -c 3 -W 5 $NET_PEER_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(zc to_vm_zc)" -ge $((zc0 + 3)) ]
	xvsd_alive
}

@test "the VM goes away and comes back (a new QEMU, new memory): the socket follows" {
	local b0
	b0=$(zc builds)
	guest_stop a
	wait_until 20 eval '! zc_is state up'
	xvsd_alive
	guest_start a --vhost-user "$XVSD_DIR/a.sock" --client --ip 10.99.19.11/24 --mac $GA \
		--nic-opts "$NO_TSO"
	guest_wait_ready a 120
	wait_until 20 zc_is state up
	[ "$(zc builds)" -gt "$b0" ]
	run guest_run a "ping -c 3 -W 5 $NET_PEER_IP4"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(zc rx_returned)" -gt 0 ] # what it held went back before the memory went
}

@test "zero-copy added to a running VM by a reload: its queue works at once over host memory, then zero-copy after its next memory table" {
	guest_start b --vhost-user "$XVSD_DIR/b.sock" --client --ip 10.99.19.12/24 --mac $GB
	guest_wait_ready b 120
	[ -z "$(zc state b)" ]
	write_config b
	xvsd_ctl reload
	wait_until 20 zc_is state up b
	xvsd_ctl show b
	# b's memory was mapped before: not one range with scratch in front
	[ "$(zc memory b)" = host ]
	xvsd_ctl show b | grep -q 'why="guest memory is not mapped as one range'
	[ "$(zc pinned_mib b)" = 0 ]
	net_peer_tx_queue 3
	run net_exec ping -c 3 -W 5 10.99.19.12
	echo "$output"
	[ "$status" -eq 0 ]
	run guest_run b "ping -c 3 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
	[ "$(zc rx_copy_host b)" -ge 3 ]
	[ "$(zc tx_copy_host b)" -ge 3 ]
	# a device reset brings a new memory table: now over guest memory
	dev=$(guest_run b "basename \$(readlink /sys/class/net/eth0/device)")
	guest_run b "echo $dev >/sys/bus/virtio/drivers/virtio_net/unbind; sleep 1; echo $dev >/sys/bus/virtio/drivers/virtio_net/bind; sleep 1; ip addr add 10.99.19.12/24 dev eth0; ip link set eth0 up"
	wait_until 20 zc_is memory guest b
	run guest_run b "ping -c 3 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
	[ "$(zc to_vm_zc b)" -ge 3 ]
	# tx: auto on a copy-mode socket: the frames leave copied whole (one
	# descriptor costs the kernel less than header + payload apart)
	[ "$(zc tx_copy_mode b)" -ge 3 ]
	[ "$(zc tx b)" = auto ]
	net_peer_tx_queue 2
	guest_stop b
}

@test "TSO from a zero-copy VM: its large frames are cut into segments by copy, the rest zero-copy; intact, no bad checksum outside" {
	local seg0 cp0 err0
	guest_stop a
	wait_until 20 eval '! zc_is state up'
	guest_start a --vhost-user "$XVSD_DIR/a.sock" --client --ip 10.99.19.11/24 --mac $GA
	guest_wait_ready a 120
	wait_until 20 zc_is state up
	[ "$(guest_run a "cut -c12 /sys/class/net/eth0/device/features")" = 1 ] # host_tso4
	seg0=$(port_field a ofl_segments) cp0=$(zc from_vm_copied)
	err0=$(net_exec awk -v p=Tcp: -v k=InCsumErrors "$SNMP_AWK" /proc/net/snmp)
	guest_xfer a 10.99.19.11 5103
	echo "segments $seg0 -> $(port_field a ofl_segments), copied $cp0 -> $(zc from_vm_copied)"
	[ "$(port_field a ofl_segments)" -gt $((seg0 + 1000)) ]
	[ "$(zc from_vm_copied)" -gt $((cp0 + 1000)) ]
	[ "$(net_exec awk -v p=Tcp: -v k=InCsumErrors "$SNMP_AWK" /proc/net/snmp)" = "$err0" ]
	[ "$(zc kernel_tx_invalid)" = 0 ]
}
