import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Config } from '../../core/config.js';
import { Phase1InputsSchema } from '../../core/records/phase1.js';
import { parseUpdateBytes } from '../../core/update-file.js';
import { updateTargets } from '../../core/update-targets.js';
import type { Store } from '../../store/index.js';
import type { PendingUpdate } from './infer-companions.js';

/**
 * The updates a phase1 job may find its update needs (docs/lifecycle.md): those in updates/
 * and ready/ of the update repository, then those whose phase1 is still going on, each
 * with its builds for `target`; never `except` (the update itself and what it has already).
 */
export async function pendingUpdates(o: { config: Config; store: Pick<Store, 'listRuns'>; repoPath?: string }, target: string, except: ReadonlySet<string>): Promise<PendingUpdate[]> {
  const out: PendingUpdate[] = [];
  const add = (id: string, where: string, bytes: Uint8Array, file: string) => {
    if (except.has(id) || out.some((u) => u.id === id)) return;
    const parsed = parseUpdateBytes(bytes, file);
    if (!parsed.ok) return;
    const builds = updateTargets(parsed.update.builds, o.config, new Map()).targets.get(target) ?? [];
    if (builds.length > 0) out.push({ id, contentHash: createHash('sha256').update(bytes).digest('hex'), where, builds });
  };
  for (const folder of ['updates', 'ready']) {
    const dir = o.repoPath ? join(o.repoPath, folder) : undefined;
    if (!dir || !existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const id = /^(.+)\.yml$/.exec(f)?.[1];
      if (id) add(id, `${folder}/`, readFileSync(join(dir, f)), `${folder}/${f}`);
    }
  }
  for (const run of await o.store.listRuns({ pipeline: 'phase1', unfinished: true })) {
    const inputs = Phase1InputsSchema.safeParse(run.inputs);
    if (!inputs.success || !run.updateId) continue;
    add(run.updateId, `submitted (run ${run.id})`, new TextEncoder().encode(inputs.data.content), inputs.data.updateFile);
  }
  return out;
}
