// An independent pcapng reader for tests: every field is checked against the pcapng and
// IP/UDP/TCP specs here, not with the writer's code.
import { expect } from 'vitest';

export interface Epb {
  readonly micros: bigint;
  readonly data: Buffer;
  readonly comment: string | undefined;
}

export interface Capture {
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

export function readPcapng(buf: Buffer): Capture {
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

export interface Decoded {
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

export function decode(frame: Buffer, linkType: number): Decoded {
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
