#!/bin/bash
# test_http.sh - tests/fault_server.py as the registry tests use it: a counting reverse
# proxy in front of docker-registry (413 on large PUTs, OCI-Chunk-Min-Length), its own
# behaviours through curl, and that it stops on SIGTERM and on its timeout.
. "$(dirname "$0")/../lib.sh"
t_init http

FS="$TOP/tests/fault_server.py"

# fault_start ARGS...: starts the fault server; sets FS_PORT FS_PORT2 FS_PID
fault_start() {
	local pf="$T_TMP/fs.$RANDOM.port" i
	"$PY" "$FS" --port-file "$pf" "$@" >/dev/null 2>&1 &
	FS_PID=$!
	T_PIDS+=("$FS_PID")
	for i in $(seq 1 100); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	read -r FS_PORT FS_PORT2 _ <"$pf" || return 1
}

c() { curl -s --noproxy '*' --max-time 20 "$@"; }

# its own behaviours, as curl sees them
fault_start --timeout 120 || { t_fail "fault server starts"; t_done; }
u="http://127.0.0.1:$FS_PORT"
t_eq "data is the pattern" "$(c "$u/_f/data?size=300" | od -An -tu1 | tr -s ' \n' ' ' | cut -d' ' -f2-4,252-254)" "0 1 2 250 0 1"
t_eq "range is honoured" "$(c -r 251- "$u/_f/data?size=260" | od -An -tu1 | tr -s ' \n' ' ' | cut -d' ' -f2-3)" "0 1"
t_eq "chunked body" "$(c "$u/_f/data?size=10000&chunked=1" | wc -c)" 10000
t_eq "drop breaks the body" "$(c "$u/_f/drop?size=100000&after=5000&id=e2e" | wc -c)" 5000
t_eq "drop only K times" "$(c "$u/_f/drop?size=100000&after=5000&id=e2e" | wc -c)" 100000
t_eq "503 first" "$(c -o /dev/null -w '%{http_code}' "$u/_f/status?code=503&id=s&retry_after=2")" 503
t_eq "then 200" "$(c -o /dev/null -w '%{http_code}' "$u/_f/status?code=503&id=s")" 200
t_contains "Retry-After date" "$(c -D - -o /dev/null "$u/_f/status?code=429&id=d&retry_after=date:5")" "GMT"
t_eq "cross-host redirect drops auth (curl)" "$(c -L -H 'Authorization: Basic eDp5' "$u/_f/cross")" "auth=none"
t_eq "upload counts bytes" "$(head -c 12345 /dev/zero | c -T - "$u/_f/upload" | grep -o '"bytes": [0-9]*')" '"bytes": 12345'
t_eq "upload max gives 413" "$(head -c 2000 /dev/zero | c -o /dev/null -w '%{http_code}' -T - "$u/_f/upload?max=1000")" 413
t_contains "stats count requests" "$(c "$u/_f/stats")" '"GET /_f/drop": 2'
c "$u/_f/reset" >/dev/null
t_contains "reset zeroes" "$(c "$u/_f/stats")" '"requests": 0'
kill "$FS_PID"
wait "$FS_PID" 2>/dev/null
if kill -0 "$FS_PID" 2>/dev/null; then t_fail "stops on SIGTERM"; else t_ok "stops on SIGTERM"; fi

# it stops by itself after --timeout
fault_start --timeout 1 || t_fail "fault server starts (timeout)"
sleep 2.5
if kill -0 "$FS_PID" 2>/dev/null; then t_fail "stops after --timeout"; else t_ok "stops after --timeout"; fi

# TLS on the main listener (for faults over HTTPS)
if t_mkca "$T_TMP/ca" localhost 127.0.0.1 && fault_start --timeout 120 \
	--tls-cert "$T_TMP/ca/server.crt" --tls-key "$T_TMP/ca/server.key"; then
	u="https://localhost:$FS_PORT"
	t_eq "TLS data" "$(c --cacert "$T_TMP/ca/ca.crt" "$u/_f/data?size=70000" | wc -c)" 70000
	t_eq "TLS drop" "$(c --cacert "$T_TMP/ca/ca.crt" "$u/_f/drop?size=70000&after=3000" | wc -c)" 3000
	t_eq "TLS by IP" "$(c --cacert "$T_TMP/ca/ca.crt" "https://127.0.0.1:$FS_PORT/_f/data?size=5" | wc -c)" 5
	t_eq "second listener stays plain" "$(c "http://127.0.0.1:$FS_PORT2/_f/authcheck")" "auth=none"
	kill "$FS_PID"
else
	t_fail "TLS fault server starts"
