# SPDX-License-Identifier: GPL-2.0-only
# The scenarios. Each trial appends one JSON object to $TRIALS; report.py
# turns them into medians, ratios and the "limited by" column.
#
#   run_switch SW RUN       every selected scenario for one switch, one run:
#                           the vm topology (vm2vm, pvp, loop, eff, idle),
#                           then the uplink topology (nic2vm, vm2nic)
#   sw_check SCEN SIZE N    after a trial of N frames: the switch's own check
#                           that it did the work asked (xvs-fw, ovs-ct: the
#                           firewall judged the traffic; xvs-cap: the capture
#                           ran elsewhere); if not, the row is n/a with its
#                           reason, and 1
#
# Frontends: xvs-vufront on $FE_CPU (a receiver sharing the CPU with a sender
# gets SCHED_FIFO so that it drains its ring as frames arrive); for "loop",
# DPDK testpmd with two virtio-user ports. The switch runs on $SW_CPU.
#
# Sizes are frame sizes with FCS, as usual (64, 512, 1518): the frontends
# build frames 4 bytes shorter (60, 508, 1514), and Gbit/s count the size
# with FCS (no preamble or inter-frame gap).

SIZES_VM2VM=(64 512 1518)
SIZES_PVP=(64 1518)
SIZES_NIC=(64 1518)
SIZES_LOOP=(${BENCH_LOOP_SIZES:-64 1518}) # BENCH_LOOP_SIZES: a subset, for profiling
EFF_RATE=100000 # frames/s at 64 B: below every switch's and frontend's limit
ZL_STEPS=5
LOOP_BURSTS=8 # 32-frame bursts per direction in the loop: far below any ring
GEN_GAP_US=50 # nic2vm-dpdk: the generator's sleep after each call (the frontend's turn)

declare -A RATE_GUESS=()
declare -A MAX_PPS=() MAX_LOST=()

group_on() {
	[[ ,$GROUPS_SEL, == *",$1,"* ]]
}

# jrec KEY VALUE ...: one JSON object on $TRIALS (numbers and null bare, the
# rest quoted); values from $(trial_fields) must not be empty or contain spaces
jrec() {
	local out="" k v

	while [ $# -ge 2 ]; do
		k=$1 v=$2
		shift 2
		if [[ $v =~ ^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$ ]] || [ "$v" = null ]; then
			out+="\"$k\": $v, "
		else
			v=${v//\\/\\\\}
			v=${v//\"/\\\"}
			out+="\"$k\": \"$v\", "
		fi
	done
	echo "{${out%, }}" >>"$TRIALS"
}

# record_na SW SCENARIO REASON: the switch could not run it
record_na() {
	jrec run "${RUN:-1}" switch "$1" scenario "$2" na "$3"
	warn "$1: $2: n/a: $3"
}

# frames for about DURATION seconds at the rate seen last time
frames_for() {
	local key=$1 def=$2 r

	r=${RATE_GUESS[$key]:-$def}
	awk -v r="$r" -v d="$DURATION" 'BEGIN { n = r * d; if (n < 20000) n = 20000; printf "%d\n", n }'
}

remember_rate() {
	local key=$1 r=$2

	awk -v r="$r" 'BEGIN { exit !(r > 1000) }' && RATE_GUESS[$key]=$r
	return 0
}

default_rate() {
	case $1 in
	64) echo 1500000 ;;
	512) echo 1000000 ;;
	*) echo 500000 ;;
	esac
}

# window_begin / window_end: CPU snapshots around a measurement; sets
# W_S (seconds), C0 / C1 (busy fraction of the frontend / switch CPU),
# SWCPU_S (switch process CPU-seconds), SWBUSY (its own busy fraction or "")
window_begin() {
	"${DRV}_mark"
	SNAP0=$(cpu_snap)
}

window_end() {
	local d

	SNAP1=$(cpu_snap)
	d=$(cpu_delta "$SNAP0" "$SNAP1")
	read -r W_S C0 C1 SWCPU_S ST0 ST1 <<<"$d"
	SWBUSY=$("${DRV}_busy" "$W_S" 2>/dev/null || true)
	SW_FIELDS=$(sw_fields)
}

# sw_ready: a frontend is up; the switch's own wait for it, if it has one
sw_ready() {
	! declare -F "${DRV}_ready" >/dev/null || "${DRV}_ready"
}

# sw_fields: the switch's own figures over the window, as "key value" pairs
# (window_end keeps them in SW_FIELDS: an xvs-zc socket's kernel counters go
# with the frontend)
sw_fields() {
	! declare -F "${DRV}_fields" >/dev/null || "${DRV}_fields"
}

# sw_check SCENARIO SIZE FRAMES: the switch's check of the window's work
# (<sw>_check FRAMES, optional: prints why it failed); a failure is the
# trial's n/a, with that reason
sw_check() {
	local why

	declare -F "${DRV}_check" >/dev/null || return 0
	why=$("${DRV}_check" "$3") && return 0
	record_na "$SW" "$1-$2" "${why:-its check failed}"
	return 1
}

