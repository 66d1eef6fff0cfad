import type { RunReporter } from '../engine/engine.js';
import type { RunController } from '../engine/run-controller.js';
import { images } from './images/index.js';
import { perTargetStory } from './per-target-story.js';
import { phase1 } from './phase1/index.js';
import { phase2 } from './phase2/index.js';
import type { Pipeline, PipelineContext } from './pipeline.js';
import { promote } from './promote/index.js';
import type { RunStory } from './run-story.js';

/** Every pipeline, in the order of the ladder. A new pipeline is one folder and one line here. */
export const PIPELINE_MODULES: readonly Pipeline[] = [phase1, phase2, promote, images];

const byName = new Map(PIPELINE_MODULES.map((p) => [p.name as string, p]));

/** The pipeline of that name; undefined for a name this version does not know (a newer version's run). */
export function pipelineNamed(name: string): Pipeline | undefined {
  return byName.get(name);
}

/** A run this version cannot read (a newer pipeline, a malformed record) is told as one job per target. */
const unknownStory = perTargetStory({
  inputs: () => [],
  reported: () => '',
  cellLabel: (run) => ('storedPipeline' in run ? `${run.storedPipeline} (unreadable)` : run.pipeline),
});

/** How a run is told, whatever its pipeline. */
export function storyOf(run: { readonly pipeline: string }): RunStory {
  return pipelineNamed(run.pipeline)?.story ?? unknownStory;
}

/** The engine's parts every pipeline brings: its controller and its reporter. */
export function pipelineEngineParts(ctx: PipelineContext, wrap: (p: Pipeline, r: RunReporter) => RunReporter = (_p, r) => r): { controllers: RunController[]; reporters: RunReporter[] } {
  return {
    controllers: PIPELINE_MODULES.flatMap((p) => (p.controller ? [p.controller(ctx)] : [])),
    reporters: PIPELINE_MODULES.flatMap((p) => (p.reporter ? [wrap(p, p.reporter(ctx))] : [])),
  };
}
