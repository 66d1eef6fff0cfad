import { randomBytes } from 'node:crypto';
import { join, posix } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import { shellQuote } from '../providers/ssh/shell-quote.js';
import { run, sftpMkdirs, sftpWrite } from '../providers/ssh/ssh-session.js';
import { checksumList, type TreeManifest } from './tree-manifest.js';

/**
 * How the inputs of a job reach a node that cannot see the worker's disk (docs/providers.md,
 * "What a node receives"). Everything travels over the job's own SSH connection, by SFTP:
 * a cloud node often cannot reach the worker, but the worker always reaches the node.
 *
 * On the node, under `<cache>`:
 *   blobs/<sha256>         each file once, by content, written under a temporary name and renamed
 *   lists/<digest>.sha256  a tree's checksum list (`sha256sum -c` format)
 *   trees/<digest>/        the tree, hard links to its blobs, renamed into place when complete
 * A tree already there costs one stat; a blob already there is not sent again. Before every
 * job the node checks each file of each tree against its SHA-256: a mismatch removes the
 * tree and its blobs (so a retry sends them again) and the job ends `infra`.
 */

/** The marker a complete tree holds: its own checksum list. */
export const TREE_LIST = '.sluice-sha256';

export interface TreeToDeliver {
  /** The environment variable that names it for the test command, e.g. SLUICE_UPDATE_REPO. */
  readonly variable: string;
  readonly localDir: string;
  readonly manifest: TreeManifest;
}

export interface DeliveryReport {
  /** Variable -> the tree's path on the node. */
  readonly paths: Readonly<Record<string, string>>;
  readonly filesSent: number;
  readonly bytesSent: number;
  /** Trees that were on the node already (nothing sent for them). */
  readonly present: number;
}

export type Verified = { readonly ok: true; readonly log: string } | { readonly ok: false; readonly reason: string; readonly log: string };

const treePath = (cache: string, digest: string) => posix.join(cache, 'trees', digest);

function sftpStat(sftp: SFTPWrapper, path: string): Promise<{ size: number } | undefined> {
  return new Promise((resolve) => sftp.stat(path, (err, st) => resolve(err ? undefined : { size: st.size })));
}

function sftpPut(sftp: SFTPWrapper, local: string, remote: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastPut(local, remote, { concurrency: 16, chunkSize: 64 * 1024, mode: 0o644 }, (err) => (err ? reject(err) : resolve())));
}

function sftpUnlink(sftp: SFTPWrapper, path: string): Promise<void> {
  return new Promise((resolve) => sftp.unlink(path, () => resolve()));
}

/** Renames over an existing name where the server allows it (OpenSSH's posix-rename); the other's content is the same. */
function sftpReplace(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fallback = () => sftp.rename(from, to, (err) => {
      if (!err) return resolve();
      // Another job's identical copy won the race: ours is not needed.
      sftpStat(sftp, to).then((st) => (st ? sftpUnlink(sftp, from).then(resolve) : reject(err)), reject);
    });
    try {
      sftp.ext_openssh_rename(from, to, (err) => (err ? fallback() : resolve()));
    } catch {
      fallback();
    }
  });
}

/** Runs `fn` over `items`, `width` at a time. */
async function each<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

/**
 * Sends what the node lacks of each tree: the blobs it does not hold and the tree's
 * checksum list. The trees themselves are assembled by `verifyOnNode`, on the node.
 */
export async function sendTrees(sftp: SFTPWrapper, cache: string, trees: readonly TreeToDeliver[]): Promise<DeliveryReport> {
  const paths: Record<string, string> = {};
  let filesSent = 0;
  let bytesSent = 0;
  let present = 0;
  const tag = randomBytes(6).toString('hex');
  await sftpMkdirs(sftp, cache, ['blobs', 'lists', 'trees']);
  for (const tree of trees) {
    const where = treePath(cache, tree.manifest.digest);
    paths[tree.variable] = where;
    if (await sftpStat(sftp, posix.join(where, TREE_LIST))) { present++; continue; }
    const bySha = new Map(tree.manifest.entries.map((e) => [e.sha256, e]));
    await each([...bySha.values()], 4, async (e) => {
      const blob = posix.join(cache, 'blobs', e.sha256);
      const there = await sftpStat(sftp, blob);
      if (there && there.size === e.size) return;
      const temp = posix.join(cache, 'blobs', `.tmp-${e.sha256.slice(0, 16)}-${tag}`);
      await sftpPut(sftp, join(tree.localDir, ...e.path.split('/')), temp);
      await sftpReplace(sftp, temp, blob);
      filesSent++;
      bytesSent += e.size;
    });
    const list = posix.join(cache, 'lists', `${tree.manifest.digest}.sha256`);
    const temp = `${list}.tmp-${tag}`;
    await sftpWrite(sftp, temp, checksumList(tree.manifest));
    await sftpReplace(sftp, temp, list);
  }
  return { paths, filesSent, bytesSent, present };
}