# common fields of a trial record
trial_fields() {
	echo run "$RUN" switch "$SW" window_s "$W_S" cpu_fe "$C0" cpu_sw_core "$C1" \
		sw_cpu_s "$SWCPU_S" sw_busy "${SWBUSY:-null}" steal_fe "$ST0" steal_sw "$ST1"
}

stop_fe() {
	local pid=$1

	kill -INT "$pid" 2>/dev/null || true
	bg_stop "$pid"
}

# ---- VM -> VM ---------------------------------------------------------------

# vm2vm_send RX_PID ARGS...: the sender on a (on the frontend CPU, to b) with
# ARGS, in a measurement window; then the receiver RX_PID stopped. Output
# in $LOGS/tx.out and rx.out.
# FE_LINK, FE_AFTER as for fe_start; FE_TX_PORT: the sender's socket (a).
vm2vm_send() {
	local rx=$1 pid
	shift
	window_begin
	taskset -c "$FE_CPU" "$VUFRONT" "${FE_LINK:--c}" "$(fe_sock "${FE_TX_PORT:-a}")" -r "$RING" \
		--mem "$FE_MEM" --mac "$MAC_A" --dst "$MAC_B" --timeout $((DURATION * 4 + 5)) "$@" \
		>"$LOGS/tx.out" 2>"$LOGS/tx.err" &
	pid=$!
	if [ -n "${FE_AFTER:-}" ]; then
		wait_file_match "$LOGS/tx.err" 'waiting for the back-end' 5 || true
		$FE_AFTER
	fi
	wait "$pid" || true
	window_end
	sleep 0.3
	stop_fe "$rx"
}

# trial_vm2vm SIZE [RATE]: sender on a -> receiver on b. Unpaced: the
# maximum rate; with RATE, paced (zero-loss search, efficiency).
# Sets T_RX (frames received), T_LOST, T_PPS.
trial_vm2vm() {
	local size=$1 rate=${2:-0} scen=${3:-vm2vm} n rx tx key args=()

	key=$SW/$scen/$size
	if [ "$rate" -gt 0 ]; then
		n=$(awk -v r="$rate" -v d="$DURATION" 'BEGIN { printf "%d\n", r * d }')
		args=(--rate "$rate")
	else
		n=$(frames_for "$key" "$(default_rate "$size")")
	fi
	FE_RT=1 fe_start rx b --mac "$MAC_B" --timeout 0 || return 1
	rx=$BG_PID
	vm2vm_send "$rx" --size $((size - 4)) --send "$n" "${args[@]}"
	tx=$(kv "$LOGS/tx.out" tx_frames)
	T_RX=$(kv "$LOGS/rx.out" rx_frames)
	T_PPS=$(kv "$LOGS/rx.out" rx_pps)
	if [ -z "$tx" ] || [ -z "$T_RX" ]; then
		warn "$SW $scen $size: no counters from the frontends"
		tail -3 "$LOGS/tx.err" "$LOGS/rx.err" >&2
		return 1
	fi
	T_LOST=$((tx > T_RX ? tx - T_RX : 0))
	sw_check "$scen" "$size" "$T_RX" || return 0
	[ "$rate" -eq 0 ] && remember_rate "$key" "$T_PPS"
	if [ "$rate" -eq 0 ] && [ "$scen" = vm2vm ]; then
		MAX_PPS[$SW/$size]=$T_PPS
		MAX_LOST[$SW/$size]=$T_LOST
	fi
	jrec $(trial_fields) scenario "$scen" size "$size" offered "$rate" sent "$tx" \
		received "$T_RX" lost "$T_LOST" pps "$T_PPS" \
		rx_bad "$(kv "$LOGS/rx.out" rx_bad)" rx_lost_gaps "$(kv "$LOGS/rx.out" rx_lost)" \
		tx_pps "$(kv "$LOGS/tx.out" tx_pps)" frames_switched "$T_RX" \
		rx_wakeups "$(kv "$LOGS/rx.out" wakeups)" tx_wakeups "$(kv "$LOGS/tx.out" wakeups)" \
		tx_kicks "$(kv "$LOGS/tx.out" kicks)" $SW_FIELDS
}

# ---- VM -> VM, TCP in large segments (TSO) --------------------------------------

