import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

/**
 * A Gerrit stand-in on loopback that speaks the documented wire formats: the REST API
 * under /a/ with HTTP basic auth and the `)]}'` prefix on JSON (file content as a JSON
 * string to a bare `Accept: application/json`, else base64 as text/plain, as Gerrit's
 * RestApiServlet does since 2.11), and the events stream-events prints, handed to listeners (tests forward
 * them to the SSH stand-in's event file or POST them to a webhook). It keeps changes with
 * their patch sets, files, topic, subject and messages; records every review and submit;
 * and can answer 503 for a while, or 409 to a submit, on request.
 */

export interface StandinAccount {
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly _account_id: number;
}

interface PatchSet {
  readonly number: number;
  readonly revision: string;
  readonly ref: string;
  readonly files: Readonly<Record<string, { status: 'A' | 'M' | 'D'; content: string }>>;
  readonly uploader: StandinAccount;
  readonly createdOn: number;
}

interface Message {
  readonly id: string;
  readonly author: StandinAccount;
  readonly date: number;
  readonly message: string;
  readonly _revision_number: number;
  readonly tag?: string;
}

export interface StandinChange {
  readonly project: string;
  readonly branch: string;
  readonly number: number;
  readonly changeId: string;
  subject: string;
  /** The commit message's body under the subject (footers such as Depends-On), without Change-Id. */
  body?: string;
  topic?: string;
  status: 'NEW' | 'MERGED' | 'ABANDONED';
  readonly owner: StandinAccount;
  readonly patchsets: PatchSet[];
  readonly messages: Message[];
}

export interface RecordedReview {
  readonly change: number;
  readonly revision: string;
  readonly patchset: number;
  readonly message: string;
  readonly labels?: Record<string, number>;
  readonly tag?: string;
}

export const BOT: StandinAccount = { name: 'Sluice CI', email: 'sluice@example.org', username: 'sluice-bot', _account_id: 1000001 };
export const PACKAGER: StandinAccount = { name: 'Jakub Ruzicka', email: 'jruzicka@example.org', username: 'jruzicka', _account_id: 1000002 };
export const ADMIN: StandinAccount = { name: 'Release Admin', email: 'admin@example.org', username: 'rdo-admin', _account_id: 1000003 };

const XSSI = ")]}'\n";

export class GerritStandin {
  readonly changes = new Map<number, StandinChange>();
  readonly reviews: RecordedReview[] = [];
  readonly submits: number[] = [];
  readonly requests: string[] = [];
  readonly groups = new Map<string, StandinAccount[]>();
  /** Changes whose submit Gerrit refuses (409), with the reason. */
  readonly submitRefusals = new Map<number, string>();
  private readonly listeners: ((event: Record<string, unknown>) => void)[] = [];
  private failures: { method: string; path: string; status: number; left: number }[] = [];
  /**
   * How events look: as Gerrit writes them now, or as Gerrit 2.x did (Qt's captured
   * stream): numbers as strings, no eventCreatedOn, a bare branch as ref-updated's refName.
   */
  eventStyle: 'current' | '2.x' = 'current';
  private next = 1;
  private clock = Date.UTC(2015, 5, 1, 9, 0, 0);
  private server: Server | undefined;
  url = '';

  constructor(readonly project = 'redhat-openstack/rdo-update', readonly branch = 'master', readonly password = 'http-password') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  onEvent(listener: (event: Record<string, unknown>) => void): void {
    this.listeners.push(listener);
  }

  /** Answers `status` to the next `times` requests of `method` whose path contains `path`. */
  failNext(method: string, path: string, status: number, times = 1): void {
    this.failures.push({ method, path, status, left: times });
  }

  /** Gerrit's clock: seconds advance with each thing that happens, so times order events. */
  tick(): number {
    this.clock += 1000;
    return this.clock;
  }

