#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# xvsd as a system service (issue 13): `make install` into a staging root,
# the installed binaries and man pages, the systemd unit (systemd-analyze,
# and its capability set tried on a real uplink: enough, and each one
# needed), the readiness protocol (sd_notify without libsystemd) and the
# default configuration path.
#
# Notifications: the test's NOTIFY_SOCKET is a socat datagram receiver in a
# network namespace of its own with net.unix.max_dgram_qlen=0, so that its
# queue holds one datagram. Stopping socat (SIGSTOP) with one datagram
# queued makes xvsd's next notification block in sendto(); what xvsd has
# and has not done at that moment is then checked at leisure, before the
# receiver is let go. That is how "READY=1 only after the control socket
# listens" is checked, rather than by timing.

load lib/common
load lib/net
load lib/xvsd

SW=bats-svc
GID=4242 # a group root is not in: chown() to it takes CAP_CHOWN

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root || return 0
	require_cmd make man groff socat setpriv systemd-analyze unshare || return 0
	DEST=$(mktemp -d /tmp/xvs-svc-dest.XXXXXX)
	export DEST
	local build
	build=$(dirname "$XVS_BIN")
	# the build tree the tests use; its paths as a package would set them
	touch "$DEST.stamp" # before: what install writes on the host is newer
	if make -C "$XVS_ROOT" --no-print-directory BUILD="$build" install \
		DESTDIR="$DEST" PREFIX=/usr >"$DEST.log" 2>&1; then
		echo 0
	else
		echo $?
	fi >"$DEST.status"
}

teardown_file() {
	if [ -n "${DEST:-}" ]; then rm -rf "$DEST" "$DEST.log" "$DEST.status" "$DEST.stamp"; fi
	net_teardown
}

setup() {
	require_setup_file
	XVSD_DIR=$(mktemp -d /tmp/xvs-svc.XXXXXX)
	export XVSD_DIR
	NOTIFY_PID=
}

teardown() {
	xvsd_stop KILL || true
	if [ -n "${NOTIFY_PID:-}" ]; then
		kill -CONT "$NOTIFY_PID" 2>/dev/null || true
		kill "$NOTIFY_PID" 2>/dev/null || true
	fi
	if [ -n "${NET_HOST_IF:-}" ]; then ip link set dev "$NET_HOST_IF" xdp off 2>/dev/null || true; fi
	rm -rf "$XVSD_DIR"
}

MULTIARCH=$(gcc -dumpmachine 2>/dev/null || echo unknown)

# what `make install PREFIX=/usr` must install, and nothing else
expected_files() {
	local f

	printf '%s\n' etc/xvs/xvs.yaml usr/bin/xvsctl usr/sbin/xvsd \
		"usr/lib/$MULTIARCH/bpf/xvs_xdp.bpf.o" usr/lib/systemd/system/xvsd.service \
		usr/share/man/man5/xvs.yaml.5 usr/share/man/man8/xvsd.8 \
		usr/share/man/man8/xvsctl.8 usr/share/doc/xvs/xvs.yaml
	for f in "$XVS_ROOT"/config/examples/*.yaml; do
		echo "usr/share/doc/xvs/examples/${f##*/}"
	done
}

# svc_start CMD...: run CMD (xvsd, perhaps behind env or setpriv) in the
# background like xvsd_start, without waiting for anything
svc_start() {
	rm -f "$XVSD_DIR/xvsd.status" "$XVSD_DIR/xvsd.pid"
	(
		close_inherited_fds
		"$@" &
		echo $! >"$XVSD_DIR/xvsd.pid"
		if wait $!; then echo 0; else echo $?; fi >"$XVSD_DIR/xvsd.status"
	) >>"$XVSD_DIR/xvsd.log" 2>&1 &
	wait_until 5 test -s "$XVSD_DIR/xvsd.pid"
	XVSD_PID=$(cat "$XVSD_DIR/xvsd.pid")
	export XVSD_PID
}

ctl_answers() {
	xvsd_ctl show >/dev/null 2>&1
}

# config [PORTS-YAML]: a switch in XVSD_DIR
config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR/socks
ports:
${1:-  a: { type: vhost-user, socket: a.sock \}}
YAML
}

# ---- the notification receiver -------------------------------------------

