/**
 * Update files for `sluice demo`, in the real `rdopkg update` format. Written for the demo
 * (the public samples are for tests to read in place, never to ship).
 */
export const DEMO_UPDATES: Record<string, string> = {
  'updates/nv4a.yml': `---
notes: |-
  Rebase to 2015.1.2
  Fixes rhbz#1234567
builds:
  - id: openstack-nova-2015.1.2-1.el7
    source: cbs
    repo: kilo
    dist: el7
  - id: openstack-nova-2015.1.2-1.fc23
    source: koji
    repo: kilo
    dist: f22
`,
  'updates/pk7q.yml': `---
notes: Packstack fix for Liberty (an installer package, so it must provision)
builds:
  - id: openstack-packstack-2015.2-0.1.dev1654.gcbbf46e.el7
    source: cbs
    repo: liberty
    dist: epel-7
  - id: openstack-packstack-2015.2-0.1.dev1654.gcbbf46e.fc23
    repo: liberty
    dist: f23
`,
  'updates/cl2m.yml': `---
notes: Rebase python-oslo-config to 2.4.0 for Liberty
builds:
  - id: python-oslo-config-2.4.0-1.el7
    source: cbs
    repo: liberty
    dist: el7
  - id: python-oslo-config-2.4.0-1.fc22
    repo: liberty
    dist: f22
`,
  'updates/hz8d.yml': `---
notes: Horizon 8.0.1 for Liberty
builds:
  - id: python-django-horizon-8.0.1-1.el7
    source: cbs
    repo: liberty
    dist: el7
`,
  'updates/x0rz.yml': `---
notes: A broken update, to show what errors look like
builds:
  - id: python-oslo-config-1.9.3-1.el7
    repo: kilo
    dist: el6
  - id: "python-six-1.9.0-2.el7; rm -rf /"
    repo: kilo
    dist: el7
    arch: x86-64
`,
};
