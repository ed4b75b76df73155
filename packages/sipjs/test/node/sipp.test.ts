import { createToneSource } from '@referkit/media';
import { Inviter, SessionState, UserAgent } from 'sip.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeUserAgent, type NodeSessionDescriptionHandler } from '../../src/node/index.js';
import {
  freePort,
  requireSippOnCi,
  sippAvailable,
  startLossyUdpRelay,
  startSipp,
  waitForPort,
} from './helpers/sipp.js';

const available = sippAvailable();
requireSippOnCi(available);

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

async function sippUas(
  transport: 'udp' | 'tcp',
): Promise<{ port: number; done: Promise<{ code: number | null; output: string }> }> {
  const port = await freePort();
  const mediaPort = await freePort();
  // SIPp's built-in UAS answers with SDP and echoes our RTP back (-rtp_echo).
  const sipp = startSipp({ args: ['-sn', 'uas', '-rtp_echo', '-mp', String(mediaPort)], port, transport });
  cleanup.push(() => sipp.kill());
  await waitForPort(port, transport);
  return { port, done: sipp.done };
}

async function callAndHangUp(
  server: { host: string; port: number },
  transport: 'udp' | 'tcp',
  sippPort: number,
) {
  const agent = await createNodeUserAgent({
    uri: 'sip:agent@example.test',
    transport: { protocol: transport, server },
    media: { audio: () => createToneSource({ frequencyHz: 600 }), toneCandidatesHz: [600, 1000] },
  });
  cleanup.push(() => agent.stop());
  const target = UserAgent.makeURI(`sip:service@127.0.0.1:${sippPort}`);
  if (!target) throw new Error('bad URI');
  const inviter = new Inviter(agent.userAgent, target);
  await inviter.invite();
  await waitFor(() => inviter.state === SessionState.Established, 'established');
  const handler = inviter.sessionDescriptionHandler as NodeSessionDescriptionHandler;
  // Our own tone comes back through SIPp's RTP echo: real RTP left and arrived.
  await waitFor(() => handler.detector.heard(600), 'echoed tone');
  let byeAnswered = false;
  await inviter.bye({ requestDelegate: { onAccept: () => (byeAnswered = true) } });
  await waitFor(() => byeAnswered, '200 to BYE');
  expect(inviter.state).toBe(SessionState.Terminated);
  return agent;
}

describe.skipIf(!available)('SIP.js on the Node transport against SIPp as UAS', () => {
  it.each(['udp', 'tcp'] as const)('places a call over %s, media flows, BYE ends it', async (transport) => {
    const uas = await sippUas(transport);
    await callAndHangUp({ host: '127.0.0.1', port: uas.port }, transport, uas.port);
    const result = await uas.done;
    expect(result.code, result.output.slice(-2000)).toBe(0);
  });

  it('retransmits a lost INVITE and a lost BYE over UDP (timers A and E)', async () => {
    const uas = await sippUas('udp');
    const seen = new Set<string>();
    // Drop the first copy of the INVITE and of the BYE on the way to SIPp.
    const relay = await startLossyUdpRelay({ host: '127.0.0.1', port: uas.port }, (text, from) => {
      const method = /^(INVITE|BYE) /.exec(text)?.[1];
      if (from !== 'client' || method === undefined || seen.has(method)) return false;
      seen.add(method);
      return true;
    });
    cleanup.push(() => relay.close());
    const agent = await callAndHangUp({ host: '127.0.0.1', port: relay.port }, 'udp', uas.port);
    expect(relay.dropped.map((t) => t.split(' ')[0])).toEqual(['INVITE', 'BYE']);
    expect(agent.transport.stats.requestRetransmissions).toBeGreaterThanOrEqual(2);
    const result = await uas.done;
    expect(result.code, result.output.slice(-2000)).toBe(0);
  });
});
