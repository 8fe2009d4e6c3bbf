import { describe, expect, it } from 'vitest';
import { createHttpApp, genReqId, redactPaths } from '../src/index.ts';
import { captureLogger } from './helpers.ts';

describe('logger redaction', () => {
  it('redacts credentials and named personal data fields', () => {
    const { logger, lines } = captureLogger('svc');
    logger.info(
      {
        headers: { authorization: 'Bearer abc.def', cookie: 's=1', 'set-cookie': 's=2', 'x-api-key': 'k-1', accept: 'application/json' },
        token: 'tok-123',
        member: { email: 'taro@example.jp', name: 'Yamada Taro', phone: '090-0000-0000', address: 'Tokyo', code: 'M-1' },
        login: { password: 'hunter2' },
        key: { privateKey: '-----BEGIN PRIVATE KEY-----', secret: 's3' },
        deep: { owner: { email: 'deep@example.jp' } },
      },
      'hello',
    );
    const [line] = lines();
    expect(line).toMatchObject({
      name: 'svc', // the logger's own name is not personal data
      msg: 'hello',
      headers: {
        authorization: '[Redacted]',
        cookie: '[Redacted]',
        'set-cookie': '[Redacted]',
        'x-api-key': '[Redacted]',
        accept: 'application/json',
      },
      token: '[Redacted]',
      member: { email: '[Redacted]', name: '[Redacted]', phone: '[Redacted]', address: '[Redacted]', code: 'M-1' },
      login: { password: '[Redacted]' },
      key: { privateKey: '[Redacted]', secret: '[Redacted]' },
      deep: { owner: { email: '[Redacted]' } },
    });
    const raw = JSON.stringify(line);
    for (const secret of ['abc.def', 'tok-123', 'taro@example.jp', 'hunter2', 'PRIVATE KEY', 'Yamada']) {
      expect(raw).not.toContain(secret);
    }
  });

  it('redacts bindings of child loggers too', () => {
    const { logger, lines } = captureLogger();
    logger.child({ token: 'child-token' }).info('x');
    expect(lines()[0]!.token).toBe('[Redacted]');
  });

  it('accepts extra redact paths', () => {
    expect(redactPaths(['*.memberCode'])).toContain('*.memberCode');
  });

  it('request logs carry method, path and route only — no headers, query, body or IP', async () => {
    const { logger, lines, raw } = captureLogger();
    const app = createHttpApp({ name: 'svc', logger });
    app.post('/members/:id', async () => ({ ok: true }));
    await app.inject({
      method: 'POST',
      url: '/members/42?email=taro@example.jp',
      headers: { authorization: 'Bearer secret-token', cookie: 'sid=secret-cookie', 'x-request-id': 'log-req-1' },
      payload: { password: 'body-secret' },
    });
    await app.close();
    const incoming = lines().find((l) => l.msg === 'incoming request');
    expect(incoming).toMatchObject({ reqId: 'log-req-1', req: { method: 'POST', path: '/members/42', route: '/members/:id' } });
    const completed = lines().find((l) => l.msg === 'request completed');
    expect(completed).toMatchObject({ reqId: 'log-req-1', res: { statusCode: 200 } });
    for (const secret of ['secret-token', 'secret-cookie', 'body-secret', 'taro@example.jp', '127.0.0.1', 'user-agent']) {
      expect(raw()).not.toContain(secret);
    }
  });
});

describe('genReqId', () => {
  it('keeps a sane incoming id and replaces anything else with a UUID', () => {
    expect(genReqId({ headers: { 'x-request-id': 'abc-123_X.y:z' } })).toBe('abc-123_X.y:z');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(genReqId({ headers: {} })).toMatch(uuid);
    expect(genReqId({ headers: { 'x-request-id': 'has space' } })).toMatch(uuid);
    expect(genReqId({ headers: { 'x-request-id': 'a\nb' } })).toMatch(uuid);
    expect(genReqId({ headers: { 'x-request-id': ['a', 'b'] } })).toMatch(uuid);
    expect(genReqId({ headers: { 'x-request-id': '' } })).toMatch(uuid);
  });
});
