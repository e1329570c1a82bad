# SPDX-License-Identifier: GPL-2.0-only
# Network fixtures for bats files (`load lib/common` first, then `load lib/net`):
# one veth pair between the root namespace and a namespace of the test
# file's own, deterministic names and addresses, and a teardown that removes
# everything the file created, whatever state it is in.
#
#   root namespace                         netns ${PREFIX}ns
#   ${PREFIX}h  02:99:SS:00:00:01  <=veth=>  ${PREFIX}p  02:99:SS:00:00:02
#   10.99.S.1/24                             10.99.S.2/24
#   fd00:99:0:S::1/64 (with ipv6)            fd00:99:0:S::2/64
#
# (SS is S in hex.) A program under test goes on ${PREFIX}h; the peer
# namespace sends to it. Only these addresses, and others of 10.99.S.0/24
# and fd00:99:0:S::/64 on these links, may be traffic targets.
#
# Every file picks its own PREFIX (at most 12 characters, [a-z0-9]) and
# SUBNET (1..254) so files may run in parallel. Taken:
#   xdp_loader.bats     xvxdl  11
#   uplink.bats         xvup   12
#   isolation.bats      xviso  14
#   zero_copy.bats      xvzc   19
#   zero_copy_mem.bats  xvzm   21
#   firewall.bats       xvfw   23
#   service.bats        xvsvc  27
#
#   net_setup_pair PREFIX SUBNET [ipv6] [queues=N]
#       create the pair (removing leftovers of a killed run first) and export
#       NET_NS, NET_HOST_IF, NET_PEER_IF, NET_HOST_MAC, NET_PEER_MAC,
#       NET_HOST_IP4, NET_PEER_IP4, NET_HOST_IP6, NET_PEER_IP6 (empty without
#       ipv6). Without ipv6, IPv6 is disabled on both ends so that the links
#       carry no traffic but the test's (no ND, no MLD).
#   net_exec CMD...          run CMD in NET_NS
#   net_track KIND NAME      remember something for net_teardown to remove:
#                            netns, link (in the root ns), bpfpin (rm -r of a
#                            path under /sys/fs/bpf/), bpfdir (rmdir if empty)
#   net_teardown             remove what was tracked, newest first; idempotent
#   require_xdp_native IFACE [OBJ]  skip unless XDP attaches natively to IFACE
#   require_af_xdp           skip unless the kernel has AF_XDP sockets
#
# The state lives in NET_STATE (default: the bats file's temp dir), shared by
# setup_file, the tests and teardown_file of one file.

NET_STATE=${NET_STATE:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/xvs-net.state}

net_track() {
	local kind=$1 name=$2

	case $kind in
	netns | link) ;;
	bpfpin | bpfdir)
		case "$name/" in
		/sys/fs/bpf/?*) ;;
		*)
			echo "net_track: $kind '$name' is not under /sys/fs/bpf/" >&2
			return 1
			;;
		esac
		case "$name/" in
		*/../* | */./*)
			echo "net_track: $kind '$name' is not a canonical path" >&2
			return 1
			;;
		esac
		;;
	*)
		echo "net_track: unknown kind '$kind'" >&2
		return 1
		;;
	esac
	echo "$kind $name" >>"$NET_STATE"
}

net_teardown() {
	local kind name

	[ -f "$NET_STATE" ] || return 0
	while read -r kind name; do
		case $kind in
		netns) ip netns del "$name" 2>/dev/null || true ;;
		link) ip link del "$name" 2>/dev/null || true ;;
		bpfpin) rm -rf -- "$name" || true ;;
		bpfdir) rmdir -- "$name" 2>/dev/null || true ;;
		esac
	done < <(tac "$NET_STATE")
	rm -f "$NET_STATE"
	return 0
}

net_exec() {
	ip netns exec "$NET_NS" "$@"
}

# Disable IPv6 on link IFC: no link-local address, no ND, no MLD reports.
# The rest of the arguments is a command prefix that enters its netns.
_net_no_ipv6() {
	local ifc=$1

	shift
	"$@" test -e /proc/sys/net/ipv6 || return 0
	"$@" sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
}

net_setup_pair() {
	local prefix=$1 subnet=$2 ipv6=0 queues=1 arg hx

	shift 2 || { echo "usage: net_setup_pair PREFIX SUBNET [ipv6] [queues=N]" >&2; return 1; }
	for arg in "$@"; do
		case $arg in
		ipv6) ipv6=1 ;;
		queues=[1-9] | queues=[1-9][0-9]) queues=${arg#queues=} ;;
		*)
			echo "net_setup_pair: unknown option '$arg'" >&2
			return 1
			;;
		esac
	done
	if ! [[ $prefix =~ ^[a-z][a-z0-9]{0,11}$ ]]; then
		echo "net_setup_pair: prefix '$prefix' is not 1-12 of [a-z0-9]" >&2
		return 1
	fi
	if ! [[ $subnet =~ ^[1-9][0-9]{0,2}$ ]] || [ "$subnet" -gt 254 ]; then
		echo "net_setup_pair: subnet '$subnet' is not in 1..254" >&2
		return 1
	fi
	hx=$(printf '%02x' "$subnet")

	NET_NS=${prefix}ns
	NET_HOST_IF=${prefix}h
	NET_PEER_IF=${prefix}p
	NET_HOST_MAC=02:99:$hx:00:00:01
	NET_PEER_MAC=02:99:$hx:00:00:02
	NET_HOST_IP4=10.99.$subnet.1
	NET_PEER_IP4=10.99.$subnet.2
	NET_HOST_IP6=
	NET_PEER_IP6=
	if [ "$ipv6" = 1 ]; then
		NET_HOST_IP6=fd00:99:0:$subnet::1
		NET_PEER_IP6=fd00:99:0:$subnet::2
	fi
	export NET_NS NET_HOST_IF NET_PEER_IF NET_HOST_MAC NET_PEER_MAC
	export NET_HOST_IP4 NET_PEER_IP4 NET_HOST_IP6 NET_PEER_IP6

	# Leftovers of a run killed before its teardown. Deleting the root
	# end first removes both ends now; a netns' own devices go away
	# asynchronously after `ip netns del`.
	ip link del "$NET_HOST_IF" 2>/dev/null || true
	ip netns del "$NET_NS" 2>/dev/null || true

	ip netns add "$NET_NS" || return 1
	net_track netns "$NET_NS" || return 1
	ip link add "$NET_HOST_IF" address "$NET_HOST_MAC" \
		numtxqueues "$queues" numrxqueues "$queues" type veth \
		peer name "$NET_PEER_IF" address "$NET_PEER_MAC" \
		numtxqueues "$queues" numrxqueues "$queues" netns "$NET_NS" || return 1
	net_track link "$NET_HOST_IF" || return 1

	if [ "$ipv6" = 1 ]; then
		ip addr add "$NET_HOST_IP6/64" dev "$NET_HOST_IF" nodad || return 1
		ip -n "$NET_NS" addr add "$NET_PEER_IP6/64" dev "$NET_PEER_IF" nodad || return 1
	else
		_net_no_ipv6 "$NET_HOST_IF" || return 1
		_net_no_ipv6 "$NET_PEER_IF" ip netns exec "$NET_NS" || return 1
	fi
	ip addr add "$NET_HOST_IP4/24" dev "$NET_HOST_IF" || return 1
	ip -n "$NET_NS" addr add "$NET_PEER_IP4/24" dev "$NET_PEER_IF" || return 1
	ip -n "$NET_NS" link set lo up || return 1
	ip link set "$NET_HOST_IF" up || return 1
	ip -n "$NET_NS" link set "$NET_PEER_IF" up || return 1
}

require_xdp_native() {
	local ifc=$1 obj=${2:-} out rc

	require_cmd xdp-loader || return 1
	if [ -z "$obj" ]; then
		# A program that is not under test: a broken xvs_xdp must fail
		# the tests, not skip them. libxdp (a dependency of xdp-tools)
		# ships it.
		for obj in /usr/lib/*/bpf/xsk_def_xdp_prog.o /usr/lib/bpf/xsk_def_xdp_prog.o ""; do
			[ -f "$obj" ] && break
		done
		[ -n "$obj" ] || xvs_skip "libxdp's xsk_def_xdp_prog.o, the probe program, is missing" ||
			return 1
	fi
	rc=0
	out=$(xdp-loader load -m native "$ifc" "$obj" 2>&1) || rc=$?
	xdp-loader unload "$ifc" --all >/dev/null 2>&1 || true
	[ "$rc" -eq 0 ] || xvs_skip "native XDP does not attach to $ifc: $out"
}

