import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeRtp } from '@referkit/media';
import { afterAll, describe, expect, it } from 'vitest';
import { writePcapng } from '../../src/observe/index.js';
import type { SipTraceEvent } from '../../src/observe/index.js';
import { transferTrace } from './fixtures.js';
import { decode, readPcapng } from './pcapng-reader.js';

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
