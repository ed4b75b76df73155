/**
 * Media benchmark (the issue's goal "with media, 300 concurrent bridged calls with zero RTP loss").
 *
 * One rtpengine is started here (the flags the trunk gives its own supervised one: loopback,
 * userspace, `--delete-delay=0`) and three systems are measured, in turn, in each round:
 *
 * - loopback: each call's two sockets send straight to each other (the bench alone, no rtpengine);
 * - floor: the bench itself creates N two-party rtpengine calls with ng `offer` / `answer` (no
 *   trunk, no SIP), parties A and B each on their own UDP socket;
 * - trunk: the trunk runs as its CLI (`referkit-trunk --media rtpengine --rtpengine <that ng
 *   socket> --no-phones`, bundled next to this file) in its own process; SIP user agents on
 *   `@referkit/sip` in this process play the endpoint (UAC), the customer and the transfer target
 *   (UASes reached through `--route`). Each call is INVITEd through the trunk to the customer, then
 *   REFERred to its own target; once the trunk has re-bridged the customer to the target (the
 *   customer's re-INVITE, NOTIFY 200 and the trunk's BYE to the endpoint are in), the customer and
 *   the target exchange RTP through rtpengine. With BENCH_MEDIA_TRANSFER=0 the endpoint and the
 *   customer exchange RTP instead, with no REFER.
 *
 * Calls are set up at BENCH_MEDIA_RATE per second; each call's two streams (20 ms PCMU, 172-byte
 * packets, its own SSRC, sequence numbers and timestamps) start as soon as it is bridged, from
 * one shared 20 ms timer that catches up by at most 5 frames when it fires late (a longer stall
 * skips time slots and reports them), and once all N calls are bridged they all run
 * BENCH_MEDIA_SECONDS together. Then sending stops, the receivers drain for 1 s and
 * the figures are read: per direction packets sent / received / lost (by sequence number), streams
 * with any loss, one-way latency (a send timestamp in the payload), rtpengine's own counters
 * (`list` and `query`), socket drops from /proc/net/udp, and how late the bench's timer and event
 * loop were. Every call is then hung up (BYE, or ng `delete` for the floor) and rtpengine's
 * `list` must be empty.
 *
 * Environment: BENCH_MEDIA_CALLS (default 300), BENCH_MEDIA_SECONDS (default 30),
 * BENCH_MEDIA_RATE (calls set up per second, default 20), BENCH_MEDIA_ROUNDS (default 1; medians
 * are printed over rounds), BENCH_MEDIA_TRANSFER (default 1), BENCH_MEDIA_LOOPBACK (default 1),
 * BENCH_RTPENGINE_THREADS (rtpengine's `--num-threads`, default rtpengine's own choice),
 * RTPENGINE_BIN.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { RecordableHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startRtpEngine } from '@referkit/media';
import type { Logger, QueryResult, RtpEngineController, RtpEngineSupervisor } from '@referkit/media';
import { createSipStack } from '@referkit/sip';
import type { Dialog, IncomingRequest, SipStack } from '@referkit/sip';
import { awaitOutput, exited, pct } from './common.js';

function envNumber(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name}="${text}": expected a number >= ${min}`);
  return value;
}

const CALLS = Math.floor(envNumber('BENCH_MEDIA_CALLS', 300, 1));
const SECONDS = envNumber('BENCH_MEDIA_SECONDS', 30, 1);
const RATE = envNumber('BENCH_MEDIA_RATE', 20, 0.1);
const ROUNDS = Math.floor(envNumber('BENCH_MEDIA_ROUNDS', 1, 1));
const TRANSFER = (process.env.BENCH_MEDIA_TRANSFER ?? '1') !== '0';
const LOOPBACK = (process.env.BENCH_MEDIA_LOOPBACK ?? '1') !== '0';
const THREADS =
  process.env.BENCH_RTPENGINE_THREADS === undefined
    ? undefined
    : Math.floor(envNumber('BENCH_RTPENGINE_THREADS', 1, 1));
const GOAL_CALLS = 300;
const PTIME_MS = 20;
const FRAME_SAMPLES = 160;
const PACKET_BYTES = 12 + FRAME_SAMPLES;
const DRAIN_MS = 1000;
/** Frames a late timer sends at once per stream to catch up (older slots are skipped). */
const MAX_CATCH_UP = 5;
const LOOP_RESOLUTION_MS = 10;
const SETUP_TIMEOUT_MS = 30_000;
const DOMAIN = 'lab.zt.plivo.com';
const CUSTOMER_PREFIX = '+1415555';
const TARGET_PREFIX = '+1650555';
const HOST = '127.0.0.1';

if (CALLS > 9999) throw new Error('BENCH_MEDIA_CALLS must be at most 9999 (four-digit numbers)');

const bundleDir = dirname(fileURLToPath(import.meta.url));
const trunkBundle = join(bundleDir, 'trunk.mjs');

// ---------------------------------------------------------------------------------------------
// Children and cleanup

let trunkChild: ChildProcess | undefined;
let engine: RtpEngineSupervisor | undefined;
process.on('exit', () => {
  if (trunkChild && trunkChild.exitCode === null && trunkChild.signalCode === null)
    trunkChild.kill('SIGKILL');
  // rtpengine is killed by @referkit/media's own exit hook.
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`media bench: ${sig}, stopping`);
    trunkChild?.kill('SIGKILL');
    engine?.kill('SIGKILL');
    process.exit(130);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Counts rtpengine's warning and error lines (its stderr goes through the supervisor's logger). */
const engineLog = { warn: 0, error: 0, last: '' };
const engineLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj) => {
    engineLog.warn++;
    engineLog.last = lineOf(obj);
  },
  error: (obj) => {
    engineLog.error++;
    engineLog.last = lineOf(obj);
  },
};
function lineOf(obj: unknown): string {
  const line = (obj as { line?: unknown } | null)?.line;
  return typeof line === 'string' ? line : JSON.stringify(obj);
}

/** The trunk's pino lines at warn (40) and above. */
const trunkLog = { warn: 0, error: 0, last: '' };

interface TrunkProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly httpUrl: string | undefined;
}

