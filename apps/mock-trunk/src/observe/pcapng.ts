import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { SipTraceEvent, TrunkEvent } from './types.js';

/** One RTP packet to include in a capture. */
export interface PcapRtpPacket {
  /** When it was sent or received (epoch ms, fractional allowed). */
  readonly at: number;
  /** Source address `host:port`. */
  readonly from: string;
  /** Destination address `host:port`. */
  readonly to: string;
  /** The RTP packet bytes (header + payload). */
  readonly data: Uint8Array;
}

/** Options of {@link writePcapng}. */
export interface PcapngOptions {
  /** RTP packets to interleave with the SIP messages (by time). */
  readonly rtp?: readonly PcapRtpPacket[] | undefined;
  /** Link layer: `ethernet` (synthetic MAC header, default) or `raw` (IP only). */
  readonly linkType?: 'ethernet' | 'raw' | undefined;
  /** Text for the section header's `shb_userappl` option (default `referkit-trunk`). */
  readonly application?: string | undefined;
  /** Attach a comment (summary, trunk call and leg) to each SIP packet (default `true`). */
  readonly comments?: boolean | undefined;
}

/** pcapng block types and link types (draft-ietf-opsawg-pcapng). */
export const PCAPNG = Object.freeze({
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  EPB: 0x00000006,
  BYTE_ORDER_MAGIC: 0x1a2b3c4d,
  LINKTYPE_ETHERNET: 1,
  LINKTYPE_RAW: 101,
});

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const TCP_SEGMENT = 32_768;
const MAX_UDP_PAYLOAD = 65_507;

interface Endpoint {
  readonly ip: Buffer;
  readonly v6: boolean;
  readonly port: number;
}

interface Frame {
  readonly at: number;
  readonly order: number;
  readonly build: () => Buffer[];
  readonly comment?: string | undefined;
}

/** The internet checksum (RFC 1071) over `parts`, as if concatenated. */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const byte = part[i] ?? 0;
      if (odd === undefined) odd = byte;
      else {
        sum += (odd << 8) | byte;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Splits `host:port`, `[v6]:port` or bare `v6:port`. */
export function splitHostPort(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1] ?? '', port: Number(bracketed[2] ?? 0) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text, port: 0 };
  const host = text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port)) return { host: text, port: 0 };
  return { host, port };
}

function ipv4Bytes(host: string): Buffer {
  return Buffer.from(host.split('.').map(Number));
}

