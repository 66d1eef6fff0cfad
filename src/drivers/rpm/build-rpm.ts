import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Small real RPMs made with rpmbuild (Debian's `rpm` package): with real dependencies,
 * provides, conflicts and files. The tests' fixtures and `sluice demo` are made with it;
 * Sluice itself never builds packages.
 */
export interface RpmSpec {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  /** `noarch` (default) or e.g. `x86_64`: a noarch build is all one can make here, so other arches are only labels. */
  readonly arch?: string;
  readonly requires?: readonly string[];
  readonly provides?: readonly string[];
  readonly conflicts?: readonly string[];
  /** Absolute install paths and their content. */
  readonly files?: Readonly<Record<string, string>>;
}


/** rpmbuild, createrepo_c and dnf: what building fixtures and running the checks need. */
export function rpmToolsAvailable(): boolean {
  return ['rpmbuild', 'createrepo_c', 'dnf'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
}

/** Builds one binary RPM (and, with `withSource`, its source RPM) into `outDir`; returns the paths. */
export function buildRpm(workDir: string, outDir: string, spec: RpmSpec, opts: { withSource?: boolean } = {}): string[] {
  const top = join(workDir, `rpmbuild-${spec.name}-${spec.version}-${spec.release}`);
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  mkdirSync(outDir, { recursive: true });
  const files = spec.files ?? { [`/usr/share/${spec.name}/README`]: `${spec.name} ${spec.version}-${spec.release}\n` };
  const install = Object.entries(files).map(([path, content]) =>
    `mkdir -p "%{buildroot}$(dirname '${path}')"\ncat > "%{buildroot}${path}" <<'SLUICE_EOF'\n${content}SLUICE_EOF`).join('\n');
  const text = [
    `Name: ${spec.name}`, `Version: ${spec.version}`, `Release: ${spec.release}`, 'Summary: Sluice test package', 'License: MIT',
    'BuildArch: noarch',
    ...(spec.requires ?? []).map((r) => `Requires: ${r}`),
    ...(spec.provides ?? []).map((p) => `Provides: ${p}`),
    ...(spec.conflicts ?? []).map((c) => `Conflicts: ${c}`),
    '%description', 'A package built by the Sluice tests.',
    '%install', install,
    '%files', ...Object.keys(files),
    '',
  ].join('\n');
  const specPath = join(top, 'SPECS', `${spec.name}.spec`);
  writeFileSync(specPath, text);
  execFileSync('rpmbuild', [opts.withSource ? '-ba' : '-bb', '--quiet', '--define', `_topdir ${top}`, '--define', '_build_id_links none', specPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  const built: string[] = [];
  for (const sub of ['RPMS/noarch', 'SRPMS']) {
    let names: string[] = [];
    try { names = readdirSync(join(top, sub)); } catch { continue; }
    for (const n of names.filter((f) => f.endsWith('.rpm'))) {
      // A label for arch filters: rename noarch builds that stand for another arch.
      const target = spec.arch && spec.arch !== 'noarch' && !n.endsWith('.src.rpm') ? n.replace(/\.noarch\.rpm$/, `.${spec.arch}.rpm`) : n;
      copyFileSync(join(top, sub, n), join(outDir, target));
      built.push(join(outDir, target));
    }
  }
  return built;
}
