import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings. The `@referkit/source` export condition makes workspace packages resolve
 * to their TypeScript sources, so tests never need a prior build.
 */
const conditions = ['@referkit/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@referkit/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/e2e/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
