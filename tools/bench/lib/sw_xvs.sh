# SPDX-License-Identifier: GPL-2.0-only
# Switch driver: xvs (build/bin/xvsd). Interface shared by sw_*.sh:
#
#   <sw>_start TOPO     vm: vhost-user ports a, b; up: uplink $HOST_IF + port a.
#                       Sets SW_PID (the process whose CPU is the switch's).
#   <sw>_mark           start of a measurement window (reset busy counters)
#   <sw>_busy WINDOW_S  after it: the switch's own busy fraction, or "" if
#                       it cannot tell
#   <sw>_powersave on|off   its idle-saving option, if it has one (else 1)
#   <sw>_ready          a frontend is up: wait until the switch is ready for
#                       it (optional; xvs-zc: its zero-copy socket is built)
#   <sw>_fields         after a trial: extra "key value" pairs for its record
#                       (optional; xvs-zc: the zero-copy counters)
#   <sw>_stop
#
# A switch id with a dash has its functions under the underscored name
# (xvs-zc: xvs_zc_start, ...).
#
# xvs: one worker pinned to the switch CPU. Rate rows: poll: busy, like the
# PMD peers (run.sh --xvs-poll adaptive to change); idle-saving rows: poll:
# adaptive (xvs's default: polls while traffic flows, naps up to max-nap-us
# = $MAX_SLEEP_US under light load — the same as OVS's pmd-maxsleep here —
# and sleeps after idle-us = 200 µs without any). Static FDB entries for the frontends' MACs, so no
# frame is flooded while the switch learns.
#
# xvs-zc: the same xvsd with zero-copy NIC⇄VM (uplink topology only): port a
# owns queue $ZC_QUEUE of the uplink (zero-copy: { uplink: up0, queue: Q },
# the uplink's zero-copy-queues: [Q]); the uplink keeps its own sockets on
# the other queues. The wire then has $ZC_WIRE_QUEUES queues (run.sh,
# setup_wire), and the generator's frames reach queue Q (README: the wire).
#
# xvs-fw: the same xvsd with a firewall (the groups with firewall rows:
# loop, nic2vm, nic2vm-dpdk): one stateful rule set "bench" of $FW_RULES
# rules (fw_rules in common.sh: $((FW_RULES - 1)) that miss the benchmark's
# flow, then the allow that matches it), default drop; vm topology: on both
# ports, to-vm and from-vm (each frame of the loop meets the sender's from-vm
# and the receiver's to-vm); uplink topology: to-vm on port a. After each
# trial the firewall's counters must show that it judged the traffic
# (xvs_fw_check), or the row is n/a with the reason.
#
# xvs-cap: the same xvsd (vm topology only: the groups loop and vm2vm) with
# a third vhost-user port, $XVS_CAP_PORT, that no frontend connects to, and
# `xvsctl capture $XVS_CAP_PORT` running in the background from the start to
# the stop (written to logs/xvs-cap.pcap): what a capture costs the ports it
# is not on (the workers load each port's capture pointer once a burst). A
# trial counts only if the capture ran on $XVS_CAP_PORT, and on no other
# port, at the window's start and end (xvs_cap_check), else it is n/a with
# the reason; xvsctl's "N frames captured" is in logs/xvs-cap.capture.log.

XVS_NAME=xvsbench
XVS_ZC=0
XVS_FW=0
XVS_CAP=0
XVS_CAP_PORT=cap0

# the firewall section of xvs-fw's configuration
xvs_fw_config() {
	local src dst port

	cat <<YAML
firewall:
  rule-sets:
    bench:
      default: drop
      stateful: true
      rules:
YAML
	fw_rules "$1" | while read -r src dst port; do
		echo "        - { action: allow, proto: udp, src: $src, dst: $dst, dst-port: $port }"
	done
}

