import type { Command } from 'commander';
import { formatDuration } from '../core/duration.js';
import { storyOf } from '../pipelines/registry.js';
import type { Job, Run, StoredEvent, StoredEventOf } from '../store/index.js';
import { loadConfig } from './config-loader.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { withStore } from './store-access.js';
import { specView } from '../engine/job-spec-view.js';
import { describeWaiver } from '../core/waivers.js';

export function registerExplain(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('explain')
    .description('why each target of a run was run, skipped or retried, and why the verdict is what it is')
    .argument('<run>', 'run id')
    .option('--config <file>', 'configuration file')
    .action(async (runId: string, opts: { config?: string }) => setStatus(await explain(io, runId, opts)));
}

async function explain(io: Io, runId: string, opts: { config?: string }): Promise<number> {
  const loaded = loadConfig(io, opts.config);
  return withStore(loaded, io, async (store) => {
    const run = await store.getRun(runId);
    if (!run) throw new CliExit(EXIT.failed, `no run "${runId}"`, 'E_NOT_FOUND');
    const lines = explainLines(run, await store.listJobs(runId), await store.listEvents({ runId, limit: 100_000 }));
    io.out(`${lines.join('\n')}\n`);
    return EXIT.ok;
  });
}

const at = (ms: number) => new Date(ms).toISOString();

/** The run's record told as a story: inputs, plan, each attempt, verdict, report (the words are its pipeline's). */
export function explainLines(run: Run, jobs: readonly Job[], events: readonly StoredEvent[]): string[] {
  const story = storyOf(run);
  const out = story.head(run, jobs, at(run.createdAt));
  const skipsShown = new Set<string>();
  for (const section of story.sections(run, jobs)) {
    const indent = section.heading === undefined ? '  ' : '    ';
    if (section.heading !== undefined) out.push(section.heading);
    for (const j of section.jobs) out.push(...jobLines(j, events, indent, skipsShown));
  }
  const cancel = events.find((e): e is StoredEventOf<'run.cancel_requested'> => e.kind === 'run.cancel_requested');
  if (cancel) out.push(`  ${at(cancel.at)} cancel requested: ${cancel.payload.reason}`);
  // What the run waited for outside its jobs (a promote's approval, docs/promote.md) and who ended the wait.
  for (const e of events) {
    if (e.kind === 'run.waiting') out.push(`  ${at(e.at)} ${e.payload.why}`);
    else if (e.kind === 'promote.approved') out.push(`  ${at(e.at)} set ${e.payload.setHash.slice(0, 12)} approved by ${e.payload.by} (${e.payload.via}): ${e.payload.updates.map((u) => u.id).join(', ')}`);
  }
  if (run.verdict) {
    out.push(`  verdict: ${run.verdict} - ${run.reason ?? ''}`);
    out.push(...story.verdict(run, jobs));
  } else {
    out.push(`  no verdict yet: ${run.state}${run.reason ? ` - ${run.reason}` : ''}`);
  }
  for (const e of events) {
    if (e.kind === 'run.recollated') out.push(`  ${at(e.at)} verdict given again after waiver ${e.payload.waiverId}: ${e.payload.previousVerdict} -> ${e.payload.verdict} (revision ${e.payload.revision}), reported again`);
  }
  const reported = events.find((e) => e.kind === 'run.reported');
  if (reported) out.push(`  ${at(reported.at)} reported${story.reported(run)}`);
  return out;
}

/** One job: why it was skipped (a reason said once per run), or its node, command and attempts. */
function jobLines(j: Job, events: readonly StoredEvent[], indent: string, skipsShown: Set<string>): string[] {
  const spec = specView(j);
  const out = [`${indent}${j.target}:`];
  const more = `${indent}  `;
  if (j.result === 'skipped') {
    const reason = j.skipReason ?? '';
    out.push(`${more}skipped, never ran: ${skipsShown.has(reason) ? 'the same reason as above' : reason}`);
    skipsShown.add(reason);
    return out;
  }
  if (spec) {
    out.push(`${more}node: ${spec.mode === 'image' ? `image ${spec.image}` : 'provisioned from scratch'}, because ${spec.modeBecause}; provider ${spec.provider}`);
    out.push(`${more}command: ${typeof spec.command === 'string' ? spec.command : JSON.stringify(spec.command)} (timeout ${formatDuration(spec.timeoutMs ?? 0)}, up to ${j.maxAttempts} attempt(s))`);
  }
  for (const e of events.filter((ev) => ev.jobId === j.id)) {
    if (e.kind === 'job.started') out.push(`${more}${at(e.at)} attempt ${e.payload.attempt} started on worker ${e.payload.worker}`);
    else if (e.kind === 'job.retried' && 'givenBack' in e.payload && e.payload.givenBack) out.push(`${more}${at(e.at)} attempt ${e.payload.attempt}: ${e.payload.reason}; the attempt given back`);
    else if (e.kind === 'job.retried') out.push(`${more}${at(e.at)} attempt ${e.payload.attempt}: infra, retried on a fresh node (not blamed on the update): ${e.payload.reason}`);
    else if (e.kind === 'job.reclaimed') {
      const given = 'givenBack' in e.payload && e.payload.givenBack ? ` and the attempt given back (${'interruptions' in e.payload ? e.payload.interruptions : '?'} so far)` : '';
      out.push(`${more}${at(e.at)} attempt ${e.payload.attempt}: worker ${e.payload.worker} stopped answering; the job was reclaimed${given}`);
    } else if (e.kind === 'job.finished') out.push(`${more}${at(e.at)} ${e.payload.result}${e.payload.reason ? `: ${e.payload.reason}` : ''}`);
  }
  if (j.carriedFrom) out.push(`${more}not run again: its pass is carried from job ${j.carriedFrom} (${j.reason ?? 'an earlier run'}), as "recheck failed" does`);
  if (j.result === 'failure' && j.waiver) out.push(`${more}failure waived, ${describeWaiver(j.waiver)}: it counts as passed`);
  if (j.node) out.push(`${more}ran on ${j.node}${j.logPath ? `; log ${j.logPath}` : ''}`);
  out.push(`${more}sluice logs ${j.id}`);
  return out;
}
