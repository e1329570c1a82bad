#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The guest image and the guest helpers themselves: build, boot, command
# channel, teardown, and the vhost-user command line.

# Tests depend on each other's order (the last one checks for leftovers).
BATS_NO_PARALLELIZE_WITHIN_FILE=true
bats_require_minimum_version 1.5.0

load 'lib/guest'

# Processes a test starts besides guests (socat, fake backends); killed in
# teardown by pid.
HELPER_PIDS=()

teardown() {
	guest_stop_all
	# Guests of the nested bats run, should its own teardown have failed.
	XVS_TEST_TMP=$BATS_TEST_TMPDIR/inner/tmp guest_stop_all
	local p
	for p in "${HELPER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# Polls for up to $1 seconds until the command in the remaining arguments
# succeeds.
wait_for() {
	local tenths=$(($1 * 10))
	shift
	until "$@"; do
		tenths=$((tenths - 1))
		[ "$tenths" -gt 0 ] || return 1
		sleep 0.1
	done
}

file_size_at_least() {
	[ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]
}

# A vhost-user backend that only answers the handshake, so a guest with a
# vhost-user NIC can boot before xvs's daemon exists. It moves no packets.
# Logs each request number, one per line. Usage: fake_backend
# listen|connect SOCKPATH QUEUES LOG
fake_backend() {
	cat >"$BATS_TEST_TMPDIR/fake-vu.pl" <<'EOF'
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket;

$| = 1;
my ($mode, $path, $queues) = @ARGV;
my $c;
if ($mode eq 'listen') {
	my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
				      Listen => 1) or die "listen $path: $!";
	$c = $l->accept or die "accept: $!";
} else {
	for (1 .. 100) {
		$c = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path)
			and last;
		select(undef, undef, undef, 0.1);
	}
	$c or die "connect $path: $!";
}

sub rd {
	my ($n, $b) = ($_[0], '');
	while (length($b) < $n) {
		my $r = sysread($c, $b, $n - length($b), length($b));
		return undef unless $r;
	}
	return $b;
}

# Message: u32 request, u32 flags, u32 size, payload. Passed fds are
# dropped. Replies carry flags version 1 | reply (0x5).
my $features = (1 << 32) | (1 << 30);	# VERSION_1, PROTOCOL_FEATURES
$features |= 1 << 22 if $queues > 1;	# VIRTIO_NET_F_MQ
while (defined(my $h = rd(12))) {
	my ($req, $flags, $size) = unpack('VVV', $h);
	my $p = $size ? rd($size) : '';
	last unless defined $p;
	print "$req\n";
	my $r;
	if ($req == 1) { $r = pack('Q<', $features) }			# GET_FEATURES
	elsif ($req == 15) { $r = pack('Q<', $queues > 1 ? 1 : 0) }	# GET_PROTOCOL_FEATURES: MQ
	elsif ($req == 17) { $r = pack('Q<', $queues) }			# GET_QUEUE_NUM
	elsif ($req == 11) { $r = pack('VV', unpack('V', $p), 0) }	# GET_VRING_BASE
	syswrite($c, pack('VVV', $req, 0x5, length $r) . $r) if defined $r;
}
EOF
	perl "$BATS_TEST_TMPDIR/fake-vu.pl" "$1" "$2" "$3" >"$4" 2>&1 3>&- &
	HELPER_PIDS+=($!)
}

