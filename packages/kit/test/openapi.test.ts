import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  assertErrorsDocumented,
  createHttpApp,
  KIT_ERRORS,
  OPENAPI_VERSION,
  parseErrorsDoc,
  registerHealth,
  registerMetrics,
} from '../src/index.ts';
import { captureLogger } from './helpers.ts';

const ERRORS_MD = new URL('../../../docs/errors.md', import.meta.url);

describe('OpenAPI', () => {
  it('documents a route defined with zod params, querystring, body and response at /openapi.json', async () => {
    const app = createHttpApp({
      name: 'doc',
      logger: captureLogger().logger,
      openapi: { title: 'Test API', version: '1.2.3', description: 'for tests' },
    });
    registerHealth(app, { checks: {} });
    registerMetrics(app, { prefix: 'doc_' });
    // Declared synchronously right after createHttpApp — must still be documented.
    app.put(
      '/members/:memberId',
      {
        schema: {
          summary: 'Update a member',
          tags: ['members'],
          params: z.object({ memberId: z.string().min(1) }),
          querystring: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
          body: z.object({ displayName: z.string().max(100), classCode: z.enum(['GOV', 'COM', 'ORG']) }),
          response: { 200: z.object({ memberId: z.string(), updated: z.boolean() }) },
        },
      },
      async (req) => ({ memberId: req.params.memberId, updated: req.query.dryRun !== 'true' }),
    );
    await app.ready();
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe(OPENAPI_VERSION);
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.info).toEqual({ title: 'Test API', version: '1.2.3', description: 'for tests' });

    const op = doc.paths['/members/{memberId}'].put;
    expect(op.summary).toBe('Update a member');
    expect(op.tags).toEqual(['members']);
    expect(op.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ in: 'path', name: 'memberId', required: true }),
        expect.objectContaining({ in: 'query', name: 'dryRun', required: false, schema: expect.objectContaining({ enum: ['true', 'false'] }) }),
      ]),
    );
    const body = op.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['displayName', 'classCode']);
    expect(body.properties.classCode.enum).toEqual(['GOV', 'COM', 'ORG']);
    expect(body.properties.displayName.maxLength).toBe(100);
    const ok = op.responses['200'].content['application/json'].schema;
    expect(ok.properties).toEqual({ memberId: { type: 'string' }, updated: { type: 'boolean' } });
    // the error envelope is documented for every route
    const err4 = op.responses['4XX'].content['application/json'].schema;
    expect(err4.properties.error.required).toEqual(['code', 'message', 'requestId']);
    expect(op.responses['5XX']).toBeDefined();

    // ops endpoints: health documented, metrics and the document itself hidden
    expect(doc.paths['/healthz']).toBeDefined();
    expect(doc.paths['/readyz'].get.responses['503']).toBeDefined();
    expect(doc.paths['/metrics']).toBeUndefined();
    expect(doc.paths['/openapi.json']).toBeUndefined();

    // and the route itself works
    const put = await app.inject({ method: 'PUT', url: '/members/M1?dryRun=true', payload: { displayName: 'x', classCode: 'GOV' } });
    expect(put.json()).toEqual({ memberId: 'M1', updated: false });
    await app.close();
  });

  it('no /openapi.json without the openapi option', async () => {
    const app = createHttpApp({ name: 'doc', logger: captureLogger().logger });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(404);
    await app.close();
  });
});

describe('errors doc check', () => {
  it('docs/errors.md documents exactly the KIT catalogue with the right statuses', () => {
    assertErrorsDocumented(KIT_ERRORS, ERRORS_MD, 'KIT');
    assertErrorsDocumented(Object.keys(KIT_ERRORS), ERRORS_MD, 'KIT');
  });

  it('reports missing codes, unknown codes, duplicates and wrong statuses under the given heading only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-errors-'));
    const file = join(dir, 'errors.md');
    writeFileSync(
      file,
      [
        '# Errors',
        '## KIT',
        '| Code | Status | Meaning |',
        '| --- | --- | --- |',
        '| `A_ONE` | 400 | x |',
        '| `A_GONE` | 404 | x |',
        '| `A_ONE` | 400 | dup |',
        '### sub-heading keeps the section open',
        '| `A_TWO` | 500 | x |',
        '## OTHER',
        '| `A_THREE` | 400 | belongs to another section |',
      ].join('\n'),
    );
    expect(parseErrorsDoc(
      '## KIT\n| `A_ONE` | 400 |\n## X\n| `B` | 1 |', 'KIT').map((r) => r.code)).toEqual(['A_ONE']);
    let message = '';
    try {
      assertErrorsDocumented({ A_ONE: { status: 400 }, A_TWO: { status: 503 }, A_THREE: { status: 400 } }, file, 'KIT');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('missing from the "## KIT" table: A_THREE');
    expect(message).toContain('documented but not in the catalogue: A_GONE');
    expect(message).toContain('documented twice: A_ONE');
    expect(message).toContain('wrong status for A_TWO');
    expect(() => assertErrorsDocumented(['A_ONE'], file, 'NOPE')).toThrow(/no "## NOPE" heading/);
  });
});
