import { expect } from 'vitest';
import { XRoadError } from '../../src/errors.ts';

/** The XRoadError a promise rejects with (fails the test when it resolves or rejects with something else). */
export async function refusal(promise: Promise<unknown>): Promise<XRoadError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(XRoadError);
  return error as XRoadError;
}
