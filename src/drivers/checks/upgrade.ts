import { compareEVR, formatEVR, type EVR } from '../../core/rpm-version.js';
import { repoquery } from '../rpm/dnf.js';
import { infra, message, summarize, type CheckInput, type CheckResult } from './check.js';
import { productionRepo } from './production.js';
import { binaryHeaders } from './update-packages.js';

export interface NotAnUpgrade {
  readonly package: string;
  readonly update: string;
  readonly production: string;
}

/**
 * Every package of the update is newer than the newest of the same name in production:
 * an equal version would never be installed, an older one would be a downgrade.
 * A package new to the target passes.
 */
export async function upgrade(input: CheckInput): Promise<CheckResult & { readonly notUpgrades: readonly NotAnUpgrade[] }> {
  const none = { notUpgrades: [] as NotAnUpgrade[] };
  try {
    const packages = await binaryHeaders(input.rpms, input);
    const query = await repoquery(await productionRepo(input), input);
    if (!query.ok) return { ...none, ...infra('upgrade could not be checked: the production repository could not be read', query.log) };
    const newest = new Map<string, EVR>();
    for (const p of query.packages) {
      const seen = newest.get(p.name);
      if (!seen || compareEVR(p, seen) > 0) newest.set(p.name, p);
    }
    const notUpgrades: NotAnUpgrade[] = [];
    const problems: string[] = [];
    const lines: string[] = [];
    for (const { header } of packages) {
      const current = newest.get(header.name);
      if (!current) { lines.push(`${header.name} ${formatEVR(header)}: new to the target`); continue; }
      const order = compareEVR(header, current);
      lines.push(`${header.name} ${formatEVR(header)} over ${formatEVR(current)}`);
      if (order > 0) continue;
      notUpgrades.push({ package: header.name, update: formatEVR(header), production: formatEVR(current) });
      problems.push(`${header.name}: update ${formatEVR(header)} ${order === 0 ? 'equals' : 'is older than'} production ${formatEVR(current)}`);
    }
    const log = lines.join('\n');
    if (problems.length === 0) return { ...none, status: 'pass', summary: `${packages.length} package${packages.length === 1 ? '' : 's'} newer than production or new`, problems, log };
    return { status: 'failure', summary: summarize(problems.length, 'package is not an upgrade', 'packages are not upgrades', problems), problems, log, notUpgrades };
  } catch (e) {
    return { ...none, ...infra(`upgrade could not be checked: ${message(e)}`, message(e)) };
  }
}
