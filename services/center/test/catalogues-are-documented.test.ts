// Every error code and audit action of the Center is documented, and the docs list nothing that
// no longer exists.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { CENTER_ERRORS } from '../src/errors.ts';
import { CENTER_AUDIT_ACTIONS } from '../src/audit/events.ts';

const docs = new URL('../../../docs/', import.meta.url);

describe('documentation', () => {
  it('lists every Center error code with its status, and no others', () => {
    assertErrorsDocumented(CENTER_ERRORS, new URL('errors.md', docs), 'CENTER');
  });

  it('lists every Center audit action, and no others', () => {
    const text = readFileSync(new URL('audit-events.md', docs), 'utf8');
    const section = text.split(/^## /m).find((s) => s.startsWith('Center'))!;
    const documented = [...section.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...CENTER_AUDIT_ACTIONS].sort());
  });
});
