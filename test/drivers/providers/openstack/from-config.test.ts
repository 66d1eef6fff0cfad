import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ssh2 from 'ssh2';
import { openstackProviderFromConfig } from '../../../../src/drivers/providers/openstack/from-config.js';
import type { TargetConfig } from '../../../../src/core/config-schema.js';
import type { JobSpec } from '../../../../src/engine/job-spec.js';
import { CLOUD, OpenStackStandin } from '../../../helpers/openstack-standin.js';

const cloud = new OpenStackStandin();
const dir = mkdtempSync(join(tmpdir(), 'sluice-os-config-'));
before(async () => {
  await cloud.start();
  cloud.addImage('CentOS-7-x86_64');
  writeFileSync(join(dir, 'ci_key'), ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  writeFileSync(join(dir, 'not_a_key'), 'hello\n');
});
after(async () => { await cloud.stop(); rmSync(dir, { recursive: true, force: true }); });

const target = (more: Partial<TargetConfig> = {}): TargetConfig => ({ repo: 'https://repos.example.org/kilo/el7/', provider: 'cloud', pipelines: {}, base: 'CentOS-7-x86_64', ...more });
const config = () => ({
  type: 'openstack', capacity: 3, auth_url: cloud.authUrl, username: CLOUD.user, password_env: 'OS_PASSWORD', project_name: CLOUD.project,
  flavor: CLOUD.flavor, network: CLOUD.network, boot_timeout: '5m', ssh: { user: 'centos', key_file: 'ci_key' } as Record<string, unknown>,
});
const setup = (env: Record<string, string> = { OS_PASSWORD: CLOUD.password }, targets: Record<string, TargetConfig> = { 'kilo/el7': target() }) => ({
  configDir: dir, workDir: join(dir, 'work'), env, targets, runOnNode: async (address: string) => ({ result: 'success' as const, reason: 'the tests passed', node: address, logPath: null }),
});

test('a bad or missing key is refused with its name', () => {
  const { flavor: _flavor, ...noFlavor } = config();
  assert.throws(() => openstackProviderFromConfig('cloud', noFlavor, setup()), /^Error: providers\.cloud\.flavor: /);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), boot_timeout: 'soon' }, setup()), /providers\.cloud\.boot_timeout: boot_timeout must be a duration/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), auth_url: 'keystone' }, setup()), /providers\.cloud\.auth_url: auth_url must be the http\(s\) URL of Keystone/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), password_env: 's3cret!' }, setup()), /providers\.cloud\.password_env: password_env must be the name of an environment variable/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), flavour: 'm1' }, setup()), /providers\.cloud: .*unknown key flavour/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), snapshot_stopped: 'yes' }, setup()), /^Error: providers\.cloud\.snapshot_stopped: snapshot_stopped must be true or false$/);
});

test('a bad ssh block is refused by its key, and a key file that is missing or not a key is named', () => {
  const { ssh: _ssh, ...noSsh } = config();
  const withoutRunOnNode = () => { const { runOnNode: _r, ...rest } = setup(); return rest; };
  assert.throws(() => openstackProviderFromConfig('cloud', noSsh, setup()), /^Error: providers\.cloud\.ssh: /);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), ssh: { user: 'centos', key_file: 'ci_key', host_key: 'tofu' } }, setup()), /providers\.cloud\.ssh\.host_key: ssh\.host_key must be console or first-use/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), ssh: { user: 'centos', key_file: 'ci_key', ready_timeout: 'soon' } }, setup()), /providers\.cloud\.ssh\.ready_timeout: must be a duration/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), ssh: { user: 'centos', key_file: 'ci_key', pasword: 'x' } }, setup()), /providers\.cloud\.ssh: .*unknown key pasword/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), ssh: { user: 'centos', key_file: 'missing_key' } }, withoutRunOnNode()), /^Error: providers\.cloud\.ssh\.key_file: cannot read missing_key: ENOENT/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), ssh: { user: 'centos', key_file: 'not_a_key' } }, withoutRunOnNode()), /^Error: providers\.cloud\.ssh\.key_file: not_a_key is not a private key Sluice can use/);
  assert.doesNotThrow(() => openstackProviderFromConfig('cloud', config(), withoutRunOnNode()));
});

