/**
 * Benchmark: concurrent calls bridged through a supervised rtpengine, each party sending
 * `MEDIA_BENCH_PPS` (default 50) packets/s, stepping up the call count until packets are lost;
 * every step is also run directly (party to party on loopback, no rtpengine) as the baseline
 * that shows the generator is not the bottleneck.
 *
 * Environment: MEDIA_BENCH_SECONDS (window per step, default 30; e.g. 5 for a quick look),
 * MEDIA_BENCH_STEPS (comma-separated call counts), MEDIA_BENCH_WORKERS (generator
 * threads, default 2), MEDIA_BENCH_PPS, MEDIA_BENCH_THREADS (rtpengine --num-threads, default 1).
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import {
  answerOffer,
  buildOffer,
  isRtpEngineInstalled,
  parseRemoteMedia,
  RTPENGINE_SETUP_COMMAND,
  startRtpEngine,
  type RtpEngineController,
} from '../src/index.js';
import type { FromWorker, ToWorker } from './protocol.js';

const seconds = Number(process.env.MEDIA_BENCH_SECONDS ?? 30);
const pps = Number(process.env.MEDIA_BENCH_PPS ?? 50);
const workerCount = Number(process.env.MEDIA_BENCH_WORKERS ?? 2);
const engineThreads = Number(process.env.MEDIA_BENCH_THREADS ?? 1);
const steps = (process.env.MEDIA_BENCH_STEPS ?? '50,100,200,400,600,800,1000,1250,1500,2000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);

class GeneratorWorker {
  private readonly worker = new Worker(new URL('./worker.js', import.meta.url));
  private waiting: ((m: FromWorker) => void) | undefined;
  constructor() {
    this.worker.on('message', (m: FromWorker) => this.waiting?.(m));
  }
  request(message: ToWorker): Promise<FromWorker> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.worker.postMessage(message);
    });
  }
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

interface StepResult {
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly medianPps: number;
  readonly generatorCpu: number;
  readonly generatorElu: number;
  readonly engineCpu: number | undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

async function bridgeCall(
  ctl: RtpEngineController,
  id: string,
  aPort: number,
  bPort: number,
): Promise<[number, number]> {
  const offer = await ctl.offer({
    callId: id,
    fromTag: 'a',
    sdp: buildOffer({ address: '127.0.0.1', port: aPort, codecs: ['PCMU'] }),
  });
  const answer = answerOffer(offer.sdp, { address: '127.0.0.1', port: bPort, codecs: ['PCMU'] });
  if (!answer.ok) throw answer.error;
  const back = await ctl.answer({ callId: id, fromTag: 'a', toTag: 'b', sdp: answer.value.sdp });
  const toB = parseRemoteMedia(offer.sdp);
  const toA = parseRemoteMedia(back.sdp);
  if (!toB.ok || !toA.ok) throw new Error('unparsable rtpengine SDP');
  // Party a sends to the port rtpengine gave in the answer; party b to the port in the offer.
  return [toA.value.port, toB.value.port];
}

async function runStep(
  workers: GeneratorWorker[],
  calls: number,
  mode: 'direct' | 'rtpengine',
  ctl: RtpEngineController | undefined,
  enginePid: number | undefined,
  stepIndex: number,
): Promise<StepResult> {
  const shares = split(calls, workers.length);
  const opened = await Promise.all(workers.map((w, i) => w.request({ type: 'open', calls: shares[i]! })));
  const callIds: string[] = [];
  await Promise.all(
    opened.map(async (reply, wi) => {
      if (reply.type !== 'opened') throw new Error('unexpected worker reply');
      const targets: [number, number][] = [];
      if (mode === 'direct') {
        for (const [a, b] of reply.ports) targets.push([b, a]);
      } else {
        for (let i = 0; i < reply.ports.length; i += 50) {
          const batch = reply.ports.slice(i, i + 50);
          targets.push(
            ...(await Promise.all(
              batch.map(([a, b], j) => {
                const id = `bench-${stepIndex}-${wi}-${i + j}`;
                callIds.push(id);
                return bridgeCall(ctl!, id, a, b);
              }),
            )),
          );
        }
      }
      await workers[wi]!.request({ type: 'target', targets });
    }),
  );
  const cpu0 = process.cpuUsage();
  const engine0 = enginePid === undefined ? 0 : procCpuSeconds(enginePid);
  const t0 = performance.now();
  const results = await Promise.all(workers.map((w) => w.request({ type: 'run', seconds, pps })));
  const wall = (performance.now() - t0 - 500) / 1000; // minus the drain pause
  const cpu = process.cpuUsage(cpu0);
  const engineCpu = enginePid === undefined ? undefined : (procCpuSeconds(enginePid) - engine0) / wall;
  let sent = 0;
  let received = 0;
  let elu = 0;
  const perSecond = new Array<number>(seconds).fill(0);
  for (const r of results) {
    if (r.type !== 'result') throw new Error('unexpected worker reply');
    sent += r.sent;
    received += r.received;
    elu = Math.max(elu, r.eventLoopUtilization);
    r.perSecond.forEach((n, i) => (perSecond[i] = (perSecond[i] ?? 0) + n));
  }
  if (ctl) {
    for (let i = 0; i < callIds.length; i += 100) {
      await Promise.all(callIds.slice(i, i + 100).map((id) => ctl.delete({ callId: id, deleteDelay: 0 })));
    }
  }
  await Promise.all(workers.map((w) => w.request({ type: 'close' })));
  return {
    sent,
    received,
    lost: sent - received,
    // First and last seconds are partial (ramp-up, drain): take the median of the full ones.
    medianPps: median(perSecond.length > 2 ? perSecond.slice(1, -1) : perSecond),
    generatorCpu: (cpu.user + cpu.system) / 1e6 / wall,
    generatorElu: elu,
    engineCpu,
  };
}

function pct(n: number | undefined): string {
  return n === undefined ? '-' : `${(n * 100).toFixed(0)}%`;
}

async function main(): Promise<void> {
  if (!(await isRtpEngineInstalled())) {
    process.stderr.write(`rtpengine is not installed: run \`${RTPENGINE_SETUP_COMMAND}\`\n`);
    process.exitCode = process.env.CI ? 1 : 0;
    return;
  }
  process.stdout.write(
    `media bench: ${pps} packets/s each way per call, window ${seconds} s per step ` +
      `(${seconds < 30 ? 'short: unset MEDIA_BENCH_SECONDS for the 30 s of the goal' : 'the 30 s of the goal'}), ` +
      `${workerCount} generator threads, rtpengine --num-threads=${engineThreads}\n\n`,
  );
  const engine = await startRtpEngine({ deleteDelay: 0, numThreads: engineThreads, portCount: 20000 });
  const ctl = await engine.controller({ timeoutMs: 5000 });
  const workers = Array.from({ length: workerCount }, () => new GeneratorWorker());
  const header =
    'calls | direct pkts/s  lost  gen CPU | rtpengine pkts/s  lost  gen CPU  rtpengine CPU | relayed/direct';
  process.stdout.write(`${header}\n${'-'.repeat(header.length)}\n`);
  let best = 0;
  let bestDirect = 0;
  try {
    for (const [index, calls] of steps.entries()) {
      const direct = await runStep(workers, calls, 'direct', undefined, undefined, index);
      const relayed = await runStep(workers, calls, 'rtpengine', ctl, engine.pid, index);
      process.stdout.write(
        `${String(calls).padStart(5)} | ${String(Math.round(direct.medianPps)).padStart(13)} ${String(direct.lost).padStart(5)} ${pct(direct.generatorCpu).padStart(8)} | ` +
          `${String(Math.round(relayed.medianPps)).padStart(16)} ${String(relayed.lost).padStart(5)} ${pct(relayed.generatorCpu).padStart(8)} ${pct(relayed.engineCpu).padStart(14)} | ` +
          `${(relayed.medianPps / Math.max(1, direct.medianPps)).toFixed(3)}\n`,
      );
      const nominal = calls * pps * 2;
      if (direct.lost === 0) bestDirect = calls;
      if (relayed.lost === 0 && direct.lost === 0) best = calls;
      if (direct.lost > 0 || direct.medianPps < 0.97 * nominal) {
        process.stdout.write(
          `\nthe direct baseline could not carry ${nominal} packets/s at ${calls} calls ` +
            `(median ${Math.round(direct.medianPps)}, lost ${direct.lost}): the generator is the limit from here\n`,
        );
        break;
      }
      if (relayed.lost > 0) break;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    ctl.close();
    await engine.stop();
  }
  process.stdout.write(
    `\nhighest call count with zero loss through rtpengine: ${best} (${best * pps * 2} packets/s relayed); ` +
      `direct baseline zero-loss up to ${bestDirect} calls\n`,
  );
}

await main();
