#!/bin/bash
# test_auth.sh - push/pull against a token-auth registry on 127.0.0.1 with every credential
# source: docker config forms, identity tokens (OAuth2 POST and GHCR's 405), helpers,
# credsStore, REGISTRY_AUTH_FILE, XDG auth.json; scopes asked for; no token in any output.
. "$(dirname "$0")/../lib.sh"
t_init auth
P=$POLYCRATE

export DOCKER_CONFIG="$T_TMP/docker"
mkdir -p "$DOCKER_CONFIG" "$T_TMP/bin"
CFG="$DOCKER_CONFIG/config.json"
ALL="$T_TMP/all-output" # everything polycrate printed, searched for secrets at the end
: >"$ALL"
B64=$(printf 'tester:secret-pw' | base64)

run() { # WANT DESC ARGS...: t_rc on polycrate, output kept for the secret scan
	local want=$1 desc=$2
	shift 2
	t_rc "$want" "$desc" "$P" "$@"
	printf '%s\n' "$T_OUT" >>"$ALL"
}
reqs() { # the token server's requests since the last reset, one "METHOD user grant scopes" a line
	"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(r["method"], r.get("user") or "-", r.get("grant") or "-",
          ",".join(sorted(r["scopes"])) or "-")' \
		"$TOK_DIR/requests.jsonl" | sort -u
}
reset_reqs() { : >"$TOK_DIR/requests.jsonl"; }
start() { # ARGS for the token server: a fresh token server and registry
	[ -n "${TOK_PID:-}" ] && kill "$TOK_PID" 2>/dev/null
	[ -n "${REG_PID:-}" ] && t_registry_stop
	t_token_server "$@" && t_registry token
}

ws="$T_TMP/ws"
mkdir -p "$ws"
cp -r "$TOP/examples/workspace/." "$ws/"
cd "$ws" || exit 1

start || { t_fail "token registry starts"; t_done; }
R=$REG_ADDR
REF="$R/team/hello"

# ---- anonymous: refused ----
rm -f "$CFG"
run 4 "anonymous push is refused with exit 4" blocks push "$REF"
t_contains "message" "$T_STDERR" "authentication required"
t_contains "hint" "$T_STDERR" "polycrate login $R"

# ---- auths with auth (base64) ----
echo "{\"auths\":{\"$R\":{\"auth\":\"$B64\"}}}" >"$CFG"
reset_reqs
run 0 "push with auths.auth" blocks push "$REF" --loglevel 3
t_eq "push asked for pull, then pull,push on the repository, as tester" "$(reqs)" \
	"GET tester - repository:team/hello:pull
GET tester - repository:team/hello:pull,push"
reset_reqs
run 0 "pull with auths.auth" blocks pull "$REF" --force --loglevel 3
t_eq "pull asked for pull only" "$(reqs)" "GET tester - repository:team/hello:pull"

# ---- the other key forms and username/password ----
for key in "https://$R" "http://$R" "https://$R/v1/"; do
	echo "{\"auths\":{\"$key\":{\"username\":\"tester\",\"password\":\"secret-pw\"}}}" >"$CFG"
	reset_reqs
	run 0 "pull with auths[\"$key\"] username/password" blocks pull "$REF" --force
	t_eq "as tester ($key)" "$(reqs)" "GET tester - repository:team/hello:pull"
done

# ---- wrong password ----
echo "{\"auths\":{\"$R\":{\"auth\":\"$(printf 'tester:wrong' | base64)\"}}}" >"$CFG"
run 4 "a wrong password exits 4" blocks pull "$REF" --force
t_contains "in the token server's words" "$T_STDERR" \
	"authentication required: invalid username or password"
t_contains "with the hint" "$T_STDERR" "polycrate login $R"

# ---- a broken config is an error naming the file ----
echo '{"auths":{' >"$CFG"
run 1 "a broken config.json is an error" blocks pull "$REF" --force
t_contains "naming the file" "$T_STDERR" "$CFG"

