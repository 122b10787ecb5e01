#!/bin/bash
# tests/fuzz/run.sh SECONDS - run each libFuzzer target for SECONDS under ASan/UBSan, seeded
# from tests/fuzz/seeds/<target>/ and its regression cases tests/fuzz/crashes/<target>/.
set -u
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
for bin in "$top"/build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus="$top/build/fuzz/corpus-$name"
	mkdir -p "$corpus"
	seeds="$top/tests/fuzz/seeds/$name"
	crashes="$top/tests/fuzz/crashes/$name"
	# regression cases first: each must run clean
	if [ -d "$crashes" ] && [ -n "$(ls -A "$crashes")" ]; then
		if "$bin" "$crashes"/* >"$corpus.regress.log" 2>&1; then
			pass=$((pass + 1))
		else
			echo "FAIL $name: a regression case crashes again (see $corpus.regress.log)"
			tail -n 30 "$corpus.regress.log"
			fail=$((fail + 1))
		fi
	fi
	dirs=("$corpus")
	[ -d "$seeds" ] && dirs+=("$seeds")
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$top/build/fuzz/$name-" "${dirs[@]}" >"$corpus.log" 2>&1; then
		echo "$name: $(grep -E '^#[0-9]+.*(DONE|pulse)' "$corpus.log" | tail -n 1)"
		pass=$((pass + 1))
	else
		echo "FAIL $name: crash found (artifact in build/fuzz/, log $corpus.log)"
		grep -E 'ERROR|SUMMARY|runtime error' "$corpus.log" | head -n 5
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
