import { shellQuote } from '../providers/ssh/shell-quote.js';

/**
 * The command lines that reach a remote mirror (docs/promote.md, "Remote mirrors"): the
 * system `ssh` client and `rsync` over it, each given an argument vector, never a local
 * shell. Only two strings are parsed by someone else, and both are built here: the `-e`
 * option rsync splits into ssh's arguments, and the remote command ssh hands to the
 * mirror user's shell (a fixed script; every value a quoted argument of it).
 */

/** A mirror as the driver takes it: `promote.mirrors` with its files resolved against the configuration's directory. */
export interface MirrorHost {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The mirror's production root on the remote host (absolute). */
  readonly path: string;
  readonly keyFile?: string;
  readonly knownHostsFile?: string;
}

/** Characters ssh's option parser or rsync's `-e` splitter would read as something else than a path. */
const UNSAFE_LOCAL_PATH = /["'\\%\0\n\r]/;

/** Refuses what would reach a command line in a meaning other than its own; names the mirror and the field. */
export function checkMirror(m: MirrorHost): void {
  const bad = (field: string, why: string) => new Error(`promote.mirrors ${JSON.stringify(m.name)}: ${field}: ${why}`);
  if (!/^(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])$/.test(m.host)) throw bad('host', `${JSON.stringify(m.host)} is not a host name or an address`);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(m.user)) throw bad('user', `${JSON.stringify(m.user)} is not a user name`);
  if (!Number.isInteger(m.port) || m.port < 1 || m.port > 65535) throw bad('port', `${m.port} is not a port`);
  if (!m.path.startsWith('/') || m.path === '/' || /[\0\n\r]/.test(m.path) || m.path.split('/').some((p) => p === '..' || p === '.')) {
    throw bad('path', `${JSON.stringify(m.path)} must be an absolute directory other than /, without . or .. parts`);
  }
  for (const [field, value] of [['key_file', m.keyFile], ['known_hosts_file', m.knownHostsFile]] as const) {
    if (value !== undefined && (!value.startsWith('/') || UNSAFE_LOCAL_PATH.test(value))) {
      throw bad(field, `${JSON.stringify(value)}: a path without quotes, backslashes or %, which ssh would read as syntax`);
    }
  }
}

/** ssh's host argument: an IPv6 address without the brackets rsync's `user@[addr]:path` needs. */
const sshHost = (m: MirrorHost) => m.host.replace(/^\[(.*)\]$/, '$1');

/**
 * ssh's options for a mirror, as separate arguments: its key only, the host key checked
 * against the known hosts file (never accepted on first sight), no prompt ever. The known
 * hosts file is a config-style value, which ssh splits at spaces: it is double-quoted.
 */
export function sshOptions(m: MirrorHost): string[] {
  checkMirror(m);
  return [
    '-p', String(m.port),
    ...(m.keyFile === undefined ? [] : ['-i', m.keyFile, '-o', 'IdentitiesOnly=yes']),
    ...(m.knownHostsFile === undefined ? [] : ['-o', `UserKnownHostsFile="${m.knownHostsFile}"`]),
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15',
    '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4', '-o', 'LogLevel=ERROR',
  ];
}

/** `ssh OPTIONS -l USER HOST -- COMMAND`: the argument vector for running one remote command. */
export function sshArgv(m: MirrorHost, remoteCommand: string): string[] {
  return [...sshOptions(m), '-l', m.user, '--', sshHost(m), remoteCommand];
}

/**
 * rsync's `-e` value: one string rsync splits at spaces, where single quotes keep a word
 * whole and a doubled single quote stands for one (rsync(1), `--rsh`); backslashes are not
 * special to it. Every word is quoted so, whatever it holds.
 */
export function rsyncRemoteShell(m: MirrorHost): string {
  return ['ssh', ...sshOptions(m)].map((w) => `'${w.replaceAll("'", "''")}'`).join(' ');
}

/**
 * `rsync -a --delete [--link-dest=../OLD] -e SSH -- LOCAL/ USER@HOST:REMOTE/`. The link-dest
 * is relative to the destination (a sibling tree: names of generation and run id, never a
 * space), so only the destination holds the configured path; rsync 3.2.4+ protects it from
 * the remote shell. Times are compared to the nanosecond, as for the local tree.
 */
export function rsyncUploadArgv(m: MirrorHost, localTree: string, remoteDir: string, linkDestName: string | null, opts: { checksum?: boolean } = {}): string[] {
  if (!localTree.startsWith('/') || !remoteDir.startsWith('/')) throw new Error('rsync to a mirror needs absolute paths');
  if (linkDestName !== null && !/^[A-Za-z0-9][A-Za-z0-9._:+-]*$/.test(linkDestName)) throw new Error(`not a tree name: ${JSON.stringify(linkDestName)}`);
  return [
    '-a', '--delete', '--modify-window=-1', ...(opts.checksum ? ['--checksum'] : []),
    ...(linkDestName === null ? [] : [`--link-dest=../${linkDestName}`]),
    '-e', rsyncRemoteShell(m), '--', `${localTree}/`, `${m.user}@${m.host}:${remoteDir}/`,
  ];
}

