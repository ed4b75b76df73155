import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToneSource, encodeWav, SAMPLE_RATE } from '@referkit/media';
import { startMockTrunk, type MockTrunk, type SipTraceEvent } from '@referkit/mock-trunk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_NUMBERS, LAB_PHONES } from '../../src/targets.js';

/**
 * A third-party endpoint in the loop: linphonec (Debian's linphone-cli) calls the customer through
 * the mock trunk, plays a 600 Hz tone as the agent, and transfers with its own `transfer` command.
 * The trunk and the simulated phones check the same outcome and media as for our endpoint.
 */
const LINPHONEC = '/usr/bin/linphonec';
const missing = existsSync(LINPHONEC)
  ? undefined
  : `${LINPHONEC} is missing (run \`bash scripts/setup.sh\` as root)`;
if (missing && process.env.CI) throw new Error(missing);

/** linphonec driven on its stdin, its output collected. */
function startLinphonec(config: string): {
  process: ChildProcessWithoutNullStreams;
  send(command: string): void;
  waitForOutput(match: RegExp, timeoutMs?: number): Promise<void>;
  output(): string;
} {
  const child = spawn(LINPHONEC, ['-c', config], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (data: Buffer): void => {
    out += data.toString('utf8');
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    process: child,
    send: (command) => child.stdin.write(`${command}\n`),
    output: () => out,
    waitForOutput: (match, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!match.test(out)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`linphonec never printed ${String(match)}; it printed:\n${out.slice(-2000)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

describe.skipIf(missing !== undefined)(
  `linphonec transfers through the mock trunk${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let trunk: MockTrunk;
    let dir: string;
    let phone: ReturnType<typeof startLinphonec> | undefined;

    beforeAll(async () => {
      trunk = await startMockTrunk({ media: 'rtpengine', phones: LAB_PHONES, geo: [] });
      dir = await mkdtemp(join(tmpdir(), 'referkit-linphonec-'));
      const tone = createToneSource({ frequencyHz: 600 }).read(SAMPLE_RATE * 30);
      if (!tone) throw new Error('no tone samples');
      await writeFile(join(dir, 'agent.wav'), encodeWav(tone));
      await writeFile(
        join(dir, 'linphonerc'),
        '[sip]\nguess_hostname=0\nipv6=0\n[sound]\necho_cancellation=0\n',
      );
    }, 60_000);

    afterAll(async () => {
      if (phone && phone.process.exitCode === null) {
        phone.send('quit');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            phone?.process.kill('SIGKILL');
            resolve();
          }, 3000);
          phone?.process.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const rtpengine = trunk?.rtpengine;
      await trunk?.close();
      if (rtpengine) expect(trunk.activeDialogs()).toBe(0);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('REFER, NOTIFY 100/180/200, BYE from the trunk; the customer hears linphonec, ring-back, then the agent', async () => {
      const address = trunk.addresses[0];
      if (!address || !trunk.phoneBank) throw new Error('the trunk has no address or phones');
      const bank = trunk.phoneBank;
      phone = startLinphonec(join(dir, 'linphonerc'));
      phone.send('soundcard use files');
      phone.send('ports sip 0');
      const since = Date.now();
      phone.send(`call sip:${LAB_NUMBERS.customer}@${address.host}:${address.port}`);
      await phone.waitForOutput(/Call 1 with .* connected/);
      phone.send(`play ${join(dir, 'agent.wav')}`);
      await bank.waitForHeard(LAB_NUMBERS.customer, 'tone:600', { since, minMs: 300, timeoutMs: 15_000 });

      const referAt = Date.now();
      phone.send(`transfer 1 sip:${LAB_NUMBERS.agent}@${trunk.domain}`);
      await phone.waitForOutput(/has been transfered/, 30_000);
      await bank.waitForHeard(LAB_NUMBERS.customer, 'ringback', {
        since: referAt,
        minMs: 200,
        timeoutMs: 15_000,
      });
      await bank.waitForHeard(LAB_NUMBERS.customer, 'tone:800', {
        since: referAt,
        minMs: 500,
        timeoutMs: 15_000,
      });

      const toEndpoint = trunk
        .events()
        .filter((e): e is SipTraceEvent => e.type === 'sip' && e.leg === 'endpoint' && e.at >= referAt);
      const refer = trunk.events().find((e): e is SipTraceEvent => e.type === 'sip' && e.summary === 'REFER');
      expect(refer?.raw).toMatch(/^Refer-To: *<?sip:\+14155550101@lab\.zt\.plivo\.com>?\r?$/im);
      expect(toEndpoint.some((e) => e.direction === 'out' && e.summary.startsWith('202 '))).toBe(true);
      const sipfrags = toEndpoint
        .filter((e) => e.direction === 'out' && e.summary === 'NOTIFY')
        .map((e) => /SIP\/2\.0 (\d{3})/.exec(e.raw.split('\r\n\r\n')[1] ?? '')?.[1]);
      expect([...new Set(sipfrags)]).toEqual(['100', '180', '200']);
      expect(toEndpoint.some((e) => e.direction === 'out' && e.summary === 'BYE')).toBe(true);
    });
  },
);
