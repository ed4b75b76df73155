import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockTrunk } from '../../src/index.js';
import { AGENT, CUSTOMER, notifyCodes, startLab, startRawEndpoint, startRawPhone, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const DOMAIN = 'lab.zt.plivo.com';

/** Sends raw datagrams to the trunk and collects what comes back. */
async function rawUdp(
  port: number,
): Promise<{ port: number; send(text: string | Buffer): void; replies: string[]; close(): Promise<void> }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const replies: string[] = [];
  s.on('message', (m) => replies.push(m.toString('utf8')));
  return {
    port: s.address().port,
    send: (text) => s.send(typeof text === 'string' ? Buffer.from(text) : text, port, '127.0.0.1'),
    replies,
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

function request(method: string, localPort: number, extra = ''): string {
  return [
    `${method} sip:${CUSTOMER}@${DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${method}-${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    `From: <sip:+14155550199@${DOMAIN}>;tag=abc`,
    `To: <sip:${CUSTOMER}@${DOMAIN}>`,
    `Call-ID: bad-${method}-${Math.random().toString(36).slice(2)}`,
    `CSeq: 1 ${method}`,
    ...(extra ? [extra] : []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('bad input never crashes the trunk nor leaks calls', () => {
  it('garbage, the RFC 4475 torture messages, unknown methods (501 / 405); the trunk still places calls', async () => {
    const { trunk, endpoint, customer } = await startLab(cleanups);
    const address = trunk.addresses[0];
    if (!address) throw new Error('no address');
    const raw = await rawUdp(address.port);
    cleanups.push(() => raw.close());
    const s = (data: string | Buffer): void => raw.send(data);
    s(Buffer.from([0, 1, 2, 3, 255, 254]));
    s('INVITE\r\n\r\n');
    s('SIP/2.0 200 OK\r\n\r\n');
    // Every RFC 4475 torture message (the SIP engine's fixtures), as they are.
    const torture = new URL('../../../../packages/sip/fixtures/rfc4475/', import.meta.url);
    const files = ['valid', 'invalid', 'semantics'].flatMap((kind) =>
      readdirSync(new URL(`${kind}/`, torture)).map((f) => new URL(`${kind}/${f}`, torture)),
    );
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) s(readFileSync(file));
    s(request('FOO', 1));
    s(request('SUBSCRIBE', 1));
    // Replies go to the Via's sent-by (port 1 here) or rport; what matters is the trunk's state.
    await new Promise((r) => setTimeout(r, 200));
    expect(trunk.calls()).toEqual([]);
    expect(trunk.activeDialogs()).toBe(0);
    const summaries = trunk
      .events()
      .flatMap((e) => (e.type === 'sip' && e.direction === 'out' ? [e.summary] : []));
    expect(summaries).toContain('501 Not Implemented (FOO)');
    expect(summaries).toContain('405 Method Not Allowed (SUBSCRIBE)');
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(customer.invites).toHaveLength(1);
    expect(await endpoint.hangUp()).toBe(200);
  });

  it('huge headers: 60 kB in a datagram is answered; 100 kB on TCP gets 513 and a closed connection', async () => {
    const trunk = await startMockTrunk({
      media: 'none',
      phones: false,
      listen: [
        { transport: 'udp', host: '127.0.0.1', port: 0 },
        { transport: 'tcp', host: '127.0.0.1', port: 0 },
      ],
    });
    cleanups.push(() => trunk.close());
    const udp = trunk.addresses.find((a) => a.transport === 'udp');
    const tcp = trunk.addresses.find((a) => a.transport === 'tcp');
    if (!udp || !tcp) throw new Error('no addresses');

    // The largest datagram UDP carries (65 507 bytes) fits the trunk's limit: answered as usual.
    const raw = await rawUdp(udp.port);
    cleanups.push(() => raw.close());
    raw.send(request('OPTIONS', raw.port, `X-Huge: ${'a'.repeat(60_000)}`));
    await until(() => raw.replies.length === 1, 5000, 'reply to the 60 kB OPTIONS');
    expect(raw.replies[0]).toMatch(/^SIP\/2\.0 200 /);

    // On a stream the limit (65 535 bytes) applies: 513, then the connection closes.
    const socket = net.connect(tcp.port, '127.0.0.1');
    cleanups.push(() => Promise.resolve(void socket.destroy()));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(
      request('OPTIONS', 5060, `X-Huge: ${'a'.repeat(100_000)}`).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'),
    );
    await closed;
    expect(received).toMatch(/^SIP\/2\.0 513 /);

    // Neither left anything behind, and the trunk still answers.
    expect(trunk.calls()).toEqual([]);
    raw.send(request('OPTIONS', raw.port));
    await until(() => raw.replies.length === 2, 5000, 'reply after the huge messages');
    expect(raw.replies[1]).toMatch(/^SIP\/2\.0 200 /);
  });

  it('a Refer-To with embedded headers or parameters: the target leg carries neither', async () => {
    const { trunk, endpoint, customer, target } = await startLab(cleanups);
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    const status = await endpoint.refer(
      `<sip:${AGENT}@${DOMAIN};user=phone?Replaces=abc%3Bto-tag%3D1&X-Evil=1>`,
    );
    // Blind transfer only (README, Limits): the embedded headers are dropped and the number dialled.
    expect(status).toBe(202);
    await until(() => endpoint.byes.length === 1, 5000, 'transfer completed');
    expect(target.invites[0]?.uri).toMatch(new RegExp(`^sip:\\${AGENT}@`));
    expect(target.invites[0]?.header('Replaces')).toBeUndefined();
    expect(target.invites[0]?.header('X-Evil')).toBeUndefined();
    expect(notifyCodes(endpoint)).toEqual([100, 180, 200]);
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => trunk.calls().length === 0, 5000);
  });

  it('a huge Refer-To value is refused, not crashed on', async () => {
    const { trunk, endpoint } = await startLab(cleanups);
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:+1${'4'.repeat(20_000)}@${DOMAIN}>`)).toBe(400);
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => trunk.calls().length === 0, 5000);
  });
});

