/**
 * UAS benchmark: SIPp's built-in UAC (`-sn uac`: INVITE, 100/180, 200, ACK, BYE, 200) drives a
 * UAS on UDP loopback at increasing call rates; the figure is the highest rate (calls/s) at
 * which every call of a step succeeds (SIPp exit code 0). Three UASes are measured the same way
 * in the same run: this engine, SIPp's own C++ UAS (`-sn uas`) and the npm `sip` package (0.0.6).
 * Each search runs BENCH_RUNS times (default 3) and the median is printed with ratios.
 *
 * Environment: BENCH_RUNS, BENCH_STEP_SECONDS (default 2), BENCH_MAX_RATE (default 12800).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { createSipStack } from '../src/index.js';

const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 2);
const MAX_RATE = Number(process.env.BENCH_MAX_RATE ?? 12_800);
const START_RATE = 100;

interface Uas {
  readonly port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function engineUas(): Promise<Uas> {
  const stack = await createSipStack({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
  stack.on('request', (req) => {
    if (req.method === 'INVITE') req.respond(200);
    else req.respond(405);
  });
  return { port: stack.addresses[0]!.port, stop: () => stack.close() };
}

interface NpmSipMessage {
  method?: string;
  headers: { to: { params: Record<string, string> } };
}
interface NpmSip {
  create(
    options: Record<string, unknown>,
    onRequest: (rq: NpmSipMessage) => void,
  ): { send(m: unknown): void; destroy(): void };
  makeResponse(rq: NpmSipMessage, status: number, reason: string, ext?: unknown): unknown;
}

async function npmSipUas(): Promise<Uas> {
  const sip = createRequire(import.meta.url)('sip') as NpmSip;
  const port = await freePort();
  let n = 0;
  const ua = sip.create({ address: '127.0.0.1', port, udp: true, tcp: false, logger: {} }, (rq) => {
    if (rq.method === 'ACK') return;
    if (rq.method === 'INVITE') {
      rq.headers.to.params.tag = `t${++n}`;
      ua.send(
        sip.makeResponse(rq, 200, 'OK', { headers: { contact: [{ uri: `sip:uas@127.0.0.1:${port}` }] } }),
      );
    } else {
      ua.send(sip.makeResponse(rq, 200, 'OK'));
    }
  });
  await new Promise((r) => setTimeout(r, 100));
  return {
    port,
    stop: () => {
      ua.destroy();
      return Promise.resolve();
    },
  };
}

async function sippUas(): Promise<Uas> {
  const port = await freePort();
  const child: ChildProcess = spawn(SIPP, ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-nostdin'], {
    stdio: 'ignore',
    cwd: '/tmp',
  });
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    stop: async () => {
      const closed = new Promise((r) => child.once('close', r));
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/**
 * One step: `rate` calls/s for STEP_SECONDS. Passes when SIPp reports no failed call (exit 0)
 * and the step finished in time: a UAS that only keeps up by slowing SIPp down does not pass.
 */
async function step(targetPort: number, rate: number): Promise<boolean> {
  const calls = Math.max(10, Math.round(rate * STEP_SECONDS));
  const args = [
    '-sn',
    'uac',
    '-i',
    '127.0.0.1',
    '-p',
    String(await freePort()),
    '-nostdin',
    '-r',
    String(rate),
    '-m',
    String(calls),
    '-l',
    String(Math.max(100, rate * 4)),
    '-timeout',
    `${STEP_SECONDS + 20}s`,
    '-timeout_error',
    '-recv_timeout',
    '10000',
    `127.0.0.1:${targetPort}`,
  ];
  const started = performance.now();
  const child = spawn(SIPP, args, { stdio: 'ignore', cwd: '/tmp' });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const elapsed = (performance.now() - started) / 1000;
  return code === 0 && elapsed <= STEP_SECONDS * 1.25 + 1;
}

/** Doubles the rate until a step fails, then bisects twice between the last pass and the failure. */
async function search(targetPort: number): Promise<number> {
  let ok = 0;
  let bad = 0;
  for (let rate = START_RATE; rate <= MAX_RATE; rate *= 2) {
    if (await step(targetPort, rate)) ok = rate;
    else {
      bad = rate;
      break;
    }
  }
  if (bad === 0) return ok;
  for (let i = 0; i < 2; i++) {
    const mid = Math.round((ok + bad) / 2);
    if (await step(targetPort, mid)) ok = mid;
    else bad = mid;
  }
  return ok;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function measure(
  name: string,
  start: () => Promise<Uas>,
): Promise<{ name: string; runs: number[]; median: number }> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const uas = await start();
    try {
      runs.push(await search(uas.port));
    } finally {
      await uas.stop();
    }
    process.stderr.write(`${name} run ${i + 1}/${RUNS}: ${runs[runs.length - 1]} calls/s\n`);
  }
  return { name, runs, median: median(runs) };
}

const results = [
  await measure('@referkit/sip', engineUas),
  await measure('SIPp -sn uas (C++)', sippUas),
  await measure('npm sip 0.0.6', npmSipUas),
];
const ours = results[0]!.median;
const rows = results.map((r) => ({
  UAS: r.name,
  'max calls/s, 0 failed (median)': r.median,
  runs: r.runs.join(' / '),
  'ours / this': r.median === 0 ? 'n/a' : (ours / r.median).toFixed(2),
}));
process.stdout.write(
  `UAS on UDP loopback driven by SIPp -sn uac, ${STEP_SECONDS} s steps, ${RUNS} runs each\n`,
);
console.table(rows);
process.stdout.write('Goals: ours / npm sip >= 2.00, ours / SIPp >= 0.50\n');
