#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# The firewall end to end with real guests: rule sets per VM port and
# direction, conntrack shared by XDP and the forwarder, anti-spoofing, hot
# reload. An outside host in a namespace behind a veth uplink:
#
#   netns xvfwns: xvfwp 10.99.23.2, .3 ◄═veth═► xvfwh ── XDP xvs_xdp: judges what the wire
#                 fd00:99:0:23::2                 │      sends to a VM (its to-vm sets)
#                                               xvsd ─┬─ port a: guest a 10.99.23.11
#                                                     │    to-vm a-in, from-vm a-out (answers only)
#                                                     └─ port b: guest b 10.99.23.12, anti-spoofing
#                                                          to-vm b-in (replies only), from-vm b-out
#
# Frames from the wire for a VM are judged in XDP (the counter drop.fw_drop
# of `xvsctl xdp stats`), VM-to-VM frames and floods in the forwarder (the
# ports' drop_fw_to/drop_fw_from of `xvsctl show`); `xvsctl firewall` adds
# both up per reason. Busybox's nc has no UDP: UDP reaches a guest's stack
# when its /proc/net/snmp counters move (NoPorts for a closed port).

load lib/common
load lib/net
load lib/guest
load lib/xvsd

SW=bats-fw
GA=52:54:00:23:00:0b
GB=52:54:00:23:00:0c
A4=10.99.23.11
B4=10.99.23.12
# the outside host's second address: the only one a rule lets ping a
PING4=10.99.23.3

# write_config [reloaded|broken] [B-IPV4]: a-in's last rule allows TCP
# 5301; after the reload 5302 instead; broken: a CIDR with host bits set.
# B-IPV4: b's anti-spoofing ipv4 (default: its address); B-FIREWALL: b's
# firewall: (default: both ways)
write_config() {
	local last="{ action: allow, proto: tcp, dst-port: 5301 }"
	case ${1:-} in
	reloaded) last="{ action: allow, proto: tcp, dst-port: 5302 }" ;;
	broken) last="{ action: allow, proto: tcp, dst-port: 5302, src: 10.99.23.1/24 }" ;;
	esac
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
firewall:
  rule-sets:
    a-in:
      default: drop
      rules:
        - { action: allow, proto: tcp, dst-port: 5100-5199 }
        - { action: reject, proto: tcp, dst-port: 5250 }
        - { action: allow, proto: udp, dst-port: 7001 }
        - { action: drop, proto: udp, dst-port: 7002 }
        - { action: allow, proto: icmp, icmp-type: echo-request, src: $PING4 }
        - $last
    # a answers (conntrack entries XDP made let its replies out), and
    # opens TCP to 6000-6999 only
    a-out:
      default: drop
      rules:
        - { action: allow, proto: tcp, dst-port: 6000-6999 }
    b-in:
      default: drop             # stateful: only replies to what b opened
    b-out:
      default: allow
      rules:
        - { action: drop, proto: tcp, dst-port: 5150 }
ports:
  up0: { type: uplink, interface: $NET_HOST_IF }
  a: { type: vhost-user, socket: a.sock, firewall: { to-vm: a-in, from-vm: a-out } }
  b:
    type: vhost-user
    socket: b.sock
    firewall: ${3:-"{ to-vm: b-in, from-vm: b-out }"}
    anti-spoofing:
      mac: "$GB"
      ipv4: ${2:-$B4}
      ipv6: ["fd00:99:0:23::12", "fe80::5054:ff:fe23:c"]
      learn: false
YAML
}

setup_file() {
	vm_setup_file || return 0
	require_cmd xdp-loader busybox ethtool ss && bpffs_mount || return 0
	net_setup_pair xvfw 23 ipv6 || return 0
	require_xdp_native "$NET_HOST_IF" || return 0
	net_exec ethtool -K "$NET_PEER_IF" tx off >/dev/null
	net_peer_xdp_tx # XDP's answers to rejected frames go back out with XDP_TX
	net_exec ip addr add "$PING4/24" dev "$NET_PEER_IF"
	# the pinned conntrack table of a run killed before its teardown
	rm -rf "/sys/fs/bpf/xvs/$SW"
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	guest_start a --vhost-user "$XVSD_DIR/a.sock" --client --ip "$A4/24" \
		--ip6 fd00:99:0:23::11/64 --mac $GA
	guest_start b --vhost-user "$XVSD_DIR/b.sock" --client --ip "$B4/24" \
		--ip6 fd00:99:0:23::12/64 --mac $GB
	guest_wait_ready a 120
	guest_wait_ready b 120
	# both speak first, so that XDP knows their MACs (what it judges)
	guest_run a "arping -c 1 -w 2 -I eth0 $NET_PEER_IP4 >/dev/null" || true
	guest_run b "arping -c 1 -w 2 -I eth0 $NET_PEER_IP4 >/dev/null" || true
	wait_until 10 xdp_knows $GA
	wait_until 10 xdp_knows $GB
}

teardown_file() {
	outside_stop_all
	guest_stop_all
	xvsd_uplink_teardown
}

setup() {
	require_setup_file
}

xdp_knows() {
	xvsctl -s "$SW" xdp fdb list | grep -qi "$1"
}

# fw_drops / fw_rejects: frames XDP's firewall dropped (all ports)
fw_drops() {
	xdp_stat "$SW" drop.fw_drop
}

fw_rejects() {
	xdp_stat "$SW" drop.fw_reject
}

