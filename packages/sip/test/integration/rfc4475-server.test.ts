import { readFileSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createDigestAuthenticator, createSipStack } from '../../src/index.js';
import type { SipLogger, SipStack, SipStackOptions } from '../../src/index.js';
import { rawPeer, rawRequest } from '../helpers/raw-peer.js';

const dir = fileURLToPath(new URL('../../fixtures/rfc4475/', import.meta.url));
const fixture = (path: string): Buffer => readFileSync(`${dir}${path}`);
const invalid = readdirSync(`${dir}invalid`).filter((f) => f.endsWith('.sip'));

/** What a UAS answers to each message (undefined: dropped, no answer). */
const EXPECTED: Record<string, number | undefined> = {
  // RFC 4475 section 3.1.2: 400 (505 for SIP/7.0); the two responses are dropped.
  'invalid/3.1.2.1-badinv01.sip': 400,
  'invalid/3.1.2.2-clerr.sip': 400,
  'invalid/3.1.2.3-ncl.sip': 400,
  'invalid/3.1.2.4-scalar02.sip': 400,
  'invalid/3.1.2.5-scalarlg.sip': undefined,
  'invalid/3.1.2.6-quotbal.sip': 400,
  'invalid/3.1.2.7-ltgtruri.sip': 400,
  'invalid/3.1.2.8-lwsruri.sip': 400,
  'invalid/3.1.2.9-lwsstart.sip': 400,
  'invalid/3.1.2.10-trws.sip': 400,
  'invalid/3.1.2.11-escruri.sip': 400,
  'invalid/3.1.2.12-baddate.sip': 400,
  'invalid/3.1.2.13-regbadct.sip': 400,
  'invalid/3.1.2.14-badaspec.sip': 400,
  'invalid/3.1.2.15-baddn.sip': 400,
  'invalid/3.1.2.16-badvers.sip': 505,
  'invalid/3.1.2.17-mismatch01.sip': 400,
  'invalid/3.1.2.18-mismatch02.sip': 400,
  'invalid/3.1.2.19-bigcode.sip': undefined,
  // Sections 3.2 / 3.3, for a UAS with no request listener (OPTIONS 200, other known methods 405).
  'semantics/3.2.1-badbranch.sip': 200, // a bare magic cookie: matched the RFC 2543 way
  'semantics/3.3.1-insuf.sip': 400, // no To, From, Call-ID, Max-Forwards
  'semantics/3.3.2-unkscm.sip': 416,
  'semantics/3.3.3-novelsc.sip': 416,
  'semantics/3.3.4-unksm2.sip': 405, // odd schemes in To / From / Contact are fine
  'semantics/3.3.5-bext01.sip': 420,
  'semantics/3.3.7-regaut01.sip': 405, // unknown Authorization scheme: processed as usual
  'semantics/3.3.8-multi01.sip': 400,
  'semantics/3.3.9-mcl01.sip': 400,
  'semantics/3.3.10-bcast.sip': undefined, // a response: dropped
  'semantics/3.3.11-zeromf.sip': 483,
  // 3.3.6, 3.3.12-3.3.15 carry nothing a transaction layer refuses: with no listener, 405 (with
  // `bodyTypes` set, invut gets 415 and sdp01 406: see below).
  'semantics/3.3.6-invut.sip': 405,
  'semantics/3.3.12-cparam01.sip': 405,
  'semantics/3.3.13-cparam02.sip': 405,
  'semantics/3.3.14-regescrt.sip': 405,
  'semantics/3.3.15-sdp01.sip': 405,
};

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

function callIdOf(data: Buffer | string): string {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  return /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im.exec(text)?.[1] ?? '';
}

function statusOf(text: string): number {
  return Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
}

async function stackOn(transport: 'udp' | 'tcp', extra: Partial<SipStackOptions> = {}): Promise<SipStack> {
  const stack = await createSipStack({ listen: [{ transport, host: '127.0.0.1', port: 0 }], ...extra });
  open.push(stack);
  return stack;
}

/** Responses the stack sent (whatever address the Via made them go to), by Call-ID. */
function sentResponses(stack: SipStack): Map<string, string[]> {
  const out = new Map<string, string[]>();
  stack.on('message', (e) => {
    if (e.direction !== 'out') return;
    const text = e.data.toString('latin1');
    if (!text.startsWith('SIP/2.0 ')) return;
    const id = callIdOf(text);
    out.set(id, [...(out.get(id) ?? []), text]);
  });
  return out;
}

