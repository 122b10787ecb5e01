#!/bin/bash
# bench/size.sh - the stripped static binary's size, and what each part costs.
set -u
cd "$(dirname "$0")/.." || exit 1
make -s polycrate >/dev/null || exit 1
size=$(wc -c <polycrate)
{
	echo "| what | bytes |"
	echo "|---|---|"
	echo "| \`polycrate\` (static, stripped, x86_64, $(git rev-parse --short HEAD 2>/dev/null)) | $size |"
	echo "| budget | 1048576 (aim: 524288) |"
	echo
	echo "Largest sections of the linked program (\`size -A\` of the stripped binary):"
	echo
	echo '```'
	size -A polycrate | sort -k2 -n -r | head -n 6
	echo '```'
} >bench/results-size.md
cat bench/results-size.md
