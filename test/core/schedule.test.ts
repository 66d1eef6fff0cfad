import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConfigText } from '../../src/drivers/registry.js';
import { formatCountdown, formatFiringTime, missedFiring, nextFiring, nextFirings } from '../../src/core/schedule.js';

const T = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('nextFiring', () => {
  it('is the first firing strictly after the instant, read in UTC', () => {
    assert.equal(iso(nextFiring('0 3 * * *', T('2026-11-29T11:48:00Z'))), '2026-11-30T03:00:00.000Z');
    assert.equal(iso(nextFiring('0 3 * * *', T('2026-11-29T02:59:59.999Z'))), '2026-11-29T03:00:00.000Z');
    assert.equal(iso(nextFiring('0 3 * * *', T('2026-11-29T03:00:00Z'))), '2026-11-30T03:00:00.000Z', 'a firing at the instant itself is past');
    assert.equal(iso(nextFiring('0 3 * * *', T('2026-11-29T03:00:00.500Z'))), '2026-11-30T03:00:00.000Z', 'milliseconds into the firing second are past it too');
    assert.equal(iso(nextFiring('0 1 * * 0', T('2026-11-29T11:48:00Z'))), '2026-12-06T01:00:00.000Z', 'Sundays');
    assert.equal(iso(nextFiring('0 0 29 2 *', T('2026-03-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
  });

  it('is null for an expression no date matches', () => {
    assert.equal(nextFiring('0 0 30 2 *', T('2026-01-01T00:00:00Z')), null);
  });

  it('reads a named zone, with its summer time: a skipped hour fires after the gap, a doubled one once', () => {
    // 02:30 in Berlin: CET is UTC+1, CEST UTC+2.
    assert.equal(iso(nextFiring('30 2 * * *', T('2026-03-27T12:00:00Z'), 'Europe/Berlin')), '2026-03-28T01:30:00.000Z');
    // 29 March 2026: clocks jump from 02:00 to 03:00, so 02:30 does not exist; it fires at 03:30 CEST.
    assert.equal(iso(nextFiring('30 2 * * *', T('2026-03-28T12:00:00Z'), 'Europe/Berlin')), '2026-03-29T01:30:00.000Z');
    assert.equal(iso(nextFiring('30 2 * * *', T('2026-03-29T12:00:00Z'), 'Europe/Berlin')), '2026-03-30T00:30:00.000Z');
    // 25 October 2026: 02:00-03:00 happens twice; the firing is made once, on the second pass (CET).
    const fall: string[] = [];
    for (let t: number | null = T('2026-10-24T12:00:00Z'); fall.length < 3 && t !== null;) {
      t = nextFiring('30 2 * * *', t, 'Europe/Berlin');
      if (t !== null) fall.push(iso(t)!);
    }
    assert.deepEqual(fall, ['2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
    // The same expression in UTC knows no summer time.
    assert.equal(iso(nextFiring('30 2 * * *', T('2026-03-28T12:00:00Z'))), '2026-03-29T02:30:00.000Z');
  });

  it('never sees an invalid expression: the config refuses it first (and croner would throw)', () => {
    const base = 'releases: [kilo]\ndists: { epel-7: {} }\ntargets:\n  kilo/epel-7: { repo: "https://example.org/k/" }\n';
    for (const bad of ['61 3 * * *', '0 3 * *', 'nightly', '0 25 * * *']) {
      const r = parseConfigText(`${base}schedules: { phase2: "${bad}" }\n`, 'sluice.yaml');
      assert.equal(r.ok, false, bad);
      assert.throws(() => nextFiring(bad, 0), Error, bad);
    }
    const good = parseConfigText(`${base}schedules: { phase2: "0 3 * * *", images: "0 1 * * 0" }\n`, 'sluice.yaml');
    assert.ok(good.ok);
    assert.deepEqual(good.config.schedules, { phase2: '0 3 * * *', images: '0 1 * * 0' });
  });
});

describe('missedFiring', () => {
  it('is the latest firing since the last one: one catch-up for any number missed', () => {
    const last = T('2026-11-27T03:00:00Z');
    assert.equal(iso(missedFiring('0 3 * * *', last, T('2026-11-29T11:48:00Z'))), '2026-11-29T03:00:00.000Z');
    assert.equal(iso(missedFiring('0 3 * * *', last, T('2026-11-28T03:00:00Z'))), '2026-11-28T03:00:00.000Z', 'the interval includes now');
    assert.equal(missedFiring('0 3 * * *', last, T('2026-11-28T02:59:59Z')), null, 'none due yet');
    assert.equal(missedFiring('0 3 * * *', last, last), null, 'the last firing itself is not owed again');
    assert.equal(missedFiring('0 3 * * *', T('2026-11-29T04:00:00Z'), T('2026-11-29T03:30:00Z')), null, 'a last firing after now (a clock set back) owes nothing');
  });

  it('owes nothing for a schedule that never fired', () => {
    assert.equal(missedFiring('* * * * *', null, T('2026-11-29T11:48:00Z')), null);
  });

  it('finds the latest of a dense schedule after a long outage, and of a sparse one after years', () => {
    assert.equal(iso(missedFiring('* * * * *', T('2025-11-27T03:00:00Z'), T('2026-11-29T11:48:30Z'))), '2026-11-29T11:48:00.000Z');
    assert.equal(iso(missedFiring('0 0 29 2 *', T('2020-03-01T00:00:00Z'), T('2026-11-29T11:48:30Z'))), '2024-02-29T00:00:00.000Z');
    assert.equal(iso(missedFiring('* 3 1 * *', T('2026-10-01T00:00:00Z'), T('2026-11-29T11:48:30Z'))), '2026-11-01T03:59:00.000Z');
    assert.equal(missedFiring('0 0 30 2 *', T('2020-01-01T00:00:00Z'), T('2026-11-29T11:48:30Z')), null);
  });

  it('agrees with walking forward one firing at a time', () => {
    const crons = ['*/20 * * * *', '0 3 * * *', '15 */5 * * 1-5', '0 0 1 * *', '30 2 * * 0'];
    const start = T('2026-01-01T00:00:00Z');
    fc.assert(fc.property(fc.constantFrom(...crons), fc.integer({ min: 0, max: 60 * 86_400_000 }), fc.integer({ min: 0, max: 4 * 86_400_000 }), (cron, offset, span) => {
      const last = start + offset;
      const now = last + span;
      let expected: number | null = null;
      for (let t = nextFiring(cron, last); t !== null && t <= now; t = nextFiring(cron, t)) expected = t;
      assert.equal(missedFiring(cron, last, now), expected);
    }), { numRuns: 60 });
  });

  it('reads a named zone too', () => {
    assert.equal(iso(missedFiring('30 2 * * *', T('2026-03-27T00:00:00Z'), T('2026-03-29T12:00:00Z'), 'Europe/Berlin')), '2026-03-29T01:30:00.000Z');
  });
});

describe('showing schedules', () => {
  it('lists the next firing of each scheduled pipeline in pipeline order', () => {
    const now = T('2026-11-29T11:48:00Z');
    assert.deepEqual(nextFirings({ images: '0 1 * * 0', phase2: '0 3 * * *' }, now), [
      { pipeline: 'phase2', cron: '0 3 * * *', next: T('2026-11-30T03:00:00Z') },
      { pipeline: 'images', cron: '0 1 * * 0', next: T('2026-12-06T01:00:00Z') },
    ]);
    assert.deepEqual(nextFirings({}, now), []);
  });

  it('counts down in the units of sluice.yaml durations', () => {
    assert.equal(formatCountdown(15 * 3_600_000 + 12 * 60_000 + 20_000), '15h12m');
    assert.equal(formatCountdown(6 * 86_400_000 + 13 * 3_600_000 + 12 * 60_000), '6d13h12m');
    assert.equal(formatCountdown(2 * 86_400_000 + 59_999), '2d');
    assert.equal(formatCountdown(60_000), '1m');
    assert.equal(formatCountdown(41_200), '42s');
    assert.equal(formatCountdown(1), '1s');
    assert.equal(formatFiringTime(T('2026-11-30T03:00:00Z')), '2026-11-30T03:00:00Z');
  });
});
