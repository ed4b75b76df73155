import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeRtp } from '@referkit/media';
import { afterAll, describe, expect, it } from 'vitest';
import { writePcapng } from '../../src/observe/index.js';
import type { SipTraceEvent } from '../../src/observe/index.js';
import { transferTrace } from './fixtures.js';

// An independent reader: every field is checked against the pcapng and IP/UDP/TCP specs here.

interface Epb {
  readonly micros: bigint;
  readonly data: Buffer;
  readonly comment: string | undefined;
}

interface Capture {
  readonly linkType: number;
  readonly application: string | undefined;
  readonly packets: Epb[];
}

function readOptions(buf: Buffer, start: number, end: number): Map<number, Buffer> {
  const options = new Map<number, Buffer>();
  let at = start;
  while (at < end) {
    const code = buf.readUInt16LE(at);
    const length = buf.readUInt16LE(at + 2);
    if (code === 0) {
      expect(length).toBe(0);
      expect(at + 4).toBe(end); // opt_endofopt is last
      return options;
    }
    options.set(code, buf.subarray(at + 4, at + 4 + length));
    const padded = length + ((4 - (length % 4)) % 4);
    expect(buf.subarray(at + 4 + length, at + 4 + padded).every((b) => b === 0)).toBe(true);
    at += 4 + padded;
  }
  throw new Error('options without opt_endofopt');
}

function readPcapng(buf: Buffer): Capture {
  let offset = 0;
  let linkType = -1;
  let application: string | undefined;
  const packets: Epb[] = [];
  let blockIndex = 0;
  while (offset < buf.length) {
    const type = buf.readUInt32LE(offset);
    const total = buf.readUInt32LE(offset + 4);
    expect(total % 4).toBe(0);
    expect(total).toBeGreaterThanOrEqual(12);
    expect(buf.readUInt32LE(offset + total - 4)).toBe(total); // trailing length repeats
    const body = offset + 8;
    const end = offset + total - 4;
    if (blockIndex === 0) {
      expect(type).toBe(0x0a0d0d0a);
      expect(buf.readUInt32LE(body)).toBe(0x1a2b3c4d);
      expect(buf.readUInt16LE(body + 4)).toBe(1);
      expect(buf.readUInt16LE(body + 6)).toBe(0);
      expect(buf.readBigInt64LE(body + 8)).toBe(-1n);
      application = readOptions(buf, body + 16, end)
        .get(4)
        ?.toString();
    } else if (blockIndex === 1) {
      expect(type).toBe(1);
      linkType = buf.readUInt16LE(body);
      expect(buf.readUInt16LE(body + 2)).toBe(0);
      const options = readOptions(buf, body + 8, end);
      expect(options.get(9)).toEqual(Buffer.from([6]));
    } else {
      expect(type).toBe(6);
      expect(buf.readUInt32LE(body)).toBe(0);
      const micros = (BigInt(buf.readUInt32LE(body + 4)) << 32n) | BigInt(buf.readUInt32LE(body + 8));
      const captured = buf.readUInt32LE(body + 12);
      expect(buf.readUInt32LE(body + 16)).toBe(captured);
      const data = buf.subarray(body + 20, body + 20 + captured);
      const padded = captured + ((4 - (captured % 4)) % 4);
      expect(buf.subarray(body + 20 + captured, body + 20 + padded).every((b) => b === 0)).toBe(true);
      const optionsStart = body + 20 + padded;
      const comment = optionsStart < end ? readOptions(buf, optionsStart, end).get(1)?.toString() : undefined;
      packets.push({ micros, data, comment });
    }
    offset += total;
    blockIndex++;
  }
  expect(offset).toBe(buf.length);
  return { linkType, application, packets };
}

