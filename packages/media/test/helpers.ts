import { expect } from 'vitest';
import { isMediaError, type MediaErrorCode } from '../src/index.js';

/** Asserts that `fn` throws a MediaError with `code`. */
export function expectCode(fn: () => unknown, code: MediaErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isMediaError(thrown) ? thrown.code : thrown).toBe(code);
}
