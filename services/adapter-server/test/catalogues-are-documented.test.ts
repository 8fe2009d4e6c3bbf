import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { ADAPTER_ERRORS } from '../src/errors.ts';
import { ADAPTER_AUDIT_ACTIONS } from '../src/audit.ts';

const docs = new URL('../../../docs/', import.meta.url);

describe('documentation', () => {
  it('lists every error code with its status, and no others', () => {
    assertErrorsDocumented(ADAPTER_ERRORS, new URL('errors.md', docs), 'ADAPTER');
  });

  it('lists every audit action, and no others', () => {
    const text = readFileSync(new URL('audit-events.md', docs), 'utf8');
    const section = text.split(/^## /m).find((s) => s.startsWith('Adapter Server'))!;
    const documented = [...section.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...ADAPTER_AUDIT_ACTIONS].sort());
  });
});
