#!/bin/bash
# tests/registry_env.sh - the registries the registry tests talk to: starts them on 127.0.0.1,
# prints KEY=VALUE lines and READY, and stops everything when its stdin closes (the test
# program that started it ended, however it ended).
#   PLAIN   plain docker-registry          PLAIN_DIR  its folder (data/, log)
#   HTP     htpasswd registry (tester / secret-pw)
#   TLS     TLS registry (name localhost; CA in TLS_CA)
#   TOKEN   Bearer token registry (tester / secret-pw at tests/token_server.py)
#   COUNT   fault proxy in front of PLAIN, counting requests (/_f/stats, /_f/reset)
#   BIG413  fault proxy in front of PLAIN that answers 413 to PUT/PATCH bodies > 1 MiB
#   MINCHUNK fault proxy in front of PLAIN that asks for OCI-Chunk-Min-Length 2097152
#   DEAD    a port where nothing listens
. "$(dirname "$0")/lib.sh"
t_init registry-env

proxy() { # name args...: a fault proxy; prints NAME=127.0.0.1:PORT
	local name=$1 pf="$T_TMP/$1.port" i
	shift
	"$PY" "$TOP/tests/fault_server.py" --timeout 1800 --port-file "$pf" "$@" \
		>"$T_TMP/$name.log" 2>&1 &
	T_PIDS+=("$!")
	for i in $(seq 1 100); do
		[ -s "$pf" ] && break
		sleep 0.1
	done
	[ -s "$pf" ] || { echo "ERROR $name did not start" && cat "$T_TMP/$name.log"; exit 1; }
	echo "$name=127.0.0.1:$(cut -d' ' -f1 "$pf")"
}

t_registry plain || { echo "ERROR plain registry"; exit 1; }
echo "PLAIN=$REG_ADDR"
echo "PLAIN_DIR=$REG_DIR"
plain=$REG_ADDR
t_registry htpasswd || { echo "ERROR htpasswd registry"; exit 1; }
echo "HTP=$REG_ADDR"
t_registry tls || { echo "ERROR tls registry"; exit 1; }
echo "TLS=$REG_ADDR"
echo "TLS_PORT=$REG_PORT"
echo "TLS_CA=$REG_DIR/tls/ca.crt"
t_token_server || { echo "ERROR token server"; exit 1; }
t_registry token || { echo "ERROR token registry"; exit 1; }
echo "TOKEN=$REG_ADDR"
proxy COUNT --upstream "http://$plain"
proxy BIG413 --upstream "http://$plain" --max-put 1048576
proxy MINCHUNK --upstream "http://$plain" --chunk-min-length 2097152
echo "DEAD=127.0.0.1:$(t_free_port)"
echo "TMP=$T_TMP"
echo READY
# Bounded: the tests take a few minutes at most.
read -r -t 1800 _ || true
