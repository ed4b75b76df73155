// SIPp plays a Plivo-like trunk (scenarios in ./scenarios); SIP.js on the package's Node transport
// places the call and transfers it with transfer(). Run by `pnpm --filter @referkit/sipjs test:e2e`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SessionState } from 'sip.js';
import type { Inviter } from 'sip.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeUserAgent } from '../../../src/node/index.js';
import { hangUp, transfer } from '../../../src/index.js';
import type { TransferResult } from '../../../src/index.js';
import {
  freePort,
  requireSippOnCi,
  sippAvailable,
  startLossyUdpRelay,
  startSipp,
  waitForPort,
} from '../../node/helpers/sipp.js';
import { AGENT, DOMAIN, placeCall, sessionState } from '../harness.js';

const available = sippAvailable();
requireSippOnCi(available);
const scenarios = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Run {
  readonly call: Inviter;
  readonly sippDone: Promise<{ code: number | null; output: string }>;
}

/** Starts SIPp with `scenario` as the trunk and places a call to it through the Node transport. */
async function callTrunk(
  scenario: string,
  transport: 'udp' | 'tcp',
  via?: (sippPort: number) => Promise<number>,
): Promise<Run> {
  const port = await freePort();
  const mediaPort = await freePort();
  const sipp = startSipp({
    args: ['-sf', join(scenarios, `${scenario}.xml`), '-mp', String(mediaPort)],
    port,
    transport,
    timeoutSec: 40,
  });
  cleanups.push(() => sipp.kill());
  await waitForPort(port, transport);
  const serverPort = via === undefined ? port : await via(port);
  const agent = await createNodeUserAgent({
    uri: `sip:agent@${DOMAIN}`,
    transport: {
      protocol: transport,
      server: { host: '127.0.0.1', port: serverPort },
      // SIP_TRACE=1 prints every message the endpoint sends and receives (debugging a failed run).
      ...(process.env.SIP_TRACE
        ? {
            onTrace: (trace: { direction: string; text: string }) =>
              console.error(trace.direction, trace.text),
          }
        : {}),
    },
  });
  cleanups.push(() => agent.stop());
  const call = await placeCall(agent.userAgent);
  return { call, sippDone: sipp.done };
}

async function expectSippPassed(run: Run): Promise<void> {
  const { code, output } = await run.sippDone;
  expect(code, output).toBe(0);
}

describe.runIf(available).each(['udp', 'tcp'] as const)(
  'transfer() against a SIPp trunk over %s',
  (transport) => {
    it('202, NOTIFY 100 / 180 / 200, then the trunk hangs up: succeeded', { timeout: 60_000 }, async () => {
      const run = await callTrunk('trunk-transfer-success', transport);
      const progress: string[] = [];
      const ended = sessionState(run.call, SessionState.Terminated);

      const result = await transfer(run.call, AGENT, { onProgress: (p) => progress.push(p.kind) });

      expect(result.kind).toBe('succeeded');
      expect(progress).toEqual(['accepted', 'trying', 'ringing']);
      await ended;
      await expectSippPassed(run);
    });

    it(
      'NOTIFY 486: failed, the call stays up and ends with our normal BYE',
      { timeout: 60_000 },
      async () => {
        const run = await callTrunk('trunk-target-busy', transport);

        const result = await transfer(run.call, AGENT);

        expect(result).toMatchObject({ kind: 'failed', code: 486 });
        expect(run.call.state).toBe(SessionState.Established);
        await hangUp(run.call);
        await expectSippPassed(run);
      },
    );

    it.each([403, 400])(
      'REFER answered %i: rejected, the call stays up',
      { timeout: 60_000 },
      async (status) => {
        const run = await callTrunk(`trunk-refer-${status}`, transport);

        const result: TransferResult = await transfer(run.call, AGENT);

        expect(result).toMatchObject({ kind: 'rejected', code: status });
        expect(run.call.state).toBe(SessionState.Established);
        await hangUp(run.call);
        await expectSippPassed(run);
      },
    );

    it('a NOTIFY before the 202 is matched: succeeded', { timeout: 60_000 }, async () => {
      const run = await callTrunk('trunk-notify-before-202', transport);
      const progress: string[] = [];

      const result = await transfer(run.call, AGENT, { onProgress: (p) => progress.push(p.kind) });

      expect(result.kind).toBe('succeeded');
      // NOTIFY 100 moved the transfer to trying; the 202 that followed added nothing.
      expect(progress).toEqual(['trying']);
      await sessionState(run.call, SessionState.Terminated);
      await expectSippPassed(run);
    });

    it('202 and no NOTIFY: timedOut, the call stays up', { timeout: 60_000 }, async () => {
      const run = await callTrunk('trunk-no-notify', transport);

      const result = await transfer(run.call, AGENT, { notifyTimeoutMs: 1500 });

      expect(result.kind).toBe('timedOut');
      expect(run.call.state).toBe(SessionState.Established);
      await hangUp(run.call);
      await expectSippPassed(run);
    });
  },
);

describe.runIf(available)('transfer() over lossy UDP', () => {
  it(
    'the first two REFERs are lost: retransmitted (timer E) and the transfer completes',
    { timeout: 60_000 },
    async () => {
      let refersDropped = 0;
      let relay: Awaited<ReturnType<typeof startLossyUdpRelay>> | undefined;
      // Requests from the endpoint go through the relay (the trunk's responses and requests come
      // straight back), so the REFER is what can be lost here.
      const run = await callTrunk('trunk-transfer-success', 'udp', async (sippPort) => {
        relay = await startLossyUdpRelay({ host: '127.0.0.1', port: sippPort }, (text, from) => {
          if (from !== 'client' || !text.startsWith('REFER ') || refersDropped === 2) return false;
          refersDropped += 1;
          return true;
        });
        const opened = relay;
        cleanups.push(() => opened.close());
        return relay.port;
      });

      const result = await transfer(run.call, AGENT);

      expect(result.kind).toBe('succeeded');
      expect(relay?.dropped.map((text) => text.split('\r\n')[0])).toEqual([
        expect.stringMatching(/^REFER /),
        expect.stringMatching(/^REFER /),
      ]);
      await sessionState(run.call, SessionState.Terminated);
      await expectSippPassed(run);
    },
  );
});

if (!available) {
  describe('transfer() against a SIPp trunk', () => {
    it.skip('skipped: SIPp (/usr/bin/sipp) is not installed; run `bash scripts/setup.sh`', () => undefined);
  });
}
