#!/bin/bash
# test_tls.sh - HTTPS through http.c + tls.c (the static musl build) against docker-registry in
# tls mode and openssl s_server: CA bundle, certs.d, IP SANs, plain-HTTP detection, and an
# HTTPS_PROXY CONNECT tunnel with credentials inside a network namespace
. "$(dirname "$0")/../lib.sh"
t_init tls

vendor=$TOP/build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
GET=$T_TMP/tls_get
if ! musl-gcc -std=c11 -D_GNU_SOURCE -O2 -I"$vendor/include" -I"$TOP/src" -static -o "$GET" \
	"$TOP/bench/tls_get.c" "$TOP/src/tls.c" "$TOP/src/http.c" "$TOP/src/net.c" \
	"$TOP/src/io.c" "$TOP/src/err.c" "$TOP/src/buf.c" "$TOP/src/log.c" \
	"$vendor/lib/libbearssl.a" 2>"$T_TMP/cc.log"; then
	T_OUT=$(cat "$T_TMP/cc.log") t_fail "building the HTTPS driver"
	t_done
fi
export POLYCRATE_CERTS_D_ROOT=$T_TMP/certs.d

# A registry with a CA of the test's own (SANs localhost, 127.0.0.1, ::1).
t_registry tls || { t_fail "tls registry did not start"; t_done; }
CA=$REG_DIR/tls/ca.crt
t_rc 0 "by name with SSL_CERT_FILE" env SSL_CERT_FILE="$CA" "$GET" "https://localhost:$REG_PORT/v2/"
t_contains "registry answered" "$T_STDOUT" "200 "
t_rc 0 "by IPv4 SAN" env SSL_CERT_FILE="$CA" "$GET" "https://127.0.0.1:$REG_PORT/v2/"
t_contains "registry answered by IP" "$T_STDOUT" "200 "
t_rc 0 "SSL_CERT_DIR" env SSL_CERT_DIR="$REG_DIR/tls" "$GET" "https://localhost:$REG_PORT/v2/"
t_rc 5 "unknown authority without the CA" env SSL_CERT_FILE=/dev/null \
	"$GET" "https://localhost:$REG_PORT/v2/"
t_contains "says unknown authority" "$T_STDERR" "certificate signed by unknown authority"
t_contains "hints at certs.d" "$T_STDERR" "certs.d/localhost:$REG_PORT/ca.crt"
t_not_contains "no plain-HTTP fallback on a certificate error" "$T_STDERR" "plain-http: 1"
t_rc 5 "missing SSL_CERT_FILE is an error" env SSL_CERT_FILE="$T_TMP/nope.pem" \
	"$GET" "https://localhost:$REG_PORT/v2/"
t_contains "names the file" "$T_STDERR" "nope.pem"

mkdir -p "$POLYCRATE_CERTS_D_ROOT/localhost:$REG_PORT" "$POLYCRATE_CERTS_D_ROOT/127.0.0.1:$REG_PORT"
cp "$CA" "$POLYCRATE_CERTS_D_ROOT/localhost:$REG_PORT/ca.crt"
t_rc 0 "certs.d CA adds to the bundle" env SSL_CERT_FILE=/dev/null \
	"$GET" "https://localhost:$REG_PORT/v2/"
t_rc 5 "certs.d is per host:port" env SSL_CERT_FILE=/dev/null \
	"$GET" "https://127.0.0.1:$REG_PORT/v2/"
cp "$CA" "$POLYCRATE_CERTS_D_ROOT/127.0.0.1:$REG_PORT/ca.crt"
t_rc 0 "certs.d for an IP" env SSL_CERT_FILE=/dev/null "$GET" "https://127.0.0.1:$REG_PORT/v2/"

# make EMBED_CA=1: a built-in bundle (here: the test CA) is the last resort when the host has
# no bundle at all (a private mount namespace hides /etc/ssl and /etc/pki).
if unshare --mount -- true 2>/dev/null; then
	sh "$TOP/src/tls_ca.sh" "$CA" >"$T_TMP/tls_ca.c"
	if musl-gcc -std=c11 -D_GNU_SOURCE -O2 -I"$vendor/include" -I"$TOP/src" -static \
		-o "$T_TMP/tls_get_ca" "$TOP/bench/tls_get.c" "$TOP/src/tls.c" "$TOP/src/http.c" \
		"$TOP/src/net.c" "$TOP/src/io.c" "$TOP/src/err.c" "$TOP/src/buf.c" \
		"$TOP/src/log.c" "$T_TMP/tls_ca.c" "$vendor/lib/libbearssl.a" 2>"$T_TMP/cc.log"; then
		hide='for d in /etc/ssl /etc/pki; do [ -d $d ] && mount -t tmpfs none $d; done'
		nocd=POLYCRATE_CERTS_D_ROOT=$T_TMP/no-certs.d
		t_rc 0 "built-in CA bundle when the host has none" unshare --mount -- /bin/sh -c \
			"$hide; exec env -u SSL_CERT_FILE -u SSL_CERT_DIR $nocd POLYCRATE_LOGLEVEL=2 \
			$T_TMP/tls_get_ca https://localhost:$REG_PORT/v2/"
		t_contains "says it used the built-in bundle" "$T_STDERR" "from the built-in CA bundle"
		t_rc 5 "without it, no anchors at all" unshare --mount -- /bin/sh -c \
			"$hide; exec env -u SSL_CERT_FILE -u SSL_CERT_DIR $nocd $GET https://localhost:$REG_PORT/v2/"
		t_contains "and the error says so" "$T_STDERR" "unknown authority"
		if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
			# the host's bundle lacks the test CA: it is used, so this fails
			t_rc 5 "a system bundle wins over the built-in one" env SSL_CERT_FILE= \
				SSL_CERT_DIR= $nocd POLYCRATE_LOGLEVEL=2 "$T_TMP/tls_get_ca" \
				"https://localhost:$REG_PORT/v2/"
			t_contains "names the system bundle" "$T_STDERR" \
				"from /etc/ssl/certs/ca-certificates.crt"
		fi
	else
		T_OUT=$(cat "$T_TMP/cc.log") t_fail "building the driver with a built-in bundle"
	fi
