#!/bin/bash
# bench/assemble.sh - BENCHMARKS.md from the binary's size and bench/results-*.md.
set -u
cd "$(dirname "$0")/.." || exit 1
{
	echo "# Benchmarks"
	echo
	echo "Measured on this project's build machine (2 cores, x86_64), every figure against"
	echo "the named standard tool in the same run. Re-run with \`make bench\`; each section"
	echo "comes from \`bench/results-<topic>.md\`, written by \`bench/<topic>.sh\`."
	echo
	echo "## Binary size"
	echo
	if [ -f bench/results-size.md ]; then
		cat bench/results-size.md
	fi
	for f in bench/results-*.md; do
		[ "$f" = bench/results-size.md ] && continue
		echo
		cat "$f"
	done
} >BENCHMARKS.md
echo "wrote BENCHMARKS.md"
