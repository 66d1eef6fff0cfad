import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isSafeName } from '../../core/names.js';
import { sha256File } from '../rpm/repository.js';
import { runTool, type ToolOptions } from '../rpm/run-tool.js';
import { rsyncTree } from './tree-copy.js';
import { assertRunId, parseTarget } from './tree-layout.js';

export interface StageRpm {
  /** A fetched RPM on disk. */
  readonly path: string;
  /** What phase2 tested (from the store): the file must still have exactly this content. */
  readonly sha256: string;
  /** The build's `tag:` sub-directory of the target's repository, if any. */
  readonly subdir?: string;
}

export interface ComposeStageRequest {
  readonly stageRoot: string;
  /** `release/dist`, e.g. `kilo/epel-7`. */
  readonly target: string;
  /** The target's production repository now (`currentTree`), or null when it has none yet. */
  readonly productionTree: string | null;
  readonly rpms: readonly StageRpm[];
  readonly runId: string;
  /**
   * Signs the new RPMs in place (absolute paths inside the stage tree), after they are
   * verified and before the repository metadata is made: e.g. `runSignHook`. Only copies
   * are passed, never a file shared with production.
   */
  readonly sign?: (files: readonly string[]) => Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;
  readonly tool?: ToolOptions;
}

/** Why a stage was refused: each names the file. `checksum` and `collision` are the update's fault. */
export interface StageProblem {
  readonly kind: 'missing' | 'checksum' | 'name' | 'duplicate' | 'collision' | 'sign';
  readonly file: string;
  readonly expected?: string;
  readonly actual?: string;
  readonly message: string;
}

export type ComposeStageResult =
  | {
    readonly ok: true;
    /** `<stageRoot>/<runId>/<release>/<dist>`: production's files plus the new ones, with repodata/. */
    readonly path: string;
    /** The RPMs of the request, relative to the tree (`temp-liberty/x-1-1.el7.noarch.rpm`), sorted. */
    readonly files: readonly string[];
    /** Their SHA-256 as placed in the tree: after signing, no longer what was tested. */
    readonly sha256: Readonly<Record<string, string>>;
  }
  | { readonly ok: false; readonly problems: readonly StageProblem[] };

/** RPM file names become lines of `pushed/<id>.yml.files` and path segments: no separators, no newlines. */
const RPM_FILE = /^[A-Za-z0-9_+][A-Za-z0-9._+~^-]*\.rpm$/;

/** Where a run's stage tree of a target lives. */
export function stagePath(stageRoot: string, runId: string, target: string): string {
  assertRunId(runId);
  const t = parseTarget(target);
  return join(resolve(stageRoot), runId, t.release, t.dist);
}

/**
 * Builds the stage tree of one target: production's current tree (hard links, so nothing is
 * duplicated, and its repodata/ as a real copy so createrepo_c can update it) plus the new
 * RPMs, then createrepo_c. What was tested is what gets promoted (DESIGN.md): every file's
 * SHA-256 is checked against the one phase2 tested before anything is copied, and again on
 * the copy; any difference refuses the whole stage. A file already in production with the
 * same content is kept; with different content it is refused (the RDO push's collision check).
 * Built under a temporary name and renamed into place: running again rebuilds it.
 */
export async function composeStage(req: ComposeStageRequest): Promise<ComposeStageResult> {
  const path = stagePath(req.stageRoot, req.runId, req.target);
  const production = req.productionTree === null ? null : await realpath(req.productionTree);
  const checked = await check(req.rpms, production);
  if (!checked.ok) return checked;

  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(temp);
    if (production !== null) await copyProduction(production, temp, req.tool);
    const added: string[] = [];
    for (const f of checked.files.filter((x) => !x.present)) {
      const dest = join(temp, f.rel);
      await mkdir(dirname(dest), { recursive: true });
      // A real copy: signing rewrites it, and the fetched file may be replaced later.
      await copyFile(f.source, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      const actual = await sha256File(dest);
      if (actual !== f.sha256) return { ok: false, problems: [checksumProblem(f.source, f.sha256, actual, 'changed while being copied')] };
      added.push(dest);
    }
    if (added.length > 0 && req.sign) {
      const signed = await req.sign(added);
      if (!signed.ok) return { ok: false, problems: [{ kind: 'sign', file: added.join(', '), message: `signing failed: ${signed.reason}` }] };
    }
    await createrepo(temp, req.tool);
    const sha256: Record<string, string> = {};
    for (const f of checked.files) sha256[f.rel] = f.present ? f.sha256 : await sha256File(join(temp, f.rel));
    await rm(path, { recursive: true, force: true, maxRetries: 3 });
    await rename(temp, path);
    return { ok: true, path, files: checked.files.map((f) => f.rel), sha256 };
  } finally {
    await rm(temp, { recursive: true, force: true, maxRetries: 3 });
  }
}

