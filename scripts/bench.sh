#!/usr/bin/env bash
# Benchmarks: `npm run bench`. Each prints ratios against a baseline run in the same process.
source "$(dirname "$0")/ensure-deps.sh" >/dev/null
for b in dist/bench/*.bench.js; do node "$b"; done
