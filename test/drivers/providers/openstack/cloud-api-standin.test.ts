import { after, before } from 'node:test';
import { CLOUD, OpenStackStandin } from '../../../helpers/openstack-standin.js';
import { registerCloudApiCases } from './cloud-api-cases.js';

// The provider's API-level cases against the stand-in; cloud-api-real.test.ts runs the same against a real OpenStack.
const cloud = new OpenStackStandin();
let golden = '';

before(async () => {
  await cloud.start();
  cloud.addImage('CentOS-7-x86_64');
  golden = cloud.addImage('kilo-el7-golden');
});
after(async () => { await cloud.stop(); });

registerCloudApiCases('stand-in', () => ({
  password: { authUrl: cloud.authUrl, username: CLOUD.user, password: CLOUD.password, userDomainName: CLOUD.domain, projectName: CLOUD.project, projectDomainName: CLOUD.domain },
  applicationCredential: { authUrl: cloud.authUrl, applicationCredentialId: CLOUD.applicationCredentialId, applicationCredentialSecret: CLOUD.applicationCredentialSecret },
  flavor: CLOUD.flavor, network: CLOUD.network, floatingNetwork: cloud.floatingNetwork, baseImageName: 'CentOS-7-x86_64', goldenImageId: golden,
  setSnapshotUploadMs: (ms) => { cloud.snapshotMs = ms; },
  pollMs: 20,
}), { timeoutMs: 60_000 });
