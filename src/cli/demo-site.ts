/**
 * The demo's site: a config of five targets and a smoke test that really runs. One target
 * fails on purpose the way 2015's did (a dependency the production repository cannot
 * satisfy), deep in a long install log: the point is that Sluice shows those lines first.
 */
/**
 * With the rpm tools present, kilo/epel-7 also runs the built-in checks against a local
 * production repository, and the Nova update there misses a dependency.
 */
export function demoConfig(root: string, withChecks: boolean): string {
  const el7 = withChecks
    ? `{ repo: "file://${root}/production/kilo-el7", image: kilo-el7-20151120, pipelines: { phase1: { checks: [conflicts, upgrade, installable] } } }`
    : '{ repo: "https://repos.fedorapeople.org/repos/openstack/openstack-kilo/el7/", image: kilo-el7-20151120 }';
  return `# Sluice demo site (written by sluice demo)
releases: [kilo, liberty]
dists:
  epel-7: { aliases: [el7] }
  fedora-22: { aliases: [f22] }
  fedora-23: { aliases: [f23] }
targets:
  kilo/epel-7: ${el7}
  kilo/fedora-22: { repo: "https://repos.fedorapeople.org/repos/openstack/openstack-kilo/f22/", image: kilo-f22-20151120 }
  liberty/epel-7: { repo: "https://repos.fedorapeople.org/repos/openstack/openstack-liberty/el7/", image: liberty-el7-20151124 }
  liberty/fedora-23: { repo: "https://repos.fedorapeople.org/repos/openstack/openstack-liberty/f23/" }
  liberty/fedora-22: { repo: "https://repos.fedorapeople.org/repos/openstack/openstack-liberty/f22/" }
# Offline: the builds the demo's updates name are RPMs in builds/, made by the demo.
sources:
  koji: { type: local, path: builds }
  cbs: { type: local, path: builds }
must_provision: [openstack-packstack, openstack-puppet-modules]
providers:
  local: { type: local, capacity: 3 }
pipelines:
  phase1: { test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"', timeout: 5m, retries: 1 }
store: sqlite:.sluice/sluice.db
update_repo: update-repo
work_dir: .sluice/work
`;
}

export const DEMO_SMOKE_TEST = `#!/bin/sh
# A postinstall smoke test in miniature: install the update's packages, then poke them.
# Everything about the update comes from the environment Sluice sets.
set -u
echo "== $SLUICE_UPDATE on $SLUICE_TARGET, node: $SLUICE_NODE_MODE \${SLUICE_IMAGE:+($SLUICE_IMAGE)}"
echo "== builds: $SLUICE_BUILDS"
echo "Loaded plugins: fastestmirror, priorities"
echo "Resolving Dependencies"
i=1
while [ $i -le 300 ]; do
  echo "---> Package python-dep$i.noarch 0:1.$i-1.\${SLUICE_DIST} will be installed"
  i=$((i + 1))
done
sleep 1
if [ "$SLUICE_TARGET" = "kilo/fedora-22" ]; then
  cat <<'ERR'
--> Finished Dependency Resolution
Error: Package: openstack-nova-api-2015.1.2-1.fc23.noarch (sluice-update)
           Requires: python-oslo-concurrency >= 1.8.0
           Installed: python-oslo-concurrency-1.4.1-1.fc22.noarch (@rdo-kilo)
               python-oslo-concurrency = 1.4.1-1.fc22
 You could try using --skip-broken to work around the problem
 You could try running: rpm -Va --nofiles --nodigest
ERR
  exit 1
fi
echo "Complete!"
echo "== openstack-status: all services active"
`;
