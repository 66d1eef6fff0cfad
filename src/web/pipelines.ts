import type { PipelineName } from '../core/config-schema.js';
import { ApiError } from './api-error.js';
import type { WebDeps } from './deps.js';

/** Starts phase2 or promote through the trigger `sluice serve` gave; a run going is joined. */
export async function startPipeline(d: WebDeps, pipeline: PipelineName): Promise<{ runId: string; kind: 'started' | 'coalesced' }> {
  if (!d.trigger) throw new ApiError('E_NOTHING_TO_DO', `this server cannot start ${pipeline}`);
  const outcome = await d.trigger(pipeline, d.now());
  if (outcome.kind === 'nothing') throw new ApiError('E_NOTHING_TO_DO', `${pipeline}: nothing to do: ${outcome.why}`);
  return outcome;
}
