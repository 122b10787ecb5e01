#!/bin/bash
# test_registry.sh - interop with skopeo both ways through tests/registry_tool.c: what we push
# skopeo inspects and copies byte for byte; what skopeo pushes (OCI, Docker schema2, a
# two-platform index) we read and verify; plus TLS and htpasswd through the same tool.
. "$(dirname "$0")/../lib.sh"
t_init registry

tool=$T_TMP/registry_tool
if ! T_OUT=$("$TOP/tests/registry_tool.sh" "$tool" 2>&1); then
	t_fail "registry_tool builds"
	t_done
fi
sk() { skopeo --insecure-policy "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

t_registry plain || { t_fail "registry starts"; t_done; }
R=$REG_ADDR

# ---- what we push, skopeo reads ----
mkdir -p "$T_TMP/block/sub"
echo "name: nginx" >"$T_TMP/block/block.poly"
echo "hello" >"$T_TMP/block/sub/file.txt"
tar -C "$T_TMP/block" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	-cf "$T_TMP/layer.tar" block.poly sub sub/file.txt
gzip -n -c "$T_TMP/layer.tar" >"$T_TMP/layer.tgz"
diff_id="sha256:$(sha "$T_TMP/layer.tar")"
t_rc 0 "push-artifact" "$tool" push-artifact "$R" ayedo/k8s/nginx 1.0.0 "$T_TMP/layer.tgz" \
	"$diff_id" nginx
mdigest=$T_STDOUT
t_rc 0 "skopeo inspect" sk inspect --tls-verify=false "docker://$R/ayedo/k8s/nginx:1.0.0"
t_contains "skopeo sees the name label" "$T_STDOUT" '"blocks.polycrate.io/name": "nginx"'
t_contains "skopeo sees the managed-by label" "$T_STDOUT" '"polycrate.io/managed-by": "cli"'
t_contains "skopeo sees our digest" "$T_STDOUT" "\"Digest\": \"$mdigest\""
t_contains "skopeo sees linux/amd64" "$T_STDOUT" '"Architecture": "amd64"'
t_rc 0 "skopeo inspect --raw" sk inspect --raw --tls-verify=false \
	"docker://$R/ayedo/k8s/nginx:1.0.0"
printf '%s' "$T_STDOUT" >"$T_TMP/raw.json"
t_eq "raw manifest hashes to the pushed digest" "sha256:$(sha "$T_TMP/raw.json")" "$mdigest"
t_contains "manifest carries its mediaType" "$T_STDOUT" \
	'"mediaType":"application/vnd.oci.image.manifest.v1+json"'
t_contains "manifest has the title annotation" "$T_STDOUT" \
	'"org.opencontainers.image.title":"nginx"'
t_rc 0 "skopeo inspect --config" sk inspect --config --raw --tls-verify=false \
	"docker://$R/ayedo/k8s/nginx:1.0.0"
t_contains "config names the tar digest" "$T_STDOUT" "\"diff_ids\":[\"$diff_id\"]"
t_rc 0 "skopeo copy to dir:" sk copy --src-tls-verify=false \
	"docker://$R/ayedo/k8s/nginx:1.0.0" "dir:$T_TMP/skdir"
ldigest=$(sha "$T_TMP/layer.tgz")
t_eq "skopeo's layer is our bytes" "$(sha "$T_TMP/skdir/$ldigest" 2>/dev/null)" "$ldigest"
t_rc 0 "skopeo copy to an oci layout" sk copy --src-tls-verify=false \
	"docker://$R/ayedo/k8s/nginx:1.0.0" "oci:$T_TMP/sklayout:1.0.0"
t_rc 0 "skopeo copy registry to registry" sk copy --src-tls-verify=false \
	--dest-tls-verify=false "docker://$R/ayedo/k8s/nginx:1.0.0" "docker://$R/copied/nginx:1.0.0"
t_rc 0 "we read skopeo's copy" "$tool" pull-image "$R" copied/nginx 1.0.0 "$T_TMP/back"
t_contains "same manifest digest after skopeo's copy" "$T_STDOUT" "manifest application/vnd.oci.image.manifest.v1+json $mdigest"
t_rc 0 "skopeo lists our tag" sk list-tags --tls-verify=false "docker://$R/ayedo/k8s/nginx"
t_contains "tag 1.0.0 listed" "$T_STDOUT" '"1.0.0"'

# ---- what skopeo pushes, we read ----
# A hand-made OCI layout: one tar+gzip layer, a config, a manifest per platform, an index.
"$PY" - "$T_TMP/layout" "$T_TMP/layer.tgz" "$diff_id" >/dev/null <<'PYEOF'
import hashlib, json, os, sys
root, layer_path, diff_id = sys.argv[1:4]
blobs = os.path.join(root, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
layer = open(layer_path, "rb").read()
ld, ls = put(layer)
def image(arch):
    cfg = json.dumps({"architecture": arch, "os": "linux",
                      "config": {"Labels": {"arch": arch}},
                      "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    cd, cs = put(cfg)
    man = json.dumps({"schemaVersion": 2,
                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": cd, "size": cs},
                      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                  "digest": ld, "size": ls}]}).encode()
    md, ms = put(man)
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
            "size": ms, "platform": {"architecture": arch, "os": "linux"}}
arm, amd = image("arm64"), image("amd64")
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [arm, amd]}).encode()
xd, xs = put(idx)
single = dict(amd)
single["annotations"] = {"org.opencontainers.image.ref.name": "single"}
del single["platform"]
multi = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xs,
         "annotations": {"org.opencontainers.image.ref.name": "multi"}}
