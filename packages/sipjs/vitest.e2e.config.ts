import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// End-to-end suites against third-party peers (SIPp): files named *.e2e.ts, run by `test:e2e`.
// Built from the shared config by hand: mergeConfig would append to its include list.
export default defineConfig({
  ...shared,
  test: { ...shared.test, include: ['test/**/*.e2e.ts'], testTimeout: 60_000, hookTimeout: 30_000 },
});
