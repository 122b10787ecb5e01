#!/bin/bash
# test_run.sh - run, workflows run, from: inheritance with --blocks-auto-pull through a proxy
# rule, templates and environment, failures and signals, workspace update, --locked.
. "$(dirname "$0")/../lib.sh"
t_init run
P=$POLYCRATE

t_registry plain || { t_fail "registry starts"; t_done; }
LR="localhost:$REG_PORT"

# --- blocks in the registry: base <- middle (middle's block.poly inherits from base)
src="$T_TMP/src"
mkdir -p "$src/blocks/base" "$src/blocks/middle"
cat >"$src/blocks/base/block.poly" <<'B'
name: base
version: 1.0.0
kind: k8sapp
config:
  greeting: base-greeting
  port: 8080
actions:
  - name: hello
    script:
      - echo "{{ .block.config.greeting }} from {{ .block.name }} {{ .block.version }} kind {{ .block.config.port }}"
      - echo "env $POLYCRATE_BLOCK/$POLYCRATE_ACTION ws=$(basename $POLYCRATE_WORKSPACE) v=$POLYCRATE_CLI_VERSION"
      - test -f "$POLYCRATE_WORKSPACE_SNAPSHOT_YAML" && grep -q 'greeting' "$POLYCRATE_WORKSPACE_SNAPSHOT_YAML" && echo snapshot-ok
      - echo "pwd=$(basename $(pwd))"
  - name: fail
    script:
      - echo before
      - "false"
      - echo after
  - name: status
    script:
      - exit 42
  - name: signal
    script:
      - kill -TERM $$
  - name: carry
    script:
      - X=carried
      - cd /tmp
      - echo "$X $(pwd)"
B
cat >"$src/blocks/middle/block.poly" <<'B'
name: middle
version: 1.0.0
from: cargo.ayedo.cloud/ayedo/base:1.0.0
config:
  extra: middle-extra
actions:
  - name: mid
    script:
      - echo "mid {{ .block.config.extra }} {{ .block.config.greeting }} {{ .workspace.name }}"
B
t_rc 0 "push base" "$P" -w "$src" blocks push "$LR/mirror/ayedo/base"
t_rc 0 "push middle" "$P" -w "$src" blocks push "$LR/mirror/ayedo/middle"

# --- a workspace that only knows the public names; a proxy rule sends them to the mirror
ws="$T_TMP/ws"
mkdir -p "$ws"
cat >"$ws/workspace.poly" <<W
name: run-ws
registry:
  proxy:
    - from: cargo.ayedo.cloud/ayedo
      to: $LR/mirror/ayedo
blocks:
  - name: top
    from: cargo.ayedo.cloud/ayedo/middle:1.0.0
    config:
      greeting: top-greeting
workflows:
  - name: deploy
    steps:
      - name: greet
        block: top
        action: hello
      - name: broken
        block: top
        action: status
      - name: never
        block: top
        action: hello
W
t_rc 3 "missing from: target without the flag" "$P" -w "$ws" run top hello
t_contains "upstream's message" "$T_STDERR" "dependency 'cargo.ayedo.cloud/ayedo/middle:1.0.0' not found in the Workspace"
t_contains "upstream's hint" "$T_STDERR" "--blocks-auto-pull flag"
t_rc 0 "three-level chain auto-pulled through the proxy rule" "$P" -w "$ws" run top hello --blocks-auto-pull --loglevel 2
t_contains "child config wins" "$T_STDOUT" "top-greeting from top 1.0.0 kind 8080"
t_contains "environment" "$T_STDOUT" "env top/hello ws=ws v=0.1.0"
t_contains "snapshot file" "$T_STDOUT" "snapshot-ok"
t_contains "runs in the parent's folder" "$T_STDOUT" "pwd=middle"
t_contains "proxy match logged" "$T_STDERR" "INFO: Registry proxy match found: cargo.ayedo.cloud/ayedo/middle -> $LR/mirror/ayedo/middle"
t_check "middle installed by its written path" test -f "$ws/blocks/ayedo/middle/block.poly"
t_check "base installed transitively" test -f "$ws/blocks/ayedo/base/block.poly"
t_rc 0 "second run needs no pull" "$P" -w "$ws" run top mid --blocks-auto-pull
t_not_contains "no re-pull" "$T_OUT" "Pulled"
t_contains "merged config of three levels" "$T_STDOUT" "mid middle-extra top-greeting run-ws"
t_rc 0 "carry-over of cd and variables" "$P" -w "$ws" run top carry
t_contains "one script" "$T_STDOUT" "carried /tmp"
t_rc 1 "a failing line stops the script" "$P" -w "$ws" run top fail
t_contains "lines before ran" "$T_STDOUT" "before"
t_not_contains "lines after did not" "$T_STDOUT" "after"
t_rc 42 "exit status passed through" "$P" -w "$ws" run top status
t_rc 143 "a signal gives 128+signal" "$P" -w "$ws" run top signal
t_rc 3 "unknown action" "$P" -w "$ws" run top nothing
t_contains "actions listed" "$T_STDERR" "Its actions:"
t_rc 3 "unknown block" "$P" -w "$ws" run nothing hello
t_rc 42 "workflow stops at the failing step" "$P" -w "$ws" workflows run deploy
t_contains "first step ran" "$T_STDOUT" "top-greeting"
t_contains "failing step named" "$T_STDERR" "step 'broken' failed with status 42"
t_eq "third step did not run" "$(echo "$T_STDOUT" | grep -c top-greeting)" 1
t_rc 0 "--step runs one step" "$P" -w "$ws" workflows run deploy --step greet
t_rc 42 "run NAME runs the workflow" "$P" -w "$ws" run deploy

