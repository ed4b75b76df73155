import * as dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRtpEngineController,
  isMediaError,
  parseQueryReply,
  startRtpEngine,
  type RtpEngineController,
} from '../src/index.js';
import { sleep } from './helpers.js';

/** A fake ng peer on loopback: replies to each command after `delayMs` with `reply` (bencoded). */
async function fakeNg(
  reply: string | undefined,
  delayMs = 0,
): Promise<{ port: number; received: string[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString();
    received.push(text);
    if (reply === undefined) return;
    const cookie = text.slice(0, text.indexOf(' '));
    setTimeout(() => socket.send(`${cookie} ${reply}`, rinfo.port, rinfo.address), delayMs);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, received, close: () => socket.close() };
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function controllerFor(port: number, timeoutMs: number): Promise<RtpEngineController> {
  const ctl = await createRtpEngineController({ port, timeoutMs });
  cleanup.push(() => ctl.close());
  return ctl;
}

describe('RtpEngineController against a fake ng peer', () => {
  it('pings', async () => {
    const peer = await fakeNg('d6:result4:ponge');
    cleanup.push(() => peer.close());
    const ctl = await controllerFor(peer.port, 1000);
    await ctl.ping();
    expect(peer.received[0]).toMatch(/d7:command4:pinge$/);
  });

  it('times out with a typed error, and a late reply does not crash the process', async () => {
    const peer = await fakeNg('d6:result4:ponge', 300);
    cleanup.push(() => peer.close());
    const ctl = await controllerFor(peer.port, 100);
    const err: unknown = await ctl.ping().catch((e: unknown) => e);
    expect(isMediaError(err, 'RTPENGINE_TIMEOUT')).toBe(true);
    await sleep(400); // the late reply arrives and is logged, not thrown
  });

  it('reaches an ng address on another host: the client socket is not bound to loopback then', async () => {
    // 198.51.100.1 (TEST-NET-2) never answers. From a socket bound to 127.0.0.1 the send itself
    // fails with EINVAL; bound to every interface it times out (or finds no route offline).
    const ctl = await createRtpEngineController({ host: '198.51.100.1', port: 22222, timeoutMs: 100 });
    cleanup.push(() => ctl.close());
    const err: unknown = await ctl.ping().catch((e: unknown) => e);
    expect(isMediaError(err)).toBe(true);
    expect(String((err as Error).message)).not.toMatch(/EINVAL/);
  });

  it('maps result=error to RTPENGINE_ERROR with the reason', async () => {
    const peer = await fakeNg('d12:error-reason12:Unknown call6:result5:errore');
    cleanup.push(() => peer.close());
    const ctl = await controllerFor(peer.port, 1000);
    const err: unknown = await ctl.query({ callId: 'nope' }).catch((e: unknown) => e);
    expect(isMediaError(err, 'RTPENGINE_ERROR') && err.detail.reason).toBe('Unknown call');
  });

  it('reports play-media as unsupported when the build refuses the command', async () => {
    const peer = await fakeNg('d12:error-reason20:Unrecognized command6:result5:errore');
    cleanup.push(() => peer.close());
    const ctl = await controllerFor(peer.port, 1000);
    await expect(ctl.playMedia({ callId: 'c', fromTag: 'a', file: '/x.wav' })).resolves.toEqual({
      supported: false,
      reason: 'Unrecognized command',
    });
  });

  it('rejects commands after close and pending ones on close', async () => {
    const peer = await fakeNg(undefined);
    cleanup.push(() => peer.close());
    const ctl = await createRtpEngineController({ port: peer.port, timeoutMs: 5000 });
    const pending = ctl.ping().catch((e: unknown) => e);
    await sleep(20);
    ctl.close();
    expect(isMediaError(await pending, 'RTPENGINE_CLOSED')).toBe(true);
    await expect(ctl.list()).rejects.toMatchObject({ code: 'RTPENGINE_CLOSED' });
  });

  it('rebridge reports the failing step', async () => {
    const peer = await fakeNg('d6:result2:ok3:sdp5:v=0\r\ne');
    cleanup.push(() => peer.close());
    const ctl = await controllerFor(peer.port, 1000);
    const err: unknown = await ctl
      .rebridge({
        callId: 'c',
        customerTag: 'A',
        oldTag: 'B',
        targetTag: 'C',
        customerSdp: 'v=0\r\n',
        connectTarget: () => Promise.reject(new Error('486 Busy Here')),
      })
      .catch((e: unknown) => e);
    expect(isMediaError(err) && err.detail.step).toBe('connectTarget');
    expect(peer.received).toHaveLength(1);
    expect(peer.received[0]).toContain('6:to-tag1:C');
  });
});

describe('parseQueryReply', () => {
  it('reads per-tag RTP packet counts (RTCP streams excluded)', () => {
    const raw = {
      tags: {
        A: {
          tag: 'A',
          subscriptions: [{ tag: 'B', type: 'offer/answer' }],
          medias: [
            {
              streams: [
                {
                  'local port': 20020,
                  endpoint: { address: '127.0.0.1', port: 5000 },
                  flags: ['RTP'],
                  stats: { packets: 50, bytes: 8600, errors: 0 },
                },
                { 'local port': 20021, flags: ['RTCP'], stats: { packets: 3, bytes: 10, errors: 0 } },
              ],
            },
          ],
        },
      },
      totals: { RTP: { packets: 50, bytes: 8600, errors: 0 } },
      result: 'ok',
    };
    const q = parseQueryReply(raw);
    expect(q.tags.A).toMatchObject({
      inDialogueWith: 'B',
      packets: 50,
      streams: [{ localPort: 20020, endpoint: { port: 5000 } }],
    });
    expect(q.totals.packets).toBe(50);
  });
});

describe('startRtpEngine', () => {
  it('names the setup command when the binary is missing', async () => {
    const err: unknown = await startRtpEngine({ binary: '/nonexistent/rtpengine' }).catch((e: unknown) => e);
    expect(isMediaError(err, 'RTPENGINE_MISSING')).toBe(true);
    expect((err as Error).message).toContain('bash scripts/setup.sh');
  });
});

describe('createRtpEngineController', () => {
  it('refuses an IPv6 ng address (rtpengine-client is udp4 only)', async () => {
    await expect(createRtpEngineController({ host: '::1', port: 2223 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
