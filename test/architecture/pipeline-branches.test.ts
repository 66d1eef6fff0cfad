import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PIPELINES } from '../../src/core/config-schema.js';
import { PIPELINE_MODULES, pipelineNamed } from '../../src/pipelines/registry.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

/**
 * What a pipeline means lives in its own folder (src/pipelines/<name>/): elsewhere code
 * asks the registry. A comparison of a pipeline with a name, or a switch over the names,
 * outside src/pipelines is a pipeline's behaviour in the wrong room.
 */
const NAMES = PIPELINES.join('|');
const BRANCH = new RegExp([
  String.raw`pipeline\s*[!=]==?\s*['"\x60]`,
  String.raw`['"\x60](?:${NAMES})['"\x60]\s*[!=]==?\s*[\w.?]*pipeline\b`,
  String.raw`\bcase\s+['"\x60](?:${NAMES})['"\x60]\s*:`,
  String.raw`switch\s*\([^)]*pipeline[^)]*\)`,
].join('|'));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('the pattern finds the branches it is meant to find (so the next test can fail)', () => {
  for (const line of [`if (run.pipeline === 'phase2') {`, `spec.pipeline !== "promote"`, `'images' === r.pipeline`, `switch (run.pipeline) {`, `    case 'phase1':`]) {
    assert.match(line, BRANCH, line);
  }
  for (const line of [`r.pipeline === f.pipeline`, `pipelineNamed(run.pipeline)`, `case 'started':`]) assert.doesNotMatch(line, BRANCH, line);
});

test('no code outside src/pipelines branches on a pipeline\'s name', () => {
  const src = join(PROJECT_ROOT, 'src');
  const found: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file);
    if (rel.startsWith('pipelines/')) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (BRANCH.test(line)) found.push(`src/${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], `ask the registry (src/pipelines/registry.ts) instead:\n${found.join('\n')}`);
});

test('every pipeline of the vocabulary has its module, in its own folder, registered once', () => {
  assert.deepEqual(PIPELINE_MODULES.map((p) => p.name).sort(), [...PIPELINES].sort());
  for (const name of PIPELINES) {
    assert.equal(pipelineNamed(name)?.name, name);
    assert.ok(existsSync(join(PROJECT_ROOT, 'src', 'pipelines', name, 'index.ts')), `src/pipelines/${name}/index.ts`);
  }
  assert.equal(pipelineNamed('no-such-pipeline'), undefined);
});
