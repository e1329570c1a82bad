# SPDX-License-Identifier: GPL-2.0-only
# Switch driver: Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk,
# /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk), started by hand in a
# private directory: its own ovsdb-server, database, sockets and logs; no
# systemd service, no system-wide state.
#
#   other_config: dpdk-init=true, dpdk-lcore-mask and pmd-cpu-mask = the
#   switch CPU, dpdk-socket-mem=1024, userspace-tso-enable=true (its vhost
#   ports offer checksum and TSO offloads, as xvs's do; a frontend that
#   negotiates none, as in every group but vm2vm-tso, sees no difference),
#   dpdk-extra="--file-prefix ... --no-pci --huge-dir <our hugetlbfs>"; one
#   PMD thread on the switch CPU.
#   bridge br0 datapath_type=netdev; VM ports type dpdkvhostuser (OVS is the
#   vhost-user server, like xvsd and testpmd here) a (ofport 1), b (2);
#   uplink (ofport 3, named after the veth) type afxdp, options:xdp-mode=native,
#   n_rxq=1.
#   OpenFlow: the NORMAL flow removed, one flow per direction
#   in_port=X,actions=output:Y, so forwarding is port to port like testpmd's.
#   Power saving (idle/efficiency rows marked so): pmd-maxsleep=200 (µs).
#   vm2vm-tso: two dpdkvhostuserclient ports ta (4), tb (5) for that trial
#   only (ovs_tso_port).
#
# ovs-ct: the same with conntrack flows that mirror xvs-fw's firewall
# (ovs_ct_flows): the groups with firewall rows only; after each trial the
# flows' n_packets must show that the ct flows saw the traffic
# (ovs_ct_check), or the row is n/a with the reason.

OVS_VSWITCHD=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

ovs_vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ovs_appctl() { ovs-appctl -t "$OVS_DIR/vswitchd.ctl" "$@"; }
ovs_ofctl() { ovs-ofctl "$@"; }
OVS_CT=0

ovs_available() {
	[ -x "$OVS_VSWITCHD" ] && command -v ovsdb-server >/dev/null &&
		command -v ovs-vsctl >/dev/null
}

ovs_start() {
	local topo=$1 i p mask pmds cpus=$SW_CPU

	OVS_TOPO=$topo
	OVS_DIR=$WORK/ovs
	rm -rf "$OVS_DIR"
	mkdir -p "$OVS_DIR"
	mask=$(printf '0x%x' $((1 << SW_CPU)))
	pmds=$mask
	# vm-mq: a PMD thread on each CPU (the vhost ports take as many queue
	# pairs as the frontend enables; OVS spreads their rxqs over the PMDs)
	[ "$topo" = vm-mq ] && pmds=$(printf '0x%x' $(((1 << SW_CPU) | (1 << FE_CPU)))) cpus=$SW_CPU,$FE_CPU
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
		other_config:pmd-cpu-mask="$pmds" \
		other_config:dpdk-socket-mem=1024 \
		other_config:userspace-tso-enable=true \
		other_config:vhost-sock-dir="$(basename "$SOCKDIR")" \
		other_config:dpdk-extra="--file-prefix=xvsbench-ovs --no-pci --huge-dir=$HUGEDIR" ||
		return 1
	# OVS_RUNDIR: vhost-sock-dir is relative to it; the bridge's br0.mgmt
	# socket goes there too. Nothing goes to /var/run.
	bg ovs-vswitchd env OVS_RUNDIR="$WORK" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" \
		taskset -c "$cpus" "$OVS_VSWITCHD" "unix:$OVS_DIR/db.sock" \
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
	if [ "$topo" = vm ] || [ "$topo" = vm-mq ]; then
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
	if [ "$OVS_CT" = 1 ]; then
		topo=$topo-ct
		ovs_ct_flows >"$LOGS/ovs-$topo.flows.in"
		ovs_ofctl add-flows "unix:$WORK/br0.mgmt" "$LOGS/ovs-$topo.flows.in" || return 1
	else
		for i in $p; do
			ovs_ofctl add-flow "unix:$WORK/br0.mgmt" "in_port=${i%%:*},actions=output:${i#*:}" ||
				return 1
		done
	fi
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
	if [ "$OVS_TOPO" = up ]; then
		if ! ovs_vsctl get Interface "$HOST_IF" ofport | grep -qx 3; then
			warn "OVS afxdp port on $HOST_IF did not come up: $(ovs_vsctl get Interface "$HOST_IF" error 2>&1)"
			return 1
		fi
	fi
}

