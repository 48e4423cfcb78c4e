#!/bin/bash
# Runs libFuzzer targets side by side and says how each did.
#
#   run-fuzzers.sh BIN_DIR OUT_DIR SECONDS JOBS MODE TARGET...
#
# MODE "test": each target runs SECONDS on the committed seed corpus (new
#   inputs go to a scratch directory, wiped first), after replaying every
#   file of tests/fuzz/regressions/<target>/.
# MODE "long": each target runs SECONDS on a working corpus in
#   OUT_DIR/corpus/<target>, seeded from (and kept apart from) the committed
#   one; `make fuzz-merge` folds what it found back, minimised.
#
# A crash, leak, timeout or broken invariant fails the run: its log tail
# (the sanitizer's report and stack) is printed, and the input is kept in
# OUT_DIR/artifacts/<target>/. Exit status: 0 when every target passed.
set -u

bin_dir=$1 out=$2 seconds=$3 jobs=$4 mode=$5
shift 5
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

mkdir -p "$out/logs"

run_one() {
	local t=$1 bin="$bin_dir/fuzz_$1" seeds="$here/corpus/$1" work
	local log="$out/logs/$t.log" dict=() regs=()

	[ -f "$here/dict/$t.dict" ] && dict=("-dict=$here/dict/$t.dict")
	mkdir -p "$out/artifacts/$t"
	: >"$log"
	if [ "$mode" = test ]; then
		work="$out/scratch/$t"
		rm -rf "$work"
		if [ -d "$here/regressions/$t" ]; then
			while IFS= read -r -d '' f; do regs+=("$f"); done < <(find "$here/regressions/$t" -type f ! -name '*.md' ! -name '.*' -print0 | sort -z)
		fi
		if [ ${#regs[@]} -gt 0 ]; then
			echo "== replay of ${#regs[@]} regression input(s)" >>"$log"
			"$bin" -artifact_prefix="$out/artifacts/$t/" "${dict[@]}" "${regs[@]}" >>"$log" 2>&1 || return 1
		fi
	else
		work="$out/corpus/$t"
	fi
	mkdir -p "$work"
	echo "== fuzzing for ${seconds}s" >>"$log"
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t/" "${dict[@]}" "$work" "$seeds" >>"$log" 2>&1
}

summary() {
	local t=$1 log="$out/logs/$1.log" runs cov ft corp eps
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
	printf '%-14s %12s execs %8s exec/s  cov %6s  ft %7s  corpus %s\n' "$t" "${runs:-?}" \
		"${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
}

declare -A pid_of status
for t in "$@"; do
	[ -x "$bin_dir/fuzz_$t" ] || { echo "run-fuzzers: no $bin_dir/fuzz_$t" >&2; exit 2; }
done
start=$(date +%s)
running=0
for t in "$@"; do
	while [ "$running" -ge "$jobs" ]; do
		wait -n
		running=$((running - 1))
	done
	echo "fuzz: $t (${seconds}s, log $out/logs/$t.log)"
	run_one "$t" &
	pid_of[$t]=$!
	running=$((running + 1))
done
fail=0
for t in "$@"; do
	if wait "${pid_of[$t]}"; then status[$t]=ok; else status[$t]=FAILED; fail=1; fi
done
echo "fuzz: done in $(($(date +%s) - start))s"
for t in "$@"; do
	printf '%-7s ' "${status[$t]}"
	summary "$t"
done
for t in "$@"; do
	[ "${status[$t]}" = ok ] && continue
	echo
	echo "==== fuzz_$t FAILED: log $out/logs/$t.log, inputs in $out/artifacts/$t/"
	grep -n -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken|SUMMARY' "$out/logs/$t.log" || true
	tail -n 60 "$out/logs/$t.log"
	ls -l "$out/artifacts/$t/" 2>/dev/null
done
exit $fail
