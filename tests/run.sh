#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every test: C unit tests (cmocka), BPF_PROG_TEST_RUN fixtures, bats
# integration tests. Every suite reports TAP; this script streams it, keeps
# a log per suite under build/test-logs/, and ends with the line
#   N passed, N failed, N skipped
# Exit status is non-zero if anything failed.
#
#   tests/run.sh [unit|bpf|bats]... [-f REGEX]   (default: all suites)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
logs="$build/test-logs"
mkdir -p "$logs"

suites=()
filter=
while [ $# -gt 0 ]; do
	case "$1" in
	unit | bpf | bats) suites+=("$1") ;;
	-f) filter=$2; shift ;;
	*) echo "usage: $0 [unit|bpf|bats]... [-f REGEX]" >&2; exit 2 ;;
	esac
	shift
done
[ ${#suites[@]} -gt 0 ] || suites=(unit bpf bats)

passed=0 failed=0 skipped=0
failures=()

# Count the TAP lines of one suite's log; a non-zero exit with no failing
# line (a crash, a setup failure) counts as one failure.
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
	printf '# %s: %d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
}

run_binary() {
	local bin=$1 name log rc
	name=$(basename "$bin")
	[[ -z $filter || $name =~ $filter ]] || return 0
	log="$logs/$name.tap"
	echo "# --- $name"
	CMOCKA_MESSAGE_OUTPUT=tap timeout 300 "$bin" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$name" "$log" "$rc"
}

for suite in "${suites[@]}"; do
	case "$suite" in
	unit | bpf)
		for bin in "$build/tests/$suite"/test_*; do
			[ -x "$bin" ] && run_binary "$bin"
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
			timeout 900 bats --tap "$file" 2>&1 | tee "$log"
			tally "$name" "$log" "${PIPESTATUS[0]}"
		done
		;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
