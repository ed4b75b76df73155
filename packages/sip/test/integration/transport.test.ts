import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTcpTransport, createUdpTransport, silentLogger } from '../../src/transport/index.js';
import type { InboundMessage, Transport } from '../../src/transport/index.js';

const open: Transport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function collector() {
  const got: InboundMessage[] = [];
  const drops: string[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    drops,
    handlers: {
      onMessage: (m: InboundMessage) => {
        got.push(m);
        wake?.();
      },
      onDrop: (reason: string) => drops.push(reason),
    },
    async waitFor(n: number) {
      while (got.length < n) await new Promise<void>((r) => (wake = r));
    },
  };
}

const OPTIONS = (body = ''): Buffer =>
  Buffer.from(
    `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nCall-ID: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );

describe('UDP transport on loopback', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`binds ${host} on an ephemeral port and exchanges datagrams`, async () => {
      const a = collector();
      const b = collector();
      const ta = await createUdpTransport({ host, logger: silentLogger }, a.handlers);
      const tb = await createUdpTransport({ host, logger: silentLogger }, b.handlers);
      open.push(ta, tb);
      expect(ta.local.port).toBeGreaterThan(0);
      expect(ta.local.family).toBe(host === '::1' ? 'IPv6' : 'IPv4');
      ta.send(OPTIONS('hi'), tb.local);
      await b.waitFor(1);
      expect(b.got[0]?.data.toString()).toBe(OPTIONS('hi').toString());
      expect(b.got[0]?.remote).toEqual({ host, port: ta.local.port });
    });
  }

  it('drops oversized datagrams and keep-alives, still delivers valid ones', async () => {
    const b = collector();
    const tb = await createUdpTransport({ logger: silentLogger, maxMessageSize: 200 }, b.handlers);
    open.push(tb);
    const s = dgram.createSocket('udp4');
    const send = (d: Buffer) => new Promise<void>((r) => s.send(d, tb.local.port, '127.0.0.1', () => r()));
    await send(Buffer.alloc(500, 0x41));
    await send(Buffer.from('\r\n\r\n'));
    await send(OPTIONS());
    await b.waitFor(1);
    s.close();
    expect(b.got).toHaveLength(1);
    expect(b.drops).toEqual(['oversized', 'keepalive']);
  });
});

describe('TCP transport on loopback', () => {
  it('frames messages and replies over the inbound connection (RFC 3261 18.2.2)', async () => {
    const b = collector();
    const tb = await createTcpTransport({ logger: silentLogger }, b.handlers);
    open.push(tb);
    const client = net.connect(tb.local.port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    const replies: Buffer[] = [];
    client.on('data', (d: Buffer) => replies.push(d));
    client.write(Buffer.concat([OPTIONS('one'), OPTIONS('two')]));
    await b.waitFor(2);
    expect(b.got.map((m) => m.data.toString())).toEqual([
      OPTIONS('one').toString(),
      OPTIONS('two').toString(),
    ]);
    const remote = b.got[0]!.remote;
    expect(remote.port).toBe(client.localPort);
    tb.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), remote);
    while (replies.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.concat(replies).toString()).toBe('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    client.destroy();
  });

  it('reuses one outbound connection for several messages, in both directions', async () => {
    const a = collector();
    const b = collector();
    const ta = await createTcpTransport({ logger: silentLogger }, a.handlers);
    const tb = await createTcpTransport({ logger: silentLogger }, b.handlers);
    open.push(ta, tb);
    ta.send(OPTIONS('1'), tb.local);
    ta.send(OPTIONS('2'), tb.local);
    await b.waitFor(2);
    expect(b.got[0]!.remote).toEqual(b.got[1]!.remote);
    tb.send(OPTIONS('back'), b.got[0]!.remote);
    await a.waitFor(1);
    expect(a.got[0]!.remote.port).toBe(tb.local.port);
  });

  it('closes a connection that sends an oversized message', async () => {
    const b = collector();
    const tb = await createTcpTransport({ logger: silentLogger, maxMessageSize: 100 }, b.handlers);
    open.push(tb);
    const client = net.connect(tb.local.port, '127.0.0.1');
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.on('error', () => {});
    client.write(OPTIONS('z'.repeat(300)));
    await closed;
    expect(b.drops).toEqual(['oversized']);
    expect(b.got).toHaveLength(0);
  });

  it('reports a refused connection through onError', async () => {
    const ta = await createTcpTransport({ logger: silentLogger }, collector().handlers);
    open.push(ta);
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await new Promise<Error>((r) => ta.send(OPTIONS(), { host: '127.0.0.1', port }, r));
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});
