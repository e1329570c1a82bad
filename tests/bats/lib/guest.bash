# SPDX-License-Identifier: GPL-2.0-only
# bats helpers: boot QEMU (TCG) guests from tests/guest/build-image.sh and
# run commands in them.
#
#   guest_skip_unless_supported
#   guest_image                      (sets GUEST_IMAGE, GUEST_KVER)
#   guest_start NAME [options]       (see below)
#   guest_wait_ready NAME [TIMEOUT]
#   guest_run [-t SECS] NAME CMD...
#   guest_stop NAME
#   guest_stop_all
#   guest_dir NAME
#
# Each guest keeps its state in $(guest_dir NAME) =
# ${XVS_TEST_TMP:-$BATS_TEST_TMPDIR}/guest-NAME/: pid, console.log (kernel
# and /init messages, ttyS0), qemu.log (QEMU's stdout/stderr), cmd.sock (the
# command channel, ttyS1), qmp.sock (QMP monitor), qemu.cmdline.
#
# The command channel is a second serial port, so kernel messages never mix
# into command output. Each guest_run connects with socat, sends one line
# "<nonce> <timeout> <base64 command>" and reads the reply framed by lines
# carrying that nonce (see xvs-agent in build-image.sh); output travels as
# base64, so any bytes survive and nothing a command prints can end the
# reply early. QEMU serves one connection at a time, so concurrent guest_run
# calls on one guest are serialized, not mixed.
#
# vhost-user with QEMU 7.2, as measured here: QEMU sets up the vhost-user
# netdev before it creates any device or starts the vCPU, and blocks there
# until a backend has connected AND answered the handshake (GET_FEATURES,
# GET_PROTOCOL_FEATURES, ...). In both chardev modes the guest does not boot
# without a backend:
#   --server (server=on,wait=off): QEMU listens on SOCKPATH but still
#     blocks in accept(); wait=off makes no difference for a netdev.
#   --client (reconnect=1): "Failed to connect" is logged, then QEMU
#     retries every second; the guest boots once a backend answers.
# A backend that closes the socket mid-handshake is waited for again
# (server) or reconnected to (client). Because -device is created after
# the handshake, mistakes in the virtio-net-pci options only show once a
# backend has answered. SIGTERM kills a QEMU blocked like this at once.
GUEST_BUILD_IMAGE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../guest" && pwd)/build-image.sh
GUEST_QBOOT=/usr/share/qemu/qboot.rom
GUEST_READY_MARKER=XVS_GUEST_READY

_guest_root() {
	echo "${XVS_TEST_TMP:-${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}}"
}

guest_dir() {
	echo "$(_guest_root)/guest-$1"
}

_guest_err() {
	echo "guest: $*" >&2
}

# Last lines of a guest's logs, for failure messages.
_guest_logs() {
	local dir=$1
	echo "--- $dir/qemu.log:"
	tail -n 20 "$dir/qemu.log" 2>/dev/null
	echo "--- $dir/console.log (tail):"
	tail -n 30 "$dir/console.log" 2>/dev/null | tr -d '\r'
	echo "---"
}

# Builds or finds the cached image; sets GUEST_IMAGE (directory) and
# GUEST_KVER (the guest's uname -r).
guest_image() {
	[ -n "${GUEST_IMAGE:-}" ] && [ -s "$GUEST_IMAGE/kver" ] && return 0
	GUEST_IMAGE=$("$GUEST_BUILD_IMAGE") || return 1
	GUEST_KVER=$(cat "$GUEST_IMAGE/kver")
	export GUEST_IMAGE GUEST_KVER
}

guest_skip_unless_supported() {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (tools/deps.sh installs it)"
	[ -r "$GUEST_QBOOT" ] ||
		skip "$GUEST_QBOOT is missing (package qemu-system-data)"
	command -v socat >/dev/null ||
		skip "socat is not installed (tools/deps.sh installs it)"
	guest_image ||
		skip "no guest kernel: $GUEST_BUILD_IMAGE failed (see its messages)"
}

