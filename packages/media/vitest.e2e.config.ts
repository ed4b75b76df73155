import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

/**
 * End-to-end tier: real rtpengine processes, one file at a time. Built from the shared settings
 * by hand because mergeConfig would concatenate the shared `exclude` (which drops test/e2e).
 */
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['test/e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
