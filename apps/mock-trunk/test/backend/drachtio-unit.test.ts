// The drachtio backend's logic, on a fake of the drachtio-srf surface it calls (./fake-srf.ts,
// behaviour taken from drachtio-srf 5.0.x's lib/). No drachtio-server is needed.
import { afterEach, describe, expect, it } from 'vitest';
import { createDrachtioBackend, parseHostport } from '../../src/backend/drachtio-backend.js';
import type { BackendRequest, BackendWireMessage, SignallingBackend } from '../../src/index.js';
import { FakeSrf } from './fake-srf.js';

const backends: SignallingBackend[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  FakeSrf.connectError = undefined;
  FakeSrf.authError = undefined;
});

async function start(): Promise<{ backend: SignallingBackend; srf: FakeSrf; wire: BackendWireMessage[] }> {
  const backend = await createDrachtioBackend({
    host: '127.0.0.1',
    port: 9022,
    secret: 'cymru',
    importSrf: () => Promise.resolve({ default: FakeSrf }),
  });
  backends.push(backend);
  const srf = FakeSrf.last;
  if (!srf) throw new Error('no srf');
  const wire: BackendWireMessage[] = [];
  backend.onMessage((m) => wire.push(m));
  return { backend, srf, wire };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function inviteHeaders(callId = 'ep-call-1'): Record<string, string> {
  return {
    Via: 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKep',
    From: '<sip:+14155550199@lab.zt.plivo.com>;tag=ep-tag',
    To: '<sip:+14155550100@lab.zt.plivo.com>',
    'Call-ID': callId,
    CSeq: '1 INVITE',
    Contact: '<sip:agent@127.0.0.1:5070>',
    'Content-Type': 'application/sdp',
  };
}

describe('createDrachtioBackend: connection', () => {
  it('connects with the secret, listens where drachtio-server does, routes the methods it serves', async () => {
    const { backend, srf } = await start();
    expect(srf.connectOpts).toEqual({
      host: '127.0.0.1',
      port: 9022,
      secret: 'cymru',
      reconnect: { maxAttempts: 1 },
    });
    expect(backend.addresses).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '127.0.0.1', port: 5060 },
    ]);
    expect([...srf.handlers.keys()]).toEqual(expect.arrayContaining(['invite', 'options', 'refer', 'bye']));
  });

  it('parses hostport lists (IPv6, arrays, TLS left out)', () => {
    expect(parseHostport(['udp/[::1]:5062', 'wss/1.2.3.4:443', 'tcp/10.0.0.1:5060'])).toEqual([
      { transport: 'udp', host: '::1', port: 5062 },
      { transport: 'tcp', host: '10.0.0.1', port: 5060 },
    ]);
  });

  it('a refused connection or a wrong secret rejects with the fix', async () => {
    FakeSrf.connectError = new Error('connect ECONNREFUSED 127.0.0.1:9022');
    await expect(
      createDrachtioBackend({
        host: '127.0.0.1',
        port: 9022,
        secret: 'x',
        importSrf: () => Promise.resolve({ default: FakeSrf }),
      }),
    ).rejects.toThrow(/cannot connect to drachtio-server at 127\.0\.0\.1:9022.*ECONNREFUSED/);
    FakeSrf.connectError = undefined;
    FakeSrf.authError = new Error('failed to authenticate to server');
    await expect(
      createDrachtioBackend({
        host: '127.0.0.1',
        port: 9022,
        secret: 'x',
        importSrf: () => Promise.resolve({ default: FakeSrf }),
      }),
    ).rejects.toThrow(/refused the connection.*check the secret/);
  });

  it('a missing drachtio-srf names the fix', async () => {
    const missing = Object.assign(new Error("Cannot find package 'drachtio-srf'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(
      createDrachtioBackend({ host: 'h', port: 1, secret: 's', importSrf: () => Promise.reject(missing) }),
    ).rejects.toThrow(/needs drachtio-srf.*npm install drachtio-srf@\^5\.0\.29/);
  });
});

