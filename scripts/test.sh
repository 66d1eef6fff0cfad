#!/usr/bin/env bash
# The whole test suite: `npm test`. Installs what it needs, builds, runs node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
source "$(dirname "$0")/ensure-system-packages.sh"
source "$(dirname "$0")/ensure-deps.sh"
status=0
# The real OpenStack of the provider's API tests (test/helpers/openstack-real.ts) runs after
# the rest, not beside it: its services would take the CPU that the other tests' timeouts and
# timing bounds count on. SLUICE_OPENSTACK_REAL=0 turns it off.
real="${SLUICE_OPENSTACK_REAL:-1}"
SLUICE_OPENSTACK_REAL=0 node --test --test-concurrency="${SLUICE_TEST_CONCURRENCY:-2}" dist/test/ || status=$?
if [ "$real" != 0 ]; then
  running=0
  bash scripts/openstack-real.sh status >/dev/null 2>&1 && running=1
  if [ "$running" = 0 ]; then
    echo "the real OpenStack of the provider's API tests: installing from Debian's packages (minutes on a fresh machine) and starting it"
    trap 'bash scripts/openstack-real.sh stop >/dev/null 2>&1 || true' EXIT
  fi
  node --test dist/test/drivers/providers/openstack/cloud-api-real.test.js || status=$?
fi
exit "$status"
