// Every error code of servicer B is documented in docs/errors.md, and the docs list nothing else.
import { describe, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { HEALTH_ERRORS } from '../src/errors.ts';

describe('documentation', () => {
  it('lists every servicer B error code with its status, and no others', () => {
    assertErrorsDocumented(HEALTH_ERRORS, new URL('../../../docs/errors.md', import.meta.url), 'HEALTH');
  });
});
