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

/** Polls `predicate` every 10 ms until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
