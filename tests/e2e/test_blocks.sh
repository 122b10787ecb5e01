#!/bin/bash
# test_blocks.sh - blocks push, pull, uninstall, inspect, list, tags against a real
# registry on 127.0.0.1: the seed's ways of naming the registry, conflicts, interop with
# skopeo, hostile artifacts, and an interrupted pull.
. "$(dirname "$0")/../lib.sh"
t_init blocks
P=$POLYCRATE

t_registry plain || { t_fail "registry starts"; t_done; }
R=$REG_ADDR
LR="localhost:$REG_PORT"

mkws() { # dir: a workspace with the example hello block
	mkdir -p "$1"
	cp -r "$TOP/examples/workspace/." "$1/"
	sed -i "s/localhost:5000/$LR/" "$1/workspace.poly"
}

ws="$T_TMP/ws"
mkws "$ws"
cd "$ws" || exit 1

# --- push, every way of naming the registry
t_rc 0 "push with the registry in the name" "$P" blocks push "$LR/team/hello"
t_contains "push prints reference and digest" "$T_STDOUT" "Pushed $LR/team/hello:1.0.0 (sha256:"
t_rc 0 "push again: up to date" "$P" blocks push "$LR/team/hello"
t_not_contains "CHANGELOG.poly has the entry: no warning" "$T_STDERR" "no entry"
t_contains "up to date message" "$T_STDOUT" "already up to date"
t_rc 0 "push with --registry-url" "$P" blocks push hello --registry-url "$LR"
t_contains "--registry-url used" "$T_STDOUT" "Pushed $LR/hello:1.0.0"
t_rc 0 "push with POLYCRATE_REGISTRY_URL" env POLYCRATE_REGISTRY_URL="$LR" "$P" blocks push flag/hello
t_contains "env registry used" "$T_STDOUT" "$LR/flag/hello:1.0.0"
t_rc 0 "push with workspace.poly config.registry.url" "$P" push ws/hello
t_contains "workspace registry used" "$T_STDOUT" "$LR/ws/hello:1.0.0"
t_rc 0 "push -o json" "$P" blocks push "$LR/team/hello" -o json
t_check "push json parses" "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["up_to_date"] and d["digest"].startswith("sha256:")' "$T_STDOUT"
t_rc 0 "skopeo reads what we pushed" skopeo inspect --tls-verify=false "docker://$R/team/hello:1.0.0"
t_contains "skopeo sees our labels" "$T_STDOUT" '"blocks.polycrate.io/name": "hello"'
t_contains "skopeo sees latest" "$T_STDOUT" '"latest"'
t_rc 0 "dry run sends nothing" "$P" blocks push "$LR/dry/hello" --dry-run
t_contains "dry run lists files" "$T_STDOUT" "scripts/info.sh"
t_rc 3 "dry run pushed nothing" "$P" blocks inspect --remote "$LR/dry/hello:1.0.0"
t_rc 2 "push with a wrong tag" "$P" blocks push "$LR/team/hello:2.0.0"
t_contains "wrong tag explained" "$T_STDERR" "differs from the block's version"
t_rc 3 "push of an unknown block" "$P" blocks push "$LR/team/nothing"

# --- version conflict: same version, other content
echo "# changed" >>blocks/hello/README.md
t_rc 6 "changed content, same version: conflict" "$P" blocks push "$LR/team/hello"
t_contains "conflict message" "$T_STDERR" "Error: block 'hello' already exists with different version"
t_contains "conflict hint" "$T_STDERR" "Raise 'version'"
sed -i 's/version: 1.0.0/version: 1.1.0/' blocks/hello/block.poly
t_rc 0 "raised version pushes" "$P" blocks push "$LR/team/hello"
t_contains "new version" "$T_STDOUT" "hello:1.1.0"
t_contains "missing CHANGELOG.poly entry warned about" "$T_STDERR" "has no entry for version 1.1.0"
sed -i 's/version: 1.1.0/version: 1.0.1/' blocks/hello/block.poly
t_rc 0 "lower version pushes" "$P" blocks push "$LR/team/hello"
t_contains "latest stays at the higher version" "$T_STDERR" "latest stays at 1.1.0"
t_rc 0 "tags" "$P" blocks tags "$LR/team/hello"
t_eq "tags SemVer-sorted" "$(echo "$T_STDOUT" | tr '\n' ' ')" "1.0.0 1.0.1 1.1.0 latest "