/** Sends bytes on a new TCP connection; resolves with what came back once `done` says so or the peer closed. */
function tcpExchange(
  port: number,
  data: Buffer,
  done: (received: string) => boolean,
): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    open.push({ close: () => void socket.destroy() });
    let received = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on TCP; got ${JSON.stringify(received.slice(0, 200))}`));
    }, 10_000);
    const finish = (): void => {
      clearTimeout(timer);
      resolve({ received, closed });
    };
    socket.on('connect', () => socket.write(data));
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (done(received)) finish();
    });
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const complete = (text: string): boolean => /\r\n\r\n/.test(text);

describe('a UAS receiving the RFC 4475 messages over UDP', () => {
  it('answers each as the RFC says, drops the responses, and keeps serving', async () => {
    const stack = await stackOn('udp');
    const sent = sentResponses(stack);
    const peer = await rawPeer();
    open.push(peer);
    const port = stack.addresses[0]!.port;
    for (const name of Object.keys(EXPECTED)) {
      let bytes = fixture(name);
      // novelsc reuses unkscm's branch and sent-by: to a transaction layer it is a retransmission
      // of unkscm (RFC 3261 17.2.3). Give it its own branch so that both get an answer.
      if (name.includes('novelsc'))
        bytes = Buffer.from(bytes.toString('latin1').replace('kdjuw39234', 'kdjuw39234-novelsc'), 'latin1');
      // cparam02 likewise shares cparam01's branch, sent-by and method.
      if (name.includes('cparam02'))
        bytes = Buffer.from(bytes.toString('latin1').replace('bKkdjuw', 'bKkdjuw-cparam02'), 'latin1');
      await peer.send(bytes, port);
    }
    // Datagrams are handled in order: once this OPTIONS is answered, every fixture has been.
    await peer.send(rawRequest('OPTIONS', peer.port, { callId: 'after-the-torture' }), port);
    await peer.waitFor((all) => all.some((m) => callIdOf(m) === 'after-the-torture'));
    expect(statusOf(peer.received.find((m) => callIdOf(m) === 'after-the-torture')!)).toBe(200);
    const got: Record<string, number | undefined> = {};
    for (const name of Object.keys(EXPECTED)) {
      const responses = sent.get(callIdOf(fixture(name))) ?? [];
      expect(responses.length, name).toBeLessThanOrEqual(1);
      got[name] = responses[0] === undefined ? undefined : statusOf(responses[0]);
    }
    expect(got).toEqual(EXPECTED);
    const bext = sent.get('bext01.0ha0isndaksdj')![0]!;
    expect(bext).toMatch(/^Unsupported: nothingSupportsThis, nothingSupportsThisEither\r$/m);
    expect(stack.stats.garbage).toBeGreaterThanOrEqual(invalid.length);
  });

  it('two requests with a bare-cookie branch are two transactions (RFC 4475 3.2.1)', async () => {
    const stack = await stackOn('udp');
    const peer = await rawPeer();
    open.push(peer);
    const port = stack.addresses[0]!.port;
    const base = fixture('semantics/3.2.1-badbranch.sip')
      .toString('latin1')
      .replace('host.example.com', `127.0.0.1:${peer.port};rport`);
    await peer.send(base, port);
    await peer.send(
      base.replace(/badbranch\.\S+/, 'badbranch.second').replace('8 OPTIONS', '9 OPTIONS'),
      port,
    );
    await peer.waitFor((all) => all.length >= 2);
    expect(peer.received.map((m) => [statusOf(m), callIdOf(m)])).toEqual([
      [200, 'badbranch.sadonfo23i420jv0as0derf3j3n'],
      [200, 'badbranch.second'],
    ]);
  });

  it('an unknown Authorization scheme gets a fresh challenge, not an error (RFC 4475 3.3.7)', async () => {
    const stack = await stackOn('udp');
    const sent = sentResponses(stack);
    const auth = createDigestAuthenticator({ realm: 'example.com', users: { 'j.user': 'x' } });
    const codes: string[] = [];
    stack.on('request', (req) => {
      const v = auth.authenticate(req);
      codes.push(v.ok ? 'ok' : v.error.code);
    });
    const peer = await rawPeer();
    open.push(peer);
    await peer.send(fixture('semantics/3.3.7-regaut01.sip'), stack.addresses[0]!.port);
    for (let i = 0; i < 200 && !sent.has('regaut01.0ha0isndaksdj'); i++)
      await new Promise((r) => setTimeout(r, 10));
    const res = sent.get('regaut01.0ha0isndaksdj')![0]!;
    expect(statusOf(res)).toBe(401);
    expect(res).toMatch(/^WWW-Authenticate: Digest realm="example.com"/m);
    expect(codes).toEqual(['MISSING_CREDENTIALS']);
  });

  it('an oversized datagram gets 513 and a logged reason; the next request is served', async () => {
    const warnings: string[] = [];
    const logger: SipLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_o: object, msg: string) => void warnings.push(msg),
      error: () => undefined,
    };
    const stack = await stackOn('udp', { maxMessageSize: 1500, logger });
    const peer = await rawPeer();
    open.push(peer);
    const port = stack.addresses[0]!.port;
    const big = rawRequest('OPTIONS', peer.port, {
      callId: 'too-big',
      extra: [`X-Padding: ${'a'.repeat(3000)}`],
    });
    await peer.send(big, port);
    await peer.send(rawRequest('OPTIONS', peer.port, { callId: 'small' }), port);
    await peer.waitFor((all) => all.length >= 2);
    expect(peer.received.map((m) => [statusOf(m), callIdOf(m)])).toEqual([
      [513, 'too-big'],
      [200, 'small'],
    ]);
    expect(warnings.some((w) => /larger than maxMessageSize/.test(w))).toBe(true);
    expect(stack.stats.dropped).toBe(1);
  });
});

describe('mutated torture messages against a live stack (fast-check)', () => {
  it('300 mutated messages over UDP: no internal error, and the stack still answers', async () => {
    const errors: unknown[] = [];
    const logger: SipLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (o: object) => void errors.push(o),
    };
    const stack = await stackOn('udp', { logger });
    stack.on('request', (req) => {
      req.respond(req.method === 'INVITE' ? 486 : 200);
    });
    const peer = await rawPeer();
    open.push(peer);
    const port = stack.addresses[0]!.port;
    const names = Object.keys(EXPECTED);
    const samples = fc.sample(
      fc.tuple(
        fc.constantFrom(...names),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      ),
      { numRuns: 300, seed: 4475 },
    );
    for (const [name, edits] of samples) {
      const bytes = Buffer.from(fixture(name));
      for (const [pos, byte] of edits) bytes[pos % bytes.length] = byte;
      await peer.send(bytes, port);
    }
    await peer.send(rawRequest('OPTIONS', peer.port, { callId: 'still-alive' }), port);
    await peer.waitFor((all) => all.some((m) => callIdOf(m) === 'still-alive'));
    expect(errors).toEqual([]);
  });
});

describe('a UAS that declares its body types (bodyTypes: application/sdp)', () => {
  it('answers invut 415 and sdp01 406, each with Accept, and hands an SDP INVITE to the application', async () => {
    const stack = await stackOn('udp', { bodyTypes: ['application/sdp'] });
    const seen: string[] = [];
    stack.on('request', (req) => {
      seen.push(req.method);
      req.respond(486);
    });
    const sent = sentResponses(stack);
    const peer = await rawPeer();
    open.push(peer);
    const port = stack.addresses[0]!.port;
    await peer.send(fixture('semantics/3.3.6-invut.sip'), port);
    await peer.send(fixture('semantics/3.3.15-sdp01.sip'), port);
    const sdpInvite = fixture('semantics/3.3.15-sdp01.sip')
      .toString('latin1')
      .replace('Accept: text/nobodyKnowsThis', 'Accept: application/*')
      .replace('sdp01.ndaksdj9342dasdd', 'sdp01-accepted')
      .replace('bKkdjuw', 'bKkdjuw-accepted');
    await peer.send(Buffer.from(sdpInvite, 'latin1'), port);
    await peer.send(rawRequest('OPTIONS', peer.port, { callId: 'after-bodies' }), port);
    await peer.waitFor((all) => all.some((m) => callIdOf(m) === 'after-bodies'));
    const invut = sent.get('invut.0ha0isndaksdjadsfij34n23d')?.[0] ?? '';
    expect(statusOf(invut)).toBe(415);
    expect(invut).toMatch(/^Accept: application\/sdp\r$/m);
    const sdp01 = sent.get('sdp01.ndaksdj9342dasdd')?.[0] ?? '';
    expect(statusOf(sdp01)).toBe(406);
    expect(sdp01).toMatch(/^Accept: application\/sdp\r$/m);
    expect(statusOf(sent.get('sdp01-accepted')?.[0] ?? '')).toBe(486);
    expect(seen).toEqual(['INVITE', 'OPTIONS']);
  });
});

describe('a UAS receiving the RFC 4475 messages over TCP', () => {
  // clerr announces 9999 body bytes: on a stream the stack waits for them (bounded by
  // maxMessageSize and the idle timeout), as a stream receiver must.
  const tcpCases = Object.entries(EXPECTED).filter(
    ([name, status]) => status !== undefined && !name.includes('clerr'),
  );

  it.each(tcpCases)('%s is answered %i on its connection', async (name, status) => {
    const stack = await stackOn('tcp');
    const { received } = await tcpExchange(stack.addresses[0]!.port, fixture(name), complete);
    expect(statusOf(received)).toBe(status);
    expect(callIdOf(received)).toBe(callIdOf(fixture(name)));
  });

  it('after a framing error the connection closes and the stack keeps serving new ones', async () => {
    const stack = await stackOn('tcp');
    const port = stack.addresses[0]!.port;
    const bad = await tcpExchange(port, fixture('invalid/3.1.2.3-ncl.sip'), () => false);
    expect(bad.closed).toBe(true);
    expect(statusOf(bad.received)).toBe(400);
    const good = await tcpExchange(
      port,
      Buffer.from(rawRequest('OPTIONS', 5060, { callId: 'next' })),
      complete,
    );
    expect([statusOf(good.received), callIdOf(good.received)]).toEqual([200, 'next']);
  });

  it('a message over maxMessageSize gets 513, then the connection closes', async () => {
    const stack = await stackOn('tcp', { maxMessageSize: 2000 });
    const port = stack.addresses[0]!.port;
    const head = rawRequest('INVITE', 5060, { callId: 'huge' }).replace(
      'Content-Length: 0',
      'Content-Length: 5000',
    );
    const r = await tcpExchange(port, Buffer.from(head), () => false);
    expect(r.closed).toBe(true);
    expect([statusOf(r.received), callIdOf(r.received)]).toEqual([513, 'huge']);
  });
});
