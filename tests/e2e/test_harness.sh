#!/bin/bash
# test_harness.sh - the shared helpers themselves: registries in each mode, namespaces
. "$(dirname "$0")/../lib.sh"
t_init harness

ping() { # url [curl args...]: prints the HTTP status of GET url
	local u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 --noproxy '*' "$@" "$u"
}

if t_registry plain; then
	t_ok "plain registry starts"
	t_eq "plain /v2/ is open" "$(ping "http://$REG_ADDR/v2/")" 200
	t_registry_stop
	if kill -0 "$REG_PID" 2>/dev/null; then t_fail "registry stopped by PID"; else t_ok "registry stopped by PID"; fi
else
	t_fail "plain registry starts"
fi

if t_registry htpasswd; then
	t_ok "htpasswd registry starts"
	t_eq "htpasswd /v2/ wants auth" "$(ping "http://$REG_ADDR/v2/")" 401
	t_eq "htpasswd bcrypt login" "$(ping "http://$REG_ADDR/v2/" -u tester:secret-pw)" 200
	t_eq "htpasswd wrong password" "$(ping "http://$REG_ADDR/v2/" -u tester:nope)" 401
	t_contains "entry is bcrypt" "$(cat "$REG_DIR/htpasswd")" 'tester:$2y$'
else
	t_fail "htpasswd registry starts"
fi

if t_registry tls; then
	t_ok "tls registry starts"
	t_eq "tls by name" "$(ping "https://localhost:$REG_PORT/v2/" --cacert "$REG_DIR/tls/ca.crt")" 200
	t_eq "tls by IP SAN" "$(ping "https://127.0.0.1:$REG_PORT/v2/" --cacert "$REG_DIR/tls/ca.crt")" 200
	t_eq "tls unknown CA refused" "$(ping "https://localhost:$REG_PORT/v2/")" 000
else
	t_fail "tls registry starts"
fi

if t_token_server && t_registry token; then
	t_ok "token registry starts"
	t_eq "token /v2/ wants a token" "$(ping "http://$REG_ADDR/v2/")" 401
	chal=$(curl -s -D - -o /dev/null --noproxy '*' "http://$REG_ADDR/v2/" | grep -i '^www-authenticate' | tr -d '\r')
	t_contains "bearer challenge names the realm" "$chal" "Bearer realm=\"$REG_TOKEN_REALM\""
	tok=$(curl -s --noproxy '*' -u tester:secret-pw "$REG_TOKEN_REALM?service=polycrate-test&scope=repository:x/y:pull,push" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
	t_eq "token opens /v2/" "$(ping "http://$REG_ADDR/v2/" -H "Authorization: Bearer $tok")" 200
	t_eq "anonymous token refused" "$(ping "$REG_TOKEN_REALM?service=polycrate-test&scope=repository:x/y:pull")" 401
	t_contains "scopes recorded" "$(cat "$TOK_DIR/requests.jsonl")" '"repository:x/y:pull,push"'
else
	t_fail "token registry starts"
fi

if t_netns_ok; then
	out=$(t_in_netns "cargo.ayedo.cloud my-registry.com" sh -c 'getent hosts cargo.ayedo.cloud; ip -o link show | wc -l')
	t_contains "netns maps seed names" "$out" "127.0.0.1"
	t_contains "netns has only loopback" "$out" $'\n1'
	out=$(t_in_netns "" sh -c 'curl -s -o /dev/null -w "%{http_code}" --max-time 2 http://192.0.2.1/ || true')
	t_eq "netns cannot reach outside" "$out" "000"
else
	t_skip "no namespaces here"
fi
t_done
