import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

/** Validators are the input boundary of every adapter: keep nearly every branch exercised. */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      coverage: {
        provider: 'v8',
        include: ['src/**/*.ts'],
        reporter: ['text-summary'],
        thresholds: { lines: 98, statements: 98, functions: 100, branches: 92 },
      },
    },
  }),
);
