import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Authenticator } from '../../src/web/auth.js';
import { SESSION_COOKIE, SessionSigner } from '../../src/web/session.js';
import { joinTokenSources, parseTokenEnv, parseTokenFile, tokenHash, TokenFileError } from '../../src/web/tokens.js';
import { TrustedHeader } from '../../src/web/trusted-header.js';

const H = tokenHash('t');

describe('token lines', () => {
  it('read person, roles and hash; every bad line is refused naming its place, never repeating a token', () => {
    const entries = parseTokenFile(`# team\n\nalice packager sha256:${H}  # added\nops - sha256:${tokenHash('u')}\n`, 'tokens');
    assert.deepEqual(entries.map((e) => [e.person, e.roles, e.source]), [['alice', ['packager'], 'tokens:3'], ['ops', [], 'tokens:4']]);
    const bad: [string, RegExp][] = [
      ['s3cret-token-value', /^tokens:1: a bare token/],
      [`alice packager`, /^tokens:1: expected "PERSON ROLES sha256:HEX" \(3 fields\), found 2/],
      [`al/ice packager sha256:${H}`, /^tokens:1: person "al\/ice" must be letters/],
      [`alice boss sha256:${H}`, /^tokens:1: unknown role "boss"/],
      [`alice admin s3cret-token-value`, /^tokens:1: the third field must be sha256: and 64 lowercase hex digits/],
      [`alice admin sha256:${H.toUpperCase()}`, /^tokens:1: the third field/],
    ];
    for (const [line, message] of bad) {
      assert.throws(() => parseTokenFile(line, 'tokens'), (e: Error) => e instanceof TokenFileError && message.test(e.message) && !e.message.includes('s3cret'), line);
    }
  });

  it('come from the environment too, separated by ; or newlines; one token twice is refused', () => {
    const env = parseTokenEnv(`alice packager sha256:${H}; bob release,admin sha256:${tokenHash('b')}\n`);
    assert.deepEqual(env.map((e) => [e.person, e.source]), [['alice', '$SLUICE_WEB_TOKENS entry 1'], ['bob', '$SLUICE_WEB_TOKENS entry 2']]);
    assert.throws(() => joinTokenSources(env, parseTokenFile(`carol admin sha256:${H}`, 'tokens')), /tokens:1: the same token as \$SLUICE_WEB_TOKENS entry 1/);
  });
});

describe('sessions', () => {
  it('read back what was signed, and nothing forged, altered or expired', () => {
    const signer = new SessionSigner(Buffer.alloc(32, 7));
    const { cookie, session } = signer.issue('alice', H.slice(0, 16), 1000, 60_000);
    assert.deepEqual(signer.read(cookie, 2000), session);
    assert.equal(signer.read(cookie, 61_000), undefined, 'expired');
    assert.equal(new SessionSigner(Buffer.alloc(32, 8)).read(cookie, 2000), undefined, 'another secret');
    const [body = '', sig = ''] = cookie.split('.');
    const other = Buffer.from(JSON.stringify({ p: 'root', k: H.slice(0, 16), e: 9e15, n: 'x' })).toString('base64url');
    assert.equal(signer.read(`${other}.${sig}`, 2000), undefined, 'a body with another signature');
    assert.equal(signer.read(`${body}.${sig}x`, 2000), undefined);
    assert.ok(signer.checkCsrf('session:n1', signer.csrfToken('session:n1')));
    assert.ok(!signer.checkCsrf('session:n2', signer.csrfToken('session:n1')));
    assert.throws(() => new SessionSigner(Buffer.alloc(16)), /at least 32 bytes/);
  });

  it('end when their token is removed, or given to another person', () => {
    const alice = { person: 'alice', roles: ['packager'] as const, hash: H, source: 'tokens:1' };
    const auth = new Authenticator({ tokens: [alice], publicReads: true });
    const { cookie } = auth.sessions.issue('alice', auth.sessionKeyOf(alice), Date.now(), 60_000);
    const ask = () => auth.identify('read', { authorization: undefined, cookie: `${SESSION_COOKIE}=${cookie}`, remote: '127.0.0.1', headers: {} }, Date.now())?.identity.person;
    assert.equal(ask(), 'alice');
    auth.replaceTokens([{ ...alice, person: 'mallory' }]);
    assert.equal(ask(), undefined, 'the same token, now another person\'s');
    auth.replaceTokens([]);
    assert.equal(ask(), undefined);
    auth.replaceTokens([alice]);
    assert.equal(ask(), 'alice', 'the signature still holds: the token is back');
  });
});

describe('the trusted header', () => {
  it('is believed only from the proxies\' ranges (IPv4 seen through IPv6 too) and only for a person\'s name', () => {
    const h = new TrustedHeader({ header: 'X-Remote-User', proxies: ['10.0.0.0/24', '::1/128'], roles: { rita: ['release'] } });
    const ask = (remote: string, user: string) => h.identify(remote, { 'x-remote-user': user });
    assert.deepEqual(ask('10.0.0.7', 'rita'), { person: 'rita', roles: ['release'], via: 'header' });
    assert.deepEqual(ask('::ffff:10.0.0.7', 'sam'), { person: 'sam', roles: [], via: 'header' });
    assert.deepEqual(ask('::1', 'rita')?.person, 'rita');
    assert.equal(ask('10.0.1.7', 'rita'), undefined);
    assert.equal(ask('127.0.0.1', 'rita'), undefined);
    assert.equal(ask('10.0.0.7', 'rita<script>'), undefined);
    assert.throws(() => new TrustedHeader({ header: 'X', proxies: ['10.0.0.0/33'], roles: {} }), /prefix length outside 0 to 32/);
    assert.throws(() => new TrustedHeader({ header: 'X', proxies: ['10.0.0/8'], roles: {} }), /is not an address range/);
  });
});
