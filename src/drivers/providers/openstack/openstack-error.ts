/** A cloud API call that failed: `status` is the HTTP status, 0 when no answer came. */
export class OpenStackError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'OpenStackError';
  }
}

/**
 * The message of an OpenStack error body, as `: message`: Nova wraps it in the fault's
 * name (`{"itemNotFound": {"message": ...}}`), Neutron in `NeutronError`, Keystone in
 * `error`, Glance answers plain text.
 */
export function errorMessageOf(body: unknown): string {
  if (typeof body === 'string') return body.trim() ? `: ${body.trim().slice(0, 300)}` : '';
  if (body === null || typeof body !== 'object') return '';
  for (const value of Object.values(body)) {
    const message: unknown = value && typeof value === 'object' ? Reflect.get(value, 'message') : undefined;
    if (typeof message === 'string') return `: ${message}`;
  }
  return '';
}

/** Throws unless the answer has one of the expected statuses. */
export function expectStatus(res: { status: number; body: unknown }, ok: readonly number[], what: string): void {
  if (!ok.includes(res.status)) throw new OpenStackError(res.status, `${what}: HTTP ${res.status}${errorMessageOf(res.body)}`);
}
