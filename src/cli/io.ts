import { readFileSync } from 'node:fs';

/** What a command may touch of the outside world; tests pass their own to run commands in-process. */
export interface Io {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTTY: boolean;
  out(text: string): void;
  err(text: string): void;
  readStdin(): Uint8Array;
  now(): number;
}

export const processIo: Io = {
  cwd: process.cwd(),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
  readStdin: () => readFileSync(0),
  now: () => Date.now(),
};
