// Every error code of servicer A is documented in docs/errors.md, and the docs list nothing else.
import { describe, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { SHOP_ERRORS } from '../src/errors.ts';

describe('documentation', () => {
  it('lists every servicer A error code with its status, and no others', () => {
    assertErrorsDocumented(SHOP_ERRORS, new URL('../../../docs/errors.md', import.meta.url), 'SHOP');
  });
});
