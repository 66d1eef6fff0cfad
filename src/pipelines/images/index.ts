import { RUN_RECORD_SCHEMAS } from '../../core/records/run-record.js';
import type { Pipeline } from '../pipeline.js';
import { perTargetStory } from '../per-target-story.js';
import { newRunId } from '../../engine/hash.js';
import { imagesReporter, submitImages } from './images.js';

/**
 * images: each target provisioned and its baseline tests run; a green node is kept as the
 * target's next known-good image, a red baseline disables the target. images.ts (submit
 * and report).
 */
export const images: Pipeline = {
  name: 'images',
  records: RUN_RECORD_SCHEMAS.images,
  // A schedule's images run joins one going rather than queue a second (it covers every target).
  async start(ctx, now) {
    const going = await ctx.store.activeRunOf('images');
    if (going !== undefined) return { kind: 'coalesced', runId: going };
    const r = await submitImages({ store: ctx.store, config: ctx.config, now, runId: newRunId(now) });
    return r.ok ? { kind: 'started', runId: r.runId } : { kind: 'nothing', why: r.message };
  },
  reporter: (ctx) => imagesReporter({ store: ctx.store, now: ctx.now, productionKey: ctx.productionKey, keep: ctx.config.images.keep, removeImage: ctx.removeImage }),
  writesUpdateRepo: false,
  bisects: false,
  recheck: 'refuse',
  story: perTargetStory({
    inputs: (run) => (run.pipeline === 'images' ? [`  inputs: the baselines of ${run.inputs.targets.join(', ') || 'no target'}${run.inputs.rerunOf ? `; a rerun of ${run.inputs.rerunOf}` : ''}`] : []),
    reported: () => '',
    cellLabel: () => 'images baseline',
  }),
  referenceClass: () => 'images/',
};