xvs_config() {
	local topo=$1 fw_vm="" fw_up="" cpus=$SW_CPU q=""

	if [ "$XVS_FW" = 1 ]; then
		fw_vm=", firewall: { to-vm: bench, from-vm: bench }"
		fw_up=", firewall: { to-vm: bench }"
	fi
	# vm-mq: two workers, one on each CPU; the VM ports offer 2 queue pairs
	[ "$topo" = vm-mq ] && cpus="$SW_CPU, $FE_CPU" q=", queues: 2"
	cat <<YAML
switch:
  name: $XVS_NAME
  control-socket: $WORK/xvs.ctl
  socket-dir: $SOCKDIR
  log-level: warning
datapath:
  cpus: [$cpus]
  poll: $XVS_POLL
  max-nap-us: $MAX_SLEEP_US
fdb:
  static:
    - { mac: "$MAC_A", port: a }
YAML
	if [ "$topo" = vm ] || [ "$topo" = vm-mq ]; then
		cat <<YAML
    - { mac: "$MAC_B", port: b }
ports:
  a: { type: vhost-user, socket: a, packed-ring: true$q$fw_vm }
  b: { type: vhost-user, socket: b, packed-ring: true$q$fw_vm }
YAML
		[ "$XVS_CAP" = 0 ] ||
			echo "  $XVS_CAP_PORT: { type: vhost-user, socket: $XVS_CAP_PORT }"
	elif [ "$XVS_ZC" = 0 ]; then
		cat <<YAML
    - { mac: "$MAC_B", port: a }
    - { mac: "$PEER_MAC", port: up0, vlan: 0 }
ports:
  up0: { type: uplink, interface: $HOST_IF, xdp-mode: native, queues: all, busy-poll: 0 }
  a: { type: vhost-user, socket: a$fw_up }
YAML
	else
		cat <<YAML
    - { mac: "$MAC_B", port: a }
    - { mac: "$PEER_MAC", port: up0, vlan: 0 }
ports:
  up0: { type: uplink, interface: $HOST_IF, xdp-mode: native, queues: all, busy-poll: 0,
         zero-copy-queues: [$ZC_QUEUE] }
  a: { type: vhost-user, socket: a, zero-copy: { uplink: up0, queue: $ZC_QUEUE } }
YAML
	fi
	[ "$XVS_FW" = 0 ] || xvs_fw_config "$topo"
}

xvs_start() {
	local topo=$1 i cpus=$SW_CPU

	XVS_TOPO=$topo
	[ "$topo" = vm-mq ] && cpus=$SW_CPU,$FE_CPU
	[ "$XVS_ZC" = 1 ] && topo=$topo-zc
	[ "$XVS_FW" = 1 ] && topo=$topo-fw
	[ "$XVS_CAP" = 1 ] && topo=$topo-cap
	xvs_config "$XVS_TOPO" >"$LOGS/xvs-$topo.yaml"
	bg "xvsd-$topo" taskset -c "$cpus" "$XVSD" -c "$LOGS/xvs-$topo.yaml"
	SW_PID=$BG_PID
	track bpfpin "/sys/fs/bpf/xvs/$XVS_NAME"
	for ((i = 0; i < 100; i++)); do
		"$XVSCTL" --ctl "$WORK/xvs.ctl" show >/dev/null 2>&1 && break
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! "$XVSCTL" --ctl "$WORK/xvs.ctl" show >"$LOGS/xvs-$topo.show" 2>&1; then
		warn "xvsd did not come up:"
		tail -5 "$LOGS/xvsd-$topo.err" >&2
		return 1
	fi
	if [ "$XVS_TOPO" = up ] && ! grep -q '^port up0 .*state=up' "$LOGS/xvs-$topo.show"; then
		warn "xvs uplink up0 is not up:"
		cat "$LOGS/xvs-$topo.show" >&2
		return 1
	fi
}

