import { isRpmInternal, nameOfNevra, parseCapability, satisfies } from '../../core/rpm-capability.js';
import type { Build } from '../../core/update-schema.js';
import { installable, type Unsatisfied } from '../checks/installable.js';
import type { CheckInput } from '../checks/check.js';
import { binaryHeaders } from '../checks/update-packages.js';
import type { RpmHeader } from '../rpm/rpm-query.js';

/**
 * What britney does for migrations, for phase1 (docs/lifecycle.md, "Updates that need each
 * other"): when the update's RPMs require something neither production nor they provide,
 * and a pending update provides it, the job tests them together and says why. dnf decides
 * what is unsatisfied (so a requirement production meets never pulls anything in); rpm's
 * range rule (core/rpm-capability.ts) decides which pending update provides it. Providers'
 * own needs are looked for the same way, until nothing more is found.
 */

/** An update waiting in updates/, ready/ or a phase1 run not finished, with its builds for the job's target. */
export interface PendingUpdate {
  readonly id: string;
  readonly contentHash: string;
  /** `updates/`, `ready/`, `submitted (run …)`. */
  readonly where: string;
  readonly builds: readonly Build[];
}

export interface InferredCompanion {
  readonly update: PendingUpdate;
  /** `provides python-oslo-concurrency >= 1.8.0, required by openstack-nova-api`. */
  readonly why: string;
  readonly rpms: readonly string[];
}

export interface InferenceInput extends Omit<CheckInput, 'rpms'> {
  /** The update's RPMs and those of the updates it is tested with already. */
  readonly rpms: readonly string[];
  /** Candidates, in the order they are tried. */
  readonly pending: readonly PendingUpdate[];
  /** A candidate's RPM files (fetched through the build cache); a string says why they could not be had. */
  readonly rpmsOf: (update: PendingUpdate) => Promise<readonly string[] | string>;
  readonly log: (line: string) => void;
  /** What the installable check already found unsatisfied in `rpms`: the first round asks dnf nothing. */
  readonly known?: readonly Unsatisfied[];
}

export async function inferCompanions(input: InferenceInput): Promise<InferredCompanion[]> {
  const chosen: InferredCompanion[] = [];
  const rpms = [...input.rpms];
  const headers = new Map<string, { rpms: readonly string[]; headers: readonly RpmHeader[] } | undefined>();
  const headersOf = async (u: PendingUpdate) => {
    if (headers.has(u.id)) return headers.get(u.id);
    const files = await input.rpmsOf(u);
    let got: { rpms: readonly string[]; headers: readonly RpmHeader[] } | undefined;
    if (typeof files === 'string') input.log(`   ${u.id} (${u.where}) not considered: ${files}`);
    else got = { rpms: files, headers: (await binaryHeaders(files, input)).map((h) => h.header) };
    headers.set(u.id, got);
    return got;
  };
  for (let round = 0; round <= input.pending.length; round++) {
    const unsatisfied = round === 0 && input.known ? input.known : await unsatisfiedIn(input, rpms);
    const needs = unsatisfied.filter((u) => !isRpmInternal(u.unsatisfied));
    if (needs.length === 0) break;
    let added = false;
    for (const need of needs) {
      const wanted = parseCapability(need.unsatisfied);
      for (const u of input.pending) {
        if (chosen.some((c) => c.update.id === u.id)) continue;
        const got = await headersOf(u);
        if (!got || !got.headers.some((h) => provides(h, wanted))) continue;
        const why = `provides ${need.unsatisfied}, required by ${nameOfNevra(need.package)}`;
        input.log(`   tested with ${u.id} (${u.where}): ${why}`);
        chosen.push({ update: u, why, rpms: got.rpms });
        rpms.push(...got.rpms);
        added = true;
        break;
      }
    }
    if (!added) break;
  }
  return chosen;
}

function provides(h: RpmHeader, wanted: ReturnType<typeof parseCapability>): boolean {
  if (wanted.name.startsWith('/')) return h.files.some((f) => f.path === wanted.name) || h.provides.some((p) => parseCapability(p).name === wanted.name);
  return h.provides.some((p) => satisfies(parseCapability(p), wanted));
}

async function unsatisfiedIn(input: InferenceInput, rpms: readonly string[]): Promise<readonly Unsatisfied[]> {
  const check = await installable({ ...input, rpms });
  if (check.status === 'infra') input.log(`   what the update needs could not be asked of dnf: ${check.summary}`);
  return check.status === 'failure' ? check.unsatisfied : [];
}
