#!/bin/bash
# examples/demo.sh - the main job end to end on this machine (make demo): build the static
# binary, start a registry on a free loopback port, push the example block, then in a fresh
# workspace run its action through a from: reference with --blocks-auto-pull, inspect what
# was pulled, and stop the registry.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./build-static.sh >/dev/null
P="$top/polycrate"
command -v docker-registry >/dev/null || {
	echo "demo: docker-registry is missing (Debian: apt-get install docker-registry)" >&2
	exit 1
}
tmp=$(mktemp -d /tmp/polycrate-demo.XXXXXX)
reg_pid=
cleanup() {
	if [ -n "$reg_pid" ]; then
		kill "$reg_pid" 2>/dev/null || true
		wait "$reg_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/registry.yml" <<CFG
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: 127.0.0.1:$port
CFG
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do
	/usr/bin/python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && break
	sleep 0.1
done
reg="localhost:$port"
echo "== registry on $reg (pid $reg_pid)"

echo "== push the example block"
cp -r examples/workspace "$tmp/author"
"$P" -w "$tmp/author" blocks push "$reg/examples/hello"

echo "== a fresh workspace that uses it through from:"
mkdir -p "$tmp/user"
cat >"$tmp/user/workspace.poly" <<WS
name: demo-user
blocks:
  - name: greeter
    from: $reg/examples/hello:1.0.0
    config:
      target: airgapped world
WS
"$P" -w "$tmp/user" run greeter greet --blocks-auto-pull

echo "== what was pulled"
"$P" -w "$tmp/user" blocks inspect examples/hello
echo "== done"
