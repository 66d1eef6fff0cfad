import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from '../../src/core/update-schema.js';
import { buildRpm, rpmToolsAvailable } from '../helpers/rpm.js';

/** The RPMs the source tests serve: one build, foo-1.0-1.el7, and a rebuild of it with other bytes. */
export interface FooRpms {
  readonly noarch: string;
  readonly doc: string;
  readonly src: string;
  readonly x86: string;
  /** foo-1.0-1.el7.noarch.rpm again, with other content: what a hub must never serve. */
  readonly rebuilt: string;
}

let built: FooRpms | undefined;
let builtIn: string | undefined;

/** Removes what fooRpms() built: call it from the test file's top-level after(). */
export function removeFooRpms(): void {
  if (builtIn) rmSync(builtIn, { recursive: true, force: true });
  built = undefined;
  builtIn = undefined;
}

/** Builds the RPMs once per test file (rpmbuild is slow); undefined without the rpm tools. */
export function fooRpms(): FooRpms | undefined {
  if (built || !rpmToolsAvailable()) return built;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sources-'));
  builtIn = dir;
  const spec = { name: 'foo', version: '1.0', release: '1.el7' };
  const [noarch, src] = buildRpm(join(dir, 'w1'), join(dir, 'main'), spec, { withSource: true });
  const [doc] = buildRpm(join(dir, 'w2'), join(dir, 'doc'), { name: 'foo-doc', version: '1.0', release: '1.el7' });
  const [x86] = buildRpm(join(dir, 'w3'), join(dir, 'x86'), { ...spec, arch: 'x86_64' });
  const [rebuilt] = buildRpm(join(dir, 'w4'), join(dir, 'rebuilt'), { ...spec, files: { '/usr/share/foo/README': 'rebuilt with other bytes\n' } });
  if (!noarch || !src || !doc || !x86 || !rebuilt) throw new Error('rpmbuild made fewer RPMs than expected');
  built = { noarch, doc, src, x86, rebuilt };
  return built;
}

export function build(fields: Partial<Build> & Pick<Build, 'id'>): Build {
  return { repo: 'kilo', dist: 'epel-7', source: 'koji', arch: 'noarch', ...fields };
}
