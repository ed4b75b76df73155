// Runs the README's transfer() example as written, against the in-process trunk: only the
// trunk's port and the package import are rewritten.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { byNumber, connects, startTrunk, targetFails } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..', '..');
// Inside node_modules so the example's own imports (sip.js) resolve like an installed app's.
const workDir = join(packageDir, 'node_modules', '.referkit-readme');

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(workDir, { recursive: true, force: true });
});

it('the README transfer() example runs: busy first target, the fallback connects', async () => {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## transfer()'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  if (block === undefined) return;
  expect(block).toContain('port: 5080');

  const trunk = await startTrunk('udp');
  try {
    trunk.onRefer = byNumber({ '+14155550101': targetFails(486) }, connects);
    const source = block
      .replace(
        "from '@referkit/sipjs'",
        `from ${JSON.stringify(pathToFileURL(join(packageDir, 'src', 'index.ts')).href)}`,
      )
      .replace('port: 5080', `port: ${trunk.port}`);
    await mkdir(workDir, { recursive: true });
    const file = join(workDir, `example-${process.pid}.ts`);
    await writeFile(file, `${source}\nexport {};\n`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    await import(pathToFileURL(file).href);

    const lines = log.mock.calls.map((args) => args.join(' '));
    expect(lines).toEqual([
      'transfer: accepted',
      'transfer: trying',
      'transfer: ringing',
      'transfer: attemptEnded',
      'transfer: accepted',
      'transfer: trying',
      'transfer: ringing',
      'connected; the trunk hangs up our leg',
    ]);
    // The validated URI is written in canonical form (host lower-cased).
    expect(trunk.refers.map((r) => r.header('Refer-To'))).toEqual([
      '<sip:+14155550101@xxxxxxxxxxxx.zt.plivo.com>',
      '<sip:+14155550105@xxxxxxxxxxxx.zt.plivo.com>',
    ]);
    expect(trunk.errors).toEqual([]);
  } finally {
    await trunk.stack.close();
  }
});