# PID of NAME's QEMU if it is running and really ours (its command line
# names our state directory, or holds $dir/cmdline-mark for a QEMU that
# libvirt started, which passes files as fds: never signal a recycled pid).
_guest_pid() {
	local dir pid state mark
	dir=$(guest_dir "$1")
	mark="$dir/"
	[ ! -s "$dir/cmdline-mark" ] || mark=$(cat "$dir/cmdline-mark")
	pid=$(cat "$dir/pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ "$state" != Z ] || return 1
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$mark" || return 1
	echo "$pid"
}

# A MAC that is stable for a name, in QEMU's locally administered range.
_guest_mac() {
	local h
	h=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
	printf '52:54:00:%02x:%02x:%02x' $((h >> 16 & 255)) $((h >> 8 & 255)) $((h & 255))
}

# guest_start NAME [--vhost-user SOCKPATH [--server|--client]] [--mac MAC]
#             [--ip CIDR] [--ip6 CIDR] [--mtu N] [--mem SIZE] [--queues N]
#             [--smp N] [--append KERNEL-ARGS] [--nic-opts PROPS]
#             [--incoming URI]
# Boots NAME in the background and returns at once (see guest_wait_ready).
# Without --vhost-user the guest has no NIC. --client (default): QEMU
# connects to SOCKPATH, retrying every second; --server: QEMU listens on it.
# --queues N > 1 enables virtio-net multiqueue; the guest driver only uses
# as many pairs as it has vCPUs, so pass --smp N too.
# --ip/--ip6/--mtu configure eth0 in the guest. Defaults: 256M, 1 vCPU,
# MAC derived from NAME. --nic-opts adds virtio-net-pci properties, such as
# guest_tso4=off,guest_tso6=off (what the guest's driver is offered).
# --incoming URI: a live migration's destination (QEMU -incoming): nothing
# boots; the guest arrives from the source (guest_migrate), with the same
# options but its own NAME.
guest_start() {
	local name=${1:?guest_start: NAME missing}
	shift
	local vu='' vu_mode=client mac='' ip='' ip6='' mtu='' mem=256M queues=1 smp=1
	local append='' nic_opts='' incoming=''
	while [ $# -gt 0 ]; do
		case $1 in
		--vhost-user) vu=${2:?}; shift ;;
		--server) vu_mode=server ;;
		--client) vu_mode=client ;;
		--mac) mac=${2:?}; shift ;;
		--ip) ip=${2:?}; shift ;;
		--ip6) ip6=${2:?}; shift ;;
		--mtu) mtu=${2:?}; shift ;;
		--mem) mem=${2:?}; shift ;;
		--queues) queues=${2:?}; shift ;;
		--smp) smp=${2:?}; shift ;;
		--append) append=${2:?}; shift ;;
		--nic-opts) nic_opts=${2:?}; shift ;;
		--incoming) incoming=${2:?}; shift ;;
		*) _guest_err "guest_start $name: unknown option '$1'"; return 1 ;;
		esac
		shift
	done
	[[ $name =~ ^[A-Za-z0-9_-]+$ ]] || {
		_guest_err "guest_start: bad name '$name' (want [A-Za-z0-9_-]+)"
		return 1
	}
	guest_image || return 1

	local dir
	dir=$(guest_dir "$name")
	if _guest_pid "$name" >/dev/null; then
		_guest_err "guest_start $name: already running (pid $(cat "$dir/pid"))"
		return 1
	fi
	# sun_path holds 108 bytes; a longer path fails late and obscurely.
	if [ ${#dir} -gt 90 ] || [ ${#vu} -gt 107 ]; then
		_guest_err "guest_start $name: socket path too long: $dir or $vu"
		return 1
	fi
	mkdir -p "$dir"
	rm -f "$dir"/{pid,cmdline-mark,console.log,qemu.log,cmd.sock,qmp.sock}

	local kargs="console=ttyS0 quiet panic=-1 mitigations=off xvs.hostname=$name"
	[ -n "$ip" ] && kargs+=" xvs.ip=$ip"
	[ -n "$ip6" ] && kargs+=" xvs.ip6=$ip6"
	[ -n "$mtu" ] && kargs+=" xvs.mtu=$mtu"
	[ -n "$append" ] && kargs+=" $append"

	# The ELF vmlinux with qboot skips the bzImage's self-decompression,
	# which takes ~6 s under TCG (boot to ready: ~4 s instead of ~10 s).
	local -a args=(
		-name "xvs-$name" -accel tcg -machine pc -nodefaults -no-user-config
		-display none -no-reboot -m "$mem" -smp "$smp"
		-bios "$GUEST_QBOOT"
		-kernel "$GUEST_IMAGE/vmlinux" -initrd "$GUEST_IMAGE/initrd.img"
		-append "$kargs"
		-chardev "file,id=con,path=$dir/console.log" -serial chardev:con
		-chardev "socket,id=cmd,path=$dir/cmd.sock,server=on,wait=off"
		-serial chardev:cmd
		-qmp "unix:$dir/qmp.sock,server=on,wait=off"
	)
	if [ -n "$vu" ]; then
		local chr="socket,id=vu0,path=$vu"
		if [ "$vu_mode" = server ]; then
			chr+=",server=on,wait=off"
		else
			chr+=",reconnect=1"
		fi
		local netdev="vhost-user,id=net0,chardev=vu0"
		# vectors=0: QEMU 7.2 under TCG segfaults when a vhost-user
		# virtio-net uses MSI-X. romfile=: no iPXE ROM (qboot never runs
		# it, and ipxe-qemu need not be installed).
		local dev="virtio-net-pci,netdev=net0,mac=${mac:-$(_guest_mac "$name")},vectors=0,romfile="
		[ -n "$nic_opts" ] && dev+=",$nic_opts"
		if [ "$queues" -gt 1 ]; then
			netdev+=",queues=$queues"
			dev+=",mq=on"
		fi
		# vhost-user needs guest RAM the backend can map.
		args+=(
			-object "memory-backend-memfd,id=mem,size=$mem,share=on"
			-numa node,memdev=mem
			-chardev "$chr" -netdev "$netdev" -device "$dev"
		)
	fi
	[ -n "$incoming" ] && args+=(-incoming "$incoming")
	printf '%q ' qemu-system-x86_64 "${args[@]}" >"$dir/qemu.cmdline"
	echo >>"$dir/qemu.cmdline"
	: >"$dir/console.log"

	# Not -daemonize: with vhost-user it would block here until a backend
	# answers. fd 3 is bats' output pipe; a child holding it stalls bats.
	(
		declare -F close_inherited_fds >/dev/null && close_inherited_fds
		exec qemu-system-x86_64 "${args[@]}"
	) </dev/null >"$dir/qemu.log" 2>&1 3>&- &
	echo $! >"$dir/pid"
	# the subshell is bash until it has closed its fds and exec'ed QEMU;
	# guests are recognised by QEMU's command line, so wait for the exec
	local i
	for i in $(seq 200); do
		grep -q qemu-system "/proc/$!/cmdline" 2>/dev/null && break
		kill -0 $! 2>/dev/null || break
		sleep 0.01
	done
}

# guest_qmp NAME COMMAND-JSON...: QMP commands to NAME's QEMU; prints its
# replies, one JSON object per line (the greeting first)
guest_qmp() {
	local dir
	dir=$(guest_dir "${1:?guest_qmp: NAME missing}")
	shift
	{
		echo '{"execute":"qmp_capabilities"}'
		printf '%s\n' "$@"
		sleep 0.3
	} | socat -t 2 - "UNIX-CONNECT:$dir/qmp.sock"
}

# guest_migrate SRC DST TIMEOUT_S: live-migrate SRC's guest into DST (started
# with --incoming unix:$(guest_dir DST)/migrate.sock); returns once QEMU
# says completed (1 if it failed or took longer)
guest_migrate() {
	local src=$1 dst=$2 timeout=${3:-120} uri st deadline
	uri="unix:$(guest_dir "$dst")/migrate.sock"
	# GUEST_MIGRATE_MBPS: a bandwidth cap, so that a migration lasts a
	# while (what happens meanwhile is what a test looks at)
	[ -z "${GUEST_MIGRATE_MBPS:-}" ] ||
		guest_qmp "$src" "{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"max-bandwidth\":$((GUEST_MIGRATE_MBPS << 20))}}" >/dev/null
	guest_qmp "$src" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"$uri\"}}" >/dev/null
	deadline=$((SECONDS + timeout))
	while [ "$SECONDS" -lt "$deadline" ]; do
		st=$(guest_qmp "$src" '{"execute":"query-migrate"}' |
			jq -r 'select(.return.status != null) | .return.status' | tail -1)
		case $st in
		completed) return 0 ;;
		failed | cancelled)
			_guest_err "migration $src -> $dst: $st"
			guest_qmp "$src" '{"execute":"query-migrate"}' >&2
			return 1
			;;
		esac
		sleep 0.2
	done
	_guest_err "migration $src -> $dst: not done after ${timeout}s (status $st)"
	return 1
}