# answers to rejected frames XDP sent back out (TCP RST, ICMP unreachable)
fw_answered() {
	xdp_stat "$SW" tx.fw_reject_sent
}

# fw_reason PORT DIR REASON: the count of REASON on PORT's DIR line of
# `xvsctl firewall` (XDP's and the forwarder's together; 0 if not shown).
# Prints nothing and fails if xvsctl fails or has no such line.
fw_reason() {
	local out
	out=$(xvsd_ctl firewall "$1") || { echo "xvsctl firewall $1: $out" >&2; return 1; }
	awk -v p="$1" -v d="$2" -v r="$3" '
		$1 == "port" && $2 == p && $3 == "dir=" d {
			seen = 1
			for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == r) n = kv[2] }
		}
		END { if (!seen) { print "no line \"port " p " " d "\"" >"/dev/stderr"; exit 1 } print n + 0 }' <<<"$out"
}

# fw_field FIELD: FIELD= of the first line of `xvsctl firewall`
fw_field() {
	xvsd_ctl firewall | awk -v f="$1" 'NR == 1 { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'
}

# spoof REASON: b's drop_spoof_REASON
spoof() {
	xvsd_ctl show b | awk -v k="drop_spoof_$1" '$1 == "anti-spoofing" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }'
}

# is VALUE CMD...: CMD prints VALUE (for wait_until)
is() {
	[ "$("${@:2}")" = "$1" ]
}

# outside_snmp6 KEY: the outside host's /proc/net/snmp6 (outside_snmp is
# in lib/guest.bash)
outside_snmp6() {
	net_exec awk -v k="$1" '$1 == k { print $2 }' /proc/net/snmp6
}

# guest_listen GUEST PORT: a TCP server in the guest for one connection
# (busybox nc -l, its stdin kept open or it quits): it greets with "hello
# from GUEST:PORT" and writes what it receives to /tmp/PORT.out. One that
# listens on PORT already is kept.
guest_listen() {
	guest_run "$1" "netstat -tln | grep -q ':$2 ' || { rm -f /tmp/$2.out; ((echo hello from $1:$2; sleep 600) | nc -l -p $2 >/tmp/$2.out) >/dev/null 2>&1 & }"
	wait_until 5 guest_run "$1" "netstat -tln | grep -q ':$2 '"
}

# guest_got GUEST PORT TEXT: the guest's server on PORT received TEXT
guest_got() {
	guest_run "$1" "grep -q '$3' /tmp/$2.out 2>/dev/null"
}

# outside_connect HOST PORT: connect from the outside host (2 s at most),
# send "from outside", print what the server sent
outside_connect() {
	echo "from outside" | net_exec timeout 10 busybox nc -w 2 "$1" "$2"
}

# outside_bg CMD...: CMD in the outside host's namespace, in the
# background, 60 s at most (timeout ends its process group with it);
# outside_stop_all stops what is left
outside_bg() {
	(
		close_inherited_fds
		exec ip netns exec "$NET_NS" timeout 60 "$@"
	) </dev/null >/dev/null 2>&1 &
	echo $! >>"$XVSD_DIR/outside.pids"
}

outside_stop_all() {
	local pid
	[ -n "${XVSD_DIR:-}" ] && [ -f "$XVSD_DIR/outside.pids" ] || return 0
	while read -r pid; do
		# still ours: a timeout we started, not a recycled pid
		grep -qa '^timeout' "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null
	done <"$XVSD_DIR/outside.pids"
	rm -f "$XVSD_DIR/outside.pids"
	return 0
}

# outside_listening tcp|udp PORT
outside_listening() {
	local o=-Htln
	[ "$1" = udp ] && o=-Huln
	[ -n "$(net_exec ss "$o" "sport = :$2")" ]
}

inject() {
	net_inject "$@"
}

# rule_count PORT DIR SET POS: the packets of rule POS of SET on PORT's DIR
# in `xvsctl firewall PORT`
rule_count() {
	xvsd_ctl firewall "$1" | awk -v d="dir=$2" -v s="set=$3" -v r="pos=$4" '
		$1 == "port" { on = ($3 == d) }
		on && $1 == "rule" && $2 == s && $3 == r {
			for (i = 3; i <= NF; i++)
				if ($i ~ /^packets=/) { sub("packets=", "", $i); print $i }
		}'
}

