import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildRpm, type RpmSpec } from '../../helpers/rpm.js';
import { tempDir } from '../../helpers/paths.js';
import type { CheckInput } from '../../../src/drivers/checks/check.js';

type TestContext = { after: (fn: () => void) => void };

/** The target's production: bar-1.0, baz-2.0 and foo-1.0 (which needs bar), as a bare directory of RPMs. */
export const PRODUCTION: readonly RpmSpec[] = [
  { name: 'bar', version: '1.0', release: '1.el7' },
  { name: 'baz', version: '2.0', release: '1.el7' },
  { name: 'foo', version: '1.0', release: '1.el7', requires: ['bar >= 1.0'] },
];

export interface Fixture {
  readonly root: string;
  readonly production: string;
  /** Builds the update's RPMs into a directory of their own; returns their paths. */
  update(name: string, specs: readonly RpmSpec[]): string[];
  input(rpms: readonly string[], production?: string): CheckInput;
}

let productionBuilt: string[] | undefined;

/** Built once per test file (rpmbuild is the slow part), then copied into each test's own directory. */
function productionRpms(): string[] {
  if (productionBuilt) return productionBuilt;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-production-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  productionBuilt = PRODUCTION.flatMap((spec) => buildRpm(join(dir, 'work'), join(dir, 'rpms'), spec));
  return productionBuilt;
}

export function fixture(t: TestContext): Fixture {
  const root = tempDir(t, 'sluice-checks-');
  const work = join(root, 'work');
  const production = join(root, 'production');
  mkdirSync(production);
  for (const rpm of productionRpms()) copyFileSync(rpm, join(production, basename(rpm)));
  return {
    root,
    production,
    update: (name, specs) => specs.flatMap((spec) => buildRpm(join(work, name), join(root, 'updates', name), spec)),
    input: (rpms, prod = production) => ({ rpms, production: prod, releasever: '7', cacheDir: join(root, 'cache'), workDir: root }),
  };
}

/** A URL on which nothing listens: a port the kernel just handed out and took back. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/`;
}
