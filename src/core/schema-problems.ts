import type { z } from 'zod';
import { formatPath, type Problem } from './problem.js';
import { positionOf, type PositionedYaml } from './yaml-source.js';

/** Validates a positioned YAML value against a schema; every issue becomes a positioned problem. */
export function validatePositioned<S extends z.ZodType>(
  schema: S, y: PositionedYaml, code: string,
): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const result = schema.safeParse(y.value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => issueProblems(issue, y, code)) };
}

function issueProblems(issue: z.core.$ZodIssue, y: PositionedYaml, code: string): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const { line, col } = positionOf(y, path, { key: true });
      return { severity: 'error', code, file: y.file, line, col, path: formatPath(path as (string | number)[]), message: `unknown key "${key}"` };
    });
  }
  const { line, col } = positionOf(y, issue.path);
  return [{ severity: 'error', code, file: y.file, line, col, path: formatPath(issue.path as (string | number)[]), message: humanMessage(issue) }];
}

function humanMessage(issue: z.core.$ZodIssue): string {
  // Zod's stock wording ("Invalid input: expected string, received number") is for
  // programmers; the schemas give their own messages where it matters.
  return issue.message.replace(/^Invalid input: /, '');
}
