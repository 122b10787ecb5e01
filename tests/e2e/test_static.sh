#!/bin/bash
# test_static.sh - the binary is static, stripped, small, and runs in an empty root
. "$(dirname "$0")/../lib.sh"
t_init static
P=$POLYCRATE

info=$(file -L "$P")
case "$info" in
*"statically linked"* | *"static-pie linked"*) t_ok "file says static" ;;
*) T_OUT=$info t_fail "file says static" ;;
esac
t_contains "stripped" "$info" "stripped"
t_not_contains "not dynamic" "$info" "dynamically linked"
t_not_contains "no interpreter" "$info" "interpreter"
if readelf -l "$P" 2>/dev/null | grep -q INTERP; then t_fail "no PT_INTERP"; else t_ok "no PT_INTERP"; fi
if readelf -d "$P" 2>/dev/null | grep -q NEEDED; then t_fail "no DT_NEEDED"; else t_ok "no DT_NEEDED"; fi
size=$(wc -c <"$P")
if [ "$size" -lt 1048576 ]; then t_ok "size $size < 1 MiB"; else t_fail "size $size >= 1 MiB"; fi

# an empty root: only the binary, no libc, no /etc, no HOME
root="$T_TMP/root"
mkdir -p "$root"
cp "$P" "$root/polycrate"
if command -v chroot >/dev/null && [ "$(id -u)" = 0 ]; then
	chr=$(command -v chroot)
	t_rc 0 "runs in an empty chroot" env -i "$chr" "$root" /polycrate version
	t_contains "chroot version output" "$T_STDOUT" "polycrate 0.1.0"
	t_rc 2 "usage error in chroot" env -i "$chr" "$root" /polycrate nope
	n=$(find "$root" | wc -l)
	t_eq "chroot holds only the binary" "$n" "2"
else
	t_skip "chroot needs root"
fi
t_done
