#!/bin/bash
# bench/auth.sh - `polycrate login` against `skopeo login` on 127.0.0.1: a Basic (htpasswd)
# registry and a token registry (tests/token_server.py); wall time (median of N) and peak RSS.
#   bench/auth.sh [N]   (default 15)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-15}
. "$top/tests/lib.sh"
t_init bench-auth
P=${POLYCRATE:-$top/polycrate}
[ -x /usr/bin/time ] || { echo "auth.sh: needs /usr/bin/time (package time)" >&2; exit 1; }
command -v skopeo >/dev/null || { echo "auth.sh: needs skopeo" >&2; exit 1; }
export DOCKER_CONFIG="$T_TMP/docker"

measure() { # label cmd...: "label median_ms max_rss_kib"
	local label=$1 i t0 t1 ms=() rss=0 r
	shift
	for i in $(seq 1 "$n"); do
		t0=$(date +%s%N)
		/usr/bin/time -f %M -o "$T_TMP/rss" "$@" >/dev/null 2>"$T_TMP/err" ||
			{ echo "$label failed:" >&2; cat "$T_TMP/err" >&2; return 1; }
		t1=$(date +%s%N)
		ms+=($(((t1 - t0) / 1000000)))
		r=$(tail -n 1 "$T_TMP/rss")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	printf '| %-44s | %7s | %8s |\n' "$label" \
		"$(printf '%s\n' "${ms[@]}" | sort -n | sed -n "$(((n + 1) / 2))p")" "$rss"
}

echo "| login ($n runs each)                         | median ms | peak RSS KiB |"
echo "|----------------------------------------------|-----------|--------------|"
t_registry htpasswd || exit 1
measure "polycrate login, Basic" "$P" login "$REG_ADDR" -u tester -p secret-pw
# the same with a one-certificate trust store: what loading the system bundle costs
t_mkca "$T_TMP/ca" localhost >/dev/null 2>&1
SSL_CERT_FILE="$T_TMP/ca/ca.crt" measure "polycrate login, Basic, 1-CA SSL_CERT_FILE" "$P" \
	login "$REG_ADDR" -u tester -p secret-pw
measure "skopeo login, Basic" env DOCKER_CONFIG="$T_TMP/skopeo" \
	sh -c 'rm -f "$1"; exec skopeo login --tls-verify=false \
	--authfile "$1" -u tester -p secret-pw "$2"' sh "$T_TMP/auth.json" "$REG_ADDR"
t_registry_stop
t_token_server && t_registry token || exit 1
measure "polycrate login, token server" "$P" login "$REG_ADDR" -u tester -p secret-pw
# skopeo refuses to log in again over a stored identity token: a fresh auth file each run
measure "skopeo login, token server" env DOCKER_CONFIG="$T_TMP/skopeo" \
	sh -c 'rm -f "$1"; exec skopeo login --tls-verify=false \
	--authfile "$1" -u tester -p secret-pw "$2"' sh "$T_TMP/auth.json" "$REG_ADDR"