else
	t_skip "no mount namespaces (built-in CA bundle)"
fi
t_registry_stop

# A registry that only speaks HTTP, asked https:// first.
t_registry plain || { t_fail "plain registry did not start"; t_done; }
t_rc 5 "plain registry as https" "$GET" "https://127.0.0.1:$REG_PORT/v2/"
t_contains "recognised as plain HTTP" "$T_STDERR" "plain-http: 1"
t_contains "says plain HTTP" "$T_STDERR" "server answered in plain HTTP"
t_rc 0 "then http:// works" "$GET" "http://127.0.0.1:$REG_PORT/v2/"
t_registry_stop

# HTTPS_PROXY: loopback is never proxied, so the registry gets a name of its own inside a
# network namespace whose /etc/hosts maps it to 127.0.0.1.
if ! t_netns_ok; then
	t_skip "no network namespaces here (proxy cases)"
	t_done
fi
t_mkca "$T_TMP/pki" registry.test 127.0.0.1 || t_fail "t_mkca"
mkdir -p "$T_TMP/www"
echo "hello through the tunnel" >"$T_TMP/www/hello.txt"
cat >"$T_TMP/inner.sh" <<INNER
set -u
free_port() { $PY -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'; }
wait_port() { for _ in \$(seq 100); do $PY -c "import socket,sys
sys.exit(socket.socket().connect_ex(('127.0.0.1', \$1)))" && return 0; sleep 0.1; done; return 1; }
sp=\$(free_port)
(cd "$T_TMP/www" && exec openssl s_server -accept 127.0.0.1:\$sp -quiet -WWW \
	-cert "$T_TMP/pki/server.crt" -key "$T_TMP/pki/server.key") >/dev/null 2>&1 &
s=\$!
pp=\$(free_port)
$PY "$TOP/tests/tls_proxy.py" \$pp 'user:p4ss' >"$T_TMP/proxy.log" 2>&1 &
p=\$!
wait_port \$sp && wait_port \$pp || echo "servers did not start"
export SSL_CERT_FILE="$T_TMP/pki/ca.crt"
echo "== proxied"
HTTPS_PROXY="http://user:p4ss@127.0.0.1:\$pp" "$GET" "https://registry.test:\$sp/hello.txt" "$T_TMP/got.txt" 2>&1
echo "rc=\$?"
echo "== lowercase, wrong password"
https_proxy="http://user:wrong@127.0.0.1:\$pp" "$GET" "https://registry.test:\$sp/hello.txt" 2>&1
echo "rc=\$?"
echo "== no_proxy"
HTTPS_PROXY="http://127.0.0.1:\$pp" NO_PROXY=".test" "$GET" "https://registry.test:\$sp/hello.txt" 2>&1
echo "rc=\$?"
echo "== loopback"
HTTPS_PROXY="http://127.0.0.1:\$pp" "$GET" "https://127.0.0.1:\$sp/hello.txt" 2>&1
echo "rc=\$?"
kill \$s \$p
wait \$s \$p 2>/dev/null
echo "== proxy log"
cat "$T_TMP/proxy.log"
INNER
out=$(t_in_netns "registry.test" /bin/bash "$T_TMP/inner.sh" 2>&1)
sec() { printf '%s\n' "$out" | sed -n "/^== $1\$/,/^== /p"; }
t_contains "through the proxy" "$(sec proxied)" "rc=0"
t_eq "body came through the tunnel" "$(cat "$T_TMP/got.txt" 2>/dev/null)" "hello through the tunnel"
t_contains "wrong proxy password refused" "$(sec 'lowercase, wrong password')" "407"
t_not_contains "wrong proxy password fails" "$(sec 'lowercase, wrong password')" "rc=0"
t_contains "NO_PROXY goes direct" "$(sec no_proxy)" "rc=0"
t_contains "loopback goes direct" "$(sec loopback)" "rc=0"
log=$(sec "proxy log")
t_contains "proxy saw the CONNECT with credentials" "$log" "CONNECT registry.test:"
t_contains "credentials decoded from the URL" "$log" "auth=ok"
t_contains "wrong credentials seen as such" "$log" "auth=bad"
n=$(printf '%s\n' "$log" | grep -c '^CONNECT' || true)
t_eq "only the two proxied requests reached the proxy" "$n" "2"
t_done
