import type { PipelineName } from '../core/config-schema.js';
import type { TriggerOutcome } from '../engine/scheduler.js';
import { pipelineNamed } from '../pipelines/registry.js';
import type { Store } from '../store/index.js';
import type { LoadedConfig } from './config-loader.js';
import { currentUpdateRepo } from './update-repo-setup.js';

/**
 * Starts a pipeline the way `sluice phase2` / `sluice promote` do, for a schedule (and,
 * later, a Gerrit comment or the web API): a run already going is joined, not doubled.
 */
export async function triggerPipeline(loaded: LoadedConfig, store: Store, pipeline: PipelineName, now: number): Promise<TriggerOutcome> {
  const p = pipelineNamed(pipeline);
  if (!p?.start) return { kind: 'nothing', why: `${pipeline} cannot be started on a schedule by this version` };
  return p.start({ config: loaded.config, configHash: loaded.hash, store, updateRepo: () => currentUpdateRepo(loaded) }, now);
}