@test "build-image.sh builds a cached image with kernel, initramfs and modules in order" {
	run "$GUEST_BUILD_IMAGE"
	[ "$status" -eq 0 ]
	local img=${lines[-1]}
	[ -d "$img" ]
	[ "$(od -An -c -N4 "$img/vmlinux" | tr -d ' ')" = 177ELF ]
	[[ $(cat "$img/kver") == 6.1.* ]]
	[ "$(cat "$img/stamp")" = "$(sha256sum "$GUEST_BUILD_IMAGE" | cut -c1-16)" ]

	# Cached: the same image, not rebuilt.
	local mtime
	mtime=$(stat -c %Y "$img/vmlinux")
	run "$GUEST_BUILD_IMAGE"
	[ "$status" -eq 0 ]
	[ "$output" = "$img" ]
	[ "$(stat -c %Y "$img/vmlinux")" = "$mtime" ]

	# Modules in dependency order, each before its users.
	run bash -c "cd '$BATS_TEST_TMPDIR' && cpio --quiet -i --to-stdout etc/xvs/modules <'$img/initrd.img'"
	[ "$status" -eq 0 ]
	local order=" $(echo $output) "
	local m prev=0 pos
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
		virtio_pci failover net_failover virtio_net; do
		pos=${order%% $m.ko *}
		[ "$pos" != "$order" ] || { echo "$m.ko missing: $order"; false; }
		[ "${#pos}" -ge "$prev" ] || { echo "$m.ko out of order: $order"; false; }
		prev=${#pos}
	done
	cpio --quiet -it <"$img/initrd.img" | grep -qx 'lib/modules/virtio_net.ko'
	cpio --quiet -it <"$img/initrd.img" | grep -qx 'bin/xvs-agent'
}

@test "a guest without NIC boots; guest_run returns output and status" {
	guest_skip_unless_supported
	local t0=$SECONDS
	guest_start g1
	# ~4 s on an idle 2-core host; the margin is for hosts shared with
	# busy-polling tests.
	guest_wait_ready g1 30
	echo "# booted in $((SECONDS - t0)) s" >&3

	run guest_run g1 uname -r
	[ "$status" -eq 0 ]
	[ "$output" = "$GUEST_KVER" ]

	run guest_run g1 ls /sys/class/net
	[ "$output" = lo ]

	# Quotes, expansions, globs, operators and UTF-8 reach the guest shell
	# verbatim; output without a final newline keeps it that way.
	local s='it'\''s "$HOME" `id` $(id) \ * ? ; | & < > ~ ü € -n'
	run guest_run g1 "printf '%s' '${s//\'/\'\\\'\'}'"
	[ "$status" -eq 0 ]
	[ "$output" = "$s" ]
	[ "$(guest_run g1 printf abc | od -An -c | tr -d ' ')" = abc ]

	run guest_run g1 $'x=41\necho $((x + 1))'
	[ "$output" = 42 ]

	run guest_run g1 'exit 3'
	[ "$status" -eq 3 ]
	run guest_run g1 false
	[ "$status" -eq 1 ]

	run --separate-stderr guest_run g1 'echo out; echo err >&2; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = out ]
	[ "$stderr" = err ]

	# Lines that look like the channel's framing are just output.
	run guest_run g1 'echo "XVS-RC x 0"; echo XVS-OUT; echo XVS-ERR'
	[ "$status" -eq 0 ]
	[ "$output" = $'XVS-RC x 0\nXVS-OUT\nXVS-ERR' ]
}

@test "guest_run: multi-KB and binary output complete, many calls in a row, timeout" {
	guest_skip_unless_supported
	guest_start g1
	guest_wait_ready g1

	run guest_run g1 seq 1 5000
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 1 5000)" ]

	# 24 KiB of random bytes (NULs, CRs, ...) arrive bit-exact.
	local sum
	sum=$(guest_run g1 'head -c 24576 /dev/urandom | tee /tmp/r | md5sum')
	guest_run g1 'cat /tmp/r' >"$BATS_TEST_TMPDIR/r"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/r")" -eq 24576 ]
	[ "$(md5sum <"$BATS_TEST_TMPDIR/r")" = "$sum" ]

	local i
	for i in $(seq 1 40); do
		run guest_run g1 "echo call-$i"
		echo "call $i: status=$status output=$output"
		[ "$status" -eq 0 ]
		[ "$output" = "call-$i" ]
	done

	# The guest kills the command and its children; the channel stays
	# usable.
	run guest_run -t 2 g1 'sleep 100 & sleep 101'
	echo "status=$status output=$output"
	[ "$status" -eq 124 ]
	[[ $output == *"timed out after 2s"* ]]
	run guest_run g1 'echo alive; ps | grep -c "sleep 10[01]"'
	[ "$output" = $'alive\n0' ]
	GUEST_RUN_TIMEOUT=1 run guest_run g1 'sleep 5'
	[ "$status" -eq 124 ]

	# Without a timeout, background processes outlive their call.
	run guest_run g1 'sleep 300 >/dev/null 2>&1 & echo started'
	[ "$output" = started ]
	run guest_run g1 'ps | grep -c "[s]leep 300"'
	[ "$output" = 1 ]
}

@test "two guests run at once and are independent" {
	guest_skip_unless_supported
	guest_start a
	guest_start b
	guest_wait_ready a 40
	guest_wait_ready b 40
	[ "$(guest_run a hostname)" = a ]
	[ "$(guest_run b hostname)" = b ]
	guest_run a 'echo from-a >/tmp/who'
	run guest_run b 'cat /tmp/who'
	[ "$status" -ne 0 ]

	run guest_start a
	[ "$status" -ne 0 ]
	[[ $output == *"already running"* ]]

	guest_stop a
	run guest_run a true
	[ "$status" -eq 255 ]
	[ "$(guest_run b hostname)" = b ]
}

