import { describe, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { UI_ERRORS } from '../src/index.ts';

describe('documentation', () => {
  it('lists every UI kit error code with its status, and no others', () => {
    assertErrorsDocumented(UI_ERRORS, new URL('../../../docs/errors.md', import.meta.url), 'UI');
  });
});
