#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run the libFuzzer targets built by `make fuzz-build` and report TAP, in two
# phases:
#
#   1. fuzzing: each target for SECONDS on a scratch copy of its corpus
#      ($FUZZ_BUILD/corpus/<target>/, seeded from tests/fuzz/<target>/corpus/
#      and kept between runs); whatever it finds is written to
#      $FUZZ_BUILD/artifacts/<target>/ and fails the target's line;
#   2. regression: every saved input in tests/fuzz/<target>/crashes/, run
#      once each; one that still crashes, leaks or hangs fails the target's
#      line. Inputs of bugs not fixed yet fail here until the fix lands.
#
#   tests/fuzz/run.sh [-t SECONDS] [-T TIMEOUT] [TARGET...]   (default: all)
#   tests/fuzz/run.sh --probe     exit 0 if clang can link a libFuzzer target
#
# FUZZ_BUILD: where the fuzzers are (default build-fuzz). TIMEOUT (default
# 5 s) is libFuzzer's per-input -timeout: inputs run in milliseconds.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
fb=${FUZZ_BUILD:-build-fuzz}
clang=${CLANG:-clang}

# A libFuzzer target needs clang's fuzzer runtime (Debian: libclang-rt-14-dev).
probe() {
	local dir rc

	dir=$(mktemp -d)
	echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$dir/p.c"
	"$clang" -fsanitize=fuzzer,address,undefined "$dir/p.c" -o "$dir/p" 2>"$dir/err"
	rc=$?
	[ $rc -eq 0 ] || head -3 "$dir/err" >&2
	rm -rf "$dir"
	return $rc
}

secs=60
tmo=5
targets=()
while [ $# -gt 0 ]; do
	case "$1" in
	--probe) probe; exit ;;
	-t) secs=$2; shift ;;
	-T) tmo=$2; shift ;;
	-*) echo "usage: $0 [-t SECONDS] [-T TIMEOUT] [TARGET...] | --probe" >&2; exit 2 ;;
	*) targets+=("$1") ;;
	esac
	shift
done
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

n=0
failed=0
tap() { # tap ok|not-ok TEXT
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=1; fi
}

# Inputs larger than libFuzzer's default (4096) where the format needs it.
max_len() {
	case "$1" in
	fuzz_vq) echo 16400 ;; # 16-byte header + a 16 KiB guest image
	fuzz_vhost) echo 16384 ;;
	fuzz_offload) echo 65616 ;; # the 10-byte header + a frame past OFL_MAX_LEN (65589)
	fuzz_inflight) echo 4168 ;; # the 8-byte header + a record of 256 entries
	*) echo 4096 ;;
	esac
}

# Seconds for a target: fuzz_inflight's input (one small record and a ring
# it resubmits into) is covered in a fraction of the others' time, and the
# CI's total is near its limit: half.
target_secs() {
	case "$1" in
	fuzz_inflight) echo $(((secs + 1) / 2)) ;;
	*) echo "$secs" ;;
	esac
}

# The interesting part of a libFuzzer log, as TAP comments.
report() {
	grep -E -A30 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|invariant broken|ALARM' \
		"$1" | grep -vE '^(INFO|#[0-9])' | head -40 | sed 's/^/#   /'
}

mkdir -p "$fb"
if ! probe 2>"$fb/probe.err"; then
	reason="no libFuzzer runtime: $clang cannot link -fsanitize=fuzzer ($(head -1 "$fb/probe.err")); install libclang-rt-14-dev (make deps)"
	for t in "${targets[@]}"; do
		n=$((n + 1))
		echo "ok $n - $t # skip $reason"
	done
	echo "1..$n"
	exit 0
fi

echo "# fuzzing: ${secs}s per target, per-input timeout ${tmo}s"
for t in "${targets[@]}"; do
	bin=$fb/$t
	if [ ! -x "$bin" ]; then
		tap not-ok "$t: $bin not built (make fuzz-build)"
		continue
	fi
	corpus=$fb/corpus/$t art=$fb/artifacts/$t log=$fb/logs/$t.log
	mkdir -p "$corpus" "$art" "$fb/logs"
	cp -n tests/fuzz/"$t"/corpus/* "$corpus"/ 2>/dev/null
	ts=$(target_secs "$t")
	nice "$bin" -max_total_time="$ts" -timeout="$tmo" -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$art/" \
		"$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -eq 0 ]; then
		tap ok "$t: ${ts}s, ${runs:-?} inputs, corpus of $(ls "$corpus" | wc -l)"
	else
		found=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
		tap not-ok "$t: found ${found:-a failure (exit $rc)} after ${runs:-?} inputs (log: $log)"
		report "$log"
	fi
done

echo "# regression: saved inputs (tests/fuzz/<target>/crashes/)"
for t in "${targets[@]}"; do
	bin=$fb/$t
	[ -x "$bin" ] || continue
	inputs=(tests/fuzz/"$t"/crashes/*)
	[ -e "${inputs[0]}" ] || continue
	bad=()
	for f in "${inputs[@]}"; do
		log=$fb/logs/$t.regression.$(basename "$f").log
		if nice "$bin" -timeout="$tmo" -rss_limit_mb=2048 "$f" >"$log" 2>&1; then
			echo "#   $f: ok"
		else
			bad+=("$(basename "$f")")
			echo "#   $f: FAILS (log: $log)"
			report "$log"
		fi
	done
	if [ ${#bad[@]} -eq 0 ]; then
		tap ok "$t: ${#inputs[@]} saved inputs pass"
	else
		tap not-ok "$t: ${#bad[@]} of ${#inputs[@]} saved inputs still fail: ${bad[*]}"
	fi
done
echo "1..$n"
exit $failed
