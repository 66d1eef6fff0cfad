import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeResponse, encodeCall, type XmlRpcValue } from '../../src/drivers/sources/xmlrpc.js';
import { ADMIN, BOT, GerritStandin, PACKAGER } from '../helpers/gerrit-standin.js';
import { scratchBuild, startKojiStandin } from '../helpers/koji-standin.js';
import { NO_SHARED, sharedPath } from '../helpers/paths.js';
import { documentedAnswer, mediaType, outsideShape, shapeOf, type Shape } from './gerrit-docs.js';

/**
 * The stand-ins of test/helpers cannot drift from the real services unnoticed: what the
 * Gerrit stand-in answers has the status, headers, `)]}'` and JSON shape of Gerrit's
 * documented examples (a field no example shows must be one its entity's table in the
 * documentation lists), and what the Koji stand-in answers has the members and types of
 * the hub's samples, written as Python's xmlrpc.client writes them.
 */

/** The fields an entity's table in rest-api-changes.txt lists (`[[change-info]]` ...). */
function entityFields(doc: string, anchor: string): Set<string> {
  const start = doc.indexOf(`[[${anchor}]]`);
  assert.ok(start >= 0, `no [[${anchor}]] in rest-api-changes.txt`);
  const section = doc.slice(start, doc.indexOf('\n[[', start + 2));
  return new Set([...section.matchAll(/^\|`([A-Za-z_]+)`/gm)].map((m) => m[1] as string));
}

/** Which documented entity a JSON path of a change is. */
const ENTITIES: readonly [RegExp, string][] = [
  [/^\$(\[\])?$/, 'change-info'],
  [/\.revisions\.\*$/, 'revision-info'],
  [/\.commit$/, 'commit-info'],
  [/\.commit\.(author|committer)$/, 'git-person-info'],
  [/\.messages\[\]$/, 'change-message-info'],
];

