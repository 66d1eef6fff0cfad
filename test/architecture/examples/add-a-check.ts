// src/drivers/checks/no-debuginfo.ts: a built-in check that refuses debuginfo packages in
// an update (they belong in the debug repository). Then add 'no-debuginfo' to the names
// the configuration accepts (BUILTIN_CHECKS in src/core/config-schema.ts) and to the
// table in src/drivers/checks/index.ts: the compiler holds the two lists equal.
import { basename } from 'node:path';
import { summarize, type Check } from '../../../src/drivers/checks/check.js';

export const noDebuginfo: Check = async ({ rpms }) => {
  const debug = rpms.map((f) => basename(f)).filter((f) => /-debug(info|source)-/.test(f) && !f.endsWith('.src.rpm'));
  if (debug.length === 0) return { status: 'pass', summary: `${rpms.length} RPMs, none of them debuginfo`, problems: [], log: '' };
  const problems = debug.map((f) => `${f}: a debuginfo package belongs in the debug repository`);
  return { status: 'failure', summary: summarize(debug.length, 'debuginfo package', 'debuginfo packages', debug), problems, log: problems.join('\n') };
};