interface Checked { readonly source: string; readonly rel: string; readonly sha256: string; readonly present: boolean }

/** Every refusal is found before the first copy: a refused stage leaves no trace. */
async function check(rpms: readonly StageRpm[], production: string | null): Promise<{ ok: true; files: Checked[] } | { ok: false; problems: StageProblem[] }> {
  const problems: StageProblem[] = [];
  const byRel = new Map<string, Checked>();
  for (const rpm of rpms) {
    const name = basename(rpm.path);
    if (!RPM_FILE.test(name) || (rpm.subdir !== undefined && !isSafeName(rpm.subdir))) {
      problems.push({ kind: 'name', file: rpm.path, message: `${rpm.path}: not a file name Sluice publishes (an RPM name, in a sub-directory named like a tag)` });
      continue;
    }
    const actual = await sha256File(rpm.path).catch(() => undefined);
    if (actual === undefined) {
      problems.push({ kind: 'missing', file: rpm.path, message: `${rpm.path}: cannot be read` });
      continue;
    }
    const expected = rpm.sha256.toLowerCase();
    if (actual !== expected) {
      problems.push(checksumProblem(rpm.path, expected, actual, 'is not what was tested'));
      continue;
    }
    const rel = rpm.subdir === undefined ? name : `${rpm.subdir}/${name}`;
    const seen = byRel.get(rel);
    if (seen && seen.sha256 !== actual) {
      problems.push({ kind: 'duplicate', file: rel, message: `${rel}: two different files want this name (${seen.source} and ${rpm.path})` });
      continue;
    }
    let present = false;
    const existing = production === null ? undefined : await lstat(join(production, rel)).catch(() => undefined);
    if (production !== null && existing !== undefined) {
      const there = existing.isFile() ? await sha256File(join(production, rel)) : 'not a regular file';
      if (there !== actual) {
        problems.push({ kind: 'collision', file: rel, expected: actual, actual: there, message: `${rel}: already in production with different content (sha256 ${there}, this build's is ${actual})` });
        continue;
      }
      present = true;
    }
    byRel.set(rel, { source: rpm.path, rel, sha256: actual, present });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, files: [...byRel.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)) };
}

function checksumProblem(file: string, expected: string, actual: string, why: string): StageProblem {
  return { kind: 'checksum', file, expected, actual, message: `${file} ${why}: sha256 ${actual}, phase2 tested ${expected}` };
}

/**
 * Production's files as hard links, except repodata/: createrepo_c replaces it, and a link
 * would let any tool writing in place write into production.
 */
async function copyProduction(production: string, temp: string, tool: ToolOptions | undefined): Promise<void> {
  const run = await runTool('rsync', ['-a', '--exclude=/repodata/', `--link-dest=${production}`, '--', `${production}/`, `${temp}/`], tool);
  if (run.kind !== 'exited' || run.code !== 0) {
    throw new Error(`copying ${production} to the stage failed (${run.kind === 'exited' ? `exit ${run.code}` : run.message}): ${run.stderr.trim()}`);
  }
  if (await lstat(join(production, 'repodata')).then((s) => s.isDirectory(), () => false)) {
    await rsyncTree(join(production, 'repodata'), join(temp, 'repodata'), null, tool);
  }
}

/** `--update` reuses production's metadata for the RPMs it already lists: thousands of headers not read again. */
async function createrepo(dir: string, tool: ToolOptions | undefined): Promise<void> {
  const update = await lstat(join(dir, 'repodata', 'repomd.xml')).then(() => true, () => false);
  const run = await runTool('createrepo_c', ['--quiet', ...(update ? ['--update'] : []), '--', dir], tool);
  if (run.kind !== 'exited' || run.code !== 0) {
    throw new Error(`createrepo_c failed (${run.kind === 'exited' ? `exit ${run.code}` : run.message}): ${run.stderr.trim()}`);
  }
}

/** Deletes a run's stage trees once they are published or abandoned. */
export async function removeStage(stageRoot: string, runId: string): Promise<void> {
  assertRunId(runId);
  await rm(join(resolve(stageRoot), runId), { recursive: true, force: true, maxRetries: 3 });
}
