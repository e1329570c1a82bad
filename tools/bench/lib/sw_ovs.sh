# SPDX-License-Identifier: GPL-2.0-only
# Switch driver: Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk,
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk), started by hand in a
# private directory: its own ovsdb-server, database, sockets and logs; no
# systemd service, no system-wide state.
#
#   other_config: dpdk-init=true, dpdk-lcore-mask and pmd-cpu-mask = the
#   switch CPU, dpdk-socket-mem=1024, dpdk-extra="--file-prefix ... --no-pci
#   --huge-dir <our hugetlbfs>"; one PMD thread on the switch CPU.
#   bridge br0 datapath_type=netdev; VM ports type dpdkvhostuser (OVS is the
#   vhost-user server, like xvsd and testpmd here) a (ofport 1), b (2);
#   uplink (ofport 3, named after the veth) type afxdp, options:xdp-mode=native,
#   n_rxq=1.
#   OpenFlow: the NORMAL flow removed, one flow per direction
#   in_port=X,actions=output:Y, so forwarding is port to port like testpmd's.
#   Power saving (idle/efficiency rows marked so): pmd-maxsleep=200 (µs).

OVS_VSWITCHD=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

ovs_vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ovs_appctl() { ovs-appctl -t "$OVS_DIR/vswitchd.ctl" "$@"; }
ovs_ofctl() { ovs-ofctl "$@"; }

ovs_available() {
	[ -x "$OVS_VSWITCHD" ] && command -v ovsdb-server >/dev/null &&
		command -v ovs-vsctl >/dev/null
}

ovs_start() {
	local topo=$1 i p mask

	OVS_DIR=$WORK/ovs
	rm -rf "$OVS_DIR"
	mkdir -p "$OVS_DIR"
	mask=$(printf '0x%x' $((1 << SW_CPU)))
	ovsdb-tool create "$OVS_DIR/conf.db" "$OVS_SCHEMA" || return 1
	# both daemons in the foreground, as our children: stopped and reaped
	# by us, nothing left running if we are killed
	bg ovsdb-server taskset -c "$SW_CPU" ovsdb-server "$OVS_DIR/conf.db" \
		--remote="punix:$OVS_DIR/db.sock" --pidfile="$OVS_DIR/ovsdb.pid" \
		--unixctl="$OVS_DIR/ovsdb.ctl" --log-file="$OVS_DIR/ovsdb.log" --no-chdir
	OVSDB_PID=$BG_PID
	for ((i = 0; i < 100; i++)); do
		[ -S "$OVS_DIR/db.sock" ] && break
		sleep 0.05
	done
	ovs_vsctl --no-wait init || return 1
	ovs_vsctl --no-wait set Open_vSwitch . \
		other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="$mask" \
		other_config:pmd-cpu-mask="$mask" \
		other_config:dpdk-socket-mem=1024 \
		other_config:vhost-sock-dir="$(basename "$SOCKDIR")" \
		other_config:dpdk-extra="--file-prefix=xvsbench-ovs --no-pci --huge-dir=$HUGEDIR" ||
		return 1
	# OVS_RUNDIR: vhost-sock-dir is relative to it; the bridge's br0.mgmt
	# socket goes there too. Nothing goes to /var/run.
	bg ovs-vswitchd env OVS_RUNDIR="$WORK" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" \
		taskset -c "$SW_CPU" "$OVS_VSWITCHD" "unix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/vswitchd.pid" --unixctl="$OVS_DIR/vswitchd.ctl" \
		--log-file="$OVS_DIR/vswitchd.log" --no-chdir
	SW_PID=$BG_PID
	for ((i = 0; i < 200; i++)); do
		ovs_appctl version >/dev/null 2>&1 && break
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.05
	done
	ovs_appctl version >/dev/null 2>&1 || {
		warn "ovs-vswitchd did not start; tail of its log:"
		tail -5 "$OVS_DIR/vswitchd.log" >&2
		return 1
	}
	ovs_vsctl add-br br0 -- set bridge br0 datapath_type=netdev || return 1
	if [ "$topo" = vm ]; then
		ovs_vsctl add-port br0 a -- set Interface a type=dpdkvhostuser ofport_request=1 &&
			ovs_vsctl add-port br0 b -- set Interface b type=dpdkvhostuser ofport_request=2 ||
			return 1
		p="1:2 2:1"
	else
		# an afxdp port is named after the kernel interface it opens
		ovs_vsctl add-port br0 a -- set Interface a type=dpdkvhostuser ofport_request=1 &&
			ovs_vsctl add-port br0 "$HOST_IF" -- set Interface "$HOST_IF" type=afxdp \
				options:xdp-mode=native options:n_rxq=1 ofport_request=3 ||
			return 1
		p="1:3 3:1"
	fi
	ovs_ofctl del-flows "unix:$WORK/br0.mgmt" || return 1
	for i in $p; do
		ovs_ofctl add-flow "unix:$WORK/br0.mgmt" "in_port=${i%%:*},actions=output:${i#*:}" ||
			return 1
	done
	ovs_ofctl dump-flows "unix:$WORK/br0.mgmt" >"$LOGS/ovs-$topo.flows" 2>&1
	ovs_vsctl show >"$LOGS/ovs-$topo.show" 2>&1
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCKDIR/a" ] && break
		sleep 0.05
	done
	[ -S "$SOCKDIR/a" ] || {
		warn "OVS did not create its vhost-user socket $SOCKDIR/a"
		return 1
	}
	if [ "$topo" = up ]; then
		if ! ovs_vsctl get Interface "$HOST_IF" ofport | grep -qx 3; then
			warn "OVS afxdp port on $HOST_IF did not come up: $(ovs_vsctl get Interface "$HOST_IF" error 2>&1)"
			return 1
		fi
	fi
}