# trial_vm2vm_tso: both frontends take the offloads (checksums, TSO); the
# sender hands over 65000-byte TCP frames (xvs-vufront --gso 1448: what a
# Linux guest's TCP sends with TSO), the receiver checks every byte of the
# stream and every checksum. A switch that passes the frames whole moves 45
# segments per frame; one that cuts them moves 45 frames. The rate is the
# stream's bytes per second, recorded as 65000-byte frames per second (the
# report's Gb/s is then the stream's).
TSO_SIZE=65000
trial_vm2vm_tso() {
	local n=${TSO_FRAMES:-20000} rx tx gbps bytes pa=a pb=b
	# OVS: on its client ports (ovs_tso_port), where it keeps host TSO
	declare -F "${DRV}_tso_port" >/dev/null && pa=ta pb=tb
	FE_LINK=$([ "$pa" = ta ] && echo -l || echo -c) \
		FE_AFTER=$([ "$pa" = ta ] && echo "${DRV}_tso_port tb")
	FE_RT=1 fe_start rx "$pb" --mac "$MAC_B" --timeout 0 --offloads all --proto tcp \
		--allow-loss || { FE_LINK= FE_AFTER=; return 1; }
	rx=$BG_PID
	FE_TX_PORT=$pa FE_AFTER=$([ "$pa" = ta ] && echo "${DRV}_tso_port ta") \
		vm2vm_send "$rx" --offloads all --proto tcp --gso 1448 --size "$TSO_SIZE" --send "$n"
	FE_LINK= FE_AFTER=
	! declare -F "${DRV}_tso_done" >/dev/null || "${DRV}_tso_done"
	tx=$(kv "$LOGS/tx.out" tx_frames)
	gbps=$(kv "$LOGS/rx.out" rx_gbps)
	bytes=$(kv "$LOGS/rx.out" rx_stream_bytes)
	if [ -z "$tx" ] || [ -z "$gbps" ] || [ "${bytes:-0}" = 0 ]; then
		warn "$SW vm2vm-tso: no counters from the frontends"
		tail -3 "$LOGS/tx.err" "$LOGS/rx.err" >&2
		return 1
	fi
	T_PPS=$(awk -v g="$gbps" -v s="$TSO_SIZE" 'BEGIN { printf "%.0f\n", g * 1e9 / (s * 8) }')
	jrec $(trial_fields) scenario vm2vm-tso size "$TSO_SIZE" offered 0 sent "$tx" \
		received "$(kv "$LOGS/rx.out" rx_frames)" lost 0 pps "$T_PPS" \
		rx_gbps "$gbps" rx_gso "$(kv "$LOGS/rx.out" rx_gso)" \
		rx_stream_bytes "$bytes" rx_stream_gap "$(kv "$LOGS/rx.out" rx_stream_gap)" \
		rx_csum_bad "$(kv "$LOGS/rx.out" rx_csum_bad)" rx_bad "$(kv "$LOGS/rx.out" rx_bad)" \
		frames_switched "$(kv "$LOGS/rx.out" rx_frames)" $SW_FIELDS
}

# zero-loss rate. The frontends push back (a full TX ring makes the sender
# wait, which is not loss), so an unpaced run is often lossless already:
# then its rate is the zero-loss rate. Otherwise a binary search over paced
# rates below it; a probe counts with the rate the receiver saw (a paced
# sender may fall short of its target), and only if no frame was lost.
zero_loss_vm2vm() {
	local size=$1 max=$2 lost=$3 lo=0 hi best=0 mid i

	if [ "$lost" -eq 0 ]; then
		jrec run "$RUN" switch "$SW" scenario vm2vm-zl size "$size" pps "$max" \
			note "the unpaced run lost nothing"
		return 0
	fi
	hi=$max
	for ((i = 0; i < ZL_STEPS; i++)); do
		mid=$(((lo + hi) / 2))
		trial_vm2vm "$size" "$mid" vm2vm-zl-probe || return 1
		if [ "$T_LOST" -eq 0 ]; then
			[ "${T_PPS%.*}" -gt "$best" ] && best=${T_PPS%.*}
			lo=$mid
		else
			hi=$mid
		fi
	done
	jrec run "$RUN" switch "$SW" scenario vm2vm-zl size "$size" pps "$best" \
		note "best of $ZL_STEPS paced probes without loss"
}

# ---- PVP ------------------------------------------------------------------

# generator on a sends to b, where an echo returns every frame; the switch
# forwards each frame twice. Rate: round trips per second at the generator.
# The generator stops after DURATION seconds (frames then in flight are not
# losses); loss = sequence gaps in what came back.
trial_pvp() {
	local size=$1 echo tx rx pps lost

	FE_RT=1 fe_start echo b --mac "$MAC_B" --echo --timeout 0 || return 1
	echo=$BG_PID
	window_begin
	taskset -c "$FE_CPU" "$VUFRONT" -c "$(fe_sock a)" -r "$RING" --mem "$FE_MEM" \
		--mac "$MAC_A" --dst "$MAC_B" --size $((size - 4)) --send 4000000000 \
		--timeout "$DURATION" >"$LOGS/gen.out" 2>"$LOGS/gen.err" || true
	window_end
	stop_fe "$echo"
	tx=$(kv "$LOGS/gen.out" tx_frames)
	rx=$(kv "$LOGS/gen.out" rx_frames)
	lost=$(kv "$LOGS/gen.out" rx_lost)
	pps=$(kv "$LOGS/gen.out" rx_pps)
	[ -n "$tx" ] && [ -n "$rx" ] && [ -n "$lost" ] || {
		warn "$SW pvp $size: no counters from the generator"
		tail -3 "$LOGS/gen.err" "$LOGS/echo.err" >&2
		return 1
	}
	jrec $(trial_fields) scenario pvp size "$size" offered 0 sent $((rx + lost)) received "$rx" \
		lost "$lost" pps "$pps" rx_bad "$(kv "$LOGS/gen.out" rx_bad)" tx_frames "$tx" \
		frames_switched $((rx * 2)) gen_wakeups "$(kv "$LOGS/gen.out" wakeups)" \
		echo_wakeups "$(kv "$LOGS/echo.out" wakeups)"
}