@test "from the uplink, judged in XDP: allowed TCP ports answer (IPv4 and IPv6), denied and rejected ones do not" {
	local x0 t0 r0 d0 j0 x1 f0 fe0 fd0 te0
	x0=$(fw_drops) t0=$(port_field a drop_fw_to) r0=$(fw_reason a to-vm RULE_ALLOW)
	te0=$(fw_reason a to-vm ESTABLISHED)
	f0=$(port_field a drop_fw_from) fe0=$(fw_reason a from-vm ESTABLISHED)
	fd0=$(fw_reason a from-vm DEFAULT_DROP)
	guest_listen a 5101
	run outside_connect $A4 5101
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"hello from a:5101"* ]]
	wait_until 5 guest_got a 5101 "from outside"
	# the SYN by the rule, the rest of the connection by conntrack
	[ "$(fw_reason a to-vm RULE_ALLOW)" -eq $((r0 + 1)) ]
	[ "$(fw_reason a to-vm ESTABLISHED)" -gt "$te0" ]
	# a rule without addresses or family is for IPv6 too
	guest_listen a 5102
	run outside_connect fd00:99:0:23::11 5102
	[ "$status" -eq 0 ]
	[[ $output == *"hello from a:5102"* ]]
	[ "$(fw_drops)" -eq "$x0" ]
	# a's answers left through a-out (default drop) by the entries XDP made
	[ "$(fw_reason a from-vm ESTABLISHED)" -gt "$fe0" ]
	[ "$(fw_reason a from-vm DEFAULT_DROP)" -eq "$fd0" ]
	[ "$(port_field a drop_fw_from)" -eq "$f0" ]

	# no rule for 5201: a-in's default drops it, in XDP
	guest_listen a 5201
	d0=$(fw_reason a to-vm DEFAULT_DROP)
	run outside_connect $A4 5201
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(fw_drops)" -gt "$x0" ] # the SYN and its retransmissions
	[ "$(fw_reason a to-vm DEFAULT_DROP)" -eq $((d0 + $(fw_drops) - x0)) ]
	guest_run a "test ! -s /tmp/5201.out"
	# counted frame by frame
	x1=$(fw_drops) d0=$(fw_reason a to-vm DEFAULT_DROP)
	inject $GA --ip4 "$NET_PEER_IP4,$A4" --tcp 40000,5201 -c 3
	[ "$(fw_drops)" -eq $((x1 + 3)) ]
	[ "$(fw_reason a to-vm DEFAULT_DROP)" -eq $((d0 + 3)) ]

	# 5250: a rule rejects it: XDP answers the SYN with a RST, sent back
	# out of the uplink (XDP_TX): refused at once
	guest_listen a 5250
	j0=$(fw_answered) r0=$(fw_reason a to-vm RULE_REJECT) q0=$(fw_rejects)
	run outside_connect $A4 5250
	echo "$output (answers sent: $(fw_answered), unanswered: $(fw_rejects))"
	[ "$status" -ne 0 ]
	[[ ${output,,} == *refused* ]]
	[ "$(fw_answered)" -eq $((j0 + 1)) ]
	j0=$(fw_answered) r0=$(fw_reason a to-vm RULE_REJECT)
	inject $GA --ip4 "$NET_PEER_IP4,$A4" --tcp 40000,5250 -c 3
	[ "$(fw_answered)" -eq $((j0 + 3)) ]
	[ "$(fw_reason a to-vm RULE_REJECT)" -eq $((r0 + 3)) ]
	[ "$(fw_rejects)" -eq "$q0" ] # none unanswered: within the rate
	guest_run a "test ! -s /tmp/5250.out"
	# all of it in XDP: the forwarder dropped nothing for a
	[ "$(port_field a drop_fw_to)" -eq "$t0" ]
}

@test "from the uplink: UDP to an allowed port is delivered, to a denied one dropped in XDP" {
	local n0 x0 d0 t0 r0 e0
	n0=$(guest_snmp a Udp NoPorts) x0=$(fw_drops) t0=$(port_field a drop_fw_to)
	d0=$(fw_reason a to-vm RULE_DROP)
	inject $GA --ip4 "$NET_PEER_IP4,$A4" --udp 4000,7002 -c 5
	[ "$(fw_drops)" -eq $((x0 + 5)) ]
	[ "$(fw_reason a to-vm RULE_DROP)" -eq $((d0 + 5)) ]
	# (not a's default: IPv6, 7003)
	d0=$(fw_reason a to-vm DEFAULT_DROP)
	inject $GA --ip6 "$NET_PEER_IP6,fd00:99:0:23::11" --udp 4000,7003 -c 2
	[ "$(fw_drops)" -eq $((x0 + 7)) ]
	[ "$(fw_reason a to-vm DEFAULT_DROP)" -eq $((d0 + 2)) ]
	# 7001 is allowed: its 5 reach a's UDP (closed port: NoPorts), the 7
	# dropped ones never did; judged once (in XDP, not again in the
	# switch): the rule took the first, conntrack the other 4
	r0=$(fw_reason a to-vm RULE_ALLOW) e0=$(fw_reason a to-vm ESTABLISHED)
	inject $GA --ip4 "$NET_PEER_IP4,$A4" --udp 4000,7001 -c 5
	wait_until 5 is $((n0 + 5)) guest_snmp a Udp NoPorts
	[ "$(fw_reason a to-vm RULE_ALLOW)" -eq $((r0 + 1)) ]
	[ "$(fw_reason a to-vm ESTABLISHED)" -eq $((e0 + 4)) ]
	[ "$(fw_drops)" -eq $((x0 + 7)) ]
	[ "$(port_field a drop_fw_to)" -eq "$t0" ]
}

@test "from the uplink: ping passes from the address a rule allows, is dropped in XDP from another" {
	local x0 e0
	x0=$(fw_drops) e0=$(guest_snmp a Icmp InEchos)
	run net_exec ping -c 3 -W 2 $A4
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(fw_drops)" -eq $((x0 + 3)) ]
	[ "$(guest_snmp a Icmp InEchos)" -eq "$e0" ]
	run net_exec ping -c 3 -W 5 -I $PING4 $A4
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *" 0% packet loss"* ]]
	[ "$(guest_snmp a Icmp InEchos)" -eq $((e0 + 3)) ]
	[ "$(fw_drops)" -eq $((x0 + 3)) ]
}

