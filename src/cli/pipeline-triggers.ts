import type { PipelineName } from '../core/config-schema.js';
import { snapshotFiles } from '../drivers/repo/snapshot-files.js';
import { newRunId } from '../engine/hash.js';
import { submitPhase2 } from '../pipelines/phase2/controller.js';
import { submitPromote } from '../pipelines/promote/submit.js';
import { submitImages } from '../pipelines/images/images.js';
import { listReady } from '../drivers/repo/push-ready.js';
import type { TriggerOutcome } from '../engine/scheduler.js';
import type { Store } from '../store/index.js';
import type { LoadedConfig } from './config-loader.js';
import { currentUpdateRepo } from './update-repo-setup.js';

/**
 * Starts a pipeline the way `sluice phase2` / `sluice promote` do, for a schedule (and,
 * later, a Gerrit comment or the web API): a run already going is joined, not doubled.
 */
export async function triggerPipeline(loaded: LoadedConfig, store: Store, pipeline: PipelineName, now: number): Promise<TriggerOutcome> {
  switch (pipeline) {
    case 'phase2': {
      const repoPath = await currentUpdateRepo(loaded);
      const r = await submitPhase2({ store, config: loaded.config, configHash: loaded.hash, snapshot: await snapshotFiles(repoPath), now, runId: newRunId(now) });
      if (r.ok) return { kind: 'started', runId: r.runId };
      if (r.kind === 'busy') return { kind: 'coalesced', runId: r.activeRunId };
      if (r.kind === 'nothing') return { kind: 'nothing', why: r.why };
      return { kind: 'nothing', why: r.problems.map((p) => p.message).join('; ') };
    }
    case 'promote': {
      const repoPath = await currentUpdateRepo(loaded);
      const r = await submitPromote({ store, config: loaded.config, configHash: loaded.hash, ready: await listReady(repoPath), now, runId: newRunId(now) });
      if (r.ok) return { kind: 'started', runId: r.runId };
      if (r.kind === 'busy') return { kind: 'coalesced', runId: r.activeRunId };
      return { kind: 'nothing', why: r.why };
    }
    case 'images': {
      const going = await store.activeRunOf('images');
      if (going !== undefined) return { kind: 'coalesced', runId: going };
      const r = await submitImages({ store, config: loaded.config, now, runId: newRunId(now) });
      return r.ok ? { kind: 'started', runId: r.runId } : { kind: 'nothing', why: r.message };
    }
    default:
      return { kind: 'nothing', why: `${pipeline} cannot be started on a schedule by this version` };
  }
}
