import type { Selectable } from 'kysely';
import { write, type StoreContext } from './context.js';
import type { Refused } from './results.js';
import type { RpmsTable } from './schema.js';

export interface FetchedRpmInput {
  fileName: string;
  sha256: string;
  size: number;
}

export interface RecordRpmsInput {
  /** The build's id as the update names it: an NVR, or a koji-scratch task number as text. */
  buildId: string;
  source: string;
  runId?: string | null;
  rpms: readonly FetchedRpmInput[];
  now: number;
}

export interface RpmRecord {
  buildId: string;
  source: string;
  fileName: string;
  runId: string | null;
  sha256: string;
  size: number;
  fetchedAt: number;
}

/**
 * `checksum_changed`: a file already recorded for this build and source came back with
 * other bytes; nothing of the call was written. `recorded` counts the new rows (a file
 * fetched again with the same bytes keeps its first row).
 */
export type RecordRpmsResult =
  | { readonly ok: true; readonly recorded: number }
  | (Refused<'checksum_changed'> & { readonly fileName: string; readonly knownSha256: string; readonly newSha256: string });

/** Rolls the transaction back when a concurrent recorder wrote other bytes first. */
class ChangedMeanwhile extends Error {
  constructor(readonly refusal: Exclude<RecordRpmsResult, { ok: true }>) {
    super('checksum_changed');
  }
}

export async function recordRpms(ctx: StoreContext, input: RecordRpmsInput): Promise<RecordRpmsResult> {
  try {
    return await recordOnce(ctx, input);
  } catch (error) {
    if (error instanceof ChangedMeanwhile) return error.refusal;
    throw error;
  }
}

async function recordOnce(ctx: StoreContext, input: RecordRpmsInput): Promise<RecordRpmsResult> {
  return write(ctx, async (trx) => {
    const known = await ctx.adapter
      .lockRows(trx.selectFrom('rpms').select(['file_name', 'sha256']).where('build_id', '=', input.buildId).where('source', '=', input.source), 'wait')
      .execute();
    const byName = new Map(known.map((r) => [r.file_name, r.sha256]));
    for (const rpm of input.rpms) {
      const sha = byName.get(rpm.fileName);
      if (sha !== undefined && sha !== rpm.sha256) {
        return { ok: false, code: 'checksum_changed', fileName: rpm.fileName, knownSha256: sha, newSha256: rpm.sha256 } as const;
      }
    }
    let recorded = 0;
    for (const rpm of input.rpms) {
      if (byName.has(rpm.fileName)) continue;
      // Insert-or-nothing: a concurrent fetch of the same file (with the same bytes) wins harmlessly.
      const row = await trx
        .insertInto('rpms')
        .values({ build_id: input.buildId, source: input.source, file_name: rpm.fileName, run_id: input.runId ?? null, sha256: rpm.sha256, size: rpm.size, fetched_at: input.now })
        .onConflict((oc) => oc.columns(['build_id', 'source', 'file_name']).doNothing())
        .returning('file_name')
        .executeTakeFirst();
      if (row) {
        recorded++;
      } else {
        const other = await trx.selectFrom('rpms').select('sha256')
          .where('build_id', '=', input.buildId).where('source', '=', input.source).where('file_name', '=', rpm.fileName)
          .executeTakeFirstOrThrow();
        if (other.sha256 !== rpm.sha256) {
          throw new ChangedMeanwhile({ ok: false, code: 'checksum_changed', fileName: rpm.fileName, knownSha256: other.sha256, newSha256: rpm.sha256 });
        }
      }
      byName.set(rpm.fileName, rpm.sha256);
    }
    return { ok: true, recorded } as const;
  });
}

/** The RPMs recorded for a build, from every source, by source then file name. */
export async function listRpms(ctx: StoreContext, buildId: string): Promise<RpmRecord[]> {
  const rows = await ctx.db.selectFrom('rpms').selectAll().where('build_id', '=', buildId).orderBy('source').orderBy('file_name').execute();
  return rows.map(toRecord);
}

function toRecord(row: Selectable<RpmsTable>): RpmRecord {
  return { buildId: row.build_id, source: row.source, fileName: row.file_name, runId: row.run_id, sha256: row.sha256, size: row.size, fetchedAt: row.fetched_at };
}
