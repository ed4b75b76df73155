import * as dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { isMediaError, startRtpEngine, type Logger } from '../../src/index.js';
import { requireRtpEngineInCi, rtpengineInstalled, SKIP_REASON } from './harness.js';

requireRtpEngineInCi();

describe.skipIf(!rtpengineInstalled)(
  `rtpengine supervisor${rtpengineInstalled ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    it('runs with the documented flags and forwards stderr to the logger', async () => {
      const lines: string[] = [];
      const capture = (obj: unknown): void => {
        const line = (obj as { line?: unknown }).line;
        if (typeof line === 'string') lines.push(line);
      };
      const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
      const engine = await startRtpEngine({ logLevel: 6, deleteDelay: 0, logger });
      try {
        expect(engine.args).toEqual(
          expect.arrayContaining([
            '--config-file=none',
            '--foreground',
            '--log-stderr',
            '--table=-1',
            '--no-fallback',
            '--interface=127.0.0.1',
            `--listen-ng=127.0.0.1:${engine.ngPort}`,
            `--port-min=${engine.portMin}`,
            `--port-max=${engine.portMax}`,
            '--delete-delay=0',
          ]),
        );
        expect(engine.portMin).toBeGreaterThanOrEqual(10000);
        expect(engine.portMax).toBeLessThan(32768);
        expect(lines.some((l) => l.includes('Startup complete'))).toBe(true);
      } finally {
        await engine.stop();
      }
      expect(engine.state).toBe('stopped');
      expect(engine.pid).toBeUndefined();
      await engine.stop(); // idempotent
    });

    it('two supervisors side by side get different ports', async () => {
      const [a, b] = await Promise.all([startRtpEngine(), startRtpEngine()]);
      try {
        expect(a.ngPort).not.toBe(b.ngPort);
        const [ca, cb] = await Promise.all([a.controller(), b.controller()]);
        await Promise.all([ca.ping(), cb.ping()]);
        ca.close();
        cb.close();
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });

    it('fails with RTPENGINE_START_FAILED when the ng port is taken', async () => {
      const blocker = dgram.createSocket('udp4');
      await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
      try {
        const err: unknown = await startRtpEngine({
          ngPort: blocker.address().port,
          readyTimeoutMs: 3000,
        }).catch((e: unknown) => e);
        expect(isMediaError(err, 'RTPENGINE_START_FAILED')).toBe(true);
      } finally {
        blocker.close();
      }
    });
  },
);
