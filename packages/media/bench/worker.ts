/**
 * Benchmark generator worker: owns a share of the calls (two UDP sockets per call, one per
 * party), paces 20 ms RTP packets for every stream with send times spread across the frame (as
 * independent phones would be), and counts what arrives.
 */
import * as dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { createToneSource, encodeG711, serializeRtp } from '../src/index.js';
import type { FromWorker, ToWorker } from './protocol.js';

interface Stream {
  readonly socket: dgram.Socket;
  readonly packet: Buffer;
  target: number;
  seq: number;
  timestamp: number;
  sent: number;
  received: number;
  firstSeq: number;
  maxSeq: number;
  cycles: number;
}

const port = parentPort;
if (!port) throw new Error('bench worker must run in a worker thread');

const payload = encodeG711('PCMU', createToneSource({ frequencyHz: 1000 }).read(160)!);
let streams: Stream[] = [];
let runStart = 0;
let perSecond: number[] = [];
const SLOTS = 10;

function reply(message: FromWorker): void {
  port!.postMessage(message);
}

async function openStream(index: number): Promise<Stream> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const stream: Stream = {
    socket,
    packet: serializeRtp({ payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0x10000 + index, payload }),
    target: 0,
    seq: 0,
    timestamp: 0,
    sent: 0,
    received: 0,
    firstSeq: -1,
    maxSeq: 0,
    cycles: 0,
  };
  socket.on('message', (msg) => {
    stream.received++;
    const seq = msg.readUInt16BE(2);
    if (stream.firstSeq < 0) {
      stream.firstSeq = seq;
      stream.maxSeq = seq;
    } else if (((seq - stream.maxSeq + 65536) & 0xffff) < 3000) {
      if (seq < stream.maxSeq) stream.cycles += 65536;
      stream.maxSeq = seq;
    }
    const second = Math.floor((performance.now() - runStart) / 1000);
    if (second >= 0 && second < perSecond.length) perSecond[second] = (perSecond[second] ?? 0) + 1;
  });
  return stream;
}

function send(stream: Stream): void {
  const p = stream.packet;
  p.writeUInt16BE(stream.seq, 2);
  p.writeUInt32BE(stream.timestamp >>> 0, 4);
  stream.seq = (stream.seq + 1) & 0xffff;
  stream.timestamp = (stream.timestamp + 160) >>> 0;
  stream.sent++;
  stream.socket.send(p, stream.target, '127.0.0.1');
}

function run(seconds: number, pps: number): Promise<void> {
  const interval = 1000 / pps;
  const totalFrames = Math.round(seconds * pps);
  perSecond = new Array<number>(seconds).fill(0);
  for (const s of streams) {
    s.sent = 0;
    s.received = 0;
    s.firstSeq = -1;
    s.cycles = 0;
  }
  runStart = performance.now();
  let tick = 0; // tick = frame * SLOTS + slot
  return new Promise((resolve) => {
    const step = (): void => {
      const now = performance.now();
      // Send every slot that is due (frame n, slot k is due at start + n*interval + k*interval/SLOTS).
      while (tick < totalFrames * SLOTS && runStart + (tick * interval) / SLOTS <= now) {
        const slot = tick % SLOTS;
        for (let i = slot; i < streams.length; i += SLOTS) send(streams[i]!);
        tick++;
      }
      if (tick >= totalFrames * SLOTS) {
        resolve();
        return;
      }
      setTimeout(step, Math.max(0, runStart + (tick * interval) / SLOTS - performance.now()));
    };
    step();
  });
}

port.on('message', (message: ToWorker) => {
  void (async () => {
    switch (message.type) {
      case 'open': {
        const opened: Stream[] = [];
        for (let i = 0; i < message.calls * 2; i++) opened.push(await openStream(i));
        streams = opened;
        const ports: [number, number][] = [];
        for (let i = 0; i < message.calls; i++) {
          ports.push([opened[2 * i]!.socket.address().port, opened[2 * i + 1]!.socket.address().port]);
        }
        reply({ type: 'opened', ports });
        break;
      }
      case 'target':
        message.targets.forEach(([a, b], i) => {
          streams[2 * i]!.target = a;
          streams[2 * i + 1]!.target = b;
        });
        reply({ type: 'targeted' });
        break;
      case 'run': {
        const elu0 = performance.eventLoopUtilization();
        await run(message.seconds, message.pps);
        const elu = performance.eventLoopUtilization(elu0).utilization;
        await new Promise((r) => setTimeout(r, 500)); // drain what is in flight
        let sent = 0;
        let received = 0;
        let lostBySequence = 0;
        for (const s of streams) {
          sent += s.sent;
          received += s.received;
          if (s.firstSeq >= 0) lostBySequence += s.cycles + s.maxSeq - s.firstSeq + 1 - s.received;
        }
        reply({ type: 'result', sent, received, lostBySequence, perSecond, eventLoopUtilization: elu });
        break;
      }
      case 'close':
        await Promise.all(streams.map((s) => new Promise<void>((r) => s.socket.close(() => r()))));
        streams = [];
        reply({ type: 'closed' });
        break;
      default: {
        const never: never = message;
        throw new Error(`unknown message ${JSON.stringify(never)}`);
      }
    }
  })();
});