# ---- loop: DPDK virtio-user as the frontend --------------------------------

# fe_tp_flowing FIELD: until the frontend testpmd's port counter FIELD
# (RX-packets, TX-packets) grew in 3 consecutive samples (at most 6 s)
fe_tp_flowing() {
	local field=$1 n prev=-1 ok=0 i

	for ((i = 0; i < 30 && ok < 3; i++)); do
		n=$(fe_tp_ask "show port stats all" '^[[:space:]]*#{40,}[[:space:]]*$' | awk -v f="$field:" '
			$1 == f { s += $2 } END { print s + 0 }')
		if [ "$prev" -ge 0 ] && [ "$n" -gt "$prev" ]; then
			ok=$((ok + 1))
		else
			ok=0
		fi
		prev=$n
		sleep 0.1
	done
	[ "$ok" -ge 3 ]
}

# fe_tp_window CMD...: a measurement window around CMD (a sleep, the
# generator) with the frontend testpmd's forward statistics cleared before
# and shown after; that output in FE_TP_OUT
fe_tp_window() {
	local from

	fe_tp_cmd "clear fwd stats all"
	sleep 0.05
	window_begin
	"$@"
	from=$(stat -c %s "$LOGS/fe-testpmd.out")
	fe_tp_cmd "show fwd stats all"
	window_end
	FE_TP_OUT=$(fe_tp_since "$from" 'Accumulated forward')
}

# fwd_stats FIELD: from "show fwd stats all" output on stdin, the accumulated
# FIELD (RX-packets, TX-packets, TX-dropped) and the share of FIELD's bursts
# (RX-bursts, TX-bursts) that moved nothing: "count empty_share"
fwd_stats() {
	awk -v f="$1" '
		BEGIN { b = (f ~ /^RX/ ? "RX-bursts" : "TX-bursts") }
		/Accumulated forward statistics/ { acc = 1 }
		acc && !got {
			for (i = 1; i < NF; i++) if ($i == f ":") { tot = $(i + 1); got = 1 }
		}
		$1 == b {
			n = $3; sub(/\[/, "", $4); sub(/%/, "", $4)
			if ($6 == "0") { e += n * $4 / 100 } ; all += n
		}
		END { printf "%d %.4f\n", tot, (all > 0 ? e / all : 0) }'
}

# fwd_rx_queues: from "show fwd stats all" output on stdin, how many streams
# (RX port/queue) received frames. testpmd prints a section per stream only
# when there are more streams than ports; else the per-port sections (one
# stream each) tell.
fwd_rx_queues() {
	awk '
		/Forward Stats for RX Port=/ { sec = "s"; next }
		/Forward statistics for port/ { sec = "p"; next }
		/Accumulated forward statistics/ { sec = "" }
		sec != "" && $1 == "RX-packets:" { if ($2 > 0) n[sec]++; sec = "" }
		END { print (n["s"] > 0 ? n["s"] : n["p"] + 0) }'
}

# testpmd with two virtio-user ports (a, b) in io forwarding on the
# frontend CPU; "start tx_first 8" puts 256 frames in each direction, which
# then circulate: each pass crosses the switch once. Rate: frames the switch
# forwarded per second (both directions). Closed loop: no offered load, no
# loss figure; frames the switch drops leave the loop and lower the rate.
# trial_loop SIZE [mf|packed]: mf (scenario loop-mf) makes the 512 frames
# 256 flows, 128 each way (--txonly-multi-flow: testpmd steps the source
# address frame by frame), so that no per-flow cache of a switch's firewall
# or flow table sees one flow's frames back to back; packed (loop-packed)
# runs the same loop on packed virtqueues (packed_vq=1), against the split
# rows of the same run.
trial_loop() {
	LOOP_STALLED=0 LOOP_LAST=0
	trial_loop_once "$@" && return 0
	warn "$SW loop $1: once more with a new frontend"
	LOOP_STALLED=0 LOOP_LAST=1
	trial_loop_once "$@"
}

trial_loop_once() {
	local size=$1 scen=loop tot c0 inflight mf=() vq="queues=1,queue_size=$RING,in_order=0"
	local qp=1 nq

	case ${2:-} in
	mf) scen=loop-mf mf=(--txonly-multi-flow) ;;
	packed) scen=loop-packed vq+=",packed_vq=1" ;;
	inorder) scen=loop-inorder vq="queues=1,queue_size=$RING,in_order=1" ;;
	mq1) scen=loop-mq1 ;;
	mq2) scen=loop-mq2 qp=2 vq="queues=2,queue_size=$RING,in_order=0" mf=(--rxq=2 --txq=2) ;;
	esac
	fe_tp_start "net_virtio_user0,path=$(fe_sock a),$vq" \
		"net_virtio_user1,path=$(fe_sock b),$vq" -- \
		--forward-mode=io --eth-peer="0,$MAC_B" --eth-peer="1,$MAC_A" --txpkts=$((size - 4)) \
		"${mf[@]}" || return 1
	# the back-ends bring a port up when its rings are ready: wait for it
	# before the first burst, or that burst is dropped on the way
	sleep 1
	fe_tp_cmd "start tx_first $LOOP_BURSTS"
	# measure once the frames flow: DPDK's vhost PMD (testpmd, OVS) can
	# stall for about a second after a new connection (seen here, see
	# README); wait for 3 samples 0.2 s apart that all moved frames
	if ! fe_tp_flowing RX-packets; then
		warn "$SW $scen $size: frames did not circulate within 6 s"
		LOOP_STALLED=1
	fi
	fe_tp_window sleep "$DURATION"
	# RX-packets of the accumulated section; empty-poll share of RX bursts
	read -r tot c0 < <(fwd_stats RX-packets <<<"$FE_TP_OUT")
	# port counters (not reset by "clear fwd stats"): TX - RX over both
	# ports = frames still circulating; below the injected number when the
	# switch or the frontend dropped some
	inflight=$(fe_tp_ask "show port stats all" '^[[:space:]]*#{40,}[[:space:]]*$' | awk '
		$1 == "RX-packets:" { rx += $2 }
		$1 == "TX-packets:" { tx += $2 }
		END { print tx - rx }')
	fe_tp_stop
	[ "${tot:-0}" -gt 0 ] || {
		warn "$SW $scen $size: no frames circulated"
		return 1
	}
	# a stalled first attempt is not recorded; the second is, marked
	[ "$LOOP_STALLED" = 0 ] || [ "$LOOP_LAST" = 1 ] || return 1
	# the frontend's RX queues that received frames in the window: with 2
	# queue pairs the switch must have used all 4 (2 ports × 2)
	nq=$(fwd_rx_queues <<<"$FE_TP_OUT")
	if [ "$nq" -lt $((2 * qp)) ]; then
		record_na "$SW" "$scen-$size" "frames arrived on $nq of the frontends' $((2 * qp)) RX queues (run $RUN)"
		return 0
	fi
	sw_check "$scen" "$size" "$tot" || return 0
	jrec $(trial_fields) scenario "$scen" size "$size" offered 0 received "$tot" \
		pps "$(awk -v n="$tot" -v w="$W_S" 'BEGIN { printf "%.0f\n", n / w }')" \
		fe_empty_polls "$c0" frames_switched "$tot" injected $((LOOP_BURSTS * 32 * 2 * qp)) \
		fe_rx_queues "$nq" inflight_end "${inflight:-0}" stalled "$LOOP_STALLED" $SW_FIELDS
}

