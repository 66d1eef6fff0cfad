import type { PipelineName } from '../core/config-schema.js';
import { parseDuration } from '../core/duration.js';
import { ContinuousLadder } from '../engine/continuous-ladder.js';
import type { Engine } from '../engine/engine.js';
import type { TriggerOutcome } from '../engine/scheduler.js';
import { continuousRungs } from '../pipelines/continuous-ladder.js';
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

/** Without a hint, the continuous ladder looks at the update repository this often (and pulls its upstream, if any). */
const CONTINUOUS_POLL_MS = 30_000;

/**
 * `ladder: continuous`: the driver that starts phase2 and promote as soon as there is
 * something new (docs/schedules.md), run by the leading serve beside its scheduler.
 * Undefined when the configuration keeps the ladder on its schedules.
 */
export function startContinuousLadder(loaded: LoadedConfig, store: Store, engine: Pick<Engine, 'clock' | 'notify' | 'wake'>, log: (line: string) => void, mayStart: () => boolean): ContinuousLadder | undefined {
  if (loaded.config.ladder !== 'continuous') return undefined;
  let pulledAt = -Infinity;
  const ladder = new ContinuousLadder({
    rungs: continuousRungs({
      // Through `loaded` at each use: serve's view follows a reload.
      get config() { return loaded.config; },
      get configHash() { return loaded.hash; },
      store, updateRepo: () => currentUpdateRepo(loaded),
      // A look reads the working copy; the upstream (Gerrit, another site) is pulled at most once a poll.
      localRepo: async () => {
        // Without an upstream this only creates a repository not made yet (an existsSync otherwise).
        if (loaded.config.upstream === undefined) return currentUpdateRepo(loaded);
        if (engine.clock.now() - pulledAt < CONTINUOUS_POLL_MS) return loaded.resolvePath(loaded.config.update_repo);
        pulledAt = engine.clock.now();
        return currentUpdateRepo(loaded);
      },
    }),
    clock: engine.clock, wake: () => engine.wake, pollMs: CONTINUOUS_POLL_MS,
    minGapMs: Math.max(200, parseDuration(loaded.config.engine.poll) ?? 1000),
    mayStart, onStarted: () => engine.notify(), log,
  });
  ladder.start();
  log(`continuous ladder: phase2 and promote start as soon as updates/ or ready/ hold something new${loaded.config.pipelines.phase2?.window ? ` (phase2 waits ${loaded.config.pipelines.phase2.window} for more)` : ''}`);
  return ladder;
}
