/**
 * A small seeded PRNG (mulberry32): the simulation must give the same figures for the
 * same seed, so nothing here touches Math.random.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A generator keyed by the seed and some names (FNV-1a over them): a job's draws depend on
 * which job and attempt it is, not on the order jobs happened to run in, so simulations
 * at different capacities see the same red targets and the same broken nodes.
 */
export function keyedRandom(seed: number, ...key: readonly (string | number)[]): () => number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const ch of key.join('\u0000')) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mulberry32(h);
}
