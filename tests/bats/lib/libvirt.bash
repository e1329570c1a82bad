# SPDX-License-Identifier: GPL-2.0-only
# bats helpers: a private libvirtd and guests defined through it.
#
#   lv_start                      start a libvirtd of our own (below); sets LV_DIR
#   lv_stop                       destroy our domains, stop that libvirtd, unmount
#   virsh_ ARGS...                virsh against it
#   lv_domain_xml NAME OPTIONS    print a domain's XML (guest image, vhost-user NIC)
#   lv_define NAME OPTIONS        define it (persistent) from that XML
#   lv_start_domain NAME          virsh start, then record QEMU's pid for lib/guest
#   lv_state NAME                 virsh domstate
#
# The libvirtd is the real one from Debian (libvirt-daemon,
# libvirt-daemon-driver-qemu), run the way ../shared/TESTBED.md found works
# on a machine without systemd, but in a mount namespace of its own: there
# /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
# /var/log/libvirt are directories under LV_DIR, so the test changes nothing
# of the host's libvirt (its config, domains, sockets) and can run next to a
# host libvirtd. virsh reaches it through its socket path
# (qemu:///system?socket=...). The domains' QEMU processes inherit that
# namespace; every other path (the guest image, vhost-user sockets, the
# guests' serial files) is the host's.
#
# Guests are lib/guest's image, booted directly (qboot, vmlinux, initrd) as
# domain type 'qemu' (TCG), with the serial ports lib/guest expects in
# $(guest_dir NAME): console.log and cmd.sock, so guest_run and
# guest_wait_ready work on them; lv_start_domain writes QEMU's pid there.
# The NIC gets vectors=0 (no MSI-X: QEMU 7.2 under TCG segfaults with MSI-X
# on a vhost-user virtio-net, ../shared/TESTBED.md) through <qemu:override>:
# a -global does not do, since libvirt sets vectors on the device itself
# when the NIC has several queues (2 × queues + 2).

LV_CONN=${LV_CONN:-}

lv_skip_unless_supported() {
	require_cmd libvirtd virsh unshare || return 1
}

virsh_() {
	virsh -q -c "$LV_CONN" "$@"
}

# libvirtd (Debian's 9.0) refuses to start the QEMU driver without a
# `libvirt-qemu` user, even when qemu.conf runs QEMU as root; Debian's
# libvirt-daemon-system would create it (its postinst), which this machine
# does not have. Create it as that package does, once.
_lv_user() {
	getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu || return 1
	getent passwd libvirt-qemu >/dev/null ||
		useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
}

lv_start() {
	local d
	LV_DIR=$(mktemp -d /tmp/xvs-lv.XXXXXX)
	export LV_DIR
	for d in etc run lib cache log; do mkdir -p "$LV_DIR/$d"; done
	_lv_user || { echo "lv_start: cannot create the libvirt-qemu user" >&2; return 1; }
	cp /etc/libvirt/libvirt.conf "$LV_DIR/etc/" 2>/dev/null || true
	# QEMU as root without a security driver: it must open vhost-user
	# sockets and serial files in test directories
	cat >"$LV_DIR/etc/qemu.conf" <<-EOF
		user = "root"
		group = "root"
		security_driver = "none"
		stdio_handler = "file"
	EOF
	cat >"$LV_DIR/etc/libvirtd.conf" <<-EOF
		unix_sock_group = "root"
		unix_sock_rw_perms = "0700"
		auth_unix_rw = "none"
		log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	EOF
	mkdir -p /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt /etc/libvirt
	(
		close_inherited_fds
		exec unshare -m --propagation private sh -ec '
			d=$1
			mount --bind "$d/etc" /etc/libvirt
			mount --bind "$d/run" /run/libvirt
			mount --bind "$d/lib" /var/lib/libvirt
			mount --bind "$d/cache" /var/cache/libvirt
			mount --bind "$d/log" /var/log/libvirt
			exec libvirtd -d --pid-file "$d/libvirtd.pid"' sh "$LV_DIR"
	) </dev/null >"$LV_DIR/libvirtd.out" 2>&1
	LV_CONN="qemu:///system?socket=$LV_DIR/run/libvirt-sock"
	export LV_CONN
	wait_until 20 virsh_ version >/dev/null 2>&1 || {
		echo "lv_start: libvirtd did not answer; its output and log:" >&2
		cat "$LV_DIR/libvirtd.out" >&2
		grep -v -e dmidecode -e dnsmasq -e DBus -e 'system bus' "$LV_DIR/log/libvirtd.log" | tail -20 >&2
		return 1
	}
}

