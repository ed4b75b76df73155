import { afterEach, describe, expect, it } from 'vitest';
import { createDigestAuthenticator, createSipStack } from '../../src/index.js';
import type { Dialog, SipStack } from '../../src/index.js';
import { dropFirst, startLossyRelay } from '../helpers/lossy-relay.js';
import type { RelayDirection } from '../helpers/lossy-relay.js';
import {
  freePort,
  scenario,
  sippAvailable,
  startSipp,
  waitForTcpListening,
  waitForUdpBound,
} from '../helpers/sipp.js';
import type { SippProcess } from '../helpers/sipp.js';

const available = sippAvailable();
if (!available && process.env.CI) {
  throw new Error('SIPp (/usr/bin/sipp) is missing: run `bash scripts/setup.sh` (installs sip-tester)');
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function engine(transport: 'udp' | 'tcp' = 'udp'): Promise<SipStack> {
  const stack = await createSipStack({
    listen: [{ transport, host: '127.0.0.1', port: 0 }],
    userAgent: 'referkit-e2e',
  });
  cleanup.push(() => stack.close());
  return stack;
}

function sipp(opts: Parameters<typeof startSipp>[0]): SippProcess {
  const p = startSipp(opts);
  cleanup.push(() => p.kill());
  return p;
}

/** The engine as a plain UAS: 180, 200 with SDP; re-INVITEs answered 200; BYE answered by the stack. */
function answerCalls(stack: SipStack, onDialog?: (d: Dialog) => void): void {
  stack.on('request', (req) => {
    if (req.method !== 'INVITE') {
      req.respond(405);
      return;
    }
    req.respond(180);
    const d = req.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
    if (d === undefined) return;
    d.on('request', (r) =>
      r.respond(
        200,
        'OK',
        r.method === 'INVITE' ? { headers: { 'Content-Type': 'application/sdp' }, body: SDP } : {},
      ),
    );
    onDialog?.(d);
  });
}

async function expectPass(p: SippProcess): Promise<void> {
  const r = await p.done;
  expect(r.code, `sipp exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`).toBe(0);
}

describe.skipIf(!available)('SIPp as UAC against the engine as UAS', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`INVITE / ACK / BYE over ${transport}`, async () => {
      const stack = await engine(transport);
      answerCalls(stack);
      const a = stack.addresses[0]!;
      await expectPass(
        sipp({
          scenarioFile: scenario('uac-invite-bye.xml'),
          port: await freePort(),
          remote: `${a.host}:${a.port}`,
          transport: transport === 'udp' ? 'u1' : 't1',
        }),
      );
    });
  }

  it('CANCEL of a ringing INVITE', async () => {
    const stack = await engine();
    let cancelled = false;
    stack.on('request', (req) => {
      req.respond(180);
      req.on('cancel', () => (cancelled = true));
    });
    const a = stack.addresses[0]!;
    await expectPass(
      sipp({
        scenarioFile: scenario('uac-cancel.xml'),
        port: await freePort(),
        remote: `${a.host}:${a.port}`,
      }),
    );
    expect(cancelled).toBe(true);
  });

  it('re-INVITE in the dialog refreshes and is answered', async () => {
    const stack = await engine();
    const methods: string[] = [];
    answerCalls(stack, (d) => d.on('request', (r) => methods.push(r.method)));
    const a = stack.addresses[0]!;
    await expectPass(
      sipp({
        scenarioFile: scenario('uac-reinvite.xml'),
        port: await freePort(),
        remote: `${a.host}:${a.port}`,
      }),
    );
    expect(methods).toEqual(['INVITE', 'BYE']);
  });

  it('REFER from the engine, NOTIFY from SIPp in the dialog', async () => {
    const stack = await engine();
    const notifies: string[] = [];
    answerCalls(stack, (d) => {
      d.on('ack', () => {
        void d
          .request('REFER', { headers: { 'Refer-To': '<sip:carol@127.0.0.1>' } })
          .response.then((r) => notifies.push(`REFER ${r.status}`));
      });
      d.on('request', (r) => {
        if (r.method === 'NOTIFY') notifies.push(r.body.toString().trim());
      });
    });
    const a = stack.addresses[0]!;
    await expectPass(
      sipp({
        scenarioFile: scenario('uac-refer-notify.xml'),
        port: await freePort(),
        remote: `${a.host}:${a.port}`,
      }),
    );
    expect(notifies).toEqual(['REFER 202', 'SIP/2.0 200 OK']);
  });
});

