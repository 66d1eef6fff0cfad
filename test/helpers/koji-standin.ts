import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { scratchTaskDir } from '../../src/drivers/sources/koji-source.js';

/**
 * A Koji hub on 127.0.0.1 for tests: XML-RPC POSTs to /kojihub answered in the wire
 * format of the real hub (Python's xmlrpc.client, as Koji sends it: one element per
 * line, <nil/> for None, sizes of task outputs as strings), and the hub's files under
 * packages/... (vol/<volume>/packages/... for a build off the DEFAULT volume) and the
 * task output directory served from RPMs the test built; scratchBuild() lays out a
 * scratch build's tasks the way kojid does. The client under test is
 * the real one; only the server is a stand-in.
 */
export interface StandinRpm {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
  /** The file served for it. */
  readonly file: string;
}

export interface StandinBuild {
  readonly id: number;
  readonly name: string;
  readonly version: string;
  readonly release: string;
  /** Koji build state: 0 BUILDING, 1 COMPLETE, 2 DELETED, 3 FAILED, 4 CANCELED. */
  readonly state: number;
  readonly rpms: readonly StandinRpm[];
  /** A volume other than DEFAULT: its files are then served under vol/<volume>/packages/... */
  readonly volume?: string;
}

export interface StandinTask {
  readonly id: number;
  readonly method: string;
  /** Koji task state: 0 FREE, 1 OPEN, 2 CLOSED, 3 CANCELED, 4 ASSIGNED, 5 FAILED. */
  readonly state: number;
  readonly arch: string;
  readonly parent?: number;
  /** Output files (RPMs, logs) of this task. */
  readonly files?: readonly string[];
}

/**
 * The tasks of a scratch build as kojid makes them (BuildTask.runBuilds): the parent
 * `build` task `id`, its buildSRPMFromSCM child with the SRPM, and a buildArch child per
 * arch, the first of which keeps the SRPM it rebuilt (`keptSrpm`: the same name, maybe
 * other bytes), so that two children offer a file of the same name.
 */
export function scratchBuild(o: { id: number; srpm: string; keptSrpm?: string; arches: readonly { arch: string; files: readonly string[] }[]; state?: number }): StandinTask[] {
  return [
    { id: o.id, method: 'build', state: o.state ?? 2, arch: 'noarch' },
    { id: o.id + 1, method: 'buildSRPMFromSCM', state: 2, arch: 'noarch', parent: o.id, files: [o.srpm] },
    ...o.arches.map((a, i) => ({ id: o.id + 2 + i, method: 'buildArch', state: 2, arch: a.arch, parent: o.id, files: i === 0 ? [...a.files, o.keptSrpm ?? o.srpm] : a.files })),
  ];
}

/** Where a build's files are, under the top URL (koji.PathInfo.build, with volumedir). */
export function standinBuildDir(b: StandinBuild): string {
  return `${b.volume && b.volume !== 'DEFAULT' ? `/vol/${b.volume}` : ''}/packages/${b.name}/${b.version}/${b.release}`;
}

/** How the hub misbehaves, for the bad-hub tests. */
export type HubMode = 'normal' | 'garbage' | 'hang' | 'http500' | 'fault';

/** How a faulted download fails: a 503, a connection reset before any byte, or a body cut short. */
export type DownloadFault = 'http503' | 'reset' | 'truncated';

/** Fails each download with probability `rate`, drawn from the seeded `random` (the reliability suite). */
export interface DownloadFaults {
  readonly rate: number;
  readonly random: () => number;
}

export interface KojiStandin {
  readonly hub: string;
  readonly topurl: string;
  readonly builds: StandinBuild[];
  readonly tasks: StandinTask[];
  mode: HubMode;
  /** XML-RPC methods called, in order. */
  readonly calls: string[];
  /** URL paths of files requested, in order. */
  readonly downloads: string[];
  /** URL paths whose download announces more bytes than it sends, and how many more times (Infinity: always). */
  readonly truncate: Map<string, number>;
  /** Serve another file at a URL path (a rebuilt RPM with the same name). */
  readonly replace: Map<string, string>;
  /** Random download failures; none when undefined. */
  downloadFaults: DownloadFaults | undefined;
  /** The downloads that failed on purpose, in order. */
  readonly faulted: { readonly path: string; readonly kind: DownloadFault }[];
  close(): Promise<void>;
}

