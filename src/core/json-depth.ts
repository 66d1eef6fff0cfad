/**
 * How deep JSON may nest before Sluice refuses it unparsed. Every JSON Sluice reads (API
 * bodies, Gerrit events and webhooks) nests a few levels; JSON.parse itself takes a second
 * over 1.5 MB of `[[[...`, and whatever walks the result afterwards recurses.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The offset of the first `[` or `{` that opens a level beyond `maxDepth`, or undefined when
 * the text nests no deeper. One pass over the characters, strings (and their escapes)
 * skipped; it does not check the rest of the syntax, which JSON.parse does next.
 */
export function jsonTooDeepAt(text: string, maxDepth = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/** JSON.parse that refuses deep nesting first and never throws for bad input. */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): JsonParse {
  const deep = jsonTooDeepAt(text, maxDepth);
  if (deep !== undefined) return { ok: false, message: `JSON nests more than ${maxDepth} levels deep at character ${deep + 1}` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}
