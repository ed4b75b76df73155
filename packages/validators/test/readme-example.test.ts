import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { transform } from 'esbuild';
import { expect, it } from 'vitest';
import * as validators from '../src/index.js';

/** Runs the README's TypeScript example against the sources and checks what it prints. */
it('README example runs and prints what its comments say', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const source = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(source).toBeDefined();
  const { code } = await transform(source ?? '', { loader: 'ts', format: 'cjs' });
  const printed: string[] = [];
  const requireValidators = (id: string): unknown => {
    if (id !== '@referkit/validators') throw new Error(`unexpected import ${id}`);
    return validators;
  };
  runInNewContext(code, {
    require: requireValidators,
    exports: {},
    console: { log: (...args: unknown[]) => printed.push(args.map(String).join(' ')) },
  });
  // Each console.log line in the example ends with a comment giving its output.
  const expected = [...(source ?? '').matchAll(/console\.log\(.*\/\/ (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBe(5);
  expect(printed).toEqual(expected);
});
