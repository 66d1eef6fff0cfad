import { createHmac } from 'node:crypto';
import { answerText, type Delivery, type SendOutcome } from './send-outcome.js';

/** A webhook receiver as configured, its secret read from the environment. */
export interface WebhookTarget {
  readonly name: string;
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
}

export const SIGNATURE_HEADER = 'X-Sluice-Signature';
export const DELIVERY_HEADER = 'X-Sluice-Delivery';
export const EVENT_HEADER = 'X-Sluice-Event';

/** `sha256=<hex>`: the HMAC-SHA256 of the body's bytes under the shared secret (GitHub's scheme). */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

// A receiver that answers one of these will answer it again to the same bytes: retrying
// cannot help. 408, 425 and 429 are about timing, and 5xx about the receiver: those are retried.
const TIMING = new Set([408, 425, 429]);

/**
 * POSTs a delivery's body, signed, with its delivery id. A 2xx answer delivers it;
 * redirects are not followed (a signed body goes only where it was configured to).
 */
export async function postWebhook(target: WebhookTarget, delivery: Delivery, body: string): Promise<SendOutcome> {
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'sluice-notify',
        [SIGNATURE_HEADER]: signature(target.secret, body),
        [DELIVERY_HEADER]: delivery.id,
        [EVENT_HEADER]: 'run.finished',
      },
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${target.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { ok: false, retryable: true, detail: `webhook ${target.name}: ${answerText(why)}` };
  }
  // The answer's body is not needed; reading a little frees the connection and helps a person see why.
  const said = answerText((await response.text().catch(() => '')).slice(0, 4000), 200);
  const detail = `webhook ${target.name}: HTTP ${response.status}${said ? ` ${said}` : ''}`;
  if (response.status >= 200 && response.status < 300) return { ok: true, detail };
  const retryable = response.status >= 500 || TIMING.has(response.status) || (response.status >= 300 && response.status < 400);
  return { ok: false, retryable, detail };
}
