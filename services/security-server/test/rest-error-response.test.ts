// PR-REST error rendering: JSON by default, XML when Accept prefers it; X-Road-Error; 400/500 by type.
import { describe, expect, it } from 'vitest';
import { XRoadError } from '../src/errors.ts';
import { renderXRoadError } from '../src/rest/error-response.ts';

const DETAIL = '9d3c1a8e-2b7f-4c55-8e61-0d5f1b2a3c4d';

describe('renderXRoadError', () => {
  it('renders JSON by default with X-Road-Error and status 400 for client.*', () => {
    const rendered = renderXRoadError(new XRoadError('client.bad_request', 'X-Road-Client header is missing'), undefined, DETAIL);
    expect(rendered.status).toBe(400);
    expect(rendered.headers).toEqual({ 'content-type': 'application/json; charset=utf-8', 'x-road-error': 'client.bad_request' });
    expect(JSON.parse(rendered.body)).toEqual({ type: 'client.bad_request', message: 'X-Road-Client header is missing', detail: DETAIL });
  });

  it('answers 500 for server.*', () => {
    const rendered = renderXRoadError(new XRoadError('server.serverproxy.access_denied'), 'application/json', DETAIL);
    expect(rendered.status).toBe(500);
    expect(rendered.headers['x-road-error']).toBe('server.serverproxy.access_denied');
    expect(JSON.parse(rendered.body).message).toBe('The client subsystem has no access right to this service or endpoint.');
  });

  it('renders XML when Accept prefers it, escaping <&>', () => {
    const rendered = renderXRoadError({ type: 'server.clientproxy.internal_error', message: 'a <b> & "c"' }, 'application/xml', DETAIL);
    expect(rendered.status).toBe(500);
    expect(rendered.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(rendered.headers['x-road-error']).toBe('server.clientproxy.internal_error');
    expect(rendered.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><error><type>server.clientproxy.internal_error</type>' +
        `<message>a &lt;b&gt; &amp; &quot;c&quot;</message><detail>${DETAIL}</detail></error>`,
    );
  });

  it('negotiates by quality: text/xml, JSON on ties and wildcards', () => {
    expect(renderXRoadError(new XRoadError('client.bad_request'), 'text/xml', DETAIL).headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(renderXRoadError(new XRoadError('client.bad_request'), 'application/json;q=0.5, application/xml', DETAIL).headers['content-type']).toMatch(/^application\/xml/);
    expect(renderXRoadError(new XRoadError('client.bad_request'), 'application/xml;q=0.5, application/json', DETAIL).headers['content-type']).toMatch(/^application\/json/);
    expect(renderXRoadError(new XRoadError('client.bad_request'), 'application/xml, application/json', DETAIL).headers['content-type']).toMatch(/^application\/json/);
    expect(renderXRoadError(new XRoadError('client.bad_request'), '*/*', DETAIL).headers['content-type']).toMatch(/^application\/json/);
    expect(renderXRoadError(new XRoadError('client.bad_request'), 'text/html, application/xml;q=0.9', DETAIL).headers['content-type']).toMatch(/^application\/xml/);
  });

  it('keeps the X-Road-Error header free of CR/LF', () => {
    const rendered = renderXRoadError({ type: 'client.x\r\nset-cookie: a=b', message: 'm' }, undefined, DETAIL);
    expect(rendered.headers['x-road-error']).not.toMatch(/[\r\n]/);
    expect(rendered.status).toBe(400);
  });
});
