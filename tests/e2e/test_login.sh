#!/bin/bash
# test_login.sh - polycrate login/logout against htpasswd and token registries on 127.0.0.1
. "$(dirname "$0")/../lib.sh"
t_init login

export DOCKER_CONFIG="$T_TMP/docker"
CFG="$DOCKER_CONFIG/config.json"
B64=$(printf 'tester:secret-pw' | base64)
mode_of() { stat -c %a "$1" 2>/dev/null; }
jget() { # FILE PYEXPR: evaluates PYEXPR with c = the parsed file
	"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- argument handling (no network) ----
t_rc 2 "login without a registry is a usage error" "$POLYCRATE" login
t_rc 2 "a registry with a path is refused" "$POLYCRATE" login 127.0.0.1:1/some/path -u a -p b
t_contains "the message says why" "$T_OUT" "without a path"
t_rc 2 "--password-stdin needs a user" "$POLYCRATE" login 127.0.0.1:1 --password-stdin </dev/null
t_rc 2 "no password and no terminal" "$POLYCRATE" login 127.0.0.1:1 -u a </dev/null
t_contains "it asks for --password-stdin" "$T_OUT" "--password-stdin"
t_rc 0 "logout when not logged in" "$POLYCRATE" logout 127.0.0.1:1
t_contains "logout says so" "$T_OUT" "Not logged in to 127.0.0.1:1"

# ---- htpasswd (Basic) ----
if t_registry htpasswd; then
	mkdir -p "$DOCKER_CONFIG"
	# a config with other entries and unknown keys that must survive
	cat >"$CFG" <<-'EOF'
	{
		"auths": {
			"other.example": {"auth": "eDp5", "email": "x@example.com"},
			"https://REGADDR": {"auth": "b2xkOm9sZA=="}
		},
		"psFormat": "table {{.ID}}\t{{.Image}}",
		"HttpHeaders": {"User-Agent": "kept"}
	}
	EOF
	sed -i "s/REGADDR/$REG_ADDR/" "$CFG"
	chmod 0644 "$CFG"

	t_rc 0 "login with --password-stdin" \
		sh -c "printf 'secret-pw\n' | '$POLYCRATE' login $REG_ADDR -u tester --password-stdin"
	t_contains "prints Login Succeeded" "$T_STDOUT" "Login Succeeded"
	t_eq "config.json is 0600" "$(mode_of "$CFG")" 600
	t_eq "auth entry written" "$(jget "$CFG" "c['auths']['$REG_ADDR']['auth']")" \
		"$(printf 'tester:secret-pw' | base64)"
	t_eq "the old key form is replaced" "$(jget "$CFG" "'https://$REG_ADDR' in c['auths']")" False
	t_eq "other entries kept" "$(jget "$CFG" "c['auths']['other.example']['email']")" x@example.com
	t_eq "unknown keys kept" "$(jget "$CFG" "c['psFormat']")" "$(printf 'table {{.ID}}\t{{.Image}}')"
	t_eq "unknown objects kept" "$(jget "$CFG" "c['HttpHeaders']['User-Agent']")" kept
	t_not_contains "no password in the output" "$T_OUT" "secret-pw"

	t_rc 4 "wrong password exits 4" "$POLYCRATE" login "$REG_ADDR" -u tester -p wrong-pw
	t_contains "registry's words" "$T_STDERR" "Error: authentication required"
	t_contains "with the hint" "$T_STDERR" "polycrate login $REG_ADDR"
	t_eq "a failed login keeps the stored entry" \
		"$(jget "$CFG" "c['auths']['$REG_ADDR']['auth']")" "$(printf 'tester:secret-pw' | base64)"
	t_rc 4 "unknown user exits 4" "$POLYCRATE" login "$REG_ADDR" -u nobody -p secret-pw

	t_rc 0 "login with -p (and http:// form)" \
		"$POLYCRATE" login "http://$REG_ADDR" -u tester -p secret-pw
	t_contains "warns about -p" "$T_STDERR" "--password-stdin"

	t_rc 0 "logout" "$POLYCRATE" logout "$REG_ADDR"
	t_contains "logout message" "$T_STDOUT" "Removing login credentials for $REG_ADDR"
	t_eq "entry removed" "$(jget "$CFG" "'$REG_ADDR' in c['auths']")" False
	t_eq "others still there" "$(jget "$CFG" "c['auths']['other.example']['auth']")" eDp5
	t_eq "still 0600" "$(mode_of "$CFG")" 600
	t_rc 0 "second logout" "$POLYCRATE" logout "$REG_ADDR"
	t_contains "nothing left" "$T_STDOUT" "Not logged in"

	# through a credsStore helper
	mkdir -p "$T_TMP/bin"
	cat >"$T_TMP/bin/docker-credential-test" <<-EOF
	#!/bin/sh
	in=\$(cat)
	echo "\$1 \$in" >>"$T_TMP/helper.log"
	EOF
	chmod +x "$T_TMP/bin/docker-credential-test"
	echo '{"credsStore":"test"}' >"$CFG"
	t_rc 0 "login through credsStore" \
		env PATH="$T_TMP/bin:$PATH" "$POLYCRATE" login "$REG_ADDR" -u tester -p secret-pw
	t_contains "helper got store with the credentials" "$(cat "$T_TMP/helper.log" 2>/dev/null)" \
		"store {\"ServerURL\":\"$REG_ADDR\",\"Username\":\"tester\",\"Secret\":\"secret-pw\"}"
	t_eq "config untouched" "$(cat "$CFG")" '{"credsStore":"test"}'
	t_rc 0 "logout through credsStore" env PATH="$T_TMP/bin:$PATH" "$POLYCRATE" logout "$REG_ADDR"
	t_contains "helper got erase" "$(cat "$T_TMP/helper.log" 2>/dev/null)" "erase $REG_ADDR"
	rm -f "$CFG"

	# plain HTTP is fine for loopback; for a non-loopback name it would need --insecure-registry
	t_registry_stop
	t_rc 5 "a registry that is gone: network error" \
		"$POLYCRATE" login "$REG_ADDR" -u tester -p secret-pw --connect-timeout 2
else
	t_fail "htpasswd registry starts"
fi

# ---- token auth (Bearer) ----
if t_token_server && t_registry token; then
	rm -f "$CFG"
	t_rc 0 "login to a token registry" \
		"$POLYCRATE" login "$REG_ADDR" -u tester -p secret-pw --loglevel 3
	t_contains "Login Succeeded" "$T_STDOUT" "Login Succeeded"
	trace=$T_OUT
	idt=$(jget "$CFG" "c['auths']['$REG_ADDR'].get('identitytoken','')")
	t_check "the refresh token is stored as identitytoken" test -n "$idt"
	t_eq "auth holds the user only" "$(jget "$CFG" "c['auths']['$REG_ADDR']['auth']")" \
		"$(printf 'tester:' | base64)"
	t_not_contains "no identity token in the trace" "$trace" "$idt"
	t_not_contains "no password in the trace" "$trace" "secret-pw"
	t_contains "the trace redacts Authorization" "$trace" "Authorization"
	issued=$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
print(r.get("method"), r.get("user"), r.get("scopes"), r.get("offline_token"))' \
		"$TOK_DIR/requests.jsonl")
	t_eq "login asked for a token with no scope, as tester, offline" "$issued" "GET tester [] true"

	t_rc 4 "token registry: wrong password exits 4" "$POLYCRATE" login "$REG_ADDR" -u tester -p nope
	t_contains "token server's words" "$T_STDERR" \
		"authentication required: invalid username or password"
	t_contains "hint" "$T_STDERR" "polycrate login $REG_ADDR"
	t_rc 0 "logout" "$POLYCRATE" logout "$REG_ADDR"
else
	t_fail "token registry starts"
fi

# ---- prompts on a terminal (script(1) gives us one); the password is not echoed ----
if command -v script >/dev/null && t_registry htpasswd; then
	rm -f "$CFG"
	out=$( (sleep 1; printf 'tester\n'; sleep 1; printf 'secret-pw\n') |
		script -qec "'$POLYCRATE' login $REG_ADDR" /dev/null 2>&1)
	t_contains "prompts for the user name" "$out" "Username:"
	t_contains "prompts for the password" "$out" "Password:"
	t_contains "logs in from the prompts" "$out" "Login Succeeded"
	t_not_contains "the password is not echoed" "$out" "secret-pw"
	t_eq "stored from the prompts" "$(jget "$CFG" "c['auths']['$REG_ADDR']['auth']")" "$B64"
	t_registry_stop
else
	t_skip "no script(1) for a terminal"
fi

# ---- a name that is no loopback: plain HTTP only with --insecure-registry (DESIGN.md §3) ----
if t_netns_ok; then
	cat >"$T_TMP/netns.sh" <<-EOF
	. "$TOP/tests/lib.sh"
	t_init login-netns
	export DOCKER_CONFIG="$T_TMP/netns-docker"
	t_registry htpasswd >/dev/null 2>&1 || exit 99
	"$POLYCRATE" login my-registry.com:\$REG_PORT -u tester -p secret-pw >"$T_TMP/ns1" 2>&1
	echo "rc1=\$?"
	"$POLYCRATE" login my-registry.com:\$REG_PORT -u tester -p secret-pw \
		--insecure-registry my-registry.com:\$REG_PORT >"$T_TMP/ns2" 2>&1
	echo "rc2=\$?"
	"$POLYCRATE" login http://my-registry.com:\$REG_PORT -u tester -p secret-pw >"$T_TMP/ns3" 2>&1
	echo "rc3=\$?"
	EOF
	out=$(t_in_netns "my-registry.com" bash "$T_TMP/netns.sh" 2>&1)
	t_contains "plain HTTP refused for a name that is no loopback" "$out" "rc1=5"
	t_contains "the message says it is plain HTTP" "$(cat "$T_TMP/ns1" 2>/dev/null)" "plain HTTP"
	t_contains "the hint names --insecure-registry" "$(cat "$T_TMP/ns1" 2>/dev/null)" \
		"--insecure-registry my-registry.com:"
	t_contains "allowed with --insecure-registry" "$out" "rc2=0"
	t_contains "allowed with an http:// name" "$out" "rc3=0"
else
	t_skip "no network namespaces here"
fi

t_done
