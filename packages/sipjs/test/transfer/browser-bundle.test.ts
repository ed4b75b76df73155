// The `@referkit/sipjs/transfer` entry must bundle for the browser (SIP.js on WebSocket): no Node
// built-ins anywhere in its import graph, sip.js and the workspace packages included.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

it('src/transfer bundles for platform browser without Node built-ins', async () => {
  const result = await build({
    entryPoints: [join(packageDir, 'src', 'transfer', 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@referkit/source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(result.errors).toEqual([]);
  expect(inputs.some((input) => input.includes('sip.js'))).toBe(true);
  expect(inputs.some((input) => input.includes('validators'))).toBe(true);
  expect(inputs.filter((input) => input.startsWith('node:') || input.includes('/src/node/'))).toEqual([]);
  // And the same entry imported in Node exposes the API.
  const api = await import('../../src/transfer/index.js');
  expect(Object.keys(api).sort()).toEqual([
    'TRANSFER_ERROR_CODES',
    'TransferError',
    'canHangUp',
    'hangUp',
    'transfer',
  ]);
});
