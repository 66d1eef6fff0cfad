import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { indexLog, MAX_LINE_CHARS, readFrom, readLines } from '../../src/web/log-file.js';
import { tempDir } from '../helpers/paths.js';

describe('reading a log by ranges', () => {
  it('numbers lines as a whole read would, with or without a last newline, across the index\'s steps', async (t) => {
    const path = join(tempDir(t), 'job.log');
    const all = Array.from({ length: 12_345 }, (_, i) => `line ${i + 1} ${'é'.repeat(i % 7)}`);
    writeFileSync(path, all.join('\n'));
    const index = await indexLog(path);
    assert.equal(index.totalLines, 12_345);
    for (const [from, count] of [[1, 3], [999, 4], [1000, 2], [5001, 10], [12_340, 50], [20_000, 5]] as const) {
      assert.deepEqual(await readLines(path, index, from, count), all.slice(from - 1, from - 1 + count), `${from}+${count}`);
    }
    appendFileSync(path, '\nline 12346\n');
    const grown = await indexLog(path);
    assert.equal(grown.totalLines, 12_346, 'extended from the last scan as the log grew');
    assert.deepEqual(await readLines(path, grown, 12_345, 5), [all[12_344], 'line 12346']);
    writeFileSync(path, 'new\nfile\n');
    assert.equal((await indexLog(path)).totalLines, 2, 'a log that shrank (rewritten) is indexed anew');
  });

  it('cuts a very long line for display, and says how much it cut', async (t) => {
    const path = join(tempDir(t), 'job.log');
    writeFileSync(path, `short\n${'x'.repeat(3 * 1024 * 1024)}\nafter\n`);
    const index = await indexLog(path);
    const [short, long, after] = await readLines(path, index, 1, 3);
    assert.equal(short, 'short');
    assert.ok(long?.startsWith('x'.repeat(MAX_LINE_CHARS)) && long.length < MAX_LINE_CHARS + 60, `${long?.length}`);
    assert.match(long ?? '', /more characters\)$/);
    assert.equal(after, 'after');
  });

  it('follows a growing log by whole lines from a byte offset', async (t) => {
    const path = join(tempDir(t), 'job.log');
    writeFileSync(path, 'one\ntwo\nthr');
    const first = await readFrom(path, 0, 1024);
    assert.deepEqual(first, { text: 'one\ntwo\n', next: 8 });
    appendFileSync(path, 'ee\n');
    assert.deepEqual(await readFrom(path, first.next, 1024), { text: 'three\n', next: 14 });
    assert.deepEqual(await readFrom(path, 14, 1024), { text: '', next: 14 });
  });
});
