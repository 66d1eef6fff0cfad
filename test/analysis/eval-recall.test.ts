import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_LINES, excerptFile } from '../../src/analysis/excerpt.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';

/**
 * Recall on ../shared/eval/logs/: 20 real CI failure logs, each with the lines a good
 * excerpt must hold (its `.expect`). Per log, the share of expected lines the default
 * excerpt shows within its 40 lines. An expected line counts as shown when the excerpt
 * shows a line whose number holds that text in the log (compared without a trailing CR),
 * so a line clipped for display still counts: the excerpt points at it. The logs are read
 * where they are; no pattern names them (docs/analysis.md).
 */
const MEAN_FLOOR = 0.95;
const LOG_FLOOR = 0.5;

describe('excerpt recall on real CI logs', () => {
  it(`shows the expected lines within ${DEFAULT_MAX_LINES} lines: per-log recall as diagnostics`, async (t) => {
    const dir = sharedPath('eval', 'logs');
    if (!dir) return t.skip(NO_SHARED);
    const names = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -'.log'.length)).sort();
    assert.ok(names.length >= 20, `${names.length} logs`);
    const recalls: number[] = [];
    for (const name of names) {
      const logLines = readFileSync(join(dir, `${name}.log`), 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
      const expected = readFileSync(join(dir, `${name}.expect`), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
      const e = await excerptFile(join(dir, `${name}.log`));
      assert.ok(e.lines.length <= DEFAULT_MAX_LINES);
      const shown = new Set(e.lines.map((l) => logLines[l.n - 1]));
      const found = expected.filter((line) => shown.has(line)).length;
      const recall = found / expected.length;
      recalls.push(recall);
      t.diagnostic(`${recall.toFixed(2)}  ${found}/${expected.length}  ${name}`);
      assert.ok(recall >= LOG_FLOOR, `${name}: ${found} of ${expected.length}`);
    }
    const mean = recalls.reduce((a, b) => a + b, 0) / recalls.length;
    t.diagnostic(`mean recall ${mean.toFixed(3)} over ${recalls.length} logs`);
    assert.ok(mean >= MEAN_FLOOR, `mean recall ${mean.toFixed(3)}`);
  });
});