test('authentication is one complete way: a password with its project, or an application credential with its secret', () => {
  const { username: _u, password_env: _p, project_name: _n, ...noAuth } = config();
  const appCredential = { ...noAuth, application_credential_id: CLOUD.applicationCredentialId, application_credential_secret_env: 'OS_APP_SECRET' };
  assert.throws(() => openstackProviderFromConfig('cloud', noAuth, setup()), /^Error: providers\.cloud\.username: username is required \(or authenticate with application_credential_id and application_credential_secret_env\)/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...noAuth, username: CLOUD.user, password_env: 'OS_PASSWORD' }, setup()), /^Error: providers\.cloud\.project_name: project_name is required/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...config(), application_credential_id: 'x', application_credential_secret_env: 'OS_APP_SECRET' }, setup()), /^Error: providers\.cloud\.username: use either username, password_env and project_name or application_credential_id and application_credential_secret_env, not both/);
  const { application_credential_secret_env: _s, ...noSecret } = appCredential;
  assert.throws(() => openstackProviderFromConfig('cloud', noSecret, setup()), /^Error: providers\.cloud\.application_credential_secret_env: application_credential_secret_env is required with application_credential_id/);
  assert.throws(() => openstackProviderFromConfig('cloud', { ...appCredential, application_credential_secret_env: CLOUD.applicationCredentialSecret.replace(/-/g, '!') }, setup()), /application_credential_secret_env must be the name of an environment variable/);
  assert.throws(() => openstackProviderFromConfig('cloud', appCredential, setup({ OS_PASSWORD: CLOUD.password })), /^Error: providers\.cloud\.application_credential_secret_env: the environment variable OS_APP_SECRET that should hold the OpenStack application credential's secret is not set/);
});

test('an application credential from the configuration authenticates the provider\'s calls', async () => {
  const { username: _u, password_env: _p, project_name: _n, ...noAuth } = config();
  const appCredential = { ...noAuth, application_credential_id: CLOUD.applicationCredentialId, application_credential_secret_env: 'OS_APP_SECRET' };
  const methods = cloud.authMethods.length;
  const p = openstackProviderFromConfig('cloud', appCredential, setup({ OS_APP_SECRET: CLOUD.applicationCredentialSecret }));
  const spec: JobSpec = { pipeline: 'phase1', updateId: 'hkvc', target: 'kilo/el7', provider: 'cloud', builds: [], mode: 'provision', image: null, modeBecause: 'test', command: 'true', timeoutMs: 60_000 };
  const out = await p.execute({ runId: 'r2', jobId: 'r2.kilo/el7', attempt: 1, spec, updateFiles: [], signal: new AbortController().signal });
  assert.equal(out.result, 'success', out.reason);
  assert.deepEqual(cloud.authMethods.slice(methods), ['application_credential']);
  assert.equal(cloud.liveServers().length, 0);
});

test('an unset password variable is named, never its value', () => {
  assert.throws(() => openstackProviderFromConfig('cloud', config(), setup({})), /providers\.cloud\.password_env: the environment variable OS_PASSWORD that should hold the OpenStack password is not set/);
});

test('a target of this provider without a base image is refused by its key', () => {
  assert.throws(() => openstackProviderFromConfig('cloud', config(), setup(undefined, { 'kilo/el7': target({ base: undefined }) })), /^Error: targets\.kilo\/el7\.base: /);
  assert.doesNotThrow(() => openstackProviderFromConfig('cloud', config(), setup(undefined, { 'kilo/el7': target({ base: undefined, provider: 'local' }) })));
});

const baselineSpec: JobSpec = { pipeline: 'images', stage: 'baseline', updateId: '', target: 'kilo/el7', provider: 'cloud', builds: [], mode: 'provision', image: null, modeBecause: 'baseline', command: 'true', timeoutMs: 60_000 };

test('a valid configuration gives a provider that provisions from the base, stops a green baseline\'s server before its snapshot, and cleans up', async () => {
  const seen = cloud.actions.length;
  const p = openstackProviderFromConfig('cloud', config(), setup());
  assert.equal(p.name, 'cloud');
  assert.equal(p.capacity, 3);
  const out = await p.execute({ runId: 'r1', jobId: 'r1.kilo/el7', attempt: 1, spec: baselineSpec, updateFiles: [], signal: new AbortController().signal });
  assert.equal(out.result, 'success', out.reason);
  // An images baseline that passed is kept as a Glance image before its server goes.
  assert.equal(out.snapshot?.name, 'sluice-kilo_el7-r1');
  assert.equal(cloud.images.get(out.snapshot?.location ?? '')?.name, 'sluice-kilo_el7-r1');
  assert.deepEqual(cloud.actions.slice(seen).map((a) => `${a.action} ${a.status}`), ['os-stop ACTIVE', 'createImage SHUTOFF'], 'snapshot_stopped is true by default');
  assert.equal(cloud.liveServers().length, 0);
  assert.equal(cloud.ports.size, 0);
});

test('snapshot_stopped: false snapshots a green baseline\'s server running', async () => {
  const seen = cloud.actions.length;
  const p = openstackProviderFromConfig('cloud', { ...config(), snapshot_stopped: false }, setup());
  const out = await p.execute({ runId: 'r3', jobId: 'r3.kilo/el7', attempt: 1, spec: baselineSpec, updateFiles: [], signal: new AbortController().signal });
  assert.equal(out.result, 'success', out.reason);
  assert.deepEqual(cloud.actions.slice(seen).map((a) => `${a.action} ${a.status}`), ['createImage ACTIVE']);
  assert.equal(cloud.liveServers().length, 0);
});
