// A sluice process that dies at the worst moments for notifications: it gives two runs
// their verdicts, writes the notifications of one of them (the report's first half), and
// is then killed by the test before anything is sent or either run is marked reported.
// Arguments: the store's URL, the webhook receiver's URL.
import { openStore } from '../../../src/store/index.js';
import { failedRun } from './finished-run.js';
import { notifyReporterFor, notifySection } from './site.js';

// `node --test dist/test/` runs every file it finds, this one too: without arguments it does nothing.
const [url, hook] = process.argv.slice(2);
if (url && hook) {
  const store = await openStore(url);
  const reporter = notifyReporterFor(notifySection({ webhooks: { chat: { url: hook, secret_env: 'SLUICE_HOOK_SECRET' } }, rules: [{ name: 'team', webhooks: ['chat'] }] }), store, { SLUICE_HOOK_SECRET: 'crash-secret' });
  await failedRun(store, 'r-verdict-only', Date.now());
  const between = await failedRun(store, 'r-written-not-sent', Date.now());
  await reporter.report(between.run, between.jobs);
  process.stdout.write('ready\n');
  setInterval(() => {}, 60_000);
}
