/**
 * SIPp-driven transfer-loop benchmark (the issue's "Benchmark" section).
 *
 * The trunk runs as its CLI (`referkit-trunk`, bundled next to this file by the `bench` script) in
 * its own process with `--media none`. SIPp plays every party, each in its own process:
 * - the endpoint UAC (bench/sipp/endpoint.xml): INVITE, ACK, REFER, answers NOTIFY 100/180/200 and
 *   the trunk's BYE; it timestamps REFER, the 202 and NOTIFY 100 and logs them for each call that
 *   succeeded;
 * - the customer UAS (customer-uas.xml): answers the INVITE and the bridging re-INVITE, then the BYE;
 * - the target UAS (target-uas.xml): 180 + 200 at once, hangs up 500 ms later.
 * The floor is a SIPp-only stand-in trunk (floor-uas.xml: 200, 202, NOTIFY 100/180/200, BYE, no
 * legs) driven by the same endpoint scenario.
 *
 * Environment: BENCH_RATES (default "50,100,200,300,400"; each system stops at its first rate with
 * a failed call), BENCH_SECONDS (window per rate, default 60), SIPP_BIN (default /usr/bin/sipp),
 * BENCH_REPEAT (windows per rate and system, trunk and floor taking turns, default 1; with more
 * than one, a median row follows each system's windows and the goals are judged on it),
 * BENCH_WIRE=1 (also capture each window on loopback with dumpcap, which needs root or
 * CAP_NET_RAW, and print REFER -> 202 as the kernel saw it: a check on SIPp's own timestamps).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitOutput, exited, pct } from './common.js';

const SIPP = process.env.SIPP_BIN ?? '/usr/bin/sipp';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const RATES = (process.env.BENCH_RATES ?? '50,100,200,300,400').split(',').map(Number);
const WIRE = process.env.BENCH_WIRE === '1';
const REPEAT = Number(process.env.BENCH_REPEAT ?? 1);
if (!Number.isInteger(REPEAT) || REPEAT < 1)
  throw new Error('BENCH_REPEAT must be a whole number, 1 or more');
const CUSTOMER = '+14155550100';
const TARGET = '+14155550101';
const REFER_TO = `<sip:${TARGET}@lab.zt.plivo.com>`;

const bundleDir = dirname(fileURLToPath(import.meta.url));
// The bundle lives in apps/mock-trunk/node_modules/.bench; the scenarios in apps/mock-trunk/bench/sipp.
const scenarioDir = join(bundleDir, '..', '..', 'bench', 'sipp');
const trunkBundle = join(bundleDir, 'trunk.mjs');
const work = mkdtempSync(join(tmpdir(), 'referkit-bench-'));

const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
/** Kills every child and waits until each has exited (no process is left behind). */
async function stopAll(): Promise<void> {
  const all = [...children];
  killAll();
  await Promise.all(all.map((c) => exited(c)));
}
process.on('exit', () => {
  killAll();
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  const port = await new Promise<number>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s.address().port));
  });
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts the trunk CLI and resolves with its UDP port once it prints where it listens. */
async function startTrunk(
  customerPort: number,
  targetPort: number,
): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    trunkBundle,
    '--listen',
    'udp:127.0.0.1:0',
    '--media',
    'none',
    '--no-phones',
    '--log-level',
    'warn',
    '--route',
    `${CUSTOMER}=sip:${CUSTOMER}@127.0.0.1:${customerPort}`,
    '--route',
    `${TARGET}=sip:${TARGET}@127.0.0.1:${targetPort}`,
  ];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const m = await awaitOutput(
    child,
    'stdout',
    /listening on udp:127\.0\.0\.1:(\d+)/,
    'trunk',
    20_000,
    () => err,
  );
  return { child, port: Number(m[1]) };
}

/** A long-lived SIPp UAS (customer, target or floor) on `port`. */
async function startUas(
  scenario: string,
  port: number,
  mediaPort: number,
  service: string,
): Promise<ChildProcess> {
  const args = [
    '-sf',
    join(scenarioDir, scenario),
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-mp',
    String(mediaPort),
  ];
  args.push('-s', service, '-t', 'u1', '-nostdin', '-l', '100000', '-max_socket', '50000');
  const child = track(spawn(SIPP, args, { stdio: 'ignore', cwd: work }));
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`SIPp ${scenario} exited ${String(child.exitCode)}`);
  return child;
}

/**
 * Starts dumpcap on loopback for the REFERs and 202s to and from the endpoint on `port` (a filter
 * on the payload's first bytes, so the capture and its decoding stay small); resolves once it is
 * capturing.
 */
