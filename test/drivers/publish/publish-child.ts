import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishToProduction, type PublishRequest } from '../../../src/drivers/publish/production.js';

/**
 * A publication in a process of its own, for production.test.ts to kill with SIGKILL.
 * argv[2] is the request as JSON, plus `pauseAt`: a step (`swap kilo/f22`) after whose
 * announcement the child waits, so that a kill aimed at that step lands there. Each step is written to stdout with a
 * blocking write before it starts, so the parent sees it even if the kill comes next.
 * Without an argument (as when a test runner lists the directory) it does nothing.
 */
const arg = process.argv[2];
if (arg !== undefined) {
  const spec = JSON.parse(arg) as Omit<PublishRequest, 'onStep'> & { pauseAt?: string };
  const result = await publishToProduction({
    ...spec,
    onStep: async (step, target, mirror) => {
      const line = `${step} ${target ?? '-'}${mirror === undefined ? '' : ` ${mirror}`}`;
      writeSync(1, `${line}\n`);
      if (line === spec.pauseAt) await sleep(30_000);
    },
  });
  writeSync(1, `result ${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}
