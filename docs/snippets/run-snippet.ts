import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

/**
 * Runs a snippet the way a reader would (`npx tsx snippet.ts`), with the workspace packages resolved
 * to their sources, and returns what it printed. A snippet that throws or exits non-zero fails.
 */
export function runSnippet(name: string, timeoutMs = 60_000): Promise<string> {
  const file = fileURLToPath(new URL(name, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      ['--conditions=@referkit/source', file],
      { timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${name} failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}
