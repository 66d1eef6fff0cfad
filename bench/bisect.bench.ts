import { nextBisect } from '../src/core/bisect.js';
import { keyedRandom } from '../src/sim/prng.js';
import { recordBench, round, startBench, type Figure } from './report.js';

/**
 * Bisection cost: the rounds and tests phase2's bisection (src/core/bisect.ts, the code a
 * real phase2 runs) takes to isolate k culprits among n updates, over random batches,
 * against k*ceil(log2 n)+1. A round is one set of group tests run side by side; a test is
 * one group, which costs one phase2 job (provision + test, 50m as in `sluice simulate`'s
 * ladder) per distinct target of its updates, each update on 2 of 6 targets. Beside it, the
 * classic binary splitting (one test at a time), to show what holding the tests to the
 * bound would cost in rounds.
 */
const SIZES = [4, 8, 16, 32, 64];
const CULPRITS = [1, 2, 3, 4];
const TRIALS = 2000;
const SEED = 1;
const TARGETS = 6;
const TARGETS_EACH = 2;
const JOB_HOURS = 50 / 60;

interface Cost { rounds: number; tests: number; nodeHours: number }

type Oracle = (group: readonly string[]) => boolean;

/** Sluice's bisection: every group it asks for in a round is tested side by side. */
function sluiceBisect(batch: readonly string[], fails: Oracle, jobs: (g: readonly string[]) => number, culprits: ReadonlySet<string>): Cost {
  const history: { group: readonly string[]; passed: boolean }[] = [];
  const cost: Cost = { rounds: 0, tests: 0, nodeHours: 0 };
  for (;;) {
    const d = nextBisect(batch, history);
    if (d.kind === 'done') {
      const found = d.culprits.flat();
      if (found.length !== culprits.size || found.some((u) => !culprits.has(u))) throw new Error(`bisection found ${found.join(',')}, not the culprits`);
      return cost;
    }
    cost.rounds++;
    for (const group of d.groups) {
      cost.tests++;
      cost.nodeHours += jobs(group) * JOB_HOURS;
      history.push({ group, passed: !fails(group) });
    }
  }
}

/**
 * The alternative, binary splitting one culprit at a time: in a group known to fail, test
 * the first half only; if it fails, go on in it and set the untested second half aside,
 * else the second half is known to fail untested. Once one culprit is isolated, the halves
 * set aside are tested together: a pass ends it, a failure is searched the same way. Tests
 * run one after another, so rounds equal tests.
 */
function splittingBisect(batch: readonly string[], fails: Oracle, jobs: (g: readonly string[]) => number, culprits: ReadonlySet<string>): Cost {
  const cost: Cost = { rounds: 0, tests: 0, nodeHours: 0 };
  const test = (g: readonly string[]) => { cost.rounds++; cost.tests++; cost.nodeHours += jobs(g) * JOB_HOURS; return fails(g); };
  const found: string[] = [];
  let failed: readonly string[] | undefined = test(batch) ? batch : undefined;
  while (failed) {
    const aside: string[] = [];
    let group = failed;
    while (group.length > 1) {
      const middle = Math.ceil(group.length / 2);
      const [left, right] = [group.slice(0, middle), group.slice(middle)];
      if (test(left)) {
        aside.push(...right);
        group = left;
      } else {
        group = right;
      }
    }
    found.push(...group);
    failed = aside.length > 0 && test(aside) ? aside : undefined;
  }
  if (found.length !== culprits.size || found.some((u) => !culprits.has(u))) throw new Error(`splitting found ${found.join(',')}, not the culprits`);
  return cost;
}

interface Cell { n: number; k: number; bound: number; sluice: Summary; splitting: Summary }
interface Summary { roundsMean: number; roundsMax: number; testsMean: number; testsMax: number; nodeHoursMean: number }

function summarise(costs: readonly Cost[]): Summary {
  const mean = (f: (c: Cost) => number) => round(costs.reduce((a, c) => a + f(c), 0) / costs.length);
  return {
    roundsMean: mean((c) => c.rounds), roundsMax: Math.max(...costs.map((c) => c.rounds)),
    testsMean: mean((c) => c.tests), testsMax: Math.max(...costs.map((c) => c.tests)), nodeHoursMean: mean((c) => c.nodeHours),
  };
}

const started = startBench();
console.log(`bisect.bench: k culprits among n updates, ${TRIALS} random batches each, vs k*ceil(log2 n)+1; each update on ${TARGETS_EACH} of ${TARGETS} targets, a test costs ${Math.round(JOB_HOURS * 60)}m per distinct target`);
const cells: Cell[] = [];
for (const n of SIZES) {
  for (const k of CULPRITS.filter((c) => c < n)) {
    const sluice: Cost[] = [];
    const splitting: Cost[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const random = keyedRandom(SEED, 'bisect', n, k, t);
      const batch = Array.from({ length: n }, (_, i) => `u${i}`);
      const pool = [...batch];
      const culprits = new Set(Array.from({ length: k }, () => pool.splice(Math.floor(random() * pool.length), 1)[0] as string));
      const targetsOf = new Map(batch.map((u) => {
        const all = Array.from({ length: TARGETS }, (_, i) => i);
        return [u, Array.from({ length: TARGETS_EACH }, () => all.splice(Math.floor(random() * all.length), 1)[0] as number)];
      }));
      const fails: Oracle = (g) => g.some((u) => culprits.has(u));
      const jobs = (g: readonly string[]) => new Set(g.flatMap((u) => targetsOf.get(u) ?? [])).size;
      sluice.push(sluiceBisect(batch, fails, jobs, culprits));
      splitting.push(splittingBisect(batch, fails, jobs, culprits));
    }
    cells.push({ n, k, bound: k * Math.ceil(Math.log2(n)) + 1, sluice: summarise(sluice), splitting: summarise(splitting) });
  }
}

