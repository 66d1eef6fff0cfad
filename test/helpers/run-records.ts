import type { Phase2Inputs, PromoteInputs, RunInputsOf } from '../../src/core/records/index.js';

// Valid run records for tests that need a run of a pipeline but not its details: the store
// refuses inputs its pipeline's schema does not accept, as it would refuse them from the engine.

export function phase1Run(updateId = 'hkvc', over: Partial<RunInputsOf<'phase1'>> = {}): { pipeline: 'phase1'; inputs: RunInputsOf<'phase1'> } {
  return {
    pipeline: 'phase1',
    inputs: {
      updateId, updateFile: `updates/${updateId}.yml`, contentHash: '0'.repeat(64), content: `id: ${updateId}\n`,
      author: { name: 'Packager', email: 'packager@example.org' }, configFile: 'sluice.yml', configHash: '1'.repeat(64), plannedAt: 0, ...over,
    },
  };
}

export function phase2Run(batch: readonly string[] = [], over: Partial<Phase2Inputs> = {}): { pipeline: 'phase2'; inputs: Phase2Inputs } {
  return {
    pipeline: 'phase2',
    inputs: {
      snapshot: { commit: 'c0ffee', blobs: Object.fromEntries(batch.map((id) => [id, `blob-${id}`])) },
      updates: batch.map((id) => ({ id, content: `id: ${id}\n`, contentHash: '0'.repeat(64) })),
      batch, held: [], withChecks: false, configFile: 'sluice.yml', configHash: '1'.repeat(64), plannedAt: 0, ...over,
    },
  };
}

export function promoteRun(ready: readonly string[] = []): { pipeline: 'promote'; inputs: PromoteInputs } {
  return {
    pipeline: 'promote',
    inputs: { ready: ready.map((id) => ({ id, blob: `blob-${id}`, content: `id: ${id}\n`, contentHash: '0'.repeat(64) })), configFile: 'sluice.yml', configHash: '1'.repeat(64), plannedAt: 0 },
  };
}

export function imagesRun(targets: readonly string[] = []): { pipeline: 'images'; inputs: RunInputsOf<'images'> } {
  return { pipeline: 'images', inputs: { targets, plannedAt: 0 } };
}
