import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitExcerpt, storedExcerpt } from '../../src/analysis/stored-excerpt.js';

test('a stored excerpt is trusted only in its shape, and cut to fewer lines it keeps the errors and their nearest context', () => {
  assert.equal(storedExcerpt({ lines: 'x', totalLines: 3 }), undefined);
  assert.equal(storedExcerpt({ lines: [{ n: '1', text: 'x' }], totalLines: 3 }), undefined);
  const lines = Array.from({ length: 20 }, (_, i) => ({ n: i + 1, text: `line ${i + 1}`, ...(i + 1 === 15 ? { matched: 'generic/error' } : {}) }));
  const e = storedExcerpt({ lines, totalLines: 400 });
  assert.ok(e);
  const fit = fitExcerpt(e, 5);
  // The top of the excerpt (a preamble) goes; the error and the lines around it stay, in log order.
  assert.deepEqual(fit.lines.map((l) => l.n), [13, 14, 15, 16, 17]);
  assert.equal(fit.totalLines, 400);
  // With no error line at all, the end of the excerpt is kept, as a tail would.
  const none = fitExcerpt({ ...e, lines: lines.map(({ n, text }) => ({ n, text })) }, 3);
  assert.deepEqual(none.lines.map((l) => l.n), [18, 19, 20]);
  assert.equal(fitExcerpt(e, 40), e);
});