# net_inject DST-MAC XVS-INJECT-ARGS...: frames from the outside host
# (xvs-inject on the peer, from its MAC)
net_inject() {
	local dst=$1
	shift
	net_exec "$XVS_BIN/xvs-inject" -i "$NET_PEER_IF" --src "$NET_PEER_MAC" --dst "$dst" "$@" >/dev/null
}

# net_peer_xdp_tx: let frames the host end sends back with XDP_TX reach
# the peer's stack. veth delivers them only through the peer's NAPI, which
# a native XDP program turns on: libxdp's xsk_def_xdp_prog passes every
# frame when no AF_XDP socket is bound (a NIC needs nothing of the kind).
net_peer_xdp_tx() {
	local obj

	for obj in /usr/lib/*/bpf/xsk_def_xdp_prog.o /usr/lib/bpf/xsk_def_xdp_prog.o ""; do
		[ -f "$obj" ] && break
	done
	[ -n "$obj" ] || { echo "net_peer_xdp_tx: libxdp's xsk_def_xdp_prog.o is missing" >&2; return 1; }
	net_exec xdp-loader load -m native "$NET_PEER_IF" "$obj" >/dev/null
}

require_af_xdp() {
	local cfg

	for cfg in /proc/config.gz "/boot/config-$(uname -r)"; do
		[ -r "$cfg" ] || continue
		if zgrep -q '^CONFIG_XDP_SOCKETS=y' "$cfg"; then
			return 0
		fi
		xvs_skip "the kernel is built without AF_XDP (CONFIG_XDP_SOCKETS, $cfg)"
		return 1
	done
	grep -qw xsk_create /proc/kallsyms 2>/dev/null ||
		xvs_skip "the kernel has no AF_XDP sockets (no xsk_create in /proc/kallsyms)"
}

# net_peer_tx_queue Q: the outside host (NET_PEER_IF) sends every frame on
# TX queue Q (XPS: all CPUs map to Q, none to the others), so that it
# arrives on RX queue Q of NET_HOST_IF (a veth delivers a frame to the RX
# queue numbered like the sender's TX queue). As a NIC steering a VM's
# address to its zero-copy queue would.
net_peer_tx_queue() {
	local q=$1 d all
	all=$(printf '%x' $(((1 << $(nproc)) - 1)))
	for d in $(ip netns exec "$NET_NS" sh -c "ls -d /sys/class/net/$NET_PEER_IF/queues/tx-*"); do
		if [ "${d##*/tx-}" = "$q" ]; then
			echo "$all" | ip netns exec "$NET_NS" tee "$d/xps_cpus" >/dev/null || return 1
		else
			echo 0 | ip netns exec "$NET_NS" tee "$d/xps_cpus" >/dev/null || return 1
		fi
	done
}
