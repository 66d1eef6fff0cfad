import { z } from 'zod';
import { TestedWithSchema, type TestedWith } from './records/phase1.js';

/**
 * How a phase1 run says what it tested its update with besides production (docs/lifecycle.md,
 * "Updates that need each other"), the same words in `sluice explain`, the run page and the
 * Gerrit comment: `tested with hz8d: provides python-oslo-concurrency >= 1.8.0, required by
 * openstack-nova (inferred on kilo/epel-7, sha256 3f2a…)`. Pure.
 */
export function testedWithLines(
  declared: readonly TestedWith[],
  jobs: readonly { readonly target: string; readonly testedWith?: readonly TestedWith[] | undefined }[],
): string[] {
  const lines: string[] = declared.map((t) => `tested with ${t.id}: ${t.why} (${t.how}, sha256 ${t.contentHash.slice(0, 12)})`);
  const inferred = new Map<string, { t: TestedWith; targets: string[] }>();
  for (const j of jobs) {
    for (const t of j.testedWith ?? []) {
      if (t.how !== 'inferred') continue;
      const key = `${t.id}\0${t.why}`;
      const seen = inferred.get(key) ?? { t, targets: [] };
      seen.targets.push(j.target);
      inferred.set(key, seen);
    }
  }
  for (const { t, targets } of inferred.values()) lines.push(`tested with ${t.id}: ${t.why} (inferred on ${targets.join(', ')}, sha256 ${t.contentHash.slice(0, 12)})`);
  return lines;
}

const Recorded = z.object({ testedWith: z.array(TestedWithSchema) });

/** What a run's inputs record it was tested with (none for a run of another pipeline or an older one). */
export function recordedTestedWith(inputs: unknown): readonly TestedWith[] {
  const read = Recorded.safeParse(inputs);
  return read.success ? read.data.testedWith : [];
}
