import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { JOB_RESULTS, JOB_STATES, PIPELINES, RUN_STATES, RUN_VERDICTS, UPDATE_REPO_FOLDERS } from '../../src/core/records/vocabulary.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sources(path) : e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Where an array of string literals in src/ holds every value of a list, in any order and perhaps with more: a second definition of it. */
function literalCopies(values: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of sources(join(PROJECT_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\[[^[\]]*\]/g)) {
      if (!isStringArray(m[0])) continue;
      const quoted = new Set([...m[0].matchAll(/'([^'\n]*)'|"([^"\n]*)"/g)].map((q) => q[1] ?? q[2]));
      if (values.every((v) => quoted.has(v))) found.push(`${relative(PROJECT_ROOT, file)}:${text.slice(0, m.index).split('\n').length}`);
    }
  }
  return found;
}

/** Nothing but string literals between the brackets (not, say, a list of calls naming each pipeline). */
function isStringArray(array: string): boolean {
  return array.slice(1, -1).replace(/'[^'\n]*'|"[^"\n]*"/g, '').replace(/\/\/[^\n]*/g, '').replace(/[\s,]/g, '') === '';
}

const VOCABULARY = 'src/core/records/vocabulary.ts';
const line = (n: number) => `${VOCABULARY}:${n}`;
const lineOf = (name: string) => readFileSync(join(PROJECT_ROOT, VOCABULARY), 'utf8').split('\n').findIndex((l) => l.startsWith(`export const ${name} =`)) + 1;

test('each list of the vocabulary is written once, in core/records/vocabulary.ts; everything else derives from it', () => {
  for (const [name, values] of Object.entries({ PIPELINES, JOB_RESULTS, RUN_VERDICTS, UPDATE_REPO_FOLDERS })) {
    assert.deepEqual(literalCopies(values), [line(lineOf(name))], `${name} is defined once`);
  }
  // Runs and jobs have the same three states today, each its own list.
  assert.deepEqual(JOB_STATES, RUN_STATES);
  assert.deepEqual(literalCopies(RUN_STATES), [line(lineOf('RUN_STATES')), line(lineOf('JOB_STATES'))]);
});

test('the check tells a copy from a list that only names the values', () => {
  assert.ok(isStringArray(`['${[...JOB_RESULTS].reverse().join("', '")}', 'running']`), 'a copy in another order, with more values, is one');
  assert.ok(isStringArray(`[\n  'phase1', // the first\n  "phase2",\n]`));
  assert.ok(!isStringArray(`[jobClass('phase1', 'image'), jobClass('phase2', 'checks')]`));
  assert.ok(!isStringArray(`[...JOB_RESULTS, 'running']`), 'a list derived from the vocabulary is not a copy');
});
