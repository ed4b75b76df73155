import { describe, expect, it } from 'vitest';
import type { SipTraceEvent } from '../../src/observe/types.js';
import { SipTracer } from '../../src/trunk/trace.js';

const TEXT = [
  'SIP/2.0 202 Accepted',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtrace1',
  'From: <sip:+14155550100@127.0.0.1>;tag=a',
  'To: <sip:+14155550101@lab.zt.plivo.com>;tag=b',
  'i: trace-call-id-0123456789@127.0.0.1',
  'CSeq: 2 REFER',
  'Subject: caf\u00e9',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

async function traceOne(data: Buffer, callId = 'trace-call-id-0123456789@127.0.0.1'): Promise<SipTraceEvent> {
  const events: SipTraceEvent[] = [];
  const tracer = new SipTracer((e) => events.push(e));
  tracer.bind(callId, 'call-7', 'endpoint');
  tracer.push({
    direction: 'out',
    transport: 'udp',
    local: { host: '127.0.0.1', port: 5060 },
    remote: { host: '::1', port: 5070 },
    data,
    at: 1_700_000_000_000,
  });
  await Promise.resolve();
  expect(events).toHaveLength(1);
  return events[0]!;
}

describe('SipTracer', () => {
  it('tags a message with its call and leg, and summarises it', async () => {
    const e = await traceOne(Buffer.from(TEXT, 'utf8'));
    expect(e).toMatchObject({
      type: 'sip',
      direction: 'out',
      local: '127.0.0.1:5060',
      remote: '[::1]:5070',
      callId: 'trace-call-id-0123456789@127.0.0.1',
      call: 'call-7',
      leg: 'endpoint',
      summary: '202 Accepted (REFER)',
    });
    expect(e.raw).toBe(TEXT);
  });

  it('raw and summary survive spread, JSON and structuredClone, like plain properties', async () => {
    const e = await traceOne(Buffer.from(TEXT, 'utf8'));
    const summary = '202 Accepted (REFER)';
    expect({ ...e }).toMatchObject({ raw: TEXT, summary });
    expect(JSON.parse(JSON.stringify(e)) as SipTraceEvent).toMatchObject({ raw: TEXT, summary });
    expect(structuredClone(e)).toMatchObject({ raw: TEXT, summary });
    expect(Object.keys(e)).toEqual(expect.arrayContaining(['raw', 'summary']));
    expect(e.summary).toBe(summary); // read again: the same answer
  });

  it('keeps its own copy of the bytes: reusing the sender buffer does not change the event', async () => {
    // Small Buffer.from() results are slices of Node's shared pool, like serialized messages.
    const data = Buffer.from(TEXT, 'utf8');
    expect(data.byteLength).toBeLessThan(data.buffer.byteLength);
    const e = await traceOne(data);
    data.fill(0x20);
    expect(e.raw).toBe(TEXT);
    expect(e.summary).toBe('202 Accepted (REFER)');
  });

  it('finds Call-ID and CSeq in any case, with blanks before the colon, and stops at the body', async () => {
    const text = [
      'NOTIFY sip:+14155550100@127.0.0.1:5070 SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtrace2',
      'CALL-ID :  upper-case-call-id ',
      'cseq: 7 NOTIFY',
      'Content-Type: message/sipfrag;version=2.0',
      'Content-Length: 39',
      '',
      'SIP/2.0 100 Trying\r\nCall-ID: not-this-one',
    ].join('\r\n');
    const e = await traceOne(Buffer.from(text, 'utf8'), 'upper-case-call-id');
    expect(e).toMatchObject({ callId: 'upper-case-call-id', call: 'call-7', summary: 'NOTIFY' });
  });

  it('leaves a message without Call-ID or CSeq untagged, and a header in the body unread', async () => {
    const text =
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK3\r\nX-Note: no colon here\r\n\r\nCall-ID: body\r\nCSeq: 1 BYE\r\n';
    const e = await traceOne(Buffer.from(text, 'utf8'));
    expect(e.callId).toBe('');
    expect(e.call).toBeUndefined();
    expect(e.summary).toBe('200 OK (?)');
  });

  it('does not mistake a header whose name only looks like Call-ID once bytes are case-folded', async () => {
    // "Call\rID" differs from "Call-ID" only in a byte that a blind 0x20 OR would turn into "-".
    const text = 'BYE sip:a@127.0.0.1 SIP/2.0\r\nCall\rID: wrong\nCall-ID: right\r\nCSeq: 2 BYE\r\n\r\n';
    const e = await traceOne(Buffer.from(text, 'latin1'), 'right');
    expect(e.callId).toBe('right');
    expect(e.summary).toBe('BYE');
  });
});
