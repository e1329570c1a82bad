# SPDX-License-Identifier: GPL-2.0-only
# Shared by tools/bench/run.sh and the switch drivers (sw_*.sh):
# logging, the list of things to undo, CPU accounting, the frontends.
#
#   log MSG / warn MSG / die MSG        to stderr (and the run's log)
#   track KIND ARG                      remember something cleanup_all undoes:
#                                       pid, netns, link, umount, hugepages, bpfpin
#   cleanup_all                         undo everything tracked, newest first
#   bg NAME CMD...                      start CMD in the background, stdout to
#                                       $LOGS/NAME.out, stderr to $LOGS/NAME.err;
#                                       sets BG_PID and tracks it
#   stop_pid PID [SIG]                  signal, wait up to 5 s, then SIGKILL
#   wait_file_match FILE REGEX SECS     until FILE has a line matching REGEX
#   cpu_snap                            "t_ns cpu0_busy cpu0_total cpu0_steal
#                                       cpu1_busy cpu1_total cpu1_steal sw_ns"
#                                       (sw_ns: run time of every thread of
#                                       $SW_PID, from schedstat)
#   fe_sock PORT                        the socket a frontend uses for a port
#   fe_start NAME PORT ARGS...          xvs-vufront on CPU 0 (bg); waits until
#                                       its device is up
#   fe_tp_start VDEV... -- ARGS...      DPDK testpmd with virtio-user ports on
#                                       CPU 0; fe_tp_cmd CMD, fe_tp_ask CMD RE
#                                       (its output), fe_tp_stop
#   kv FILE KEY                         value of KEY= in a key=value line
#   fw_rules TOPO                       the firewall rows' rule set, one rule a
#                                       line: "src dst dst_port", the last the
#                                       one that allows the benchmark's flow

log() { echo "bench: $*" >&2; }
warn() { echo "bench: warning: $*" >&2; }
die() {
	echo "bench: error: $*" >&2
	exit 1
}

# idle-saving rows: the longest sleep between polls, the same for every
# switch that has the option (xvs max-nap-us, OVS pmd-maxsleep)
MAX_SLEEP_US=200

CLEANUP_LIST=()

track() {
	CLEANUP_LIST+=("$1 $2")
}

stop_pid() {
	local pid=$1 sig=${2:-TERM} i

	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		# a zombie child of ours: reap it
		if [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			wait "$pid" 2>/dev/null || true
			return 0
		fi
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup_all() {
	local i kind arg

	for ((i = ${#CLEANUP_LIST[@]} - 1; i >= 0; i--)); do
		kind=${CLEANUP_LIST[i]%% *}
		arg=${CLEANUP_LIST[i]#* }
		case $kind in
		pid) stop_pid "$arg" ;;
		fn) "$arg" || true ;;
		netns) ip netns del "$arg" 2>/dev/null || true ;;
		link) ip link del "$arg" 2>/dev/null || true ;;
		umount) umount "$arg" 2>/dev/null || true ;;
		hugepages) echo "$arg" >/proc/sys/vm/nr_hugepages 2>/dev/null || true ;;
		bpfpin)
			case $arg in
			/sys/fs/bpf/?*) rm -rf -- "$arg" ;;
			esac
			;;
		esac
	done
	CLEANUP_LIST=()
}

# untrack KIND ARG: forget an entry (the thing was undone already)
untrack() {
	local i

	for i in "${!CLEANUP_LIST[@]}"; do
		if [ "${CLEANUP_LIST[i]}" = "$1 $2" ]; then
			unset 'CLEANUP_LIST[i]'
		fi
	done
	CLEANUP_LIST=("${CLEANUP_LIST[@]}")
	return 0
}

bg() {
	local name=$1

	shift
	"$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" </dev/null &
	BG_PID=$!
	track pid "$BG_PID"
}

# bg_stop PID [SIG]: stop a process started with bg and forget it
bg_stop() {
	stop_pid "$1" "${2:-TERM}"
	untrack pid "$1"
}

