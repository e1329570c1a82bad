#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Build (once) the test guest: Debian's 6.1 kernel and a busybox initramfs.
#
# Usage: build-image.sh [--force]
# Prints the image directory on stdout. It holds:
#   vmlinux     uncompressed ELF kernel, booted through its PVH entry with
#               -bios qboot.rom: ~4 s to ready instead of ~10 s, as the
#               bzImage spends ~6 s of TCG time decompressing itself
#   bzImage     the packaged kernel, for firmware without PVH boot
#               (SeaBIOS, libvirt defaults)
#   initrd.img  uncompressed newc cpio: busybox, virtio-net modules, /init
#   kver        the kernel release (uname -r in the guest)
#   stamp       sha256 of this script; a different hash means rebuild
#
# Layout: $XVS_GUEST_CACHE/<hash>/ plus a `current` symlink to it. Builds
# run under a lock into a temp dir that is renamed at the end, so a reader
# never sees a half-built image and concurrent callers build only once.
set -euo pipefail

CACHE=${XVS_GUEST_CACHE:-/var/cache/xvs-guest}
SELF=$(readlink -f "${BASH_SOURCE[0]}")
HASH=$(sha256sum "$SELF" | cut -c1-16)
FORCE=0

die() { echo "build-image: $*" >&2; exit 1; }
log() { echo "build-image: $*" >&2; }

case "${1:-}" in
--force) FORCE=1 ;;
'') ;;
*) die "usage: build-image.sh [--force]" ;;
esac

image_ok() {
	local d=$1
	[ -f "$d/stamp" ] && [ "$(cat "$d/stamp")" = "$HASH" ] &&
		[ -s "$d/vmlinux" ] && [ -s "$d/initrd.img" ] && [ -s "$d/kver" ]
}

# Little-endian unsigned integer of $3 bytes at offset $2 of file $1.
le_uint() {
	od --endian=little -An -t "u$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

# bzImage -> ELF vmlinux. The protected-mode code starts after the real-mode
# setup sectors; the boot header's payload_offset/payload_length locate the
# compressed kernel inside it, and its last 4 bytes hold the decompressed
# size, which we use to verify the result.
extract_vmlinux() {
	local bz=$1 out=$2 magic setup_sects poff plen start want
	[ "$(od -An -c -j $((0x202)) -N4 "$bz" | tr -d ' ')" = HdrS ] ||
		die "$bz: not a bzImage (no HdrS header)"
	setup_sects=$(le_uint "$bz" $((0x1f1)) 1)
	[ "$setup_sects" -ne 0 ] || setup_sects=4
	poff=$(le_uint "$bz" $((0x248)) 4)
	plen=$(le_uint "$bz" $((0x24c)) 4)
	start=$(((setup_sects + 1) * 512 + poff))
	magic=$(od -An -tx1 -j "$start" -N6 "$bz" | tr -d ' \n')
	want=$(le_uint "$bz" $((start + plen - 4)) 4)

	local -a dec
	case $magic in
	fd377a585a00*) dec=(xz -dc --single-stream) ;;
	1f8b*) dec=(gzip -dc) ;;
	28b52ffd*) dec=(zstd -dcq) ;;
	425a68*) dec=(bzip2 -dc) ;;
	02214c18*) dec=(lz4 -dc) ;;
	5d0000*) dec=(xz -dc --format=lzma) ;;
	*) die "$bz: unknown payload compression (magic $magic)" ;;
	esac
	# Decompressors other than xz complain about the trailing size word;
	# the size and ELF checks below are what decide success.
	tail -c +"$((start + 1))" "$bz" | head -c "$plen" |
		"${dec[@]}" >"$out" 2>/dev/null || true
	[ "$(stat -c %s "$out")" = "$want" ] ||
		die "$bz: decompressed ${dec[0]} payload is $(stat -c %s "$out") bytes, header says $want"
	[ "$(od -An -c -N4 "$out" | tr -d ' ')" = 177ELF ] ||
		die "$bz: payload is not an ELF image"
}

# apt-get download/apt-cache need package lists; update only when missing.
apt_retry() {
	"$@" && return 0
	log "'$*' failed; running apt-get update and retrying"
	apt-get update -q >&2 || die "apt-get update failed"
	"$@"
}

kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

write_init() {
	cat >"$1/init" <<'EOF'
#!/bin/sh
# Test guest init: mount, load NIC modules, configure eth0 from the kernel
# command line (xvs.ip=CIDR xvs.ip6=CIDR xvs.mtu=N xvs.hostname=NAME), then
# serve commands on ttyS1 forever (the console, ttyS0, gets kernel messages).
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm /run
mount -t devpts devpts /dev/pts

while read -r m; do
	insmod "/lib/modules/$m" || echo "xvs-init: insmod $m failed"
done </etc/xvs/modules

ip link set lo up
for arg in $(cat /proc/cmdline); do
	case $arg in
	xvs.ip=*) ip4=${arg#*=} ;;
	xvs.ip6=*) ip6=${arg#*=} ;;
	xvs.mtu=*) mtu=${arg#*=} ;;
	xvs.hostname=*) hostname "${arg#*=}" ;;
	esac
done
if [ -e /sys/class/net/eth0 ]; then
	[ -n "$mtu" ] && ip link set eth0 mtu "$mtu"
	[ -n "$ip4" ] && ip addr add "$ip4" dev eth0
	# No DAD: the address is usable at once, tests need not wait 1-2 s
	# (busybox ip has no "nodad").
	echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad
	[ -n "$ip6" ] && ip -6 addr add "$ip6" dev eth0
	ip link set eth0 up
fi

# raw: no echo, no line editing, no CR/LF mangling, no signal characters;
# clocal: a modem-status change must never hang up the channel.
stty -F /dev/ttyS1 raw -echo clocal
echo "XVS_GUEST_READY $(uname -r)"
while :; do
	/bin/xvs-agent </dev/ttyS1 >/dev/ttyS1 2>/dev/console
	echo "xvs-init: agent exited with $?, restarting"
	sleep 1
done
EOF
	cat >"$1/bin/xvs-agent" <<'EOF'
#!/bin/sh
# One request per line: "<nonce> <timeout-s> <base64 command>". The reply is
# framed by nonce-tagged lines so no command output can end it early:
#   XVS-OUT <nonce> / base64 stdout / XVS-ERR <nonce> / base64 stderr /
#   XVS-RC <nonce> <status> done|timeout
# A watchdog kills a command that outlives its timeout, so a hung command
# cannot wedge the channel for the calls that follow. It reports the kill
# itself: the guest's clock may run off under a loaded TCG host, so the
# caller cannot tell a timeout from the elapsed time.
#
# No `wait` builtin here: busybox ash's can miss a child that exits while
# another one runs and then block until the next child exits. A foreground
# command is waited for safely.
cd /root
while read -r nonce tmo cmd; do
	[ -n "$cmd" ] || continue
	f=/tmp/.xvs-$nonce
	echo "$cmd" | base64 -d >"$f.sh"
	: >"$f.pid"
	setsid sh -c 'sleep "$1"; touch "$2.tmo"; kill -KILL -- "-$(cat "$2.pid")"' \
		sh "$tmo" "$f" </dev/null >/dev/null 2>&1 &
	wd=$!
	# Without job control a child is no group leader, so setsid needs no
	# fork: the command leads a new process group, and the watchdog's kill
	# takes its children too.
	setsid sh -c 'echo $$ >"$1.pid"; exec sh "$1.sh"' sh "$f" \
		</dev/null >"$f.out" 2>"$f.err"
	rc=$?
	kill -KILL -- "-$wd" 2>/dev/null
	how=done
	[ -e "$f.tmo" ] && how=timeout
	echo "XVS-OUT $nonce"
	base64 "$f.out"
	echo "XVS-ERR $nonce"
	base64 "$f.err"
	echo "XVS-RC $nonce $rc $how"
	rm -f "$f.sh" "$f.out" "$f.err" "$f.pid" "$f.tmo"
done
EOF
	chmod 755 "$1/init" "$1/bin/xvs-agent"
}

