#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every test: C unit tests (cmocka) and source checks (scripts
# tests/<suite>/check_*.sh, such as the layering check), BPF_PROG_TEST_RUN
# fixtures, bats integration tests; then the unit tests and the vhost-user
# attack tests again on the sanitizer build (ASan + UBSan: `make SAN=1`),
# and each fuzzer for a short while (tests/fuzz/run.sh). Every suite reports TAP; this
# script streams it, keeps a log per suite under build/test-logs/, and ends
# with the line
#   N passed, N failed, N skipped
# Exit status is non-zero if anything failed.
#
#   tests/run.sh [unit|bpf|bats|san-unit|san-bats|fuzz]... [-f REGEX]
#                                      (default: all suites, in this order)
#
# BUILD (build), SAN_BUILD (build-san), FUZZ_BUILD (build-fuzz): the three
# build trees; FUZZ_TEST_SECONDS (16): fuzzing time per target (CI: make test must stay under 30 min).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
san=${SAN_BUILD:-build-san}
case $san in /*) ;; *) san=$top/$san ;; esac
case $build in /*) bin_dir=$build/bin ;; *) bin_dir=$top/$build/bin ;; esac
logs="$build/test-logs"
mkdir -p "$logs"

suites=()
filter=
while [ $# -gt 0 ]; do
	case "$1" in
	unit | bpf | bats | san-unit | san-bats | fuzz) suites+=("$1") ;;
	-f) filter=$2; shift ;;
	*) echo "usage: $0 [unit|bpf|bats|san-unit|san-bats|fuzz]... [-f REGEX]" >&2; exit 2 ;;
	esac
	shift
done
[ ${#suites[@]} -gt 0 ] || suites=(unit bpf bats san-unit san-bats fuzz)

passed=0 failed=0 skipped=0
failures=()

# Count the TAP lines of one suite's log; a non-zero exit with no failing
# line (a crash, a setup failure) counts as one failure.
# each suite's part's time, for the CI budget (make test under 30 min):
# from the previous tally (or the start) to this one
TALLY_AT=$SECONDS
tally() {
	local name=$1 log=$2 rc=$3 p f s
	# a skip is "ok ... # skip" (bats) or "not ok ... # SKIP" (cmocka)
	s=$(grep -ciE '^(not )?ok .*# skip' "$log" | head -1)
	p=$(grep -E '^ok ' "$log" | grep -civE '# skip' | head -1)
	f=$(grep -E '^not ok ' "$log" | grep -civE '# skip' | head -1)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$name: exited with status $rc (see $log)")
	fi
	while IFS= read -r line; do
		failures+=("$name: ${line#not ok }")
	done < <(grep -E '^not ok ' "$log" | grep -viE '# skip')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '# %s: %d passed, %d failed, %d skipped, %d s\n' "$name" "$p" "$f" "$s" \
		$((SECONDS - TALLY_AT))
	TALLY_AT=$SECONDS
}

# run_binary BIN [PREFIX]: PREFIX names the build in the output ("san:").
run_binary() {
	local bin=$1 prefix=${2:-} name log rc
	name=$prefix$(basename "$bin")
	[[ -z $filter || $name =~ $filter ]] || return 0
	log="$logs/${name//:/-}.tap"
	echo "# --- $name"
	if [ -z "$prefix" ]; then
		CMOCKA_MESSAGE_OUTPUT=tap timeout 300 "$bin" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	else
		san_reset
		env "${san_vars[@]}" CMOCKA_MESSAGE_OUTPUT=tap timeout 300 "$bin" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		san_reports "$log"
	fi
	tally "$name" "$log" "$rc"
}

# missing NAME WHAT: a suite whose build is missing fails once, saying so.
missing() {
	local log="$logs/${1//:/-}.tap"
	echo "# --- $1"
	echo "not ok 1 - $2" | tee "$log"
	tally "$1" "$log" 1
}

# Sanitizer runs: the first report of any process (a test, xvsd, a tool a
# bats test starts) aborts it and is written to $san_dir/{asan,ubsan}.PID
# rather than to its stderr, which a daemon's test may never show; after
# each test binary or bats file, every report found there is one failure.
# LeakSanitizer stops the process's threads with ptrace at exit, which
# fails when the process is already traced (strace, gdb): leaks are checked
# unless this shell is traced.
san_dir=$san/san-reports
san_leaks=1
if [ "$(awk '/^TracerPid:/ { print $2 }' /proc/self/status)" != 0 ]; then
	san_leaks=0
fi
# XVS_SAN=1 tells a test it runs on the sanitizer build (about 2x slower).
# ASan keeps freed memory in a quarantine: 8 MiB of it, so that a test
# bounding a daemon's RSS growth knows by how much (XVS_SAN_QUARANTINE_KB).
san_vars=(
	XVS_SAN=1
	XVS_SAN_QUARANTINE_KB=8192
	"ASAN_OPTIONS=detect_leaks=$san_leaks:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:quarantine_size_mb=8:log_path=$san_dir/asan"
	"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$san_dir/ubsan"
)
san_note() {
	[ "$san_leaks" = 1 ] ||
		echo "# LeakSanitizer off: this shell is traced (ptrace), LSan cannot work under it"
}

san_reset() {
	rm -rf "$san_dir"
	mkdir -p "$san_dir"
}

# san_reports LOG: one failing TAP line per distinct report (its SUMMARY
# line: a daemon started by every test hits the same bug each time), with
# the first such report as comments, appended to LOG (numbered after its
# last test); the reports are kept in $logs/.
san_reports() {
	local log=$1 f sum last
	local -A seen=()
	for f in "$san_dir"/*; do
		[ -e "$f" ] || continue
		cp "$f" "$logs/"
		sum=$(grep -m1 '^SUMMARY:' "$f") || sum="report $(basename "$f")"
		[ -z "${seen[$sum]:-}" ] || continue
		seen[$sum]=1
		last=$(grep -oE '^(not )?ok [0-9]+' "$log" | awk '{ n = $NF } END { print n + 0 }')
		{
			echo "not ok $((last + 1)) - ${sum#SUMMARY: } (in $(grep -lxF -- "$sum" "$san_dir"/* | wc -l) process(es); $logs/$(basename "$f"))"
			sed 's/^/# /' "$f"
		} | tee -a "$log"
	done
}

for suite in "${suites[@]}"; do
	t0=$SECONDS
	case "$suite" in
	unit | bpf)
		for bin in "$build/tests/$suite"/test_*; do
			[ -x "$bin" ] && run_binary "$bin"
		done
		# checks of the sources, no build needed; a script that lost
		# its exec bit fails rather than being passed over
		for bin in "tests/$suite"/check_*.sh; do
			[ -f "$bin" ] && run_binary "$bin"
		done
		;;
	bats)
		mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
		for file in tests/bats/*.bats; do
			[ -e "$file" ] || continue
			name=$(basename "$file" .bats)
			[[ -z $filter || $name =~ $filter ]] || continue
			log="$logs/$name.tap"
			echo "# --- $name"
			XVS_BIN=${XVS_BIN:-$bin_dir} timeout 900 bats --tap "$file" 2>&1 | tee "$log"
			tally "$name" "$log" "${PIPESTATUS[0]}"
		done
		;;
	san-unit)
		if [ ! -d "$san/tests/unit" ]; then
			missing san:unit "$san/tests/unit missing: make SAN=1"
			continue
		fi
		san_note
		for bin in "$san/tests/unit"/test_*; do
			[ -x "$bin" ] && run_binary "$bin" san:
		done
		;;
	san-bats)
		# the vhost-user attack tests: every message and ring a front-end
		# or guest can get wrong, against xvsd and tools built with ASan;
		# the L2 isolation tests (FDB, VLANs, the XDP mirror), the
		# daemon's own (config, control socket, reload) and zero-copy's
		# (the kernel writing into guest memory) and the firewall's (rules,
		# conntrack, anti-spoofing and reload with guests)
		if [ ! -x "$san/bin/xvsd" ]; then
			missing san:bats "$san/bin/xvsd missing: make SAN=1"
			continue
		fi
		mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null
		san_note
		for file in tests/bats/vhost_robustness*.bats tests/bats/vhost_attacks*.bats \
			tests/bats/isolation.bats tests/bats/xvsd_daemon.bats tests/bats/ctl_access.bats \
			tests/bats/zero_copy.bats tests/bats/zero_copy_mem.bats tests/bats/firewall.bats; do
			[ -e "$file" ] || continue
			name=san:$(basename "$file" .bats)
			[[ -z $filter || $name =~ $filter ]] || continue
			log="$logs/${name//:/-}.tap"
			echo "# --- $name"
			san_reset
			env "${san_vars[@]}" XVS_BIN="$san/bin" timeout 900 bats --tap "$file" 2>&1 |
				tee "$log"
			rc=${PIPESTATUS[0]}
			san_reports "$log"
			tally "$name" "$log" "$rc"
		done
		;;
	fuzz)
		name=fuzz
		[[ -z $filter || $name =~ $filter ]] || continue
		log="$logs/fuzz.tap"
		echo "# --- fuzz"
		bash tests/fuzz/run.sh -t "${FUZZ_TEST_SECONDS:-16}" 2>&1 | tee "$log"
		tally fuzz "$log" "${PIPESTATUS[0]}"
		;;
	esac
	echo "# suite $suite: $((SECONDS - t0)) s"
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
