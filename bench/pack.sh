#!/bin/bash
# bench/pack.sh - pack and unpack (src/pack.c, static musl build) against GNU tar + gzip -1 in
# the same run: 10 000 small files and one big file; MiB/s of content and peak RSS.
#   FILES (10000) and BIG_MB (1024) set the sizes, LEVEL (1) the gzip level, REPS (2) the
#   runs per cell (best kept). The data lives under TMPDIR (default /tmp).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
FILES=${FILES:-10000}
BIG_MB=${BIG_MB:-1024}
LEVEL=${LEVEL:-1}
REPS=${REPS:-2}
for tool in musl-gcc tar gzip /usr/bin/time /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "pack.sh: $tool missing (tests/deps.sh)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The driver, linked as the shipped binary is: musl, static, build/musl objects, vendored libs.
make -s vendor
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
objs="tar pack pack_extract io buf err log gz digest fs"
make -s $(for o in $objs; do echo "build/musl/$o.o"; done)
mkdir -p build/bench
musl-gcc -std=c11 -D_GNU_SOURCE -O2 -static -Isrc -I"$vendor/include" -o build/bench/pack_bench \
	bench/pack_bench.c $(for o in $objs; do echo "build/musl/$o.o"; done) \
	"$vendor/lib/libbearssl.a" "$vendor/lib/libz.a"
ours=$top/build/bench/pack_bench

# Text-like content: licenses, C headers and sources in a fixed order.
{
	cat /usr/share/common-licenses/*
	find /usr/include src tests -type f \( -name '*.h' -o -name '*.c' \) -print0 |
		LC_ALL=C sort -z | xargs -0 cat
} 2>/dev/null | head -c $((32 << 20)) >"$work/corpus"
# small: FILES files of 200..4200 bytes in 100 folders; big: BIG_MB MiB of the corpus, repeated
/usr/bin/python3 - "$work/corpus" "$work/small" "$FILES" <<'EOF'
import os, sys
corpus = open(sys.argv[1], 'rb').read()
root, n = sys.argv[2], int(sys.argv[3])
off = 0
for i in range(n):
    d = os.path.join(root, 'dir%03d' % (i % 100))
    os.makedirs(d, exist_ok=True)
    size = 200 + (i * 7919) % 4000
    with open(os.path.join(d, 'file%05d.txt' % i), 'wb') as f:
        f.write(corpus[off:off + size])
    off = (off + size) % (len(corpus) - 5000)
EOF
mkdir -p "$work/big"
while [ "$(stat -c %s "$work/big/data.bin" 2>/dev/null || echo 0)" -lt $((BIG_MB << 20)) ]; do
	cat "$work/corpus" >>"$work/big/data.bin"
done
truncate -s $((BIG_MB << 20)) "$work/big/data.bin"

# run CMD...: best wall time of REPS runs (microseconds), the peak RSS (KiB) and the CPU
# seconds (user + system) of that run.
# Before each run, prep (a function name in $prep) clears the output.
run() {
	local best="" rss="" cpu="" t0 t1 dt i
	for ((i = 0; i < REPS; i++)); do
		$prep
		t0=$(date +%s%N)
		/usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" >/dev/null
		t1=$(date +%s%N)
		dt=$(((t1 - t0) / 1000))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
			best=$dt
			read -r rss u sy < <(tail -n 1 "$work/rss")
			cpu=$(awk -v u="$u" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')
		fi
	done
	echo "$best $rss $cpu"
}

row() { # data op tool content_bytes out_bytes usec rss cpu
	awk -v d="$1" -v op="$2" -v t="$3" -v c="$4" -v o="$5" -v us="$6" -v r="$7" -v cpu="$8" \
		'BEGIN { printf "| %-6s | %-6s | %-22s | %11.1f | %8.1f | %7.1f | %7.2f | %7d |\n",
			d, op, t, c / 1048576, o / 1048576, c / 1048576 / (us / 1e6), cpu, r }'
}

content() { du -sb --apparent-size "$1" | cut -f1; }
size() { stat -c %s "$1"; }
clear_out() { rm -rf "$work/out"; }
clear_gnu() { rm -rf "$work/out"; mkdir "$work/out"; }

echo "pack benchmark: $FILES small files, one $BIG_MB MiB file, gzip level $LEVEL, best of" \
	"$REPS, $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| data   | op     | tool                   | content MiB | blob MiB |   MiB/s |   CPU s | RSS KiB |"
echo "|--------|--------|------------------------|-------------|----------|---------|---------|---------|"
for data in small big; do
	src=$work/$data
	c=$(content "$src")
	prep=true
	read -r us rss cpu < <(run "$ours" pack "$src" "$work/$data.ours.tgz" "$LEVEL")
	row "$data" pack "polycrate pack_block" "$c" "$(size "$work/$data.ours.tgz")" "$us" "$rss" "$cpu"
	read -r us rss cpu < <(run bash -c "tar -C '$src' -cf - . | gzip -n -$LEVEL > '$work/$data.gnu.tgz'")
	row "$data" pack "GNU tar + gzip -$LEVEL" "$c" "$(size "$work/$data.gnu.tgz")" "$us" "$rss" "$cpu"
	prep=clear_out
	read -r us rss cpu < <(run "$ours" unpack "$work/$data.ours.tgz" "$work/out")
	row "$data" unpack "polycrate pack_unpack" "$c" "$(size "$work/$data.ours.tgz")" "$us" "$rss" "$cpu"
	diff -r "$src" "$work/out" >/dev/null || { echo "pack.sh: round trip differs" >&2; exit 1; }
	prep=clear_gnu
	read -r us rss cpu < <(run bash -c "gzip -dc '$work/$data.gnu.tgz' | tar -C '$work/out' -xf -")
	row "$data" unpack "gzip -d + GNU tar -x" "$c" "$(size "$work/$data.gnu.tgz")" "$us" "$rss" "$cpu"
	rm -rf "$work/out" "$work/$data.ours.tgz" "$work/$data.gnu.tgz"
done
echo
echo "MiB/s counts file content (not tar or gzip bytes) over wall time; CPU s is user + system"
echo "time (steadier than wall time on a shared machine). The GNU rows are a pipeline: its RSS"
echo "is that of its largest process, its CPU the sum. Both write into the page cache (no fsync)."
