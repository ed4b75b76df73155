import { expect, it } from 'vitest';
import { runSnippet } from './run-snippet.js';

it('check-refer-to.ts prints a verdict per Refer-To', async () => {
  const out = await runSnippet('check-refer-to.ts');
  const verdicts = out.split('\n').filter((line) => line.includes(' -> '));
  expect(verdicts).toEqual([
    '<sip:+14155551234@XXXXXXXXXXXX.zt.plivo.com> -> send it (+14155551234, US)',
    '<sip:4155551234@XXXXXXXXXXXX.zt.plivo.com> -> the trunk would answer 400 NOT_E164',
    '<sip:+14155551234@pbx.example.com> -> the trunk would answer 403 FOREIGN_DOMAIN',
    '<sip:+14155551234@192.168.1.20> -> the trunk would answer 403 PRIVATE_ADDRESS',
    '<sip:+442079460000@XXXXXXXXXXXX.zt.plivo.com> -> the trunk would answer 403 GEO_NOT_PERMITTED',
  ]);
  expect(out).toContain('fix: ');
});
