import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { EXIT, type EndpointEvent } from '../../src/index.js';
import {
  freePort,
  requireSippOnCi,
  sippAvailable,
  startLossyUdpRelay,
  startSipp,
  waitForPort,
} from '../../../../packages/sipjs/test/node/helpers/sipp.js';

const available = sippAvailable();
requireSippOnCi(available);
const cli = inject('cliPath');

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function scenario(name: string): string {
  return fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runEndpoint(args: readonly string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function trunk(file: string, transport: 'udp' | 'tcp') {
  const port = await freePort();
  const mediaPort = await freePort();
  const sipp = startSipp({
    args: ['-sf', scenario(file), '-rtp_echo', '-mp', String(mediaPort)],
    port,
    transport,
  });
  cleanup.push(() => sipp.kill());
  await waitForPort(port, transport);
  return { port, done: sipp.done };
}

function events(run: CliRun): (EndpointEvent & { at: string })[] {
  return run.stdout
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as EndpointEvent & { at: string });
}

const kinds = (run: CliRun): string[] =>
  events(run)
    .filter((e) => e.type !== 'hearing')
    .map((e) =>
      e.type === 'transfer-progress'
        ? `progress:${e.stage}`
        : e.type === 'transfer-outcome'
          ? `outcome:${e.outcome}${e.code === undefined ? '' : `:${e.code}`}`
          : e.type === 'hangup'
            ? `hangup:${e.by}`
            : e.type,
    );

const call = (port: number, transport: 'udp' | 'tcp', extra: readonly string[]): readonly string[] => [
  'call',
  '+14155550100',
  '--trunk',
  `127.0.0.1:${port}`,
  '--domain',
  'lab.zt.plivo.com',
  '--transport',
  transport,
  '--transfer-to',
  '+14155550101',
  ...(extra.includes('--transfer-on-dtmf') ? [] : ['--transfer-after', '300ms']),
  ...extra,
];

describe.skipIf(!available)('referkit-endpoint call against a SIPp trunk', () => {
  it.each([
    { file: 'trunk-transfer-ok.xml', transport: 'udp' },
    { file: 'trunk-transfer-ok.xml', transport: 'tcp' },
  ] as const)('$file over $transport: transferred, exit 0, trunk hangs up', async ({ file, transport }) => {
    const sipp = await trunk(file, transport);
    const run = await runEndpoint(call(sipp.port, transport, ['--json']));
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(kinds(run)).toEqual([
      'calling',
      'ringing',
      'answered',
      'transferring',
      'progress:trying',
      'progress:ringing',
      'outcome:succeeded:200',
      'hangup:trunk',
    ]);
    const result = await sipp.done;
    expect(result.code, result.output.slice(-2000)).toBe(0);
  });

  // The caller stays on the call each time; the endpoint then ends it with BYE (the scenario checks it).
  it.each([
    {
      file: 'trunk-transfer-busy.xml',
      extra: [],
      code: EXIT.failed,
      middle: ['progress:trying', 'outcome:failed:486'],
    },
    { file: 'trunk-refer-403.xml', extra: [], code: EXIT.rejected, middle: ['outcome:rejected:403'] },
    {
      file: 'trunk-no-notify.xml',
      extra: ['--notify-timeout', '1500ms'],
      code: EXIT.timedOut,
      middle: ['outcome:timedOut'],
    },
  ] as const)(
    '$file: exit $code, the call stays up, then BYE from the endpoint',
    async ({ file, extra, code, middle }) => {
      const sipp = await trunk(file, 'udp');
      const run = await runEndpoint(call(sipp.port, 'udp', ['--json', ...extra]));
      expect(run.code, run.stderr).toBe(code);
      expect(kinds(run)).toEqual([
        'calling',
        'ringing',
        'answered',
        'transferring',
        ...middle,
        'hangup:endpoint',
      ]);
      const result = await sipp.done;
      expect(result.code, result.output.slice(-2000)).toBe(0);
    },
  );

  it('transfers when the customer presses the --transfer-on-dtmf key (RFC 4733)', async () => {
    const sipp = await trunk('trunk-transfer-dtmf.xml', 'udp');
    const run = await runEndpoint(call(sipp.port, 'udp', ['--json', '--transfer-on-dtmf', '1']));
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(kinds(run)).toEqual([
      'calling',
      'ringing',
      'answered',
      'transferring',
      'progress:trying',
      'progress:ringing',
      'outcome:succeeded:200',
      'hangup:trunk',
    ]);
    const result = await sipp.done;
    expect(result.code, result.output.slice(-2000)).toBe(0);
  });

  it('plays its tone before the REFER and the hold audio after it (heard back through RTP echo)', async () => {
    const sipp = await trunk('trunk-transfer-slow.xml', 'udp');
    const run = await runEndpoint(
      call(sipp.port, 'udp', ['--json', '--audio', 'tone:600', '--hold-audio', 'tone:1400']),
    );
    expect(run.code, run.stderr).toBe(EXIT.ok);
    const all = events(run);
    const referAt = all.findIndex((e) => e.type === 'transferring');
    const heard = (from: number, to: number): string[] =>
      all.slice(from, to).flatMap((e) => (e.type === 'hearing' ? [e.heard] : []));
    expect(heard(0, referAt)).toContain('tone:600');
    expect(heard(referAt, all.length)).toContain('tone:1400');
    expect(heard(referAt, all.length)).not.toContain('tone:600');
    await sipp.done;
  });

  it('recovers a lost INVITE and a lost REFER on UDP by retransmission', async () => {
    const sipp = await trunk('trunk-transfer-ok.xml', 'udp');
    const seen = new Set<string>();
    const relay = await startLossyUdpRelay({ host: '127.0.0.1', port: sipp.port }, (text, from) => {
      const method = /^(INVITE|REFER) /.exec(text)?.[1];
      if (from !== 'client' || method === undefined || seen.has(method)) return false;
      seen.add(method);
      return true;
    });
    cleanup.push(() => void relay.close());
    const run = await runEndpoint(call(relay.port, 'udp', ['--json']));
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(relay.dropped.map((t) => t.split(' ')[0])).toEqual(['INVITE', 'REFER']);
    expect(kinds(run)).toContain('outcome:succeeded:200');
    const result = await sipp.done;
    expect(result.code, result.output.slice(-2000)).toBe(0);
  });

  it('prints one human progress line', async () => {
    const sipp = await trunk('trunk-transfer-ok.xml', 'udp');
    const run = await runEndpoint(call(sipp.port, 'udp', []));
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toBe(
      'Calling +14155550100... ringing... answered... Transferring to +14155550101... trying... ringing... connected, trunk hung up\n',
    );
    await sipp.done;
  });

  it('bad arguments exit 2 with the reason', async () => {
    const run = await runEndpoint([
      'call',
      '5551234',
      '--trunk',
      '127.0.0.1:5060',
      '--domain',
      'lab.zt.plivo.com',
    ]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/not an E\.164 number/);
  });
});