/** Starts the trunk CLI on loopback and resolves once it prints where it listens. */
async function startTrunk(ngPort: number, customerPort: number, targetPort: number): Promise<TrunkProcess> {
  if (!existsSync(trunkBundle)) throw new Error(`${trunkBundle} is missing: run the bench:media script`);
  const args = [
    trunkBundle,
    '--listen',
    `udp:${HOST}:0`,
    '--media',
    'rtpengine',
    '--rtpengine',
    `${HOST}:${ngPort}`,
    '--no-phones',
    '--http',
    `${HOST}:0`,
    '--log-level',
    'warn',
    '--route',
    `${CUSTOMER_PREFIX}=sip:customer@${HOST}:${customerPort}`,
    '--route',
    `${TARGET_PREFIX}=sip:target@${HOST}:${targetPort}`,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trunkChild = child;
  let err = '';
  let partial = '';
  child.stderr?.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (err.length < 4000) err += `${line}\n`;
      const level = /"level":(\d+)/.exec(line);
      if (!level) continue;
      if (Number(level[1]) >= 50) trunkLog.error++;
      else if (Number(level[1]) >= 40) trunkLog.warn++;
      if (Number(level[1]) >= 40) trunkLog.last = line.slice(0, 300);
    }
  });
  // The whole line: it goes on to the HTTP API's address.
  const line = /listening on udp:127\.0\.0\.1:(\d+).*\n/;
  const m = await awaitOutput(child, 'stdout', line, 'trunk', 20_000, () => err);
  const http = /http (http:\/\/\S+?)(;|\s|$)/.exec(m[0]);
  return { child, port: Number(m[1]), httpUrl: http?.[1] };
}

// ---------------------------------------------------------------------------------------------
// RTP streams

/** One direction of one call: what its sender sent and what its receiver got. */
interface Stream {
  readonly ssrc: number;
  readonly seq0: number;
  readonly ts0: number;
  readonly socket: dgram.Socket;
  dest: { host: string; port: number } | undefined;
  startAt: number;
  sent: number;
  sendErrors: number;
  /** Time slots used (sent + skipped): the RTP timestamp's clock. */
  slots: number;
  /** Time slots skipped because the bench fell more than MAX_CATCH_UP frames behind. */
  skipped: number;
  onSent: (err: Error | null) => void;
  received: number;
  duplicates: number;
  reordered: number;
  highest: number;
  seen: Uint8Array;
}

/** One party of a call: its RTP socket, where it sends, and the stream it expects to receive. */
interface Leg {
  readonly socket: dgram.Socket;
  readonly port: number;
  remote: { host: string; port: number } | undefined;
  out: Stream | undefined;
  expect: Stream | undefined;
  /** Datagrams that are not the expected stream (e.g. ring-back before the bridge). */
  strays: number;
}

const ssrcs = new Set<number>();
function newSsrc(): number {
  for (;;) {
    const v = (Math.random() * 0x100000000) >>> 0;
    if (v !== 0 && !ssrcs.has(v)) {
      ssrcs.add(v);
      return v;
    }
  }
}

function newStream(socket: dgram.Socket): Stream {
  const s: Stream = {
    ssrc: newSsrc(),
    seq0: Math.floor(Math.random() * 0x10000),
    ts0: (Math.random() * 0x100000000) >>> 0,
    socket,
    dest: undefined,
    startAt: NaN,
    sent: 0,
    sendErrors: 0,
    slots: 0,
    skipped: 0,
    onSent: () => undefined,
    received: 0,
    duplicates: 0,
    reordered: 0,
    highest: -1,
    seen: new Uint8Array(Math.ceil(((CALLS / RATE + SECONDS + 60) * 1000) / PTIME_MS)),
  };
  s.onSent = (err) => {
    if (err) s.sendErrors++;
  };
  return s;
}

/** Everything measured in one phase (shared by all its streams). */
interface PhaseMeter {
  readonly latency: RecordableHistogram;
  readonly tickLate: RecordableHistogram;
  /** The same, only while all calls are bridged (no signalling going on). */
  readonly windowLatency: RecordableHistogram;
  readonly windowTickLate: RecordableHistogram;
  inWindow: boolean;
  readonly active: Set<Stream>;
  sending: boolean;
}

let meter: PhaseMeter | undefined;

function isLoopback(host: string): boolean {
  return host.startsWith('127.');
}

/** Sends the stream's next packet (sequence number `sent`) for time slot `slots`. */
function sendFrame(s: Stream): void {
  const dest = s.dest;
  if (!dest) return;
  const index = s.sent;
  const buf = Buffer.allocUnsafe(PACKET_BYTES);
  buf[0] = 0x80;
  buf[1] = index === 0 ? 0x80 : 0x00; // marker on the first packet, payload type 0 (PCMU)
  buf.writeUInt16BE((s.seq0 + index) & 0xffff, 2);
  buf.writeUInt32BE((s.ts0 + s.slots * FRAME_SAMPLES) >>> 0, 4);
  buf.writeUInt32BE(s.ssrc, 8);
  buf.writeDoubleBE(performance.now(), 12);
  buf.fill(0xff, 20); // PCMU silence
  // The socket is connected to `dest` (see startPair): no address to resolve per packet.
  s.socket.send(buf, s.onSent);
  s.sent = index + 1;
  s.slots++;
}

/**
 * The shared 20 ms timer: every active stream sends the frames it is due, catching up by at most
 * MAX_CATCH_UP frames when the timer fired late. A stream further behind (the bench's event loop
 * stalled) skips the older time slots, as a live RTP sender does: the RTP timestamp jumps, the
 * sequence number does not, and the skipped slots are reported (they are not packets lost on the
 * way). Without the cap a stall of 2 s would be followed by 100 packets per stream at once,
 * 60 000 for 300 calls, which overflows socket buffers by itself.
 */
function tick(m: PhaseMeter, last: { at: number }): void {
  const now = performance.now();
  const late = Math.max(1, Math.round((now - last.at - PTIME_MS) * 1000));
  m.tickLate.record(late);
  if (m.inWindow) m.windowTickLate.record(late);
  last.at = now;
  if (!m.sending) return;
  for (const s of m.active) {
    const due = Math.floor((now - s.startAt) / PTIME_MS) + 1;
    if (due - s.slots > MAX_CATCH_UP) {
      s.skipped += due - s.slots - MAX_CATCH_UP;
      s.slots = due - MAX_CATCH_UP;
    }
    while (s.slots < due) sendFrame(s);
  }
}

