import { html, type SafeHtml } from '../html.js';

export interface PageOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Scripts of /static/ this page runs (no inline script: the CSP forbids it). */
  readonly scripts?: readonly string[];
  /** Who is logged in (pages with buttons show it; see actions.ts). */
  readonly who?: SafeHtml;
}

/** The whole document around a page's body: one stylesheet, a few deferred scripts. */
export function layout(o: PageOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Sluice</title>
<link rel="stylesheet" href="/static/style.css">
${(o.scripts ?? []).map((s) => html`<script src="/static/${s}" defer></script>`)}
</head>
<body>
<header class="top"><a class="brand" href="/">Sluice</a><nav><a href="/">matrix</a> <a href="/runs">runs</a> <a href="/api/openapi.json">API</a> <a href="/metrics">metrics</a></nav>${o.who ?? ''}</header>
${o.body}
</body>
</html>
`.text;
}

/** The part of a page that live.js reloads when the store's events say something changed. */
export function liveRegion(o: { events: string; fragment: string; body: SafeHtml }): SafeHtml {
  return html`<main id="live" data-events="${o.events}" data-fragment="${o.fragment}">${o.body}</main>`;
}
