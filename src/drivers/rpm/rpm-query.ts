import { toolOutput, type ToolOptions } from './run-tool.js';

export interface RpmFile {
  readonly path: string;
  /** Hex digest of the content; empty for directories, symlinks and ghosts. */
  readonly digest: string;
  readonly mode: number;
  /** A symlink's target; empty otherwise. */
  readonly linkTo: string;
  /** A `%ghost` file: owned, never shipped. */
  readonly ghost: boolean;
}

export interface RpmHeader {
  readonly name: string;
  /** 0 when the package has no epoch. */
  readonly epoch: number;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
  /** A source RPM: never installed, so the checks skip it. */
  readonly source: boolean;
  /** As rpm prints them, e.g. `bar >= 2.0`. */
  readonly requires: readonly string[];
  readonly provides: readonly string[];
  readonly conflicts: readonly string[];
  readonly files: readonly RpmFile[];
}

const RPMFILE_GHOST = 1 << 6;
const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;

// One tagged line per value: a header array expands to as many lines as it has entries.
const QUERY_FORMAT = [
  'N\t%{NAME}\nE\t%{EPOCHNUM}\nV\t%{VERSION}\nR\t%{RELEASE}\nA\t%{ARCH}\nS\t%|SOURCERPM?{binary}:{source}|\n',
  '[Q\t%{REQUIRENEVRS}\n]',
  '[P\t%{PROVIDENEVRS}\n]',
  '[C\t%{CONFLICTNEVRS}\n]',
  '[F\t%{FILENAMES}\t%{FILEDIGESTS}\t%{FILEMODES}\t%{FILEFLAGS}\t%{FILELINKTOS}\n]',
].join('');

/** Reads one RPM file's header with `rpm -qp`; the path goes after `--`, never through a shell. */
export async function queryRpm(path: string, opts: ToolOptions = {}): Promise<RpmHeader> {
  const out = await toolOutput('rpm', ['-qp', '--nosignature', '--nodigest', '--queryformat', QUERY_FORMAT, '--', path], opts);
  return parseQuery(out, path);
}

export function parseQuery(out: string, path: string): RpmHeader {
  const one = new Map<string, string>();
  const requires: string[] = [];
  const provides: string[] = [];
  const conflicts: string[] = [];
  const files: RpmFile[] = [];
  for (const line of out.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const tag = line.slice(0, tab);
    const value = line.slice(tab + 1);
    if (tag === 'Q') requires.push(value);
    else if (tag === 'P') provides.push(value);
    else if (tag === 'C') conflicts.push(value);
    else if (tag === 'F') {
      const [filePath = '', digest = '', mode = '0', flags = '0', linkTo = ''] = value.split('\t');
      files.push({ path: filePath, digest, mode: Number(mode) & 0xffff, linkTo, ghost: (Number(flags) & RPMFILE_GHOST) !== 0 });
    } else one.set(tag, value);
  }
  const name = one.get('N');
  if (!name) throw new Error(`rpm printed no header for ${path}`);
  return {
    name, epoch: Number(one.get('E') ?? 0), version: one.get('V') ?? '', release: one.get('R') ?? '', arch: one.get('A') ?? '',
    source: one.get('S') === 'source', requires, provides, conflicts, files,
  };
}

export function isDirectory(file: RpmFile): boolean {
  return (file.mode & S_IFMT) === S_IFDIR;
}

/** `name-[epoch:]version-release.arch`, the form dnf accepts to name exactly this build. */
export function nevra(h: Pick<RpmHeader, 'name' | 'epoch' | 'version' | 'release' | 'arch'>): string {
  return `${h.name}-${h.epoch ? `${h.epoch}:` : ''}${h.version}-${h.release}.${h.arch}`;
}
