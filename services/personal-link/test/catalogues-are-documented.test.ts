// Every error code and audit action of Personal-Link is documented, and the docs list nothing that
// no longer exists.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { PL_ERRORS } from '../src/errors.ts';
import { PL_AUDIT_ACTIONS } from '../src/audit.ts';
import { plErrorMessages } from '../src/pages/messages.ts';

const docs = new URL('../../../docs/', import.meta.url);

describe('documentation', () => {
  it('lists every Personal-Link error code with its status, and no others', () => {
    assertErrorsDocumented(PL_ERRORS, new URL('errors.md', docs), 'PERSONAL-LINK');
  });

  it('lists every Personal-Link audit action, and no others', () => {
    const text = readFileSync(new URL('audit-events.md', docs), 'utf8');
    const section = text.split(/^## /m).find((s) => s.startsWith('Personal-Link'))!;
    const documented = [...section.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...PL_AUDIT_ACTIONS].sort());
  });

  it('has a Japanese and English page text for every resident-facing error code', () => {
    const resident = Object.keys(PL_ERRORS).filter((c) => !c.startsWith('PL_CLIENT_') && !c.startsWith('PL_KEY_'));
    for (const code of resident) expect(Object.keys(plErrorMessages.ja)).toContain(code);
  });
});
