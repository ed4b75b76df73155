import { afterEach, describe, expect, it } from 'vitest';
import { createDigestAuthenticator, createSipStack, parseDigestAuthorization } from '../../src/index.js';
import type { DigestAuthenticatorOptions, SipStack, StackResponse } from '../../src/index.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

const USERS = { alice: 'wonderland' };

async function pair(transport: 'udp' | 'tcp'): Promise<{ uac: SipStack; uas: SipStack }> {
  const uac = await createSipStack({ listen: [{ transport, host: '127.0.0.1', port: 0 }] });
  const uas = await createSipStack({ listen: [{ transport, host: '127.0.0.1', port: 0 }] });
  open.push(uac, uas);
  return { uac, uas };
}

/** A UAS that demands credentials for INVITE and for every in-dialog request but ACK. */
function protect(uas: SipStack, options: Partial<DigestAuthenticatorOptions> = {}): { seen: string[] } {
  const auth = createDigestAuthenticator({ realm: 'trunk.example', users: USERS, ...options });
  const seen: string[] = [];
  uas.on('request', (req) => {
    seen.push(
      `${req.method} ${req.header('cseq')} ${(req.header('authorization') ?? req.header('proxy-authorization')) ? 'auth' : 'none'}`,
    );
    if (!auth.authenticate(req).ok) return;
    const d = req.respond(200);
    if (d === undefined) return;
    d.on('request', (r) => {
      seen.push(
        `${r.method} ${r.header('cseq')} ${(r.header('authorization') ?? r.header('proxy-authorization')) ? 'auth' : 'none'}`,
      );
      if (auth.authenticate(r).ok) r.respond(200);
    });
  });
  return { seen };
}