guest_wait_ready() {
	local name=${1:?guest_wait_ready: NAME missing} timeout=${2:-60}
	local dir deadline
	dir=$(guest_dir "$name")
	deadline=$((SECONDS + timeout))
	while ! grep -q "$GUEST_READY_MARKER" "$dir/console.log" 2>/dev/null; do
		if ! _guest_pid "$name" >/dev/null; then
			_guest_err "$name: QEMU is not running (exited before ready)"
			_guest_logs "$dir" >&2
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			_guest_err "$name: not ready after ${timeout}s"
			_guest_logs "$dir" >&2
			return 1
		fi
		sleep 0.1
	done
}

# guest_run [-t SECS] NAME CMD...
# Runs CMD... (joined by spaces, like ssh) with sh in the guest, as root, in
# /root, stdin /dev/null. Prints its stdout, then its stderr to stderr, and
# returns its exit status. The timeout (-t, else $GUEST_RUN_TIMEOUT, else
# 30 s) is enforced in the guest, which kills the command and its children
# (SIGKILL to its process group), and guest_run returns 124. If the guest
# does not answer within timeout + 10 s, or the channel fails, it returns
# 255. Both print the reason on stderr. Background processes a command
# leaves behind keep running (redirect their output: the call's is gone).
guest_run() {
	local timeout=${GUEST_RUN_TIMEOUT:-30}
	if [ "${1:-}" = -t ]; then
		timeout=${2:?guest_run: -t needs seconds}
		shift 2
	fi
	local name=${1:?guest_run: NAME missing}
	shift
	local cmd="$*" dir
	dir=$(guest_dir "$name")
	if ! _guest_pid "$name" >/dev/null; then
		_guest_err "guest_run $name: guest is not running"
		return 255
	fi

	local nonce req
	printf -v nonce '%s-%04x%04x' "${EPOCHREALTIME/./}" $RANDOM $RANDOM
	req="$nonce $timeout $(printf '%s\n' "$cmd" | base64 -w0)"

	# FIFOs, not a coproc: bash closes a coproc's fds whenever it happens
	# to reap it, which races with a socat that fails early. Both sides
	# open the FIFOs in the same order, so the opens cannot deadlock.
	local fin="$dir/.run-$nonce.in" fout="$dir/.run-$nonce.out" in out cpid
	mkfifo "$fin" "$fout"
	socat -t 2 - "UNIX-CONNECT:$dir/cmd.sock" <"$fin" >"$fout" 2>"$dir/socat.err" 3>&- &
	cpid=$!
	exec {out}>"$fin" {in}<"$fout"
	rm -f "$fin" "$fout"
	# A subshell ignoring SIGPIPE: if socat is already gone, this write
	# must not kill the test shell.
	(trap '' PIPE; printf '%s\n' "$req" >&"$out") 2>/dev/null || true

	local deadline=$((SECONDS + timeout + 10)) left line part='' rc='' how='' why=''
	local tag
	local b64out='' b64err=''
	while :; do
		left=$((deadline - SECONDS))
		if [ "$left" -le 0 ]; then
			why="no reply within $((timeout + 10))s"
			break
		fi
		if ! IFS= read -r -t "$left" line <&"$in"; then
			[ "$SECONDS" -ge "$deadline" ] && why="no reply within $((timeout + 10))s" ||
				why="channel closed (socat: $(cat "$dir/socat.err" 2>/dev/null))"
			break
		fi
		line=${line%$'\r'}
		case $line in
		"XVS-OUT $nonce") part=out ;;
		"XVS-ERR $nonce") part=err ;;
		"XVS-RC $nonce "*)
			read -r tag tag rc how <<<"$line"
			break
			;;
		*)
			case $part in
			out) b64out+=$line ;;
			err) b64err+=$line ;;
			esac
			;;
		esac
	done
	# EOF on socat's stdin half-closes the socket; QEMU then drops the
	# connection and socat exits by itself within its -t.
	exec {out}>&-
	wait "$cpid" 2>/dev/null || true
	exec {in}<&-

	if [ -z "$rc" ]; then
		_guest_err "guest_run $name: $why: $cmd"
		_guest_logs "$dir" >&2
		return 255
	fi
	[ -z "$b64out" ] || base64 -d <<<"$b64out"
	[ -z "$b64err" ] || base64 -d <<<"$b64err" >&2
	if [ "$how" = timeout ]; then
		_guest_err "guest_run $name: timed out after ${timeout}s: $cmd"
		return 124
	fi
	return "$rc"
}