/** Options for a signalling-only trunk writing records to a fresh file, routed to a raw customer phone. */
async function recordsOptions(keepRecords?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'trunk-records-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const file = join(dir, 'records.jsonl');
  const customer = await startRawPhone();
  cleanups.push(() => customer.close());
  const options = {
    media: 'none' as const,
    phones: false as const,
    recordsFile: file,
    ...(keepRecords !== undefined ? { keepRecords } : {}),
    routes: { [CUSTOMER]: customer.uri(CUSTOMER) },
  };
  return { file, options };
}

describe('records survive a restart', () => {
  it('records already written are loaded by the next trunk on the same file', async () => {
    const { options } = await recordsOptions();
    const first = await startMockTrunk(options);
    const ep = await startRawEndpoint(first);
    expect(await ep.call(CUSTOMER)).toBe(200);
    expect(await ep.hangUp()).toBe(200);
    await until(() => first.records().length === 1, 5000, 'record');
    await ep.close();
    await first.close();
    const second = await startMockTrunk(options);
    cleanups.push(() => second.close());
    expect(second.records()).toEqual(JSON.parse(JSON.stringify(first.records())));
  });
});

describe('records kept in memory', () => {
  it('keepRecords bounds what the trunk serves; the file keeps every record; a restart loads the newest', async () => {
    const { file, options } = await recordsOptions(2);
    const first = await startMockTrunk(options);
    cleanups.push(() => first.close());
    const calls: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ep = await startRawEndpoint(first);
      expect(await ep.call(CUSTOMER)).toBe(200);
      expect(await ep.hangUp()).toBe(200);
      await until(() => first.records().some((r) => !calls.includes(r.call)), 5000, 'record');
      calls.push(first.records().at(-1)?.call ?? '');
      await ep.close();
    }
    // The two newest, oldest first; all five in the file.
    expect(first.records().map((r) => r.call)).toEqual(calls.slice(3));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { call: string }).call)).toEqual(calls);
    await first.close();
    const second = await startMockTrunk(options);
    cleanups.push(() => second.close());
    expect(second.records().map((r) => r.call)).toEqual(calls.slice(3));
  });

  it('refuses a keepRecords that is not a whole number above zero', async () => {
    await expect(startMockTrunk({ media: 'none', phones: false, keepRecords: 0 })).rejects.toThrow(
      /keepRecords must be a whole number > 0, got 0/,
    );
  });
});

describe('concurrency', () => {
  it('50 concurrent transfers complete, each with two records, and nothing is left', async () => {
    const { trunk } = await startLab(cleanups);
    const endpoints = await Promise.all(Array.from({ length: 50 }, () => startRawEndpoint(trunk)));
    cleanups.push(async () => {
      await Promise.all(endpoints.map((e) => e.close()));
    });
    await Promise.all(
      endpoints.map(async (ep) => {
        expect(await ep.call(CUSTOMER)).toBe(200);
        expect(await ep.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
        await until(() => ep.byes.length === 1, 20_000, 'BYE');
        expect(notifyCodes(ep)).toEqual([100, 180, 200]);
      }),
    );
    expect(trunk.calls()).toHaveLength(50);
    await trunk.close();
    expect(trunk.calls()).toEqual([]);
    const records = trunk.records();
    expect(records.filter((r) => r.kind === 'original')).toHaveLength(50);
    expect(records.filter((r) => r.kind === 'transfer' && r.status === 200)).toHaveLength(50);
  });
});
