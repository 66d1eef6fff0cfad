import { z } from 'zod';
import { ERRORS, type ErrorCode } from '../core/errors.js';

/** The JSON every error answer has: a stable code from the registry (docs/errors.md), never a stack. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'A stable code from docs/errors.md; match on it, never on the message.' }),
    message: z.string(),
    status: z.int(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional()
      .meta({ description: 'Every problem of an invalid request or update file.' }),
  }),
}).meta({ id: 'Error' });
export type ErrorBody = z.output<typeof ErrorBodySchema>;

export interface ErrorDetail { readonly path: string; readonly message: string }

/** An expected refusal of a request: its HTTP status comes from the code's registry entry. */
export class ApiError extends Error {
  readonly status: number;
  /** `retryAfter`: seconds, sent as `Retry-After` (429, 503). */
  constructor(readonly code: ErrorCode, message: string, readonly details?: readonly ErrorDetail[], readonly retryAfter?: number) {
    super(message);
    this.status = ERRORS[code].http;
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, status: this.status, ...(this.details ? { details: [...this.details] } : {}) } };
  }
}

/** Checks `data` against a schema; an invalid request is a 400 naming each wrong field. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, where: 'path' | 'query' | 'body'): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  // An unknown key is named in the path too, so every detail says which field is wrong.
  const details = r.error.issues.map((i) => ({ path: [where, ...i.path.map(String), ...(i.code === 'unrecognized_keys' ? [i.keys.join(',')] : [])].join('.'), message: i.message }));
  const first = details[0];
  throw new ApiError('E_REQUEST_INVALID', first ? `${first.path}: ${first.message}` : `invalid ${where}`, details);
}
