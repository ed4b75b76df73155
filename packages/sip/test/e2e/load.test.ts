import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, createSipStack } from '../../src/index.js';
import type { SipStack } from '../../src/index.js';
import { rawPeer, rawRequest } from '../helpers/raw-peer.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

/** Sends `n` requests in windows of `window`, waiting for every answer of a window before the next. */
async function drive(
  stack: SipStack,
  peer: Awaited<ReturnType<typeof rawPeer>>,
  n: number,
  window: number,
  make: (i: number) => string,
  expectStart: string,
): Promise<void> {
  const port = stack.addresses[0]!.port;
  for (let i = 0; i < n; i += window) {
    peer.received.length = 0;
    const batch = Math.min(window, n - i);
    for (let j = 0; j < batch; j++) await peer.send(make(i + j), port);
    await peer.waitFor((all) => all.filter((m) => m.startsWith(expectStart)).length >= batch, 30_000);
  }
}

describe('load and memory', () => {
  it('memory stays flat over 100k transactions (manual clock drives Timers J/H/I/L to completion)', async () => {
    const clock = new ManualClock();
    const stack = await createSipStack({ listen: [{ transport: 'udp' }], clock });
    const peer = await rawPeer();
    open.push(stack, peer);
    stack.on('request', (req) => req.respond(200));
    const make = (i: number) =>
      rawRequest('OPTIONS', peer.port, { callId: `mem-${i}`, branch: `z9hG4bKm${i}` });
    await drive(stack, peer, 10_000, 500, make, 'SIP/2.0 200');
    clock.advance(64 * 500);
    expect(stack.stats.activeTransactions).toBe(0);
    const before = heapMb();
    await drive(stack, peer, 100_000, 500, (i) => make(10_000 + i), 'SIP/2.0 200');
    expect(stack.stats.activeTransactions).toBe(100_000);
    const during = heapMb();
    clock.advance(64 * 500);
    expect(stack.stats.activeTransactions).toBe(0);
    expect(clock.pending).toBe(0);
    const after = heapMb();
    // The 100k live transactions are visible on the heap; after Timer J they must all be gone.
    expect(during - before).toBeGreaterThan(20);
    expect(after - before).toBeLessThan((during - before) / 4);
  }, 300_000);

  it('a flood of garbage datagrams is counted and dropped while every valid request is answered', async () => {
    const stack = await createSipStack({ listen: [{ transport: 'udp' }] });
    const peer = await rawPeer();
    open.push(stack, peer);
    stack.on('request', (req) => req.respond(200));
    const port = stack.addresses[0]!.port;
    const junk = [
      Buffer.from('\u0000\u0001\u0002garbage'),
      Buffer.from('INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n'),
      Buffer.from('SIP/2.0 999 Nope\r\n\r\n'),
      Buffer.from('OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\nshort'),
      Buffer.alloc(1400, 0xff),
    ];
    const valid = 500;
    let retransmissions = 0;
    for (let i = 0; i < valid; i++) {
      for (let k = 0; k < 15; k++) await peer.send(junk[k % junk.length]!, port);
      // Like any UDP client, retransmit the valid request (same branch) if the flood cost us a datagram.
      const request = rawRequest('OPTIONS', peer.port, { callId: `flood-${i}`, branch: `z9hG4bKflood${i}` });
      const answered = (all: string[]) =>
        all.some((m) => m.startsWith('SIP/2.0 200') && m.includes(`flood-${i}\r\n`));
      for (let attempt = 0; ; attempt++) {
        await peer.send(request, port);
        try {
          await peer.waitFor(answered, 500);
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          retransmissions++;
        }
      }
    }
    expect(
      new Set(peer.received.filter((m) => m.startsWith('SIP/2.0 200')).map((m) => /flood-\d+/.exec(m)?.[0]))
        .size,
    ).toBe(valid);
    expect(stack.stats.garbage).toBeGreaterThanOrEqual(valid * 15 * 0.5);
    expect(retransmissions).toBeLessThan(valid / 2);
  }, 60_000);
});