# ---- efficiency and idle -------------------------------------------------------

trial_eff() {
	local tag=$1

	trial_vm2vm 64 "$EFF_RATE" "eff$tag"
}

trial_idle() {
	local tag=$1 a b

	fe_start idle-a a --mac "$MAC_A" --timeout 0 || return 1
	a=$BG_PID
	fe_start idle-b b --mac "$MAC_B" --timeout 0 || { stop_fe "$a"; return 1; }
	b=$BG_PID
	sleep 0.5
	window_begin
	sleep "$DURATION"
	window_end
	stop_fe "$a"
	stop_fe "$b"
	jrec $(trial_fields) scenario "idle$tag" frames_switched 0
}

# ---- uplink ---------------------------------------------------------------

# gen_run SIZE [ARGS...]: the wire's generator in the namespace, on the
# frontends' CPU, for DURATION seconds (the kernel's receive path and XDP
# run there too)
gen_run() {
	local size=$1

	shift
	ip netns exec "$NS" taskset -c "$FE_CPU" "$XDPGEN" gen -i "$PEER_IF" --dst "$MAC_B" \
		--src "$PEER_MAC" --size $((size - 4)) --duration "$DURATION" "$@" \
		>"$LOGS/gen.out" 2>"$LOGS/gen.err" || true
}

