import { realpathSync } from 'node:fs';

// better-sqlite3 is synchronous: when a second connection in this process meets a
// held write lock, busy_timeout makes it sleep on the event-loop thread, so the
// transaction it waits for can never finish. Writers to one file from one process
// therefore queue here, in JavaScript, and only other processes meet busy_timeout.

export class WriteGate {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  async lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  unlock(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

interface Shared {
  gate: WriteGate;
  users: number;
}

const byFile = new Map<string, Shared>();

/** The gate shared by every connection of this process to `file`; `release` when closed. */
export function gateForFile(file: string): { gate: WriteGate; release: () => void } {
  if (file === ':memory:' || file === '') return { gate: new WriteGate(), release: () => {} };
  const key = realpathSync(file);
  const shared = byFile.get(key) ?? { gate: new WriteGate(), users: 0 };
  shared.users += 1;
  byFile.set(key, shared);
  let released = false;
  return {
    gate: shared.gate,
    release: () => {
      if (released) return;
      released = true;
      shared.users -= 1;
      if (shared.users === 0) byFile.delete(key);
    },
  };
}
