// Expected outcomes of store operations are values, not exceptions: a guard that
// misses (the lease is someone else's, the target is not disabled) returns
// `{ ok: false, code }` with a code from a closed union, which the caller maps to
// its own error or message in one place.

export type Refused<C extends string> = { readonly ok: false; readonly code: C };
export type Done<T extends object = object> = { readonly ok: true } & T;
export type Outcome<C extends string, T extends object = object> = Done<T> | Refused<C>;

export function refused<C extends string>(code: C): Refused<C> {
  return { ok: false, code };
}
