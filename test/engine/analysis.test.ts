import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobAnalyzer } from '../../src/analysis/job-analyzer.js';
import { localProvider } from '../../src/drivers/providers/local/local-provider.js';
import { mergeReporter } from '../../src/pipelines/phase1/merge-reporter.js';
import { Engine } from '../../src/engine/engine.js';
import type { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { makeSite, submit, type Site } from '../helpers/site.js';
import { forEachStore } from '../helpers/store-matrix.js';

/** The site's test, replaced: writes JUnit results, and fails the way the update's notes say. */
const TEST = `#!/bin/sh
notes=$(sed -n 's/^notes: //p' "$SLUICE_UPDATE_FILE")
marker="$SLUICE_CONFIG_DIR/attempts-$SLUICE_UPDATE"
echo x >> "$marker"
tries=$(wc -l < "$marker")
case "$notes" in
  *"node dies once"*)
    if [ "$tries" = 1 ]; then echo "ssh: connect to host 192.0.2.7 port 22: Connection refused"; exit 255; fi ;;
esac
flaky=pass
case "$notes" in *"flaky"*) [ $((tries % 2)) = 1 ] && flaky=fail ;; esac
{
  echo '<testsuite name="smoke" tests="3">'
  echo '<testcase classname="smoke" name="test_boot"/>'
  if [ "$flaky" = fail ]; then echo '<testcase classname="smoke" name="test_network"><failure message="ping timeout">ping 10.0.0.1: timeout</failure></testcase>'; else echo '<testcase classname="smoke" name="test_network"/>'; fi
  case "$notes" in *"breaks volumes"*) echo '<testcase classname="smoke" name="test_volume"><failure message="&lt;script&gt;alert(1)&lt;/script&gt; attach failed">Traceback...</failure></testcase>' ;; *) echo '<testcase classname="smoke" name="test_volume"/>' ;; esac
  echo '</testsuite>'
} > "$SLUICE_RESULTS_DIR/junit.xml"
grep -q 'failure' "$SLUICE_RESULTS_DIR/junit.xml" && { echo "FAILED (failures=1)"; exit 1; }
echo ok
`;

function engineFor(site: Site, store: Store): Engine {
  return new Engine({
    store, providers: [localProvider({ name: 'local', capacity: 2, workDir: join(site.dir, 'work'), configDir: site.dir, killGraceMs: 300 })],
    reporters: [mergeReporter({ repoPath: site.repoPath })], analyzer: jobAnalyzer({ store }),
    workerId: 'analysis-worker', leaseMs: 5000, pollMs: 50, sweepEveryMs: 200, retryBackoffMs: 20,
  });
}

forEachStore('analysis: an unreachable node is infra and retried, failed tests are named in the reason, a flip on the same content is flaky', async ({ store }, t) => {
  const site = await makeSite(tempDir(t));
  writeFileSync(join(site.dir, 'tests', 'smoke.sh'), TEST);
  const engine = engineFor(site, store);
  engine.start();
  try {
    // A node that dies mid-run: the log says so, the job is retried and passes; the update is not blamed.
    const dies = await engine.waitForRun(await submit(site, store, 'dies', 'node dies once', ['kilo/epel-7']));
    assert.equal(dies.verdict, 'pass', dies.reason ?? '');
    const [diesJob] = await store.listJobs(dies.id);
    assert.equal(diesJob!.attempt, 2);
    const retried = (await store.listEvents({ runId: dies.id })).find((e) => e.kind === 'job.retried');
    assert.match((retried?.payload as { reason: string }).reason, /^infrastructure: .*\(log line 1\); retried on a fresh node, not blamed on the update/);

    // A failing test: the reason is the test summary, the excerpt is stored with the job, the results per test too.
    const broken = await engine.waitForRun(await submit(site, store, 'vols', 'breaks volumes', ['kilo/epel-7']));
    assert.equal(broken.verdict, 'fail');
    const [brokenJob] = await store.listJobs(broken.id);
    assert.match(brokenJob!.reason ?? '', /^1 of 3 tests failed: smoke.test_volume; no baseline results for kilo\/epel-7 yet/);
    assert.ok((brokenJob!.excerpt as { lines: { text: string }[] }).lines.some((l) => /FAILED \(failures=1\)/.test(l.text)));
    const results = await store.listTestResults(brokenJob!.id);
    assert.deepEqual(results.map((r) => [r.testId, r.status]), [['smoke.test_boot', 'pass'], ['smoke.test_network', 'pass'], ['smoke.test_volume', 'fail']]);
    assert.match(results[2]!.message ?? '', /<script>alert\(1\)<\/script> attach failed/, 'stored verbatim; escaping is the renderer\'s job');

    // The same content twice (a recheck): test_network fails, then passes: flaky, and the next failure says so.
    const first = await engine.waitForRun(await submit(site, store, 'flak', 'flaky network', ['kilo/epel-7']));
    assert.equal(first.verdict, 'fail');
    const second = await engine.waitForRun(await submit(site, store, 'flak', 'flaky network', ['kilo/epel-7']));
    assert.equal(second.verdict, 'pass');
    assert.deepEqual((await store.listFlakyTests()).map((f) => [f.target, f.testId, f.flips]), [['kilo/epel-7', 'smoke.test_network', 1]]);
    const third = await engine.waitForRun(await submit(site, store, 'flak', 'flaky network', ['kilo/epel-7']));
    assert.equal(third.verdict, 'fail');
    assert.match((await store.listJobs(third.id))[0]!.reason ?? '', /1 of 3 tests failed: smoke.test_network; known flaky: smoke.test_network \(1 flip\)/);
  } finally {
    await engine.stop();
  }
});
