import type { Job, Run } from '../store/index.js';

/**
 * What `sluice explain` says of phase2 and promote runs, which test a set of updates (the
 * batch of updates/, or ready/) rather than one: which updates, the rounds and groups
 * of the bisection and why each group was tested, and what the verdict decided.
 */

interface BatchUpdate { readonly id: string; readonly contentHash?: string }
interface BatchInputs {
  readonly snapshot?: { readonly commit?: string };
  readonly updates?: readonly BatchUpdate[];
  readonly batch?: readonly string[];
  readonly ready?: readonly BatchUpdate[];
  readonly held?: readonly { readonly id: string; readonly why: string }[];
  readonly withChecks?: boolean;
  readonly configFile?: string;
  readonly configHash?: string;
}
interface GroupSpec { readonly stage?: string; readonly round?: number; readonly group?: readonly string[] }

const short = (hash: string | undefined) => (hash ?? '?').slice(0, 12);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The first lines: what the run tested, from which commit, with what configuration. */
export function batchHead(run: Run, created: string): string[] {
  const inputs = (run.inputs ?? {}) as BatchInputs;
  const configLine = `          config ${inputs.configFile ?? '?'} (sha256 ${short(inputs.configHash)})`;
  if (run.pipeline === 'promote') {
    const ready = inputs.ready ?? [];
    return [
      `run ${run.id}: promote of ${plural(ready.length, 'update')} in ready/ (${ready.map((u) => u.id).join(' ')}), created ${created}`,
      `  inputs: ${ready.map((u) => `${u.id} (sha256 ${short(u.contentHash)})`).join(', ') || 'none'}`,
      configLine,
    ];
  }
  const batch = inputs.batch ?? [];
  const out = [
    `run ${run.id}: phase2 of ${plural(batch.length, 'update')} in updates/ (${batch.join(' ')})${inputs.snapshot?.commit ? ` at commit ${inputs.snapshot.commit.slice(0, 12)}` : ''}, created ${created}`,
    `  inputs: ${(inputs.updates ?? []).map((u) => `${u.id} (sha256 ${short(u.contentHash)})`).join(', ') || 'none'}`,
    configLine,
  ];
  for (const h of inputs.held ?? []) out.push(`  held in updates/, not tested: ${h.id}: ${h.why}`);
  return out;
}

/** The plan in one line: rounds, jobs and targets (a job is one group on one target). */
export function batchPlan(run: Run, jobs: readonly Job[]): string {
  const targets = new Set(jobs.map((j) => j.target)).size;
  const counts = `${plural(jobs.length, 'job')} on ${plural(targets, 'target')}`;
  if (run.pipeline === 'promote') return `  plan: stage composed from the tested RPMs of ready/, then the stage tests: ${counts}`;
  const rounds = new Map<string, number>();
  for (const j of jobs) {
    const s = j.spec as GroupSpec | null;
    if (s?.round !== undefined) rounds.set(s.stage ?? 'tests', Math.max(rounds.get(s.stage ?? 'tests') ?? 0, s.round));
  }
  const stages = [...rounds].map(([stage, n]) => `${plural(n, `${stage === 'checks' ? 'package-check' : 'test'} round`)}`).join(' and ');
  return `  plan: ${stages || 'no round'}, ${counts} (a failing group is split in halves, tested side by side in the next round)`;
}

/** Jobs under a heading per round and group of the bisection, saying why that group was tested. */
export function groupedJobs(run: Run, jobs: readonly Job[]): { heading: string; jobs: Job[] }[] {
  if (run.pipeline === 'promote') return [{ heading: '  stage tests (one job per target whose production tree stage changes):', jobs: [...jobs] }];
  const groups = new Map<string, { stage: string; round: number; group: readonly string[]; jobs: Job[] }>();
  for (const j of jobs) {
    const s = (j.spec ?? {}) as GroupSpec;
    const stage = s.stage ?? 'tests';
    const key = `${stage} ${s.round ?? 0} ${(s.group ?? []).join(' ')}`;
    const g = groups.get(key) ?? { stage, round: s.round ?? 0, group: s.group ?? [], jobs: [] };
    g.jobs.push(j);
    groups.set(key, g);
  }
  const all = [...groups.values()];
  const failed = (g: { jobs: readonly Job[] }) => g.jobs.filter((j) => j.result === 'failure');
  return all.map((g) => {
    const name = `${g.stage === 'checks' ? 'package checks' : 'tests'} round ${g.round}, group [${g.group.join(' ')}]`;
    let why: string;
    if (g.round <= 1) why = g.stage === 'checks' ? 'the whole batch, cheap checks first' : 'every update not convicted by the checks, together';
    else {
      const parent = all.find((p) => p.stage === g.stage && p.round === g.round - 1 && failed(p).length > 0 && g.group.every((u) => p.group.includes(u)));
      if (!parent) why = 'a group left from the previous round';
      else if (parent.group.length === g.group.length) why = `tested again: it failed in round ${parent.round} while each of its halves passed, so its failure was flaky or needs its updates together`;
      else why = `half of [${parent.group.join(' ')}], which failed in round ${parent.round} on ${[...new Set(failed(parent).map((j) => j.target))].join(', ')}`;
    }
    return { heading: `  ${name}: ${why}`, jobs: g.jobs };
  });
}

/** What the verdict decided, and the rule that gave it. */
export function batchVerdict(run: Run, jobs: readonly Job[]): string[] {
  const out: string[] = [];
  if (run.pipeline === 'promote') {
    const o = run.outcome as { pushed?: { id: string; files: string[] }[]; failed?: { id: string; reasons: string[] }[]; kept?: string[]; published?: { target: string; tree: string }[] } | null;
    for (const p of o?.pushed ?? []) out.push(`    pushed ${p.id}: ${plural(p.files.length, 'file')} in production (pushed/${p.id}.yml)`);
    for (const f of o?.failed ?? []) out.push(`    refused ${f.id} before stage (to failed/): ${f.reasons.join('; ')}`);
    if ((o?.kept ?? []).length > 0) out.push(`    kept in ready/: ${(o?.kept ?? []).join(' ')}`);
    for (const p of o?.published ?? []) out.push(`    production ${p.target} -> ${p.tree}`);
    out.push('    (promote publishes only when the stage tests pass on every target, and then switches every target\'s production tree at once; an update whose RPMs differ from what phase2 tested is refused to failed/)');
    return out;
  }
  const o = run.outcome as { clean?: string[]; culprits?: { updates: string[]; stage: string; failedJobs: string[] }[]; flaky?: string[][]; held?: { id: string; why: string }[] } | null;
  for (const c of o?.culprits ?? []) {
    const convicting = jobs.filter((j) => c.failedJobs.includes(j.id));
    const where = convicting.map((j) => `${j.target} in round ${(j.spec as GroupSpec | null)?.round ?? '?'} (job ${j.id})`).join(', ');
    out.push(`    culprit ${c.updates.join(' + ')}: failed the ${c.stage === 'checks' ? 'package checks' : 'tests'} ${c.updates.length > 1 ? 'only together' : 'on its own'} on ${where || 'its targets'}; it stays in updates/`);
  }
  for (const g of o?.flaky ?? []) out.push(`    flaky [${g.join(' ')}]: failed once, passed when tested again; not blamed`);
  if ((o?.clean ?? []).length > 0) out.push(`    passed, moved to ready/: ${(o?.clean ?? []).join(' ')}`);
  out.push('    (phase2 fails when a group of updates keeps failing down to one update, or to a set that fails only together: that is the culprit; the updates in groups that passed move to ready/)');
  return out;
}
