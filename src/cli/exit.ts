/** Exit statuses, a contract with scripts (DESIGN.md "The command line"). */
export const EXIT = { ok: 0, failed: 1, usage: 2, error: 3 } as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by a command to stop with a message and a status; main() prints it without a stack. */
export class CliExit extends Error {
  constructor(readonly status: ExitStatus, message: string, readonly code: string) {
    super(message);
  }
}
