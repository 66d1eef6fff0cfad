import type { Readable } from 'node:stream';
import { crc32 } from './crc32.js';

/**
 * A decoder of subunit v2, the binary stream stestr, testr and tempest write (the format is
 * specified in the README of testing-cabal/subunit, "Version 2"). No maintained npm parser
 * exists, so this follows the specification:
 *
 *   PACKET := SIGNATURE FLAGS PACKET_LENGTH TIMESTAMP? TESTID? TAGS? MIME? FILECONTENT?
 *             ROUTING_CODE? CRC32
 *
 * SIGNATURE is 0xB3; FLAGS 16 bits, network order, version 2 in the top four; numbers are
 * variable-length (the top two bits of the first byte give 1-4 bytes); PACKET_LENGTH counts
 * the whole packet, at most 4 MiB, encoded in at most 3 bytes; CRC32 (zlib's) covers
 * everything before it. Bytes between packets (a stream embedded in other output) are
 * skipped; a packet with a bad checksum is reported and the decoder resynchronises on the
 * next signature byte.
 */
export type SubunitStatus = 'exists' | 'inprogress' | 'success' | 'uxsuccess' | 'skip' | 'fail' | 'xfail';

export interface SubunitPacket {
  readonly testId?: string;
  readonly status?: SubunitStatus;
  /** Milliseconds since the Unix epoch. */
  readonly timestamp?: number;
  readonly tags?: readonly string[];
  readonly mimeType?: string;
  readonly fileName?: string;
  readonly fileContent?: Uint8Array;
  readonly eof: boolean;
  readonly runnable: boolean;
  readonly routeCode?: string;
}

export const SIGNATURE = 0xb3;
export const FLAG = {
  testId: 0x0800,
  routeCode: 0x0400,
  timestamp: 0x0200,
  runnable: 0x0100,
  tags: 0x0080,
  fileContent: 0x0040,
  mimeType: 0x0020,
  eof: 0x0010,
} as const;
export const STATUSES: readonly (SubunitStatus | undefined)[] = [undefined, 'exists', 'inprogress', 'success', 'uxsuccess', 'skip', 'fail', 'xfail'];
export const MAX_PACKET_BYTES = 4 * 1024 * 1024 - 1;

class PacketError extends Error {}

/** Reads `bytes` as a variable-length number at `pos`: [value, bytes used]. */
export function readNumber(bytes: Uint8Array, pos: number, end = bytes.length): [number, number] {
  if (pos >= end) throw new PacketError('a number runs past the end of the packet');
  const first = bytes[pos] as number;
  const size = (first >> 6) + 1;
  if (pos + size > end) throw new PacketError('a number runs past the end of the packet');
  let value = first & 0x3f;
  for (let i = 1; i < size; i++) value = value * 256 + (bytes[pos + i] as number);
  return [value, size];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class SubunitDecoder {
  /** Problems met so far: bad checksums, unknown versions, truncated packets. */
  readonly problems: string[] = [];
  /** Bytes that were not part of any packet (text the stream was embedded in). */
  skippedBytes = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** Offset of `pending` in the whole stream, for problems to name a position. */
  private offset = 0;

  constructor(private readonly onPacket: (p: SubunitPacket) => void) {}

  write(chunk: Uint8Array): void {
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    this.drain();
  }

  end(): void {
    if (this.pending.length > 0) {
      if (this.pending[0] === SIGNATURE) this.problems.push(`byte ${this.offset}: the stream ends inside a packet`);
      else this.skippedBytes += this.pending.length;
      this.consume(this.pending.length);
    }
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const start = this.pending.indexOf(SIGNATURE);
      if (start !== 0) {
        const skip = start === -1 ? this.pending.length : start;
        this.skippedBytes += skip;
        this.consume(skip);
        continue;
      }
      if (this.pending.length < 4) return;
      const flags = this.pending.readUInt16BE(1);
      const version = flags >> 12;
      const lengthSize = ((this.pending[3] as number) >> 6) + 1;
      if (this.pending.length < 3 + lengthSize) return;
      const [length] = readNumber(this.pending, 3);
      if (version !== 2 || lengthSize > 3 || length > MAX_PACKET_BYTES || length < 3 + lengthSize + 4) {
        this.problems.push(`byte ${this.offset}: ${version !== 2 ? `a packet of version ${version}, not 2` : `an impossible packet length ${length}`}; skipped`);
        this.skippedBytes++;
        this.consume(1);
        continue;
      }
      if (this.pending.length < length) return;
      const stored = this.pending.readUInt32BE(length - 4);
      const computed = crc32(this.pending, 0, length - 4);
      if (stored !== computed) {
        // The length itself may be the corrupt part: look for the next packet from the next byte.
        this.problems.push(`byte ${this.offset}: bad checksum (computed 0x${computed.toString(16)}, stored 0x${stored.toString(16)}); skipped`);
        this.skippedBytes++;
        this.consume(1);
        continue;
      }
      try {
        this.onPacket(decodeBody(this.pending, flags, 3 + lengthSize, length - 4));
      } catch (e) {
        if (!(e instanceof PacketError)) throw e;
        this.problems.push(`byte ${this.offset}: ${e.message}; packet skipped`);
      }
      this.consume(length);
    }
  }

  private consume(count: number): void {
    this.pending = this.pending.subarray(count);
    this.offset += count;
  }
}