describe.skipIf(!available)('the engine as UAC against SIPp as UAS', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`INVITE / ACK / BYE over ${transport}`, async () => {
      const stack = await engine(transport);
      const port = await freePort();
      const p = sipp({
        scenarioFile: scenario('uas-invite-bye.xml'),
        port,
        transport: transport === 'udp' ? 'u1' : 't1',
      });
      if (transport === 'udp') await waitForUdpBound(port);
      else await waitForTcpListening(port);
      const call = stack.sendRequest(
        {
          method: 'INVITE',
          uri: `sip:sipp@127.0.0.1:${port}`,
          headers: { 'Content-Type': 'application/sdp' },
          body: SDP,
        },
        { destination: { transport, host: '127.0.0.1', port } },
      );
      expect((await call.response).status).toBe(200);
      expect((await call.dialog!.request('BYE').response).status).toBe(200);
      await expectPass(p);
    });
  }

  it('re-INVITE in the dialog', async () => {
    const stack = await engine();
    const port = await freePort();
    const p = sipp({ scenarioFile: scenario('uas-reinvite.xml'), port });
    await waitForUdpBound(port);
    const call = stack.sendRequest(
      { method: 'INVITE', uri: `sip:sipp@127.0.0.1:${port}` },
      { destination: { transport: 'udp', host: '127.0.0.1', port } },
    );
    expect((await call.response).status).toBe(200);
    const dialog = call.dialog!;
    const reinvite = dialog.request('INVITE', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
    expect((await reinvite.response).status).toBe(200);
    expect(reinvite.dialog).toBe(dialog);
    expect(dialog.localSeq).toBe(2);
    expect((await dialog.request('BYE').response).status).toBe(200);
    await expectPass(p);
  });

  it('CANCEL after 180', async () => {
    const stack = await engine();
    const port = await freePort();
    const p = sipp({ scenarioFile: scenario('uas-cancel.xml'), port });
    await waitForUdpBound(port);
    const call = stack.sendRequest(
      { method: 'INVITE', uri: `sip:sipp@127.0.0.1:${port}`, headers: { CSeq: '1 INVITE' } },
      { destination: { transport: 'udp', host: '127.0.0.1', port } },
    );
    call.on('provisional', (r) => {
      if (r.status === 180) call.cancel();
    });
    expect((await call.response).status).toBe(487);
    await expectPass(p);
  });

  it('REFER from SIPp: the engine answers 202 and NOTIFYs', async () => {
    const stack = await engine();
    const port = await freePort();
    const p = sipp({ scenarioFile: scenario('uas-refer-notify.xml'), port });
    await waitForUdpBound(port);
    const call = stack.sendRequest(
      { method: 'INVITE', uri: `sip:sipp@127.0.0.1:${port}` },
      { destination: { transport: 'udp', host: '127.0.0.1', port } },
    );
    expect((await call.response).status).toBe(200);
    const dialog = call.dialog!;
    const notified = new Promise<number>((resolve) => {
      dialog.on('request', (r) => {
        if (r.method !== 'REFER') return r.respond(501);
        r.respond(202);
        void dialog
          .request('NOTIFY', {
            headers: {
              Event: 'refer',
              'Subscription-State': 'terminated;reason=noresource',
              'Content-Type': 'message/sipfrag',
            },
            body: 'SIP/2.0 200 OK\r\n',
          })
          .response.then((res) => resolve(res.status));
      });
    });
    expect(await notified).toBe(200);
    expect((await dialog.request('BYE').response).status).toBe(200);
    await expectPass(p);
  });
});

