import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../helpers/paths.js';

/**
 * The layers of src/ and who may import whom (docs/architecture.md draws it). A folder
 * imports its own layer and the layers listed for it; `import type` of the store is
 * allowed wherever the store is not (a driver reads a Job's shape, never a table).
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  core: [],
  store: ['core'],
  engine: ['core', 'store'],
  analysis: ['core', 'store', 'engine'],
  drivers: ['core', 'engine', 'analysis'],
  pipelines: ['core', 'store', 'engine', 'analysis', 'drivers'],
  sim: ['core', 'store', 'engine', 'pipelines'],
  web: ['core', 'store', 'engine', 'analysis', 'drivers', 'pipelines'],
  cli: ['core', 'store', 'engine', 'analysis', 'drivers', 'pipelines', 'web', 'sim'],
};
/** Type-only imports allowed besides: the store's record types. */
const MAY_IMPORT_TYPES: Readonly<Record<string, readonly string[]>> = { drivers: ['store'], analysis: ['store'] };

interface Edge { readonly from: string; readonly to: string; readonly typeOnly: boolean; readonly dynamic: boolean }

const SRC = join(PROJECT_ROOT, 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[2] ?? m[3] ?? '';
      const to = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      out.push({ from: relative(SRC, file), to: relative(SRC, to), typeOnly: m[1] !== undefined, dynamic: m[3] !== undefined });
    }
  }
  return out;
}

const layerOf = (path: string) => path.split('/')[0] ?? path;

/** Files in static import cycles (Tarjan's strongly connected components of more than one file). */
export function staticCycles(all: readonly Edge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of all) if (!e.typeOnly && !e.dynamic) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do { w = stack.pop(); if (w !== undefined) { onStack.delete(w); component.push(w); } } while (w !== undefined && w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

test('the cycle finder finds a cycle (so the next test can fail)', () => {
  const e = (from: string, to: string): Edge => ({ from, to, typeOnly: false, dynamic: false });
  assert.deepEqual(staticCycles([e('a.ts', 'b.ts'), e('b.ts', 'c.ts'), e('c.ts', 'a.ts'), e('c.ts', 'd.ts')]), [['a.ts', 'b.ts', 'c.ts']]);
  assert.deepEqual(staticCycles([e('a.ts', 'b.ts'), { ...e('b.ts', 'a.ts'), dynamic: true }]), []);
});

test('no static import cycle in src/', () => {
  assert.deepEqual(staticCycles(edges()), []);
});

test('every folder of src/ is a known layer, and imports only the layers below it', () => {
  const all = edges();
  const layers = new Set(readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
  assert.deepEqual([...layers].filter((l) => !(l in MAY_IMPORT)), [], 'a new folder of src/ needs its place in MAY_IMPORT and in docs/architecture.md');
  const wrong = all.filter((e) => {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (from === to) return false;
    if ((MAY_IMPORT[from] ?? []).includes(to)) return false;
    return !(e.typeOnly && (MAY_IMPORT_TYPES[from] ?? []).includes(to));
  });
  assert.deepEqual(wrong.map((e) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`), []);
});

/** A driver's public files: the registry and interfaces at drivers/ and drivers/providers/, and each driver folder's index. */
const DRIVER_FACE = /^drivers\/(?:[a-z-]+\.ts|[a-z-]+\/index\.ts|providers\/[a-z-]+\.ts|providers\/[a-z-]+\/index\.ts)$/;

test('the face-of-a-driver pattern tells a public file from an internal one (so the next test can fail)', () => {
  for (const f of ['drivers/registry.ts', 'drivers/repo/index.ts', 'drivers/providers/provider-driver.ts', 'drivers/providers/ssh/index.ts']) assert.match(f, DRIVER_FACE, f);
  for (const f of ['drivers/repo/git.ts', 'drivers/providers/local/local-provider.ts', 'drivers/gerrit/rest.ts']) assert.doesNotMatch(f, DRIVER_FACE, f);
});

test('cli/ and web/ use a driver only through its face (its index, or the registry), never its internals', () => {
  const inside = edges().filter((e) => ['cli', 'web'].includes(layerOf(e.from)) && layerOf(e.to) === 'drivers' && !DRIVER_FACE.test(e.to));
  assert.deepEqual(inside.map((e) => `${e.from} -> ${e.to}`), []);
});