/** RFC 1071 sum; a correct header or segment (checksum field included) sums to 0xffff. */
function onesSum(...parts: Buffer[]): number {
  const all = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += (all[i]! << 8) | (all[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

interface Decoded {
  readonly family: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: 'udp' | 'tcp';
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
  readonly tcp?: { seq: number; ack: number; flags: number };
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

function decode(frame: Buffer, linkType: number): Decoded {
  let ip = frame;
  if (linkType === 1) {
    const etherType = frame.readUInt16BE(12);
    expect([0x0800, 0x86dd]).toContain(etherType);
    expect(frame[6]! & 0x01).toBe(0); // unicast source MAC
    ip = frame.subarray(14);
    expect(ip[0]! >> 4).toBe(etherType === 0x0800 ? 4 : 6);
  }
  const version = ip[0]! >> 4;
  let l4: Buffer;
  let pseudo: Buffer;
  let proto: number;
  let src: Buffer;
  let dst: Buffer;
  if (version === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    expect(ihl).toBe(20);
    expect(ip.readUInt16BE(2)).toBe(ip.length); // total length
    expect(onesSum(ip.subarray(0, ihl))).toBe(0xffff); // header checksum
    expect(ip[8]).toBe(64);
    proto = ip[9]!;
    src = ip.subarray(12, 16);
    dst = ip.subarray(16, 20);
    l4 = ip.subarray(ihl);
    pseudo = Buffer.concat([src, dst, Buffer.from([0, proto, l4.length >> 8, l4.length & 0xff])]);
  } else {
    expect(version).toBe(6);
    expect(ip.readUInt16BE(4)).toBe(ip.length - 40); // payload length
    proto = ip[6]!;
    src = ip.subarray(8, 24);
    dst = ip.subarray(24, 40);
    l4 = ip.subarray(40);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(l4.length);
    pseudo = Buffer.concat([src, dst, len, Buffer.from([0, 0, 0, proto])]);
  }
  expect(onesSum(pseudo, l4)).toBe(0xffff); // UDP/TCP checksum over the pseudo-header
  const family = version === 4 ? 4 : 6;
  if (proto === 17) {
    expect(l4.readUInt16BE(4)).toBe(l4.length);
    expect(l4.readUInt16BE(6)).not.toBe(0);
    return {
      family,
      src: ipText(src),
      dst: ipText(dst),
      protocol: 'udp',
      srcPort: l4.readUInt16BE(0),
      dstPort: l4.readUInt16BE(2),
      payload: l4.subarray(8),
    };
  }
  expect(proto).toBe(6);
  const headerLength = (l4[12]! >> 4) * 4;
  expect(headerLength).toBe(20);
  return {
    family,
    src: ipText(src),
    dst: ipText(dst),
    protocol: 'tcp',
    srcPort: l4.readUInt16BE(0),
    dstPort: l4.readUInt16BE(2),
    payload: l4.subarray(headerLength),
    tcp: { seq: l4.readUInt32BE(4), ack: l4.readUInt32BE(8), flags: l4[13]! },
  };
}

const trace = transferTrace();
const sipEvents = trace.filter((e): e is SipTraceEvent => e.type === 'sip');

describe('writePcapng', () => {
  it('writes SHB, IDB (Ethernet) and one EPB per UDP message, byte-exact', () => {
    const capture = readPcapng(writePcapng(trace));
    expect(capture.linkType).toBe(1);
    expect(capture.application).toBe('referkit-trunk');
    const decoded = capture.packets.map((p) => ({
      ...decode(p.data, 1),
      micros: p.micros,
      comment: p.comment,
    }));
    const udp = decoded.filter((d) => d.protocol === 'udp');
    const udpEvents = sipEvents.filter((e) => e.transport === 'udp');
    expect(udp).toHaveLength(udpEvents.length);
    udp.forEach((d, i) => {
      const event = udpEvents[i]!;
      expect(d.payload.toString()).toBe(event.raw);
      expect(d.micros).toBe(BigInt(Math.round(event.at * 1000)));
      expect(d.family).toBe(4);
      const [from, to] = event.direction === 'in' ? [event.remote, event.local] : [event.local, event.remote];
      expect(`${d.src}:${d.srcPort}`).toBe(from);
      expect(`${d.dst}:${d.dstPort}`).toBe(to);
      expect(d.comment).toContain(event.summary);
      expect(d.comment).toContain('call call-1');
    });
  });

  it('writes TCP over IPv6 with a handshake and continuous sequence numbers', () => {
    const capture = readPcapng(writePcapng(trace, { linkType: 'raw' }));
    expect(capture.linkType).toBe(101);
    const tcp = capture.packets.map((p) => decode(p.data, 101)).filter((d) => d.protocol === 'tcp');
    const tcpEvents = sipEvents.filter((e) => e.transport === 'tcp');
    expect(tcp.map((d) => d.tcp!.flags)).toEqual([0x02, 0x12, 0x10, ...tcpEvents.map(() => 0x18)]);
    for (const d of tcp) expect(d.family).toBe(6);
    const [syn, synAck] = tcp;
    expect(synAck!.tcp!.ack).toBe(syn!.tcp!.seq + 1);
    const next = new Map<string, number>([
      [`${syn!.src}.${syn!.srcPort}`, syn!.tcp!.seq + 1],
      [`${synAck!.src}.${synAck!.srcPort}`, synAck!.tcp!.seq + 1],
    ]);
    const data = tcp.slice(3);
    data.forEach((d, i) => {
      expect(d.payload.toString()).toBe(tcpEvents[i]!.raw);
      const key = `${d.src}.${d.srcPort}`;
      const peer = [...next.keys()].find((k) => k !== key)!;
      expect(d.tcp!.seq).toBe(next.get(key));
      expect(d.tcp!.ack).toBe(next.get(peer));
      next.set(key, d.tcp!.seq + d.payload.length);
    });
    expect(data[0]!.src).toBe('0:0:0:0:0:0:0:1');
  });

  it('splits a large TCP message into segments and interleaves RTP by time', () => {
    const big = {
      ...sipEvents.find((e) => e.transport === 'tcp')!,
      raw: `INVITE x SIP/2.0\r\n${'a'.repeat(70_000)}`,
    };
    const rtp = serializeRtp({
      payloadType: 0,
      sequenceNumber: 7,
      timestamp: 160,
      ssrc: 42,
      marker: true,
      payload: new Uint8Array(160).fill(0xff),
    });
    const capture = readPcapng(
      writePcapng([big, sipEvents[0]!], {
        rtp: [{ at: sipEvents[0]!.at + 0.5, from: '127.0.0.1:30000', to: '127.0.0.1:40000', data: rtp }],
        comments: false,
      }),
    );
    const decoded = capture.packets.map((p) => decode(p.data, 1));
    const rtpPacket = decoded.find((d) => d.srcPort === 30000)!;
    expect(Buffer.compare(rtpPacket.payload, Buffer.from(rtp))).toBe(0);
    const segments = decoded.filter((d) => d.protocol === 'tcp' && d.payload.length > 0);
    expect(segments.length).toBeGreaterThan(1);
    expect(Buffer.concat(segments.map((s) => s.payload)).toString()).toBe(big.raw);
    expect(capture.packets.every((p) => p.comment === undefined)).toBe(true);
    const times = capture.packets.map((p) => p.micros);
    expect([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(times);
  });

  it('maps host names to documentation addresses and writes an empty capture as SHB + IDB', () => {
    const named: SipTraceEvent = { ...sipEvents[0]!, remote: 'agent.example:5070' };
    const [packet] = readPcapng(writePcapng([named])).packets;
    expect(decode(packet!.data, 1).src).toMatch(/^192\.0\.2\.\d+$/);
    const empty = readPcapng(writePcapng([]));
    expect(empty.packets).toHaveLength(0);
  });

  describe('tshark', () => {
    const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
    const installed = tshark.status === 0;
    const dir = mkdtempSync(join(tmpdir(), 'referkit-pcap-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.skipIf(!installed)(
      'opens the capture, decodes every SIP message and finds no bad checksum',
      () => {
        const file = join(dir, 'call.pcapng');
        writeFileSync(file, writePcapng(trace));
        const checksums = ['ip', 'udp', 'tcp'].flatMap((proto) => ['-o', `${proto}.check_checksum:TRUE`]);
        const run = (...args: string[]): string =>
          execFileSync('tshark', ['-n', '-r', file, ...checksums, ...args], {
            encoding: 'utf8',
            timeout: 50_000,
            stdio: ['ignore', 'pipe', 'pipe'], // tshark warns on stderr when run as root
          }).trim();
        const lines = run(
          '-Y',
          'sip',
          '-T',
          'fields',
          '-e',
          'sip.CSeq.method',
          '-e',
          'sip.Status-Code',
        ).split('\n');
        expect(lines).toHaveLength(sipEvents.length);
        expect(lines.filter((l) => l.startsWith('REFER'))).toEqual(['REFER\t', 'REFER\t202']);
        const bad = run(
          '-Y',
          'ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0 || _ws.malformed',
        );
        expect(bad).toBe('');
      },
      120_000,
    );
    if (!installed)
      it.skip('tshark is not installed (apt-get install tshark); the byte-level reader above still checks the format', () =>
        undefined);
  });
});
