import { expect, it } from 'vitest';
import { runSnippet } from './run-snippet.js';

it('sipjs-transfer.ts calls the customer, hunts past the busy agent and hands over', async () => {
  const out = await runSnippet('sipjs-transfer.ts');
  expect(out.trim().split('\n')).toEqual([
    'customer answered',
    'transfer: accepted',
    'transfer: trying',
    'transfer: attemptEnded',
    'transfer: accepted',
    'transfer: trying',
    'transfer: ringing',
    'outcome: succeeded after 2 attempts',
    'the trunk hung up our leg: the customer is with the agent',
  ]);
});