trial_nic2vm() {
	local size=$1 rx gen

	FE_RT=1 fe_start rx a --mac "$MAC_B" --timeout 0 || return 1
	rx=$BG_PID
	sw_ready || { stop_fe "$rx"; return 1; }
	window_begin
	gen_run "$size"
	window_end
	sleep 0.3
	stop_fe "$rx"
	gen=$(kv "$LOGS/gen.out" gen_frames)
	T_RX=$(kv "$LOGS/rx.out" rx_frames)
	[ -n "$gen" ] && [ -n "$T_RX" ] || {
		warn "$SW nic2vm $size: no counters"
		tail -3 "$LOGS/gen.err" "$LOGS/rx.err" >&2
		return 1
	}
	sw_check nic2vm "$size" "$T_RX" || return 0
	jrec $(trial_fields) scenario nic2vm size "$size" offered 0 sent "$gen" \
		received "$T_RX" lost $((gen > T_RX ? gen - T_RX : 0)) \
		pps "$(kv "$LOGS/rx.out" rx_pps)" gen_pps "$(kv "$LOGS/gen.out" gen_pps)" \
		rx_bad "$(kv "$LOGS/rx.out" rx_bad)" frames_switched "$T_RX" $SW_FIELDS
}

# sink_start / sink_stop: the counting XDP_DROP program on the wire's far end;
# sink_stop sets SINK_FRAMES
sink_start() {
	bg sink ip netns exec "$NS" "$XDPGEN" sink -i "$PEER_IF"
	SINK_PID=$BG_PID
	wait_file_match "$LOGS/sink.err" '^ready' 10 && return 0
	warn "$SW: the sink did not attach"
	cat "$LOGS/sink.err" >&2
	bg_stop "$SINK_PID" KILL
	return 1
}

sink_stop() {
	kill -INT "$SINK_PID" 2>/dev/null || true
	bg_stop "$SINK_PID"
	SINK_FRAMES=$(kv "$LOGS/sink.out" sink_frames)
}

trial_vm2nic() {
	local size=$1 n tx txpps key=$SW/vm2nic/$1

	n=$(frames_for "$key" "$(default_rate "$size")")
	sink_start || return 1
	window_begin
	taskset -c "$FE_CPU" "$VUFRONT" -c "$(fe_sock a)" -r "$RING" --mem "$FE_MEM" \
		--mac "$MAC_A" --dst "$PEER_MAC" --size $((size - 4)) --send "$n" \
		--timeout $((DURATION * 4 + 5)) >"$LOGS/tx.out" 2>"$LOGS/tx.err" || true
	window_end
	sleep 0.3
	sink_stop
	tx=$(kv "$LOGS/tx.out" tx_frames)
	txpps=$(kv "$LOGS/tx.out" tx_pps)
	[ -n "$tx" ] && [ -n "$SINK_FRAMES" ] || {
		warn "$SW vm2nic $size: no counters"
		tail -3 "$LOGS/tx.err" "$LOGS/sink.err" >&2
		return 1
	}
	# delivered rate: the sender's rate scaled by the share that arrived
	T_PPS=$(awk -v p="$txpps" -v t="$tx" -v g="$SINK_FRAMES" 'BEGIN { printf "%.0f\n", (t > 0 ? p * g / t : 0) }')
	remember_rate "$key" "$T_PPS"
	# the sender connects and sends at once: xvs-zc's socket, built once
	# the rings are ready, misses the first frames (zc_from_vm_copied)
	jrec $(trial_fields) scenario vm2nic size "$size" offered 0 sent "$tx" \
		received "$SINK_FRAMES" lost $((tx > SINK_FRAMES ? tx - SINK_FRAMES : 0)) pps "$T_PPS" \
		tx_pps "$txpps" frames_switched "$SINK_FRAMES" $SW_FIELDS
}

# ---- uplink, DPDK virtio-user as the guest side ------------------------------

# The guest is testpmd with one virtio-user port on a (fe_tp_start): rxonly
# for NIC→VM, txonly for VM→NIC. It polls and does not look at the frames:
# what xvs-vufront's checks cost is gone, the switch's work shows.

fe_tp_vdev() {
	echo "net_virtio_user0,path=$(fe_sock a),queues=1,queue_size=$RING,in_order=0,mac=$1"
}

# NIC→VM: frames the frontend received over the generator's time. The
# frontend polls on the generator's CPU: as SCHED_IDLE, which any waking
# task preempts at once, while the generator sleeps GEN_GAP_US after each
# ~100 µs call (xdpgen --gap-us; --hold: calls without the dispatcher's
# wait). Two busy tasks on one CPU would otherwise alternate at scheduler
# ticks (4 ms here): far more frames than a ring holds go by meanwhile.
trial_nic2vm_dpdk() {
	local size=$1 gen el rx c0

	FE_TP_PRE="chrt -i 0" fe_tp_start "$(fe_tp_vdev "$MAC_B")" -- --forward-mode=rxonly ||
		return 1
	sleep 1 # the port comes up when its rings are ready (as in loop)
	sw_ready || { fe_tp_stop; return 1; }
	fe_tp_cmd start
	sleep 0.1
	fe_tp_window gen_run "$size" --hold "$HOLD_IF" --gap-us "$GEN_GAP_US"
	fe_tp_stop
	read -r rx c0 < <(fwd_stats RX-packets <<<"$FE_TP_OUT")
	gen=$(kv "$LOGS/gen.out" gen_frames)
	el=$(kv "$LOGS/gen.out" elapsed_s)
	[ -n "$gen" ] && [ -n "$el" ] && [ "${rx:-0}" -gt 0 ] || {
		warn "$SW nic2vm-dpdk $size: no counters (received ${rx:-?})"
		tail -3 "$LOGS/gen.err" >&2
		return 1
	}
	sw_check nic2vm-dpdk "$size" "$rx" || return 0
	jrec $(trial_fields) scenario nic2vm-dpdk size "$size" offered 0 sent "$gen" \
		received "$rx" lost $((gen > rx ? gen - rx : 0)) \
		pps "$(awk -v n="$rx" -v t="$el" 'BEGIN { printf "%.0f\n", n / t }')" \
		gen_pps "$(kv "$LOGS/gen.out" gen_pps)" fe_empty_polls "$c0" frames_switched "$rx" \
		$SW_FIELDS
}

