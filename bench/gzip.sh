#!/bin/bash
# bench/gzip.sh - our gzip stages (src/gz.c, static musl build) against gzip(1) and gunzip(1)
# in the same run: speed, ratio and peak RSS at levels 1, 3, 6, 9 on text-like and random data.
#   TEXT_MB (48) and RAND_MB (16) set the input sizes, REPS (3) the runs per cell (best kept).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
TEXT_MB=${TEXT_MB:-48}
RAND_MB=${RAND_MB:-16}
REPS=${REPS:-3}
for tool in musl-gcc gzip gunzip /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "gzip.sh: $tool missing (tests/deps.sh)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The driver, built as the shipped binary is: musl, static, the vendored zlib.
make -s vendor
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
mkdir -p build/bench
musl-gcc -std=c11 -D_GNU_SOURCE -O2 -static -Isrc -I"$vendor/include" -o build/bench/gzbench \
	bench/gzbench.c src/gz.c src/io.c src/buf.c src/err.c "$vendor/lib/libz.a"
ours=$top/build/bench/gzbench

# Text-like: licenses, C headers and sources, in a fixed order; random: /dev/urandom.
{
	cat /usr/share/common-licenses/*
	find /usr/include src tests -type f \( -name '*.h' -o -name '*.c' -o -name '*.sh' \) \
		-print0 | LC_ALL=C sort -z | xargs -0 cat
} 2>/dev/null | head -c $((TEXT_MB << 20)) >"$work/text"
head -c $((RAND_MB << 20)) /dev/urandom >"$work/random"

# run IN OUT CMD...: best wall time of REPS runs (seconds) and the peak RSS (KB) of that run.
run() {
	local in=$1 out=$2 best="" rss="" t0 t1 dt i
	shift 2
	for ((i = 0; i < REPS; i++)); do
		t0=$(date +%s%N)
		/usr/bin/time -f %M -o "$work/rss" "$@" <"$in" >"$out"
		t1=$(date +%s%N)
		dt=$(((t1 - t0) / 1000))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
			best=$dt
			rss=$(tail -n 1 "$work/rss")
		fi
	done
	echo "$best $rss"
}

size() { stat -c %s "$1"; }

row() { # data tool level in_bytes out_bytes usec rss mb_basis
	awk -v d="$1" -v t="$2" -v l="$3" -v i="$4" -v o="$5" -v us="$6" -v r="$7" -v b="$8" \
		'BEGIN { printf "| %-6s | %-14s | %5s | %8.1f | %8.1f | %6.3f | %7.1f | %7d |\n",
			d, t, l, i / 1048576, o / 1048576, o / i, b / 1048576 / (us / 1e6), r }'
}

echo "gzip benchmark: text ${TEXT_MB} MiB, random ${RAND_MB} MiB, best of $REPS," \
	"$(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| data   | tool           | level |   in MiB |  out MiB |  ratio |   MiB/s | RSS KiB |"
echo "|--------|----------------|-------|----------|----------|--------|---------|---------|"
for data in text random; do
	in=$work/$data
	for level in 1 3 6 9; do
		read -r us rss < <(run "$in" "$work/$data.$level.gz" "$ours" c "$level")
		row "$data" "polycrate gz" "$level" "$(size "$in")" "$(size "$work/$data.$level.gz")" \
			"$us" "$rss" "$(size "$in")"
		# what we write must be what gunzip reads
		gunzip -c <"$work/$data.$level.gz" | cmp -s - "$in" ||
			{ echo "gzip.sh: gunzip disagrees at level $level" >&2; exit 1; }
	done
	for level in 1 6; do
		read -r us rss < <(run "$in" "$work/$data.g$level.gz" gzip -n -"$level")
		row "$data" "gzip -$level" "$level" "$(size "$in")" "$(size "$work/$data.g$level.gz")" \
			"$us" "$rss" "$(size "$in")"
	done
done
echo
echo "Decompression (MiB/s of output), input: gzip -6 of each data set"
echo
echo "| data   | tool           | level |  out MiB |   gz MiB |  ratio |   MiB/s | RSS KiB |"
echo "|--------|----------------|-------|----------|----------|--------|---------|---------|"
for data in text random; do
	gz=$work/$data.g6.gz
	read -r us rss < <(run "$gz" "$work/$data.out" "$ours" d)
	cmp -s "$work/$data.out" "$work/$data" || { echo "gzip.sh: round trip differs" >&2; exit 1; }
	row "$data" "polycrate gunz" 6 "$(size "$work/$data.out")" "$(size "$gz")" "$us" "$rss" \
		"$(size "$work/$data.out")"
	read -r us rss < <(run "$gz" "$work/$data.out" gunzip -c)
	row "$data" "gunzip" 6 "$(size "$work/$data.out")" "$(size "$gz")" "$us" "$rss" \
		"$(size "$work/$data.out")"
done