@test "a broadcast from the uplink is judged by the switch for each VM" {
	local a0 b0 ta0 tb0 x0
	a0=$(guest_snmp a Udp IgnoredMulti) b0=$(guest_snmp b Udp IgnoredMulti)
	ta0=$(port_field a drop_fw_to) tb0=$(port_field b drop_fw_to) x0=$(fw_drops)
	inject ff:ff:ff:ff:ff:ff --ip4 "$NET_PEER_IP4,10.99.23.255" --udp 4000,7001 -c 4
	inject ff:ff:ff:ff:ff:ff --ip4 "$NET_PEER_IP4,10.99.23.255" --udp 4000,7002 -c 3
	# a takes 7001 (no socket: IgnoredMulti), not 7002; b takes neither
	wait_until 5 is $((a0 + 4)) guest_snmp a Udp IgnoredMulti
	wait_until 5 is $((ta0 + 3)) port_field a drop_fw_to
	wait_until 5 is $((tb0 + 7)) port_field b drop_fw_to
	[ "$(guest_snmp b Udp IgnoredMulti)" -eq "$b0" ]
	# XDP hands floods on unjudged
	[ "$(fw_drops)" -eq "$x0" ]
}

@test "VM to VM, judged in the forwarder: the receiver's to-vm and the sender's from-vm rules" {
	local x0 ta0 fb0 rd0 n0 rel0 fa0 rj0
	x0=$(fw_drops) ta0=$(port_field a drop_fw_to) fb0=$(port_field b drop_fw_from)
	rd0=$(fw_reason b from-vm RULE_DROP)
	guest_listen a 5103
	run guest_run b "echo from b | nc -w 2 $A4 5103"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"hello from a:5103"* ]]
	wait_until 5 guest_got a 5103 "from b"
	# a-in's default
	guest_listen a 5202
	run guest_run b "echo from b | nc -w 2 $A4 5202"
	[ "$status" -ne 0 ]
	[ "$(port_field a drop_fw_to)" -gt "$ta0" ]
	# b-out drops 5150, which a-in would let in
	guest_listen a 5150
	run guest_run b "echo from b | nc -w 2 $A4 5150"
	[ "$status" -ne 0 ]
	[ "$(port_field b drop_fw_from)" -gt "$fb0" ]
	[ "$(fw_reason b from-vm RULE_DROP)" -eq $(($(port_field b drop_fw_from) - fb0 + rd0)) ]
	guest_run a "test ! -s /tmp/5202.out && test ! -s /tmp/5150.out"
	# a-in rejects 5250: the forwarder answers b with a RST (refused at once)
	fa0=$(port_field b fw_answers) rj0=$(fw_reason a to-vm RULE_REJECT)
	guest_listen a 5250
	run guest_run b "echo from b | nc -w 2 $A4 5250"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ ${output,,} == *refused* ]]
	[ "$(port_field b fw_answers)" -eq $((fa0 + 1)) ]
	[ "$(fw_reason a to-vm RULE_REJECT)" -eq $((rj0 + 1)) ]
	guest_run a "test ! -s /tmp/5250.out"

	# UDP: traceroute sends its one probe to the port after -p's; a's port
	# unreachable comes back to b as related to it
	n0=$(guest_snmp a Udp NoPorts) ta0=$(port_field a drop_fw_to)
	rel0=$(fw_reason b to-vm RELATED)
	run guest_run b "traceroute -n -m 1 -q 1 -w 2 -p 7000 $A4"
	echo "$output"
	[[ $output == *" 1  $A4 "* ]]
	[ "$(guest_snmp a Udp NoPorts)" -eq $((n0 + 1)) ]
	[ "$(fw_reason b to-vm RELATED)" -eq $((rel0 + 1)) ]
	run guest_run b "traceroute -n -m 1 -q 1 -w 2 -p 7001 $A4"
	echo "$output"
	[[ $output == *" 1  *"* ]]
	[ "$(guest_snmp a Udp NoPorts)" -eq $((n0 + 1)) ]
	[ "$(port_field a drop_fw_to)" -eq $((ta0 + 1)) ]
	# XDP saw none of it
	[ "$(fw_drops)" -eq "$x0" ]
}

@test "egress allowed, ingress stateful only: b's own connections get their replies (TCP out and to a, UDP, ping)" {
	local e0 d0 t0 u0 rel0
	e0=$(fw_reason b to-vm ESTABLISHED) d0=$(fw_reason b to-vm DEFAULT_DROP)
	t0=$(port_field b drop_fw_to)
	outside_bg sh -c "(echo hello from outside; sleep 30) | busybox nc -l -p 6001 >$XVSD_DIR/6001.out"
	wait_until 5 outside_listening tcp 6001
	run guest_run b "echo from b | nc -w 2 $NET_PEER_IP4 6001"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"hello from outside"* ]]
	wait_until 5 grep -q "from b" "$XVSD_DIR/6001.out"
	# to the other VM
	guest_listen a 5104
	run guest_run b "echo from b | nc -w 2 $A4 5104"
	[ "$status" -eq 0 ]
	[[ $output == *"hello from a:5104"* ]]
	# UDP request and reply: a DNS query to an echo server
	outside_bg socat -T 2 UDP4-RECVFROM:53,fork EXEC:cat
	wait_until 5 outside_listening udp 53
	u0=$(guest_snmp b Udp InDatagrams)
	run guest_run b "nslookup fw.test $NET_PEER_IP4"
	echo "$output"
	[ "$(guest_snmp b Udp InDatagrams)" -gt "$u0" ]
	run guest_run b "ping -c 2 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
	run guest_run b "ping6 -c 2 -W 5 $NET_PEER_IP6"
	[ "$status" -eq 0 ]
	# errors about b's connections come back (XDP parses the packet they
	# quote): port unreachable for UDP, IPv4 and IPv6; a RST for TCP
	rel0=$(fw_reason b to-vm RELATED)
	run guest_run b "traceroute -n -m 1 -q 1 -w 2 -p 7000 $NET_PEER_IP4"
	echo "$output"
	[[ $output == *" 1  $NET_PEER_IP4 "* ]]
	run guest_run b "traceroute6 -n -m 1 -q 1 -w 2 $NET_PEER_IP6"
	echo "$output"
	[[ $output == *" 1  $NET_PEER_IP6 "* ]]
	[ "$(fw_reason b to-vm RELATED)" -eq $((rel0 + 2)) ]
	run guest_run b "nc -w 2 $NET_PEER_IP4 6999 </dev/null"
	echo "$output"
	[[ $output == *"Connection refused"* ]]
	xvsd_ctl firewall b
	[ "$(fw_reason b to-vm ESTABLISHED)" -gt "$e0" ]
	[ "$(fw_reason b to-vm DEFAULT_DROP)" -eq "$d0" ]
	[ "$(port_field b drop_fw_to)" -eq "$t0" ]
}