# Polls until PID is gone or a zombie; returns 1 if still alive after $2 s.
_guest_wait_exit() {
	local name=$1 tenths=$(($2 * 10))
	while [ "$tenths" -gt 0 ]; do
		_guest_pid "$name" >/dev/null || return 0
		sleep 0.1
		tenths=$((tenths - 1))
	done
	return 1
}

# Stops NAME: SIGTERM lets a running QEMU stop its devices (a vhost-user
# backend sees GET_VRING_BASE, then a clean close); SIGKILL after 5 s if it
# did not exit. Always succeeds.
guest_stop() {
	local name=${1:?guest_stop: NAME missing} dir pid
	dir=$(guest_dir "$name")
	pid=$(cat "$dir/pid" 2>/dev/null) || return 0
	if _guest_pid "$name" >/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		_guest_wait_exit "$name" 5 || true
		if _guest_pid "$name" >/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			_guest_wait_exit "$name" 5 ||
				_guest_err "guest_stop $name: pid $pid survived SIGKILL"
		fi
	fi
	# Reap it if it is our child; harmless otherwise.
	wait "$pid" 2>/dev/null || true
	rm -f "$dir/pid"
	return 0
}

guest_stop_all() {
	local d
	for d in "$(_guest_root)"/guest-*/; do
		[ -e "$d/pid" ] || continue
		d=${d%/}
		guest_stop "${d##*/guest-}"
	done
	return 0
}