# vm2vm-tso: OVS 3.1 offers host TSO only on dpdkvhostuserclient ports (on
# dpdkvhostuser, server, ports its log says "disabling host segmentation
# offloading support"), so that trial's frontends listen on ta and tb and
# these ports connect to them: ta ofport 4, tb 5, one flow each way.
ovs_tso_port() {
	local p=$1 n=4

	[ "$p" = tb ] && n=5
	ovs_vsctl add-port br0 "$p" -- set Interface "$p" type=dpdkvhostuserclient \
		options:vhost-server-path="$SOCKDIR/$p" ofport_request="$n" || return 1
	if [ "$p" = tb ]; then
		ovs_ofctl add-flow "unix:$WORK/br0.mgmt" "in_port=4,actions=output:5" &&
			ovs_ofctl add-flow "unix:$WORK/br0.mgmt" "in_port=5,actions=output:4"
	fi
}

ovs_tso_done() {
	ovs_vsctl show >"$LOGS/ovs-vm-tso.show" 2>&1
	grep -i "tso\|segmentation" "$OVS_DIR/vswitchd.log" >"$LOGS/ovs-vm-tso.log" 2>&1
	ovs_vsctl --if-exists del-port br0 ta -- --if-exists del-port br0 tb
}

ovs_mark() {
	ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1 || true
}

# processing / (idle + processing) cycles of the PMD threads since ovs_mark
# (summed: with two PMDs, vm-mq, their mean share)
ovs_busy() {
	ovs_appctl dpif-netdev/pmd-stats-show 2>/dev/null | awk '
		/^pmd thread/ { pmd = 1 }
		/^main thread/ { pmd = 0 }
		pmd && /idle cycles:/ { i += $3 }
		pmd && /processing cycles:/ { p += $3 }
		END { if (i + p > 0) printf "%.4f\n", p / (i + p) }'
}

ovs_powersave() {
	ovs_vsctl set Open_vSwitch . other_config:pmd-maxsleep="$([ "$1" = on ] && echo "$MAX_SLEEP_US" || echo 0)"
}

ovs_stop() {
	[ -n "${OVS_DIR:-}" ] || return 0
	ovs_appctl dpif-netdev/pmd-stats-show >>"$LOGS/ovs.pmd-stats" 2>&1 || true
	ovs_appctl dpif-netdev/pmd-rxq-show >>"$LOGS/ovs.pmd-stats" 2>&1 || true
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

# ---- ovs-ct -----------------------------------------------------------------

# _ovs_ct_dir IN OUT FROM_ZONE TO_ZONE FIRST_TABLE: the flows of one
# direction, in_port IN to OUT: the sender's from-vm stage in FROM_ZONE
# (0: none; then table FIRST_TABLE), the receiver's to-vm stage in TO_ZONE
# (table FIRST_TABLE + 1). A stage: a frame of a connection the stage
# committed goes on, a new one meets the rules (priority in rule order), the
# one that matches commits it in the stage's zone with ct_mark 1 and goes
# on, the rest is dropped. "Committed": +est, or ct_mark 1 — OVS's conntrack
# calls a UDP frame +new until the connection has seen a reply (the loop's
# and the wire's flows never do), where xvs's finds the entry and calls the
# frame ESTABLISHED; the ct_mark flow gives OVS the same single lookup for
# them (OpenStack's OVS firewall keeps its verdicts in ct_mark too). Cookies
# tell the kinds apart (_ovs_ct): 1 conntrack, 2 +est, 6 +new with ct_mark
# 1, 3 the decoy rules, 4 the allowing rule, 5 default drop.
_ovs_ct_dir() {
	local in=$1 out=$2 zf=$3 zt=$4 t=$5 src dst port p stage zone next

	if [ "$zf" != 0 ]; then
		echo "cookie=1,table=0,priority=100,ip,in_port=$in,actions=ct(table=$t,zone=$zf)"
	else
		echo "cookie=1,table=0,priority=100,ip,in_port=$in,actions=ct(table=$((t + 1)),zone=$zt)"
	fi
	for stage in from to; do
		if [ "$stage" = from ]; then
			[ "$zf" != 0 ] || { t=$((t + 1)); continue; }
			zone=$zf next="ct_clear,ct(table=$((t + 1)),zone=$zt)"
		else
			zone=$zt next="output:$out"
		fi
		echo "cookie=2,table=$t,priority=$((FW_RULES + 10)),ct_state=+trk+est,ip,in_port=$in,actions=$next"
		echo "cookie=6,table=$t,priority=$((FW_RULES + 5)),ct_state=+trk+new,ct_mark=1,ip,in_port=$in,actions=$next"
		p=$FW_RULES
		while read -r src dst port; do
			echo "cookie=$([ "$p" = 1 ] && echo 4 || echo 3),table=$t,priority=$p,ct_state=+trk+new,udp,in_port=$in,nw_src=$src,nw_dst=$dst,tp_dst=$port,actions=ct(commit,zone=$zone,exec(set_field:1->ct_mark)),$next"
			p=$((p - 1))
		done < <(fw_rules "$OVS_TOPO")
		echo "cookie=5,table=$t,priority=0,in_port=$in,actions=drop"
		t=$((t + 1))
	done
}

# the flows of ovs-ct, mirroring xvs-fw's configuration: a zone per VM port
# (a 1, b 2) as xvs keeps conntrack entries per port; vm: both directions
# through the sender's from-vm and the receiver's to-vm stage; uplink: from
# the wire through a's to-vm stage, a's frames out as before (xvs-fw has no
# from-vm set there)
ovs_ct_flows() {
	echo "cookie=5,table=0,priority=0,actions=drop"
	if [ "$OVS_TOPO" = vm ]; then
		_ovs_ct_dir 1 2 1 2 1
		_ovs_ct_dir 2 1 2 1 3
	else
		_ovs_ct_dir 3 1 0 1 1
		echo "in_port=1,actions=output:3"
	fi
}

ovs_ct_start() {
	OVS_CT=1
	ovs_start "$1"
}

# _ovs_ct: n_packets of the flows by cookie, after the revalidators pushed
# the datapath's counts to them: "conntrack established committed-new
# decoys last drop"
_ovs_ct() {
	ovs_appctl revalidator/wait >/dev/null 2>&1 || true
	ovs_ofctl dump-flows "unix:$WORK/br0.mgmt" 2>/dev/null | awk '
		{
			c = ""; n = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^cookie=/) { c = $i; sub(/^cookie=(0x)?/, "", c); sub(/,$/, "", c) }
				if ($i ~ /^n_packets=/) { n = $i; sub(/^n_packets=/, "", n); sub(/,$/, "", n) }
			}
			s[c + 0] += n
		}
		END { printf "%d %d %d %d %d %d\n", s[1], s[2], s[6], s[3], s[4], s[5] }'
}

