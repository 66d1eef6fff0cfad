/** The commented starter configuration `sluice init` writes; a test keeps it valid. */
export const STARTER_CONFIG = `# Sluice configuration. Reference: docs/configuration.md; JSON Schema: sluice schema config.
# Relative paths are relative to this file.

# The releases update files may name in "repo:".
releases: [kilo, liberty]

# Distributions, with the other spellings update files use for them.
dists:
  epel-7: { aliases: [el7] }
  fedora-22: { aliases: [f22] }

# The supported targets (release/dist, canonical dist names) and their production repositories.
targets:
  kilo/epel-7:
    repo: https://repos.fedorapeople.org/repos/openstack/openstack-kilo/el7/
    base: centos-7
    provider: local
  kilo/fedora-22:
    repo: https://repos.fedorapeople.org/repos/openstack/openstack-kilo/f22/
    base: fedora-22
    provider: local
  liberty/epel-7:
    repo: https://repos.fedorapeople.org/repos/openstack/openstack-liberty/el7/
    base: centos-7
    provider: local

# Where builds come from, by the name update files give in "source:".
sources:
  koji: { type: koji, hub: https://koji.fedoraproject.org/kojihub, topurl: https://kojipkgs.fedoraproject.org }
  koji-scratch: { type: koji-scratch, hub: https://koji.fedoraproject.org/kojihub, topurl: https://kojipkgs.fedoraproject.org }
  cbs: { type: koji, hub: https://cbs.centos.org/kojihub, topurl: https://cbs.centos.org/kojifiles }
  local: { type: local, path: builds }

# Packages used while provisioning a node: an update touching one is never tested on an image.
must_provision: [openstack-packstack, openstack-puppet-modules, openstack-tripleo, instack-undercloud]

# Where nodes come from and how many at once.
providers:
  local: { type: local, capacity: 2 }

# What each pipeline runs on a node, in the job's own directory. The update's details
# arrive in the environment (SLUICE_UPDATE, SLUICE_TARGET, SLUICE_BUILDS...), never spliced
# into the command; $SLUICE_CONFIG_DIR is the directory of this file.
pipelines:
  phase1: { test: '"$SLUICE_CONFIG_DIR/tests/smoke.sh"', timeout: 1h, retries: 2 }
  phase2: { test: '"$SLUICE_CONFIG_DIR/tests/full.sh"', timeout: 4h, retries: 1 }

# When pipelines start by themselves (cron: minute hour day-of-month month day-of-week).
schedules:
  phase2: "0 3 * * *"
  images: "0 1 * * 0"

store: sqlite:.sluice/sluice.db
update_repo: update-repo
work_dir: .sluice/work
`;
