#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# Who may talk to the switch (issue 10). The control socket is created
# with mode 0660, its group switch.control-socket-group (default: the
# daemon's group); the vhost-user server sockets with mode 0660, their group
# switch.socket-group (default: the daemon's). A control client whose uid
# (SO_PEERCRED) is neither 0 nor the daemon's may look (show) but not act:
# reload is refused with "permission denied".
#
# The unprivileged client is nobody (uid/gid 65534) through setpriv; a
# group created for this file (deleted at the end) has nobody as a member.

load lib/common
load lib/xvsd

NOBODY=65534

xvsd_ctl() {
	timeout 3 "$XVS_BIN/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" "$@"
}

# as_nobody GROUPS-OPTION ARGS...: xvsctl as uid and gid 65534;
# --clear-groups (no other group) or --init-groups (nobody's groups)
as_nobody() {
	local groups=$1

	shift
	timeout 5 setpriv --reuid="$NOBODY" --regid="$NOBODY" "$groups" \
		"$XVSD_DIR/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" "$@"
}

setup_file() {
	export BATS_NO_PARALLELIZE_WITHIN_FILE=true
	require_root && require_cmd setpriv groupadd groupdel usermod || return 0
	getent passwd "$NOBODY" >/dev/null || { xvs_skip "no user with uid $NOBODY"; return 0; }
	xvsd_dir >/dev/null
	# nobody must reach the sockets and run xvsctl: only the sockets'
	# own modes may stop it
	chmod 0755 "$XVSD_DIR"
	cp "$XVS_BIN/xvsctl" "$XVSD_DIR/xvsctl"
	chmod 0755 "$XVSD_DIR/xvsctl"
	XVS_GROUP=xvsbats$$
	export XVS_GROUP
	groupadd "$XVS_GROUP"
	usermod -a -G "$XVS_GROUP" "$(getent passwd "$NOBODY" | cut -d: -f1)"
	cat >"$XVSD_DIR/default.yaml" <<YAML
switch:
  name: bats-acl
  control-socket: $XVSD_DIR/xvs.ctl
  socket-dir: $XVSD_DIR
ports:
  p1: { type: vhost-user, socket: p1.sock }
YAML
	cat >"$XVSD_DIR/group.yaml" <<YAML
switch:
  name: bats-acl
  control-socket: $XVSD_DIR/xvs.ctl
  control-socket-group: $XVS_GROUP
  socket-group: $XVS_GROUP
  socket-dir: $XVSD_DIR
ports:
  p1: { type: vhost-user, socket: p1.sock }
YAML
}

teardown_file() {
	[ -n "${XVSD_DIR:-}" ] && xvsd_stop_hard 3
	[ -n "${XVS_GROUP:-}" ] && groupdel "$XVS_GROUP" 2>/dev/null
	[ -n "${XVSD_DIR:-}" ] && rm -rf "$XVSD_DIR"
	return 0
}

setup() {
	require_setup_file
	: >"$XVSD_DIR/xvsd.log"
}

teardown() {
	xvsd_stop_hard 3
}

@test "default: the control socket and the vhost-user sockets are 0660, in the daemon's group" {
	xvsd_start "$XVSD_DIR/default.yaml"
	run stat -c '%a %G' "$XVSD_DIR/xvs.ctl" "$XVSD_DIR/p1.sock"
	echo "$output"
	[ "${lines[0]}" = "660 $(id -gn)" ]
	[ "${lines[1]}" = "660 $(id -gn)" ]
}

@test "default: a uid outside the control socket's group cannot connect (EACCES)" {
	xvsd_start "$XVSD_DIR/default.yaml"
	run as_nobody --clear-groups show
	echo "status $status: $output"
	[ "$status" -ne 0 ]
	[[ $output == *"Permission denied"* ]]
}

@test "control-socket-group: a member may show, reload is refused (permission denied)" {
	xvsd_start "$XVSD_DIR/group.yaml"
	run stat -c '%a %G' "$XVSD_DIR/xvs.ctl"
	echo "control socket: $output"
	[ "$output" = "660 $XVS_GROUP" ]
	run as_nobody --init-groups show
	echo "show as nobody: status $status: $output"
	[ "$status" -eq 0 ]
	[[ $output == *"port p1 "* ]]
	run as_nobody --init-groups reload
	echo "reload as nobody: status $status: $output"
	[[ ${output,,} == *"permission denied"* ]]
	if grep -q "reload done" "$XVSD_DIR/xvsd.log"; then
		echo "FAIL: nobody's reload was carried out"
		false
	fi
	# root still may
	run xvsd_ctl reload
	echo "reload as root: $output"
	[ "$output" = ok ]
}

@test "socket-group: the vhost-user server sockets are 0660 in that group" {
	xvsd_start "$XVSD_DIR/group.yaml"
	run stat -c '%a %G' "$XVSD_DIR/p1.sock"
	echo "p1.sock: $output"
	[ "$output" = "660 $XVS_GROUP" ]
}
