#!/bin/bash
# bench/workspace.sh - loading configuration: a workspace with BLOCKS block.poly files in
# nested folders (what `blocks list` reads), and one wide YAML file (KEYS keys, < 1 MiB), with our
# workspace.c/yaml.c (static musl build) against PyYAML's libyaml-based CSafeLoader doing
# the same walk and loads in the same run; seconds per load and peak RSS. Writes
# bench/results-workspace.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BLOCKS=${BLOCKS:-500}
KEYS=${KEYS:-20000}
REPS=${REPS:-5}
for tool in musl-gcc /usr/bin/time /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "workspace.sh: $tool missing (tests/deps.sh)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null ||
	{ echo "workspace.sh: python3-yaml (with libyaml) missing" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make -s vendor
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
objs="workspace yaml ref semver buf err log"
make -s $(for o in $objs; do echo "build/musl/$o.o"; done)
mkdir -p build/bench
musl-gcc -std=c11 -D_GNU_SOURCE -O2 -static -Isrc -I"$vendor/include" \
	-o build/bench/workspace_bench bench/workspace_bench.c \
	$(for o in $objs; do echo "build/musl/$o.o"; done) "$vendor/lib/libyaml.a"
ours=$top/build/bench/workspace_bench

/usr/bin/python3 - "$work" "$BLOCKS" "$KEYS" <<'PY'
import os, sys
root, n, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(os.path.join(root, "ws"), exist_ok=True)
with open(os.path.join(root, "ws", "workspace.poly"), "w") as f:
    f.write("name: bench\nconfig:\n  registry:\n    url: registry.example.com\n")
    f.write("registry:\n  proxy:\n")
    for i in range(20):
        f.write("    - from: cargo.ayedo.cloud/team%02d\n      to: mirror.example.com/t%02d\n" % (i, i))
for i in range(n):
    d = os.path.join(root, "ws", "blocks", "team%02d" % (i % 20), "app%04d" % i)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "block.poly"), "w") as f:
        f.write("name: app%04d\nversion: 1.%d.0\nkind: k8sapp\n" % (i, i % 50))
        f.write("labels:\n  team: team%02d\n  tier: '%d'\n" % (i % 20, i % 3))
        f.write("config:\n  defaults: &d\n    replicas: 2\n    image: nginx:1.25\n")
        f.write("  app:\n    <<: *d\n    ports: [80, 443]\n    env:\n")
        for j in range(30):
            f.write("      VAR_%02d: \"value %d of block %d\"\n" % (j, j, i))
        f.write("actions:\n")
        for a in ("install", "upgrade", "remove"):
            f.write("  - name: %s\n    script:\n      - echo %s ${POLYCRATE_BLOCK}\n"
                    "      - kubectl apply -f manifests/\n" % (a, a))
with open(os.path.join(root, "wide.yml"), "w") as f:
    for i in range(keys):
        f.write("key%06d: {name: n%d, list: [a, b, c]}\n" % (i, i))
PY
cat >"$work/py_ws.py" <<'PY'
import os, sys, time, yaml
root, reps = sys.argv[1], int(sys.argv[2])
def load(p):
    with open(p, "rb") as f:
        return yaml.load(f, Loader=yaml.CSafeLoader)
t0 = time.monotonic()
for _ in range(reps):
    load(os.path.join(root, "workspace.poly"))
    found = 0
    for d, dirs, files in os.walk(os.path.join(root, "blocks")):
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        if "block.poly" in files:
            load(os.path.join(d, "block.poly"))
            found += 1
            dirs[:] = []
print(found, "%.4f" % ((time.monotonic() - t0) / reps))
PY
cat >"$work/py_yaml.py" <<'PY'
import sys, time, yaml
path, reps = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
for _ in range(reps):
    with open(path, "rb") as f:
        d = yaml.load(f, Loader=yaml.CSafeLoader)
print(len(d), "%.4f" % ((time.monotonic() - t0) / reps))
PY

# row CASE TOOL CMD...: the tool's own "count seconds" line and /usr/bin/time's peak RSS.
rows=()
row() {
	local c=$1 t=$2 out rss
	shift 2
	out=$(/usr/bin/time -f "RSS %M" "$@" 2>"$work/time")
	rss=$(sed -n 's/^RSS //p' "$work/time")
	rows+=("$(printf '| %-14s | %-26s | %8s | %10s | %8s |' "$c" "$t" "${out% *}" \
		"$(awk -v s="${out#* }" 'BEGIN{printf "%.1f", s*1000}')" "$rss")")
}
row "workspace" "polycrate (workspace.c)" "$ours" ws "$work/ws" "$REPS"
row "workspace" "python3 PyYAML CSafeLoader" /usr/bin/python3 "$work/py_ws.py" "$work/ws" "$REPS"
row "wide mapping" "polycrate (yaml.c)" "$ours" yaml "$work/wide.yml" "$REPS"
row "wide mapping" "python3 PyYAML CSafeLoader" /usr/bin/python3 "$work/py_yaml.py" "$work/wide.yml" "$REPS"

wide_kib=$(( $(stat -c %s "$work/wide.yml") / 1024 ))
{
	echo "# Loading configuration (bench/workspace.sh)"
	echo
	echo "\`bench/workspace.sh\` loads a workspace of $BLOCKS block.poly files in nested folders"
	echo "(each ~50 lines: labels, an anchor and a \`<<\` merge, 30 config values, 3 actions) plus"
	echo "its workspace.poly with 20 proxy rules — what \`blocks list\` reads — and one wide YAML"
	echo "file ($KEYS keys, $wide_kib KiB), with our \`workspace_load\` + \`workspace_scan_blocks\` /"
	echo "\`yaml_load_file\` (driver \`bench/workspace_bench.c\`, static musl build) against PyYAML's"
	echo "libyaml-based CSafeLoader doing the same walk and loads, in the same run. Both parse with"
	echo "libyaml; ours also checks the schema (types, references, SemVer, duplicate keys) and"
	echo "keeps line and column on every node. Mean of $REPS loads per process; RSS is the"
	echo "process peak (the python interpreter included)."
	echo
	echo "Run on $(date -u +%Y-%m-%d), $(nproc) CPUs shared with other jobs (load average" \
		"$(cut -d' ' -f1 /proc/loadavg) at the end)."
	echo
	echo "| case           | tool                       |    found |  ms / load | RSS KiB |"
	echo "|----------------|----------------------------|----------|------------|---------|"
	printf '%s\n' "${rows[@]}"
} >bench/results-workspace.md
cat bench/results-workspace.md
