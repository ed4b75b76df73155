import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

/** The two transition functions must keep full branch coverage: every protocol branch is traced. */
const transitionFiles = ['src/transferor-machine.ts', 'src/trunk-machine.ts'];

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      coverage: {
        provider: 'v8',
        include: ['src/**/*.ts'],
        exclude: ['src/**/*.test.ts'],
        reporter: ['text-summary'],
        thresholds: Object.fromEntries(
          transitionFiles.map((file) => [
            file,
            { branches: 100, functions: 100, lines: 100, statements: 100 },
          ]),
        ),
      },
    },
  }),
);
