import type { Store, StoredEvent } from '../store/index.js';

type Listener = (event: StoredEvent) => void;

const PAGE = 500;

/**
 * Tails the store's event log and fans each event out to the live pages and the metrics.
 * The store is the truth and this is one poll for all clients, however many: a browser
 * that misses an event (a reconnect) reloads its part of the page on the next one.
 */
export class EventHub {
  private readonly listeners = new Set<Listener>();
  private cursor = 0;
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private wakeUp: (() => void) | undefined;

  constructor(private readonly o: { store: Pick<Store, 'listEvents' | 'latestEventSeq'>; pollMs: number; log: (msg: string, err?: unknown) => void }) {}

  /** Starts at the end of the log (one indexed read, however long it is): only what happens from now on is fanned out. */
  async start(): Promise<void> {
    this.cursor = await this.o.store.latestEventSeq();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeUp?.();
    await this.loop;
    this.listeners.clear();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let page: StoredEvent[] = [];
      try {
        page = await this.o.store.listEvents({ afterSeq: this.cursor, limit: PAGE });
      } catch (e) {
        this.o.log('reading the event log failed; trying again', e);
      }
      for (const event of page) {
        this.cursor = event.seq;
        for (const l of this.listeners) {
          try { l(event); } catch (e) { this.o.log('an event listener failed', e); }
        }
      }
      if (page.length < PAGE) await this.sleep(this.o.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.wakeUp = undefined; resolve(); }, ms);
      this.wakeUp = () => { clearTimeout(timer); resolve(); };
    });
  }
}
