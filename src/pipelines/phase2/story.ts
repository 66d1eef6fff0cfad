import type { Phase2Inputs, Phase2Outcome } from '../../core/records/phase2.js';
import type { Job, Run } from '../../store/index.js';
import type { OutcomeItem, RunStory } from '../run-story.js';
import { configLine, plural, short } from '../story-text.js';
import { specView } from '../../engine/job-spec-view.js';
import { dependenciesOf } from '../../core/update-dependencies.js';
import { culpritName } from './plan.js';

/**
 * How a phase2 run is told: the batch of updates/ it tested, the rounds and groups of the
 * bisection and why each group was tested, the culprits, flaky groups and what moved to
 * ready/.
 */

/** What a phase2 job's spec says of its place in the bisection (read loosely: older runs lack fields). */
interface GroupSpec { readonly stage?: string; readonly round?: number; readonly group?: readonly string[] }
const groupSpecOf = (job: Job): GroupSpec | null => specView(job);

const inputsOf = (run: Run): Partial<Phase2Inputs> => (run.pipeline === 'phase2' ? run.inputs : {});
const outcomeOf = (run: Run): Phase2Outcome => (run.pipeline === 'phase2' ? run.outcome : null);
const stageWords = (stage: string) => (stage === 'checks' ? 'package checks' : 'tests');

export const phase2Story: RunStory = {
  head(run, jobs, created) {
    const inputs = inputsOf(run);
    const batch = inputs.batch ?? [];
    const out = [
      `run ${run.id}: phase2 of ${plural(batch.length, 'update')} in updates/ (${batch.join(' ')})${inputs.snapshot?.commit ? ` at commit ${inputs.snapshot.commit.slice(0, 12)}` : ''}, created ${created}`,
      `  inputs: ${(inputs.updates ?? []).map((u) => `${u.id} (sha256 ${short(u.contentHash)})`).join(', ') || 'none'}`,
      configLine(inputs),
    ];
    for (const h of inputs.held ?? []) out.push(`  held in updates/, not tested: ${h.id}: ${h.why}`);
    out.push(...dependencyLines(inputs));
    out.push(plan(jobs));
    return out;
  },
  sections: (_run, jobs) => groupedJobs(jobs),
  verdict(run, jobs) {
    const out: string[] = [];
    const o = outcomeOf(run);
    for (const c of o?.culprits ?? []) {
      const convicting = jobs.filter((j) => c.failedJobs.includes(j.id));
      const where = convicting.map((j) => `${j.target} in round ${groupSpecOf(j)?.round ?? '?'} (job ${j.id})`).join(', ');
      out.push(`    culprit ${culpritName(c)}: failed the ${stageWords(c.stage)} ${c.updates.length > 1 ? 'as one' : 'on its own'} on ${where || 'its targets'}; ${c.updates.length > 1 ? 'they stay' : 'it stays'} in updates/`);
    }
    for (const g of o?.flaky ?? []) out.push(`    flaky [${g.join(' ')}]: failed once, passed when tested again; not blamed`);
    if ((o?.clean ?? []).length > 0) out.push(`    passed, moved to ready/: ${(o?.clean ?? []).join(' ')}`);
    out.push('    (phase2 fails when a group of updates keeps failing down to one update, or to a set that fails only together: that is the culprit; the updates in groups that passed move to ready/)');
    return out;
  },
  reported: () => ': the updates that passed moved to ready/ in the update repository',
  outcomeLines(run, jobs, failures) {
    const o = outcomeOf(run);
    if (!o) return [];
    const out: string[] = [];
    if (o.clean && o.clean.length > 0) out.push(`passed (moved to ready/): ${o.clean.join(' ')}`);
    for (const c of o.culprits ?? []) {
      out.push('', `CULPRIT ${culpritName(c)}: failed the ${stageWords(c.stage)} ${c.updates.length > 1 ? 'as one' : 'on its own'}`);
      out.push(...failures(jobs.filter((j) => c.failedJobs.includes(j.id))).map((l) => (l === '' ? l : `  ${l}`)));
    }
    for (const g of o.flaky ?? []) out.push(`flaky: [${g.join(' ')}] failed once, passed when tested again`);
    for (const h of o.held ?? []) out.push(`held in updates/: ${h.id}: ${h.why}`);
    return out;
  },
  outcomeItems(run) {
    const o = outcomeOf(run);
    if (!o) return [];
    const items: OutcomeItem[] = [];
    const joined = <T>(xs: readonly T[], sep: string, part: (x: T) => OutcomeItem['parts'][number]) => xs.flatMap((x, i) => (i ? [sep, part(x)] : [part(x)]));
    if ((o.clean ?? []).length > 0) items.push({ parts: ['moved to ready/: ', ...joined(o.clean ?? [], ', ', (id) => ({ update: id }))] });
    for (const c of o.culprits ?? []) {
      items.push({
        culprit: true,
        parts: ['culprit ', ...joined(c.updates, ' + ', (id) => ({ update: id })), `${culpritName(c).replace(/^[^ ]*/, '')}: failed the ${stageWords(c.stage)} ${c.updates.length > 1 ? 'as one' : 'on its own'} (`, ...joined(c.failedJobs, ', ', (id) => ({ job: id })), ')'],
      });
    }
    for (const g of o.flaky ?? []) items.push({ parts: [`flaky: [${g.join(' ')}] failed once, passed when tested again`] });
    for (const h of o.held ?? []) items.push({ parts: ['held in updates/: ', { update: h.id }, `: ${h.why}`] });
    return items;
  },
  cellLabel: phase2Label,
  failureHint: 'blamed its culprit: rounds, groups, verdict',
};