async function startCapture(port: number, file: string): Promise<ChildProcess> {
  // udp[8:4] is the payload's first four bytes ("REFE"); udp[16:4] the status of a response ("202 ").
  const filter = `udp port ${port} and (udp[8:4] = 0x52454645 or udp[16:4] = 0x32303220)`;
  const child = track(
    spawn('dumpcap', ['-q', '-i', 'lo', '-f', filter, '-w', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  // dumpcap comes with tshark (Wireshark), which scripts/setup.sh installs.
  await awaitOutput(child, 'stderr', /Capturing on/, 'dumpcap (BENCH_WIRE)', 10_000);
  return child;
}

/** REFER -> 202 per call from a capture (ms, kernel timestamps), REFERs sent to `port` only. */
function wireLatencies(file: string, port: number): number[] {
  const fields = ['frame.time_epoch', 'udp.dstport', 'sip.Call-ID', 'sip.Method', 'sip.Status-Code'];
  const out = execFileSync(
    'tshark',
    ['-n', '-r', file, '-Y', 'sip', '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const refers = new Map<string, number>();
  const latencies: number[] = [];
  for (const line of out.split('\n')) {
    const [at, dst, callId, method, status] = line.split('|');
    if (callId === undefined || callId === '') continue;
    const t = Number(at) * 1000;
    if (method === 'REFER' && Number(dst) === port) refers.set(callId, t);
    else if (status === '202') {
      const sent = refers.get(callId);
      if (sent !== undefined) latencies.push(t - sent);
      refers.delete(callId);
    }
  }
  return latencies;
}

interface RunResult {
  readonly rate: number;
  readonly started: number;
  readonly failed: number;
  readonly code: number | null;
  readonly p50a: number;
  readonly p99a: number;
  readonly p50t: number;
  readonly p99t: number;
}

const ms = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(2)).padStart(8);

function printRow(name: string, r: RunResult, note: string): void {
  console.log(
    `${name.padEnd(6)}${String(r.rate).padStart(6)}${String(r.started).padStart(9)}${String(r.failed).padStart(8)}` +
      `${ms(r.p50a)}${ms(r.p99a)}${ms(r.p50t)}${ms(r.p99t)}   ${note}`,
  );
}

/** Windows of one system at one rate as one result: calls summed, each latency figure the median. */
function merge(windows: readonly RunResult[]): RunResult {
  const median = (pick: (r: RunResult) => number): number => pct(windows.map(pick), 50);
  return {
    rate: windows[0]?.rate ?? 0,
    started: windows.reduce((n, r) => n + r.started, 0),
    failed: windows.reduce((n, r) => n + r.failed, 0),
    code: windows.find((r) => r.code !== 0)?.code ?? 0,
    p50a: median((r) => r.p50a),
    p99a: median((r) => r.p99a),
    p50t: median((r) => r.p50t),
    p99t: median((r) => r.p99t),
  };
}

/** Runs the endpoint scenario at `rate` for SECONDS against `port` and reads its latency log. */
async function runEndpoint(
  name: string,
  port: number,
  rate: number,
  mediaPort: number,
  window: number,
): Promise<RunResult> {
  const started = Math.round(rate * SECONDS);
  const log = join(work, `${name}-${rate}-${window}.log`);
  const local = await freeUdpPort();
  const args = ['-sf', join(scenarioDir, 'endpoint.xml'), '-i', '127.0.0.1', '-p', String(local)];
  args.push('-mp', String(mediaPort), '-s', CUSTOMER, '-key', 'refer_to', REFER_TO, '-t', 'u1');
  args.push('-r', String(rate), '-m', String(started), '-l', String(Math.max(1000, rate * 20)));
  args.push('-recv_timeout', '10000', '-timeout', `${SECONDS + 60}s`, '-timeout_error', '-nostdin');
  args.push('-trace_logs', '-log_file', log, `127.0.0.1:${port}`);
  const pcap = join(work, `${name}-${rate}-${window}.pcapng`);
  const capture = WIRE ? await startCapture(local, pcap) : undefined;
  const child = track(spawn(SIPP, args, { stdio: 'ignore', cwd: work }));
  const code = await exited(child);
  if (capture !== undefined) {
    // Stopped the moment SIPp exits, dumpcap had not written out its last packets yet (13 of 6000
    // REFERs at 100 loops/s were missing).
    await new Promise((r) => setTimeout(r, 1000));
    capture.kill('SIGINT');
    await exited(capture);
  }
  const accepted: number[] = [];
  const trying: number[] = [];
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  for (const line of text.split('\n')) {
    const m = /^LAT \S+ ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(line);
    if (!m) continue;
    const [rs, rus, as, aus, ts, tus] = m.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const t0 = rs * 1000 + rus / 1000;
    accepted.push(as * 1000 + aus / 1000 - t0);
    trying.push(ts * 1000 + tus / 1000 - t0);
  }
  const r: RunResult = {
    rate,
    started,
    failed: started - accepted.length,
    code,
    p50a: pct(accepted, 50),
    p99a: pct(accepted, 99),
    p50t: pct(trying, 50),
    p99t: pct(trying, 99),
  };
  printRow(name, r, `sipp exit ${String(code)}`);
  if (capture !== undefined) {
    const wire = wireLatencies(pcap, port);
    console.log(
      `        wire: REFER -> 202 p50 ${ms(pct(wire, 50)).trim()} p99 ${ms(pct(wire, 99)).trim()}` +
        ` (kernel timestamps on lo, ${wire.length} REFERs)`,
    );
  }
  return r;
}

async function main(): Promise<void> {
  const customerPort = await freeUdpPort();
  const targetPort = await freeUdpPort();
  const floorPort = await freeUdpPort();
  // Distinct media port ranges so no two SIPp instances collide.
  await startUas('customer-uas.xml', customerPort, 30000, CUSTOMER);
  await startUas('target-uas.xml', targetPort, 31000, TARGET);
  const floorUas = await startUas('floor-uas.xml', floorPort, 32000, CUSTOMER);
  const trunk = await startTrunk(customerPort, targetPort);

  console.log(
    `SIPp transfer loops against the referkit-trunk CLI (--media none) and a SIPp stand-in trunk (floor);` +
      ` ${SECONDS} s per rate; ${cpus().length} CPUs`,
  );
  console.log(
    'system  rate  started  failed  202 p50  202 p99  N100 p50 N100 p99   (ms, REFER -> 202 / NOTIFY 100)',
  );
  const results: Record<'trunk' | 'floor', RunResult[]> = { trunk: [], floor: [] };
  const active = { trunk: true, floor: true };
  for (const rate of RATES) {
    if (!active.trunk && !active.floor) break;
    const windows: Record<'trunk' | 'floor', RunResult[]> = { trunk: [], floor: [] };
    // With BENCH_REPEAT the systems take turns, so both see the machine over the same minutes; a
    // system with a failed call finishes the rate's windows and stops after it.
    for (let w = 0; w < REPEAT; w++) {
      if (active.trunk) {
        windows.trunk.push(await runEndpoint('trunk', trunk.port, rate, 33000, w));
        // Let the last targets hang up (500 ms hold) before the next window.
        await new Promise((r) => setTimeout(r, 2000));
      }
      if (active.floor) {
        windows.floor.push(await runEndpoint('floor', floorPort, rate, 34000, w));
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const t = windows.trunk.length > 0 ? merge(windows.trunk) : undefined;
    const f = windows.floor.length > 0 ? merge(windows.floor) : undefined;
    if (t && (t.failed > 0 || t.code !== 0)) active.trunk = false;
    if (f && (f.failed > 0 || f.code !== 0)) active.floor = false;
    if (REPEAT > 1) {
      if (t) printRow('trunk', t, `median of ${windows.trunk.length} windows`);
      if (f) printRow('floor', f, `median of ${windows.floor.length} windows`);
    }
    if (t) results.trunk.push(t);
    if (f) results.floor.push(f);
    if (t && f) {
      console.log(
        `        ratio trunk/floor of medians: REFER->202 ${(t.p50a / f.p50a).toFixed(2)}, REFER->NOTIFY 100 ${(t.p50t / f.p50t).toFixed(2)}`,
      );
    }
  }
  const sustained = (rs: readonly RunResult[]): number =>
    rs.filter((r) => r.failed === 0 && r.code === 0).reduce((best, r) => Math.max(best, r.rate), 0);
  const bestTrunk = sustained(results.trunk);
  const bestFloor = sustained(results.floor);
  console.log(
    `highest sustained rate (zero failed calls over ${REPEAT > 1 ? `${REPEAT} windows of ` : ''}${SECONDS} s): trunk ${bestTrunk} loops/s, floor ${bestFloor} loops/s`,
  );
  const met = (ok: boolean): string => (ok ? 'met' : 'not met');
  const triedTo = Math.max(...results.trunk.map((r) => r.rate));
  console.log(
    bestTrunk < 200 && triedTo < 200
      ? `goal: at least 200 loops/s signalling-only: not measured (BENCH_RATES stop at ${triedTo})`
      : `goal: at least 200 loops/s signalling-only: ${met(bestTrunk >= 200)} (${bestTrunk} loops/s)`,
  );
  const at100 = results.trunk.find((r) => r.rate === 100);
  console.log(
    at100 === undefined
      ? 'goal: p99 REFER->202 under 5 ms at 100 loops/s: not measured (100 not among BENCH_RATES)'
      : `goal: p99 REFER->202 under 5 ms at 100 loops/s: ${met(at100.p99a < 5 && at100.failed === 0)} (${at100.p99a.toFixed(2)} ms${REPEAT > 1 ? `, median of ${REPEAT} windows` : ''})`,
  );
  if (process.env.BENCH_MEDIA === '1') {
    // The media phase (bench/media.ts, bundled next to this file) prints its own goal line.
    const media = spawn(process.execPath, [join(bundleDir, 'media.mjs')], { stdio: 'inherit' });
    const code = await exited(media);
    if (code !== 0) console.log(`media phase: failed (exit ${String(code)}); goal with media: not measured`);
  } else {
    console.log(
      'goal: with media, 300 concurrent bridged calls with zero RTP loss: not measured (BENCH_MEDIA not set)',
    );
    console.log(
      'media phase: skipped (set BENCH_MEDIA=1, or run `pnpm --filter @referkit/mock-trunk bench:media`)',
    );
  }

  trunk.child.kill('SIGTERM');
  floorUas.kill('SIGKILL');
  await Promise.race([exited(trunk.child), new Promise((r) => setTimeout(r, 5000))]);
  await stopAll();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    void stopAll().then(() => process.exit(1));
  },
);
