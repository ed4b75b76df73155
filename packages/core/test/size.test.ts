import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** Budget for the whole public surface, minified ESM, gzip-compressed. */
const LIMIT_BYTES = 5 * 1024;

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

describe('package size', () => {
  it('has zero runtime dependencies', () => {
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toBeUndefined();
    expect(manifest.optionalDependencies).toBeUndefined();
  });

  it(`bundles to under ${LIMIT_BYTES} bytes minified + gzipped`, async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      write: false,
      logLevel: 'silent',
    });
    const [output] = result.outputFiles;
    expect(output).toBeDefined();
    const code = output?.contents ?? new Uint8Array();
    // Sanity: the bundle holds both machines, so a broken build cannot pass as "small".
    const text = new TextDecoder().decode(code);
    expect(text).toContain('transferor hung up before the transfer completed');
    expect(text).toContain('Subscription Does Not Exist');
    const gzipped = gzipSync(code, { level: 9 }).byteLength;
    expect(gzipped).toBeLessThan(LIMIT_BYTES);
  });
});
