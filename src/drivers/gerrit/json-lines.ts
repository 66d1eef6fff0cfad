/**
 * Splits a byte stream into lines, whatever the chunking. A line longer than `maxBytes` is
 * dropped (reported through `onOverlong`) rather than buffered without end: one event of
 * Gerrit's is a few kilobytes, so a megabyte-long line is a broken or hostile peer.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxBytes = 1024 * 1024,
    private readonly onOverlong: (bytes: number) => void = () => undefined,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.take(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  private take(piece: Buffer): void {
    if (this.skipping) {
      this.held += piece.length;
      return;
    }
    this.parts.push(piece);
    this.held += piece.length;
    if (this.held > this.maxBytes) {
      this.parts = [];
      this.skipping = true;
    }
  }

  private flush(): void {
    if (this.skipping) this.onOverlong(this.held);
    else if (this.held > 0) this.onLine(Buffer.concat(this.parts).toString('utf8').replace(/\r$/, ''));
    this.parts = [];
    this.held = 0;
    this.skipping = false;
  }
}
