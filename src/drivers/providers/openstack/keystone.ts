import { describeFetchError, withRetry, type HttpPolicy } from '../../sources/http-policy.js';
import { OpenStackError, errorMessageOf } from './openstack-error.js';
import { bodyOf, TokenBody, type CatalogEntry } from './api-bodies.js';

interface KeystoneEndpoint {
  /** The Identity endpoint, e.g. `https://cloud.example.org:5000/v3` (`/v3` is added when missing). */
  readonly authUrl: string;
  readonly region?: string;
}

/** A user's password, scoped to a project by name. */
export interface PasswordCredentials extends KeystoneEndpoint {
  readonly username: string;
  readonly password: string;
  readonly userDomainName: string;
  readonly projectName: string;
  readonly projectDomainName: string;
}

/**
 * An application credential: made by a user for one project (`openstack application
 * credential create`), revocable on its own and never the user's password. Its token is
 * scoped to that project; the request names no scope.
 */
export interface ApplicationCredentials extends KeystoneEndpoint {
  readonly applicationCredentialId: string;
  readonly applicationCredentialSecret: string;
}

export type KeystoneCredentials = PasswordCredentials | ApplicationCredentials;

const isApplicationCredential = (c: KeystoneCredentials): c is ApplicationCredentials => 'applicationCredentialId' in c;

export type ServiceType = 'compute' | 'network' | 'image';

export interface ApiRequest {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

interface Token {
  readonly value: string;
  readonly expiresAt: number;
  readonly endpoints: ReadonlyMap<ServiceType, string>;
}

/** A token is renewed this long before Keystone says it expires, so no request carries a dying one. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * A project-scoped Keystone v3 session: one password authentication gives the token (in
 * the `X-Subject-Token` header) and the service catalog (in the body), from which each
 * service's public endpoint is taken. A token is renewed before its `expires_at`, and a
 * 401 (revoked, or the clocks disagree) re-authenticates once and repeats the request.
 */
export class KeystoneSession {
  private token: Token | undefined;
  private authenticating: Promise<Token> | undefined;

  constructor(private readonly creds: KeystoneCredentials, private readonly policy: HttpPolicy, private readonly now: () => number = Date.now) {}

  /** One API call to a service of the catalog; GET and DELETE are retried on a network error or 5xx. */
  async request(service: ServiceType, method: string, path: string, req: ApiRequest = {}): Promise<ApiResponse> {
    let token = await this.current(req.signal);
    let res = await this.send(token, service, method, path, req);
    if (res.status === 401) {
      if (this.token === token) this.token = undefined;
      token = await this.current(req.signal);
      res = await this.send(token, service, method, path, req);
    }
    return res;
  }

  /** The catalog's public endpoint of a service (after authenticating when needed). */
  async endpoint(service: ServiceType, signal?: AbortSignal): Promise<string> {
    return endpointOf(await this.current(signal), service, this.creds.region);
  }

  private async current(signal: AbortSignal | undefined): Promise<Token> {
    if (this.token && this.token.expiresAt - EXPIRY_MARGIN_MS > this.now()) return this.token;
    // Concurrent jobs share one authentication rather than each asking Keystone; it is
    // not tied to one job's signal, so that job's cancel does not fail the others.
    this.authenticating ??= this.authenticate().finally(() => { this.authenticating = undefined; });
    const pending = this.authenticating;
    this.token = await (signal ? Promise.race([pending, aborted(signal)]) : pending);
    return this.token;
  }

  private async authenticate(): Promise<Token> {
    const base = this.creds.authUrl.replace(/\/+$/, '');
    const url = `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`;
    const c = this.creds;
    const body = isApplicationCredential(c)
      ? { auth: { identity: { methods: ['application_credential'], application_credential: { id: c.applicationCredentialId, secret: c.applicationCredentialSecret } } } }
      : {
          auth: {
            identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } } },
            scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
          },
        };
    const res = await this.fetchJson('POST', url, { body }, {});
    if (res.status !== 201 && res.status !== 200) {
      const who = isApplicationCredential(c) ? `application credential ${c.applicationCredentialId}` : `${c.username} to project ${c.projectName}`;
      throw new OpenStackError(res.status, `Keystone refused the authentication of ${who}: HTTP ${res.status}${errorMessageOf(res.body)}`);
    }
    const value = res.headers.get('x-subject-token');
    const token = bodyOf(res, TokenBody, 'Keystone\'s token').token;
    if (!value || !token) throw new OpenStackError(res.status, 'Keystone answered without a token (no X-Subject-Token header or no token in the body)');
    const expiresAt = token.expires_at ? Date.parse(token.expires_at) : NaN;
    return { value, expiresAt: Number.isNaN(expiresAt) ? this.now() + 3_600_000 : expiresAt, endpoints: catalogEndpoints(token.catalog ?? [], this.creds.region) };
  }

  private async send(token: Token, service: ServiceType, method: string, path: string, req: ApiRequest): Promise<ApiResponse> {
    const url = `${endpointOf(token, service, this.creds.region)}${path}`;
    return this.fetchJson(method, url, req, { 'X-Auth-Token': token.value });
  }

  private async fetchJson(method: string, url: string, req: ApiRequest, headers: Record<string, string>): Promise<ApiResponse> {
    // A POST that timed out may have been done: repeating it could make a second server.
    const idempotent = method === 'GET' || method === 'DELETE';
    const tried = await withRetry(this.policy, req.signal, async (signal) => {
      try {
        const res = await fetch(url, {
          method, signal,
          headers: { Accept: 'application/json', ...(req.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers, ...req.headers },
          ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        });
        const text = await res.text();
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          body = text;
        }
        if (res.status >= 500) return { ok: false, transient: idempotent, message: `${method} ${url}: HTTP ${res.status}${errorMessageOf(body)}` };
        return { ok: true, value: { status: res.status, headers: res.headers, body } };
      } catch (error) {
        return { ok: false, transient: idempotent, message: `${method} ${url}: ${describeFetchError(error, this.policy.timeoutMs)}` };
      }
    });
    if (!tried.ok) throw new OpenStackError(0, tried.message);
    return tried.value;
  }
}


function catalogEndpoints(catalog: readonly CatalogEntry[], region: string | undefined): Map<ServiceType, string> {
  const found = new Map<ServiceType, string>();
  for (const entry of catalog) {
    if (entry.type !== 'compute' && entry.type !== 'network' && entry.type !== 'image') continue;
    const e = (entry.endpoints ?? []).find((x) => x.interface === 'public' && x.url && (region === undefined || x.region_id === region || x.region === region));
    if (e?.url) found.set(entry.type, e.url.replace(/\/+$/, ''));
  }
  return found;
}

function endpointOf(token: Token, service: ServiceType, region: string | undefined): string {
  const url = token.endpoints.get(service);
  if (!url) throw new OpenStackError(0, `the service catalog has no public ${service} endpoint${region ? ` in region ${region}` : ''}`);
  return url;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new OpenStackError(0, 'cancelled'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
