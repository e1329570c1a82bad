# SPDX-License-Identifier: GPL-2.0-only
# Switch driver: DPDK testpmd (Debian's dpdk-dev) as the bare DPDK pipeline:
# io forwarding between two ports, no lookup at all.
#
#   dpdk-testpmd --lcores '0@S,1@S' --file-prefix xvsbench-tp --no-pci
#     --huge-dir <ours> --socket-mem 1024
#     vm: --vdev net_vhost0,iface=<sock>/a,queues=1 --vdev net_vhost1,iface=<sock>/b,queues=1
#     up: --vdev net_af_xdp0,iface=<veth>,start_queue=0,queue_count=1 (default
#         busy_budget 64: preferred busy polling) --vdev net_vhost0,iface=<sock>/a
#   -- -i --forward-mode=io --auto-start --rxd=1024 --txd=1024 --burst=32
#      --record-core-cycles --record-burst-stats
# under taskset -c S: the forwarding lcore (1) and the idle main lcore (0,
# reading commands) share the switch CPU. Commands go through a FIFO;
# "clear fwd stats all" opens a window and "show fwd stats all" closes it:
# its busy cycles (cycles of bursts that moved packets) over the window's
# cycles are the busy fraction.

TP_FD=

testpmd_available() {
	command -v dpdk-testpmd >/dev/null
}

_tp_cmd() {
	[ -n "$TP_FD" ] && echo "$1" >&"$TP_FD"
}

# _tp_wait_output MARK_SIZE REGEX SECS: until the log grew past MARK_SIZE with
# a line matching REGEX
_tp_wait_output() {
	local from=$1 re=$2 secs=$3 i

	for ((i = 0; i < secs * 20; i++)); do
		tail -c +"$((from + 1))" "$LOGS/testpmd.out" 2>/dev/null | grep -qE -- "$re" && return 0
		sleep 0.05
	done
	return 1
}

# start, once more if the first attempt did not reach its prompt (seen once
# in a dozen uplink starts, right after OVS had left the same veth)
testpmd_start() {
	testpmd_start_once "$1" && return 0
	warn "testpmd: trying once more"
	testpmd_stop 2>/dev/null || true
	sleep 1
	testpmd_start_once "$1"
}

testpmd_start_once() {
	local topo=$1 vdevs=() i cpus=$SW_CPU lcores="0@$SW_CPU,1@$SW_CPU" mq=()

	TP_CORES=1
	if [ "$topo" = vm ]; then
		vdevs=(--vdev "net_vhost0,iface=$SOCKDIR/a,queues=1"
			--vdev "net_vhost1,iface=$SOCKDIR/b,queues=1")
	elif [ "$topo" = vm-mq ]; then
		# a forwarding lcore on each CPU, 2 queue pairs per port: the 4
		# streams (port, queue) go 2 to each lcore
		vdevs=(--vdev "net_vhost0,iface=$SOCKDIR/a,queues=2"
			--vdev "net_vhost1,iface=$SOCKDIR/b,queues=2")
		cpus=$SW_CPU,$FE_CPU lcores="0@$SW_CPU,1@$SW_CPU,2@$FE_CPU" mq=(--nb-cores=2 --rxq=2 --txq=2)
		TP_CORES=2
	else
		vdevs=(--vdev "net_af_xdp0,iface=$HOST_IF,start_queue=0,queue_count=1"
			--vdev "net_vhost0,iface=$SOCKDIR/a,queues=1")
	fi
	rm -f "$WORK/testpmd.in"
	mkfifo "$WORK/testpmd.in"
	# read-write: opening does not wait for the reader
	exec {TP_FD}<>"$WORK/testpmd.in"
	taskset -c "$cpus" stdbuf -oL dpdk-testpmd --lcores "$lcores" --file-prefix xvsbench-tp \
		--no-pci --huge-dir "$HUGEDIR" --socket-mem 1024 "${vdevs[@]}" -- \
		-i --forward-mode=io --auto-start --rxd=1024 --txd=1024 --burst=32 "${mq[@]}" \
		--record-core-cycles --record-burst-stats \
		<"$WORK/testpmd.in" >"$LOGS/testpmd.out" 2>&1 &
	SW_PID=$!
	track pid "$SW_PID"
	track fn testpmd_close_fd
	for ((i = 0; i < 400; i++)); do
		grep -q 'testpmd>' "$LOGS/testpmd.out" 2>/dev/null && break
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q 'testpmd>' "$LOGS/testpmd.out" 2>/dev/null; then
		warn "testpmd did not come up within 20 s (logs/testpmd-failed.log):"
		{
			cat "$LOGS/testpmd.out"
			ip -d link show "$HOST_IF"
		} >>"$LOGS/testpmd-failed.log" 2>&1
		tail -8 "$LOGS/testpmd.out" >&2
		return 1
	fi
	cp "$LOGS/testpmd.out" "$LOGS/testpmd-$topo.start.log"
}

testpmd_mark() {
	_tp_cmd "clear fwd stats all"
	sleep 0.05
}

testpmd_busy() {
	local w=$1 from

	from=$(stat -c %s "$LOGS/testpmd.out")
	_tp_cmd "show fwd stats all"
	_tp_wait_output "$from" 'CPU cycles/packet|Accumulated forward statistics' 3 || return 0
	sleep 0.1
	tail -c +"$((from + 1))" "$LOGS/testpmd.out" | awk -v w="$w" -v cores="${TP_CORES:-1}" '
		/CPU cycles\/packet=/ {
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^cycles=/) { split($i, a, "="); c = a[2] }
				if ($i == "MHz") mhz = $(i - 1)
			}
		}
		END { if (mhz > 0 && w > 0) printf "%.4f\n", c / (mhz * 1e6 * w * cores) }'
}

testpmd_powersave() { return 1; }

testpmd_close_fd() {
	if [ -n "$TP_FD" ]; then
		exec {TP_FD}>&-
		TP_FD=
	fi
}

testpmd_stop() {
	local i

	_tp_cmd "quit"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SW_PID" 2>/dev/null || break
		sleep 0.05
	done
	testpmd_close_fd
	untrack fn testpmd_close_fd
	bg_stop "$SW_PID"
	cat "$LOGS/testpmd.out" >>"$LOGS/testpmd.all.log"
	SW_PID=
}

testpmd_describe() {
	cat <<EOF
dpdk-testpmd (DPDK $(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null)) under taskset -c $SW_CPU, lcores 0@$SW_CPU,1@$SW_CPU,
--socket-mem 1024 (2 MiB hugepages), --forward-mode=io, --rxd=1024 --txd=1024 --burst=32;
net_vhost (server) for VM ports, net_af_xdp (iface=veth, queue 0, default busy_budget) for the uplink.
EOF
}