test('the Gerrit stand-in answers as Gerrit\'s documented examples do: status, headers, )]}\', JSON shape, content by Accept', async (t) => {
  const dir = sharedPath('wire', 'gerrit', 'extracted');
  const docFile = sharedPath('wire', 'gerrit', 'rest-api-changes.txt');
  if (!dir || !docFile) return t.skip(NO_SHARED);
  const doc = readFileSync(docFile, 'utf8');
  const gerrit = await new GerritStandin().start();
  t.after(() => gerrit.stop());
  gerrit.groups.set('rdo-admins', [ADMIN]);
  const { change } = gerrit.upload({ files: { 'updates/abcd.yml': { content: 'notes: <&>\n' } }, subject: 'New abcd', topic: 'kilo_epel-7' });
  gerrit.comment(change, PACKAGER, 'recheck');
  const revision = gerrit.changes.get(change)?.patchsets[0]?.revision ?? '';
  const auth = { authorization: `Basic ${Buffer.from(`${BOT.username}:${gerrit.password}`).toString('base64')}` };
  const id = `${encodeURIComponent(gerrit.project)}~${change}`;
  const call = (method: string, path: string, o: { accept?: string; body?: unknown } = {}) => fetch(`${gerrit.url}a${path}`, {
    method, headers: { ...auth, accept: o.accept ?? 'application/json', ...(o.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });

  // A ChangeInfo as any documented example shows it, and the fields the entity tables list.
  const changeShape = ['get-change-detail', 'submit-ok'].map((n) => shapeOf(documentedAnswer(dir, n).json))
    .reduce((a, b) => merged(a, b), shapeOf((documentedAnswer(dir, 'query-current-revision-commit').json as unknown[])[0]));
  const undocumented = (problems: string[]) => problems.filter((p) => {
    const m = /^(.*)\.([A-Za-z_]+): not in the documented example$/.exec(p);
    const entity = m ? ENTITIES.find(([re]) => re.test(m[1] as string))?.[1] : undefined;
    return !(m && entity && entityFields(doc, entity).has(m[2] as string));
  });
  const checkJson = async (res: Response, example: string, shape?: Shape, key?: string) => {
    const documented = documentedAnswer(dir, example);
    assert.equal(res.status, documented.status, example);
    for (const h of ['content-type', 'content-disposition']) assert.equal(mediaType(res.headers.get(h)), mediaType(documented.headers[h]), `${example}: ${h}`);
    const text = await res.text();
    assert.ok(text.startsWith(")]}'\n"), `${example}: no )]}' line`);
    const value = JSON.parse(text.slice(5)) as unknown;
    assert.deepEqual(undocumented(outsideShape(shapeOf(value, key), shape ?? shapeOf(documented.json, key))), [], example);
    return value;
  };

  const query = new URLSearchParams({ q: `status:open project:${gerrit.project} branch:${gerrit.branch}` });
  for (const o of ['CURRENT_REVISION', 'CURRENT_COMMIT', 'MESSAGES', 'DETAILED_ACCOUNTS']) query.append('o', o);
  const list = await checkJson(await call('GET', `/changes/?${query.toString()}`), 'query-current-revision-commit', [changeShape]);
  assert.equal((list as unknown[]).length, 1);
  await checkJson(await call('GET', `/changes/${id}?o=CURRENT_REVISION`), 'get-change-detail', changeShape);
  await checkJson(await call('GET', `/changes/${id}/revisions/${revision}/files/`), 'list-files', undefined, 'files');
  await checkJson(await call('GET', '/groups/rdo-admins/members/?recursive'), 'group-members-recursive');

  // Get Content: base64 as documented to anything but a bare Accept: application/json.
  const documented = documentedAnswer(dir, 'get-content');
  for (const accept of ['text/plain', '*/*', 'application/json, text/plain']) {
    const res = await call('GET', `/changes/${id}/revisions/${revision}/files/updates%2Fabcd.yml/content`, { accept });
    for (const h of ['content-type', 'content-disposition', 'x-fyi-content-encoding']) assert.equal(mediaType(res.headers.get(h)), mediaType(documented.headers[h]), `${accept}: ${h}`);
    assert.ok(res.headers.get('x-fyi-content-type'), 'X-FYI-Content-Type is documented');
    assert.equal(Buffer.from(await res.text(), 'base64').toString('utf8'), 'notes: <&>\n');
  }
  const asJson = await call('GET', `/changes/${id}/revisions/${revision}/files/updates%2Fabcd.yml/content`);
  assert.equal(asJson.headers.get('x-fyi-content-encoding'), 'json');
  assert.equal(mediaType(asJson.headers.get('content-type')), 'application/json;charset=utf-8');
  const jsonText = await asJson.text();
  assert.ok(jsonText.startsWith(")]}'\n\""));
  assert.equal(JSON.parse(jsonText.slice(5)), 'notes: <&>\n');

  await checkJson(await call('POST', `/changes/${id}/revisions/${revision}/review`, { body: { message: 'hi', labels: { Verified: 1 } } }), 'set-review');
  gerrit.submitRefusals.set(change, 'blocked by Verified');
  const refused = await call('POST', `/changes/${id}/submit`, { body: {} });
  const doc409 = documentedAnswer(dir, 'submit-409');
  assert.equal(refused.status, doc409.status);
  assert.equal(mediaType(refused.headers.get('content-type')), mediaType(doc409.headers['content-type']));
  assert.equal((await refused.text()).trim(), doc409.body.trim());
  gerrit.submitRefusals.delete(change);
  await checkJson(await call('POST', `/changes/${id}/submit`, { body: {} }), 'submit-ok', changeShape);
});

function merged(a: Shape, b: Shape): Shape {
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, Shape> = { ...(a as Record<string, Shape>) };
    for (const [k, s] of Object.entries(b as Record<string, Shape>)) out[k] = k in out ? merged(out[k] as Shape, s) : s;
    return out;
  }
  return a;
}

/** Python re-marshals a decoded answer: the stand-in's text must be what Python writes. */
function pythonWrites(xml: string): string | undefined {
  const script = 'import sys, xmlrpc.client\nv = xmlrpc.client.loads(sys.stdin.read())[0]\nsys.stdout.write(xmlrpc.client.dumps(v, methodresponse=True, allow_none=True))';
  const run = spawnSync('python3', ['-c', script], { input: xml, encoding: 'utf8' });
  return run.error || run.status !== 0 ? undefined : run.stdout;
}

test('the Koji stand-in answers getBuild, listRPMs, getTaskInfo, getTaskChildren and listTaskOutput with the members and types of the hub\'s samples', async (t) => {
  const dir = sharedPath('wire', 'koji');
  if (!dir) return t.skip(NO_SHARED);
  const file = join(dir, 'gen', 'edge.xml');
  const hub = await startKojiStandin({
    builds: [{ id: 61234, name: 'openstack-nova', version: '27.1.0', release: '1.el9s', state: 1, volume: 'fedora_koji_archive02', rpms: [{ name: 'openstack-nova', version: '27.1.0', release: '1.el9s', arch: 'noarch', file }] }],
    tasks: scratchBuild({ id: 5001, srpm: file, arches: [{ arch: 'noarch', files: [file] }] }),
  });
  t.after(() => hub.close());
  const sample = (f: string): XmlRpcValue => {
    const d = decodeResponse(readFileSync(join(dir, f), 'utf8'));
    assert.ok(d.ok);
    return d.value;
  };
  const cases: [string, XmlRpcValue[], string[]][] = [
    ['getBuild', ['openstack-nova-27.1.0-1.el9s'], ['gen/getBuild-archive-volume.xml', 'gen/getBuild-default.xml', 'kojiji/getBuild-response.xml']],
    ['listRPMs', [61234], ['gen/listRPMs.xml', 'kojiji/listRPMs-response.xml']],
    ['getTaskInfo', [5001], ['gen/getTaskInfo-build-closed.xml', 'kojiji/getTaskInfo-response.xml']],
    ['getTaskChildren', [5001], ['gen/getTaskChildren.xml']],
    ['listTaskOutput', [5003, true], ['gen/listTaskOutput-5003-keep-srpm.xml', 'gen/listTaskOutput-5003.xml']],
  ];
  let comparedWithPython = 0;
  for (const [method, params, samples] of cases) {
    const res = await fetch(hub.hub, { method: 'POST', body: encodeCall(method, params), headers: { 'content-type': 'text/xml' } });
    const xml = await res.text();
    const got = decodeResponse(xml);
    assert.ok(got.ok, method);
    // Output file names are data, not names: compared as one map entry.
    const key = method === 'listTaskOutput' ? 'files' : '';
    const documented = samples.map((f) => shapeOf(sample(f), key)).reduce((a, b) => merged(a, b));
    // Koji sends None (nil) for unset fields: a null where a sample has a value is the same field.
    const problems = outsideShape(shapeOf(got.value, key), documented).filter((p) => !/: null where the documentation has /.test(p) && !/where the documentation has null$/.test(p));
    assert.deepEqual(problems, [], method);
    const python = pythonWrites(xml);
    if (python !== undefined) {
      assert.equal(xml, python, `${method}: not as Python's xmlrpc.client writes it`);
      comparedWithPython++;
    }
  }
  const build = sample('gen/getBuild-archive-volume.xml') as Record<string, XmlRpcValue>;
  const standinBuild = decodeResponse(await (await fetch(hub.hub, { method: 'POST', body: encodeCall('getBuild', ['openstack-nova-27.1.0-1.el9s']) })).text());
  assert.ok(standinBuild.ok);
  assert.equal((standinBuild.value as Record<string, XmlRpcValue>).volume_name, build.volume_name);
  const children = decodeResponse(await (await fetch(hub.hub, { method: 'POST', body: encodeCall('getTaskChildren', [5001]) })).text());
  assert.ok(children.ok);
  assert.deepEqual((children.value as Record<string, XmlRpcValue>[]).map((c) => c.method), (sample('gen/getTaskChildren.xml') as Record<string, XmlRpcValue>[]).map((c) => c.method));
  if (comparedWithPython === 0) t.diagnostic('python3 is not available: the stand-in\'s XML was not compared with Python\'s');
});