build() {
	local out=$1 work=$2 pkg kver root mod m
	pkg=$(apt_retry kernel_pkg) || die "apt-cache depends linux-image-amd64 failed"
	[ -n "$pkg" ] || die "no linux-image-<version>-amd64 dependency of linux-image-amd64"
	log "downloading $pkg"
	# Sandbox user root: _apt cannot write into our root-owned temp dir.
	(cd "$work" && apt_retry apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
	root=$work/root
	# dpkg -x, not dpkg -i: installing would run a slow initramfs build.
	dpkg -x "$work"/"$pkg"_*.deb "$root"
	kver=${pkg#linux-image-}
	[ -d "$root/lib/modules/$kver" ] || die "$pkg has no lib/modules/$kver"

	cp "$root/boot/vmlinuz-$kver" "$out/bzImage"
	extract_vmlinux "$out/bzImage" "$out/vmlinux"
	echo "$kver" >"$out/kver"

	# dpkg -x skips the package's depmod, so modules.dep must be made here.
	depmod -b "$root" "$kver"
	local ird=$work/initrd
	mkdir -p "$ird"/{bin,sbin,usr/bin,usr/sbin,etc/xvs,proc,sys,dev,tmp,root,run,lib/modules}
	cp /bin/busybox "$ird/bin/busybox"
	local a
	for a in $(/bin/busybox --list-full); do
		[ -e "$ird/$a" ] || ln -s /bin/busybox "$ird/$a"
	done
	# The kernel opens /dev/console for init before devtmpfs is mounted.
	mknod -m 600 "$ird/dev/console" c 5 1 ||
		die "mknod failed: building the initramfs needs root"

	# virtio_pci is a bus driver, not a symbol dependency of virtio_net, so
	# it must be asked for separately. Builtins print "builtin ..." and are
	# skipped.
	: >"$ird/etc/xvs/modules"
	for m in virtio_pci virtio_net af_packet; do
		modprobe -S "$kver" -d "$root" --show-depends "$m" ||
			die "modprobe --show-depends $m failed"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r mod; do
			local base
			base=$(basename "$mod")
			case $base in
			*.ko.xz) xz -dc "$mod" >"$ird/lib/modules/${base%.xz}" ;;
			*.ko.zst) zstd -dcq "$mod" >"$ird/lib/modules/${base%.zst}" ;;
			*.ko.gz) gzip -dc "$mod" >"$ird/lib/modules/${base%.gz}" ;;
			*.ko) cp "$mod" "$ird/lib/modules/$base" ;;
			*) die "unexpected module file $mod" ;;
			esac
			basename "$base" | sed 's/\.ko\..*$/.ko/' >>"$ird/etc/xvs/modules"
		done
	grep -q '^virtio_net\.ko$' "$ird/etc/xvs/modules" ||
		die "virtio_net is missing from the module list"

	write_init "$ird"
	# Uncompressed: the guest would otherwise spend TCG time inflating it.
	(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) >"$out/initrd.img"
	log "kernel $kver, modules: $(tr '\n' ' ' <"$ird/etc/xvs/modules")"
	echo "$HASH" >"$out/stamp"
}

main() {
	mkdir -p "$CACHE"
	if [ "$FORCE" = 0 ] && image_ok "$CACHE/current"; then
		readlink -f "$CACHE/current"
		return
	fi
	exec 9>"$CACHE/.lock"
	flock 9
	# Another caller may have finished the build while we waited.
	if [ "$FORCE" = 0 ] && image_ok "$CACHE/current"; then
		readlink -f "$CACHE/current"
		return
	fi

	# Globals: the EXIT trap runs after main's locals are gone.
	TMP_IMG=$(mktemp -d "$CACHE/.new.XXXXXX")
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/xvs-guest-build.XXXXXX")
	trap 'rm -rf "${TMP_IMG:-}" "${WORK:-}"' EXIT
	build "$TMP_IMG" "$WORK"
	chmod 755 "$TMP_IMG"

	rm -rf "${CACHE:?}/$HASH"
	mv -T "$TMP_IMG" "$CACHE/$HASH"
	ln -sfn "$HASH" "$CACHE/.current.new"
	mv -T "$CACHE/.current.new" "$CACHE/current"
	# Images of older versions of this script are garbage now.
	local d
	for d in "$CACHE"/*/; do
		d=${d%/}
		case $(basename "$d") in
		"$HASH" | current) ;;
		*) rm -rf "$d" ;;
		esac
	done
	log "image ready in $CACHE/$HASH"
	echo "$CACHE/$HASH"
}

main
