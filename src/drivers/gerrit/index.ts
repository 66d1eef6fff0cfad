import type { RunReporter } from '../../engine/engine.js';
import type { TriggerDriver } from '../trigger-driver.js';
import { GerritSchema } from './config.js';
import { gerritRefOf } from './ledger.js';
import { gerritReporter } from './reporter.js';
import { gerritRestFromConfig, startGerritTrigger } from './start-trigger.js';

/**
 * Gerrit, as Zuul's driver has it: a trigger (changes to the update repository start
 * phase1, `run phase2` comments phase2) and a reporter (votes, comments, submits), both
 * from the `gerrit:` section.
 */
export const gerritDriver: TriggerDriver = {
  type: 'gerrit',
  summary: 'Gerrit reviews',
  docs: 'docs/gerrit.md',
  description: 'Updates arrive as Gerrit reviews: trigger, vote, comment, submit (docs/gerrit.md).',
  configSchema: GerritSchema,
  capabilities: { trigger: true, reporter: true },
  async start(section, hooks) {
    const gerrit = GerritSchema.parse(section);
    const handle = await startGerritTrigger({
      store: hooks.store, gerrit, configDir: hooks.configDir, env: hooks.env, notify: hooks.notify,
      ...(hooks.log ? { log: hooks.log } : {}), ...(hooks.onRefUpdated ? { onRefUpdated: hooks.onRefUpdated } : {}),
      submit: hooks.submit,
      ...(hooks.recheckFailed ? { recheckFailed: hooks.recheckFailed } : {}),
      onPhase2: () => hooks.startPhase2(),
    });
    return {
      description: `following Gerrit ${gerrit.url} (${gerrit.project})${handle.webhook ? `; webhook on ${handle.webhook.host}:${handle.webhook.port}` : ''}`,
      stop: () => handle.stop(),
    };
  },
  // Every engine reports Gerrit's runs (any worker may drain the outbox), so each needs the
  // REST password; when Gerrit submits passing changes, the local merge is left to Gerrit
  // for the runs it triggered.
  reporters(section, site, merge) {
    const gerrit = GerritSchema.parse(section);
    const rest = gerritRestFromConfig(gerrit, site.env);
    const reporter = gerritReporter({ rest, store: site.store, labels: gerrit.labels, submit: gerrit.submit, ...(gerrit.web_url ? { webUrl: gerrit.web_url } : {}), ...(site.log ? { log: site.log } : {}) });
    const localMerge: RunReporter = gerrit.submit
      ? { async report(run, jobs) { if (!(await gerritRefOf(site.store, run))) await merge.report(run, jobs); } }
      : merge;
    return { merge: localMerge, reporters: [reporter] };
  },
};
