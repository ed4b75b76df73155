import * as dgram from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createToneSource,
  isMediaError,
  parseRemoteMedia,
  startRtpEngine,
  type MediaError,
  type RtpEngineSupervisor,
} from '../../src/index.js';
import {
  bridge,
  party,
  quietLogger,
  requireRtpEngineInCi,
  rtpengineInstalled,
  sleep,
  SKIP_REASON,
  waitFor,
  type Party,
} from './harness.js';

requireRtpEngineInCi();

describe.skipIf(!rtpengineInstalled)(
  `faults${rtpengineInstalled ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    const engines: RtpEngineSupervisor[] = [];
    const parties: Party[] = [];

    afterAll(async () => {
      await Promise.all(parties.map((p) => p.session.close()));
      await Promise.all(engines.map((e) => e.stop()));
    });

    it('rtpengine killed mid-call: typed controller error, crash reported, restart works', async () => {
      const engine = await startRtpEngine({ deleteDelay: 0, logger: quietLogger() });
      engines.push(engine);
      const ctl = await engine.controller({ timeoutMs: 300 });
      const a = await party('crash-a');
      const b = await party('crash-b');
      parties.push(a, b);
      await bridge(ctl, 'crash-1', a, b);
      a.session.play(createToneSource({ frequencyHz: 1000 }));
      await waitFor(() => b.detector.heard(1000, { minMs: 200 }), 'media before the crash');

      const crashes: MediaError[] = [];
      engine.on('crash', (e) => crashes.push(e));
      const pid = engine.pid;
      expect(engine.kill('SIGKILL')).toBe(true);
      await waitFor(() => crashes.length === 1, 'crash event');
      expect(crashes[0]?.code).toBe('RTPENGINE_CRASHED');
      expect(engine.state).toBe('crashed');

      const err: unknown = await ctl.query({ callId: 'crash-1' }).catch((e: unknown) => e);
      expect(isMediaError(err, 'RTPENGINE_TIMEOUT')).toBe(true);
      const received = b.session.stats.received.packets;
      await sleep(200);
      expect(b.session.stats.received.packets).toBe(received); // media is gone with it

      await engine.restart();
      expect(engine.state).toBe('running');
      expect(engine.pid).not.toBe(pid);
      expect(engine.restartCount).toBe(1);
      await ctl.ping();
      expect(await ctl.list()).toEqual([]); // calls do not survive a restart
      ctl.close();
    });

    it('restarts by itself with autoRestart', async () => {
      const engine = await startRtpEngine({ deleteDelay: 0, autoRestart: true, logger: quietLogger() });
      engines.push(engine);
      const ready = new Promise<void>((resolve) => engine.once('ready', () => resolve()));
      engine.kill('SIGKILL');
      await ready;
      expect(engine.state).toBe('running');
      const ctl = await engine.controller();
      await ctl.ping();
      ctl.close();
    });

    it('malformed datagrams through the bridge are counted and dropped; the call goes on', async () => {
      const engine = await startRtpEngine({ deleteDelay: 0, logger: quietLogger() });
      engines.push(engine);
      const ctl = await engine.controller();
      const a = await party('bad-a');
      const b = await party('bad-b');
      parties.push(a, b);
      await bridge(ctl, 'bad-1', a, b);
      a.session.play(createToneSource({ frequencyHz: 1000 }));
      await waitFor(() => b.detector.heard(1000, { minMs: 100 }), 'media');

      // Garbage from A's own socket address to A's rtpengine port (so rtpengine relays what it
      // does not filter), and garbage straight at B.
      const toEngine = a.session.remote!;
      const raw = dgram.createSocket('udp4');
      await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
      const send = (buf: Buffer, port: number): Promise<void> =>
        new Promise((r) => raw.send(buf, port, '127.0.0.1', () => r()));
      for (let i = 0; i < 5; i++) await send(Buffer.from(`not rtp ${i}`), b.session.local.port);
      await send(Buffer.alloc(8, 0x80), toEngine.port);
      await waitFor(() => b.session.stats.received.malformed >= 5, 'malformed counted');
      raw.close();
      const mark = b.detector.now();
      await waitFor(() => b.detector.heard(1000, { since: mark, minMs: 300 }), 'call continues');
      expect(b.session.stats.received.lost).toBe(0);
      expect(parseRemoteMedia(a.sdp()).ok).toBe(true);
      ctl.close();
    });
  },
);