file_size_is() {
	[ "$(stat -c %s "$1" 2>/dev/null)" = "$2" ]
}

# guest_xfer GUEST GUEST_IP PORT: 20 MB from the outside host (net_exec,
# NET_PEER_IP4) to the guest on PORT and back on PORT + 1, md5 compared;
# scratch files in XVSD_DIR.
guest_xfer() {
	local g=$1 ip=$2 port=$3 sum_out sum_in
	net_exec dd if=/dev/urandom of="$XVSD_DIR/out.bin" bs=1M count=20 2>/dev/null
	sum_out=$(md5sum <"$XVSD_DIR/out.bin" | cut -d' ' -f1)
	guest_run "$g" "rm -f /tmp/in.bin /tmp/in.done; (sleep 600 | (nc -l -p $port >/tmp/in.bin; touch /tmp/in.done)) >/dev/null 2>&1 &"
	sleep 0.5
	net_exec busybox nc "$ip" "$port" <"$XVSD_DIR/out.bin"
	wait_until 60 guest_run "$g" "test -e /tmp/in.done"
	[ "$(guest_run "$g" "md5sum /tmp/in.bin" | cut -d' ' -f1)" = "$sum_out" ]

	sum_in=$(guest_run "$g" "dd if=/dev/urandom of=/tmp/out.bin bs=1M count=20 2>/dev/null; md5sum /tmp/out.bin" | cut -d' ' -f1)
	rm -f "$XVSD_DIR/in.bin"
	(close_inherited_fds; sleep 600 | net_exec busybox nc -l -p $((port + 1)) >"$XVSD_DIR/in.bin") &
	sleep 0.5
	guest_run -t 120 "$g" "nc $NET_PEER_IP4 $((port + 1)) </tmp/out.bin"
	wait_until 30 file_size_is "$XVSD_DIR/in.bin" 20971520
	pkill -f "nc -l -p $((port + 1))" || true
	[ "$(md5sum <"$XVSD_DIR/in.bin" | cut -d' ' -f1)" = "$sum_in" ]
}

