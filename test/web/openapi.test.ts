import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERRORS } from '../../src/core/errors.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/paths.js';
import { webServer, webSite } from './fixture.js';

interface Operation { operationId: string; security?: unknown; responses: Record<string, { description: string }>; parameters: { name: string; in: string }[]; requestBody?: unknown }

describe('the OpenAPI document', () => {
  it('describes every endpoint once, resolves every schema reference, and marks which need a token', async (t) => {
    const f = await webSite(tempDir(t));
    const store = await openStore(`sqlite:${join(f.site.dir, 'sluice.db')}`);
    t.after(() => store.close());
    const { app } = await webServer(t, store, f);
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    const ids = ops.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(refs.length > 0);
    for (const ref of refs) assert.ok(ref in doc.components.schemas, `${ref} is defined`);
    assert.ok(!JSON.stringify(doc).includes('#/$defs/'), 'no dangling local refs');
    for (const { path, method, op } of ops) {
      const action = method === 'post';
      assert.equal(op.security !== undefined, action, `${method} ${path}: a token only for actions (reads are public here)`);
      if (action) assert.ok(op.responses['401'] && op.responses['403'], `${method} ${path} documents 401 and 403`);
      for (const m of path.matchAll(/\{(\w+)\}/g)) assert.ok(op.parameters.some((p) => p.in === 'path' && p.name === m[1]), `${path} documents {${m[1]}}`);
      for (const [status, r] of Object.entries(op.responses)) {
        for (const code of r.description.matchAll(/`(E_[A-Z_]+)`/g)) assert.equal(String(ERRORS[code[1] as keyof typeof ERRORS].http), status, `${code[1]} under ${status}`);
      }
    }
    const submit = doc.paths['/api/runs']?.post;
    assert.ok(submit?.requestBody && submit.responses['201'] && submit.responses['422']);
  });
});