wait_file_match() {
	local file=$1 re=$2 secs=$3 i

	for ((i = 0; i < secs * 20; i++)); do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

kv() {
	tr ' ' '\n' <"$1" 2>/dev/null | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

# ---- the firewall rows' rule set (xvs-fw, ovs-ct) ---------------------------

# The flow each topology's firewall rows carry: vm (loop), testpmd's txonly
# frames from "start tx_first" (its defaults: UDP 198.18.0.1 -> 198.18.0.2,
# port 9 -> 9; io forwarding then keeps them as they are; loop-mf's
# --txonly-multi-flow sources are 198.18.N.x, 256 of them, 128 each way,
# hence the /16);
# up (nic2vm, nic2vm-dpdk), xdpgen's (UDP 10.0.0.1:1000 -> 10.0.0.2:2000)
FW_RULES=100
declare -A FW_FLOW=([vm]="198.18.0.0/16 198.18.0.2 9" [up]="10.0.0.1 10.0.0.2 2000")

# fw_rules TOPO: FW_RULES rules of one shape (UDP, source and destination
# address, destination port), in order; the first FW_RULES - 1 miss the
# flow, alternately by the source address (192.0.2.N, TEST-NET-1) and by
# the port (20000 + N), the last one matches it
fw_rules() {
	local i src dst port

	read -r src dst port <<<"${FW_FLOW[$1]}"
	for ((i = 0; i < FW_RULES - 1; i++)); do
		if ((i % 2 == 0)); then
			echo "192.0.2.$((i / 2 + 1)) $dst $port"
		else
			echo "$src $dst $((20000 + i))"
		fi
	done
	echo "$src $dst $port"
}

# Run time in ns of all threads of a process (schedstat: exact, unlike
# the 10 ms ticks of /proc/PID/stat).
proc_ns() {
	local pid=$1

	[ -n "$pid" ] && [ -d "/proc/$pid/task" ] || {
		echo 0
		return
	}
	cat /proc/"$pid"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# busy, total and stolen ticks of cpu0 and cpu1 from /proc/stat (busy:
# user, nice, system, irq, softirq; steal: time the hypervisor ran someone
# else on our vCPU)
cpu_snap() {
	local t sw

	t=$(date +%s%N)
	sw=$(proc_ns "${SW_PID:-}")
	awk -v t="$t" -v sw="$sw" '
		$1 == "cpu0" || $1 == "cpu1" {
			busy = $2 + $3 + $4 + $7 + $8
			tot = busy + $5 + $6 + $9
			out = out " " busy " " tot " " $9
		}
		END { print t out " " sw }' /proc/stat
}

# cpu_delta SNAP0 SNAP1: "window_s cpu0_frac cpu1_frac sw_cpu_s steal0 steal1";
# busy fractions are of the time not stolen
cpu_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		w = (y[1] - x[1]) / 1e9
		for (c = 0; c < 2; c++) {
			i = 2 + 3 * c
			busy = y[i] - x[i]; tot = y[i + 1] - x[i + 1]; st = y[i + 2] - x[i + 2]
			f[c] = tot - st > 0 ? busy / (tot - st) : 0
			s[c] = tot > 0 ? st / tot : 0
		}
		printf "%.4f %.4f %.4f %.6f %.4f %.4f\n", w, f[0], f[1], (y[8] - x[8]) / 1e9, s[0], s[1]
	}'
}

fe_sock() {
	echo "$SOCKDIR/$1"
}

# fe_start NAME PORT ARGS...: an xvs-vufront on the frontends' CPU, its
# stdout in $LOGS/NAME.out; returns when the device is up (sets BG_PID).
# FE_RT=1 gives it real-time priority (a receiver sharing the CPU with a
# sender: it must run as soon as frames arrive, or its ring overflows).
# FE_LINK=-l: it listens on the socket instead (a switch that is the
# vhost-user client there), and FE_AFTER, if set, runs once it listens: the
# command that makes the switch connect.
fe_start() {
	local name=$1 port=$2 pre=(taskset -c "$FE_CPU")

	shift 2
	[ "${FE_RT:-0}" = 1 ] && pre+=(chrt -f 10)
	bg "$name" "${pre[@]}" "$VUFRONT" "${FE_LINK:--c}" "$(fe_sock "$port")" -r "$RING" --mem "$FE_MEM" -v "$@"
	if [ -n "${FE_AFTER:-}" ]; then
		wait_file_match "$LOGS/$name.err" 'waiting for the back-end' 5 || true
		$FE_AFTER
	fi
	if ! wait_file_match "$LOGS/$name.err" 'device up' 15; then
		warn "frontend $name did not come up on $(fe_sock "$port"):"
		tail -5 "$LOGS/$name.err" >&2
		bg_stop "$BG_PID" KILL
		return 1
	fi
}

# ---- DPDK virtio-user: testpmd as the guest side ------------------------------

# [FE_TP_PRE=CMD] fe_tp_start VDEV... -- TESTPMD_ARGS...: one testpmd on the
# frontends' CPU (under CMD, e.g. chrt) with the given virtio-user vdevs
# (both lcores there: the main one only reads commands, from a FIFO), output
# in $LOGS/fe-testpmd.out; returns at its prompt. --no-huge: its memory is
# one memfd, which the switch maps (xvs-zc: as the UMEM).
fe_tp_start() {
	local vdevs=()

	while [ "$1" != -- ]; do
		vdevs+=(--vdev "$1")
		shift
	done
	shift
	rm -f "$WORK/fe.in"
	mkfifo "$WORK/fe.in"
	# read-write: opening does not wait for the reader
	exec {FE_TP_FD}<>"$WORK/fe.in"
	${FE_TP_PRE:-} taskset -c "$FE_CPU" stdbuf -oL dpdk-testpmd --lcores "0@$FE_CPU,1@$FE_CPU" \
		--no-huge -m 1024 --no-pci --file-prefix xvsbench-fe "${vdevs[@]}" -- \
		-i --rxd="$RING" --txd="$RING" --burst=32 --record-burst-stats "$@" \
		<"$WORK/fe.in" >"$LOGS/fe-testpmd.out" 2>&1 &
	FE_TP_PID=$!
	track pid "$FE_TP_PID"
	if ! wait_file_match "$LOGS/fe-testpmd.out" 'testpmd>' 20; then
		warn "$SW: the virtio-user frontend did not come up"
		tail -5 "$LOGS/fe-testpmd.out" >&2
		fe_tp_stop KILL
		return 1
	fi
}

fe_tp_cmd() {
	echo "$1" >&"$FE_TP_FD"
}

# fe_tp_since OFFSET REGEX: wait (2 s at most) until the output after byte
# OFFSET has a line matching REGEX; print that output
fe_tp_since() {
	local i

	for ((i = 0; i < 40; i++)); do
		tail -c +"$(($1 + 1))" "$LOGS/fe-testpmd.out" | grep -qE -- "$2" && break
		sleep 0.05
	done
	sleep 0.1
	tail -c +"$(($1 + 1))" "$LOGS/fe-testpmd.out"
}

# fe_tp_ask CMD REGEX: send CMD, print its output (fe_tp_since)
fe_tp_ask() {
	local from

	from=$(stat -c %s "$LOGS/fe-testpmd.out")
	fe_tp_cmd "$1"
	fe_tp_since "$from" "$2"
}

# fe_tp_stop [SIG]: stop forwarding, quit, keep the output in fe-testpmd.all.log
fe_tp_stop() {
	local i

	if [ "${1:-}" != KILL ]; then
		fe_tp_cmd stop
		fe_tp_cmd quit
		for ((i = 0; i < 60; i++)); do
			kill -0 "$FE_TP_PID" 2>/dev/null || break
			sleep 0.05
		done
	fi
	exec {FE_TP_FD}>&-
	bg_stop "$FE_TP_PID" "${1:-TERM}"
	cat "$LOGS/fe-testpmd.out" >>"$LOGS/fe-testpmd.all.log"
}
