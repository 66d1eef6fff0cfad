import { CST, Lexer } from 'yaml';

export interface YamlShapeLimits {
  /** Collections nested deeper are refused: the YAML composer recurses once per level. */
  readonly maxDepth: number;
  /** Values and indicators (scalars, `[`, `-`, `:`, `,`...) beyond this are refused before any is built. */
  readonly maxNodes: number;
  /** Lines beyond this are refused: blank lines and comments cost the parser time too. */
  readonly maxLines: number;
}

export type YamlShape =
  | { ok: true; depth: number; nodes: number; lines: number }
  | { ok: false; limit: 'depth' | 'nodes' | 'lines'; offset: number };

// The lexer's control tokens: they stand for no character of the source.
const DOCUMENT = '\x02';
const FLOW_END = '\x18';
const SCALAR = '\x1f';

interface Level { readonly col: number; readonly kind: 'map' | 'seq' }

/**
 * Measures how deep the collections of a YAML text nest and how many values and lines it
 * has, stopping at the first limit it passes. It reads the library's own lexer, which is a
 * loop without recursion, so quotes, comments, block scalars and continuation lines are
 * told apart exactly as the parser will; only the composer that builds the tree recurses,
 * and it runs after this scan allowed it. Cost: linear in the tokens read, and the scan
 * stops as soon as a limit is passed, so a hostile file costs no more than its first
 * `maxDepth` or `maxNodes` tokens.
 *
 * Block depth is counted from indentation: each `-`, `?` or `key:` opens a level at its
 * column, closing the levels at deeper columns (a sequence may sit at its parent key's
 * column). Flow collections add one level per `[` or `{`.
 */
export function measureYaml(text: string, limits: YamlShapeLimits): YamlShape {
  const block: Level[] = [];
  let flow = 0;
  let nodes = 0;
  let deepest = 0;
  let lines = 1;
  let offset = 0;
  let lineStart = 0;
  // Column of the node that started most recently on this line (a key's column, for `:`).
  let nodeCol = -1;
  let expectNode = true;
  let scalarNext = false;
  const open = (col: number, kind: Level['kind']): boolean => {
    for (let top = block.at(-1); top && (top.col > col || (top.col === col && !(top.kind === 'map' && kind === 'seq'))); top = block.at(-1)) block.pop();
    block.push({ col, kind });
    return block.length + flow <= limits.maxDepth;
  };
  for (const token of new Lexer().lex(text)) {
    if (token === DOCUMENT) continue;
    // The lexer ends every open flow collection at a line indented too little (an error).
    if (token === FLOW_END) { flow = 0; continue; }
    if (token === SCALAR) { scalarNext = true; continue; }
    const at = offset;
    offset += token.length;
    const col = at - lineStart;
    const type = scalarNext ? 'scalar' : CST.tokenType(token);
    scalarNext = false;
    if (token.includes('\n')) {
      for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) lines += 1;
      lineStart = at + token.lastIndexOf('\n') + 1;
      if (lines > limits.maxLines) return { ok: false, limit: 'lines', offset: at };
    }
    if (type === 'newline') { expectNode = true; nodeCol = -1; continue; }
    if (type === 'space' || type === 'comment') continue;
    if (expectNode) { nodeCol = col; expectNode = false; }
    let deepEnough = true;
    switch (type) {
      case 'flow-seq-start':
      case 'flow-map-start':
        flow += 1;
        deepEnough = block.length + flow <= limits.maxDepth;
        break;
      case 'flow-seq-end':
      case 'flow-map-end':
        flow = Math.max(0, flow - 1);
        break;
      case 'seq-item-ind':
        if (flow === 0) deepEnough = open(col, 'seq');
        expectNode = true;
        break;
      case 'explicit-key-ind':
        if (flow === 0) deepEnough = open(col, 'map');
        expectNode = true;
        break;
      case 'map-value-ind':
        if (flow === 0) deepEnough = open(nodeCol < 0 ? col : nodeCol, 'map');
        expectNode = true;
        break;
      default:
        break;
    }
    if (!deepEnough) return { ok: false, limit: 'depth', offset: at };
    deepest = Math.max(deepest, block.length + flow);
    nodes += 1;
    if (nodes > limits.maxNodes) return { ok: false, limit: 'nodes', offset: at };
    // A block scalar's text ends its last line: what follows starts a line of its own.
    if (token.endsWith('\n')) { expectNode = true; nodeCol = -1; }
  }
  return { ok: true, depth: deepest, nodes, lines };
}
