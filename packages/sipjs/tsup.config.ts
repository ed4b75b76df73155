import { defineConfig } from 'tsup';

export default defineConfig({
  // transfer: the browser-safe entry (@referkit/sipjs/transfer), without the Node transport.
  entry: { index: 'src/index.ts', transfer: 'src/transfer/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
