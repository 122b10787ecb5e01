#!/bin/bash
# tests/registry_tool.sh OUT - builds tests/registry_tool.c as the shipped binary is built
# (musl, static, the vendored libraries) into OUT; reuses build/musl objects when they are
# newer than their sources, else compiles the sources.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$1
vendor=build/vendor/$(musl-gcc -dumpmachine | cut -d- -f1)
[ -f "$vendor/.built" ] || { echo "registry_tool.sh: run make vendor first" >&2; exit 1; }
flags="-std=c11 -D_GNU_SOURCE -O2 -static -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -I$vendor/include"
inputs=()
for s in src/*.c; do
	b=$(basename "$s" .c)
	case "$b" in main | cmd_*) continue ;; esac
	o=build/musl/$b.o
	if [ -f "$o" ] && [ "$o" -nt "$s" ]; then inputs+=("$o"); else inputs+=("$s"); fi
done
musl-gcc $flags -o "$out" tests/registry_tool.c "${inputs[@]}" \
	"$vendor/lib/libbearssl.a" "$vendor/lib/libyaml.a" "$vendor/lib/libz.a" -lpthread
