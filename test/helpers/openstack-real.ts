import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from './paths.js';

/**
 * A real OpenStack on loopback (Keystone, Glance, Placement, Nova with a fake driver,
 * Neutron with ML2 and no agents), brought up from Debian's packages by
 * scripts/openstack-real.sh: installed when missing and the tests run as root, started in
 * the background on first use, reused while it runs (by this process, later test files
 * and later runs), stopped with `scripts/openstack-real.sh stop`. Where it cannot start,
 * the tests that need it are skipped with the reason, except under CI, where they fail.
 * SLUICE_OPENSTACK_REAL=0 skips them on purpose (also under CI, saying so).
 */

export interface RealCloud {
  readonly authUrl: string;
  readonly username: string;
  readonly password: string;
  readonly domain: string;
  readonly project: string;
  readonly projectId: string;
  readonly applicationCredentialId: string;
  readonly applicationCredentialSecret: string;
  readonly flavor: string;
  readonly network: string;
  readonly floatingNetwork: string;
  /** Glance ids of the images made at bootstrap, by name. */
  readonly images: Readonly<Record<string, string>>;
  /** How long the fake driver takes to upload the next snapshots' data (Glance shows them saving meanwhile). */
  setUploadSeconds(seconds: number): void;
}

export type RealCloudAvailability = { ok: true; cloud: RealCloud } | { ok: false; reason: string; mustRun: boolean };

const run = promisify(execFile);
const SCRIPT = 'scripts/openstack-real.sh';
let started: Promise<RealCloudAvailability> | undefined;

const isCi = (): boolean => {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
};

/** The real cloud, started (or found running) on the first call of the process. */
export function realOpenStack(): Promise<RealCloudAvailability> {
  started ??= start();
  return started;
}

async function start(): Promise<RealCloudAvailability> {
  if (process.env.SLUICE_OPENSTACK_REAL === '0') return { ok: false, reason: 'SLUICE_OPENSTACK_REAL=0: the tests against a real OpenStack are turned off', mustRun: false };
  const root = PROJECT_ROOT;
  const script = join(root, SCRIPT);
  const fail = (what: string, e: unknown): RealCloudAvailability => {
    const err = e as { stderr?: string; message?: string };
    const detail = (err.stderr ?? '').trim().split('\n').filter(Boolean).at(-1) ?? err.message ?? String(e);
    return { ok: false, reason: `a real OpenStack could not be ${what}: ${detail}`, mustRun: isCi() };
  };
  try {
    await run('bash', [script, 'install'], { cwd: root, timeout: 20 * 60_000, maxBuffer: 16 << 20 });
  } catch (e) {
    return fail('installed', e);
  }
  let jsonPath: string;
  try {
    const { stdout } = await run('bash', [script, 'start'], { cwd: root, timeout: 15 * 60_000, maxBuffer: 16 << 20 });
    jsonPath = stdout.trim().split('\n').at(-1) ?? '';
  } catch (e) {
    return fail('started', e);
  }
  const raw = JSON.parse(readFileSync(jsonPath, 'utf8')) as Omit<RealCloud, 'setUploadSeconds'>;
  const uploadFile = join(dirname(jsonPath), 'fake-upload-seconds');
  return { ok: true, cloud: { ...raw, setUploadSeconds: (s) => writeFileSync(uploadFile, `${s}\n`) } };
}
