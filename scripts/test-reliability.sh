#!/usr/bin/env bash
# The reliability suites (issue 10): `npm run test:reliability`. Installs what they need,
# builds, and runs only dist/test/reliability/, one file at a time (they load the machine).
source "$(dirname "$0")/ensure-deps.sh"
source scripts/ensure-system-packages.sh
node --test --test-concurrency=1 dist/test/reliability/
