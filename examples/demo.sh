#!/bin/bash
# examples/demo.sh - the main job end to end on this machine (make demo).
set -eu
cd "$(dirname "$0")/.."
./build-static.sh
./polycrate version
