import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/index.js';

const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';
const sippOk = (() => {
  const r = spawnSync(SIPP, ['-v'], { encoding: 'utf8' });
  return r.error === undefined && /SIPp v/.test(`${r.stdout}${r.stderr}`);
})();
if (!sippOk && process.env.CI) throw new Error('SIPp is missing: run `bash scripts/setup.sh`');

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const DOMAIN = 'lab.zt.plivo.com';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  const port = await new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s.address().port));
  });
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Cli {
  child: ChildProcess;
  port: number;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** Starts `referkit-trunk` (bundled from source) and resolves once it prints where it listens. */
async function startCli(bundle: string, args: readonly string[]): Promise<Cli> {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const cli: Cli = { child, port: 0, stdout: '', stderr: '', exited: Promise.resolve(null) };
  cli.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr?.on('data', (d: Buffer) => (cli.stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start: ${cli.stderr}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      cli.stdout += d.toString();
      const m = /listening on udp:127\.0\.0\.1:(\d+)/.exec(cli.stdout);
      if (m) {
        clearTimeout(timer);
        cli.port = Number(m[1]);
        resolve();
      }
    });
    void cli.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited ${String(code)}: ${cli.stderr}`));
    });
  });
  return cli;
}

/** Runs one SIPp call: a UAC toward `trunkPort`, or a UAS on `localPort` when `trunkPort` is undefined. */
async function sipp(
  scenario: string,
  trunkPort: number | undefined,
  keys: Record<string, string>,
  service: string,
  localPort?: number,
  extra: readonly string[] = [],
): Promise<{ code: number | null; out: string }> {
  const port = localPort ?? (await freeUdpPort());
  const args = [
    '-sf',
    here(`../sipp/${scenario}`),
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    'u1',
    '-m',
    '1',
    '-s',
    service,
    '-timeout',
    '30s',
    '-timeout_error',
    '-nostdin',
    ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
    ...extra,
    ...(trunkPort === undefined ? [] : [`127.0.0.1:${trunkPort}`]),
  ];
  const child = spawn(SIPP, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, out };
}

describe.skipIf(!sippOk)('SIPp as the endpoint against the referkit-trunk CLI', () => {
  let dir: string;
  let bundle: string;
  let cli: Cli | undefined;
  let records: string;
  let targetPort: number;
  let customerPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'referkit-trunk-e2e-'));
    bundle = join(dir, 'referkit-trunk.mjs');
    records = join(dir, 'records.jsonl');
    targetPort = await freeUdpPort();
    customerPort = await freeUdpPort();
    await build({
      entryPoints: [here('../../src/bin.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@referkit/source'],
      outfile: bundle,
      logLevel: 'warning',
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    });
    cli = await startCli(bundle, [
      '--listen',
      'udp:127.0.0.1:0',
      '--media',
      'none',
      '--records',
      records,
      '--ring-timeout',
      '3000',
      '--route',
      '+14155550107=status:402',
      '--route',
      `+14155550105=sip:+14155550105@127.0.0.1:${targetPort}`,
      '--route',
      `+14155550108=sip:+14155550108@127.0.0.1:${customerPort}`,
      '--log-level',
      'warn',
    ]);
  });

  afterAll(async () => {
    if (cli && cli.child.exitCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const readRecords = (): CallRecord[] =>
    readFileSync(records, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as CallRecord);
  const waitRecords = async (n: number): Promise<CallRecord[]> => {
    for (let i = 0; i < 200; i++) {
      try {
        const r = readRecords();
        if (r.length >= n) return r;
      } catch {
        // not written yet
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`fewer than ${n} records`);
  };

  /** The endpoint scenario transfers +14155550100 to +14155550105, played by target-uas.xml; both must pass. */
  const transferToSippTarget = async (
    scenario: string,
    targetArgs: readonly string[] = [],
  ): Promise<void> => {
    const target = sipp('target-uas.xml', undefined, {}, '+14155550105', targetPort, targetArgs);
    // Give the UAS a moment to bind before the transfer reaches it (the trunk retransmits anyway).
    await new Promise((r) => setTimeout(r, 300));
    const endpoint = await sipp(
      scenario,
      cli?.port ?? 0,
      { refer_to: `<sip:+14155550105@${DOMAIN}>` },
      '+14155550100',
    );
    expect(endpoint.code, endpoint.out).toBe(0);
    const t = await target;
    expect(t.code, t.out).toBe(0);
  };

  it('transfer to the answering agent: 202, NOTIFY 100/180/200, BYE; two records', async () => {
    const r = await sipp(
      'endpoint-transfer.xml',
      cli?.port ?? 0,
      { refer_to: `<sip:+14155550101@${DOMAIN}>` },
      '+14155550100',
    );
    expect(r.code, r.out).toBe(0);
    // The customer and the agent are still talking; the records come when the call ends (below).
  });

  it('SIPp plays the target too: it answers, then hangs up after the transfer; the trunk ends the customer leg', async () => {
    await transferToSippTarget('endpoint-transfer.xml');
    const all = await waitRecords(2);
    const leg = all.find((x) => x.kind === 'transfer' && x.to === '+14155550105');
    expect(leg).toMatchObject({ status: 200, hangupCause: 'target hung up', from: '+14155550199' });
  });

  it('SIPp plays all three: the customer (answer, bridging re-INVITE, BYE), the endpoint and the target', async () => {
    const before = (await waitRecords(1).catch(() => [])).length;
    // The customer scenario is the benchmark's (bench/sipp/customer-uas.xml).
    const customer = sipp('../../bench/sipp/customer-uas.xml', undefined, {}, '+14155550108', customerPort);
    const target = sipp('target-uas.xml', undefined, {}, '+14155550105', targetPort);
    await new Promise((r) => setTimeout(r, 300));
    const endpoint = await sipp(
      'endpoint-transfer.xml',
      cli?.port ?? 0,
      { refer_to: `<sip:+14155550105@${DOMAIN}>` },
      '+14155550108',
    );
    expect(endpoint.code, endpoint.out).toBe(0);
    const [c, t] = await Promise.all([customer, target]);
    expect(t.code, t.out).toBe(0);
    expect(c.code, c.out).toBe(0);
    const all = (await waitRecords(before + 2)).slice(before);
    expect(all.find((x) => x.kind === 'original')).toMatchObject({ to: '+14155550108', status: 200 });
    expect(all.find((x) => x.kind === 'transfer')).toMatchObject({
      to: '+14155550105',
      status: 200,
      hangupCause: 'target hung up',
    });
  });

  it.each([
    ['a foreign domain', `<sip:+14155550101@example.com>`, 'endpoint-refer-refused.xml'],
    ['a private IP', `<sip:+14155550101@192.168.1.10>`, 'endpoint-refer-refused.xml'],
    ['a number without Geo Permissions', `<sip:+442071838750@${DOMAIN}>`, 'endpoint-refer-refused.xml'],
    ['a number that is not E.164', `<sip:4155550101@${DOMAIN}>`, 'endpoint-refer-bad.xml'],
  ])('REFER to %s is refused', async (_name, referTo, scenario) => {
    const r = await sipp(
      scenario,
      cli?.port ?? 0,
      { refer_to: referTo, refer_header: 'Refer-To' },
      '+14155550100',
    );
    expect(r.code, r.out).toBe(0);
  });

  it('REFER without a Refer-To header gets 400; the call stays up', async () => {
    const r = await sipp(
      'endpoint-refer-bad.xml',
      cli?.port ?? 0,
      { refer_to: `<sip:+14155550101@${DOMAIN}>`, refer_header: 'X-Refer-To' },
      '+14155550100',
    );
    expect(r.code, r.out).toBe(0);
  });

  it('REFER with the To tag of no dialog gets 481; the real call stays up', async () => {
    const r = await sipp(
      'endpoint-refer-no-dialog.xml',
      cli?.port ?? 0,
      { refer_to: `<sip:+14155550101@${DOMAIN}>` },
      '+14155550100',
    );
    expect(r.code, r.out).toBe(0);
  });

  it('a second REFER while the first is pending gets 491; the first completes', async () => {
    // The target rings only after 1 s, so the second REFER meets a transfer still trying.
    await transferToSippTarget('endpoint-refer-pending.xml', ['-d', '1000']);
  });

  it.each([
    ['busy', '+14155550102'],
    ['account balance (402)', '+14155550107'],
    ['unknown number (404)', '+14155550999'],
  ])('target fails (%s): NOTIFY 100 then the failure; the call stays up', async (_name, number) => {
    const r = await sipp(
      'endpoint-transfer-fails.xml',
      cli?.port ?? 0,
      { refer_to: `<sip:${number}@${DOMAIN}>` },
      '+14155550100',
    );
    expect(r.code, r.out).toBe(0);
  });

  it('early BYE after NOTIFY 180 drops the caller and is recorded', async () => {
    const before = (await waitRecords(1).catch(() => [])).length;
    const r = await sipp(
      'endpoint-early-bye.xml',
      cli?.port ?? 0,
      { refer_to: `<sip:+14155550103@${DOMAIN}>` },
      '+14155550100',
    );
    expect(r.code, r.out).toBe(0);
    const all = await waitRecords(before + 2);
    const original = all.slice(before).find((x) => x.kind === 'original');
    expect(original?.hangupCause).toBe('transferor hung up before the transfer completed');
  });

  it('digest admission (row 1): outside the ACL SIPp gets 407, answers with MD5 and is connected; a wrong password gets 403', async () => {
    const auth = await startCli(bundle, [
      '--listen',
      'udp:127.0.0.1:0',
      '--media',
      'none',
      '--no-phones',
      '--route',
      `+14155550108=sip:+14155550108@127.0.0.1:${customerPort}`,
      '--acl',
      '10.0.0.0/8',
      '--credentials',
      'agent:s3cret',
      '--digest-algorithms',
      'MD5',
      '--log-level',
      'warn',
    ]);
    try {
      const customer = sipp('../../bench/sipp/customer-uas.xml', undefined, {}, '+14155550108', customerPort);
      await new Promise((r) => setTimeout(r, 300));
      const ok = await sipp('endpoint-auth.xml', auth.port, {}, '+14155550108', undefined, [
        '-au',
        'agent',
        '-ap',
        's3cret',
      ]);
      expect(ok.code, ok.out).toBe(0);
      const c = await customer;
      expect(c.code, c.out).toBe(0);
      const refused = await sipp('endpoint-auth-refused.xml', auth.port, {}, '+14155550108', undefined, [
        '-au',
        'agent',
        '-ap',
        'wrong',
      ]);
      expect(refused.code, refused.out).toBe(0);
    } finally {
      auth.child.kill('SIGTERM');
      expect(await auth.exited).toBe(0);
    }
  });

  it('202 but no NOTIFY (troubleshooting row): NOTIFYs and the BYE go to the advertised Contact, time out there and are recorded', async () => {
    const dead = dgram.createSocket('udp4');
    const reachedDead: string[] = [];
    dead.on('message', (m) => reachedDead.push(m.toString('utf8').split('\r\n')[0] ?? ''));
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadRecords = join(dir, 'dead-contact.jsonl');
    const side = await startCli(bundle, [
      '--listen',
      'udp:127.0.0.1:0',
      '--media',
      'none',
      '--route',
      `+14155550105=sip:+14155550105@127.0.0.1:${targetPort}`,
      '--sip-t1',
      '20',
      '--records',
      deadRecords,
      '--log-level',
      'warn',
    ]);
    try {
      const target = sipp('target-uas.xml', undefined, {}, '+14155550105', targetPort);
      await new Promise((r) => setTimeout(r, 300));
      const endpoint = await sipp(
        'endpoint-dead-contact.xml',
        side.port,
        { refer_to: `<sip:+14155550105@${DOMAIN}>`, dead_port: String(dead.address().port) },
        '+14155550100',
      );
      expect(endpoint.code, endpoint.out).toBe(0);
      const t = await target;
      expect(t.code, t.out).toBe(0);
      // 64 x T1 = 1.28 s per NOTIFY; the call ends when the target hangs up.
      let original: CallRecord | undefined;
      for (let i = 0; i < 100 && original === undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const lines = (() => {
          try {
            return readFileSync(deadRecords, 'utf8').trim().split('\n');
          } catch {
            return [];
          }
        })();
        original = lines
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as CallRecord)
          .find((r) => r.kind === 'original' && r.notes.some((n) => n.code === 'NOTIFY_FAILED'));
      }
      expect(original?.notes.filter((n) => n.code === 'NOTIFY_FAILED').map((n) => n.status)).toContain(408);
      expect(reachedDead.some((line) => line.startsWith('NOTIFY '))).toBe(true);
      expect(reachedDead.some((line) => line.startsWith('BYE '))).toBe(true);
    } finally {
      side.child.kill('SIGTERM');
      expect(await side.exited).toBe(0);
      await new Promise<void>((r) => dead.close(() => r()));
    }
  });

  it('SIGTERM ends the transferred call cleanly (records written) and exits 0', async () => {
    if (!cli) throw new Error('no CLI');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const all = readRecords();
    // The transferred call of the first test: its original and transfer records, both answered.
    const transferred = all.filter(
      (x) => x.to === '+14155550101' && x.kind === 'transfer' && x.status === 200,
    );
    expect(transferred).toHaveLength(1);
    const original = all.find((x) => x.kind === 'original' && x.call === transferred[0]?.call);
    expect(original?.notes.map((n) => n.code)).toContain('TRANSFER_SUCCEEDED');
  });
});
