/**
 * cloud-init's `write-ssh-key-fingerprints` prints the server's public host keys to the
 * console between these lines (through `logger`, so each line may carry a prefix such as
 * `ec2: ` or a kernel timestamp). Types listed in `ssh_key_console_blacklist` are left out.
 */
const BEGIN = '-----BEGIN SSH HOST KEY KEYS-----';
const END = '-----END SSH HOST KEY KEYS-----';

const KEY = /(?:^|\s)((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,3})(?:\s|$)/;

export interface ConsoleHostKey {
  /** e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`. */
  readonly type: string;
  /** The key in SSH wire format, as a client sees it in the handshake. */
  readonly blob: Buffer;
}

/**
 * The host keys of the last complete block of the console log; none when no block is
 * complete yet (the log is read while the server boots, so a block may be half printed).
 * The last block counts because a server rebooted with new keys prints a new one.
 */
export function consoleHostKeys(console: string): ConsoleHostKey[] {
  const lines = console.split(/\r?\n/);
  let found: ConsoleHostKey[] = [];
  let block: ConsoleHostKey[] | undefined;
  for (const line of lines) {
    if (line.includes(BEGIN)) {
      block = [];
    } else if (line.includes(END)) {
      if (block && block.length > 0) found = block;
      block = undefined;
    } else if (block) {
      const m = KEY.exec(line);
      const blob = m ? Buffer.from(m[2] as string, 'base64') : undefined;
      // The blob starts with its own type name: a line that only looks like a key is not one.
      if (m && blob && keyTypeOf(blob) === m[1]) block.push({ type: m[1] as string, blob });
    }
  }
  return found;
}

function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : undefined;
}
