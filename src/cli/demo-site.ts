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
  liberty/epel-7: { repo: "${withChecks ? `file://${root}/production/liberty-el7` : 'https://repos.fedorapeople.org/repos/openstack/openstack-liberty/el7/'}", image: liberty-el7-20151124 }
  liberty/fedora-23: { repo: "${withChecks ? `file://${root}/production/liberty-f23` : 'https://repos.fedorapeople.org/repos/openstack/openstack-liberty/f23/'}" }
  liberty/fedora-22: { repo: "https://repos.fedorapeople.org/repos/openstack/openstack-liberty/f22/" }
${withChecks ? `# Offline: the builds the demo's updates name are RPMs in builds/, made by the demo.
sources:
  koji: { type: local, path: builds }
  cbs: { type: local, path: builds }` : `# Without the rpm tools the demo makes no RPMs: no source, so nodes get no update repository.
sources: {}`}
must_provision: [openstack-packstack, openstack-puppet-modules]
providers:
  local: { type: local, capacity: 3 }
pipelines:
  phase1: { test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"', timeout: 5m, retries: 1 }
  phase2: { test: '"$SLUICE_CONFIG_DIR/tests/phase2.sh"', timeout: 5m, retries: 1 }
  promote: { test: '"$SLUICE_CONFIG_DIR/tests/stage.sh"', timeout: 5m, retries: 1 }
promote: { stage: .sluice/stage, production: published }
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

/**
 * phase2 in miniature: every update of the group installed together on a fresh node
 * (rpm into the node's root, no scripts), then each package's self-test run.
 */
export const DEMO_PHASE2_TEST = `#!/bin/sh
set -u
echo "== phase2 on $SLUICE_TARGET: $SLUICE_UPDATES installed together ($SLUICE_INSTALL_MODE)"
find "$SLUICE_UPDATE_REPO" -name '*.rpm' -exec rpm -i --root "$SLUICE_NODE_ROOT" --nodeps --noscripts --nosignature {} + 2>&1 | grep -v -e 'should not be used directly' -e 'assuming you know'
status=0
for t in "$SLUICE_NODE_ROOT"/usr/share/*/selftest; do
  [ -f "$t" ] || continue
  echo "== self-test of $(basename "$(dirname "$t")")"
  sh "$t" || status=1
done
exit $status
`;

/** The stage test: the composed stage repository has its metadata and the new packages. */
export const DEMO_STAGE_TEST = `#!/bin/sh
set -eu
echo "== stage for $SLUICE_UPDATES: $SLUICE_STAGE_REPO"
test -f "$SLUICE_STAGE_REPO/repodata/repomd.xml"
find "$SLUICE_STAGE_REPO" -name '*.rpm' -exec basename {} \\; | sort
echo "stage OK"
`;

/** What each demo package's self-test prints: the Liberty oslo.config rebase breaks an import, as such rebases did. */
export function demoSelfTest(name: string): string {
  if (name === 'python-oslo-config') {
    return [
      '#!/bin/sh',
      'echo "python -c \'from oslo_config import cfg\'"',
      'cat <<\'TRACE\'',
      'Traceback (most recent call last):',
      '  File "<string>", line 1, in <module>',
      '  File "/usr/lib/python2.7/site-packages/oslo_config/cfg.py", line 19, in <module>',
      '    from oslo_config import types',
      'ImportError: cannot import name types',
      'TRACE',
      'exit 1',
      '',
    ].join('\n');
  }
  return `#!/bin/sh\necho "${name}: imports fine"\n`;
}
