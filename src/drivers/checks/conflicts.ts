import { isDirectory, nevra, type RpmFile } from '../rpm/rpm-query.js';
import { infra, message, summarize, type CheckInput, type CheckResult } from './check.js';
import { binaryHeaders } from './update-packages.js';

export interface FileClash {
  readonly path: string;
  readonly packages: readonly [string, string];
}

/** What must be equal for two packages to share a path without conflict: content, or link target. */
const identity = (f: RpmFile) => `${f.digest}\0${f.linkTo}\0${f.mode}`;

/**
 * No two packages of the update ship the same path with different content (rpm would refuse
 * to install them together). Shared directories, ghosts and identical files are fine.
 */
export async function conflicts(input: CheckInput): Promise<CheckResult & { readonly clashes: readonly FileClash[] }> {
  try {
    const packages = await binaryHeaders(input.rpms, input);
    const owners = new Map<string, { pkg: string; file: RpmFile }[]>();
    for (const { header } of packages) {
      for (const file of header.files) {
        if (isDirectory(file) || file.ghost) continue;
        const list = owners.get(file.path) ?? [];
        list.push({ pkg: nevra(header), file });
        owners.set(file.path, list);
      }
    }
    const clashes: FileClash[] = [];
    for (const [path, list] of [...owners].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i];
          const b = list[j];
          if (a && b && identity(a.file) !== identity(b.file)) clashes.push({ path, packages: [a.pkg, b.pkg] });
        }
      }
    }
    const problems = clashes.map((c) => `${c.path} differs between ${c.packages[0]} and ${c.packages[1]}`);
    const log = [...owners].filter(([, l]) => l.length > 1).map(([p, l]) => `${p}: ${l.map((o) => `${o.pkg} ${o.file.digest || o.file.linkTo}`).join(', ')}`).join('\n');
    if (clashes.length === 0) return { status: 'pass', summary: `no file conflicts among ${packages.length} package${packages.length === 1 ? '' : 's'}`, problems, log, clashes };
    return { status: 'failure', summary: summarize(clashes.length, 'file conflict', 'file conflicts', problems), problems, log, clashes };
  } catch (e) {
    return { ...infra(`conflicts could not be checked: ${message(e)}`, message(e)), clashes: [] };
  }
}
