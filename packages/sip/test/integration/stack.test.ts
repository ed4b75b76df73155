import * as dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createSipStack, getHeader } from '../../src/stack/index.js';
import type { Dialog, IncomingRequest, SipStack, StackResponse, WireMessageEvent } from '../../src/index.js';

const stacks: SipStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

async function pair(transport: 'udp' | 'tcp', host = '127.0.0.1') {
  const uac = await createSipStack({ listen: [{ transport, host, port: 0 }], userAgent: 'referkit-test' });
  const uas = await createSipStack({ listen: [{ transport, host, port: 0 }] });
  stacks.push(uac, uas);
  const a = uas.addresses[0]!;
  const destination = { transport, host: a.host, port: a.port };
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { uac, uas, destination, uri: `sip:bob@${hostPart}:${a.port}` };
}

function next<T>(subscribe: (cb: (v: T) => void) => unknown): Promise<T> {
  return new Promise((resolve) => subscribe(resolve));
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

describe.each([
  ['udp', '127.0.0.1'],
  ['tcp', '127.0.0.1'],
  ['udp', '::1'],
  ['tcp', '::1'],
] as const)('stack over %s on %s', (transport, host) => {
  it('INVITE / 180 / 200 / ACK, REFER + NOTIFY in the dialog, BYE', async () => {
    const { uac, uas, destination, uri } = await pair(transport, host);
    const ladder: string[] = [];
    const record = (who: string) => (e: WireMessageEvent) =>
      ladder.push(`${who} ${e.direction} ${e.data.toString('latin1').split('\r\n', 1)[0]}`);
    uac.on('message', record('uac'));
    uas.on('message', record('uas'));

    let uasDialog: Dialog | undefined;
    const acked = new Promise<void>((resolve) => {
      uas.on('request', (req) => {
        expect(req.method).toBe('INVITE');
        req.respond(180);
        uasDialog = req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
        uasDialog?.on('ack', () => resolve());
      });
    });

    const call = uac.sendRequest(
      {
        method: 'INVITE',
        uri,
        headers: { From: '<sip:alice@127.0.0.1>', 'Content-Type': 'application/sdp' },
        body: SDP,
      },
      { destination },
    );
    const provisional: number[] = [];
    call.on('provisional', (r) => provisional.push(r.status));
    const final = await call.response;
    expect(final.status).toBe(200);
    expect(final.body.toString()).toBe(SDP);
    expect(provisional).toContain(180);
    await acked;
    const uacDialog = call.dialog!;
    expect(uacDialog.state).toBe('confirmed');
    expect(uasDialog!.state).toBe('confirmed');
    expect(uacDialog.id.callId).toBe(uasDialog!.id.callId);
    expect(uacDialog.id.localTag).toBe(uasDialog!.id.remoteTag);

    // REFER from the UAS side, NOTIFY back from the UAC side.
    const gotRefer = next<IncomingRequest>((cb) => uacDialog.on('request', cb));
    const refer = uasDialog!.request('REFER', { headers: { 'Refer-To': '<sip:carol@127.0.0.1>' } });
    const referReq = await gotRefer;
    expect(referReq.method).toBe('REFER');
    expect(referReq.header('refer-to')).toBe('<sip:carol@127.0.0.1>');
    referReq.respond(202);
    expect((await refer.response).status).toBe(202);

    const gotNotify = next<IncomingRequest>((cb) => uasDialog!.on('request', cb));
    const notify = uacDialog.request('NOTIFY', {
      headers: {
        Event: 'refer',
        'Subscription-State': 'terminated;reason=noresource',
        'Content-Type': 'message/sipfrag',
      },
      body: 'SIP/2.0 200 OK\r\n',
    });
    const n = await gotNotify;
    expect(n.body.toString()).toBe('SIP/2.0 200 OK\r\n');
    n.respond(200);
    expect((await notify.response).status).toBe(200);

    const ended = next<string>((cb) => uasDialog!.on('terminated', cb));
    const bye = uacDialog.request('BYE');
    expect((await bye.response).status).toBe(200);
    expect(await ended).toBe('bye-received');
    expect(uacDialog.state).toBe('terminated');
    expect(ladder.filter((l) => l.startsWith('uas in')).map((l) => l.split(' ')[2])).toEqual([
      'INVITE',
      'ACK',
      'SIP/2.0',
      'NOTIFY',
      'BYE',
    ]);
  });

  it('CANCEL after 180: 200 to CANCEL, 487 to INVITE, cancel event', async () => {
    const { uac, uas, destination, uri } = await pair(transport, host);
    const cancelled = new Promise<void>((resolve) => {
      uas.on('request', (req) => {
        req.respond(180);
        req.on('cancel', () => resolve());
      });
    });
    const call = uac.sendRequest({ method: 'INVITE', uri }, { destination });
    await next<StackResponse>((cb) => call.on('provisional', (r) => r.status === 180 && cb(r)));
    call.cancel();
    const final = await call.response;
    expect(final.status).toBe(487);
    await cancelled;
  });
});

describe('stack policies', () => {
  it('481 for an in-dialog request that matches no dialog; 405/501 policy out of dialog; 200 to OPTIONS', async () => {
    const { uac, destination, uri } = await pair('udp');
    const r481 = await uac.sendRequest(
      { method: 'BYE', uri, headers: { To: `<${uri}>;tag=nope` } },
      { destination },
    ).response;
    expect(r481.status).toBe(481);
    const r501 = await uac.sendRequest({ method: 'FROBNICATE', uri }, { destination }).response;
    expect(r501.status).toBe(501);
    const r405 = await uac.sendRequest({ method: 'MESSAGE', uri }, { destination }).response;
    expect(r405.status).toBe(405);
    const r200 = await uac.sendRequest({ method: 'OPTIONS', uri }, { destination }).response;
    expect(r200.status).toBe(200);
    expect(getHeader(r200, 'allow')).toContain('INVITE');
  });

  it('Max-Forwards 0 -> 483; missing Call-ID -> 400; garbage counted and dropped; valid traffic unaffected', async () => {
    const uas = await createSipStack({ listen: [{ transport: 'udp' }] });
    stacks.push(uas);
    const port = uas.addresses[0]!.port;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const replies: string[] = [];
    sock.on('message', (d) => replies.push(d.toString()));
    const me = sock.address().port;
    const req = (extra: string, omit?: string) =>
      [
        'OPTIONS sip:x@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
        'From: <sip:a@127.0.0.1>;tag=1',
        'To: <sip:x@127.0.0.1>',
        'Call-ID: c1',
        'CSeq: 1 OPTIONS',
        extra,
        'Content-Length: 0',
        '',
        '',
      ]
        .filter((l) => omit === undefined || !l.startsWith(omit))
        .join('\r\n');
    const send = (s: string | Buffer) => new Promise<void>((r) => sock.send(s, port, '127.0.0.1', () => r()));
    for (let i = 0; i < 200; i++) await send(Buffer.from(`garbage ${i} \u0000\u00ff`));
    await send(req('Max-Forwards: 0'));
    await send(req('Max-Forwards: 70', 'Call-ID'));
    await send(req('Max-Forwards: 70'));
    while (replies.length < 3) await new Promise((r) => setTimeout(r, 10));
    sock.close();
    const statuses = replies.map((r) => r.split('\r\n', 1)[0]);
    expect(statuses).toEqual([
      'SIP/2.0 483 Too Many Hops',
      'SIP/2.0 400 Missing call-id header',
      'SIP/2.0 200 OK',
    ]);
    expect(replies[2]).toMatch(new RegExp(`Via: .*received=127\\.0\\.0\\.1;rport=${me}`));
    expect(uas.stats.garbage).toBeGreaterThanOrEqual(201);
  });

  it('CANCEL after the 200: 200 to the CANCEL (the transaction still exists), no cancel event, no 487', async () => {
    const uas = await createSipStack({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }] });
    stacks.push(uas);
    const port = uas.addresses[0]!.port;
    let cancelEvents = 0;
    uas.on('request', (req) => {
      req.on('cancel', () => cancelEvents++);
      req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
    });
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const replies: string[] = [];
    sock.on('message', (d) => replies.push(d.toString()));
    const me = sock.address().port;
    const msg = (method: string) =>
      [
        `${method} sip:x@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bKcancelafter200`,
        'Max-Forwards: 70',
        'From: <sip:a@127.0.0.1>;tag=1',
        'To: <sip:x@127.0.0.1>',
        'Call-ID: cancel-after-200',
        `CSeq: 1 ${method}`,
        `Contact: <sip:a@127.0.0.1:${me}>`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const send = (s: string) => new Promise<void>((r) => sock.send(s, port, '127.0.0.1', () => r()));
    const statusOf = (r: string) => r.split('\r\n', 1)[0];
    await send(msg('INVITE'));
    while (!replies.some((r) => statusOf(r) === 'SIP/2.0 200 OK' && /CSeq: 1 INVITE/.test(r)))
      await new Promise((r) => setTimeout(r, 5));
    await send(msg('CANCEL'));
    while (!replies.some((r) => /CSeq: 1 CANCEL/.test(r))) await new Promise((r) => setTimeout(r, 5));
    sock.close();
    expect(statusOf(replies.find((r) => /CSeq: 1 CANCEL/.test(r))!)).toBe('SIP/2.0 200 OK');
    expect(replies.some((r) => statusOf(r) === 'SIP/2.0 487 Request Terminated')).toBe(false);
    expect(cancelEvents).toBe(0);
  });

  it('close() frees the ports so they can be bound again', async () => {
    const s = await createSipStack({ listen: [{ transport: 'udp' }, { transport: 'tcp' }] });
    const [u, t] = s.addresses;
    await s.close();
    const again = await createSipStack({
      listen: [
        { transport: 'udp', port: u!.port },
        { transport: 'tcp', port: t!.port },
      ],
    });
    expect(again.addresses.map((a) => a.port)).toEqual([u!.port, t!.port]);
    await again.close();
  });
});
