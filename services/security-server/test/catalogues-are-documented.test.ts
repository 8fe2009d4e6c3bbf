import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { SS_ADMIN_ERRORS, XROAD_ERRORS, xroadErrorStatus } from '../src/errors.ts';
import { SECURITY_SERVER_AUDIT_ACTIONS } from '../src/audit.ts';

const docs = new URL('../../../docs/', import.meta.url);

describe('documentation', () => {
  it('lists every X-Road error type with its status, and no others', () => {
    const catalogue = Object.fromEntries(Object.keys(XROAD_ERRORS).map((type) => [type, { status: xroadErrorStatus(type) }]));
    assertErrorsDocumented(catalogue, new URL('errors.md', docs), 'SECURITY-SERVER');
  });

  it('lists every configuration API error, and no others', () => {
    assertErrorsDocumented(SS_ADMIN_ERRORS, new URL('errors.md', docs), 'SS-ADMIN');
  });

  it('lists every audit action, and no others', () => {
    const text = readFileSync(new URL('audit-events.md', docs), 'utf8');
    const section = text.split(/^## /m).find((s) => s.startsWith('Security Server'))!;
    const documented = [...section.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...SECURITY_SERVER_AUDIT_ACTIONS].sort());
  });
});