json.dump({"schemaVersion": 2, "manifests": [single, multi]},
          open(os.path.join(root, "index.json"), "w"))
open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
print(amd["digest"])
PYEOF
for fmt in oci v2s2; do
	t_rc 0 "skopeo pushes --format $fmt" sk copy --dest-tls-verify=false --format "$fmt" \
		"oci:$T_TMP/layout:single" "docker://$R/from-skopeo/$fmt:1"
	t_rc 0 "we pull skopeo's $fmt image" "$tool" pull-image "$R" "from-skopeo/$fmt" 1 \
		"$T_TMP/pulled-$fmt"
	case $fmt in
	oci) want="manifest application/vnd.oci.image.manifest.v1+json" ;;
	v2s2) want="manifest application/vnd.docker.distribution.manifest.v2+json" ;;
	esac
	t_contains "$fmt manifest type" "$T_STDOUT" "$want"
	layer_line=$(printf '%s\n' "$T_STDOUT" | grep '^layer ')
	ld=$(echo "$layer_line" | cut -d' ' -f3)
	t_eq "$fmt layer unpacks to our tar" \
		"sha256:$(gunzip -c "$T_TMP/pulled-$fmt/${ld#sha256:}" | sha256sum | cut -d' ' -f1)" \
		"$diff_id"
done
t_contains "v2s2 layer type" "$layer_line" "application/vnd.docker.image.rootfs.diff.tar.gzip"
t_rc 0 "skopeo pushes an index (--all)" sk copy --all --dest-tls-verify=false \
	"oci:$T_TMP/layout:multi" "docker://$R/from-skopeo/multi:1"
t_rc 0 "we pick linux/amd64 from the index" "$tool" pull-image "$R" from-skopeo/multi 1 \
	"$T_TMP/pulled-multi"
t_contains "index picked amd64" "$T_STDOUT" "-> linux/amd64"
cfgd=$(printf '%s\n' "$T_STDOUT" | grep '^config ' | cut -d' ' -f3)
t_contains "amd64 config fetched" "$(cat "$T_TMP/pulled-multi/${cfgd#sha256:}" 2>/dev/null)" \
	'"arch": "amd64"'

# ---- errors in the seed's words ----
t_rc 3 "unknown tag is not found" "$tool" pull-image "$R" ayedo/k8s/nginx 9.9.9 "$T_TMP/x"
t_contains "not found message" "$T_STDERR" "manifest ayedo/k8s/nginx:9.9.9 not found"
dead=127.0.0.1:$(t_free_port)
t_rc 5 "nothing listening" "$tool" tags "$dead" x
t_contains "connect message" "$T_STDERR" "Error: failed to connect to registry $dead"

# ---- htpasswd and TLS through the same tool ----
t_registry htpasswd || t_fail "htpasswd registry starts"
t_rc 4 "anonymous push refused" "$tool" push-blob "$REG_ADDR" auth/x "$T_TMP/layer.tgz"
t_contains "seed's words" "$T_STDERR" "Error: authentication required"
t_rc 0 "push with credentials" env REGISTRY_USER=tester REGISTRY_PASS=secret-pw "$tool" \
	push-blob "$REG_ADDR" auth/x "$T_TMP/layer.tgz"
t_rc 0 "push an artifact with credentials" env REGISTRY_USER=tester REGISTRY_PASS=secret-pw \
	"$tool" push-artifact "$REG_ADDR" auth/x 1.0.0 "$T_TMP/layer.tgz" "$diff_id" nginx
t_rc 0 "skopeo reads it with credentials" sk inspect --tls-verify=false \
	--creds tester:secret-pw "docker://$REG_ADDR/auth/x:1.0.0"
t_registry tls || t_fail "tls registry starts"
t_rc 0 "push over TLS" env REGISTRY_CA="$REG_DIR/tls/ca.crt" "$tool" push-artifact \
	"$REG_ADDR" tls/nginx 1.0.0 "$T_TMP/layer.tgz" "$diff_id" nginx
mkdir -p "$T_TMP/certs" && cp "$REG_DIR/tls/ca.crt" "$T_TMP/certs/"
t_rc 0 "skopeo reads it over TLS" sk inspect --cert-dir "$T_TMP/certs" \
	"docker://$REG_ADDR/tls/nginx:1.0.0"
t_contains "over TLS too" "$T_STDOUT" '"blocks.polycrate.io/name": "nginx"'
t_rc 5 "unknown CA refused" "$tool" tags "$REG_ADDR" tls/nginx
t_not_contains "no plain HTTP fallback" "$T_STDERR" "plain"

t_done
