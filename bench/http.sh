#!/bin/bash
# bench/http.sh - HTTP/1.1 client throughput and peak RSS on loopback: download and upload
# of one large body through polycrate's client and through curl, against a small C server
# (bench/http_server.c) so the client is the bottleneck.
#   bench/http.sh [MiB]   (default 512; best of 3 runs each)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mib=${1:-512}
runs=3
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
[ -x /usr/bin/time ] || { echo "http.sh: needs /usr/bin/time (package time)" >&2; exit 1; }
command -v curl >/dev/null || { echo "http.sh: needs curl" >&2; exit 1; }
[ -f "$vendor/lib/libbearssl.a" ] || make -s vendor
mkdir -p build/bench
W="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter"
musl-gcc $W -static -o build/bench/http_server bench/http_server.c
musl-gcc $W -DPOLYCRATE_VERSION='"bench"' -Isrc -static -o build/bench/http_bench \
	bench/http_bench.c src/http.c src/net.c src/io.c src/err.c src/buf.c src/log.c

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
data=$(mktemp "$shm/http-bench.XXXXXX")
fifo=$(mktemp -u "$shm/http-bench-port.XXXXXX")
srv=""
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	rm -f "$data" "$data.rss" "$data.out" "$fifo"
}
trap cleanup EXIT
bytes=$((mib * 1024 * 1024))
head -c "$bytes" /dev/zero >"$data"
build/bench/http_server >"$fifo" &
srv=$!
for _ in $(seq 50); do [ -s "$fifo" ] && break; sleep 0.1; done
port=$(cat "$fifo")
url="http://127.0.0.1:$port"

# run LABEL CMD...: best wall time of $runs runs and peak RSS
run() {
	local label=$1 best="" rss=0 t0 t1 ms r
	shift
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$data.rss" "$@" >"$data.out"
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		{ [ -z "$best" ] || [ "$ms" -lt "$best" ]; } && best=$ms
		r=$(tail -n 1 "$data.rss")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	printf '%-34s %9s %10s %12s\n' "$label" "$best" \
		"$(awk -v b="$bytes" -v ms="$best" 'BEGIN { printf "%.0f", b / 1e6 / (ms / 1e3) }')" \
		"$rss"
}

cv=$(curl --version | head -n1 | awk '{print $2}')
echo "HTTP/1.1 over loopback, $mib MiB body, best of $runs runs; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
printf '%-34s %9s %10s %12s\n' transfer ms MB/s "peak RSS KiB"
run "download polycrate (static musl)" build/bench/http_bench get "$url/$bytes"
grep -q "^200 $bytes\$" "$data.out" || { echo "http.sh: short download: $(cat "$data.out")" >&2; exit 1; }
run "download curl $cv" curl -sS -o /dev/null "$url/$bytes"
run "upload polycrate (static musl)" build/bench/http_bench put "$url/up" "$data"
grep -q "^201 0\$" "$data.out" || { echo "http.sh: upload failed: $(cat "$data.out")" >&2; exit 1; }
run "upload curl $cv" curl -sS -o /dev/null -T "$data" "$url/up"