function onRtp(leg: Leg, msg: Buffer): void {
  const now = performance.now();
  const s = leg.expect;
  if (!s || msg.length < 12 || msg[0] !== 0x80 || (msg[1] ?? 0) & 0x7f || msg.readUInt32BE(8) !== s.ssrc) {
    leg.strays++;
    return;
  }
  const seq = msg.readUInt16BE(2);
  // Extended index relative to the highest seen (sequence numbers wrap at 65536).
  const base = Math.max(0, s.highest);
  let d = (seq - ((s.seq0 + base) & 0xffff)) & 0xffff;
  if (d >= 0x8000) d -= 0x10000;
  const index = base + d;
  if (index < 0 || index >= s.sent + 100) {
    leg.strays++;
    return;
  }
  if (index >= s.seen.length) {
    const grown = new Uint8Array(Math.max(index + 1, s.seen.length * 2));
    grown.set(s.seen);
    s.seen = grown;
  }
  if (s.seen[index] === 1) {
    s.duplicates++;
    return;
  }
  s.seen[index] = 1;
  s.received++;
  if (index < s.highest) s.reordered++;
  else s.highest = index;
  if (msg.length >= 20 && meter) {
    const us = Math.max(1, Math.round((now - msg.readDoubleBE(12)) * 1000));
    meter.latency.record(us);
    if (meter.inWindow) meter.windowLatency.record(us);
  }
}

async function openLeg(): Promise<Leg> {
  const socket = dgram.createSocket('udp4');
  const port = await new Promise<number>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, HOST, () => {
      socket.off('error', reject);
      resolve(socket.address().port);
    });
  });
  const leg: Leg = { socket, port, remote: undefined, out: undefined, expect: undefined, strays: 0 };
  socket.on('message', (msg) => onRtp(leg, msg));
  socket.on('error', () => undefined);
  return leg;
}

async function openLegs(count: number): Promise<Leg[]> {
  const legs: Leg[] = [];
  for (let i = 0; i < count; i += 100) {
    legs.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, openLeg))));
  }
  return legs;
}

async function closeLegs(legs: readonly Leg[]): Promise<void> {
  await Promise.all(legs.map((l) => new Promise<void>((r) => l.socket.close(() => r()))));
}

/**
 * Starts the two streams between `x` and `y`. Each socket is first connected to the address it
 * sends to (its rtpengine port, which is also where rtpengine sends from: symmetric RTP), as an
 * RTP stack would: the kernel then drops datagrams from anywhere else (they are not counted as
 * received) and a send needs no address lookup, which halves the bench's own cost per packet.
 */
