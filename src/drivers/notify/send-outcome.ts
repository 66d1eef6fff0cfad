/** How one attempt at a delivery went: what the receiver said, and whether trying again can help. */
export type SendOutcome =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly detail: string; readonly retryable: boolean };

/** One delivery as a sender is handed it. */
export interface Delivery {
  readonly id: string;
  readonly runId: string;
}
