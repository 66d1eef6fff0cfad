import type { ApiError } from '../api-error.js';
import { html } from '../html.js';
import { layout } from './layout.js';

/** An error as a page: the same code and message as the API's JSON, escaped like everything else. */
export function errorPage(e: Pick<ApiError, 'code' | 'message' | 'status'>): string {
  return layout({ title: `${e.status}`, body: html`<main class="error"><h1>${e.status}</h1><p class="why">${e.message}</p><p class="muted">${e.code} · <a href="/">back to the matrix</a></p></main>` });
}