# --- inspect and list with --blocks-auto-pull in a fresh copy of the workspace
w5="$T_TMP/ws5"
mkdir -p "$w5" && cp "$ws/workspace.poly" "$w5/"
t_rc 3 "inspect of an unresolvable block without the flag" "$P" -w "$w5" blocks inspect top
t_rc 0 "inspect --blocks-auto-pull pulls the chain" "$P" -w "$w5" blocks inspect top --blocks-auto-pull
t_contains "inspect shows the chain" "$T_STDOUT" "Inherits:    middle base"
t_check "inspect pulled base" test -f "$w5/blocks/ayedo/base/block.poly"
rm -rf "$w5/blocks" "$w5/blocks.lock"
t_rc 0 "list --blocks-auto-pull" "$P" -w "$w5" blocks list --blocks-auto-pull
t_contains "list shows the pulled blocks" "$T_STDOUT" "ayedo/base"

# --- templates that are not the supported subset, template blocks, cycles
mkdir -p "$ws/blocks/local/tpl" "$ws/blocks/local/bad" "$ws/blocks/cyc/x" "$ws/blocks/cyc/y"
printf 'name: tpl\nversion: 1.0.0\ntemplate: true\nactions:\n  - name: a\n    script: ["echo no"]\n' >"$ws/blocks/local/tpl/block.poly"
printf 'name: bad\nactions:\n  - name: a\n    script:\n      - echo ok\n      - echo {{ .block.name | upper }}\n' >"$ws/blocks/local/bad/block.poly"
printf 'name: x\nfrom: y\nactions:\n  - name: a\n    script: ["echo x"]\n' >"$ws/blocks/cyc/x/block.poly"
printf 'name: y\nfrom: x\n' >"$ws/blocks/cyc/y/block.poly"
t_rc 2 "template blocks refuse to run" "$P" -w "$ws" run tpl a
t_contains "template message" "$T_STDERR" "is a template"
t_rc 2 "unsupported template" "$P" -w "$ws" run bad a
t_contains "template error names the line" "$T_STDERR" "block.poly:6"
t_not_contains "nothing ran" "$T_STDOUT" "ok"
t_rc 2 "a from: cycle" "$P" -w "$ws" run x a
t_contains "cycle named" "$T_STDERR" "x -> y -> x"

# --- workspace update: 20 dependencies through a counting proxy, fewer connections than requests
for i in $(seq 1 20); do
	"$PY" "$TOP/tests/oci_push.py" "$REG_ADDR" "dep/b$i" 1.0.0 good >/dev/null || t_fail "push dep $i"
done
"$PY" "$TOP/tests/fault_server.py" --upstream "http://$REG_ADDR" --port-file "$T_TMP/fport" --timeout 300 >"$T_TMP/fault.log" 2>&1 &
T_PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T_TMP/fport" ] && break; sleep 0.1; done
FP=$(cut -d' ' -f1 "$T_TMP/fport")
w2="$T_TMP/ws2"
mkdir -p "$w2"
{
	echo "name: deps"
	echo "dependencies:"
	for i in $(seq 1 20); do echo "  - localhost:$FP/dep/b$i:1.0.0"; done
} >"$w2/workspace.poly"
t_rc 0 "workspace update of 20 dependencies" "$P" -w "$w2" workspace update --jobs 4
n=$(ls "$w2/blocks/dep" 2>/dev/null | wc -l)
t_eq "all 20 arrived" "$n" 20
stats=$(curl -s --noproxy '*' "http://127.0.0.1:$FP/_f/stats")
conns=$(echo "$stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["connections"])')
reqs=$(echo "$stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
if [ "$conns" -lt "$reqs" ]; then t_ok "kept-alive: $conns connections for $reqs requests"; else T_OUT="" t_fail "connections ($conns) < requests ($reqs)"; fi
t_rc 0 "update again: up to date" "$P" -w "$w2" workspace update
t_contains "nothing to do" "$T_STDOUT" "up to date"

# --- --locked: the digest of blocks.lock, after the tag moved
locked=$(grep -o '"install_path":"dep/b1"[^}]*' "$w2/blocks.lock" | grep -o '"manifest_digest":"[^"]*"')
"$PY" "$TOP/tests/oci_push.py" "$REG_ADDR" dep/b1 1.0.0 setuid >/dev/null || t_fail "move tag"
t_rc 0 "--locked pull" "$P" -w "$w2" blocks pull "localhost:$FP/dep/b1:1.0.0" --locked
t_check "locked digest kept" grep -q "$locked" "$w2/blocks.lock"
t_check "old content kept" test ! -e "$w2/blocks/dep/b1/files/suid.sh"
t_rc 0 "without --locked the moved tag is pulled" "$P" -w "$w2" blocks pull "localhost:$FP/dep/b1:1.0.0"
t_check "new content" test -e "$w2/blocks/dep/b1/files/suid.sh"
t_done
