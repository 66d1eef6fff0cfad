import {
  Composer, type Document, type Node, isAlias, isMap, isPair, isScalar, isSeq,
  LineCounter, visit,
} from 'yaml';
import type { Problem } from './problem.js';
import { measureYaml, type YamlShapeLimits } from './yaml-prescan.js';

export interface YamlLimits extends YamlShapeLimits {
  /** Larger files are refused before parsing: update files are a few hundred bytes. */
  readonly maxBytes: number;
  /** Aliases resolved at most this often: defeats "billion laughs". */
  readonly maxAliases: number;
}

/**
 * Far above any update file or sluice.yaml (a few levels, a few hundred values), far below
 * what stalls the process: parsing 1 MiB of `[[[...` took seconds and a gigabyte before
 * the scan refused it.
 */
export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 1024 * 1024, maxAliases: 50, maxDepth: 64, maxNodes: 10_000, maxLines: 10_000 };

/** A parsed YAML document that can still say where each value came from. */
export interface PositionedYaml {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
  readonly value: unknown;
}

export type YamlLoad =
  | { ok: true; yaml: PositionedYaml }
  | { ok: false; problems: Problem[] };

/**
 * Parses one YAML document the way PyYAML read `rdopkg update` files (YAML 1.1), refusing
 * what a hand-written update file never needs: several documents, duplicate keys, custom
 * tags, alias explosions. Never throws for bad input.
 */
export function loadYaml(text: string, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): YamlLoad {
  const err = (line: number, col: number, code: string, message: string): Problem =>
    ({ severity: 'error', code, file, line, col, path: '', message });
  const size = utf8Length(text);
  if (size > limits.maxBytes) {
    return { ok: false, problems: [err(1, 1, 'E_FILE_TOO_LARGE', `file is ${size} bytes, more than the limit of ${limits.maxBytes}`)] };
  }
  const lines = new LineCounter();
  const shape = measureYaml(text, limits, lines.addNewLine);
  if (!shape.ok) {
    const { line, col } = positionAt(text, shape.offset);
    return { ok: false, problems: [shape.limit === 'depth'
      ? err(line, col, 'E_YAML_TOO_DEEP', `collections nest more than ${limits.maxDepth} levels deep here`)
      : err(line, col, 'E_YAML_TOO_LARGE', shape.limit === 'lines'
        ? `the file has more than ${limits.maxLines} lines`
        : `the file has more than ${limits.maxNodes} values and indicators`)] };
  }
  // The scan's parse is composed: what parseAllDocuments does, without parsing the text again.
  const docs = [...new Composer({ lineCounter: lines, version: '1.1', uniqueKeys: true, prettyErrors: false, strict: true }).compose(shape.tokens)];
  if (docs.length === 0) {
    return { ok: false, problems: [err(1, 1, 'E_EMPTY', 'the file is empty: expected a mapping with notes and builds')] };
  }
  const problems: Problem[] = [];
  const at = (offset: number) => lines.linePos(offset);
  for (const d of docs) {
    for (const e of [...d.errors, ...d.warnings]) {
      const { line, col } = at(e.pos[0]);
      problems.push(err(line, col, 'E_YAML_SYNTAX', yamlMessage(e.code, e.message)));
    }
  }
  const doc = docs[0] as Document.Parsed;
  if (docs.length > 1) {
    const second = docs[1] as Document.Parsed;
    const { line, col } = at(second.range[0]);
    problems.push(err(line, col, 'E_YAML_SYNTAX', 'more than one YAML document: an update file holds exactly one'));
  }
  visit(doc, {
    Node(_key, node) {
      if ((isScalar(node) || isMap(node) || isSeq(node)) && node.tag && !node.tag.startsWith('tag:yaml.org,2002:')) {
        const { line, col } = at(node.range?.[0] ?? 0);
        if (!problems.some((p) => p.line === line)) problems.push(err(line, col, 'E_YAML_SYNTAX', `custom YAML tag ${node.tag} is not allowed`));
      }
    },
  });
  if (problems.length > 0) return { ok: false, problems };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch {
    const { line, col } = at(firstAliasOffset(doc));
    return { ok: false, problems: [err(line, col, 'E_YAML_ALIASES', `aliases expand beyond the limit of ${limits.maxAliases}: write the values out`)] };
  }
  if (value === null || value === undefined) {
    return { ok: false, problems: [err(1, 1, 'E_EMPTY', 'the file has no content: expected a mapping with notes and builds')] };
  }
  return { ok: true, yaml: { file, doc, lines, value } };
}

/** Bytes the text takes in UTF-8, counted without encoding a copy of it. */
function utf8Length(text: string): number {
  let size = text.length;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) size += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return size;
}

/** 1-based line and column of a character offset (columns count UTF-16 units, as the parser's do). */
function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

function yamlMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'a key appears twice in the same mapping: keep one';
  // The library's message ends with a source excerpt; the position already says where.
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}

function firstAliasOffset(doc: Document.Parsed): number {
  let offset = 0;
  visit(doc, {
    Alias(_k, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

/**
 * Where a field path points in the source: the value when it exists, else the closest
 * existing parent (a missing field is reported at the mapping that lacks it).
 * With `key: true`, the key of the last step (for "unknown key" warnings).
 */
export function positionOf(y: PositionedYaml, path: readonly PropertyKey[], opts: { key?: boolean } = {}): { line: number; col: number } {
  let node: unknown = y.doc.contents;
  let offset = y.doc.contents?.range?.[0] ?? 0;
  for (const [i, step] of path.entries()) {
    if (isAlias(node)) node = node.resolve(y.doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(step));
      if (!pair) break;
      const keyNode = pair.key as Node | null;
      const last = i === path.length - 1;
      if (last && opts.key && keyNode?.range) { offset = keyNode.range[0]; break; }
      const valueNode = pair.value as Node | null;
      if (valueNode?.range && !(isScalar(valueNode) && valueNode.value === null && valueNode.range[0] === valueNode.range[1])) {
        offset = valueNode.range[0];
      } else if (keyNode?.range) {
        offset = keyNode.range[0];
      }
      node = valueNode;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item?.range) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return y.lines.linePos(offset);
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}