function decodeBody(bytes: Uint8Array, flags: number, from: number, end: number): SubunitPacket {
  let pos = from;
  const number = (): number => {
    const [value, size] = readNumber(bytes, pos, end);
    pos += size;
    return value;
  };
  const take = (count: number): Uint8Array => {
    if (pos + count > end) throw new PacketError(`a field claims ${count} bytes, past the end of the packet`);
    const out = bytes.subarray(pos, pos + count);
    pos += count;
    return out;
  };
  const string = (): string => {
    const raw = take(number());
    if (raw.includes(0)) throw new PacketError('a string contains a NUL byte');
    try {
      return utf8.decode(raw);
    } catch {
      throw new PacketError('a string is not UTF-8');
    }
  };
  let timestamp: number | undefined;
  if (flags & FLAG.timestamp) {
    const seconds = Buffer.from(take(4)).readUInt32BE(0);
    timestamp = seconds * 1000 + number() / 1e6;
  }
  const testId = flags & FLAG.testId ? string() : undefined;
  let tags: string[] | undefined;
  if (flags & FLAG.tags) {
    const count = number();
    tags = [];
    for (let i = 0; i < count; i++) tags.push(string());
  }
  const mimeType = flags & FLAG.mimeType ? string() : undefined;
  let fileName: string | undefined;
  let fileContent: Uint8Array | undefined;
  if (flags & FLAG.fileContent) {
    fileName = string();
    fileContent = take(number()).slice();
  }
  const routeCode = flags & FLAG.routeCode ? string() : undefined;
  if (pos !== end) throw new PacketError(`${end - pos} bytes left over after the fields its flags announce`);
  return {
    ...(testId !== undefined ? { testId } : {}),
    ...(STATUSES[flags & 0x7] !== undefined ? { status: STATUSES[flags & 0x7] } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(mimeType !== undefined ? { mimeType } : {}),
    ...(fileName !== undefined ? { fileName } : {}),
    ...(fileContent !== undefined ? { fileContent } : {}),
    ...(routeCode !== undefined ? { routeCode } : {}),
    eof: (flags & FLAG.eof) !== 0,
    runnable: (flags & FLAG.runnable) !== 0,
  };
}

/** Every packet of a stream held in memory. */
export function decodeSubunit(bytes: Uint8Array): { packets: SubunitPacket[]; problems: string[]; skippedBytes: number } {
  const packets: SubunitPacket[] = [];
  const decoder = new SubunitDecoder((p) => packets.push(p));
  decoder.write(bytes);
  decoder.end();
  return { packets, problems: decoder.problems, skippedBytes: decoder.skippedBytes };
}

/** Feeds a byte stream to `onPacket`, packet by packet, holding at most one packet in memory. */
export async function decodeSubunitStream(input: Readable, onPacket: (p: SubunitPacket) => void): Promise<{ problems: string[]; skippedBytes: number }> {
  const decoder = new SubunitDecoder(onPacket);
  for await (const chunk of input) decoder.write(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  decoder.end();
  return { problems: decoder.problems, skippedBytes: decoder.skippedBytes };
}