# "busy_ns total_ns" of the workers, summed (xvsctl workers: busy, idle, nap
# and sleep time add up to each one's life); with two workers (vm-mq) the
# busy share is their mean
_xvs_times() {
	"$XVSCTL" --ctl "$WORK/xvs.ctl" workers 2>/dev/null | awk '
		/^worker [0-9]+ / {
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] ~ /^(busy|idle|nap|sleep)_ns$/) t += kv[2]
				if (kv[1] == "busy_ns") b += kv[2]
			}
			n++
		}
		END { if (n) printf "%.0f %.0f\n", b, t }'
}

xvs_mark() { XVS_MARK=$(_xvs_times); }

# busy time / all time of the worker since xvs_mark: loops that moved
# frames, against loops that found nothing, naps and sleeps
xvs_busy() {
	local now

	now=$(_xvs_times)
	[ -n "$now" ] && [ -n "${XVS_MARK:-}" ] || return 0
	awk -v a="$XVS_MARK" -v b="$now" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		if (y[2] > x[2]) printf "%.4f\n", (y[1] - x[1]) / (y[2] - x[2]) }'
}

# on: restart with poll: adaptive (the poll mode needs a restart); off: back
# to the rate rows' mode
xvs_powersave() {
	local want=$XVS_POLL_RATE

	[ "$1" = on ] && want=adaptive
	[ "$want" = "$XVS_POLL" ] && return 0
	xvs_stop
	XVS_POLL=$want
	xvs_start "$XVS_TOPO"
}

xvs_stop() {
	"$XVSCTL" --ctl "$WORK/xvs.ctl" show >>"$LOGS/xvs.show" 2>&1 || true
	"$XVSCTL" --ctl "$WORK/xvs.ctl" workers >>"$LOGS/xvs.show" 2>&1 || true
	bg_stop "$SW_PID"
	rm -rf "/sys/fs/bpf/xvs/$XVS_NAME"
	SW_PID=
}

# ---- xvs-zc -----------------------------------------------------------------

xvs_zc_start() {
	[ "$1" = up ] || return 1
	setup_wire "$ZC_WIRE_QUEUES" || return 1
	XVS_ZC=1
	xvs_start up
}

# _xvs_zc FIELD...: values of the fields of port a's zero-copy line, in order
_xvs_zc() {
	"$XVSCTL" --ctl "$WORK/xvs.ctl" show a 2>/dev/null | awk -v want="$*" '
		$1 == "zero-copy" {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? " " : ""), (w[i] in v ? v[w[i]] : "-")
			print ""
		}'
}

# the socket on port a's queue is built once its rings are ready: wait for
# it (5 s); memory=host is the fallback (frames copied): said, and recorded
xvs_zc_ready() {
	local i st

	for ((i = 0; i < 100; i++)); do
		read -r st XVS_ZC_MEM <<<"$(_xvs_zc state memory)"
		[ "$st" = up ] && break
		sleep 0.05
	done
	if [ "$st" != up ]; then
		warn "xvs-zc: the zero-copy socket of port a is not up: $(_xvs_zc state why)"
		return 1
	fi
	[ "$XVS_ZC_MEM" = guest ] ||
		warn "xvs-zc: zero-copy over $XVS_ZC_MEM memory (fallback): $(_xvs_zc why)"
	return 0
}

XVS_ZC_KEYS="to_vm_zc to_vm_copied from_vm_zc from_vm_copied kernel_rx_dropped kernel_fill_empty"

xvs_zc_mark() {
	xvs_mark
	XVS_ZC_MARK=$(_xvs_zc $XVS_ZC_KEYS)
}

# the zero-copy counters over the window, and the memory it used
xvs_zc_fields() {
	local now

	now=$(_xvs_zc $XVS_ZC_KEYS)
	awk -v keys="$XVS_ZC_KEYS" -v a="$XVS_ZC_MARK" -v b="$now" 'BEGIN {
		n = split(keys, k, " "); split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) printf "zc_%s %d ", k[i], y[i] - x[i]
	}'
	echo "zc_memory ${XVS_ZC_MEM:-none}"
}