describe.skipIf(!available)('digest authentication against SIPp', () => {
  const cases = [
    ['udp', false],
    ['udp', true],
    ['tcp', false],
    ['tcp', true],
  ] as const;
  for (const [transport, proxy] of cases) {
    it(`SIPp's [authentication] answers the engine's ${proxy ? 407 : 401} over ${transport}`, async () => {
      const stack = await engine(transport);
      // SIPp 3.6 computes MD5 only: offer MD5 alone (the default offers SHA-256 first).
      const auth = createDigestAuthenticator({
        realm: 'referkit.test',
        users: { alice: 'wonderland' },
        algorithms: ['MD5'],
        proxy,
      });
      const outcomes: string[] = [];
      stack.on('request', (req) => {
        const v = auth.authenticate(req);
        outcomes.push(v.ok ? `ok ${v.username}` : v.error.code);
        if (v.ok) req.respond(200);
      });
      const a = stack.addresses[0]!;
      await expectPass(
        sipp({
          scenarioFile: scenario('uac-auth.xml'),
          port: await freePort(),
          remote: `${a.host}:${a.port}`,
          transport: transport === 'udp' ? 'u1' : 't1',
          // SIPp's digest uri defaults to sip:remote_ip:port; make it the Request-URI (SIPp adds "sip:").
          extra: ['-auth_uri', `service@${a.host}:${a.port}`],
        }),
      );
      expect(outcomes).toEqual(['MISSING_CREDENTIALS', 'ok alice']);
    });
  }

  for (const [password, expected] of [
    ['wonderland', 200],
    ['wrong', 403],
  ] as const) {
    it(`the engine answers SIPp's 401; SIPp's verifyauth ${expected === 200 ? 'accepts' : 'refuses'} the ${password} password`, async () => {
      const stack = await engine();
      const port = await freePort();
      const p = sipp({ scenarioFile: scenario('uas-auth.xml'), port });
      await waitForUdpBound(port);
      const call = stack.sendRequest(
        { method: 'INVITE', uri: `sip:sipp@127.0.0.1:${port}` },
        {
          destination: { transport: 'udp', host: '127.0.0.1', port },
          credentials: { username: 'alice', password },
        },
      );
      const challenged: number[] = [];
      call.on('challenge', (r) => challenged.push(r.status));
      expect((await call.response).status).toBe(expected);
      expect(challenged).toEqual([401]);
      expect(call.request.headers.get('cseq')).toBe('2 INVITE');
      if (expected === 200) expect((await call.dialog!.request('BYE').response).status).toBe(200);
      await expectPass(p);
    });
  }
});

describe.skipIf(!available)('retransmission under injected UDP loss (lossy relay)', () => {
  const cases: [string, string, RegExp, RelayDirection][] = [
    ['the first INVITE', 'uac-invite-bye.xml', /^INVITE /, 'to-target'],
    ['the first 200 to INVITE', 'uac-invite-bye.xml', /^SIP\/2\.0 200[^]*CSeq: 1 INVITE/i, 'to-client'],
    ['the first NOTIFY', 'uac-refer-notify.xml', /^NOTIFY /, 'to-target'],
  ];
  for (const [what, file, re, dir] of cases) {
    it(`the call completes when ${what} is lost`, async () => {
      const stack = await engine();
      answerCalls(stack, (d) => {
        if (file === 'uac-refer-notify.xml')
          d.on('ack', () => void d.request('REFER', { headers: { 'Refer-To': '<sip:carol@127.0.0.1>' } }));
      });
      const a = stack.addresses[0]!;
      const relay = await startLossyRelay({ host: a.host, port: a.port }, dropFirst(re, dir));
      cleanup.push(() => relay.close());
      await expectPass(
        sipp({ scenarioFile: scenario(file), port: await freePort(), remote: `127.0.0.1:${relay.port}` }),
      );
      expect(relay.dropped).toHaveLength(1);
    });
  }
});
