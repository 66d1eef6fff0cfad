/** One thing wrong (or suspicious) in an input file, with where it is. */
export type Severity = 'error' | 'warning';

export interface Problem {
  readonly severity: Severity;
  /** Stable code from the error registry, e.g. `E_UPDATE_INVALID`. */
  readonly code: string;
  readonly file: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly col: number;
  /** Field path such as `builds[2].id`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** `FILE:LINE:COL: severity: path: message`, the shape compilers and editors understand. */
export function formatProblem(p: Problem): string {
  const where = p.path === '' ? '' : `${p.path}: `;
  return `${p.file}:${p.line}:${p.col}: ${p.severity}: ${where}${p.message}`;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

export function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col;
}