# notify_listen: a receiver on $XVSD_DIR/notify whose queue holds one datagram
notify_listen() {
	NOTIFY=$XVSD_DIR/notify
	(
		close_inherited_fds
		exec unshare -n sh -c 'sysctl -qw net.unix.max_dgram_qlen=0 &&
			exec socat -u -v "UNIX-RECV:$1" "OPEN:$2,creat,append"' sh \
			"$NOTIFY" "$XVSD_DIR/notify.data" 2>"$XVSD_DIR/notify.dump"
	) &
	NOTIFY_PID=$!
	wait_until 5 test -S "$NOTIFY"
}

# notify_msgs: the datagrams received, one a line, in order (a newline in
# one shown as a space), from socat's dump: each datagram's offsets in the
# data file
notify_msgs() {
	local from to

	grep -oE 'from=[0-9]+ to=[0-9]+' "$XVSD_DIR/notify.dump" 2>/dev/null |
		while read -r from to; do
			from=${from#from=} to=${to#to=}
			tail -c +$((from + 1)) "$XVSD_DIR/notify.data" | head -c $((to - from + 1)) |
				tr '\n' ' '
			echo
		done
}

# the datagrams so far, with MONOTONIC_USEC's value as N, space-separated
notify_seq() {
	notify_msgs | sed -E 's/MONOTONIC_USEC=[0-9]+/MONOTONIC_USEC=N/; s/ $//' | paste -sd '|'
}

seq_is() {
	[ "$(notify_seq)" = "$1" ]
}

# xvsd's control thread (the main thread) waits in sendto() for the full queue
xvsd_blocked_notifying() {
	[ "$(cat "/proc/$XVSD_PID/wchan" 2>/dev/null)" = unix_wait_for_peer ]
}

# hold: the receiver stops reading; with `full`, one datagram fills its queue
hold() {
	kill -STOP "$NOTIFY_PID"
	if [ "${1:-}" = full ]; then printf 'fill' | socat -u - "UNIX-SENDTO:$NOTIFY"; fi
}

release() {
	kill -CONT "$NOTIFY_PID"
}

# ---- install --------------------------------------------------------------

@test "make install DESTDIR= PREFIX=/usr puts every file in place and nothing elsewhere" {
	local f want got build

	build=$(dirname "$XVS_BIN")
	cat "$DEST.log"
	[ "$(cat "$DEST.status")" = 0 ]
	want=$(expected_files | sort)
	got=$(cd "$DEST" && find . -type f -o -type l | sed 's|^\./||' | sort)
	diff <(echo "$want") <(echo "$got")
	# nothing of it on the host itself (unless it was there before this test)
	for f in $want; do
		if [ -e "/$f" ] && [ "/$f" -nt "$DEST.stamp" ]; then
			echo "/$f written by make install"
			return 1
		fi
	done
	[ -x "$DEST/usr/sbin/xvsd" ]
	[ -x "$DEST/usr/bin/xvsctl" ]
	[ "$(stat -c %a "$DEST/etc/xvs/xvs.yaml")" = 644 ]
	cmp "$XVS_ROOT/config/xvs.yaml" "$DEST/etc/xvs/xvs.yaml"
	cmp "$build/bin/xvsd" "$DEST/usr/sbin/xvsd"
	cmp "$build/bpf/xvs_xdp.bpf.o" "$DEST/usr/lib/$MULTIARCH/bpf/xvs_xdp.bpf.o"
}

@test "make install keeps an operator's config; uninstall removes the rest, and the config only if unchanged" {
	local dest=$XVSD_DIR/root build

	build=$(dirname "$XVS_BIN")
	run make -C "$XVS_ROOT" --no-print-directory BUILD="$build" install DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ]
	echo "listen: 1" >>"$dest/etc/xvs/xvs.yaml"
	run make -C "$XVS_ROOT" --no-print-directory BUILD="$build" install DESTDIR="$dest" PREFIX=/usr
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"KEEP    $dest/etc/xvs/xvs.yaml"* ]]
	[ "$(tail -1 "$dest/etc/xvs/xvs.yaml")" = "listen: 1" ]

	run make -C "$XVS_ROOT" --no-print-directory BUILD="$build" uninstall DESTDIR="$dest" PREFIX=/usr
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cd "$dest" && find . -type f)" = "./etc/xvs/xvs.yaml" ]

	cp "$XVS_ROOT/config/xvs.yaml" "$dest/etc/xvs/xvs.yaml"
	run make -C "$XVS_ROOT" --no-print-directory BUILD="$build" uninstall DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ]
	[ -z "$(cd "$dest" && find . -type f)" ]
}

