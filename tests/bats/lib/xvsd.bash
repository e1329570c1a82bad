# SPDX-License-Identifier: GPL-2.0-only
# bats helpers: run xvsd and read its counters.
#
#   xvsd_dir                       a short private directory (sun_path is 108 bytes)
#   xvsd_start CONFIG              start in the background, wait for the control socket
#   xvsd_stop [SIGNAL]             stop (default TERM), wait; exit status in XVSD_STATUS
#                                  (128+N when killed by signal N)
#   xvsd_ctl ARGS...               xvsctl against this daemon
#   port_field PORT FIELD          FIELD= of the "port PORT" line of `xvsctl show`
#   queue_field PORT Q FIELD       FIELD= of that port's "queue Q" line
#   port_is PORT FIELD VALUE       the field has that value (re-read each call)
#   wait_port_state PORT STATE [S] until port_field PORT state = STATE
#   xvsd_kill_restart PORT...      SIGKILL the daemon, start it again with its
#                                  config, until the PORTs are up
#   xvsd_cpu_ticks                 utime+stime of the daemon, in clock ticks
#   xvsd_stop_hard [S]             xvsd_stop TERM, then SIGKILL if the daemon is
#                                  still there after S s (default 3): one with a
#                                  worker stuck in a guest's loop never exits
#   xvsd_alive                     the daemon started by xvsd_start still runs
#   xvsd_fd_count, xvsd_rss_kb     its open fds, its VmRSS in kB
#   xvsd_log_since N               xvsd.log without its first N lines
#   vm_setup_file                  common setup_file of tests with guests: checks,
#                                  guest image, XVSD_DIR, XVS_TEST_TMP
#   xvsd_uplink_teardown           common teardown_file of tests with an uplink on
#                                  lib/net's pair: xvsd stopped, XDP off the host
#                                  end, the network and XVSD_DIR removed
#
# XVSD_DIR holds the config, sockets, control socket (xvs.ctl) and xvsd.log.

xvsd_dir() {
	if [ -z "${XVSD_DIR:-}" ]; then
		XVSD_DIR=$(mktemp -d /tmp/xvs-bats.XXXXXX)
		export XVSD_DIR
	fi
	echo "$XVSD_DIR"
}

xvsd_start() {
	local cfg=${1:?xvsd_start: CONFIG missing} i
	rm -f "$XVSD_DIR/xvsd.status" "$XVSD_DIR/xvsd.pid"
	# a subshell keeps xvsd's exit status (tests may run in another
	# process than the one that started it, and cannot wait for it)
	(
		close_inherited_fds
		"$XVS_BIN/xvsd" -c "$cfg" &
		echo $! >"$XVSD_DIR/xvsd.pid"
		# bats runs with set -e: a non-zero status must not end us early
		if wait $!; then echo 0; else echo $?; fi >"$XVSD_DIR/xvsd.status"
	) >>"$XVSD_DIR/xvsd.log" 2>&1 &
	for i in $(seq 100); do
		[ -s "$XVSD_DIR/xvsd.pid" ] && break
		sleep 0.01
	done
	XVSD_PID=$(cat "$XVSD_DIR/xvsd.pid")
	export XVSD_PID
	for i in $(seq 100); do
		[ -S "$XVSD_DIR/xvs.ctl" ] && xvsd_ctl show >/dev/null 2>&1 && return 0
		kill -0 "$XVSD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "xvsd did not come up; its log:" >&2
	cat "$XVSD_DIR/xvsd.log" >&2
	return 1
}

xvsd_stop() {
	local sig=${1:-TERM} pid
	# the pid file, not XVSD_PID: a test may have restarted xvsd, and its
	# variables do not reach teardown_file
	pid=$(cat "$XVSD_DIR/xvsd.pid" 2>/dev/null) || pid=""
	XVSD_STATUS=
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null || return 0
	for _ in $(seq 200); do
		[ -s "$XVSD_DIR/xvsd.status" ] && break
		sleep 0.05
	done
	XVSD_STATUS=$(cat "$XVSD_DIR/xvsd.status" 2>/dev/null) || XVSD_STATUS=
	XVSD_PID=
	rm -f "$XVSD_DIR/xvsd.pid"
}

