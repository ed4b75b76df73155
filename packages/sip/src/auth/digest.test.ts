import { describe, expect, it } from 'vitest';
import { parseMessage } from '../message/index.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { ManualClock } from '../transaction/index.js';
import {
  formatDigestChallenge,
  parseAuthParams,
  parseDigestAuthorization,
  parseDigestChallenge,
} from './auth-header.js';
import { computeDigestResponse } from './digest-algorithm.js';
import { answerDigestChallenge, authorizationHeaders, selectDigestChallenges } from './digest-client.js';
import { createDigestAuthenticator } from './digest-server.js';

// RFC 7616 section 3.9.1: the same request answered with SHA-256 and MD5.
const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  qop: 'auth',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
} as const;

function request(text: string): SipRequest {
  const r = parseMessage(text.replace(/\n/g, '\r\n'));
  if (!r.ok || r.value.kind !== 'request') throw new Error('bad test request');
  return r.value;
}

function invite(extra: string[] = [], uri = 'sip:+14155550100@trunk.example'): SipRequest {
  return request(
    [
      `INVITE ${uri} SIP/2.0`,
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1',
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.1>;tag=a',
      'To: <sip:+14155550100@trunk.example>',
      'Call-ID: c1',
      'CSeq: 2 INVITE',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\n'),
  );
}

function responseWith(headers: [string, string][]): SipResponse {
  const lines = headers.map(([n, v]) => `${n}: ${v}`);
  const r = parseMessage(
    [
      'SIP/2.0 401 Unauthorized',
      'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
      ...lines,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
  if (!r.ok || r.value.kind !== 'response') throw new Error('bad test response');
  return r.value;
}

describe('digest response vectors', () => {
  it('RFC 7616 3.9.1 SHA-256', () => {
    expect(computeDigestResponse({ ...RFC7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('RFC 7616 3.9.1 MD5', () => {
    expect(computeDigestResponse({ ...RFC7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 2617 3.5 MD5 with qop=auth', () => {
    expect(
      computeDigestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('answerDigestChallenge reproduces the RFC 7616 Authorization value', () => {
    const challenge = parseDigestChallenge(
      `Digest realm="${RFC7616.realm}", qop="auth, auth-int", algorithm=SHA-256, nonce="${RFC7616.nonce}", opaque="${RFC7616.opaque}"`,
    );
    if (!challenge.ok) throw new Error(challenge.error.message);
    const value = answerDigestChallenge(
      challenge.value,
      { method: 'GET', uri: RFC7616.uri },
      { username: 'Mufasa', password: 'Circle of Life' },
      { cnonce: RFC7616.cnonce },
    );
    const parsed = parseDigestAuthorization(value ?? '');
    expect(parsed.ok && parsed.value).toMatchObject({
      username: 'Mufasa',
      realm: RFC7616.realm,
      uri: RFC7616.uri,
      qop: 'auth',
      nc: '00000001',
      cnonce: RFC7616.cnonce,
      opaque: RFC7616.opaque,
      algorithm: 'SHA-256',
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    });
  });
});

describe('auth header parsing', () => {
  it('parses quoted, escaped and token values; refuses junk', () => {
    const r = parseAuthParams('Digest  realm="a \\"b\\"",nonce = "n" ,  stale=TRUE, algorithm=MD5');
    expect(r.ok && r.value).toEqual({
      scheme: 'Digest',
      params: { realm: 'a "b"', nonce: 'n', stale: 'TRUE', algorithm: 'MD5' },
    });
    for (const bad of ['', 'Digest realm="x', 'Digest realm=x nonce=y', 'Digest realm=', 'Digest a=1, a=2']) {
      expect(parseAuthParams(bad).ok, bad).toBe(false);
    }
    expect(parseDigestChallenge('Basic realm="x"').ok).toBe(false);
    expect(parseDigestChallenge('Digest nonce="x"').ok).toBe(false);
    expect(parseDigestAuthorization('Digest username="u", realm="r", nonce="n", uri="u"').ok).toBe(false);
  });

  it('challenge defaults: MD5, stale false; format round-trips', () => {
    const text = formatDigestChallenge({
      realm: 'r',
      nonce: 'n',
      algorithm: 'SHA-256',
      qop: ['auth'],
      stale: true,
    });
    const c = parseDigestChallenge(text);
    expect(c.ok && c.value).toMatchObject({
      realm: 'r',
      nonce: 'n',
      algorithm: 'SHA-256',
      qop: ['auth'],
      stale: true,
    });
    const d = parseDigestChallenge('Digest realm="r", nonce="n"');
    expect(d.ok && [d.value.algorithm, d.value.stale, d.value.qop]).toEqual(['MD5', false, []]);
  });

  it('selects the topmost supported challenge per realm and answers both 401 and 407 kinds', () => {
    const res = responseWith([
      ['WWW-Authenticate', 'Digest realm="a", nonce="1", algorithm=SHA-512-256-weird'],
      ['WWW-Authenticate', 'Digest realm="a", nonce="2", algorithm=SHA-256, qop="auth"'],
      ['WWW-Authenticate', 'Digest realm="a", nonce="3", algorithm=MD5, qop="auth"'],
      ['Proxy-Authenticate', 'Digest realm="p", nonce="4", qop="auth"'],
      ['Proxy-Authenticate', 'Basic realm="x"'],
    ]);
    const sel = selectDigestChallenges(res);
    expect(sel.map((s) => [s.header, s.challenge.nonce, s.challenge.algorithm])).toEqual([
      ['Authorization', '2', 'SHA-256'],
      ['Proxy-Authorization', '4', 'MD5'],
    ]);
    const headers = authorizationHeaders(res, { method: 'INVITE', uri: 'sip:x@y' }, [
      { username: 'u', password: 'p', realm: 'p' },
    ]);
    expect(headers.map(([n]) => n)).toEqual(['Proxy-Authorization']);
  });
});

describe('createDigestAuthenticator', () => {
  const users = { alice: 'wonderland' };

  function answer(
    challengeValue: string,
    req: SipRequest,
    header: string,
    password = 'wonderland',
    nc?: number,
  ): SipRequest {
    const c = parseDigestChallenge(challengeValue);
    if (!c.ok) throw new Error(c.error.message);
    const v = answerDigestChallenge(
      c.value,
      { method: req.method, uri: req.uri },
      { username: 'alice', password },
      nc === undefined ? {} : { nc },
    );
    req.headers.append(header, v ?? '');
    return req;
  }

  for (const algorithm of ['SHA-256', 'MD5', 'SHA-512-256', 'MD5-sess'] as const) {
    it(`${algorithm}: challenge, then the answer verifies`, () => {
      const auth = createDigestAuthenticator({ realm: 'trunk.example', users, algorithms: [algorithm] });
      const ch = auth.challenge();
      expect(ch.status).toBe(401);
      expect(ch.headers).toHaveLength(1);
      expect(ch.headers[0]![0]).toBe('WWW-Authenticate');
      const req = answer(ch.headers[0]![1], invite(), 'Authorization');
      expect(auth.verify(req)).toEqual({ ok: true, username: 'alice', algorithm });
    });
  }

  it('proxy mode: 407 with one Proxy-Authenticate per algorithm, SHA-256 first', () => {
    const auth = createDigestAuthenticator({ realm: 'trunk.example', users, proxy: true });
    const ch = auth.challenge();
    expect(ch.status).toBe(407);
    expect(ch.reason).toBe('Proxy Authentication Required');
    expect(ch.headers.map(([n, v]) => [n, /algorithm=([\w-]+)/.exec(v)?.[1]])).toEqual([
      ['Proxy-Authenticate', 'SHA-256'],
      ['Proxy-Authenticate', 'MD5'],
    ]);
    // Credentials in Authorization do not count for a proxy.
    const wrongHeader = answer(ch.headers[0]![1], invite(), 'Authorization');
    expect(auth.verify(wrongHeader)).toMatchObject({ ok: false, error: { code: 'MISSING_CREDENTIALS' } });
    const req = answer(ch.headers[1]![1], invite(), 'Proxy-Authorization');
    expect(auth.verify(req)).toMatchObject({ ok: true, algorithm: 'MD5' });
  });

  it('refuses: missing, wrong password, unknown user, foreign nonce, uri mismatch, replayed nc', () => {
    const auth = createDigestAuthenticator({ realm: 'trunk.example', users });
    const code = (r: ReturnType<typeof auth.verify>): string => (r.ok ? 'ok' : r.error.code);
    expect(code(auth.verify(invite()))).toBe('MISSING_CREDENTIALS');
    const ch = auth.challenge().headers[0]![1];
    expect(code(auth.verify(answer(ch, invite(), 'Authorization', 'nope')))).toBe('WRONG_RESPONSE');
    const other = createDigestAuthenticator({ realm: 'trunk.example', users });
    expect(code(auth.verify(answer(other.challenge().headers[0]![1], invite(), 'Authorization')))).toBe(
      'UNKNOWN_NONCE',
    );
    const moved = answer(ch, invite(), 'Authorization');
    moved.uri = 'sip:+14155550199@trunk.example';
    expect(code(auth.verify(moved))).toBe('URI_MISMATCH');
    const lax = createDigestAuthenticator({ realm: 'trunk.example', users, checkUri: false });
    const laxMoved = answer(lax.challenge().headers[0]![1], invite(), 'Authorization');
    laxMoved.uri = 'sip:+14155550199@trunk.example';
    expect(code(lax.verify(laxMoved))).toBe('ok');
    const stranger = createDigestAuthenticator({ realm: 'trunk.example', users: () => undefined });
    expect(
      code(stranger.verify(answer(stranger.challenge().headers[0]![1], invite(), 'Authorization'))),
    ).toBe('UNKNOWN_USER');
    // nc must increase for a nonce: 1 ok, 1 again refused, 2 ok.
    expect(code(auth.verify(answer(ch, invite(), 'Authorization', 'wonderland', 1)))).toBe('ok');
    expect(code(auth.verify(answer(ch, invite(), 'Authorization', 'wonderland', 1)))).toBe(
      'NONCE_COUNT_REPLAY',
    );
    expect(code(auth.verify(answer(ch, invite(), 'Authorization', 'wonderland', 2)))).toBe('ok');
    // qop offered: an RFC 2069 answer (no qop) is malformed.
    const legacy = invite([
      `Authorization: Digest username="alice", realm="trunk.example", nonce="x", uri="sip:+14155550100@trunk.example", response="00"`,
    ]);
    expect(code(auth.verify(legacy))).toBe('MALFORMED_CREDENTIALS');
    expect(code(auth.verify(invite(['Authorization: Digest realm="trunk.example", username='])))).toBe(
      'MALFORMED_CREDENTIALS',
    );
  });

  it('an expired nonce with a correct digest is stale; a wrong digest on it is not', () => {
    const clock = new ManualClock();
    const auth = createDigestAuthenticator({
      realm: 'r',
      users,
      nonceTtlMs: 1000,
      clock,
      algorithms: ['MD5'],
    });
    const ch = auth.challenge().headers[0]![1];
    clock.advance(1001);
    const r = auth.verify(answer(ch, invite(), 'Authorization'));
    expect(r).toMatchObject({ ok: false, error: { code: 'STALE_NONCE' } });
    const w = auth.verify(answer(ch, invite(), 'Authorization', 'bad'));
    expect(w).toMatchObject({ ok: false, error: { code: 'WRONG_RESPONSE' } });
    const fresh = auth.challenge({ stale: true }).headers[0]![1];
    expect(fresh).toMatch(/stale=TRUE/);
    expect(auth.verify(answer(fresh, invite(), 'Authorization')).ok).toBe(true);
  });

  it('auth-int covers the body; RFC 2069 mode works without qop', () => {
    const intAuth = createDigestAuthenticator({
      realm: 'r',
      users,
      qop: ['auth-int'],
      algorithms: ['SHA-256'],
    });
    const c = parseDigestChallenge(intAuth.challenge().headers[0]![1]);
    if (!c.ok) throw new Error('challenge');
    const req = invite();
    req.body = Buffer.from('v=0\r\n');
    req.headers.append(
      'Authorization',
      answerDigestChallenge(
        c.value,
        { method: 'INVITE', uri: req.uri, body: req.body },
        {
          username: 'alice',
          password: 'wonderland',
        },
      )!,
    );
    expect(intAuth.verify(req).ok).toBe(true);
    req.body = Buffer.from('v=1\r\n');
    expect(intAuth.verify(req)).toMatchObject({ ok: false, error: { code: 'WRONG_RESPONSE' } });

    const legacy = createDigestAuthenticator({ realm: 'r', users, qop: [], algorithms: ['MD5'] });
    const ch = legacy.challenge().headers[0]![1];
    expect(ch).not.toMatch(/qop/);
    const v = answer(ch, invite(), 'Authorization');
    expect(v.headers.get('authorization')).not.toMatch(/qop|cnonce|nc=/);
    expect(legacy.verify(v).ok).toBe(true);
  });
});
