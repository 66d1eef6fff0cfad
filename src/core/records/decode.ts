import type { z } from 'zod';

/** A record as readers get it: nothing in it is theirs to change. */
export type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/** The type of a record schema, read-only throughout. */
export type RecordOf<S extends z.ZodType> = DeepReadonly<z.output<S>>;

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/**
 * Checks a stored JSON value against its record schema. The value itself is returned, not
 * zod's copy: a field a newer version added survives a read by this one (the API shows
 * records as stored), and the schemas transform nothing.
 */
export function decodeRecord<S extends z.ZodType>(schema: S, value: unknown): Decoded<RecordOf<S>> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: value as RecordOf<S> };
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return { ok: false, problem: `${where}${first?.message ?? 'does not match its schema'}` };
}
