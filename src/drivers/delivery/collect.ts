import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, SFTPWrapper } from 'ssh2';
import type { DeliverySettings } from '../../core/config.js';
import { shellQuote } from '../providers/ssh/shell-quote.js';
import { openSftp, run } from '../providers/ssh/ssh-session.js';

/**
 * Lists the regular files the globs match on the node, with their sizes. The globs are
 * the operator's (`pipelines.<name>.collect`), expanded by the node's shell; each is
 * passed as one quoted argument and only expanded there, never spliced into the line.
 */
const LIST_SCRIPT = `for g in "$@"; do for f in $g; do [ -f "$f" ] && printf '%s\\t%s\\n' "$(stat -c %s -- "$f")" "$f"; done; done; true`;

/** The local name of a node's file: its path, flattened (`/var/log/nova/api.log` -> `var_log_nova_api.log`). */
export function collectedName(path: string): string {
  return path.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-200) || 'file';
}

function fetch(sftp: SFTPWrapper, remote: string, local: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.fastGet(remote, local, (err) => (err ? reject(err) : resolve())));
}

/**
 * Brings the node's own logs back beside the job log (`<job>/collected/`), pass or fail,
 * within `collectMaxBytes` in all: what does not fit is named in the log, not copied.
 * Best effort: a node that went away loses its logs, never the job's result.
 */
export async function collectFromNode(client: Client, settings: DeliverySettings, localDir: string, logPath: string): Promise<void> {
  if (settings.collect.length === 0) return;
  try {
    const listed = await run(client, `/bin/sh -c ${shellQuote(LIST_SCRIPT)} sluice-collect ${settings.collect.map(shellQuote).join(' ')}`);
    const files = listed.output.split('\n').map((l) => /^(\d+)\t(\/.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => ({ size: Number(m[1]), path: m[2] as string }));
    const seen = new Set<string>();
    let budget = settings.collectMaxBytes;
    const copied: string[] = [];
    const left: string[] = [];
    const dir = join(localDir, 'collected');
    mkdirSync(dir, { recursive: true });
    const sftp = await openSftp(client);
    try {
      for (const f of files) {
        if (seen.has(f.path)) continue;
        seen.add(f.path);
        if (f.size > budget) { left.push(`${f.path} (${f.size} bytes)`); continue; }
        await fetch(sftp, f.path, join(dir, collectedName(f.path)));
        budget -= f.size;
        copied.push(f.path);
      }
    } finally {
      sftp.end();
    }
    appendFileSync(logPath, `== collected from the node into collected/: ${copied.length === 0 ? 'nothing matched' : copied.join(', ')}\n`);
    if (left.length > 0) appendFileSync(logPath, `== not collected (over collect_max_mb): ${left.join(', ')}\n`);
  } catch (e) {
    appendFileSync(logPath, `== could not collect the node's files: ${(e as Error).message}\n`);
  }
}