function ipv6Bytes(host: string): Buffer {
  let text = host.split('%')[0] ?? host;
  // A trailing dotted quad (e.g. ::ffff:127.0.0.1) becomes two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad?.[1]) {
    const b = ipv4Bytes(quad[1]);
    text = `${text.slice(0, -quad[1].length)}${((b[0] ?? 0) * 256 + (b[1] ?? 0)).toString(16)}:${((b[2] ?? 0) * 256 + (b[3] ?? 0)).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return out;
}

/** Maps a host to address bytes; names (not IP literals) get a stable 192.0.2.x / 2001:db8:: address. */
function endpointOf(address: string, wantV6: boolean | undefined): Endpoint {
  const { host, port } = splitHostPort(address);
  if (isIPv4(host) && wantV6 !== true) return { ip: ipv4Bytes(host), v6: false, port };
  if (isIPv4(host)) return { ip: ipv6Bytes(`::ffff:${host}`), v6: true, port };
  if (isIPv6(host)) return { ip: ipv6Bytes(host), v6: true, port };
  const digest = createHash('sha256').update(host).digest();
  if (wantV6) {
    const ip = ipv6Bytes('2001:db8::');
    digest.copy(ip, 8, 0, 8);
    return { ip, v6: true, port };
  }
  return { ip: Buffer.from([192, 0, 2, 1 + ((digest[0] ?? 0) % 254)]), v6: false, port };
}

/** Resolves a packet's two ends to one address family (IPv6 if either end is IPv6). */
function endpoints(from: string, to: string): [Endpoint, Endpoint] {
  const a = endpointOf(from, undefined);
  const b = endpointOf(to, undefined);
  if (a.v6 === b.v6) return [a, b];
  return [endpointOf(from, true), endpointOf(to, true)];
}

function macOf(ip: Buffer): Buffer {
  const digest = createHash('sha256').update(ip).digest();
  // Locally administered, unicast.
  return Buffer.from([0x02, digest[0] ?? 0, digest[1] ?? 0, digest[2] ?? 0, digest[3] ?? 0, digest[4] ?? 0]);
}

/** IPv4 Identification of the next packet (reset by each capture, so output is deterministic). */
let ipv4Id = 0;

function ipHeader(src: Endpoint, dst: Endpoint, protocol: number, payloadLength: number): Buffer {
  if (src.v6) {
    const h = Buffer.alloc(40);
    h.writeUInt32BE(0x60000000, 0);
    h.writeUInt16BE(payloadLength, 4);
    h[6] = protocol;
    h[7] = 64;
    src.ip.copy(h, 8);
    dst.ip.copy(h, 24);
    return h;
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payloadLength, 2);
  ipv4Id = (ipv4Id + 1) & 0xffff;
  h.writeUInt16BE(ipv4Id, 4);
  h.writeUInt16BE(0x4000, 6); // don't fragment
  h[8] = 64;
  h[9] = protocol;
  src.ip.copy(h, 12);
  dst.ip.copy(h, 16);
  h.writeUInt16BE(internetChecksum([h]), 10);
  return h;
}

function pseudoHeader(src: Endpoint, dst: Endpoint, protocol: number, length: number): Buffer {
  if (src.v6) {
    const p = Buffer.alloc(40);
    src.ip.copy(p, 0);
    dst.ip.copy(p, 16);
    p.writeUInt32BE(length, 32);
    p[39] = protocol;
    return p;
  }
  const p = Buffer.alloc(12);
  src.ip.copy(p, 0);
  dst.ip.copy(p, 4);
  p[9] = protocol;
  p.writeUInt16BE(length, 10);
  return p;
}

function udpPacket(src: Endpoint, dst: Endpoint, payload: Uint8Array): Buffer[] {
  const data = payload.length > MAX_UDP_PAYLOAD ? payload.subarray(0, MAX_UDP_PAYLOAD) : payload;
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(src.port, 0);
  udp.writeUInt16BE(dst.port, 2);
  udp.writeUInt16BE(8 + data.length, 4);
  const sum = internetChecksum([pseudoHeader(src, dst, 17, 8 + data.length), udp, data]);
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6);
  return [
    ipHeader(src, dst, 17, 8 + data.length),
    udp,
    Buffer.from(data.buffer, data.byteOffset, data.length),
  ];
}

const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

function tcpPacket(
  src: Endpoint,
  dst: Endpoint,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
): Buffer[] {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(src.port, 0);
  tcp.writeUInt16BE(dst.port, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(flags & TCP_ACK ? ack >>> 0 : 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65_535, 14);
  tcp.writeUInt16BE(internetChecksum([pseudoHeader(src, dst, 6, 20 + payload.length), tcp, payload]), 16);
  return [
    ipHeader(src, dst, 6, 20 + payload.length),
    tcp,
    Buffer.from(payload.buffer, payload.byteOffset, payload.length),
  ];
}

/** Per-connection TCP sequence state: the side that sent first is the client. */
interface TcpConnection {
  readonly client: string;
  clientSeq: number;
  serverSeq: number;
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function option(code: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(code, 0);
  head.writeUInt16LE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad4(value.length))]);
}

function endOfOptions(): Buffer {
  return option(OPT_ENDOFOPT, Buffer.alloc(0));
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

function sectionHeader(application: string): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(PCAPNG.BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(0, 6);
  fixed.writeBigInt64LE(-1n, 8); // section length not specified
  return block(
    PCAPNG.SHB,
    Buffer.concat([fixed, option(SHB_USERAPPL, Buffer.from(application)), endOfOptions()]),
  );
}

function interfaceDescription(linkType: number): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(linkType, 0);
  fixed.writeUInt32LE(0, 4); // snaplen: no limit
  return block(
    PCAPNG.IDB,
    Buffer.concat([
      fixed,
      option(IF_NAME, Buffer.from('referkit-trunk')),
      option(IF_TSRESOL, Buffer.from([6])), // microseconds
      endOfOptions(),
    ]),
  );
}

function enhancedPacket(at: number, data: Buffer, comment: string | undefined): Buffer {
  const micros = BigInt(Math.max(0, Math.round(at * 1000)));
  const fixed = Buffer.alloc(20);
  fixed.writeUInt32LE(0, 0); // interface 0
  fixed.writeUInt32LE(Number(micros >> 32n), 4);
  fixed.writeUInt32LE(Number(micros & 0xffffffffn), 8);
  fixed.writeUInt32LE(data.length, 12);
  fixed.writeUInt32LE(data.length, 16);
  const parts = [fixed, data, Buffer.alloc(pad4(data.length))];
  if (comment !== undefined) parts.push(option(OPT_COMMENT, Buffer.from(comment)), endOfOptions());
  return block(PCAPNG.EPB, Buffer.concat(parts));
}

function sipComment(event: SipTraceEvent): string {
  const parts = [event.summary];
  if (event.call !== undefined) parts.push(`call ${event.call}`);
  if (event.leg !== undefined) parts.push(`leg ${event.leg}`);
  return parts.filter((p) => p.length > 0).join('; ');
}

/**
 * Writes the SIP messages among `events` (and optional RTP) as a pcapng capture that Wireshark
 * opens: one Section Header Block, one Interface Description Block (Ethernet or raw IP, microsecond
 * timestamps) and one Enhanced Packet Block per packet, with synthetic Ethernet, IPv4/IPv6 and
 * UDP/TCP headers carrying correct checksums. TCP connections get a synthetic three-way
 * handshake and continuous sequence numbers; large TCP messages are split into segments.
 *
 * @example
 * ```ts
 * writeFileSync('call.pcapng', writePcapng(events.filter((e) => e.type === 'sip' && e.call === id)));
 * ```
 */
export function writePcapng(events: readonly TrunkEvent[], options: PcapngOptions = {}): Buffer {
  const linkType = options.linkType === 'raw' ? PCAPNG.LINKTYPE_RAW : PCAPNG.LINKTYPE_ETHERNET;
  const comments = options.comments ?? true;
  const frames: Frame[] = [];
  let order = 0;
  const connections = new Map<string, TcpConnection>();

  const sipEvents = events.filter((e): e is SipTraceEvent => e.type === 'sip');
  const timeline: ({ kind: 'sip'; event: SipTraceEvent } | { kind: 'rtp'; packet: PcapRtpPacket })[] = [
    ...sipEvents.map((event) => ({ kind: 'sip' as const, event })),
    ...(options.rtp ?? []).map((packet) => ({ kind: 'rtp' as const, packet })),
  ];
  timeline.sort(
    (a, b) => (a.kind === 'sip' ? a.event.at : a.packet.at) - (b.kind === 'sip' ? b.event.at : b.packet.at),
  );

  for (const item of timeline) {
    if (item.kind === 'rtp') {
      const [src, dst] = endpoints(item.packet.from, item.packet.to);
      frames.push({ at: item.packet.at, order: order++, build: () => udpPacket(src, dst, item.packet.data) });
      continue;
    }
    const event = item.event;
    const [fromText, toText] =
      event.direction === 'in' ? [event.remote, event.local] : [event.local, event.remote];
    const [src, dst] = endpoints(fromText, toText);
    const payload = Buffer.from(event.raw, 'utf8');
    const comment = comments ? sipComment(event) : undefined;
    if (event.transport === 'udp') {
      frames.push({ at: event.at, order: order++, build: () => udpPacket(src, dst, payload), comment });
      continue;
    }
    const key = [fromText, toText].sort().join('|');
    let conn = connections.get(key);
    if (!conn) {
      const created: TcpConnection = { client: fromText, clientSeq: 1000, serverSeq: 5000 };
      conn = created;
      connections.set(key, created);
      // Synthetic handshake so Wireshark tracks the stream from its start.
      const clientIsn = created.clientSeq - 1;
      const serverIsn = created.serverSeq - 1;
      const empty = Buffer.alloc(0);
      frames.push({
        at: event.at,
        order: order++,
        build: () => tcpPacket(src, dst, clientIsn, 0, TCP_SYN, empty),
      });
      frames.push({
        at: event.at,
        order: order++,
        build: () => tcpPacket(dst, src, serverIsn, clientIsn + 1, TCP_SYN | TCP_ACK, empty),
      });
      frames.push({
        at: event.at,
        order: order++,
        build: () => tcpPacket(src, dst, clientIsn + 1, serverIsn + 1, TCP_ACK, empty),
      });
    }
    const fromClient = conn.client === fromText;
    for (let offset = 0; offset < payload.length || offset === 0; offset += TCP_SEGMENT) {
      const chunk = payload.subarray(offset, offset + TCP_SEGMENT);
      const seq = fromClient ? conn.clientSeq : conn.serverSeq;
      const ack = fromClient ? conn.serverSeq : conn.clientSeq;
      if (fromClient) conn.clientSeq = (conn.clientSeq + chunk.length) >>> 0;
      else conn.serverSeq = (conn.serverSeq + chunk.length) >>> 0;
      frames.push({
        at: event.at,
        order: order++,
        build: () => tcpPacket(src, dst, seq, ack, TCP_PSH | TCP_ACK, chunk),
        comment: offset === 0 ? comment : undefined,
      });
      if (payload.length === 0) break;
    }
  }

  ipv4Id = 0;
  const blocks: Buffer[] = [
    sectionHeader(options.application ?? 'referkit-trunk'),
    interfaceDescription(linkType),
  ];
  for (const frame of frames) {
    const ip = frame.build();
    let packet: Buffer;
    if (linkType === PCAPNG.LINKTYPE_ETHERNET) {
      const header = ip[0] ?? Buffer.alloc(20);
      const v6 = (header[0] ?? 0) >> 4 === 6;
      const srcIp = v6 ? header.subarray(8, 24) : header.subarray(12, 16);
      const dstIp = v6 ? header.subarray(24, 40) : header.subarray(16, 20);
      const eth = Buffer.alloc(14);
      macOf(dstIp).copy(eth, 0);
      macOf(srcIp).copy(eth, 6);
      eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
      packet = Buffer.concat([eth, ...ip]);
    } else {
      packet = Buffer.concat(ip);
    }
    blocks.push(enhancedPacket(frame.at, packet, frame.comment));
  }
  return Buffer.concat(blocks);
}
