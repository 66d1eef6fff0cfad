import type { AnalysisConfig } from '../core/config-schema.js';
import { DEFAULT_PATTERN_SETS } from './default-patterns.js';
import { DEFAULT_INFRA_RULES, type InfraRule } from './infra-rules.js';
import { compilePatternSets, patternProblems, type CompiledPatterns, type PatternSet } from './patterns.js';

/** The pattern sets and infra rules of `analysis:` in sluice.yaml, with the built-in ones unless `builtin: false`. */
export type AnalysisSetup =
  | { readonly ok: true; readonly patterns: CompiledPatterns; readonly infraRules: readonly InfraRule[] }
  | { readonly ok: false; readonly problems: readonly string[] };

export function analysisFromConfig(cfg: AnalysisConfig): AnalysisSetup {
  const own: PatternSet[] = cfg.patterns.map((set) => ({
    name: set.name, ...(set.description ? { description: set.description } : {}),
    patterns: set.patterns.map((p) => ({
      name: p.name, pattern: p.pattern, ignoreCase: p.ignore_case, on: p.on, severity: p.severity, effect: p.effect,
      ...(p.before !== undefined ? { before: p.before } : {}), ...(p.after !== undefined ? { after: p.after } : {}),
    })),
  }));
  const sets = cfg.builtin ? [...DEFAULT_PATTERN_SETS, ...own] : own;
  const rules: InfraRule[] = cfg.infra_rules.map((r) => ({ name: r.name, pattern: r.pattern, ignoreCase: r.ignore_case, certainty: r.certainty, description: r.description }));
  // Mistakes zod cannot see (a pattern name used twice in a set, context out of range).
  const problems = patternProblems(sets).map((p) => `analysis.patterns: ${p.set}/${p.pattern}: ${p.message}`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, patterns: compilePatternSets(sets), infraRules: cfg.builtin ? [...DEFAULT_INFRA_RULES, ...rules] : rules };
}
