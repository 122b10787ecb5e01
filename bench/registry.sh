#!/bin/bash
# bench/registry.sh - push and pull of a one-layer image against a loopback docker-registry:
# our client (tests/registry_tool.c: src/registry.c + src/oci.c, static musl) against
# `skopeo copy` of the same content in the same run. Wall time (best of REPS) and peak RSS.
#   SIZES_MB ("1 256") sets the layer sizes, REPS (3) the runs per cell.
set -eu
shopt -s inherit_errexit
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
SIZES_MB=${SIZES_MB:-"1 256"}
REPS=${REPS:-3}
for tool in musl-gcc skopeo docker-registry /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "registry.sh: $tool missing (tests/deps.sh)" >&2; exit 1; }
done
. tests/lib.sh
t_init bench-registry
work=$T_TMP
make -s vendor
tests/registry_tool.sh "$work/registry_tool"
ours=$work/registry_tool
t_registry plain >/dev/null || { echo "registry.sh: registry did not start" >&2; exit 1; }
R=$REG_ADDR

# A private, empty /var/lib/containers for skopeo when we can make one (root).
fresh=()
if [ "$(id -u)" = 0 ] && [ -d /var/lib/containers ] &&
	unshare --mount -- sh -c 'mount -t tmpfs none /var/lib/containers' 2>/dev/null; then
	fresh=(unshare --mount -- sh -c 'mount -t tmpfs none /var/lib/containers && exec "$@"' sh)
fi

# run OUTVAR CMD...: wall microseconds and peak RSS (KiB) of one run, as "usec rss"
run() {
	local t0 t1
	t0=$(date +%s%N)
	/usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>"$work/err" || { echo "run failed: $*" >&2; cat "$work/err" >&2; false; } ||
		{ cat "$work/err" >&2; return 1; }
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000)) $(tail -n 1 "$work/rss")"
}

# best CMD...: the fastest of REPS runs (each gets a fresh repository via the {N} in args)
best() {
	local b="" br="" i out us rss args
	for ((i = 0; i < REPS; i++)); do
		args=()
		for a in "$@"; do args+=("${a//\{N\}/$i}"); done
		rm -rf "$work/out"
		out=$(run "${args[@]}")
		us=${out% *}
		rss=${out#* }
		if [ -z "$b" ] || [ "$us" -lt "$b" ]; then
			b=$us
			br=$rss
		fi
	done
	echo "$b $br"
}

row() { # op size_mb ours(us rss) skopeo(us rss)
	awk -v op="$1" -v mb="$2" -v ou="$3" -v orss="$4" -v su="$5" -v srss="$6" 'BEGIN {
		printf "| %-4s | %5d | %9.3f | %9.3f | %5.2f | %8d | %8d |\n",
			op, mb, ou / 1e6, su / 1e6, ou / su, orss, srss }'
}

# A dir: layout for skopeo with the same layer and config as ours.
mkdir_layout() { # dir layer.tgz diff_id
	"$PY" - "$@" <<'PYEOF'
import hashlib, json, os, shutil, sys
d, layer, diff = sys.argv[1:4]
os.makedirs(d, exist_ok=True)
def h(p):
    s = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            s.update(b)
    return s.hexdigest()
ld = h(layer)
shutil.copy(layer, os.path.join(d, ld))
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {}},
                  "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
cd = hashlib.sha256(cfg).hexdigest()
open(os.path.join(d, cd), "wb").write(cfg)
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                  "digest": "sha256:" + cd, "size": len(cfg)},
       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                   "digest": "sha256:" + ld, "size": os.path.getsize(layer)}]}
open(os.path.join(d, "manifest.json"), "w").write(json.dumps(man))
open(os.path.join(d, "version"), "w").write("Directory Transport Version: 1.1\n")
PYEOF
}

echo "registry benchmark: docker-registry $(docker-registry --version | awk '{print $3}') on" \
	"127.0.0.1, $(skopeo --version), best of $REPS, $(nproc) CPUs," \
	"$(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "(push: 4 MiB PATCH chunks, the default above REGISTRY_MONOLITHIC_MAX; put1: one PUT;"
echo " stream: one streamed PATCH, as blocks push sends its layer)"
echo
echo "| op   |   MiB |  ours (s) | skopeo (s) | ratio | ours KiB | skopeo KiB |"
echo "|------|-------|-----------|------------|-------|----------|------------|"
for mb in $SIZES_MB; do
	head -c $((mb << 20)) /dev/urandom >"$work/layer.tar"
	diff="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
	gzip -1 -n -c "$work/layer.tar" >"$work/layer.tgz"
	rm -f "$work/layer.tar"
	rm -rf "$work/skdir"
	mkdir_layout "$work/skdir" "$work/layer.tgz" "$diff"
	o=$(best "$ours" push-artifact "$R" "bench/ours-$mb-{N}" 1 "$work/layer.tgz" "$diff" bench)
	# an empty blob-info cache per run (/var/lib/containers for root, else HOME): skopeo
	# would otherwise mount the layer from the previous run's repository
	s=$(best "${fresh[@]}" env HOME="$work/home-push-$mb-{N}" skopeo --insecure-policy copy \
		-q --dest-tls-verify=false "dir:$work/skdir" "docker://$R/bench/sk-$mb-{N}:1")
	row push "$mb" $o $s
	if [ "$mb" -gt 4 ]; then
		# the same with one PUT instead of 4 MiB PATCH chunks (registry_opts.monolithic_max)
		o=$(best env REGISTRY_MONOLITHIC_MAX=$(((mb + 1) << 20)) "$ours" push-artifact "$R" \
			"bench/put-$mb-{N}" 1 "$work/layer.tgz" "$diff" bench)
		row put1 "$mb" $o $s
		# one streamed PATCH (registry_blob_stream), as blocks push sends its layer
		o=$(best env REGISTRY_STREAM=1 "$ours" push-artifact "$R" \
			"bench/stream-$mb-{N}" 1 "$work/layer.tgz" "$diff" bench)
		row stream "$mb" $o $s
	fi
	o=$(best "$ours" pull-image "$R" "bench/ours-$mb-0" 1 "$work/out")
	s=$(best env HOME="$work/home-pull-$mb-{N}" skopeo --insecure-policy copy -q \
		--src-tls-verify=false "docker://$R/bench/sk-$mb-0:1" "dir:$work/out")
	row pull "$mb" $o $s
done
# tests/lib.sh's exit trap waits for the killed registry (status 143): not under errexit
set +e
