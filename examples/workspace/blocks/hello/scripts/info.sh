#!/bin/sh
echo "running in $(pwd) as action $POLYCRATE_ACTION of block $POLYCRATE_BLOCK"
