import { describe, it } from 'vitest';
import { assertErrorsDocumented } from '@jplink/kit';
import { GLOBAL_CONF_ERRORS } from '../src/errors.ts';

describe('documentation', () => {
  it('lists every global configuration error code, and no others', () => {
    assertErrorsDocumented(Object.keys(GLOBAL_CONF_ERRORS), new URL('../../../docs/errors.md', import.meta.url), 'GCONF');
  });
});
