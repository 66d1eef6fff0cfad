import { CST, Lexer, Parser } from 'yaml';

export interface YamlShapeLimits {
  /** Collections nested deeper are refused: the YAML composer recurses once per level. */
  readonly maxDepth: number;
  /** Values and indicators (scalars, `[`, `-`, `:`, `,`...) beyond this are refused before any is built. */
  readonly maxNodes: number;
  /** Lines beyond this are refused: blank lines and comments cost the parser time too. */
  readonly maxLines: number;
}

export type YamlShape =
  /** `tokens`: the parsed CST, for `Composer.compose`: the text is never parsed twice. */
  | { ok: true; depth: number; nodes: number; lines: number; tokens: CST.Token[] }
  | { ok: false; limit: 'depth' | 'nodes' | 'lines'; offset: number };

// The lexer's control tokens: they stand for no character of the source.
const CONTROL = new Set(['\x02', '\x18', '\x1f']);
const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);
const UNCOUNTED = new Set(['space', 'comment', 'newline']);

/**
 * Measures how deep the collections of a YAML text nest and how many values and lines it
 * has, stopping at the first limit it passes. It drives the library's own lexer and CST
 * parser, which are loops over an explicit stack (no recursion), and reads the parser's
 * stack after each token: the collections on it are exactly the levels the composer will
 * recurse through, invalid documents and the parser's error recovery included. Only the
 * composer, which builds the tree, recurses; it runs after this scan allowed it. Cost:
 * linear in the tokens read, and the scan stops as soon as a limit is passed, so a hostile
 * file costs no more than its first `maxDepth` or `maxNodes` tokens.
 * `onNewLine` is the parser's hook (a LineCounter's `addNewLine`), as `parseAllDocuments` passes it.
 */
export function measureYaml(text: string, limits: YamlShapeLimits, onNewLine?: (offset: number) => void): YamlShape {
  const parser = new Parser(onNewLine);
  onNewLine?.(0);
  const tokens: CST.Token[] = [];
  let nodes = 0;
  let deepest = 0;
  let lines = 1;
  let offset = 0;
  let scalarNext = false;
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    if (!CONTROL.has(token)) offset += token.length;
    for (const done of parser.next(token)) tokens.push(done);
    // The document itself sits at the bottom; a scalar being read may sit on top.
    if (parser.stack.length - 1 > limits.maxDepth || parser.stack.length - 1 > deepest) {
      const depth = parser.stack.reduce((n, t) => n + (COLLECTIONS.has(t.type) ? 1 : 0), 0);
      if (depth > limits.maxDepth) return { ok: false, limit: 'depth', offset: at };
      deepest = Math.max(deepest, depth);
    }
    if (token === '\x1f') { scalarNext = true; continue; }
    if (CONTROL.has(token)) continue;
    if (token.includes('\n')) {
      for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) lines += 1;
      if (lines > limits.maxLines) return { ok: false, limit: 'lines', offset: at };
    }
    const counted = scalarNext || !UNCOUNTED.has(CST.tokenType(token) ?? 'space');
    scalarNext = false;
    if (counted && (nodes += 1) > limits.maxNodes) return { ok: false, limit: 'nodes', offset: at };
  }
  for (const done of parser.end()) tokens.push(done);
  return { ok: true, depth: deepest, nodes, lines, tokens };
}