lv_stop() {
	local dom pid
	[ -n "${LV_DIR:-}" ] || return 0
	LV_CONN="qemu:///system?socket=$LV_DIR/run/libvirt-sock"
	for dom in $(virsh_ list --all --name 2>/dev/null); do
		virsh_ destroy "$dom" >/dev/null 2>&1 || true
		virsh_ undefine "$dom" >/dev/null 2>&1 || true
	done
	pid=$(cat "$LV_DIR/libvirtd.pid" 2>/dev/null) || pid=
	if [ -n "$pid" ] && grep -q libvirtd "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# the mounts were the namespace's: gone with its last process
	rm -rf "$LV_DIR"
	LV_DIR=
}

# lv_domain_xml NAME --socket PATH --mode client|server [--reconnect]
#               [--mac MAC] [--ip CIDR] [--queues N]
# --mode is libvirt's (QEMU's side of the socket): client when xvsd is the
# server. The NIC's part is what config/libvirt/*.xml documents; the rest
# boots lib/guest's image.
lv_domain_xml() {
	local name=${1:?} sock='' mode=client reconnect='' mac='' ip='' queues=1 smp=1 dir
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--socket) sock=${2:?}; shift ;;
		--mode) mode=${2:?}; shift ;;
		--reconnect) reconnect=1 ;;
		--mac) mac=${2:?}; shift ;;
		--ip) ip=${2:?}; shift ;;
		--queues) queues=${2:?}; shift ;;
		*) echo "lv_domain_xml: unknown option '$1'" >&2; return 1 ;;
		esac
		shift
	done
	[ "$queues" -gt 1 ] && smp=$queues
	dir=$(guest_dir "$name")
	mkdir -p "$dir"
	local kargs="console=ttyS0 quiet panic=-1 mitigations=off xvs.hostname=$name"
	[ -n "$ip" ] && kargs+=" xvs.ip=$ip"
	cat <<-EOF
		<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
		  <name>xvs-$name</name>
		  <memory unit='MiB'>256</memory>
		  <vcpu>$smp</vcpu>
		  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
		  <os>
		    <type arch='x86_64' machine='pc'>hvm</type>
		    <loader type='rom'>$GUEST_QBOOT</loader>
		    <kernel>$GUEST_IMAGE/vmlinux</kernel>
		    <initrd>$GUEST_IMAGE/initrd.img</initrd>
		    <cmdline>$kargs</cmdline>
		  </os>
		  <features><acpi/><apic/></features>
		  <on_reboot>destroy</on_reboot>
		  <devices>
		    <interface type='vhostuser'>
		      <mac address='${mac:-$(_guest_mac "$name")}'/>
		      <source type='unix' path='$sock' mode='$mode'>$([ -n "$reconnect" ] && echo "<reconnect enabled='yes' timeout='1'/>")</source>
		      <model type='virtio'/>
		      $([ "$queues" -gt 1 ] && echo "<driver queues='$queues'/>")
		      <rom enabled='no'/>
		    </interface>
		    <serial type='file'><source path='$dir/console.log'/><target port='0'/></serial>
		    <serial type='unix'><source mode='bind' path='$dir/cmd.sock'/><target port='1'/></serial>
		    <memballoon model='none'/>
		  </devices>
		  <qemu:override>
		    <qemu:device alias='net0'>
		      <qemu:frontend><qemu:property name='vectors' type='unsigned' value='0'/></qemu:frontend>
		    </qemu:device>
		  </qemu:override>
		</domain>
	EOF
}

lv_define() {
	local name=${1:?} dir
	shift
	dir=$(guest_dir "$name")
	mkdir -p "$dir"
	lv_domain_xml "$name" "$@" >"$dir/domain.xml" || return 1
	virsh_ define "$dir/domain.xml" >/dev/null
}

# virsh start returns once QEMU runs (for a libvirt server-mode socket:
# once xvsd has connected and the guest can boot); the pid file is
# libvirt's, in our /run/libvirt.
lv_start_domain() {
	local name=${1:?} dir
	dir=$(guest_dir "$name")
	rm -f "$dir/pid"
	: >"$dir/console.log"
	virsh_ start "xvs-$name" >/dev/null || return 1
	lv_record_pid "$name"
}

lv_record_pid() {
	local dir
	dir=$(guest_dir "$1")
	wait_until 10 test -s "$LV_DIR/run/qemu/xvs-$1.pid" || return 1
	# libvirt hands QEMU its files as fds: lib/guest recognises the
	# process by libvirt's -name instead of by our paths
	echo "guest=xvs-$1," >"$dir/cmdline-mark"
	cp "$LV_DIR/run/qemu/xvs-$1.pid" "$dir/pid"
}

lv_state() {
	virsh_ domstate "xvs-$1" 2>/dev/null | head -n1
}
