import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { GerritRest } from '../../../src/drivers/gerrit/rest.js';
import { GerritTrigger, type GerritSubmission, type Phase2Answer, type Phase2Request } from '../../../src/drivers/gerrit/trigger.js';
import { submitPhase1 } from '../../../src/pipelines/phase1/submit.js';
import { recheckFailedOfContent } from '../../../src/pipelines/phase1/recheck-failed.js';
import { openStore, type Run, type Store } from '../../../src/store/index.js';
import { BOT, GerritStandin } from '../../helpers/gerrit-standin.js';
import { tempDir } from '../../helpers/paths.js';
import { makeSite, updateText, type Site } from '../../helpers/site.js';

/** A site, its store, a Gerrit stand-in and a trigger wired to them, the way serve wires them. */
export interface TriggerFixture {
  readonly site: Site;
  readonly store: Store;
  readonly gerrit: GerritStandin;
  readonly rest: GerritRest;
  readonly trigger: GerritTrigger;
  readonly submissions: GerritSubmission[];
  readonly phase2Requests: Phase2Request[];
  readonly logs: string[];
  /** Phase1 runs of an update, oldest first. */
  runsOf(updateId: string): Promise<Run[]>;
}

export const REST_POLICY = { timeoutMs: 5000, attempts: 3, backoffMs: 10 };

export async function triggerFixture(t: TestContext, o: { forward?: boolean; phase2?: Phase2Answer; beforeSubmit?: (s: GerritSubmission) => Promise<void> } = {}): Promise<TriggerFixture> {
  const dir = tempDir(t, 'sluice-gerrit-');
  const site = await makeSite(dir);
  const store = await openStore(`sqlite:${join(dir, 'sluice.db')}`);
  t.after(() => store.close());
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  const rest = new GerritRest({ url: gerrit.url, user: BOT.username, password: gerrit.password, policy: REST_POLICY });
  const submissions: GerritSubmission[] = [];
  const phase2Requests: Phase2Request[] = [];
  const logs: string[] = [];
  const trigger = new GerritTrigger({
    store, rest, project: gerrit.project, branch: gerrit.branch, self: [{ username: BOT.username }], labels: { Verified: { pass: 1, fail: -1 } }, phase2Group: 'rdo-admins',
    submit: async (s) => {
      submissions.push(s);
      await o.beforeSubmit?.(s);
      return submitPhase1({ store, config: site.config, configHash: 'test', file: s.file, bytes: s.bytes, author: s.author, now: Date.now(), runId: s.runId, with: s.dependsOn ?? [], repoPath: site.repoPath });
    },
    recheckFailed: (s) => recheckFailedOfContent(store, { runId: s.runId, bytes: s.bytes, file: s.file, now: Date.now(), gerrit: s.gerrit }),
    onPhase2: async (r) => {
      phase2Requests.push(r);
      return o.phase2 ?? { runId: 'rphase2', kind: 'started' };
    },
    notify: () => undefined, now: Date.now, log: (l) => logs.push(l),
  });
  await trigger.load();
  if (o.forward !== false) gerrit.onEvent((e) => trigger.accept(e));
  return {
    site, store, gerrit, rest, trigger, submissions, phase2Requests, logs,
    runsOf: async (id) => (await store.listRuns({ updateId: id })).reverse(),
  };
}

/** An update file of the site's kind, and the topic rdopkg would give it. */
export function update(notes: string, targets: readonly string[]): { content: string; topic: string } {
  const releases = [...new Set(targets.map((t) => t.split('/')[0] as string))].sort();
  const topic = releases.map((r) => [r, ...targets.filter((t) => t.startsWith(`${r}/`)).map((t) => t.split('/')[1])].join('_')).join('/');
  return { content: updateText(notes, targets), topic };
}
