import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// End-to-end tier: the CLI as a process against SIPp trunks. Run by `pnpm test:e2e`, one package at
// a time, so SIPp and the endpoint are not starved by the parallel unit tier.
// The shared include/exclude are replaced, not merged (they exclude test/e2e).
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['test/e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['test/helpers/build-cli.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
