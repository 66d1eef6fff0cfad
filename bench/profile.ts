import { Session } from 'node:inspector/promises';

/**
 * A CPU profile of one call, folded into what the main thread was doing: each sample goes
 * to the first activity (in the order given) that any frame of its stack matches, so a
 * statement prepared inside a claim counts as preparing, not as the claim. Run apart from
 * the timed rounds, since sampling slows what it samples.
 */
export interface ProfileSummary {
  readonly wallMs: number;
  readonly samples: number;
  /** Share of samples per activity, largest first, in percent. */
  readonly activities: readonly { readonly activity: string; readonly percent: number }[];
  /** Functions with the most self time. */
  readonly topFunctions: readonly { readonly fn: string; readonly percent: number }[];
}

export interface Activity { readonly name: string; readonly frame: RegExp }

/** Frames are matched as `functionName file:line`, file relative to dist/ or node_modules/. */
export const ACTIVITIES: readonly Activity[] = [
  { name: 'fork and exec of a child process (child_process.spawn)', frame: /^(ChildProcess\.)?spawn node:(internal\/)?child_process/ },
  { name: 'SQLite: preparing statements (better-sqlite3 prepare)', frame: /^prepare node_modules\/better-sqlite3/ },
  { name: 'SQL: running statements (better-sqlite3)', frame: /^executeQuery .*sqlite-driver|^(all|run|get|iterate) node_modules\/better-sqlite3/ },
  { name: 'PostgreSQL client (pg: protocol, parsing rows)', frame: /node_modules\/pg(-protocol|-pool|-types)?\// },
  { name: 'Kysely: building and compiling queries', frame: /node_modules\/kysely\// },
  { name: 'store (src/store, less the above)', frame: / dist\/src\/store\// },
  { name: 'git (update repository)', frame: / dist\/src\/drivers\/repo\// },
  { name: 'analysis of the attempt (src/analysis)', frame: / dist\/src\/analysis\// },
  { name: 'local provider (job directory, environment, log)', frame: / dist\/src\/drivers\/providers\/local\// },
  { name: 'engine (src/engine)', frame: / dist\/src\/engine\// },
  { name: 'core (parsing, planning, schedules)', frame: / dist\/src\/core\// },
  { name: 'web pages and queries (src/web, less the above)', frame: / dist\/src\/web\// },
  { name: 'command line (src/cli: options, configuration, output)', frame: / dist\/src\/cli\// },
  { name: 'garbage collection', frame: /^\(garbage collector\)/ },
  { name: 'idle (waiting for children, timers, I/O)', frame: /^\(idle\)/ },
];

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[] }

/** Starts sampling the main thread; `stop` ends it and folds the samples. */
export async function startProfile(activities: readonly Activity[] = ACTIVITIES): Promise<{ stop(): Promise<ProfileSummary> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  const start = performance.now();
  return {
    async stop() {
      const wallMs = performance.now() - start;
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      session.disconnect();
      return summarise(profile, wallMs, activities);
    },
  };
}

export async function profileCall<T>(fn: () => Promise<T>, activities: readonly Activity[] = ACTIVITIES): Promise<{ result: T; profile: ProfileSummary }> {
  const profiler = await startProfile(activities);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await profiler.stop();
    throw e;
  }
  return { result, profile: await profiler.stop() };
}

function frameKey(f: ProfileNode['callFrame']): string {
  const modules = f.url.indexOf('/node_modules/');
  const file = modules >= 0 ? f.url.slice(modules + 1) : f.url.replace(/^.*\/dist\//, 'dist/');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

function summarise(profile: Profile, wallMs: number, activities: readonly Activity[]): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Each distinct leaf node is classified once, however many samples fell on it.
  const activityOfNode = new Map<number, string>();
  const classify = (leaf: number): string => {
    const stack: string[] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (node) stack.push(frameKey(node.callFrame));
    }
    return activities.find((a) => stack.some((k) => a.frame.test(k)))?.name ?? 'other (Node internals, libraries, native)';
  };
  const counts = new Map<string, number>();
  const selfTime = new Map<string, number>();
  for (const id of profile.samples) {
    let activity = activityOfNode.get(id);
    if (activity === undefined) {
      activity = classify(id);
      activityOfNode.set(id, activity);
    }
    counts.set(activity, (counts.get(activity) ?? 0) + 1);
    const node = byId.get(id);
    if (node) selfTime.set(frameKey(node.callFrame), (selfTime.get(frameKey(node.callFrame)) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  const pct = (n: number) => Math.round((1000 * n) / total) / 10;
  return {
    wallMs: Math.round(wallMs),
    samples: profile.samples.length,
    activities: [...counts].sort((a, b) => b[1] - a[1]).map(([activity, n]) => ({ activity, percent: pct(n) })),
    topFunctions: [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([fn, n]) => ({ fn, percent: pct(n) })),
  };
}
