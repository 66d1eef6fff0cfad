import type { OutcomeItem, RunStory } from '../run-story.js';
import { configLine, plural, short } from '../story-text.js';
import type { PromoteInputs, PromoteOutcome } from '../../core/records/promote.js';
import type { Run } from '../../store/index.js';

/**
 * How a promote run is told: the updates of ready/ it took, the stage tests, and what was
 * pushed, refused, kept and published.
 */

const inputsOf = (run: Run): Partial<PromoteInputs> => (run.pipeline === 'promote' ? run.inputs : {});
const outcomeOf = (run: Run): PromoteOutcome => (run.pipeline === 'promote' ? run.outcome : null);

export const promoteStory: RunStory = {
  head(run, jobs, created) {
    const inputs = inputsOf(run);
    const ready = inputs.ready ?? [];
    const targets = new Set(jobs.map((j) => j.target)).size;
    const needs = [
      ...(inputs.dependencies?.units ?? []).map((u) => `  need each other, published together or not at all: ${u.join('+')}`),
      ...(inputs.held ?? []).map((h) => `  held in ready/, not staged: ${h.id}: ${h.why}`),
    ];
    return [
      `run ${run.id}: promote of ${plural(ready.length, 'update')} in ready/ (${ready.map((u) => u.id).join(' ')}), created ${created}`,
      `  inputs: ${ready.map((u) => `${u.id} (sha256 ${short(u.contentHash)})`).join(', ') || 'none'}`,
      configLine(inputsOf(run)),
      ...needs,
      `  plan: stage composed from the tested RPMs of ready/, then the stage tests: ${plural(jobs.length, 'job')} on ${plural(targets, 'target')}`,
      ...soakingLines(run).map((l) => `  ${l}`),
    ];
  },
  sections: (_run, jobs) => [{ heading: '  stage tests (one job per target whose production tree stage changes):', jobs }],
  verdict(run) {
    const o = outcomeOf(run);
    const out: string[] = [];
    for (const p of o?.pushed ?? []) out.push(`    pushed ${p.id}: ${plural(p.files.length, 'file')} in production (pushed/${p.id}.yml)`);
    for (const f of o?.failed ?? []) out.push(`    refused ${f.id} before stage (to failed/): ${f.reasons.join('; ')}`);
    if ((o?.kept ?? []).length > 0) out.push(`    kept in ready/: ${(o?.kept ?? []).join(' ')}`);
    for (const h of o?.held ?? []) out.push(`    held in ready/ (not published before what it needs): ${h.id}: ${h.why}`);
    for (const p of o?.published ?? []) out.push(`    production ${p.target} -> ${p.tree}`);
    out.push('    (promote publishes only when the stage tests pass on every target, and then switches every target\'s production tree at once; an update whose RPMs differ from what phase2 tested is refused to failed/)');
    return out;
  },
  reported: () => ': pushed/ and failed/ written in the update repository',
  outcomeLines(run) {
    const o = outcomeOf(run);
    if (!o) return soakingLines(run);
    const out: string[] = [...soakingLines(run)];
    for (const p of o.pushed ?? []) out.push(`pushed ${p.id}:`, ...p.files.map((f) => `  ${f}`));
    for (const f of o.failed ?? []) out.push(`failed ${f.id} (moved to failed/):`, ...f.reasons.map((r) => `  ${r}`));
    if ((o.kept ?? []).length > 0) out.push(`kept in ready/: ${(o.kept ?? []).join(' ')}`);
    for (const h of o.held ?? []) out.push(`held in ready/: ${h.id}: ${h.why}`);
    for (const t of o.published ?? []) out.push(`production ${t.target} -> ${t.tree}`);
    return out;
  },
  outcomeItems(run) {
    const o = outcomeOf(run);
    const items: OutcomeItem[] = soakingLines(run).map((l) => ({ parts: [l] }));
    if (!o) return items;
    for (const p of o.pushed ?? []) items.push({ parts: ['pushed ', { update: p.id }, ` (${p.files.length} files)`] });
    for (const f of o.failed ?? []) items.push({ culprit: true, parts: ['refused ', { update: f.id }, ` (moved to failed/): ${f.reasons.join('; ')}`] });
    if ((o.kept ?? []).length > 0) items.push({ parts: [`kept in ready/: ${(o.kept ?? []).join(' ')}`] });
    for (const h of o.held ?? []) items.push({ parts: ['held in ready/: ', { update: h.id }, `: ${h.why}`] });
    for (const t of o.published ?? []) items.push({ parts: [`production ${t.target} → ${t.tree}`] });
    return items;
  },
  cellLabel: () => 'promote',
  failureHint: 'failed: each target, each attempt',
};

/** Updates of ready/ this run left there to soak (`promote.min_soak`), each with its reason. */
function soakingLines(run: Run): string[] {
  return (inputsOf(run).soaking ?? []).map((h) => `left in ready/ to soak: ${h.why}`);
}