describe('createDrachtioBackend: requests the trunk receives', () => {
  it('relays 180 then 200; the dialog sends NOTIFY with Event, Subscription-State, Content-Type and a Contact', async () => {
    const { backend, srf, wire } = await start();
    const got: BackendRequest[] = [];
    backend.onRequest((r) => got.push(r));
    const { res } = srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders(), 'v=0\r\n');
    const req = got[0];
    if (!req) throw new Error('no request');
    expect(req).toMatchObject({ method: 'INVITE', callId: 'ep-call-1', cseq: 1, transport: 'udp' });
    expect(req.remote).toEqual({ host: '127.0.0.1', port: 5070 });
    expect(req.header('Contact')).toBe('<sip:agent@127.0.0.1:5070>');
    expect(req.respond(180, 'Ringing')).toBeUndefined();
    const dialog = req.respond(200, 'OK', {
      headers: { 'Content-Type': 'application/sdp' },
      body: 'v=0\r\n',
    });
    expect(dialog).toBeDefined();
    expect(res.sent.map((s) => s.status)).toEqual([180, 200]);
    expect(res.sent[1]?.opts).toEqual({ headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\n' });
    // Responses after the final one are ignored.
    req.respond(486, 'Busy Here');
    expect(res.sent).toHaveLength(2);
    await tick();
    await tick();
    expect(srf.dialogs.size).toBe(1);
    expect(backend.activeDialogs()).toBe(1);
    expect(dialog?.localTag).toBe('srv-tag');
    expect(dialog?.remoteTag).toBe('ep-tag');
    expect(dialog?.remoteTarget).toBe('sip:agent@127.0.0.1:5070');

    const fake = [...srf.dialogs.values()][0];
    if (!fake) throw new Error('no dialog');
    const pending = dialog?.request('NOTIFY', {
      headers: {
        Event: 'refer;id=2',
        'Subscription-State': 'active;expires=60',
        'Content-Type': 'message/sipfrag;version=2.0',
      },
      body: 'SIP/2.0 100 Trying\r\n',
    });
    await tick();
    const call = fake.requests[0];
    expect(call?.opts).toEqual({
      method: 'NOTIFY',
      headers: {
        Event: 'refer;id=2',
        'Subscription-State': 'active;expires=60',
        'Content-Type': 'message/sipfrag;version=2.0',
        Contact: '<sip:127.0.0.1:5060>',
      },
      body: 'SIP/2.0 100 Trying\r\n',
    });
    // drachtio-srf calls back for provisional responses too: only the final one settles.
    call?.respond(100, 'Trying');
    call?.respond(200, 'OK');
    await expect(pending).resolves.toMatchObject({ status: 200, reason: 'OK' });
    const summary = wire.map((m) => `${m.direction} ${m.data.toString('utf8').split('\r\n')[0] ?? ''}`);
    expect(summary).toEqual([
      'in INVITE sip:+14155550100@lab.zt.plivo.com SIP/2.0',
      'out SIP/2.0 180 Ringing',
      'out SIP/2.0 200 OK',
      'out NOTIFY sip:agent@127.0.0.1:5070 SIP/2.0',
      'in SIP/2.0 100 Trying',
      'in SIP/2.0 200 OK',
    ]);
  });

  it('a CANCEL gets 487 from the backend and reaches onCancel', async () => {
    const { backend, srf } = await start();
    const cancelled: string[] = [];
    backend.onRequest((r) => r.onCancel(() => cancelled.push(r.callId)));
    const { req, res } = srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders('c2'));
    req.emit('cancel');
    expect(res.sent.map((s) => s.status)).toEqual([487]);
    expect(cancelled).toEqual(['c2']);
  });

  it('in-dialog requests reach onRequest (the listener answers); the peer BYE ends the dialog', async () => {
    const { backend, srf } = await start();
    const reasons: string[] = [];
    const inDialog: string[] = [];
    backend.onRequest((r) => {
      const d = r.respond(200, 'OK');
      d?.onRequest((q) => {
        inDialog.push(`${q.method} ${q.header('Refer-To') ?? ''}`);
        q.respond(202, 'Accepted');
      });
      d?.onTerminated((why) => reasons.push(why));
    });
    srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders('c3'));
    await tick();
    await tick();
    const fake = [...srf.dialogs.values()][0];
    if (!fake) throw new Error('no dialog');
    const { FakeRequest, FakeResponse } = await import('./fake-srf.js');
    const refer = new FakeRequest('REFER', 'sip:127.0.0.1:5060', {
      'Call-ID': 'c3',
      CSeq: '2 REFER',
      'Refer-To': '<sip:+14155550101@lab.zt.plivo.com>',
    });
    const referRes = new FakeResponse(refer);
    fake.emit('refer', refer, referRes);
    expect(inDialog).toEqual(['REFER <sip:+14155550101@lab.zt.plivo.com>']);
    expect(referRes.sent.map((s) => s.status)).toEqual([202]);
    // drachtio-srf answers the BYE 200 itself and emits 'destroy' (lib/dialog.js handle): the
    // trunk still gets the BYE as a request (its answer goes nowhere), then the end.
    fake.emit('destroy', new FakeRequest('BYE', 'sip:127.0.0.1:5060', { 'Call-ID': 'c3', CSeq: '3 BYE' }));
    expect(inDialog).toEqual(['REFER <sip:+14155550101@lab.zt.plivo.com>', 'BYE ']);
    expect(reasons).toEqual(['bye-received']);
    expect(backend.activeDialogs()).toBe(0);
    expect(srf.dialogs.size).toBe(0);
    expect(fake.listenerCount('refer')).toBe(0);
  });
});

