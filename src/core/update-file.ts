import { formatPath, type Problem } from './problem.js';
import { validatePositioned } from './schema-problems.js';
import { KNOWN_BUILD_KEYS, KNOWN_UPDATE_KEYS, UpdateFileSchema, type UpdateFileData } from './update-schema.js';
import { updateSummary } from './update-summary.js';
import { decodeUtf8 } from './utf8.js';
import { DEFAULT_YAML_LIMITS, loadYaml, positionOf, type PositionedYaml, type YamlLimits } from './yaml-source.js';
import { isSafeName } from './names.js';

/** A valid update file, parsed. */
export interface UpdateFile extends UpdateFileData {
  /** The file's path as given (for messages). */
  readonly file: string;
  /** The update's identity: its file name without `.yml` (`updates/hkvc.yml` is `hkvc`). */
  readonly id: string | undefined;
  /** The Gerrit topic `rdopkg update` would give it. */
  readonly summary: string;
}

/** Where a field path of the file is, for problems found after parsing (e.g. against the config). */
export type Locate = (path: readonly (string | number)[]) => { line: number; col: number };

export type UpdateParse =
  | { ok: true; update: UpdateFile; warnings: Problem[]; locate: Locate }
  | { ok: false; problems: Problem[] };

/** Parses and validates an update file from raw bytes; never throws on bad input. */
export function parseUpdateBytes(bytes: Uint8Array, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): UpdateParse {
  if (bytes.length > limits.maxBytes) {
    return { ok: false, problems: [{ severity: 'error', code: 'E_FILE_TOO_LARGE', file, line: 1, col: 1, path: '', message: `file is ${bytes.length} bytes, more than the limit of ${limits.maxBytes}` }] };
  }
  const decoded = decodeUtf8(bytes, file);
  if (!decoded.ok) return { ok: false, problems: [decoded.problem] };
  return parseUpdateText(decoded.text, file, limits);
}

export function parseUpdateText(text: string, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): UpdateParse {
  const loaded = loadYaml(text, file, limits);
  if (!loaded.ok) return loaded;
  const y = loaded.yaml;
  if (typeof y.value !== 'object' || y.value === null || Array.isArray(y.value)) {
    const { line, col } = positionOf(y, []);
    return { ok: false, problems: [{ severity: 'error', code: 'E_UPDATE_INVALID', file, line, col, path: '', message: 'an update file is a mapping with notes and builds' }] };
  }
  const warnings = unknownKeyWarnings(y);
  const checked = validatePositioned(UpdateFileSchema, y, 'E_UPDATE_INVALID');
  if (!checked.ok) return { ok: false, problems: [...checked.problems, ...warnings] };
  const id = updateIdFromPath(file);
  return { ok: true, update: { ...checked.value, file, id, summary: updateSummary(checked.value.builds) }, warnings, locate: (path) => positionOf(y, path) };
}

/** `updates/hkvc.yml` -> `hkvc`; undefined for stdin or a name that cannot be an id. */
export function updateIdFromPath(file: string): string | undefined {
  const base = file.split(/[\\/]/).pop() ?? '';
  const m = /^(.+)\.ya?ml$/.exec(base);
  return m?.[1] !== undefined && isSafeName(m[1]) ? m[1] : undefined;
}

/** rdoupdate ignored keys it did not know; a typo such as `dsit:` deserves a word though. */
function unknownKeyWarnings(y: PositionedYaml): Problem[] {
  const warn = (path: (string | number)[], known: readonly string[]): Problem => {
    const { line, col } = positionOf(y, path, { key: true });
    const key = String(path[path.length - 1]);
    return { severity: 'warning', code: 'W_UNKNOWN_KEY', file: y.file, line, col, path: formatPath(path), message: `unknown key "${key}" is ignored (known: ${known.join(', ')})` };
  };
  const out: Problem[] = [];
  const top = y.value as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!KNOWN_UPDATE_KEYS.includes(key)) out.push(warn([key], KNOWN_UPDATE_KEYS));
  if (Array.isArray(top.builds)) {
    top.builds.forEach((b: unknown, i: number) => {
      if (typeof b !== 'object' || b === null || Array.isArray(b)) return;
      for (const key of Object.keys(b)) if (!KNOWN_BUILD_KEYS.includes(key)) out.push(warn(['builds', i, key], KNOWN_BUILD_KEYS));
    });
  }
  return out;
}
