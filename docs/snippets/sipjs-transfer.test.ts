import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runSnippet } from './run-snippet.js';

// The output the tutorial shows is this file, included in the page.
const shown = readFileSync(new URL('sipjs-transfer.out.txt', import.meta.url), 'utf8');

it('sipjs-transfer.ts calls the customer, hunts past the busy agent and hands over', async () => {
  const out = await runSnippet('sipjs-transfer.ts');
  expect(out.trim().split('\n')).toEqual(shown.trim().split('\n'));
});
