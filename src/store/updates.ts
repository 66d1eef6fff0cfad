import type { Selectable } from 'kysely';
import { write, type StoreContext } from './context.js';
import { fromJsonText, toJsonText } from './json.js';
import type { UpdatesTable } from './schema.js';

export interface UpdateInput {
  /** The file's id, e.g. `hkvc` for updates/hkvc.yml. */
  id: string;
  /** Where the file is now, e.g. `updates/hkvc.yml` (it moves to ready/, pushed/). */
  path: string;
  contentHash: string;
  topic?: string | null;
  author?: string | null;
  /** The parsed update. */
  data: unknown;
  now: number;
}

export interface UpdateRecord {
  id: string;
  path: string;
  contentHash: string;
  topic: string | null;
  author: string | null;
  firstSeenAt: number;
  updatedAt: number;
  data: unknown;
}

/** `changed` when a known update comes back with any field different (content, path, topic...). */
export type RecordUpdateResult = 'created' | 'changed' | 'unchanged';

/**
 * Upserts by id. first_seen_at is kept from the first record; updated_at moves only
 * when something changed, so it says when the file last changed.
 */
export async function recordUpdate(ctx: StoreContext, input: UpdateInput): Promise<RecordUpdateResult> {
  const fields = {
    path: input.path,
    content_hash: input.contentHash,
    topic: input.topic ?? null,
    author: input.author ?? null,
    data: toJsonText(input.data, `update ${input.id}`),
  };
  return write(ctx, async (trx) => {
    // Insert-or-nothing first: race-free on PostgreSQL, where a concurrent insert of
    // the same id waits for ours and then finds the row.
    const inserted = await trx
      .insertInto('updates')
      .values({ id: input.id, ...fields, first_seen_at: input.now, updated_at: input.now })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return 'created';

    const old = await ctx.adapter
      .lockRows(trx.selectFrom('updates').selectAll().where('id', '=', input.id), 'wait')
      .executeTakeFirstOrThrow();
    const same =
      old.path === fields.path &&
      old.content_hash === fields.content_hash &&
      old.topic === fields.topic &&
      old.author === fields.author &&
      old.data === fields.data;
    if (same) return 'unchanged';
    await trx
      .updateTable('updates')
      .set({ ...fields, updated_at: input.now })
      .where('id', '=', input.id)
      .execute();
    return 'changed';
  });
}

export async function getUpdate(ctx: StoreContext, id: string): Promise<UpdateRecord | undefined> {
  const row = await ctx.db.selectFrom('updates').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

function toRecord(row: Selectable<UpdatesTable>): UpdateRecord {
  return {
    id: row.id,
    path: row.path,
    contentHash: row.content_hash,
    topic: row.topic,
    author: row.author,
    firstSeenAt: row.first_seen_at,
    updatedAt: row.updated_at,
    data: fromJsonText(row.data),
  };
}
