#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what it needs, builds, runs node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
source "$(dirname "$0")/ensure-system-packages.sh"
# The real OpenStack of the provider's API tests is installed and started in the background
# while the build and the other tests run (test/helpers/openstack-real.ts waits for it),
# and stopped at the end when this run started it. SLUICE_OPENSTACK_REAL=0 turns it off.
real_cloud_running=0
bash scripts/openstack-real.sh status >/dev/null 2>&1 && real_cloud_running=1
if [ "${SLUICE_OPENSTACK_REAL:-1}" != 0 ] && [ "$real_cloud_running" = 0 ]; then
  (bash scripts/openstack-real.sh install && bash scripts/openstack-real.sh start) >/dev/null 2>&1 &
  real_cloud_starting=$!
  trap 'wait "$real_cloud_starting" 2>/dev/null; bash scripts/openstack-real.sh stop >/dev/null 2>&1 || true' EXIT
fi
source "$(dirname "$0")/ensure-deps.sh"
node --test --test-concurrency="${SLUICE_TEST_CONCURRENCY:-2}" dist/test/