@test "egress allowed, ingress stateful only: unsolicited TCP, UDP and ping for b are dropped, in XDP from the wire" {
	local x0 x1 d0 t0 n0 e0
	guest_listen b 6002
	x0=$(fw_drops) d0=$(fw_reason b to-vm DEFAULT_DROP) t0=$(port_field b drop_fw_to)
	n0=$(guest_snmp b Udp NoPorts) e0=$(guest_snmp b Icmp InEchos)
	run outside_connect $B4 6002
	[ "$status" -ne 0 ]
	[ "$(fw_drops)" -gt "$x0" ]
	x1=$(fw_drops)
	# SYNs, and a "DNS reply" nobody asked for
	inject $GB --ip4 "$NET_PEER_IP4,$B4" --tcp 40000,6002 -c 3
	inject $GB --ip4 "$NET_PEER_IP4,$B4" --udp 53,9 -c 3
	[ "$(fw_drops)" -eq $((x1 + 6)) ]
	run net_exec ping -c 2 -W 1 $B4
	[ "$status" -ne 0 ]
	[ "$(fw_drops)" -eq $((x1 + 8)) ]
	[ "$(fw_reason b to-vm DEFAULT_DROP)" -eq $((d0 + $(fw_drops) - x0)) ]
	[ "$(guest_snmp b Udp NoPorts)" -eq "$n0" ]
	[ "$(guest_snmp b Icmp InEchos)" -eq "$e0" ]
	[ "$(port_field b drop_fw_to)" -eq "$t0" ]
	# from the other VM: the same, in the forwarder
	run guest_run a "echo from a | nc -w 2 $B4 6002"
	[ "$status" -ne 0 ]
	[ "$(port_field b drop_fw_to)" -gt "$t0" ]
	[ "$(fw_drops)" -eq $((x1 + 8)) ]
	guest_run b "test ! -s /tmp/6002.out"
}

@test "anti-spoofing: a spoofed source MAC is dropped and counted; neither the outside host nor the switch learns it" {
	local spoofed=52:54:00:23:00:99 s0
	# the outside host knows b by its real MAC
	guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	net_exec ip neigh show $B4 | grep -qi "lladdr $GB"
	s0=$(spoof src_mac)
	# one call: b gets its MAC back even if a command fails
	run guest_run b "ip link set eth0 address $spoofed; ping -c 2 -W 2 $NET_PEER_IP4; arping -U -c 2 -w 3 -I eth0 -s $B4 $B4; ip link set eth0 address $GB"
	echo "$output"
	[[ $output == *"100% packet loss"* ]]
	xvsd_ctl show b
	[ "$(spoof src_mac)" -ge $((s0 + 4)) ] # 2 pings, 2 announcements
	net_exec ip neigh show $B4
	net_exec ip neigh show $B4 | grep -qi "lladdr $GB"
	[ -z "$(xvsd_ctl fdb | grep -i $spoofed)" ]
	run xdp_knows $spoofed
	[ "$status" -ne 0 ]
	# its own MAC passes again
	run guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
}

@test "anti-spoofing: a spoofed IPv4 source and ARP announcements for others' addresses are dropped; neighbours keep the right MACs" {
	local i0 a0 e0
	# the entries the announcements would overwrite: the outside host's
	# for a, a's for the outside host (the ping is a-in's to drop; ARP
	# resolves both ways)
	net_exec ip neigh flush dev "$NET_PEER_IF"
	net_exec ping -c 1 -W 1 $A4 || true
	net_exec ip neigh show $A4 | grep -qi "lladdr $GA"
	guest_run a "ip neigh show" | grep -qi "^$NET_PEER_IP4 .*lladdr $NET_PEER_MAC"
	# b's entry for the outside host fresh: the spoofed pings need no ARP
	guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	i0=$(spoof ip4_src) a0=$(spoof arp) e0=$(outside_snmp Icmp InEchos)
	run guest_run b "ip addr add 10.99.23.99/24 dev eth0; ping -c 3 -W 2 -I 10.99.23.99 $NET_PEER_IP4; rc=\$?; ip addr del 10.99.23.99/24 dev eth0; exit \$rc"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(spoof ip4_src)" -ge $((i0 + 3)) ]
	[ "$(outside_snmp Icmp InEchos)" -eq "$e0" ]
	[ -z "$(net_exec ip neigh show 10.99.23.99 | grep lladdr)" ]
	# gratuitous ARP claiming a's address and the outside host's (busybox
	# arping binds to the claimed address: nonlocal bind)
	run guest_run b "echo 1 >/proc/sys/net/ipv4/ip_nonlocal_bind; arping -U -c 2 -w 3 -I eth0 -s $A4 $A4; arping -U -c 2 -w 3 -I eth0 -s $NET_PEER_IP4 $NET_PEER_IP4; echo 0 >/proc/sys/net/ipv4/ip_nonlocal_bind"
	echo "$output"
	xvsd_ctl show b
	[ "$(spoof arp)" -ge $((a0 + 4)) ]
	net_exec ip neigh show $A4
	net_exec ip neigh show $A4 | grep -qi "lladdr $GA"
	guest_run a "ip neigh show" | grep -qi "^$NET_PEER_IP4 .*lladdr $NET_PEER_MAC"
	# b's own address still works
	run guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
}

