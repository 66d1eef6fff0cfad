// JSON payloads are stored as text in both dialects (one code path, and SQLite has
// no JSON column type). Callers hand in plain data; what comes back is `unknown`
// until the row's mapper decodes it with its record schema (src/core/records).

export function toJsonText(value: unknown, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} is not JSON-serialisable`);
  return text;
}

export function fromJsonText(text: string): unknown {
  return JSON.parse(text) as unknown;
}