describe('digest authentication between two stacks', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    for (const proxy of [false, true]) {
      const status = proxy ? 407 : 401;
      it(`${transport}: INVITE challenged ${status}, retried with credentials; BYE challenged too`, async () => {
        const { uac, uas } = await pair(transport);
        const { seen } = protect(uas, { proxy });
        const a = uas.addresses[0]!;
        const challenges: StackResponse[] = [];
        const call = uac.sendRequest(
          { method: 'INVITE', uri: `sip:+14155550100@127.0.0.1:${a.port}` },
          {
            destination: { transport, host: a.host, port: a.port },
            credentials: { username: 'alice', password: 'wonderland' },
          },
        );
        const firstCallId = call.request.headers.get('call-id');
        call.on('challenge', (res) => challenges.push(res));
        const res = await call.response;
        expect(res.status).toBe(200);
        expect(challenges.map((c) => c.status)).toEqual([status]);
        // Same Call-ID and From tag, CSeq + 1, a new branch, credentials in the right header.
        expect(call.request.headers.get('call-id')).toBe(firstCallId);
        expect(call.request.headers.get('cseq')).toBe('2 INVITE');
        const cred = call.request.headers.get(proxy ? 'proxy-authorization' : 'authorization');
        const parsed = parseDigestAuthorization(cred ?? '');
        expect(parsed.ok && [parsed.value.username, parsed.value.algorithm, parsed.value.qop]).toEqual([
          'alice',
          'SHA-256',
          'auth',
        ]);
        const bye = await call.dialog!.request('BYE').response;
        expect(bye.status).toBe(200);
        expect(seen).toEqual([
          'INVITE 1 INVITE none',
          'INVITE 2 INVITE auth',
          'BYE 3 BYE none',
          'BYE 4 BYE auth',
        ]);
      });
    }
  }

  it('MD5-only server, non-INVITE request (OPTIONS)', async () => {
    const { uac, uas } = await pair('udp');
    const auth = createDigestAuthenticator({ realm: 'r', users: USERS, algorithms: ['MD5'] });
    uas.on('request', (req) => {
      if (auth.authenticate(req).ok) req.respond(200);
    });
    const a = uas.addresses[0]!;
    const tx = uac.sendRequest(
      { method: 'OPTIONS', uri: `sip:127.0.0.1:${a.port}` },
      {
        destination: { transport: 'udp', host: a.host, port: a.port },
        credentials: [{ username: 'alice', password: 'wonderland', realm: 'r' }],
      },
    );
    expect((await tx.response).status).toBe(200);
    expect(tx.request.headers.get('authorization')).toMatch(/algorithm=MD5/);
  });

  it('a wrong password ends with the second 401 (one retry, no loop); forbidden mode answers 403', async () => {
    const { uac, uas } = await pair('udp');
    protect(uas);
    const a = uas.addresses[0]!;
    let challenges = 0;
    const call = uac.sendRequest(
      { method: 'INVITE', uri: `sip:x@127.0.0.1:${a.port}` },
      {
        destination: { transport: 'udp', host: a.host, port: a.port },
        credentials: { username: 'alice', password: 'nope' },
      },
    );
    const sameRequest: boolean[] = [];
    call.on('challenge', (_res, retry) => {
      challenges++;
      sameRequest.push(call.request === retry);
    });
    expect((await call.response).status).toBe(401);
    expect(challenges).toBe(1);
    expect(sameRequest).toEqual([true]);

    const strict = await createSipStack({ listen: [{ transport: 'udp' }] });
    open.push(strict);
    protect(strict, { onInvalid: 'forbidden' });
    const s = strict.addresses[0]!;
    const denied = uac.sendRequest(
      { method: 'INVITE', uri: `sip:x@127.0.0.1:${s.port}` },
      {
        destination: { transport: 'udp', host: s.host, port: s.port },
        credentials: { username: 'mallory', password: 'x' },
      },
    );
    expect((await denied.response).status).toBe(403);
  });

  it('without credentials the 401 is the final response; credentials for another realm are not used', async () => {
    const { uac, uas } = await pair('udp');
    protect(uas);
    const a = uas.addresses[0]!;
    const dest = { transport: 'udp' as const, host: a.host, port: a.port };
    const plain = uac.sendRequest(
      { method: 'INVITE', uri: `sip:x@127.0.0.1:${a.port}` },
      { destination: dest },
    );
    expect((await plain.response).status).toBe(401);
    const other = uac.sendRequest(
      { method: 'INVITE', uri: `sip:x@127.0.0.1:${a.port}` },
      { destination: dest, credentials: { username: 'alice', password: 'wonderland', realm: 'elsewhere' } },
    );
    expect((await other.response).status).toBe(401);
  });

  it('an expired nonce sent again is answered with a fresh one (stale=TRUE) and the retry passes', async () => {
    const { uac, uas } = await pair('udp');
    let now = 1_000_000;
    const auth = createDigestAuthenticator({
      realm: 'r',
      users: USERS,
      nonceTtlMs: 60_000,
      clock: { now: () => now },
    });
    const codes: string[] = [];
    uas.on('request', (req) => {
      const v = auth.authenticate(req);
      codes.push(v.ok ? 'ok' : v.error.code);
      if (v.ok) req.respond(200);
    });
    const a = uas.addresses[0]!;
    const options = {
      destination: { transport: 'udp' as const, host: a.host, port: a.port },
      credentials: { username: 'alice', password: 'wonderland' },
    };
    const uri = `sip:127.0.0.1:${a.port}`;
    const first = uac.sendRequest({ method: 'OPTIONS', uri }, options);
    expect((await first.response).status).toBe(200);
    // Send the same credentials again (preemptively) after the nonce expired.
    now += 120_000;
    const old = first.request.headers.get('authorization')!;
    const again = uac.sendRequest({ method: 'OPTIONS', uri, headers: { Authorization: old } }, options);
    const challenges: StackResponse[] = [];
    again.on('challenge', (r) => challenges.push(r));
    expect((await again.response).status).toBe(200);
    expect(challenges).toHaveLength(1);
    expect(challenges[0]!.headers.get('www-authenticate')).toMatch(/stale=TRUE/);
    expect(codes).toEqual(['MISSING_CREDENTIALS', 'ok', 'STALE_NONCE', 'ok']);
    expect(again.request.headers.getAll('authorization')).toHaveLength(1);
  });
});
