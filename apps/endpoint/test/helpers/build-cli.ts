import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the `referkit-endpoint` CLI bundled from source for this run. */
    cliPath: string;
  }
}

/**
 * Bundles the real CLI (src/bin.ts and the workspace packages' sources) into one file so tests
 * run `node <file> call ...` as a separate process without a prior build.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'referkit-endpoint-cli-'));
  const outfile = join(dir, 'referkit-endpoint.cjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/bin.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['@referkit/source'],
    logLevel: 'error',
  });
  project.provide('cliPath', outfile);
  return () => rmSync(dir, { recursive: true, force: true });
}
