import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ssh2 from 'ssh2';
import type { TargetConfig } from '../../../core/config-schema.js';
import { parseDuration } from '../../../core/duration.js';
import { cloudSshRunOnNode } from './cloud-ssh.js';
import { parseOpenStackConfig, secretEnvOf, type OpenStackProviderConfig } from './config.js';
import { openstackProvider, type OpenStackProvider, type OpenStackProviderOptions, type RunOnNode } from './openstack-provider.js';

export interface OpenStackSetup {
  /** The configuration's directory: `ssh.key_file` is relative to it, and it is $SLUICE_CONFIG_DIR unless `ssh.config_dir`. */
  readonly configDir: string;
  /** The worker's job directories (job.log and results of each attempt). */
  readonly workDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly targets: Readonly<Record<string, TargetConfig>>;
  /** How jobs reach their server; by default over SSH as the `ssh` block says. */
  readonly runOnNode?: RunOnNode;
  readonly log?: (line: string) => void;
}

/**
 * The provider `name` of the configuration. Throws an Error naming the key at fault
 * (`providers.cloud.flavor: ...`, `providers.cloud.password_env: ...`,
 * `providers.cloud.ssh.key_file: ...`, `targets.kilo/el7.base: ...`) so the CLI can show
 * it as a configuration error.
 */
export function openstackProviderFromConfig(name: string, providerConfig: unknown, setup: OpenStackSetup): OpenStackProvider {
  const c = parseOpenStackConfig(name, providerConfig);
  const secretEnv = secretEnvOf(c);
  const secret = setup.env[secretEnv.variable];
  if (!secret) throw new Error(`providers.${name}.${secretEnv.key}: the environment variable ${secretEnv.variable} that should hold the OpenStack ${secretEnv.key === 'password_env' ? 'password' : 'application credential\'s secret'} is not set`);
  const targets: Record<string, { base?: string; image?: string }> = {};
  for (const [t, target] of Object.entries(setup.targets)) {
    if (target.provider !== name) continue;
    if (!target.base) throw new Error(`targets.${t}.base: target ${t} uses provider ${name} (openstack), which provisions servers from a base image: name one (an image id or name in Glance)`);
    targets[t] = { base: target.base, ...(target.image ? { image: target.image } : {}) };
  }
  const opts: OpenStackProviderOptions = {
    name, capacity: c.capacity, flavor: c.flavor, network: c.network, ...(c.floating_network ? { floatingNetwork: c.floating_network } : {}), targets, runOnNode: setup.runOnNode ?? sshRunOnNode(name, c.ssh, setup),
    bootTimeoutMs: parseDuration(c.boot_timeout) ?? 600_000, snapshotStopped: c.snapshot_stopped,
    credentials: c.application_credential_id !== undefined
      ? { authUrl: c.auth_url, applicationCredentialId: c.application_credential_id, applicationCredentialSecret: secret, ...(c.region ? { region: c.region } : {}) }
      : {
          authUrl: c.auth_url, username: c.username ?? '', password: secret, userDomainName: c.user_domain_name,
          projectName: c.project_name ?? '', projectDomainName: c.project_domain_name, ...(c.region ? { region: c.region } : {}),
        },
    ...(setup.log ? { log: setup.log } : {}),
  };
  return openstackProvider(opts);
}

function sshRunOnNode(name: string, ssh: OpenStackProviderConfig['ssh'], setup: OpenStackSetup): RunOnNode {
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(resolve(setup.configDir, ssh.key_file));
  } catch (e) {
    throw new Error(`providers.${name}.ssh.key_file: cannot read ${ssh.key_file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // Found now, not on every server of the day: a key the worker cannot use.
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`providers.${name}.ssh.key_file: ${ssh.key_file} is not a private key Sluice can use (${parsed.message}; it must be unencrypted)`);
  const ms = (d: string) => parseDuration(d) ?? 0;
  return cloudSshRunOnNode({
    user: ssh.user, port: ssh.port, privateKey, hostKey: ssh.host_key, connectTimeoutMs: ms(ssh.connect_timeout), readyTimeoutMs: ms(ssh.ready_timeout),
    remoteWorkDir: ssh.work_dir, remoteConfigDir: ssh.config_dir, configFiles: ssh.config_files, killGraceMs: ms(ssh.kill_grace), workDir: setup.workDir, configDir: setup.configDir,
  });
}