describe('createDrachtioBackend: dialog ends', () => {
  it('an unsolicited BYE from drachtio-server (ACK timeout) ends the dialog as ack-timeout', async () => {
    const { backend, srf } = await start();
    const reasons: string[] = [];
    const seen: string[] = [];
    backend.onRequest((r) => {
      const d = r.respond(200, 'OK');
      d?.onRequest((q) => seen.push(q.method));
      d?.onTerminated((why) => reasons.push(why));
    });
    srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders('c4'));
    await tick();
    await tick();
    const fake = [...srf.dialogs.values()][0];
    const { FakeRequest } = await import('./fake-srf.js');
    const bye = new FakeRequest('BYE', 'sip:agent@127.0.0.1:5070', { 'Call-ID': 'c4', CSeq: '2 BYE' });
    bye.source = 'application';
    fake?.emit('destroy', bye);
    expect(reasons).toEqual(['ack-timeout']);
    expect(seen).toEqual([]);
  });

  it('our BYE ends the dialog when sent; later requests get a local 481', async () => {
    const { backend, srf } = await start();
    const reasons: string[] = [];
    let dialog: ReturnType<BackendRequest['respond']>;
    backend.onRequest((r) => {
      dialog = r.respond(200, 'OK');
      dialog?.onTerminated((why) => reasons.push(why));
    });
    srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders('c5'));
    await tick();
    await tick();
    const fake = [...srf.dialogs.values()][0];
    const bye = dialog?.request('BYE');
    await tick();
    expect(fake?.requests.map((r) => r.opts)).toEqual([{ method: 'BYE', headers: {}, body: undefined }]);
    expect(reasons).toEqual(['bye-sent']);
    expect(backend.activeDialogs()).toBe(0);
    fake?.requests[0]?.respond(200);
    await expect(bye).resolves.toMatchObject({ status: 200 });
    await expect(dialog?.request('NOTIFY')).resolves.toMatchObject({ status: 481, local: 'terminated' });
  });

  it('a request drachtio-server cannot send resolves with a local 503', async () => {
    const { backend, srf } = await start();
    let dialog: ReturnType<BackendRequest['respond']>;
    backend.onRequest((r) => {
      dialog = r.respond(200, 'OK');
    });
    srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders('c6'));
    await tick();
    await tick();
    const fake = [...srf.dialogs.values()][0];
    const info = dialog?.request('INFO');
    await tick();
    fake?.requests[0]?.fail(Object.assign(new Error('unable to find dialog'), { code: 'ENODIALOG' }));
    await expect(info).resolves.toMatchObject({ status: 503, local: 'transport' });
    // The INFO got no Contact (only target-refresh requests and NOTIFY need one).
    expect(fake?.requests[0]?.opts.headers).toEqual({});
    const bye = dialog?.request('BYE');
    await tick();
    fake?.requests[1]?.respond(200);
    await bye;
  });
});