# --- pull into a fresh workspace
w2="$T_TMP/ws2"
mkdir -p "$w2"
t_rc 0 "pull with a version" "$P" -w "$w2" blocks pull "$LR/team/hello:1.0.0"
t_contains "pull message" "$T_STDOUT" "Pulled $LR/team/hello:1.0.0 into blocks/team/hello"
t_check "block.poly installed" test -f "$w2/blocks/team/hello/block.poly"
t_check "exec bit kept" test -x "$w2/blocks/team/hello/scripts/info.sh"
t_check "blocks.lock written" grep -q '"install_path":"team/hello"' "$w2/blocks.lock"
t_rc 0 "pull again: up to date" "$P" -w "$w2" blocks pull "$LR/team/hello:1.0.0"
t_contains "same digest: nothing to do" "$T_STDOUT" "up to date"
t_rc 0 "pull latest replaces it" "$P" -w "$w2" pull "$LR/team/hello"
t_check "latest is 1.1.0" grep -q "version: 1.1.0" "$w2/blocks/team/hello/block.poly"
t_rc 0 "pull a nested name" "$P" -w "$w2" blocks pull "$LR/flag/hello:1.0.0"
t_check "nested install path" test -f "$w2/blocks/flag/hello/block.poly"
t_rc 0 "list" "$P" -w "$w2" blocks list
t_contains "list shows both" "$T_STDOUT" "flag/hello"
t_rc 2 "two blocks named hello: inspect by name is ambiguous" "$P" -w "$w2" blocks inspect hello
t_contains "ambiguity lists folders" "$T_STDERR" "team/hello"
t_rc 0 "inspect by install path" "$P" -w "$w2" blocks inspect team/hello -o json
t_check "inspect json has digests" "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["installed"]["manifest_digest"].startswith("sha256:")' "$T_STDOUT"
t_rc 0 "inspect --remote" "$P" blocks inspect --remote "$LR/team/hello:1.0.0"
t_contains "remote labels" "$T_STDOUT" "Label:       polycrate.io/managed-by=cli"
t_rc 3 "pull of a missing block" "$P" -w "$w2" pull "$LR/team/nothing:1.0.0"
t_contains "not found message" "$T_STDERR" "Error: block '$LR/team/nothing:1.0.0' not found in registry"
t_rc 2 "bad reference" "$P" -w "$w2" pull "$LR/Team/UPPER"

# pull then push again from the pulled copy: up to date
cp "$ws/workspace.poly" "$w2/workspace.poly"
sed -i 's/version: 1.1.0/version: 1.0.0/' "$w2/blocks/team/hello/block.poly" 2>/dev/null
t_rc 0 "re-pull 1.0.0" "$P" -w "$w2" blocks pull "$LR/team/hello:1.0.0"
t_rc 0 "push of the pulled block: up to date" "$P" -w "$w2" blocks push "$LR/team/hello"
t_contains "pulled then pushed" "$T_STDOUT" "already up to date"

# a folder polycrate did not install is not replaced without --force
mkdir -p "$w2/blocks/mine/hello" && echo "name: mine" >"$w2/blocks/mine/hello/block.poly"
t_rc 6 "foreign folder kept" "$P" -w "$w2" blocks pull "$LR/mine/hello:1.0.0" --registry-url "$LR"
t_contains "foreign folder message" "$T_STDERR" "was not installed by polycrate"
skopeo copy --quiet --dest-tls-verify=false --src-tls-verify=false "docker://$R/team/hello:1.0.0" "docker://$R/mine/hello:1.0.0" >/dev/null 2>&1
t_rc 0 "--force replaces it" "$P" -w "$w2" blocks pull "$LR/mine/hello:1.0.0" --force
t_check "replaced" grep -q "name: hello" "$w2/blocks/mine/hello/block.poly"
# nested installs are refused
skopeo copy --quiet --dest-tls-verify=false --src-tls-verify=false "docker://$R/team/hello:1.0.0" "docker://$R/team/hello/inner:1.0.0" >/dev/null 2>&1
t_rc 6 "a block inside an installed block" "$P" -w "$w2" blocks pull "$LR/team/hello/inner:1.0.0"
t_contains "nested conflict names both" "$T_STDERR" "team/hello"

# uninstall
t_rc 0 "uninstall" "$P" -w "$w2" blocks uninstall flag/hello
t_check "folder gone" test ! -e "$w2/blocks/flag"
t_check "lock entry gone" sh -c "! grep -q '\"flag/hello\"' '$w2/blocks.lock'"
t_rc 3 "uninstall of an unknown block" "$P" -w "$w2" blocks uninstall nothing

