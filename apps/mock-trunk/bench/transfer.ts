/**
 * Transfer-loop benchmark: the mock trunk (media none) against a floor stand-in trunk that
 * answers INVITE 200 and REFER 202 + NOTIFY 100/180/200 + BYE at once, with no legs. The same
 * driver (raw endpoints on @referkit/sip) runs both, in this process, at increasing loop rates.
 *
 * Per rate: loops started, loops that completed (NOTIFY 100, 180, 200 then the trunk's BYE),
 * p50 / p99 of REFER -> 202 and REFER -> NOTIFY 100, and the trunk / floor ratio of the medians.
 * The highest rate with zero failed loops is reported for each.
 *
 * Environment: BENCH_SECONDS (window per rate, default 5), BENCH_RATES (default "25,50,100,200").
 * Everything runs in one Node process (driver, phones and trunk share a core), so the absolute
 * figures are a floor of what the trunk does on its own; the ratio to the stand-in is the figure
 * to compare across machines.
 */
import { performance } from 'node:perf_hooks';
import { createSipStack } from '@referkit/sip';
import type { Dialog, SipStack } from '@referkit/sip';
import { startMockTrunk } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = (process.env.BENCH_RATES ?? '25,50,100,200').split(',').map(Number);
const DOMAIN = 'lab.zt.plivo.com';
const CUSTOMER = '+14155550100';
const AGENT = '+14155550101';
const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

interface Target {
  readonly port: number;
  close(): Promise<void>;
}

async function udpStack(): Promise<SipStack> {
  return createSipStack({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
}

/** Phones: answer at once; the customer hangs up 20 ms after its re-INVITE (the transfer is done). */
async function startPhones(): Promise<Target> {
  const stack = await udpStack();
  stack.on('request', (req) => {
    if (req.method !== 'INVITE') return void req.respond(405);
    req.respond(180);
    const dialog = req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
    dialog?.on('request', (r) => {
      if (r.method === 'INVITE') {
        r.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
        setTimeout(() => void dialog.request('BYE'), 20);
      } else r.respond(200);
    });
  });
  return { port: stack.addresses[0]?.port ?? 0, close: () => stack.close() };
}

/** The floor: 200 to INVITE; REFER -> 202, NOTIFY 100 / 180 / 200 (terminated), BYE; no legs. */
async function startFloor(): Promise<Target> {
  const stack = await udpStack();
  const notify = (d: Dialog, frag: string, state: string) =>
    d.request('NOTIFY', {
      headers: { Event: 'refer', 'Subscription-State': state, 'Content-Type': 'message/sipfrag;version=2.0' },
      body: `SIP/2.0 ${frag}\r\n`,
    }).response;
  stack.on('request', (req) => {
    if (req.method !== 'INVITE') return void req.respond(481);
    const dialog = req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
    dialog?.on('request', (r) => {
      if (r.method !== 'REFER') return void r.respond(200);
      r.respond(202);
      void notify(dialog, '100 Trying', 'active');
      void notify(dialog, '180 Ringing', 'active');
      void notify(dialog, '200 OK', 'terminated;reason=noresource').then(() => dialog.request('BYE'));
    });
  });
  return { port: stack.addresses[0]?.port ?? 0, close: () => stack.close() };
}

interface Sample {
  ok: boolean;
  accepted?: number;
  trying?: number;
}

async function loop(stack: SipStack, port: number): Promise<Sample> {
  const invite = stack.sendRequest(
    {
      method: 'INVITE',
      uri: `sip:${CUSTOMER}@${DOMAIN}`,
      headers: { From: `<sip:+14155550199@${DOMAIN}>`, 'Content-Type': 'application/sdp' },
      body: SDP,
    },
    { destination: { transport: 'udp', host: '127.0.0.1', port } },
  );
  const res = await invite.response;
  const dialog = invite.dialog;
  if (res.status !== 200 || !dialog) return { ok: false };
  const sample: Sample = { ok: false };
  const codes: string[] = [];
  let t0 = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    dialog.on('request', (r) => {
      if (r.method === 'NOTIFY') {
        const frag = r.body.toString('utf8').slice(8, 11);
        codes.push(frag);
        if (frag === '100') sample.trying = performance.now() - t0;
      }
      r.respond(200);
      if (r.method === 'BYE') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  t0 = performance.now();
  const refer = dialog.request('REFER', { headers: { 'Refer-To': `<sip:${AGENT}@${DOMAIN}>` } });
  const referRes = await refer.response;
  sample.accepted = performance.now() - t0;
  await done;
  sample.ok = referRes.status === 202 && codes.join(',') === '100,180,200';
  return sample;
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(
  name: string,
  port: number,
  rate: number,
): Promise<{ failed: number; p50a: number; p99a: number; p50t: number; p99t: number; total: number }> {
  const stacks = await Promise.all(Array.from({ length: 4 }, udpStack));
  const loops: Promise<Sample>[] = [];
  const total = Math.round(rate * SECONDS);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const stack = stacks[i % stacks.length];
    if (stack) loops.push(loop(stack, port).catch(() => ({ ok: false })));
  }
  const samples = await Promise.all(loops);
  await Promise.all(stacks.map((s) => s.close()));
  const accepted = samples.flatMap((s) => (s.accepted === undefined ? [] : [s.accepted]));
  const trying = samples.flatMap((s) => (s.trying === undefined ? [] : [s.trying]));
  const failed = samples.filter((s) => !s.ok).length;
  const r = {
    failed,
    total,
    p50a: pct(accepted, 50),
    p99a: pct(accepted, 99),
    p50t: pct(trying, 50),
    p99t: pct(trying, 99),
  };
  console.log(
    `${name.padEnd(6)} ${String(rate).padStart(4)} loops/s: ${total - failed}/${total} ok; REFER->202 p50 ${r.p50a.toFixed(2)} ms p99 ${r.p99a.toFixed(2)} ms; REFER->NOTIFY 100 p50 ${r.p50t.toFixed(2)} ms p99 ${r.p99t.toFixed(2)} ms`,
  );
  return r;
}

const phones = await startPhones();
const trunk = await startMockTrunk({
  media: 'none',
  phones: false,
  routes: {
    [CUSTOMER]: `sip:${CUSTOMER}@127.0.0.1:${phones.port}`,
    [AGENT]: `sip:${AGENT}@127.0.0.1:${phones.port}`,
  },
});
const floor = await startFloor();
const trunkPort = trunk.addresses[0]?.port ?? 0;
let bestTrunk = 0;
let bestFloor = 0;
console.log(`transfer loops, ${SECONDS} s per rate, driver + trunk in one process`);
for (const rate of RATES) {
  const t = await run('trunk', trunkPort, rate);
  const f = await run('floor', floor.port, rate);
  if (t.failed === 0) bestTrunk = rate;
  if (f.failed === 0) bestFloor = rate;
  console.log(
    `       ratio trunk/floor REFER->202 p50 ${(t.p50a / f.p50a).toFixed(2)}, NOTIFY 100 p50 ${(t.p50t / f.p50t).toFixed(2)}`,
  );
  await new Promise((r) => setTimeout(r, 500));
}
console.log(`highest rate with zero failed loops: trunk ${bestTrunk} loops/s, floor ${bestFloor} loops/s`);
await trunk.close();
await floor.close();
await phones.close();