@test "the installed xvsd and xvsctl run; xvsd's default config is /etc/xvs/xvs.yaml" {
	run "$DEST/usr/sbin/xvsd" --help
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "usage: xvsd [-c FILE]"* ]]
	[[ $output == *"default /etc/xvs/xvs.yaml"* ]]
	run "$DEST/usr/bin/xvsctl" --help
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "usage: xvsctl "* ]]
	run "$DEST/usr/sbin/xvsd" --check -c "$DEST/etc/xvs/xvs.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *": ok (2 ports)" ]]
}

@test "xvsd without -c reads /etc/xvs/xvs.yaml; without that file it is a usage error" {
	local up=$XVSD_DIR/up work=$XVSD_DIR/work

	if [ ! -e /etc/xvs/xvs.yaml ]; then
		run "$XVS_BIN/xvsd"
		echo "$output"
		[ "$status" -eq 2 ]
		[[ $output == *"/etc/xvs/xvs.yaml does not exist"* ]]
	fi
	# the host's /etc stays as it is: an overlay in a mount namespace of
	# its own gives xvsd an /etc/xvs/xvs.yaml
	mkdir -p "$up/xvs" "$work"
	config
	cp "$XVSD_DIR/xvs.yaml" "$up/xvs/xvs.yaml"
	run unshare -m --propagation private sh -c \
		'mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1,workdir=$2" /etc &&
		exec "$3" --check' sh "$up" "$work" "$XVS_BIN/xvsd"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "/etc/xvs/xvs.yaml: ok (1 ports)" ]
}

# ---- man pages ------------------------------------------------------------

@test "each man page renders without a warning and without Markdown left in it" {
	local p out

	for p in man5/xvs.yaml.5 man8/xvsd.8 man8/xvsctl.8; do
		echo "# $p"
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$DEST/usr/share/man/$p" 2>&1 >/dev/null)
		echo "$out"
		[ -z "$out" ]
		out=$(groff -man -ww -z -k "$DEST/usr/share/man/$p" 2>&1)
		echo "$out"
		[ -z "$out" ]
		# the NAME line as whatis reads it
		lexgrog "$DEST/usr/share/man/$p"
		# code spans, emphasis, links, tables, fences, comments not converted
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$DEST/usr/share/man/$p" 2>/dev/null |
			grep -nE '`|\*\*|\]\(|\|---\||<!--|^ *@(include|usage|options|commands)') || true
		echo "$out"
		[ -z "$out" ]
	done
	# the sources really are in them
	LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$DEST/usr/share/man/man5/xvs.yaml.5" 2>/dev/null |
		grep -q 'control-socket-group'
	LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$DEST/usr/share/man/man5/xvs.yaml.5" 2>/dev/null |
		grep -q '^RELOADING: SIGHUP'
}

