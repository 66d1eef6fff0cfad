import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Passing and failing logs of the same job, made by running real tools (gcc and make,
 * Python's unittest, node's test runner, perl's prove) on small projects written here, once
 * as they are and once with one change that breaks them. Neither labelled corpus has a
 * passing log of the same job, so the baseline comparison is measured on these. Each job
 * prints what CI jobs print around the tool (a banner, timings, a retried download, a
 * deprecation warning naming "error", exceptions its passing tests log), the same in both
 * runs but for times and numbers, so the reference has real noise to take away.
 *
 * The expected lines are the failure as the tool states it: text of the change's own
 * making (an assertion message, an identifier), so they do not depend on a tool's version.
 */
export interface LogPair {
  readonly name: string;
  readonly passing: string;
  readonly failing: string;
  readonly expected: readonly string[];
}

interface Job {
  readonly name: string;
  readonly tool: string;
  /** Files of the project; `broken` replaces some of them in the failing run. */
  readonly files: Readonly<Record<string, string>>;
  readonly broken: Readonly<Record<string, string>>;
  readonly command: string;
  readonly expected: readonly string[];
}

const CI_NOISE = String.raw`
echo "Worker information"
echo "hostname: worker-$RANDOM.example.org"
echo "version: v$((RANDOM % 9)).$((RANDOM % 90)).0 $(date +%s | sha1sum | cut -c1-12)"
echo "Retrying (Retry(total=4)) after connection broken by 'ReadTimeoutError': /simple/requests/"
echo "DeprecationWarning: on_error= is deprecated, use error_handler= instead"
for i in $(seq 1 40); do echo "  Downloading pkg-$i-1.$((RANDOM % 20)).tar.gz ($((RANDOM % 900)) kB)"; done
echo "Could not find a cached archive for build-$RANDOM, fetching"
`;

/** Resources a teardown releases: distinct names, so their lines are not alike but for numbers. */
const TEARDOWN = ['cache', 'database', 'queue', 'mailbox', 'scheduler', 'index', 'session store', 'blob store', 'key server', 'mirror', 'proxy', 'registry', 'vault', 'ledger', 'tracker', 'archive', 'spool', 'journal', 'catalog', 'broker']
  .flatMap((r) => [`${r} lock`, `${r} lease`]);

function jobs(): Job[] {
  const cFiles: Record<string, string> = {};
  for (let i = 0; i < 20; i++) cFiles[`src/mod${i}.c`] = `int mod${i}(int x) { int unused_${i}; return x + ${i}; }\n`;
  const make = `CFLAGS=-Wall -O0\nOBJ=${Object.keys(cFiles).map((f) => f.replace(/\.c$/, '.o')).join(' ')}\nall: $(OBJ)\n\t@echo linked\n%.o: %.c\n\t$(CC) $(CFLAGS) -c $< -o $@\n`;
  const pyTests = Array.from({ length: 30 }, (_, i) => `    def test_case_${i}(self):\n        logging.getLogger('app').error('handled error in case ${i}: ConnectionError: retrying')\n        self.assertEqual(add(${i}, 1), ${i + 1})\n`).join('');
  const py = `import logging, unittest\n\ndef add(a, b):\n    return a + b\n\nclass TestAdd(unittest.TestCase):\n${pyTests}\nif __name__ == '__main__':\n    unittest.main(verbosity=2)\n`;
  const nodeTests = Array.from({ length: 30 }, (_, i) => `test('adds ${i}', () => { console.log('warn: deprecated error option in case ${i}'); assert.equal(${i} + 1, ${i + 1}); });\n`).join('');
  const nodeHead = `const test = require('node:test');\nconst assert = require('node:assert');\n`;
  const tap = (broken: boolean) => `use Test::More tests => 25;\n${Array.from({ length: 25 }, (_, i) => `ok(${broken && i === 17 ? `sum_of(${i}) == ${i + 1}` : '1'}, 'case ${i}');`).join('\n')}\nsub sum_of { return $_[0]; }\n`;
  // A test harness whose teardown logs more than its failure: what the failure says is no
  // error word, and the teardown's retried errors come after it, in both runs.
  const harness = (broken: boolean) => `#!/bin/sh\nrc=0\nfor i in $(seq 1 30); do\n  got=$((i + 1)); want=$((i + 1))\n  ${broken ? '[ $i = 17 ] && want=19' : ':'}\n  if [ $got != $want ]; then echo "case $i: sum is $got where the table says $want"; rc=1; else echo "case $i ok"; fi\ndone\n${TEARDOWN.map((r) => `echo "teardown: ERROR releasing the ${r}: connection reset, retrying"`).join('\n')}\nexit $rc\n`;
  return [
    {
      name: 'shell-harness-teardown-noise', tool: 'sh', files: { 'check.sh': harness(false) },
      broken: { 'check.sh': harness(true) },
      command: 'sh check.sh', expected: ['case 17: sum is 18 where the table says 19'],
    },
    {
      name: 'make-gcc-compile-error', tool: 'gcc', files: { Makefile: make, ...cFiles },
      broken: { 'src/mod13.c': 'int mod13(int x) { return x + sluice_undeclared_name; }\n' },
      command: 'make -k', expected: ['sluice_undeclared_name'],
    },
    {
      name: 'python-unittest-assertion', tool: 'python3', files: { 'test_add.py': py },
      broken: { 'test_add.py': py.replace('self.assertEqual(add(17, 1), 18)', "self.assertEqual(add(17, 1), 19, 'sum of seventeen and one')") },
      command: 'python3 test_add.py', expected: ['FAIL: test_case_17', 'sum of seventeen and one'],
    },
    {
      name: 'node-test-assertion', tool: 'node', files: { 'add.test.js': nodeHead + nodeTests },
      broken: { 'add.test.js': nodeHead + nodeTests.replace('assert.equal(17 + 1, 18)', "assert.equal(17 + 1, 19, 'seventeen plus one')") },
      command: 'node --test add.test.js', expected: ['seventeen plus one'],
    },
    {
      name: 'perl-prove-tap', tool: 'prove', files: { 't/sum.t': tap(false) },
      broken: { 't/sum.t': tap(true) },
      command: 'prove -v t', expected: ['not ok 18 - case 17'],
    },
  ];
}

function available(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function runJob(dir: string, job: Job, broken: boolean): string {
  const root = join(dir, `${job.name}-${broken ? 'fail' : 'pass'}`);
  for (const [path, text] of Object.entries({ ...job.files, ...(broken ? job.broken : {}) })) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const script = `exec 2>&1\n${CI_NOISE}\necho "$ ${job.command}"\n${job.command}\nrc=$?\necho "The command \\"${job.command}\\" exited with $rc."\necho "Done in $((RANDOM % 90)).$((RANDOM % 9))s"\nexit 0\n`;
  const r = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const log = join(dir, `${job.name}-${broken ? 'fail' : 'pass'}.log`);
  writeFileSync(log, `${r.stdout}${r.stderr}`);
  return log;
}

/** Runs every job whose tool is installed, passing then failing; logs go to `dir`. */
export function makePairs(dir: string): LogPair[] {
  return jobs().filter((j) => available(j.tool)).map((j) => ({ name: j.name, passing: runJob(dir, j, false), failing: runJob(dir, j, true), expected: j.expected }));
}