async function startPair(m: PhaseMeter, x: Leg, y: Leg): Promise<void> {
  const pairs = [
    [x, y],
    [y, x],
  ] as const;
  for (const [from] of pairs) {
    const dest = from.remote;
    if (!dest || !isLoopback(dest.host))
      throw new Error(`refusing to send RTP to ${dest?.host ?? 'nowhere'}`);
  }
  await Promise.all(
    pairs.map(
      ([from]) =>
        new Promise<void>((resolve, reject) => {
          const dest = from.remote as { host: string; port: number };
          from.socket.once('connect', resolve);
          try {
            from.socket.connect(dest.port, dest.host);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }),
    ),
  );
  const now = performance.now();
  for (const [from, to] of pairs) {
    const s = newStream(from.socket);
    s.dest = from.remote;
    s.startAt = now;
    from.out = s;
    to.expect = s;
    m.active.add(s);
  }
}

// ---------------------------------------------------------------------------------------------
// SDP

function sdp(port: number, version = 1): string {
  return [
    'v=0',
    `o=- ${port} ${version} IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** The audio address an SDP names (media-level c= wins over the session's). */
function remoteOf(body: string | Buffer): { host: string; port: number } | undefined {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const media = /^m=audio (\d+) /m.exec(text);
  if (!media) return undefined;
  const after = text.slice(media.index);
  const c = /^c=IN IP4 (\S+)/m.exec(after) ?? /^c=IN IP4 (\S+)/m.exec(text);
  if (!c?.[1]) return undefined;
  return { host: c[1], port: Number(media[1]) };
}

// ---------------------------------------------------------------------------------------------
// /proc/net/udp drops and /proc/net/snmp

interface UdpSocketRow {
  readonly port: number;
  readonly drops: number;
}

function udpTable(): Map<string, UdpSocketRow> {
  const rows = new Map<string, UdpSocketRow>();
  let text = '';
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return rows;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const port = parseInt((f[1] ?? '').split(':')[1] ?? '', 16);
    rows.set(f[9] ?? '', { port, drops: Number(f[12] ?? 0) });
  }
  return rows;
}

function rcvbufErrors(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = (lines[0] ?? '').split(/\s+/);
    const values = (lines[1] ?? '').split(/\s+/);
    const i = names.indexOf('RcvbufErrors');
    return i < 0 ? undefined : Number(values[i]);
  } catch {
    return undefined;
  }
}

function dropsSince(
  before: Map<string, UdpSocketRow>,
  match: (port: number) => boolean,
): { drops: number; sockets: number } {
  let drops = 0;
  let sockets = 0;
  for (const [inode, row] of udpTable()) {
    if (!match(row.port)) continue;
    sockets++;
    drops += row.drops - (before.get(inode)?.drops ?? 0);
  }
  return { drops, sockets };
}

// ---------------------------------------------------------------------------------------------
// Phases

/** `loopback`: the bench's sockets straight to each other; `floor`: rtpengine by ng; `trunk`. */
type PhaseName = 'loopback' | 'floor' | 'trunk';

interface BenchCall {
  readonly index: number;
  /** Customer (trunk) or party A (floor). */
  readonly a: Leg;
  /** Target (trunk, transfer), endpoint (trunk, no transfer) or party B (floor). */
  readonly b: Leg;
  startedAt: number;
  bridgedAt: number | undefined;
  failure: string | undefined;
  endpointDialog: Dialog | undefined;
  customerDialog: Dialog | undefined;
  targetDialog: Dialog | undefined;
  reinvited: boolean;
  endpointBye: boolean;
  targetBye: boolean;
  notifies: string[];
}

interface DirectionFigures {
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  reordered: number;
  sendErrors: number;
  skipped: number;
  streamsWithLoss: number;
  engineReceived: number;
}

interface PhaseResult {
  readonly name: PhaseName;
  readonly calls: number;
  readonly bridged: number;
  readonly failures: readonly string[];
  readonly setupMs: number;
  readonly setupP50: number;
  readonly setupP99: number;
  readonly windowMs: number;
  readonly ab: DirectionFigures;
  readonly ba: DirectionFigures;
  readonly strays: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly latencyMax: number;
  readonly tickLateP99: number;
  readonly tickLateMax: number;
  readonly windowLatencyP50: number;
  readonly windowLatencyP99: number;
  readonly windowLatencyMax: number;
  readonly windowTickLateP99: number;
  readonly windowTickLateMax: number;
  readonly loopDelayP99: number;
  readonly loopDelayMax: number;
  readonly engineCalls: number;
  readonly engineCallsExpected: number;
  readonly engineErrors: number;
  readonly benchDrops: number;
  readonly engineDrops: number;
  readonly systemRcvbufErrors: number | undefined;
  readonly listAfter: number;
  readonly trunkCallsAfter: number | undefined;
  /** The machine's 1-minute load average when the media window ended. */
  readonly load: number;
}

function median(values: readonly number[]): number {
  return pct(values, 50);
}

function direction(
  calls: readonly BenchCall[],
  pick: (c: BenchCall) => Stream | undefined,
): DirectionFigures {
  const f: DirectionFigures = {
    sent: 0,
    received: 0,
    lost: 0,
    duplicates: 0,
    reordered: 0,
    sendErrors: 0,
    skipped: 0,
    streamsWithLoss: 0,
    engineReceived: 0,
  };
  for (const c of calls) {
    const s = pick(c);
    if (!s) continue;
    f.sent += s.sent;
    f.received += s.received;
    f.lost += s.sent - s.received;
    f.duplicates += s.duplicates;
    f.reordered += s.reordered;
    f.sendErrors += s.sendErrors;
    f.skipped += s.skipped;
    if (s.sent !== s.received) f.streamsWithLoss++;
  }
  return f;
}

/** Runs `fn` for indexes 0..count-1 at `rate` per second; resolves with all their promises. */
async function ramp<T>(count: number, rate: number, fn: (i: number) => Promise<T>): Promise<Promise<T>[]> {
  const started: Promise<T>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 1) await sleep(wait);
    started.push(fn(i));
  }
  return started;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(50);
  }
}

interface PhaseDriver {
  readonly name: PhaseName;
  /** Tags rtpengine knows the A and B parties by, per call id. */
  readonly tagOf: (callId: string, tag: string) => 'a' | 'b' | undefined;
  /** Call ids rtpengine should hold while media flows. */
  readonly expectedCallIds: (ids: readonly string[]) => number;
  /** Sets call `c` up; resolves once it is bridged (call `bridged`) or has failed. */
  setUp(c: BenchCall, bridged: () => Promise<void>): Promise<void>;
  /** Hangs every call up. */
  tearDown(calls: readonly BenchCall[]): Promise<void>;
  /** Calls the trunk still holds after the teardown (undefined for the floor). */
  trunkCalls?(): Promise<number | undefined>;
}

async function runPhase(driver: PhaseDriver, ng: RtpEngineController): Promise<PhaseResult> {
  const legs = await openLegs(2 * CALLS);
  const calls: BenchCall[] = Array.from({ length: CALLS }, (_, index) => ({
    index,
    a: legs[2 * index] as Leg,
    b: legs[2 * index + 1] as Leg,
    startedAt: NaN,
    bridgedAt: undefined,
    failure: undefined,
    endpointDialog: undefined,
    customerDialog: undefined,
    targetDialog: undefined,
    reinvited: false,
    endpointBye: false,
    targetBye: false,
    notifies: [],
  }));
  const ourPorts = new Set(legs.map((l) => l.port));
  const enginePort = (p: number): boolean =>
    engine !== undefined && p >= engine.portMin && p <= engine.portMax;
  const udpBefore = udpTable();
  const rcvbufBefore = rcvbufErrors();

  const m: PhaseMeter = {
    latency: createHistogram(),
    tickLate: createHistogram(),
    windowLatency: createHistogram(),
    windowTickLate: createHistogram(),
    inWindow: false,
    active: new Set(),
    sending: true,
  };
  meter = m;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const last = { at: performance.now() };
  const timer = setInterval(() => tick(m, last), PTIME_MS);

  const t0 = performance.now();
  const setups = await ramp(CALLS, RATE, async (i) => {
    const c = calls[i] as BenchCall;
    c.startedAt = performance.now();
    let expire: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      expire = setTimeout(() => {
        if (c.bridgedAt === undefined) c.failure ??= `not bridged within ${SETUP_TIMEOUT_MS / 1000} s`;
        resolve();
      }, SETUP_TIMEOUT_MS);
    });
    const bridged = async (): Promise<void> => {
      if (c.bridgedAt !== undefined || c.failure !== undefined) return;
      c.bridgedAt = performance.now();
      await startPair(m, c.a, c.b);
    };
    await Promise.race([
      driver.setUp(c, bridged).catch((err: unknown) => {
        c.failure ??= err instanceof Error ? err.message : String(err);
      }),
      deadline,
    ]);
    clearTimeout(expire);
  });
  await Promise.all(setups);
  const setupMs = performance.now() - t0;
  const windowStart = performance.now();
  m.inWindow = true;
  await sleep(SECONDS * 1000);
  m.sending = false;
  m.inWindow = false;
  const windowLoad = loadavg()[0] ?? NaN;
  const windowMs = performance.now() - windowStart;
  await sleep(DRAIN_MS);
  clearInterval(timer);
  loop.disable();

  // rtpengine's own view, before anything is hung up.
  const benchDrops = dropsSince(udpBefore, (p) => ourPorts.has(p)).drops;
  const engineDrops = dropsSince(udpBefore, enginePort).drops;
  const rcvbufAfter = rcvbufErrors();
  const ids = await ng.list({ limit: CALLS * 4 + 100 });
  const queries = await pool(ids, 32, (callId) =>
    ng.query({ callId }).then(
      (q) => ({ callId, q }),
      () => ({ callId, q: undefined as QueryResult | undefined }),
    ),
  );
  const live = calls.filter((c) => c.bridgedAt !== undefined);
  const ab = direction(live, (c) => c.a.out);
  const ba = direction(live, (c) => c.b.out);
  let engineErrors = 0;
  for (const { callId, q } of queries) {
    if (!q) continue;
    for (const tag of Object.values(q.tags)) {
      const side = driver.tagOf(callId, tag.tag);
      if (side === 'a') ab.engineReceived += tag.packets;
      if (side === 'b') ba.engineReceived += tag.packets;
      for (const st of tag.streams) engineErrors += st.errors;
    }
  }
  const strays = calls.reduce((n, c) => n + c.a.strays + c.b.strays, 0);

  await driver.tearDown(calls);
  let listAfter = -1;
  await waitUntil(async () => {
    listAfter = (await ng.list({ limit: CALLS * 4 + 100 })).length;
    return listAfter === 0;
  }, 15_000);
  const trunkCallsAfter = driver.trunkCalls ? await driver.trunkCalls() : undefined;
  meter = undefined;
  await closeLegs(legs);

  const setupTimes = live.map((c) => (c.bridgedAt ?? 0) - c.startedAt);
  const failures = calls.filter((c) => c.failure !== undefined).map((c) => `#${c.index}: ${c.failure}`);
  const us = (h: RecordableHistogram, p: number): number => (h.count === 0 ? NaN : h.percentile(p) / 1000);
  return {
    name: driver.name,
    calls: CALLS,
    bridged: live.length,
    failures,
    setupMs,
    setupP50: pct(setupTimes, 50),
    setupP99: pct(setupTimes, 99),
    windowMs,
    ab,
    ba,
    strays,
    latencyP50: us(m.latency, 50),
    latencyP99: us(m.latency, 99),
    latencyMax: m.latency.count === 0 ? NaN : m.latency.max / 1000,
    tickLateP99: us(m.tickLate, 99),
    tickLateMax: m.tickLate.count === 0 ? NaN : m.tickLate.max / 1000,
    windowLatencyP50: us(m.windowLatency, 50),
    windowLatencyP99: us(m.windowLatency, 99),
    windowLatencyMax: m.windowLatency.count === 0 ? NaN : m.windowLatency.max / 1000,
    windowTickLateP99: us(m.windowTickLate, 99),
    windowTickLateMax: m.windowTickLate.count === 0 ? NaN : m.windowTickLate.max / 1000,
    // The histogram holds whole intervals of its own timer: the delay is what exceeds the resolution.
    loopDelayP99: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
    loopDelayMax: Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS),
    engineCalls: ids.length,
    engineCallsExpected: driver.expectedCallIds(ids),
    engineErrors,
    benchDrops,
    engineDrops,
    systemRcvbufErrors:
      rcvbufBefore === undefined || rcvbufAfter === undefined ? undefined : rcvbufAfter - rcvbufBefore,
    listAfter,
    trunkCallsAfter,
    load: windowLoad,
  };
}

// ---------------------------------------------------------------------------------------------
// The bench alone: each call's two sockets send straight to each other (no rtpengine)

function loopbackDriver(): PhaseDriver {
  return {
    name: 'loopback',
    tagOf: () => undefined,
    expectedCallIds: () => 0,
    async setUp(c, bridged) {
      c.a.remote = { host: HOST, port: c.b.port };
      c.b.remote = { host: HOST, port: c.a.port };
      await bridged();
    },
    tearDown: () => Promise.resolve(),
  };
}

// ---------------------------------------------------------------------------------------------
// The floor: rtpengine driven directly over ng

function floorDriver(ng: RtpEngineController, round: number): PhaseDriver {
  const callId = (c: BenchCall): string => `floor-${round}-${c.index}`;
  const flags = ['trust-address'];
  return {
    name: 'floor',
    tagOf: (_id, tag) => (tag === 'a' ? 'a' : tag === 'b' ? 'b' : undefined),
    expectedCallIds: (ids) => ids.filter((id) => id.startsWith(`floor-${round}-`)).length,
    async setUp(c, bridged) {
      // A offers, B answers: B gets A's offer rewritten by rtpengine, A gets B's answer.
      const offer = await ng.offer({ callId: callId(c), fromTag: 'a', sdp: sdp(c.a.port), flags });
      c.b.remote = remoteOf(offer.sdp);
      const answer = await ng.answer({
        callId: callId(c),
        fromTag: 'a',
        toTag: 'b',
        sdp: sdp(c.b.port),
        flags,
      });
      c.a.remote = remoteOf(answer.sdp);
      if (!c.a.remote || !c.b.remote) throw new Error('rtpengine SDP without an audio address');
      await bridged();
    },
    async tearDown(calls) {
      await pool(calls, 32, (c) => ng.delete({ callId: callId(c), deleteDelay: 0 }).catch(() => undefined));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The trunk: SIP user agents in this process, the trunk CLI in its own

interface Agents {
  readonly endpoint: SipStack;
  readonly customer: SipStack;
  readonly target: SipStack;
}

const number4 = (i: number): string => String(i).padStart(4, '0');

/** Number of the user part of a To header (`<sip:+14155550042@...>` -> 42). */
function indexOf(req: IncomingRequest, prefix: string): number | undefined {
  const to = req.header('To') ?? '';
  const m = /sip:\+(\d+)@/.exec(to);
  if (!m || !`+${m[1]}`.startsWith(prefix)) return undefined;
  return Number(`+${m[1]}`.slice(prefix.length));
}

function trunkDriver(agents: Agents, trunk: TrunkProcess): PhaseDriver {
  const byIndex = new Map<number, BenchCall>();
  const waiters = new Map<number, () => void>();
  const check = (c: BenchCall): void => {
    const done = TRANSFER
      ? c.endpointBye && c.reinvited && c.b.remote !== undefined
      : c.endpointDialog !== undefined && c.b.remote !== undefined && c.a.remote !== undefined;
    if (done) waiters.get(c.index)?.();
  };
  const answerSdp = { headers: { 'Content-Type': 'application/sdp' } };

  // The customer UAS: 200 at once; a re-INVITE moves its stream to the new rtpengine address.
  const offCustomer = agents.customer.on('request', (req) => {
    const c = req.method === 'INVITE' ? byIndex.get(indexOf(req, CUSTOMER_PREFIX) ?? -1) : undefined;
    if (!c) return void req.respond(req.method === 'INVITE' ? 404 : 405);
    c.a.remote = remoteOf(req.body);
    let version = 1;
    const dialog = req.respond(200, 'OK', { ...answerSdp, body: sdp(c.a.port, version) });
    c.customerDialog = dialog;
    dialog?.on('request', (r) => {
      if (r.method === 'INVITE') {
        const remote = remoteOf(r.body);
        if (remote) c.a.remote = remote;
        r.respond(200, 'OK', { ...answerSdp, body: sdp(c.a.port, ++version) });
        c.reinvited = true;
        check(c);
      } else r.respond(200);
    });
  });

  // The target UAS: 180 and 200 at once.
  const offTarget = agents.target.on('request', (req) => {
    const c = req.method === 'INVITE' ? byIndex.get(indexOf(req, TARGET_PREFIX) ?? -1) : undefined;
    if (!c) return void req.respond(req.method === 'INVITE' ? 404 : 405);
    const remote = remoteOf(req.body);
    req.respond(180, 'Ringing');
    const dialog = req.respond(200, 'OK', { ...answerSdp, body: sdp(c.b.port) });
    c.targetDialog = dialog;
    c.b.remote = remote;
    dialog?.on('request', (r) => {
      if (r.method === 'BYE') c.targetBye = true;
      r.respond(200);
    });
    check(c);
  });

  return {
    name: 'trunk',
    tagOf: (_id, tag) =>
      TRANSFER
        ? tag === 'customer'
          ? 'a'
          : tag.startsWith('target')
            ? 'b'
            : undefined
        : tag === 'customer'
          ? 'a'
          : tag === 'endpoint'
            ? 'b'
            : undefined,
    expectedCallIds: (ids) =>
      TRANSFER
        ? ids.filter((id) => /^call-.+~target-\d+$/.test(id)).length
        : ids.filter((id) => id.startsWith('call-')).length,
    async setUp(c, bridged) {
      byIndex.set(c.index, c);
      const done = new Promise<void>((resolve) => waiters.set(c.index, resolve));
      // Without a transfer the endpoint itself is party B; with one, it only signals.
      const endpointLeg = TRANSFER ? undefined : c.b;
      const invite = agents.endpoint.sendRequest(
        {
          method: 'INVITE',
          uri: `sip:${CUSTOMER_PREFIX}${number4(c.index)}@${DOMAIN}`,
          headers: { From: `<sip:+14155550199@${DOMAIN}>`, 'Content-Type': 'application/sdp' },
          // The endpoint's own RTP socket only exists without a transfer; with one it sends no RTP.
          body: sdp(endpointLeg?.port ?? 9),
        },
        { destination: { transport: 'udp', host: HOST, port: trunk.port } },
      );
      const res = await invite.response;
      if (res.status !== 200 || !invite.dialog) throw new Error(`INVITE answered ${res.status}`);
      const dialog = invite.dialog;
      c.endpointDialog = dialog;
      if (endpointLeg) endpointLeg.remote = remoteOf(res.body);
      dialog.on('request', (r) => {
        if (r.method === 'NOTIFY') c.notifies.push(r.body.toString('utf8').trim());
        if (r.method === 'BYE') {
          c.endpointBye = true;
          c.endpointDialog = undefined;
        }
        r.respond(200);
        check(c);
      });
      if (TRANSFER) {
        const refer = await dialog.request('REFER', {
          headers: { 'Refer-To': `<sip:${TARGET_PREFIX}${number4(c.index)}@${DOMAIN}>` },
        }).response;
        if (refer.status !== 202) throw new Error(`REFER answered ${refer.status}`);
      }
      check(c);
      await done;
      if (TRANSFER && c.notifies.at(-1) !== 'SIP/2.0 200 OK')
        throw new Error(`last NOTIFY ${c.notifies.at(-1) ?? 'none'}`);
      await bridged();
    },
    async tearDown(calls) {
      // The customer hangs up (the trunk then hangs up the target); without a transfer the
      // endpoint does (the trunk then hangs up the customer).
      await pool(calls, 16, async (c) => {
        const first = TRANSFER ? c.customerDialog : c.endpointDialog;
        if (first) await first.request('BYE').response;
        for (const d of [c.endpointDialog, c.customerDialog, c.targetDialog]) {
          if (d && d !== first && d.state !== 'terminated' && c.failure !== undefined)
            await d.request('BYE').response;
        }
      });
      if (TRANSFER)
        await waitUntil(() => calls.every((c) => c.targetBye || c.targetDialog === undefined), 15_000);
      byIndex.clear();
      waiters.clear();
      // The stacks outlive this phase: the next round installs its own handlers.
      offCustomer();
      offTarget();
    },
    async trunkCalls() {
      if (trunk.httpUrl === undefined) return undefined;
      let count: number | undefined;
      await waitUntil(async () => {
        const res = await fetch(`${trunk.httpUrl}/calls`);
        // Ended calls stay listed (state "ended"); count the others.
        const body = (await res.json()) as { calls?: { state?: string }[] };
        count = body.calls?.filter((c) => c.state !== 'ended').length;
        return count === 0;
      }, 10_000);
      return count;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Output

const n = (v: number): string => v.toLocaleString('en-US');
const ms = (v: number, digits = 2): string => (Number.isNaN(v) ? '-' : v.toFixed(digits));
const pc = (lost: number, sent: number): string =>
  sent === 0 ? '-' : `${((100 * lost) / sent).toFixed(4)}%`;

function printPhase(r: PhaseResult): void {
  const [aName, bName] =
    r.name !== 'trunk' ? ['A', 'B'] : TRANSFER ? ['customer', 'target'] : ['customer', 'endpoint'];
  const what =
    r.name === 'loopback'
      ? 'socket pairs sending straight to each other (no rtpengine: the bench alone)'
      : r.name === 'floor'
        ? 'rtpengine calls made by ng offer/answer (no trunk, no SIP)'
        : TRANSFER
          ? 'calls through the trunk, REFERred and re-bridged customer<->target'
          : 'calls through the trunk, endpoint<->customer (no REFER)';
  const viaEngine = r.name !== 'loopback';
  console.log(
    `${r.name}: ${r.bridged}/${r.calls} ${what} in ${ms(r.setupMs / 1000, 1)} s` +
      ` (setup p50 ${ms(r.setupP50, 1)} ms, p99 ${ms(r.setupP99, 1)} ms); all ${r.bridged} with media for ${ms(r.windowMs / 1000, 1)} s`,
  );
  for (const f of r.failures.slice(0, 5)) console.log(`  failed ${f}`);
  if (r.failures.length > 5) console.log(`  ... ${r.failures.length - 5} more failed`);
  for (const [label, f] of [
    [`${aName}->${bName}`, r.ab],
    [`${bName}->${aName}`, r.ba],
  ] as const) {
    console.log(
      `  ${label.padEnd(18)} sent ${n(f.sent).padStart(9)}  received ${n(f.received).padStart(9)}  lost ${n(f.lost).padStart(6)} (${pc(f.lost, f.sent)})` +
        `  streams with loss ${f.streamsWithLoss}/${r.bridged}  reordered ${f.reordered}  duplicates ${f.duplicates}` +
        `  send errors ${f.sendErrors}  slots skipped ${n(f.skipped)}` +
        (viaEngine ? `  rtpengine received ${n(f.engineReceived)}` : ''),
    );
  }
  console.log(
    `  one-way latency (${viaEngine ? 'bench -> rtpengine -> bench' : 'bench -> bench'}) p50 ${ms(r.latencyP50, 3)} ms, p99 ${ms(r.latencyP99, 3)} ms, max ${ms(r.latencyMax, 1)} ms; other datagrams received ${r.strays} (e.g. ring-back before the bridge)`,
  );
  if (viaEngine)
    console.log(
      `  rtpengine: list ${r.engineCalls} calls (${r.engineCallsExpected} expected of ${r.bridged}), stream errors ${r.engineErrors};` +
        ` socket drops (/proc/net/udp): bench ${r.benchDrops}, rtpengine ${r.engineDrops}; system UDP RcvbufErrors +${r.systemRcvbufErrors ?? '?'}`,
    );
  console.log(
    `  machine load average ${ms(r.load, 1)} on ${cpus().length} CPUs; bench 20 ms timer late p99 ${ms(r.tickLateP99, 1)} ms, max ${ms(r.tickLateMax, 1)} ms; event-loop delay p99 ${ms(r.loopDelayP99, 1)} ms, max ${ms(r.loopDelayMax, 1)} ms`,
  );
  console.log(
    `  only while all ${r.bridged} were bridged (no signalling): latency p50 ${ms(r.windowLatencyP50, 3)} ms, p99 ${ms(r.windowLatencyP99, 3)} ms, max ${ms(r.windowLatencyMax, 1)} ms;` +
      ` timer late p99 ${ms(r.windowTickLateP99, 1)} ms, max ${ms(r.windowTickLateMax, 1)} ms`,
  );
  if (viaEngine)
    console.log(
      `  teardown: rtpengine list afterwards ${r.listAfter} calls` +
        (r.trunkCallsAfter === undefined ? '' : `; trunk calls not ended afterwards ${r.trunkCallsAfter}`),
    );
}

const lost = (r: PhaseResult): number => r.ab.lost + r.ba.lost;
const sent = (r: PhaseResult): number => r.ab.sent + r.ba.sent;

function ratio(t: number, f: number): string {
  if (Number.isNaN(t) || Number.isNaN(f)) return '-';
  if (t === 0 && f === 0) return 'n/a (both 0)';
  if (f === 0) return 'inf (divisor 0)';
  return (t / f).toFixed(2);
}

/** Where a phase's loss happened, from rtpengine's counters, the socket drops and the bench's timer. */
function lossCause(r: PhaseResult): string {
  const parts: string[] = [];
  if (r.name !== 'loopback') {
    const inbound = r.ab.sent - r.ab.engineReceived + (r.ba.sent - r.ba.engineReceived);
    const outbound = r.ab.engineReceived - r.ab.received + (r.ba.engineReceived - r.ba.received);
    parts.push(
      `${n(inbound)} never counted by rtpengine (lost on the way in), ${n(outbound)} counted by rtpengine but not received back`,
    );
  }
  if (r.benchDrops > 0)
    parts.push(
      `the bench's own sockets dropped ${n(r.benchDrops)} (its event loop did not read them in time)`,
    );
  if (r.engineDrops > 0) parts.push(`rtpengine's sockets dropped ${n(r.engineDrops)}`);
  if (r.tickLateMax > 100 || r.loopDelayMax > 100)
    parts.push(
      `the bench's event loop stalled up to ${ms(Math.max(r.tickLateMax, r.loopDelayMax), 0)} ms (load average ${ms(r.load, 1)})`,
    );
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  engine = await startRtpEngine({
    deleteDelay: 0,
    portCount: Math.max(2000, CALLS * 12),
    logger: engineLogger,
    ...(THREADS === undefined ? {} : { numThreads: THREADS }),
  });
  const ng = await engine.controller({ timeoutMs: 5000 });
  const udp = (): Promise<SipStack> =>
    createSipStack({ listen: [{ transport: 'udp', host: HOST, port: 0 }] });
  const agents: Agents = { endpoint: await udp(), customer: await udp(), target: await udp() };
  const trunk = await startTrunk(
    engine.ngPort,
    agents.customer.addresses[0]?.port ?? 0,
    agents.target.addresses[0]?.port ?? 0,
  );
  console.log(
    `media bench: ${CALLS} calls, ${SECONDS} s of concurrent RTP (20 ms PCMU, ${PACKET_BYTES}-byte packets, one stream each way per call),` +
      ` set up at ${RATE} calls/s, ${ROUNDS} round(s), ${TRANSFER ? 'each call REFERred to its own target' : 'no REFER'};` +
      ` rtpengine ${engine.binary} (ng ${engine.ngHost}:${engine.ngPort}, ports ${engine.portMin}-${engine.portMax}, threads ${THREADS ?? 'default'}); ${cpus().length} CPUs`,
  );
  const results: { loopback: PhaseResult | undefined; floor: PhaseResult; trunk: PhaseResult }[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}/${ROUNDS}`);
      let loopback: PhaseResult | undefined;
      if (LOOPBACK) {
        loopback = await runPhase(loopbackDriver(), ng);
        printPhase(loopback);
        await sleep(1000);
      }
      // Odd rounds measure the floor first, even rounds the trunk first (no order advantage).
      let floor: PhaseResult | undefined;
      if (round % 2 === 1) {
        floor = await runPhase(floorDriver(ng, round), ng);
        printPhase(floor);
        await sleep(1000);
      }
      const t = await runPhase(trunkDriver(agents, trunk), ng);
      printPhase(t);
      if (!floor) {
        await sleep(1000);
        floor = await runPhase(floorDriver(ng, round), ng);
        printPhase(floor);
      }
      console.log(
        `  ratio trunk/floor: lost packets ${ratio(lost(t), lost(floor))}, latency p50 ${ratio(t.latencyP50, floor.latencyP50)}, p99 ${ratio(t.latencyP99, floor.latencyP99)};` +
          ` all bridged: latency p50 ${ratio(t.windowLatencyP50, floor.windowLatencyP50)}, p99 ${ratio(t.windowLatencyP99, floor.windowLatencyP99)}`,
      );
      if (loopback) {
        console.log(
          `  ratio floor/loopback (what rtpengine adds to the bench alone): lost packets ${ratio(lost(floor), lost(loopback))}, latency p50 ${ratio(floor.latencyP50, loopback.latencyP50)}, p99 ${ratio(floor.latencyP99, loopback.latencyP99)};` +
            ` all bridged: latency p50 ${ratio(floor.windowLatencyP50, loopback.windowLatencyP50)}, p99 ${ratio(floor.windowLatencyP99, loopback.windowLatencyP99)}`,
        );
      }
      for (const r of [loopback, floor, t]) {
        if (r && lost(r) > 0) console.log(`  ${r.name} loss: ${lossCause(r)}`);
      }
      results.push({ loopback, floor, trunk: t });
      await sleep(1000);
    }
  } finally {
    trunk.child.kill('SIGTERM');
    await Promise.race([exited(trunk.child), sleep(5000)]);
    if (trunk.child.exitCode === null && trunk.child.signalCode === null) trunk.child.kill('SIGKILL');
    await Promise.all([agents.endpoint.close(), agents.customer.close(), agents.target.close()]);
    const leftover = await ng.list().catch(() => ['?']);
    ng.close();
    await engine.stop();
    console.log(
      `cleanup: trunk exited ${String(trunk.child.exitCode ?? trunk.child.signalCode)}, rtpengine stopped (${engine.state}), rtpengine list before stopping: ${leftover.length} calls`,
    );
  }
  console.log(
    `logs: trunk ${trunkLog.warn} warnings, ${trunkLog.error} errors; rtpengine ${engineLog.warn} warnings, ${engineLog.error} errors` +
      (trunkLog.last || engineLog.last ? `; last: ${trunkLog.last || engineLog.last}` : ''),
  );

  const trunkRuns = results.map((r) => r.trunk);
  const floorRuns = results.map((r) => r.floor);
  const loopbackRuns = results.flatMap((r) => (r.loopback ? [r.loopback] : []));
  if (ROUNDS > 1) {
    const med = (rs: PhaseResult[], f: (r: PhaseResult) => number): number => median(rs.map(f));
    for (const [name, rs] of [
      ['loopback', loopbackRuns],
      ['floor', floorRuns],
      ['trunk', trunkRuns],
    ] as const) {
      if (rs.length === 0) continue;
      const f = (get: (r: PhaseResult) => number, digits: number): string => ms(med(rs, get), digits);
      console.log(
        `median of ${rs.length} rounds, ${name}: lost ${n(med(rs, lost))} of ${n(med(rs, sent))},` +
          ` streams with loss ${med(rs, (r) => r.ab.streamsWithLoss + r.ba.streamsWithLoss)},` +
          ` latency p50 ${f((r) => r.latencyP50, 3)} ms, p99 ${f((r) => r.latencyP99, 3)} ms,` +
          ` all bridged p50 ${f((r) => r.windowLatencyP50, 3)} ms, p99 ${f((r) => r.windowLatencyP99, 3)} ms,` +
          ` timer late max ${f((r) => r.tickLateMax, 1)} ms, setup p50 ${f((r) => r.setupP50, 1)} ms`,
      );
    }
    const both = (get: (r: PhaseResult) => number): string => ratio(med(trunkRuns, get), med(floorRuns, get));
    console.log(
      `median ratio trunk/floor: lost ${both(lost)}, latency p50 ${both((r) => r.latencyP50)},` +
        ` p99 ${both((r) => r.latencyP99)}; all bridged p50 ${both((r) => r.windowLatencyP50)}, p99 ${both((r) => r.windowLatencyP99)}`,
    );
  }
  const totalLost = trunkRuns.reduce((s, r) => s + lost(r), 0);
  const totalSent = trunkRuns.reduce((s, r) => s + sent(r), 0);
  const allBridged = trunkRuns.every((r) => r.bridged === r.calls && r.engineCallsExpected === r.calls);
  const cleanTeardown = results.every(
    (r) => r.trunk.listAfter === 0 && r.floor.listAfter === 0 && (r.trunk.trunkCallsAfter ?? 0) === 0,
  );
  const figures =
    `trunk: ${trunkRuns.map((r) => `${r.bridged}/${r.calls}`).join(', ')} calls bridged${TRANSFER ? ' after REFER' : ''},` +
    ` ${n(totalLost)} of ${n(totalSent)} packets lost over ${ROUNDS} round(s) of ${SECONDS} s;` +
    ` floor: ${n(floorRuns.reduce((s, r) => s + lost(r), 0))} of ${n(floorRuns.reduce((s, r) => s + sent(r), 0))} lost`;
  const goal = 'goal: with media, 300 concurrent bridged calls with zero RTP loss';
  if (CALLS < GOAL_CALLS) {
    console.log(`${goal}: not measured (BENCH_MEDIA_CALLS=${CALLS} < ${GOAL_CALLS}; ${figures})`);
  } else {
    const met = allBridged && totalLost === 0;
    console.log(`${goal}: ${met ? 'met' : 'not met'} (${figures})`);
    const lossy = results.filter((r) => lost(r.trunk) > 0);
    if (lossy.length > 0) {
      const alsoFloor = lossy.filter(
        (r) => lost(r.floor) > 0 || (r.loopback !== undefined && lost(r.loopback) > 0),
      );
      const clean = results.filter((r) => lost(r.trunk) === 0 && r.trunk.bridged === r.trunk.calls).length;
      console.log(
        `  the trunk lost packets in ${lossy.length} of ${ROUNDS} round(s) and none in ${clean};` +
          ` in ${alsoFloor.length} of those the floor or the bench alone (no trunk) lost packets too in the same round` +
          (alsoFloor.length === lossy.length
            ? ": this machine loses packets without any trunk (load, the bench's own event loop); the rounds' trunk/floor ratios say how much more the trunk phase lost"
            : ''),
      );
    }
    const floorLossy = results.filter(
      (r) => lost(r.trunk) === 0 && (lost(r.floor) > 0 || (r.loopback !== undefined && lost(r.loopback) > 0)),
    ).length;
    if (floorLossy > 0) {
      console.log(
        `  caveat: in ${floorLossy} round(s) with no trunk loss the floor or the bench alone lost packets:` +
          ' this machine drops packets when it is loaded, so a zero here is what was seen, not a margin',
      );
    }
    const skipped = trunkRuns.reduce((acc, r) => acc + r.ab.skipped + r.ba.skipped, 0);
    if (skipped > 0) {
      console.log(
        `  caveat: the bench fell behind and skipped ${n(skipped)} of the trunk phase's 20 ms slots (not sent, not counted as lost)`,
      );
    }
  }
  console.log(
    `teardown: ${cleanTeardown ? 'every call hung up, rtpengine list empty after each phase' : 'NOT clean (see above)'}`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    trunkChild?.kill('SIGKILL');
    void (engine?.stop() ?? Promise.resolve()).then(() => process.exit(1));
  },
);