@test "anti-spoofing: an IPv6 address not allowed: its DAD, its advertisement and its traffic are dropped; the outside host does not learn it" {
	local n0 s0 e0
	guest_run b "ping6 -c 1 -W 5 $NET_PEER_IP6"
	n0=$(spoof nd) s0=$(spoof ip6_src) e0=$(outside_snmp6 Icmp6InEchos)
	# DAD on (the guest's init turns it off), an unsolicited advertisement
	# once the address is valid (ndisc_notify), then pings from it
	run guest_run -t 40 b "cd /proc/sys/net/ipv6/conf/eth0; echo 1 >accept_dad; echo 1 >ndisc_notify
		ip -6 addr add fd00:99:0:23::99/64 dev eth0
		while ip -6 addr show dev eth0 | grep -q tentative; do sleep 0.2; done
		sleep 0.5
		ping6 -c 2 -W 2 -I fd00:99:0:23::99 $NET_PEER_IP6; rc=\$?
		ip -6 addr del fd00:99:0:23::99/64 dev eth0; echo 0 >accept_dad; echo 0 >ndisc_notify
		exit \$rc"
	echo "$output"
	[ "$status" -ne 0 ]
	xvsd_ctl show b
	[ "$(spoof nd)" -ge $((n0 + 1)) ] # the DAD solicitation, from ::
	[ "$(spoof ip6_src)" -ge $((s0 + 3)) ] # the advertisement (from ::99) and the pings
	[ "$(outside_snmp6 Icmp6InEchos)" -eq "$e0" ]
	net_exec ip -6 neigh show
	[ -z "$(net_exec ip -6 neigh show fd00:99:0:23::99 | grep lladdr)" ]
	run guest_run b "ping6 -c 1 -W 5 $NET_PEER_IP6"
	[ "$status" -eq 0 ]
}

# guest_size GUEST FILE
guest_size() {
	guest_run "$1" "stat -c %s $2 2>/dev/null || echo 0"
}

@test "hot reload under traffic (SIGHUP): a TCP stream and a ping stream lose nothing; the added port opens, the removed one closes, its open connection too" {
	local sum r0 rm0 at spid ppid fd i c0 c5 d0
	# before: 5301 allowed, 5302 not
	guest_listen a 5302
	run outside_connect $A4 5302
	[ "$status" -ne 0 ]
	# a connection to 5301 that stays open across the reload
	guest_listen a 5301
	rm -f "$XVSD_DIR/5301.in"
	mkfifo "$XVSD_DIR/5301.in"
	outside_bg sh -c "busybox nc $A4 5301 <$XVSD_DIR/5301.in >/dev/null"
	exec {fd}>"$XVSD_DIR/5301.in"
	echo before >&"$fd"
	wait_until 5 guest_got a 5301 before

	# 8 MiB in 256 KiB pieces 0.1 s apart (~3.5 s), and 5 s of pings
	head -c 8M /dev/urandom >"$XVSD_DIR/stream.bin"
	sum=$(md5sum <"$XVSD_DIR/stream.bin" | cut -d' ' -f1)
	guest_listen a 5105
	(
		close_inherited_fds
		for i in $(seq 0 31); do
			dd if="$XVSD_DIR/stream.bin" bs=256k skip="$i" count=1 2>/dev/null
			sleep 0.1
		done | net_exec busybox nc $A4 5105
	) &
	spid=$!
	(
		close_inherited_fds
		net_exec ping -q -i 0.1 -c 50 -I $PING4 $A4 >"$XVSD_DIR/ping.out" 2>&1
	) &
	ppid=$!
	wait_until 10 eval '[ "$(guest_size a /tmp/5105.out)" -ge 1048576 ]'
	r0=$(fw_field reloads) rm0=$(fw_field reload_removed)
	c0=$(rule_count a to-vm a-in 0) # the stream's rule, the same after the reload
	c5=$(rule_count a to-vm a-in 5) # 5301's, which the reload changes
	[ "$c0" -gt 0 ]
	[ "$c5" -gt 0 ]
	write_config reloaded
	kill -HUP "$XVSD_PID"
	wait_until 10 is $((r0 + 1)) fw_field reloads
	# an unchanged rule's counters go on from where they were (nothing new
	# opened through it meanwhile: the stream is conntrack's); the changed
	# rule is a new one, from 0
	[ "$(rule_count a to-vm a-in 0)" -eq "$c0" ]
	[ "$(rule_count a to-vm a-in 5)" -eq 0 ]
	at=$(guest_size a /tmp/5105.out)
	wait "$spid"
	wait "$ppid" || true
	cat "$XVSD_DIR/ping.out"
	echo "stream at $at bytes when the reload was done"
	[ "$at" -lt 8388608 ]
	wait_until 20 is 8388608 guest_size a /tmp/5105.out
	[ "$(guest_run a "md5sum /tmp/5105.out" | cut -d' ' -f1)" = "$sum" ]
	grep -q " 0% packet loss" "$XVSD_DIR/ping.out"

	# the connection to 5301 was judged again: no rule allows it now
	[ "$(fw_field reload_removed)" -gt "$rm0" ]
	grep -q "firewall: .* tracked connections no longer allowed, removed" "$XVSD_DIR/xvsd.log"
	echo after >&"$fd"
	sleep 1
	exec {fd}>&-
	run guest_got a 5301 after
	[ "$status" -ne 0 ]
	# new connections: 5302 opens (its server waited since before) through
	# the changed rule, 5301 no more: a-in's default drops it, in XDP
	run outside_connect $A4 5302
	[ "$status" -eq 0 ]
	[[ $output == *"hello from a:5302"* ]]
	[ "$(rule_count a to-vm a-in 5)" -eq 1 ]
	guest_listen a 5301
	d0=$(fw_reason a to-vm DEFAULT_DROP)
	run outside_connect $A4 5301
	[ "$status" -ne 0 ]
	[ "$(fw_reason a to-vm DEFAULT_DROP)" -gt "$d0" ]
	[ "$(rule_count a to-vm a-in 0)" -eq "$c0" ]
	xvsd_ctl firewall a
}

