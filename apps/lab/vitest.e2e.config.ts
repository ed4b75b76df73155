import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// End-to-end tier: the whole lab with a real rtpengine, Chromium and linphonec. Run by `pnpm test:e2e`, one file at a time.
// The shared include/exclude are replaced, not merged (they exclude test/e2e).
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['test/e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