@test "teardown stops the guests of a failing test" {
	guest_skip_unless_supported
	local inner=$BATS_TEST_TMPDIR/inner
	mkdir -p "$inner"
	# $at: bats would rewrite a line starting with the test keyword, even
	# inside a here-document.
	local at=@
	cat >"$inner/failing.bats" <<EOF
load '$BATS_TEST_DIRNAME/lib/guest'
teardown() { guest_stop_all; }
${at}test "fails with a running guest" {
	guest_start victim
	guest_wait_ready victim
	guest_run victim true
	false
}
EOF
	# A clean environment and no fd 3: an inner bats inheriting our BATS_*
	# variables, our PATH (bats' libexec first) or fd 3 would report into
	# this run.
	run env -i PATH="${PATH//"$BATS_LIBEXEC:"/}" HOME="$HOME" XVS_TEST_TMP="$inner/tmp" \
		XVS_GUEST_CACHE="${XVS_GUEST_CACHE:-/var/cache/xvs-guest}" \
		bats "$inner/failing.bats" 3>&-
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"not ok 1 fails with a running guest"* ]]
	grep -q XVS_GUEST_READY "$inner/tmp/guest-victim/console.log"
	[ ! -e "$inner/tmp/guest-victim/pid" ]
	run pgrep -f -- "^qemu-system-x86_64 .*$inner/tmp/guest-victim/"
	[ "$status" -eq 1 ]
}

@test "--vhost-user --client: QEMU connects and waits for the handshake" {
	guest_skip_unless_supported
	local sock=$BATS_TEST_TMPDIR/vu.sock dump=$BATS_TEST_TMPDIR/vu.dump
	socat -u "UNIX-LISTEN:$sock" "OPEN:$dump,creat" 3>&- &
	HELPER_PIDS+=($!)
	wait_for 5 test -S "$sock"
	guest_start vc --vhost-user "$sock" --client

	# The first message is GET_FEATURES: request 1, flags 1 (version 1),
	# no payload.
	wait_for 10 file_size_at_least "$dump" 12
	[ "$(od -An -tu4 -N12 "$dump" | tr -s ' ')" = " 1 1 0" ]
	# No answer: the machine must not start.
	sleep 1
	_guest_pid vc
	run grep -c XVS_GUEST_READY "$(guest_dir vc)/console.log"
	[ "$output" = 0 ]
}

@test "--vhost-user --server: QEMU listens and waits for the handshake" {
	guest_skip_unless_supported
	local sock=$BATS_TEST_TMPDIR/vu.sock dump=$BATS_TEST_TMPDIR/vu.dump
	guest_start vs --vhost-user "$sock" --server
	local pid
	pid=$(_guest_pid vs)
	wait_for 10 test -S "$sock"
	run ss -xlp
	[[ $output == *"$sock "*"pid=$pid,"* ]]

	socat -u "UNIX-CONNECT:$sock" "OPEN:$dump,creat" 3>&- &
	HELPER_PIDS+=($!)
	wait_for 10 file_size_at_least "$dump" 12
	[ "$(od -An -tu4 -N12 "$dump" | tr -s ' ')" = " 1 1 0" ]
}

@test "--vhost-user with a handshake-only backend: eth0 gets MAC, IP, MTU (client)" {
	guest_skip_unless_supported
	local sock=$BATS_TEST_TMPDIR/vu.sock log=$BATS_TEST_TMPDIR/vu.log
	fake_backend listen "$sock" 1 "$log"
	wait_for 5 test -S "$sock"
	guest_start vf --vhost-user "$sock" --client --mac 52:54:00:12:34:56 \
		--ip 10.99.0.1/24 --ip6 fd99::1/64 --mtu 9000
	guest_wait_ready vf

	run guest_run vf 'cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu'
	[ "$output" = $'52:54:00:12:34:56\n9000' ]
	run guest_run vf 'ip -o addr show dev eth0'
	[[ $output == *"inet 10.99.0.1/24 "* ]]
	[[ $output == *"inet6 fd99::1/64 "* ]]
	run guest_run vf 'ls /sys/class/net/eth0/queues'
	[ "$output" = $'rx-0\ntx-0' ]

	# SIGTERM stops the device: the backend is asked for the ring state.
	guest_stop vf
	wait_for 5 grep -qx 11 "$log"
}

@test "--vhost-user --server --queues 2 --smp 2: the guest gets two queue pairs" {
	guest_skip_unless_supported
	local sock=$BATS_TEST_TMPDIR/vu.sock log=$BATS_TEST_TMPDIR/vu.log
	guest_start vm --vhost-user "$sock" --server --queues 2 --smp 2
	fake_backend connect "$sock" 2 "$log"
	guest_wait_ready vm
	run guest_run vm 'ls /sys/class/net/eth0/queues; nproc'
	[ "$output" = $'rx-0\nrx-1\ntx-0\ntx-1\n2' ]
	# GET_QUEUE_NUM: QEMU asked how many queues the backend has.
	grep -qx 17 "$log"
}

@test "no guest of this run is left running" {
	run pgrep -f -- "^qemu-system-x86_64 .*$BATS_RUN_TMPDIR/"
	echo "$output"
	[ "$status" -eq 1 ]
}
