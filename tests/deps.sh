#!/bin/sh
# tests/deps.sh - install what the build and the tests need (Debian 12, as root), or say
# exactly what is missing.
set -u
pkgs="build-essential musl-tools clang libclang-rt-14-dev libbearssl-dev libyaml-dev
zlib1g-dev docker-registry apache2-utils skopeo openssl curl file xz-utils bzip2 tar
python3 python3-cryptography python3-jwt iproute2 time util-linux ca-certificates debian-archive-keyring
python3-yaml apt-utils dpkg-dev time busybox"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: install them (apt-get install$missing) or run as root on Debian 12" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
echo "deps: done"
