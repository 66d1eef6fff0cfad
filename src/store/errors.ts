// Errors the store throws: only for misuse and for states a caller cannot handle
// (a bad URL, a database written by a newer Sluice). Expected outcomes of
// operations are returned as closed result codes instead (see results.ts).

export type StoreErrorCode = 'E_STORE_URL' | 'E_STORE_SCHEMA_NEWER';

export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