# VM→NIC: txonly sends while the window lasts; rate = what the frontend put
# on its ring per second, scaled by the share of all it sent that reached
# the sink. A full ring is the frontend's loss (TX-dropped), not the wire's.
trial_vm2nic_dpdk() {
	local size=$1 tx c0 txall

	sink_start || return 1
	fe_tp_start "$(fe_tp_vdev "$MAC_A")" -- --forward-mode=txonly --eth-peer="0,$PEER_MAC" \
		--txpkts=$((size - 4)) || { sink_stop; return 1; }
	sleep 1
	sw_ready || { fe_tp_stop; sink_stop; return 1; }
	fe_tp_cmd start
	fe_tp_flowing TX-packets || warn "$SW vm2nic-dpdk $size: frames did not flow within 6 s"
	fe_tp_window sleep "$DURATION"
	fe_tp_cmd stop
	sleep 0.2
	txall=$(fe_tp_ask "show port stats all" '^[[:space:]]*#{40,}[[:space:]]*$' |
		awk '$1 == "TX-packets:" { s += $2 } END { print s + 0 }')
	fe_tp_stop
	sleep 0.2
	sink_stop
	read -r tx c0 < <(fwd_stats TX-packets <<<"$FE_TP_OUT")
	[ "${tx:-0}" -gt 0 ] && [ "${txall:-0}" -gt 0 ] && [ -n "$SINK_FRAMES" ] || {
		warn "$SW vm2nic-dpdk $size: no counters (tx ${tx:-?}, sink ${SINK_FRAMES:-?})"
		return 1
	}
	T_PPS=$(awk -v n="$tx" -v w="$W_S" -v g="$SINK_FRAMES" -v a="$txall" \
		'BEGIN { printf "%.0f\n", n / w * (g < a ? g / a : 1) }')
	jrec $(trial_fields) scenario vm2nic-dpdk size "$size" offered 0 sent "$txall" \
		received "$SINK_FRAMES" lost $((txall > SINK_FRAMES ? txall - SINK_FRAMES : 0)) \
		pps "$T_PPS" tx_window "$tx" fe_empty_polls "$c0" \
		frames_switched "$(awk -v p="$T_PPS" -v w="$W_S" 'BEGIN { printf "%.0f\n", p * w }')" \
		$SW_FIELDS
}

# ---- one switch, one run -----------------------------------------------------

# try SCENARIO CMD...: run a trial; on failure record n/a (with the reason
# in the logs) and go on
try() {
	local scen=$1

	shift
	"$@" || record_na "$SW" "$scen" "trial failed (run $RUN, see logs/run.log)"
	return 0
}

# uplink_groups: the groups that use the uplink topology, selected
UPLINK_GROUPS=(nic2vm vm2nic nic2vm-dpdk vm2nic-dpdk)
# the groups with firewall rows (xvs-fw, ovs-ct)
FW_GROUPS=(loop loop-mf nic2vm nic2vm-dpdk)
# the groups with rows of a capture running on another port (xvs-cap)
CAP_GROUPS=(loop vm2vm)

# sw_group GROUP: the group is selected and the switch runs it: xvs-zc the
# uplink groups only, the firewall variants the firewall groups only,
# xvs-cap the capture groups only
sw_group() {
	group_on "$1" || return 1
	case $SW in
	xvs-zc) [[ " ${UPLINK_GROUPS[*]} " == *" $1 "* ]] ;;
	xvs-fw | ovs-ct) [[ " ${FW_GROUPS[*]} " == *" $1 "* ]] ;;
	xvs-cap) [[ " ${CAP_GROUPS[*]} " == *" $1 "* ]] ;;
	esac
}

