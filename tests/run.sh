#!/bin/bash
# tests/run.sh - run every suite: unit (ASan/UBSan and static musl builds), end to end,
# short fuzz runs, and ThreadSanitizer builds for the threaded paths. Each suite prints its
# own closing line; this prints the total.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pass=0
fail=0
failed=()

run_suite() { # name cmd...
	local name=$1 out rc line p f
	shift
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^(FAIL|SKIP)|ERROR|Sanitizer|runtime error' | head -n 40
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		printf '%s\n' "$out" | tail -n 20
		line="0 passed, 1 failed"
	fi
	echo "$name: $line"
	p=$(echo "$line" | cut -d' ' -f1)
	f=$(echo "$line" | cut -d' ' -f3)
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" -eq 0 ] || failed+=("$name")
}

filter=${1:-}
# ThreadSanitizer (clang 14) cannot map its shadow memory under kernels that randomise more
# address bits: run its programs without address randomisation where setarch can do that
tsan_run=()
if setarch "$(uname -m)" -R true 2>/dev/null; then tsan_run=(setarch "$(uname -m)" -R); fi
for t in build/asan/tests/test_* build/musl/tests/test_* build/tsan/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	pre=()
	case "$t" in build/tsan/*) pre=("${tsan_run[@]}") ;; esac
	run_suite "unit/$(basename "$(dirname "$(dirname "$t")")")/$(basename "$t")" "${pre[@]}" "$t"
done
for t in tests/e2e/test_*.sh; do
	[ -f "$t" ] || continue
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	run_suite "e2e/$(basename "$t" .sh)" bash "$t"
done
# the command layer under ASan/UBSan/LSan too: the suites that drive every command
if [ -x build/asan/polycrate ]; then
	for t in cli blocks run; do
		case "e2e-asan/test_$t" in *"$filter"*) ;; *) continue ;; esac
		run_suite "e2e-asan/test_$t" env POLYCRATE="$top/build/asan/polycrate" \
			ASAN_OPTIONS=detect_leaks=1 bash "tests/e2e/test_$t.sh"
	done
fi
# the threaded paths (packing beside the upload, parallel deflate, workspace update's pool)
# under ThreadSanitizer
if [ -x build/tsan/polycrate ]; then
	for t in blocks run; do
		case "e2e-tsan/test_$t" in *"$filter"*) ;; *) continue ;; esac
		run_suite "e2e-tsan/test_$t" "${tsan_run[@]}" env POLYCRATE="$top/build/tsan/polycrate" \
			TSAN_OPTIONS=halt_on_error=1:exitcode=66 bash "tests/e2e/test_$t.sh"
	done
fi
if [ -z "$filter" ] || [ "$filter" = fuzz ]; then
	run_suite "fuzz (short)" tests/fuzz/run.sh "${FUZZ_SHORT_SECONDS:-5}"
fi

echo
[ ${#failed[@]} -eq 0 ] || echo "failed suites: ${failed[*]}"
echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