/** What the run read of updates that need each other: the units moved as one, and ready/'s updates installed as a base. */
function dependencyLines(inputs: Partial<Phase2Inputs>): string[] {
  const d = inputs.dependencies;
  if (!d) return [];
  const out = d.units.map((u) => `  need each other, tested, blamed and moved as one: ${u.join('+')}`);
  for (const b of d.base) {
    const by = (inputs.batch ?? []).filter((id) => dependenciesOf(id, d.edges).includes(b.id));
    out.push(`  from ready/, installed with what needs it (not tested as part of the batch, never blamed): ${b.id} (sha256 ${short(b.contentHash)}), needed by ${by.join(' ')}`);
  }
  return out;
}

const updates = (n: number): string => `${n} update${n === 1 ? '' : 's'}`;

/**
 * A phase2 job tests a group of the batch in one round of a bisection: the cell says
 * whether it is the whole batch or a bisection step (and which update, when the group is
 * down to one, since that is the suspect). Read loosely: runs recorded before a field
 * existed still get a label.
 */
function phase2Label(run: Run, job: Job): string {
  const spec = groupSpecOf(job);
  const batch = inputsOf(run).batch;
  const name = spec?.stage === 'checks' ? 'phase2 checks' : 'phase2';
  const group = spec?.group;
  if (!group || spec.round === undefined) return batch ? `${name} of ${updates(batch.length)}` : name;
  // Round 1 of a stage tests together all the stage has: the batch, or what passed the checks.
  if (spec.round <= 1) return `${name} of ${updates(group.length)}`;
  const what = group.length === 1 ? (group[0] as string) : batch ? `${group.length} of ${updates(batch.length)}` : updates(group.length);
  return `${name} bisect r${spec.round}: ${what}`;
}

/** The plan in one line: rounds, jobs and targets (a job is one group on one target). */
function plan(jobs: readonly Job[]): string {
  const targets = new Set(jobs.map((j) => j.target)).size;
  const counts = `${plural(jobs.length, 'job')} on ${plural(targets, 'target')}`;
  const rounds = new Map<string, number>();
  for (const j of jobs) {
    const s = groupSpecOf(j);
    if (s?.round !== undefined) rounds.set(s.stage ?? 'tests', Math.max(rounds.get(s.stage ?? 'tests') ?? 0, s.round));
  }
  const stages = [...rounds].map(([stage, n]) => `${plural(n, `${stage === 'checks' ? 'package-check' : 'test'} round`)}`).join(' and ');
  return `  plan: ${stages || 'no round'}, ${counts} (a failing group is split in halves, tested side by side in the next round)`;
}

/** Jobs under a heading per round and group of the bisection, saying why that group was tested. */
function groupedJobs(jobs: readonly Job[]): { heading: string; jobs: Job[] }[] {
  const groups = new Map<string, { stage: string; round: number; group: readonly string[]; jobs: Job[] }>();
  for (const j of jobs) {
    const s = groupSpecOf(j) ?? {};
    const stage = s.stage ?? 'tests';
    const key = `${stage} ${s.round ?? 0} ${(s.group ?? []).join(' ')}`;
    const g = groups.get(key) ?? { stage, round: s.round ?? 0, group: s.group ?? [], jobs: [] };
    g.jobs.push(j);
    groups.set(key, g);
  }
  const all = [...groups.values()];
  const failed = (g: { jobs: readonly Job[] }) => g.jobs.filter((j) => j.result === 'failure');
  return all.map((g) => {
    const name = `${stageWords(g.stage)} round ${g.round}, group [${g.group.join(' ')}]`;
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
