#!/bin/bash
# test_seed.sh - the seed's own examples, verbatim, with its real host names: inside new
# network and mount namespaces where those names resolve to loopback registries with a
# certificate for them on port 443, so nothing can leave the machine.
. "$(dirname "$0")/../lib.sh"

NAMES="cargo.ayedo.cloud my-registry.com registry.mycompany.com hub.polycrate.io
index.docker.io registry-1.docker.io registry.enterprise.com ghcr.io"
if [ -z "${IN_SEED_NS:-}" ]; then
	t_init seed
	if ! t_netns_ok; then
		t_skip "needs network namespaces (root, unshare, ip)"
		t_done
	fi
	# harbor.company.com gets a registry of its own, with htpasswd, on 127.0.0.2
	hosts="$T_TMP/hosts"
	{
		echo "127.0.0.1 localhost"
		for n in $NAMES; do echo "127.0.0.1 $n"; done
		echo "127.0.0.2 harbor.company.com"
	} >"$hosts"
	unshare --net --mount -- /bin/sh -c '
		ip link set lo up || exit 99
		mount --bind "$0" /etc/hosts || exit 99
		IN_SEED_NS=1 exec bash "$1"' "$hosts" "$0"
	exit $?
fi

t_init seed
P=$POLYCRATE
# one TLS registry for every public name, on 443 as the seed's names imply
REG_FIXED_PORT=443 REG_TLS_NAMES="$NAMES" t_registry tls || { t_fail "registry on 443"; t_done; }
export SSL_CERT_FILE="$REG_DIR/tls/ca.crt"
MAIN_DIR=$REG_DIR
REG_LISTEN=127.0.0.2 REG_FIXED_PORT=443 REG_TLS_NAMES="harbor.company.com" REG_USER=proxy-bot \
	REG_PASS=harbor-proxy-pw t_registry tls-htpasswd || { t_fail "harbor stand-in"; t_done; }
HARBOR_DIR=$REG_DIR
cat "$HARBOR_DIR/tls/ca.crt" >>"$T_TMP/cas.pem"
cat "$MAIN_DIR/tls/ca.crt" >>"$T_TMP/cas.pem"
export SSL_CERT_FILE="$T_TMP/cas.pem"

ws="$T_TMP/my-workspace"
mkdir -p "$ws/blocks/my-block" "$ws/blocks/postgres-base"
cd "$ws" || exit 1
echo "name: my-workspace" >workspace.poly
cat >blocks/my-block/block.poly <<'B'
name: my-block
version: 1.2.3
B
# Beispiel 1: Team-Library aufbauen (the seed's block.poly, verbatim)
cat >blocks/postgres-base/block.poly <<'B'
name: postgres-base
version: 1.0.0
kind: k8sapp
actions:
  - name: install
    playbook: playbooks/install.yml
B

# --- Registry-Konfiguration: the three ways, and the registry in the name
t_rc 0 "polycrate blocks push my-block (default registry)" "$P" blocks push my-block
t_contains "default registry is cargo.ayedo.cloud" "$T_STDOUT" "Pushed cargo.ayedo.cloud/my-block:1.2.3"
t_rc 0 "polycrate blocks push my-block --registry-url my-registry.com" "$P" blocks push my-block --registry-url my-registry.com
t_contains "flag" "$T_STDOUT" "my-registry.com/my-block:1.2.3"
t_rc 0 "POLYCRATE_REGISTRY_URL=my-registry.com polycrate blocks push my-block" env POLYCRATE_REGISTRY_URL=my-registry.com "$P" blocks push my-block
t_contains "env: already there" "$T_STDOUT" "my-registry.com/my-block:1.2.3 is already up to date"
cat >workspace.poly <<'W'
name: my-workspace

config:
  registry:
    url: my-registry.com
    base_image: my-registry.com/library/scratch:latest
W
t_rc 0 "workspace.poly config.registry.url" "$P" blocks push my-block
t_contains "workspace registry" "$T_STDOUT" "my-registry.com/my-block:1.2.3"
t_rc 0 "polycrate blocks push my-registry.com/team/my-block" "$P" blocks push my-registry.com/team/my-block
t_contains "pushed as my-registry.com/team/my-block:1.2.3" "$T_STDOUT" "my-registry.com/team/my-block:1.2.3"
echo "name: my-workspace" >workspace.poly
t_rc 0 "polycrate blocks push registry.mycompany.com/infra/postgres-base" "$P" blocks push registry.mycompany.com/infra/postgres-base
t_contains "trailing-name rule" "$T_STDOUT" "registry.mycompany.com/infra/postgres-base:1.0.0"
t_rc 0 "push postgres-base to the default registry" "$P" blocks push postgres-base
t_rc 0 "push to Docker Hub naming" "$P" blocks push index.docker.io/myuser/my-block
t_contains "docker hub push" "$T_STDOUT" "index.docker.io/myuser/my-block:1.2.3"

