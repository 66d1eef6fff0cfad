import { createReadStream } from 'node:fs';
import { decodeSubunit, decodeSubunitStream, type SubunitPacket } from './subunit.js';
import { capMessage, MAX_MESSAGE_CHARS, type TestResult, type TestStatus } from './test-result.js';

/**
 * Per-test results from subunit v2 packets. A test's packets may be spread over the stream
 * (workers interleave): its id ties them together. `inprogress` starts its clock, a final
 * status (success, fail, skip, xfail, uxsuccess) ends it; file packets carry its traceback
 * or skip reason. stestr counts an unexpected success as a failure, and so does Sluice; a
 * test still in progress when the stream ends (a crashed worker) is an error.
 */
interface Pending {
  status?: SubunitStatus;
  started?: number;
  ended?: number;
  /** Text attachments by name, in arrival order, each bounded. */
  readonly files: Map<string, string>;
}

type SubunitStatus = NonNullable<SubunitPacket['status']>;

const FINAL: Partial<Record<SubunitStatus, TestStatus>> = { success: 'pass', xfail: 'pass', skip: 'skip', fail: 'fail', uxsuccess: 'fail' };
const decoder = new TextDecoder('utf-8');

export class SubunitResults {
  private readonly tests = new Map<string, Pending>();

  add(p: SubunitPacket): void {
    if (p.testId === undefined) return;
    let t = this.tests.get(p.testId);
    if (!t) this.tests.set(p.testId, (t = { files: new Map() }));
    if (p.status === 'inprogress' && p.timestamp !== undefined) t.started = p.timestamp;
    if (p.status !== undefined && FINAL[p.status] !== undefined) {
      t.status = p.status;
      if (p.timestamp !== undefined) t.ended = p.timestamp;
    } else if (p.status === 'inprogress' && t.status === undefined) t.status = 'inprogress';
    if (p.fileName !== undefined && p.fileContent !== undefined && p.fileContent.length > 0) {
      const sofar = t.files.get(p.fileName) ?? '';
      // Keep the end of a long attachment: a traceback names its exception last.
      const text = sofar + decoder.decode(p.fileContent);
      t.files.set(p.fileName, text.length > 2 * MAX_MESSAGE_CHARS ? text.slice(text.length - 2 * MAX_MESSAGE_CHARS) : text);
    }
  }

  /** Tests that ran (enumerated-only ones are left out), in the order they first appeared. */
  results(): TestResult[] {
    const out: TestResult[] = [];
    for (const [id, t] of this.tests) {
      if (t.status === undefined || t.status === 'exists') continue;
      const status: TestStatus = FINAL[t.status] ?? 'error';
      // Timestamps have nanoseconds; microseconds are plenty for a duration.
      const durationMs = t.started !== undefined && t.ended !== undefined && t.ended >= t.started ? Math.round((t.ended - t.started) * 1000) / 1000 : undefined;
      const message = status === 'pass' ? undefined : messageOf(t);
      out.push({ id, status, ...(durationMs !== undefined ? { durationMs } : {}), ...(message ? { message } : {}) });
    }
    return out;
  }
}

function messageOf(t: Pending): string | undefined {
  const lead = t.status === 'uxsuccess' ? 'unexpected success: the test was expected to fail' : t.status === 'inprogress' ? 'no result: the stream ended while the test was running' : undefined;
  // The named attachments testtools writes carry the explanation; others (stdout, logging) follow.
  const named = ['traceback', 'reason'].map((n) => t.files.get(n)).filter((x): x is string => x !== undefined);
  const others = [...t.files].filter(([n]) => n !== 'traceback' && n !== 'reason').map(([n, text]) => `${n}:\n${text}`);
  const parts = [lead, ...(named.length > 0 ? named : others)].filter((x): x is string => x !== undefined && x.trim() !== '');
  return parts.length > 0 ? capMessage(parts.map((p) => p.trimEnd()).join('\n')) : undefined;
}

export interface SubunitParse {
  readonly results: TestResult[];
  /** Damage found in the stream (bad checksums, truncated packets). */
  readonly problems: readonly string[];
}

export function parseSubunit(bytes: Uint8Array): SubunitParse {
  const folded = new SubunitResults();
  const { packets, problems } = decodeSubunit(bytes);
  for (const p of packets) folded.add(p);
  return { results: folded.results(), problems };
}

/** Reads a subunit v2 file as a stream: a tempest run's stream can be hundreds of MB. */
export async function readSubunitFile(path: string): Promise<SubunitParse> {
  const folded = new SubunitResults();
  const { problems } = await decodeSubunitStream(createReadStream(path), (p) => folded.add(p));
  return { results: folded.results(), problems };
}