  /** A new change (no `change`) or a new patch set of one; emits patchset-created unless `silent`. */
  upload(o: { files: Record<string, { status?: 'A' | 'M' | 'D'; content?: string }>; subject: string; body?: string; topic?: string; change?: number; author?: StandinAccount; silent?: boolean }): { change: number; patchset: number } {
    const author = o.author ?? PACKAGER;
    let c = o.change === undefined ? undefined : this.changes.get(o.change);
    if (!c) {
      const number = o.change ?? this.next++;
      c = { project: this.project, branch: this.branch, number, changeId: `I${createHash('sha1').update(String(number)).digest('hex')}`, subject: o.subject, ...(o.topic ? { topic: o.topic } : {}), status: 'NEW', owner: author, patchsets: [], messages: [] };
      this.changes.set(number, c);
    }
    c.subject = o.subject;
    if (o.body !== undefined) c.body = o.body; else delete c.body;
    if (o.topic !== undefined) c.topic = o.topic;
    const number = c.patchsets.length + 1;
    const files = Object.fromEntries(Object.entries(o.files).map(([p, f]) => [p, { status: f.status ?? 'A', content: f.content ?? '' }]));
    const ps: PatchSet = { number, revision: createHash('sha1').update(`${c.number}/${number}/${JSON.stringify(files)}`).digest('hex'), ref: `refs/changes/${String(c.number % 100).padStart(2, '0')}/${c.number}/${number}`, files, uploader: author, createdOn: this.tick() };
    c.patchsets.push(ps);
    this.addMessage(c, author, `Uploaded patch set ${number}.`);
    if (!o.silent) this.emit({ type: 'patchset-created', change: this.changeAttr(c), patchSet: this.patchSetAttr(c, ps), uploader: author, eventCreatedOn: ps.createdOn / 1000 });
    return { change: c.number, patchset: number };
  }

  /** A reviewer's comment; Gerrit prefixes it with the patch set, as it does. */
  comment(change: number, author: StandinAccount, text: string, o: { silent?: boolean } = {}): Record<string, unknown> {
    const c = this.must(change);
    const ps = c.patchsets[c.patchsets.length - 1] as PatchSet;
    const m = this.addMessage(c, author, `Patch Set ${ps.number}:\n\n${text}`);
    const event = { type: 'comment-added', change: this.changeAttr(c), patchSet: this.patchSetAttr(c, ps), author, comment: m.message, eventCreatedOn: Math.floor(m.date / 1000) };
    const styled = this.styled(event);
    if (!o.silent) this.emit(event);
    return styled;
  }

  setTopic(change: number, topic: string): void {
    const c = this.must(change);
    c.topic = topic;
    this.emit({ type: 'topic-changed', change: this.changeAttr(c), changer: c.owner, oldTopic: '', eventCreatedOn: this.tick() / 1000 });
  }

  abandon(change: number): void {
    const c = this.must(change);
    c.status = 'ABANDONED';
    const ps = c.patchsets[c.patchsets.length - 1] as PatchSet;
    this.emit({ type: 'change-abandoned', change: this.changeAttr(c), patchSet: this.patchSetAttr(c, ps), abandoner: c.owner, eventCreatedOn: this.tick() / 1000 });
  }

  /** The reviews posted on a change, oldest first. */
  reviewsOf(change: number): RecordedReview[] {
    return this.reviews.filter((r) => r.change === change);
  }

  private must(change: number): StandinChange {
    const c = this.changes.get(change);
    if (!c) throw new Error(`no change ${change}`);
    return c;
  }

  private addMessage(c: StandinChange, author: StandinAccount, message: string, tag?: string): Message {
    const ps = c.patchsets.length;
    const m: Message = { id: createHash('sha1').update(`${c.number}:${c.messages.length}`).digest('hex').slice(0, 12), author, date: this.tick(), message, _revision_number: ps, ...(tag ? { tag } : {}) };
    c.messages.push(m);
    return m;
  }

  private emit(event: Record<string, unknown>): void {
    const sent = this.styled(event);
    for (const l of this.listeners) l(sent);
  }

  private styled(event: Record<string, unknown>): Record<string, unknown> {
    return this.eventStyle === '2.x' ? oldStyle(event) : event;
  }

  private changeAttr(c: StandinChange): Record<string, unknown> {
    return { project: c.project, branch: c.branch, id: c.changeId, number: c.number, subject: c.subject, ...(c.topic ? { topic: c.topic } : {}), owner: c.owner, url: `${this.url}${c.number}`, status: c.status };
  }

  private patchSetAttr(c: StandinChange, ps: PatchSet): Record<string, unknown> {
    return { number: ps.number, revision: ps.revision, ref: ps.ref, uploader: ps.uploader, author: c.owner, createdOn: ps.createdOn / 1000 };
  }