xvs_zc_busy() { xvs_busy "$@"; }
xvs_zc_powersave() { return 1; }

xvs_zc_stop() {
	xvs_stop
	XVS_ZC=0
XVS_FW=0
	setup_wire 1
}

# ---- xvs-fw -----------------------------------------------------------------

xvs_fw_start() {
	XVS_FW=1
	xvs_start "$1"
}

# _xvs_fw: the firewall's counters (xvsctl firewall: XDP's and the
# forwarder's together), all ports: "to_est to_allow to_other from_est
# from_allow from_other decoys last": packets judged ESTABLISHED, RULE_ALLOW
# and for any other reason per direction, the packets the first
# FW_RULES - 1 rules matched, and the last rule's
_xvs_fw() {
	"$XVSCTL" --ctl "$WORK/xvs.ctl" firewall 2>/dev/null | awk -v last=$((FW_RULES - 1)) '
		$1 == "port" {
			d = ($3 == "to-vm" ? 0 : 1)
			for (i = 5; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "ESTABLISHED") est[d] += kv[2]
				else if (kv[1] == "RULE_ALLOW") al[d] += kv[2]
				else oth[d] += kv[2]
			}
		}
		$2 ~ /^rule=/ {
			split($2, r, "=")
			for (i = 3; i <= NF; i++) if ($i ~ /^packets=/) { split($i, p, "="); n = p[2] }
			if (r[2] + 0 == last) lst += n; else dec += n
		}
		END { printf "%d %d %d %d %d %d %d %d\n", est[0], al[0], oth[0], est[1], al[1], oth[1], dec, lst }'
}

XVS_FW_KEYS="to_est to_allow to_other from_est from_allow from_other"

xvs_fw_mark() {
	xvs_mark
	XVS_FW_MARK=$(_xvs_fw)
}

# the window's counts per direction and reason (fw_*), the rules' counts
# since the start (fw_decoys, fw_last); both counter dumps in
# logs/xvs-fw.counters
xvs_fw_fields() {
	local now

	now=$(_xvs_fw)
	{
		echo "== $SW run $RUN, after a trial"
		"$XVSCTL" --ctl "$WORK/xvs.ctl" firewall
		# the XDP program's counters (the wire's frames are judged there)
		[ "$XVS_TOPO" = vm ] || "$XVSCTL" -s "$XVS_NAME" xdp stats
	} >>"$LOGS/xvs-fw.counters" 2>&1
	awk -v keys="$XVS_FW_KEYS" -v a="$XVS_FW_MARK" -v b="$now" 'BEGIN {
		n = split(keys, k, " "); split(a, x, " "); split(b, y, " ")
		for (i = 1; i <= n; i++) printf "fw_%s %d ", k[i], y[i] - x[i]
		printf "fw_decoys %d fw_last %d\n", y[7], y[8]
	}'
}

# xvs_fw_check FRAMES: the firewall judged the FRAMES the trial counted: at
# least 80 % of them allowed (ESTABLISHED or RULE_ALLOW) in to-vm, and in
# from-vm too in the vm topology; no decoy matched, the last rule did (the
# flow's entry came from it). Else the reason on stdout, and 1.
xvs_fw_check() {
	awk -v f="$1" -v vm="$([ "$XVS_TOPO" = vm ] && echo 1 || echo 0)" -v s="$SW_FIELDS" 'BEGIN {
		n = split(s, w, " ")
		for (i = 1; i < n; i += 2) v[w[i]] = w[i + 1]
		to = v["fw_to_est"] + v["fw_to_allow"]; from = v["fw_from_est"] + v["fw_from_allow"]
		if (to < 0.8 * f)
			why = sprintf("the firewall allowed %d of %d frames in to-vm (other verdicts: %d)",
				to, f, v["fw_to_other"])
		else if (vm && from < 0.8 * f)
			why = sprintf("the firewall allowed %d of %d frames in from-vm (other verdicts: %d)",
				from, f, v["fw_from_other"])
		else if (v["fw_decoys"] > 0)
			why = sprintf("%d frames matched a rule before the last", v["fw_decoys"])
		else if (v["fw_last"] < 1)
			why = "the last rule never matched: the connection was not made by it"
		if (why != "") { print why; exit 1 }
	}'
}