@test "a reload with a broken rule is refused with FILE:LINE: KEY:, and the rules in force stay" {
	local bank r0 line c0 c5 d0
	bank=$(fw_field bank) r0=$(fw_field reloads)
	c0=$(rule_count a to-vm a-in 0) c5=$(rule_count a to-vm a-in 5)
	write_config broken
	line=$(grep -n '10.99.23.1/24' "$XVSD_DIR/xvs.yaml" | cut -d: -f1)
	run xvsd_ctl reload
	echo "$output"
	[ "$status" -eq 1 ] # a failed command fails xvsctl
	[[ $output == "xvsctl: reload failed"* ]]
	grep -F "$XVSD_DIR/xvs.yaml:$line: firewall.rule-sets.a-in.rules[5].src: 10.99.23.1/24 has host bits set" "$XVSD_DIR/xvsd.log"
	[ "$(fw_field bank)" = "$bank" ]
	[ "$(fw_field reloads)" = "$r0" ]
	# still the reloaded rules and their counters: 5302 in, 5301 not
	[ "$(rule_count a to-vm a-in 0)" -eq "$c0" ]
	[ "$(rule_count a to-vm a-in 5)" -eq "$c5" ]
	guest_listen a 5302
	run outside_connect $A4 5302
	[ "$status" -eq 0 ]
	[[ $output == *"hello from a:5302"* ]]
	[ "$(rule_count a to-vm a-in 5)" -eq $((c5 + 1)) ]
	guest_listen a 5301
	d0=$(fw_reason a to-vm DEFAULT_DROP)
	run outside_connect $A4 5301
	[ "$status" -ne 0 ]
	[ "$(fw_reason a to-vm DEFAULT_DROP)" -gt "$d0" ]
	guest_run a "test ! -s /tmp/5301.out"
	write_config reloaded
}

@test "a reload changes b's anti-spoofing in place: an address added may send, removed again it may not" {
	local i0 c0 r0 r5
	c0=$(port_field b connects)
	r0=$(rule_count a to-vm a-in 0) r5=$(rule_count a to-vm a-in 5)
	write_config reloaded "[$B4, 10.99.23.98]"
	run xvsd_ctl reload
	[ "$output" = ok ]
	# b's neighbour entry for the outside host fresh: the pings need no ARP
	guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	run guest_run b "ip addr add 10.99.23.98/24 dev eth0; ping -c 2 -W 5 -I 10.99.23.98 $NET_PEER_IP4; rc=\$?; ip addr del 10.99.23.98/24 dev eth0; exit \$rc"
	echo "$output"
	[ "$status" -eq 0 ]
	write_config reloaded
	run xvsd_ctl reload
	[ "$output" = ok ]
	i0=$(spoof ip4_src)
	guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	run guest_run b "ip addr add 10.99.23.98/24 dev eth0; ping -c 2 -W 2 -I 10.99.23.98 $NET_PEER_IP4; rc=\$?; ip addr del 10.99.23.98/24 dev eth0; exit \$rc"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(spoof ip4_src)" -ge $((i0 + 2)) ]
	# changed in place: b stayed connected; a's rules, the same, kept
	# their counts through both reloads
	[ "$(port_field b connects)" = "$c0" ]
	[ "$(rule_count a to-vm a-in 0)" -eq "$r0" ]
	[ "$(rule_count a to-vm a-in 5)" -eq "$r5" ]
}

# implicit_count PORT DIR: the packets of the implicit rule of a port with
# rules the other way only, on PORT's DIR
implicit_count() {
	xvsd_ctl firewall "$1" | awk -v d="dir=$2" '
		$1 == "port" { on = ($3 == d) }
		on && index($0, "  rule set=- pos=default implicit=1 action=allow stateful=1 ") == 1 {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^packets=/) { sub("packets=", "", $i); print $i }
		}'
}

