import type { Config } from '../core/config.js';
import { formatPath, type Problem } from '../core/problem.js';
import type { TargetDisable } from '../core/target-state.js';
import { DEFAULT_ARCH, DEFAULT_SOURCE, type Build } from '../core/update-schema.js';
import { updateTargets } from '../core/update-targets.js';
import { decodeUtf8 } from '../core/utf8.js';
import { loadYaml, positionOf } from '../core/yaml-source.js';

/**
 * The configuration problems (unknown release, dist, target or source; a disabled target)
 * of a file that fails its own rules: each build whose `repo` and `dist` can be read is
 * checked too, so that one pass of `sluice check` shows every problem it can find, not
 * the schema's first and the configuration's only once those are fixed. A field the
 * schema already refused (a `repo` that is no name, say) is not reported twice.
 */
export function targetProblemsOfBrokenFile(bytes: Uint8Array, file: string, config: Config, disabled: ReadonlyMap<string, TargetDisable>, already: readonly Problem[]): Problem[] {
  const decoded = decodeUtf8(bytes, file);
  if (!decoded.ok) return [];
  const loaded = loadYaml(decoded.text, file);
  if (!loaded.ok) return [];
  const y = loaded.yaml;
  const raw = (y.value as { builds?: unknown } | null)?.builds;
  if (!Array.isArray(raw)) return [];
  const refused = new Set(already.map((p) => p.path));
  const readable: { index: number; build: Build }[] = [];
  raw.forEach((b: unknown, index) => {
    if (typeof b !== 'object' || b === null) return;
    const { id, repo, dist, source } = b as Record<string, unknown>;
    if (typeof repo !== 'string' || typeof dist !== 'string') return;
    const at = (field: string) => formatPath(['builds', index, field]);
    if (refused.has(at('repo')) || refused.has(at('dist'))) return;
    const readableSource = typeof source === 'string' && !refused.has(at('source')) ? source : DEFAULT_SOURCE;
    readable.push({ index, build: { id: typeof id === 'string' ? id : '', repo, dist, source: readableSource, arch: DEFAULT_ARCH } });
  });
  const { issues } = updateTargets(readable.map((r) => r.build), config, disabled);
  return issues.map((issue) => {
    const path = ['builds', readable[issue.path[1] as number]?.index ?? 0, ...issue.path.slice(2)];
    const { line, col } = positionOf(y, path);
    return { severity: issue.severity, code: issue.code, file, line, col, path: formatPath(path), message: issue.message };
  });
}
