#!/usr/bin/env bash
# Benchmarks: `npm run bench`. Each prints ratios against a baseline run in the same process.
source "$(dirname "$0")/ensure-deps.sh" >/dev/null
shopt -s nullglob
benches=(dist/bench/*.bench.js)
[ ${#benches[@]} -gt 0 ] || { echo "no benchmarks built"; exit 0; }
for b in "${benches[@]}"; do node "$b"; done