xvsd_ctl() {
	"$XVS_BIN/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" "$@"
}

port_field() {
	xvsd_ctl show "$1" | awk -v f="$2" '/^port / { for (i = 1; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit } }'
}

# wfield W NAME: the value of NAME for worker W in `xvsctl -j workers`
wfield() {
	xvsd_ctl -j workers | jq -r --argjson w "$1" --arg f "$2" '.worker[] | select(.name == ($w | tostring)) | .[$f]'
}

queue_field() {
	xvsd_ctl show "$1" | awk -v q="$2" -v f="$3" '$1 == "queue" && $2 == q { for (i = 1; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit } }'
}

# port_is PORT FIELD VALUE: true if the port's FIELD is VALUE (for wait_until,
# which must re-read it on every try)
port_is() {
	[ "$(port_field "$1" "$2")" = "$3" ]
}

xvsd_kill_restart() {
	local p
	xvsd_stop KILL
	[ "$XVSD_STATUS" = 137 ] || { echo "xvsd_kill_restart: xvsd ended with $XVSD_STATUS"; return 1; }
	xvsd_start "$XVSD_DIR/xvs.yaml"
	for p in "$@"; do
		wait_port_state "$p" up 30 || return 1
	done
}

wait_port_state() {
	local port=$1 state=$2 secs=${3:-30}
	wait_until "$secs" port_is "$port" state "$state" || {
		echo "port $port is $(port_field "$port" state), not $state, after ${secs}s" >&2
		xvsd_ctl show >&2
		tail -20 "$XVSD_DIR/xvsd.log" >&2
		return 1
	}
}

xvsd_cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/${XVSD_PID:?}/stat"
}

# For setup_file of a test file with guests; returns 1 after recording a
# skip reason (see require_setup_file) when something is missing.
vm_setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root && require_cmd qemu-system-x86_64 socat || return 1
	[ -x "$XVS_BIN/xvsd" ] || { echo "build/bin/xvsd missing: run make" >&2; return 1; }
	guest_image >/dev/null || return 1
	xvsd_dir >/dev/null
	export XVS_TEST_TMP=$XVSD_DIR/g
	mkdir -p "$XVS_TEST_TMP"
}

xvsd_stop_hard() {
	local secs=${1:-3} pid i

	pid=$(cat "$XVSD_DIR/xvsd.pid" 2>/dev/null) || pid=""
	XVSD_STATUS=
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 20; i++)); do
		[ -s "$XVSD_DIR/xvsd.status" ] && break
		sleep 0.05
	done
	if [ ! -s "$XVSD_DIR/xvsd.status" ]; then
		echo "xvsd_stop_hard: xvsd $pid still there after SIGTERM and ${secs}s: SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 40; i++)); do
			[ -s "$XVSD_DIR/xvsd.status" ] && break
			sleep 0.05
		done
	fi
	XVSD_STATUS=$(cat "$XVSD_DIR/xvsd.status" 2>/dev/null) || XVSD_STATUS=
	XVSD_PID=
	rm -f "$XVSD_DIR/xvsd.pid"
}

xvsd_alive() {
	[ -n "${XVSD_PID:-}" ] && [ ! -s "$XVSD_DIR/xvsd.status" ] && kill -0 "$XVSD_PID" 2>/dev/null
}

xvsd_fd_count() {
	ls "/proc/${XVSD_PID:?}/fd" | wc -l
}

xvsd_rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/${XVSD_PID:?}/status"
}

xvsd_log_since() {
	tail -n +"$(($1 + 1))" "$XVSD_DIR/xvsd.log"
}

xvsd_uplink_teardown() {
	xvsd_stop TERM
	xdp-loader unload "${NET_HOST_IF:-none}" --all >/dev/null 2>&1 || true
	net_teardown
	if [ -n "${XVSD_DIR:-}" ]; then rm -rf "$XVSD_DIR"; fi
}