# --- Blocks pullen
team="$T_TMP/team"
mkdir -p "$team" && cd "$team" || exit 1
echo "name: team" >workspace.poly
t_rc 0 "polycrate blocks pull postgres-base:1.0.0" "$P" blocks pull postgres-base:1.0.0
t_check "installed into blocks/postgres-base" test -f blocks/postgres-base/block.poly
t_rc 0 "polycrate blocks pull postgres-base (latest)" "$P" blocks pull postgres-base
t_contains "latest is the same" "$T_STDOUT" "up to date"
t_rc 0 "polycrate blocks uninstall postgres-base" "$P" blocks uninstall postgres-base
t_check "uninstalled" test ! -e blocks/postgres-base
t_rc 0 "polycrate blocks pull my-registry.com/team/my-block:1.2.3" "$P" blocks pull my-registry.com/team/my-block:1.2.3
t_check "nested install path" test -f blocks/team/my-block/block.poly
t_rc 0 "polycrate blocks pull registry.mycompany.com/infra/postgres-base:1.0.0" "$P" blocks pull registry.mycompany.com/infra/postgres-base:1.0.0
t_rc 0 "polycrate blocks pull index.docker.io/myuser/my-block:1.2.3" "$P" blocks pull index.docker.io/myuser/my-block:1.2.3
t_check "docker hub block installed" test -f blocks/myuser/my-block/block.poly
t_rc 0 "polycrate blocks pull my-block:1.2.3 (default registry)" "$P" blocks pull my-block:1.2.3
t_rc 3 "Block not found" "$P" blocks pull cargo.ayedo.cloud/my-org/my-block:1.0.0
t_contains "seed's not-found message" "$T_STDERR" "Error: block 'cargo.ayedo.cloud/my-org/my-block:1.0.0' not found in registry"
t_rc 5 "Registry nicht erreichbar" "$P" blocks pull registry.example.invalid/x/y:1.0.0
t_contains "seed's connect message" "$T_STDERR" "Error: failed to connect to registry"

# --- Registry-Proxying: the seed's Harbor example, with the per-entry credentials
# the mirror holds what cargo.ayedo.cloud has, under proxy-cache/
cd "$ws" || exit 1
mkdir -p blocks/nginx
printf 'name: nginx\nversion: 1.0.0\nactions:\n  - name: install\n    script: ["echo nginx installed from $POLYCRATE_BLOCK"]\n' >blocks/nginx/block.poly
t_rc 0 "push the original" "$P" blocks push cargo.ayedo.cloud/ayedo/k8s/nginx
mkdir -p "$T_TMP/dc" && printf '{"auths":{"harbor.company.com":{"auth":"%s"}}}' "$(printf 'proxy-bot:harbor-proxy-pw' | base64)" >"$T_TMP/dc/config.json"
t_rc 0 "fill the Harbor proxy project" env DOCKER_CONFIG="$T_TMP/dc" "$P" blocks push harbor.company.com/proxy-cache/ayedo/k8s/nginx
air="$T_TMP/airgapped"
mkdir -p "$air"
cat >"$air/workspace.poly" <<'W'
name: my-workspace
registry:
  endpoint: harbor.company.com
  username: admin
  password: ${HARBOR_PASSWORD}
  proxy:
    - from: cargo.ayedo.cloud
      to: harbor.company.com/proxy-cache
      username: proxy-bot
      password: ${HARBOR_PROXY_PASSWORD}
blocks:
  - name: k8s-nginx
    from: cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0
W
cd "$air" || exit 1
t_rc 2 "unset \${HARBOR_PASSWORD} is an error" "$P" blocks pull ayedo/k8s/nginx:1.0.0
t_contains "names the variable" "$T_STDERR" "HARBOR_PASSWORD"
export HARBOR_PASSWORD=not-used HARBOR_PROXY_PASSWORD=harbor-proxy-pw
t_rc 0 "polycrate blocks pull ayedo/k8s/nginx --loglevel 2 (seed troubleshooting)" "$P" blocks pull ayedo/k8s/nginx:1.0.0 --loglevel 2
t_contains "seed's INFO line" "$T_STDERR" "INFO: Registry proxy match found: cargo.ayedo.cloud/ayedo/k8s/nginx -> harbor.company.com/proxy-cache/ayedo/k8s/nginx"
t_contains "seed's DEBUG line" "$T_STDERR" "DEBUG: Using proxy credentials for registry: harbor.company.com/proxy-cache"
t_not_contains "no password in the log" "$T_OUT" "harbor-proxy-pw"
t_check "installed where the user wrote it" test -f blocks/ayedo/k8s/nginx/block.poly
t_check "lock records the mirror" grep -q '"resolved":"harbor.company.com/proxy-cache/ayedo/k8s/nginx:1.0.0"' blocks.lock
t_rc 0 "run through the rewritten from:" "$P" run k8s-nginx install
t_contains "the action ran" "$T_STDOUT" "nginx installed from k8s-nginx"
export HARBOR_PROXY_PASSWORD=wrong
rm -rf blocks blocks.lock
t_rc 4 "wrong proxy password" "$P" blocks pull ayedo/k8s/nginx:1.0.0
t_contains "authentication message" "$T_STDERR" "Error:"
t_done