run_switch() {
	SW=$1 RUN=$2 DRV=${1//-/_}
	local s g max up=0

	for g in "${UPLINK_GROUPS[@]}"; do
		sw_group "$g" && up=1
	done
	if sw_group loop-mq; then
		if ! "${DRV}_start" vm-mq; then
			record_na "$SW" vm-mq-topology "switch did not start on two CPUs (run $RUN, see logs)"
			"${DRV}_stop" 2>/dev/null || true
		else
			for s in "${SIZES_LOOP[@]}"; do
				try "loop-mq1-$s" trial_loop "$s" mq1
				try "loop-mq2-$s" trial_loop "$s" mq2
			done
			"${DRV}_stop"
		fi
	fi
	if sw_group vm2vm || sw_group vm2vm-tso || sw_group pvp || sw_group loop || sw_group loop-mf ||
		sw_group loop-packed || sw_group loop-inorder ||
		sw_group eff || sw_group idle; then
		if ! "${DRV}_start" vm; then
			record_na "$SW" vm-topology "switch did not start (run $RUN, see logs)"
			"${DRV}_stop" 2>/dev/null || true
		else
			if sw_group vm2vm; then
				for s in "${SIZES_VM2VM[@]}"; do
					MAX_PPS[$SW/$s]=
					try "vm2vm-$s" trial_vm2vm "$s"
				done
				if [ "$ZERO_LOSS" = 1 ] && [ "$RUN" = 1 ]; then
					for s in 64 1518; do
						max=${MAX_PPS[$SW/$s]:-}
						[ -n "$max" ] &&
							try "vm2vm-zl-$s" zero_loss_vm2vm "$s" "${max%.*}" "${MAX_LOST[$SW/$s]}"
					done
				fi
			fi
			if sw_group vm2vm-tso; then
				if [ "$SW" = testpmd ]; then
					[ "$RUN" = 1 ] && record_na "$SW" vm2vm-tso \
						"io forwarding between vhost ports does not pass TSO frames on"
				else
					try vm2vm-tso trial_vm2vm_tso
				fi
			fi
			if sw_group pvp; then
				for s in "${SIZES_PVP[@]}"; do
					try "pvp-$s" trial_pvp "$s"
				done
			fi
			if sw_group loop; then
				for s in "${SIZES_LOOP[@]}"; do
					try "loop-$s" trial_loop "$s"
				done
			fi
			if sw_group loop-mf; then
				try loop-mf-64 trial_loop 64 mf
			fi
			if sw_group loop-packed; then
				for s in "${SIZES_LOOP[@]}"; do
					try "loop-packed-$s" trial_loop "$s" packed
				done
			fi
			if sw_group loop-inorder; then
				for s in "${SIZES_LOOP[@]}"; do
					try "loop-inorder-$s" trial_loop "$s" inorder
				done
			fi
			if sw_group eff; then
				try eff trial_eff ""
			fi
			if sw_group idle; then
				try idle trial_idle ""
			fi
			# the idle-saving configuration: xvs poll adaptive, OVS
			# pmd-maxsleep; testpmd has none
			if { sw_group eff || sw_group idle || sw_group vm2vm; } &&
				"${DRV}_powersave" on 2>/dev/null; then
				sleep 0.2
				if sw_group vm2vm; then
					for s in 64 1518; do
						try "vm2vm-ps-$s" trial_vm2vm "$s" 0 vm2vm-ps
					done
				fi
				sw_group eff && try eff-ps trial_eff "-ps"
				sw_group idle && try idle-ps trial_idle "-ps"
				"${DRV}_powersave" off 2>/dev/null || true
			elif [ "$RUN" = 1 ]; then
				sw_group vm2vm && record_na "$SW" vm2vm-ps "no idle-saving option"
				sw_group eff && record_na "$SW" eff-ps "no idle-saving option"
				sw_group idle && record_na "$SW" idle-ps "no idle-saving option"
			fi
			"${DRV}_stop"
		fi
	fi
	if [ "$up" = 1 ]; then
		if ! "${DRV}_start" up; then
			record_na "$SW" up-topology "switch did not start with the uplink (run $RUN, see logs)"
			"${DRV}_stop" 2>/dev/null || true
		else
			if sw_group nic2vm; then
				for s in "${SIZES_NIC[@]}"; do
					try "nic2vm-$s" trial_nic2vm "$s"
				done
			fi
			if sw_group vm2nic; then
				for s in "${SIZES_NIC[@]}"; do
					try "vm2nic-$s" trial_vm2nic "$s"
				done
			fi
			if sw_group nic2vm-dpdk; then
				for s in "${SIZES_NIC[@]}"; do
					try "nic2vm-dpdk-$s" trial_nic2vm_dpdk "$s"
				done
			fi
			if sw_group vm2nic-dpdk; then
				for s in "${SIZES_NIC[@]}"; do
					try "vm2nic-dpdk-$s" trial_vm2nic_dpdk "$s"
				done
			fi
			"${DRV}_stop"
		fi
		# the next switch must find the uplink as we made it
		if ip link show "$HOST_IF" 2>/dev/null | grep -q 'prog/xdp'; then
			warn "$SW left an XDP program on $HOST_IF; detaching it"
			ip link set dev "$HOST_IF" xdp off 2>/dev/null || true
			ip link set dev "$HOST_IF" xdpgeneric off 2>/dev/null || true
		fi
	fi
}
