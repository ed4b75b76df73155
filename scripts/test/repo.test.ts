import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Manifest {
  name: string;
  private?: boolean;
  type?: string;
  sideEffects?: boolean;
  files?: string[];
  exports?: Record<string, unknown>;
  publishConfig?: { exports?: Record<string, unknown> };
  scripts?: Record<string, string>;
}

const workspaces = ['packages', 'apps'].flatMap((dir) =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, dir, entry.name, 'package.json')))
    .map((entry) => `${dir}/${entry.name}`),
);
const published = workspaces
  .map((dir) => ({ dir, manifest: JSON.parse(read(`${dir}/package.json`)) as Manifest }))
  .filter(({ manifest }) => !manifest.private);

describe('README quick start', () => {
  it('.ci/run runs the README test command verbatim', () => {
    const readme = read('README.md');
    const commands = [...readme.matchAll(/^```(?:sh|bash)\n(.+)\n```$/gm)].map((match) => match[1]);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    const testCommand = commands.find((command) => command?.includes('pnpm test'));
    expect(testCommand).toBeDefined();
    const ciLines = read('.ci/run').split('\n');
    expect(ciLines).toContain(testCommand);
  });
});

describe('published packages', () => {
  it('are all found', () => {
    expect(published.map(({ manifest }) => manifest.name).sort()).toEqual(
      expect.arrayContaining(['@referkit/core', '@referkit/validators', '@referkit/sip', '@referkit/media']),
    );
  });

  const EXTRA_ENTRIES: Record<string, string[]> = { '@referkit/sipjs': ['./transfer'] };

  it.each(published)('$dir has one public entry with types for import and require', ({ manifest }) => {
    expect(manifest.type).toBe('module');
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.files).toEqual(['dist']);
    const entry = manifest.exports?.['.'] as Record<string, unknown>;
    // Extra entry points only where a platform needs one: @referkit/sipjs's `./transfer` is the
    // browser-safe part (the package root also holds the Node transport).
    const extra = EXTRA_ENTRIES[manifest.name ?? ''] ?? [];
    expect(Object.keys(manifest.exports ?? {}).sort()).toEqual(['.', './package.json', ...extra].sort());
    expect(entry['@referkit/source']).toBe('./src/index.ts');
    expect(entry['import']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(entry['require']).toEqual({ types: './dist/index.d.cts', default: './dist/index.cjs' });
    // What is published must not point at sources that are not in the tarball.
    expect(JSON.stringify(manifest.publishConfig?.exports)).not.toContain('src/');
  });

  it.each(published)('$dir runs publint and attw in its package check', ({ manifest }) => {
    expect(manifest.scripts?.['test:package']).toMatch(/publint/);
    expect(manifest.scripts?.['test:package']).toMatch(/attw --pack/);
  });
});
