// A blind-transfer trace as the trunk would emit it: endpoint over UDP/IPv4, target over TCP/IPv6.
import type { CallLeg, SipTraceEvent, TrunkEvent } from '../../src/observe/types.js';

const T0 = 1_764_442_800_123.456; // 2025-11-29T19:00:00.123456Z
const TRUNK4 = '127.0.0.1:5060';
const ENDPOINT = '127.0.0.1:5070';
const CUSTOMER = '127.0.0.1:40001';
const TRUNK6 = '[::1]:5060';
const TARGET = '[::1]:40002';

function request(method: string, uri: string, callId: string, cseq: number, extra = '', body = ''): string {
  return (
    `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${cseq}${method}\r\n` +
    `From: <sip:agent@lab.test>;tag=a\r\nTo: <${uri}>\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n` +
    `Max-Forwards: 70\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function response(status: number, reason: string, method: string, callId: string, cseq: number): string {
  return (
    `SIP/2.0 ${status} ${reason}\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${cseq}${method}\r\n` +
    `From: <sip:agent@lab.test>;tag=a\r\nTo: <sip:x@lab.test>;tag=b\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n` +
    `Content-Length: 0\r\n\r\n`
  );
}

function sip(ms: number, direction: 'in' | 'out', leg: CallLeg, raw: string, summary: string): SipTraceEvent {
  const tcp = leg === 'target';
  const local = tcp ? TRUNK6 : TRUNK4;
  const remote = leg === 'endpoint' ? ENDPOINT : leg === 'customer' ? CUSTOMER : TARGET;
  const callId = /Call-ID: (\S+)/.exec(raw)?.[1] ?? '';
  return {
    type: 'sip',
    at: T0 + ms,
    direction,
    transport: tcp ? 'tcp' : 'udp',
    local,
    remote,
    callId,
    call: 'call-1',
    leg,
    raw,
    summary,
  };
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n';

/** Endpoint INVITE, customer answers, REFER, NOTIFYs, target answers over TCP/IPv6, BYE. */
export function transferTrace(): TrunkEvent[] {
  return [
    sip(
      0,
      'in',
      'endpoint',
      request(
        'INVITE',
        'sip:+14155550100@lab.zt.plivo.com',
        'ep-1',
        1,
        'Content-Type: application/sdp\r\n',
        SDP,
      ),
      'INVITE',
    ),
    sip(1, 'out', 'endpoint', response(100, 'Trying', 'INVITE', 'ep-1', 1), '100 Trying (INVITE)'),
    sip(
      2,
      'out',
      'customer',
      request(
        'INVITE',
        'sip:+14155550100@127.0.0.1:40001',
        'cu-1',
        1,
        'Content-Type: application/sdp\r\n',
        SDP,
      ),
      'INVITE',
    ),
    sip(10, 'in', 'customer', response(180, 'Ringing', 'INVITE', 'cu-1', 1), '180 Ringing (INVITE)'),
    { type: 'state', at: T0 + 10, call: 'call-1', leg: 'customer', state: 'ringing' },
    sip(11, 'out', 'endpoint', response(180, 'Ringing', 'INVITE', 'ep-1', 1), '180 Ringing (INVITE)'),
    sip(500, 'in', 'customer', response(200, 'OK', 'INVITE', 'cu-1', 1), '200 OK (INVITE)'),
    sip(501, 'out', 'endpoint', response(200, 'OK', 'INVITE', 'ep-1', 1), '200 OK (INVITE)'),
    sip(502, 'in', 'endpoint', request('ACK', 'sip:trunk@127.0.0.1:5060', 'ep-1', 1), 'ACK'),
    { type: 'state', at: T0 + 502, call: 'call-1', state: 'connected' },
    { type: 'media', at: T0 + 700, call: 'call-1', party: '+14155550100', heard: 'tone:600' },
    sip(
      2000,
      'in',
      'endpoint',
      request(
        'REFER',
        'sip:trunk@127.0.0.1:5060',
        'ep-1',
        2,
        'Refer-To: <sip:+14155550101@lab.zt.plivo.com>\r\n',
      ),
      'REFER',
    ),
    sip(2001, 'out', 'endpoint', response(202, 'Accepted', 'REFER', 'ep-1', 2), '202 Accepted (REFER)'),
    {
      type: 'state',
      at: T0 + 2001,
      call: 'call-1',
      state: 'transferring',
      detail: 'to +14155550101; via REFER #1',
    },
    sip(
      2002,
      'out',
      'endpoint',
      request(
        'NOTIFY',
        'sip:agent@127.0.0.1:5070',
        'ep-1',
        1,
        'Event: refer\r\nSubscription-State: active\r\nContent-Type: message/sipfrag;version=2.0\r\n',
        'SIP/2.0 100 Trying\r\n',
      ),
      'NOTIFY (100 Trying)',
    ),
    sip(
      2003,
      'out',
      'target',
      request(
        'INVITE',
        'sip:+14155550101@[::1]:40002;transport=tcp',
        'ta-1',
        1,
        'Content-Type: application/sdp\r\n',
        SDP,
      ),
      'INVITE',
    ),
    sip(2010, 'in', 'target', response(180, 'Ringing', 'INVITE', 'ta-1', 1), '180 Ringing (INVITE)'),
    { type: 'media', at: T0 + 2100, call: 'call-1', party: '+14155550100', heard: 'ringback' },
    sip(2600, 'in', 'target', response(200, 'OK', 'INVITE', 'ta-1', 1), '200 OK (INVITE)'),
    sip(
      2601,
      'out',
      'target',
      request('ACK', 'sip:+14155550101@[::1]:40002;transport=tcp', 'ta-1', 1),
      'ACK',
    ),
    sip(
      2602,
      'out',
      'endpoint',
      request(
        'NOTIFY',
        'sip:agent@127.0.0.1:5070',
        'ep-1',
        2,
        'Event: refer\r\nSubscription-State: terminated;reason=noresource\r\nContent-Type: message/sipfrag;version=2.0\r\n',
        'SIP/2.0 200 OK\r\n',
      ),
      'NOTIFY (200 OK)',
    ),
    sip(2605, 'out', 'endpoint', request('BYE', 'sip:agent@127.0.0.1:5070', 'ep-1', 3), 'BYE'),
    sip(2606, 'in', 'endpoint', response(200, 'OK', 'BYE', 'ep-1', 3), '200 OK (BYE)'),
    { type: 'media', at: T0 + 2800, call: 'call-1', party: '+14155550100', heard: 'tone:800' },
    { type: 'record', at: T0 + 2900, call: 'call-1', record: { id: 'call-1' } },
  ];
}
