#!/bin/bash
# bench/sha256.sh - SHA-256 throughput and peak RSS: our SHA-NI and portable paths (through
# the file -> digest_in stages), BearSSL, sha256sum and openssl dgst on one file in tmpfs.
#   bench/sha256.sh [MiB]   (default 512; best of 3 runs each)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mib=${1:-512}
runs=3
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
[ -x /usr/bin/time ] || { echo "sha256.sh: needs /usr/bin/time (package time)" >&2; exit 1; }
[ -f "$vendor/lib/libbearssl.a" ] || make -s vendor
mkdir -p build/bench
drv=build/bench/sha256_bench
musl-gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I"$vendor/include" -Isrc -static -o "$drv" bench/sha256_bench.c src/digest.c src/io.c \
	src/err.c src/buf.c src/log.c "$vendor/lib/libbearssl.a"

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
data=$(mktemp "$shm/sha256-bench.XXXXXX")
trap 'rm -f "$data" "$data.out"' EXIT
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$data"
bytes=$(stat -c %s "$data")

# run LABEL CMD...: best wall time of $runs runs, peak RSS, and the digest printed
run() {
	local label=$1 best="" rss=0 t0 t1 ms r hex
	shift
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$data.rss" "$@" "$data" >"$data.out"
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		{ [ -z "$best" ] || [ "$ms" -lt "$best" ]; } && best=$ms
		r=$(cat "$data.rss")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	rm -f "$data.rss"
	hex=$(grep -oE '[0-9a-f]{64}' "$data.out" | head -n 1)
	[ -n "$want" ] || want=$hex
	[ "$hex" = "$want" ] || { echo "sha256.sh: $label gave $hex, expected $want" >&2; exit 1; }
	printf '%-28s %9s %10s %12s\n' "$label" "$best" \
		"$(awk -v b="$bytes" -v ms="$best" 'BEGIN { printf "%.0f", b / 1e6 / (ms / 1e3) }')" \
		"$rss"
}

want=""
echo "SHA-256 of $mib MiB in $shm, best of $runs runs; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), sha_ni: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)"
printf '%-28s %9s %10s %12s\n' tool ms MB/s "peak RSS KiB"
if grep -qw sha_ni /proc/cpuinfo; then
	run "polycrate sha-ni" "$drv" sha-ni
fi
run "polycrate portable" "$drv" portable
run "bearssl br_sha256" "$drv" bearssl
run "sha256sum ($(sha256sum --version | head -n1 | awk '{print $NF}'))" sha256sum
if command -v openssl >/dev/null; then
	run "openssl dgst ($(openssl version | awk '{print $2}'))" openssl dgst -sha256
fi