export async function startKojiStandin(fixture: { builds?: StandinBuild[]; tasks?: StandinTask[] } = {}): Promise<KojiStandin> {
  const state: Omit<KojiStandin, 'hub' | 'topurl' | 'close'> = {
    builds: fixture.builds ?? [],
    tasks: fixture.tasks ?? [],
    mode: 'normal',
    calls: [],
    downloads: [],
    truncate: new Map(),
    replace: new Map(),
    downloadFaults: undefined,
    faulted: [],
  };
  const files = (): Map<string, string> => {
    const map = new Map<string, string>();
    for (const b of state.builds) {
      for (const r of b.rpms) map.set(`${standinBuildDir(b)}/${r.arch}/${r.name}-${r.version}-${r.release}.${r.arch}.rpm`, r.file);
    }
    for (const t of state.tasks) for (const f of t.files ?? []) map.set(['', ...scratchTaskDir(t.id), basename(f)].join('/'), f);
    return map;
  };

  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/kojihub') {
      void readBody(req).then((body) => answerCall(state, body, res)).catch((error: unknown) => {
        // A broken fixture shows up in the test's message, not as a hang.
        res.writeHead(599).end(String(error));
      });
      return;
    }
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    state.downloads.push(path);
    const file = state.replace.get(path) ?? files().get(path);
    if (req.method !== 'GET' || !file) {
      res.writeHead(404).end('Not Found');
      return;
    }
    const size = statSync(file).size;
    const faults = state.downloadFaults;
    if (faults && faults.random() < faults.rate) {
      const kind = (['http503', 'reset', 'truncated'] as const)[Math.floor(faults.random() * 3)] ?? 'http503';
      state.faulted.push({ path, kind });
      if (kind === 'http503') res.writeHead(503, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>');
      else if (kind === 'reset') req.socket.destroy();
      else {
        res.writeHead(200, { 'content-length': size, 'content-type': 'application/x-rpm' });
        createReadStream(file, { end: Math.floor(size / 2) }).on('end', () => setImmediate(() => res.destroy())).pipe(res, { end: false });
      }
      return;
    }
    const short = state.truncate.get(path) ?? 0;
    if (short > 0) {
      state.truncate.set(path, short - 1);
      res.writeHead(200, { 'content-length': size + 100, 'content-type': 'application/x-rpm' });
      // Sends the whole file and then hangs up 100 bytes early, as a dropped connection does.
      createReadStream(file).on('end', () => setImmediate(() => res.destroy())).pipe(res, { end: false });
      return;
    }
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/x-rpm' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    hub: `${base}/kojihub`,
    topurl: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

type Py = string | number | boolean | null | Py[] | { [k: string]: Py } | { double: number };

function answerCall(state: Omit<KojiStandin, 'hub' | 'topurl' | 'close'>, body: string, res: ServerResponse): void {
  const method = /<methodName>([^<]*)<\/methodName>/.exec(body)?.[1] ?? '';
  state.calls.push(method);
  const params = [...body.matchAll(/<param><value><(int|i4|i8|string|boolean)>([^<]*)<\/\1><\/value><\/param>/g)].map(([, type, text]) =>
    type === 'string' ? unescape(text ?? '') : type === 'boolean' ? text === '1' : Number(text));
  switch (state.mode) {
    case 'hang':
      return;
    case 'http500':
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
      return;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<html><body><h1>Service Unavailable</h1><p>The server is temporarily unable');
      return;
    case 'fault':
      send(res, fault(1000, 'Traceback (most recent call last):\nkoji.GenericError: database outage'));
      return;
    case 'normal':
      break;
  }
  const [first, second] = params;
  switch (method) {
    case 'getBuild': {
      const b = state.builds.find((x) => `${x.name}-${x.version}-${x.release}` === first || x.id === first);
      send(res, result(b ? buildInfo(b) : null));
      return;
    }
    case 'listRPMs': {
      const b = state.builds.find((x) => x.id === first);
      send(res, result((b?.rpms ?? []).map((r, i) => rpmInfo(state.replace, b as StandinBuild, r, i))));
      return;
    }
    case 'getTaskInfo': {
      const t = state.tasks.find((x) => x.id === first);
      send(res, result(t ? taskInfo(t) : null));
      return;
    }
    case 'getTaskChildren':
      send(res, result(state.tasks.filter((x) => x.parent === first).map(taskInfo)));
      return;
    case 'listTaskOutput': {
      const t = state.tasks.find((x) => x.id === first);
      const out = t?.files ?? [];
      const withStat = second === true;
      send(res, result(withStat
        ? Object.fromEntries(out.map((f) => [basename(f), { st_size: String(statSync(f).size), st_atime: { double: 1700000000.5 }, st_mtime: { double: 1700000000.5 }, st_ctime: { double: 1700000000.5 } }]))
        : out.map((f) => basename(f))));
      return;
    }
    default:
      send(res, fault(1000, `Invalid method: ${method}`));
  }
}

function buildInfo(b: StandinBuild): Py {
  return {
    build_id: b.id, id: b.id, name: b.name, version: b.version, release: b.release, nvr: `${b.name}-${b.version}-${b.release}`,
    epoch: null, state: b.state, task_id: b.id * 10, owner_id: 7, owner_name: 'jruzicka', package_id: 42, package_name: b.name,
    volume_id: b.volume && b.volume !== 'DEFAULT' ? 7 : 0, volume_name: b.volume ?? 'DEFAULT', creation_time: '2015-03-02 14:01:22.123456', creation_ts: { double: 1425304882.12346 },
    completion_time: '2015-03-02 14:11:02.654321', completion_ts: { double: 1425305462.65432 }, source: null, extra: null,
  };
}

function rpmInfo(replace: ReadonlyMap<string, string>, b: StandinBuild, r: StandinRpm, i: number): Py {
  const served = replace.get(`${standinBuildDir(b)}/${r.arch}/${r.name}-${r.version}-${r.release}.${r.arch}.rpm`) ?? r.file;
  return {
    id: b.id * 100 + i, name: r.name, version: r.version, release: r.release, nvr: `${r.name}-${r.version}-${r.release}`, arch: r.arch,
    epoch: null, payloadhash: 'd41d8cd98f00b204e9800998ecf8427e', size: statSync(served).size, buildtime: 1425305000,
    build_id: b.id, buildroot_id: 9, external_repo_id: 0, external_repo_name: 'INTERNAL', metadata_only: false, extra: null,
  };
}

function taskInfo(t: StandinTask): Py {
  return {
    id: t.id, method: t.method, state: t.state, arch: t.arch, parent: t.parent ?? null, label: t.method === 'buildArch' ? `${t.arch}` : null,
    owner: 7, channel_id: 1, host_id: t.method === 'build' ? null : 3, priority: 19, weight: { double: 0.2 }, waiting: null, awaited: null,
    create_time: '2015-03-02 14:01:22.123456', create_ts: { double: 1425304882.12346 }, completion_time: '2015-03-02 14:11:02.654321',
  };
}

/**
 * Python's xmlrpc.client.dumps, byte for byte: every value ends its line except None,
 * which Python's Marshaller writes without the newline (dump_nil).
 */
function value(v: Py): string {
  if (v === null) return '<value><nil/></value>';
  if (typeof v === 'string') return `<value><string>${escape(v)}</string></value>\n`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>\n`;
  if (typeof v === 'number') return `<value><int>${v}</int></value>\n`;
  if (Array.isArray(v)) return `<value><array><data>\n${v.map(value).join('')}</data></array></value>\n`;
  if (typeof v.double === 'number' && Object.keys(v).length === 1) return `<value><double>${v.double}</double></value>\n`;
  const members = Object.entries(v).map(([k, x]) => `<member>\n<name>${escape(k)}</name>\n${value(x as Py)}</member>\n`);
  return `<value><struct>\n${members.join('')}</struct></value>\n`;
}

const result = (v: Py): string => `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${value(v)}</param>\n</params>\n</methodResponse>\n`;
const fault = (code: number, text: string): string =>
  `<?xml version='1.0'?>\n<methodResponse>\n<fault>\n${value({ faultCode: code, faultString: text })}</fault>\n</methodResponse>\n`;

function send(res: ServerResponse, xml: string): void {
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
