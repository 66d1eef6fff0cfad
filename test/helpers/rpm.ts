import { rpmToolsAvailable } from '../../src/drivers/rpm/build-rpm.js';

export { buildRpm, rpmToolsAvailable, type RpmSpec } from '../../src/drivers/rpm/build-rpm.js';

export const RPM_TOOLS_MISSING = 'rpm tools not installed (rpmbuild, createrepo_c, dnf): apt-get install rpm createrepo-c dnf, or run npm test which installs them';

/** Skips (or, under CI, fails) a test when the rpm tools are missing. */
export function requireRpmTools(t: { skip: (msg: string) => void }): boolean {
  if (rpmToolsAvailable()) return true;
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  if (ci !== '' && ci !== '0' && ci !== 'false') throw new Error(`${RPM_TOOLS_MISSING} (CI is set: these tests must run)`);
  t.skip(RPM_TOOLS_MISSING);
  return false;
}