/**
 * The node's side, one shell for every tree of the job: assembles a tree that is not there
 * yet from its blobs (in a temporary directory renamed into place), then checks every file
 * of every tree with sha256sum. Paths come from the checksum list, which Sluice wrote from
 * names it checked (treeManifest), and are only ever used quoted.
 */
export const NODE_VERIFY_SCRIPT = `set -u
cache=$1; shift
status=0
for d in "$@"; do
  t="$cache/trees/$d"
  list="$cache/lists/$d.sha256"
  if [ ! -f "$t/${TREE_LIST}" ]; then
    tmp="$cache/trees/.tmp-$d-$$"
    rm -rf "$tmp" && mkdir -p "$tmp" || exit 4
    while IFS= read -r line; do
      sha=\${line%%  *}; p=\${line#*  }
      mkdir -p "$tmp/$(dirname -- "$p")" && ln -f -- "$cache/blobs/$sha" "$tmp/$p" || { echo "MISSING $p"; status=3; }
    done < "$list"
    cp -- "$list" "$tmp/${TREE_LIST}" || exit 4
    if [ "$status" = 0 ]; then mv -T -- "$tmp" "$t" 2>/dev/null || rm -rf "$tmp"; else rm -rf "$tmp"; exit $status; fi
  fi
  if [ ! -s "$t/${TREE_LIST}" ]; then
    echo "VERIFIED $d"
  elif out=$(cd "$t" && LC_ALL=C sha256sum --quiet --strict -c ${TREE_LIST} 2>&1); then
    echo "VERIFIED $d"
  else
    printf '%s\\n' "$out" | sed -n 's/^\\(.*\\): FAILED.*$/BAD \\1/p'
    printf '%s\\n' "$out" | sed -n 's/^sha256sum: \\(.*\\): No such file.*$/BAD \\1/p'
    while IFS= read -r line; do rm -f -- "$cache/blobs/\${line%%  *}"; done < "$t/${TREE_LIST}"
    rm -rf -- "$t"
    status=3
  fi
done
exit $status
`;

/**
 * Assembles and checks the job's trees on the node. A file that does not match its
 * SHA-256 (damaged in transit, on the node's disk, or changed by someone) makes the job
 * `infra`: never a failure of the update, and never a pass.
 */
export async function verifyOnNode(client: Client, cache: string, trees: readonly TreeToDeliver[], node: string): Promise<Verified> {
  if (trees.length === 0) return { ok: true, log: '' };
  const digests = trees.map((t) => t.manifest.digest);
  const command = `/bin/sh -c ${shellQuote(NODE_VERIFY_SCRIPT)} sluice-verify ${[cache, ...digests].map(shellQuote).join(' ')}`;
  const r = await run(client, command);
  const lines = r.output.split('\n').filter((l) => l !== '');
  const log = trees.map((t) => {
    const verified = lines.includes(`VERIFIED ${t.manifest.digest}`);
    return `== ${t.variable}: ${t.manifest.entries.length} files, ${t.manifest.bytes} bytes, sha256 of each ${verified ? 'checked on the node' : 'NOT verified'} (${treePath(cache, t.manifest.digest)})`;
  }).join('\n');
  if (r.code === 0) return { ok: true, log };
  const bad = lines.filter((l) => l.startsWith('BAD ') || l.startsWith('MISSING ')).map((l) => l.replace(/^\w+ /, ''));
  const which = bad.length > 0 ? `${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}` : (lines.at(-1) ?? `exit ${String(r.code)}`);
  return { ok: false, reason: `delivered files do not match their SHA-256 on ${node}: ${which} (removed; a retry sends them again)`, log };
}
