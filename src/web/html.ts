/**
 * The one way pages make HTML: a tagged template that escapes every interpolation.
 * Text from update files, logs, reasons and ids is untrusted (any packager writes it), so
 * nothing reaches a page unescaped unless it is itself the output of `html` or, for the
 * few constants that need it, `trusted`.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * The controls that reorder text (embeddings, overrides, isolates, marks): one U+202E in a
 * note, a name or a log line reverses what follows it on screen. Each is shown as its code
 * point instead, `[U+202E]`, so the text reads in the order it was written.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function markBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, (c) => `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

export function escapeHtml(text: string): string {
  return markBidiControls(text).replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Marks a constant of this code as HTML. Never pass it text that came from outside. */
export function trusted(text: string): SafeHtml {
  return new SafeHtml(text);
}