/** The remote command ssh passes to the mirror user's shell: the fixed script, and each argument quoted. */
export function remoteScript(op: MirrorOp, root: string, args: readonly string[]): string {
  return `/bin/sh -c ${shellQuote(MIRROR_SCRIPT)} sluice-mirror ${[op, root, ...args].map(shellQuote).join(' ')}`;
}

export type MirrorOp = 'inspect' | 'prepare' | 'seal' | 'swap' | 'remove';

/**
 * What runs on a mirror, in POSIX sh. Its arguments are targets (`release/dist`, checked
 * names) and tree names (generation and run id), which Sluice checked before; the root is
 * only ever used quoted. The layout is the local production's: `ROOT/.trees/R/D/TREE`, and
 * `ROOT/R/D` a relative link to one of them.
 *
 *   inspect ROOT R/D...        LINK R/D TEXT|- and TREE R/D NAME lines (what the host shows and keeps)
 *   prepare ROOT R/D...        makes .trees/R/D, deletes unfinished uploads (.tmp-*) there
 *   seal ROOT R/D TEMP NAME    checks TEMP against the SHA-256 list on stdin, syncs it, renames it NAME
 *   swap ROOT R/D NAME|- ...   points each link at its tree (or removes it), one rename each: SWAPPED R/D
 *   remove ROOT R/D NAME...    deletes trees no link points at
 */
export const MIRROR_SCRIPT = `set -u
op=$1; root=$2; shift 2
fail() { echo "ERROR $*"; exit 3; }
[ -d "$root" ] || mkdir -p -- "$root" || fail "cannot make $root"
case $op in
inspect)
  for t in "$@"; do
    l="$root/$t"
    if [ -L "$l" ]; then echo "LINK $t $(readlink -- "$l")"; elif [ -e "$l" ]; then echo "LINK $t !"; else echo "LINK $t -"; fi
    if [ -d "$root/.trees/$t" ]; then for n in $(ls -1 -- "$root/.trees/$t"); do echo "TREE $t $n"; done; fi
  done ;;
prepare)
  for t in "$@"; do
    mkdir -p -- "$root/.trees/$t" || fail "cannot make $root/.trees/$t"
    for n in $(ls -1A -- "$root/.trees/$t"); do case $n in .tmp-*) rm -rf -- "$root/.trees/$t/$n" ;; esac; done
  done ;;
seal)
  t=$1; tmp=$2; name=$3; d="$root/.trees/$t"
  out=$(cd -- "$d/$tmp" && LC_ALL=C sha256sum --quiet --strict -c - 2>&1) || { printf '%s\\n' "$out" | sed -n 's/^\\(.*\\): FAILED.*$/BAD \\1/p'; echo "ERROR $t: files differ from the local tree"; exit 4; }
  sync -f -- "$d/$tmp" 2>/dev/null || sync
  if [ -e "$d/$name" ]; then mv -T -- "$d/$name" "$d/.tmp-$name-stale-$$" && rm -rf -- "$d/.tmp-$name-stale-$$"; fi
  mv -T -- "$d/$tmp" "$d/$name" || fail "cannot rename $tmp to $name"
  sync -- "$d" 2>/dev/null || true
  echo "SEALED $t $name" ;;
swap)
  echo BEGIN
  while [ $# -ge 2 ]; do
    t=$1; n=$2; shift 2
    l="$root/$t"; dir=\${l%/*}; base=\${l##*/}
    if [ -e "$l" ] && [ ! -L "$l" ]; then fail "$l is not a link: move it aside by hand"; fi
    if [ "$n" = - ]; then
      rm -f -- "$l" || fail "cannot remove $l"
    else
      [ -d "$root/.trees/$t/$n" ] || fail "$root/.trees/$t/$n is missing"
      mkdir -p -- "$dir" || fail "cannot make $dir"
      tmp="$dir/.$base.sluice-swap-$$"
      rm -f -- "$tmp" && ln -s -- "../.trees/$t/$n" "$tmp" && mv -T -- "$tmp" "$l" || { rm -f -- "$tmp"; fail "cannot swap $l"; }
    fi
    sync -- "$dir" 2>/dev/null || true
    echo "SWAPPED $t $n"
  done ;;
remove)
  t=$1; shift
  cur=$(readlink -- "$root/$t" 2>/dev/null || true)
  for n in "$@"; do
    [ "$cur" = "../.trees/$t/$n" ] && continue
    [ -d "$root/.trees/$t/$n" ] || continue
    mv -T -- "$root/.trees/$t/$n" "$root/.trees/$t/.tmp-$n-deleting-$$" && rm -rf -- "$root/.trees/$t/.tmp-$n-deleting-$$" && echo "REMOVED $t $n"
  done ;;
*) fail "unknown operation $op" ;;
esac
exit 0
`;