SNMP_AWK='$1 == p { n++; if (n == 1) for (i = 2; i <= NF; i++) if ($i == k) f = i; if (n == 2) print $f }'

# guest_snmp GUEST PROTO KEY: a counter of the guest's /proc/net/snmp (Udp
# NoPorts, Icmp InEchos...)
guest_snmp() {
	guest_run "$1" "awk -v p=$2: -v k=$3 '$SNMP_AWK' /proc/net/snmp"
}

# outside_snmp PROTO KEY: a counter of the outside host's /proc/net/snmp
# (net_exec, lib/net.bash), as guest_snmp is the guest's
outside_snmp() {
	net_exec awk -v "p=$1:" -v "k=$2" "$SNMP_AWK" /proc/net/snmp
}

# guest_feature GUEST BIT: 1 if the guest's virtio-net driver negotiated
# feature BIT (sysfs prints bit 0 first), else 0
guest_feature() {
	local f
	f=$(guest_run "$1" "cat /sys/class/net/eth0/device/features") || return 1
	echo "${f:$2:1}"
}

# guest_virtio_clean GUEST...: no virtio-net error in the guests' kernel
# logs (a used entry the driver never offered, a TX timeout, ...)
guest_virtio_clean() {
	local g out
	for g in "$@"; do
		# "clean" only from a guest that answered: a dead agent fails
		out=$(guest_run "$g" "dmesg | grep -iE 'virtio|eth0' | grep -iE 'error|not a head|unexpected|timed out' || echo clean") || true
		[ "$out" = clean ] && continue
		echo "$g: ${out:-no answer}"
		return 1
	done
}

# guest_bulk SRC DST DST_IP PORT MB [HOOK...]: MB MiB of random data over
# TCP from guest SRC to guest DST, md5 compared; with HOOK, that command
# runs while the transfer is under way (some of it arrived, not all).
# BULK_PRE: a command the sender's nc runs under (e.g. "taskset 2").
guest_bulk() {
	local src=$1 dst=$2 ip=$3 port=$4 mb=$5 sum_s sum_d at
	shift 5
	sum_s=$(guest_run "$src" "dd if=/dev/urandom of=/tmp/blob bs=1M count=$mb 2>/dev/null && md5sum /tmp/blob" | cut -d' ' -f1)
	guest_run "$dst" "rm -f /tmp/rx /tmp/rx.done; (sleep 600 | (nc -l -p $port >/tmp/rx; touch /tmp/rx.done)) >/dev/null 2>&1 &"
	sleep 0.5
	if [ $# -eq 0 ]; then
		guest_run -t 180 "$src" "${BULK_PRE:+$BULK_PRE }nc $ip $port </tmp/blob"
	else
		# HOOK... while the transfer runs: once some of it arrived,
		# and not all
		guest_run "$src" "(${BULK_PRE:+$BULK_PRE }nc $ip $port </tmp/blob >/dev/null 2>&1 &)"
		wait_until 30 eval "[ \"\$(guest_run $dst 'stat -c %s /tmp/rx')\" -gt 0 ]"
		"$@"
		at=$(guest_run "$dst" "stat -c %s /tmp/rx")
		echo "bulk $src -> $dst: $at of $((mb << 20)) bytes there after $*"
		[ "$at" -lt $((mb << 20)) ] || { echo "bulk: done before the hook ended"; return 1; }
		wait_until 180 guest_run "$dst" "test -e /tmp/rx.done"
	fi
	wait_until 60 guest_run "$dst" "test -e /tmp/rx.done"
	sum_d=$(guest_run "$dst" "md5sum /tmp/rx" | cut -d' ' -f1)
	echo "bulk $src -> $dst: sent $sum_s received $sum_d"
	[ -n "$sum_s" ] && [ "$sum_s" = "$sum_d" ]
}

