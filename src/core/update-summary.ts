import type { Build } from './update-schema.js';

/**
 * The update's summary, used by `rdopkg update` as the Gerrit topic (its branch name):
 * releases sorted, joined by "/", each followed by "_<dist>" for each of its dists,
 * e.g. `kilo_f22_el7` or `icehouse_fedora-20_epel-6/juno_epel-7`.
 *
 * rdopkg kept a release's dists in a Python set, whose order is the hash table's and not
 * specified; Sluice lists them in the order the file first names them, and comparisons
 * (`topicMatches`) treat a release's dists as a set.
 */
export function updateSummary(builds: readonly Pick<Build, 'repo' | 'dist'>[]): string {
  return summaryParts(builds).map(({ release, dists }) => [release, ...dists].join('_')).join('/');
}

function summaryParts(builds: readonly Pick<Build, 'repo' | 'dist'>[]): { release: string; dists: string[] }[] {
  const byRelease = new Map<string, string[]>();
  for (const b of builds) {
    const dists = byRelease.get(b.repo) ?? [];
    if (!dists.includes(b.dist)) dists.push(b.dist);
    byRelease.set(b.repo, dists);
  }
  // Python's sorted() on str compares code points, as does the default sort here.
  return [...byRelease.keys()].sort().map((release) => ({ release, dists: byRelease.get(release) ?? [] }));
}

/**
 * Whether a topic (or a commit subject carrying one) names exactly this update's
 * releases and dists. Releases must come in sorted order; dists of a release in any order.
 */
export function topicMatches(topic: string, builds: readonly Pick<Build, 'repo' | 'dist'>[]): boolean {
  const expected = summaryParts(builds);
  const groups = topic.trim().split('/');
  if (groups.length !== expected.length) return false;
  return expected.every(({ release, dists }, i) => {
    const group = groups[i] ?? '';
    if (!group.startsWith(`${release}_`)) return false;
    const rest = group.slice(release.length + 1);
    return sameDists(rest, dists);
  });
}

/** Releases and dists never contain "_" (names.ts), so "_" splits a group unambiguously. */
function sameDists(rest: string, dists: readonly string[]): boolean {
  const got = rest.split('_');
  return got.length === dists.length && [...got].sort().join('\0') === [...dists].sort().join('\0');
}