@test "xvsctl(8) documents exactly the commands and options of xvsctl --help" {
	local page help cmds documented c

	page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$DEST/usr/share/man/man8/xvsctl.8" 2>/dev/null)
	help=$("$XVS_BIN/xvsctl" --help)
	cmds=$(awk '/^commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }' <<<"$help")
	[ -n "$cmds" ]
	# COMMANDS: one tag per command, at the tag's indent, in --help's order
	# (the tag is the last line at the tags' indent before each usage line)
	documented=$(awk '/^COMMANDS/ { on = 1; next } on && /^[A-Z]/ { exit }
		on && /^       [a-z]/ { tag = $1 }
		on && /^         usage: / && tag != "" { print tag; tag = "" }' <<<"$page")
	echo "help: $cmds"
	echo "man:  $documented"
	[ "$cmds" = "$documented" ]
	# each with the usage `xvsctl CMD help` prints
	for c in $cmds; do
		grep -qF -- "$("$XVS_BIN/xvsctl" "$c" help | head -1)" <<<"$page"
	done
	# the options
	for c in $(grep -oE '^  +-[a-z], --[a-z]+|^  +--[a-z]+' <<<"$help" | grep -oE -- '--[a-z]+'); do
		awk '/^OPTIONS/ { on = 1; next } on && /^[A-Z]/ { exit } on' <<<"$page" | grep -qF -- "$c"
	done
}

@test "xvsd(8) gives xvsd --help's options and the paths it was installed with" {
	local page

	page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$DEST/usr/share/man/man8/xvsd.8" 2>/dev/null)
	grep -q -- '-c, --config FILE' <<<"$page"
	grep -q -- '--check' <<<"$page"
	grep -q "/usr/lib/$MULTIARCH/bpf/xvs_xdp.bpf.o" <<<"$page"
	grep -q "/etc/xvs/xvs.yaml" <<<"$page"
	grep -q "NOTIFY_SOCKET" <<<"$page"
}

# ---- the unit -------------------------------------------------------------

@test "the installed unit has the installed paths and passes systemd-analyze verify" {
	local unit=$DEST/usr/lib/systemd/system/xvsd.service out

	grep -qx 'ExecStart=/usr/sbin/xvsd -c /etc/xvs/xvs.yaml' "$unit"
	grep -qx 'ExecReload=/usr/sbin/xvsd --check -c /etc/xvs/xvs.yaml' "$unit"
	grep -qx 'Type=notify' "$unit"
	[ -z "$(grep -n '@[A-Z]*@' "$unit")" ]
	# verify checks that ExecStart's program exists and Documentation='s
	# man pages are there: the same unit, its paths moved into $DEST
	mkdir -p "$XVSD_DIR/verify"
	sed -e "s|=/usr/sbin/|=$DEST/usr/sbin/|" -e "s| /etc/xvs/| $DEST/etc/xvs/|" \
		"$unit" >"$XVSD_DIR/verify/xvsd.service"
	run env MANPATH="$DEST/usr/share/man" systemd-analyze verify "$XVSD_DIR/verify/xvsd.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# and it would see a broken unit: a control
	sed -i 's|^Type=notify|Type=notifyy|' "$XVSD_DIR/verify/xvsd.service"
	run env MANPATH="$DEST/usr/share/man" systemd-analyze verify "$XVSD_DIR/verify/xvsd.service"
	[[ $output == *"notifyy"* ]]
}

# caps_of KEY: the unit's KEY= capability list in setpriv's syntax
caps_of() {
	sed -n "s/^$1=//p" "$DEST/usr/lib/systemd/system/xvsd.service" |
		tr ' ' '\n' | sed -E 's/^CAP_//' | tr 'A-Z' 'a-z' | grep .
}

up_or_gone() {
	[ -s "$XVSD_DIR/xvsd.status" ] || port_is up0 state up
}

# run_caps CAP...: xvsd with only these capabilities (root, bounding set),
# started, then stopped; prints what went wrong, and fails, if anything did:
# a failed start, a warning or error logged, an exit status, an XDP program
# left attached to the uplink
run_caps() {
	local set bad=

	set=$(printf ',+%s' "$@")
	: >"$XVSD_DIR/xvsd.log"
	rm -rf "$XVSD_DIR/socks"
	svc_start setpriv --bounding-set="-all$set" -- "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	wait_until 10 up_or_gone
	if port_is up0 state up; then
		[ "$(stat -c %g "$XVSD_DIR/socks/a.sock")" = "$GID" ] || bad="$bad socket-group"
		[ "$(stat -c %g "$XVSD_DIR/xvs.ctl")" = "$GID" ] || bad="$bad control-socket-group"
	else
		bad="$bad not-up"
	fi
	xvsd_stop TERM
	[ "$XVSD_STATUS" = 0 ] || bad="$bad status=$XVSD_STATUS"
	grep -qE ' (warning|error): ' "$XVSD_DIR/xvsd.log" && bad="$bad logged"
	ip link show dev "$NET_HOST_IF" | grep -q 'prog/xdp' && bad="$bad xdp-left-attached"
	ip link set dev "$NET_HOST_IF" xdp off 2>/dev/null || true
	if [ -n "$bad" ]; then
		echo "with ${*:-nothing}:$bad"
		grep -E ' (warning|error): ' "$XVSD_DIR/xvsd.log" | head -3
		return 1
	fi
}

@test "the unit's capabilities are enough for an uplink and group-owned sockets, and each is needed" {
	local caps amb c others

	bpffs_mount
	require_af_xdp
	net_setup_pair xvsvc 27
	require_xdp_native "$NET_HOST_IF"
	net_track bpfpin "/sys/fs/bpf/xvs/$SW"
	caps=$(caps_of CapabilityBoundingSet)
	amb=$(caps_of AmbientCapabilities)
	echo "bounding: $caps"
	[ -n "$caps" ]
	[ "$caps" = "$amb" ]
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: $SW
  control-socket: $XVSD_DIR/xvs.ctl
  control-socket-group: $GID
  socket-dir: $XVSD_DIR/socks
  socket-group: $GID
ports:
  a: { type: vhost-user, socket: a.sock }
  up0: { type: uplink, interface: $NET_HOST_IF }
YAML
	# shellcheck disable=SC2086
	run_caps $caps
	for c in $caps; do
		others=$(grep -vx "$c" <<<"$caps")
		# shellcheck disable=SC2086
		if run_caps $others; then
			echo "xvsd works without $c: the unit need not grant it"
			false
		fi
	done
}

# ---- readiness --------------------------------------------------------------

@test "READY=1 only once the control socket listens; RELOADING=1 before and READY=1 after a SIGHUP reload; STOPPING=1 first at SIGTERM" {
	local reloads

	config
	notify_listen
	hold full
	svc_start env NOTIFY_SOCKET="$NOTIFY" "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	# xvsd sends READY=1 and waits for room: at this moment the control
	# socket must exist and take connections, and the port must listen
	wait_until 10 xvsd_blocked_notifying
	[ "$(notify_seq)" = "" ]
	[ -S "$XVSD_DIR/xvs.ctl" ]
	socat -u /dev/null "UNIX-CONNECT:$XVSD_DIR/xvs.ctl"
	[ -S "$XVSD_DIR/socks/a.sock" ]
	grep -q "switch $SW: 1 ports" "$XVSD_DIR/xvsd.log"
	release
	wait_until 5 seq_is 'fill|READY=1'
	wait_until 5 ctl_answers

	# SIGHUP: RELOADING=1 is sent before the file is read again...
	reloads=$(grep -c 'reload done' "$XVSD_DIR/xvsd.log" || true)
	hold full
	kill -HUP "$XVSD_PID"
	wait_until 10 xvsd_blocked_notifying
	[ "$(grep -c 'reload done' "$XVSD_DIR/xvsd.log" || true)" = "$reloads" ]
	release
	wait_until 5 seq_is 'fill|READY=1|fill|RELOADING=1 MONOTONIC_USEC=N|READY=1'
	[ "$(grep -c 'reload done' "$XVSD_DIR/xvsd.log")" = $((reloads + 1)) ]
	# ...and READY=1 after it is applied (RELOADING=1 fills the queue now)
	hold
	kill -HUP "$XVSD_PID"
	wait_until 10 xvsd_blocked_notifying
	[ "$(grep -c 'reload done' "$XVSD_DIR/xvsd.log")" = $((reloads + 2)) ]
	release
	wait_until 5 seq_is 'fill|READY=1|fill|RELOADING=1 MONOTONIC_USEC=N|READY=1|RELOADING=1 MONOTONIC_USEC=N|READY=1'
	[ "$(notify_msgs | grep -cE '^RELOADING=1 MONOTONIC_USEC=[1-9][0-9]*$')" = 2 ]
	wait_until 5 ctl_answers

	# SIGTERM: STOPPING=1 before anything is torn down
	hold full
	kill -TERM "$XVSD_PID"
	wait_until 10 xvsd_blocked_notifying
	[ -S "$XVSD_DIR/xvs.ctl" ]
	[ -S "$XVSD_DIR/socks/a.sock" ]
	release
	wait_until 10 test -s "$XVSD_DIR/xvsd.status"
	[ "$(cat "$XVSD_DIR/xvsd.status")" = 0 ]
	[ "$(notify_msgs | tail -1)" = "STOPPING=1" ]
	[ "$(notify_msgs | grep -c .)" = 9 ]
	[ ! -e "$XVSD_DIR/xvs.ctl" ]
	[ -z "$(grep -E ' (warning|error): ' "$XVSD_DIR/xvsd.log")" ]
}

@test "NOTIFY_SOCKET in the abstract namespace (@name)" {
	local name=xvs-bats-svc-$$

	config
	(
		close_inherited_fds
		exec socat -u -v "ABSTRACT-RECV:$name" "OPEN:$XVSD_DIR/notify.data,creat,append" \
			2>"$XVSD_DIR/notify.dump"
	) &
	NOTIFY_PID=$!
	wait_until 5 grep -q "@$name" /proc/net/unix
	svc_start env NOTIFY_SOCKET="@$name" "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	wait_until 10 seq_is 'READY=1'
	ctl_answers
	xvsd_stop TERM
	[ "$XVSD_STATUS" = 0 ]
	wait_until 5 seq_is 'READY=1|STOPPING=1'
}

@test "a NOTIFY_SOCKET nobody reads is logged, and xvsd runs all the same" {
	config
	svc_start env NOTIFY_SOCKET="$XVSD_DIR/nobody" "$XVS_BIN/xvsd" -c "$XVSD_DIR/xvs.yaml"
	wait_until 10 ctl_answers
	grep -q "warning: cannot tell the service manager (NOTIFY_SOCKET=$XVSD_DIR/nobody) \"READY=1\"" \
		"$XVSD_DIR/xvsd.log"
	xvsd_stop TERM
	[ "$XVSD_STATUS" = 0 ]
}