xvs_fw_busy() { xvs_busy "$@"; }
xvs_fw_powersave() { return 1; }

xvs_fw_stop() {
	"$XVSCTL" --ctl "$WORK/xvs.ctl" firewall >>"$LOGS/xvs-fw.counters" 2>&1 || true
	xvs_stop
	XVS_FW=0
}

xvs_fw_describe() {
	cat <<EOF
xvsd as for xvs, with a firewall: rule set "bench" of $FW_RULES rules (UDP, src, dst,
dst-port; the first $((FW_RULES - 1)) miss the flow, the last allows it), stateful,
default drop; vm topology: to-vm and from-vm on ports a and b; uplink: to-vm on a.
EOF
}

# ---- xvs-cap ----------------------------------------------------------------

xvs_cap_start() {
	[ "$1" = vm ] || return 1
	XVS_CAP=1
	xvs_start vm || return 1
	_xvs_cap_begin
}

# _xvs_cap: "capturing frames drops others" from xvsctl show: capturing (1,
# 0, - when the port is missing), capture_frames and capture_drops of
# $XVS_CAP_PORT, and the other ports with a capture running (comma-separated,
# - for none)
_xvs_cap() {
	"$XVSCTL" --ctl "$WORK/xvs.ctl" show 2>/dev/null | awk -v cap="$XVS_CAP_PORT" '
		$1 == "port" {
			c = ""; f = 0; d = 0
			for (i = 3; i <= NF; i++) {
				if ($i ~ /^capturing=/) c = substr($i, 11)
				else if ($i ~ /^capture_frames=/) f = substr($i, 16)
				else if ($i ~ /^capture_drops=/) d = substr($i, 15)
			}
			if ($2 == cap) { on = c; fr = f; dr = d }
			else if (c == "1") others = others (others == "" ? "" : ",") $2
		}
		END { printf "%s %d %d %s\n", (on == "" ? "-" : on), fr, dr, (others == "" ? "-" : others) }'
}

# the capture, in the background on the frontends' CPU (it waits in recv);
# waits (5 s) until show says it runs (if it does not, xvs_cap_check makes
# the trials n/a)
_xvs_cap_begin() {
	local i on=-

	bg xvs-cap.capture taskset -c "$FE_CPU" "$XVSCTL" --ctl "$WORK/xvs.ctl" \
		capture "$XVS_CAP_PORT" -w "$LOGS/xvs-cap.pcap"
	XVS_CAP_PID=$BG_PID
	for ((i = 0; i < 100; i++)); do
		read -r on _ <<<"$(_xvs_cap)"
		[ "$on" = 1 ] && return 0
		kill -0 "$XVS_CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	warn "xvs-cap: no capture running on $XVS_CAP_PORT (capturing=$on):" \
		"$(tail -1 "$LOGS/xvs-cap.capture.err" 2>/dev/null)"
	return 0
}

# Ctrl-C to the capture; what it said ("N frames captured") to the log
_xvs_cap_end() {
	local said

	[ -n "${XVS_CAP_PID:-}" ] || return 0
	kill -INT "$XVS_CAP_PID" 2>/dev/null || true
	bg_stop "$XVS_CAP_PID"
	XVS_CAP_PID=
	said=$(tail -1 "$LOGS/xvs-cap.capture.err" 2>/dev/null)
	log "xvs-cap: capture on $XVS_CAP_PORT stopped: ${said:-xvsctl said nothing}"
	{
		echo "== run $RUN, capture on $XVS_CAP_PORT stopped"
		cat "$LOGS/xvs-cap.capture.err"
	} >>"$LOGS/xvs-cap.capture.log" 2>&1
}