@test "rules one way only: the other way allows everything, statefully (b with to-vm rules only)" {
	local c0 e0 d0 x0 i0
	c0=$(port_field b connects)
	write_config reloaded "$B4" "{ to-vm: b-in }"
	run xvsd_ctl reload
	[ "$output" = ok ]
	xvsd_ctl firewall b
	i0=$(implicit_count b from-vm)
	[ -n "$i0" ]
	[ -z "$(implicit_count b to-vm)" ]
	# b-out dropped 5150; now nothing does, and the reply comes in through
	# b-in (default drop) by the entry the implicit rule made
	e0=$(fw_reason b to-vm ESTABLISHED) d0=$(fw_reason b to-vm DEFAULT_DROP)
	outside_bg sh -c "(echo hello from outside; sleep 30) | busybox nc -l -p 5150 >$XVSD_DIR/5150.out"
	wait_until 5 outside_listening tcp 5150
	run guest_run b "echo from b | nc -w 2 $NET_PEER_IP4 5150"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"hello from outside"* ]]
	wait_until 5 grep -q "from b" "$XVSD_DIR/5150.out"
	xvsd_ctl firewall b
	[ "$(implicit_count b from-vm)" -eq $((i0 + 1)) ] # the SYN; the rest is conntrack's
	[ "$(fw_reason b to-vm ESTABLISHED)" -gt "$e0" ]
	[ "$(fw_reason b to-vm DEFAULT_DROP)" -eq "$d0" ]
	# the same unsolicited from outside: b-in drops it, in XDP
	guest_listen b 6003
	x0=$(fw_drops)
	inject $GB --ip4 "$NET_PEER_IP4,$B4" --tcp 40000,6003 -c 3
	[ "$(fw_drops)" -eq $((x0 + 3)) ]
	[ "$(fw_reason b to-vm DEFAULT_DROP)" -eq $((d0 + 3)) ]
	guest_run b "test ! -s /tmp/6003.out"
	# back to both ways
	write_config reloaded
	run xvsd_ctl reload
	[ "$output" = ok ]
	[ -z "$(implicit_count b from-vm)" ]
	[ "$(port_field b connects)" = "$c0" ]
}

@test "xvsd refuses to start on a firewall or anti-spoofing error, saying FILE:LINE: KEY:" {
	local dir=$XVSD_DIR/bad f
	mkdir -p "$dir"
	f=$dir/xvs.yaml
	# write_bad RULE PORT-A-FIREWALL ANTI-SPOOFING
	write_bad() {
		cat >"$f" <<YAML
switch:
  name: bats-fw-bad
  control-socket: $dir/xvs.ctl
  socket-dir: $dir
firewall:
  rule-sets:
    in:
      rules:
        - $1
ports:
  a: { type: vhost-user, socket: a.sock, firewall: $2 }
  b: { type: vhost-user, socket: b.sock, anti-spoofing: $3 }
YAML
	}
	write_bad "{ action: allow, proto: tcp, dst-port: 22, src: 10.0.0.1/8 }" "{ to-vm: in }" "{}"
	run "$XVS_BIN/xvsd" -c "$f"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$f:9: firewall.rule-sets.in.rules[0].src: 10.0.0.1/8 has host bits set: did you mean 10.0.0.0/8?"* ]]
	write_bad "{ action: allow, proto: icmp, dst-port: 22 }" "{ to-vm: in }" "{}"
	run "$XVS_BIN/xvsd" -c "$f"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$f:9: firewall.rule-sets.in.rules[0].dst-port: "* ]]
	write_bad "{ action: allow }" "{ to-vm: [in, nosuch] }" "{}"
	run "$XVS_BIN/xvsd" -c "$f"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$f:11: ports.a.firewall.to-vm[1]: no rule set named nosuch"* ]]
	write_bad "{ action: allow }" "{ to-vm: in }" "{ ipv4: [10.0.0.300] }"
	run "$XVS_BIN/xvsd" -c "$f"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"$f:12: ports.b.anti-spoofing.ipv4[0]: "* ]]
	# nothing was set up, and the running switch is untouched
	[ ! -e "$dir/xvs.ctl" ]
	[ ! -e "$dir/a.sock" ]
	[ ! -e /sys/fs/bpf/xvs/bats-fw-bad ]
	xvsd_alive
}

# Last: a stays removed.
@test "a port removed by a reload takes its tracked connections with it" {
	local n0 line
	# a connection of a's in conntrack: pings from the address a rule allows
	run net_exec ping -c 2 -W 5 -I $PING4 $A4
	[ "$status" -eq 0 ]
	n0=$(wc -l <"$XVSD_DIR/xvsd.log")
	write_config reloaded
	sed -i '/^  a: { type: vhost-user, socket: a.sock/d' "$XVSD_DIR/xvs.yaml"
	run grep -q '^  a:' "$XVSD_DIR/xvs.yaml"
	[ "$status" -ne 0 ]
	run xvsd_ctl reload
	[ "$output" = ok ]
	xvsd_log_since "$n0"
	line=$(xvsd_log_since "$n0" | grep -o "port a: [0-9]* tracked connections removed with it")
	[ "$(echo "$line" | awk '{ print $3 }')" -ge 1 ]
	[[ "$(xvsd_ctl firewall)" != *"port a "* ]]
	# b's are b's: its own ping still answered
	run guest_run b "ping -c 1 -W 5 $NET_PEER_IP4"
	[ "$status" -eq 0 ]
}