console.log('     n   k  bound | sluice: rounds mean/max  tests mean/max  node-h | one culprit at a time: rounds mean/max  tests mean/max  node-h');
for (const c of cells) {
  const s = c.sluice;
  const i = c.splitting;
  console.log(`  ${String(c.n).padStart(4)} ${String(c.k).padStart(3)} ${String(c.bound).padStart(6)} |        ${String(s.roundsMean).padStart(5)} / ${String(s.roundsMax).padStart(2)}     ${String(s.testsMean).padStart(5)} / ${String(s.testsMax).padStart(2)}  ${String(s.nodeHoursMean).padStart(6)} |                              ${String(i.roundsMean).padStart(5)} / ${String(i.roundsMax).padStart(2)}     ${String(i.testsMean).padStart(5)} / ${String(i.testsMax).padStart(2)}  ${String(i.nodeHoursMean).padStart(6)}`);
}
const worst = (f: (c: Cell) => number) => cells.reduce((a, c) => (f(c) > f(a) ? c : a));
const roundsWorst = worst((c) => c.sluice.roundsMax / c.bound);
const testsWorst = worst((c) => c.sluice.testsMax / c.bound);
const testsMeanWorst = worst((c) => c.sluice.testsMean / c.bound);
const altTestsWorst = worst((c) => c.splitting.testsMax / c.bound);
const ratio = (x: number, c: Cell) => round(x / c.bound);
const at = (n: number, k: number) => cells.find((c) => c.n === n && c.k === k) as Cell;
const [one, four] = [at(64, 1), at(64, 4)];
const figures: Figure[] = [
  { label: `bisection: rounds, worst trial / k*ceil(log2 n)+1 (at n=${roundsWorst.n}, k=${roundsWorst.k})`, value: ratio(roundsWorst.sluice.roundsMax, roundsWorst), unit: 'x', goal: '<= 1x', met: roundsWorst.sluice.roundsMax <= roundsWorst.bound },
  { label: `bisection: tests, worst trial / k*ceil(log2 n)+1 (at n=${testsWorst.n}, k=${testsWorst.k})`, value: ratio(testsWorst.sluice.testsMax, testsWorst), unit: 'x', goal: '<= 1x', met: testsWorst.sluice.testsMax <= testsWorst.bound },
  { label: `bisection: tests, mean / k*ceil(log2 n)+1, worst cell (n=${testsMeanWorst.n}, k=${testsMeanWorst.k})`, value: ratio(testsMeanWorst.sluice.testsMean, testsMeanWorst), unit: 'x' },
  ...[one, four].map((c) => ({ label: `bisection, n=${c.n}, k=${c.k}: node-hours, mean (${c.sluice.roundsMean} rounds, ${c.sluice.testsMean} tests; bound ${c.bound})`, value: c.sluice.nodeHoursMean, unit: 'node-h' })),
  { label: `alternative, binary splitting one culprit at a time: tests, worst trial / bound (n=${altTestsWorst.n}, k=${altTestsWorst.k})`, value: ratio(altTestsWorst.splitting.testsMax, altTestsWorst), unit: 'x' },
  ...[one, four].map((c) => ({ label: `alternative, binary splitting, n=${c.n}, k=${c.k}: node-hours, mean (${c.splitting.roundsMean} rounds, ${c.splitting.testsMean} tests)`, value: c.splitting.nodeHoursMean, unit: 'node-h' })),
];
recordBench('bisect', started, {
  title: 'Bisection cost',
  what: `src/core/bisect.ts on random batches: k culprits (k = ${CULPRITS.join(', ')}) among n updates (n = ${SIZES.join(', ')}), ${TRIALS} batches each, seed ${SEED}; rounds (sets of group tests run side by side, the first testing the whole batch) and tests (groups tested), against k*ceil(log2 n)+1. Node-hours: each test is one ${Math.round(JOB_HOURS * 60)}-minute phase2 job per distinct target of its group's updates, each update on ${TARGETS_EACH} of ${TARGETS} targets. No test is flaky here.`,
  rerun: 'npx tsc -p . && node dist/bench/bisect.bench.js',
  figures,
  notes: [
    'per cell (n, k, bound: sluice rounds mean/max, tests mean/max, node-hours mean | binary splitting one culprit at a time: the same):',
    ...cells.map((c) => `n=${c.n} k=${c.k} bound ${c.bound}: rounds ${c.sluice.roundsMean}/${c.sluice.roundsMax}, tests ${c.sluice.testsMean}/${c.sluice.testsMax}, ${c.sluice.nodeHoursMean} node-h | rounds ${c.splitting.roundsMean}/${c.splitting.roundsMax}, tests ${c.splitting.testsMean}/${c.splitting.testsMax}, ${c.splitting.nodeHoursMean} node-h`),
  ],
  details: cells,
});