  private changeInfo(c: StandinChange, more = false): Record<string, unknown> {
    const ps = c.patchsets[c.patchsets.length - 1] as PatchSet;
    const iso = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}000000`;
    return {
      id: `${encodeURIComponent(c.project)}~${c.branch}~${c.changeId}`, project: c.project, branch: c.branch, ...(c.topic ? { topic: c.topic } : {}),
      change_id: c.changeId, subject: c.subject, status: c.status, _number: c.number, owner: c.owner,
      current_revision: ps.revision,
      revisions: { [ps.revision]: { _number: ps.number, ref: ps.ref, created: iso(ps.createdOn), uploader: ps.uploader, commit: { author: { name: c.owner.name, email: c.owner.email, date: iso(ps.createdOn) }, subject: c.subject, message: `${c.subject}\n\n${c.body ? `${c.body.trimEnd()}\n` : ''}Change-Id: ${c.changeId}\n` } } },
      messages: c.messages.map((m) => ({ id: m.id, author: m.author, date: iso(m.date), message: m.message, _revision_number: m._revision_number, ...(m.tag ? { tag: m.tag } : {}) })),
      ...(more ? { _more_changes: true } : {}),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${url.pathname}`);
    const expected = `Basic ${Buffer.from(`${BOT.username}:${this.password}`).toString('base64')}`;
    if (!url.pathname.startsWith('/a/') || req.headers.authorization !== expected) return send(res, 401, 'Unauthorized');
    const failure = this.failures.find((f) => f.method === method && url.pathname.includes(f.path) && f.left > 0);
    if (failure) {
      failure.left--;
      return send(res, failure.status, 'Service Unavailable');
    }
    const path = url.pathname.slice(2);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> : {};
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/changes/') return this.query(url, res);
    if ((m = /^\/groups\/([^/]+)\/members\/$/.exec(path))) {
      const members = this.groups.get(decodeURIComponent(m[1] as string));
      return members ? json(res, members) : send(res, 404, 'Not found');
    }
    if (!(m = /^\/changes\/([^/]+)(\/.*)?$/.exec(path))) return send(res, 404, 'Not found');
    const id = decodeURIComponent(m[1] as string);
    const number = Number(id.includes('~') ? id.slice(id.lastIndexOf('~') + 1) : id);
    const c = this.changes.get(number);
    if (!c || (id.includes('~') && id.slice(0, id.lastIndexOf('~')) !== c.project)) return send(res, 404, 'Not found');
    const rest = m[2] ?? '';
    if (method === 'GET' && rest === '') return json(res, this.changeInfo(c));
    if (method === 'POST' && rest === '/submit') return this.submit(c, res);
    const r = /^\/revisions\/([0-9a-f]+)(\/.*)$/.exec(rest);
    const ps = r ? c.patchsets.find((p) => p.revision === r[1]) : undefined;
    if (!r || !ps) return send(res, 404, 'Not found');
    const sub = r[2] as string;
    if (method === 'GET' && sub === '/files/') {
      return json(res, { '/COMMIT_MSG': { status: 'A', lines_inserted: 7 }, ...Object.fromEntries(Object.entries(ps.files).map(([p, f]) => [p, f.status === 'M' ? { lines_inserted: 1 } : { status: f.status }])) });
    }
    const content = /^\/files\/([^/]+)\/content$/.exec(sub);
    if (method === 'GET' && content) {
      const f = ps.files[decodeURIComponent(content[1] as string)];
      if (!f) return send(res, 404, 'Not found');
      return fileContent(req, res, Buffer.from(f.content));
    }
    if (method === 'POST' && sub === '/review') return this.review(c, ps, body, res);
    return send(res, 404, 'Not found');
  }

  private query(url: URL, res: ServerResponse): void {
    const q = url.searchParams.get('q') ?? '';
    const n = Number(url.searchParams.get('n') ?? 500);
    const start = Number(url.searchParams.get('S') ?? 0);
    const open = [...this.changes.values()].filter((c) => (!q.includes('status:open') || c.status === 'NEW') && q.includes(`project:${c.project}`) && q.includes(`branch:${c.branch}`));
    // Gerrit sorts by last update, newest first.
    open.reverse();
    const page = open.slice(start, start + n);
    json(res, page.map((c, i) => this.changeInfo(c, i === page.length - 1 && start + n < open.length)));
  }

  private review(c: StandinChange, ps: PatchSet, body: Record<string, unknown>, res: ServerResponse): void {
    const labels = body.labels as Record<string, number> | undefined;
    const current = c.patchsets[c.patchsets.length - 1] === ps;
    if (labels && Object.keys(labels).length > 0 && (!current || c.status !== 'NEW')) return send(res, 409, 'cannot post votes on an outdated patch set');
    const tag = typeof body.tag === 'string' ? body.tag : undefined;
    this.reviews.push({ change: c.number, revision: ps.revision, patchset: ps.number, message: String(body.message ?? ''), ...(labels ? { labels } : {}), ...(tag ? { tag } : {}) });
    const votes = labels ? Object.entries(labels).map(([k, v]) => `${k}${v > 0 ? '+' : ''}${v}`).join(' ') : '';
    const m = this.addMessage(c, BOT, `Patch Set ${ps.number}:${votes ? ` ${votes}` : ''}\n\n${String(body.message ?? '')}`, tag);
    this.emit({ type: 'comment-added', change: this.changeAttr(c), patchSet: this.patchSetAttr(c, ps), author: BOT, comment: m.message, eventCreatedOn: Math.floor(m.date / 1000) });
    json(res, { labels: labels ?? {} });
  }

  private submit(c: StandinChange, res: ServerResponse): void {
    if (c.status !== 'NEW') return send(res, 409, `change is ${c.status.toLowerCase()}`);
    const refusal = this.submitRefusals.get(c.number);
    if (refusal) return send(res, 409, refusal);
    c.status = 'MERGED';
    this.submits.push(c.number);
    const ps = c.patchsets[c.patchsets.length - 1] as PatchSet;
    this.emit({ type: 'change-merged', change: this.changeAttr(c), patchSet: this.patchSetAttr(c, ps), submitter: BOT, eventCreatedOn: this.tick() / 1000 });
    this.emit({ type: 'ref-updated', submitter: BOT, refUpdate: { oldRev: '0'.repeat(40), newRev: ps.revision, refName: `refs/heads/${c.branch}`, project: c.project }, eventCreatedOn: this.tick() / 1000 });
    json(res, this.changeInfo(c));
  }
}

