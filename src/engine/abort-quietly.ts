/**
 * The reason given to an AbortController that only says "stop waiting": without one, Node
 * builds a DOMException with a captured stack on every abort, which the engine did several
 * times a job (the heartbeat's end, a wake-up hint, an attempt's stop) and which showed in
 * the dispatch profile. Nothing reads an abort's reason.
 */
const STOPPED = Object.freeze({ stopped: true });

export function abortQuietly(controller: AbortController): void {
  controller.abort(STOPPED);
}
