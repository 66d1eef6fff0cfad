import { realOpenStack } from '../../../helpers/openstack-real.js';
import { registerCloudApiCases } from './cloud-api-cases.js';

// The provider's API-level cases against a real OpenStack (scripts/openstack-real.sh), the
// same body cloud-api-standin.test.ts runs against the stand-in. Skipped, with the reason,
// where that cloud cannot be installed or started, except under CI, where that fails.
const available = await realOpenStack();
if (!available.ok && available.mustRun) throw new Error(`${available.reason} (CI is set: these tests must run; SLUICE_OPENSTACK_REAL=0 turns them off)`);

registerCloudApiCases('real OpenStack', () => {
  if (!available.ok) throw new Error(available.reason);
  const c = available.cloud;
  return {
    password: { authUrl: c.authUrl, username: c.username, password: c.password, userDomainName: c.domain, projectName: c.project, projectDomainName: c.domain },
    applicationCredential: { authUrl: c.authUrl, applicationCredentialId: c.applicationCredentialId, applicationCredentialSecret: c.applicationCredentialSecret },
    flavor: c.flavor, network: c.network, floatingNetwork: c.floatingNetwork, baseImageName: 'CentOS-7-x86_64', goldenImageId: c.images['kilo-el7-golden'] ?? '',
    setSnapshotUploadMs: (ms) => c.setUploadSeconds(ms / 1000),
    pollMs: 250,
  };
}, { timeoutMs: 300_000, ...(available.ok ? {} : { skip: available.reason }) });
