import { describe, expect, it } from 'vitest';
import { expectCode } from './helpers.js';
import {
  answerDirection,
  answerOffer,
  buildOffer,
  isMediaError,
  parseRemoteMedia,
  withG711Codecs,
} from '../src/index.js';

describe('buildOffer', () => {
  it('writes PCMU, PCMA and telephone-event with ptime 20', () => {
    const sdp = buildOffer({ address: '127.0.0.1', port: 40000, sessionId: '42' });
    expect(sdp).toContain('m=audio 40000 RTP/AVP 0 8 101\r\n');
    expect(sdp).toContain('c=IN IP4 127.0.0.1\r\n');
    expect(sdp).toContain('a=rtpmap:0 PCMU/8000\r\n');
    expect(sdp).toContain('a=rtpmap:8 PCMA/8000\r\n');
    expect(sdp).toContain('a=rtpmap:101 telephone-event/8000\r\n');
    expect(sdp).toContain('a=fmtp:101 0-16\r\n');
    expect(sdp).toContain('a=ptime:20\r\n');
    expect(sdp).toContain('a=sendrecv\r\n');
    expect(sdp).toContain('o=referkit 42 1 IN IP4 127.0.0.1\r\n');
  });

  it('supports hold directions and IPv6', () => {
    expect(buildOffer({ address: '::1', port: 5000, direction: 'sendonly' })).toMatch(
      /c=IN IP6 ::1[\s\S]*a=sendonly/,
    );
    expect(buildOffer({ address: '127.0.0.1', port: 5000, direction: 'inactive' })).toContain('a=inactive');
  });

  it('rejects a bad port with a typed error', () => {
    expectCode(() => buildOffer({ address: '127.0.0.1', port: 70000 }), 'INVALID_ARGUMENT');
  });
});

describe('parseRemoteMedia', () => {
  it('reads endpoint, payload type, telephone-event and direction', () => {
    const r = parseRemoteMedia(
      buildOffer({ address: '127.0.0.2', port: 30000, codecs: ['PCMA'], direction: 'recvonly' }),
    );
    expect(r.ok && r.value).toMatchObject({
      address: '127.0.0.2',
      port: 30000,
      payloadType: 8,
      codec: 'PCMA',
      telephoneEventPayloadType: 101,
      direction: 'recvonly',
      ptime: 20,
    });
  });

  it('prefers media-level c= and accepts static types without rtpmap', () => {
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.9\r\n';
    const r = parseRemoteMedia(sdp);
    expect(r.ok && r.value).toMatchObject({ address: '127.0.0.9', codec: 'PCMU', direction: 'sendrecv' });
  });

  it('gives typed errors for no audio and no c=', () => {
    const noAudio = parseRemoteMedia(
      'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n',
    );
    expect(!noAudio.ok && noAudio.error.code).toBe('SDP_NO_AUDIO');
    const noC = parseRemoteMedia(
      'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
    );
    expect(!noC.ok && noC.error.code).toBe('SDP_INVALID');
  });
});

describe('answerOffer', () => {
  it('picks our preferred common codec and keeps telephone-event', () => {
    const offer = buildOffer({ address: '127.0.0.1', port: 4000, codecs: ['PCMA', 'PCMU'] });
    const r = answerOffer(offer, { address: '127.0.0.1', port: 5000, codecs: ['PCMU'] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.codec).toBe('PCMU');
    expect(r.value.payloadType).toBe(0);
    expect(r.value.telephoneEventPayloadType).toBe(101);
    expect(r.value.sdp).toContain('m=audio 5000 RTP/AVP 0 101');
    expect(r.value.remote.port).toBe(4000);
  });

  it('answers hold offers per RFC 3264 section 6.1', () => {
    const offer = buildOffer({ address: '127.0.0.1', port: 4000, direction: 'sendonly' });
    const r = answerOffer(offer, { address: '127.0.0.1', port: 5000 });
    expect(r.ok && r.value.direction).toBe('recvonly');
    expect(answerDirection('recvonly', 'sendrecv')).toBe('sendonly');
    expect(answerDirection('inactive', 'sendrecv')).toBe('inactive');
    expect(answerDirection('sendrecv', 'inactive')).toBe('inactive');
  });

  it('returns NO_COMMON_CODEC when nothing matches', () => {
    const offer = buildOffer({ address: '127.0.0.1', port: 4000, codecs: ['PCMA'] });
    const r = answerOffer(offer, { address: '127.0.0.1', port: 5000, codecs: ['PCMU'] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(isMediaError(r.error, 'NO_COMMON_CODEC')).toBe(true);
  });
});

describe('withG711Codecs', () => {
  it('adds the missing codecs after the listed ones and keeps the rest of the SDP', () => {
    const sdp = buildOffer({
      address: '127.0.0.1',
      port: 4000,
      codecs: ['PCMU'],
      sessionId: '7',
      direction: 'sendonly',
    });
    const r = withG711Codecs(sdp, ['PCMU', 'PCMA']);
    if (!r.ok) throw r.error;
    expect(r.value).toContain('m=audio 4000 RTP/AVP 0 101 8\r\n');
    expect(r.value).toContain('a=rtpmap:8 PCMA/8000\r\n');
    expect(r.value).toContain('a=fmtp:101 0-16\r\n');
    expect(r.value).toContain('a=sendonly\r\n');
    expect(r.value).toContain('o=referkit 7 1 IN IP4 127.0.0.1\r\n');
    const parsed = parseRemoteMedia(r.value);
    expect(parsed.ok && parsed.value.codecs).toEqual([
      { codec: 'PCMU', payloadType: 0 },
      { codec: 'PCMA', payloadType: 8 },
    ]);
    // An answerer that speaks only PCMA can now choose it.
    const answer = answerOffer(r.value, { address: '127.0.0.1', port: 5000, codecs: ['PCMA'] });
    expect(answer.ok && answer.value.codec).toBe('PCMA');
  });

  it('returns the SDP unchanged when every codec is listed, also as a static payload without rtpmap', () => {
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0\r\n';
    expect(withG711Codecs(sdp, ['PCMU', 'PCMA'])).toEqual({ ok: true, value: sdp });
  });

  it('refuses an SDP without an active audio stream with a typed error', () => {
    const r = withG711Codecs('v=0\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n', [
      'PCMA',
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(isMediaError(r.error, 'SDP_NO_AUDIO')).toBe(true);
  });
});
