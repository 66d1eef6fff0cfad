import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../adapter.js';

/**
 * One schema step. Typed Kysely<any> because a migration is frozen in time: it must
 * keep compiling unchanged when schema.ts moves on. Never edit one that has shipped;
 * append a new one.
 */
export interface StoreMigration {
  /** Sorts in application order: a zero-padded number, then a word or two. */
  readonly name: string;
  up(db: Kysely<any>, adapter: DialectAdapter): Promise<void>;
}
