# tests/lib.sh - shared helpers for the end-to-end suites (source it; bash only).
#
#   t_init NAME          temp dir in $T_TMP, cleanup on exit (servers stopped by PID)
#   t_ok / t_fail MSG    count a case
#   t_check DESC CMD...  a case that passes when CMD exits 0
#   t_rc WANT DESC CMD...  a case that passes when CMD exits WANT (output in $T_OUT)
#   t_contains DESC HAYSTACK NEEDLE / t_not_contains ...
#   t_done               prints "N passed, N failed" and exits non-zero on failures
#   t_free_port          a free TCP port on 127.0.0.1
#   t_registry MODE      start Debian's docker-registry on 127.0.0.1 (plain|htpasswd|tls|
#                        tls-htpasswd|token); sets REG_HOST REG_PORT REG_ADDR REG_DIR REG_PID
#                        (REG_LISTEN, REG_FIXED_PORT, REG_TLS_NAMES, REG_USER/REG_PASS change
#                        the address, the port, the certificate's names, the htpasswd user)
#   t_registry_stop      stop the last one started (all are stopped at exit anyway)
#   t_mkca DIR NAMES...  a CA and a server certificate for the names (DNS or IP) in DIR
#   t_in_netns HOSTS CMD...  run CMD in new network+mount namespaces, loopback up, with a
#                        private /etc/hosts mapping each name in HOSTS to 127.0.0.1
set -u

PY=/usr/bin/python3
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
POLYCRATE=${POLYCRATE:-$TOP/polycrate}
T_PASS=0
T_FAIL=0
T_SKIP=0
T_PIDS=()
T_OUT=

# A clean environment: nothing of the host's proxy or TLS settings leaks into a test.
unset HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy ALL_PROXY all_proxy
unset SSL_CERT_FILE SSL_CERT_DIR DOCKER_CONFIG REGISTRY_AUTH_FILE XDG_RUNTIME_DIR
unset POLYCRATE_REGISTRY_URL POLYCRATE_INSECURE_REGISTRIES SOURCE_DATE_EPOCH
export LC_ALL=C

t_init() {
	T_NAME=$1
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/polycrate-$T_NAME.XXXXXX")
	export HOME="$T_TMP/home"
	mkdir -p "$HOME"
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${T_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	[ -n "${T_KEEP:-}" ] || rm -rf "$T_TMP"
}

t_ok() {
	T_PASS=$((T_PASS + 1))
	[ -z "${T_VERBOSE:-}" ] || echo "ok   $*"
}

t_fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL [$T_NAME] $*" >&2
	if [ -n "${T_OUT:-}" ]; then
		printf '%s\n' "$T_OUT" | head -n 20 | sed 's/^/     | /' >&2
	fi
}

t_skip() {
	T_SKIP=$((T_SKIP + 1))
	echo "SKIP [$T_NAME] $*" >&2
}

t_check() {
	local desc=$1
	shift
	if T_OUT=$("$@" 2>&1); then t_ok "$desc"; else t_fail "$desc"; fi
}

# t_rc WANT DESC CMD...: output (stdout+stderr) is left in $T_OUT, stdout alone in $T_STDOUT.
t_rc() {
	local want=$1 desc=$2 rc
	shift 2
	T_STDOUT=$("$@" 2>"$T_TMP/.stderr")
	rc=$?
	T_STDERR=$(cat "$T_TMP/.stderr")
	T_OUT="$T_STDOUT
$T_STDERR"
	if [ "$rc" = "$want" ]; then t_ok "$desc"; else t_fail "$desc (exit $rc, want $want)"; fi
}

t_contains() {
	case "$2" in
	*"$3"*) t_ok "$1" ;;
	*) T_OUT=$2 t_fail "$1: no '$3' in output" ;;
	esac
}

t_not_contains() {
	case "$2" in
	*"$3"*) T_OUT=$2 t_fail "$1: '$3' should not be in output" ;;
	*) t_ok "$1" ;;
	esac
}

t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else T_OUT="got:  $2
want: $3" t_fail "$1"; fi
}

t_done() {
	if [ "$T_SKIP" -gt 0 ]; then
		echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	else
		echo "$T_PASS passed, $T_FAIL failed"
	fi
	[ "$T_FAIL" -eq 0 ]
	exit $?
}

t_free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# t_wait_port PORT [HOST]: wait (at most ~10 s) until something listens.
t_wait_port() {
	local i
	for i in $(seq 1 100); do
		if "$PY" -c "import socket,sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET)
s.settimeout(0.2)
sys.exit(s.connect_ex((sys.argv[2], int(sys.argv[1]))))" "$1" "${2:-127.0.0.1}" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# t_mkca DIR NAME...: DIR/ca.crt, DIR/server.crt, DIR/server.key (SANs: the names; an
# IPv4 or IPv6 literal becomes an IP SAN). Extra openssl req -days via T_CERT_DAYS.
t_mkca() {
	local dir=$1 san="" n
	shift
	mkdir -p "$dir"
	for n in "$@"; do
		case "$n" in
		*:* | [0-9]*.[0-9]*.[0-9]*.[0-9]*) san="$san,IP:$n" ;;
		*) san="$san,DNS:$n" ;;
		esac
	done
	san=${san#,}
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" \
		-days 30 -subj "/CN=polycrate test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" \
		-subj "/CN=$1" >/dev/null 2>&1 || return 1
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$san" >"$dir/ext.cnf"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-CAcreateserial -out "$dir/server.crt" -days "${T_CERT_DAYS:-30}" \
		-extfile "$dir/ext.cnf" >/dev/null 2>&1
}

