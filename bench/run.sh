#!/bin/bash
# bench/run.sh [TOPIC...] - run the benchmarks (all bench/<topic>.sh, or the ones named)
# and assemble BENCHMARKS.md from the bench/results-<topic>.md files they write.
set -u
cd "$(dirname "$0")/.." || exit 1
topics=("$@")
if [ ${#topics[@]} -eq 0 ]; then
	for s in bench/*.sh; do
		[ "$(basename "$s")" = run.sh ] && continue
		topics+=("$(basename "$s" .sh)")
	done
fi
for t in "${topics[@]}"; do
	echo "== bench $t"
	bash "bench/$t.sh" || echo "bench $t failed"
done
bench/assemble.sh