/** An event as Gerrit 2.x sent it (see `eventStyle`). */
function oldStyle(event: Record<string, unknown>): Record<string, unknown> {
  const { eventCreatedOn: _dropped, ...rest } = event;
  const out: Record<string, unknown> = { ...rest };
  const stringNumber = (o: unknown) => (typeof o === 'object' && o !== null ? { ...o, ...('number' in o ? { number: String(o.number) } : {}) } : o);
  if (out.change) out.change = stringNumber(out.change);
  if (out.patchSet) out.patchSet = stringNumber(out.patchSet);
  const u = out.refUpdate as Record<string, unknown> | undefined;
  if (u && typeof u.refName === 'string') out.refUpdate = { ...u, refName: u.refName.replace(/^refs\/heads\//, '') };
  return out;
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-disposition': 'attachment' });
  res.end(XSSI + JSON.stringify(value));
}

/**
 * A file's content as Gerrit's RestApiServlet.replyBinaryResult sends it: a JSON string
 * (html-safe, as Gson writes it) when `application/json` is the only accepted type, else
 * base64. Documented under "Get Content" in Gerrit's rest-api-changes.
 */
export function fileContent(req: IncomingMessage, res: ServerResponse, bytes: Buffer, type = 'text/plain'): void {
  const common = { 'content-disposition': 'attachment', 'x-fyi-content-type': type };
  if (req.headers.accept?.trim() === 'application/json') {
    const text = JSON.stringify(bytes.toString('utf8')).replace(/[<>&='\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    res.writeHead(200, { ...common, 'content-type': 'application/json; charset=UTF-8', 'x-fyi-content-encoding': 'json' });
    return void res.end(`${XSSI}${text}\n`);
  }
  res.writeHead(200, { ...common, 'content-type': 'text/plain; charset=ISO-8859-1', 'x-fyi-content-encoding': 'base64' });
  res.end(bytes.toString('base64'));
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8' });
  res.end(`${text}\n`);
}
