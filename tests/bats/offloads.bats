#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Checksum and segmentation offloads with real Linux guests (TCG, virtio_net)
# and an outside host on a veth uplink:
#
#   guest a 10.99.14.11 ─ port a  (offloads: all, TSO out and in)
#   guest b 10.99.14.12 ─ port b  (offloads: all)
#   guest c 10.99.14.13 ─ port c  (port offloads: false: a plain virtio-net)
#   guest d 10.99.14.14 ─ port d  (QEMU guest_tso4/6=off: takes checksums
#                                   left to it, but no large frames)
#   outside 10.99.14.2  ─ up0     (veth, checksums on the wire complete)
#
# What is asserted is what a user sees: data intact, the offloads on in the
# guests' virtio features, no checksum errors in any receiver's kernel, and
# the switch's counters saying which path each frame took.

load lib/common
load lib/net
load lib/guest
load lib/xvsd

SW=bats-ofl

write_config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  up0: { type: uplink, interface: $NET_HOST_IF }
  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }
  c: { type: vhost-user, socket: c.sock, offloads: false }
  d: { type: vhost-user, socket: d.sock }
YAML
}

start_guest() { # name, last octet, guest_start options...
	local n=$1 o=$2
	shift 2
	guest_start "$n" --vhost-user "$XVSD_DIR/$n.sock" --client --ip "10.99.14.$o/24" \
		--mac "52:54:00:14:00:$o" "$@"
}

