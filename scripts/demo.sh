#!/usr/bin/env bash
# The main job on embedded defaults: `npm run demo`.
source "$(dirname "$0")/ensure-deps.sh"
source scripts/ensure-rpm-tools.sh
exec node bin/sluice.js demo "$@"