OVS_CT_KEYS="ct ct_est ct_mark ct_decoys ct_last ct_drop"

ovs_ct_mark() {
	OVS_CT_MARK=$(_ovs_ct)
	ovs_mark
}

# the window's n_packets by kind (ct_*); the flows in logs/ovs-ct.counters
ovs_ct_fields() {
	local now

	now=$(_ovs_ct)
	{
		echo "== $SW run $RUN, after a trial"
		ovs_ofctl dump-flows "unix:$WORK/br0.mgmt"
		ovs_appctl dpctl/dump-conntrack
	} >>"$LOGS/ovs-ct.counters" 2>&1
	awk -v keys="$OVS_CT_KEYS" -v a="$OVS_CT_MARK" -v b="$now" 'BEGIN {
		n = split(keys, k, " "); split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) printf "%s%s %d", (i > 1 ? " " : ""), k[i], y[i] - x[i]
		print ""
	}'
}

# ovs_ct_check FRAMES: the ct flows saw the FRAMES the trial counted: the
# flows of committed connections (+est, ct_mark 1) at least half of them in
# each stage (2 per frame in the vm topology, 1 from the wire), no decoy
# matched, the allowing rule did (since the start). Half, not more: the
# flows' n_packets are the datapath's, pushed by the revalidators, and lag
# behind by up to a few hundred ms even after revalidator/wait (seen: 74 %
# of a 2 s loop window)
ovs_ct_check() {
	awk -v f="$1" -v st="$([ "$OVS_TOPO" = vm ] && echo 2 || echo 1)" -v s="$SW_FIELDS" \
		-v all="$(_ovs_ct)" 'BEGIN {
		n = split(s, w, " ")
		for (i = 1; i < n; i += 2) v[w[i]] = w[i + 1]
		split(all, t, " ")
		if (v["ct_est"] + v["ct_mark"] < 0.5 * f * st)
			why = sprintf("the flows of committed connections matched %d frames of %d x %d stages (dropped: %d)",
				v["ct_est"] + v["ct_mark"], f, st, v["ct_drop"])
		else if (t[4] > 0)
			why = sprintf("%d frames matched a rule flow before the last", t[4])
		else if (t[5] < 1)
			why = "the allowing ct(commit) flow never matched"
		if (why != "") { print why; exit 1 }
	}'
}

ovs_ct_busy() { ovs_busy "$@"; }
ovs_ct_powersave() { return 1; }

ovs_ct_stop() {
	ovs_stop
	OVS_CT=0
}

ovs_ct_describe() {
	cat <<EOF
ovs-vswitchd-dpdk as for ovs, with conntrack flows instead of the port-to-port ones
(logs/ovs-*-ct.flows): per direction table 0 ip,in_port=X -> ct(table=T,zone=Z) (a zone
per VM port); each stage: ct_state=+trk+est, or +trk+new with ct_mark=1 (committed, no
reply yet) -> next stage or output; ct_state=+trk+new, $FW_RULES flows
udp,nw_src,nw_dst,tp_dst in rule order (the last matches the flow:
ct(commit,zone=Z,exec(set_field:1->ct_mark)), then on), default drop; vm: the sender's
and the receiver's stage (ct_clear between); uplink: a's stage only.
EOF
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
