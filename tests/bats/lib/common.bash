# SPDX-License-Identifier: GPL-2.0-only
# Shared by every bats file (`load lib/common`):
#
#   XVS_ROOT, XVS_BIN                 repo top, build/bin (put first in PATH)
#   xvs_skip REASON                   skip; in setup_file record REASON and return 1
#   require_setup_file                skip this test if setup_file recorded a reason
#   require_root                      skip unless uid 0
#   require_cmd CMD...                skip unless every CMD is in PATH
#   bpffs_mount                       mount bpffs on /sys/fs/bpf if needed (skip if impossible)
#   wait_until TIMEOUT_S CMD...       run CMD every 0.1 s until it succeeds; 1 on timeout
#   xdp_stat SWITCH NAME [bytes]      print counter NAME's packets (or bytes)
#   xdp_stats_expect SWITCH NAME=N... wait until exactly these counters are
#                                     non-zero with these packet counts
#
# Skipping from setup_file: bats 1.8.2 reports `skip` (and `exit 0`) in
# setup_file as a failure of the whole file. So every require_* here, when
# called from setup_file, records its reason and returns 1 instead; the file
# then returns early and its setup() calls require_setup_file:
#
#	setup_file() {
#		require_root && require_cmd xdp-loader || return 0
#		...
#	}
#	setup() {
#		require_setup_file
#	}
#
# Counters come from `xvsctl -s SWITCH xdp stats`: one "<name> <packets>
# <bytes>" line per counter, "<verdict>" or "<verdict>.<reason>".

XVS_ROOT=${XVS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
XVS_BIN=${XVS_BIN:-$XVS_ROOT/build/bin}
export XVS_ROOT XVS_BIN

case ":$PATH:" in
*":$XVS_BIN:"*) ;;
*) PATH=$XVS_BIN:$PATH ;;
esac
# Debian keeps ip, xdp-loader, bpftool and sysctl in sbin.
for _xvs_dir in /usr/sbin /sbin; do
	case ":$PATH:" in
	*":$_xvs_dir:"*) ;;
	*) PATH=$PATH:$_xvs_dir ;;
	esac
done
unset _xvs_dir
export PATH

_xvs_skip_file() {
	echo "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/xvs-skip-reason"
}

xvs_skip() {
	local f

	if [ -n "${BATS_TEST_NAME:-}" ]; then
		skip "$1"
	fi
	f=$(_xvs_skip_file)
	[ -s "$f" ] || echo "$1" >"$f"
	{ echo "# skipping: $1" >&3; } 2>/dev/null || echo "skipping: $1" >&2
	return 1
}

require_setup_file() {
	local f

	f=$(_xvs_skip_file)
	[ -s "$f" ] || return 0
	skip "$(cat "$f")"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || xvs_skip "needs root (CAP_NET_ADMIN, CAP_BPF)"
}

require_cmd() {
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			xvs_skip "needs '$c', which is not installed (tools/deps.sh installs the project's tools)" ||
			return 1
	done
}

bpffs_mount() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null ||
		xvs_skip "bpffs is not mounted on /sys/fs/bpf and 'mount -t bpf' failed"
}

# wait_until SECONDS CMD...: CMD every 0.1 s until it succeeds, for at most
# SECONDS of wall time (a slow CMD, such as a ping in a guest, is tried
# fewer times, not for longer)
wait_until() {
	local timeout=$1 end

	shift
	end=$((${EPOCHREALTIME/./} + timeout * 1000000))
	while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@" && return 0
	echo "wait_until: '$*' still failing after ${timeout}s" >&2
	return 1
}

xdp_stat() {
	local sw=$1 name=$2 col=2 out

	[ "${3:-}" = bytes ] && col=3
	out=$(xvsctl -s "$sw" xdp stats) || return 1
	awk -v n="$name" -v c="$col" '$1 == n { print $c; found = 1 } END { exit !found }' \
		<<<"$out" && return 0
	echo "xdp_stat: no counter '$name' in 'xvsctl -s $sw xdp stats'" >&2
	return 1
}

# Checks one stats dump ($1) against NAME=N pairs: named counters must have
# exactly N packets, every other counter 0, and each verdict's packets and
# bytes must equal the sums over its reasons. Prints what differs.
_xdp_stats_check() {
	local out=$1

	shift
	awk -v want="$*" '
		BEGIN {
			n = split(want, kv, " ")
			for (i = 1; i <= n; i++) {
				split(kv[i], p, "=")
				wantn[p[1]] = p[2]
			}
		}
		NF == 3 {
			seen[$1] = 1
			if ($1 in wantn) {
				if ($2 + 0 != wantn[$1] + 0)
					printf "%s: %s packets, expected %s\n", $1, $2, wantn[$1]
			} else if ($2 + 0 != 0) {
				printf "%s: %s packets, expected 0\n", $1, $2
			}
			if (index($1, ".")) {
				v = substr($1, 1, index($1, ".") - 1)
				sp[v] += $2
				sb[v] += $3
			} else {
				vp[$1] = $2
				vb[$1] = $3
			}
		}
		END {
			for (k in wantn)
				if (!(k in seen))
					printf "%s: no such counter\n", k
			for (v in vp)
				if (vp[v] + 0 != sp[v] + 0 || vb[v] + 0 != sb[v] + 0)
					printf "%s: %s packets %s bytes, its reasons add up to %s/%s\n",
					       v, vp[v], vb[v], sp[v] + 0, sb[v] + 0
			if (length(vp) != 4)
				printf "expected the verdicts redirect, pass, drop and tx\n"
		}' <<<"$out"
}

xdp_stats_expect() {
	local sw=$1 out diff i

	shift
	for ((i = 0; i < 30; i++)); do
		out=$(xvsctl -s "$sw" xdp stats) || return 1
		diff=$(_xdp_stats_check "$out" "$@")
		[ -z "$diff" ] && return 0
		sleep 0.1
	done
	echo "xdp_stats_expect $*: counters of switch $sw differ:" >&2
	echo "$diff" >&2
	echo "$out" >&2
	return 1
}

# In a subshell about to start a long-lived background process: close every
# inherited fd above 2. bats keeps pipes on several (3, 11-13, 251...); a
# daemon holding one keeps bats' output open and the run never ends.
close_inherited_fds() {
	local fd n
	for fd in /proc/$BASHPID/fd/*; do
		n=${fd##*/}
		[ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-"
	done
	return 0
}