fi

# a reverse proxy in front of a real registry
if t_registry plain; then
	fault_start --timeout 120 --upstream "http://$REG_ADDR" --max-put 4096 \
		--chunk-min-length 1234 || t_fail "proxy starts"
	p="http://127.0.0.1:$FS_PORT"
	t_eq "proxied /v2/" "$(c -o /dev/null -w '%{http_code}' "$p/v2/")" 200
	hdrs=$(c -D - -o /dev/null -X POST "$p/v2/e2e/blob/blobs/uploads/")
	t_contains "upload session via proxy" "$hdrs" "202"
	t_contains "OCI-Chunk-Min-Length added" "$hdrs" "OCI-Chunk-Min-Length: 1234"
	loc=$(printf '%s\n' "$hdrs" | tr -d '\r' | sed -n 's/^Location: //Ip' | head -n 1)
	case "$loc" in /*) loc="$p$loc" ;; esac
	loc=$(printf '%s' "$loc" | sed "s#//127.0.0.1:$REG_PORT#//127.0.0.1:$FS_PORT#")
	printf 'small blob' >"$T_TMP/small"
	dg="sha256:$(sha256sum "$T_TMP/small" | cut -d' ' -f1)"
	sep='?'
	case "$loc" in *\?*) sep='&' ;; esac
	t_eq "small PUT passes" "$(c -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$T_TMP/small" \
		-H 'Content-Type: application/octet-stream' "$loc${sep}digest=$dg")" 201
	t_eq "blob readable via proxy" "$(c "$p/v2/e2e/blob/blobs/$dg")" "small blob"
	head -c 10000 /dev/zero >"$T_TMP/big"
	t_eq "large PUT gets 413" "$(c -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$T_TMP/big" \
		"$p/v2/e2e/blob/blobs/uploads/x?digest=sha256:00")" 413
	stats=$(c "$p/_f/stats")
	t_contains "counts per method and path" "$stats" '"POST /v2/e2e/blob/blobs/uploads/": 1'
	t_contains "counts GET /v2/" "$stats" '"GET /v2/": 1'
	# without --max-put: a 2 MB PUT for which curl sends Expect: 100-continue goes through
	# (the proxy neither forwards Expect nor hands the registry's 100 back as the answer)
	fault_start --timeout 120 --upstream "http://$REG_ADDR" || t_fail "second proxy starts"
	p="http://127.0.0.1:$FS_PORT"
	head -c 2000000 /dev/urandom >"$T_TMP/mid"
	dg2="sha256:$(sha256sum "$T_TMP/mid" | cut -d' ' -f1)"
	hdrs=$(c -D - -o /dev/null -X POST "$p/v2/e2e/mid/blobs/uploads/")
	loc=$(printf '%s\n' "$hdrs" | tr -d '\r' | sed -n 's/^Location: //Ip' | head -n 1)
	case "$loc" in /*) loc="$p$loc" ;; esac
	loc=$(printf '%s' "$loc" | sed "s#//127.0.0.1:$REG_PORT#//127.0.0.1:$FS_PORT#")
	sep='?'
	case "$loc" in *\?*) sep='&' ;; esac
	t_eq "2 MB PUT with Expect: 100-continue" "$(c -o /dev/null -w '%{http_code}' -X PUT \
		-H 'Expect: 100-continue' -H 'Content-Type: application/octet-stream' \
		--data-binary @"$T_TMP/mid" "$loc${sep}digest=$dg2")" 201
	t_eq "that blob reads back" "$(c "$p/v2/e2e/mid/blobs/$dg2" | sha256sum | cut -d' ' -f1)" \
		"${dg2#sha256:}"
else
	t_fail "registry starts"
fi
# every resolved address is tried: in a namespace whose /etc/hosts gives localhost as ::1
# first, a server on 127.0.0.1 only is still reached (test_net's localhost cases)
tn="$TOP/build/asan/tests/test_net"
if [ ! -x "$tn" ]; then
	t_skip "build/asan/tests/test_net not built"
elif ! t_netns_ok; then
	t_skip "no network namespaces here"
else
	order=$(t_in_netns "" getent ahosts localhost | awk 'NR == 1 { print $1 }')
	T_OUT=$(t_in_netns "" "$tn" 2>&1)
	case "$T_OUT" in
	*" 0 failed"*) t_ok "net_connect falls back from ::1 to 127.0.0.1 ($order first)" ;;
	*) t_fail "net_connect in a namespace" ;;
	esac
	t_not_contains "localhost resolves to ::1 there" "$T_OUT" "localhost does not resolve"
fi
t_done