setup_file() {
	vm_setup_file || return 0
	require_cmd xdp-loader busybox && bpffs_mount || return 0
	net_setup_pair xvofl 14
	require_xdp_native "$NET_HOST_IF" || return 0
	# a NIC puts complete checksums on the wire; a veth would leave them
	# to an offload that never happens once XDP hands the frame to AF_XDP
	net_exec ethtool -K "$NET_PEER_IF" tx off >/dev/null
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	start_guest a 11
	start_guest b 12
	start_guest c 13
	start_guest d 14 --nic-opts guest_tso4=off,guest_tso6=off,guest_ecn=off
	guest_wait_ready a 120
	guest_wait_ready b 120
	guest_wait_ready c 120
	guest_wait_ready d 120
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




# Bits of virtio 1.2 §5.1.3.
CSUM=0 GUEST_CSUM=1 GUEST_TSO4=7 GUEST_TSO6=8 GUEST_ECN=9 HOST_TSO4=11 HOST_TSO6=12 HOST_ECN=13

@test "offloads negotiated: a guest's virtio features and xvsctl show say so; off where turned off" {
	local b
	for b in $CSUM $GUEST_CSUM $GUEST_TSO4 $GUEST_TSO6 $GUEST_ECN $HOST_TSO4 $HOST_TSO6 $HOST_ECN; do
		[ "$(guest_feature a "$b")" = 1 ] || { echo "a: feature bit $b off"; return 1; }
		[ "$(guest_feature c "$b")" = 0 ] || { echo "c: feature bit $b on"; return 1; }
	done
	# d was not offered large frames by QEMU, checksums it takes
	[ "$(guest_feature d $GUEST_TSO4)" = 0 ]
	[ "$(guest_feature d $GUEST_CSUM)" = 1 ]
	[ "$(guest_feature d $HOST_TSO4)" = 1 ]
	run xvsd_ctl show a
	[[ $output == *host_tso4* && $output == *guest_tso6* && $output == *guest_ecn* ]]
	[ "$(port_field a offloads)" = 1 ]
	[ "$(port_field c offloads)" = 0 ]
	[[ $(port_field c feature_names) != *tso* ]]
}

@test "TCP a -> b: large frames pass whole, intact, not segmented" {
	local seg0 tso0 pk0 by0 pk by
	seg0=$(port_field a ofl_segmented)
	tso0=$(port_field a ofl_tso)
	pk0=$(queue_field b 0 tx_packets)
	by0=$(queue_field b 0 tx_bytes)
	guest_bulk a b 10.99.14.12 5000 8
	# a sent TSO frames; b took them whole
	[ "$(port_field a ofl_tso)" -gt "$tso0" ]
	[ "$(port_field a ofl_segmented)" = "$seg0" ]
	pk=$(( $(queue_field b 0 tx_packets) - pk0 ))
	by=$(( $(queue_field b 0 tx_bytes) - by0 ))
	echo "to b: $pk frames, $by bytes"
	# frames of several MSS each on average, not 1514-byte ones
	[ "$by" -gt $((pk * 3000)) ]
	[ "$(guest_snmp b Tcp InCsumErrors)" = 0 ]
	[ "$(port_field a drop_offload)" = 0 ]
}

@test "TCP a -> c (no offloads): segmented by the switch, checksums computed, intact both ways" {
	local seg0 sw0
	seg0=$(port_field a ofl_segments)
	sw0=$(port_field a ofl_csum_sw)
	guest_bulk a c 10.99.14.13 5001 8
	echo "segments $seg0 -> $(port_field a ofl_segments), computed $sw0 -> $(port_field a ofl_csum_sw)"
	# most of 8 MiB in segments of 1448 bytes (5793)
	[ "$(port_field a ofl_segments)" -gt $((seg0 + 3000)) ]
	[ "$(port_field a ofl_csum_sw)" -gt $((sw0 + 3000)) ]
	# c's kernel checked every checksum the switch computed
	[ "$(guest_snmp c Tcp InCsumErrors)" = 0 ]
	[ "$(queue_field c 0 tx_drop_too_big)" = 0 ]
	guest_bulk c a 10.99.14.11 5002 4
	[ "$(port_field c ofl_tso)" = 0 ]
}

@test "TCP a -> d (checksums but no large frames): segments with checksums left to d, intact" {
	local seg0 sw0
	seg0=$(port_field a ofl_segments)
	sw0=$(port_field a ofl_csum_sw)
	guest_bulk a d 10.99.14.14 5003 8
	echo "segments $seg0 -> $(port_field a ofl_segments), computed $sw0 -> $(port_field a ofl_csum_sw)"
	[ "$(port_field a ofl_segments)" -gt $((seg0 + 3000)) ]
	# seeded for d to complete, not computed by the switch
	[ "$(port_field a ofl_csum_sw)" = "$sw0" ]
	[ "$(guest_snmp d Tcp InCsumErrors)" = 0 ]
	# and d's own large frames to a
	guest_bulk d a 10.99.14.11 5004 4
	[ "$(port_field d ofl_tso)" -gt 0 ]
}

@test "through the uplink: 20 MB both ways, intact; the outside host's kernel finds no bad checksum" {
	local err0 seg0 ver0
	err0=$(outside_snmp Tcp InCsumErrors)
	seg0=$(port_field a ofl_segments)
	ver0=$(port_field a csum_verified)
	guest_xfer a 10.99.14.11 5005
	echo "segments $seg0 -> $(port_field a ofl_segments), verified $ver0 -> $(port_field a csum_verified)"
	[ "$(outside_snmp Tcp InCsumErrors)" = "$err0" ]
	# a's large frames were cut for the wire (how large TCP makes them
	# depends on its pacing: a few segments each on this path)
	[ "$(port_field a ofl_segments)" -gt $((seg0 + 1000)) ]
	# the wire's frames were verified for a, which took them as valid
	[ "$(port_field a csum_verified)" -gt $((ver0 + 10000)) ]
	[ "$(port_field a csum_bad)" = 0 ]
	[ "$(guest_snmp a Tcp InCsumErrors)" = 0 ]
}

@test "a frame from the wire with a wrong checksum is not marked valid: the guest drops it" {
	local bad0 err0 mac
	mac=52:54:00:14:00:11
	bad0=$(port_field a csum_bad)
	err0=$(guest_snmp a Udp InCsumErrors)
	net_inject "$mac" --ip4 "$NET_PEER_IP4,10.99.14.11" --udp 4000,4001 --size 200 \
		--bad-l4-csum -c 5
	wait_until 10 test "$(port_field a csum_bad)" -ge $((bad0 + 5))
	# the guest's kernel saw each one's checksum wrong
	wait_until 10 test "$(guest_snmp a Udp InCsumErrors)" -ge $((err0 + 5))
	# a correct one is verified and taken
	local ver0
	ver0=$(port_field a csum_verified)
	net_inject "$mac" --ip4 "$NET_PEER_IP4,10.99.14.11" --udp 4000,4001 --size 200
	wait_until 10 test "$(port_field a csum_verified)" -gt "$ver0"
	[ "$(guest_snmp a Udp InCsumErrors)" = $((err0 + 5)) ]
}

@test "no port broke, nothing dropped for want of room or as an offload nobody asked for" {
	local p
	for p in a b c d; do
		[ "$(port_field "$p" broken)" = 0 ]
		[ "$(port_field "$p" drop_offload)" = 0 ]
	done
}
