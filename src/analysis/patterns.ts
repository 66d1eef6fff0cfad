/**
 * Pattern sets: what the excerpt looks for, as plain data. Sluice ships defaults per kind
 * of tool (default-patterns.ts); configuration may later replace or extend them with the
 * same shapes, so nothing here depends on a schema library.
 */

/**
 * What a matching line does.
 * - `hit`: the line is a candidate for the excerpt, ranked by severity.
 * - `dismiss`: the line says an error just before it does not count (Ansible's
 *   `...ignoring`): candidates within `before` lines above are forgotten.
 * - `mute`/`unmute`: lines between them are not candidates (the output a passing test
 *   printed, in a subunit v1 text stream, between `successful: X [` and the next `test:`).
 */
export type PatternEffect = 'hit' | 'dismiss' | 'mute' | 'unmute';

export interface ExcerptPattern {
  /** Stable within its set; the excerpt reports `set/name` as the line's `matched`. */
  readonly name: string;
  /** A JavaScript regular expression source. `^` is the start of the line's message (log-prefix.ts). */
  readonly pattern: string;
  readonly ignoreCase?: boolean;
  /** Match the message (default: the line without timestamps and logger fields) or the whole line. */
  readonly on?: 'message' | 'line';
  /** 1 (a faint sign) to 10 (certainly the failure). Higher severities are shown first. */
  readonly severity?: number;
  /** Lines of context shown above a hit (default 1); for `dismiss`, how far up it reaches (default 3). */
  readonly before?: number;
  /** Lines of context shown below a hit (default 0; indented continuation lines are added anyway). */
  readonly after?: number;
  readonly effect?: PatternEffect;
}

export interface PatternSet {
  /** A kind of tool: `python`, `rpm`, `puppet`... */
  readonly name: string;
  readonly description?: string;
  readonly patterns: readonly ExcerptPattern[];
}

export interface CompiledPattern {
  readonly id: string;
  readonly regex: RegExp;
  readonly onLine: boolean;
  readonly severity: number;
  readonly before: number;
  readonly after: number;
  readonly effect: PatternEffect;
  /** False when the source cannot join the prefilter union (back-references would renumber). */
  readonly unionSafe: boolean;
}

/**
 * Patterns ready to match, with one union regex per target and case rule: most lines match
 * nothing, and one test of a union costs far less than testing each pattern in turn.
 */
export interface CompiledPatterns {
  readonly patterns: readonly CompiledPattern[];
  readonly messageUnion: readonly RegExp[];
  readonly lineUnion: readonly RegExp[];
  /** Patterns never in a union, tested on every line. */
  readonly alwaysTest: readonly CompiledPattern[];
  readonly maxBefore: number;
  readonly maxAfter: number;
}

export interface PatternProblem {
  readonly set: string;
  readonly pattern: string;
  readonly message: string;
}

export class PatternSetError extends Error {
  constructor(readonly problems: readonly PatternProblem[]) {
    super(`invalid excerpt patterns: ${problems.map((p) => `${p.set}/${p.pattern}: ${p.message}`).join('; ')}`);
  }
}

const MAX_CONTEXT = 20;

/** Every problem of the sets, for a configuration loader to report with positions. */
export function patternProblems(sets: readonly PatternSet[]): PatternProblem[] {
  const problems: PatternProblem[] = [];
  const seen = new Set<string>();
  for (const set of sets) {
    for (const p of set.patterns) {
      const at = (message: string) => problems.push({ set: set.name, pattern: p.name, message });
      const id = `${set.name}/${p.name}`;
      if (seen.has(id)) at('the name is used twice in this set');
      seen.add(id);
      try {
        new RegExp(p.pattern, p.ignoreCase ? 'i' : '');
      } catch (e) {
        at(`not a regular expression: ${(e as Error).message}`);
      }
      if (p.pattern === '' || new RegExp(`(?:${safeSource(p.pattern)})`).test('')) at('matches an empty line, so every line would match');
      if (p.severity !== undefined && !(Number.isInteger(p.severity) && p.severity >= 1 && p.severity <= 10)) at('severity must be an integer from 1 to 10');
      for (const [key, v] of [['before', p.before], ['after', p.after]] as const) {
        if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= MAX_CONTEXT)) at(`${key} must be an integer from 0 to ${MAX_CONTEXT}`);
      }
    }
  }
  return problems;
}

function safeSource(source: string): string {
  try {
    new RegExp(source);
    return source;
  } catch {
    return '(?!)';
  }
}

/** Compiles pattern sets; throws PatternSetError listing every problem. */
export function compilePatternSets(sets: readonly PatternSet[]): CompiledPatterns {
  const problems = patternProblems(sets);
  if (problems.length > 0) throw new PatternSetError(problems);
  const patterns: CompiledPattern[] = sets.flatMap((set) => set.patterns.map((p): CompiledPattern => {
    const effect = p.effect ?? 'hit';
    return {
      id: `${set.name}/${p.name}`,
      regex: new RegExp(p.pattern, p.ignoreCase ? 'i' : ''),
      onLine: p.on === 'line',
      severity: p.severity ?? 5,
      before: p.before ?? (effect === 'dismiss' ? 3 : 1),
      after: p.after ?? 0,
      effect,
      unionSafe: !/\\[1-9]|\\k</.test(p.pattern),
    };
  }));
  // Anchored patterns go in a union anchored once: the engine then tries it at the start of
  // the line only, instead of trying every alternative at every position.
  const union = (onLine: boolean): RegExp[] => [false, true].flatMap((ignoreCase) => [true, false].flatMap((anchored) => {
    const members = patterns.filter((p) => p.unionSafe && p.onLine === onLine && p.regex.ignoreCase === ignoreCase && isAnchored(p.regex.source) === anchored);
    if (members.length === 0) return [];
    const alternatives = members.map((p) => `(?:${anchored ? p.regex.source.slice(1) : p.regex.source})`).join('|');
    return [new RegExp(anchored ? `^(?:${alternatives})` : alternatives, ignoreCase ? 'i' : '')];
  }));
  const hits = patterns.filter((p) => p.effect === 'hit');
  return {
    patterns,
    messageUnion: union(false),
    lineUnion: union(true),
    alwaysTest: patterns.filter((p) => !p.unionSafe),
    maxBefore: Math.max(0, ...hits.map((p) => p.before)),
    maxAfter: Math.max(0, ...hits.map((p) => p.after)),
  };
}

/** Whether a source starts with `^` that governs all of it (no `|` outside groups). */
function isAnchored(source: string): boolean {
  if (!source.startsWith('^')) return false;
  let depth = 0;
  let inClass = false;
  for (let i = 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return false;
  }
  return true;
}
