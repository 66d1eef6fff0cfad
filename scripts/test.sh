#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what it needs, builds, runs node's test runner.
source "$(dirname "$0")/ensure-deps.sh"
source scripts/ensure-system-packages.sh
node --test --test-concurrency="${SLUICE_TEST_CONCURRENCY:-2}" dist/test/