# t_htpasswd FILE USER PASS: bcrypt entry (the only kind docker-registry accepts).
t_htpasswd() {
	htpasswd -Bbn "$2" "$3" >>"$1"
}

T_REG_N=0
t_registry() {
	local mode=$1 auth="" tls=""
	T_REG_N=$((T_REG_N + 1))
	REG_DIR="$T_TMP/registry-$T_REG_N"
	mkdir -p "$REG_DIR/data"
	REG_PORT=${REG_FIXED_PORT:-$(t_free_port)}
	REG_HOST=127.0.0.1
	case "$mode" in
	*htpasswd*)
		: >"$REG_DIR/htpasswd"
		t_htpasswd "$REG_DIR/htpasswd" "${REG_USER:-tester}" "${REG_PASS:-secret-pw}"
		auth="auth:
  htpasswd:
    realm: polycrate-test
    path: $REG_DIR/htpasswd"
		;;
	token)
		auth="auth:
  token:
    realm: ${REG_TOKEN_REALM:?REG_TOKEN_REALM must be set}
    service: ${REG_TOKEN_SERVICE:-polycrate-test}
    issuer: ${REG_TOKEN_ISSUER:-polycrate-test-issuer}
    rootcertbundle: ${REG_TOKEN_CERT:?REG_TOKEN_CERT must be set}"
		;;
	esac
	case "$mode" in
	tls*)
		REG_HOST=localhost
		# shellcheck disable=SC2086
		t_mkca "$REG_DIR/tls" ${REG_TLS_NAMES:-localhost 127.0.0.1 ::1} || return 1
		tls="  tls:
    certificate: $REG_DIR/tls/server.crt
    key: $REG_DIR/tls/server.key"
		;;
	esac
	cat >"$REG_DIR/config.yml" <<-CFG
	version: 0.1
	log:
	  level: info
	  accesslog:
	    disabled: false
	storage:
	  filesystem:
	    rootdirectory: $REG_DIR/data
	  delete:
	    enabled: true
	http:
	  addr: ${REG_LISTEN:-127.0.0.1}:$REG_PORT
	  secret: polycrate-test-secret
	$tls
	$auth
	CFG
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	REG_PID=$!
	T_PIDS+=("$REG_PID")
	REG_ADDR="$REG_HOST:$REG_PORT"
	if ! t_wait_port "$REG_PORT" "${REG_LISTEN:-127.0.0.1}"; then
		echo "registry did not start:" >&2
		tail -n 20 "$REG_DIR/log" >&2
		return 1
	fi
}

t_registry_stop() {
	kill "$REG_PID" 2>/dev/null
	wait "$REG_PID" 2>/dev/null
}

# t_in_netns "name1 name2" CMD...: CMD sees only loopback, and /etc/hosts maps the names.
t_in_netns() {
	local names=$1 hosts="$T_TMP/hosts.$$"
	shift
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost ip6-localhost"
		for n in $names; do echo "127.0.0.1 $n"; done
	} >"$hosts"
	unshare --net --mount -- /bin/sh -c '
		ip link set lo up 2>/dev/null || ifconfig lo up 2>/dev/null
		mount --bind "$0" /etc/hosts || exit 99
		exec "$@"' "$hosts" "$@"
}

# t_netns_ok: 0 when this host lets us make namespaces (root, unshare, ip).
t_netns_ok() {
	unshare --net --mount -- true 2>/dev/null && command -v ip >/dev/null
}

# t_token_server [ARGS...]: start tests/token_server.py (users from $TOK_DIR/users, one
# "user:password" a line); sets TOK_DIR TOK_PORT TOK_PID and the REG_TOKEN_* variables
# t_registry token needs. Extra ARGS go to the server (--post 405, --anonymous pull ...).
t_token_server() {
	TOK_DIR="$T_TMP/token"
	mkdir -p "$TOK_DIR"
	[ -f "$TOK_DIR/users" ] || echo "${REG_USER:-tester}:${REG_PASS:-secret-pw}" >"$TOK_DIR/users"
	rm -f "$TOK_DIR/port"
	"$PY" "$TOP/tests/token_server.py" --dir "$TOK_DIR" --users "$TOK_DIR/users" \
		--port-file "$TOK_DIR/port" "$@" >"$TOK_DIR/log" 2>&1 &
	TOK_PID=$!
	T_PIDS+=("$TOK_PID")
	local i
	for i in $(seq 1 100); do
		[ -s "$TOK_DIR/port" ] && break
		sleep 0.1
	done
	[ -s "$TOK_DIR/port" ] || { cat "$TOK_DIR/log" >&2; return 1; }
	TOK_PORT=$(cat "$TOK_DIR/port")
	REG_TOKEN_REALM="http://127.0.0.1:$TOK_PORT/token"
	REG_TOKEN_CERT="$TOK_DIR/cert.pem"
	REG_TOKEN_SERVICE=polycrate-test
	REG_TOKEN_ISSUER=polycrate-test-issuer
}