ovs_mark() {
	ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1 || true
}

# processing / (idle + processing) cycles of the PMD thread since ovs_mark
ovs_busy() {
	ovs_appctl dpif-netdev/pmd-stats-show 2>/dev/null | awk '
		/^pmd thread/ { pmd = 1 }
		/^main thread/ { pmd = 0 }
		pmd && /idle cycles:/ { i = $3 }
		pmd && /processing cycles:/ { p = $3 }
		END { if (i + p > 0) printf "%.4f\n", p / (i + p) }'
}

ovs_powersave() {
	ovs_vsctl set Open_vSwitch . other_config:pmd-maxsleep="$([ "$1" = on ] && echo "$MAX_SLEEP_US" || echo 0)"
}

ovs_stop() {
	[ -n "${OVS_DIR:-}" ] || return 0
	ovs_appctl dpif-netdev/pmd-stats-show >>"$LOGS/ovs.pmd-stats" 2>&1 || true
	# --cleanup: release datapath resources, i.e. the afxdp port's XDP
	# program (plain "exit" leaves it attached, for a restart)
	ovs_appctl exit --cleanup >/dev/null 2>&1 || true
	[ -n "${SW_PID:-}" ] && bg_stop "$SW_PID"
	ovs-appctl -t "$OVS_DIR/ovsdb.ctl" exit >/dev/null 2>&1 || true
	[ -n "${OVSDB_PID:-}" ] && bg_stop "$OVSDB_PID"
	cat "$OVS_DIR/vswitchd.log" >>"$LOGS/ovs-vswitchd.log" 2>/dev/null || true
	rm -rf "$OVS_DIR"
	SW_PID= OVSDB_PID=
}

ovs_describe() {
	cat <<EOF
ovs-vswitchd-dpdk (Open vSwitch $("$OVS_VSWITCHD" --version 2>/dev/null | awk 'NR == 1 { print $NF }'),
DPDK $("$OVS_VSWITCHD" --version 2>/dev/null | awk '/DPDK/ { print $2 }')), ovsdb-server and ovs-vswitchd under taskset -c $SW_CPU;
dpdk-init=true, dpdk-lcore-mask=pmd-cpu-mask=CPU $SW_CPU, dpdk-socket-mem=1024 (2 MiB hugepages),
bridge br0 datapath_type=netdev, ports a/b type=dpdkvhostuser, uplink type=afxdp
xdp-mode=native n_rxq=1; flows: in_port=1,actions=output:2 and back (no NORMAL).
EOF
}
