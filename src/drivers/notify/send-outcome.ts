/** How one attempt at a delivery went: what the receiver said, and whether trying again can help. */
export type SendOutcome =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly detail: string; readonly retryable: boolean };

/** One delivery as a sender is handed it. */
export interface Delivery {
  readonly id: string;
  readonly runId: string;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** What a receiver said, fit for a table and a terminal: one line, no control or hidden characters, bounded. */
export function answerText(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').replace(HIDDEN, '').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