xvs_cap_mark() {
	xvs_mark
	XVS_CAP_MARK=$(_xvs_cap)
}

# the capture's state at the window's start and end, its frames and drops
# over the window (0 while nothing reaches $XVS_CAP_PORT), the other ports
# that had a capture running, whether xvsctl still ran at the end
xvs_cap_fields() {
	local now alive=0

	now=$(_xvs_cap)
	kill -0 "${XVS_CAP_PID:-none}" 2>/dev/null && alive=1
	awk -v a="$XVS_CAP_MARK" -v b="$now" -v alive="$alive" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		printf "cap_at_mark %s cap_at_end %s cap_frames %d cap_drops %d cap_others %s cap_alive %d\n",
			x[1], y[1], y[2] - x[2], y[3] - x[3], (y[4] == "-" ? x[4] : y[4]), alive
	}'
}

# xvs_cap_check FRAMES: the capture ran on $XVS_CAP_PORT through the window
# (at its start and its end), on no other port; else the reason, and 1
xvs_cap_check() {
	awk -v s="$SW_FIELDS" -v port="$XVS_CAP_PORT" 'BEGIN {
		n = split(s, w, " ")
		for (i = 1; i < n; i += 2) v[w[i]] = w[i + 1]
		if (v["cap_at_mark"] != "1")
			why = sprintf("no capture running on %s at the start of the window (capturing=%s)",
				port, v["cap_at_mark"])
		else if (v["cap_at_end"] != "1" || v["cap_alive"] != "1")
			why = sprintf("the capture on %s ended during the window (capturing=%s at its end)",
				port, v["cap_at_end"])
		else if (v["cap_others"] != "-")
			why = sprintf("a capture ran on %s too, not only on %s", v["cap_others"], port)
		if (why != "") { print why; exit 1 }
	}'
}

xvs_cap_busy() { xvs_busy "$@"; }

# the idle-saving rows (vm2vm-ps) as for xvs, the capture started again on
# the restarted xvsd
xvs_cap_powersave() {
	local want=$XVS_POLL_RATE

	[ "$1" = on ] && want=adaptive
	[ "$want" = "$XVS_POLL" ] && return 0
	_xvs_cap_end
	xvs_powersave "$1" || return 1
	_xvs_cap_begin
}

xvs_cap_stop() {
	_xvs_cap_end
	xvs_stop
	XVS_CAP=0
}

xvs_cap_describe() {
	cat <<EOF
xvsd as for xvs, vm topology only, with a third vhost-user port $XVS_CAP_PORT
(socket $XVS_CAP_PORT, no frontend) and xvsctl capture $XVS_CAP_PORT -w logs/xvs-cap.pcap
running in the background from the start to the stop: a capture on a port
that is not one of the measured ones (a, b).
EOF
}

xvs_zc_describe() {
	cat <<EOF
xvsd as for xvs, uplink topology only, with zero-copy NIC⇄VM: port a
zero-copy: { uplink: up0, queue: $ZC_QUEUE }, up0 zero-copy-queues: [$ZC_QUEUE];
the veth pair with $ZC_WIRE_QUEUES queues (the uplink's own socket on the others).
EOF
}

xvs_describe() {
	cat <<EOF
xvsd -c FILE (taskset -c $SW_CPU); datapath.cpus [$SW_CPU], poll $XVS_POLL
(idle-saving rows: adaptive, max-nap-us $MAX_SLEEP_US);
vhost-user ports in server mode, static FDB entries for the frontends'
MACs; uplink: xdp-mode native, AF_XDP copy mode (veth), ring-size 2048,
frame-size 4096, busy-poll 0.
EOF
}