describe('createDrachtioBackend: INVITEs the trunk places', () => {
  it('createUAC with From / To / Call-ID / SDP; provisional relayed; 2xx gives the dialog', async () => {
    const { backend, srf } = await start();
    const invite = backend.invite({
      uri: 'sip:+14155550100@127.0.0.1:5080',
      from: '<sip:+14155550199@lab.zt.plivo.com>',
      to: '<sip:+14155550100@lab.zt.plivo.com>',
      destination: { transport: 'udp', host: '127.0.0.1', port: 5080 },
      headers: { 'Call-ID': 'trunk-leg-1@referkit-trunk' },
      body: 'v=0\r\n',
    });
    const uac = srf.uacs[0];
    if (!uac) throw new Error('no createUAC');
    expect(uac.uri).toBe('sip:+14155550100@127.0.0.1:5080');
    expect(uac.opts).toEqual({
      headers: {
        'Call-ID': 'trunk-leg-1@referkit-trunk',
        From: '<sip:+14155550199@lab.zt.plivo.com>',
        To: '<sip:+14155550100@lab.zt.plivo.com>',
        'Content-Type': 'application/sdp',
      },
      localSdp: 'v=0\r\n',
    });
    expect(invite.callId).toBe('trunk-leg-1@referkit-trunk');
    const statuses: number[] = [];
    invite.onProvisional((r) => statuses.push(r.status));
    uac.sent();
    uac.provisional(180);
    expect(statuses).toEqual([180]);
    uac.final(200);
    await expect(invite.response).resolves.toMatchObject({ status: 200 });
    expect(invite.dialog?.remoteTag).toBe('callee');
    expect(invite.dialog?.remoteTarget).toBe('sip:callee@127.0.0.1:5080');
    expect(backend.activeDialogs()).toBe(1);
  });

  it('a failure response relays its status; a destination other than the URI host goes as proxy', async () => {
    const { backend, srf } = await start();
    const invite = backend.invite({
      uri: 'sip:+14155550101@lab.zt.plivo.com',
      from: '<sip:+14155550199@lab.zt.plivo.com>',
      destination: { transport: 'tcp', host: '127.0.0.1', port: 5090 },
    });
    const uac = srf.uacs[0];
    expect(uac?.opts.proxy).toBe('sip:127.0.0.1:5090;transport=tcp');
    uac?.final(486, 'Busy Here');
    await expect(invite.response).resolves.toMatchObject({ status: 486, reason: 'Busy Here' });
    expect(invite.dialog).toBeUndefined();
  });

  it('cancel() waits for a provisional response, then CANCELs; a racing 2xx is BYEd', async () => {
    const { backend, srf } = await start();
    const invite = backend.invite({
      uri: 'sip:+14155550101@127.0.0.1:5080',
      from: '<sip:+14155550199@lab.zt.plivo.com>',
      destination: { transport: 'udp', host: '127.0.0.1', port: 5080 },
    });
    const uac = srf.uacs[0];
    if (!uac) throw new Error('no createUAC');
    const sent = uac.sent();
    invite.cancel();
    expect(sent.cancels).toHaveLength(0);
    uac.provisional(180);
    expect(sent.cancels).toHaveLength(1);
    const dialog = uac.final(200);
    await invite.response;
    await tick();
    expect(dialog?.requests.map((r) => r.opts.method)).toEqual(['BYE']);
    dialog?.requests[0]?.respond(200);
    await tick();
    expect(backend.activeDialogs()).toBe(0);
    expect(invite.dialog).toBeUndefined();
  });
});

describe('createDrachtioBackend: close()', () => {
  it('disconnects, answers what is pending, settles in-flight requests, leaves no listener', async () => {
    const { backend, srf } = await start();
    let dialog: ReturnType<BackendRequest['respond']>;
    backend.onRequest((r) => {
      if (r.callId === 'live') dialog = r.respond(200, 'OK');
    });
    srf.receive('INVITE', 'sip:+14155550100@lab.zt.plivo.com', inviteHeaders('live'));
    const { res: pendingRes } = srf.receive(
      'INVITE',
      'sip:+14155550100@lab.zt.plivo.com',
      inviteHeaders('pending'),
    );
    await tick();
    await tick();
    const inFlight = dialog?.request('BYE');
    const invite = backend.invite({
      uri: 'sip:+14155550101@127.0.0.1:5080',
      from: '<sip:+14155550199@lab.zt.plivo.com>',
      destination: { transport: 'udp', host: '127.0.0.1', port: 5080 },
    });
    await backend.close();
    await backend.close();
    backends.splice(0);
    expect(srf.disconnected).toBe(1);
    expect(pendingRes.sent.map((s) => s.status)).toEqual([503]);
    await expect(inFlight).resolves.toMatchObject({ local: 'terminated' });
    await expect(invite.response).resolves.toMatchObject({ local: 'terminated' });
    expect(backend.activeDialogs()).toBe(0);
    for (const event of ['connect', 'error', 'close']) expect(srf.listenerCount(event)).toBe(0);
    expect(srf.dialogs.size).toBe(0);
  });
});