# ---- identity token from login: OAuth2 refresh grant ----
rm -f "$CFG"
run 0 "login stores an identity token" login "$R" -u tester -p secret-pw --loglevel 3
IDT=$("$PY" -c 'import json,sys
print(json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["identitytoken"])' "$CFG" "$R")
t_check "identity token present" test -n "$IDT"
reset_reqs
run 0 "pull with the identity token" blocks pull "$REF" --force --loglevel 3
t_eq "one OAuth2 POST with grant_type=refresh_token" "$(reqs)" \
	"POST - refresh_token repository:team/hello:pull"
reset_reqs
run 0 "push with the identity token" blocks push "$REF" --loglevel 3
t_eq "push scopes through POST" "$(reqs)" "POST - refresh_token repository:team/hello:pull
POST - refresh_token repository:team/hello:pull,push"

# ---- credHelpers: a helper of the test's own ----
cat >"$T_TMP/bin/docker-credential-test" <<EOF
#!/bin/sh
url=\$(cat)
echo "\$1 \$url" >>"$T_TMP/helper.log"
case "\$1 \$url" in
"get $R") echo '{"ServerURL":"$R","Username":"tester","Secret":"secret-pw"}' ;;
get*) echo "credentials not found in native keychain"; exit 1 ;;
esac
EOF
chmod +x "$T_TMP/bin/docker-credential-test"
export PATH="$T_TMP/bin:$PATH"
echo "{\"credHelpers\":{\"$R\":\"test\"}}" >"$CFG"
reset_reqs
run 0 "pull with a credHelpers helper" blocks pull "$REF" --force
t_contains "the helper was asked with get" "$(cat "$T_TMP/helper.log")" "get $R"
t_eq "as tester" "$(reqs)" "GET tester - repository:team/hello:pull"

# ---- credsStore ----
echo '{"credsStore":"test"}' >"$CFG"
: >"$T_TMP/helper.log"
reset_reqs
run 0 "pull with credsStore" blocks pull "$REF" --force
t_eq "the helper was asked once" "$(cat "$T_TMP/helper.log")" "get $R"
t_eq "as tester" "$(reqs)" "GET tester - repository:team/hello:pull"

# ---- REGISTRY_AUTH_FILE and XDG_RUNTIME_DIR/containers/auth.json ----
rm -f "$CFG"
echo "{\"auths\":{\"$R\":{\"auth\":\"$B64\"}}}" >"$T_TMP/raf.json"
reset_reqs
REGISTRY_AUTH_FILE="$T_TMP/raf.json" run 0 "pull with REGISTRY_AUTH_FILE" blocks pull "$REF" --force
t_eq "as tester" "$(reqs)" "GET tester - repository:team/hello:pull"
mkdir -p "$T_TMP/xdg/containers"
cp "$T_TMP/raf.json" "$T_TMP/xdg/containers/auth.json"
reset_reqs
XDG_RUNTIME_DIR="$T_TMP/xdg" run 0 "pull with XDG_RUNTIME_DIR auth.json" blocks pull "$REF" --force
t_eq "as tester" "$(reqs)" "GET tester - repository:team/hello:pull"
# config.json comes first
echo "{\"auths\":{\"$R\":{\"auth\":\"$(printf 'tester:wrong' | base64)\"}}}" >"$CFG"
REGISTRY_AUTH_FILE="$T_TMP/raf.json" run 4 "config.json wins over REGISTRY_AUTH_FILE" \
	blocks pull "$REF" --force
rm -f "$CFG"

# ---- anonymous pull allowed by the token server, push still refused ----
start --anonymous pull || t_fail "token registry (anonymous pull) starts"
R=$REG_ADDR
REF="$R/team/hello"
echo "{\"auths\":{\"$R\":{\"auth\":\"$B64\"}}}" >"$CFG"
run 0 "push to the new registry" blocks push "$REF"
rm -f "$CFG"
reset_reqs
run 0 "anonymous pull" blocks pull "$REF" --force
t_eq "asked anonymously" "$(reqs)" "GET - - repository:team/hello:pull"
run 4 "anonymous push refused" blocks push "$R/other/team/hello"
t_contains "refused in the registry's words" "$T_STDERR" "authentication required"

# ---- GHCR-like: POST answered 405, GET with the token as password ----
echo "tester:ghp-personal-token" >"$T_TMP/token/users"
start --post 405 || t_fail "token registry (--post 405) starts"
R=$REG_ADDR
REF="$R/team/hello"
echo "{\"auths\":{\"$R\":{\"username\":\"tester\",\"identitytoken\":\"ghp-personal-token\"}}}" \
	>"$CFG"
reset_reqs
run 0 "push with an identity token where POST is 405" blocks push "$REF" --loglevel 3
t_eq "POST first, then GET as tester" "$(reqs)" "GET tester - repository:team/hello:pull
GET tester - repository:team/hello:pull,push
POST - refresh_token repository:team/hello:pull
POST - refresh_token repository:team/hello:pull,push"

# ---- no token, password or identity token in any output, at any level ----
run 0 "pull at loglevel 3" blocks pull "$REF" --force --loglevel 3
t_contains "the trace is there" "$(cat "$ALL")" "TRACE: > GET"
t_not_contains "no JWT in any output" "$(cat "$ALL")" "eyJ"
t_not_contains "no password in any output" "$(cat "$ALL")" "secret-pw"
t_not_contains "no identity token in any output" "$(cat "$ALL")" "$IDT"
t_not_contains "no personal token in any output" "$(cat "$ALL")" "ghp-personal-token"
t_not_contains "no Basic value in any output" "$(cat "$ALL")" "$B64"

t_done