# --- interop: what skopeo (and upstream, Docker schema2) pushes, we pull
w3="$T_TMP/ws3"
mkdir -p "$w3"
t_check "raw Docker schema2 push" "$PY" "$TOP/tests/oci_push.py" "$R" up/raw 1.0.0 good --docker
t_rc 0 "pull a Docker schema2 block with a ./ entry" "$P" -w "$w3" blocks pull "$LR/up/raw:1.0.0"
t_check "schema2 content" test -f "$w3/blocks/up/raw/files/hello.txt"
t_check "skopeo copy to another repo" skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$R/up/raw:1.0.0" "docker://$R/up/copied:1.0.0"
t_rc 0 "pull what skopeo copied" "$P" -w "$w3" blocks pull "$LR/up/copied:1.0.0"
oci="$T_TMP/oci-layout"
t_check "skopeo copy to an OCI layout" skopeo copy --quiet --src-tls-verify=false "docker://$R/team/hello:1.0.0" "oci:$oci:hello"
t_check "skopeo pushes the OCI layout back" skopeo copy --quiet --dest-tls-verify=false "oci:$oci:hello" "docker://$R/skopeo/hello:1.0.0"
t_rc 0 "pull what skopeo pushed (OCI)" "$P" -w "$w3" blocks pull "$LR/skopeo/hello:1.0.0"
t_check "OCI content" test -x "$w3/blocks/skopeo/hello/scripts/info.sh"

# --- hostile artifacts: refused with exit 7, nothing written, nothing left behind
for kind in traversal absolute symlink hardlink device; do
	t_check "push hostile $kind" "$PY" "$TOP/tests/oci_push.py" "$R" evil/$kind 1.0.0 $kind
	t_rc 7 "hostile $kind refused" "$P" -w "$w3" blocks pull "$LR/evil/$kind:1.0.0"
	t_check "$kind: nothing installed" test ! -e "$w3/blocks/evil/$kind"
	t_eq "$kind: no temp folder left" "$(ls -A "$w3/.polycrate/tmp" | wc -l)" 0
done
t_check "escape target absent" test ! -e "$w3/blocks/escape.txt"
t_check "absolute target absent" test ! -e /tmp/polycrate-absolute.txt
t_check "push setuid" "$PY" "$TOP/tests/oci_push.py" "$R" evil/setuid 1.0.0 setuid
t_rc 0 "setuid entry installs" "$P" -w "$w3" blocks pull "$LR/evil/setuid:1.0.0"
mode=$(stat -c %a "$w3/blocks/evil/setuid/files/suid.sh")
t_eq "setuid bit dropped" "$mode" 755
t_check "push a layer with the wrong digest chain" "$PY" "$TOP/tests/oci_push.py" "$R" evil/digest 1.0.0 good --bad-digest
t_rc 7 "wrong layer refused" "$P" -w "$w3" blocks pull "$LR/evil/digest:1.0.0"
t_check "digest: nothing installed" test ! -e "$w3/blocks/evil/digest"

# --- an interrupted pull leaves the old block, and its temp folder goes next time
t_check "push a large block" "$PY" "$TOP/tests/oci_push.py" "$R" big/block 1.0.0 good --big 128
t_check "push a small version" "$PY" "$TOP/tests/oci_push.py" "$R" big/block 0.9.0 good
t_rc 0 "pull the small one" "$P" -w "$w3" blocks pull "$LR/big/block:0.9.0"
before=$(cat "$w3/blocks.lock")
"$P" -w "$w3" blocks pull "$LR/big/block:1.0.0" >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 100); do
	[ -n "$(ls -A "$w3/.polycrate/tmp" 2>/dev/null)" ] && break
	sleep 0.05
done

kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
t_check "old block intact after kill -9" test -f "$w3/blocks/big/block/block.poly"
t_check "no partial big file in place" test ! -e "$w3/blocks/big/block/files/big.bin"
t_eq "blocks.lock untouched" "$(cat "$w3/blocks.lock")" "$before"
t_rc 0 "next pull cleans up and completes" "$P" -w "$w3" blocks pull "$LR/big/block:1.0.0" --loglevel 2
t_check "big file installed" test -f "$w3/blocks/big/block/files/big.bin"
t_eq "temp folder empty" "$(ls -A "$w3/.polycrate/tmp" | wc -l)" 0
# --- push streams the layer while it is packed; a registry refusing the stream gets the
# packed file; a packing error mid-stream leaves nothing behind
"$PY" "$TOP/tests/fault_server.py" --upstream "http://$R" --port-file "$T_TMP/cport" --timeout 300 >"$T_TMP/count.log" 2>&1 &
T_PIDS+=($!)
"$PY" "$TOP/tests/fault_server.py" --upstream "http://$R" --max-put 1048576 --port-file "$T_TMP/lport" --timeout 300 >"$T_TMP/limit.log" 2>&1 &
T_PIDS+=($!)
"$PY" "$TOP/tests/fault_server.py" --upstream "http://$R" --drop-patch-after 100000 --drop-times 2 --port-file "$T_TMP/dport" --timeout 300 >"$T_TMP/drop.log" 2>&1 &
T_PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T_TMP/cport" ] && [ -s "$T_TMP/lport" ] && [ -s "$T_TMP/dport" ] && break; sleep 0.1; done
CP=$(cut -d' ' -f1 "$T_TMP/cport")
LP=$(cut -d' ' -f1 "$T_TMP/lport")
DP=$(cut -d' ' -f1 "$T_TMP/dport")
stat_of() { # port prefix: the summed counts of the fault proxy's paths starting with prefix
	curl -s --noproxy '*' "http://127.0.0.1:$1/_f/stats" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin)["paths"]; print(sum(v for k,v in d.items() if k.startswith(sys.argv[1])))' "$2"
}
w5="$T_TMP/ws5"
mkdir -p "$w5/blocks/bulk/files"
echo "name: w5" >"$w5/workspace.poly"
printf 'name: bulk\nversion: 1.0.0\n' >"$w5/blocks/bulk/block.poly"
head -c 3000000 /dev/urandom >"$w5/blocks/bulk/files/a.bin"
seq 1 300000 >"$w5/blocks/bulk/files/b.txt"
t_rc 0 "push through a counting proxy" "$P" -w "$w5" blocks push "localhost:$CP/s/bulk" -o json
digest=$(echo "$T_STDOUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["layer_digest"])' 2>/dev/null)
t_eq "the layer went up in one streamed PATCH" "$(stat_of "$CP" "PATCH /v2/s/bulk/blobs/uploads/")" 1
t_eq "no HEAD before a streamed layer or a config in an opened session" "$(stat_of "$CP" "HEAD /v2/s/bulk/")" 0
t_rc 0 "one CPU (no deflate threads): the same layer" taskset -c 0 "$P" -w "$w5" blocks push "localhost:$CP/s/bulk" --dry-run -o json
t_contains "same layer digest on one CPU" "$T_STDOUT" "\"layer_digest\":\"$digest\""
w6="$T_TMP/ws6"
mkdir -p "$w6"
t_rc 0 "the streamed block pulls back" "$P" -w "$w6" blocks pull "$LR/s/bulk:1.0.0"
t_check "streamed content intact" cmp "$w5/blocks/bulk/files/a.bin" "$w6/blocks/s/bulk/files/a.bin"
t_rc 0 "push through a proxy refusing bodies over 1 MiB" "$P" -w "$w5" blocks push "localhost:$LP/l/bulk" --loglevel 3
t_contains "the refused stream is named" "$T_STDERR" "streamed upload of the layer failed"
t_rc 0 "the fallback's block pulls back" "$P" -w "$w6" blocks pull "$LR/l/bulk:1.0.0"
t_check "fallback content intact" cmp "$w5/blocks/bulk/files/b.txt" "$w6/blocks/l/bulk/files/b.txt"
# (twice: the first loss, on a kept-alive connection, is resent once on a fresh one)
t_rc 0 "push through a proxy that drops the streamed PATCH mid-body" "$P" -w "$w5" blocks push "localhost:$DP/d/bulk" --loglevel 3
t_contains "the lost stream is named" "$T_STDERR" "streamed upload of the layer failed"
t_rc 0 "the block sent the second way pulls back" "$P" -w "$w6" blocks pull "$LR/d/bulk:1.0.0"
t_check "content intact after the dropped stream" cmp "$w5/blocks/bulk/files/a.bin" "$w6/blocks/d/bulk/files/a.bin"
mkfifo "$w5/blocks/bulk/files/z.fifo"
t_rc 2 "a fifo found mid-stream stops the push" "$P" -w "$w5" blocks push "$LR/f/bulk"
t_contains "the packing error is the one reported" "$T_STDERR" "files/z.fifo"
t_rc 3 "nothing tagged after the failed push" "$P" -w "$w5" blocks inspect --remote "$LR/f/bulk:1.0.0"
t_eq "no staged layer left" "$(ls -A "$w5/.polycrate/tmp" 2>/dev/null | wc -l)" 0
rm -f "$w5/blocks/bulk/files/z.fifo"
odd="$w5/blocks/$(printf 'odd\377name')"
mkdir -p "$odd"
printf 'name: odd\nversion: 0.1.0\n' >"$odd/block.poly"
t_rc 0 "list with a folder name that is not UTF-8" "$P" -w "$w5" blocks list -o json
t_check "the JSON parses, the odd byte replaced" "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert any("\ufffd" in b["folder"] for b in d), d' "$T_STDOUT"
rm -rf "$odd"
t_done
