/**
 * Signatures of infrastructure failures: the node, the network or a mirror failed, not the
 * update. Plain data, like the excerpt's pattern sets, so configuration can later supply its
 * own. `certain` signatures say the machine itself went away or ran out of something;
 * `likely` ones (DNS, a mirror's 5xx, a reset connection) could also be what a test
 * provokes on purpose, so they count only when no test failed (infra.ts).
 */
export type InfraCertainty = 'certain' | 'likely';

export interface InfraRule {
  readonly name: string;
  /** A JavaScript regular expression source, matched anywhere in the line. */
  readonly pattern: string;
  readonly ignoreCase?: boolean;
  readonly certainty: InfraCertainty;
  /** What to tell a person: shown as the job's reason. */
  readonly description: string;
}

export const DEFAULT_INFRA_RULES: readonly InfraRule[] = [
  {
    name: 'node-unreachable',
    pattern: String.raw`ssh: connect to host \S+ port \d+: (?:Connection refused|Connection timed out|No route to host|Network is unreachable)|Connection to \S+ closed by remote host|client_loop: send disconnect|packet_write_wait: Connection to|\bUNREACHABLE!|RESULT_UNREACHABLE|waiting for privilege escalation prompt|rsync error: .*\(code 255\)|rsync: connection unexpectedly closed`,
    certainty: 'certain',
    description: 'the node could not be reached, or the connection to it broke',
  },
  {
    name: 'out-of-memory',
    pattern: String.raw`invoked oom-killer|Out of memory: Kill(?:ed)? process|\boom-kill:`,
    certainty: 'certain',
    description: 'the node ran out of memory (the kernel OOM killer ran)',
  },
  {
    name: 'disk-full',
    pattern: String.raw`No space left on device|Disk quota exceeded`,
    certainty: 'certain',
    description: 'the node ran out of disk space',
  },
  {
    name: 'kernel-panic',
    pattern: String.raw`Kernel panic - not syncing`,
    certainty: 'certain',
    description: 'the node\'s kernel panicked',
  },
  {
    name: 'no-capacity',
    pattern: String.raw`No valid host was found|Quota exceeded for (?:instances|cores|ram)|InsufficientInstanceCapacity|Insufficient capacity`,
    certainty: 'certain',
    description: 'the cloud had no capacity for the node',
  },
  {
    name: 'dns',
    pattern: String.raw`Could not resolve host|Temporary failure in name resolution|Name or service not known|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|Could not resolve hostname`,
    certainty: 'likely',
    description: 'a host name could not be resolved (DNS)',
  },
  {
    name: 'mirror-unavailable',
    pattern: String.raw`(?:HTTP Error|HTTP/\d(?:\.\d)?|[Ss]tatus code:?|returned error:|Error) 50[234]\b|\b50[234] (?:Bad Gateway|Service (?:Temporarily )?Unavailable|Gateway Time-?out)\b|No more mirrors to try|Cannot retrieve repository metadata|Failed to download metadata for repo|Hash Sum mismatch|Mirror sync in progress`,
    certainty: 'likely',
    description: 'a package mirror or download server failed (HTTP 5xx, bad metadata)',
  },
  {
    name: 'network-broken',
    pattern: String.raw`Connection reset by peer|The remote end hung up unexpectedly|Could not read from remote repository|Recv failure: Connection|ReadTimeoutError|ConnectTimeoutError|Failed to connect to \S+ port \d+|Operation timed out after \d+ milliseconds|No route to host|Network is unreachable`,
    certainty: 'likely',
    description: 'a network connection failed or timed out',
  },
  {
    name: 'cannot-allocate-memory',
    pattern: String.raw`Cannot allocate memory`,
    certainty: 'likely',
    description: 'the node could not allocate memory',
  },
];
