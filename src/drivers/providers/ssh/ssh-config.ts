import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../../../core/duration.js';
import { duration } from '../../../core/config-schema.js';
import { parseKnownHosts, type KnownHosts } from '../../gerrit/known-hosts.js';

/**
 * The ssh provider's own keys in `providers.<name>` (the core owns only `type` and
 * `capacity`, and for ssh the capacity is the sum of the hosts' capacities).
 */
export const SshProviderSchema = z.strictObject({
  type: z.literal('ssh'),
  capacity: z.unknown().optional().meta({ description: 'Ignored for ssh: the provider has as many nodes as its hosts\' capacities add up to.' }),
  hosts: z.array(z.strictObject({
    host: z.string({ error: 'host must be a host name or address' }).min(1),
    port: z.int({ error: 'port must be a whole number' }).min(1).max(65535).default(22),
    user: z.string({ error: 'user must be the login name on the host' }).min(1),
    capacity: z.int({ error: 'capacity must be a whole number' }).min(1).max(1000).default(1).meta({ description: 'Jobs this host runs at once.' }),
  }), { error: 'hosts must be a list of { host, port, user, capacity }' }).min(1, { error: 'hosts must name at least one host' }),
  key_file: z.string({ error: 'key_file must be the path of an unencrypted private key' }).min(1).meta({ description: 'The private key Sluice logs in with; relative to the config file.' }),
  known_hosts_file: z.string({ error: 'known_hosts_file must be a path' }).min(1).meta({ description: 'OpenSSH known_hosts holding every host\'s key; a host missing from it is refused.' }),
  work_dir: z.string().regex(/^\/[^\0]*$/, { error: 'work_dir must be an absolute path on the hosts' }).default('/tmp/sluice').meta({ description: 'Job directories are made under it on the host: <work_dir>/<run>/<job>-a<attempt>/.' }),
  config_dir: z.string().regex(/^\/[^\0]*$/, { error: 'config_dir must be an absolute path on the hosts' }).optional()
    .meta({ description: 'Where the hosts see the configuration\'s directory ($SLUICE_CONFIG_DIR); by default the same path as on the worker (a shared mount).' }),
  config_files: z.array(z.string().min(1).refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), { error: 'a config_files entry is a path inside the configuration\'s directory (relative, no ..)' })).default([])
    .meta({ description: 'Files or directories of the configuration\'s directory (e.g. `tests/`) sent to each job\'s host; $SLUICE_CONFIG_DIR then points at them there.' }),
  connect_timeout: duration.default('20s').meta({ description: 'A host that does not complete the SSH handshake in this time is down.' }),
  down_for: duration.default('1m').meta({ description: 'A host that could not be reached takes no job for this long.' }),
  kill_grace: duration.default('5s').meta({ description: 'Time between SIGTERM and SIGKILL for a job\'s remote process group.' }),
});

export interface SshHost {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly capacity: number;
}

export interface SshProviderSettings {
  readonly hosts: readonly SshHost[];
  readonly privateKey: Buffer;
  readonly knownHosts: KnownHosts;
  readonly remoteWorkDir: string;
  readonly remoteConfigDir: string | undefined;
  /** Files of the configuration's directory each job's host receives (`config_files`). */
  readonly configFiles: readonly string[];
  readonly connectTimeoutMs: number;
  readonly downForMs: number;
  readonly killGraceMs: number;
}

export type SshSettingsResult = { readonly ok: true; readonly settings: SshProviderSettings } | { readonly ok: false; readonly key: string; readonly message: string };

/** Validates a provider entry of type ssh and reads its key and known_hosts files (paths resolved by the caller's rule). */
export function sshSettings(raw: unknown, resolvePath: (p: string) => string): SshSettingsResult {
  const parsed = SshProviderSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.code === 'unrecognized_keys') return { ok: false, key: issue.keys.join(', '), message: 'not a key of an ssh provider (hosts, key_file, known_hosts_file, work_dir, config_dir, config_files, connect_timeout, down_for, kill_grace)' };
    const key = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') ?? '';
    return { ok: false, key: key || '(provider)', message: issue?.message ?? 'invalid' };
  }
  const c = parsed.data;
  const read = (key: 'key_file' | 'known_hosts_file'): Buffer | string => {
    try {
      return readFileSync(resolvePath(c[key]));
    } catch (e) {
      return `cannot read ${c[key]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
  };
  const privateKey = read('key_file');
  if (typeof privateKey === 'string') return { ok: false, key: 'key_file', message: privateKey };
  const knownHosts = read('known_hosts_file');
  if (typeof knownHosts === 'string') return { ok: false, key: 'known_hosts_file', message: knownHosts };
  const ms = (d: string) => parseDuration(d) ?? 0;
  return {
    ok: true,
    settings: {
      hosts: c.hosts, privateKey, knownHosts: parseKnownHosts(knownHosts.toString('utf8')),
      remoteWorkDir: c.work_dir, remoteConfigDir: c.config_dir, configFiles: c.config_files,
      connectTimeoutMs: ms(c.connect_timeout), downForMs: ms(c.down_for), killGraceMs: ms(c.kill_grace),
    },
  };
}
