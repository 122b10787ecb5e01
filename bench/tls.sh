#!/bin/bash
# bench/tls.sh - HTTPS download throughput and peak RSS: polycrate's http.c + tls.c (static,
# musl, BearSSL) against curl (OpenSSL), both fetching one file from openssl s_server -WWW on
# 127.0.0.1; AES-GCM (our default where the CPU has AES-NI) and ChaCha20 (forced by the server).
#   bench/tls.sh [MiB]   (default 512; best of 3 runs each)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mib=${1:-512}
runs=3
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
[ -x /usr/bin/time ] || { echo "tls.sh: needs /usr/bin/time (package time)" >&2; exit 1; }
command -v curl >/dev/null || { echo "tls.sh: needs curl" >&2; exit 1; }
[ -f "$vendor/lib/libbearssl.a" ] || make -s vendor
mkdir -p build/bench
drv=build/bench/tls_get
musl-gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I"$vendor/include" -Isrc -static -o "$drv" bench/tls_get.c src/tls.c src/http.c \
	src/net.c src/io.c src/err.c src/buf.c src/log.c "$vendor/lib/libbearssl.a"

shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
work=$(mktemp -d "$shm/tls-bench.XXXXXX")
srv=
cleanup() {
	[ -z "$srv" ] || kill "$srv" 2>/dev/null || true
	[ -z "$srv" ] || wait "$srv" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
bash tests/tls_mkcerts.sh "$work/certs" >/dev/null
mkdir -p "$work/www"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/www/blob"
bytes=$(stat -c %s "$work/www/blob")
export SSL_CERT_FILE="$work/certs/ca.crt"
unset SSL_CERT_DIR HTTPS_PROXY https_proxy HTTP_PROXY http_proxy

free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# server CIPHER: openssl s_server -WWW on a fresh port with only that TLS 1.2 suite
server() {
	[ -z "$srv" ] || { kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; }
	port=$(free_port)
	(cd "$work/www" && exec openssl s_server -accept "127.0.0.1:$port" -quiet -WWW \
		-cert "$work/certs/good.crt" -key "$work/certs/good.key" -cipher "$1" \
		-no_tls1_3) >/dev/null 2>&1 &
	srv=$!
	for _ in $(seq 100); do
		/usr/bin/python3 -c "import socket,sys
sys.exit(socket.socket().connect_ex(('127.0.0.1', $port)))" && return 0
		sleep 0.1
	done
	echo "s_server did not start" >&2
	exit 1
}

# run LABEL CMD...: best wall time of $runs runs, the client's least CPU time (user+sys: its
# own cost, whatever the shared server and machine do), and the highest peak RSS
run() {
	local label=$1 best="" cpu="" rss=0 t0 t1 ms r c
	shift
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		/usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" >"$work/out" 2>"$work/err" ||
			{ echo "$label failed:" >&2; cat "$work/err" >&2; exit 1; }
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		{ [ -z "$best" ] || [ "$ms" -lt "$best" ]; } && best=$ms
		read -r r u s < <(tail -n 1 "$work/rss")
		c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }')
		{ [ -z "$cpu" ] || [ "$c" -lt "$cpu" ]; } && cpu=$c
		[ "$r" -gt "$rss" ] && rss=$r
	done
	awk -v l="$label" -v b="$bytes" -v ms="$best" -v c="$cpu" -v r="$rss" 'BEGIN {
		printf "| %-42s | %7d | %7.0f | %7d | %9.0f | %7d |\n", l, ms,
			b / 1048576 / (ms / 1000), c, b / 1048576 / ((c > 0 ? c : 1) / 1000), r }'
}

url() { echo "https://localhost:$port/blob"; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
flags=$(grep -m1 '^flags' /proc/cpuinfo)
aesni=no
case "$flags" in *" aes "*) case "$flags" in *pclmulqdq*) aesni=yes ;; esac ;; esac

server "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305"
POLYCRATE_LOGLEVEL=2 "$drv" "$(url)" 2>"$work/log" >/dev/null
neg=$(grep -o 'TLS 1.2 with .*' "$work/log" || true)

echo "TLS download of $mib MiB from openssl s_server -WWW on 127.0.0.1 (best of $runs)"
echo "CPU: $cpu; AES-NI+PCLMUL: $aesni"
echo "polycrate negotiated (server offering both, client's order): $neg"
echo
echo "| client, suite                              | wall ms | MiB/s   | CPU ms  | MiB/CPU-s | RSS KiB |"
echo "|--------------------------------------------|---------|---------|---------|-----------|---------|"
server "ECDHE-RSA-AES128-GCM-SHA256"
run "polycrate (BearSSL) ECDHE-RSA-AES128-GCM" "$drv" "$(url)"
run "curl (OpenSSL) ECDHE-RSA-AES128-GCM" curl -sf --cacert "$SSL_CERT_FILE" -o /dev/null "$(url)"
server "ECDHE-RSA-CHACHA20-POLY1305"
run "polycrate (BearSSL) ECDHE-RSA-CHACHA20" "$drv" "$(url)"
run "curl (OpenSSL) ECDHE-RSA-CHACHA20" curl -sf --cacert "$SSL_CERT_FILE" -o /dev/null "$(url)"
